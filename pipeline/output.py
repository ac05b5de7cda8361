"""Write stage: the only code that writes files. Atomic, inside out/<batch>/, with a manifest.

Every file is written under a temporary name in its final folder and renamed into place, and
the manifest is written last, so an interrupted build leaves each file either old or new,
never half-written. Files the previous manifest listed and this build no longer produces are
removed once the new manifest is in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path, PurePosixPath

MANIFEST = "manifest.json"


class OutputPathError(ValueError):
    pass


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class OutputWriter:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def target(self, relative: str) -> Path:
        """The path for `relative`, refusing anything that would land outside the output folder."""
        posix = PurePosixPath(relative)
        if posix.is_absolute() or ".." in posix.parts or not posix.parts or "\\" in relative:
            raise OutputPathError(f"refused output path {relative!r}: it must stay inside {self.folder}")
        path = self.folder.joinpath(*posix.parts)
        if not path.resolve().is_relative_to(self.folder.resolve()):
            raise OutputPathError(f"refused output path {relative!r}: it resolves outside {self.folder}")
        return path

    def write(self, relative: str, data: bytes) -> str:
        """Write atomically; return the sha-256 of what was written."""
        path = self.target(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha256(data)

    def previous_manifest(self) -> dict:
        try:
            return json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def commit(self, manifest: dict) -> None:
        """Write the manifest last, then remove files the previous build made and this one did not."""
        old = {entry["path"] for entry in self.previous_manifest().get("files", [])}
        self.write(MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
        for stale in sorted(old - {entry["path"] for entry in manifest["files"]}):
            try:
                self.target(stale).unlink(missing_ok=True)
            except OutputPathError:
                continue
