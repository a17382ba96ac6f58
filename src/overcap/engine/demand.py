"""Demand for the year (phase d): domestic demand from its exogenous path, adjusted by
income and the script's shocks and stimulus, a quantity at the reference price buyers
expect with a short-run elasticity around it; partners' markets, with this year's
duties, export controls and partners' costs (steps 3 and 9a of the specification:
docs/ODD.md sections 3 and 11)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from overcap.engine import trade
from overcap.engine.centre import Policy
from overcap.engine.market import DemandCurve, ExportTerms, export_demand
from overcap.engine.state import B1, F8, State
from overcap.engine.terms import Year


@dataclass(frozen=True)
class Demand:
    """This year's demand curves and what they rest on."""

    curve: DemandCurve  # domestic base and the partners' markets (duties, costs)
    controls_j: B1  # partners under rare-earth export controls this year
    normal_s: F8  # demand at the normal price, domestic plus exports (the market's size)
    p_ref_s: F8  # the reference price of domestic demand, p^r_s = r_s p^n_s
    market_s: F8  # the markets China's firms serve: domestic base plus the partners' markets


def this_year(st: State, yr: Year, pol: Policy) -> Demand:
    """B_s = D_s exp(e_y gap) (shock factor) (1 + stimulus), gap = growth_{t-1} -
    trend_{t-1} within +- the income-gap bound; M_js = F_s m_js the partners' markets
    (zero with ``switches.exports`` off); duties are the measures in force plus the
    script's tariffs plus the pre-WTO duty (a measure of an aggregate partner covering the
    share ``trade.aggregate_coverage`` of its market); partners' costs follow foreign producers' own
    learning (``yr.p_foreign``) and rise with export controls.
    Domestic demand is B_s at the reference price p^r_s = r_s p^n_s (r_s carried in
    ``SectorState.price_ref_rel``) with the short-run elasticity (market.domestic_demand).
    The market's size investors read is B_s plus exports at the normal price; the growth
    they extrapolate is that of the markets served, B_s plus the partners' markets
    (``market_s``), whatever China's share of them."""
    sc, tech, eco = yr.sc, yr.const, st.economy
    income_gap = np.clip(
        eco.growth - yr.trend_prev, -sc.macro.income_gap_bound, sc.macro.income_gap_bound
    )
    income_adj = np.exp(sc.macro.income_elasticity * income_gap / 100.0)
    base = (
        yr.china_demand
        * income_adj
        * yr.script.demand_shock_s
        * (1.0 + pol.instruments.stimulus_demand)
    )
    market_js = (yr.foreign_demand * (1.0 if sc.switches.exports else 0.0))[None, :] * (
        yr.partners.market_share
    )
    controls = trade.controls_active(st.trade, yr.script.controls_j, sc.switches.countermeasures)
    coverage = sc.trade.aggregate_coverage
    partial = coverage < 1.0 and bool(yr.partners.aggregate.any())
    exports = ExportTerms(
        market=market_js,
        foreign_cost=trade.foreign_cost(
            yr.p_foreign, tech.foreign_cost_ratio, yr.partners, controls, sc, yr.sectors
        ),
        ref_ratio=tech.foreign_cost_ratio,
        duty=trade.total_duty(st.trade, yr.script.duty_js, sc, yr.year),
        share0=tech.export_share * st.trade.presence,
        sigma=sc.market.export_elasticity,
        cap=sc.market.export_share_cap,
        p_norm=yr.p_norm,
        freight=tech.freight,
        measure=trade.measure_in_force(st.trade) if partial else None,
        cover=np.where(yr.partners.aggregate, coverage, 1.0)[:, None] if partial else None,
    )
    p_ref = st.sectors.price_ref_rel * yr.p_norm
    return Demand(
        curve=DemandCurve(
            base=base,
            p_norm=yr.p_norm,
            elasticity=tech.short_run_elasticity,
            exports=exports,
            p_ref=p_ref,
        ),
        controls_j=controls,
        normal_s=base + export_demand(exports, yr.p_norm).sum(axis=0),
        p_ref_s=p_ref,
        market_s=base + market_js.sum(axis=0),
    )
