"""The recipe: load → validate → plan → render → write.

Rendering goes through a concurrent.futures Executor: a process pool on one machine (WeasyPrint
is CPU-bound), or any other Executor with the same map() — Dask's Client.get_executor() for a
program that outgrows one machine. Tasks carry plain data and return bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import copy
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline import __version__
from pipeline.assemble import PACKET, PACKET_ID, council_packet
from pipeline.compliance import REPORT_ID, compliance_data, render_compliance
from pipeline.context import ContextBuilder
from pipeline.findings import Report
from pipeline.output import OutputWriter
from pipeline.plan import ARCHIVAL, Plan, plan
from pipeline.records import load_batch
from pipeline.render import ASSETS, TEMPLATE_DIRS, Archival, RenderTask, render
from pipeline.validate import validate


@dataclass
class BuildResult:
    report: Report
    plan: Plan | None = None
    written: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    out_folder: Path | None = None


def build(batch_folder: Path, out_root: Path = Path("out"), *, as_of: dt.date | None = None,
          keep_going: bool = False, jobs: int | None = None, executor: Executor | None = None) -> BuildResult:
    as_of = as_of or dt.date.today()
    batch = load_batch(batch_folder)
    report = validate(batch, as_of=as_of)
    result = BuildResult(report, warnings=environment_warnings())
    if report.errors and not keep_going:
        return result
    result.plan = plan(batch, report, as_of)
    tasks = make_tasks(batch, result.plan)
    rendered = run_tasks(tasks, jobs=jobs, executor=executor)
    result.out_folder = Path(out_root) / batch.name
    result.written = write(result.out_folder, batch, result.plan, tasks, rendered, report, as_of)
    for output in rendered:
        result.warnings.extend(output["warnings"])
    return result


def make_tasks(batch, the_plan: Plan) -> list[RenderTask]:
    contexts = ContextBuilder(batch)
    records = {r.id: r for r in batch.records}
    fingerprint = templates_fingerprint()
    tasks = []
    for doc in the_plan.documents:
        record = records[doc.record_id]
        context = contexts.for_record(record, doc.lang)
        if record.kind == "donation":
            # Personal data gate: the pickup ID number exists only in the city's own copy.
            number = (record.data.get("pickup") or {}).get("id_number", "") if doc.variant == "city-copy" else ""
            for view in (context, context["en"], context["es"]):
                view["donation"]["pickup"]["id_number"] = number
        fleet = doc.document == "notice" and doc.variant == "fleet"
        context["notice"] = {"to": doc.title.removeprefix("Notice to ") if doc.document == "notice" else "", "fleet": fleet}
        revision = _digest([record.data, batch.city.data, batch.meeting.data, doc.__dict__, fingerprint, __version__])[:10]
        archival = archival_source(record, contexts.meeting_date) if ARCHIVAL in doc.formats else None
        tasks.append(RenderTask(doc, context, revision, archival))
    return tasks


PERSONAL_DATA = (("pickup", "id_number"),)  # never in a document, attachment or packet that can leave the city


def archival_source(record, issued: dt.date) -> Archival:
    """The record as YAML, without personal data, to travel inside its PDF/A archival copy."""
    data = copy.deepcopy(record.data)
    for *parents, key in PERSONAL_DATA:
        holder = data
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and key in holder:
            holder[key] = "(withheld: personal data)"
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    when = dt.datetime.combine(issued, dt.time(12), tzinfo=dt.timezone.utc)
    return Archival(f"{record.id}.yaml", text.encode("utf-8"), when)


def run_tasks(tasks: list[RenderTask], jobs: int | None = None, executor: Executor | None = None) -> list[dict]:
    if executor is not None:
        return list(executor.map(render, tasks))
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(tasks) <= 2:
        return [render(task) for task in tasks]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(render, tasks, chunksize=max(1, len(tasks) // (jobs * 4))))


def write(folder: Path, batch, the_plan: Plan, tasks, rendered, report, as_of: dt.date) -> list[dict]:
    """Documents first, then what is assembled from them, then the manifest: the commit point."""
    writer = OutputWriter(folder)
    files = []
    for task, output in zip(tasks, rendered):
        for fmt in task.plan.formats:
            files.append(_written(writer, task.plan.path(fmt), output[fmt], record=task.plan.record_id,
                                  template=f"templates_{task.plan.lang}/{task.plan.document}.{'docx' if fmt == 'docx' else 'html'}",
                                  format=fmt, document_id=task.plan.doc_id, revision=task.revision, final=task.plan.final))
    documents = sorted(files, key=lambda f: f["path"])
    batch_files = [_written(writer, PACKET, council_packet(folder, batch, the_plan, documents), record="*",
                            template="templates_en/council_packet.html", format="pdf", document_id=PACKET_ID)]
    report_data = compliance_data(batch, report, the_plan, documents, as_of)
    for name, data in render_compliance(batch, report_data).items():
        batch_files.append(_written(writer, name, data, record="*", template="templates_en/compliance_report.html",
                                    format=name.rsplit(".", 1)[1], document_id=REPORT_ID))
    writer.commit({
        "batch": batch.name,
        "pipeline_version": __version__,
        "files": batch_files + documents,
        "held_back": [h.__dict__ for h in the_plan.held_back],
        "findings": {"errors": len(report.errors), "warnings": len(report.warnings)},
    })
    return batch_files + documents


def _written(writer: OutputWriter, path: str, data: bytes, **facts) -> dict:
    return {"path": path, "sha256": writer.write(path, data), "bytes": len(data), **facts}


def templates_fingerprint() -> str:
    """One hash over every template and asset: a change to any of them changes every revision."""
    digest = hashlib.sha256()
    for root in (*TEMPLATE_DIRS.values(), ASSETS):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root.parent).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _digest(parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def environment_warnings() -> list[str]:
    """What on this machine makes documents slower or different, said once per build."""
    try:
        from weasyprint.text.ffi import harfbuzz_subset
    except ImportError:  # pragma: no cover - WeasyPrint versions without the module
        return []
    if harfbuzz_subset is None:
        return ["libharfbuzz-subset0 is not installed: WeasyPrint falls back to fonttools for font subsetting "
                "(about 70% slower per document); install the Debian package libharfbuzz-subset0"]
    return []
