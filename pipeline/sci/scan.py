"""The signed scan: a regular file of a sane size, a whole and readable PDF, not protected, without
active content, with as many pages as the agreement it stands for. A digitally signed PDF goes
through the same checks (its signature fields are form fields, not active content), and its
signatures are checked by `signed`, before the page count (pipeline/signed_pdf.py)."""

from __future__ import annotations

import io
import logging
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NullObject, StreamObject

from pipeline.errors import SubmissionError, one_line
from pipeline.output import sha256
from pipeline.records import display_path
from pipeline.signed_pdf import is_digitally_signed

TAIL = 1024  # a PDF ends with %%EOF; a scan without it in its last KiB was cut short
MAX_SCAN_BYTES = 100 * 1024 * 1024  # a 40-page agreement scanned at 300 dpi in colour is about 30 MB
# What the pages' non-image streams may decode to, in all: a scan's are a few kilobytes each; a
# compressed "bomb" is megabytes that inflate to gigabytes (pypdf caps each stream at 75 MB).
MAX_DECODED_BYTES = 256 * 1024 * 1024
DAMAGE_SIGNS = ("not defined", "decompress")  # what pypdf logs when it papers over lost objects or corrupt streams

# What a file that is not a PDF usually is, by its first bytes.
MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"II*\x00", "a TIFF image"),
         (b"MM\x00*", "a TIFF image"), (b"GIF8", "a GIF image"), (b"PK\x03\x04", "a ZIP file, such as a Word document"),
         (b"\xd0\xcf\x11\xe0", "an old Word or Excel document"))


@dataclass(frozen=True)
class Scan:
    """The signed scan as read once: these bytes are checked, hashed, archived and attached."""

    path: Path
    data: bytes = field(repr=False)
    sha256: str
    pages: int
    digital: object = None  # signed_pdf.Verified for a digitally signed PDF; None for a scan of paper

    @property
    def kind(self) -> str:
        """What the ledger records: a scan of the signed paper, or a digitally signed PDF."""
        return "scan" if self.digital is None else "signed_pdf"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def pypdf_quiet():
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


def verify_scan(path: Path, expected_pages: int, agreement_shown: str, signed=None) -> Scan:
    """The scan's bytes, once they are shown to be a whole, readable, unprotected PDF of the right length.
    `signed(data, shown)` checks a digitally signed PDF's signatures (and returns what it found)."""
    shown = display_path(path)
    rescan = "scan the signed agreement again and save it as PDF"
    try:
        data = _read_regular_file(path, shown)
    except IsADirectoryError:
        raise SubmissionError(f"{shown}: is a folder, not a PDF file  → give the scanned PDF itself") from None
    except OSError as exc:
        raise SubmissionError(f"{shown}: cannot be read ({one_line(exc.strerror or exc)})  → give the path of the scanned PDF") from None
    if not data:
        raise SubmissionError(f"{shown}: the file is empty (0 bytes)  → {rescan}")
    if not data.startswith(b"%PDF-"):
        raise SubmissionError(f"{shown}: not a PDF ({_looks_like(data)})  → {rescan}; renaming an image or a "
                              "document to .pdf does not make it one")
    if b"%%EOF" not in data[-TAIL:]:
        raise SubmissionError(f"{shown}: the PDF is truncated (no %%EOF end marker in its last {TAIL} bytes; "
                              f"{len(data):,} bytes in all)  → copy or download the scan again: this one was cut short")
    active: list[str] = []
    with pypdf_quiet() as repairs:
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            encrypted = reader.is_encrypted
            pages = 0 if encrypted else len(reader.pages)
            if not encrypted:
                _read_every_page(reader)
                active = active_content(reader)
        except Exception as exc:  # pypdf raises many types for damaged files; all mean the same to a clerk
            raise SubmissionError(f"{shown}: the PDF is damaged and cannot be read ({one_line(exc)})  → {rescan}") from None
    damage = [m for m in repairs if any(sign in m for sign in DAMAGE_SIGNS)]
    if damage:
        raise SubmissionError(f"{shown}: the PDF is damaged: {one_line(damage[0]).rstrip('.')}  → {rescan}")
    if encrypted:
        raise SubmissionError(f"{shown}: the PDF is password-protected (encrypted)  → save a copy without a password "
                              "or restrictions: the archive and SCI must be able to open it")
    if pages == 0:
        raise SubmissionError(f"{shown}: the PDF has no pages  → {rescan}")
    if active:
        raise SubmissionError(f"{shown}: the PDF carries active content ({', '.join(active)}), which a scanner never "
                              f"adds and which must not reach the archive or SCI  → {rescan} from the signed paper")
    digital = signed(data, shown) if signed is not None and is_digitally_signed(data) else None
    if pages != expected_pages:
        raise SubmissionError(f"{shown}: {pages} page{'s' if pages != 1 else ''}, but the generated agreement "
                              f"{agreement_shown} has {expected_pages}  → scan every page of the signed agreement and "
                              "nothing else, or give --agreement bilingual|en|es for the version that was signed")
    return Scan(path, data, sha256(data), pages, digital)


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
    decoded = 0
    for obj in _objects([page.indirect_reference or page for page in reader.pages]):
        if isinstance(obj, StreamObject) and obj.get("/Subtype") != "/Image":
            decoded += len(obj.get_data())
            if decoded > MAX_DECODED_BYTES:
                cap = f"{MAX_DECODED_BYTES // 1048576} MB" if MAX_DECODED_BYTES >= 1048576 else f"{MAX_DECODED_BYTES:,} bytes"
                raise _Damaged(f"its streams decode to more than {cap}")


def _objects(roots: list, limit: int = 500_000):
    """Every object reachable from `roots`, each once, references followed (never back up a
    /Parent); a missing object is damage, and so is a file of more objects than any scan has."""
    seen: set[tuple[int, int]] = set()
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            if len(seen) >= limit:
                raise _Damaged(f"more than {limit:,} objects")
            seen.add((obj.idnum, obj.generation))
            target = obj.get_object()
            if target is None or isinstance(target, NullObject):
                raise _Damaged(f"object {obj.idnum} {obj.generation} is missing")
            obj = target
        yield obj
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


def active_content(reader: PdfReader) -> list[str]:
    """Every kind of active content reachable from the document's catalog, each named once."""
    found: dict[str, None] = {}
    for obj in _objects([reader.trailer.get("/Root")]):
        if isinstance(obj, DictionaryObject):
            found.update((ACTIVE_KEYS[key], None) for key in obj if key in ACTIVE_KEYS)
            if obj.get("/S") in ACTIVE_ACTIONS:
                found[ACTIVE_ACTIONS[obj["/S"]]] = None
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


