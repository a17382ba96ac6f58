"""Sensitivity: SALib's designs and indices, the problem from the schema's ranges, and a
small analysis of the model stored with its experiment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from overcap.experiments import ExperimentError, open_experiment
from overcap.sensitivity import analyse, design, problem, sensitivity

SHORT = ["time.end_year=1997", "population.firms_start=2000"]


def test_problem_takes_documented_ranges_or_narrower_ones() -> None:
    p = problem(["investment.visibility", "provinces.subsidy_base=0.2:0.8"])
    assert p["names"] == ["investment.visibility", "provinces.subsidy_base"]
    assert p["bounds"] == [[0.0, 1.0], [0.2, 0.8]]
    with pytest.raises(ExperimentError, match=r"--params investment\.nope: .*no field 'nope'"):
        problem(["investment.nope", "investment.visibility"])
    with pytest.raises(ExperimentError, match="int parameter"):
        problem(["provinces.term_length", "investment.visibility"])
    with pytest.raises(ExperimentError, match="at least two"):
        problem(["investment.visibility"])
    with pytest.raises(ExperimentError, match="documented range 0.0 to 1.0"):
        problem(["investment.visibility=0.5:1.5", "provinces.subsidy_base"])


def test_sobol_recovers_the_indices_of_a_known_function() -> None:
    p = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = design(p, "sobol", 512, seed=1)
    assert x.shape == (512 * 5, 3)
    y = 4 * x[:, 0] + 1 * x[:, 1]  # variances 16:1:0, no interactions
    t = analyse(p, "sobol", x, y, seed=1).set_index("parameter")
    assert t.loc["a", "S1"] == pytest.approx(16 / 17, abs=0.05)
    assert t.loc["b", "ST"] == pytest.approx(1 / 17, abs=0.03)
    assert abs(t.loc["c", "ST"]) < 0.01 and (t.loc[["a", "b"], "S1_conf"] > 0).all()
    with pytest.raises(ExperimentError, match="power of 2"):
        design(p, "sobol", 100, seed=1)
    m = design(p, "morris", 10, seed=1)
    assert m.shape == (10 * 4, 3)
    mt = analyse(p, "morris", m, 4 * m[:, 0] + m[:, 1], seed=1).set_index("parameter")
    assert mt.loc["a", "mu_star"] == pytest.approx(4.0) and mt.loc["c", "mu_star"] == 0


def test_a_small_sobol_analysis_is_stored_and_recomputed_on_resume(tmp_path: Path) -> None:
    params = ["investment.visibility", "provinces.subsidy_base"]
    exp, summary, table = sensitivity(
        "baseline",
        params,
        method="sobol",
        samples=4,
        outputs=["aggregate_utilisation"],
        runs=1,
        seed=0,
        overrides=SHORT,
        name="sens",
        results=tmp_path,
        workers=0,
    )
    assert summary.total == 4 * (2 + 2) and summary.ok == summary.total
    assert list(table["parameter"]) == params
    assert {"S1", "S1_conf", "ST", "ST_conf", "output", "years"} <= set(table.columns)
    assert np.isfinite(table[["S1", "ST"]].to_numpy()).all()
    stored = open_experiment("sens", tmp_path).indices()
    pd.testing.assert_frame_equal(stored, table, check_dtype=False)
    assert (tmp_path / "sens" / "sensitivity" / "indices.parquet").exists()
    # the same design resumed for another output: no new run, new indices
    _, again, t2 = sensitivity(
        "baseline",
        params,
        samples=4,
        outputs=["zombie_share"],
        seed=0,
        overrides=SHORT,
        name="sens",
        results=tmp_path,
        resume=True,
        workers=0,
    )
    assert again.new_ok == 0 and set(t2["output"]) == {"zombie_share"}
    with pytest.raises(ExperimentError, match="another design"):
        sensitivity(
            "baseline",
            params,
            samples=8,
            seed=0,
            overrides=SHORT,
            name="sens",
            results=tmp_path,
            resume=True,
            workers=0,
        )
    with pytest.raises(ExperimentError, match="unknown output 'nope'; allowed: gdp_growth"):
        sensitivity("baseline", params, outputs=["nope"], workers=0)
    with pytest.raises(ExperimentError, match="--method 'fast'; allowed: sobol, morris"):
        sensitivity("baseline", params, method="fast", workers=0)
