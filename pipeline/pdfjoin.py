"""Join PDFs into one file, one source document at a time.

pypdf's PdfWriter keeps every page of every document until it writes: a 1,000-record council
packet would sit whole in memory. Here each source document's pages and the objects they use
are written to the file as soon as they are read and then forgotten; what stays is one number
per object (its offset, for the cross-reference table) and one reference per page. Sources are
read with pypdf; what is written is plain PDF 1.7 with a classic xref table, deterministic for
the same sources.
"""

from __future__ import annotations

import hashlib
import io
from array import array
from dataclasses import dataclass, field
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (ArrayObject, DictionaryObject, IndirectObject, NameObject, NullObject, PdfObject,
                           StreamObject, TextStringObject)

# Page attributes a page may inherit from its parents in the source's page tree (PDF 32000 7.7.3.4).
INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
# Page keys that point into source structures the joined file does not carry.
DROPPED_PAGE_KEYS = {"/Parent", "/StructParents", "/B", "/Thumb", "/PieceInfo"}


@dataclass
class OutlineEntry:
    title: str
    page: int  # 0-based page in the joined file
    children: list["OutlineEntry"] = field(default_factory=list)


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

    def _reserve(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def append(self, source) -> int:
        """Copy every page of `source` (a path or binary stream); returns its first page's index."""
        with PdfReader(source) as reader:  # closing it empties its object cache, which refers back to it
            return self._copy(reader)

    def _copy(self, reader: PdfReader) -> int:
        first = len(self.page_refs)
        numbers: dict[tuple[int, int], int] = {}
        pending: list[IndirectObject] = []

        def number_of(ref: IndirectObject) -> int:
            key = (ref.idnum, ref.generation)
            if key not in numbers:
                numbers[key] = self._reserve()
                pending.append(ref)
            return numbers[key]

        pages = list(reader.pages)
        for page in pages:  # pages first, so links and annotations that point at them are remapped
            numbers[(page.indirect_reference.idnum, page.indirect_reference.generation)] = self._reserve()
        for page in pages:
            number = numbers[(page.indirect_reference.idnum, page.indirect_reference.generation)]
            self.page_refs.append(number)
            entries = {key: value for key, value in page.items() if key not in DROPPED_PAGE_KEYS}
            for key in INHERITED:
                inherited = None if key in entries else page.get_inherited(key)
                if inherited is not None:
                    entries[key] = inherited
            body = self._dictionary(entries, number_of)
            self._object(number, body[:-2] + b"/Parent %d 0 R>>" % self.pages)
        while pending:
            ref = pending.pop()
            self._object(numbers[(ref.idnum, ref.generation)], self._serialize(ref.get_object(), number_of))
        return first

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


def _plain(value: PdfObject) -> bytes:
    buffer = io.BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()


def _text(value: str) -> bytes:
    return _plain(TextStringObject(value))
