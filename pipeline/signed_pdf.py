"""A digitally signed PDF, checked against the document `build` wrote.

A final agreement, resolution or release carries empty signature fields (signature_fields.py);
signing in a PDF reader fills them, each signature an incremental update appended to the file.
So a signed copy is the generated PDF byte for byte, followed by the signers' updates. Checked:

- the file reads strictly (pyHanko's strict parser), and a signature that cannot be read at all
  is refused, never taken for a scan (is_digitally_signed);
- the signed file starts with the generated PDF exactly, and the first signature signs the
  revision right after it (nothing slipped in between: the strongest form of "covers the whole
  document as generated"; the text revision in the PDF's metadata names what was signed instead);
- every signature and document timestamp is intact (the bytes it covers are the bytes signed)
  and cryptographically valid; each signature fills one of the document's own fields, and the
  signature fields are exactly the document's (name, page, rectangle; plus invisible timestamp fields);
- nothing changed beyond what signing adds, from the generated PDF on and after each signature
  (pyHanko's difference analysis, with diff_policy(): pyHanko checks each signature only against
  what follows its own update, so the update the first signature is in is checked from the
  generated file once more; filling signature fields, timestamps and validation data are allowed;
  an added page, an edited text, an annotation or a new visible field are not);
- no bytes follow the last signature outside a saved update.

Whether each signer's certificate chains to a trusted root is reported as found, never refused:
the roots a city trusts (its own CA, a signing service's, Mexico's SAT for e.firma) are given with
--trust-root. Signers are named from their certificates, beside the names the document prints.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.errors import SubmissionError, one_line
from pipeline.records import display_path

# What signing may add after a signature (ModificationLevel, by name): validation data and
# timestamps, and the filling of the other signature fields.
TAIL = 1024  # where a PDF's last `startxref N %%EOF` is looked for
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
    timestamps: list[Signature] = field(default_factory=list)  # document timestamps: field, TSA, time, trust


def is_digitally_signed(data: bytes) -> bool:
    """The PDF has a signature, even one that cannot be read: a damaged signature is a signed PDF
    to refuse, never a scan of paper (an empty field is just a form)."""
    if b"/ByteRange" in data:
        return True
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    with _quiet():
        try:
            return any(value is not None for _name, value, _ref in enumerate_sig_fields(PdfFileReader(io.BytesIO(data), strict=False)))
        except Exception:  # not readable as a form at all: the scan checks say what is wrong with it
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
            raise SubmissionError(f"{shown}: cannot read the trust root ({one_line(exc.strerror or exc)})  "
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
    from pyhanko_certvalidator import ValidationContext

    built = PdfFileReader(io.BytesIO(generated), strict=False)
    expected = _fields(built)
    if not expected:
        raise SubmissionError(f"{shown}: the generated {generated_shown} has no signature fields (a draft, or built "
                              "before fields existed)  → run `sisterdocs build` and sign the final PDF it writes")
    base_revisions = built.xrefs.total_revisions
    with _quiet():
        reader, embedded = _signatures(data, shown)
        context = ValidationContext(trust_roots=list(trust_roots), allow_fetching=False)
        statuses = [_validated(sig, context, shown) for sig in embedded]
        if not data.startswith(generated):
            raise SubmissionError(f"{shown}: {_why_not_the_generated(data, generated, generated_shown)}")
        if embedded[0].signed_revision != base_revisions:
            raise SubmissionError(f"{shown}: the file was changed between the generated {generated_shown} and its first "
                                  f"signature  → sign the generated PDF itself, without saving edits to it first")
        signatures, timestamps = _named(embedded, statuses, expected, shown)
        _refuse_other_fields(reader, built, shown, generated_shown)
        _refuse_changes_since_generated(reader, base_revisions - 1, shown, generated_shown)
        _refuse_trailing_bytes(data, reader, embedded[-1], shown)
    signed = {s.field for s in signatures}
    return Verified(signatures, [f for f in expected if f not in signed],
                    f"the generated {generated_shown} byte for byte, then signatures only", timestamps)


def _signatures(data: bytes, shown: str):
    """The signed file read strictly (a file readers could each read differently is refused), and its
    signatures and document timestamps in the order they were made."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        embedded = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)
    except Exception as exc:
        raise SubmissionError(f"{shown}: the signed PDF cannot be read ({one_line(exc)})  → save it again from the PDF "
                              "reader it was signed in") from None
    if not embedded:
        raise SubmissionError(f"{shown}: carries no signature  → sign it, or give the scan of the paper copy")
    return reader, embedded


def _validated(sig, context, shown: str):
    """One signature (or document timestamp) intact, valid, and followed by nothing but signing."""
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp

    try:
        if sig.sig_object_type == "/DocTimeStamp":  # Acrobat's LTV: a timestamp over the whole file, no signer
            status = validate_pdf_timestamp(sig, context, diff_policy=diff_policy())
        else:
            status = validate_pdf_signature(sig, context, diff_policy=diff_policy())
    except Exception as exc:
        raise SubmissionError(f"{shown}: the signature in {sig.field_name} cannot be checked ({one_line(exc)})  → sign "
                              "the generated PDF again") from None
    if not status.intact or not status.valid:
        raise SubmissionError(f"{shown}: the signature in {sig.field_name} is broken: the bytes it covers changed "
                              "after signing  → give the file exactly as it was signed, or sign the generated PDF again")
    level = status.modification_level.name if status.modification_level is not None else "NONE"
    if level not in ALLOWED_AFTER_SIGNING or status.docmdp_ok is False:
        raise SubmissionError(f"{shown}: changed after the signature in {sig.field_name} was made, beyond signing "
                              f"({CHANGES.get(level, level.lower())})  → give the file exactly as it was signed, "
                              "or sign the generated PDF again")
    return status


def _named(embedded, statuses, expected: dict[str, str], shown: str):
    """Each signature in one of the document's fields, named; each document timestamp, whatever its field."""
    signatures, timestamps = [], []
    for sig, status in zip(embedded, statuses):
        if sig.sig_object_type == "/DocTimeStamp":
            timestamps.append(Signature(sig.field_name, "", _common_name(status.signing_cert),
                                        _iso(getattr(status, "timestamp", None)), bool(status.trusted), _trust(status)))
            continue
        if sig.field_name not in expected:
            raise SubmissionError(f"{shown}: a signature fills {sig.field_name!r}, not one of the document's signature "
                                  f"fields ({', '.join(expected)})  → sign in the fields on the signature lines")
        signatures.append(Signature(sig.field_name, expected[sig.field_name], _common_name(status.signing_cert),
                                    _signed_at(status), bool(status.trusted), _trust(status)))
    return signatures, timestamps


def diff_policy():
    """pyHanko's difference analysis, stricter: the /SigFlags signing sets (1 -> 3) is no change, and a
    field added after the document was built may only be an invisible one (a document timestamp's);
    a visible one, even empty, could paint over the page."""
    from pyhanko.sign.diff_analysis import (DEFAULT_DIFF_POLICY, FormUpdatingRule, GenericFieldModificationRule,
                                            SigFieldModificationRule, StandardDiffPolicy)
    from pyhanko.sign.diff_analysis.constants import ACROFORM_EXEMPT_STRICT_COMPARISON

    return StandardDiffPolicy(
        global_rules=DEFAULT_DIFF_POLICY.global_rules,
        form_rule=FormUpdatingRule(field_rules=[_invisible_field_creation()(), SigFieldModificationRule(),
                                                GenericFieldModificationRule()],
                                   ignored_acroform_keys=ACROFORM_EXEMPT_STRICT_COMPARISON | {"/SigFlags"}))


@lru_cache(maxsize=1)
def _invisible_field_creation():
    """Made on first use, like the writer in signature_fields.py: pyHanko is imported only when needed."""
    from pyhanko.sign.diff_analysis import SigFieldCreationRule, SuspiciousModification
    from pyhanko.sign.diff_analysis.rules.form_field_rules import is_field_visible

    class InvisibleSigFieldCreationRule(SigFieldCreationRule):
        """New signature fields only if invisible (zero-area, like a document timestamp's), bound to a page or not."""

        def apply(self, context):
            for name, spec in context.field_specs.items():
                if spec.field_type == "/Sig" and spec.old_field_ref is None and is_field_visible(spec.new_field_ref.get_object()):
                    raise SuspiciousModification(f"a visible signature field {name} was added")
            yield from super().apply(context)

    return InvisibleSigFieldCreationRule


def _refuse_changes_since_generated(reader, last_generated: int, shown: str, generated_shown: str) -> None:
    """What each signature's own check misses: the changes made in the same update as the first
    signature (pyHanko compares only the updates after a signature's own revision)."""
    from pyhanko.sign.diff_analysis import DiffResult

    try:
        result = diff_policy().review_file(reader, last_generated)
    except Exception as exc:
        result = exc
    level = result.modification_level.name if isinstance(result, DiffResult) else "OTHER"
    if level not in ALLOWED_AFTER_SIGNING:
        raise SubmissionError(f"{shown}: changed since the generated {generated_shown}, beyond signing "
                              f"({CHANGES.get(level, level.lower())})  → give the file exactly as it was signed, "
                              "or sign the generated PDF again")


def _refuse_other_fields(reader, built, shown: str, generated_shown: str) -> None:
    """The signature fields are the document's own, where it put them; besides them only invisible
    fields holding a document timestamp."""
    try:
        have, want = _places(reader), _places(built)
    except Exception as exc:  # a field or page tree pyHanko cannot follow
        raise SubmissionError(f"{shown}: the signed PDF cannot be read ({one_line(exc)})  → save it again from the PDF "
                              "reader it was signed in") from None
    for name, place in have.items():
        if want.get(name) == place or (place[2] == "timestamp" and not place[1]):
            continue
        where = "a field the document does not have" if name not in want else "moved or resized"
        raise SubmissionError(f"{shown}: signature field {name} is {where} (the generated {generated_shown} has "
                              f"{', '.join(want)})  → sign in the fields of the generated PDF, without adding or editing fields")
    missing = [name for name in want if name not in have]
    if missing:
        raise SubmissionError(f"{shown}: the signature field {missing[0]} of the generated {generated_shown} is gone  "
                              "→ sign in the fields of the generated PDF, without removing fields")


def _places(reader) -> dict[str, tuple]:
    """Every signature field: name -> (the pages showing its widgets, their rectangles if visible,
    "timestamp" if a document timestamp fills it)."""
    from pyhanko.sign.fields import enumerate_sig_fields

    pages: dict = {}
    for number in range(int(reader.root["/Pages"]["/Count"])):
        annots = reader.find_page_for_modification(number)[0].get_object().get("/Annots", [])
        for i in range(len(annots)):
            pages.setdefault(_reference(annots.raw_get(i)), []).append(number)
    found = {}
    for name, value, ref in enumerate_sig_fields(reader):
        kids = ref.get_object().get("/Kids", [])
        widgets = [kids.raw_get(i) for i in range(len(kids))] or [ref]
        rects = tuple(tuple(round(float(v), 2) for v in w.get_object()["/Rect"]) for w in widgets
                      if _area(w.get_object().get("/Rect")))
        on = tuple(sorted(n for w in widgets for n in pages.get(_reference(w), [])))
        found[name] = (on, rects, "timestamp" if value is not None and value.get_object().get("/Type") == "/DocTimeStamp" else "")
    return found


def _reference(obj):
    return getattr(obj, "reference", None) or id(obj)


def _area(rect) -> float:
    try:
        x1, y1, x2, y2 = (float(v) for v in rect)
    except (TypeError, ValueError):
        return 0.0
    return abs(x2 - x1) * abs(y2 - y1)


def _refuse_trailing_bytes(data: bytes, reader, last, shown: str) -> None:
    """Nothing after the last signature but whole updates: bytes outside every update (a copied
    `startxref ... %%EOF` after them) are read by some readers and not by others."""
    byte_range = [int(v) for v in last.sig_object["/ByteRange"]]
    if byte_range[2] + byte_range[3] == len(data):  # the last signature signs the whole file
        return
    at = max(len(data) - TAIL, 0)
    tail = re.search(rb"startxref\s+(\d+)\s+(%%EOF)[\r\n]*\Z", data[at:])
    last_xref = reader.xrefs.get_xref_container_info(reader.xrefs.total_revisions - 1).start_location
    if (tail is None or int(tail.group(1)) != last_xref or last_xref < byte_range[2] + byte_range[3]
            or data.find(b"%%EOF", last_xref) != at + tail.start(2)):
        raise SubmissionError(f"{shown}: bytes follow the last signature that belong to no saved update of the file  "
                              "→ give the file exactly as the PDF reader saved it after the last signature")


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
    return _iso(getattr(status, "signer_reported_dt", None))


def _iso(when) -> str:
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
