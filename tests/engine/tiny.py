"""A tiny hand-built world for phase-level tests: two sectors (steel, cement), one
province, every trade partner with no market, three firms and one dead row.

Prices and costs are round: normal prices 100 and 50, unit variable costs 60 and 25
(learning and world input prices neutral), fixed O&M 5 and 2 per unit of capacity.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import overcap
from overcap.engine.banks import BankState
from overcap.engine.centre import CentreState
from overcap.engine.indicators import Recorder
from overcap.engine.inputs import Inputs
from overcap.engine.market import ExportTerms
from overcap.engine.state import Economy, Firms, ProvinceState, SectorConst, SectorState, State
from overcap.engine.terms import Context
from overcap.engine.trade import PartnerData, TradeState
from overcap.scenario import PARTNERS, REGIMES, Scenario

SECTORS = ["steel", "cement"]
YEARS = np.array([2020, 2021])
INTENSITY = np.array([[0.1, 0.2]])  # the province's subsidy intensity by sector


def no_exports(n_sectors: int) -> ExportTerms:
    """Export terms of one partner with no market, for market-clearing tests of the home
    market alone: normal prices 1, foreign cost equal to China's, no duty or freight."""
    one = np.ones(n_sectors)
    return ExportTerms(
        market=np.zeros((1, n_sectors)),
        foreign_cost=one,
        ref_ratio=one,
        duty=np.zeros((1, n_sectors)),
        share0=0.05 * one,
        sigma=3.0,
        cap=0.8,
        p_norm=one,
        freight=np.zeros(n_sectors),
    )


def scenario(**overrides: Any) -> Scenario:
    """Schema defaults, no scripted events, no policy cycle (neutral instruments)."""
    ov = {"switches.policy_cycle": False, **overrides}
    sc = overcap.load_scenario("baseline", calibrated=False, overrides=ov)
    return sc.model_copy(update={"events": {}})


def const() -> SectorConst:
    two = np.ones(2)
    return SectorConst(
        ref_price=np.array([100.0, 50.0]),
        capex=np.array([200.0, 100.0]),
        vc_share=np.array([0.6, 0.5]),
        learning_exp=np.zeros(2),
        plant_size=np.array([10.0, 10.0]),
        plant_life=np.array([20.0, 25.0]),
        build_lag=2.0 * two,
        elasticity=0.5 * two,
        short_run_elasticity=0.2 * two,
        soe_share=0.5 * two,
        export_share=0.05 * two,
        foreign_cost_ratio=1.2 * two,
        freight=np.array([0.05, 0.1]),
        om=np.array([5.0, 2.0]),
        obsolescence=np.zeros(2),
    )


def inputs() -> Inputs:
    T, S = len(YEARS), len(SECTORS)
    return Inputs(
        years=YEARS,
        sectors=SECTORS,
        provinces=["P0"],
        provinces_zh=["P0"],
        china_demand=np.full((T, S), 20.0),
        foreign_demand=np.zeros((T, S)),
        strategic=np.zeros((T, S), dtype=bool),
        growth_target=np.full(T, 6.0),
        province_weight=np.ones(1),
        cum_world_anchor=np.full(S, 1e3),
        cum_world_start=np.full(S, 1e3),
        input_cost=np.ones((T, S)),
        imports=np.zeros((T, S)),
        cum_china_start=np.full(S, 500.0),
        cum_foreign_start=np.full(S, 500.0),
        cum_china_anchor=np.full(S, 500.0),
        cum_foreign_anchor=np.full(S, 500.0),
        plan_growth=np.full((T, S), np.nan),
        start_growth=np.zeros(S),
        presence_start=np.ones(S),
    )


def partners() -> PartnerData:
    J, S = len(PARTNERS), len(SECTORS)
    z = np.zeros(J)
    return PartnerData(
        ids=list(PARTNERS),
        names=list(PARTNERS),
        names_zh=list(PARTNERS),
        market_share=np.zeros((J, S)),
        cost_ratio=np.ones((J, S)),
        major=np.zeros(J, dtype=bool),
        rare_earth=z,
        propensity=z.copy(),
        aggregate=np.array([j == "ROW" for j in PARTNERS]),
    )


def firms() -> Firms:
    """Firm 0: state-owned steel; firm 1: private steel with cash; firm 2: private
    cement; row 3: dead (entrants reuse it)."""
    f = Firms.empty(4)
    f.sector[:] = [0, 0, 1, 0]
    f.soe[:] = [True, False, False, False]
    f.alive[:] = [True, True, True, False]
    f.capacity[:] = [15.0, 15.0, 30.0, 0.0]
    f.capital[:] = [1000.0, 800.0, 1500.0, 0.0]
    f.debt[:] = [500.0, -100.0, 600.0, 0.0]
    f.equity[:] = f.capital - f.debt
    f.cost_eff[:] = [1.0, 0.8, 1.1, 0.0]
    f.inventory[:] = [0.0, 0.0, 2.0, 0.0]
    return f


def world(sc: Scenario | None = None) -> tuple[State, Context]:
    sc = scenario() if sc is None else sc
    S, J = len(SECTORS), len(PARTNERS)
    p_norm = np.array([100.0, 50.0])
    sectors = SectorState(
        price=p_norm.copy(),
        learning=np.ones(S),
        cum_output=np.full(S, 1e3),
        learning_foreign=np.ones(S),
        cum_china=np.full(S, 500.0),
        cum_foreign=np.full(S, 500.0),
        liquidation=np.zeros(S),
        sales_prev=np.full(S, 17.0),
        demand_prev=np.full(S, 20.0),
        market_prev=np.full(S, 20.0),
        consensus_growth=np.zeros(S),
        bad_loans_stock=np.zeros(S),
        unit_cost_prev=p_norm.copy(),
        price_rel_prev=np.ones(S),
        util_prev=np.full(S, 0.85),
        sold_util_prev=np.full(S, 0.85),
        glut_prev=np.zeros(S, dtype=bool),
        retired_prev=np.zeros(S),
        campaign_plan=np.zeros(S),
        price_ref_rel=np.ones(S),
    )
    prov = ProvinceState(
        weight=np.ones(1),
        gdp=np.array([1e6]),
        growth=np.array([6.0]),
        rel_growth_sum=np.zeros(1),
        years_in_term=np.zeros(1, dtype=np.int64),
        protection=np.zeros(1),
        intensity=INTENSITY.copy(),
        fiscal_scale=np.ones(1),
        spend_prev=np.zeros(1),
        debt=np.zeros(1),
    )
    eco = Economy(
        rest=1e6, gdp=1.01e6, growth=6.0, modelled=1e4, modelled_growth=6.0, ppi_change=0.0
    )
    st = State(year=int(YEARS[0]), firms=firms(), sectors=sectors, provinces=prov, economy=eco)
    st.centre = CentreState(regime=REGIMES.index("loosen"), years_in_regime=1)
    st.trade = TradeState.empty(J, S)
    st.bank = BankState.empty(S)
    ctx = Context(
        sc=sc,
        inputs=inputs(),
        const=const(),
        recorder=Recorder(SECTORS, ["P0"]),
        record_from=int(YEARS[0]),
        partners=partners(),
        trend=np.full(len(YEARS), 6.0),
    )
    return st, ctx
