"""The roads from a request to runs: :func:`run_experiment` (define, run or resume, and
open an experiment in the results store) and :func:`ensemble` (replicates of one
scenario, kept in memory unless a name or results root asks for the store)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from overcap.experiments.driver import execute
from overcap.experiments.execution import Execution, Progress, Summary
from overcap.experiments.executors import batch_size_for, executor_for
from overcap.experiments.spec import (
    ExperimentError,
    define,
    generate_name,
    overrides_dict,
    resolve,
)
from overcap.experiments.view import Experiment, open_experiment
from overcap.experiments.worker import run_replicates
from overcap.model import Result
from overcap.scenario import Scenario


def run_experiment(
    kind: str,
    samples: Sequence[tuple[str | Scenario, dict[str, Any]]],
    runs: int,
    seed: int,
    base: dict[str, Any] | list[str] | None = None,
    *,
    design: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    loaded: dict[str, Scenario] | None = None,
    execution: Execution | None = None,
    **options: Any,
) -> tuple[Experiment, Summary]:
    """Define, run (or resume) and open an experiment in one call. ``execution`` (or its
    fields as keywords: name, results, resume, retry_failed, workers, scheduler, client,
    batch_size, progress) says where and how; ``loaded``: scenarios already loaded with
    ``base`` (see :func:`~overcap.experiments.spec.define`)."""
    ex = Execution.of(execution, **options)
    spec, resolved = define(kind, samples, runs, seed, base, design, extra, loaded)
    if ex.name is None:
        if ex.resume:
            raise ExperimentError("--resume needs the --name of the experiment to resume")
        ex = ex.replace(name=generate_name(kind, str(spec["scenarios"][0]), ex.results))
    summary = execute(spec, resolved, ex)
    assert ex.name is not None
    return open_experiment(ex.name, ex.results), summary


def ensemble(
    scenario: str | Scenario = "baseline",
    runs: int = 10,
    seed: int = 0,
    overrides: dict[str, Any] | list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    execution: Execution | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    name: str | None = None,
    results: str | Path | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    batch_size: int | None = None,
    **kw_overrides: Any,
) -> list[Result]:
    """``runs`` replicates of a scenario as a list of :class:`overcap.Result`; replicate
    i always gets stream i of ``seed``.

    The runs go to a Dask LocalCluster with one worker per core by default
    (``workers=N`` to choose, ``scheduler=`` or ``client=`` for an existing cluster;
    ``workers=0`` runs them one after the other in this process) and come back in
    memory: nothing is written to disk. With a ``name`` (or a ``results`` root) they are
    stored as an experiment in the results store instead (``resume`` continues it) and
    read back from it. Every road gives identical results. Other keyword arguments are
    overrides (``investment__visibility=0.6``). A failed run raises ExperimentError once
    the others have finished (and been stored, when stored)."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    ex = Execution.of(
        execution,
        workers=workers,
        scheduler=scheduler,
        client=client,
        name=name,
        results=results,
        resume=resume,
        retry_failed=retry_failed,
        batch_size=batch_size,
    )
    ov: dict[str, Any] = {**overrides_dict(overrides), **overrides_dict(kw_overrides)}
    if ex.resume and ex.name is None:
        raise ExperimentError("--resume needs the --name of the experiment to resume")
    if not ex.keeps_runs:
        return in_memory(resolve(scenario, ov), runs, seed, ex, progress)

    def tick(p: Progress) -> None:
        if ex.progress is not None:
            ex.progress(p)
        if progress is not None:
            progress(p.done, p.total)

    exp, summary = run_experiment(
        "ensemble", [(scenario, {})], runs, seed, ov, execution=ex.replace(progress=tick)
    )
    raise_if_incomplete(exp, summary)
    return exp.results()


def in_memory(
    sc: Scenario,
    runs: int,
    seed: int,
    execution: Execution,
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """``runs`` replicates of ``sc`` on the executor ``execution`` asks for, returned in
    replicate order and written nowhere. A failed run raises ExperimentError once the
    others have finished."""
    samples = [{"scenario": sc.name, "parameters": {}}]
    return samples_in_memory(samples, {sc.name: sc}, runs, seed, execution, progress)[0]


def samples_in_memory(
    samples: Sequence[dict[str, Any]],
    scenarios: Mapping[str, Scenario],
    runs: int,
    seed: int,
    execution: Execution,
    progress: Callable[[int, int], None] | None = None,
) -> list[list[Result]]:
    """``runs`` replicates of each sample (an experiment definition's ``samples``:
    scenario key and parameters; ``scenarios``: the resolved scenarios by key), run
    ``sample * runs + replicate`` as in the store, on the executor ``execution`` asks
    for; returned per sample in replicate order and written nowhere. A failed run
    raises ExperimentError once the others have finished."""
    execution.check()
    executor = executor_for(execution)
    total = len(samples) * runs
    try:
        todo = [(j * runs + r, j, r) for j in range(len(samples)) for r in range(runs)]
        size = execution.batch_size or batch_size_for(total, executor.n_workers)
        by_index = dict(enumerate(samples))
        payloads = [
            {"seed": int(seed), "units": todo[i : i + size], "samples": by_index,
             "scenarios": dict(scenarios)}
            for i in range(0, total, size)
        ]  # fmt: skip
        out: dict[int, Result] = {}
        failed: dict[int, str] = {}
        lost: list[str] = []
        state = Progress(0, 0, total, 0, {})
        for p, res, error in executor.run(payloads, run_replicates):
            if res is None:
                lost.append(f"runs {p['units'][0][0]}-{p['units'][-1][0]}: {error}")
                continue
            for run_id, result, run_error in res:
                if result is not None:
                    out[run_id] = result
                    state.ok += 1
                else:
                    failed[run_id] = str(run_error)
                    state.failed += 1
                state.new += 1
                j = run_id // runs
                state.by_sample[j] = state.by_sample.get(j, 0) + 1
            if execution.progress is not None:
                execution.progress(state)
            if progress is not None:
                progress(state.done, total)
    finally:
        executor.close()
    if failed:
        first = min(failed)
        raise ExperimentError(
            f"{len(failed)} of {total} runs failed; first: run {first}: "
            f"{failed[first].splitlines()[0]}"
        )
    if lost:
        raise ExperimentError(f"{total - len(out)} of {total} runs could not be run ({lost[0]})")
    return [[out[j * runs + r] for r in range(runs)] for j in range(len(samples))]


def raise_if_incomplete(exp: Experiment, summary: Summary) -> None:
    """ExperimentError naming the first failed run, or how many runs are missing."""
    if summary.failed:
        runs = exp.runs()
        bad = runs[runs["status"] != "ok"].iloc[0]
        raise ExperimentError(
            f"{summary.failed} of {summary.total} runs failed; first: run {bad['run']}: "
            f"{str(bad['error']).splitlines()[0]}"
        )
    if summary.missing:
        raise ExperimentError(
            f"{summary.missing} of {summary.total} runs could not be run "
            f"({summary.lost_batches[0] if summary.lost_batches else 'unknown'}); "
            f"resume experiment {exp.name!r}"
        )
