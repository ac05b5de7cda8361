"""Load stage: YAML traps, unreadable files and batch layout, each a clear reason with file and line."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.errors import InputError
from pipeline.records import load_batch
from pipeline.yamlsource import SourceError, parse
from tests.conftest import FIXTURES


def problems(folder):
    with pytest.raises(InputError) as caught:
        load_batch(folder)
    return caught.value.problems


def test_yaml_1_1_guesses_stay_text():
    doc = parse("country: NO\nunit: 012345\nitem: 10.10\nanswer: yes\ntime: 1:30\nflag: true\nn: 7\n")
    assert doc.value == {"country": "NO", "unit": "012345", "item": 10.1, "answer": "yes",
                         "time": "1:30", "flag": True, "n": 7}


def test_iso_dates_become_dates_and_impossible_ones_stay_text_for_the_date_rule():
    doc = parse("a: 2026-12-08\nb: 2026-02-30\n")
    assert doc.value == {"a": dt.date(2026, 12, 8), "b": "2026-02-30"}


def test_every_value_keeps_its_line():
    doc = parse("id: x\nitems:\n  - unit_number: '1'\n    vin: ABC\n  - unit_number: '2'\n")
    assert doc.lines[("items", 0, "vin")] == 4
    assert doc.lines[("items", 1, "unit_number")] == 5


@pytest.mark.parametrize("text, line, words", [
    ("a: 1\nb: 2\na: 3\n", 3, "duplicate field 'a' (first at line 1)"),
    ("a: &anchor 1\nb: *anchor\n", 1, "anchors and aliases"),
    ("a: !!python/object:os.system 1\n", 1, "unsupported tag"),
    ("a: 1\n---\nb: 2\n", 2, "more than one YAML document"),
    ("a:\n\t- x\n", 2, "malformed YAML"),
])
def test_yaml_traps_are_refused_with_their_line(text, line, words):
    with pytest.raises(SourceError) as caught:
        parse(text)
    assert caught.value.line == line
    assert words in caught.value.reason


def test_tab_indentation_gets_a_tab_fix():
    with pytest.raises(SourceError) as caught:
        parse("a:\n\t- x\n")
    assert "spaces, not tabs" in caught.value.fix


def test_deep_nesting_is_refused_not_a_recursion_error():
    with pytest.raises(SourceError) as caught:
        parse("a: " + "[" * 60 + "]" * 60 + "\n")
    assert "nested more than" in caught.value.reason


def test_malformed_yaml_names_file_and_line():
    (problem,) = problems(FIXTURES / "malformed")
    assert problem.file.endswith("malformed/donations/bad.yaml")
    assert problem.line == 6
    assert "malformed YAML" in problem.reason and "same number of spaces" in problem.fix


def test_duplicate_keys_name_both_lines():
    (problem,) = problems(FIXTURES / "duplicate-keys")
    assert problem.file.endswith("dup.yaml") and problem.line == 6
    assert "duplicate field 'book_value' (first at line 5)" in problem.reason


def test_latin1_file_is_refused_with_the_line_of_the_bad_byte():
    (problem,) = problems(FIXTURES / "latin1")
    assert problem.line == 3 and "not UTF-8" in problem.reason and "0xF3" in problem.reason


def test_utf16_file_is_refused(batch):
    batch.path("donations/u16.yaml").write_bytes("id: x\n".encode("utf-16"))
    (problem,) = problems(batch.folder)
    assert "UTF-16" in problem.reason


def test_utf8_with_bom_is_read(batch):
    path = batch.path("donations/don-2026-nld-bomberos.yaml")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_batch(batch.folder).records


def test_empty_batch_and_missing_batch_file_are_clear():
    (empty,) = problems(FIXTURES / "empty-batch")
    assert "the batch is empty" in empty.reason
    (missing,) = problems(FIXTURES / "no-batch-file")
    assert missing.file.endswith("batch.yaml") and missing.reason == "file not found"


def test_empty_record_file_and_stray_files_are_reported_together(batch):
    batch.write("donations/empty.yaml", "")
    batch.write("notes.yaml", "id: x\n")
    batch.write("donation/typo.yaml", "id: y\n")
    reasons = {p.reason for p in problems(batch.folder)}
    assert "the file is empty" in reasons
    assert "a record file outside partnerships/ and donations/" in reasons
    assert "unknown records folder 'donation'" in reasons


def test_missing_city_profile_is_reported(batch):
    batch.path("city.yaml").unlink()
    (problem,) = problems(batch.folder)
    assert problem.file.endswith("city.yaml") and problem.reason == "file not found"


def test_a_batch_may_carry_its_own_city(batch):
    text = batch.path("city.yaml").read_text(encoding="utf-8").replace("name: Laredo", "name: El Paso")
    (batch.folder / "city.yaml").write_text(text, encoding="utf-8")
    assert load_batch(batch.folder).city.data["name"] == "El Paso"


def test_a_file_may_hold_a_list_of_records_with_their_own_lines(batch):
    batch.write("donations/two.yaml", "- id: a\n  status: requested\n- id: b\n  status: requested\n")
    loaded = load_batch(batch.folder)
    a, b = [r for r in loaded.records if r.file.endswith("two.yaml")]
    assert (a.id, a.line(("status",)), b.id, b.line(("status",))) == ("a", 2, "b", 4)


# --- hostile input (tests/test_hostile_input.py): a clear reason or a value, never a crash ---------

def test_a_number_longer_than_python_reads_stays_text_for_the_schema():
    # int() refuses more than 4,300 digits with a ValueError, which crashed the load
    assert parse("id: " + "9" * 4301 + "\n").value == {"id": "9" * 4301}


def test_a_character_yaml_refuses_is_one_line_naming_its_line():
    with pytest.raises(SourceError) as caught:
        parse("name: Peña\nnote: caf\x7f\n")  # PyYAML's own message spans two lines and gives a byte offset
    assert caught.value.line == 2
    assert caught.value.reason == "the file holds the character U+007F, which YAML does not allow"
    assert "\n" not in caught.value.reason + caught.value.fix


def test_a_refused_character_in_a_record_file_is_one_input_problem_line(batch):
    batch.write("donations/pasted.yaml", "id: pasted\nstatus: requested\x1b[0m\n")
    (problem,) = problems(batch.folder)
    assert problem.file.endswith("donations/pasted.yaml") and problem.line == 2
    assert "U+001B" in problem.text() and "\n" not in problem.text()


@pytest.mark.parametrize("text", ["a: " + "[" * 100_000, "- " * 100_000, "a: " + "{" * 30_000 + "}" * 30_000,
                                  "a: " + "[" * 600 + "]" * 600, "- " * 600 + "x"])
def test_nesting_deep_enough_to_overflow_libyaml_is_refused_not_a_segfault(text):
    # libyaml's composer recursed once per level in C and killed the process past ~10,000 levels;
    # libyaml 0.2.6 stops at 1,000 levels itself, in its own words: the clerk reads ours either way
    with pytest.raises(SourceError) as caught:
        parse(text)
    assert caught.value.line == 1 and "nested more than 40 levels deep" in caught.value.reason


# --- what the loader takes for a record (issue 15) ----------------------------------------------

def test_what_is_named_like_a_record_but_is_not_one_is_refused_by_name(batch, tmp_path):
    (batch.folder / "partnerships" / "stray.yaml").mkdir()
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text((batch.folder / "partnerships" / "laredo-saltillo.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (batch.folder / "donations" / "linked.yaml").symlink_to(outside)
    (batch.folder / "city.yaml").mkdir()
    with pytest.raises(InputError) as caught:
        load_batch(batch.folder)
    problems = {p.file.rsplit("/", 1)[-1]: p.reason for p in caught.value.problems}
    assert "not a file" in problems["stray.yaml"]
    assert "outside the batch" in problems["linked.yaml"] and str(outside) in problems["linked.yaml"]
    assert "the profile of the folder above" in problems["city.yaml"]


def test_a_link_inside_the_batch_is_read_and_a_roundabout_path_keeps_the_batch_name(batch):
    (batch.folder / "partnerships" / "laredo-saltillo.yaml").rename(batch.folder / "saltillo.txt")
    (batch.folder / "partnerships" / "laredo-saltillo.yaml").symlink_to(batch.folder / "saltillo.txt")
    (batch.folder / "sub").mkdir()
    loaded = load_batch(batch.folder / "sub" / "..")
    assert loaded.name == "example" and "laredo-saltillo" in {r.id for r in loaded.records}


def test_records_share_one_copy_of_each_field_name_path_and_short_value(monkeypatch):
    """At 10,000 records the field names, line-map paths and short values repeated in every record
    are most of the batch's memory (and of the run cache's pickle): one copy of each is held."""
    from pipeline import yamlsource

    first = parse("id: a\nkind: sister_city\npartner: {name: Monterrey, country: MX}\nitems:\n  - vin: X\n"
                  "note: " + "a long text nobody else writes, " * 3 + "\n")
    second = parse("id: b\nkind: sister_city\npartner: {name: Saltillo, country: MX}\nitems:\n  - vin: Y\n"
                   "note: " + "a long text nobody else writes, " * 3 + "\n")
    for path in first.lines:
        [same] = [other for other in second.lines if other == path]
        assert same is path, path
    pairs = [(next(k for k in first.value if k == key), key) for key in second.value]
    assert all(mine is theirs for mine, theirs in pairs)
    assert first.value["kind"] is second.value["kind"] and first.value["partner"]["country"] is second.value["partner"]["country"]
    assert first.value["note"] == second.value["note"] and first.value["note"] is not second.value["note"]  # long: not shared

    monkeypatch.setattr(yamlsource, "PATHS_SHARED", 3)
    yamlsource._PATHS.clear()
    doc = parse("a: 1\nb: 2\nc: 3\nd: 4\ne: 5\n")  # a file of more paths than are shared starts the table again
    assert doc.lines == {(): 1, ("a",): 1, ("b",): 2, ("c",): 3, ("d",): 4, ("e",): 5} and len(yamlsource._PATHS) <= 3
