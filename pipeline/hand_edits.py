"""The legal office's own edits to a generated DOCX are never lost.

A DOCX in out/ whose bytes no longer match the manifest was edited by hand. The build keeps that
file (under edited/ in the output, named with its revision and never removed by later builds),
renders the document again from the records, and says which paragraphs differ: an edit belongs
in the record or in a template override, where the next build will not undo it.
"""

from __future__ import annotations

import difflib
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import run_cache

EDITED = "edited"


@dataclass
class HandEdit:
    path: str  # the generated DOCX, relative to out/<batch>/
    record: str
    revision: str
    edited: bytes = field(repr=False)
    kept_as: str = ""
    paragraphs: list[int] = field(default_factory=list)  # 1-based, in the document as rendered
    sample: str = ""
    unreadable: bool = False  # the edited file is no longer a DOCX python-docx can read

    def as_data(self) -> dict:
        return {"path": self.path, "record": self.record, "revision": self.revision, "kept_as": self.kept_as,
                "paragraphs": self.paragraphs}


def find(current: Path | None, previous: dict) -> list[HandEdit]:
    """Every DOCX of the last build whose bytes differ from what that build wrote."""
    if current is None:
        return []
    edits = []
    for path, entry in previous.items():
        if entry.get("format") != "docx":
            continue
        try:
            sha, data = _docx_sha(current / path, path)
        except OSError:
            continue  # gone: nothing to keep
        if sha != entry.get("sha256"):
            data = data if data is not None else (current / path).read_bytes()
            edits.append(HandEdit(path, str(entry.get("record", "")), str(entry.get("revision", "")), data))
    return edits


def _docx_sha(file: Path, path: str) -> tuple[str, bytes | None]:
    """(sha-256, the bytes if read) of a generated file. Its hash is kept in the run cache under
    the file's identity and change time as `stat` tells them (device, inode, size, modification
    time in nanoseconds): a file saved again, by Word or any editor, has a new modification
    time, so it is read and hashed again. Not its ctime, which every build's hard link changes.
    What this cannot see: bytes rewritten in place at the same size with the old modification
    time put back (`cp -p` over the file, `touch -r`), or within one tick of a file system that
    keeps coarse times (FAT, some network shares); `build --force` reads every file."""
    key = _stat_key(file, path)
    sha = run_cache.active().get("file sha", key, _is_sha)
    if sha is not None:
        return sha, None
    data = file.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    run_cache.active().put("file sha", key, sha)
    return sha, data


def remember(file: Path, path: str, sha: str) -> None:
    """A DOCX the build just wrote (at `file`, shown as `path`): the next build knows its hash
    without reading it (the new generation keeps the file's inode when it is moved into place)."""
    run_cache.active().put("file sha", _stat_key(file, path), sha)


def known_unedited(path: str, status, sha: str) -> bool:
    """Whether the run cache knows the file `path`, as `status` (its stat) shows it, to be the
    one written with hash `sha`: True only then; a file it does not know is not read here. (The
    build's note of what it left, pipeline/unchanged.py: a look that saves no reading.)"""
    return run_cache.active().get("file sha", _identity(path, status), _is_sha, counted=False) == sha


def _stat_key(file: Path, path: str) -> str:
    return _identity(path, file.stat())


def _identity(path: str, status) -> str:
    return run_cache.digest(path, identity_text(status))


def identity_text(status) -> str:
    """A file as the file system tells it: device, inode, size and modification time (ns)."""
    return f"{status.st_dev}:{status.st_ino}:{status.st_size}:{status.st_mtime_ns}"


def _is_sha(value) -> bool:
    return isinstance(value, str) and len(value) == 64


def kept_name(edit: HandEdit) -> str:
    stem = edit.path.removesuffix(".docx")
    return f"{EDITED}/{stem}.rev-{edit.revision or 'unknown'}.edited-{hashlib.sha256(edit.edited).hexdigest()[:8]}.docx"


def compare(edit: HandEdit, rendered: bytes) -> None:
    """Which paragraphs of the document as rendered the edit changed, removed or added beside."""
    before = docx_paragraphs(rendered)
    try:
        after = docx_paragraphs(edit.edited)
    except ValueError:
        edit.unreadable = True
        raise
    changed: list[int] = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op != "equal":
            changed += list(range(a0 + 1, max(a1, a0 + 1) + 1)) if a1 > a0 else [a0 + 1]
            if not edit.sample:
                edit.sample = (after[b0] if b1 > b0 else before[a0])[:80]
    edit.paragraphs = sorted(set(changed))


def docx_paragraphs(data: bytes) -> list[str]:
    """The body's paragraphs in order, table cells included, as Word shows them; ValueError for
    bytes that are not a readable DOCX (a damaged zip, broken XML, a missing part)."""
    from docx import Document

    try:
        body = Document(io.BytesIO(data)).element.body
        found = []
        for paragraph in body.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"):
            text = "".join(node.text or "" for node in paragraph.iter(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"))
            if text.strip():
                found.append(" ".join(text.split()))
    except Exception as exc:  # noqa: BLE001 - zipfile's, lxml's and python-docx's own errors, a document without a body
        raise ValueError(f"not a readable DOCX ({exc})") from None
    return found
