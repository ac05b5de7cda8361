"""Validate stage: each rule, checked by file, line, record, field and rule id."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import AS_OF, only, rules_of

FLEET = "donations/don-2026-nld-public-works.yaml"
BOMBEROS = "donations/don-2026-nld-bomberos.yaml"
DOS = "partnerships/dos-laredos.yaml"
SALTILLO = "partnerships/laredo-saltillo.yaml"
MONTERREY = "partnerships/laredo-monterrey.yaml"
BUS = "donations/don-2026-nld-school-bus.yaml"


def blocked(report, record_id):
    return next(r for r in report.records if r["id"] == record_id)["blocked"]


def test_the_example_batch_has_no_errors(batch):
    report = batch.check()
    assert report.errors == []
    assert [f.rule for f in report.warnings] == ["vehicle.permit"]  # the fire engine, for the customs broker
    assert {r["id"] for r in report.records} == {"dos-laredos", "laredo-saltillo", "laredo-monterrey", "don-2026-nld-public-works",
                                                  "don-2026-nld-bomberos", "don-2026-nld-school-bus"}


# --- equipment rules -------------------------------------------------------------------------

def test_book_value_above_zero_blocks_the_donation(batch):
    line = batch.replace(FLEET, "book_value: 0.00", "book_value: 1250.5")
    report = batch.check()
    finding = only(report, "equipment.book_value")
    assert (finding.file, finding.line, finding.record, finding.field) == (
        f"records/example/{FLEET}", line, "don-2026-nld-public-works", "items[1].book_value")
    assert "$1,250.50" in finding.message and finding.severity == "error"
    assert blocked(report, "don-2026-nld-public-works")
    assert not blocked(report, "don-2026-nld-bomberos")


@pytest.mark.parametrize("old, new, rule, field", [
    ("in_use: false\n    auctioned: true\n    condition", "in_use: true\n    auctioned: true\n    condition",
     "equipment.in_use", "items[0].in_use"),
    ("auctioned: true\n    condition", "auctioned: false\n    condition", "equipment.auctioned", "items[0].auctioned"),
    ("fund_allows_donation: true\n    book_value: 0\n", "fund_allows_donation: false\n    book_value: 0\n",
     "equipment.fund", "items[0].fund_allows_donation"),
    ("    vin: 1FVACXDT6EHFZ1234\n", "", "vehicle.vin", "items[0].vin"),
    ("    title_holder: {en: City of Laredo, es: Ciudad de Laredo}\n", "", "vehicle.title_holder", "items[0].title_holder"),
])
def test_equipment_rules_from_the_donation_process(batch, old, new, rule, field):
    batch.replace(FLEET, old, new)
    finding = only(batch.check(), rule, field)
    assert finding.severity == "error" and finding.fix


def test_vin_check_digit_mismatch_is_an_error_with_its_line(batch):
    line = batch.replace(FLEET, "1FVACXDT6EHFZ1234", "1FVACXDT5EHFZ1234")
    finding = only(batch.check(), "vin.check_digit", "items[0].vin")
    assert finding.line == line and "9th character" in finding.message


@pytest.mark.parametrize("vin, words", [("1FVACXDT6EHFZ123", "has 16 characters"), ("1FVACXDT6EHFZ1O34", "contains O")])
def test_vin_format(batch, vin, words):
    batch.replace(FLEET, "1FVACXDT6EHFZ1234", vin)
    assert words in only(batch.check(), "vin.format").message


def test_vehicle_outside_the_permit_list_is_a_warning_that_does_not_block(batch):
    report = batch.check()
    finding = only(report, "vehicle.permit", "items[0].vehicle_type")
    assert finding.severity == "warning" and finding.record == "don-2026-nld-bomberos"
    assert finding.line == batch.line_of(BOMBEROS, "vehicle_type: fire_truck")
    assert not blocked(report, "don-2026-nld-bomberos")


# --- SAT rules ---------------------------------------------------------------------------------

def test_purpose_mexico_does_not_exempt_is_an_error(batch):
    line = batch.replace(FLEET, "category: public_health", "category: sports")
    finding = only(batch.check(), "sat.purpose", "purpose.category")
    assert finding.line == line and "'sports'" in finding.message and "public_health" in finding.message


def test_recipient_type_mexico_does_not_allow_is_an_error(batch):
    batch.replace(FLEET, "entity_type: municipal_government", "entity_type: private_company")
    assert "cannot receive an exempt donation" in only(batch.check(), "sat.entity_type").message


def test_donataria_autorizada_needs_rfc_and_authorization(batch):
    batch.replace(BOMBEROS, "  rfc: PBN850312QJ2\n", "")
    batch.replace(BOMBEROS, '  authorization:\n    reference: "SAT 600-04-02-2024-11873"\n    date: 2024-03-15\n', "")
    report = batch.check()
    assert only(report, "donee.authorization", "recipient.rfc")
    assert only(report, "donee.authorization", "recipient.authorization")


def test_rfc_check_digit_mismatch_is_a_warning(batch):
    batch.replace(BOMBEROS, "PBN850312QJ2", "PBN850312QJ3")
    report = batch.check()
    assert only(report, "rfc.check_digit", "recipient.rfc").severity == "warning"
    assert not blocked(report, "don-2026-nld-bomberos")


@pytest.mark.parametrize("rfc, rule", [("PBN851312QJ2", "rfc.format"), ("PBN85031", "rfc.format"),
                                       ("XAXX010101000", "rfc.generic"), ("XEXX010101000", "rfc.generic"),
                                       ("xaxx010101000", "rfc.generic"),  # read as SAT reads it, whatever the case
                                       ("PBN850312000", "rfc.format")])  # a homoclave SAT never issues: was a traceback
def test_rfc_format_errors_and_generic_rfcs(batch, rfc, rule):
    batch.replace(BOMBEROS, "PBN850312QJ2", rfc)
    finding = only(batch.check(), rule, "recipient.rfc")
    assert finding.severity == "error"


def test_person_rfc_for_a_donee_is_a_warning(batch):
    batch.replace(BOMBEROS, "PBN850312QJ2", "GODE561231GR8")
    assert only(batch.check(), "rfc.person").severity == "warning"


# --- places, dates, text -----------------------------------------------------------------------

@pytest.mark.parametrize("code, words", [("MX-DIF", "retired"), ("MX-XYZ", "not an ISO 3166-2"), ("US-TX", "not in country MX")])
def test_states_are_iso_3166_2_of_the_country(batch, code, words):
    batch.replace(FLEET, "state: MX-TAM", f"state: {code}")
    assert words in only(batch.check(), "place.subdivision", "recipient.state").message


def test_ambiguous_numeric_date_is_refused_without_a_date_order(batch):
    batch.replace("city.yaml", "date_order: MDY", "date_order: null")
    line = batch.replace(FLEET, "requested_on: 2026-10-14", "requested_on: 03/04/2026")
    finding = only(batch.check(), "date.ambiguous", "requested_on")
    assert finding.line == line and "4 March 2026 or 3 April 2026" in finding.message


def test_city_date_order_decides_numeric_dates(batch):
    batch.replace(FLEET, "requested_on: 2026-10-14", "requested_on: 10/14/2026")
    assert "date.ambiguous" not in rules_of(batch.check())
    batch.replace("city.yaml", "date_order: MDY", "date_order: DMY")
    assert "date.format" in rules_of(batch.check())  # 14 is no month


@pytest.mark.parametrize("text", ["14 October 2026", "October 14, 2026", "14 de octubre de 2026"])
def test_long_form_dates_in_both_languages_are_read(batch, text):
    batch.replace(FLEET, "requested_on: 2026-10-14", f"requested_on: {text}")
    assert batch.check().errors == []


def test_spanish_text_missing_blocks(batch):
    line = batch.replace(SALTILLO, "      es: Intercambios de estudiantes", "      fr: Intercambios de estudiantes")
    report = batch.check()
    finding = only(report, "text.bilingual", "components[1].description.es")
    assert finding.record == "laredo-saltillo"
    assert only(report, "schema.unknown", "components[1].description.fr").line == line


def test_text_given_in_one_language_only(batch):
    batch.replace(FLEET, "    condition: {en: Runs; hydraulic packer needs repair, es: Funciona; el compactador hidráulico requiere reparación}",
                  "    condition: Runs fine")
    assert "expected English and Spanish" in only(batch.check(), "text.bilingual", "items[0].condition").message


def test_untranslated_spanish_is_a_warning(batch):
    batch.replace(SALTILLO, "es: Crear intercambios de estudiantes y profesores entre las universidades de ambas ciudades.",
                  "es: Create student and faculty exchanges between the universities of both cities.")
    assert only(batch.check(), "text.untranslated").severity == "warning"


def test_control_characters_in_text_are_an_error(batch):
    batch.replace(FLEET, "name: Municipio de Nuevo Laredo", 'name: "Municipio\\x0b de Nuevo Laredo"')
    assert only(batch.check(), "text.control", "recipient.name")


# --- schema translation --------------------------------------------------------------------------

def test_typo_in_a_field_name_suggests_the_right_one(batch):
    line = batch.replace(FLEET, "    book_value: 0.00", "    book_vale: 0.00")
    report = batch.check()
    unknown = only(report, "schema.unknown", "items[1].book_vale")
    assert unknown.line == line and "did you mean 'book_value'?" in unknown.fix
    required = only(report, "schema.required", "items[1].book_value")
    assert "it must be 0" in required.fix  # the schema's meta.help


def test_number_where_text_is_expected_asks_for_quotes(batch):
    batch.replace("batch.yaml", 'item: "10.2"', "item: 10.20")
    finding = only(batch.check(), "schema.type", "agenda[1].item")
    assert "quotes" in finding.fix and finding.file.endswith("batch.yaml")


def test_value_outside_vocabulary_suggests_the_closest(batch):
    batch.replace(DOS, "status: grandfathered", "status: grandfatherd")
    assert "did you mean 'grandfathered'?" in only(batch.check(), "schema.allowed", "status").fix


def test_blank_required_text_is_empty_not_present(batch):
    batch.replace(FLEET, "department: {en: Information Technology, es: Tecnologías de la Información}", 'department: ""')
    assert only(batch.check(), "schema.empty", "items[1].department")


# --- partnership rules ---------------------------------------------------------------------------

def _sign(batch, signing="2026-12-10", legal="approved", evaluation="2027-12-10"):
    batch.replace(SALTILLO, "status: proposed", "status: signed")
    batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                  f"legal_review:\n  status: {legal}\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n"
                  f"signing:\n  date: {signing}\n  place: {{en: 'Laredo, Texas', es: 'Laredo, Texas'}}\n"
                  "  signatories: {city: Elena R. Garza, partner: Javier H. Dávila Treviño}\n"
                  f"evaluation_date: {evaluation}\n"
                  "cabildo: {acta: '45/2026', date: 2026-11-28}\nsre: {dictamen: 'DGCJ-1234', date: 2026-12-02}\n")
    if legal == "approved":
        batch.approve_text(SALTILLO)


def test_signed_before_council_approval_is_an_error(batch):
    _sign(batch, signing="2026-12-05", evaluation="2027-12-05")
    report = batch.check(as_of=dt.date(2027, 1, 15))
    finding = only(report, "partnership.dates", "signing.date")
    assert "before the council approved it on 2026-12-08" in finding.message


def test_signed_status_needs_council_resolution(batch):
    _sign(batch)
    batch.replace(SALTILLO, "council:\n  resolution_number: 2026-R-119\n  meeting_date: 2026-12-08\n  strategic_goal: \"1\"\n  filed_on: 2026-12-03\n", "")
    batch.replace("batch.yaml", "  - item: \"10.2\"\n    record: laredo-saltillo\n", "")
    finding = only(batch.check(as_of=dt.date(2027, 1, 15)), "partnership.status", "council")
    assert "status is signed, which requires a council resolution number and meeting date" in finding.message


def test_signed_status_with_signing_still_ahead_is_an_error(batch):
    _sign(batch)
    assert "still ahead" in only(batch.check(as_of=dt.date(2026, 12, 9)), "partnership.status", "signing").message


def test_signing_date_with_proposed_status_is_inconsistent(batch):
    _sign(batch)
    batch.replace(SALTILLO, "status: signed", "status: proposed")
    finding = only(batch.check(as_of=dt.date(2027, 1, 15)), "partnership.status", "status")
    assert "has 'signing' but status is proposed" in finding.message


@pytest.mark.parametrize("evaluation", ["2027-03-01", "2029-01-01"])
def test_evaluation_date_six_months_to_two_years_after_signing(batch, evaluation):
    _sign(batch, evaluation=evaluation)
    finding = only(batch.check(as_of=dt.date(2027, 1, 15)), "partnership.evaluation", "evaluation_date")
    assert "choose a date from 2027-06-10 to 2028-12-10" in finding.fix


def test_signed_without_legal_approval_or_mexican_approvals_warns(batch):
    _sign(batch, legal="pending")
    batch.replace(SALTILLO, "cabildo: {acta: '45/2026', date: 2026-11-28}\n", "")
    report = batch.check(as_of=dt.date(2027, 1, 15))
    assert only(report, "partnership.legal_review").severity == "warning"
    assert only(report, "partnership.mexican_approval", "cabildo").severity == "warning"
    assert not blocked(report, "laredo-saltillo")


def test_grandfathered_needs_evaluation_date_for_the_new_plan(batch):
    batch.replace(DOS, "evaluation_date: 2027-12-08\n", "")
    assert "six months to two years after the council adopts the new plan" in only(
        batch.check(), "partnership.evaluation").fix


def test_every_component_needs_a_funding_source(batch):
    text = batch.path(SALTILLO).read_text(encoding="utf-8")
    start = text.index("    funding_source:\n      en: Participating")
    end = text.index("committee:")
    batch.path(SALTILLO).write_text(text[:start] + text[end:], encoding="utf-8")
    finding = only(batch.check(), "schema.required", "components[1].funding_source")
    assert "funding source for every program component" in finding.fix


def test_contacts_on_both_sides(batch):
    batch.replace(SALTILLO, "    volunteer: {name: Tomás Ramos Cepeda", "    volunteers: {name: Tomás Ramos Cepeda")
    assert only(batch.check(), "schema.required", "contacts.partner.volunteer")


def test_office_other_needs_a_written_title(batch):
    batch.replace(SALTILLO, "office: municipal_president", "office: other")
    assert only(batch.check(), "partnership.official", "officials.partner.title")


def test_terminated_partnership_needs_the_notices(batch):
    batch.replace(DOS, "status: grandfathered", "status: terminated")
    assert "mayor's letter" in only(batch.check(), "partnership.status", "status").message


# --- cross-record rules -------------------------------------------------------------------------

def test_one_unit_number_in_two_donations(batch):
    first_line = batch.replace(BOMBEROS, 'unit_number: "F-117"', 'unit_number: "4521"')
    finding = only(batch.check(), "batch.unit_number")  # files load in name order: bomberos comes first
    assert (finding.record, finding.line, finding.field) == (
        "don-2026-nld-public-works", batch.line_of(FLEET, 'unit_number: "4521"'), "items[0].unit_number")
    assert f"in donation don-2026-nld-bomberos (records/example/{BOMBEROS}:{first_line})" in finding.message


def test_duplicate_ids(batch):
    batch.replace(BOMBEROS, "id: don-2026-nld-bomberos", "id: don-2026-nld-public-works")
    assert "already used by the donation" in only(batch.check(), "batch.duplicate_id").message


def test_resolution_numbers_follow_the_city_pattern_and_are_unique(batch):
    batch.replace(BOMBEROS, "resolution_number: 2026-R-121", "resolution_number: R-2026-121")
    batch.replace(SALTILLO, "resolution_number: 2026-R-119", "resolution_number: 2026-R-118")
    report = batch.check()
    assert "e.g. 2026-R-101" in only(report, "resolution.pattern").fix
    assert only(report, "resolution.duplicate").record in ("laredo-saltillo", "dos-laredos")


def test_city_pattern_for_el_paso_numbers(batch):
    batch.replace("city.yaml", r"pattern: '\d{4}-R-\d{2,3}'", r"pattern: '\d{4}-\d{1,3}R?'")
    batch.replace("city.yaml", "example: 2026-R-101", "example: 2021-61R")
    # every act's number: four on this agenda, Monterrey's of 2024 and its status change's, the school bus's of September
    assert len([f for f in batch.check().findings if f.rule == "resolution.pattern"]) == 7


def test_broken_city_pattern_is_reported_on_the_city(batch):
    batch.replace("city.yaml", r"pattern: '\d{4}-R-\d{2,3}'", r"pattern: '\d{4}-R-(\d'")
    finding = only(batch.check(), "city.profile")
    assert finding.file.endswith("records/city.yaml")


def test_city_errors_hold_back_every_record(batch):
    batch.replace("city.yaml", "    name: Elena R. Garza\n", "")
    report = batch.check()
    assert only(report, "schema.required", "officials.mayor.name").file == "records/city.yaml"
    assert all(r["blocked"] for r in report.records)


def test_agenda_references_resolve(batch):
    line = batch.replace("batch.yaml", "record: laredo-saltillo", "record: laredo-saltilo")
    report = batch.check()
    finding = only(report, "batch.reference")
    assert finding.line == line and "did you mean 'laredo-saltillo'?" in finding.fix
    assert only(report, "agenda.missing").record == "laredo-saltillo"


def test_record_for_another_meeting_on_this_agenda(batch):
    batch.replace(FLEET, "meeting_date: 2026-12-08", "meeting_date: 2027-01-12")
    assert "2027-01-12" in only(batch.check(), "agenda.meeting_date").message


def test_donation_reference_to_unknown_partnership(batch):
    batch.replace(FLEET, "partnership: dos-laredos", "partnership: dos-laredo")
    assert only(batch.check(), "batch.reference", "recipient.partnership")


# --- derived facts ----------------------------------------------------------------------------

def test_priority_tiers_neighbour_then_sister_city_then_other(batch):
    assert {r["id"]: r["priority_tier"] for r in batch.check().records if "priority_tier" in r} == {
        "don-2026-nld-public-works": 1, "don-2026-nld-bomberos": 1, "don-2026-nld-school-bus": 1}
    batch.replace("city.yaml", "  - {name: Nuevo Laredo, state: MX-TAM, country: MX}", "  - {name: Colombia, state: MX-NLE, country: MX}")
    batch.replace(BOMBEROS, "municipality: Nuevo Laredo", "municipality: Saltillo")
    batch.replace(BOMBEROS, "state: MX-TAM", "state: MX-COA")
    tiers = {r["id"]: (r["priority_tier"], r["priority"]) for r in batch.check().records if "priority_tier" in r}
    assert tiers["don-2026-nld-public-works"][0] == 2 and "dos-laredos" in tiers["don-2026-nld-public-works"][1]
    assert tiers["don-2026-nld-bomberos"][0] == 3  # Saltillo's agreement is only proposed


# --- a whole invalid batch, finding by finding ---------------------------------------------------

def test_invalid_fixture_batch_reports_every_problem_where_it_is(monkeypatch):
    from pipeline.records import load_batch
    from pipeline.validate import validate
    from tests.conftest import FIXTURES, ROOT

    monkeypatch.chdir(ROOT)
    report = validate(load_batch(FIXTURES / "invalid-records"), as_of=dt.date(2026, 11, 23))
    got = {(f.file.rsplit("/", 1)[-1], f.line, f.record, f.field, f.rule, f.severity) for f in report.findings}
    assert got == {
        ("batch.yaml", 5, "batch", "agenda[2].item", "agenda.duplicate", "error"),
        ("batch.yaml", 5, "batch", "agenda[2].record", "batch.reference", "error"),
        ("don-club.yaml", 3, "don-club", "requested_on", "date.ambiguous", "error"),
        ("don-club.yaml", 4, "don-club", "recipient.head", "donation.signatory", "warning"),
        ("don-club.yaml", 20, "don-club", "items[0].fund_source", "text.language", "warning"),
        ("city.yaml", 25, "laredo-tx", "officials.international_affairs.title", "text.language", "warning"),
        ("city.yaml", 26, "laredo-tx", "officials.international_affairs.organization", "text.language", "warning"),
        ("city.yaml", 31, "laredo-tx", "officials.volunteer_contact.title", "text.language", "warning"),
        ("city.yaml", 32, "laredo-tx", "officials.volunteer_contact.organization", "text.language", "warning"),
        ("don-club.yaml", 4, "don-club", "recipient.representative", "donation.signatory", "warning"),
        ("don-club.yaml", 6, "don-club", "recipient.entity_type", "sat.entity_type", "error"),
        ("don-club.yaml", 11, "don-club", "purpose.category", "sat.purpose", "error"),
        ("don-club.yaml", 14, "don-club", "items[0].title_holder", "vehicle.title_holder", "error"),
        ("don-club.yaml", 18, "don-club", "items[0].vin", "vin.check_digit", "error"),
        ("don-club.yaml", 22, "don-club", "items[0].book_value", "equipment.book_value", "error"),
        ("don-club.yaml", 24, "don-club", "items[0].auctioned", "schema.type", "error"),  # 'no' is text, not false
        ("don-club.yaml", 25, "don-club", "council", "donation.availability", "warning"),  # no step 1 on record
        ("torreon.yaml", 7, "torreon", "partner.state", "place.subdivision", "error"),
        ("torreon.yaml", 11, "torreon", "officials.partner.gender", "schema.required", "error"),
        ("torreon.yaml", 15, "torreon", "components[0].funding_source", "schema.required", "error"),
        ("torreon.yaml", 24, "torreon", "contacts.partner.volunteer", "schema.required", "error"),
        ("torreon.yaml", 26, "torreon", "council", "partnership.status", "error"),
        ("torreon.yaml", 27, "torreon", "signing.date", "partnership.dates", "error"),
        ("torreon.yaml", 28, "torreon", "evaluation_date", "partnership.evaluation", "error"),
        ("torreon.yaml", 1, "torreon", "cabildo", "partnership.mexican_approval", "warning"),
        ("torreon.yaml", 1, "torreon", "sre", "partnership.mexican_approval", "warning"),
        ("torreon.yaml", 1, "torreon", "legal_review", "partnership.legal_review", "warning"),
        ("torreon.yaml", 9, "torreon", "officials.partner_secretary", "partnership.signatories", "warning"),
    }
    assert "did you mean MX-COA?" in only(report, "place.subdivision").fix
    assert report.blocked() == ["torreon", "don-club"]


def test_a_canadian_city_profile_works_without_code_changes(batch):
    for old, new in [("name: Laredo\n", "name: Lacombe\n"), ("state: US-TX", "state: CA-AB"), ("country: US", "country: CA"),
                     (r"pattern: '\d{4}-R-\d{2,3}'", r"pattern: 'RES-\d{2}-\d{5}'"), ("example: 2026-R-101", "example: RES-26-00430")]:
        batch.replace("city.yaml", old, new)
    for record, number in [(DOS, "2026-R-118"), (SALTILLO, "2026-R-119"), (FLEET, "2026-R-120"), (BOMBEROS, "2026-R-121"),
                           (MONTERREY, "2024-R-077"), (MONTERREY, "2026-R-122"), (BUS, "2026-R-097")]:
        batch.replace(record, number, f"RES-{number[2:4]}-00" + number[-3:])
    report = batch.check()
    assert report.errors == [], [f.text() for f in report.errors]


# --- hostile values (tests/test_hostile_input.py): findings, never an exception -----------------

def test_neighbouring_municipalities_that_are_not_a_list_are_a_type_error_not_a_crash(batch):
    batch.replace("city.yaml", "  - {name: Nuevo Laredo, state: MX-TAM, country: MX}\n", "")
    batch.replace("city.yaml", "neighbouring_municipalities:", "neighbouring_municipalities: 0.5")  # was iterated
    report = batch.check()
    assert only(report, "schema.type", "neighbouring_municipalities").record == "laredo-tx"
    assert {r["priority_tier"] for r in report.records if r["kind"] == "donation"} == {2}  # dos-laredos is active


def test_an_active_partnership_with_a_list_for_its_id_gives_findings_not_a_crash(batch):
    batch.replace(DOS, "id: dos-laredos", "id: [dos-laredos]")  # was put in a set: unhashable
    report = batch.check()
    assert only(report, "schema.type", "id").file.endswith(DOS)
    assert {f.record for f in report.findings if f.rule == "batch.reference" and f.field == "recipient.partnership"} == {
        "don-2026-nld-public-works", "don-2026-nld-school-bus"}


def test_a_book_value_too_big_for_a_float_is_reported_in_full(batch):
    batch.replace(FLEET, "book_value: 0\n", "book_value: 1" + "0" * 309 + "\n")  # ',.2f' made it a float: OverflowError
    finding = only(batch.check(), "equipment.book_value", "items[0].book_value")
    assert finding.message.startswith("the book value is $1,000,000,") and ".00; only fully depreciated" in finding.message


def test_a_council_date_at_the_end_of_the_calendar_gives_findings_not_a_crash(batch):
    batch.replace(DOS, "  meeting_date: 2026-12-08", "  meeting_date: 9999-12-31")  # + 6 months: ValueError
    report = batch.check()
    assert "(9999-12-31)" in only(report, "partnership.evaluation", "evaluation_date").message
    assert only(report, "agenda.meeting_date", "council.meeting_date").record == "dos-laredos"


@pytest.mark.parametrize("status", ["2026-12-08", "1.0e999"])  # a date, and a float that is infinite
def test_a_status_that_is_not_text_still_gives_strict_json(batch, status):
    batch.replace(FLEET, "status: requested", f"status: {status}")
    report = batch.check()
    assert only(report, "schema.type", "status").record == "don-2026-nld-public-works"
    assert next(r for r in report.records if r["id"] == "don-2026-nld-public-works")["status"] is None
    json.dumps(report.as_data(), allow_nan=False)  # what `check --json` prints


@pytest.mark.parametrize("pattern, words", [
    (r"'\d{4294967296}'", "the repetition number is too large"),  # re.compile: OverflowError
    ("'" + "(" * 1000 + ")" * 1000 + "'", "brackets nested too deep"),  # re.compile: RecursionError
])
def test_a_resolution_pattern_python_cannot_compile_is_a_city_profile_error(batch, pattern, words):
    batch.replace("city.yaml", r"pattern: '\d{4}-R-\d{2,3}'", f"pattern: {pattern}")
    report = batch.check()
    assert words in only(report, "city.profile", "resolution_number.pattern").message
    assert "resolution.pattern" not in rules_of(report)


# --- text that would print wrong, or not at all (issue 15) -----------------------------------------

def test_a_trailing_newline_in_an_id_is_refused_not_a_second_record(batch):
    batch.replace(SALTILLO, "id: laredo-saltillo", 'id: "laredo-saltillo\\n"')
    report = batch.check()
    pattern = only(report, "schema.pattern", "id")
    assert pattern.record == "laredo-saltillo\n" and "(at most 64)" in pattern.fix
    assert "laredo-saltillo\\n" in pattern.text() and "\n" not in pattern.text()  # shown escaped, on one line
    batch.replace(SALTILLO, 'id: "laredo-saltillo\\n"', "id: laredo-saltillo-" + "x" * 60)
    assert only(batch.check(), "schema.pattern", "id")  # an id is a file name: 64 characters at most


def test_direction_controls_line_breaks_and_overlong_text_are_findings_by_field(batch):
    batch.replace(BOMBEROS, "name: Patronato de Bomberos de Nuevo Laredo, A.C.", 'name: "Patronato de Bomberos \\u202eNuevo Laredo"')
    batch.replace(BOMBEROS, "name: Raúl A. Treviño Garza", 'name: "Raúl A. Treviño\\r\\nBcc: x@evil.example"')
    long_line = batch.replace(BOMBEROS, "    en: Fire protection and emergency rescue for the residents of Nuevo Laredo.",
                              '    en: "' + "Fire protection. " * 118 + '"')
    report = batch.check()
    bidi = only(report, "text.bidi")
    assert (bidi.field, bidi.severity) == ("recipient.name", "error") and "U+202E (RIGHT-TO-LEFT OVERRIDE)" in bidi.message
    assert "\u202e" not in bidi.text()  # the finding itself never carries the control
    assert only(report, "text.line_break").field == "recipient.contact.name"
    length = only(report, "text.length")
    assert (length.field, length.line) == ("purpose.description.en", long_line) and "2,006 characters; at most 2,000" in length.message
    assert "don-2026-nld-bomberos" in report.blocked()
    batch.replace(BOMBEROS, "Patronato de Bomberos \\u202eNuevo Laredo", "P" + "a" * 200)
    assert "at most 200 fit one line" in only(batch.check(), "text.length", "recipient.name").message


def test_two_spellings_of_one_department_would_share_a_notice_and_are_refused(batch):
    batch.replace(FLEET, "department: {en: Solid Waste Services,", "department: {en: information technology!,")
    finding = only(batch.check(), "donation.department")
    assert finding.field == "items[1].department" and "notice-information-technology.en.pdf" in finding.message
    batch.replace(FLEET, "department: {en: information technology!,", "department: {en: 'Ｉｎｆｏｒｍáción Technology',")
    assert not [f for f in batch.check().findings if f.rule == "donation.department"]  # informacion-technology: its own
    batch.replace(FLEET, "department: {en: 'Ｉｎｆｏｒｍáción Technology',", "department: {en: '¡¡!!',")
    assert "no Latin letter or digit" in only(batch.check(), "donation.department").message
    batch.replace(FLEET, "department: {en: '¡¡!!',", "department: {en: FLEET,")  # the garbage truck's own department
    finding = only(batch.check(), "donation.department")
    assert "notice to Fleet Management about this donation's vehicle titles (notice-fleet.en.pdf)" in finding.message


@pytest.mark.slow
def test_an_error_in_batch_yaml_is_not_summed_up_as_nothing_blocks(batch, tmp_path):
    batch.replace("batch.yaml", "  date: 2026-12-08", "  date: 2026-13-08")
    report = batch.check()
    assert only(report, "date.format").file.endswith("batch.yaml") and report.blocked() == []
    assert report.summary_line().endswith("; the errors in batch.yaml stop the build (--keep-going builds the records without errors)")
    from pipeline.build import build

    assert build(batch.folder, tmp_path / "out", as_of=AS_OF).plan is None  # what the summary said


def test_a_character_the_typeface_cannot_draw_is_warned_by_field_and_name(batch):
    batch.replace(BOMBEROS, "name: Raúl A. Treviño Garza", "name: Raúl A. Treviño Garza 🚒")
    batch.replace(BOMBEROS, "en: Head of Operations", "en: Head of Operations 中")
    report = batch.check()
    glyphs = {f.field: f for f in report.findings if f.rule == "text.glyph"}
    assert set(glyphs) == {"recipient.contact.name", "recipient.contact.title.en"}
    assert "U+1F692 (FIRE ENGINE)" in glyphs["recipient.contact.name"].message
    assert glyphs["recipient.contact.name"].severity == "warning"
    assert not [f for f in report.findings if f.rule == "text.glyph" and f.record != "don-2026-nld-bomberos"]  # ñ, é, “ ” print
