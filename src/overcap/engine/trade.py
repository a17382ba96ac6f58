"""Trade partners: export demand by partner, trade defence and countermeasures (step 9).

Anchors: Bown and Crowley (2013) on import surges and anti-dumping; the WTO
Anti-Dumping Agreement (art. 2 dumping against normal value, art. 3 injury by price
undercutting, art. 5.8 de minimis, art. 9.1 lesser duty, art. 11.3 five-year sunset
review); Pierce and Schott
(2016) and Handley and Limao (2017) on WTO entry; the 2025 rare-earth export controls
(MOFCOM announcements of April and October 2025).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from overcap.engine.accounts import Books
from overcap.engine.indicators import safe_div
from overcap.engine.market import Production
from overcap.engine.state import B1, F8, State
from overcap.engine.terms import Year
from overcap.scenario import PARTNERS, Scenario, data_path

if TYPE_CHECKING:
    from overcap.engine.demand import Demand


@dataclass(frozen=True)
class PartnerData:
    ids: list[str]
    names: list[str]
    names_zh: list[str]
    market_share: F8  # (J, S) share of the rest-of-world market
    cost_ratio: F8  # (J, S) partner's producers' cost over the foreign average
    major: B1  # (J,)
    rare_earth: F8  # (J,) dependence on Chinese rare earths
    propensity: F8  # (J,) relative propensity to open trade-defence cases
    aggregate: B1  # (J,) an aggregate of countries (ROW), not one that acts as one

    @classmethod
    def load(cls, sectors: list[str]) -> PartnerData:
        J, S = len(PARTNERS), len(sectors)
        share = np.zeros((J, S))
        ratio = np.ones((J, S))
        with data_path("partners.csv").open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["partner"] in PARTNERS and r["sector"] in sectors:
                    j, s = PARTNERS.index(r["partner"]), sectors.index(r["sector"])
                    share[j, s] = float(r["market_share"])
                    ratio[j, s] = float(r["cost_ratio"])
        share /= np.maximum(share.sum(axis=0, keepdims=True), 1e-12)
        names, zh = [""] * J, [""] * J
        major = np.zeros(J, dtype=bool)
        aggregate = np.zeros(J, dtype=bool)
        rare, prop = np.zeros(J), np.zeros(J)
        with data_path("partners_meta.csv").open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["partner"] in PARTNERS:
                    j = PARTNERS.index(r["partner"])
                    names[j], zh[j] = r["name"], r["name_zh"]
                    major[j] = r["major"].strip() == "1"
                    aggregate[j] = r["aggregate"].strip() == "1"
                    rare[j] = float(r["rare_earth_dependence"])
                    prop[j] = float(r["trade_defence_propensity"])
        return cls(list(PARTNERS), names, zh, share, ratio, major, rare, prop, aggregate)


@dataclass
class TradeState:
    in_force: B1  # (J, S) an endogenous measure is in force
    measure_duty: F8  # (J, S)
    years_left: np.ndarray  # (J, S) years to the sunset review
    share_hist: F8  # (3, J, S) China's share of the partner's market, last 3 years
    countermeasure_left: np.ndarray  # (J,) years of export controls left
    duty_prev: F8  # (J,) export-weighted mean duty last year
    scripted_prev: F8  # (J, S) scripted tariffs last year
    partner_output_prev: F8  # (J, S) partners' producers' output last year
    presence: F8  # (S,) China's presence in foreign markets, a share of its base share

    @classmethod
    def empty(cls, J: int, S: int, presence: F8 | None = None) -> TradeState:
        """No measures in force; presence ``presence`` (full, 1, where None)."""
        return cls(
            in_force=np.zeros((J, S), dtype=bool),
            measure_duty=np.zeros((J, S)),
            years_left=np.zeros((J, S), dtype=np.int64),
            share_hist=np.zeros((3, J, S)),
            countermeasure_left=np.zeros(J, dtype=np.int64),
            duty_prev=np.zeros(J),
            scripted_prev=np.zeros((J, S)),
            partner_output_prev=np.zeros((J, S)),
            presence=np.ones(S) if presence is None else np.asarray(presence, dtype=float).copy(),
        )


def other_duty(scripted: F8, sc: Scenario, year: int) -> F8:
    """Duty on Chinese goods other than trade-defence measures: scripted tariffs plus,
    before WTO entry, the trade cost of non-membership."""
    pre = sc.trade.pre_wto_duty if year < sc.trade.wto_year else 0.0
    return scripted + pre


def measure_in_force(ts: TradeState) -> F8:
    """The duty of the trade-defence measures in force, (J, S), 0 where none."""
    return np.where(ts.in_force, ts.measure_duty, 0.0)


def total_duty(ts: TradeState, scripted: F8, sc: Scenario, year: int) -> F8:
    """Duty on Chinese goods: trade-defence measures plus :func:`other_duty`."""
    return measure_in_force(ts) + other_duty(scripted, sc, year)


def foreign_cost(
    p_foreign: F8, fcr: F8, pd_: PartnerData, controls: B1, sc: Scenario, sectors: list[str]
) -> F8:
    """c^f_{j,s} = r_s x_{j,s} p^f_s (1 + kappa d_j m_s 1[controls on j]): partner producers'
    cost. p^f_s is the normal price at foreign producers' own learning factor (equal to
    China's normal price in 2023, so r_s is the 2023 ratio of foreign cost to China's); it
    is raised by rare-earth export controls in magnet-using sectors (m_s) in proportion to
    the partner's dependence d_j."""
    intensity = np.array([sc.trade.rare_earth_intensity.get(s, 0.0) for s in sectors])
    shock = 1.0 + sc.trade.rare_earth_cost_shock * np.outer(pd_.rare_earth * controls, intensity)
    return (fcr * p_foreign)[None, :] * pd_.cost_ratio * shock


def dumping_margin(price: F8, unit_cost: F8) -> F8:
    """m_s = max(0, (c^cn_s - p_s) / c^cn_s): the export price below normal value (WTO
    Anti-Dumping Agreement art. 2). Export and home sales are at the same ex-works price,
    so the price-to-price comparison gives no margin; when home sales are below cost
    (art. 2.2.1) normal value is China's own average cost (constructed value, art. 2.2).
    Foreign producers' cost does not enter: a cost advantage is not dumping."""
    return np.where(
        unit_cost > 0, np.maximum((unit_cost - price) / np.maximum(unit_cost, 1e-12), 0.0), 0.0
    )


def injury_margin(price: F8, p_norm: F8, freight: F8, duty_other: F8, foreign: F8) -> F8:
    """u_{j,s} = max(0, (c^f_{j,s} - l_{j,s}) / c^f_{j,s}), l = (p_s + phi_s p^n_s)(1 + tau^o):
    price undercutting (WTO Anti-Dumping Agreement art. 3.2): China's landed price (ex-works
    price plus freight, plus duties other than trade defence, as a measure under review
    would lapse) below the partner's producers' cost, as a share of that cost. It is the
    injury margin of the lesser-duty rule (art. 9.1)."""
    landed = (price + freight * p_norm)[None, :] * (1.0 + duty_other)
    return np.maximum((foreign - landed) / np.maximum(foreign, 1e-12), 0.0)


def non_negligible(exports: F8, share: F8, floor: float) -> B1:
    """Partner-sectors where a case may open (arrays (J, S)): China exports there and its
    share of the partner's market is at least ``floor`` (``trade.negligible_share``; art.
    5.8 of the Anti-Dumping Agreement treats imports under 3% of a Member's imports of the
    product as negligible, and the model's market share stands in for the import share)."""
    return (exports > 0) & (share >= floor)


def output_declined(output: F8, output_prev: F8, growth: float) -> B1:
    """Partner-sectors whose producers can show injury (arrays (J, S)): their output grew
    by less than ``growth`` (``trade.injury_output_growth``, 0: it fell) over the year,
    Y_t < (1 + g) Y_{t-1}. Art. 3.4 of the Anti-Dumping Agreement weighs a decline in the
    industry's output, sales and market share; filings rise as the domestic industry's
    output falls (Knetter and Prusa 2003; Bown and Crowley 2013). Where the partner had no
    output last year the test is passed: art. 3 (note 9) also counts material retardation
    of the establishment of an industry."""
    return (output < (1.0 + growth) * output_prev) | (output_prev <= 0.0)


def defend(
    ts: TradeState,
    share_now: F8,
    eligible: B1,
    margin: F8,
    injury: F8,
    pd_: PartnerData,
    sc: Scenario,
    rng: np.random.Generator,
) -> F8:
    """Trade defence for one year (arrays (J, S); ``margin`` may be (S,)). A case needs
    both dumping above de minimis (m > m_min, art. 5.8) and injury (u > 0), and opens
    only where ``eligible`` (:func:`non_negligible`: China exports there, above the
    negligible share; and :func:`output_declined`: the partner's producers' output grew
    by less than ``trade.injury_output_growth``, by default fell).

    A measure in force counts down to its sunset review (art. 11.3), where it is renewed
    with probability rho while dumping and injury persist, else it lapses. Where none is
    in force, partner j opens one on sector s with hazard
    h = a_j logistic(b0 + b_surge max(0, sh_t - sh_{t-3}) + b_dump m + b_inj u)
    (a_j the partner's propensity); its duty is d0 + d1 min(m, u) (lesser duty, art. 9.1).
    Returns the (J, S) mask of measures opened this year."""
    t = sc.trade
    J, S = share_now.shape
    case = (margin > t.de_minimis) & (injury > 0)
    # sunset reviews
    ts.years_left[ts.in_force] -= 1
    review = ts.in_force & (ts.years_left <= 0)
    renew = review & case & (rng.random((J, S)) < t.renewal_probability)
    if not sc.switches.trade_defence:
        renew[:] = False  # with trade defence off, measures in force lapse at their review
    ts.years_left[renew] = t.measure_years
    expire = review & ~renew
    ts.in_force[expire] = False
    ts.measure_duty[expire] = 0.0
    # new cases
    surge = np.maximum(share_now - ts.share_hist[0], 0.0)
    x = (
        t.defence_intercept
        + t.defence_surge * surge
        + t.defence_dumping * margin
        + t.defence_injury * injury
    )
    hazard = pd_.propensity[:, None] / (1.0 + np.exp(-x))
    draw = rng.random((J, S))
    if not sc.switches.trade_defence:
        opened = np.zeros((J, S), dtype=bool)
    else:
        opened = ~ts.in_force & eligible & case & (draw < hazard)
    ts.in_force |= opened
    lesser = np.minimum(np.broadcast_to(margin, (J, S)), injury)
    ts.measure_duty[opened] = t.measure_duty + t.measure_duty_per_margin * lesser[opened]
    ts.years_left[opened] = t.measure_years
    ts.share_hist = np.concatenate([ts.share_hist[1:], share_now[None]], axis=0)
    return opened


def controls_active(ts: TradeState, scripted: B1, on: bool) -> B1:
    """Partners under rare-earth export controls this year: decided at the end of an
    earlier year, or scripted for this year (terms.Script.controls_j); none when the
    switch ``countermeasures`` is off."""
    active = ts.countermeasure_left > 0
    if on:
        active |= scripted
    else:
        active[:] = False
    return active


def counter(
    ts: TradeState,
    duty: F8,
    exports: F8,
    scripted_start: B1,
    pd_: PartnerData,
    sc: Scenario,
    rng: np.random.Generator,
) -> B1:
    """Countermeasures, decided at the end of the year: when a major partner escalates
    (its export-weighted mean duty rose by at least the escalation threshold, or a
    scripted tariff on it started), the state answers with rare-earth export controls
    with probability p, for the following years. Returns the partners that escalated."""
    t = sc.trade
    total = exports.sum(axis=1)
    w = exports / np.maximum(total[:, None], 1e-12)
    mean_duty = np.where(total > 0, (duty * w).sum(axis=1), duty.mean(axis=1))
    escalate = pd_.major & ((mean_duty - ts.duty_prev >= t.escalation_duty) | scripted_start)
    ts.duty_prev = mean_duty
    running = ts.countermeasure_left > 0
    ts.countermeasure_left[running] -= 1
    draw = rng.random(len(escalate))
    if sc.switches.countermeasures:
        start = escalate & (ts.countermeasure_left <= 0) & (draw < t.countermeasure_probability)
        ts.countermeasure_left[start] = t.countermeasure_years
    return np.asarray(escalate)


@dataclass(frozen=True)
class TradeFlows:
    """The year's trade defence and countermeasures (phase j), arrays (J, S) or (J,)."""

    china_share_js: F8  # China's share of each partner's market
    margin_js: F8  # dumping margin (the same for every partner: one ex-works price)
    injury_js: F8  # injury margin (price undercutting of the partner's producers)
    partner_output_js: F8  # the partner's producers' output: its market less China's exports
    new_measures_js: B1  # measures opened this year (in force from next year)
    escalated_j: B1  # major partners that escalated this year
    in_force_js: B1  # measures in force at the end of the year, or scripted tariffs


def win_presence(presence: F8, exports: F8, potential: F8, rate: float) -> F8:
    """k_{s,t+1} = min(1, k_s + lambda q_s (1 - k_s)), q_s = X_s / (a_s M_s): China's
    presence in foreign markets grows with its exports this year over what it would sell
    at full presence, at its normal price, duty-free (a_s M_s, ``potential``), a logistic
    in the exports themselves (customers are won by selling: Drozd and Nosal 2012, Gourio
    and Rudanko 2014; diffusion, Griliches 1957). It never falls, and it stays at 1 once
    there (no sector starts below it without ``switches.export_presence``)."""
    q = safe_div(exports, potential)
    return np.minimum(1.0, presence + rate * q * (1.0 - presence))


def respond(
    st: State, yr: Year, dem: Demand, prd: Production, bks: Books, rng: np.random.Generator
) -> TradeFlows:
    """Phase j: partners read this year's import surge, dumping margins (the price against
    the books' unit cost), injury margins (the landed price against their producers'
    cost) and their producers' output (their market less China's exports, against last
    year's), and open, renew or let lapse their measures (:func:`defend`); escalations are
    answered by export controls from next year (:func:`counter`); China's presence in
    foreign markets grows with this year's exports (:func:`win_presence`)."""
    sc, ts, clr, x = yr.sc, st.trade, prd.clearing, dem.curve.exports
    x_by = clr.exports_by_partner
    china_share = safe_div(x_by, x.market)
    margin = dumping_margin(clr.price, bks.unit_cost_s)
    scripted = yr.script.duty_js
    injury = injury_margin(
        clr.price, x.p_norm, x.freight, other_duty(scripted, sc, yr.year), x.foreign_cost
    )
    partner_output = bks.foreign_output_js
    eligible = non_negligible(x_by, china_share, sc.trade.negligible_share) & output_declined(
        partner_output, ts.partner_output_prev, sc.trade.injury_output_growth
    )
    ts.partner_output_prev = partner_output
    new_measures = defend(ts, china_share, eligible, margin, injury, yr.partners, sc, rng)
    scripted_start = (scripted > ts.scripted_prev + 1e-12).any(axis=1)
    ts.scripted_prev = scripted
    escalated = counter(ts, x.duty, x_by, scripted_start, yr.partners, sc, rng)
    ts.presence = win_presence(
        ts.presence,
        x_by.sum(axis=0),
        yr.const.export_share * x.market.sum(axis=0),
        sc.trade.presence_rate,
    )
    return TradeFlows(
        china_share_js=china_share,
        margin_js=np.broadcast_to(margin, x_by.shape).copy(),
        injury_js=injury,
        partner_output_js=partner_output,
        new_measures_js=new_measures,
        escalated_j=escalated,
        in_force_js=ts.in_force | (scripted > 0),
    )
