"""Shared helpers: a private copy of the example batch to break one field at a time."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.build import build
from pipeline.records import load_batch
from pipeline.validate import validate

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
AS_OF = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True, scope="session")
def private_run_cache(tmp_path_factory):
    """The run cache (pipeline/run_cache.py) in a folder of the test session's own, for every test
    and every program a test starts, never in the user's ~/.cache."""
    import os

    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


class BatchCopy:
    """records/city.yaml + records/example copied under tmp, with edit helpers."""

    def __init__(self, root: Path, revisions: bool = False):
        """`revisions`: keep records/example/revisions/ (the texts the example's approvals and adopted
        acts name); without it the copy is a batch never built, free to become any other scenario."""
        self.records = root / "records"
        ignored = ("*.pyc",) if revisions else ("*.pyc", "revisions")
        shutil.copytree(ROOT / "records", self.records, ignore=shutil.ignore_patterns(*ignored))
        self.folder = self.records / "example"

    @classmethod
    def existing(cls, records: Path) -> "BatchCopy":
        """The same helpers over a records/ folder that is already there (a city's working folder)."""
        copy = cls.__new__(cls)
        copy.records, copy.folder = records, records / "example"
        return copy

    def path(self, relative: str) -> Path:
        return self.records / relative if relative == "city.yaml" else self.folder / relative

    def replace(self, relative: str, old: str, new: str, count: int = 1) -> int:
        """Replace text in a record file; returns the 1-based line where the replacement starts."""
        path = self.path(relative)
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        line = text[: text.index(old)].count("\n") + 1
        path.write_text(text.replace(old, new, count), encoding="utf-8")
        return line

    def replace_block(self, relative: str, head: str, new: str = "") -> None:
        """Replace the YAML line starting `head` (e.g. "council:", "  partner_secretary:") and every line
        under it (indented deeper, or a list item at its level) with `new`."""
        path = self.path(relative)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        start = next(i for i, line in enumerate(lines) if line.startswith(head))
        indent = len(head) - len(head.lstrip(" "))
        end = start + 1
        while end < len(lines) and (lines[end].startswith(" " * (indent + 1)) or lines[end].startswith(" " * indent + "-")):
            end += 1
        path.write_text("".join(lines[:start]) + new + "".join(lines[end:]), encoding="utf-8")

    def approve_text(self, relative: str) -> str:
        """Name, in the record's approved legal review, the revision of the text as it stands now
        (what the legal office does after reading the draft); returns the revision."""
        from pipeline import review
        from pipeline.records import load_batch

        batch = load_batch(self.folder)
        record = next(r for r in batch.records if Path(r.file).resolve() == self.path(relative).resolve())
        snapshot = review.snapshot(batch, record)
        review.keep(self.folder, snapshot)  # as the build that made the reviewed draft kept it
        revision = snapshot.revision
        text = self.path(relative).read_text(encoding="utf-8")
        if "legal_review: {" in text:
            self.replace(relative, "legal_review: {", f"legal_review: {{revision: {revision}, ")
        else:
            self.replace(relative, "legal_review:\n", f"legal_review:\n  revision: {revision}\n")
        return revision

    def line_of(self, relative: str, needle: str, after: str = "") -> int:
        """The line `needle` is on (its first after `after`, if given)."""
        text = self.path(relative).read_text(encoding="utf-8")
        start = text.index(after) if after else 0
        assert needle in text[start:], f"{needle!r} not in {relative}"
        return text[: text.index(needle, start)].count("\n") + 1

    def write(self, relative: str, text: str) -> Path:
        path = self.path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def check(self, as_of: dt.date = AS_OF):
        return validate(load_batch(self.folder), as_of=as_of)


def own_template(city: Path, relative: str, old: str, new: str) -> Path:
    """A city's own copy of the packaged template `relative` (templates_en/...), with `old` (which
    must be there) replaced once by `new`; returns the city's folder, to pass as overrides."""
    source = (ROOT / relative).read_text(encoding="utf-8")
    assert old in source, f"{relative} no longer holds {old!r}"
    path = city / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return city


@pytest.fixture
def batch(tmp_path, monkeypatch) -> BatchCopy:
    monkeypatch.chdir(tmp_path)
    return BatchCopy(tmp_path)


def only(report, rule: str, field: str | None = None):
    """The single finding of `rule` (at `field`), failing loudly with all findings otherwise."""
    hits = [f for f in report.findings if f.rule == rule and (field is None or f.field == field)]
    assert len(hits) == 1, f"expected one {rule} at {field}, got {hits}\nall: {[f.text() for f in report.findings]}"
    return hits[0]


def rules_of(report) -> set[str]:
    return {f.rule for f in report.findings}


# --- the example after its council meeting, built once for every test that reads documents ---

AFTER_MEETING = dt.date(2026, 12, 9)
PW = "donations/don-2026-nld-public-works/"
BOMB = "donations/don-2026-nld-bomberos/"
DOS = "partnerships/dos-laredos/"
SAL = "partnerships/laredo-saltillo/"
MON = "partnerships/laredo-monterrey/"
BUS = "donations/don-2026-nld-school-bus/"  # approved at an earlier meeting and picked up: every step done


def approve_donations(batch: BatchCopy) -> None:
    """The example after the council meeting: both donations approved, pickup people named."""
    for name in ("don-2026-nld-public-works", "don-2026-nld-bomberos"):
        batch.replace(f"donations/{name}.yaml", "status: requested", "status: council_approved")
        batch.replace(f"donations/{name}.yaml", "  meeting_date: 2026-12-08",
                      "  meeting_date: 2026-12-08\n  vote: {ayes: 7, nays: 0, absent: 1, abstain: 0}")
    with open(batch.path("donations/don-2026-nld-bomberos.yaml"), "a", encoding="utf-8") as handle:
        handle.write("pickup:\n  name: Héctor Villarreal Garza\n  id_type: ine\n  id_number: VLGRHC75021428H700\n")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("built")
    batch = BatchCopy(root)
    approve_donations(batch)
    result = build(batch.folder, root / "out", as_of=AFTER_MEETING, jobs=2)
    return result, root / "out" / "example"


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)
