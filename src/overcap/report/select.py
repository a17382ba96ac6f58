"""What a figure shows, selected once from a :class:`ReportData` and drawn by both
renderers: the interactive one (:mod:`overcap.report.figures`, Plotly) and the static
one (:mod:`overcap.report.png`, matplotlib). A renderer decides how, never what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from overcap._version import __version__
from overcap.evidence import Fact
from overcap.report import messages as m
from overcap.report.data import ReportData
from overcap.summary import HIGH, LOW
from overcap.summary import bands as summary_bands

DEFAULT_SECTOR = "solar_pv"

SCENARIO_COLOURS = ("#1f3b73", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#17a589")
SECTOR_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#ad494a",
    "#637939",
)
PASS_COLOUR, FAIL_COLOUR, NA_COLOUR = "#d5f5e3", "#fadbd8", "#eeeeee"


def sector_colour(data: ReportData, sector: str) -> str:
    ids = data.sectors()
    i = ids.index(sector) if sector in ids else len(ids)
    return SECTOR_COLOURS[i % len(SECTOR_COLOURS)]


def scenario_colour(data: ReportData, scenario: str) -> str:
    return SCENARIO_COLOURS[data.scenarios.index(scenario) % len(SCENARIO_COLOURS)]


@dataclass(frozen=True)
class Series:
    """A median with its band (``frame``: year, median, p5, p95), its legend's message
    key and colour, and whether the band is drawn (more than one run)."""

    frame: pd.DataFrame
    legend: str
    colour: str
    bands: bool

    def label(self, lang: str) -> str:
        """The legend in ``lang``; a scenario without a catalogue entry by its name."""
        if m.has(self.legend) or not self.legend.startswith("scenario."):
            return m.t(self.legend, lang)
        return self.legend.split(".", 1)[1]


@dataclass(frozen=True)
class Panel:
    """One panel of a stacked figure: a series, its axis's and title's message keys."""

    series: Series
    unit: str
    title: str


@dataclass(frozen=True)
class PolicyCycle:
    growth: Series
    target: Series  # never with a band
    regimes: pd.DataFrame  # ReportData.regimes
    events: list[dict[str, Any]]  # ReportData.events


def policy_cycle(data: ReportData, scenario: str | None = None) -> PolicyCycle:
    """GDP growth (median, band) against the target, the regimes and the events."""
    name = scenario or data.reference
    bands = data.n_runs(name) > 1
    return PolicyCycle(
        growth=Series(
            data.economy_bands(name, "gdp_growth"), "legend.gdp_growth", "#1f3b73", bands
        ),
        target=Series(
            data.economy_bands(name, "gdp_target"), "legend.gdp_target", "#c0392b", False
        ),
        regimes=data.regimes(name),
        events=data.events(name),
    )


# the bill of industrial policy: column, scale, legend, axis, panel title, colour
BILL = (
    ("fiscal_cost_share_gdp", 1.0, "legend.fiscal_cost", "axis.pct_gdp", "fig.bill.panel_fiscal",
     "#c0392b"),
    ("bad_loans", 1e-3, "legend.bad_loans", "axis.usd_bn", "fig.bill.panel_bad_loans", "#8e44ad"),
    ("misallocation_tfp_loss", 1.0, "legend.misallocation", "axis.pct_gdp",
     "fig.bill.panel_misallocation", "#d68910"),
)  # fmt: skip


def bill(data: ReportData, scenario: str | None = None) -> list[Panel]:
    """Fiscal cost (% of GDP), new bad loans (US$ bn) and misallocation (% of GDP)."""
    name = scenario or data.reference
    bands = data.n_runs(name) > 1
    return [
        Panel(Series(data.economy_bands(name, col, scale=scale), leg, colour, bands), unit, title)
        for col, scale, leg, unit, title, colour in BILL
    ]


# ---------------------------------------------------------------- utilisation waves
@dataclass(frozen=True)
class FactMark:
    """A fact drawn over a heat map's row: the fact, its row (a sector id; ALL for the
    economy) and its years clipped to the recorded ones (``start`` to ``end``)."""

    fact: Fact
    row: str
    start: int
    end: int

    @property
    def percent(self) -> float:
        """The fact's target in percent."""
        assert self.fact.target is not None
        return self.fact.target * 100


@dataclass(frozen=True)
class UtilisationWaves:
    years: list[int]
    rows: list[str]  # ALL (the value-weighted aggregate), then the sectors
    z: np.ndarray  # median utilisation (%), rows x years; NaN where a sector is inactive
    facts: list[FactMark]


def utilisation_waves(data: ReportData, scenario: str | None = None) -> UtilisationWaves:
    """Median utilisation (%) by sector and year with the aggregate on top, and the
    facts file's utilisation figures (a sector's, or the economy's aggregate) inside the
    recorded years."""
    name = scenario or data.reference
    sectors = data.sectors(name)
    util = data.sector_bands(name, "utilisation", scale=100.0, active_only=True)
    agg = data.economy_bands(name, "aggregate_utilisation", scale=100.0).set_index("year")
    years = list(agg.index)
    grid = util.pivot(index="sector", columns="year", values="median")
    grid = grid.reindex(index=sectors, columns=years)
    z = np.vstack([agg["median"].to_numpy()[None, :], grid.to_numpy()])
    facts = [f for f in data.sector_facts("utilisation") if f.sector in sectors]
    facts += [f for f in data.sector_facts("aggregate_utilisation") if f.sector == "ALL"]
    y0, y1 = data.years(name)
    marks = [
        FactMark(f, f.sector, max(f.year_from, y0), min(f.year_to, y1))
        for f in facts
        if not (f.year_to < y0 or f.year_from > y1)
    ]
    return UtilisationWaves(years, ["ALL", *sectors], z, marks)


# ---------------------------------------------------------------- price war
def price_span(data: ReportData, scenario: str, sector: str) -> float:
    """Highest over lowest median price of a sector: above 10, prices are drawn on a log
    scale (a learning curve is a straight line there)."""
    p = data.sector_bands(scenario, "price", sector=sector, active_only=True)["median"]
    p = p[p > 0]
    return float(p.max() / p.min()) if len(p) else 1.0


@dataclass(frozen=True)
class PriceWar:
    sector: str
    price: Series
    unit_cost: Series  # drawn dashed
    margin: Series
    loss_making: Series
    zombies: Series
    log_price: bool  # prices span more than a factor of 10


def price_war(
    data: ReportData, scenario: str | None = None, sector: str = DEFAULT_SECTOR
) -> PriceWar:
    """One sector (ValueError naming the allowed ones): price and unit cost, margin (%),
    the shares of loss-making and zombie firms (%), over the years it has capacity."""
    name = scenario or data.reference
    if sector not in data.sectors(name):
        raise ValueError(f"sector {sector!r} unknown; allowed: {', '.join(data.sectors(name))}")
    bands = data.n_runs(name) > 1

    def sb(col: str, legend: str, colour: str, scale: float = 1.0) -> Series:
        frame = data.sector_bands(name, col, sector=sector, scale=scale, active_only=True)
        return Series(frame, legend, colour, bands)

    return PriceWar(
        sector=sector,
        price=sb("price", "legend.price", "#1f3b73"),
        unit_cost=sb("unit_cost", "legend.unit_cost", "#c0392b"),
        margin=sb("margin", "legend.margin", "#27ae60", 100.0),
        loss_making=sb("loss_making_share", "legend.loss_making_share", "#d68910", 100.0),
        zombies=sb("zombie_share", "legend.zombie_share", "#8e44ad", 100.0),
        log_price=price_span(data, name, sector) > 10,
    )


# ---------------------------------------------------------------- trade
@dataclass(frozen=True)
class Trade:
    partners: list[str]
    sectors: list[str]
    years_in_force: pd.DataFrame  # partners x sectors: median years with a measure
    shares: list[Series]  # China's share of world output (%), sectors with output
    measures: Series
    countermeasures: Series  # on a second axis, drawn dotted


def trade(data: ReportData, scenario: str | None = None) -> Trade:
    """Years with a measure in force by partner and sector; China's share of world
    output by sector (%); measures in force and countermeasures over time."""
    name = scenario or data.reference
    bands = data.n_runs(name) > 1
    sectors = data.sectors(name)
    yif = data.trade_years_in_force(name)
    partners = list(dict.fromkeys(data.runs[name][0].trade["partner"]))
    grid = yif.pivot(index="partner", columns="sector", values="years")
    grid = grid.reindex(index=partners, columns=sectors).fillna(0.0)
    share = data.world_share(name)
    shares = []
    for s in sectors:
        f = share[share["sector"] == s].copy()
        if f.empty or float(f["median"].max()) <= 0:
            continue
        f[["median", "p5", "p95"]] *= 100.0
        shares.append(Series(f, f"sector.{s}", sector_colour(data, s), bands))
    return Trade(
        partners=partners,
        sectors=sectors,
        years_in_force=grid,
        shares=shares,
        measures=Series(
            data.economy_bands(name, "trade_measures"), "legend.trade_measures", "#c0392b", bands
        ),
        countermeasures=Series(
            data.economy_bands(name, "countermeasures"),
            "legend.countermeasures",
            "#1f3b73",
            bands,
        ),
    )


# ---------------------------------------------------------------- comparison
# the comparison's main indicators: economy column, scale to the label's unit
COMPARISON: tuple[tuple[str, float], ...] = (
    ("gdp_growth", 1.0),
    ("aggregate_utilisation", 100.0),
    ("ppi_change", 1.0),
    ("zombie_share", 100.0),
    ("fiscal_cost_share_gdp", 1.0),
    ("misallocation_tfp_loss", 1.0),
    ("profit", 1e-3),
    ("bad_loans", 1e-3),
    ("trade_measures", 1.0),
    ("countermeasures", 1.0),
)


@dataclass(frozen=True)
class Indicator:
    """One panel of the comparison: an economy column and every scenario's series (in
    the order of the report's scenarios, legend key ``scenario.NAME``)."""

    column: str
    series: list[Series]


def comparison(data: ReportData) -> list[Indicator]:
    """Every scenario's median and band of each of the main indicators (COMPARISON)."""
    return [
        Indicator(
            col,
            [
                Series(
                    data.economy_bands(name, col, scale=scale),
                    f"scenario.{name}",
                    scenario_colour(data, name),
                    data.n_runs(name) > 1,
                )
                for name in data.scenarios
            ],
        )
        for col, scale in COMPARISON
    ]


# ---------------------------------------------------------------- evidence
# economy-wide indicators: a fact about them with sector ALL is about the economy
ECONOMY_FACTS = frozenset(
    {c for c, _ in COMPARISON} | {"gdp_target", "partners_with_measures", "regime"}
)


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    return f"{x:.3g}"


def fact_text(f: Fact, lang: str) -> str:
    """A fact in words: indicator, where, statistic and years, in ``lang``."""
    years = str(f.year_from) if f.year_from == f.year_to else f"{f.year_from}-{f.year_to}"
    if f.sector == "ALL":
        where = m.t(
            "evidence.economy" if f.indicator in ECONOMY_FACTS else "evidence.all_sectors", lang
        )
    else:
        where = " + ".join(
            m.sector(s, lang) if m.has(f"sector.{s}") else s for s in f.sector.split("+")
        )
    if f.partner:
        where += " · " + m.partner(f.partner, lang)
    param = "" if f.param is None else f"{f.param:g}"
    stat = m.t(f"evidence.stat_{f.kind}", lang, years=years, param=param)
    key = f"fact_indicator.{f.indicator}"
    what = m.t(key, lang) if m.has(key) else m.indicator(f.indicator, lang)
    return f"{what} · {where} · {stat}"


def record_text(f: Fact, lang: str) -> str:
    if f.low is not None and f.high is not None:
        return f"[{f.low:g}, {f.high:g}]"
    if f.target is not None:
        return m.t("evidence.target", lang, value=f"{f.target:g}")
    return m.t("evidence.true", lang)


SOURCE_CHARS = 34


def short_source(source: str, chars: int = SOURCE_CHARS) -> str:
    """A fact's source cut to ``chars`` characters at a word (the CSV keeps it whole)."""
    text = " ".join(source.split())
    if len(text) <= chars:
        return text
    cut = text[: chars - 1].rsplit(" ", 1)[0]
    return cut + "…"


@dataclass(frozen=True)
class EvidenceTable:
    """The check table's text, by column: one column per field (id, fact, record, each
    scenario's median with pass/fail, the reference's share of runs passing), each
    column's cell colours, and each scenario's score line."""

    ids: list[str]
    header: list[str]
    columns: list[list[str]]
    colours: list[list[str]]
    scores: list[str]


def evidence_table(data: ReportData, lang: str) -> EvidenceTable:
    """The facts against every scenario's runs, as text in ``lang`` (a table's data is
    its text)."""
    lang = m.check_lang(lang)
    facts = {f.id: f for f in data.facts}
    ids = [f.id for f in data.facts]
    header = [
        m.t("evidence.col_id", lang),
        m.t("evidence.col_what", lang),
        m.t("evidence.col_record", lang) + " (" + m.t("evidence.col_unit", lang) + ")",
        m.t("evidence.col_source", lang),
    ]
    columns: list[list[str]] = [
        ids,
        [fact_text(facts[i], lang) for i in ids],
        [f"{record_text(facts[i], lang)} {facts[i].unit}".strip() for i in ids],
        [short_source(facts[i].source) for i in ids],
    ]
    white = ["white"] * len(ids)
    colours: list[list[str]] = [white, white, white, white]
    scores = []
    for name in data.scenarios:
        tab = data.check(name).set_index("id").reindex(ids)
        header.append(m.t("evidence.col_model", lang, scenario=m.scenario(name, lang)))
        cells, fill = [], []
        for ok, passed, value in zip(tab["evaluable"], tab["passed"], tab["value"], strict=True):
            if not bool(ok):
                cells.append(m.t("legend.not_evaluable", lang))
                fill.append(NA_COLOUR)
            else:
                mark = m.t("legend.pass" if bool(passed) else "legend.fail", lang)
                cells.append(f"{_fmt(float(value))} · {mark}")
                fill.append(PASS_COLOUR if bool(passed) else FAIL_COLOUR)
        columns.append(cells)
        colours.append(fill)
        passed_n, total = int(tab["passed"].sum()), len(tab)
        scores.append(
            m.t(
                "report.score",
                lang,
                scenario=m.scenario(name, lang),
                passed=passed_n,
                total=total,
                share=f"{passed_n / max(total, 1):.0%}",
            )
        )
    ref = data.check(data.reference).set_index("id").reindex(ids)
    header.append(m.t("evidence.col_runs", lang))
    columns.append([f"{float(s):.0%}" for s in ref["share_passing"]])
    colours.append(white)
    return EvidenceTable(ids, header, columns, colours, scores)


# ---------------------------------------------------------------- provenance
def band_key(data: ReportData) -> str:
    """The band's definition as a message key: a 5-95% band over runs, or no band."""
    return (
        "provenance.band"
        if min(data.n_runs(s) for s in data.scenarios) > 1
        else ("provenance.no_band")
    )


def provenance(data: ReportData, lang: str) -> str:
    """One line that travels with every figure: version, scenarios, runs, seed and what
    the lines and bands are."""
    runs = "/".join(str(data.n_runs(s)) for s in data.scenarios)
    return m.t(
        "provenance.line",
        lang,
        version=__version__,
        scenarios=", ".join(m.scenario(s, lang) for s in data.scenarios),
        runs=runs,
        seed=data.seed,
        band=m.t(band_key(data), lang, low=f"{LOW:g}", high=f"{HIGH:g}"),
    )


# ---------------------------------------------------------------- paired difference
def paired_runs(data: ReportData, scenario: str) -> list[tuple[int, int]]:
    """Pairs (i, j) of run i of the reference and run j of ``scenario`` that share a
    random stream: matched by replicate number where the runs record it, else by
    position (ReportData.build gives replicate i of every scenario stream i)."""
    ref = data.runs[data.reference]
    other = data.runs[scenario]

    def rep(r: Any, k: int) -> int:
        v = r.meta.get("replicate")
        return int(v) if v is not None else k

    where = {rep(r, k): k for k, r in enumerate(other)}
    return [(i, where[rep(r, i)]) for i, r in enumerate(ref) if rep(r, i) in where]


def paired_difference(
    data: ReportData, scenario: str, column: str, scale: float = 1.0
) -> pd.DataFrame:
    """run, year, diff: ``scenario`` minus the reference, run by run (same random stream),
    of an economy column (times ``scale``)."""
    frames = []
    for k, (i, j) in enumerate(paired_runs(data, scenario)):
        a = data.runs[data.reference][i].economy.set_index("year")[column]
        b = data.runs[scenario][j].economy.set_index("year")[column]
        d = (b - a).dropna() * scale
        frames.append(pd.DataFrame({"run": k, "year": d.index.astype(int), "diff": d.to_numpy()}))
    if not frames:
        return pd.DataFrame({"run": [], "year": [], "diff": []})
    return pd.concat(frames, ignore_index=True)


def difference(data: ReportData) -> list[Indicator]:
    """For each main indicator, every other scenario's paired difference from the
    reference: median over the pairs and its 5-95% band (empty with one scenario)."""
    out = []
    for col, scale in COMPARISON:
        series = []
        for name in data.scenarios[1:]:
            d = paired_difference(data, name, col, scale)
            b = summary_bands(d, ["year"], ["diff"], scale=1.0).drop(columns=["column", "runs"])
            series.append(
                Series(b, f"scenario.{name}", scenario_colour(data, name), d["run"].nunique() > 1)
            )
        out.append(Indicator(col, series))
    return out


# ---------------------------------------------------------------- the history
# economy indicators of the history with their scale to the axis's unit
HISTORY_ECONOMY: tuple[tuple[str, float, str], ...] = (
    ("gdp_growth", 1.0, "axis.growth_pct"),
    ("ppi_change", 1.0, "axis.ppi_pct"),
)
# a fact's indicator -> scale to the figure's unit (utilisation ratios in percent)
HISTORY_SCALE = {"gdp_growth": 1.0, "ppi_change": 1.0, "utilisation": 100.0,
                 "aggregate_utilisation": 100.0}  # fmt: skip


@dataclass(frozen=True)
class RecordPoint:
    """A fact drawn on a history line: years, its target and band in the figure's unit."""

    fact: Fact
    start: int
    end: int
    value: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class HistoryPanel:
    key: str  # "gdp_growth", "ppi_change", "ALL" (aggregate utilisation) or a sector
    series: Series
    unit: str
    record: list[RecordPoint]


def _record_points(
    data: ReportData, indicator: str, sector: str, y0: int, y1: int
) -> list[RecordPoint]:
    scale = HISTORY_SCALE[indicator]
    out = []
    for f in data.facts:
        if (
            f.indicator != indicator
            or f.sector != sector
            or f.partner
            or f.kind not in ("value", "mean")
            or f.year_to < y0
            or f.year_from > y1
        ):
            continue
        target = (
            f.target
            if f.target is not None
            else ((f.low + f.high) / 2 if f.low is not None and f.high is not None else None)
        )
        if target is None:
            continue
        out.append(
            RecordPoint(
                f,
                max(f.year_from, y0),
                min(f.year_to, y1),
                target * scale,
                None if f.low is None else f.low * scale,
                None if f.high is None else f.high * scale,
            )
        )
    return out


def history(data: ReportData, scenario: str | None = None) -> list[HistoryPanel]:
    """GDP growth and PPI change (economy), aggregate utilisation and the utilisation of
    every sector the facts file has a figure for, as lines (median, band) with the
    record's value and mean facts on them."""
    name = scenario or data.reference
    y0, y1 = data.years(name)
    bands = data.n_runs(name) > 1
    panels = []
    for col, scale, unit in HISTORY_ECONOMY:
        s = Series(data.economy_bands(name, col, scale=scale), f"indicator.{col}", "#1f3b73", bands)
        panels.append(HistoryPanel(col, s, unit, _record_points(data, col, "ALL", y0, y1)))
    agg = Series(
        data.economy_bands(name, "aggregate_utilisation", scale=100.0),
        "indicator.aggregate_utilisation",
        "#1f3b73",
        bands,
    )
    panels.append(
        HistoryPanel(
            "ALL",
            agg,
            "axis.utilisation_pct",
            _record_points(data, "aggregate_utilisation", "ALL", y0, y1),
        )
    )
    for sec in data.sectors(name):
        rec = _record_points(data, "utilisation", sec, y0, y1)
        if not rec:
            continue
        frame = data.sector_bands(name, "utilisation", sector=sec, scale=100.0, active_only=True)
        panels.append(
            HistoryPanel(
                sec,
                Series(
                    frame.drop(columns=["sector"]),
                    f"sector.{sec}",
                    sector_colour(data, sec),
                    bands,
                ),
                "axis.utilisation_pct",
                rec,
            )
        )
    return panels


# ---------------------------------------------------------------- the waves' timing
@dataclass(frozen=True)
class WaveTiming:
    """By sector (rows in the scenario's order, sectors with capacity only): the year of
    lowest utilisation (peak idle capacity, share of capacity standing idle) in each run,
    its median and range over the runs, the idle share then, and the record's window of
    lowest utilisation where the facts file has two or more figures for the sector."""

    table: pd.DataFrame  # sector, median_year, first_year, last_year, idle_pct, record_from,
    # record_to, record_idle_pct


def wave_timing(data: ReportData, scenario: str | None = None) -> WaveTiming:
    name = scenario or data.reference
    f = data._stack(name, "sectors")
    f = f[f["capacity"] > 0]
    y0, y1 = data.years(name)
    rows = []
    for s in data.sectors(name):
        g = f[f["sector"] == s]
        if g.empty:
            continue
        # per run, the first year of the lowest utilisation
        idx = g.sort_values(["run", "utilisation", "year"]).groupby("run").head(1)
        years = idx["year"].to_numpy()
        idle = (1.0 - idx["utilisation"].to_numpy()) * 100.0
        rec = [p for p in _record_points(data, "utilisation", s, y0, y1)]
        rf = rt = ri = None
        if len(rec) >= 2:
            low = min(rec, key=lambda p: (p.value, p.start))
            rf, rt, ri = low.start, low.end, 100.0 - low.value
        rows.append(
            {
                "sector": s,
                "median_year": float(np.median(years)),
                "first_year": int(years.min()),
                "last_year": int(years.max()),
                "idle_pct": float(np.median(idle)),
                "record_from": rf,
                "record_to": rt,
                "record_idle_pct": ri,
            }
        )
    return WaveTiming(pd.DataFrame(rows))


# ---------------------------------------------------------------- the provinces
PROVINCE_PANELS: tuple[tuple[str, str, str], ...] = (
    ("subsidy_pct_gdp", "fig.provinces.panel_subsidies", "axis.pct_gdp"),
    ("growth_rank", "fig.provinces.panel_rank", "axis.rank"),
    ("debt_pct_gdp", "fig.provinces.panel_debt", "axis.pct_gdp"),
)


@dataclass(frozen=True)
class Provinces:
    """The tournament by province: the median over runs of each panel's value, province x
    year (provinces ordered by their median subsidies relative to GDP, highest first)."""

    provinces: list[str]
    years: list[int]
    grids: dict[str, pd.DataFrame]  # panel column -> provinces x years
    long: pd.DataFrame  # year, province, column, median, p5, p95 (the CSV)


def provinces(data: ReportData, scenario: str | None = None) -> Provinces:
    name = scenario or data.reference
    p = data._stack(name, "provinces").copy()
    gdp = p["gdp"].where(p["gdp"] > 0)
    p["subsidy_pct_gdp"] = (p["subsidies"] / gdp * 100.0).fillna(0.0)
    p["debt_pct_gdp"] = (p["debt"] / gdp * 100.0).fillna(0.0)
    cols = [c for c, _, _ in PROVINCE_PANELS]
    long = summary_bands(p, ["year", "province"], cols).drop(columns=["runs"])
    sub = long[long["column"] == "subsidy_pct_gdp"].groupby("province")["median"].mean()
    order = list(sub.sort_values(ascending=False, kind="stable").index)
    years = sorted(int(y) for y in long["year"].unique())
    grids = {
        c: long[long["column"] == c]
        .pivot(index="province", columns="year", values="median")
        .reindex(index=order, columns=years)
        for c in cols
    }
    return Provinces(order, years, grids, long)
