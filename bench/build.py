"""Benchmark `sisterdocs build` on the example scaled to 100 partnerships and 100 donations.

Prints, as medians over several runs, documents/s and pages/s for the whole pipeline
(load → validate → plan → render PDF+DOCX → write), and the ratio to bare WeasyPrint rendering
the same HTML to PDF in the same run, both on every core. Issue 3's target: pipeline overhead
under 15% of bare rendering. Also says whether HarfBuzz subsetting is available.

    python bench/build.py [--records 200] [--runs 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pipeline.build import build, environment_warnings, make_tasks  # noqa: E402
from pipeline.plan import plan  # noqa: E402
from pipeline.records import load_batch  # noqa: E402
from pipeline.render import ASSETS, render_html  # noqa: E402
from pipeline.validate import validate  # noqa: E402
from synthetic import generate  # noqa: E402

AS_OF = dt.date(2026, 12, 9)  # the day after the example's council meeting: every gate open


def bare_pdf(html: str) -> int:
    """WeasyPrint as its documentation shows it: one call per document, nothing shared."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=ASSETS.as_uri() + "/").render()
    document.write_pdf()
    return len(document.pages)


def bare_render(htmls: list[str], jobs: int) -> int:
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        # The pipeline's chunking, so neither side gains from how the work is split.
        return sum(pool.map(bare_pdf, htmls, chunksize=max(1, min(8, len(htmls) // (jobs * 4)))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sisterdocs-build-bench-"))
    try:
        folder = tmp / "bench"
        generate(folder, args.records, approved=True)
        batch = load_batch(folder)
        report = validate(batch, as_of=AS_OF)
        assert not report.errors, [f.text() for f in report.errors[:3]]
        the_plan = plan(batch, report, AS_OF)
        htmls = [render_html(task) for task in make_tasks(batch, the_plan) if "pdf" in task.plan.formats]
        documents = len(the_plan.documents)
        docx_files = sum("docx" in d.formats for d in the_plan.documents)

        pipeline_times, bare_times, pages = [], [], 0
        for run in range(args.runs):  # alternate the two, so drift on a noisy machine hits both alike
            out = tmp / f"out{run}"
            start = time.perf_counter()
            result = build(folder, out, as_of=AS_OF, jobs=args.jobs)
            pipeline_times.append(time.perf_counter() - start)
            assert len(result.rendered) == documents, (len(result.rendered), documents)
            start = time.perf_counter()
            pages = bare_render(htmls, args.jobs)
            bare_times.append(time.perf_counter() - start)
            shutil.rmtree(out)

        pipeline_s, bare_s = statistics.median(pipeline_times), statistics.median(bare_times)
        print(f"batch: {len(batch.of_kind('partnership'))} partnerships, {len(batch.of_kind('donation'))} donations; "
              f"{documents} documents ({len(htmls)} PDF, {docx_files} DOCX), {pages} PDF pages; "
              f"{args.jobs} jobs; medians of {args.runs} runs")
        print(f"pipeline (load → write, PDF + DOCX): {pipeline_s:7.2f} s  {documents / pipeline_s:6.1f} documents/s  "
              f"{pages / pipeline_s:6.1f} pages/s")
        print(f"bare WeasyPrint, same HTML, PDF only: {bare_s:7.2f} s  {len(htmls) / bare_s:6.1f} PDFs/s       "
              f"{pages / bare_s:6.1f} pages/s")
        print(f"ratio pipeline / bare: {pipeline_s / bare_s:.3f}  (overhead {100 * (pipeline_s / bare_s - 1):+.1f}%; target < +15%)")
        warnings = environment_warnings()
        print("HarfBuzz subsetting: " + ("MISSING - " + warnings[0] if warnings else "available (libharfbuzz-subset0)"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
