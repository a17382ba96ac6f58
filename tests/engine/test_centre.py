"""The policy cycle, campaigns and price rules."""

from __future__ import annotations

import numpy as np
import pytest

import overcap
from overcap.engine import centre
from overcap.engine.state import Firms
from overcap.scenario import REGIMES

CYCLE_NEXT = {r: REGIMES[(i + 1) % 4] for i, r in enumerate(REGIMES)}


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_regime_moves_only_along_the_cycle_unless_scripted(seed: int) -> None:
    eco = overcap.run("baseline", seed=seed).economy
    regimes = eco["regime"].tolist()
    scripted = eco["regime_scripted"].tolist()
    for k in range(1, len(regimes)):
        prev, now = regimes[k - 1], regimes[k]
        if scripted[k] or scripted[k - 1] or now == prev:
            continue
        assert now == CYCLE_NEXT[prev], (eco["year"].iloc[k], prev, now)


def test_baseline_visits_all_four_regimes_endogenously(baseline: overcap.Result) -> None:
    eco = baseline.economy
    free = eco[~eco["regime_scripted"]]
    assert set(free["regime"]) == set(REGIMES)


def test_next_regime_rules() -> None:
    sc = overcap.load_scenario("baseline")
    c = sc.centre
    calm = centre.Signals(
        utilisation=c.chaos_utilisation + 0.05,
        ppi_change=c.chaos_ppi + 1.0,
        zombie_share=c.chaos_zombie_share / 2,
        growth=8,
        target=7,
    )
    glut = centre.Signals(
        utilisation=c.chaos_utilisation - 0.05,
        ppi_change=c.chaos_ppi + 1.0,
        zombie_share=c.chaos_zombie_share / 2,
        growth=8,
        target=7,
    )
    slump = centre.Signals(
        utilisation=c.chaos_utilisation + 0.05,
        ppi_change=c.chaos_ppi + 1.0,
        zombie_share=c.chaos_zombie_share / 2,
        growth=7 - c.stagnation_margin - 0.5,
        target=7,
    )
    st = centre.CentreState
    assert centre.next_regime(st(centre.LOOSEN, 3), calm, sc) == centre.LOOSEN
    assert centre.next_regime(st(centre.LOOSEN, 3), glut, sc) == centre.CHAOS
    lag = c.reaction_lag
    if lag > 0:
        assert centre.next_regime(st(centre.CHAOS, lag - 1), glut, sc) == centre.CHAOS
    assert centre.next_regime(st(centre.CHAOS, lag), calm, sc) == centre.CONTROL
    assert centre.next_regime(st(centre.CONTROL, 1), calm, sc) == centre.CONTROL
    assert centre.next_regime(st(centre.CONTROL, 1), slump, sc) == centre.STAGNATION
    assert centre.next_regime(st(centre.CONTROL, c.control_max_years), calm, sc) == (
        centre.STAGNATION
    )
    assert centre.next_regime(st(centre.STAGNATION, c.stagnation_lag - 1), glut, sc) == (
        centre.STAGNATION
    )
    assert centre.next_regime(st(centre.STAGNATION, c.stagnation_lag), glut, sc) == (centre.LOOSEN)


def test_no_policy_cycle_means_no_regime() -> None:
    r = overcap.run("baseline", seed=0, overrides={"switches.policy_cycle": False})
    assert set(r.economy["regime"]) == {"none"}


def test_campaign_cuts_never_exceed_capacity() -> None:
    for name in ("baseline", "supply-side-campaign", "anti-involution"):
        s = overcap.run(name, seed=0).sectors
        # the cut is taken from the capacity in place at the start of the year
        start = s["capacity"] + s["capacity_retired_real"]
        assert (s["capacity_retired_real"] <= s["capacity_retired_by_campaign"] + 1e-9).all()
        assert (s["capacity_retired_by_campaign"] <= start + 1e-9).all()
        assert (s["capacity_retired_real"] >= 0).all()


def test_campaigns_retire_capacity_and_can_be_switched_off() -> None:
    on = overcap.run("supply-side-campaign", seed=0).sectors
    off = overcap.run("supply-side-campaign", seed=0, overrides={"switches.campaigns": False})
    assert on["capacity_retired_by_campaign"].sum() > 0
    assert off.sectors["capacity_retired_by_campaign"].sum() == 0
    assert (
        off.economy["fiscal_cost"].sum()
        < overcap.run("supply-side-campaign", seed=0).economy["fiscal_cost"].sum() + 1e12
    )  # compensation is part of the fiscal cost


def test_campaign_retires_highest_cost_first() -> None:
    sc = overcap.load_scenario("baseline", {"centre.campaign_plan_years": 1})  # the plan, whole
    f = overcap.engine.state.Firms.empty(6)  # type: ignore[attr-defined]
    f.sector[:] = 0
    f.capacity[:] = 10.0
    f.capital[:] = 100.0
    f.cost_eff[:] = [0.8, 0.9, 1.0, 1.1, 1.2, 1.3]
    f.alive[:] = True
    out = centre.campaign(f, np.array([1.0]), np.array([0.6]), sc, 1)
    # reported cut = 1.0 x (0.8 - 0.6) x 60 = 12; real = compliance x 12
    assert out.reported[0] == pytest.approx(12.0)
    real = sc.centre.campaign_compliance * 12.0
    assert out.real[0] == pytest.approx(real)
    retired = 10.0 - f.capacity
    assert retired[5] == pytest.approx(min(real, 10.0))  # the most expensive goes first
    assert retired[0] == 0.0 and retired[1] == 0.0
    comp = sc.centre.campaign_compensation
    assert out.compensation[0] == pytest.approx(comp * 100.0 * retired.sum() / 10.0)


def _six_firms(zombie_run: list[int]) -> Firms:
    f = Firms.empty(6)
    f.sector[:] = 0
    f.capacity[:] = 10.0
    f.capital[:] = 100.0
    f.cost_eff[:] = [0.8, 0.9, 1.0, 1.1, 1.2, 1.3]
    f.alive[:] = True
    f.zombie_run[:] = zombie_run
    return f


def test_campaign_closes_zombie_firms_first() -> None:
    """Six firms of capacity 10, cost 0.8 ... 1.3; firms 0 and 1 (the cheapest) are zombies
    (run 2 >= zombie_years 2), firm 2 has run 1 (not yet a zombie). Reported cut
    1.0 x (0.8 - 0.6) x 60 = 12, compliance 1: real 12. Zombie share 0.5: up to
    0.5 x 20 = 10 of zombie capacity closes first, the dearer zombie (firm 1) first, whole;
    the other 2 of the cut is the highest-cost capacity left (firm 5).
    Zombie share 1: all 12 from zombies (firm 1 whole, 2 of firm 0). Zombie share 0: the
    highest-cost rule alone (10 from firm 5, 2 from firm 4)."""
    over = {"centre.campaign_compliance": 1.0, "centre.campaign_plan_years": 1}

    def cut(zshare: float) -> np.ndarray:
        sc = overcap.load_scenario(
            "baseline", {**over, "centre.campaign_zombie_share": zshare}, calibrated=False
        )
        f = _six_firms([2, 2, 1, 0, 0, 0])
        out = centre.campaign(f, np.array([1.0]), np.array([0.6]), sc, 1)
        assert out.real[0] == pytest.approx(12.0)
        np.testing.assert_allclose(f.capital, 10.0 * f.capacity)  # capital goes with it
        return np.asarray(10.0 - f.capacity)

    np.testing.assert_allclose(cut(0.5), [0, 10, 0, 0, 0, 2], atol=1e-9)
    np.testing.assert_allclose(cut(1.0), [2, 10, 0, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(cut(0.0), [0, 0, 0, 0, 2, 10], atol=1e-9)


def test_no_new_capacity_is_approved_where_a_campaign_cuts() -> None:
    """centre.campaign_approval = 0: in a sector-year with a campaign cut, no project is
    started and nobody enters; = 1: approvals as usual, and projects do start there."""
    frozen = overcap.run("supply-side-campaign", seed=0, centre__campaign_approval=0.0).sectors
    cut = frozen[frozen["capacity_retired_by_campaign"] > 0]
    assert len(cut) > 0
    assert (cut["capacity_started"] == 0).all() and (cut["entries"] == 0).all()
    assert (frozen.loc[frozen["capacity_retired_by_campaign"] == 0, "capacity_started"] > 0).any()
    open_ = overcap.run("supply-side-campaign", seed=0, centre__campaign_approval=1.0).sectors
    cut_open = open_[open_["capacity_retired_by_campaign"] > 0]
    assert (cut_open["capacity_started"] > 0).any()


def test_without_evasion_the_price_floor_binds() -> None:
    r = overcap.run("anti-involution", seed=0, overrides={"centre.floor_evasion": 0.0})
    s = r.sectors.query("year >= 2024 and output > 0 and price_floor > 0")
    assert len(s) > 0
    assert (s["price"] >= s["price_floor"] * (1 - 1e-9)).all()


def test_evasion_leaves_the_price_between_clearing_and_floor() -> None:
    """With the market clearing each year (price adjustment 1), the realised price is the
    clearing price plus the unevaded half of its gap to the floor. (With partial
    adjustment the floor's gap is to the adjusted price, which is not recorded:
    tests/engine/test_market.py checks that case on a small market.)"""
    r = overcap.run(
        "anti-involution",
        seed=0,
        overrides={"centre.floor_evasion": 0.5, "market.price_adjustment": 1.0},
    )
    s = r.sectors.query("year >= 2024 and output > 0 and price_floor > clearing_price")
    assert len(s) > 0
    assert (s["price"] < s["price_floor"]).all()
    assert (s["price"] > s["clearing_price"]).all()
    expected = s["clearing_price"] + 0.5 * (s["price_floor"] - s["clearing_price"])
    assert np.allclose(s["price"], expected)


def test_price_rules_switch() -> None:
    """Without price rules there is no floor: with the market clearing each year the price
    is the clearing price; with partial adjustment (the calibrated default) it lies
    between the clearing price and last year's price carried at this year's normal price
    (ODD 7.6)."""
    off = {"switches.price_rules": False}
    r = overcap.run("anti-involution", seed=0, overrides={**off, "market.price_adjustment": 1.0})
    assert (r.sectors["price_floor"] == 0).all()
    assert np.allclose(r.sectors["price"], r.sectors["clearing_price"])
    s = overcap.run("anti-involution", seed=0, overrides=off).sectors
    s = s.sort_values(["sector", "year"])
    g = s.groupby("sector")
    prev = g["price"].shift(1) / g["normal_price"].shift(1) * s["normal_price"]
    ok = prev.notna() & (s["output"] > 0)
    lo = np.minimum(prev, s["clearing_price"])[ok]
    hi = np.maximum(prev, s["clearing_price"])[ok]
    price = s["price"][ok]
    assert ((price >= lo * (1 - 1e-9)) & (price <= hi * (1 + 1e-9))).all()
    assert not np.allclose(price, s["clearing_price"][ok])  # the adjustment is partial


def test_a_binding_floor_idles_capacity_instead_of_filling_warehouses() -> None:
    """ODD 7.6: under a binding floor sales are rationed to demand at the floor and firms
    free to choose produce only what sells; targets' output is held under the stock
    ceiling, (1 + h) times last year's pace of sales (sales over capacity last year, on
    this year's capacity). So in the sector-years where the floor binds, stocks rise by
    at most h = market.max_stock of the year's sales, plus, in a year whose sales fall
    short of last year's pace, (1 + h) times the shortfall (the targets produced at that
    pace): rise <= h sales + (1 + h) max(0, pace - sales). The rule it replaced stocked
    everything the floor's price covered: a year and more of sales in cement and autos."""
    r = overcap.run("anti-involution", seed=0, overrides={"centre.floor_evasion": 0.0})
    s = r.sectors.sort_values(["sector", "year"])
    pace = s.groupby("sector")["sold_over_capacity"].shift(1) * s["capacity"]
    s = s.assign(pace=pace)
    binding = s.query("year >= 2024 and price_floor > clearing_price * 1.01 and output > 0")
    assert len(binding) > 0
    rise = binding["inventory"] - binding["inventory_start"]
    h = r.scenario.market.max_stock
    shortfall = (binding["pace"] - binding["sales"]).clip(lower=0.0)
    assert (rise <= h * binding["sales"] + (1.0 + h) * shortfall + 1e-9).all()


def test_stimulus_switch_lowers_construction_demand() -> None:
    on = overcap.run("baseline", seed=0).sectors
    off = overcap.run("baseline", seed=0, overrides={"switches.stimulus": False}).sectors

    def steel_2009(s):  # type: ignore[no-untyped-def]
        return float(s.query("sector == 'steel' and year == 2009")["demand_domestic_base"].iloc[0])

    assert steel_2009(off) < steel_2009(on)


def test_stability_concern_raises_bailout_odds() -> None:
    from overcap.engine import exits

    sc = overcap.load_scenario("baseline", calibrated=False)
    soe = np.array([True, False])
    prot = np.array([False, False])
    share = np.array([0.01, 0.01])
    calm = exits.bailout_probability(soe, prot, share, sc, 0.0)
    tense = exits.bailout_probability(soe, prot, share, sc, sc.centre.stagnation.stability_concern)
    assert (tense > calm).all()


def test_the_regimes_campaigns_spare_strategic_sectors(baseline: overcap.Result) -> None:
    """In the baseline only the steel and coal campaign of 2016-18 is scripted: no
    capacity of a sector is retired by a campaign in a year it is strategic (solar,
    batteries and EVs from 2010, autos throughout), while the traditional sectors are
    cut."""
    s = baseline.sectors
    cut = s[s["capacity_retired_by_campaign"] > 0]
    assert len(cut) > 0
    assert not cut["strategic"].astype(bool).any(), cut[["year", "sector"]].to_string()


def test_a_campaign_is_a_plan_carried_out_in_equal_parts() -> None:
    """Plan years P = 3, k = 1, u* = 0.8, u = 0.6 and K = 60 in the first year: the plan is
    0.2 x 60 = 12, so 4 is reported each year the campaign lasts, whatever the gap and the
    capacity do meanwhile; the plan ends with the campaign, and the next one sets a new
    plan from its own first year. P = 0 recomputes k gap K every year."""
    k = np.array([1.0])
    plan, rep = centre.campaign_plan(k, np.array([0.2]), np.array([60.0]), np.zeros(1), 3)
    assert rep[0] == pytest.approx(4.0) and plan[0] == pytest.approx(4.0)
    plan, rep = centre.campaign_plan(k, np.array([0.05]), np.array([50.0]), plan, 3)
    assert rep[0] == pytest.approx(4.0)  # the plan, not 0.05 x 50 / 3
    plan, rep = centre.campaign_plan(np.zeros(1), np.array([0.3]), np.array([50.0]), plan, 3)
    assert rep[0] == 0.0 and plan[0] == 0.0  # the campaign ended
    plan, rep = centre.campaign_plan(k, np.array([0.3]), np.array([50.0]), plan, 3)
    assert rep[0] == pytest.approx(5.0)  # a new campaign, a new plan: 0.3 x 50 / 3
    plan, rep = centre.campaign_plan(k, np.array([0.05]), np.array([50.0]), plan, 0)
    assert rep[0] == pytest.approx(2.5) and plan[0] == 0.0  # P = 0: the yearly rule
    _, rep = centre.campaign_plan(k, np.array([0.2]), np.array([3.0]), np.array([9.0]), 3)
    assert rep[0] == pytest.approx(3.0)  # never more than the capacity left


def test_the_campaign_carries_its_plan_from_year_to_year() -> None:
    """In a run, a sector's yearly reported cut stays the same while a campaign lasts:
    the 2016-18 steel and coal campaign of the baseline reports equal cuts (P = 3), and
    P = 0 recomputes the cut every year from last year's gap, so the cuts differ. Whether
    they fall or rise depends on the path (they fell under session 35's set and rise in
    2017 under session 43's), so the test asks only that they are not carried."""

    def cuts(p: int) -> np.ndarray:
        sc = overcap.load_scenario("baseline", {"centre.campaign_plan_years": p})
        s = overcap.run(sc, seed=1).sectors
        s = s[(s.sector == "coal") & s.year.between(2016, 2018)]
        return np.asarray(s.sort_values("year")["capacity_retired_by_campaign"])

    planned = cuts(3)
    assert planned[0] > 0
    np.testing.assert_allclose(planned, planned[0], rtol=1e-9)
    yearly = cuts(0)
    assert yearly[0] > 0 and yearly[1] > 0
    assert np.ptp(yearly) > 0.05 * yearly.max()  # recomputed, not carried
