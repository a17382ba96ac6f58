"""Accounting identities and bounds, checked every year of a baseline run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import overcap
from overcap.engine import accounts
from overcap.model import simulate
from tests.engine.properties import equity_sides

REL = 1e-8


def _close(a: pd.Series, b: pd.Series, scale: pd.Series) -> np.ndarray:
    return np.abs(a.to_numpy() - b.to_numpy()) <= REL * np.maximum(1.0, np.abs(scale.to_numpy()))


def test_capacity_output_bounds(baseline: overcap.Result) -> None:
    s = baseline.sectors
    assert (s["output"] >= 0).all()
    assert (s["output"] <= s["capacity"] * (1 + 1e-12) + 1e-12).all()
    assert s["utilisation"].between(0.0, 1.0).all()


def test_sales_plus_inventory_change_is_output(baseline: overcap.Result) -> None:
    s = baseline.sectors
    lhs = s["sales"] + (s["inventory"] - s["inventory_start"])
    assert _close(lhs, s["output"], s["output"]).all()


def test_inventory_carries_over(baseline: overcap.Result) -> None:
    """This year's opening inventory is last year's closing inventory."""
    s = baseline.sectors.sort_values(["sector", "year"])
    prev = s.groupby("sector")["inventory"].shift(1)
    ok = prev.isna() | _close(prev.fillna(0), s["inventory_start"], s["inventory_start"])
    assert ok.all()


def test_revenue_is_price_times_firm_sales(baseline: overcap.Result) -> None:
    s = baseline.sectors
    firm_sales = s["sales"] - s["liquidation_sales"]
    assert _close(s["revenue"], s["price"] * firm_sales, s["revenue"]).all()


def test_equity_changes_by_profit_and_injections(baseline: overcap.Result) -> None:
    s = baseline.sectors
    lhs, rhs = equity_sides(s)
    assert _close(lhs, rhs, s["equity"].abs() + s["profit"].abs()).all()


def test_economy_totals_add_up(baseline: overcap.Result) -> None:
    by_year = baseline.sectors.groupby("year")[["profit", "investment"]].sum()
    eco = baseline.economy.set_index("year")
    assert np.allclose(by_year["profit"], eco["profit"], rtol=REL)
    assert np.allclose(by_year["investment"], eco["investment"], rtol=REL)


def test_sector_profit_is_sum_of_firm_profits() -> None:
    """Firm profits of the books record (each year's phase h), summed with pandas (not
    the engine's bincount), match the recorded sector profit."""
    sc = overcap.load_scenario("baseline")
    books: list[accounts.Books] = []
    rec, _ = simulate(sc, 3, on_records=lambda r: books.append(r.bks))
    sec, _, _ = rec.frames()
    n_spin = sc.time.spinup_years
    recorded = sec.pivot(index="year", columns="sector", values="profit")
    ids = sc.sector_ids
    assert len(books) == n_spin + len(recorded)
    for k, year in enumerate(recorded.index):
        b = books[n_spin + k]
        firm_sum = pd.Series(b.profit_i).groupby(b.sector_i).sum()
        firm_sum = firm_sum.reindex(range(len(ids)), fill_value=0.0).to_numpy()
        assert np.allclose(firm_sum, recorded.loc[year, ids].to_numpy(), rtol=1e-9, atol=1e-6)


def test_no_nan_or_infinity(baseline: overcap.Result) -> None:
    for frame in (baseline.sectors, baseline.provinces, baseline.economy):
        num = frame.select_dtypes(include=[np.number])
        assert np.isfinite(num.to_numpy(dtype=float)).all()


def test_every_year_and_unit_recorded(baseline: overcap.Result) -> None:
    years = list(range(1995, 2031))
    assert baseline.economy["year"].tolist() == years
    assert len(baseline.sectors) == len(years) * len(baseline.scenario.sector_ids)
    assert len(baseline.provinces) == len(years) * 31
    ranks = baseline.provinces.groupby("year")["growth_rank"].apply(sorted)
    assert all(r == list(range(1, 32)) for r in ranks)


def test_vocabulary_columns_present(baseline: overcap.Result) -> None:
    sector_cols = (
        "capacity output utilisation sales domestic_sales exports inventory price price_index "
        "unit_cost margin profit loss_making_share zombie_share firms entries exits subsidies "
        "debt bad_loans china_world_share sold_over_capacity domestic_sales_over_output"
    ).split()
    assert set(sector_cols) <= set(baseline.sectors.columns)
    prov_cols = "gdp_growth growth_rank subsidies debt zombie_share promoted".split()
    assert set(prov_cols) <= set(baseline.provinces.columns)
    eco_cols = (
        "gdp_growth gdp_target ppi_change aggregate_utilisation fiscal_cost_share_gdp "
        "misallocation_tfp_loss profit"
    ).split()
    assert set(eco_cols) <= set(baseline.economy.columns)


def test_identities_hold_with_asset_sales_at_exit() -> None:
    """Plants that change hands at exit (exit.asset_sale_share) keep the equity identity
    (buyers' capital and debt rise alike), output within capacity and finite tables."""
    r = overcap.run("baseline", seed=3, overrides={"exit.asset_sale_share": 0.8})
    s = r.sectors
    lhs, rhs = equity_sides(s)
    assert _close(lhs, rhs, s["equity"].abs() + s["profit"].abs()).all()
    assert (s["output"] <= s["capacity"] * (1 + 1e-12) + 1e-12).all()
    assert np.isfinite(s.select_dtypes(include=[np.number]).to_numpy()).all()
    # the rule does something: capacity differs from the run without it
    r0 = overcap.run("baseline", seed=3)
    assert not np.allclose(s["capacity"].to_numpy(), r0.sectors["capacity"].to_numpy())


def test_a_replacement_rule_holds_what_a_sector_starts_to_its_quota() -> None:
    """A capacity_replacement event on steel (ratio 1.25, full compliance): in each year
    of the rule, steel's capacity started by incumbents and entrants together is at most
    its quota (capacity retired last year and by this year's campaign, over 1.25); before
    the rule and in other sectors nothing is held back. Compliance is set to 1 here, not
    left to the calibrated set (session 33's is 0.87, which builds part of the new capacity
    as if there were no rule: centre.replacement_compliance, docs/ODD.md)."""
    ev = {"kind": "capacity_replacement", "years": [2014, 2030], "sectors": ["steel"], "size": 1.25}
    sc = overcap.load_scenario(
        "baseline", {"events.repl": ev, "centre.replacement_compliance": 1.0}
    )
    seen: list[tuple[int, float, float]] = []

    def keep(r: Any) -> None:
        k = sc.sector_ids.index("steel")
        if r.inv.quota_left_s is not None:
            quota = r.inv.quota_left_s[k] + r.inv.flows.started[k]
            seen.append((r.yr.year, r.ent.total.started[k], quota))
        else:
            assert r.yr.year < 2014

    simulate(sc, 2, on_records=keep)
    assert [y for y, _, _ in seen] == list(range(2014, 2031))
    for year, started, quota in seen:
        assert started <= quota * (1 + 1e-9) + 1e-9, (year, started, quota)
    assert any(started > 0 for _, started, _ in seen)  # the rule lets replacement through
