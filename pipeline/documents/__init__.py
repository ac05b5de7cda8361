"""Each process a record goes through, in a module of its own: which documents a record of that
kind yields and behind which gates (`plan`), and what its templates see (`context`). Its
templates live in templates_<lang>/<kind>/, so a document's whole story is in two places.

    partnership   the relationship: council resolution, letter of introduction, agreements
    donation      surplus equipment given to a Mexican public body: resolution, letters, notices, release
    council       what both bring to the council: when an act counts as adopted, the resolutions
"""

from __future__ import annotations

from types import ModuleType

from pipeline.documents import council, donation, partnership

PROCESSES: dict[str, ModuleType] = {"partnership": partnership, "donation": donation}
# Documents for the council or staff, made in English only (no Spanish twin template).
ENGLISH_ONLY = frozenset(council.ENGLISH_ONLY) | {d for module in PROCESSES.values() for d in getattr(module, "ENGLISH_ONLY", ())}


def process(kind: str) -> ModuleType:
    return PROCESSES[kind]


def docx_documents(lang: str) -> list[str]:
    """Every template (by name, without extension) with a DOCX shell in `lang`: the documents staff edit."""
    return [f"{kind}/{document}" for kind, module in PROCESSES.items() for document in module.DOCX
            if lang == "en" or document not in ENGLISH_ONLY]


def english_only(template: str) -> bool:
    """A template (a path under templates_en/) of a document made in English only: no Spanish twin."""
    stem = template.rsplit("/", 1)[-1].split(".")[0].lstrip("_")
    return stem in ENGLISH_ONLY
