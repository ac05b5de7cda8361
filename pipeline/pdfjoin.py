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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (ArrayObject, DictionaryObject, IndirectObject, NameObject, NullObject, PdfObject,
                           StreamObject, TextStringObject)

# Page attributes a page may inherit from its parents in the source's page tree (PDF 32000 7.7.3.4).
INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
# Page keys that point into source structures the joined file does not carry.
DROPPED_PAGE_KEYS = {"/Parent", "/StructParents", "/B", "/Thumb", "/PieceInfo"}


# What a stamp draws over a page (content-stream operators, or b"" for nothing), from the page's
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
        with PdfReader(source) as reader:  # closing it empties its object cache, which refers back to it
            return self._copy(reader, stamp)

    def embed_font(self, name: str, font: "StampFont") -> None:
        """Write `font` into the file once; stamped pages then have it as the font resource `name`."""
        with PdfReader(io.BytesIO(font.sample)) as reader:
            renumber = _Renumbering(self._reserve)
            number = renumber(IndirectObject(*font.key, reader))
            self._copy_pending(renumber)
        self.stamp_fonts[name] = number

    def _copy(self, reader: PdfReader, stamp: Stamp | None) -> int:
        first = len(self.page_refs)
        renumber = _Renumbering(self._reserve)
        pages = list(reader.pages)
        for page in pages:  # pages first, so links and annotations that point at them are remapped
            renumber.numbers[_key(page.indirect_reference)] = self._reserve()
        for page in pages:
            number = renumber.numbers[_key(page.indirect_reference)]
            self.page_refs.append(number)
            entries = {key: value for key, value in page.items() if key not in DROPPED_PAGE_KEYS}
            if "/Annots" in entries:
                entries["/Annots"] = _without_form_fields(entries["/Annots"])
                if not entries["/Annots"]:
                    del entries["/Annots"]
            for key in INHERITED:
                inherited = None if key in entries else page.get_inherited(key)
                if inherited is not None:
                    entries[key] = inherited
            overlay = b""
            if stamp is not None:
                box = (entries.get("/CropBox") or entries["/MediaBox"]).get_object()
                overlay = stamp(len(self.page_refs) - 1, tuple(float(x) for x in box))
            body = self._dictionary(entries, renumber) if not overlay else self._stamped(entries, overlay, renumber)
            self._object(number, body[:-2] + b"/Parent %d 0 R>>" % self.pages)
        self._copy_pending(renumber)
        return first

    def _copy_pending(self, renumber: "_Renumbering") -> None:
        """Write every source object numbered so far, and those they refer to in turn."""
        while renumber.pending:
            ref = renumber.pending.pop()
            self._object(renumber.numbers[_key(ref)], self._serialize(ref.get_object(), renumber))

    def _stamped(self, entries: dict, overlay: bytes, renumber: "_Renumbering") -> bytes:
        """The page dictionary with `overlay` drawn after the page's own content, and the stamp
        fonts added to its font resources. The own content is wrapped in q ... Q, so whatever
        state it leaves behind (WeasyPrint flips the y axis) does not reach the stamp."""
        if not self.stamp_fonts:
            raise ValueError("embed_font() the stamp's font before appending stamped pages")
        if self.save_state is None:
            self.save_state = self._reserve()
            self._object(self.save_state, _stream(b"q\n"))
        drawn = self._reserve()
        self._object(drawn, _stream(b"Q\n" + overlay))
        own = self._content_refs(entries.get("/Contents"), renumber)
        stamped = dict(entries)
        stamped["/Contents"] = _Raw(b"[%d 0 R %s%d 0 R]" % (self.save_state, own, drawn))
        stamped["/Resources"] = _Raw(self._resources_with_stamp_fonts(entries.get("/Resources"), renumber))
        return self._dictionary(stamped, renumber)

    def _content_refs(self, contents: PdfObject | None, renumber: "_Renumbering") -> bytes:
        """The page's content streams as references, each followed by a space: /Contents is a
        stream or an array of them."""
        if contents is None:
            return b""
        resolved = contents.get_object()
        parts = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
        return b"".join(self._serialize(part, renumber) + b" " for part in parts)

    def _resources_with_stamp_fonts(self, resources: PdfObject | None, renumber: "_Renumbering") -> bytes:
        resources = DictionaryObject() if resources is None else resources.get_object()
        others = {key: value for key, value in resources.items() if key != "/Font"}
        return self._dictionary(others, renumber)[:-2] + b"/Font " + self._fonts_with_stamp_fonts(
            resources.get("/Font"), renumber) + b">>"

    def _fonts_with_stamp_fonts(self, fonts: PdfObject | None, renumber: "_Renumbering") -> bytes:
        """A page's font resources with the stamp fonts added. The pages of a WeasyPrint document
        share one font dictionary: its stamped copy is written once, and each page refers to it."""
        if isinstance(fonts, IndirectObject) and _key(fonts) in renumber.stamped_fonts:
            return b"%d 0 R" % renumber.stamped_fonts[_key(fonts)]
        own = DictionaryObject() if fonts is None else fonts.get_object()
        clash = set(own) & set(self.stamp_fonts)
        if clash:
            raise ValueError(f"a page already names a font {sorted(clash)[0]}: choose another name for the stamp's font")
        body = self._dictionary(own, renumber)[:-2] + b"".join(
            _plain(NameObject(name)) + b" %d 0 R\n" % number for name, number in sorted(self.stamp_fonts.items())) + b">>"
        if not isinstance(fonts, IndirectObject):
            return body
        number = renumber.stamped_fonts[_key(fonts)] = self._reserve()
        self._object(number, body)
        return b"%d 0 R" % number

    def finish(self, outline: list[OutlineEntry], info: dict[str, str], page_labels: list[tuple[int, str]] | None = None,
               identifier: bytes = b"") -> str:
        """Write the page tree, outline, metadata, cross-reference table and trailer; returns the sha-256."""
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
        for offset in self.offsets[1:]:
            self.out.write(b"%010d 00000 n \n" % offset)
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

    def _serialize(self, value: PdfObject | None, number_of) -> bytes:
        """`value` as PDF syntax, its indirect references renumbered into the joined file."""
        if isinstance(value, _Raw):
            return bytes(value)
        if isinstance(value, IndirectObject):
            return b"%d 0 R" % number_of(value)
        if isinstance(value, StreamObject):
            data = value._data  # the stream as stored (still encoded): copied, never decoded
            head = self._dictionary({k: v for k, v in value.items() if k != "/Length"}, number_of)
            return head[:-2] + b" /Length %d>>\nstream\n" % len(data) + data + b"\nendstream"
        if isinstance(value, DictionaryObject):
            return self._dictionary(value, number_of)
        if isinstance(value, ArrayObject):
            return b"[" + b" ".join(self._serialize(item, number_of) for item in value) + b"]"
        if value is None:
            value = NullObject()
        return _plain(value)

    def _dictionary(self, entries, number_of) -> bytes:
        return b"<<" + b"".join(_plain(NameObject(key)) + b" " + self._serialize(item, number_of) + b"\n"
                                for key, item in entries.items()) + b">>"


class _Renumbering:
    """The joined file's object numbers for one source's objects, and the objects still to copy:
    called with a reference, it returns that object's number in the joined file."""

    def __init__(self, reserve: Callable[[], int]):
        self.reserve = reserve
        self.numbers: dict[tuple[int, int], int] = {}
        self.pending: list[IndirectObject] = []
        self.stamped_fonts: dict[tuple[int, int], int] = {}  # a source font dictionary -> its copy with the stamp fonts

    def __call__(self, ref: IndirectObject) -> int:
        key = _key(ref)
        if key not in self.numbers:
            self.numbers[key] = self.reserve()
            self.pending.append(ref)
        return self.numbers[key]


class _Raw(bytes):
    """PDF syntax already written out, to go into a dictionary as it is."""


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
