"""Runs in the background: a pool of worker processes, jobs the page polls, a cache.

The page never waits on a run. Pressing run submits a :class:`~overcap.dashboard.levers.
RunSpec` (and the reference scenario with the same seed and runs, for the comparison);
each replicate is one task for the pool (``overcap.run(..., replicate=i)``, the same
stream ``overcap.ensemble`` gives replicate i), so the page can show how many are done.
Finished ensembles are cached by their spec (scenario, overrides, seed, runs): asking
again for the same spec costs nothing, and two jobs that need the same spec share its
tasks. ``on_done`` is called once with every ensemble that finished (the dashboard
stores it in the results store there).

The workers are separate processes (started with ``spawn``), so the web server's threads
keep answering while the model runs.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from overcap.dashboard.levers import RunSpec
from overcap.model import Result, run

OnDone = Callable[[RunSpec, list[Result]], str | None]  # returns where it stored them


@dataclass
class Job:
    """One press of the run button: the specs it needs and the tasks still running."""

    id: str
    specs: list[RunSpec]
    tasks: dict[str, list[Future[Result]]]  # spec key -> one future per replicate
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    error: str | None = None
    total: int = 0  # tasks the job waited for (kept once they are done)


@dataclass(frozen=True)
class Status:
    """What the page shows about a job: ``state`` is running, done or failed."""

    state: str
    done: int
    total: int
    seconds: float
    error: str | None = None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class Runner:
    """A pool of worker processes with a cache of finished ensembles.

    ``workers`` processes (default: up to 2, never more than the machine's cores);
    ``cache_size`` ensembles kept in memory (least recently used dropped first);
    ``executor`` replaces the pool (tests may pass a thread pool)."""

    def __init__(
        self,
        workers: int | None = None,
        cache_size: int = 32,
        on_done: OnDone | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.workers = max(1, workers or min(2, os.cpu_count() or 1))
        self.cache_size = max(2, cache_size)
        self.on_done = on_done
        self._own_executor = executor is None
        self._executor = executor
        self._lock = threading.RLock()
        self._cache: OrderedDict[str, list[Result]] = OrderedDict()
        self._inflight: dict[str, list[Future[Result]]] = {}
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._stored: dict[str, str] = {}
        self.store_errors: list[str] = []

    # ------------------------------------------------------------------ the pool
    def _pool(self) -> Executor:
        if self._executor is None:
            ctx = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        return self._executor

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None and self._own_executor:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None

    # ------------------------------------------------------------------ jobs
    def submit(self, spec: RunSpec, compare: bool = True) -> str:
        """Start what ``spec`` needs (and, with ``compare``, the reference scenario with
        the same seed and runs); returns the job id the page polls."""
        specs = [spec]
        if compare and not spec.is_reference:
            specs.insert(0, spec.reference())
        with self._lock:
            tasks: dict[str, list[Future[Result]]] = {}
            for s in specs:
                if s.key in self._cache:
                    self._cache.move_to_end(s.key)
                    continue
                if s.key not in self._inflight:
                    self._inflight[s.key] = self._start(s)
                tasks[s.key] = self._inflight[s.key]
            job = Job(uuid.uuid4().hex, specs, tasks, total=sum(len(fs) for fs in tasks.values()))
            self._jobs[job.id] = job
            while len(self._jobs) > 200:  # forget the oldest jobs (their results stay)
                self._jobs.popitem(last=False)
        return job.id

    def _start(self, spec: RunSpec) -> list[Future[Result]]:
        try:
            pool = self._pool()
            return [self._submit_one(pool, spec, i) for i in range(spec.runs)]
        except RuntimeError:  # a broken pool (a worker died): start a new one
            self._executor = None
            pool = self._pool()
            return [self._submit_one(pool, spec, i) for i in range(spec.runs)]

    @staticmethod
    def _submit_one(pool: Executor, spec: RunSpec, i: int) -> Future[Result]:
        return pool.submit(run, spec.scenario, spec.seed, spec.overrides_dict, i)

    def status(self, job_id: Any) -> Status | None:
        """The job's state; None for a job id this runner does not know. The call that
        sees a job's last task finish caches its ensembles and hands them to ``on_done``
        (outside the lock, so other pages keep polling meanwhile)."""
        if not isinstance(job_id, str):
            return None
        finished: list[tuple[RunSpec, list[Result]]] = []
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            futures = [f for fs in job.tasks.values() for f in fs]
            total = job.total
            done = sum(f.done() for f in futures) if futures else total
            if job.error is None:
                for f in futures:
                    if f.done() and (f.cancelled() or f.exception() is not None):
                        exc = f.exception() if not f.cancelled() else None
                        job.error = _one_line(exc) if exc else "cancelled"
                        self._forget(job)
                        break
            if job.error is None and done == total:
                for key, fs in job.tasks.items():
                    item = self._finish(key, fs, job)
                    if item is not None:
                        finished.append(item)
                job.tasks = {}
            if job.finished is None and (job.error is not None or done == total):
                job.finished = time.perf_counter()
            seconds = (job.finished or time.perf_counter()) - job.started
        for spec, results in finished:
            self._notify(spec, results)
        if job.error is not None:
            return Status("failed", done, total, seconds, job.error)
        return Status("done" if done == total else "running", done, total, seconds)

    def _forget(self, job: Job) -> None:
        for key, fs in job.tasks.items():
            if self._inflight.get(key) is fs:
                del self._inflight[key]

    def _finish(
        self, key: str, fs: list[Future[Result]], job: Job
    ) -> tuple[RunSpec, list[Result]] | None:
        """Cache a finished ensemble; returns it if it is new (to be stored)."""
        self._inflight.pop(key, None)
        if key in self._cache:
            return None
        results = [f.result() for f in fs]
        spec = next(s for s in job.specs if s.key == key)
        self._cache[key] = results
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return spec, results

    def _notify(self, spec: RunSpec, results: list[Result]) -> None:
        if self.on_done is None:
            return
        try:
            where = self.on_done(spec, results)
        except Exception as exc:  # the store failing must not lose the results
            with self._lock:
                self.store_errors.append(_one_line(exc))
            return
        if where:
            with self._lock:
                self._stored[spec.key] = where

    def job_specs(self, job_id: Any) -> list[RunSpec] | None:
        """The specs a job ran (the reference first, the user's run last); None for a job
        id this runner does not know (any value the page sends is safe here)."""
        if not isinstance(job_id, str):
            return None
        with self._lock:
            job = self._jobs.get(job_id)
            return list(job.specs) if job is not None else None

    def stored(self, spec: RunSpec) -> str | None:
        """Where ``on_done`` put the ensemble of ``spec`` (None if nowhere)."""
        with self._lock:
            return self._stored.get(spec.key)

    def results(self, spec: RunSpec) -> list[Result] | None:
        """The finished ensemble of ``spec``, or None if it is not (or no longer) here."""
        with self._lock:
            res = self._cache.get(spec.key)
            if res is not None:
                self._cache.move_to_end(spec.key)
            return res

    def put(self, spec: RunSpec, results: list[Result]) -> None:
        """Put an ensemble computed elsewhere (e.g. loaded from the store) in the cache."""
        with self._lock:
            self._cache[spec.key] = list(results)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def wait(self, job_id: str, timeout: float = 120.0) -> Status | None:
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
                "workers": self.workers,
                "cached": len(self._cache),
                "running": len(self._inflight),
                "jobs": len(self._jobs),
            }
