"""The command line: user errors exit 2 with one line on stderr; run writes its results
without destroying an earlier run; show, scenarios, bench and --version work."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

import overcap
from overcap.cli import app, parameter_rows

# typer's CliRunner (typer >= 0.2x vendors click) keeps stderr apart from stdout:
# result.stdout, result.stderr, and result.output (both, interleaved).
runner = CliRunner()

SMALL = [
    "--set",
    "time.start_year=2010",
    "--set",
    "time.end_year=2012",
    "--set",
    "population.firms_start=2000",
]
OUTPUTS = (
    "sectors.parquet",
    "provinces.parquet",
    "economy.parquet",
    "trade.parquet",
    "run.json",
)


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args))


def assert_user_error(res: Result, *fragments: str) -> str:
    """Exit code 2, one 'error:' line on stderr naming the fragments, no traceback."""
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    # a typer.Exit(2), not an escaped exception
    assert isinstance(res.exception, SystemExit)
    assert "Traceback" not in res.output
    err = res.stderr.strip()
    assert err.startswith("error:"), err
    assert "\n" not in err, f"not one line: {err!r}"
    assert res.stdout == ""
    for frag in fragments:
        assert frag in err, (frag, err)
    return err


# --------------------------------------------------------------------------- user errors


def test_run_misspelt_scenario() -> None:
    assert_user_error(invoke("run", "basline"), "'basline'", "did you mean 'baseline'")


def test_run_out_of_range_override() -> None:
    assert_user_error(
        invoke("run", "--set", "investment.visibility=2"),
        "investment.visibility",
        "allowed: 0.0 to 1.0",
    )


def test_run_sector_override_out_of_range_keeps_brackets() -> None:
    # the message holds "[0.05, 0.1]": it must reach the user verbatim (not eaten as markup)
    err = assert_user_error(
        invoke("run", "--set", "sectors.steel.learning_rate=0.9"),
        "sectors.steel.learning_rate",
    )
    assert "(data/sectors.csv)" in err and "[" in err and "]" in err


def test_show_bad_override_exits_2() -> None:
    assert_user_error(invoke("show", "baseline", "--set", "nosection.x=1"), "'nosection'")


def test_run_missing_file_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    missing = str(tmp_path / "nope.toml")
    assert_user_error(invoke("run", missing, "--out", str(tmp_path / "r")), missing)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("key", ["investment.a[/b]", "investment.a[bold]b"])
def test_error_text_is_not_markup(key: str) -> None:
    assert_user_error(invoke("run", "--set", f"{key}=1"), key)


# --------------------------------------------------------------------------- show, scenarios


def test_show_lists_parameters() -> None:
    res = invoke("show", "baseline")
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.stdout.splitlines() if "investment.visibility" in ln)
    value = overcap.load_scenario("baseline").investment.visibility
    assert str(value)[:6] in line and "share" in line
    # a calibrated value says so, and the calibration's provenance is printed
    assert "calibrated" in line
    assert "calibrated values from" in res.stdout
    assert "steel" in res.stdout


def test_show_lists_every_parameter_unbroken() -> None:
    res = invoke("show", "baseline")
    assert res.exit_code == 0
    paths = [row[0] for row in parameter_rows(overcap.load_scenario("baseline"))]
    assert len(paths) > 50
    missing = [p for p in paths if p not in res.stdout]
    assert missing == []


def test_show_lists_the_sector_lists() -> None:
    """The sectors the stimulus and the campaigns reach are parameters a user can see (and
    find by --search), not only in --json."""
    res = invoke("show", "baseline", "--search", "campaign")
    assert res.exit_code == 0, res.output
    rows = {r[0]: r for r in parameter_rows(overcap.load_scenario("baseline"))}
    assert rows["centre.campaign_sectors"][1].startswith("steel, coal")
    assert "appliances" not in rows["centre.campaign_sectors"][1]
    assert rows["centre.construction_sectors"][3] == "sectors"
    assert "centre.campaign_sectors" in res.stdout


def test_show_prints_anchors_on_request_and_finds_them() -> None:
    """--anchors prints what a value rests on; --search also reads the anchors (a user
    looking for a paper finds the parameters it anchors), and without --anchors the
    meaning stands alone."""
    res = invoke("show", "baseline", "--search", "Griliches", "--anchors")
    assert res.exit_code == 0, res.output
    assert "trade.presence_rate" in res.stdout and "anchor:" in res.stdout
    plain = invoke("show", "baseline", "--search", "Griliches")
    assert plain.exit_code == 0, plain.output
    assert "trade.presence_rate" in plain.stdout and "anchor:" not in plain.stdout
    rows = {r[0]: r for r in parameter_rows(overcap.load_scenario("baseline"), anchors=True)}
    assert "Broda and Weinstein 2006" in rows["market.export_elasticity"][5]
    assert "anchor:" not in parameter_rows(overcap.load_scenario("baseline"))[0][5]


def test_show_json() -> None:
    res = invoke("show", "baseline", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["name"] == "baseline"
    assert (
        data["investment"]["visibility"] == overcap.load_scenario("baseline").investment.visibility
    )
    assert data == overcap.load_scenario("baseline").to_dict()


def test_show_json_applies_overrides() -> None:
    res = invoke("show", "baseline", "--json", "--set", "investment.visibility=0.3")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["investment"]["visibility"] == 0.3


def test_scenarios_lists_baseline() -> None:
    res = invoke("scenarios")
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.stdout.splitlines() if "baseline" in ln)
    assert "1995-2030" in line
    assert set(overcap.available_scenarios()) >= {"baseline"}


def test_version() -> None:
    res = invoke("--version")
    assert res.exit_code == 0
    assert res.stdout.strip() == f"overcap {overcap.__version__}"


# Every command that shows a progress bar takes --quiet (-q), which turns it off
# (it is also off in CI and when stderr is not a terminal).
LONG_COMMANDS = (
    "run",
    "compare",
    "score",
    "calibrate",
    "report",
    "sweep",
    "sensitivity",
    "attribute",
    "discover",
    "diagnose",
)


@pytest.mark.parametrize("name", LONG_COMMANDS)
def test_long_commands_take_quiet(name: str) -> None:
    import typer.main

    group = typer.main.get_command(app)
    cmd = group.commands[name]  # type: ignore[attr-defined]
    opts = {o for p in cmd.params for o in p.opts}
    assert {"--quiet", "-q"} <= opts, name


# --------------------------------------------------------------------------- run


def _run(out: Path, *extra: str) -> Result:
    res = invoke("run", "baseline", *SMALL, "--out", str(out), *extra)
    assert res.exit_code == 0, (res.output, res.exception)
    return res


def _snapshot(d: Path) -> dict[str, tuple[int, int, bytes]]:
    return {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(d.iterdir())
    }


def test_run_writes_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r"
    res = _run(out)
    assert str(out) in res.stdout.replace("\n", "")
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert {"scenario", "seed", "version", "parameters"} <= set(meta)
    assert meta["scenario"] == "baseline"
    assert meta["seed"] == 0
    assert meta["version"] == overcap.__version__
    assert meta["parameters"]["time"] == {"start_year": 2010, "end_year": 2012, "spinup_years": 5}
    assert meta["parameters"]["population"]["firms_start"] == 2000
    eco = pd.read_parquet(out / "economy.parquet")
    assert sorted(eco["year"]) == [2010, 2011, 2012]
    for name in ("sectors.parquet", "provinces.parquet"):
        frame = pd.read_parquet(out / name)
        assert len(frame) > 0
        assert set(frame["year"]) == {2010, 2011, 2012}
    # nothing written to the working directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_run_never_overwrites_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r"
    _run(out)
    (out / "mine.txt").write_text("keep me", encoding="utf-8")
    before = _snapshot(out)

    # again, without --overwrite: a new folder r-2, r untouched
    res = _run(out)
    second = tmp_path / "r-2"
    assert str(second) in res.stdout.replace("\n", "")
    assert sorted(p.name for p in second.iterdir()) == sorted(OUTPUTS)
    assert _snapshot(out) == before

    # a third time: r-3
    _run(out)
    assert (tmp_path / "r-3" / "run.json").exists()
    assert _snapshot(out) == before

    # with --overwrite (and another seed): r itself is replaced
    _run(out, "--overwrite", "--seed", "1")
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["seed"] == 1
    assert _snapshot(out)["run.json"][2] != before["run.json"][2]
    # the other runs are left alone
    assert json.loads((second / "run.json").read_text(encoding="utf-8"))["seed"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "r-2", "r-3"]


def test_run_into_empty_folder_uses_it(tmp_path: Path) -> None:
    out = tmp_path / "r"
    out.mkdir()
    _run(out)
    assert (out / "run.json").exists()
    assert not (tmp_path / "r-2").exists()


# --------------------------------------------------------------------------- bench


def test_bench_json() -> None:
    res = invoke("bench", "--firms", "2000", "--years", "2", "--json")
    assert res.exit_code == 0, (res.output, res.exception)
    data = json.loads(res.stdout)
    assert data["firms"] == 2000
    assert data["years"] == 2
    assert data["firm_years"] > 0
    assert data["firm_years_per_second"] > 0
    assert data["peak_memory_mb"] > 0
    assert data["version"] == overcap.__version__


def test_bench_times_an_override_and_rejects_a_bad_one() -> None:
    """--set reaches the benchmarked scenario (a rule off by default, on); a bad value is a
    clear error naming the parameter, not a traceback."""
    from overcap.bench import bench

    on = bench(500, 2, overrides={"investment.fundamental_weight": 1.0})
    assert on.firm_years > 0 and on.overrides == {"investment.fundamental_weight": 1.0}
    res = invoke(
        "bench",
        "--firms",
        "500",
        "--years",
        "2",
        "--json",
        "--set",
        "investment.fundamental_weight=1",
    )
    assert res.exit_code == 0, (res.output, res.exception)
    assert json.loads(res.stdout)["overrides"] == {"investment.fundamental_weight": 1.0}
    bad = invoke(
        "bench", "--firms", "500", "--years", "2", "--set", "investment.fundamental_weight=7"
    )
    assert bad.exit_code != 0
    assert "Traceback" not in bad.output
    assert "fundamental_weight" in bad.output


def test_bench_rejects_zero_firms() -> None:
    res = invoke("bench", "--firms", "0", "--json")
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert "--firms" in res.output


def test_regime_path_spells() -> None:
    import pandas as pd

    from overcap.cli import _regime_path

    eco = pd.DataFrame(
        {
            "year": [2000, 2001, 2002, 2003],
            "regime": ["loosen", "loosen", "chaos", "chaos"],
            "regime_scripted": [True, True, False, False],
        }
    )
    assert (
        _regime_path(eco) == "policy cycle (* scripted): 2000-2001 放 loosen*, 2002-2003 亂 chaos"
    )


def test_check_puts_another_calibrated_set_in_place(tmp_path: Path) -> None:
    """`overcap check --calibration SET` scores the set it names, as a scenario file that
    names it does; an unknown set is one line that lists the allowed ones."""
    name = "baseline-holdout-2013-2019"
    toml = tmp_path / "held.toml"
    toml.write_text(f'inherits = "baseline"\ncalibration = "{name}"\n', encoding="utf-8")
    args = ["--runs", "1", "--workers", "0", "--json", *SMALL]
    put = invoke("check", "baseline", "--calibration", name, *args)
    named = invoke("check", str(toml), *args)
    shipped = invoke("check", "baseline", *args)
    assert put.exit_code == named.exit_code == shipped.exit_code == 0, put.output
    a, b, c = (json.loads(r.stdout) for r in (put, named, shipped))
    assert (a["calibration"], b["calibration"], c["calibration"]) == (name, name, "baseline")
    values = [[f["value"] for f in d["facts"]] for d in (a, b, c)]
    assert values[0] == values[1] != values[2]
    none = json.loads(invoke("check", "--calibration", "none", *args).stdout)
    assert none["calibration"] is None and none["stored_scores"] is None
    assert_user_error(
        invoke("check", "--calibration", "nope", *args), "calibration 'nope'", f"{name}, none"
    )
