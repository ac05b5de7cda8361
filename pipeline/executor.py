"""Where documents render: worker processes on this machine, or the workers of a Dask cluster.

Both are `concurrent.futures` executors, so the build does not care which it has. The main
process still plans, writes and commits the generation; workers only turn tasks into bytes.
Tasks go out a bounded window at a time, so the main process holds a few results and a few
pending tasks whatever the batch size.

A Dask worker makes the same bytes as this machine only with the same sisterdocs, the same
templates and the same rendering libraries, so before the first task each worker's environment
is compared with this one's and the build is refused on any difference.
"""

from __future__ import annotations

import ctypes.util
import hashlib
import importlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

LOCAL = "processes"
CONNECT_TIMEOUT = "15s"  # a scheduler not answering by then is reported, not waited on
DASK_SCHEME = "dask://"
# What decides a rendered document's bytes, besides the templates and the task itself.
RENDERING_PACKAGES = ("weasyprint", "pydyf", "fonttools", "tinycss2", "cssselect2", "pypdf", "docxtpl", "python-docx",
                     "pyhanko", "jinja2", "babel", "pillow")


class ExecutorError(Exception):
    """The executor cannot be used; the message says why and what to do."""


def check_spec(spec: str | None) -> str:
    """`processes`, or `dask://HOST:PORT` (a Dask scheduler); anything else is refused here,
    before the batch is read."""
    if spec is None or spec == LOCAL:
        return LOCAL
    if spec.startswith(DASK_SCHEME) and spec[len(DASK_SCHEME):].strip():
        return spec
    raise ExecutorError(f"'{spec}' is not an executor: use '{LOCAL}' (this machine's cores) or "
                        f"'{DASK_SCHEME}HOST:PORT' (a Dask scheduler, e.g. {DASK_SCHEME}10.0.0.5:8786)")


class Standby:
    """This machine's worker processes, started before the build knows how much it will render.

    A rebuild works out every document's inputs before it knows what changed (a second at 1,000
    records); the workers load WeasyPrint, docxtpl and the fonts meanwhile on the other cores,
    so the first document starts rendering when the tasks are known, not half a second later.
    A build that ends up rendering too little for a pool lets the workers finish loading and go."""

    def __init__(self, spec: str | None, jobs: int):
        self.pool = None
        if check_spec(spec) == LOCAL and jobs > 1:
            # Loaded once, here: the packet's and the report's pages are laid out in this process
            # too, and forked workers start with it (0.5 s a process, a quarter of it finding libraries).
            importlib.import_module("weasyprint")
            self.pool = ProcessPoolExecutor(max_workers=jobs)
            for _ in range(jobs):  # the first submit starts every worker; each loads what rendering needs
                self.pool.submit(warm_up)
        self.used = False

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=self.used, cancel_futures=True)
            self.pool = None


@contextmanager
def standby(spec: str | None, jobs: int) -> Iterator[Standby]:
    workers = Standby(spec, jobs)
    try:
        yield workers
    finally:
        workers.close()


def warm_up() -> None:
    """Load in a worker what every document's rendering loads on first use."""
    from pipeline.render import _font_config

    for module in ("docxtpl", "pipeline.docx_body"):
        importlib.import_module(module)
    _font_config()


# Tasks out per worker (process or thread): the main process is away from the results for up to
# about two seconds at a time (joining the council packet, laying out the report's summary), and a
# worker renders a document in about a fifth of a second, so a dozen apiece keep every worker busy
# through it. The main process holds at most this many results per worker.
TASKS_OUT_PER_WORKER = 12


@contextmanager
def open_executor(spec: str | None, jobs: int, work: int, overrides: Path | None = None,
                  standing: Standby | None = None) -> Iterator[tuple[Executor | None, int]]:
    """(executor, window): None when `work` is too small for a pool to pay for itself on this
    machine (the caller renders in-process). `window` is how many tasks may be out at once.
    `standing`: workers already started here (Standby), used rather than starting others."""
    spec = check_spec(spec)
    if spec == LOCAL:
        if jobs <= 1 or work <= 2:
            yield None, 1
            return
        if standing is not None and standing.pool is not None:
            standing.used = True
            yield standing.pool, jobs * TASKS_OUT_PER_WORKER  # shut down by its owner
            return
        pool = ProcessPoolExecutor(max_workers=jobs)
        try:
            yield pool, jobs * TASKS_OUT_PER_WORKER
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    client = _dask_client(spec[len(DASK_SCHEME):])
    try:
        threads = _check_workers(client, spec, overrides)
        pool = client.get_executor(pure=False)  # every task is rendered, never deduplicated by Dask
        try:
            yield pool, threads * TASKS_OUT_PER_WORKER
        finally:
            pool.shutdown(wait=False)
    finally:
        client.close()


def in_order(pool: Executor | None, fn: Callable, items: Iterable, window: int) -> Iterator:
    """fn(item) for each item, in order, with at most `window` submitted and not yet taken.
    The first window goes out now, so the caller can do other work while it renders."""
    if pool is None:
        return map(fn, items)
    pending: deque = deque()
    remaining = iter(items)
    for item in remaining:
        pending.append(pool.submit(fn, item))
        if len(pending) >= window:
            break
    return _taken_in_order(pool, fn, pending, remaining)


def _taken_in_order(pool: Executor, fn: Callable, pending: deque, remaining: Iterator) -> Iterator:
    try:
        while pending:
            result = pending.popleft().result()
            for item in remaining:
                pending.append(pool.submit(fn, item))
                break
            yield result
    finally:
        for future in pending:
            future.cancel()


def _dask_client(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise ExecutorError("the Dask executor needs Dask's distributed package on this machine and every worker: "
                            "pip install 'sisterdocs[dask]'") from None
    try:
        return Client(f"tcp://{address}" if "://" not in address else address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}  → start it with "
                            f"'dask scheduler' there, or check the address and port") from None


def _check_workers(client, spec: str, overrides: Path | None) -> int:
    """The cluster's worker threads; refused when it has none or a worker would render differently."""
    threads = sum(client.nthreads().values())
    if not threads:
        raise ExecutorError(f"the Dask scheduler at {spec} has no workers  → start some with 'dask worker {spec[len(DASK_SCHEME):]}'")
    here = environment(overrides)
    for worker, there in sorted(client.run(environment, overrides).items()):
        differences = environment_differences(here, there)
        if differences:
            raise ExecutorError(f"the Dask worker {worker} would not make the same documents: {'; '.join(differences)}  "
                                "→ install the same sisterdocs (pip install -c constraints.txt 'sisterdocs[dask]') and the "
                                "same system packages on every worker, and give the city's folder the same path there")
    return threads


def environment(overrides: Path | None = None) -> dict:
    """What a process's documents depend on beyond the task: versions, templates, fonts' shaper."""
    from pipeline import __version__
    from pipeline.project import ASSETS, LANGS, template_dirs

    found = {"sisterdocs": __version__}
    for name in RENDERING_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    try:
        from weasyprint.text.ffi import pango

        found["pango"] = str(pango.pango_version())  # 15006 is 1.50.6
    except (ImportError, OSError, AttributeError) as exc:
        found["pango"] = f"not loadable ({exc})"
    found["libharfbuzz-subset0"] = "installed" if ctypes.util.find_library("harfbuzz-subset") else "not installed"
    digest = hashlib.sha256()
    folders = [(f"templates_{lang}", folder) for lang in LANGS for folder in template_dirs(lang, overrides)] + [("assets", ASSETS)]
    for label, folder in folders:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{label}/{path.relative_to(folder).as_posix()}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    found["templates and assets"] = digest.hexdigest()[:12]
    if overrides is not None and not Path(overrides).is_dir():
        found["city folder"] = f"{overrides} missing"
    return found


def environment_differences(here: dict, there: dict) -> list[str]:
    """Each item that differs, as 'NAME HERE here, THERE there'."""
    return [f"{name} {here.get(name, 'nothing')} here, {there.get(name, 'nothing')} there"
            for name in sorted(set(here) | set(there), key=str) if here.get(name) != there.get(name)]
