"""The message to SCI's membership office and its delivery over SMTP (settings only from the
environment, never from records)."""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
import textwrap
from dataclasses import dataclass, field
from functools import partial
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr


from pipeline.context import ContextBuilder
from pipeline.errors import DeliveryError, SubmissionError, one_line
from pipeline.output import sha256
from pipeline.records import display_path
from pipeline.rules.values import get
from pipeline.sci.ledger import record_delivery
from pipeline.sci.packet import SCI_MEMBERSHIP, cover_signer, subject_line

# The message is written with CRLF as on the wire, and its headers fold only past 998 characters:
# the standard library's folding at 78 can split a subject around "–" into an empty encoded word
# (=?utf-8?q??=) that strict readers show raw. Bodies are encoded with 76-character lines, as MIME asks.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)
BODY_POLICY = policy.SMTP.clone(max_line_length=76)
SMTPS_PORT = 465


@dataclass(frozen=True)
class SmtpSettings:
    """Where --send delivers: only ever from the environment, never from records."""

    host: str
    port: int = 587
    starttls: bool = True
    user: str = ""
    password: str = field(default="", repr=False)

    @classmethod
    def from_environment(cls, environ=None) -> "SmtpSettings":
        environ = os.environ if environ is None else environ
        host = environ.get("SISTERDOCS_SMTP_HOST", "").strip()
        if not host:
            raise SubmissionError("--send: SISTERDOCS_SMTP_HOST is not set, so there is no mail server to deliver to; "
                                  "nothing was written  → set SISTERDOCS_SMTP_HOST (and SISTERDOCS_SMTP_PORT, "
                                  "SISTERDOCS_SMTP_USER, SISTERDOCS_SMTP_PASSWORD as your mail server needs), "
                                  "or run without --send and send the .eml by hand")
        port_text = environ.get("SISTERDOCS_SMTP_PORT", "").strip() or "587"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise SubmissionError(f"--send: SISTERDOCS_SMTP_PORT={port_text!r} is not a port number; nothing was written  "
                                  "→ set it to the mail server's submission port, usually 587")
        starttls = environ.get("SISTERDOCS_SMTP_STARTTLS", "1").strip().lower() not in ("0", "false", "no", "off")
        return cls(host, int(port_text), starttls, environ.get("SISTERDOCS_SMTP_USER", ""),
                   environ.get("SISTERDOCS_SMTP_PASSWORD", ""))


def sender_address(city_data: dict, environ) -> Address:
    """From: the international-affairs contact's e-mail in city.yaml, else SISTERDOCS_MAIL_FROM."""
    contact = get(city_data, "officials", "international_affairs") or {}
    name, addr = str(contact.get("name") or ""), str(contact.get("email") or "")
    if not addr:
        name, addr = parseaddr(environ.get("SISTERDOCS_MAIL_FROM", ""))
    if "@" not in addr:
        raise SubmissionError("city.yaml: officials.international_affairs has no email, and SISTERDOCS_MAIL_FROM is not "
                              "set, so the message to SCI would have no sender  → add email: under "
                              "officials.international_affairs in city.yaml (or set SISTERDOCS_MAIL_FROM)")
    try:
        return Address(name, addr_spec=addr)
    except (ValueError, IndexError):
        raise SubmissionError(f"{addr!r} is not a usable e-mail address for the sender  → correct "
                              "officials.international_affairs.email in city.yaml (or SISTERDOCS_MAIL_FROM)") from None


def message(batch, record, sender: Address, packet_pdf: bytes, packet_pages: int, as_of: dt.date,
            signed_pdf: bytes | None = None) -> EmailMessage:
    """The e-mail to SCI's membership office with the packet attached; fixed Date and Message-ID, so same bytes.
    A digitally signed agreement travels as well in its own signed bytes: its signatures hold only there
    (the packet carries its pages without the signature fields)."""
    contexts = ContextBuilder(batch)
    city, p = contexts.city("en"), contexts.view(record, "en")
    signer = cover_signer(batch.city.data, city, "en")
    signatories = get(record.data, "signing", "signatories") or {}
    attachment = f"{record.id}-sci-packet.pdf"
    paragraphs = [
        "Dear Membership Office,",
        f"The {city['legal_name']}, {city['state']}, {city['country']}, submits for registration its {p['kind'].lower()} "
        f"agreement with {p['partner']['name']}, {p['partner']['state']}, {p['partner']['country']}. "
        f"{signatories.get('city')}, {p['city_official']['title']}, and {signatories.get('partner')}, "
        f"{p['partner_official']['title']}, signed it at {p['signing']['place']}, on {p['signing']['date']}. "
        f"The {city['council_body']} authorized it by Resolution No. {p['council']['resolution_number']} "
        f"of {p['council']['meeting_date']}.",
        f"The attached packet ({attachment}, {packet_pages} pages) holds our cover letter, a summary of the "
        "partnership and the signed agreement.",
        *([f"The agreement was signed digitally. The signed PDF is attached as well ({record.id}-signed-agreement.pdf), "
           "exactly as the signatories signed it: its signatures can be checked in any PDF reader. The packet's copy "
           "shows its pages without the signature fields."] if signed_pdf is not None else []),
        "We ask that you register the partnership, list it on our city's profile and issue its certificate. "
        f"Please send any question to {signer['name']} at {signer['email'] or sender.addr_spec}.",
        "Sincerely,",
    ]
    signature = (signer["name"], signer["title"], signer["organization"])
    extra = ((f"{record.id}-signed-agreement.pdf", signed_pdf),) if signed_pdf is not None else ()
    return mail_to_sci(sender, subject_line(city, p), paragraphs, signature, attachment, packet_pdf, f"sci.{record.id}", as_of,
                       extra)


def mail_to_sci(sender: Address, subject: str, paragraphs: list[str], signature, attachment: str, packet_pdf: bytes,
                message_id: str, as_of: dt.date, extra: tuple = ()) -> EmailMessage:
    """One envelope for everything sent to SCI's membership office: 7-bit clean, the PDF attached,
    and Date, Message-ID and boundary fixed by the as-of day and the attachment, so the same bytes each run."""
    packet_sha = sha256(packet_pdf)
    body = "\n\n".join(textwrap.fill(text, 76, break_long_words=False, break_on_hyphens=False) for text in paragraphs)
    body += "\n\n" + "\n".join(line for line in signature if line) + "\n"
    email = EmailMessage(policy=BODY_POLICY)
    email["From"] = sender
    email["To"] = SCI_MEMBERSHIP
    email["Subject"] = subject
    email["Date"] = format_datetime(dt.datetime.combine(as_of, dt.time(12), tzinfo=dt.timezone.utc))
    email["Message-ID"] = f"<{message_id}.{packet_sha[:24]}@{sender.domain}>"
    email.set_content(body, cte="quoted-printable")  # 7-bit clean: any mail server takes it
    email.add_attachment(packet_pdf, maintype="application", subtype="pdf", filename=attachment)
    for name, data in extra:  # (file name, PDF bytes) attached after the packet, as they are
        email.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    email.set_boundary(f"sisterdocs-{packet_sha[:32]}")  # the default boundary is random
    email.policy = MAIL_POLICY  # for writing it out, here and in smtplib
    return email


def deliver(email: EmailMessage | bytes, smtp: SmtpSettings) -> None:
    """Hand the message to the mail server named in the environment (STARTTLS unless turned off).

    Port 465 speaks TLS from the first byte (SMTPS); a plain connection there would only time out.
    Once the server has answered the DATA with 250 the message is its to deliver: a failure in the
    QUIT that follows (a 421, a dropped connection) is not a failed delivery, so it is not reported as one.
    """
    context = ssl.create_default_context()
    if smtp.port == SMTPS_PORT:
        server = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=60, context=context)
    else:
        server = smtplib.SMTP(smtp.host, smtp.port, timeout=60)
    try:
        server.ehlo()
        if smtp.starttls and smtp.port != SMTPS_PORT:
            server.starttls(context=context)
            server.ehlo()
        if smtp.user:
            server.login(smtp.user, smtp.password)
        if isinstance(email, bytes):  # a recorded message sent again: its bytes exactly as archived
            server.sendmail(envelope_sender(email), [SCI_MEMBERSHIP.addr_spec], email)
        else:
            server.send_message(email)
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError, ssl.SSLError):
            server.close()


def envelope_sender(eml: bytes) -> str:
    """The envelope sender of a recorded message: its From: address."""
    return parseaddr(str(message_from_bytes(eml, policy=MAIL_POLICY)["From"] or ""))[1]


def deliver_or_explain(email: EmailMessage | bytes, smtp: "SmtpSettings", result, kept: str, again: str,
                       record_delivery=lambda status, via, error="": None) -> str:
    """Deliver, record the outcome in the ledger, and say where it went; a failure says what is
    already kept and how to send it again (by hand, or with --resend)."""
    via = f"{smtp.host}:{smtp.port}"
    try:
        deliver(email, smtp)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        record_delivery("failed", via, str(exc))
        raise DeliveryError(
            f"delivery to {SCI_MEMBERSHIP.addr_spec} through {via} failed: {one_line(exc)}. {kept} and the "
            f"message is ready  → {again}", result) from None
    record_delivery("sent", via)
    return via


def deliver_archived(email: EmailMessage, smtp: "SmtpSettings", result, kept: str, command: str, archive_root,
                     entry: dict) -> str:
    """Deliver a message whose submission or notice was just archived (`entry`, its ledger line): each
    attempt goes into the ledger, and a failure says how to send it by hand or with `command --resend`."""
    return deliver_or_explain(email, smtp, result, kept,
                              f"send {display_path(result.message)} from your mail program, or run `{command} --resend` later",
                              partial(record_delivery, archive_root, entry))
