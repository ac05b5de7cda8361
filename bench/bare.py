"""What both build benchmarks compare against: bare WeasyPrint on the same documents' HTML."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipeline.build import environment_warnings, make_tasks
from pipeline.plan import plan
from pipeline.records import load_batch
from pipeline.render import ASSETS, render_html
from pipeline.validate import validate

AS_OF = dt.date(2026, 12, 9)  # the day after the example's council meeting: every gate open


def planned(folder: Path):
    """(batch, plan, render tasks) for a build of `folder` on AS_OF; the batch must be valid."""
    batch = load_batch(folder)
    report = validate(batch, as_of=AS_OF)
    assert not report.errors, [f.text() for f in report.errors[:3]]
    the_plan = plan(batch, report, AS_OF)
    return batch, the_plan, make_tasks(batch, the_plan)


def document_htmls(tasks) -> list[str]:
    """The HTML of every PDF document among `tasks`, as the pipeline makes it."""
    return [render_html(task) for task in tasks if "pdf" in task.plan.formats]


def bare_pdf(html: str) -> int:
    """WeasyPrint as its documentation shows it: one call per document, nothing shared."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=ASSETS.as_uri() + "/").render()
    document.write_pdf()
    return len(document.pages)


def bare_render(htmls: list[str], jobs: int) -> int:
    """Pages rendered; on `jobs` processes, in the pipeline's chunks, so neither side gains from the split."""
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return sum(pool.map(bare_pdf, htmls, chunksize=max(1, min(8, len(htmls) // (jobs * 4)))))


def harfbuzz_line() -> str:
    warnings = environment_warnings()
    return "HarfBuzz subsetting: " + ("MISSING - " + warnings[0] if warnings else "available (libharfbuzz-subset0)")
