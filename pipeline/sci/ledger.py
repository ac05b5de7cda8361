"""The archive of what went to SCI and its append-only ledger: each file kept read-only, byte for
byte, and one JSON line per submission or notice, appended under a lock (the commit point)."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import tempfile
from pathlib import Path


from pipeline.errors import SubmissionError
from pipeline.output import sha256
from pipeline.records import display_path
from pipeline.sci.scan import Scan

LEDGER = "ledger.jsonl"


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


