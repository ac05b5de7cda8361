"""Assembled outputs: the council packet, the compliance report and the PDF/A archival copies."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
import yaml
from pypdf import PdfReader

from pipeline import assemble
from pipeline.build import build
from pipeline.records import load_batch
from tests.conftest import AFTER_MEETING, BOMB, BUS, DOS, MON, PW, ROOT, SAL, BatchCopy, approve_donations, pdf_text

# The example packet's documents in agenda order, and each agenda item's first document with its act's number.
# Each item opens with its agenda item memo, then the resolution (and, for an agreement, the
# bilingual text for information).
PACKET_PARTS = [DOS + "agenda_item.en.pdf", DOS + "partnership_resolution.en.pdf", DOS + "agreement_bilingual.en.pdf",
                DOS + "program_review.en.pdf",  # the grandfathered agreement's review against the program
                SAL + "agenda_item.en.pdf", SAL + "partnership_resolution.en.pdf", SAL + "agreement_bilingual.en.pdf",
                SAL + "proposal.en.pdf", SAL + "assessment.en.pdf",  # what the new relationship's agenda item attaches
                PW + "agenda_item.en.pdf", PW + "donation_resolution.en.pdf",
                BOMB + "agenda_item.en.pdf", BOMB + "donation_resolution.en.pdf",
                # a status change: its act, and the evaluation it rests on
                MON + "agenda_item.en.pdf", MON + "status_resolution.en.pdf", MON + "evaluation_report.en.pdf"]
ITEM_OPENERS = {"10.1": (PACKET_PARTS[0], "2026-R-118"), "10.2": (PACKET_PARTS[4], "2026-R-119"),
                "10.3": (PACKET_PARTS[9], "2026-R-120"), "10.4": (PACKET_PARTS[11], "2026-R-121"),
                "10.5": (PACKET_PARTS[13], "2026-R-122")}


def flat(text: str) -> str:
    return " ".join(text.split())


def outline_titles(reader: PdfReader) -> list:
    def walk(entries):
        return [walk(e) if isinstance(e, list) else (e.title, reader.get_destination_page_number(e)) for e in entries]
    return walk(reader.outline)


# --- council packet ----------------------------------------------------------------------------

def test_council_packet_holds_every_agenda_item_in_order_after_cover_and_index(built):
    _, out = built
    packet = PdfReader(out / "council-packet.pdf")
    parts = PACKET_PARTS
    lengths = [len(PdfReader(out / p).pages) for p in parts]
    front = len(packet.pages) - sum(lengths)
    assert front >= 1
    cover = flat(" ".join(packet.pages[i].extract_text() for i in range(front)))
    for phrase in ["City of Laredo", "Regular Meeting No. 2026-24", "December 8, 2026", "Index of agenda items",
                   "2026-R-118", "2026-R-122", f"Cover and index, page i of {['i', 'ii', 'iii'][front - 1]}"]:
        assert phrase in cover, phrase
    # Each part starts where the index says, and its first page is that document's first page.
    start = front
    for path, length in zip(parts, lengths):
        first_line = PdfReader(out / path).pages[0].extract_text().split("\n")[0]
        assert packet.pages[start].extract_text().split("\n")[0] == first_line, path
        start += length
    # The index counts the documents' pages from 1 after the front matter, and so do the page
    # labels a viewer shows: "go to page N" lands on the page the index calls N.
    index_pages = [int(n) for n in re.findall(r"p\. (\d+)\)", cover)]
    assert index_pages == [1 + sum(lengths[:i]) for i in range(len(parts))]
    assert packet.page_labels[:front] == ["i", "ii", "iii", "iv"][:front]
    assert [packet.page_labels.index(str(n)) for n in index_pages] == [front + n - 1 for n in index_pages]


def document_id(path: str) -> str:
    """The id a document prints in its footer, from its path: donations/<record>/<document>.<lang>.pdf."""
    return path.split("/", 1)[1].removesuffix(".pdf")


def stamps(text: str) -> list[str]:
    return re.findall(r"Packet page (\w+)", text)


def index_mismatches(packet: PdfReader) -> list[str]:
    """Every page number the printed index gives (an item's, in the Page column, and each of its
    documents', "p. N") that is not stamped on the page where that document starts: the page
    with its id and "Page 1 of" in the footer and, for an item, its act's number in the title."""
    texts = [page.extract_text() for page in packet.pages]
    stamped = {}
    for index, text in enumerate(texts):
        for label in stamps(text):
            stamped.setdefault(label, []).append(index)
    front = sum(not label.isdigit() for label in packet.page_labels)  # the cover and index: i, ii, ...
    cover = "\n".join(texts[:front])
    rows = re.findall(r"(?ms)^(\d+\.\d+) .*?^(\d+)$", cover)  # item number ... the line holding only its page
    assert [item for item, _ in rows] == list(ITEM_OPENERS), rows
    parts = re.findall(r"p\. (\d+)\)", flat(cover))
    assert len(parts) == len(PACKET_PARTS), parts
    expected = [(f"item {item}", page, *ITEM_OPENERS[item]) for item, page in rows]
    expected += [(f"document {document_id(path)}", page, path, "") for path, page in zip(PACKET_PARTS, parts)]
    problems = []
    for entry, page, path, number in expected:
        where = stamped.get(page, [])
        text = flat(texts[where[0]]) if len(where) == 1 else ""
        starts = document_id(path) + " · rev." in text and re.search(r"\bPage 1 of \d+", text)
        if not starts or (number and f"NO. {number}" not in text.upper()):
            problems.append(f"{entry}: the index says page {page}, stamped on packet pages {where}, "
                            f"where {document_id(path)} does not start")
    return problems


def reassembled(built) -> bytes:
    """The packet assembled again from the built documents, with the code as it is now."""
    result, out = built
    batch = load_batch(out.parent.parent / "records" / "example")
    files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    buffer = io.BytesIO()
    assemble.council_packet(buffer, out, batch, result.plan, files)
    return buffer.getvalue()


def test_every_packet_page_is_stamped_with_the_page_number_the_index_uses(built):
    packet = PdfReader(built[1] / "council-packet.pdf", strict=True)
    front = next(i for i, label in enumerate(packet.page_labels) if label == "1")
    documents = len(packet.pages) - front
    stamped = [stamps(page.extract_text()) for page in packet.pages]
    assert stamped == [[roman] for roman in ["i", "ii", "iii", "iv"][:front]] + [[str(n)] for n in range(1, documents + 1)]
    assert stamped == [[label] for label in packet.page_labels]  # as a viewer numbers them
    assert index_mismatches(packet) == []
    # The stamp is added to the page, not put in place of anything: each page still reads as its document.
    first = PdfReader(built[1] / PACKET_PARTS[0]).pages[0].extract_text()
    assert flat(packet.pages[front].extract_text()) == flat(first + "\nPacket page 1")


@pytest.mark.parametrize("shift", [-1, 1])
def test_a_stamp_off_by_one_page_is_caught(built, monkeypatch, shift):
    numbered = assemble.packet_page_label
    monkeypatch.setattr(assemble, "packet_page_label", lambda index, front: numbered(index + shift, front))
    problems = index_mismatches(PdfReader(io.BytesIO(reassembled(built))))
    assert len(problems) == len(ITEM_OPENERS) + len(PACKET_PARTS), problems


def test_the_packet_assembled_again_from_the_same_documents_is_the_same_bytes(built):
    assert reassembled(built) == (built[1] / "council-packet.pdf").read_bytes()


def text_boxes(page) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each text run on `page` with a generous box in page space: 0.6 em a character, 0.95 em
    above the baseline and 0.3 em below, turned with the run (the DRAFT watermark is diagonal)."""
    boxes = []

    def visit(text, cm, tm, font, size):
        line = max(text.split("\n"), key=len).strip()
        if not line:
            return
        a, b, c, d, e, f = (tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3],
                            tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3],
                            tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
        corners = [(x * a + y * c + e, x * b + y * d + f)
                   for x in (0, 0.6 * len(line) * size) for y in (-0.3 * size, 0.95 * size)]
        xs, ys = zip(*corners)
        boxes.append((line, (min(xs), min(ys), max(xs), max(ys))))

    page.extract_text(visitor_text=visit)
    return boxes


def test_the_stamp_sits_in_the_top_margin_clear_of_everything_the_documents_print(built):
    packet = PdfReader(built[1] / "council-packet.pdf")
    watermarked = 0
    for number, page in enumerate(packet.pages):
        boxes = text_boxes(page)
        stamp = [box for text, box in boxes if text.startswith("Packet page")]
        assert len(stamp) == 1, number
        left, bottom, right, top = stamp[0]
        assert bottom > 792 - 2.1 / 2.54 * 72 and left > 612 / 2  # in the top margin, on the right (US Letter)
        for text, (x0, y0, x1, y1) in boxes:
            if not text.startswith("Packet page"):
                assert x1 <= left or x0 >= right or y1 <= bottom or y0 >= top, (number, text)
        watermarked += any(text.startswith("DRAFT") for text, _ in boxes)
    assert watermarked  # the diagonal watermark was among what the stamp was held against


def test_council_packet_outline_is_one_entry_per_item_without_weasyprint_headings(built):
    packet = PdfReader(built[1] / "council-packet.pdf")
    outline = outline_titles(packet)
    top = [entry for entry in outline if not isinstance(entry, list)]
    assert [title for title, _ in top] == [
        "Cover and index",
        "Item 10.1: Renewal of the sister city relationship with Nuevo Laredo, Tamaulipas, Mexico, in place since 1986",
        "Item 10.2: Sister City Agreement with Saltillo, Coahuila de Zaragoza, Mexico",
        "Item 10.3: Donation of surplus equipment to Municipio de Nuevo Laredo",
        "Item 10.4: Donation of surplus equipment to Patronato de Bomberos de Nuevo Laredo, A.C.",
        "Item 10.5: Emeritus (inactive) status of the friendship city relationship with Monterrey, Nuevo León, Mexico"]
    children = [entry for entry in outline if isinstance(entry, list)]
    assert [title for title, _ in children[0]] == [
        "Agenda item memo",
        "Resolution No. 2026-R-118, with Exhibit A to Resolution No. 2026-R-118: the agreement and its program plan",
        "For information: the agreement in English and Spanish side by side, as it will be signed",
        "For information: staff's review of the agreement in force against the program"]
    assert [title for title, _ in children[-1]] == [
        "Agenda item memo", "Resolution No. 2026-R-122", "For information: the evaluation report"]
    assert all(page == children[i][0][1] for i, (_, page) in enumerate(top[1:]))  # an item opens on its first part
    assert "WHEREAS" not in json.dumps(outline)  # the documents' own heading bookmarks stay out


def test_packet_lists_an_item_whose_record_has_errors_as_withheld(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace("donations/don-2026-nld-bomberos.yaml", "book_value: 0", "book_value: 500")
    result = build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, keep_going=True, jobs=1)
    assert result.report.errors
    packet = PdfReader(tmp_path / "out" / "example" / "council-packet.pdf")
    cover = flat(packet.pages[0].extract_text())
    assert "withheld: the record has errors" in cover
    assert "Item 10.4" not in json.dumps(outline_titles(packet))


# --- compliance report -------------------------------------------------------------------------

def test_compliance_report_lists_status_findings_documents_and_gates_per_record(built):
    _, out = built
    data = json.loads((out / "compliance-report.json").read_text(encoding="utf-8"))
    records = {r["id"]: r for r in data["records"]}
    assert set(records) == {"dos-laredos", "laredo-saltillo", "laredo-monterrey", "don-2026-nld-public-works", "don-2026-nld-bomberos",
                            "don-2026-nld-school-bus"}
    bomberos = records["don-2026-nld-bomberos"]
    assert bomberos["status"] == "council_approved" and not bomberos["blocked"]
    assert [(f["rule"], f["field"], f["file"]) for f in bomberos["findings"]] == [
        ("vehicle.permit", "items[0].vehicle_type", "example/donations/don-2026-nld-bomberos.yaml")]
    assert BOMB + "release_receipt-city-copy.en.pdf" in bomberos["documents"]
    assert {h["document"] for h in records["dos-laredos"]["held_back"]} == {
        "introduction_letter", "agreement (final, archival PDF/A)", "partnership_resolution (archival PDF/A)", "proclamation"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sum(len(r["documents"]) for r in data["records"]) == sum(f["record"] != "*" for f in manifest["files"])
    assert data["summary"]["warnings"] == 1 and data["summary"]["errors"] == 0
    # Approved donations not yet picked up are deadlines; both were approved at the meeting. Both
    # partnerships went to the same meeting, and their records do not yet say what the council did.
    assert [(d["record"], d["kind"]) for d in data["deadlines"]] == [
        ("don-2026-nld-bomberos", "pickup"), ("don-2026-nld-public-works", "pickup"),
        ("dos-laredos", "council_action"), ("laredo-monterrey", "council_action"), ("laredo-saltillo", "council_action")]
    waiting = next(d for d in data["deadlines"] if d["record"] == "laredo-saltillo")
    assert waiting["date"] == "2026-12-08" and waiting["days"] == 1 and "record the council's action" in waiting["action"]
    html = (out / "compliance-report.html").read_text(encoding="utf-8")
    text = flat(pdf_text(out / "compliance-report.pdf"))
    for phrase in ["Compliance report: City of Laredo", "vehicle.permit", "approved but not picked up",
                   "drafts only until legal review is approved"]:
        assert phrase in text and phrase in html, phrase
    assert f'<a href="{BOMB}release_receipt-city-copy.en.pdf">' in html  # the browser copy links to the files


def test_compliance_report_warns_of_evaluations_due_and_signed_agreements_not_sent_to_sci(tmp_path):
    batch = BatchCopy(tmp_path)
    path = "partnerships/laredo-saltillo.yaml"
    batch.replace(path, "status: proposed", "status: signed")
    batch.replace(path, "legal_review:\n  status: pending\n",
                  "legal_review: {status: approved, reviewer: Marisa L. Benavides, date: 2026-12-01}\n"
                  "cabildo: {acta: '45/2026', date: 2026-12-10}\nsre: {dictamen: 'DGCJ-2026-0141', date: 2026-12-11}\n"
                  "signing:\n  date: 2026-12-15\n  place: {en: 'Saltillo, Coahuila', es: 'Saltillo, Coahuila'}\n"
                  "  signatories: {city: Elena R. Garza, partner: Javier H. Dávila Treviño}\n"
                  "evaluation_date: 2027-06-20\n")
    batch.approve_text(path)
    spring = dt.date(2027, 4, 1)
    report = batch.check(spring)
    assert not report.errors, [f.text() for f in report.errors]
    build(batch.folder, tmp_path / "out", as_of=spring, jobs=1)
    data = json.loads((tmp_path / "out" / "example" / "compliance-report.json").read_text(encoding="utf-8"))
    due = {(d["record"], d["kind"]): d for d in data["deadlines"]}
    assert due[("laredo-saltillo", "evaluation")]["days"] == 80
    assert due[("laredo-saltillo", "evaluation")]["action"].startswith("evaluation due in 80 days")
    assert "sisterdocs sci example laredo-saltillo" in due[("laredo-saltillo", "sci_submission")]["action"]
    assert ("laredo-saltillo", "council_action") not in due  # signed: the council acted
    # once the evaluation has happened and is recorded, it is no longer due
    batch.replace(path, "evaluation_date: 2027-06-20\n", "evaluation_date: 2027-06-20\nevaluation:\n  date: 2027-03-30\n"
                  "  by: {name: Daniel Ochoa}\n  results: [{component: economic_development_and_trade, kpi: 1, "
                  "result: {en: One forum, es: Un foro}, met: partly}]\n  activities_done: []\n  recommendation: adjust\n"
                  "  reasons: {en: Fewer companies than planned., es: Menos empresas de las previstas.}\n")
    build(batch.folder, tmp_path / "out", as_of=spring, jobs=1)
    data = json.loads((tmp_path / "out" / "example" / "compliance-report.json").read_text(encoding="utf-8"))
    assert ("laredo-saltillo", "evaluation") not in {(d["record"], d["kind"]) for d in data["deadlines"]}


def test_compliance_report_shows_hostile_record_text_literally(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace("donations/don-2026-nld-bomberos.yaml", "book_value: 0", "book_value: '<b>{{ 7*7 }}</b>'")
    build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, keep_going=True, jobs=1)
    html = (tmp_path / "out" / "example" / "compliance-report.html").read_text(encoding="utf-8")
    assert "<b>{{" not in html and "&lt;b&gt;{{ 7*7 }}&lt;/b&gt;" in html


# --- PDF/A archival copies ---------------------------------------------------------------------

def test_adopted_resolutions_get_a_pdfa_copy_carrying_their_record(built):
    _, out = built
    reader = PdfReader(out / "archival" / PW / "donation_resolution.en.pdf")
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part[=>\"]+3", xmp) and re.search(r"pdfaid:conformance[=>\"]+B", xmp)
    assert reader.trailer["/Root"].get("/OutputIntents")
    embedded = yaml.safe_load(reader.attachments["don-2026-nld-public-works.yaml"][0])
    source = yaml.safe_load((out.parent.parent / "records" / "example" / "donations" /
                             "don-2026-nld-public-works.yaml").read_text(encoding="utf-8"))
    archived = (out / "archival" / PW / "donation_resolution.en.pdf").read_bytes()
    for key in ("id_number", "name", "phone"):  # who picks up is nobody's business outside the city
        value = source["pickup"].pop(key, None)
        assert embedded["pickup"].pop(key, "(withheld: personal data)") == "(withheld: personal data)"
        assert value is None or value.encode("utf-8") not in archived, key
    assert embedded == source  # the record round-trips, less the personal data
    assert flat(pdf_text(out / "archival" / PW / "donation_resolution.en.pdf")) == \
        flat(pdf_text(out / (PW + "donation_resolution.en.pdf")))  # the same document, archived


def test_drafts_and_unadopted_resolutions_are_never_archived(built, tmp_path):
    _, out = built
    archived = sorted(p.relative_to(out / "archival").as_posix() for p in (out / "archival").rglob("*.pdf"))
    # Saltillo is still only proposed, and the record of the 1986 relationship does not yet say
    # the council adopted its renewal (council.adopted): a meeting date alone archives nothing.
    # Monterrey's agreement was approved and adopted in 2024; its emeritus designation is not adopted yet.
    # the school bus's resolution was adopted in September.
    assert archived == [BOMB + "donation_resolution.en.pdf", PW + "donation_resolution.en.pdf", BUS + "donation_resolution.en.pdf"] + [
        MON + f"{document}.{lang}.pdf" for document in ("agreement", "agreement_bilingual") for lang in ("en", "es")]
    batch = BatchCopy(tmp_path)
    batch.replace("partnerships/dos-laredos.yaml", "  meeting_date: 2026-12-08", "  meeting_date: 2026-12-08\n  adopted: true")
    adopted = build(batch.folder, tmp_path / "adopted", as_of=AFTER_MEETING, jobs=1)
    assert (tmp_path / "adopted" / "example" / "archival" / DOS / "partnership_resolution.en.pdf").is_file()
    assert "dos-laredos/agreement.en" not in {d.doc_id for d in adopted.plan.documents if d.final}  # no legal approval yet
    batch = BatchCopy(tmp_path / "early")
    build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING.replace(day=1), jobs=1)  # before the meeting
    early = sorted(p.relative_to(tmp_path / "out" / "example" / "archival").as_posix()
                   for p in (tmp_path / "out" / "example" / "archival").rglob("*.pdf"))
    # only the agreement in force since 2024 and the school bus's resolution adopted in September
    assert all(path.startswith((MON + "agreement", BUS)) for path in early), early


def test_a_final_agreement_is_archived_in_every_version(tmp_path):
    batch = BatchCopy(tmp_path)
    approve_donations(batch)
    batch.replace("partnerships/laredo-saltillo.yaml", "status: proposed", "status: council_approved")
    batch.replace("partnerships/laredo-saltillo.yaml", "legal_review:\n  status: pending\n",
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n")
    batch.approve_text("partnerships/laredo-saltillo.yaml")
    build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, jobs=2)
    archival = tmp_path / "out" / "example" / "archival" / SAL
    assert sorted(p.name for p in archival.iterdir()) == [
        "agreement.en.pdf", "agreement.es.pdf", "agreement_bilingual.en.pdf", "agreement_bilingual.es.pdf",
        "partnership_resolution.en.pdf"]
    reader = PdfReader(archival / "agreement_bilingual.en.pdf")
    assert yaml.safe_load(reader.attachments["laredo-saltillo.yaml"][0])["id"] == "laredo-saltillo"
    assert "DRAFT" not in pdf_text(archival / "agreement_bilingual.en.pdf")


def test_a_large_report_is_laid_out_in_parts_and_numbered_as_one(built, monkeypatch, tmp_path):
    """Past PART_RECORDS records the PDF is laid out a piece at a time (WeasyPrint's memory
    grows with a document); the reader sees one report, numbered "Page X of Y" throughout."""
    from pipeline import compliance

    _, out = built
    data = json.loads((out / "compliance-report.json").read_text(encoding="utf-8"))
    context = compliance.report_context(load_batch(BatchCopy(tmp_path).folder), data)
    whole = PdfReader(io.BytesIO(compliance.render_report(context)["compliance-report.pdf"]))
    monkeypatch.setattr(compliance, "PART_RECORDS", 1)
    parts = PdfReader(io.BytesIO(compliance.render_report(context)["compliance-report.pdf"]), strict=True)
    assert len(parts.pages) > len(whole.pages) >= 1  # each part starts on a new page
    footers = [re.findall(r"Page (\d+) of (\d+)", page.extract_text())[-1] for page in parts.pages]
    assert footers == [(str(n), str(len(parts.pages))) for n in range(1, len(parts.pages) + 1)]
    text = flat(" ".join(page.extract_text() for page in parts.pages))
    assert text.count("Compliance report: City of Laredo") == 1
    for record in data["records"]:
        assert text.count(f"{record['id']} ({record['kind']}") == 1, record["id"]


def long_report(built, records: int = 120, held_back: dict[int, int] | None = None) -> dict:
    """The example's report context, its records repeated to `records` (numbered "-k") and half as
    many donation requests: past PART_RECORDS, so its summary is laid out a page at a time."""
    import copy

    from pipeline import compliance

    _, out = built
    data = json.loads((out / "compliance-report.json").read_text(encoding="utf-8"))
    rows = []
    for k in range(records):
        row = copy.deepcopy(data["records"][k % len(data["records"])])
        row["id"] = f"{row['id']}-{k}"
        row["held_back"] = row["held_back"][:(held_back or {}).get(k, len(row["held_back"]))]
        rows.append(row)
    data["records"] = rows
    data["donation_log"] = [dict(data["donation_log"][0], id=f"req-{k}") for k in range(records // 2)]
    return compliance.report_context(load_batch(ROOT / "records" / "example"), data)


def summary_text(pages) -> list[str]:
    return [flat(page.extract_text()) for pdf in pages for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_long_reports_summary_shows_every_row_once_in_order_a_page_at_a_time(built):
    from pipeline import compliance, run_cache

    context = long_report(built)
    pages = compliance.summary_pages(context, run_cache.RunCache())
    text = summary_text(pages)
    assert len(pages) >= 5 and [len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pages] == [1] * len(pages)
    assert re.findall(r"\b(req-\d+) Municipio", " ".join(text)) == [f"req-{k}" for k in range(60)]
    records = re.findall(r"([a-z0-9-]+-\d+) (?:partnership|donation) ", " ".join(text))
    assert records == [row["id"] for row in context["report"]["records"]]
    assert "Compliance report: City of Laredo" in text[0] and all("Compliance report" not in page for page in text[1:])
    for heading, opens in (("Donation requests, in order of priority", "Tier 1: neighbouring"), ("Records", None)):
        shown = [page for page in text if f"{heading} " in page]
        assert len(shown) >= 2 and f"{heading} (continued)" not in shown[0], heading
        assert all(f"{heading} (continued)" in page for page in shown[1:]), heading  # a page that goes on says so
        if opens:
            assert [opens in page for page in shown] == [True] + [False] * (len(shown) - 1)
    assert not any(f"{row['id']} ({row['kind']}" in page for row in context["report"]["records"] for page in text)  # no details


def test_a_changed_summary_row_lays_out_again_only_its_page_and_the_same_bytes_as_afresh(built, tmp_path):
    from pipeline import compliance, run_cache

    kept = tmp_path / "summary.cache"
    with run_cache.using(kept) as cache:
        before = compliance.summary_pages(long_report(built), cache)
    assert cache.stats["summary page", "miss"] >= len(before) and cache.stats["summary page", "hit"] == 0
    changed = long_report(built, held_back={100: 0})  # record 100's "Held back" count drops to 0
    with run_cache.using(kept) as cache:
        after = compliance.summary_pages(changed, cache)
    assert 1 <= cache.stats["summary page", "miss"] <= 3 and cache.stats["summary page", "hit"] >= len(after) - 3
    assert after == compliance.summary_pages(changed, run_cache.RunCache())
    assert after != before and len(after) == len(before)


# --- the index, a page at a time ------------------------------------------------------------------

def index_items(subjects: dict[int, str] | None = None, count: int = 40) -> list:
    """`count` agenda items of two two-page parts each, numbered as the packet numbers them."""
    items, page = [], 1
    for n in range(count):
        subject = (subjects or {}).get(n, f"Sister city agreement number {n} with a partner city in Mexico")
        item = assemble.PacketItem(f"10.{n + 1}", f"rec-{n}", subject, f"2026-R-{n:03d}")
        for label in ("Agenda item memo", "Resolution"):
            item.parts.append(assemble.PacketPart(label, "x.pdf", 2, page))
            page += 2
        items.append(item)
    return items


def index_pages(items, cache=None) -> list[bytes]:
    from pipeline import run_cache

    return assemble._front_matter(load_batch(ROOT / "records" / "example"), items, None,
                                  cache if cache is not None else run_cache.RunCache())


def index_text(pages) -> list[str]:
    return [flat(page.extract_text()) for pdf in pages for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_index_shows_every_row_once_in_order_a_page_at_a_time_with_the_closing_note_last():
    pages = index_pages(index_items())
    text = index_text(pages)
    assert len(pages) >= 3 and [len(PdfReader(io.BytesIO(pdf)).pages) for pdf in pages] == [1] * len(pages)
    shown = re.findall(r"(?:^| )(10\.\d+) Sister city agreement number (\d+) ", " ".join(text))
    assert shown == [(f"10.{k + 1}", str(k)) for k in range(40)]
    assert "CITY COUNCIL" in text[0] and all("CITY COUNCIL" not in page for page in text[1:])
    assert all(page.count("Item Subject Resolution Documents Page") == 1 for page in text)  # each page heads its table
    assert "160 pages of documents follow this index" in text[-1] and all("follow this index" not in p for p in text[:-1])
    assert all("rev." not in page for page in text)  # the footer is stamped on when the packet is joined


def test_a_changed_row_lays_out_again_only_the_pages_it_could_be_on_and_the_same_bytes_as_afresh(tmp_path):
    from pipeline import run_cache

    kept = tmp_path / "index.cache"
    with run_cache.using(kept) as cache:
        before = index_pages(index_items(), cache)
    laid_out = cache.stats["front", "miss"]
    assert laid_out >= len(before)
    changed = {20: "Sister city agreement number 20 with a partner city in Mexicx"}  # same length, same lines
    with run_cache.using(kept) as cache:
        after = index_pages(index_items(changed), cache)
    # Row 20's page, and any page before it whose first try at laying out reached row 20.
    assert 1 <= cache.stats["front", "miss"] <= 3 and cache.stats["front", "hit"] >= len(after) - 3
    assert after == index_pages(index_items(changed))  # as a layout without the run cache makes it, byte for byte
    assert after != before


def shown_rows(pages) -> list[str]:
    return re.findall(r"(10\.\d+) Sister city agreement", " ".join(index_text(pages)))


def test_a_row_taller_than_a_page_goes_on_over_pages_and_every_row_is_shown_once():
    hostile = {3: " ".join(["Sister city agreement with an endless name"] * 120)}
    pages = index_pages(index_items(hostile, count=8))
    assert any(len(PdfReader(io.BytesIO(pdf)).pages) > 1 for pdf in pages)
    assert shown_rows(pages) == [f"10.{k + 1}" for k in range(8)]
    assert " ".join(index_text(pages)).count("pages of documents follow this index") == 1


def test_a_first_row_too_tall_for_the_room_under_the_cover_starts_on_the_next_page_once():
    items = index_items(count=6)
    for n in range(35):  # thirty-five lines of parts: more than the cover leaves, less than a page
        items[0].parts.append(assemble.PacketPart(f"Exhibit {n}", "x.pdf", 1, 30 + n))
    pages = index_pages(items)
    assert shown_rows(pages) == [f"10.{k + 1}" for k in range(6)]
    assert "10.1" not in index_text(pages)[0] and "CITY COUNCIL" in index_text(pages)[0]
