"""Scenario comparison over ensembles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import overcap
from overcap.cli import app


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
    assert "zombie share" in res.output and "market-reform - baseline" in res.output
    assert len(list((tmp_path / "overcap-results").glob("compare-baseline-*"))) == 1
    bad = CliRunner().invoke(app, ["compare", "baseline", "nope", "--runs", "1"])
    assert bad.exit_code == 2
    assert "unknown scenario 'nope'" in bad.output
    one = CliRunner().invoke(app, ["compare", "baseline"])
    assert one.exit_code == 2
