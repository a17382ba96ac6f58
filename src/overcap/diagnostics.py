"""Look inside a run: the tables issue 14 asks for, computed only from the recorded frames.

``diagnose(results)`` takes one :class:`overcap.Result` per seed and returns a
:class:`Diagnostics`: tidy per-seed tables (a ``seed`` column, one row per seed and key),
their summaries over the seeds (median, min, max; one row per key and metric) and the
checks of issue 14 as booleans with the measured value. Nothing here runs or changes the
engine; ``run_seeds`` only calls :func:`overcap.run` once per seed, or once per replicate
of each seed (``replicates``): then the tables hold one row per run (a ``replicate``
column), the summaries are over every run, and a seed passes a check when a strict
majority of its replicates do (the calibration's plausibility term reads the median over
the replicates of a seed; with an odd number of replicates the two agree exactly). What
each table means and which recorded column each number comes from: docs/DIAGNOSTICS.md.

Where a quantity the issue asks for is not recorded, the table holds the closest recorded
proxy under its own name (``NOT_RECORDED`` lists them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from overcap.model import Result, run
from overcap.scenario import Scenario, load_scenario
from overcap.summary import (
    EXPORT_SHARE_RANGES,
    JUMP_RATIO,
    JUMPS_MAX,
    MARGIN_MAX,
    MARGIN_MIN,
    MARGIN_WINDOW,
    NEW_ENERGY,
    capacity_changes,
    jump_share,
    rolling_margins,
    sector_books,
    sector_margins,
    window_export_share,
)

# metrics (and key numbers) that are years
YEAR_METRICS = frozenset(
    {"first_in_force", "first_new_measure", "window_start", "window_end", "best_start", "best_end"}
)
YEAR_ITEMS = frozenset({"solar_first_measure"})

STEEL_YEARS = (1995, 2000)
WINDOW = MARGIN_WINDOW  # years in a rolling margin window

# per-seed table -> its key columns (besides ``seed``)
KEYS: dict[str, tuple[str, ...]] = {
    "checks": ("check",),
    "key_numbers": ("item", "label"),
    "new_energy": ("year", "sector"),
    "economy": ("year",),
    "margins": ("sector", "period"),
    "margin_worst": ("sector",),
    "trade_first": ("sector", "partner"),
    "trade_sectors": ("sector",),
    "steel_early": ("year",),
    "expectations": ("sector",),
}

NOT_RECORDED: tuple[tuple[str, str], ...] = (
    (
        "the provinces' part of rescues, in results without provinces.bailouts",
        "economy-wide: economy.fiscal_cost - sum of sectors.subsidies - sum of "
        "sectors.campaign_compensation (ODD 7.12.5); a residual under US$ 1 is 0",
    ),
    (
        "provincial industrial-policy spending (ODD 7.3.5 spend_p)",
        "sum of provinces.subsidies (capex + operating) + sum of provinces.bailouts (or "
        "the residual above), over economy.gdp",
    ),
    (
        "subsidy intensity of a sector (z_p,s)",
        "sectors.subsidies / sectors.revenue (capex + operating + credit subsidies per "
        "US$ of sales)",
    ),
    ("steel imports", "not modelled: net exports = sectors.exports"),
    (
        "demand at the realised price (EVs, batteries)",
        "utilisation and sectors.sold_over_capacity; demand_domestic_base is demand at "
        "the normal price, before the income term's price response",
    ),
)


class DiagnosticsError(ValueError):
    """A user error in what to diagnose (seeds, years): one line naming the field."""


# ------------------------------------------------------------------------------ input


def parse_seeds(text: str) -> list[int]:
    """``"0-3"`` -> [0, 1, 2, 3]; ``"0,2,7"``; ``"5"``; mixed ``"0-2,9"``. Seeds are
    non-negative integers, at most 1000 of them, none twice."""
    seeds: list[int] = []
    bad = DiagnosticsError(
        f"--seeds {text!r}: expected seeds N, a range A-B or a comma list, e.g. 0-3 or 0,2,5 "
        "(non-negative integers)"
    )
    for part in text.split(","):
        part = part.strip()
        a, dash, b = part.partition("-")
        try:
            lo = int(a)
            hi = int(b) if dash else lo
        except ValueError:
            raise bad from None
        if lo < 0 or hi < 0:
            raise bad
        if hi < lo:
            raise DiagnosticsError(
                f"--seeds {text!r}: in {part!r} the last seed is before the first"
            )
        seeds.extend(range(lo, hi + 1))
        if len(seeds) > 1000:
            raise DiagnosticsError(f"--seeds {text!r}: at most 1000 seeds")
    if len(set(seeds)) != len(seeds):
        raise DiagnosticsError(f"--seeds {text!r}: a seed is given twice")
    return seeds


def run_seeds(
    scenario: str | Scenario = "baseline",
    seeds: Sequence[int] = (0, 1, 2, 3),
    overrides: dict[str, Any] | list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    replicates: int = 1,
) -> list[Result]:
    """One :func:`overcap.run` per seed, in this process, one after another;
    ``progress(done, total)`` after each. With ``replicates`` R > 1, replicates 0..R-1 of
    each seed (the streams an ensemble and the calibration run), seed by seed. Bad
    scenarios or overrides raise :class:`overcap.ScenarioError` before any run."""
    if not seeds:
        raise DiagnosticsError("seeds: give at least one seed")
    check_replicates(replicates)
    sc = load_scenario(scenario, overrides)
    out: list[Result] = []
    total = len(seeds) * replicates
    for s in seeds:
        for r in range(replicates):
            out.append(run(sc, seed=int(s), replicate=None if replicates == 1 else r))
            if progress is not None:
                progress(len(out), total)
    return out


def check_replicates(replicates: int) -> None:
    """A user error unless ``replicates`` is a whole number of at least 1."""
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise DiagnosticsError(
            f"--replicates {replicates!r}: expected a whole number of at least 1 (runs per seed)"
        )


# ------------------------------------------------------------------------------ result


@dataclass(frozen=True)
class Diagnostics:
    """The diagnostics of one scenario over seeds.

    ``tables``: per run, tidy (``seed``, with several replicates a seed also
    ``replicate``, + the keys of ``KEYS`` + one column per metric). ``summary``: per
    table, one row per key and metric with ``median``, ``min``, ``max`` over the runs and
    ``seeds`` (how many runs had a value). ``checks``: one row per check of issue 14 with
    the median value (of each seed's median over its replicates), its range, how many
    seeds pass and ``passed`` (a strict majority of the seeds that could be evaluated).
    ``seeds`` lists each seed once; ``replicates`` is the runs per seed."""

    scenario: str
    seeds: tuple[int, ...]
    years: tuple[int, int]
    tables: dict[str, pd.DataFrame]
    summary: dict[str, pd.DataFrame]
    checks: pd.DataFrame
    replicates: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: scenario, seeds, years, checks, summaries and per-seed tables
        (NaN as null)."""

        def records(df: pd.DataFrame) -> Any:
            return json.loads(df.to_json(orient="records"))

        return {
            "scenario": self.scenario,
            "seeds": list(self.seeds),
            "replicates": self.replicates,
            "years": list(self.years),
            "checks": records(self.checks),
            "summary": {k: records(v) for k, v in self.summary.items()},
            "tables": {k: records(v) for k, v in self.tables.items()},
            "not_recorded": [{"quantity": q, "proxy": p} for q, p in NOT_RECORDED],
        }

    def write_csv(self, directory: str | Path) -> list[Path]:
        """One CSV per table: ``NAME.csv`` (per run), ``NAME-summary.csv`` (over the runs),
        ``checks-summary.csv``. Returns the paths written."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths: list[Path] = []
        for name, df in self.tables.items():
            paths.append(out / f"{name}.csv")
            df.to_csv(paths[-1], index=False)
            paths.append(out / f"{name}-summary.csv")
            (self.checks if name == "checks" else self.summary[name]).to_csv(paths[-1], index=False)
        return paths


def diagnose(
    results: Sequence[Result], years: tuple[int, int] | None = None, replicates: int = 1
) -> Diagnostics:
    """The diagnostics tables of ``results`` (one per seed, same scenario; or, with
    ``replicates`` R, R consecutive runs per seed, as :func:`run_seeds` returns them) over
    ``years`` (inclusive; default all recorded years). Pure: reads only the result
    frames."""
    if not results:
        raise DiagnosticsError("results: give at least one run")
    check_replicates(replicates)
    if len(results) % replicates or any(
        results[i].seed != results[i - i % replicates].seed for i in range(len(results))
    ):
        raise DiagnosticsError(
            f"replicates {replicates}: the results are not {replicates} consecutive runs of "
            "each seed"
        )
    first = int(min(r.economy["year"].min() for r in results))
    last = int(max(r.economy["year"].max() for r in results))
    if years is None:
        a, b = first, last
    else:
        a, b = int(years[0]), int(years[1])
        if b < a:
            raise DiagnosticsError(f"--years {a}-{b}: the last year is before the first")
        if b < first or a > last:
            raise DiagnosticsError(f"--years {a}-{b}: outside the recorded years {first}-{last}")
        a, b = max(a, first), min(b, last)
    per_seed: dict[str, list[pd.DataFrame]] = {k: [] for k in KEYS}
    labels = ["seed"] if replicates == 1 else ["seed", "replicate"]
    for i, res in enumerate(results):
        one = _one_run(res, a, b)
        for name, df in one.items():
            df = df.assign(seed=res.seed)
            if replicates > 1:
                df = df.assign(replicate=i % replicates)
            per_seed[name].append(df)
    tables: dict[str, pd.DataFrame] = {}
    for name, parts in per_seed.items():
        df = pd.concat(parts, ignore_index=True)
        cols = [*labels, *[c for c in df.columns if c not in labels]]
        tables[name] = df[cols]
    summary = {name: summarise(df, KEYS[name]) for name, df in tables.items() if name != "checks"}
    return Diagnostics(
        scenario=results[0].scenario.name,
        seeds=tuple(r.seed for r in results[::replicates]),
        years=(a, b),
        tables=tables,
        summary=summary,
        checks=summarise_checks(_by_seed(tables["checks"])),
        replicates=replicates,
    )


def _by_seed(checks: pd.DataFrame) -> pd.DataFrame:
    """Per-run checks collapsed to one row per seed and check: the median value over the
    seed's evaluable replicates, evaluable if any is, passed if a strict majority of them
    pass, the most frequent detail. Unchanged without a ``replicate`` column."""
    if "replicate" not in checks.columns:
        return checks
    rows = []
    for (seed, _), g in checks.groupby(["seed", "check"], sort=False):
        ev, n_pass, detail = _pooled(g)
        rows.append(
            {
                **g.iloc[0][["check", "what", "target", "record"]].to_dict(),
                "seed": seed,
                "value": ev["value"].median() if len(ev) else float("nan"),
                "evaluable": bool(len(ev)),
                "passed": n_pass * 2 > len(ev),
                "detail": detail,
            }
        )
    return pd.DataFrame(rows)


def _pooled(g: pd.DataFrame) -> tuple[pd.DataFrame, int, str]:
    """A check's rows pooled (runs of a seed, or seeds): the evaluable rows, how many of
    them pass and their most frequent detail ("" if none has one)."""
    ev = g[g["evaluable"]]
    detail = ev["detail"][ev["detail"] != ""]
    return ev, int(ev["passed"].sum()), str(detail.mode().iloc[0]) if len(detail) else ""


def summarise(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Long summary over seeds: keys, metric, median, min, max, seeds (non-missing
    values). Non-numeric columns are left out; rows keep the table's order."""
    metrics = [
        c for c in df.columns if c not in ("seed", *keys) and pd.api.types.is_numeric_dtype(df[c])
    ]
    long = df.melt(id_vars=list(keys), value_vars=metrics, var_name="metric", value_name="_v")
    long["_v"] = long["_v"].astype(float)
    g = long.groupby([*keys, "metric"], sort=False)["_v"]
    out = pd.DataFrame(
        {"median": g.median(), "min": g.min(), "max": g.max(), "seeds": g.count()}
    ).reset_index()
    # a year's median is the lower median: a year that occurred, not 2012.5
    years = out["metric"].isin(YEAR_METRICS) | (
        out["item"].isin(YEAR_ITEMS) if "item" in out.columns else False
    )
    if years.any():
        low = g.quantile(0.5, interpolation="lower").reset_index(drop=True)
        out.loc[years, "median"] = low[years]
    return out


def summarise_checks(checks: pd.DataFrame) -> pd.DataFrame:
    """One row per check: what, target, record, the value's median/min/max, seeds
    evaluable and passing, ``passed`` (a strict majority of the evaluable seeds; None if
    none is evaluable) and the most frequent detail."""
    rows = []
    for name, g in checks.groupby("check", sort=False):
        ev, n_pass, detail = _pooled(g)
        rows.append(
            {
                "check": name,
                "what": g["what"].iloc[0],
                "target": g["target"].iloc[0],
                "record": g["record"].iloc[0],
                "median": ev["value"].median(),
                "min": ev["value"].min(),
                "max": ev["value"].max(),
                "evaluable": len(ev),
                "passing": n_pass,
                "passed": (n_pass * 2 > len(ev)) if len(ev) else None,
                "detail": detail,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ one run


def _in(frame: pd.DataFrame, a: int, b: int) -> pd.DataFrame:
    return frame[(frame["year"] >= a) & (frame["year"] <= b)]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, NaN where den is 0."""
    return num / den.where(den != 0)


def _one_run(res: Result, a: int, b: int) -> dict[str, pd.DataFrame]:
    sec = _in(res.sectors, a, b)
    out = {
        "new_energy": new_energy(sec),
        "economy": economy(res, a, b),
        "margins": margins(sec),
        "margin_worst": margin_worst(sec),
        "trade_first": trade_first(_in(res.trade, a, b), list(dict.fromkeys(sec["sector"]))),
        "steel_early": steel_early(sec),
    }
    out["trade_sectors"] = trade_sectors(sec, _in(res.trade, a, b), out["trade_first"])
    out["expectations"] = expectations(res.sectors, res.scenario, a, b)
    ctx = {
        **out,
        "_yearly_margin": _sector_margin(sec),
        "_capacity_changes": capacity_changes(sec),
        "_sectors": sec,
    }
    out["key_numbers"] = key_numbers(ctx)
    out["checks"] = checks(ctx, a, b)
    return out


def new_energy(sec: pd.DataFrame) -> pd.DataFrame:
    """Year x new-energy sector: capacity, output, utilisation, sold over capacity,
    margin, exports, export share (of output), China's world share, subsidies over
    revenue. Utilisation is NaN without capacity, margin without revenue."""
    s = sec[sec["sector"].isin(NEW_ENERGY)].copy()
    s["sector"] = pd.Categorical(s["sector"], categories=list(NEW_ENERGY))
    s = s.sort_values(["sector", "year"], kind="stable")
    out = pd.DataFrame(
        {
            "year": s["year"].to_numpy(),
            "sector": s["sector"].astype(str).to_numpy(),
            "capacity": s["capacity"].to_numpy(),
            "output": s["output"].to_numpy(),
            "utilisation": s["utilisation"].where(s["capacity"] > 0).to_numpy(),
            "sold_over_capacity": s["sold_over_capacity"].where(s["capacity"] > 0).to_numpy(),
            "margin": s["margin"].where(s["revenue"] != 0).to_numpy(),
            "exports": s["exports"].to_numpy(),
            "export_share": _ratio(s["exports"], s["output"]).to_numpy(),
            "china_world_share": s["china_world_share"].to_numpy(),
            "subsidies_over_revenue": _ratio(s["subsidies"], s["revenue"]).to_numpy(),
        }
    )
    return out


def economy(res: Result, a: int, b: int) -> pd.DataFrame:
    """Year: GDP growth, PPI change, aggregate utilisation, zombie share, fiscal cost
    (% GDP), and provincial industrial-policy spending with its bailout part (recorded as
    provinces.bailouts; in older results derived: NOT_RECORDED)."""
    eco = _in(res.economy, a, b).set_index("year")
    sec = _in(res.sectors, a, b).groupby("year")[["subsidies", "campaign_compensation"]].sum()
    provinces = _in(res.provinces, a, b).groupby("year")
    prov = provinces["subsidies"].sum()
    if "bailouts" in res.provinces.columns:
        bail = provinces["bailouts"].sum()
    else:
        bail = eco["fiscal_cost"] - sec["subsidies"] - sec["campaign_compensation"]
        # a residual of rounding (under a dollar, US$ m) is no bailout
        bail = bail.where(bail > 1e-6, 0.0)
    spend = prov + bail
    out = pd.DataFrame(
        {
            "gdp_growth": eco["gdp_growth"],
            "ppi_change": eco["ppi_change"],
            "aggregate_utilisation": eco["aggregate_utilisation"],
            "zombie_share": eco["zombie_share"],
            "fiscal_cost_share_gdp": eco["fiscal_cost_share_gdp"],
            "provincial_subsidies_share_gdp": 100 * prov / eco["gdp"],
            "bailout_writeoffs": bail,
            "provincial_spending_share_gdp": 100 * spend / eco["gdp"],
            "bailout_share_of_provincial_spending": _ratio(bail, spend),
        }
    )
    for col in ("zombie_share_soe", "zombie_share_private"):  # recorded since session 40
        if col in eco:
            out[col] = eco[col]
    return out.rename_axis("year").reset_index()


def _sector_margin(sec: pd.DataFrame) -> pd.DataFrame:
    """Year x sector margin, NaN in years without revenue (wide: years as rows), sectors
    in the table's order."""
    return sector_margins(sec)[list(dict.fromkeys(sec["sector"]))]


def periods(years: Sequence[int]) -> dict[int, str]:
    """Each year's five-year period (1995-1999, 2000-2004, ...); a period of a single
    year at either end joins its neighbour (2025-2030; 2009-2014)."""
    ys = sorted(set(int(y) for y in years))
    if not ys:
        return {}
    start = {y: y // WINDOW * WINDOW for y in ys}
    for end, nxt in ((ys[-1], ys[-2:-1]), (ys[0], ys[1:2])):
        alone = sum(1 for y in ys if start[y] == start[end]) == 1
        if alone and nxt and start[nxt[0]] != start[end]:
            start[end] = start[nxt[0]]
    label: dict[int, str] = {}
    for p in dict.fromkeys(start.values()):
        members = [y for y in ys if start[y] == p]
        label.update(
            {y: f"{members[0]}-{members[-1]}" if len(members) > 1 else str(y) for y in members}
        )
    return label


def _books(sec: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Year x sector profit and revenue, NaN in years without revenue, sectors in the
    table's order."""
    order = list(dict.fromkeys(sec["sector"]))
    profit, revenue = sector_books(sec)
    return profit[order], revenue[order]


def margins(sec: pd.DataFrame) -> pd.DataFrame:
    """Sector x five-year period: the period's profit over its revenue (a ratio of sums,
    as data/README.md pools ratios) over its years with revenue."""
    profit, revenue = _books(sec)
    per = revenue.index.map(periods(list(revenue.index)))
    total_profit = profit.groupby(per, sort=False).sum(min_count=1)
    ratio = total_profit / revenue.groupby(per, sort=False).sum(min_count=1)
    long = (
        ratio.rename_axis("period")
        .reset_index()
        .melt(id_vars="period", var_name="sector", value_name="margin")
    )
    return long[["sector", "period", "margin"]]


def margin_worst(sec: pd.DataFrame) -> pd.DataFrame:
    """Per sector, the worst margin (profit over revenue, summed) over five consecutive
    years (all five with revenue) and the window's first and last year, and the best
    margin over such a window and its years (best_margin, best_start, best_end); NaN with
    fewer than five."""
    profit, revenue = _books(sec)
    roll = rolling_margins(profit, revenue)
    rows: list[tuple[Any, ...]] = []
    nan3 = (np.nan, np.nan, np.nan)
    for s in revenue.columns:
        col = roll[s]
        if col.notna().any():
            lo, hi = _year_of(col, min), _year_of(col, max)
            worst = (float(col.min()), float(lo - WINDOW + 1), float(lo))
            best = (float(col.max()), float(hi - WINDOW + 1), float(hi))
            rows.append((s, *worst, *best))
        else:
            rows.append((s, *nan3, *nan3))
    return pd.DataFrame(
        rows,
        columns=[
            "sector",
            "worst_margin",
            "window_start",
            "window_end",
            "best_margin",
            "best_start",
            "best_end",
        ],
    )


def trade_first(trade: pd.DataFrame, sectors: Sequence[str]) -> pd.DataFrame:
    """Sector x partner: the first year a measure is in force (endogenous or scripted;
    the first year of the selection means "already in force then") and the first year a
    new endogenous case opens (``new_measure``; in force the next year); NaN if none."""
    partners = list(dict.fromkeys(trade["partner"]))
    grid = pd.MultiIndex.from_product([list(sectors), partners], names=["sector", "partner"])

    def first(mask: pd.Series) -> pd.Series:
        return trade[mask].groupby(["sector", "partner"])["year"].min().reindex(grid)

    out = pd.DataFrame(
        {
            "first_in_force": first(trade["trade_measure_in_force"] == 1).astype(float),
            "first_new_measure": first(trade["new_measure"] == 1).astype(float),
        }
    )
    return out.reset_index()


def trade_sectors(sec: pd.DataFrame, trade: pd.DataFrame, first: pd.DataFrame) -> pd.DataFrame:
    """Per sector: the first year any partner has a measure in force, the first new
    measure, partners with a measure (mean over the years), export-weighted duty (mean
    over the years) and the dumping margin (mean over partner-years with exports)."""
    g = first.groupby("sector", sort=False)
    exported = trade[trade["exports"] > 0]
    out = pd.DataFrame(
        {
            "first_in_force": g["first_in_force"].min(),
            "first_new_measure": g["first_new_measure"].min(),
            "partners_with_measures": sec.groupby("sector")["trade_measures"].mean(),
            "duty_mean": sec.groupby("sector")["duty_mean"].mean(),
            "dumping_margin": exported.groupby("sector")["dumping_margin"].mean(),
        }
    )
    return out.reindex(list(g.groups)).rename_axis("sector").reset_index()


def steel_early(sec: pd.DataFrame) -> pd.DataFrame:
    """Steel, 1995-2000 (within the selection): output, domestic sales, exports, net
    exports (= exports: imports are not modelled) and exports over output."""
    s = sec[(sec["sector"] == "steel") & sec["year"].between(*STEEL_YEARS)]
    return pd.DataFrame(
        {
            "year": s["year"].to_numpy(),
            "output": s["output"].to_numpy(),
            "domestic_sales": s["domestic_sales"].to_numpy(),
            "exports": s["exports"].to_numpy(),
            "net_exports": s["exports"].to_numpy(),
            "export_share": _ratio(s["exports"], s["output"]).to_numpy(),
        }
    )


EXPECTATION_COLUMNS = ("distress_price", "expected_price", "clearing_price")
BOUND_TOL = 1e-9  # relative: a price within this of a bound is at it


def expectations(sectors: pd.DataFrame, sc: Scenario, a: int, b: int) -> pd.DataFrame:
    """Per sector, over the years ``a``-``b`` in which investors formed expectations:
    the share of years in which the price they expected (``expected_price``, ODD 7.5.3)
    was the distress price, the share in which it was the scarcity price, the share in
    which the market cleared at the distress price (``clearing_price``, before a floor
    and the partial adjustment of 7.6), and the median error of the expectation in logs,
    ln(p^e_t / p_{t+n}), signed and absolute, with n = max(round(lag_s), 1) the first
    year a project started in t produces (its mean build lag, 7.5.6), over the years
    whose t + n is recorded. Results saved before these columns were recorded give NaN."""
    names = list(dict.fromkeys(sectors["sector"]))
    cols = ["expects_distress", "expects_scarcity", "clears_distress", "log_error", "abs_log_error"]
    if not set(EXPECTATION_COLUMNS) <= set(sectors.columns):
        return pd.DataFrame({"sector": names, **{c: np.nan for c in cols}})
    rows = []
    hi = sc.market.scarcity_price
    for name in names:
        s = sectors[sectors["sector"] == name].set_index("year").sort_index()
        formed = s[(s.index >= a) & (s.index <= b) & (s["expected_price"] > 0)]
        n = max(int(np.floor(sc.sectors[name].build_lag + 0.5)), 1)
        later = s["price"].reindex(formed.index + n).to_numpy()
        err = np.log(formed["expected_price"].to_numpy() / later)
        lo_e = formed["expected_price"] <= formed["distress_price"] * (1.0 + BOUND_TOL)
        hi_e = formed["expected_price"] >= hi * formed["normal_price"] * (1.0 - BOUND_TOL)
        sold = formed[formed["sales"] > 0]
        lo_r = sold["clearing_price"] <= sold["distress_price"] * (1.0 + BOUND_TOL)
        rows.append(
            (
                name,
                float(lo_e.mean()) if len(formed) else np.nan,
                float(hi_e.mean()) if len(formed) else np.nan,
                float(lo_r.mean()) if len(sold) else np.nan,
                float(np.nanmedian(err)) if np.isfinite(err).any() else np.nan,
                float(np.nanmedian(np.abs(err))) if np.isfinite(err).any() else np.nan,
            )
        )
    return pd.DataFrame(rows, columns=["sector", *cols])


# ------------------------------------------------------------------------------ numbers


def _year_of(series: pd.Series, which: Callable[..., Any]) -> int:
    """The index label (a year) of the series' min or max (``which`` is min or max); the
    first such year."""
    vals = series.to_numpy(dtype=float)
    k = int(np.nanargmin(vals)) if which is min else int(np.nanargmax(vals))
    return int(series.index[k])


def _at(df: pd.DataFrame, col: str, years: tuple[int, int], **where: str) -> float:
    """Mean of ``col`` over the rows of ``years`` (inclusive) matching ``where``; NaN if
    none."""
    m = df["year"].between(*years)
    for k, v in where.items():
        m &= df[k] == v
    vals = df.loc[m, col]
    return float(vals.mean()) if vals.notna().any() else float("nan")


# (item, label, how): how(tables of one run) -> value
KEY_NUMBERS: tuple[tuple[str, str, Callable[[dict[str, pd.DataFrame]], float]], ...] = (
    (
        "solar_capacity_2010",
        "solar capacity 2010, GW/yr",
        lambda t: _at(t["new_energy"], "capacity", (2010, 2010), sector="solar_pv"),
    ),
    (
        "solar_world_share_2010",
        "solar China world share 2010",
        lambda t: _at(t["new_energy"], "china_world_share", (2010, 2010), sector="solar_pv"),
    ),
    (
        "solar_utilisation_2012_14",
        "solar utilisation 2012-14",
        lambda t: _at(t["new_energy"], "utilisation", (2012, 2014), sector="solar_pv"),
    ),
    (
        "solar_output_2023",
        "solar output 2023, GW",
        lambda t: _at(t["new_energy"], "output", (2023, 2023), sector="solar_pv"),
    ),
    (
        "solar_utilisation_2023",
        "solar utilisation 2023",
        lambda t: _at(t["new_energy"], "utilisation", (2023, 2023), sector="solar_pv"),
    ),
    (
        "solar_margin_2023",
        "solar margin 2023",
        lambda t: _at(t["new_energy"], "margin", (2023, 2023), sector="solar_pv"),
    ),
    (
        "solar_exports_2023",
        "solar exports 2023, GW",
        lambda t: _at(t["new_energy"], "exports", (2023, 2023), sector="solar_pv"),
    ),
    (
        "solar_export_share_2023",
        "solar exports / output 2023",
        lambda t: _at(t["new_energy"], "export_share", (2023, 2023), sector="solar_pv"),
    ),
    (
        "battery_utilisation_2022_23",
        "battery utilisation 2022-23",
        lambda t: _at(t["new_energy"], "utilisation", (2022, 2023), sector="li_batteries"),
    ),
    (
        "ev_output_2022",
        "EV output 2022, m",
        lambda t: _at(t["new_energy"], "output", (2022, 2022), sector="electric_vehicles"),
    ),
    (
        "ev_output_2023",
        "EV output 2023, m",
        lambda t: _at(t["new_energy"], "output", (2023, 2023), sector="electric_vehicles"),
    ),
    (
        "ev_utilisation_2022_24",
        "EV utilisation 2022-24",
        lambda t: _at(t["new_energy"], "utilisation", (2022, 2024), sector="electric_vehicles"),
    ),
    (
        "solar_first_measure",
        "solar: first year a measure is in force",
        lambda t: _first(t["trade_sectors"], "solar_pv"),
    ),
    (
        "zombie_share_mean",
        "zombie share (economy), mean",
        lambda t: float(t["economy"]["zombie_share"].mean()),
    ),
    (
        "provincial_spending_2011_15",
        "provincial spending % GDP 2011-15",
        lambda t: _at(t["economy"], "provincial_spending_share_gdp", (2011, 2015)),
    ),
    (
        "bailout_share_2011_15",
        "bailouts' share of it 2011-15",
        lambda t: _at(t["economy"], "bailout_share_of_provincial_spending", (2011, 2015)),
    ),
    (
        "solar_subsidy_2010",
        "solar subsidies / revenue 2010",
        lambda t: _at(t["new_energy"], "subsidies_over_revenue", (2010, 2010), sector="solar_pv"),
    ),
    (
        "solar_subsidy_2023",
        "solar subsidies / revenue 2023",
        lambda t: _at(t["new_energy"], "subsidies_over_revenue", (2023, 2023), sector="solar_pv"),
    ),
    ("steel_margin_2013_15", "steel margin 2013-15", lambda t: _margin(t, "steel", (2013, 2015))),
    (
        "appliances_margin",
        "appliances margin, mean of the years",
        lambda t: _margin(t, "appliances", None),
    ),
    (
        "shipbuilding_margin",
        "shipbuilding margin, mean of the years",
        lambda t: _margin(t, "shipbuilding", None),
    ),
    (
        "steel_net_exports_1995_2000",
        "steel net exports 1995-2000, Mt/yr",
        lambda t: _at(t["steel_early"], "net_exports", STEEL_YEARS),
    ),
    (
        "ppi_largest_rise",
        "PPI: largest one-year rise, %",
        lambda t: float(t["economy"]["ppi_change"].max()),
    ),
    (
        "zombie_largest_fall",
        "zombie share: largest one-year fall",
        lambda t: float(-t["economy"]["zombie_share"].diff().min()),
    ),
    # investors' expectations: means over the sectors of the expectations table
    *(
        (item, label, lambda t, col=col: _mean(t["expectations"], col))
        for item, col, label in (
            ("expects_distress", "expects_distress", "investors expect the distress price, share"),
            ("clears_distress", "clears_distress", "market clears at the distress price, share"),
            ("expects_scarcity", "expects_scarcity", "investors expect the scarcity price, share"),
            ("expectation_log_error", "abs_log_error", "|ln(expected / realised price)|, median"),
        )
    ),
)


def _mean(df: pd.DataFrame, col: str) -> float:
    """Mean over the sectors with a value (NaN if none)."""
    v = df[col].to_numpy(dtype=float)
    return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")


def _first(trade_sec: pd.DataFrame, sector: str) -> float:
    v = trade_sec.loc[trade_sec["sector"] == sector, "first_in_force"]
    return float(v.iloc[0]) if len(v) else float("nan")


def _margin(t: dict[str, pd.DataFrame], sector: str, years: tuple[int, int] | None) -> float:
    """Mean yearly margin of a sector over ``years`` (all the selection with None), over
    the years with revenue."""
    m = t["_yearly_margin"]
    sub = m if years is None else m[(m.index >= years[0]) & (m.index <= years[1])]
    if sector not in sub.columns or not sub[sector].notna().any():
        return float("nan")
    return float(sub[sector].mean())


def key_numbers(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The numbers the diagnosis of issue 14 names, one row per item."""
    return pd.DataFrame(
        [(item, label, how(t)) for item, label, how in KEY_NUMBERS],
        columns=["item", "label", "value"],
    )


# ------------------------------------------------------------------------------ checks

Verdict = tuple[float, bool | None, str]  # value, passed (None: not evaluable), detail


def _series(t: dict[str, pd.DataFrame], sector: str, col: str, years: tuple[int, int]) -> pd.Series:
    ne = t["new_energy"]
    m = (ne["sector"] == sector) & ne["year"].between(*years)
    return ne.loc[m].set_index("year")[col].dropna()


def _dip(t: dict[str, pd.DataFrame], years: tuple[int, int]) -> Verdict:
    u = _series(t, "solar_pv", "utilisation", years)
    if u.empty:
        return float("nan"), None, ""
    return float(u.min()), bool(u.min() < 0.8), f"lowest in {_year_of(u, min)}"


def _solar_exports(t: dict[str, pd.DataFrame], a: int, b: int) -> Verdict:
    sh = _series(t, "solar_pv", "export_share", (a, 2014))
    if sh.empty:
        return float("nan"), None, ""
    return float(sh.mean()), bool(sh.mean() > 0.5), f"{int(sh.index.min())}-{int(sh.index.max())}"


def _solar_measure(t: dict[str, pd.DataFrame], a: int, b: int) -> Verdict:
    if not a <= 2010 <= b:
        return float("nan"), None, ""
    tf = t["trade_first"]
    solar = tf[tf["sector"] == "solar_pv"]
    first = solar["first_in_force"].min()
    if np.isnan(first):
        return float("nan"), True, "no measure"
    who = list(solar.loc[solar["first_in_force"] == first, "partner"])
    more = f" +{len(who) - 3}" if len(who) > 3 else ""
    return float(first), bool(first > 2010), ", ".join(who[:3]) + more


def _glut(sector: str) -> Callable[[dict[str, pd.DataFrame], int, int], Verdict]:
    def check(t: dict[str, pd.DataFrame], a: int, b: int) -> Verdict:
        u = _series(t, sector, "utilisation", (2022, 2024))
        if u.empty:
            return float("nan"), None, ""
        sold = _series(t, sector, "sold_over_capacity", (2022, 2024)).mean()
        return float(u.mean()), bool(u.mean() < 0.85), f"sales/capacity {sold:.2f}"

    return check


def _economy_mean(col: str, limit: float) -> Callable[[dict[str, pd.DataFrame], int, int], Verdict]:
    def check(t: dict[str, pd.DataFrame], a: int, b: int) -> Verdict:
        e = t["economy"].set_index("year")[col].dropna()
        if e.empty:
            return float("nan"), None, ""
        return float(e.mean()), bool(e.mean() < limit), f"peak {e.max():.3g} in {_year_of(e, max)}"

    return check


def _extreme_margin(worst: bool) -> Callable[[dict[str, pd.DataFrame], int, int], Verdict]:
    """The check of the lowest (``worst``) or highest five-year margin of any sector
    against the internal range (summary.MARGIN_MIN, MARGIN_MAX); detail: the sector and
    its window."""
    col, start, end = (
        ("worst_margin", "window_start", "window_end")
        if worst
        else ("best_margin", "best_start", "best_end")
    )

    def check(t: dict[str, pd.DataFrame], a: int, b: int) -> Verdict:
        w = t["margin_worst"].dropna(subset=[col])
        if w.empty:
            return float("nan"), None, ""
        values = w[col].to_numpy()
        row = w.iloc[int(np.argmin(values) if worst else np.argmax(values))]
        v = float(row[col])
        detail = f"{row['sector']} {int(row[start])}-{int(row[end])}"
        return v, bool(v >= MARGIN_MIN if worst else v <= MARGIN_MAX), detail

    return check


# state-owned firms' zombie share over private firms', mean 2005-13: about 3 in the record
# (Lam et al. 2017, IMF WP/17/266; Tan, Huang and Woo 2016; recalled, R), the ratio the
# rescue probabilities of docs/ODD.md 7.9.2 were derived for; at least 2 passes
SOE_ZOMBIE_RATIO_MIN = 2.0
SOE_ZOMBIE_YEARS = (2005, 2013)


def _soe_zombie_ratio(t: dict[str, pd.DataFrame], a: int, b: int) -> Verdict:
    e = t["economy"].set_index("year")
    lo, hi = SOE_ZOMBIE_YEARS
    if "zombie_share_soe" not in e or lo < a or hi > b:  # older results, other years
        return float("nan"), None, ""
    w = e.loc[lo:hi]
    soe, private = float(w["zombie_share_soe"].mean()), float(w["zombie_share_private"].mean())
    if private > 0:
        ratio = soe / private
    elif soe > 0:
        ratio = float("inf")  # zombies, all of them state-owned
    else:
        return float("nan"), None, "no zombies"
    return ratio, bool(ratio >= SOE_ZOMBIE_RATIO_MIN), f"state {soe:.3f}, private {private:.3f}"


_worst_margin = _extreme_margin(worst=True)
_best_margin = _extreme_margin(worst=False)


def _capacity_jumps(t: dict[str, pd.DataFrame], a: int, b: int) -> Verdict:
    ch = t["_capacity_changes"]
    if ch.notna().to_numpy().sum() == 0:
        return float("nan"), None, ""
    share = jump_share(ch)
    big = ch.abs().stack()
    big = big[big > np.log(JUMP_RATIO)]
    detail = "none"
    if len(big):
        year, sector = big.idxmax()
        detail = f"{len(big)}; largest {sector} {int(year)} (x{np.exp(ch.loc[year, sector]):.2f})"
    return share, bool(share <= JUMPS_MAX), detail


def _export_share(name: str) -> Callable[[dict[str, pd.DataFrame], int, int], Verdict]:
    """The check of a sector's exports over output, summed over a window, against its
    internal range (``name`` in summary.EXPORT_SHARE_RANGES); not evaluable unless the
    selected years hold the whole window."""
    sector, first, last, low, high = EXPORT_SHARE_RANGES[name]

    def check(t: dict[str, pd.DataFrame], a: int, b: int) -> Verdict:
        if not (a <= first and last <= b):
            return float("nan"), None, ""
        v = window_export_share(t["_sectors"], sector, first, last)
        if not np.isfinite(v):
            return float("nan"), None, ""
        return v, bool(low <= v <= high), f"{first}-{last}"

    return check


# how a check's value is shown: y year, p percent, else r ratio
CHECK_KINDS = {"solar_measure_after_2010": "y", "provincial_spending": "p"}

# (check, what, target, record, how)
CHECKS: tuple[
    tuple[str, str, str, str, Callable[[dict[str, pd.DataFrame], int, int], Verdict]], ...
] = (
    (
        "solar_dip_2011_13",
        "solar utilisation dips in 2011-13 (lowest)",
        "< 0.8",
        "sectors.utilisation",
        lambda t, a, b: _dip(t, (2011, 2013)),
    ),
    (
        "solar_dip_after_2021",
        "solar utilisation dips after 2021 (lowest)",
        "< 0.8",
        "sectors.utilisation",
        lambda t, a, b: _dip(t, (2022, b)),
    ),
    (
        "solar_export_push",
        "solar exports / output, mean before 2015",
        "> 0.5",
        "sectors.exports, output",
        _solar_exports,
    ),
    (
        "solar_measure_after_2010",
        "first solar trade measure in force",
        "> 2010 or none",
        "trade.trade_measure_in_force",
        _solar_measure,
    ),
    (
        "ev_glut_2022_24",
        "EV utilisation, mean 2022-24",
        "< 0.85",
        "sectors.utilisation",
        _glut("electric_vehicles"),
    ),
    (
        "battery_glut_2022_24",
        "battery utilisation, mean 2022-24",
        "< 0.85",
        "sectors.utilisation",
        _glut("li_batteries"),
    ),
    (
        "zombie_share",
        "zombie share, economy, mean",
        "< 0.2",
        "economy.zombie_share",
        _economy_mean("zombie_share", 0.2),
    ),
    (
        "soe_zombie_ratio",
        f"state-owned over private firms' zombie share, mean {SOE_ZOMBIE_YEARS[0]}-"
        f"{SOE_ZOMBIE_YEARS[1]}",
        f">= {SOE_ZOMBIE_RATIO_MIN:g}",
        "economy.zombie_share_soe, zombie_share_private",
        _soe_zombie_ratio,
    ),
    (
        "provincial_spending",
        "provincial spending % GDP, mean",
        "< 5",
        "provinces.subsidies + bailouts",
        _economy_mean("provincial_spending_share_gdp", 5.0),
    ),
    (
        "worst_margin",
        "worst five-year margin of a sector (profit over revenue, summed)",
        f">= {MARGIN_MIN:g}",
        "sectors.profit / revenue",
        _worst_margin,
    ),
    (
        "best_margin",
        "best five-year margin of a sector (profit over revenue, summed)",
        f"<= {MARGIN_MAX:g}",
        "sectors.profit / revenue",
        _best_margin,
    ),
    *(
        (
            f"{sector}_export_share_{first}_{last}",
            f"{sector.replace('_', ' ')} exports / output, {first}-{last} (summed)",
            f"{low:g}-{high:g}",
            "sectors.exports, output",
            _export_share(name),
        )
        for name, (sector, first, last, low, high) in EXPORT_SHARE_RANGES.items()
    ),
    (
        "capacity_jumps",
        f"mature sector-years whose capacity rises above x{JUMP_RATIO:g} or falls below "
        f"1/{JUMP_RATIO:g} in a year (share)",
        f"<= {JUMPS_MAX:g}",
        "sectors.capacity",
        _capacity_jumps,
    ),
)


def checks(t: dict[str, pd.DataFrame], a: int, b: int) -> pd.DataFrame:
    """The qualitative targets of issue 14 for one run: value, passed, evaluable (the
    selected years hold the check's years) and a detail (when, where, which sector)."""
    rows = []
    for name, what, target, record, how in CHECKS:
        value, passed, detail = how(t, a, b)
        rows.append(
            {
                "check": name,
                "what": what,
                "target": target,
                "record": record,
                "value": value,
                "evaluable": passed is not None,
                "passed": bool(passed),
                "detail": detail,
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------ text


def _fmt(x: float, kind: str) -> str:
    """A number for a table cell: ``q`` quantity (about three significant digits, at
    least three decimals below 1), ``r`` ratio (two decimals), ``p`` percent (one
    decimal), ``y`` year, ``y2`` two-digit year."""
    if x is None or not np.isfinite(x):
        return "-"
    if kind == "r":
        return f"{x:.2f}"
    if kind == "p":
        return f"{x:.1f}"
    if kind == "y":
        return f"{int(x)}"
    if kind == "y2":
        return f"{int(x) % 100:02d}"
    a = abs(x)
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _span(lo: float, hi: float, kind: str) -> str:
    """min-max; min..max when a bound is negative (two-digit years for years)."""
    if kind == "y":
        return f"{_fmt(lo, 'y2')}-{_fmt(hi, 'y2')}"
    sep = "-" if lo >= 0 and hi >= 0 else ".."
    return f"{_fmt(lo, kind)}{sep}{_fmt(hi, kind)}"


def _cell(row: Any, kind: str, runs: int) -> str:
    """Median; with several seeds and a spread, a second dim line min-max. ``*``: not
    every seed has a value; ``-``: none has."""
    if row is None or not np.isfinite(row["median"]):
        return "-"
    text = _fmt(row["median"], kind)
    if 0 < row["seeds"] < runs:
        text += "*"
    lo, hi = _fmt(row["min"], kind), _fmt(row["max"], kind)
    if runs > 1 and (lo != hi or kind == "y" and row["min"] != row["max"]):
        text += f"\n[dim]{_span(row['min'], row['max'], kind)}[/]"
    return text


def _table(title: str, *columns: str, justify: str = "") -> Any:
    """A compact table; ``justify`` gives each column l or r (default: the first left,
    the others right); cells fold rather than being cut."""
    from rich import box
    from rich.table import Table

    t = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 1, 0, 0),
        pad_edge=False,
        title_style="bold",
    )
    for i, c in enumerate(columns):
        j = justify[i] if i < len(justify) else "l" if i == 0 else "r"
        t.add_column(c, justify="left" if j == "l" else "right", overflow="fold")
    return t


def _lookup(summary: pd.DataFrame, keys: Sequence[str]) -> dict[tuple[Any, ...], Any]:
    """(key values..., metric) -> summary row."""
    return {tuple(r[k] for k in (*keys, "metric")): r for r in summary.to_dict("records")}


def render(d: Diagnostics, overrides: Sequence[str] = ()) -> list[Any]:
    """The diagnostics as rich renderables (text and tables), laid out for 80 columns."""
    from rich.markup import escape

    n = len(d.seeds) * d.replicates  # runs
    out: list[Any] = []
    seeds = _seed_text(d.seeds)
    span = f"{d.years[0]}-{d.years[1]}"
    reps = f" x {d.replicates} replicates" if d.replicates > 1 else ""
    head = f"[bold]overcap diagnose[/] {escape(d.scenario)}: seeds {seeds}{reps}, years {span}"
    if overrides:
        head += "; " + escape(", ".join(overrides))
    out.append(head)
    if d.replicates > 1:
        out.append(
            f"Cells: the median over the {n} runs ({len(d.seeds)} seeds x {d.replicates} "
            "replicates); a second, dim line: min-max over the runs (min..max when negative; "
            "years as two digits). *: not every run has a value. -: none. Checks: a seed's "
            "value is the median over its replicates and it passes when a strict majority "
            "of them do; pass counts seeds."
        )
    elif n > 1:
        out.append(
            f"Cells: the median over the {n} seeds; a second, dim line: min-max over the "
            "seeds (min..max when negative; years as two digits). *: not every seed has a "
            "value. -: none."
        )

    # checks
    t = _table(
        "Checks: the qualitative targets of issue 14",
        "check",
        "value",
        "target",
        "pass",
        "detail",
        justify="lrlll",
    )
    for r in d.checks.to_dict("records"):
        kind = CHECK_KINDS.get(r["check"], "r")
        stats = {"median": r["median"], "min": r["min"], "max": r["max"], "seeds": r["evaluable"]}
        if not r["evaluable"]:
            value, verdict = "-", "n/a"
        else:
            value = _cell(stats, kind, r["evaluable"])
            if kind == "y" and not np.isfinite(r["median"]):
                value = "none"
            mark = "[green]yes[/]" if r["passed"] else "[red]no[/]"
            verdict = f"{mark} {r['passing']}/{r['evaluable']}"
        t.add_row(escape(r["what"]), value, escape(r["target"]), verdict, escape(r["detail"]))
    out.append(t)

    # key numbers
    t = _table("Key numbers of the diagnosis", "number", "median", "min-max" if n > 1 else "")
    for r in d.summary["key_numbers"].to_dict("records"):
        kind = "y" if r["item"] in YEAR_ITEMS else "q"
        med = _fmt(r["median"], kind)
        if kind == "y" and r["seeds"] == 0:
            med = "none"
        rng = ""
        if n > 1 and r["seeds"]:
            rng = _span(r["min"], r["max"], "q" if kind == "y" else kind)
        t.add_row(escape(r["label"]), med + ("*" if 0 < r["seeds"] < n else ""), rng)
    out.append(t)

    # new energy
    ne = _lookup(d.summary["new_energy"], ("year", "sector"))
    cols = (
        ("capacity", "q"),
        ("output", "q"),
        ("utilisation", "r"),
        ("margin", "r"),
        ("exports", "q"),
        ("china_world_share", "r"),
    )
    for sector in NEW_ENERGY:
        t = _table(
            f"New energy: {sector} by year",
            "year",
            "capacity",
            "output",
            "util.",
            "margin",
            "exports",
            "world sh.",
        )
        years = sorted({k[0] for k in ne if k[1] == sector})
        for y in years:
            cap = ne[(y, sector, "capacity")]
            if not cap["max"] > 0:
                continue
            t.add_row(str(y), *[_cell(ne.get((y, sector, c)), kind, n) for c, kind in cols])
        out.append(t)

    # economy
    ec = _lookup(d.summary["economy"], ("year",))
    cols = (
        ("zombie_share", "r"),
        ("ppi_change", "p"),
        ("aggregate_utilisation", "r"),
        ("provincial_spending_share_gdp", "p"),
        ("bailout_share_of_provincial_spending", "r"),
        ("fiscal_cost_share_gdp", "p"),
    )
    t = _table(
        "Economy by year: zombies, prices, provincial spending (% GDP)",
        "year",
        "zombie",
        "PPI %",
        "util.",
        "prov.sp.",
        "bailout",
        "fiscal",
    )
    for y in sorted({k[0] for k in ec}):
        t.add_row(str(y), *[_cell(ec.get((y, c)), kind, n) for c, kind in cols])
    out.append(t)
    out.append(
        "zombie: share of firms; util.: value-weighted utilisation; prov.sp.: provincial "
        "industrial-policy spending (capex and operating subsidies + the provinces' part "
        "of rescues) % GDP; bailout: its bailout share; fiscal: fiscal cost % GDP."
    )

    # margins
    mg = _lookup(d.summary["margins"], ("sector", "period"))
    sectors = list(dict.fromkeys(d.summary["margins"]["sector"]))
    pers = list(dict.fromkeys(d.summary["margins"]["period"]))
    for i in range(0, len(pers), 4):
        chunk = pers[i : i + 4]
        t = _table(
            "Sector margins (profit / revenue), mean of the years" + (" (cont.)" if i else ""),
            "sector",
            *chunk,
        )
        for s_ in sectors:
            t.add_row(s_, *[_cell(mg.get((s_, p, "margin")), "r", n) for p in chunk])
        out.append(t)
    mw = _lookup(d.summary["margin_worst"], ("sector",))
    per_seed = d.tables["margin_worst"].dropna(subset=["worst_margin"])

    def most_seeds(start: str, end: str) -> pd.Series:
        span = per_seed[start].astype(int).astype(str) + "-" + per_seed[end].astype(int).astype(str)
        return per_seed.assign(w=span).groupby("sector")["w"].agg(lambda w: w.mode().iloc[0])

    window = most_seeds("window_start", "window_end")
    best_window = most_seeds("best_start", "best_end")
    t = _table(
        "Worst and best five-year margin by sector (ratio of sums)",
        "sector",
        "worst",
        "window (most seeds)",
        "best",
        "window (most seeds)",
    )
    for s_ in sectors:
        t.add_row(
            s_,
            _cell(mw.get((s_, "worst_margin")), "r", n),
            str(window.get(s_, "-")),
            _cell(mw.get((s_, "best_margin")), "r", n),
            str(best_window.get(s_, "-")),
        )
    out.append(t)

    # investors' expectations
    ex = _lookup(d.summary["expectations"], ("sector",))
    t = _table(
        "Investors' expected price by sector",
        "sector",
        "expects lo",
        "expects hi",
        "clears lo",
        "ln(p^e/p)",
        "|ln|",
    )
    for s_ in sectors:
        t.add_row(
            s_,
            *[
                _cell(ex.get((s_, c)), "r", n)
                for c in (
                    "expects_distress",
                    "expects_scarcity",
                    "clears_distress",
                    "log_error",
                    "abs_log_error",
                )
            ],
        )
    out.append(t)
    out.append(
        "Shares of the years: investors expect the distress price lo (expects lo) or the "
        "scarcity price hi (expects hi) for the first year a project started then "
        "produces; the market clears at lo (clears lo). ln(p^e/p): median log of the "
        "expected over the realised price of that year; |ln|: median of its absolute "
        "value (ODD 7.5.3)."
    )

    # trade
    ts = _lookup(d.summary["trade_sectors"], ("sector",))
    t = _table(
        "Trade defence by sector", "sector", "first", "first new", "partners", "duty", "dumping"
    )
    for s_ in sectors:
        t.add_row(
            s_,
            *[
                _cell(ts.get((s_, c)), kind, n)
                for c, kind in (
                    ("first_in_force", "y"),
                    ("first_new_measure", "y"),
                    ("partners_with_measures", "q"),
                    ("duty_mean", "r"),
                    ("dumping_margin", "r"),
                )
            ],
        )
    out.append(t)
    out.append(
        f"first: first year a measure is in force (endogenous or scripted; {d.years[0]} = "
        "already in force then); first new: first year a new case opens (in force the "
        "next year); partners: "
        "partners with a measure, mean of the years; duty: export-weighted duty, mean; "
        "dumping: dumping margin, mean over partner-years with exports."
    )
    tf = _lookup(d.summary["trade_first"], ("sector", "partner"))
    partners = list(dict.fromkeys(d.summary["trade_first"]["partner"]))
    for i in range(0, len(partners), 5):
        chunk = partners[i : i + 5]
        t = _table(
            "First year a trade measure is in force, by partner" + (" (cont.)" if i else ""),
            "sector",
            *chunk,
        )
        for s_ in sectors:
            t.add_row(s_, *[_cell(tf.get((s_, p, "first_in_force")), "y", n) for p in chunk])
        out.append(t)

    # steel
    st = _lookup(d.summary["steel_early"], ("year",))
    years = sorted({k[0] for k in st})
    if years:
        t = _table(
            "Steel 1995-2000 (Mt)",
            "year",
            "output",
            "domestic",
            "exports",
            "net exports",
            "exp./output",
        )
        for y in years:
            t.add_row(
                str(y),
                *[
                    _cell(st.get((y, c)), kind, n)
                    for c, kind in (
                        ("output", "q"),
                        ("domestic_sales", "q"),
                        ("exports", "q"),
                        ("net_exports", "q"),
                        ("export_share", "r"),
                    )
                ],
            )
        out.append(t)
        out.append("Imports are not modelled: net exports are gross exports.")
    else:
        out.append("Steel 1995-2000: not in the selected years.")

    t = _table("Not recorded: the proxies used", "quantity", "proxy", justify="ll")
    for q, p in NOT_RECORDED:
        t.add_row(escape(q), escape(p))
    out.append(t)
    return out


def _seed_text(seeds: Sequence[int]) -> str:
    """0, 1, 2, 3 -> '0-3'; 0, 2, 5 -> '0, 2, 5'."""
    s = list(seeds)
    if len(s) > 2 and s == list(range(s[0], s[0] + len(s))):
        return f"{s[0]}-{s[-1]}"
    return ", ".join(str(x) for x in s)
