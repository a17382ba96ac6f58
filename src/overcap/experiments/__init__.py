"""Experiments at scale: ensembles, sweeps and sensitivity samples, run in batches on a
Dask cluster (a LocalCluster by default, or an existing one) or in this process, into a
results store (:mod:`overcap.store`) that loses nothing, or, for a plain ensemble, kept
in memory.

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
have overcap installed and see the results folder at the same path. These options, with
the experiment's name and results root, travel together as one :class:`Execution`.

The modules, by concern: :mod:`.spec` (definitions, digests, names), :mod:`.execution`
(the options and what a run reports), :mod:`.executors` (in-process and Dask),
:mod:`.worker` (a batch of runs), :mod:`.driver` (execute and resume), :mod:`.view`
(a stored :class:`Experiment`), :mod:`.runs` (``run_experiment``, ``ensemble``) and
:mod:`.samplers` (parameters, grids, Latin hypercubes, ``sweep``).
"""

from overcap.experiments.driver import execute
from overcap.experiments.execution import (
    Execution,
    Interrupted,
    Progress,
    Summary,
    check_executor,
)
from overcap.experiments.executors import (
    SCHEDULER_ENV,
    WORKER_ENV,
    DaskExecutor,
    InProcess,
    batch_size_for,
    default_workers,
    executor_for,
    make_executor,
)
from overcap.experiments.runs import (
    ensemble,
    in_memory,
    raise_if_incomplete,
    run_experiment,
    samples_in_memory,
)
from overcap.experiments.samplers import (
    Param,
    _range,
    grid_samples,
    lhs_samples,
    param_info,
    parse_grid,
    parse_ranges,
    sweep,
)
from overcap.experiments.spec import (
    DEFINING,
    KINDS,
    ExperimentError,
    check_loaded,
    check_same,
    define,
    digest,
    generate_name,
    overrides_dict,
    plain,
    resolve,
    scenario_params,
    units,
)
from overcap.experiments.view import Experiment, open_experiment
from overcap.experiments.worker import run_batch, run_replicates

__all__ = [
    "DEFINING",
    "KINDS",
    "SCHEDULER_ENV",
    "WORKER_ENV",
    "DaskExecutor",
    "Execution",
    "Experiment",
    "ExperimentError",
    "InProcess",
    "Interrupted",
    "Param",
    "Progress",
    "Summary",
    "_range",
    "batch_size_for",
    "check_executor",
    "check_loaded",
    "check_same",
    "default_workers",
    "define",
    "digest",
    "ensemble",
    "execute",
    "executor_for",
    "generate_name",
    "grid_samples",
    "in_memory",
    "lhs_samples",
    "make_executor",
    "open_experiment",
    "overrides_dict",
    "param_info",
    "parse_grid",
    "parse_ranges",
    "plain",
    "raise_if_incomplete",
    "resolve",
    "run_batch",
    "run_experiment",
    "run_replicates",
    "samples_in_memory",
    "scenario_params",
    "sweep",
    "units",
]
