"""The donation process around the council step (issue 17): the donation letter for customs, the
designation of the pickup person, the title assignment, and the closing memo after pickup.

Each document's facts are read back from the PDF, in both languages where it is made in both;
each gate and each rule is shown to hold and to fail."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline.build import build
from tests.conftest import AFTER_MEETING, BOMB, PW, only, pdf_text

ID_NUMBERS = ("VLGRHC75021428H700", "SNOLRM80031228H400")  # the pickup people's ID numbers in the example
PW_FILE = "donations/don-2026-nld-public-works.yaml"


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
def test_the_donation_letter_for_customs_names_donor_donee_goods_and_the_exempt_purpose(built):
    _, out = built
    en, es = (words(pdf_text(out / BOMB / f"customs_letter.{lang}.pdf")) for lang in ("en", "es"))
    assert "(Ley Aduanera, Article 61, Section IX)" in en and "(Ley Aduanera, artículo 61, fracción IX)" in es
    assert ("as authorized by Resolution No. 2026-R-121 of its City Council, adopted on December 8, 2026") in en
    assert ("That it donates, free of charge, to the Patronato de Bomberos de Nuevo Laredo, A.C., a non-profit legal person "
            "authorized to receive donations deductible from income tax (donataria autorizada; SAT 600-04-02-2024-11873 of "
            "March 15, 2024), RFC PBN850312QJ2, with its address at Calle Victoria 2120, Col. Centro, C.P. 88000, Nuevo "
            "Laredo, Tamaulipas, Mexico (the “Recipient”)") in en
    assert ("Que dona a título gratuito al Patronato de Bomberos de Nuevo Laredo, A.C., persona moral sin fines de lucro "
            "autorizada para recibir donativos deducibles del impuesto sobre la renta (donataria autorizada; SAT "
            "600-04-02-2024-11873 del 15 de marzo de 2024), con RFC PBN850312QJ2") in es
    assert "Employer Identification Number (EIN) 74-6001234" in en and "manifiesta, bajo protesta de decir verdad:" in es
    assert "Que es legítima propietaria de los bienes, que son usados" in es
    # the council's condition on a vehicle off the permit list is part of the letter
    assert ("the donation of used vehicle F-117 is subject to the condition that the customs broker of the Recipient confirm "
            "in writing, no later than March 8, 2027") in en
    assert "la donación del vehículo usado F-117 está sujeta a la condición" in es
    assert "That the goods are donated for social service: fire protection and emergency rescue" in en
    assert "Que los bienes se donan para servicio social: protección contra incendios" in es
    assert "receives no payment or consideration of any kind" in en and "no recibe pago ni contraprestación alguna" in es
    assert "F-117 1 2011 Freightliner M2 pumper fire engine, 1,250 gpm 1FVHG3DV7BHAZ7781 $35,000.00" in en
    assert "with a book value of $0.00" in en  # the estimate is for customs; the register says zero
    assert "Secretaría de Economía's prior import permit" not in en  # no permit is granted for its type
    works = words(pdf_text(out / PW / "customs_letter.en.pdf"))
    assert "RFC MNL850101NL0" in works and "deductible" not in works  # a government needs no SAT authorization
    assert "IT-20931 12 Twelve desktop computers with monitors, fully depreciated; storage media wiped; working order 7QK2MX1," in works
    assert "Total $18,480.00" in works
    assert "including the Secretaría de Economía's prior import permit, which the Recipient obtains through its customs broker" in works
    resolution = words(pdf_text(out / BOMB / "donation_resolution.en.pdf"))
    assert "to sign the release and receipt and the donation letter for the recipient's customs broker" in resolution


@pytest.mark.slow
def test_an_item_without_its_serial_holds_the_customs_letter_back(batch, tmp_path):
    from tests.conftest import approve_donations

    approve_donations(batch)
    batch.replace(PW_FILE, '    serial_number: "7QK2MX1, 7QK2MX4, 7QK2MX9, 7QK2MY2, 8DF3NB7, 8DF3NC1, 8DF3NC5, 8DF3ND0, 9HJ4PA2, 9HJ4PA8, 9HJ4PB3, 9HJ4PB6"\n', "")
    batch.replace(PW_FILE, "    estimated_value: 480            # twelve at $40 each\n", "")
    assert only(batch.check(), "customs.value").field == "items[1].estimated_value"
    finding = only(batch.check(), "customs.serial")
    assert (finding.record, finding.field) == ("don-2026-nld-public-works", "items[1].serial_number")
    result = build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, jobs=1, keep_going=True)
    held = {(h.record_id, h.document): h.reason for h in result.plan.held_back}
    assert ("don-2026-nld-public-works", "*") in held or \
        held[("don-2026-nld-public-works", "customs_letter")] == "made once every item has its VIN or serial number"
    assert not (tmp_path / "out" / "example" / PW / "customs_letter.en.pdf").exists()


@pytest.mark.slow
def test_the_designation_form_names_who_signs_and_leaves_the_id_number_to_be_written(built):
    _, out = built
    en, es = (words(pdf_text(out / BOMB / f"pickup_designation.{lang}.pdf")) for lang in ("en", "es"))
    assert ("I, Gerardo Elizondo Peña, Legal Representative of the Patronato de Bomberos de Nuevo Laredo, A.C., under the "
            "power of attorney in public deed No. 45,218 of May 9, 2023, granted before Notary Public No. 12 of Nuevo Laredo, "
            "Tamaulipas, designate the person named below") in en
    assert "Yo, Gerardo Elizondo Peña, Apoderado Legal del Patronato de Bomberos de Nuevo Laredo, A.C." in es
    assert "escritura pública núm. 45,218 del 9 de mayo de 2023, ante la fe del Notario Público núm. 12 de Nuevo Laredo" in es
    release = words(pdf_text(out / BOMB / "release_receipt-recipient-copy.es.pdf"))
    assert "Secretaría de Economía" not in release  # no permit is granted for a fire engine's type
    assert "incluido el cumplimiento de las regulaciones y restricciones no arancelarias aplicables al vehículo usado F-117" in release
    assert "Person designated Héctor Villarreal Garza" in en and "Persona designada Héctor Villarreal Garza" in es
    assert "under Resolution No. 2026-R-121 of December 8, 2026" in en
    for text in (en, es, words(pdf_text(out / PW / "pickup_designation.en.pdf"))):
        assert not any(number in text for number in ID_NUMBERS)  # the form leaves the City


@pytest.mark.slow
def test_titles_are_listed_for_managements_signature_and_held_for_an_unlisted_vehicle(built):
    _, out = built
    sheet = words(pdf_text(out / BOMB / "title_assignment.en.pdf"))
    assert "To: Roberto E. Angulo, City Manager" in sheet
    assert ("F-117 2011 Freightliner M2 pumper 1FVHG3DV7BHAZ7781 City of Laredo Patronato de Bomberos de Nuevo Laredo, A.C. "
            "Hold: not before the broker's confirmation") in sheet
    assert "City Manager, or designee under Resolution No. 2026-R-121" in sheet
    assert "without that confirmation by March 8, 2027, the donation lapses" in sheet
    works = words(pdf_text(out / PW / "title_assignment.en.pdf"))
    assert "4521 2014 Freightliner M2 106 1FVACXDT6EHFZ1234 City of Laredo Municipio de Nuevo Laredo" in works
    assert "Hold" not in works and "Permit list" in works  # a garbage truck is on the permit list
    fleet = words(pdf_text(out / PW / "notice-fleet.en.pdf"))
    assert "Roberto E. Angulo, City Manager (or designee) Municipio de Nuevo Laredo" in fleet
    bomberos_fleet = words(pdf_text(out / BOMB / "notice-fleet.en.pdf"))
    assert ("the donation of used vehicle F-117 is subject to the condition in the box below. Please obtain the signature of the "
            "City Manager (or designee) on the assignment of the certificate of title to the recipient (for used vehicle "
            "F-117, only once the International Affairs office gives you written clearance)") in bomberos_fleet
    assert not (out / PW / "title_assignment.es.pdf").exists()


@pytest.mark.slow
def test_nothing_of_these_steps_is_made_before_the_council_approves(batch, tmp_path):
    result = build(batch.folder, tmp_path / "out", as_of=dt.date(2026, 11, 26), jobs=1)
    made = {d.document for d in result.plan.documents if d.record_kind == "donation" and d.record_id != "don-2026-nld-school-bus"}
    assert not made & {"customs_letter", "pickup_designation", "title_assignment", "closing_memo"}
    assert {"customs_letter", "pickup_designation", "title_assignment", "closing_memo"} <= \
        {d.document for d in result.plan.documents if d.record_id == "don-2026-nld-school-bus"}  # approved in September


def pick_up(batch, designation_signer: str = "Jorge L. Salinas Ortiz", id_checked: bool = True) -> None:
    from tests.conftest import approve_donations

    approve_donations(batch)
    batch.replace(PW_FILE, "status: council_approved", "status: picked_up")
    batch.replace(PW_FILE, '  phone: "+52 867 555 0190"\n', '  phone: "+52 867 555 0190"\n  picked_up_on: 2026-12-15\n'
                  + ("  id_checked: true\n" if id_checked else "")
                  + f"designation: {{date: 2026-12-11, signed_by: {designation_signer}}}\n")


@pytest.mark.slow
def test_after_pickup_the_closing_memo_takes_the_items_off_the_register(batch, tmp_path):
    pick_up(batch)
    result = build(batch.folder, tmp_path / "out", as_of=dt.date(2026, 12, 16), jobs=1)
    assert not result.report.errors
    folder = tmp_path / "out" / "example" / PW
    memo = words(pdf_text(folder / "closing_memo.en.pdf"))
    assert "To: Information Technology; Solid Waste Services; Fleet Management" in memo
    assert ("On December 15, 2026, Ramiro Sánchez Olvera, designated by the Municipio de Nuevo Laredo in writing on "
            "December 11, 2026, picked up the equipment below") in memo
    assert "Please remove each item from your asset register as disposed of by donation under Resolution No. 2026-R-120" in memo
    assert not any(number in memo for number in ID_NUMBERS)
    release = words(pdf_text(folder / "release_receipt-recipient-copy.es.pdf"))
    assert "en la designación que Jorge L. Salinas Ortiz firmó el 11 de diciembre de 2026" in release
    assert "in the designation that Jorge L. Salinas Ortiz signed on December 11, 2026" in release
    due = json.loads((tmp_path / "out" / "example" / "compliance-report.json").read_text())["deadlines"]
    assert ("don-2026-nld-public-works", "pickup") not in {(d["record"], d["kind"]) for d in due}
    assert ("don-2026-nld-bomberos", "pickup") in {(d["record"], d["kind"]) for d in due}
    assert "don-2026-nld-bomberos" in {h.record_id for h in result.plan.held_back if h.document == "closing_memo"}


def test_a_pickup_needs_the_designation_signed_by_the_representative_and_the_id_checked(batch):
    pick_up(batch, designation_signer="Luis F. Montemayor", id_checked=False)
    report = batch.check(as_of=dt.date(2026, 12, 16))
    signer = only(report, "pickup.designation_signer")
    assert signer.field == "designation.signed_by" and "not by the recipient's representative (Jorge L. Salinas Ortiz)" in signer.message
    assert only(report, "pickup.id_checked").field == "pickup.id_checked"
    batch.replace(PW_FILE, "designation: {date: 2026-12-11, signed_by: Luis F. Montemayor}\n", "")
    assert only(batch.check(as_of=dt.date(2026, 12, 16)), "pickup.designation").field == "pickup.picked_up_on"


@pytest.mark.slow
def test_the_request_log_lists_each_donation_by_priority_with_its_step(built, batch, tmp_path):
    _, out = built
    log = json.loads((out / "compliance-report.json").read_text())["donation_log"]
    # tier 1 all; first come first
    assert [d["id"] for d in log] == ["don-2026-nld-school-bus", "don-2026-nld-public-works", "don-2026-nld-bomberos"]
    bomberos = log[2]
    assert (bomberos["priority_tier"], bomberos["step"]) == (1, "3. approved: designation and pickup")
    assert bomberos["waiting_for"] == ("the recipient's signed pickup designation; then the customs broker's written "
                                       "confirmation for F-117; then pickup by the designated person, with the ID checked")
    text = words(pdf_text(out / "compliance-report.pdf"))
    assert "Donation requests, in order of priority" in text
    # before the council: the first step; once the broker has confirmed, the title is no longer held
    result = build(batch.folder, tmp_path / "before", as_of=dt.date(2026, 11, 26), jobs=1)
    early = json.loads((tmp_path / "before" / "example" / "compliance-report.json").read_text())["donation_log"]
    assert {d["id"]: d["step"] for d in early} == {"don-2026-nld-public-works": "2. council approval", "don-2026-nld-bomberos": "2. council approval",
                                                   "don-2026-nld-school-bus": "4. picked up and closed"} and result.plan is not None
    from tests.conftest import approve_donations

    approve_donations(batch)
    batch.replace("donations/don-2026-nld-bomberos.yaml", "    auctioned: true\n",
                  "    auctioned: true\n    import_confirmed_on: 2026-12-12\n")
    build(batch.folder, tmp_path / "after", as_of=dt.date(2026, 12, 14), jobs=1)
    later = {d["id"]: d for d in json.loads((tmp_path / "after" / "example" / "compliance-report.json").read_text())["donation_log"]}
    assert "broker" not in later["don-2026-nld-bomberos"]["waiting_for"]
    sheet = words(pdf_text(tmp_path / "after" / "example" / BOMB / "title_assignment.en.pdf"))
    assert "Broker confirmed December 12, 2026" in sheet and "Do not assign yet" not in sheet


@pytest.mark.slow
def test_the_availability_request_asks_each_department_the_four_conditions(batch, tmp_path):
    result = build(batch.folder, tmp_path / "out", as_of=dt.date(2026, 11, 26), jobs=1)
    made = sorted(d.doc_id for d in result.plan.documents if d.document == "availability_request")
    assert made == ["don-2026-nld-bomberos/availability_request-fire-department.en",
                    "don-2026-nld-public-works/availability_request-information-technology.en",
                    "don-2026-nld-public-works/availability_request-solid-waste-services.en"]
    memo = words(pdf_text(tmp_path / "out" / "example" / PW / "availability_request-information-technology.en.pdf"))
    assert "To: Information Technology" in memo and "Date: October 16, 2026" in memo  # Management's authorization
    assert ("asked the City for a garbage truck and office computers for the municipal health department, for public "
            "health") in memo
    assert "With the authorization Roberto E. Angulo, City Manager, gave on October 16, 2026, please tell us by October 30, 2026" in memo
    assert "this request is in tier 1 (neighbouring municipality)" in memo
    assert "IT-20931 Twelve desktop computers with monitors, fully depreciated General Fund 101 Yes Yes Yes Yes" in memo
    assert "4521" not in memo  # Solid Waste's truck is asked of Solid Waste
    # without Management's authorization, nothing goes to the departments; after approval, no request is made
    batch.replace("donations/don-2026-nld-bomberos.yaml",
                  'availability: {authorized_by: "Roberto E. Angulo, City Manager", authorized_on: 2026-11-02, reply_by: 2026-11-13}\n', "")
    from tests.conftest import approve_donations

    approve_donations(batch)
    later = build(batch.folder, tmp_path / "later", as_of=AFTER_MEETING, jobs=1)
    assert not [d for d in later.plan.documents if d.document == "availability_request"]


@pytest.mark.slow
def test_the_example_donation_picked_up_in_october_has_every_step_on_paper(built):
    """The school bus was approved on September 22 and picked up on October 8: its papers keep
    the days they were issued, it is not on this meeting's agenda, and nothing waits."""
    result, out = built
    from tests.conftest import BUS

    folder = out / BUS
    made = sorted(p.name for p in folder.iterdir())
    assert made == ["approval_letter.en.docx", "approval_letter.en.pdf",
                    "approval_letter.es.docx", "approval_letter.es.pdf", "closing_memo.en.pdf", "customs_letter.en.docx",
                    "customs_letter.en.pdf", "customs_letter.es.docx", "customs_letter.es.pdf", "donation_resolution.en.docx",
                    "donation_resolution.en.pdf", "donation_resolution.es.docx", "donation_resolution.es.pdf",
                    "notice-fleet.en.pdf", "notice-information-technology.en.pdf", "notice-parks-and-recreation.en.pdf",
                    "pickup_designation.en.pdf", "pickup_designation.es.pdf", "release_receipt-city-copy.en.pdf",
                    "release_receipt-recipient-copy.es.pdf", "title_assignment.en.pdf"]
    assert (out / "archival" / BUS / "donation_resolution.en.pdf").exists()  # adopted in September
    letter = words(pdf_text(folder / "approval_letter.en.pdf"))
    assert "Laredo, Texas, September 25, 2026" in letter and "on September 22, 2026 the City Council" in letter
    assert "Laredo, Texas, 25 de septiembre de 2026" in words(pdf_text(folder / "approval_letter.es.pdf"))
    memo = words(pdf_text(folder / "closing_memo.en.pdf"))
    assert "Date: October 8, 2026" in memo and "To: Information Technology; Parks and Recreation; Fleet Management" in memo
    assert "effective October 8, 2026" in memo
    assert "3307 2012 Blue Bird Vision 1BAKGCPA5CF281454 City of Laredo Municipio de Nuevo Laredo Permit list" in \
        words(pdf_text(folder / "title_assignment.en.pdf"))
    release = words(pdf_text(folder / "release_receipt-city-copy.en.pdf"))
    assert "in the designation that Jorge L. Salinas Ortiz signed on October 1, 2026" in release
    assert "SNOLRM80031228H400" in release
    assert "SNOLRM80031228H400" not in words(pdf_text(folder / "release_receipt-recipient-copy.es.pdf"))
    log = {d["id"]: d for d in json.loads((out / "compliance-report.json").read_text())["donation_log"]}
    assert (log["don-2026-nld-school-bus"]["step"], log["don-2026-nld-school-bus"]["waiting_for"]) == \
        ("4. picked up and closed", "nothing")
    assert "2026-R-097" not in words(pdf_text(out / "council-packet.pdf"))  # acted on in September, not at this meeting
    assert "agenda.missing" not in {f.rule for f in result.report.findings}
    # its agenda item belonged to the September meeting: none is made with this meeting's date
    assert ("don-2026-nld-school-bus", "agenda_item") in {(h.record_id, h.document) for h in result.plan.held_back}


def test_a_donation_at_council_without_step_one_and_a_closed_one_without_its_letter_date_are_warned(batch):
    batch.replace("donations/don-2026-nld-school-bus.yaml",
                  'availability: {authorized_by: "Roberto E. Angulo, City Manager", authorized_on: 2026-07-08, reply_by: 2026-07-22}\n', "")
    batch.replace("donations/don-2026-nld-school-bus.yaml", "letter_date: 2026-09-25", "")
    report = batch.check()
    availability, letter = only(report, "donation.availability"), only(report, "donation.letter_date")
    assert (availability.record, availability.field) == ("don-2026-nld-school-bus", "council")
    assert "Management's authorization" in availability.message and "availability:" in availability.fix
    assert letter.field == "status" and "each rebuild would date them" in letter.message
    # a record whose council act is for this meeting is still missed when it is off the agenda
    batch.replace("batch.yaml", "  - item: \"10.4\"\n    record: don-2026-nld-bomberos\n", "")
    assert only(batch.check(), "agenda.missing").record == "don-2026-nld-bomberos"
