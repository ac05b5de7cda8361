"""Where documents render: the local process pool and a Dask cluster make the same bytes; tasks
go out a bounded window at a time; a cluster that would render differently is refused."""

from __future__ import annotations

import json
import shutil
import sys
from concurrent.futures import Executor, Future

import pytest
from click.testing import CliRunner

from pipeline import executor
from pipeline.build import build
from pipeline.cli import cli
from pipeline.executor import ExecutorError, environment, in_order
from tests.conftest import AFTER_MEETING


def files_of(out) -> dict:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {entry["path"]: entry["sha256"] for entry in manifest["files"]}


@pytest.mark.slow
def test_a_dask_cluster_makes_the_same_bytes_as_the_local_pool(built, tmp_path):
    distributed = pytest.importorskip("distributed")
    _, local_out = built
    records = tmp_path / "records"
    shutil.copytree(local_out.parent.parent / "records", records)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address.removeprefix("tcp://")
        result = build(records / "example", tmp_path / "out", as_of=AFTER_MEETING, executor=f"dask://{address}")
        on_workers = {name: prefix.state_counts["memory"] for name, prefix in cluster.scheduler.task_prefixes.items()}
    assert result.report.errors == [] and len(result.rendered) > 30
    assert on_workers == {"render": len(result.rendered), "lay_out_parts": 1}  # every document, and the report, made on the cluster
    local, remote = files_of(local_out), files_of(tmp_path / "out" / "example")
    assert sorted(remote) == sorted(local)
    assert [path for path in local if remote[path] != local[path]] == []
    for path, sha in remote.items():  # the manifest says what is on disk
        import hashlib

        assert hashlib.sha256((tmp_path / "out" / "example" / path).read_bytes()).hexdigest() == sha


class CountingExecutor(Executor):
    """Runs each task at once, and records how many were submitted and not yet taken."""

    def __init__(self):
        self.out, self.most = 0, 0

    def submit(self, fn, *args):
        future = Future()
        future.set_result(fn(*args))
        self.out += 1
        self.most = max(self.most, self.out)
        original = future.result

        def taken(timeout=None):
            self.out -= 1
            return original(timeout)

        future.result = taken
        return future


@pytest.mark.parametrize("window", [1, 3, 8])
def test_tasks_go_out_a_bounded_window_at_a_time_and_come_back_in_order(window):
    pool = CountingExecutor()
    assert list(in_order(pool, lambda n: n * n, range(50), window)) == [n * n for n in range(50)]
    assert pool.most == window and pool.out == 0


def test_without_a_pool_tasks_run_here_in_order():
    assert list(in_order(None, str, range(4), 1)) == ["0", "1", "2", "3"]


def test_the_first_window_goes_out_before_the_first_result_is_asked_for():
    pool = CountingExecutor()
    results = in_order(pool, lambda n: n + 1, range(10), 3)
    assert pool.out == 3  # rendering while the caller does other work
    assert list(results) == list(range(1, 11)) and pool.out == 0


class FakePool:
    """A process pool that runs nothing: what was submitted, and how it was shut down."""
    made: list = []

    def __init__(self, max_workers):
        self.workers, self.submitted, self.waited = max_workers, [], None
        FakePool.made.append(self)

    def submit(self, fn, *args):
        self.submitted.append(fn.__name__)
        future = Future()
        future.set_result(None)
        return future

    def shutdown(self, wait=True, cancel_futures=False):
        self.waited = wait


@pytest.fixture
def fake_pools(monkeypatch):
    monkeypatch.setattr(executor, "ProcessPoolExecutor", FakePool)
    FakePool.made = []
    return FakePool.made


def test_the_workers_started_while_tasks_are_worked_out_are_the_ones_that_render(fake_pools):
    with executor.standby("processes", 2) as workers:
        assert fake_pools[0].submitted == ["warm_up", "warm_up"]  # one each: loading before any task is known
        with executor.open_executor("processes", 2, 10, standing=workers) as (pool, window):
            assert pool is fake_pools[0] and window == 2 * executor.TASKS_OUT_PER_WORKER
        assert pool.waited is None  # its owner shuts it down, once, when the build is done with it
    assert len(fake_pools) == 1 and fake_pools[0].waited is True


def test_workers_started_for_a_build_with_too_little_to_render_are_not_waited_for(fake_pools):
    with executor.standby("processes", 2) as workers:
        with executor.open_executor("processes", 2, 2, standing=workers) as (pool, window):
            assert pool is None and window == 1  # two documents render faster here
    assert len(fake_pools) == 1 and fake_pools[0].waited is False


def test_no_workers_start_early_for_one_job_or_for_a_dask_cluster(fake_pools):
    for spec, jobs in (("processes", 1), (None, 1), ("dask://127.0.0.1:8786", 4)):
        with executor.standby(spec, jobs) as workers:
            assert workers.pool is None
    assert fake_pools == []


def test_a_worker_loads_what_rendering_needs_before_its_first_task():
    from pipeline import render

    render._font_config.cache_clear()
    render._shared_stylesheet.cache_clear()  # it holds the font configuration its fonts are registered with
    executor.warm_up()
    assert "weasyprint" in sys.modules and "docxtpl" in sys.modules and render._font_config.cache_info().currsize == 1


class FakeClient:
    def __init__(self, workers: dict):
        self.workers = workers

    def nthreads(self):
        return {address: 1 for address in self.workers}

    def run(self, fn, *args):
        return self.workers


def test_a_worker_that_would_render_differently_is_refused_by_name():
    here = environment()
    there = dict(here, weasyprint="69.0", pango="14810")
    with pytest.raises(ExecutorError) as refused:
        executor._check_workers(FakeClient({"tcp://10.0.0.5:4001": here, "tcp://10.0.0.6:4001": there}), "dask://s:8786", None)
    assert str(refused.value).startswith("the Dask worker tcp://10.0.0.6:4001 would not make the same documents: "
                                         "pango 15012 here, 14810 there; weasyprint 70.0 here, 69.0 there  → install the same "
                                         "sisterdocs".replace("15012", here["pango"]).replace("70.0", here["weasyprint"]))


def test_workers_with_the_same_environment_give_their_threads():
    here = environment()
    assert executor._check_workers(FakeClient({"tcp://a:1": here, "tcp://b:1": here}), "dask://s:8786", None) == 2


def test_a_cluster_without_workers_is_refused():
    with pytest.raises(ExecutorError, match=r"has no workers  → start some with 'dask worker s:8786'"):
        executor._check_workers(FakeClient({}), "dask://s:8786", None)


def test_a_city_folder_missing_on_a_worker_is_a_difference(tmp_path):
    here = environment(tmp_path)
    there = environment(tmp_path / "elsewhere")
    assert "city folder" in " ".join(executor.environment_differences(here, there))


def test_an_executor_that_is_not_one_is_refused_before_anything_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["build", "example", "--executor", "ftp://10.0.0.5"], catch_exceptions=False)
    assert result.exit_code == 2
    assert "'ftp://10.0.0.5' is not an executor: use 'processes'" in result.output


def test_without_dask_installed_the_fix_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    with pytest.raises(ExecutorError, match=r"pip install 'sisterdocs\[dask\]'"):
        with executor.open_executor("dask://127.0.0.1:8786", 2, 10):
            pass


def test_an_unreachable_scheduler_is_one_line_and_the_previous_output_stays(built, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", "1s")
    _, local_out = built
    records = tmp_path / "records"
    shutil.copytree(local_out.parent.parent / "records", records)
    with pytest.raises(ExecutorError, match=r"^cannot reach the Dask scheduler at 127\.0\.0\.1:9: .*→ start it with"):
        build(records / "example", tmp_path / "out", as_of=AFTER_MEETING, executor="dask://127.0.0.1:9")
    assert not (tmp_path / "out" / "example" / "manifest.json").exists()
