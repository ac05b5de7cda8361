"""The `sisterdocs check` command: output format, JSON, exit codes, no tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from tests.conftest import FIXTURES, ROOT

FINDING_LINE = re.compile(r"^(?P<file>\S+):(?P<line>\d+)  (?P<record>\S+)  (?P<field>\S+) \[(?P<rule>[a-z_.]+)\]  .+  → .+$")


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_example_batch_passes_with_exit_0(batch):
    result = run("check", str(batch.folder), "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "0 errors, 1 warning in 6 records checked; nothing blocks"
    warning = next(line for line in lines if "[vehicle.permit]" in line)
    match = FINDING_LINE.match(warning)
    assert match and match["record"] == "don-2026-nld-bomberos" and match["field"] == "items[0].vehicle_type"
    ranked = lines[lines.index("Donation requests by priority (neighbours, then active sister cities, then others):") + 1:][:3]
    assert ranked == ["  1  don-2026-nld-school-bus  neighbouring municipality",  # tier 1 all: first come (July 6)
                      "  1  don-2026-nld-public-works  neighbouring municipality",  # October 14
                      "  1  don-2026-nld-bomberos  neighbouring municipality"]  # October 30


def test_a_command_collects_young_objects_as_one_bounded_job_does(batch):
    import gc

    from pipeline.cli import ONE_JOB_GC

    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's own (an earlier command in this session set the job's)
    try:
        assert run("check", str(batch.folder), "--as-of", "2026-11-23").exit_code == 0
        assert gc.get_threshold() == ONE_JOB_GC
    finally:
        gc.set_threshold(*before)


def test_batch_by_name_under_records(batch):
    assert run("check", "example", "--as-of", "2026-11-23").exit_code == 0


def test_blocking_findings_exit_1_errors_first_within_a_record(batch):
    batch.replace("donations/don-2026-nld-bomberos.yaml", "book_value: 0", "book_value: 900")
    result = run("check", str(batch.folder), "--as-of", "2026-11-23")
    assert result.exit_code == 1
    record_lines = [line for line in result.output.splitlines() if "  don-2026-nld-bomberos  " in line and " [" in line]
    assert ["[equipment.book_value]" in record_lines[0], "[vehicle.permit]" in record_lines[1]] == [True, True]
    assert all(FINDING_LINE.match(line) for line in record_lines)
    assert result.output.splitlines()[-1] == "1 error, 1 warning in 6 records checked; 1 held back by errors"


def test_json_carries_the_same_findings(batch):
    batch.replace("donations/don-2026-nld-bomberos.yaml", "book_value: 0", "book_value: 900")
    result = run("check", str(batch.folder), "--json", "--as-of", "2026-11-23")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["summary"] == {"errors": 1, "warnings": 1, "records": 6, "blocked": ["don-2026-nld-bomberos"]}
    first = data["findings"][0]
    assert first["rule"] == "equipment.book_value" and first["field"] == "items[0].book_value"
    assert first["line"] == batch.line_of("donations/don-2026-nld-bomberos.yaml", "book_value: 900")
    assert {"severity", "file", "line", "record", "kind", "field", "rule", "message", "fix"} <= set(first)


def test_unreadable_input_exits_2_with_one_line_and_no_traceback():
    result = CliRunner().invoke(cli, ["check", str(FIXTURES / "duplicate-keys")], catch_exceptions=False)
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ") and "dup.yaml:6: duplicate field 'book_value'" in line


# The real program in a subprocess, where a traceback would reach stderr (CliRunner keeps an
# exception out of its output, so "Traceback" not in result.output cannot fail there).
REFUSALS = {
    "unreadable input": (["check", str(FIXTURES / "duplicate-keys")], 2, "duplicate field 'book_value'"),
    "an output under a file": (["build", "example", "--out", "blocker/out", "-q"], 2, "is a file where the output folder"),
    "a second submission": (["sci", "example", "laredo-monterrey", "--signed", "/dev/zero"], 1, "already submitted"),
    "a redline of no partnership": (["redline", "example", "no-such-id"], 1, "no partnership with that id"),
    "a resend never sent": (["sci-notice", "example", "laredo-saltillo", "--resend", "--archive", "/nonexistent/signed"], 1,
                            "records no status notice"),
}


def test_a_broken_city_template_is_a_finding_of_the_real_program_not_a_traceback(tmp_path):
    city = tmp_path / "city"
    assert subprocess.run([sys.executable, "-m", "pipeline", "init", str(city)], capture_output=True, timeout=120).returncode == 0
    own = city / "templates_es" / "partnership" / "agreement.html"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text("{% extends '_layout.html' %}{% block body %}{{ partnership. }}{% endblock %}", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pipeline", "--project", str(city), "check", "example"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout
    assert "templates_es/partnership/agreement.html:1" in done.stdout and "[city.template]" in done.stdout


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_of_the_real_program_are_one_line_without_a_traceback(case, tmp_path):
    args, code, words = REFUSALS[case]
    (tmp_path / "blocker").write_text("a file, not a folder", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pipeline", "--project", str(ROOT), *args], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    error = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(error) == 1 and words in error[0], done.stderr


def test_unreadable_input_as_json():
    result = CliRunner().invoke(cli, ["check", str(FIXTURES / "latin1"), "--json"])
    assert result.exit_code == 2
    (problem,) = json.loads(result.output)["input_errors"]
    assert problem["line"] == 3 and "not UTF-8" in problem["reason"]


def test_missing_batch_folder_and_bad_option_are_usage_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    missing = CliRunner().invoke(cli, ["check", "nowhere"])
    assert missing.exit_code == 2 and "no such batch folder" in missing.output
    bad_date = CliRunner().invoke(cli, ["check", "nowhere", "--as-of", "12/08/2026"])
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output


def test_python_dash_m_pipeline_runs_the_same_cli(batch):
    result = subprocess.run([sys.executable, "-m", "pipeline", "check", str(batch.folder), "--as-of", "2026-11-23"],
                            capture_output=True, text=True, cwd=batch.records.parent)
    assert result.returncode == 0, result.stderr
    assert "0 errors, 1 warning" in result.stdout


def test_readme_opens_with_the_commands_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = re.findall(r"^```sh\n(.+?)\n```", readme, flags=re.M | re.S)
    run_example, run_tests = commands[0], commands[1]
    assert "sisterdocs build records/example" in run_example and "apt-get install" in run_example
    assert run_tests in ci, "the test command in .ci/run must be the README's, word for word"
    assert readme.index(run_example) < readme.index("## ")  # they open the README
