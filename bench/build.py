"""Benchmark `sisterdocs build` on the example scaled to 100 partnerships and 100 donations.

Prints, as medians over several runs, documents/s and pages/s for the whole pipeline
(load → validate → plan → render PDF+DOCX → write), and the ratio to bare WeasyPrint rendering
the same HTML to PDF in the same run, both on every core. The target (issue 18): the full build
ahead of bare WeasyPrint, a ratio below 1.0, though the build also makes the DOCX, the archival
copies, the packet and the report, and bare is timed without making its HTML. Each run of the
build writes into an empty output folder, so its run cache (kept per output folder) starts empty
too; Jinja's compiled templates are kept, as after any first run. Also says whether HarfBuzz
subsetting is available.

    python bench/build.py [--records 200] [--runs 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bare import AS_OF, bare_render, document_htmls, harfbuzz_line, planned  # noqa: E402
from pipeline.build import build  # noqa: E402
from synthetic import generate  # noqa: E402


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
        batch, the_plan, tasks = planned(folder)
        htmls = document_htmls(tasks)
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
        print(f"ratio pipeline / bare: {pipeline_s / bare_s:.3f}  (target < 1.0: the full build ahead of bare WeasyPrint)")
        print(harfbuzz_line())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
