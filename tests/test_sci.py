"""`sisterdocs sci`: a signed scan is checked, archived untouched, packed and addressed to SCI.

The example is signed and built once; every test works on its own copy of the records and the
output, and uses the built agreement's own PDF bytes as the "scan".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import socket
import stat
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter

from pipeline.build import build
from pipeline.cli import cli
from pipeline.render import jinja_env
from pipeline.output import sha256
from pipeline.sci import OUTLINE, packet_context, verify_scan
from tests.conftest import BatchCopy
from tests.test_build import pdf_text

AS_OF = dt.date(2027, 1, 15)  # after the council meeting (2026-12-08) and the signing (2026-12-10)
SALTILLO = "partnerships/laredo-saltillo.yaml"
BOMBEROS = "donations/don-2026-nld-bomberos.yaml"
PICKUP = {"name": "Héctor Villarreal Garza", "id_number": "VLGRHC75021428H700", "phone": "+52 867 555 0199"}
VOLUNTEER_PHONE = "+1 956 555 0177"
CITY_PHONES = ("+1 956 555 0100", "+1 956 555 0142")  # the city's contacts' phones in city.yaml
SUBJECT = "Sister city agreement for registration: Laredo, Texas – Saltillo, Coahuila de Zaragoza"
SCI = "membership@sistercities.org"


def sign_saltillo(batch: BatchCopy) -> None:
    """laredo-saltillo after its signing ceremony, as the clerk records it."""
    batch.replace(SALTILLO, "status: proposed", "status: signed")
    batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n"
                  "signing:\n  date: 2026-12-10\n  place: {en: 'Laredo, Texas', es: 'Laredo, Texas'}\n"
                  "  signatories: {city: Elena R. Garza, partner: Javier H. Dávila Treviño}\n"
                  "evaluation_date: 2027-12-10\n"
                  "cabildo: {acta: '45/2026', date: 2026-11-28}\nsre: {dictamen: 'DGCJ-1234', date: 2026-12-02}\n")
    batch.approve_text(SALTILLO)
    # A volunteer's phone number: in the record, never in anything sent to SCI.
    batch.replace(SALTILLO, "es: Comité de Ciudades Hermanas de Laredo}, email: sistercities.volunteers@example.org}",
                  f"es: Comité de Ciudades Hermanas de Laredo}}, email: sistercities.volunteers@example.org, "
                  f"phone: '{VOLUNTEER_PHONE}'}}")


def name_pickup_person(batch: BatchCopy) -> None:
    with open(batch.path(BOMBEROS), "a", encoding="utf-8") as handle:
        handle.write(f"pickup:\n  name: {PICKUP['name']}\n  id_type: ine\n  id_number: {PICKUP['id_number']}\n"
                     f"  phone: '{PICKUP['phone']}'\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("signed")
    batch = BatchCopy(root)
    sign_saltillo(batch)
    name_pickup_person(batch)
    report = batch.check(as_of=AS_OF)
    assert not report.errors, [f.text() for f in report.errors]
    result = build(batch.folder, root / "out", as_of=AS_OF, jobs=2)
    assert result.plan is not None
    return root


class CopiedBatch(BatchCopy):
    """BatchCopy's edit helpers over records that are already copied."""

    def __init__(self, records: Path):
        self.records, self.folder = records, records / "example"


class Site:
    """A private copy of the signed, built example; the working folder is its root."""

    def __init__(self, root: Path):
        self.root = root
        self.batch = CopiedBatch(root / "records")
        self.out = root / "out" / "example"
        self.archive = root / "records" / "signed"
        self.agreement = self.out / "partnerships" / "laredo-saltillo" / "agreement_bilingual.en.pdf"
        self.pages = len(PdfReader(self.agreement).pages)  # the generated agreement a scan must match
        self.sci = self.out / "sci" / "laredo-saltillo"

    def scan(self, data: bytes | None = None, name: str = "scan.pdf") -> Path:
        path = self.root / "scans" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(self.signed_copy() if data is None else data)
        return path

    def signed_copy(self) -> bytes:
        """Stands in for the scan of the signed agreement: its pages, but not the bytes `build` wrote
        (those, given as the scan, are refused: they are the unsigned text)."""
        return self.signed_copy_of(self.agreement)

    @staticmethod
    def signed_copy_of(pdf: Path) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(pdf))
        writer.add_metadata({"/Producer": "a scanner"})
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    def run(self, *extra, partnership="laredo-saltillo", scan: Path | None = None):
        args = ["sci", "example", partnership, "--signed", str(scan or self.scan()), "--as-of", AS_OF.isoformat(), *extra]
        return CliRunner().invoke(cli, args, catch_exceptions=False)

    def state(self) -> dict:
        """Every file under out/ and the archive, with its bytes and mode: 'nothing written' means this is unchanged."""
        found = {}
        for top in (self.root / "out", self.archive):
            for path in sorted(top.rglob("*")) if top.exists() else []:
                found[str(path.relative_to(self.root))] = (path.stat().st_mode, path.read_bytes() if path.is_file() else b"")
        return found

    def ledger(self) -> list[dict]:
        return [json.loads(line) for line in (self.archive / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def site(built, tmp_path, monkeypatch) -> Site:
    shutil.copytree(built, tmp_path / "site")
    monkeypatch.chdir(tmp_path / "site")
    for name in ("SISTERDOCS_SMTP_HOST", "SISTERDOCS_SMTP_PORT", "SISTERDOCS_SMTP_STARTTLS", "SISTERDOCS_SMTP_USER",
                 "SISTERDOCS_SMTP_PASSWORD", "SISTERDOCS_MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)
    return Site(tmp_path / "site")


def flat(text: str) -> str:
    return " ".join(text.split())


def read_eml(path: Path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def attachment_of(message) -> tuple[str, str, bytes]:
    (part,) = list(message.iter_attachments())
    return part.get_content_type(), part.get_filename(), part.get_content()


# --- the happy path --------------------------------------------------------------------------------

def test_scan_is_archived_untouched_read_only_and_in_the_ledger(site):
    scan = site.scan()
    result = site.run(scan=scan)
    assert result.exit_code == 0, result.output
    data = scan.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    archived = site.archive / "laredo-saltillo" / f"signed-agreement-2026-12-10-{sha[:12]}.pdf"
    assert archived.read_bytes() == data
    assert stat.S_IMODE(archived.stat().st_mode) == 0o444
    (entry,) = site.ledger()
    assert entry["partnership"] == "laredo-saltillo" and entry["batch"] == "example"
    assert entry["file"] == f"laredo-saltillo/signed-agreement-2026-12-10-{sha[:12]}.pdf"
    assert (entry["sha256"], entry["bytes"], entry["pages"]) == (sha, len(data), site.pages)
    assert dt.datetime.fromisoformat(entry["archived_at"]).utcoffset() == dt.timedelta(0)
    assert f"archived  records/signed/laredo-saltillo/signed-agreement-2026-12-10-{sha[:12]}.pdf" in result.output
    assert "not sent" in result.output and "sci_submission: {date: 2027-01-15}" in result.output


def test_packet_is_cover_letter_summary_then_the_signed_pages(site):
    scan = site.scan()
    assert site.run(scan=scan).exit_code == 0
    packet = PdfReader(site.sci / "sci-packet.pdf")
    assert len(packet.pages) == 2 + site.pages
    outline = [(item.title, packet.get_destination_page_number(item)) for item in packet.outline]
    assert outline == list(zip(OUTLINE, (0, 1, 2)))
    signed = PdfReader(scan)
    assert [page.extract_text() for page in packet.pages[2:]] == [page.extract_text() for page in signed.pages]

    letter = flat(packet.pages[0].extract_text())
    for expected in ("Laredo, Texas, January 15, 2027", "Membership Office", "Sister Cities International", SCI,
                     "Dear Membership Office:", "Resolution No. 2026-R-119, adopted on December 8, 2026",
                     "signed it at Laredo, Texas, on December 10, 2026", "acta 45/2026", "dictamen DGCJ-1234",
                     "member of Sister Cities International since 1984", "Daniel Ochoa International Affairs Officer"):
        assert expected in letter, expected
    summary = flat(packet.pages[1].extract_text())
    for expected in ("Partnership summary", "City of Laredo", "Texas, United States", "Municipality of Saltillo",
                     "Coahuila de Zaragoza, Mexico", "Elena R. Garza Mayor", "Javier H. Dávila Treviño Municipal President",
                     "Resolution No. 2026-R-119, December 8, 2026", "Cabildo, acta 45/2026, November 28, 2026",
                     "SRE dictamen DGCJ-1234, December 2, 2026", "relaciones.internacionales@example.mx",
                     "Tomás Ramos Cepeda Chair Saltillo Sister Cities", "Sister City, local (municipal) level",
                     "December 10, 2026, at Laredo, Texas", "Economic development and trade.",
                     "Cultural, tourism and educational exchange.", f"{site.pages} pages"):
        assert expected in summary, expected


def test_message_is_addressed_to_sci_with_the_packet_attached(site):
    assert site.run().exit_code == 0
    message = read_eml(site.sci / "sci-submission.eml")
    assert message["To"].addresses[0].addr_spec == SCI
    assert str(message["From"]) == "Daniel Ochoa <intl.affairs@example.org>"
    assert message["Subject"] == SUBJECT
    assert message["Date"].datetime == dt.datetime(2027, 1, 15, 12, tzinfo=dt.timezone.utc)
    assert message["Message-ID"].endswith("@example.org>")
    body = flat(message.get_body(("plain",)).get_content())
    assert "submits for registration its sister city agreement with Saltillo, Coahuila de Zaragoza, Mexico" in body
    assert "Javier H. Dávila Treviño, Municipal President" in body and "Resolution No. 2026-R-119" in body
    assert attachment_of(message) == ("application/pdf", "laredo-saltillo-sci-packet.pdf",
                                      (site.sci / "sci-packet.pdf").read_bytes())


def test_no_personal_data_in_the_packet_or_the_message(site):
    assert site.run().exit_code == 0
    packet = pdf_text(site.sci / "sci-packet.pdf")
    message = read_eml(site.sci / "sci-submission.eml")
    body = message.get_body(("plain",)).get_content()
    raw = (site.sci / "sci-submission.eml").read_bytes().decode("ascii")
    assert "Daniel Ochoa" in packet and "Daniel Ochoa" in body  # the texts were read at all
    for secret in (PICKUP["name"], PICKUP["id_number"], PICKUP["phone"], VOLUNTEER_PHONE, *CITY_PHONES, "Villarreal"):
        for where, text in (("packet", packet), ("body", body), ("raw .eml", raw)):
            assert secret not in text and secret.replace(" ", "") not in text.replace(" ", ""), (secret, where)


def test_a_single_language_agreement_is_matched_with_agreement_option(site):
    english = site.out / "partnerships" / "laredo-saltillo" / "agreement.en.pdf"
    scan = site.scan(site.signed_copy_of(english))
    result = site.run("--agreement", "en", scan=scan)
    assert result.exit_code == 0, result.output
    assert "matching partnerships/laredo-saltillo/agreement.en.pdf" in result.output
    assert f"(English text, {len(PdfReader(english).pages)} pages)" in flat(PdfReader(site.sci / "sci-packet.pdf").pages[0].extract_text())


# --- bad scans: each a clear message, exit 1, nothing written ---------------------------------------

def encrypted(data: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def first_pages(data: bytes, count: int) -> bytes:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(data)).pages[:count]:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_active_content(data: bytes, how: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    if how == "javascript":  # a document-level script in the catalog's name tree
        script = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
        tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("x"), writer._add_object(script)])})
        writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): writer._add_object(tree)})
    elif how == "attachment":
        writer.add_attachment("payload.exe", b"MZ")
    elif how == "launch":
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40)
BAD_SCANS = {
    "the unsigned output itself": (lambda data: None, "is partnerships/laredo-saltillo/agreement_bilingual.en.pdf exactly as "
                                   "`build` wrote it, not signed  → print it, have it signed"),
    "empty": (lambda data: b"", "the file is empty (0 bytes)"),
    "png renamed": (lambda data: PNG, "not a PDF (it is a PNG image)"),
    "text renamed": (lambda data: b"Signed agreement, see attached.\n", "not a PDF (it is plain text)"),
    "truncated": (lambda data: data[: len(data) // 2], "the PDF is truncated (no %%EOF end marker"),
    "damaged inside": (lambda data: data[:9] + data[len(data) // 2:], "the PDF is damaged"),
    "encrypted": (encrypted, "the PDF is password-protected (encrypted)"),
    "javascript": (lambda data: with_active_content(data, "javascript"), "the PDF carries active content (JavaScript)"),
    "embedded file": (lambda data: with_active_content(data, "attachment"), "the PDF carries active content (embedded files)"),
    "launch on opening": (lambda data: with_active_content(data, "launch"),
                          "the PDF carries active content (an action run on opening, a launch action (runs a program))"),
    "wrong page count": (lambda data: first_pages(data, 2),
                         "2 pages, but the generated agreement out/example/partnerships/laredo-saltillo/"
                         "agreement_bilingual.en.pdf has {pages}"),
}


@pytest.mark.parametrize("case", BAD_SCANS)
def test_bad_scan_is_refused_and_nothing_is_written(site, case):
    make, message = BAD_SCANS[case]
    scan = site.scan(make(site.signed_copy()) if case != "the unsigned output itself" else site.agreement.read_bytes())
    before = site.state()
    result = site.run(scan=scan)
    assert result.exit_code == 1, result.output
    assert f"Error: scans/scan.pdf: {message.format(pages=site.pages)}" in result.output
    assert "→" in result.output  # (site.run lets any exception through: a traceback fails the test)
    assert site.state() == before
    assert not site.archive.exists()


def test_verify_scan_reads_a_scanner_style_image_pdf(tmp_path):
    from PIL import Image, ImageDraw

    pages = []
    for number in (1, 2, 3):
        image = Image.new("1", (1275, 1650), 1)
        ImageDraw.Draw(image).text((100, 100), f"signed page {number}", fill=0)
        pages.append(image)
    path = tmp_path / "scanner.pdf"
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=150)
    scan = verify_scan(path, 3, "agreement")
    assert scan.pages == 3 and scan.data == path.read_bytes()


# --- bad records and states -----------------------------------------------------------------------

def refused(site: Site, *extra, partnership="laredo-saltillo", scan=None) -> str:
    before = site.state()
    result = site.run(*extra, partnership=partnership, scan=scan)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ")  # (catch_exceptions=False: a traceback fails the test itself)
    assert site.state() == before
    return flat(result.output)


def test_partnership_not_yet_signed_is_refused(site):
    site.batch.replace(SALTILLO, "status: signed", "status: council_approved")
    text = refused(site)
    assert "laredo-saltillo.yaml (laredo-saltillo): not signed yet (status council_approved)" in text
    assert "set status: signed and add signing: {date, place, signatories: {city, partner}}" in text


def test_grandfathered_partnership_is_refused(site):
    text = refused(site, partnership="dos-laredos")
    assert "status is grandfathered; only a partnership with status signed goes to SCI" in text


def test_signing_without_signatories_is_refused(site):
    site.batch.replace(SALTILLO, "  signatories: {city: Elena R. Garza, partner: Javier H. Dávila Treviño}\n", "")
    text = refused(site)
    assert "the signing record lacks signatories.city, signatories.partner" in text


def test_record_with_errors_is_refused_with_its_first_finding(site):
    site.batch.replace(SALTILLO, "evaluation_date: 2027-12-10", "evaluation_date: 2027-02-01")
    text = refused(site)
    assert "laredo-saltillo evaluation_date [partnership.evaluation]" in text and "sisterdocs check" in text


def test_partnership_already_submitted_per_its_record_is_refused(site):
    site.batch.replace(SALTILLO, "status: signed", "status: submitted_to_sci")
    site.batch.replace(SALTILLO, "evaluation_date:", "sci_submission: {date: 2027-01-10}\nevaluation_date:")
    assert "already submitted to SCI (status submitted_to_sci, sci_submission recorded)" in refused(site)


def test_unknown_partnership_is_refused(site):
    text = refused(site, partnership="laredo-guadalajara")
    assert "no partnership with id 'laredo-guadalajara' (partnerships in this batch: dos-laredos, laredo-monterrey, laredo-saltillo)" in text


def test_without_a_final_agreement_the_clerk_is_told_to_build(site):
    manifest = json.loads((site.out / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["record"] == "laredo-saltillo" and "agreement" in entry["path"]:
            entry["final"] = False  # what a build before legal approval writes
    (site.out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    text = refused(site)
    assert "only a DRAFT agreement for laredo-saltillo (partnerships/laredo-saltillo/agreement_bilingual.en.pdf)" in text
    assert "run `sisterdocs build records/example`" in text


def test_without_any_build_the_clerk_is_told_to_build(site):
    scan = site.scan()
    shutil.rmtree(site.root / "out")
    site.root.joinpath("out").mkdir()
    assert "out/example/manifest.json: not found" in refused(site, scan=scan)


# --- once only ----------------------------------------------------------------------------------

def test_second_submission_of_the_same_agreement_is_refused(site):
    assert site.run().exit_code == 0
    (entry,) = site.ledger()
    text = refused(site)
    assert f"laredo-saltillo: already submitted: archived {entry['archived_at']} as records/signed/{entry['file']}" in text
    assert len(site.ledger()) == 1


def test_a_scan_archived_for_another_partnership_is_refused(site):
    scan = site.scan()
    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    site.archive.mkdir(parents=True)
    other = {"partnership": "dos-laredos", "batch": "example", "file": f"dos-laredos/signed-agreement-2026-12-09-{sha[:12]}.pdf",
             "sha256": sha, "bytes": 1, "pages": 3, "archived_at": "2026-12-20T15:00:00+00:00"}
    (site.archive / "ledger.jsonl").write_text(json.dumps(other) + "\n", encoding="utf-8")
    text = refused(site, scan=scan)
    assert f"this scan (SHA-256 {sha[:12]}…) is already archived for dos-laredos" in text


def test_a_damaged_ledger_stops_everything(site):
    site.archive.mkdir(parents=True)
    (site.archive / "ledger.jsonl").write_text('{"partnership": "dos-laredos"\n', encoding="utf-8")
    assert "records/signed/ledger.jsonl:1: not a ledger entry" in refused(site)


# --- sending --------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every envelope it is given (and answers QUIT as told)."""

    def __init__(self):
        self.envelopes = []
        self.quit_reply = "221 Bye"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        return self.quit_reply


@pytest.fixture
def smtp_server(monkeypatch):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("SISTERDOCS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SISTERDOCS_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("SISTERDOCS_SMTP_STARTTLS", "0")  # loopback test server without TLS
    try:
        yield inbox
    finally:
        controller.stop()


def test_send_delivers_the_message_over_smtp(site, smtp_server):
    result = site.run("--send")
    assert result.exit_code == 0, result.output
    assert f"sent      to {SCI} through 127.0.0.1:" in result.output
    (envelope,) = smtp_server.envelopes
    assert envelope.mail_from == "intl.affairs@example.org" and envelope.rcpt_tos == [SCI]
    delivered = BytesParser(policy=policy.default).parsebytes(envelope.content)
    assert delivered["Subject"] == SUBJECT
    written = read_eml(site.sci / "sci-submission.eml")
    assert attachment_of(delivered) == attachment_of(written)
    assert attachment_of(delivered)[2] == (site.sci / "sci-packet.pdf").read_bytes()


def test_starttls_is_required_by_default(site, smtp_server, monkeypatch):
    monkeypatch.delenv("SISTERDOCS_SMTP_STARTTLS")  # the loopback server offers no STARTTLS
    result = site.run("--send")
    assert result.exit_code == 1 and "STARTTLS extension not supported by server" in result.output
    assert smtp_server.envelopes == []


def test_send_without_smtp_host_is_refused_before_anything_is_written(site):
    text = refused(site, "--send")
    assert "SISTERDOCS_SMTP_HOST is not set" in text and "nothing was written" in text


def test_failed_delivery_leaves_the_submission_archived_and_says_how_to_send_by_hand(site, monkeypatch):
    monkeypatch.setenv("SISTERDOCS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SISTERDOCS_SMTP_PORT", str(free_port()))  # nothing listens there
    result = site.run("--send")
    assert result.exit_code == 1
    text = flat(result.output)
    assert "packet out/example/sci/laredo-saltillo/sci-packet.pdf" in text
    assert f"Error: delivery to {SCI} through 127.0.0.1:" in text
    assert "send out/example/sci/laredo-saltillo/sci-submission.eml from your mail program" in text
    assert "or run `sisterdocs sci example laredo-saltillo --resend` later" in text
    submission, attempt = site.ledger()
    assert (site.sci / "sci-submission.eml").is_file()
    assert attempt["delivery_of"] == submission["file"] and attempt["status"] == "failed" and attempt["error"]


def test_a_message_accepted_before_a_failed_quit_counts_as_delivered(site, smtp_server):
    """A server that answers the DATA with 250 has the message; a 421 to the QUIT after it is no
    reason to tell the clerk to send it again (SCI would get it twice)."""
    smtp_server.quit_reply = "421 Service not available, closing transmission channel"
    result = site.run("--send")
    assert result.exit_code == 0, result.output
    assert f"sent      to {SCI} through 127.0.0.1:" in result.output and "failed" not in result.output
    assert len(smtp_server.envelopes) == 1
    submission, delivery = site.ledger()
    assert delivery == {**delivery, "delivery_of": submission["file"], "status": "sent", "partnership": "laredo-saltillo"}


def test_resend_sends_the_archived_message_byte_for_byte_and_records_it(site, smtp_server, monkeypatch):
    with monkeypatch.context() as unreachable:  # the first delivery fails: nothing listens on that port
        unreachable.setenv("SISTERDOCS_SMTP_PORT", str(free_port()))
        assert site.run("--send").exit_code == 1
    assert smtp_server.envelopes == []
    written = (site.sci / "sci-submission.eml").read_bytes()
    shutil.rmtree(site.root / "out")  # out/ is output: the archive alone is enough to send again
    before = site.state()

    result = CliRunner().invoke(cli, ["sci", "example", "laredo-saltillo", "--resend"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "sent      again to" in result.output
    (envelope,) = smtp_server.envelopes
    assert envelope.content.replace(b"\r\n", b"\n") == written.replace(b"\r\n", b"\n")
    assert envelope.mail_from == "intl.affairs@example.org" and envelope.rcpt_tos == [SCI]
    submission, failed, sent = site.ledger()
    assert (failed["status"], sent["status"], sent.get("resent")) == ("failed", "sent", True)
    assert sha256((site.archive / submission["message"]).read_bytes()) == submission["message_sha256"]
    after = site.state()
    assert {k: v for k, v in after.items() if not k.endswith("ledger.jsonl")} == \
        {k: v for k, v in before.items() if not k.endswith("ledger.jsonl")}  # only the ledger grew


def test_resend_refuses_a_message_that_differs_from_the_ledger_and_one_never_submitted(site, smtp_server):
    args = ["sci", "example", "laredo-saltillo", "--resend"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1 and "records no submission of the signed agreement" in result.output
    assert site.run().exit_code == 0
    (submission,) = site.ledger()
    message = site.archive / submission["message"]
    message.chmod(0o644)
    message.write_bytes(message.read_bytes().replace(b"Dear Membership Office", b"Dear Membership Offices"))
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1 and "differs from the message the ledger recorded" in flat(result.output)
    assert smtp_server.envelopes == [] and len(site.ledger()) == 1


# --- the sender ----------------------------------------------------------------------------------

def test_sender_comes_from_the_environment_when_city_yaml_has_no_email(site, monkeypatch):
    site.batch.replace("city.yaml", "    email: intl.affairs@example.org\n", "")
    assert "SISTERDOCS_MAIL_FROM" in refused(site)
    monkeypatch.setenv("SISTERDOCS_MAIL_FROM", "International Affairs <international@laredo.example>")
    assert site.run().exit_code == 0
    assert str(read_eml(site.sci / "sci-submission.eml")["From"]) == "International Affairs <international@laredo.example>"


def test_city_yaml_can_have_the_mayor_sign_the_cover_letter(site):
    site.batch.replace("city.yaml", "  member_since: 1984\n", "  member_since: 1984\n  signed_by: mayor\n")
    assert site.run().exit_code == 0
    letter = flat(PdfReader(site.sci / "sci-packet.pdf").pages[0].extract_text())
    assert "Sincerely, Elena R. Garza Mayor City of Laredo" in letter


# --- same inputs, same bytes -------------------------------------------------------------------------

def test_same_inputs_give_identical_packet_and_message(built, tmp_path, monkeypatch):
    outputs = []
    for name in ("first", "second"):
        shutil.copytree(built, tmp_path / name)
        monkeypatch.chdir(tmp_path / name)
        site = Site(tmp_path / name)
        assert site.run().exit_code == 0
        outputs.append([(site.sci / file).read_bytes() for file in ("sci-packet.pdf", "sci-submission.eml")])
    assert outputs[0] == outputs[1]


def test_spanish_twin_renders_with_the_same_context(built, monkeypatch):
    """Only the English packet goes to SCI; the Spanish twin must still render from the same variables."""
    from pipeline.records import load_batch

    monkeypatch.chdir(built)
    batch = load_batch(built / "records" / "example")
    record = next(r for r in batch.records if r.id == "laredo-saltillo")
    agreement = built / "out" / "example" / "partnerships" / "laredo-saltillo" / "agreement_bilingual.en.pdf"
    scan = verify_scan(agreement, len(PdfReader(agreement).pages), "")
    html = jinja_env("es").get_template("partnership/sci_packet.html").render(packet_context(batch, record, scan, AS_OF, "bilingual", "es"))
    assert "Resumen del hermanamiento" in html and "15 de enero de 2027" in html and "Javier H. Dávila Treviño" in html


def test_a_pipe_a_device_and_an_oversized_file_are_refused_before_reading(site, monkeypatch):
    import os

    from pipeline import sci as sci_module

    fifo = site.root / "scans" / "pipe.pdf"
    fifo.parent.mkdir(exist_ok=True)
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    before = site.state()
    for path in (fifo, Path("/dev/zero")):
        result = site.run(scan=path)
        assert result.exit_code == 1 and "is not a regular file (a pipe, a device or a socket)" in result.output, result.output
    monkeypatch.setattr(sci_module.scan, "MAX_SCAN_BYTES", 1024 * 1024)
    result = site.run(scan=site.scan(b"%PDF-1.7\n" + bytes(1_300_000)))
    assert result.exit_code == 1 and "scans/scan.pdf: 1.2 MB, more than the 1 MB a scan of an agreement needs" in result.output
    assert site.state() == before


def test_of_two_clerks_submitting_at_once_the_second_writes_nothing(site, monkeypatch):
    """The other clerk commits while this run makes its packet: under the ledger's lock this run
    sees it and stops before writing its packet, message or scan."""
    from pipeline import sci as sci_module

    real_packet = sci_module.packet

    def the_other_clerk_commits_meanwhile(*args, **kwargs):
        site.archive.mkdir(parents=True, exist_ok=True)
        with open(site.archive / "ledger.jsonl", "a", encoding="utf-8") as ledger:
            ledger.write(json.dumps({"partnership": "laredo-saltillo", "file": "laredo-saltillo/other.pdf",
                                     "archived_at": "2026-12-20T10:00:00+00:00"}) + "\n")
        return real_packet(*args, **kwargs)

    monkeypatch.setattr(sci_module, "packet", the_other_clerk_commits_meanwhile)
    before = {path for path in (site.root / "out").rglob("*")}
    result = site.run()
    assert result.exit_code == 1 and "already submitted" in result.output
    assert {path for path in (site.root / "out").rglob("*")} == before  # no packet, no message
    assert not site.sci.exists() and [e["file"] for e in site.ledger()] == ["laredo-saltillo/other.pdf"]


def test_streams_that_inflate_beyond_the_cap_are_refused_as_damage(site, monkeypatch):
    from pipeline import sci as sci_module

    monkeypatch.setattr(sci_module.scan, "MAX_DECODED_BYTES", 1000)  # the agreement's text streams exceed it
    before = site.state()
    result = site.run()
    assert result.exit_code == 1
    assert "the PDF is damaged and cannot be read (its streams decode to more than 1,000 bytes)" in result.output, result.output
    assert site.state() == before


@pytest.mark.parametrize("change, said", [
    ("edited", "agreement_bilingual.en.pdf: changed since the build (its SHA-256 differs from the manifest) → run "
               "`sisterdocs build records/example` again; never edit generated files by hand"),
    ("deleted", "agreement_bilingual.en.pdf: listed in the manifest but missing → run `sisterdocs build records/example` again"),
    ("manifest", "manifest.json: unreadable"),
])
def test_a_generated_agreement_changed_or_lost_since_the_build_is_not_sent(site, change, said):
    scan = site.scan()
    if change == "edited":
        site.agreement.write_bytes(site.agreement.read_bytes() + b"\n% edited by hand\n")
    elif change == "deleted":
        site.agreement.unlink()
    else:
        (site.out / "manifest.json").write_text("{not json", encoding="utf-8")
    assert said in refused(site, scan=scan)
