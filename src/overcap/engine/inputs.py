"""Exogenous inputs, built once per run from the packaged data and the scenario.

Demand paths (data/demand.csv) are anchor years; between anchors they are
interpolated log-linearly, before the first anchor the first growth rate is
extended backwards, and after the last anchor the last growth rate is extended
with a yearly damping factor (data/README.md leaves the extension to the model).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from overcap.scenario import Scenario, data_path

FloatArray = NDArray[Any]

# demand.csv rows whose basis is not comparable with the sector's main series
_SKIP_BASIS = ("world EV-only",)


@dataclass(frozen=True)
class Inputs:
    years: NDArray[np.int64]  # simulated years, spin-up included (T,)
    sectors: list[str]  # (S,)
    provinces: list[str]  # (P,)
    provinces_zh: list[str]
    # (T, S) domestic demand for China's producers at normal prices, units/yr: China's
    # consumption less ``imports``
    china_demand: FloatArray
    foreign_demand: FloatArray  # (T, S) rest-of-world demand, units/yr
    strategic: NDArray[np.bool_]  # (T, S)
    growth_target: FloatArray  # (T,) percent
    province_weight: FloatArray  # (P,) share of GDP at the start
    cum_world_anchor: FloatArray  # (S,) cumulative world output to the anchor year 2023
    cum_world_start: FloatArray  # (S,) cumulative world output before the first year
    input_cost: FloatArray  # (T, S) variable-cost factor from world input prices, 1 in 2023
    # (T, S) China's consumption its recorded production does not cover (net imports,
    # stock changes: data/imports.csv), units/yr; 0 where a sector has no rows
    imports: FloatArray
    # the same cumulative output split by origin (China, rest of the world): own learning
    cum_china_start: FloatArray  # (S,) China's cumulative output before the first year
    cum_foreign_start: FloatArray  # (S,) the rest of the world's
    cum_china_anchor: FloatArray  # (S,) China's cumulative output to the 2023 anchor
    cum_foreign_anchor: FloatArray  # (S,) the rest of the world's
    plan_growth: FloatArray  # (T, S) growth/yr of the centre's plan in force (NaN: none)
    # (S,) log growth/yr of China's demand over the first START_SPAN years, from the demand
    # paths whatever the run's last year: the pipeline the first firms start with
    start_growth: FloatArray
    # (S,) China's presence in foreign markets at the start, a share of its Armington base
    # share: ``sectors.<id>.presence_start`` with ``switches.export_presence``, else 1
    presence_start: FloatArray

    def year_index(self, year: int) -> int:
        return int(year - self.years[0])


def _interp_path(years: np.ndarray, anchors: dict[int, float], damping: float) -> np.ndarray:
    """Log-linear interpolation between anchors; damped extension beyond them.

    Zero anchors are kept as zero-like values (1e-6 of the series maximum) so the
    log is defined; the sector is then inactive in those years.
    """
    ay = np.array(sorted(anchors), dtype=float)
    av = np.array([anchors[int(y)] for y in ay], dtype=float)
    floor = max(av.max(), 1e-12) * 1e-6
    lv = np.log(np.maximum(av, floor))
    out = np.interp(years, ay, lv)
    if len(ay) >= 2:
        g_first = (lv[1] - lv[0]) / (ay[1] - ay[0])
        g_last = (lv[-1] - lv[-2]) / (ay[-1] - ay[-2])
    else:
        g_first = g_last = 0.0
    before = years < ay[0]
    out[before] = lv[0] - g_first * (ay[0] - years[before])
    after = years > ay[-1]
    if after.any():
        k = years[after] - ay[-1]
        # sum of damped growth: g * (d + d^2 + ... + d^k)
        if damping >= 1.0:
            cum = g_last * k
        else:
            cum = g_last * damping * (1 - damping**k) / (1 - damping)
        out[after] = lv[-1] + cum
    vals = np.exp(out)
    vals[vals <= floor * 1.0001] = 0.0
    return vals


def _read_demand(sectors: list[str]) -> dict[str, dict[str, dict[int, float]]]:
    rows: dict[str, dict[str, dict[int, float]]] = {
        s: {"china": {}, "foreign": {}, "world": {}} for s in sectors
    }
    with data_path("demand.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            s = r["sector"]
            if s not in rows or any(b in r["basis"] for b in _SKIP_BASIS):
                continue
            y = int(r["year"])
            cn = r["china_demand"].strip()
            fx = r["world_ex_china_demand"].strip()
            if cn == "":
                rows[s]["world"][y] = float(fx)  # world total, China not split
            else:
                rows[s]["china"][y] = float(cn)
                if fx != "":  # blank: a China-only row (the world between its anchors)
                    rows[s]["foreign"][y] = float(fx)
    return rows


def _read_input_prices() -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    with data_path("input_prices.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out.setdefault(r["input"], {})[int(r["year"])] = float(r["price"])
    return out


# costs are stated at 2023 reference prices: learning is 1 where cumulative output reaches
# the world's to this year (data/sectors.csv, docs/ODD.md 7.8.3)
ANCHOR_YEAR = 2023
# the first firms' pipeline follows China's demand growth over this many years from the first
START_SPAN = 5


def input_cost_factor(years: np.ndarray, sectors: list[str]) -> FloatArray:
    """m_{t,s} = 1 + sum_i share_{s,i} (x_{i,t} - 1): the variable-cost factor of each
    sector from the world prices of its inputs (data/input_costs.csv), x_{i,t} the real
    price (deflated by US CPI to 2023 dollars) over its 2023 value; a series holds its
    first value before its first year and its last real value after its last year."""
    prices = _read_input_prices()
    cpi = prices["us_cpi"]
    out = np.ones((len(years), len(sectors)))
    with data_path("input_costs.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["sector"] not in sectors:
                continue
            series = prices[r["input"]]
            ys = np.array(sorted(series), dtype=float)
            real = np.array([series[int(y)] * cpi[2023] / cpi[int(y)] for y in ys])
            x = np.interp(years.astype(float), ys, real) / real[ys == 2023][0]
            out[:, sectors.index(r["sector"])] += float(r["share"]) * (x - 1.0)
    return out


def import_share_paths(years: np.ndarray, sectors: list[str]) -> FloatArray:
    """m_{t,s}: the share of China's consumption of sector s that its recorded production
    does not cover in year t (data/imports.csv: net imports, stock changes), linear
    between rows; a sector's series holds its first value before its first row and its
    last after its last row (the model makes no trade forecast), 0 for a sector with no
    rows."""
    rows: dict[str, dict[int, float]] = {}
    with data_path("imports.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["sector"] in sectors:
                rows.setdefault(r["sector"], {})[int(r["year"])] = float(r["share"])
    out = np.zeros((len(years), len(sectors)))
    for s, series in rows.items():
        ys = np.array(sorted(series), dtype=float)
        out[:, sectors.index(s)] = np.interp(years.astype(float), ys, [series[int(y)] for y in ys])
    return out


def build_inputs(sc: Scenario) -> Inputs:
    t0 = sc.time.start_year - sc.time.spinup_years
    years = np.arange(t0, sc.time.end_year + 1)
    yf = years.astype(float)
    sectors = sc.sector_ids
    T, S = len(years), len(sectors)
    # the Wright's-law anchor sums demand to ANCHOR_YEAR whatever the run's last year, so
    # a run that stops early (a fit that holds out later years) is the same run, year by
    # year, as one that goes on (tests/engine/test_determinism.py)
    full = np.arange(t0, max(sc.time.end_year, ANCHOR_YEAR) + 1)
    consumption_full, foreign_full = _demand_paths(
        full.astype(float), sectors, sc.macro.extrapolation_damping
    )
    # what China's producers sell at home is its consumption less what its production
    # does not cover (7.1); the rest of the world makes that part
    imports_full = consumption_full * (
        import_share_paths(full, sectors) if sc.switches.imports else 0.0
    )
    china_full = consumption_full - imports_full
    china, foreign, imports = china_full[:T], foreign_full[:T], imports_full[:T]
    span = min(START_SPAN, len(full) - 1)  # 0 in a path of one year: no growth seen
    start_growth = np.log(
        np.maximum(china_full[span], 1e-12) / np.maximum(china_full[0], 1e-12)
    ) / max(span, 1)
    strategic = _strategic(sc, years, sectors)

    targets = sc.centre.growth_targets
    if targets is None:
        with data_path("growth_targets.csv").open(newline="", encoding="utf-8") as fh:
            targets = {int(r3["year"]): float(r3["target"]) for r3 in csv.DictReader(fh)}
    ty = np.array(sorted(targets))
    tv = np.array([targets[int(y)] for y in ty])
    growth_target = np.interp(yf, ty, tv)

    names: list[str] = []
    names_zh: list[str] = []
    gdp95: list[float] = []
    with data_path("provinces.csv").open(newline="", encoding="utf-8") as fh:
        for r4 in csv.DictReader(fh):
            names.append(r4["province"])
            names_zh.append(r4["name_zh"])
            gdp95.append(float(r4["gdp_1995_bn_rmb"]))
    weight = np.array(gdp95) / np.sum(gdp95)
    cum_start, cum_anchor = _cumulative(sc, full, consumption_full + foreign_full)
    presence = presence_start(sc)
    cn_start, f_start, cn_anchor, f_anchor = _cumulative_by_origin(
        sc, china_full, foreign_full + imports_full, cum_start, cum_anchor, presence
    )
    input_cost = input_cost_factor(years, sectors) if sc.switches.input_prices else np.ones((T, S))
    plan_growth = plan_growth_paths(years, sectors)

    return Inputs(
        years=years,
        sectors=sectors,
        provinces=names,
        provinces_zh=names_zh,
        china_demand=china,
        foreign_demand=foreign,
        strategic=strategic,
        growth_target=growth_target,
        province_weight=weight,
        cum_world_anchor=cum_anchor,
        cum_world_start=cum_start,
        input_cost=input_cost,
        imports=imports,
        cum_china_start=cn_start,
        cum_foreign_start=f_start,
        cum_china_anchor=cn_anchor,
        cum_foreign_anchor=f_anchor,
        plan_growth=plan_growth,
        start_growth=start_growth,
        presence_start=presence,
    )


def _demand_paths(yf: FloatArray, sectors: list[str], damp: float) -> tuple[FloatArray, FloatArray]:
    """China's and the rest of the world's demand paths (T, S) from data/demand.csv."""
    raw = _read_demand(sectors)
    T, S = len(yf), len(sectors)
    china = np.zeros((T, S))
    foreign = np.zeros((T, S))
    for j, s in enumerate(sectors):
        r = raw[s]
        if not r["china"]:
            # no China split at all (shipbuilding: world completions). The whole world
            # market is one market China sells into; China's own orders are folded in.
            foreign[:, j] = _interp_path(yf, r["world"], damp)
            continue
        if r["world"]:
            # world-only anchors before the split (li_batteries before 2010): China's share
            # is taken from the first split year and held back in time.
            first = min(r["china"])
            share = r["china"][first] / max(r["china"][first] + r["foreign"][first], 1e-12)
            for y, w in r["world"].items():
                if y < first:
                    r["china"][y] = share * w
                    r["foreign"][y] = (1 - share) * w
        china[:, j] = _interp_path(yf, r["china"], damp)
        foreign[:, j] = _interp_path(yf, r["foreign"], damp)
    return china, foreign


def plan_growth_paths(years: np.ndarray, sectors: list[str]) -> FloatArray:
    """g^plan_{t,s} = ln(target / base) / (target_year - base_year) of the centre's plan
    for the sector in force in year t (issued <= t <= target_year; the latest issued if
    several), from data/plan_targets.csv; NaN where no plan is in force."""
    out = np.full((len(years), len(sectors)), np.nan)
    issued = np.full(out.shape, -1)
    with data_path("plan_targets.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["sector"] not in sectors:
                continue
            j = sectors.index(r["sector"])
            span = int(r["target_year"]) - int(r["base_year"])
            g = float(np.log(float(r["target"]) / float(r["base"]))) / span
            since = int(r["issued"])
            on = (years >= since) & (years <= int(r["target_year"])) & (issued[:, j] <= since)
            out[on, j] = g
            issued[on, j] = since
    return out


def _strategic(sc: Scenario, years: np.ndarray, sectors: list[str]) -> NDArray[np.bool_]:
    """Strategic sectors by year (T, S): the scenario's list, else data/strategic.csv."""
    strategic = np.zeros((len(years), len(sectors)), dtype=bool)
    spec = sc.centre.strategic
    if spec is None:
        spec = {}
        with data_path("strategic.csv").open(newline="", encoding="utf-8") as fh:
            for r2 in csv.DictReader(fh):
                spec.setdefault(r2["sector"], []).append((int(r2["year_from"]), int(r2["year_to"])))
    for j, s in enumerate(sectors):
        for a, b in spec.get(s, []):
            strategic[(years >= a) & (years <= b), j] = True
    return strategic


def _cumulative(
    sc: Scenario, years: np.ndarray, world: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Wright's-law anchor: world cumulative output (China + rest) before the first year
    and to ANCHOR_YEAR (2023) from the demand paths (``years`` reaching at least that
    year); costs are stated at 2023 reference prices, so the learning factor is 1 when
    modelled cumulative output reaches the anchor."""
    first_world = world[0]
    cum_start = sc.macro.initial_cumulative_years * np.maximum(first_world, 0.0)
    # a sector with no demand at the start (EVs) gets the base of its first active year
    for j in range(world.shape[1]):
        if cum_start[j] <= 0:
            active = np.nonzero(world[:, j] > 0)[0]
            if len(active):
                cum_start[j] = sc.macro.initial_cumulative_years * world[active[0], j]
            else:
                cum_start[j] = 1.0
    upto = years <= ANCHOR_YEAR
    return cum_start, cum_start + world[upto].sum(axis=0)


def presence_start(sc: Scenario) -> FloatArray:
    """k0_s, China's presence in foreign markets when the run starts, as a share of its
    Armington base share (docs/ODD.md 7.11.5): the datum ``presence_start`` of
    data/sectors.csv with ``switches.export_presence``, else 1 (full presence)."""
    if not sc.switches.export_presence:
        return np.ones(len(sc.sector_ids))
    return np.array([sc.sectors[s].presence_start for s in sc.sector_ids], dtype=float)


def _cumulative_by_origin(
    sc: Scenario,
    china: FloatArray,
    foreign: FloatArray,
    cum_start: FloatArray,
    anchor: FloatArray,
    presence: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """World cumulative output split into China's and the rest of the world's (own
    learning, docs/ODD.md 7.8.3).

    Start: China's share of the initial stock is its share of world output in the year the
    stock is based on (the first year, or the first active one), taken as its own demand
    plus its start share of the rest of the world's, the Armington base share a_s times
    its start presence k0_s: theta0 = (D^cn + k0_s a_s M) / (D^cn + M). Anchor: China's
    share of world cumulative output to 2023 is the datum ``china_cum_share``
    (data/sectors.csv). Each split sums to the world figure."""
    S = china.shape[1]
    theta0 = np.full(S, 0.5)
    for j, s in enumerate(sc.sector_ids):  # loop over sectors
        world = china[:, j] + foreign[:, j]
        active = np.nonzero(world > 0)[0]
        if len(active):
            k = active[0]
            a = sc.sectors[s].export_share * presence[j]
            theta0[j] = min(1.0, (china[k, j] + a * foreign[k, j]) / world[k])
    share = np.array([sc.sectors[s].china_cum_share for s in sc.sector_ids])
    return theta0 * cum_start, (1.0 - theta0) * cum_start, share * anchor, (1.0 - share) * anchor
