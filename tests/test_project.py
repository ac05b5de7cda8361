"""A real package and a city's own folder: installed from the wheel, used from anywhere, templates overridden."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from click.testing import CliRunner

from pipeline.build import build
from pipeline.cli import cli
from pipeline.project import Project, default_template_dir, find_project, init_project
from tests.conftest import AFTER_MEETING, ROOT, BatchCopy, approve_donations, pdf_text

AS_OF = AFTER_MEETING.isoformat()


def run(*args, **kwargs):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)


def manifest(out: Path) -> dict:
    return json.loads((out / "example" / "manifest.json").read_text(encoding="utf-8"))


# --- the wheel -------------------------------------------------------------------------------

def test_the_wheel_installs_in_a_fresh_venv_and_works_from_a_folder_outside_the_project(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = wheels.glob("sisterdocs-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in (ROOT / "schemas", ROOT / "templates_en", ROOT / "templates_es"):
        for source in folder.iterdir():
            if source.suffix in (".yaml", ".html", ".docx"):
                assert f"pipeline/_data/{folder.name}/{source.name}" in names, source
    for source in (ROOT / "pipeline" / "assets").rglob("*"):
        if source.is_file():
            assert source.relative_to(ROOT).as_posix() in names, source
    assert "pipeline/_data/records/example/batch.yaml" in names and "pipeline/_data/records/city.yaml" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-c", str(ROOT / "constraints.txt"), str(wheel)],
                         capture_output=True, text=True)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    outside = tmp_path / "somewhere" / "else"
    outside.mkdir(parents=True)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    sisterdocs = str(venv / "bin" / "sisterdocs")

    def sd(*args, cwd):
        return subprocess.run([sisterdocs, *args], cwd=cwd, env=env, capture_output=True, text=True)

    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import pipeline, sys; print(pipeline.__file__)"],
                           cwd=outside, env=env, capture_output=True, text=True)
    assert str(venv) in where.stdout  # the installed copy, not this checkout
    created = sd("init", "laredo", cwd=outside)
    assert created.returncode == 0, created.stdout + created.stderr
    city = outside / "laredo"
    checked = sd("check", "example", "--as-of", AS_OF, cwd=city)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    built = sd("build", "example", "--as-of", AS_OF, "-j", "2", "--quiet", cwd=city / "records")  # from a subfolder
    assert built.returncode == 0, built.stdout + built.stderr
    out = city / "out" / "example"
    pdfs = sorted(out.rglob("*.pdf"))
    assert len(pdfs) > 10 and (out / "council-packet.pdf").is_file()
    assert "RESOLUTION" in pdf_text(out / "partnerships" / "laredo-saltillo" / "partnership_resolution.en.pdf").upper()
    assert not (ROOT / "out" / "example").exists() or not (ROOT / "out" / "example").samefile(out)


# --- the city's folder -----------------------------------------------------------------------

def test_init_scaffolds_a_working_folder_that_checks_clean_and_refuses_to_run_twice(tmp_path, monkeypatch):
    result = run("init", str(tmp_path / "city"))
    assert result.exit_code == 0, result.output
    city = tmp_path / "city"
    assert (city / "records" / "city.yaml").is_file() and (city / "records" / "example" / "batch.yaml").is_file()
    assert (city / "templates_en" / "README.txt").is_file() and (city / "templates_es" / "README.txt").is_file()
    assert str(default_template_dir("en")) in (city / "templates_en" / "README.txt").read_text(encoding="utf-8")
    again = CliRunner().invoke(cli, ["init", str(city)])
    assert again.exit_code == 2 and "already a city's working folder" in again.output
    monkeypatch.chdir(city / "records" / "example")
    assert run("check", "example", "--as-of", AS_OF).exit_code == 0


def test_commands_find_the_working_folder_like_git_finds_its_repository(tmp_path, monkeypatch):
    init_project(tmp_path / "city")
    deep = tmp_path / "city" / "records" / "example" / "partnerships"
    assert find_project(deep) == (tmp_path / "city").resolve()
    assert find_project(tmp_path) is None
    monkeypatch.chdir(tmp_path)
    assert run("--project", str(tmp_path / "city"), "check", "example", "--as-of", AS_OF).exit_code == 0
    missing = CliRunner().invoke(cli, ["check", "example"])
    assert missing.exit_code == 2 and "sisterdocs init" in missing.output
    wrong = CliRunner().invoke(cli, ["--project", str(tmp_path), "check", "example"])
    assert wrong.exit_code == 2 and "not a city's working folder" in wrong.output
    assert Project.locate(cwd=deep).out == (tmp_path / "city").resolve() / "out"


def test_a_template_override_in_the_city_folder_changes_exactly_the_documents_that_use_it(tmp_path):
    init_project(tmp_path / "city")
    city = tmp_path / "city"
    batch = city / "records" / "example"
    approve_donations(BatchCopy.existing(city / "records"))  # the notices need council approval
    out = tmp_path / "out"
    first = build(batch, out, as_of=AFTER_MEETING, jobs=2, overrides=city)
    assert first.plan.documents and not first.report.errors
    before = {f["path"]: f for f in manifest(out)["files"]}
    packaged = default_template_dir("en") / "donation" / "notice.html"
    own = city / "templates_en" / "donation" / "notice.html"
    own.write_text(packaged.read_text(encoding="utf-8").replace(
        "The equipment is donated as is.", "The equipment is donated as is, where is, per City Attorney memo 7."),
        encoding="utf-8")
    again = build(batch, out, as_of=AFTER_MEETING, jobs=2, overrides=city)
    notices = sorted(d.doc_id for d in again.plan.documents if d.document == "notice")
    assert notices and sorted(again.rendered) == notices  # every notice, and nothing else
    after = {f["path"]: f for f in manifest(out)["files"]}
    changed = {path for path in after if after[path]["sha256"] != before.get(path, {}).get("sha256")}
    assert changed and all("/notice" in path or path.startswith(("council-packet", "compliance-report"))
                           for path in changed), changed
    notice_pdf = next(out / "example" / p for p in after if "/notice" in p and p.endswith(".pdf"))
    assert "per City Attorney memo 7" in " ".join(pdf_text(notice_pdf).split())
    assert packaged.read_text(encoding="utf-8").count("per City Attorney memo 7") == 0  # the package is untouched
    # The same batch built without the city's folder uses the packaged template again.
    plain = build(batch, tmp_path / "plain", as_of=AFTER_MEETING, jobs=2)
    assert "per City Attorney memo 7" not in " ".join(pdf_text(tmp_path / "plain" / "example" /
                                                              notice_pdf.relative_to(out / "example")).split())
    assert plain.rendered


def test_a_docx_shell_override_reaches_the_docx_and_its_input_hash(tmp_path):
    init_project(tmp_path / "city")
    city = tmp_path / "city"
    batch = city / "records" / "example"
    out = tmp_path / "out"
    build(batch, out, as_of=AFTER_MEETING, jobs=1, overrides=city)
    before = {f["path"]: f["inputs"] for f in manifest(out)["files"]}
    import docx

    shell = docx.Document(default_template_dir("es") / "partnership" / "introduction_letter.docx")
    shell.sections[0].header.paragraphs[0].add_run(" · Oficina de Asuntos Internacionales")
    shell.save(city / "templates_es" / "partnership" / "introduction_letter.docx")
    again = build(batch, out, as_of=AFTER_MEETING, jobs=1, overrides=city)
    after = {f["path"]: f["inputs"] for f in manifest(out)["files"]}
    moved = {path for path in after if after[path] != before.get(path)}
    assert moved and all("introduction_letter.es" in p or p.startswith(("council-packet", "compliance-report"))
                         for p in moved), moved
    assert {d for d in again.rendered} == {d.doc_id for d in again.plan.documents
                                          if d.document == "introduction_letter" and d.lang == "es"}
    letter = next(out / "example" / p for p in after if p.endswith("introduction_letter.es.docx"))
    header = " ".join(p.text for p in docx.Document(letter).sections[0].header.paragraphs)
    assert "Oficina de Asuntos Internacionales" in header


def test_every_option_of_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = []
    for name, command in [("sisterdocs", cli), *cli.commands.items()]:
        for param in command.params:
            for flag in [*param.opts, *param.secondary_opts]:
                documented = re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", readme)
                if flag.startswith("-") and flag not in ("-h", "--help") and not documented:
                    missing.append(f"{name} {flag}")
        if name != "sisterdocs" and not re.search(rf"sisterdocs (\[--project DIR\] )?{name}\b", readme):
            missing.append(f"sisterdocs {name}")
    assert not missing, missing


def test_build_says_what_the_check_found_before_rendering_starts(tmp_path):
    batch = BatchCopy(tmp_path / "city")
    events = []
    build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, jobs=1,
          checked=lambda report: events.append(("checked", len(report.warnings))),
          progress=lambda done, total: events.append(("rendered", done)))
    assert events[0] == ("checked", 1) and events[1] == ("rendered", 1), events[:3]
    result = CliRunner().invoke(cli, ["build", str(batch.folder), "--out", str(tmp_path / "out"), "--as-of", AS_OF,
                                      "-j", "1"])
    lines = result.output.splitlines()
    finding = next(i for i, line in enumerate(lines) if "[vehicle.permit]" in line)
    summary = next(i for i, line in enumerate(lines) if " files (" in line)
    assert finding < summary and sum("[vehicle.permit]" in line for line in lines) == 1  # said once, first


def test_every_package_an_install_brings_is_pinned_in_the_constraints_file():
    """A new upstream release of anything the README's commands install changes nothing until the
    pins are upgraded on purpose: every distribution in sisterdocs[test]'s tree has its ==pin."""
    from importlib import metadata

    from packaging.requirements import Requirement

    def name(text: str) -> str:
        return re.sub(r"[-_.]+", "-", text).lower()

    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            pins[name(requirement.name)] = str(requirement.specifier)
    assert all(spec.startswith("==") for spec in pins.values()), pins
    seen, pending = set(), [("sisterdocs", {"test"})]
    while pending:
        dist, extras = pending.pop()
        for text in metadata.requires(dist) or []:
            requirement = Requirement(text)
            wanted = requirement.marker is None or any(
                requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""}))
            if wanted and name(requirement.name) not in seen:
                seen.add(name(requirement.name))
                pending.append((requirement.name, set(requirement.extras)))
    assert seen and not (seen - set(pins)), f"installed but not pinned: {sorted(seen - set(pins))}"
