"""The DOCX's page furniture and tables, read back with python-docx.

The letterhead heads the first page only; every later page has the running header (the city and
the document); the footer is on every page. Tables have their columns sized for their content:
the grid fills the text width and no column is narrower than its longest word (a VIN, an amount).
"""

from __future__ import annotations

import io

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt, Twips
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from pipeline.docx_body import ColumnNeed, column_widths
from pipeline.docx_templates import make_template
from pipeline.documents import docx_documents
from pipeline.project import ASSETS
from pipeline.render import TEMPLATE_DIRS, reproducible_zip
from tests.conftest import BOMB, PW, SAL

TEXT_WIDTH = Twips(round((21.59 - 2 * 2.3) / 2.54 * 1440))  # US Letter less the 2.3cm margins, as the PDF's @page
CELL_MARGINS = Pt(8)  # 4pt either side, as the PDF's padding
VINS = {"1FVACXDT6EHFZ1234", "1FVHG3DV7BHAZ7781"}


def header_text(header) -> str:
    return " | ".join(p.text for p in header.paragraphs)


def field_codes(part) -> list[str]:
    return [" ".join(t.text.split()) for t in part._element.iter(qn("w:instrText"))]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_shells_are_what_docx_templates_writes_byte_for_byte(lang):
    """The committed shells are current (regenerated after a change to docx_templates.py) and reproducible."""
    for name in docx_documents(lang):
        buffer = io.BytesIO()
        make_template(lang).save(buffer)
        assert reproducible_zip(buffer.getvalue()) == (TEMPLATE_DIRS[lang] / f"{name}.docx").read_bytes(), name


def pdf_running_header(path, city: str) -> str:
    """The running header of the PDF's second page: the line that starts with the city's name and " · "."""
    lines = PdfReader(path).pages[1].extract_text().splitlines()
    (line,) = [line.strip() for line in lines if line.startswith(f"{city} · ")]
    return line


@pytest.mark.parametrize("stem, city, draft", [
    (SAL + "partnership_resolution.en", "City of Laredo", ""),
    (SAL + "partnership_resolution.es", "Ciudad de Laredo", ""),
    (SAL + "agreement.en", "City of Laredo", "DRAFT — FOR LEGAL REVIEW"),
    (SAL + "agreement_bilingual.es", "Ciudad de Laredo", "BORRADOR — PARA REVISIÓN JURÍDICA"),
    (BOMB + "approval_letter.es", "Ciudad de Laredo", ""),
])
def test_the_letterhead_heads_the_first_page_and_the_running_header_the_others(built, stem, city, draft):
    section = docx.Document(built[1] / f"{stem}.docx").sections[0]
    assert section.different_first_page_header_footer
    first, later = header_text(section.first_page_header), header_text(section.header)
    assert f"| {city} | 1110 Houston Street, Laredo, Texas 78040" in first
    running = pdf_running_header(built[1] / f"{stem}.pdf", city)  # the PDF's words, in the DOCX too
    assert len(running) > len(city) + 8 and later.startswith(running + "\t")
    if stem.endswith("_resolution.en"):
        assert running == "City of Laredo · Resolution No. 2026-R-119"
    assert "1110 Houston Street" not in later
    assert first.startswith(draft) and later.endswith(draft)  # the draft mark on every page, or on none
    if not draft:
        assert "DRAFT" not in first + later and "BORRADOR" not in first + later
    words = ("Page", "of") if stem.endswith(".en") else ("Página", "de")
    for footer in (section.first_page_footer, section.footer):
        assert footer.paragraphs[0].text.startswith(stem.split("/", 1)[1] + " · rev. ")
        assert f"{words[0]}  {words[1]} " in footer.paragraphs[0].text  # the numbers are fields
        assert field_codes(footer) == ["PAGE", "NUMPAGES"]


@pytest.mark.parametrize("stem", [PW + "donation_resolution.en", PW + "donation_resolution.es",
                                  BOMB + "approval_letter.en", BOMB + "approval_letter.es"])
def test_grid_tables_fill_the_text_width_with_columns_as_wide_as_their_longest_word(built, stem):
    tables = [t for t in docx.Document(built[1] / f"{stem}.docx").tables if t.style.name == "Table Grid"]
    assert len(tables) == 2
    for table in tables:
        grid = [Twips(int(c.get(qn("w:w")))) for c in table._tbl.tblGrid.iter(qn("w:gridCol"))]
        assert sum(grid) == pytest.approx(TEXT_WIDTH, abs=Twips(2))
        assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        for row in table.rows:
            assert [cell.width for cell in row.cells] == grid
            for cell, width in zip(row.cells, grid):
                for word, size, bold in cell_words(cell):
                    assert width - CELL_MARGINS >= advance(word, size, bold), (stem, word, width.pt)


def test_the_vin_column_holds_seventeen_characters_at_the_tables_type_size(built):
    document = docx.Document(built[1] / f"{PW}donation_resolution.en.docx")
    table = next(t for t in document.tables if t.style.name == "Table Grid")
    column = [c.text for c in table.rows[0].cells].index("VIN / serial")
    vin_cell = table.rows[1].cells[column]
    (vin, size, _), = cell_words(vin_cell)
    assert vin in VINS and len(vin) == 17
    assert size == Pt(9.5)  # as the PDF's table.grid
    assert vin_cell.width - CELL_MARGINS >= advance(vin, size, False) > 17 * 0.5 * size  # wider than 17 digits


def cell_words(cell):
    """(word, type size, bold) for every word of the cell."""
    for paragraph in cell.paragraphs:
        for run in paragraph.runs:
            for word in run.text.split():
                yield word, run.font.size, bool(run.bold)


def advance(word: str, size, bold: bool):
    """The word's width in the Times New Roman metrics (the shipped Liberation Serif has the same)."""
    font = _fonts()[bold]
    widths, cmap = font["hmtx"].metrics, font.getBestCmap()
    return int(sum(widths[cmap[ord(ch)]][0] for ch in word) * size / font["head"].unitsPerEm)


_LOADED: dict[bool, TTFont] = {}


def _fonts() -> dict[bool, TTFont]:
    if not _LOADED:
        for bold, name in ((False, "Regular"), (True, "Bold")):
            _LOADED[bold] = TTFont(ASSETS / "fonts" / f"LiberationSerif-{name}.ttf", lazy=True)
    return _LOADED


def need(word: float, line: float) -> ColumnNeed:
    return ColumnNeed(word=Pt(word), line=Pt(line))


def test_columns_share_the_room_left_by_what_their_text_wants():
    available = Pt(480)
    fits = column_widths([need(20, 30), need(40, 90)], available)
    assert sum(fits) == pytest.approx(available, abs=Twips(1)) and fits[0] < fits[1]
    tight = column_widths([need(20, 20), need(60, 900), need(30, 300)], available)
    assert sum(tight) == pytest.approx(available, abs=Twips(1))
    assert tight[0] >= Pt(20 + 8) and tight[1] > tight[2] >= Pt(30 + 8)  # no word broken; the long text gets the most
    crowded = column_widths([need(300, 300), need(300, 300)], available)
    assert sum(crowded) == pytest.approx(available, abs=Twips(1)) and crowded[0] == pytest.approx(crowded[1], abs=Twips(1))
