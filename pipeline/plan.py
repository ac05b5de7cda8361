"""Plan stage: which documents each valid record yields, and which gates hold others back.

A plan is plain data (record id, template, language, formats, final or draft), so rendering
can run in any process and the manifest can say where every file came from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

ARCHIVAL = "pdfa"  # the format name of a PDF/A-3b archival copy carrying its source record


@dataclass(frozen=True)
class DocumentPlan:
    record_id: str
    record_kind: str
    document: str  # the template's stem in templates_<lang>/<record_kind>/
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
    def template(self) -> str:
        """The template's name without extension: each process keeps its own in its own folder."""
        return f"{self.record_kind}/{self.document}"

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
    from pipeline.documents import process  # each process plans its own documents

    blocked = set(report.blocked())
    result = Plan()
    for record in batch.records:
        if record.id in blocked:
            result.held_back.append(HeldBack(record.id, "*", "the record has errors (see the findings)"))
            continue
        process(record.kind).plan(record, as_of, result)
    _agenda_items_only_for_this_agenda(batch, result)
    _drafts_until_the_text_is_approved(report.unreviewed, result)
    return result


def _drafts_until_the_text_is_approved(unreviewed: dict[str, str], result: Plan) -> None:
    """An approval covers the text it names: a record whose text changed since (or whose approval
    names none) gets its reviewed documents as drafts, never final, never archived."""
    from pipeline.review import REVIEWED

    for i, doc in enumerate(result.documents):
        if doc.record_id in unreviewed and doc.final and doc.document in REVIEWED.get(doc.record_kind, ()):
            result.documents[i] = replace(doc, final=False, formats=tuple(f for f in doc.formats if f != ARCHIVAL))
    for record_id, why in unreviewed.items():
        result.held_back.append(HeldBack(record_id, "agreement (final, archival PDF/A)", f"a draft again: {why}"))


def _agenda_items_only_for_this_agenda(batch, result: Plan) -> None:
    """An agenda item is the memo filed for this meeting: a record in the batch for the steps after
    an earlier meeting's act (or before any) gets none, or its memo would carry this meeting's date."""
    on_agenda = batch.agenda()
    off = [d for d in result.documents if d.document == "agenda_item" and d.record_id not in on_agenda]
    for doc in off:
        result.documents.remove(doc)
        result.held_back.append(HeldBack(doc.record_id, doc.document, "made only for a record on this meeting's agenda"))


def both_languages(record, document: str, formats, titles: dict, **kw) -> list[DocumentPlan]:
    """The English and the Spanish copy of one document, each titled in its own language."""
    return [DocumentPlan(record.id, record.kind, document, lang, formats, title=titles[document][lang], **kw)
            for lang in ("en", "es")]


