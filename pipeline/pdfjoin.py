"""Join PDFs into one file, one source document at a time.

pypdf's PdfWriter keeps every page of every document until it writes: a 1,000-record council
packet would sit whole in memory. Here each source document's pages and the objects they use
are written to the file as soon as they are read and then forgotten; what stays is one number
per object (its offset, for the cross-reference table) and one reference per page. Sources are
read with pypdf; what is written is plain PDF 1.7 with a classic xref table, deterministic for
the same sources.

A page can also be stamped as it is copied (the council packet's "Packet page 14"): a short
content stream drawn over the page, in a font embedded once per file (`StampFont`, taken from a
PDF WeasyPrint made), so the stamp costs a few hundred bytes a page and no page is laid out again.
"""

from __future__ import annotations

import hashlib
import io
import re
from array import array
from pathlib import Path
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import (ArrayObject, DictionaryObject, IndirectObject, NameObject, NullObject, PdfObject,
                           StreamObject, TextStringObject)

# Page attributes a page may inherit from its parents in the source's page tree (PDF 32000 7.7.3.4).
INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
# Page keys that point into source structures the joined file does not carry.
DROPPED_PAGE_KEYS = {"/Parent", "/StructParents", "/B", "/Thumb", "/PieceInfo"}


# What a stamp draws over a page (content-stream operators), from the page's
# 0-based index in the joined file and its visible box (crop box, else media box; unrotated).
Stamp = Callable[[int, tuple[float, float, float, float]], bytes]


@dataclass
class OutlineEntry:
    title: str
    page: int  # 0-based page in the joined file
    children: list["OutlineEntry"] = field(default_factory=list)


@dataclass(frozen=True)
class StampFont:
    """The one font of a small sample PDF WeasyPrint made (a subset of the documents' own font,
    holding the characters the sample shows), to write stamps with. Each character's glyph code
    and advance width come from the font's own /ToUnicode map and /W widths, so a stamp's text
    extracts, measures and looks like the documents' text, and the font is copied, not parsed."""

    sample: bytes  # the PDF the font is copied from
    key: tuple[int, int]  # the font dictionary's object number and generation in `sample`
    glyphs: dict[str, tuple[int, float]]  # character -> (glyph code, advance in 1/1000 em)

    @classmethod
    def from_sample(cls, pdf: bytes) -> "StampFont":
        with PdfReader(io.BytesIO(pdf)) as reader:
            fonts = reader.pages[0]["/Resources"]["/Font"]
            if len(fonts) != 1:
                raise ValueError(f"the stamp's sample PDF must use exactly one font, not {len(fonts)}")
            ref = fonts.raw_get(next(iter(fonts)))
            if not isinstance(ref, IndirectObject):
                raise ValueError("the stamp's font must be an indirect object, to be copied once")
            font = ref.get_object()
            if font.get("/Encoding") != "/Identity-H":  # two-byte codes, each its CID: what /W is indexed by
                raise ValueError(f"the stamp's font is encoded {font.get('/Encoding')}, not /Identity-H")
            descendant = font["/DescendantFonts"][0].get_object()
            widths, default = _cid_widths(descendant.get("/W", [])), float(descendant.get("/DW", 1000))
            codes = _unicode_codes(font["/ToUnicode"].get_object().get_data())
            return cls(pdf, _key(ref), {char: (code, widths.get(code, default)) for char, code in codes.items()})

    def width(self, text: str, size: float) -> float:
        """The advance of `text` at `size` points, in points."""
        return sum(self._glyph(char)[1] for char in text) * size / 1000

    def show(self, name: str, text: str, size: float, x: float, y: float) -> bytes:
        """Content-stream operators writing `text` with its baseline starting at (x, y), in
        this font under the resource `name`."""
        codes = b"".join(b"%04x" % self._glyph(char)[0] for char in text)
        return b"BT\n%s %.2f Tf\n%.2f %.2f Td\n<%s> Tj\nET\n" % (_plain(NameObject(name)), size, x, y, codes)

    def show_right(self, name: str, text: str, size: float, right: float, y: float) -> bytes:
        """`show`, with the text ending at x = `right` (a footer's or running head's right margin)."""
        return self.show(name, text, size, right - self.width(text, size), y)

    def _glyph(self, char: str) -> tuple[int, float]:
        if char not in self.glyphs:
            raise ValueError(f"the stamp's font has no glyph for {char!r}: add it to the sample text")
        return self.glyphs[char]


def _unicode_codes(cmap: bytes) -> dict[str, int]:
    """character -> code, from the bfchar entries of a ToUnicode CMap (WeasyPrint writes no ranges)."""
    codes = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            codes.setdefault(bytes.fromhex(text.decode()).decode("utf-16-be"), int(code, 16))
    return codes


def _cid_widths(w) -> dict[int, float]:
    """CID -> width from a CIDFont's /W array: `c [w1 w2 ...]` and `c_first c_last w` runs."""
    widths, items, i = {}, [item.get_object() for item in w], 0
    while i < len(items):
        if isinstance(items[i + 1], ArrayObject):
            widths.update((int(items[i]) + n, float(width)) for n, width in enumerate(items[i + 1]))
            i += 2
        else:
            widths.update((cid, float(items[i + 2])) for cid in range(int(items[i]), int(items[i + 1]) + 1))
            i += 3
    return widths


class _Counting:
    """The output file, its position (for xref offsets) and a sha-256 of everything written."""

    def __init__(self, handle: BinaryIO):
        self.handle, self.position, self.sha = handle, 0, hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.sha.update(data)
        self.position += len(data)


class PdfJoin:
    """`append()` each source in order, then `finish()` with the outline and metadata."""

    def __init__(self, handle: BinaryIO):
        self.out = _Counting(handle)
        self.offsets = array("Q", [0])  # by object number (0 is the free-list head): 8 bytes an object
        self.page_refs = array("Q")
        self.out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self.catalog, self.pages = self._reserve(), self._reserve()
        self.stamp_fonts: dict[str, int] = {}  # resource name -> object number, for stamped pages
        self.save_state: int | None = None  # the one "q" stream every stamped page's content starts with

    def _reserve(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def append(self, source, stamp: Stamp | None = None) -> int:
        """Copy every page of `source` (a path or binary stream), each with `stamp`'s content
        drawn over it if given; returns its first page's index."""
        data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source.read()
        return self.append_segment(self.segment(data, stamped=stamp is not None), data, stamp)

    def segment(self, data: bytes, stamped: bool = False) -> "Segment":
        """`data`'s pages as this file would copy them (with room for a stamp if `stamped`),
        numbered from 0: what `append_segment` writes, and what a caller may keep for the same bytes."""
        return Segment.record(data, tuple(sorted(self.stamp_fonts)) if stamped else None)

    def append_segment(self, segment: "Segment", data: bytes, stamp: Stamp | None = None, at: int | None = None) -> int:
        """Write `segment`, recorded from `data`, with this file's object numbers and `stamp` drawn
        over its pages; returns its first page's index."""
        return self.place(segment, data, stamp, at).first_page

    def place(self, segment: "Segment", data: bytes, stamp: Stamp | None = None, at: int | None = None) -> "Placement":
        """`append_segment`, returning where its objects were written. Its pages go after the last
        page, or into the slots `hold_pages` left at `at`."""
        if segment.stamp_fonts is not None and segment.stamp_fonts != tuple(sorted(self.stamp_fonts)):
            raise ValueError("the segment was recorded for other stamp fonts than this file embeds")
        if (segment.stamp_fonts is not None) != (stamp is not None):
            raise ValueError("a stamped segment needs a stamp, and a stamp a stamped segment")
        if stamp is not None:
            self._save_state()
        base, start = len(self.offsets), self.out.position
        first = self._take_pages(array("Q", (base + number for number, _ in segment.pages)), at)
        self.offsets.extend(array("Q", bytes(8 * segment.size)))
        numbers = {"pages": self.pages, "save_state": self.save_state or 0,
                   **{"font " + name: number for name, number in self.stamp_fonts.items()}}
        overlays = dict(segment.overlays)
        for number, parts in segment.writes:
            if number in overlays:
                page = overlays[number]
                body = _stream(b"Q\n" + stamp(first + page, segment.pages[page][1]))
            else:
                body = b"".join(part if type(part) is bytes else b"%d" % (base + part) if type(part) is int
                                else b"%d" % numbers[part] if type(part) is str else data[part[0]:part[1]]
                                for part in parts)
            self._object(base + number, body)
        return Placement(base, first, start, self.out.position - start,
                         array("Q", (offset - start for offset in self.offsets[base:])).tobytes(),
                         array("Q", (number for number, _ in segment.pages)).tobytes(), segment.stamp_fonts is not None)

    def copy_placed(self, placement: "Placement", data: bytes, at: int | None = None) -> "Placement":
        """Write the bytes another join of this file's shape wrote for `placement` (`data`, its
        `length` bytes from its `start`), unchanged: the same objects at the same numbers, so the
        same file as `place` would write. ValueError unless the next free object number is its base."""
        if placement.stamped:
            self._save_state()
        base, start = len(self.offsets), self.out.position
        if placement.base != base or len(data) != placement.length:
            raise ValueError(f"the placement is for objects from {placement.base} and {placement.length} bytes, "
                             f"not {base} and {len(data)}")
        offsets = array("Q", placement.offsets)
        if 0 not in offsets or not data.startswith(b"%d 0 obj\n" % (base + offsets.index(0))):  # the object written first
            raise ValueError("the placed bytes do not begin with the placement's first object")
        first = self._take_pages(array("Q", (base + number for number in array("Q", placement.pages))), at)
        self.offsets.extend(array("Q", (start + offset for offset in offsets)))
        self.out.write(data)
        return Placement(base, first, start, placement.length, placement.offsets, placement.pages, placement.stamped)

    def hold_pages(self, count: int) -> int:
        """Leave `count` places in the page order for pages whose objects are written later (the
        council packet's cover and index, laid out first but written after the documents, so that
        a longer index does not renumber every document's objects); returns the first place."""
        self.page_refs.extend(array("Q", bytes(8 * count)))
        return len(self.page_refs) - count

    def _take_pages(self, refs: array, at: int | None) -> int:
        """Put the pages' object numbers in the page order: after the last, or into held places."""
        if at is None:
            self.page_refs.extend(refs)
            return len(self.page_refs) - len(refs)
        if at < 0 or at + len(refs) > len(self.page_refs) or any(self.page_refs[at:at + len(refs)]):
            raise ValueError(f"no {len(refs)} held pages at {at}")
        self.page_refs[at:at + len(refs)] = refs
        return at

    def _save_state(self) -> None:
        if self.save_state is None:
            self.save_state = self._reserve()
            self._object(self.save_state, _stream(b"q\n"))

    def embed_font(self, name: str, font: "StampFont") -> None:
        """Write `font` into the file once; stamped pages then have it as the font resource `name`."""
        with PdfReader(io.BytesIO(font.sample)) as reader:
            recorder = _Recorder(reader, font.sample, None)
            recorder.number_of(IndirectObject(*font.key, reader))
            recorder.copy_pending()
        base = len(self.offsets)
        self.append_segment(recorder.segment(), font.sample)
        self.stamp_fonts[name] = base  # the font dictionary: the first object the recorder numbered
        self._save_state()  # here, not at the first stamped page: a placement's objects start where they did

    def finish(self, outline: list[OutlineEntry], info: dict[str, str], page_labels: list[tuple[int, str]] | None = None,
               identifier: bytes = b"") -> str:
        """Write the page tree, outline, metadata, cross-reference table and trailer; returns the sha-256."""
        if not all(self.page_refs):
            raise ValueError("pages were held and never written")
        kids = b" ".join(b"%d 0 R" % n for n in self.page_refs)
        self._object(self.pages, b"<</Type /Pages /Count %d /Kids [%s]>>" % (len(self.page_refs), kids))
        catalog = b"<</Type /Catalog /Pages %d 0 R" % self.pages
        if outline:
            catalog += b" /Outlines %d 0 R /PageMode /UseOutlines" % self._outline(outline)
        if page_labels:
            labels = b" ".join(b"%d <</S /%s>>" % (start, style.encode()) for start, style in page_labels)
            catalog += b" /PageLabels <</Nums [%s]>>" % labels
        self._object(self.catalog, catalog + b">>")
        info_number = self._reserve()
        self._object(info_number, b"<<" + b"".join(
            _plain(NameObject(f"/{key}")) + b" " + _text(value) for key, value in info.items()) + b">>")
        xref = self.out.position
        self.out.write(b"xref\n0 %d\n0000000000 65535 f \n" % len(self.offsets))
        self.out.write(b"".join(b"%010d 00000 n \n" % offset for offset in self.offsets[1:]))
        ident = hashlib.md5(identifier or b"sisterdocs").hexdigest().encode()  # noqa: S324 - a file identifier, not security
        self.out.write(b"trailer\n<</Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>]>>\nstartxref\n%d\n%%%%EOF\n"
                       % (len(self.offsets), self.catalog, info_number, ident, ident, xref))
        return self.out.sha.hexdigest()

    def _outline(self, entries: list[OutlineEntry]) -> int:
        root = self._reserve()
        first, last, count = self._outline_level(entries, root)
        self._object(root, b"<</Type /Outlines /First %d 0 R /Last %d 0 R /Count %d>>" % (first, last, count))
        return root

    def _outline_level(self, entries: list[OutlineEntry], parent: int) -> tuple[int, int, int]:
        numbers = [self._reserve() for _ in entries]
        count = len(entries)
        for i, (entry, number) in enumerate(zip(entries, numbers)):
            body = b"<</Title " + _text(entry.title) + b" /Parent %d 0 R /Dest [%d 0 R /Fit]" % (
                parent, self.page_refs[entry.page])
            if i:
                body += b" /Prev %d 0 R" % numbers[i - 1]
            if i + 1 < len(numbers):
                body += b" /Next %d 0 R" % numbers[i + 1]
            if entry.children:
                first, last, below = self._outline_level(entry.children, number)
                body += b" /First %d 0 R /Last %d 0 R /Count %d" % (first, last, -below)  # closed: a list of items
            self._object(number, body + b">>")
        return numbers[0], numbers[-1], count

    def _object(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.out.position
        self.out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")


@dataclass(frozen=True)
class Placement:
    """Where `place` wrote a segment: `length` bytes from `start`, its objects numbered from
    `base`, each at its offset from `start`, its pages first in the page order at `first_page`.
    A later join of the same file shape copies those bytes as they are (`copy_placed`) instead of
    reading the source again: what the council packet does with every document that did not change."""

    base: int
    first_page: int
    start: int
    length: int
    offsets: bytes  # array("Q"): each object's offset from `start`, by object number from `base`
    pages: bytes  # array("Q"): the pages' object numbers from `base`, in order
    stamped: bool

    def as_data(self) -> tuple:
        return (self.base, self.start, self.length, self.offsets, self.pages, self.stamped)

    @classmethod
    def from_data(cls, value) -> "Placement | None":
        """A placement from `as_data`'s tuple (its first page is the joining file's to choose), or
        None if it is not of that shape (a damaged or forged cache entry)."""
        if not _is_tuple(value) or len(value) != 6:
            return None
        base, start, length, offsets, pages, stamped = value
        if not (all(type(x) is int and x >= 0 for x in (base, start, length)) and type(offsets) is bytes
                and type(pages) is bytes and type(stamped) is bool and offsets and not len(offsets) % 8
                and not len(pages) % 8):
            return None
        size = len(offsets) // 8
        if any(offset >= length for offset in array("Q", offsets)) or any(n >= size for n in array("Q", pages)):
            return None
        return cls(base, 0, start, length, offsets, pages, stamped)


# A segment's object bodies are tuples of parts, written one after another:
#   bytes       PDF syntax as it is;
#   int         an object of the segment, by its number in the segment (the joined file adds its base);
#   str         an object of the joined file: "pages" (the page tree), "save_state" (the stamp's "q"
#               stream), "font /Name" (a stamp font);
#   (int, int)  a range of the source's own bytes (a stream's data, copied, never decoded).
Part = bytes | int | str | tuple[int, int]


@dataclass(frozen=True)
class Segment:
    """One source's pages and the objects they use, serialized once with the joined file's object
    numbers left open: writing a segment is joining bytes, so a segment kept from an earlier join
    of the same source bytes costs no parsing, and gives the same file as one recorded now."""

    size: int  # object numbers the segment takes, counted from the first free one
    pages: tuple[tuple[int, tuple[float, float, float, float]], ...]  # (page object, visible box) in order
    writes: tuple[tuple[int, tuple[Part, ...]], ...]  # (object, body parts) in the order written
    overlays: tuple[tuple[int, int], ...] = ()  # (stamp content object, index of its page in `pages`)
    stamp_fonts: tuple[str, ...] | None = None  # the stamp fonts' names it was recorded for; None: unstamped

    @classmethod
    def record(cls, data: bytes, stamp_fonts: tuple[str, ...] | None = None) -> "Segment":
        """ValueError for bytes pypdf cannot read as a PDF (whatever pypdf's own error)."""
        try:
            with PdfReader(io.BytesIO(data)) as reader:  # closing it empties its object cache, which refers back to it
                recorder = _Recorder(reader, data, stamp_fonts)
                recorder.copy_pages()
                return recorder.segment()
        except PyPdfError as exc:
            raise ValueError(f"not a readable PDF ({exc})") from None

    def as_data(self) -> tuple:
        return (self.size, self.pages, self.writes, self.overlays, self.stamp_fonts)

    @classmethod
    def from_data(cls, value, source_size: int) -> "Segment | None":
        """A segment from `as_data`'s tuple, for a source of `source_size` bytes, or None if it is
        not of that shape (a damaged or forged cache entry: the caller records the segment again)."""
        if not _is_tuple(value) or len(value) != 5 or type(value[0]) is not int:
            return None
        size, pages, writes, overlays, fonts = value
        if not (_is_tuple(pages) and _is_tuple(writes) and _is_tuple(overlays) and len(writes) == size):
            return None
        numbers = range(size)
        ok = ((fonts is None or (_is_tuple(fonts) and all(type(f) is str for f in fonts)))
              and all(_is_tuple(w) and len(w) == 2 and _is_number(w[0], numbers) and _is_tuple(w[1])
                      and all(_is_part(part, numbers, fonts, source_size) for part in w[1]) for w in writes)
              and sorted(w[0] for w in writes) == list(numbers)  # every object written, once
              and all(_is_tuple(p) and len(p) == 2 and _is_number(p[0], numbers) and _is_tuple(p[1]) and len(p[1]) == 4
                      and all(type(x) is float for x in p[1]) for p in pages)
              and len({p[0] for p in pages}) == len(pages)
              and all(_is_tuple(o) and len(o) == 2 and _is_number(o[0], numbers) and _is_number(o[1], range(len(pages)))
                      for o in overlays)
              and sorted(o[1] for o in overlays) == (list(range(len(pages))) if fonts is not None else []))  # a stamp a page
        return cls(size, pages, writes, overlays, fonts) if ok else None


def _is_tuple(value) -> bool:
    return type(value) is tuple


def _is_number(value, numbers: range) -> bool:
    return type(value) is int and value in numbers


def _is_part(part, numbers: range, fonts, source_size: int) -> bool:
    kind = type(part)
    if kind is bytes:
        return True
    if kind is int:
        return part in numbers
    if kind is str:
        return part in ("pages", "save_state") or (fonts is not None and part.startswith("font ") and part[5:] in fonts)
    return kind is tuple and len(part) == 2 and all(type(x) is int for x in part) and 0 <= part[0] <= part[1] <= source_size


class _Recorder:
    """Serializes one source's objects into a Segment: the source's object numbers become the
    segment's own (0, 1, ...), in the order they are met, pages first."""

    def __init__(self, reader: PdfReader, data: bytes, stamp_fonts: tuple[str, ...] | None):
        self.reader, self.data, self.stamp_fonts = reader, data, stamp_fonts
        self.size = 0
        self.numbers: dict[tuple[int, int], int] = {}
        self.pending: list[IndirectObject] = []
        self.stamped_fonts: dict[tuple[int, int], int] = {}  # a source font dictionary -> its copy with the stamp fonts
        self.pages: list[tuple[int, tuple[float, float, float, float]]] = []
        self.writes: list[tuple[int, tuple[Part, ...]]] = []
        self.overlays: list[tuple[int, int]] = []

    def segment(self) -> Segment:
        return Segment(self.size, tuple(self.pages), tuple(self.writes), tuple(self.overlays), self.stamp_fonts)

    def reserve(self) -> int:
        self.size += 1
        return self.size - 1

    def number_of(self, ref: IndirectObject) -> int:
        key = _key(ref)
        if key not in self.numbers:
            self.numbers[key] = self.reserve()
            self.pending.append(ref)
        return self.numbers[key]

    def write(self, number: int, parts: list) -> None:
        self.writes.append((number, _merged(parts)))

    def copy_pages(self) -> None:
        pages = list(self.reader.pages)
        for page in pages:  # pages first, so links and annotations that point at them are remapped
            self.numbers[_key(page.indirect_reference)] = self.reserve()
        for page in pages:
            number = self.numbers[_key(page.indirect_reference)]
            entries = {key: value for key, value in page.items() if key not in DROPPED_PAGE_KEYS}
            if "/Annots" in entries:
                entries["/Annots"] = _without_form_fields(entries["/Annots"])
                if not entries["/Annots"]:
                    del entries["/Annots"]
            for key in INHERITED:
                inherited = None if key in entries else page.get_inherited(key)
                if inherited is not None:
                    entries[key] = inherited
            box = (0.0, 0.0, 0.0, 0.0)
            if self.stamp_fonts is not None:  # where the stamp goes: the visible box (crop box, else media box)
                box = tuple(float(x) for x in (entries.get("/CropBox") or entries["/MediaBox"]).get_object())
            self.pages.append((number, box))
            if self.stamp_fonts is not None:
                entries = self._stamped(entries, len(self.pages) - 1)
            parts: list = []
            self._entries(entries, parts, close=False)
            self.write(number, parts + [b"/Parent ", "pages", b" 0 R>>"])
        self.copy_pending()

    def copy_pending(self) -> None:
        """Write every source object numbered so far, and those they refer to in turn."""
        while self.pending:
            ref = self.pending.pop()
            value, parts = ref.get_object(), []
            if isinstance(value, StreamObject):
                self._stream(value, ref, parts)
            else:
                self._put(value, parts)
            self.write(self.numbers[_key(ref)], parts)

    def _stamped(self, entries: dict, page: int) -> dict:
        """The page dictionary with the stamp drawn after the page's own content, and the stamp
        fonts added to its font resources. The own content is wrapped in q ... Q, so whatever
        state it leaves behind (WeasyPrint flips the y axis) does not reach the stamp."""
        if not self.stamp_fonts:
            raise ValueError("embed_font() the stamp's font before appending stamped pages")
        drawn = self.reserve()
        self.overlays.append((drawn, page))
        self.writes.append((drawn, ()))  # its body is the stamp, drawn when the page's place is known
        own = self._content_refs(entries.get("/Contents"))
        stamped = dict(entries)
        stamped["/Contents"] = _Parts([b"[", "save_state", b" 0 R ", *own, drawn, b" 0 R]"])
        stamped["/Resources"] = _Parts(self._resources_with_stamp_fonts(entries.get("/Resources")))
        return stamped

    def _content_refs(self, contents: PdfObject | None) -> list:
        """The page's content streams as references, each followed by a space: /Contents is a
        stream or an array of them."""
        if contents is None:
            return []
        resolved = contents.get_object()
        parts: list = []
        for part in (list(resolved) if isinstance(resolved, ArrayObject) else [contents]):
            self._put(part, parts)
            parts.append(b" ")
        return parts

    def _resources_with_stamp_fonts(self, resources: PdfObject | None) -> list:
        resources = DictionaryObject() if resources is None else resources.get_object()
        parts: list = []
        self._entries({key: value for key, value in resources.items() if key != "/Font"}, parts, close=False)
        return parts + [b"/Font ", *self._fonts_with_stamp_fonts(resources.get("/Font")), b">>"]

    def _fonts_with_stamp_fonts(self, fonts: PdfObject | None) -> list:
        """A page's font resources with the stamp fonts added. The pages of a WeasyPrint document
        share one font dictionary: its stamped copy is written once, and each page refers to it."""
        if isinstance(fonts, IndirectObject) and _key(fonts) in self.stamped_fonts:
            return [self.stamped_fonts[_key(fonts)], b" 0 R"]
        own = DictionaryObject() if fonts is None else fonts.get_object()
        clash = set(own) & set(self.stamp_fonts)
        if clash:
            raise ValueError(f"a page already names a font {sorted(clash)[0]}: choose another name for the stamp's font")
        body: list = []
        self._entries(own, body, close=False)
        for name in self.stamp_fonts:
            body += [_plain(NameObject(name)) + b" ", "font " + name, b" 0 R\n"]
        body.append(b">>")
        if not isinstance(fonts, IndirectObject):
            return body
        number = self.stamped_fonts[_key(fonts)] = self.reserve()
        self.write(number, body)
        return [number, b" 0 R"]

    def _stream(self, value: StreamObject, ref: IndirectObject, parts: list) -> None:
        """A stream as stored (still encoded): its data is a range of the source's bytes where it
        can be found there (it always can in an unencrypted file), else the bytes themselves."""
        data = value._data
        self._entries({k: v for k, v in value.items() if k != "/Length"}, parts, close=False)
        parts.append(b" /Length %d>>\nstream\n" % len(data))
        offset = self.reader.xref.get(ref.generation, {}).get(ref.idnum)
        start = self.data.find(data, offset) if isinstance(offset, int) and data else -1
        parts += [(start, start + len(data)) if start >= 0 else data, b"\nendstream"]

    def _put(self, value: PdfObject | None, parts: list) -> None:
        """`value` as PDF syntax, its indirect references numbered in the segment."""
        if isinstance(value, _Parts):
            parts.extend(value)
        elif isinstance(value, IndirectObject):
            parts += [self.number_of(value), b" 0 R"]
        elif isinstance(value, StreamObject):
            raise ValueError("a stream inside another object: not a valid PDF")
        elif isinstance(value, DictionaryObject):
            self._entries(value, parts)
        elif isinstance(value, ArrayObject):
            parts.append(b"[")
            for i, item in enumerate(value):
                if i:
                    parts.append(b" ")
                self._put(item, parts)
            parts.append(b"]")
        else:
            parts.append(_plain(NullObject() if value is None else value))

    def _entries(self, entries, parts: list, close: bool = True) -> None:
        parts.append(b"<<")
        for key, item in entries.items():
            parts.append(_plain(NameObject(key)) + b" ")
            self._put(item, parts)
            parts.append(b"\n")
        if close:
            parts.append(b">>")


class _Parts(list):
    """PDF syntax already recorded as parts, to go into a dictionary as it is."""


def _merged(parts: list) -> tuple[Part, ...]:
    """`parts` with neighbouring bytes joined into one."""
    merged: list = []
    run: list[bytes] = []
    for part in parts:
        if type(part) is bytes:
            run.append(part)
            continue
        if run:
            merged.append(b"".join(run))
            run = []
        merged.append(part)
    if run:
        merged.append(b"".join(run))
    return tuple(merged)


def _without_form_fields(annots: PdfObject) -> ArrayObject:
    """A page's annotations without its form widgets (a final document's signature fields): a
    joined file has no form, and a field belongs to the document that is signed, not to a copy."""
    kept = [a for a in annots.get_object() if a.get_object().get("/Subtype") != "/Widget"]
    return ArrayObject(kept)


def _key(ref: IndirectObject) -> tuple[int, int]:
    return ref.idnum, ref.generation


def _stream(data: bytes) -> bytes:
    return b"<</Length %d>>\nstream\n" % len(data) + data + b"\nendstream"


def _plain(value: PdfObject) -> bytes:
    buffer = io.BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()


def _text(value: str) -> bytes:
    return _plain(TextStringObject(value))
