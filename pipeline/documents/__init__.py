"""Each process a record goes through, in a module of its own: which documents a record of that
kind yields and behind which gates (`plan`), and what its templates see (`context`). Its
templates live in templates_<lang>/<kind>/, so a document's whole story is in two places.

    partnership   the relationship: council resolution, letter of introduction, agreements
    donation      surplus equipment given to a Mexican public body: resolution, letters, notices, release
    council       what both bring to the council: when an act counts as adopted, the resolutions
"""

from __future__ import annotations

from types import ModuleType

from pipeline.documents import donation, partnership

PROCESSES: dict[str, ModuleType] = {"partnership": partnership, "donation": donation}


def process(kind: str) -> ModuleType:
    return PROCESSES[kind]


def docx_documents() -> list[str]:
    """Every template (by name, without extension) that has a DOCX shell: the documents staff edit."""
    return [f"{kind}/{document}" for kind, module in PROCESSES.items() for document in module.DOCX]
