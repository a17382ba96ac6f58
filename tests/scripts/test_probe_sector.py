"""scripts/probe_sector.py: one sector's path, the median over the runs of the seeds
asked for, read from ``ensemble``'s runs; a sector or column not in the table is said
in one line."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from overcap.experiments import ensemble
from overcap.scenario import load_scenario
from tests.scripts import load_script

SHORT = ["--set", "time.end_year=1999", "--set", "population.firms_start=2000"]
ARGS = ["steel", "--from", "1996", "--to", "1998", "--seeds", "1", "2", "--runs", "2"]


def _main(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["probe_sector.py", *args, *SHORT])
    load_script("probe_sector").main()


def test_prints_the_median_over_every_run_of_the_seeds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _main(monkeypatch, [*ARGS, "--cols", "output,margin"])
    out = capsys.readouterr().out
    ov = {"time.end_year": 1999, "population.firms_start": 2000}
    runs = [r for s in (1, 2) for r in ensemble("baseline", 2, s, ov, workers=0)]
    d = pd.concat(r.sectors for r in runs)
    d = d[(d.sector == "steel") & d.year.between(1996, 1998)]
    want = d.groupby("year")[["output", "margin"]].median().round(3)
    assert "median of 2 runs x seeds [1, 2]" in out
    assert want.to_string() in out


def test_a_calibrated_set_takes_the_shipped_sets_place(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--calibration`` runs the out-of-time set, as ``ledger.py SET`` does: the table is
    that set's runs', not the shipped set's."""
    oot = "baseline-holdout-2013-2019"
    _main(monkeypatch, [*ARGS, "--cols", "output", "--calibration", oot])
    out = capsys.readouterr().out
    sc = load_scenario("baseline", [*SHORT[1::2]], calibration=oot)
    runs = [r for s in (1, 2) for r in ensemble(sc, 2, s, workers=0)]
    d = pd.concat(r.sectors for r in runs)
    d = d[(d.sector == "steel") & d.year.between(1996, 1998)]
    want = d.groupby("year")[["output"]].median().round(3)
    assert want.to_string() in out
    _main(monkeypatch, [*ARGS, "--cols", "output"])
    assert want.to_string() not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["nosuch", "--seeds", "1", "--runs", "1"], "sector 'nosuch' is not in the run"),
        ([*ARGS[:5], "--runs", "1", "--cols", "outptu"], "unknown column(s) ['outptu']"),
        ([*ARGS, "--calibration", "/nonexistent/set.json"], "/nonexistent/set.json"),
    ],
)
def test_bad_input_is_one_line(monkeypatch: pytest.MonkeyPatch, args: list[str], says: str) -> None:
    with pytest.raises(SystemExit) as info:
        _main(monkeypatch, args)
    assert says in str(info.value)
