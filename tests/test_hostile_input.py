"""Hostile input never crashes `check`: property-based tests with hypothesis.

Random values at random fields of the example records, random values as whole record files and
mangled YAML text all give either findings (each with file, line, record, field, rule and
message) or, for unreadable input, an InputError naming the file on one line per problem (exit
2) — never any other exception and never a traceback. Runs are derandomized, so CI sees the same
examples every time; a failure prints the falsifying example to turn into a regression test.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import cli
from pipeline.errors import InputError
from pipeline.findings import ERROR, WARNING
from pipeline.records import load_batch
from pipeline.rules.catalog import RULES
from pipeline.validate import validate
from pipeline.yamlsource import parse
from tests.conftest import AS_OF, ROOT

EXAMPLE_FILES = (
    "city.yaml",
    "example/batch.yaml",
    "example/partnerships/dos-laredos.yaml",
    "example/partnerships/laredo-saltillo.yaml",
    "example/donations/don-2026-nld-bomberos.yaml",
    "example/donations/don-2026-nld-public-works.yaml",
)
NEW_RECORD_FILES = ("example/partnerships/hostile.yaml", "example/donations/hostile.yml")
TEXTS = {name: (ROOT / "records" / name).read_text(encoding="utf-8") for name in EXAMPLE_FILES}
DOCUMENTS = {name: parse(text).value for name, text in TEXTS.items()}

# Budgets keep the whole file under 40 s on a slow, busy 2-core machine: one example checks the
# batch twice, in-process and through the CLI. derandomize and no database make every run, and
# CI, see the same examples. SISTERDOCS_HOSTILE_EXAMPLES=2000 searches deeper (minutes).
EXAMPLES = int(os.environ.get("SISTERDOCS_HOSTILE_EXAMPLES", "80"))
HOSTILE = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=False)
CHEAP = settings(HOSTILE, max_examples=2 * EXAMPLES)  # mangled text mostly stops at the YAML reader: cheaper


# --- values ----------------------------------------------------------------------------------

class Numeral(str):
    """A decimal integer written as-is: PyYAML cannot str() ints beyond Python's 4,300 digits."""


class _Dumper(yaml.CSafeDumper):
    def ignore_aliases(self, data) -> bool:
        return True  # a date drawn twice is one object: no &anchor, which the loader refuses


_Dumper.add_representer(Numeral, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:int", str(value)))


def dump(value) -> str:
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def _field_names(value, out: set) -> set:
    if isinstance(value, dict):
        out.update(value)
        for child in value.values():
            _field_names(child, out)
    elif isinstance(value, list):
        for child in value:
            _field_names(child, out)
    return out


FIELD_NAMES = sorted(_field_names(list(DOCUMENTS.values()), set()) | {"en", "es", "signing", "ended", "cabildo", "sre",
                                                                       "sci_submission", "evaluation_date", "picked_up_on"})
VOCABULARY = [  # words the rules branch on, so random records reach the record and batch rules
    "prospective", "proposed", "council_approved", "signed", "submitted_to_sci", "active", "emeritus", "terminated",
    "grandfathered", "requested", "picked_up", "withdrawn", "approved", "pending", "other", "vehicle",
    "donataria_autorizada", "municipal_government", "fire_truck", "MX", "US", "MX-TAM", "US-TX", "MDY", "DMY",
    "dos-laredos", "laredo-saltillo", "don-2026-nld-bomberos", "10.1", "2026-R-120",
]
HOSTILE_TEXT = [
    "", " ", "\t", "\n", "{{ 7*7 }}", "{% raw %}", "<script>alert(1)</script>", "&amp; &#0;", "]]><![CDATA[",
    "${HOME}", "%s%n", "'; DROP TABLE records; --", "\\", "\\x00", "null", "~", "NO", "yes", "0x1F", "1e999",
    "-0", "nan", ".inf", "012345", "2026-02-30", "0000-00-00", "9999-12-31", "0001-01-01", "10000-01-01",
    "03/04/2026", "31/12/9999", "00/00/0000", "8 de diciembre de 2026", "December 8, 2026", "31 de febrero de 2026",
    "2026-12-08T10:00", "٢٠٢٦-١٢-٠٨", "\u202eevil", "\ufeff", "\u2028", "\x85", "\x00", "\x1b[31m", "\x7f",
    "\ue000", "\U0010fffe", "\ufffe", "x" * 5000, "é" * 300, "[" * 50, "\\d{4}(", "(?P<x>", "*" * 3,
    "\\d{4294967296}", "(" * 1000 + ")" * 1000, "1FVACXDT6EHFZ1234", "PBN850312QJ2", "XAXX010101000", "a@b.c",
    "laredo-saltillo\n", "dos-laredos\r", "Fleet", "fleet!", "FLEET", "Raúl\r\nBcc: x@evil.example", "\u2066Laredo\u2069",
    "Nuevo \u202eLaredo", "\u200fMX", "y" * 2001, "z " * 40000,
]
HUGE_INTS = [2**63, -(2**63) - 1, 2**64, 10**308, 10**309, -(10**400), 10**4299]
EXTREME_DATES = [dt.date.min, dt.date.max, dt.date(9999, 6, 30), dt.date(1, 1, 2), dt.date(2026, 12, 8)]

# Valid identifiers a character away from invalid: every validator's own exceptions are reached
# (a homoclave stdnum refuses, a VIN check digit, a subdivision code, a date, an amount).
NEAR_VALID = ["PBN850312QJ2", "MNL850101NL0", "GODE561231GR8", "1FVACXDT6EHFZ1234", "1BAKGCPA5CF281454", "MX-TAM",
              "US-TX", "MX", "2026-12-08", "12/08/2026", "2026-R-120", "74-6001234", "18000.00"]
MUTATION_ALPHABET = "0Aa9Zz-/. \u00d1\u00f1IOQ\u0130\u202e\n"
near_valid = st.builds(lambda value, at, ch, how: (value[:at] + ch + value[at + (how != "insert"):] if how != "delete"
                                                   else value[:at] + value[at + 1:]),
                       st.sampled_from(NEAR_VALID), st.integers(0, 17), st.sampled_from(MUTATION_ALPHABET),
                       st.sampled_from(["replace", "insert", "delete"]))

texts = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    near_valid,
    st.sampled_from(VOCABULARY),
    st.text(max_size=30),  # any Unicode but lone surrogates, control characters included
    st.text(st.sampled_from("\x00\x01\x08\x0b\x1b\x7f\x85\x9f\u2028\u202e\ufeff\ue000 \t\r\n:-#&*!|>{}[],'\"%@`"),
            max_size=8),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(HUGE_INTS),
    st.sampled_from([Numeral("9" * 4301), Numeral("-" + "1" * 5000)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.sampled_from(EXTREME_DATES),
    texts,
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.sampled_from(HOSTILE_TEXT), st.text(max_size=10))
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
    max_leaves=12,
)


def like(value) -> st.SearchStrategy:
    """Values of the same kind as `value` pushed to extremes, or of another kind: a date becomes
    9999-12-31 or text, a number huge or infinite, text hostile, a list or mapping anything."""
    if isinstance(value, dt.date):
        same = st.one_of(st.sampled_from(EXTREME_DATES), st.dates())
    elif isinstance(value, bool):
        same = st.sampled_from([None, 0, 1, "true", "yes", "false"])
    elif isinstance(value, (int, float)):
        same = st.one_of(st.sampled_from(HUGE_INTS), st.integers(), st.floats(), st.sampled_from([Numeral("9" * 4301)]))
    elif isinstance(value, str):
        same = texts
    else:
        same = st.sampled_from([[], {}, [[]], [{}]])
    return st.one_of(same, same, scalars, values)  # same kind twice as often: it gets past the type check


record_like = st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=10)  # right field names, wrong values
whole_values = st.one_of(values, record_like, st.lists(record_like, max_size=3))


# --- edits -------------------------------------------------------------------------------------

def _paths(value, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            out.extend(_paths(child, path + (key,)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out.extend(_paths(child, path + (i,)))
    return out


def _at(data, path: tuple):
    for step in path:
        data = data[step]
    return data


@st.composite
def field_edits(draw):
    """Every example file with up to twelve random fields changed, at any depth: a field gets a
    value of its own kind pushed to extremes or any other value, loses its value, or gets a
    sibling field. One example so tries a dozen or two hostile values at once, in the city and
    batch files too."""
    files = {}
    for name in EXAMPLE_FILES:
        data = copy.deepcopy(DOCUMENTS[name])
        edits = draw(st.integers(0, 12))
        for _ in range(edits):
            # Not the en/es texts themselves (half of a partnership's fields): their parent is a
            # field like any other, and the texts get hostile values through it and in whole files.
            paths = [path for path in _paths(data)[1:] if path[-1] not in ("en", "es")]
            if not paths:  # every field deleted
                break
            path = draw(st.sampled_from(paths))
            parent, last = _at(data, path[:-1]), path[-1]
            action = draw(st.sampled_from(["set", "set", "set", "delete", "add"]))
            if action == "set":
                parent[last] = draw(like(parent[last]))
            elif action == "delete":
                del parent[last]
            elif isinstance(parent, dict):
                parent[draw(keys)] = draw(values)
            else:
                parent.insert(last, draw(values))
        if edits:
            files[name] = dump(data)
    return files


@st.composite
def whole_files(draw):
    """A random value as the whole file, in place of an example file or as a new record file."""
    name = draw(st.sampled_from(EXAMPLE_FILES + NEW_RECORD_FILES))
    return {name: dump(draw(whole_values))}


INSERTED = st.one_of(
    st.text(max_size=6),
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from(["\ud800", "\udfff", ": ", "- ", "&a ", "*a", "!!python/object:os.system ", "!tag ", "? ", "---\n",
                     "...\n", "%YAML 1.1\n", "|\n", ">-\n", "<<: ", "\r", "\r\n", "\t", "#"]),
)
# A run of one character: brackets and dashes nest, digits make long numbers, spaces indent.
RUNS = st.builds(lambda text, n: text * n, st.sampled_from(["[", "{", "- ", "? ", "9", " ", ":", "\t", "#", "'", '"']),
                 st.sampled_from([2, 41, 4400, 40_000]))


@st.composite
def mangled_texts(draw):
    """An example file's text with 1-4 mutations: lines deleted, duplicated, swapped or re-indented,
    characters or runs of one character inserted, a value replaced, the file cut short; sometimes
    stray bytes or a byte-order mark."""
    name = draw(st.sampled_from(EXAMPLE_FILES))
    lines = TEXTS[name].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "indent", "insert", "run", "replace_value", "truncate"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, line)
        elif op == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif op == "indent":
            shift = draw(st.sampled_from([-4, -2, -1, 1, 2, 3, "tab"]))
            body = line.lstrip(" ")
            width = len(line) - len(body)
            lines[i] = "\t" + line if shift == "tab" else " " * max(0, width + shift) + body
        elif op == "insert":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(INSERTED) + line[at:]
        elif op == "run":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(RUNS) + line[at:]
        elif op == "replace_value" and ": " in line:
            head = line.split(": ", 1)[0]
            lines[i] = f"{head}: {draw(st.one_of(texts, INSERTED, RUNS))}\n"
        elif op == "truncate":
            lines[i] = line[: draw(st.integers(0, len(line)))]
            del lines[i + 1:]
    raw = "".join(lines).encode("utf-8", "surrogatepass")  # a lone surrogate becomes bytes that are not UTF-8
    prefix = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00"]))
    stray = draw(st.sampled_from([b"", b"", b"", b"\xf3", b"\xc3", b"\x80\x80", b"\xed\xa0\x80"]))
    at = draw(st.integers(0, len(raw)))
    return {name: prefix + raw[:at] + stray + raw[at:]}


# --- the property ------------------------------------------------------------------------------

def _assert_input_error(exc: InputError, written: set[Path]) -> None:
    assert exc.exit_code == 2
    assert exc.problems, "an InputError without problems"
    for problem in exc.problems:
        text = problem.text()
        assert problem.reason.strip() and "\n" not in text and "\r" not in text, f"not one line: {text!r}"
        assert problem.file and Path(problem.file).resolve() in written, f"names a file that was not changed: {text!r}"
        assert problem.line is None or (type(problem.line) is int and problem.line >= 1), text


# YAML's line breaks, which the finding lines count: \x85, U+2028 and U+2029 too, not only \n.
YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _assert_findings(report) -> None:
    assert report.records, "a report without records"
    lines: dict[str, int] = {}
    for finding in report.findings:
        assert finding.rule in RULES, finding
        assert finding.severity in (ERROR, WARNING), finding
        assert all(isinstance(v, str) and v for v in (finding.file, finding.record, finding.field, finding.message)), finding
        assert type(finding.line) is int and finding.line >= 1, finding
        if finding.file not in lines:  # the file exists, and was read as UTF-8
            lines[finding.file] = len(YAML_LINE_BREAK.findall(Path(finding.file).read_bytes().decode("utf-8-sig"))) + 1
        assert finding.line <= lines[finding.file], f"line {finding.line} is past the end of the file: {finding}"


@pytest.fixture(scope="module")
def records():
    """One copy of records/ for the module; each example rewrites some files and puts them back.

    tempfile rather than tmp_path: hypothesis runs many examples per test call, and one copy
    instead of one per example halves the run time.
    """
    with tempfile.TemporaryDirectory(prefix="sisterdocs-hostile-") as tmp:
        shutil.copytree(ROOT / "records", Path(tmp) / "records")
        yield Path(tmp) / "records"


def check_batch(records: Path, files: dict[str, str | bytes], as_of: dt.date = AS_OF, cli_args: tuple = ()) -> None:
    """Write `files` ({path under records/: content}), check the example batch in-process and
    through the CLI (`cli_args`: text or --json), then put the files back: findings or an
    InputError only."""
    with written(records, files) as changed:
        _check(records / "example", changed, as_of, cli_args)


@contextlib.contextmanager
def written(records: Path, files: dict[str, str | bytes]):
    """`files` ({path under records/: content}) written for the block, then each put back as it was;
    yields the set of paths written."""
    originals = {records / name: (records / name).read_bytes() if (records / name).exists() else None for name in files}
    try:
        for name, content in files.items():
            (records / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        yield {path.resolve() for path in originals}
    finally:
        for path, original in originals.items():
            if original is None:
                path.unlink()
            else:
                path.write_bytes(original)


def _check(folder: Path, written: set[Path], as_of: dt.date, cli_args: tuple) -> None:
    try:
        batch = load_batch(folder)
    except InputError as exc:
        _assert_input_error(exc, written)
        expected_exit, report = 2, None
    else:
        report = validate(batch, as_of=as_of)
        _assert_findings(report)
        assert report.as_text().endswith(report.summary_line())
        json.loads(json.dumps(report.as_data(), ensure_ascii=False), parse_constant=_refuse_constant)
        expected_exit = 1 if report.errors else 0

    result = CliRunner().invoke(cli, ["check", str(folder), "--as-of", as_of.isoformat(), *cli_args],
                                catch_exceptions=False)
    assert result.exit_code in (0, 1, 2) and result.exit_code == expected_exit, result.output  # exceptions propagate
    if "--json" in cli_args:
        data = json.loads(result.output, parse_constant=_refuse_constant)
        assert ("input_errors" in data) == (report is None), result.output
    elif report is not None:
        assert result.output.rstrip("\n").endswith(report.summary_line()), result.output


def _refuse_constant(name: str):
    raise AssertionError(f"the JSON holds {name}, which is not JSON")


cli_modes = st.sampled_from([(), ("--json",)])


@HOSTILE
@given(files=field_edits(), as_of=st.one_of(st.just(AS_OF), st.sampled_from(EXTREME_DATES), st.dates()), cli_args=cli_modes)
def test_random_values_in_any_field_give_findings_never_exceptions(records, files, as_of, cli_args):
    check_batch(records, files, as_of=as_of, cli_args=cli_args)


@HOSTILE
@given(files=whole_files(), cli_args=cli_modes)
def test_random_values_as_whole_record_files_give_findings_or_input_errors_never_exceptions(records, files, cli_args):
    check_batch(records, files, cli_args=cli_args)


@CHEAP
@given(files=mangled_texts(), cli_args=cli_modes)
def test_mangled_yaml_text_gives_findings_or_one_line_input_errors_never_exceptions(records, files, cli_args):
    check_batch(records, files, cli_args=cli_args)


@pytest.mark.parametrize("valid", ["PBN850312QJ2", "MNL850101NL0", "GODE561231GR8", "1FVACXDT6EHFZ1234", "1BAKGCPA5CF281454"])
def test_every_one_character_change_of_a_valid_identifier_is_a_finding_or_fine_never_an_exception(valid):
    """Exhaustive, not sampled: each position replaced, deleted, or given a character before it,
    through the same validators `check` calls (stdnum's and vininfo's own exceptions included)."""
    from pipeline.rules.fields import rfc_issues, vin_issues

    issues = vin_issues if len(valid) == 17 else rfc_issues
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ&Ññ -/\u0130"
    variants = {valid[:at] + ch + valid[at + 1:] for at in range(len(valid)) for ch in alphabet}
    variants |= {valid[:at] + valid[at + 1:] for at in range(len(valid))}
    variants |= {valid[:at] + ch + valid[at:] for at in range(len(valid) + 1) for ch in "0A"}
    for variant in sorted(variants):
        for rule, message, fix in issues(variant):
            assert rule in RULES and message and fix, variant
    assert {rule for rule, _, _ in issues(valid)} <= {"rfc.person"}  # the valid one itself passes (a person's RFC is a warning)


# --- names that become file names -------------------------------------------------------------------

COLLIDING_NAMES = ["Fleet", "fleet", "FLEET", "fleet!", " Fleet ", "Fléet", "Fle\u0301et", "Ｆｌｅｅｔ", "Fleet\u200b",
                   "Flee-t", "-fleet-", "Fleet\n", "İT", "it", "Straße", "STRASSE", "strasse", "消防", "!!!", "Fleet/..",
                   "../fleet", "Information Technology", "Information  Technology", "information-technology"]
COLLIDING_IDS = ["laredo-saltillo", "laredo-saltillo\n", "Laredo-Saltillo", "laredo-saltillo ", "laredo\u2013saltillo",
                 "laredo-saltillo-", "laredo--saltillo", "../laredo-saltillo", "laredo-saltillo/x", "ｌaredo-saltillo"]
DEPARTMENT_LINES = {  # the items' department lines of the two donations that make one document per department
    "example/donations/don-2026-nld-school-bus.yaml": ("Parks and Recreation", "Information Technology"),
    "example/donations/don-2026-nld-public-works.yaml": ("Solid Waste Services", "Information Technology"),
}


@CHEAP
@given(names=st.lists(st.one_of(st.sampled_from(COLLIDING_NAMES), st.sampled_from(COLLIDING_NAMES), texts),
                      min_size=4, max_size=4),
       twin_id=st.sampled_from(COLLIDING_IDS))
def test_names_that_could_collide_as_file_names_are_findings_never_one_path(records, names, twin_id):
    """Department names and record ids become file names. Whatever they are, a batch that checks
    without errors plans every document to its own path — distinct even on a disk that ignores case
    and Unicode normalization — inside its record's folder; otherwise the collision is a finding."""
    files = {}
    drawn = iter(names)
    for name, departments in DEPARTMENT_LINES.items():
        text = (records / name).read_text(encoding="utf-8")
        for department in departments:
            text = text.replace(f"department: {{en: {department},", f"department: {{en: {dump(next(drawn))},", 1)
        files[name] = text
    twin = (records / "example/partnerships/laredo-saltillo.yaml").read_text(encoding="utf-8")
    files["example/partnerships/twin.yaml"] = twin.replace("id: laredo-saltillo\n", f"id: {dump(twin_id)}\n", 1)
    with written(records, files):
        batch = load_batch(records / "example")
        report = validate(batch, as_of=AS_OF)
        _assert_findings(report)
        distinct = re.fullmatch("[a-z0-9][a-z0-9-]{0,63}", twin_id) and twin_id != "laredo-saltillo"
        twins = [f for f in report.errors if f.file.endswith("twin.yaml") and f.field == "id"]
        assert bool(twins) != bool(distinct), (twin_id, twins)  # the same id, or one that is no id, is an error
        paths = _planned_paths(batch, report, skip="" if distinct else "twin.yaml")
        folded = {unicodedata.normalize("NFKC", path).casefold() for path in paths}
        if not [f for f in report.errors if f.rule.startswith(("donation.department", "text."))]:
            assert len(folded) == len(paths), sorted(path for path in paths if paths.count(path) > 1)
        for path in paths:
            assert path.isascii() and ".." not in path.split("/") and "\n" not in path, path


def _planned_paths(batch, report, skip: str) -> list[str]:
    """Every output path the plan makes, for the batch without the record file `skip` (whose id error
    would stop the build before any plan)."""
    import dataclasses

    from pipeline.plan import plan

    kept = dataclasses.replace(batch, records=[r for r in batch.records if not (skip and r.file.endswith(skip))])
    clean = validate(kept, as_of=AS_OF)
    return [document.path(fmt) for document in plan(kept, clean, AS_OF).documents for fmt in document.formats]
