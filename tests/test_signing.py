"""Signed-ready, literally: empty signature fields over the printed lines of final PDFs, and
digitally signed PDFs verified on return (`sisterdocs verify`, `sisterdocs sci`).

The example is signed on paper and built once (as in test_sci.py); a test certificate authority
made here issues the signers' certificates, and pyHanko signs the generated PDFs into their fields.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter

from pipeline.build import build, make_tasks
from pipeline.cli import cli
from pipeline.plan import plan as make_plan
from pipeline.records import load_batch
from pipeline.render import render
from pipeline.validate import validate
from tests.conftest import BatchCopy, approve_donations
from tests.test_sci import AS_OF, SALTILLO, Site, sign_saltillo

pytestmark = pytest.mark.slow

SAL = "partnerships/laredo-saltillo/"
BOMB = "donations/don-2026-nld-bomberos/"
# Each document's fields, in signing order: the city's signatories, then the partner's.
AGREEMENT_FIELDS = ["city.mayor", "city.attest", "city.approved_as_to_form", "partner.municipal_president", "partner.secretary"]
FIELDS = {
    SAL + "agreement_bilingual.en.pdf": AGREEMENT_FIELDS,
    SAL + "agreement.es.pdf": AGREEMENT_FIELDS,
    SAL + "partnership_resolution.en.pdf": ["city.mayor", "city.attest", "city.approved_as_to_form"],
    BOMB + "release_receipt-city-copy.en.pdf": ["recipient.representative", "city.international_affairs", "pickup.received_by"],
    BOMB + "release_receipt-recipient-copy.es.pdf": ["recipient.representative", "city.international_affairs", "pickup.received_by"],
}
NO_FIELDS = ("partnerships/dos-laredos/agreement_bilingual.en.pdf",  # a DRAFT: legal review pending
             SAL + "partnership_resolution.es.pdf",  # the courtesy translation names who signs the English original
             SAL + "proclamation.en.pdf", BOMB + "approval_letter.en.pdf",
             "archival/" + SAL + "agreement_bilingual.en.pdf")  # the PDF/A copy stays as laid out


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("signing")
    batch = BatchCopy(root)
    sign_saltillo(batch)
    approve_donations(batch)  # the releases: council approved, pickup person named
    result = build(batch.folder, root / "out", as_of=AS_OF, jobs=2)
    assert not result.report.errors, [f.text() for f in result.report.errors]
    return root


@pytest.fixture
def site(built, tmp_path, monkeypatch) -> Site:
    shutil.copytree(built, tmp_path / "site", symlinks=True)
    monkeypatch.chdir(tmp_path / "site")
    return Site(tmp_path / "site")


# --- a test certificate authority and its signers ---------------------------------------------------

class Authority:
    """A CA and the signers it certifies (EC P-256: quick to make), as pyHanko signers."""

    def __init__(self, name: str = "Sisterdocs Test CA"):
        from cryptography.hazmat.primitives.asymmetric import ec

        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = self._certificate(name, self.key.public_key(), name, self.key, ca=True)

    @staticmethod
    def _certificate(subject, public_key, issuer, issuer_key, ca: bool):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import NameOID

        start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        usage = dict(digital_signature=True, content_commitment=not ca, key_encipherment=False, data_encipherment=False,
                     key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)
        return (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                .public_key(public_key).serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(**usage), critical=True)
                .sign(issuer_key, hashes.SHA256()))

    def signer(self, name: str):
        from asn1crypto import keys, x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from pyhanko.sign.signers import SimpleSigner
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        key = ec.generate_private_key(ec.SECP256R1())
        cert = self._certificate(name, key.public_key(), self.cert.subject.rfc4514_string()[3:], self.key, ca=False)
        der = serialization.Encoding.DER
        signing_cert = x509.Certificate.load(cert.public_bytes(der))
        return SimpleSigner(signing_cert=signing_cert,
                            signing_key=keys.PrivateKeyInfo.load(key.private_bytes(
                                der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
                            cert_registry=SimpleCertificateStore.from_certs([signing_cert, x509.Certificate.load(self.cert.public_bytes(der))]))

    def pem(self, path: Path) -> Path:
        from cryptography.hazmat.primitives import serialization

        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return path


@pytest.fixture(scope="module")
def ca() -> Authority:
    return Authority()


@pytest.fixture(scope="module")
def mayor(ca):
    return ca.signer("Victor Treviño")


@pytest.fixture(scope="module")
def presidente(ca):
    return ca.signer("Ana Pérez")


def sign(data: bytes, field: str, signer) -> bytes:
    """What a PDF reader does when a signatory signs in `field`: an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers import PdfSignatureMetadata, sign_pdf

    return sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), PdfSignatureMetadata(field_name=field), signer=signer).getvalue()


def verify(site: Site, path: Path, *extra, record="laredo-saltillo"):
    return CliRunner().invoke(cli, ["verify", str(path), "example", record, *extra], catch_exceptions=False)


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


# --- the fields ----------------------------------------------------------------------------------

def fields_of(path: Path) -> list[tuple[str, int, list[float], str]]:
    """(full name, 0-based page, rectangle, tooltip) of every signature field, in the order of the pages' widgets."""
    reader = PdfReader(path)
    found = []
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            widget = annot.get_object()
            if widget.get("/FT") != "/Sig":
                continue
            name = widget["/T"]
            parent = widget.get("/Parent")
            while parent is not None:
                name = f"{parent.get_object()['/T']}.{name}"
                parent = parent.get_object().get("/Parent")
            found.append((name, number, [float(v) for v in widget["/Rect"]], str(widget.get("/TU", ""))))
    return found


def text_positions(page) -> list[tuple[str, float, float]]:
    """(text, x, y) of each run of text on a page, in PDF points from the bottom left."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((text.strip(), cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3]))

    page.extract_text(visitor_text=visit)
    return runs


@pytest.mark.parametrize("document", FIELDS)
def test_each_signature_line_carries_its_field_right_over_the_printed_name(built, document):
    path = built / "out" / "example" / document
    fields = fields_of(path)
    assert [name for name, *_ in fields] == FIELDS[document]
    reader = PdfReader(path)
    for name, page, (x1, y1, x2, y2), tooltip in fields:
        printed = tooltip.split(": ", 1)[1]
        first_word = printed.split()[0]
        # the printed name under the line, found independently in the page's text
        hits = [(x, y) for text, x, y in text_positions(reader.pages[page]) if text.startswith(first_word) and printed.startswith(text[:len(first_word)])
                and x1 - 1 <= x <= x2]
        assert hits, f"{document}: {printed!r} ({name}) is not on page {page + 1} under its field"
        x, y = min(hits, key=lambda hit: abs(y1 - hit[1]))
        assert x1 - 1 <= x < x1 + 10  # the name starts where the line starts
        assert 0 < y1 - y < 16, (name, y1, y)  # the field's lower edge is the line, just above the name's baseline
        assert 20 <= y2 - y1 <= 40 and x2 - x1 > 150  # room for a signature over the whole line


@pytest.mark.parametrize("document", NO_FIELDS)
def test_drafts_translations_letters_and_archival_copies_get_no_field(built, document):
    reader = PdfReader(built / "out" / "example" / document)
    assert "/AcroForm" not in reader.trailer["/Root"]
    assert not any(annot.get_object().get("/FT") == "/Sig" for page in reader.pages for annot in page.get("/Annots") or [])


def test_a_final_pdf_with_fields_is_byte_identical_when_rendered_again(built):
    batch = load_batch(built / "records" / "example")
    report = validate(batch, as_of=AS_OF)
    tasks = {task.plan.path("pdf"): task for task in make_tasks(batch, make_plan(batch, report, AS_OF), as_of=AS_OF)}
    for document in (SAL + "agreement_bilingual.en.pdf", BOMB + "release_receipt-city-copy.en.pdf"):
        again = render(tasks[document])["pdf"]
        assert again == (built / "out" / "example" / document).read_bytes(), document


def test_the_revision_is_in_the_metadata_and_the_fields_in_an_update_after_it(built):
    data = (built / "out" / "example" / SAL / "agreement_bilingual.en.pdf").read_bytes()
    meta = PdfReader(io.BytesIO(data)).metadata
    assert meta["/documentid"] == "laredo-saltillo/agreement_bilingual.en"
    assert len(meta["/revision"]) == 10 and meta["/revision"] in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert data.count(b"%%EOF") == 2  # WeasyPrint's file, then the fields' incremental update


# --- verify ----------------------------------------------------------------------------------------

@pytest.fixture
def signed(site, mayor, presidente) -> Path:
    data = site.agreement.read_bytes()
    data = sign(sign(data, "city.mayor", mayor), "partner.municipal_president", presidente)
    path = site.root / "signed.pdf"
    path.write_bytes(data)
    return path


def test_two_signatures_verify_with_both_signers_named_beside_the_printed_names(site, signed, ca):
    result = verify(site, signed, "--trust-root", str(ca.pem(site.root / "ca.pem")))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("verified  signed.pdf: 5 pages; the generated out/example/partnerships/laredo-saltillo/"
                        "agreement_bilingual.en.pdf byte for byte, then signatures only")
    assert lines[1].startswith("signature city.mayor: Victor Treviño (printed: Elena R. Garza), ")
    assert lines[2].startswith("signature partner.municipal_president: Ana Pérez (printed: Javier H. Dávila Treviño), ")
    assert all(line.endswith("; trusted: the certificate chains to a given trust root") for line in lines[1:3])
    assert lines[3:] == ["unsigned  city.attest", "unsigned  city.approved_as_to_form", "unsigned  partner.secretary"]


def test_an_untrusted_chain_is_reported_not_refused(site, signed):
    other = Authority("Some Other CA")
    result = verify(site, signed, "--trust-root", str(other.pem(site.root / "other.pem")))
    assert result.exit_code == 0, result.output
    assert "signature city.mayor: Victor Treviño" in result.output
    assert result.output.count("not trusted: no chain to a given trust root") == 2


def flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def with_a_page_added(data: bytes) -> bytes:
    writer = PdfWriter(io.BytesIO(data), incremental=True)
    writer.add_blank_page()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_one_changed_byte_is_refused(site, signed):
    data = signed.read_bytes()
    signed.write_bytes(flipped(data, len(site.agreement.read_bytes()) // 2))  # inside the page content both signed
    line = one_error_line(verify(site, signed))
    assert line.startswith("Error: signed.pdf: the signature in city.mayor is broken: the bytes it covers changed after signing  → ")


def test_a_page_added_after_signing_is_refused(site, signed):
    signed.write_bytes(with_a_page_added(signed.read_bytes()))
    line = one_error_line(verify(site, signed))
    assert line.startswith("Error: signed.pdf: changed after the signature in city.mayor was made, beyond signing "
                           "(pages or content were added or changed)  → ")


def test_a_signature_over_another_text_revision_is_refused(site, mayor):
    """The signatory signed a copy of the agreement whose text differs from the approved one built
    now (a copy made from an edited record): the signature is sound, but not over this text."""
    revision = PdfReader(site.agreement).metadata["/revision"]
    batch = load_batch(site.batch.folder)
    the_plan = make_plan(batch, validate(batch, as_of=AS_OF), AS_OF)  # as the build planned it
    site.batch.replace(SALTILLO, "through joint trade missions and forums.", "through joint trade missions, forums and fairs.")
    edited = load_batch(site.batch.folder)
    (task,) = [t for t in make_tasks(edited, the_plan, as_of=AS_OF) if t.plan.path("pdf") == SAL + "agreement_bilingual.en.pdf"]
    assert task.revision != revision
    path = site.root / "signed.pdf"
    path.write_bytes(sign(render(task)["pdf"], "city.mayor", mayor))
    line = one_error_line(verify(site, path))
    assert line == (f"Error: signed.pdf: was signed over text revision {task.revision}, but the document is now revision "
                    f"{revision} (out/example/partnerships/laredo-saltillo/agreement_bilingual.en.pdf)  → sign "
                    "out/example/partnerships/laredo-saltillo/agreement_bilingual.en.pdf as `build` wrote it (or rebuild "
                    "if the text changed on purpose, and sign that)")


def test_a_release_signed_digitally_verifies_too(site, ca):
    release = site.out / BOMB / "release_receipt-city-copy.en.pdf"
    path = site.root / "release.pdf"
    path.write_bytes(sign(release.read_bytes(), "city.international_affairs", ca.signer("Daniel Ochoa")))
    result = verify(site, path, record="don-2026-nld-bomberos")
    assert result.exit_code == 0, result.output
    assert "signature city.international_affairs: Daniel Ochoa (printed: Daniel Ochoa)" in result.output


def test_a_pdf_without_signatures_is_not_verified(site):
    line = one_error_line(verify(site, site.agreement))
    assert "carries no digital signature" in line


# --- sci: a digitally signed agreement instead of a scan -------------------------------------------

def test_sci_accepts_a_fully_signed_pdf_archives_it_untouched_and_records_the_signatures(site, mayor, presidente, ca):
    data = site.agreement.read_bytes()
    for field in AGREEMENT_FIELDS:
        data = sign(data, field, mayor if field.startswith("city.") else presidente)
    result = site.run("--trust-root", str(ca.pem(site.root / "ca.pem")), scan=site.scan(data, "signed.pdf"))
    assert result.exit_code == 0, result.output
    assert "matching partnerships/laredo-saltillo/agreement_bilingual.en.pdf, signed digitally" in result.output
    assert "signature partner.secretary: Ana Pérez (printed: Claudia E. Ramos Flores)" in result.output
    (entry,) = site.ledger()
    assert entry["submission"] == "signed_pdf"
    assert [(s["field"], s["signer"], s["trusted"]) for s in entry["signatures"]] == [
        (field, "Victor Treviño" if field.startswith("city.") else "Ana Pérez", True) for field in AGREEMENT_FIELDS]
    assert (site.archive / entry["file"]).read_bytes() == data
    packet = (site.sci / "sci-packet.pdf").read_bytes()  # the signed pages, without signatures that would show as broken
    assert b"/ByteRange" not in packet and len(PdfReader(io.BytesIO(packet)).pages) > site.pages
    # the message carries the signed bytes themselves, beside the packet, and says why
    mail = email.message_from_bytes((site.sci / "sci-submission.eml").read_bytes(), policy=email.policy.default)
    attached = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert list(attached) == ["laredo-saltillo-sci-packet.pdf", "laredo-saltillo-signed-agreement.pdf"]
    assert attached["laredo-saltillo-signed-agreement.pdf"] == data
    assert "The agreement was signed digitally." in " ".join(mail.get_body(("plain",)).get_content().split())


def test_sci_refuses_a_pdf_signed_in_only_some_fields(site, signed):
    before = site.state()
    line = one_error_line(site.run(scan=signed))
    assert line.startswith("Error: signed.pdf: signed digitally in 2 of its 5 signature fields; still empty: city.attest, "
                           "city.approved_as_to_form, partner.secretary  → ")
    assert site.state() == before


def test_sci_refuses_a_tampered_signed_pdf_before_counting_pages(site, signed):
    signed.write_bytes(with_a_page_added(signed.read_bytes()))
    line = one_error_line(site.run(scan=signed))
    assert "changed after the signature in city.mayor was made" in line


def test_a_scan_still_goes_through_and_is_recorded_as_a_scan(site):
    result = site.run()
    assert result.exit_code == 0, result.output
    assert "signed digitally" not in result.output
    (entry,) = site.ledger()
    assert entry["submission"] == "scan" and "signatures" not in entry
