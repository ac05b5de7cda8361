"""Which papers a donation has at each step, and what each one is told, without rendering any
(pipeline/documents/donation.py: the plan's gates, the request log's step, the personal-data
gate): fast enough for mutation testing (README, "Testing")."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.build import make_tasks
from pipeline.documents.donation import step
from pipeline.plan import Plan
from tests.conftest import AFTER_MEETING, AS_OF, BatchCopy, approve_donations
from tests.test_promises import planned

BOMBEROS, PUBLIC_WORKS, BUS = "don-2026-nld-bomberos", "don-2026-nld-public-works", "don-2026-nld-school-bus"
RESOLUTIONS = [("donation_resolution.en", ("pdf", "docx"), "Council resolution"),
               ("donation_resolution.es", ("pdf", "docx"), "Resolución del concejo")]
APPROVED_PAPERS = [("approval_letter.en", ("pdf", "docx"), "Donation approval letter"),
                   ("approval_letter.es", ("pdf", "docx"), "Carta de aprobación de la donación"),
                   ("customs_letter.en", ("pdf", "docx"), "Donation letter"),
                   ("customs_letter.es", ("pdf", "docx"), "Carta de donación")]
RELEASES = [("release_receipt-city-copy.en", ("pdf",), "Release and receipt"),
            ("release_receipt-recipient-copy.es", ("pdf",), "Acta de entrega-recepción")]
DESIGNATION = [("pickup_designation.en", ("pdf",), "Pickup designation"),
               ("pickup_designation.es", ("pdf",), "Designación de quien recoge")]
WAITING = [("approval_letter", "waits for council approval of the donation"),
           ("notice", "waits for council approval of the donation"),
           ("release_receipt", "waits for council approval of the donation")]
NOT_ADOPTED = [("donation_resolution (archival PDF/A)", "archived once the council has adopted the resolution")]
NO_PICKUP = [("closing_memo", "made once the pickup is recorded (status picked_up, pickup.picked_up_on)")]


def papers(the_plan, record_id: str) -> tuple[list, list]:
    made = [(d.name, d.formats, d.title) for d in the_plan.documents if d.record_id == record_id]
    assert {d.template.split("/")[0] for d in the_plan.documents if d.record_id == record_id} <= {"donation"}
    held = [(h.document, h.reason) for h in the_plan.held_back if h.record_id == record_id]
    return made, held


def test_a_requested_donation_has_its_requests_to_each_department_its_agenda_item_and_its_resolution(tmp_path):
    _, _, the_plan = planned(BatchCopy(tmp_path), AS_OF)
    assert papers(the_plan, PUBLIC_WORKS) == ([
        ("availability_request-information-technology.en", ("pdf",), "Availability request to Information Technology"),
        ("availability_request-solid-waste-services.en", ("pdf",), "Availability request to Solid Waste Services"),
        ("agenda_item.en", ("pdf", "docx"), "Council agenda item"), *RESOLUTIONS], NOT_ADOPTED + WAITING)


def test_a_request_management_has_not_authorized_holds_the_departments_requests_back(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace("donations/don-2026-nld-bomberos.yaml",
                  'availability: {authorized_by: "Roberto E. Angulo, City Manager", authorized_on: 2026-11-02, reply_by: 2026-11-13}\n', "")
    made, held = papers(planned(batch, AS_OF)[2], BOMBEROS)
    assert [name for name, _, _ in made] == ["agenda_item.en", "donation_resolution.en", "donation_resolution.es"]
    assert held[0] == ("availability_request", "made once Management has authorized asking the departments (availability)")


def test_an_approved_donation_has_its_letters_notices_designation_and_releases_and_waits_for_its_pickup(tmp_path):
    batch = BatchCopy(tmp_path)
    approve_donations(batch)
    made, held = papers(planned(batch, AFTER_MEETING)[2], BOMBEROS)
    assert made == [("agenda_item.en", ("pdf", "docx"), "Council agenda item"),
                    ("donation_resolution.en", ("pdf", "docx", "pdfa"), "Council resolution"), RESOLUTIONS[1],
                    *APPROVED_PAPERS,
                    ("notice-fire-department.en", ("pdf",), "Notice to Fire Department"),
                    ("notice-fleet.en", ("pdf",), "Notice to Fleet Management"),
                    ("title_assignment.en", ("pdf",), "Assignment of certificates of title"),
                    *DESIGNATION, *RELEASES]  # no more requests to the departments: they answered
    assert held == NO_PICKUP
    made, held = papers(planned(batch, AFTER_MEETING)[2], PUBLIC_WORKS)
    assert [name for name, _, _ in made if name.startswith(("notice", "title"))] == [
        "notice-information-technology.en", "notice-solid-waste-services.en", "notice-fleet.en", "title_assignment.en"]


def test_a_council_adoption_recorded_by_its_flag_counts_like_the_status(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace("donations/don-2026-nld-bomberos.yaml", "  meeting_date: 2026-12-08",
                  "  meeting_date: 2026-12-08\n  adopted: true\n  vote: {ayes: 7, nays: 0, absent: 1, abstain: 0}")
    made = [name for name, _, _ in papers(planned(batch, AFTER_MEETING)[2], BOMBEROS)[0]]
    before = [name for name, _, _ in papers(planned(batch, AS_OF)[2], BOMBEROS)[0]]
    assert "approval_letter.en" in made and "approval_letter.en" not in before
    # the departments were asked before the council acted: no request once it has, though the status says requested
    assert "availability_request-fire-department.en" in before and not any(n.startswith("availability") for n in made)


def test_a_donation_of_no_vehicle_has_no_notice_to_fleet_and_no_title_assignment(tmp_path):
    batch = BatchCopy(tmp_path)
    approve_donations(batch)
    text = batch.path("donations/don-2026-nld-public-works.yaml").read_text(encoding="utf-8")
    start, end = text.index('  - unit_number: "4521"'), text.index('  - unit_number: "IT-20931"')
    batch.write("donations/don-2026-nld-public-works.yaml", text[:start] + text[end:])
    made, _ = papers(planned(batch, AFTER_MEETING)[2], PUBLIC_WORKS)
    assert [name for name, _, _ in made if name.startswith(("notice", "title"))] == ["notice-information-technology.en"]


def test_a_donation_approved_at_an_earlier_meeting_and_picked_up_has_every_paper_but_an_agenda_item(tmp_path):
    made, held = papers(planned(BatchCopy(tmp_path), AS_OF)[2], BUS)
    assert made == [("donation_resolution.en", ("pdf", "docx", "pdfa"), "Council resolution"), RESOLUTIONS[1],
                    *APPROVED_PAPERS,
                    ("notice-information-technology.en", ("pdf",), "Notice to Information Technology"),
                    ("notice-parks-and-recreation.en", ("pdf",), "Notice to Parks and Recreation"),
                    ("notice-fleet.en", ("pdf",), "Notice to Fleet Management"),
                    ("title_assignment.en", ("pdf",), "Assignment of certificates of title"),
                    *DESIGNATION, ("closing_memo.en", ("pdf",), "Donation picked up"), *RELEASES]
    assert held == [("agenda_item", "made only for a record on this meeting's agenda")]


# --- what each task of a donation is told: whom a notice is to, and the pickup ID only on the city's copy -----------

def tasks_of(tmp_path, record_id: str, documents: tuple[str, ...], edit=None) -> dict:
    batch = BatchCopy(tmp_path)
    approve_donations(batch)
    if edit:
        edit(batch)
    loaded, _, the_plan = planned(batch, AFTER_MEETING)
    chosen = [d for d in the_plan.documents if d.record_id == record_id and d.document in documents]
    return {t.plan.name: t.context for t in make_tasks(loaded, Plan(documents=chosen), as_of=AFTER_MEETING)}


def test_each_notice_is_to_its_department_and_only_fleets_is_about_titles(tmp_path):
    contexts = tasks_of(tmp_path, PUBLIC_WORKS, ("notice", "approval_letter"))
    assert {name: c["notice"] for name, c in contexts.items()} == {
        "approval_letter.en": {"to": "", "fleet": False}, "approval_letter.es": {"to": "", "fleet": False},
        "notice-information-technology.en": {"to": "Information Technology", "fleet": False},
        "notice-solid-waste-services.en": {"to": "Solid Waste Services", "fleet": False},
        "notice-fleet.en": {"to": "Fleet Management", "fleet": True}}
    assert not [c for c in contexts.values() if "priority" in c]


def test_the_pickup_id_number_is_told_to_the_city_copy_in_every_language_and_to_no_other_paper(tmp_path):
    contexts = tasks_of(tmp_path, BOMBEROS, ("release_receipt", "pickup_designation", "approval_letter", "notice"))
    for name, context in contexts.items():
        expected = "VLGRHC75021428H700" if name == "release_receipt-city-copy.en" else ""
        for view in (context, context["en"], context["es"]):
            assert view["donation"]["pickup"]["id_number"] == expected, name


def test_each_request_to_a_department_is_told_whom_it_is_to_and_where_the_donation_stands_in_line(tmp_path):
    batch = BatchCopy(tmp_path)
    loaded, _, the_plan = planned(batch, AS_OF)
    chosen = [d for d in the_plan.documents if d.document == "availability_request"]
    contexts = {t.plan.doc_id: t.context for t in make_tasks(loaded, Plan(documents=chosen), as_of=AS_OF)}
    assert {doc: (c["notice"], c["priority"]["tier"]) for doc, c in contexts.items()} == {
        f"{BOMBEROS}/availability_request-fire-department.en": ({"to": "Fire Department", "fleet": False}, 1),
        f"{PUBLIC_WORKS}/availability_request-information-technology.en": ({"to": "Information Technology", "fleet": False}, 1),
        f"{PUBLIC_WORKS}/availability_request-solid-waste-services.en": ({"to": "Solid Waste Services", "fleet": False}, 1)}
    assert all(c["priority"]["reason"] for c in contexts.values())


# --- where a donation stands in Appendix A's steps (the request log) -------------------------------------------------

MEETING = "2026-12-08"
DESIGNATED = {"date": "2026-12-10", "signed_by": "Jorge L. Salinas Ortiz"}


@pytest.mark.parametrize("data, as_of, stands", [
    ({"status": "withdrawn"}, AS_OF, ("withdrawn", "nothing: the request was withdrawn")),
    ({"status": "picked_up", "pickup": {"id_checked": True}}, AS_OF, ("4. picked up and closed", "nothing")),
    ({"status": "picked_up", "pickup": {"id_checked": False}}, AS_OF, ("4. picked up and closed", "the ID check recorded at pickup")),
    ({"status": "picked_up"}, AS_OF, ("4. picked up and closed", "the ID check recorded at pickup")),
    ({"status": "requested"}, AS_OF, ("1. request and search for equipment",
                                      "the departments' answers, then a council item (council: number and meeting)")),
    ({"status": "requested", "council": {"meeting_date": MEETING}}, AS_OF, ("2. council approval", "the council meeting of 2026-12-08")),
    ({"status": "requested", "council": {"meeting_date": MEETING}}, dt.date(2026, 12, 8),
     ("2. council approval", "the council's action recorded (status council_approved and council.vote)")),
    ({"status": "council_approved", "council": {"meeting_date": MEETING}}, AS_OF,
     ("2. council approval", "the council meeting of 2026-12-08")),
    ({"status": "council_approved", "council": {"meeting_date": MEETING}}, AFTER_MEETING,
     ("3. approved: designation and pickup",
      "the recipient's signed pickup designation; then pickup by the designated person, with the ID checked")),
    ({"status": "council_approved", "council": {"meeting_date": MEETING}, "designation": DESIGNATED}, AFTER_MEETING,
     ("3. approved: designation and pickup", "pickup by the designated person, with the ID checked")),
    ({"status": "council_approved", "council": {"meeting_date": MEETING}, "designation": DESIGNATED,
      "items": [{"unit_number": "F-117", "category": "vehicle", "vehicle_type": "fire_truck"},
                {"unit_number": 4521, "category": "vehicle", "vehicle_type": "fire_truck"},
                {"unit_number": "4522", "category": "vehicle", "vehicle_type": "garbage_truck"},
                {"unit_number": "F-118", "category": "vehicle", "vehicle_type": "fire_truck", "import_confirmed_on": "2027-01-04"},
                "not an item"]}, AFTER_MEETING,
     ("3. approved: designation and pickup", "the customs broker's written confirmation for F-117, 4521; then pickup by the "
      "designated person, with the ID checked")),
])
def test_the_request_log_says_where_each_donation_stands_and_what_it_waits_for(data, as_of, stands):
    assert step(data, as_of) == stands
