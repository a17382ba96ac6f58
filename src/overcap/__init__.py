"""overcap: a laboratory of how a party-state economy produces overcapacity, again and again."""

__version__ = "0.1.0"

from overcap.compare import compare  # noqa: E402
from overcap.evidence import check  # noqa: E402
from overcap.experiments import (  # noqa: E402
    Experiment,
    ExperimentError,
    open_experiment,
    sweep,
)
from overcap.model import Result, ensemble, run  # noqa: E402
from overcap.scenario import Scenario, ScenarioError, available_scenarios, load_scenario  # noqa: E402
from overcap.sensitivity import sensitivity  # noqa: E402
from overcap.store import StoreError, list_experiments, query  # noqa: E402

__all__ = [
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
