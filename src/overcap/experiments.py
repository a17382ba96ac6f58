"""Experiments at scale: ensembles, sweeps and sensitivity samples, run in batches on a
Dask cluster (a LocalCluster by default, or an existing one) or in this process, into a
results store (:mod:`overcap.store`) that loses nothing.

An experiment is a list of *samples* (a scenario and the parameters it changes) times
``runs`` replicates. Run ``i = sample * runs + replicate``; replicate ``r`` of every
sample draws its random numbers from ``SeedSequence(seed, spawn_key=(r,))`` (what
``overcap.run(..., seed=seed, replicate=r)`` uses): common random numbers across
samples, and results that do not depend on the number of workers, on the batching or on
how often the experiment was interrupted and resumed.

Executors: ``workers=0`` runs the batches in this process (no Dask); ``workers=N`` (by
default one per core) starts a LocalCluster of N single-threaded worker processes bound
to 127.0.0.1 with no dashboard; ``scheduler="tcp://HOST:PORT"`` (or the
``OVERCAP_SCHEDULER`` environment variable) uses an existing cluster, whose workers must
have overcap installed and see the results folder at the same path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import math
import os
import platform
import re
import socket
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from overcap import __version__
from overcap.scenario import (
    SECTOR_PARAMS,
    Scenario,
    ScenarioError,
    _check_path,
    _field_info,
    field_bounds,
    load_scenario,
    parse_override,
    sector_table,
)
from overcap.store import TABLES, Store, StoreError, now, remove_tree, root_of

if TYPE_CHECKING:
    from overcap.model import Result

# the environment of LocalCluster workers: one BLAS/OpenMP thread per worker process, and
# glibc's trim threshold at 128 MiB instead of the 64 KiB Dask sets by default, with which
# a run of the baseline takes 2.3 times as long (memory handed back to the OS and asked
# for again at every step of the engine)
WORKER_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "MALLOC_TRIM_THRESHOLD_": str(128 * 2**20),
}
SCHEDULER_ENV = "OVERCAP_SCHEDULER"
KINDS = ("ensemble", "sweep", "compare", "sensitivity")
# the fields of a definition that decide which runs exist and what they compute: a
# --resume must match them
DEFINING = ("kind", "runs", "seed", "base", "digests", "design", "samples")


class ExperimentError(ValueError):
    """A user error about an experiment (bad spec, resume mismatch): one line."""


class Interrupted(Exception):  # not an error: the user asked for it
    """The driver was interrupted (Ctrl-C); everything finished so far is recorded."""

    def __init__(self, name: str, folder: Path, done: int, total: int) -> None:
        super().__init__(f"experiment {name!r} interrupted: {done} of {total} runs recorded")
        self.name = name
        self.folder = folder
        self.done = done
        self.total = total


@dataclass
class Progress:
    """What the driver knows after each batch: runs recorded (ok, failed) out of all."""

    ok: int
    failed: int
    total: int
    new: int  # runs recorded by this session
    by_sample: dict[int, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.ok + self.failed


@dataclass
class Summary:
    name: str
    folder: Path
    kind: str
    total: int
    ok: int
    failed: int
    missing: int
    new_ok: int
    new_failed: int
    seconds: float
    executor: str
    resumed: bool
    orphans_removed: int
    lost_batches: list[str]

    @property
    def complete(self) -> bool:
        return self.missing == 0


# --------------------------------------------------------------------------- definitions


def overrides_dict(overrides: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    """``--set`` strings or a dict (``a__b`` or ``a.b`` keys) as {dotted path: value}."""
    if not overrides:
        return {}
    if isinstance(overrides, dict):
        return {k.replace("__", "."): v for k, v in overrides.items()}
    out: dict[str, Any] = {}
    for text in overrides:
        path, value = parse_override(text)
        out[".".join(path)] = value
    return out


def _digest(sc: Scenario) -> str:
    d = sc.to_dict()
    if isinstance(d.get("calibrated"), dict):
        d["calibrated"] = {k: v for k, v in d["calibrated"].items() if k != "file"}
    text = json.dumps(d, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _key(scenario: str | Scenario) -> str:
    return scenario.name if isinstance(scenario, Scenario) else str(scenario)


def define(
    kind: str,
    samples: Sequence[tuple[str | Scenario, dict[str, Any]]],
    runs: int,
    seed: int,
    base: dict[str, Any] | list[str] | None = None,
    design: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Scenario]]:
    """The definition of an experiment (JSON) and its resolved scenarios, checking every
    sample up front: a bad scenario or parameter raises ScenarioError before anything
    runs."""
    if kind not in KINDS:
        raise ExperimentError(f"kind {kind!r}; allowed: {', '.join(KINDS)}")
    if runs < 1:
        raise ExperimentError(f"runs {runs}: at least 1")
    if not samples:
        raise ExperimentError("an experiment needs at least one sample")
    base_d = overrides_dict(base)
    resolved: dict[str, Scenario] = {}
    keys: list[str] = []
    seen: dict[int, str] = {}  # Scenario objects already resolved, by id
    for scenario, _ in samples:
        if isinstance(scenario, str) and scenario in resolved:
            keys.append(scenario)
            continue
        if isinstance(scenario, Scenario) and id(scenario) in seen:
            keys.append(seen[id(scenario)])
            continue
        sc = load_scenario(scenario, base_d)
        key, n = _key(scenario), 2
        # two different scenarios of the same name (Scenario objects) get distinct keys
        while key in resolved and _digest(resolved[key]) != _digest(sc):
            key, n = f"{_key(scenario)}#{n}", n + 1
        resolved.setdefault(key, sc)
        if isinstance(scenario, Scenario):
            seen[id(scenario)] = key
        keys.append(key)
    out_samples = []
    for key, (_scenario, params) in zip(keys, samples, strict=True):
        params = {str(k).replace("__", "."): _plain(v) for k, v in params.items()}
        clash = sorted(set(params) & set(base_d))
        if clash:
            raise ExperimentError(
                f"{clash[0]} is both set (--set) and varied; vary it or set it, not both"
            )
        if params:
            load_scenario(resolved[key], params)  # raises a one-line ScenarioError
        out_samples.append({"scenario": key, "parameters": params})
    spec = {
        "kind": kind,
        "scenarios": list(resolved),
        "base": {k: _plain(v) for k, v in base_d.items()},
        "samples": out_samples,
        "runs": int(runs),
        "seed": int(seed),
        "total_runs": len(out_samples) * int(runs),
        "digests": {k: _digest(sc) for k, sc in resolved.items()},
        "design": design or {},
        "extra": extra or {},
        "version": __version__,
    }
    return spec, resolved


def _plain(v: Any) -> Any:
    """A JSON-safe value (numpy scalars to Python)."""
    if isinstance(v, np.generic):
        return v.item()
    return v


def check_same(stored: dict[str, Any], new: dict[str, Any], name: str) -> None:
    """A --resume must ask for the experiment it resumes."""
    for key in DEFINING:
        a, b = stored.get(key), new.get(key)
        if json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str):
            continue
        if key == "digests":
            aa = a if isinstance(a, dict) else {}
            bb = b if isinstance(b, dict) else {}
            changed = [k for k in bb if aa.get(k) != bb[k]]
            raise ExperimentError(
                f"--resume: the parameters of scenario {changed[0] if changed else '?'!r} "
                f"changed since experiment {name!r} started; results would not be "
                "comparable (start a new --name)"
            )
        if key == "samples":
            na, nb = len(a or []), len(b or [])
            raise ExperimentError(
                f"--resume: experiment {name!r} was started with {na} points, this command "
                f"asks for {nb} points{' with other parameters' if na == nb else ''}; repeat "
                "the original command with --resume, or start a new --name"
            )
        show_a = json.dumps(a, default=str)
        show_b = json.dumps(b, default=str)
        if key == "design":
            show_b = f"another design ({show_b[:150]})"
        else:
            show_b = f"{key} {show_b[:150]}"
        raise ExperimentError(
            f"--resume: experiment {name!r} was started with {key} {show_a[:150]}, this "
            f"command asks for {show_b}; repeat the original command with --resume, or start "
            "a new --name"
        )


def units(spec: dict[str, Any]) -> list[tuple[int, int, int]]:
    """(run, sample, replicate) of every run of the experiment."""
    n = int(spec["runs"])
    return [(j * n + r, j, r) for j in range(len(spec["samples"])) for r in range(n)]


def generate_name(kind: str, scenario: str, results: str | Path | None) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(scenario).stem).strip("-.") or "scenario"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{kind}-{stem}-{stamp}"
    root = root_of(results)
    name, n = base, 2
    while (root / name).exists():
        name, n = f"{base}-{n}", n + 1
    return name


# --------------------------------------------------------------------------- the worker


def run_batch(payload: dict[str, Any]) -> dict[str, Any]:
    """Run a batch of runs and write one Parquet part per table; return the records the
    driver puts in the catalog. A run that raises is recorded as failed, with its error;
    the other runs of the batch go on. Runs on a worker (or in the driver for
    ``workers=0``)."""
    from overcap.model import run as run_model

    units_ = payload["units"]
    batch = f"b{int(units_[0][0]):08d}-{uuid.uuid4().hex[:10]}"
    worker = f"{socket.gethostname()}:{os.getpid()}"
    seed = int(payload["seed"])
    cache: dict[int, Scenario] = {}
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    records = []
    for run_id, sample, rep in units_:
        s = payload["samples"][sample]
        started = now()
        t0 = time.perf_counter()
        status, error, scenario_name = "ok", None, str(s["scenario"])
        try:
            sc = cache.get(sample)
            if sc is None:
                base = Scenario.model_validate(payload["scenarios"][s["scenario"]])
                sc = load_scenario(base, s["parameters"]) if s["parameters"] else base
                cache[sample] = sc
            scenario_name = sc.name
            result = run_model(sc, seed=seed, replicate=int(rep))
            for t in TABLES:
                f = getattr(result, t).copy()
                f.insert(0, "run", np.int64(run_id))
                frames[t].append(f)
        except Exception as exc:  # a failed run is recorded, not raised
            status = "failed"
            tb = traceback.format_exc()
            error = f"{type(exc).__name__}: {exc}\n{tb[-4000:]}"
        records.append(
            {
                "run": int(run_id),
                "experiment": payload["experiment"],
                "sample": int(sample),
                "replicate": int(rep),
                "scenario": scenario_name,
                "parameters": s["parameters_json"],
                "seed": seed,
                "status": status,
                "error": error,
                "version": __version__,
                "started": started,
                "finished": now(),
                "seconds": round(time.perf_counter() - t0, 4),
                "worker": worker,
                "python": platform.python_version(),
                "numpy": np.__version__,
                "batch": batch,
            }
        )
    parts = []
    meta = {"experiment": payload["experiment"], "batch": batch, "version": __version__}
    from overcap.store import write_part

    for t in TABLES:
        if frames[t]:
            frame = pd.concat(frames[t], ignore_index=True)
            parts.append(write_part(payload["folder"], t, batch, frame, meta))
    return {"batch": batch, "runs": records, "parts": parts}


# --------------------------------------------------------------------------- executors


class InProcess:
    """Batches one after the other in this process: no cluster (``workers=0``)."""

    n_workers = 1
    description = "in-process"

    def run(self, payloads: list[dict[str, Any]]) -> Iterator[tuple[dict, dict | None, str | None]]:
        for p in payloads:
            try:
                yield p, run_batch(p), None
            except Exception as exc:  # e.g. a disk error writing a part: the batch is lost
                yield p, None, f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        return None


class DaskExecutor:
    """Batches as Dask tasks on a LocalCluster (``workers`` processes, one thread each,
    on 127.0.0.1, no dashboard) or on an existing cluster (``scheduler``)."""

    def __init__(
        self, workers: int | None = None, scheduler: str | None = None, client: Any = None
    ) -> None:
        import logging

        from distributed import Client, LocalCluster

        self.cluster: Any = None
        self.own = client is None
        self.futures: list[Any] = []
        if client is not None:
            self.client = client
            self.description = f"Dask client {client.scheduler.address}"
        elif scheduler is not None:
            try:
                self.client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExperimentError(
                    f"--scheduler {scheduler}: cannot connect ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0] if str(exc) else ''}); is `dask scheduler` "
                    "running there?"
                ) from None
            self.description = f"Dask scheduler {scheduler}"
        else:
            import dask

            n = workers if workers is not None else default_workers()
            # Dask writes its pre-spawn variables into this process's environment too;
            # leave glibc's trim threshold out of that (the workers get WORKER_ENV's)
            with (
                dask.config.set(
                    {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
                ),
                _sigint_ignored(),
            ):
                self.cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,  # no dashboard
                    # the scheduler's small HTTP server (health, metrics) on a free port of
                    # 127.0.0.1, not on 8787, which another cluster may hold
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    silence_logs=logging.ERROR,
                    env=dict(WORKER_ENV),
                )
            self.client = Client(self.cluster)
            self.description = f"LocalCluster, {n} worker{'s' if n != 1 else ''}"
        if self.cluster is None:
            try:
                self.client.wait_for_workers(1, timeout=60)
            except TimeoutError:
                self.close()
                raise ExperimentError(
                    f"{self.description}: no worker joined in 60 s; start `dask worker` there"
                ) from None
        self.n_workers = max(1, len(self.client.scheduler_info(n_workers=-1)["workers"]))

    def run(self, payloads: list[dict[str, Any]]) -> Iterator[tuple[dict, dict | None, str | None]]:
        """Submit every batch; yield each as it completes. A batch whose result was lost
        (its worker died after running it, before the driver fetched the result) is
        submitted again, up to three times: its parts from the lost attempt are orphans,
        never recorded."""
        from distributed import as_completed

        owner: dict[str, dict[str, Any]] = {}
        attempts: dict[int, int] = {}
        queue = as_completed()

        def submit(p: dict[str, Any]) -> None:
            key = f"overcap-{p['experiment']}-{p['units'][0][0]}-{uuid.uuid4().hex[:8]}"
            f = self.client.submit(run_batch, p, key=key, pure=False, retries=1)
            owner[f.key] = p
            self.futures.append(f)
            queue.add(f)

        for p in payloads:
            submit(p)
        for f in queue:
            p = owner.pop(f.key)
            res, error = None, None
            if f.status == "finished":
                try:
                    res = f.result()
                except Exception as exc:  # lost while being fetched
                    error = f"{type(exc).__name__}: {exc}"
            elif f.status == "error":
                failure = f.exception()
                f.release()
                yield p, None, f"{type(failure).__name__}: {failure}"
                continue
            else:
                error = f"result {f.status} (its worker died)"
            f.release()
            if res is not None:
                yield p, res, None
                continue
            n = attempts.get(id(p), 0) + 1
            attempts[id(p)] = n
            if n <= 3:
                submit(p)
            else:
                yield p, None, error

    def close(self) -> None:
        try:
            pending = [f for f in self.futures if not f.done()]
            if pending:
                self.client.cancel(pending)
        except Exception:  # closing down: nothing left to save
            pass
        if self.own:
            try:
                self.client.close(timeout=10)
            except Exception:  # closing down
                pass
            if self.cluster is not None:
                try:
                    self.cluster.close(timeout=10)
                except Exception:  # closing down
                    pass


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while the LocalCluster spawns its workers, which inherit it: a
    Ctrl-C at the terminal reaches the whole process group, and the workers should
    leave the shutting down to the driver (instead of printing tracebacks)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def check_executor(workers: int | None, scheduler: str | None) -> None:
    """Reject contradictory executor options before anything starts."""
    if workers is not None and workers < 0:
        raise ExperimentError(f"--workers {workers}: at least 0 (0 runs in this process)")
    if workers is not None and scheduler is not None:
        raise ExperimentError(
            "--workers and --scheduler exclude each other: an existing cluster has its own workers"
        )
    if scheduler is not None and not re.match(r"^[a-z]+://\S+:\d+$", scheduler):
        raise ExperimentError(
            f"--scheduler {scheduler!r}: expected an address like tcp://127.0.0.1:8786"
        )


def make_executor(
    workers: int | None = None, scheduler: str | None = None, client: Any = None
) -> InProcess | DaskExecutor:
    """``workers=0``: this process; ``scheduler`` (or OVERCAP_SCHEDULER when neither is
    given): an existing cluster; else a LocalCluster with ``workers`` (default: cores)."""
    if client is not None:
        return DaskExecutor(client=client)
    check_executor(workers, scheduler)
    if workers is None and scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
        if scheduler is not None:
            check_executor(None, scheduler)
    if workers == 0:
        return InProcess()
    return DaskExecutor(workers=workers, scheduler=scheduler)


def batch_size_for(todo: int, n_workers: int) -> int:
    """Runs per batch: about eight batches per worker (balance, progress), parts of at
    least five runs when there are enough runs to keep every worker busy, at most 50."""
    if todo <= 0:
        return 1
    per_worker = math.ceil(todo / n_workers)
    return max(1, min(50, max(math.ceil(todo / (8 * n_workers)), min(5, per_worker))))


# --------------------------------------------------------------------------- the driver


def execute(
    spec: dict[str, Any],
    resolved: dict[str, Scenario],
    name: str,
    results: str | Path | None = None,
    *,
    resume: bool = False,
    retry_failed: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    batch_size: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    executor: InProcess | DaskExecutor | None = None,
) -> Summary:
    """Create (or, with ``resume``, continue) the experiment ``name`` under ``results``
    and run every run that is missing. The driver alone writes the catalog: each batch's
    runs and parts in one transaction once its worker has returned. Ctrl-C raises
    :class:`Interrupted` after closing the cluster; what was recorded stays."""
    store = Store.at(name, results)
    if store.exists() and not resume:
        raise ExperimentError(
            f"experiment {name!r} already exists in {store.folder.parent}; add --resume to "
            "continue it, or choose another --name"
        )
    if resume and not store.exists():
        raise ExperimentError(f"--resume: {store.missing_message()}")
    if resume:
        check_same(store.spec(), spec, name)
    if batch_size is not None and batch_size < 1:
        raise ExperimentError(f"--batch-size {batch_size}: at least 1")
    if executor is None and client is None:
        check_executor(workers, scheduler)
    created_here = not store.folder.exists()
    try:
        with store.lock():
            return _execute_locked(
                store,
                spec,
                resolved,
                resume=resume,
                retry_failed=retry_failed,
                workers=workers,
                scheduler=scheduler,
                client=client,
                batch_size=batch_size,
                progress=progress,
                executor=executor,
            )
    except BaseException:
        if created_here and not store.exists():
            remove_tree(store.folder)
        raise


def _execute_locked(
    store: Store,
    spec: dict[str, Any],
    resolved: dict[str, Scenario],
    *,
    resume: bool,
    retry_failed: bool,
    workers: int | None,
    scheduler: str | None,
    client: Any,
    batch_size: int | None,
    progress: Callable[[Progress], None] | None,
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
                ex = make_executor(workers, scheduler, client)
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
        if retry_failed:
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
        if progress is not None:
            progress(state)
        new_ok = new_failed = 0
        lost: list[str] = []
        ex_desc = "nothing to run"
        if todo:
            if ex is None:
                ex = make_executor(workers, scheduler, client)
                owned = True
            ex_desc = ex.description
            session = store.begin_session(ex.description, __version__)
            status = "interrupted"
            try:
                size = batch_size or batch_size_for(len(todo), ex.n_workers)
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
                    if progress is not None:
                        progress(state)
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
        resumed=resume,
        orphans_removed=orphans,
        lost_batches=lost,
    )


def _params_json(spec: dict[str, Any], sample: dict[str, Any]) -> str:
    return json.dumps({**spec["base"], **sample["parameters"]}, ensure_ascii=False, default=str)


def _payloads(
    spec: dict[str, Any],
    resolved: dict[str, Scenario],
    store: Store,
    todo: list[tuple[int, int, int]],
    size: int,
) -> list[dict[str, Any]]:
    dumps: dict[str, Any] = {}
    out = []
    for i in range(0, len(todo), size):
        chunk = todo[i : i + size]
        samples = {}
        for _, j, _ in chunk:
            if j not in samples:
                s = spec["samples"][j]
                samples[j] = {**s, "parameters_json": _params_json(spec, s)}
                if s["scenario"] not in dumps:
                    dumps[s["scenario"]] = resolved[s["scenario"]].model_dump()
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


# --------------------------------------------------------------------------- reading


class Experiment:
    """A stored experiment, read through pandas (``runs``, ``table``, ``bands``,
    ``results``) or DuckDB SQL (``query``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.spec = store.spec()

    @property
    def name(self) -> str:
        return self.store.name

    @property
    def folder(self) -> Path:
        return self.store.folder

    def __repr__(self) -> str:
        return f"Experiment({self.name!r}, kind={self.spec['kind']!r}, folder={str(self.folder)!r})"

    def scenario(self, sample: int = 0) -> Scenario:
        """The full parameters a point ran with (from the catalog, so a scenario given as
        an object or a file that has changed since is still what ran)."""
        if not hasattr(self, "_scenarios"):
            t = self.store.read("SELECT scenario, parameters FROM scenarios")
            self._scenarios = {
                str(k): Scenario.model_validate(json.loads(str(v)))
                for k, v in zip(t["scenario"], t["parameters"], strict=True)
            }
        s = self.spec["samples"][sample]
        base = self._scenarios[s["scenario"]]
        return load_scenario(base, s["parameters"]) if s["parameters"] else base

    def runs(self) -> pd.DataFrame:
        """The catalog's runs: run, sample, replicate, scenario, parameters (JSON), seed,
        status, error, version, timings, worker, batch, session."""
        return self.store.read("SELECT * FROM runs ORDER BY run")

    def samples(self) -> pd.DataFrame:
        """One row per sample: sample, scenario, and one column per varied parameter."""
        rows = []
        for j, s in enumerate(self.spec["samples"]):
            rows.append({"sample": j, "scenario": s["scenario"], **s["parameters"]})
        return pd.DataFrame(rows)

    def table(
        self,
        name: str,
        runs: Sequence[int] | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """A results table of the ok runs with ``run``, ``sample`` and ``replicate``
        columns first."""
        frame = self.store.table(name, runs=runs, columns=columns)
        n = int(self.spec["runs"])
        frame.insert(1, "sample", (frame["run"] // n).astype("int64"))
        frame.insert(2, "replicate", (frame["run"] % n).astype("int64"))
        return frame

    def query(self, sql: str) -> pd.DataFrame:
        from overcap.store import query

        return query(sql, self.name, self.folder.parent)

    def indices(self) -> pd.DataFrame:
        """The sensitivity indices stored by ``overcap sensitivity``."""
        t = self.store.read_tables(["indices"])
        if "indices" not in t:
            raise StoreError(f"experiment {self.name!r} has no sensitivity indices")
        return t["indices"]

    def results(self, runs: Sequence[int] | None = None) -> list[Result]:
        """The ok runs as :class:`overcap.Result`, in run order."""
        from overcap.model import Result

        cat = self.runs()
        cat = cat[cat["status"] == "ok"]
        if runs is not None:
            cat = cat[cat["run"].isin([int(r) for r in runs])]
        wanted = [int(r) for r in cat["run"].to_numpy()]
        tables = {t: self.store.table(t, runs=wanted) for t in TABLES}
        groups = {
            t: {int(g["run"].iloc[0]): g for _, g in f.groupby("run", sort=False)} if len(f) else {}
            for t, f in tables.items()
        }
        scenarios: dict[int, Scenario] = {}
        out = []
        row: dict[str, Any]
        for row in cat.to_dict("records"):  # type: ignore[assignment]
            j = int(row["sample"])
            if j not in scenarios:
                scenarios[j] = self.scenario(j)
            frames = {}
            for t in TABLES:
                g = groups[t].get(int(row["run"]))
                frames[t] = (
                    g.drop(columns=["run"]).reset_index(drop=True)
                    if g is not None
                    else pd.DataFrame()
                )
            out.append(
                Result(
                    scenario=scenarios[j],
                    seed=int(row["seed"]),
                    sectors=frames["sectors"],
                    provinces=frames["provinces"],
                    economy=frames["economy"],
                    trade=frames["trade"],
                    meta={
                        "replicate": int(row["replicate"]),
                        "elapsed_seconds": float(row["seconds"]),
                        "python": row["python"],
                        "numpy": row["numpy"],
                        "experiment": self.name,
                        "run": int(row["run"]),
                        "sample": j,
                    },
                )
            )
        return out

    def bands(
        self,
        table: str = "economy",
        columns: Sequence[str] | None = None,
        by: Sequence[str] | None = None,
        low: float = 5.0,
        high: float = 95.0,
    ) -> pd.DataFrame:
        """Median and ``low``-``high`` percentile band over the ok runs of each sample,
        per year (and sector, province or partner): one row per sample, key and column,
        with ``median``, ``p5``, ``p95`` (named after low and high) and ``runs``."""
        keys = list(by) if by is not None else _default_keys(table)
        frame = self.table(table, columns=None if columns is None else [*keys, *columns])
        value_cols = [
            c
            for c in (columns or frame.columns)
            if c not in ("run", "sample", "replicate", *keys)
            and pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c])
        ]
        long = frame.melt(
            id_vars=["sample", *keys], value_vars=value_cols, var_name="column", value_name="v"
        )
        g = long.groupby(["sample", *keys, "column"], sort=True)["v"]
        lo_name, hi_name = f"p{low:g}", f"p{high:g}"
        out = pd.DataFrame(
            {
                "median": g.median(),
                lo_name: g.quantile(low / 100.0),
                hi_name: g.quantile(high / 100.0),
                "runs": g.count(),
            }
        ).reset_index()
        labels = {j: s["scenario"] for j, s in enumerate(self.spec["samples"])}
        out.insert(1, "scenario", out["sample"].map(labels))
        return out


def _default_keys(table: str) -> list[str]:
    return {
        "economy": ["year"],
        "sectors": ["year", "sector"],
        "provinces": ["year", "province"],
        "trade": ["year", "partner", "sector"],
    }[table]


def open_experiment(name: str, results: str | Path | None = None) -> Experiment:
    """A stored experiment by name (under ``results``, default ./overcap-results)."""
    store = Store.at(name, results)
    if not store.exists():
        raise StoreError(store.missing_message())
    return Experiment(store)


# --------------------------------------------------------------------------- public API


def run_experiment(
    kind: str,
    samples: Sequence[tuple[str | Scenario, dict[str, Any]]],
    runs: int,
    seed: int,
    base: dict[str, Any] | list[str] | None = None,
    *,
    design: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    name: str | None = None,
    results: str | Path | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    batch_size: int | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> tuple[Experiment, Summary]:
    """Define, run (or resume) and open an experiment in one call."""
    spec, resolved = define(kind, samples, runs, seed, base, design, extra)
    if name is None:
        if resume:
            raise ExperimentError("--resume needs the --name of the experiment to resume")
        name = generate_name(kind, str(spec["scenarios"][0]), results)
    summary = execute(
        spec,
        resolved,
        name,
        results,
        resume=resume,
        retry_failed=retry_failed,
        workers=workers,
        scheduler=scheduler,
        client=client,
        batch_size=batch_size,
        progress=progress,
    )
    return open_experiment(name, results), summary


def ensemble(
    scenario: str | Scenario = "baseline",
    runs: int = 10,
    seed: int = 0,
    overrides: dict[str, Any] | list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    name: str | None = None,
    results: str | Path | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    **kw_overrides: Any,
) -> list[Result]:
    """``runs`` replicates of a scenario as a list of :class:`overcap.Result`; replicate
    i always gets stream i of ``seed``.

    By default the runs go through the experiment machinery on a Dask LocalCluster with
    one worker per core (``workers=N`` to choose, ``scheduler=`` for an existing
    cluster) into a temporary store that is deleted afterwards, or into the store
    ``results/name`` when ``name`` is given. ``workers=0`` without ``name`` runs them
    one after the other in this process, keeping nothing on disk: the path that
    calibration uses inside its own worker processes. Both give identical results. A
    failed run raises ExperimentError once the others have finished (and been stored,
    when ``name`` is given)."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    ov: dict[str, Any] = {**overrides_dict(overrides), **overrides_dict(kw_overrides)}
    if workers == 0 and name is None and results is None and client is None:
        return _serial(scenario, runs, seed, ov, progress)

    def tick(p: Progress) -> None:
        if progress is not None:
            progress(p.done, p.total)

    with results_root(name, results, "ensemble") as root:
        exp, summary = run_experiment(
            "ensemble",
            [(scenario, {})],
            runs,
            seed,
            ov,
            name=name,
            results=root,
            resume=resume,
            workers=workers,
            scheduler=scheduler,
            client=client,
            batch_size=batch_size,
            progress=tick,
        )
        _raise_if_incomplete(exp, summary)
        return exp.results()


@contextlib.contextmanager
def results_root(
    name: str | None, results: str | Path | None, kind: str
) -> Iterator[str | Path | None]:
    """Where an experiment that only feeds an answer goes: ``results`` as given, or, when
    neither a name nor a root is given, a temporary store removed afterwards."""
    if name is not None or results is not None:
        yield results
        return
    tmp = Path(tempfile.mkdtemp(prefix=f"overcap-{kind}-"))
    try:
        yield tmp
    finally:
        remove_tree(tmp)


def _raise_if_incomplete(exp: Experiment, summary: Summary) -> None:
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


def _serial(
    scenario: str | Scenario,
    runs: int,
    seed: int,
    overrides: dict[str, Any],
    progress: Callable[[int, int], None] | None,
) -> list[Result]:
    from overcap.model import run

    sc = load_scenario(scenario, overrides)
    out = []
    for i in range(runs):
        out.append(run(sc, seed=seed, replicate=i))
        if progress is not None:
            progress(i + 1, runs)
    return out


# --------------------------------------------------------------------------- sweeps


@dataclass(frozen=True)
class Param:
    """A parameter that can be varied: its path, documented range and type."""

    path: str
    lo: float | None
    hi: float | None
    unit: str
    kind: str  # "float", "int", "bool", "str", "other"


def param_info(path: str) -> Param:
    """The documented range and type of a parameter path (``section.name`` or
    ``sectors.<sector>.<parameter>``); an unknown path raises a one-line ScenarioError
    listing what is allowed."""
    parts = path.split(".")
    _check_path(parts, path)
    if parts[0] == "sectors":
        _value, lo, hi = sector_table()[parts[1]][parts[2]]
        assert parts[2] in SECTOR_PARAMS
        return Param(path, float(lo), float(hi), "", "float")
    info = _field_info(parts)
    if info is None:
        return Param(path, None, None, "", "other")
    lo, hi, unit = field_bounds(info)
    ann = info.annotation
    kind = {float: "float", int: "int", bool: "bool", str: "str"}.get(ann, "other")
    return Param(path, lo, hi, unit, kind)


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """``["a.b=1,2,3", "c.d=true,false"]`` -> {"a.b": [1, 2, 3], "c.d": [True, False]}."""
    grid: dict[str, list[Any]] = {}
    for text in items:
        key, sep, values = text.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise ExperimentError(f"--grid {text!r}: expected path.to.param=v1,v2,...")
        try:
            param_info(key)
        except ScenarioError as exc:
            raise ExperimentError(f"--grid {text!r}: {exc}") from None
        vals = []
        for v in values.split(","):
            if not v.strip():
                raise ExperimentError(f"--grid {text!r}: an empty value")
            vals.append(parse_override(f"{key}={v}")[1])
        if key in grid:
            raise ExperimentError(f"--grid {key}: given twice")
        grid[key] = vals
    return grid


def parse_ranges(items: Sequence[str], flag: str = "--lhs") -> dict[str, tuple[float, float]]:
    """``["a.b=0.1:0.9"]`` -> {"a.b": (0.1, 0.9)}, inside the documented range."""
    out: dict[str, tuple[float, float]] = {}
    for text in items:
        key, sep, rng = text.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ExperimentError(f"{flag} {text!r}: expected path.to.param=LOW:HIGH")
        out[key] = _range(key, rng, f"{flag} {text!r}")
    return out


def _range(key: str, rng: str, where: str) -> tuple[float, float]:
    try:
        info = param_info(key)
    except ScenarioError as exc:
        raise ExperimentError(f"{where}: {exc}") from None
    if info.kind not in ("float", "int"):
        raise ExperimentError(f"{where}: {key} is a {info.kind} parameter; only numbers vary")
    a, sep, b = rng.partition(":")
    try:
        lo, hi = float(a), float(b)
    except ValueError:
        raise ExperimentError(f"{where}: expected LOW:HIGH numbers, e.g. 0.2:0.8") from None
    if not sep or not (lo < hi) or not (math.isfinite(lo) and math.isfinite(hi)):
        raise ExperimentError(f"{where}: expected LOW:HIGH with LOW < HIGH")
    if (info.lo is not None and lo < info.lo) or (info.hi is not None and hi > info.hi):
        raise ExperimentError(
            f"{where}: {key} must stay within its documented range "
            f"{info.lo} to {info.hi}{(' ' + info.unit) if info.unit else ''}"
        )
    return lo, hi


def grid_samples(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def lhs_samples(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, Any]]:
    """A Latin hypercube of ``n`` points over the ranges (integers rounded), reproducible
    from ``seed``."""
    if n < 1:
        raise ExperimentError(f"--samples {n}: at least 1")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31 - 1,)))
    keys = list(ranges)
    cols: dict[str, list[Any]] = {}
    for k in keys:
        lo, hi = ranges[k]
        u = (rng.permutation(n) + rng.random(n)) / n
        v = lo + u * (hi - lo)
        if param_info(k).kind == "int":
            cols[k] = [int(round(x)) for x in v]
        else:
            cols[k] = [float(x) for x in v]
    return [{k: cols[k][i] for k in keys} for i in range(n)]


def sweep(
    scenario: str | Scenario = "baseline",
    grid: dict[str, Sequence[Any]] | Sequence[str] | None = None,
    lhs: dict[str, tuple[float, float]] | Sequence[str] | None = None,
    samples: int = 10,
    runs: int = 1,
    seed: int | None = None,
    overrides: dict[str, Any] | list[str] | None = None,
    *,
    name: str | None = None,
    results: str | Path | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    batch_size: int | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> tuple[Experiment, Summary]:
    """A parameter sweep: every point of ``grid`` (the Cartesian product) times every
    point of a Latin hypercube of ``samples`` points over ``lhs`` ranges, each run
    ``runs`` times (replicate r shares stream r of ``seed`` across points). Stored as
    experiment ``name`` (generated when not given)."""
    if isinstance(grid, dict):
        g = {k.replace("__", "."): list(v) for k, v in grid.items()}
    else:
        g = parse_grid(list(grid or []))
    for k in g:
        try:
            param_info(k)
        except ScenarioError as exc:
            raise ExperimentError(f"--grid {k}: {exc}") from None
    if isinstance(lhs, dict):
        ranges = {}
        for k, (lo, hi) in lhs.items():
            ranges[k.replace("__", ".")] = _range(k, f"{lo}:{hi}", f"--lhs {k}")
    else:
        ranges = parse_ranges(list(lhs or []))
    both = sorted(set(g) & set(ranges))
    if both:
        raise ExperimentError(f"{both[0]} is in --grid and in --lhs; vary it one way")
    if not g and not ranges:
        raise ExperimentError("a sweep needs --grid PATH=V1,V2,... or --lhs PATH=LOW:HIGH")
    s = load_scenario(scenario, overrides_dict(overrides)).seed if seed is None else int(seed)
    points = grid_samples(g) if g else [{}]
    lhs_points = lhs_samples(ranges, samples, s) if ranges else [{}]
    combos = [{**a, **b} for a in points for b in lhs_points]
    design = {
        "grid": {k: [_plain(x) for x in v] for k, v in g.items()},
        "lhs": {k: list(v) for k, v in ranges.items()},
        "lhs_samples": samples if ranges else 0,
    }
    return run_experiment(
        "sweep",
        [(scenario, c) for c in combos],
        runs,
        s,
        overrides,
        design=design,
        name=name,
        results=results,
        resume=resume,
        retry_failed=retry_failed,
        workers=workers,
        scheduler=scheduler,
        client=client,
        batch_size=batch_size,
        progress=progress,
    )
