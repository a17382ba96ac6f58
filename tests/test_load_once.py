"""A command loads its scenario once: `overcap sweep` and `overcap sensitivity` check the
scenario and hand the loaded one to the experiment, which keeps the name or path the
user gave as the scenario's key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import overcap.cli
import overcap.experiments.spec
import overcap.experiments.view
import overcap.experiments.worker
from overcap.cli import app
from overcap.experiments import ExperimentError, open_experiment, sweep
from overcap.scenario import Scenario, load_scenario
from overcap.sensitivity import sensitivity

SHORT = ["--set", "time.end_year=1997", "--set", "population.firms_start=2000"]
OVERRIDES = {"time.end_year": 1997, "population.firms_start": 2000}
MODULES = (
    overcap.cli,
    overcap.experiments.spec,
    overcap.experiments.worker,
    overcap.experiments.view,
)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The scenarios load_scenario is asked to load from a name or path (not the loads
    of a sweep point: a loaded Scenario with the point's parameters)."""
    calls: list[str] = []

    def counting(scenario: Any, *args: Any, **kwargs: Any) -> Scenario:
        if not isinstance(scenario, Scenario):
            calls.append(str(scenario))
        return load_scenario(scenario, *args, **kwargs)

    for mod in MODULES:
        monkeypatch.setattr(mod, "load_scenario", counting)
    return calls


def mine(tmp_path: Path) -> str:
    toml = tmp_path / "mine.toml"
    toml.write_text('name = "mine"\ninherits = "baseline"\n')
    return str(toml)


def test_sweep_command_loads_its_scenario_once(tmp_path: Path, loads: list[str]) -> None:
    path = mine(tmp_path)
    args = ["sweep", path, "--grid", "investment.visibility=0.5,0.8", *SHORT]
    res = CliRunner().invoke(
        app, [*args, "--workers", "0", "--results", str(tmp_path), "--name", "s", "-q"]
    )
    assert res.exit_code == 0, res.output
    assert loads == [path]
    spec = open_experiment("s", tmp_path).spec
    assert spec["scenarios"] == [path]  # keyed by the path given, not the name inside
    assert [s["scenario"] for s in spec["samples"]] == [path, path]


def test_sensitivity_command_loads_its_scenario_once(tmp_path: Path, loads: list[str]) -> None:
    params = "investment.visibility,provinces.subsidy_base"
    args = ["sensitivity", "baseline", "--method", "morris", "--samples", "2", "--params", params]
    res = CliRunner().invoke(
        app,
        [*args, *SHORT, "--workers", "0", "--results", str(tmp_path), "--name", "m", "--json"],
    )
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)) == 2
    assert loads == ["baseline"]
    assert open_experiment("m", tmp_path).spec["scenarios"] == ["baseline"]


def test_a_loaded_scenario_runs_as_if_loaded_inside(tmp_path: Path) -> None:
    """The same experiment (spec and results) with and without ``loaded``."""
    path = mine(tmp_path)
    kw: dict[str, Any] = {"grid": ["investment.visibility=0.5"], "overrides": OVERRIDES}
    ex: dict[str, Any] = {"workers": 0, "results": tmp_path}
    a, _ = sweep(path, **kw, name="a", **ex)
    b, _ = sweep(path, **kw, name="b", loaded=load_scenario(path, OVERRIDES), **ex)
    same = {"name": None, "created": None}  # when each was made may differ by a second
    assert {**a.spec, **same} == {**b.spec, **same}
    assert a.spec["scenarios"] == [path]
    assert a.table("economy").equals(b.table("economy"))


def test_loaded_goes_with_a_name_or_path() -> None:
    sc = load_scenario("baseline")
    with pytest.raises(ValueError, match="loaded goes with a scenario given by name or path"):
        sweep(sc, grid=["investment.visibility=0.5"], loaded=sc, workers=0)
    with pytest.raises(ValueError, match="loaded goes with a scenario given by name or path"):
        sensitivity(sc, ["investment.visibility", "provinces.subsidy_base"], loaded=sc)
    with pytest.raises(ExperimentError):  # the usual checks still come first
        sensitivity("baseline", ["investment.visibility"], loaded=sc)
