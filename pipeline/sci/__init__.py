"""SCI submission: a signed scan in; an archived original, a packet and a ready-to-send message out.

After the signing ceremony the signed agreement goes to Sister Cities International's membership
office, which lists the partnership and issues its certificate. This stage checks the scan and
the record, keeps the scan byte for byte in an append-only archive with its SHA-256, builds the
packet (cover letter, partnership summary, the signed pages) and an e-mail addressed to SCI,
and can deliver that e-mail over SMTP.

Every check, the packet and the message are made before the first byte is written, so a refused
submission leaves the archive and the output folder as they were. The ledger line is the commit
point: a partnership already in the ledger has been submitted, and a second submission is refused.
The packet leaves the city: it carries professional contacts (name, title, organization, e-mail)
and never phone numbers, ID numbers or anything from donation pickups.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pypdf import PdfReader

from pipeline.dates import parse_date
from pipeline.output import OutputWriter
from pipeline.records import display_path, load_batch
from pipeline.render import reread_templates
from pipeline.rules.values import get
from pipeline.sci.eligibility import (final_agreement, find_partnership, membership_warnings, refuse_if_generated,
                                     require_signed)
from pipeline.sci.ledger import LEDGER, archive, read_ledger, record_delivery, recorded_message, refuse_if_in_ledger
from pipeline.sci.mail import SmtpSettings, deliver_archived, deliver_or_explain, message, sender_address
from pipeline.sci.packet import OUTLINE, SCI_MEMBERSHIP, packet, packet_context
from pipeline.sci.scan import Scan, verify_scan
from pipeline.signed_pdf import fully_signed, load_trust_roots

# the command's API, and what the tests reach for; each name lives in the module of its concern
__all__ = ["LEDGER", "MESSAGE_FILE", "OUTLINE", "PACKET_FILE", "SCI_MEMBERSHIP", "SciResult", "SmtpSettings", "packet",
           "packet_context", "read_ledger", "refuse_if_in_ledger", "resend", "submit", "verify_scan"]

PACKET_FILE = "sci-packet.pdf"
MESSAGE_FILE = "sci-submission.eml"


@dataclass
class SciResult:
    partnership_id: str
    scan: Scan
    agreement: str  # the generated agreement the scan matches, inside out/<batch>/
    archived: Path
    ledger: Path
    packet: Path
    packet_pages: int
    message: Path
    recipient: str
    record_file: str  # the partnership's YAML file, where the clerk records the submission
    submitted_on: dt.date
    sent_via: str = ""  # host:port once delivered
    warnings: list[str] = field(default_factory=list)


# --- the one entry point: the command's flow ---------------------------------------------------

def submit(batch_folder: Path, partnership_id: str, scan_path: Path, out_root: Path = Path("out"),
           archive_root: Path = Path("records/signed"), *, agreement: str = "bilingual", send: bool = False,
           as_of: dt.date | None = None, environ=None, overrides: Path | None = None, trust_roots=()) -> SciResult:
    """Check everything, then write the packet and message, archive the scan, and (with send) deliver.
    A digitally signed PDF is accepted as well as a scan: its signatures must cover the generated
    agreement and fill every signature line; `trust_roots` (certificate files) say whose chains to trust."""
    environ = os.environ if environ is None else environ
    as_of = as_of or dt.date.today()
    reread_templates()
    archive_root = Path(archive_root)
    smtp = SmtpSettings.from_environment(environ) if send else None

    batch = load_batch(Path(batch_folder))
    record = find_partnership(batch, partnership_id)
    ledger = read_ledger(archive_root)
    refuse_if_in_ledger(ledger, archive_root, record.id)
    require_signed(batch, record, as_of)
    out_folder = Path(out_root) / batch.name
    agreement_path, agreement_pages, generated = final_agreement(out_folder, batch, record.id, agreement)
    roots = load_trust_roots(trust_roots)
    scan = verify_scan(Path(scan_path), agreement_pages, display_path(out_folder / agreement_path),
                       signed=partial(fully_signed, generated=generated, generated_shown=display_path(out_folder / agreement_path),
                                      trust_roots=roots))
    refuse_if_in_ledger(ledger, archive_root, record.id, scan.sha256)
    refuse_if_generated(out_folder, scan.sha256, display_path(Path(scan_path)))
    sender = sender_address(batch.city.data, environ)
    packet_pdf = packet(batch, record, scan, as_of, agreement, overrides)
    packet_pages = len(PdfReader(io.BytesIO(packet_pdf)).pages)
    email = message(batch, record, sender, packet_pdf, packet_pages, as_of, scan.data if scan.digital is not None else None)
    eml = email.as_bytes()

    # Everything is checked and made: from here on, files are written. The ledger line comes last.
    writer = OutputWriter(out_folder / "sci" / record.id)
    signed_on = parse_date(get(record.data, "signing", "date"), batch.city.data.get("date_order"))
    entry = archive(scan, archive_root, record.id, batch.name, signed_on,
                    write_outputs=lambda: (writer.write(PACKET_FILE, packet_pdf), writer.write(MESSAGE_FILE, eml)),
                    message=eml)
    result = SciResult(record.id, scan, agreement_path, archive_root / entry["file"], archive_root / LEDGER,
                       writer.target(PACKET_FILE), packet_pages, writer.target(MESSAGE_FILE), SCI_MEMBERSHIP.addr_spec,
                       record.file, as_of, warnings=membership_warnings(batch.city.data))
    if smtp is not None:
        result.sent_via = deliver_archived(email, smtp, result, "The scan is archived",
                                           f"sisterdocs sci {batch.name} {record.id}", archive_root, entry)
    return result


@dataclass
class Resent:
    partnership_id: str
    archived: Path  # what the message carries, as archived
    message: Path
    recipient: str
    sent_via: str


def resend(partnership_id: str, archive_root: Path = Path("records/signed"), *, notice: bool = False,
           environ=None) -> Resent:
    """Send a recorded submission (or status notice) again, on purpose: the archived message, byte
    for byte, checked against its ledger line; the attempt is recorded like the first."""
    environ = os.environ if environ is None else environ
    archive_root = Path(archive_root)
    entry, eml = recorded_message(archive_root, partnership_id, notice)  # first: is there anything to send?
    smtp = SmtpSettings.from_environment(environ)
    result = Resent(partnership_id, archive_root / entry["file"], archive_root / entry["message"],
                    SCI_MEMBERSHIP.addr_spec, "")
    result.sent_via = deliver_or_explain(eml, smtp, result, "Nothing changed in the archive",
                                         "try --resend again later, or send the archived .eml from your mail program",
                                         partial(record_delivery, archive_root, entry, resent=True))
    return result


