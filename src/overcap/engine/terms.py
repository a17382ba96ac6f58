"""The terms of a year: what is settled at its start, before anyone decides.

:meth:`Context.begin` builds one :class:`Year` record at the start of every year: the
scenario in force (events of kind ``set``), the year's exogenous paths, the
learning-adjusted normal prices and costs, the opening stocks, and every scripted event
active in the year resolved into arrays (the script: regime, demand and macro shocks,
stimulus, campaigns, production restrictions, price floors, tariffs, export controls),
and the strength of each mechanism a reform switches (:class:`Strengths`). The phases of
the year (engine/year.py) read the script here and nowhere else, so what a scenario does
to a year can be read in one place: :func:`script`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from overcap.engine.events import YearScenarios, active_events, sector_mask
from overcap.engine.indicators import Recorder
from overcap.engine.inputs import Inputs
from overcap.engine.state import B1, F8, SectorConst, State, sum_by
from overcap.scenario import PARTNERS, Scenario

if TYPE_CHECKING:
    from overcap.engine.trade import PartnerData


def distress_price(ratio: float, vc_s: F8, p_norm: F8) -> F8:
    """The lowest price, as a share of the normal price: ``ratio`` times the sector's cash
    (variable) cost c_s at today's input prices and learning, over p^n_s. A glut's price
    war sells below cash cost, not below a fixed share of full cost: when ore or oil
    fall, so do the cash cost and the trough (ODD 7.6)."""
    return np.asarray(ratio * vc_s / p_norm, dtype=float)


def working_capital(share: float, p_norm: F8, u_n: float) -> F8:
    """W_s = w u_n p^n_s: the working capital (inventories and receivables) a unit of
    capacity ties up, a share w (``investment.working_capital``) of its annual sales at
    the normal price and utilisation. Chinese industrial firms above the designated size
    held inventories and receivables of about 0.25-0.3 of a year's revenue (NBS, China
    Statistical Yearbook, main indicators of industrial enterprises above designated
    size). Where the plant is cheap against its sales (appliances, television sets, cars)
    this is most of the capital a project needs, and a price a little above normal no
    longer multiplies its return many times over."""
    return share * u_n * p_norm


@dataclass(frozen=True)
class Script:
    """The scripted events active in one year, resolved (arrays over sectors ``_s``,
    partners ``_j``, partner x sector ``_js``). Neutral values where no event runs."""

    regime: str | None  # the regime a ``regime`` event forces (the last by name), or None
    demand_shock_s: F8  # multiplies domestic demand (``demand_shock``: 1 + size)
    macro_shock: float  # points added to rest-of-economy growth (``macro_shock``: 100 size)
    stimulus_s: tuple[F8, ...]  # demand share each ``stimulus`` event adds, in name order
    campaign_s: F8  # campaign intensity ``campaign`` events order (0 = none)
    floor_s: F8  # price floor share of average cost ``price_floor`` events set (0 = none)
    evasion_s: F8  # share of the gap to the floor evaded (the scenario's, or the event's)
    duty_js: F8  # scripted tariffs (``tariff``), summed where events overlap
    controls_j: B1  # partners a ``countermeasure`` event puts under export controls
    output_cap_s: F8 = field(default_factory=lambda: np.ones(0))  # ``output_cap``: 1 = none
    # capacity retired per unit built (``capacity_replacement``): 0 = no rule
    replacement_s: F8 = field(default_factory=lambda: np.zeros(0))


TRANSITIONS = ("subsidies", "soft_budget", "bailouts", "local_protection", "soe_output_targets")


@dataclass(frozen=True)
class Strengths:
    """The strength in [0, 1] of each mechanism a reform switches (``TRANSITIONS``): 1 with
    its switch on, 0 off, in between while it phases in or out (:func:`transition`). The
    engine reads the strength where it would read the switch for what already exists
    (must-run output, the rates of loans outstanding, bailouts, subsidy programmes)."""

    subsidies: float = 1.0
    soft_budget: float = 1.0
    bailouts: float = 1.0
    local_protection: float = 1.0
    soe_output_targets: float = 1.0

    @classmethod
    def of_switches(cls, sc: Scenario) -> Strengths:
        """The strengths a scenario's switches aim at: 1 on, 0 off."""
        sw = sc.switches
        return cls(**{k: 1.0 if getattr(sw, k) else 0.0 for k in TRANSITIONS})


def transition(prev: Strengths, target: Strengths, years: float) -> Strengths:
    """s_t = s_{t-1} + clip(s* - s_{t-1}, -1/T, 1/T): each strength moves toward its
    switch's target by 1/T a year (T = reform.transition_years; T = 0: at once). A loan
    book laddered evenly over T years reprices 1/T a year; must-run output, bailouts and
    subsidy programmes wind down at the same pace."""
    if years <= 0:
        return target
    step = 1.0 / years
    return Strengths(
        **{
            k: float(getattr(prev, k) + np.clip(getattr(target, k) - getattr(prev, k), -step, step))
            for k in TRANSITIONS
        }
    )


@dataclass(frozen=True)
class Year:
    """The terms of one year (arrays over sectors unless marked)."""

    year: int
    sc: Scenario  # the scenario in force this year
    const: SectorConst  # technology constants (from the base scenario)
    partners: PartnerData
    sectors: list[str]
    n_provinces: int
    record: bool  # the year is recorded (after the spin-up)
    # exogenous paths
    china_demand: F8  # domestic demand for China's producers at normal prices, units/yr
    imports: F8  # China's consumption its production does not cover, units/yr (7.1)
    foreign_demand: F8  # rest-of-world demand, units/yr
    strategic: B1  # the centre's strategic label
    plan_growth: F8  # growth/yr of the centre's plan target in force (NaN: none)
    target_prev: float  # last year's growth target, percent (the centre's yardstick)
    target: float  # this year's growth target, percent
    trend_prev: float  # last year's rest-of-economy trend growth, percent
    trend: float  # this year's
    cum_world_anchor: F8  # cumulative world output at the 2023 anchor (learning)
    cum_china_anchor: F8  # China's cumulative output at the 2023 anchor (own learning)
    cum_foreign_anchor: F8  # the rest of the world's
    # learning-adjusted normal price and costs of this year
    p_norm: F8  # normal (full-cost) price p^n_s
    vc_s: F8  # unit variable cost c_s
    distress_s: F8  # the distress price lo_s, share of p^n_s (distress_price above)
    om_s: F8  # fixed O&M per unit of capacity
    capex_s: F8  # capex per unit of capacity
    wc_s: F8  # working capital a unit of capacity ties up (working_capital above)
    p_foreign: F8  # foreign producers' normal cost before partner ratios: p^n_s at L^f_s
    # opening stocks (the record's identities)
    equity_start: F8  # firms' equity
    inventory_start: F8  # firms' inventory plus the liquidation stock, units
    script: Script = field(repr=False)
    strength: Strengths = Strengths()  # the reform-switched mechanisms' strengths this year

    @property
    def S(self) -> int:
        return len(self.sectors)

    @property
    def P(self) -> int:
        return self.n_provinces

    @property
    def J(self) -> int:
        return len(self.partners.ids)


@dataclass
class Context:
    """What a run holds fixed: the base scenario, the inputs, the constants, the partners,
    the recorder and the rest-of-economy trend."""

    sc: Scenario
    inputs: Inputs
    const: SectorConst
    recorder: Recorder
    record_from: int
    partners: PartnerData
    trend: F8 = field(default_factory=lambda: np.zeros(0))  # (T,) rest-of-economy trend growth
    scenarios: YearScenarios | None = None
    strengths: dict[int, Strengths] = field(default_factory=dict)  # by year, as computed

    def strength(self, year: int) -> Strengths:
        """The mechanisms' strengths in ``year``: the switches in force in the first year of
        the inputs, then moved a year at a time toward the switches in force
        (:func:`transition`). A function of the scenario and the year alone (cached)."""
        if year not in self.strengths:
            sc = self.scenario(year)
            target = Strengths.of_switches(sc)
            if year <= int(self.inputs.years[0]):
                self.strengths[year] = target
            else:
                prev = self.strength(year - 1)
                self.strengths[year] = transition(prev, target, sc.reform.transition_years)
        return self.strengths[year]
        first = int(self.inputs.years[0])
        y0 = max((y for y in self.strengths if y < year), default=None)
        if y0 is None or year <= first:
            y0 = max(first, min(year, first))
            self.strengths[y0] = Strengths.of_switches(self.scenario(y0))
        for y in range(y0 + 1, year + 1):
            if y not in self.strengths:
                sc = self.scenario(y)
                self.strengths[y] = transition(
                    self.strengths[y - 1], Strengths.of_switches(sc), sc.reform.transition_years
                )
        return self.strengths[year]

    def scenario(self, year: int) -> Scenario:
        """The scenario in force this year (events of kind ``set`` change parameters)."""
        if self.scenarios is None:
            self.scenarios = YearScenarios(self.sc)
        return self.scenarios(year)

    def begin(self, st: State) -> Year:
        """Settle the terms of the year ``st.year``."""
        year = st.year
        sc, inp, tech = self.scenario(year), self.inputs, self.const
        ti = inp.year_index(year)
        sec, f = st.sectors, st.firms
        S = len(inp.sectors)
        p_norm, vc_s = tech.normal_price_and_cost(sec.learning, inp.input_cost[ti])
        p_foreign, _ = tech.normal_price_and_cost(sec.learning_foreign, inp.input_cost[ti])
        return Year(
            year=year,
            sc=sc,
            const=tech,
            partners=self.partners,
            sectors=inp.sectors,
            n_provinces=len(inp.provinces),
            record=year >= self.record_from,
            china_demand=inp.china_demand[ti],
            imports=inp.imports[ti],
            foreign_demand=inp.foreign_demand[ti],
            strategic=inp.strategic[ti].copy(),
            plan_growth=inp.plan_growth[ti].copy(),
            target_prev=float(inp.growth_target[max(ti - 1, 0)]),
            target=float(inp.growth_target[ti]),
            trend_prev=self.trend[max(ti - 1, 0)],
            trend=self.trend[ti],
            cum_world_anchor=inp.cum_world_anchor,
            cum_china_anchor=inp.cum_china_anchor,
            cum_foreign_anchor=inp.cum_foreign_anchor,
            p_norm=p_norm,
            vc_s=vc_s,
            distress_s=distress_price(sc.market.distress_cost_ratio, vc_s, p_norm),
            om_s=tech.om * sec.learning,
            capex_s=tech.capex * sec.learning,
            wc_s=working_capital(
                sc.investment.working_capital, p_norm, sc.market.normal_utilisation
            ),
            p_foreign=p_foreign,
            equity_start=sum_by(f.sector, f.equity, S),
            inventory_start=sum_by(f.sector, f.inventory, S) + sec.liquidation,
            script=script(sc, year, inp.sectors),
            strength=self.strength(year),
        )


def script(sc: Scenario, year: int, sectors: list[str]) -> Script:
    """Resolve the scripted events active in ``year`` (events.active_events)."""
    S, J = len(sectors), len(PARTNERS)
    forced = [ev.regime for ev in active_events(sc, year, "regime")]
    shock = np.ones(S)
    for ev in active_events(sc, year, "demand_shock"):
        shock *= np.where(sector_mask(ev.sectors, sectors), 1.0 + ev.size, 1.0)
    construction = sector_mask(sc.centre.construction_sectors, sectors)
    stimulus = tuple(
        np.where(construction & sector_mask(ev.sectors, sectors), ev.size, 0.0)
        for ev in active_events(sc, year, "stimulus")
    )
    # campaign intensities and floor shares are >= 0 (schema), so 0 is neutral under max
    campaign = np.zeros(S)
    for ev in active_events(sc, year, "campaign"):
        level = sc.centre.control.campaign_intensity if ev.intensity is None else ev.intensity
        campaign = np.where(sector_mask(ev.sectors, sectors), np.maximum(campaign, level), campaign)
    floor = np.zeros(S)
    evasion = np.full(S, sc.centre.floor_evasion)
    for ev in active_events(sc, year, "price_floor"):
        m = sector_mask(ev.sectors, sectors)
        floor = np.where(m, np.maximum(floor, ev.floor), floor)
        if ev.evasion is not None:
            evasion = np.where(m, ev.evasion, evasion)
    duty = np.zeros((J, S))
    if sc.switches.scripted_tariffs:
        for ev in active_events(sc, year, "tariff"):
            duty[PARTNERS.index(str(ev.partner))] += np.where(
                sector_mask(ev.sectors, sectors), ev.duty, 0.0
            )
    controls = np.zeros(J, dtype=bool)
    for ev in active_events(sc, year, "countermeasure"):
        controls[PARTNERS.index(str(ev.partner))] = True
    # utilisation caps are in (0, 1] (schema), so 1 is neutral under min
    cap = np.ones(S)
    for ev in active_events(sc, year, "output_cap"):
        cap = np.where(sector_mask(ev.sectors, sectors), np.minimum(cap, ev.size), cap)
    # replacement ratios are >= 1 (schema), so 0 (no rule) is neutral under max
    ratio = np.zeros(S)
    for ev in active_events(sc, year, "capacity_replacement"):
        ratio = np.where(sector_mask(ev.sectors, sectors), np.maximum(ratio, ev.size), ratio)
    return Script(
        regime=str(forced[-1]) if forced else None,
        demand_shock_s=shock,
        macro_shock=100.0 * sum(ev.size for ev in active_events(sc, year, "macro_shock")),
        stimulus_s=stimulus,
        campaign_s=campaign,
        floor_s=floor,
        evasion_s=evasion,
        duty_js=duty,
        controls_j=controls,
        output_cap_s=cap,
        replacement_s=ratio,
    )
