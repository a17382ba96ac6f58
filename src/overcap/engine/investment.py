"""The investment wave: consensus expectations, partial visibility, subsidised capital,
credit, expansion of incumbents and entry.

Anchors: Lin, Wu and Xing (2010) for the wave (every investor sees the same good
prospects but not the others' plans); Jiang et al. (2012) for subsidised capital;
Kornai and Dewatripont-Maskin (1995) for the soft budget; Barwick, Kalouptsidi and
Zahur (2025) for subsidised entry.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from overcap.engine.centre import Policy
from overcap.engine.demand import Demand
from overcap.engine.indicators import safe_div
from overcap.engine.market import DemandCurve, Offer, PriceRule, clear, firm_costs
from overcap.engine.provinces import Aid
from overcap.engine.state import F8, Firms, State, sum_by
from overcap.engine.terms import Strengths, Year
from overcap.scenario import Scenario


@dataclass(frozen=True)
class InvestmentFlows:
    """Sector-level flows of investment (arrays over sectors): of incumbents' expansion
    (:func:`wave`), of entrants (entry.enter), or of both (:meth:`plus`)."""

    spending: F8  # gross capex started, US$ m
    capex_subsidy: F8  # paid by provinces, US$ m
    equity_in: F8  # entrants' equity, US$ m
    entries: F8  # number of entrants
    started: F8  # capacity started, units/yr
    province_subsidy: F8  # (P,) capex subsidies paid by each province

    def plus(self, other: InvestmentFlows) -> InvestmentFlows:
        return InvestmentFlows(
            spending=self.spending + other.spending,
            capex_subsidy=self.capex_subsidy + other.capex_subsidy,
            equity_in=self.equity_in + other.equity_in,
            entries=self.entries + other.entries,
            started=self.started + other.started,
            province_subsidy=self.province_subsidy + other.province_subsidy,
        )


@dataclass(frozen=True)
class Expectations:
    """What every investor reads this year (arrays over sectors)."""

    capacity_s: F8  # K_s in place when investors decide (after completions and campaign)
    demand_s: F8  # D^e_s expected demand after the build lag
    utilisation_s: F8  # u^e_s
    price_s: F8  # p^e_s
    gap_s: F8  # G_s perceived capacity gap, share of visible capacity
    gap_capacity_s: F8  # the gap in units (of demand over normal utilisation if none visible)


@dataclass(frozen=True)
class Appraisal:
    """Each incumbent's appraisal of a project this year (arrays over firms)."""

    q_i: F8  # return ratio
    gap_i: F8  # its sector's perceived gap
    push_i: F8  # the local mandate
    capex_net_i: F8  # capex per unit net of the province's capex subsidy
    capex_gross_i: F8
    capex_sub_i: F8  # the province's capex subsidy, share of capex
    soft_i: np.ndarray  # soft budget (state-owned or protected, with the switch on)


@dataclass(frozen=True)
class Wave:
    """The investment wave of the year (phase e): expectations, incumbents' flows."""

    expect: Expectations
    flows: InvestmentFlows  # incumbents' expansion (no entries, no equity in)
    # (S,) capacity entrants may still start under a replacement rule (inf: no rule in
    # that sector); None when no sector has one this year
    quota_left_s: F8 | None = None


def replacement_quota(retired: F8, ratio: F8) -> F8 | None:
    """Q_s = R_s / r_s: the capacity a sector may start this year under a capacity-
    replacement rule (a ``capacity_replacement`` event, ratio r_s >= 1 units retired per
    unit built): the capacity it retired, last year at the end of its life and by exits
    (plants scrapped, not those sold) and this year by the campaign. inf where no rule;
    None when no sector has one."""
    if not (ratio > 0).any():
        return None
    return np.where(ratio > 0, retired / np.where(ratio > 0, ratio, 1.0), np.inf)


def replacement_scale(desired: F8, quota: F8, compliance: float) -> F8:
    """The share of the capacity investors want to start that they may start:
    kappa min(1, Q_s / desired_s) + (1 - kappa), the rule binding on a share kappa
    (``centre.replacement_compliance``) of the projects; 1 where there is no rule (Q = inf)
    or nothing is wanted."""
    bound = np.isfinite(quota) & (desired > 0)
    ratio = np.minimum(1.0, quota / np.where(bound, desired, 1.0))
    return np.where(bound, compliance * ratio + (1.0 - compliance), 1.0)


def consensus_growth(demand: F8, demand_prev: F8, g_prev: F8, memory: float, clip: float) -> F8:
    """g_s = mu g_{s,t-1} + (1 - mu) ln(D_{t-1} / D_{t-2}), clipped to [-c, c]: the one
    signal every investor reads (adaptive expectations), D the market's demand at the
    normal price (domestic plus exports), which investors see even when capacity binds."""
    with np.errstate(divide="ignore", invalid="ignore"):
        obs = np.where((demand > 0) & (demand_prev > 0), np.log(demand / demand_prev), g_prev)
    return np.clip(memory * g_prev + (1.0 - memory) * obs, -clip, clip)


def planned_growth(g: F8, plan_growth: F8, strategic: np.ndarray, credibility: float) -> F8:
    """g^e_s = g_s + kappa A_s max(0, g^plan_s - g_s): while the centre names a sector
    strategic and a plan target for it is in force (g^plan_s the growth a year the plan
    sets, NaN where none), investors lift the consensus growth g_s toward the plan's by
    its credibility kappa. A target below the market's growth lowers nothing: targets
    the market overshot were raised (solar's 2015 target went from 5 to 35 GW), so
    investors read a plan as a floor the state backs, not a cap."""
    on = strategic & ~np.isnan(plan_growth)
    lift = np.where(on, np.maximum(np.nan_to_num(plan_growth) - g, 0.0), 0.0)
    return g + credibility * lift


def forecast_horizon(lag: F8) -> F8:
    """h_s = max(lag_s, 1) + 1: years from the demand investors last observed (year t-1) to
    the first year a project started now produces. A project started in t with an integer
    lag n >= 1 (:func:`stochastic_lag`, E[n] = lag for lag >= 1) comes on line at the start
    of t + n (:func:`complete_projects`) and first sells in t + n, which is n + 1 years after
    t - 1."""
    return np.maximum(lag, 1.0) + 1.0


def damped_horizon(h: F8, phi: float) -> F8:
    """H_s = sum_{k=1..h} phi^k = phi (1 - phi^h) / (1 - phi), h_s itself at phi = 1: the
    damped-trend forecast (Gardner and McKenzie 1985) extrapolates the growth of the
    year just observed at a weight phi^k k years ahead, since growth rates persist little
    from year to year (Chan, Karceski and Lakonishok 2003). At phi = 1 the trend is
    extrapolated undamped over the whole horizon."""
    if phi >= 1.0:
        return h
    return phi * (1.0 - phi**h) / (1.0 - phi)


def visible_capacity(capacity: F8, pipeline: F8, visibility: float, life: F8, lag: F8) -> F8:
    """V_s = K_s (1 - 1/L_s)^lag + v U_s: capacity in place that survives the build lag,
    plus the share v of others' capacity under construction an investor sees."""
    return capacity * (1.0 - 1.0 / life) ** lag + visibility * pipeline


def expected_utilisation(demand_e: F8, visible: F8) -> F8:
    """u^e_s = min(1, D^e_s / V_s).

    v < 1: each investor sees capacity in place but only a share v of capacity under
    construction, so all of them plan to fill the same gap (Lin, Wu and Xing 2010)."""
    # a visible capacity that is a subnormal number overflows the ratio: clipped to 1
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        u = np.where(visible > 0, demand_e / visible, 1.0)
    return np.clip(u, 0.0, 1.0)


def perceived_gap(demand_e: F8, visible: F8, u_n: float) -> F8:
    """G_s = max(0, D^e_s / u_n - V_s) / V_s: the shortfall of capacity every investor
    sees, as a share of visible capacity (the same for all investors; each plans to fill
    its share: Lin, Wu and Xing 2010)."""
    gap = np.maximum(demand_e / u_n - visible, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(visible > 0, gap / visible, 0.0)


def expected_price(
    p_norm: F8,
    price_rel_prev: F8,
    u_e: F8,
    u_prev: F8,
    eta: float,
    lo: F8 | float,
    hi: float,
    glut_prev: np.ndarray,
    u_n: float,
) -> F8:
    """p^e_s = p^n_s clip((p_{t-1} / p^n_{t-1}) (u^e_s / b_s)^eta, lo, hi), with
    b_s = u_{s,t-1}, or max(u_{s,t-1}, u_n) where last year's price was the distress price.

    Investors start from last year's price (relative to the normal price, which falls
    with learning) and expect it to move with the expected change in utilisation;
    ``u_prev`` is last year's sales over capacity (the market's tightness, which selling
    from stock does not depress as it does output). A price at the distress bound is
    censored: it does not say how deep the glut is, and along a cost curve that is flat
    at cash cost over idle capacity it stays there until the idle capacity is taken up.
    So after a glut year (``glut_prev``) a rise in utilisation lifts the expected price
    only above normal utilisation ``u_n``: from 0.22 to 0.30 is still a glut, not a
    36% tighter market."""
    base = np.maximum(u_prev, 1e-9)
    base = np.where(glut_prev, np.maximum(base, u_n), base)
    ratio = np.maximum(u_e, 1e-9) / base
    return p_norm * np.clip(price_rel_prev * ratio**eta, lo, hi)


def spare_capacity_price(p_e: F8, p_norm: F8, u_e: F8, u_n: float, cap: float) -> F8:
    """p^e_s - c (p^e_s - p^n_s)^+ where u^e_s <= u_n, p^e_s elsewhere: investors who
    expect spare capacity (utilisation at or below normal) expect no scarcity price, since
    with idle capacity at full cost the cost curve is flat at the normal price (Tilton and
    Guzman 2016; the price above full cost is a rent of scarce capacity). The adaptive rule
    alone extrapolates a recovery from a glut (utilisation 0.58 to 0.80) into a price
    above normal at the same time as it sees capacity to spare. c
    (``investment.spare_capacity_cap``) is the share of that excess investors discount
    (0: none, the rule off; 1: all). Expected utilisation above normal keeps the rule's
    price: there the market is expected to be tight."""
    if cap <= 0.0:
        return p_e
    excess = np.maximum(p_e - p_norm, 0.0)
    return np.where(u_e <= u_n, p_e - cap * excess, p_e)


def fundamental_price(
    st: State, yr: Year, pol: Policy, dem: Demand, demand_e: F8, visible: F8, cap_s: F8
) -> F8:
    """p^f_s: the price at which the market would clear (:func:`market.clear`, the rule of
    docs/ODD.md 7.6) if demand were D^e_s and capacity the visible capacity V_s, at today's
    costs. This year's demand curves (domestic base and the partners' markets, with the
    duties in force) are scaled to D^e_s at the normal price, at the normal reference price;
    every firm's capacity is scaled by V_s / K_s, its unit cost is today's net of its
    operating subsidy, and firms under output targets offer their must-run share whatever
    the price; a price floor in force holds. So an investor who reads the industry's cost
    curve (Tilton and Guzman 2016) expects the distress price where visible capacity
    exceeds what expected demand takes at cash cost, and a price above normal only where
    it falls short: what the market itself would do, had the capacity an investor cannot
    see been left out (Muth 1961, with the information of Lin, Wu and Xing 2010)."""
    f, sc, curve = st.firms, yr.sc, dem.curve
    g = safe_div(demand_e, dem.normal_s)
    expected_curve = DemandCurve(
        base=curve.base * g,
        p_norm=curve.p_norm,
        elasticity=curve.elasticity,
        exports=replace(curve.exports, market=curve.exports.market * g),
        p_ref=None,
    )
    k_i = f.capacity * safe_div(visible, cap_s)[f.sector]
    vc_i, os_i, share_i = firm_costs(st, yr)
    offer = Offer(
        sector_i=f.sector,
        mc_i=vc_i - os_i,
        must_i=sc.market.must_run_utilisation * share_i * k_i,
        capacity_i=k_i,
        fixed_s=np.zeros(yr.S),
        normal_util=sc.market.normal_utilisation,
        overtime_premium=sc.market.overtime_premium,
    )
    ins = pol.instruments
    rule = PriceRule(yr.distress_s, sc.market.scarcity_price, ins.price_floor, ins.floor_evasion)
    return clear(offer, expected_curve, rule).price


def blended_price(adaptive: F8, fundamental: F8, weight: float, known: np.ndarray) -> F8:
    """p^e_s = (p^a_s)^(1 - w) (p^f_s)^w where the cost curve is known (capacity in place),
    p^a_s elsewhere: investors weigh the adaptive rule and the fundamental price
    (heterogeneous expectations: Brock and Hommes 1998; Hommes 2011)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mixed = np.exp((1.0 - weight) * np.log(adaptive) + weight * np.log(fundamental))
    return np.where(known & (fundamental > 0), mixed, adaptive)


def excess_response(q: F8) -> F8:
    """h(q) = x / (1 + x), x = max(q - 1, 0): investment rises with the excess return, at a
    falling rate (adjustment costs; Hayashi 1982), bounded by 1."""
    x = np.maximum(q - 1.0, 0.0)
    return x / (1.0 + x)


def interest_rates(
    soe: np.ndarray,
    intensity_i: F8,
    bailed: np.ndarray,
    sc: Scenario,
    credit_spread: float,
    strength: Strengths | None = None,
) -> F8:
    """r_i = s r^soft_i + (1 - s) r^hard, with
    r^soft_i = r_m + spread_c - d_soe 1[SOE] + pi 1[private] - d_sub z_i - d_bail 1[bailed]
    (the bailout discount while bailouts have any strength) and r^hard = r_m + spread_c + pi.

    Soft budgets give state-owned and subsidised firms their discounts; with the switch
    off every firm pays the market rate plus the private premium. s is the strength of
    soft budgets (terms.Strengths; the switches when not given): while a reform phases
    soft budgets out, loans outstanding reprice as they mature, so rates move from soft
    to hard over the transition."""
    sw = sc.switches
    if strength is None:
        s, b = float(sw.soft_budget), float(sw.bailouts)
    else:
        s, b = strength.soft_budget, strength.bailouts
    c = sc.credit
    r = np.full(soe.shape, c.market_rate + credit_spread)
    if s > 0:
        hard = r + c.private_premium
        r -= c.soe_discount * soe
        r += c.private_premium * ~soe
        r -= sc.provinces.credit_subsidy_spread * intensity_i
        if b > 0:
            r -= c.bailout_rate_discount * bailed
        if s < 1:
            r = s * r + (1.0 - s) * hard
    else:
        r += c.private_premium
    return np.maximum(r, 0.005)


def risk_premium(soft: np.ndarray, sc: Scenario) -> F8:
    """Hard-budget investors add a risk premium to the hurdle; soft-budget investors do
    not, since their downside is refinanced (Kornai; Dewatripont and Maskin 1995)."""
    return np.where(soft, 0.0, sc.investment.private_risk_premium)


def loss_put(p_e: F8, strike: F8, sigma: float) -> F8:
    """E[max(K - p, 0)] for a lognormal price with mean p^e and log-sd sigma
    (Black-Scholes put at zero rate): K N(-d2) - p^e N(-d1)."""
    if sigma <= 0:
        return np.maximum(strike - p_e, 0.0)
    pe = np.maximum(p_e, 1e-12)
    k = np.maximum(strike, 1e-12)
    # N(-d1) and N(-d2) by the logistic approximation of the normal CDF,
    # N(x) ~ 1 / (1 + e^(-1.702 x)) (Bowling et al. 2009; absolute error below 0.01),
    # sharing one exp: N(-x) = 1 / (1 + e^(1.702 x)) and d2 = d1 - sigma
    with np.errstate(over="ignore"):  # a tiny sigma: d1 and 1.702 d1 = +-inf, then clipped
        d1 = (np.log(pe / k) + 0.5 * sigma**2) / sigma
        e1 = np.exp(np.clip(1.702 * d1, -50.0, 50.0))
    n_d1 = 1.0 / (1.0 + e1)
    n_d2 = 1.0 / (1.0 + e1 * np.exp(-1.702 * sigma))
    return np.maximum(k * n_d2 - pe * n_d1, 0.0)


def return_ratio(
    u_e: F8,
    p_e: F8,
    vc: F8,
    op_sub: F8,
    om: F8,
    capex_net: F8,
    rate: F8,
    prem: F8 | float,
    life: F8,
    cover: F8 | float = 0.0,
    sigma: float = 0.0,
    wc: F8 | float = 0.0,
    r_market: float = 0.0,
) -> F8:
    """q = [u^e (p^e - K) + chi u^e E(K - p)^+ + W r_m] / [k (1 - s_k) (r + rho + 1/L)
    + W (r + rho)], K = c - s_op + om / u^e the break-even price.

    Expected operating margin per unit of capacity over the annualised cost of the
    subsidised capital; invest when q > 1 (Lin, Wu and Xing 2010: expected profit
    covers the building cost). A soft-budget investor has a share chi of its losses
    absorbed by the state (refinancing, bailouts), a put option on the price worth
    chi u^e E(K - p)^+ (Dewatripont and Maskin 1995): its downside is removed.

    W (``wc``, per unit of capacity) is the working capital the project ties up besides
    the plant: inventories and receivables (``Year.wc_s``, terms.working_capital). It
    does not wear out, so its annual cost is r + rho. Its carrying cost at the market
    rate r_m is part of the fixed O&M (the residual that makes the full cost the
    reference price, SectorConst), so it is added back to the margin: at the normal
    price, the market rate and no premium q stays 1. With W = 0 this is the plant
    alone."""
    u = np.maximum(u_e, 1e-9)
    strike = vc - op_sub + om / u
    margin = u * (p_e - strike)
    if np.ndim(cover) == 0:
        if cover:
            margin = margin + cover * u * loss_put(p_e, strike, sigma)
    elif np.shape(cover) == np.shape(margin) == np.shape(p_e) == np.shape(u):
        # only soft-budget investors hold the put: evaluate it on those rows alone
        cv = np.asarray(cover)
        rows = np.flatnonzero(cv)
        margin[rows] += cv[rows] * u[rows] * loss_put(p_e[rows], strike[rows], sigma)
    else:
        margin = margin + cover * u * loss_put(p_e, strike, sigma)
    cost = capex_net * (rate + prem + 1.0 / life)
    if np.any(wc):
        margin = margin + wc * r_market
        cost = cost + wc * (rate + prem)
    return margin / np.maximum(cost, 1e-12)


def local_push(intensity_i: F8, incentive_i: F8, soft: np.ndarray, push: float) -> F8:
    """m_i = mu z_{p,s} I_p for state-owned and protected (soft-budget) firms, else 0.

    An official in the promotion tournament is judged on GDP growth, and investment is
    GDP now: besides subsidising, the province has its own firms expand in the sectors it
    favours, whatever the market return (Zhou 2007; Li and Zhou 2005; Jiang et al. 2012).
    z is the province's subsidy intensity in the sector, I_p the official's incentive."""
    return np.where(soft, push * intensity_i * incentive_i, 0.0)


def feasible_push(push: F8, q: F8) -> F8:
    """m_i 1[q_i > 0]: the local mandate builds only a project whose expected operating
    margin is positive (q > 0: the price it expects covers its unit cost, the soft budget's
    cover of losses and the subsidies included), whatever its return on capital. A project
    needs a feasibility study to be approved (the investment-approval system, State Council
    Decision on Reforming the Investment System, 2004): a plant that loses money on every
    unit it would sell does not pass it, a plant that only fails to earn its capital does."""
    return np.where(q > 0.0, push, 0.0)


def complete_projects(f: Firms, year: int, log_learning: F8 | None = None) -> None:
    """Capacity under construction comes on line in its completion year. With
    ``log_learning`` (ln of each sector's learning factor now), the firm's vintage becomes
    the capacity-weighted mean of its old capacity's and the new capacity's, which is
    built at today's frontier: v_i = (K_i v_i + B_i ln Lambda_s) / (K_i + B_i)."""
    done = np.flatnonzero((f.complete_year >= 0) & (f.complete_year <= year))
    if log_learning is not None:
        k, b = f.capacity[done], f.building[done]
        total = k + b
        mix = (k * f.vintage[done] + b * log_learning[f.sector[done]]) / np.where(
            total > 0, total, 1.0
        )
        f.vintage[done] = np.where(total > 0, mix, f.vintage[done])
    f.capacity[done] += f.building[done]
    f.capital[done] += f.building_cost[done]
    f.building[done] = 0.0
    f.building_cost[done] = 0.0
    f.complete_year[done] = -1


def vintage_cost(vintage: F8, log_learning: F8, obsolescence: F8) -> F8:
    """m_i = exp(o_s (v_i - ln Lambda_s)) = (Lambda_{v_i} / Lambda_s)^o_s >= 1: the cost of
    capacity built at learning factor Lambda_v against today's frontier Lambda_s, where a
    share o_s of the sector's learning is embodied in the line (cell efficiency and wafer
    format in solar, chemistry and format in batteries) and cannot reach old lines.
    o_s = 0: every vintage learns alike (m = 1)."""
    return np.exp(obsolescence * (vintage - log_learning))


def age_vintages(f: Firms, log_learning: F8, obsolescence: F8) -> None:
    """Each live firm's vintage cost at today's frontier (:func:`vintage_cost`), folded
    into its unit-cost multiplier: cost_eff <- cost_eff m_i / m_i,old, so every rule that
    reads a firm's unit cost (the merit order, must-run losses, the campaign's highest cost
    first) sees it. Only sectors with o_s > 0 are touched."""
    rows = np.flatnonzero(f.alive & (obsolescence[f.sector] > 0))
    if len(rows) == 0:
        return
    sec = f.sector[rows]
    new = vintage_cost(f.vintage[rows], log_learning[sec], obsolescence[sec])
    f.cost_eff[rows] *= new / f.vintage_cost[rows]
    f.vintage_cost[rows] = new


def stochastic_lag(lag: F8, n: int, rng: np.random.Generator) -> np.ndarray:
    """Integer build lag with the fractional part drawn: E[lag] = lag."""
    base = np.floor(lag)
    return (base + (rng.random(n) < lag - base)).astype(np.int32)


def expand(
    f: Firms,
    ap: Appraisal,
    approval: F8,
    year: int,
    lag: F8,
    sc: Scenario,
    rng: np.random.Generator,
    quota: F8 | None = None,
) -> tuple[F8, F8]:
    """Incumbents without a project under way that review their plans this year
    (probability rho) start one of size
    dK_i = K_i min(x_max, gamma ln(q_i)^+ + h(q_i) G_s / rho + m_i 1[q_i > 0]) * approvals:
    an expansion that rises with the return ratio at a falling rate (near q = 1 Tobin's q
    with quadratic adjustment costs, Hayashi 1982: I/K = (q - 1) / phi, gamma = 1 / phi,
    since ln q ~ q - 1 there; concave above, Barnett and Sakellaris 1998), plus, for a
    profitable investor,
    its share of the perceived gap G_s among the investors active this year, plus the
    local mandate m_i (see :func:`local_push`) that state-owned and protected firms take on
    whatever the return on capital, for a project with a positive expected operating
    margin (:func:`feasible_push`).
    Entrants plan to fill the same gap (see entry.entrants): nobody sees the others' plans.

    Hard-budget (private) firms are rationed by equity: new debt up to
    max(0, lambda E_i - D_i). Under a capacity-replacement rule (``quota``, by sector,
    :func:`replacement_quota`) the projects are scaled by :func:`replacement_scale`.
    Returns (gross capex, capacity started) per firm."""
    inv = sc.investment
    q, gap_i, capex_net_i = ap.q_i, ap.gap_i, ap.capex_net_i
    free = (f.complete_year < 0) & f.alive & (f.capacity > 0)
    free &= rng.random(len(f)) < inv.review_probability
    excess = np.log(np.maximum(q, 1.0))
    dk = f.capacity * np.minimum(
        inv.max_expansion,
        inv.expansion_speed * excess
        + excess_response(q) * gap_i / inv.review_probability
        + feasible_push(ap.push_i, q),
    )
    dk *= approval[f.sector] * free
    room = np.maximum(0.0, inv.private_debt_equity_cap * f.equity - f.debt)
    limit = np.where(ap.soft_i, np.inf, room / np.maximum(capex_net_i, 1e-12))
    dk = np.minimum(dk, limit)
    if quota is not None:
        want = sum_by(f.sector, dk, len(quota))
        dk *= replacement_scale(want, quota, sc.centre.replacement_compliance)[f.sector]
    dk[dk < 1e-9 * np.maximum(f.capacity, 1e-12)] = 0.0
    started = dk > 0
    cost_net = dk * capex_net_i
    rows = np.flatnonzero(started)
    f.building[rows] += dk[rows]
    f.building_cost[rows] += cost_net[rows]
    f.debt[rows] += cost_net[rows]
    lags = stochastic_lag(lag[f.sector[rows]], len(rows), rng)
    f.complete_year[rows] = year + np.maximum(lags, 1)
    return dk * ap.capex_gross_i, dk


def nowcast_demand(
    demand_lag: F8, st: State, yr: Year, pol: Policy, dem: Demand, weight: float
) -> F8:
    """ln D^e_s = (1 - w) ln D^lag_s + w ln D^now_s: investors who decide as the year
    unfolds have seen part of this year's market. D^now_s = D_{s,t} e^(g'_s H'_s), D_t
    this year's demand at the normal price, g'_s the consensus growth updated with this
    year's markets (:func:`consensus_growth`, as next year's will be; lifted toward the
    plan: :func:`planned_growth`), H'_s the damped horizon a year shorter (the first year
    a project produces is a year nearer this year's market than last year's). w = 0:
    last year's market alone (D^lag_s = D^e_s of :func:`expectations`)."""
    sc, sec, ins = yr.sc, st.sectors, pol.instruments
    inv = sc.investment
    g_now = consensus_growth(
        dem.market_s, sec.market_prev, sec.consensus_growth, inv.consensus_memory, inv.growth_clip
    )
    g_now = planned_growth(g_now, ins.plan_growth, ins.strategic, inv.plan_credibility)
    h_now = damped_horizon(forecast_horizon(yr.const.build_lag) - 1.0, inv.trend_damping)
    now = dem.normal_s * np.exp(g_now * h_now)
    with np.errstate(divide="ignore", invalid="ignore"):
        mixed = np.exp((1.0 - weight) * np.log(demand_lag) + weight * np.log(now))
    return np.where((demand_lag > 0) & (now > 0), mixed, (1.0 - weight) * demand_lag + weight * now)


def expectations(st: State, yr: Year, pol: Policy, dem: Demand) -> Expectations:
    """The consensus every investor reads: g_s = consensus growth, lifted toward the
    centre's plan target in strategic sectors (:func:`planned_growth`);
    D^e_s = D_{s,t-1} e^(g_s H_s) at the year a project started now first produces
    (:func:`forecast_horizon`), the trend damped over the horizon (:func:`damped_horizon`),
    blended with this year's market by ``investment.nowcast_weight`` (:func:`nowcast_demand`);
    visible capacity, expected utilisation, perceived gap and
    expected price (the functions above: the adaptive rule, weighed with the fundamental
    price by ``investment.fundamental_weight``)."""
    f, sec, sc, tech = st.firms, st.sectors, yr.sc, yr.const
    life, lag = tech.plant_life, tech.build_lag
    cap_s = sum_by(f.sector, f.capacity, yr.S)
    pipe_s = sum_by(f.sector, f.building, yr.S)
    ins = pol.instruments
    g = planned_growth(
        sec.consensus_growth, ins.plan_growth, ins.strategic, sc.investment.plan_credibility
    )
    inv = sc.investment
    horizon = damped_horizon(forecast_horizon(lag), inv.trend_damping)
    demand_e = sec.demand_prev * np.exp(g * horizon)
    if inv.nowcast_weight > 0.0:
        demand_e = nowcast_demand(demand_e, st, yr, pol, dem, inv.nowcast_weight)
    visible = visible_capacity(cap_s, pipe_s, sc.investment.visibility, life, lag)
    u_e = expected_utilisation(demand_e, visible)
    gap = perceived_gap(demand_e, visible, sc.market.normal_utilisation)
    p_e = expected_price(
        yr.p_norm,
        sec.price_rel_prev,
        u_e,
        sec.sold_util_prev,
        sc.investment.price_sensitivity,
        yr.distress_s,
        sc.market.scarcity_price,
        sec.glut_prev,
        sc.market.normal_utilisation,
    )
    p_e = spare_capacity_price(
        p_e, yr.p_norm, u_e, sc.market.normal_utilisation, sc.investment.spare_capacity_cap
    )
    w = sc.investment.fundamental_weight
    if w > 0.0:
        p_f = fundamental_price(st, yr, pol, dem, demand_e, visible, cap_s)
        p_e = blended_price(p_e, p_f, w, cap_s > 0)
    return Expectations(
        capacity_s=cap_s,
        demand_s=demand_e,
        utilisation_s=u_e,
        price_s=p_e,
        gap_s=gap,
        gap_capacity_s=np.where(
            visible > 0, gap * visible, demand_e / sc.market.normal_utilisation
        ),
    )


def appraise(st: State, yr: Year, aid: Aid, exp: Expectations, z_i: F8) -> Appraisal:
    """Each incumbent's return ratio q_i (:func:`return_ratio`) with its own unit cost,
    the province's capex and operating subsidies (intensity z_i) and its interest rate,
    and its local mandate (:func:`local_push`)."""
    f, sc, tech = st.firms, yr.sc, yr.const
    pv, inv = sc.provinces, sc.investment
    soft = (f.soe | f.protected) & sc.switches.soft_budget
    cs_i = z_i * pv.max_capex_subsidy
    os_i = z_i * pv.max_operating_subsidy * yr.p_norm[f.sector]
    # a project is built at today's frontier: the firm's cost without its vintage's gap
    vc_i = yr.vc_s[f.sector] * f.cost_eff / f.vintage_cost
    capex_net_i = yr.capex_s[f.sector] * (1.0 - cs_i)
    q_i = return_ratio(
        exp.utilisation_s[f.sector],
        exp.price_s[f.sector],
        vc_i,
        os_i,
        yr.om_s[f.sector],
        capex_net_i,
        f.rate,
        risk_premium(soft, sc),
        tech.plant_life[f.sector],
        soft * inv.soft_budget_cover,
        inv.price_uncertainty,
        yr.wc_s[f.sector],
        sc.credit.market_rate,
    )
    return Appraisal(
        q_i=q_i,
        gap_i=exp.gap_s[f.sector],
        push_i=local_push(z_i, aid.incentive_p[f.province], soft, pv.investment_push),
        capex_net_i=capex_net_i,
        capex_gross_i=yr.capex_s[f.sector],
        capex_sub_i=cs_i,
        soft_i=soft,
    )


def wave(st: State, yr: Year, pol: Policy, aid: Aid, dem: Demand, rng: np.random.Generator) -> Wave:
    """Phase e: projects due complete (new capacity at today's frontier, blended into the
    firm's vintage) and every vintage's cost gap to the frontier (:func:`age_vintages`);
    each firm's interest rate for the year; the
    consensus expectations; incumbents appraise and start projects (:func:`expand`).
    Records each firm's debt before this year's investment (the zombie test's
    'still borrowing')."""
    f, sc = st.firms, yr.sc
    f.debt_start[:] = f.debt
    log_learning = np.log(st.sectors.learning)
    complete_projects(f, yr.year, log_learning)
    age_vintages(f, log_learning, yr.const.obsolescence)
    z_i = st.provinces.intensity[f.province, f.sector]
    f.rate[:] = interest_rates(
        f.soe, z_i, f.bailed_out, sc, pol.instruments.credit_spread, yr.strength
    )
    exp = expectations(st, yr, pol, dem)
    ap = appraise(st, yr, aid, exp, z_i)
    quota = replacement_quota(st.sectors.retired_prev + pol.campaign.real, yr.script.replacement_s)
    spend_i, started_i = expand(f, ap, pol.approval_s, yr.year, yr.const.build_lag, sc, rng, quota)
    capex_sub_i = ap.capex_sub_i * spend_i
    # sums over the (few) firms that started a project
    rows = np.flatnonzero(started_i > 0)
    sec_inv, prov_inv = f.sector[rows], f.province[rows]
    S = yr.S
    flows = InvestmentFlows(
        spending=sum_by(sec_inv, spend_i[rows], S),
        capex_subsidy=sum_by(sec_inv, capex_sub_i[rows], S),
        equity_in=np.zeros(S),
        entries=np.zeros(S),
        started=sum_by(sec_inv, started_i[rows], S),
        province_subsidy=sum_by(prov_inv, capex_sub_i[rows], yr.P),
    )
    left = None if quota is None else np.maximum(quota - flows.started, 0.0)
    return Wave(expect=exp, flows=flows, quota_left_s=left)
