"""Entry (phase f, engine/entry.py) on the tiny world: how many enter, how they are
financed, where they go in the firm arrays, and the year's investment totals."""

from __future__ import annotations

import numpy as np
import pytest

import overcap
from overcap.engine import centre, demand, entry, investment, provinces
from overcap.engine.investment import Expectations, excess_response
from overcap.engine.state import Firms, within_budget
from overcap.scenario import ScenarioError
from tests.engine import tiny


def _expect(price: float = 3.0) -> Expectations:
    """Investors expect full utilisation at ``price`` times the normal price, and a gap."""
    return Expectations(
        capacity_s=np.array([30.0, 30.0]),
        demand_s=np.array([40.0, 40.0]),
        utilisation_s=np.ones(2),
        price_s=price * np.array([100.0, 50.0]),
        gap_s=np.array([0.2, 0.2]),
        gap_capacity_s=np.array([6.0, 6.0]),
    )


def test_entrants_are_poisson_with_the_documented_rate() -> None:
    """n_{p,s,o} ~ Poisson(w_p share_o (eps ln(q)^+ D^e_s + g h(q) G_s) approvals / size_s),
    size_s = min(plant size, 5% of D^e_s); state-owned share = entrant_soe_share x the
    sector's SOE share. The mean count over many draws matches the rate."""
    sc, k = tiny.scenario(), tiny.const()
    inv = sc.investment
    exp = _expect()
    q_priv = np.array([[3.0, 4.0]])
    q_soe = np.array([[2.0, 1.5]])
    approval = np.array([1.0, 0.5])
    weight = np.ones(1)
    size = np.minimum(k.plant_size, 0.05 * exp.demand_s)
    soe_share = np.clip(inv.entrant_soe_share * k.soe_share, 0, 1)

    def lam(q: np.ndarray, share: np.ndarray) -> np.ndarray:
        rate = (
            inv.entry_rate * np.log(q) * exp.demand_s
            + inv.entry_gap_share * excess_response(q) * exp.gap_capacity_s
        )
        return (weight[:, None] * share * rate * approval / size)[0]

    want = lam(q_priv, 1.0 - soe_share) + lam(q_soe, soe_share)
    rng = np.random.default_rng(1)
    draws = 4000
    total = np.zeros(2)
    for _ in range(draws):
        e = entry.bounded(entry.entrants(exp, q_priv, q_soe, weight, approval, k, sc, rng), 0, sc)
        total += np.bincount(e.sector, minlength=2)
        assert np.allclose(e.size, size[e.sector])
    mean = total / draws
    assert np.all(want > 0.5)
    assert np.allclose(mean, want, rtol=4.0 / np.sqrt(draws * want))


def test_saturated_entry_is_bounded_by_the_pool_and_off_at_zero() -> None:
    """sat(R) = R / (1 + s R / D^e): R itself at s = 0; near R = 0 it is R; it rises with
    R and stays below D^e / s; with no expected demand there is no entry."""
    d = np.array([[40.0, 40.0, 40.0, 0.0]])
    r = np.array([[0.4, 40.0, 4000.0, 5.0]])
    assert np.array_equal(entry.saturated(r, d, 0.0), r)
    got = entry.saturated(r, d, 2.0)
    assert got[0, 0] == pytest.approx(0.4 / (1 + 2.0 * 0.01))
    assert got[0, 1] == pytest.approx(40.0 / 3.0)
    assert got[0, 1] < got[0, 2] < 40.0 / 2.0
    assert got[0, 3] == 5.0  # no demand: the rate is left to the other factors (size 0)


def test_entry_saturation_lowers_the_mean_count_as_documented() -> None:
    """With investment.entry_saturation s, the mean count is the saturated rate's."""
    sc = tiny.scenario()
    sc = sc.model_copy(
        update={"investment": sc.investment.model_copy(update={"entry_saturation": 3.0})}
    )
    k, inv, exp = tiny.const(), sc.investment, _expect()
    q = np.array([[3.0, 4.0]])
    size = np.minimum(k.plant_size, 0.05 * exp.demand_s)
    raw = (
        inv.entry_rate * np.log(q) * exp.demand_s
        + inv.entry_gap_share * excess_response(q) * exp.gap_capacity_s
    )
    want = (raw / (1.0 + 3.0 * raw / exp.demand_s) / size)[0]
    rng = np.random.default_rng(2)
    draws = 4000
    total = np.zeros(2)
    approval, weight = np.ones(2), np.ones(1)
    for _ in range(draws):
        e = entry.bounded(entry.entrants(exp, q, q, weight, approval, k, sc, rng), 0, sc)
        total += np.bincount(e.sector, minlength=2)
    mean = total / draws
    assert np.all(want > 0.5)
    assert np.allclose(mean, want, rtol=4.0 / np.sqrt(draws * want))


def test_no_entrants_without_an_excess_return_or_with_the_switch_off() -> None:
    sc, k = tiny.scenario(), tiny.const()
    rng = np.random.default_rng(0)
    one = np.ones((1, 2))
    e = entry.bounded(
        entry.entrants(_expect(), one, one, np.ones(1), np.ones(2), k, sc, rng), 0, sc
    )
    assert len(e.sector) == 0
    off = tiny.scenario(**{"switches.entry": False})
    e = entry.bounded(
        entry.entrants(_expect(), 3 * one, 3 * one, np.ones(1), np.ones(2), k, off, rng), 0, off
    )
    assert len(e.sector) == 0


def test_entry_phase_finances_and_places_the_entrants() -> None:
    """Each entrant is a plant under construction of its sector's size: gross capex
    size x capex, the province's capex subsidy z_ps s_k of it, equity a share of the net
    cost and a loan for the rest. The first entrant takes the dead row; the year's totals
    are the incumbents' flows plus the entrants'."""
    st, ctx = tiny.world()
    rng = np.random.default_rng(0)
    yr = ctx.begin(st)
    pol = centre.set_policy(st, yr)
    aid = provinces.subsidise(st, yr, pol)
    wave = investment.wave(st, yr, pol, aid, demand.this_year(st, yr, pol), rng)
    wave = investment.Wave(expect=_expect(), flows=wave.flows)
    n_before = len(st.firms)
    ent = entry.enter(st, yr, pol, aid, wave, rng)
    f, sc = st.firms, yr.sc
    rows = ent.rows
    n = len(rows)
    assert n > 1
    assert rows[0] == 3  # the dead row first, then appended rows
    assert np.array_equal(rows[1:], np.arange(n_before, n_before + n - 1))
    s, capex = f.sector[rows], np.array([200.0, 100.0])
    z = st.provinces.intensity[0, s]
    gross = f.building[rows] * capex[s]
    net = gross * (1.0 - z * sc.provinces.max_capex_subsidy)
    assert np.array_equal(f.building[rows], np.minimum(10.0, 0.05 * 40.0)[None].repeat(n))
    assert (f.capacity[rows] == 0).all() and f.alive[rows].all()
    assert np.allclose(f.building_cost[rows], net)
    assert np.allclose(f.equity[rows], sc.investment.entrant_equity_share * net)
    assert np.allclose(f.debt[rows], net - f.equity[rows])
    assert np.array_equal(f.debt_start[rows], f.debt[rows])
    assert (f.complete_year[rows] > yr.year).all()
    # interest rates of entrants: market rate plus the private premium, minus the
    # province's credit subsidy (state-owned: minus the SOE discount instead)
    c = sc.credit
    r = np.where(f.soe[rows], c.market_rate - c.soe_discount, c.market_rate + c.private_premium) - (
        sc.provinces.credit_subsidy_spread * z
    )
    assert np.allclose(f.rate[rows], np.maximum(r, 0.005))
    # the flows, and the year's totals
    by = np.bincount
    assert np.allclose(ent.flows.entries, by(s, minlength=2))
    assert np.allclose(ent.flows.spending, by(s, weights=gross, minlength=2))
    assert np.allclose(ent.flows.capex_subsidy, by(s, weights=gross - net, minlength=2))
    assert np.allclose(ent.flows.equity_in, by(s, weights=f.equity[rows], minlength=2))
    assert np.allclose(ent.flows.province_subsidy, [(gross - net).sum()])
    assert np.allclose(ent.total.spending, wave.flows.spending + ent.flows.spending)
    assert np.allclose(ent.total.entries, ent.flows.entries)


def _draw(n_private: list[list[int]], n_soe: list[list[int]]) -> entry.Draw:
    return entry.Draw(
        n_private=np.array(n_private), n_soe=np.array(n_soe), size_s=np.array([2.0, 5.0])
    )


def test_bounded_keeps_one_agent_per_plant_under_the_bound() -> None:
    """alive + n <= N_max: every plant drawn is an agent of its sector's plant size."""
    sc = tiny.scenario(**{"population.firms_start": 100, "population.max_firms_ratio": 2.0})
    e = entry.bounded(_draw([[3, 0], [0, 1]], [[0, 2], [0, 0]]), 194, sc)
    assert len(e.sector) == 6  # 194 + 6 = 200 = N_max
    np.testing.assert_array_equal(e.province, [0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(e.sector, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(e.soe, [False] * 4 + [True] * 2)
    np.testing.assert_array_equal(e.size, [2.0, 2.0, 2.0, 5.0, 5.0, 5.0])


def test_bounded_merges_plants_into_fewer_agents_over_the_bound() -> None:
    """N_max = 200, alive = 198: room R = 2, n = 10, m = ceil(10 / 2) = 5; groups of 6, 3
    and 1 plants become ceil(6/5) = 2, 1 and 1 agents of 3, 3 and 1 plants: capacity
    6 x 2 + 3 x 5 + 1 x 5 = 32 in 4 agents (at most R + the number of groups)."""
    sc = tiny.scenario(**{"population.firms_start": 100, "population.max_firms_ratio": 2.0})
    e = entry.bounded(_draw([[6, 3], [0, 0]], [[0, 0], [0, 1]]), 198, sc)
    np.testing.assert_array_equal(e.sector, [0, 0, 1, 1])
    np.testing.assert_array_equal(e.soe, [False, False, False, True])
    np.testing.assert_allclose(e.size, [6.0, 6.0, 15.0, 5.0])
    assert e.size.sum() == 6 * 2.0 + 3 * 5.0 + 1 * 5.0


def test_a_population_over_the_memory_budget_stops_with_a_one_line_error() -> None:
    """400 bytes a firm agent: 3,000 agents need about 1.1 MB, over a budget of 1 MB."""
    sc = tiny.scenario(**{"population.memory_budget_mb": 64.0})
    within_budget(Firms.empty(3000), sc, 2000)  # 1.1 MB: fine
    big = sc.model_copy(
        update={"population": sc.population.model_copy(update={"memory_budget_mb": 1.0})}
    )
    with pytest.raises(ScenarioError, match="population.memory_budget_mb") as info:
        within_budget(Firms.empty(3000), big, 2000)
    assert "\n" not in str(info.value)


def test_an_undamped_long_run_keeps_its_population_bounded() -> None:
    """Issue 16: demand extrapolated without damping to 2100 grew the population from
    20 k to 6.1 M agents and exhausted memory; with N_max = 1.5 x firms_start the agents
    stay below N_max + 2 P S T after T years (entrants merge into at most one agent per
    province, sector and ownership a year once the bound binds)."""
    over = {
        "macro.extrapolation_damping": 1.0,
        "time.end_year": 2100,
        "population.firms_start": 400,
        "population.max_firms_ratio": 1.5,
    }
    res = overcap.run("baseline", seed=0, overrides=over)
    firms = res.economy["firms"].to_numpy()
    years = np.arange(1, len(firms) + 1) + 5  # recorded years, after a 5-year spin-up
    assert np.all(firms <= 1.5 * 400 + 2 * 31 * 13 * years)
    assert res.sectors["capacity"].iloc[-13:].sum() > 0


def test_sponsored_projects_are_state_owned_plants_financed_by_the_deal() -> None:
    """The race (provinces.race) sponsors 3 units of steel in the tiny world's province at
    a deal share of 0.5: one state-owned entrant of size 3, gross capex 3 x 200 = 600, of
    which the province pays 300 (race spending, counted in its capex subsidies and so in
    its budget), the founders put in 30% of the 300 left and borrow the rest."""
    from dataclasses import replace

    st, ctx = tiny.world(tiny.scenario(**{"investment.entry_rate": 0.0}))
    rng = np.random.default_rng(0)
    yr = ctx.begin(st)
    pol = centre.set_policy(st, yr)
    aid = provinces.subsidise(st, yr, pol)
    aid = replace(aid, race_ps=np.array([[3.0, 0.0]]), race_share_ps=np.array([[0.5, 0.5]]))
    wave = investment.wave(st, yr, pol, aid, demand.this_year(st, yr, pol), rng)
    wave = replace(wave, expect=replace(wave.expect, gap_capacity_s=np.zeros(2)))
    ent = entry.enter(st, yr, pol, aid, wave, rng)
    f = st.firms
    assert len(ent.rows) == 1
    row = ent.rows[0]
    assert f.soe[row] and f.sector[row] == 0 and f.building[row] == 3.0
    assert f.building_cost[row] == pytest.approx(300.0)
    assert f.equity[row] == pytest.approx(0.3 * 300.0)
    np.testing.assert_allclose(ent.race_spending_p, [300.0])
    np.testing.assert_allclose(ent.race_spending_s, [300.0, 0.0])
    np.testing.assert_allclose(ent.race_started_s, [3.0, 0.0])
    assert ent.flows.province_subsidy[0] == pytest.approx(300.0)
    # entry switched off: no sponsored plant either
    st, ctx = tiny.world(tiny.scenario(**{"switches.entry": False}))
    yr = ctx.begin(st)
    pol = centre.set_policy(st, yr)
    aid = replace(provinces.subsidise(st, yr, pol), race_ps=np.array([[3.0, 0.0]]))
    wave = investment.wave(st, yr, pol, aid, demand.this_year(st, yr, pol), rng)
    assert len(entry.enter(st, yr, pol, aid, wave, rng).rows) == 0


def test_entrants_under_a_replacement_rule_fit_within_the_quota_left() -> None:
    """Sector 0 (quota 25 left, full compliance): of five plants of 10, two go ahead (20:
    a third would pass 25); sector 1 has no rule (inf) and keeps its three; the sponsored
    projects (the last two, one per sector) are counted among those kept."""
    e = entry.Entrants(
        province=np.zeros(8, dtype=np.intp),
        sector=np.array([0, 0, 0, 0, 1, 1, 0, 1], dtype=np.intp),
        soe=np.zeros(8, dtype=bool),
        size=np.full(8, 10.0),
        capex_share=np.arange(8, dtype=float),
    )
    kept, n_race = entry.replaced(e, 2, np.array([25.0, np.inf]), 1.0, np.random.default_rng(1))
    assert np.count_nonzero(kept.sector == 0) == 2
    assert np.count_nonzero(kept.sector == 1) == 3
    assert kept.capex_share is not None and len(kept.capex_share) == 5
    assert n_race == int(7 in kept.capex_share) + int(6 in kept.capex_share)
    # half compliance: 0.5 x 25/50 + 0.5 = 0.75 of 50 = 37.5, so three plants
    kept, _ = entry.replaced(e, 0, np.array([25.0, np.inf]), 0.5, np.random.default_rng(1))
    assert np.count_nonzero(kept.sector == 0) == 3
