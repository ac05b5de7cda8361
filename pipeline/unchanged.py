"""A rebuild with nothing to do, known before a document is planned.

Every output of a build is made from the records, the city profile, the meeting, the templates,
the kept revisions of reviewed texts, the day and the program. A build that finishes notes a
digest of all of them beside the digest of the manifest it left in out/. The next build with the
same digest, finding that manifest current and every file it lists the very file that build
left (its inode, size and modification time: no DOCX edited by hand), has nothing to make: it
takes the output over whole instead of planning each document to find that out (issue 18: the
no-op rebuild within 1.2 × `check`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

from pipeline import __version__, hand_edits, run_cache
from pipeline.output import MANIFEST, OutputFolder
from pipeline.project import ASSETS, LANGS, template_dirs
from pipeline.review import REVISIONS

TABLE = "unchanged build"


def batch_inputs(batch, report, as_of, overrides: Path | None) -> str:
    """What every output is made from, but the kept revisions (which the build itself adds to).
    The findings are the check's, which the compliance report prints: a fix may name a file as
    seen from the folder the build runs in (the report names each finding's own file by the
    records folder, whichever folder the build runs in)."""
    records = (f"{r.kind}\0{os.path.abspath(r.file)}\0{r.index}\0{r.id}\0{r.source}" for r in batch.all_records())
    findings = json.dumps([{**dataclasses.asdict(f), "file": None} for f in report.findings], ensure_ascii=False, default=str)
    return run_cache.digest(run_cache.code_digest(), __version__, as_of.isoformat(), findings,
                            os.path.abspath(batch.city.file), batch.city.source or "", os.path.abspath(batch.meeting.file),
                            batch.meeting.source or "",
                            _templates(overrides), *records)


def key(inputs: str, batch_folder: Path) -> str:
    return run_cache.digest(inputs, _revisions(batch_folder))


def taken_over(output: OutputFolder, build_key: str) -> dict | None:
    """The current manifest, when the last build was made from `build_key` and left it, and every
    file it lists is still the very file that build left (the same inode, size and modification
    time: a file replaced, resized or saved again by Word is not); else None."""
    kept = run_cache.active().get(TABLE, build_key, _is_note)
    current = _current(output)
    if kept is None or current is None:
        return None
    try:
        data = (current / MANIFEST).read_bytes()
    except OSError:
        return None
    manifest_digest, files_digest = kept.split(":")
    if run_cache.digest(data) != manifest_digest:
        return None
    manifest = json.loads(data)
    return manifest if _files(current, manifest.get("files", [])) == files_digest else None


def remember(generation: Path | None, build_key: str, data: bytes | None = None, files: list | None = None,
             known: Callable[[str], os.stat_result | None] = lambda path: None) -> None:
    """Note that `generation`, the one this build committed (or kept), is what `build_key` makes,
    file by file: each DOCX only as the run cache knows it was written (a DOCX saved again while
    the build ran is not noted, so the next build finds it edited). Read from the generation's own
    folder, never through out/<batch>, which a second build may have moved on since: `data`, its
    manifest as written, `files`, that manifest's files, and `known`, the stat of a file taken
    over as the build looked it up (Generation.known_stat; the same inode), spare reading,
    parsing and stating them again."""
    try:
        data = data if data is not None else (generation / MANIFEST).read_bytes() if generation else None
    except OSError:
        return
    if data is None:
        return
    files = files if files is not None else json.loads(data).get("files", [])
    unedited = lambda path, found, entry: entry.get("format") != "docx" or hand_edits.known_unedited(path, found, entry.get("sha256"))  # noqa: E731
    files_digest = _files(generation, files, unedited, known)
    if files_digest is not None:
        run_cache.active().put(TABLE, build_key, f"{run_cache.digest(data)}:{files_digest}")


def _current(output: OutputFolder) -> Path | None:
    """The current generation, only when out/<batch> is the link a build made to it."""
    return output.current() if output.folder.is_symlink() else None


def _files(current: Path, files: list, accept=lambda path, found, entry: True,
           known: Callable[[str], os.stat_result | None] = lambda path: None) -> str | None:
    """One digest of every listed file's identity as the file system tells it (or `known` told
    it), or None if one is gone, not a regular file, not at the size written, or not accepted."""
    root = str(current)
    identities = hashlib.blake2b(digest_size=20)
    for entry in files:
        path = entry["path"]
        try:
            found = known(path) or os.stat(f"{root}/{path}")  # a string, not a Path: some twenty thousand files
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(found.st_mode) or found.st_size != entry.get("bytes") or not accept(path, found, entry):
            return None
        identities.update(f"{path}\0{hand_edits.identity_text(found)}\n".encode())
    return identities.hexdigest()


def _is_note(value) -> bool:
    """Two digests, the manifest's and its files': the shape `remember` writes."""
    size = len(run_cache.digest())
    return isinstance(value, str) and len(value) == 2 * size + 1 and value[size] == ":" and value.replace(":", "").isalnum()


def _templates(overrides: Path | None) -> str:
    """Every template a document could use (the city's own and the packaged ones) and the assets,
    each read and hashed once per build (render's hash, which the documents' inputs use too)."""
    from pipeline.render import _file_sha

    files = []
    for folder in [*(d for lang in LANGS for d in template_dirs(lang, overrides)), ASSETS]:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                files.append(f"{path}\0{_file_sha(path).hex()}")
    return run_cache.digest(*files)


def _revisions(batch_folder: Path) -> str:
    """The kept revisions as the file system tells them: names, sizes and modification times."""
    entries = []
    for root, folders, names in os.walk(Path(batch_folder) / REVISIONS):
        folders.sort()
        for name in sorted(names):
            try:
                found = os.stat(os.path.join(root, name))
            except OSError:
                continue
            entries.append(f"{os.path.join(root, name)}\0{found.st_size}\0{found.st_mtime_ns}")
    return run_cache.digest(*entries)
