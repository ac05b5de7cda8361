"""Page layout of every PDF the build makes, on the example and on a batch of long names and many items.

Read from WeasyPrint's own boxes (tests/layout.py): no page holds only a closing, a signature block
or a date line; no signature block is split across pages; the DRAFT watermark is on every page of
a draft and fits inside it; every page after the first carries the running header.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pypdf import PdfReader

from pipeline.build import make_tasks
from pipeline.plan import plan
from pipeline.records import load_batch
from pipeline.render import SHARED_STYLESHEET, lay_out, render_html
from pipeline.validate import validate
from tests.conftest import AFTER_MEETING, BatchCopy, approve_donations
from tests.layout import page_contents, watermark_corners

MIN_BODY_WORDS = 8  # a closing page needs at least a real line of text above the signatures

VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))),
              "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10)))}


def vin(serial: int) -> str:
    """A North American VIN with a correct check digit (position 9)."""
    draft = f"1FVACXDT0EH{serial:06d}"
    total = sum(VIN_VALUES[c] * w for c, w in zip(draft, VIN_WEIGHTS))
    digit = "X" if total % 11 == 10 else str(total % 11)
    return draft[:8] + digit + draft[9:]


LONG_DEPARTMENTS = [
    {"en": "Parks, Recreation and Community Facilities Maintenance", "es": "Mantenimiento de Parques, Recreación e Instalaciones Comunitarias"},
    {"en": "Solid Waste Services and Environmental Compliance", "es": "Servicios de Residuos Sólidos y Cumplimiento Ambiental"},
    {"en": "Information Technology", "es": "Tecnologías de la Información"},
]


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):  # our loader refuses anchors: write repeated values out
        return True


def dump(data) -> str:
    return yaml.dump(data, Dumper=_NoAliases, allow_unicode=True, sort_keys=False)


def long_batch(root: Path) -> BatchCopy:
    """The example with the longest names a record plausibly holds and a donation of thirty items."""
    batch = BatchCopy(root)
    approve_donations(batch)
    city = yaml.safe_load(batch.path("city.yaml").read_text(encoding="utf-8"))
    city["officials"]["mayor"]["name"] = "María de los Ángeles Guadalupe Garza-Montemayor Villarreal"
    batch.write("city.yaml", dump(city))

    path = "partnerships/laredo-saltillo.yaml"
    record = yaml.safe_load(batch.path(path).read_text(encoding="utf-8"))
    record["partner"]["name"] = "Heroica Ciudad de Juchitán de Zaragoza"
    record["partner"]["state"] = "MX-OAX"
    record["officials"]["partner"]["name"] = "José Guadalupe de Jesús Hernández de la Fuente y Santibáñez"
    record["officials"]["partner_secretary"]["name"] = "María Fernanda del Socorro Villarreal Cantú de los Santos"
    record["objectives"] = record["objectives"] * 4
    record["reasons"] = record["reasons"] * 3
    proposal = record["proposal"]
    proposal["interested"] = {side: people * 4 for side, people in proposal["interested"].items()}
    proposal["activities"] = proposal["activities"] * 5
    proposal["budget"] = proposal["budget"] * 4
    org = {"en": "Binational Committee for Economic Development, Culture and Education of the Border Region",
           "es": "Comité Binacional de Desarrollo Económico, Cultura y Educación de la Región Fronteriza"}
    for side in ("city", "partner"):
        record["committee"][side] = [{**record["committee"][side][0], "name": f"{record['committee'][side][0]['name']} Quintanilla {n}",
                                      "organization": org} for n in range(6)]
    batch.write(path, dump(record))

    # the renewal adopted: its proclamation is read at the ceremony
    batch.replace("partnerships/dos-laredos.yaml", "  meeting_date: 2026-12-08\n",
                  "  meeting_date: 2026-12-08\n  adopted: true\n  vote: {ayes: 8, nays: 0, absent: 0, abstain: 0}\n")

    path = "donations/don-2026-nld-public-works.yaml"
    record = yaml.safe_load(batch.path(path).read_text(encoding="utf-8"))
    vehicle, lot = record["items"]
    items = []
    for n in range(30):
        if n % 3 == 0:
            items.append({**vehicle, "unit_number": f"FLT-{4500 + n}", "vin": vin(100000 + n),
                          "department": LONG_DEPARTMENTS[n % 2]})
        else:
            items.append({**lot, "unit_number": f"ASSET-2026-{n:05d}", "quantity": n + 2,
                          "department": LONG_DEPARTMENTS[n % 3],
                          "description": {"en": f"Lot of {n + 2} refurbished office chairs, steel filing cabinets and folding tables from the former municipal annex",
                                          "es": f"Lote de {n + 2} sillas de oficina reacondicionadas, archiveros metálicos y mesas plegables del antiguo anexo municipal"}})
    record["items"] = items
    batch.write(path, dump(record))
    return batch


def laid_out(folder: Path):
    """(document id, plan, pages) for every PDF a build of the batch after its meeting makes."""
    batch = load_batch(folder)
    report = validate(batch, as_of=AFTER_MEETING)
    assert not report.errors, [f.text() for f in report.errors]
    the_plan = plan(batch, report, AFTER_MEETING)
    tasks = [t for t in make_tasks(batch, the_plan, as_of=AFTER_MEETING) if "pdf" in t.plan.formats]
    return [(t.plan.doc_id, t.plan, page_contents(lay_out(render_html(t)))) for t in tasks]


@pytest.fixture(scope="module", params=["example", "long-names"])
def documents(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(request.param)
    batch = long_batch(root) if request.param == "long-names" else BatchCopy(root)
    if request.param == "example":
        approve_donations(batch)
    return laid_out(batch.folder)


def test_the_batches_make_every_kind_of_document(documents):
    kinds = {p.document for _, p, _ in documents}
    expected = {"partnership_resolution", "introduction_letter", "agreement", "agreement_bilingual", "agenda_item",
                "proposal", "assessment", "program_review", "work_plan", "evaluation_report", "status_resolution",
                "donation_resolution", "approval_letter", "notice", "release_receipt", "customs_letter", "pickup_designation",
                "title_assignment", "closing_memo"}
    assert kinds - {"proclamation"} == expected
    assert "proclamation" in kinds or not any(p.document == "proclamation" for _, p, _ in documents)
    assert any(not p.final for _, p, _ in documents), "a draft is needed to test the watermark"


def test_no_page_holds_only_a_closing_a_signature_block_or_a_date_line(documents):
    orphans = [f"{doc_id} page {page.number}: {page.body_words} words of text with {page.signing_words} of signatures"
               for doc_id, _, pages in documents for page in pages
               if page.signing_words and page.body_words < MIN_BODY_WORDS]
    assert not orphans, "\n".join(orphans)


MIN_PAGE_WORDS = 20  # fewer words than about two lines: a stub page, e.g. the last line of a list


def test_no_page_is_a_stub(documents):
    stubs = [f"{doc_id} page {page.number}: {page.body_words + page.signing_words} words"
             for doc_id, _, pages in documents for page in pages if page.body_words + page.signing_words < MIN_PAGE_WORDS]
    assert not stubs, "\n".join(stubs)


def test_no_signature_block_is_split_across_pages(documents):
    split = []
    for doc_id, _, pages in documents:
        seen: dict[int, int] = {}
        for page in pages:
            for element in page.signatures:
                if element in seen:
                    split.append(f"{doc_id}: a signature block on pages {seen[element]} and {page.number}")
                seen.setdefault(element, page.number)
    assert not split, "\n".join(split)


def test_no_text_runs_into_the_top_margin_over_the_running_header(documents):
    """A side-by-side clause split across pages once restarted its second column in the margin."""
    overprinted = [f"{doc_id} page {page.number}: {text!r}" for doc_id, _, pages in documents
                   for page in pages for text in page.in_top_margin]
    assert not overprinted, "\n".join(overprinted)


def test_every_word_in_a_table_or_a_side_by_side_column_fits_it(documents):
    """A VIN, an amount, a heading is never broken mid-word nor runs into the next column."""
    overflowing = [f"{doc_id} page {page.number}: {text!r}" for doc_id, _, pages in documents
                   for page in pages for text in page.overflowing]
    assert not overflowing, "\n".join(overflowing)


def test_the_watermark_is_on_every_page_of_a_draft_and_fits_inside_it(documents):
    problems = []
    for doc_id, the_plan, pages in documents:
        for page in pages:
            if the_plan.final:
                if page.watermark:
                    problems.append(f"{doc_id} page {page.number}: a final document with a DRAFT mark")
                continue
            if not page.watermark:
                problems.append(f"{doc_id} page {page.number}: no DRAFT mark")
            for x, y in watermark_corners(page):
                if not (0 <= x <= page.width and 0 <= y <= page.height):
                    problems.append(f"{doc_id} page {page.number}: the DRAFT mark runs off the page at ({x:.0f}, {y:.0f})")
                    break
    assert not problems, "\n".join(problems)


def test_the_watermark_check_sees_a_mark_that_runs_off_the_page():
    from tests.layout import PageContent

    page = PageContent(1, watermark=[(-142.0, 400.0, 1100.0, 40.0)], width=816.0, height=1056.0)
    assert any(not (0 <= x <= page.width) for x, _ in watermark_corners(page))
    fits = PageContent(1, watermark=[(158.0, 400.0, 500.0, 40.0)], width=816.0, height=1056.0)
    assert all(0 <= x <= fits.width and 0 <= y <= fits.height for x, y in watermark_corners(fits))


def test_the_letterhead_heads_the_first_page_and_a_running_header_every_later_one(built):
    result, out = built
    legal_name = {"en": "City of Laredo", "es": "Ciudad de Laredo"}
    act = {"en": "Resolution No. ", "es": "Resolución núm. "}
    checked = 0
    for document in result.plan.documents:
        pages = [page.extract_text().splitlines() for page in PdfReader(out / document.path("pdf")).pages]
        head = f"{legal_name[document.lang]} · "
        assert not any(line.startswith(head) for line in pages[0]), f"{document.doc_id}: a running header on page 1"
        assert pages[0][0].strip() == legal_name[document.lang], f"{document.doc_id}: page 1 opens {pages[0][0]!r}"
        for number, lines in enumerate(pages[1:], 2):
            running = [line for line in lines if line.startswith(head)]
            assert len(running) == 1, f"{document.doc_id} page {number}: running header {running}"
            if document.document.endswith("_resolution"):
                assert re.match(re.escape(head + act[document.lang]) + r"2026-R-\d{3}", running[0]), running[0]
            elif document.document.endswith("_letter"):
                issued = ("September 25, 2026", "25 de septiembre de 2026") if document.record_id == "don-2026-nld-school-bus" \
                    else ("December 9, 2026", "9 de diciembre de 2026")  # the school bus's letters went out in September
                assert running[0].endswith(" · " + issued[document.lang != "en"]), running[0]
            elif document.document == "agenda_item":
                assert running[0].startswith(head + "Agenda item 10.") and running[0].endswith(" · December 8, 2026"), running[0]
            elif document.document == "work_plan":
                words = ("Work plan 2027", "Programa operativo anual 2027")[document.lang == "es"]
                assert running[0] == head + words + " · Nuevo Laredo", running[0]
            elif document.document == "program_review":
                assert running[0] == head + "Review of the agreement in force · Nuevo Laredo", running[0]
            elif document.document in ("proposal", "assessment", "proclamation"):
                words = {"proposal": ("Proposal", "Propuesta"), "assessment": ("Assessment", ""),
                         "proclamation": ("Proclamation", "Proclama")}[document.document]
                assert running[0] == head + words[document.lang == "es"] + " · Saltillo", running[0]
            elif document.document.startswith("agreement"):
                titles = {"en": ("Sister City Agreement", "Friendship City Agreement"), "es": ("Acuerdo de Hermanamiento", "Acuerdo de Ciudades Amigas")}
                assert running[0] in [head + title for title in titles[document.lang]], running[0]
            else:
                assert running[0] == head + document.title, running[0]
            checked += 1
    assert checked > 40


def side_by_side(left: str, right: str = "corto", col_style: str = "") -> str:
    return (f'<html><head>{SHARED_STYLESHEET}</head><body><section class="pair"><div class="col" style="{col_style}"><p>{left}</p></div>'
            f'<div class="col"><p>{right}</p></div></section></body></html>')


def test_a_word_longer_than_its_side_by_side_column_breaks_inside_it_and_the_columns_stay_equal():
    word = "Juchitán" * 16  # no space to break at: a hostile or mistyped name
    document = lay_out(side_by_side(word))
    assert page_contents(document)[0].overflowing == []
    columns, plain = _columns(document), _columns(lay_out(side_by_side("short")))
    assert [(round(c.position_x, 2), round(c.width, 2)) for c in columns] == [(round(c.position_x, 2), round(c.width, 2)) for c in plain]
    assert columns[0].width == pytest.approx(columns[1].width)
    # the check itself sees a word that runs into the other language's column
    assert page_contents(lay_out(side_by_side(word, col_style="overflow-wrap: normal")))[0].overflowing == [word]


def _columns(document) -> list:
    """The boxes of a side-by-side pair's two columns, on the first page."""
    def walk(box):
        element = getattr(box, "element", None)
        if element is not None and box.element_tag == "div" and "col" in (element.get("class") or "").split():
            yield box
        for child in getattr(box, "children", ()):
            yield from walk(child)
    return list(walk(document.pages[0]._page_box))


def test_the_column_check_sees_a_word_too_wide_for_its_column():
    narrow = ('<html><body><table class="grid" style="width: 6cm; table-layout: fixed"><tr><td style="width: 1.5cm">'
              '1FVACXDT6EHFZ1234</td><td>as is</td></tr></table></body></html>')
    pages = page_contents(lay_out(narrow))
    assert pages[0].overflowing == ["1FVACXDT6EHFZ1234"]
