"""The year as named phases (engine/year.py: step) on the tiny hand-built world."""

from __future__ import annotations

import ast
import inspect

import numpy as np

from overcap.engine import record, year
from tests.engine import tiny


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
    d_equity = sec["equity"] - sec["equity_start"]
    rhs = sec["profit"] + sec["equity_injections"] - sec["equity_removed"]
    assert np.allclose(d_equity, rhs, rtol=1e-10, atol=1e-8)
    # each year's terms and records belong to that year
    assert [r.yr.year for r in flows] == [2020, 2021]
    assert np.allclose(sec["profit"].to_numpy()[:2], flows[0].bks.profit_s)
