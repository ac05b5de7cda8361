"""A digitally signed PDF, checked against the document `build` wrote.

A final agreement, resolution or release carries empty signature fields (signature_fields.py);
signing in a PDF reader fills them, each signature an incremental update appended to the file.
So a signed copy is the generated PDF byte for byte, followed by the signers' updates. Checked:

- the signed file starts with the generated PDF exactly, and the first signature signs the
  revision right after it (nothing slipped in between: the strongest form of "covers the whole
  document as generated"; the text revision in the PDF's metadata names what was signed instead);
- every signature is intact (the bytes it covers are the bytes signed) and cryptographically valid,
  and fills one of the document's own fields;
- nothing changed after a signature beyond what signing adds (pyHanko's difference analysis:
  filling the other signature fields, timestamps and validation data are allowed; an added page,
  an edited text or an annotation are not).

Whether each signer's certificate chains to a trusted root is reported as found, never refused:
the roots a city trusts (its own CA, a signing service's, Mexico's SAT for e.firma) are given with
--trust-root. Signers are named from their certificates, beside the names the document prints.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SubmissionError
from pipeline.records import display_path

# What signing may add after a signature (ModificationLevel, by name): validation data and
# timestamps, and the filling of the other signature fields.
ALLOWED_AFTER_SIGNING = ("NONE", "LTA_UPDATES", "FORM_FILLING")
CHANGES = {"ANNOTATIONS": "annotations or comments were added", "OTHER": "pages or content were added or changed"}


@dataclass(frozen=True)
class Signature:
    """One filled field: whose line it is, what the document prints there, who signed it."""

    field: str  # city.mayor
    printed_name: str  # the name printed under the line ("" if the line is left for a handwritten name)
    signer: str  # the certificate's subject common name
    signed_at: str  # the signing time the signature claims (ISO 8601), or ""
    trusted: bool
    trust: str  # what the chain check found, in words

    def as_data(self) -> dict:
        return {"field": self.field, "printed_name": self.printed_name, "signer": self.signer,
                "signed_at": self.signed_at, "trusted": self.trusted}


@dataclass(frozen=True)
class Verified:
    signatures: list[Signature]
    unsigned: list[str]  # the document's fields still empty, in order
    coverage: str  # how the signatures were shown to cover the generated document


def is_digitally_signed(data: bytes) -> bool:
    """The PDF has at least one filled signature field (an empty field is just a form)."""
    if b"/ByteRange" not in data:
        return False
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return bool(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)
    except Exception:  # a damaged file: the scan checks say what is wrong with it
        return False


def load_trust_roots(paths) -> list:
    """The certificates in each PEM or DER file; a file that holds none is refused by name."""
    from pyhanko.keys import load_certs_from_pemder_data

    roots = []
    for path in paths:
        shown = display_path(Path(path))
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise SubmissionError(f"{shown}: cannot read the trust root ({exc.strerror or exc})  "
                                  "→ give a PEM or DER certificate file with --trust-root") from None
        try:
            found = list(load_certs_from_pemder_data(data))
        except Exception:
            found = []
        if not found:
            raise SubmissionError(f"{shown}: holds no certificate in PEM or DER form  → give the CA certificate "
                                  "(e.g. exported from the signing service or downloaded from the issuer) with --trust-root")
        roots += found
    return roots


def verify_signed(data: bytes, shown: str, generated: bytes, generated_shown: str, trust_roots: list) -> Verified:
    """Every signature of `data` checked against `generated` (the PDF `build` wrote); one line refuses."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    expected = _fields(PdfFileReader(io.BytesIO(generated), strict=False))
    if not expected:
        raise SubmissionError(f"{shown}: the generated {generated_shown} has no signature fields (a draft, or built "
                              "before fields existed)  → run `sisterdocs build` and sign the final PDF it writes")
    base_revisions = PdfFileReader(io.BytesIO(generated), strict=False).xrefs.total_revisions
    with _quiet():
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            embedded = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)
        except Exception as exc:
            raise SubmissionError(f"{shown}: the signed PDF cannot be read ({exc})  → save it again from the PDF "
                                  "reader it was signed in") from None
        if not embedded:
            raise SubmissionError(f"{shown}: carries no signature  → sign it, or give the scan of the paper copy")
        context = ValidationContext(trust_roots=list(trust_roots), allow_fetching=False)
        statuses = []
        for sig in embedded:  # first what each signature says of its own bytes, then what it was made over
            try:
                status = validate_pdf_signature(sig, context)
            except Exception as exc:
                raise SubmissionError(f"{shown}: the signature in {sig.field_name} cannot be checked ({exc})  → sign "
                                      "the generated PDF again") from None
            if not status.intact or not status.valid:
                raise SubmissionError(f"{shown}: the signature in {sig.field_name} is broken: the bytes it covers changed "
                                      "after signing  → give the file exactly as it was signed, or sign the generated PDF again")
            level = status.modification_level.name if status.modification_level is not None else "NONE"
            if level not in ALLOWED_AFTER_SIGNING or status.docmdp_ok is False:
                raise SubmissionError(f"{shown}: changed after the signature in {sig.field_name} was made, beyond signing "
                                      f"({CHANGES.get(level, level.lower())})  → give the file exactly as it was signed, "
                                      "or sign the generated PDF again")
            statuses.append(status)
    if not data.startswith(generated):
        raise SubmissionError(f"{shown}: {_why_not_the_generated(data, generated, generated_shown)}")
    if embedded[0].signed_revision != base_revisions:
        raise SubmissionError(f"{shown}: the file was changed between the generated {generated_shown} and its first "
                              f"signature  → sign the generated PDF itself, without saving edits to it first")
    signatures = []
    for sig, status in zip(embedded, statuses):
        if sig.field_name not in expected:
            raise SubmissionError(f"{shown}: a signature fills {sig.field_name!r}, not one of the document's signature "
                                  f"fields ({', '.join(expected)})  → sign in the fields on the signature lines")
        signatures.append(Signature(sig.field_name, expected[sig.field_name], _common_name(status.signing_cert),
                                    _signed_at(status), bool(status.trusted), _trust(status)))
    signed = {s.field for s in signatures}
    return Verified(signatures, [f for f in expected if f not in signed],
                    f"the generated {generated_shown} byte for byte, then signatures only")


def _fields(reader) -> dict[str, str]:
    """The document's signature fields, in order: field name -> the name printed under its line."""
    from pyhanko.sign.fields import enumerate_sig_fields

    found = {}
    for name, _value, ref in enumerate_sig_fields(reader):
        readable = str(ref.get_object().get("/TU", ""))
        found[name] = readable.split(": ", 1)[1] if readable.startswith(f"{name}: ") else ""
    return found


def _why_not_the_generated(data: bytes, generated: bytes, generated_shown: str) -> str:
    """The signed file is not the generated one plus signatures: say what was signed instead, if it says."""
    signed_meta, built_meta = _metadata(data), _metadata(generated)
    fix = f"→ sign {generated_shown} as `build` wrote it (or rebuild if the text changed on purpose, and sign that)"
    if signed_meta.get("/documentid") not in (None, built_meta.get("/documentid")):
        return (f"is a signed copy of {signed_meta.get('/documentid')}, not of {built_meta.get('/documentid')} "
                f"({generated_shown})  {fix}")
    if signed_meta.get("/revision") not in (None, built_meta.get("/revision")):
        return (f"was signed over text revision {signed_meta.get('/revision')}, but the document is now revision "
                f"{built_meta.get('/revision')} ({generated_shown})  {fix}")
    return (f"does not start with the generated {generated_shown} byte for byte: it was altered before or while "
            f"being signed, or signed from another build  {fix}")


def _metadata(data: bytes) -> dict:
    from pypdf import PdfReader

    with _quiet():
        try:
            return {key: str(value) for key, value in (PdfReader(io.BytesIO(data), strict=False).metadata or {}).items()}
        except Exception:
            return {}


def document_id_of(data: bytes) -> str:
    """The document id the PDF's metadata carry (what `build` wrote as /documentid), or ""."""
    return _metadata(data).get("/documentid", "")


def _common_name(cert) -> str:
    if cert is None:
        return "(no certificate)"
    return str(cert.subject.native.get("common_name") or cert.subject.human_friendly)


def _signed_at(status) -> str:
    when = getattr(status, "signer_reported_dt", None)
    return when.isoformat(timespec="seconds") if when else ""


def _trust(status) -> str:
    if status.trusted:
        return "trusted: the certificate chains to a given trust root"
    return "not trusted: no chain to a given trust root (give the issuer's CA certificate with --trust-root)"


class _quiet:
    """pyHanko and pypdf log what they repair or doubt; the checks above say what matters, once."""

    def __enter__(self):
        self.loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator", "pypdf")]
        self.before = [(logger.level, logger.propagate) for logger in self.loggers]
        for logger in self.loggers:
            logger.setLevel(logging.CRITICAL)
            logger.propagate = False
        return self

    def __exit__(self, *exc):
        for logger, (level, propagate) in zip(self.loggers, self.before):
            logger.setLevel(level)
            logger.propagate = propagate
        return False


def fully_signed(data: bytes, shown: str, *, generated: bytes, generated_shown: str, trust_roots: list) -> Verified:
    """What goes to SCI signed digitally: verified, and every signature line signed."""
    verified = verify_signed(data, shown, generated, generated_shown, trust_roots)
    if verified.unsigned:
        total = len(verified.unsigned) + len(verified.signatures)
        raise SubmissionError(f"{shown}: signed digitally in {len(verified.signatures)} of its {total} signature fields; "
                              f"still empty: {', '.join(verified.unsigned)}  → have every signatory sign in the same file "
                              "(or submit the scan of the paper copy signed by all)")
    return verified
