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
import copy
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cerberus
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.records import load_batch  # noqa: E402
from pipeline.schemas import load_schemas  # noqa: E402
from pipeline.validate import validate  # noqa: E402

CUSTOM_RULES = {"bilingual", "date", "rfc", "vin", "country_code", "subdivision_of", "sat_purpose",
                "eligible_entity", "permit_listed"}


def generate(folder: Path, count: int) -> None:
    """Write a batch of `count` records modelled on records/example (half partnerships, half donations)."""
    example = ROOT / "records" / "example"
    city = yaml.safe_load((ROOT / "records" / "city.yaml").read_text(encoding="utf-8"))
    city["resolution_number"] = {"pattern": r"\d{4}-R-\d{2,5}", "example": "2026-R-10001"}
    templates = {
        "partnerships": [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((example / "partnerships").glob("*.yaml"))],
        "donations": [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((example / "donations").glob("*.yaml"))],
    }
    folder.mkdir(parents=True)
    (folder / "city.yaml").write_text(yaml.safe_dump(city, allow_unicode=True, sort_keys=False), encoding="utf-8")
    agenda = []
    for n in range(count):
        kind = "partnerships" if n % 2 == 0 else "donations"
        record = copy.deepcopy(templates[kind][(n // 2) % len(templates[kind])])
        record["id"] = f"{kind[:3]}-{n:05d}"
        record["council"]["resolution_number"] = f"2026-R-{10000 + n}"
        if record.get("recipient", {}).get("partnership"):
            record["recipient"]["partnership"] = "par-00000"  # the first partnership: Dos Laredos
        for i, item in enumerate(record.get("items", [])):
            item["unit_number"] = f"U{n:05d}-{i}"
        (folder / kind).mkdir(exist_ok=True)
        (folder / kind / f"{record['id']}.yaml").write_text(
            yaml.safe_dump(record, allow_unicode=True, sort_keys=False), encoding="utf-8")
        agenda.append({"item": f"10.{n + 1}", "record": record["id"]})
    meeting = yaml.safe_load((example / "batch.yaml").read_text(encoding="utf-8"))
    meeting["agenda"] = agenda
    (folder / "batch.yaml").write_text(yaml.safe_dump(meeting, sort_keys=False), encoding="utf-8")


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
