"""The books of the tiny world's firms (phase h, accounts.close_books) against the
accounting of docs/ODD.md section 7.7, written out by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from overcap.engine import accounts, centre, demand, entry, investment, market, provinces
from overcap.engine.state import State
from overcap.engine.terms import Year
from tests.engine import tiny


def _to_books(
    item: np.ndarray | None = None,
) -> tuple[State, Year, market.Production, accounts.Books, dict[str, np.ndarray]]:
    """Run phases a-g of the tiny world (no entry), snapshot the firms, then phase h,
    with the campaign's extraordinary item per firm replaced by ``item`` if given."""
    st, ctx = tiny.world(tiny.scenario(**{"switches.entry": False}))
    rng = np.random.default_rng(0)
    yr = ctx.begin(st)
    pol = centre.set_policy(st, yr)
    aid = provinces.subsidise(st, yr, pol)
    dem = demand.this_year(st, yr, pol)
    inv = investment.wave(st, yr, pol, aid, dem, rng)
    entry.enter(st, yr, pol, aid, inv, rng)
    prd = market.produce(st, yr, pol, dem)
    before = {k: v.copy() for k, v in st.firms.arrays().items()}
    if item is not None:
        z = np.zeros(yr.S)
        pol = replace(pol, campaign=centre.CampaignResult(z, z, z, item, z))
    bks = accounts.close_books(st, yr, pol, prd, inv)
    return st, yr, prd, bks, before


def test_profit_is_revenue_less_costs_plus_subsidies() -> None:
    """pi_i = R_i - COGS_i - W_i - om_s K_i - capital_i / L_s - r_i D_i^+ + s_i q_i (no
    overtime: every firm runs at or below its normal level; no campaign item), with the
    inventory at the lower of weighted-average cost and the price (IAS 2): the pool is
    the opening book value plus c_i q_i over the units sold and kept; COGS_i is the units
    sold at that cost, W_i the write-down of the units kept to the price. One firm of the
    tiny world keeps unsold output, so the inventory term is exercised."""
    st, yr, prd, bks, b = _to_books()
    sc, f = yr.sc, st.firms
    live = np.flatnonzero(b["alive"])
    s = b["sector"][live]
    assert (b["output"][live] <= sc.market.normal_utilisation * b["capacity"][live] + 1e-9).all()
    vc = np.array([60.0, 25.0])[s] * b["cost_eff"][live]
    z = st.provinces.intensity[0, s]  # after this year's adjustment (phase c)
    op_sub = z * sc.provinces.max_operating_subsidy * np.array([100.0, 50.0])[s]
    om = np.array([5.0, 2.0])[s]
    life = np.array([20.0, 25.0])[s]
    q = b["output"][live]
    dep = b["capital"][live] / life
    interest = b["rate"][live] * np.maximum(b["debt"][live], 0.0)
    sold, kept = b["sales"][live], f.inventory[live]
    v0 = b["inventory_value"][live]
    avg = (v0 + vc * q) / (sold + kept)
    v1 = np.minimum(avg * kept, prd.clearing.price[s] * kept)
    assert (kept > 0).any() and np.allclose(f.inventory_value[live], v1, rtol=1e-12)
    expensed = avg * sold + (avg * kept - v1)  # cost of goods sold plus the write-down
    expected = (
        b["revenue"][live] - expensed - om * b["capacity"][live] - dep - interest + op_sub * q
    )
    assert np.all(q > 0)
    assert np.allclose(f.profit[live], expected, rtol=1e-12)
    assert np.allclose(bks.profit_i[live], expected, rtol=1e-12)
    # equity grows by profit; net debt falls by the cash flow (profit plus depreciation
    # less the rise of the inventory's book value)
    assert np.allclose(f.equity[live], b["equity"][live] + expected, rtol=1e-12)
    assert np.allclose(f.debt[live], b["debt"][live] - expected - dep + (v1 - v0), rtol=1e-12)
    # capital depreciates, capacity retires at the same rate
    assert np.allclose(f.capital[live], b["capital"][live] - dep, rtol=1e-12)
    assert np.allclose(f.capacity[live], b["capacity"][live] * (1.0 - 1.0 / life), rtol=1e-12)


def test_sector_sums_and_unit_cost() -> None:
    """The record's sums: steel holds firms 0 and 1, cement firm 2; unit cost is
    (variable + fixed + depreciation) / output; the credit subsidy is the interest saved
    against the market rate on positive debt."""
    st, yr, prd, bks, b = _to_books()
    sc = yr.sc
    steel, cement = [0, 1], [2]
    assert np.isclose(bks.profit_s[0], st.firms.profit[steel].sum())
    assert np.isclose(bks.profit_s[1], st.firms.profit[cement].sum())
    assert np.allclose(bks.capacity_s, [30.0, 30.0])
    assert np.allclose(bks.fixed_s, [5.0 * 30.0, 2.0 * 30.0])
    vcost = np.array([60.0, 60.0, 25.0]) * b["cost_eff"][:3] * b["output"][:3]
    dep = b["capital"][:3] / np.array([20.0, 20.0, 25.0])
    unit = np.array(
        [
            (vcost[:2].sum() + 150.0 + dep[:2].sum()) / b["output"][:2].sum(),
            (vcost[2] + 60.0 + dep[2]) / b["output"][2],
        ]
    )
    assert np.allclose(bks.unit_cost_s, unit, rtol=1e-12)
    saved = np.maximum(sc.credit.market_rate - st.firms.rate, 0.0) * np.maximum(st.firms.debt, 0)
    assert np.allclose(bks.credit_sub_s, [saved[steel].sum(), saved[cement].sum()])
    assert np.allclose(bks.revenue_s, prd.clearing.price * prd.clearing.sales)


def test_campaign_item_reaches_profit_not_debt() -> None:
    """The campaign's extraordinary item x_i (compensation less book value written off)
    is already settled in cash: it moves profit and equity, not net debt (ODD 7.7)."""
    st, _, _, bks, _ = _to_books()
    st2, _, _, bks2, _ = _to_books(item=np.array([-50.0, 0.0, 0.0]))  # entrants: none
    assert np.isclose(bks2.profit_i[0], bks.profit_i[0] - 50.0)
    assert np.array_equal(bks2.profit_i[1:], bks.profit_i[1:])
    assert np.isclose(st2.firms.equity[0], st.firms.equity[0] - 50.0)
    assert np.array_equal(st2.firms.debt, st.firms.debt)
