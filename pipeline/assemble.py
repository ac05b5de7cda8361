"""Assemble stage: the council packet, made with pypdf from documents already written.

The packet reads each resolution and exhibit back from the output folder, so it holds the
documents as they were written, never a second rendering that could differ. WeasyPrint adds
its own heading bookmarks to every PDF; they are left out (import_outline=False) so the packet's
outline is one entry per agenda item with its parts beneath.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from pipeline.context import ContextBuilder
from pipeline.plan import Plan
from pipeline.render import RenderError, html_to_pdf, jinja_env

PACKET = "council-packet.pdf"
PACKET_ID = "council-packet.en"

# The documents each kind of record brings to the council: (document, label in the index).
COUNCIL_DOCUMENTS = {
    "partnership": (("partnership_resolution.en", "Resolution"),
                    ("agreement_bilingual.en", "Exhibit: the agreement, English and Spanish side by side")),
    "donation": (("donation_resolution.en", "Resolution, with Exhibit A: the items"),),
}


@dataclass
class PacketPart:
    label: str
    path: str  # inside out/<batch>/
    pages: int
    first_page: int = 0  # 1-based page in the packet, known once the front matter is laid out


@dataclass
class PacketItem:
    number: str
    record_id: str
    subject: str
    resolution_number: str
    parts: list[PacketPart] = field(default_factory=list)
    withheld: str = ""  # why the item has no documents in the packet

    @property
    def first_page(self) -> int | str:
        return self.parts[0].first_page if self.parts else ""


def packet_sources(files: list[dict]) -> list[dict]:
    """The written files the packet is made of: what decides whether it must be assembled again."""
    wanted = {document for documents in COUNCIL_DOCUMENTS.values() for document, _ in documents}
    return [f for f in files if f["format"] == "pdf" and f["document_id"].split("/", 1)[-1] in wanted]


def council_packet(folder: Path, batch, the_plan: Plan, files: list[dict]) -> bytes:
    """Cover, index with page numbers, then every agenda item's documents in agenda order."""
    items = packet_items(folder, batch, the_plan, files)
    revision = hashlib.sha256("|".join(f["sha256"] for f in packet_sources(files)).encode()).hexdigest()[:10]
    front, front_pages = b"", 1
    for _ in range(3):  # page numbers depend on the front matter's length, which rarely depends on them
        _number_pages(items, front_pages)
        front = _front_matter(batch, items, front_pages, revision)
        if len(PdfReader(io.BytesIO(front)).pages) == front_pages:
            break
        front_pages = len(PdfReader(io.BytesIO(front)).pages)
    else:
        raise RenderError(f"{PACKET_ID}: the index does not settle on a page count")

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(front)), import_outline=False)
    writer.add_outline_item(title="Cover and index", page_number=0)
    for item in items:
        if not item.parts:
            continue
        parent = writer.add_outline_item(title=f"Item {item.number}: {item.subject}", page_number=item.parts[0].first_page - 1)
        for part in item.parts:
            writer.add_outline_item(title=part.label, page_number=part.first_page - 1, parent=parent)
            writer.append(PdfReader(folder / part.path), import_outline=False)
    writer.add_metadata({"/Title": f"Council packet, meeting {ContextBuilder(batch).meeting.get('number', '')}",
                         "/Author": batch.city.data.get("name", ""), "/Subject": f"{PACKET_ID}, rev. {revision}"})
    writer.page_mode = "/UseOutlines"
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def packet_items(folder: Path, batch, the_plan: Plan, files: list[dict]) -> list[PacketItem]:
    """One item per agenda entry, in agenda order, with the PDFs written for it."""
    written = {f["document_id"]: f["path"] for f in packet_sources(files)}
    held = {h.record_id: h.reason for h in the_plan.held_back if h.document == "*"}
    records = {r.id: r for r in batch.records}
    contexts = ContextBuilder(batch)
    items = []
    for entry in batch.meeting.data.get("agenda") or []:
        record = records.get(entry.get("record"))
        if record is None:
            continue  # validation reports an unknown reference; nothing to show for it
        # A record with errors may hold anything: name it by its id, never through its values.
        subject = f"{record.kind.capitalize()} {record.id}" if record.id in held else _subject(record, contexts)
        item = PacketItem(str(entry.get("item", "")), record.id, subject,
                          str((record.data.get("council") or {}).get("resolution_number", "")))
        for document, label in COUNCIL_DOCUMENTS[record.kind]:
            path = written.get(f"{record.id}/{document}")
            if path:
                item.parts.append(PacketPart(label, path, len(PdfReader(folder / path).pages)))
        if not item.parts:
            item.withheld = "withheld: " + held.get(record.id, "no documents were built for this record")
        items.append(item)
    return items


def _subject(record, contexts: ContextBuilder) -> str:
    if record.kind == "partnership":
        p = contexts.partnership(record, "en")
        return f"{p['kind']} agreement with {p['partner']['name']}, {p['partner']['state']}, {p['partner']['country']}"
    d = contexts.donation(record, "en")
    return f"Donation of surplus equipment to {d['recipient']['name']}"


def _number_pages(items: list[PacketItem], front_pages: int) -> None:
    page = front_pages + 1
    for item in items:
        for part in item.parts:
            part.first_page = page
            page += part.pages


def _front_matter(batch, items: list[PacketItem], front_pages: int, revision: str) -> bytes:
    contexts = ContextBuilder(batch)
    meeting = contexts.meeting
    total_pages = sum(part.pages for item in items for part in item.parts)
    context = {
        "city": contexts.city("en"),
        "meeting": {"date": contexts.date(contexts.meeting_date, "en"), "number": meeting.get("number", ""),
                    "kind": meeting.get("kind", ""), "place": meeting.get("place", "")},
        "items": items,
        "total_pages": total_pages,
        "packet_pages": total_pages + front_pages,
        "doc": {"id": PACKET_ID, "revision": revision, "title": "Council packet", "final": True, "variant": "", "lang": "en"},
    }
    html = jinja_env("en").get_template("council_packet.html").render(context)
    return html_to_pdf(html, PACKET_ID).pdf
