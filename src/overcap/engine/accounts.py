"""Accounts: revenue, costs, subsidies, profit, equity and debt; Wright's-law learning.

Double-entry in flows: equity changes by profit (plus injections, minus exits);
net debt changes by investment outlays net of subsidies and equity, minus the cash
flow (profit plus depreciation). These identities are tested every year.
"""

from __future__ import annotations

import numpy as np

from overcap.engine.state import F8, Firms


def sell(f: Firms, output: F8, inv_offer: F8, sold_share: F8, price: F8) -> None:
    """Each firm sells the sector's sold share of what it offered (output plus inventory
    offered); the rest stays in inventory: inv' = inv + q - sold."""
    share = sold_share[f.sector]
    sold = share * (output + inv_offer)
    f.inventory += output - sold
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
) -> tuple[F8, F8, F8, F8]:
    """pi_i = R_i - c_i [q_i + p (q_i - q^n_i)^+] - om_i K_i - dep_i - r_i D_i^+ + s_i q_i + x_i.

    Output above the firm's normal level q^n_i (normal utilisation, or its must-run level
    if higher) costs the overtime premium p more per unit. Depreciation
    dep_i = capital_i / L_s; physical capacity retires at the same rate. Interest of a
    firm that has no capacity yet is capitalised into its construction (IAS 23), not
    expensed. x_i is an extraordinary item already settled in cash (campaign compensation
    minus the book value written off). Net debt falls by the cash flow (pi - x + dep)
    and rises by capitalised interest. Returns the cost items (variable cost including
    overtime, fixed cost, depreciation, operating subsidy) per firm."""
    vcost = vc * f.output
    if overtime_from is not None and overtime_premium > 0:
        vcost = vcost + overtime_premium * vc * np.maximum(f.output - overtime_from, 0.0)
    fixed = om_unit * f.capacity
    dep = f.capital / life[f.sector]
    op_sub = op_sub_unit * f.output
    f.interest[:] = f.rate * np.maximum(f.debt, 0.0)
    capitalised = np.where((f.capacity <= 0) & (f.building > 0), f.interest, 0.0)
    f.building_cost += capitalised
    f.ebit[:] = f.revenue - vcost - fixed - dep + op_sub
    f.profit[:] = f.ebit - (f.interest - capitalised)
    f.debt -= f.profit + dep - capitalised
    if extra is not None:
        f.profit += extra
    f.equity += f.profit
    f.capital -= dep
    f.capacity *= 1.0 - retire_rate[f.sector]
    f.age += 1
    return vcost, fixed, dep, op_sub


def learning_factor(cum: F8, cum_anchor: F8, exponent: F8) -> F8:
    """Wright's law: L_s = (X_s / X^a_s)^b, b = log2(1 - learning rate), X_s cumulative
    world output; L = 1 when X reaches its 2023 anchor (prices are stated at 2023)."""
    return (np.maximum(cum, 1e-12) / cum_anchor) ** exponent
