"""The driver: create (or resume) an experiment's store, run every missing run in batches
on an executor, and record each batch in the catalog as it completes."""

from __future__ import annotations

import json
import time
from typing import Any

from overcap._version import __version__
from overcap.experiments.execution import Execution, Interrupted, Progress, Summary
from overcap.experiments.executors import DaskExecutor, InProcess, batch_size_for, executor_for
from overcap.experiments.spec import ExperimentError, check_same, units
from overcap.scenario import Scenario
from overcap.store import Store, now, params_json, remove_tree


def execute(
    spec: dict[str, Any],
    resolved: dict[str, Scenario],
    execution: Execution,
    executor: InProcess | DaskExecutor | None = None,
) -> Summary:
    """Create (or, with ``execution.resume``, continue) the experiment
    ``execution.name`` under ``execution.results`` and run every run that is missing, on
    ``executor`` (default: the one ``execution`` asks for, closed afterwards). The driver
    alone writes the catalog: each batch's runs and parts in one transaction once its
    worker has returned. Ctrl-C raises :class:`Interrupted` after closing the cluster;
    what was recorded stays."""
    name, resume = execution.name, execution.resume
    if name is None:
        raise ExperimentError("an experiment in the results store needs a name")
    store = Store.at(name, execution.results)
    if store.exists() and not resume:
        raise ExperimentError(
            f"experiment {name!r} already exists in {store.folder.parent}; add --resume to "
            "continue it, or choose another --name"
        )
    if resume and not store.exists():
        raise ExperimentError(f"--resume: {store.missing_message()}")
    if resume:
        check_same(store.spec(), spec, name)
    if executor is None:
        execution.check()
    elif execution.batch_size is not None and execution.batch_size < 1:
        raise ExperimentError(f"--batch-size {execution.batch_size}: at least 1")
    created_here = not store.folder.exists()
    try:
        with store.lock():
            return _execute_locked(store, spec, resolved, execution, executor)
    except BaseException:
        if created_here and not store.exists():
            remove_tree(store.folder)
        raise


def _execute_locked(
    store: Store,
    spec: dict[str, Any],
    resolved: dict[str, Scenario],
    execution: Execution,
    executor: InProcess | DaskExecutor | None,
) -> Summary:
    t0 = time.perf_counter()
    ex = executor
    owned = False
    try:
        if not store.exists():
            # a new experiment always has runs to do: start (or reach) the cluster before
            # creating anything, so that a cluster that cannot be had leaves nothing behind
            if ex is None:
                ex = executor_for(execution)
                owned = True
            created = now().isoformat(timespec="seconds")
            store.create({**spec, "name": store.name, "created": created})
        elif not store.catalog.exists():
            store.init_catalog(store.spec())
        spec_stored = store.spec()
        store.record_definition(
            [
                {
                    "scenario": k,
                    "name": sc.name,
                    "digest": spec_stored["digests"][k],
                    "parameters": json.dumps(sc.to_dict(), ensure_ascii=False),
                }
                for k, sc in resolved.items()
            ],
            [
                {"sample": j, "scenario": s["scenario"], "parameters": _params_json(spec_stored, s)}
                for j, s in enumerate(spec_stored["samples"])
            ],
        )
        if execution.retry_failed:
            store.forget_failed()
        orphans, _forgotten = store.repair()
        recorded = store.read("SELECT run, sample, status FROM runs")
        done_runs = {int(r) for r in recorded["run"]}
        todo = [u for u in units(spec_stored) if u[0] not in done_runs]
        ok0 = int((recorded["status"] == "ok").sum())
        counts = recorded["sample"].value_counts()
        by_sample = {int(k): int(v) for k, v in zip(counts.index, counts.to_numpy(), strict=True)}
        total = int(spec_stored["total_runs"])
        state = Progress(ok0, len(recorded) - ok0, total, 0, by_sample)
        if execution.progress is not None:
            execution.progress(state)
        new_ok = new_failed = 0
        lost: list[str] = []
        ex_desc = "nothing to run"
        if todo:
            if ex is None:
                ex = executor_for(execution)
                owned = True
            ex_desc = ex.description
            session = store.begin_session(ex.description, __version__)
            status = "interrupted"
            try:
                size = execution.batch_size or batch_size_for(len(todo), ex.n_workers)
                payloads = _payloads(spec_stored, resolved, store, todo, size)
                for p, res, error in ex.run(payloads):
                    if res is None:
                        lost.append(f"runs {p['units'][0][0]}-{p['units'][-1][0]}: {error}")
                        continue
                    if not store.record_batch(res, session):
                        continue
                    for r in res["runs"]:
                        if r["status"] == "ok":
                            state.ok += 1
                            new_ok += 1
                        else:
                            state.failed += 1
                            new_failed += 1
                        state.new += 1
                        j = int(r["sample"])
                        state.by_sample[j] = state.by_sample.get(j, 0) + 1
                    if execution.progress is not None:
                        execution.progress(state)
                status = "completed" if not lost else "incomplete"
            except KeyboardInterrupt:
                raise Interrupted(store.name, store.folder, state.done, total) from None
            finally:
                store.end_session(session, status, new_ok, new_failed, total - state.done)
        if owned and ex is not None:
            owned = False
            ex.close()
        store.clean_orphans()
    finally:
        if owned and ex is not None:
            ex.close()
    return Summary(
        name=store.name,
        folder=store.folder,
        kind=str(spec_stored["kind"]),
        total=total,
        ok=state.ok,
        failed=state.failed,
        missing=total - state.done,
        new_ok=new_ok,
        new_failed=new_failed,
        seconds=time.perf_counter() - t0,
        executor=ex_desc,
        resumed=execution.resume,
        orphans_removed=orphans,
        lost_batches=lost,
    )


def _params_json(spec: dict[str, Any], sample: dict[str, Any]) -> str:
    return params_json(spec["base"], sample["parameters"])


def _payloads(
    spec: dict[str, Any],
    resolved: dict[str, Scenario],
    store: Store,
    todo: list[tuple[int, int, int]],
    size: int,
) -> list[dict[str, Any]]:
    # the resolved scenarios themselves (pickled to a Dask worker): validated once, when
    # the experiment was defined
    dumps: dict[str, Scenario] = {}
    out = []
    for i in range(0, len(todo), size):
        chunk = todo[i : i + size]
        samples = {}
        for _, j, _ in chunk:
            if j not in samples:
                s = spec["samples"][j]
                samples[j] = {**s, "parameters_json": _params_json(spec, s)}
                if s["scenario"] not in dumps:
                    dumps[s["scenario"]] = resolved[s["scenario"]]
        out.append(
            {
                "folder": str(store.folder),
                "experiment": store.name,
                "seed": int(spec["seed"]),
                "units": chunk,
                "samples": samples,
                "scenarios": {
                    samples[j]["scenario"]: dumps[samples[j]["scenario"]] for j in samples
                },
            }
        )
    return out
