"""Safe reads of record values for the record rules, which run even on records with shape errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.dates import DateProblem, parse_date


def get(data: object, *path):
    """The value at `path`, or None when any step is missing or of the wrong shape."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or step >= len(data):
                return None
        elif not isinstance(data, dict):
            return None
        data = data[step] if isinstance(step, int) else data.get(step)
    return data


def present(value) -> bool:
    return value is not None and value != "" and value != {} and value != []


def current_act(data: object) -> tuple[str, ...]:
    """Where the council act the record brings to its meeting lives: a status change (renewal,
    emeritus, termination) once recorded, else the record's own `council`. The agenda, the
    filing date, the strategic goal and the vote of this meeting are that act's."""
    return ("status_change", "council") if isinstance(get(data, "status_change", "council"), dict) else ("council",)


def council_acts(data: object) -> list[tuple[str, ...]]:
    """Every council act the record carries, each with its own resolution number."""
    return [path for path in (("council",), ("status_change", "council")) if isinstance(get(data, *path), dict)]


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class Env:
    """What record rules know beyond the record: the city profile, the date reading, today."""

    city: dict
    date_order: str | None
    as_of: dt.date

    def date(self, data: dict, *path) -> dt.date | None:
        """A parsed date, or None when absent or unreadable (the date rule reports that)."""
        value = get(data, *path)
        if value is None:
            return None
        try:
            return parse_date(value, self.date_order)
        except DateProblem:
            return None
