"""`overcap discover` and overcap.discovery.run_discovery (issue 18): the criterion grammar
(parsed, never evaluated as Python), the lever design, a small discovery through the
store whose box is known (no soft budget, no zombies), uncertain parameters crossed with
policies, bad input in one line."""

from __future__ import annotations

import builtins
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from overcap.cli import app
from overcap.discovery import (
    DEFAULT_LEVERS,
    DiscoveryError,
    design,
    parse_criterion,
    parse_levers,
    run_discovery,
)
from overcap.experiments import ExperimentError, open_experiment

SHORT = {"time.end_year": 1999, "population.firms_start": 2000}
LEVERS = ["switches.soft_budget", "exit.rescue_private", "provinces.subsidy_base"]


def test_the_criterion_is_parsed_with_precedence_and_parentheses() -> None:
    c = parse_criterion("a >= 0.8 and b >= -0.5 or not (c < .1)")
    assert c.names == ("a", "b", "c")
    v = {"a": np.array([0.9, 0.7, 0.7]), "b": np.array([0, 0, 0]), "c": np.array([0, 0.2, 0])}
    assert c.evaluate(v).tolist() == [True, True, False]
    assert parse_criterion("0.5 < a").evaluate({"a": np.array([0.4, 0.6])}).tolist() == [
        False,
        True,
    ]
    c2 = parse_criterion("a > 1 or b > 1 and a > 5")  # and binds tighter than or
    assert c2.evaluate({"a": np.array([2.0]), "b": np.array([0.0])}).tolist() == [True]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("a >", "expected an outcome name or a number"),
        ("a >= 1 and", "expected an outcome name or a number"),
        ("(a >= 1", "expected ')'"),
        ("a >= 1)", "expected and, or or the end"),
        ("a = 1", "cannot read"),
        ("__import__('os').system('x')", "cannot read"),
        ("1 < 2", "two numbers"),
        ("a b", "expected a comparison"),
    ],
)
def test_a_bad_criterion_is_one_line(text: str, says: str) -> None:
    with pytest.raises(DiscoveryError) as info:
        parse_criterion(text)
    assert says in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith("--criterion")


def test_the_design_covers_the_ranges_reproducibly() -> None:
    lev = parse_levers(
        ["switches.soft_budget", "exit.rescue_private=0.2:0.6", "trade.measure_years"]
    )
    pts = design(lev, 40, 3)
    assert pts == design(lev, 40, 3)
    assert pts != design(lev, 40, 4)
    on = [p["switches.soft_budget"] for p in pts]
    assert all(isinstance(x, bool) for x in on) and sum(on) == 20  # a Latin hypercube
    r = [p["exit.rescue_private"] for p in pts]
    assert 0.2 <= min(r) and max(r) <= 0.6
    assert all(isinstance(p["trade.measure_years"], int) for p in pts)
    assert len(design(lev, 16, 3, "sobol")) == 16
    assert len(parse_levers(DEFAULT_LEVERS)) == len(DEFAULT_LEVERS)


@pytest.mark.parametrize(
    ("items", "says"),
    [
        (["nonsense.path"], "--levers nonsense.path"),
        (["switches.soft_budget=0:1"], "a switch is sampled on or off"),
        (["exit.rescue_private=0.5:2"], "documented range"),
        (["exit.rescue_private", "exit.rescue_private"], "given twice"),
        (["name"], "--levers name"),
    ],
)
def test_bad_levers(items: list[str], says: str) -> None:
    with pytest.raises(DiscoveryError, match=says):
        parse_levers(items)


def _discover(root: Path, criterion: str, **kw: Any) -> Any:
    """The small discovery of these tests (experiment "d": 24 points, 1995-1999)."""
    args: dict[str, Any] = {"levers": LEVERS, "samples": 24, "overrides": SHORT}
    args |= {"threshold": 0.9, "workers": 0, "name": "d", "results": root, **kw}
    return run_discovery("baseline", criterion, **args)


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    pytest.importorskip("ema_workbench")
    root = tmp_path_factory.mktemp("disc")
    return root, _discover(root, "zombie_share <= 0.001")


def test_discovery_finds_the_known_box(found: tuple[Path, Any]) -> None:
    root, d = found
    exp = open_experiment("d", root)
    assert exp.spec["kind"] == "discovery" and exp.spec["total_runs"] == 24
    assert exp.spec["extra"]["criterion"] == "zombie_share <= 0.001"
    assert "criterion" not in exp.spec["design"]  # it reads the runs; it does not make them
    pts = d.points
    assert len(pts) == 24
    # without soft budgets no firm is a zombie: the criterion is exactly "soft budget off"
    assert (pts["criterion"] == ~pts["switches.soft_budget"]).all()
    res = d.result
    assert res is not None and res.chosen is not None
    assert res.restricted == ["switches.soft_budget"]
    assert res.limits is not None and res.limits.loc["switches.soft_budget", "hi"] == 0
    st = res.stats()
    assert st is not None and st["coverage"] == 1.0 and st["density"] == 1.0
    assert d.scores is not None and d.scores.index[0] == "switches.soft_budget"
    assert (root / "d" / "discovery" / "trajectory.parquet").exists()


def test_a_resume_asks_another_criterion_of_the_same_runs(
    found: tuple[Path, Any], tmp_path: Path
) -> None:
    shared, d = found
    root = tmp_path / "copy"  # the shared store is left as it is for the other tests
    shutil.copytree(shared, root)
    again = _discover(root, "zombie_share > 0.001", resume=True)
    assert again.summary.new_ok == 0 and again.summary.ok == 24  # nothing ran again
    assert again.criterion == "zombie_share > 0.001"
    assert (again.points["criterion"] == ~d.points["criterion"]).all()
    meta = json.loads((root / "d" / "discovery" / "meta.json").read_text())
    assert meta["criterion"] == "zombie_share > 0.001"  # the analysis stored is the last
    assert meta["years"] is None  # all the recorded years
    _discover(root, "zombie_share > 0.001", years=(1996, 1999), resume=True)
    meta = json.loads((root / "d" / "discovery" / "meta.json").read_text())
    assert meta["years"] == [1996, 1999]
    # an experiment stored before session 47 holds its criterion in its design: it
    # resumes too, with this or another criterion
    spec_file = root / "d" / "experiment.json"
    spec = json.loads(spec_file.read_text())
    spec["design"]["criterion"] = "zombie_share <= 0.001"
    spec_file.write_text(json.dumps(spec))
    old = _discover(root, "zombie_share <= 0.001", resume=True)
    assert old.summary.new_ok == 0 and (old.points["criterion"] == d.points["criterion"]).all()
    # what decides which runs exist still has to match
    with pytest.raises(ExperimentError, match="another design"):
        _discover(root, "zombie_share <= 0.001", levers=LEVERS[:2], resume=True)


def test_uncertain_parameters_are_crossed_with_every_policy(tmp_path: Path) -> None:
    pytest.importorskip("ema_workbench")
    d = run_discovery(
        "baseline",
        "zombie_share <= 0.001",
        levers=["switches.soft_budget"],
        samples=4,
        uncertain=["investment.visibility"],
        uncertain_samples=3,
        overrides=SHORT,
        workers=0,
        name="u",
        results=tmp_path,
    )
    pts = d.points
    assert len(pts) == 12 and d.uncertain == ("investment.visibility",)
    # each policy point is run with the same three draws
    per_policy = pts.groupby(pts.index // 3)["investment.visibility"].apply(tuple)
    assert per_policy.nunique() == 1 and len(set(per_policy.iloc[0])) == 3
    assert d.scores is not None and "investment.visibility" in d.scores.index


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        ({"criterion": "zombies < 1"}, "--criterion 'zombies': unknown outcome"),
        ({"criterion": "margin_2009_2013 > 0"}, "--criterion margin_2009_2013"),
        ({"uncertain": ["switches.entry"]}, "--uncertain 'switches.entry'"),
        ({"levers": ["exit.rescue_private"], "overrides": {**SHORT, "exit.rescue_private": 0.5}},
         "both set"),
        ({"years": (1990, 1999)}, "--years 1990-1999"),
    ],
)  # fmt: skip
def test_run_discovery_bad_input(kw: dict[str, Any], says: str, tmp_path: Path) -> None:
    args: dict[str, Any] = {"criterion": "zombie_share < 1", "levers": LEVERS, "overrides": SHORT}
    args.update(kw)
    with pytest.raises(DiscoveryError) as info:
        run_discovery("baseline", samples=4, workers=0, results=tmp_path, **args)
    assert says in str(info.value)
    assert not any(tmp_path.iterdir())


CLI = ["discover", "--levers", ",".join(LEVERS), "--samples", "4", "--workers", "0"]
CLI += ["--set", "time.end_year=1998", "--set", "population.firms_start=2000"]


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--criterion", "zombie_share <"], "--criterion"),
        (["--criterion", "zombie_share < 1", "--levers", "bogus.lever"], "--levers bogus.lever"),
        (["--criterion", "zombie_share < 1", "--sampler", "grid"], "--sampler 'grid'"),
        (["--criterion", "idle < 1"], "--criterion 'idle'"),
    ],
)
def test_cli_bad_input(extra: list[str], says: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, [*CLI, *extra, "--results", str(tmp_path)])
    assert res.exit_code == 2, res.output
    assert says in res.output


def test_without_the_extra_the_error_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = builtins.__import__

    def no_ema(name: str, *args: Any, **kw: Any) -> Any:
        if name.startswith("ema_workbench"):
            raise ImportError("No module named 'ema_workbench'")
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_ema)
    res = CliRunner().invoke(
        app, [*CLI, "--criterion", "zombie_share <= 0.001", "--results", str(tmp_path)]
    )
    assert res.exit_code == 2, res.output
    assert "pip install 'overcap[discovery]'" in res.output
    assert not any(tmp_path.iterdir())  # said before anything ran


def test_cli_prints_the_box_and_json(tmp_path: Path) -> None:
    pytest.importorskip("ema_workbench")
    base = [*CLI, "--samples", "12", "--criterion", "zombie_share <= 0.001", "--threshold", "0.9"]
    base += ["--results", str(tmp_path), "--name", "c"]
    res = CliRunner().invoke(app, base)
    assert res.exit_code == 0, res.output
    assert "holds in 6 of 12 points" in res.stdout
    assert "switches.soft_budget │  off │ off" in res.stdout
    res = CliRunner().invoke(app, [*base, "--resume", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["holds"] == 6 and out["chosen"] is not None
    box = {r["lever"]: r for r in out["box"]}
    assert box["switches.soft_budget"]["restricted"] is True
