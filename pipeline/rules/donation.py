"""The equipment-donation process: what every item and request must show before council acts."""

from __future__ import annotations

from decimal import Decimal

from pipeline.rules.values import Env, get, is_number, present

APPROVED = ("council_approved", "picked_up")


def check(record, report, env: Env) -> None:
    data = record.data
    _check_donee(record, report, data)
    _check_signatories(record, report, data)
    items = data.get("items")
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            _check_item(record, report, ("items", i), item)
            if data.get("status") in APPROVED and not is_number(item.get("estimated_value")):
                report.add(record, "customs.value", ("items", i, "estimated_value"),
                           "the donation letter for customs gives no estimated value for this item, only its book value of $0.00, "
                           "which leaves the customs broker nothing to declare",
                           "add estimated_value: the item's market value in its present condition (a good-faith estimate)")
            if data.get("status") in APPROVED and item.get("category") != "vehicle" and not present(item.get("serial_number")):
                report.add(record, "customs.serial", ("items", i, "serial_number"),
                           "the donation letter for customs names every piece by its serial number, and this item has none",
                           "add serial_number: (for a lot, every serial or the range, e.g. 7QK2MX1 to 7QK2MY2)")
    _check_status(record, report, data, env)
    _check_department_names(record, report, items if isinstance(items, list) else [])


def _check_donee(record, report, data) -> None:
    if get(data, "recipient", "entity_type") != "donataria_autorizada":
        return
    if not present(get(data, "recipient", "rfc")):
        report.add(record, "donee.authorization", ("recipient", "rfc"),
                   "a donataria autorizada must give its RFC",
                   "add 'rfc:' with the 12-character RFC from its constancia de situación fiscal")
    if not present(get(data, "recipient", "authorization", "reference")):
        report.add(record, "donee.authorization", ("recipient", "authorization"),
                   "a donataria autorizada must give its SAT authorization to receive deductible donations",
                   "add 'authorization:' with 'reference:' (the SAT oficio number or DOF listing) and 'date:'")


def _check_signatories(record, report, data) -> None:
    """Who the letters go to and who signs the release must be able to act for the recipient."""
    for key, what in (("head", "the head of the receiving body, to whom the letters are addressed"),
                      ("representative", "the legal representative who signs the release and binds the recipient")):
        person = get(data, "recipient", key)
        if not isinstance(person, dict):
            report.add(record, "donation.signatory", ("recipient", key), f"{what} is not named",
                       f"add recipient.{key} with name, office and gender")
        elif person.get("office") == "other" and not present(person.get("title")):
            report.add(record, "donation.signatory", ("recipient", key, "title"),
                       "office is 'other', so the title must be written out", "add 'title:' with en: and es:")
    representative = get(data, "recipient", "representative")
    if isinstance(representative, dict) and representative.get("office") == "legal_representative" \
            and not isinstance(representative.get("power_of_attorney"), dict):
        report.add(record, "donation.signatory", ("recipient", "representative", "power_of_attorney"),
                   "a legal representative binds the recipient only under a power of attorney, which is not given",
                   "add power_of_attorney with the public deed's reference, date and notary")


def _check_item(record, report, path: tuple, item: dict) -> None:
    book_value = item.get("book_value")
    if is_number(book_value) and book_value != 0:
        # through Decimal: ',.2f' on an int makes a float first, and an int past 1e308 overflows it
        report.add(record, "equipment.book_value", path + ("book_value",),
                   f"the book value is ${Decimal(book_value):,.2f}; only fully depreciated equipment (book value exactly $0.00) can be donated",
                   "take the item off this request, or correct the value from the asset register")
    if item.get("in_use") is True:
        report.add(record, "equipment.in_use", path + ("in_use",), "the item is still in use by its department",
                   "donate it only once the department has released it (in_use: false)")
    if item.get("auctioned") is False:
        report.add(record, "equipment.auctioned", path + ("auctioned",), "the item has not been through the auction process",
                   "send it through auction first; donate only what did not sell")
    if item.get("fund_allows_donation") is False:
        report.add(record, "equipment.fund", path + ("fund_allows_donation",),
                   f"the fund '{_english(item.get('fund_source', '?'))}' does not allow donations",
                   "take the item off this request; Finance decides which funds allow donations")
    if item.get("category") == "vehicle":
        if not present(item.get("vin")):
            report.add(record, "vehicle.vin", path + ("vin",), "a vehicle needs its VIN",
                       "add 'vin:' with the 17 characters from the title")
        if not present(item.get("title_holder")):
            report.add(record, "vehicle.title_holder", path + ("title_holder",), "a vehicle needs its title holder",
                       "add 'title_holder:' as printed on the title (Fleet gets management's signature on it)")
        if not present(item.get("vehicle_type")):
            report.add(record, "schema.required", path + ("vehicle_type",), "a vehicle needs its vehicle_type",
                       "add 'vehicle_type:' (school_bus, garbage_truck, fire_truck, ...): Mexico permits only some used vehicles")


def _check_department_names(record, report, items: list) -> None:
    """Each department gets its own notice and availability request, named after it: two names that
    make one file name would have one department's notice overwrite the other's."""
    from pipeline.context import text
    from pipeline.documents.donation import FLEET_NOTICE, file_slug

    seen: dict[str, str] = {}
    for i, item in enumerate(items):
        name = text(item.get("department"), "en") if isinstance(item, dict) and item.get("department") else None
        if not isinstance(name, str) or not name.strip():
            continue
        slug = file_slug(name)
        if not slug:
            report.add(record, "donation.department", ("items", i, "department"),
                       f"the department name '{name}' has no Latin letter or digit to name its notice after",
                       "write the department's English name as the City's organization chart has it")
        elif slug == FLEET_NOTICE and any(isinstance(i, dict) and i.get("category") == "vehicle" for i in items):
            report.add(record, "donation.department", ("items", i, "department"),
                       f"the department name '{name}' makes the file name of the notice to Fleet Management about "
                       f"this donation's vehicle titles (notice-{slug}.en.pdf)",
                       "write the department's full name as the City's organization chart has it (e.g. 'Fleet "
                       "Services Division')")
        elif seen.setdefault(slug, name) != name:
            report.add(record, "donation.department", ("items", i, "department"),
                       f"'{name}' and '{seen[slug]}' are written differently but name one department's notice "
                       f"(notice-{slug}.en.pdf)", "write the same department the same way on every item")


def _check_status(record, report, data, env: Env) -> None:
    status = data.get("status")
    council = data.get("council")
    if status in APPROVED and not isinstance(council, dict):
        report.add(record, "donation.status", ("status",), f"status is {status} but no council action is recorded",
                   "add 'council:' with resolution_number and meeting_date, or set status: requested")
    meeting = env.date(data, "council", "meeting_date")
    if status in APPROVED and meeting and meeting > env.as_of:
        report.add(record, "donation.status", ("council", "meeting_date"),
                   f"status is {status} but the council meets on {meeting.isoformat()}",
                   "set status: requested until the council has voted")
    if status == "requested" and get(data, "council", "adopted") is True:
        # the documents follow the flag (approval letter, no more requests to the departments); the log should too
        report.add(record, "donation.adopted_status", ("status",),
                   "the council's adoption is recorded (council.adopted: true) but status is still requested",
                   "set status: council_approved")
    requested = env.date(data, "requested_on")
    if meeting and requested and meeting < requested:
        report.add(record, "donation.status", ("council", "meeting_date"),
                   f"the council meeting ({meeting.isoformat()}) is before the request ({requested.isoformat()})",
                   "correct one of the two dates")
    picked_up = get(data, "pickup", "picked_up_on")
    if status in APPROVED and not isinstance(data.get("pickup"), dict):
        report.add(record, "donation.status", ("pickup",), "the recipient has not named the person who will pick up",
                   "add 'pickup:' with name, id_type and id_number (a matching ID is checked at pickup)")
    if status == "picked_up" and not present(picked_up):
        report.add(record, "donation.status", ("pickup", "picked_up_on"), "status is picked_up but no pickup date is recorded",
                   "add 'picked_up_on:' under pickup")
    _check_pickup(record, report, data, picked_up)
    _check_steps(record, report, data)
    if status in ("requested", "council_approved") and present(picked_up):
        report.add(record, "donation.status", ("status",), f"a pickup date is recorded but status is {status}",
                   "set status: picked_up")


def _check_steps(record, report, data) -> None:
    """Appendix A's first and last steps leave a trace the later papers rely on: Management's
    authorization to search for the equipment before the council acts, and the day the letters
    went out once the donation is closed (without it each rebuild would date them anew)."""
    if isinstance(data.get("council"), dict) and not isinstance(data.get("availability"), dict):
        report.add(record, "donation.availability", ("council",),
                   "the donation goes to the council, but Management's authorization to ask the departments for the equipment "
                   "is not recorded", "add availability: {authorized_by, authorized_on} from the authorization (step 1)")
    if data.get("status") == "picked_up" and not present(data.get("letter_date")):
        report.add(record, "donation.letter_date", ("status",),
                   "the donation is closed, but the day its approval letter and notices went out is not recorded: "
                   "each rebuild would date them on the day of the build",
                   "add letter_date: the date printed on the approval letter that was sent")


def _check_pickup(record, report, data, picked_up) -> None:
    """Appendix A: the equipment goes only to the person the recipient's representative designated
    in writing, and only after staff checked that person's ID against the designation."""
    designation = data.get("designation")
    if present(picked_up) and not isinstance(designation, dict):
        report.add(record, "pickup.designation", ("pickup", "picked_up_on"),
                   "a pickup is recorded but not the recipient's written designation of the person who picked up",
                   "add designation: {date, signed_by} from the signed pickup_designation form")
    if isinstance(designation, dict) and isinstance(designation.get("signed_by"), str):
        representative = get(data, "recipient", "representative", "name")
        if isinstance(representative, str) and " ".join(designation["signed_by"].split()).casefold() != \
                " ".join(representative.split()).casefold():
            report.add(record, "pickup.designation_signer", ("designation", "signed_by"),
                       f"the designation is signed by {designation['signed_by']}, not by the recipient's representative "
                       f"({representative})", "have the recipient's representative sign the designation, or correct recipient.representative")
    if present(picked_up) and get(data, "pickup", "id_checked") is not True:
        report.add(record, "pickup.id_checked", ("pickup", "id_checked"),
                   "a pickup is recorded without the check that the ID shown matched the designation",
                   "record id_checked: true under pickup once staff has checked it (or correct the pickup)")


def _english(value) -> str:
    """A plain or {en, es} value as the English text the findings are written in; with only the
    Spanish given, that (the schema reports the missing English; the finding still names the item);
    with neither, '?'."""
    return str(value.get("en") or value.get("es") or "?") if isinstance(value, dict) else str(value)
