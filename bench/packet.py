"""Benchmark council packet assembly alone, on documents already built.

Builds a batch once (the example after its council meeting, or a synthetic batch of --records
records, every donation approved), then times `council_packet` over the written documents
--runs times, as the build calls it (front matter, join, stamps, written to a file), and
prints the median and the spread. The build itself is not timed: bench/build.py and
bench/scale.py do that. --reuse DIR builds there once and later runs time the packet over the
same documents, so two versions of the assembly code can be compared on equal terms.

    python bench/packet.py [--records 0] [--runs 7] [--reuse DIR]     # 0: the example batch
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bare import AS_OF  # noqa: E402
from pipeline.assemble import council_packet  # noqa: E402
from pipeline.build import build  # noqa: E402
from pipeline.plan import plan  # noqa: E402
from pipeline.records import load_batch  # noqa: E402
from pipeline.validate import validate  # noqa: E402
from synthetic import generate  # noqa: E402


def example_after_meeting(folder: Path) -> None:
    """records/example with both donations approved, as tests/conftest.py approve_donations makes it."""
    shutil.copytree(ROOT / "records" / "example", folder)
    shutil.copy(ROOT / "records" / "city.yaml", folder / "city.yaml")
    for name in ("don-2026-nld-public-works", "don-2026-nld-bomberos"):
        path = folder / "donations" / f"{name}.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("status: requested", "status: council_approved", 1),
                        encoding="utf-8")
    with open(folder / "donations" / "don-2026-nld-bomberos.yaml", "a", encoding="utf-8") as handle:
        handle.write("pickup:\n  name: Héctor Villarreal Garza\n  id_type: ine\n  id_number: VLGRHC75021428H700\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=0, help="synthetic batch size; 0 for the example batch")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse", type=Path, help="build into this folder once, and reuse what is built there")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sisterdocs-packet-bench-"))
    try:
        work = args.reuse or tmp
        folder, out = work / "bench", work / "out" / "bench"
        if not (out / "manifest.json").is_file():
            shutil.rmtree(work / "bench", ignore_errors=True)
            if args.records:
                generate(folder, args.records, approved=True)
            else:
                example_after_meeting(folder)
            result = build(folder, work / "out", as_of=AS_OF, jobs=os.cpu_count())
            assert not result.report.errors and result.plan, [f.text() for f in result.report.errors[:3]]
        batch = load_batch(folder)
        the_plan = plan(batch, validate(batch, as_of=AS_OF), AS_OF)
        files = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
        times = []
        for _ in range(args.runs):
            with open(tmp / "packet.pdf", "wb") as handle:
                start = time.perf_counter()
                council_packet(handle, out, batch, the_plan, files)
                times.append(time.perf_counter() - start)
        pages = len(PdfReader(tmp / "packet.pdf").pages)
        size = (tmp / "packet.pdf").stat().st_size
        example = (folder / "partnerships" / "dos-laredos.yaml").is_file()
        what = "the example batch (after its meeting)" if example else f"{len(batch.records)} synthetic records"
        print(f"council packet of {what}: {pages} pages, {size / 1024:.0f} KiB; {args.runs} runs")
        print(f"assembly: median {statistics.median(times):.3f} s  min {min(times):.3f} s  max {max(times):.3f} s  "
              f"({pages / statistics.median(times):.0f} pages/s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
