"""Assemble stage: the council packet, made with pypdf from documents already written.

The packet reads each resolution and exhibit back from the output folder, so it holds the
documents as they were written, never a second rendering that could differ, and copies them
into the packet one at a time (pipeline/pdfjoin.py), so memory does not grow with the batch.
WeasyPrint's own heading bookmarks are left out: the packet's outline is one entry per agenda
item with its parts beneath.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pypdf import PdfReader

from pipeline.context import ContextBuilder
from pipeline.pdfjoin import OutlineEntry, PdfJoin
from pipeline.plan import Plan
from pipeline.render import RenderError, html_to_pdf, jinja_env

PACKET = "council-packet.pdf"
PACKET_ID = "council-packet.en"

# The documents each kind of record brings to the council: (document, label in the index). The
# exhibit travels inside the act that refers to it, and the index says so, by its number.
COUNCIL_DOCUMENTS = {
    "partnership": (("partnership_resolution.en", "{act} No. {number}, with Exhibit A to {act} No. {number}: "
                                                  "the agreement and its program plan"),
                    ("agreement_bilingual.en", "For information: the agreement in English and Spanish side by side, "
                                               "as it will be signed")),
    "donation": (("donation_resolution.en", "{act} No. {number}, with Exhibit A to {act} No. {number}: the equipment"),),
}
ACTS = {"resolution": "Resolution", "ordinance": "Ordinance", "motion": "Motion"}


@dataclass
class PacketPart:
    label: str
    path: str  # inside out/<batch>/
    pages: int
    first_page: int = 0  # counted from 1 after the front matter, as the index and the page labels show it


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


PACKET_DOCUMENTS = {document for documents in COUNCIL_DOCUMENTS.values() for document, _ in documents}


def is_packet_source(document_id: str) -> bool:
    return document_id.split("/", 1)[-1] in PACKET_DOCUMENTS


def packet_sources(files: list[dict]) -> list[dict]:
    """The written files the packet is made of: what decides whether it must be assembled again."""
    return [f for f in files if f["format"] == "pdf" and is_packet_source(f["document_id"])]


def council_packet(handle: BinaryIO, folder: Path, batch, the_plan: Plan, files: list[dict],
                   overrides: Path | None = None) -> str:
    """Cover and index, then every agenda item's documents in agenda order, written to `handle`
    one document at a time; returns the packet's sha-256.

    The index numbers the documents' pages from 1 after the front matter (which is numbered
    i, ii, ...), and the PDF's page labels say the same, so a viewer's "go to page 14" lands
    where the index says; the front matter is laid out once, whatever its length.
    """
    items = packet_items(folder, batch, the_plan, files)
    revision = hashlib.sha256("|".join(f["sha256"] for f in packet_sources(files)).encode()).hexdigest()[:10]
    page = 1
    for item in items:
        for part in item.parts:
            part.first_page, page = page, page + part.pages
    join = PdfJoin(handle)
    join.append(io.BytesIO(_front_matter(batch, items, revision, overrides)))
    front_pages = len(join.page_refs)
    outline = [OutlineEntry("Cover and index", 0)]
    for item in items:
        if not item.parts:
            continue
        entry = OutlineEntry(f"Item {item.number}: {item.subject}", front_pages + item.parts[0].first_page - 1)
        for part in item.parts:
            first = join.append(folder / part.path)
            if first != front_pages + part.first_page - 1 or len(join.page_refs) - first != part.pages:
                raise RenderError(f"{PACKET_ID}: {part.path} does not have the {part.pages} pages its manifest entry says")
            entry.children.append(OutlineEntry(part.label, first))
        outline.append(entry)
    meeting = ContextBuilder(batch).meeting.get("number", "")
    return join.finish(outline, {"Title": f"Council packet, meeting {meeting}", "Author": batch.city.data.get("name", ""),
                                 "Subject": f"{PACKET_ID}, rev. {revision}", "Producer": "sisterdocs"},
                       page_labels=[(0, "r"), (front_pages, "D")], identifier=revision.encode())


def packet_items(folder: Path, batch, the_plan: Plan, files: list[dict]) -> list[PacketItem]:
    """One item per agenda entry, in agenda order, with the PDFs written for it."""
    sources = {f["document_id"]: f for f in packet_sources(files)}
    held = {h.record_id: h.reason for h in the_plan.held_back if h.document == "*"}
    records = {r.id: r for r in batch.records}
    contexts = ContextBuilder(batch)
    act = _act(contexts)
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
            source = sources.get(f"{record.id}/{document}")
            if source:  # pages counted when rendered; read from the file only for an older manifest
                pages = source.get("pages") or len(PdfReader(folder / source["path"]).pages)
                item.parts.append(PacketPart(label.format(act=act, number=item.resolution_number), source["path"], pages))
        if not item.parts:
            item.withheld = "withheld: " + held.get(record.id, "no documents were built for this record")
        items.append(item)
    return items


def _act(contexts: ContextBuilder) -> str:
    """What the council adopts, as the index names it: Resolution, Ordinance or Motion."""
    return ACTS.get(contexts.city("en")["council_form"], "Resolution")


def _subject(record, contexts: ContextBuilder) -> str:
    if record.kind == "partnership":
        p = contexts.partnership(record, "en")
        where = f"{p['partner']['name']}, {p['partner']['state']}, {p['partner']['country']}"
        if p["renewal"]:  # the facts of the relationship, whatever the record's status
            return f"Renewal of the {p['relationship']} with {where}, in place since {p['established_year']}"
        return f"{p['title']} with {where}"
    d = contexts.donation(record, "en")
    return f"Donation of surplus equipment to {d['recipient']['name']}"


def _front_matter(batch, items: list[PacketItem], revision: str, overrides: Path | None = None) -> bytes:
    contexts = ContextBuilder(batch)
    meeting = contexts.meeting
    total_pages = sum(part.pages for item in items for part in item.parts)
    context = {
        "city": contexts.city("en"),
        "meeting": {"date": contexts.date(contexts.meeting_date, "en"), "number": meeting.get("number", ""),
                    "kind": meeting.get("kind", ""), "place": meeting.get("place", "")},
        "items": items,
        "act": _act(contexts),
        "total_pages": total_pages,
        "doc": {"id": PACKET_ID, "revision": revision, "title": "Council packet", "final": True, "variant": "", "lang": "en"},
    }
    html = jinja_env("en", overrides).get_template("council_packet.html").render(context)
    return html_to_pdf(html, PACKET_ID, overrides=overrides).pdf
