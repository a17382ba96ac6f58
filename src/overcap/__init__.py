"""overcap: a laboratory of how a party-state economy produces overcapacity, again and again."""

import overcap._kernels  # noqa: F401  (first: NumPy's kernels, before NumPy loads)
from overcap._version import __version__
from overcap.compare import compare
from overcap.evidence import check
from overcap.experiments import (
    Execution,
    Experiment,
    ExperimentError,
    ensemble,
    open_experiment,
    sweep,
)
from overcap.model import Result, run
from overcap.scenario import Scenario, ScenarioError, available_scenarios, load_scenario
from overcap.sensitivity import sensitivity
from overcap.store import StoreError, list_experiments, query

__all__ = [
    "Execution",
    "Experiment",
    "ExperimentError",
    "Result",
    "Scenario",
    "ScenarioError",
    "StoreError",
    "__version__",
    "available_scenarios",
    "check",
    "compare",
    "ensemble",
    "list_experiments",
    "load_scenario",
    "open_experiment",
    "query",
    "run",
    "sensitivity",
    "sweep",
]
