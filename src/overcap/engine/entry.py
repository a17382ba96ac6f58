"""Entry (phase f): new firms, drawn from the return of a prototypical entrant per
province, sector and ownership, each a plant under construction financed by the
province's capex subsidy, its founders' equity and a loan.

Anchors: Lin, Wu and Xing (2010) for the wave (entrants plan to fill the same gap as
incumbents); Barwick, Kalouptsidi and Zahur (2025) for subsidised entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from overcap.engine.centre import Policy
from overcap.engine.investment import (
    Expectations,
    InvestmentFlows,
    Wave,
    excess_response,
    interest_rates,
    replacement_scale,
    return_ratio,
    stochastic_lag,
)
from overcap.engine.provinces import Aid
from overcap.engine.state import F8, Firms, SectorConst, State, sum_by, within_budget
from overcap.engine.terms import Year
from overcap.scenario import Scenario


@dataclass(frozen=True)
class Draw:
    """The year's draw of entrants: how many plants enter in each province and sector,
    private and state-owned, and the plant size of each sector."""

    n_private: np.ndarray  # (P, S)
    n_soe: np.ndarray  # (P, S)
    size_s: F8  # plant size, units/yr


@dataclass(frozen=True)
class Entrants:
    """The entrants of this year, one agent each (a plant, or several: :func:`bounded`)."""

    province: np.ndarray
    sector: np.ndarray
    soe: np.ndarray  # bool
    size: F8  # plant size, units/yr
    capex_share: F8 | None = None  # share of capex the province pays (None: z s_k)


@dataclass(frozen=True)
class Entry:
    """The year's entry (phase f)."""

    rows: np.ndarray  # the entrants' rows in the firm arrays
    flows: InvestmentFlows  # entrants' investment (sponsored projects included)
    total: InvestmentFlows  # the year's investment: incumbents' expansion plus entry
    race_spending_p: F8  # (P,) provinces' share of the capex of the projects they sponsored
    race_spending_s: F8  # (S,) the same by sector
    race_started_s: F8  # (S,) capacity of the sponsored projects, units/yr


def entrant_returns(yr: Year, pol: Policy, z: F8, exp: Expectations) -> tuple[F8, F8]:
    """q of a prototypical private and state-owned entrant in each province and sector
    (arrays (P, S)): the sector's unit cost lowered by the entrants' cost advantage
    (state-owned: raised by their cost premium), the province's subsidies at intensity
    z_ps, and the entrant's interest rate (:func:`investment.interest_rates` for a firm
    that has not been bailed out)."""
    sc, tech = yr.sc, yr.const
    c, pv, inv = sc.credit, sc.provinces, sc.investment
    base_rate = c.market_rate + pol.instruments.credit_spread
    if sc.switches.soft_budget:
        r_priv = base_rate + c.private_premium - pv.credit_subsidy_spread * z
        r_soe = base_rate - c.soe_discount - pv.credit_subsidy_spread * z
        prem_soe = 0.0
    else:
        r_priv = base_rate + c.private_premium + 0.0 * z
        r_soe = r_priv
        prem_soe = inv.private_risk_premium
    vc_ent = yr.vc_s * (1.0 - inv.entrant_cost_advantage)
    os_ent = z * pv.max_operating_subsidy * yr.p_norm[None, :]
    capex_ent = yr.capex_s[None, :] * (1.0 - z * pv.max_capex_subsidy)
    u_e, p_e = exp.utilisation_s[None, :], exp.price_s[None, :]
    om, life = yr.om_s[None, :], tech.plant_life[None, :]
    wc = yr.wc_s[None, :]
    q_priv = return_ratio(
        u_e,
        p_e,
        vc_ent[None, :],
        os_ent,
        om,
        capex_ent,
        np.maximum(r_priv, 0.005),
        inv.private_risk_premium,
        life,
        wc=wc,
        r_market=c.market_rate,
    )
    q_soe = return_ratio(
        u_e,
        p_e,
        vc_ent[None, :] * (1 + sc.population.soe_cost_premium),
        os_ent,
        om,
        capex_ent,
        np.maximum(r_soe, 0.005),
        prem_soe,
        life,
        inv.soft_budget_cover if sc.switches.soft_budget else 0.0,
        inv.price_uncertainty,
        wc,
        c.market_rate,
    )
    return q_priv, q_soe


def saturated(rate: F8, demand_e: F8, s: float) -> F8:
    """R / (1 + s R / D^e): entrants' capacity a year, bounded by D^e / s, a finite pool
    of potential entrants (Barwick, Kalouptsidi and Zahur 2025); near R = 0 it is R, and
    at s = 0 R itself (no bound)."""
    if s <= 0.0:
        return rate
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        share = np.where(demand_e > 0, rate / demand_e, 0.0)
        # an infinite share (a subnormal expected demand) makes inf / inf: NaN, which the
        # draw reads as no entrant (entrants: np.nan_to_num)
        return rate / (1.0 + s * share)


def entrants(
    exp: Expectations,
    q_private: F8,
    q_soe: F8,
    weight: F8,
    approval: F8,
    const: SectorConst,
    sc: Scenario,
    rng: np.random.Generator,
) -> Draw:
    """Entrants by province and sector: n_{p,s,o} ~ Poisson(lambda), with
    lambda = w_p share_o sat(epsilon ln(q_{p,s,o})^+ D^e_s + g h(q_{p,s,o}) G_s) approvals / size_s,
    G_s the perceived capacity gap in units (entrants also plan to fill it), sat the
    saturation at a finite pool of potential entrants (:func:`saturated`); entry rises
    with the excess return, so entry subsidies raise it (Barwick et al. 2025): as the
    excess return q - 1 near q = 1, at a falling rate above (Barnett and Sakellaris 1998).

    Entry is in proportion to attractiveness q (which carries the province's capex and
    operating subsidies and cheap credit) and the province's economic weight."""
    inv = sc.investment
    if not sc.switches.entry:
        none = np.zeros((len(weight), len(approval)), dtype=np.int64)
        return Draw(none, none, np.ones(len(approval)))
    demand_e, gap_cap = exp.demand_s, exp.gap_capacity_s
    soe_p = np.clip(inv.entrant_soe_share * const.soe_share, 0.0, 1.0)
    size = np.minimum(const.plant_size, np.maximum(0.05 * demand_e, 1e-9))
    base = weight[:, None] * approval[None, :] / size[None, :]

    def rate(q: F8) -> F8:
        r = (
            inv.entry_rate * np.log(np.maximum(q, 1.0)) * demand_e[None, :]
            + inv.entry_gap_share * excess_response(q) * gap_cap[None, :]
        )
        return saturated(r, demand_e[None, :], inv.entry_saturation)

    lam_p = base * (1.0 - soe_p)[None, :] * rate(q_private)
    lam_s = base * soe_p[None, :] * rate(q_soe)
    n_p = rng.poisson(np.nan_to_num(lam_p))
    n_s = rng.poisson(np.nan_to_num(lam_s))
    return Draw(n_private=n_p, n_soe=n_s, size_s=size)


def bounded(d: Draw, alive: int, sc: Scenario) -> Entrants:
    """The drawn entrants as agents, within the bound on firm agents
    N_max = max_firms_ratio * firms_start (super-individuals: Scheffer et al. 1995).
    While alive + n <= N_max, every plant drawn is an agent of its own. Beyond it, with
    room R = max(N_max - alive, 1) and m = ceil(n / R), the n_g plants of each province,
    sector and ownership g become ceil(n_g / m) agents of n_g / ceil(n_g / m) plants each:
    the same capacity in fewer agents. Each year adds at most R plus the number of such
    groups (2 P S), so the population stays below N_max + 2 P S T over T years, and no
    array of entrants is larger than that. No random draw: runs under the bound are
    unchanged."""
    P, S = d.n_private.shape
    counts = np.concatenate([d.n_private.ravel(), d.n_soe.ravel()])
    n = int(counts.sum())
    cap = int(sc.population.max_firms_ratio * sc.population.firms_start)
    merge = n > 0 and alive + n > cap
    agents = -(-counts // -(-n // max(cap - alive, 1))) if merge else counts
    cells = np.arange(P * S)
    cell = np.repeat(np.concatenate([cells, cells]), agents)
    is_soe = np.repeat(np.r_[np.zeros(P * S, bool), np.ones(P * S, bool)], agents)
    sec = cell % S
    size = d.size_s[sec]
    if merge:  # plants per agent
        size = size * np.repeat(counts / np.maximum(agents, 1), agents)
    return Entrants(province=cell // S, sector=sec, soe=is_soe, size=size)


def new_firms(e: Entrants, yr: Year, z: F8, protection: F8, rng: np.random.Generator) -> Firms:
    """Entrants: a plant under construction, financed by the province's capex subsidy,
    the founders' equity and a loan; private entrants may be protected locally."""
    sc, tech = yr.sc, yr.const
    prov, sec, soe, size = e.province, e.sector, e.soe, e.size
    n = len(prov)
    nf = Firms.empty(n)
    nf.sector[:] = sec
    nf.province[:] = prov
    nf.soe[:] = soe
    nf.protected[:] = (~soe) & (rng.random(n) < protection[prov]) & sc.switches.local_protection
    nf.alive[:] = True
    share = (
        z[prov, sec] * sc.provinces.max_capex_subsidy if e.capex_share is None else e.capex_share
    )
    gross = size * yr.capex_s[sec]
    net = gross * (1.0 - share)
    nf.building[:] = size
    nf.building_cost[:] = net
    nf.equity[:] = sc.investment.entrant_equity_share * net
    nf.debt[:] = net - nf.equity
    nf.debt_start[:] = nf.debt
    lags = stochastic_lag(tech.build_lag[sec], n, rng)
    nf.complete_year[:] = yr.year + np.maximum(lags, 1)
    sigma = sc.population.cost_sigma
    eff = np.exp(sigma * rng.standard_normal(n) - 0.5 * sigma**2)
    nf.cost_eff[:] = (
        eff
        * (1.0 - sc.investment.entrant_cost_advantage)
        * (1.0 + sc.population.soe_cost_premium * soe)
    )
    return nf


def sponsored(race_ps: F8, share_ps: F8, min_size: F8) -> Entrants:
    """The projects the provinces sponsor in the race (provinces.race): one state-owned
    plant per province and sector of the capacity it sponsors, where that is at least
    ``min_size`` of the sector (smaller projects are not started), its capex paid in the
    deal's share. Sponsored plants are new firms: none with ``switches.entry`` off."""
    P, S = race_ps.shape
    prov, sec = np.nonzero(race_ps >= min_size[None, :])
    prov, sec = prov.astype(np.intp), sec.astype(np.intp)
    return Entrants(
        province=prov,
        sector=sec,
        soe=np.ones(len(prov), dtype=bool),
        size=race_ps[prov, sec],
        capex_share=share_ps[prov, sec],
    )


def _join(a: Entrants, b: Entrants, z: F8, s_k: float) -> Entrants:
    """Market entrants followed by sponsored ones, each with its capex share."""
    share_a = z[a.province, a.sector] * s_k if a.capex_share is None else a.capex_share
    share_b = z[b.province, b.sector] * s_k if b.capex_share is None else b.capex_share
    return Entrants(
        province=np.concatenate([a.province, b.province]).astype(np.intp),
        sector=np.concatenate([a.sector, b.sector]).astype(np.intp),
        soe=np.concatenate([a.soe, b.soe]),
        size=np.concatenate([a.size, b.size]),
        capex_share=np.concatenate([share_a, share_b]),
    )


def replaced(
    e: Entrants, n_race: int, quota: F8, compliance: float, rng: np.random.Generator
) -> tuple[Entrants, int]:
    """Entrants under a capacity-replacement rule: of each sector's projects, taken in a
    random order, those that fit within the share :func:`~overcap.engine.investment.
    replacement_scale` of their total size go ahead, for the capacity incumbents left of
    the quota (plants are built whole, so the rule drops projects instead of shrinking
    them). Returns them and how many of the last ``n_race`` (the sponsored projects)
    remain."""
    S = len(quota)
    total = sum_by(e.sector, e.size, S)
    allowed = replacement_scale(total, quota, compliance) * total
    order = np.lexsort((rng.random(len(e.size)), e.sector))  # by sector, then at random
    size = e.size[order]
    cum = np.cumsum(size)
    # running total within each sector: subtract what the earlier sectors summed to
    start = np.concatenate([[0.0], np.cumsum(total)[:-1]])
    within = cum - start[e.sector[order]]
    keep = np.zeros(len(size), dtype=bool)
    keep[order] = within <= allowed[e.sector[order]] * (1.0 + 1e-12)
    share = None if e.capex_share is None else e.capex_share[keep]
    kept = Entrants(e.province[keep], e.sector[keep], e.soe[keep], e.size[keep], share)
    return kept, int(np.count_nonzero(keep[len(keep) - n_race :])) if n_race else 0


def enter(st: State, yr: Year, pol: Policy, aid: Aid, inv: Wave, rng: np.random.Generator) -> Entry:
    """Phase f: entrants are drawn (:func:`entrants`), the provinces' sponsored projects
    added (:func:`sponsored`), all created (:func:`new_firms`) and put into the firm arrays
    (``Firms.add``: dead rows first); each gets its interest rate for the year. Returns
    the entrants' flows, the race's spending and the year's investment totals."""
    f, prov, sc = st.firms, st.provinces, yr.sc
    S, P, z = yr.S, yr.P, prov.intensity
    q_priv, q_soe = entrant_returns(yr, pol, z, inv.expect)
    draw = entrants(inv.expect, q_priv, q_soe, prov.weight, pol.approval_s, yr.const, sc, rng)
    e = bounded(draw, int(np.count_nonzero(f.alive)), sc)
    min_size = 1e-6 * np.maximum(inv.expect.demand_s, 1e-12)
    race = sponsored(aid.race_ps * sc.switches.entry, aid.race_share_ps, min_size)
    n_race = len(race.province)
    if n_race:
        e = _join(e, race, z, sc.provinces.max_capex_subsidy)
    if inv.quota_left_s is not None and len(e.province):
        e, n_race = replaced(e, n_race, inv.quota_left_s, sc.centre.replacement_compliance, rng)
    if len(e.province) == 0:
        none = np.zeros(0, dtype=np.intp)
        zs, zp = np.zeros(S), np.zeros(P)
        return Entry(
            rows=none,
            flows=_no_flows(S, P),
            total=inv.flows,
            race_spending_p=zp,
            race_spending_s=zs,
            race_started_s=zs.copy(),
        )
    new = new_firms(e, yr, z, prov.protection, rng)
    gross = e.size * yr.capex_s[e.sector]
    sub = gross - new.building_cost
    flows = InvestmentFlows(
        spending=sum_by(e.sector, gross, S),
        capex_subsidy=sum_by(e.sector, sub, S),
        equity_in=sum_by(e.sector, new.equity, S),
        entries=np.bincount(e.sector, minlength=S).astype(float),
        started=sum_by(e.sector, e.size, S),
        province_subsidy=sum_by(e.province, sub, yr.P),
    )
    rows = f.add(new)
    within_budget(f, sc, yr.year)
    f.vintage[rows] = np.log(st.sectors.learning)[f.sector[rows]]  # the frontier
    z_new = z[f.province[rows], f.sector[rows]]
    f.rate[rows] = interest_rates(
        f.soe[rows], z_new, f.bailed_out[rows], sc, pol.instruments.credit_spread
    )
    # the sponsored projects are the last n_race entrants
    k = len(e.province) - n_race
    r_prov, r_sec, r_sub = e.province[k:], e.sector[k:], sub[k:]
    return Entry(
        rows=rows,
        flows=flows,
        total=inv.flows.plus(flows),
        race_spending_p=sum_by(r_prov, r_sub, P),
        race_spending_s=sum_by(r_sec, r_sub, S),
        race_started_s=sum_by(r_sec, e.size[k:], S),
    )


def _no_flows(S: int, P: int) -> InvestmentFlows:
    z = np.zeros
    return InvestmentFlows(z(S), z(S), z(S), z(S), z(S), province_subsidy=z(P))
