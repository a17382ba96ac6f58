"""The year as named phases (engine/year.py: step) on the tiny hand-built world."""

from __future__ import annotations

import ast
import inspect

import numpy as np

from overcap.engine import record, year
from tests.engine import tiny
from tests.engine.properties import equity_sides


def test_step_is_named_calls_without_arithmetic() -> None:
    """step reads like docs/ODD.md section 3: one named call per phase, no arithmetic."""
    tree = ast.parse(inspect.getsource(year.step))
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    body = [s for s in fn.body if not isinstance(s, ast.Expr) or isinstance(s.value, ast.Call)]
    assert len(body) <= 18
    ops = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Subscript)
    assert not any(isinstance(node, ops) for node in ast.walk(fn))


def test_two_years_of_the_tiny_world_are_recorded_and_add_up() -> None:
    st, ctx = tiny.world()
    rng = np.random.default_rng(0)
    flows: list[record.Flows] = []
    for y in tiny.YEARS:
        st.year = int(y)
        flows.append(year.step(st, ctx, rng))
    sec, prov, eco = ctx.recorder.frames()
    assert sec["year"].tolist() == [2020, 2020, 2021, 2021]
    assert len(prov) == 2 and eco["year"].tolist() == [2020, 2021]
    assert list(sec.columns[2 : 2 + len(record.SECTOR)]) == list(record.SECTOR)
    # sales plus the change in inventory is output; equity moves by profit and injections
    lhs = sec["sales"] + sec["inventory"] - sec["inventory_start"]
    assert np.allclose(lhs, sec["output"], rtol=1e-10)
    d_equity, rhs = equity_sides(sec)
    assert np.allclose(d_equity, rhs, rtol=1e-10, atol=1e-8)
    # each year's terms and records belong to that year
    assert [r.yr.year for r in flows] == [2020, 2021]
    assert np.allclose(sec["profit"].to_numpy()[:2], flows[0].bks.profit_s)


def test_investors_extrapolate_the_growth_of_the_markets_served() -> None:
    """ODD 7.5.3: after a year, g = clip(mu g_prev + (1 - mu) ln(M_t / M_{t-1})), M the
    domestic base plus the partners' markets (Demand.market_s), which no duty or relative
    cost moves, while demand at the normal price D (the level investors extrapolate
    from) carries China's share of the partners' markets."""
    st, ctx = tiny.world()
    st.sectors.market_prev = np.array([16.0, 25.0])  # growth ln(20/16) and ln(20/25)
    st.sectors.consensus_growth = np.array([0.1, 0.0])
    g_prev, m_prev = st.sectors.consensus_growth.copy(), st.sectors.market_prev.copy()
    st.year = int(tiny.YEARS[0])
    flows = year.step(st, ctx, np.random.default_rng(0))
    dem, sc = flows.dem, flows.yr.sc
    assert np.allclose(dem.market_s, dem.curve.base + dem.curve.exports.market.sum(axis=0))
    mu, clip = sc.investment.consensus_memory, sc.investment.growth_clip
    want = np.clip(mu * g_prev + (1 - mu) * np.log(dem.market_s / m_prev), -clip, clip)
    assert np.allclose(st.sectors.consensus_growth, want, rtol=1e-12)
    assert np.array_equal(st.sectors.market_prev, dem.market_s)
    assert np.array_equal(st.sectors.demand_prev, dem.normal_s)
    assert want[0] > 0.1 and want[1] < 0  # the markets' growth moved it, both ways


def test_investors_read_last_years_sales_not_output_over_capacity() -> None:
    """ODD 7.5.3: the expected price compares expected utilisation with last year's sales
    over capacity (sold_util_prev), which a year of selling from stock leaves intact:
    in the tiny world, where one firm keeps unsold output, the two ratios differ and the
    state records sales / capacity."""
    st, ctx = tiny.world()
    st.year = int(tiny.YEARS[0])
    flows = year.step(st, ctx, np.random.default_rng(0))
    cap = flows.bks.capacity_s
    assert np.allclose(st.sectors.sold_util_prev, flows.prd.clearing.sales / cap)
    assert np.allclose(st.sectors.util_prev, flows.prd.output_s / cap)
    assert not np.allclose(st.sectors.sold_util_prev, st.sectors.util_prev)
    # whether the price was the distress price is kept for next year's expected price
    assert np.array_equal(st.sectors.glut_prev, flows.prd.clearing.glut)


def test_the_record_keeps_investors_expectations_and_the_distress_price() -> None:
    """ODD 9: expected_price and expected_utilisation are the wave's expectations of the
    year (phase e), distress_price the year's lo_s p^n_s (7.6)."""
    st, ctx = tiny.world()
    st.year = int(tiny.YEARS[0])
    flows = year.step(st, ctx, np.random.default_rng(0))
    sec, _, _ = ctx.recorder.frames()
    assert np.array_equal(sec["expected_price"].to_numpy(), flows.inv.expect.price_s)
    assert np.array_equal(sec["expected_utilisation"].to_numpy(), flows.inv.expect.utilisation_s)
    lo = flows.yr.distress_s * flows.yr.p_norm
    assert np.array_equal(sec["distress_price"].to_numpy(), lo)
    assert (flows.prd.clearing.clearing_price >= lo * (1 - 1e-12)).all()
