"""What the documents say, read as a city attorney and a Mexican municipal legal translator would.

Most tests render the HTML of a document (the words of both its PDF and its DOCX) for a record
in every state it can be in, without laying out pages; a few read the built PDFs and DOCX.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import docx
import pytest
import yaml
from pypdf import PdfReader

from pipeline.build import make_tasks
from pipeline.plan import DocumentPlan, Plan
from pipeline.records import load_batch
from pipeline.render import render_html
from tests.conftest import BOMB, DOS, PW, SAL, BatchCopy, approve_donations, pdf_text

STATUSES = ["prospective", "proposed", "council_approved", "signed", "submitted_to_sci", "active", "grandfathered"]
PARTNERSHIP_DOCUMENTS = ["partnership_resolution", "agreement", "agreement_bilingual"]
SIGNING = "signing:\n  date: 2026-12-10\n  place: {en: 'Laredo, Texas', es: 'Laredo, Texas'}\n" \
          "  signatories: {city: Elena R. Garza, partner: Someone}\n"


def words(markup: str) -> str:
    """The words a reader sees in the body, less the footer's document id and revision hash (the
    revision changes with every input, the status included)."""
    body = re.sub(r'<div class="docid[^"]*">.*?</div>', " ", markup.split("<body", 1)[1], flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def rendered(batch_folder, record_id: str, document: str, lang: str, variant: str = "", as_of=None) -> str:
    """The words of one document as the templates render them for the record as it stands."""
    batch = load_batch(batch_folder)
    kind = next(r.kind for r in batch.records if r.id == record_id)
    plan = DocumentPlan(record_id, kind, document, lang, ("pdf",), variant=variant, title=document)
    (task,) = make_tasks(batch, Plan(documents=[plan]), as_of=as_of)
    return words(render_html(task))


def set_status(batch: BatchCopy, name: str, status: str) -> None:
    """Only the status moves; the facts (the signing among them) stay as they are."""
    path = batch.path(f"partnerships/{name}.yaml")
    data = path.read_text(encoding="utf-8")
    data = re.sub(r"^status: \w+", f"status: {status}", data, flags=re.M)
    if "signing:" not in data:
        data += SIGNING
    path.write_text(data, encoding="utf-8")


# --- wording follows the facts of the relationship, not the workflow status ------------------------

@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_1986_relationship_reads_as_a_renewal_identically_at_every_status(tmp_path, lang):
    batch = BatchCopy(tmp_path)
    texts = {}
    for status in STATUSES:
        set_status(batch, "dos-laredos", status)
        texts[status] = {doc: rendered(batch.folder, "dos-laredos", doc, lang) for doc in PARTNERSHIP_DOCUMENTS}
    first = texts[STATUSES[0]]
    for status, by_document in texts.items():
        assert by_document == first, status  # the status never changes a word
    resolution, agreement = first["partnership_resolution"], first["agreement"]
    if lang == "en":
        assert "RENEWING THE SISTER CITY RELATIONSHIP" in resolution and "IN PLACE SINCE 1986" in resolution
        assert "establishing a" not in resolution and "establish a" not in agreement
        assert "renew their sister city relationship" in agreement and "since November 15, 1986" in agreement
    else:
        assert "RENUEVA LA RELACIÓN DE HERMANAMIENTO" in resolution and "VIGENTE DESDE 1986" in resolution
        assert "establecer una" not in resolution and "establecen una" not in agreement
        assert "renuevan su relación de hermanamiento" in agreement and "desde el 15 de noviembre de 1986" in agreement


def test_a_new_relationship_is_established_never_renewed(tmp_path):
    batch = BatchCopy(tmp_path)
    for status in ("prospective", "proposed", "council_approved"):
        set_status(batch, "laredo-saltillo", status)
        agreement = rendered(batch.folder, "laredo-saltillo", "agreement", "en")
        assert "The Parties establish a sister city relationship" in agreement and "renew" not in agreement
        # the council finds its recitals true: none asserts a proposal the letter may not yet have made
        resolution = rendered(batch.folder, "laredo-saltillo", "partnership_resolution", "en")
        assert "the City of Laredo proposes to the Municipality of Saltillo that the two establish" in resolution
        assert "has proposed" not in resolution


@pytest.mark.parametrize("kind, named, never", [
    ("friendship_city", "friendship city relationship", "sister city"),
    ("binational_collaboration", "binational collaboration", "sister city"),
])
def test_a_friendship_city_or_collaboration_is_never_called_a_sister_city(tmp_path, kind, named, never):
    batch = BatchCopy(tmp_path)
    batch.replace("partnerships/laredo-saltillo.yaml", "kind: sister_city", f"kind: {kind}")
    for document in PARTNERSHIP_DOCUMENTS:
        text = rendered(batch.folder, "laredo-saltillo", document, "en")
        assert named in text.lower() and never not in text.lower(), document
    spanish = rendered(batch.folder, "laredo-saltillo", "agreement", "es")
    assert "hermanamiento" not in spanish.lower()


# --- exhibits and annexes that a text refers to exist ------------------------------------------------

REFERENCE = {"en": (r"\b(Exhibit|Annex) ([A-Z0-9])\b", "{0} {1}"), "es": (r"\b(Anexo) ([A-Z0-9])\b", "{0} {1}")}


def test_every_exhibit_and_annex_a_document_refers_to_is_attached(built):
    result, out = built
    checked = 0
    for document in result.plan.documents:
        if "pdf" not in document.formats:
            continue
        text = " ".join(pdf_text(out / document.path("pdf")).split())
        pattern = REFERENCE["es" if document.lang == "es" else "en"][0]
        for word, label in set(re.findall(pattern, text)):
            heading = re.compile(rf"\b{word} {label}(\.|\s—|\s(TO|DE)\b)", re.I)
            assert heading.search(text), f"{document.doc_id} refers to {word} {label}, which it does not carry"
            checked += 1
    assert checked >= 10  # resolutions (Exhibit A), agreements (Annex 1), donation exhibits


@pytest.mark.parametrize("lang", ["en", "es"])
def test_at_every_status_every_exhibit_and_annex_referred_to_is_carried(tmp_path, lang):
    batch = BatchCopy(tmp_path)
    pattern = REFERENCE[lang][0]
    for status in STATUSES:
        for name in ("dos-laredos", "laredo-saltillo"):
            set_status(batch, name, status)
            for document in PARTNERSHIP_DOCUMENTS:
                text = rendered(batch.folder, name, document, lang)
                references = set(re.findall(pattern, text))
                assert references, (status, name, document)
                for word, label in references:
                    assert re.search(rf"\b{word} {label}(\.|\s—|\s(TO|DE)\b)", text, re.I), (status, name, document, label)


def test_the_resolution_carries_its_exhibit_a_in_the_pdf_and_the_docx(built):
    _, out = built
    text = " ".join(pdf_text(out / (SAL + "partnership_resolution.en.pdf")).split())
    exhibit = text.index("EXHIBIT A TO RESOLUTION NO. 2026-R-119")
    assert "substantially in the form attached as Exhibit A" in text[:exhibit]
    # both texts of the agreement, as it will be signed: the council approves what it authorizes
    assert "SISTER CITY AGREEMENT" in text[exhibit:] and "Annex 1 — Program plan" in text[exhibit:]
    assert "ACUERDO DE HERMANAMIENTO" in text[exhibit:] and "Cláusula octava. Idiomas" in text[exhibit:]
    paragraphs = docx_paragraphs(out / (SAL + "partnership_resolution.en.docx"))
    assert any(p == "EXHIBIT A TO RESOLUTION NO. 2026-R-119" for p in paragraphs)
    assert any("Article 8. Languages" in p for p in paragraphs) and any("Cláusula octava. Idiomas" in p for p in paragraphs)
    spanish = " ".join(pdf_text(out / (SAL + "partnership_resolution.es.pdf")).split())
    annex = spanish.index("ANEXO A DE LA RESOLUCIÓN NÚM. 2026-R-119")
    assert spanish.index("Cláusula primera.", annex) < spanish.index("Article 1.", annex)  # Spanish on the left


def docx_paragraphs(path) -> list[str]:
    """Every paragraph's text, those inside tables (the side-by-side clauses) too."""
    document = docx.Document(path)
    cells = [p.text for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    return [p.text for p in document.paragraphs] + cells


# --- the parties, and who signs for them --------------------------------------------------------

def test_each_party_is_named_once_in_its_legal_capacity_the_same_way_throughout(built):
    _, out = built
    es = " ".join(pdf_text(out / (SAL + "agreement.es.pdf")).split())
    assert "el Municipio de Saltillo, Coahuila de Zaragoza, México, representado por su Presidente Municipal, " \
           "Javier H. Dávila Treviño" in es
    assert "La Ciudad de Laredo, Texas, Estados Unidos, representada por su Alcaldesa, Elena R. Garza" in es
    assert "Ayuntamiento de Saltillo" not in es  # the party is the Municipio; its Ayuntamiento governs it
    assert "(Copresidenta, Municipio de Saltillo)" in es
    en = " ".join(pdf_text(out / (SAL + "agreement.en.pdf")).split())
    assert "the Municipality of Saltillo, Coahuila de Zaragoza, Mexico, represented by its Municipal President" in en
    assert "Municipality" not in es and "Ayuntamiento de Saltillo, Coahuila" not in en


def test_signature_blocks_follow_each_sides_law(built):
    _, out = built
    en = " ".join(pdf_text(out / (SAL + "agreement.en.pdf")).split())
    signing = en[en.index("For the City of Laredo"):]
    for expected in ("Elena R. Garza Mayor", "ATTEST: José A. Valdez City Secretary",
                     "APPROVED AS TO FORM: Marisa L. Benavides City Attorney",
                     "For the Municipality of Saltillo", "Javier H. Dávila Treviño Municipal President",
                     "Claudia E. Ramos Flores Secretary of the Municipal Council"):
        assert expected in signing, expected
    es = " ".join(pdf_text(out / (SAL + "agreement.es.pdf")).split())
    assert "Claudia E. Ramos Flores Secretaria del Ayuntamiento" in es and "DA FE: José A. Valdez" in es


def test_the_release_binds_the_legal_representative_and_the_pickup_person_signs_only_a_receipt(built):
    _, out = built
    city_copy = " ".join(pdf_text(out / (BOMB + "release_receipt-city-copy.en.pdf")).split())
    assert "represented by Gerardo Elizondo Peña, its Legal Representative, under the power of attorney in public " \
           "deed No. 45,218 of May 9, 2023, granted before Notary Public No. 12 of Nuevo Laredo, Tamaulipas" in city_copy
    assert "escritura pública núm. 45,218 del 9 de mayo de 2023, otorgada ante la fe del Notario Público núm. 12 de " \
           "Nuevo Laredo, Tamaulipas" in city_copy  # each column names the notary in its own language
    assert "who identified themselves with an INE voter identification card (credencial para votar), elector key " \
           "(clave de elector) VLGRHC75021428H700, to receive" in city_copy
    assert "quien se identificó con credencial para votar expedida por el INE, con clave de elector VLGRHC75021428H700, " \
           "para recibir los bienes en su nombre" in city_copy
    assert "For the Recipient / Por el Donatario Gerardo Elizondo Peña Legal Representative / Apoderado Legal" in city_copy
    received = city_copy[city_copy.index("Received by (person designated by the Recipient)"):]
    assert received.split("ID / Identificación")[0].strip().endswith("Héctor Villarreal Garza")
    assert "VLGRHC75021428H700" in received
    recipient_copy = " ".join(pdf_text(out / (BOMB + "release_receipt-recipient-copy.es.pdf")).split())
    assert "VLGRHC75021428H700" not in recipient_copy and "Gerardo Elizondo Peña" in recipient_copy
    for text in (city_copy, recipient_copy):  # items and which text governs, in both languages, on both copies
        assert "Camión de bomberos tipo bomba Freightliner M2" in text and "Freightliner M2 pumper fire engine" in text
        assert "two original counterparts, each containing the English and Spanish texts, both equally authentic; " \
               "the City and the Recipient each keep one" in text
        assert "siendo ambos textos igualmente auténticos; la Ciudad y el Donatario conservan uno cada uno" in text
        # the City warrants its ownership and nothing else, keeps its immunities, under its own state's law
        assert "The City warrants only that it owns the equipment; it makes no other warranty" in text
        assert "La Ciudad solo garantiza ser propietaria de los bienes y no otorga ninguna otra garantía" in text
        assert "Nothing in this release waives the immunities of the City" in text
        assert "This release is governed by the laws of Texas." in text and "se rige por las leyes de Texas." in text


def test_letters_go_to_the_head_of_the_receiving_body_with_a_copy_to_the_contact(built):
    _, out = built
    letter = " ".join(pdf_text(out / (BOMB + "approval_letter.es.pdf")).split())
    assert "Gerardo Elizondo Peña Presidente Patronato de Bomberos de Nuevo Laredo, A.C." in letter
    assert "c.c.p. Raúl A. Treviño Garza, Jefe de Operaciones" in letter


# --- clauses that hold under both laws ----------------------------------------------------------

def test_agreement_clauses_hold_under_both_laws(tmp_path):
    batch = BatchCopy(tmp_path)
    dos = rendered(batch.folder, "dos-laredos", "agreement", "en")
    assert "acuerdo interinstitucional" in dos and "Article 2, Section II, of the Ley sobre la Celebración de Tratados" in dos
    assert "no obligations under international law" not in dos
    # costs follow the components: the incubator is cost-shared, so no blanket "own costs" clause
    assert "except for the costs of the “Economic development and trade” component, which the Parties share" in dos
    assert "As Article 7 of that law provides, the Municipality informs the Secretaría de Relaciones Exteriores" in dos
    assert "binds neither the federal nor the state governments" in dos
    saltillo = rendered(batch.folder, "laredo-saltillo", "agreement", "en")
    assert "Each Party bears its own costs of carrying out this agreement. No Party" in saltillo
    assert "takes effect 90 calendar days after the other Party receives the notice" in saltillo
    with batch.path("partnerships/laredo-saltillo.yaml").open("a", encoding="utf-8") as handle:
        handle.write("termination_notice_days: 60\n")
    assert "takes effect 60 calendar days after" in rendered(batch.folder, "laredo-saltillo", "agreement", "en")
    es = rendered(batch.folder, "laredo-saltillo", "agreement", "es")
    assert "se firma en español y en inglés, en ejemplares bilingües o en un original de cada texto, siendo ambos " \
           "textos igualmente auténticos; cada Parte conserva un original de cada texto" in es


def test_the_program_plan_annex_carries_every_kpi_funding_source_and_committee_member(tmp_path):
    batch = BatchCopy(tmp_path)
    record = yaml.safe_load(batch.path("partnerships/dos-laredos.yaml").read_text(encoding="utf-8"))
    for lang in ("en", "es"):
        text = rendered(batch.folder, "dos-laredos", "agreement", lang)
        annex = text[text.index("Annex 1 — Program plan" if lang == "en" else "Anexo 1. Programa de trabajo"):]
        for component in record["components"]:  # each set inside a sentence of ours: the first letter may lower
            assert component["funding_source"][lang][1:].rstrip(".") in annex
            for kpi in component.get("kpis", []):
                assert kpi[lang][1:] in annex
        for side in ("city", "partner"):
            for member in record["committee"][side]:
                assert member["name"] in annex


# --- the city's jurisdiction shapes the form -----------------------------------------------------

LACOMBE = """\
council:
  form: motion
  countersign: [{official: clerk, as: countersign}]
"""


def lacombe(batch: BatchCopy) -> None:
    """An Alberta town: council acts by motion, the CAO signs with the mayor, not an SCI member."""
    city = batch.path("city.yaml")
    text = city.read_text(encoding="utf-8")
    text = text.replace("name: Laredo\n", "name: Lacombe\n").replace("state: US-TX", "state: CA-AB")
    text = text.replace("country: US", "country: CA").replace("{en: City of Laredo, es: Ciudad de Laredo}",
                                                              "{en: Town of Lacombe, es: Municipio de Lacombe}")
    text = text.replace("{en: City Council, es: Concejo Municipal}", "{en: Town Council, es: Concejo Municipal}")
    text = text.replace("1110 Houston Street, Laredo, Texas 78040", "5432 56 Avenue, Lacombe, Alberta T4L 1E9")
    text = text.replace("{en: City Secretary, es: Secretario de la Ciudad}",
                        "{en: Chief Administrative Officer, es: Director Administrativo}")
    text = re.sub(r"  attorney:\n(    .*\n)+", "", text)
    text = re.sub(r"sci_membership:\n(  .*\n)+", "", text)
    city.write_text(text + LACOMBE, encoding="utf-8")


def test_a_canadian_town_acting_by_motion_gets_no_texas_resolution_form(tmp_path):
    batch = BatchCopy(tmp_path)
    lacombe(batch)
    report = batch.check()
    assert not [f for f in report.errors if f.record == "laredo-tx"], [f.text() for f in report.errors]
    for lang, must, never in [
        ("en", ["MOTION NO. 2026-R-119", "A MOTION OF THE TOWN COUNCIL OF THE TOWN OF LACOMBE, ALBERTA",
                "Moved by Councillor", "That the Town Council authorizes", "CARRIED", "EXHIBIT A TO MOTION NO."],
         ["WHEREAS", "AYES", "NAYS", "Sister Cities International", "ATTEST", "APPROVED AS TO FORM", "Texas",
          "BE IT RESOLVED", "takes effect immediately"]),
        ("es", ["MOCIÓN NÚM. 2026-R-119", "Que el Concejo Municipal autoriza", "APROBADA ______ RECHAZADA",
                "ANEXO A DE LA MOCIÓN NÚM."],
         ["CONSIDERANDO", "A FAVOR", "Sister Cities International", "DA FE", "Texas"]),
    ]:
        text = rendered(batch.folder, "laredo-saltillo", "partnership_resolution", lang)
        for phrase in must:
            assert phrase in text, (lang, phrase)
        for phrase in never:
            assert phrase not in text, (lang, phrase)
    donation = rendered(batch.folder, "don-2026-nld-public-works", "donation_resolution", "en")
    assert "MOTION NO." in donation and "CA$0.00" in donation and "WHEREAS" not in donation
    assert "$0.00 CAD" in rendered(batch.folder, "don-2026-nld-public-works", "donation_resolution", "es")
    agreement = rendered(batch.folder, "laredo-saltillo", "agreement", "en")
    assert "copy to Sister Cities International" not in agreement and "Chief Administrative Officer" in agreement


def test_an_ordinance_city_enacts_by_ordinance(tmp_path):
    batch = BatchCopy(tmp_path)
    with batch.path("city.yaml").open("a", encoding="utf-8") as handle:
        handle.write("council:\n  form: ordinance\n")
    text = rendered(batch.folder, "laredo-saltillo", "partnership_resolution", "en")
    for phrase in ("ORDINANCE NO. 2026-R-119", "AN ORDINANCE OF THE CITY COUNCIL OF THE CITY OF LAREDO, TEXAS",
                   "NOW, THEREFORE, BE IT ORDAINED BY THE CITY COUNCIL", "This ordinance takes effect",
                   "incorporated into this ordinance", "ATTEST:", "APPROVED AS TO FORM:", "EXHIBIT A TO ORDINANCE NO."):
        assert phrase in text, phrase
    assert "RESOLUTION" not in text and "resolution" not in text


def test_a_countersigning_official_missing_from_the_profile_is_a_finding(tmp_path):
    batch = BatchCopy(tmp_path)
    text = batch.path("city.yaml").read_text(encoding="utf-8")
    batch.path("city.yaml").write_text(re.sub(r"  attorney:\n(    .*\n)+", "", text), encoding="utf-8")
    (finding,) = [f for f in batch.check().errors if f.rule == "city.profile"]
    assert finding.field == "officials" and "officials.attorney" in finding.message


def test_without_sci_membership_no_document_promises_sci_recognition(tmp_path):
    batch = BatchCopy(tmp_path)
    text = batch.path("city.yaml").read_text(encoding="utf-8")
    batch.path("city.yaml").write_text(re.sub(r"sci_membership:\n(  .*\n)+", "", text), encoding="utf-8")
    assert not [f for f in batch.check().errors if f.record == "laredo-tx"]
    for document in PARTNERSHIP_DOCUMENTS:
        assert "Sister Cities International" not in rendered(batch.folder, "laredo-saltillo", document, "en"), document
    assert "send an electronic copy" not in rendered(batch.folder, "laredo-saltillo", "partnership_resolution", "en")


def test_a_mexican_municipality_without_its_secretario_is_a_finding(tmp_path):
    batch = BatchCopy(tmp_path)
    text = batch.path("partnerships/laredo-saltillo.yaml").read_text(encoding="utf-8")
    batch.path("partnerships/laredo-saltillo.yaml").write_text(
        re.sub(r"  partner_secretary:.*\n(    .*\n)+", "", text), encoding="utf-8")
    (finding,) = [f for f in batch.check().warnings if f.rule == "partnership.signatories"]
    assert finding.record == "laredo-saltillo" and finding.field == "officials.partner_secretary"


def test_the_renewal_reads_as_a_renewal_in_the_dos_laredos_pdfs(built):
    _, out = built
    for name in ("partnership_resolution.en.pdf", "agreement_bilingual.en.pdf"):
        text = " ".join(pdf_text(out / (DOS + name)).split())
        assert "renew" in text.lower() and "establishing a sister city" not in text, name


def test_the_motion_forms_documents_build_as_pdf_and_docx_for_a_canadian_town(tmp_path):
    from pipeline.build import build
    from tests.conftest import AFTER_MEETING

    batch = BatchCopy(tmp_path)
    lacombe(batch)
    approve_donations(batch)
    result = build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, jobs=2)
    out = tmp_path / "out" / "example"
    resolution = " ".join(pdf_text(out / (SAL + "partnership_resolution.en.pdf")).split())
    assert "MOTION NO. 2026-R-119" in resolution and "CARRIED" in resolution and "WHEREAS" not in resolution
    assert "Town of Lacombe" in resolution and "Texas" not in resolution
    paragraphs = " ".join(p.text for p in docx.Document(out / (SAL + "partnership_resolution.en.docx")).paragraphs)
    assert "Moved by Councillor" in paragraphs and "AYES" not in paragraphs
    donation = " ".join(pdf_text(out / (BOMB + "donation_resolution.en.pdf")).split())
    assert "EXHIBIT A TO MOTION NO. 2026-R-121" in donation and "CA$0.00" in donation
    packet = " ".join(pdf_text(out / "council-packet.pdf").split())
    assert "Motion No. 2026-R-119, with Exhibit A to Motion No. 2026-R-119" in packet
    assert not result.report.errors


# --- language of the words (issue 13, first parts) ------------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def test_docx_runs_carry_their_language_so_word_spell_checks_each_correctly(built):
    _, out = built

    def default_language(document):
        return document.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang").get(f"{W}val")

    assert default_language(docx.Document(out / (SAL + "agreement.es.docx"))) == "es-MX"
    assert default_language(docx.Document(out / (SAL + "agreement.en.docx"))) == "en-US"
    bilingual = docx.Document(out / (SAL + "agreement_bilingual.en.docx"))
    assert default_language(bilingual) == "en-US"
    languages = {}
    for run in bilingual.element.body.iter(f"{W}r"):
        text = "".join(t.text or "" for t in run.iter(f"{W}t"))
        tag = run.find(f"{W}rPr/{W}lang")
        if text.strip() and tag is not None:
            languages[text.strip()] = tag.get(f"{W}val")
    assert languages["Cláusula primera. Objeto"] == "es-MX" and languages["Article 1. Purpose"] == "en-US"
    spanish = [text for text, code in languages.items() if code == "es-MX"]
    assert any("Las Partes" in text for text in spanish) and not any("The Parties" in text for text in spanish)


def test_english_salutations_use_the_surname(tmp_path):
    batch = BatchCopy(tmp_path)
    letter = rendered(batch.folder, "laredo-saltillo", "introduction_letter", "en")
    assert "Dear Municipal President Dávila Treviño:" in letter
    approval = rendered(batch.folder, "don-2026-nld-bomberos", "approval_letter", "en")
    assert "Dear President Elizondo Peña:" in approval
    batch.replace("partnerships/laredo-saltillo.yaml", "    office: municipal_president\n    gender: male",
                  "    office: municipal_president\n    gender: male\n    surname: Dávila")
    assert "Dear Municipal President Dávila:" in rendered(batch.folder, "laredo-saltillo", "introduction_letter", "en")


def record_texts(batch_folder) -> list[tuple[str, str]]:
    """Every {en, es} pair in the batch's records and city profile whose two texts differ."""
    pairs = []

    def walk(value):
        if isinstance(value, dict):
            if set(value) == {"en", "es"} and all(isinstance(v, str) for v in value.values()):
                if value["en"].strip() != value["es"].strip():
                    pairs.append((" ".join(value["en"].split()), " ".join(value["es"].split())))
                return
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    batch = load_batch(batch_folder)
    for record in batch.all_records():
        walk(record.data)
    return pairs


def plain_texts(batch_folder) -> set[str]:
    """Every plain-text value in the records: a proper name such as "Municipio de Nuevo Laredo"
    prints as it is in both languages, even where another field translates the same words."""
    found = set()

    def walk(value):
        if isinstance(value, dict):
            if set(value) != {"en", "es"}:
                for child in value.values():
                    walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)
        elif isinstance(value, str):
            found.add(" ".join(value.split()))

    for record in load_batch(batch_folder).all_records():
        walk(record.data)
    return found


def test_no_single_language_document_prints_the_other_languages_text_of_a_record_value(built):
    result, out = built
    folder = out.parent.parent / "records" / "example"
    names = plain_texts(folder)
    pairs = [(en, es) for en, es in record_texts(folder) if min(len(en), len(es)) >= 6 and not {en, es} & names]
    assert len(pairs) > 40
    checked = 0
    for document in result.plan.documents:
        if document.document in ("agreement_bilingual", "release_receipt"):
            continue  # both languages side by side, on purpose
        texts = [" ".join(pdf_text(out / document.path("pdf")).split())]
        if "docx" in document.formats:
            texts.append(" ".join(" ".join(p.text for p in docx.Document(out / document.path("docx")).paragraphs).split()))
        if document.document == "partnership_resolution":  # Exhibit A is the agreement's two texts, on purpose
            texts = [re.split(r"EXHIBIT A TO|ANEXO A DE LA", text)[0] for text in texts]
        for text in texts:
            for en, es in pairs:
                foreign = en if document.lang == "es" else es
                own = es if document.lang == "es" else en
                if foreign not in own:  # "Laredo College" may sit inside both texts
                    assert foreign not in text, (document.doc_id, foreign)
            checked += 1
    assert checked >= 30


def test_check_names_plain_text_that_would_print_english_in_spanish_documents(tmp_path):
    batch = BatchCopy(tmp_path)
    line = batch.replace("donations/don-2026-nld-bomberos.yaml",
                         "department: {en: Fire Department, es: Departamento de Bomberos}", "department: Fire Department")
    batch.replace("partnerships/laredo-saltillo.yaml", "role: {en: Co-chair, es: Copresidenta}", "role: Copresidenta")
    batch.replace("partnerships/laredo-saltillo.yaml", "organization: {en: Saltillo Sister Cities, es: Ciudades Hermanas de Saltillo}",
                  "organization: Laredo College")  # a proper name: the same in both languages
    findings = [f for f in batch.check().warnings if f.rule == "text.language"]
    by_field = {(f.record, f.field): f for f in findings}
    english = by_field[("don-2026-nld-bomberos", "items[0].department")]
    assert english.line == line and "reads as English" in english.message and "es:" in english.fix
    assert "reads as Spanish" in by_field[("laredo-saltillo", "committee.partner[0].role")].message
    assert len(findings) == 2  # "Laredo College" and every bilingual value pass


GLOSSARY = yaml.safe_load((Path(__file__).parent / "glossary.yaml").read_text(encoding="utf-8"))


def test_the_spanish_documents_use_the_glossary_terms_and_none_of_the_calques(built):
    result, out = built
    spanish: dict[str, list[tuple[str, str]]] = {}
    for document in result.plan.documents:
        if document.lang == "es":
            name = document.path("pdf").rsplit("/", 1)[-1].removesuffix(".pdf")
            spanish.setdefault(name, []).append((document.doc_id, " ".join(pdf_text(out / document.path("pdf")).split())))
    assert len(spanish) >= 6
    for entry in GLOSSARY:
        for name in entry["in"]:
            assert any(entry["term"].casefold() in text.casefold() for _, text in spanish[name]), (entry["term"], name)
        for texts in spanish.values():
            for doc_id, text in texts:
                for calque in entry["avoid"]:
                    assert calque not in text, (doc_id, calque, entry["term"])


def test_spanish_letters_carry_presente_under_the_addressee(built):
    result, out = built
    letters = [d for d in result.plan.documents if d.lang == "es" and d.document in ("approval_letter", "introduction_letter")]
    assert len(letters) >= 3
    for letter in letters:
        assert "P r e s e n t e ." in pdf_text(out / letter.path("pdf")), letter.doc_id


def test_vehicle_phrases_contract_their_article_and_keep_unit_numbers_as_written(built):
    _, out = built
    es = " ".join(pdf_text(out / (BOMB + "donation_resolution.es.pdf")).split())
    assert "importación a México del vehículo usado F-117" in es and "en el caso del vehículo usado F-117" in es
    assert not re.search(r"\b(de|a) el\b", es)
    for lang in ("en", "es"):
        letter = " ".join(pdf_text(out / (BOMB + f"approval_letter.{lang}.pdf")).split())
        assert "F-117" in letter and "f-117" not in letter


def test_the_adoption_line_and_the_signatures_share_a_page(built):
    result, out = built
    resolutions = [d for d in result.plan.documents if d.document.endswith("_resolution")]
    assert len(resolutions) == 12  # five agreements' and donations' acts and a status change, in both languages
    for document in resolutions:
        pages = [page.extract_text() for page in PdfReader(out / document.path("pdf")).pages]
        vote = next(i for i, text in enumerate(pages) if "AYES:" in text or "A FAVOR:" in text)
        assert "Elena R. Garza" in pages[vote], document.doc_id


def dated(batch_folder, record_id: str, document: str, lang: str, as_of) -> str:
    return rendered(batch_folder, record_id, document, lang, as_of=as_of)


@pytest.mark.parametrize("record, document", [("laredo-saltillo", "introduction_letter"),
                                              ("don-2026-nld-bomberos", "approval_letter")])
def test_a_letter_carries_one_date_its_date_of_issue_never_the_meeting_day_by_default(tmp_path, record, document):
    import datetime as dt

    batch = BatchCopy(tmp_path)
    english = dated(batch.folder, record, document, "en", dt.date(2026, 12, 20))
    assert "Laredo, Texas, December 20, 2026" in english
    assert "Laredo, Texas, December 8, 2026" not in english
    assert not re.search(r"\bDate\s*:", english)  # no second, blank date line
    spanish = dated(batch.folder, record, document, "es", dt.date(2026, 12, 20))
    assert "Laredo, Texas, 20 de diciembre de 2026" in spanish and not re.search(r"\bFecha\s*:", spanish)

    relative = f"{'partnerships' if document == 'introduction_letter' else 'donations'}/{record}.yaml"
    with open(batch.path(relative), "a", encoding="utf-8") as handle:
        handle.write("letter_date: 2026-12-15\n")
    assert "Laredo, Texas, December 15, 2026" in dated(batch.folder, record, document, "en", dt.date(2026, 12, 20))
    assert "Laredo, Texas, 15 de diciembre de 2026" in dated(batch.folder, record, document, "es", dt.date(2026, 12, 20))


def test_only_letters_change_with_the_day_of_the_build(tmp_path):
    """The date of issue is the letter's alone: a resolution's or an agreement's revision must not move with the calendar."""
    import datetime as dt

    batch = load_batch(BatchCopy(tmp_path).folder)
    documents = [DocumentPlan("laredo-saltillo", "partnership", d, "en", ("pdf",), title=d)
                 for d in ("partnership_resolution", "agreement", "introduction_letter")]
    one, other = (make_tasks(batch, Plan(documents=documents), as_of=dt.date(2026, 12, day)) for day in (20, 21))
    changed = [a.plan.document for a, b in zip(one, other) if a.revision != b.revision]
    assert changed == ["introduction_letter"]


def test_quotes_are_typographic_and_record_sentences_go_on_in_lower_case_inside_ours(built):
    result, out = built
    for document in result.plan.documents:
        assert '"' not in pdf_text(out / document.path("pdf")), f"{document.doc_id}: straight quotes"
    flat = lambda path: " ".join(pdf_text(out / path).split())  # noqa: E731
    assert "para servicio social: protección contra incendios" in flat(BOMB + "approval_letter.es.pdf")
    assert "para servicio social: protección contra incendios" in flat(BOMB + "donation_resolution.es.pdf")
    assert "for social service: fire protection" in flat(BOMB + "approval_letter.en.pdf")
    # a reason is a recital of its own, not "the following consideration: ..."
    spanish = flat(SAL + "partnership_resolution.es.pdf")
    assert "CONSIDERANDO que una parte importante de las exportaciones automotrices de Saltillo" in spanish
    assert "consideración:" not in spanish
    assert "WHEREAS, a large share of Saltillo's automotive exports" in flat(SAL + "partnership_resolution.en.pdf")
    assert "objetivos: (1) promover el comercio" in spanish
    annex = flat(DOS + "agreement.es.pdf")
    assert "Financiamiento: presupuesto de eventos" in annex and "Indicadores: cuatro eventos" in annex


@pytest.mark.parametrize("text, expected", [
    ("El Programa de Unidad Familiar se creó en 1986", "el Programa de Unidad Familiar se creó en 1986"),
    ("Protección contra incendios", "protección contra incendios"),
    ("Saltillo es la capital de Coahuila", "Saltillo es la capital de Coahuila"),  # a name the records hold
    ("Nuevo Laredo y Laredo comparten un río", "Nuevo Laredo y Laredo comparten un río"),  # a capitalised phrase
    ("INE vigente", "INE vigente"),
    ("", ""),
])
def test_a_sentence_set_inside_ours_lowers_a_common_word_and_keeps_a_name(text, expected):
    from pipeline.context import inline

    assert inline(text, "es", ("Saltillo",)) == expected


@pytest.mark.parametrize("text, expected", [
    ("The Dos Laredos Unity Program puts people first", "the Dos Laredos Unity Program puts people first"),
    ("Fire protection for the residents", "fire protection for the residents"),
    ("Port Laredo promotion budget", "Port Laredo promotion budget"),
    ("Saltillo hosts the forum", "Saltillo hosts the forum"),
    ("SCI membership dues", "SCI membership dues"),
])
def test_in_english_too(text, expected):
    from pipeline.context import inline

    assert inline(text, "en", ("Saltillo",)) == expected


def test_every_notice_that_hands_over_an_unlisted_vehicle_repeats_the_import_condition(built):
    _, out = built
    flat = lambda path: " ".join(pdf_text(out / path).split())  # noqa: E731
    for notice in ("notice-fleet.en.pdf", "notice-fire-department.en.pdf"):
        text = flat(BOMB + notice)
        assert "Hold until cleared for import." in text, notice
        assert "Used vehicle F-117 is not of a type on the list" in text
        assert "As Resolution No. 2026-R-121 provides" in text and "customs broker has confirmed that it can be imported" in text
        assert "without that confirmation by March 8, 2027, the donation lapses and the vehicle remains surplus property" in text
        assert ("do not have the title assigned and do not release it" in text) == (notice == "notice-fleet.en.pdf")
    letter = " ".join(pdf_text(out / (BOMB + "approval_letter.en.pdf")).split())
    assert "If that confirmation has not been received by March 8, 2027, the donation of that vehicle lapses" in letter
    carta = " ".join(pdf_text(out / (BOMB + "approval_letter.es.pdf")).split())
    assert "Si dicha confirmación no se recibe a más tardar el 8 de marzo de 2027" in carta
    for notice in ("notice-fleet.en.pdf", "notice-solid-waste-services.en.pdf", "notice-information-technology.en.pdf"):
        assert "Hold until cleared" not in flat(PW + notice), notice  # a garbage truck is on the permit list


@pytest.mark.parametrize("name, expected", [
    ("Comité de Ciudades Hermanas de Laredo", "del Comité de Ciudades Hermanas de Laredo"),
    ("Ciudades Hermanas de Saltillo", "de las Ciudades Hermanas de Saltillo"),
    ("Asociación de Amistad Laredo-Saltillo", "de la Asociación de Amistad Laredo-Saltillo"),
    ("Amigos de Laredo", "de los Amigos de Laredo"),
    ("Juntas Vecinales de Saltillo", "de las Juntas Vecinales de Saltillo"),
])
def test_an_organizations_name_takes_the_article_its_first_word_needs(name, expected):
    from pipeline.context import of_organization

    assert of_organization(name, "es") == expected
    assert of_organization(name, "en") == f"of the {name}"


def test_the_letter_of_introduction_names_the_volunteer_committee_with_its_article(built):
    _, out = built
    spanish = " ".join(pdf_text(out / (SAL + "introduction_letter.es.pdf")).split())
    assert "Rosa M. Salinas, del Comité de Ciudades Hermanas de Laredo" in spanish
    assert " de Comité " not in spanish


def test_the_council_names_who_assigns_each_vehicles_title(tmp_path):
    batch = BatchCopy(tmp_path)
    english = rendered(batch.folder, "don-2026-nld-bomberos", "donation_resolution", "en")
    assert "authorizes the City Manager, or the City Manager's designee, to assign the certificate of title of each " \
           "vehicle listed in Exhibit A to the recipient" in english
    assert "management" not in english
    spanish = rendered(batch.folder, "don-2026-nld-bomberos", "donation_resolution", "es")
    assert "autoriza al Administrador de la Ciudad, o a quien este designe, a ceder" in spanish
    # a city without a manager: the mayor signs the titles
    city = batch.path("city.yaml")
    city.write_text(re.sub(r"  manager:.*\n(    .*\n)+", "", city.read_text(encoding="utf-8")), encoding="utf-8")
    assert "authorizes the Mayor, or the Mayor's designee, to assign" in rendered(batch.folder, "don-2026-nld-bomberos",
                                                                                   "donation_resolution", "en")


def test_a_vehicle_off_the_permit_list_is_donated_on_a_condition_that_lapses(tmp_path):
    batch = BatchCopy(tmp_path)
    english = rendered(batch.folder, "don-2026-nld-bomberos", "donation_resolution", "en")
    assert "Section 5. If the recipient's customs broker has not confirmed in writing, within 90 calendar days after " \
           "the adoption of this resolution, that used vehicle F-117 can be imported, the donation of that vehicle " \
           "lapses without further action of the City Council, and the vehicle remains surplus property of the City of Laredo." in english
    assert "Section 6. This resolution takes effect" in english
    spanish = rendered(batch.folder, "don-2026-nld-bomberos", "donation_resolution", "es")
    assert "que el vehículo usado F-117 puede importarse, la donación de dicho vehículo quedará sin efecto de pleno derecho" in spanish
    listed = rendered(batch.folder, "don-2026-nld-public-works", "donation_resolution", "en")
    assert "lapses" not in listed and "Section 5. This resolution takes effect" in listed
    with open(batch.path(BOMB.rstrip("/") + ".yaml"), "a", encoding="utf-8") as handle:
        handle.write("import_confirmation_days: 45\n")
    assert "within 45 calendar days" in rendered(batch.folder, "don-2026-nld-bomberos", "donation_resolution", "en")


def test_each_signatory_acts_under_the_authority_its_council_gave(tmp_path):
    batch = BatchCopy(tmp_path)
    english = rendered(batch.folder, "laredo-saltillo", "agreement", "en")
    assert "represented by its Mayor, Elena R. Garza, as authorized by Resolution No. 2026-R-119 of its City Council" in english
    # the cabildo has not acted yet: a blank for its session, nothing claimed
    assert "Javier H. Dávila Treviño, as authorized by its Ayuntamiento in the session of ______________" in english
    with open(batch.path(SAL.rstrip("/") + ".yaml"), "a", encoding="utf-8") as handle:
        handle.write("cabildo: {acta: '45/2026', date: 2026-12-15}\n")
    english = rendered(batch.folder, "laredo-saltillo", "agreement", "en")
    assert "Javier H. Dávila Treviño, as authorized by its Ayuntamiento in the session of December 15, 2026 " \
           "(acta 45/2026)" in english
    spanish = rendered(batch.folder, "laredo-saltillo", "agreement", "es")
    assert "representada por su Alcaldesa, Elena R. Garza, conforme a la Resolución núm. 2026-R-119 de su Concejo " \
           "Municipal" in spanish
    assert "Javier H. Dávila Treviño, conforme al acuerdo de Cabildo de la sesión del 15 de diciembre de 2026 " \
           "(acta 45/2026)" in spanish


def test_an_adopted_resolution_prints_the_vote_of_the_minutes(tmp_path):
    from tests.conftest import AFTER_MEETING

    batch = BatchCopy(tmp_path)
    for name in ("don-2026-nld-public-works", "don-2026-nld-bomberos"):  # approved, the vote not yet recorded
        batch.replace(f"donations/{name}.yaml", "status: requested", "status: council_approved")
    findings = [f for f in batch.check(AFTER_MEETING).findings if f.rule == "resolution.vote"]
    assert sorted((Path(f.file).name, f.line, f.field) for f in findings) == [
        ("don-2026-nld-bomberos.yaml", batch.line_of(BOMB.rstrip("/") + ".yaml", "council:"), "council"),
        ("don-2026-nld-public-works.yaml", batch.line_of(PW.rstrip("/") + ".yaml", "council:"), "council")]
    blank = rendered(batch.folder, "don-2026-nld-bomberos", "donation_resolution", "en")
    assert "AYES: ______ NAYS: ______ ABSENT: ______ ABSTAIN: ______" in blank
    for name in ("don-2026-nld-public-works", "don-2026-nld-bomberos"):
        batch.replace(f"donations/{name}.yaml", "  meeting_date: 2026-12-08",
                      "  meeting_date: 2026-12-08\n  vote: {ayes: 7, nays: 0, absent: 1, abstain: 0}")
    assert "resolution.vote" not in {f.rule for f in batch.check(AFTER_MEETING).findings}
    assert "AYES: 7 NAYS: 0 ABSENT: 1 ABSTAIN: 0" in rendered(batch.folder, "don-2026-nld-bomberos", "donation_resolution", "en")
    assert "A FAVOR: 7 EN CONTRA: 0 AUSENTES: 1 ABSTENCIONES: 0" in rendered(batch.folder, "don-2026-nld-bomberos",
                                                                             "donation_resolution", "es")


def test_the_spanish_courtesy_translation_of_an_act_offers_no_line_to_sign(built):
    _, out = built
    for path in (SAL + "partnership_resolution.es.pdf", BOMB + "donation_resolution.es.pdf"):
        text = " ".join(pdf_text(out / path).split())
        act = re.split(r"ANEXO A DE LA", text)[0]  # Exhibit A is the agreement, which its signatories do sign
        signers = "por: Elena R. Garza, Alcaldesa DA FE: José A. Valdez"
        # the donations' vote is recorded: signed; the partnership's is not yet: to be signed
        assert ("Firmado en el original en inglés " if path.startswith(BOMB) else "El original en inglés será firmado ") + signers in act
        assert "Fecha: ____" not in act, path
    english = " ".join(pdf_text(out / (SAL + "partnership_resolution.en.pdf")).split())
    assert "Date: ____" in english.split("EXHIBIT A TO")[0]  # the English original is the one signed
