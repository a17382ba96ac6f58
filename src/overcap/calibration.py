"""Calibration: search the calibratable parameters, inside their documented ranges, to
bring the ensemble medians inside the bands of the facts.

Loss: for each in-sample fact, the distance of the ensemble median outside its band,
in band widths (``evidence.distance``); a fact that cannot be evaluated counts 1.
Noise: every trial averages K replicates whose seeds are the same in every trial
(common random numbers). Search: Optuna's TPE sampler with a fixed seed (or CMA-ES from
the warm start, ``sampler="cmaes"``), on a
JournalFileBackend storage, so an interrupted search resumes where it stopped;
several worker processes share the storage. Overfitting guards: no per-year or
per-fact parameter exists; a block of facts (by default those about 2016-2019) is
held out and scored separately; parameters that end near an edge of their range are
reported; optionally (``shrinkage``), a penalty pulls the searched parameters toward
their documented values, where the facts do not say otherwise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from overcap._version import __version__
from overcap.evidence import Fact, check, load_facts, parse_span
from overcap.experiments import ensemble
from overcap.model import run as run_model
from overcap.scenario import (
    Scenario,
    data_path,
    field_bounds,
    field_extra,
    load_scenario,
    sector_table,
)
from overcap.summary import (
    FREEZE_END_SECTORS,
    FREEZE_END_YEAR,
    implausibility,
    internal_ranges,
    internals,
    starts_after_freeze,
)

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
# Sector parameters calibration searches, within the range data/sectors.csv documents.
# Armington base shares are recalled (flag R) with wide ranges; they are searched only for
# the sectors whose trade the record measures (world-share and export-share facts), where
# tradability (how homogeneous the product is, how far it ships) differs by sector.
# Variable-cost shares (recalled, R: the cash cost's share of the reference price) are
# searched for the five sectors whose margins and utilisation the record measures year by
# year (steel's margins 2011-16, coal's and cement's capacity and utilisation, aluminium's
# utilisation, solar's glut margin): the cost structure differs by sector by construction.
# Build lags (recalled, R) are searched for the three new-energy sectors, whose record
# times each year of the wave (output, capacity and utilisation year by year: solar
# 2010-19, EVs 2015-19, batteries 2016-19), and, from session 27, for coal, whose record
# times its glut (capacity and utilisation in 2015 and 2016, the 2016-18 campaign's cut):
# how long a line takes to build differs by sector by construction (a module line in
# months, a coal mine in years), and within the documented range it decides in which
# year a wave's capacity arrives. From session 28, appliances' Armington share (the record
# has the share of 2001's refrigerators sold at home, F03) and flat glass's cost structure
# (its utilisation 2011-15, F13): data/sectors.csv documents both ranges. From session
# 45, solar's start presence in foreign markets (read with switches.export_presence,
# docs/ODD.md 7.11.5): the record has solar's world share from about 1% in 2000 (F38's
# 2010 share and the 2007 datum of S_CN_PV_EARLY); from session 49, steel's (China
# imported more steel than it exported until 2005, S_CN_STEEL_TRADE; F25 has its 2000
# output); from session 50, EVs' (1.3% of the world's EV exports in 2017, S_OE_EVEXP;
# F47-F52 have their 2015-19 output and world share); the other sectors start present.
SECTOR_KNOBS: tuple[tuple[str, str], ...] = (
    ("solar_pv", "export_share"),
    ("li_batteries", "export_share"),
    ("electric_vehicles", "export_share"),
    ("steel", "export_share"),
    ("steel", "vc_share"),
    ("coal", "vc_share"),
    ("cement", "vc_share"),
    ("aluminium", "vc_share"),
    ("solar_pv", "vc_share"),
    ("solar_pv", "build_lag"),
    ("li_batteries", "build_lag"),
    ("electric_vehicles", "build_lag"),
    ("coal", "build_lag"),
    ("appliances", "export_share"),
    ("flat_glass", "vc_share"),
    ("solar_pv", "presence_start"),
    ("steel", "presence_start"),
    ("electric_vehicles", "presence_start"),
)
SECTOR_KNOB_MEANING: dict[str, tuple[str, str]] = {
    "export_share": (
        "share",
        "Armington base share: China's share of the rest of the world's market at equal "
        "delivered cost (data/sectors.csv)",
    ),
    "vc_share": (
        "share",
        "variable (cash) cost's share of the reference price: inputs, energy, labour "
        "(data/sectors.csv)",
    ),
    "presence_start": (
        "share",
        "China's presence in foreign markets at the start of a run, as a share of its "
        "Armington base share (data/sectors.csv; read with switches.export_presence)",
    ),
    "build_lag": (
        "years",
        "years from a project's start to its first output (data/sectors.csv); a "
        "project's lag is an integer draw with this mean",
    ),
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
    prior: float = float("nan")  # its value in the uncalibrated scenario (the sourced default)


def prior_value(sc: Scenario, path: str) -> float:
    """A calibratable parameter's value in scenario ``sc`` (a sector parameter's from
    data/sectors.csv, which scenarios do not set)."""
    parts = path.split(".")
    if parts[0] == "sectors":
        return sector_table()[parts[1]][parts[2]][0]
    obj: Any = sc
    for part in parts:
        obj = getattr(obj, part)
    return float(obj)


def shrinkage_penalty(values: dict[str, Any], ks: Sequence[Knob], weight: float) -> float:
    """lambda sum_k ((theta_k - theta0_k) / (hi_k - lo_k))^2 over the calibratable
    parameters in ``values``: the squared distance of each from its documented value
    theta0 (:attr:`Knob.prior`), in widths of its calibration range. With few facts many
    parameter sets fit equally well (a fact inside its band costs nothing), and the search
    drifts along those flat directions; the penalty prefers, among them, the set closest
    to the sources (ridge regression's shrinkage; Hoerl and Kennard 1970)."""
    if not weight:
        return 0.0
    total = 0.0
    for k in ks:
        if k.path in values and k.hi > k.lo:
            total += ((float(values[k.path]) - k.prior) / (k.hi - k.lo)) ** 2
    return weight * total


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
            extra = field_extra(info)
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
                    prior_value(sc, f"{prefix}{name}"),
                )
            )

    for section, info in Scenario.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel) and section != "sectors":
            walk(ann, f"{section}.")
    table = sector_table()
    for sector, name in SECTOR_KNOBS:
        if sector not in table or name not in table[sector]:
            continue
        _, lo, hi = table[sector][name]
        unit, meaning = SECTOR_KNOB_MEANING[name]
        out.append(
            Knob(
                f"sectors.{sector}.{name}",
                float(lo),
                float(hi),
                False,
                unit,
                meaning,
                table[sector][name][0],
            )
        )
    return out


@cache
def documented_knobs() -> tuple[Knob, ...]:
    """:func:`knobs` of the uncalibrated baseline, read once a process: the priors the
    shrinkage penalty of every trial measures against."""
    return tuple(knobs())


def parse_holdout(text: str) -> tuple[int, int] | None:
    """A holdout as the command line writes it: ``FROM-TO`` (or one year) as a pair,
    ``none`` as None; ValueError otherwise (the scripts' and the CLI's one parser)."""
    if text.strip().lower() == "none":
        return None
    return parse_span(text)


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
    until: int | None = None,
    shrinkage: float = 0.0,
    stop: int | None = None,
    plausibility_seeds: Sequence[int] = (),
    plausibility_margin: float = 0.0,
    replacement: float = 0.0,
) -> dict[str, Any]:
    """Loss and scores of one parameter set (K replicates, common random numbers).

    The loss of a fact is its distance (:func:`overcap.evidence.distance`: how far the
    median lies outside the band, in band widths) plus ``robustness`` times the share of
    the K runs that fail it. With ``robustness`` = 0 this is the loss of the medians
    alone; above 0 it also prefers parameter sets whose runs pass a fact more often, so a
    median that sits just inside a band (and flips with the random streams) counts for
    less than one well inside, and a sign or boolean fact is graded by its share of
    passing runs instead of all or nothing. ``plausibility`` weighs in how far the runs'
    internal states (zombie share, provincial spending over GDP, each sector's worst and
    best five-year margins, capacity jumps) lie outside the ranges of the record
    (:func:`overcap.summary.implausibility`), over the years up to ``until`` (a fit that
    holds out later years must not see their internal states either). ``shrinkage``
    adds :func:`shrinkage_penalty` of the overrides (the parameters' distance from their
    documented values). ``stop`` ends the runs in that year (a fit that holds out the
    years after it need not simulate them: a run that stops early is the same run to its
    last year, tests/engine/test_determinism.py); the held-out facts are then not
    evaluated and their loss and count are None. ``plausibility_seeds`` are further seeds
    whose K replicates are run only to measure the internal states: the implausibility
    is then the sum of each seed's (the study's own first), so that a set inside the
    ranges on one seed's streams alone is not preferred. ``plausibility_margin`` moves
    each range's bounds inward by that many of its units (``summary.implausibility``).
    ``replacement`` weighs in :func:`replacement_excess`: how far the baseline's
    capacity-replacement rules fall short of halving steel's and coal's 2019 starts on
    the first replicates (session 38; the runs must reach 2019)."""
    sc = load_scenario(scenario, overrides, calibrated=False)
    if stop is not None and stop < sc.time.end_year:
        sc = load_scenario(scenario, {**overrides, "time.end_year": stop}, calibrated=False)
    # in this process: calibration runs its own worker processes (no cluster in them)
    results = ensemble(sc, runs=runs, seed=seed, workers=0)
    held_arr = np.array(held, dtype=bool)
    # a fact about a year the runs do not reach is not evaluated (only held-out ones can be)
    beyond = np.array([stop is not None and f.year_to > stop for f in facts], dtype=bool)
    if (beyond & ~held_arr).any():
        first = next(f.id for f, b, h in zip(facts, beyond, held, strict=True) if b and not h)
        raise ValueError(
            f"fact {first} is in sample but ends after the runs' last year "
            f"{stop}; allowed: a stop year at or after every in-sample fact's"
        )
    looked = [f for f, b in zip(facts, beyond, strict=True) if not b]
    table = check(results, looked)
    on = held_arr[~beyond]  # held-out among the facts evaluated
    dist = table["distance"].to_numpy() + robustness * (
        1.0 - table["share_passing"].to_numpy(dtype=float)
    )
    passed = table["passed"].to_numpy()

    def upto(df: Any) -> Any:
        return df if until is None else df[df["year"] <= until]

    def implausible_on(rs: Sequence[Any]) -> float:
        return implausibility(
            [internals(upto(r.sectors), upto(r.provinces), upto(r.economy)) for r in rs],
            plausibility_margin,
        )

    implausible = 0.0
    if plausibility:
        implausible = implausible_on(results)
        for other in plausibility_seeds:
            implausible += implausible_on(ensemble(sc, runs=runs, seed=other, workers=0))
    excess, worst_ratio = replacement_excess(sc, seed, results) if replacement else (0.0, None)
    penalty = shrinkage_penalty(overrides, documented_knobs(), shrinkage) if shrinkage else 0.0
    skipped = bool(beyond.any())
    return {
        "loss": float(dist[~on].sum())
        + plausibility * implausible
        + replacement * excess
        + penalty,
        "implausibility": implausible,
        "replacement_excess": excess,
        "replacement_ratio": worst_ratio,
        "shrinkage_penalty": penalty,
        "loss_holdout": None if skipped else float(dist[on].sum()),
        "passed_in": int(passed[~on].sum()),
        "total_in": int((~held_arr).sum()),
        "passed_out": None if skipped else int(passed[on].sum()),
        "total_out": int(held_arr.sum()),
        "passed_ids": [str(x) for x in table.loc[table["passed"], "id"]],
    }


def _storage(path: Path) -> Any:
    import optuna
    from optuna.storages.journal import JournalFileBackend

    path.parent.mkdir(parents=True, exist_ok=True)
    return optuna.storages.JournalStorage(JournalFileBackend(str(path)))


SAMPLERS = ("tpe", "cmaes")


def _sampler(kind: str, seed: int, x0: dict[str, float] | None = None, sigma0: float = 0.1) -> Any:
    """TPE (the default: a global search of the ranges) or CMA-ES (a local search that
    starts at ``x0``, the warm start, with step ``sigma0`` in shares of each parameter's
    range: Hansen 2016, "The CMA Evolution Strategy: a tutorial"; Optuna's CmaEsSampler
    on the cmaes library, whose search space is each range scaled to [0, 1])."""
    import warnings

    import optuna

    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=20)
    if kind == "cmaes":
        with warnings.catch_warnings():
            # x0 and sigma0 are deprecated from Optuna 4.9 and kept until 6.0 (pyproject
            # pins optuna < 6); they are what a local search from a warm start needs
            warnings.simplefilter("ignore", FutureWarning)
            return optuna.samplers.CmaEsSampler(x0=x0, sigma0=sigma0, seed=seed)
    raise ValueError(f"--sampler: {kind!r}; allowed: {', '.join(SAMPLERS)}")


def _study(
    name: str,
    storage_path: Path,
    seed: int,
    worker: int,
    kind: str = "tpe",
    x0: dict[str, float] | None = None,
    sigma0: float = 0.1,
) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = _sampler(kind, seed + 7919 * worker, x0, sigma0)
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
    until: int | None = None,
    shrinkage: float = 0.0,
    plausibility_seeds: Sequence[int] = (),
    plausibility_margin: float = 0.0,
    replacement: float = 0.0,
) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        ov: dict[str, Any] = dict(fixed or {})
        for k in ks:
            if k.integer:
                ov[k.path] = trial.suggest_int(k.path, int(k.lo), int(k.hi))
            else:
                ov[k.path] = trial.suggest_float(k.path, k.lo, k.hi)
        res = evaluate(
            scenario,
            ov,
            facts,
            held,
            runs,
            seed,
            robustness,
            plausibility,
            until,
            shrinkage,
            stop=until,  # a fit that holds out the years after ``until`` stops there
            plausibility_seeds=plausibility_seeds,
            plausibility_margin=plausibility_margin,
            replacement=replacement,
        )
        keys = ("loss_holdout", "passed_in", "total_in", "passed_out", "total_out")
        extra = ("replacement_excess", "replacement_ratio") if replacement else ()
        for key in (*keys, "implausibility", "shrinkage_penalty", *extra):
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
    shrinkage: float = 0.0
    sampler: str = "tpe"
    x0: dict[str, float] | None = None
    sigma0: float = 0.1
    plausibility_seeds: tuple[int, ...] = ()
    deadline: float | None = None  # epoch seconds after which no trial starts
    plausibility_margin: float = 0.0
    replacement: float = 0.0


def _worker(job: _Job) -> None:
    import optuna
    from optuna.trial import TrialState

    if completed(job.name, Path(job.storage_path)) >= job.target:
        return  # nothing left to do (a resumed study that is already complete)
    # a deadline: optuna starts no trial once the time left has run out (a trial under
    # way finishes)
    timeout = None if job.deadline is None else job.deadline - time.time()
    if timeout is not None and timeout <= 0:
        return
    facts, _ = load_facts(job.facts_path)
    held = holdout_mask(facts, job.holdout)
    study = _study(
        job.name, Path(job.storage_path), job.seed, job.worker, job.sampler, job.x0, job.sigma0
    )
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
            None if job.holdout is None else job.holdout[0] - 1,
            job.shrinkage,
            job.plausibility_seeds,
            job.plausibility_margin,
            job.replacement,
        ),
        n_trials=job.target,  # upper bound; the callback stops at the shared target
        timeout=timeout,
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
    shrinkage: float = 0.0,
    sampler: str = "tpe",
    sigma0: float = 0.1,
    plausibility_seeds: Sequence[int] = (),
    deadline: dt.datetime | None = None,
    plausibility_margin: float = 0.0,
    replacement: float = 0.0,
) -> dict[str, Any]:
    """Run (or resume) a calibration and return the calibrated parameter set with its
    provenance. The study is keyed by ``study_name`` (default: scenario, seed, replicates
    and robustness); running again with the same storage resumes and only adds the trials
    still missing. ``robustness`` weighs the share of runs failing each fact into the
    loss, ``plausibility`` the internal states outside the record's ranges, ``shrinkage``
    the parameters' distance from their documented values (see :func:`evaluate`).
    ``sampler`` "cmaes" searches locally from the warm start (``start_from``, a parameter
    it lacks at its documented value; the ranges' midpoints without one) with initial step
    ``sigma0``, a share of each range. With a holdout the trials' runs stop in the year
    before it (the held-out facts are not evaluated in them); the best set is run to the
    end once to record its held-out loss and count;
    ``plausibility_seeds`` measure the internal states on further seeds' replicates too;
    ``plausibility_margin`` moves the ranges' bounds inward (``summary.implausibility``);
    ``replacement`` weighs in how far the replacement rules fall short of halving the
    2019 starts (:func:`replacement_excess`; not with a holdout, whose runs stop before).
    ``deadline`` (a time, say the end of a working session) stops the study early: no
    trial starts after it, the ones under way finish, and the set is written from the
    trials completed (provenance ``deadline``, ``stopped_at_deadline``); a ValueError if
    none completed."""
    import optuna

    if not (np.isfinite(robustness) and robustness >= 0):
        raise ValueError(f"--robustness: {robustness!r}; allowed: a number >= 0")
    if not (np.isfinite(plausibility) and plausibility >= 0):
        raise ValueError(f"--plausibility: {plausibility!r}; allowed: a number >= 0")
    if not (np.isfinite(plausibility_margin) and 0 <= plausibility_margin < 1):
        raise ValueError(
            f"--plausibility-margin: {plausibility_margin!r}; allowed: a number in [0, 1)"
        )
    if plausibility_margin and not plausibility:
        raise ValueError(
            f"--plausibility-margin {plausibility_margin:g}: moves the plausibility term's "
            "bounds, which weigh nothing without it; allowed: with --plausibility above 0"
        )
    if not (np.isfinite(shrinkage) and shrinkage >= 0):
        raise ValueError(f"--shrinkage: {shrinkage!r}; allowed: a number >= 0")
    if not (np.isfinite(replacement) and replacement >= 0):
        raise ValueError(f"--replacement: {replacement!r}; allowed: a number >= 0")
    if replacement and holdout is not None and holdout[0] <= FREEZE_END_YEAR:
        raise ValueError(
            f"--replacement {replacement:g}: the term reads {FREEZE_END_YEAR}, which a study "
            f"holding out {holdout[0]}-{holdout[1]} does not run; allowed: with --holdout "
            f"none (or a block after {FREEZE_END_YEAR})"
        )
    if replacement:
        replacement_check_overrides(load_scenario(scenario, calibrated=False), "--replacement")
    bad_seeds = [x for x in plausibility_seeds if int(x) < 0 or int(x) == seed]
    if bad_seeds:
        raise ValueError(
            f"--plausibility-seeds: {bad_seeds[0]!r}; allowed: seeds >= 0 other than the "
            f"study's own ({seed})"
        )
    if sampler not in SAMPLERS:
        raise ValueError(f"--sampler: {sampler!r}; allowed: {', '.join(SAMPLERS)}")
    if not (np.isfinite(sigma0) and 0 < sigma0 <= 0.5):
        raise ValueError(f"--sigma0: {sigma0!r}; allowed: a number in (0, 0.5]")
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
    ) + (f"-p{plausibility:g}" if plausibility else "") + (
        f"-m{plausibility_margin:g}" if plausibility and plausibility_margin else ""
    ) + (f"-s{shrinkage:g}" if shrinkage else "") + (f"-r{replacement:g}" if replacement else "")
    if sampler != "tpe" and not study_name:
        name += f"-{sampler}{sigma0:g}"
    # warm start: the first trial evaluates a given parameter set (e.g. the best of an
    # earlier calibration), clipped to the ranges; CMA-ES also centres its search there
    warm = start_from or {}
    x0 = {k.path: min(max(warm[k.path], k.lo), k.hi) for k in ks if k.path in warm}
    storage_path = Path(storage)
    # a searched parameter the warm start lacks starts at its documented value (the
    # prior), or the range's midpoint where there is none: in the first trial, which
    # evaluates the warm start (before session 17 the sampler drew it at random there),
    # and at the centre of CMA-ES's search
    start = None
    if warm:
        start = {
            k.path: x0.get(
                k.path, min(max(k.prior, k.lo), k.hi) if np.isfinite(k.prior) else (k.lo + k.hi) / 2
            )
            for k in ks
        }
    centre = start if sampler == "cmaes" else None
    study0 = _study(name, storage_path, seed, 0, sampler, centre, sigma0)  # create or load it
    before = completed(name, storage_path)
    if start and x0 and before == 0 and not study0.trials:
        study0.enqueue_trial(start)
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
        shrinkage=shrinkage,
        sampler=sampler,
        x0=centre,
        sigma0=sigma0,
        plausibility_seeds=tuple(plausibility_seeds),
        deadline=None if deadline is None else deadline.timestamp(),
        plausibility_margin=plausibility_margin,
        replacement=replacement,
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
    n_done = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
    if n_done == 0:
        raise ValueError(
            f"--until {deadline:%H:%M}: no trial completed before it; allowed: a later time"
            if deadline is not None
            else "no trial completed (every trial failed)"
        )
    best = study.best_trial
    values = {**fixed, **dict(best.params)}
    held_out: dict[str, Any] = {"loss_holdout": None, "passed_out": None}
    if holdout is not None:
        # the study's runs stopped before the held-out years: the best set is run to the
        # end once (its own replicates) to record how it does on them
        held_out = evaluate(scenario, values, facts, held, runs_per_trial, seed, robustness)
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
            "method": (
                "Optuna TPE on a JournalFileBackend storage"
                if sampler == "tpe"
                else f"Optuna CMA-ES from the warm start (sigma0 {sigma0:g} of each range) "
                "on a JournalFileBackend storage"
            ),
            "sampler": sampler,
            "sigma0": sigma0 if sampler == "cmaes" else None,
            "study": name,
            "storage": str(storage_path),
            "facts_sha256": digest,
            "facts_file": str(facts_path) if facts_path else "overcap/data/facts.csv",
            "trials_completed": n_done,
            "trials_before_this_call": before,
            "deadline": None if deadline is None else deadline.isoformat(timespec="minutes"),
            "stopped_at_deadline": deadline is not None and n_done < trials,
            "runs_per_trial": runs_per_trial,
            "seed": seed,
            "seeds": f"replicates 0..{runs_per_trial - 1} of seed {seed} (common random numbers)",
            "robustness": robustness,
            "plausibility": plausibility,
            "plausibility_seeds": [seed, *plausibility_seeds] if plausibility else [],
            "plausibility_margin": plausibility_margin if plausibility else 0.0,
            "internal_ranges": internal_ranges() if plausibility else None,
            "runs_end": None if holdout is None else holdout[0] - 1,
            "shrinkage": shrinkage,
            "replacement": replacement,
            "loss": (
                "sum over in-sample facts of the median's distance outside the band"
                + (f" + {robustness:g} x the share of runs failing" if robustness else "")
                + (
                    f" + {plausibility:g} x the internal states' distance outside the "
                    "record's ranges (summary.implausibility"
                    + (
                        f", summed over seeds {', '.join(map(str, [seed, *plausibility_seeds]))}"
                        if plausibility_seeds
                        else ""
                    )
                    + (
                        f", each bound moved {plausibility_margin:g} of its unit inward"
                        if plausibility_margin
                        else ""
                    )
                    + ")"
                    if plausibility
                    else ""
                )
                + (
                    f" + {replacement:g} x how far the ratio of steel's and coal's 2019 "
                    "starts with the replacement rules to starts without them lies above "
                    f"{REPLACEMENT_MAX_RATIO:g}, summed over replicates "
                    f"0..{REPLACEMENT_REPLICATES - 1} (calibration.replacement_excess)"
                    if replacement
                    else ""
                )
                + (
                    f" + {shrinkage:g} x the set's parameters' squared distances from "
                    "their documented values, in widths of their ranges "
                    "(calibration.shrinkage_penalty)"
                    if shrinkage
                    else ""
                )
            ),
            "implausibility": best.user_attrs.get("implausibility"),
            "shrinkage_penalty": best.user_attrs.get("shrinkage_penalty"),
            "replacement_excess": best.user_attrs.get("replacement_excess"),
            "replacement_ratio": best.user_attrs.get("replacement_ratio"),
            "holdout_years": list(holdout) if holdout else None,
            "holdout_ids": [f.id for f, h in zip(facts, held, strict=True) if h],
            "loss_in_sample": best.value,
            "loss_holdout": held_out["loss_holdout"],
            "passed_in_sample": best.user_attrs.get("passed_in"),
            "total_in_sample": best.user_attrs.get("total_in"),
            "passed_holdout": held_out["passed_out"],
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


# ---------------------------------------------------------------- the three scores
# How good the fit is, where users look (issue 15): README's marked block, `overcap check`,
# the report's evidence figure and limitations, the dashboard. `overcap score` measures the
# three scores of a shipped calibrated set and stores them beside it (NAME-score.json);
# everything else reads that file and runs nothing.
SCORE_BEGIN = "<!-- score:begin -->"
SCORE_END = "<!-- score:end -->"
SCORES_FORMAT = 2
# the out-of-time split: a separate set fitted only on facts whose window ends by 2012
SCORED_HOLDOUT = (2013, 2019)
SCORE_SEEDS = 3  # out-of-stream seeds: the first three the calibration never used
CAVEAT = (
    "overcap is a laboratory of mechanisms calibrated to the record, not a forecast: a score "
    "counts the facts of the record that the calibrated mechanisms reproduce; it does not "
    "say what will happen."
)


class ScoreError(ValueError):
    """Scores that cannot be measured or read (the message names the file or set)."""


def score_entry(passed: list[bool], held: list[bool]) -> dict[str, list[int]]:
    """One seed's score: all facts, in-sample and out of time, as [passed, total]."""
    p, h = np.array(passed, dtype=bool), np.array(held, dtype=bool)
    return {
        "all": [int(p.sum()), len(p)],
        "in_sample": [int(p[~h].sum()), int((~h).sum())],
        "out_of_time": [int(p[h].sum()), int(h.sum())],
    }


def holdout_set_name(name: str, years: tuple[int, int] = SCORED_HOLDOUT) -> str:
    """The name of the out-of-time set that goes with calibrated set ``name``:
    ``baseline`` -> ``baseline-holdout-2013-2019``."""
    return f"{name}-holdout-{years[0]}-{years[1]}"


def scores_file(calibration_file: str | Path) -> Path:
    """Where the scores of a calibrated set are stored: beside it, ``NAME-score.json``."""
    p = Path(calibration_file)
    return p.with_name(f"{p.stem}-score.json")


def sha256_of(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def unused_seeds(used: set[int], n: int = SCORE_SEEDS) -> list[int]:
    """The first ``n`` seeds from 1 on that are not in ``used`` (the seeds the calibrated
    sets were fitted on): 1, 2, 3 unless one of them was used, then the next unused."""
    out: list[int] = []
    s = 1
    while len(out) < n:
        if s not in used:
            out.append(s)
        s += 1
    return out


def set_info(path: str | Path) -> dict[str, Any]:
    """What the scores record of a calibrated set: file name, SHA-256 of its bytes, the
    seed whose streams it was fitted on, the facts it was fitted on and its holdout."""
    p = Path(path)
    try:
        prov = json.loads(p.read_text(encoding="utf-8")).get("provenance") or {}
    except (OSError, ValueError, AttributeError):
        raise ScoreError(f"calibrated set {p}: not a readable calibration file") from None
    seed = prov.get("seed")
    held = prov.get("holdout_years")
    return {
        "file": p.name,
        "sha256": sha256_of(p),
        "fit_seed": None if seed is None else int(seed),
        "fit_facts_sha256": prov.get("facts_sha256"),
        "holdout_years": None if held is None else [int(y) for y in held],
    }


# The replacement rules work when a sector starts in 2019 less than this share of what it
# starts with the rules moved out (replacement_starts; the shipped-baseline test and the
# pick's --replacement read the same bound)
REPLACEMENT_MAX_RATIO = 0.5
# the replicates of a seed the check runs (the pick's --replacement, the loss's term)
REPLACEMENT_REPLICATES = 2
# the loss's replacement term counts a ratio at most this (a sector that starts nothing
# without the rules has an infinite ratio: a failure, but a bounded one in the loss)
REPLACEMENT_RATIO_CAP = 2.0


def replacement_rules_off(sc: Scenario) -> dict[str, list[int]]:
    """Overrides that move every capacity-replacement event of ``sc`` out of the
    recorded years (to 2029-30), the counterfactual the replacement rules' check
    compares with."""
    return {
        f"events.{name}.years": [2029, 2030]
        for name, ev in sc.events.items()
        if ev.kind == "capacity_replacement"
    }


def replacement_starts(
    sc: Scenario, seed: int, replicate: int | None = None
) -> dict[str, tuple[float, float]]:
    """For steel and coal, the capacity started in 2019 over the capacity of 2018
    (``summary.starts_after_freeze``) in one run of ``sc`` and in the same run with its
    replacement events moved out (``replacement_rules_off``): the rules work when the
    first is below REPLACEMENT_MAX_RATIO of the second (tests/test_scenarios_shipped.py;
    the pick's ``--replacement`` condition, docs/CALIBRATION.md "The replacement rules
    hold")."""
    off = replacement_check_overrides(sc)
    on = run_model(sc, seed, replicate=replicate).sectors
    without = run_model(sc, seed, overrides=off, replicate=replicate).sectors
    return {
        s: (starts_after_freeze(on, s), starts_after_freeze(without, s)) for s in FREEZE_END_SECTORS
    }


def replacement_ratio(on: float, without: float) -> float:
    """Starts with the replacement rules over starts without them; infinite when nothing
    starts without them (the rules then stopped no wave: a failure)."""
    return on / without if without > 0 else float("inf")


def replacement_check_overrides(sc: Scenario, option: str = "") -> dict[str, list[int]]:
    """The overrides that move ``sc``'s replacement events out (``replacement_rules_off``),
    or a one-line error (prefixed by the ``option`` it concerns, if any) when the
    replacement rules' check cannot be measured on it: runs that end before 2019, or no
    replacement event (``replacement_starts``, ``replacement_excess``)."""
    prefix = f"{option}: " if option else ""
    if sc.time.end_year < FREEZE_END_YEAR:
        raise ValueError(
            f"{prefix}the runs end in {sc.time.end_year} (scenario {sc.name!r}); the "
            f"replacement check reads {FREEZE_END_YEAR}: time.end_year must be "
            f"{FREEZE_END_YEAR} or later (no holdout before it)"
        )
    off = replacement_rules_off(sc)
    if not off:
        raise ValueError(
            f"{prefix}scenario {sc.name!r} has no capacity_replacement event to move out; "
            "allowed: a scenario with the replacement rules (baseline)"
        )
    return off


def replacement_excess(sc: Scenario, seed: int, on: Sequence[Any]) -> tuple[float, float]:
    """The loss's replacement term (``evaluate(replacement=...)``) and the largest ratio
    it saw, at most REPLACEMENT_RATIO_CAP (the cap stands for "that or more", or nothing
    started without the rules: a number JSON writes, where infinity is not). ``on`` are
    runs of ``sc`` (replicate i of ``seed`` at index i, as ``ensemble`` returns them);
    for each of the first REPLACEMENT_REPLICATES the same replicate is run with the
    replacement events moved out, and the term sums, over those replicates and
    FREEZE_END_SECTORS, how far the ratio of 2019 starts with the rules to starts
    without them (``replacement_ratio``, at most REPLACEMENT_RATIO_CAP) lies above
    REPLACEMENT_MAX_RATIO: 0 when every ratio is at most that bound (the pick's
    ``--replacement`` condition, docs/CALIBRATION.md "The replacement rules hold", wants
    each below it)."""
    off = replacement_check_overrides(sc, "--replacement")
    n = min(REPLACEMENT_REPLICATES, len(on))
    excess, worst = 0.0, 0.0
    for rep in range(n):
        without = run_model(sc, seed, overrides=off, replicate=rep).sectors
        for s in FREEZE_END_SECTORS:
            ratio = replacement_ratio(
                starts_after_freeze(on[rep].sectors, s), starts_after_freeze(without, s)
            )
            capped = min(ratio, REPLACEMENT_RATIO_CAP)
            worst = max(worst, capped)
            excess += max(0.0, capped - REPLACEMENT_MAX_RATIO)
    return excess, worst


def _median(xs: list[int]) -> float | int:
    m = float(np.median(xs))
    return int(m) if m.is_integer() else m


def measure_scores(
    scenario: str = "baseline",
    runs: int = 10,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """The three scores of the scenario's shipped calibrated set, on the packaged facts.

    - in-sample: the shipped set on its calibration's own streams (``runs`` replicates of
      the seed in its provenance), all facts;
    - out of stream: the shipped set on the first :data:`SCORE_SEEDS` seeds no set was
      fitted on, each seed's score and their median (the headline "shipped score");
    - out of time: the separate set ``NAME-holdout-2013-2019.json``, fitted only on facts
      whose window ends by 2012, on the same out-of-stream seeds: its median score on the
      facts it never saw and on those it saw; None when that set is not in the package.

    ``progress(done, total)`` counts runs over all the checks (7 by default)."""
    sc = load_scenario(scenario)
    cal = sc.calibrated or {}
    if not cal.get("file"):
        raise ScoreError(f"{scenario}: names no calibrated set (calibration = ...) to score")
    facts, digest = load_facts()
    shipped_path = Path(str(cal["file"]))
    shipped = set_info(shipped_path)
    hold_path = shipped_path.with_name(holdout_set_name(shipped_path.stem) + ".json")
    hold = set_info(hold_path) if hold_path.exists() else None
    if hold is not None and hold["holdout_years"] != list(SCORED_HOLDOUT):
        raise ScoreError(
            f"{hold_path.name}: fitted with holdout_years {hold['holdout_years']}; the out-of-"
            f"time score needs a set fitted with --holdout {SCORED_HOLDOUT[0]}-{SCORED_HOLDOUT[1]}"
        )
    used = {s["fit_seed"] for s in (shipped, hold) if s is not None and s["fit_seed"] is not None}
    seeds = unused_seeds(used)
    held = holdout_mask(facts, SCORED_HOLDOUT)
    plan: list[tuple[str, Scenario, int]] = []
    if shipped["fit_seed"] is not None:
        plan.append(("in_sample", sc, shipped["fit_seed"]))
    plan += [("out_of_stream", sc, s) for s in seeds]
    if hold is not None:
        # the out-of-time set in place of the one the scenario names (a parameter it lacks
        # keeps its default, not the shipped set's value)
        hold_sc = load_scenario(scenario, calibration=str(hold_path))
        plan += [("out_of_time", hold_sc, s) for s in seeds]
    total = len(plan) * runs
    scored: dict[str, dict[int, dict[str, list[int]]]] = {}
    for k, (role, s_sc, seed) in enumerate(plan):

        def tick(done: int, _n: int, k: int = k) -> None:
            if progress is not None:
                progress(k * runs + done, total)

        results = ensemble(
            s_sc, runs=runs, seed=seed, workers=workers, scheduler=scheduler, progress=tick
        )
        passed = [bool(x) for x in check(results, facts)["passed"]]
        scored.setdefault(role, {})[seed] = score_entry(passed, held)
    n = len(facts)
    oos = {str(s): e["all"][0] for s, e in scored["out_of_stream"].items()}
    doc: dict[str, Any] = {
        "format": SCORES_FORMAT,
        "scenario": sc.name,
        "note": "the three scores of the shipped calibrated set, written by `overcap score`; "
        "README, overcap check, the report and the dashboard read them",
        "runs": runs,
        "facts_sha256": digest,
        "facts_total": n,
        "date": dt.date.today().isoformat(),
        "version": __version__,
        "sets": {"shipped": shipped, "holdout": hold or {"file": hold_path.name, "sha256": None}},
        "in_sample": None,
        "out_of_stream": {"seeds": oos, "median": _median(list(oos.values())), "total": n},
        "out_of_time": None,
    }
    if "in_sample" in scored:
        ((seed, e),) = scored["in_sample"].items()
        doc["in_sample"] = {"seed": seed, "passed": e["all"][0], "total": n}
    if "out_of_time" in scored:
        by_seed = scored["out_of_time"]
        unseen = {str(s): e["out_of_time"][0] for s, e in by_seed.items()}
        seen = {str(s): e["in_sample"][0] for s, e in by_seed.items()}
        doc["out_of_time"] = {
            "holdout_years": list(SCORED_HOLDOUT),
            "unseen": {
                "seeds": unseen,
                "median": _median(list(unseen.values())),
                "total": int(sum(held)),
            },
            "seen": {
                "seeds": seen,
                "median": _median(list(seen.values())),
                "total": n - int(sum(held)),
            },
        }
    return doc


def load_scores(calibration_file: str | Path) -> dict[str, Any] | None:
    """The stored scores of a calibrated set (None when none are stored)."""
    p = scores_file(calibration_file)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ScoreError(f"stored scores {p}: cannot read: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != SCORES_FORMAT:
        raise ScoreError(
            f"stored scores {p}: format {doc.get('format') if isinstance(doc, dict) else '?'}"
            f", expected {SCORES_FORMAT}; rewrite it with overcap score"
        )
    return doc


def scores_of(calibrated: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored scores of a loaded scenario's calibrated set (``Scenario.calibrated``),
    None when it has no set or no scores are stored for it."""
    if not calibrated or not calibrated.get("file"):
        return None
    return load_scores(str(calibrated["file"]))


def stale(doc: dict[str, Any], calibration_file: str | Path) -> list[str]:
    """Why stored scores no longer describe the package: the facts, the shipped set or
    the out-of-time set are not the files they were measured on (empty: up to date)."""
    why = []
    if load_facts()[1] != doc.get("facts_sha256"):
        why.append("facts.csv changed")
    ship = Path(calibration_file)
    if sha256_of(ship) != doc.get("sets", {}).get("shipped", {}).get("sha256"):
        why.append(f"{ship.name} changed")
    hold = ship.with_name(holdout_set_name(ship.stem) + ".json")
    was = doc.get("sets", {}).get("holdout", {}).get("sha256")
    now = sha256_of(hold) if hold.exists() else None
    if now != was:
        why.append(f"{hold.name} " + ("was added" if was is None else "changed or went"))
    return why


def _n(x: float | int) -> str:
    return f"{x:g}"


def score_parts(doc: dict[str, Any]) -> dict[str, str]:
    """The three scores as short English phrases (``overcap check``, README)."""
    n = doc["facts_total"]
    oos = doc["out_of_stream"]
    seeds = ", ".join(oos["seeds"])
    ins = doc.get("in_sample")
    oot = doc.get("out_of_time")
    shipped = doc["sets"]["shipped"]["file"]
    hold = doc["sets"]["holdout"]["file"]
    parts = {
        "shipped": f"{_n(oos['median'])} / {n}",
        "in_sample": (
            f"{ins['passed']} / {n} ({shipped} on the calibration's own streams, seed "
            f"{ins['seed']})"
            if ins
            else "not recorded (the set names no seed)"
        ),
        "out_of_stream": (
            f"{_n(oos['median'])} / {n}, median of seeds {seeds} ("
            + ", ".join(str(v) for v in oos["seeds"].values())
            + ") that the calibration never used"
        ),
    }
    if oot:
        u, s = oot["unseen"], oot["seen"]
        parts["out_of_time"] = (
            f"{_n(u['median'])} / {u['total']} facts it never saw (windows ending "
            f"{oot['holdout_years'][0]} or later), {_n(s['median'])} / {s['total']} of those "
            f"it was fitted on ({hold}, median of seeds {', '.join(u['seeds'])})"
        )
    else:
        parts["out_of_time"] = f"not recorded ({hold} is not in the package)"
    return parts


def _saw_the_same_facts(role: str, fit_digest: str, doc: dict[str, Any]) -> bool:
    """A set fitted on the packaged facts.csv's bytes before the digest covered
    data/fact_units.csv (session 41), none of whose fitted facts a conversion changes:
    the facts it was fitted on are those scored. The out-of-time set fits the facts
    whose window ends before its holdout; the shipped set fits them all."""
    facts, digest = load_facts()
    if doc.get("facts_sha256") != digest:
        return False  # scored on other facts than the packaged ones
    if fit_digest != sha256_of(data_path("facts.csv")):
        return False
    oot = doc.get("out_of_time") or {}
    start = oot.get("holdout_years", [None])[0] if role == "holdout" else None
    fitted = [f for f in facts if start is None or f.year_to < int(start)]
    return all(f.factor == 1.0 for f in fitted)


def fitted_elsewhere(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The scored sets (as in ``doc["sets"]``) that were fitted on another facts file
    than the one scored, unless only the unit conversions differ and they change none of
    the facts the set was fitted on (:func:`_saw_the_same_facts`)."""
    digest = doc.get("facts_sha256")
    out = []
    for role in ("shipped", "holdout"):
        s = doc["sets"][role]
        fit = s.get("fit_facts_sha256")
        if s.get("sha256") and fit not in (None, digest):
            if not _saw_the_same_facts(role, str(fit), doc):
                out.append(s)
    return out


def fit_notes(doc: dict[str, Any]) -> list[str]:
    """Caveats the scores carry: a set fitted on other facts than those scored."""
    digest = str(doc.get("facts_sha256"))
    return [
        f"{s['file']} was fitted on another facts file (sha256 {s['fit_facts_sha256'][:12]}) "
        f"than the one scored ({digest[:12]}): its scores are of a stale calibration"
        for s in fitted_elsewhere(doc)
    ]


def score_block(doc: dict[str, Any]) -> str:
    """README's marked block, generated from the stored scores (no run)."""
    p = score_parts(doc)
    sets = doc["sets"]
    lines = [
        SCORE_BEGIN,
        f"*{CAVEAT}*",
        "",
        f"**Shipped score: {p['shipped']} facts** (the out-of-stream median below).",
        "",
        "| score | facts passed |",
        "| --- | --- |",
        f"| in-sample | {p['in_sample']} |",
        f"| out of stream | {p['out_of_stream']} |",
        f"| out of time | {p['out_of_time']} |",
        "",
        f"Measured by `overcap score {doc['scenario']} --runs {doc['runs']}` on "
        f"{doc['date']} (overcap {doc['version']}; facts sha256 {doc['facts_sha256'][:12]}, "
        f"{sets['shipped']['file']} sha256 {sets['shipped']['sha256'][:12]}"
        + (
            f", {sets['holdout']['file']} sha256 {sets['holdout']['sha256'][:12]}"
            if sets["holdout"].get("sha256")
            else ""
        )
        + ").",
    ]
    notes = fit_notes(doc)
    if notes:
        lines += ["", *(f"*Note: {x}.*" for x in notes)]
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
