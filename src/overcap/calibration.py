"""Calibration: search the calibratable parameters, inside their documented ranges, to
bring the ensemble medians inside the bands of the facts.

Loss: for each in-sample fact, the distance of the ensemble median outside its band,
in band widths (``evidence.distance``); a fact that cannot be evaluated counts 1.
Noise: every trial averages K replicates whose seeds are the same in every trial
(common random numbers). Search: Optuna's TPE sampler with a fixed seed, on a
JournalFileBackend storage, so an interrupted search resumes where it stopped;
several worker processes share the storage. Overfitting guards: no per-year or
per-fact parameter exists; a block of facts (by default those about 2016-2019) is
held out and scored separately; parameters that end near an edge of their range are
reported.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from overcap._version import __version__
from overcap.evidence import Fact, check, load_facts
from overcap.experiments import ensemble
from overcap.scenario import Scenario, field_bounds, load_scenario
from overcap.summary import implausibility, internals

HOLDOUT_DEFAULT = (2016, 2019)
REGIME_PREFIXES = {"centre.loosen.", "centre.control.", "centre.stagnation."}
# the regimes' instruments that calibration moves, with ranges that keep each regime
# what the specification says it is (docs/ODD.md section 7.10): loosen raises subsidies,
# control cuts them and campaigns
REGIME_KNOBS: dict[tuple[str, str], tuple[float, float]] = {
    ("centre.loosen.", "subsidy_multiplier"): (1.0, 2.0),
    ("centre.control.", "subsidy_multiplier"): (0.3, 1.0),
    ("centre.stagnation.", "subsidy_multiplier"): (0.5, 1.2),
    ("centre.control.", "campaign_intensity"): (0.1, 3.0),
}


@dataclass(frozen=True)
class Knob:
    """A calibratable parameter: its path, type and documented range."""

    path: str
    lo: float
    hi: float
    integer: bool
    unit: str
    meaning: str


def knobs(sc: Scenario | None = None) -> list[Knob]:
    """Every parameter the schema marks calibratable (sections and the centre's regime
    instruments), with its range (a ``calibration_range`` narrower than the schema's
    range where the literature gives one)."""
    sc = sc or load_scenario("baseline", calibrated=False)
    out: list[Knob] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            ann = info.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                if prefix == "centre." and name == "chaos":
                    continue  # chaos is the neutral regime: nothing to set
                walk(ann, f"{prefix}{name}.")
                continue
            if prefix in REGIME_PREFIXES and (prefix, name) not in REGIME_KNOBS:
                continue  # campaigns belong to control; multipliers to every regime
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if not extra.get("calibratable"):
                continue
            lo, hi, _ = field_bounds(info)
            rng = extra.get("calibration_range")
            if isinstance(rng, list | tuple) and len(rng) == 2:
                lo, hi = rng
            if (prefix, name) in REGIME_KNOBS:
                lo, hi = REGIME_KNOBS[(prefix, name)]
            if lo is None or hi is None:
                continue
            out.append(
                Knob(
                    f"{prefix}{name}",
                    float(lo),
                    float(hi),
                    ann is int,
                    str(extra.get("unit", "")),
                    info.description or "",
                )
            )

    for section, info in Scenario.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel) and section != "sectors":
            walk(ann, f"{section}.")
    return out


def holdout_mask(facts: list[Fact], years: tuple[int, int] | None) -> list[bool]:
    """True for a held-out fact: one whose window ends in the holdout block's first year
    or later, so that the fit sees no year from the block on. A window that straddles
    the block's start is held out (a mean over 2005-2013 with the block 2013-2019: the
    fit must not see 2013), and so is a fact about a year after the block (out of time
    too)."""
    if years is None:
        return [False] * len(facts)
    start = years[0]
    return [f.year_to >= start for f in facts]


def evaluate(
    scenario: str,
    overrides: dict[str, Any],
    facts: list[Fact],
    held: list[bool],
    runs: int,
    seed: int,
    robustness: float = 0.0,
    plausibility: float = 0.0,
) -> dict[str, Any]:
    """Loss and scores of one parameter set (K replicates, common random numbers).

    The loss of a fact is its distance (:func:`overcap.evidence.distance`: how far the
    median lies outside the band, in band widths) plus ``robustness`` times the share of
    the K runs that fail it. With ``robustness`` = 0 this is the loss of the medians
    alone; above 0 it also prefers parameter sets whose runs pass a fact more often, so a
    median that sits just inside a band (and flips with the random streams) counts for
    less than one well inside, and a sign or boolean fact is graded by its share of
    passing runs instead of all or nothing. ``plausibility`` weighs in how far the runs'
    internal states (zombie share, provincial spending over GDP, each sector's worst
    five-year margin) lie outside the ranges of the record
    (:func:`overcap.summary.implausibility`)."""
    sc = load_scenario(scenario, overrides, calibrated=False)
    # in this process: calibration runs its own worker processes (no cluster in them)
    results = ensemble(sc, runs=runs, seed=seed, workers=0)
    table = check(results, facts)
    held_arr = np.array(held)
    dist = table["distance"].to_numpy() + robustness * (
        1.0 - table["share_passing"].to_numpy(dtype=float)
    )
    passed = table["passed"].to_numpy()
    implausible = (
        implausibility([internals(r.sectors, r.provinces, r.economy) for r in results])
        if plausibility
        else 0.0
    )
    return {
        "loss": float(dist[~held_arr].sum()) + plausibility * implausible,
        "implausibility": implausible,
        "loss_holdout": float(dist[held_arr].sum()),
        "passed_in": int(passed[~held_arr].sum()),
        "total_in": int((~held_arr).sum()),
        "passed_out": int(passed[held_arr].sum()),
        "total_out": int(held_arr.sum()),
        "passed_ids": [str(x) for x in table.loc[table["passed"], "id"]],
    }


def _storage(path: Path) -> Any:
    import optuna
    from optuna.storages.journal import JournalFileBackend

    path.parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


def _study(name: str, storage_path: Path, seed: int, worker: int) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed + 7919 * worker, n_startup_trials=20)
    return optuna.create_study(
        study_name=name,
        storage=_storage(storage_path),
        sampler=sampler,
        direction="minimize",
        load_if_exists=True,
    )


def _objective(
    scenario: str,
    facts: list[Fact],
    held: list[bool],
    ks: list[Knob],
    runs: int,
    seed: int,
    fixed: dict[str, float] | None = None,
    robustness: float = 0.0,
    plausibility: float = 0.0,
) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        ov: dict[str, Any] = dict(fixed or {})
        for k in ks:
            if k.integer:
                ov[k.path] = trial.suggest_int(k.path, int(k.lo), int(k.hi))
            else:
                ov[k.path] = trial.suggest_float(k.path, k.lo, k.hi)
        res = evaluate(scenario, ov, facts, held, runs, seed, robustness, plausibility)
        keys = ("loss_holdout", "passed_in", "total_in", "passed_out", "total_out")
        for key in (*keys, "implausibility"):
            trial.set_user_attr(key, res[key])
        return float(res["loss"])

    return objective


@dataclass(frozen=True)
class _Job:
    """What one worker process needs to run its share of a study (pickled to it)."""

    name: str
    storage_path: str
    scenario: str
    facts_path: str | Path | None
    holdout: tuple[int, int] | None
    knobs: list[Knob]
    runs: int
    seed: int
    target: int
    fixed: dict[str, float]
    robustness: float
    plausibility: float = 0.0
    worker: int = 0


def _worker(job: _Job) -> None:
    import optuna
    from optuna.trial import TrialState

    if completed(job.name, Path(job.storage_path)) >= job.target:
        return  # nothing left to do (a resumed study that is already complete)
    facts, _ = load_facts(job.facts_path)
    held = holdout_mask(facts, job.holdout)
    study = _study(job.name, Path(job.storage_path), job.seed, job.worker)
    parent = os.getppid()
    # only a worker process watches its driver; run in the driver itself (one worker),
    # the parent is the user's shell, which may well exit first (nohup, a closed terminal)
    in_pool = mp.parent_process() is not None

    def orphaned(study: Any, _trial: Any) -> None:
        # a worker whose driver died (killed, Ctrl-C) stops after its current trial
        if in_pool and os.getppid() != parent:
            study.stop()

    study.optimize(
        _objective(
            job.scenario,
            facts,
            held,
            job.knobs,
            job.runs,
            job.seed,
            job.fixed,
            job.robustness,
            job.plausibility,
        ),
        n_trials=job.target,  # upper bound; the callback stops at the shared target
        callbacks=[
            optuna.study.MaxTrialsCallback(job.target, states=(TrialState.COMPLETE,)),
            orphaned,
        ],
        catch=(Exception,),
    )


def completed(name: str, storage_path: Path) -> int:
    import optuna
    from optuna.trial import TrialState

    try:
        study = optuna.load_study(study_name=name, storage=_storage(storage_path))
    except KeyError:
        return 0
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def calibrate(
    scenario: str = "baseline",
    trials: int = 200,
    runs_per_trial: int = 3,
    storage: str | Path = "overcap-results/calibration/baseline.journal",
    seed: int = 0,
    workers: int = 1,
    facts_path: str | Path | None = None,
    holdout: tuple[int, int] | None = HOLDOUT_DEFAULT,
    params: list[str] | None = None,
    study_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    start_from: dict[str, float] | None = None,
    start_from_provenance: dict[str, Any] | None = None,
    robustness: float = 0.0,
    plausibility: float = 0.0,
) -> dict[str, Any]:
    """Run (or resume) a calibration and return the calibrated parameter set with its
    provenance. The study is keyed by ``study_name`` (default: scenario, seed, replicates
    and robustness); running again with the same storage resumes and only adds the trials
    still missing. ``robustness`` weighs the share of runs failing each fact into the
    loss, ``plausibility`` the internal states outside the record's ranges (see
    :func:`evaluate`)."""
    import optuna

    if not (np.isfinite(robustness) and robustness >= 0):
        raise ValueError(f"--robustness: {robustness!r}; allowed: a number >= 0")
    if not (np.isfinite(plausibility) and plausibility >= 0):
        raise ValueError(f"--plausibility: {plausibility!r}; allowed: a number >= 0")
    facts, digest = load_facts(facts_path)
    held = holdout_mask(facts, holdout)
    ks = knobs()
    if params:
        names = {k.path for k in ks}
        bad = [p for p in params if p not in names]
        if bad:
            raise ValueError(
                f"--params: {bad[0]!r} is not calibratable; allowed: {', '.join(sorted(names))}"
            )
        ks = [k for k in ks if k.path in params]
    # with a subset of the parameters searched, the others are held at the warm start's
    # values (a later stage that adds a parameter keeps the earlier stages' fit), else
    # at the schema's defaults
    searched = {k.path for k in ks}
    fixed = {p: v for p, v in (start_from or {}).items() if p not in searched}
    name = study_name or f"{Path(scenario).stem}-seed{seed}-k{runs_per_trial}" + (
        f"-w{robustness:g}" if robustness else ""
    ) + (f"-p{plausibility:g}" if plausibility else "")
    storage_path = Path(storage)
    study0 = _study(name, storage_path, seed, 0)  # create it (or load it) once, up front
    before = completed(name, storage_path)
    if start_from and before == 0 and not study0.trials:
        # warm start: the first trial evaluates a given parameter set (e.g. the best of an
        # earlier calibration), clipped to the ranges
        study0.enqueue_trial(
            {k.path: min(max(start_from[k.path], k.lo), k.hi) for k in ks if k.path in start_from}
        )
    job = _Job(
        name=name,
        storage_path=str(storage_path),
        scenario=scenario,
        facts_path=facts_path,
        holdout=holdout,
        knobs=ks,
        runs=runs_per_trial,
        seed=seed,
        target=trials,
        fixed=fixed,
        robustness=robustness,
        plausibility=plausibility,
    )
    jobs = [replace(job, worker=w) for w in range(max(1, workers))]
    if workers <= 1:
        _run_with_progress(lambda: _worker(jobs[0]), name, storage_path, trials, progress)
    else:
        ctx = mp.get_context("spawn")
        with ctx.Pool(workers) as pool:
            pending = pool.map_async(_worker, jobs)
            _run_with_progress(lambda: pending.wait(), name, storage_path, trials, progress)
            pending.get()
    study = optuna.load_study(study_name=name, storage=_storage(storage_path))
    best = study.best_trial
    values = {**fixed, **dict(best.params)}
    edges = [
        k.path
        for k in ks
        if (values[k.path] - k.lo) <= 0.02 * (k.hi - k.lo)
        or (k.hi - values[k.path]) <= 0.02 * (k.hi - k.lo)
    ]
    return {
        "scenario": scenario,
        "params": values,
        "provenance": {
            "method": "Optuna TPE on a JournalFileBackend storage",
            "study": name,
            "storage": str(storage_path),
            "facts_sha256": digest,
            "facts_file": str(facts_path) if facts_path else "overcap/data/facts.csv",
            "trials_completed": len(
                study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
            ),
            "trials_before_this_call": before,
            "runs_per_trial": runs_per_trial,
            "seed": seed,
            "seeds": f"replicates 0..{runs_per_trial - 1} of seed {seed} (common random numbers)",
            "robustness": robustness,
            "plausibility": plausibility,
            "loss": (
                "sum over in-sample facts of the median's distance outside the band"
                + (f" + {robustness:g} x the share of runs failing" if robustness else "")
                + (
                    f" + {plausibility:g} x the internal states' distance outside the "
                    "record's ranges (summary.implausibility)"
                    if plausibility
                    else ""
                )
            ),
            "implausibility": best.user_attrs.get("implausibility"),
            "holdout_years": list(holdout) if holdout else None,
            "holdout_ids": [f.id for f, h in zip(facts, held, strict=True) if h],
            "loss_in_sample": best.value,
            "loss_holdout": best.user_attrs.get("loss_holdout"),
            "passed_in_sample": best.user_attrs.get("passed_in"),
            "total_in_sample": best.user_attrs.get("total_in"),
            "passed_holdout": best.user_attrs.get("passed_out"),
            "total_holdout": best.user_attrs.get("total_out"),
            "at_edge_of_range": edges,
            "ranges": {k.path: [k.lo, k.hi] for k in ks},
            "searched": sorted(searched),
            "held_at_warm_start": sorted(fixed),
            "date": dt.date.today().isoformat(),
            "version": __version__,
            "warm_start": start_from_provenance,
        },
    }


def _run_with_progress(
    fn: Callable[[], Any],
    name: str,
    storage_path: Path,
    trials: int,
    progress: Callable[[int, int], None] | None,
) -> None:
    if progress is None:
        fn()
        return
    import threading

    done = threading.Event()

    def poll() -> None:
        while not done.wait(2.0):
            progress(min(completed(name, storage_path), trials), trials)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    try:
        fn()
    finally:
        done.set()
        t.join()
        progress(min(completed(name, storage_path), trials), trials)


def write(calibrated: dict[str, Any], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(json.dumps(calibrated, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(p)
    return p


# The scores the README quotes (scripts/readme_score.py writes its marked block from
# them): `overcap check --record-score` writes one seed's entry
SCORE_BEGIN = "<!-- score:begin -->"
SCORE_END = "<!-- score:end -->"


def score_entry(passed: list[bool], held: list[bool]) -> dict[str, list[int]]:
    """One seed's score: all facts, in-sample and out of time, as [passed, total]."""
    p, h = np.array(passed, dtype=bool), np.array(held, dtype=bool)
    return {
        "all": [int(p.sum()), len(p)],
        "in_sample": [int(p[~h].sum()), int((~h).sum())],
        "out_of_time": [int(p[h].sum()), int(h.sum())],
    }


def record_score(
    path: str | Path,
    *,
    scenario: str,
    seed: int,
    runs: int,
    facts_sha256: str,
    calibration_sha256: str | None,
    holdout: tuple[int, int] | None,
    fit_seed: int | None,
    entry: dict[str, list[int]],
) -> dict[str, Any]:
    """Add one seed's score to the stored scores at ``path``. The entries of other seeds
    are kept when they were measured on the same scenario, facts, calibrated set, number
    of runs and holdout; otherwise the file starts afresh. A seed is out of stream when
    it is not the seed whose streams the calibrated set was fitted on."""
    p = Path(path)
    key = {
        "scenario": scenario,
        "facts_sha256": facts_sha256,
        "calibration_sha256": calibration_sha256,
        "runs": runs,
        "holdout_years": list(holdout) if holdout else None,
    }
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = {}
    if not isinstance(doc, dict) or any(doc.get(k) != v for k, v in key.items()):
        doc = {**key, "seeds": {}}
    doc["fit_seed"] = fit_seed
    doc["note"] = (
        "written by overcap check --record-score: each seed's score with "
        f"--runs {runs}; in-sample facts end before the holdout's first year"
    )
    doc["seeds"][str(seed)] = {
        **entry,
        "out_of_stream": fit_seed is None or seed != fit_seed,
        "date": dt.date.today().isoformat(),
        "version": __version__,
    }
    doc["seeds"] = dict(sorted(doc["seeds"].items(), key=lambda kv: int(kv[0])))
    write(doc, p)
    return doc


def _frac(pair: list[int]) -> str:
    return f"{pair[0]} / {pair[1]}"


def score_block(doc: dict[str, Any]) -> str:
    """The README's marked block of scores, from the stored scores (no run)."""
    seeds = doc.get("seeds", {})
    held = doc.get("holdout_years")
    lines = [SCORE_BEGIN]
    if doc.get("label"):
        lines.append(f"*{doc['label']}*")
        lines.append("")
    head = f"`overcap check {doc.get('scenario', 'baseline')} --runs {doc.get('runs')}`"
    if held:
        head += f" with `--holdout {held[0]}-{held[1]}`"
    fit = doc.get("fit_seed")
    if fit is not None:
        head += f"; the calibrated set was fitted on the streams of seed {fit}"
    lines.append(head + ":")
    lines.append("")
    split = bool(held)
    cols = ["seed", "streams", "all facts"] + (["in-sample", "out of time"] if split else [])
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + " --- |" * len(cols))
    for s, e in seeds.items():
        row = [s, "out of stream" if e.get("out_of_stream") else "fitted on", _frac(e["all"])]
        if split:
            row += [_frac(e["in_sample"]), _frac(e["out_of_time"])]
        lines.append("| " + " | ".join(row) + " |")
    lines.append(SCORE_END)
    return "\n".join(lines)


def replace_score_block(readme: str, block: str) -> str:
    """README's text with its marked block replaced (ValueError when not marked once)."""
    i, j = readme.find(SCORE_BEGIN), readme.find(SCORE_END)
    if i < 0 or j < i or readme.count(SCORE_BEGIN) != 1 or readme.count(SCORE_END) != 1:
        raise ValueError(f"README: expected one {SCORE_BEGIN} ... {SCORE_END} block")
    return readme[:i] + block + readme[j + len(SCORE_END) :]


def readme_score_block(readme: str) -> str:
    """The marked block as it stands in README's text."""
    i, j = readme.find(SCORE_BEGIN), readme.find(SCORE_END)
    if i < 0 or j < i:
        raise ValueError(f"README: no {SCORE_BEGIN} ... {SCORE_END} block")
    return readme[i : j + len(SCORE_END)]
