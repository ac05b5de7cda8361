"""Partnership lifecycle: the status must be backed by the approvals and dates it implies.

prospective → proposed → council_approved → signed → submitted_to_sci → active, then emeritus or
terminated; grandfathered agreements predate the program and carry their original date instead.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

from pipeline.rules.values import Env, get, present

STAGES = ("prospective", "proposed", "council_approved", "signed", "submitted_to_sci", "active")
ENDED = ("emeritus", "terminated")
LIVE_AGREEMENT = ("signed", "submitted_to_sci", "active")  # statuses that mean an agreement is in force
EVALUATION_WINDOW = (relativedelta(months=6), relativedelta(years=2))


def check(record, report, env: Env) -> None:
    data = record.data
    _check_officials(record, report, data)
    _check_legal_review_complete(record, report, data)
    status = data.get("status")
    if status in STAGES:
        _check_stage_evidence(record, report, data, env, STAGES.index(status))
    elif status == "grandfathered" and not present(data.get("established")):
        report.add(record, "partnership.status", ("established",),
                   "a grandfathered agreement needs the date it was originally signed",
                   "add 'established:' with the original signing date")
    _check_order(record, report, data, env)
    _check_evaluation(record, report, data, env, status)
    if status in LIVE_AGREEMENT:
        _check_signed_agreement(record, report, data, env, status)
    _check_assessment(record, report, data)
    _check_work_plan(record, report, data, env)
    _check_evaluation_results(record, report, data, env)
    _check_lifecycle_order(record, report, data, env, status)
    _check_status_change(record, report, data, env, status)
    _check_program_review(record, report, data, status)


def _check_officials(record, report, data) -> None:
    partner = data.get("partner") if isinstance(data.get("partner"), dict) else {}
    if partner.get("country") == "MX" and data.get("level") == "local" and \
            not isinstance(get(data, "officials", "partner_secretary"), dict):
        report.add(record, "partnership.signatories", ("officials", "partner_secretary"),
                   "the secretario/a del ayuntamiento, who countersigns for the municipality, is not named: "
                   "the agreement prints a blank signature line",
                   "add officials.partner_secretary with name and gender")
    for side in ("city", "partner"):
        official = get(data, "officials", side)
        if isinstance(official, dict) and official.get("office") == "other" and not present(official.get("title")):
            report.add(record, "partnership.official", ("officials", side, "title"),
                       "office is 'other', so the title must be written out",
                       "add 'title:' with en: and es:, or choose office mayor, municipal_president or governor")


def _check_stage_evidence(record, report, data, env: Env, stage: int) -> None:
    status = STAGES[stage]
    needs = [
        (2, "council", "a council resolution number and meeting date", "add 'council:' with resolution_number and meeting_date"),
        (3, "signing", "a signing date, place and signatories", "add 'signing:' with date, place and signatories"),
        (4, "sci_submission", "the date it was sent to Sister Cities International", "add 'sci_submission:' with date"),
    ]
    for needed_from, key, what, fix in needs:
        has = isinstance(data.get(key), dict)
        if stage >= needed_from and not has:
            report.add(record, "partnership.status", (key,), f"status is {status}, which requires {what}",
                       f"{fix}, or set the status the record really has")
        elif stage < needed_from and has and key != "council":
            report.add(record, "partnership.status", ("status",), f"the record has '{key}' but status is {status}",
                       f"set status: {STAGES[needed_from]} (or later), or remove '{key}'")
    for key, from_stage, label in (("council", 2, "council meeting"), ("signing", 3, "signing")):
        when = env.date(data, key, "meeting_date" if key == "council" else "date")
        if stage >= from_stage and when and when > env.as_of:
            report.add(record, "partnership.status", (key,),
                       f"status is {status} but the {label} date {when.isoformat()} is still ahead",
                       f"keep the earlier status until the {label} has happened")


# A change of status comes from a relationship in force; its target is the status the record
# takes once the change is done (the council has acted and the partner and SCI were told).
CHANGE_TARGET = {"renewal": "active", "emeritus": "emeritus", "termination": "terminated"}
CHANGE_FROM = {"renewal": ("submitted_to_sci", "active", "grandfathered", "emeritus"),
               "emeritus": ("submitted_to_sci", "active", "grandfathered"),
               "termination": ("submitted_to_sci", "active", "grandfathered", "emeritus")}
CHANGE_NOUN = {"renewal": "a renewal", "emeritus": "an emeritus designation", "termination": "a termination"}
STATUS_ACTION = {"emeritus": "emeritus", "terminated": "termination"}
SCI_REGISTERED = ("sister_city", "friendship_city")  # the kinds SCI lists, and is told about


def _check_status_change(record, report, data, env: Env, status) -> None:
    """Emeritus and termination only from a relationship in force, with the reasons; an ended
    relationship carries the council's act, the mayor's letter and (for SCI's kinds) SCI's notice."""
    change = data.get("status_change")
    if not isinstance(change, dict):
        if status in ENDED:
            report.add(record, "partnership.status", ("status",),
                       f"status is {status}: the council's act, the mayor's letter to the partner and the written notice "
                       "to SCI must be recorded",
                       f"add status_change: with action {'emeritus' if status == 'emeritus' else 'termination'}, reasons, "
                       "council, letter_date and sci_notice_date")
        return
    action = change.get("action")
    if action not in CHANGE_TARGET:
        return  # the schema reports it
    target = CHANGE_TARGET[action]
    if status in ENDED and status != target:
        report.add(record, "partnership.status", ("status_change", "action"),
                   f"status is {status} but the status change recorded is {CHANGE_NOUN[action]}",
                   f"set status: {target}, or record {CHANGE_NOUN[STATUS_ACTION[status]]} as the status change")
    elif status not in CHANGE_FROM[action] and status != target:
        report.add(record, "lifecycle.status_change", ("status_change", "action"),
                   f"{CHANGE_NOUN[action]} is for a relationship in force, and this one is {status}",
                   "remove status_change until the agreement is signed and in force")
    if action != "renewal" and not _items_or_text(change.get("reasons")):
        report.add(record, "lifecycle.reasons", ("status_change", "reasons"),
                   f"the {action} gives no reason: the resolution and the mayor's letter state why",
                   "add status_change.reasons, one point each in en: and es:")
    meeting, letter = env.date(change, "council", "meeting_date"), env.date(change, "letter_date")
    notice = env.date(change, "sci_notice_date")
    if letter and meeting and letter < meeting:
        report.add(record, "lifecycle.order", ("status_change", "letter_date"),
                   f"the mayor's letter ({letter.isoformat()}) is dated before the council acted ({meeting.isoformat()})",
                   "the letter conveys the council's decision: date it on or after the meeting")
    if notice and (letter is None or notice < letter):
        report.add(record, "lifecycle.order", ("status_change", "sci_notice_date"),
                   f"SCI was notified ({notice.isoformat()}) before the mayor's letter to the partner"
                   + (f" ({letter.isoformat()})" if letter else " was recorded"),
                   "the partner hears it first: record letter_date, on or before the notice to SCI")
    since = env.date(data, "signing", "date") or env.date(data, "established")
    if meeting and since and meeting < since:
        report.add(record, "lifecycle.order", ("status_change", "council", "meeting_date"),
                   f"the council acts on the relationship ({meeting.isoformat()}) before it began ({since.isoformat()})",
                   "correct the meeting date")
    if status == target and action != "renewal":
        needed = ("letter_date", "sci_notice_date") if data.get("kind") in SCI_REGISTERED else ("letter_date",)
        missing = [key for key in needed if not present(change.get(key))]
        if missing:
            report.add(record, "partnership.status", ("status_change",),
                       f"status is {status}, but the record lacks {' and '.join(missing)}: the partner and SCI must be told",
                       f"add status_change.{missing[0]} (the day it was sent), or keep status as it was until then")


def _check_program_review(record, report, data, status) -> None:
    """A grandfathered agreement enters the program through staff's review of it (Laredo program):
    each current project carried on names a component the new plan has."""
    review = data.get("program_review")
    if not isinstance(review, dict):
        if status == "grandfathered" and isinstance(data.get("council"), dict):
            report.add(record, "lifecycle.review", ("status",),
                       "a grandfathered agreement goes to the council with its new plan but without staff's review of the agreement in force",
                       "add program_review: (date, by, the agreement's objectives, which program requirements it provides, "
                       "its current projects with a decision each, recommendation)")
        return
    areas = [c["area"] for c in _items(data.get("components")) if isinstance(c.get("area"), str)]
    projects = review.get("projects") if isinstance(review.get("projects"), list) else []
    for i, project in enumerate(projects):
        if isinstance(project, dict) and project.get("decision") in ("continue", "fold_in") and project.get("component") not in areas:
            report.add(record, "program_review.component", ("program_review", "projects", i, "component"),
                       f"the project is carried on ({project.get('decision')}) under '{project.get('component')}', "
                       "which is not one of this partnership's program components",
                       f"use one of: {', '.join(str(a) for a in areas)}; or decide close")


def _items_or_text(value) -> bool:
    return isinstance(value, list) and any(present(v) for v in value)


def _check_order(record, report, data, env: Env) -> None:
    council = env.date(data, "council", "meeting_date")
    signing = env.date(data, "signing", "date")
    sci = env.date(data, "sci_submission", "date")
    grandfathered = data.get("status") == "grandfathered"
    if council and signing and signing < council and not grandfathered:
        report.add(record, "partnership.dates", ("signing", "date"),
                   f"signed on {signing.isoformat()}, before the council approved it on {council.isoformat()}",
                   "the council resolution must precede the signing: correct the dates")
    if signing and sci and sci < signing:
        report.add(record, "partnership.dates", ("sci_submission", "date"),
                   f"sent to SCI on {sci.isoformat()}, before the signing on {signing.isoformat()}",
                   "only the signed agreement goes to SCI: correct the dates")
    for path, label in ((("cabildo", "date"), "the cabildo approved it"), (("sre", "date"), "SRE issued its dictamen")):
        when = env.date(data, *path)
        if when and signing and when > signing:
            report.add(record, "partnership.dates", path,
                       f"{label} on {when.isoformat()}, after the signing on {signing.isoformat()}",
                       "the Mexican approvals precede the signing: correct the dates")


def _check_evaluation(record, report, data, env: Env, status) -> None:
    if status == "grandfathered":
        anchor, anchor_label = env.date(data, "council", "meeting_date"), "the council adopts the new plan"
    elif status in LIVE_AGREEMENT:
        anchor, anchor_label = env.date(data, "signing", "date"), "signing"
    else:
        return
    evaluation = env.date(data, "evaluation_date")
    if not present(data.get("evaluation_date")):
        report.add(record, "partnership.evaluation", ("evaluation_date",),
                   f"the partnership is {status} but has no evaluation date",
                   "add 'evaluation_date:' six months to two years after " + anchor_label)
        return
    if not (anchor and evaluation):
        return
    earliest, latest = _plus(anchor, EVALUATION_WINDOW[0]), _plus(anchor, EVALUATION_WINDOW[1])
    if not earliest <= evaluation <= latest:
        report.add(record, "partnership.evaluation", ("evaluation_date",),
                   f"{evaluation.isoformat()} is not six months to two years after {anchor_label} ({anchor.isoformat()})",
                   f"choose a date from {earliest.isoformat()} to {latest.isoformat()}")


def _check_signed_agreement(record, report, data, env: Env, status) -> None:
    if get(data, "partner", "country") == "MX":
        if not isinstance(data.get("cabildo"), dict):
            report.add(record, "partnership.mexican_approval", ("cabildo",),
                       "the partner's cabildo approval is not recorded",
                       "add 'cabildo:' with the acta number and date from the partner's secretario del ayuntamiento")
        if not isinstance(data.get("sre"), dict):
            report.add(record, "partnership.mexican_approval", ("sre",),
                       "the SRE dictamen de procedencia is not recorded (Mexican municipalities must consult SRE before signing)",
                       "add 'sre:' with the dictamen number and date")
    if get(data, "legal_review", "status") != "approved":
        report.add(record, "partnership.legal_review", ("legal_review",),
                   "the agreement is signed but the legal review is not recorded as approved",
                   "record the city attorney's approval (legal_review: status approved, reviewer, date)")
    if status in ("submitted_to_sci", "active") and get(env.city, "sci_membership", "status") != "good_standing":
        report.add(record, "partnership.sci_member", ("sci_submission",),
                   "the city is not an SCI member in good standing, so SCI will not list the partnership",
                   "renew the SCI membership (sci_membership.status in the city profile)")


def _plus(day: dt.date, delta: relativedelta) -> dt.date:
    """day + delta, or the last date there is when that runs past 9999-12-31 (ValueError otherwise)."""
    try:
        return day + delta
    except (ValueError, OverflowError):
        return dt.date.max


def is_active(data: dict) -> bool:
    """An agreement in force, for the donation priority tier."""
    return data.get("status") in (*LIVE_AGREEMENT, "grandfathered")


def _check_legal_review_complete(record, report, data) -> None:
    """An approval without who and when is not an approval a clerk can rely on."""
    review = data.get("legal_review")
    if isinstance(review, dict) and review.get("status") == "approved":
        for key in ("reviewer", "date"):
            if not present(review.get(key)):
                report.add(record, "schema.required", ("legal_review", key),
                           f"an approved legal review needs its {key}", f"add '{key}:' under legal_review")



# The Lacombe memo's five cost-benefit criteria, and what each weighs.
CRITERIA = {
    "citizen_interest": "citizen interest in both communities (enough to form committees)",
    "economic_potential": "business and economic development potential (labour, tourism, import/export)",
    "social_potential": "educational, cultural and sports development potential",
    "political_stability": "the political climate and stability of the partner (history and current state)",
    "similarity": "similarity in size, geography, resource base, goals and vision",
}
NEW_RELATIONSHIP = ("prospective", "proposed")


def _check_assessment(record, report, data) -> None:
    """An assessment scores all five criteria: a memo with a gap is no assessment."""
    criteria = get(data, "assessment", "criteria")
    if not isinstance(criteria, dict):
        return
    for key, what in CRITERIA.items():
        entry = criteria.get(key)
        if not isinstance(entry, dict):  # a score without evidence is the schema's (criterion, schemas/common.yaml)
            report.add(record, "assessment.criterion", ("assessment", "criteria"),
                       f"the assessment does not score {key}: {what}",
                       f"add {key}: {{score: 1 to 5, evidence: what the score rests on}}")


def _check_lifecycle_order(record, report, data, env: Env, status) -> None:
    """The Lacombe steps in order: proposal, then the letter of introduction; assessment, then the
    council item. A new relationship that skips a step is warned about; dates out of order are errors."""
    proposal, assessment = env.date(data, "proposal", "date"), env.date(data, "assessment", "date")
    letter, meeting = env.date(data, "letter_date"), env.date(data, "council", "meeting_date")
    if status in NEW_RELATIONSHIP:
        if not isinstance(data.get("proposal"), dict):
            report.add(record, "lifecycle.proposal", ("status",),
                       "a new relationship's letter of introduction goes out without a twinning proposal on record",
                       "add proposal: (interested people, committee terms, activities, budget, reporting, reviews)")
        if isinstance(data.get("council"), dict) and not isinstance(data.get("assessment"), dict):
            report.add(record, "lifecycle.assessment", ("council",),
                       "the relationship goes to the council without staff's assessment of the proposal",
                       "add assessment: the five criteria scored with evidence, and the research profile")
    if proposal and letter and letter < proposal:
        report.add(record, "lifecycle.order", ("letter_date",),
                   f"the letter of introduction ({letter.isoformat()}) is dated before the proposal ({proposal.isoformat()})",
                   "the proposal comes first: correct either date")
    if assessment and proposal and assessment < proposal:
        report.add(record, "lifecycle.order", ("assessment", "date"),
                   f"the assessment ({assessment.isoformat()}) is dated before the proposal it assesses ({proposal.isoformat()})",
                   "correct either date")
    if assessment and meeting and assessment > meeting:
        report.add(record, "lifecycle.order", ("assessment", "date"),
                   f"the assessment ({assessment.isoformat()}) is dated after the council meeting ({meeting.isoformat()}) it should inform",
                   "the assessment comes before the council item: correct the date, or move the item to a later meeting")


def _items(value) -> list[dict]:
    """The mappings of a list the record holds, or none: a hostile record may hold anything there."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _check_work_plan(record, report, data, env: Env) -> None:
    """Each activity of the annual operation program belongs to a program component and a
    subcommittee the record defines, falls within its year, and every component has its activities."""
    plan = data.get("work_plan")
    if not isinstance(plan, list):
        return
    # any value may be anything here (the schema reports the shapes): keep the names that are text
    areas = [c["area"] for c in _items(data.get("components")) if isinstance(c.get("area"), str)]
    keys = [s["key"] for s in _items(data.get("subcommittees")) if isinstance(s.get("key"), str)]
    for y, year_plan in enumerate(plan):
        if not isinstance(year_plan, dict) or not isinstance(year_plan.get("activities"), list):
            continue
        year = year_plan.get("year")
        covered = set()
        for a, activity in enumerate(year_plan["activities"]):
            if not isinstance(activity, dict):
                continue
            where = ("work_plan", y, "activities", a)
            if activity.get("component") not in areas:
                report.add(record, "work_plan.component", (*where, "component"),
                           f"'{activity.get('component')}' is not one of this partnership's program components",
                           f"use one of: {', '.join(str(x) for x in areas)}")
            if isinstance(activity.get("component"), str):
                covered.add(activity["component"])
            if activity.get("subcommittee") not in keys:
                report.add(record, "work_plan.subcommittee", (*where, "subcommittee"),
                           f"no subcommittee has the key '{activity.get('subcommittee')}'",
                           f"use one of: {', '.join(str(k) for k in keys)}" if keys else "add subcommittees: with key, name and members")
            start, end = env.date(activity, "start"), env.date(activity, "end")
            if isinstance(year, int) and start and start.year != year:
                report.add(record, "work_plan.dates", (*where, "start"), f"the activity starts in {start.year}, outside the {year} program",
                           f"move it to the {start.year} program, or correct the date")
            if start and end and end < start:
                report.add(record, "work_plan.dates", (*where, "end"), f"the activity ends ({end.isoformat()}) before it starts ({start.isoformat()})",
                           "correct either date")
        for area in areas:
            if area not in covered:
                report.add(record, "work_plan.coverage", ("work_plan", y, "activities"),
                           f"the {year} program has no activity for the component {area}",
                           "plan at least one activity for every program component, or say why in the component")


def _check_evaluation_results(record, report, data, env: Env) -> None:
    """Results are of this partnership's own indicators, recorded once the evaluation has happened
    and the agreement was in force; every indicator gets one."""
    evaluation = data.get("evaluation")
    if not isinstance(evaluation, dict):
        return
    components = [c for c in _items(data.get("components")) if isinstance(c.get("area"), str)]
    kpis = {c["area"]: len(c["kpis"]) if isinstance(c.get("kpis"), list) else 0 for c in components}
    day, signed = env.date(evaluation, "date"), env.date(data, "signing", "date")
    if day and day > env.as_of:
        report.add(record, "evaluation.timing", ("evaluation", "date"),
                   f"the evaluation is dated {day.isoformat()}, after today ({env.as_of.isoformat()}): results are recorded once it has happened",
                   "record the results after the evaluation, with the day it was completed")
    elif day and signed and day < signed:
        report.add(record, "evaluation.timing", ("evaluation", "date"),
                   f"the evaluation ({day.isoformat()}) is dated before the agreement was signed ({signed.isoformat()})",
                   "correct either date")
    answered = set()
    for i, result in enumerate(evaluation.get("results") if isinstance(evaluation.get("results"), list) else []):
        if not isinstance(result, dict):
            continue
        area, number = result.get("component"), result.get("kpi")
        if not isinstance(area, str) or isinstance(number, bool) or not isinstance(number, int):
            continue  # the schema reports a value of the wrong type
        if area not in kpis:
            report.add(record, "evaluation.results", ("evaluation", "results", i, "component"),
                       f"'{area}' is not one of this partnership's program components",
                       f"use one of: {', '.join(str(a) for a in kpis)}")
        elif isinstance(number, int) and not 1 <= number <= kpis[area]:
            report.add(record, "evaluation.results", ("evaluation", "results", i, "kpi"),
                       f"the component {area} has {kpis[area]} indicator{'s' if kpis[area] != 1 else ''}, not {number}",
                       "count its kpis from 1, in the order the record lists them")
        answered.add((area, number))
    for c in components:
        for n in range(1, kpis[c["area"]] + 1):
            if (c["area"], n) not in answered:
                report.add(record, "evaluation.kpi", ("evaluation", "results"),
                           f"indicator {n} of {c.get('area')} has no result",
                           f"add a result with component: {c.get('area')} and kpi: {n}, even if it was not met")
