"""What is recorded each year (phase l), declared apart from the step.

Each table's columns are declared once, in order, as a mapping from column name to a
function of the year's records (:class:`Flows`, what the phases returned) and the state
at the end of the year (:class:`End`). Column names follow the indicator vocabulary of
data/README.md; extra columns (flows used by the accounting identities) are documented
in docs/ODD.md section 9. :func:`year` evaluates them into the recorder
(indicators.Recorder).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from overcap.engine.accounts import Books
from overcap.engine.banks import Banking
from overcap.engine.centre import Policy, regime_name
from overcap.engine.demand import Demand
from overcap.engine.entry import Entry
from overcap.engine.exits import Exits
from overcap.engine.indicators import Recorder, misallocation_loss, safe_div
from overcap.engine.investment import Wave
from overcap.engine.macro import Macro
from overcap.engine.market import Production
from overcap.engine.provinces import Aid, Officials, growth_rank
from overcap.engine.state import F8, State, sum_by
from overcap.engine.terms import Year
from overcap.engine.trade import TradeFlows


@dataclass(frozen=True)
class Flows:
    """The records of one year, one per phase, in the order they ran."""

    yr: Year
    pol: Policy
    aid: Aid
    dem: Demand
    inv: Wave
    ent: Entry
    prd: Production
    bks: Books
    xf: Exits
    trd: TradeFlows
    mac: Macro
    off: Officials
    bnk: Banking


@dataclass(frozen=True)
class End:
    """The state at the end of the year, as recorded (after exiting firms are retired)."""

    equity_s: F8
    inventory_s: F8  # firms' inventory plus the liquidation stock, units
    capacity_s: F8
    debt_s: F8
    firms_s: F8
    building_s: F8  # capacity under construction
    bad_loans_stock_s: F8
    growth_p: F8
    debt_p: F8
    intensity_p: F8  # mean subsidy intensity over sectors
    utilisation: float  # aggregate utilisation
    zombie_share: float

    @classmethod
    def of(cls, st: State, S: int) -> End:
        f, sec, prov, eco = st.firms, st.sectors, st.provinces, st.economy

        def by(w: np.ndarray) -> F8:
            return sum_by(f.sector, w, S)

        return cls(
            equity_s=by(f.equity),
            inventory_s=by(f.inventory) + sec.liquidation,
            capacity_s=by(f.capacity),
            debt_s=by(f.debt),
            firms_s=by(f.alive),
            building_s=by(f.building),
            bad_loans_stock_s=sec.bad_loans_stock.copy(),
            growth_p=prov.growth.copy(),
            debt_p=prov.debt.copy(),
            intensity_p=prov.intensity.mean(axis=1),
            utilisation=eco.utilisation,
            zombie_share=eco.zombie_share,
        )


Column = Callable[[Flows, End], Any]


def _subsidies_s(r: Flows) -> F8:
    return r.ent.total.capex_subsidy + r.bks.op_sub_s + r.bks.credit_sub_s


def _fiscal(r: Flows) -> float:
    """The state's spending on the modelled sectors: capex, operating and credit
    subsidies, the provinces' part of rescues and campaign compensation, US$ m (the
    bank's write-downs are bad loans, not fiscal cost; IMF WP/25/155)."""
    return float(
        r.ent.total.capex_subsidy.sum()
        + r.bks.op_sub_s.sum()
        + r.bks.credit_sub_s.sum()
        + r.xf.flows.rescue_fiscal.sum()
        + r.pol.campaign.compensation.sum()
    )


def _npl_ratio(r: Flows) -> float:
    """Non-performing loans over all loans (performing plus non-performing)."""
    npl, loans = float(r.bnk.npl_stock_s.sum()), float(r.bnk.loans_s.sum())
    return npl / (npl + loans) if npl + loans > 0 else 0.0


def _duty_mean(r: Flows, e: End) -> F8:
    """Export-weighted mean duty by sector (the plain mean where nothing is exported), each
    partner's over its whole market (:meth:`market.ExportTerms.market_duty`)."""
    x_by, duty = r.prd.clearing.exports_by_partner, r.dem.curve.exports.market_duty()
    x_tot = x_by.sum(axis=0)
    return np.where(x_tot > 0, safe_div((duty * x_by).sum(axis=0), x_tot), duty.mean(axis=0))


SECTOR: dict[str, Column] = {
    "capacity": lambda r, e: r.bks.capacity_s,
    "output": lambda r, e: r.prd.output_s,
    "utilisation": lambda r, e: safe_div(r.prd.output_s, r.bks.capacity_s),
    "sales": lambda r, e: r.prd.clearing.sales,
    "liquidation_sales": lambda r, e: r.prd.liquidation_sold_s,
    "domestic_sales": lambda r, e: r.prd.clearing.domestic_sales,
    "exports": lambda r, e: r.prd.clearing.exports,
    "inventory": lambda r, e: e.inventory_s,
    "inventory_start": lambda r, e: r.yr.inventory_start,
    "price": lambda r, e: r.prd.clearing.price,
    "clearing_price": lambda r, e: r.prd.clearing.clearing_price,
    "price_floor": lambda r, e: r.pol.instruments.price_floor,
    "normal_price": lambda r, e: r.yr.p_norm,
    "unit_cost": lambda r, e: r.bks.unit_cost_s,
    "margin": lambda r, e: safe_div(r.bks.profit_s, r.bks.revenue_s),
    "revenue": lambda r, e: r.bks.revenue_s,
    "profit": lambda r, e: r.bks.profit_s,
    "loss_making_share": lambda r, e: safe_div(r.xf.loss_making_s, r.xf.firms_s),
    "zombie_share": lambda r, e: safe_div(r.xf.zombie_s, r.xf.firms_s),
    "firms": lambda r, e: e.firms_s,
    "entries": lambda r, e: r.ent.total.entries,
    "exits": lambda r, e: r.xf.flows.exits,
    "bailouts": lambda r, e: r.xf.flows.bailouts,
    "subsidies": lambda r, e: _subsidies_s(r),
    "investment": lambda r, e: r.ent.total.spending,
    "capacity_started": lambda r, e: r.ent.total.started,
    "capacity_under_construction": lambda r, e: e.building_s,
    "capacity_end": lambda r, e: e.capacity_s,
    "debt": lambda r, e: e.debt_s,
    "bad_loans": lambda r, e: r.xf.flows.bad_loans,
    "bad_loans_stock": lambda r, e: e.bad_loans_stock_s,
    "npl_stock": lambda r, e: r.bnk.npl_stock_s,
    "npl_disposed": lambda r, e: r.bnk.disposed_s,
    "loans": lambda r, e: r.bnk.loans_s,
    "evergreened": lambda r, e: r.bnk.evergreened_s,
    "bailout_fiscal": lambda r, e: r.xf.flows.rescue_fiscal,
    "bailout_bank": lambda r, e: r.xf.flows.rescue_bank,
    "equity": lambda r, e: e.equity_s,
    "equity_start": lambda r, e: r.yr.equity_start,
    "equity_injections": lambda r, e: r.ent.total.equity_in + r.xf.flows.equity_injected,
    "equity_removed": lambda r, e: r.xf.flows.equity_removed,
    "payouts": lambda r, e: r.bks.payout_s,
    "china_world_share": lambda r, e: safe_div(
        r.prd.output_s, r.prd.output_s + r.bks.foreign_output_js.sum(axis=0) + r.yr.imports
    ),
    "sold_over_capacity": lambda r, e: safe_div(r.prd.clearing.sales, r.bks.capacity_s),
    "domestic_sales_over_output": lambda r, e: safe_div(
        r.prd.clearing.domestic_sales, r.prd.output_s
    ),
    "capacity_retired_by_campaign": lambda r, e: r.pol.campaign.reported,
    "capacity_retired_real": lambda r, e: r.pol.campaign.real,
    "campaign_compensation": lambda r, e: r.pol.campaign.compensation,
    "trade_measures": lambda r, e: r.trd.in_force_js.sum(axis=0).astype(float),
    "duty_mean": _duty_mean,
    "demand_domestic_base": lambda r, e: r.dem.curve.base,
    "imports": lambda r, e: r.yr.imports,
    "foreign_market": lambda r, e: r.dem.curve.exports.market.sum(axis=0),
    "strategic": lambda r, e: r.pol.instruments.strategic.astype(float),
    "price_change": lambda r, e: r.mac.price_change_s,
    "race_spending": lambda r, e: r.ent.race_spending_s,
    "race_capacity_started": lambda r, e: r.ent.race_started_s,
    "distress_price": lambda r, e: r.yr.distress_s * r.yr.p_norm,
    "expected_price": lambda r, e: r.inv.expect.price_s,
    "expected_utilisation": lambda r, e: r.inv.expect.utilisation_s,
}

PROVINCE: dict[str, Column] = {
    "gdp": lambda r, e: r.mac.gdp_p,
    "gdp_growth": lambda r, e: e.growth_p,
    "growth_rank": lambda r, e: growth_rank(e.growth_p),
    "subsidies": lambda r, e: r.ent.total.province_subsidy + r.bks.op_sub_p,
    "credit_subsidy": lambda r, e: r.bks.credit_sub_p,
    "bailouts": lambda r, e: r.xf.flows.province_bailout,
    "debt": lambda r, e: e.debt_p,
    "zombie_share": lambda r, e: safe_div(r.xf.zombie_p, r.xf.firms_p),
    "promoted": lambda r, e: r.off.promoted_p.astype(np.int64),
    "subsidy_intensity": lambda r, e: e.intensity_p,
    "race_spending": lambda r, e: r.ent.race_spending_p,
}

TRADE: dict[str, Column] = {  # arrays (J, S)
    "trade_measure_in_force": lambda r, e: r.trd.in_force_js.astype(np.int64),
    "duty": lambda r, e: r.dem.curve.exports.market_duty(),
    "exports": lambda r, e: r.prd.clearing.exports_by_partner,
    "china_share": lambda r, e: r.trd.china_share_js,
    "partner_output": lambda r, e: r.trd.partner_output_js,
    "dumping_margin": lambda r, e: r.trd.margin_js,
    "new_measure": lambda r, e: r.trd.new_measures_js.astype(np.int64),
}

ECONOMY: dict[str, Column] = {
    "gdp": lambda r, e: r.mac.gdp,
    "gdp_growth": lambda r, e: r.mac.growth,
    "gdp_target": lambda r, e: r.yr.target,
    "regime": lambda r, e: regime_name(r.pol.regime),
    "regime_scripted": lambda r, e: bool(r.pol.scripted),
    "ppi_change": lambda r, e: r.mac.ppi_change,
    "aggregate_utilisation": lambda r, e: e.utilisation,
    "fiscal_cost": lambda r, e: _fiscal(r),
    "fiscal_cost_share_gdp": lambda r, e: 100.0 * _fiscal(r) / r.mac.gdp,
    "misallocation_tfp_loss": lambda r, e: misallocation_loss(
        r.bks.vcost_s, r.prd.efficient_cost_s, r.mac.gdp
    ),
    "trade_measures": lambda r, e: float(r.trd.in_force_js.sum()),
    "new_trade_measures": lambda r, e: float(r.trd.new_measures_js.sum()),
    "countermeasures": lambda r, e: float(r.dem.controls_j.sum()),
    "escalations": lambda r, e: float(r.trd.escalated_j.sum()),
    "partners_with_measures": lambda r, e: float(r.trd.in_force_js.any(axis=1).sum()),
    "profit": lambda r, e: float(r.bks.profit_s.sum()),
    "investment": lambda r, e: float(r.ent.total.spending.sum()),
    "sales_value": lambda r, e: float(np.sum(r.prd.clearing.sales * r.prd.clearing.price)),
    "zombie_share": lambda r, e: e.zombie_share,
    # by ownership, from the same counts as zombie_share (before the year's exits)
    "zombie_share_soe": lambda r, e: float(
        safe_div(np.array(r.xf.zombie_soe), np.array(r.xf.firms_soe))
    ),
    "zombie_share_private": lambda r, e: float(
        safe_div(
            np.array(r.xf.zombie_s.sum() - r.xf.zombie_soe),
            np.array(r.xf.firms_s.sum() - r.xf.firms_soe),
        )
    ),
    "firms": lambda r, e: float(e.firms_s.sum()),
    "bad_loans": lambda r, e: float(r.xf.flows.bad_loans.sum()),
    "npl_stock": lambda r, e: float(r.bnk.npl_stock_s.sum()),
    "npl_ratio": lambda r, e: _npl_ratio(r),
    "evergreened": lambda r, e: float(r.bnk.evergreened_s.sum()),
    "bailout_fiscal": lambda r, e: float(r.xf.flows.rescue_fiscal.sum()),
    "rest_growth": lambda r, e: r.mac.rest_growth,
}


def year(recorder: Recorder, st: State, r: Flows) -> None:
    """Phase l: one row per sector, province, partner x sector and one for the economy,
    in recorded years (after the spin-up)."""
    if not r.yr.record:
        return
    e = End.of(st, r.yr.S)
    y = r.yr.year
    recorder.sector_row(y, {name: col(r, e) for name, col in SECTOR.items()})
    recorder.province_row(y, {name: col(r, e) for name, col in PROVINCE.items()})
    recorder.trade_row(y, {name: col(r, e) for name, col in TRADE.items()})
    recorder.economy_row(y, {name: col(r, e) for name, col in ECONOMY.items()})
