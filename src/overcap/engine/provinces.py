"""Provinces: the promotion tournament, subsidy intensities, the race to host strategic
projects, the fiscal limit, promotions.

Anchors: Li and Zhou (2005, J. Public Econ.) and Zhou (2007) for the tournament;
Jiang Feitao et al. (2012) for local subsidies that externalise cost and risk; Barwick,
Kalouptsidi and Zahur (2025) for subsidised entry, the most wasteful instrument.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from overcap.engine.centre import Policy
from overcap.engine.state import F8, ProvinceState, State
from overcap.engine.terms import Year
from overcap.scenario import ProvinceParams, Switches

if TYPE_CHECKING:
    from overcap.engine.accounts import Books
    from overcap.engine.entry import Entry
    from overcap.engine.exits import Exits


def _logistic(x: F8) -> F8:
    return 1.0 / (1.0 + np.exp(-x))


def promotion_probability(rel_growth: F8, p: ProvinceParams) -> F8:
    """P_p = logistic(a + b * gbar_p), gbar_p the official's mean relative growth over the
    term (growth minus the peer mean, in peer standard deviations). Li and Zhou (2005)."""
    return _logistic(p.promotion_intercept + p.promotion_slope * rel_growth)


def tournament_incentive(
    rel_growth: F8, years_in_term: np.ndarray, p: ProvinceParams, on: bool
) -> F8:
    """I_p = 4 P_p (1 - P_p) * (1 + boost * 1[last year of term]).

    dP/dg = b P (1-P): the marginal promotion value of growth, largest for officials
    near the promotion margin; scaled so that I = 1 at P = 1/2, and stronger in the
    year before evaluation."""
    if not on:
        return np.zeros_like(rel_growth)
    prob = promotion_probability(rel_growth, p)
    near = (years_in_term >= p.term_length - 1).astype(float)
    return 4.0 * prob * (1.0 - prob) * (1.0 + p.evaluation_boost * near)


def subsidy_target(
    intensity: F8,
    strategic: np.ndarray,
    incentive: F8,
    prospect: F8,
    multiplier: float,
    p: ProvinceParams,
    sw: Switches,
) -> F8:
    """z*_{p,s} = clip(m z0 + w_a m A_s + w_h zbar_{-p,s} + w_t I_p R_s, 0, 1).

    A_s: the centre's strategic label, m: the centre's subsidy multiplier,
    zbar_{-p,s}: the other provinces' mean intensity last year (herding),
    I_p: the tournament incentive, R_s in [0, 1]: the sector's growth prospect."""
    n = intensity.shape[0]
    align = p.w_align * multiplier * strategic.astype(float)[None, :]
    if sw.herding and n > 1:
        others = (intensity.sum(axis=0, keepdims=True) - intensity) / (n - 1)
        herd = p.w_herd * others
    else:
        herd = np.zeros_like(intensity)
    tour = p.w_tournament * incentive[:, None] * prospect[None, :]
    return np.clip(p.subsidy_base * multiplier + align + herd + tour, 0.0, 1.0)


def set_subsidies(
    prov: ProvinceState,
    strategic: np.ndarray,
    prospect: F8,
    multiplier: float,
    p: ProvinceParams,
    sw: Switches,
    strength: float | None = None,
) -> F8:
    """Partial adjustment toward the target, within the fiscal limit:
    z_t = f_p * [z_{t-1} + lambda (s z* - z_{t-1})], s the strength of subsidies (1 with the
    switch on; the switch when not given); none at strength 0. While a reform phases
    subsidies out, the programmes' targets shrink with s. Returns the officials'
    tournament incentives I_p."""
    inc = tournament_incentive(_term_mean(prov), prov.years_in_term, p, sw.tournament)
    s = float(sw.subsidies) if strength is None else strength
    if s <= 0:
        prov.intensity[:] = 0.0
        return inc
    target = subsidy_target(prov.intensity, strategic, inc, prospect, multiplier, p, sw)
    if s < 1:
        target = s * target
    raw = prov.intensity + p.adjust_speed * (target - prov.intensity)
    prov.intensity[:] = np.clip(raw * prov.fiscal_scale[:, None], 0.0, 1.0)
    return inc


def _term_mean(prov: ProvinceState) -> F8:
    return prov.rel_growth_sum / np.maximum(prov.years_in_term, 1)


def fiscal_limit(prov: ProvinceState, subsidies: F8, rescues: F8, p: ProvinceParams) -> None:
    """Budget B_p = phi * GDP_p plus borrowing room max(0, d_max GDP_p - D_p). The year's
    spending (discretionary subsidies plus the province's part of rescues) above B_p adds
    to provincial debt (below it, repays). Rescues are committed; next year's subsidy
    intensities are scaled by what the budget and room leave for subsidies:
    f_p = min(1, (B_p + room_p - rescues_p)^+ / unscaled planned subsidies), 1 when none
    were planned."""
    spend = subsidies + rescues
    budget = p.fiscal_share * prov.gdp
    room = np.maximum(0.0, p.debt_limit * prov.gdp - prov.debt)
    prov.debt[:] = np.maximum(0.0, prov.debt + spend - budget)
    unscaled = subsidies / np.maximum(prov.fiscal_scale, 1e-6)
    left = np.maximum(budget + room - rescues, 0.0)
    prov.fiscal_scale[:] = np.where(
        unscaled > 0, np.minimum(1.0, left / np.maximum(unscaled, 1e-12)), 1.0
    )
    prov.spend_prev[:] = spend


def relative_growth(growth: F8) -> F8:
    """Growth in peer standard deviations from the peer mean."""
    sd = growth.std()
    return (growth - growth.mean()) / (sd if sd > 1e-12 else 1.0)


def growth_rank(growth: F8) -> np.ndarray:
    """Rank 1 = fastest growing province."""
    order = np.argsort(-growth, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(1, len(growth) + 1)
    return rank


def advance_terms(prov: ProvinceState, p: ProvinceParams, rng: np.random.Generator) -> np.ndarray:
    """Add this year's relative growth to each official's record; at term end the official
    is promoted with probability P_p (term-mean relative growth) and replaced."""
    prov.rel_growth_sum += relative_growth(prov.growth)
    prov.years_in_term += 1
    ending = prov.years_in_term >= p.term_length
    prob = promotion_probability(_term_mean(prov), p)
    promoted = ending & (rng.random(len(prob)) < prob)
    prov.years_in_term[ending] = 0
    prov.rel_growth_sum[ending] = 0.0
    return promoted


def race(
    incentive: F8,
    fiscal_scale: F8,
    gdp: F8,
    strategic: np.ndarray,
    approval: F8,
    market: F8,
    capex: F8,
    deal_share: F8,
    p: ProvinceParams,
) -> tuple[F8, F8]:
    """The race to host projects in strategic sectors, arrays (P, S):
    K_{p,s} = psi I_p f_p A_s a_s D_s / P, spending X_{p,s} = c_{p,s} k_s K_{p,s}, both
    scaled down in a province where sum_s X_{p,s} > b GDP_p.

    Every province wants its share of every strategic sector ("every province wants AI,
    computing power and new-energy cars"), whatever its size and whether or not demand
    leaves a gap: each sponsors projects (land, capital injections through local state
    firms and LGFVs, guarantees) in proportion to its official's tournament incentive I_p
    and its fiscal room f_p (Zhou 2007; Jiang et al. 2012), D_s the sector's market last
    year, a_s the centre's approvals, c_{p,s} the share of the capex the province pays and
    k_s the capex per unit. Bounded: a province spends at most the share b of its GDP."""
    P = len(incentive)
    want = (
        p.race_rate
        * (incentive * fiscal_scale)[:, None]
        * (strategic.astype(float) * approval * market)[None, :]
        / P
    )
    spend = deal_share * capex[None, :] * want
    cap = p.race_max_share * gdp
    total = spend.sum(axis=1)
    scale = np.where(total > cap, cap / np.maximum(total, 1e-12), 1.0)[:, None]
    return want * scale, spend * scale


@dataclass(frozen=True)
class Aid:
    """The provinces' decisions for the year (phase c); the intensities themselves carry
    over in the state (``ProvinceState.intensity``)."""

    incentive_p: F8  # the officials' tournament incentives I_p
    prospect_s: F8  # the sectors' growth prospects R_s in [0, 1]
    race_ps: F8  # (P, S) capacity each province sponsors in strategic sectors, units/yr
    race_share_ps: F8  # (P, S) share of a sponsored project's capex the province pays


def deal_share(intensity: F8, p: ProvinceParams) -> F8:
    """c_{p,s} = max(theta, z_{p,s} s_k): a sponsored project gets the race's deal or the
    province's ordinary capex subsidy, whichever is larger."""
    return np.maximum(p.race_capex_share, intensity * p.max_capex_subsidy)


def subsidise(st: State, yr: Year, pol: Policy) -> Aid:
    """Phase c: R_s = clip(g_s / growth_clip, 0, 1) from the consensus growth, then
    :func:`set_subsidies` with the centre's strategic labels and subsidy multiplier, at the
    strength of subsidies this year, then the race to host strategic projects (:func:`race`;
    none with ``switches.strategic_race`` or ``switches.subsidies`` off), on last year's
    market at the normal price."""
    sc, ins, prov = yr.sc, pol.instruments, st.provinces
    prospect = np.clip(st.sectors.consensus_growth / sc.investment.growth_clip, 0.0, 1.0)
    incentive = set_subsidies(
        prov,
        ins.strategic,
        prospect,
        ins.subsidy_multiplier,
        sc.provinces,
        sc.switches,
        yr.strength.subsidies,
    )
    share = deal_share(prov.intensity, sc.provinces)
    if sc.switches.strategic_race and sc.switches.subsidies:
        sponsored, _ = race(
            incentive,
            prov.fiscal_scale,
            prov.gdp,
            ins.strategic,
            pol.approval_s,
            st.sectors.demand_prev,
            yr.capex_s,
            share,
            sc.provinces,
        )
    else:
        sponsored = np.zeros_like(prov.intensity)
    return Aid(incentive_p=incentive, prospect_s=prospect, race_ps=sponsored, race_share_ps=share)


@dataclass(frozen=True)
class Officials:
    """The provinces' end of the year (phase k)."""

    spending_p: F8  # subsidies (capex, operating) and the province's part of rescues
    promoted_p: np.ndarray  # officials promoted at the end of their term (bool)


def close_year(
    st: State, yr: Year, ent: Entry, bks: Books, xf: Exits, rng: np.random.Generator
) -> Officials:
    """Phase k, provinces: the year's spending against the budget (:func:`fiscal_limit`),
    then the officials' records and promotions (:func:`advance_terms`)."""
    prov, p = st.provinces, yr.sc.provinces
    subsidies = ent.total.province_subsidy + bks.op_sub_p
    fiscal_limit(prov, subsidies, xf.flows.province_bailout, p)
    promoted = advance_terms(prov, p, rng)
    return Officials(spending_p=prov.spend_prev.copy(), promoted_p=promoted)
