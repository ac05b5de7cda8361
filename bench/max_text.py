"""How long the example takes to build when every text is as long as `check` lets it be.

Issue 15: one 200 KB value used to pass `check` and keep `build` busy for more than 15 minutes
(the bilingual agreement's side-by-side layout grows faster than its text). `check` now caps every
value (validate.TEXT_LENGTH for prose, NAME_LENGTH for a one-line value); this measures what the
caps still allow. Every prose value of the records (a value with a space, not a one-line field)
is repeated to the prose cap and every one-line name or title to the name cap, the same way
wherever it recurs, so cross-record rules still hold. Prints each build's median and the ratio.

    .venv/bin/python bench/max_text.py [--runs 3] [--jobs 2]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bare import AS_OF  # noqa: E402
from pipeline.build import build  # noqa: E402
from pipeline.records import load_batch  # noqa: E402
from pipeline.validate import NAME_LENGTH, SINGLE_LINE, TEXT_LENGTH, validate  # noqa: E402

KEEP = {"email", "id", "status", "kind", "record", "item", "number", "resolution_number", "rfc", "vin", "serial_number",
        "unit_number", "tax_id", "state", "country", "office", "gender", "reference"}  # values other rules read exactly


def stretched(text: str, length: int) -> str:
    """`text` repeated to `length` characters, cut at a word."""
    out = (text + " ") * (length // (len(text) + 1) + 1)
    return out[:length].rsplit(" ", 1)[0]


def stretch(value, key: str = ""):
    if isinstance(value, dict):
        return {k: stretch(v, key if k in ("en", "es") else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [stretch(v, key) for v in value]
    if isinstance(value, str) and " " in value and key not in KEEP:
        return stretched(value, NAME_LENGTH if key in SINGLE_LINE else TEXT_LENGTH)
    return value


def make_batch(folder: Path) -> Path:
    """The example with every text stretched; a field whose schema sets a lower maxlength is
    stretched to that (read back from check's own schema.length findings)."""
    shutil.copytree(ROOT / "records", folder, dirs_exist_ok=True)
    originals = {}
    for path in (folder / "example").glob("*/*.yaml"):
        originals[path] = yaml.safe_load(path.read_text(encoding="utf-8"))
        _write(path, stretch(originals[path]))
    batch = load_batch(folder / "example")
    for finding in validate(batch, as_of=AS_OF).errors:
        if finding.rule != "schema.length":
            continue
        path = next(p for p in originals if str(p).endswith(finding.file.rsplit("/example/", 1)[-1]))
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        steps = [int(s[1:-1]) if s.startswith("[") else s for s in re.findall(r"\[\d+\]|[^.\[\]]+", finding.field)]
        holder, original = data, originals[path]
        for step in steps[:-1]:
            holder, original = holder[step], original[step]
        cap = int(re.search(r"at most ([\d,]+)", finding.message).group(1).replace(",", ""))
        holder[steps[-1]] = stretched(original[steps[-1]], cap)
        _write(path, data)
    return folder / "example"


def _write(path: Path, data) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


def timed(batch: Path, out: Path, runs: int, jobs: int) -> tuple[float, int, int]:
    times, result = [], None
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        result = build(batch, out, as_of=AS_OF, jobs=jobs, force=True, keep_going=True)
        times.append(time.perf_counter() - start)
    errors = len(result.report.errors)
    return statistics.median(times), len(result.written or []), errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        normal = ROOT / "records" / "example"
        longest = make_batch(tmp / "records")
        base, base_files, _ = timed(normal, tmp / "out-normal", args.runs, args.jobs)
        big, big_files, errors = timed(longest, tmp / "out-long", args.runs, args.jobs)
    print(f"example as written:         median {base:6.2f} s  ({base_files} files)")
    print(f"every text at its maximum:  median {big:6.2f} s  ({big_files} files; {errors} records' errors)")
    print(f"ratio: {big / base:.2f}  (prose cap {TEXT_LENGTH:,} characters, one-line cap {NAME_LENGTH})")


if __name__ == "__main__":
    main()
