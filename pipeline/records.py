"""Load stage: read a batch folder into plain records that remember file and line.

Layout of a batch (a folder under records/):

    records/city.yaml                 the issuing city (a batch may carry its own city.yaml)
    records/<batch>/batch.yaml        the council meeting and its agenda
    records/<batch>/partnerships/*.yaml
    records/<batch>/donations/*.yaml  each file one record, or a list of records

Every unreadable file is collected, so a clerk sees all of them at once, then reported as
one InputError (exit 2). Nothing here judges content: that is the validate stage's job.
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

from pipeline import run_cache
from pipeline.errors import InputError, InputProblem
from pipeline.yamlsource import Document, SourceError, parse, read_text, shared_path

T = TypeVar("T")

RECORD_FOLDERS = {"partnerships": "partnership", "donations": "donation"}
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Record:
    """One record: its data, where it came from, and the line of every field."""

    kind: str
    data: dict
    file: str
    lines: dict = field(repr=False, default_factory=dict)
    index: int | None = None  # position when a file holds a list of records
    printable: bool = False  # True when the file's text cannot hold a control character (see yamlsource)
    source: str = ""  # digest of the file's text: what the record's own findings depend on (pipeline/run_cache.py)

    @property
    def id(self) -> str:
        value = self.data.get("id")
        if isinstance(value, str) and value.strip():
            return value
        stem = Path(self.file).stem
        return stem if self.index is None else f"{stem}[{self.index}]"

    def line(self, path: tuple = ()) -> int:
        """The line of a field, or of its nearest present parent when the field is missing."""
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)


@dataclass
class Batch:
    name: str
    folder: Path
    city: Record
    meeting: Record
    records: list[Record]

    def positions(self) -> dict[str, list[tuple[int, "Record"]]]:
        """Record id → (position in the batch, record) of each record with that id (one, unless the
        check reports a duplicate)."""
        def made() -> dict:
            found: dict = {}
            for position, record in enumerate(self.records):
                found.setdefault(record.id, []).append((position, record))
            return found
        return self.kept("positions", made)

    def kept(self, name, make: Callable[[], T]) -> T:
        """`make()`, worked out once for this batch under `name` (any hashable): a batch is never
        changed after loading."""
        memo = self.__dict__.setdefault("_kept", {})
        if name not in memo:
            memo[name] = make()
        return memo[name]

    def of_kind(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.kind == kind]

    def all_records(self) -> list[Record]:
        return [self.city, self.meeting, *self.records]

    def agenda(self) -> dict:
        """Record id → agenda item number, as batch.yaml lists them (entries of the wrong shape,
        which the check reports, are left out). Worked out once: every document's context asks, and
        at 10,000 records the check's 1,667 agreement texts asking anew took 8 s. Read, never changed."""
        def made() -> dict:
            items = self.meeting.data.get("agenda") if isinstance(self.meeting.data, dict) else None
            return {e.get("record"): e.get("item") for e in items if isinstance(e, dict)} if isinstance(items, list) else {}
        return self.kept("agenda", made)


def batch_name(folder: Path) -> str:
    """A batch is named by its folder: 'records/example/sub/..' is 'example'."""
    return Path(os.path.normpath(folder)).resolve().name


def display_path(path: Path) -> str:
    """Paths as a clerk reads them: relative to the working folder when inside it, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def resolve_batch_folder(batch: str, records_root: Path = Path("records")) -> Path:
    """Accept a folder path or a batch name under records/."""
    candidate = Path(batch)
    if candidate.is_dir():
        return candidate
    named = records_root / batch
    if named.is_dir():
        return named
    if candidate.exists():
        raise InputError(f"{batch}: is a file, not a batch folder  → give the folder that holds batch.yaml")
    raise InputError(
        f"{batch}: no such batch folder (looked for ./{batch} and {display_path(named)})"
        "  → give the path of a folder that holds batch.yaml, e.g. records/example, or run inside the city's "
        "working folder (sisterdocs init DIR makes one)"
    )


@contextmanager
def _cyclic_gc_paused():
    """Loading builds only trees (aliases are refused), so the cyclic GC has nothing to find:
    pausing it saves about a tenth of the load time of a 1,000-record batch."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_batch(folder: Path) -> Batch:
    with _cyclic_gc_paused():
        return _load_batch(Path(os.path.normpath(folder)))  # 'records/example/sub/..' is records/example, parent and all


def _load_batch(folder: Path) -> Batch:
    problems: list[InputProblem] = []

    if (folder / "city.yaml").exists() and not (folder / "city.yaml").is_file():
        problems.append(InputProblem(display_path(folder / "city.yaml"), None, "city.yaml here is not a file, so the batch "
                                     "would silently take the profile of the folder above", "remove or rename it"))
    city_file = folder / "city.yaml" if (folder / "city.yaml").is_file() else folder.parent / "city.yaml"
    city = _load_single(city_file, "city", problems, missing_fix=(
        f"create {display_path(folder.parent / 'city.yaml')} (the issuing city) or a city.yaml inside the batch folder"))
    meeting = _load_single(folder / "batch.yaml", "batch", problems, missing_fix=(
        "create batch.yaml with the meeting date, number and agenda"))

    records: list[Record] = []
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.suffix in YAML_SUFFIXES and entry.name not in ("batch.yaml", "city.yaml"):
            problems.append(InputProblem(display_path(entry), None, "a record file outside partnerships/ and donations/",
                                         "move it into partnerships/ or donations/"))
        elif entry.is_dir() and entry.name not in RECORD_FOLDERS and any(entry.rglob("*.y*ml")):
            problems.append(InputProblem(display_path(entry), None, f"unknown records folder '{entry.name}'",
                                         "records go in partnerships/ or donations/"))
    for folder_name, kind in RECORD_FOLDERS.items():
        sub = folder / folder_name
        if not sub.is_dir():
            continue
        shown_folder = display_path(sub)  # once per folder: path arithmetic per file adds up at 1,000 files
        inside = folder.resolve()
        for path in sorted(p for p in sub.iterdir() if p.suffix in YAML_SUFFIXES):
            shown = f"{shown_folder}/{path.name}"
            if not path.is_file():
                problems.append(InputProblem(shown, None, "named like a record file but it is not a file (a folder, a "
                                             "broken link or a device), so it would be skipped", "rename or remove it"))
            elif path.is_symlink() and not path.resolve().is_relative_to(inside):
                problems.append(InputProblem(shown, None, f"a link to {path.resolve()}, outside the batch: records are "
                                             "read only from inside the batch folder", "copy the record into the batch"))
            else:
                records.extend(_load_many(path, shown, kind, problems))

    if not problems and not records:
        problems.append(InputProblem(display_path(folder), None, "the batch is empty: no partnership or donation records",
                                     "add record files under partnerships/ or donations/"))
    if problems:
        raise InputError(problems)
    return Batch(batch_name(folder), folder, city, meeting, records)


def _read(path: Path, shown: str, problems: list, missing_fix: str = "") -> object:
    if not path.is_file():
        problems.append(InputProblem(shown, None, "file not found", missing_fix))
        return None
    try:
        text = read_text(path)
        doc = _parsed(text)
    except SourceError as exc:
        problems.append(InputProblem(shown, exc.line, exc.reason, exc.fix))
        return None
    except OSError as exc:
        problems.append(InputProblem(shown, None, f"cannot read the file ({exc.strerror})", "check its permissions"))
        return None
    if doc.value is None:
        problems.append(InputProblem(shown, None, "the file is empty", "write the record, or delete the file"))
        return None
    return doc


def _load_single(path: Path, kind: str, problems: list, missing_fix: str) -> Record | None:
    shown = display_path(path)
    doc = _read(path, shown, problems, missing_fix)
    if doc is None:
        return None
    if not isinstance(doc.value, dict):
        problems.append(InputProblem(shown, 1, f"a {kind} file must be a set of 'field: value' lines",
                                     "remove the leading '-' or the stray text"))
        return None
    return Record(kind, doc.value, shown, doc.lines, printable=doc.printable, source=doc.source)


def _parsed(text: str) -> Document:
    """The file's YAML, parsed now or taken from the last run when the text is the same."""
    cache = run_cache.active()
    source = run_cache.digest(text)
    kept = cache.take("parsed", source, run_cache.is_tuple_of((dict, list), dict, bool))
    if kept is not None:
        value, lines, printable = kept
        doc = Document(value, lines, printable)
    else:
        doc = parse(text)
        cache.put("parsed", source, (doc.value, doc.lines, doc.printable))
    doc.source = source
    return doc


def _load_many(path: Path, shown: str, kind: str, problems: list) -> list[Record]:
    doc = _read(path, shown, problems)
    if doc is None:
        return []
    if isinstance(doc.value, dict):
        return [Record(kind, doc.value, shown, doc.lines, printable=doc.printable, source=doc.source)]
    if isinstance(doc.value, list):
        lines_by_index: dict[int, dict] = {}
        for key, line in doc.lines.items():
            if key:
                lines_by_index.setdefault(key[0], {})[shared_path(key[1:])] = line
        out = []
        for i, item in enumerate(doc.value):
            if not isinstance(item, dict):
                problems.append(InputProblem(shown, doc.lines.get((i,), 1), f"list entry {i + 1} is not a {kind} record",
                                             "each '-' entry must hold 'field: value' lines"))
                continue
            out.append(Record(kind, item, shown, lines_by_index.get(i, {}), index=i, printable=doc.printable,
                              source=f"{doc.source}[{i}]"))
        return out
    problems.append(InputProblem(shown, 1, f"a {kind} file must hold a record ('field: value' lines)",
                                 "write the record as 'field: value' lines"))
    return []
