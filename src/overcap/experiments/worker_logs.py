"""Logs of the Dask workers of a cluster the driver owns: what is dropped and why.
Imported only where a LocalCluster starts (it imports ``distributed``)."""

from __future__ import annotations

import logging
import weakref
from typing import Any

from distributed.core import Status
from distributed.diagnostics.plugin import WorkerPlugin

HEARTBEAT_FAILED = "Failed to communicate with scheduler during heartbeat."


class ClosingHeartbeat(logging.Filter):
    """Drop ``distributed.worker``'s log of a heartbeat that failed because its own worker
    was closing (2026.8.0): ``Worker.close`` marks the worker closing, stops its periodic
    callbacks and closes its connection pool, and a heartbeat already waiting for the
    scheduler's reply then fails with "Stream is closed" and is logged as an ERROR with a
    traceback (a known noisy shutdown: dask/distributed#3129; NVIDIA-NeMo/Curator#9).
    Nothing is lost: the worker is going away on the driver's order. A heartbeat that fails
    while the worker is running (the scheduler gone, the network down) is still logged."""

    def __init__(self, worker: Any) -> None:
        super().__init__()
        self._worker = weakref.ref(worker)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() != HEARTBEAT_FAILED:
            return True
        worker = self._worker()
        if worker is None:  # the worker is gone: so was its heartbeat
            return False
        return worker.status not in (Status.closing, Status.closed)


class QuietClose(WorkerPlugin):
    """A Dask worker plugin (``Client.register_plugin``) that installs
    :class:`ClosingHeartbeat` on each worker of the cluster the driver owns (set up in
    every worker, including those that join later)."""

    name = "overcap-quiet-close"

    def setup(self, worker: Any) -> None:
        log = logging.getLogger("distributed.worker")
        if not any(isinstance(f, ClosingHeartbeat) for f in log.filters):
            log.addFilter(ClosingHeartbeat(worker))
