"""Experiments: seeding independent of workers and batching, the store's round trip,
failed runs, interruption and resume, resume checks, sweeps and bands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import overcap
from overcap.experiments import (
    Execution,
    ExperimentError,
    InProcess,
    Interrupted,
    batch_size_for,
    define,
    ensemble,
    execute,
    lhs_samples,
    open_experiment,
    parse_grid,
    parse_ranges,
    run_experiment,
    sweep,
)
from overcap.store import TABLES

SHORT = {"time.end_year": 1997, "population.firms_start": 2000}


def same_results(a: list[overcap.Result], b: list[overcap.Result]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        for t in TABLES:
            pd.testing.assert_frame_equal(getattr(x, t), getattr(y, t))
        assert x.seed == y.seed and x.meta["replicate"] == y.meta["replicate"]


def test_dask_and_in_process_give_identical_results() -> None:
    serial = ensemble("baseline", runs=4, seed=3, overrides=SHORT, workers=0)
    assert [r.meta["replicate"] for r in serial] == [0, 1, 2, 3]
    direct = overcap.run("baseline", seed=3, overrides=SHORT, replicate=2)
    pd.testing.assert_frame_equal(serial[2].sectors, direct.sectors)
    # two LocalCluster workers, batches of one run: the same numbers, bit for bit
    on_dask = ensemble("baseline", runs=4, seed=3, overrides=SHORT, workers=2, batch_size=1)
    same_results(serial, on_dask)


def test_store_round_trip_and_batching_do_not_change_results(tmp_path: Path) -> None:
    serial = ensemble("baseline", runs=5, seed=1, overrides=SHORT, workers=0)
    for size in (1, 2, 5):
        stored = ensemble(
            "baseline",
            runs=5,
            seed=1,
            overrides=SHORT,
            workers=0,
            name=f"b{size}",
            results=tmp_path,
            batch_size=size,
        )
        same_results(serial, stored)
        parts = list((tmp_path / f"b{size}" / "parts" / "economy").glob("*.parquet"))
        assert len(parts) == -(-5 // size)  # one part per batch, not one per run
    exp = open_experiment("b2", tmp_path)
    runs = exp.runs()
    assert list(runs["run"]) == [0, 1, 2, 3, 4] and set(runs["status"]) == {"ok"}
    assert set(runs["seed"]) == {1} and list(runs["replicate"]) == [0, 1, 2, 3, 4]
    assert set(runs["version"]) == {overcap.__version__}
    assert runs["seconds"].gt(0).all() and runs["parameters"].str.contains("end_year").all()
    params = exp.store.read("SELECT parameters FROM scenarios")["parameters"].iloc[0]
    assert '"end_year": 1997' in params  # the full parameters of every scenario


def test_a_failing_run_is_recorded_and_the_experiment_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import overcap.model

    real = overcap.model.run

    def flaky(*args: Any, **kw: Any) -> overcap.Result:
        if kw.get("replicate") == 2:
            raise RuntimeError("boom in replicate 2")
        return real(*args, **kw)

    monkeypatch.setattr(overcap.model, "run", flaky)
    with pytest.raises(ExperimentError, match="1 of 4 runs failed; first: run 2: RuntimeError"):
        ensemble("baseline", runs=4, seed=0, overrides=SHORT, workers=0, name="f", results=tmp_path)
    runs = open_experiment("f", tmp_path).runs()
    assert list(runs["status"]) == ["ok", "ok", "failed", "ok"]
    assert "boom in replicate 2" in runs.loc[2, "error"] and "Traceback" in runs.loc[2, "error"]
    assert sorted(set(open_experiment("f", tmp_path).table("economy")["run"])) == [0, 1, 3]
    # a plain resume has nothing to do; --retry-failed runs the failed run again
    monkeypatch.setattr(overcap.model, "run", real)
    spec, resolved = define("ensemble", [("baseline", {})], 4, 0, SHORT)
    s = execute(spec, resolved, Execution(name="f", results=tmp_path, resume=True, workers=0))
    assert (s.new_ok, s.failed) == (0, 1)
    s = execute(
        spec,
        resolved,
        Execution(name="f", results=tmp_path, resume=True, retry_failed=True, workers=0),
    )
    assert (s.new_ok, s.ok, s.failed, s.missing) == (1, 4, 0, 0)


class StopAfter(InProcess):
    """Ctrl-C after ``n`` batches, with the next batch's parts already written (the
    worker finished, the driver never recorded it)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def run(self, payloads: list[dict]) -> Any:
        from overcap.experiments import run_batch

        for i, p in enumerate(payloads):
            if i == self.n:
                run_batch(p)  # an orphan
                raise KeyboardInterrupt
            yield p, run_batch(p), None


def test_interrupted_experiment_resumes_and_counts_every_run_once(tmp_path: Path) -> None:
    spec, resolved = define("ensemble", [("baseline", {})], 6, 4, SHORT)
    with pytest.raises(Interrupted) as info:
        execute(spec, resolved, Execution(name="i", results=tmp_path, batch_size=2), StopAfter(2))
    assert (info.value.done, info.value.total) == (4, 6)
    exp = open_experiment("i", tmp_path)
    assert len(exp.runs()) == 4
    assert len(list((tmp_path / "i" / "parts" / "economy").glob("*.parquet"))) == 3  # 1 orphan
    assert sorted(set(exp.table("economy")["run"])) == [0, 1, 2, 3]
    s = execute(
        spec, resolved, Execution(name="i", results=tmp_path, resume=True, workers=0, batch_size=2)
    )
    assert (s.new_ok, s.ok, s.missing, s.orphans_removed) == (2, 6, 0, 4)  # 4 tables
    runs = exp.runs()
    assert list(runs["run"]) == list(range(6))
    sessions = exp.store.read("SELECT status FROM sessions ORDER BY session")["status"]
    assert list(sessions) == ["interrupted", "completed"]
    reference = ensemble("baseline", runs=6, seed=4, overrides=SHORT, workers=0)
    same_results(reference, exp.results())
    eco = exp.table("economy")
    assert eco.groupby("run").size().eq(3).all()  # 1995-1997, once each


def test_resume_checks(tmp_path: Path) -> None:
    kw: dict[str, Any] = {"workers": 0, "results": tmp_path}
    run_experiment("ensemble", [("baseline", {})], 2, 0, SHORT, name="r", **kw)
    with pytest.raises(ExperimentError, match="'r' already exists.*--resume"):
        run_experiment("ensemble", [("baseline", {})], 2, 0, SHORT, name="r", **kw)
    with pytest.raises(ExperimentError, match="started with runs 2, this command asks for runs 3"):
        run_experiment("ensemble", [("baseline", {})], 3, 0, SHORT, name="r", resume=True, **kw)
    with pytest.raises(ExperimentError, match="started with seed 0"):
        run_experiment("ensemble", [("baseline", {})], 2, 1, SHORT, name="r", resume=True, **kw)
    other = {**SHORT, "investment.visibility": 0.5}
    with pytest.raises(ExperimentError, match="base"):
        run_experiment("ensemble", [("baseline", {})], 2, 0, other, name="r", resume=True, **kw)
    with pytest.raises(ExperimentError, match="--resume: no experiment 'nope'; experiments in"):
        run_experiment("ensemble", [("baseline", {})], 2, 0, SHORT, name="nope", resume=True, **kw)
    assert not (tmp_path / "nope").exists()
    # a scenario file changed since the experiment started
    toml = tmp_path / "mine.toml"
    toml.write_text('name = "mine"\ninherits = "baseline"\n')
    run_experiment("ensemble", [(str(toml), {})], 1, 0, SHORT, name="m", **kw)
    toml.write_text('name = "mine"\ninherits = "baseline"\n[investment]\nvisibility = 0.4\n')
    with pytest.raises(ExperimentError, match="parameters of scenario .*mine.toml' changed"):
        run_experiment("ensemble", [(str(toml), {})], 1, 0, SHORT, name="m", resume=True, **kw)
    # the same command resumes (nothing to do)
    _, s = run_experiment("ensemble", [("baseline", {})], 2, 0, SHORT, name="r", resume=True, **kw)
    assert (s.ok, s.new_ok, s.executor) == (2, 0, "nothing to run")


def test_sweep_grid_lhs_and_common_random_numbers(tmp_path: Path) -> None:
    exp, s = sweep(
        "baseline",
        grid=["investment.visibility=0.3,0.7"],
        lhs=["provinces.subsidy_base=0.2:0.8"],
        samples=2,
        runs=2,
        seed=7,
        overrides=SHORT,
        name="sw",
        results=tmp_path,
        workers=0,
    )
    assert s.total == 8 and s.ok == 8
    samples = exp.samples()
    assert list(samples["investment.visibility"]) == [0.3, 0.3, 0.7, 0.7]
    lhs = samples["provinces.subsidy_base"]
    assert lhs.between(0.2, 0.8).all() and lhs.iloc[0] == lhs.iloc[2]
    # run = sample * runs + replicate; replicate r of every sample uses stream r of the seed
    runs = exp.runs().set_index("run")
    assert runs.loc[5, "sample"] == 2 and runs.loc[5, "replicate"] == 1
    direct = overcap.run(
        "baseline",
        seed=7,
        overrides={
            **SHORT,
            "investment.visibility": 0.7,
            "provinces.subsidy_base": float(lhs.iloc[2]),
        },
        replicate=1,
    )
    stored = exp.table("economy", runs=[5]).drop(columns=["run", "sample", "replicate"])
    pd.testing.assert_frame_equal(stored, direct.economy)
    # bands over each point's runs
    b = exp.bands("economy", ["aggregate_utilisation"])
    assert set(b["sample"]) == {0, 1, 2, 3} and (b["runs"] == 2).all()
    assert (b["p5"] <= b["median"] + 1e-12).all() and (b["median"] <= b["p95"] + 1e-12).all()
    sec = exp.bands("sectors", ["utilisation"])
    assert {"year", "sector"} <= set(sec.columns)


def test_sweep_input_errors() -> None:
    with pytest.raises(ExperimentError, match=r"--grid 'investment\.nope=1,2'.*no field 'nope'"):
        parse_grid(["investment.nope=1,2"])
    with pytest.raises(ExperimentError, match="expected path.to.param=v1,v2"):
        parse_grid(["investment.visibility"])
    with pytest.raises(ExperimentError, match="LOW < HIGH"):
        parse_ranges(["investment.visibility=0.8:0.2"])
    with pytest.raises(ExperimentError, match="LOW:HIGH numbers"):
        parse_ranges(["investment.visibility=a:b"])
    with pytest.raises(ExperimentError, match="documented range 0.0 to 1.0"):
        parse_ranges(["investment.visibility=0.5:2"])
    with pytest.raises(ExperimentError, match="only numbers vary"):
        parse_ranges(["switches.subsidies=0:1"])
    with pytest.raises(ExperimentError, match="needs --grid"):
        sweep("baseline")
    with pytest.raises(ExperimentError, match="both set"):
        sweep("baseline", grid={"time.end_year": [1996]}, overrides=SHORT, workers=0)
    with pytest.raises(overcap.ScenarioError, match="investment.visibility"):
        sweep("baseline", grid={"investment.visibility": [0.5, 3.0]}, workers=0)


def test_lhs_is_a_latin_hypercube() -> None:
    pts = lhs_samples({"investment.visibility": (0.0, 1.0)}, 10, seed=1)
    v = np.array([p["investment.visibility"] for p in pts])
    assert sorted(np.floor(v * 10).astype(int)) == list(range(10))  # one per stratum
    assert pts == lhs_samples({"investment.visibility": (0.0, 1.0)}, 10, seed=1)
    ints = lhs_samples({"provinces.term_length": (2.0, 10.0)}, 5, seed=0)
    assert all(isinstance(p["provinces.term_length"], int) for p in ints)


def test_batch_sizes() -> None:
    assert batch_size_for(200, 2) == 13 and batch_size_for(200, 1) == 25
    assert batch_size_for(10_000, 2) == 50
    assert batch_size_for(4, 2) == 2 and batch_size_for(12, 2) == 5 and batch_size_for(1, 8) == 1


def test_scenario_objects_and_files_are_what_ran(tmp_path: Path) -> None:
    toml = tmp_path / "mine.toml"
    toml.write_text('name = "mine"\ninherits = "baseline"\n[investment]\nvisibility = 0.4\n')
    sc = overcap.load_scenario(str(toml), SHORT)
    other = overcap.load_scenario(str(toml), {**SHORT, "investment.visibility": 0.9})
    exp, _ = run_experiment(
        "compare", [(sc, {}), (other, {})], 1, 0, name="objs", results=tmp_path, workers=0
    )
    assert exp.spec["scenarios"] == ["mine", "mine#2"]  # same name, different parameters
    toml.unlink()  # the file is gone: the catalog still knows what ran
    got = exp.results()
    assert got[0].scenario.investment.visibility == 0.4
    assert got[1].scenario.investment.visibility == 0.9
    from overcap.compare import compare_table

    t = compare_table(exp)
    assert list(dict.fromkeys(t["scenario"])) == ["mine", "mine#2"] and (t["runs"] == 1).all()
