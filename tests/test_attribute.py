"""`overcap attribute` and overcap.attribution.attribute (issue 18): the coalitions as one
stored experiment, Shapley values recomputed by brute force from the stored outcomes,
efficiency, resuming without running again, the permutation method, bad input."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from overcap.attribution import (
    EXACT_RUN_LIMIT,
    AttributionError,
    analyse,
    attribute,
    choose_method,
    coalition_overrides,
    load,
    permutation_masks,
    select_players,
)
from overcap.cli import app
from overcap.experiments import open_experiment

PLAYERS = ["tournament", "soft_budget", "campaigns"]
SHORT = {"time.end_year": 1999, "population.firms_start": 2000}
OUTCOMES = ["idle_capacity", "zombie_share", "margin", "gdp_growth_1997_1999"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("attr")
    a = attribute(
        "baseline",
        runs=2,
        outcomes=OUTCOMES,
        players=PLAYERS,
        overrides=SHORT,
        workers=0,
        name="attr",
        results=root,
    )
    return root, a


def brute_shapley(v: dict[frozenset[int], float], k: int) -> list[float]:
    """The average over all k! orderings of each player's marginal contribution."""
    out = [0.0] * k
    orders = list(itertools.permutations(range(k)))
    for order in orders:
        s: frozenset[int] = frozenset()
        for p in order:
            out[p] += v[s | {p}] - v[s]
            s = s | {p}
    return [x / len(orders) for x in out]


def test_the_experiment_holds_every_coalition_with_its_overrides(stored: tuple) -> None:
    root, a = stored
    exp = open_experiment("attr", root)
    assert exp.spec["kind"] == "attribution"
    assert exp.spec["runs"] == 2 and exp.spec["total_runs"] == 16
    assert exp.spec["design"]["players"] == PLAYERS
    assert exp.spec["design"]["coalitions"] == list(range(8))
    assert "version" in exp.spec and exp.spec["seed"] == 0
    chosen = select_players(PLAYERS)
    for m, s in enumerate(exp.spec["samples"]):
        assert s["parameters"] == coalition_overrides(m, chosen)
    # the full coalition changes nothing; the empty one switches all three off
    assert exp.spec["samples"][7]["parameters"] == {}
    assert exp.scenario(0).switches.soft_budget is False
    assert exp.scenario(7).switches.soft_budget is True
    runs = exp.runs()
    assert (runs["status"] == "ok").all()
    # common random numbers: replicate r has the same seed in every coalition
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()


def test_shapley_values_match_brute_force_and_add_up(stored: tuple) -> None:
    _, a = stored
    assert a.method == "exact"
    vals = a.values
    for o in OUTCOMES:
        v = vals[vals["outcome"] == o]
        per_rep = []
        for r in (0, 1):
            g = v[v["replicate"] == r].set_index("coalition")["value"]
            game = {frozenset(i for i in range(3) if m >> i & 1): float(g[m]) for m in range(8)}
            phi = brute_shapley(game, 3)
            # efficiency: the contributions add up to all on minus all off
            assert sum(phi) == pytest.approx(game[frozenset({0, 1, 2})] - game[frozenset()])
            per_rep.append(phi)
        c = a.contributions[a.contributions["outcome"] == o].set_index("player")
        mean = np.mean(per_rep, axis=0)
        np.testing.assert_allclose(c.loc[PLAYERS, "mean"].to_numpy(), mean, atol=1e-12)
        np.testing.assert_allclose(c.loc[PLAYERS, "median"].to_numpy(), mean, atol=1e-12)
        tot = a.totals.set_index("outcome").loc[o]
        assert c["mean"].sum() == pytest.approx(tot["mean"], abs=1e-12)
        assert (c["lo"] <= c["median"] + 1e-12).all() and (c["median"] <= c["hi"] + 1e-12).all()
    # soft budgets make zombies: with them off no firm is a zombie
    z = a.contributions[a.contributions["outcome"] == "zombie_share"].set_index("player")
    assert z.loc["soft_budget", "mean"] > 0
    assert a.totals.set_index("outcome").loc["zombie_share", "null"] == 0.0
    # three pairs, each with its band
    assert len(a.interactions[a.interactions["outcome"] == "margin"]) == 3
    assert len(a.strongest_pairs("margin", 2)) == 2


def test_resuming_reuses_the_stored_runs_and_computes_other_outcomes(stored: tuple) -> None:
    root, a = stored
    again = attribute(
        "baseline",
        runs=2,
        outcomes=OUTCOMES,
        players=PLAYERS,
        overrides=SHORT,
        workers=0,
        name="attr",
        results=root,
        resume=True,
    )
    assert again.summary.new_ok == 0 and again.summary.ok == 16
    pd.testing.assert_frame_equal(again.contributions, a.contributions)
    other = analyse(open_experiment("attr", root), ["export_share", "fiscal_cost_share_gdp"])
    assert set(other.contributions["outcome"]) == {"export_share", "fiscal_cost_share_gdp"}
    back = load("attr", root)  # what was stored last
    pd.testing.assert_frame_equal(back.contributions, other.contributions)
    assert back.players == tuple(PLAYERS) and back.runs == 2
    # a resume with other players is another experiment
    with pytest.raises(ValueError, match="--resume"):
        attribute(
            "baseline",
            runs=2,
            players=["tournament", "campaigns"],
            outcomes=OUTCOMES,
            overrides=SHORT,
            workers=0,
            name="attr",
            results=root,
            resume=True,
        )


def test_the_permutation_method_runs_only_the_coalitions_it_visits(tmp_path: Path) -> None:
    players = ["tournament", "soft_budget", "soe_output_targets", "campaigns"]
    masks = permutation_masks(4, 4, 0)
    assert masks[0] == 0 and masks[-1] == 15 and len(masks) < 16
    a = attribute(
        "baseline",
        runs=2,
        outcomes=["zombie_share"],
        players=players,
        method="permutation",
        permutations=4,
        overrides=SHORT,
        workers=0,
        name="perm",
        results=tmp_path,
    )
    exp = open_experiment("perm", tmp_path)
    assert exp.spec["design"]["coalitions"] == masks
    assert exp.spec["total_runs"] == 2 * len(masks)
    c = a.contributions
    assert np.isfinite(c["stderr"]).all() and (c["stderr"] >= 0).all()
    assert c["mean"].sum() == pytest.approx(a.totals["mean"].iloc[0], abs=1e-12)
    assert a.interactions.empty


def test_auto_chooses_exact_up_to_the_limit() -> None:
    assert choose_method("auto", 9, EXACT_RUN_LIMIT // 512) == "exact"
    assert choose_method("auto", 9, EXACT_RUN_LIMIT // 512 + 1) == "permutation"
    assert choose_method("exact", 9, 100) == "exact"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"players": ["tournament", "nonsense"]}, "--players 'nonsense'"),
        ({"players": ["tournament"]}, "--players: name at least two"),
        ({"players": ["tournament", "tournament"]}, "--players tournament: given twice"),
        ({"outcomes": ["idle"]}, "--outcomes 'idle': unknown outcome"),
        ({"outcomes": ["idle_capacity_2009_2013"]}, "--outcomes idle_capacity_2009_2013"),
        ({"years": (1990, 1999)}, "--years 1990-1999"),
        ({"method": "magic"}, "--method 'magic'"),
        ({"method": "permutation", "permutations": 5}, "--permutations 5"),
        ({"runs": 0}, "--runs 0"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(kw: dict, field: str, tmp_path: Path) -> None:
    args = {"players": PLAYERS, "outcomes": ["zombie_share"], **kw}
    with pytest.raises(AttributionError) as info:
        attribute("baseline", overrides=SHORT, workers=0, results=tmp_path, **args)
    assert field in str(info.value) and "\n" not in str(info.value)
    assert not any(tmp_path.iterdir())  # nothing was created


CLI = ["attribute", "--players", "tournament,soft_budget", "--runs", "2", "--workers", "0"]
CLI += ["--set", "time.end_year=1998", "--set", "population.firms_start=2000"]
CLI += ["--outcomes", "zombie_share"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--players", "tournament,bogus"], "--players 'bogus'"),
        (["--outcomes", "zombies"], "--outcomes 'zombies'"),
        (["--years", "2020-2030"], "--years 2020-2030"),
        (["--outcomes", "margin_2009_2013"], "--outcomes margin_2009_2013"),
        (["--method", "guess"], "--method 'guess'"),
    ],
)
def test_cli_bad_input(extra: list[str], field: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, [*CLI, *extra, "--results", str(tmp_path)])
    assert res.exit_code == 2, res.output
    assert field in res.output
    assert not any(tmp_path.iterdir())


def test_cli_table_json_and_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    base = [*CLI, "--outcomes", "zombie_share,idle_capacity", "--results", str(tmp_path)]
    res = CliRunner().invoke(app, [*base, "--name", "t"])
    assert res.exit_code == 0, res.output
    words = " ".join(res.stdout.split())
    assert "zombie share of firms, 1995-1998: each mechanism's share" in words
    assert "all on - all off" in words and "strongest pair" in words
    assert all(len(line) <= 80 for line in res.stdout.splitlines())
    assert "16 runs" not in res.stdout and "8 runs ok" in res.stderr
    res = CliRunner().invoke(app, [*base, "--name", "t", "--resume", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["players"] == ["tournament", "soft_budget"] and out["method"] == "exact"
    phis = [r["mean"] for r in out["contributions"] if r["outcome"] == "zombie_share"]
    total = next(r for r in out["totals"] if r["outcome"] == "zombie_share")
    assert math.isclose(sum(phis), total["mean"], abs_tol=1e-12)
    assert all(r["stderr"] is None for r in out["contributions"])  # exact: no sampling error
    res = CliRunner().invoke(app, [*base, "--name", "t", "--resume", "--csv"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0] == "outcome,player,median,lo,hi,mean,stderr"
