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
import fcntl
import hashlib
import io
import json
import logging
import os
import smtplib
import ssl
import stat
import tempfile
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

import jinja2
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NullObject, StreamObject

from pipeline import __version__
from pipeline.context import ContextBuilder, text
from pipeline.dates import parse_date
from pipeline.errors import DeliveryError, SubmissionError
from pipeline.output import MANIFEST, OutputWriter, sha256
from pipeline.plan import DocumentPlan
from pipeline.records import display_path, load_batch
from pipeline.render import RenderError, html_to_pdf, jinja_env, reread_templates, template_digest
from pipeline.rules.values import get, present
from pipeline.validate import validate

SCI_MEMBERSHIP = Address("Sister Cities International Membership", addr_spec="membership@sistercities.org")
LEDGER = "ledger.jsonl"
PACKET_FILE = "sci-packet.pdf"
MESSAGE_FILE = "sci-submission.eml"
OUTLINE = ("Cover letter", "Partnership summary", "Signed agreement")
# The message is written with CRLF as on the wire, and its headers fold only past 998 characters:
# the standard library's folding at 78 can split a subject around "–" into an empty encoded word
# (=?utf-8?q??=) that strict readers show raw. Bodies are encoded with 76-character lines, as MIME asks.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)
BODY_POLICY = policy.SMTP.clone(max_line_length=76)

# --agreement: which generated agreement the scan was printed from (document, language).
AGREEMENT_VERSIONS = {"bilingual": ("agreement_bilingual", "en"), "en": ("agreement", "en"), "es": ("agreement", "es")}
NOT_SIGNED_YET = ("prospective", "proposed", "council_approved")
ALREADY_SUBMITTED = ("submitted_to_sci", "active", "emeritus", "terminated")
SMTPS_PORT = 465
TAIL = 1024  # a PDF ends with %%EOF; a scan without it in its last KiB was cut short
MAX_SCAN_BYTES = 100 * 1024 * 1024  # a 40-page agreement scanned at 300 dpi in colour is about 30 MB
DAMAGE_SIGNS = ("not defined", "decompress")  # what pypdf logs when it papers over lost objects or corrupt streams

# What a file that is not a PDF usually is, by its first bytes.
MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"II*\x00", "a TIFF image"),
         (b"MM\x00*", "a TIFF image"), (b"GIF8", "a GIF image"), (b"PK\x03\x04", "a ZIP file, such as a Word document"),
         (b"\xd0\xcf\x11\xe0", "an old Word or Excel document"))

WORDS = {
    "en": {
        "office": "Membership Office", "organization": "Sister Cities International",
        "versions": {"bilingual": "English and Spanish side by side", "en": "English text", "es": "Spanish text"},
        "texts": {"equally_authentic": "English and Spanish, both texts equally authentic",
                  "english_prevails": "English and Spanish; the English text prevails",
                  "spanish_prevails": "English and Spanish; the Spanish text prevails"},
        "level": {"local": "local (municipal)", "state": "state", "federal": "federal"},
    },
    "es": {
        "office": "Oficina de Membresía", "organization": "Sister Cities International",
        "versions": {"bilingual": "inglés y español en columnas paralelas", "en": "texto en inglés", "es": "texto en español"},
        "texts": {"equally_authentic": "inglés y español, ambos textos igualmente auténticos",
                  "english_prevails": "inglés y español; prevalece el texto en inglés",
                  "spanish_prevails": "inglés y español; prevalece el texto en español"},
        "level": {"local": "local (municipal)", "state": "estatal", "federal": "federal"},
    },
}


@dataclass(frozen=True)
class Scan:
    """The signed scan as read once: these bytes are checked, hashed, archived and attached."""

    path: Path
    data: bytes = field(repr=False)
    sha256: str
    pages: int


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


# --- the one entry point ---------------------------------------------------------------------

def submit(batch_folder: Path, partnership_id: str, scan_path: Path, out_root: Path = Path("out"),
           archive_root: Path = Path("records/signed"), *, agreement: str = "bilingual", send: bool = False,
           as_of: dt.date | None = None, environ=None, overrides: Path | None = None) -> SciResult:
    """Check everything, then write the packet and message, archive the scan, and (with send) deliver."""
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
    agreement_path, agreement_pages = final_agreement(out_folder, batch, record.id, agreement)
    scan = verify_scan(Path(scan_path), agreement_pages, display_path(out_folder / agreement_path))
    refuse_if_in_ledger(ledger, archive_root, record.id, scan.sha256)
    refuse_if_generated(out_folder, scan.sha256, display_path(Path(scan_path)))
    sender = sender_address(batch.city.data, environ)
    packet_pdf = packet(batch, record, scan, as_of, agreement, overrides)
    packet_pages = len(PdfReader(io.BytesIO(packet_pdf)).pages)
    email = message(batch, record, sender, packet_pdf, packet_pages, as_of)
    eml = email.as_bytes()

    # Everything is checked and made: from here on, files are written. The ledger line comes last.
    writer = OutputWriter(out_folder / "sci" / record.id)
    signed_on = parse_date(get(record.data, "signing", "date"), batch.city.data.get("date_order"))
    entry = archive(scan, archive_root, record.id, batch.name, signed_on,
                    write_outputs=lambda: (writer.write(PACKET_FILE, packet_pdf), writer.write(MESSAGE_FILE, eml)))
    result = SciResult(record.id, scan, agreement_path, archive_root / entry["file"], archive_root / LEDGER,
                       writer.target(PACKET_FILE), packet_pages, writer.target(MESSAGE_FILE), SCI_MEMBERSHIP.addr_spec,
                       record.file, as_of, warnings=membership_warnings(batch.city.data))
    if smtp is not None:
        result.sent_via = deliver_or_explain(email, smtp, result, "The scan is archived",
                                             "`sci` run is refused: the agreement is already in the ledger")
    return result


def deliver_or_explain(email: EmailMessage, smtp: "SmtpSettings", result, kept: str, again: str) -> str:
    """Deliver, and say where it went; a failure says what is already kept and how to send it by hand."""
    try:
        deliver(email, smtp)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise DeliveryError(
            f"delivery to {SCI_MEMBERSHIP.addr_spec} through {smtp.host}:{smtp.port} failed: {exc}. {kept} and the "
            f"message is ready  → send {display_path(result.message)} from your mail program (a second {again})",
            result) from None
    return f"{smtp.host}:{smtp.port}"


# --- the record --------------------------------------------------------------------------------

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

def final_agreement(out_folder: Path, batch, partnership_id: str, version: str) -> tuple[str, int]:
    """The final (non-draft) agreement that `build` wrote, as (path inside out/<batch>/, page count)."""
    document, lang = AGREEMENT_VERSIONS[version]
    relative = DocumentPlan(partnership_id, "partnership", document, lang, ("pdf",)).path("pdf")
    data = built_file(out_folder, batch, relative, partnership_id, "agreement",
                      "the final agreement is built only after legal approval and the council adoption  → record "
                      "legal_review (status approved, reviewer, date) and the council meeting, run {rebuild}, "
                      "and submit the scan of that final agreement")
    return relative, len(PdfReader(io.BytesIO(data)).pages)


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
        raise SubmissionError(f"{display_path(manifest_path)}: unreadable ({exc})  → run {rebuild} again") from None
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


# --- the scan --------------------------------------------------------------------------------

class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def _pypdf_quiet():
    """pypdf logs, rather than raises, what it repairs in a damaged file: collect it instead of printing it."""
    logger = logging.getLogger("pypdf")
    handler = _Collect()
    before = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = before


def verify_scan(path: Path, expected_pages: int, agreement_shown: str) -> Scan:
    """The scan's bytes, once they are shown to be a whole, readable, unprotected PDF of the right length."""
    shown = display_path(path)
    rescan = "scan the signed agreement again and save it as PDF"
    try:
        data = _read_regular_file(path, shown)
    except IsADirectoryError:
        raise SubmissionError(f"{shown}: is a folder, not a PDF file  → give the scanned PDF itself") from None
    except OSError as exc:
        raise SubmissionError(f"{shown}: cannot be read ({exc.strerror or exc})  → give the path of the scanned PDF") from None
    if not data:
        raise SubmissionError(f"{shown}: the file is empty (0 bytes)  → {rescan}")
    if not data.startswith(b"%PDF-"):
        raise SubmissionError(f"{shown}: not a PDF ({_looks_like(data)})  → {rescan}; renaming an image or a "
                              "document to .pdf does not make it one")
    if b"%%EOF" not in data[-TAIL:]:
        raise SubmissionError(f"{shown}: the PDF is truncated (no %%EOF end marker in its last {TAIL} bytes; "
                              f"{len(data):,} bytes in all)  → copy or download the scan again: this one was cut short")
    active: list[str] = []
    with _pypdf_quiet() as repairs:
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            encrypted = reader.is_encrypted
            pages = 0 if encrypted else len(reader.pages)
            if not encrypted:
                _read_every_page(reader)
                active = active_content(reader)
        except Exception as exc:  # pypdf raises many types for damaged files; all mean the same to a clerk
            raise SubmissionError(f"{shown}: the PDF is damaged and cannot be read ({exc})  → {rescan}") from None
    damage = [m for m in repairs if any(sign in m for sign in DAMAGE_SIGNS)]
    if damage:
        raise SubmissionError(f"{shown}: the PDF is damaged: {damage[0].strip().rstrip('.')}  → {rescan}")
    if encrypted:
        raise SubmissionError(f"{shown}: the PDF is password-protected (encrypted)  → save a copy without a password "
                              "or restrictions: the archive and SCI must be able to open it")
    if pages == 0:
        raise SubmissionError(f"{shown}: the PDF has no pages  → {rescan}")
    if active:
        raise SubmissionError(f"{shown}: the PDF carries active content ({', '.join(active)}), which a scanner never "
                              f"adds and which must not reach the archive or SCI  → {rescan} from the signed paper")
    if pages != expected_pages:
        raise SubmissionError(f"{shown}: {pages} page{'s' if pages != 1 else ''}, but the generated agreement "
                              f"{agreement_shown} has {expected_pages}  → scan every page of the signed agreement and "
                              "nothing else, or give --agreement bilingual|en|es for the version that was signed")
    return Scan(path, data, sha256(data), pages)


def _read_regular_file(path: Path, shown: str) -> bytes:
    """The file's bytes, read only if it is a regular file of a size a scan can have: a FIFO would
    block, a device (/dev/zero) would never end, and a huge file would fill memory."""
    with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NONBLOCK)) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(path)
            raise SubmissionError(f"{shown}: is not a regular file (a pipe, a device or a socket)  → give the scanned PDF itself")
        if info.st_size > MAX_SCAN_BYTES:
            raise SubmissionError(f"{shown}: {info.st_size / 1048576:,.1f} MB, more than the {MAX_SCAN_BYTES / 1048576:,.0f} MB "
                                  "a scan of an agreement needs  → scan again at 300 dpi, greyscale")
        return handle.read(MAX_SCAN_BYTES + 1)


class _Damaged(Exception):
    pass


def _read_every_page(reader: PdfReader) -> None:
    """Resolve every object the pages use and decode their non-image streams.

    A file cut or overwritten in the middle still opens (pypdf repairs what it can): its missing
    objects and corrupt streams show only here. Images stay encoded: decoding a scanner's JBIG2
    or JPEG would need other programs and would prove little more.
    """
    seen: set[tuple[int, int]] = set()
    stack: list = [page.indirect_reference or page for page in reader.pages]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            target = obj.get_object()
            if target is None or isinstance(target, NullObject):
                raise _Damaged(f"object {obj.idnum} {obj.generation} is missing")
            obj = target
        if isinstance(obj, StreamObject) and obj.get("/Subtype") != "/Image":
            obj.get_data()
        if isinstance(obj, DictionaryObject):
            stack.extend(value for key, value in obj.items() if key != "/Parent")
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


# What can act when a PDF is opened or clicked: (key or action name, what a clerk is told).
ACTIVE_KEYS = {"/JavaScript": "JavaScript", "/JS": "JavaScript", "/OpenAction": "an action run on opening",
               "/AA": "automatic actions", "/EmbeddedFiles": "embedded files", "/EmbeddedFile": "embedded files",
               "/RichMedia": "rich media"}
ACTIVE_ACTIONS = {"/Launch": "a launch action (runs a program)", "/URI": "a link to a web address",
                  "/SubmitForm": "a form submission", "/ImportData": "a data import", "/GoToR": "a link to another file",
                  "/JavaScript": "JavaScript"}


def active_content(reader: PdfReader, limit: int = 200_000) -> list[str]:
    """Every kind of active content reachable from the document's catalog, each named once."""
    found: dict[str, None] = {}
    seen: set[tuple[int, int]] = set()
    stack: list = [reader.trailer.get("/Root")]
    while stack and len(seen) < limit:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in ACTIVE_KEYS:
                    found[ACTIVE_KEYS[key]] = None
                if key != "/Parent":
                    stack.append(value)
            action = obj.get("/S")
            if action in ACTIVE_ACTIONS:
                found[ACTIVE_ACTIONS[action]] = None
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return list(found)


def _looks_like(data: bytes) -> str:
    for magic, what in MAGIC:
        if data.startswith(magic):
            return f"it is {what}"
    try:
        data[:TAIL].decode("utf-8")
    except UnicodeDecodeError:
        return "its content is not a PDF"
    return "it is plain text"


# --- the archive and its ledger ------------------------------------------------------------------

def read_ledger(archive_root: Path, text: str | None = None) -> list[dict]:
    """Every line of the ledger; a line that is not JSON stops everything (the ledger is evidence)."""
    path = archive_root / LEDGER
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            raise SubmissionError(f"{display_path(path)}:{number}: not a ledger entry (expected one JSON object per line)  "
                                  "→ the ledger is append-only: restore that line from a backup; nothing was written")
        entries.append(entry)
    return entries


def refuse_if_in_ledger(ledger: list[dict], archive_root: Path, partnership_id: str, scan_sha: str | None = None) -> None:
    """A partnership goes to SCI once; one scan belongs to one partnership."""
    for entry in ledger:
        where = display_path(archive_root / str(entry.get("file", "")))
        if entry.get("partnership") == partnership_id and "notice" not in entry:  # a status notice is not the agreement
            raise SubmissionError(f"{partnership_id}: already submitted: archived {entry.get('archived_at', '?')} as "
                                  f"{where} (ledger {display_path(archive_root / LEDGER)}); a second submission is refused  "
                                  "→ nothing to do; to replace the copy SCI has, write to its membership office")
        if scan_sha and entry.get("sha256") == scan_sha:
            raise SubmissionError(f"this scan (SHA-256 {scan_sha[:12]}…) is already archived for {entry.get('partnership')} "
                                  f"as {where}  → scan the signed agreement of {partnership_id}")


def archive(scan: Scan, archive_root: Path, partnership_id: str, batch_name: str, signed_on: dt.date,
            write_outputs=lambda: None) -> dict:
    """Copy the scan, untouched and read-only, into the archive; then append its ledger line (the commit)."""
    relative = f"{partnership_id}/signed-agreement-{signed_on.isoformat()}-{scan.sha256[:12]}.pdf"
    return append_to_ledger(archive_root, relative, scan.data, scan.pages, {"partnership": partnership_id, "batch": batch_name},
                            lambda ledger: refuse_if_in_ledger(ledger, archive_root, partnership_id, scan.sha256),
                            write_outputs)


def append_to_ledger(archive_root: Path, relative: str, data: bytes, pages: int, entry: dict, refuse,
                     write_outputs=lambda: None) -> dict:
    """Keep `data` read-only at `relative` in the archive, then append its ledger line (the commit).

    The ledger is locked and read again first, and `refuse(ledger)` raises when this entry must not
    be made (already submitted, already notified); only then does `write_outputs()` write the packet
    and message under out/: of two clerks at once, the second writes nothing at all.
    """
    archive_root.mkdir(parents=True, exist_ok=True)
    with open(archive_root / LEDGER, "a+", encoding="utf-8") as ledger:
        fcntl.flock(ledger, fcntl.LOCK_EX)
        ledger.seek(0)
        refuse(read_ledger(archive_root, ledger.read()))
        write_outputs()
        _store_read_only(archive_root / relative, data)
        entry = {**entry, "file": relative, "sha256": sha256(data), "bytes": len(data), "pages": pages,
                 "archived_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        ledger.seek(0, os.SEEK_END)
        ledger.write(json.dumps(entry, ensure_ascii=False) + "\n")
        ledger.flush()
        os.fsync(ledger.fileno())
    return entry


def _store_read_only(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():  # left by a run interrupted before its ledger line: the name carries the hash
        if sha256(target.read_bytes()) == sha256(data):
            return
        raise SubmissionError(f"{display_path(target)}: exists with other content and no ledger line  → move it aside "
                              "for review; the archive never overwrites a file")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


# --- the packet ----------------------------------------------------------------------------------

def packet_context(batch, record, scan: Scan, as_of: dt.date, version: str, lang: str = "en",
                   overrides: Path | None = None) -> dict:
    """What templates_<lang>/partnership/sci_packet.html reads: professional contacts only, never phones or IDs."""
    contexts = ContextBuilder(batch)
    city, partnership = contexts.city(lang), contexts.view(record, lang)
    data, words = record.data, WORDS[lang]
    signatories = get(data, "signing", "signatories") or {}

    def signatory(side):
        official = partnership[f"{side}_official"]
        return {"name": str(signatories.get(side, "")), "title": official["title"]}

    def contact(side, role):
        found = get(data, "contacts", side, role) or {}
        return {key: text(found.get(key), lang) for key in ("name", "title", "organization", "email")}

    def approval(key, number_key):
        found = data.get(key) if isinstance(data.get(key), dict) else {}
        return {"number": str(found.get(number_key) or ""), "date": contexts.date(found.get("date"), lang)}

    templates = template_digest(("en", "partnership/sci_packet.html"), overrides=overrides)  # the template, what it includes, the assets
    revision = hashlib.sha256(json.dumps([data, batch.city.data, scan.sha256, as_of, version, templates, __version__],
                                         sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()
    return {
        "lang": lang,
        "city": city,
        "partnership": partnership,
        "sci": {
            "date": contexts.date(as_of, lang),
            "place": f"{city['name']}, {city['state']}",
            "office": {"name": words["office"], "organization": words["organization"], "email": SCI_MEMBERSHIP.addr_spec},
            "signer": _signer(batch.city.data, city, lang),
            "member_since": str(get(batch.city.data, "sci_membership", "member_since") or "")
            if get(batch.city.data, "sci_membership", "status") == "good_standing" else "",
            "signatories": {side: signatory(side) for side in ("city", "partner")},
            "cabildo": approval("cabildo", "acta"),
            "sre": approval("sre", "dictamen"),
            "level": words["level"].get(data.get("level"), str(data.get("level") or "")),
            "texts": words["texts"].get(data.get("texts") or "equally_authentic", ""),
            "contacts": {side: {role: contact(side, role) for role in ("mayors_office", "volunteer")}
                         for side in ("city", "partner")},
            "agreement": {"version": words["versions"][version], "pages": scan.pages, "sha256": scan.sha256},
        },
        "doc": {"id": f"{record.id}/sci-packet.{lang}", "revision": revision[:10], "title": "SCI submission packet",
                "final": True, "variant": "", "lang": lang},
    }


def _signer(city_data: dict, city: dict, lang: str) -> dict:
    """The cover letter's signer: the international-affairs contact unless city.yaml says the mayor."""
    contact = city["international_affairs"]
    if get(city_data, "sci_membership", "signed_by") == "mayor" or not contact["name"]:
        return {"name": city["mayor"]["name"], "title": city["mayor"]["title"], "organization": city["legal_name"],
                "email": contact["email"]}
    return {"name": contact["name"], "title": contact["title"], "organization": contact["organization"] or city["legal_name"],
            "email": contact["email"]}


def packet(batch, record, scan: Scan, as_of: dt.date, version: str, overrides: Path | None = None) -> bytes:
    """Cover letter and summary (WeasyPrint, on letterhead), then the scan's pages; one PDF, three bookmarks.

    No dates but the letter's own: the same inputs give the same bytes.
    """
    context = packet_context(batch, record, scan, as_of, version, overrides=overrides)
    doc_id = context["doc"]["id"]
    try:
        html = jinja_env("en", overrides).get_template("partnership/sci_packet.html").render(context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"en/partnership/sci_packet.html: {exc}") from None
    front = PdfReader(io.BytesIO(html_to_pdf(html, doc_id, overrides=overrides).pdf))
    summary_page = _summary_page(front, doc_id)
    writer = PdfWriter()
    writer.append(front, import_outline=False)
    with _pypdf_quiet():  # already read once in verify_scan, which reported what matters
        writer.append(PdfReader(io.BytesIO(scan.data), strict=False), import_outline=False)
    for title, page in zip(OUTLINE, (0, summary_page, len(front.pages))):
        writer.add_outline_item(title=title, page_number=page)
    city, partnership = context["city"], context["partnership"]
    writer.add_metadata({"/Title": subject_line(city, partnership), "/Author": city["legal_name"], "/Subject": f"{doc_id}, rev. {context['doc']['revision']}"})
    writer.page_mode = "/UseOutlines"
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _summary_page(front: PdfReader, doc_id: str) -> int:
    """The summary opens with the template's first <h1>, whose WeasyPrint bookmark gives its page."""
    for item in front.outline:
        if not isinstance(item, list):
            return front.get_destination_page_number(item)
    raise RenderError(f"{doc_id}: partnership/sci_packet.html must open the partnership summary with an <h1> heading")


# --- the message ---------------------------------------------------------------------------------

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


def subject_line(city: dict, partnership: dict) -> str:
    """'Sister city agreement for registration: Laredo, Texas – Saltillo, Coahuila de Zaragoza'."""
    kind = partnership["kind"][:1] + partnership["kind"][1:].lower()
    return (f"{kind} agreement for registration: {city['name']}, {city['state']} – "
            f"{partnership['partner']['name']}, {partnership['partner']['state']}")


def message(batch, record, sender: Address, packet_pdf: bytes, packet_pages: int, as_of: dt.date) -> EmailMessage:
    """The e-mail to SCI's membership office with the packet attached; fixed Date and Message-ID, so same bytes."""
    contexts = ContextBuilder(batch)
    city, p = contexts.city("en"), contexts.view(record, "en")
    signer = _signer(batch.city.data, city, "en")
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
        "We ask that you register the partnership, list it on our city's profile and issue its certificate. "
        f"Please send any question to {signer['name']} at {signer['email'] or sender.addr_spec}.",
        "Sincerely,",
    ]
    signature = (signer["name"], signer["title"], signer["organization"])
    return mail_to_sci(sender, subject_line(city, p), paragraphs, signature, attachment, packet_pdf, f"sci.{record.id}", as_of)


def mail_to_sci(sender: Address, subject: str, paragraphs: list[str], signature, attachment: str, packet_pdf: bytes,
                message_id: str, as_of: dt.date) -> EmailMessage:
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
    email.set_boundary(f"sisterdocs-{packet_sha[:32]}")  # the default boundary is random
    email.policy = MAIL_POLICY  # for writing it out, here and in smtplib
    return email


def deliver(email: EmailMessage, smtp: SmtpSettings) -> None:
    """Hand the message to the mail server named in the environment (STARTTLS unless turned off).

    Port 465 speaks TLS from the first byte (SMTPS); a plain connection there would only time out.
    """
    context = ssl.create_default_context()
    if smtp.port == SMTPS_PORT:
        server = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=60, context=context)
    else:
        server = smtplib.SMTP(smtp.host, smtp.port, timeout=60)
    with server:
        server.ehlo()
        if smtp.starttls and smtp.port != SMTPS_PORT:
            server.starttls(context=context)
            server.ehlo()
        if smtp.user:
            server.login(smtp.user, smtp.password)
        server.send_message(email)
