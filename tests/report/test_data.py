"""ReportData: medians, bands, regimes, events and the check table from ensembles."""

from __future__ import annotations

import numpy as np
import pytest

import overcap
from overcap.report.data import ReportData
from overcap.scenario import REGIMES
from tests.report.conftest import SMALL


def test_bands_are_ordered_and_cover_the_years(small_data: ReportData) -> None:
    assert small_data.scenarios == ["baseline", "supply-side-campaign"]
    assert small_data.reference == "baseline"
    assert small_data.years() == (2008, 2018)
    g = small_data.economy_bands("baseline", "gdp_growth")
    assert list(g["year"]) == list(range(2008, 2019))
    assert (g["p5"] <= g["median"] + 1e-12).all() and (g["median"] <= g["p95"] + 1e-12).all()
    u = small_data.sector_bands("baseline", "utilisation", sector="steel", scale=100.0)
    assert len(u) == 11 and u["median"].between(0, 150).all()
    # the bands are the runs' percentiles: with two runs they are the runs themselves
    runs = small_data.runs["baseline"]
    vals = np.array([r.economy["gdp_growth"].to_numpy() for r in runs])
    assert np.allclose(g["median"], np.median(vals, axis=0))
    assert np.allclose(g["p95"], np.percentile(vals, 95, axis=0))


def test_regimes_shares_and_spells(small_data: ReportData) -> None:
    r = small_data.regimes("baseline")
    assert set(r["regime"]) <= set(REGIMES)
    assert np.allclose(r[list(REGIMES)].sum(axis=1), 1.0)
    # the 2016-18 supply-side reform is scripted as control
    scripted = r[r["scripted"]]
    assert set(range(2016, 2019)) <= set(scripted["year"])
    assert set(scripted[scripted["year"] >= 2016]["regime"]) == {"control"}
    spells = small_data.regime_spells("baseline")
    years = [y for s in spells for y in range(s["start"], s["end"] + 1)]
    assert years == list(range(2008, 2019))


def test_events_inside_the_years(small_data: ReportData) -> None:
    names = [e["name"] for e in small_data.events("baseline")]
    assert "stimulus_2008" in names and "supply_side_reform" in names
    assert "anti_involution" not in names  # 2024: outside 2008-2018


def test_check_table_and_trade(small_data: ReportData) -> None:
    c = small_data.check("baseline")
    assert len(c) == len(small_data.facts) and c["evaluable"].any()
    assert not c.set_index("id").loc["F27", "evaluable"]  # 1995-2007 is not in the runs
    y = small_data.trade_years_in_force("baseline")
    assert y["years"].between(0, 11).all()


def test_from_results_and_bad_input() -> None:
    res = overcap.ensemble("baseline", runs=1, seed=3, overrides=SMALL)
    d = ReportData.from_results({"baseline": res})
    assert d.seed == 3 and d.n_runs() == 1
    with pytest.raises(ValueError, match="named twice"):
        ReportData.build(["baseline", "baseline"], runs=1, overrides=SMALL)
    with pytest.raises(overcap.ScenarioError, match="nope"):
        ReportData.build(["nope"], runs=1)
    with pytest.raises(ValueError, match="no runs"):
        ReportData.from_results({"baseline": []})
