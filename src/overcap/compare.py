"""Compare scenarios over ensembles: medians with 90% bands, and paired differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from overcap.experiments import (
    Execution,
    Experiment,
    ExperimentError,
    Progress,
    define,
    resolve,
    run_experiment,
    samples_in_memory,
)
from overcap.model import Result
from overcap.scenario import Scenario
from overcap.summary import INDICATORS, Indicator, indicator, indicator_columns
from overcap.summary import indicator_values as _indicator_table

__all__ = [
    "INDICATORS",
    "Indicator",
    "compare",
    "compare_table",
    "default_years",
    "format_band",
    "indicator",
    "indicator_values",
    "summarise",
]


def summarise(result: Result, years: tuple[int, int]) -> dict[str, float]:
    """One number per indicator for one run over the years (inclusive)."""
    tables = {t: getattr(result, t).assign(run=0) for t in indicator_columns()}
    row = _indicator_table(pd.DataFrame({"run": [0]}), tables, years).iloc[0]
    return {ind.name: float(row[ind.name]) for ind in INDICATORS}


def indicator_values(
    exp: Experiment,
    years: tuple[int, int] | None = None,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per ok run of a stored experiment (run, sample, replicate) with one
    column per indicator over the years (inclusive; default: all recorded): see
    :meth:`overcap.Experiment.indicators`."""
    return exp.indicators(years, names)


def compare(
    scenarios: Sequence[str | Scenario],
    runs: int = 10,
    seed: int = 0,
    years: tuple[int, int] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    execution: Execution | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Run each scenario ``runs`` times (replicate i of every scenario shares stream i of
    ``seed``: common random numbers) and return one row per indicator and scenario with
    the median, the 5th and 95th percentiles over runs, and, for every scenario after the
    first, the median and 90% band of its paired difference from the first. ``years``
    (inclusive) default to :func:`default_years`.

    The runs go through the experiment machinery (:mod:`overcap.experiments`: Dask by
    default, ``workers=0`` in this process; ``execution`` or its fields as keywords).
    With a ``name`` or a ``results`` root they are stored as an experiment (``resume``
    continues it) and the bands are computed from the store (:func:`compare_table`);
    else they stay in memory, nothing is written, and the same computation
    (:func:`overcap.summary.indicator_values`) gives the same numbers. In memory, a
    failed run raises ExperimentError once the others have finished; in the store, the
    bands are over the ok runs."""
    ex = Execution.of(execution, **options)
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    loaded = [resolve(s) for s in scenarios]
    if years is None:
        years = default_years(loaded)[0]
    names = [sc.name for sc in loaded]
    by_arg = {s: sc for s, sc in zip(scenarios, loaded, strict=True) if isinstance(s, str)}

    def tick(p: Progress) -> None:
        if on_progress is not None:
            on_progress(p)
        if ex.progress is not None:
            ex.progress(p)
        if progress is not None:
            for j, n in enumerate(names):
                progress(n, p.by_sample.get(j, 0), runs)

    samples: list[tuple[str | Scenario, dict[str, Any]]] = [(s, {}) for s in scenarios]
    if not ex.keeps_runs:
        if ex.resume:
            raise ExperimentError("--resume needs the --name of the experiment to resume")
        spec, resolved = define("compare", samples, runs, seed, loaded=by_arg)
        results = samples_in_memory(
            spec["samples"], resolved, runs, seed, ex.replace(progress=tick)
        )
        labels = _labels([resolved[smp["scenario"]] for smp in spec["samples"]], spec)
        return _table(_in_memory_values(results, years), labels, years)
    exp, summary = run_experiment(
        "compare", samples, runs, seed, loaded=by_arg, execution=ex.replace(progress=tick)
    )
    if summary.missing:
        raise ExperimentError(
            f"{summary.missing} of {summary.total} runs could not be run; resume "
            f"experiment {exp.name!r}"
        )
    return compare_table(exp, years)


def _in_memory_values(results: list[list[Result]], years: tuple[int, int]) -> pd.DataFrame:
    """:meth:`overcap.Experiment.indicators` of runs kept in memory (per sample, in
    replicate order): the tables stacked as the store reads them back, by run."""
    n = len(results[0])
    flat = [(j * n + r, j, r, res) for j, reps in enumerate(results) for r, res in enumerate(reps)]
    runs = pd.DataFrame(
        {
            "run": np.array([u[0] for u in flat], dtype="int64"),
            "sample": np.array([u[1] for u in flat], dtype="int64"),
            "replicate": np.array([u[2] for u in flat], dtype="int64"),
        }
    )
    tables = {
        t: pd.concat(
            [getattr(res, t)[["year", *cols]].assign(run=np.int64(run)) for run, _, _, res in flat],
            ignore_index=True,
        )
        for t, cols in indicator_columns().items()
    }
    return _indicator_table(runs, tables, years)


def _labels(scs: Sequence[Scenario], spec: dict[str, Any]) -> list[str]:
    """The samples' scenario names; their keys when two scenarios share a name; and the
    place (``name#2``) of a later sample of the same key (one scenario with parameters of
    its own, as ``overcap compare baseline baseline --set 2:path=value``)."""
    labels = [sc.name for sc in scs]
    if len(set(labels)) < len(labels):  # two scenarios of one name: their keys tell them apart
        labels = [str(smp["scenario"]) for smp in spec["samples"]]
    if len(set(labels)) < len(labels):
        labels = [n if n not in labels[:j] else f"{n}#{j + 1}" for j, n in enumerate(labels)]
    return labels


def compare_table(exp: Experiment, years: tuple[int, int] | None = None) -> pd.DataFrame:
    """The comparison of a stored experiment's samples (the first is the reference):
    per indicator and sample, the median and 5-95% band over its ok runs, and the
    median and band of the paired difference (same replicate) from the first sample,
    over ``years`` (default: :func:`default_years`)."""
    spec = exp.spec
    scs = [exp.scenario(j) for j in range(len(spec["samples"]))]
    if years is None:
        years = default_years(scs)[0]
    return _table(indicator_values(exp, years), _labels(scs, spec), years)


def _table(vals: pd.DataFrame, labels: list[str], years: tuple[int, int]) -> pd.DataFrame:
    """The comparison from one row of indicators per run (run, sample, replicate, ...)."""
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


# ---------------------------------------------------------------- defaults


def default_years(scenarios: Sequence[Scenario]) -> tuple[tuple[int, int], str]:
    """The years a comparison averages over by default, and why, in words: from the
    first year of the first event (enabled, within the years) that a later scenario adds
    to the first or changes, to the last year all record; all the years they share when
    no scenario has an event of its own (the difference is then in the parameters)."""
    first = max(sc.time.start_year for sc in scenarios)
    last = min(sc.time.end_year for sc in scenarios)
    ref = scenarios[0]
    own: list[tuple[int, str, str]] = []
    for sc in scenarios[1:]:
        for name, ev in sc.events.items():
            if not ev.enabled or ev == ref.events.get(name):
                continue
            if first < ev.years[0] <= last:
                own.append((int(ev.years[0]), sc.name, name))
    if not own:
        return (first, last), "all the years the scenarios share"
    year, sc_name, ev_name = min(own)
    return (year, last), f"from {year}, the first year of {sc_name}'s event {ev_name}"


# ---------------------------------------------------------------- formatting

# how an indicator's numbers read: money in US$ bn, a share (0-1) as %, a percent (or
# % GDP) value, a count
FORMATS: dict[str, str] = {
    "gdp_growth": "percent",
    "ppi_change": "percent",
    "fiscal_cost_share_gdp": "percent",
    "misallocation_tfp_loss": "percent",
    "aggregate_utilisation": "share",
    "zombie_share": "share",
    "profit": "money",
    "bad_loans": "money",
    "trade_measures": "count",
    "countermeasures": "count",
}


def display_label(ind: Indicator) -> str:
    """The indicator's label without the money unit, which the numbers carry."""
    return ind.label.replace(", US$ bn", "")


def _fixed(v: float, decimals: int, sign: bool) -> str:
    """``v`` with thousands separators and fixed decimals; exactly 0 is '0'; NaN 'n/a'."""
    if v != v:
        return "n/a"
    if v == 0:
        return "0"
    text = f"{v:{'+' if sign else ''},.{decimals}f}"
    if float(text.replace(",", "")) == 0:  # would print as 0 but is not: two digits
        text = f"{v:{'+' if sign else ''}.2g}"
    return text


def format_band(name: str, mid: float, lo: float, hi: float, diff: bool = False) -> str:
    """A median and its band, ``mid [lo, hi]``, in the indicator's unit (see
    :data:`FORMATS`): money as US$ bn or tn with thousands separators, shares as % (a
    difference in percentage points, pp), percent values with two decimals. ``diff``:
    a difference, signed; a difference of exactly 0 prints as 0."""
    kind = FORMATS.get(name, "")
    if kind == "money":
        big = max((abs(x) for x in (mid, lo, hi) if x == x), default=0.0)
        tn = big >= 1000
        scale, dec, unit = (1e-3, 2, "tn") if tn else (1.0, 0 if big >= 100 else 1, "bn")
        nums = [_fixed(x * scale, dec, diff) for x in (mid, lo, hi)]
        return f"US$ {nums[0]} {unit} [{nums[1]}, {nums[2]}]"
    if kind == "share":
        nums = [_fixed(x * 100, 1, diff) for x in (mid, lo, hi)]
        return f"{nums[0]}{' pp' if diff else '%'} [{nums[1]}, {nums[2]}]"
    if kind == "percent":
        nums = [_fixed(x, 2, diff) for x in (mid, lo, hi)]
        return f"{nums[0]}{' pp' if diff else '%'} [{nums[1]}, {nums[2]}]"
    if kind == "count":
        nums = [_fixed(x, 2, diff) for x in (mid, lo, hi)]
        return f"{nums[0]} [{nums[1]}, {nums[2]}]"
    nums = ["0" if x == 0 else f"{x:{'+' if diff else ''}.4g}" for x in (mid, lo, hi)]
    return f"{nums[0]} [{nums[1]}, {nums[2]}]"
