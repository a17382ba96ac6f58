"""Exit, bailouts and zombies.

Anchors: Kornai; Dewatripont and Maskin (1995) for the soft budget; Caballero,
Hoshi and Kashyap (2008) for zombies; Fukuda and Nakamura (2011) for the FN-CHK test
that Tan, Huang and Woo (2016) and Nie et al. (2016) use on Chinese firms; Lam et al.
(2017, IMF WP/17/266) for zombies by ownership.
Who pays for a rescue, and when the bank stops rolling a zombie over: engine/banks.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from overcap.engine import banks
from overcap.engine.centre import Policy
from overcap.engine.market import Production
from overcap.engine.state import F8, Firms, State, sum_by
from overcap.engine.terms import Year
from overcap.scenario import Scenario


@dataclass(frozen=True)
class ExitFlows:
    exits: F8  # (S,) number of firms exiting
    bailouts: F8  # (S,) number of bailouts
    bailout_cost: F8  # (S,) debt removed by rescues (fiscal plus bank part), US$ m
    rescue_fiscal: F8  # (S,) of which paid by the provinces, US$ m
    rescue_bank: F8  # (S,) of which written down by the bank, US$ m
    bad_loans: F8  # (S,) new bad loans (the bank's rescue write-downs plus exit losses), US$ m
    equity_injected: F8  # (S,) equity created by rescues, US$ m
    equity_removed: F8  # (S,) equity of exiting firms, US$ m
    capacity_scrapped: F8  # (S,)
    capacity_sold: F8  # (S,) exiting firms' capacity bought by survivors of the sector
    liquidated_inventory: F8  # (S,) units moved to the liquidation stock
    province_bailout: F8  # (P,) the provinces' part of rescues, by province, US$ m
    dead_rows: np.ndarray  # rows of the firms that exited this year


def assets(capital: F8, building_cost: F8, debt: F8, inventory_value: F8 | float = 0.0) -> F8:
    """Book assets: installed capital, construction in progress, inventory at its book
    value and cash (negative debt)."""
    return capital + building_cost + inventory_value + np.maximum(-debt, 0.0)


def zombie_test(
    f: Firms, debt_before: F8, market_rate: float, sc: Scenario, soft_budget: float
) -> np.ndarray:
    """The FN-CHK test (Fukuda and Nakamura 2011, after Caballero, Hoshi and Kashyap 2008),
    as Tan, Huang and Woo (2016) and the Renmin University report (Nie et al. 2016) apply
    it to Chinese firms: a firm is flagged in a year when (2) its EBIT is below its
    interest and either (1) it borrows below the market minimum rate r_m - m (subsidised
    credit) or (3) it is evergreened: levered above the threshold while its debt still
    rises, with a lender that forbears (a state-owned, protected or rescued firm while
    soft budgets have any strength ``soft_budget``; a hard lender would stop, and the
    firm exit when its equity runs out); (4) a zombie is flagged Z years running.
    Updates the run counters; returns the flag."""
    e = sc.exit
    a = assets(f.capital, f.building_cost, f.debt, f.inventory_value)
    cheap = f.rate < market_rate - sc.credit.prime_margin
    weak = f.ebit < f.interest
    forbearing = (f.soe | f.protected | f.bailed_out) & (soft_budget > 0)
    # leverage above the threshold, written without a division: D > l A (A may be 0)
    evergreen = forbearing & (f.debt > e.zombie_leverage * a) & (f.debt > debt_before)
    # only operating firms can be zombies (a firm still building its plant is not one)
    hit = weak & (cheap | evergreen) & f.alive & (f.capacity > 0)
    f.zombie_run[:] = np.where(hit, f.zombie_run + 1, 0)
    f.low_icr_years[:] = np.where(weak & f.alive, f.low_icr_years + 1, 0)
    return np.asarray(f.zombie_run >= e.zombie_years)


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def bailout_probability(
    soe: np.ndarray,
    protected: np.ndarray,
    local_share: F8,
    sc: Scenario,
    stability: float = 0.0,
) -> F8:
    """pi_i = logistic(b0 + b_soe 1[SOE] + b_size s_i + b_prot 1[protected] + b_r), with
    b0 = logit(p_private) and b_soe = logit(p_soe) - logit(p_private) from the rescue
    probabilities of small firms (``exit.rescue_private``, ``exit.rescue_soe``); s_i the
    firm's share of its province's modelled capacity value (local jobs), b_r the current
    regime's stability concern (step 7 of the specification, docs/ODD.md section 3)."""
    e = sc.exit
    b0 = _logit(e.rescue_private)
    x = (
        b0
        + (_logit(e.rescue_soe) - b0) * soe
        + e.bailout_size * local_share
        + e.bailout_protection * protected
        + stability
    )
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def resolve_insolvency(
    f: Firms,
    province_value: tuple[F8, F8],
    n_sectors: int,
    n_provinces: int,
    sc: Scenario,
    rng: np.random.Generator,
    stability: float = 0.0,
    strength: float | None = None,
) -> ExitFlows:
    """``province_value`` is (each province's modelled capacity value, the normal prices),
    from which the insolvent firms' local shares are computed.

    An insolvent firm (equity < 0) is bailed out with probability b pi_i, b the strength
    of bailouts (1 with the switch on, 0 off, in between while a reform phases them out;
    the switch when not given), times the bank's fade for a lasting zombie
    (:func:`banks.rescue_fade`): debt is removed until equity is a share of assets, the
    province paying its share and the bank writing down the rest as a bad loan
    (:func:`banks.split_rescue`), and the firm lives on at a concessional rate, usually as
    a zombie. Otherwise it exits: capacity is scrapped, creditors recover a salvage share
    of book capital and the rest of the debt is a bad loan; its inventory goes to the
    liquidation stock.
    A firm left with no capacity and nothing under construction (a campaign retired all of
    it) closes whatever its equity, without a bailout. Works on those firms only."""
    e = sc.exit
    S, P = n_sectors, n_provinces
    shell = f.alive & (f.capacity <= 0) & (f.building <= 0) & (f.complete_year < 0)
    idx = np.flatnonzero((f.alive & (f.equity < 0)) | shell)
    is_shell = shell[idx]
    draw = rng.random(len(idx))
    b = float(sc.switches.bailouts) if strength is None else strength
    if b > 0:
        totals, p_norm = province_value
        value = f.capacity[idx] * p_norm[f.sector[idx]]
        local_share = value / np.maximum(totals[f.province[idx]], 1e-12)
        prob = bailout_probability(f.soe[idx], f.protected[idx], local_share, sc, stability)
        prob = prob * banks.rescue_fade(f.zombie_run[idx], f.bailed_out[idx], sc)
        saved = (draw < b * prob) & ~is_shell
    else:
        saved = np.zeros(len(idx), dtype=bool)
    cap, bcost, debt, eq = f.capital[idx], f.building_cost[idx], f.debt[idx], f.equity[idx]
    target = e.recap_equity_ratio * assets(cap, bcost, debt, f.inventory_value[idx])
    write_off = np.where(saved, np.maximum(target - eq, 0.0), 0.0)
    fiscal, bank = banks.split_rescue(write_off, sc)
    s_i, d_i = idx[saved], idx[~saved]
    f.debt[s_i] -= write_off[saved]
    f.equity[s_i] += write_off[saved]
    f.bailed_out[s_i] = True
    recovery = e.salvage_share * (cap + bcost)
    loss = np.where(~saved, np.maximum(debt - recovery, 0.0), 0.0)
    sec = f.sector[idx]
    dying = (~saved).astype(float)

    def by(w: np.ndarray) -> F8:
        return sum_by(sec, w, S)

    f.alive[d_i] = False
    sold = sell_plants(f, d_i, idx, e.asset_sale_share, e.salvage_share, S)
    flows = ExitFlows(
        exits=by(dying),
        bailouts=by(saved.astype(float)),
        bailout_cost=by(write_off),
        rescue_fiscal=by(fiscal),
        rescue_bank=by(bank),
        bad_loans=by(bank + loss),
        equity_injected=by(write_off),
        equity_removed=by(eq * dying),
        capacity_scrapped=by(f.capacity[idx] * dying) - sold,
        capacity_sold=sold,
        liquidated_inventory=by(f.inventory[idx] * dying),
        province_bailout=sum_by(f.province[idx], fiscal, P),
        dead_rows=d_i,
    )
    f.inventory[d_i] = 0.0
    f.inventory_value[d_i] = 0.0
    return flows


def sell_plants(
    f: Firms, dead: np.ndarray, insolvent: np.ndarray, share: float, salvage: float, n_sectors: int
) -> F8:
    """Asset sales at exit (``exit.asset_sale_share`` a): a share a of each exiting firm's
    installed capacity goes to the surviving firms of its sector that can pay (alive, with
    capacity and positive equity, not insolvent this year), in proportion to their
    capacity; the rest is scrapped. Buyers pay the salvage price, s times the book capital
    of what they buy, on credit: capital and debt rise alike (equity unchanged), and the
    exiting firm's creditors recover it as before. A buyer's unit-cost multiplier, vintage
    and vintage cost become the capacity-weighted means of its own plant's and the bought
    plants' (the sector's pool). A sector with no buyer scraps everything. Returns the
    capacity sold, by sector. ``dead`` are the exiting rows (already marked dead),
    ``insolvent`` every row resolved this year."""
    S = n_sectors
    if share <= 0.0 or len(dead) == 0:
        return np.zeros(S)
    sec_d = f.sector[dead]
    k = share * f.capacity[dead]
    can_buy = f.alive & (f.capacity > 0) & (f.equity > 0)
    can_buy[insolvent] = False
    b = np.flatnonzero(can_buy)
    sec_b = f.sector[b]
    k_b = f.capacity[b]
    room = sum_by(sec_b, k_b, S)  # the buyers' capacity, by sector
    has_buyer = room > 0
    pool = np.where(has_buyer, sum_by(sec_d, k, S), 0.0)
    paid = np.where(has_buyer, sum_by(sec_d, salvage * share * f.capital[dead], S), 0.0)

    def pooled(x: F8) -> F8:  # capacity-weighted mean of the sold plants' x, by sector
        return sum_by(sec_d, k * x, S) / np.where(pool > 0, pool, 1.0)

    frac = k_b / np.where(has_buyer, room, 1.0)[sec_b]
    dk = frac * pool[sec_b]
    total = k_b + dk
    for name in ("cost_eff", "vintage", "vintage_cost"):
        arr = getattr(f, name)
        arr[b] = (k_b * arr[b] + dk * pooled(arr[dead])[sec_b]) / total
    f.capacity[b] = total
    f.capital[b] += frac * paid[sec_b]
    f.debt[b] += frac * paid[sec_b]
    return pool


@dataclass(frozen=True)
class Exits:
    """The year's zombies, bailouts and exits (phase i); the counts are of the firms alive
    before any exited."""

    flows: ExitFlows
    firms_s: F8  # live firms
    loss_making_s: F8  # live firms with a loss
    zombie_s: F8  # live firms that meet the zombie test
    firms_p: F8
    zombie_p: F8
    firms_soe: float  # live state-owned firms
    zombie_soe: float  # live state-owned firms that meet the zombie test


def resolve(st: State, yr: Year, pol: Policy, prd: Production, rng: np.random.Generator) -> Exits:
    """Phase i: the zombie test (:func:`zombie_test`), the counts the record keeps before
    exits, then insolvent firms bailed out or exited (:func:`resolve_insolvency`, with the
    regime's stability concern and the strength of bailouts). Exiting firms' inventory
    joins the liquidation stock; new bad loans, less what liquidation sales recovered, join
    the stock of bad loans."""
    f, sec, sc = st.firms, st.sectors, yr.sc
    S, P = yr.S, yr.P
    zombie = zombie_test(f, f.debt_start, sc.credit.market_rate, sc, yr.strength.soft_budget)
    # a firm's share of its province's modelled capacity value (local jobs), needed only
    # for the insolvent firms: the province totals here, the shares in resolve_insolvency
    val_p = sum_by(f.province, f.capacity * yr.p_norm[f.sector], P)
    alive = f.alive
    # the three counts in one pass: code = alive + 2 loss-making + 4 zombie, per sector
    code = f.sector * 8 + alive + 2 * ((f.profit < 0) & alive) + 4 * (zombie & alive)
    counts = np.bincount(code, minlength=S * 8).reshape(S, 8).astype(float)
    zombie_p = sum_by(f.province, zombie & alive, P)
    firms_p = sum_by(f.province, alive, P)
    soe_alive = f.soe & alive
    xf = resolve_insolvency(
        f, (val_p, yr.p_norm), S, P, sc, rng, pol.stability, yr.strength.bailouts
    )
    sec.liquidation = sec.liquidation + xf.liquidated_inventory
    sec.bad_loans_stock = sec.bad_loans_stock + xf.bad_loans - prd.liquidation_revenue_s
    return Exits(
        flows=xf,
        firms_s=counts[:, 1::2].sum(axis=1),
        loss_making_s=counts[:, [3, 7]].sum(axis=1),
        zombie_s=counts[:, [5, 7]].sum(axis=1),
        firms_p=firms_p,
        zombie_p=zombie_p,
        firms_soe=float(np.count_nonzero(soe_alive)),
        zombie_soe=float(np.count_nonzero(zombie & soe_alive)),
    )
