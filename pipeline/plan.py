"""Plan stage: which documents each valid record yields, and which gates hold others back.

A plan is plain data (record id, template, language, formats, final or draft), so rendering
can run in any process and the manifest can say where every file came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipeline.context import text
from pipeline.dates import parse_date
from pipeline.rules.values import get

ADOPTED = ("council_approved", "signed", "submitted_to_sci", "active")
NEW_RELATIONSHIP = ("prospective", "proposed")
DONATION_APPROVED = ("council_approved", "picked_up")
ARCHIVAL = "pdfa"  # the format name of a PDF/A-3b archival copy carrying its source record
DOCX_DOCUMENTS = ("partnership_resolution", "introduction_letter", "agreement", "agreement_bilingual",
                  "donation_resolution", "approval_letter")  # the rest are PDF only


@dataclass(frozen=True)
class DocumentPlan:
    record_id: str
    record_kind: str
    document: str  # the template's stem in templates_<lang>/
    lang: str
    formats: tuple[str, ...]
    final: bool = True  # False: DRAFT — FOR LEGAL REVIEW watermark
    variant: str = ""  # e.g. the city's or the recipient's copy, or the department notified
    title: str = ""

    @property
    def name(self) -> str:
        """The file name without extension: <document>[-<variant>].<lang>."""
        return f"{self.document}{'-' + self.variant if self.variant else ''}.{self.lang}"

    @property
    def doc_id(self) -> str:
        return f"{self.record_id}/{self.name}"

    def path(self, fmt: str) -> str:
        """Where the file goes inside out/<batch>/; archival PDF/A copies live in their own tree."""
        if fmt == ARCHIVAL:
            return f"archival/{self.record_kind}s/{self.record_id}/{self.name}.pdf"
        return f"{self.record_kind}s/{self.record_id}/{self.name}.{fmt}"


@dataclass(frozen=True)
class HeldBack:
    record_id: str
    document: str
    reason: str


@dataclass
class Plan:
    documents: list[DocumentPlan] = field(default_factory=list)
    held_back: list[HeldBack] = field(default_factory=list)


def plan(batch, report, as_of: dt.date) -> Plan:
    """Documents for every record that no error blocks; gates decide drafts and held-back ones."""
    blocked = set(report.blocked())
    result = Plan()
    for record in batch.records:
        if record.id in blocked:
            result.held_back.append(HeldBack(record.id, "*", "the record has errors (see the findings)"))
            continue
        planner = _plan_partnership if record.kind == "partnership" else _plan_donation
        planner(record, as_of, result)
    return result


# The title each language's copy carries in its metadata and its running header.
TITLES = {
    "partnership_resolution": {"en": "Council resolution", "es": "Resolución del concejo"},
    "donation_resolution": {"en": "Council resolution", "es": "Resolución del concejo"},
    "introduction_letter": {"en": "Letter of introduction", "es": "Carta de presentación"},
    "agreement": {"en": "Partnership agreement", "es": "Acuerdo de hermanamiento"},
    "agreement_bilingual": {"en": "Partnership agreement", "es": "Acuerdo de hermanamiento"},
    "approval_letter": {"en": "Donation approval letter", "es": "Carta de aprobación de la donación"},
    "release_receipt": {"en": "Release and receipt", "es": "Acta de entrega-recepción"},
}


def _both(record, document, formats, **kw) -> list[DocumentPlan]:
    return [DocumentPlan(record.id, record.kind, document, lang, formats, title=TITLES[document][lang], **kw)
            for lang in ("en", "es")]


def _resolutions(record, document, adopted: bool, result: Plan) -> None:
    """Both languages; the English text is the official one, archived as PDF/A once adopted."""
    english, spanish = _both(record, document, ("pdf", "docx"))
    if adopted:
        english = DocumentPlan(**{**english.__dict__, "formats": ("pdf", "docx", ARCHIVAL)})
    else:
        result.held_back.append(HeldBack(record.id, f"{document} (archival PDF/A)",
                                         "archived once the council has adopted the resolution"))
    result.documents += [english, spanish]


def _plan_partnership(record, as_of, result: Plan) -> None:
    data = record.data
    status = data.get("status")
    council_adopted = adopted(data, ADOPTED, as_of)
    _resolutions(record, "partnership_resolution", council_adopted, result)
    if status in NEW_RELATIONSHIP:
        result.documents += _both(record, "introduction_letter", ("pdf", "docx"))
    else:
        result.held_back.append(HeldBack(record.id, "introduction_letter",
                                         f"not needed: the relationship is {status}, past introductions"))
    final = get(data, "legal_review", "status") == "approved" and council_adopted
    formats = ("pdf", "docx", ARCHIVAL) if final else ("pdf", "docx")  # a draft is never archived
    for document in ("agreement", "agreement_bilingual"):
        result.documents += _both(record, document, formats, final=final)
    if not final:
        result.held_back.append(HeldBack(record.id, "agreement (final, archival PDF/A)",
                                         "drafts only until legal review is approved and the council has adopted the resolution"))


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


def _plan_donation(record, as_of, result: Plan) -> None:
    data = record.data
    approved = adopted(data, DONATION_APPROVED, as_of)
    _resolutions(record, "donation_resolution", approved, result)
    later = ["approval_letter", "notice", "release_receipt"]
    if not approved:
        result.held_back += [HeldBack(record.id, d, "waits for council approval of the donation") for d in later]
        return
    result.documents += _both(record, "approval_letter", ("pdf", "docx"))
    items = data.get("items", [])
    # Notices are English, and named by the department's English name.
    for department in sorted({text(i.get("department"), "en") for i in items if isinstance(i, dict) and i.get("department")}):
        result.documents.append(DocumentPlan(record.id, record.kind, "notice", "en", ("pdf",),
                                             variant=_slug(department), title=f"Notice to {department}"))
    if any(isinstance(i, dict) and i.get("category") == "vehicle" for i in items):
        result.documents.append(DocumentPlan(record.id, record.kind, "notice", "en", ("pdf",), variant="fleet",
                                             title="Notice to Fleet Management"))
    # The city's copy carries the pickup ID number; the recipient's copy never does.
    result.documents.append(DocumentPlan(record.id, record.kind, "release_receipt", "en", ("pdf",), variant="city-copy",
                                         title=TITLES["release_receipt"]["en"]))
    result.documents.append(DocumentPlan(record.id, record.kind, "release_receipt", "es", ("pdf",), variant="recipient-copy",
                                         title=TITLES["release_receipt"]["es"]))


def _slug(text: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in out.split("-") if part)
