"""The state banking system: who bears a rescue, evergreening, non-performing loans.

The specification: "one state banking system is enough at first: lending rates by borrower type,
the soft-budget rule, non-performing loans". The lending rates by borrower type are set
where loans are priced (``investment.interest_rates``); this module holds the bank's side
of the soft budget. A rescue of an insolvent firm is financed mainly by the bank: it
writes down part of the debt (a non-performing loan) and rolls the rest over at a
concessional rate, keeping it performing on paper (evergreening); the province pays
only a share from its budget. A rescued firm that stays a zombie beyond a few years
is rolled over ever less willingly, so it dies; one that covers its interest again
is repriced and leaves the concessional book.

Anchors: Caballero, Hoshi and Kashyap (2008) on evergreening and zombies; Tan, Huang
and Woo (2016) on China's zombies and the state banks; Bai, Hsieh and Song (2016) on
local governments' off-budget finance; Lardy (1998) and Ma (2006) on the 1999-2000
asset-management-company carve-outs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from overcap.engine.state import F8, Firms, State, sum_by
from overcap.engine.terms import Year
from overcap.scenario import Scenario

if TYPE_CHECKING:
    from overcap.engine.exits import Exits
    from overcap.engine.market import Production


@dataclass
class BankState:
    """The state bank's book of bad loans (the performing loans are the firms' debt)."""

    npl_stock: F8  # (S,) non-performing loans still on the books, US$ m

    @classmethod
    def empty(cls, n_sectors: int) -> BankState:
        return cls(npl_stock=np.zeros(n_sectors))


def fiscal_share(sc: Scenario) -> float:
    """The province's share phi of a rescue: ``banks.fiscal_share_of_rescue``, or all of
    it when ``switches.bank_rescues`` is off."""
    return sc.banks.fiscal_share_of_rescue if sc.switches.bank_rescues else 1.0


def split_rescue(write_off: F8, sc: Scenario) -> tuple[F8, F8]:
    """A rescue restores equity by W (the debt it removes). The province pays phi W in
    cash (it repays debt); the bank writes down W - phi W, a new non-performing loan.
    Returns (fiscal, bank)."""
    fiscal = fiscal_share(sc) * write_off
    return fiscal, write_off - fiscal


def rescue_fade(zombie_run: np.ndarray, bailed_out: np.ndarray, sc: Scenario) -> F8:
    """The factor on a firm's rescue probability: v^n, n = (y - K)^+ the years a rescued
    firm has been a zombie beyond ``banks.evergreen_years`` K, y = run - Z + 1 the years
    it has been flagged (run: consecutive years meeting the zombie test, Z
    ``exit.zombie_years``), v = ``banks.evergreen_fade``. 1 for a firm never rescued, and
    for every firm when ``switches.bank_rescues`` is off."""
    if not sc.switches.bank_rescues:
        return np.ones(len(zombie_run))
    b = sc.banks
    flagged = zombie_run.astype(float) - sc.exit.zombie_years + 1.0
    beyond = np.maximum(flagged - b.evergreen_years, 0.0)
    return np.where(bailed_out, b.evergreen_fade**beyond, 1.0)


def end_evergreening(f: Firms) -> np.ndarray:
    """A rescued firm whose EBIT covers its interest again is repriced: it loses the
    concessional rate (``bailed_out`` is cleared, so ``investment.interest_rates`` prices
    it as any firm of its type from next year) and so leaves zombie status. Returns the
    rows repriced."""
    rows = np.flatnonzero(f.bailed_out & f.alive & (f.ebit >= f.interest))
    f.bailed_out[rows] = False
    return rows


@dataclass(frozen=True)
class Banking:
    """The bank's year (phase i, after exits); arrays over sectors, US$ m."""

    new_npl_s: F8  # new non-performing loans: rescue write-downs and exit losses
    recovered_s: F8  # recovered from liquidation sales of exited firms' stock
    disposed_s: F8  # written off against provisions or sold to asset managers
    npl_stock_s: F8  # non-performing loans on the books at the end of the year
    loans_s: F8  # performing loans: live firms' positive debt, end of the phase
    evergreened_s: F8  # of which loans rolled over to rescued firms at a concessional rate
    repriced_s: F8  # rescued firms that covered their interest and left the concessional book


def settle(st: State, yr: Year, prd: Production, xf: Exits) -> Banking:
    """Phase i, the bank: N' = (1 - delta) (N + B - R), with B the year's new bad loans,
    R = min(liquidation revenue, N + B) the recoveries and delta
    ``banks.npl_disposal_rate`` (write-offs and sales to asset managers). Rescued firms that
    cover their interest leave the concessional book (:func:`end_evergreening`). Loans and
    evergreened loans are the positive debt of live firms, and of live rescued firms."""
    f, bank, S = st.firms, st.bank, yr.S
    before = bank.npl_stock + xf.flows.bad_loans
    recovered = np.minimum(prd.liquidation_revenue_s, np.maximum(before, 0.0))
    gross = before - recovered
    disposed = yr.sc.banks.npl_disposal_rate * np.maximum(gross, 0.0)
    bank.npl_stock = gross - disposed
    repriced = end_evergreening(f)
    owed = np.where(f.alive, np.maximum(f.debt, 0.0), 0.0)

    def by(w: np.ndarray) -> F8:
        return sum_by(f.sector, w, S)

    return Banking(
        new_npl_s=xf.flows.bad_loans,
        recovered_s=recovered,
        disposed_s=disposed,
        npl_stock_s=bank.npl_stock.copy(),
        loans_s=by(owed),
        evergreened_s=by(np.where(f.bailed_out, owed, 0.0)),
        repriced_s=np.bincount(f.sector[repriced], minlength=S).astype(float),
    )
