"""Runs in the background: jobs the page polls, a cache, and the results store.

The page never waits on a run. Pressing run submits a :class:`~overcap.dashboard.levers.
RunSpec` (and the reference scenario with the same seed and runs, for the comparison).
Each spec is one ensemble, computed by a ``compute`` function in a background thread of
the server; by default :class:`StoreCompute`, which calls the public
``overcap.ensemble`` with a ``name``, so the runs go to the results store (one
experiment per spec, on a Dask LocalCluster of worker processes started once and kept)
where ``overcap runs`` and ``overcap query`` find them later. The same spec is an
experiment that already exists: it is read back, not run again (also after a restart).

Finished ensembles are cached in memory by their spec (scenario, overrides, seed,
runs); two jobs that need the same spec share its computation. The web server's
threads only wait and poll, so the page keeps answering while the model runs.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from overcap.dashboard.levers import RunSpec
from overcap.model import Result

Tick = Callable[[int], None]  # runs done so far
Compute = Callable[[RunSpec, Tick], tuple[list[Result], str | None]]  # results, where stored


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def experiment_name(spec: RunSpec) -> str:
    """The store's name for a spec: ``dashboard-<scenario>-<12 hex>``, the hex digest of
    everything that decides the runs (all parameters after overrides, seed, runs), so an
    experiment of that name holds exactly these runs."""
    from overcap.experiments import scenario_params
    from overcap.scenario import load_scenario

    params = scenario_params(load_scenario(spec.scenario, spec.overrides_dict))
    text = json.dumps([params, spec.seed, spec.runs], sort_keys=True, default=str)
    return f"dashboard-{spec.scenario}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


class StoreCompute:
    """Compute a spec into the results store under ``results`` (default
    ./overcap-results), with ``overcap.ensemble(..., name=...)``: on a Dask LocalCluster
    of ``workers`` processes (127.0.0.1, no dashboard; started at the first run and kept
    until :meth:`close`), or in the calling thread with ``workers=0``. A complete
    experiment of the same name is read back instead; an incomplete one (the server
    stopped mid-run) is resumed."""

    def __init__(self, results: str | Path | None = None, workers: int | None = None) -> None:
        from overcap.store import root_of

        self.results = root_of(results)
        self.workers = workers
        self._executor: Any = None
        self._lock = threading.Lock()

    def _client(self) -> Any:
        if self.workers == 0:
            return None
        with self._lock:
            if self._executor is None:
                from overcap.experiments import make_executor

                n = self.workers if self.workers is not None else 2
                self._executor = make_executor(workers=n)
            return self._executor.client

    def __call__(self, spec: RunSpec, tick: Tick) -> tuple[list[Result], str | None]:
        from overcap.experiments import ensemble
        from overcap.store import Store

        name = experiment_name(spec)
        store = Store.at(name, self.results)
        where = str(store.folder)
        if store.exists():
            from overcap.experiments import open_experiment

            exp = open_experiment(name, self.results)
            cat = exp.runs()
            if int((cat["status"] == "ok").sum()) == spec.runs:
                tick(spec.runs)
                return exp.results(), where
        client = self._client()
        results = ensemble(
            spec.scenario,
            runs=spec.runs,
            seed=spec.seed,
            overrides=spec.overrides_dict,
            progress=lambda done, _total: tick(done),
            workers=0 if client is None else None,
            client=client,
            name=name,
            results=self.results,
            resume=store.exists(),
            batch_size=1,
        )
        return results, where

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.close()
                self._executor = None


def memory_compute(spec: RunSpec, tick: Tick) -> tuple[list[Result], str | None]:
    """Compute a spec in the calling thread, storing nothing (``overcap.run`` per
    replicate, as ``overcap.ensemble`` does). For tests and for a dashboard without a
    store."""
    from overcap.model import run

    out = []
    for i in range(spec.runs):
        out.append(run(spec.scenario, seed=spec.seed, overrides=spec.overrides_dict, replicate=i))
        tick(i + 1)
    return out, None


@dataclass
class Task:
    """One spec being computed: its future and how many runs are done."""

    spec: RunSpec
    future: Future[tuple[list[Result], str | None]] | None = None
    done: int = 0


@dataclass
class Job:
    """One press of the run button: the specs it needs and the tasks still running."""

    id: str
    specs: list[RunSpec]
    tasks: dict[str, Task]  # spec key -> its task
    total: int = 0  # runs the job waits for
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class Status:
    """What the page shows about a job: ``state`` is running, done or failed."""

    state: str
    done: int
    total: int
    seconds: float
    error: str | None = None


class Runner:
    """Background computation of specs with a cache of finished ensembles.

    ``compute`` computes one spec (default :class:`StoreCompute` over ``results`` with
    ``workers`` Dask workers); ``threads`` specs are computed at once; ``cache_size``
    ensembles are kept in memory (least recently used dropped first)."""

    def __init__(
        self,
        compute: Compute | None = None,
        *,
        results: str | Path | None = None,
        workers: int | None = None,
        threads: int = 4,
        cache_size: int = 32,
    ) -> None:
        self.compute: Compute = compute or StoreCompute(results, workers)
        self.cache_size = max(2, cache_size)
        self._threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="overcap-run")
        self._lock = threading.RLock()
        self._cache: OrderedDict[str, list[Result]] = OrderedDict()
        self._stored: dict[str, str] = {}
        self._inflight: dict[str, Task] = {}
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def shutdown(self) -> None:
        """Stop taking work, let running computations end, close the cluster."""
        self._threads.shutdown(wait=False, cancel_futures=True)
        close = getattr(self.compute, "close", None)
        if callable(close):
            close()

    # ------------------------------------------------------------------ jobs
    def submit(self, spec: RunSpec, compare: bool = True) -> str:
        """Start what ``spec`` needs (and, with ``compare``, the reference scenario with
        the same seed and runs); returns the job id the page polls."""
        specs = [spec]
        if compare and not spec.is_reference:
            specs.insert(0, spec.reference())
        with self._lock:
            tasks: dict[str, Task] = {}
            for s in specs:
                if s.key in self._cache:
                    self._cache.move_to_end(s.key)
                    continue
                if s.key not in self._inflight:
                    self._inflight[s.key] = self._start(s)
                tasks[s.key] = self._inflight[s.key]
            total = sum(t.spec.runs for t in tasks.values())
            job = Job(uuid.uuid4().hex, specs, tasks, total=total)
            self._jobs[job.id] = job
            while len(self._jobs) > 200:  # forget the oldest jobs (their results stay)
                self._jobs.popitem(last=False)
        return job.id

    def _start(self, spec: RunSpec) -> Task:
        task = Task(spec)

        def tick(done: int) -> None:
            task.done = max(task.done, min(int(done), spec.runs))

        task.future = self._threads.submit(self.compute, spec, tick)
        return task

    def status(self, job_id: Any) -> Status | None:
        """The job's state; None for a job id this runner does not know (any value the
        page sends is safe here)."""
        if not isinstance(job_id, str):
            return None
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.error is None and job.tasks:
                for key, task in list(job.tasks.items()):
                    f = task.future
                    if f is None or not f.done():
                        continue
                    exc = f.exception() if not f.cancelled() else RuntimeError("cancelled")
                    if self._inflight.get(key) is task:
                        del self._inflight[key]
                    if exc is not None:
                        job.error = one_line(exc)
                        break
                    results, where = f.result()
                    self._put(key, results, where)
                    task.done = task.spec.runs
                    del job.tasks[key]
            done = job.total - sum(t.spec.runs - t.done for t in job.tasks.values())
            if job.finished is None and (job.error is not None or not job.tasks):
                job.finished = time.perf_counter()
            seconds = (job.finished or time.perf_counter()) - job.started
            if job.error is not None:
                return Status("failed", done, job.total, seconds, job.error)
            if job.tasks:
                return Status("running", done, job.total, seconds)
            return Status("done", job.total, job.total, seconds)

    def _put(self, key: str, results: list[Result], where: str | None) -> None:
        self._cache[key] = list(results)
        self._cache.move_to_end(key)
        if where:
            self._stored[key] = where
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def job_specs(self, job_id: Any) -> list[RunSpec] | None:
        """The specs a job ran (the reference first, the user's run last); None for a job
        id this runner does not know."""
        if not isinstance(job_id, str):
            return None
        with self._lock:
            job = self._jobs.get(job_id)
            return list(job.specs) if job is not None else None

    def stored(self, spec: RunSpec) -> str | None:
        """Where the ensemble of ``spec`` is in the results store (None if nowhere)."""
        with self._lock:
            return self._stored.get(spec.key)

    def results(self, spec: RunSpec) -> list[Result] | None:
        """The finished ensemble of ``spec``, or None if it is not (or no longer) here."""
        with self._lock:
            res = self._cache.get(spec.key)
            if res is not None:
                self._cache.move_to_end(spec.key)
            return res

    def wait(self, job_id: str, timeout: float = 300.0) -> Status | None:
        """Block until the job ends (for scripts and tests; the page polls instead)."""
        t0 = time.perf_counter()
        while True:
            st = self.status(job_id)
            if st is None or st.state != "running" or time.perf_counter() - t0 > timeout:
                return st
            time.sleep(0.05)

    def info(self) -> dict[str, Any]:
        with self._lock:
            return {
                "cached": len(self._cache),
                "running": len(self._inflight),
                "jobs": len(self._jobs),
            }
