"""Where files come from: the city's working folder first, then the defaults the package carries.

Two homes, as a MkDocs `custom_dir` sits over its theme:

    the package   schemas, templates_en/, templates_es/ (HTML and DOCX shells), assets, fonts and
                  the example records: in an installed wheel under pipeline/_data/, in a source
                  checkout the top-level folders of the project itself
    the city      a working folder holding records/city.yaml, its batches under records/, its
                  own templates_en/ and templates_es/ (a file there replaces the packaged one of
                  the same name) and out/

Commands find the city's folder the way git finds its repository: the current folder or the
nearest parent holding records/city.yaml, unless --project names it.
"""

from __future__ import annotations

import importlib.resources
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError

PACKAGE = Path(str(importlib.resources.files("pipeline")))
ASSETS = PACKAGE / "assets"
LANGS = ("en", "es")
MARKER = Path("records") / "city.yaml"  # what makes a folder a city's working folder


def _defaults_root() -> Path:
    packaged = PACKAGE / "_data"  # pyproject maps the top-level folders here in the wheel
    return packaged if packaged.is_dir() else PACKAGE.parent


DEFAULTS = _defaults_root()
SCHEMA_DIR = DEFAULTS / "schemas"
EXAMPLE_RECORDS = DEFAULTS / "records"


def default_template_dir(lang: str) -> Path:
    return DEFAULTS / f"templates_{lang}"


def template_dirs(lang: str, overrides: Path | None = None) -> tuple[Path, ...]:
    """The folders a `lang` template is looked up in, first match wins: the city's, then the package's."""
    default = default_template_dir(lang)
    if overrides is not None:
        own = Path(overrides) / f"templates_{lang}"
        if own.is_dir() and own.resolve() != default.resolve():
            return own, default
    return (default,)


def find_project(start: Path) -> Path | None:
    """The nearest folder at or above `start` that holds records/city.yaml."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / MARKER).is_file():
            return folder
    return None


@dataclass(frozen=True)
class Project:
    """The city's working folder (None when a command runs outside any) and its default paths."""

    root: Path | None

    @classmethod
    def locate(cls, explicit: Path | None = None, cwd: Path | None = None) -> "Project":
        if explicit is not None:
            if not (Path(explicit) / MARKER).is_file():
                raise InputError(f"{explicit}: not a city's working folder (no {MARKER.as_posix()})"
                                 f"  → create one with: sisterdocs init {explicit}")
            return cls(Path(explicit))
        return cls(find_project(cwd or Path.cwd()))

    @property
    def records(self) -> Path:
        return self.root / "records" if self.root else Path("records")

    @property
    def out(self) -> Path:
        return self.root / "out" if self.root else Path("out")

    @property
    def signed(self) -> Path:
        return self.records / "signed"

    def overrides_for(self, batch_folder: Path) -> Path | None:
        """Whose templates a batch is built with: this project's, or else those of the working
        folder the batch lies in, so the same batch reads the same wherever it is built from."""
        return self.root if self.root is not None else find_project(batch_folder)


OVERRIDES_NOTE = """\
Templates placed here replace the packaged ones of the same name for this city's documents.

Copy the packaged file you want to change from {packaged},
keep its folder and name (partnership/agreement.html goes to partnership/ here), and edit the copy: an HTML template (PDF and the DOCX body) or a DOCX shell
(letterhead, margins, footer). Every variable the packaged template uses is available.
A changed template re-renders exactly the documents that use it on the next build.
"""


def init_project(target: Path) -> list[Path]:
    """Scaffold a city's working folder; refuses to touch one that already exists."""
    target = Path(target)
    if (target / MARKER).exists():
        raise InputError(f"{target}: already a city's working folder ({MARKER.as_posix()} exists)"
                         "  → edit it there, or give another folder")
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: is a file  → give a folder (new or empty) for the city's records")
    created = []
    records = target / "records"
    records.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXAMPLE_RECORDS / "city.yaml", records / "city.yaml")
    created.append(records / "city.yaml")
    shutil.copytree(EXAMPLE_RECORDS / "example", records / "example", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    created.append(records / "example")
    for lang in LANGS:
        folder = target / f"templates_{lang}"
        folder.mkdir(exist_ok=True)
        for process in sorted(p.name for p in default_template_dir(lang).iterdir() if p.is_dir()):
            (folder / process).mkdir(exist_ok=True)  # each process keeps its templates in its own folder
        (folder / "README.txt").write_text(OVERRIDES_NOTE.format(packaged=default_template_dir(lang)), encoding="utf-8")
        created.append(folder)
    (target / "out").mkdir(exist_ok=True)
    ignore = target / ".gitignore"
    if not ignore.exists():
        ignore.write_text("out/\n", encoding="utf-8")
    return created
