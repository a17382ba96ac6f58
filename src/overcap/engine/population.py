"""The initial state: firms, sectors, provinces and the economy in the first simulated
year (the start of the spin-up).

Capacity in each active sector is first-year demand (domestic plus exports at the
normal price) over normal utilisation; whatever utilisation the first recorded year
shows comes from the spin-up dynamics, not from an input.
"""

from __future__ import annotations

import numpy as np

from overcap.engine import accounts, market
from overcap.engine.inputs import Inputs
from overcap.engine.state import (
    F8,
    Economy,
    Firms,
    ProvinceState,
    SectorConst,
    SectorState,
    State,
    sum_by,
    within_budget,
)
from overcap.scenario import Scenario


def firm_counts(capacity: F8, plant_size: F8, total: int, minimum: int) -> np.ndarray:
    """Firms per sector in proportion to capacity over typical plant size (one agent a
    plant), at least ``minimum`` in each active sector, summing to ``total``."""
    active = capacity > 0
    raw = np.where(active, capacity / plant_size, 0.0)
    if raw.sum() <= 0:
        return np.zeros(len(capacity), dtype=np.int64)
    n_active = int(active.sum())
    minimum = min(minimum, max(total // max(n_active, 1), 1))
    spare = max(total - minimum * n_active, 0)
    share = raw / raw.sum() * spare
    counts = np.floor(share).astype(np.int64) + np.where(active, minimum, 0)
    short = total - int(counts.sum())
    if short > 0:
        order = np.argsort(-(share - np.floor(share)))
        for j in order[:short]:  # loop over sectors, not firms
            counts[j] += 1
    return counts


def initial_state(
    sc: Scenario, inp: Inputs, k: SectorConst, trend0: float, rng: np.random.Generator
) -> State:
    S = len(inp.sectors)
    learning, learning_f = initial_learning(sc, inp, k)
    p_norm, _ = k.normal_price_and_cost(learning, inp.input_cost[0])
    p_foreign, _ = k.normal_price_and_cost(learning_f, inp.input_cost[0])
    exports0 = market.export_demand(
        market.ExportTerms(
            market=inp.foreign_demand[0] * sc.switches.exports,
            foreign_cost=k.foreign_cost_ratio * p_foreign,
            ref_ratio=k.foreign_cost_ratio,
            duty=np.zeros(S),
            share0=k.export_share * inp.presence_start,
            sigma=sc.market.export_elasticity,
            cap=sc.market.export_share_cap,
            p_norm=p_norm,
            freight=k.freight,
        ),
        p_norm,
    )
    sales0 = inp.china_demand[0] + exports0
    f, protection = _firms(sc, inp, k, sales0 / sc.market.normal_utilisation, learning, rng)
    within_budget(f, sc, int(inp.years[0]))
    _pipeline(f, sc, inp, k, learning, rng)
    # the path's first-year growth (none in a run of one year: issue 16)
    d1 = inp.china_demand[min(1, len(inp.china_demand) - 1)]
    g0 = np.log(np.maximum(d1, 1e-12) / np.maximum(inp.china_demand[0], 1e-12))
    g0 = np.where(inp.china_demand[0] > 0, g0, 0.0)
    sectors = SectorState(
        price=p_norm.copy(),
        learning=learning,
        cum_output=inp.cum_world_start.copy(),
        learning_foreign=learning_f,
        cum_china=inp.cum_china_start.copy(),
        cum_foreign=inp.cum_foreign_start.copy(),
        liquidation=np.zeros(S),
        sales_prev=sales0,
        demand_prev=sales0.copy(),
        market_prev=inp.china_demand[0] + inp.foreign_demand[0] * float(sc.switches.exports),
        consensus_growth=np.clip(g0, -sc.investment.growth_clip, sc.investment.growth_clip),
        bad_loans_stock=np.zeros(S),
        unit_cost_prev=p_norm.copy(),
        price_rel_prev=np.ones(S),
        util_prev=np.full(S, sc.market.normal_utilisation),
        sold_util_prev=np.full(S, sc.market.normal_utilisation),
        glut_prev=np.zeros(S, dtype=bool),
        retired_prev=np.zeros(S),
        campaign_plan=np.zeros(S),
        price_ref_rel=np.ones(S),
    )
    provinces, economy = _provinces_and_economy(
        sc, inp, k, (f, sales0, learning, protection), trend0, rng
    )
    # spare dead rows (5%) for the first entrants, so the first year does not reallocate
    f.append(Firms.empty(int(0.05 * len(f))))
    return State(
        year=int(inp.years[0]), firms=f, sectors=sectors, provinces=provinces, economy=economy
    )


def initial_learning(sc: Scenario, inp: Inputs, k: SectorConst) -> tuple[F8, F8]:
    """China's and foreign producers' learning factors before the first year: on world
    cumulative output, or each on its own (``switches.own_learning``, accounts.learn)."""
    if sc.switches.own_learning:
        return accounts.learning_factors(
            inp.cum_china_start,
            inp.cum_foreign_start,
            inp.cum_china_anchor,
            inp.cum_foreign_anchor,
            k.learning_exp,
            sc.trade.learning_spillover,
        )
    world = accounts.learning_factor(inp.cum_world_start, inp.cum_world_anchor, k.learning_exp)
    return world, world.copy()


def _firms(
    sc: Scenario, inp: Inputs, k: SectorConst, cap0: F8, learning: F8, rng: np.random.Generator
) -> tuple[Firms, F8]:
    """The first year's firms (capacity ``cap0`` by sector shared by lognormal sizes) and
    the provinces' propensity to protect private firms."""
    S, P = len(inp.sectors), len(inp.provinces)
    pop = sc.population
    counts = firm_counts(cap0, k.plant_size, pop.firms_start, 50)
    n = int(counts.sum())
    f = Firms.empty(n)
    sec = np.repeat(np.arange(S), counts)
    f.sector[:] = sec
    f.province[:] = rng.choice(P, size=n, p=inp.province_weight)
    size = rng.lognormal(0.0, pop.size_sigma, n)
    f.capacity[:] = size / sum_by(sec, size, S)[sec] * cap0[sec]
    f.soe[:] = rng.random(n) < k.soe_share[sec]
    protection = rng.beta(
        2.0, 2.0 * (1.0 / max(sc.provinces.protection_mean, 1e-6) - 1.0) + 1e-9, P
    )
    protection = np.clip(protection, 0.0, 1.0)
    f.protected[:] = (
        (~f.soe) & (rng.random(n) < protection[f.province]) & sc.switches.local_protection
    )
    sigma = pop.cost_sigma
    f.cost_eff[:] = np.exp(sigma * rng.standard_normal(n) - 0.5 * sigma**2) * (
        1.0 + pop.soe_cost_premium * f.soe
    )
    f.capital[:] = pop.initial_book_share * k.capex[sec] * learning[sec] * f.capacity
    f.debt[:] = pop.initial_leverage * f.capital
    f.equity[:] = f.capital - f.debt
    f.age[:] = (rng.random(n) * k.plant_life[sec]).astype(np.int32)
    f.alive[:] = True
    f.rate[:] = sc.credit.market_rate
    f.vintage[:] = np.log(learning)[sec]  # the first firms are at the frontier
    return f, protection


def _pipeline(
    f: Firms, sc: Scenario, inp: Inputs, k: SectorConst, learning: F8, rng: np.random.Generator
) -> None:
    """A pipeline consistent with the demand growth of the first years: each firm has a
    project under way of the growth over the build lag, due within the lag."""
    n, sec = len(f), f.sector
    # the demand growth of the first five years from the demand paths, not from the run's
    # own years: a run that stops early starts as one that goes on (inputs.start_growth)
    g_start = np.clip(
        np.where(inp.china_demand[0] > 0, inp.start_growth, 0.0), 0.0, sc.investment.growth_clip
    )
    grow = np.expm1(g_start * k.build_lag)[sec]
    f.building[:] = f.capacity * grow
    f.building_cost[:] = f.building * k.capex[sec] * learning[sec]
    f.debt += f.building_cost
    due = 1 + (rng.random(n) * k.build_lag[sec]).astype(np.int32)
    f.complete_year[:] = np.where(f.building > 0, int(inp.years[0]) + due - 1, -1)


def _provinces_and_economy(
    sc: Scenario,
    inp: Inputs,
    k: SectorConst,
    start: tuple[Firms, F8, F8, F8],
    trend0: float,
    rng: np.random.Generator,
) -> tuple[ProvinceState, Economy]:
    """Provinces and the economy at the start of the spin-up, from the first firms
    (``start``: firms, first-year sales, learning factor, propensity to protect)."""
    f, sales0, learning, protection = start
    S, P = len(inp.sectors), len(inp.provinces)
    spin = sc.time.spinup_years
    gdp0 = sc.macro.gdp_start / (1.0 + trend0 / 100.0) ** spin
    va0 = float(np.sum(sales0 * k.ref_price * (1.0 - k.vc_share)))
    inv0 = float(np.sum(sum_by(f.sector, f.building, S) * k.capex * learning / k.build_lag))
    rest0 = max(gdp0 - va0 - inv0, 0.5 * gdp0)
    weight = inp.province_weight.copy()
    z0 = sc.provinces.subsidy_base if sc.switches.subsidies else 0.0
    provinces = ProvinceState(
        weight=weight,
        gdp=weight * (rest0 + va0 + inv0),
        growth=np.full(P, trend0),
        rel_growth_sum=np.zeros(P),
        years_in_term=rng.integers(0, sc.provinces.term_length, P),
        protection=protection,
        intensity=np.full((P, S), z0),
        fiscal_scale=np.ones(P),
        spend_prev=np.zeros(P),
        debt=np.zeros(P),
    )
    economy = Economy(
        rest=rest0,
        gdp=rest0 + va0 + inv0,
        growth=trend0,
        modelled=va0 + inv0,
        modelled_growth=trend0,
        ppi_change=0.0,
    )
    return provinces, economy


def trend_growth(sc: Scenario, years: np.ndarray) -> F8:
    """Rest-of-economy trend growth (percent): g_t = g_inf + (g_0 - g_inf) 2^(-(t - t0)/h),
    convergence toward a long-run rate (Pritchett and Summers 2014), capped at g_0 before
    the start year."""
    m = sc.macro
    dt = np.maximum(years - sc.time.start_year, 0)
    return m.rest_growth_floor + (m.rest_growth_start - m.rest_growth_floor) * 0.5 ** (
        dt / m.rest_growth_halflife
    )
