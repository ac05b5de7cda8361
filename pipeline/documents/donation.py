"""The donation process (the Laredo program's Appendix A): surplus equipment given to a Mexican
public body or authorized donee. Which documents a donation record yields, behind which gates,
and what their templates see as `donation`."""

from __future__ import annotations

import unicodedata

from functools import lru_cache

from pipeline.context import (label, money, official_title, party, person_contact, salutation, state_name,
                              country_name, inline, text, with_indefinite_article)
from pipeline.documents.council import adopted, happened, resolutions
from pipeline.plan import DocumentPlan, HeldBack, Plan, both_languages
from pipeline.rules.values import get, is_number

ADOPTED = ("council_approved", "picked_up")  # the statuses that say the council approved the donation
DOCX = ("agenda_item", "donation_resolution", "approval_letter", "customs_letter")
ENGLISH_ONLY = ("availability_request", "title_assignment", "closing_memo")  # for the City's own staff  # staff edit these; notices and the release are PDF only
TITLES = {
    "approval_letter": {"en": "Donation approval letter", "es": "Carta de aprobación de la donación"},
    "release_receipt": {"en": "Release and receipt", "es": "Acta de entrega-recepción"},
    "customs_letter": {"en": "Donation letter", "es": "Carta de donación"},
    "pickup_designation": {"en": "Pickup designation", "es": "Designación de quien recoge"},
    "title_assignment": {"en": "Assignment of certificates of title", "es": ""},
    "closing_memo": {"en": "Donation picked up", "es": ""},
    "availability_request": {"en": "Availability request", "es": ""},
}
COUNCIL_DOCUMENTS = (("agenda_item.en", "Agenda item memo"),
                     ("donation_resolution.en", "{act} No. {number}, with Exhibit A to {act} No. {number}: the equipment"),)
PACKET_SOURCES = {document for document, _ in COUNCIL_DOCUMENTS}


def council_documents(record) -> tuple:
    return COUNCIL_DOCUMENTS


# A letter or memo carries the day it is issued: the date recorded at this path, else the day of the build.
DATED_ON_ISSUE = {"approval_letter": ("letter_date",), "notice": ("letter_date",), "customs_letter": ("letter_date",),
                  "title_assignment": ("letter_date",), "closing_memo": ("pickup", "picked_up_on"),
                  "availability_request": ("availability", "authorized_on")}


def _plan_availability_requests(record, result: Plan, approved: bool) -> None:
    """Step 1: with Management's authorization, each department is asked whether its candidate
    items can be donated (the four conditions). Made while the request is being prepared: not
    once the council has approved it, even if the status still says requested."""
    data = record.data
    if data.get("status") != "requested" or approved:
        return
    if not isinstance(data.get("availability"), dict):
        result.held_back.append(HeldBack(record.id, "availability_request",
                                         "made once Management has authorized asking the departments (availability)"))
        return
    for department in _departments(data):
        result.documents.append(DocumentPlan(record.id, record.kind, "availability_request", "en", ("pdf",),
                                             variant=file_slug(department), title=f"Availability request to {department}"))


FLEET_NOTICE = "fleet"  # the notice about vehicle titles: notice-fleet.en.pdf, beside one per department


def _departments(data: dict) -> list[str]:
    """The departments items come from, by English name: each gets its own request and notice."""
    return sorted({text(i.get("department"), "en") for i in data.get("items", []) if isinstance(i, dict) and i.get("department")})


def says_adopted(data, act=("council",)) -> bool:
    """The record says the council approved the donation (the meeting's date is checked apart)."""
    return data.get("status") in ADOPTED or get(data, *act, "adopted") is True


def plan(record, as_of, result: Plan) -> None:
    data = record.data
    approved = adopted(says_adopted, data, as_of)
    _plan_availability_requests(record, result, approved)
    resolutions(record, "donation_resolution", approved, result)
    later = ["approval_letter", "notice", "release_receipt"]
    if not approved:
        result.held_back += [HeldBack(record.id, d, "waits for council approval of the donation") for d in later]
        return
    result.documents += both_languages(record, "approval_letter", ("pdf", "docx"), TITLES)
    items = data.get("items", [])
    # what the recipient's customs broker files: every piece named by its VIN or serial number
    if all(isinstance(i, dict) and customs_identifier(i) for i in items):
        result.documents += both_languages(record, "customs_letter", ("pdf", "docx"), TITLES)
    else:
        result.held_back.append(HeldBack(record.id, "customs_letter", "made once every item has its VIN or serial number"))
    # Notices are English, and named by the department's English name.
    for department in _departments(data):
        result.documents.append(DocumentPlan(record.id, record.kind, "notice", "en", ("pdf",),
                                             variant=file_slug(department), title=f"Notice to {department}"))
    if any(isinstance(i, dict) and i.get("category") == "vehicle" for i in items):
        result.documents.append(DocumentPlan(record.id, record.kind, "notice", "en", ("pdf",), variant=FLEET_NOTICE,
                                             title="Notice to Fleet Management"))
        result.documents.append(DocumentPlan(record.id, record.kind, "title_assignment", "en", ("pdf",),
                                             title=TITLES["title_assignment"]["en"]))
    # the form the recipient's representative signs to name who picks up; goes with the approval letter
    result.documents += both_languages(record, "pickup_designation", ("pdf",), TITLES)
    if data.get("status") == "picked_up" and get(data, "pickup", "picked_up_on"):
        result.documents.append(DocumentPlan(record.id, record.kind, "closing_memo", "en", ("pdf",), title=TITLES["closing_memo"]["en"]))
    else:
        result.held_back.append(HeldBack(record.id, "closing_memo", "made once the pickup is recorded (status picked_up, pickup.picked_up_on)"))
    # The city's copy carries the pickup ID number; the recipient's copy never does.
    result.documents.append(DocumentPlan(record.id, record.kind, "release_receipt", "en", ("pdf",), variant="city-copy",
                                         title=TITLES["release_receipt"]["en"]))
    result.documents.append(DocumentPlan(record.id, record.kind, "release_receipt", "es", ("pdf",), variant="recipient-copy",
                                         title=TITLES["release_receipt"]["es"]))


def step(data: dict, as_of) -> tuple[str, str]:
    """Where a donation stands in Appendix A's steps, and what it waits for: the request log's
    columns in the compliance report."""
    status = data.get("status")
    meeting = get(data, "council", "meeting_date")
    if status == "withdrawn":
        return "withdrawn", "nothing: the request was withdrawn"
    if status == "picked_up":
        return "4. picked up and closed", "nothing" if get(data, "pickup", "id_checked") is True else "the ID check recorded at pickup"
    if not adopted(says_adopted, data, as_of):
        if not isinstance(data.get("council"), dict):
            return "1. request and search for equipment", "the departments' answers, then a council item (council: number and meeting)"
        if happened(meeting, as_of):
            return "2. council approval", "the council's action recorded (status council_approved and council.vote)"
        return "2. council approval", f"the council meeting of {meeting}"
    waits = []
    if not isinstance(data.get("designation"), dict):
        waits.append("the recipient's signed pickup designation")
    unlisted = [str(i.get("unit_number")) for i in data.get("items") or []
                if isinstance(i, dict) and off_permit_list(i) and not i.get("import_confirmed_on")]
    if unlisted:
        waits.append(f"the customs broker's written confirmation for {', '.join(unlisted)}")
    waits.append("pickup by the designated person, with the ID checked")
    return "3. approved: designation and pickup", "; then ".join(waits)


def _yes_no(value) -> str:
    return {True: "Yes", False: "No"}.get(value, "") if isinstance(value, bool) else ""


def _customs_value(item: dict) -> float:
    value = item.get("estimated_value") if is_number(item.get("estimated_value")) else item.get("book_value")
    return float(value) if is_number(value) else 0.0


def customs_identifier(item: dict) -> str:
    """What customs identifies a piece by: a vehicle's VIN, anything else's serial number."""
    return str(item.get("vin") or "") if item.get("category") == "vehicle" else str(item.get("serial_number") or "")


def file_slug(name: str) -> str:
    """The part of a file name a department's notice and request carry (rules/donation.py refuses
    two department names that make the same one).

    Plain ASCII, lower case: accents, full-width forms and case never make two names one file
    on a case- or normalization-insensitive disk (macOS, Windows, a zip) while differing here."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    out = "".join(ch if ch.isalnum() else "-" for ch in ascii_text)
    return "-".join(part for part in out.split("-") if part)


def agenda_subject(d: dict) -> str:
    """The item's subject on the council's agenda and in the packet's index."""
    return f"Donation of surplus equipment to {d['recipient']['name']}"


def task_context(doc, record, context: dict, builder) -> None:
    """What differs between one donation's documents: the personal data gate and whom a notice is to."""
    # The pickup ID number exists only in the city's own copy of the release.
    number = (record.data.get("pickup") or {}).get("id_number", "") if doc.variant == "city-copy" else ""
    for view in (context, context["en"], context["es"]):
        view["donation"]["pickup"]["id_number"] = number
    fleet = doc.document == "notice" and doc.variant == FLEET_NOTICE
    to = doc.title.removeprefix("Notice to ").removeprefix("Availability request to ") \
        if doc.document in ("notice", "availability_request") else ""
    context["notice"] = {"to": to, "fleet": fleet}
    if doc.document == "availability_request":  # where the request stands in line (Appendix A)
        tier, reason = builder.tier(record)
        context["priority"] = {"tier": tier, "reason": reason}


def context(builder, record, lang: str) -> dict:
    """The donation as its documents' templates see it (as `donation`), in one language."""
    d = record.data
    recipient = d.get("recipient", {})
    council = d.get("council") or {}
    pickup = d.get("pickup") or {}
    items = []
    for item in d.get("items", []):
        items.append({
            "unit_number": str(item.get("unit_number", "")),
            "description": text(item.get("description"), lang),
            "description_en": text(item.get("description"), "en"),
            "description_es": text(item.get("description"), "es"),
            "category": item.get("category", ""),
            "is_vehicle": item.get("category") == "vehicle",
            # every used vehicle needs the Secretaría de Economía's prior import permit; a type off the
            # list for donations may not get one at all, which the recipient's broker must confirm
            "unlisted_vehicle": off_permit_list(item),
            "import_confirmed_on": builder.date(item.get("import_confirmed_on"), lang),
            # the four conditions as the department answered them (the availability request shows them)
            "answers": {"not_in_use": _yes_no(not item["in_use"] if isinstance(item.get("in_use"), bool) else None),
                        "auctioned": _yes_no(item.get("auctioned")),
                        "book_value_zero": _yes_no(item.get("book_value") == 0 if is_number(item.get("book_value")) else None),
                        "fund_allows_donation": _yes_no(item.get("fund_allows_donation"))},
            "vin": item.get("vin", "") or item.get("serial_number", ""),
            "quantity": str(item.get("quantity") or 1),
            "year": item.get("year", ""),
            "make": item.get("make", ""),
            "model": item.get("model", ""),
            "title_holder": text(item.get("title_holder"), lang),
            "department": text(item.get("department"), lang),
            "location": text(item.get("location"), lang),
            "fund_source": text(item.get("fund_source"), lang),
            "book_value": money(item.get("book_value"), lang, builder.currency),
            # a bilingual table names the currency after the amount, as both readers expect
            "book_value_coded": money(item.get("book_value"), "es", builder.currency),
            # what customs is told: the city's estimate of the market value, else the book value
            "customs_value": money(_customs_value(item), lang, builder.currency),
            "condition": text(item.get("condition"), lang),
            "condition_en": text(item.get("condition"), "en"),
            "condition_es": text(item.get("condition"), "es"),
        })
    departments = sorted({i["department"] for i in items if i["department"]})

    def person(key):
        """The head of the receiving body (letters) or its legal representative (the release)."""
        p = recipient.get(key) if isinstance(recipient.get(key), dict) else {}
        title = official_title(p, lang) if p else ""
        power = p.get("power_of_attorney") if isinstance(p.get("power_of_attorney"), dict) else {}
        return {"name": p.get("name", ""), "title": title,
                "salutation": salutation(title, p, lang) if p else "",
                "power_of_attorney": {"reference": power.get("reference", ""), "date": builder.date(power.get("date"), lang),
                                      "notary": text(power.get("notary"), lang)}}

    return {
        "id": d.get("id", ""),
        "status": d.get("status", ""),
        "requested_on": builder.date(d.get("requested_on"), lang),
        "asks_for": text(d.get("asks_for"), lang),
        "availability": {"authorized_by": get(d, "availability", "authorized_by") or "",
                         "authorized_on": builder.date(get(d, "availability", "authorized_on"), lang),
                         "reply_by": builder.date(get(d, "availability", "reply_by"), lang)},
        "recipient": {
            "name": recipient.get("name", ""),
            "entity_type": label("entity_type", recipient.get("entity_type"), lang),
            "a_entity_type": with_indefinite_article("entity_type", recipient.get("entity_type"), lang),
            "party": party(recipient.get("name", ""), lang),
            "rfc": recipient.get("rfc", ""),
            "authorization": get(recipient, "authorization", "reference") or "",
            "authorization_date": builder.date(get(recipient, "authorization", "date"), lang),
            "address": recipient.get("address", ""),
            "municipality": recipient.get("municipality", ""),
            "state": state_name(recipient.get("state")),
            "country": country_name(recipient.get("country", ""), lang),
            "contact": person_contact(recipient.get("contact") or {}, lang),
            "head": person("head"),
            "representative": person("representative"),
        },
        "purpose": {"category": label("purpose", get(d, "purpose", "category"), lang),
                    "description": text(get(d, "purpose", "description"), lang),
                    "description_inline": inline(text(get(d, "purpose", "description"), lang), lang,
                                                           builder.proper_names(d.get("recipient") or {}))},
        "equipment": items,
        "vehicles": [i for i in items if i["is_vehicle"]],
        "unlisted_vehicles": [i for i in items if i["unlisted_vehicle"]],
        "import_confirmation_days": d.get("import_confirmation_days", 90),
        "import_confirmation_deadline": builder.deadline(council.get("meeting_date"), d.get("import_confirmation_days", 90), lang),
        "departments": departments,
        "total_book_value": money(sum(float(i.get("book_value") or 0) for i in d.get("items", [])), lang, builder.currency),
        "total_customs_value": money(sum(_customs_value(i) for i in d.get("items", []) if isinstance(i, dict)), lang, builder.currency),
        "unvalued": any(isinstance(i, dict) and not is_number(i.get("estimated_value")) for i in d.get("items", [])),
        "designation": {"date": builder.date(get(d, "designation", "date"), lang), "signed_by": get(d, "designation", "signed_by") or ""},
        "pickup": {"name": pickup.get("name", ""), "id_type": label("id_type", pickup.get("id_type"), lang),
                   "picked_up_on": builder.date(pickup.get("picked_up_on"), lang),
                   "id_number_label": label("id_number", pickup.get("id_type") or "other", lang),
                   "phone": pickup.get("phone", "")},
        "council": {"resolution_number": council.get("resolution_number", ""),
                    "meeting_date": builder.date(council.get("meeting_date"), lang)},
    }


def off_permit_list(item: dict) -> bool:
    """A used vehicle of a type the donation permit list does not cover: its import is not assured,
    so the council's condition (the customs broker's written confirmation) applies to it."""
    return item.get("category") == "vehicle" and item.get("vehicle_type") not in _permit_listed_vehicle_types()


@lru_cache(maxsize=1)
def _permit_listed_vehicle_types() -> tuple[str, ...]:
    """The used-vehicle types the Secretaría de Economía permit list covers, read from the donation
    schema (the single place the list lives, next to the check that warns about the others)."""
    from pipeline.schemas import field_rules

    return tuple(field_rules("donation", ("items", "schema", "schema", "vehicle_type")).get("permit_listed", ()))
