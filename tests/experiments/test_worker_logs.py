"""experiments/worker_logs.py: a worker's heartbeat cut off by its own close is not logged
as an error; every other record of the workers still is."""

from __future__ import annotations

import logging

import pytest
from distributed.core import Status

from overcap.experiments.executors import DaskExecutor
from overcap.experiments.worker_logs import HEARTBEAT_FAILED, ClosingHeartbeat, QuietClose


class FakeWorker:
    """What the filter reads of a worker: its status (and a weak reference to it)."""

    def __init__(self, status: Status) -> None:
        self.status = status


def _record(msg: str) -> logging.LogRecord:
    return logging.LogRecord("distributed.worker", logging.ERROR, __file__, 1, msg, None, None)


@pytest.mark.parametrize(
    ("status", "kept"),
    [(Status.running, True), (Status.closing, False), (Status.closed, False)],
)
def test_the_heartbeat_failure_is_dropped_only_while_the_worker_closes(
    status: Status, kept: bool
) -> None:
    worker = FakeWorker(status)
    f = ClosingHeartbeat(worker)
    assert f.filter(_record(HEARTBEAT_FAILED)) is kept
    # any other record of a closing worker passes
    assert f.filter(_record("Unexpected exception during heartbeat. Closing worker."))


def test_the_plugin_installs_the_filter_once() -> None:
    log = logging.getLogger("distributed.worker")
    before = list(log.filters)
    try:
        worker = FakeWorker(Status.running)
        QuietClose().setup(worker)
        QuietClose().setup(worker)
        assert sum(isinstance(f, ClosingHeartbeat) for f in log.filters) == 1
    finally:
        log.filters[:] = before


def test_every_worker_of_the_driver_s_own_cluster_has_the_filter() -> None:
    ex = DaskExecutor(workers=2)
    try:

        def installed() -> bool:
            log = logging.getLogger("distributed.worker")
            return any(type(f).__name__ == "ClosingHeartbeat" for f in log.filters)

        found = ex.client.run(installed)
        assert len(found) == 2 and all(found.values())
    finally:
        ex.close()
