"""Production and market clearing, all sectors at once.

Private firms supply while the price covers their marginal cost net of operating
subsidies; state-owned and protected firms must run at a target utilisation
whatever the price (the price war, 內卷). Inventory offered from last year weighs on
the price. Running a plant above its normal utilisation costs more (a second cost
tranche), so the supply curve rises steeply near full capacity.

Clearing is vectorised: firms' capacity tranches are binned by normalised marginal
cost into a sector x cost-bin table (one ``bincount`` per tranche, no sort and no
loop over firms); the price solves demand = supply by bisection on that table for
all sectors at once; output is allocated in merit order, the marginal cost bin
running part-time. The bins are fine (width ``COST_SPAN / N_BINS`` of the normal
price), and totals are exact: the allocated output equals the clearing quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from overcap.engine.accounts import sell
from overcap.engine.centre import Policy
from overcap.engine.state import F8, State, sum_by
from overcap.engine.terms import Year

if TYPE_CHECKING:
    from overcap.engine.demand import Demand

N_BINS = 4096
COST_SPAN = 4.0  # marginal cost range covered by the bins, in normal prices
_WIDTH = COST_SPAN / N_BINS


def domestic_demand(base: F8, price: F8, p_ref: F8, elasticity: F8) -> F8:
    """D^d_s(p) = B_s (p / p^r_s)^(-eps_s): the exogenous path B_s is a quantity bought at
    the reference price p^r_s, the price buyers have come to expect; eps_s is the short-run
    elasticity. The paths already hold the long-run response to the prices that prevailed,
    so only this year's departure from the reference moves demand off its path."""
    return base * (price / p_ref) ** (-elasticity)


def reference_price(ref_rel: F8, price: F8, p_norm: F8, memory: float) -> F8:
    """r_{s,t+1} = m r_{s,t} + (1 - m) p_{s,t} / p^n_{s,t}: the reference price of domestic
    demand relative to the normal price, an exponential moving average of realised relative
    prices (partial adjustment: a share m of a price change is not yet in the paths a year
    later). Relative to the normal price, so that learning's steady fall of prices, which
    the paths hold, is not read as a price cut."""
    return memory * ref_rel + (1.0 - memory) * price / p_norm


@dataclass(frozen=True)
class ExportTerms:
    """Partners' markets for China's goods this year (arrays (J, S), or (S,) for one
    market): see :func:`export_demand`."""

    market: F8  # M: the rest-of-world market at the normal price, units/yr
    foreign_cost: F8  # c^f: partners' producers' unit cost
    ref_ratio: F8  # r: reference ratio of foreign cost to China's normal price
    duty: F8  # tau: duty on Chinese goods
    share0: F8  # a: China's share at its normal price, duty-free, at reference cost
    sigma: float  # Armington elasticity
    cap: float  # China's maximum share of a partner's market
    p_norm: F8  # p^n: China's normal price
    freight: F8  # phi: freight per unit, share of the normal price
    measure: F8 | None = None  # the trade-defence part of ``duty`` (None: see ``cover``)
    cover: F8 | None = None  # (J, 1) share of a partner's market its measures cover; None: all

    def market_duty(self) -> F8:
        """The duty over each partner's whole market: tau less the uncovered share of its
        trade-defence measures, tau - (1 - c) tau^m (tau where measures cover all)."""
        if self.cover is None or self.measure is None:
            return self.duty
        return self.duty - (1.0 - self.cover) * self.measure


def armington_share(x: ExportTerms, price: F8, duty: F8) -> F8:
    """min(cap, a [(1 + tau) delivered / (c^f / (r p^n))]^(-sigma)): China's share of a
    partner's market at ``price`` and ``duty`` (see :func:`export_demand`)."""
    p_norm, freight = x.p_norm, x.freight
    delivered = (price + freight * p_norm) / ((1.0 + freight) * p_norm)
    rel = (1.0 + duty) * delivered / (x.foreign_cost / (x.ref_ratio * p_norm))
    return np.minimum(x.cap, x.share0 * rel ** (-x.sigma))


def export_demand(x: ExportTerms, price: F8) -> F8:
    """X_s(p) = M_s min(cap, a_s [(1 + tau_s) (p + phi_s p^n_s) / ((1 + phi_s) p^n_s)
    / (c^f_s / (r_s p^n_s))]^(-sigma)).

    Armington share of the rest-of-world market M_s at the delivered price (price plus
    freight, plus duty) against foreign producers' cost c^f_s; r_s is the reference ratio
    of foreign cost to China's normal price, so a_s is China's share at its normal price,
    duty-free, when foreign cost is at its reference. Freight phi_s p^n_s is a cost per
    unit, not a share of the price: in a glut the delivered price falls by less than
    the ex-works price (Hummels and Skiba 2004).

    Where a partner is an aggregate (``cover`` < 1), a trade-defence measure covers only
    the share ``cover`` of its market, the members that filed the case; the rest buys at
    the duty less the measure (``measure``):
    X = M [c share(tau) + (1 - c) share(tau - tau^m)]."""
    if x.cover is None or x.measure is None:
        return x.market * armington_share(x, price, x.duty)
    covered = armington_share(x, price, x.duty)
    free = armington_share(x, price, x.duty - x.measure)
    return x.market * (x.cover * covered + (1.0 - x.cover) * free)


@dataclass(frozen=True)
class DemandCurve:
    """The year's demand for China's output, by sector: domestic D^d_s(p) and exports
    X_s(p) to the partners."""

    base: F8  # (S,) B_s: domestic demand at the reference price
    p_norm: F8  # (S,) normal price
    elasticity: F8  # (S,) absolute short-run price elasticity of domestic demand
    exports: ExportTerms  # arrays (J, S)
    p_ref: F8 | None = None  # (S,) reference price of domestic demand (None: the normal price)

    def at(self, price: F8) -> tuple[F8, F8]:
        """Domestic demand and exports summed over the partners at ``price``."""
        ref = self.p_norm if self.p_ref is None else self.p_ref
        d = domestic_demand(self.base, price, ref, self.elasticity)
        return d, export_demand(self.exports, price).sum(axis=0)


def cost_bins(cost_norm: F8) -> np.ndarray:
    return np.clip((cost_norm / _WIDTH).astype(np.int64), 0, N_BINS - 1)


@dataclass
class SupplyTable:
    """Flexible capacity by sector and marginal-cost bin."""

    hist: F8  # (S, B) capacity in each bin
    cum: F8  # (S, B + 1) capacity in bins below each edge

    @classmethod
    def build(
        cls, sector: np.ndarray, tranches: list[tuple[np.ndarray, F8]], S: int
    ) -> SupplyTable:
        hist = np.zeros(S * N_BINS)
        for bins, cap in tranches:
            hist += sum_by(sector * N_BINS + bins, cap, S * N_BINS)
        h = hist.reshape(S, N_BINS)
        cum = np.zeros((S, N_BINS + 1))
        np.cumsum(h, axis=1, out=cum[:, 1:])
        return cls(hist=h, cum=cum)

    def supply(self, p_rel: F8) -> F8:
        """F_s(p): capacity with normalised cost below p (linear within a bin)."""
        x = np.clip(p_rel / _WIDTH, 0.0, N_BINS - 1e-9)
        b = x.astype(np.int64)
        rows = np.arange(len(p_rel))
        return self.cum[rows, b] + self.hist[rows, b] * (x - b)

    def fill(self, quantity: F8) -> tuple[np.ndarray, F8]:
        """The marginal bin m_s and the share theta_s of it that runs so that the bins
        below m_s plus theta_s of bin m_s supply ``quantity``."""
        S = len(quantity)
        m = np.empty(S, dtype=np.int64)
        for s in range(S):  # loop over sectors (the search inside is vectorised)
            m[s] = np.searchsorted(self.cum[s, 1:], quantity[s], side="left")
        m = np.minimum(m, N_BINS - 1)
        rows = np.arange(S)
        below = self.cum[rows, m]
        h = self.hist[rows, m]
        theta = np.where(h > 0, np.clip((quantity - below) / np.where(h > 0, h, 1.0), 0, 1), 0.0)
        return m, theta


@dataclass(frozen=True)
class Clearing:
    price: F8  # (S,) realised price
    clearing_price: F8  # (S,) market-clearing price before any floor
    output: F8  # (N,) firm output
    sold_share: F8  # (S,) share of what was offered that was sold
    sales: F8  # (S,)
    domestic_sales: F8
    exports: F8
    demand_at_price: F8  # (S,) demand at the realised price
    exports_by_partner: F8  # (J, S) exports sold to each partner
    glut: np.ndarray  # (S,) bool: supply exceeded demand at the distress price


def tranche_output(bins: np.ndarray, cap: F8, sector: np.ndarray, m: np.ndarray, theta: F8) -> F8:
    """Merit-order output of one tranche: full below the marginal bin, theta in it."""
    mb = m[sector]
    out = np.where(bins < mb, cap, 0.0)
    at = np.flatnonzero(bins == mb)  # the marginal bin holds few firms
    out[at] = cap[at] * theta[sector[at]]
    return out


@dataclass(frozen=True)
class Offer:
    """What firms bring to the market: capacity and marginal cost per firm (``_i``), the
    must-run output, and the fixed offer by sector."""

    sector_i: np.ndarray
    mc_i: F8  # marginal cost up to normal utilisation, net of operating subsidies
    must_i: F8  # must-run output (state-owned and protected firms), units
    capacity_i: F8
    fixed_s: F8  # inventory offered plus the liquidation stock, units
    normal_util: float  # u_n: above it a unit costs the overtime premium more
    overtime_premium: float
    limit_i: F8 | None = None  # most a firm may produce (production restrictions); None: capacity


@dataclass(frozen=True)
class PriceRule:
    """Bounds of the price (shares of the normal price) and the centre's floor."""

    lo: F8 | float  # distress price (share of the normal price), by sector or one for all
    hi: float  # scarcity price
    floor_s: F8  # price floor, 0 = none
    evasion_s: F8  # share of the gap to the floor evaded by hidden discounts
    prev_s: F8 | None = None  # last year's price at this year's normal price (None: no memory)
    adjustment: float = 1.0  # share of the way from last year's price to the clearing price


def adjusted_price(p_clear: F8, prev: F8 | None, adjustment: float, lo: F8, hi: F8) -> F8:
    """p_t = lambda p*_t + (1 - lambda) p_{t-1}: the year's price moves a share lambda of the
    way from last year's (at this year's normal price, within this year's bounds) to the
    clearing price p*. The year's price is the mean of prices set through the year: monthly
    spot prices that close the gap evenly over the year average about half of it, and
    annual contract prices (coal's long-term contracts, ore's benchmark, supply contracts
    for modules and cells) follow last year's. lambda = 1 (or no memory) clears the market
    each year."""
    if prev is None or adjustment >= 1.0:
        return p_clear
    return np.asarray(adjustment * p_clear + (1.0 - adjustment) * np.clip(prev, lo, hi))


def clear(offer: Offer, curve: DemandCurve, rule: PriceRule, iterations: int = 60) -> Clearing:
    """Find p_s with D_s(p) = M_s + F_s(p) for every sector, then allocate output.

    M_s: must-run output plus inventory offered (the fixed offer); F_s(p): flexible
    capacity whose marginal cost is below p. A firm's capacity up to normal utilisation
    costs c_i, the rest c_i (1 + overtime premium); a production restriction caps what a
    firm may produce at its limit L_i (must-run included). D_s falls and M_s + F_s rises in p,
    so bisection on log p converges; the price is bounded by [lo, hi] times the normal
    price (distress and scarcity: the price rule). A price floor F (set by the centre) raises the
    realised price to p* + (1 - e)(F - p*)^+, e the share evaded by hidden discounts;
    sales are rationed to demand at that price, and flexible firms produce only what
    sells (merit order), so a floor idles capacity; only the fixed offer's excess goes to
    inventory. Export demand sums over the partners (arrays (J, S))."""
    sector, must, capacity = offer.sector_i, offer.must_i, offer.capacity_i
    normal_util, overtime_premium = offer.normal_util, offer.overtime_premium
    p_norm, floor, evasion = curve.p_norm, rule.floor_s, rule.evasion_s
    S = len(p_norm)
    cost_norm = offer.mc_i / p_norm[sector]
    # tranche 1: from the must-run level up to normal utilisation; tranche 2: the rest,
    # both within the firm's limit where a production restriction binds
    if offer.limit_i is None:
        t1_cap = np.maximum(normal_util * capacity - must, 0.0)
        t2_cap = np.maximum(capacity - must - t1_cap, 0.0)
    else:
        limit = offer.limit_i
        t1_cap = np.maximum(np.minimum(normal_util * capacity, limit) - must, 0.0)
        t2_cap = np.maximum(limit - must - t1_cap, 0.0)
    b1 = cost_bins(cost_norm)
    b2 = cost_bins(cost_norm * (1.0 + overtime_premium))
    table = SupplyTable.build(sector, [(b1, t1_cap), (b2, t2_cap)], S)
    m_fixed = sum_by(sector, must, S) + offer.fixed_s

    def excess(logp: F8) -> F8:
        p = np.exp(logp)
        d, x = curve.at(p)
        return d + x - m_fixed - table.supply(p / p_norm)

    lo = np.log(rule.lo * p_norm)
    hi = np.log(rule.hi * p_norm)
    glut = excess(lo) <= 0
    scarce = excess(hi) >= 0
    a, b = lo.copy(), hi.copy()
    for _ in range(iterations):
        mid = 0.5 * (a + b)
        up = excess(mid) > 0
        a = np.where(up, mid, a)
        b = np.where(up, b, mid)
    p_clear = np.exp(np.where(glut, lo, np.where(scarce, hi, b)))
    p_adj = adjusted_price(p_clear, rule.prev_s, rule.adjustment, np.exp(lo), np.exp(hi))
    price = p_adj + (1.0 - evasion) * np.maximum(floor - p_adj, 0.0)
    d_dom, x_exp = curve.at(price)
    dem = d_dom + x_exp
    f_avail = table.supply(price / p_norm)
    # clearing: flexible output fills demand net of the fixed offer, in a glut and under
    # a binding floor too (no firm free to choose produces what it cannot sell: the
    # excess is the fixed offer's); at the scarcity bound demand exceeds f_avail, so
    # every tranche whose cost is covered produces in full
    q_flex = np.clip(dem - m_fixed, 0.0, f_avail)
    m, theta = table.fill(q_flex)
    out_flex = tranche_output(b1, t1_cap, sector, m, theta) + tranche_output(
        b2, t2_cap, sector, m, theta
    )
    # a firm's output never exceeds its capacity, also by a rounding error of the
    # tranches' sum (issue 16: utilisation 1 + 2.2e-16)
    total = must + out_flex
    over = total > capacity
    output = np.where(over, capacity, total)
    out_flex = np.where(over, capacity - must, out_flex)
    offered = m_fixed + sum_by(sector, out_flex, S)
    sales = np.minimum(dem, offered)
    with np.errstate(divide="ignore", invalid="ignore"):
        sold_share = np.where(offered > 0, sales / offered, 0.0)
        dom_frac = np.where(dem > 0, d_dom / dem, 1.0)
    dom_sales = sales * dom_frac
    x_by = export_demand(curve.exports, price)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_by = x_by * np.where(dem > 0, sales / dem, 0.0)[None, :]
    return Clearing(
        price=price,
        clearing_price=p_clear,
        output=output,
        sold_share=sold_share,
        sales=sales,
        domestic_sales=dom_sales,
        exports=sales - dom_sales,
        demand_at_price=dem,
        exports_by_partner=x_by,
        glut=glut,
    )


def efficient_cost(sector: np.ndarray, vc: F8, capacity: F8, quantity: F8, p_norm: F8) -> F8:
    """Cost of producing each sector's quantity with its cheapest capacity first (the
    benchmark of the misallocation measure), on the same cost bins: whole bins below the
    marginal one at their exact cost, the marginal bin at its mean cost."""
    S = len(quantity)
    bins = cost_bins(vc / p_norm[sector])
    idx = sector * N_BINS + bins
    cap_t = sum_by(idx, capacity, S * N_BINS).reshape(S, N_BINS)
    cost_t = sum_by(idx, capacity * vc, S * N_BINS).reshape(S, N_BINS)
    cum = np.zeros((S, N_BINS + 1))
    np.cumsum(cap_t, axis=1, out=cum[:, 1:])
    use = np.clip(quantity[:, None] - cum[:, :-1], 0.0, cap_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(cap_t > 0, cost_t / cap_t, 0.0)
    return np.asarray((use * unit).sum(axis=1))


@dataclass(frozen=True)
class Production:
    """The year's production and sales (phase g)."""

    clearing: Clearing
    vc_i: F8  # each firm's unit variable cost this year
    op_sub_i: F8  # each firm's operating subsidy per unit of output
    must_i: F8  # must-run output
    output_s: F8  # (S,) output
    liquidation_sold_s: F8  # (S,) units sold from the liquidation stock
    liquidation_revenue_s: F8  # (S,) their revenue, US$ m (recovered by the banks)
    efficient_cost_s: F8  # (S,) variable cost of the output from the cheapest capacity first


def must_run_share(soe: np.ndarray, protected: np.ndarray, targets: float, protection: float) -> F8:
    """The strength of the output target a firm is under: the targets' strength for a
    state-owned firm, times local protection's for a protected private firm, 0 for the
    others (strengths in [0, 1]: 1 with the switch on, 0 off, in between while a reform
    phases the mechanism out; terms.Strengths)."""
    return np.where(soe, targets, np.where(protected, targets * protection, 0.0))


def must_run_output(target: F8, inventory: F8, adjustment: float, ceiling: F8 | None = None) -> F8:
    """M_i = max(min(u_m s_i K_i - a inv_i, C_i), 0): a firm under an output target produces
    the target less the share a of the stock it already holds (stock adjustment: Lovell
    1961; Blinder and Maccini 1991), so a glut's unsold output weighs on next year's
    must-run output instead of piling up for years. Only targets with a stock on hand are
    cut: a = 0 or an empty warehouse leaves the target as it is. ``ceiling`` C_i (see
    :func:`stock_ceiling`): the most it produces before its warehouse is full; None: no
    ceiling."""
    must = target - adjustment * inventory
    if ceiling is not None:
        must = np.minimum(must, ceiling)
    return np.maximum(must, 0.0)


def stock_ceiling(sold_util_s: F8, capacity: F8, inventory: F8, max_stock: float) -> F8:
    """C_i = (1 + h) sigma_s K_i - inv_i: what a firm under an output target can sell at
    last year's pace (its capacity's part of the sector's sales, sigma_s = sales over
    capacity last year) plus room to hold a stock of h of that, less the stock it holds.
    Finished-goods stocks are weeks of sales (NBS: about 15-20 days in 2015-2024), not
    years: a target is met by selling below cost, not by filling warehouses."""
    return np.asarray((1.0 + max_stock) * sold_util_s * capacity - inventory)


def production_limit(capacity: F8, cap_i: F8) -> F8 | None:
    """L_i = cap_s K_i, the most a firm may produce under a production restriction (cap_s
    the sector's utilisation cap, 1 where none); None where no sector is restricted."""
    if cap_i.size == 0 or not np.any(cap_i < 1.0):
        return None
    return np.asarray(cap_i * capacity)


def firm_costs(st: State, yr: Year) -> tuple[F8, F8, F8]:
    """Each firm's unit variable cost this year c_i, its operating subsidy per unit (the
    province's intensity z_i of the full subsidy, a share of the normal price) and the
    strength of the output target it is under (:func:`must_run_share`): what the merit
    order reads, in the market (:func:`produce`) and in investors' fundamental price
    (investment.fundamental_price)."""
    f, stg = st.firms, yr.strength
    z_i = st.provinces.intensity[f.province, f.sector]
    os_i = z_i * yr.sc.provinces.max_operating_subsidy * yr.p_norm[f.sector]
    vc_i = yr.vc_s[f.sector] * f.cost_eff
    share_i = must_run_share(f.soe, f.protected, stg.soe_output_targets, stg.local_protection)
    return vc_i, os_i, share_i


def produce(st: State, yr: Year, pol: Policy, dem: Demand) -> Production:
    """Phase g: firms' unit costs this year (entrants included), must-run output (state-
    owned and protected firms, step 5 of the specification in docs/ODD.md section 3, at
    the strength of the output targets),
    production restrictions (the centre's output caps: :func:`production_limit`), inventory
    offered, market clearing (:func:`clear`), liquidation sales, and each firm's sales
    (accounts.sell). The misallocation benchmark (:func:`efficient_cost`) is taken on the
    capacity that produced, before it depreciates in the books. Last, the reference price of
    domestic demand moves toward this year's price (:func:`reference_price`)."""
    f, sec, sc = st.firms, st.sectors, yr.sc
    vc_i, os_i, share_i = firm_costs(st, yr)
    must = must_run_output(
        sc.market.must_run_utilisation * share_i * f.capacity,
        f.inventory,
        sc.market.inventory_adjustment,
        stock_ceiling(sec.sold_util_prev[f.sector], f.capacity, f.inventory, sc.market.max_stock),
    )
    ins = pol.instruments
    cap_i = ins.output_cap[f.sector] if ins.output_cap.size else ins.output_cap
    limit = production_limit(f.capacity, cap_i)
    if limit is not None:
        must = np.minimum(must, limit)
    inv_offer = sc.market.inventory_sell_rate * f.inventory
    fixed_offer = sum_by(f.sector, inv_offer, yr.S) + sec.liquidation
    offer = Offer(
        sector_i=f.sector,
        mc_i=vc_i - os_i,
        must_i=must,
        capacity_i=f.capacity,
        fixed_s=fixed_offer,
        normal_util=sc.market.normal_utilisation,
        overtime_premium=sc.market.overtime_premium,
        limit_i=limit,
    )
    rule = PriceRule(
        yr.distress_s,
        sc.market.scarcity_price,
        ins.price_floor,
        ins.floor_evasion,
        sec.price_rel_prev * yr.p_norm,
        sc.market.price_adjustment,
    )
    clr = clear(offer, dem.curve, rule)
    liq_sold = clr.sold_share * sec.liquidation
    liq_revenue = liq_sold * clr.price
    sec.liquidation = sec.liquidation - liq_sold
    sell(f, clr.output, inv_offer, clr.sold_share, clr.price)
    output_s = sum_by(f.sector, f.output, yr.S)
    sec.price_ref_rel = reference_price(
        sec.price_ref_rel, clr.price, yr.p_norm, sc.market.reference_price_memory
    )
    return Production(
        clearing=clr,
        vc_i=vc_i,
        op_sub_i=os_i,
        must_i=must,
        output_s=output_s,
        liquidation_sold_s=liq_sold,
        liquidation_revenue_s=liq_revenue,
        efficient_cost_s=efficient_cost(f.sector, vc_i, f.capacity, output_s, yr.p_norm),
    )
