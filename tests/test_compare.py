"""Scenario comparison over ensembles."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import overcap
import overcap.experiments.worker
from overcap.cli import app
from overcap.scenario import load_scenario


def test_compare_bands_and_paired_differences() -> None:
    # in this process (workers=0): the Dask path gives the same numbers (test_experiments)
    t = overcap.compare(
        ["baseline", "market-reform"], runs=3, seed=0, years=(2020, 2030), workers=0
    )
    assert set(t["scenario"]) == {"baseline", "market-reform"}
    assert (t["p5"] <= t["median"] + 1e-12).all() and (t["median"] <= t["p95"] + 1e-12).all()
    base = t[t["scenario"] == "baseline"]
    assert np.allclose(base["diff_median"], 0.0)
    z = t.set_index(["scenario", "indicator"]).loc[("market-reform", "zombie_share")]
    assert z["diff_median"] < 0


def test_compare_without_a_name_writes_nothing_and_matches_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a name or a results root the runs stay in memory; the table is the one
    computed from the same runs stored as an experiment, to the last bit."""
    short = {"time.end_year": 2000, "population.firms_start": 2000}
    scs = [load_scenario("baseline", short), load_scenario("market-reform", short)]
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir(), tmp.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))

    def no_writing(*_: Any, **__: Any) -> None:
        raise AssertionError("compare without a name wrote to disk")

    with monkeypatch.context() as m:
        m.setattr(tempfile, "mkdtemp", no_writing)
        m.setattr(overcap.experiments.worker, "write_part", no_writing)
        seen: list[tuple[str, int, int]] = []
        memory = overcap.compare(
            scs, runs=3, seed=1, workers=0, progress=lambda n, i, k: seen.append((n, i, k))
        )
    assert not list(cwd.iterdir()) and not list(tmp.iterdir())
    assert ("baseline", 3, 3) in seen and ("market-reform", 3, 3) in seen
    stored = overcap.compare(scs, runs=3, seed=1, workers=0, results=tmp_path / "store")
    assert len(list((tmp_path / "store").iterdir())) == 1
    pd.testing.assert_frame_equal(memory, stored, check_exact=True)
    assert set(memory["runs"]) == {3} and memory["years"].iloc[0] == "1995-2000"
    with pytest.raises(overcap.ExperimentError, match="--resume needs the --name"):
        overcap.compare(scs, runs=1, workers=0, resume=True)


def test_ensemble_replicates_are_reproducible_and_distinct() -> None:
    a = overcap.ensemble("baseline", runs=2, seed=5, overrides={"time.end_year": 2000}, workers=0)
    b = overcap.ensemble("baseline", runs=3, seed=5, overrides={"time.end_year": 2000}, workers=0)
    # replicate i does not depend on how many replicates there are
    assert a[1].sectors.equals(b[1].sectors)
    assert not a[0].sectors.equals(a[1].sectors)


def test_cli_compare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the comparison is stored under ./overcap-results
    res = CliRunner().invoke(
        app,
        ["compare", "baseline", "market-reform", "--runs", "2", "--years", "2020-2030"]
        + ["--workers", "0"],
    )
    assert res.exit_code == 0, res.output
    assert "zombie share" in res.output and "difference from baseline" in res.output
    assert len(list((tmp_path / "overcap-results").glob("compare-baseline-*"))) == 1
    bad = CliRunner().invoke(app, ["compare", "baseline", "nope", "--runs", "1"])
    assert bad.exit_code == 2
    assert "unknown scenario 'nope'" in bad.output
    one = CliRunner().invoke(app, ["compare", "baseline"])
    assert one.exit_code == 2
