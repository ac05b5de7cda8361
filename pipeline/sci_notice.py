"""Written notice to SCI of a relationship's change of status, through the path `sci` uses.

DOMAIN: an emeritus designation or a termination needs the mayor's letter to the partner AND
written notice to Sister Cities International; a renewal is reported the same way. Once the
council has adopted the change and the record has the day the mayor's letter went out, this
joins what `build` wrote — the notice, the act as adopted and the mayor's letter — into one PDF,
addresses it to SCI's membership office, keeps the PDF read-only in the archive beside the
signed agreements, and appends its ledger line, the commit point: a second notice of the same
change is refused. Everything is checked and made before the first byte is written.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from pipeline.context import ContextBuilder
from pipeline.documents import partnership
from pipeline.documents.council import adopted
from pipeline.errors import SubmissionError
from pipeline.output import OutputWriter, sha256
from pipeline.plan import DocumentPlan
from pipeline.records import display_path, load_batch
from pipeline.rules.partnership import SCI_REGISTERED
from pipeline.rules.values import get
from pipeline.sci.eligibility import built_file, find_partnership
from pipeline.sci.ledger import LEDGER, append_to_ledger, read_ledger
from pipeline.sci.mail import SmtpSettings, deliver_archived, mail_to_sci, sender_address
from pipeline.sci.packet import SCI_MEMBERSHIP
from pipeline.validate import validate

# What the notice carries, in order: (document, format, what a refusal calls it).
# The act goes as its regular PDF: the archival PDF/A copy embeds the whole record, contacts and all.
PARTS = (("sci_notice", "pdf", "notice to SCI"), ("status_resolution", "pdf", "act of the council"),
         ("status_letter", "pdf", "mayor's letter to the partner"))


@dataclass
class NoticeResult:
    partnership_id: str
    action: str
    packet: Path
    pages: int
    message: Path
    archived: Path
    ledger: Path
    recipient: str
    record_file: str
    sent_on: dt.date
    sent_via: str = ""


def notify(batch_folder: Path, partnership_id: str, out_root: Path = Path("out"),
           archive_root: Path = Path("records/signed"), *, send: bool = False, as_of: dt.date | None = None,
           environ=None) -> NoticeResult:
    """Check the record and the built documents, then write, archive, commit and (with send) deliver."""
    environ = os.environ if environ is None else environ
    as_of = as_of or dt.date.today()
    smtp = SmtpSettings.from_environment(environ) if send else None
    batch = load_batch(Path(batch_folder))
    record = find_partnership(batch, partnership_id)
    action = require_notice_due(batch, record, as_of)
    archive_root = Path(archive_root)
    refuse_if_notified(read_ledger(archive_root), archive_root, record.id, action)
    out_folder = Path(out_root) / batch.name
    packet_pdf, pages = notice_packet(out_folder, batch, record.id)
    sender = sender_address(batch.city.data, environ)
    email = notice_message(batch, record, sender, packet_pdf, pages, as_of)

    writer = OutputWriter(out_folder / "sci" / record.id)
    packet_name, message_name = f"sci-notice-{action}.pdf", f"sci-notice-{action}.eml"
    eml = email.as_bytes()
    entry = archive_notice(packet_pdf, archive_root, record.id, batch.name, action, pages, as_of,
                           write_outputs=lambda: (writer.write(packet_name, packet_pdf), writer.write(message_name, eml)),
                           message=eml)
    result = NoticeResult(record.id, action, writer.target(packet_name), pages, writer.target(message_name),
                          archive_root / entry["file"], archive_root / LEDGER, SCI_MEMBERSHIP.addr_spec, record.file, as_of)
    if smtp is not None:
        result.sent_via = deliver_archived(email, smtp, result, "The notice is archived",
                                           f"sisterdocs sci-notice {batch.name} {record.id}", archive_root, entry)
    return result


def require_notice_due(batch, record, as_of: dt.date) -> str:
    """A status change the council has adopted, the partner told by letter, a kind SCI lists, and
    a record without errors: the action it notifies."""
    data, where = record.data, f"{record.file} ({record.id})"
    change = partnership.status_change(data)
    if change is None:
        raise SubmissionError(f"{where}: no status change is recorded, so there is nothing to notify  → add status_change: "
                              "(action renewal, emeritus or termination, reasons, council) and take it to the council first")
    action = str(change.get("action"))
    if data.get("kind") not in SCI_REGISTERED:
        raise SubmissionError(f"{where}: a {data.get('kind')} is not listed by Sister Cities International, so it is not "
                              "notified  → nothing to send; the mayor's letter to the partner is the notice")
    if not adopted(partnership.says_adopted, data, as_of, partnership.CHANGE_ACT):
        raise SubmissionError(f"{record.file}:{record.line(('status_change', 'council'))} ({record.id}): the council has not "
                              f"adopted the {action} yet  → after the meeting record status_change.council.adopted: true "
                              "and its vote, build again, then notify SCI")
    if not get(change, "letter_date"):
        raise SubmissionError(f"{record.file}:{record.line(('status_change',))} ({record.id}): the mayor's letter to the "
                              "partner has no date: the partner hears it before SCI  → send the letter, record "
                              "status_change.letter_date, build again, then notify SCI")
    errors = [f for f in validate(batch, as_of=as_of).errors if f.record == record.id or f.kind == "city"]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SubmissionError(f"{errors[0].text()}{more}  → fix the record first: `sisterdocs check "
                              f"{display_path(batch.folder)}` lists every error")
    return action


def refuse_if_notified(ledger: list[dict], archive_root: Path, partnership_id: str, action: str) -> None:
    for entry in ledger:
        if entry.get("partnership") == partnership_id and entry.get("notice") == action:
            raise SubmissionError(f"{partnership_id}: SCI was already given notice of the {action}: archived "
                                  f"{entry.get('archived_at', '?')} as {display_path(archive_root / str(entry.get('file', '')))}"
                                  "; a second notice is refused  → nothing to do")


def notice_packet(out_folder: Path, batch, partnership_id: str) -> tuple[bytes, int]:
    """The three documents as `build` wrote them, joined in order into one PDF."""
    writer = PdfWriter()
    for document, fmt, what in PARTS:
        relative = DocumentPlan(partnership_id, "partnership", document, "en", (fmt,)).path(fmt)
        data = built_file(out_folder, batch, relative, partnership_id, what,
                          "it is built once the council has adopted the change  → record it and run {rebuild}")
        writer.append(PdfReader(io.BytesIO(data)))
    writer.add_metadata({"/Title": "Notice to Sister Cities International", "/Producer": "sisterdocs"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue(), len(writer.pages)


def notice_message(batch, record, sender: Address, packet_pdf: bytes, pages: int, as_of: dt.date) -> EmailMessage:
    """The e-mail to SCI's membership office; fixed Date, Message-ID and boundary, so the same bytes each run."""
    contexts = ContextBuilder(batch)
    city, p = contexts.city("en"), contexts.view(record, "en")
    change = p["change"]
    attachment = f"{record.id}-sci-notice-{change['action']}.pdf"
    paragraphs = [
        "Dear Membership Office,",
        f"The {city['legal_name']}, {city['state']}, {city['country']}, gives written notice of a change in the status "
        f"of its {p['kind'].lower()} relationship with {p['partner']['name']}, {p['partner']['state']}, "
        f"{p['partner']['country']}: {change['noun']}, by Resolution No. {change['council']['resolution_number']} "
        f"of {change['council']['meeting_date']}.",
        f"The attached PDF ({attachment}, {pages} pages) holds our notice, the resolution as adopted and the "
        "Mayor's letter to the partner.",
        "Sincerely,",
    ]
    signer = city["international_affairs"]
    subject = f"{change['subject']}: {city['name']}, {city['state']} – {p['partner']['name']}, {p['partner']['state']}"
    return mail_to_sci(sender, subject, paragraphs, (signer.get("name"), signer.get("title"), city["legal_name"]),
                       attachment, packet_pdf, f"sci-notice.{record.id}", as_of)


def archive_notice(packet_pdf: bytes, archive_root: Path, partnership_id: str, batch_name: str, action: str,
                   pages: int, sent_on: dt.date, write_outputs=lambda: None, message: bytes = b"") -> dict:
    """Keep what was sent, read-only, then append its ledger line under the ledger's lock (the commit)."""
    relative = f"{partnership_id}/sci-notice-{action}-{sent_on.isoformat()}-{sha256(packet_pdf)[:12]}.pdf"
    return append_to_ledger(archive_root, relative, packet_pdf, pages,
                            {"partnership": partnership_id, "notice": action, "batch": batch_name},
                            lambda ledger: refuse_if_notified(ledger, archive_root, partnership_id, action), write_outputs,
                            message)
