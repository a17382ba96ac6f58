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
    return_ratio,
    stochastic_lag,
)
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


@dataclass(frozen=True)
class Entry:
    """The year's entry (phase f)."""

    rows: np.ndarray  # the entrants' rows in the firm arrays
    flows: InvestmentFlows  # entrants' investment
    total: InvestmentFlows  # the year's investment: incumbents' expansion plus entry


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
    )
    return q_priv, q_soe


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
    lambda = w_p share_o (epsilon (q_{p,s,o} - 1)^+ D^e_s + g h(q_{p,s,o}) G_s) approvals / size_s,
    G_s the perceived capacity gap in units (entrants also plan to fill it); entry rises
    linearly with the excess return, so entry subsidies raise it (Barwick et al. 2025).

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
        return (
            inv.entry_rate * np.maximum(q - 1.0, 0.0) * demand_e[None, :]
            + inv.entry_gap_share * excess_response(q) * gap_cap[None, :]
        )

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
    zi = z[prov, sec]
    gross = size * yr.capex_s[sec]
    net = gross * (1.0 - zi * sc.provinces.max_capex_subsidy)
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


def enter(st: State, yr: Year, pol: Policy, inv: Wave, rng: np.random.Generator) -> Entry:
    """Phase f: entrants are drawn (:func:`entrants`), created (:func:`new_firms`) and
    put into the firm arrays (``Firms.add``: dead rows first); each gets its interest
    rate for the year. Returns the entrants' flows and the year's investment totals."""
    f, prov, sc = st.firms, st.provinces, yr.sc
    S, z = yr.S, prov.intensity
    q_priv, q_soe = entrant_returns(yr, pol, z, inv.expect)
    draw = entrants(inv.expect, q_priv, q_soe, prov.weight, pol.approval_s, yr.const, sc, rng)
    e = bounded(draw, int(np.count_nonzero(f.alive)), sc)
    if len(e.province) == 0:
        none = np.zeros(0, dtype=np.intp)
        return Entry(rows=none, flows=_no_flows(S, yr.P), total=inv.flows)
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
    z_new = z[f.province[rows], f.sector[rows]]
    f.rate[rows] = interest_rates(
        f.soe[rows], z_new, f.bailed_out[rows], sc, pol.instruments.credit_spread
    )
    return Entry(rows=rows, flows=flows, total=inv.flows.plus(flows))


def _no_flows(S: int, P: int) -> InvestmentFlows:
    z = np.zeros
    return InvestmentFlows(z(S), z(S), z(S), z(S), z(S), province_subsidy=z(P))
