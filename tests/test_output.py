"""The write stage on its own (pipeline/output.py), with bytes instead of documents: fast enough
for mutation testing (README, "Testing"). What it promises: nothing lands outside out/<batch>;
out/<batch> is the previous whole output or the new one, never a mix; what the last build made
and this one does not is removed, and what no build made is kept."""

from __future__ import annotations

import errno
import json
import os
import stat

import pytest

from pipeline import output
from pipeline.errors import OutputError
from pipeline.output import MANIFEST, OutputFolder, OutputPathError, OutputWriter, manifest_bytes, safe_relative


def _manifest(*paths: str, **extra) -> dict:
    return {"files": [{"path": p} for p in paths], **extra}


def _build(folder, files: dict[str, bytes], carried: tuple[str, ...] = (), previous: set[str] = frozenset(), **extra):
    """One build: `files` written anew, `carried` taken over from the current output."""
    generation = OutputFolder(folder).begin()
    for path, data in files.items():
        generation.write(path, data)
    for path in carried:
        assert generation.carry(path), path
    return generation.commit(_manifest(*files, *carried, **extra), previous)


def _tree(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _beside(folder) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir())


# --- nothing lands outside the output folder ---------------------------------------------------------------------

@pytest.mark.parametrize("relative", ["/etc/passwd", "../escape.pdf", "a/../../escape.pdf", "", ".", "a\\b.pdf"])
def test_a_path_that_would_leave_the_output_folder_is_refused(tmp_path, relative):
    with pytest.raises(OutputPathError) as refused:
        safe_relative(tmp_path / "out", relative)
    assert str(refused.value) == f"refused output path {relative!r}: it must stay inside {tmp_path / 'out'}"
    generation = OutputFolder(tmp_path / "out" / "batch").begin()
    with pytest.raises(OutputPathError):
        generation.write(relative, b"x")
    generation.abort()
    assert not (tmp_path / "escape.pdf").exists() and not (tmp_path / "out" / "escape.pdf").exists()


@pytest.mark.parametrize("real_dirs", [None, {}])
def test_a_folder_linked_outside_the_output_folder_is_refused_and_a_folder_inside_is_not(tmp_path, real_dirs):
    folder, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (folder / "inside").mkdir(parents=True)
    elsewhere.mkdir()
    (folder / "away").symlink_to(elsewhere)
    (folder / "near").symlink_to(folder / "inside")
    with pytest.raises(OutputPathError) as refused:
        safe_relative(folder, "away/letter.pdf", real_dirs)
    assert str(refused.value) == f"refused output path 'away/letter.pdf': it resolves outside {folder}"
    assert safe_relative(folder, "near/letter.pdf", real_dirs) == folder / "near" / "letter.pdf"
    assert safe_relative(folder, "a/b/letter.pdf", real_dirs) == folder / "a" / "b" / "letter.pdf"


def test_a_file_that_is_a_link_outside_is_refused_even_in_a_folder_already_resolved(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("x")
    (folder / "letter.pdf").symlink_to(tmp_path / "secret.txt")
    real_dirs: dict = {}
    assert safe_relative(folder, "other.pdf", real_dirs) == folder / "other.pdf"  # the folder is now resolved
    with pytest.raises(OutputPathError, match="resolves outside"):
        safe_relative(folder, "letter.pdf", real_dirs)


def test_the_current_generation_is_looked_up_with_the_same_refusals(tmp_path):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a/letter.pdf": b"1"})
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "letter.pdf").write_bytes(b"not ours")
    (folder / "away").symlink_to(tmp_path / "elsewhere")  # planted in the current output
    generation = OutputFolder(folder).begin()
    assert generation.existing_size("a/letter.pdf") == 1
    os.chmod(folder.resolve(), 0o755)
    (folder / "a\\letter.pdf").write_bytes(b"a name safe_relative refuses")
    (folder / "a" / "alias.pdf").symlink_to("letter.pdf")  # a link to a file inside is followed
    (folder / "a" / "outside.pdf").symlink_to(tmp_path / "elsewhere" / "letter.pdf")
    assert generation.existing_size("a/alias.pdf") == 1
    for relative in ("away/letter.pdf", "../batch/a/letter.pdf", "/a/letter.pdf", "a\\letter.pdf", "a/missing.pdf", "a",
                     "a/letter.pdf\0", "", "a/outside.pdf"):
        assert generation.existing_size(relative) is None, relative
        assert generation.carry(relative) is False, relative
    for relative in ("a//letter.pdf", "a/./letter.pdf"):  # read as safe_relative reads them: the same file
        assert generation.existing_size(relative) == 1, relative
    generation.abort()


# --- a whole output, made current in one rename -------------------------------------------------------------------

def test_a_build_makes_a_link_to_a_readable_generation_with_its_manifest_last(tmp_path):
    folder = tmp_path / "out" / "batch"
    final = _build(folder, {"a/letter.pdf": b"%PDF-1", "b.docx": b"PK"}, batch="example")
    assert folder.is_symlink() and os.readlink(folder) == ".batch.gen-1" and final == tmp_path / "out" / ".batch.gen-1"
    assert _tree(folder) == {"a/letter.pdf": b"%PDF-1", "b.docx": b"PK", MANIFEST: manifest_bytes(
        _manifest("a/letter.pdf", "b.docx", batch="example"))}
    assert stat.S_IMODE((folder / "a" / "letter.pdf").stat().st_mode) == 0o644
    assert stat.S_IMODE((folder / "a").stat().st_mode) == 0o755 and stat.S_IMODE(final.stat().st_mode) == 0o755
    assert OutputFolder(folder).previous_manifest() == _manifest("a/letter.pdf", "b.docx", batch="example")
    assert OutputFolder(tmp_path / "out" / "never").previous_manifest() == {}
    assert stat.S_IMODE((folder.parent / ".batch.lock").stat().st_mode) == 0o644
    assert _beside(folder) == [".batch.gen-1", ".batch.lock", "batch"]


def test_the_next_build_replaces_the_output_whole_and_keeps_the_old_generation_only_as_the_spare(tmp_path):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"old.pdf": b"1", "kept.pdf": b"2"})
    inode = (folder / "kept.pdf").stat().st_ino
    final = _build(folder, {"new.pdf": b"3"}, carried=("kept.pdf",), previous={"old.pdf", "kept.pdf"})
    assert final.name == ".batch.gen-2" and os.readlink(folder) == ".batch.gen-2"
    assert set(_tree(folder)) == {"new.pdf", "kept.pdf", MANIFEST}
    assert (folder / "kept.pdf").stat().st_ino == inode  # taken over by a hard link, not copied
    assert _beside(folder) == [".batch.gen-2", ".batch.lock", ".batch.spare", "batch"]
    assert set(_tree(folder.parent / ".batch.spare")) == {"old.pdf", "kept.pdf", MANIFEST}  # the first generation
    assert OutputFolder(folder).current() == final  # the spare is never taken for the output


def test_the_next_build_starts_from_the_spare_and_keeps_only_what_is_the_current_generations_very_file(
        tmp_path, monkeypatch):
    """The spare (the generation before the current one, or a staging folder given up) holds hard
    links to the current files, older files and anything else left there: a file is kept only if
    it is the current file (device and inode) this build takes over; the rest is replaced or removed."""
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a/same.pdf": b"1", "a/older.pdf": b"2", "stale.pdf": b"3", "b": b"a file", "c/d.pdf": b"4"})
    (folder / "clerk.txt").write_text("the clerk's")
    _build(folder, {"a/older.pdf": b"2 again"}, carried=("a/same.pdf", "stale.pdf", "b", "c/d.pdf"))
    spare = folder.parent / ".batch.spare"
    assert (spare / "a" / "same.pdf").stat().st_ino == (folder / "a" / "same.pdf").stat().st_ino
    assert (spare / "a" / "older.pdf").read_bytes() == b"2"  # not the current file: the first build's
    (spare / "planted").symlink_to(tmp_path)  # nothing in the staging folder may lead a path elsewhere
    (spare / "e").mkdir()
    (spare / "e" / "half.pdf.tmp").write_bytes(b"%PDF")  # a killed writer's
    links = []
    real_link = os.link
    monkeypatch.setattr(output.os, "link", lambda *a, **k: links.append(a[1]) or real_link(*a, **k))
    generation = OutputFolder(folder).begin()
    assert not spare.exists() and (generation.staging / "a" / "same.pdf").is_file()
    assert not os.path.lexists(generation.staging / "planted")
    for path in ("a/same.pdf", "a/older.pdf"):
        assert generation.carry(path)
    generation.write("b/now.pdf", b"a folder where a file was")
    generation.write("c", b"a file where a folder was")
    final = generation.commit(_manifest("a/same.pdf", "a/older.pdf", "b/now.pdf", "c"), {"stale.pdf", "b", "c/d.pdf"})
    assert _tree(folder) == {"a/same.pdf": b"1", "a/older.pdf": b"2 again", "b/now.pdf": b"a folder where a file was",
                             "c": b"a file where a folder was", "clerk.txt": b"the clerk's",
                             MANIFEST: manifest_bytes(_manifest("a/same.pdf", "a/older.pdf", "b/now.pdf", "c"))}
    assert [os.path.relpath(path, generation.staging) for path in links] == ["a/older.pdf"]  # the one file the spare had not current
    assert sorted(p.relative_to(final).as_posix() for p in final.rglob("*")) == [
        "a", "a/older.pdf", "a/same.pdf", "b", "b/now.pdf", "c", "clerk.txt", MANIFEST]  # no folder left empty
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in [final, *final.rglob("*")] if p.is_dir()} == {oct(0o755)}


def test_a_spare_that_cannot_be_read_through_is_left_as_debris_and_the_build_starts_afresh(tmp_path, monkeypatch):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a.pdf": b"1"})
    _build(folder, {"a.pdf": b"2"})
    (folder.parent / ".batch.spare" / "locked").mkdir()
    real_scandir = os.scandir

    def refuse(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(output.os, "scandir", refuse)
    generation = OutputFolder(folder).begin()
    assert list(generation.staging.iterdir()) == []  # a fresh folder: nothing of the spare is trusted
    generation.write("a.pdf", b"3")
    generation.commit(_manifest("a.pdf"))
    monkeypatch.undo()
    assert _tree(folder) == {"a.pdf": b"3", MANIFEST: manifest_bytes(_manifest("a.pdf"))}
    _build(folder, {"a.pdf": b"4"})  # the next build clears the debris
    assert _beside(folder) == [".batch.gen-4", ".batch.lock", ".batch.spare", "batch"]


def test_what_the_last_build_made_and_this_one_does_not_is_removed_and_what_no_build_made_is_kept(tmp_path):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"letters/stale.pdf": b"1", "letters/kept.pdf": b"2"})
    (folder / "letters" / "clerk-notes.txt").write_text("call the consulate")
    (folder / "mine.txt").write_text("mine")
    _build(folder, {"letters/kept.pdf": b"2"}, previous={"letters/stale.pdf", "letters/kept.pdf"})
    assert _tree(folder) == {"letters/clerk-notes.txt": b"call the consulate", "letters/kept.pdf": b"2",
                             "mine.txt": b"mine", MANIFEST: manifest_bytes(_manifest("letters/kept.pdf"))}


def test_a_file_no_build_made_gives_way_to_one_this_build_writes_under_its_name(tmp_path):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a.pdf": b"1"})
    (folder / "notes.txt").write_text("the clerk's")
    _build(folder, {"notes.txt": b"the build's"}, carried=("a.pdf",))
    assert (folder / "notes.txt").read_bytes() == b"the build's"


def test_a_rebuild_that_changes_nothing_keeps_the_current_generation_untouched(tmp_path):
    folder = tmp_path / "out" / "batch"
    first = _build(folder, {"a.pdf": b"1", "b.pdf": b"2"}, zeta="z", alpha="ä")  # the file has its keys sorted
    before = (first / MANIFEST).stat().st_mtime_ns
    assert _build(folder, {}, carried=("a.pdf", "b.pdf"), zeta="z", alpha="ä") == first  # same manifest: nothing made
    assert (first / MANIFEST).stat().st_mtime_ns == before and _beside(folder) == [".batch.gen-1", ".batch.lock", "batch"]
    changed = _build(folder, {}, carried=("a.pdf", "b.pdf"), note="a new field")  # the manifest changed: made anew
    assert changed.name == ".batch.gen-2" and json.loads((folder / MANIFEST).read_bytes())["note"] == "a new field"
    assert _build(folder, {"a.pdf": b"1"}, carried=("b.pdf",), note="a new field").name == ".batch.gen-3"  # one written


@pytest.mark.parametrize("damage", ["missing", "unreadable"])
def test_a_current_generation_with_a_damaged_manifest_is_replaced_not_kept(tmp_path, damage):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a.pdf": b"1"})
    os.chmod(folder.resolve(), 0o755)
    if damage == "missing":
        (folder / MANIFEST).unlink()
    else:
        (folder / MANIFEST).write_text("{not json")
    assert OutputFolder(folder).previous_manifest() == {}
    final = _build(folder, {}, carried=("a.pdf",))
    assert final.name == ".batch.gen-2" and json.loads((folder / MANIFEST).read_bytes()) == _manifest("a.pdf")


def test_an_output_from_before_generations_is_replaced_by_the_link_and_kept_until_the_swap(tmp_path):
    folder = tmp_path / "out" / "batch"
    folder.mkdir(parents=True)
    (folder / "a.pdf").write_bytes(b"old")
    (folder / MANIFEST).write_text(json.dumps(_manifest("a.pdf")))
    generation = OutputFolder(folder).begin()
    assert generation.current == folder.resolve() and generation.carry("a.pdf")
    generation.commit(_manifest("a.pdf"))  # every file taken over, the same manifest: still made, as a generation
    assert folder.is_symlink() and _tree(folder)["a.pdf"] == b"old"
    assert _beside(folder) == [".batch.gen-1", ".batch.lock", "batch"]


def refuse_the_swap(monkeypatch, folder) -> None:
    """The commit's last rename, the one that makes the new generation current, fails."""
    real_replace = os.replace

    def replace(source, target):
        if os.fspath(target) == os.fspath(folder):
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(source, target)

    monkeypatch.setattr(output.os, "replace", replace)


def test_a_failed_swap_leaves_the_previous_output_and_no_debris(tmp_path, monkeypatch):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a.pdf": b"1"})
    generation = OutputFolder(folder).begin()
    generation.write("a.pdf", b"2")
    refuse_the_swap(monkeypatch, folder)
    with pytest.raises(OSError):
        generation.commit(_manifest("a.pdf"))
    monkeypatch.undo()
    assert (folder / "a.pdf").read_bytes() == b"1" and _beside(folder) == [".batch.gen-1", ".batch.lock", "batch"]


def test_a_failed_swap_puts_an_output_from_before_generations_back(tmp_path, monkeypatch):
    folder = tmp_path / "out" / "batch"
    folder.mkdir(parents=True)
    (folder / "a.pdf").write_bytes(b"old")
    generation = OutputFolder(folder).begin()
    generation.write("a.pdf", b"new")
    real_symlink = os.symlink
    monkeypatch.setattr(output.os, "symlink", lambda *a: (_ for _ in ()).throw(OSError(errno.EPERM, "Operation not permitted")))
    with pytest.raises(OSError):
        generation.commit(_manifest("a.pdf"))
    monkeypatch.setattr(output.os, "symlink", real_symlink)
    assert not folder.is_symlink() and (folder / "a.pdf").read_bytes() == b"old"
    assert _beside(folder) == [".batch.lock", "batch"]


# --- what an interrupted build leaves is cleared by the next -------------------------------------------------------

def test_the_next_build_clears_what_an_interrupted_one_left(tmp_path):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a.pdf": b"1"})
    parent = folder.parent
    (parent / ".batch.next-abc").mkdir()
    (parent / ".batch.next-abc" / "half.pdf").write_bytes(b"%PDF")
    (parent / ".batch.next-file").write_bytes(b"")
    (parent / ".batch.link-123").symlink_to(".batch.gen-1")
    (parent / ".batch.gen-7").mkdir()  # a generation the link does not point to
    (parent / ".other.gen-3").mkdir()  # another batch's: not ours to clear
    generation = OutputFolder(folder).begin()
    assert generation.final.name == ".batch.gen-2"
    assert sorted(p.name for p in parent.iterdir() if p != generation.staging) == [
        ".batch.gen-1", ".batch.lock", ".other.gen-3", "batch"]
    generation.abort()
    assert not generation.staging.exists()


def test_a_build_stopped_between_moving_the_old_output_aside_and_linking_finds_the_newest_whole_generation(tmp_path):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a.pdf": b"1"})
    _build(folder, {"a.pdf": b"2"})
    folder.unlink()  # the link gone, as if stopped mid-swap
    (folder.parent / ".batch.gen-3").mkdir()  # newer, but without its manifest: not whole
    assert OutputFolder(folder).current() == (folder.parent / ".batch.gen-2").resolve()
    assert OutputFolder(tmp_path / "out" / "never").current() is None


def test_a_killed_writer_leaves_no_half_file(tmp_path):
    target = tmp_path / "out" / "letter.pdf"
    with pytest.raises(KeyboardInterrupt):
        with output.atomic_file(target) as handle:
            handle.write(b"%PDF-half")
            raise KeyboardInterrupt
    assert list((tmp_path / "out").iterdir()) == []
    assert OutputWriter(tmp_path / "out").write("sub/letter.pdf", b"whole") == output.sha256(b"whole")
    assert (tmp_path / "out" / "sub" / "letter.pdf").read_bytes() == b"whole"
    assert stat.S_IMODE((tmp_path / "out" / "sub" / "letter.pdf").stat().st_mode) == 0o644


# --- one build at a time, and one line when the output folder cannot take it ---------------------------------------

def test_a_second_build_into_the_same_folder_is_refused_until_the_first_ends(tmp_path):
    folder = tmp_path / "out" / "batch"
    first = OutputFolder(folder).begin()
    with pytest.raises(OutputError) as refused:
        OutputFolder(folder).begin()
    assert str(refused.value) == (f"{folder}: another build is writing this output folder now (lock "
                                  f"{folder.parent / '.batch.lock'})  → wait for it to finish, then build again")
    assert first.staging.exists()  # the second build did not clear the first one's staging as debris
    first.commit(_manifest())
    OutputFolder(folder).begin().abort()  # the commit released the lock
    OutputFolder(folder).begin().abort()  # and so did the abort


def test_an_output_folder_that_is_a_file_or_under_one_is_one_line(tmp_path):
    (tmp_path / "out").write_text("not a folder")
    with pytest.raises(OutputError) as refused:
        OutputFolder(tmp_path / "out").begin()
    assert str(refused.value) == f"{tmp_path / 'out'}: is a file, not an output folder  → move it aside, or give another --out"
    with pytest.raises(OutputError) as refused:
        OutputFolder(tmp_path / "out" / "deeper" / "batch").begin()
    assert str(refused.value) == (f"{tmp_path / 'out'}: is a file where the output folder {tmp_path / 'out' / 'deeper'} "
                                  "should be  → move it aside, or give another --out")


@pytest.mark.parametrize("code, fix", [
    (errno.ENOSPC, "free some disk space, then build again"),
    (errno.EDQUOT, "free some of your disk quota, then build again"),
    (errno.EROFS, "the disk is read-only: give a writable --out"),
    (errno.EACCES, "you may not write there: give a writable --out, or ask for write access"),
    (errno.EPERM, "you may not write there: give a writable --out, or ask for write access"),
    (errno.EIO, "check the output folder, then build again"),
])
def test_a_file_system_fault_says_where_why_and_what_to_do(tmp_path, code, fix):
    named = output.output_error(OSError(code, os.strerror(code), "/out/batch/a.pdf"), tmp_path)
    assert named.message == f"/out/batch/a.pdf: {os.strerror(code)}; the previous output is unchanged  → {fix}"
    unnamed = output.output_error(OSError(code, os.strerror(code)), tmp_path)
    assert unnamed.message == f"{tmp_path}: {os.strerror(code)}; the previous output is unchanged  → {fix}"


def test_a_full_disk_at_the_lock_is_one_line(tmp_path, monkeypatch):
    real_open = os.open
    monkeypatch.setattr(output.os, "open", lambda path, *a: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device"))
                        if str(path).endswith(".lock") else real_open(path, *a))
    with pytest.raises(OutputError) as refused:
        OutputFolder(tmp_path / "out" / "batch").begin()
    assert refused.value.message == (f"{tmp_path / 'out'}: No space left on device; the previous output is unchanged  → free "
                                     "some disk space, then build again")


# --- taking files over -------------------------------------------------------------------------------------------

def test_a_file_taken_over_is_linked_when_read_and_a_file_written_since_is_not_replaced(tmp_path):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a/one.pdf": b"1", "a/two.pdf": b"2"})
    generation = OutputFolder(folder).begin()
    assert generation.carry("a/one.pdf") and generation.carry("a/two.pdf")
    assert not (generation.staging / "a" / "one.pdf").exists()  # not linked until read
    generation.write("a/two.pdf", b"2 again")
    generation.link_carried()
    assert (generation.staging / "a" / "one.pdf").stat().st_ino == (folder / "a" / "one.pdf").stat().st_ino
    assert (generation.staging / "a" / "two.pdf").read_bytes() == b"2 again"
    assert generation.written == 1
    generation.abort()


def test_a_file_system_without_hard_links_gets_copies(tmp_path, monkeypatch):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a/one.pdf": b"1"})
    monkeypatch.setattr(output.os, "link", lambda *a: (_ for _ in ()).throw(OSError(errno.EPERM, "Operation not permitted")))
    _build(folder, {"b.pdf": b"2"}, carried=("a/one.pdf",))
    assert _tree(folder)["a/one.pdf"] == b"1" and (folder / "a" / "one.pdf").stat().st_nlink == 1


def test_a_streamed_file_counts_as_written_and_replaces_one_taken_over(tmp_path):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"packet.pdf": b"old"})
    generation = OutputFolder(folder).begin()
    generation.carry("packet.pdf")
    with generation.open("packet.pdf") as handle:
        handle.write(b"new")
    generation.commit(_manifest("packet.pdf"))
    assert (folder / "packet.pdf").read_bytes() == b"new"


def test_the_manifest_is_json_with_sorted_keys_and_a_line_per_file(tmp_path):
    manifest = {"files": [{"sha256": "2", "path": "b.pdf"}, {"path": "a.pdf", "sha256": "1"}], "batch": "ñ", "held_back": [],
                "count": 2}
    text = manifest_bytes(manifest).decode("utf-8")
    assert json.loads(text) == manifest
    assert text.splitlines() == ['{', '  "batch": "ñ",', '  "count": 2,', '  "files": [', '    {"path": "b.pdf", "sha256": "2"},',
                                 '    {"path": "a.pdf", "sha256": "1"}', '  ],', '  "held_back": []', '}']


def test_the_output_folder_is_made_with_every_folder_above_it(tmp_path):
    folder = tmp_path / "a" / "b" / "out" / "batch"
    generation = OutputFolder(folder).begin()
    assert generation.staging.parent == folder.parent and generation.staging.name.startswith(".batch.next-")
    generation.abort()


def test_a_dangling_link_where_the_output_folder_should_be_is_one_line(tmp_path):
    (tmp_path / "out").symlink_to(tmp_path / "gone")
    with pytest.raises(OutputError) as refused:
        OutputFolder(tmp_path / "out" / "batch").begin()
    assert str(refused.value) == (f"{tmp_path / 'out'}: is a file where the output folder {tmp_path / 'out'} should be  "
                                  "→ move it aside, or give another --out")


@pytest.mark.parametrize("where", ["mkdir", "mkdtemp"])
def test_a_fault_while_preparing_the_output_folder_is_one_line_and_releases_the_lock(tmp_path, monkeypatch, where):
    folder = tmp_path / "out" / "batch"
    OutputFolder(folder).begin().abort()  # out/ exists: the mkdir below is of out/ itself
    refuse = lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EACCES, "Permission denied"))  # noqa: E731
    monkeypatch.setattr(*((output.Path, "mkdir", refuse) if where == "mkdir" else (output.tempfile, "mkdtemp", refuse)))
    with pytest.raises(OutputError) as refused:
        OutputFolder(folder).begin()
    assert refused.value.message == (f"{folder.parent}: Permission denied; the previous output is unchanged  → you may not "
                                     "write there: give a writable --out, or ask for write access")
    monkeypatch.undo()
    OutputFolder(folder).begin().abort()  # the lock was released


def test_an_interrupt_while_preparing_the_output_folder_releases_the_lock(tmp_path, monkeypatch):
    folder = tmp_path / "out" / "batch"
    monkeypatch.setattr(output.tempfile, "mkdtemp", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        OutputFolder(folder).begin()
    monkeypatch.undo()
    OutputFolder(folder).begin().abort()


def test_debris_that_cannot_be_removed_does_not_stop_the_build(tmp_path, monkeypatch):
    """A leftover the build may not remove (another user's, a busy network share) stays; the build goes on."""
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a.pdf": b"1"})
    for name in (".batch.next-stuck", ".batch.gen-9"):
        (folder.parent / name).mkdir()
        (folder.parent / name / "stuck.pdf").write_bytes(b"x")
    real_unlink = os.unlink

    def refuse(path, *args, **kwargs):
        if os.fspath(path).endswith("stuck.pdf"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", refuse)
    assert _build(folder, {"a.pdf": b"2"}).name == ".batch.gen-10"
    monkeypatch.undo()
    assert (folder / "a.pdf").read_bytes() == b"2"


def test_a_file_taken_over_after_it_was_written_keeps_what_was_written_and_the_rest_are_still_linked(tmp_path):
    folder = tmp_path / "out" / "batch"
    _build(folder, {"a.pdf": b"1", "b.pdf": b"2", "c.pdf": b"3"})
    generation = OutputFolder(folder).begin()
    generation.write("a.pdf", b"1 again")
    for relative in ("a.pdf", "b.pdf", "c.pdf"):
        generation.carry(relative)
    generation.commit(_manifest("a.pdf", "b.pdf", "c.pdf"))
    assert _tree(folder) == {"a.pdf": b"1 again", "b.pdf": b"2", "c.pdf": b"3",
                             MANIFEST: manifest_bytes(_manifest("a.pdf", "b.pdf", "c.pdf"))}


def test_the_output_is_readable_by_colleagues_whatever_the_builders_umask(tmp_path):
    folder = tmp_path / "out" / "batch"
    before = os.umask(0o077)
    try:
        _build(folder, {"a/b/letter.pdf": b"1"})
    finally:
        os.umask(before)
    for path in (folder.resolve(), folder / "a", folder / "a" / "b"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o755, path
    for path in (folder / "a" / "b" / "letter.pdf", folder / MANIFEST):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_a_failed_swap_of_the_first_build_leaves_nothing(tmp_path, monkeypatch):
    folder = tmp_path / "out" / "batch"
    generation = OutputFolder(folder).begin()
    generation.write("a.pdf", b"1")
    refuse_the_swap(monkeypatch, folder)
    with pytest.raises(OSError, match="Input/output error"):
        generation.commit(_manifest("a.pdf"))
    assert _beside(folder) == [".batch.lock"]
