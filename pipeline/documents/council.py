"""What every process brings to the council: when its act counts as adopted, and the resolution
itself, planned alike for partnerships and donations."""

from __future__ import annotations

from pipeline.dates import parse_date
from pipeline.plan import ARCHIVAL, DocumentPlan, HeldBack, Plan, both_languages
from pipeline.rules.values import get

RESOLUTION_TITLE = {"en": "Council resolution", "es": "Resolución del concejo"}


def adopted(data, adopted_statuses, as_of) -> bool:
    """The council adopted the record's resolution: the record says so (a status that means it, or
    council.adopted for a grandfathered agreement), and the meeting is past. A meeting date alone
    says only that the item was on an agenda."""
    says = data.get("status") in adopted_statuses or get(data, "council", "adopted") is True
    return says and _happened(data, as_of)


def _happened(data, as_of) -> bool:
    meeting = get(data, "council", "meeting_date")
    try:
        return meeting is not None and parse_date(meeting) <= as_of
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
    result.documents += [english, spanish]
