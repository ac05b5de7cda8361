"""Assemble stage: the council packet, made with pypdf from documents already written.

The packet reads each resolution and exhibit back from the output folder, so it holds the
documents as they were written, never a second rendering that could differ, and copies them
into the packet one at a time (pipeline/pdfjoin.py), so memory does not grow with the batch.
WeasyPrint's own heading bookmarks are left out: the packet's outline is one entry per agenda
item with its parts beneath. Every page is stamped "Packet page N" as it is copied, N as the
index and the page labels number it, so a council member holding paper page 14 finds it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from pypdf import PdfReader

from pipeline import run_cache
from pipeline.context import ACT_NAMES, ContextBuilder
from pipeline.documents import PROCESSES, process
from pipeline.paginate import lay_out_by_page
from pipeline.pdfjoin import OutlineEntry, PdfJoin, Placement, Segment, Stamp, StampFont
from pipeline.plan import Plan
from pipeline.render import RenderError, html_to_pdf, jinja_env, template_digest
from pipeline.rules.values import current_act, get

PACKET = "council-packet.pdf"
PACKET_ID = "council-packet.en"

# The packet page stamp: top right, in the middle of the documents' 2.1 cm top margin, on the
# baseline of their running head (top left, after the first page), so it meets neither the
# letterhead, the footer (document id, "Page X of Y"), nor the diagonal DRAFT watermark.
STAMP_TEXT = "Packet page {label}"
STAMP_SAMPLE = "Packet page 0123456789 ivxlcdm"  # every character a stamp can need
STAMP_FONT = "/PacketStamp"  # the stamp font's resource name on every page
STAMP_SIZE = 9.0  # points, bold: a little above the 8.5 pt running head and footer
SIDE_MARGIN = 2.3 / 2.54 * 72  # the documents' left and right margins (pipeline/assets/style.css)
STAMP_BASELINE = 32.6  # points below the top edge: where WeasyPrint puts the running head's baseline
STAMP_COLOUR = b"0.067 g\n"  # the documents' text colour, #111

# The cover and index's footer, stamped too (its pages are laid out without it, so that a page
# whose rows did not change is the same page however the packet's revision and length change):
# where and how WeasyPrint writes every document's footer.
FOOTER_TEXT = "Cover and index, page {page} of {pages}"
FOOTER_ID = "{id} · rev. {revision}"
FOOTER_SAMPLE = "council-packet.en · rev. 0123456789abcdef Cover and index, Page of ivxlcdm as"  # the report's footer too
FOOTER_FONT = "/PacketFooter"
FOOTER_SIZE = 8.5  # points, regular
FOOTER_BASELINE = 31.15  # points above the bottom edge
FOOTER_COLOUR = b"0.2 g\n"  # #333
STAMP_FONTS = (FOOTER_FONT, STAMP_FONT)  # sorted: the fonts every packet page has beside its own


@dataclass
class PacketPart:
    label: str
    path: str  # inside out/<batch>/
    pages: int
    sha256: str = ""  # of the file, as its manifest entry says
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


PACKET_DOCUMENTS = {document for module in PROCESSES.values() for document in module.PACKET_SOURCES}


def is_packet_source(document_id: str) -> bool:
    return document_id.split("/", 1)[-1] in PACKET_DOCUMENTS


def packet_sources(files: list[dict]) -> list[dict]:
    """The written files the packet is made of: what decides whether it must be assembled again."""
    return [f for f in files if f["format"] == "pdf" and is_packet_source(f["document_id"])]


def council_packet(handle: BinaryIO, folder: Path, batch, the_plan: Plan, files: list[dict],
                   overrides: Path | None = None, previous: tuple[str, str] | None = None) -> str:
    """Cover and index, then every agenda item's documents in agenda order, written to `handle`
    one document at a time; returns the packet's sha-256. `previous`: (path, sha-256) of the
    packet the last build wrote, known unedited, whose bytes for unchanged documents are copied.

    The index numbers the documents' pages from 1 after the front matter (which is numbered
    i, ii, ...), and the PDF's page labels and a stamp on every page ("Packet page 14") say the
    same, so a viewer's "go to page 14" and a hand leafing through the paper land where the
    index says; the front matter is laid out once, whatever its length. Its objects are written
    after the documents' (the page tree puts its pages first), so that a longer index does not
    move every document's objects: a document whose bytes and first page did not change is the
    same run of bytes as in the previous packet, copied from there unread (`_Documents`).
    """
    items = packet_items(folder, batch, the_plan, files)
    revision = hashlib.sha256("|".join(f["sha256"] for f in packet_sources(files)).encode()).hexdigest()[:10]
    page = 1
    for item in items:
        for part in item.parts:
            part.first_page, page = page, page + part.pages
    join = PdfJoin(handle)
    join.embed_font(STAMP_FONT, _stamp_font())
    join.embed_font(FOOTER_FONT, footer_font())
    kept = run_cache.active().companion("packet")
    try:
        front = [(kept_segment(join, pdf, kept, table="front segment"), pdf)
                 for pdf in _front_matter(batch, items, overrides, kept)]
    except ValueError:  # pypdf's, reading an index page a damaged or forged cache entry holds: laid out afresh, and kept in its place
        kept.drop("front", "front row", "front segment")
        front = [(kept_segment(join, pdf, kept, table="front segment"), pdf)
                 for pdf in _front_matter(batch, items, overrides, kept)]
    front_pages = sum(len(segment.pages) for segment, _ in front)
    join.hold_pages(front_pages)
    stamp = _page_stamp(front_pages, revision)
    documents = _Documents(join, folder, kept, previous, [part for item in items for part in item.parts])
    try:
        outline = [OutlineEntry("Cover and index", 0)]
        for item in items:
            if not item.parts:
                continue
            entry = OutlineEntry(f"Item {item.number}: {item.subject}", front_pages + item.parts[0].first_page - 1)
            for part in item.parts:
                first, pages = documents.append(part, stamp)
                if first != front_pages + part.first_page - 1 or pages != part.pages:
                    raise RenderError(f"{PACKET_ID}: {part.path} does not have the {part.pages} pages its manifest entry says")
                entry.children.append(OutlineEntry(part.label, first))
            outline.append(entry)
        at = 0
        for segment, pdf in front:  # into the places held for them, before the documents
            join.append_segment(segment, pdf, stamp, at=at)
            at += len(segment.pages)
        meeting = ContextBuilder(batch).meeting.get("number", "")
        sha = join.finish(outline, {"Title": f"Council packet, meeting {meeting}", "Author": batch.city.data.get("name", ""),
                                    "Subject": f"{PACKET_ID}, rev. {revision}", "Producer": "sisterdocs"},
                          page_labels=[(0, "r"), (front_pages, "D")], identifier=revision.encode())
        documents.keep(sha)
    finally:
        documents.close()
    kept.save()
    return sha


class _Documents:
    """The packet's documents, each written as the run of bytes it was in the previous packet
    when its bytes, its first packet page and every object number before it are the same (kept
    in the run cache's packet companion as a Placement, by the document's sha-256), else joined
    from its segment: kept from an earlier build, or recorded from the file now.

    Copying is safe only from the very packet the placements describe: `previous` is known
    unedited (hand_edits.known_unedited: the run cache's hash under the file's identity), and
    each placement names the packet's sha-256. The kept segments, a file of their own, are read
    only when they save work: when a document's bytes were placed elsewhere before (a page or
    an object more in a document before it moves every one after it), or when more documents
    are new than parsing them costs less for."""

    def __init__(self, join: PdfJoin, folder: Path, kept: run_cache.RunCache, previous: tuple[str, str] | None,
                 parts: list[PacketPart]):
        self.join, self.folder, self.kept = join, folder, kept
        self.layout = run_cache.digest(*(f"{name}={number}" for name, number in sorted(join.stamp_fonts.items())),
                                       _stamp_font().sample, footer_font().sample)
        self.previous, self.previous_sha = None, previous[1] if previous else None
        if previous is not None:
            try:
                self.previous = os.open(previous[0], os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                pass
        self.placed: list[tuple[str, int, Placement]] = []  # (placement key, first packet page, where written)
        self.copied: list[str] = []  # the segment keys of the documents copied
        self.segments: run_cache.RunCache | None = None
        # By part: its placement key (None for a manifest entry without a sha-256), and its
        # placement in the previous packet if it can be copied from there.
        self.found: dict[int, tuple[str | None, Placement | None]] = {}
        moved = new = 0
        for part in parts:
            key = run_cache.digest(bytes.fromhex(part.sha256), self.layout) if _is_sha(part.sha256) else None
            value = self.kept.get("placement", key, _is_placement, counted=False) if key else None
            fits = value is not None and self.previous is not None and value[0] == self.previous_sha \
                and value[1] == part.first_page
            self.found[id(part)] = key, Placement.from_data(value[2]) if fits else None
            moved += value is not None and not fits
            new += value is None
        if moved or new > PARSED_RATHER_THAN_KEPT:
            self._kept_segments()

    def _kept_segments(self) -> run_cache.RunCache:
        if self.segments is None:
            self.segments = run_cache.active().companion("segments")
            for key in self.copied:  # kept for the next build that moves them, though copied now
                self.segments.retain("segment", key)
        return self.segments

    def append(self, part: PacketPart, stamp) -> tuple[int, int]:
        """(first page index, page count) of `part` written into the packet."""
        key, placement = self.found.pop(id(part), (None, None))
        if placement is not None and placement.base == len(self.join.offsets):
            try:
                written = self.join.copy_placed(placement, os.pread(self.previous, placement.length, placement.start))
            except (OSError, ValueError):  # not the bytes the placement says (the file changed under its identity)
                written = None
            if written is not None:
                self.kept.stats["placement", "hit"] += 1
                self.copied.append(_segment_key(bytes.fromhex(part.sha256), STAMP_FONTS))
                if self.segments is not None:
                    self.segments.retain("segment", self.copied[-1])
                return self._placed(key, part, written)
        self.kept.stats["placement", "miss"] += 1
        data = (self.folder / part.path).read_bytes()
        if placement is not None:  # kept, but an earlier document moved it: the rest is likely moved too
            self._kept_segments()
        segment = kept_segment(self.join, data, self.segments) if self.segments else self.join.segment(data, stamped=True)
        return self._placed(key, part, self.join.place(segment, data, stamp))

    def _placed(self, key: str | None, part: PacketPart, placement: Placement) -> tuple[int, int]:
        if key:
            self.placed.append((key, part.first_page, placement))
        return placement.first_page, len(placement.pages) // 8

    def keep(self, sha: str) -> None:
        """Keep where every document went in the packet just written, whose sha-256 is `sha`."""
        for key, first_page, placement in self.placed:
            self.kept.put("placement", key, (sha, first_page, placement.as_data()))
        if self.segments is not None:
            self.segments.save()
        self.close()

    def close(self) -> None:
        if self.previous is not None:
            os.close(self.previous)
            self.previous = None


# Loading the kept segments of every document (about 0.3 s at 1,000 records) costs what parsing
# some fifty documents does (5 ms each): a change to one record's few documents parses them.
PARSED_RATHER_THAN_KEPT = 16


def _is_placement(value) -> bool:
    return (type(value) is tuple and len(value) == 3 and _is_sha(value[0]) and type(value[1]) is int
            and Placement.from_data(value[2]) is not None)


def _is_sha(value) -> bool:
    return type(value) is str and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _segment_key(sha: bytes, fonts: tuple[str, ...]) -> str:
    return run_cache.digest(sha, *fonts)


def kept_segment(join: PdfJoin, data: bytes, kept: run_cache.RunCache, fonts: tuple[str, ...] = STAMP_FONTS,
                 table: str = "segment") -> Segment:
    """A source PDF's pages as a stamped join copies them (the packet's documents, the compliance
    report's parts; `fonts`, the stamp fonts the join embeds): kept in `table` from an earlier
    build for the same bytes (no parsing), else recorded now. Either way the joined bytes are the same."""
    key = _segment_key(hashlib.sha256(data).digest(), fonts)
    checked: list[Segment] = []  # the shape check's own result: a kept segment is converted once

    def valid(value) -> bool:
        segment = _kept_segment(value, len(data), fonts)
        checked[:] = [segment] if segment is not None else []
        return segment is not None

    value = kept.get(table, key, valid)
    if value is not None:
        # A hit the file held was checked just now; one this run put there was made by join.segment.
        return checked[0] if checked else _kept_segment(value, len(data), fonts)
    segment = join.segment(data, stamped=True)
    kept.put(table, key, segment.as_data())
    return segment


def _kept_segment(value, size: int, fonts: tuple[str, ...]) -> Segment | None:
    segment = Segment.from_data(value, size)
    return segment if segment is not None and segment.stamp_fonts == fonts else None


def packet_page_label(index: int, front_pages: int) -> str:
    """What the packet calls its page `index` (0-based), in the index, the page labels and the
    stamp alike: the front matter i, ii, ...; the documents behind it from 1."""
    return _roman(index + 1) if index < front_pages else str(index - front_pages + 1)


def _roman(number: int) -> str:
    digits = []
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        count, number = divmod(number, value)
        digits.append(letters * count)
    return "".join(digits)


@lru_cache(maxsize=1)
def _stamp_font() -> StampFont:
    """The documents' bold Liberation Serif, laid out once per process by WeasyPrint in a one-line
    sample: every packet embeds the same small subset, and the stamps are written, not rendered."""
    return _sample_font("LiberationSerif-Bold.ttf", "bold", 9, STAMP_SAMPLE)


@lru_cache(maxsize=1)
def footer_font() -> StampFont:
    """The documents' regular Liberation Serif, for stamped footers (the cover and index's, the
    compliance report's)."""
    return _sample_font("LiberationSerif-Regular.ttf", "normal", FOOTER_SIZE, FOOTER_SAMPLE)


def _sample_font(file: str, weight: str, size: float, sample: str) -> StampFont:
    html = (f'<html><head><style>@font-face {{ font-family: "Doc Serif"; font-weight: {weight}; src: url(fonts/{file}); }} '
            f'body {{ font: {weight} {size}pt "Doc Serif"; }}</style></head><body>{sample}</body></html>')
    return StampFont.from_sample(html_to_pdf(html, f"{PACKET_ID}.stamp").pdf)


def _page_stamp(front_pages: int, revision: str) -> Stamp:
    """Draws "Packet page N" right-aligned at the top of each packet page, and the cover and
    index's own footer on its pages."""
    font, footer = _stamp_font(), footer_font()
    docid = FOOTER_ID.format(id=PACKET_ID, revision=revision)

    def draw(index: int, box: tuple[float, float, float, float]) -> bytes:
        text = STAMP_TEXT.format(label=packet_page_label(index, front_pages))
        drawn = STAMP_COLOUR + font.show_right(STAMP_FONT, text, STAMP_SIZE, box[2] - SIDE_MARGIN, box[3] - STAMP_BASELINE)
        if index < front_pages:
            count = FOOTER_TEXT.format(page=_roman(index + 1), pages=_roman(front_pages))
            y = box[1] + FOOTER_BASELINE
            drawn += FOOTER_COLOUR + footer.show(FOOTER_FONT, docid, FOOTER_SIZE, box[0] + SIDE_MARGIN, y) + footer.show_right(
                FOOTER_FONT, count, FOOTER_SIZE, box[2] - SIDE_MARGIN, y)
        return drawn
    return draw


def packet_items(folder: Path, batch, the_plan: Plan, files: list[dict]) -> list[PacketItem]:
    """One item per agenda entry, in agenda order, with the PDFs written for it."""
    sources = {f["document_id"]: f for f in packet_sources(files)}
    held = {h.record_id: h.reason for h in the_plan.held_back if h.document == "*"}
    records = {r.id: r for r in batch.records}
    contexts = ContextBuilder(batch)
    act = _act(contexts)
    subjects = _Subjects(batch, contexts)
    items = []
    for entry in batch.meeting.data.get("agenda") or []:
        record = records.get(entry.get("record"))
        if record is None:
            continue  # validation reports an unknown reference; nothing to show for it
        # A record with errors may hold anything: name it by its id, never through its values.
        subject = f"{record.kind.capitalize()} {record.id}" if record.id in held else subjects.of(record)
        item = PacketItem(str(entry.get("item", "")), record.id, subject,
                          str(get(record.data, *current_act(record.data), "resolution_number") or ""))
        for document, label in process(record.kind).council_documents(record):
            source = sources.get(f"{record.id}/{document}")
            if source:  # pages counted when rendered; read from the file only for an older manifest
                pages = source.get("pages") or len(PdfReader(folder / source["path"]).pages)
                item.parts.append(PacketPart(label.format(act=act, number=item.resolution_number), source["path"], pages,
                                             str(source.get("sha256", ""))))
        if not item.parts:
            item.withheld = "withheld: " + held.get(record.id, "no documents were built for this record")
        items.append(item)
    return items


def _act(contexts: ContextBuilder) -> str:
    """What the council adopts, as the index names it: Resolution, Ordinance or Motion."""
    return ACT_NAMES.get(contexts.city("en")["council_form"], ACT_NAMES["resolution"])["en"]


class _Subjects:
    """Each agenda item's subject, kept in the run cache by its record's text, the city and the
    meeting: building the view of every record on the agenda to learn a line of the index was the
    packet's largest cost after one record changed (a third of a second at 1,000 records). A
    subject that asked its donation's place in line is trusted while the answer is the same, as a
    document's inputs are (ContextBuilder.kept_value)."""

    def __init__(self, batch, contexts: ContextBuilder):
        self.contexts, self.kept = contexts, run_cache.active()
        self.settings = run_cache.digest(batch.city.source, batch.meeting.source) \
            if batch.city.source and batch.meeting.source else None

    def of(self, record) -> str:
        key = run_cache.digest(self.settings, record.kind, record.source) if self.settings and record.source else None
        subject = self.contexts.kept_value(self.kept, "agenda subject", key, record)
        if subject is None:
            self.contexts.reset_reads()
            subject = process(record.kind).agenda_subject(self.contexts.view(record, "en"))
            self.contexts.keep_value(self.kept, "agenda subject", key, subject, record)
        return subject


def _front_matter(batch, items: list[PacketItem], overrides: Path | None, kept: run_cache.RunCache) -> list[bytes]:
    """The cover and index as PDFs, a page at a time (pipeline/paginate.py): after one record
    changed only its row's page is laid out again (and the pages after it, if its row moved
    where a page ends or its documents' page counts changed)."""
    contexts = ContextBuilder(batch)
    meeting = contexts.meeting
    base = {
        "city": contexts.city("en"),
        "meeting": {"date": contexts.date(contexts.meeting_date, "en"), "number": meeting.get("number", ""),
                    "kind": meeting.get("kind", ""), "place": meeting.get("place", "")},
        "act": _act(contexts),
        "total_pages": sum(part.pages for item in items for part in item.parts),
        "doc": {"id": PACKET_ID, "revision": "", "title": "Council packet", "final": True, "variant": "", "lang": "en"},
    }
    template = jinja_env("en", overrides).get_template("council/council_packet.html")

    def page_html(start: int, stop: int, first: bool, closing: bool) -> str:
        return template.render({**base, "items": items[start:stop], "cover": first, "closing": closing})

    return lay_out_by_page(len(items), page_html, document_id=f"{PACKET_ID}.index", table="front", kept=kept,
                           templates=template_digest(("en", "council/council_packet.html"), overrides=overrides),
                           overrides=overrides)
