"""What an earlier run worked out, kept for the next one: the edit loop at council scale.

The week before a meeting the office fixes one finding and runs `check` or `build` again and
again. Most of what a run works out depends on one record file, or on one template file, and
not on anything else: a file's parsed YAML, the shape findings of its records (schema and field
rules), the files a template pulls in, the revision of a council act's words. Each is kept here
under a digest of exactly what it depends on (the file's bytes, the program's own code), so an
entry is either right or never looked up; nothing is invalidated by hand.

The cache is the user's own, not the output's: `$XDG_CACHE_HOME/sisterdocs/` (else
`~/.cache/sisterdocs/`), a folder only its owner can open, one file per batch and output folder.
It holds whole records (a pickup person's ID number among them), which must not travel with a
copy of `out/`, and whoever could change it could change what `check` reports: the same person
who can already change the user's own files. It is a pickle read with an unpickler that builds
nothing but plain values and dates, from a regular file of bounded size; an entry of the wrong
shape is a miss. A cache that cannot be read or written is a slower run, not an error, and
`build --force` neither reads it nor keeps what it had. A table a run never looked at (`check`
looks at no document) is kept as it was; of the others, only the entries the run used are
written back, so it holds one batch's worth. A run that does part of a build's work (`check`, a
build that finds nothing to do or stops at the check's errors) prunes nothing: it would drop
what the next build needs (each text's inputs hash, asked by the check for some texts and by the
build for all).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections import Counter
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

FORMAT = 1
_SAFE_GLOBALS = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timezone"), ("datetime", "timedelta")}


class RunCache:
    """Tables of digest → value, loaded from `path` (None: nothing kept between runs)."""

    def __init__(self, path: Path | None = None, read: bool = True):
        self.path, self.read = path, read
        self.stats: Counter = Counter()  # (table, "hit" | "miss") → count: what tests and benchmarks read
        self._old: dict[str, dict] = _load(path) if path and read else {}
        self._new: dict[str, dict] = {}
        self._taken: set = set()
        self._looked_at: set[str] = set()
        self._replaced = False
        self.prune = True  # False: keep the file's entries this run did not use (see the module's docstring)

    def get(self, table: str, key: str, valid: Callable[[object], bool] = lambda value: True, *, counted: bool = True):
        """The value kept under `key`, or None. A value `valid` refuses (not of the shape this
        program writes) is a miss; a hit is kept for the next run too. `counted=False`: a look that
        saves no work (a note of what was just made), left out of `stats`."""
        self._looked_at.add(table)
        value = self._new.get(table, {}).get(key)
        if value is None:
            value = self._old.get(table, {}).get(key)
            try:
                value = value if value is not None and valid(value) else None
            except Exception:  # noqa: BLE001 - a shape check that trips is a refusal
                value = None
            if value is not None:
                self._new.setdefault(table, {})[key] = value
        if counted:
            self.stats[table, "hit" if value is not None else "miss"] += 1
        return value

    def take(self, table: str, key: str, valid: Callable[[object], bool] = lambda value: True):
        """Like get, but only once per run: a value met twice (two files with the same text) is
        made again the second time, so no two records share their values."""
        if (table, key) in self._taken:
            return None
        self._taken.add((table, key))
        return self.get(table, key, valid)

    def kept(self, table: str, key: str, make: Callable[[], object], valid: Callable[[object], bool] = lambda value: True):
        """The value kept under `key`, else `make()`, kept for the next run; with no key, made and not kept."""
        if not key:
            return make()
        value = self.get(table, key, valid)
        if value is None:
            value = make()
            self.put(table, key, value)
        return value

    def put(self, table: str, key: str, value) -> None:
        """Keep `value` for this run and the next; a cache kept nowhere (no path) keeps nothing,
        so code run outside `using` always works everything out."""
        self._looked_at.add(table)
        if self.path is not None:
            self._new.setdefault(table, {})[key] = value
            self._replaced |= key in self._old.get(table, {})  # the file's entry was refused: write the new one

    def retain(self, table: str, key: str) -> None:
        """Keep the file's entry under `key` for the next run as it is, unread and uncounted: one
        this run had no use for but the next may (a packet segment whose bytes were copied)."""
        self._looked_at.add(table)
        value = self._old.get(table, {}).get(key)
        if value is not None:
            self._new.setdefault(table, {}).setdefault(key, value)

    def drop(self, *tables: str) -> None:
        """Forget every entry of these tables, read or made: what is made from now on replaces them
        (entries a reader refused after taking them, like a damaged page, are not kept)."""
        for table in tables:
            self._looked_at.add(table)
            self._replaced |= table in self._old
            self._old.pop(table, None)
            self._new.pop(table, None)

    def companion(self, name: str) -> "RunCache":
        """A cache in its own file beside this one, for a table too big to load on every run (the
        council packet's segments): read by the run that needs it, and saved by it. Its work
        counts with this cache's."""
        other = RunCache(self.path.with_name(f"{self.path.name}.{name}") if self.path else None, self.read)
        other.stats = self.stats
        return other

    def save(self) -> None:
        """Write what this run used (and the tables it never looked at), atomically, readable by
        the user alone; a folder that cannot be written keeps no cache."""
        if self.path is None:
            return
        tables = {**{name: rows for name, rows in self._old.items() if name not in self._looked_at}, **self._new}
        if not self.prune:
            tables = {**self._old, **{name: {**self._old.get(name, {}), **rows} for name, rows in self._new.items()}}
        if not tables or self._same_as_read(tables):
            return
        temporary = None
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=self.path.name + ".", dir=self.path.parent)
            with os.fdopen(handle, "wb") as out:
                pickle.dump({"format": FORMAT, "code": code_digest(), "tables": tables}, out,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.path)
        except Exception:  # noqa: BLE001 - a cache never fails a run
            if temporary:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass


    def _same_as_read(self, tables: dict) -> bool:
        """True if `tables` holds the very entries the file holds: a run that found everything it
        looked for and used all of it (a rebuild with nothing changed) leaves the file alone.
        Equal keys are equal values: a key is the digest of what its value is made from."""
        return not self._replaced and set(tables) == set(self._old) and all(tables[name].keys() == self._old[name].keys() for name in tables)


_ACTIVE: list[RunCache] = [RunCache()]


def active() -> RunCache:
    """The cache of the run under way (an empty one, kept nowhere, outside `using`)."""
    return _ACTIVE[-1]


@contextmanager
def using(path: Path | None, read: bool = True) -> Iterator[RunCache]:
    """Make the cache at `path` the active one for the block, and save it when the block ends
    well; `read=False` starts from nothing (build --force)."""
    cache = RunCache(path, read)
    _ACTIVE.append(cache)
    try:
        yield cache
        cache.save()
    finally:
        _ACTIVE.remove(cache)


def is_tuple_of(*kinds) -> Callable[[object], bool]:
    """A shape check: a tuple of exactly these types (a type, or a tuple of types, per place)."""
    return lambda value: isinstance(value, tuple) and len(value) == len(kinds) and all(
        isinstance(part, kind) for part, kind in zip(value, kinds))


def cache_home() -> Path:
    """The user's own cache folder for sisterdocs ($XDG_CACHE_HOME/sisterdocs, else ~/.cache/sisterdocs)."""
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(home) / "sisterdocs"


def cache_path(out_root: Path, batch_name: str) -> Path:
    """The user's cache file for one batch built into one output folder."""
    return cache_home() / f"{batch_name}-{digest(os.path.abspath(out_root))[:16]}.cache"


def digest(*parts: bytes | str) -> str:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The program that made the entries: its sources, schemas, shipped fonts and the libraries
    whose results it keeps. A changed line of code empties the cache."""
    from importlib.metadata import PackageNotFoundError, version

    from pipeline.project import ASSETS, SCHEMA_DIR

    package = Path(__file__).resolve().parent
    h = hashlib.blake2b(digest_size=20)
    files = sorted(package.rglob("*.py")) + sorted(Path(SCHEMA_DIR).glob("*.yaml")) + sorted((ASSETS / "fonts").glob("*"))
    for path in files:
        h.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    for name in ("cerberus", "PyYAML", "python-stdnum", "pycountry", "vininfo", "babel", "jinja2", "fonttools",
                 "python-dateutil", "weasyprint", "pydyf", "pypdf"):
        try:
            h.update(f"{name}={version(name)}".encode())
        except PackageNotFoundError:
            h.update(f"{name}=-".encode())
    h.update(sys.version.encode())
    return h.hexdigest()


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _SAFE_GLOBALS:
            return getattr(dt, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a value this cache holds")


MAX_BYTES = 1 << 30  # far beyond a 10,000-record batch; a bigger file is not this program's


def _load(path: Path) -> dict:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return {}
    try:
        facts = os.fstat(descriptor)
        if not stat.S_ISREG(facts.st_mode) or facts.st_size > MAX_BYTES:
            return {}
        with os.fdopen(descriptor, "rb") as handle:
            descriptor = None
            data = _PlainUnpickler(handle).load()
    except Exception:  # noqa: BLE001 - truncated, planted or from another version: start afresh
        return {}
    finally:
        if descriptor is not None:
            os.close(descriptor)
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("code") != code_digest():
        return {}
    tables = data.get("tables")
    if not isinstance(tables, dict):
        return {}
    return {name: rows for name, rows in tables.items() if isinstance(name, str) and isinstance(rows, dict)}
