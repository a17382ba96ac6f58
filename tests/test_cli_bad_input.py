"""Bad input at the command line (issue 16): each is one line on stderr naming the flag
or field and what is allowed, exit 2, no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from overcap.cli import app
from tests.test_cli import assert_user_error

runner = CliRunner()
SHORT = ["--set", "time.end_year=1997", "--set", "population.firms_start=2000"]


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    f = tmp_path / "afile"
    f.write_text("not a folder\n")
    return f


def test_out_that_is_a_file(a_file: Path) -> None:
    assert_user_error(invoke("run", *SHORT, "--out", str(a_file)), "--out", "is a file")
    assert_user_error(invoke("run", *SHORT, "--out", str(a_file / "sub")), "--out", "is a file")
    assert a_file.read_text() == "not a folder\n"


@pytest.mark.parametrize("command", ["run", "sweep", "sensitivity", "compare"])
def test_results_that_is_a_file(a_file: Path, command: str) -> None:
    extra = {
        "run": ["baseline", "--runs", "1"],
        "sweep": ["baseline", "--grid", "investment.visibility=0.2,0.8"],
        "sensitivity": ["baseline", "--params", "investment.visibility", "--samples", "2"],
        "compare": ["baseline", "market-reform"],
    }[command]
    fixed = [] if command == "compare" else SHORT  # compare has no --set
    res = invoke(command, *extra, *fixed, "--workers", "0", "--results", str(a_file))
    assert_user_error(res, "--results", "is a file")


@pytest.mark.skipif(hasattr(__import__("os"), "geteuid") and __import__("os").geteuid() == 0,
                    reason="root can write anywhere")  # fmt: skip
def test_out_that_is_not_writable(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert_user_error(invoke("run", *SHORT, "--out", str(ro / "x")), "--out", "not writable")
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--seed", "-1"],
        ["run", "--runs", "2", "--seed", "-1"],
        ["sweep", "baseline", "--grid", "investment.visibility=0.2", "--seed", "-1"],
        ["bench", "--seed", "-1"],
    ],
)
def test_negative_seed_is_refused(args: list[str]) -> None:
    res = invoke(*args, *SHORT)
    assert res.exit_code == 2, res.output
    assert "--seed" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("trade.rare_earth_intensity={autos=7}", "rare_earth_intensity.autos"),
        ("centre.growth_targets={2000=nan}", "growth_targets.2000"),
        ("centre.strategic={steal=[[2000, 2010]]}", "centre.strategic"),
        ("centre.strategic={steel=[[1800, 2000]]}", "strategic.steel"),
        ("events.x={kind='stimulus', years=[1800, 1801]}", "events.x"),
        ("investment.visibility=nan", "investment.visibility"),
    ],
)
def test_nonsense_in_tables_is_refused(override: str, field: str) -> None:
    assert_user_error(invoke("run", *SHORT, "--set", override), field, "allowed")


def test_an_unwritable_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root every folder is writable: the permission check is made to say no."""
    import overcap.cli

    monkeypatch.setattr(overcap.cli.os, "access", lambda *a, **k: False)
    assert_user_error(invoke("run", *SHORT, "--out", str(tmp_path / "x")), "not writable")
    res = invoke("run", "--runs", "1", *SHORT, "--workers", "0", "--results", str(tmp_path / "r"))
    assert_user_error(res, "--results", "not writable")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
