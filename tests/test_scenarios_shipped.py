"""Every shipped scenario loads, runs and keeps the accounting identities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import overcap
from overcap.calibration import (
    REPLACEMENT_MAX_RATIO,
    replacement_rules_off,
    replacement_starts,
)
from tests.engine.properties import equity_sides


@pytest.mark.parametrize("name", overcap.available_scenarios())
def test_shipped_scenario_runs(name: str) -> None:
    r = overcap.run(name, seed=0)
    s = r.sectors
    assert np.isfinite(s.select_dtypes("number").to_numpy(float)).all()
    lhs = s["sales"] + s["inventory"] - s["inventory_start"]
    assert np.allclose(lhs, s["output"], rtol=1e-8, atol=1e-8)
    eq, rhs = equity_sides(s)
    assert np.allclose(eq, rhs, rtol=1e-8, atol=1e-6 * s["equity"].abs().max())


def test_expected_scenarios_ship() -> None:
    assert {
        "baseline",
        "market-reform",
        "anti-involution",
        "anti-involution-floor-only",
        "supply-side-campaign",
        "trade-war",
        "capacity-replacement",
    } <= set(overcap.available_scenarios())


def test_market_reform_removes_subsidies_and_zombies_after_the_reform() -> None:
    """The reform of 2020 phases out over reform.transition_years = 4 (ODD 7.13): its
    mechanisms are at strength 0 from 2023, and gone by then; in 2020 zombies and
    subsidies are still there, and from 2021 the reform holds the zombie share below the
    baseline's of the same year and seed (a paired comparison: the baseline's share may
    itself rise after 2020's demand, as it does with session 14's set, 0.04 to 0.11)."""
    r = overcap.run("market-reform", seed=0)
    assert r.scenario.reform.transition_years == 4.0
    after = r.economy.query("year >= 2023")
    assert (after["zombie_share"] == 0).all()
    # campaigns may still pay compensation (the specification's reform keeps them), and
    # that is all the fiscal cost left: no bailouts, no subsidies
    assert (after["bailout_fiscal"] == 0).all()
    comp = r.sectors.query("year >= 2023").groupby("year")["campaign_compensation"].sum()
    np.testing.assert_allclose(
        after.set_index("year")["fiscal_cost"], comp.reindex(after["year"]), rtol=1e-9, atol=1e-6
    )
    assert (r.provinces.query("year >= 2023")["subsidies"] == 0).all()
    base = overcap.run("baseline", seed=0).economy.set_index("year")["zombie_share"]
    reform = r.economy.set_index("year")["zombie_share"]
    assert reform[2020] > 0  # zombies are still there in the reform's first year
    assert 0 < reform[2021] < base[2021]
    assert (reform.loc[2021:2022] < base.loc[2021:2022]).all()
    assert r.provinces.query("year == 2020")["subsidies"].sum() > 0
    before = r.economy.query("year < 2020")
    assert before["fiscal_cost_share_gdp"].mean() > 1.0


def test_market_reform_at_once_without_a_transition() -> None:
    """reform.transition_years = 0: the switches act in 2020 as before issue 14."""
    r = overcap.run("market-reform", seed=0, overrides={"reform.transition_years": 0})
    assert (r.provinces.query("year >= 2020")["subsidies"] == 0).all()
    assert (r.economy.query("year >= 2021")["zombie_share"] == 0).all()


def test_market_reform_raises_utilisation_over_seeds() -> None:
    base = [overcap.run("baseline", seed=s).economy for s in range(3)]
    ref = [overcap.run("market-reform", seed=s).economy for s in range(3)]

    def u(e):  # type: ignore[no-untyped-def]
        return e.query("2020 <= year <= 2030")["aggregate_utilisation"].mean()

    assert np.median([u(e) for e in ref]) > np.median([u(e) for e in base])


def test_inheritance_states_only_differences() -> None:
    base = overcap.load_scenario("baseline")
    tw = overcap.load_scenario("trade-war")
    assert tw.investment == base.investment
    assert set(base.events) < set(tw.events)
    assert tw.trade.countermeasure_probability == 1.0


def test_capacity_replacement_holds_back_steel_after_2014() -> None:
    """Full enforcement from 2014: steel starts less new capacity over 2014-2030 than in
    the baseline (same seed), whose rules bind only the calibrated share of projects
    (centre.replacement_compliance), and the same before the rule."""
    base = overcap.run("baseline", seed=0).sectors
    repl = overcap.run("capacity-replacement", seed=0).sectors

    def started(s: pd.DataFrame, lo: int, hi: int) -> float:
        df = s[(s["sector"] == "steel") & s["year"].between(lo, hi)]
        return float(df["capacity_started"].sum())

    assert started(repl, 1995, 2013) == pytest.approx(started(base, 1995, 2013))
    assert started(repl, 2014, 2030) < 0.8 * started(base, 2014, 2030)


def test_the_baseline_scripts_the_replacement_rules_of_the_record() -> None:
    """Guidance No. 41 (steel, cement, aluminium, flat glass from 2014), the 2021 steel
    measures (1.25 to 1) and coal's reduced replacement from 2016 are the baseline's
    (docs/ODD.md 7.10.6); the capacity-replacement scenario only enforces them fully."""
    base = overcap.load_scenario("baseline")
    rules = {
        name: (tuple(ev.years), tuple(ev.sectors), ev.size)
        for name, ev in base.events.items()
        if ev.kind == "capacity_replacement"
    }
    assert rules == {
        "replacement_guidance_41": (
            (2014, 2030),
            ("steel", "cement", "aluminium", "flat_glass"),
            1.0,
        ),
        "steel_replacement_2021": ((2021, 2030), ("steel",), 1.25),
        "coal_reduction_replacement_2016": ((2016, 2030), ("coal",), 1.0),
    }
    repl = overcap.load_scenario("capacity-replacement")
    assert {
        n: e for n, e in repl.events.items() if e.kind == "capacity_replacement"
    }.keys() == rules.keys()


def test_no_wave_of_new_capacity_when_the_2016_18_freeze_ends() -> None:
    """The control regime of 2016-18 freezes approvals in the sectors its campaign cuts;
    without the replacement rules, every investor saw the same gap in 2019 and steel
    started 0.8 of its capacity in that year, coal 0.45 (session 33's set, seeds 1-3).
    The baseline's rules bind the calibrated share of projects
    (centre.replacement_compliance: 0.87 in session 33's set, 0.70 in session 34's), so
    the test compares the same seed with the rules moved out of the run: under them,
    steel and coal start less than half of what they start without them in 2019 (session
    34's set, seeds 0 and 1: steel 0.23-0.26 of its capacity against 0.66-0.68, coal
    0.14-0.17 against 0.43-0.48). The measurement is calibration.replacement_starts,
    which the pick also runs on a candidate's own seed from session 37 (``--replacement``:
    session 36's candidate passed the pick and failed here)."""
    base = overcap.load_scenario("baseline")
    assert len(replacement_rules_off(base)) == 3
    for seed in (0, 1):
        for sector, (on, without) in replacement_starts(base, seed).items():
            assert on < REPLACEMENT_MAX_RATIO * without, (seed, sector, on, without)
