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
from overcap.engine.state import F8, Firms, Instruments, State, sum_by
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


def campaign_targets(
    util_prev: F8, goal: float, strategic: np.ndarray, reach: np.ndarray | None = None
) -> np.ndarray:
    """The sectors the regime's campaign targets: utilisation below the goal u* last year,
    not strategic this year, and within the campaigns' reach (``reach``, the sectors of
    ``centre.campaign_sectors``; all when None). The centre cuts the traditional sectors
    it finds in surplus, not those it promotes: the State Council's 2013 Guidance on
    severe overcapacity (No. 41) named steel, cement, electrolytic aluminium, flat glass
    and shipbuilding; the 2016 Opinions (No. 6 and 7) steel and coal; while solar,
    batteries and new-energy vehicles, strategic emerging industries from 2010 (State
    Council Decision, October 2010), had entry standards and demand support instead. No
    campaign named television sets or refrigerators, whose makers fought price wars
    instead. Scripted campaigns and restrictions (events) apply to the sectors they name,
    strategic or not (the 2024-25 anti-involution rules)."""
    out = (util_prev < goal) & ~strategic
    if reach is not None:
        out &= reach
    return np.asarray(out)


def output_caps(ri_cap: float, scripted: F8, targets: np.ndarray, on: bool) -> F8:
    """cap_s = min(scripted_s, the regime's cap in the sectors the campaign targets): the
    utilisation cap of production restrictions (1 = none). The regime's cap falls on the
    sectors a campaign targets (``targets``, :func:`campaign_targets`); scripted caps on
    the sectors they name. The ``output_caps`` switch turns both off."""
    if not on:
        return np.ones_like(scripted)
    return np.minimum(np.where(targets, ri_cap, 1.0), scripted)


def instruments(state: CentreState, yr: Year, unit_cost_prev: F8, util_prev: F8) -> Instruments:
    """This year's instruments: the regime's settings plus the year's script (stimulus,
    campaigns, production restrictions, price floors). Switches turn each instrument
    off."""
    sc, sw, scr = yr.sc, yr.sc.switches, yr.script
    ri = regime_instruments(state.regime, sc)
    S = yr.S
    construction = sector_mask(sc.centre.construction_sectors, yr.sectors)
    stimulus = np.where(construction, ri.stimulus_demand, 0.0)
    for extra in scr.stimulus_s:
        stimulus = stimulus + extra
    if not sw.stimulus:
        stimulus = np.zeros(S)
    reach = sector_mask(sc.centre.campaign_sectors, yr.sectors)
    targets = campaign_targets(util_prev, sc.centre.campaign_goal, yr.strategic, reach)
    campaign = np.maximum(np.where(targets, ri.campaign_intensity, 0.0), scr.campaign_s)
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
        output_cap=output_caps(ri.output_cap, scr.output_cap_s, targets, sw.output_caps),
        plan_growth=yr.plan_growth,
    )


@dataclass(frozen=True)
class CampaignResult:
    reported: F8  # (S,) capacity the campaign reports retired
    real: F8  # (S,) capacity actually retired
    compensation: F8  # (S,) paid by the state, US$ m
    firm_extra: F8  # (N,) compensation minus capital written off, to profit
    plan: F8  # (S,) the running campaign's reported cut a year (0 where none)

    def firm_item(self, n: int) -> F8:
        """The extraordinary item of each of ``n`` firms: entrants came after the
        campaign, so appended rows get nothing, and rows they reuse were dead (no
        capacity) when the campaign ran, so their item is zero."""
        extra = np.zeros(n)
        extra[: len(self.firm_extra)] = self.firm_extra
        return extra


def fill_from_top(cost_eff: F8, sector: np.ndarray, weight: F8, target: F8, n_sectors: int) -> F8:
    """The share of each firm's ``weight`` (capacity) retired when each sector retires
    ``target`` of it, highest cost first: firms are binned by their unit-cost multiplier
    (1024 bins over all firms' range), whole bins are taken from the top and a share of
    the marginal bin. Firms with no weight get 0."""
    S, n_bins = n_sectors, 1024
    lo, hi = float(cost_eff.min()), float(cost_eff.max()) + 1e-12
    b = np.clip(((cost_eff - lo) / (hi - lo) * n_bins).astype(np.intp), 0, n_bins - 1)
    rev = n_bins - 1 - b  # bin 0 = most expensive
    idx = sector * n_bins + rev
    table = sum_by(idx, weight, S * n_bins).reshape(S, n_bins)
    cum = np.zeros((S, n_bins + 1))
    np.cumsum(table, axis=1, out=cum[:, 1:])
    m = np.array([np.searchsorted(cum[s, 1:], target[s], side="left") for s in range(S)])
    m = np.minimum(m, n_bins - 1)
    rows = np.arange(S)
    h = table[rows, m]
    theta = np.where(h > 0, np.clip((target - cum[rows, m]) / np.where(h > 0, h, 1.0), 0, 1), 0)
    mb = m[sector]
    share = np.where(rev < mb, 1.0, np.where(rev == mb, theta[sector], 0.0))
    return np.where((target[sector] > 0) & (weight > 0), share, 0.0)


def campaign_plan(
    intensity: F8, gap: F8, cap_s: F8, plan_prev: F8, plan_years: int
) -> tuple[F8, F8]:
    """(plan, reported): the campaign's reported cut this year by sector.

    With plan years P >= 1, the cut C_s = min(k_s gap_s K_s, K_s) is set once, in the
    first year the campaign runs in sector s (no plan last year), and a share 1/P of it
    is reported each year while the campaign lasts there (``plan``, carried to next year;
    0 where no campaign runs, so the next campaign sets a new plan; a plan of 0, no gap
    in its first year, is set again the next year). With P = 0 the cut is recomputed
    every year from that year's gap (the rule before session 42)."""
    cut = np.minimum(intensity * gap * cap_s, cap_s)
    if plan_years <= 0:
        return np.zeros_like(cut), cut
    on = intensity > 0
    plan = np.where(on, np.where(plan_prev > 0, plan_prev, cut / plan_years), 0.0)
    return plan, np.minimum(plan, cap_s)


def campaign(
    f: Firms,
    intensity: F8,
    utilisation_prev: F8,
    sc: Scenario,
    n_sectors: int,
    plan_prev: F8 | None = None,
) -> CampaignResult:
    """Capacity cuts, zombie firms first, then highest-cost first (step 8).

    In a targeted sector (utilisation below the goal u*) the centre orders a cut
    C_s = k_s max(0, u* - u_s) K_s: the size follows from the rule, never a tonnage.
    The cut is a plan (``centre.campaign_plan_years`` P): set in the campaign's first
    year and carried out in equal parts, C_s / P a year, while the campaign lasts
    (:func:`campaign_plan`). A share c (compliance) is real; the rest is on paper. The
    real cut first closes zombie firms (last year's zombie test), up to a share
    ``centre.campaign_zombie_share`` of their capacity, highest cost first (the disposal
    of zombie enterprises, Opinions No. 6/7 of 2016); the rest of it retires the
    highest-cost capacity left (:func:`fill_from_top`). The state compensates a share of
    the book value of what is retired; the rest of that book value is written off (an
    extraordinary loss)."""
    S = n_sectors
    N = len(f)
    c = sc.centre
    if not np.any(intensity > 0):
        z = np.zeros(S)
        return CampaignResult(z, z.copy(), z.copy(), np.zeros(N), z.copy())
    cap_s = sum_by(f.sector, f.capacity, S)
    gap = np.maximum(c.campaign_goal - utilisation_prev, 0.0)
    prev = np.zeros(S) if plan_prev is None else plan_prev
    plan, reported = campaign_plan(intensity, gap, cap_s, prev, c.campaign_plan_years)
    real = c.campaign_compliance * reported
    if not np.any(real > 0):
        z = np.zeros(S)
        return CampaignResult(z, z.copy(), z.copy(), np.zeros(N), plan)
    zombie = f.alive & (f.zombie_run >= sc.exit.zombie_years)
    share = np.zeros(N)
    if c.campaign_zombie_share > 0 and np.any(zombie):
        zcap = np.where(zombie, f.capacity, 0.0)
        zcap_s = sum_by(f.sector, zcap, S)
        z_target = np.minimum(real, c.campaign_zombie_share * zcap_s)
        share = fill_from_top(f.cost_eff, f.sector, zcap, z_target, S)
        real_left = real - sum_by(f.sector, share * f.capacity, S)
        left = (1.0 - share) * f.capacity
        rest = fill_from_top(f.cost_eff, f.sector, left, np.maximum(real_left, 0.0), S)
        share = share + (1.0 - share) * rest
    else:
        share = fill_from_top(f.cost_eff, f.sector, f.capacity, real, S)
    retired = share * f.capacity
    written_off = share * f.capital
    comp = c.campaign_compensation * written_off
    f.capacity -= retired
    f.capital -= written_off
    f.debt -= comp
    return CampaignResult(
        reported=reported,
        real=sum_by(f.sector, retired, S),
        compensation=sum_by(f.sector, comp, S),
        firm_extra=comp - written_off,
        plan=plan,
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
    year's instruments, and the campaign it orders retires capacity now (step 8 of the
    specification), from last year's utilisation, before firms decide anything. No new capacity
    is approved where the campaign cuts, beyond the share ``centre.campaign_approval``."""
    sc, eco, sec = yr.sc, st.economy, st.sectors
    signals = Signals(
        utilisation=eco.utilisation,
        ppi_change=eco.ppi_change,
        zombie_share=eco.zombie_share,
        growth=eco.growth,
        target=yr.target_prev,
    )
    move(st.centre, signals, sc, yr.script.regime)
    ins = instruments(st.centre, yr, sec.unit_cost_prev, sec.util_prev)
    camp = campaign(st.firms, ins.campaign_intensity, sec.util_prev, sc, yr.S, sec.campaign_plan)
    sec.campaign_plan = camp.plan
    approval = ins.entry_approval * np.where(camp.reported > 0, sc.centre.campaign_approval, 1.0)
    return Policy(
        regime=st.centre.regime,
        scripted=st.centre.scripted,
        instruments=ins,
        campaign=camp,
        approval_s=approval,
        stability=regime_instruments(st.centre.regime, sc).stability_concern,
    )
