"""`sisterdocs verify SIGNED.pdf BATCH ID`: is this digitally signed PDF the final document `build`
wrote for record ID, signed and not changed since? Works for every document with signature fields
(agreements, resolutions, releases); writes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SubmissionError
from pipeline.output import MANIFEST
from pipeline.records import display_path, load_batch
from pipeline.sci.eligibility import built_file
from pipeline.sci.scan import MAX_SCAN_BYTES, Scan, verify_scan
from pipeline.signed_pdf import document_id_of, is_digitally_signed, load_trust_roots, verify_signed


@dataclass
class VerifyResult:
    scan: Scan  # scan.digital holds the signatures found
    document: str  # the generated PDF it was checked against, inside out/<batch>/


def verify(signed_path: Path, batch_folder: Path, record_id: str, out_root: Path = Path("out"), trust_roots=()) -> VerifyResult:
    batch = load_batch(Path(batch_folder))
    if record_id not in {record.id for record in batch.records}:
        known = ", ".join(sorted(record.id for record in batch.records)) or "none"
        raise SubmissionError(f"{display_path(batch.folder)}: no record with id {record_id!r} (records: {known})  "
                              "→ give the id written in the record's 'id:' field")
    roots = load_trust_roots(trust_roots)
    shown = display_path(Path(signed_path))
    out_folder = Path(out_root) / batch.name
    try:  # only a regular file of a sane size is read here; verify_scan says what is wrong with any other
        path = Path(signed_path)
        head = path.read_bytes() if path.is_file() and path.stat().st_size <= MAX_SCAN_BYTES else b""
    except OSError:
        head = b""
    if head and not is_digitally_signed(head):
        raise SubmissionError(f"{shown}: carries no digital signature (a scan or an unsigned PDF)  → sign it in a PDF "
                              "reader; a scan of the signed paper goes to `sisterdocs sci`")
    relative = _generated_path(out_folder, head, record_id, shown) if head else ""
    generated = built_file(out_folder, batch, relative, record_id, "document",
                           "only a final document carries signature fields  → run {rebuild} once it is final, and "
                           "sign the PDF it writes") if relative else b""
    scan = verify_scan(Path(signed_path), _pages(generated), display_path(out_folder / relative),
                       signed=lambda data, shown: verify_signed(data, shown, generated, display_path(out_folder / relative), roots))
    return VerifyResult(scan, relative)


def _generated_path(out_folder: Path, data: bytes, record_id: str, shown: str) -> str:
    """Where `build` wrote the document the signed PDF says it is (its /documentid), per the manifest."""
    document_id = document_id_of(data)
    if not document_id.startswith(f"{record_id}/"):
        raise SubmissionError(f"{shown}: is {document_id or 'a PDF without a sisterdocs document id'}, not a document of "
                              f"{record_id}  → give the id of the record it was built for")
    try:
        files = json.loads((out_folder / MANIFEST).read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        files = []
    entry = next((f for f in files if isinstance(f, dict) and f.get("document_id") == document_id and f.get("format") == "pdf"), None)
    if entry is None:
        raise SubmissionError(f"{display_path(out_folder / MANIFEST)}: lists no PDF of {document_id}  → run "
                              f"`sisterdocs build` for the batch first (or give --out where it wrote)")
    return str(entry["path"])


def _pages(data: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages) if data else 0
