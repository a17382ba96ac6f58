"""Calibration: parameters within range, resumable storage, holdout, provenance."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import overcap
from overcap.calibration import calibrate, completed, knobs
from overcap.evidence import load_facts

TINY = """\
name = "tiny"
inherits = "baseline"
[time]
start_year = 2010
end_year = 2017
spinup_years = 1
[population]
firms_start = 1500
"""


@pytest.fixture()
def tiny(tmp_path: Path) -> str:
    p = tmp_path / "tiny.toml"
    p.write_text(TINY, encoding="utf-8")
    return str(p)


def test_knobs_have_ranges_and_exclude_per_fact_parameters() -> None:
    ks = knobs()
    assert len(ks) >= 20
    for k in ks:
        assert k.lo < k.hi, k
        assert "year" not in k.path.split(".")[-1] or k.integer
    paths = {k.path for k in ks}
    assert "investment.visibility" in paths and "market.normal_utilisation" in paths
    assert not any(p.startswith(("events", "sectors", "time")) for p in paths)


def test_calibration_stays_in_range_and_resumes(tiny: str, tmp_path: Path) -> None:
    journal = tmp_path / "c.journal"
    first = calibrate(
        tiny,
        trials=2,
        runs_per_trial=1,
        storage=journal,
        seed=1,
        params=["investment.visibility", "market.normal_utilisation"],
    )
    assert first["provenance"]["trials_completed"] == 2
    second = calibrate(
        tiny,
        trials=3,
        runs_per_trial=1,
        storage=journal,
        seed=1,
        params=["investment.visibility", "market.normal_utilisation"],
    )
    pv = second["provenance"]
    assert pv["trials_before_this_call"] == 2 and pv["trials_completed"] == 3
    ranges = pv["ranges"]
    for path, value in second["params"].items():
        lo, hi = ranges[path]
        assert lo <= value <= hi
    assert len(pv["facts_sha256"]) == 64 and pv["holdout_ids"]
    assert pv["total_in_sample"] + pv["total_holdout"] == len(load_facts()[0])


def test_robustness_adds_the_share_of_failing_runs(tiny: str) -> None:
    """loss(w) = sum of distances + w x sum of shares of failing runs, in sample only."""
    from overcap.calibration import evaluate, holdout_mask
    from overcap.evidence import check
    from overcap.experiments import ensemble

    facts, _ = load_facts()
    held = holdout_mask(facts, (2016, 2019))
    plain = evaluate(tiny, {}, facts, held, 2, 4)
    robust = evaluate(tiny, {}, facts, held, 2, 4, robustness=2.5)
    # evaluate runs the scenario without its calibrated set (the search supplies values)
    sc = overcap.load_scenario(tiny, calibrated=False)
    table = check(ensemble(sc, runs=2, seed=4, workers=0), facts)
    inside = ~np.array(held)
    fail_share = 1.0 - table["share_passing"].to_numpy(dtype=float)
    assert plain["loss"] == pytest.approx(table["distance"].to_numpy()[inside].sum())
    assert robust["loss"] == pytest.approx(plain["loss"] + 2.5 * fail_share[inside].sum())
    assert robust["loss_holdout"] == pytest.approx(
        plain["loss_holdout"] + 2.5 * fail_share[~inside].sum()
    )
    assert fail_share[inside].sum() > 0  # the tiny run fails some facts: the term is live
    with pytest.raises(ValueError, match="robustness"):
        calibrate(tiny, trials=1, runs_per_trial=1, robustness=-1.0)


def _calibrate_tiny(tiny: str, journal: Path) -> list[str]:
    """`overcap calibrate` on the tiny scenario, one replicate a trial, one parameter."""
    return [
        sys.executable,
        "-m",
        "overcap.cli",
        "calibrate",
        tiny,
        "--runs-per-trial",
        "1",
        "--storage",
        str(journal),
        "--params",
        "investment.visibility",
    ]


def test_interrupted_calibration_resumes(tiny: str, tmp_path: Path) -> None:
    """Kill `overcap calibrate` in the middle of a run; the same command resumes."""
    journal = tmp_path / "k.journal"
    exe = [*_calibrate_tiny(tiny, journal), "--seed", "3"]
    proc = subprocess.Popen(
        [*exe, "--trials", "200"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    name = f"{Path(tiny).stem}-seed3-k1"
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            if journal.exists() and completed(name, journal) >= 2:
                break
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done_before = completed(name, journal)
    assert 2 <= done_before < 200
    target = done_before + 1
    res = subprocess.run(
        [*exe, "--trials", str(target), "--out", str(tmp_path / "k.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    info = json.loads((tmp_path / "k.json").read_text())
    assert info["provenance"]["trials_before_this_call"] == done_before
    assert info["provenance"]["trials_completed"] == target


def test_calibration_outlives_the_shell_that_started_it(tiny: str, tmp_path: Path) -> None:
    """`overcap calibrate ... &` from a shell that exits at once (nohup, a closed
    terminal) still runs every trial: with one worker the driver is the worker, and its
    parent changing is not a sign that the driver died."""
    journal = tmp_path / "n.journal"
    out = tmp_path / "n.json"
    cmd = [*_calibrate_tiny(tiny, journal), "--trials", "6", "--out", str(out)]
    # the shell starts the calibration, waits until its first trial is recorded, and exits
    line = (
        " ".join(f"'{c}'" for c in cmd)
        + f" >/dev/null 2>&1 & while [ ! -s '{journal}' ]; do sleep 0.2; done; sleep 1"
    )
    subprocess.run(["sh", "-c", line], check=True, timeout=120)
    deadline = time.time() + 240
    while time.time() < deadline and not out.exists():
        time.sleep(0.5)
    assert out.exists(), "the calibration stopped when its shell exited"
    assert json.loads(out.read_text())["provenance"]["trials_completed"] == 6


def test_scenarios_load_their_calibration(tmp_path: Path) -> None:
    cal = tmp_path / "mine.json"
    cal.write_text(
        json.dumps(
            {"params": {"investment.visibility": 0.33}, "provenance": {"trials_completed": 7}}
        )
    )
    toml = tmp_path / "c.toml"
    toml.write_text(f'inherits = "baseline"\ncalibration = "{cal}"\n', encoding="utf-8")
    sc = overcap.load_scenario(str(toml))
    assert sc.investment.visibility == 0.33
    assert sc.calibrated is not None and sc.calibrated["provenance"]["trials_completed"] == 7
    # the scenario's own values and the user's overrides win over calibrated ones
    over = overcap.load_scenario(str(toml), {"investment.visibility": 0.5})
    assert over.investment.visibility == 0.5
    raw = overcap.load_scenario(str(toml), calibrated=False)
    assert raw.investment.visibility != 0.33


def test_bad_calibration_file_is_a_clear_error(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('inherits = "baseline"\ncalibration = "/nonexistent/x.json"\n')
    with pytest.raises(overcap.ScenarioError, match="calibration"):
        overcap.load_scenario(str(toml))


def test_defaults_lie_inside_the_calibration_ranges() -> None:
    sc = overcap.load_scenario("baseline", calibrated=False)
    for k in knobs(sc):
        obj: object = sc
        for part in k.path.split("."):
            obj = getattr(obj, part)
        assert k.lo <= float(obj) <= k.hi, (k.path, obj, k.lo, k.hi)


def test_a_subset_is_searched_with_the_rest_held_at_the_warm_start(
    tiny: str, tmp_path: Path
) -> None:
    """--params with --start-from: the parameters not searched keep the warm start's
    values in every trial and in the result (a stage that adds one parameter does not
    throw away the earlier stages' fit)."""
    from overcap.calibration import HOLDOUT_DEFAULT, evaluate, holdout_mask

    start = {
        "investment.visibility": 0.5,
        "market.normal_utilisation": 0.8,
        "provinces.subsidy_base": 0.3,
    }
    out = calibrate(
        tiny,
        trials=1,
        runs_per_trial=1,
        storage=tmp_path / "s.journal",
        seed=1,
        params=["investment.visibility"],
        start_from=start,
    )
    assert out["params"] == start  # one trial: the warm start itself, the rest held
    pv = out["provenance"]
    assert pv["searched"] == ["investment.visibility"]
    assert pv["held_at_warm_start"] == ["market.normal_utilisation", "provinces.subsidy_base"]
    facts, _ = load_facts(None)
    held = holdout_mask(facts, HOLDOUT_DEFAULT)
    with_rest = evaluate(tiny, start, facts, held, 1, 1)["loss"]
    without = evaluate(tiny, {"investment.visibility": 0.5}, facts, held, 1, 1)["loss"]
    assert pv["loss_in_sample"] == pytest.approx(with_rest)
    assert with_rest != pytest.approx(without)  # the held values did matter


def test_out_of_time_holdout_is_every_fact_ending_in_the_block_or_later() -> None:
    """--holdout 2013-2019 holds out exactly the facts whose window ends after 2012: a
    window that straddles 2013 (F56, a mean over 2005-2013) is held out, since the fit
    must not see 2013, and so are facts about 2023."""
    from overcap.calibration import holdout_mask

    facts, _ = load_facts()
    held = holdout_mask(facts, (2013, 2019))
    out = {f.id for f, h in zip(facts, held, strict=True) if h}
    assert out == {f.id for f in facts if f.year_to > 2012}
    assert {"F56", "F28", "F31", "F71"} <= out
    assert not out & {"F27", "F05", "F01", "F45", "F44"}  # 1995-2007, ..., 2012
    assert 0 < len(out) < len(facts)
    assert holdout_mask(facts, None) == [False] * len(facts)


def test_recorded_scores_keep_seeds_of_the_same_setup_only(tmp_path: Path) -> None:
    from overcap.calibration import record_score, score_entry

    entry = score_entry([True, False, True, True], [False, False, True, True])
    assert entry == {"all": [3, 4], "in_sample": [1, 2], "out_of_time": [2, 2]}
    p = tmp_path / "scores.json"
    setup = {
        "scenario": "baseline",
        "runs": 10,
        "facts_sha256": "a" * 64,
        "calibration_sha256": "b" * 64,
        "holdout": (2013, 2019),
        "fit_seed": 5,
    }
    record_score(p, seed=1, entry=entry, **setup)
    doc = record_score(p, seed=0, entry=entry, **setup)
    assert list(doc["seeds"]) == ["0", "1"] and doc["holdout_years"] == [2013, 2019]
    assert doc["seeds"]["0"]["out_of_stream"]
    assert not record_score(p, seed=5, entry=entry, **setup)["seeds"]["5"]["out_of_stream"]
    # another facts file: the other seeds' scores are not comparable and go
    other = {**setup, "facts_sha256": "c" * 64}
    doc = record_score(p, seed=2, entry=entry, **other)
    assert list(doc["seeds"]) == ["2"]
    assert json.loads(p.read_text())["seeds"]["2"]["in_sample"] == [1, 2]


def test_score_block_is_generated_and_replaced() -> None:
    from overcap.calibration import SCORE_BEGIN, SCORE_END, replace_score_block, score_block

    doc = {
        "scenario": "baseline",
        "runs": 10,
        "holdout_years": [2013, 2019],
        "fit_seed": 5,
        "seeds": {
            "0": {
                "all": [30, 71],
                "in_sample": [10, 20],
                "out_of_time": [20, 51],
                "out_of_stream": True,
            },
            "5": {
                "all": [40, 71],
                "in_sample": [15, 20],
                "out_of_time": [25, 51],
                "out_of_stream": False,
            },
        },
    }
    block = score_block(doc)
    assert block.startswith(SCORE_BEGIN) and block.endswith(SCORE_END)
    assert "| 0 | out of stream | 30 / 71 | 10 / 20 | 20 / 51 |" in block
    assert "| 5 | fitted on | 40 / 71 | 15 / 20 | 25 / 51 |" in block
    assert "--holdout 2013-2019" in block
    text = f"intro\n{SCORE_BEGIN}\nold\n{SCORE_END}\nrest\n"
    assert replace_score_block(text, block) == f"intro\n{block}\nrest\n"
    with pytest.raises(ValueError, match="score:begin"):
        replace_score_block("no block here", block)


def test_readme_score_block_is_the_generated_one() -> None:
    """README's quoted score is generated from the stored scores in the package (run
    scripts/readme_score.py after overcap check --record-score)."""
    from overcap.calibration import readme_score_block, score_block
    from overcap.scenario import calibration_dir

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    doc = json.loads((calibration_dir() / "baseline-score.json").read_text(encoding="utf-8"))
    assert readme_score_block(readme) == score_block(doc)
    assert doc["scenario"] == "baseline" and doc["seeds"]
