"""Benchmark `sisterdocs check` on a generated 1,000-record batch.

Prints, as medians over several runs: records/second for loading and for validation, the
wall time of the whole `sisterdocs check` command (a fresh process, imports included), and the
ratio of our in-process check (load + validate + report) to bare Cerberus validating the same
records with the same schemas minus our custom rules. Targets (issue 2): the command under 5 s
for 1,000 records; check over bare Cerberus under 1.5x.

    python bench/check.py [--records 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cerberus

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pipeline.records import load_batch  # noqa: E402
from pipeline.schemas import load_schemas  # noqa: E402
from pipeline.validate import validate  # noqa: E402
from synthetic import generate  # noqa: E402

CUSTOM_RULES = {"bilingual", "date", "rfc", "vin", "country_code", "subdivision_of", "sat_purpose",
                "eligible_entity", "permit_listed"}


def strip_custom(rules):
    """The schema as plain Cerberus knows it: custom rules dropped, bilingual text a dict."""
    if isinstance(rules, dict):
        out = {k: strip_custom(v) for k, v in rules.items() if k not in CUSTOM_RULES}
        if rules.get("bilingual"):
            out["type"] = "dict"
        return out
    return rules


def bare_validators():
    schemas, registry = load_schemas()
    plain = cerberus.schema.SchemaRegistry()
    for name, shape in registry.all().items():
        plain.add(name, strip_custom(shape))
    return {kind: cerberus.Validator(strip_custom(schema), schema_registry=plain) for kind, schema in schemas.items()}


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sisterdocs-bench-"))
    try:
        folder = tmp / "bench"
        generate(folder, args.records)

        # The whole command first, then in-process figures; nothing else is alive while a
        # figure is taken, as in a real run (a second loaded batch makes the GC slower).
        command = [sys.executable, "-m", "pipeline", "check", str(folder)]
        walls = []
        for _ in range(max(3, args.runs // 2)):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, cwd=tmp)
            walls.append(time.perf_counter() - start)
            assert done.returncode == 0, done.stdout[-2000:]  # the generated batch is clean
        wall = statistics.median(walls)
        check_s = median_time(lambda: validate(load_batch(folder)).as_text(), args.runs)

        load_s = median_time(lambda: load_batch(folder), args.runs)
        batch = load_batch(folder)
        n = len(batch.records)
        validate_s = median_time(lambda: validate(batch), args.runs)

        bare = bare_validators()
        every = batch.all_records()
        bare_default_s = median_time(lambda: [bare[r.kind].validate(r.data) for r in every], args.runs)
        bare_plain_s = median_time(lambda: [bare[r.kind].validate(r.data, normalize=False) for r in every], args.runs)

        print(f"records: {n} ({len(batch.of_kind('partnership'))} partnerships, {len(batch.of_kind('donation'))} donations)"
              f"; medians of {args.runs} runs")
        print(f"load:                         {load_s:7.3f} s  {n / load_s:8.0f} records/s")
        print(f"validate:                     {validate_s:7.3f} s  {n / validate_s:8.0f} records/s")
        print(f"check in-process (load+validate+report): {check_s:.3f} s")
        print(f"`sisterdocs check` command wall time:    {wall:.3f} s  (target < 5 s)")
        print(f"bare Cerberus, validate(doc):            {bare_default_s:.3f} s  (normalization on, Cerberus' default)")
        print(f"bare Cerberus, validate(doc, normalize=False): {bare_plain_s:.3f} s")
        print(f"ratio check / bare Cerberus (default):          {check_s / bare_default_s:5.2f}x  (target < 1.5x)")
        print(f"ratio check / bare Cerberus (normalize=False):  {check_s / bare_plain_s:5.2f}x  (check includes YAML loading)")
        print(f"ratio validate / bare Cerberus (normalize=False): {validate_s / bare_plain_s:5.2f}x  (validation alone)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
