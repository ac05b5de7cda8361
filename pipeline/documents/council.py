"""What every process brings to the council: when its act counts as adopted, and the resolution
itself, planned alike for partnerships and donations."""

from __future__ import annotations

import datetime as dt

from pipeline.context import country_name, label, long_date, state_name
from pipeline.dates import parse_date
from pipeline.plan import ARCHIVAL, DocumentPlan, HeldBack, Plan, both_languages
from pipeline.rules.values import current_act, get

RESOLUTION_TITLE = {"en": "Council resolution", "es": "Resolución del concejo"}


def adopted(says_adopted, data, as_of, act: tuple = ("council",)) -> bool:
    """The council adopted the record's act: the record says so (its process's `says_adopted`: a
    status that means it, or the act's own `adopted`), and the meeting is past. A meeting date
    alone says only that the item was on an agenda."""
    return says_adopted(data, act) and happened(get(data, *act, "meeting_date"), as_of)


def happened(day, as_of) -> bool:
    """A recorded date is readable and not after `as_of` (the check reports one that is unreadable)."""
    try:
        return day is not None and parse_date(day) <= as_of
    except ValueError:
        return False


def resolutions(record, document: str, is_adopted: bool, result: Plan) -> None:
    """Both languages; the English text is the official one, archived as PDF/A once adopted."""
    english, spanish = both_languages(record, document, ("pdf", "docx"), {document: RESOLUTION_TITLE})
    if is_adopted:
        english = DocumentPlan(**{**english.__dict__, "formats": ("pdf", "docx", ARCHIVAL)})
    else:
        result.held_back.append(HeldBack(record.id, f"{document} (archival PDF/A)",
                                         "archived once the council has adopted the resolution"))
    agenda_item(record, result)
    result.documents += [english, spanish]


# --- the agenda item: the memo the clerk files with each resolution ----------------------------

AGENDA_ITEM = "agenda_item"
AGENDA_TITLE = "Council agenda item"
ENGLISH_ONLY = (AGENDA_ITEM,)  # the council reads English; no Spanish copy is made


def agenda_item(record, result: Plan) -> None:
    """Every record the council takes up gets its cover memo, filed before its resolution."""
    result.documents.append(DocumentPlan(record.id, record.kind, AGENDA_ITEM, "en", ("pdf", "docx"), title=AGENDA_TITLE))


def agenda_view(builder, record) -> dict:
    """What an agenda item adds to the record's context: the goal of the council's strategic plan
    it serves, the fiscal note, and the city's relationships as the profile lists them."""
    city = builder.city_data
    plan = city.get("strategic_plan") if isinstance(city.get("strategic_plan"), dict) else {}
    act = current_act(record.data)
    wanted = get(record.data, *act, "strategic_goal")
    goal = next((g for g in plan.get("goals", []) if isinstance(g, dict) and g.get("number") == wanted), None)

    def place(entry):
        return {"partner": entry.get("partner", ""), "state": state_name(entry.get("state")),
                "country": country_name(entry.get("country", ""), "en")}

    listed = [e for e in city.get("partnerships") or [] if isinstance(e, dict)]
    return {
        "goal": {"number": goal.get("number"), "text": goal.get("text", ""), "plan": plan.get("name", "")} if goal else None,
        "fiscal_note": get(record.data, *act, "fiscal_note") or "",
        "partnerships": [{**place(e), "kind": label("kind", e.get("kind"), "en"),
                          "signed": long_date(e.get("signed"), "en", builder.date_order)}
                         for e in sorted(listed, key=lambda e: _signed_on(e, builder.date_order))],
        "interest": [place(e) for e in city.get("demonstrating_interest") or [] if isinstance(e, dict)],
        "priority": _priority(builder, record),
    }


def _signed_on(entry: dict, date_order: str | None):
    """When a listed relationship was signed, as a date (a numeric date read in the city's order),
    so the list runs oldest first whatever way each date was written; unreadable ones last."""
    try:
        return parse_date(entry.get("signed"), date_order)
    except ValueError:  # DateProblem: check reports the date
        return dt.date.max


def _priority(builder, record) -> str:
    """A donation's place in line (neighbours, then active sister cities, then others), as check ranks it."""
    if record.kind != "donation":
        return ""
    tier, _ = builder.tier(record)
    where = {1: "the recipient is in a neighboring municipality", 2: "the recipient's community has an active sister-city agreement with the City",
             3: "the recipient is neither in a neighboring municipality nor in an active sister city"}[tier]
    return f"{('first', 'second', 'third')[tier - 1]} of three tiers, because {where}"


def task_context(doc, record, context: dict, builder, issued_on) -> None:
    if doc.document == AGENDA_ITEM:
        context["agenda"] = agenda_view(builder, record)
        context["letter_date"] = filing_date(builder, record, issued_on, doc.lang)


def filing_date(builder, record, issued_on, lang: str) -> str:
    """The day the item is filed: council.filed_on, else the build day while it is still before the
    meeting; built after the meeting without filed_on, the date is left blank to be filled in,
    rather than a day after the meeting the memo was written for."""
    filed = get(record.data, *current_act(record.data), "filed_on")
    if filed:
        return builder.date(filed, lang)
    meeting = builder.meeting_date
    return builder.date(issued_on, lang) if meeting is None or issued_on < meeting else ""
