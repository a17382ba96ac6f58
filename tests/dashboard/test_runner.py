"""The background runner: jobs with progress, the baseline alongside, a cache by
parameters and seed, failures as one line, and the runs in the results store."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import overcap
from overcap.dashboard.levers import RunSpec, parse_request
from overcap.dashboard.runner import Runner, StoreCompute, experiment_name, memory_compute

SMALL = {"population.firms_start": 500, "time.start_year": 2010, "time.end_year": 2014}


def test_a_job_runs_the_scenario_and_the_baseline_into_the_store(tmp_path: Path) -> None:
    r = Runner(results=tmp_path, workers=0)
    try:
        spec = parse_request("market-reform", {"visibility": 0.3}, seed=1, runs=2, extra=SMALL)
        job = r.submit(spec)
        st = r.wait(job)
        assert st is not None and st.state == "done" and (st.done, st.total) == (4, 4)
        assert st.seconds > 0
        res, ref = r.results(spec), r.results(spec.reference())
        assert res is not None and ref is not None and len(res) == len(ref) == 2
        # the runs are exactly the public API's (replicate i = stream i of the seed)
        direct = overcap.ensemble(
            "market-reform", runs=2, seed=1, overrides=spec.overrides_dict, workers=0
        )
        for a, b in zip(res, direct, strict=True):
            assert a.economy.reset_index(drop=True).equals(b.economy.reset_index(drop=True))
        assert res[0].scenario.investment.visibility == 0.3
        assert ref[0].scenario.name == "baseline"
        # both ensembles are experiments of the store, found by name and queryable
        for s in (spec, spec.reference()):
            where = r.stored(s)
            assert where == str(tmp_path / experiment_name(s))
        listed = overcap.list_experiments(tmp_path)
        assert sorted(listed["name"]) == sorted(
            experiment_name(s) for s in (spec, spec.reference())
        )
        exp = overcap.open_experiment(experiment_name(spec), tmp_path)
        assert list(exp.runs()["status"]) == ["ok", "ok"]
        q = overcap.query(
            "SELECT count(*) AS n FROM economy", name=experiment_name(spec), results=tmp_path
        )
        assert int(q["n"].iloc[0]) == 2 * 5  # two runs, 2010-2014
        assert r.job_specs(job) == [spec.reference(), spec]
        # the same parameters again: nothing runs
        again = r.wait(r.submit(spec))
        assert again is not None and again.state == "done" and again.total == 0
        # another seed is another ensemble, and another experiment
        other = RunSpec(spec.scenario, spec.overrides, 2, 2, spec.extra)
        assert r.results(other) is None
        assert experiment_name(other) != experiment_name(spec)
    finally:
        r.shutdown()


def test_a_new_server_reads_the_store_instead_of_running_again(tmp_path: Path) -> None:
    spec = parse_request("baseline", {"visibility": 0.5}, runs=2, extra=SMALL)
    first = StoreCompute(tmp_path, workers=0)
    res1, where = first(spec, lambda n: None)
    ticks: list[int] = []

    def no_runs(*args, **kwargs):
        raise AssertionError("ran the model again")

    second = StoreCompute(tmp_path, workers=0)
    import overcap.experiments as experiments

    saved = experiments.ensemble
    experiments.ensemble = no_runs  # type: ignore[assignment]
    try:
        res2, where2 = second(spec, ticks.append)
    finally:
        experiments.ensemble = saved  # type: ignore[assignment]
    assert where2 == where and ticks == [2]
    for a, b in zip(res1, res2, strict=True):
        assert a.economy.reset_index(drop=True).equals(b.economy.reset_index(drop=True))


def test_jobs_share_running_work() -> None:
    gate = threading.Event()
    calls: list[str] = []

    def slow(spec, tick):
        calls.append(spec.key)
        gate.wait(30)
        return memory_compute(spec, tick)

    r = Runner(slow)
    try:
        spec = parse_request("baseline", {}, runs=1, extra=SMALL)
        a = r.submit(spec, compare=False)
        b = r.submit(spec, compare=False)
        st = r.status(a)
        assert st is not None and st.state == "running" and (st.done, st.total) == (0, 1)
        gate.set()
        for job in (a, b):
            st = r.wait(job)
            assert st is not None and st.state == "done"
        assert len(calls) == 1  # one computation for both jobs
        assert r.info()["cached"] == 1
    finally:
        r.shutdown()


def test_progress_counts_runs() -> None:
    gate = threading.Event()

    def half(spec, tick):
        tick(1)
        gate.wait(30)
        return memory_compute(spec, tick)

    r = Runner(half)
    try:
        spec = parse_request("market-reform", {}, runs=2, extra=SMALL)
        job = r.submit(spec)
        for _ in range(200):
            st = r.status(job)
            if st is not None and st.done == 2:
                break
            threading.Event().wait(0.01)
        assert st is not None and (st.state, st.done, st.total) == ("running", 2, 4)
        gate.set()
        st = r.wait(job)
        assert st is not None and (st.state, st.done, st.total) == ("done", 4, 4)
    finally:
        r.shutdown()


def test_a_failing_run_fails_the_job_in_one_line() -> None:
    fail = [True]

    def flaky(spec, tick):
        if fail[0]:
            raise RuntimeError("engine exploded\nsecond line")
        return memory_compute(spec, tick)

    r = Runner(flaky)
    try:
        spec = parse_request("baseline", {}, runs=1, extra=SMALL)
        st = r.wait(r.submit(spec))
        assert st is not None and st.state == "failed"
        assert st.error == "RuntimeError: engine exploded"
        fail[0] = False  # the next press of run works again
        st = r.wait(r.submit(spec))
        assert st is not None and st.state == "done"
    finally:
        r.shutdown()


@pytest.mark.parametrize("job", [None, 3, "nope", ["x"], {"id": "x"}])
def test_unknown_jobs_are_none(job) -> None:
    r = Runner(memory_compute)
    assert r.status(job) is None
    assert r.job_specs(job) is None
    r.shutdown()


def test_the_cache_forgets_the_oldest() -> None:
    r = Runner(memory_compute, cache_size=2)
    try:
        specs = [parse_request("baseline", {}, seed=s, runs=1, extra=SMALL) for s in range(3)]
        for s in specs:
            r.wait(r.submit(s, compare=False))
        assert r.results(specs[0]) is None
        assert r.results(specs[1]) is not None and r.results(specs[2]) is not None
    finally:
        r.shutdown()


def test_experiment_names_follow_every_parameter() -> None:
    a = parse_request("baseline", {}, runs=2, extra=SMALL)
    b = parse_request("baseline", {"visibility": 0.5}, runs=2, extra=SMALL)
    c = parse_request("baseline", {}, runs=3, extra=SMALL)
    names = {experiment_name(s) for s in (a, b, c)}
    assert len(names) == 3
    assert all(n.startswith("dashboard-baseline-") for n in names)
    assert experiment_name(a) == experiment_name(parse_request("baseline", {}, runs=2, extra=SMALL))
