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
from overcap.calibration import (
    CAVEAT,
    SCORE_BEGIN,
    SCORE_END,
    calibrate,
    completed,
    holdout_mask,
    knobs,
    load_scores,
    replace_score_block,
    replacement_excess,
    replacement_ratio,
    replacement_rules_off,
    replacement_starts,
    score_block,
    score_entry,
    score_parts,
    scores_file,
    sha256_of,
    stale,
    unused_seeds,
)
from overcap.evidence import load_facts
from overcap.scenario import calibration_dir
from overcap.summary import internal_ranges

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
    assert not any(p.startswith(("events", "time")) for p in paths)
    # sector parameters: only the listed ones (Armington base shares, variable-cost
    # shares), inside data/sectors.csv's documented range, each with its meaning
    from overcap.calibration import SECTOR_KNOB_MEANING, SECTOR_KNOBS
    from overcap.scenario import sector_table

    listed = {f"sectors.{s}.{n}" for s, n in SECTOR_KNOBS}
    table = sector_table()
    for k in ks:
        if k.path.startswith("sectors."):
            assert k.path in listed, k.path
            _, sector, name = k.path.split(".")
            assert (k.lo, k.hi) == table[sector][name][1:], k
            assert k.meaning == SECTOR_KNOB_MEANING[name][1], k
    assert listed <= paths
    assert "sectors.steel.vc_share" in listed


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


def test_shrinkage_pulls_toward_the_documented_values(tiny: str) -> None:
    """loss(lambda) = loss(0) + lambda sum ((theta - theta0) / (hi - lo))^2 over the set's
    calibratable parameters, theta0 their value in the uncalibrated scenario."""
    from overcap.calibration import evaluate, holdout_mask, knobs, shrinkage_penalty

    ks = {k.path: k for k in knobs()}
    vis, dam = ks["investment.visibility"], ks["investment.trend_damping"]
    base = overcap.load_scenario("baseline", calibrated=False)
    assert vis.prior == base.investment.visibility and dam.prior == 1.0
    from overcap.scenario import sector_table

    assert (
        ks["sectors.solar_pv.export_share"].prior == sector_table()["solar_pv"]["export_share"][0]
    )
    at_prior = {"investment.visibility": vis.prior, "investment.trend_damping": dam.prior}
    assert shrinkage_penalty(at_prior, list(ks.values()), 0.1) == 0.0
    moved = {
        "investment.visibility": vis.prior + 0.5 * (vis.hi - vis.lo),
        "investment.trend_damping": dam.lo,
    }
    want = 0.1 * (0.25 + ((dam.lo - 1.0) / (dam.hi - dam.lo)) ** 2)
    with_other = {**moved, "not.a.knob": 99.0}  # what is not calibratable is not shrunk
    assert shrinkage_penalty(with_other, list(ks.values()), 0.1) == pytest.approx(want)
    assert shrinkage_penalty(moved, list(ks.values()), 0.0) == 0.0
    facts, _ = load_facts()
    held = holdout_mask(facts, (2016, 2019))
    plain = evaluate(tiny, moved, facts, held, 1, 4)
    shrunk = evaluate(tiny, moved, facts, held, 1, 4, shrinkage=0.1)
    assert shrunk["loss"] == pytest.approx(plain["loss"] + want)
    assert shrunk["shrinkage_penalty"] == pytest.approx(want) and plain["shrinkage_penalty"] == 0
    assert shrunk["loss_holdout"] == plain["loss_holdout"]  # the penalty is not a fact
    with pytest.raises(ValueError, match="shrinkage"):
        calibrate(tiny, trials=1, runs_per_trial=1, shrinkage=-1.0)


def test_a_study_with_a_holdout_stops_its_runs_before_it(tiny: str) -> None:
    """Stopping the runs in the year before the holdout leaves the in-sample loss exactly
    as the full runs give it (the same run to that year), and evaluates no held-out fact;
    an in-sample fact the runs would not reach is a clear error."""
    from overcap.calibration import evaluate, holdout_mask

    facts, _ = load_facts()
    held = holdout_mask(facts, (2013, 2019))
    full = evaluate(tiny, {}, facts, held, 2, 4, plausibility=1.0, until=2012)
    short = evaluate(tiny, {}, facts, held, 2, 4, plausibility=1.0, until=2012, stop=2012)
    for key in ("loss", "implausibility", "passed_in", "total_in", "total_out"):
        assert short[key] == full[key], key
    assert full["loss_holdout"] is not None and full["passed_out"] is not None
    assert short["loss_holdout"] is None and short["passed_out"] is None
    with pytest.raises(ValueError, match="in sample but ends after the runs' last year 2010"):
        evaluate(tiny, {}, facts, held, 1, 4, stop=2010)


def test_plausibility_seeds_add_each_seeds_implausibility(tiny: str) -> None:
    """With further seeds the implausibility is the sum of each seed's, the study's own
    first; the facts' loss is the study seed's alone."""
    from overcap.calibration import evaluate, holdout_mask

    facts, _ = load_facts()
    held = holdout_mask(facts, (2016, 2019))
    # a run that leaves the ranges: zombies kept alive, no exit
    bad = {"exit.rescue_soe": 0.999, "exit.rescue_private": 0.999}
    own = evaluate(tiny, bad, facts, held, 2, 4, plausibility=1.0)
    other = evaluate(tiny, bad, facts, held, 2, 9, plausibility=1.0)
    both = evaluate(tiny, bad, facts, held, 2, 4, plausibility=1.0, plausibility_seeds=(9,))
    assert own["implausibility"] > 0 and other["implausibility"] > 0
    assert both["implausibility"] == pytest.approx(own["implausibility"] + other["implausibility"])
    assert both["loss"] - both["implausibility"] == pytest.approx(
        own["loss"] - own["implausibility"]
    )
    with pytest.raises(ValueError, match="--plausibility-seeds: 1; allowed"):
        calibrate(tiny, trials=1, runs_per_trial=1, seed=1, plausibility_seeds=[1])


def test_a_plausibility_margin_only_adds_implausibility(tiny: str) -> None:
    """A margin moves the ranges' bounds inward: the implausibility can only grow with it,
    and the facts' part of the loss is the same; a margin outside [0, 1) is refused."""
    from overcap.calibration import evaluate, holdout_mask

    facts, _ = load_facts()
    held = holdout_mask(facts, (2016, 2019))
    bad = {"exit.rescue_soe": 0.999, "exit.rescue_private": 0.999}
    plain = evaluate(tiny, bad, facts, held, 2, 4, plausibility=1.0)
    tight = evaluate(tiny, bad, facts, held, 2, 4, plausibility=1.0, plausibility_margin=0.5)
    assert tight["implausibility"] > plain["implausibility"] > 0
    assert tight["loss"] - tight["implausibility"] == pytest.approx(
        plain["loss"] - plain["implausibility"]
    )
    for bad_margin in (-0.1, 1.0):
        with pytest.raises(ValueError, match="--plausibility-margin"):
            calibrate(
                tiny, trials=1, runs_per_trial=1, plausibility=1.0, plausibility_margin=bad_margin
            )
    # a margin without the term it moves would be recorded and do nothing
    with pytest.raises(ValueError, match="allowed: with --plausibility above 0"):
        calibrate(tiny, trials=1, runs_per_trial=1, plausibility_margin=0.1)


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


def test_another_set_or_none_takes_the_named_sets_place(tmp_path: Path) -> None:
    """``load_scenario(calibration=...)``: a file, a packaged set's name or none in place
    of the set the scenario names; a parameter the set lacks keeps its default."""
    from overcap.scenario import calibration_dir

    cal = tmp_path / "mine.json"
    cal.write_text(json.dumps({"params": {"investment.visibility": 0.33}}))
    shipped = overcap.load_scenario("baseline")
    default = overcap.load_scenario("baseline", calibrated=False)
    assert shipped.market.price_adjustment != default.market.price_adjustment
    mine = overcap.load_scenario("baseline", calibration=str(cal))
    assert mine.investment.visibility == 0.33
    assert mine.calibrated is not None and mine.calibrated["file"] == str(cal)
    assert mine.market.price_adjustment == default.market.price_adjustment
    name = "baseline-holdout-2013-2019"
    params = json.loads((calibration_dir() / f"{name}.json").read_text())["params"]
    held = overcap.load_scenario("baseline", calibration=name)
    assert held.market.price_adjustment == params["market.price_adjustment"]
    assert held.market.price_adjustment != shipped.market.price_adjustment
    # the user's overrides still win over the set put in place
    over = overcap.load_scenario("baseline", {"market.price_adjustment": 0.5}, calibration=name)
    assert over.market.price_adjustment == 0.5
    none = overcap.load_scenario("baseline", calibration="none")
    assert none.calibrated is None and none == default
    # a scenario file that says "none" (the word the error lists) names no set either
    toml = tmp_path / "none.toml"
    toml.write_text('inherits = "baseline"\ncalibration = "none"\n', encoding="utf-8")
    assert overcap.load_scenario(str(toml)).calibrated is None
    with pytest.raises(overcap.ScenarioError, match=f"allowed: baseline, {name}, none"):
        overcap.load_scenario("baseline", calibration="nope")
    with pytest.raises(overcap.ScenarioError, match="not in a scenario already loaded"):
        overcap.load_scenario(shipped, calibration=name)


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
            obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
        assert k.lo <= float(obj) <= k.hi, (k.path, obj, k.lo, k.hi)  # type: ignore[arg-type]


def test_every_calibratable_parameter_names_its_anchor() -> None:
    """Every knob of the scenario's schema names the paper or data its value or range
    rests on (sector parameters are anchored in data/sectors.csv's source_ids)."""
    from pydantic import BaseModel

    from overcap.scenario import Scenario, field_extra

    for k in knobs():
        if k.path.startswith("sectors."):
            continue
        model: type[BaseModel] = Scenario
        parts = k.path.split(".")
        for part in parts[:-1]:
            sub = model.model_fields[part].annotation
            assert isinstance(sub, type) and issubclass(sub, BaseModel), k.path
            model = sub
        anchor = field_extra(model.model_fields[parts[-1]]).get("anchor")
        assert isinstance(anchor, str) and anchor.strip(), f"{k.path} names no anchor"


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
    assert pv["plausibility"] == 0 and pv["internal_ranges"] is None  # no ranges weighed

    facts, _ = load_facts(None)
    held = holdout_mask(facts, HOLDOUT_DEFAULT)
    with_rest = evaluate(tiny, start, facts, held, 1, 1)["loss"]
    without = evaluate(tiny, {"investment.visibility": 0.5}, facts, held, 1, 1)["loss"]
    assert pv["loss_in_sample"] == pytest.approx(with_rest)
    assert with_rest != pytest.approx(without)  # the held values did matter


def test_a_set_fitted_under_the_internal_ranges_records_them(tiny: str, tmp_path: Path) -> None:
    """With the plausibility term on, the provenance holds the ranges it read
    (summary.internal_ranges), steel's two export windows among them, as plain JSON."""
    out = calibrate(
        tiny,
        trials=1,
        runs_per_trial=1,
        storage=tmp_path / "s.journal",
        seed=1,
        params=["investment.visibility"],
        plausibility=1.0,
    )
    ranges = json.loads(json.dumps(out["provenance"]["internal_ranges"]))
    assert ranges == internal_ranges()
    assert ranges["export_share"]["steel_2010_2012"] == {
        "sector": "steel",
        "years": [2010, 2012],
        "low": 0.047,
        "high": 0.107,
    }


def test_cmaes_searches_near_the_warm_start_and_tpe_does_not(tiny: str, tmp_path: Path) -> None:
    """--sampler cmaes centres its search on the warm start with a step of sigma0 of each
    range: after the warm start itself, its trials stay within a few steps of it, where
    TPE's first trials (random) spread over the ranges."""
    import optuna

    params = ["investment.visibility", "provinces.subsidy_base", "market.price_adjustment"]
    ks = {k.path: k for k in knobs() if k.path in params}
    start = {p: ks[p].lo + 0.8 * (ks[p].hi - ks[p].lo) for p in params}
    spread = {}
    for sampler in ("cmaes", "tpe"):
        journal = tmp_path / f"{sampler}.journal"
        out = calibrate(
            tiny,
            trials=7,
            runs_per_trial=1,
            storage=journal,
            seed=3,
            params=params,
            start_from=start,
            sampler=sampler,
            sigma0=0.02,
        )
        pv = out["provenance"]
        assert pv["sampler"] == sampler
        storage = optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(journal))
        )
        study = optuna.load_study(study_name=pv["study"], storage=storage)
        trials = sorted(study.trials, key=lambda t: t.number)
        assert trials[0].params == pytest.approx(start)  # the warm start first
        spread[sampler] = max(
            abs(t.params[p] - start[p]) / (ks[p].hi - ks[p].lo) for t in trials[1:] for p in params
        )
    assert spread["cmaes"] < 0.15  # 0.02 a step: within about 7 steps
    assert spread["tpe"] > 0.2


def test_cmaes_starts_a_parameter_the_warm_start_lacks_at_its_documented_value(
    tiny: str, tmp_path: Path
) -> None:
    """A searched parameter missing from --start-from is centred at its prior (the
    uncalibrated scenario's value), not silently at the range's midpoint, and the first
    trial (the warm start) evaluates it there, not at a random draw."""
    import optuna

    params = ["investment.visibility", "market.price_adjustment"]
    ks = {k.path: k for k in knobs() if k.path in params}
    lacking = "market.price_adjustment"
    k = ks[lacking]
    assert abs(k.prior - (k.lo + k.hi) / 2) > 0.2 * (k.hi - k.lo)  # the test can tell
    journal = tmp_path / "c.journal"
    out = calibrate(
        tiny,
        trials=5,
        runs_per_trial=1,
        storage=journal,
        seed=2,
        params=params,
        start_from={"investment.visibility": 0.3},
        sampler="cmaes",
        sigma0=0.02,
    )
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))
    )
    study = optuna.load_study(study_name=out["provenance"]["study"], storage=storage)
    first = next(t for t in study.trials if t.number == 0)
    assert first.params == {"investment.visibility": 0.3, lacking: k.prior}
    later = [t for t in study.trials if t.number > 0]
    assert later
    for t in later:
        assert abs(t.params[lacking] - k.prior) / (k.hi - k.lo) < 0.15


def test_a_bad_sampler_or_step_is_a_clear_error(tiny: str) -> None:
    with pytest.raises(ValueError, match="--sampler: 'grid'; allowed: tpe, cmaes"):
        calibrate(tiny, trials=1, runs_per_trial=1, sampler="grid")
    with pytest.raises(ValueError, match=r"--sigma0: 0.0; allowed: a number in \(0, 0.5\]"):
        calibrate(tiny, trials=1, runs_per_trial=1, sampler="cmaes", sigma0=0.0)


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


def _set(path: Path, seed: int, holdout: list[int] | None, visibility: float) -> Path:
    doc = json.loads((calibration_dir() / "baseline.json").read_text(encoding="utf-8"))
    doc["params"]["investment.visibility"] = visibility
    doc["provenance"] = {**doc["provenance"], "seed": seed, "holdout_years": holdout}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_unused_seeds_skip_the_fitted_ones() -> None:
    assert unused_seeds(set()) == [1, 2, 3]
    assert unused_seeds({5}) == [1, 2, 3]
    assert unused_seeds({2}) == [1, 3, 4]
    assert unused_seeds({1, 3}, n=2) == [2, 4]


def test_three_scores_are_measured_stored_and_read(tmp_path: Path) -> None:
    """``overcap score`` on a small scenario with its own shipped and out-of-time sets:
    in-sample on the fit seed, out of stream and out of time on seeds no set used, each
    the score ``check`` gives; ``overcap check`` prints them and says when they are stale."""
    from typer.testing import CliRunner

    from overcap.cli import app
    from overcap.evidence import check

    shipped = _set(tmp_path / "mine.json", 2, None, 0.4)
    hold = _set(tmp_path / "mine-holdout-2013-2019.json", 4, [2013, 2019], 0.9)
    toml = tmp_path / "tiny.toml"
    toml.write_text(
        TINY.replace('inherits = "baseline"', f'inherits = "baseline"\ncalibration = "{shipped}"'),
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["score", str(toml), "--runs", "1", "--workers", "0"])
    assert res.exit_code == 0, res.output
    doc = load_scores(shipped)
    assert doc is not None and doc == json.loads(scores_file(shipped).read_text())
    assert doc["in_sample"]["seed"] == 2
    assert list(doc["out_of_stream"]["seeds"]) == ["1", "3", "5"]  # 2 and 4 were fitted on
    assert doc["sets"]["shipped"]["sha256"] == sha256_of(shipped)
    assert doc["sets"]["holdout"]["sha256"] == sha256_of(hold)
    facts, digest = load_facts()
    assert doc["facts_sha256"] == digest and doc["facts_total"] == len(facts)
    held = holdout_mask(facts, (2013, 2019))
    oot = doc["out_of_time"]
    assert oot["unseen"]["total"] == sum(held) == 51 and oot["seen"]["total"] == 20
    # each stored number is what a check of that set on that seed gives
    for name, seed in (("shipped", 3), ("holdout", 5)):
        # the out-of-time set differs from the shipped one in this value only
        sc = overcap.load_scenario(
            str(toml), {"investment.visibility": 0.9} if name == "holdout" else None
        )
        passed = check(overcap.ensemble(sc, runs=1, seed=seed, workers=0), facts)["passed"]
        e = score_entry([bool(x) for x in passed], held)
        if name == "shipped":
            assert doc["out_of_stream"]["seeds"][str(seed)] == e["all"][0]
        else:
            assert oot["unseen"]["seeds"][str(seed)] == e["out_of_time"][0]
            assert oot["seen"]["seeds"][str(seed)] == e["in_sample"][0]
    oos = list(doc["out_of_stream"]["seeds"].values())
    assert doc["out_of_stream"]["median"] == sorted(oos)[1]
    # overcap check prints them after its table; stale once a set changes
    res = CliRunner().invoke(app, ["check", str(toml), "--runs", "1", "--workers", "0"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "stored scores of mine.json" in text and "out of time:" in text
    assert "stored scores are stale" not in text and "not a forecast" in text
    hold.write_text(hold.read_text().replace("0.9", "0.8"), encoding="utf-8")
    assert stale(doc, shipped) == ["mine-holdout-2013-2019.json changed or went"]
    res = CliRunner().invoke(app, ["check", str(toml), "--runs", "1", "--workers", "0", "--json"])
    assert json.loads(res.stdout)["stored_scores"]["stale"] == stale(doc, shipped)
    hold.unlink()
    shipped.write_text(shipped.read_text() + " ", encoding="utf-8")
    assert stale(doc, shipped) == [
        "mine.json changed",
        "mine-holdout-2013-2019.json changed or went",
    ]
    res = CliRunner().invoke(app, ["check", str(toml), "--runs", "1", "--workers", "0"])
    assert "stored scores are stale: mine.json changed" in " ".join(res.output.split())


def test_out_of_time_is_not_recorded_without_its_set_and_a_wrong_set_is_refused(
    tmp_path: Path,
) -> None:
    from overcap.calibration import ScoreError, measure_scores

    shipped = _set(tmp_path / "mine.json", 5, None, 0.4)
    toml = tmp_path / "tiny.toml"
    toml.write_text(
        TINY.replace('inherits = "baseline"', f'inherits = "baseline"\ncalibration = "{shipped}"'),
        encoding="utf-8",
    )
    seen = []
    doc = measure_scores(str(toml), runs=1, workers=0, progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (4, 4)  # in-sample and three seeds, one run each
    assert doc["out_of_time"] is None and doc["sets"]["holdout"]["sha256"] is None
    assert "not recorded" in score_parts(doc)["out_of_time"]
    _set(tmp_path / "mine-holdout-2013-2019.json", 4, [2016, 2019], 0.9)
    with pytest.raises(ScoreError, match="holdout_years"):
        measure_scores(str(toml), runs=1, workers=0)
    assert stale(doc, shipped) == ["mine-holdout-2013-2019.json was added"]
    scores_file(shipped).write_text(json.dumps({"seeds": {}}), encoding="utf-8")
    with pytest.raises(ScoreError, match="format"):
        load_scores(shipped)


def test_score_block_is_generated_and_replaced() -> None:
    doc = {
        "scenario": "baseline",
        "runs": 10,
        "facts_sha256": "f" * 64,
        "facts_total": 71,
        "date": "2026-12-01",
        "version": "0.1.0",
        "sets": {
            "shipped": {
                "file": "baseline.json",
                "sha256": "a" * 64,
                "fit_seed": 5,
                "fit_facts_sha256": "f" * 64,
            },
            "holdout": {
                "file": "baseline-holdout-2013-2019.json",
                "sha256": "b" * 64,
                "fit_seed": 5,
                "fit_facts_sha256": "e" * 64,
            },
        },
        "in_sample": {"seed": 5, "passed": 40, "total": 71},
        "out_of_stream": {"seeds": {"1": 30, "2": 33, "3": 31}, "median": 31, "total": 71},
        "out_of_time": {
            "holdout_years": [2013, 2019],
            "unseen": {"seeds": {"1": 20, "2": 21, "3": 19}, "median": 20, "total": 51},
            "seen": {"seeds": {"1": 15, "2": 15, "3": 14}, "median": 15, "total": 20},
        },
    }
    block = score_block(doc)
    assert block.startswith(SCORE_BEGIN) and block.endswith(SCORE_END)
    assert CAVEAT in block and "**Shipped score: 31 / 71 facts**" in block
    assert (
        "| in-sample | 40 / 71 (baseline.json on the calibration's own streams, seed 5) |" in block
    )
    assert "31 / 71, median of seeds 1, 2, 3 (30, 33, 31)" in block
    assert "| out of time | 20 / 51 facts it never saw" in block and "15 / 20 of those" in block
    assert "baseline-holdout-2013-2019.json sha256 bbbbbbbbbbbb" in block
    # a set fitted on other facts than those scored says so
    assert "baseline-holdout-2013-2019.json was fitted on another facts file" in block
    assert "baseline.json was fitted" not in block
    text = f"intro\n{SCORE_BEGIN}\nold\n{SCORE_END}\nrest\n"
    assert replace_score_block(text, block) == f"intro\n{block}\nrest\n"
    with pytest.raises(ValueError, match="score:begin"):
        replace_score_block("no block here", block)


def test_a_set_fitted_before_the_unit_table_is_flagged_only_if_it_fitted_a_converted_fact() -> None:
    """Session 41's digest covers data/fact_units.csv: a set fitted on the same facts.csv
    before it carries no caveat when no conversion changes a fact it was fitted on (the
    out-of-time set, which holds F22 out), and does when one does."""
    import copy
    import hashlib

    from overcap.calibration import fitted_elsewhere
    from overcap.evidence import load_facts
    from overcap.scenario import data_path

    before = hashlib.sha256(data_path("facts.csv").read_bytes()).hexdigest()
    doc = {
        "facts_sha256": load_facts()[1],
        "sets": {
            "shipped": {"file": "a.json", "sha256": "a" * 64, "fit_facts_sha256": before},
            "holdout": {"file": "b.json", "sha256": "b" * 64, "fit_facts_sha256": before},
        },
        "out_of_time": {"holdout_years": [2013, 2019]},
    }
    assert [s["file"] for s in fitted_elsewhere(doc)] == ["a.json"]  # F22 was fitted
    late = copy.deepcopy(doc)
    late["out_of_time"]["holdout_years"] = [2019, 2019]  # F22 (2016-2018) fitted too
    assert [s["file"] for s in fitted_elsewhere(late)] == ["a.json", "b.json"]
    other = copy.deepcopy(doc)
    other["sets"]["holdout"]["fit_facts_sha256"] = "c" * 64  # another facts file
    assert [s["file"] for s in fitted_elsewhere(other)] == ["a.json", "b.json"]


def test_stored_scores_are_those_of_the_shipped_sets() -> None:
    """The stored scores were measured on the facts and calibrated sets in the package
    (after installing new sets, run python scripts/score_shipped.py)."""
    sc = overcap.load_scenario("baseline")
    assert sc.calibrated is not None
    doc = load_scores(sc.calibrated["file"])
    assert doc is not None, "no stored scores: run python scripts/score_shipped.py"
    why = stale(doc, sc.calibrated["file"])
    assert not why, f"stored scores are stale ({'; '.join(why)}): run scripts/score_shipped.py"
    assert doc["scenario"] == "baseline" and doc["runs"] == 10
    fit = doc["sets"]["shipped"]["fit_seed"]
    assert fit == sc.calibrated["provenance"].get("seed")
    assert doc["in_sample"] is not None and doc["in_sample"]["seed"] == fit
    used = {fit, doc["sets"]["holdout"].get("fit_seed")} - {None}
    assert list(doc["out_of_stream"]["seeds"]) == [str(s) for s in unused_seeds(used)]


def test_stored_out_of_stream_score_is_what_check_gives() -> None:
    """One stored seed, run again: `overcap check baseline --runs 10 --seed N` gives the
    stored score (hashes first, so that a changed set gives the clear message)."""
    from typer.testing import CliRunner

    from overcap.cli import app

    test_stored_scores_are_those_of_the_shipped_sets()
    sc = overcap.load_scenario("baseline")
    assert sc.calibrated is not None
    doc = load_scores(sc.calibrated["file"])
    assert doc is not None
    seed, stored = next(iter(doc["out_of_stream"]["seeds"].items()))
    args = ["check", "baseline", "--runs", "10", "--seed", seed, "--workers", "0", "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["passed"] == stored


def test_readme_score_block_is_the_generated_one() -> None:
    """README's quoted scores are generated from the stored scores in the package (run
    python scripts/readme_score.py after overcap score, or scripts/score_shipped.py)."""
    from overcap.calibration import readme_score_block

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    doc = load_scores(calibration_dir() / "baseline.json")
    assert doc is not None
    assert readme_score_block(readme) == score_block(doc)


def test_calibrate_prints_held_out_counts_only_when_asked(tiny: str, tmp_path: Path) -> None:
    """A study with facts held out is run blind by default: its summary names how many
    facts are held out, not how many pass; --show-holdout prints them. The written set
    records them either way."""
    journal = tmp_path / "b.journal"
    exe = [*_calibrate_tiny(tiny, journal), "--trials", "1", "--out", str(tmp_path / "b.json")]
    wide = {**os.environ, "COLUMNS": "300"}  # rich wraps at the terminal's width
    blind = subprocess.run(exe, capture_output=True, text=True, timeout=300, env=wide)
    assert blind.returncode == 0, blind.stderr
    assert "held out, not shown (--show-holdout)" in blind.stdout
    assert "held-out facts pass" not in blind.stdout
    shown = subprocess.run(
        [*exe, "--show-holdout"], capture_output=True, text=True, timeout=300, env=wide
    )
    assert shown.returncode == 0, shown.stderr
    assert "held-out facts pass" in shown.stdout
    pv = json.loads((tmp_path / "b.json").read_text())["provenance"]
    assert pv["total_holdout"] > 0 and "passed_holdout" in pv


def test_parse_holdout_reads_a_span_one_year_or_none() -> None:
    from overcap.calibration import parse_holdout

    assert parse_holdout("2013-2019") == (2013, 2019)
    assert parse_holdout("2016") == (2016, 2016)
    assert parse_holdout("None") is None
    for bad in ("2019-2013", "x", "2013-"):
        with pytest.raises(ValueError):
            parse_holdout(bad)


def test_a_deadline_stops_the_study_and_writes_what_completed(tiny: str, tmp_path: Path) -> None:
    """No trial starts after the deadline: a study asked for 1,000 trials with a few
    seconds to run writes the set of the trials it completed and says it stopped."""
    import datetime as dt

    out = calibrate(
        tiny,
        trials=1000,
        runs_per_trial=1,
        storage=tmp_path / "d.journal",
        seed=1,
        params=["investment.visibility"],
        deadline=dt.datetime.now() + dt.timedelta(seconds=4),
    )
    pv = out["provenance"]
    assert 1 <= pv["trials_completed"] < 1000
    assert pv["stopped_at_deadline"] is True
    assert pv["deadline"] is not None
    # a deadline already past: no trial runs, and the error says so
    with pytest.raises(ValueError, match="no trial completed before it"):
        calibrate(
            tiny,
            trials=5,
            runs_per_trial=1,
            storage=tmp_path / "e.journal",
            seed=1,
            params=["investment.visibility"],
            deadline=dt.datetime.now() - dt.timedelta(seconds=1),
        )


def test_until_is_read_as_the_next_such_time_and_a_bad_one_is_a_clear_error(
    tiny: str, tmp_path: Path
) -> None:
    import datetime as dt

    from overcap.cli import _clock

    now = dt.datetime.now()
    for text in ("00:00", "23:59", now.strftime("%H:%M")):
        at = _clock(text)
        assert now < at <= now + dt.timedelta(days=1)
        assert at.strftime("%H:%M") == text
    exe = [*_calibrate_tiny(tiny, tmp_path / "u.journal"), "--trials", "1", "--until", "25:00"]
    proc = subprocess.run(exe, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "--until '25:00': expected a time HH:MM" in proc.stderr
    assert not (tmp_path / "u.journal").exists()


def test_a_bad_plausibility_margin_is_one_line_on_the_command_line(
    tiny: str, tmp_path: Path
) -> None:
    """`overcap calibrate --plausibility-margin -1` names the option and what is allowed,
    and writes no study."""
    exe = [
        *_calibrate_tiny(tiny, tmp_path / "m.journal"),
        "--trials",
        "1",
        "--plausibility",
        "1",
        "--plausibility-margin",
        "-1",
    ]
    proc = subprocess.run(exe, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "--plausibility-margin: -1.0; allowed: a number in [0, 1)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "m.journal").exists()


def test_replacement_rules_off_moves_each_replacement_event_out_of_the_recorded_years() -> None:
    sc = overcap.load_scenario("baseline", calibrated=False)
    off = replacement_rules_off(sc)
    names = {n for n, e in sc.events.items() if e.kind == "capacity_replacement"}
    assert set(off) == {f"events.{n}.years" for n in names} and len(names) == 3
    moved = overcap.load_scenario(sc, off)
    assert all(moved.events[n].years[0] > 2019 for n in names)


def test_replacement_starts_needs_a_replacement_event() -> None:
    sc = overcap.load_scenario("baseline", calibrated=False)
    bare = sc.model_copy(
        update={"events": {n: e for n, e in sc.events.items() if e.kind != "capacity_replacement"}}
    )
    with pytest.raises(ValueError, match="no capacity_replacement event"):
        replacement_starts(bare, 0)


def test_replacement_starts_needs_a_run_that_reaches_2019() -> None:
    sc = overcap.load_scenario("baseline", {"time.end_year": 2015}, calibrated=False)
    with pytest.raises(ValueError, match="time.end_year must be 2019 or later"):
        replacement_starts(sc, 0)


TINY_2019 = TINY.replace("start_year = 2010", "start_year = 2014").replace(
    "end_year = 2017", "end_year = 2019"
)


def test_the_replacement_term_is_the_picks_measure_above_its_bound(tmp_path: Path) -> None:
    """evaluate(replacement=w) adds w times the ratios of 2019 starts with the rules to
    starts without them above REPLACEMENT_MAX_RATIO, capped, summed over the first two
    replicates and steel and coal: the measure the pick's --replacement reads
    (replacement_starts); nothing else in the loss moves."""
    from overcap.calibration import (
        REPLACEMENT_MAX_RATIO,
        REPLACEMENT_RATIO_CAP,
        REPLACEMENT_REPLICATES,
        evaluate,
    )

    path = tmp_path / "tiny2019.toml"
    path.write_text(TINY_2019, encoding="utf-8")
    facts, _ = load_facts()
    held = holdout_mask(facts, None)
    plain = evaluate(str(path), {}, facts, held, 3, 4)
    with_term = evaluate(str(path), {}, facts, held, 3, 4, replacement=2.0)
    sc = overcap.load_scenario(str(path), calibrated=False)
    ratios = [
        replacement_ratio(on, without)
        for rep in range(REPLACEMENT_REPLICATES)
        for on, without in replacement_starts(sc, 4, replicate=rep).values()
    ]
    want = sum(max(0.0, min(r, REPLACEMENT_RATIO_CAP) - REPLACEMENT_MAX_RATIO) for r in ratios)
    assert len(ratios) == 4
    assert with_term["replacement_excess"] == pytest.approx(want)
    assert with_term["replacement_ratio"] == pytest.approx(min(max(ratios), REPLACEMENT_RATIO_CAP))
    assert with_term["loss"] == pytest.approx(plain["loss"] + 2.0 * want)
    assert plain["replacement_excess"] == 0.0 and plain["replacement_ratio"] is None
    assert with_term["passed_in"] == plain["passed_in"]


def test_a_sector_that_starts_nothing_without_the_rules_fails_but_is_capped() -> None:
    assert replacement_ratio(0.02, 0.1) == pytest.approx(0.2)
    assert replacement_ratio(0.0, 0.0) == float("inf")


def test_the_replacement_term_needs_runs_to_2019_and_the_rules(tiny: str) -> None:
    """A study whose runs stop before 2019 (a holdout, a short scenario) or a scenario
    without the replacement events cannot weigh the term: a one-line error naming
    --replacement and what is allowed, and no study is written."""
    with pytest.raises(ValueError, match="--replacement 1: the term reads 2019.*--holdout none"):
        calibrate("baseline", trials=1, runs_per_trial=1, replacement=1.0, holdout=(2016, 2019))
    with pytest.raises(ValueError, match="--replacement: -1.0; allowed: a number >= 0"):
        calibrate(tiny, trials=1, runs_per_trial=1, replacement=-1.0, holdout=None)
    with pytest.raises(ValueError, match="--replacement: the runs end in 2017"):
        calibrate(tiny, trials=1, runs_per_trial=1, replacement=1.0, holdout=None)
    short = overcap.load_scenario(tiny, calibrated=False)
    with pytest.raises(ValueError, match="--replacement: the runs end in 2017"):
        replacement_excess(short, 0, [])
    sc = overcap.load_scenario("baseline", calibrated=False)
    bare = sc.model_copy(
        update={"events": {n: e for n, e in sc.events.items() if e.kind != "capacity_replacement"}}
    )
    with pytest.raises(ValueError, match="no capacity_replacement event"):
        replacement_excess(bare, 0, [])


def test_the_replacement_term_with_the_default_holdout_is_one_line_on_the_command_line(
    tiny: str, tmp_path: Path
) -> None:
    """`overcap calibrate --replacement 1` keeps the default holdout (2016-2019), whose
    runs stop before 2019: one line naming the option and what is allowed, no study."""
    exe = [*_calibrate_tiny(tiny, tmp_path / "r.journal"), "--trials", "1", "--replacement", "1"]
    proc = subprocess.run(exe, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "--replacement 1: the term reads 2019" in proc.stderr
    assert "allowed: with --holdout none" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r.journal").exists()
