"""Whether a partnership may go to SCI: the record says it is signed and not yet submitted, and
`build` wrote its final agreement (the text the scan must match)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from pypdf import PdfReader

from pipeline.errors import SubmissionError, one_line
from pipeline.output import MANIFEST, sha256
from pipeline.plan import DocumentPlan
from pipeline.records import display_path
from pipeline.rules.values import get, present
from pipeline.validate import validate

# --agreement: which generated agreement the scan was printed from (document, language).
AGREEMENT_VERSIONS = {"bilingual": ("agreement_bilingual", "en"), "en": ("agreement", "en"), "es": ("agreement", "es")}
NOT_SIGNED_YET = ("prospective", "proposed", "council_approved")
ALREADY_SUBMITTED = ("submitted_to_sci", "active", "emeritus", "terminated")


def find_partnership(batch, partnership_id: str):
    for record in batch.of_kind("partnership"):
        if record.id == partnership_id:
            return record
    known = ", ".join(sorted(r.id for r in batch.of_kind("partnership"))) or "none"
    raise SubmissionError(f"{display_path(batch.folder)}: no partnership with id {partnership_id!r} "
                          f"(partnerships in this batch: {known})  → give the id written in the record's 'id:' field")


def require_signed(batch, record, as_of: dt.date) -> None:
    """Only a signed agreement, recorded with its date, place and both signatories, goes to SCI."""
    data, where = record.data, f"{record.file} ({record.id})"
    status = data.get("status")
    if status in ALREADY_SUBMITTED or isinstance(data.get("sci_submission"), dict):
        raise SubmissionError(f"{where}: already submitted to SCI (status {status}"
                              f"{', sci_submission recorded' if data.get('sci_submission') else ''}); a second submission "
                              "is refused  → nothing to do; to replace the copy SCI has, write to its membership office")
    if status in NOT_SIGNED_YET:
        raise SubmissionError(f"{where}: not signed yet (status {status})  → after the signing ceremony set "
                              "status: signed and add signing: {date, place, signatories: {city, partner}}, then run sci again")
    if status != "signed":
        raise SubmissionError(f"{where}: status is {status}; only a partnership with status signed goes to SCI  "
                              "→ set status: signed with its signing record if it was signed under this program")
    missing = [name for name, path in (("date", ("date",)), ("place", ("place",)), ("signatories.city", ("signatories", "city")),
                                       ("signatories.partner", ("signatories", "partner")))
               if not present(get(data, "signing", *path))]
    if missing:
        raise SubmissionError(f"{record.file}:{record.line(('signing',))} ({record.id}): the signing record lacks "
                              f"{', '.join(missing)}  → add them under signing:, the signatories' names as printed under "
                              "the signatures")
    report = validate(batch, as_of=as_of)
    errors = [f for f in report.errors if f.record == record.id or f.kind == "city"]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SubmissionError(f"{errors[0].text()}{more}  → fix the record first: `sisterdocs check "
                              f"{display_path(batch.folder)}` lists every error")


def membership_warnings(city: dict) -> list[str]:
    status = get(city, "sci_membership", "status")
    if status == "good_standing":
        return []
    return [f"the city's SCI membership is {status} (sci_membership.status in city.yaml): SCI lists partnerships "
            "only of members in good standing; renew the membership so this one is recognized"]


# --- the generated agreement the scan must match --------------------------------------------------

def final_agreement(out_folder: Path, batch, partnership_id: str, version: str) -> tuple[str, int, bytes]:
    """The final (non-draft) agreement that `build` wrote, as (path inside out/<batch>/, page count, bytes)."""
    document, lang = AGREEMENT_VERSIONS[version]
    relative = DocumentPlan(partnership_id, "partnership", document, lang, ("pdf",)).path("pdf")
    data = built_file(out_folder, batch, relative, partnership_id, "agreement",
                      "the final agreement is built only after legal approval and the council adoption  → record "
                      "legal_review (status approved, reviewer, date) and the council meeting, run {rebuild}, "
                      "and submit the scan of that final agreement")
    return relative, len(PdfReader(io.BytesIO(data)).pages), data


def built_file(out_folder: Path, batch, relative: str, partnership_id: str, what: str, not_final: str) -> bytes:
    """The bytes of a final document `build` wrote, as its manifest lists them: never a draft,
    never a file edited or damaged since. `not_final` says what makes it final ({rebuild} is filled in)."""
    manifest_path = out_folder / MANIFEST
    rebuild = f"`sisterdocs build {display_path(batch.folder)}`"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SubmissionError(f"{display_path(manifest_path)}: not found, so there is no generated {what} to send "
                              f"→ run {rebuild} first (or give --out where it wrote)") from None
    except (OSError, ValueError) as exc:
        raise SubmissionError(f"{display_path(manifest_path)}: unreadable ({one_line(exc)})  → run {rebuild} again") from None
    entry = next((f for f in manifest.get("files", []) if isinstance(f, dict) and f.get("path") == relative), None)
    if entry is None or not entry.get("final"):
        state = "only a DRAFT" if entry else "no"
        raise SubmissionError(f"{display_path(manifest_path)}: {state} {what} for {partnership_id} ({relative}); "
                              + not_final.format(rebuild=rebuild))
    path = out_folder / relative
    try:
        data = path.read_bytes()
    except OSError:
        raise SubmissionError(f"{display_path(path)}: listed in the manifest but missing  → run {rebuild} again") from None
    if sha256(data) != entry.get("sha256"):
        raise SubmissionError(f"{display_path(path)}: changed since the build (its SHA-256 differs from the manifest)  "
                              f"→ run {rebuild} again; never edit generated files by hand")
    return data


def refuse_if_generated(out_folder: Path, scan_sha: str, shown: str) -> None:
    """A PDF `build` wrote, given as the signed scan, is the unsigned text: its hash is in the manifest."""
    try:
        files = json.loads((out_folder / MANIFEST).read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return  # built_file has already refused an unreadable manifest
    generated = next((f.get("path") for f in files if isinstance(f, dict) and f.get("sha256") == scan_sha), None)
    if generated:
        raise SubmissionError(f"{shown}: is {generated} exactly as `build` wrote it, not signed  → print it, have it "
                              "signed, and give the scan of the signed copy")


