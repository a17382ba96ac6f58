"""The page's "same comparison from the command line": the command it prints, run in a
shell, reproduces the comparison the page shows (every run, and so every median)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from overcap.dashboard.levers import RunSpec, parse_request
from overcap.dashboard.runner import StoreCompute
from overcap.dashboard.views import Views
from overcap.model import Result

# small and short runs: the command's reproduction, not the model, is under test
SMALL = {"population.firms_start": 400, "time.start_year": 2012, "time.end_year": 2024}
OVERCAP = str(Path(sys.executable).with_name("overcap"))


def page_results(spec: RunSpec, tmp: Path) -> dict[str, list[Result]]:
    """The runs the page shows for ``spec``: the dashboard's own compute (the public
    ``overcap.ensemble`` into a store), the baseline and the user's scenario."""
    compute = StoreCompute(tmp / "page", workers=0)
    out = {}
    for s in (spec.reference(), spec):
        out[s.key], _ = compute(s, lambda _done: None)
    return out


def run_command(command: str, tmp: Path, name: str) -> list[list[Result]]:
    """Run the page's command in a shell (only the store's place and the workers added)
    and read back each scenario's runs, in the command's order."""
    from overcap.experiments import open_experiment

    assert command.startswith("overcap compare baseline ")
    shell = (
        f"{shlex.quote(OVERCAP)}{command[len('overcap') :]} --workers 0 --quiet --json "
        f"--results {shlex.quote(str(tmp / 'cli'))} --name {name}"
    )
    done = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    exp = open_experiment(name, tmp / "cli")
    cat = exp.runs()
    return [
        exp.results(runs=cat.loc[cat["sample"] == j, "run"].tolist())
        for j in range(len(exp.spec["samples"]))
    ]


def medians(views: Views, spec: RunSpec, results: dict[str, list[Result]]) -> list[str]:
    """The comparison figure's traces as the page draws them (names and y values)."""
    data, name = views.data(spec, results, "en")
    fig = views.figure("comparison", data, name, "en", "")
    return [f"{t.name}: {list(t.y)}" for t in fig.data]


@pytest.mark.parametrize(
    ("scenario", "levers"),
    [
        # levers and the reform year moved (a list-valued override, quoted for the shell)
        (
            "market-reform",
            {"visibility": "0.8125", "bailouts": [], "subsidy_base": 0.35, "reform_year": 2016},
        ),
        ("baseline", {"soft_budget": [], "campaign_compliance": "0.5"}),  # --set 2:...
    ],
)
def test_the_command_reproduces_the_comparison(
    scenario: str, levers: dict[str, object], tmp_path: Path
) -> None:
    spec = parse_request(scenario, levers, seed=7, runs=2, extra=SMALL)
    command = spec.command()
    assert "--runs 2 --seed 7" in command
    assert "--set population.firms_start=400" in command  # the app's fixed overrides
    target = "2" if scenario == "baseline" else scenario
    assert all(f"{target}:{k}=" in command for k, _ in spec.overrides)
    page = page_results(spec, tmp_path)
    cli = run_command(command, tmp_path, f"cmd-{scenario}")
    assert [len(r) for r in cli] == [2, 2]
    # every run of both scenarios is the page's, table for table
    for mine, theirs in zip((page[spec.reference().key], page[spec.key]), cli, strict=True):
        for a, b in zip(mine, theirs, strict=True):
            pd.testing.assert_frame_equal(
                a.economy.reset_index(drop=True), b.economy.reset_index(drop=True)
            )
            pd.testing.assert_frame_equal(
                a.sectors.reset_index(drop=True), b.sectors.reset_index(drop=True)
            )
    # the scenario's runs are not the baseline's: the comparison below can fail
    assert not page[spec.key][0].economy.equals(page[spec.reference().key][0].economy)
    # and so the medians of the comparison figure, exactly
    cli_results = {spec.reference().key: cli[0], spec.key: cli[1]}
    assert medians(Views(), spec, page) == medians(Views(), spec, cli_results)


def test_the_reference_alone_is_an_ensemble_of_the_baseline() -> None:
    spec = parse_request("baseline", {}, seed=3, runs=4)
    assert spec.command() == "overcap run baseline --runs 4 --seed 3"


def test_a_typed_number_reaches_the_command_exactly() -> None:
    spec = parse_request("trade-war", {"visibility": "0.123456789"}, seed=0, runs=1)
    assert "--set trade-war:investment.visibility=0.123456789" in spec.command()
    spec = parse_request("market-reform", {"reform_year": "2015"}, seed=0, runs=1)
    assert "--set 'market-reform:events.reform.years=[2015,2030]'" in spec.command()
