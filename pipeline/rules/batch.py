"""Rules across records: ids, unit numbers, resolution numbers, the agenda, references, priority."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata

from pipeline.rules import partnership
from pipeline.rules.values import Env, council_acts, current_act, get, present

PRIORITY_TIERS = {
    1: "neighbouring municipality",
    2: "community with an active sister-city agreement",
    3: "other community",
}


# re.compile refuses a pattern with more than re.error: OverflowError for a repetition count
# past 4,294,967,295 ('\d{9999999999}'), RecursionError for brackets nested a few hundred deep.
BAD_PATTERN = (re.error, OverflowError, RecursionError)


def resolution_pattern(city: dict) -> re.Pattern | None:
    """The city's resolution-number pattern, or None when absent or broken (check_city reports it)."""
    pattern = get(city, "resolution_number", "pattern")
    if not isinstance(pattern, str):
        return None
    try:
        return re.compile(pattern)
    except BAD_PATTERN:
        return None


def check_city(city_record, report) -> None:
    _countersigning_officials_named(city_record, report)
    pattern = get(city_record.data, "resolution_number", "pattern")
    example = get(city_record.data, "resolution_number", "example")
    if not isinstance(pattern, str):
        return
    try:
        compiled = re.compile(pattern)
    except BAD_PATTERN as exc:
        why = "brackets nested too deep" if isinstance(exc, RecursionError) else exc
        report.add(city_record, "city.profile", ("resolution_number", "pattern"),
                   f"the resolution-number pattern is not a valid regular expression ({why})",
                   "write it like '\\d{4}-R-\\d{2,3}' (\\d is a digit, {4} four of them)")
        return
    if isinstance(example, str) and not compiled.fullmatch(example):
        report.add(city_record, "city.profile", ("resolution_number", "example"),
                   f"the example '{example}' does not fit the pattern '{pattern}'",
                   "correct the pattern or the example so that they agree")


def _countersigning_officials_named(city_record, report) -> None:
    """Whoever the profile says signs with the mayor must be in officials, or a signature line
    would print without a name."""
    countersign = get(city_record.data, "council", "countersign")
    entries = countersign if isinstance(countersign, list) else [{"official": "clerk"}, {"official": "attorney"}]
    for index, entry in enumerate(entries):
        official = entry.get("official") if isinstance(entry, dict) else None
        if isinstance(official, str) and not isinstance(get(city_record.data, "officials", official), dict):
            where = ("council", "countersign", index, "official") if isinstance(countersign, list) else ("officials",)
            report.add(city_record, "city.profile", where,
                       f"the {official} signs with the mayor, but officials.{official} is not in the profile",
                       f"add officials.{official} (name, title in en/es), or set council.countersign to who really signs")


def check(batch, report, env: Env) -> None:
    """Run every cross-record rule; return nothing, but attach derived facts to the records."""
    by_id = _unique_ids(batch, report)
    _unique_unit_numbers(batch, report)
    _resolution_numbers(batch, report, env)
    _agenda(batch, report, env, by_id)
    _references(batch, report, by_id)
    _votes(batch, report, env)
    _strategic_goals(batch, report, env)
    _filing(batch, report, env)
    _city_partnerships(batch, report, env)


def _council_records(batch):
    return [r for r in batch.records if council_acts(r.data)]


def _unique_ids(batch, report) -> dict:
    by_id: dict = {}
    for record in batch.records:
        if not isinstance(record.data.get("id"), str):
            continue
        first = by_id.get(record.id)
        if first is not None:
            report.add(record, "batch.duplicate_id", ("id",),
                       f"id '{record.id}' is already used by the {first.kind} at {first.file}:{first.line(('id',))}",
                       "give this record its own id")
        else:
            by_id[record.id] = record
    return by_id


def _unique_unit_numbers(batch, report) -> None:
    seen: dict = {}
    for record in batch.of_kind("donation"):
        items = record.data.get("items")
        for i, item in enumerate(items if isinstance(items, list) else []):
            unit = get(item, "unit_number")
            if not present(unit) or isinstance(unit, (dict, list, bool)):
                continue
            key = str(unit).strip().casefold()  # 'f-117' is F-117
            if key in seen:
                other, other_i = seen[key]
                where = "earlier in this donation" if other is record else f"in donation {other.id} ({other.file}:{other.line(('items', other_i))})"
                report.add(record, "batch.unit_number", ("items", i, "unit_number"),
                           f"unit {unit} is already offered {where}",
                           "a unit can be donated once: remove one of the two")
            else:
                seen[key] = (record, i)


def _resolution_numbers(batch, report, env: Env) -> None:
    pattern = resolution_pattern(env.city)
    example = get(env.city, "resolution_number", "example")
    seen: dict = {}
    for record in _council_records(batch):
        for act in council_acts(record.data):
            number = get(record.data, *act, "resolution_number")
            if not isinstance(number, str) or not number:
                continue
            path = (*act, "resolution_number")
            if pattern and not pattern.fullmatch(number):
                report.add(record, "resolution.pattern", path,
                           f"'{number}' does not match the city's resolution numbering ({pattern.pattern})",
                           f"use the clerk's numbering, e.g. {example}")
            if number in seen:
                other, other_path = seen[number]
                report.add(record, "resolution.duplicate", path,
                           f"resolution {number} is already used by {other.kind} {other.id} ({other.file}:{other.line(other_path)})",
                           "ask the clerk for the right number")
            else:
                seen[number] = (record, path)


def _agenda(batch, report, env: Env, by_id: dict) -> None:
    meeting = batch.meeting
    items = meeting.data.get("agenda")
    meeting_date = env.date(meeting.data, "meeting", "date")
    on_agenda: dict = {}
    numbers: dict = {}
    for i, entry in enumerate(items if isinstance(items, list) else []):
        number, record_id = get(entry, "item"), get(entry, "record")
        if isinstance(number, str):
            if number in numbers:
                report.add(meeting, "agenda.duplicate", ("agenda", i, "item"),
                           f"item number {number} is already used (line {numbers[number]})", "number every item once")
            numbers.setdefault(number, meeting.line(("agenda", i, "item")))
        if not isinstance(record_id, str):
            continue
        if record_id in on_agenda:
            report.add(meeting, "agenda.duplicate", ("agenda", i, "record"),
                       f"record {record_id} is already item {on_agenda[record_id]}", "list each record once")
            continue
        on_agenda[record_id] = number
        record = by_id.get(record_id)
        if record is None:
            report.add(meeting, "batch.reference", ("agenda", i, "record"),
                       f"no partnership or donation has id '{record_id}'",
                       _suggest(record_id, by_id) or "check the id against the record files")
            continue
        act = current_act(record.data)
        council_date = env.date(record.data, *act, "meeting_date")
        if meeting_date and council_date and council_date != meeting_date:
            report.add(record, "agenda.meeting_date", (*act, "meeting_date"),
                       f"the record is on the agenda of the {meeting_date.isoformat()} meeting but its council date is {council_date.isoformat()}",
                       f"set {'.'.join(act)}.meeting_date to {meeting_date.isoformat()}, or take it off this agenda")
    for record in batch.records:
        if isinstance(record.data.get("id"), str) and record.id not in on_agenda and by_id.get(record.id) is record \
                and _goes_to_this_meeting(record, env, meeting_date):
            report.add(record, "agenda.missing", ("id",), "the record is in the batch but not on the agenda",
                       f"add it to the agenda in {meeting.file}, or move it out of this batch")


def _goes_to_this_meeting(record, env: Env, meeting_date) -> bool:
    """A record off the agenda is a slip unless the council has nothing to do with it at this
    meeting: its act was taken up at an earlier meeting (it is in the batch for the steps after),
    or it has no council act yet (a request still being prepared)."""
    act = current_act(record.data)
    if not isinstance(get(record.data, *act), dict):
        return False
    council_date = env.date(record.data, *act, "meeting_date")
    if meeting_date is None:
        return False  # the meeting's own date is unreadable: that error is reported, and nothing can be compared
    return not (council_date and council_date < meeting_date)


def _votes(batch, report, env: Env) -> None:
    """The archived resolution is the adopted one: its adoption line carries the vote of the minutes."""
    from pipeline.documents import process  # the plan's own reading of "adopted"
    for record in batch.records:
        for act in council_acts(record.data):
            meeting = env.date(record.data, *act, "meeting_date")
            if process(record.kind).says_adopted(record.data, act) and meeting and meeting <= env.as_of \
                    and not isinstance(get(record.data, *act, "vote"), dict):
                report.add(record, "resolution.vote", act, "the council adopted the resolution but the record has no vote",
                           f"add {'.'.join(act)}.vote with ayes, nays, absent and abstain from the minutes")


def _references(batch, report, by_id: dict) -> None:
    for record in batch.of_kind("donation"):
        ref = get(record.data, "recipient", "partnership")
        if not isinstance(ref, str):
            continue
        target = by_id.get(ref)
        if target is None or target.kind != "partnership":
            report.add(record, "batch.reference", ("recipient", "partnership"),
                       f"no partnership has id '{ref}'",
                       _suggest(ref, {k: v for k, v in by_id.items() if v.kind == "partnership"}) or "check the id")


def _suggest(name: str, by_id: dict) -> str:
    close = difflib.get_close_matches(name, list(by_id), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def _place_key(name, state) -> tuple:
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode().casefold().strip()
    return (" ".join(text.split()), str(state or "").upper())


class PriorityRanker:
    """Neighbours first, then active sister cities, then everyone else (the donation process).

    Built once per batch: places and partnership ids are indexed, so ranking is O(1) a donation.
    """

    def __init__(self, city: dict, partnerships: list):
        neighbours = get(city, "neighbouring_municipalities")  # the schema reports a value that is not a list
        self.neighbours = {_place_key(n.get("name"), n.get("state"))
                           for n in (neighbours if isinstance(neighbours, list) else []) if isinstance(n, dict)}
        self.active_by_place: dict = {}
        self.active_ids: set = set()
        for record in partnerships:
            data = record.data
            if partnership.is_active(data):
                place = _place_key(get(data, "partner", "name"), get(data, "partner", "state"))
                # record.id, always text: the id as written may be a list or a mapping (unhashable)
                self.active_by_place.setdefault(place, record.id)
                self.active_ids.add(record.id)

    def tier(self, donation: dict) -> tuple[int, str]:
        recipient = donation.get("recipient") if isinstance(donation.get("recipient"), dict) else {}
        place = _place_key(recipient.get("municipality"), recipient.get("state"))
        if place in self.neighbours:
            return 1, PRIORITY_TIERS[1]
        named = recipient.get("partnership")
        partner_id = named if isinstance(named, str) and named in self.active_ids else self.active_by_place.get(place)
        if partner_id is not None:
            return 2, f"{PRIORITY_TIERS[2]} ({partner_id})"
        return 3, PRIORITY_TIERS[3]


def _filing(batch, report, env: Env) -> None:
    """An agenda item is filed in time to be posted with the agenda (city.yaml agenda_posting_days)."""
    days = get(env.city, "agenda_posting_days")
    meeting = env.date(batch.meeting.data, "meeting", "date")
    if not isinstance(days, int) or meeting is None:
        return
    try:
        latest = meeting - dt.timedelta(days=days)
    except OverflowError:
        return  # a meeting in the first days of year 1 has no day before it to file on (the date is a typo)
    for record in _council_records(batch):
        act = current_act(record.data)
        filed = env.date(record.data, *act, "filed_on")
        if filed and filed > latest:
            report.add(record, "agenda.posting", (*act, "filed_on"),
                       f"the agenda item was filed on {filed.isoformat()}, after {latest.isoformat()}, the last day to post it "
                       f"{days} days before the {meeting.isoformat()} meeting",
                       "move the item to a later meeting, or correct filed_on if it was filed earlier")


def _strategic_goals(batch, report, env: Env) -> None:
    """An agenda item cites a goal of the council's own strategic plan, by its number."""
    goals = get(env.city, "strategic_plan", "goals")
    numbers = [str(g.get("number")) for g in goals if isinstance(g, dict) and isinstance(g.get("number"), (str, int))] \
        if isinstance(goals, list) else []
    for record in _council_records(batch):
        act = current_act(record.data)
        goal = get(record.data, *act, "strategic_goal")
        if goal is None:
            if numbers:
                report.add(record, "agenda.goal_missing", act, "the agenda item cites no goal of the city's strategic plan",
                           f"add {'.'.join(act)}.strategic_goal: one of {', '.join(numbers)} (strategic_plan in city.yaml)")
        elif str(goal) not in numbers:
            fix = f"use one of {', '.join(numbers)}" if numbers else "add strategic_plan with its numbered goals to city.yaml"
            report.add(record, "agenda.strategic_goal", (*act, "strategic_goal"),
                       f"goal '{goal}' is not a goal of the city's strategic plan", fix)


# A relationship in force is in the city's list of partnerships; a new one is not, yet.
IN_FORCE = ("signed", "submitted_to_sci", "active", "grandfathered")


def _city_partnerships(batch, report, env: Env) -> None:
    """The city profile's list of partnerships (which the agenda item prints) agrees with the
    batch's records: a relationship in force is listed with its date, a proposed one is not."""
    listed = get(env.city, "partnerships")
    if not isinstance(listed, list):
        return
    by_record = {entry["record"]: entry for entry in listed if isinstance(entry, dict) and isinstance(entry.get("record"), str)}
    for record in batch.of_kind("partnership"):
        data = record.data
        entry = by_record.get(record.id)
        status = data.get("status")
        if status in IN_FORCE and entry is None:
            report.add(record, "city.partnerships", ("status",),
                       f"the relationship is {status}, but city.yaml's partnerships do not list it (record: {record.id})",
                       f"add it to partnerships in city.yaml with record: {record.id} and the date it was signed")
        elif entry is not None and status not in IN_FORCE and status not in ("emeritus", "terminated"):
            report.add(record, "city.partnerships", ("status",),
                       f"city.yaml lists this relationship as in force, but its status is {status}",
                       "list it in city.yaml only once the agreement is signed, or correct the status")
        elif entry is not None:
            signed = env.date({"d": entry.get("signed")}, "d")
            first = env.date(data, "established") or env.date(data, "signing", "date")
            if signed and first and signed != first:
                report.add(record, "city.partnerships", ("established",) if data.get("established") else ("signing", "date"),
                           f"city.yaml says the agreement was signed on {signed.isoformat()}, the record says {first.isoformat()}",
                           "correct whichever of the two is wrong")
