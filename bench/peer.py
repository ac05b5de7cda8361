"""Benchmark sisterdocs against its peer path: the same documents as DOCX, printed to PDF by
LibreOffice headless (one instance per core, each converting its share in one batched run).

Prints, from one run on one machine:
  - our full build (`python -m pipeline build -j 2`, a fresh output): seconds, PDF pages, pages/s;
  - LibreOffice on the DOCX files that build wrote (the documents the legal office edits):
    seconds, pages, pages/s;
  - the ratio of their pages/s, and our no-op and one-record-changed rebuilds beside the time
    LibreOffice needs to print the DOCX of that one record again.

A full rebuild is LibreOffice's ground (it lays out pages faster than WeasyPrint); the edit loop
is ours (nothing unchanged is laid out again). Both figures come from the same batch and the
same cores, so the comparison says where each is faster, not how fast this machine is.

    python bench/peer.py [--records 40]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bare import AS_OF, harfbuzz_line  # noqa: E402
from synthetic import generate  # noqa: E402

JOBS = 2


def build(folder: Path, out: Path) -> float:
    command = [sys.executable, "-m", "pipeline", "build", str(folder), "--out", str(out), "--as-of", AS_OF.isoformat(),
               "-j", str(JOBS), "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - start


def _docx(task) -> int:
    from pipeline.render import render_docx, render_html

    return len(render_docx(task, render_html(task)))


def docxtpl_side(folder: Path) -> tuple[float, int]:
    """(seconds, documents): the DOCX of every document that has one, made with docxtpl (the
    pipeline's own shells and body), on JOBS processes: the first half of the peer path."""
    from concurrent.futures import ProcessPoolExecutor

    from bare import planned

    tasks = [task for task in planned(folder)[2] if "docx" in task.plan.formats]
    start = time.perf_counter()
    with ProcessPoolExecutor(JOBS) as pool:
        list(pool.map(_docx, tasks, chunksize=4))
    return time.perf_counter() - start, len(tasks)


def libreoffice(docx: list[Path], out: Path, tmp: Path) -> float:
    """Seconds for JOBS LibreOffice instances (own profiles) to print `docx` to PDF, a share each.

    Every record's documents share file names (agreement.en.docx, ...) and LibreOffice names a PDF
    after its DOCX in one output folder, so each DOCX is linked first under a name of its own:
    otherwise the PDFs overwrite each other and the pages are undercounted."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SystemExit("soffice not found: install the Debian package libreoffice-writer-nogui")
    staged = out.parent / f"{out.name}-docx"
    staged.mkdir(parents=True)
    named = []
    for n, path in enumerate(docx):
        named.append(staged / f"{n:05d}-{path.parent.name}-{path.name}")
        os.link(path, named[-1])
    docx = named
    shares = [docx[i::JOBS] for i in range(JOBS)]

    def convert(n: int) -> None:
        if not shares[n]:
            return
        target = out / f"part{n}"
        target.mkdir(parents=True, exist_ok=True)
        profile = (tmp / f"profile{n}").as_uri()
        subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(target), *map(str, shares[n])], check=True, capture_output=True)

    for n in range(JOBS):  # first start of a profile writes it: not part of printing
        subprocess.run([soffice, f"-env:UserInstallation={(tmp / f'profile{n}').as_uri()}", "--headless", "--terminate_after_init"],
                       capture_output=True)
    start = time.perf_counter()
    with ThreadPoolExecutor(JOBS) as pool:
        list(pool.map(convert, range(JOBS)))
    seconds = time.perf_counter() - start
    printed = len(list(out.rglob("*.pdf")))
    if printed != len(docx):
        raise SystemExit(f"LibreOffice printed {printed} PDFs of {len(docx)} DOCX: its figures would not be the same documents'")
    return seconds


def pages(paths) -> int:
    from pypdf import PdfReader

    return sum(len(PdfReader(io.BytesIO(path.read_bytes())).pages) for path in paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=40)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sisterdocs-peer-"))
    try:
        folder = tmp / "peer"
        generate(folder, args.records, approved=True)
        print(f"batch: {args.records} records; {os.cpu_count()} cores, {JOBS} jobs each side", flush=True)

        ours_s = build(folder, tmp / "out")
        built = tmp / "out" / "peer"
        manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
        # the documents' own pages: the packet (joined, not laid out) and the report are left out
        our_pages = sum(f.get("pages", 0) for f in manifest["files"] if f["format"] == "pdf" and f.get("record") != "*")
        docx = [built / f["path"] for f in manifest["files"] if f["format"] == "docx"]
        print(f"sisterdocs full build: {ours_s:7.1f} s  {our_pages} document PDF pages (and {len(docx)} DOCX, PDF/A "
              f"copies, packet, report)  {our_pages / ours_s:6.1f} pages/s", flush=True)

        docx_s, docx_count = docxtpl_side(folder)
        lo_s = libreoffice(docx, tmp / "lo", tmp)
        lo_pages = pages(sorted((tmp / "lo").rglob("*.pdf")))
        peer_s = docx_s + lo_s
        print(f"peer path: docxtpl {docx_count} DOCX {docx_s:6.1f} s + LibreOffice headless → PDF {lo_s:6.1f} s = "
              f"{peer_s:7.1f} s  {lo_pages} pages  {lo_pages / peer_s:6.1f} pages/s (LibreOffice alone "
              f"{lo_pages / lo_s:6.1f} pages/s)", flush=True)
        ratio = (lo_pages / peer_s) / (our_pages / ours_s)
        print(f"pages/s, peer path / sisterdocs: {ratio:.2f}  (a full rebuild: "
              f"{'the peer path' if ratio > 1 else 'sisterdocs'} is faster per page)", flush=True)

        noop_s = build(folder, tmp / "out")
        changed = folder / "partnerships" / "par-00000.yaml"
        changed.write_text(changed.read_text(encoding="utf-8").replace("Nuevo Laredo", "Nuevo Laredo (changed)", 1),
                           encoding="utf-8")
        one_s = build(folder, tmp / "out")
        one_docx = [path for path in docx if "/par-00000/" in path.as_posix()]
        lo_one_s = libreoffice(one_docx, tmp / "lo-one", tmp)
        print(f"edit loop: sisterdocs no-op {noop_s:.2f} s, one record changed {one_s:.2f} s (documents, packet, report); "
              f"LibreOffice printing that record's {len(one_docx)} DOCX alone {lo_one_s:.2f} s, before any packet", flush=True)
        print(harfbuzz_line())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
