"""The background runner: jobs with progress, the baseline alongside, a cache by
parameters and seed, failures as one line, and the results handed on once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

import overcap
from overcap.dashboard import runner as runner_mod
from overcap.dashboard.levers import RunSpec, parse_request
from overcap.dashboard.runner import Runner

SMALL = {"population.firms_start": 500, "time.start_year": 2010, "time.end_year": 2014}


@pytest.fixture
def threads():
    pool = ThreadPoolExecutor(max_workers=2)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


def test_a_job_runs_the_scenario_and_the_baseline_and_caches_them(threads) -> None:
    stored = []
    r = Runner(executor=threads, on_done=lambda s, res: stored.append((s, len(res))) or "here")
    spec = parse_request("market-reform", {"visibility": 0.3}, seed=1, runs=2, extra=SMALL)
    job = r.submit(spec)
    st = r.wait(job)
    assert st is not None and st.state == "done" and (st.done, st.total) == (4, 4)
    assert st.seconds > 0
    res = r.results(spec)
    ref = r.results(spec.reference())
    assert res is not None and ref is not None and len(res) == len(ref) == 2
    # the runs are exactly the public API's ensemble (replicate i = stream i of the seed)
    direct = overcap.ensemble("market-reform", runs=2, seed=1, overrides=spec.overrides_dict)
    for a, b in zip(res, direct, strict=True):
        assert a.economy.equals(b.economy)
    assert res[0].scenario.investment.visibility == 0.3
    assert ref[0].scenario.name == "baseline"
    assert sorted((s.scenario, n) for s, n in stored) == [("baseline", 2), ("market-reform", 2)]
    assert r.stored(spec) == "here"
    assert r.job_specs(job) == [spec.reference(), spec]
    # the same parameters again: nothing runs, nothing is stored twice
    again = r.wait(r.submit(spec))
    assert again is not None and again.state == "done" and again.total == 0
    assert len(stored) == 2
    # another seed is another ensemble
    other = RunSpec(spec.scenario, spec.overrides, 2, 2, spec.extra)
    assert r.results(other) is None


def test_jobs_share_running_tasks(threads) -> None:
    r = Runner(executor=threads)
    spec = parse_request("baseline", {}, runs=2, extra=SMALL)
    a = r.submit(spec, compare=False)
    b = r.submit(spec, compare=False)
    assert r.info()["running"] == 1  # one ensemble in flight for both jobs
    for job in (a, b):
        st = r.wait(job)
        assert st is not None and st.state == "done"
    assert r.info()["cached"] == 1


def test_a_failing_run_fails_the_job_in_one_line(threads, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("engine exploded\nsecond line")

    monkeypatch.setattr(runner_mod, "run", boom)
    r = Runner(executor=threads)
    spec = parse_request("baseline", {}, runs=2, extra=SMALL)
    st = r.wait(r.submit(spec))
    assert st is not None and st.state == "failed"
    assert st.error == "RuntimeError: engine exploded"
    monkeypatch.undo()  # the next press of run works again
    st = r.wait(r.submit(spec))
    assert st is not None and st.state == "done"


def test_a_failing_store_keeps_the_results(threads) -> None:
    def bad_store(spec, results):
        raise OSError("disk full")

    r = Runner(executor=threads, on_done=bad_store)
    spec = parse_request("baseline", {}, runs=1, extra=SMALL)
    st = r.wait(r.submit(spec))
    assert st is not None and st.state == "done"
    assert r.results(spec) is not None
    assert r.store_errors == ["OSError: disk full"]


@pytest.mark.parametrize("job", [None, 3, "nope", ["x"], {"id": "x"}])
def test_unknown_jobs_are_none(threads, job) -> None:
    r = Runner(executor=threads)
    assert r.status(job) is None
    assert r.job_specs(job) is None


def test_the_cache_forgets_the_oldest(threads) -> None:
    r = Runner(executor=threads, cache_size=2)
    specs = [parse_request("baseline", {}, seed=s, runs=1, extra=SMALL) for s in range(3)]
    for s in specs:
        r.wait(r.submit(s, compare=False))
    assert r.results(specs[0]) is None
    assert r.results(specs[1]) is not None and r.results(specs[2]) is not None


def test_worker_processes_run_the_model() -> None:
    """The real pool: spawned worker processes, results back in this process."""
    r = Runner(workers=1)
    try:
        spec = parse_request("baseline", {"visibility": 0.5}, runs=1, extra=SMALL)
        st = r.wait(r.submit(spec, compare=False), timeout=120)
        assert st is not None and st.state == "done", st
        res = r.results(spec)
        assert res is not None and res[0].scenario.investment.visibility == 0.5
    finally:
        r.shutdown()
