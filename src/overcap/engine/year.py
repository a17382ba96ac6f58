"""One year, as named phases in the order they run (docs/ODD.md section 3).

Each phase lives in its box's module, changes the state that carries over and returns
a frozen record of the year's flows; later phases read those records. The letters are
ODD's; the specification's steps (docs/ODD.md section 3) are in brackets.
"""

from __future__ import annotations

import numpy as np

from overcap.engine import (
    accounts,
    banks,
    centre,
    demand,
    entry,
    exits,
    investment,
    macro,
    market,
    provinces,
    record,
    trade,
)
from overcap.engine.state import State
from overcap.engine.terms import Context

__all__ = ["Context", "step"]


def step(st: State, ctx: Context, rng: np.random.Generator) -> record.Flows:
    """Run the year ``st.year``; returns its records."""
    yr = ctx.begin(st)  # a. terms: scenario in force, script, normal prices
    pol = centre.set_policy(st, yr)  # b. regime, instruments, campaign [1, 8]
    aid = provinces.subsidise(st, yr, pol)  # c. the tournament, subsidies [2]
    dem = demand.this_year(st, yr, pol)  # d. home and partners' markets [3, 9a]
    inv = investment.wave(st, yr, pol, aid, dem, rng)  # e. expectations, expansion [4]
    ent = entry.enter(st, yr, pol, aid, inv, rng)  # f. new firms, sponsored projects [4]
    prd = market.produce(st, yr, pol, dem)  # g. must-run, merit order, floors [5]
    bks = accounts.close_books(st, yr, pol, prd, inv)  # h. profit, debt, learning [6]
    xf = exits.resolve(st, yr, pol, prd, rng)  # i. zombies, bailouts, exits [7]
    bnk = banks.settle(st, yr, prd, xf)  # i. the bank: bad loans, evergreening [7]
    trd = trade.respond(st, yr, dem, prd, bks, rng)  # j. defence, countermeasures [9]
    mac = macro.advance(st, yr, prd, bks, rng)  # k. GDP, PPI, provinces' GDP [10]
    off = provinces.close_year(st, yr, ent, bks, xf, rng)  # k. budgets, promotions [10]
    macro.remember(st, yr, dem, prd, bks, xf)  # k. what next year reads [10]
    st.firms.retire_dead(xf.flows.dead_rows)  # l. exited firms leave the arrays
    flows = record.Flows(yr, pol, aid, dem, inv, ent, prd, bks, xf, trd, mac, off, bnk)
    record.year(ctx.recorder, st, flows)  # l. the tables [10]
    return flows
