"""Incremental, crash-safe builds: unchanged documents are taken over, a killed build loses nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from pipeline import executor as executor_module
from pipeline import output as output_module
from pipeline.assemble import packet_sources
from pipeline.build import STOP_AFTER_WRITES, build
from pipeline.cli import cli
from tests.conftest import AFTER_MEETING, ROOT, BatchCopy, approve_donations, own_template

SAL = "partnerships/laredo-saltillo/"
SALTILLO_FILE = "partnerships/laredo-saltillo.yaml"


def manifest(out: Path) -> dict:
    return json.loads((out / "example" / "manifest.json").read_text(encoding="utf-8"))


def hashes(out: Path) -> dict[str, str]:
    return {f["path"]: f["sha256"] for f in manifest(out)["files"]}


def packet_parts(out: Path) -> list[str]:
    """The titles of the documents in the packet, in order, from its outline (an item's children)."""
    return [part for item in packet_items(out).values() for part in item]


def packet_items(out: Path) -> dict[str, list[str]]:
    """Each agenda item's title in the packet's outline, and its documents' titles."""
    outline = PdfReader(out / "example" / "council-packet.pdf").outline
    return {entry.title: [part.title for part in children]
            for entry, children in zip(outline, outline[1:]) if isinstance(children, list)}


def assert_complete(out: Path) -> None:
    """Every file the manifest lists is there with its hash, and nothing half-written lies around."""
    folder = out / "example"
    for entry in manifest(out)["files"]:
        assert hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest() == entry["sha256"], entry["path"]
    assert not list(folder.rglob("*.tmp"))


@pytest.fixture
def example(tmp_path) -> BatchCopy:
    batch = BatchCopy(tmp_path)
    approve_donations(batch)
    return batch


def test_a_rebuild_with_nothing_changed_renders_nothing_and_changes_no_byte(example, tmp_path):
    out = tmp_path / "out"
    first = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    before = hashes(out)
    generation = os.readlink(out / "example")
    again = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert again.rendered == [] and len(again.reused) == len(first.rendered)
    assert hashes(out) == before
    assert_complete(out)
    # Nothing to change: the current generation stays, and no other is made beside it.
    assert os.readlink(out / "example") == generation
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".example.")) == sorted([".example.lock", generation])
    forced = build(example.folder, out, as_of=AFTER_MEETING, jobs=2, force=True)
    assert len(forced.rendered) == len(first.rendered) and hashes(out) == before
    assert os.readlink(out / "example") != generation  # written anew: a new generation, the same bytes


def test_a_rebuild_of_the_very_same_inputs_plans_nothing_and_every_kind_of_input_is_seen(example, tmp_path):
    """The no-op (pipeline/unchanged.py): the output is taken over whole without a document being
    planned; a change to anything a document is made from, even one that changes no word, sends
    the build back to working each document out."""
    out = tmp_path / "out"
    first = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    before, generation = hashes(out), os.readlink(out / "example")
    again = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert again.work["unchanged build", "hit"] == 1 and not again.work["inputs", "hit"] + again.work["inputs", "miss"]
    assert again.rendered == [] and sorted(again.reused) == sorted(first.rendered) == sorted(d.doc_id for d in again.plan.documents)
    assert again.written == manifest(out)["files"] and os.readlink(out / "example") == generation
    city = tmp_path / "city"
    edits = {
        "a record": lambda: example.replace(SALTILLO_FILE, "id: laredo-saltillo", "id: laredo-saltillo  # renamed?"),
        "the city profile": lambda: example.replace("city.yaml", "council_size: 9", "council_size: 9  # since 2010"),
        "the meeting": lambda: example.replace("batch.yaml", "  number: ", "  number:   "),
        "a kept revision": lambda: (example.folder / "revisions" / "read-me.txt").write_text("kept by the build\n"),
        "a city template": lambda: (city / "templates_en").mkdir(parents=True) or (city / "templates_en" / "notes.html").write_text("<p>{{ 1 }}</p>"),
    }
    for change, edit in edits.items():
        edit()
        overrides = city if city.exists() else None
        worked = build(example.folder, out, as_of=AFTER_MEETING, jobs=2, overrides=overrides)
        assert (worked.work["unchanged build", "hit"], worked.rendered, hashes(out)) == (0, [], before), change
        assert worked.work["inputs", "hit"] + worked.work["inputs", "miss"] == len(first.rendered), change  # each worked out
        assert build(example.folder, out, as_of=AFTER_MEETING, jobs=2, overrides=overrides).work["unchanged build", "hit"] == 1, change
    assert build(example.folder, out, as_of=AFTER_MEETING, jobs=2).work["unchanged build", "hit"] == 0  # without the city's template


def test_the_inputs_of_a_no_op_name_the_day_the_templates_and_the_findings(example, tmp_path, monkeypatch):
    from pipeline import unchanged
    from pipeline.records import load_batch
    from pipeline.validate import validate

    example.replace("batch.yaml", '  - item: "10.5"\n    record: laredo-monterrey\n', "")  # a fix naming batch.yaml
    batch = load_batch(example.folder)
    report = validate(batch, as_of=AFTER_MEETING)
    base = unchanged.batch_inputs(batch, report, AFTER_MEETING, None)
    assert base == unchanged.batch_inputs(load_batch(example.folder), validate(batch, as_of=AFTER_MEETING), AFTER_MEETING, None)
    assert unchanged.batch_inputs(batch, report, AFTER_MEETING + dt.timedelta(days=1), None) != base  # a letter's date
    city = own_template(tmp_path / "city", "templates_es/_layout.html", "<", "<")
    assert unchanged.batch_inputs(batch, report, AFTER_MEETING, city) != base
    monkeypatch.chdir(example.records)  # the fix names batch.yaml as seen from the working folder, and the report prints it
    moved = load_batch(example.folder)
    assert unchanged.batch_inputs(moved, validate(moved, as_of=AFTER_MEETING), AFTER_MEETING, None) != base


def test_one_changed_record_rerenders_only_its_documents(example, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    before = hashes(out)
    example.replace("partnerships/laredo-saltillo.yaml", "One forum a year with at least forty companies",
                    "One forum a year with at least fifty companies")
    pools = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.tasks = []
            pools.append(self)

        def submit(self, fn, *args, **kwargs):
            self.tasks.append(fn.__name__)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(executor_module, "ProcessPoolExecutor", CountedPool)
    result = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert result.rendered and all(doc.startswith("laredo-saltillo/") for doc in result.rendered)
    # One pool: the workers that loaded WeasyPrint while the tasks were worked out render them.
    assert len(pools) == 1 and pools[0].tasks[:2] == ["warm_up", "warm_up"]
    assert pools[0].tasks.count("render") == len(result.rendered)
    after = hashes(out)
    changed = {path for path in after if after[path] != before.get(path)}
    assert changed and all(path.startswith(SAL) or path == "council-packet.pdf" for path in changed), changed
    assert "council-packet.pdf" in changed  # the packet carries Saltillo's agreement as an exhibit
    assert "compliance-report.json" not in changed  # nothing the report shows has changed
    assert_complete(out)


def test_the_packet_index_works_out_again_only_the_subjects_that_can_have_changed(example, tmp_path, monkeypatch):
    from pipeline.documents import PROCESSES

    out = tmp_path / "out"
    build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    example.replace(SALTILLO_FILE, "  name: Saltillo\n", "  name: Saltillo de Zaragoza\n")
    asked = []
    for kind, documents in PROCESSES.items():
        subject = documents.agenda_subject
        monkeypatch.setattr(documents, "agenda_subject",
                            lambda view, subject=subject, kind=kind: asked.append(kind) or subject(view))
    build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    index = " ".join(page.extract_text() for page in PdfReader(out / "example" / "council-packet.pdf").pages[:2])
    # Saltillo's own, and each donation's (its place in line reads every partnership); no other partnership's.
    assert asked.count("partnership") == 1 and "Saltillo de Zaragoza" in " ".join(index.split())
    donations = len(list((example.folder / "donations").glob("*.yaml")))
    assert asked.count("donation") <= donations


def test_a_file_edited_by_hand_in_the_output_is_rendered_again(example, tmp_path):
    out = tmp_path / "out"
    build(example.folder, out, as_of=AFTER_MEETING, jobs=1)
    edited = out / "example" / SAL / "agreement.en.docx"
    original = edited.read_bytes()
    edited.unlink()  # a hard link: replace it, as an editor saving the file would
    edited.write_bytes(original + b"edited")
    result = build(example.folder, out, as_of=AFTER_MEETING, jobs=1)
    assert result.rendered == [f"{SAL.split('/')[1]}/agreement.en"]
    assert edited.read_bytes() == original


def test_a_docx_edited_in_place_after_its_hash_was_kept_is_found_edited(example, tmp_path):
    """A rebuild takes a DOCX's hash from the run cache while the file's inode, size and
    modification time are those it was hashed with; an edit saved over the same file changes them."""
    import os

    out = tmp_path / "out"
    made = build(example.folder, out, as_of=AFTER_MEETING, jobs=1)  # keeps the hash of every DOCX it writes
    example.replace(SALTILLO_FILE, "id: laredo-saltillo", "id: laredo-saltillo  # no word changes")  # not a no-op
    again = build(example.folder, out, as_of=AFTER_MEETING, jobs=1)
    docx = sum(path.endswith(".docx") for path in hashes(out))
    assert docx >= 20 and made.work["file sha", "hit"] == 0
    assert again.work["file sha", "hit"] == docx and again.work["file sha", "miss"] == 0 and again.rendered == []
    edited = out / "example" / SAL / "agreement.en.docx"
    original = edited.read_bytes()
    status = edited.stat()
    with open(edited, "r+b") as handle:  # in place: the same inode, the same size
        handle.seek(len(original) // 2)
        handle.write(bytes([original[len(original) // 2] ^ 1]))
    os.utime(edited, ns=(status.st_atime_ns, status.st_mtime_ns + 1))  # saved a nanosecond later
    result = build(example.folder, out, as_of=AFTER_MEETING, jobs=1)
    assert [edit.path for edit in result.hand_edits] == [SAL + "agreement.en.docx"]
    assert result.rendered == [f"{SAL.split('/')[1]}/agreement.en"]
    # One flipped bit breaks the zip's checksum: the build still keeps the file and says so, in one line.
    assert edited.read_bytes() == original
    assert any("agreement.en.docx: edited by hand" in w and "no longer a DOCX Word or python-docx can read" in w
               for w in result.warnings), result.warnings
    assert (out / "example" / result.hand_edits[0].kept_as).is_file()


def test_files_no_build_made_survive_a_rebuild_and_stale_ones_go(example, tmp_path):
    out = tmp_path / "out"
    build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    note = out / "example" / "sci" / "notes.txt"
    note.parent.mkdir()
    note.write_text("kept", encoding="utf-8")
    example.replace("partnerships/laredo-saltillo.yaml", "status: proposed", "status: prospective")
    example.replace("partnerships/laredo-saltillo.yaml", "council:\n  resolution_number: 2026-R-119\n  meeting_date: 2026-12-08\n  strategic_goal: \"1\"\n  filed_on: 2026-12-03\n", "")
    example.replace("batch.yaml", '  - item: "10.2"\n    record: laredo-saltillo\n', "")
    stale = out / "example" / SAL / "agenda_item.en.pdf"
    assert stale.is_file()  # made by the first build; no longer planned once the record leaves the agenda
    result = build(example.folder, out, as_of=AFTER_MEETING, keep_going=True, jobs=2)
    assert note.read_text(encoding="utf-8") == "kept"
    paths = set(hashes(out))
    assert result.plan is not None and (SAL + "introduction_letter.en.pdf") in paths
    assert (SAL + "agenda_item.en.pdf") not in paths and not stale.exists()
    assert_complete(out)


# --- crash safety ------------------------------------------------------------------------------

def test_a_failure_at_the_last_step_leaves_the_previous_output_and_no_debris(example, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    before = hashes(out)
    example.replace("partnerships/laredo-saltillo.yaml", "at least forty companies", "at least sixty companies")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # as Ctrl-C right before the new output is linked into place

    monkeypatch.setattr(output_module.os, "symlink", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(example.folder, out, as_of=AFTER_MEETING, jobs=1)
    monkeypatch.undo()
    assert hashes(out) == before
    assert_complete(out)
    assert not list(out.glob(".example.next-*"))
    build(example.folder, out, as_of=AFTER_MEETING, jobs=1)
    assert hashes(out) != before
    assert_complete(out)


def _build_command(folder: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline", "build", str(folder), "--out", str(out), "--as-of", "2026-12-09", "-j", "2"]


def test_a_build_killed_mid_run_keeps_the_previous_output_and_the_next_run_finishes(example, tmp_path):
    out = tmp_path / "out"
    subprocess.run(_build_command(example.folder, out), check=True, capture_output=True, cwd=ROOT)
    before = hashes(out)
    example.replace("partnerships/dos-laredos.yaml", "Nuevo Laredo", "Nuevo  Laredo", count=1)
    for name in ("don-2026-nld-public-works", "don-2026-nld-bomberos"):
        example.replace(f"donations/{name}.yaml", "council_approved", "council_approved  # changed")
    # The build stops itself (SIGSTOP) once it has written its third new document: a known point,
    # with new files staged and the generation not yet committed, however fast the machine is.
    env = {**os.environ, STOP_AFTER_WRITES: "3"}
    process = subprocess.Popen([*_build_command(example.folder, out), "--force"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True, env=env)
    deadline = time.monotonic() + 300
    while _state(process.pid) != "T":  # stopped
        assert process.poll() is None, "the build ended instead of stopping at its third document"
        assert time.monotonic() < deadline, "the build never reached its third document"
        time.sleep(0.05)
    staged = [p for d in out.glob(".example.next-*") for p in d.rglob("*.pdf")]
    assert len(staged) >= 3, staged  # killed mid-write, not before or after
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert hashes(out) == before  # the previous output, whole
    assert_complete(out)
    finished = subprocess.run(_build_command(example.folder, out), capture_output=True, text=True, cwd=ROOT)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert_complete(out)
    assert not list(out.glob(".example.next-*")) and len(list(out.glob(".example.gen-*"))) == 1
    clean = tmp_path / "clean"
    subprocess.run(_build_command(example.folder, clean), check=True, capture_output=True, cwd=ROOT)
    assert hashes(out) == hashes(clean)


def _state(pid: int) -> str:
    """The process state letter from /proc (R running, S sleeping, T stopped, Z zombie)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2]


def test_a_template_change_rerenders_exactly_the_documents_that_use_it(tmp_path):
    """Run on a copy of the project, so the change touches no real template."""
    project = tmp_path / "project"
    for name in ("pipeline", "schemas", "templates_en", "templates_es", "records"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    batch = BatchCopy(tmp_path / "batch")
    approve_donations(batch)
    env = {**os.environ, "PYTHONPATH": str(project)}
    command = [sys.executable, "-m", "pipeline", "build", str(batch.folder), "--out", str(tmp_path / "out"),
               "--as-of", "2026-12-09", "-j", "2"]
    subprocess.run(command, check=True, capture_output=True, cwd=project, env=env)
    before = manifest(tmp_path / "out")
    notice = project / "templates_en" / "donation" / "notice.html"
    notice.write_text(notice.read_text(encoding="utf-8").replace("The equipment is donated as is.",
                                                                  "The equipment is donated as is, where is."),
                      encoding="utf-8")
    rebuilt = subprocess.run(command, check=True, capture_output=True, text=True, cwd=project, env=env)
    after = manifest(tmp_path / "out")
    old = {f["path"]: f for f in before["files"]}
    changed = sorted(f["path"] for f in after["files"] if f["inputs"] != old[f["path"]]["inputs"])
    uses_notice = sorted(f["path"] for f in after["files"] if f["template"] == "templates_en/donation/notice.html")
    assert changed == uses_notice and len(uses_notice) == 8, changed  # five for this meeting's, three for the school bus
    assert "8 documents rendered" in rebuilt.stdout


def test_build_cli_force_and_quiet(example, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["build", str(example.folder), "--out", "out", "--as-of", "2026-12-09", "-j", "2"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(cli, args + ["--quiet"])
    assert "0 documents rendered" in again.output  # the bar itself: tests/test_promises.py, on a terminal
    forced = CliRunner().invoke(cli, args + ["--force"])
    rendered = int(forced.output.split(" documents rendered")[0].rsplit(" ", 1)[1])
    assert rendered > 20 and "0 unchanged" in forced.output


def test_the_output_is_readable_by_colleagues_like_any_saved_document(example, tmp_path):
    out = tmp_path / "out"
    old_umask = os.umask(0o077)  # a strict umask does not make the shared output private either
    try:
        build(example.folder, out, as_of=AFTER_MEETING, jobs=1)
    finally:
        os.umask(old_umask)
    folders = [p for p in (out / "example").resolve().rglob("*") if p.is_dir()] + [(out / "example").resolve()]
    files = [p for p in (out / "example").resolve().rglob("*") if p.is_file()]
    assert folders and files
    assert {oct(p.stat().st_mode & 0o777) for p in folders} == {oct(0o755)}
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(0o644)}


# --- the edit loop: what a run works out again after one record changed (pipeline/run_cache.py) ---------------

def missed(result, table: str) -> int:
    return result.work[table, "miss"]


def test_a_rebuild_works_out_again_only_what_depends_on_the_changed_record(example, tmp_path):
    out = tmp_path / "out"
    first = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    files = len(first.report.records) + 2  # every record file, city.yaml and batch.yaml
    assert missed(first, "parsed") == files and len(first.contexts_built) == len(first.rendered)

    again = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert again.rendered == [] and again.contexts_built == []
    assert (again.work["parsed", "hit"], again.work["shape", "hit"]) == (files, files)
    assert [table for (table, outcome), n in again.work.items() if outcome == "miss" and n] == []

    example.replace("partnerships/laredo-saltillo.yaml", "One forum a year with at least forty companies",
                    "One forum a year with at least fifty companies")
    before = {f["path"]: f["sha256"] for f in packet_sources(manifest(out)["files"])}
    changed = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert (missed(changed, "parsed"), missed(changed, "shape")) == (1, 1)  # that file alone is read and checked again
    # The packet is written again: each document whose bytes did not change is copied from the
    # previous packet as the bytes it was there; only those whose bytes changed are read and parsed.
    after = {f["path"]: f["sha256"] for f in packet_sources(manifest(out)["files"])}
    new_bytes = [path for path, sha in after.items() if before.get(path) != sha]
    assert new_bytes and all(path.startswith(SAL) for path in new_bytes)
    parts = len(packet_parts(out))
    assert (first.work["placement", "hit"], missed(first, "placement")) == (0, parts)
    assert (missed(changed, "placement"), changed.work["placement", "hit"]) == (len(new_bytes), parts - len(new_bytes))
    assert changed.work["segment", "hit"] + missed(changed, "segment") == 0  # too few to read the kept segments for
    # Its rows in the packet's index read as they did (the change is inside the agreement): no index page is laid out again.
    assert (missed(changed, "front"), changed.work["front", "hit"]) == (0, first.work["front", "miss"])
    assert changed.work["front segment", "hit"] == first.work["front segment", "miss"] > 0
    assert changed.rendered and all(doc.startswith("laredo-saltillo/") for doc in changed.rendered)
    saltillo = {doc for doc in first.rendered if doc.startswith("laredo-saltillo/")}
    # Contexts are built again for that record's documents alone: a donation's place in line (its
    # agenda item and availability requests read it) did not change with Saltillo's words.
    assert set(changed.contexts_built) == saltillo

    full = build(example.folder, tmp_path / "full", as_of=AFTER_MEETING, jobs=2, force=True)
    assert full.contexts_built and hashes(out) == hashes(tmp_path / "full")  # the packet too, byte for byte


def test_a_donations_documents_that_show_its_place_in_line_are_made_again_when_the_place_changes(example, tmp_path):
    """A donation's place in line depends on every partnership (the first active one where the
    recipient is): its documents that show it are kept while the answer is the same, whatever
    other record changed, and made again when it changes."""
    example.replace("donations/don-2026-nld-public-works.yaml", "municipality: Nuevo Laredo", "municipality: Monterrey")
    example.replace("donations/don-2026-nld-public-works.yaml", "state: MX-TAM", "state: MX-NLE")
    example.replace("donations/don-2026-nld-public-works.yaml", "  partnership: dos-laredos\n", "")  # its place decides
    out = tmp_path / "out"
    build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    ranked = "don-2026-nld-public-works/agenda_item"  # its priority paragraph gives the place in line
    item = next(f for f in manifest(out)["files"] if f["document_id"].startswith(ranked) and f["format"] == "pdf")
    assert "second of three tiers" in " ".join(p.extract_text() for p in PdfReader(out / "example" / item["path"]).pages)
    example.replace("partnerships/dos-laredos.yaml", "name: Nuevo Laredo", "name: Nuevo Laredo, Tamaulipas")
    moved_elsewhere = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)  # no donation's place changes
    assert moved_elsewhere.contexts_built and not [doc for doc in moved_elsewhere.contexts_built if doc.startswith("don-")]
    example.replace("partnerships/laredo-monterrey.yaml", "name: Monterrey", "name: Monterrey, Nuevo León")
    moved = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)  # the recipient's place has no sister city now
    donations = [doc for doc in moved.contexts_built if doc.startswith("don-")]
    assert donations and all(doc.startswith(ranked) for doc in donations)
    assert [doc for doc in moved.rendered if doc.startswith("don-")] == donations
    text = " ".join(p.extract_text() for p in PdfReader(out / "example" / item["path"]).pages)
    assert "third of three tiers" in text and "second of three tiers" not in text
    build(example.folder, tmp_path / "full", as_of=AFTER_MEETING, jobs=2, force=True)
    assert hashes(out) == hashes(tmp_path / "full")


def test_check_finds_the_same_with_the_cache_as_without(example, tmp_path):
    """Findings kept from an earlier run are the findings a fresh run makes, in the same order."""
    import datetime as dt

    from pipeline import run_cache
    from pipeline.records import load_batch
    from pipeline.validate import validate

    example.replace("donations/don-2026-nld-public-works.yaml", "vin: 1FVACXDT6EHFZ1234", "vin: 1FVACXDT6EHFZ123")
    example.replace("donations/don-2026-nld-public-works.yaml", "requested_on: 2026-10-14", "requested_on: 03/04/20261")
    example.replace("partnerships/laredo-saltillo.yaml", "status: proposed", "status: propossed")
    fresh = validate(load_batch(example.folder), as_of=dt.date(2026, 12, 9)).as_data()
    path = tmp_path / ".example.cache"
    for _ in range(2):
        with run_cache.using(path) as cache:
            kept = validate(load_batch(example.folder), as_of=dt.date(2026, 12, 9)).as_data()
        assert kept == fresh
    assert cache.stats["shape", "miss"] == 0 and cache.stats["shape", "hit"] > 5


def test_a_damaged_or_planted_cache_only_makes_the_run_slower(example, tmp_path):
    import pickle

    from pipeline import run_cache

    out = tmp_path / "out"
    first = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    cache = run_cache.cache_path(out, "example")
    assert cache.is_file() and not list(out.glob(".*cache*"))  # the user's, not the output's
    assert cache.stat().st_mode & 0o077 == 0 and cache.parent.stat().st_mode & 0o077 == 0
    before = hashes(out)
    files = len(first.report.records) + 2
    cache.write_bytes(b"\x80\x05not a pickle at all")
    assert build(example.folder, out, as_of=AFTER_MEETING, jobs=2).rendered == []
    planted = tmp_path / "planted"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {planted}",))

    cache.write_bytes(pickle.dumps({"format": 1, "code": run_cache.code_digest(), "tables": {"parsed": Exploit()}}))
    result = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert not planted.exists() and result.rendered == [] and hashes(out) == before
    assert missed(result, "parsed") == files  # nothing was taken from it

    # Entries of shapes this program never writes are misses, not crashes or wrong findings.
    kept = run_cache._load(cache)
    forged = {table: {key: "xx" for key in rows} for table, rows in kept.items()}
    forged["shape"] = {key: (("no.such_rule", (), "m", "f"),) for key in kept["shape"]}
    cache.write_bytes(pickle.dumps({"format": 1, "code": run_cache.code_digest(), "tables": forged}))
    result = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert result.rendered == [] and hashes(out) == before
    assert [table for (table, outcome), n in result.work.items()  # a hit there is an entry made in this run
            if outcome == "hit" and n and table not in ("references", "revision", "snapshot", "kept revision")] == []
    assert result.report.as_data() == first.report.as_data()


def test_force_starts_afresh_and_a_check_keeps_what_the_build_kept(example, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    forced = build(example.folder, out, as_of=AFTER_MEETING, jobs=2, force=True)
    assert forced.contexts_built and [table for (table, outcome), n in forced.work.items()
                                      if outcome == "hit" and n and table not in ("references", "revision", "snapshot", "kept revision")] == []
    monkeypatch.chdir(example.records.parent)  # the working folder: check's cache is for its out/
    checked = CliRunner().invoke(cli, ["check", "example", "--as-of", "2026-12-09"], catch_exceptions=False)
    assert checked.exit_code in (0, 1), checked.output
    again = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert again.rendered == [] and again.work["unchanged build", "hit"] == 1  # the check left the build's entries alone
    example.replace(SALTILLO_FILE, "id: laredo-saltillo", "id: laredo-saltillo  # renamed?")  # no word changes
    again = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert again.rendered == [] and again.work["inputs", "hit"] > len(forced.rendered) / 2  # the other records' entries
    assert all(doc.startswith(("laredo-saltillo/", "don-")) for doc in again.contexts_built)


def companion(out: Path, name: str) -> Path:
    from pipeline import run_cache

    cache = run_cache.cache_path(out, "example")
    return cache.with_name(f"{cache.name}.{name}")


def test_forged_packet_placements_and_segments_are_misses_and_the_packet_stays_the_same(example, tmp_path, monkeypatch):
    """The packet's kept placements and segments (files of their own beside the cache) of shapes
    this program never writes, for another packet, or recorded for another stamp font: each
    document is joined again from its source."""
    import pickle

    from pipeline import assemble, run_cache

    monkeypatch.setattr(assemble, "PARSED_RATHER_THAN_KEPT", 0)  # the example's few documents keep their segments too
    out = tmp_path / "out"
    first = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    documents = len(packet_parts(out))
    kept = run_cache._load(companion(out, "segments"))["segment"]
    assert len(kept) == first.work["segment", "miss"] == documents > 5
    assert companion(out, "segments").stat().st_mode & 0o077 == 0 and companion(out, "packet").stat().st_mode & 0o077 == 0
    forged = {}
    for n, (key, (size, pages, writes, overlays, fonts)) in enumerate(sorted(kept.items())):
        if n % 2:  # bytes beyond the source's end, an object of the packet a segment may not name
            writes = tuple((number, (b"forged", (0, 1 << 40), "catalog")) for number, _ in writes)
        else:  # well formed, for a stamp font the packet does not embed
            fonts = ("/Other",)
        forged[key] = (size, pages, writes, overlays, fonts)
    companion(out, "segments").write_bytes(
        pickle.dumps({"format": 1, "code": run_cache.code_digest(), "tables": {"segment": forged}}))
    tables = run_cache._load(companion(out, "packet"))
    placements = tables["placement"]
    assert len(placements) == documents
    for n, (key, (sha, page, (base, start, length, offsets, pages, stamped))) in enumerate(sorted(placements.items())):
        placements[key] = [(sha, page, (base, start + 1, length, offsets, pages, stamped)),  # bytes from elsewhere in the file
                           ("0" * 64, page, (base, start, length, offsets, pages, stamped)),  # another packet's
                           (sha, page, (base, start, 8, offsets, pages, stamped)),  # objects beyond its bytes
                           ][n % 3]
    companion(out, "packet").write_bytes(pickle.dumps({"format": 1, "code": run_cache.code_digest(), "tables": tables}))
    example.replace("partnerships/laredo-saltillo.yaml", "One forum a year with at least forty companies",
                    "One forum a year with at least fifty companies")
    result = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert (result.work["placement", "hit"], result.work["placement", "miss"]) == (0, documents)
    assert result.work["segment", "hit"] == 0 and result.work["segment", "miss"] == len(kept)
    build(example.folder, tmp_path / "full", as_of=AFTER_MEETING, jobs=2, force=True)
    assert hashes(out) == hashes(tmp_path / "full")


def test_a_document_with_a_page_more_moves_every_one_after_it_and_the_packet_is_a_full_builds(example, tmp_path,
                                                                                               monkeypatch):
    """Saltillo's agreement, item 10.2, grows a page: the documents before it are copied from the
    previous packet, those after it (other page numbers, other objects) joined from their kept
    segments, and the packet is the one a full build makes."""
    from pipeline import assemble, run_cache

    monkeypatch.setattr(assemble, "PARSED_RATHER_THAN_KEPT", 0)  # kept segments for the example's few documents
    out = tmp_path / "out"
    build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    pages = sum(f["pages"] for f in packet_sources(manifest(out)["files"]))
    more = "".join(f"\n      - en: Trade mission {n} with at least ten companies from each city"
                   f"\n        es: Misión comercial {n} con al menos diez empresas de cada ciudad" for n in range(1, 40))
    example.replace(SALTILLO_FILE, "Un foro al año con al menos cuarenta empresas",
                    "Un foro al año con al menos cuarenta empresas" + more)
    changed = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert not changed.report.errors, [f.text() for f in changed.report.errors]
    assert sum(f["pages"] for f in packet_sources(manifest(out)["files"])) > pages, "the change adds no page"
    items = list(packet_items(out).values())
    earlier, saltillo, later = len(items[0]), len(items[1]), sum(len(parts) for parts in items[2:])  # 10.1, 10.2, the rest
    assert earlier and saltillo and later
    assert (changed.work["placement", "hit"], changed.work["placement", "miss"]) == (earlier, saltillo + later)
    # Those after it are joined from the segments the first build kept, though no build read them since.
    assert later <= changed.work["segment", "hit"] and changed.work["segment", "miss"] <= saltillo
    assert changed.work["segment", "hit"] + changed.work["segment", "miss"] == saltillo + later
    # The segments of the documents copied are kept for a build that moves them, though this one did not read them.
    assert len(run_cache._load(companion(out, "segments"))["segment"]) == earlier + saltillo + later
    build(example.folder, tmp_path / "full", as_of=AFTER_MEETING, jobs=2, force=True)
    assert hashes(out) == hashes(tmp_path / "full")


def test_a_packet_edited_in_out_is_never_copied_from(example, tmp_path):
    """The previous packet changed on disk after the build wrote it (a file saved again over it):
    its bytes are not what the kept placements describe, so every document is joined again."""
    out = tmp_path / "out"
    build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    packet = out / "example" / "council-packet.pdf"
    data = bytearray(packet.read_bytes())
    data[len(data) // 2] ^= 1  # one bit, at the same size: only the file's identity tells
    packet.unlink()  # a new inode, as an editor's save makes
    packet.write_bytes(bytes(data))
    example.replace(SALTILLO_FILE, "One forum a year with at least forty companies",
                    "One forum a year with at least fifty companies")
    changed = build(example.folder, out, as_of=AFTER_MEETING, jobs=2)
    documents = len(packet_parts(out))
    assert (changed.work["placement", "hit"], changed.work["placement", "miss"]) == (0, documents)
    build(example.folder, tmp_path / "full", as_of=AFTER_MEETING, jobs=2, force=True)
    assert hashes(out) == hashes(tmp_path / "full")


def test_damaged_summary_pages_are_laid_out_afresh_once_and_replaced(example, tmp_path, monkeypatch):
    """Kept summary pages of the right shape whose bytes pypdf cannot read: the build lays the
    report out afresh, keeps what it laid out in their place, and the next build is whole again."""
    import pickle

    from pipeline import compliance, run_cache

    monkeypatch.setattr(compliance, "PART_RECORDS", 2)
    out = tmp_path / "out"
    first = build(example.folder, out, as_of=AFTER_MEETING, jobs=2, keep_going=True)
    assert first.work["summary page", "miss"] >= 1
    report = run_cache.cache_path(out, "example").with_name(run_cache.cache_path(out, "example").name + ".report")
    tables = run_cache._load(report)
    tables["summary page"] = {key: (rows, closed, b"%PDF-damaged") for key, (rows, closed, _) in tables["summary page"].items()}
    report.write_bytes(pickle.dumps({"format": 1, "code": run_cache.code_digest(), "tables": tables}))
    (out / "example" / "compliance-report.pdf").unlink()  # made again, from the same pages
    damaged = build(example.folder, out, as_of=AFTER_MEETING, jobs=2, keep_going=True)
    assert damaged.work["summary page", "hit"] >= 1  # taken, then refused by pypdf: all laid out again
    build(example.folder, tmp_path / "full", as_of=AFTER_MEETING, jobs=2, keep_going=True, force=True)
    assert hashes(out)["compliance-report.pdf"] == hashes(tmp_path / "full")["compliance-report.pdf"]
    (out / "example" / "compliance-report.pdf").unlink()
    healed = build(example.folder, out, as_of=AFTER_MEETING, jobs=2, keep_going=True)
    assert healed.work["summary page", "miss"] == 0 and healed.work["report part", "miss"] == 0  # no second fallback
    assert all(value[2] != b"%PDF-damaged" for value in run_cache._load(report)["summary page"].values())


def test_a_new_day_lays_out_no_part_of_the_report_whose_words_did_not_change(example, tmp_path, monkeypatch):
    """The date the report is as of is stamped on each page as the parts are joined: a build on
    the next day lays out only the parts whose words changed (the summary's deadlines count the
    days), not every part because each page's footer carried the date."""
    import datetime as dt

    from pipeline import compliance

    monkeypatch.setattr(compliance, "PART_RECORDS", 2)
    out, next_day = tmp_path / "out", AFTER_MEETING + dt.timedelta(days=1)
    first = build(example.folder, out, as_of=AFTER_MEETING, jobs=2, keep_going=True)
    later = build(example.folder, out, as_of=next_day, jobs=2, keep_going=True)
    assert first.work["report part", "miss"] >= 3 and later.work["report part", "miss"] == 0, later.work
    assert later.work["report part", "hit"] == first.work["report part", "miss"]
    assert later.work["summary page", "hit"] >= 1
    pages = PdfReader(out / "example" / "compliance-report.pdf").pages
    assert [f"compliance-report.en · as of {next_day.isoformat()}" in page.extract_text() for page in pages] == [True] * len(pages)
    assert not any(AFTER_MEETING.isoformat() in page.extract_text().splitlines()[-1] for page in pages)
    build(example.folder, tmp_path / "full", as_of=next_day, jobs=2, keep_going=True, force=True)
    assert hashes(out)["compliance-report.pdf"] == hashes(tmp_path / "full")["compliance-report.pdf"]


def test_the_report_lays_out_again_only_its_parts_whose_records_changed(example, tmp_path, monkeypatch):
    """The compliance report's PDF is laid out in parts (its summary a page at a time, its details
    PART_RECORDS records a part), each kept under its HTML; "Page 3 of 9" is stamped on when they
    are joined, so the other parts stay the same."""
    from pipeline import compliance

    monkeypatch.setattr(compliance, "PART_RECORDS", 2)
    out = tmp_path / "out"
    first = build(example.folder, out, as_of=AFTER_MEETING, jobs=2, keep_going=True)
    parts = first.work["report part", "miss"]
    assert parts >= 3 and first.work["report part", "hit"] == 0
    example.replace("partnerships/laredo-saltillo.yaml", "status: proposed", "status: propossed")  # one error more
    changed = build(example.folder, out, as_of=AFTER_MEETING, jobs=2, keep_going=True)
    # Saltillo's part of details; of the summary, laid out a page at a time, the pages with the error count and Saltillo's row.
    assert "compliance-report.pdf" in {f["path"] for f in manifest(out)["files"]}
    assert changed.work["report part", "miss"] == 1 and changed.work["report part", "hit"] == parts - 1
    assert first.work["summary page", "miss"] >= 1 and first.work["summary page", "hit"] == 0
    assert 1 <= changed.work["summary page", "miss"] <= 3, changed.work
    # Joined from kept segments but for the parts laid out again (a page may be tried with more rows than it shows).
    joined = first.work["report segment", "miss"]
    assert first.work["report segment", "hit"] == 0 and joined > parts
    assert 2 <= changed.work["report segment", "miss"] <= changed.work["summary page", "miss"] + 1
    assert changed.work["report segment", "hit"] == joined - changed.work["report segment", "miss"]
    build(example.folder, tmp_path / "full", as_of=AFTER_MEETING, jobs=2, keep_going=True, force=True)
    assert hashes(out)["compliance-report.pdf"] == hashes(tmp_path / "full")["compliance-report.pdf"]
    text = " ".join(page.extract_text() for page in PdfReader(out / "example" / "compliance-report.pdf").pages)
    total = len(PdfReader(out / "example" / "compliance-report.pdf").pages)
    assert [f"Page {n} of {total}" in text for n in range(1, total + 1)] == [True] * total
