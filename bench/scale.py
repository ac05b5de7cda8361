"""Benchmark `sisterdocs build` at scale: a synthetic batch (half partnerships, half donations).

Prints, for whole `python -m pipeline build` processes:
  - full-build time and pages/s with 2 jobs and with 1 job, and the parallel efficiency
    (t1 / (2 · t2)); --one-job-records measures the 1-job build on a smaller batch when the
    full one would take too long (the efficiency is then computed on that batch at both counts);
  - the peak RSS of the largest single process of each build;
  - the ratio of the full 2-job build to bare WeasyPrint rendering of the same documents' HTML
    to PDF, on the same cores, in the same run;
  - the edit loop (issue 18): `check` of the built batch, a no-op rebuild and a rebuild after one
    record changed (the documents each rendered), each the median of --repeat runs, with the
    ratios to `check`;
  - with --check-records N: `check` of an N-record batch, cold and warm (the run cache), and its
    peak RSS.
Issue 5's targets on a 2-core machine: efficiency ≥ 85%, no-op < 2% of the full build,
one-record change renders only that record's documents (and the packet), peak RSS < 500 MB,
full build within 20% of bare rendering. Issue 18's: one record changed ≤ check + 5 s, no-op
≤ 1.2 × check (1,000 records); check of 10,000 records ≤ 10 s and ≤ 400 MB; the full build ahead
of bare rendering (a ratio below 1.0).

    python bench/scale.py [--records 1000] [--one-job-records N] [--workdir DIR] [--edit-loop-only]
                          [--repeat 3] [--check-records 10000] [--check-only]

--workdir keeps the generated batch and its output between runs (a full build of 1,000 records
takes over an hour on two cores); --edit-loop-only skips the full-build, bare and efficiency
figures and measures the edit loop on the batch built there.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
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


def timed_check(folder: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one `check` process, run where the build's output is (its cache)."""
    command = [sys.executable, "-m", "pipeline", "check", str(folder), "--as-of", AS_OF.isoformat()]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=folder.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    error = process.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"check failed:\n{error}")
    return elapsed, usage.ru_maxrss / 1024


def median(values: list[float]) -> float:
    return statistics.median(values)


def edit_loop(folder: Path, out: Path, jobs: int, repeat: int) -> None:
    """check, no-op and one-record-changed rebuilds on a built batch: medians and ratios.

    Two edits: the partner city's name (shown in the packet's index) in a partnership no other record names (its own documents,
    the packet and its index change), and in par-00000, which every other donation of the
    synthetic batch names as its recipient's partnership (each of those texts is hashed again,
    and those whose inputs changed are rendered to learn their words)."""
    timed_build(folder, out, jobs)  # whatever an earlier run left undone, and the cache written
    checks = [timed_check(folder)[0] for _ in range(repeat)]
    noops = [timed_build(folder, out, jobs) for _ in range(repeat)]
    check_s, noop_s = median(checks), median([r[0] for r in noops])
    print(f"check (the build's cache warm): median {check_s:.2f} s of {repeat}", flush=True)
    print(f"no-op rebuild: median {noop_s:.2f} s = {noop_s / check_s:.2f} × check (target ≤ 1.2); "
          f"{rendered_count(noops[0][2])} documents rendered; peak RSS {max(r[1] for r in noops):.0f} MB", flush=True)
    named = {path.stem for path in (folder / "donations").glob("*.yaml")
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip().startswith("partnership:")
             and line.split(":", 1)[1].strip() != "par-00000"}
    alone = next(path for path in sorted((folder / "partnerships").glob("*.yaml"))[1:] if path.stem not in named)
    for changed, label in ((alone, f"{alone.stem}, named by no other record"),
                           (folder / "partnerships" / "par-00000.yaml", "par-00000, named by every other donation")):
        original = changed.read_text(encoding="utf-8")
        ones = []
        for n in range(repeat):
            edited = re.sub(r"(\npartner:\n  name: )(.*)", rf"\g<1>\g<2> (change {n + 1})", original, count=1)
            if edited == original:
                raise SystemExit(f"{changed}: no partner name to change")
            changed.write_text(edited, encoding="utf-8")
            ones.append(timed_build(folder, out, jobs))
        changed.write_text(original, encoding="utf-8")
        timed_build(folder, out, jobs)
        one_s = median([r[0] for r in ones])
        print(f"one record changed ({label}): median {one_s:.2f} s = check + {one_s - check_s:.2f} s (target ≤ + 5 s); "
              f"{rendered_count(ones[0][2])} documents rendered; peak RSS {max(r[1] for r in ones):.0f} MB", flush=True)


def check_at_scale(records: int, tmp: Path, repeat: int) -> None:
    folder = tmp / f"check-{records}" / "batch"
    if not folder.exists():
        generate(folder, records, approved=True)
    cold = timed_check(folder)
    warm = [timed_check(folder) for _ in range(repeat)]
    print(f"check of {records} records: cold {cold[0]:.2f} s, peak RSS {cold[1]:.0f} MB; warm (the run cache) median "
          f"{median([w[0] for w in warm]):.2f} s, peak RSS {max(w[1] for w in warm):.0f} MB (target ≤ 10 s, ≤ 400 MB)",
          flush=True)


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
    parser.add_argument("--workdir", type=Path, default=None, help="keep the batch and its output here between runs")
    parser.add_argument("--edit-loop-only", action="store_true", help="only the edit loop, on the batch built in --workdir")
    parser.add_argument("--repeat", type=int, default=3, help="runs per edit-loop figure (medians)")
    parser.add_argument("--check-records", type=int, default=0, help="also time check on a batch this size")
    parser.add_argument("--check-only", action="store_true", help="only the check of --check-records records")
    args = parser.parse_args()
    jobs = 2
    tmp = args.workdir or Path(tempfile.mkdtemp(prefix="sisterdocs-scale-"))
    try:
        if args.check_only:
            check_at_scale(args.check_records or 10000, tmp, args.repeat)
            return
        folder = tmp / "scale"
        if not folder.exists():
            generate(folder, args.records, approved=True)
        print(f"batch: {args.records} records ({args.records // 2 + args.records % 2} partnerships, "
              f"{args.records // 2} donations); {os.cpu_count()} cores", flush=True)
        if args.edit_loop_only:
            edit_loop(folder, tmp / "out", jobs, args.repeat)
            if args.check_records:
                check_at_scale(args.check_records, tmp, args.repeat)
            return

        full, full_rss, output = timed_build(folder, tmp / "out", jobs)
        documents = rendered_count(output)
        bare_s, bare_docs, pages = timed_bare(folder, jobs)
        print(f"full build, {jobs} jobs: {full:8.1f} s  {documents} documents ({bare_docs} PDF, {pages} PDF pages)  "
              f"{pages / full:6.1f} pages/s  peak RSS {full_rss:6.0f} MB", flush=True)
        print(f"bare WeasyPrint, same HTML, {jobs} jobs: {bare_s:8.1f} s  {pages / bare_s:6.1f} pages/s", flush=True)
        print(f"ratio full build / bare: {full / bare_s:.3f}  (issue 5's target within 1.2; issue 18's below 1.0)", flush=True)

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
        edit_loop(folder, tmp / "out", jobs, args.repeat)
        if args.check_records:
            check_at_scale(args.check_records, tmp, args.repeat)
        print(harfbuzz_line())
    finally:
        if args.workdir is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
