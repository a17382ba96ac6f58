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
    first, the median and 90% band of its paired difference from the first.

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
        years = (max(sc.time.start_year for sc in loaded), min(sc.time.end_year for sc in loaded))
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
    """The samples' scenario names; their keys when two scenarios share a name."""
    labels = [sc.name for sc in scs]
    if len(set(labels)) < len(labels):  # two scenarios of one name: their keys tell them apart
        labels = [str(smp["scenario"]) for smp in spec["samples"]]
    return labels


def compare_table(exp: Experiment, years: tuple[int, int] | None = None) -> pd.DataFrame:
    """The comparison of a stored experiment's samples (the first is the reference):
    per indicator and sample, the median and 5-95% band over its ok runs, and the
    median and band of the paired difference (same replicate) from the first sample."""
    spec = exp.spec
    scs = [exp.scenario(j) for j in range(len(spec["samples"]))]
    if years is None:
        years = (max(sc.time.start_year for sc in scs), min(sc.time.end_year for sc in scs))
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
