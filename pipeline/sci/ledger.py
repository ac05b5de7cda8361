"""The archive of what went to SCI and its append-only ledger: each file kept read-only, byte for
byte, and one JSON line per submission or notice, appended under a lock (the commit point)."""

from __future__ import annotations

import contextlib
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
    for entry in submissions(ledger):
        where = display_path(archive_root / str(entry.get("file", "")))
        if entry.get("partnership") == partnership_id and "notice" not in entry:  # a status notice is not the agreement
            raise SubmissionError(f"{partnership_id}: already submitted: archived {entry.get('archived_at', '?')} as "
                                  f"{where} (ledger {display_path(archive_root / LEDGER)}); a second submission is refused  "
                                  "→ nothing to do; to replace the copy SCI has, write to its membership office")
        if scan_sha and entry.get("sha256") == scan_sha:
            raise SubmissionError(f"this scan (SHA-256 {scan_sha[:12]}…) is already archived for {entry.get('partnership')} "
                                  f"as {where}  → scan the signed agreement of {partnership_id}")


def submissions(ledger: list[dict]) -> list[dict]:
    """The entries that archive something sent (a signed agreement, a notice), without delivery lines."""
    return [entry for entry in ledger if "delivery_of" not in entry]


def archive(scan: Scan, archive_root: Path, partnership_id: str, batch_name: str, signed_on: dt.date,
            write_outputs=lambda: None, message: bytes = b"") -> dict:
    """Copy the scan (or the digitally signed PDF), untouched and read-only, into the archive; then
    append its ledger line (the commit), which says which of the two it was."""
    relative = f"{partnership_id}/signed-agreement-{signed_on.isoformat()}-{scan.sha256[:12]}.pdf"
    entry = {"partnership": partnership_id, "batch": batch_name, "submission": scan.kind}
    if scan.digital is not None:  # who signed which line, as the certificates say
        entry["signatures"] = [signature.as_data() for signature in scan.digital.signatures]
    return append_to_ledger(archive_root, relative, scan.data, scan.pages, entry,
                            lambda ledger: refuse_if_in_ledger(ledger, archive_root, partnership_id, scan.sha256),
                            write_outputs, message)


def append_to_ledger(archive_root: Path, relative: str, data: bytes, pages: int, entry: dict, refuse,
                     write_outputs=lambda: None, message: bytes = b"") -> dict:
    """Keep `data` (and the message that carries it to SCI) read-only in the archive, then append
    its ledger line (the commit).

    The ledger is locked and read again first, and `refuse(ledger)` raises when this entry must not
    be made (already submitted, already notified); only then does `write_outputs()` write the packet
    and message under out/: of two clerks at once, the second writes nothing at all. The message is
    archived too, so `--resend` sends exactly the recorded bytes even after out/ is cleaned.
    """
    with _locked_ledger(archive_root) as ledger:
        refuse(read_ledger(archive_root, ledger.read()))
        write_outputs()
        _store_read_only(archive_root / relative, data)
        entry = {**entry, "file": relative, "sha256": sha256(data), "bytes": len(data), "pages": pages}
        if message:
            entry["message"] = str(Path(relative).with_suffix(f".message-{sha256(message)[:12]}.eml"))
            entry["message_sha256"] = sha256(message)
            _store_read_only(archive_root / entry["message"], message)
        entry["archived_at"] = _now()
        _append_line(ledger, entry)
    return entry


def record_delivery(archive_root: Path, entry: dict, status: str, via: str, error: str = "", resent: bool = False) -> None:
    """One line per attempt to deliver an archived message: sent (the server accepted it) or failed."""
    line = {"delivery_of": entry.get("file"), "partnership": entry.get("partnership"), "status": status, "via": via,
            "at": _now()}
    if error:
        line["error"] = error
    if resent:
        line["resent"] = True
    with _locked_ledger(archive_root) as ledger:
        _append_line(ledger, line)


def recorded_message(archive_root: Path, partnership_id: str, notice: bool) -> tuple[dict, bytes]:
    """The last archived submission (or status notice) of a partnership and its message, byte-checked."""
    ledger_path = display_path(archive_root / LEDGER)
    sent = [entry for entry in submissions(read_ledger(archive_root))
            if entry.get("partnership") == partnership_id and ("notice" in entry) == notice]
    what = "status notice" if notice else "submission of the signed agreement"
    if not sent:
        raise SubmissionError(f"{partnership_id}: {ledger_path} records no {what}, so there is nothing to send again  "
                              f"→ run `sisterdocs {'sci-notice' if notice else 'sci'}` first")
    entry = sent[-1]
    if "message" not in entry:
        raise SubmissionError(f"{partnership_id}: the {what} archived {entry.get('archived_at', '?')} predates archived "
                              "messages, so its exact message is not kept  → send the .eml under out/<batch>/sci/"
                              f"{partnership_id}/ from your mail program")
    path = archive_root / entry["message"]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SubmissionError(f"{display_path(path)}: cannot read the archived message ({exc.strerror})  → restore it "
                              "from a backup of the archive; nothing was sent") from None
    if sha256(data) != entry.get("message_sha256"):
        raise SubmissionError(f"{display_path(path)}: differs from the message the ledger recorded (SHA-256 "
                              f"{str(entry.get('message_sha256'))[:12]}…)  → restore it from a backup; nothing was sent")
    return entry, data


@contextlib.contextmanager
def _locked_ledger(archive_root: Path):
    """The ledger opened for appending under an exclusive lock, read from its start."""
    archive_root.mkdir(parents=True, exist_ok=True)
    with open(archive_root / LEDGER, "a+", encoding="utf-8") as ledger:
        fcntl.flock(ledger, fcntl.LOCK_EX)  # released when the file is closed
        ledger.seek(0)
        yield ledger


def _append_line(ledger, entry: dict) -> None:
    ledger.seek(0, os.SEEK_END)
    ledger.write(json.dumps(entry, ensure_ascii=False) + "\n")
    ledger.flush()
    os.fsync(ledger.fileno())


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


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


