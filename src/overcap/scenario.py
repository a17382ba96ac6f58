"""The scenario: every parameter of the model, with its unit, range and meaning.

A scenario is a TOML file shipped in ``overcap/scenarios`` (or a path the user
gives). It may ``inherit`` another scenario and state only what differs.
Per-sector technology parameters default to ``data/sectors.csv`` and may be
overridden inside the range that file documents; calibration moves them only
inside that range.

User errors (unknown keys, wrong types, out-of-range values, misspelt scenario
names, unreadable files, malformed overrides) raise :class:`ScenarioError`
with a one-line message naming the field and what is allowed.
"""

from __future__ import annotations

import csv
import difflib
import json
import math
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class ScenarioError(ValueError):
    """A user error in a scenario, an override or a scenario name (always one line)."""

    def __init__(self, message: str) -> None:
        super().__init__(message.replace("\r", "\\r").replace("\n", "\\n"))


def param(
    default: Any,
    lo: float | None,
    hi: float | None,
    unit: str,
    meaning: str,
    *,
    calibratable: bool = False,
    anchor: str = "",
    calibration_range: tuple[float, float] | None = None,
) -> Any:
    """A scenario parameter: default, allowed range, unit, meaning and anchor.
    ``calibration_range`` narrows the range calibration may search, where the literature
    or the mechanism's premise says more than the schema's hard bounds."""
    extra: dict[str, Any] = {"unit": unit, "calibratable": calibratable, "anchor": anchor}
    if calibration_range is not None:
        extra["calibration_range"] = list(calibration_range)
    return Field(default, ge=lo, le=hi, description=meaning, json_schema_extra=extra)


def switch(default: bool, meaning: str) -> Any:
    return Field(default, description=meaning, json_schema_extra={"unit": "on/off"})


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


YEARS = (1950, 2100)  # the years a scenario, its events and its tables may name
# the anchor of the policy cycle's rules (docs/ODD.md 7.10), which their parameters cite
CYCLE_ANCHOR = "the specification's policy cycle (一放就亂，一亂就管，一管就死，一死就放)"


class TimeParams(Section):
    start_year: int = param(1995, *YEARS, "year", "first recorded year")
    end_year: int = param(2030, *YEARS, "year", "last recorded year")
    spinup_years: int = param(
        5,
        0,
        30,
        "years",
        "years simulated before start_year (demand back-cast) so that the first recorded "
        "year's capacity is the model's own, not an input",
    )

    @model_validator(mode="after")
    def _order(self) -> TimeParams:
        if self.end_year < self.start_year:
            raise ValueError(
                f"end_year ({self.end_year}) must not be before start_year ({self.start_year})"
            )
        return self


# switches read once, when a run's exogenous paths are built (engine/inputs.py)
INPUT_SWITCHES = ("switches.input_prices", "switches.imports", "switches.export_presence")


class Switches(Section):
    """Each box of the mechanism can be switched off (docs/ODD.md section 8)."""

    subsidies: bool = switch(True, "provinces subsidise investment, output and credit")
    soft_budget: bool = switch(
        True,
        "state-owned and subsidised firms borrow cheaply, without a risk premium or "
        "an equity limit",
    )
    bailouts: bool = switch(True, "insolvent firms may be bailed out (and become zombies)")
    bank_rescues: bool = switch(
        True,
        "the state bank bears most of a rescue (write-down, rollover) and stops evergreening "
        "a lasting zombie; off: the province pays the whole rescue and rescues never fade",
    )
    policy_cycle: bool = switch(
        True, "the centre moves through loosen, chaos, control and stagnation (off: neutral)"
    )
    campaigns: bool = switch(True, "campaigns retire capacity (control regime or scripted)")
    price_rules: bool = switch(True, "price floors (anti-involution) hold prices up")
    stimulus: bool = switch(True, "the loosen regime and stimulus events add demand")
    trade_defence: bool = switch(True, "partners open anti-dumping and countervailing measures")
    scripted_tariffs: bool = switch(True, "scripted political tariffs (2018, 2024, 2025)")
    countermeasures: bool = switch(
        True, "the state answers a major partner's escalation with rare-earth export controls"
    )
    soe_output_targets: bool = switch(
        True, "state-owned and protected firms must run at a target utilisation"
    )
    local_protection: bool = switch(True, "provinces protect some private firms (must-run)")
    output_caps: bool = switch(
        True,
        "production restrictions cap every firm's utilisation in targeted sectors (the control "
        "regime's output_cap and scripted output_cap events)",
    )
    tournament: bool = switch(True, "officials' promotion tournament drives subsidies")
    herding: bool = switch(True, "provinces copy other provinces' subsidies")
    learning: bool = switch(True, "Wright's-law learning lowers unit cost")
    input_prices: bool = switch(
        True, "world prices of iron ore and crude oil move steel's and refining's costs"
    )
    exports: bool = switch(True, "Chinese firms sell to the rest of the world")
    imports: bool = switch(
        True,
        "part of China's consumption is supplied from outside its production (coal's net "
        "imports and stock draws, data/imports.csv)",
    )
    own_learning: bool = switch(
        True,
        "China's and foreign producers' costs follow Wright's law on their own cumulative "
        "output (off: both on world output, so their cost ratio stays at its 2023 value)",
    )
    entry: bool = switch(True, "new firms enter")
    vintages: bool = switch(
        True,
        "capacity built at an older learning level keeps a cost disadvantage in sectors with "
        "embodied learning (sectors.<id>.obsolescence)",
    )
    strategic_race: bool = switch(
        True,
        "provinces race to host projects in strategic sectors (sponsored state-owned plants), "
        "whether or not demand leaves a gap",
    )
    export_presence: bool = switch(
        True,
        "China's presence in foreign markets starts where the record starts it "
        "(sectors.<id>.presence_start) and is won by exporting (trade.presence_rate); off: "
        "full presence from the start. On by default from session 45, whose in-sample set "
        "is fitted with it; read once, at the start of a run",
    )


class PopulationParams(Section):
    firms_start: int = param(
        20000, 50, 5_000_000, "firms", "number of firms (plants) at the start of the spin-up"
    )
    size_sigma: float = param(
        0.8, 0.0, 2.0, "log points", "dispersion (lognormal sigma) of firm capacity within a sector"
    )
    cost_sigma: float = param(
        0.12,
        0.0,
        0.5,
        "log points",
        "dispersion of unit variable cost within a sector (Hsieh and Klenow 2009 report wide "
        "TFP dispersion in Chinese manufacturing)",
        calibratable=True,
        anchor="Hsieh and Klenow 2009 (QJE): wide TFP dispersion in Chinese manufacturing; no "
        "published estimate of the dispersion of unit variable cost within a sector: set in "
        "the documented range and calibrated (flag R)",
    )
    initial_leverage: float = param(
        0.55, 0.0, 0.95, "debt/assets", "leverage of the initial firms (1990s industrial firms)"
    )
    initial_book_share: float = param(
        0.5, 0.05, 1.0, "share", "book value of initial capital as a share of its replacement cost"
    )
    soe_cost_premium: float = param(
        0.05,
        0.0,
        0.3,
        "share",
        "extra unit cost of state-owned firms (Hsieh and Klenow 2009; Brandt et al. 2012)",
        calibratable=True,
        anchor="Hsieh and Klenow 2009 (QJE); Brandt, Van Biesebroeck and Zhang 2012 (JDE): "
        "state-owned firms' extra unit cost in Chinese manufacturing; no published estimate "
        "of its size: set in the documented range and calibrated (flag R)",
    )
    max_firms_ratio: float = param(
        5.0,
        1.5,
        100.0,
        "x firms_start",
        "bound on the number of firm agents, as a multiple of firms_start: beyond it the "
        "year's entrants of one province, sector and ownership are merged into fewer agents, "
        "each standing for several plants (capacity unchanged); an implementation bound, not "
        "behaviour",
        anchor="super-individuals: Scheffer et al. 1995, Ecological Modelling 80",
    )
    memory_budget_mb: float = param(
        8192.0,
        64.0,
        1_000_000.0,
        "MB",
        "memory a run may use for its firm arrays (about 400 bytes per firm agent at the "
        "peak of a year, docs/RELIABILITY.md); a run that would exceed it stops with an error",
    )


class ProvinceParams(Section):
    term_length: int = param(5, 2, 10, "years", "an official's term before evaluation")
    subsidy_base: float = param(
        0.15,
        0.0,
        1.0,
        "index 0-1",
        "baseline subsidy intensity of a province in any sector",
        calibratable=True,
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        "the rule's anchors (docs/ODD.md 7.3) are Li and Zhou 2005, Zhou 2007 (the promotion "
        "tournament) and Jiang et al. 2012 (local land and credit subsidies that externalise "
        "cost and risk)",
    )
    w_align: float = param(
        0.35,
        0.0,
        1.0,
        "index",
        "weight on the centre's strategic label",
        calibratable=True,
        anchor="Jiang et al. 2012",
    )
    w_herd: float = param(
        0.3,
        0.0,
        1.0,
        "index",
        "weight on other provinces' mean intensity last year",
        calibratable=True,
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        "the rule's anchor is step 2 of the specification (herding: provinces subsidise what "
        "other provinces subsidise) and Zhou 2007, Li and Zhou 2005 (the tournament's effort "
        "spills over to rivals, hence duplication; docs/ODD.md 7.3)",
    )
    w_tournament: float = param(
        0.4,
        0.0,
        2.0,
        "index",
        "weight on the official's tournament incentive",
        calibratable=True,
        anchor="Li and Zhou 2005",
    )
    investment_push: float = param(
        0.15,
        0.0,
        2.0,
        "capacity share per year",
        "expansion a province has its state-owned and protected firms take on in a sector at "
        "full subsidy intensity and tournament incentive, whatever the return",
        calibratable=True,
        anchor="Zhou 2007; Li and Zhou 2005",
    )
    adjust_speed: float = param(
        0.5, 0.05, 1.0, "share/yr", "partial adjustment of intensity toward its target"
    )
    max_capex_subsidy: float = param(
        0.30,
        0.0,
        0.8,
        "share of capex",
        "capex share paid by the province at full intensity (land, grants)",
        calibratable=True,
        anchor="Jiang et al. 2012; Barwick et al. 2025",
    )
    max_operating_subsidy: float = param(
        0.05,
        0.0,
        0.3,
        "share of price",
        "operating subsidy (tax breaks) per unit of output",
        calibratable=True,
        anchor="no published estimate of the rate per unit: set in the documented range and "
        "calibrated (flag R); the rule's anchors: operating subsidies stand for the tax "
        "breaks of IMF WP/25/155 (Garcia-Macia et al. 2025: tax 1.5% of GDP of a fiscal cost "
        "of 4.4% in 2023; docs/ODD.md section 11) and Jiang et al. 2012 (docs/ODD.md 7.3)",
    )
    credit_subsidy_spread: float = param(
        0.02, 0.0, 0.06, "rate", "interest discount for firms at full subsidy intensity"
    )
    fiscal_share: float = param(
        0.04,
        0.0,
        0.2,
        "share of provincial GDP",
        "budget a province can spend on industrial policy",
        calibratable=True,
        anchor="IMF WP/25/155",
    )
    debt_limit: float = param(
        0.3, 0.0, 2.0, "share of provincial GDP", "borrowing room for industrial policy"
    )
    race_rate: float = param(
        0.1,
        0.0,
        0.5,
        "share of the sector's market per year",
        "capacity the provinces together sponsor a year in a strategic sector, as a share of "
        "its market, when every official's tournament incentive is 1 and budgets allow it; "
        "each province sponsors 1/P of it whatever its size",
        calibratable=True,
        calibration_range=(0.0, 0.3),
        anchor="Barwick, Kalouptsidi and Zahur 2025 (local entry subsidies in shipbuilding "
        "2006-12); provincial NEV and battery plans adding up to several times national "
        "demand (flag R): 0.1, the race alone adds a tenth of the market a year",
    )
    race_capex_share: float = param(
        0.3,
        0.0,
        0.8,
        "share of capex",
        "share of a sponsored project's capex the province pays (land, capital injections "
        "through local state firms and LGFVs, guarantees called)",
        anchor="the capex subsidy's default (Jiang et al. 2012; Barwick et al. 2025)",
    )
    race_max_share: float = param(
        0.01,
        0.0,
        0.05,
        "share of provincial GDP per year",
        "most a province spends on the race in a year",
        anchor="government guidance funds: about RMB 7 trn subscribed 2014-23, some 0.7% "
        "of GDP a year (Zero2IPO, recalled; flag R)",
    )
    protection_mean: float = param(
        0.3,
        0.0,
        1.0,
        "probability",
        "mean share of private entrants a province protects",
        calibratable=True,
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        "the rule's anchor is Zhou 2007 and Li and Zhou 2005 (the promotion tournament: "
        "effort spills over to rivals, hence duplication and protectionism; the "
        "specification's anchors, docs/ODD.md 7.3)",
    )
    promotion_intercept: float = param(
        -1.0,
        -5.0,
        5.0,
        "logit",
        "promotion logit intercept at peer-average growth",
        anchor="Li and Zhou 2005",
    )
    promotion_slope: float = param(
        2.5,
        0.0,
        10.0,
        "logit per std of growth",
        "promotion logit slope on relative growth",
        anchor="Li and Zhou 2005",
    )
    evaluation_boost: float = param(
        0.5, 0.0, 3.0, "share", "extra incentive in the last year of a term"
    )
    growth_noise: float = param(
        1.0, 0.0, 5.0, "percentage points", "province-specific growth shock (std)"
    )


class InvestmentParams(Section):
    visibility: float = param(
        0.4,
        0.0,
        1.0,
        "share",
        "share of others' capacity under construction an investor sees",
        calibratable=True,
        anchor="Lin, Wu and Xing 2010",
    )
    consensus_memory: float = param(
        0.5, 0.0, 0.95, "weight", "weight of past growth in the consensus growth signal"
    )
    plan_credibility: float = param(
        0.5,
        0.0,
        1.0,
        "weight",
        "weight investors give the growth a year of the centre's plan target for a strategic "
        "sector (data/plan_targets.csv) where it exceeds the consensus growth (0: plans are "
        "ignored; 1: believed in full)",
        calibratable=True,
        anchor="Five-Year Plan and sector plan targets for solar and NEVs were met or "
        "raised (NEA 2012-16; State Council 2012, 2020); no estimate of the weight: the "
        "midpoint of [0, 1] (flag R)",
    )
    nowcast_weight: float = param(
        0.0,
        0.0,
        1.0,
        "weight (log)",
        "omega: weight investors give this year's market, seen as the year unfolds, in the "
        "demand they expect: ln D^e = (1 - omega) ln D^e(last year's market) + omega ln "
        "D^e(this year's market, growth updated with it, horizon a year shorter); 0: last "
        "year's market alone",
        calibratable=True,
        anchor="installations, orders and sales are reported monthly (NEA and CPIA for "
        "solar, CAAM for vehicles), and a project started in a year is decided on average "
        "half-way through it, having seen about half the year (flag R: no estimate of the "
        "weight)",
    )
    growth_clip: float = param(
        1.0,
        0.05,
        2.0,
        "growth/yr",
        "bound on the consensus growth rate (both signs), in log points a year: the fastest "
        "growth investors extrapolate",
        calibratable=True,
        calibration_range=(0.3, 1.0),
        anchor="no estimate (flag R): the fastest sustained demand growth in the record is "
        "solar's and EVs' 50-100% a year (log 0.4-0.7; demand.csv), the range brackets it",
    )
    trend_damping: float = param(
        1.0,
        0.0,
        1.0,
        "weight a year",
        "phi of the damped-trend forecast: investors weigh the growth they extrapolate "
        "k years ahead by phi^k (1: the trend runs undamped over the forecast horizon; "
        "0: they expect last year's demand)",
        calibratable=True,
        calibration_range=(0.3, 1.0),
        anchor="Gardner and McKenzie 1985 (damped trend; phi of 0.8-0.98 typical in the "
        "M-competitions, Makridakis and Hibon 2000); growth rates of sales persist little "
        "(Chan, Karceski and Lakonishok 2003)",
    )
    expansion_speed: float = param(
        0.1,
        0.0,
        1.0,
        "capacity share per unit of log return ratio",
        "gamma in I/K = gamma ln(q): near q = 1 Tobin's q investment with quadratic "
        "adjustment costs, I/K = (q - 1)/phi, gamma = 1/phi (Hayashi 1982; annual phi of "
        "10-20 is typical); concave above, as Barnett and Sakellaris (1998) estimate",
        calibratable=True,
        anchor="Hayashi 1982; Barnett and Sakellaris 1998",
    )
    review_probability: float = param(
        0.5,
        0.05,
        1.0,
        "share/yr",
        "share of incumbents that review their investment plans in a year (plant investment "
        "is lumpy and staggered: Doms and Dunne 1998)",
    )
    max_expansion: float = param(
        1.0, 0.05, 5.0, "capacity share", "largest single expansion project of an incumbent"
    )
    entry_gap_share: float = param(
        0.5,
        0.0,
        2.0,
        "share of the perceived gap",
        "share of the perceived capacity gap entrants plan to fill in a year, at saturated "
        "excess return",
        calibratable=True,
        anchor="Lin, Wu and Xing 2010",
    )
    price_sensitivity: float = param(
        1.5,
        0.1,
        5.0,
        "elasticity",
        "elasticity of the expected price to the expected change in utilisation",
        calibratable=True,
        anchor="no published estimate: set in the documented range and calibrated (flag R; "
        "docs/ODD.md 7.5.3: the adaptive rule's, no anchor); the rule's anchor is Lin, Wu "
        "and Xing 2010 (the wave: investors' expectations, docs/ODD.md 7.5)",
    )
    fundamental_weight: float = param(
        0.0,
        0.0,
        1.0,
        "share (log weight)",
        "weight investors give the market's own clearing price at the demand they expect and "
        "the capacity they see (the fundamental price, read off the industry's cost curve) "
        "against the adaptive rule (last year's price moved with the expected change in "
        "utilisation); 0 = the adaptive rule alone",
        calibratable=True,
        anchor="heterogeneous expectations, a mix of fundamental and extrapolative rules: "
        "Brock and Hommes 1998, Hommes 2011 (laboratory markets); the fundamental price as "
        "the industry cost curve's marginal cost at the expected output: Tilton and Guzman "
        "2016 (Mineral Economics and Policy, ch. 3); model-consistent expectations: Muth 1961",
    )
    spare_capacity_cap: float = param(
        0.0,
        0.0,
        1.0,
        "share",
        "share of the expected price's excess over the normal price that investors discount "
        "where they expect utilisation at or below normal (spare capacity keeps the price at "
        "full cost); 0 = off, the adaptive rule alone",
        calibratable=True,
        anchor="the industry cost curve is flat at full cost over idle capacity: Tilton and "
        "Guzman 2016 (Mineral Economics and Policy, ch. 3); heterogeneous expectations: "
        "Brock and Hommes 1998",
    )
    entry_rate: float = param(
        0.02,
        0.0,
        0.5,
        "share of expected demand per unit of log return ratio",
        "entrants' capacity in a year, as a share of expected demand, per unit of ln(q) of "
        "a prototypical entrant (ln q ~ q - 1, the excess return, near q = 1; concave above)",
        calibratable=True,
        anchor="Barwick, Kalouptsidi and Zahur 2025; concavity: Barnett and Sakellaris 1998",
    )
    entry_saturation: float = param(
        0.0,
        0.0,
        10.0,
        "per share of expected demand",
        "s: entrants' capacity in a year saturates at 1/s of the expected demand, "
        "R / (1 + s R / D^e) for the unbounded rate R of the entry rule (a finite pool of "
        "potential entrants a year; 0: no bound)",
        calibratable=True,
        anchor="Barwick, Kalouptsidi and Zahur 2025 (a finite number of potential entrants "
        "each period, each entering when its value beats its entry cost); no estimate of s "
        "(flag R): the range runs from no bound to a tenth of the market a year; China's "
        "solar module capacity about doubled in 2010-11 (ITRPV, IEA PVPS), entry of the "
        "order of a year's market",
    )
    entrant_cost_advantage: float = param(
        0.03, 0.0, 0.3, "share", "entrants' unit-cost advantage (newest vintage)"
    )
    entrant_soe_share: float = param(
        0.5,
        0.0,
        1.0,
        "share",
        "probability an entrant is state-owned, relative to the sector's initial state share",
    )
    entrant_equity_share: float = param(
        0.3, 0.05, 1.0, "share of capex", "equity an entrant puts in"
    )
    private_risk_premium: float = param(
        0.04,
        0.0,
        0.2,
        "rate",
        "hurdle premium of a hard-budget investor (downside is its own)",
        calibratable=True,
        anchor="Kornai; Dewatripont and Maskin 1995",
    )
    soft_budget_cover: float = param(
        0.7,
        0.0,
        1.0,
        "share of losses",
        "share of a soft-budget investor's expected losses the state absorbs (refinancing, "
        "bailouts)",
        calibratable=True,
        anchor="Dewatripont and Maskin 1995; Kornai 1986",
    )
    price_uncertainty: float = param(
        0.25,
        0.0,
        1.0,
        "log sd",
        "uncertainty of the price investors expect (commodity price volatility is 20-30% a year)",
    )
    private_debt_equity_cap: float = param(
        1.5, 0.0, 10.0, "ratio", "debt over equity above which a private firm gets no new loans"
    )
    working_capital: float = param(
        0.0,
        0.0,
        0.4,
        "share of annual sales",
        "working capital (inventories and receivables) a project ties up besides the plant, "
        "as a share of its annual sales at the normal price and utilisation, counted in the "
        "return ratio's capital (0: the plant alone, the rule off)",
        calibratable=True,
        anchor="NBS, China Statistical Yearbook, main indicators of industrial enterprises "
        "above designated size: inventories plus receivables about 0.25-0.3 of a year's "
        "revenue (2010s, recalled R)",
    )


class CreditParams(Section):
    market_rate: float = param(
        0.06, 0.0, 0.2, "rate/yr", "benchmark lending rate (PBoC one-year rate, about 5-7%)"
    )
    soe_discount: float = param(
        0.015,
        0.0,
        0.05,
        "rate",
        "discount state-owned firms get",
        anchor="Dollar and Wei 2007; Song, Storesletten and Zilibotti 2011",
    )
    private_premium: float = param(0.02, 0.0, 0.1, "rate", "premium private firms pay")
    prime_margin: float = param(
        0.01,
        0.0,
        0.05,
        "rate",
        "the market minimum rate is market_rate minus this (zombie test part 1)",
        anchor="Caballero, Hoshi and Kashyap 2008",
    )
    bailout_rate_discount: float = param(
        0.03, 0.0, 0.06, "rate", "discount on loans to a bailed-out firm (evergreening)"
    )
    payout_ratio: float = param(
        0.3,
        0.0,
        0.9,
        "share of profit",
        "share of a year's positive profit paid out to owners (dividends to shareholders, "
        "to the state for state-owned firms, owners' drawings), in cash",
        anchor="CSRC 2008 and 2013 rules tying refinancing to cash dividends of 30% of "
        "distributable profit, A-share payout ratios near 30% in the 2010s; Ministry of "
        "Finance 2007 and 2014: central SOEs remit 5-25% of profit (recalled, R)",
        calibratable=True,
        calibration_range=(0.1, 0.6),
    )


class MarketParams(Section):
    normal_utilisation: float = Field(
        0.85,
        ge=0.5,
        le=1.0,
        description="utilisation at which the full cost equals the reference price, and that "
        "investors plan capacity for",
        json_schema_extra={
            "unit": "share",
            "calibratable": True,
            "calibration_range": [0.78, 0.9],
            "anchor": "normal utilisation of 79-83% (US Federal Reserve long-run average ~80%)",
        },
    )
    must_run_utilisation: float = param(
        0.75,
        0.0,
        1.0,
        "share",
        "utilisation state-owned and protected firms must keep",
        calibratable=True,
        calibration_range=(0.5, 0.9),
        anchor="no published estimate: set in the documented range and calibrated over "
        "0.5-0.9 (flag R); the rule's anchor is step 5 of the specification (docs/ODD.md "
        "7.6): state-owned and protected firms must run at a target utilisation whatever "
        "the price (output and employment targets)",
    )
    overtime_premium: float = param(
        0.3,
        0.0,
        2.0,
        "share of unit cost",
        "extra marginal cost of running a plant above normal utilisation (short-run marginal "
        "cost rises steeply near capacity)",
        calibratable=True,
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        "the rule, a merit-order short-run supply whose marginal cost rises steeply near "
        "capacity (docs/ODD.md sections 4, 7.6 and 7.7), cites no source either",
    )
    inventory_sell_rate: float = param(
        0.5, 0.0, 1.0, "share/yr", "share of inventory offered each year whatever the price"
    )
    inventory_adjustment: float = param(
        0.5,
        0.0,
        1.0,
        "share/yr",
        "share of its inventory a firm under an output target takes off its must-run output "
        "(stock adjustment: production = target - a x inventory); 0: targets are met "
        "whatever is unsold",
        calibratable=True,
        calibration_range=(0.2, 1.0),
        anchor="stock-adjustment (production-smoothing) models of inventories: Lovell (1961); "
        "Blinder and Maccini (1991), who report slow adjustment, a quarter to a half of the "
        "gap a year in manufacturing",
    )
    max_stock: float = param(
        0.1,
        0.0,
        1.0,
        "share of a year's sales",
        "most finished-goods stock a firm under an output target will hold, as a share of "
        "its capacity's part of last year's sector sales: its must-run output is at most "
        "(1 + h) sigma_{s,t-1} K_i - inv_i",
        anchor="NBS, industrial enterprises above designated size: finished-goods inventory "
        "turnover of about 15-20 days of sales in 2015-2024 (about 0.05 of a year; recalled, "
        "R); the ceiling allows about twice that, five weeks",
    )
    distress_cost_ratio: float = param(
        0.9,
        0.3,
        1.5,
        "share of cash cost",
        "lowest price buyers pay, as a share of the sector's cash (variable) cost at "
        "today's input prices and learning; unsold output below it goes to inventory",
        calibratable=True,
        calibration_range=(0.75, 1.0),
        anchor="troughs of China's price wars against cash cost (recalled, R): PV modules "
        "sold about 10-20% below cash cost in 2012 and 2024; steel in December 2015 about at "
        "mills' cash cost (member mills of the China Iron and Steel Association lost about "
        "2% of sales in 2015 while ore had fallen by two thirds since 2011); Qinhuangdao coal "
        "at about RMB 370/t in late 2015, near most mines' cash cost",
    )
    scarcity_price: float = param(
        2.5,
        1.0,
        10.0,
        "multiple of normal price",
        "highest price; demand above it is rationed. In the record's scarcities the state "
        "capped the price and rationed the rest (Price Law 1997, art. 30: temporary "
        "intervention): thermal coal at Qinhuangdao capped at RMB 860/t in June 2008, about "
        "1.7-1.9 times its 2005-06 level; after the interventions of October 2021 the spot "
        "price fell back to about RMB 1,000-1,200/t, 1.5-1.8 times the middle of the "
        "570-770 'reasonable range' set in 2022; power rationed in 2004, 2008 and 2021 "
        "(recalled, to be checked against the NDRC's notices); the default 2.5 is the "
        "model's earlier, unanchored bound, the calibration searches 1.3-2.5",
        calibratable=True,
        calibration_range=(1.3, 2.5),
        anchor="NDRC temporary price interventions on thermal coal (2008; 2021) and the "
        "2022 reasonable range for Qinhuangdao 5,500 kcal coal (recalled, R); Price Law of "
        "the PRC (1997) art. 30; the 2008 ratio checked against the annual Qinhuangdao spot "
        "price of the BP Statistical Review of World Energy 2021 (about 1.7 in yuan)",
    )
    price_adjustment: float = param(
        1.0,
        0.05,
        1.0,
        "share/yr",
        "share of the way from last year's price to this year's clearing price that the "
        "year's price moves (the year's price is the mean of prices set through it); the "
        "long side of the market is rationed as under a floor; 1 clears the market each year",
        calibratable=True,
        calibration_range=(0.3, 1.0),
        anchor="a gap closed evenly through the year leaves the year's mean price about half "
        "way (monthly spot prices); annual contract prices follow last year's: coal's "
        "long-term contracts (2017 on), iron ore's annual benchmark (to 2010); Blinder et al. "
        "1998 and Carlton 1986: the median industrial price changes about once a year",
    )
    export_elasticity: float = param(
        3.0,
        0.5,
        10.0,
        "elasticity",
        "Armington elasticity of China's export share to relative delivered price",
        calibratable=True,
        calibration_range=(2.0, 8.0),
        anchor="Armington / trade elasticity: Broda and Weinstein 2006 (QJE), median "
        "elasticity of substitution among imported varieties about 3; Simonovska and Waugh "
        "2014 (JIE), trade elasticity about 4; Head and Mayer 2014 (Handbook of "
        "International Economics), meta-analysis median about 5 (recalled, flag R); the "
        "calibration range 2-8 spans them",
    )
    export_share_cap: float = param(
        0.8, 0.1, 1.0, "share", "largest share of a foreign market China can take"
    )
    reference_price_memory: float = param(
        0.7,
        0.0,
        1.0,
        "weight",
        "weight of the past in the reference price of domestic demand, an exponential moving "
        "average of realised prices over normal prices: the share of a price change the "
        "demand paths do not yet hold a year later (partial adjustment; the lag coefficient "
        "of 0.6-0.8 in Koyck demand equations, Dahl and Sterner 1991); 1 holds the reference "
        "at the normal price",
        anchor="Dahl and Sterner 1991: short-run elasticities about 0.3 of long-run ones, a "
        "lag coefficient of about 0.7",
    )


class ExitParams(Section):
    rescue_private: float = param(
        0.2,
        0.001,
        0.999,
        "probability",
        "probability that an insolvent small private unprotected firm is rescued in a regime "
        "without stability concern (sets the bailout logit's intercept, logit(p))",
        calibratable=True,
        anchor="private firms' hard budget (Brandt and Li 2003); zombie shares of private "
        "firms of a few percent (Tan, Huang and Woo 2016; Lam et al. 2017)",
    )
    rescue_soe: float = param(
        0.6,
        0.001,
        0.999,
        "probability",
        "probability that an insolvent small state-owned firm is rescued in a regime without "
        "stability concern (the bailout logit's ownership term is logit(p_soe) - "
        "logit(p_private))",
        calibratable=True,
        anchor="state-owned firms about three times as likely as private ones to be zombies "
        "(Lam et al. 2017, IMF WP/17/266; Tan, Huang and Woo 2016)",
    )
    bailout_size: float = param(
        20.0,
        0.0,
        200.0,
        "logit per share",
        "bailout logit per share of the province's modelled capacity value (local employment)",
    )
    bailout_protection: float = param(
        1.5, 0.0, 10.0, "logit", "bailout logit added for a protected firm"
    )
    recap_equity_ratio: float = param(
        0.1, 0.0, 0.5, "share of assets", "equity a bailout restores (debt written off to reach it)"
    )
    salvage_share: float = param(
        0.3, 0.0, 1.0, "share of book capital", "what creditors recover from an exiting firm"
    )
    asset_sale_share: float = param(
        0.0,
        0.0,
        1.0,
        "share of capacity",
        "share of an exiting firm's installed capacity sold, at the salvage price, to the "
        "surviving firms of its sector (in proportion to their capacity; those with positive "
        "equity), which keep running it; the rest is scrapped. 0 = every exit scraps its plant",
        calibratable=True,
        anchor="displaced capital is mostly redeployed by other firms of the industry, at a "
        "discount (Ramey and Shapiro 2001, aerospace plants; Pulvino 1998, aircraft); the "
        "buyers are industry peers (Shleifer and Vishny 1992); in China's solar glut bankrupt "
        "makers' plants went to other makers (Shunfeng took over Suntech's Wuxi plant, 2014) "
        "while module capacity kept growing (CPIA); no estimate of the share (R)",
    )
    zombie_leverage: float = param(
        0.5,
        0.0,
        1.0,
        "debt/assets",
        "leverage above which a weak borrower whose debt still rises, with a forbearing "
        "lender, is evergreened (a zombie without cheap credit)",
        anchor="Fukuda and Nakamura 2011 (FN-CHK evergreen-lending part); Tan, Huang and Woo 2016",
    )
    zombie_years: int = param(
        2,
        1,
        5,
        "years",
        "years in a row the test must hold",
        anchor="Nie et al. 2016 (Renmin University zombie report: two consecutive years)",
    )


class BankParams(Section):
    """The state banking system: who bears a rescue, evergreening and bad loans."""

    fiscal_share_of_rescue: float = param(
        0.2,
        0.0,
        1.0,
        "share of a rescue",
        "share of a rescue (the equity it restores) the province pays from its budget; the "
        "state bank writes down the rest of the debt (a non-performing loan) and rolls the "
        "remaining loan over at a concessional rate (evergreening)",
        anchor="the bulk of rescue costs sits with banks and asset-management companies: the "
        "1999-2000 carve-out of RMB 1.4 tn of bad loans to four AMCs, financed by AMC bonds "
        "held by the banks and central-bank lending; the 2016 debt-for-equity swaps run by "
        "the banks' own subsidiaries (State Council Opinions No. 54, 2016); local budgets "
        "pay a minority (Lardy 1998; Ma 2006; IMF WP/25/155 counts only the fiscal part)",
    )
    npl_disposal_rate: float = param(
        0.5,
        0.0,
        1.0,
        "share/yr",
        "share of the banks' stock of non-performing loans written off against provisions "
        "or sold to asset-management companies each year",
        anchor="banks disposed of about RMB 1.9-3.1 tn of bad loans a year in 2018-21 against "
        "a commercial-bank NPL stock of about RMB 2.0-2.9 tn (CBIRC press releases; "
        "recalled, R)",
    )
    evergreen_years: int = param(
        3,
        0,
        20,
        "years",
        "years a rescued firm may stay a zombie before the bank stops rolling its loans "
        "over: beyond them each further rescue grows less likely",
        anchor="State Council executive meeting of December 2015 and Opinions No. 6/7 (2016): "
        "zombie enterprises are those with three years of losses in a row that live on "
        "government subsidies and bank loans",
    )
    evergreen_fade: float = param(
        0.5,
        0.0,
        1.0,
        "factor per year",
        "each year a rescued firm stays a zombie beyond evergreen_years multiplies its "
        "rescue probability by this (1: the bank never stops; 0: it stops at once)",
        anchor="assumption: the banks' 2016-18 instruction to cut credit to listed zombie "
        "firms (CBRC 2016) made repeated rollovers ever less likely",
    )


class MacroParams(Section):
    gdp_start: float = param(
        1_900_000.0,
        1.0,
        1e9,
        "US$ m (2023 prices)",
        "China's real GDP in start_year at 2023 prices and exchange rate: US$17.79 tn in 2023 "
        "(World Bank WDI, GDP in current US$) over the real growth of 1995-2023, a factor of "
        "9.36 from the NBS yearly real growth rates (recalled, R); about US$1.9 tn",
        anchor="World Bank WDI NY.GDP.MKTP.CD (2023); NBS China Statistical Yearbook, GDP index",
    )
    rest_growth_start: float = param(
        9.5,
        0.0,
        15.0,
        "percent/yr",
        "trend growth of the rest of the economy at start_year",
        calibratable=True,
        calibration_range=(8.0, 11.0),
        anchor="Pritchett and Summers 2014; World Bank WDI",
    )
    rest_growth_floor: float = param(
        3.0,
        0.0,
        10.0,
        "percent/yr",
        "long-run trend growth the rest of the economy converges to",
        calibratable=True,
        calibration_range=(2.5, 5.0),
        anchor="Pritchett and Summers 2014",
    )
    rest_growth_halflife: float = param(
        18.0,
        1.0,
        100.0,
        "years",
        "half-life of the convergence of trend growth",
        calibratable=True,
        calibration_range=(5.0, 40.0),
        anchor="no published estimate of the half-life: set in the documented range and "
        "calibrated over 5-40 years (flag R); the rule's anchor is Pritchett and Summers "
        "2014 (NBER WP 20573): growth converges toward a long-run rate (docs/ODD.md 7.12.1)",
    )
    income_feedback: float = param(
        0.5,
        0.0,
        3.0,
        "multiplier",
        "rest-of-economy growth per point of growth contributed by the modelled sectors above "
        "their trend (a demand multiplier)",
    )
    income_gap_bound: float = param(
        5.0,
        0.0,
        20.0,
        "percentage points",
        "bound on the growth gap that shifts domestic demand (demand paths already hold trend)",
    )
    deflation_feedback: float = param(
        0.05, 0.0, 1.0, "pp per pp", "rest-of-economy growth lost per point of producer deflation"
    )
    income_elasticity: float = param(
        1.0,
        0.0,
        3.0,
        "elasticity",
        "domestic demand response to GDP growth above its trend (demand paths already hold trend)",
    )
    extrapolation_damping: float = param(
        0.8,
        0.0,
        1.0,
        "per year",
        "past the last demand anchor, growth decays by this factor a year",
    )
    initial_cumulative_years: float = param(
        8.0,
        1.0,
        50.0,
        "years of demand",
        "world cumulative output before the first year, as years "
        "of first-year world demand (Wright's-law base)",
    )


REGIMES = ("loosen", "chaos", "control", "stagnation")
GROWTH_TARGET = (-20.0, 30.0)  # percent a year: the range a GDP growth target may take
PARTNERS = ("USA", "EU", "MEX", "TUR", "BRA", "IND", "ZAF", "VNM", "THA", "ROW")
EVENT_KINDS = (
    "regime",
    "stimulus",
    "campaign",
    "price_floor",
    "tariff",
    "countermeasure",
    "demand_shock",
    "macro_shock",
    "output_cap",
    "capacity_replacement",
    "set",
)


class Event(Section):
    """A scripted event: between its years it overrides or adds to the endogenous
    dynamics. Events are a table of named entries, so a scenario that inherits another can
    change or disable one by name (``enabled = false``)."""

    kind: str = Field(..., description="one of " + ", ".join(EVENT_KINDS))
    years: tuple[int, int] = Field(..., description="first and last year, inclusive")
    enabled: bool = Field(True, description="false switches the event off")
    sectors: list[str] = Field(["ALL"], description="sector ids, or ['ALL']")
    partner: str | None = Field(None, description="trade partner id (tariff, countermeasure)")
    regime: str | None = Field(None, description="forced regime (kind regime)")
    size: float = Field(
        0.0,
        ge=-0.9,
        le=3.0,
        description="demand_shock: proportional change of domestic demand; macro_shock: "
        "percentage points of rest-of-economy growth /100; stimulus: extra demand share; "
        "output_cap: the utilisation cap, share of capacity (0 < size <= 1); "
        "capacity_replacement: units of capacity retired per unit built (1 <= size <= 3)",
    )
    duty: float = Field(0.0, ge=0.0, le=5.0, description="tariff: ad valorem duty")
    floor: float = Field(0.0, ge=0.0, le=2.0, description="price_floor: share of average cost")
    evasion: float | None = Field(
        None, ge=0.0, le=1.0, description="price_floor: share of the gap to the floor evaded"
    )
    intensity: float | None = Field(
        None, ge=0.0, le=5.0, description="campaign: intensity (default: control regime's)"
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="set: parameter path -> value while the event runs"
    )
    source: str = Field("", description="where the event and its size come from")

    @model_validator(mode="after")
    def _check(self) -> Event:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"kind {self.kind!r} unknown; allowed: {', '.join(EVENT_KINDS)}")
        if self.years[1] < self.years[0]:
            raise ValueError(f"years {list(self.years)}: the last year is before the first")
        lo, hi = YEARS
        if not (lo <= self.years[0] and self.years[1] <= hi):
            raise ValueError(f"years {list(self.years)} (allowed: {lo} to {hi})")
        if self.kind == "regime" and self.regime not in REGIMES:
            raise ValueError(f"regime {self.regime!r} unknown; allowed: {', '.join(REGIMES)}")
        if self.kind in ("tariff", "countermeasure") and self.partner not in PARTNERS:
            raise ValueError(
                f"partner {self.partner!r} unknown; a {self.kind} event needs one of "
                + ", ".join(PARTNERS)
            )
        if self.kind == "output_cap" and not 0.0 < self.size <= 1.0:
            raise ValueError(
                f"size {self.size}: an output_cap event caps utilisation, a share of capacity "
                "above 0 and at most 1"
            )
        if self.kind == "capacity_replacement" and not 1.0 <= self.size <= 3.0:
            raise ValueError(
                f"size {self.size}: a capacity_replacement event sets the capacity retired "
                "per unit built, at least 1 (equal replacement) and at most 3"
            )
        if self.kind == "set":
            for key in self.params:
                head = key.split(".")[0]
                if head in ("sectors", "time", "population", "events", "sectors_enabled"):
                    raise ValueError(
                        f"params.{key}: a set event cannot change {head} during a run; "
                        "allowed: switches, provinces, investment, credit, market, exit, "
                        "macro, centre, trade, reform"
                    )
                if key in INPUT_SWITCHES:
                    raise ValueError(
                        f"params.{key}: the run's exogenous paths are built once, at its "
                        "start, so a set event cannot change this switch during a run; "
                        "set it in the scenario's [switches] instead"
                    )
                _check_path(key.split("."), f"params.{key}")
        return self


class SectorParams(Section):
    ref_price: float = Field(..., gt=0, description="reference price, US$ per unit (2023)")
    capex: float = Field(..., gt=0, description="capex per unit of annual capacity, US$")
    vc_share: float = Field(..., gt=0, lt=1, description="variable-cost share of ref_price")
    learning_rate: float = Field(..., ge=0, lt=1, description="cost fall per doubling")
    plant_size: float = Field(..., gt=0, description="typical plant, units/yr")
    plant_life: float = Field(..., gt=0, description="years")
    build_lag: float = Field(..., gt=0, description="years from decision to capacity")
    elasticity: float = Field(
        ...,
        gt=0,
        description="absolute long-run price elasticity of demand (held by the demand paths; "
        "not read by the engine)",
    )
    short_run_elasticity: float = Field(
        ..., gt=0, description="absolute short-run price elasticity of domestic demand"
    )
    soe_share: float = Field(..., ge=0, le=1, description="state-owned share of initial capacity")
    export_share: float = Field(..., ge=0, le=1, description="Armington base share abroad")
    foreign_cost_ratio: float = Field(..., gt=0, description="foreign unit cost / Chinese normal")
    freight: float = Field(
        ..., ge=0, description="freight per unit to foreign buyers / reference price"
    )
    china_cum_share: float = Field(
        ..., ge=0, le=1, description="China's share of world cumulative output to 2023"
    )
    obsolescence: float = Field(
        ...,
        ge=0,
        le=1,
        description="share of the sector's learning embodied in a production line: capacity "
        "of an older vintage keeps that share of its cost gap to today's frontier",
    )
    presence_start: float = Field(
        ...,
        gt=0,
        le=1,
        description="China's presence in foreign markets at the start of a run, as a share of "
        "its Armington base share (read with switches.export_presence)",
    )


SECTOR_PARAMS = tuple(SectorParams.model_fields)


class RegimeInstruments(Section):
    """What the centre does in one regime of the policy cycle."""

    subsidy_multiplier: float = param(
        1.0,
        0.0,
        3.0,
        "multiplier",
        "multiplies provinces' subsidy targets",
        calibratable=True,
        anchor="no published estimate: each regime's value is set in its documented range "
        "and calibrated (flag R): loosen 1-2, control 0.3-1, stagnation 0.5-1.2, chaos "
        "neutral at 1 (docs/CALIBRATION.md; calibration.REGIME_KNOBS); the rule's anchor is "
        f"{CYCLE_ANCHOR}: loosen "
        "puts credit and subsidies up, control cuts capacity and tightens credit (docs/ODD.md "
        "7.10.2)",
    )
    credit_spread: float = param(
        0.0, -0.05, 0.05, "rate", "added to every lending rate (negative = easy credit)"
    )
    entry_approval: float = param(
        1.0, 0.0, 2.0, "multiplier", "scales project approvals (expansion and entry)"
    )
    campaign_intensity: float = param(
        0.0,
        0.0,
        5.0,
        "share of the utilisation gap",
        "capacity cut per year as a share of capacity x (goal - utilisation), in targeted sectors",
        calibratable=True,
        anchor="no published estimate: set in the documented range and calibrated in the "
        "control regime over 0.1-3 (flag R; 0 by default in the other regimes, which run "
        "no campaigns); the rule's anchor is step 8 of the specification (in the control regime "
        "targeted sectors retire a share of capacity, highest-cost first) and the 2016 "
        "campaigns of State Council Opinions No. 6 and No. 7: the cut follows from the "
        "utilisation gap, never a tonnage (docs/ODD.md 7.10.4)",
    )
    stimulus_demand: float = param(
        0.0,
        0.0,
        0.5,
        "share of demand",
        "infrastructure demand added to the construction sectors",
    )
    price_floor: float = param(
        0.0, 0.0, 1.5, "share of average cost", "price floor (0 = none) in every sector"
    )
    output_cap: float = param(
        1.0,
        0.05,
        1.0,
        "share of capacity",
        "utilisation cap on every firm (must-run included) in the sectors the campaign targets "
        "(utilisation below centre.campaign_goal); 1 = none. Off in every regime by default: "
        "restrictions are scripted (output_cap events) where the record has them",
        anchor="NDRC 2016 (276 working days for coal mines, 276/330 = 0.84); MEP 2017 "
        "'2+26 cities' winter curbs on steel",
    )
    stability_concern: float = param(
        0.0,
        0.0,
        5.0,
        "logit",
        "added to the bailout logit: how much the regime fears failures and lay-offs",
        anchor="step 7 of the specification (docs/ODD.md section 3); Kornai 1986 (the soft "
        "budget as a political constraint)",
    )


class CentreParams(Section):
    """The centre: growth targets and strategic sectors by year, and the policy cycle
    放 loosen -> 亂 chaos -> 管 control -> 死 stagnation -> 放 loosen."""

    strategic: dict[str, list[tuple[int, int]]] | None = Field(
        None,
        description="sector -> list of [from, to] years it is strategic; "
        "default data/strategic.csv",
    )
    growth_targets: dict[int, float] | None = Field(
        None, description="year -> GDP growth target (percent); default data/growth_targets.csv"
    )
    initial_regime: str = Field("loosen", description="regime in the first simulated year")
    chaos_utilisation: float = param(
        0.80,
        0.3,
        1.0,
        "share",
        "loosen -> chaos when aggregate utilisation falls below this",
        calibratable=True,
        calibration_range=(0.65, 0.9),
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        f"the rule's anchor is {CYCLE_ANCHOR}: "
        "chaos when overcapacity, deflation or the zombie share cross "
        "thresholds (docs/ODD.md 7.10.1)",
    )
    chaos_ppi: float = param(
        -2.0,
        -20.0,
        10.0,
        "percent",
        "... or producer prices fall faster than this",
        calibratable=True,
        calibration_range=(-8.0, 0.0),
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        f"the rule's anchor is {CYCLE_ANCHOR}: "
        "chaos when overcapacity, deflation or the zombie share cross "
        "thresholds (docs/ODD.md 7.10.1)",
    )
    chaos_zombie_share: float = param(
        0.15,
        0.0,
        1.0,
        "share",
        "... or the zombie share rises above this",
        calibratable=True,
        calibration_range=(0.05, 0.4),
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        f"the rule's anchor is {CYCLE_ANCHOR}: "
        "chaos when overcapacity, deflation or the zombie share cross "
        "thresholds (docs/ODD.md 7.10.1)",
    )
    reaction_lag: int = param(
        2,
        0,
        10,
        "years",
        "chaos -> control after chaos has lasted this long",
        calibratable=True,
        calibration_range=(1, 4),
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        f"the rule's anchor is {CYCLE_ANCHOR}: "
        "disorderly competition is tolerated for a reaction lag before "
        "control (docs/ODD.md 7.10.1)",
    )
    stagnation_margin: float = param(
        0.5,
        -5.0,
        10.0,
        "percentage points",
        "control -> stagnation when GDP growth falls this far below its target",
        calibratable=True,
        calibration_range=(-1.0, 3.0),
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        f"the rule's anchor is {CYCLE_ANCHOR}: "
        "stagnation when growth falls below target by a margin under "
        "control (docs/ODD.md 7.10.1)",
    )
    control_max_years: int = param(
        4,
        1,
        20,
        "years",
        "control -> stagnation at the latest after this long (campaigns end); 20 = only "
        "the growth rule of docs/ODD.md section 7.10 ends control",
        calibratable=True,
        anchor="campaign-style enforcement of Chinese industrial policy: campaigns run a few "
        "years and are then relaxed (Kostka and Hobbs 2012 on energy-saving campaigns; the "
        "2004 macro-control campaign lasted until the 2008 stimulus; docs/ODD.md 7.10.1); "
        "calibrated over the whole range, 20 leaving only the specification's growth rule",
    )
    stagnation_lag: int = param(
        2,
        0,
        10,
        "years",
        "stagnation -> loosen after stagnation has lasted this long",
        calibratable=True,
        calibration_range=(1, 4),
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        f"the rule's anchor is {CYCLE_ANCHOR}: "
        "loosen when stagnation has lasted its lag (docs/ODD.md 7.10.1)",
    )
    loosen: RegimeInstruments = RegimeInstruments(
        subsidy_multiplier=1.2, credit_spread=-0.005, entry_approval=1.1, stimulus_demand=0.02
    )
    chaos: RegimeInstruments = RegimeInstruments()
    control: RegimeInstruments = RegimeInstruments(
        subsidy_multiplier=0.7,
        credit_spread=0.005,
        entry_approval=0.6,
        campaign_intensity=0.5,
        stability_concern=0.5,
    )
    stagnation: RegimeInstruments = RegimeInstruments(
        subsidy_multiplier=0.9, credit_spread=0.0, entry_approval=0.9, stability_concern=1.0
    )
    campaign_goal: float = param(
        0.80,
        0.5,
        1.0,
        "share",
        "utilisation a campaign aims for; sectors below it are targeted",
        anchor="State Council Guiding Opinions on overcapacity 2013; NDRC 2016",
    )
    campaign_plan_years: int = param(
        3,
        0,
        5,
        "years",
        "a campaign's plan: the cut k (u* - u) K is set once, in the year the campaign "
        "starts in a sector, and carried out in equal parts over this many years while the "
        "campaign lasts; 0 = the cut recomputed every year from that year's utilisation gap",
        anchor="State Council Opinions No. 6 (2016): steel to cut 100-150 Mt in five years; "
        "No. 7 (2016): coal to retire about 500 Mt in three to five years; Guidance No. 41 "
        "(2013): five years; the NDRC's yearly targets spread them (steel 45, 50 and 30 Mt "
        "in 2016-18; coal 250, 150 and 150 Mt; recalled, R)",
        calibratable=True,
        calibration_range=(1, 5),
    )
    campaign_compliance: float = param(
        0.7,
        0.0,
        1.0,
        "share",
        "share of a reported cut that is real (the rest is on paper)",
        calibratable=True,
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        "the rule's anchor is step 8 of the specification (campaigns retire capacity with a "
        "compliance rate, part of the cut on paper only) and the 2016 campaigns of State "
        "Council Opinions No. 6 and No. 7 (docs/ODD.md 7.10.4)",
    )
    campaign_approval: float = param(
        0.0,
        0.0,
        1.0,
        "share",
        "approvals of new capacity (expansion and entry) in a sector a campaign targets this "
        "year, as a multiple of the regime's approvals; 0 freezes them",
        anchor="State Council Guidance No. 41 (2013): no new capacity projects in steel, cement, "
        "aluminium, flat glass and shipbuilding; Opinions No. 6 and No. 7 (2016): no new coal "
        "mines approved for three years and no new steel capacity; new capacity only by "
        "replacing retired capacity (MIIT capacity-replacement rules, 2015 and 2018)",
        calibratable=True,
    )
    replacement_compliance: float = param(
        1.0,
        0.0,
        1.0,
        "share",
        "share of new capacity in a sector under a capacity_replacement event that the rule "
        "binds: the rest is built as if there were no rule (projects filed as replacements "
        "of capacity already idle or never built, or approved locally)",
        anchor="the rule: State Council Guidance No. 41 (2013), equal or reduced replacement "
        "for any new project in steel, cement, aluminium and flat glass; MIIT's replacement "
        "measures for those sectors (2015), for steel and for cement and flat glass (late "
        "2017) and for steel again (2021: 1.5 to 1 in key air-pollution regions, 1.25 to 1 "
        "elsewhere) (recalled, R). Compliance: inspections found replacements counted from "
        "idle or already closed plants; no estimate of the share (R)",
        calibratable=True,
    )
    campaign_compensation: float = param(
        0.3,
        0.0,
        1.0,
        "share of book capital",
        "compensation the state pays for retired capacity (the 2016 special fund of RMB 100 bn)",
    )
    campaign_zombie_share: float = param(
        0.3,
        0.0,
        1.0,
        "share per year",
        "share of zombie firms' capacity a campaign closes in a sector it cuts, before the "
        "highest-cost rule applies to the rest of the cut",
        anchor="State Council Opinions No. 6 and No. 7 (2016) on the disposal of zombie "
        "enterprises; SASAC listed about 2,000 zombie and loss-making central-SOE units in "
        "2016 for disposal by 2018, most disposed by then (recalled, R): about a third a year",
    )
    floor_evasion: float = param(
        0.5,
        0.0,
        1.0,
        "share",
        "share of the gap to a price floor evaded by hidden discounts",
    )
    construction_sectors: list[str] = Field(
        ["steel", "cement", "flat_glass", "aluminium"],
        description="sectors that feed construction (stimulus demand)",
    )
    campaign_sectors: list[str] = Field(
        [
            "steel",
            "coal",
            "cement",
            "aluminium",
            "flat_glass",
            "shipbuilding",
            "refining",
            "autos",
            "solar_pv",
        ],
        description="sectors the regime's campaigns (capacity cuts, the approvals freeze "
        "and output caps) can reach: those the centre's overcapacity documents named, "
        "1999-2016 (anchors: docs/ODD.md 7.10.4); ALL reaches every sector. Scripted "
        "campaign events reach the sectors they name",
    )

    @model_validator(mode="after")
    def _tables(self) -> CentreParams:
        lo, hi = YEARS
        if self.growth_targets is not None:
            if not self.growth_targets:
                raise ValueError("growth_targets: give at least one year -> target (percent)")
            for year, target in self.growth_targets.items():
                if not lo <= year <= hi:
                    raise ValueError(f"growth_targets: year {year} (allowed: {lo} to {hi})")
                if not math.isfinite(target) or not GROWTH_TARGET[0] <= target <= GROWTH_TARGET[1]:
                    raise ValueError(
                        f"growth_targets.{year} = {target} (allowed: {GROWTH_TARGET[0]} to "
                        f"{GROWTH_TARGET[1]} percent)"
                    )
        for sec, spans in (self.strategic or {}).items():
            for a, b in spans:
                if b < a:
                    raise ValueError(
                        f"strategic.{sec}: years [{a}, {b}]: the last year is before the first"
                    )
                if not (lo <= a <= hi and lo <= b <= hi):
                    raise ValueError(f"strategic.{sec}: years [{a}, {b}] (allowed: {lo} to {hi})")
        return self


class TradeParams(Section):
    """Trade partners, trade defence and countermeasures."""

    wto_year: int = param(2001, 1950, 2100, "year", "China joins the WTO")
    presence_rate: float = param(
        0.5,
        0.0,
        2.0,
        "per year",
        "how fast China wins a foreign market it is not yet present in (with "
        "switches.export_presence): presence k grows by this rate times exports over their "
        "full-presence level times (1 - k), a logistic in the exports themselves",
        anchor="logistic diffusion: Griliches 1957 (hybrid corn, logistic slopes of about 0.4 "
        "to 1 a year across US states; recalled, flag R); customers won by selling, Drozd "
        "and Nosal 2012 (AER) and Gourio and Rudanko 2014 (REStud): a new exporter's sales "
        "in a market grow over years at given prices; the calibration range 0.2-1.0 spans "
        "the diffusion slopes",
        calibration_range=(0.2, 1.0),
        calibratable=True,
    )
    pre_wto_duty: float = param(
        0.10,
        0.0,
        1.0,
        "ad valorem",
        "trade cost on Chinese goods before WTO entry (tariff risk, quotas)",
        anchor="Pierce and Schott 2016; Handley and Limao 2017",
    )
    defence_intercept: float = param(
        -4.0,
        -15.0,
        5.0,
        "logit",
        "yearly trade-defence hazard with no surge and no dumping",
        calibratable=True,
        anchor="no published estimate: set in the documented range and calibrated (flag R); "
        "the rule's anchors (docs/ODD.md 7.11) are Bown and Crowley 2013 (JIE: trade defence "
        "triggered by import surges) and the WTO Anti-Dumping Agreement (art. 2 dumping "
        "margin, art. 11.3 five-year sunset)",
    )
    defence_surge: float = param(
        20.0,
        0.0,
        200.0,
        "logit per share point / 100",
        "hazard per rise of China's share of the partner's market over three years",
        calibratable=True,
        anchor="Bown and Crowley 2013",
    )
    defence_dumping: float = param(
        6.0,
        0.0,
        50.0,
        "logit per unit margin",
        "hazard per dumping margin (China's price below its own average cost, the "
        "constructed normal value)",
        calibratable=True,
        anchor="WTO Anti-Dumping Agreement art. 2",
    )
    defence_injury: float = param(
        6.0,
        0.0,
        50.0,
        "logit per unit margin",
        "hazard per injury margin (China's landed price below the partner's producers' "
        "cost, as a share of that cost: price undercutting)",
        calibratable=True,
        anchor="WTO Anti-Dumping Agreement art. 3.2 (price undercutting); no separate "
        "estimate: set equal to defence_dumping's default, both being price gaps in shares",
    )
    de_minimis: float = param(
        0.02,
        0.0,
        0.5,
        "share of price",
        "dumping margin at or below which no measure is opened or kept (the case is terminated)",
        anchor="WTO Anti-Dumping Agreement art. 5.8: de minimis below 2% of the export price",
    )
    negligible_share: float = param(
        0.03,
        0.0,
        0.2,
        "share of the partner's market",
        "China's share of a partner's market below which its exports there are negligible "
        "and no case is opened (measures in force are still reviewed as before)",
        anchor="WTO Anti-Dumping Agreement art. 5.8 (imports from a country under 3% of the "
        "importing Member's imports of the product are negligible; the model's partners "
        "have no third-country imports, so China's share of the market stands in)",
    )
    injury_output_growth: float = param(
        0.0,
        -0.5,
        1e9,
        "growth a year",
        "a case opens only where the partner's producers' output (its market less China's "
        "exports to it) grew by less than this over the year (0: it fell), or was nil the "
        "year before; 1e9 opens cases whatever it did, the rule before session 33",
        calibratable=True,
        anchor="WTO Anti-Dumping Agreement art. 3.1 and 3.4 (material injury on positive "
        "evidence: a decline in output, sales, market share); filings are countercyclical, "
        "rising as the domestic industry's output falls (Knetter and Prusa 2003; Bown and "
        "Crowley 2013)",
        calibration_range=(-0.1, 0.1),
    )
    measure_duty: float = param(
        0.25,
        0.0,
        3.0,
        "ad valorem",
        "duty of a new measure at zero margin: stands for the surrogate-country normal value "
        "partners used for China as a non-market economy",
        anchor="WTO/Global Trade Alert: AD duties on China are often 20-60%; China's WTO "
        "Accession Protocol section 15 (surrogate-country normal value)",
    )
    measure_duty_per_margin: float = param(
        1.0,
        0.0,
        5.0,
        "duty per unit margin",
        "extra duty per unit of the lesser of the dumping and injury margins",
        anchor="WTO Anti-Dumping Agreement art. 9.1 (lesser duty); EU Basic AD Regulation "
        "2016/1036 art. 9(4)",
    )
    aggregate_coverage: float = param(
        1.0,
        0.05,
        1.0,
        "share of the partner's market",
        "share of an aggregate partner's market (ROW, data/partners_meta.csv) that a "
        "trade-defence measure it opens covers: the members that file the case; the rest "
        "buys at the other duties. 1 = the whole aggregate acts as one country",
        calibratable=True,
        calibration_range=(0.1, 1.0),
        anchor="anti-dumping is national (or a customs union's): the members of the "
        "rest-of-world aggregate (Argentina, Australia, Canada, Korea, Indonesia, Japan, "
        "Russia and the EAEU, the Gulf...) open cases one at a time (Bown, Global "
        "Antidumping Database, World Bank); no estimate of the share one case covers "
        "(flag R)",
    )
    learning_spillover: float = param(
        0.8,
        0.0,
        1.0,
        "weight",
        "weight of the other side's cumulative output in a country's producers' experience: "
        "China's producers learn on X_cn + w X_f, foreign producers on X_f + w X_cn (1: both "
        "on world output, 0: each on its own only)",
        calibratable=True,
        calibration_range=(0.5, 1.0),
        anchor="Irwin and Klenow 1994 (JPE, semiconductors): a firm learns three times as "
        "much from its own output as from other firms', and as much from foreign as from "
        "domestic others; for a firm with a tenth of its country's output that makes the "
        "country-level weight 1/3 / (0.1 + 0.9/3) = 0.83, taken as 0.8; the calibration "
        "range 0.5-1.0 is the same formula for a leading firm's share of its country's "
        "output from a half (0.5) to negligible (1.0)",
    )
    measure_years: int = param(
        5,
        1,
        20,
        "years",
        "a measure's term before its sunset review",
        anchor="WTO Anti-Dumping Agreement art. 11.3",
    )
    renewal_probability: float = param(
        0.6,
        0.0,
        1.0,
        "probability",
        "a measure is renewed at its sunset review while dumping and injury persist",
        anchor="WTO Anti-Dumping Agreement art. 11.3",
    )
    escalation_duty: float = param(
        0.10, 0.0, 2.0, "ad valorem", "a major partner's mean duty rise that counts as escalation"
    )
    countermeasure_probability: float = param(
        0.5, 0.0, 1.0, "probability", "the state answers a major partner's escalation"
    )
    countermeasure_years: int = param(2, 1, 10, "years", "how long export controls last")
    rare_earth_cost_shock: float = param(
        0.15,
        0.0,
        2.0,
        "share of cost",
        "rise of a fully dependent partner's cost in a fully rare-earth-intensive sector",
    )
    rare_earth_intensity: dict[str, float] = Field(
        {
            "electric_vehicles": 1.0,
            "autos": 0.4,
            "consumer_electronics": 0.5,
            "appliances": 0.3,
            "li_batteries": 0.3,
        },
        description="sector -> use of rare-earth magnets (0-1): permanent-magnet motors, "
        "speakers, compressors",
    )

    @model_validator(mode="after")
    def _intensity(self) -> TradeParams:
        for sec, v in self.rare_earth_intensity.items():
            if not 0.0 <= v <= 1.0:  # NaN fails too
                raise ValueError(f"rare_earth_intensity.{sec} = {v} (allowed: 0 to 1)")
        return self


class ReformParams(Section):
    """How a reform that switches a mechanism off (or on) takes effect over time."""

    transition_years: float = param(
        4.0,
        0.0,
        10.0,
        "years",
        "years over which a switched mechanism (subsidies, soft budgets, bailouts, local "
        "protection, output targets) moves from full strength to none, linearly: must-run "
        "output winds down, loans reprice as they mature (1/T of a laddered book a year), "
        "bailouts and subsidies taper; 0 = at once",
        anchor="the 1998-2000 three-year SOE reform and the restructuring that followed took "
        "about 3-5 years (Naughton 2007, ch. 13; Lardy 1998); 4 is the middle",
    )


class Scenario(Section):
    name: str = Field("custom", description="scenario name")
    description: str = Field("", description="what the scenario asks")
    inherits: str | None = Field(None, description="scenario this one starts from")
    seed: int = Field(0, ge=0, description="default seed")
    calibration: str | None = Field(
        None,
        description="calibrated parameter set applied under the scenario's own values: a "
        "name in overcap/calibration/ or a path to a JSON file written by overcap calibrate",
    )
    calibrated: dict[str, Any] | None = Field(
        None, description="set by the loader: the calibrated values applied and their provenance"
    )
    sectors_enabled: list[str] | None = Field(
        None, description="sectors to model; default all of data/sectors.csv"
    )
    time: TimeParams = TimeParams()
    switches: Switches = Switches()
    population: PopulationParams = PopulationParams()
    provinces: ProvinceParams = ProvinceParams()
    investment: InvestmentParams = InvestmentParams()
    credit: CreditParams = CreditParams()
    market: MarketParams = MarketParams()
    exit: ExitParams = ExitParams()
    banks: BankParams = BankParams()
    macro: MacroParams = MacroParams()
    centre: CentreParams = CentreParams()
    trade: TradeParams = TradeParams()
    reform: ReformParams = ReformParams()
    events: dict[str, Event] = Field(default_factory=dict)
    sectors: dict[str, SectorParams] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _fill_sectors(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for section, info in cls.model_fields.items():
            sub = data.get(section)
            fields_ = getattr(info.annotation, "model_fields", None)
            if not isinstance(sub, dict) or fields_ is None:
                continue
            for name, finfo in fields_.items():
                # true/false is not a number (pydantic's lax mode would read true as 1)
                if finfo.annotation in (int, float) and isinstance(sub.get(name), bool):
                    raise ValueError(
                        f"{section}.{name}: must be a number, got {str(sub[name]).lower()}"
                        f"{_range_text(*field_bounds(finfo))}"
                    )
        table = sector_table()
        given = data.get("sectors") or {}
        if not isinstance(given, dict):
            raise ValueError("sectors must be a table of sector id -> parameters")
        for sec in given:
            if sec not in table:
                raise ValueError(
                    f"sectors.{sec}: unknown sector; allowed: {', '.join(sorted(table))}"
                )
        merged: dict[str, Any] = {}
        for sec, row in table.items():
            vals = {k: v[0] for k, v in row.items()}
            over = given.get(sec, {})
            if not isinstance(over, dict):
                raise ValueError(f"sectors.{sec} must be a table of parameters")
            for k, v in over.items():
                if k not in vals:
                    raise ValueError(
                        f"sectors.{sec}.{k}: unknown parameter; allowed: {', '.join(SECTOR_PARAMS)}"
                    )
                if isinstance(v, bool) or not isinstance(v, int | float):
                    raise ValueError(f"sectors.{sec}.{k}: must be a number, got {v!r}")
                lo, hi = row[k][1], row[k][2]
                if not lo <= float(v) <= hi:
                    raise ValueError(
                        f"sectors.{sec}.{k} = {v}: outside its documented range [{lo}, {hi}] "
                        "(data/sectors.csv)"
                    )
                vals[k] = float(v)
            merged[sec] = vals
        out = dict(data)
        out["sectors"] = merged
        enabled = out.get("sectors_enabled")
        if enabled is not None:
            if not isinstance(enabled, list) or not enabled:
                raise ValueError("sectors_enabled must be a non-empty list of sector ids")
            bad = [s for s in enabled if s not in table]
            if bad:
                raise ValueError(
                    f"sectors_enabled: unknown sector {bad[0]!r}; "
                    f"allowed: {', '.join(sorted(table))}"
                )
        events = out.get("events") or {}
        if not isinstance(events, dict):
            raise ValueError("events must be a table of named events")
        for name, ev in events.items():
            if isinstance(ev, dict):
                for sec in ev.get("sectors", []):
                    if sec != "ALL" and sec not in table:
                        raise ValueError(
                            f"events.{name}.sectors: unknown sector {sec!r}; allowed: ALL, "
                            + ", ".join(sorted(table))
                        )
        return out

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        if self.centre.initial_regime not in REGIMES:
            raise ValueError(
                f"centre.initial_regime {self.centre.initial_regime!r} unknown; allowed: "
                + ", ".join(REGIMES)
            )
        for label, names, takes_all in (
            ("centre.construction_sectors", self.centre.construction_sectors, False),
            ("centre.campaign_sectors", self.centre.campaign_sectors, True),
            ("trade.rare_earth_intensity", list(self.trade.rare_earth_intensity), False),
            ("centre.strategic", list(self.centre.strategic or {}), False),
        ):
            allowed = (["ALL"] if takes_all else []) + sorted(self.sectors)
            bad = [x for x in names if x not in allowed]
            if bad:
                raise ValueError(
                    f"{label}: unknown sector {bad[0]!r}; allowed: {', '.join(allowed)}"
                )
        return self

    @property
    def sector_ids(self) -> list[str]:
        return list(self.sectors_enabled) if self.sectors_enabled else list(self.sectors)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# --------------------------------------------------------------------------- data tables


@cache
def sector_table() -> dict[str, dict[str, tuple[float, float, float]]]:
    """sector -> param -> (value, low, high), from data/sectors.csv."""
    out: dict[str, dict[str, tuple[float, float, float]]] = {}
    with data_path("sectors.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["sector"], {})[row["param"]] = (
                float(row["value"]),
                float(row["low"]),
                float(row["high"]),
            )
    return out


@cache
def sector_units() -> dict[str, str]:
    with data_path("sectors.csv").open(newline="", encoding="utf-8") as fh:
        return {row["sector"]: row["unit"] for row in csv.DictReader(fh)}


def data_path(name: str) -> Path:
    return Path(str(resources.files("overcap") / "data" / name))


def scenarios_dir() -> Path:
    return Path(str(resources.files("overcap") / "scenarios"))


def available_scenarios() -> list[str]:
    return sorted(p.stem for p in scenarios_dir().glob("*.toml"))


# --------------------------------------------------------------------------- loading


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"cannot read scenario file {path}: not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario file {path} is not valid TOML: {exc}") from None


def _locate(name_or_path: str, relative_to: Path | None = None) -> tuple[Path, str, str]:
    """(file, default name, identity) of a scenario given by name or by path. A relative
    path in ``inherits`` is taken relative to the including file's folder."""
    p = Path(name_or_path)
    if relative_to is not None and not p.is_absolute() and name_or_path.endswith(".toml"):
        p = relative_to / p
    if name_or_path.endswith(".toml") or p.exists():
        if not p.exists():
            raise ScenarioError(
                f"scenario file {name_or_path} does not exist; shipped scenarios: "
                + ", ".join(available_scenarios())
            )
        return p, p.stem, str(p.resolve())
    names = available_scenarios()
    if name_or_path not in names:
        close = difflib.get_close_matches(name_or_path, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ScenarioError(
            f"unknown scenario {name_or_path!r}{hint}; available: {', '.join(names)}"
        )
    path = scenarios_dir() / f"{name_or_path}.toml"
    return path, name_or_path, str(path.resolve())


def _resolve(
    name_or_path: str, _seen: tuple[str, ...] = (), _from: Path | None = None
) -> dict[str, Any]:
    """Raw dict of a scenario, with its ancestors merged under it."""
    path, default_name, ident = _locate(name_or_path, _from)
    if ident in _seen:
        chain = " -> ".join(Path(x).stem for x in (*_seen, ident))
        raise ScenarioError(f"inherits: cycle {chain}; a scenario cannot inherit itself")
    raw = _read_toml(path)
    raw.setdefault("name", default_name)
    parent = raw.get("inherits")
    if parent is not None:
        if not isinstance(parent, str) or not parent:
            raise ScenarioError(
                f"inherits: must be a scenario name or a .toml path, got {parent!r}"
            )
        base = _resolve(parent, (*_seen, ident), path.parent)
        raw = deep_merge(base, raw)
    return raw


def deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``path.to.param=value``; the value is read as a TOML literal, else a string."""
    if "=" not in text:
        raise ScenarioError(f"override {text!r}: expected path.to.param=value")
    key, _, value = text.partition("=")
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ScenarioError(f"override {text!r}: empty parameter path")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return key.split("."), parsed


def _check_path(path: list[str], raw_key: str) -> None:
    """Reject an override path that names no field, listing what is allowed."""
    model: type[BaseModel] = Scenario
    for i, part in enumerate(path):
        fields = model.model_fields
        if model is Scenario and part == "events":
            rest = path[i + 1 :]
            if not rest:
                raise ScenarioError(f"override {raw_key}: use events.<name>[.<field>]")
            if len(rest) >= 2 and rest[1] not in Event.model_fields:
                raise ScenarioError(
                    f"override {raw_key}: events have no field {rest[1]!r}; allowed: "
                    + ", ".join(Event.model_fields)
                )
            return
        if model is Scenario and part == "sectors":
            rest = path[i + 1 :]
            table = sector_table()
            if len(rest) != 2:
                raise ScenarioError(f"override {raw_key}: use sectors.<sector>.<parameter>")
            if rest[0] not in table:
                raise ScenarioError(
                    f"override {raw_key}: unknown sector {rest[0]!r}; allowed: "
                    + ", ".join(sorted(table))
                )
            if rest[1] not in SECTOR_PARAMS:
                raise ScenarioError(
                    f"override {raw_key}: unknown parameter {rest[1]!r}; allowed: "
                    + ", ".join(SECTOR_PARAMS)
                )
            return
        if part not in fields:
            where = ".".join(path[:i]) or "the scenario"
            raise ScenarioError(
                f"override {raw_key}: {where} has no field {part!r}; allowed: " + ", ".join(fields)
            )
        ann = fields[part].annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        else:
            if i != len(path) - 1 and part not in ("centre",):
                raise ScenarioError(f"override {raw_key}: {part} is not a section")
            return


def apply_overrides(
    raw: dict[str, Any], overrides: dict[str, Any] | list[str] | None
) -> dict[str, Any]:
    if not overrides:
        return raw
    items: list[tuple[list[str], Any, str]] = []
    if isinstance(overrides, dict):
        for k, v in overrides.items():
            items.append((k.replace("__", ".").split("."), v, k))
    else:
        for text in overrides:
            path, v = parse_override(text)
            items.append((path, v, text.partition("=")[0].strip()))
    out = dict(raw)
    for path, value, label in items:
        _check_path(path, label)
        node = out
        for part in path[:-1]:
            child = node.get(part)
            child = dict(child) if isinstance(child, dict) else {}
            node[part] = child
            node = child
        node[path[-1]] = value
    return out


def field_extra(finfo: Any) -> dict[str, Any]:
    """What :func:`param` stored beside a schema field (unit, calibratable, calibration
    range, anchor); empty for a field declared without it."""
    return finfo.json_schema_extra if isinstance(finfo.json_schema_extra, dict) else {}


def field_bounds(finfo: Any) -> tuple[Any, Any, str]:
    """(lower bound, upper bound, unit) of a schema field; None where there is no bound."""
    lo = hi = None
    for m in finfo.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return lo, hi, str(field_extra(finfo).get("unit", ""))


def parameter_ranges() -> list[tuple[str, type, float, float]]:
    """(dotted path, int, float or bool, low, high) of every scalar parameter a user may
    set: the bounded numbers of every section (the centre's regime instruments too), the
    switches (bool, 0 to 1), and ``sectors.<sector>.<parameter>`` inside the range
    data/sectors.csv documents. What a fuzzer or a property test draws from."""
    out: list[tuple[str, type, float, float]] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, finfo in model.model_fields.items():
            ann = finfo.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                walk(ann, f"{prefix}{name}.")
            elif ann is bool:
                out.append((f"{prefix}{name}", bool, 0, 1))
            elif ann in (int, float):
                lo, hi, _ = field_bounds(finfo)
                if lo is not None and hi is not None:
                    out.append((f"{prefix}{name}", int if ann is int else float, lo, hi))

    for section, finfo in Scenario.model_fields.items():
        ann = finfo.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            walk(ann, f"{section}.")
    for sec, row in sector_table().items():
        for k, (_, lo, hi) in row.items():
            out.append((f"sectors.{sec}.{k}", float, lo, hi))
    return out


def _range_text(lo: Any, hi: Any, unit: str) -> str:
    u = f" {unit}" if unit else ""
    if lo is not None and hi is not None:
        return f" (allowed: {lo} to {hi}{u})"
    if lo is not None:
        return f" (allowed: at least {lo}{u})"
    if hi is not None:
        return f" (allowed: at most {hi}{u})"
    return ""


def _format_error(exc: ValidationError, name: str) -> str:
    err = exc.errors()[0]
    loc_parts = [str(x) for x in err["loc"]]
    loc = ".".join(loc_parts)
    if err["type"] == "extra_forbidden":
        parent = _field_info(list(err["loc"][:-1])) if len(loc_parts) > 1 else None
        model: Any = parent.annotation if parent is not None else Scenario
        allowed = list(getattr(model, "model_fields", {}))
        close = difflib.get_close_matches(loc_parts[-1], allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        where = ".".join(loc_parts[:-1]) or "the scenario"
        return (
            f"scenario {name!r}: {loc}: unknown key {loc_parts[-1]!r} in {where}{hint}; "
            f"allowed: {', '.join(allowed)}"
        )
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    field_info = _field_info(list(err["loc"]))
    allowed_text = ""
    if field_info is not None:
        allowed_text = _range_text(*field_bounds(field_info))
        if not allowed_text and field_info.annotation is bool:
            allowed_text = " (allowed: true or false)"
    got = ""
    if "input" in err and not isinstance(err["input"], dict):
        got = f", got {err['input']!r}"
    where = f"{loc}: " if loc else ""
    return f"scenario {name!r}: {where}{msg}{got}{allowed_text}"


def _field_info(loc: list[Any]) -> Any:
    model: Any = Scenario
    info = None
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return info
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        model = info.annotation
    return info


def calibration_dir() -> Path:
    return Path(str(resources.files("overcap") / "calibration"))


def packaged_sets() -> list[str]:
    """The names of the calibrated sets in the package (overcap/calibration/*.json, not
    their stored scores)."""
    return sorted(p.stem for p in calibration_dir().glob("*.json") if not p.stem.endswith("-score"))


def apply_calibration(raw: dict[str, Any], name_or_path: str) -> dict[str, Any]:
    """Apply a calibrated parameter set (written by ``overcap calibrate``) under the
    scenario: the calibrated values replace the defaults; the scenario's own file and
    the user's overrides still win over them."""
    p = Path(name_or_path)
    if not name_or_path.endswith(".json"):
        p = calibration_dir() / f"{name_or_path}.json"
        if not p.is_file():
            raise ScenarioError(
                f"calibration {name_or_path!r}: no such set in the package; allowed: "
                f"{', '.join(packaged_sets())}, none, or the path of a .json file written by "
                "overcap calibrate"
            )
    try:
        info = json.loads(p.read_text(encoding="utf-8"))
        params = dict(info["params"])
    except OSError as exc:
        raise ScenarioError(f"calibration {name_or_path!r}: cannot read {p}: {exc}") from None
    except (ValueError, KeyError, TypeError):
        raise ScenarioError(
            f"calibration {name_or_path!r}: {p} is not a calibration file (needs 'params')"
        ) from None
    own = _flatten(raw)
    applied = {k: v for k, v in params.items() if k not in own}
    out = apply_overrides(raw, applied)
    out["calibrated"] = {
        "file": str(p),
        "params": applied,
        "provenance": info.get("provenance", {}),
    }
    return out


def _flatten(raw: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted paths of the values a raw scenario states itself (not its defaults)."""
    keys: set[str] = set()
    for k, v in raw.items():
        if k in ("sectors", "events", "calibrated"):
            continue
        if isinstance(v, dict):
            keys |= _flatten(v, f"{prefix}{k}.")
        else:
            keys.add(f"{prefix}{k}")
    return keys


def load_scenario(
    name_or_path: str | Scenario = "baseline",
    overrides: dict[str, Any] | list[str] | None = None,
    calibrated: bool = True,
    calibration: str | None = None,
) -> Scenario:
    """Load a shipped scenario by name (or a TOML file by path) and apply overrides.

    A scenario that names a ``calibration`` gets the calibrated values under its own;
    ``calibrated=False`` loads it without them (what calibration itself starts from).
    ``calibration`` puts another set in place of the one the scenario names: a set's
    name in the package (``baseline-holdout-2013-2019``, the out-of-time set), the path
    of a JSON file written by ``overcap calibrate``, or ``"none"`` (no set: the
    documented defaults; a scenario file may say ``calibration = "none"`` too); with
    ``calibrated=False`` no set is applied either way.

    Overrides are ``{"investment.visibility": 0.5}`` (or ``investment__visibility``
    as a keyword) or ``["investment.visibility=0.5"]``.
    """
    if isinstance(name_or_path, Scenario):
        if calibration is not None:
            raise ScenarioError(
                f"calibration {calibration!r}: another set is put in place by the scenario's "
                "name or path, not in a scenario already loaded"
            )
        raw = name_or_path.model_dump()
        name = name_or_path.name
    else:
        raw = _resolve(str(name_or_path))
        name = str(raw.get("name", name_or_path))
        if calibration is not None:
            raw["calibration"] = calibration
        named = raw.get("calibration")
        if isinstance(named, str) and named.strip().lower() == "none":
            raw["calibration"] = None  # "none", from a file or the caller: no set
        if calibrated and raw.get("calibration"):
            raw = apply_calibration(raw, str(raw["calibration"]))
        elif not calibrated:
            raw["calibration"] = None
    raw = apply_overrides(raw, overrides)
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_format_error(exc, name)) from None
