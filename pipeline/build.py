"""The recipe: load → validate → plan → render → assemble → write.

Rendering runs in a process pool (WeasyPrint is CPU-bound); tasks carry plain data and return
bytes, which the main process writes as they come back.

Builds are incremental: every output carries in the manifest a hash of everything it was made
from (its context, plan, templates, assets and the pipeline version). An output whose hash is
unchanged is taken over from the previous build instead of rendered again.
"""

from __future__ import annotations

import copy
import dataclasses
import ctypes.util
import datetime as dt
import hashlib
import json
import os
import signal
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline import __version__, hand_edits, review, run_cache, unchanged
from pipeline.context import ContextBuilder
from pipeline.documents import council, process
from pipeline.executor import Standby, in_order, open_executor, standby
from pipeline.findings import Report
from pipeline.output import Generation, OutputFolder, output_error
from pipeline.plan import ARCHIVAL, Plan, plan
from pipeline.records import batch_name, display_path, load_batch
from pipeline.render import Archival, RenderTask, render, reread_templates, template_digest
from pipeline.validate import validate
from pipeline.rules.values import get


@dataclass
class BuildResult:
    report: Report
    plan: Plan | None = None
    written: list[dict] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)  # document ids rendered by this build
    reused: list[str] = field(default_factory=list)  # document ids taken over unchanged
    warnings: list[str] = field(default_factory=list)
    out_folder: Path | None = None
    hand_edits: list = field(default_factory=list)  # DOCX edited in out/ since the last build (hand_edits.HandEdit)
    contexts_built: list[str] = field(default_factory=list)  # documents whose inputs the run cache did not know
    work: Counter = field(default_factory=Counter)  # (table, "hit" | "miss"): what the run cache saved (pipeline/run_cache.py)


def build(batch_folder: Path, out_root: Path = Path("out"), *, as_of: dt.date | None = None,
          keep_going: bool = False, jobs: int | None = None, force: bool = False,
          progress: Callable[[int, int], None] | None = None, overrides: Path | None = None,
          checked: Callable[[Report], None] | None = None, executor: str | None = None) -> BuildResult:
    """`progress(done, total)` is called as documents are rendered; `force` re-renders all;
    `overrides` is the city's working folder whose templates replace the packaged ones;
    `checked(report)` hears the check's findings before anything is rendered; `executor` is where
    documents render (pipeline/executor.py: this machine's processes, or dask://HOST:PORT)."""
    with run_cache.using(run_cache.cache_path(out_root, batch_name(batch_folder)), read=not force) as cache:  # --force: afresh
        result = _build(batch_folder, out_root, as_of=as_of, keep_going=keep_going, jobs=jobs, force=force,
                        progress=progress, overrides=overrides, checked=checked, executor=executor)
        result.work = cache.stats
        return result


def _build(batch_folder: Path, out_root: Path, *, as_of, keep_going, jobs, force, progress, overrides, checked,
           executor) -> BuildResult:
    as_of = as_of or dt.date.today()
    reread_templates()
    batch = load_batch(batch_folder)
    review.keep_texts(batch)  # the check works out each agreement's text, and the plan needs it again
    report = validate(batch, as_of=as_of, overrides=overrides)
    if checked:
        checked(report)
    result = BuildResult(report, warnings=environment_warnings())
    if report.errors and not keep_going:
        run_cache.active().prune = False  # the check's part of the work: the next build's entries stay
        return result
    result.plan = plan(batch, report, as_of)
    output = OutputFolder(Path(out_root) / batch.name)
    inputs = unchanged.batch_inputs(batch, report, as_of, overrides)
    kept = None if force else unchanged.taken_over(output, unchanged.key(inputs, batch.folder))
    if kept is not None:  # made from the very same inputs, and still there as written: nothing to plan or make
        run_cache.active().prune = False
        result.written, result.out_folder = kept["files"], output.folder
        result.reused = [doc.doc_id for doc in result.plan.documents]
        return result
    snapshots: dict = {}
    contexts = ContextBuilder(batch)
    with standby(executor, jobs or os.cpu_count() or 1) as workers:  # loading while the tasks are worked out
        tasks = make_tasks(batch, result.plan, overrides, as_of, snapshots, contexts=contexts)
        result.contexts_built = [task.plan.doc_id for task in tasks if task.context is not None]
        previous = {entry["path"]: entry for entry in output.previous_manifest().get("files", [])}
        generation = output.begin()
        try:
            result.hand_edits = hand_edits.find(generation.current, previous)
            for edit in result.hand_edits:  # kept aside, then the document is rendered again from the records
                edit.kept_as = kept = hand_edits.kept_name(edit)
                if not generation.carry(kept):
                    generation.write(kept, edit.edited)
                previous.pop(edit.path, None)
            result.written = write(generation, batch, result, tasks, previous, as_of, force=force,
                                   jobs=jobs, progress=progress, overrides=overrides, executor=executor, contexts=contexts,
                                   workers=workers)
            result.written += write_redlines(generation, batch, review.stale_pairs(batch, report, snapshots), previous, force)
            _explain_hand_edits(generation, result, output.folder)
            committed = generation.commit(manifest(batch, result), set(previous) | {edit.path for edit in result.hand_edits})
        except OSError as exc:  # disk full, read-only, permissions: one line, the previous output whole
            generation.abort()
            raise output_error(exc, output.folder) from None
        except BaseException:
            generation.abort()
            raise
    result.out_folder = output.folder
    warned = len(result.warnings)
    keep_revisions(batch, result.plan, snapshots, result.warnings)
    if not result.hand_edits and len(result.warnings) == warned:  # the next build like this one has nothing to do
        unchanged.remember(committed, unchanged.key(inputs, batch.folder), generation.manifest_data,
                           result.written if generation.manifest_data else None, generation.known_stat)
    return result


def keep_revisions(batch, the_plan: Plan, snapshots: dict, warnings: list[str]) -> None:
    """Each revision of an agreement the legal office may approve, and the text of each act the
    council has adopted, kept beside the records (pipeline/review.py)."""
    records = {r.id: r for r in batch.records}
    adopted = {(doc.record_id, doc.document) for doc in the_plan.documents if ARCHIVAL in doc.formats}
    for (record_id, group), snap in snapshots.items():
        try:
            if group != review.GROUP and (record_id, group) in adopted:
                review.mark_adopted(batch.folder, records[record_id], snap, dt.date.today().isoformat())
            elif group == review.GROUP:
                review.keep(batch.folder, snap)
        except OSError as exc:
            warnings.append(f"{display_path(review.store_path(batch.folder, record_id, snap.revision, group))}: cannot "
                            f"keep revision {snap.revision} of the text ({exc.strerror or exc})  → make the batch folder "
                            "writable: a redline against this revision, or the check of an adopted text, needs it")


# A test hook: with SISTERDOCS_TEST_STOP_AFTER=N in its environment, the build stops itself (SIGSTOP)
# right after writing its N-th new document, so a test can kill it at a known point of the write.
STOP_AFTER_WRITES = "SISTERDOCS_TEST_STOP_AFTER"


def write(generation: Generation, batch, result: BuildResult, tasks: list[RenderTask], previous: dict,
          as_of: dt.date, *, force: bool, jobs: int | None, progress, overrides: Path | None = None,
          executor: str | None = None, contexts: ContextBuilder, workers: Standby | None = None) -> list[dict]:
    """Every output, each taken over when unchanged or else made anew.

    Documents render in worker processes and are written as they come back, so memory holds a
    few at a time. The compliance report needs only the plan: it renders in the pool beside
    them. The council packet's documents render first, and the packet is assembled from them
    while the workers go on with the rest, so neither becomes a tail after the last document.
    """
    # The packet and the report read PDFs (pypdf): imported here, where something is made, so a
    # build with nothing to make (pipeline/unchanged.py) does not load them.
    from pipeline.assemble import is_packet_source, packet_sources
    from pipeline.compliance import (REPORT_FILES, REPORT_ID, compliance_data, lay_out_parts, render_report,
                                     report_context, report_parts, summary_pages)

    files: list[dict] = []
    stale = []
    stop_after = int(os.environ.get(STOP_AFTER_WRITES, "0") or 0)
    for task in tasks:
        if _took_over(generation, previous, [task.plan.path(fmt) for fmt in task.plan.formats], task.inputs, force):
            files += [previous[task.plan.path(fmt)] for fmt in task.plan.formats]
            result.reused.append(task.plan.doc_id)
        else:
            stale.append(with_context(task, batch, contexts, as_of))
    stale.sort(key=lambda task: not is_packet_source(task.plan.doc_id))  # stable: plan order within each part
    sources = sum(is_packet_source(task.plan.doc_id) and "pdf" in task.plan.formats for task in tasks)
    sources_written = len(packet_sources(files))

    planned = [{"record": t.plan.record_id, "path": t.plan.path(fmt), "document_id": t.plan.doc_id}
               for t in tasks for fmt in t.plan.formats]
    report_data = compliance_data(batch, result.report, result.plan, planned, as_of)
    context = report_context(batch, report_data)  # the data, and the city and meeting the report prints beside it
    report_inputs = _digest([context, template_digest(("en", "compliance_report.html"), overrides=overrides), __version__])
    report = [previous[name] for name in REPORT_FILES] if _took_over(
        generation, previous, REPORT_FILES, report_inputs, force) else None

    work = len(stale) + (report is None)
    with open_executor(executor if work else None, jobs or os.cpu_count() or 1, work, overrides, workers) as (pool, window):
        results = in_order(pool, render, stale, window)  # streamed back to be written while the workers go on
        pending_report = None
        if report is None:  # its PDF's parts not kept from an earlier build are laid out in the pool, after the first documents
            kept_parts = run_cache.active().companion("report")
            layout = template_digest(("en", "compliance_report.html"), overrides=overrides)
            parts = [(html, run_cache.digest(layout, html)) for html in report_parts(context, overrides)]
            found = [kept_parts.get("report part", key, _is_pdf) for _, key in parts]
            missing = [html for (html, _), pdf in zip(parts, found) if pdf is None]
            pending_report = pool.submit(lay_out_parts, missing, overrides) if pool and missing else missing
        packet = summary = None
        for done, (task, output) in enumerate(zip(stale, results), start=1):
            if packet is None and sources_written == sources:
                packet = _packet(generation, batch, result, files, previous, force, overrides)
                if report is None:  # a long report's summary, laid out a page at a time while the workers go on
                    summary = summary_pages(context, kept_parts, overrides)
            for fmt in task.plan.formats:
                path = task.plan.path(fmt)
                pages = {"pages": output["pages"]} if fmt in ("pdf", ARCHIVAL) else {}
                sha = _write_output(generation, path, output[fmt], fmt)
                files.append(_entry(path, sha, len(output[fmt]), task.inputs,
                                    record=task.plan.record_id, format=fmt, document_id=task.plan.doc_id,
                                    template=f"templates_{task.plan.lang}/{task.plan.template}.{'docx' if fmt == 'docx' else 'html'}",
                                    revision=task.revision, final=task.plan.final, **pages))
            sources_written += "pdf" in task.plan.formats and is_packet_source(task.plan.doc_id)
            result.rendered.append(task.plan.doc_id)
            if stop_after == len(result.rendered):
                os.kill(os.getpid(), signal.SIGSTOP)  # the test hook: a known point to kill the build at
            result.warnings.extend(output["warnings"])
            if progress:
                progress(done, len(stale))
        if packet is None:
            packet = _packet(generation, batch, result, files, previous, force, overrides)
        if report is None:
            made = iter(pending_report.result() if pool and missing else lay_out_parts(missing, overrides))
            pdfs = [pdf if pdf is not None else next(made) for pdf in found]
            if summary is None:
                summary = summary_pages(context, kept_parts, overrides)
            try:
                rendered = render_report(context, overrides, summary + pdfs, kept_parts)
            except ValueError:  # pypdf's, reading a part a damaged or forged cache entry held: laid out afresh
                pdfs = lay_out_parts([html for html, _ in parts], overrides)
                kept_parts.drop("summary page", "summary page row", "report segment")  # replaced by what is laid out now, so the next build is whole again
                rendered = render_report(context, overrides, summary_pages(context, kept_parts, overrides) + pdfs, kept_parts)
            for (_, key), pdf in zip(parts, pdfs):
                kept_parts.put("report part", key, pdf)
            kept_parts.save()
            report = [_entry(name, generation.write(name, data), len(data), report_inputs, format=name.rsplit(".", 1)[1],
                             document_id=REPORT_ID, template="templates_en/compliance_report.html",
                             revision=report_inputs[:10], record="*", final=True) for name, data in rendered.items()]
    return [packet, *report, *sorted(files, key=lambda f: f["path"])]


def _explain_hand_edits(generation: Generation, result: BuildResult, shown: Path) -> None:
    for edit in result.hand_edits:
        try:
            hand_edits.compare(edit, generation.target(edit.path).read_bytes())
        except (OSError, ValueError, KeyError):  # not rendered again (no longer planned), or not a readable DOCX
            pass
        where = f"paragraph{'s' if len(edit.paragraphs) != 1 else ''} {', '.join(map(str, edit.paragraphs[:10]))}" \
            if edit.paragraphs else "its formatting or properties"
        differs = "it is no longer a DOCX Word or python-docx can read" if edit.unreadable else \
            f"{where} differ{'s' if len(edit.paragraphs) == 1 else ''}{f' (“{edit.sample}”)' if edit.sample else ''}"
        result.warnings.append(
            f"{display_path(shown / edit.path)}: edited by hand after the build that made it (rev. {edit.revision}): {differs}; the edited "
            f"file is kept as {display_path(shown / edit.kept_as)} and the document was made again from the records  → put the change "
            "in the record or in a template override, so the next build keeps it")


def write_redlines(generation: Generation, batch, pairs: list, previous: dict, force: bool) -> list[dict]:
    """For an agreement whose text changed after its approval: the redline against the approved
    text, in English and Spanish (DOCX with tracked changes, and PDF), beside the draft."""
    from pipeline import redline

    files = []
    for old, new in pairs:
        prefix = f"partnerships/{new.record_id}/{REDLINE}"
        names = [f"{prefix}.{lang}.{fmt}" for lang in ("en", "es") for fmt in ("docx", "pdf")]
        inputs = _digest([old.revision, new.revision, old.texts, new.texts, __version__])
        if _took_over(generation, previous, names, inputs, force):
            files += [previous[name] for name in names]
            continue
        record = next(r for r in batch.records if r.id == new.record_id)
        made, _ = redline.redlines(old, new, batch_date(batch), prefix, redline.agreement_titles(batch, record))
        for name in names:
            data = made[name]
            lang, fmt = name.rsplit(".", 2)[-2:]
            pages = {"pages": pdf_pages(data)} if fmt == "pdf" else {}
            sha = _write_output(generation, name, data, fmt)
            files.append(_entry(name, sha, len(data), inputs, record=new.record_id, format=fmt,
                                document_id=f"{new.record_id}/{REDLINE}.{lang}", template="pipeline/redline.py",
                                revision=new.revision, final=False, **pages))
    return files


REDLINE = "agreement_redline"


def batch_date(batch) -> dt.date:
    """The day a redline's tracked changes carry: the meeting's, so the same texts give the same bytes."""
    return ContextBuilder(batch).meeting_date or dt.date(2000, 1, 1)


def pdf_pages(data: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def _packet(generation: Generation, batch, result: BuildResult, files: list[dict], previous: dict, force: bool,
            overrides: Path | None = None) -> dict:
    """The council packet, assembled again only when a document in it or its front matter changed."""
    from pipeline.assemble import PACKET, PACKET_ID, council_packet, packet_sources

    documents = sorted(files, key=lambda f: f["path"])
    inputs = _digest([[(f["path"], f["sha256"]) for f in packet_sources(documents)],
                      batch.city.data, batch.meeting.data, [h.__dict__ for h in result.plan.held_back],
                      template_digest(("en", "council/council_packet.html"), overrides=overrides), __version__])
    known = _known_unedited(generation, PACKET, previous, force)  # looked up each time, so the cache keeps it
    if _took_over(generation, previous, [PACKET], inputs, force):
        return previous[PACKET]
    generation.link_carried()  # the packet reads its documents back from the staging folder
    with generation.open(PACKET) as handle:
        sha = council_packet(handle, generation.staging, batch, result.plan, documents, overrides, known)
        size = handle.tell()
    hand_edits.remember(generation.target(PACKET), PACKET, sha)
    return _entry(PACKET, sha, size, inputs, format="pdf", document_id=PACKET_ID, template="templates_en/council/council_packet.html",
                  revision=inputs[:10], record="*", final=True)


def _known_unedited(generation: Generation, name: str, previous: dict, force: bool) -> tuple[str, str] | None:
    """(path, sha-256) of the previous build's file `name` if the run cache knows it to be the
    file that build wrote (the packet: its bytes for unchanged documents are copied)."""
    entry = previous.get(name)
    found = generation.current_file(name) if entry and not force else None
    if found is None:
        return None
    path, status = found
    return (path, entry["sha256"]) if hand_edits.known_unedited(name, status, entry.get("sha256")) else None


def manifest(batch, result: BuildResult) -> dict:
    return {
        "batch": batch.name,
        "pipeline_version": __version__,
        "files": result.written,
        "held_back": [h.__dict__ for h in result.plan.held_back],
        "hand_edits": [edit.as_data() for edit in result.hand_edits],
        "findings": {"errors": len(result.report.errors), "warnings": len(result.report.warnings)},
    }


def _entry(path: str, sha: str, size: int, inputs: str, **facts) -> dict:
    return {"path": path, "sha256": sha, "bytes": size, "inputs": inputs, **facts}


def _is_pdf(value) -> bool:
    return isinstance(value, bytes) and value.startswith(b"%PDF-")


def _took_over(generation: Generation, previous: dict, paths, inputs: str, force: bool) -> bool:
    """Take `paths` over into the new generation if the previous build made every one of them
    from the same inputs and they are still there at the size it wrote (a file edited by hand
    in out/ is rendered again). True if they were taken over."""
    if force:
        return False
    for path in paths:
        entry = previous.get(path)
        if entry is None or entry.get("inputs") != inputs or generation.existing_size(path) != entry.get("bytes"):
            return False
    for path in paths:
        generation.carry(path)
    return True


def make_tasks(batch, the_plan: Plan, overrides: Path | None = None, as_of: dt.date | None = None,
               snapshots: dict | None = None, contexts: ContextBuilder | None = None) -> list[RenderTask]:
    """One task per planned document. The documents the legal office reviews print the revision of
    their text (pipeline/review.py); `snapshots` collects those revisions, for the build to keep.

    Given the build's `contexts`, a document whose inputs the run cache knows from the same record
    text, city, meeting, plan, templates and day gets its inputs hash without its context being
    built (context None: `with_context` builds it should the document need rendering after all).
    A context that asked its donation's place in line (which reads every partnership) is known
    while the answer is the same (ContextBuilder.kept_value)."""
    lazy = contexts is not None
    contexts = contexts or ContextBuilder(batch)
    issued_on = as_of or dt.date.today()
    records = {r.id: r for r in batch.records}
    archivals: dict[str, Archival] = {}
    snapshots = {} if snapshots is None else snapshots
    cache = run_cache.active()
    settings = run_cache.digest(run_cache.code_digest(), batch.city.source, batch.meeting.source, issued_on.isoformat(),
                                __version__)  # hashed once, not once per document: the meeting's agenda names every record
    tasks = []
    for doc in the_plan.documents:
        record = records[doc.record_id]
        archival = None
        if ARCHIVAL in doc.formats:  # one record may travel in several archival copies: dump it once
            archival = archivals.get(record.id) or archivals.setdefault(record.id, archival_source(record, contexts.meeting_date))
        text_revision = ""
        group = review.group_of(record.kind, doc.document)
        if group == review.GROUP or (group and ARCHIVAL in doc.formats):  # kept: the approved agreement, adopted acts
            key = (record.id, group)
            if key not in snapshots:
                snapshots[key] = review.current(batch, record, overrides, group)
            text_revision = snapshots[key].revision
        elif group:  # an act not yet adopted: only the revision of its words, printed in its footer
            text_revision = review.current_revision(batch, record, overrides, group)
        templates = template_digest((doc.lang, f"{doc.template}.html"), *(
            [(doc.lang, f"{doc.template}.docx")] if "docx" in doc.formats else []), overrides=overrides)
        known = None
        if lazy and record.source and batch.city.source and batch.meeting.source:
            # The plan's repr, not its JSON: a key, of text fields only, hashed twelve thousand times at 1,000 records.
            known = run_cache.digest(settings, record.source, repr(doc), templates, text_revision)
            kept = contexts.kept_value(cache, "inputs", known, record)
            if kept is not None:
                tasks.append(RenderTask(doc, None, text_revision or kept[:10], archival, kept, overrides))
                continue
        contexts.reset_reads()
        context = document_context(doc, record, contexts, issued_on)
        inputs = _digest([context, doc.__dict__, archival.data.decode() if archival else None, templates, text_revision,
                          __version__])
        contexts.keep_value(cache, "inputs", known, inputs, record)
        tasks.append(RenderTask(doc, context, text_revision or inputs[:10], archival, inputs, overrides))
    return tasks


def with_context(task: RenderTask, batch, contexts: ContextBuilder, as_of: dt.date) -> RenderTask:
    """The task with its context, built now if make_tasks took its inputs from the run cache."""
    if task.context is not None:
        return task
    (_, record), *_ = batch.positions()[task.plan.record_id]
    return dataclasses.replace(task, context=document_context(task.plan, record, contexts, as_of))


def document_context(doc, record, contexts: ContextBuilder, issued_on: dt.date) -> dict:
    """What one document's templates see: the record's context and what differs between its documents."""
    context = contexts.for_record(record, doc.lang)
    documents = process(record.kind)
    documents.task_context(doc, record, context, contexts)  # what differs between one record's documents
    council.task_context(doc, record, context, contexts, issued_on)
    if doc.document in documents.DATED_ON_ISSUE:  # only a letter or memo carries the day it is issued: nothing else moves with it
        context["letter_date"] = contexts.date(get(record.data, *documents.DATED_ON_ISSUE[doc.document]) or issued_on, doc.lang)
    return context


def document_task(doc, record, contexts: ContextBuilder, issued_on: dt.date, overrides: Path | None = None,
                  revision: str = "") -> RenderTask:
    """A task to render one document outside a build (the review stage reads its text)."""
    return RenderTask(doc, document_context(doc, record, contexts, issued_on), revision, None, "", overrides)


# Never in a document, attachment or packet that can leave the city: the pickup person is a
# private individual, and an archival copy outlives the pickup by decades.
PERSONAL_DATA = (("pickup", "id_number"), ("pickup", "name"), ("pickup", "phone"))


def archival_source(record, issued: dt.date) -> Archival:
    """The record as YAML, without personal data, to travel inside its PDF/A archival copy. The
    YAML depends on the record's text alone, so the run cache keeps it by the text's digest."""
    when = dt.datetime.combine(issued, dt.time(12), tzinfo=dt.timezone.utc)
    data = run_cache.active().kept("archival", record.source, lambda: _archival_yaml(record),
                                   lambda value: isinstance(value, bytes))
    return Archival(f"{record.id}.yaml", data, when)


def _write_output(generation, name: str, data: bytes, fmt: str) -> str:
    """Writes one output; a DOCX's hash is kept by its file's stat, so hand-edit detection need not
    read it again until someone saves it."""
    sha = generation.write(name, data)
    if fmt == "docx":
        hand_edits.remember(generation.target(name), name, sha)
    return sha


def _archival_yaml(record) -> bytes:
    data = copy.deepcopy(record.data)
    for *parents, key in PERSONAL_DATA:
        holder = data
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and key in holder:
            holder[key] = "(withheld: personal data)"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100).encode("utf-8")


def _digest(parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def environment_warnings() -> list[str]:
    """What on this machine makes documents slower or different, said once per build. Asks the
    dynamic linker rather than importing WeasyPrint, so a build with nothing to render stays quick."""
    if ctypes.util.find_library("harfbuzz-subset") is None:
        return ["libharfbuzz-subset0 is not installed: WeasyPrint falls back to fonttools for font subsetting "
                "(about 70% slower per document); install the Debian package libharfbuzz-subset0"]
    return []
