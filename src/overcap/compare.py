"""Compare scenarios over ensembles: medians with 90% bands, and paired differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from overcap.model import Result
from overcap.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from overcap.experiments import Experiment, Progress


@dataclass(frozen=True)
class Indicator:
    name: str
    label: str
    how: str  # "mean" of the economy column over the years, or "sum"
    table: str = "economy"
    scale: float = 1.0


INDICATORS: tuple[Indicator, ...] = (
    Indicator("gdp_growth", "GDP growth, % a year", "mean"),
    Indicator("aggregate_utilisation", "utilisation (value-weighted)", "mean"),
    Indicator("ppi_change", "producer prices, % a year", "mean"),
    Indicator("zombie_share", "zombie share of firms", "mean"),
    Indicator("fiscal_cost_share_gdp", "fiscal cost of industrial policy, % GDP", "mean"),
    Indicator("misallocation_tfp_loss", "misallocation, % GDP", "mean"),
    Indicator("profit", "profit of modelled sectors, US$ bn a year", "mean", scale=1e-3),
    Indicator("bad_loans", "new bad loans, US$ bn (total)", "sum", scale=1e-3),
    Indicator("trade_measures", "trade measures in force (partner x sector)", "mean"),
    Indicator("countermeasures", "partners under export controls", "mean"),
)


def summarise(result: Result, years: tuple[int, int]) -> dict[str, float]:
    """One number per indicator for one run over the years (inclusive)."""
    a, b = years
    out: dict[str, float] = {}
    for ind in INDICATORS:
        frame = result.economy if ind.table == "economy" else result.sectors
        sub = frame[(frame["year"] >= a) & (frame["year"] <= b)]
        if ind.table == "sectors":
            series = sub.groupby("year")[ind.name].sum()
        else:
            series = sub[ind.name]
        value = series.sum() if ind.how == "sum" else series.mean()
        out[ind.name] = float(value) * ind.scale
    return out


def indicator(name: str) -> Indicator:
    """An indicator by name; a one-line ValueError lists the allowed names."""
    for ind in INDICATORS:
        if ind.name == name:
            return ind
    raise ValueError(f"unknown output {name!r}; allowed: {', '.join(i.name for i in INDICATORS)}")


def indicator_values(
    exp: Experiment,
    years: tuple[int, int] | None = None,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per ok run of a stored experiment (run, sample, replicate) with one
    column per indicator over the years (inclusive; default: all recorded), computed
    as :func:`summarise` computes them from the run's tables."""
    inds = [indicator(n) for n in names] if names else list(INDICATORS)
    out = exp.runs()
    out = out[out["status"] == "ok"][["run", "sample", "replicate"]].reset_index(drop=True)
    for table in ("economy", "sectors"):
        cols = [i.name for i in inds if i.table == table]
        if not cols:
            continue
        f = exp.table(table, columns=["year", *cols])
        if years is not None:
            f = f[(f["year"] >= years[0]) & (f["year"] <= years[1])]
        if table == "sectors":
            f = f.groupby(["run", "year"], sort=True)[cols].sum().reset_index()
        g = f.groupby("run", sort=True)
        for ind in (i for i in inds if i.table == table):
            v = g[ind.name].sum() if ind.how == "sum" else g[ind.name].mean()
            out[ind.name] = out["run"].map(v * ind.scale).astype(float)
    return out


def compare(
    scenarios: Sequence[str | Scenario],
    runs: int = 10,
    seed: int = 0,
    years: tuple[int, int] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    name: str | None = None,
    results: str | Path | None = None,
    resume: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
) -> pd.DataFrame:
    """Run each scenario ``runs`` times (replicate i of every scenario shares stream i of
    ``seed``: common random numbers) and return one row per indicator and scenario with
    the median, the 5th and 95th percentiles over runs, and, for every scenario after the
    first, the median and 90% band of its paired difference from the first.

    The runs go through the experiment machinery (:mod:`overcap.experiments`: Dask by
    default, ``workers=0`` in this process) into the store ``results/name`` when a name
    is given (``resume`` continues it), else into a temporary store; the bands are
    computed from the stored results (:func:`compare_table`)."""
    from overcap.experiments import ExperimentError, results_root, run_experiment

    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    loaded = [load_scenario(s) for s in scenarios]
    if years is None:
        years = (max(sc.time.start_year for sc in loaded), min(sc.time.end_year for sc in loaded))
    names = [sc.name for sc in loaded]

    def tick(p: Progress) -> None:
        if on_progress is not None:
            on_progress(p)
        if progress is not None:
            for j, n in enumerate(names):
                progress(n, p.by_sample.get(j, 0), runs)

    with results_root(name, results, "compare") as root:
        exp, summary = run_experiment(
            "compare",
            [(s, {}) for s in scenarios],
            runs,
            seed,
            name=name,
            results=root,
            resume=resume,
            workers=workers,
            scheduler=scheduler,
            progress=tick,
        )
        if summary.missing:
            raise ExperimentError(
                f"{summary.missing} of {summary.total} runs could not be run; resume "
                f"experiment {exp.name!r}"
            )
        return compare_table(exp, years)


def compare_table(exp: Experiment, years: tuple[int, int] | None = None) -> pd.DataFrame:
    """The comparison of a stored experiment's samples (the first is the reference):
    per indicator and sample, the median and 5-95% band over its ok runs, and the
    median and band of the paired difference (same replicate) from the first sample."""
    spec = exp.spec
    scs = [exp.scenario(j) for j in range(len(spec["samples"]))]
    if years is None:
        years = (max(sc.time.start_year for sc in scs), min(sc.time.end_year for sc in scs))
    vals = indicator_values(exp, years)
    labels = [sc.name for sc in scs]
    if len(set(labels)) < len(labels):  # two scenarios of one name: their keys tell them apart
        labels = [str(smp["scenario"]) for smp in spec["samples"]]
    base = vals[vals["sample"] == 0].set_index("replicate")
    rows = []
    for j, label in enumerate(labels):
        mine = vals[vals["sample"] == j].set_index("replicate")
        for ind in INDICATORS:
            v = mine[ind.name].to_numpy()
            d = (mine[ind.name] - base[ind.name]).dropna().to_numpy()
            rows.append(
                {
                    "indicator": ind.name,
                    "label": ind.label,
                    "scenario": label,
                    "median": _pct(v, 50),
                    "p5": _pct(v, 5),
                    "p95": _pct(v, 95),
                    "diff_median": _pct(d, 50),
                    "diff_p5": _pct(d, 5),
                    "diff_p95": _pct(d, 95),
                    "runs": len(v),
                    "years": f"{years[0]}-{years[1]}",
                }
            )
    return pd.DataFrame(rows)


def _pct(v: np.ndarray, q: float) -> float:
    return float(np.percentile(v, q)) if len(v) else float("nan")
