"""Reading dates as clerks write them, and refusing the ones that read two ways.

Accepted: YYYY-MM-DD (YAML gives these as dates already), "4 March 2026", "March 4, 2026",
"4 de marzo de 2026". Numeric forms such as 03/04/2026 mean 3 April in Laredo's partner cities
and March 4 at Laredo's council, so they are accepted only when unambiguous (a part above 12)
or when the city profile says how its clerks write them (`date_order: MDY` or `DMY`).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from babel.dates import get_month_names
from dateutil import parser as du_parser

DATE_ORDERS = ("MDY", "DMY")
_NUMERIC = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\s*$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HAS_TIME = re.compile(r"\d:\d|T\d")


class DateProblem(ValueError):
    def __init__(self, rule: str, message: str, fix: str):
        super().__init__(message)
        self.rule, self.message, self.fix = rule, message, fix


class _BilingualParserInfo(du_parser.parserinfo):
    """English and Spanish month names (from CLDR via babel) for dateutil."""

    MONTHS = [
        tuple({*du_parser.parserinfo.MONTHS[i], get_month_names("wide", locale="es")[i + 1],
               get_month_names("abbreviated", locale="es")[i + 1].rstrip(".")})
        for i in range(12)
    ]
    JUMP = [*du_parser.parserinfo.JUMP, "de", "del"]


_INFO = _BilingualParserInfo()
_SENTINELS = (dt.datetime(1, 1, 1), dt.datetime(2, 2, 2))


def parse_date(value: object, date_order: str | None = None) -> dt.date:
    """Return the date `value` names, or raise DateProblem saying why not and what to write."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        raise DateProblem("date.format", f"expected a date, got {value!r}", "write the date as YYYY-MM-DD, e.g. 2026-12-08")
    return _parse_text(value.strip(), date_order)


@lru_cache(maxsize=4096)
def _parse_text(text: str, date_order: str | None) -> dt.date:
    iso_hint = "write it as YYYY-MM-DD, e.g. 2026-12-08"
    numeric = _NUMERIC.match(text)
    if numeric:
        first, second, year = (int(g) for g in numeric.groups())
        if len(numeric.group(3)) != 4:
            raise DateProblem("date.ambiguous", f"'{text}' has a two-digit year", iso_hint)
        if date_order is None:
            if first <= 12 and second <= 12 and first != second:
                raise DateProblem(
                    "date.ambiguous",
                    f"'{text}' reads as {_long(year, first, second)} or {_long(year, second, first)}",
                    f"{iso_hint}, or set date_order (MDY or DMY) in the city profile",
                )
            month, day = (first, second) if second > 12 or first == second else (second, first)
        else:
            month, day = (first, second) if date_order == "MDY" else (second, first)
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise DateProblem("date.format", f"'{text}' is not a real date", iso_hint) from None
    if _ISO.match(text):
        try:
            return du_parser.isoparse(text).date()
        except ValueError:
            raise DateProblem("date.format", f"'{text}' is not a real date", iso_hint) from None
    if _HAS_TIME.search(text):
        raise DateProblem("date.format", f"'{text}' carries a time; a date is expected", iso_hint)
    try:
        results = {du_parser.parse(text, parserinfo=_INFO, default=d, fuzzy=False) for d in _SENTINELS}
    except (ValueError, OverflowError):
        raise DateProblem("date.format", f"'{text}' is not a date", iso_hint) from None
    if len(results) != 1:
        raise DateProblem("date.format", f"'{text}' lacks a day, a month or a year", iso_hint)
    return results.pop().date()


def _long(year: int, month: int, day: int) -> str:
    try:
        return dt.date(year, month, day).strftime("%-d %B %Y")
    except ValueError:
        return f"{day}/{month}/{year}"
