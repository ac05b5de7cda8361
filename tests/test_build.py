"""Build: every document of the example, read back as a person would (pypdf, python-docx)."""

from __future__ import annotations

import hashlib
import json
import re

import docx
from click.testing import CliRunner
from pypdf import PdfReader

from pipeline.build import build
from pipeline.cli import cli
from tests.conftest import AFTER_MEETING, BOMB, DOS, PW, SAL, BatchCopy, approve_donations, pdf_text  # noqa: F401

def docx_text(path) -> str:
    document = docx.Document(path)
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.extend(p.text for p in cell.paragraphs)
                for inner in cell.tables:
                    parts.extend(c.text for r in inner.rows for c in r.cells)
    return "\n".join(parts)


def words(text: str) -> list[str]:
    """Words in order-free form; a word hyphenated at a PDF line end is joined again."""
    text = re.sub(r"-\s*\n\s*", "-", text.replace("\u00a0", " "))
    return re.findall(r"[\w$.,:/'()-]+", text)


def test_every_planned_document_is_written_with_its_hash_in_the_manifest(built):
    result, out = built
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"], "nothing was built"
    for entry in manifest["files"]:
        data = (out / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert entry["template"].startswith(("templates_en/", "templates_es/")) and entry["record"]
    paths = {entry["path"] for entry in manifest["files"]}
    for expected in [DOS + "partnership_resolution.en.pdf", DOS + "agreement_bilingual.es.docx",
                     SAL + "introduction_letter.es.pdf", PW + "notice-fleet.en.pdf",
                     PW + "notice-solid-waste-services.en.pdf", BOMB + "release_receipt-city-copy.en.pdf",
                     BOMB + "release_receipt-recipient-copy.es.pdf", PW + "approval_letter.es.docx"]:
        assert expected in paths
    assert DOS + "introduction_letter.en.pdf" not in paths  # a 1986 relationship needs no introduction
    assert {h["document"] for h in manifest["held_back"] if h["record_id"] == "dos-laredos"} == {
        "introduction_letter", "agreement (final, archival PDF/A)", "partnership_resolution (archival PDF/A)", "proclamation"}


def test_partnership_resolution_has_the_parts_a_clerk_expects(built):
    text = pdf_text(built[1] / (SAL + "partnership_resolution.en.pdf"))
    flat = " ".join(text.split())
    for phrase in ["RESOLUTION NO. 2026-R-119",
                   "A RESOLUTION OF THE CITY COUNCIL OF THE CITY OF LAREDO, TEXAS, AUTHORIZING THE MAYOR TO SIGN",
                   "WHEREAS,", "NOW, THEREFORE, BE IT RESOLVED", "Section 1.", "Section 4. This resolution takes effect",
                   "December 8, 2026", "AYES:", "NAYS:", "ABSENT:", "ABSTAIN:", "ATTEST:", "APPROVED AS TO FORM:",
                   "Elena R. Garza", "José A. Valdez", "City Secretary", "Marisa L. Benavides", "Page 1 of 7",
                   "EXHIBIT A TO RESOLUTION NO. 2026-R-119", "Annex 1 — Program plan"]:
        assert phrase in flat, phrase
    es = " ".join(pdf_text(built[1] / (SAL + "partnership_resolution.es.pdf")).split())
    assert "QUE AUTORIZA A LA ALCALDESA A FIRMAR" in es and "8 de diciembre de 2026" in es and "DA FE:" in es


def test_spanish_dates_are_long_form_and_titles_agree_in_gender(built):
    es = " ".join(pdf_text(built[1] / (DOS + "agreement.es.pdf")).split())
    assert "15 de noviembre de 1986" in es and "8 de diciembre de 2027" in es
    assert "el Municipio de Nuevo Laredo, Tamaulipas, México, representado por su Presidenta Municipal, " \
           "Adriana P. Cantú Villarreal" in es
    saltillo = " ".join(pdf_text(built[1] / (SAL + "agreement.es.pdf")).split())
    assert "representado por su Presidente Municipal, Javier H. Dávila Treviño" in saltillo
    assert "Claudia E. Ramos Flores Secretaria del Ayuntamiento" in saltillo
    letter = " ".join(pdf_text(built[1] / (SAL + "introduction_letter.es.pdf")).split())
    assert "Laredo, Texas, 9 de diciembre de 2026" in letter and "Estimado Presidente Municipal:" in letter  # issued the day of the build


def test_agreements_are_drafts_until_legal_approval_and_adoption(built):
    text = pdf_text(built[1] / (SAL + "agreement.en.pdf"))
    assert "DRAFT — FOR LEGAL REVIEW" in text
    assert "BORRADOR — PARA REVISIÓN JURÍDICA" in pdf_text(built[1] / (SAL + "agreement.es.pdf"))
    header = "\n".join(p.text for p in docx.Document(built[1] / (SAL + "agreement.en.docx")).sections[0].header.paragraphs)
    assert "DRAFT — FOR LEGAL REVIEW" in header
    assert "DRAFT" not in pdf_text(built[1] / (SAL + "partnership_resolution.en.pdf"))


def test_agreement_is_final_after_legal_approval_and_adoption(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace("partnerships/laredo-saltillo.yaml", "status: proposed", "status: council_approved")
    batch.replace("partnerships/laredo-saltillo.yaml", "legal_review:\n  status: pending\n",
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n")
    batch.approve_text("partnerships/laredo-saltillo.yaml")
    result = build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, jobs=1)
    out = tmp_path / "out" / "example"
    assert "DRAFT" not in pdf_text(out / (SAL + "agreement.en.pdf"))
    assert "BORRADOR" not in pdf_text(out / (SAL + "agreement_bilingual.es.pdf"))
    assert "DRAFT" in pdf_text(out / (DOS + "agreement.en.pdf"))  # Dos Laredos' review is still pending
    assert not any(h.record_id == "laredo-saltillo" and "final" in h.document for h in result.plan.held_back)


SPANISH_ORDINALS = "primera segunda tercera cuarta quinta sexta séptima octava".split()


def test_bilingual_agreement_pairs_every_article(built):
    text = " ".join(pdf_text(built[1] / (DOS + "agreement_bilingual.en.pdf")).split())
    for n in range(1, 9):
        assert f"Article {n}." in text and f"Cláusula {SPANISH_ORDINALS[n - 1]}." in text
    assert text.index("Article 1.") < text.index("Cláusula primera.") < text.index("Article 2.")  # English on the left
    mirrored = " ".join(pdf_text(built[1] / (DOS + "agreement_bilingual.es.pdf")).split())
    assert mirrored.index("Cláusula primera.") < mirrored.index("Article 1.")  # the partner's original: Spanish first
    assert "both texts being equally authentic" in text and "siendo ambos textos igualmente auténticos" in text


def test_pdf_and_docx_carry_the_same_words(built):
    out = built[1]
    running = re.compile(r"(Page|Página) \d+ (of|de) \d+|\S+/\S+\.(en|es) · rev\. \w+|DRAFT — FOR LEGAL REVIEW|"
                         r"BORRADOR — PARA REVISIÓN JURÍDICA")
    for stem in [SAL + "partnership_resolution.en", DOS + "agreement.es", DOS + "agreement_bilingual.en",
                 SAL + "introduction_letter.en", PW + "donation_resolution.es", BOMB + "approval_letter.en"]:
        section = docx.Document(out / f"{stem}.docx").sections[0]
        # the letterhead (first page's header) is in the text once; the running header (every later
        # page's) as often as the PDF has pages after the first, in the PDF and in the DOCX alike
        letterhead = " ".join(p.text for p in section.first_page_header.paragraphs)
        running_header = section.header.paragraphs[0].text.split("\t")[0]
        pdf = running.sub(" ", pdf_text(out / f"{stem}.pdf").replace(running_header, " "))
        body = running.sub(" ", letterhead + "\n" + docx_text(out / f"{stem}.docx"))
        assert sorted(words(pdf)) == sorted(words(body)), stem


def test_english_and_spanish_twins_carry_the_same_facts(built):
    out = built[1]
    facts = ["2026-R-120", "4521", "IT-20931", "1FVACXDT6EHFZ1234", "Municipio de Nuevo Laredo", "554"]
    for name in ["donation_resolution", "approval_letter"]:
        en, es = (" ".join(pdf_text(out / f"{PW}{name}.{lang}.pdf").split()) for lang in ("en", "es"))
        for fact in facts:
            assert fact in en and fact in es, (name, fact)
        assert "$0.00" in en and "0.00 USD" in es
        assert "Solid Waste Fund 554" in en and "Fondo de Residuos Sólidos 554" in es  # each in its language
        assert "Solid Waste Fund" not in es and "Fondo de Residuos" not in en
    officials = ["Elena R. Garza", "Javier H. Dávila Treviño", "Saltillo"]
    for name, facts in [("partnership_resolution", ["Elena R. Garza", "José A. Valdez", "2026-R-119", "10.2", "2026-24"]),
                        ("agreement", officials + ["Daniel Ochoa", "Tomás Ramos Cepeda"]),
                        ("introduction_letter", officials + ["intl.affairs@example.org"])]:
        en, es = (" ".join(pdf_text(out / f"{SAL}{name}.{lang}.pdf").split()) for lang in ("en", "es"))
        for fact in facts:
            assert fact in en and fact in es, (name, fact)
    en_agreement, es_agreement = (pdf_text(out / f"{SAL}agreement.{lang}.pdf") for lang in ("en", "es"))
    assert len(re.findall(r"Article \d\.", en_agreement)) == len(re.findall(r"Cláusula \w+\.", es_agreement)) == 8


def test_pickup_id_number_only_on_the_citys_copy(built):
    out = built[1]
    assert "VLGRHC75021428H700" in pdf_text(out / (BOMB + "release_receipt-city-copy.en.pdf"))
    for path in out.rglob("*"):
        if path.is_file() and path.name != "release_receipt-city-copy.en.pdf":
            text = pdf_text(path) if path.suffix == ".pdf" else docx_text(path) if path.suffix == ".docx" else path.read_text()
            assert "VLGRHC75021428H700" not in text and "SNOLRM80031228H400" not in text, path.name


def test_notices_go_to_each_donating_department_and_fleet(built):
    out = built[1]
    it = " ".join(pdf_text(out / (PW + "notice-information-technology.en.pdf")).split())
    assert "To: Information Technology" in it and "IT-20931" in it and "4521" not in it
    fleet = " ".join(pdf_text(out / (PW + "notice-fleet.en.pdf")).split())
    assert "To: Fleet Management" in fleet and "1FVACXDT6EHFZ1234" in fleet and "Please obtain the signature of the City Manager (or designee) on the assignment of the certificate of title to the recipient" in fleet


def test_signed_ready_metadata_and_embedded_fonts(built):
    reader = PdfReader(built[1] / (SAL + "agreement.en.pdf"))
    assert reader.metadata["/documentid"] == "laredo-saltillo/agreement.en"
    assert re.fullmatch(r"[0-9a-f]{10}", reader.metadata["/revision"])
    assert reader.metadata["/revision"] in pdf_text(built[1] / (SAL + "agreement.en.pdf"))
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/FontDescriptor"] if "/FontDescriptor" in font.get_object() else \
                font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    props = docx.Document(built[1] / (SAL + "agreement.en.docx")).core_properties
    assert props.identifier == "laredo-saltillo/agreement.en" and reader.metadata["/revision"] in props.keywords


def test_signature_blocks_stay_on_one_page(built):
    reader = PdfReader(built[1] / (SAL + "partnership_resolution.en.pdf"))
    texts = [page.extract_text() for page in reader.pages]
    exhibit = next(i for i, text in enumerate(texts) if "EXHIBIT A TO RESOLUTION" in text)
    pages_with_signers = {i for i, text in enumerate(texts[:exhibit])
                          for name in ("Elena R. Garza", "José A. Valdez", "Marisa L. Benavides") if name in text}
    assert len(pages_with_signers) == 1  # the resolution's own signatures, before its exhibit


def test_same_inputs_give_byte_identical_files_with_one_or_two_jobs(built, tmp_path):
    batch = BatchCopy(tmp_path)
    approve_donations(batch)
    build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, jobs=1)
    first = json.loads((built[1] / "manifest.json").read_text())
    again = json.loads((tmp_path / "out" / "example" / "manifest.json").read_text())
    assert [(f["path"], f["sha256"]) for f in first["files"]] == [(f["path"], f["sha256"]) for f in again["files"]]


def test_invalid_records_get_no_documents_unless_keep_going(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    batch = BatchCopy(tmp_path)
    batch.replace("donations/don-2026-nld-bomberos.yaml", "book_value: 0", "book_value: 500")
    refused = CliRunner().invoke(cli, ["build", str(batch.folder), "--out", "out", "--as-of", "2026-11-23"])
    assert refused.exit_code == 1 and "nothing built" in refused.output and "[equipment.book_value]" in refused.output
    assert not (tmp_path / "out").exists()
    kept = CliRunner().invoke(cli, ["build", str(batch.folder), "--out", "out", "--as-of", "2026-11-23", "--keep-going", "-j", "1"])
    assert kept.exit_code == 1, kept.output
    built_paths = {p.relative_to(tmp_path / "out" / "example").as_posix() for p in (tmp_path / "out" / "example").rglob("*.pdf")}
    assert not any(p.startswith(BOMB) for p in built_paths)
    assert PW + "donation_resolution.en.pdf" in built_paths
