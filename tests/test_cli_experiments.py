"""The experiment commands: run --runs, sweep, sensitivity, runs, query, compare from
the store; one-line errors; Ctrl-C prints the command that resumes."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from overcap.cli import app
from tests.test_cli import assert_user_error

SHORT = ["--set", "time.end_year=1997", "--set", "population.firms_start=2000"]
runner = CliRunner()


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args))


def test_run_ensemble_runs_and_query(tmp_path: Path) -> None:
    root = str(tmp_path)
    res = invoke("run", "baseline", "--runs", "3", *SHORT, "--workers", "0", "--results", root)
    assert res.exit_code == 0, res.output
    assert "median [5%, 95%]" in res.stdout and "utilisation" in res.stdout
    assert "experiment ensemble-baseline-" in res.stderr and "3 runs ok, 0 failed" in res.stderr
    name = next(p.name for p in tmp_path.iterdir())
    listing = invoke("runs", "--results", root, "--json")
    assert listing.exit_code == 0, listing.output
    row = json.loads(listing.stdout)[0]
    assert (row["name"], row["ok"], row["missing"], row["kind"]) == (name, 3, 0, "ensemble")
    detail = invoke("runs", name, "--results", root)
    assert detail.exit_code == 0 and "3 ok, 0 failed, 0 missing" in detail.stdout
    q = invoke(
        "query",
        "SELECT run, count(*) AS years FROM economy GROUP BY run ORDER BY run",
        "--results",
        root,
        "--csv",
    )
    assert q.exit_code == 0, q.output
    assert q.stdout.splitlines() == ["run,years", "0,3", "1,3", "2,3"]
    table = invoke(
        "query", "SELECT experiment, status FROM runs", "--name", name, "--results", root
    )
    assert table.exit_code == 0 and "3 rows" in table.stdout


def test_experiment_user_errors(tmp_path: Path) -> None:
    root = str(tmp_path)
    assert invoke("run", "--runs", "1", *SHORT, "--workers", "0", "--results", root, "--name", "a")
    assert_user_error(invoke("query", "SELEC 1", "--results", root), "query:", "syntax")
    assert_user_error(
        invoke("query", "SELECT 1", "--name", "nope", "--results", root), "'nope'", "a"
    )
    assert_user_error(invoke("run", "--name", "x"), "--name goes with --runs N")
    assert_user_error(
        invoke("run", "--runs", "2", *SHORT, "--workers", "0", "--results", root, "--name", "a"),
        "'a' already exists",
        "--resume",
    )
    assert_user_error(
        invoke(
            "run", "--runs", "2", "--workers", "0", "--results", root, "--name", "b", "--resume"
        ),
        "--resume: no experiment 'b'",
    )
    assert not (tmp_path / "b").exists()
    assert_user_error(
        invoke("run", "--runs", "1", "--workers", "0", "--results", root, "--name", "a/b"),
        "--name 'a/b'",
    )
    assert_user_error(
        invoke("sweep", "--grid", "investment.nope=1,2", "--results", root),
        "investment.nope",
        "no field 'nope'",
    )
    assert_user_error(
        invoke("sweep", "--lhs", "investment.visibility=0.9:0.1", "--results", root),
        "LOW < HIGH",
    )
    assert_user_error(invoke("sweep", "--results", root), "--grid")
    assert_user_error(
        invoke("sensitivity", "--params", "investment.visibility", "--results", root),
        "at least two",
    )
    assert_user_error(
        invoke(
            "sensitivity",
            "--params",
            "investment.visibility,provinces.subsidy_base",
            "--outputs",
            "nope",
            "--results",
            root,
        ),
        "unknown output 'nope'",
    )
    assert_user_error(
        invoke(
            "run", "--runs", "2", "--workers", "1", "--scheduler", "tcp://127.0.0.1:1",
            "--results", root,
        ),
        "exclude each other",
    )  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # nothing else was created


def test_ctrl_c_prints_the_command_that_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overcap import experiments

    real = experiments.InProcess.run

    def interrupted(self: Any, payloads: list[dict]) -> Any:
        for i, item in enumerate(real(self, payloads)):
            if i == 1:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(experiments.InProcess, "run", interrupted)
    args = ["sweep", "baseline", "--grid", "investment.visibility=0.2,0.8", "--runs", "2"]
    args += [*SHORT, "--workers", "0", "--batch-size", "1", "--results", str(tmp_path)]
    res = invoke(*args)
    assert res.exit_code == 130, res.output
    assert "interrupted: 1 of 4 runs are recorded" in res.stderr
    command = res.stderr.strip().splitlines()[-1].strip()
    assert command.startswith("overcap sweep baseline --grid investment.visibility=0.2,0.8")
    assert command.endswith("--resume") and "--name sweep-baseline-" in command
    monkeypatch.setattr(experiments.InProcess, "run", real)
    again = invoke(*shlex.split(command)[1:])
    assert again.exit_code == 0, again.output
    assert "(1 of 4 runs already recorded)" in again.stderr
    assert "4 runs ok, 0 failed of 4 (3 this session" in again.stderr


def test_compare_uses_the_store(tmp_path: Path) -> None:
    root = str(tmp_path)
    args = ["compare", "baseline", "market-reform", "--runs", "2", "--years", "1995-1997"]
    args += ["--workers", "0", "--results", root, "--name", "cmp", "--json"]
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {r["scenario"] for r in rows} == {"baseline", "market-reform"}
    # resuming a complete comparison reruns nothing and gives the same table
    again = invoke(*args, "--resume")
    assert again.exit_code == 0 and json.loads(again.stdout) == rows
    assert "0 this session" in again.stderr
