"""Filesystem faults and two builds at once (issue 15): one line naming the path and the fix,
exit 2, and the previous output whole."""

from __future__ import annotations

import errno
import fcntl
import os

import pytest
from click.testing import CliRunner

from pipeline import output as output_module
from pipeline.build import build
from pipeline.cli import cli
from pipeline.errors import OutputError
from tests.conftest import AFTER_MEETING, BatchCopy
from tests.test_incremental import assert_complete, hashes


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A batch and one complete build of it: each test copies the output and tries to spoil it."""
    root = tmp_path_factory.mktemp("faults")
    batch = BatchCopy(root)
    build(batch.folder, root / "out", as_of=AFTER_MEETING, jobs=2)
    return batch, root / "out"


def copy_of(previous, tmp_path):
    import shutil

    batch, out = previous
    shutil.copytree(out, tmp_path / "out", symlinks=True)
    return batch, tmp_path / "out"


def test_a_second_build_into_the_same_output_refuses_with_one_line_and_touches_nothing(previous, tmp_path):
    batch, out = copy_of(previous, tmp_path)
    before = hashes(out)
    with open(out / ".example.lock", "a") as held:  # a first build is writing
        fcntl.flock(held, fcntl.LOCK_EX)
        staging = out / ".example.next-first"
        staging.mkdir()
        result = CliRunner().invoke(cli, ["build", str(batch.folder), "--out", str(out), "--as-of", "2026-12-09", "-q"])
        assert result.exit_code == 2, result.output
        message = result.output.strip().splitlines()[-1]
        assert "another build is writing this output folder now" in message and "wait for it to finish" in message
        assert staging.is_dir()  # the first build's staging is not taken for debris
    assert hashes(out) == before
    build(batch.folder, out, as_of=AFTER_MEETING, jobs=1)  # once the first is done, the next one goes
    assert not staging.exists()


def test_a_full_disk_leaves_the_previous_output_and_no_staging(previous, tmp_path, monkeypatch):
    batch, out = copy_of(previous, tmp_path)
    batch.replace("partnerships/laredo-saltillo.yaml", "at least forty companies", "at least sixty companies")
    before = hashes(out)
    real_write = output_module.Generation.write

    def full(self, relative, data):
        if relative.endswith(".pdf"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.target(relative)))
        return real_write(self, relative, data)

    monkeypatch.setattr(output_module.Generation, "write", full)
    with pytest.raises(OutputError) as caught:
        build(batch.folder, out, as_of=AFTER_MEETING, jobs=1)
    assert "No space left on device; the previous output is unchanged  → free some disk space" in caught.value.message
    assert ".example.next-" in caught.value.message  # the file it could not write
    monkeypatch.undo()
    assert hashes(out) == before
    assert_complete(out)
    assert not list(out.glob(".example.next-*"))


def test_an_output_that_is_a_file_or_under_a_file_is_one_line(tmp_path):
    batch = BatchCopy(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "example").write_text("my notes", encoding="utf-8")
    with pytest.raises(OutputError) as caught:
        build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, jobs=1)
    assert caught.value.message.startswith(f"{tmp_path / 'out' / 'example'}: is a file, not an output folder")
    assert (tmp_path / "out" / "example").read_text(encoding="utf-8") == "my notes"
    (tmp_path / "blocker").write_text("", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(batch.folder), "--out", str(tmp_path / "blocker" / "out"), "-q"])
    assert result.exit_code == 2 and f"{tmp_path / 'blocker'}: is a file where the output folder" in result.output
    assert type(result.exception) is SystemExit  # click's clean exit, not an exception out of the build


def test_a_link_left_by_a_killed_build_is_cleared(previous, tmp_path):
    batch, out = copy_of(previous, tmp_path)
    os.symlink(".example.gen-1", out / ".example.link-99999")
    build(batch.folder, out, as_of=AFTER_MEETING, jobs=1)
    assert not list(out.glob(".example.link-*"))
    assert_complete(out)


class FaultyCalls:
    """Stands in for the `os` and `tempfile` modules of pipeline.output: counts every call that
    changes the disk, by the line of pipeline/output.py that makes it, and fails the one chosen."""

    MUTATING = {"open", "replace", "link", "symlink", "chmod", "fchmod", "fsync", "unlink", "mkstemp", "mkdtemp"}

    def __init__(self, real, fail_at: tuple[str, int] | None, seen: list):
        self.real, self.fail_at, self.seen = real, fail_at, seen

    def __getattr__(self, name):
        attribute = getattr(self.real, name)
        if name not in self.MUTATING:
            return attribute

        def call(*args, **kwargs):
            import sys

            caller = sys._getframe(1)
            site = (name, caller.f_lineno) if caller.f_code.co_filename == output_module.__file__ else (name, 0)
            if site not in self.seen:
                self.seen.append(site)
                if site == self.fail_at:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "injected")
            return attribute(*args, **kwargs)

        return call


def test_a_fault_at_any_write_of_a_build_is_one_line_and_leaves_a_whole_output(previous, tmp_path, monkeypatch):
    """Each place the build writes to disk, failed in turn (at its first use): the build stops with one
    line (or, past the commit point, finishes), and what out/example shows is always one whole
    generation — the previous one or the new one — with no staging or link debris beside it."""
    batch, out = copy_of(previous, tmp_path)
    clause = "Create student and faculty exchanges"  # the batch is shared by the module: put back at the end
    batch.replace("partnerships/laredo-saltillo.yaml", clause, "Create student, faculty and staff exchanges")
    try:
        _fail_each_write_in_turn(previous, batch, out, monkeypatch)
    finally:
        batch.replace("partnerships/laredo-saltillo.yaml", "Create student, faculty and staff exchanges", clause)


def _fail_each_write_in_turn(previous, batch, out, monkeypatch) -> None:
    before = hashes(out)
    sites: list = []

    def rebuild(fail_at):
        seen: list = []
        with monkeypatch.context() as patched:
            patched.setattr(output_module, "os", FaultyCalls(os, fail_at, seen))
            patched.setattr(output_module, "tempfile", FaultyCalls(output_module.tempfile, fail_at, seen))
            try:
                build(batch.folder, out, as_of=AFTER_MEETING, jobs=1)
            except OutputError as exc:
                assert "\n" not in exc.message and "the previous output is unchanged" in exc.message, exc.message
                return seen, "refused"
        return seen, "built"

    sites, outcome = rebuild(None)  # a dry run: where does a build write?
    assert outcome == "built" and len(sites) >= 8, sites
    after = hashes(out)
    assert after != before
    shutil_restore(previous, out)
    outcomes = {}
    for site in sites:
        _, outcomes[site] = rebuild(site)
        assert hashes(out) in (before, after), site
        assert_complete(out)
        assert not list(out.glob(".example.next-*")) and not list(out.glob(".example.link-*")), site
        assert [gen.name for gen in out.glob(".example.gen-*")] == [(out / "example").resolve().name], site
        if hashes(out) == after:
            shutil_restore(previous, out)
    assert "refused" in outcomes.values(), outcomes


def shutil_restore(previous, out) -> None:
    """Back to the previous complete output, for the next fault."""
    import shutil

    shutil.rmtree(out)
    shutil.copytree(previous[1], out, symlinks=True)
