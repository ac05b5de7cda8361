"""Dates as clerks write them: the forms accepted and the forms refused (python-dateutil >= 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.dates import DateProblem, parse_date

DEC_8 = dt.date(2026, 12, 8)


@pytest.mark.parametrize("text", [
    "2026-12-08", "8 December 2026", "December 8, 2026", "Dec 8, 2026",
    "8 de diciembre de 2026", "8 diciembre 2026", "8 de dic. de 2026", "12/08/2026",
])
def test_accepted_forms_with_mdy_city(text):
    assert parse_date(text, "MDY") == DEC_8


def test_yaml_dates_pass_through():
    assert parse_date(DEC_8) == DEC_8
    assert parse_date(dt.datetime(2026, 12, 8, 10, 30)) == DEC_8


def test_dmy_city_reads_day_first():
    assert parse_date("08/12/2026", "DMY") == DEC_8


@pytest.mark.parametrize("text", ["25/12/2026", "12/25/2026"])
def test_unambiguous_numeric_dates_need_no_date_order(text):
    assert parse_date(text) == dt.date(2026, 12, 25)


@pytest.mark.parametrize("text, rule, words", [
    ("03/04/2026", "date.ambiguous", "4 March 2026 or 3 April 2026"),
    ("12/08/26", "date.ambiguous", "two-digit year"),
    ("2026-02-30", "date.format", "not a real date"),
    ("2026-13-01", "date.format", "not a real date"),
    ("December 2026", "date.format", "lacks a day, a month or a year"),
    ("next Tuesday", "date.format", "is not a date"),
    ("2026-12-08T10:00", "date.format", "carries a time"),
    ("", "date.format", "expected a date"),
    (20261208, "date.format", "expected a date"),
])
def test_refused_forms(text, rule, words):
    with pytest.raises(DateProblem) as caught:
        parse_date(text)
    assert caught.value.rule == rule and words in caught.value.message and caught.value.fix
