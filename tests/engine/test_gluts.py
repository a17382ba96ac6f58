"""Gluts that show as idle capacity, production restrictions, and reforms that phase in
over time (ODD 7.4, 7.6, 7.10.4 and 7.13): the rules on tiny hand-built worlds."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

import overcap
from overcap.engine import centre, exits, investment, market, provinces, terms
from overcap.engine.terms import Context, Strengths, script, transition
from overcap.model import simulate
from overcap.scenario import Scenario, ScenarioError, Switches, load_scenario
from tests.engine.tiny import no_exports

SC = overcap.load_scenario("baseline", calibrated=False)


def _a(*x: float) -> np.ndarray:
    return np.array(x, dtype=float)


# ---------------------------------------------------------------- 7.4 domestic demand


def test_demand_is_the_path_at_the_reference_price() -> None:
    """D = B (p / p^r)^(-eps): the path B at the reference price whatever the normal
    price; a price half the reference with eps = 0.2 raises demand by 2^0.2 only."""
    b, p_ref = _a(100.0, 100.0), _a(80.0, 80.0)
    d = market.domestic_demand(b, _a(80.0, 40.0), p_ref, _a(0.2, 0.2))
    assert d[0] == 100.0
    assert np.isclose(d[1], 100.0 * 2.0**0.2)


def test_reference_price_is_a_moving_average_of_relative_prices() -> None:
    """r' = m r + (1 - m) p / p^n: from 1 with m = 0.7 and a price half the normal price,
    0.85; then 0.745; with m = 1 the reference stays at the normal price."""
    r = market.reference_price(_a(1.0), _a(50.0), _a(100.0), 0.7)
    assert np.isclose(r[0], 0.85)
    assert np.isclose(market.reference_price(r, _a(50.0), _a(100.0), 0.7)[0], 0.745)
    assert market.reference_price(_a(1.0), _a(50.0), _a(100.0), 1.0)[0] == 1.0


def _glut(elasticity: float) -> market.Clearing:
    """One sector, normal and reference price 1, path demand 10; a state-owned firm must
    run 6 of its 10 units at cost 0.9, a private firm has 10 units at cost 0.7. At the
    distress price 0.5 neither firm's flexible capacity runs."""
    one = np.ones(1)
    offer = market.Offer(
        sector_i=np.array([0, 0], dtype=np.intp),
        mc_i=_a(0.9, 0.7),
        must_i=_a(6.0, 0.0),
        capacity_i=_a(10.0, 10.0),
        fixed_s=np.zeros(1),
        normal_util=1.0,
        overtime_premium=0.0,
    )
    curve = market.DemandCurve(
        base=_a(4.0),
        p_norm=one,
        elasticity=_a(elasticity),
        exports=no_exports(1),
        p_ref=one,
    )
    return market.clear(offer, curve, market.PriceRule(0.5, 3.0, np.zeros(1), np.zeros(1)))


def test_a_glut_shows_as_idle_capacity_and_inventory_with_short_run_demand() -> None:
    """Must-run output 6 against a path of 4: with a long-run elasticity of 1.5 the price
    falls to the private firm's cost 0.7, where 4 x 0.7^-1.5 = 6.8 is bought: the glut is
    absorbed, all is sold and the private firm runs; with a short-run elasticity of 0.2
    demand at the distress price is 4 x 2^0.2 = 4.6, the private firm stands idle and 1.4
    units go to inventory."""
    long_run, short_run = _glut(1.5), _glut(0.2)
    width = market.COST_SPAN / market.N_BINS
    assert abs(long_run.price[0] - 0.7) < width and long_run.output[1] > 0.8
    assert long_run.output.sum() == pytest.approx(4.0 * long_run.price[0] ** -1.5)
    assert long_run.sold_share[0] == pytest.approx(1.0)
    assert short_run.price[0] == pytest.approx(0.5)
    assert short_run.output[1] == 0.0 and short_run.output[0] == 6.0
    assert short_run.sales[0] == pytest.approx(4.0 * 2.0**0.2)
    assert short_run.sold_share[0] == pytest.approx(4.0 * 2.0**0.2 / 6.0)


def test_the_distress_price_is_a_share_of_cash_cost_and_follows_it() -> None:
    """lo_s = ratio x c_s / p^n_s (ODD 7.6): with c = 0.8 p^n and a ratio of 0.9 a glut's
    price is 0.72 of the normal price; when ore halves a steel mill's cash cost, so that
    c = 0.4 of an unchanged p^n, the trough halves too (0.36)."""
    lo = terms.distress_price(0.9, _a(80.0, 40.0), _a(100.0, 100.0))
    assert np.allclose(lo, [0.72, 0.36])
    one = np.ones(1)
    offer = market.Offer(
        sector_i=np.array([0], dtype=np.intp), mc_i=_a(0.8), must_i=_a(6.0),
        capacity_i=_a(10.0), fixed_s=np.zeros(1), normal_util=1.0, overtime_premium=0.0,
    )  # fmt: skip
    curve = market.DemandCurve(
        base=_a(4.0), p_norm=one, elasticity=_a(0.2), exports=no_exports(1), p_ref=one
    )
    rule = market.PriceRule(terms.distress_price(0.9, _a(0.8), one), 3.0, np.zeros(1), np.zeros(1))
    clr = market.clear(offer, curve, rule)
    assert clr.price[0] == pytest.approx(0.72)
    assert clr.sales[0] == pytest.approx(4.0 * 0.72**-0.2)


# ---------------------------------------------------------------- 7.6 production limits


def test_production_limit_caps_every_firm_must_run_included() -> None:
    """L_i = cap_s K_i. A state-owned firm that must run 8 of 10 units under a cap of 0.6
    produces 6; the private firm's flexible capacity is cut to 6 as well; demand 20 is
    rationed at the scarcity price."""
    cap = _a(10.0, 10.0)
    assert market.production_limit(cap, _a(1.0, 1.0)) is None
    assert market.production_limit(cap, np.ones(0)) is None
    limit = market.production_limit(cap, _a(0.6, 0.6))
    assert limit is not None and np.allclose(limit, 6.0)
    one = np.ones(1)
    offer = market.Offer(
        sector_i=np.array([0, 0], dtype=np.intp),
        mc_i=_a(0.9, 0.5),
        must_i=np.minimum(_a(8.0, 0.0), limit),
        capacity_i=cap,
        fixed_s=np.zeros(1),
        normal_util=0.85,
        overtime_premium=0.3,
        limit_i=limit,
    )
    curve = market.DemandCurve(
        base=_a(20.0),
        p_norm=one,
        elasticity=np.zeros(1),
        exports=no_exports(1),
    )
    clr = market.clear(offer, curve, market.PriceRule(0.5, 3.0, np.zeros(1), np.zeros(1)))
    np.testing.assert_allclose(clr.output, [6.0, 6.0])
    assert clr.price[0] == pytest.approx(3.0)


def test_must_run_share_follows_the_strengths() -> None:
    """SOE: the targets' strength; protected private: targets x protection; others 0."""
    soe, prot = np.array([True, False, False]), np.array([False, True, False])
    np.testing.assert_array_equal(market.must_run_share(soe, prot, 1.0, 1.0), [1.0, 1.0, 0.0])
    np.testing.assert_allclose(market.must_run_share(soe, prot, 0.5, 0.5), [0.5, 0.25, 0.0])


def test_output_caps_fall_on_targeted_sectors_and_the_script() -> None:
    """The regime's cap 0.8 falls where utilisation is below the goal 0.8; a scripted cap
    0.84 in the third sector; the switch turns both off."""
    util = _a(0.7, 0.9, 0.9)
    scripted = _a(1.0, 1.0, 0.84)
    targets = centre.campaign_targets(util, 0.8, np.zeros(3, dtype=bool))
    caps = centre.output_caps(0.8, scripted, targets, True)
    np.testing.assert_allclose(caps, [0.8, 1, 0.84])
    np.testing.assert_array_equal(centre.output_caps(0.8, scripted, targets, False), 1.0)


def test_the_regime_spares_strategic_sectors_but_not_the_script() -> None:
    """All three sectors run below the goal; the first and third are strategic. The
    regime's cap falls only on the second; the script's cap on the third still holds."""
    util = _a(0.6, 0.6, 0.6)
    strategic = np.array([True, False, True])
    targets = centre.campaign_targets(util, 0.8, strategic)
    caps = centre.output_caps(0.8, _a(1.0, 1.0, 0.84), targets, True)
    np.testing.assert_allclose(caps, [1.0, 0.8, 0.84])
    np.testing.assert_array_equal(targets, [False, True, False])
    np.testing.assert_array_equal(
        centre.campaign_targets(_a(0.9, 0.6, 0.6), 0.8, np.zeros(3, dtype=bool)),
        [False, True, True],
    )


def test_the_regime_reaches_only_the_campaign_sectors() -> None:
    """All three sectors run below the goal, none strategic; only the first two are on the
    campaigns' list, so the regime's campaign and cap spare the third (as the baseline
    spares television sets and refrigerators); without a list every sector is reached."""
    util = _a(0.6, 0.6, 0.6)
    none = np.zeros(3, dtype=bool)
    reach = np.array([True, True, False])
    targets = centre.campaign_targets(util, 0.8, none, reach)
    np.testing.assert_array_equal(targets, [True, True, False])
    np.testing.assert_allclose(centre.output_caps(0.8, _a(1, 1, 1), targets, True), [0.8, 0.8, 1])
    np.testing.assert_array_equal(centre.campaign_targets(util, 0.8, none), [True] * 3)


def test_the_baseline_campaigns_spare_television_sets_and_refrigerators() -> None:
    """In the shipped baseline's control years (the scripted 1993-96 and 2016-18) the
    regime's campaign retires capacity in steel and coal but never in the two sectors no
    campaign named; listing every sector (ALL) brings the cuts there back."""
    ids = SC.sector_ids
    light = [ids.index("consumer_electronics"), ids.index("appliances")]
    heavy = [ids.index("steel"), ids.index("coal")]
    years = list(range(1993, 1997)) + list(range(2016, 2019))

    def cuts(sc: Scenario) -> np.ndarray:
        out = np.zeros(len(ids))

        def on_records(r: Any) -> None:
            if r.yr.year in years:
                out[:] += r.pol.campaign.reported

        simulate(sc, np.random.SeedSequence(3, spawn_key=(0,)), on_records=on_records)
        return out

    shipped = load_scenario("baseline")
    listed = cuts(shipped)
    assert np.all(listed[light] == 0.0)
    assert np.all(listed[heavy] > 0.0)
    every = cuts(load_scenario(shipped, ["centre.campaign_sectors=['ALL']"]))
    assert np.all(every[light] > 0.0)


def test_the_baseline_scripts_coal_and_steel_restrictions() -> None:
    ids = SC.sector_ids
    coal, steel = ids.index("coal"), ids.index("steel")
    assert (script(SC, 2015, ids).output_cap_s == 1.0).all()
    y2016 = script(SC, 2016, ids).output_cap_s
    assert y2016[coal] == 0.84 and y2016[steel] == 1.0
    y2018 = script(SC, 2018, ids).output_cap_s
    assert y2018[coal] == 0.84 and y2018[steel] == 0.9 and y2018.min() == 0.84
    assert (script(SC, 2020, ids).output_cap_s == 1.0).all()


@pytest.mark.parametrize("size", [0.0, 1.2])
def test_an_output_cap_needs_a_share_of_capacity(size: float) -> None:
    ev = {"kind": "output_cap", "years": [2016, 2017], "sectors": ["coal"], "size": size}
    with pytest.raises(ScenarioError, match="size"):
        overcap.load_scenario("baseline", overrides={"events.cap": ev})


# ---------------------------------------------------------------- 7.13 transitions


def off_all() -> Strengths:
    return Strengths(0.0, 0.0, 0.0, 0.0, 0.0)


def test_a_switch_phases_out_at_one_over_t_a_year() -> None:
    on, off = Strengths(), off_all()
    s, path = on, []
    for _ in range(5):
        s = transition(s, off, 4.0)
        path.append(s.soft_budget)
    assert path == [0.75, 0.5, 0.25, 0.0, 0.0]
    assert transition(on, off, 0.0) == off
    back = transition(off, on, 2.0)
    assert back.bailouts == 0.5 and back.subsidies == 0.5


def test_market_reform_strengths_by_year() -> None:
    """market-reform switches five mechanisms off from 2020: 0.75 in 2020, 0 from 2023;
    the baseline keeps them at full strength."""

    def context(sc: Scenario) -> Context:
        # the strengths read only the scenario and the inputs' years
        years = cast(Any, SimpleNamespace(years=np.arange(1990, 2031)))
        return Context(sc, years, cast(Any, None), cast(Any, None), 1995, cast(Any, None))

    reform = overcap.load_scenario("market-reform")
    ctx = context(reform)
    assert ctx.strength(2019) == Strengths()
    assert ctx.strength(2020).soe_output_targets == 0.75
    assert ctx.strength(2021).soft_budget == 0.5
    assert ctx.strength(2023) == off_all()
    base = context(overcap.load_scenario("baseline"))
    assert all(base.strength(y) == Strengths() for y in range(1990, 2031))
    quick = context(overcap.load_scenario("market-reform", {"reform.transition_years": 0}))
    assert quick.strength(2019) == Strengths() and quick.strength(2020) == off_all()


def test_loans_reprice_toward_market_over_the_transition() -> None:
    """Soft SOE rate 0.045, hard rate 0.08: at strength 0.5 the SOE pays 0.0625; the
    bailed-out SOE 0.5 x 0.015 + 0.5 x 0.08 = 0.0475 (still below the market minimum,
    so a zombie stays one until its loans reprice further)."""
    soe, bailed, z = np.array([True, True]), np.array([False, True]), _a(0.0, 0.0)
    half = Strengths(soft_budget=0.5)
    r = investment.interest_rates(soe, z, bailed, SC, 0.0, half)
    np.testing.assert_allclose(r, [0.0625, 0.0475], atol=1e-15)
    full = investment.interest_rates(soe, z, bailed, SC, 0.0, Strengths())
    np.testing.assert_array_equal(full, investment.interest_rates(soe, z, bailed, SC, 0.0))


def test_bailouts_at_zero_strength_save_no_one() -> None:
    """An insolvent state-owned firm with a near-certain bailout at full strength (0.999;
    seed 0 draws below it) exits at strength 0, with the switch on."""
    from overcap.engine.state import Firms

    def insolvent() -> Firms:
        f = Firms.empty(1)
        f.alive[:] = True
        f.soe[:] = True
        f.capacity[:] = 10.0
        f.capital[:] = 100.0
        f.debt[:] = 200.0
        f.equity[:] = -100.0
        return f

    sc = overcap.load_scenario("baseline", calibrated=False, overrides={"exit.rescue_soe": 0.999})
    value = (_a(1.0), _a(1.0))
    saved = exits.resolve_insolvency(insolvent(), value, 1, 1, sc, np.random.default_rng(0))
    assert saved.bailouts[0] == 1.0
    gone = exits.resolve_insolvency(
        insolvent(), value, 1, 1, sc, np.random.default_rng(0), strength=0.0
    )
    assert gone.bailouts[0] == 0.0 and gone.exits[0] == 1.0


def test_subsidy_targets_shrink_with_the_strength() -> None:
    """With adjustment speed 1 and no fiscal limit, intensity = s x target."""
    from overcap.engine.state import ProvinceState

    def prov() -> ProvinceState:
        return ProvinceState(
            weight=np.ones(1),
            gdp=np.array([1e6]),
            growth=np.array([6.0]),
            rel_growth_sum=np.zeros(1),
            years_in_term=np.zeros(1, dtype=np.int64),
            protection=np.zeros(1),
            intensity=np.zeros((1, 2)),
            fiscal_scale=np.ones(1),
            spend_prev=np.zeros(1),
            debt=np.zeros(1),
        )

    pp = SC.provinces.model_copy(update={"adjust_speed": 1.0})
    sw = Switches()
    full, half = prov(), prov()
    provinces.set_subsidies(full, np.array([True, False]), np.ones(2), 1.0, pp, sw)
    provinces.set_subsidies(half, np.array([True, False]), np.ones(2), 1.0, pp, sw, 0.5)
    assert full.intensity.min() > 0
    np.testing.assert_allclose(half.intensity, 0.5 * full.intensity)
    none = prov()
    provinces.set_subsidies(none, np.array([True, False]), np.ones(2), 1.0, pp, sw, 0.0)
    assert (none.intensity == 0).all()
