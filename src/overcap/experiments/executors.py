"""Executors: where batches of runs go. :class:`InProcess` runs them one after the other
in this process (``workers=0``); :class:`DaskExecutor` submits them as Dask tasks to a
LocalCluster (``workers`` single-threaded processes on 127.0.0.1, no dashboard) or to an
existing cluster (``scheduler``, ``client``). Both yield ``(payload, result, error)`` as
batches complete; the task run on a payload is :func:`~overcap.experiments.worker.
run_batch` (runs stored as Parquet parts) unless another is given."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from overcap.experiments.execution import Execution, check_executor
from overcap.experiments.spec import ExperimentError
from overcap.experiments.worker import TRIM_THRESHOLD, run_batch

# the environment of LocalCluster workers: one BLAS/OpenMP thread per worker process, and
# glibc's trim threshold at worker.TRIM_THRESHOLD (128 MiB) instead of the 64 KiB Dask sets
# by default, with which a run of the baseline takes 2.3 times as long (memory handed back
# to the OS and asked for again at every step of the engine)
WORKER_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD),
}
SCHEDULER_ENV = "OVERCAP_SCHEDULER"

Task = Callable[[dict[str, Any]], Any]
Outcome = tuple[dict[str, Any], Any, str | None]  # payload, its result (None: lost), error


class SyncCancelRace(logging.Filter):
    """Drop tornado's log of a known race in ``distributed.utils.sync`` (2026.8.0): a
    Ctrl-C that arrives before ``sync``'s coroutine has made its future schedules
    ``cancel``, which reads that future unbound and raises NameError on the event loop;
    tornado logs the traceback. Nothing is lost (there was nothing to cancel yet, and the
    driver closes the client as it stops), so only that record is dropped: a NameError
    raised in ``cancel`` of ``distributed/utils.py``. Every other record passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, NameError):
            return True
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is None:
            return True
        code = tb.tb_frame.f_code
        where = Path(code.co_filename).parts[-2:]
        return not (code.co_name == "cancel" and where == ("distributed", "utils.py"))


def quiet_sync_cancel_race() -> None:
    """Install :class:`SyncCancelRace` on tornado's application logger (once)."""
    log = logging.getLogger("tornado.application")
    if not any(isinstance(f, SyncCancelRace) for f in log.filters):
        log.addFilter(SyncCancelRace())


class InProcess:
    """Batches one after the other in this process: no cluster (``workers=0``)."""

    n_workers = 1
    description = "in-process"

    def run(self, payloads: list[dict[str, Any]], task: Task = run_batch) -> Iterator[Outcome]:
        for p in payloads:
            try:
                yield p, task(p), None
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
        from distributed import Client, LocalCluster

        quiet_sync_cancel_race()
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
            # the driver closes its own cluster: a heartbeat caught by that is no error
            from overcap.experiments.worker_logs import QuietClose

            self.client.register_plugin(QuietClose())
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

    def run(self, payloads: list[dict[str, Any]], task: Task = run_batch) -> Iterator[Outcome]:
        """Submit every batch (``task`` of it); yield each as it completes. A batch whose
        result was lost (its worker died after running it, before the driver fetched the
        result) is submitted again, up to three times: its parts from the lost attempt are
        orphans, never recorded."""
        from distributed import as_completed

        owner: dict[str, dict[str, Any]] = {}
        attempts: dict[int, int] = {}
        queue = as_completed()

        def submit(p: dict[str, Any]) -> None:
            label = p.get("experiment", "ensemble")
            key = f"overcap-{label}-{p['units'][0][0]}-{uuid.uuid4().hex[:8]}"
            f = self.client.submit(task, p, key=key, pure=False, retries=1)
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


def executor_for(execution: Execution) -> InProcess | DaskExecutor:
    """The executor that ``execution`` asks for (see :func:`make_executor`)."""
    return make_executor(execution.workers, execution.scheduler, execution.client)


def batch_size_for(todo: int, n_workers: int) -> int:
    """Runs per batch: about eight batches per worker (balance, progress), parts of at
    least five runs when there are enough runs to keep every worker busy, at most 50."""
    if todo <= 0:
        return 1
    per_worker = math.ceil(todo / n_workers)
    return max(1, min(50, max(math.ceil(todo / (8 * n_workers)), min(5, per_worker))))
