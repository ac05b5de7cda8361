"""Is the approved text the text? A legal review names the revision it approved; a record, city
profile or template that has changed the text since sends the agreement back to DRAFT."""

from __future__ import annotations

from pathlib import Path

from pipeline import review
from pipeline.records import display_path
from pipeline.rules import templates
from pipeline.rules.values import get


def check(batch, report, overrides: Path | None = None) -> None:
    """Runs last: a record with errors, or any error in city.yaml or batch.yaml, stops the build before
    anything is rendered, so there is no text to compare."""
    from pipeline.render import RenderError  # (review.current renders already: no cost added)

    blocked = {f.record for f in report.errors}
    if any(f.kind in ("city", "batch") for f in report.errors):
        return
    for record in batch.records:
        if record.id in blocked:
            continue  # a record with errors is not rendered, so its text has no revision
        try:
            _check_record(batch, record, report, overrides)
        except RenderError as error:  # a city's own template that fails while rendering
            templates.rendering_failed(batch.city, report, error)
            return


def _check_record(batch, record, report, overrides) -> None:
    """The record's adopted acts, and its approved agreement, against the texts they would print now."""
    _check_adopted_texts(batch, record, report, overrides)
    if record.kind not in review.REVIEWED:
        return
    approval = record.data.get("legal_review")
    if not isinstance(approval, dict) or approval.get("status") != "approved":
        return
    approved = str(approval.get("revision") or "").strip()
    current = review.current(batch, record, overrides)
    redline = f"sisterdocs redline {batch.name} {record.id}"
    if not approved:
        report.add(record, "legal_review.revision", ("legal_review",),
                   f"the approval by {approval.get('reviewer') or 'the legal office'} does not say which text it "
                   f"approved; the agreement stays a DRAFT (its text is now rev. {current.revision}, printed in the "
                   "footer of every copy)",
                   f"if the legal office approved the text of rev. {current.revision}, add 'revision: "
                   f"{current.revision}' under legal_review; otherwise have it review that text first")
        report.unreviewed[record.id] = f"the approval names no revision (the text is rev. {current.revision})"
        return
    if approved == current.revision:
        return
    changed = _what_changed(batch, record.id, approved, current)
    signed = get(record.data, "signing", "date")
    if signed:  # the parties signed the approved text: a new text is not theirs to approve
        report.add(record, "legal_review.stale", ("legal_review", "revision"),
                   f"the agreement was signed on {signed} with the text of rev. {approved}; the records now make rev. "
                   f"{current.revision} ({changed}), so the copies built are not the signed agreement and are marked DRAFT",
                   f"undo the change ({redline} --from {approved} shows it); the signed text changes only by an "
                   "amendment both parties sign")
    else:
        report.add(record, "legal_review.stale", ("legal_review", "revision"),
                   f"the legal office approved rev. {approved} of the agreement on {get(approval, 'date') or '?'}; "
                   f"the text is now rev. {current.revision} ({changed}); the agreement is a DRAFT again",
                   f"have the legal office review the changes ({redline} --from {approved}) and record 'revision: "
                   f"{current.revision}' with its new approval, or undo the change")
    report.unreviewed[record.id] = f"the text changed after the approval of rev. {approved} (now rev. {current.revision})"


def _what_changed(batch, record_id: str, old_revision: str, current) -> str:
    """"changed: fields a, b; templates c", from the kept revision (or why it cannot be said)."""
    old = review.kept(batch.folder, record_id, old_revision, current.group)
    if review.is_light(current):  # the text as it stands, known by its inputs: read whole for its fields
        current = review.kept(batch.folder, record_id, current.revision, current.group)
        if current is None:
            return "the current revision's file was removed during the check, so what changed cannot be shown"
    if old is None:
        folder = display_path(review.store_path(batch.folder, record_id, old_revision, current.group).parent)
        return f"rev. {old_revision} is not kept under {folder}, so what changed cannot be shown"
    fields, templates = review.what_changed(old, current)
    parts = []
    if fields:
        parts.append("fields " + ", ".join(fields[:8]) + (f" and {len(fields) - 8} more" if len(fields) > 8 else ""))
    if templates:
        parts.append("templates " + ", ".join(templates))
    return "changed: " + ("; ".join(parts) if parts else "the program's own wording (no field or template)")


def _check_adopted_texts(batch, record, report, overrides) -> None:
    """An act the council adopted keeps its words under its number: a build that would print other
    words under the same number is refused (the error blocks the record)."""
    for document, act in review.ADOPTED.get(record.kind, {}).items():
        number = review.act_number(record, document)
        adopted = review.adoptions(batch.folder, record.id, document).get(number) if number else None
        if not isinstance(adopted, dict) or not adopted.get("revision"):
            continue
        current = review.current(batch, record, overrides, document)
        if current.revision == adopted["revision"]:
            continue
        changed = _what_changed(batch, record.id, adopted["revision"], current)
        report.add(record, "resolution.adopted_text", (*act, "resolution_number"),
                   f"Resolution No. {number} was adopted with the text of rev. {adopted['revision']}; the records now make "
                   f"rev. {current.revision} ({changed}), and an adopted text is never printed differently under its number",
                   "undo the change; if the council has amended the act, record the amending resolution's number, meeting "
                   "and vote as the act, so the new text prints under its own number")

