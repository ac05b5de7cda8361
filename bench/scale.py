"""Benchmark `sisterdocs build` at scale: a synthetic batch (half partnerships, half donations).

Prints, for whole `python -m pipeline build` processes:
  - full-build time and pages/s with 2 jobs and with 1 job, and the parallel efficiency
    (t1 / (2 · t2)); --one-job-records measures the 1-job build on a smaller batch when the
    full one would take too long (the efficiency is then computed on that batch at both counts);
  - the no-op rebuild time and its share of the full build;
  - the rebuild time after one record changes, and how many documents it rendered;
  - the peak RSS of the largest single process of each build;
  - the ratio of the full 2-job build to bare WeasyPrint rendering of the same documents' HTML
    to PDF, on the same cores, in the same run.
Issue 5's targets on a 2-core machine: efficiency ≥ 85%, no-op < 2% of the full build,
one-record change renders only that record's documents (and the packet), peak RSS < 500 MB,
full build within 20% of bare rendering.

    python bench/scale.py [--records 1000] [--one-job-records N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bare import AS_OF, bare_render, document_htmls, harfbuzz_line, planned  # noqa: E402
from synthetic import generate  # noqa: E402


def timed_build(folder: Path, out: Path, jobs: int, *extra: str) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB of the largest process, output) of one build process."""
    command = [sys.executable, "-m", "pipeline", "build", str(folder), "--out", str(out), "--as-of", AS_OF.isoformat(),
               "-j", str(jobs), "--quiet", *extra]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build failed:\n{output}")
    return elapsed, usage.ru_maxrss / 1024, output


def rendered_count(output: str) -> int:
    match = re.search(r"(\d+) documents rendered", output)
    return int(match.group(1)) if match else -1


def timed_bare(folder: Path, jobs: int) -> tuple[float, int, int]:
    """(seconds, documents, pages) for bare WeasyPrint on every PDF document's HTML."""
    htmls = document_htmls(planned(folder)[2])
    start = time.perf_counter()
    pages = bare_render(htmls, jobs)
    return time.perf_counter() - start, len(htmls), pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--one-job-records", type=int, default=0,
                        help="measure parallel efficiency on a batch this size (default: the full batch)")
    args = parser.parse_args()
    jobs = 2
    tmp = Path(tempfile.mkdtemp(prefix="sisterdocs-scale-"))
    try:
        folder = tmp / "scale"
        generate(folder, args.records, approved=True)
        print(f"batch: {args.records} records ({args.records // 2 + args.records % 2} partnerships, "
              f"{args.records // 2} donations); {os.cpu_count()} cores", flush=True)

        full, full_rss, output = timed_build(folder, tmp / "out", jobs)
        documents = rendered_count(output)
        bare_s, bare_docs, pages = timed_bare(folder, jobs)
        print(f"full build, {jobs} jobs: {full:8.1f} s  {documents} documents ({bare_docs} PDF, {pages} PDF pages)  "
              f"{pages / full:6.1f} pages/s  peak RSS {full_rss:6.0f} MB", flush=True)
        print(f"bare WeasyPrint, same HTML, {jobs} jobs: {bare_s:8.1f} s  {pages / bare_s:6.1f} pages/s", flush=True)
        print(f"ratio full build / bare: {full / bare_s:.3f}  ({100 * (full / bare_s - 1):+.1f}%; target within +20%)", flush=True)

        noop, noop_rss, output = timed_build(folder, tmp / "out", jobs)
        print(f"no-op rebuild: {noop:8.2f} s = {100 * noop / full:.2f}% of the full build (target < 2%); "
              f"{rendered_count(output)} documents rendered; peak RSS {noop_rss:.0f} MB", flush=True)

        changed = folder / "partnerships" / "par-00000.yaml"
        changed.write_text(changed.read_text(encoding="utf-8").replace("Nuevo Laredo", "Nuevo Laredo (changed)", 1),
                           encoding="utf-8")
        one, one_rss, output = timed_build(folder, tmp / "out", jobs)
        print(f"one record changed: {one:8.2f} s; {rendered_count(output)} documents rendered "
              f"(that record's; the packet and report are reassembled when they show it); peak RSS {one_rss:.0f} MB",
              flush=True)

        if args.one_job_records and args.one_job_records < args.records:
            small = tmp / "small"
            generate(small, args.one_job_records, approved=True)
            two, _, _ = timed_build(small, tmp / "small-out2", jobs)
            single, single_rss, _ = timed_build(small, tmp / "small-out1", 1)
            label = f"{args.one_job_records}-record batch"
        else:
            two, single, label = full, None, "full batch"
            single, single_rss, _ = timed_build(folder, tmp / "out1", 1)
        print(f"parallel efficiency on the {label}: 1 job {single:8.1f} s, {jobs} jobs {two:8.1f} s → "
              f"{100 * single / (jobs * two):.1f}% (target ≥ 85%); 1-job peak RSS {single_rss:.0f} MB", flush=True)
        print(harfbuzz_line())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
