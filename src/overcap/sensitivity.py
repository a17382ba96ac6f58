"""Global sensitivity analysis with SALib: Sobol' (first-order and total indices) or
Morris (elementary effects), over parameters within their documented ranges.

The design (SALib's sample matrix) becomes the samples of a stored experiment, each run
``runs`` times with common random numbers (replicate r of every sample uses stream r of
the seed); each output is an indicator of :data:`overcap.summary.INDICATORS` over a
window of years, averaged over a sample's replicates. The samples, the outputs and the
indices are stored with the experiment (catalog tables ``outputs`` and ``indices``, and
``sensitivity/*.parquet``); re-running the command with ``--resume`` runs only what is
missing and recomputes the indices (for other outputs or years too).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from overcap.experiments import (
    Execution,
    Experiment,
    ExperimentError,
    Summary,
    _range,
    check_loaded,
    overrides_dict,
    param_info,
    resolve,
    run_experiment,
)
from overcap.scenario import Scenario, ScenarioError
from overcap.summary import INDICATORS, indicator

METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4


def problem(params: Sequence[str]) -> dict[str, Any]:
    """SALib's problem for ``params``: each ``path`` (its documented range) or
    ``path=LOW:HIGH`` (a narrower range); only numeric, non-integer parameters."""
    names: list[str] = []
    bounds: list[list[float]] = []
    for text in params:
        key, sep, rng = text.partition("=")
        key = key.strip()
        if not key:
            raise ExperimentError(f"--params {text!r}: an empty parameter")
        try:
            info = param_info(key)
        except ScenarioError as exc:
            raise ExperimentError(f"--params {key}: {exc}") from None
        if info.kind != "float":
            raise ExperimentError(
                f"--params {key}: a {info.kind} parameter; sensitivity varies continuous "
                "parameters only"
            )
        if sep:
            lo, hi = _range(key, rng, f"--params {text!r}")
        else:
            if info.lo is None or info.hi is None:
                raise ExperimentError(
                    f"--params {key}: no documented range; give one as {key}=LOW:HIGH"
                )
            lo, hi = float(info.lo), float(info.hi)
        if key in names:
            raise ExperimentError(f"--params {key}: given twice")
        names.append(key)
        bounds.append([lo, hi])
    if len(names) < 2:
        raise ExperimentError("--params: name at least two parameters, e.g. a.b,c.d")
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def design(prob: dict[str, Any], method: str, samples: int, seed: int) -> np.ndarray:
    """The sample matrix: Sobol' (Saltelli's scheme, first and total order,
    ``samples * (D + 2)`` rows; ``samples`` a power of 2) or Morris (``samples``
    trajectories of ``D + 1`` rows)."""
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample

        if samples < 2 or samples & (samples - 1):
            raise ExperimentError(
                f"--samples {samples}: Sobol' needs a power of 2 (e.g. 32, 64, 128)"
            )
        return np.asarray(sobol_sample.sample(prob, samples, calc_second_order=False, seed=seed))
    if method == "morris":
        from SALib.sample import morris as morris_sample

        if samples < 2:
            raise ExperimentError(f"--samples {samples}: Morris needs at least 2 trajectories")
        return np.asarray(morris_sample.sample(prob, samples, num_levels=MORRIS_LEVELS, seed=seed))
    raise ExperimentError(f"--method {method!r}; allowed: {', '.join(METHODS)}")


def analyse(
    prob: dict[str, Any], method: str, x: np.ndarray, y: np.ndarray, seed: int
) -> pd.DataFrame:
    """One row per parameter: S1, S1_conf, ST, ST_conf (Sobol'; conf = half-width of the
    95% bootstrap interval) or mu, mu_star, mu_star_conf, sigma (Morris)."""
    if method == "sobol":
        from SALib.analyze import sobol as sobol_analyze

        si = sobol_analyze.analyze(prob, y, calc_second_order=False, seed=seed)
        return pd.DataFrame(
            {
                "parameter": prob["names"],
                "S1": si["S1"],
                "S1_conf": si["S1_conf"],
                "ST": si["ST"],
                "ST_conf": si["ST_conf"],
            }
        )
    from SALib.analyze import morris as morris_analyze

    si = morris_analyze.analyze(prob, x, y, num_levels=MORRIS_LEVELS, seed=seed)
    return pd.DataFrame(
        {
            "parameter": prob["names"],
            "mu": si["mu"],
            "mu_star": si["mu_star"],
            "mu_star_conf": si["mu_star_conf"],
            "sigma": si["sigma"],
        }
    )


def sensitivity(
    scenario: str | Scenario = "baseline",
    params: Sequence[str] = (),
    method: str = "sobol",
    samples: int = 64,
    outputs: Sequence[str] = ("aggregate_utilisation",),
    runs: int = 1,
    seed: int | None = None,
    years: tuple[int, int] | None = None,
    overrides: dict[str, Any] | list[str] | None = None,
    *,
    loaded: Scenario | None = None,
    execution: Execution | None = None,
    **options: Any,
) -> tuple[Experiment, Summary, pd.DataFrame]:
    """Run (or resume) a sensitivity analysis and return the experiment, the run summary
    and the indices (one row per output and parameter). ``execution`` (or its fields as
    keywords: name, results, resume, retry_failed, workers, scheduler, client,
    batch_size, progress) says where and how the runs go. ``loaded``: the scenario
    ``scenario`` names (a name or path, which keys it in the experiment), already
    loaded with ``overrides`` by the caller, so that it is loaded once."""
    ex = Execution.of(execution, **options)
    check_loaded(scenario, loaded)
    if method not in METHODS:
        raise ExperimentError(f"--method {method!r}; allowed: {', '.join(METHODS)}")
    outs = list(dict.fromkeys(o.strip() for o in outputs if o.strip()))
    if not outs:
        raise ExperimentError("--outputs: name at least one output")
    for o in outs:
        try:
            indicator(o)
        except ValueError as exc:
            raise ExperimentError(f"--outputs: {exc}") from None
    prob = problem(params)
    base = overrides_dict(overrides)
    sc = loaded if loaded is not None else resolve(scenario, base)
    s = sc.seed if seed is None else int(seed)
    if years is not None and (years[0] > sc.time.end_year or years[1] < sc.time.start_year):
        raise ExperimentError(
            f"--years {years[0]}-{years[1]}: outside the scenario's years "
            f"{sc.time.start_year}-{sc.time.end_year}"
        )
    x = design(prob, method, samples, s)
    points = [{k: float(v) for k, v in zip(prob["names"], row, strict=True)} for row in x.tolist()]
    exp, summary = run_experiment(
        "sensitivity",
        [(scenario, p) for p in points],
        runs,
        s,
        base,
        design={"method": method, "samples": samples, "problem": prob},
        loaded={scenario: sc} if isinstance(scenario, str) else None,
        execution=ex,
    )
    if summary.missing:
        raise ExperimentError(
            f"{summary.missing} of {summary.total} runs could not be run; add --resume to "
            f"run them (experiment {exp.name!r}); no indices yet"
        )
    return exp, summary, indices(exp, outs, years)


def indices(
    exp: Experiment, outputs: Sequence[str], years: tuple[int, int] | None = None
) -> pd.DataFrame:
    """Compute the indices of a complete sensitivity experiment for ``outputs`` over
    ``years`` and store them (with the per-sample outputs) in the experiment."""
    d = exp.spec["design"]
    prob, method, seed = d["problem"], d["method"], int(exp.spec["seed"])
    n_samples = len(exp.spec["samples"])
    if years is None:
        sc = exp.scenario(0)
        years = (sc.time.start_year, sc.time.end_year)
    vals = exp.indicators(years, outputs)
    failed = sorted(set(range(n_samples)) - set(vals["sample"]))
    if failed:
        raise ExperimentError(
            f"{len(failed)} samples have no successful run (first: sample {failed[0]}); "
            "indices need every sample (see `overcap runs "
            f"{exp.name}`; --resume --retry-failed runs failed runs again)"
        )
    per_sample = vals.groupby("sample", sort=True)[list(outputs)].mean()
    x = np.array(
        [[s["parameters"][k] for k in prob["names"]] for s in exp.spec["samples"]], dtype=float
    )
    frames = []
    for o in outputs:
        y = per_sample[o].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            raise ExperimentError(f"output {o}: not finite in some samples; no indices")
        t = analyse(prob, method, x, y, seed)
        t.insert(0, "output", o)
        t.insert(0, "method", method)
        frames.append(t)
    table = pd.concat(frames, ignore_index=True)
    table["years"] = f"{years[0]}-{years[1]}"
    table["samples"] = int(d["samples"])
    table["runs_per_sample"] = int(exp.spec["runs"])
    outputs_long = per_sample.reset_index().melt(
        id_vars=["sample"], var_name="output", value_name="value"
    )
    outputs_long["years"] = f"{years[0]}-{years[1]}"
    _store(exp, table, outputs_long)
    return table


def _store(exp: Experiment, table: pd.DataFrame, outputs: pd.DataFrame) -> None:
    folder = exp.folder / "sensitivity"
    folder.mkdir(exist_ok=True)
    for name, frame in (("indices", table), ("outputs", outputs)):
        tmp = folder / f".{name}.parquet.tmp"
        frame.to_parquet(tmp, index=False)
        tmp.replace(folder / f"{name}.parquet")
    (folder / "problem.json").write_text(
        json.dumps(exp.spec["design"], indent=2) + "\n", encoding="utf-8"
    )

    def fn(con: Any) -> None:
        con.register("_indices", table)
        con.register("_outputs", outputs)
        con.execute("CREATE OR REPLACE TABLE indices AS SELECT * FROM _indices")
        con.execute("CREATE OR REPLACE TABLE outputs AS SELECT * FROM _outputs")

    with exp.store.lock():
        exp.store.write(fn)


OUTPUT_NAMES = tuple(i.name for i in INDICATORS)

# below these, or with intervals this wide, the indices say nothing (warned about)
SOBOL_MIN_SAMPLES = 64
MORRIS_MIN_TRAJECTORIES = 10
SOBOL_MAX_HALF_WIDTH = 0.1  # of a 95% interval, on indices that lie in 0-1
MORRIS_MAX_RELATIVE_HALF_WIDTH = 0.5  # of mu*'s interval, relative to the largest mu*


def small_sample_warning(table: pd.DataFrame, method: str, samples: int) -> str | None:
    """A sentence when the sample is too small for the indices to mean anything (too
    few base samples or trajectories, or confidence intervals too wide to tell the
    parameters apart), with the --samples that would do; None when they can be read."""
    if table.empty:
        return None
    if method == "sobol":
        widest = float(np.nanmax(table[["S1_conf", "ST_conf"]].to_numpy(dtype=float)))
        if samples >= SOBOL_MIN_SAMPLES and widest <= SOBOL_MAX_HALF_WIDTH:
            return None
        # the half-width shrinks as 1 / sqrt(N): the power of 2 that brings it to the limit
        need = samples * max(1.0, (widest / SOBOL_MAX_HALF_WIDTH) ** 2)
        suggest = max(SOBOL_MIN_SAMPLES, 2 ** int(np.ceil(np.log2(need))))
        return (
            f"{samples} base samples are too few for Sobol' indices to mean anything: the "
            f"95% intervals are as wide as +-{widest:.3g} on indices that lie between 0 and "
            f"1; use --samples {suggest} or more"
        )
    mu = table["mu_star"].to_numpy(dtype=float)
    conf = table["mu_star_conf"].to_numpy(dtype=float)
    top = float(np.nanmax(np.abs(mu)))
    rel = float(np.nanmax(conf)) / top if top > 0 else float("inf")
    if samples >= MORRIS_MIN_TRAJECTORIES and rel <= MORRIS_MAX_RELATIVE_HALF_WIDTH:
        return None
    return (
        f"{samples} trajectories are too few for Morris effects to mean anything: the 95% "
        f"intervals of mu* are as wide as {rel:.0%} of the largest mu*; use --samples "
        f"{max(MORRIS_MIN_TRAJECTORIES, 2 * samples)} or more"
    )
