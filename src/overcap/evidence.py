"""Facts against results: every statistic of the facts format (data/README.md).

A facts file has one row per fact: id, indicator, sector, partner, year_from, year_to,
statistic, target, low, high, unit, source, flag, note. A fact is evaluated on each run
of an ensemble; the median over runs passes or fails, and the share of runs that pass
is reported beside it. An indicator or a sector that no run could produce (a typo) is a
FactsError naming the row and column; a fact the model cannot evaluate in this run (a
sector it does not model here, no output in those years) is reported as not evaluable,
with the reason, and counts as failed.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from overcap.model import Result
from overcap.scenario import PARTNERS, data_path, sector_table, sector_units

COLUMNS = (
    "id",
    "indicator",
    "sector",
    "partner",
    "year_from",
    "year_to",
    "statistic",
    "target",
    "low",
    "high",
    "unit",
    "source",
    "flag",
    "note",
)
REQUIRED = ("id", "indicator", "sector", "year_from", "year_to", "statistic")
SIMPLE_STATS = ("value", "mean", "sum", "sign", "below", "all_below", "any")
PARAM_STATS = ("share_of_sectors_below", "decline_years_at_least")

# ratios of two recorded sector columns that the model's tables do not hold as columns:
# computed here, per sector (0 where the denominator is 0, as for the recorded ratios of
# an empty sector; data/README.md) and, pooled, as the ratio of the sums
DERIVED = {
    "export_share": ("exports", "output"),
    "subsidy_share_of_revenue": ("subsidies", "revenue"),
}
# pooled ratios (ALL or a+b): numerator and denominator columns summed over the pooled
# sectors, never a mean of the sectors' ratios (data/README.md)
RATIOS = {
    "utilisation": ("output", "capacity"),
    "sold_over_capacity": ("sales", "capacity"),
    "domestic_sales_over_output": ("domestic_sales", "output"),
    "margin": ("profit", "revenue"),
    "china_world_share": ("output", "_world"),
    **DERIVED,
}
# shares of firms, pooled as counts over counts: the record counts the firms alive at the
# zombie test, before the year's exits, so a sector's count is its firms at the end of
# the year plus its exits (engine/exits.py)
FIRM_SHARES = ("loss_making_share", "zombie_share")
# per-sector-only indicators: no ALL or pooled value (data/README.md)
PER_SECTOR = ("price", "price_index", "unit_cost", "normal_price", "clearing_price")
# indicators of the facts in words (labels for people; an indicator not named here reads
# as its name with spaces)
INDICATOR_WORDS = {
    "utilisation": "capacity utilisation",
    "aggregate_utilisation": "utilisation of all modelled sectors",
    "sold_over_capacity": "sales over capacity",
    "domestic_sales_over_output": "domestic sales over output",
    "china_world_share": "China's share of world output",
    "ppi_change": "producer prices, change a year",
    "capacity_retired_by_campaign": "capacity retired by campaigns",
    "trade_measure_in_force": "a partner's trade measure in force",
    "fiscal_cost_share_gdp": "fiscal cost of industrial policy",
    "misallocation_tfp_loss": "productivity lost to misallocation",
    "gdp_growth": "GDP growth",
    "export_share": "export share of output",
    "subsidy_share_of_revenue": "industrial-policy support as a share of revenue",
}
# pooled weighted means: column -> weight column (the export-weighted duty is the ratio
# of the sums of duty x exports and exports)
WEIGHTED = {
    "duty_mean": "exports",
}


# indicators in a sector's own physical unit (data/sectors.csv, column unit): a fact on
# one of them is compared in the model's unit, converted by data/fact_units.csv
QUANTITIES = frozenset(
    {
        "capacity",
        "capacity_end",
        "capacity_started",
        "capacity_under_construction",
        "capacity_retired_by_campaign",
        "capacity_retired_real",
        "race_capacity_started",
        "output",
        "sales",
        "liquidation_sales",
        "domestic_sales",
        "exports",
        "imports",
        "inventory",
        "inventory_start",
        "demand_domestic_base",
        "foreign_market",
    }
)
UNITS_FILE = "fact_units.csv"
# the statistics whose target and band are in the indicator's unit (a sign is -1 or 1)
_SCALED = ("value", "mean", "sum", "below", "all_below")


class FactsError(ValueError):
    """A malformed facts file: names the row and the column."""


@cache
def unit_conversions() -> dict[tuple[str, str], float]:
    """(sector, a fact's unit) -> factor to the sector's unit in the model, from
    data/fact_units.csv (whose model_unit column must be data/sectors.csv's unit)."""
    units = sector_units()
    out: dict[tuple[str, str], float] = {}
    with data_path(UNITS_FILE).open(newline="", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh), start=2):
            sector, unit = r["sector"].strip(), r["unit"].strip()
            if sector not in units:
                raise FactsError(f"{UNITS_FILE} row {i}, column sector: {sector!r} unknown")
            if r["model_unit"].strip() != units[sector]:
                raise FactsError(
                    f"{UNITS_FILE} row {i}, column model_unit: {r['model_unit']!r} is not "
                    f"{sector}'s unit in data/sectors.csv ({units[sector]!r})"
                )
            try:
                factor = float(r["factor"])
            except ValueError:
                factor = math.nan
            if not factor > 0 or math.isinf(factor):
                raise FactsError(
                    f"{UNITS_FILE} row {i}, column factor: {r['factor']!r}; allowed: a number "
                    "above 0"
                )
            out[(sector, unit)] = factor
    return out


def _in_model_unit(
    name: str,
    row: int,
    indicator: str,
    sector: str,
    stat: str,
    unit: str,
    note: str,
    values: tuple[float | None, float | None, float | None],
) -> tuple[tuple[float | None, float | None, float | None], str, str, float]:
    """A quantity fact's (target, low, high), unit, note and the factor applied, in the
    model's unit of its sector: converted by data/fact_units.csv where the facts file
    gives another unit (the note says so); a unit with no conversion is a FactsError
    naming the row."""
    model_unit = sector_units().get(sector)
    if indicator not in QUANTITIES or model_unit is None or unit in ("", model_unit):
        return values, unit, note, 1.0
    factor = unit_conversions().get((sector, unit))
    if factor is None:
        known = sorted(u for s, u in unit_conversions() if s == sector)
        raise FactsError(
            f"{name} row {row}, column unit: {unit!r} is not {sector}'s unit in the model "
            f"({model_unit!r}) and data/{UNITS_FILE} has no conversion from it; allowed: "
            + ", ".join(repr(u) for u in [model_unit, *known])
            + " or empty (the model's unit)"
        )
    if factor == 1.0 or stat.split(":")[0] not in _SCALED:
        return values, model_unit, note, 1.0
    shown = ", ".join(f"{v:g}" for v in values if v is not None)
    said = (
        f"converted from {unit} ({shown}) at {factor:g} {model_unit} per {unit}, data/{UNITS_FILE}"
    )
    scaled = tuple(None if v is None else v * factor for v in values)
    note = f"{note}; {said}" if note else said
    return (scaled[0], scaled[1], scaled[2]), model_unit, note, factor


@dataclass(frozen=True)
class Fact:
    id: str
    indicator: str
    sector: str
    partner: str
    year_from: int
    year_to: int
    statistic: str
    param: float | None
    target: float | None
    low: float | None
    high: float | None
    unit: str
    source: str
    row: int
    note: str = ""  # the facts file's note: a definition, a scope, a caveat (may be empty)
    # the factor data/fact_units.csv multiplied target, low and high by (1: as in the file)
    factor: float = 1.0

    @property
    def kind(self) -> str:
        return self.statistic.split(":")[0]

    def describe(self) -> str:
        where = self.sector + (f"/{self.partner}" if self.partner else "")
        years = (
            str(self.year_from)
            if self.year_from == self.year_to
            else f"{self.year_from}-{self.year_to}"
        )
        return f"{self.indicator} {where} {years} {self.statistic}"

    def label(self) -> str:
        """The fact in words, for people: 'capacity utilisation, steel, mean 2001-2007'
        (the machine form is :meth:`describe`)."""
        ind = INDICATOR_WORDS.get(self.indicator, self.indicator.replace("_", " "))
        years = (
            str(self.year_from)
            if self.year_from == self.year_to
            else f"{self.year_from}-{self.year_to}"
        )
        where = "" if self.sector == "ALL" else self.sector.replace("+", ", ").replace("_", " ")
        if self.partner:
            where += f" ({self.partner})"
        at = f", {where}" if where else ""
        kind = self.kind
        if kind == "share_of_sectors_below":
            return f"share of sectors with {ind} below {self.param:g}{at}, {years}"
        if kind == "decline_years_at_least":
            return f"years of decline in {ind}{at}, {years} (at least {self.param:g})"
        if kind == "all_below":
            return f"{ind}{at}, every year {years}, below {self.target:g}"
        if kind == "below":
            return f"{ind}{at}, {years}, below {self.target:g}"
        if kind == "sign":
            sign = "negative" if (self.target or 0) < 0 else "positive"
            return f"{ind}{at}, {years}: {sign}"
        if kind == "any":
            return f"{ind}{at}, in some year {years}"
        how = {"mean": "mean ", "sum": "total "}.get(kind, "")
        return f"{ind}{at}, {how}{years}"


def parse_span(text: str) -> tuple[int, int]:
    """A span of years as the command line writes it, ``FROM-TO`` or one year, as a pair;
    ValueError naming what is wrong otherwise (the one parser of ``--years`` and
    ``--holdout``)."""
    a, dash, b = text.strip().partition("-")
    if dash and not b:
        raise ValueError(f"{text!r}: no last year; expected FROM-TO, e.g. 2020-2030")
    try:
        years = int(a), int(b or a)
    except ValueError:
        raise ValueError(f"{text!r}: expected FROM-TO, e.g. 2020-2030") from None
    if years[1] < years[0]:
        raise ValueError(f"{text!r}: the last year is before the first")
    return years


def _num(text: str, row: int, col: str, required: bool) -> float | None:
    t = (text or "").strip()
    if not t:
        if required:
            raise FactsError(f"facts row {row}, column {col}: a number is required")
        return None
    try:
        v = float(t)
    except ValueError:
        raise FactsError(f"facts row {row}, column {col}: {t!r} is not a number") from None
    if math.isnan(v):
        raise FactsError(f"facts row {row}, column {col}: NaN is not allowed")
    return v


def _int(text: str, row: int, col: str) -> int:
    v = _num(text, row, col, True)
    assert v is not None
    if v != int(v):
        raise FactsError(f"facts row {row}, column {col}: {text!r} is not a whole year")
    return int(v)


def parse_facts(text: str, name: str = "facts") -> list[Fact]:
    """Parse a facts file's text. Raises FactsError naming the row and column."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FactsError(
            f"{name}: header lacks column {missing[0]!r}; the columns are {', '.join(COLUMNS)}"
        )
    facts: list[Fact] = []
    seen: set[str] = set()
    for i, r in enumerate(reader, start=2):  # row 1 is the header
        if r is None or all(not (v or "").strip() for v in r.values() if isinstance(v, str)):
            continue
        if None in r:
            raise FactsError(f"{name} row {i}: more fields than columns in the header")
        fid = (r.get("id") or "").strip()
        if not fid:
            raise FactsError(f"{name} row {i}, column id: empty")
        if fid in seen:
            raise FactsError(f"{name} row {i}, column id: {fid!r} appears twice")
        seen.add(fid)
        ind = (r.get("indicator") or "").strip()
        if not ind:
            raise FactsError(f"{name} row {i}, column indicator: empty")
        sector = (r.get("sector") or "").strip()
        if not sector:
            raise FactsError(f"{name} row {i}, column sector: empty (use ALL for the economy)")
        partner = (r.get("partner") or "").strip()
        if partner and partner not in PARTNERS:
            raise FactsError(
                f"{name} row {i}, column partner: {partner!r} unknown; allowed: "
                + ", ".join(PARTNERS)
            )
        y0 = _int(r.get("year_from", ""), i, "year_from")
        y1 = _int(r.get("year_to", ""), i, "year_to")
        if y1 < y0:
            raise FactsError(f"{name} row {i}, column year_to: {y1} is before year_from {y0}")
        stat = (r.get("statistic") or "").strip()
        kind, _, arg = stat.partition(":")
        param = None
        if kind in PARAM_STATS:
            if not arg:
                raise FactsError(
                    f"{name} row {i}, column statistic: {kind} needs a value, e.g. {kind}:0.75"
                )
            param = _num(arg, i, "statistic", True)
        elif kind not in SIMPLE_STATS or arg:
            raise FactsError(
                f"{name} row {i}, column statistic: {stat!r} unknown; allowed: "
                + ", ".join(SIMPLE_STATS)
                + ", share_of_sectors_below:X, decline_years_at_least:K"
            )
        if kind == "share_of_sectors_below" and sector != "ALL":
            raise FactsError(
                f"{name} row {i}, column sector: share_of_sectors_below needs sector ALL"
            )
        needs_band = kind in ("value", "mean", "sum", "share_of_sectors_below")
        needs_target = kind in ("sign", "below", "all_below")
        target = _num(r.get("target", ""), i, "target", needs_target)
        low = _num(r.get("low", ""), i, "low", needs_band)
        high = _num(r.get("high", ""), i, "high", needs_band)
        if low is not None and high is not None and low > high:
            raise FactsError(f"{name} row {i}, column high: {high} is below low {low}")
        if kind == "sign" and target not in (-1.0, 1.0):
            raise FactsError(f"{name} row {i}, column target: sign needs -1 or 1")
        _check_names(name, i, ind, sector)
        (target, low, high), unit, note, factor = _in_model_unit(
            name,
            i,
            ind,
            sector,
            stat,
            (r.get("unit") or "").strip(),
            (r.get("note") or "").strip(),
            (target, low, high),
        )
        facts.append(
            Fact(
                fid,
                ind,
                sector,
                partner,
                y0,
                y1,
                stat,
                param,
                target,
                low,
                high,
                unit,
                (r.get("source") or "").strip(),
                i,
                note,
                factor,
            )
        )
    if not facts:
        raise FactsError(f"{name}: no facts")
    return facts


@cache
def vocabulary() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(indicators, sectors, provinces) a fact may name: the numeric columns of the
    model's own result tables (one tiny run, once), every sector of data/sectors.csv
    and every province of data/provinces.csv."""
    from overcap.model import run
    from overcap.scenario import load_scenario

    tiny = {
        "time.start_year": 2000,
        "time.end_year": 2001,
        "time.spinup_years": 1,
        "population.firms_start": 50,
    }
    # the columns do not depend on the calibrated set: read them without it
    r = run(load_scenario("baseline", tiny, calibrated=False), seed=0)
    keys = {"year", "sector", "province", "partner"}
    indicators = {
        str(c)
        for frame in (r.sectors, r.provinces, r.economy, r.trade)
        for c in frame.columns
        if c not in keys
    } | set(DERIVED)
    return (
        frozenset(indicators),
        frozenset(sector_table()),
        frozenset(r.provinces["province"].astype(str)),
    )


def _check_names(name: str, row: int, indicator: str, sector: str) -> None:
    """An indicator or a sector no run could ever produce is a mistake in the file, not a
    failed fact."""
    indicators, sectors, provinces = vocabulary()
    if indicator not in indicators:
        close = difflib.get_close_matches(indicator, sorted(indicators), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise FactsError(
            f"{name} row {row}, column indicator: {indicator!r} unknown{hint}; allowed: "
            + ", ".join(sorted(indicators))
        )
    if sector == "ALL" or sector in provinces:
        return
    for part in sector.split("+"):
        if part not in sectors:
            raise FactsError(
                f"{name} row {row}, column sector: {part!r} unknown; allowed: ALL, a province, "
                "or sectors joined by '+': " + ", ".join(sorted(sectors))
            )


def load_facts(path: str | Path | None = None) -> tuple[list[Fact], str]:
    """Facts and their digest (default: the packaged facts.csv). The digest is the SHA-256
    of the file's bytes followed by those of data/fact_units.csv, the conversions that
    put the facts in the model's units: the record as the model is judged on it."""
    p = Path(path) if path is not None else data_path("facts.csv")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise FactsError(f"cannot read facts file {p}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FactsError(f"cannot read facts file {p}: not UTF-8 text") from None
    units = data_path(UNITS_FILE).read_bytes()
    return parse_facts(text, p.name), hashlib.sha256(raw + units).hexdigest()


class NotEvaluable(Exception):
    """The model cannot produce this fact's indicator (the message says why)."""


def sector_column(frame: pd.DataFrame, indicator: str) -> pd.Series:
    """An indicator's column of a sector table, row by row: the recorded column, or a
    :data:`DERIVED` ratio of two recorded columns (0 where the denominator is 0)."""
    if indicator in DERIVED:
        num, den = (frame[c].astype(float) for c in DERIVED[indicator])
        return (num / den.where(den != 0)).where(den != 0, 0.0)
    return frame[indicator]


def has_sector_column(frame: pd.DataFrame, indicator: str) -> bool:
    if indicator in DERIVED:
        return all(c in frame.columns for c in DERIVED[indicator])
    return indicator in frame.columns


def _pool(frame: pd.DataFrame, indicator: str, sectors: list[str]) -> pd.Series:
    """Year series of an indicator pooled over sectors: sums, or ratios of the sums (for
    a share of firms, the firms counted over the firms tested); a per-sector-only
    indicator has no pooled value."""
    if indicator in PER_SECTOR:
        raise NotEvaluable(
            f"{indicator!r} is per sector only: it has no ALL or pooled value (data/README.md)"
        )
    sub = frame[frame["sector"].isin(sectors)].copy()
    if indicator == "china_world_share" or RATIOS.get(indicator, ("", ""))[1] == "_world":
        sub["_world"] = np.where(
            sub["china_world_share"] > 0,
            sub["output"] / sub["china_world_share"].where(sub["china_world_share"] > 0),
            0.0,
        )
    g = sub.groupby("year")
    if indicator in RATIOS:
        num, den = RATIOS[indicator]
        n, d = g[num].sum(), g[den].sum()
        return (n / d.where(d != 0)).astype(float)
    if indicator in FIRM_SHARES:
        lacking = [c for c in (indicator, "firms", "exits") if c not in sub.columns]
        if lacking:
            raise NotEvaluable(f"a pooled {indicator} needs the sector column {lacking[0]!r}")
        tested = sub["firms"] + sub["exits"]
        sub["_count"] = sub[indicator] * tested
        sub["_tested"] = tested
        n, d = g["_count"].sum(), g["_tested"].sum()
        return (n / d.where(d != 0)).astype(float)
    if indicator in WEIGHTED:
        w = WEIGHTED[indicator]
        sub["_wx"] = sub[indicator] * sub[w]
        return (g["_wx"].sum() / g[w].sum().where(g[w].sum() != 0)).astype(float)
    return g[indicator].sum().astype(float)


def series(result: Result, fact: Fact) -> pd.Series:
    """The yearly series a fact is about, over its years."""
    years = range(fact.year_from, fact.year_to + 1)
    ind = fact.indicator
    sectors_all = list(result.sectors["sector"].unique())
    if fact.partner:
        t = result.trade
        if ind not in t.columns:
            raise NotEvaluable(f"{ind!r} is not a per-partner indicator of the model")
        sub = t[t["partner"] == fact.partner]
        wanted = sectors_all if fact.sector == "ALL" else fact.sector.split("+")
        bad = [s for s in wanted if s not in sectors_all]
        if bad:
            raise NotEvaluable(f"sector {bad[0]!r} is not modelled")
        sub = sub[sub["sector"].isin(wanted)]
        agg = "max" if ind == "trade_measure_in_force" else "mean"
        s = sub.groupby("year")[ind].agg(agg).astype(float)
    elif fact.sector in set(result.provinces.get("province", pd.Series(dtype=str))):
        p = result.provinces
        if ind not in p.columns:
            raise NotEvaluable(f"{ind!r} is not a per-province indicator of the model")
        s = p[p["province"] == fact.sector].set_index("year")[ind].astype(float)
    elif fact.sector == "ALL" and ind in result.economy.columns:
        s = result.economy.set_index("year")[ind]
        if s.dtype == object:
            raise NotEvaluable(f"{ind!r} is categorical; only numeric facts are checked")
        s = s.astype(float)
    else:
        wanted = sectors_all if fact.sector == "ALL" else fact.sector.split("+")
        bad = [x for x in wanted if x not in sectors_all]
        if bad:
            raise NotEvaluable(f"sector {bad[0]!r} is not modelled")
        if not has_sector_column(result.sectors, ind):
            raise NotEvaluable(f"the model has no indicator {ind!r}")
        if len(wanted) == 1:
            one = result.sectors[result.sectors["sector"] == wanted[0]]
            s = sector_column(one, ind).set_axis(one["year"]).astype(float)
        else:
            s = _pool(result.sectors, ind, wanted)
    have = [y for y in years if y in s.index]
    if len(have) < len(years):
        raise NotEvaluable(
            f"the run covers {int(s.index.min())}-{int(s.index.max())}, not "
            f"{fact.year_from}-{fact.year_to}"
        )
    return s.loc[list(years)]


def statistic(result: Result, fact: Fact) -> float:
    """The fact's statistic on one run."""
    kind = fact.kind
    if kind == "share_of_sectors_below":
        s = result.sectors
        s = s[(s["year"] >= fact.year_from) & (s["year"] <= fact.year_to)]
        if not has_sector_column(s, fact.indicator):
            raise NotEvaluable(f"the model has no sector indicator {fact.indicator!r}")
        active = s[s["output"] > 0]
        if active.empty:
            raise NotEvaluable("no sector has output in those years")
        means = sector_column(active, fact.indicator).groupby(active["sector"]).mean()
        assert fact.param is not None
        return float((means < fact.param).mean())
    x = series(result, fact).to_numpy(dtype=float)
    if np.isnan(x).any():
        raise NotEvaluable("the indicator is undefined in some of those years")
    if kind == "value":
        return float(x[0]) if len(x) == 1 else float(x.mean())
    if kind == "mean":
        return float(x.mean())
    if kind == "sum":
        return float(x.sum())
    if kind == "sign":
        return float(np.sign(x.mean()))
    if kind == "below":
        return float(x.mean())
    if kind == "all_below":
        return float(x.max())
    if kind == "any":
        return float((x != 0).any())
    if kind == "decline_years_at_least":
        # each year of the range is compared with the year before (also when that year
        # is just before the range, if the run has it)
        try:
            base = series(result, replace(fact, year_from=fact.year_from - 1)).to_numpy(float)
        except NotEvaluable:
            base = x
        return float((np.diff(base) < 0).sum())
    raise NotEvaluable(f"statistic {fact.statistic!r} unknown")


def passes(fact: Fact, value: float) -> bool:
    kind = fact.kind
    if kind in ("value", "mean", "sum", "share_of_sectors_below"):
        assert fact.low is not None and fact.high is not None
        return fact.low <= value <= fact.high
    if kind == "sign":
        return value == fact.target
    if kind in ("below", "all_below"):
        assert fact.target is not None
        return value < fact.target
    if kind == "any":
        return value >= 1.0  # over an ensemble: the median of 0/1 is 1 on a majority only
    if kind == "decline_years_at_least":
        assert fact.param is not None
        return value >= fact.param
    return False


def distance(fact: Fact, value: float | None) -> float:
    """How far a value is from passing, in band widths (0 when it passes): the loss of
    one fact for calibration. Not evaluable counts as 1."""
    if value is None or not np.isfinite(value):
        return 1.0
    kind = fact.kind
    if kind in ("value", "mean", "sum", "share_of_sectors_below"):
        assert fact.low is not None and fact.high is not None
        width = max(fact.high - fact.low, 1e-9)
        return max(fact.low - value, value - fact.high, 0.0) / width
    if kind in ("below", "all_below"):
        assert fact.target is not None
        scale = max(abs(fact.target), 1.0)
        return max(value - fact.target, 0.0) / scale + (0.0 if value < fact.target else 0.1)
    if kind in ("sign", "any"):
        return 0.0 if passes(fact, value) else 1.0
    if kind == "decline_years_at_least":
        assert fact.param is not None
        return max(fact.param - value, 0.0) / max(fact.param, 1.0)
    return 1.0


def check(
    results: Result | Sequence[Result],
    facts: str | Path | Sequence[Fact] | None = None,
) -> pd.DataFrame:
    """Evaluate every fact on a result or an ensemble of results.

    One row per fact: id, what (the machine form), label (in words), unit, source, note
    (the facts file's, empty where it has none), value
    (median over runs), low, high, target, passed (the median passes), share_passing,
    evaluable, reason, distance (for calibration).
    """
    runs = [results] if isinstance(results, Result) else list(results)
    if not runs:
        raise ValueError("check needs at least one result")
    if facts is None or isinstance(facts, str | Path):
        fact_list = load_facts(facts)[0]
    else:
        fact_list = list(facts)
    rows = []
    for fact in fact_list:
        values: list[float] = []
        reason = ""
        try:
            values = [statistic(r, fact) for r in runs]
        except NotEvaluable as exc:
            reason = str(exc)
        if values:
            med = float(np.median(values))
            if fact.kind in ("sign",):
                med = float(np.sign(med)) if med != 0 else 0.0
            ok = passes(fact, med)
            share = float(np.mean([passes(fact, v) for v in values]))
            dist = distance(fact, med)
        else:
            med, ok, share, dist = float("nan"), False, 0.0, 1.0
        rows.append(
            {
                "id": fact.id,
                "what": fact.describe(),
                "label": fact.label(),
                "unit": fact.unit,
                "source": fact.source,
                "note": fact.note,
                "value": med,
                "low": fact.low,
                "high": fact.high,
                "target": fact.target,
                "passed": ok,
                "share_passing": share,
                "evaluable": bool(values),
                "reason": reason,
                "distance": dist,
                "runs": len(runs),
            }
        )
    return pd.DataFrame(rows)
