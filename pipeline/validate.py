"""Validate stage: schemas, field rules, record rules and cross-record rules → one Report."""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from functools import lru_cache

from pipeline import run_cache
from pipeline.findings import RULES, Report
from pipeline.project import ASSETS
from pipeline.records import Batch, Record
from pipeline.rules import batch as batch_rules
from pipeline.rules import donation as donation_rules
from pipeline.rules import partnership as partnership_rules
from pipeline.rules import review as review_rules
from pipeline.rules import templates as template_rules
from pipeline.rules.fields import Context
from pipeline.rules.values import Env, get
from pipeline.schemas import field_rules, make_validators
from pipeline.yamlsource import BIDI_CONTROLS, UNPRINTABLE

RECORD_RULES = {"partnership": partnership_rules.check, "donation": donation_rules.check}

TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "float": "a number",
    "boolean": "true or false",
    "dict": "'field: value' lines",
    "list": "a list of '- ' lines",
}


def validate(batch: Batch, as_of: dt.date | None = None, overrides=None) -> Report:
    """Check every record of the batch; the report says what blocks which record and why.

    `overrides` is the city's template folder: an approval names a revision of the text its
    templates render (pipeline/review.py)."""
    report = Report(batch.name)
    date_order = get(batch.city.data, "date_order")
    context = Context(date_order=date_order if date_order in ("MDY", "DMY") else None)
    validators = _Validators(context)
    env = Env(city=batch.city.data, date_order=context.date_order, as_of=as_of or dt.date.today())

    for record in batch.all_records():
        check_shape(record, validators, context, report)
        rule = RECORD_RULES.get(record.kind)
        if rule:
            rule(record, report, env)
    batch_rules.check_city(batch.city, report)
    template_rules.check(batch.city, report, overrides)
    batch_rules.check(batch, report, env)
    review_rules.check(batch, report, overrides)
    report.records = _summaries(batch, report, env)
    return report


class _Validators(dict):
    """The schemas' validators by record kind, made on first use: a run whose every record is
    unchanged since the last (pipeline/run_cache.py) never compiles a schema."""

    def __init__(self, context: Context):
        super().__init__()
        self.context = context

    def __missing__(self, kind: str):
        self.update(make_validators(self.context))
        return dict.__getitem__(self, kind)


def check_shape(record: Record, validators, context: Context, report: Report) -> None:
    """Cerberus schema plus field rules. Normalization is skipped: the schemas neither coerce nor default.

    What they find depends on the record's own text and the city's date order alone, so a record
    whose file did not change since the last run gets the findings kept then (pipeline/run_cache.py)."""
    def found() -> tuple:
        collected = _Found()
        _check_shape(record, validators[record.kind], context, collected)
        return tuple(collected.items)

    key = f"{record.source}|{record.kind}|{context.date_order}" if record.source else ""
    for rule, path, message, fix in run_cache.active().kept("shape", key, found, _is_findings):
        report.add(record, rule, path, message, fix)


def _is_findings(value) -> bool:
    """Kept findings as check_shape writes them: (rule of the catalog, path, message, fix) each."""
    return isinstance(value, tuple) and all(
        isinstance(item, tuple) and len(item) == 4 and item[0] in RULES and isinstance(item[1], tuple)
        and all(isinstance(step, (str, int)) for step in item[1]) and isinstance(item[2], str) and isinstance(item[3], str)
        for item in value)


class _Found:
    """Stands in for the report while a record's shape is checked, to keep what was found."""

    def __init__(self):
        self.items: list[tuple] = []

    def add(self, record, rule: str, path: tuple, message: str, fix: str = "") -> None:
        self.items.append((rule, tuple(path), message, fix))


def _check_shape(record: Record, validator, context: Context, report) -> None:
    context.issues.clear()
    validator.validate(record.data, normalize=False)
    for error in _leaf_errors(validator._errors):
        _translate(record, error, report)
    for rule, path, message, fix in context.issues:
        report.add(record, rule, path, message, fix)
    _check_text(record, record.data, (), report, suspect=not record.printable)


def _leaf_errors(errors):
    for error in errors:
        if error.is_group_error:
            yield from _leaf_errors(error.child_errors)
        else:
            yield error


def _translate(record: Record, error, report: Report) -> None:
    """A Cerberus error in the words of the person who has to fix it."""
    path = tuple(error.document_path)
    name = path[-1] if path else record.kind
    help_text = _help(record.kind, tuple(error.schema_path[:-1])) if error.rule else ""
    value = error.value
    if error.rule is None:  # an unknown field
        known = list(field_rules(record.kind, tuple(error.schema_path)))
        close = difflib.get_close_matches(str(name), known, n=1)
        fix = f"did you mean '{close[0]}'?" if close else f"remove it; the fields here are {', '.join(known)}"
        report.add(record, "schema.unknown", path, f"unknown field '{name}'", fix)
    elif error.rule == "required":
        report.add(record, "schema.required", path, f"'{name}' is missing", help_text or f"add '{name}:'")
    elif error.rule == "nullable" or (error.rule == "type" and value is None):
        report.add(record, "schema.empty", path, f"'{name}' has no value", help_text or "fill it in, or remove the line")
    elif error.rule == "type":
        expected = error.constraint if isinstance(error.constraint, list) else [error.constraint]
        wanted = " or ".join(TYPE_WORDS.get(t, t) for t in expected)
        fix = help_text or f"write {wanted}"
        if "string" in expected and isinstance(value, (int, float)) and not isinstance(value, bool):
            fix = f"put it in quotes ('{value}') so it stays exactly as typed"
        report.add(record, "schema.type", path, f"expected {wanted}, got {_described(value)}", fix)
    elif error.rule == "allowed":
        allowed = [str(a) for a in error.constraint]
        close = difflib.get_close_matches(str(value), allowed, n=1)
        fix = (f"did you mean '{close[0]}'? " if close else "") + f"use one of: {', '.join(allowed)}"
        report.add(record, "schema.allowed", path, f"'{value}' is not allowed for {name}", fix)
    elif error.rule == "empty":
        report.add(record, "schema.empty", path, f"'{name}' is empty", help_text or "fill it in, or remove the line")
    elif error.rule in ("minlength", "maxlength"):
        word = "at least" if error.rule == "minlength" else "at most"
        if isinstance(value, str):  # a text's length is in characters, and the fix is to shorten it
            report.add(record, "schema.length", path, f"'{name}' has {len(value):,} characters; {word} {error.constraint:,} "
                       "fit its place in the document", "shorten it" if error.rule == "maxlength" else help_text or "complete it")
        else:
            report.add(record, "schema.length", path, f"'{name}' needs {word} {error.constraint} entries, has {len(value)}",
                       help_text or f"list {word} {error.constraint}")
    elif error.rule == "regex":
        report.add(record, "schema.pattern", path, f"'{value}' is not in the form expected for {name}",
                   help_text or f"match {error.constraint}")
    elif error.rule in ("min", "max"):
        word = "at least" if error.rule == "min" else "at most"
        report.add(record, "schema.range", path, f"{value} is out of range for {name}", f"use a value {word} {error.constraint}")
    else:
        report.add(record, "schema.other", path, f"{name} breaks rule {error.rule} ({error.constraint})", help_text)


def _help(kind: str, schema_path: tuple) -> str:
    """The field's meta.help, else the nearest enclosing field's: its rule usually explains the child."""
    while schema_path:
        help_text = (field_rules(kind, schema_path).get("meta") or {}).get("help")
        if help_text:
            return help_text
        schema_path = schema_path[:-1]
        while schema_path and schema_path[-1] == "schema":
            schema_path = schema_path[:-1]
    return ""


def _described(value) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a group of fields"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    return type(value).__name__


# Values that are one line in every document (names, titles, places, numbers) and may reach a
# mail header (the SCI message's Subject and From): a line break there is an error, not a layout.
SINGLE_LINE = frozenset({"id", "name", "legal_name", "title", "office", "state", "country", "municipality", "email", "phone",
                         "surname", "unit_number", "department", "resolution_number", "reference", "signed_by",
                         "authorized_by", "place", "number", "item", "record", "partner", "kind", "status", "by",
                         "organization", "vin", "serial_number", "rfc", "tax_id", "make", "model", "acta", "dictamen"})
NAME_LENGTH = 200  # a name, title or place: one line of a signature block or a letter's address
TEXT_LENGTH = 2000  # any other value: about a page of a bilingual column, so no record can make a build take minutes


def _check_text(record: Record, value, path: tuple, report: Report, suspect: bool) -> None:
    """Every text value: its length, line breaks where one line is meant, and (when the file may hold
    them) invisible characters a document cannot carry or that reorder what it shows."""
    if isinstance(value, str):
        key = next((k for k in reversed(path) if isinstance(k, str) and k not in ("en", "es")), "")
        one_line = key in SINGLE_LINE
        limit = NAME_LENGTH if one_line else TEXT_LENGTH
        if len(value) > limit:
            report.add(record, "text.length", path, f"the text has {len(value):,} characters; at most {limit:,} fit "
                       f"{'one line of a document' if one_line else 'this field of a document'}",
                       "shorten it; longer detail belongs in a document of its own that the record names")
        if one_line and ("\n" in value or "\r" in value or "\u2028" in value or "\u2029" in value):
            report.add(record, "text.line_break", path, "a line break in a value that is printed on one line "
                       "(and may go into an e-mail header)", "write the value on one line")
        if not value.isascii():
            missing = next((ch for ch in value if ord(ch) not in printable_characters() and not ch.isspace()
                            and not BIDI_CONTROLS.match(ch) and not UNPRINTABLE.match(ch)), None)
            if missing:
                report.add(record, "text.glyph", path, f"the documents' typeface has no {_char_name(missing)}: it would "
                           "print as blank space (or in another typeface), while the PDF's text still holds it",
                           "write the value without it (a letter with its accent, a plain quotation mark or dash is fine)")
        if suspect:
            bidi = BIDI_CONTROLS.search(value)
            control = UNPRINTABLE.search(value)
            if bidi:
                report.add(record, "text.bidi", path, f"the text holds the invisible direction control "
                           f"{_char_name(bidi.group())}, which reorders the text around it in the documents",
                           "retype the value without it; it was probably pasted from another program")
            if control:
                report.add(record, "text.control", path, f"the text holds the invisible control character "
                           f"{_char_name(control.group())}", "retype the value; it was probably pasted from another program")
    elif isinstance(value, dict):
        for key, child in value.items():
            _check_text(record, child, path + (key,), report, suspect)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            _check_text(record, child, path + (i,), report, suspect)


@lru_cache(maxsize=1)
def printable_characters() -> frozenset[int]:
    """The characters every face of the bundled typeface draws (its own cmap tables): what a
    document can print, whatever fonts the machine has."""
    from fontTools.ttLib import TTFont

    faces = sorted((ASSETS / "fonts").glob("*.ttf"))
    covered = [set(TTFont(face, lazy=True).getBestCmap()) for face in faces]
    return frozenset(set.intersection(*covered)) if covered else frozenset()


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X}" + (f" ({unicodedata.name(char)})" if unicodedata.name(char, "") else "")


def _text_or_none(value) -> str | None:
    """A status as written when it is text, else None (the schema reports it): the summary goes
    out as `check --json`, where a date cannot be serialized and 1e999 would print Infinity, not JSON."""
    return value if isinstance(value, str) else None


def _summaries(batch: Batch, report: Report, env: Env) -> list[dict]:
    with_errors = report.records_with_errors()
    city_broken = ("city", batch.city.id) in with_errors  # every document prints the city's names and officials
    ranker = batch_rules.PriorityRanker(env.city, batch.of_kind("partnership"))
    out = []
    for record in batch.records:
        summary = {
            "id": record.id,
            "kind": record.kind,
            "file": record.file,
            "line": record.line(),
            "status": _text_or_none(record.data.get("status")),
            "blocked": city_broken or (record.kind, record.id) in with_errors,
        }
        if record.kind == "donation":
            summary["priority_tier"], summary["priority"] = ranker.tier(record.data)
            requested = env.date(record.data, "requested_on")
            summary["requested_on"] = requested.isoformat() if requested else None  # first come, first served
        out.append(summary)
    return out
