"""How an experiment's runs are executed: one frozen options object passed through every
layer (instead of nine keywords re-declared at each), and what the driver reports back."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from overcap.experiments.spec import ExperimentError


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


class Interrupted(Exception):  # not an error: the user asked for it
    """The driver was interrupted (Ctrl-C); everything finished so far is recorded."""

    def __init__(self, name: str, folder: Path, done: int, total: int) -> None:
        super().__init__(f"experiment {name!r} interrupted: {done} of {total} runs recorded")
        self.name = name
        self.folder = folder
        self.done = done
        self.total = total


@dataclass(frozen=True)
class Execution:
    """Where an experiment's runs go and how they are run.

    ``name`` and ``results``: the experiment in the results store (``results/name``;
    an ensemble given neither keeps its runs in memory); ``resume`` continues it and
    ``retry_failed`` runs its failed runs again; ``workers=0`` runs in this process,
    ``workers=N`` on a LocalCluster of N processes (default: one per core),
    ``scheduler`` or ``client`` on an existing Dask cluster; ``batch_size`` runs per
    batch (default: :func:`~overcap.experiments.executors.batch_size_for`);
    ``progress`` is called with a :class:`Progress` after every batch."""

    name: str | None = None
    results: str | Path | None = None
    resume: bool = False
    retry_failed: bool = False
    workers: int | None = None
    scheduler: str | None = None
    client: Any = None
    batch_size: int | None = None
    progress: Callable[[Progress], None] | None = None

    @classmethod
    def of(cls, execution: Execution | None = None, **options: Any) -> Execution:
        """``execution`` (default: all defaults) with the keyword ``options`` that are
        given (not None or False) in their place: what the public functions build once
        from their convenience keywords."""
        given = {k: v for k, v in options.items() if v is not None and v is not False}
        return dataclasses.replace(execution or cls(), **given)

    def replace(self, **changes: Any) -> Execution:
        return dataclasses.replace(self, **changes)

    @property
    def keeps_runs(self) -> bool:
        """The runs go to the results store (a name or a root is given)."""
        return self.name is not None or self.results is not None

    def check(self) -> None:
        """Reject contradictory or impossible options before anything starts."""
        if self.batch_size is not None and self.batch_size < 1:
            raise ExperimentError(f"--batch-size {self.batch_size}: at least 1")
        if self.client is None:
            check_executor(self.workers, self.scheduler)


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
