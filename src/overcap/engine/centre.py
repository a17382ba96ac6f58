"""The centre: the policy cycle, its instruments, campaigns and price rules.

一放就亂，一亂就管，一管就死，一死就放: loosen -> chaos -> control -> stagnation -> loosen.
The regime moves on last year's indicators; each regime sets the instruments (subsidy
multiplier, credit stance, approvals, campaign intensity, price floor, stimulus).
Scripted regime events override the machine in their years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from overcap.engine.events import sector_mask
from overcap.engine.state import F8, Firms, Instruments, State
from overcap.engine.terms import Year
from overcap.scenario import REGIMES, RegimeInstruments, Scenario

LOOSEN, CHAOS, CONTROL, STAGNATION = range(4)
NONE = -1  # the cycle switched off: neutral instruments


@dataclass
class CentreState:
    regime: int
    years_in_regime: int
    scripted: bool = False


@dataclass
class Signals:
    """Last year's indicators the centre reads."""

    utilisation: float
    ppi_change: float
    zombie_share: float
    growth: float
    target: float


def disorder(sig: Signals, sc: Scenario) -> bool:
    """Overcapacity, deflation or zombies beyond their thresholds (the 亂 signal)."""
    c = sc.centre
    return (
        sig.utilisation < c.chaos_utilisation
        or sig.ppi_change < c.chaos_ppi
        or sig.zombie_share > c.chaos_zombie_share
    )


def next_regime(state: CentreState, sig: Signals, sc: Scenario) -> int:
    """One step of the cycle; only the next regime in the cycle can follow.

    loosen -> chaos      when disorder(sig) (overcapacity, deflation or zombies);
    chaos -> control     when chaos has lasted the reaction lag;
    control -> stagnation when growth < target - margin, or the campaign has run its
                          maximum length;
    stagnation -> loosen when stagnation has lasted its lag."""
    c = sc.centre
    r, n = state.regime, state.years_in_regime
    if r == LOOSEN and disorder(sig, sc):
        return CHAOS
    if r == CHAOS and n >= c.reaction_lag:
        return CONTROL
    if r == CONTROL and (sig.growth < sig.target - c.stagnation_margin or n >= c.control_max_years):
        return STAGNATION
    if r == STAGNATION and n >= c.stagnation_lag:
        return LOOSEN
    return r


def move(state: CentreState, sig: Signals, sc: Scenario, forced: str | None) -> None:
    """Advance the regime for the year: ``forced`` if a regime event covers the year
    (terms.Script.regime), else the machine. After a scripted spell the machine resumes
    from the scripted regime; the years spent in it, scripted ones included, count toward
    its lags."""
    if not sc.switches.policy_cycle:
        state.regime, state.years_in_regime, state.scripted = NONE, 0, False
        return
    if forced is not None:
        new = REGIMES.index(forced)
        scripted = True
    else:
        new = next_regime(state, sig, sc)
        scripted = False
    state.years_in_regime = state.years_in_regime + 1 if new == state.regime else 1
    state.regime, state.scripted = new, scripted


def regime_name(regime: int) -> str:
    return "none" if regime == NONE else REGIMES[regime]


def regime_instruments(regime: int, sc: Scenario) -> RegimeInstruments:
    if regime == NONE:
        return RegimeInstruments()
    out: RegimeInstruments = getattr(sc.centre, REGIMES[regime])
    return out


def instruments(state: CentreState, yr: Year, unit_cost_prev: F8) -> Instruments:
    """This year's instruments: the regime's settings plus the year's script (stimulus,
    campaigns, price floors). Switches turn each instrument off."""
    sc, sw, scr = yr.sc, yr.sc.switches, yr.script
    ri = regime_instruments(state.regime, sc)
    S = yr.S
    construction = sector_mask(sc.centre.construction_sectors, yr.sectors)
    stimulus = np.where(construction, ri.stimulus_demand, 0.0)
    for extra in scr.stimulus_s:
        stimulus = stimulus + extra
    if not sw.stimulus:
        stimulus = np.zeros(S)
    campaign = np.maximum(np.full(S, ri.campaign_intensity), scr.campaign_s)
    if not sw.campaigns:
        campaign = np.zeros(S)
    floor_share = np.maximum(np.full(S, ri.price_floor), scr.floor_s)
    if not sw.price_rules:
        floor_share = np.zeros(S)
    return Instruments(
        subsidy_multiplier=ri.subsidy_multiplier,
        credit_spread=ri.credit_spread,
        entry_approval=ri.entry_approval,
        stimulus_demand=stimulus,
        price_floor=floor_share * unit_cost_prev,
        floor_evasion=scr.evasion_s,
        campaign_intensity=campaign,
        strategic=yr.strategic,
        plan_growth=yr.plan_growth,
    )


@dataclass(frozen=True)
class CampaignResult:
    reported: F8  # (S,) capacity the campaign reports retired
    real: F8  # (S,) capacity actually retired
    compensation: F8  # (S,) paid by the state, US$ m
    firm_extra: F8  # (N,) compensation minus capital written off, to profit

    def firm_item(self, n: int) -> F8:
        """The extraordinary item of each of ``n`` firms: entrants came after the
        campaign, so appended rows get nothing, and rows they reuse were dead (no
        capacity) when the campaign ran, so their item is zero."""
        extra = np.zeros(n)
        extra[: len(self.firm_extra)] = self.firm_extra
        return extra


def campaign(
    f: Firms, intensity: F8, utilisation_prev: F8, sc: Scenario, n_sectors: int
) -> CampaignResult:
    """Capacity cuts, highest-cost first (step 8).

    In a targeted sector (utilisation below the goal u*) the centre orders a cut
    C_s = k_s max(0, u* - u_s) K_s: the size follows from the rule, never a tonnage.
    A share c (compliance) is real; the rest is on paper. The real cut retires the
    highest-cost capacity first: whole firms above a cost threshold, part of the
    marginal bin. The state compensates a share of the book value of what is retired;
    the rest of that book value is written off (an extraordinary loss)."""
    S = n_sectors
    N = len(f)
    c = sc.centre
    if not np.any(intensity > 0):
        z = np.zeros(S)
        return CampaignResult(z, z.copy(), z.copy(), np.zeros(N))
    cap_s = np.bincount(f.sector, weights=f.capacity, minlength=S)
    gap = np.maximum(c.campaign_goal - utilisation_prev, 0.0)
    reported = np.minimum(intensity * gap * cap_s, cap_s)
    real = c.campaign_compliance * reported
    if not np.any(real > 0):
        z = np.zeros(S)
        return CampaignResult(z, z.copy(), z.copy(), np.zeros(N))
    # highest cost first: bin the unit-cost multiplier within each sector, fill from the top
    n_bins = 1024
    lo, hi = float(f.cost_eff.min()), float(f.cost_eff.max()) + 1e-12
    b = np.clip(((f.cost_eff - lo) / (hi - lo) * n_bins).astype(np.intp), 0, n_bins - 1)
    rev = n_bins - 1 - b  # bin 0 = most expensive
    idx = f.sector * n_bins + rev
    table = np.bincount(idx, weights=f.capacity, minlength=S * n_bins).reshape(S, n_bins)
    cum = np.zeros((S, n_bins + 1))
    np.cumsum(table, axis=1, out=cum[:, 1:])
    m = np.array([np.searchsorted(cum[s, 1:], real[s], side="left") for s in range(S)])
    m = np.minimum(m, n_bins - 1)
    rows = np.arange(S)
    h = table[rows, m]
    theta = np.where(h > 0, np.clip((real - cum[rows, m]) / np.where(h > 0, h, 1.0), 0, 1), 0)
    mb = m[f.sector]
    share = np.where(rev < mb, 1.0, np.where(rev == mb, theta[f.sector], 0.0))
    share = np.where(real[f.sector] > 0, share, 0.0)
    retired = share * f.capacity
    written_off = share * f.capital
    comp = c.campaign_compensation * written_off
    f.capacity -= retired
    f.capital -= written_off
    f.debt -= comp
    return CampaignResult(
        reported=reported,
        real=np.bincount(f.sector, weights=retired, minlength=S),
        compensation=np.bincount(f.sector, weights=comp, minlength=S),
        firm_extra=comp - written_off,
    )


@dataclass(frozen=True)
class Policy:
    """The centre's decisions for the year (phase b): the regime, the instruments, the
    campaign's cuts and the approvals of new capacity."""

    regime: int
    scripted: bool  # the regime was forced by a scripted event
    instruments: Instruments
    campaign: CampaignResult
    approval_s: F8  # approvals of new capacity, held back where the campaign cuts
    stability: float  # the regime's stability concern (added to the bailout logit)


def set_policy(st: State, yr: Year) -> Policy:
    """Phase b: the centre reads last year's indicators, moves the policy cycle, sets this
    year's instruments, and the campaign it orders retires capacity now (MODEL.md step 8),
    from last year's utilisation, before firms decide anything. No new capacity is
    approved where the campaign cuts, beyond the share ``centre.campaign_approval``."""
    sc, eco, sec = yr.sc, st.economy, st.sectors
    signals = Signals(
        utilisation=eco.utilisation,
        ppi_change=eco.ppi_change,
        zombie_share=eco.zombie_share,
        growth=eco.growth,
        target=yr.target_prev,
    )
    move(st.centre, signals, sc, yr.script.regime)
    ins = instruments(st.centre, yr, sec.unit_cost_prev)
    camp = campaign(st.firms, ins.campaign_intensity, sec.util_prev, sc, yr.S)
    approval = ins.entry_approval * np.where(camp.reported > 0, sc.centre.campaign_approval, 1.0)
    return Policy(
        regime=st.centre.regime,
        scripted=st.centre.scripted,
        instruments=ins,
        campaign=camp,
        approval_s=approval,
        stability=regime_instruments(st.centre.regime, sc).stability_concern,
    )
