"""The streaming PDF join the council packet is written with: correct, deterministic, flat in memory."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, FloatObject, NameObject, NumberObject

from pipeline.pdfjoin import OutlineEntry, PdfJoin
from pipeline.render import html_to_pdf
from tests.conftest import DOS


def document(title: str, pages: int) -> bytes:
    body = "".join(f'<h1>{title}, part {n}</h1><p style="break-after: page">Text of {title} {n}.</p>'
                   for n in range(1, pages + 1))
    html = ('<html><head><style>@font-face { font-family: Doc; src: url(fonts/LiberationSerif-Regular.ttf); }'
            'body { font-family: Doc; }</style></head><body>' + body + "</body></html>")
    return html_to_pdf(html, title).pdf


def inheriting_document() -> bytes:
    """A PDF whose page takes its size and rotation from the page tree, as other producers write them."""
    writer = PdfWriter()
    writer.add_blank_page(200, 300)
    pages = writer._root_object["/Pages"].get_object()
    page = writer.pages[0]
    del page[NameObject("/MediaBox")]
    pages[NameObject("/MediaBox")] = ArrayObject([NumberObject(0), NumberObject(0), FloatObject(200), FloatObject(300)])
    pages[NameObject("/Rotate")] = NumberObject(90)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def join(sources: list[bytes], outline=None, labels=None) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    joiner = PdfJoin(buffer)
    for source in sources:
        joiner.append(io.BytesIO(source))
    sha = joiner.finish(outline or [], {"Title": "Paquete — Packet"}, page_labels=labels, identifier=b"test")
    return buffer.getvalue(), sha


def embedded(font) -> bool:
    descendants = font.get("/DescendantFonts")
    descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
    return descriptor is not None and any(key.startswith("/FontFile") for key in descriptor.get_object())


def texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def test_joined_pages_are_the_sources_pages_in_order_with_outline_labels_and_metadata():
    a, b = document("Alpha", 2), document("Beta", 3)
    data, sha = join([a, b], outline=[OutlineEntry("Alpha", 0), OutlineEntry("Beta", 2, [OutlineEntry("Beta 2", 3)])],
                     labels=[(0, "r"), (1, "D")])
    assert sha == hashlib.sha256(data).hexdigest()
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert texts(reader) == texts(PdfReader(io.BytesIO(a))) + texts(PdfReader(io.BytesIO(b)))
    outline = reader.outline
    assert [(e.title, reader.get_destination_page_number(e)) for e in outline if not isinstance(e, list)] == [
        ("Alpha", 0), ("Beta", 2)]
    assert [(e.title, reader.get_destination_page_number(e)) for e in outline[2]] == [("Beta 2", 3)]
    assert reader.page_labels == ["i", "1", "2", "3", "4"]
    assert reader.metadata.title == "Paquete — Packet"
    # Fonts travel with their pages: every font on every page still has its embedded font file.
    for page in reader.pages:
        assert all(embedded(font.get_object()) for font in page["/Resources"]["/Font"].values())


def test_pages_keep_what_they_inherited_from_their_source_page_tree():
    data, _ = join([document("Alpha", 1), inheriting_document()])
    page = PdfReader(io.BytesIO(data), strict=True).pages[1]
    assert [float(x) for x in page["/MediaBox"]] == [0, 0, 200, 300]
    assert page["/Rotate"] == 90


def test_the_same_sources_give_the_same_bytes():
    sources = [document("Alpha", 1), document("Beta", 2)]
    assert join(sources)[0] == join(sources)[0]


def test_memory_does_not_grow_with_the_number_of_documents():
    """One document or sixty, the join holds one at a time: pypdf's PdfWriter would hold all sixty."""
    source = document("Gamma", 3)

    def peak(copies: int) -> int:
        tracemalloc.start()
        try:
            joiner = PdfJoin(_Discard())
            for _ in range(copies):
                joiner.append(io.BytesIO(source))
            joiner.finish([], {})
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    one, sixty = peak(1), peak(60)
    assert sixty < 1.5 * one + 256 * 1024, (one, sixty)


class _Discard:
    """A file that forgets what it is given, so only the join's own memory is measured."""

    def write(self, data: bytes) -> int:
        return len(data)


def test_the_packet_is_joined_from_the_pages_the_manifest_counts(built):
    _, out = built
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    pdfs = [f for f in manifest["files"] if f["format"] in ("pdf", "pdfa") and f["record"] != "*"]
    assert pdfs and all(f["pages"] == len(PdfReader(out / f["path"]).pages) for f in pdfs)
    agreement = next(f for f in pdfs if f["path"] == DOS + "agreement_bilingual.en.pdf")
    assert agreement["pages"] >= 2
