"""The compliance report: per record, its status, findings, the documents built and the ones
a gate held back, and the deadlines coming up. One set of data, written three ways: JSON for
tools, HTML for a browser, PDF for the file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import asdict
from pathlib import Path

from markupsafe import Markup

from pipeline import run_cache
from pipeline.assemble import FOOTER_COLOUR, FOOTER_FONT, footer_font, kept_segment
from pipeline.context import ContextBuilder
from pipeline.dates import parse_date
from pipeline.documents import process
from pipeline.documents.council import adopted
from pipeline.paginate import lay_out_by_page
from pipeline.pdfjoin import PdfJoin
from pipeline.plan import Plan
from pipeline.render import ASSETS, html_to_pdf, jinja_env, template_digest
from pipeline.rules.partnership import SCI_REGISTERED
from pipeline.rules.values import current_act, get

REPORT_ID = "compliance-report.en"
REPORT_FILES = ("compliance-report.json", "compliance-report.html", "compliance-report.pdf")
EVALUATION_WINDOW = dt.timedelta(days=90)
# Records per laid-out piece of the PDF: bounds WeasyPrint's memory, and is what a change lays out
# again. Layout costs about the same per record whatever the piece (0.05 s of processor time at
# 1,000 records), so a small piece costs a full build nothing and a change to one record 0.5 s,
# where fifty a piece cost 2.4 s, in a worker, after the documents: the edit loop's longest wait.
PART_RECORDS = 10


def compliance_data(batch, report, the_plan: Plan, files: list[dict], as_of: dt.date) -> dict:
    """Everything the report says, as plain data (the JSON file is exactly this)."""
    findings_by_record: dict[str, list[dict]] = {}
    for group in report.sorted_groups():
        for finding in group:
            findings_by_record.setdefault(finding.record, []).append({**asdict(finding), "file": _source(finding.file, batch)})
    documents: dict[str, list[str]] = {}
    for f in files:
        documents.setdefault(f["record"], []).append(f["path"])
    held: dict[str, list[dict]] = {}
    for h in the_plan.held_back:
        held.setdefault(h.record_id, []).append({"document": h.document, "reason": h.reason})
    meeting = batch.meeting.data.get("meeting") or {}
    by_id = {r.id: r for r in batch.records}
    records = []
    for entry in report.records:
        record_id = entry["id"]
        step, waiting = ("", "")
        if entry.get("kind") == "donation" and record_id in by_id:
            step, waiting = process("donation").step(by_id[record_id].data, as_of)
        records.append({
            "step": step,  # donations: where the request stands in Appendix A, and what it waits for
            "waiting_for": waiting,
            **{k: entry[k] for k in ("id", "kind", "line", "status", "blocked") if k in entry},
            "file": _source(entry.get("file", ""), batch),
            "priority_tier": entry.get("priority_tier", ""),  # donations only
            "priority": entry.get("priority", ""),
            "findings": findings_by_record.get(record_id, []),
            "documents": sorted(documents.get(record_id, [])),
            "held_back": held.get(record_id, []),
        })
    return {
        "batch": batch.name,
        "city": batch.city.data.get("name", ""),
        "meeting": {"date": _iso(meeting.get("date")), "number": meeting.get("number", "")},
        "as_of": as_of.isoformat(),
        "summary": {"records": len(records), "errors": len(report.errors), "warnings": len(report.warnings),
                    "blocked": len(report.blocked()), "documents": len({f["document_id"] for f in files}),
                    "files": len(files)},
        "records": records,
        "deadlines": deadlines(batch, as_of, report.unreviewed),
        "donation_log": donation_log(records, by_id),
    }


def donation_log(records: list[dict], by_id: dict) -> list[dict]:
    """The request log: every donation request in the order the program serves them (priority tier,
    then first come), with the step it is at and what it waits for."""
    log = []
    for r in records:
        if r["kind"] != "donation" or r["id"] not in by_id:
            continue
        data = by_id[r["id"]].data
        log.append({**{key: r[key] for key in ("id", "priority_tier", "priority", "status", "step", "waiting_for")},
                    "requested_on": _iso(get(data, "requested_on")), "recipient": str(get(data, "recipient", "name") or "")})
    return sorted(log, key=lambda d: (d["priority_tier"] or 9, d["requested_on"], d["id"]))


# Statuses past any council action: an ended relationship, a withdrawn request.
CLOSED = ("emeritus", "terminated", "withdrawn")


def deadlines(batch, as_of: dt.date, unreviewed: dict | None = None) -> list[dict]:
    """What needs doing soon: agreements awaiting the legal office's review of their current text,
    records whose council meeting has passed while they still wait for the council, evaluations
    due within 90 days (or overdue) and not yet made, signed agreements not yet sent to SCI,
    approved donations not yet picked up."""
    due = []
    for record_id, why in (unreviewed or {}).items():
        due.append({"record": record_id, "kind": "legal_review", "date": as_of.isoformat(), "days": 0,
                    "action": f"awaiting legal review: {why}; the agreement stays a draft until the legal office approves "
                              f"the current text (`sisterdocs redline {batch.name} {record_id}` shows what changed)"})
    for record in batch.records:
        data = record.data
        status = data.get("status")
        act = current_act(data)  # a status change, once recorded, is what this meeting takes up
        meeting = _date(get(data, *act, "meeting_date"), batch)
        # the plan's own reading of "adopted" (a status that says so, or the act's own adopted flag)
        if meeting and meeting < as_of and status not in CLOSED and not adopted(process(record.kind).says_adopted, data, as_of, act):
            due.append({"record": record.id, "kind": "council_action", "date": meeting.isoformat(), "days": (as_of - meeting).days,
                        "action": f"the council met on {meeting.isoformat()} but the record still waits for it: record the "
                                  f"council's action (status or {'.'.join(act)}.adopted, and {'.'.join(act)}.vote), or move the "
                                  "item to a later meeting"})
        if record.kind == "partnership" and act != ("council",) and meeting and meeting < as_of \
                and adopted(process(record.kind).says_adopted, data, as_of, act):
            due += _status_change_steps(batch, record, meeting, as_of)
        if record.kind == "partnership":
            evaluation = _date(data.get("evaluation_date"), batch)
            evaluated = _date(get(data, "evaluation", "date"), batch)
            ending = get(data, "status_change", "action") in ("emeritus", "termination")
            if evaluation and evaluation <= as_of + EVALUATION_WINDOW and status not in ("emeritus", "terminated") and not ending \
                    and not (evaluated and evaluated <= as_of):
                days = (evaluation - as_of).days
                due.append({"record": record.id, "kind": "evaluation", "date": evaluation.isoformat(), "days": days,
                            "action": (f"evaluation overdue by {-days} days" if days < 0 else f"evaluation due in {days} days")
                            + ": review the program components against their KPIs and report to council"})
            if status == "signed" and not data.get("sci_submission"):
                signed = _date(get(data, "signing", "date"), batch)
                due.append({"record": record.id, "kind": "sci_submission", "date": signed.isoformat() if signed else "",
                            "days": (as_of - signed).days if signed else None,
                            "action": "signed but not yet sent to Sister Cities International: run "
                                      f"`sisterdocs sci {batch.name} {record.id} --signed SCAN.pdf`"})
        elif record.kind == "donation" and status == "council_approved":
            approved = _date(get(data, "council", "meeting_date"), batch)
            due.append({"record": record.id, "kind": "pickup", "date": approved.isoformat() if approved else "",
                        "days": (as_of - approved).days if approved and approved <= as_of else None,
                        "action": "approved but not picked up: the recipient's named person collects the items "
                                  "and signs the release and receipt"})
    return sorted(due, key=lambda d: (d["date"] or "9999", d["record"], d["kind"]))


def _status_change_steps(batch, record, adopted_on: dt.date, as_of: dt.date) -> list[dict]:
    """After the council acts on a status change: the mayor's letter to the partner, then (for the
    kinds SCI lists) the written notice to SCI, each listed until the record has its date."""
    change, steps = record.data["status_change"], []
    days = (as_of - adopted_on).days
    if not change.get("letter_date"):
        steps.append({"record": record.id, "kind": "status_letter", "date": adopted_on.isoformat(), "days": days,
                      "action": f"the council adopted the {change.get('action')}: send the mayor's letter to the partner "
                                "(status_letter) and record status_change.letter_date"})
    elif record.data.get("kind") in SCI_REGISTERED and not change.get("sci_notice_date"):
        steps.append({"record": record.id, "kind": "sci_notice", "date": adopted_on.isoformat(), "days": days,
                      "action": f"the partner has the mayor's letter; give SCI written notice: run "
                                f"`sisterdocs sci-notice {batch.name} {record.id}`, then record status_change.sci_notice_date"})
    return steps


def report_context(batch, data: dict) -> dict:
    """What the report's template needs, as plain data: it may be rendered in a worker process."""
    contexts = ContextBuilder(batch)
    return {
        "city": contexts.city("en"),
        "report": data,
        "meeting_date": contexts.date(contexts.meeting_date, "en"),
        "as_of": contexts.date(dt.date.fromisoformat(data["as_of"]), "en"),
        "doc": {"id": REPORT_ID, "revision": data["as_of"], "title": "Compliance report", "final": True,
                "variant": "", "lang": "en"},
    }


def render_report(context: dict, overrides: Path | None = None, parts_pdf: list[bytes] | None = None,
                  kept: run_cache.RunCache | None = None) -> dict[str, bytes]:
    """{file name: bytes} for the JSON, HTML and PDF forms of the report; `parts_pdf`, the PDF's
    parts already laid out (`summary_pages`, then `report_parts` through `lay_out_parts`); `kept`,
    where the parts' segments are kept between builds (pipeline/build.py)."""
    if parts_pdf is None:
        parts_pdf = (summary_pages(context, run_cache.RunCache(), overrides)
                     + lay_out_parts(report_parts(context, overrides), overrides))
    rows = _summary_rows(context["report"])
    # Links to the documents help in a browser; in the PDF they would carry this machine's paths.
    html = _report_html(report_template(overrides), context, _summary(rows, 0, len(rows), True),
                        context["report"]["records"], links=True, stamped=False)
    return {
        "compliance-report.json": (json.dumps(context["report"], indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        "compliance-report.html": html.encode("utf-8"),
        "compliance-report.pdf": _joined(context, parts_pdf, kept if kept is not None else run_cache.RunCache()),
    }


def report_template(overrides: Path | None = None):
    return jinja_env("en", overrides).get_template("compliance_report.html")


def _report_css() -> Markup:
    return Markup((ASSETS / "report.css").read_text(encoding="utf-8"))  # our asset, not record text


def _report_html(template, context: dict, summary: dict | None, details: list[dict], links: bool = False,
                 stamped: bool = True, css: Markup | None = None) -> str:
    """`css`, the stylesheet already read, for a caller that renders many pages of one report."""
    return template.render(context, report_css=css if css is not None else _report_css(), summary=summary,
                           details=details, links=links, stamped=stamped)


def is_paged(context: dict) -> bool:
    """Whether the PDF's summary is laid out a page at a time, apart from the records' details:
    a report of a few records is one part, summary and details together."""
    return len(context["report"]["records"]) > PART_RECORDS


def report_parts(context: dict, overrides: Path | None = None) -> list[str]:
    """The records' details as HTML, PART_RECORDS records a part: WeasyPrint holds a whole
    document's layout (a 1,000-record report in one piece took 500 MB), and a part whose records
    did not change is the same part, kept in the run cache as it was laid out
    (pipeline/build.py). Their "Page 3 of 9" is stamped on as they are joined, so no part
    depends on another's length. A short report is one part, its summary included."""
    template = report_template(overrides)
    records = context["report"]["records"]
    if not is_paged(context):
        rows = _summary_rows(context["report"])
        return [_report_html(template, context, _summary(rows, 0, len(rows), True), records)]
    css = _report_css()
    return [_report_html(template, context, None, records[i:i + PART_RECORDS], css=css)
            for i in range(0, len(records), PART_RECORDS)]


def summary_pages(context: dict, kept: run_cache.RunCache, overrides: Path | None = None) -> list[bytes]:
    """A long report's summary (its deadlines, donation log and records tables, a row per record
    and per request), laid out a page at a time (pipeline/paginate.py): after one record
    changed, only the page of its row is laid out again. None ([]) for a short report, whose
    one part holds its summary (report_parts)."""
    if not is_paged(context):
        return []
    template = report_template(overrides)
    rows = _summary_rows(context["report"])
    css = _report_css()

    def page_html(start: int, stop: int, first: bool, closing: bool) -> str:
        return _report_html(template, context, _summary(rows, start, stop, first), [], css=css)

    return lay_out_by_page(len(rows), page_html, document_id=f"{REPORT_ID}.summary", table="summary page",
                           templates=template_digest(("en", "compliance_report.html"), overrides=overrides),
                           kept=kept, overrides=overrides, closing_note=False)


def _summary_rows(report: dict) -> list[dict]:
    """The summary's tables as one run of rows: a page may end inside any of them."""
    rows = [{"section": "deadlines", "row": d} for d in report["deadlines"]] or [{"section": "deadlines", "row": None}]
    rows += [{"section": "donations", "row": d} for d in report["donation_log"]]
    return rows + [{"section": "records", "row": r} for r in report["records"]]


def _summary(rows: list[dict], start: int, stop: int, first: bool) -> dict:
    """Rows [start, stop) grouped by table, each table saying whether it opens here or goes on
    from the page before; "row-N" counts from the page's first row."""
    sections: list[dict] = []
    for n, row in enumerate(rows[start:stop]):
        if not sections or sections[-1]["name"] != row["section"]:
            opens = start + n == 0 or rows[start + n - 1]["section"] != row["section"]
            sections.append({"name": row["section"], "opens": opens, "rows": []})
        sections[-1]["rows"].append({"n": n, "row": row["row"]})
    return {"first": first, "sections": sections}


def lay_out_parts(htmls: list[str], overrides: Path | None = None) -> list[bytes]:
    """The parts' PDFs (in a worker process, beside the documents)."""
    return [html_to_pdf(html, f"{REPORT_ID}.part", overrides=overrides).pdf for html in htmls]


def _joined(context: dict, parts_pdf: list[bytes], kept: run_cache.RunCache) -> bytes:
    font = footer_font()

    dated = REPORT_DATED.format(id=REPORT_ID, as_of=context["report"]["as_of"])

    def page_of(total: int):
        def draw(index: int, box) -> bytes:
            text, y = REPORT_PAGE.format(page=index + 1, pages=total), box[1] + REPORT_FOOTER_BASELINE
            return FOOTER_COLOUR + font.show(FOOTER_FONT, dated, REPORT_FOOTER_SIZE, box[0] + REPORT_MARGIN, y) + \
                font.show_right(FOOTER_FONT, text, REPORT_FOOTER_SIZE, box[2] - REPORT_MARGIN, y)
        return draw

    buffer = io.BytesIO()
    join = PdfJoin(buffer)
    join.embed_font(FOOTER_FONT, font)
    segments = [kept_segment(join, pdf, kept, (FOOTER_FONT,), "report segment") for pdf in parts_pdf]
    stamp = page_of(sum(len(segment.pages) for segment in segments))
    for segment, pdf in zip(segments, parts_pdf):
        join.append_segment(segment, pdf, stamp)
    join.finish([], {"Title": f"Compliance report: {context['city']['legal_name']}, batch {context['report']['batch']}",
                     "Author": context["city"]["legal_name"], "Subject": f"{REPORT_ID}, as of {context['report']['as_of']}"},
                identifier=REPORT_ID.encode() + context["report"]["as_of"].encode())
    return buffer.getvalue()


# The report's footer, stamped on each page as the parts are joined: where the HTML's @page rule
# would put them when printed from a browser (templates_en/compliance_report.html).
REPORT_DATED = "{id} · as of {as_of}"  # bottom left
REPORT_PAGE = "Page {page} of {pages}"  # bottom right
REPORT_MARGIN = 1.8 / 2.54 * 72  # the report's side margins (templates_en/compliance_report.html)
REPORT_FOOTER_SIZE = 8.0
REPORT_FOOTER_BASELINE = 22.81  # points above the bottom edge


def _date(value, batch) -> dt.date | None:
    try:
        return parse_date(value, batch.city.data.get("date_order")) if value else None
    except ValueError:
        return None  # validation already reported it


def _source(shown: str, batch) -> str:
    """A record file relative to the records folder, so the report reads (and hashes) the same
    wherever the batch sits and whichever folder the build ran from."""
    path = Path(shown) if Path(shown).is_absolute() else Path.cwd() / shown
    try:
        return path.resolve().relative_to(batch.folder.parent.resolve()).as_posix()
    except ValueError:
        return shown


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value or "")
