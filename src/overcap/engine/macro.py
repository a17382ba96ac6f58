"""Macro (phase k): GDP, the producer price index, provinces' GDP, and what the year
leaves for the next one to read (step 10 of the specification, docs/ODD.md section 3).

GDP is the rest of the economy (trend growth, fed back by the modelled sectors' growth
and by deflation, plus the script's macro shocks) plus the modelled sectors' value added
at reference prices plus construction spending spread over the build lag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from overcap.engine.accounts import Books
from overcap.engine.demand import Demand
from overcap.engine.exits import Exits
from overcap.engine.indicators import safe_div
from overcap.engine.investment import consensus_growth
from overcap.engine.market import Production
from overcap.engine.state import F8, State, sum_by
from overcap.engine.terms import Year


@dataclass(frozen=True)
class Macro:
    """The year's macro aggregates."""

    gdp: float  # US$ m
    growth: float  # percent
    rest_growth: float  # rest-of-economy growth, percent
    ppi_change: float  # percent
    price_change_s: F8  # percent, by sector
    gdp_p: F8  # provinces' GDP, US$ m


def advance(st: State, yr: Year, prd: Production, bks: Books, rng: np.random.Generator) -> Macro:
    """Phase k: g_rest = trend + f_y (g_mod,t-1 - trend) Y_mod/Y + f_d min(PPI_t-1, 0) +
    shock; GDP = rest + value added + construction; PPI as the change of prices weighted
    by last year's sales value; provinces' GDP = rest x weight (weights drift by a
    lognormal noise) + their value added + construction."""
    f, tech, sc, eco, sec, prov = st.firms, yr.const, yr.sc, st.economy, st.sectors, st.provinces
    S, P = yr.S, yr.P
    va_s = prd.output_s * tech.ref_price * (1.0 - tech.vc_share)
    # investment in GDP: construction spending spread over the build lag
    b_rows = np.flatnonzero(f.building > 0)
    build_spend_i = f.building[b_rows] * (yr.capex_s / tech.build_lag)[f.sector[b_rows]]
    construction = sum_by(f.sector[b_rows], build_spend_i, S)
    invest_p = sum_by(f.province[b_rows], build_spend_i, P)
    modelled = float(va_s.sum() + construction.sum())
    trend = yr.trend
    g_rest = (
        trend
        + sc.macro.income_feedback * (eco.modelled_growth - trend) * eco.modelled / eco.gdp
        + sc.macro.deflation_feedback * min(eco.ppi_change, 0.0)
        + yr.script.macro_shock
    )
    eco.rest *= 1.0 + g_rest / 100.0
    gdp_prev = eco.gdp
    gdp = eco.rest + modelled
    eco.modelled_growth = 100.0 * (modelled / max(eco.modelled, 1e-9) - 1.0)
    eco.modelled = modelled
    eco.growth = 100.0 * (gdp / gdp_prev - 1.0)
    eco.gdp = gdp
    price = prd.clearing.price
    w_prev = safe_div(sec.sales_prev * sec.price, np.sum(sec.sales_prev * sec.price))
    ppi = float(100.0 * np.sum(w_prev * (safe_div(price, sec.price, 1.0) - 1.0)))
    eco.ppi_change = ppi
    # provinces: rest of the economy by weight (with idiosyncratic drift) plus modelled VA
    noise = rng.normal(0.0, sc.provinces.growth_noise / 100.0, P)
    prov.weight *= np.exp(noise)
    prov.weight /= prov.weight.sum()
    gdp_p = eco.rest * prov.weight + bks.value_added_p + invest_p
    prov.growth = 100.0 * (gdp_p / prov.gdp - 1.0)
    prov.gdp = gdp_p
    return Macro(
        gdp=gdp,
        growth=eco.growth,
        rest_growth=g_rest,
        ppi_change=ppi,
        price_change_s=100.0 * (safe_div(price, sec.price, 1.0) - 1.0),
        gdp_p=gdp_p,
    )


def remember(st: State, yr: Year, dem: Demand, prd: Production, bks: Books, xf: Exits) -> None:
    """Phase k, last: what the next year reads. Consensus growth from the markets served,
    the domestic base plus the partners' markets (:func:`investment.consensus_growth`);
    last year's sales, demand, markets, price (absolute and over the normal price), unit
    cost, utilisation and sales over capacity by sector; aggregate utilisation and the
    zombie share the centre reads."""
    sec, eco, sc, clr = st.sectors, st.economy, yr.sc, prd.clearing
    output_s, cap_s = prd.output_s, bks.capacity_s
    sec.consensus_growth = consensus_growth(
        dem.market_s,
        sec.market_prev,
        sec.consensus_growth,
        sc.investment.consensus_memory,
        sc.investment.growth_clip,
    )
    sec.sales_prev = clr.sales
    sec.demand_prev = dem.normal_s
    sec.market_prev = dem.market_s
    sec.price = clr.price
    sec.price_rel_prev = clr.price / yr.p_norm
    sec.unit_cost_prev = np.where(output_s > 0, bks.unit_cost_s, yr.p_norm)
    sec.util_prev = np.where(cap_s > 0, safe_div(output_s, cap_s), 1.0)
    sec.sold_util_prev = np.where(cap_s > 0, safe_div(clr.sales, cap_s), 1.0)
    sec.glut_prev = clr.glut
    # capacity retired at the end of its life (in the books) and by exits (plants
    # scrapped): what a replacement rule lets a sector build next year
    sec.retired_prev = bks.retired_s + xf.flows.capacity_scrapped
    cap_val = cap_s * clr.price
    eco.utilisation = float(np.sum(output_s * clr.price) / max(float(cap_val.sum()), 1e-12))
    eco.zombie_share = float(safe_div(np.array(xf.zombie_s.sum()), np.array(xf.firms_s.sum())))
