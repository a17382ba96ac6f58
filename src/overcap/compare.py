"""Compare scenarios over ensembles: medians with 90% bands, and paired differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from overcap.model import Result, ensemble
from overcap.scenario import Scenario, load_scenario


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


def compare(
    scenarios: Sequence[str | Scenario],
    runs: int = 10,
    seed: int = 0,
    years: tuple[int, int] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> pd.DataFrame:
    """Run each scenario ``runs`` times (replicate i of every scenario shares stream i of
    ``seed``: common random numbers) and return one row per indicator and scenario with
    the median, the 5th and 95th percentiles over runs, and, for every scenario after the
    first, the median and 90% band of its paired difference from the first."""
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    loaded = [load_scenario(s) for s in scenarios]
    if years is None:
        years = (max(sc.time.start_year for sc in loaded), min(sc.time.end_year for sc in loaded))
    values: list[pd.DataFrame] = []
    for sc in loaded:

        def tick(i: int, n: int, _name: str = sc.name) -> None:
            if progress is not None:
                progress(_name, i, n)

        res = ensemble(sc, runs=runs, seed=seed, progress=tick)
        values.append(pd.DataFrame([summarise(r, years) for r in res]))
    rows = []
    base = values[0]
    for sc, vals in zip(loaded, values, strict=True):
        for ind in INDICATORS:
            v = vals[ind.name].to_numpy()
            d = v - base[ind.name].to_numpy()
            rows.append(
                {
                    "indicator": ind.name,
                    "label": ind.label,
                    "scenario": sc.name,
                    "median": float(np.median(v)),
                    "p5": float(np.percentile(v, 5)),
                    "p95": float(np.percentile(v, 95)),
                    "diff_median": float(np.median(d)),
                    "diff_p5": float(np.percentile(d, 5)),
                    "diff_p95": float(np.percentile(d, 95)),
                    "runs": len(v),
                    "years": f"{years[0]}-{years[1]}",
                }
            )
    return pd.DataFrame(rows)
