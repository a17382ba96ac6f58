"""Entry (phase f, engine/entry.py) on the tiny world: how many enter, how they are
financed, where they go in the firm arrays, and the year's investment totals."""

from __future__ import annotations

import numpy as np
import pytest

from overcap.engine import centre, entry, investment, provinces
from overcap.engine.investment import Expectations, excess_response
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
    """n_{p,s,o} ~ Poisson(w_p share_o (eps (q - 1)^+ D^e_s + g h(q) G_s) approvals / size_s),
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
            inv.entry_rate * (q - 1.0) * exp.demand_s
            + inv.entry_gap_share * excess_response(q) * exp.gap_capacity_s
        )
        return (weight[:, None] * share * rate * approval / size)[0]

    want = lam(q_priv, 1.0 - soe_share) + lam(q_soe, soe_share)
    rng = np.random.default_rng(1)
    draws = 4000
    total = np.zeros(2)
    for _ in range(draws):
        e = entry.entrants(exp, q_priv, q_soe, weight, approval, k, sc, rng)
        total += np.bincount(e.sector, minlength=2)
        assert np.allclose(e.size, size[e.sector])
    mean = total / draws
    assert np.all(want > 0.5)
    assert np.allclose(mean, want, rtol=4.0 / np.sqrt(draws * want))


def test_no_entrants_without_an_excess_return_or_with_the_switch_off() -> None:
    sc, k = tiny.scenario(), tiny.const()
    rng = np.random.default_rng(0)
    one = np.ones((1, 2))
    e = entry.entrants(_expect(), one, one, np.ones(1), np.ones(2), k, sc, rng)
    assert len(e.sector) == 0
    off = tiny.scenario(**{"switches.entry": False})
    e = entry.entrants(_expect(), 3 * one, 3 * one, np.ones(1), np.ones(2), k, off, rng)
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
    wave = investment.wave(st, yr, pol, aid, rng)
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
    wave = investment.wave(st, yr, pol, aid, rng)
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
    wave = investment.wave(st, yr, pol, aid, rng)
    assert len(entry.enter(st, yr, pol, aid, wave, rng).rows) == 0
