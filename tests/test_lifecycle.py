"""The papers of a record's life beyond the resolution: the council's agenda item (issue 16).

Each document's facts are read back from the PDF (pypdf) and the DOCX (python-docx); each gate
and each rule is shown to hold and to fail."""

from __future__ import annotations

import datetime as dt
import json
import re

import docx
import pytest
from pypdf import PdfReader

from tests.conftest import BOMB, DOS, MON, PW, SAL, only, pdf_text

ON_AGENDA = {DOS: "10.1", SAL: "10.2", PW: "10.3", BOMB: "10.4", MON: "10.5"}


def words(text: str) -> str:
    return " ".join(text.split())


def docx_words(path) -> str:
    return words(" ".join(p.text for p in docx.Document(path).paragraphs))


# --- the agenda item ---------------------------------------------------------------------------

@pytest.mark.slow
def test_every_record_on_the_agenda_gets_its_agenda_item_in_english_only(built):
    result, out = built
    items = sorted(d.doc_id for d in result.plan.documents if d.document == "agenda_item")
    assert items == sorted(f"{folder.split('/')[1]}/agenda_item.en" for folder in ON_AGENDA)
    for folder in ON_AGENDA:
        assert (out / folder / "agenda_item.en.pdf").is_file() and (out / folder / "agenda_item.en.docx").is_file()
        assert not list((out / folder).glob("agenda_item.es.*"))


@pytest.mark.slow
def test_the_agenda_item_quotes_the_caption_of_its_resolution_word_for_word(built):
    _, out = built
    for folder, number in ON_AGENDA.items():
        act = "status" if folder == MON else folder.split("/")[0][:-1]  # Monterrey's act is its status change
        resolution = words(pdf_text(out / folder / f"{act}_resolution.en.pdf"))
        caption = re.search(r"(A RESOLUTION OF THE CITY COUNCIL .*?PROVIDING AN EFFECTIVE DATE)", resolution).group(1)
        item = words(pdf_text(out / folder / "agenda_item.en.pdf"))
        assert caption in item, folder
        assert f"AGENDA ITEM {number}" in item
        resolution_number = re.search(r"Resolution No\. (2026-R-\d+)", resolution).group(1)
        assert f"Staff recommends that the City Council adopt Resolution No. {resolution_number}." in item


@pytest.mark.slow
def test_the_agenda_item_states_goal_background_fiscal_impact_and_attachments(built):
    _, out = built
    saltillo = words(pdf_text(out / SAL / "agenda_item.en.pdf"))
    assert "City of Laredo Strategic Plan 2025-2029, Goal 1: Grow trade, logistics and investment" in saltillo
    assert "Subject: Sister City Agreement with the Municipality of Saltillo, Coahuila de Zaragoza, Mexico" in saltillo
    assert "A large share of Saltillo's automotive exports reaches the United States through Port Laredo." in saltillo
    assert "Date: December 3, 2026" in saltillo  # council.filed_on, before the meeting
    # the City's costs the proposal budgets, subject to appropriation, beside the act that appropriates nothing
    assert ("The twinning proposal budgets $24,500.00 in City costs (forum venue and interpretation, $18,000.00; "
            "delegation travel to Saltillo, $6,500.00), to be paid only as the City Council appropriates them in the City's budget. The proposal's total budget is "
            "$54,500.00, of which $30,000.00 is to be paid by sponsors.") in saltillo
    # the partner signs only after its Ayuntamiento and the SRE; recognition follows
    assert ("Once the Mayor and the Municipal President of the Municipality of Saltillo sign (the latter once the "
            "Ayuntamiento has authorized it and Mexico's Secretaría de Relaciones Exteriores has issued its favorable "
            "opinion, the dictamen de procedencia), the agreement is sent to Sister Cities International for recognition.") in saltillo
    assert "Population: 879,958." in saltillo
    # the city's relationships in force and the communities demonstrating interest, from city.yaml
    assert "Nuevo Laredo, Tamaulipas, Mexico Sister City November 15, 1986" in saltillo
    assert "Monterrey, Nuevo León, Mexico Friendship City June 20, 2024" in saltillo
    assert "Monclova, Coahuila de Zaragoza, Mexico; San Luis Potosí" in saltillo
    # the fiscal impact names every component's funding source; the resolution appropriates nothing
    assert "The resolution appropriates no funds." in saltillo
    assert "Economic development and trade: Port Laredo promotion budget and the Saltillo Chamber of Commerce." in saltillo
    assert "the agreement in English and Spanish side by side, as it will be signed" in saltillo

    renewal = words(pdf_text(out / DOS / "agenda_item.en.pdf"))
    assert "Subject: Renewal of the sister city relationship with the Municipality of Nuevo Laredo" in renewal
    assert "in place since 1986" in renewal and "Goal 4: Govern together with our neighbors" in renewal

    donation = words(pdf_text(out / BOMB / "agenda_item.en.pdf"))
    assert "total book value of $0.00; the recipient bears repair, transport and import costs" in donation
    assert "Priority under the donation program: first of three tiers, because the recipient is in a neighboring municipality." in donation
    # the lapse of a vehicle off the permit list, as the resolution provides, and the public purpose it finds
    assert "Used vehicle F-117 is not of a type on the list of used vehicles" in donation and "lapses if that confirmation is not received within 90 calendar days" in donation
    assert "Article 61, section IX, of Mexico's Ley Aduanera" in donation and "with the authorization of Mexico's tax administration (SAT)" in donation
    assert "serves a public purpose of the City of Laredo" in donation and "not to sell, lease or transfer it" in donation
    public_works = words(pdf_text(out / PW / "agenda_item.en.pdf"))
    assert "Subject: Donation of surplus equipment to the Municipio de Nuevo Laredo, Tamaulipas, Mexico" in public_works
    assert "2014 Freightliner M2 rear-loader garbage truck (unit 4521, Solid Waste Services)" in public_works
    assert "Twelve desktop computers with monitors, fully depreciated (unit IT-20931, 12 pieces, Information Technology)" in public_works
    assert "for social service: fire protection and emergency rescue" in donation  # record text set inline
    assert "the recipient is an authorized donee (donataria autorizada), RFC PBN850312QJ2, the equipment will serve social service" in donation
    assert "with its exhibit: the equipment" in donation and "side by side" not in donation


@pytest.mark.slow
def test_the_agenda_item_docx_carries_the_words_of_its_pdf(built):
    _, out = built
    for folder in ON_AGENDA:
        body = docx_words(out / folder / "agenda_item.en.docx")
        for sentence in ("Staff recommends that the City Council adopt Resolution No.", "The resolution appropriates no funds.",
                         "Strategic Plan 2025-2029, Goal"):
            assert sentence in body, (folder, sentence)


@pytest.mark.slow
def test_the_packet_files_each_agenda_item_right_before_its_resolution(built):
    _, out = built
    reader = PdfReader(out / "council-packet.pdf")
    first_lines = []
    for page in reader.pages:
        text = words(page.extract_text())
        if "AGENDA ITEM 10." in text:
            first_lines.append(("item", re.search(r"AGENDA ITEM (10\.\d)", text).group(1)))
        elif re.search(r"RESOLUTION NO\. 2026-R-\d+ A RESOLUTION", text.upper()):
            first_lines.append(("resolution", re.search(r"2026-R-\d+", text).group(0)))
    order = [kind for kind, _ in first_lines]
    assert order == ["item", "resolution"] * 5, first_lines
    front = sum(not label.isdigit() for label in reader.page_labels)
    index = words(" ".join(reader.pages[i].extract_text() for i in range(front)))
    assert index.count("Agenda item memo") == 5
    # what the agenda item attaches travels with it: the proposal and the assessment behind item 10.2
    assert "For information: the twinning proposal" in index and "For information: staff's assessment of the proposal" in index


# --- the rules behind it -----------------------------------------------------------------------

def test_a_goal_the_strategic_plan_does_not_have_is_an_error_at_its_line(batch):
    line = batch.replace("partnerships/laredo-saltillo.yaml", 'strategic_goal: "1"', 'strategic_goal: "9"')
    finding = only(batch.check(), "agenda.strategic_goal")
    assert (finding.record, finding.field, finding.line, finding.severity) == ("laredo-saltillo", "council.strategic_goal", line, "error")
    assert "use one of 1, 2, 3, 4" in finding.fix


@pytest.mark.slow
def test_an_agenda_item_without_a_goal_is_a_warning_and_prints_so(batch, tmp_path):
    batch.replace("donations/don-2026-nld-public-works.yaml", '  strategic_goal: "3"\n', "")
    finding = only(batch.check(), "agenda.goal_missing")
    assert (finding.record, finding.field, finding.severity) == ("don-2026-nld-public-works", "council", "warning")
    from pipeline.build import build
    from tests.conftest import AFTER_MEETING

    build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, jobs=1)
    text = words(pdf_text(tmp_path / "out" / "example" / PW / "agenda_item.en.pdf"))
    assert "No goal of the council's strategic plan is cited." in text


def test_the_city_list_of_partnerships_agrees_with_the_records(batch):
    # a relationship in force missing from the list
    batch.replace("city.yaml", "signed: 1986-11-15, record: dos-laredos", "signed: 1986-11-15")
    finding = only(batch.check(), "city.partnerships")
    assert (finding.record, finding.field) == ("dos-laredos", "status") and "record: dos-laredos" in finding.fix
    # listed with another date than the record's
    batch.replace("city.yaml", "signed: 1986-11-15", "signed: 1987-11-15, record: dos-laredos")
    finding = only(batch.check(), "city.partnerships")
    assert finding.field == "established" and "1987-11-15" in finding.message and "1986-11-15" in finding.message
    # a proposed relationship listed as in force
    batch.replace("city.yaml", "signed: 1987-11-15, record: dos-laredos", "signed: 1986-11-15, record: dos-laredos")
    batch.replace("city.yaml", "demonstrating_interest:", "  - {partner: Saltillo, state: MX-COA, country: MX, kind: sister_city, "
                  "signed: 2026-12-08, record: laredo-saltillo}\ndemonstrating_interest:")
    finding = only(batch.check(), "city.partnerships")
    assert finding.record == "laredo-saltillo" and "its status is proposed" in finding.message


# --- the proclamation ----------------------------------------------------------------------------

def adopt_saltillo(batch) -> None:
    path = "partnerships/laredo-saltillo.yaml"
    batch.replace(path, "status: proposed", "status: council_approved")
    batch.replace(path, "  meeting_date: 2026-12-08", "  meeting_date: 2026-12-08\n  vote: {ayes: 8, nays: 0, absent: 0, abstain: 0}")


@pytest.mark.slow
def test_the_proclamation_waits_for_the_council_then_reads_alike_in_both_languages(batch, tmp_path):
    from pipeline.build import build
    from tests.conftest import AFTER_MEETING

    before = build(batch.folder, tmp_path / "before", as_of=AFTER_MEETING, jobs=1)
    assert not [d for d in before.plan.documents if d.document == "proclamation"]
    assert {(h.record_id, h.reason) for h in before.plan.held_back if h.document == "proclamation"} == {
        ("laredo-saltillo", "made once the council has adopted the resolution"),
        ("dos-laredos", "made once the council has adopted the resolution")}
    adopt_saltillo(batch)
    after = build(batch.folder, tmp_path / "after", as_of=AFTER_MEETING, jobs=1)
    made = sorted(d.doc_id for d in after.plan.documents if d.document == "proclamation")
    assert made == ["laredo-saltillo/proclamation.en", "laredo-saltillo/proclamation.es"]
    folder = tmp_path / "after" / "example" / SAL
    en, es = (words(pdf_text(folder / f"proclamation.{lang}.pdf")) for lang in ("en", "es"))
    assert "PROCLAMATION" in en and "PROCLAMA" in es
    assert ("I, Elena R. Garza, Mayor of the City of Laredo, do hereby proclaim the sister city relationship between "
            "the City of Laredo and the Municipality of Saltillo, Coahuila de Zaragoza, Mexico") in en
    assert ("yo, Elena R. Garza, Alcaldesa de la Ciudad de Laredo, proclamo la relación de hermanamiento entre "
            "la Ciudad de Laredo y el Municipio de Saltillo, Coahuila de Zaragoza, México") in es
    assert "by Resolution No. 2026-R-119, adopted on December 8, 2026" in en
    assert "mediante la Resolución núm. 2026-R-119, aprobada el 8 de diciembre de 2026" in es
    # the same objectives, in the same order, and the signing date left to be filled in
    for text in (en, es):
        assert "(1) " in text and "(2) " in text and "(3) " not in text
    assert "this ______ day of" in en and "el día ______ de" in es
    assert "ATTEST: José A. Valdez City Secretary" in en.replace("\n", " ")
    assert "DA FE: José A. Valdez Secretario de la Ciudad" in es
    assert "APPROVED AS TO FORM" not in en  # a proclamation is the mayor's act, attested only



# --- the proposal and staff's assessment of it ----------------------------------------------------

@pytest.mark.slow
def test_the_proposal_carries_the_same_facts_in_both_languages(built):
    result, out = built
    made = sorted(d.doc_id for d in result.plan.documents if d.document == "proposal")
    assert made == ["laredo-saltillo/proposal.en", "laredo-saltillo/proposal.es"]  # only a record with a proposal
    en, es = (words(pdf_text(out / SAL / f"proposal.{lang}.pdf")) for lang in ("en", "es"))
    assert "PROPOSAL: SISTER CITY RELATIONSHIP WITH THE MUNICIPALITY OF SALTILLO" in en
    assert "PROPUESTA: RELACIÓN DE HERMANAMIENTO CON EL MUNICIPIO DE SALTILLO" in es
    # the same people, years, amounts and totals per payer, each in its language's form
    for name in ("Rosa M. Salinas", "Arturo L. Benavides", "Tomás Ramos Cepeda", "Lucía M. Flores Garza"):
        assert name in en and name in es
    assert re.findall(r"\b2027\b", en) == re.findall(r"\b2027\b", es)
    assert "City $18,000.00" in en and "Ciudad $18,000.00 USD" in es
    assert "Total paid by the City $24,500.00" in en and "Total a cargo de la Ciudad $24,500.00 USD" in es
    assert "Total paid by sponsors $30,000.00" in en and "Total a cargo de los patrocinadores $30,000.00 USD" in es
    assert "Grand total $54,500.00" in en and "Total general $54,500.00 USD" in es
    assert "confirmed on August 28, 2026 by Mariana E. Aguirre, International Relations Coordinator, by letter" in en
    assert "confirmada el 28 de agosto de 2026 por Mariana E. Aguirre, Coordinadora de Relaciones Internacionales, por carta" in es
    assert "by letter" not in es and "International Relations Coordinator" not in es  # no English inside the Spanish text
    assert "effective 90 calendar days after it is received" in en and "surtirá efectos 90 días naturales después de su recepción" in es
    assert "Cámara de Comercio de Laredo" in es and "Laredo Chamber of Commerce" in en


@pytest.mark.slow
def test_the_assessment_scores_every_criterion_and_computes_what_the_records_hold(built):
    result, out = built
    assert [d.doc_id for d in result.plan.documents if d.document == "assessment"] == ["laredo-saltillo/assessment.en"]
    assert not (out / SAL / "assessment.es.pdf").exists()
    text = words(pdf_text(out / SAL / "assessment.en.pdf"))
    for criterion, score in (("Citizen interest in both communities", 4), ("Business and economic development potential", 5),
                             ("Educational, cultural and sports development potential", 4),
                             ("The political climate and stability of the partner", 4), ("Similarity in size, geography", 3)):
        assert re.search(re.escape(criterion) + r".*? " + str(score) + " ", text), criterion
    assert "Total 20 of 25" in text
    assert "Population 255,205 879,958 (3.4 times the City's)" in text  # city.yaml and the record, not retyped
    assert "Nuevo Laredo (1986); Monterrey (2024)" in text
    assert "The City has no relationship in Coahuila de Zaragoza yet." in text
    assert "The proposal's budget totals $54,500.00: the City $24,500.00, sponsors $30,000.00." in text
    assert "Recommendation Proceed." in text
    assert "Re: the twinning proposal of September 15, 2026" in text


@pytest.mark.slow
def test_the_assessment_follows_the_city_population_it_computes_from(batch, tmp_path):
    from pipeline.build import build
    from tests.conftest import AFTER_MEETING

    batch.replace("city.yaml", "population: 255205", "population: 510410")
    build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, jobs=1)
    text = words(pdf_text(tmp_path / "out" / "example" / SAL / "assessment.en.pdf"))
    assert "Population 510,410 879,958 (1.7 times the City's)" in text


def test_an_assessment_missing_a_criterion_or_its_evidence_is_refused(batch):
    path = "partnerships/laredo-saltillo.yaml"
    line = batch.line_of(path, "  criteria:")
    batch.replace(path, '    similarity: {score: 3, evidence: "Saltillo is more than three times Laredo\'s size, but both are logistics and manufacturing cities of the same corridor."}\n', "")
    finding = only(batch.check(), "assessment.criterion")
    assert (finding.field, finding.line, finding.severity) == ("assessment.criteria", line, "error")
    assert "similarity" in finding.message and "score: 1 to 5" in finding.fix
    batch.replace(path, 'political_stability: {score: 4, evidence: "Stable municipal administration; staff found no travel restriction for official delegations to Saltillo."}',
                  "political_stability: {score: 4}")
    missing = [f for f in batch.check().findings if f.rule == "schema.required"]
    assert [f.field for f in missing] == ["assessment.criteria.political_stability.evidence"]


def test_the_lifecycle_steps_come_in_order(batch):
    path = "partnerships/laredo-saltillo.yaml"
    batch.replace(path, "  date: 2026-10-20\n  by:", "  date: 2026-12-10\n  by:")
    finding = only(batch.check(), "lifecycle.order")
    assert finding.field == "assessment.date" and "after the council meeting (2026-12-08)" in finding.message
    batch.replace(path, "  date: 2026-12-10\n  by:", "  date: 2026-09-01\n  by:")
    finding = only(batch.check(), "lifecycle.order")
    assert finding.field == "assessment.date" and "before the proposal it assesses (2026-09-15)" in finding.message
    batch.replace(path, "  date: 2026-09-01\n  by:", "  date: 2026-10-20\n  by:")
    batch.replace(path, "status: proposed", "status: proposed\nletter_date: 2026-09-01")
    finding = only(batch.check(), "lifecycle.order")
    assert finding.field == "letter_date" and finding.severity == "error"


@pytest.mark.slow
def test_a_new_relationship_without_proposal_or_assessment_is_warned_and_gets_no_such_papers(batch, tmp_path):
    from pipeline.build import build
    from tests.conftest import AFTER_MEETING

    path = "partnerships/laredo-saltillo.yaml"
    text = batch.path(path).read_text(encoding="utf-8")
    start, end = text.index("proposal:"), text.index("council:\n")
    batch.write(path, text[:start] + text[end:])
    report = batch.check()
    assert only(report, "lifecycle.proposal").severity == "warning"
    assert only(report, "lifecycle.assessment").field == "council"
    result = build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, jobs=1)
    assert not [d for d in result.plan.documents if d.document in ("proposal", "assessment")]
    agenda = words(pdf_text(tmp_path / "out" / "example" / SAL / "agenda_item.en.pdf"))
    assert "staff scored" not in agenda


@pytest.mark.slow
def test_the_agenda_item_reports_the_assessment_and_lists_proposal_and_assessment(built):
    _, out = built
    text = words(pdf_text(out / SAL / "agenda_item.en.pdf"))
    joined = re.sub(r"(\w)- (\w)", r"\1-\2", text)  # a compound wrapped after its hyphen
    assert ("On October 20, 2026, staff scored the September 15, 2026 proposal 20 of 25 points on the five "
            "cost-benefit criteria and recommended: proceed.") in joined
    assert "The twinning proposal of September 15, 2026." in text and "Staff's assessment of the proposal, October 20, 2026." in text
    renewal = words(pdf_text(out / DOS / "agenda_item.en.pdf"))
    assert "staff scored" not in renewal and "twinning proposal" not in renewal


# --- the work plan (annual operation program) ---------------------------------------------------

@pytest.mark.slow
def test_the_work_plan_lists_every_activity_by_component_with_its_facts_in_both_languages(built):
    result, out = built
    assert sorted(d.doc_id for d in result.plan.documents if d.document == "work_plan") == [
        "dos-laredos/work_plan.en", "dos-laredos/work_plan.es"]
    en, es = (words(pdf_text(out / DOS / f"work_plan.{lang}.pdf")) for lang in ("en", "es"))
    assert "WORK PLAN 2027 ANNUAL OPERATION PROGRAM OF THE SISTER CITY RELATIONSHIP" in en
    assert "PROGRAMA OPERATIVO ANUAL 2027 RELACIÓN DE HERMANAMIENTO ENTRE LA CIUDAD DE LAREDO" in es
    # components in the agreement's order, each activity under its own, with dates, subcommittee, funding, targets
    order_en = [en.index(area) for area in ("Cultural, tourism and educational exchange", "Economic development and trade",
                                            "Governance and community engagement")]
    assert order_en == sorted(order_en)
    assert "Spring festival on both banks of the river April 16 through 18, 2027 Culture and youth" in en
    assert "Festival de primavera en ambas orillas del río del 16 al 18 de abril de 2027 Cultura y juventud" in es
    # an activity without its own funding source takes its component's; one with its own shows it
    assert "First cohort of the binational business incubator February 1 through November 30, 2027 Business incubator Economic development grants" in en
    assert "Budget of the Municipality of Nuevo Laredo (host in 2027)" in en and "Presupuesto de egresos del Municipio de Nuevo Laredo (sede en 2027)" in es
    assert "del 1 de febrero al 30 de noviembre de 2027" in es and "September 10, 2027" in en  # one day: no span
    assert "Forty students, twenty from each city" in en and "Cuarenta estudiantes, veinte de cada ciudad" in es
    # rosters: the steering committee and each subcommittee, both sides
    assert "Subcommittee: Business incubator Daniel Ochoa, Coordinator, City of Laredo Luis F. Montemayor, Coordinator" in en
    assert "Subcomité: Incubadora de empresas Daniel Ochoa, Coordinador, Ciudad de Laredo Luis F. Montemayor, Coordinador" in es
    assert not (out / SAL / "work_plan.en.pdf").exists()  # no plan recorded, no paper


def test_work_plan_activities_belong_to_the_record_and_their_year(batch):
    path = "partnerships/dos-laredos.yaml"
    line = batch.replace(path, "subcommittee: economy", "subcommittee: incubator")
    finding = only(batch.check(), "work_plan.subcommittee")
    assert (finding.field, finding.line) == ("work_plan[0].activities[2].subcommittee", line) and "culture, economy" in finding.fix
    batch.replace(path, "subcommittee: incubator", "subcommittee: economy")
    batch.replace(path, "        start: 2027-09-10", "        start: 2028-09-10")
    finding = only(batch.check(), "work_plan.dates")
    assert finding.field == "work_plan[0].activities[3].start" and "outside the 2027 program" in finding.message
    batch.replace(path, "        start: 2028-09-10", "        start: 2027-09-10")
    batch.replace(path, "      - component: governance_and_community_engagement", "      - component: public_safety")
    report = batch.check()
    assert only(report, "work_plan.component").field == "work_plan[0].activities[3].component"
    coverage = only(report, "work_plan.coverage")
    assert coverage.severity == "warning" and "governance_and_community_engagement" in coverage.message


@pytest.mark.slow
def test_the_agenda_item_is_dated_when_filed_never_after_its_meeting(batch, tmp_path):
    from pipeline.build import build
    from tests.conftest import AFTER_MEETING, AS_OF

    path = "donations/don-2026-nld-public-works.yaml"
    batch.replace(path, "  filed_on: 2026-12-03\n", "")
    build(batch.folder, tmp_path / "after", as_of=AFTER_MEETING, jobs=1)
    after = words(pdf_text(tmp_path / "after" / "example" / PW / "agenda_item.en.pdf"))
    assert "Date: ______________" in after and "December 9, 2026" not in after  # left to fill in, not the build day
    build(batch.folder, tmp_path / "before", as_of=AS_OF, jobs=1)
    before = words(pdf_text(tmp_path / "before" / "example" / PW / "agenda_item.en.pdf"))
    assert "Date: November 23, 2026" in before  # built before the meeting: the day it is issued
    line = batch.replace(path, "  strategic_goal: \"3\"\n", "  strategic_goal: \"3\"\n  filed_on: 2026-12-07\n")
    finding = only(batch.check(), "agenda.posting")
    assert (finding.field, finding.line, finding.severity) == ("council.filed_on", line + 1, "warning")
    assert "after 2026-12-05, the last day to post it 3 days before the 2026-12-08 meeting" in finding.message


# --- the evaluation report -----------------------------------------------------------------------

EVALUATION = """evaluation_date: 2027-12-08
signing:
  date: 2027-01-15
  place: {en: "Laredo, Texas", es: "Laredo, Texas"}
  signatories: {city: Elena R. Garza, partner: Javier H. Dávila Treviño}
evaluation:
  date: 2027-12-01
  by: {name: Daniel Ochoa, role: {en: International Affairs Officer, es: Titular de la Oficina de Asuntos Internacionales}, organization: {en: City of Laredo, es: Ciudad de Laredo}}
  results:
    - component: economic_development_and_trade
      kpi: 1
      result: {en: "One forum, in Laredo, with 46 companies", es: "Un foro, en Laredo, con 46 empresas"}
      met: met
  activities_done:
    - {en: First trade and investment forum in Laredo, es: Primer foro de comercio e inversión en Laredo}
  recommendation: continue
  reasons: {en: The forum met its target and the exchanges start in 2028., es: El foro cumplió su meta y los intercambios inician en 2028.}
"""


def signed_and_evaluated(batch) -> None:
    path = "partnerships/laredo-saltillo.yaml"
    batch.replace(path, "status: proposed", "status: signed")
    batch.replace(path, "  meeting_date: 2026-12-08", "  meeting_date: 2026-12-08\n  vote: {ayes: 8, nays: 0, absent: 0, abstain: 0}")
    batch.replace(path, "legal_review:\n  status: pending", "legal_review: {status: approved, reviewer: Marisa L. Benavides, date: 2026-11-30}\n" + EVALUATION)
    batch.approve_text(path)


@pytest.mark.slow
def test_the_evaluation_report_sets_each_indicator_beside_its_result_once_the_evaluation_happened(batch, tmp_path):
    import datetime as dt

    from pipeline.build import build

    signed_and_evaluated(batch)
    early = build(batch.folder, tmp_path / "early", as_of=dt.date(2027, 11, 20), jobs=1, keep_going=True)
    assert not [d for d in early.plan.documents if d.document == "evaluation_report" and d.record_id == "laredo-saltillo"]
    assert only(early.report, "evaluation.timing").field == "evaluation.date"  # results dated after today
    later = build(batch.folder, tmp_path / "later", as_of=dt.date(2027, 12, 10), jobs=1, keep_going=True)
    assert sorted(d.doc_id for d in later.plan.documents if d.document == "evaluation_report") == [
        "laredo-monterrey/evaluation_report.en", "laredo-monterrey/evaluation_report.es",
        "laredo-saltillo/evaluation_report.en", "laredo-saltillo/evaluation_report.es"]
    assert "evaluation.timing" not in {f.rule for f in later.report.findings}
    folder = tmp_path / "later" / "example" / SAL
    en, es = (words(pdf_text(folder / f"evaluation_report.{lang}.pdf")) for lang in ("en", "es"))
    assert "One forum a year with at least forty companies One forum, in Laredo, with 46 companies Met" in en
    assert "Un foro al año con al menos cuarenta empresas Un foro, en Laredo, con 46 empresas Cumplido" in es
    assert "Indicators evaluated: 1; met: 1; partly met: 0; not met: 0." in en
    assert "Indicadores evaluados: 1; cumplidos: 1; cumplidos en parte: 0; no cumplidos: 0." in es
    assert "the evaluation due by December 8, 2027 under the Sister City Agreement signed on January 15, 2028" not in en
    assert "under the Sister City Agreement signed on January 15, 2027" in en and "firmado el 15 de enero de 2027" in es
    assert "Continue the relationship as it is. The forum met its target" in en
    assert "Continuar la relación en sus términos. El foro cumplió su meta" in es
    assert "The program plan sets no indicator for this component." in en  # the exchanges component has none


def test_evaluation_results_are_of_the_record_own_indicators_and_all_of_them(batch):
    import datetime as dt

    signed_and_evaluated(batch)
    path = "partnerships/laredo-saltillo.yaml"
    line = batch.replace(path, "      kpi: 1\n", "      kpi: 2\n")
    report = batch.check(as_of=dt.date(2027, 12, 10))
    wrong = only(report, "evaluation.results")
    assert (wrong.field, wrong.line) == ("evaluation.results[0].kpi", line) and "has 1 indicator, not 2" in wrong.message
    missing = only(report, "evaluation.kpi")
    assert missing.severity == "warning" and "indicator 1 of economic_development_and_trade has no result" in missing.message
    batch.replace(path, "  date: 2027-12-01\n  by:", "  date: 2026-12-20\n  by:")
    assert "before the agreement was signed" in only(batch.check(as_of=dt.date(2027, 12, 10)), "evaluation.timing").message


# --- renewal, emeritus designation, termination --------------------------------------------------

MONTERREY = "partnerships/laredo-monterrey.yaml"
SAL_FILE = "partnerships/laredo-saltillo.yaml"
CHANGE_COUNCIL = "    filed_on: 2026-12-03\n"


def adopt_emeritus(batch, letter: bool = True) -> None:
    """laredo-monterrey after the meeting: the council adopted the emeritus designation; the mayor wrote."""
    batch.replace(MONTERREY, CHANGE_COUNCIL, CHANGE_COUNCIL + "    adopted: true\n    vote: {ayes: 8, nays: 1, absent: 0, abstain: 0}\n"
                  + ("  letter_date: 2026-12-10\n" if letter else ""))


@pytest.mark.slow
def test_a_status_change_goes_to_council_with_its_own_act_and_waits_for_it(built):
    result, out = built
    mine = {d.doc_id for d in result.plan.documents if d.record_id == "laredo-monterrey"}
    assert {"laredo-monterrey/status_resolution.en", "laredo-monterrey/status_resolution.es",
            "laredo-monterrey/agenda_item.en", "laredo-monterrey/evaluation_report.en"} <= mine
    held = {h.document: h.reason for h in result.plan.held_back if h.record_id == "laredo-monterrey"}
    assert "adopted at an earlier meeting" in held["partnership_resolution"]  # this meeting's act is the change
    assert held["status_letter"] == held["sci_notice"] == "made once the council has adopted the emeritus"
    en = words(pdf_text(out / MON / "status_resolution.en.pdf"))
    es = words(pdf_text(out / MON / "status_resolution.es.pdf"))
    assert ("DESIGNATING THE FRIENDSHIP CITY RELATIONSHIP BETWEEN THE CITY OF LAREDO AND THE MUNICIPALITY OF MONTERREY, "
            "NUEVO LEÓN, MEXICO, AS EMERITUS (INACTIVE), AND DIRECTING THAT THE PARTNER AND SISTER CITIES INTERNATIONAL "
            "BE NOTIFIED; AND PROVIDING AN EFFECTIVE DATE") in en
    assert ("QUE DECLARA EMÉRITA (INACTIVA) LA RELACIÓN DE CIUDADES AMIGAS ENTRE LA CIUDAD DE LAREDO Y EL MUNICIPIO DE "
            "MONTERREY, NUEVO LEÓN, MÉXICO, ORDENA QUE SE NOTIFIQUE A LA CONTRAPARTE Y A SISTER CITIES INTERNATIONAL, "
            "Y ESTABLECE SU ENTRADA EN VIGOR") in es
    # each reason its own WHEREAS, the evaluation it rests on, the 2024 act that authorized the agreement
    assert "WHEREAS, Monterrey's friendship city committee asked that the relationship be paused" in en
    assert "CONSIDERANDO que el comité de ciudades amigas de Monterrey solicitó suspender temporalmente la relación" in es
    assert ("are parties to a Friendship City Agreement signed on June 20, 2024 (the “Agreement”), which the City Council "
            "authorized by Resolution No. 2024-R-077") in en
    assert "evaluated the partnership on June 12, 2026 (indicators met: 0; partly met: 1; not met: 1) and recommended: designate the relationship emeritus (inactive)" in en
    assert "(indicadores cumplidos: 0; cumplidos en parte: 1; no cumplidos: 1) y recomendó: declarar emérita (inactiva) la relación" in es
    assert ("The Agreement remains in force and is not terminated; no new program activity will be planned or funded under it "
            "until the City Council reactivates the relationship.") in en
    assert "directs the Mayor to inform the Municipal President of the Municipality of Monterrey of this resolution by letter" in en
    assert "instruye a la Alcaldesa para que informe por carta al Presidente Municipal del Municipio de Monterrey" in es
    assert "agenda item 10.5" in en and "AYES: ______" in en  # not adopted: no vote yet
    item = words(pdf_text(out / MON / "agenda_item.en.pdf"))
    assert "Subject: Emeritus (inactive) status of the friendship city relationship with the Municipality of Monterrey" in item
    assert "Adoption of Resolution No. 2026-R-122: A RESOLUTION OF THE CITY COUNCIL" in item
    assert "Resolution No. 2026-R-122." in item.split("Attachments")[1]
    assert "For information: the evaluation report of June 12, 2026." in item
    assert "The agreement pursues these objectives" not in item  # the agenda is about the change, not the agreement


@pytest.mark.slow
def test_once_adopted_the_mayor_writes_and_sci_is_told(batch, tmp_path):
    from pipeline.build import build

    adopt_emeritus(batch, letter=False)
    before_letter = build(batch.folder, tmp_path / "a", as_of=dt.date(2026, 12, 9), jobs=1)
    due = [d for d in json.loads((tmp_path / "a" / "example" / "compliance-report.json").read_text())["deadlines"]
           if d["record"] == "laredo-monterrey"]
    assert [d["kind"] for d in due] == ["status_letter"]
    assert {"laredo-monterrey/status_letter.en", "laredo-monterrey/status_letter.es", "laredo-monterrey/sci_notice.en"} <= \
        {d.doc_id for d in before_letter.plan.documents}
    batch.replace(MONTERREY, "    vote: {ayes: 8, nays: 1, absent: 0, abstain: 0}\n",
                  "    vote: {ayes: 8, nays: 1, absent: 0, abstain: 0}\n  letter_date: 2026-12-10\n")
    build(batch.folder, tmp_path / "b", as_of=dt.date(2026, 12, 12), jobs=1)
    folder = tmp_path / "b" / "example" / MON
    assert (tmp_path / "b" / "example" / "archival" / MON / "status_resolution.en.pdf").is_file()  # adopted: archived
    resolution = words(pdf_text(folder / "status_resolution.en.pdf"))
    assert "AYES: 8 NAYS: 1 ABSENT: 0 ABSTAIN: 0" in resolution
    en, es = (words(pdf_text(folder / f"status_letter.{lang}.pdf")) for lang in ("en", "es"))
    assert en.startswith("City of Laredo") and "Laredo, Texas, December 10, 2026" in en  # status_change.letter_date
    assert ("on December 8, 2026, the City Council of the City of Laredo, by Resolution No. 2026-R-122, designated as emeritus "
            "(inactive) the friendship city relationship between our communities, in place since June 20, 2024.") in en
    assert ("el 8 de diciembre de 2026 el Concejo Municipal de la Ciudad de Laredo, mediante la resolución núm. 2026-R-122, "
            "declaró inactiva, con la categoría de emérita que utiliza Sister Cities International, la relación de ciudades "
            "amigas entre nuestras comunidades, vigente desde el 20 de junio de 2024.") in es
    assert "The Friendship City Agreement remains in force." in en and "El Acuerdo de Ciudades Amigas continúa vigente." in es
    assert "Monterrey's friendship city committee asked" in en and "El comité de ciudades amigas de Monterrey solicitó" in es
    assert "Enclosure: Resolution No. 2026-R-122" in en and "Anexo: resolución núm. 2026-R-122, con traducción de cortesía" in es
    assert ("cc: Gabriela M. Sada Elizondo, Director of International Relations of the Municipality of Monterrey "
            "Sister Cities International") in en
    assert ("c.c.p. Gabriela M. Sada Elizondo, Directora de Relaciones Internacionales del Municipio de Monterrey "
            "Sister Cities International") in es
    notice = words(pdf_text(folder / "sci_notice.en.pdf"))
    assert "By Resolution No. 2026-R-122, adopted on December 8, 2026, the City Council designated the relationship emeritus (inactive); the agreement remains in force." in notice
    assert "by letter of December 10, 2026" in notice and "Please list the partnership as emeritus" in notice
    assert not list(folder.glob("sci_notice.es.*"))  # SCI reads English
    due = [d for d in json.loads((tmp_path / "b" / "example" / "compliance-report.json").read_text())["deadlines"]
           if d["record"] == "laredo-monterrey"]
    assert [d["kind"] for d in due] == ["sci_notice"] and "sisterdocs sci-notice example laredo-monterrey" in due[0]["action"]


@pytest.mark.slow
def test_a_termination_gives_notice_under_article_7(batch, tmp_path):
    from pipeline.build import build

    batch.replace(MONTERREY, "  action: emeritus", "  action: termination")
    adopt_emeritus(batch)
    build(batch.folder, tmp_path / "out", as_of=dt.date(2026, 12, 12), jobs=1)
    folder = tmp_path / "out" / "example" / MON
    resolution = words(pdf_text(folder / "status_resolution.en.pdf"))
    assert "AUTHORIZING THE MAYOR TO GIVE WRITTEN NOTICE TERMINATING THE FRIENDSHIP CITY RELATIONSHIP" in resolution
    assert ("WHEREAS, Article 7 of the Agreement provides that either Party may terminate it by written notice to the other "
            "Party, that the termination takes effect 90 calendar days after the other Party receives the notice") in resolution
    assert ("determines to terminate the Agreement with the Municipality of Monterrey, Nuevo León, Mexico, and authorizes and "
            "directs the Mayor to give the Municipal President of the Municipality of Monterrey written notice of termination "
            "under Article 7 of the Agreement. The termination will take effect 90 calendar days after") in resolution
    assert "send Sister Cities International a copy of the notice and of this resolution, as Article 7 of the Agreement requires" in resolution
    assert "file with the City Secretary proof of the date on which the Municipality of Monterrey received the notice" in resolution
    es = words(pdf_text(folder / "status_resolution.es.pdf"))
    assert "QUE AUTORIZA A LA ALCALDESA A NOTIFICAR POR ESCRITO LA TERMINACIÓN DE LA RELACIÓN DE CIUDADES AMIGAS" in es
    assert "surtirá efectos a los 90 días naturales siguientes a la fecha en que el Municipio de Monterrey reciba el aviso" in es
    letter = words(pdf_text(folder / "status_letter.en.pdf"))
    assert ("as authorized by Resolution No. 2026-R-122, adopted by the City Council of the City of Laredo on December 8, "
            "2026, I hereby give you written notice, under Article 7 of the Friendship City Agreement between the City of "
            "Laredo and the Municipality of Monterrey signed on June 20, 2024, that the City of Laredo terminates that "
            "Agreement.") in letter
    assert "The termination will take effect 90 calendar days after the Municipality of Monterrey receives this notice." in letter
    assert "Please acknowledge receipt of this notice" in letter and "both versions constitute a single notice" in letter
    es = words(pdf_text(folder / "status_letter.es.pdf"))
    assert "que la Ciudad de Laredo da por terminado dicho Acuerdo" in es and "Le agradeceré acusar recibo" in es
    notice = words(pdf_text(folder / "sci_notice.en.pdf"))
    assert "sends you a copy of its written notice terminating that Agreement" in notice
    assert "We will confirm in writing the date of receipt and the resulting effective date" in notice


@pytest.mark.slow
def test_a_renewal_sets_the_next_evaluation(batch, tmp_path):
    from pipeline.build import build

    batch.replace(MONTERREY, "  action: emeritus", "  action: renewal\n  next_evaluation: 2028-06-20")
    item = build(batch.folder, tmp_path / "out", as_of=dt.date(2026, 11, 26), jobs=1)
    assert not item.report.errors
    resolution = words(pdf_text(tmp_path / "out" / "example" / MON / "status_resolution.en.pdf"))
    assert ("RENEWING THE FRIENDSHIP CITY RELATIONSHIP BETWEEN THE CITY OF LAREDO AND THE MUNICIPALITY OF MONTERREY, "
            "NUEVO LEÓN, MEXICO, IN PLACE SINCE JUNE 20, 2024; AND PROVIDING AN EFFECTIVE DATE") in resolution
    assert "and report to the City Council by June 20, 2028." in resolution


def test_status_change_rules(batch):
    # only from a relationship in force
    batch.replace(SAL_FILE, "legal_review:\n  status: pending", "legal_review:\n  status: pending\nstatus_change:\n  action: termination\n"
                  "  reasons: [{en: No interest, es: Sin interés}]\n  council: {resolution_number: 2026-R-130, meeting_date: 2026-12-08}")
    finding = only(batch.check(), "lifecycle.status_change")
    assert (finding.record, finding.field) == ("laredo-saltillo", "status_change.action")
    assert "a termination is for a relationship in force, and this one is proposed" in finding.message
    # emeritus and termination say why
    batch.replace(MONTERREY, "  reasons:\n    - en: Monterrey's friendship", "  old_reasons:\n    - en: Monterrey's friendship")
    report = batch.check()
    assert only(report, "lifecycle.reasons").field == "status_change.reasons"
    batch.replace(MONTERREY, "  old_reasons:\n", "  reasons:\n")
    # the council acts, then the mayor writes, then SCI hears it
    batch.replace(MONTERREY, CHANGE_COUNCIL, CHANGE_COUNCIL + "  letter_date: 2026-12-01\n  sci_notice_date: 2026-11-30\n")
    orders = [f for f in batch.check().findings if f.rule == "lifecycle.order"]
    assert [f.field for f in orders] == ["status_change.letter_date", "status_change.sci_notice_date"]
    # an ended status carries the letter and SCI's notice; and it is the change recorded
    batch.replace(MONTERREY, "  letter_date: 2026-12-01\n  sci_notice_date: 2026-11-30\n", "")
    batch.replace(MONTERREY, "status: active", "status: emeritus")
    ended = only(batch.check(as_of=dt.date(2026, 12, 20)), "partnership.status")
    assert ended.field == "status_change" and "lacks letter_date and sci_notice_date" in ended.message
    batch.replace(MONTERREY, "status: emeritus", "status: terminated")
    wrong = [f for f in batch.check(as_of=dt.date(2026, 12, 20)).findings if f.rule == "partnership.status"]
    assert [f.field for f in wrong] == ["status_change.action"]
    assert "status is terminated but the status change recorded is an emeritus designation" in wrong[0].message


def test_the_status_change_is_this_meetings_act_for_the_agenda_rules(batch):
    batch.replace(MONTERREY, "    meeting_date: 2026-12-08\n    strategic_goal: \"4\"", "    meeting_date: 2026-12-15\n    strategic_goal: \"9\"")
    report = batch.check()
    assert only(report, "agenda.meeting_date").field == "status_change.council.meeting_date"
    assert only(report, "agenda.strategic_goal").field == "status_change.council.strategic_goal"
    batch.replace(MONTERREY, "resolution_number: 2026-R-122", "resolution_number: 2026-R-121")  # the fire engine's
    assert only(batch.check(), "resolution.duplicate").field in ("status_change.council.resolution_number", "council.resolution_number")


@pytest.mark.slow
def test_sci_notice_sends_the_notice_the_act_and_the_letter_once(batch, tmp_path):
    import pytest
    from email import policy
    from email.parser import BytesParser

    from pipeline.build import build
    from pipeline.errors import SubmissionError
    from pipeline.sci import read_ledger, refuse_if_in_ledger
    from pipeline.sci_notice import notify

    archive = tmp_path / "signed"
    out = tmp_path / "out"
    build(batch.folder, out, as_of=dt.date(2026, 11, 26), jobs=1)
    with pytest.raises(SubmissionError, match="the council has not adopted the emeritus yet"):
        notify(batch.folder, "laredo-monterrey", out, archive, as_of=dt.date(2026, 11, 26))
    adopt_emeritus(batch, letter=False)
    with pytest.raises(SubmissionError, match="the mayor's letter to the partner has no date"):
        notify(batch.folder, "laredo-monterrey", out, archive, as_of=dt.date(2026, 12, 12))
    with pytest.raises(SubmissionError, match="not listed by Sister Cities International|no status change"):
        notify(batch.folder, "dos-laredos", out, archive, as_of=dt.date(2026, 12, 12))
    assert not archive.exists()  # refused: nothing written
    batch.replace(MONTERREY, "    vote: {ayes: 8, nays: 1, absent: 0, abstain: 0}\n",
                  "    vote: {ayes: 8, nays: 1, absent: 0, abstain: 0}\n  letter_date: 2026-12-10\n")
    with pytest.raises(SubmissionError, match="no notice to SCI for laredo-monterrey"):  # built before adoption
        notify(batch.folder, "laredo-monterrey", out, archive, as_of=dt.date(2026, 12, 12))
    build(batch.folder, out, as_of=dt.date(2026, 12, 12), jobs=1)
    from aiosmtpd.controller import Controller

    from tests.test_sci import Inbox, free_port

    inbox = Inbox()
    inbox.quit_reply = "421 closing"  # accepted, then a failed QUIT: still delivered
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        result = notify(batch.folder, "laredo-monterrey", out, archive, as_of=dt.date(2026, 12, 12), send=True,
                        environ={"SISTERDOCS_SMTP_HOST": "127.0.0.1", "SISTERDOCS_SMTP_PORT": str(server.port),
                                 "SISTERDOCS_SMTP_STARTTLS": "0"})
    finally:
        server.stop()
    assert result.sent_via == f"127.0.0.1:{server.port}" and len(inbox.envelopes) == 1
    assert inbox.envelopes[0].content.replace(b"\r\n", b"\n") == result.message.read_bytes().replace(b"\r\n", b"\n")
    assert result.pages == 4 and result.action == "emeritus"
    joined = words(pdf_text(result.packet))
    assert joined.index("Dear Membership Office") < joined.index("RESOLUTION NO. 2026-R-122") < joined.index("Dear Municipal President")
    assert result.archived.read_bytes() == result.packet.read_bytes()
    entry, delivery = read_ledger(archive)
    assert (entry["partnership"], entry["notice"], entry["pages"]) == ("laredo-monterrey", "emeritus", 4)
    assert (delivery["delivery_of"], delivery["status"]) == (entry["file"], "sent")
    refuse_if_in_ledger([entry], archive, "laredo-monterrey")  # a notice is not the agreement's submission
    from pipeline.sci.ledger import recorded_message
    assert recorded_message(archive, "laredo-monterrey", notice=True) == (entry, result.message.read_bytes())  # --resend's
    email = BytesParser(policy=policy.default).parsebytes(result.message.read_bytes())
    assert email["To"].addresses[0].addr_spec == "membership@sistercities.org"
    assert email["Subject"] == ("Emeritus (inactive) status of the friendship city relationship: Laredo, Texas – "
                                "Monterrey, Nuevo León")
    with pytest.raises(SubmissionError, match="already given notice of the emeritus"):
        notify(batch.folder, "laredo-monterrey", out, archive, as_of=dt.date(2026, 12, 13))


# --- a grandfathered agreement's review against the program ---------------------------------------

@pytest.mark.slow
def test_the_review_of_a_grandfathered_agreement_sets_the_old_beside_the_new_plan(built):
    result, out = built
    assert "dos-laredos/program_review.en" in {d.doc_id for d in result.plan.documents}
    assert not list((out / DOS).glob("program_review.es.*"))  # for the council, in English
    memo = words(pdf_text(out / DOS / "program_review.en.pdf"))
    # each requirement: what the 1986 agreement provides, what the new plan (read from the record) provides
    assert "A binational steering committee Provided 2 members for the City, 1 for the partner" in memo
    assert "A funding source for each program component Lacking named for 3 of 3 components" in memo
    assert "An action plan and timeline (annual operation program) Lacking the work plan for 2027" in memo
    assert "Indicators (KPIs) for each program component Lacking set for 2 of 3 components" in memo
    assert "An evaluation six months to two years after signing Lacking by December 8, 2027" in memo
    assert "The agreement in force lacks 6 of the program's 7 requirements" in memo
    assert "The new plan does not yet provide: indicators (KPIs) for each program component." in memo
    # the current projects, each with its fate, and the component names as the agreement prints them
    assert "Sister Cities Festival, held every spring since 1992 Continue, under Cultural, tourism and educational exchange" in memo
    assert "Joint directory of border businesses (last updated 2015) Close" in memo
    assert "Foster friendship and understanding between the peoples of both Laredos." in memo
    item = words(pdf_text(out / DOS / "agenda_item.en.pdf"))
    assert ("it lacks 6 of the program's 7 requirements, and the new plan provides all of them but indicators (KPIs) for "
            "each program component.") in item
    assert "For information: staff's review of the agreement in force against the program, October 15, 2026." in item


def test_program_review_rules(batch):
    path = "partnerships/dos-laredos.yaml"
    batch.replace(path, "      component: cultural_tourism_and_educational_exchange\n      note: Joins",
                  "      component: public_safety\n      note: Joins")
    finding = only(batch.check(), "program_review.component")
    assert (finding.record, finding.field) == ("dos-laredos", "program_review.projects[1].component")
    assert "'public_safety'" in finding.message and "cultural_tourism_and_educational_exchange" in finding.fix
    batch.replace(path, "program_review:", "old_review:")
    report = batch.check()
    assert only(report, "lifecycle.review").record == "dos-laredos"
