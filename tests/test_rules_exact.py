"""Findings asserted whole (file, line, record, field, message, fix) where a rule's own branch
decides them: the cases mutation testing found no test for (README, "Testing")."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline import review
from tests.conftest import AFTER_MEETING, ROOT, BatchCopy, only, own_template, rules_of

FLEET = "donations/don-2026-nld-public-works.yaml"
SALTILLO = "partnerships/laredo-saltillo.yaml"
MONTERREY = "partnerships/laredo-monterrey.yaml"
DOS = "partnerships/dos-laredos.yaml"  # grandfathered: its new plan goes to the council on 2026-12-08
REASONS = MONTERREY  # the emeritus designation states its reasons


def whole(finding) -> tuple:
    return finding.file, finding.line, finding.record, finding.field, finding.severity, finding.message, finding.fix


@pytest.mark.parametrize("missing", ["reviewer", "date"])
def test_an_approved_legal_review_names_who_approved_it_and_when(batch, missing):
    given = {"reviewer": "    reviewer: Ana Salinas, Assistant City Attorney\n", "date": "    date: 2026-11-20\n"}
    line = batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                         "legal_review:\n  status: approved\n" + "".join(v.replace("    ", "  ", 1) for k, v in given.items() if k != missing))
    finding = only(batch.check(), "schema.required", f"legal_review.{missing}")
    assert whole(finding) == (f"records/example/{SALTILLO}", line, "laredo-saltillo", f"legal_review.{missing}", "error",
                              f"an approved legal review needs its {missing}", f"add '{missing}:' under legal_review")


@pytest.mark.parametrize("reasons", ["  reasons: []\n", "  reasons: ['']\n", ""])
def test_a_status_change_without_a_reason_is_refused(batch, reasons):
    text = batch.path(REASONS).read_text(encoding="utf-8")
    start = text.index("  reasons:\n", text.index("status_change:"))
    end = text.index("  council:\n", start)
    batch.write(REASONS, text[:start] + reasons + text[end:])
    finding = only(batch.check(), "lifecycle.reasons")
    assert (finding.record, finding.field, finding.severity, finding.message, finding.fix) == (
        "laredo-monterrey", "status_change.reasons", "error",
        "the emeritus gives no reason: the resolution and the mayor's letter state why",
        "add status_change.reasons, one point each in en: and es:")


@pytest.mark.parametrize("components", ["components: 5\n", "components: {area: culture}\n", "components: a list\n"])
def test_components_of_the_wrong_shape_are_a_schema_finding_not_a_crash(batch, components):
    batch.replace_block(SALTILLO, "components:\n", components)
    finding = only(batch.check(), "schema.type", "components")
    assert finding.record == "laredo-saltillo" and finding.severity == "error"


@pytest.mark.parametrize("record", [DOS, MONTERREY])  # a work plan and review; an evaluation
@pytest.mark.parametrize("components", ["", "components: null\n", "components: 5\n", "components: {area: culture}\n"])
def test_a_work_plan_review_or_evaluation_beside_components_of_any_shape_is_checked_without_a_crash(batch, record, components):
    batch.replace_block(record, "components:", components)
    report = batch.check()
    assert [f.field for f in report.errors if f.rule.startswith("schema") and f.field.startswith("components")] == ["components"]


@pytest.mark.parametrize("fund, named", [("{en: General Fund 101, es: Fondo General 101}", "General Fund 101"),
                                         ("General Fund 101", "General Fund 101"), ("{es: Fondo General 101}", "Fondo General 101"),
                                         ("{}", "?")])
def test_the_fund_is_named_in_english_whether_bilingual_or_plain(batch, fund, named):
    batch.replace(FLEET, "fund_source: {en: General Fund 101, es: Fondo General 101}\n    fund_allows_donation: true",
                  f"fund_source: {fund}\n    fund_allows_donation: false")
    finding = only(batch.check(), "equipment.fund")
    assert (finding.message, finding.fix) == (f"the fund '{named}' does not allow donations",
                                              "take the item off this request; Finance decides which funds allow donations")


def test_a_fund_not_named_at_all_is_shown_as_a_question_mark(batch):
    batch.replace(FLEET, "fund_source: {en: General Fund 101, es: Fondo General 101}\n    fund_allows_donation: true",
                  "fund_allows_donation: false")
    assert only(batch.check(), "equipment.fund").message == "the fund '?' does not allow donations"


def test_an_unknown_agenda_record_nothing_like_any_id_gets_the_plain_fix(batch):
    batch.replace("batch.yaml", "    record: laredo-saltillo\n", "    record: zzzz\n")
    finding = only(batch.check(), "batch.reference")
    assert finding.fix == "check the id against the record files"
    near = batch.replace("batch.yaml", "    record: zzzz\n", "    record: laredo-saltilo\n")
    finding = only(batch.check(), "batch.reference")
    assert (finding.line, finding.fix) == (near, "did you mean 'laredo-saltillo'?")


@pytest.mark.parametrize("old, new, field, message, fix", [
    ('unit_number: "4521"', "unit_number: true", "items[0].unit_number", "expected text or a whole number, got true (true/false)",
     "the city's unit or asset number"),
    ("year: 2014", "year: false", "items[0].year", "expected a whole number, got false (true/false)", "write a whole number"),
])
def test_a_boolean_is_not_a_whole_number(batch, old, new, field, message, fix):
    """YAML's true and false are integers to Python: a unit number `true` would print as a unit."""
    line = batch.replace(FLEET, old, new)
    assert whole(only(batch.check(), "schema.type", field)) == (
        f"records/example/{FLEET}", line, "don-2026-nld-public-works", field, "error", message, fix)


def test_an_rfc_that_is_not_text_is_one_type_finding(batch):
    batch.replace("donations/don-2026-nld-bomberos.yaml", "  rfc: PBN850312QJ2\n", "  rfc: 850312\n")
    report = batch.check()
    assert [(f.rule, f.field) for f in report.findings if f.field == "recipient.rfc"] == [("schema.type", "recipient.rfc")]


def test_a_long_value_is_quoted_cut_at_forty_characters(batch):
    value = "x" * 50
    text = batch.path(FLEET).read_text(encoding="utf-8")
    assert "fund_source: {en: General Fund 101, es: Fondo General 101}" in text
    batch.replace(FLEET, "fund_source: {en: General Fund 101, es: Fondo General 101}", f"fund_source: [{value}]")
    finding = only(batch.check(), "schema.type", "items[1].fund_source")
    shown = repr([value])
    assert f"got {shown[:37]}..." in finding.message and shown[:38] not in finding.message
    over = "y" * 37  # 41 characters with brackets and quotes: cut
    batch.replace(FLEET, f"fund_source: [{value}]", f"fund_source: [{over}]")
    assert f"got {repr([over])[:37]}..." in only(batch.check(), "schema.type", "items[1].fund_source").message
    batch.replace(FLEET, f"fund_source: [{over}]", f"fund_source: [{value}]")
    exact = "y" * 36  # repr adds brackets and quotes: 40 characters exactly are shown whole
    batch.replace(FLEET, f"fund_source: [{value}]", f"fund_source: [{exact}]")
    assert f"got {repr([exact])}" in only(batch.check(), "schema.type", "items[1].fund_source").message


# --- which records the agenda must carry -----------------------------------------------------------------------

def agenda_slips(report) -> list[str]:
    return sorted(f.record for f in report.findings if f.rule == "agenda.missing")


def test_a_status_change_for_this_meeting_must_be_on_its_agenda_though_the_first_act_was_earlier(batch):
    batch.replace("batch.yaml", '  - item: "10.5"\n    record: laredo-monterrey\n', "")
    finding = only(batch.check(), "agenda.missing")
    assert (finding.record, finding.field, finding.fix) == (
        "laredo-monterrey", "id", "add it to the agenda in records/example/batch.yaml, or move it out of this batch")


def test_a_request_with_no_council_act_yet_may_stay_off_the_agenda(batch):
    batch.replace_block(SALTILLO, "council:\n")
    batch.replace("batch.yaml", '  - item: "10.2"\n    record: laredo-saltillo\n', "")
    assert agenda_slips(batch.check()) == []


def test_an_unreadable_meeting_date_compares_no_record_with_it(batch):
    batch.replace("batch.yaml", "  date: 2026-12-08\n", "  date: 2026-13-45\n")
    report = batch.check()
    assert any(f.file == "records/example/batch.yaml" and f.field == "meeting.date" for f in report.errors)
    assert agenda_slips(report) == []  # the school bus, adopted at an earlier meeting, is not called a slip


# --- a partnership's status and the evidence each status needs ----------------------------------------------------

def test_a_grandfathered_agreement_needs_its_original_signing_date(batch):
    line = batch.replace("partnerships/laredo-saltillo.yaml", "status: proposed\n", "status: grandfathered\n")
    finding = only(batch.check(), "partnership.status", "established")
    assert (finding.record, finding.severity, finding.message, finding.fix) == (
        "laredo-saltillo", "error", "a grandfathered agreement needs the date it was originally signed",
        "add 'established:' with the original signing date")
    assert finding.file == f"records/example/{SALTILLO}" and finding.line <= line


@pytest.mark.parametrize("status, remove, message, fix", [
    ("council_approved", "council", "status is council_approved, which requires a council resolution number and meeting date",
     "add 'council:' with resolution_number and meeting_date, or set the status the record really has"),
    ("submitted_to_sci", "sci_submission", "status is submitted_to_sci, which requires the date it was sent to Sister Cities "
     "International", "add 'sci_submission:' with date, or set the status the record really has"),
    ("signed", "signing", "status is signed, which requires a signing date, place and signatories",
     "add 'signing:' with date, place and signatories, or set the status the record really has"),
])
def test_each_status_needs_the_evidence_of_its_step_from_that_step_on(batch, status, remove, message, fix):
    batch.replace(MONTERREY, "status: active\n", f"status: {status}\n")
    batch.replace_block(MONTERREY, f"{remove}:")
    finding = only(batch.check(), "partnership.status", remove)
    assert (finding.record, finding.severity, finding.message, finding.fix) == ("laredo-monterrey", "error", message, fix)


@pytest.mark.parametrize("status, listed", [("active", True), ("submitted_to_sci", True), ("signed", False)])
def test_sci_lists_a_partnership_only_for_a_member_in_good_standing(batch, status, listed):
    batch.replace("city.yaml", "  status: good_standing\n", "  status: lapsed\n")
    text = batch.path(MONTERREY).read_text(encoding="utf-8").replace("status: active\n", f"status: {status}\n", 1)
    if status == "signed":  # sent to SCI is a later step
        text = text.replace('sci_submission: {date: 2024-07-02, certificate: "SCI-2024-0311"}\n', "")
    batch.write(MONTERREY, text)
    found = [f for f in batch.check().findings if f.rule == "partnership.sci_member"]
    assert [(f.record, f.field, f.message, f.fix) for f in found] == ([(
        "laredo-monterrey", "sci_submission", "the city is not an SCI member in good standing, so SCI will not list the partnership",
        "renew the SCI membership (sci_membership.status in the city profile)")] if listed else [])


# --- who signs ---------------------------------------------------------------------------------------------------

def test_a_mexican_municipality_names_its_secretary_who_countersigns(batch):
    batch.replace_block(SALTILLO, "  partner_secretary:")
    finding = only(batch.check(), "partnership.signatories")
    assert (finding.record, finding.field, finding.message, finding.fix) == (
        "laredo-saltillo", "officials.partner_secretary",
        "the secretario/a del ayuntamiento, who countersigns for the municipality, is not named: the agreement prints a "
        "blank signature line", "add officials.partner_secretary with name and gender")


def test_a_partner_that_is_not_a_mapping_is_a_type_finding_not_a_crash(batch):
    batch.replace_block(SALTILLO, "partner:\n", "partner: Saltillo\n")
    assert only(batch.check(), "schema.type", "partner").record == "laredo-saltillo"


@pytest.mark.parametrize("title, reported", [("", True), ("    title: {en: Acting Mayor, es: Alcalde interino}\n", False)])
def test_an_official_of_another_office_has_the_title_written_out(batch, title, reported):
    text = batch.path(SALTILLO).read_text(encoding="utf-8")
    start = text.index("  city:", text.index("officials:"))
    office = text.index("    office:", start)
    end = text.index("\n", office) + 1
    batch.write(SALTILLO, text[:office] + "    office: other\n" + title + text[end:])
    found = [f for f in batch.check().findings if f.rule == "partnership.official"]
    assert [(f.field, f.message, f.fix) for f in found] == ([(
        "officials.city.title", "office is 'other', so the title must be written out",
        "add 'title:' with en: and es:, or choose office mayor, municipal_president or governor")] if reported else [])


# --- a city's own templates --------------------------------------------------------------------------------------

@pytest.mark.parametrize("edit, line, said", [
    (lambda s: s.replace("{% block running %}", "{% if %}{% block running %}", 1), 3,
     "Jinja cannot read this template: Expected an expression, got 'end of statement block'"),
    (lambda s: s + "\n{% include 'partnership/no_such_part.html' %}\n", 1,
     "the template uses 'partnership/no_such_part.html', which is neither the city's nor a packaged template"),
])
def test_a_city_template_jinja_cannot_read_is_an_error_at_its_line_before_anything_renders(batch, tmp_path, monkeypatch,
                                                                                            edit, line, said):
    import pipeline.render
    from pipeline.records import load_batch
    from pipeline.validate import validate

    source = (ROOT / "templates_en" / "partnership" / "agreement.html").read_text(encoding="utf-8")
    own_template(tmp_path / "city", "templates_en/partnership/agreement.html", source, edit(source))
    batch.replace(SALTILLO, "legal_review:\n  status: pending\n",  # an approval the check would render the text for
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n")
    rendered = []
    monkeypatch.setattr(pipeline.render, "render_html", lambda task: rendered.append(task) or "")
    review.forget_rendered()
    report = validate(load_batch(batch.folder), overrides=tmp_path / "city")
    finding = only(report, "city.template")
    assert whole(finding) == ("city/templates_en/partnership/agreement.html", line, "laredo-tx", "", "error", said,
                              "correct the template (see the packaged one it replaces), or delete it to use the packaged template")
    assert rendered == [] and "the errors in city/templates_en/partnership/agreement.html stop the build" in report.summary_line()


@pytest.mark.parametrize("lang, damage, said", [
    ("en", "bytes", "the template cannot be read ('utf-8' codec can't decode byte 0xe9 in position 3: invalid continuation byte)"),
    ("es", "folder", "the template cannot be read (Is a directory)"),
])
def test_a_city_template_that_cannot_be_read_is_an_error_at_its_file(batch, tmp_path, lang, damage, said):
    from pipeline.records import load_batch
    from pipeline.validate import validate

    path = tmp_path / "city" / f"templates_{lang}" / "partnership" / "agreement.html"
    path.parent.mkdir(parents=True)
    if damage == "bytes":
        path.write_bytes(b"<p>\xe9t\xe9</p>")  # Latin-1, not UTF-8
    else:
        path.mkdir()
    finding = only(validate(load_batch(batch.folder), overrides=tmp_path / "city"), "city.template")
    assert whole(finding) == (f"city/templates_{lang}/partnership/agreement.html", 1, "laredo-tx", "", "error", said,
                              "correct the template (see the packaged one it replaces), or delete it to use the packaged template")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_verbatim_copy_of_a_template_importing_the_other_language_is_no_finding(batch, tmp_path, lang):
    from pipeline.records import load_batch
    from pipeline.validate import validate

    relative = f"templates_{lang}/donation/release_receipt.html"  # imports en/... and es/...: the release is side by side
    city = own_template(tmp_path / "city", relative, "{% extends", "{% extends")
    assert "city.template" not in rules_of(validate(load_batch(batch.folder), overrides=city))
    own_template(city, relative, "es/donation/_release_text.html", "fr/donation/_release_text.html")
    finding = only(validate(load_batch(batch.folder), overrides=city), "city.template")
    assert whole(finding) == (f"city/{relative}", 1, "laredo-tx", "", "error",
                              "the template uses 'fr/donation/_release_text.html', which is neither the city's nor a packaged template",
                              "correct the template (see the packaged one it replaces), or delete it to use the packaged template")


def test_a_city_template_may_include_a_partial_only_the_city_has(batch, tmp_path):
    from pipeline.records import load_batch
    from pipeline.validate import validate

    city = own_template(tmp_path / "city", "templates_en/donation/notice.html", "{% block", '{% include "_city_seal.html" %}{% block')
    (city / "templates_en" / "_city_seal.html").write_text("<p>Seal of the City</p>", encoding="utf-8")
    assert "city.template" not in rules_of(validate(load_batch(batch.folder), overrides=city))
    (city / "templates_en" / "_city_seal.html").unlink()
    assert only(validate(load_batch(batch.folder), overrides=city), "city.template").message == (
        "the template uses '_city_seal.html', which is neither the city's nor a packaged template")


def test_a_failure_that_names_no_template_is_still_a_finding_at_the_templates(batch):
    from pipeline.findings import Report
    from pipeline.records import load_batch
    from pipeline.render import RenderError
    from pipeline.rules import templates

    report = Report("example")
    templates.rendering_failed(load_batch(batch.folder).city, report, RenderError("laredo-saltillo/agreement.en: WeasyPrint failed"))
    assert [whole(f) for f in report.findings] == [("templates", 1, "laredo-tx", "", "error",
                                                    "rendering failed: laredo-saltillo/agreement.en: WeasyPrint failed",
                                                    "correct the template (see the packaged one it replaces), or delete it to "
                                                    "use the packaged template")]


# --- identifiers ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rfc, rule, message, fix", [
    ("XAXX010101000", "rfc.generic", "XAXX010101000 is SAT's generic RFC for the general public (público en general), not the "
     "donee's own", "ask the donee for the RFC on its SAT authorization (constancia de situación fiscal)"),
    ("PBN85031", "rfc.format", "'PBN85031' has 8 characters; an RFC has 12 (organization) or 13 (person)",
     "copy the RFC from the donee's constancia de situación fiscal"),
    ("PBN850312000", "rfc.format", "'PBN850312000' ends in the homoclave '000', which SAT never issues (two letters or digits "
     "1-9, then a digit or A)", "copy the RFC from the donee's constancia de situación fiscal"),
])
def test_an_rfc_finding_says_what_is_wrong_and_where_to_copy_it_from(batch, rfc, rule, message, fix):
    line = batch.replace("donations/don-2026-nld-bomberos.yaml", "  rfc: PBN850312QJ2\n", f"  rfc: {rfc}\n")
    finding = only(batch.check(), rule, "recipient.rfc")
    assert whole(finding) == ("records/example/donations/don-2026-nld-bomberos.yaml", line, "don-2026-nld-bomberos",
                              "recipient.rfc", "error", message, fix)


def test_an_approval_that_names_no_revision_says_which_to_record(batch):
    batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n")
    finding = only(batch.check(), "legal_review.revision")
    revision = finding.fix.split("'revision: ")[1].split("'")[0]
    assert (finding.field, finding.severity, finding.message, finding.fix) == (
        "legal_review", "warning",
        f"the approval by Marisa L. Benavides does not say which text it approved; the agreement stays a DRAFT (its text is "
        f"now rev. {revision}, printed in the footer of every copy)",
        f"if the legal office approved the text of rev. {revision}, add 'revision: {revision}' under legal_review; otherwise "
        "have it review that text first")
    assert len(revision) == 10 and int(revision, 16) >= 0


# --- the pickup: only the designated person, whose ID staff checked ------------------------------------------------

BUS = "donations/don-2026-nld-school-bus.yaml"


def test_a_pickup_without_the_written_designation_is_refused(batch):
    line = batch.replace(BUS, "designation: {date: 2026-10-01, signed_by: Jorge L. Salinas Ortiz}\n", "")
    finding = only(batch.check(), "pickup.designation")
    assert (finding.record, finding.field, finding.severity, finding.message, finding.fix) == (
        "don-2026-nld-school-bus", "pickup.picked_up_on", "error",
        "a pickup is recorded but not the recipient's written designation of the person who picked up",
        "add designation: {date, signed_by} from the signed pickup_designation form")
    assert finding.line > line


@pytest.mark.parametrize("signer, reported", [("Luis F. Montemayor", True), ("  jorge l.  SALINAS ortiz ", False),
                                              ("Jorge L. Salinas", True)])
def test_the_designation_is_signed_by_the_recipients_representative_whatever_the_spacing_or_case(batch, signer, reported):
    batch.replace(BUS, "signed_by: Jorge L. Salinas Ortiz}", f"signed_by: '{signer}'}}")
    found = [(f.field, f.message, f.fix) for f in batch.check().findings if f.rule == "pickup.designation_signer"]
    assert found == ([("designation.signed_by", f"the designation is signed by {signer}, not by the recipient's representative "
                       "(Jorge L. Salinas Ortiz)", "have the recipient's representative sign the designation, or correct "
                       "recipient.representative")] if reported else [])


@pytest.mark.parametrize("checked", ["", "  id_checked: false\n"])
def test_a_pickup_without_the_id_checked_is_refused(batch, checked):
    batch.replace(BUS, "  id_checked: true\n", checked)
    finding = only(batch.check(), "pickup.id_checked")
    assert (finding.field, finding.severity, finding.message, finding.fix) == (
        "pickup.id_checked", "error", "a pickup is recorded without the check that the ID shown matched the designation",
        "record id_checked: true under pickup once staff has checked it (or correct the pickup)")


BOMBEROS = "donations/don-2026-nld-bomberos.yaml"  # a donataria autorizada, acting through a legal representative


def test_a_vehicle_without_its_type_cannot_be_checked_against_mexicos_permit(batch):
    line = batch.replace(BOMBEROS, "    vehicle_type: fire_truck\n", "")
    finding = only(batch.check(), "schema.required", "items[0].vehicle_type")
    assert (finding.record, finding.message, finding.fix) == (
        "don-2026-nld-bomberos", "a vehicle needs its vehicle_type",
        "add 'vehicle_type:' (school_bus, garbage_truck, fire_truck, ...): Mexico permits only some used vehicles")
    assert finding.line < line


@pytest.mark.parametrize("key, old, new", [
    ("head", "  head: {name: Gerardo Elizondo Peña, office: president,", "  head: {name: Gerardo Elizondo Peña, office: other,"),
    ("representative", "    office: legal_representative\n", "    office: other\n")])
def test_a_recipients_officer_of_another_office_has_the_title_written_out(batch, key, old, new):
    batch.replace(BOMBEROS, old, new)
    finding = only(batch.check(), "donation.signatory", f"recipient.{key}.title")
    assert (finding.record, finding.severity, finding.message, finding.fix) == (
        "don-2026-nld-bomberos", "warning", "office is 'other', so the title must be written out", "add 'title:' with en: and es:")


@pytest.mark.parametrize("inserted, said", [
    ("{{ partnership.nothing.deeper }}", "UndefinedError: 'dict object' has no attribute 'nothing'"),
    ("{{ 1 // 0 }}", "ZeroDivisionError: integer division or modulo by zero"),
])
def test_a_city_template_that_fails_while_rendering_names_its_line(tmp_path, inserted, said):
    from pipeline.build import make_tasks
    from pipeline.plan import Plan
    from pipeline.render import RenderError, render_html
    from tests.test_promises import planned

    batch = BatchCopy(tmp_path)
    source = (ROOT / "templates_en" / "partnership" / "introduction_letter.html").read_text(encoding="utf-8")
    assert source.splitlines()[4].startswith("{% block body %}")
    own_template(tmp_path / "city", "templates_en/partnership/introduction_letter.html", "{% block body %}",
                 "{% block body %}" + inserted)
    loaded, _, the_plan = planned(batch, as_of=dt.date(2026, 12, 1))
    letter = next(d for d in the_plan.documents if d.document == "introduction_letter" and d.lang == "en")
    (task,) = make_tasks(loaded, Plan(documents=[letter]), as_of=dt.date(2026, 12, 1), overrides=tmp_path / "city")
    with pytest.raises(RenderError) as caught:
        render_html(task)
    assert str(caught.value) == (f"laredo-saltillo/introduction_letter.en: templates_en/partnership/introduction_letter.html, "
                                 f"line 5: {said}")


def test_a_city_agreement_template_that_fails_while_check_renders_it_is_a_finding(batch, tmp_path):
    from pipeline.records import load_batch
    from pipeline.validate import validate

    own_template(tmp_path / "city", "templates_en/partnership/agreement.html", "{% block body %}",
                 "{% block body %}{{ partnership.nothing.deeper }}")
    source = (ROOT / "templates_en" / "partnership" / "agreement.html").read_text(encoding="utf-8")
    review.forget_rendered()  # laredo-monterrey's approval makes check render its agreement
    finding = only(validate(load_batch(batch.folder), overrides=tmp_path / "city"), "city.template")
    line = source.splitlines().index(next(x for x in source.splitlines() if x.startswith("{% block body %}"))) + 1
    assert (finding.file, finding.line, finding.severity) == ("city/templates_en/partnership/agreement.html", line, "error")
    assert finding.message.startswith("rendering failed: laredo-monterrey/agreement.en: templates_en/partnership/agreement.html, "
                                      f"line {line}: UndefinedError: 'dict object' has no attribute 'nothing'")


# --- a donation's status, dates and steps, at their boundaries -------------------------------------------------------

def donation_status(batch, as_of=None) -> list[tuple]:
    report = batch.check(as_of or dt.date(2026, 12, 9))
    return [(f.field, f.message) for f in report.findings if f.rule == "donation.status" and f.record == "don-2026-nld-school-bus"]


def test_a_pickup_date_on_a_request_not_yet_approved_is_reported(batch):
    batch.replace(BUS, "status: picked_up\n", "status: requested\n")
    assert ("status", "a pickup date is recorded but status is requested") in donation_status(batch)


def test_approved_on_the_meeting_day_itself_and_requested_the_same_day_are_in_order(batch):
    batch.replace(BUS, "requested_on: 2026-07-06\n", "requested_on: 2026-09-22\n")  # the day the council met
    assert donation_status(batch, as_of=dt.date(2026, 9, 22)) == []  # the meeting day: the council has voted


@pytest.mark.parametrize("adopted, status, warned", [(True, "requested", True), (False, "requested", False),
                                                     (True, "council_approved", False)])
def test_an_adoption_recorded_by_its_flag_while_the_status_says_requested_is_a_warning(batch, adopted, status, warned):
    batch.replace(BOMBEROS, "status: requested", f"status: {status}")
    batch.replace(BOMBEROS, "  meeting_date: 2026-12-08", f"  meeting_date: 2026-12-08\n  adopted: {str(adopted).lower()}")
    report = batch.check(AFTER_MEETING)
    hits = [whole(f) for f in report.findings if f.rule == "donation.adopted_status"]
    assert hits == ([(f"records/example/{BOMBEROS}", 4, "don-2026-nld-bomberos", "status", "warning",
                      "the council's adoption is recorded (council.adopted: true) but status is still requested",
                      "set status: council_approved")] if warned else [])


def test_the_first_and_last_donation_steps_leave_their_trace(batch):
    batch.replace(BUS, 'availability: {authorized_by: "Roberto E. Angulo, City Manager", authorized_on: 2026-07-08, reply_by: 2026-07-22}\n', "")
    batch.replace(BUS, "letter_date: 2026-09-25", "# letter_date: 2026-09-25")
    report = batch.check()
    availability, letter = only(report, "donation.availability"), only(report, "donation.letter_date")
    assert (availability.field, availability.message, availability.fix) == (
        "council", "the donation goes to the council, but Management's authorization to ask the departments for the equipment "
        "is not recorded", "add availability: {authorized_by, authorized_on} from the authorization (step 1)")
    assert (letter.field, letter.message, letter.fix) == (
        "status", "the donation is closed, but the day its approval letter and notices went out is not recorded: each "
        "rebuild would date them on the day of the build", "add letter_date: the date printed on the approval letter that was sent")


# --- the field rules: text in both languages, places, dates and VINs ----------------------------------------------

def city_finding(batch, rule, field):
    finding = only(batch.check(), rule, field)
    return finding.file, finding.line, finding.record, finding.severity, finding.message, finding.fix


LEGAL_NAME = "legal_name: {en: City of Laredo, es: Ciudad de Laredo}"


@pytest.mark.parametrize("written, field, message, fix", [
    ("legal_name: City of Laredo", "legal_name", "expected English and Spanish text, got 'City of Laredo'",
     "write it as two lines:  en: <English text>  and  es: <texto en español>"),
    ("legal_name: {en: City of Laredo}", "legal_name.es", "the Spanish text is missing",
     "add 'es:' with the Spanish wording; both texts go into the documents"),
    ("legal_name: {es: Ciudad de Laredo, en: '  '}", "legal_name.en", "the English text is missing",
     "add 'en:' with the English wording; both texts go into the documents"),
    ("legal_name: {en: City of Laredo Texas, es: CITY of Laredo texas }", "legal_name.es",
     "the Spanish text is the same as the English text", "write the Spanish translation"),
])
def test_text_in_both_languages_is_checked_whole(batch, written, field, message, fix):
    rule = "text.untranslated" if "Texas" in written else "text.bilingual"
    batch.replace("city.yaml", LEGAL_NAME, written)
    assert city_finding(batch, rule, field)[1:] == (6, "laredo-tx", "error" if rule == "text.bilingual" else "warning", message, fix)


def test_three_words_alike_in_both_languages_are_a_name_not_an_untranslated_text(batch):
    batch.replace("city.yaml", LEGAL_NAME, "legal_name: {en: Laredo Texas USA, es: Laredo Texas USA}")
    assert "text.untranslated" not in rules_of(batch.check())


def test_languages_the_documents_do_not_have_are_named_in_order(batch):
    batch.replace("city.yaml", LEGAL_NAME, "legal_name: {en: City of Laredo, es: Ciudad de Laredo, fr: Ville de Laredo, 1: x}")
    found = [(f.field, f.message, f.fix) for f in batch.check().findings if f.rule == "schema.unknown"]
    assert found == [("legal_name.1", "'1' is not a language of the documents", "use only en: and es:"),
                     ("legal_name.fr", "'fr' is not a language of the documents", "use only en: and es:")]


ORGANIZATION = "organization: {en: Laredo Sister Cities Committee, es: Comité de Ciudades Hermanas de Laredo}, email: sistercities"


@pytest.mark.parametrize("written, rule, field, message, fix", [
    ("organization: Office of the Mayor, email: sistercities", "text.language", "contacts.city.volunteer.organization",
     "'Office of the Mayor' reads as English, and the Spanish documents would print it as it is",
     "write it as two lines:  en: <English>  and  es: <español> (a proper name that is the same in both languages can stay as it is)"),
    ("organization: Oficina de la Alcaldía, email: sistercities", "text.language", "contacts.city.volunteer.organization",
     "'Oficina de la Alcaldía' reads as Spanish, and the English documents would print it as it is",
     "write it as two lines:  en: <English>  and  es: <español> (a proper name that is the same in both languages can stay as it is)"),
    ("organization: '  ', email: sistercities", "schema.empty", "contacts.city.volunteer.organization",
     "'organization' is empty", "fill it in, or remove the line"),
    ("organization: 1986, email: sistercities", "schema.type", "contacts.city.volunteer.organization",
     "expected text or English and Spanish text, got 1986", "write a name as it is, or two lines:  en: <English>  and  es: <español>"),
    ("organization: {en: Laredo Sister Cities Committee}, email: sistercities", "text.bilingual",
     "contacts.city.volunteer.organization.es", "the Spanish text is missing",
     "add 'es:' with the Spanish wording; both texts go into the documents"),
])
def test_a_name_shown_in_both_languages_is_checked_whole(batch, written, rule, field, message, fix):
    line = batch.replace(SALTILLO, ORGANIZATION, written)
    finding = only(batch.check(), rule, field)
    assert whole(finding) == (f"records/example/{SALTILLO}", line, "laredo-saltillo", field,
                              "error" if rule in ("schema.empty", "schema.type", "text.bilingual") else "warning", message, fix)


def test_a_proper_name_the_same_in_both_languages_stays_as_it_is(batch):
    batch.replace(SALTILLO, ORGANIZATION, "organization: Saltillo 2000, email: sistercities")
    assert not [f for f in batch.check().findings if f.field == "contacts.city.volunteer.organization"]


def test_a_country_code_is_checked_whole(batch):
    batch.replace("city.yaml", "country: US ", "country: UK ")
    assert city_finding(batch, "place.country", "country")[1:] == (
        8, "laredo-tx", "error", "'UK' is not an ISO 3166-1 country code", "write the two-letter code: MX, US or CA")


@pytest.mark.parametrize("written, message", [("14/31/2026", "'14/31/2026' is not a real date"),
                                              ("1BAKGCPA5CF281454", "'1BAKGCPA5CF281454' is not a date")])
def test_an_unreadable_date_is_checked_whole(batch, written, message):
    line = batch.replace(FLEET, "requested_on: 2026-10-14", f"requested_on: {written}")
    finding = only(batch.check(), "date.format", "requested_on")
    assert whole(finding) == (f"records/example/{FLEET}", line, "don-2026-nld-public-works", "requested_on", "error",
                              message, "write it as YYYY-MM-DD, e.g. 2026-12-08")


@pytest.mark.parametrize("vin, rule, message, fix", [
    ("1FVACXDT6EHFZ123", "vin.format", "'1FVACXDT6EHFZ123' is not a VIN: it has 16 characters",
     "copy the 17-character VIN from the title (VINs never use I, O or Q)"),
    ("1FVACXDT5EHFZ1234", "vin.check_digit", "the check digit of '1FVACXDT5EHFZ1234' (9th character) does not match the rest",
     "one character was mistyped: compare the VIN with the vehicle title"),
])
def test_a_vin_is_checked_whole(batch, vin, rule, message, fix):
    line = batch.replace(FLEET, "vin: 1FVACXDT6EHFZ1234", f"vin: {vin}")
    finding = only(batch.check(), rule, "items[0].vin")
    assert whole(finding) == (f"records/example/{FLEET}", line, "don-2026-nld-public-works", "items[0].vin", "error", message, fix)


def test_the_rules_read_a_numeric_date_in_the_citys_date_order(batch):
    """12/10/2026 is 10 December at an MDY council: after the 8 December meeting that approves it."""
    batch.replace(FLEET, "requested_on: 2026-10-14", "requested_on: 12/10/2026")
    finding = only(batch.check(), "donation.status", "council.meeting_date")
    assert finding.message == "the council meeting (2026-12-08) is before the request (2026-12-10)"


# --- the approved agreement against the text it would print now -------------------------------------------------

CONTACT = "volunteer: {name: Rosa M. Salinas,"  # printed in the agreement (Article 3)


def approved_saltillo(batch) -> str:
    batch.replace(SALTILLO, "status: proposed", "status: council_approved")
    batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n")
    return batch.approve_text(SALTILLO)


def revision_now(batch, record_id="laredo-saltillo") -> str:
    from pipeline.records import load_batch

    loaded = load_batch(batch.folder)
    return review.snapshot(loaded, next(r for r in loaded.records if r.id == record_id)).revision


def test_an_approval_naming_no_revision_is_checked_whole(batch):
    revision = approved_saltillo(batch)
    line = batch.replace(SALTILLO, f"  revision: {revision}\n", "") - 1
    report = batch.check(AFTER_MEETING)
    finding = only(report, "legal_review.revision")
    assert whole(finding) == (
        f"records/example/{SALTILLO}", line, "laredo-saltillo", "legal_review", "warning",
        f"the approval by Marisa L. Benavides does not say which text it approved; the agreement stays a DRAFT (its text "
        f"is now rev. {revision}, printed in the footer of every copy)",
        f"if the legal office approved the text of rev. {revision}, add 'revision: {revision}' under legal_review; "
        "otherwise have it review that text first")
    assert report.unreviewed == {"laredo-saltillo": f"the approval names no revision (the text is rev. {revision})"}


def test_an_approval_of_an_earlier_text_is_checked_whole(batch):
    revision = approved_saltillo(batch)
    batch.replace(SALTILLO, CONTACT, "volunteer: {name: Rosa María Salinas Treviño,")
    now = revision_now(batch)
    line = batch.path(SALTILLO).read_text(encoding="utf-8").splitlines().index(f"  revision: {revision}") + 1
    report = batch.check(AFTER_MEETING)
    assert whole(only(report, "legal_review.stale")) == (
        f"records/example/{SALTILLO}", line, "laredo-saltillo", "legal_review.revision", "warning",
        f"the legal office approved rev. {revision} of the agreement on 2026-12-01; the text is now rev. {now} "
        "(changed: fields contacts.city.volunteer.name); the agreement is a DRAFT again",
        f"have the legal office review the changes (sisterdocs redline example laredo-saltillo --from {revision}) and "
        f"record 'revision: {now}' with its new approval, or undo the change")
    assert report.unreviewed == {"laredo-saltillo": f"the text changed after the approval of rev. {revision} (now rev. {now})"}


def test_an_approved_revision_never_kept_says_what_changed_cannot_be_shown(batch):
    approved_saltillo(batch)
    batch.replace(SALTILLO, "  revision: ", "  revision: 0123456789\n  # was: ")
    message = only(batch.check(AFTER_MEETING), "legal_review.stale").message
    assert message.endswith(f"the text is now rev. {revision_now(batch)} (rev. 0123456789 is not kept under "
                            "records/example/revisions/laredo-saltillo, so what changed cannot be shown); the agreement "
                            "is a DRAFT again")


def test_a_signed_agreement_changed_is_checked_whole(tmp_path):
    batch = BatchCopy(tmp_path, revisions=True)  # the example's approval names a kept revision
    text = batch.path(MONTERREY).read_text(encoding="utf-8")
    signed_revision = text.split("revision: ", 1)[1].split("}", 1)[0].strip()
    batch.replace(MONTERREY, "Exchange art exhibitions between", "Exchange art and music exhibitions between")
    now = revision_now(batch, "laredo-monterrey")
    finding = only(batch.check(AFTER_MEETING), "legal_review.stale")
    assert (finding.record, finding.field, finding.severity, finding.message, finding.fix) == (
        "laredo-monterrey", "legal_review.revision", "warning",
        f"the agreement was signed on 2024-06-20 with the text of rev. {signed_revision}; the records now make rev. {now} "
        "(changed: fields objectives[1].en), so the copies built are not the signed agreement and are marked DRAFT",
        f"undo the change (sisterdocs redline example laredo-monterrey --from {signed_revision} shows it); the signed text "
        "changes only by an amendment both parties sign")


# --- the SAT's vocabularies: purposes, entities, vehicles on the permit list -------------------------------------

@pytest.mark.parametrize("old, new, rule, field, severity, message, fix", [
    ("  category: public_health\n", "  category: sports\n", "sat.purpose", "purpose.category", "error",
     "'sports' is not a purpose Mexico exempts (Ley Aduanera art. 61): allowed are culture, teaching, research, "
     "public_health, social_service",
     "choose the purpose the equipment will serve; other purposes pay import duties or are refused at customs"),
    ("  entity_type: municipal_government\n", "  entity_type: private_company\n", "sat.entity_type", "recipient.entity_type",
     "error", "'private_company' cannot receive an exempt donation: allowed are {allowed}",
     "name the government, agency or donataria autorizada that will operate the equipment as the recipient"),
    ("    vehicle_type: garbage_truck\n", "    vehicle_type: fire_truck\n", "vehicle.permit", "items[0].vehicle_type",
     "warning", "'fire_truck' is not on the used-vehicle donation permit list (school_bus, education_bus, garbage_truck, "
     "street_sweeper)", "have the recipient's customs broker confirm in writing that it can be imported (the resolution "
     "makes its donation lapse otherwise)"),
])
def test_the_sat_vocabularies_are_checked_whole(batch, old, new, rule, field, severity, message, fix):
    import yaml

    entities = yaml.safe_load((ROOT / "schemas" / "donation.yaml").read_text(encoding="utf-8"))
    allowed = ", ".join(entities["recipient"]["schema"]["entity_type"]["eligible_entity"])
    line = batch.replace(FLEET, old, new)
    found = [whole(f) for f in batch.check().findings if f.rule == rule and f.record == "don-2026-nld-public-works"]
    assert found == [(f"records/example/{FLEET}", line, "don-2026-nld-public-works", field, severity,
                      message.format(allowed=allowed), fix)]


def test_a_name_reads_as_one_language_whatever_punctuation_clings_to_its_words(batch):
    from pipeline.rules.fields import looks_monolingual

    assert looks_monolingual("(Office) of the Mayor.") == "English"
    assert looks_monolingual("Oficina: de la, Alcaldía;") == "Spanish"
    assert looks_monolingual("Laredo 2000") is None


def test_a_path_through_lists_and_groups_of_the_wrong_shape_gives_nothing():
    from pipeline.rules.values import get

    data = {"items": [{"vin": "A"}, {"vin": "B"}], "purpose": {"category": "culture"}}
    assert (get(data, "items", 1, "vin"), get(data, "items", 2, "vin"), get(data, "purpose", 0)) == ("B", None, None)
    assert (get(data, "items", "vin"), get(data, "purpose", "category", "x"), get(data, "items", -1, "vin")) == (None, None, "B")


# --- an adopted act keeps its words under its number, with the city's templates too -------------------------

ADOPTED_REVISION = "0202917bc2"  # records/example/revisions/don-2026-nld-school-bus/donation_resolution.adopted.json


def test_an_adopted_acts_words_changed_is_checked_whole(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    batch = BatchCopy(tmp_path, revisions=True)
    text = batch.path(BUS).read_text(encoding="utf-8")
    purpose = text.split("purpose:\n", 1)[1].split("    en: ", 1)[1].split("\n", 1)[0]
    batch.replace(BUS, purpose, "Transport and laboratory equipment for the municipal after-school programme")
    from pipeline.records import load_batch

    loaded = load_batch(batch.folder)
    now = review.snapshot(loaded, next(r for r in loaded.records if r.id == "don-2026-nld-school-bus"),
                          group="donation_resolution").revision
    line = batch.path(BUS).read_text(encoding="utf-8").splitlines().index("  resolution_number: 2026-R-097") + 1
    finding = only(batch.check(AFTER_MEETING), "resolution.adopted_text")
    assert whole(finding) == (
        f"records/example/{BUS}", line, "don-2026-nld-school-bus", "council.resolution_number", "error",
        f"Resolution No. 2026-R-097 was adopted with the text of rev. {ADOPTED_REVISION}; the records now make rev. {now} "
        "(changed: fields purpose.description.en), and an adopted text is never printed differently under its number",
        "undo the change; if the council has amended the act, record the amending resolution's number, meeting and vote "
        "as the act, so the new text prints under its own number")


def test_a_city_template_that_changes_an_adopted_acts_words_is_refused(tmp_path):
    from pipeline.records import load_batch
    from pipeline.validate import validate

    batch = BatchCopy(tmp_path, revisions=True)
    city = own_template(tmp_path / "city", "templates_en/donation/donation_resolution.html",
                        "is donated as is, where is,", "is donated as it is and where it is,")
    report = validate(load_batch(batch.folder), as_of=AFTER_MEETING, overrides=city)
    (finding,) = [f for f in report.findings if f.rule == "resolution.adopted_text"]
    assert finding.record == "don-2026-nld-school-bus" and "changed: templates city templates_en/" in finding.message


def test_a_country_of_the_wrong_shape_is_a_schema_finding_and_the_state_is_not_judged_against_it(batch):
    batch.replace("donations/don-2026-nld-bomberos.yaml", "  country: MX\n", "  country: 52\n")
    report = batch.check()
    assert [(f.rule, f.field) for f in report.findings if f.record == "don-2026-nld-bomberos" and f.rule.startswith(
        ("schema", "place"))] == [("schema.type", "recipient.country")]


# --- a donation's recipient: its RFC and SAT authorization, who is written to and who signs ---------------------

AUTHORIZATION = '  authorization:\n    reference: "SAT 600-04-02-2024-11873"\n    date: 2024-03-15\n'


@pytest.mark.parametrize("old, new, field, message, fix", [  # the line: the field's, else its nearest parent's
    ("  rfc: PBN850312QJ2\n", "", "recipient.rfc", "a donataria autorizada must give its RFC",
     "add 'rfc:' with the 12-character RFC from its constancia de situación fiscal"),
    (AUTHORIZATION, "", "recipient.authorization",
     "a donataria autorizada must give its SAT authorization to receive deductible donations",
     "add 'authorization:' with 'reference:' (the SAT oficio number or DOF listing) and 'date:'"),
    (AUTHORIZATION, "  authorization:\n    date: 2024-03-15\n", "recipient.authorization",
     "a donataria autorizada must give its SAT authorization to receive deductible donations",
     "add 'authorization:' with 'reference:' (the SAT oficio number or DOF listing) and 'date:'"),
])
def test_a_donataria_autorizada_gives_its_rfc_and_its_sat_authorization(batch, old, new, field, message, fix):
    batch.replace(BOMBEROS, old, new)
    finding = only(batch.check(), "donee.authorization")
    at = "  authorization:" if "authorization:" in new else "recipient:"
    assert whole(finding) == (f"records/example/{BOMBEROS}", batch.line_of(BOMBEROS, at), "don-2026-nld-bomberos",
                              field, "error", message, fix)


def test_a_recipient_that_is_not_a_donataria_autorizada_needs_no_sat_authorization(batch):
    batch.replace(BOMBEROS, "entity_type: donataria_autorizada", "entity_type: municipality")
    batch.replace(BOMBEROS, "  rfc: PBN850312QJ2\n", "")
    batch.replace(BOMBEROS, AUTHORIZATION, "")
    assert "donee.authorization" not in rules_of(batch.check())


@pytest.mark.parametrize("key, what", [
    ("head", "the head of the receiving body, to whom the letters are addressed"),
    ("representative", "the legal representative who signs the release and binds the recipient"),
])
def test_a_recipient_without_its_head_or_its_representative_is_refused(batch, key, what):
    text = batch.path(BOMBEROS).read_text(encoding="utf-8")
    start = text.index(f"  {key}:")
    end = text.index("\npurpose:", start) if key == "representative" else text.index("\n", start)
    batch.write(BOMBEROS, text[:start] + text[end + 1:])
    finding = only(batch.check(), "donation.signatory", f"recipient.{key}")
    assert (finding.record, finding.severity, finding.message, finding.fix) == (
        "don-2026-nld-bomberos", "warning", f"{what} is not named", f"add recipient.{key} with name, office and gender")


@pytest.mark.parametrize("key, title, reported", [("head", "", True), ("representative", "", True),
                                                  ("head", "title: {en: Chair, es: Presidente}", False)])
def test_a_signatory_of_office_other_has_its_title_written_out(batch, key, title, reported):
    if key == "head":
        batch.replace(BOMBEROS, "office: president, gender: male}", f"office: other, gender: male{', ' + title if title else ''}}}")
    else:
        batch.replace(BOMBEROS, "    office: legal_representative\n", "    office: other\n")
    found = [(f.field, f.severity, f.message, f.fix) for f in batch.check().findings if f.rule == "donation.signatory"]
    assert found == ([(f"recipient.{key}.title", "warning", "office is 'other', so the title must be written out",
                       "add 'title:' with en: and es:")] if reported else [])


@pytest.mark.parametrize("office, power, reported", [
    ("legal_representative", "", True),
    ("legal_representative", "    power_of_attorney: '45,218'\n", True),
    ("president", "", False),
])
def test_a_legal_representative_binds_the_recipient_only_under_a_power_of_attorney(batch, office, power, reported):
    text = batch.path(BOMBEROS).read_text(encoding="utf-8")
    start = text.index("    power_of_attorney:")
    batch.write(BOMBEROS, text[:start] + power + text[text.index("\n", start) + 1:])
    batch.replace(BOMBEROS, "    office: legal_representative\n", f"    office: {office}\n")
    found = [whole(f) for f in batch.check().findings if f.rule == "donation.signatory"]
    at = "    power_of_attorney:" if power else "  representative:"
    assert found == ([(f"records/example/{BOMBEROS}", batch.line_of(BOMBEROS, at), "don-2026-nld-bomberos",
                       "recipient.representative.power_of_attorney", "warning",
                       "a legal representative binds the recipient only under a power of attorney, which is not given",
                       "add power_of_attorney with the public deed's reference, date and notary")] if reported else [])


# --- what customs needs from an approved donation's items ------------------------------------------------------



def test_an_approved_donation_gives_customs_each_items_estimated_value_and_serial_number(batch):
    batch.replace(BUS, "    estimated_value: 9500\n", "")
    text = batch.path(BUS).read_text(encoding="utf-8")
    serial = next(line for line in text.splitlines() if "serial_number:" in line)
    batch.replace(BUS, serial + "\n", "")
    report = batch.check(AFTER_MEETING)
    value, serial_number = only(report, "customs.value"), only(report, "customs.serial")
    assert whole(value) == (
        f"records/example/{BUS}", batch.line_of(BUS, '  - unit_number: "3307"'), "don-2026-nld-school-bus",
        "items[0].estimated_value", "warning",
        "the donation letter for customs gives no estimated value for this item, only its book value of $0.00, which "
        "leaves the customs broker nothing to declare",
        "add estimated_value: the item's market value in its present condition (a good-faith estimate)")
    assert whole(serial_number) == (
        f"records/example/{BUS}", batch.line_of(BUS, '  - unit_number: "IT-18840"'), "don-2026-nld-school-bus",
        "items[1].serial_number", "error",
        "the donation letter for customs names every piece by its serial number, and this item has none",
        "add serial_number: (for a lot, every serial or the range, e.g. 7QK2MX1 to 7QK2MY2)")


@pytest.mark.parametrize("items", ["", "items: 5\n", "items: null\n"])
def test_a_donation_without_a_list_of_items_is_a_finding_not_a_crash(batch, items):
    text = batch.path(FLEET).read_text(encoding="utf-8")
    start = text.index("items:\n")
    end = text.index("\npickup:", start) + 1  # the next key after the list
    batch.write(FLEET, text[:start] + items + text[end:])
    report = batch.check(AFTER_MEETING)
    assert [f.field for f in report.errors if f.record == "don-2026-nld-public-works" and f.field.startswith("items")] == ["items"]


# --- an item the city may not give yet ----------------------------------------------------------------------------

@pytest.mark.parametrize("old, new, rule, field, severity, message, fix", [
    ("    book_value: 0\n", "    book_value: 1250.5\n", "equipment.book_value", "book_value", "error",
     "the book value is $1,250.50; only fully depreciated equipment (book value exactly $0.00) can be donated",
     "take the item off this request, or correct the value from the asset register"),
    ("    in_use: false\n", "    in_use: true\n", "equipment.in_use", "in_use", "error",
     "the item is still in use by its department", "donate it only once the department has released it (in_use: false)"),
    ("    auctioned: true\n", "    auctioned: false\n", "equipment.auctioned", "auctioned", "error",
     "the item has not been through the auction process", "send it through auction first; donate only what did not sell"),
    ("    vin: 1FVHG3DV7BHAZ7781\n", "", "vehicle.vin", "vin", "error", "a vehicle needs its VIN",
     "add 'vin:' with the 17 characters from the title"),
    ("    title_holder: {en: City of Laredo, es: Ciudad de Laredo}\n", "", "vehicle.title_holder", "title_holder", "error",
     "a vehicle needs its title holder",
     "add 'title_holder:' as printed on the title (Fleet gets management's signature on it)"),
])
def test_an_item_the_city_may_not_give_yet_is_named_with_the_reason_and_the_way_out(batch, old, new, rule, field, severity,
                                                                                     message, fix):
    batch.replace(BOMBEROS, old, new)
    finding = only(batch.check(), rule)
    at = batch.line_of(BOMBEROS, new) if new else batch.line_of(BOMBEROS, '  - unit_number: "F-117"')
    assert whole(finding) == (f"records/example/{BOMBEROS}", at, "don-2026-nld-bomberos", f"items[0].{field}",
                              severity, message, fix)


# --- a department's notice is named after it: two names must never make one file ---------------------------------

DEPARTMENT_FIX = "write the department's English name as the City's organization chart has it"


@pytest.mark.parametrize("truck, computers, item, message, fix", [
    ("'¡¡!!'", "Information Technology", 0,
     "the department name '¡¡!!' has no Latin letter or digit to name its notice after", DEPARTMENT_FIX),
    ("FLEET", "Information Technology", 0,
     "the department name 'FLEET' makes the file name of the notice to Fleet Management about this donation's vehicle "
     "titles (notice-fleet.en.pdf)",
     "write the department's full name as the City's organization chart has it (e.g. 'Fleet Services Division')"),
    ("Solid Waste Services", "solid waste  services!", 1,
     "'solid waste  services!' and 'Solid Waste Services' are written differently but name one department's notice "
     "(notice-solid-waste-services.en.pdf)", "write the same department the same way on every item"),
    ("''", "Information Technology", None, "", ""),  # no name: nothing to name a notice after, nothing to compare
])
def test_a_department_name_that_cannot_name_its_own_notice_is_refused(batch, truck, computers, item, message, fix):
    batch.replace(FLEET, "department: {en: Solid Waste Services, es: Servicios de Residuos Sólidos}",
                  f"department: {{en: {truck}, es: Servicios de Residuos Sólidos}}")
    batch.replace(FLEET, "department: {en: Information Technology,", f"department: {{en: '{computers}',")
    found = [whole(f) for f in batch.check().findings if f.rule == "donation.department"]
    unit = ('  - unit_number: "4521"', '  - unit_number: "IT-20931"')[item or 0]
    at = batch.line_of(FLEET, "department:", after=unit) if item is not None else 0
    assert found == ([(f"records/example/{FLEET}", at, "don-2026-nld-public-works", f"items[{item}].department", "error",
                       message, fix)] if item is not None else [])


def test_a_department_named_fleet_is_its_own_when_no_vehicle_is_donated(batch):
    text = batch.path(FLEET).read_text(encoding="utf-8")
    start, end = text.index('  - unit_number: "4521"'), text.index('  - unit_number: "IT-20931"')
    batch.write(FLEET, text[:start] + text[end:])  # the garbage truck off the request: no notice about titles
    batch.replace(FLEET, "department: {en: Information Technology,", "department: {en: Fleet,")
    assert "donation.department" not in rules_of(batch.check())


def test_an_item_without_a_department_does_not_end_the_comparison_of_the_items_after_it(batch):
    text = batch.path(FLEET).read_text(encoding="utf-8")
    start = text.index('  - unit_number: "IT-20931"')
    batch.write(FLEET, text[:start] + '  - unit_number: "X-1"\n    description: {en: a chair, es: una silla}\n'
                + text[start:].replace("department: {en: Information Technology,", "department: {en: solid waste services,"))
    finding = only(batch.check(), "donation.department")
    assert finding.field == "items[2].department" and finding.message.startswith("'solid waste services' and 'Solid Waste")


def test_every_template_of_a_city_folder_is_checked_after_one_that_fails_and_every_missing_part_is_named(batch, tmp_path):
    from pipeline.records import load_batch
    from pipeline.validate import validate

    own = tmp_path / "city" / "templates_en" / "partnership"
    own.mkdir(parents=True)
    (own / "agreement.html").write_bytes(b"\xe9")  # read first (sorted), and unreadable
    (own / "b_syntax.html").write_text("{% if %}", encoding="utf-8")
    (own / "c_parts.html").write_text("{% include 'partnership/x.html' %}{% include 'partnership/y.html' %}", encoding="utf-8")
    found = [(f.file, f.message) for f in validate(load_batch(batch.folder), overrides=tmp_path / "city").findings
             if f.rule == "city.template"]
    assert found == [
        ("city/templates_en/partnership/agreement.html",
         "the template cannot be read ('utf-8' codec can't decode byte 0xe9 in position 0: unexpected end of data)"),
        ("city/templates_en/partnership/b_syntax.html", "Jinja cannot read this template: Expected an expression, got 'end of statement block'"),
        ("city/templates_en/partnership/c_parts.html", "the template uses 'partnership/x.html', 'partnership/y.html', which is "
                                                       "neither the city's nor a packaged template")]


# --- a signed agreement: the partner's cabildo and SRE, and the city attorney's approval -------------------------

@pytest.mark.parametrize("old, new, rule, field, message, fix", [
    ('cabildo: {acta: "12/2024", date: 2024-05-30}\n', "", "partnership.mexican_approval", "cabildo",
     "the partner's cabildo approval is not recorded",
     "add 'cabildo:' with the acta number and date from the partner's secretario del ayuntamiento"),
    ('sre: {dictamen: "DGAJ-2024-0415", date: 2024-06-10}\n', "", "partnership.mexican_approval", "sre",
     "the SRE dictamen de procedencia is not recorded (Mexican municipalities must consult SRE before signing)",
     "add 'sre:' with the dictamen number and date"),
    ("legal_review: {status: approved, reviewer: Marisa L. Benavides, date: 2024-05-06, revision: 295f46609e}",
     "legal_review: {status: pending}", "partnership.legal_review", "legal_review",
     "the agreement is signed but the legal review is not recorded as approved",
     "record the city attorney's approval (legal_review: status approved, reviewer, date)"),
])
def test_a_signed_agreement_shows_the_partners_cabildo_and_sre_and_the_city_attorneys_approval(batch, old, new, rule, field,
                                                                                               message, fix):
    batch.replace(MONTERREY, old, new)
    finding = only(batch.check(), rule)
    at = batch.line_of(MONTERREY, new if new else "id: laredo-monterrey")  # a missing field: the record's first line
    assert whole(finding) == (f"records/example/{MONTERREY}", at, "laredo-monterrey", field, "warning", message, fix)


def test_a_new_relationship_without_its_proposal_or_assessment_is_warned_and_one_in_force_is_not(batch):
    text = batch.path(SALTILLO).read_text(encoding="utf-8")
    start, end = text.index("proposal:"), text.index("council:\n")
    batch.write(SALTILLO, text[:start] + text[end:])
    report = batch.check()
    proposal, assessment = only(report, "lifecycle.proposal"), only(report, "lifecycle.assessment")
    assert whole(proposal) == (f"records/example/{SALTILLO}", batch.line_of(SALTILLO, "status: proposed"), "laredo-saltillo",
                               "status", "warning",
                               "a new relationship's letter of introduction goes out without a twinning proposal on record",
                               "add proposal: (interested people, committee terms, activities, budget, reporting, reviews)")
    assert whole(assessment) == (f"records/example/{SALTILLO}", batch.line_of(SALTILLO, "council:\n"), "laredo-saltillo",
                                 "council", "warning", "the relationship goes to the council without staff's assessment of "
                                 "the proposal", "add assessment: the five criteria scored with evidence, and the research profile")
    assert not {"lifecycle.proposal", "lifecycle.assessment"} & {f.rule for f in report.findings if f.record != "laredo-saltillo"}


# --- a partnership's status and the evidence of its steps ----------------------------------------------------------

def test_the_record_of_a_later_step_under_an_earlier_status_names_the_status_it_needs(batch):
    batch.replace(MONTERREY, "status: active", "status: council_approved")
    found = sorted((f.field, f.message, f.fix) for f in batch.check().findings
                   if f.rule == "partnership.status" and f.record == "laredo-monterrey")
    assert found == [
        ("status", "the record has 'sci_submission' but status is council_approved",
         "set status: submitted_to_sci (or later), or remove 'sci_submission'"),
        ("status", "the record has 'signing' but status is council_approved", "set status: signed (or later), or remove 'signing'")]


@pytest.mark.parametrize("record, old, new, field, message, fix", [
    (SALTILLO, "status: proposed", "status: council_approved", "council",
     "status is council_approved but the council meeting date 2026-12-08 is still ahead",
     "keep the earlier status until the council meeting has happened"),
    (MONTERREY, "  date: 2024-06-20\n", "  date: 2026-11-30\n", "signing",
     "status is active but the signing date 2026-11-30 is still ahead", "keep the earlier status until the signing has happened"),
])
def test_a_status_whose_step_is_still_ahead_is_refused(batch, record, old, new, field, message, fix):
    batch.replace(record, old, new)
    found = [(f.field, f.message, f.fix) for f in batch.check().findings
             if f.rule == "partnership.status" and "still ahead" in f.message]
    assert found == [(field, message, fix)]


@pytest.mark.parametrize("status, action", [("emeritus", "emeritus"), ("terminated", "termination")])
def test_an_ended_relationship_without_its_status_change_says_what_to_record(batch, status, action):
    batch.replace_block(MONTERREY, "status_change:")
    batch.replace(MONTERREY, "status: active", f"status: {status}")
    found = [(f.field, f.message, f.fix) for f in batch.check().findings
             if f.rule == "partnership.status" and f.record == "laredo-monterrey"]
    assert found == [("status", f"status is {status}: the council's act, the mayor's letter to the partner and the written "
                      "notice to SCI must be recorded", f"add status_change: with action {action}, reasons, council, "
                      "letter_date and sci_notice_date")]


def test_an_ended_status_that_is_not_what_the_status_change_records_names_both_ways_out(batch):
    batch.replace(MONTERREY, "status: active", "status: terminated")
    found = [(f.field, f.message, f.fix) for f in batch.check().findings
             if f.rule == "partnership.status" and f.record == "laredo-monterrey"]
    assert found == [("status_change.action", "status is terminated but the status change recorded is an emeritus designation",
                      "set status: emeritus, or record a termination as the status change")]


def test_a_status_change_of_a_relationship_not_in_force_is_refused_in_words_a_clerk_reads(batch):
    text = batch.path(MONTERREY).read_text(encoding="utf-8")
    start = text.index("status_change:")
    end = text.index("\n", text.index("filed_on:", start)) + 1
    batch.write(SALTILLO, batch.path(SALTILLO).read_text(encoding="utf-8") + text[start:end])
    found = [whole(f) for f in batch.check().findings if f.rule == "lifecycle.status_change"]
    assert found == [(f"records/example/{SALTILLO}", batch.line_of(SALTILLO, "  action: emeritus"), "laredo-saltillo",
                      "status_change.action", "error", "an emeritus designation is for a relationship in force, and this one "
                      "is proposed", "remove status_change until the agreement is signed and in force")]


def test_a_renewal_needs_no_reasons_and_an_emeritus_designation_does(batch):
    text = batch.path(MONTERREY).read_text(encoding="utf-8")
    start, end = text.index("  reasons:\n", text.index("status_change:")), text.index("  council:\n", text.index("status_change:"))
    batch.write(MONTERREY, text[:start] + text[end:])
    assert "lifecycle.reasons" in rules_of(batch.check())
    batch.replace(MONTERREY, "  action: emeritus", "  action: renewal")
    assert "lifecycle.reasons" not in rules_of(batch.check())


@pytest.mark.parametrize("letter, notice, found", [
    ("2026-12-07", "", [("status_change.letter_date", "the mayor's letter (2026-12-07) is dated before the council acted (2026-12-08)",
                         "the letter conveys the council's decision: date it on or after the meeting")]),
    ("2026-12-08", "2026-12-08", []),  # the same day: in order
    ("2026-12-09", "2026-12-08", [("status_change.sci_notice_date", "SCI was notified (2026-12-08) before the mayor's letter to "
                                   "the partner (2026-12-09)", "the partner hears it first: record letter_date, on or before "
                                   "the notice to SCI")]),
    ("", "2026-12-10", [("status_change.sci_notice_date", "SCI was notified (2026-12-10) before the mayor's letter to the partner "
                         "was recorded", "the partner hears it first: record letter_date, on or before the notice to SCI")]),
])
def test_the_partner_hears_of_a_status_change_after_the_council_acts_and_before_sci(batch, letter, notice, found):
    added = (f"  letter_date: {letter}\n" if letter else "") + (f"  sci_notice_date: {notice}\n" if notice else "")
    batch.replace(MONTERREY, "  action: emeritus\n", "  action: emeritus\n" + added)
    report = batch.check(AFTER_MEETING)
    assert [(f.field, f.message, f.fix) for f in report.findings if f.rule == "lifecycle.order"] == found


@pytest.mark.parametrize("record, meeting, since", [(MONTERREY, "2024-06-19", "2024-06-20"),  # its signing
                                                    (DOS, "1985-01-01", "1986-11-15")])  # founded
def test_a_council_act_on_a_relationship_before_it_began_is_refused(batch, record, meeting, since):
    if record == MONTERREY:
        batch.replace(MONTERREY, "    meeting_date: 2026-12-08\n    strategic_goal: \"4\"",
                      f"    meeting_date: {meeting}\n    strategic_goal: \"4\"")
    else:
        batch.write(record, batch.path(record).read_text(encoding="utf-8") + "status_change:\n  action: renewal\n"
                    f"  council: {{resolution_number: 1985-R-1, meeting_date: {meeting}}}\n")
    found = [(f.field, f.message, f.fix) for f in batch.check().findings
             if f.rule == "lifecycle.order" and f.field == "status_change.council.meeting_date"]
    assert found == [("status_change.council.meeting_date",
                      f"the council acts on the relationship ({meeting}) before it began ({since})", "correct the meeting date")]


def test_a_council_act_on_the_day_the_relationship_began_is_in_order(batch):
    batch.replace(MONTERREY, "    meeting_date: 2026-12-08\n    strategic_goal: \"4\"", "    meeting_date: 2024-06-20\n    strategic_goal: \"4\"")
    assert [f for f in batch.check().findings if f.field == "status_change.council.meeting_date" and f.rule == "lifecycle.order"] == []


ADD_AFTER_FILING = "    filed_on: 2026-12-03\n"  # the end of laredo-monterrey's status change


@pytest.mark.parametrize("kind, told, lacks", [
    ("friendship_city", "  letter_date: 2026-12-10\n", "sci_notice_date"),
    ("friendship_city", "", "letter_date and sci_notice_date"),
    ("friendship_city", "  letter_date: 2026-12-10\n  sci_notice_date: 2026-12-11\n", None),
    ("binational_collaboration", "  letter_date: 2026-12-10\n", None),  # a kind SCI does not list: SCI is not told
    ("binational_collaboration", "", "letter_date"),
])
def test_an_ended_relationship_records_whom_it_told(batch, kind, told, lacks):
    batch.replace(MONTERREY, "kind: friendship_city", f"kind: {kind}")
    batch.replace(MONTERREY, "status: active", "status: emeritus")
    batch.replace(MONTERREY, ADD_AFTER_FILING, ADD_AFTER_FILING + "    adopted: true\n" + told)
    found = [whole(f) for f in batch.check(dt.date(2026, 12, 20)).findings if f.rule == "partnership.status"]
    first = lacks.split(" and ")[0] if lacks else ""
    assert found == ([(f"records/example/{MONTERREY}", batch.line_of(MONTERREY, "status_change:"), "laredo-monterrey",
                       "status_change", "error", f"status is emeritus, but the record lacks {lacks}: the partner and SCI must "
                       "be told", f"add status_change.{first} (the day it was sent), or keep status as it was until then")]
                     if lacks else [])


def test_a_renewal_leaves_the_relationship_in_force_and_needs_no_letter_recorded(batch):
    batch.replace(MONTERREY, "  action: emeritus", "  action: renewal\n  next_evaluation: 2028-06-20")
    batch.replace(MONTERREY, ADD_AFTER_FILING, ADD_AFTER_FILING + "    adopted: true\n")
    assert [f for f in batch.check(dt.date(2026, 12, 20)).findings if f.rule == "partnership.status"] == []


def test_a_grandfathered_agreement_at_council_without_staff_review_says_what_to_add(batch):
    batch.replace_block(DOS, "program_review:")
    found = [whole(f) for f in batch.check().findings if f.rule == "lifecycle.review"]
    assert found == [(f"records/example/{DOS}", 6, "dos-laredos", "status", "warning",
                      "a grandfathered agreement goes to the council with its new plan but without staff's review "
                      "of the agreement in force", "add program_review: (date, by, the agreement's objectives, which program "
                      "requirements it provides, its current projects with a decision each, recommendation)")]


SIGNED_ON = "signing:\n  date: 2024-06-20\n"  # laredo-monterrey: council 2024-05-14, cabildo 05-30, SRE 06-10, signed 06-20, SCI 07-02


@pytest.mark.parametrize("old, new, field, message, fix", [
    ("  meeting_date: 2024-05-14\n", "  meeting_date: 2024-06-21\n", "signing.date",
     "signed on 2024-06-20, before the council approved it on 2024-06-21",
     "the council resolution must precede the signing: correct the dates"),
    ("  meeting_date: 2024-05-14\n", "  meeting_date: 2024-06-20\n", "signing.date", None, None),  # the same day
    ("sci_submission: {date: 2024-07-02", "sci_submission: {date: 2024-06-19", "sci_submission.date",
     "sent to SCI on 2024-06-19, before the signing on 2024-06-20", "only the signed agreement goes to SCI: correct the dates"),
    ("sci_submission: {date: 2024-07-02", "sci_submission: {date: 2024-06-20", "sci_submission.date", None, None),
    ('cabildo: {acta: "12/2024", date: 2024-05-30}', 'cabildo: {acta: "12/2024", date: 2024-06-21}', "cabildo.date",
     "the cabildo approved it on 2024-06-21, after the signing on 2024-06-20",
     "the Mexican approvals precede the signing: correct the dates"),
    ('cabildo: {acta: "12/2024", date: 2024-05-30}', 'cabildo: {acta: "12/2024", date: 2024-06-20}', "cabildo.date", None, None),
    ('sre: {dictamen: "DGAJ-2024-0415", date: 2024-06-10}', 'sre: {dictamen: "DGAJ-2024-0415", date: 2024-06-21}', "sre.date",
     "SRE issued its dictamen on 2024-06-21, after the signing on 2024-06-20",
     "the Mexican approvals precede the signing: correct the dates"),
])
def test_the_dates_of_a_signed_agreement_come_in_their_order(batch, old, new, field, message, fix):
    line = batch.replace(MONTERREY, old, new)
    if field == "signing.date":
        line = batch.line_of(MONTERREY, SIGNED_ON) + 1
    found = [whole(f) for f in batch.check().findings if f.rule == "partnership.dates"]
    assert found == ([(f"records/example/{MONTERREY}", line, "laredo-monterrey", field, "error", message, fix)] if message else [])


def test_a_grandfathered_agreement_may_have_been_signed_before_the_council_that_brings_it_into_the_program(batch):
    batch.replace(MONTERREY, "  meeting_date: 2024-05-14\n", "  meeting_date: 2024-06-21\n")
    batch.replace(MONTERREY, "status: active", "status: grandfathered")
    assert [f for f in batch.check().findings if f.rule == "partnership.dates"] == []



@pytest.mark.parametrize("record, date, message, fix", [
    (MONTERREY, "2026-06-21", "2026-06-21 is not six months to two years after signing (2024-06-20)",
     "choose a date from 2024-12-20 to 2026-06-20"),
    (MONTERREY, "2024-12-19", "2024-12-19 is not six months to two years after signing (2024-06-20)",
     "choose a date from 2024-12-20 to 2026-06-20"),
    (MONTERREY, "2024-12-20", None, None),
    (MONTERREY, "2026-06-20", None, None),
    (DOS, "2028-12-09", "2028-12-09 is not six months to two years after the council adopts the new plan (2026-12-08)",
     "choose a date from 2027-06-08 to 2028-12-08"),
    (MONTERREY, "", "the partnership is active but has no evaluation date",
     "add 'evaluation_date:' six months to two years after signing"),
    (DOS, "", "the partnership is grandfathered but has no evaluation date",
     "add 'evaluation_date:' six months to two years after the council adopts the new plan"),
])
def test_the_evaluation_falls_six_months_to_two_years_after_the_agreement_takes_effect(batch, record, date, message, fix):
    text = batch.path(record).read_text(encoding="utf-8")
    old = next(line for line in text.splitlines(keepends=True) if line.startswith("evaluation_date:"))
    line = batch.replace(record, old, f"evaluation_date: {date}\n" if date else "")
    line = line if date else batch.line_of(record, "id: ")  # a field not there: the record's own line
    found = [whole(f) for f in batch.check().findings if f.rule == "partnership.evaluation"]
    record_id = "laredo-monterrey" if record == MONTERREY else "dos-laredos"
    assert [f[1:] for f in found] == ([(line, record_id, "evaluation_date", "error", message, fix)] if message else [])


@pytest.mark.parametrize("old, new, field, message, fix", [
    ("status: proposed\n", "status: proposed\nletter_date: 2026-09-14\n", "letter_date",
     "the letter of introduction (2026-09-14) is dated before the proposal (2026-09-15)", "the proposal comes first: correct either date"),
    ("status: proposed\n", "status: proposed\nletter_date: 2026-09-15\n", "letter_date", None, None),  # the same day
    ("  date: 2026-10-20\n", "  date: 2026-09-14\n", "assessment.date",
     "the assessment (2026-09-14) is dated before the proposal it assesses (2026-09-15)", "correct either date"),
    ("  date: 2026-10-20\n", "  date: 2026-09-15\n", "assessment.date", None, None),
    ("  date: 2026-10-20\n", "  date: 2026-12-09\n", "assessment.date",
     "the assessment (2026-12-09) is dated after the council meeting (2026-12-08) it should inform",
     "the assessment comes before the council item: correct the date, or move the item to a later meeting"),
    ("  date: 2026-10-20\n", "  date: 2026-12-08\n", "assessment.date", None, None),
])
def test_a_new_relationship_steps_come_in_their_order(batch, old, new, field, message, fix):
    line = batch.replace(SALTILLO, old, new) + (1 if field == "letter_date" else 0)
    found = [whole(f) for f in batch.check().findings if f.rule == "lifecycle.order"]
    assert found == ([(f"records/example/{SALTILLO}", line, "laredo-saltillo", field, "error", message, fix)] if message else [])


AREAS = "cultural_tourism_and_educational_exchange, economic_development_and_trade, governance_and_community_engagement"


def work_plan_findings(batch) -> list[tuple]:
    return [whole(f) for f in batch.check().findings if f.rule.startswith("work_plan.")]


def test_an_activity_under_a_component_the_partnership_lacks_names_those_it_has(batch):
    line = batch.replace(DOS, "      - component: governance_and_community_engagement", "      - component: public_safety")
    assert work_plan_findings(batch) == [
        (f"records/example/{DOS}", line, "dos-laredos", "work_plan[0].activities[3].component", "error",
         "'public_safety' is not one of this partnership's program components", f"use one of: {AREAS}"),
        (f"records/example/{DOS}", batch.line_of(DOS, "    activities:"), "dos-laredos", "work_plan[0].activities", "warning",
         "the 2027 program has no activity for the component governance_and_community_engagement",
         "plan at least one activity for every program component, or say why in the component")]


@pytest.mark.parametrize("subcommittees, fix", [(True, "use one of: culture, economy"),
                                                (False, "add subcommittees: with key, name and members")])
def test_an_activity_of_a_subcommittee_not_defined_says_which_are(batch, subcommittees, fix):
    line = batch.replace(DOS, "subcommittee: economy", "subcommittee: incubator")
    if not subcommittees:
        batch.replace_block(DOS, "subcommittees:")
        line = batch.line_of(DOS, "subcommittee: incubator")
    found = [f for f in work_plan_findings(batch) if f[3] == "work_plan[0].activities[2].subcommittee"]
    assert found == [(f"records/example/{DOS}", line, "dos-laredos", "work_plan[0].activities[2].subcommittee", "error",
                      "no subcommittee has the key 'incubator'", fix)]


def test_a_year_or_an_activity_of_the_wrong_shape_does_not_hide_the_ones_after_it(batch):
    batch.replace(DOS, "work_plan:                      # the annual operation program, adopted by the steering committee\n",
                  "work_plan:\n  - year: 2026\n  - not a year's plan\n")
    batch.replace(DOS, "    activities:\n", "    activities:\n      - not an activity\n")
    line = batch.replace(DOS, "subcommittee: economy", "subcommittee: incubator")
    found = [f[1:4] for f in work_plan_findings(batch)]
    assert found == [(line, "dos-laredos", "work_plan[2].activities[3].subcommittee")]


@pytest.mark.parametrize("start, end, field, message, fix", [
    ("2027-04-16", "2027-04-15", "end", "the activity ends (2027-04-15) before it starts (2027-04-16)", "correct either date"),
    ("2027-04-16", "2027-04-16", None, None, None),  # a one-day activity
    ("2028-04-16", "2028-04-18", "start", "the activity starts in 2028, outside the 2027 program",
     "move it to the 2028 program, or correct the date"),
])
def test_an_activity_falls_within_its_year_and_ends_after_it_starts(batch, start, end, field, message, fix):
    batch.replace(DOS, "        start: 2027-04-16\n        end: 2027-04-18\n", f"        start: {start}\n        end: {end}\n")
    found = [whole(f) for f in batch.check().findings if f.rule == "work_plan.dates"]
    line = batch.line_of(DOS, f"        {field}: ") if field else 0
    assert found == ([(f"records/example/{DOS}", line, "dos-laredos", f"work_plan[0].activities[0].{field}", "error",
                       message, fix)] if field else [])


@pytest.mark.parametrize("day, message, fix", [
    ("2026-12-10", "the evaluation is dated 2026-12-10, after today (2026-12-09): results are recorded once it has happened",
     "record the results after the evaluation, with the day it was completed"),
    ("2026-12-09", None, None),  # evaluated today
    ("2024-06-19", "the evaluation (2024-06-19) is dated before the agreement was signed (2024-06-20)", "correct either date"),
    ("2024-06-20", None, None),  # on the day of the signing
])
def test_results_are_recorded_once_the_evaluation_happened_and_the_agreement_was_in_force(batch, day, message, fix):
    line = batch.replace(MONTERREY, "evaluation:                     # the two-year evaluation the agreement set\n  date: 2026-06-12\n",
                         f"evaluation:\n  date: {day}\n") + 1
    found = [whole(f) for f in batch.check(dt.date(2026, 12, 9)).findings if f.rule == "evaluation.timing"]
    assert found == ([(f"records/example/{MONTERREY}", line, "laredo-monterrey", "evaluation.date", "error", message, fix)]
                     if message else [])


RESULTS = "  results:\n"  # laredo-monterrey's evaluation: one indicator in each of its two components, each with its result
MON_AREAS = "economic_development_and_trade, cultural_tourism_and_educational_exchange"


def evaluation_findings(batch) -> list[tuple]:
    return [whole(f)[1:] for f in batch.check(dt.date(2026, 12, 9)).findings if f.rule in ("evaluation.results", "evaluation.kpi")]


def test_a_result_of_a_component_the_partnership_lacks_names_those_it_has(batch):
    line = batch.replace(MONTERREY, RESULTS, RESULTS + "    - component: public_safety\n      kpi: 1\n") + 1
    assert evaluation_findings(batch) == [(line, "laredo-monterrey", "evaluation.results[0].component", "error",
                                           "'public_safety' is not one of this partnership's program components",
                                           f"use one of: {MON_AREAS}")]


@pytest.mark.parametrize("first", ["    - not a result\n", "    - {component: 5, kpi: 1}\n", "    - {component: public_safety}\n"])
def test_a_result_of_the_wrong_shape_does_not_hide_the_results_after_it(batch, first):
    batch.replace(MONTERREY, RESULTS, RESULTS + first)
    assert evaluation_findings(batch) == []


def test_an_indicator_answered_by_true_instead_of_its_number_has_no_result(batch):
    batch.replace(MONTERREY, "    - component: economic_development_and_trade\n      kpi: 1\n",
                  "    - component: economic_development_and_trade\n      kpi: true\n")
    assert evaluation_findings(batch) == [(batch.line_of(MONTERREY, RESULTS), "laredo-monterrey", "evaluation.results", "warning",
                                           "indicator 1 of economic_development_and_trade has no result",
                                           "add a result with component: economic_development_and_trade and kpi: 1, even if it was not met")]


def test_an_evaluation_without_results_lists_every_indicator_as_without_one(batch):
    text = batch.path(MONTERREY).read_text(encoding="utf-8")
    batch.write(MONTERREY, text[:text.index(RESULTS)] + text[text.index("  activities_done:"):])
    assert [f[4] for f in evaluation_findings(batch)] == ["indicator 1 of economic_development_and_trade has no result",
                                                          "indicator 1 of cultural_tourism_and_educational_exchange has no result"]


@pytest.mark.parametrize("decision, index", [("continue", 0), ("fold_in", 1)])
def test_a_project_carried_on_under_a_component_the_partnership_lacks_names_those_it_has(batch, decision, index):
    line = batch.replace(DOS, f"      decision: {decision}\n      component: cultural_tourism_and_educational_exchange\n",
                         f"      decision: {decision}\n      component: public_safety\n") + 1
    found = [whole(f) for f in batch.check().findings if f.rule == "program_review.component"]
    assert found == [(f"records/example/{DOS}", line, "dos-laredos", f"program_review.projects[{index}].component", "error",
                      f"the project is carried on ({decision}) under 'public_safety', which is not one of this partnership's "
                      "program components", f"use one of: {AREAS}; or decide close")]


def test_a_program_review_of_an_agreement_with_no_current_projects_is_in_order(batch):
    text = batch.path(DOS).read_text(encoding="utf-8")
    batch.write(DOS, text[:text.index("  projects:\n")] + text[text.index("  recommendation: >-"):])
    assert [f for f in batch.check().findings if f.record == "dos-laredos"] == []


@pytest.mark.parametrize("indicators, said", [(1, "1 indicator"), (2, "2 indicators")])
def test_a_result_of_an_indicator_the_component_lacks_says_how_many_it_has(batch, indicators, said):
    if indicators == 2:
        batch.replace(MONTERREY, "        es: Dos pabellones conjuntos en ferias comerciales al año\n",
                      "        es: Dos pabellones conjuntos en ferias comerciales al año\n"
                      "      - en: Ten firms at each stand\n        es: Diez empresas en cada pabellón\n")
    line = batch.replace(MONTERREY, "    - component: economic_development_and_trade\n      kpi: 1\n",
                         "    - component: economic_development_and_trade\n      kpi: 3\n") + 1
    found = [f for f in evaluation_findings(batch) if f[3] == "error"]
    assert found == [(line, "laredo-monterrey", "evaluation.results[0].kpi", "error",
                      f"the component economic_development_and_trade has {said}, not 3",
                      "count its kpis from 1, in the order the record lists them")]
