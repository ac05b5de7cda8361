"""The streaming PDF join the council packet is written with: correct, deterministic, flat in memory."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import tracemalloc

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, FloatObject, NameObject, NumberObject

from pipeline.pdfjoin import OutlineEntry, PdfJoin, Placement, Segment, StampFont
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


def sample_font() -> StampFont:
    html = ('<html><head><style>@font-face { font-family: Doc; src: url(fonts/LiberationSerif-Bold.ttf); }'
            'body { font-family: Doc; }</style></head><body>Stamp 0123456789</body></html>')
    return StampFont.from_sample(html_to_pdf(html, "sample").pdf)


def corner_stamp(font: StampFont):
    """Draws "Stamp N" (N the page's index) 20 points in from the top-right corner of its box."""
    def draw(index: int, box) -> bytes:
        text = f"Stamp {index}"
        return font.show("/Stamp", text, 10, box[2] - 20 - font.width(text, 10), box[3] - 20)
    return draw


def join(sources: list[bytes], outline=None, labels=None, stamp_font: StampFont | None = None) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    joiner = PdfJoin(buffer)
    if stamp_font:
        joiner.embed_font("/Stamp", stamp_font)
    for source in sources:
        joiner.append(io.BytesIO(source), corner_stamp(stamp_font) if stamp_font else None)
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


def test_a_stamp_is_drawn_over_every_page_where_it_says_in_a_font_embedded_once():
    font = sample_font()
    sources = [document("Alpha", 2), inheriting_document()]
    data, _ = join(sources, stamp_font=font)
    assert data == join(sources, stamp_font=font)[0]  # deterministic
    reader = PdfReader(io.BytesIO(data), strict=True)
    unstamped = texts(PdfReader(io.BytesIO(join(sources)[0])))
    assert texts(reader) == [f"{text}\nStamp {n}".lstrip("\n") for n, text in enumerate(unstamped)]
    stamp_fonts = {page["/Resources"]["/Font"].raw_get("/Stamp").idnum for page in reader.pages}
    assert len(stamp_fonts) == 1 and embedded(reader.get_object(stamp_fonts.pop()))
    for page in reader.pages:  # the source's own fonts are still there beside it
        assert all(embedded(f.get_object()) for f in page["/Resources"]["/Font"].values())
    # WeasyPrint's pages flip the y axis and never restore it: the stamp is still drawn in page space.
    runs = []
    reader.pages[1].extract_text(visitor_text=lambda text, cm, tm, *_: runs.append((text, cm, tm)) if text.strip() else None)
    text, cm, tm = runs[-1]
    assert text == "Stamp 1" and list(cm) == [1, 0, 0, 1, 0, 0]
    width, height = (float(x) for x in reader.pages[1]["/MediaBox"][2:])  # A4, WeasyPrint's default
    assert round(tm[4] + font.width("Stamp 1", 10), 2) == round(width - 20, 2) and round(tm[5], 2) == round(height - 20, 2)
    assert [float(x) for x in reader.pages[2]["/MediaBox"]] == [0, 0, 200, 300]  # inherited box, stamp at its corner
    assert "Stamp 2" in reader.pages[2].extract_text()


def test_a_stamp_refuses_characters_its_font_lacks_and_font_names_a_page_already_uses():
    font = sample_font()
    with pytest.raises(ValueError, match="no glyph for 'x'"):
        font.show("/Stamp", "x", 10, 0, 0)
    page_font = next(iter(PdfReader(io.BytesIO(document("Alpha", 1))).pages[0]["/Resources"]["/Font"]))
    joiner = PdfJoin(io.BytesIO())
    joiner.embed_font(page_font, font)
    with pytest.raises(ValueError, match="already names a font"):
        joiner.append(io.BytesIO(document("Alpha", 1)), corner_stamp(font))


def test_a_kept_segment_joins_to_the_same_bytes_wherever_it_goes_in_the_file():
    """A source's segment recorded in another join (other object numbers, other page indices),
    kept as plain data and written behind another document: the file a fresh join makes."""
    a, b = document("Alpha", 2), document("Beta", 3)
    font = sample_font()
    for stamped in (False, True):
        stamp = corner_stamp(font) if stamped else None
        fresh, _ = join([a, b], stamp_font=font if stamped else None)
        alone = PdfJoin(io.BytesIO())
        if stamped:
            alone.embed_font("/Stamp", font)
        kept = pickle.loads(pickle.dumps(alone.segment(b, stamped=stamped).as_data()))
        after_stream = [parts[i + 1] for _, parts in kept[2] for i, part in enumerate(parts[:-1])
                        if type(part) is bytes and part.endswith(b"\nstream\n")]
        assert after_stream and all(type(part) is tuple for part in after_stream)  # data: ranges of the source, not copies
        buffer = io.BytesIO()
        joiner = PdfJoin(buffer)
        if stamped:
            joiner.embed_font("/Stamp", font)
        joiner.append(io.BytesIO(a), stamp)
        assert joiner.append_segment(Segment.from_data(kept, len(b)), b, stamp) == 2
        joiner.finish([], {"Title": "Paquete — Packet"}, identifier=b"test")
        assert buffer.getvalue() == fresh
        with pytest.raises(ValueError, match="stamped segment needs a stamp"):
            joiner.append_segment(Segment.from_data(kept, len(b)), b, None if stamped else corner_stamp(font))


def test_a_kept_segment_of_another_shape_is_refused():
    """What a damaged or forged cache could hold: never written, so never a crash or a foreign byte."""
    b = document("Beta", 1)
    data = PdfJoin(io.BytesIO()).segment(b).as_data()
    size, pages, writes, overlays, fonts = data
    assert Segment.from_data(data, len(b)) is not None
    refused = [
        "segment", (size, pages, writes), (str(size), pages, writes, overlays, fonts),
        (size, pages, writes + ((size, (b"x",)),), overlays, fonts),  # an object beyond the segment's numbers
        (size, pages, ((0, ((0, len(b) + 1),)),), overlays, fonts),  # bytes beyond the source's end
        (size, pages, ((0, ((5, 4),)),), overlays, fonts),
        (size, pages, ((0, ("catalog",)),), overlays, fonts),  # an object of the joined file it may not name
        (size, pages, ((0, ("font /Stamp",)),), overlays, fonts),  # a stamp font, in an unstamped segment
        (size, pages, ((0, (-1,)),), overlays, fonts), (size, pages, ((0, (1.5,)),), overlays, fonts),
        (size, ((0, (0, 0, 1, "2")),), writes, overlays, fonts), (size, ((size, (0.0, 0.0, 1.0, 2.0)),), writes, overlays, fonts),
        (size, pages, writes, ((0, 7),), fonts), (size, pages, writes, overlays, ("/Stamp", 3)),
        [size, pages, writes, overlays, fonts],
        (size, ((0.0, (0.0, 0.0, 1.0, 2.0)),), writes, overlays, fonts),  # a number that is a float
        (size, pages, ((0, (1.0,)),) + writes[1:], overlays, fonts),
        (size, pages, writes, overlays, ("/Stamp",)),  # stamped, and no stamp on its page
        (-1, (), (), (), None), (size + 1, pages, writes, overlays, fonts),  # an object never written
        (size, pages, writes[:1] + writes[:1] + writes[2:], overlays, fonts),  # one written twice, one never
        (size, pages + pages[:1], writes, overlays, fonts),  # a page twice
    ]
    assert [value for value in refused if Segment.from_data(value, len(b)) is not None] == []
    stamped = PdfJoin(io.BytesIO())
    stamped.embed_font("/Stamp", sample_font())
    size, pages, writes, overlays, fonts = stamped.segment(b, stamped=True).as_data()
    refused = [
        (size, pages, tuple((n, tuple("/Stamp" if part == "font /Stamp" else part for part in parts)) for n, parts in writes),
         overlays, fonts),
        (size, pages, writes, overlays, None),  # overlays in an unstamped segment
    ]
    assert [value for value in refused if Segment.from_data(value, len(b)) is not None] == []


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


def test_bytes_a_join_placed_are_copied_into_the_next_join_as_the_file_a_fresh_join_makes():
    """The council packet's edit loop: documents whose bytes and places did not change are copied
    from the previous file (Placement), the changed one joined, the front pages' objects written
    last into places held first. The file is the one a join of every source makes."""
    font = sample_font()
    stamp = corner_stamp(font)
    front, a, b, c, b2 = (document("Front", 1), document("Alpha", 2), document("Beta", 1), document("Gamma", 2),
                          document("Beta two", 1))

    def packet(documents: list[bytes], previous: bytes | None = None, placements: list | None = None):
        buffer = io.BytesIO()
        joiner = PdfJoin(buffer)
        joiner.embed_font("/Stamp", font)
        assert joiner.hold_pages(1) == 0
        placed, copied = [], 0
        for n, data in enumerate(documents):
            kept = placements[n] if placements else None
            if kept is not None and kept.base == len(joiner.offsets):
                kept = Placement.from_data(pickle.loads(pickle.dumps(kept.as_data())))
                placed.append(joiner.copy_placed(kept, previous[kept.start:kept.start + kept.length]))
                copied += 1
            else:
                placed.append(joiner.place(joiner.segment(data, stamped=True), data, stamp))
        joiner.append_segment(joiner.segment(front, stamped=True), front, stamp, at=0)
        joiner.finish([OutlineEntry("Front", 0), OutlineEntry("Gamma", 4)], {"Title": "Packet"}, identifier=b"test")
        return buffer.getvalue(), placed, copied

    first, placed, copied = packet([a, b, c])
    assert copied == 0 and [p.first_page for p in placed] == [1, 3, 4]
    reader = PdfReader(io.BytesIO(first))
    assert [page.extract_text().split("\n")[0] for page in reader.pages] == [
        "Front, part 1", "Alpha, part 1", "Alpha, part 2", "Beta, part 1", "Gamma, part 1", "Gamma, part 2"]
    assert "Stamp 0" in reader.pages[0].extract_text() and "Stamp 5" in reader.pages[5].extract_text()

    # The same documents: every one copied, the same file.
    again, _, copied = packet([a, b, c], first, placed)
    assert copied == 3 and again == first
    # Beta changed, with as many objects: Alpha and Gamma copied, Beta joined.
    fresh, _, _ = packet([a, b2, c])
    changed, _, copied = packet([a, b2, c], first, [placed[0], None, placed[2]])
    assert copied == 2 and changed == fresh
    # A document placed at other object numbers than the next free one is refused, never written.
    joiner = PdfJoin(io.BytesIO())
    with pytest.raises(ValueError, match="placement is for objects from"):
        joiner.copy_placed(placed[1], first[placed[1].start:placed[1].start + placed[1].length])
    joiner = PdfJoin(io.BytesIO())
    joiner.embed_font("/Stamp", font)
    joiner.hold_pages(1)
    joiner.copy_placed(placed[0], first[placed[0].start:placed[0].start + placed[0].length])
    with pytest.raises(ValueError, match="do not begin with"):  # the bytes of another place in the file
        joiner.copy_placed(placed[1], first[placed[1].start + 1:placed[1].start + placed[1].length + 1])
    with pytest.raises(ValueError, match="no 1 held pages at 1"):  # Alpha's first page is there
        joiner.append_segment(joiner.segment(front, stamped=True), front, stamp, at=1)
    with pytest.raises(ValueError, match="held and never written"):  # the front page's place was never filled
        joiner.finish([], {})


def test_a_kept_placement_of_another_shape_is_refused():
    """What a damaged or forged cache could hold as a placement: a miss, never a crash."""
    joiner = PdfJoin(io.BytesIO())
    placement = joiner.place(joiner.segment(document("Beta", 1)), document("Beta", 1))
    data = placement.as_data()
    base, start, length, offsets, pages, stamped = data
    assert Placement.from_data(data) == Placement(base, 0, start, length, offsets, pages, stamped)
    refused = [
        "placement", list(data), data[:5], (-1, start, length, offsets, pages, stamped),
        (base, start, length, offsets[:-1], pages, stamped),  # not whole numbers of 8 bytes
        (base, start, length, b"", pages, stamped), (base, start, length, offsets, pages, 1),
        (base, start, 10, offsets, pages, stamped),  # an object beyond its bytes
        (base, start, length, offsets, pages + (1 << 20).to_bytes(8, "little"), stamped),  # a page that is no object of it
        (base, start, float(length), offsets, pages, stamped),
    ]
    assert [value for value in refused if Placement.from_data(value) is not None] == []
