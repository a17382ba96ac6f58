"""overcap: a laboratory of how a party-state economy produces overcapacity, again and again."""

__version__ = "0.1.0"

from overcap.compare import compare  # noqa: E402
from overcap.evidence import check  # noqa: E402
from overcap.model import Result, ensemble, run  # noqa: E402
from overcap.scenario import Scenario, ScenarioError, available_scenarios, load_scenario  # noqa: E402

__all__ = [
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "available_scenarios",
    "check",
    "compare",
    "ensemble",
    "load_scenario",
    "run",
]
