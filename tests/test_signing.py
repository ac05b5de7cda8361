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
    def _certificate(subject, public_key, issuer, issuer_key, ca: bool, timestamping: bool = False):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import NameOID

        start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        usage = dict(digital_signature=True, content_commitment=not ca, key_encipherment=False, data_encipherment=False,
                     key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)
        builder = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                .public_key(public_key).serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(**usage), critical=True))
        if timestamping:
            builder = builder.add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        return builder.sign(issuer_key, hashes.SHA256())

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

    def timestamper(self, name: str = "Sisterdocs Test TSA"):
        """A time-stamping authority the CA certifies, answering in-process (pyHanko's DummyTimeStamper)."""
        from asn1crypto import keys, x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # the dummy TSA signs with RSA only
        cert = self._certificate(name, key.public_key(), self.cert.subject.rfc4514_string()[3:], self.key, ca=False,
                                 timestamping=True)
        der = serialization.Encoding.DER
        return DummyTimeStamper(tsa_cert=x509.Certificate.load(cert.public_bytes(der)),
                                tsa_key=keys.PrivateKeyInfo.load(key.private_bytes(
                                    der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
                                certs_to_embed=[x509.Certificate.load(self.cert.public_bytes(der))])

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


def sign(data: bytes, field: str, signer, also=None) -> bytes:
    """What a PDF reader does when a signatory signs in `field`: an incremental update (to which
    `also(writer)` adds its own changes, as a forger's reader would)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers import PdfSignatureMetadata, sign_pdf

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    if also is not None:
        also(writer)
    return sign_pdf(writer, PdfSignatureMetadata(field_name=field), signer=signer).getvalue()


def updated(data: bytes, change) -> bytes:
    """`data` with one incremental update, made by `change(writer)` (pyHanko's writer)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def replace_first_page_content(writer) -> None:
    """The first page's text replaced by a blue bar: what a signature must never cover unnoticed."""
    from pyhanko.pdf_utils import generic

    page = writer.root["/Pages"]["/Kids"][0]
    page[generic.pdf_name("/Contents")] = writer.add_object(generic.StreamObject(stream_data=b"q 0 0 1 rg 50 750 200 20 re f Q"))
    writer.update_container(page)


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
        hits = [(x, y) for text, x, y in text_positions(reader.pages[page]) if text.startswith(first_word) and (printed.startswith(text) or text.startswith(printed))
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



GENERATED = "out/example/partnerships/laredo-saltillo/agreement_bilingual.en.pdf"


def test_a_signing_update_that_also_edits_page_content_is_refused(site, mayor):
    """pyHanko checks what follows each signature's own update: a change made in the same update
    as the first signature is found only by comparing with the generated file."""
    path = site.root / "signed.pdf"
    path.write_bytes(sign(site.agreement.read_bytes(), "city.mayor", mayor, also=replace_first_page_content))
    line = one_error_line(verify(site, path))
    assert line.startswith(f"Error: signed.pdf: changed since the generated {GENERATED}, beyond signing "
                           "(pages or content were added or changed)  → ")


def add_field(visible: bool):
    def change(writer):
        from pyhanko.sign.fields import SigFieldSpec, append_signature_field

        box = (0, 400, 612, 792) if visible else None  # a visible one, filled, paints over half the page
        append_signature_field(writer, SigFieldSpec("zz", on_page=0, box=box, empty_field_appearance=visible))
    return change


def move_field(writer):
    from pyhanko.pdf_utils import generic
    from pyhanko.sign.fields import enumerate_sig_fields

    for name, _value, ref in enumerate_sig_fields(writer.prev):
        if name == "city.attest":
            field = ref.get_object()
            field["/Rect"] = generic.ArrayObject([generic.FloatObject(v) for v in (0, 400, 612, 792)])
            writer.update_container(field)


@pytest.mark.parametrize("change, refusal", [
    (add_field(visible=True), "changed after the signature in city.mayor was made, beyond signing (pages or content "
                              "were added or changed)  → "),
    (add_field(visible=False), "signature field zz is a field the document does not have (the generated "
                               f"{GENERATED} has {', '.join(AGREEMENT_FIELDS)})  → "),
    (move_field, "changed after the signature in city.mayor was made, beyond signing"),
], ids=["visible", "invisible", "moved"])
def test_a_signature_field_added_or_moved_after_signing_is_refused(site, signed, change, refusal):
    signed.write_bytes(updated(signed.read_bytes(), change))
    line = one_error_line(verify(site, signed))
    assert line.startswith(f"Error: signed.pdf: {refusal}"), line


def test_a_document_timestamp_after_signing_is_accepted_and_reported(site, signed, ca):
    """Acrobat's long-term validation adds a document timestamp (/DocTimeStamp) in a field of its own."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

    stamped = PdfTimeStamper(ca.timestamper()).timestamp_pdf(IncrementalPdfFileWriter(io.BytesIO(signed.read_bytes())), "sha256")
    signed.write_bytes(stamped.getvalue())
    result = verify(site, signed, "--trust-root", str(ca.pem(site.root / "ca.pem")))
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("timestamp ")]
    assert ": Sisterdocs Test TSA, 20" in line and line.endswith("; trusted: the certificate chains to a given trust root")
    assert "signature partner.municipal_president: Ana Pérez" in result.output
    assert "unsigned  partner.secretary" in result.output


def damaged(data: bytes, how: str) -> bytes:
    """The first signature's /Contents (its CMS, hex) zeroed, or a DER header promising more than it holds."""
    import re

    found = re.search(rb"/Contents <([0-9a-fA-F]+)>", data)
    contents = b"0" * len(found.group(1)) if how == "zeroed" else b"3082ffff".ljust(len(found.group(1)), b"0")
    return data[:found.start(1)] + contents + data[found.end(1):]


@pytest.mark.parametrize("how", ["zeroed", "truncated"])
def test_a_damaged_signature_is_refused_as_signed_never_taken_for_a_scan(site, signed, how):
    signed.write_bytes(damaged(signed.read_bytes(), how))
    line = one_error_line(verify(site, signed))
    assert line.startswith("Error: signed.pdf: the signed PDF cannot be read (") and "carries no" not in line
    before = site.state()
    line = one_error_line(site.run(scan=signed))  # sci: not a scan of paper with 5 pages
    assert line.startswith("Error: signed.pdf: the signed PDF cannot be read (")
    assert site.state() == before


def test_bytes_after_the_last_signature_outside_any_update_are_refused(site, signed):
    """A copied `startxref N %%EOF` makes readers that take the last one skip what comes before it."""
    import re

    data = signed.read_bytes()
    last = re.findall(rb"startxref\s+(\d+)\s+%%EOF", data)[-1]
    signed.write_bytes(data + b"999 0 obj\n<< /Note (after the signature) >>\nendobj\nstartxref\n" + last + b"\n%%EOF\n")
    line = one_error_line(verify(site, signed))
    assert line.startswith("Error: signed.pdf: bytes follow the last signature that belong to no saved update of the file  → ")


def test_a_file_saved_between_the_generated_pdf_and_its_first_signature_is_refused(site, mayor):
    from pyhanko.pdf_utils import generic

    def set_language(writer):
        writer.root["/Lang"] = generic.TextStringObject("fr")
        writer.update_root()

    path = site.root / "signed.pdf"
    path.write_bytes(sign(updated(site.agreement.read_bytes(), set_language), "city.mayor", mayor))
    line = one_error_line(verify(site, path))
    assert line == (f"Error: signed.pdf: the file was changed between the generated {GENERATED} and its first signature  "
                    "→ sign the generated PDF itself, without saving edits to it first")


def test_a_signature_in_a_field_that_is_not_the_documents_is_refused(site, signed, presidente):
    signed.write_bytes(sign(signed.read_bytes(), "witness", presidente))  # pyHanko makes the field (invisible)
    line = one_error_line(verify(site, signed))
    assert line.startswith("Error: signed.pdf: a signature fills 'witness', not one of the document's signature "
                           f"fields ({', '.join(AGREEMENT_FIELDS)})  → ")


def test_two_lines_of_the_same_role_are_a_render_error_naming_the_document():
    from pipeline.render import RenderError, html_to_pdf

    html = ('<p style="border-top: 1pt solid; margin-top: 30pt" data-signatory="city.mayor">A</p>'
            '<p style="border-top: 1pt solid; margin-top: 30pt" data-signatory="city.mayor">B</p>')
    with pytest.raises(RenderError) as raised:
        html_to_pdf(html, "laredo-saltillo/agreement.en", signature_fields=True)
    assert str(raised.value).startswith('laredo-saltillo/agreement.en: two signature lines are marked '
                                        'data-signatory="city.mayor" in its template  → ')


def test_a_pyhanko_without_the_writer_hooks_refuses_to_add_fields(monkeypatch):
    """Without its hooks, pyHanko would write a random /ID and the clock's /ModDate: builds would differ."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from pipeline.signature_fields import SignatureFieldError, SignatureLine, _writer_class, add_signature_fields

    monkeypatch.delattr(IncrementalPdfFileWriter, "_handle_id")
    _writer_class.cache_clear()
    try:
        with pytest.raises(SignatureFieldError, match=r"^pyHanko \S+ has no IncrementalPdfFileWriter\._handle_id, "):
            add_signature_fields(b"%PDF-1.7", [SignatureLine("city.mayor", 0, (0, 0, 10, 10), "")])
    finally:
        _writer_class.cache_clear()

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
    assert "/AcroForm" not in PdfReader(io.BytesIO(packet)).trailer["/Root"]  # no empty form left behind either
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
