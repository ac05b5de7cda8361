"""The rules across records (pipeline/rules/batch.py) asserted whole: file, line, record, field,
severity, message and fix, at each rule's edges (README, "Testing": the mutation run's cases)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from pipeline.rules.batch import PRIORITY_TIERS, PriorityRanker, resolution_pattern
from tests.conftest import only, rules_of
from tests.test_rules_exact import whole

CITY = "records/city.yaml"
AGENDA = "records/example/batch.yaml"
SALTILLO = "partnerships/laredo-saltillo.yaml"
MONTERREY = "partnerships/laredo-monterrey.yaml"
DOS = "partnerships/dos-laredos.yaml"
FLEET = "donations/don-2026-nld-public-works.yaml"
BOMBEROS = "donations/don-2026-nld-bomberos.yaml"
BUS = "donations/don-2026-nld-school-bus.yaml"
PATTERN = r"pattern: '\d{4}-R-\d{2,3}'"
SALTILLO_ITEM = '  - item: "10.2"\n    record: laredo-saltillo\n'
ATTORNEY = "  attorney:\n    name: Marisa L. Benavides\n"
PATTERN_FIX = "write it like '\\d{4}-R-\\d{2,3}' (\\d is a digit, {4} four of them)"


def at(relative: str) -> str:
    return relative if relative.startswith("records/") else f"records/example/{relative}"


def findings(report, *prefixes: str) -> list[tuple]:
    return [whole(f) for f in report.findings if f.rule.startswith(prefixes)]


# --- the city profile ---------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, why", [
    (r"'\d{4}-R-(\d'", "missing ), unterminated subpattern at position 8"),
    ("'" + "(" * 1000 + ")" * 1000 + "'", "brackets nested too deep"),
])
def test_a_broken_resolution_pattern_is_a_finding_on_the_city_profile(batch, pattern, why):
    line = batch.replace("city.yaml", PATTERN, f"pattern: {pattern}")
    report = batch.check()
    assert whole(only(report, "city.profile")) == (
        CITY, line, "laredo-tx", "resolution_number.pattern", "error",
        f"the resolution-number pattern is not a valid regular expression ({why})", PATTERN_FIX)
    assert "resolution.pattern" not in rules_of(report)  # nothing is measured against a pattern that is not one


@pytest.mark.parametrize("example", ["2026-101", "2026-R-1011", "x2026-R-101"])  # a prefix or a tail that fits is not a fit
def test_an_example_resolution_number_the_pattern_refuses_is_a_finding(batch, example):
    line = batch.replace("city.yaml", "example: 2026-R-101", f"example: {example}")
    assert whole(only(batch.check(), "city.profile")) == (
        CITY, line, "laredo-tx", "resolution_number.example", "error",
        f"the example '{example}' does not fit the pattern '\\d{{4}}-R-\\d{{2,3}}'",
        "correct the pattern or the example so that they agree")


@pytest.mark.parametrize("remove", ["  example: 2026-R-101\n", "  pattern: '\\d{4}-R-\\d{2,3}'\n", "resolution_number:\n"])
def test_a_profile_without_a_pattern_or_an_example_is_not_measured(batch, remove):
    text = batch.path("city.yaml").read_text(encoding="utf-8")
    if remove == "resolution_number:\n":
        batch.replace_block("city.yaml", "resolution_number:")
    else:
        batch.write("city.yaml", text.replace(remove, "", 1))
    report = batch.check()
    assert "city.profile" not in rules_of(report) and "resolution.pattern" not in rules_of(report)
    assert resolution_pattern({"resolution_number": {"pattern": "("}}) is None
    assert resolution_pattern({"resolution_number": {"pattern": 5}}) is None
    assert resolution_pattern({"resolution_number": {"pattern": "\\d+"}}).pattern == "\\d+"


@pytest.mark.parametrize("official, block", [("attorney", ATTORNEY), ("clerk", "  clerk:\n    name: José A. Valdez\n")])
def test_by_default_the_clerk_and_the_attorney_sign_with_the_mayor_and_must_be_named(batch, official, block):
    batch.replace("city.yaml", block, block.replace(f"  {official}:", "  deputy:"))
    assert whole(only(batch.check(), "city.profile")) == (
        CITY, 19, "laredo-tx", "officials", "error",
        f"the {official} signs with the mayor, but officials.{official} is not in the profile",
        f"add officials.{official} (name, title in en/es), or set council.countersign to who really signs")


def test_whoever_the_profile_says_countersigns_must_be_named_and_no_one_else(batch):
    line = batch.replace("city.yaml", "council_size: 9\n", "council_size: 9\ncouncil:\n  countersign:\n"
                         "    - {official: clerk, as: attest}\n    - {official: attorney, as: approved_as_to_form}\n") + 4
    batch.replace("city.yaml", ATTORNEY, ATTORNEY.replace("attorney:", "deputy:"))
    assert whole(only(batch.check(), "city.profile")) == (
        CITY, line, "laredo-tx", "council.countersign[1].official", "error",
        "the attorney signs with the mayor, but officials.attorney is not in the profile",
        "add officials.attorney (name, title in en/es), or set council.countersign to who really signs")
    batch.replace("city.yaml", "    - {official: attorney, as: approved_as_to_form}\n", "")
    assert "city.profile" not in rules_of(batch.check())  # the clerk alone attests: no attorney needed


@pytest.mark.parametrize("entry", ["clerk", "[clerk]", "{official: 5, as: attest}"])
def test_a_countersigner_of_the_wrong_shape_is_a_schema_finding_and_hides_no_one_after_it(batch, entry):
    batch.replace("city.yaml", "council_size: 9\n", "council_size: 9\ncouncil:\n  countersign:\n"
                  f"    - {entry}\n    - {{official: attorney, as: approved_as_to_form}}\n")
    batch.replace("city.yaml", ATTORNEY, ATTORNEY.replace("attorney:", "deputy:"))
    report = batch.check()
    assert only(report, "city.profile").field == "council.countersign[1].official"
    assert [f.field for f in report.errors if f.rule.startswith("schema")][:1] in (
        ["council.countersign[0]"], ["council.countersign[0].official"])


def test_an_official_named_but_not_described_is_missing(batch):
    batch.replace("city.yaml", "  attorney:\n    name: Marisa L. Benavides\n    title: {en: City Attorney, es: Abogada de la Ciudad}\n"
                  "    gender: female\n", "  attorney: Marisa L. Benavides\n")
    finding = only(batch.check(), "city.profile")
    assert (finding.field, finding.message) == (
        "officials", "the attorney signs with the mayor, but officials.attorney is not in the profile")


# --- ids and unit numbers ---------------------------------------------------------------------

def test_a_second_record_with_the_same_id_is_refused_and_says_where_the_first_is(batch):
    line = batch.replace(SALTILLO, "id: laredo-saltillo", "id: dos-laredos")
    assert whole(only(batch.check(), "batch.duplicate_id")) == (
        at(SALTILLO), line, "dos-laredos", "id", "error",
        f"id 'dos-laredos' is already used by the partnership at {at(DOS)}:3", "give this record its own id")


def test_the_first_use_of_an_id_is_named_by_the_line_of_its_id(batch):
    batch.replace(DOS, "id: dos-laredos\n", "")
    batch.replace(DOS, "status: grandfathered\n", "status: grandfathered\nid: dos-laredos\n")  # not the record's first line
    batch.replace(SALTILLO, "id: laredo-saltillo", "id: dos-laredos")
    assert only(batch.check(), "batch.duplicate_id").message == (
        f"id 'dos-laredos' is already used by the partnership at {at(DOS)}:{batch.line_of(DOS, 'id: dos-laredos')}")


def test_a_record_whose_id_is_not_text_does_not_hide_a_duplicate_after_it(batch):
    batch.replace(DOS, "id: dos-laredos", "id: [dos-laredos]")  # the first record loaded
    batch.replace(SALTILLO, "id: laredo-saltillo", "id: laredo-monterrey")
    assert only(batch.check(), "batch.duplicate_id").file == at(SALTILLO)


@pytest.mark.parametrize("unit, shown", [('" 4521 "', " 4521 "), ("4521", "4521"), ('"4521"', "4521")])
def test_a_unit_offered_twice_in_one_donation_is_refused(batch, unit, shown):
    line = batch.replace(FLEET, 'unit_number: "IT-20931"', f"unit_number: {unit}")
    assert whole(only(batch.check(), "batch.unit_number")) == (
        at(FLEET), line, "don-2026-nld-public-works", "items[1].unit_number", "error",
        f"unit {shown} is already offered earlier in this donation", "a unit can be donated once: remove one of the two")


def test_a_unit_offered_in_two_donations_names_the_other_and_its_line(batch):
    line = batch.replace(FLEET, 'unit_number: "IT-20931"', 'unit_number: "f-117"')  # the same unit, written in lower case
    assert whole(only(batch.check(), "batch.unit_number")) == (
        at(FLEET), line, "don-2026-nld-public-works", "items[1].unit_number", "error",
        f"unit f-117 is already offered in donation don-2026-nld-bomberos ({at(BOMBEROS)}:34)",
        "a unit can be donated once: remove one of the two")


@pytest.mark.parametrize("first", ['""', "true", "[4521]", "{n: 4521}"])
def test_a_unit_number_of_no_value_or_the_wrong_shape_is_not_compared_and_hides_nothing_after_it(batch, first):
    batch.replace(FLEET, 'unit_number: "4521"', f"unit_number: {first}")
    batch.replace(FLEET, '  - unit_number: "IT-20931"', '  - unit_number: "F-117"')
    report = batch.check()
    assert only(report, "batch.unit_number").field == "items[1].unit_number"  # the second item, against the fire engine


@pytest.mark.parametrize("unit", ["true", "[4521]", "{n: 4521}"])
def test_two_unit_numbers_of_the_same_wrong_shape_are_not_one_unit(batch, unit):
    batch.replace(FLEET, 'unit_number: "4521"', f"unit_number: {unit}")
    batch.replace(FLEET, 'unit_number: "IT-20931"', f"unit_number: {unit}")
    report = batch.check()
    assert "batch.unit_number" not in rules_of(report) and only(report, "schema.type", "items[1].unit_number")


# --- resolution numbers ---------------------------------------------------------------------

@pytest.mark.parametrize("number", ["2026-119", "2026-R-1190", "A2026-R-119"])
def test_a_resolution_number_off_the_city_numbering_is_refused(batch, number):
    line = batch.replace(SALTILLO, "resolution_number: 2026-R-119", f"resolution_number: {number}")
    assert whole(only(batch.check(), "resolution.pattern")) == (
        at(SALTILLO), line, "laredo-saltillo", "council.resolution_number", "error",
        f"'{number}' does not match the city's resolution numbering (\\d{{4}}-R-\\d{{2,3}})",
        "use the clerk's numbering, e.g. 2026-R-101")


def test_a_resolution_number_used_twice_names_the_first_use(batch):
    line = batch.replace(SALTILLO, "resolution_number: 2026-R-119", "resolution_number: 2026-R-118")
    assert whole(only(batch.check(), "resolution.duplicate")) == (
        at(SALTILLO), line, "laredo-saltillo", "council.resolution_number", "error",
        f"resolution 2026-R-118 is already used by partnership dos-laredos ({at(DOS)}:158)", "ask the clerk for the right number")


def test_one_record_two_acts_one_number_is_a_duplicate(batch):
    line = batch.replace(MONTERREY, "resolution_number: 2026-R-122", "resolution_number: 2024-R-077")
    assert whole(only(batch.check(), "resolution.duplicate")) == (
        at(MONTERREY), line, "laredo-monterrey", "status_change.council.resolution_number", "error",
        f"resolution 2024-R-077 is already used by partnership laredo-monterrey ({at(MONTERREY)}:75)",
        "ask the clerk for the right number")


@pytest.mark.parametrize("number", ['""', "77"])
def test_an_empty_or_numeric_resolution_number_is_not_compared_and_hides_no_act_after_it(batch, number):
    batch.replace(MONTERREY, "resolution_number: 2024-R-077", f"resolution_number: {number}")  # its first act of two
    batch.replace(MONTERREY, "resolution_number: 2026-R-122", "resolution_number: 2026-R-119")
    report = batch.check()
    assert [(f.record, f.message) for f in report.findings if f.rule.startswith("resolution.")] == [
        ("laredo-saltillo", f"resolution 2026-R-119 is already used by partnership laredo-monterrey ({at(MONTERREY)}:113)")]


def test_without_a_city_pattern_duplicates_are_still_found(batch):
    batch.replace_block("city.yaml", "resolution_number:")
    batch.replace(MONTERREY, "resolution_number: 2026-R-122", "resolution_number: '119'")
    line = batch.replace(SALTILLO, "resolution_number: 2026-R-119", "resolution_number: '119'")
    assert findings(batch.check(), "resolution.") == [(
        at(SALTILLO), line, "laredo-saltillo", "council.resolution_number", "error",
        f"resolution 119 is already used by partnership laredo-monterrey ({at(MONTERREY)}:113)", "ask the clerk for the right number")]


# --- the agenda ---------------------------------------------------------------------------------

def test_an_item_number_used_twice_or_thrice_names_the_first_line(batch):
    second = batch.replace("batch.yaml", 'item: "10.2"', 'item: "10.1"')
    third = batch.replace("batch.yaml", 'item: "10.3"', 'item: "10.1"')
    assert findings(batch.check(), "agenda.") == [
        (AGENDA, second, "batch", "agenda[1].item", "error", "item number 10.1 is already used (line 8)", "number every item once"),
        (AGENDA, third, "batch", "agenda[2].item", "error", "item number 10.1 is already used (line 8)", "number every item once")]


def test_an_item_number_used_again_names_the_line_of_the_first_item_number(batch):
    batch.replace("batch.yaml", '  - item: "10.1"\n    record: dos-laredos\n', '  - record: dos-laredos\n    item: "10.1"\n')
    batch.replace("batch.yaml", 'item: "10.3"', 'item: "10.1"')
    first = batch.line_of("batch.yaml", 'item: "10.1"')  # the entry's second line
    assert only(batch.check(), "agenda.duplicate").message == f"item number 10.1 is already used (line {first})"


def test_an_agenda_record_no_record_has_is_refused_with_a_suggestion(batch):
    line = batch.replace("batch.yaml", "record: laredo-saltillo", "record: laredo-saltilo")
    assert whole(only(batch.check(), "batch.reference")) == (
        AGENDA, line, "batch", "agenda[1].record", "error", "no partnership or donation has id 'laredo-saltilo'",
        "did you mean 'laredo-saltillo'?")


def test_a_record_listed_twice_is_refused_and_the_one_it_displaced_is_missing(batch):
    line = batch.replace("batch.yaml", "record: laredo-saltillo", "record: dos-laredos")
    assert findings(batch.check(), "agenda.") == [
        (AGENDA, line, "batch", "agenda[1].record", "error", "record dos-laredos is already item 10.1", "list each record once"),
        (at(SALTILLO), 2, "laredo-saltillo", "id", "warning", "the record is in the batch but not on the agenda",
         f"add it to the agenda in {AGENDA}, or move it out of this batch")]


@pytest.mark.parametrize("item", ["10", "[10, 2]"])
def test_an_item_of_the_wrong_shape_still_puts_its_record_on_the_agenda(batch, item):
    batch.replace("batch.yaml", 'item: "10.2"', f"item: {item}")
    assert not findings(batch.check(), "agenda.")


def test_an_entry_without_a_record_hides_no_entry_after_it(batch):
    batch.replace("batch.yaml", "    record: dos-laredos\n", "    record: [dos-laredos]\n")
    batch.replace("batch.yaml", "record: laredo-monterrey", "record: laredo-monterey")
    report = batch.check()
    assert only(report, "batch.reference", "agenda[4].record").fix == "did you mean 'laredo-monterrey'?"
    assert [f.record for f in report.findings if f.rule == "agenda.missing"] == ["dos-laredos", "laredo-monterrey"]


@pytest.mark.parametrize("council_date", ["2027-01-12", "2026-12-07", "2026-12-09"])
def test_a_record_on_the_agenda_of_another_meeting_than_its_council_date_is_refused(batch, council_date):
    line = batch.replace(SALTILLO, "meeting_date: 2026-12-08", f"meeting_date: {council_date}")
    assert whole(only(batch.check(), "agenda.meeting_date")) == (
        at(SALTILLO), line, "laredo-saltillo", "council.meeting_date", "error",
        f"the record is on the agenda of the 2026-12-08 meeting but its council date is {council_date}",
        "set council.meeting_date to 2026-12-08, or take it off this agenda")


def test_a_status_change_on_the_agenda_is_measured_by_its_own_council_date(batch):
    line = batch.replace(MONTERREY, "    meeting_date: 2026-12-08", "    meeting_date: 2027-01-12")
    assert whole(only(batch.check(), "agenda.meeting_date")) == (
        at(MONTERREY), line, "laredo-monterrey", "status_change.council.meeting_date", "error",
        "the record is on the agenda of the 2026-12-08 meeting but its council date is 2027-01-12",
        "set status_change.council.meeting_date to 2026-12-08, or take it off this agenda")


@pytest.mark.parametrize("council, missing", [
    ("  meeting_date: 2026-12-08\n", True),  # this meeting's
    ("  meeting_date: 2026-12-09\n", True),  # a later one: the batch is this meeting's
    ("", True),  # an act not yet dated
    ("  meeting_date: 2026-12-07\n", False),  # taken up at an earlier meeting: here for the steps after
])
def test_a_record_off_the_agenda_is_a_slip_unless_its_act_was_taken_up_before(batch, council, missing):
    batch.replace(SALTILLO, "  meeting_date: 2026-12-08\n", council)
    batch.replace("batch.yaml", SALTILLO_ITEM, "")
    expected = [(at(SALTILLO), 2, "laredo-saltillo", "id", "warning", "the record is in the batch but not on the agenda",
                 f"add it to the agenda in {AGENDA}, or move it out of this batch")]
    assert findings(batch.check(), "agenda.missing") == (expected if missing else [])


def test_with_the_meeting_date_unreadable_no_date_is_compared(batch):
    batch.replace("batch.yaml", "  date: 2026-12-08\n", "  date: someday\n")
    batch.replace(SALTILLO, "meeting_date: 2026-12-08", "meeting_date: 2027-01-12")
    batch.replace("batch.yaml", "  - item: \"10.5\"\n    record: laredo-monterrey\n", "")
    report = batch.check()
    assert not [f for f in report.findings if f.rule in ("agenda.meeting_date", "agenda.missing", "agenda.posting")]


def test_a_record_whose_id_repeats_another_is_not_reported_missing_twice(batch):
    batch.replace(SALTILLO, "id: laredo-saltillo", "id: dos-laredos")
    assert not findings(batch.check(), "agenda.missing")  # the duplicate id is the finding, not a second slip


# --- references ---------------------------------------------------------------------------------

@pytest.mark.parametrize("named, fix", [
    ("dos-laredo", "did you mean 'dos-laredos'?"),
    ("don-2026-nld-bomberos", "check the id"),  # a donation is no partnership
    ("don-2026-nld-bomberoz", "check the id"),  # close to a donation's id: only partnerships are suggested
])
def test_a_donation_names_a_partnership_that_is_not_one(batch, named, fix):
    line = batch.replace(FLEET, "partnership: dos-laredos", f"partnership: {named}")
    assert whole(only(batch.check(), "batch.reference")) == (
        at(FLEET), line, "don-2026-nld-public-works", "recipient.partnership", "error",
        f"no partnership has id '{named}'", fix)


# --- the vote ----------------------------------------------------------------------------------

@pytest.mark.parametrize("as_of, reported", [(dt.date(2026, 12, 7), False), (dt.date(2026, 12, 8), True)])
def test_an_adopted_act_without_the_vote_is_a_warning_from_its_meeting_on(batch, as_of, reported):
    line = batch.line_of(BOMBEROS, "council:")
    batch.replace(BOMBEROS, "  filed_on: 2026-12-03\n", "  filed_on: 2026-12-03\n  adopted: true\n")
    expected = [(at(BOMBEROS), line, "don-2026-nld-bomberos", "council", "warning",
                 "the council adopted the resolution but the record has no vote",
                 "add council.vote with ayes, nays, absent and abstain from the minutes")]
    assert findings(batch.check(as_of), "resolution.vote") == (expected if reported else [])
    batch.replace(BOMBEROS, "  adopted: true\n", "  adopted: true\n  vote: {ayes: 9, nays: 0, absent: 0, abstain: 0}\n")
    assert not findings(batch.check(as_of), "resolution.vote")


def test_a_status_change_adopted_without_its_vote_names_its_own_path(batch):
    line = batch.line_of(MONTERREY, "  council:", after="status_change:")
    batch.replace(MONTERREY, "    filed_on: 2026-12-03\n", "    filed_on: 2026-12-03\n    adopted: true\n")
    assert findings(batch.check(dt.date(2026, 12, 9)), "resolution.vote") == [
        (at(MONTERREY), line, "laredo-monterrey", "status_change.council", "warning",
         "the council adopted the resolution but the record has no vote",
         "add status_change.council.vote with ayes, nays, absent and abstain from the minutes")]


def test_an_earlier_act_adopted_without_the_vote_is_reported_beside_a_later_one(batch):
    batch.replace(MONTERREY, "  vote: {ayes: 9, nays: 0, absent: 0, abstain: 0}\n", "")
    assert [f.field for f in batch.check().findings if f.rule == "resolution.vote"] == ["council"]


# --- filing and the strategic plan ----------------------------------------------------------------

@pytest.mark.parametrize("filed, late", [("2026-12-05", False), ("2026-12-06", True)])
def test_an_item_filed_after_the_last_day_to_post_it_is_a_warning(batch, filed, late):
    line = batch.replace(SALTILLO, "filed_on: 2026-12-03", f"filed_on: {filed}")
    expected = [(at(SALTILLO), line, "laredo-saltillo", "council.filed_on", "warning",
                 f"the agenda item was filed on {filed}, after 2026-12-05, the last day to post it 3 days before the "
                 "2026-12-08 meeting", "move the item to a later meeting, or correct filed_on if it was filed earlier")]
    assert findings(batch.check(), "agenda.posting") == (expected if late else [])


def test_a_status_change_is_filed_by_its_own_date(batch):
    batch.replace(MONTERREY, "    filed_on: 2026-12-03", "    filed_on: 2026-12-07")
    assert only(batch.check(), "agenda.posting").field == "status_change.council.filed_on"


@pytest.mark.parametrize("days", ["agenda_posting_days: three", "agenda_posting_days: 3.5"])
def test_without_a_whole_number_of_posting_days_filing_is_not_measured(batch, days):
    batch.replace("city.yaml", "agenda_posting_days: 3", days)
    batch.replace(SALTILLO, "filed_on: 2026-12-03", "filed_on: 2026-12-08")
    assert "agenda.posting" not in rules_of(batch.check())


def test_a_meeting_in_the_first_days_of_year_one_is_a_typo_not_a_crash(batch):
    batch.replace("batch.yaml", "  date: 2026-12-08\n", "  date: 0001-01-02\n")
    assert "agenda.posting" not in rules_of(batch.check())


@pytest.mark.parametrize("goal", ["9", "'01'"])
def test_a_goal_not_in_the_city_strategic_plan_is_refused(batch, goal):
    line = batch.replace(SALTILLO, 'strategic_goal: "1"', f"strategic_goal: {goal}")
    shown = goal.strip("'")
    assert whole(only(batch.check(), "agenda.strategic_goal")) == (
        at(SALTILLO), line, "laredo-saltillo", "council.strategic_goal", "error",
        f"goal '{shown}' is not a goal of the city's strategic plan", "use one of 1, 2, 3, 4")


def test_a_goal_cited_by_number_or_text_alike_is_the_plan_goal(batch):
    batch.replace(SALTILLO, 'strategic_goal: "1"', "strategic_goal: 1")
    batch.replace("city.yaml", '{number: "2", text:', "{number: 2, text:")
    batch.replace(DOS, 'strategic_goal: "4"', "strategic_goal: 2")
    assert not [f for f in batch.check().findings if f.rule.startswith("agenda.")]


@pytest.mark.parametrize("goal", ['"5"', '{number: [5], text: "Five"}', '{text: "Five"}'])
def test_a_goal_of_the_wrong_shape_in_the_city_plan_is_a_schema_finding_and_not_a_goal(batch, goal):
    batch.replace("city.yaml", "  goals:\n", f"  goals:\n    - {goal}\n")
    batch.replace(SALTILLO, 'strategic_goal: "1"', 'strategic_goal: "5"')
    report = batch.check()
    assert [f.record for f in report.errors if f.rule.startswith("schema")] == ["laredo-tx"]
    assert only(report, "agenda.strategic_goal").fix == "use one of 1, 2, 3, 4"


def test_an_item_citing_no_goal_is_a_warning_naming_the_goals(batch):
    line = batch.line_of(SALTILLO, "council:")
    batch.replace(SALTILLO, '  strategic_goal: "1"\n', "")
    assert whole(only(batch.check(), "agenda.goal_missing")) == (
        at(SALTILLO), line, "laredo-saltillo", "council", "warning", "the agenda item cites no goal of the city's strategic plan",
        "add council.strategic_goal: one of 1, 2, 3, 4 (strategic_plan in city.yaml)")


def test_a_status_change_citing_no_goal_is_asked_for_its_own(batch):
    line = batch.line_of(MONTERREY, "  council:", after="status_change:")
    batch.replace(MONTERREY, '    strategic_goal: "4"\n', "")
    assert whole(only(batch.check(), "agenda.goal_missing")) == (
        at(MONTERREY), line, "laredo-monterrey", "status_change.council", "warning",
        "the agenda item cites no goal of the city's strategic plan",
        "add status_change.council.strategic_goal: one of 1, 2, 3, 4 (strategic_plan in city.yaml)")


def test_without_a_strategic_plan_a_cited_goal_is_refused_and_none_is_asked_for(batch):
    batch.replace_block("city.yaml", "strategic_plan:")
    batch.replace(SALTILLO, '  strategic_goal: "1"\n', "")
    report = batch.check()
    assert "agenda.goal_missing" not in rules_of(report)
    assert {(f.record, f.fix) for f in report.findings if f.rule == "agenda.strategic_goal"} == {
        (record, "add strategic_plan with its numbered goals to city.yaml")
        for record in ("dos-laredos", "laredo-monterrey", "don-2026-nld-public-works", "don-2026-nld-bomberos",
                       "don-2026-nld-school-bus")}


# --- the city's list of partnerships --------------------------------------------------------------

def test_a_relationship_in_force_missing_from_the_city_list_is_a_finding(batch):
    batch.replace("city.yaml", "signed: 1986-11-15, record: dos-laredos", "signed: 1986-11-15")
    assert whole(only(batch.check(), "city.partnerships")) == (
        at(DOS), 6, "dos-laredos", "status", "warning",
        "the relationship is grandfathered, but city.yaml's partnerships do not list it (record: dos-laredos)",
        "add it to partnerships in city.yaml with record: dos-laredos and the date it was signed")


def test_a_proposed_relationship_listed_as_in_force_is_a_finding(batch):
    batch.replace("city.yaml", "demonstrating_interest:", "  - {partner: Saltillo, record: laredo-saltillo, signed: 2026-12-08}\n"
                  "demonstrating_interest:")
    assert whole(only(batch.check(), "city.partnerships")) == (
        at(SALTILLO), 5, "laredo-saltillo", "status", "warning",
        "city.yaml lists this relationship as in force, but its status is proposed",
        "list it in city.yaml only once the agreement is signed, or correct the status")


@pytest.mark.parametrize("status", ["emeritus", "terminated"])
def test_an_ended_relationship_may_stay_listed(batch, status):
    batch.replace(MONTERREY, "status: active\n", f"status: {status}\n")
    assert "city.partnerships" not in rules_of(batch.check())


@pytest.mark.parametrize("record, signed, field, line, first", [
    (DOS, "signed: 1986-11-15", "established", 7, "1986-11-15"),
    (MONTERREY, "signed: 2024-06-20", "signing.date", 82, "2024-06-20"),
])
def test_the_list_and_the_record_disagree_on_the_signing_date(batch, record, signed, field, line, first):
    batch.replace("city.yaml", signed, "signed: 1999-01-01")
    assert whole(only(batch.check(), "city.partnerships")) == (
        at(record), line, record.split("/")[1][:-5], field, "warning",
        f"city.yaml says the agreement was signed on 1999-01-01, the record says {first}", "correct whichever of the two is wrong")


def test_a_listed_relationship_without_a_date_or_a_city_without_a_list_is_not_compared(batch):
    batch.replace("city.yaml", "signed: 1986-11-15, ", "")
    assert "city.partnerships" not in rules_of(batch.check())
    batch.replace_block("city.yaml", "partnerships:")
    batch.replace(SALTILLO, "status: proposed\n", "status: signed\n")
    assert "city.partnerships" not in rules_of(batch.check())


# --- the donation priority ------------------------------------------------------------------------

def partnership(record_id: str, status: str, name: str, state: str) -> SimpleNamespace:
    return SimpleNamespace(id=record_id, data={"status": status, "partner": {"name": name, "state": state}})


def ranker() -> PriorityRanker:
    """Made in each test, so that mutation testing's mutant of the ranker is the one ranking."""
    return PriorityRanker(
        {"neighbouring_municipalities": [{"name": "Nuevo Laredo", "state": "MX-TAM"}, "Piedras Negras", {"name": "Colombia"}]},
        [partnership("old-monterrey", "terminated", "Monterrey", "MX-NLE"), partnership("laredo-monterrey", "active", "Monterrey", "MX-NLE"),
         partnership("second-monterrey", "grandfathered", "Monterrey", "MX-NLE"), partnership("laredo-saltillo", "proposed", "Saltillo", "MX-COA")])


@pytest.mark.parametrize("recipient, tier", [
    ({"municipality": "  nuevo   LAREDO ", "state": "mx-tam"}, (1, PRIORITY_TIERS[1])),  # spaces, case: the same place
    ({"municipality": "Nuevo Laredo", "state": "MX-COA"}, (3, PRIORITY_TIERS[3])),  # another state's town of that name
    ({"municipality": "Monterréy", "state": "MX-NLE"}, (2, f"{PRIORITY_TIERS[2]} (laredo-monterrey)")),  # the first in force
    ({"municipality": "Apodaca", "state": "MX-NLE", "partnership": "second-monterrey"},
     (2, f"{PRIORITY_TIERS[2]} (second-monterrey)")),  # named, and in force
    ({"municipality": "Saltillo", "state": "MX-COA", "partnership": "laredo-saltillo"}, (3, PRIORITY_TIERS[3])),  # proposed
    ({"municipality": "Saltillo", "state": "MX-COA", "partnership": ["laredo-monterrey"]}, (3, PRIORITY_TIERS[3])),
    ({"municipality": "Piedras Negras", "state": "MX-COA"}, (3, PRIORITY_TIERS[3])),  # a neighbour of the wrong shape
    ({"municipality": "Colombia"}, (1, PRIORITY_TIERS[1])),  # no state on either side: the same place
    ({"municipality": "Colombia", "state": "MX-NLE"}, (3, PRIORITY_TIERS[3])),
])
def test_donations_are_ranked_neighbours_then_sister_cities_then_everyone_else(recipient, tier):
    assert ranker().tier({"recipient": recipient}) == tier


def test_a_donation_without_a_recipient_and_a_city_without_neighbours_are_ranked_last():
    assert ranker().tier({"recipient": "Nuevo Laredo"}) == (3, PRIORITY_TIERS[3])
    assert PriorityRanker({"neighbouring_municipalities": "Nuevo Laredo"}, []).tier(
        {"recipient": {"municipality": "Nuevo Laredo"}}) == (3, PRIORITY_TIERS[3])
