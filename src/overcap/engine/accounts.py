"""Accounts: revenue, costs, subsidies, profit, equity and debt; Wright's-law learning.

Double-entry in flows: equity changes by profit (plus injections, minus exits and
payouts); net debt changes by investment outlays net of subsidies and equity, minus the
cash flow (profit plus depreciation), plus payouts. These identities are tested every year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from overcap.engine.indicators import safe_div
from overcap.engine.state import F8, Firms, State, sum_by
from overcap.engine.terms import Year

if TYPE_CHECKING:
    from overcap.engine.centre import Policy
    from overcap.engine.investment import Wave
    from overcap.engine.market import Production


def sell(f: Firms, output: F8, inv_offer: F8, sold_share: F8, price: F8) -> None:
    """Each firm sells the sector's sold share of what it offered (output plus inventory
    offered); the rest stays in inventory: inv' = inv + q - sold."""
    share = sold_share[f.sector]
    sold = share * (output + inv_offer)
    # not below zero by a rounding error when everything offered is sold (issue 16)
    np.maximum(f.inventory + (output - sold), 0.0, out=f.inventory)
    f.output[:] = output
    f.sales[:] = sold
    f.revenue[:] = price[f.sector] * sold


def book(
    f: Firms,
    vc: F8,
    op_sub_unit: F8,
    om_unit: F8,
    life: F8,
    retire_rate: F8,
    extra: F8 | None = None,
    overtime_from: F8 | None = None,
    overtime_premium: float = 0.0,
    nrv: F8 | None = None,
) -> tuple[F8, F8, F8, F8]:
    """pi_i = R_i - c_i [q_i + p (q_i - q^n_i)^+] - om_i K_i - dep_i - r_i D_i^+ + s_i q_i + x_i.

    Output above the firm's normal level q^n_i (normal utilisation, or its must-run level
    if higher) costs the overtime premium p more per unit. Depreciation
    dep_i = capital_i / L_s; physical capacity retires at the same rate. Interest of a
    firm that has no capacity yet is capitalised into its construction (IAS 23), not
    expensed. x_i is an extraordinary item already settled in cash (campaign compensation
    minus the book value written off).

    Inventory is carried at the lower of cost and net realisable value (IAS 2): the
    year's variable cost of output (overtime included) joins the opening stock's book
    value, the pool is costed at its weighted average, the units sold are expensed at
    that cost (cost of goods sold) and the units kept stay on the balance sheet, written
    down to ``nrv`` (each firm's selling price, per unit) where that is lower; the
    write-down is expensed. Without ``nrv`` there is no write-down. Fixed O&M and
    depreciation are period costs. Net debt falls by the cash flow
    (pi - x + dep - the rise of the inventory's book value) and rises by capitalised
    interest. Returns the cost items (variable cost of output including overtime, fixed
    cost, depreciation, operating subsidy) per firm."""
    vcost = vc * f.output
    if overtime_from is not None and overtime_premium > 0:
        vcost = vcost + overtime_premium * vc * np.maximum(f.output - overtime_from, 0.0)
    # weighted-average cost of the pool (opening stock + output = closing stock + sales)
    pool_units = f.inventory + f.sales
    avg = np.where(
        pool_units > 0, (f.inventory_value + vcost) / np.maximum(pool_units, 1e-300), 0.0
    )
    value_end = avg * f.inventory
    if nrv is not None:
        value_end = np.minimum(value_end, np.maximum(nrv, 0.0) * f.inventory)
    expensed = vcost + f.inventory_value - value_end  # cost of goods sold plus any write-down
    f.inventory_value[:] = value_end
    fixed = om_unit * f.capacity
    dep = f.capital / life[f.sector]
    op_sub = op_sub_unit * f.output
    f.interest[:] = f.rate * np.maximum(f.debt, 0.0)
    capitalised = np.where((f.capacity <= 0) & (f.building > 0), f.interest, 0.0)
    f.building_cost += capitalised
    f.ebit[:] = f.revenue - expensed - fixed - dep + op_sub
    f.profit[:] = f.ebit - (f.interest - capitalised)
    # cash paid for output is vcost: profit + dep + (expensed - vcost) is the cash flow
    f.debt -= f.profit + dep - capitalised + (expensed - vcost)
    if extra is not None:
        f.profit += extra
    f.equity += f.profit
    f.capital -= dep
    f.capacity *= 1.0 - retire_rate[f.sector]
    f.age += 1
    return vcost, fixed, dep, op_sub


def pay_out(f: Firms, ratio: float) -> F8:
    """d_i = delta max(pi_i, 0): a share of a year's profit leaves the firm in cash
    (dividends, remittances to the state, owners' drawings): equity falls by d_i and net
    debt rises by it, so the books still balance (equity = capital + construction +
    inventory - net debt). A loss pays nothing. Without it a profitable firm kept every
    yuan it earned, and by 2010 the median firm held net cash worth four fifths of its
    assets (session-8 diagnosis), where industrial firms' liabilities are about 57% of
    assets (NBS). Returns d_i."""
    paid = ratio * np.maximum(f.profit, 0.0)
    f.equity -= paid
    f.debt += paid
    return np.asarray(paid)


def learning_factor(cum: F8, cum_anchor: F8, exponent: F8) -> F8:
    """Wright's law: L_s = (X_s / X^a_s)^b, b = log2(1 - learning rate), X_s cumulative
    world output; L = 1 when X reaches its 2023 anchor (prices are stated at 2023)."""
    return (np.maximum(cum, 1e-12) / cum_anchor) ** exponent


def learning_factors(
    cum_china: F8,
    cum_foreign: F8,
    anchor_china: F8,
    anchor_foreign: F8,
    exponent: F8,
    spillover: float,
) -> tuple[F8, F8]:
    """Wright's law per origin with spillovers: China's producers learn on
    E^cn = X^cn + w X^f, foreign producers on E^f = X^f + w X^cn, each anchored so that
    L = 1 when both reach their 2023 cumulative output:
    L^cn_s = (E^cn_s / (A^cn_s + w A^f_s))^b, L^f_s = (E^f_s / (A^f_s + w A^cn_s))^b.
    With w = 1 both are world learning; with w = 0 each learns on its own output only.
    Returns (L^cn, L^f)."""
    w = spillover
    china = learning_factor(
        cum_china + w * cum_foreign,
        np.maximum(anchor_china + w * anchor_foreign, 1e-12),
        exponent,
    )
    foreign = learning_factor(
        cum_foreign + w * cum_china,
        np.maximum(anchor_foreign + w * anchor_china, 1e-12),
        exponent,
    )
    return china, foreign


@dataclass(frozen=True)
class Books:
    """The year's books (phase h): firms' profits and cost items, summed by sector
    (``_s``) and province (``_p``) before any firm exits."""

    sector_i: np.ndarray  # each firm's sector (a copy: rows are reused next year)
    profit_i: F8  # each firm's profit, US$ m (a copy, before exits zero it)
    capacity_s: F8  # capacity in use (entrants have none yet)
    retired_s: F8  # of it, retired at the end of its life this year (1 / plant life)
    revenue_s: F8  # firms' revenue (liquidation sales excluded)
    profit_s: F8
    vcost_s: F8  # variable cost, overtime included
    fixed_s: F8  # fixed O&M
    dep_s: F8  # depreciation
    op_sub_s: F8  # operating subsidies
    credit_sub_s: F8  # interest saved against the market rate (credit subsidy)
    unit_cost_s: F8  # (variable + fixed + depreciation) / output
    foreign_output_js: F8  # (J, S) each partner's producers': its market less China's exports
    op_sub_p: F8
    credit_sub_p: F8
    value_added_p: F8  # modelled value added at reference prices
    payout_s: F8  # profit paid out to owners (accounts.pay_out), US$ m


def close_books(st: State, yr: Year, pol: Policy, prd: Production, inv: Wave) -> Books:
    """Phase h: every firm's accounts (:func:`book`, the campaign's extraordinary item
    included), the credit subsidy, the sums the record and the next phases read, and
    world cumulative output with the learning factor it implies (:func:`learn`)."""
    f, sc, tech = st.firms, yr.sc, yr.const
    S, P = yr.S, yr.P
    life = tech.plant_life
    vcost, _fixed, dep, op_sub = book(
        f,
        prd.vc_i,
        prd.op_sub_i,
        yr.om_s[f.sector],
        life,
        1.0 / life,
        pol.campaign.firm_item(len(f)),
        overtime_from=np.maximum(sc.market.normal_utilisation * f.capacity, prd.must_i),
        overtime_premium=sc.market.overtime_premium,
        nrv=prd.clearing.price[f.sector],
    )
    paid = pay_out(f, sc.credit.payout_ratio)
    credit_sub_i = np.maximum(sc.credit.market_rate - f.rate, 0.0) * np.maximum(f.debt + 0.0, 0.0)
    foreign_output_js = learn(st, yr, prd)

    def by_s(w: np.ndarray) -> F8:
        return sum_by(f.sector, w, S)

    def by_p(w: np.ndarray) -> F8:
        return sum_by(f.province, w, P)

    # capacity, revenue and fixed cost by sector follow from sector-level quantities
    # (capacity in use is the investors' capacity: entrants have none; revenue is the price
    # times firms' sales; O&M is per unit of capacity); the rest are summed over firms
    clr, cap_s = prd.clearing, inv.expect.capacity_s
    fixed_s = yr.om_s * cap_s
    vcost_s, dep_s = by_s(vcost), by_s(dep)
    va_unit = tech.ref_price * (1.0 - tech.vc_share)
    return Books(
        sector_i=f.sector.copy(),
        profit_i=f.profit.copy(),
        capacity_s=cap_s,
        retired_s=cap_s / life,
        revenue_s=clr.price * (clr.sales - prd.liquidation_sold_s),
        profit_s=by_s(f.profit),
        vcost_s=vcost_s,
        fixed_s=fixed_s,
        dep_s=dep_s,
        op_sub_s=by_s(op_sub),
        credit_sub_s=by_s(credit_sub_i),
        unit_cost_s=safe_div(vcost_s + fixed_s + dep_s, prd.output_s),
        foreign_output_js=foreign_output_js,
        op_sub_p=by_p(op_sub),
        credit_sub_p=by_p(credit_sub_i),
        value_added_p=by_p(f.output * va_unit[f.sector]),
        payout_s=by_s(paid),
    )


def learn(st: State, yr: Year, prd: Production) -> F8:
    """World cumulative output grows by China's output and the rest of the world's (which
    supplies its own markets net of China's exports, also when China does not export at
    all, and China's imports, 7.1); China's and the rest of the world's cumulative outputs
    grow by their own. With ``switches.learning`` the learning factors follow: with
    ``switches.own_learning`` China's and foreign producers' each on their own
    experience (:func:`learning_factors`), else both on world output
    (:func:`learning_factor`). Returns each partner's producers'
    output, (J, S): its market less China's exports there (trade defence reads it too)."""
    sec, sw = st.sectors, yr.sc.switches
    by_partner = np.maximum(
        yr.foreign_demand[None, :] * yr.partners.market_share - prd.clearing.exports_by_partner,
        0.0,
    )
    foreign_output = by_partner.sum(axis=0) + yr.imports
    sec.cum_output = sec.cum_output + prd.output_s + foreign_output
    sec.cum_china = sec.cum_china + prd.output_s
    sec.cum_foreign = sec.cum_foreign + foreign_output
    if sw.learning:
        if sw.own_learning:
            sec.learning, sec.learning_foreign = learning_factors(
                sec.cum_china,
                sec.cum_foreign,
                yr.cum_china_anchor,
                yr.cum_foreign_anchor,
                yr.const.learning_exp,
                yr.sc.trade.learning_spillover,
            )
        else:
            sec.learning = learning_factor(
                sec.cum_output, yr.cum_world_anchor, yr.const.learning_exp
            )
            sec.learning_foreign = sec.learning.copy()
    return np.asarray(by_partner)
