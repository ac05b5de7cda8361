"""Each promise the documents make, tested where it is decided and fast (no PDF is laid out), so
that mutation testing (README, "Testing") can run these for every mutant of the code deciding it.

Issue 20's table: each one-line change listed there makes a test here fail.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from pipeline import review
from pipeline.build import archival_source, make_tasks
from pipeline.cli import cli
from pipeline.output import OutputFolder
from pipeline.plan import ARCHIVAL, plan
from pipeline.records import load_batch
from pipeline.render import render_html
from pipeline.rules.fields import rfc_issues
from pipeline.validate import validate
from tests.conftest import AFTER_MEETING, ROOT, BatchCopy, own_template

SALTILLO = "partnerships/laredo-saltillo.yaml"
BUS_FILE = "donations/don-2026-nld-school-bus.yaml"
PUBLIC_WORKS = "donations/don-2026-nld-public-works.yaml"
ID_NUMBER = "SNOLRM80031228H400"  # the pickup person's voter ID in the example


def planned(batch: BatchCopy, as_of: dt.date = AFTER_MEETING):
    loaded = load_batch(batch.folder)
    report = validate(loaded, as_of=as_of)
    return loaded, report, plan(loaded, report, as_of)


def agreement_copies(the_plan, record_id: str = "laredo-saltillo") -> list:
    return [d for d in the_plan.documents if d.record_id == record_id and d.document in ("agreement", "agreement_bilingual")]


def rules_of(report, record_id: str) -> list[tuple[str, str]]:
    return sorted((f.rule, f.field) for f in report.findings if f.record == record_id)


# --- the DRAFT gate: final only once the legal office approved this text and the council adopted it ---------

@pytest.mark.parametrize("adopted, approved, final", [(True, True, True), (True, False, False), (False, True, False),
                                                      (False, False, False)])
def test_an_agreement_is_final_only_when_its_text_is_approved_and_the_council_adopted_it(tmp_path, adopted, approved, final):
    batch = BatchCopy(tmp_path)
    if adopted:
        batch.replace(SALTILLO, "status: proposed", "status: council_approved")
    if approved:
        batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                      "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n")
        batch.approve_text(SALTILLO)
    _, report, the_plan = planned(batch)
    copies = agreement_copies(the_plan)
    assert len(copies) == 4 and {d.final for d in copies} == {final}
    assert all((ARCHIVAL in d.formats) == final for d in copies)  # a draft is never archived


def test_an_approval_of_another_text_leaves_the_agreement_a_draft(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace(SALTILLO, "status: proposed", "status: council_approved")
    batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n")
    batch.approve_text(SALTILLO)
    batch.replace(SALTILLO, "universities of both cities", "public universities of both cities")
    _, report, the_plan = planned(batch)
    assert {d.final for d in agreement_copies(the_plan)} == {False}
    assert ("legal_review.stale", "legal_review.revision") in rules_of(report, "laredo-saltillo")
    (stale,) = [f for f in report.findings if f.rule == "legal_review.stale"]
    approved = batch.path(SALTILLO).read_text(encoding="utf-8").split("  revision: ")[1].split()[0]
    assert stale.fix.startswith(f"have the legal office review the changes (sisterdocs redline example laredo-saltillo "
                                f"--from {approved}) and record 'revision: ")


def approved_without_revision(batch: BatchCopy) -> None:
    batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n")


def test_a_record_with_errors_does_not_stop_the_review_check_of_the_records_after_it(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace("partnerships/dos-laredos.yaml", "status: grandfathered\n", "status: grandfathered\nbogus: 1\n")
    approved_without_revision(batch)
    _, report, _ = planned(batch)
    assert ("schema.unknown", "bogus") in rules_of(report, "dos-laredos")
    assert ("legal_review.revision", "legal_review") in rules_of(report, "laredo-saltillo")


def test_an_error_in_the_city_profile_stops_the_review_check(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace("city.yaml", "date_order: MDY", "date_order: MDY\nbogus: 1")
    approved_without_revision(batch)
    _, report, _ = planned(batch)
    assert any(f.kind == "city" and f.rule == "schema.unknown" for f in report.errors)
    assert not [f for f in report.findings if f.rule.startswith("legal_review.")]


# --- personal data: the pickup ID number only in the city's own copy --------------------------------------------

def release_tasks(batch: BatchCopy) -> dict:
    loaded, report, the_plan = planned(batch)
    releases = [d for d in the_plan.documents if d.record_id == "don-2026-nld-school-bus" and d.document == "release_receipt"]
    assert [d.variant for d in releases] == ["city-copy", "recipient-copy"]
    from pipeline.plan import Plan

    return {t.plan.variant: t for t in make_tasks(loaded, Plan(documents=releases), as_of=AFTER_MEETING)}


def test_the_pickup_id_number_is_in_the_city_copy_context_only(tmp_path):
    tasks = release_tasks(BatchCopy(tmp_path))
    for view in ("donation", "en", "es"):
        city = tasks["city-copy"].context if view == "donation" else tasks["city-copy"].context[view]
        recipient = tasks["recipient-copy"].context if view == "donation" else tasks["recipient-copy"].context[view]
        assert city["donation"]["pickup"]["id_number"] == ID_NUMBER
        assert recipient["donation"]["pickup"]["id_number"] == ""
    assert ID_NUMBER in render_html(tasks["city-copy"])
    assert ID_NUMBER not in render_html(tasks["recipient-copy"])


def test_the_release_template_prints_the_id_number_only_on_the_city_copy(tmp_path):
    """The template's own guard, tested alone: given a recipient's copy whose context (wrongly) holds
    the number, it still does not print it."""
    task = release_tasks(BatchCopy(tmp_path))["recipient-copy"]
    for view in (task.context, task.context["en"], task.context["es"]):
        view["donation"]["pickup"]["id_number"] = ID_NUMBER
    assert ID_NUMBER not in render_html(task)


def test_the_archival_copy_withholds_personal_data():
    loaded = load_batch(ROOT / "records" / "example")
    bus = next(r for r in loaded.records if r.id == "don-2026-nld-school-bus")
    text = archival_source(bus, dt.date(2026, 12, 8)).data.decode("utf-8")
    assert ID_NUMBER not in text and "Ramiro Sánchez Olvera" not in text
    assert text.count("(withheld: personal data)") == 2 and bus.data["pickup"]["id_number"] == ID_NUMBER  # record untouched


# --- rules the documents rely on ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, blocked", [("0", False), ("0.00", False), ("-1", True), ("-0.01", True), ("0.01", True),
                                            ("900", True)])
def test_only_equipment_of_book_value_exactly_zero_is_donated(tmp_path, value, blocked):
    batch = BatchCopy(tmp_path)
    text = batch.path(PUBLIC_WORKS).read_text(encoding="utf-8")
    assert text.count("book_value: 0\n") >= 1
    batch.replace(PUBLIC_WORKS, "book_value: 0\n", f"book_value: {value}\n")
    report = validate(load_batch(batch.folder), as_of=AFTER_MEETING)
    found = [f for f in report.findings if f.rule == "equipment.book_value" and f.record == "don-2026-nld-public-works"]
    assert bool(found) == blocked and all(f.severity == "error" for f in found)


@pytest.mark.parametrize("rfc", ["XAXX010101000", "xaxx010101000", " XAXX-010101-000 ", "XEXX010101000", "xexx010101000"])
def test_sats_generic_rfcs_are_refused_in_any_case_or_spacing(rfc):
    issues = rfc_issues(rfc)
    assert [rule for rule, _, _ in issues] == ["rfc.generic"], issues


@pytest.mark.parametrize("first, second, duplicate", [("3307", "3307", True), ("3307", " 3307 ", True), ("A-17", "a-17", True),
                                                      ("3307", "3308", False)])
def test_one_unit_number_is_offered_once(tmp_path, first, second, duplicate):
    batch = BatchCopy(tmp_path)
    text = batch.path(BUS_FILE).read_text(encoding="utf-8")
    units = [line for line in text.splitlines() if "unit_number:" in line]
    assert len(units) >= 2
    batch.replace(BUS_FILE, units[0], units[0].split("unit_number:")[0] + f"unit_number: {json.dumps(first)}")
    batch.replace(BUS_FILE, units[1], units[1].split("unit_number:")[0] + f"unit_number: {json.dumps(second)}")
    report = validate(load_batch(batch.folder), as_of=AFTER_MEETING)
    assert any(f.rule == "batch.unit_number" for f in report.findings) == duplicate


@pytest.mark.parametrize("evaluation, error", [("2024-12-20", False), ("2024-12-19", True), ("2026-06-20", False),
                                               ("2026-06-21", True)])
def test_the_evaluation_falls_six_months_to_two_years_after_signing_boundaries_included(tmp_path, evaluation, error):
    batch = BatchCopy(tmp_path)  # laredo-monterrey was signed on 2024-06-20
    batch.replace("partnerships/laredo-monterrey.yaml", "evaluation_date: 2026-06-20", f"evaluation_date: {evaluation}")
    report = validate(load_batch(batch.folder), as_of=AFTER_MEETING)
    found = [f for f in report.findings if f.rule == "partnership.evaluation" and f.record == "laredo-monterrey"]
    assert bool(found) == error, [f.text() for f in found]


# --- donation status rules: each inconsistency is its own finding -------------------------------------------------

COUNCIL_FIX = "add 'council:' with resolution_number and meeting_date, or set status: requested"
NO_PICKUP_DATE = ("pickup.picked_up_on", "status is picked_up but no pickup date is recorded", "add 'picked_up_on:' under pickup")
STATUS_CASES = {
    "approved without council action": (BUS_FILE, ("council:\n  resolution_number: 2026-R-097", "council_x:\n  resolution_number: 2026-R-097"),
                                        [("status", "status is picked_up but no council action is recorded", COUNCIL_FIX)]),
    "approved before the meeting": (BUS_FILE, ("  meeting_date: 2026-09-22", "  meeting_date: 2027-01-12"),
                                    [("council.meeting_date", "status is picked_up but the council meets on 2027-01-12",
                                      "set status: requested until the council has voted")]),
    "picked up without a date": (BUS_FILE, ("  picked_up_on: 2026-10-08\n", ""), [NO_PICKUP_DATE]),
    "a pickup date while still approved": (BUS_FILE, ("status: picked_up", "status: council_approved"),
                                           [("status", "a pickup date is recorded but status is council_approved",
                                             "set status: picked_up")]),
    "approved without a pickup person": (BUS_FILE, ("pickup:\n  name: Ramiro Sánchez Olvera", "pickup_x:\n  name: Ramiro Sánchez Olvera"),
                                         [("pickup", "the recipient has not named the person who will pick up",
                                           "add 'pickup:' with name, id_type and id_number (a matching ID is checked at pickup)"),
                                          NO_PICKUP_DATE]),
    "meeting before the request": (BUS_FILE, ("requested_on: 2026-07-06", "requested_on: 2026-09-30"),
                                   [("council.meeting_date", "the council meeting (2026-09-22) is before the request (2026-09-30)",
                                     "correct one of the two dates")]),
}


@pytest.mark.parametrize("case", sorted(STATUS_CASES))
def test_each_donation_status_inconsistency_is_reported(tmp_path, case):
    path, (old, new), expected = STATUS_CASES[case]
    batch = BatchCopy(tmp_path)
    assert not [f for f in batch.check(AFTER_MEETING).findings if f.rule == "donation.status"]
    batch.replace(path, old, new)
    found = [(f.field, f.message, f.fix) for f in batch.check(AFTER_MEETING).findings if f.rule == "donation.status"]
    assert found == expected


# --- the output: stale files go, files no build made stay ---------------------------------------------------------

def test_a_file_the_last_build_made_and_this_one_does_not_is_removed(tmp_path):
    output = OutputFolder(tmp_path / "out" / "example")
    first = output.begin()
    for name in ("kept.pdf", "stale.pdf"):
        first.write(name, name.encode())
    first.commit({"files": [{"path": "kept.pdf"}, {"path": "stale.pdf"}]})
    (output.folder / "clerk-notes.txt").write_text("mine", encoding="utf-8")  # no build made it
    second = output.begin()
    assert second.carry("kept.pdf")
    second.commit({"files": [{"path": "kept.pdf"}]}, previous_paths={"kept.pdf", "stale.pdf"})
    assert sorted(p.name for p in output.folder.iterdir()) == ["clerk-notes.txt", "kept.pdf", "manifest.json"]


# --- --quiet ----------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_progress_bar_shows_on_a_terminal_unless_quiet(tmp_path, monkeypatch):
    import click.testing

    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False)
    batch = BatchCopy(tmp_path)
    args = ["build", str(batch.folder), "--out", str(tmp_path / "out"), "--as-of", "2026-12-09", "-j", "2", "--force"]
    shown = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert "rendering" in shown.stderr, shown.stderr
    quiet = CliRunner().invoke(cli, args + ["--quiet"], catch_exceptions=False)
    assert quiet.exit_code == 0 and "rendering" not in quiet.stderr and "documents rendered" in quiet.stdout



# --- what the plan says it held back, and why (the compliance report prints it) -----------------------------------

def test_a_stale_approval_holds_back_the_final_agreement_and_its_archival_copies(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace(SALTILLO, "status: proposed", "status: council_approved")
    batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n")
    revision = batch.approve_text(SALTILLO)
    batch.replace(SALTILLO, "universities of both cities", "public universities of both cities")
    _, report, the_plan = planned(batch)
    copies = agreement_copies(the_plan)
    assert [d.formats for d in copies] == [("pdf", "docx")] * 4  # drafts: no archival copy, nothing else dropped
    held = [h for h in the_plan.held_back if h.record_id == "laredo-saltillo" and h.document.startswith("agreement")]
    assert [(h.document, h.reason.split(":")[0]) for h in held] == [("agreement (final, archival PDF/A)", "a draft again")]
    assert f"approval of rev. {revision}" in held[0].reason
    others = [d for d in the_plan.documents if d.record_id != "laredo-saltillo" and d.document.startswith("agreement")]
    assert others and all(d.final == (d.record_id == "laredo-monterrey") for d in others)  # no other record touched


def test_a_record_with_errors_gets_no_document_and_the_plan_says_why(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace(BUS_FILE, "  picked_up_on: 2026-10-08\n", "")  # status picked_up without its date: an error
    _, report, the_plan = planned(batch)
    assert "don-2026-nld-school-bus" in report.blocked()
    assert not [d for d in the_plan.documents if d.record_id == "don-2026-nld-school-bus"]
    held = [(h.document, h.reason) for h in the_plan.held_back if h.record_id == "don-2026-nld-school-bus"]
    assert held == [("*", "the record has errors (see the findings)")]


def test_only_records_on_this_agenda_get_an_agenda_item(tmp_path):
    _, _, the_plan = planned(BatchCopy(tmp_path))
    items = sorted(d.record_id for d in the_plan.documents if d.document == "agenda_item")
    assert items == ["don-2026-nld-bomberos", "don-2026-nld-public-works", "dos-laredos", "laredo-monterrey", "laredo-saltillo"]
    held = [(h.document, h.reason) for h in the_plan.held_back if h.record_id == "don-2026-nld-school-bus"]
    assert ("agenda_item", "made only for a record on this meeting's agenda") in held
    resolutions = [d for d in the_plan.documents if d.record_id == "don-2026-nld-school-bus" and d.document == "donation_resolution"]
    assert [d.lang for d in resolutions] == ["en", "es"]  # the rest of its papers are still made


# --- the customs letter's facts ----------------------------------------------------------------------------------

def test_an_approved_donation_needs_an_estimated_value_and_serials_for_customs(tmp_path):
    batch = BatchCopy(tmp_path)
    text = batch.path(BUS_FILE).read_text(encoding="utf-8")
    first_value = next(line for line in text.splitlines() if "estimated_value:" in line)
    batch.replace(BUS_FILE, first_value + "\n", "")
    serial = next(line for line in text.splitlines() if "serial_number:" in line)
    batch.replace(BUS_FILE, serial + "\n", "")
    found = rules_of(batch.check(AFTER_MEETING), "don-2026-nld-school-bus")
    assert ("customs.value", "items[0].estimated_value") in found
    assert [f for f in found if f[0] == "customs.serial"] == [("customs.serial", "items[1].serial_number")]
    batch.replace(BUS_FILE, "status: picked_up", "status: requested")  # before approval the letter is not made
    assert not [f for f in rules_of(batch.check(dt.date(2026, 9, 1)), "don-2026-nld-school-bus") if f[0].startswith("customs.")]


@pytest.mark.parametrize("items", ["{unit_number: '1'}", "'a bus'", "[[1, 2]]", "[{items: []}]"])
def test_items_of_the_wrong_shape_are_findings_not_a_crash(tmp_path, items):
    batch = BatchCopy(tmp_path)
    text = batch.path(PUBLIC_WORKS).read_text(encoding="utf-8")
    rest = text[text.index("items:\n"):]
    following = next((i for i, line in enumerate(rest.splitlines()[1:], 1) if line and not line.startswith((" ", "-"))), None)
    block = "\n".join(rest.splitlines()[:following]) if following else rest
    batch.replace(PUBLIC_WORKS, block, f"items: {items}")
    report = batch.check(AFTER_MEETING)
    assert any(f.record == "don-2026-nld-public-works" and f.field.startswith("items") for f in report.errors)


# --- when an act counts as adopted, and what a resolution's plan holds -----------------------------------------

def test_an_act_counts_as_adopted_from_its_meeting_day(tmp_path):
    from pipeline.documents.council import adopted
    from pipeline.documents.partnership import says_adopted

    batch = BatchCopy(tmp_path)
    batch.replace(SALTILLO, "status: proposed", "status: council_approved")  # the meeting is 2026-12-08
    loaded = load_batch(batch.folder)
    meeting_day = dt.date(2026, 12, 8)
    resolution = next(d for d in plan(loaded, validate(loaded, as_of=meeting_day), meeting_day).documents
                      if d.record_id == "laredo-saltillo" and d.document == "partnership_resolution" and d.lang == "en")
    assert ARCHIVAL in resolution.formats
    data = next(r for r in loaded.records if r.id == "laredo-saltillo").data
    assert adopted(says_adopted, data, meeting_day) and not adopted(says_adopted, data, dt.date(2026, 12, 7))
    # a status change is adopted by its own act: the agreement's adoption does not adopt it
    change = {**data, "status_change": {"action": "renewal", "council": {"meeting_date": "2026-12-08"}}}
    assert not adopted(says_adopted, change, meeting_day, ("status_change", "council"))
    change["status_change"]["council"]["adopted"] = True
    assert adopted(says_adopted, change, meeting_day, ("status_change", "council"))


def test_an_unreadable_or_missing_meeting_date_is_not_an_adoption():
    from pipeline.documents.council import happened

    assert happened("2026-12-08", dt.date(2026, 12, 8)) and not happened("2026-12-09", dt.date(2026, 12, 8))
    assert not happened(None, dt.date(2026, 12, 8)) and not happened("2026-13-40", dt.date(2026, 12, 8))


def test_resolutions_are_planned_in_both_languages_and_only_the_adopted_english_text_archived(tmp_path):
    _, _, the_plan = planned(BatchCopy(tmp_path))
    mty = {(d.document, d.lang): d for d in the_plan.documents if d.record_id == "laredo-monterrey"}
    # the emeritus designation on this agenda is not adopted yet: no archival copy, and the plan says why
    assert mty[("status_resolution", "en")].formats == ("pdf", "docx") == mty[("status_resolution", "es")].formats
    held = {(h.document, h.reason) for h in the_plan.held_back if h.record_id == "laredo-monterrey"}
    assert ("status_resolution (archival PDF/A)", "archived once the council has adopted the resolution") in held
    bus = {(d.document, d.lang): d for d in the_plan.documents if d.record_id == "don-2026-nld-school-bus"}
    assert bus[("donation_resolution", "en")].formats == ("pdf", "docx", ARCHIVAL)  # adopted in September
    assert bus[("donation_resolution", "es")].formats == ("pdf", "docx")  # a courtesy translation: never archived
    titles = {(d.document, d.lang): d.title for d in the_plan.documents if d.record_id == "laredo-saltillo"}
    assert titles[("agreement", "en")] and titles[("agreement", "es")] and titles[("agreement", "en")] != titles[("agreement", "es")]


def test_a_record_with_errors_does_not_stop_the_plan_of_the_records_after_it(tmp_path):
    batch = BatchCopy(tmp_path)
    loaded = load_batch(batch.folder)
    first = loaded.records[0]
    batch.replace(str(first.file).split("/example/")[-1], f"status: {first.data['status']}\n", "status: not-a-status\n")
    _, report, the_plan = planned(batch)
    assert first.id in report.blocked()
    assert {d.record_id for d in the_plan.documents} == {r.id for r in loaded.records[1:]}


# --- the check of approved and adopted texts ----------------------------------------------------------------------

def test_check_renders_no_text_that_has_not_changed_since_its_kept_revision(tmp_path, monkeypatch):
    """The approved agreement and the adopted resolution are compared by what they are made from; only a
    change makes the check render the text again (so the check stays quick at a thousand records)."""
    import pipeline.render

    batch = BatchCopy(tmp_path, revisions=True)
    rendered = []
    real = pipeline.render.render_html
    monkeypatch.setattr(pipeline.render, "render_html", lambda task: rendered.append(task.plan.doc_id) or real(task))
    review.forget_rendered()
    validate(load_batch(batch.folder), as_of=AFTER_MEETING)
    assert rendered == []
    batch.replace("partnerships/laredo-monterrey.yaml", "Exchange art exhibitions between", "Exchange art and music exhibitions between")
    validate(load_batch(batch.folder), as_of=AFTER_MEETING)
    assert sorted(set(rendered)) == ["laredo-monterrey/agreement.en", "laredo-monterrey/agreement.es",
                                     "laredo-monterrey/agreement_bilingual.en", "laredo-monterrey/agreement_bilingual.es"]


def test_an_approval_of_a_revision_never_kept_says_what_cannot_be_shown(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n  revision: 0123abcdef\n")
    (stale,) = [f for f in batch.check(AFTER_MEETING).findings if f.rule == "legal_review.stale"]
    assert "rev. 0123abcdef is not kept under" in stale.message and "revisions/laredo-saltillo, so what changed cannot be shown" in stale.message


def test_many_changed_fields_are_summed_up(tmp_path):
    from pipeline import review

    batch = BatchCopy(tmp_path)
    batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n")
    batch.approve_text(SALTILLO)
    text = batch.path(SALTILLO).read_text(encoding="utf-8")
    for name in ("Daniel Ochoa", "Rosa M. Salinas", "Mariana E. Aguirre", "Tomás Ramos Cepeda"):
        text = text.replace(name, name + " Jr.")
    batch.path(SALTILLO).write_text(text, encoding="utf-8")
    (stale,) = [f for f in batch.check(AFTER_MEETING).findings if f.rule == "legal_review.stale"]
    changed = stale.message.split("(changed: fields ")[1].split(")")[0]
    listed, more = changed.split(" and ")
    assert len(listed.split(", ")) == 8 and more.endswith(" more") and int(more.split()[0]) >= 1
    assert review.GROUP == "agreement"


def test_an_adopted_resolution_is_compared_with_its_kept_text_without_a_build(tmp_path):
    from pipeline import review

    batch = BatchCopy(tmp_path)
    loaded = load_batch(batch.folder)
    bus = next(r for r in loaded.records if r.id == "don-2026-nld-school-bus")
    snap = review.snapshot(loaded, bus, group="donation_resolution")
    assert review.mark_adopted(batch.folder, bus, snap, "2026-09-22")
    assert not review.mark_adopted(batch.folder, bus, snap, "2026-09-23")  # once per number
    assert not [f for f in batch.check(AFTER_MEETING).findings if f.rule == "resolution.adopted_text"]
    batch.replace(BUS_FILE, "Transport and classroom equipment", "Transport and laboratory equipment")
    (frozen,) = [f for f in batch.check(AFTER_MEETING).findings if f.rule == "resolution.adopted_text"]
    assert f"Resolution No. 2026-R-097 was adopted with the text of rev. {snap.revision}" in frozen.message
    assert "(changed: fields purpose.description.en)" in frozen.message and frozen.field == "council.resolution_number"


def test_a_fund_that_forbids_donation_is_named_in_english(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace(PUBLIC_WORKS, "fund_allows_donation: true", "fund_allows_donation: false")
    (fund,) = [f for f in batch.check(AFTER_MEETING).findings if f.rule == "equipment.fund"]
    assert "the fund 'Solid Waste Fund 554' does not allow donations" in fund.message


# --- the agenda item memo -----------------------------------------------------------------------------------------

def test_the_agenda_item_is_an_english_memo_dated_the_day_it_was_filed_citing_the_plans_goal(tmp_path):
    loaded, _, the_plan = planned(BatchCopy(tmp_path), as_of=dt.date(2026, 12, 1))
    item = next(d for d in the_plan.documents if d.record_id == "laredo-saltillo" and d.document == "agenda_item")
    assert (item.lang, item.formats, item.title, item.record_kind) == ("en", ("pdf", "docx"), "Council agenda item", "partnership")
    from pipeline.plan import Plan

    agreement = next(d for d in the_plan.documents if d.record_id == "laredo-saltillo" and d.document == "agreement")
    memo, other = make_tasks(loaded, Plan(documents=[item, agreement]), as_of=dt.date(2026, 12, 1))
    assert memo.context["letter_date"] == "December 3, 2026"  # council.filed_on, not the build day
    assert memo.context["agenda"]["goal"] == {"number": "1", "plan": "City of Laredo Strategic Plan 2025-2029",
                                              "text": "Grow trade, logistics and investment through the port and across the border"}
    assert "agenda" not in other.context and "letter_date" not in other.context
    text = " ".join(render_html(memo).split())
    assert "December 3, 2026" in text and "Grow trade, logistics and investment through the port" in text


def test_an_agenda_item_not_yet_filed_is_dated_the_day_it_is_built(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace(SALTILLO, "  filed_on: 2026-12-03\n", "")
    loaded, _, the_plan = planned(batch, as_of=dt.date(2026, 12, 1))
    item = next(d for d in the_plan.documents if d.record_id == "laredo-saltillo" and d.document == "agenda_item")
    from pipeline.plan import Plan

    (memo,) = make_tasks(loaded, Plan(documents=[item]), as_of=dt.date(2026, 12, 1))
    assert memo.context["letter_date"] == "December 1, 2026"


# --- the words of a finding that says what changed -----------------------------------------------------------------

def _kept_pair(folder, fields_changed: int, templates_changed: int):
    from pipeline import review

    old = review.Snapshot("r", "aaaaaaaaaa", {}, {f"f{i:02d}": "old" for i in range(12)}, {f"t{i}": "old" for i in range(3)})
    new = review.Snapshot("r", "bbbbbbbbbb", {}, {**old.fields, **{f"f{i:02d}": "new" for i in range(fields_changed)}},
                          {**old.templates, **{f"t{i}": "new" for i in range(templates_changed)}})
    review.keep(folder, old)
    return new


@pytest.mark.parametrize("fields, templates, said", [
    (8, 0, "changed: fields f00, f01, f02, f03, f04, f05, f06, f07"),
    (9, 0, "changed: fields f00, f01, f02, f03, f04, f05, f06, f07 and 1 more"),
    (11, 2, "changed: fields f00, f01, f02, f03, f04, f05, f06, f07 and 3 more; templates t0, t1"),
    (0, 1, "changed: templates t0"),
    (0, 0, "changed: the program's own wording (no field or template)"),
])
def test_what_changed_is_listed_exactly(tmp_path, fields, templates, said):
    from types import SimpleNamespace

    from pipeline.rules.review import _what_changed

    new = _kept_pair(tmp_path, fields, templates)
    assert _what_changed(SimpleNamespace(folder=tmp_path), "r", "aaaaaaaaaa", new) == said


@pytest.mark.parametrize("kept", [("partnership_resolution", "status_resolution"), ("status_resolution",)])
@pytest.mark.parametrize("change", ["a reason", "the status resolution's template"])
def test_every_adopted_act_of_a_record_is_checked_not_only_the_first(tmp_path, change, kept):
    """laredo-monterrey carries two acts: the 2024 resolution that authorized the agreement, and the
    emeritus designation. With both kept as adopted (or only the second), a change to the second alone is refused, whether
    the first had to be rendered again to be found unchanged (a reason, in the record both share) or not
    (a template only the second uses)."""
    from pipeline import review

    batch = BatchCopy(tmp_path)
    path = "partnerships/laredo-monterrey.yaml"
    loaded = load_batch(batch.folder)
    mty = next(r for r in loaded.records if r.id == "laredo-monterrey")
    for act in kept:
        assert review.mark_adopted(batch.folder, mty, review.snapshot(loaded, mty, group=act), "2026-12-08")
    overrides = None
    if change == "a reason":
        text = batch.path(path).read_text(encoding="utf-8")
        reason = next(line for line in text.splitlines() if line.strip().startswith("- en:")
                      and text.index(line) > text.index("status_change:"))
        batch.replace(path, reason, reason.replace("- en: ", "- en: Indeed, "))
    else:
        overrides = tmp_path / "city"
        (overrides / "templates_en" / "partnership").mkdir(parents=True)
        source = (ROOT / "templates_en" / "partnership" / "status_resolution.html").read_text(encoding="utf-8")
        (overrides / "templates_en" / "partnership" / "status_resolution.html").write_text(
            source.replace("{{ b.background_heading(city) }}", "{{ b.background_heading(city) }}<p>Amended.</p>", 1),
            encoding="utf-8")
    report = validate(load_batch(batch.folder), as_of=AFTER_MEETING, overrides=overrides)
    (frozen,) = [f for f in report.findings if f.rule == "resolution.adopted_text"]
    assert frozen.field == "status_change.council.resolution_number" and "Resolution No. 2026-R-122" in frozen.message
    assert frozen.fix == ("undo the change; if the council has amended the act, record the amending resolution's number, "
                          "meeting and vote as the act, so the new text prints under its own number")


def test_a_city_template_that_changes_an_adopted_text_is_named(tmp_path):
    from pipeline import review

    batch = BatchCopy(tmp_path)
    loaded = load_batch(batch.folder)
    bus = next(r for r in loaded.records if r.id == "don-2026-nld-school-bus")
    review.mark_adopted(batch.folder, bus, review.snapshot(loaded, bus, group="donation_resolution"), "2026-09-22")
    overrides = own_template(tmp_path / "city", "templates_en/donation/donation_resolution.html", "— EQUIPMENT DONATED<",
                             "— EQUIPMENT TO BE DONATED<")
    report = validate(load_batch(batch.folder), as_of=AFTER_MEETING, overrides=overrides)
    (frozen,) = [f for f in report.findings if f.rule == "resolution.adopted_text"]
    assert "templates city templates_en/donation/donation_resolution.html, templates_en/donation/donation_resolution.html" \
        in frozen.message


# --- what an agenda item tells the council ----------------------------------------------------------------------

def agenda_task(batch: BatchCopy, record_id: str, as_of: dt.date = dt.date(2026, 12, 1)):
    from pipeline.plan import Plan

    loaded, _, the_plan = planned(batch, as_of=as_of)
    item = next(d for d in the_plan.documents if d.record_id == record_id and d.document == "agenda_item")
    (memo,) = make_tasks(loaded, Plan(documents=[item]), as_of=as_of)
    return memo


def test_the_agenda_item_lists_the_citys_relationships_oldest_first_and_the_communities_interested(tmp_path):
    batch = BatchCopy(tmp_path)
    nuevo_laredo = "  - {partner: Nuevo Laredo, state: MX-TAM, country: MX, kind: sister_city, signed: 1986-11-15, record: dos-laredos}\n"
    monterrey = "  - {partner: Monterrey, state: MX-NLE, country: MX, kind: friendship_city, signed: 2024-06-20, record: laredo-monterrey}\n"
    batch.replace("city.yaml", nuevo_laredo + monterrey, monterrey + nuevo_laredo)  # the item still lists the oldest first
    batch.replace("partnerships/dos-laredos.yaml", '  strategic_goal: "4"\n', '  strategic_goal: "4"\n  fiscal_note: No cost to the General Fund\n')
    agenda = agenda_task(batch, "dos-laredos").context["agenda"]
    assert agenda == {
        "goal": {"number": "4", "text": "Govern together with our neighbors across the Rio Grande",
                 "plan": "City of Laredo Strategic Plan 2025-2029"},
        "fiscal_note": "No cost to the General Fund",
        "partnerships": [
            {"partner": "Nuevo Laredo", "state": "Tamaulipas", "country": "Mexico", "kind": "Sister City", "signed": "November 15, 1986"},
            {"partner": "Monterrey", "state": "Nuevo León", "country": "Mexico", "kind": "Friendship City", "signed": "June 20, 2024"}],
        "interest": [{"partner": "Monclova", "state": "Coahuila de Zaragoza", "country": "Mexico"},
                     {"partner": "San Luis Potosí", "state": "San Luis Potosí", "country": "Mexico"}],
        "priority": "",
    }


def test_a_status_changes_agenda_item_takes_its_goal_note_and_filing_day_from_the_status_change(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace("partnerships/laredo-monterrey.yaml", "    filed_on: 2026-12-03\n",
                  "    filed_on: 2026-12-02\n    fiscal_note: Staff time only\n")
    memo = agenda_task(batch, "laredo-monterrey")
    agenda = memo.context["agenda"]
    assert (agenda["goal"]["number"], agenda["fiscal_note"], memo.context["letter_date"]) == ("4", "Staff time only", "December 2, 2026")
    assert agenda_task(batch, "laredo-saltillo").context["agenda"]["fiscal_note"] == ""


@pytest.mark.parametrize("municipality, state, tier", [
    ("Nuevo Laredo", "MX-TAM", "first of three tiers, because the recipient is in a neighboring municipality"),
    ("Monterrey", "MX-NLE", "second of three tiers, because the recipient's community has an active sister-city agreement with the City"),
    ("Monclova", "MX-COA", "third of three tiers, because the recipient is neither in a neighboring municipality nor in an active sister city"),
])
def test_a_donations_agenda_item_gives_its_place_in_line(tmp_path, municipality, state, tier):
    batch = BatchCopy(tmp_path)
    batch.replace("donations/don-2026-nld-bomberos.yaml", "  municipality: Nuevo Laredo\n  state: MX-TAM\n",
                  f"  municipality: {municipality}\n  state: {state}\n")
    assert agenda_task(batch, "don-2026-nld-bomberos").context["agenda"]["priority"] == tier


@pytest.mark.parametrize("built_on, dated", [(dt.date(2026, 12, 7), "December 7, 2026"), (dt.date(2026, 12, 8), ""),
                                             (dt.date(2026, 12, 9), "")])
def test_an_agenda_item_built_on_or_after_its_meeting_without_a_filing_day_leaves_the_date_blank(tmp_path, built_on, dated):
    batch = BatchCopy(tmp_path)
    batch.replace(SALTILLO, "  filed_on: 2026-12-03\n", "")
    assert agenda_task(batch, "laredo-saltillo", as_of=built_on).context["letter_date"] == dated


def test_the_same_words_from_a_changed_template_are_kept_as_the_same_revision(tmp_path, monkeypatch):
    """A template changed only in its markup makes the same words: the revision stays, the kept file
    is not rewritten, and once the build has noted the new inputs, check renders nothing again."""
    import pipeline.render
    from pipeline import review

    batch = BatchCopy(tmp_path, revisions=True)
    overrides = own_template(tmp_path / "city", "templates_en/partnership/agreement.html", "<section",
                             '<section data-note="markup only"')
    loaded = load_batch(batch.folder)
    mty = next(r for r in loaded.records if r.id == "laredo-monterrey")
    kept_file = review.store_path(batch.folder, "laredo-monterrey", "295f46609e")
    before = kept_file.read_bytes()
    rendered = []
    real = pipeline.render.render_html
    monkeypatch.setattr(pipeline.render, "render_html", lambda task: rendered.append(task.plan.doc_id) or real(task))
    review.forget_rendered()
    now = review.current(loaded, mty, overrides)
    assert now.revision == "295f46609e" and rendered  # rendered once: these inputs were never seen
    assert review.keep(batch.folder, now) is False  # what the build does with it
    assert kept_file.read_bytes() == before and now.inputs in review.made_from(review.kept(batch.folder, "laredo-monterrey", "295f46609e"))
    rendered.clear()
    assert review.current(load_batch(batch.folder), mty, overrides).revision == "295f46609e" and rendered == []


def test_archival_copies_live_in_their_own_tree_beside_the_documents(tmp_path):
    _, _, the_plan = planned(BatchCopy(tmp_path))
    resolution = next(d for d in the_plan.documents if d.record_id == "don-2026-nld-school-bus" and ARCHIVAL in d.formats)
    assert (resolution.path("pdf"), resolution.path(ARCHIVAL), resolution.path("docx")) == (
        f"donations/don-2026-nld-school-bus/{resolution.name}.pdf",
        f"archival/donations/don-2026-nld-school-bus/{resolution.name}.pdf",
        f"donations/don-2026-nld-school-bus/{resolution.name}.docx")


def test_an_agenda_item_without_a_goal_or_a_strategic_plan_is_still_made_and_says_none(tmp_path):
    batch = BatchCopy(tmp_path)
    batch.replace(SALTILLO, '  strategic_goal: "1"\n', "")
    assert agenda_task(batch, "laredo-saltillo").context["agenda"]["goal"] is None
    city = batch.path("city.yaml").read_text(encoding="utf-8")
    start = city.index("strategic_plan:")
    end = city.index("partnerships:", start)
    batch.write("city.yaml", city[:start] + city[end:])
    batch.replace("partnerships/dos-laredos.yaml", '  strategic_goal: "4"\n', "")
    assert agenda_task(batch, "dos-laredos").context["agenda"]["goal"] is None


@pytest.mark.parametrize("signed, order", [("03/04/2024", ["November 15, 1986", "March 4, 2024"]),
                                           ("03/04/1980", ["March 4, 1980", "November 15, 1986"])])
def test_the_agenda_item_reads_a_numeric_signing_date_in_the_citys_date_order(tmp_path, signed, order):
    """Listed oldest first by the date each was signed, a numeric date read as city.yaml says (MDY)."""
    batch = BatchCopy(tmp_path)
    batch.replace("city.yaml", "kind: friendship_city, signed: 2024-06-20,", f"kind: friendship_city, signed: {signed},")
    listed = agenda_task(batch, "laredo-saltillo").context["agenda"]["partnerships"]
    assert [p["signed"] for p in listed] == order
