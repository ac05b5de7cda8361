"""Legal review bound to a revision of the text, redlines, and hand edits kept (issue 14).

An approval names the revision it approved; a change to the record, the city profile or a
template that changes a word of the agreement sends it back to DRAFT with a finding naming both
revisions and what changed, and the build shows the legal office a redline. A DOCX edited by
hand in out/ is kept aside and reported, never silently rendered over.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import pytest
from click.testing import CliRunner
from docx import Document

from pipeline import review
from pipeline.build import build
from pipeline.cli import cli
from pipeline.records import load_batch
from pipeline.validate import validate
from tests.conftest import AFTER_MEETING, BatchCopy
from tests.test_build import pdf_text

SALTILLO = "partnerships/laredo-saltillo.yaml"
SAL = "partnerships/laredo-saltillo/"
CLAUSE = "Create student and faculty exchanges between the universities of both cities."
CHANGED = "Create student, faculty and staff exchanges between the public universities of both cities."
CONTACT = "volunteer: {name: Rosa M. Salinas,"  # printed in the agreement (Article 3), not in the council's resolution
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def approved(tmp_path) -> tuple[BatchCopy, str]:
    """laredo-saltillo with the council's adoption and the legal office's approval of its text as it stands."""
    batch = BatchCopy(tmp_path)
    batch.replace(SALTILLO, "status: proposed", "status: council_approved")
    batch.replace(SALTILLO, "legal_review:\n  status: pending\n",
                  "legal_review:\n  status: approved\n  reviewer: Marisa L. Benavides\n  date: 2026-12-01\n")
    return batch, batch.approve_text(SALTILLO)


def findings(batch, rule: str, overrides=None) -> list:
    report = validate(load_batch(batch.folder), as_of=AFTER_MEETING, overrides=overrides)
    return [f for f in report.findings if f.rule == rule and f.record == "laredo-saltillo"]


@pytest.mark.slow
def test_an_approved_text_changed_before_the_council_acts_needs_a_new_approval(tmp_path):
    batch, revision = approved(tmp_path)
    batch.replace(SALTILLO, "status: council_approved", "status: proposed")  # on this meeting's agenda, not yet adopted
    out = tmp_path / "out"
    first = build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    folder = out / "example"
    assert f"laredo-saltillo/agreement.en · rev. {revision}" in pdf_text(folder / (SAL + "agreement.en.pdf"))
    assert review.store_path(batch.folder, "laredo-saltillo", revision).is_file()  # kept for later redlines
    assert not [f for f in first.report.findings if f.rule.startswith("legal_review")]

    batch.replace(SALTILLO, CONTACT, "volunteer: {name: Rosa María Salinas Treviño,")
    (stale,) = findings(batch, "legal_review.stale")
    loaded = load_batch(batch.folder)
    now = review.snapshot(loaded, next(r for r in loaded.records if r.id == "laredo-saltillo")).revision
    assert now != revision
    assert (stale.field, stale.severity) == ("legal_review.revision", "warning")
    assert f"approved rev. {revision} of the agreement on 2026-12-01; the text is now rev. {now}" in stale.message
    assert "(changed: fields contacts.city.volunteer.name)" in stale.message
    assert f"--from {revision}" in stale.fix and f"'revision: {now}'" in stale.fix

    second = build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert not second.report.errors
    assert f"laredo-saltillo/agreement.en · rev. {now}" in pdf_text(folder / (SAL + "agreement.en.pdf"))
    assert any(h.record_id == "laredo-saltillo" and f"approval of rev. {revision}" in h.reason
               for h in second.plan.held_back)
    deadlines = json.loads((folder / "compliance-report.json").read_text(encoding="utf-8"))["deadlines"]
    assert [d["kind"] for d in deadlines if d["record"] == "laredo-saltillo"].count("legal_review") == 1

    # the build's redline: the changed words as tracked changes, in both languages
    for lang in ("en", "es"):
        ((accepted, rejected),) = accepted_and_rejected(folder / (SAL + f"agreement_redline.{lang}.docx"))
        assert "Rosa María Salinas Treviño" in accepted and "Rosa M. Salinas" in rejected
        assert accepted.replace("Rosa María Salinas Treviño", "Rosa M. Salinas") == rejected
        inserted, deleted = tracked(folder / (SAL + f"agreement_redline.{lang}.docx"))
        assert len(" ".join(inserted).split()) <= 3 and len(" ".join(deleted).split()) <= 1  # the words, not the paragraph
    assert "Treviño" in pdf_text(folder / (SAL + "agreement_redline.en.pdf"))
    manifest = {f["path"]: f for f in json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"]}
    assert manifest[SAL + "agreement_redline.en.docx"]["revision"] == now

    # approving the new text ends it: no redline, no finding
    batch.replace(SALTILLO, f"revision: {revision}", f"revision: {now}")
    third = build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert not [f for f in third.report.findings if f.rule.startswith("legal_review")]
    assert not (folder / (SAL + "agreement_redline.en.docx")).exists()


@pytest.mark.slow
def test_once_adopted_the_agreement_changes_only_by_amendment(tmp_path):
    """The council adopts the resolution with the agreement as its exhibit: after that, a change to the
    agreement's words is a change to the adopted act, refused, and the approval no longer covers it."""
    batch, revision = approved(tmp_path)
    out = tmp_path / "out"
    build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    folder = out / "example"
    assert "DRAFT" not in pdf_text(folder / (SAL + "agreement.en.pdf"))
    assert (folder / "archival" / SAL / "agreement.en.pdf").is_file()
    before = (folder / "manifest.json").read_bytes()
    batch.replace(SALTILLO, CONTACT, "volunteer: {name: Rosa María Salinas Treviño,")
    report = validate(load_batch(batch.folder), as_of=AFTER_MEETING)
    rules = {f.rule for f in report.findings if f.record == "laredo-saltillo"}
    assert {"legal_review.stale", "resolution.adopted_text"} <= rules  # (and resolution.vote: no vote recorded here)
    refused = build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert refused.written == [] and (folder / "manifest.json").read_bytes() == before


@pytest.mark.slow
def test_a_signed_agreement_changed_comes_out_as_a_draft_beside_its_redline(tmp_path):
    batch = BatchCopy(tmp_path, revisions=True)  # laredo-monterrey: approved in 2024 (rev. kept), signed, in force
    out = tmp_path / "out"
    build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    folder, mty = out / "example", "partnerships/laredo-monterrey/"
    assert "DRAFT" not in pdf_text(folder / (mty + "agreement.en.pdf"))
    assert (folder / "archival" / mty / "agreement.en.pdf").is_file()
    batch.replace("partnerships/laredo-monterrey.yaml", "Exchange art exhibitions between",
                  "Exchange art and music exhibitions between")
    result = build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert "DRAFT — FOR LEGAL REVIEW" in pdf_text(folder / (mty + "agreement.en.pdf"))
    assert "BORRADOR" in pdf_text(folder / (mty + "agreement_bilingual.es.pdf"))
    assert not (folder / "archival" / mty / "agreement.en.pdf").exists()  # a draft is never archived
    ((accepted, rejected),) = accepted_and_rejected(folder / (mty + "agreement_redline.en.docx"))
    assert "art and music exhibitions" in accepted and "art exhibitions" in rejected
    assert accepted_and_rejected(folder / (mty + "agreement_redline.es.docx")) == []  # the Spanish text did not change
    assert "laredo-monterrey" in {h.record_id for h in result.plan.held_back if "a draft again" in h.reason}


def accepted_and_rejected(docx) -> list[tuple[str, str]]:
    """Each paragraph with tracked changes, read as Word would with all changes accepted, and rejected."""
    out = []
    for paragraph in Document(docx).element.body.iter(W + "p"):
        if not any(True for _ in paragraph.iter(W + "ins", W + "del")):
            continue
        accepted, rejected = [], []
        for node in paragraph.iter(W + "t", W + "delText"):
            inside_ins = any(a.tag == W + "ins" for a in node.iterancestors())
            if node.tag == W + "delText":
                rejected.append(node.text)
            else:
                accepted.append(node.text)
                if not inside_ins:
                    rejected.append(node.text)
        out.append(("".join(accepted), "".join(rejected)))
    return out


def tracked(docx) -> tuple[list[str], list[str]]:
    """The text of every insertion and deletion, in document order."""
    body = Document(docx).element.body
    inserted = ["".join(t.text for t in ins.iter(W + "t")) for ins in body.iter(W + "ins")]
    deleted = ["".join(t.text for t in d.iter(W + "delText")) for d in body.iter(W + "del")]
    return [t for t in inserted if t], [t for t in deleted if t]


def test_what_fills_a_blank_or_changes_no_word_keeps_the_approval(tmp_path):
    batch, revision = approved(tmp_path)
    # signed: the place and date of signing, the cabildo's session and the SRE's opinion fill blanks
    batch.replace(SALTILLO, "legal_review:\n", "signing:\n  date: 2026-12-10\n  place: {en: 'Laredo, Texas', es: 'Laredo, "
                  "Texas'}\ncabildo: {acta: '45/2026', date: 2026-11-28}\nsre: {dictamen: 'DGCJ-1234', date: 2026-12-02}\n"
                  "legal_review:\n")
    batch.replace(SALTILLO, "email: sistercities.volunteers@example.org", "email: volunteers@example.org")  # in no agreement
    assert findings(batch, "legal_review.stale") == [] and findings(batch, "legal_review.revision") == []


def test_a_changed_template_or_city_profile_is_named(tmp_path):
    batch, revision = approved(tmp_path)
    overrides = tmp_path / "city-templates"
    (overrides / "templates_es" / "partnership").mkdir(parents=True)
    source = review.__file__.replace("pipeline/review.py", "templates_es/partnership/_agreement_text.html")
    text = open(source, encoding="utf-8").read()
    assert "Las Partes" in text
    (overrides / "templates_es" / "partnership" / "_agreement_text.html").write_text(
        text.replace("Las Partes", "Ambas Partes"), encoding="utf-8")
    (stale,) = findings(batch, "legal_review.stale", overrides=overrides)
    assert "(changed: templates city templates_es/partnership/_agreement_text.html, templates_es/partnership/" \
           "_agreement_text.html)" in stale.message  # the city's copy in, the packaged one out

    batch.replace("city.yaml", "José A. Valdez", "José Valdez Ruiz")  # the clerk attests the signatures
    (stale,) = findings(batch, "legal_review.stale")
    assert "city.yaml: officials.clerk.name" in stale.message


def test_an_approval_without_a_revision_leaves_a_draft(tmp_path):
    batch, revision = approved(tmp_path)
    batch.replace(SALTILLO, f"  revision: {revision}\n", "")
    (finding,) = findings(batch, "legal_review.revision")
    assert f"add 'revision: {revision}' under legal_review" in finding.fix
    report = validate(load_batch(batch.folder), as_of=AFTER_MEETING)
    assert "laredo-saltillo" in report.unreviewed and not report.errors


@pytest.mark.slow
def test_redline_command_compares_two_revisions_and_refuses_one_never_kept(tmp_path, monkeypatch):
    batch, revision = approved(tmp_path)
    loaded = load_batch(batch.folder)
    review.keep(batch.folder, review.snapshot(loaded, next(r for r in loaded.records if r.id == "laredo-saltillo")))
    batch.replace(SALTILLO, CLAUSE, CHANGED)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["redline", str(batch.folder), "laredo-saltillo", "--out", "out", "--as-of", "2026-12-09"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "en        rev. " in result.output and "1 paragraph changed, 3 words inserted, 1 deleted" in result.output
    written = sorted((tmp_path / "out" / "example" / "redlines" / "laredo-saltillo").iterdir())
    assert [p.suffix for p in written] == [".docx", ".html", ".pdf", ".docx", ".html", ".pdf"]
    docx = written[0]
    assert accepted_and_rejected(docx) == [(CHANGED, CLAUSE)]
    with zipfile.ZipFile(docx) as parts:
        xml = parts.read("word/document.xml").decode("utf-8")
    assert 'w:author="sisterdocs"' in xml and 'w:date="2026-12-09T00:00:00Z"' in xml
    html = written[1].read_text(encoding="utf-8")
    assert "<ins> public</ins>" in html and "<del>" in html

    result = runner.invoke(cli, ["redline", str(batch.folder), "laredo-saltillo", "--from", "0000000000"])
    assert result.exit_code == 1 and "rev. 0000000000 is not kept under" in result.output
    assert revision in result.output.split("(kept: ")[1].split(";")[0].split(", ")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.slow
def test_the_redline_opens_in_libreoffice_with_its_changes(tmp_path):
    batch, revision = approved(tmp_path)
    loaded = load_batch(batch.folder)
    old = review.snapshot(loaded, next(r for r in loaded.records if r.id == "laredo-saltillo"))
    batch.replace(SALTILLO, CLAUSE, CHANGED)
    loaded = load_batch(batch.folder)
    new = review.snapshot(loaded, next(r for r in loaded.records if r.id == "laredo-saltillo"))
    from pipeline.redline import redlines

    files, _ = redlines(old, new, AFTER_MEETING, "redline", {"en": "Sister City Agreement", "es": "Acuerdo"}, pdf=False)
    (tmp_path / "redline.en.docx").write_bytes(files["redline.en.docx"])
    profile = tmp_path / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "redline.en.docx")], check=True, capture_output=True, timeout=180)
    text = " ".join(pdf_text(tmp_path / "redline.en.pdf").split())
    assert "staff exchanges between the public universities" in text  # the tracked insertions show


@pytest.mark.slow
def test_a_docx_edited_by_hand_survives_the_rebuild_and_is_reported(tmp_path):
    batch = BatchCopy(tmp_path)
    out = tmp_path / "out"
    build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    target = out / "example" / SAL / "agreement.en.docx"
    document = Document(target)
    paragraph = next(p for p in document.paragraphs if "Article 4." in p.text)
    paragraph.add_run(" (as amended by the City Attorney)")
    document.save(target)
    edited = target.read_bytes()

    result = build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    (edit,) = result.hand_edits
    kept = out / "example" / edit.kept_as
    assert kept.read_bytes() == edited  # the legal office's file, byte for byte
    assert edit.kept_as.startswith("edited/partnerships/laredo-saltillo/agreement.en.rev-")
    (warning,) = [w for w in result.warnings if "edited by hand" in w]
    paragraphs = [i for i, text in enumerate(_paragraphs(target), 1) if "Article 4." in text]
    assert f"paragraph {paragraphs[0]} differs" in warning and "kept as" in warning
    assert "as amended by the City Attorney" not in " ".join(_paragraphs(target))  # made again from the records
    manifest = json.loads((out / "example" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["hand_edits"][0]["paragraphs"] == paragraphs[:1]

    again = build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert again.hand_edits == [] and kept.read_bytes() == edited  # kept across later builds, reported once


def _paragraphs(docx) -> list[str]:
    from pipeline.hand_edits import docx_paragraphs

    return docx_paragraphs(docx.read_bytes())


# --- adopted acts and signed agreements are frozen ------------------------------------------------------

BUS_FILE = "donations/don-2026-nld-school-bus.yaml"
BUS_PURPOSE = "Transport and classroom equipment for the municipal after-school programme"


@pytest.mark.slow
def test_an_adopted_resolution_refuses_other_words_under_its_number(tmp_path):
    batch = BatchCopy(tmp_path)  # a batch never built: nothing is adopted under a number yet
    assert not (batch.folder / "revisions").exists()
    out = tmp_path / "out"
    build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    adopted = review.adoptions(batch.folder, "don-2026-nld-school-bus", "donation_resolution")
    assert list(adopted) == ["2026-R-097"]
    manifest = {f["path"]: f for f in json.loads((out / "example" / "manifest.json").read_text(encoding="utf-8"))["files"]}
    resolution = "donations/don-2026-nld-school-bus/donation_resolution.en.pdf"
    assert manifest[resolution]["revision"] == adopted["2026-R-097"]["revision"]  # the footer prints the text's revision
    archived = (out / "example" / "archival" / resolution).read_bytes()

    batch.replace(BUS_FILE, BUS_PURPOSE, "Transport and laboratory equipment for the municipal after-school programme")
    report = validate(load_batch(batch.folder), as_of=AFTER_MEETING)
    (frozen,) = [f for f in report.errors if f.rule == "resolution.adopted_text"]
    assert (frozen.record, frozen.field) == ("don-2026-nld-school-bus", "council.resolution_number")
    assert f"Resolution No. 2026-R-097 was adopted with the text of rev. {adopted['2026-R-097']['revision']}" in frozen.message
    assert "changed: fields purpose.description.en)" in frozen.message
    refused = build(batch.folder, out, as_of=AFTER_MEETING, jobs=2)
    assert refused.written == [] and (out / "example" / "archival" / resolution).read_bytes() == archived

    # the council amends it: the new words print under the amending resolution's own number
    batch.replace(BUS_FILE, "resolution_number: 2026-R-097", "resolution_number: 2026-R-131")
    assert not [f for f in batch.check(AFTER_MEETING).errors if f.rule == "resolution.adopted_text"]


def test_a_signed_agreement_whose_words_changed_is_not_passed_off_as_the_signed_one(tmp_path):
    batch = BatchCopy(tmp_path, revisions=True)  # the example's approval names a kept revision
    batch.replace("partnerships/laredo-monterrey.yaml", "Exchange art exhibitions between",
                  "Exchange art and music exhibitions between")
    report = validate(load_batch(batch.folder), as_of=AFTER_MEETING)
    (stale,) = [f for f in report.findings if f.rule == "legal_review.stale"]
    assert "the agreement was signed on 2024-06-20 with the text of rev. " in stale.message
    assert "changed: fields objectives[1].en)" in stale.message and "amendment both parties sign" in stale.fix
    assert "laredo-monterrey" in report.unreviewed


def test_a_build_works_out_each_text_once_and_a_check_alone_holds_none(tmp_path, monkeypatch):
    batch, _ = approved(tmp_path)
    asked = []
    work_out = review._current

    def counted(batch, record, overrides, group):
        asked.append((record.id, group))
        return work_out(batch, record, overrides, group)

    monkeypatch.setattr(review, "_current", counted)
    build(batch.folder, tmp_path / "out", as_of=AFTER_MEETING, jobs=1)
    assert ("laredo-saltillo", review.GROUP) in asked  # the check asked first, the plan again: worked out once
    assert len(asked) == len(set(asked)), sorted(asked)
    loaded, asked[:] = load_batch(batch.folder), []
    validate(loaded, as_of=AFTER_MEETING)
    assert ("laredo-saltillo", review.GROUP) in asked
    assert not [name for name in loaded.__dict__.get("_kept", {}) if isinstance(name, tuple) and name[0] == "review.current"]


@pytest.mark.slow
def test_the_run_cache_keeps_a_waiting_texts_revision_not_its_words(tmp_path, monkeypatch):
    """A text changed since its approval is rendered once to learn its revision; the run cache keeps
    what the check compares (revision, fields, templates), not the words, so a second check renders
    nothing and holds no words; the build, which keeps the revision with its words, renders it."""
    from pipeline import run_cache

    batch, approved_revision = approved(tmp_path)
    batch.replace(SALTILLO, CLAUSE, CHANGED)
    out = tmp_path / "out"
    cache_file = run_cache.cache_path(out, load_batch(batch.folder).name)
    rendered = []
    render = review.snapshot
    monkeypatch.setattr(review, "snapshot", lambda *args, **kw: rendered.append(
        (args[1].id, args[3] if len(args) > 3 else kw.get("group", review.GROUP))) or render(*args, **kw))
    agreement = ("laredo-saltillo", review.GROUP)

    def checked() -> str:
        review.forget_rendered()
        with run_cache.using(cache_file):
            report = validate(load_batch(batch.folder), as_of=AFTER_MEETING)
        [stale] = [f for f in report.findings if f.rule == "legal_review.stale" and f.record == "laredo-saltillo"]
        return stale.message

    first = checked()
    assert rendered.count(agreement) == 1  # (and every other text no revision file holds)
    kept = run_cache._load(cache_file)["snapshot"]
    [summary] = [value for value in kept.values() if value["record_id"] == "laredo-saltillo"]
    assert "texts" not in summary and summary["revision"] != approved_revision and summary["revision"] in first
    assert any(name.startswith("city.yaml: ") for name in summary["fields"])  # what "what changed" compares

    rendered[:] = []
    assert checked() == first and rendered == []  # the kept revisions answer the check: nothing rendered

    review.forget_rendered()
    build(batch.folder, out, as_of=AFTER_MEETING, keep_going=True, jobs=1)
    assert rendered.count(agreement) == 1  # the build needs the words it keeps: rendered once
    written = json.loads(review.store_path(batch.folder, "laredo-saltillo", summary["revision"]).read_text(encoding="utf-8"))
    assert written["texts"] == render(load_batch(batch.folder), next(
        r for r in load_batch(batch.folder).records if r.id == "laredo-saltillo")).texts
    assert any(CHANGED in paragraph for paragraphs in written["texts"].values() for paragraph in paragraphs)


@pytest.mark.slow
def test_a_rebuild_reads_no_revision_file_it_read_before_and_hashes_only_the_changed_records_texts(tmp_path, monkeypatch):
    """The kept revisions a build compares with are known by their files' identity from the last
    build; a file replaced is read again, and one removed is written again with its words. Each
    text's inputs hash is kept by the files it is made from: a change to one record hashes that
    record's texts alone."""
    batch, revision = approved(tmp_path)
    out = tmp_path / "out"
    monterrey = ["partnerships/laredo-monterrey.yaml", "Monterrey"]
    first = build(batch.folder, out, as_of=AFTER_MEETING, keep_going=True, jobs=1)
    assert first.work["text inputs", "miss"] > 3 and first.work["text inputs", "hit"] == 0
    kept_files = sorted((batch.folder / review.REVISIONS).rglob("*-??????????.json"))
    assert len(kept_files) > 3

    def rebuilt(name: str, checked_first: bool = False):
        batch.replace(monterrey[0], f"  name: {monterrey[1]}\n", f"  name: {name}\n")  # the partner city's: its texts change
        monterrey[1] = name
        if checked_first:  # the office checks before it builds: the check keeps what only the build uses
            checked = CliRunner().invoke(cli, ["check", str(batch.folder), "--as-of", AFTER_MEETING.isoformat()],
                                         catch_exceptions=False)
            assert checked.exit_code in (0, 1), checked.output
        return build(batch.folder, out, as_of=AFTER_MEETING, keep_going=True, jobs=1)

    assert first.work["kept revision", "miss"] == 1  # the approved text's, kept before any build: read once
    second = rebuilt("Monterrey (a)")
    added = set((batch.folder / review.REVISIONS).rglob("*-??????????.json")) - set(kept_files)
    assert added and all("laredo-monterrey" in str(path) for path in added)  # Monterrey's new text, kept
    assert second.work["kept revision", "miss"] == 0  # the files a build wrote are known as written
    assert build(batch.folder, out, as_of=AFTER_MEETING, keep_going=True, jobs=1).rendered == []  # a no-op keeps them too
    monkeypatch.chdir(tmp_path)  # the working folder: the check's cache is for its out/, the build's
    third = rebuilt("Monterrey (b)", checked_first=True)
    assert third.work["kept revision", "miss"] == 0 and third.work["kept revision", "hit"] >= len(kept_files) + len(added)
    texts = first.work["text inputs", "miss"]
    changed = third.work["text inputs", "miss"]
    assert 0 < changed <= 3 and third.work["text inputs", "hit"] == texts - changed  # Monterrey's texts alone

    agreement = review.store_path(batch.folder, "laredo-saltillo", revision)
    agreement.write_bytes(agreement.read_bytes())  # the same words in a new file: read again, once
    assert rebuilt("Monterrey (c)").work["kept revision", "miss"] == 1
    assert not [f for f in findings(batch, "legal_review.stale")]  # and it still is the approved text

    shutil.rmtree(agreement.parent)  # removed by hand: the revision is rendered and kept again, words and all
    rebuilt("Monterrey (d)")
    written = json.loads(agreement.read_text(encoding="utf-8"))
    assert written["revision"] == revision and CLAUSE in " ".join(" ".join(texts) for texts in written["texts"].values())


@pytest.mark.slow
def test_what_changed_since_an_approval_reads_alike_from_a_revision_known_by_its_inputs(tmp_path):
    """The run cache knows a kept revision by its inputs alone; to say what changed since the approval
    the check reads the current revision's fields from its file, and says what it says without the cache."""
    from pipeline import run_cache

    batch, _ = approved(tmp_path)
    batch.replace(SALTILLO, CLAUSE, CHANGED)
    out = tmp_path / "out"
    build(batch.folder, out, as_of=AFTER_MEETING, keep_going=True, jobs=1)  # keeps the changed text's revision
    with run_cache.using(run_cache.cache_path(out, "example")) as cache:
        [cached] = findings(batch, "legal_review.stale")
    assert cache.stats["kept revision", "hit"] > 0
    [fresh] = findings(batch, "legal_review.stale")  # no run cache: every revision file read whole
    assert cached.message == fresh.message and "changed: fields" in fresh.message
