"""What an experiment varies: parameters with their documented ranges, grids and Latin
hypercubes over them, and :func:`sweep`, which runs every point."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from overcap.experiments.execution import Execution, Summary
from overcap.experiments.runs import run_experiment
from overcap.experiments.spec import (
    ExperimentError,
    check_loaded,
    overrides_dict,
    plain,
    resolve,
)
from overcap.experiments.view import Experiment
from overcap.scenario import (
    SECTOR_PARAMS,
    Scenario,
    ScenarioError,
    _check_path,
    _field_info,
    field_bounds,
    parse_override,
    sector_table,
)


@dataclass(frozen=True)
class Param:
    """A parameter that can be varied: its path, documented range and type."""

    path: str
    lo: float | None
    hi: float | None
    unit: str
    kind: str  # "float", "int", "bool", "str", "other"


def param_info(path: str) -> Param:
    """The documented range and type of a parameter path (``section.name`` or
    ``sectors.<sector>.<parameter>``); an unknown path raises a one-line ScenarioError
    listing what is allowed."""
    parts = path.split(".")
    _check_path(parts, path)
    if parts[0] == "sectors":
        _value, lo, hi = sector_table()[parts[1]][parts[2]]
        assert parts[2] in SECTOR_PARAMS
        return Param(path, float(lo), float(hi), "", "float")
    info = _field_info(parts)
    if info is None:
        return Param(path, None, None, "", "other")
    lo, hi, unit = field_bounds(info)
    ann = info.annotation
    kind = {float: "float", int: "int", bool: "bool", str: "str"}.get(ann, "other")
    return Param(path, lo, hi, unit, kind)


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """``["a.b=1,2,3", "c.d=true,false"]`` -> {"a.b": [1, 2, 3], "c.d": [True, False]}."""
    grid: dict[str, list[Any]] = {}
    for text in items:
        key, sep, values = text.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise ExperimentError(f"--grid {text!r}: expected path.to.param=v1,v2,...")
        try:
            param_info(key)
        except ScenarioError as exc:
            raise ExperimentError(f"--grid {text!r}: {exc}") from None
        vals = []
        for v in values.split(","):
            if not v.strip():
                raise ExperimentError(f"--grid {text!r}: an empty value")
            vals.append(parse_override(f"{key}={v}")[1])
        if key in grid:
            raise ExperimentError(f"--grid {key}: given twice")
        grid[key] = vals
    return grid


def parse_ranges(items: Sequence[str], flag: str = "--lhs") -> dict[str, tuple[float, float]]:
    """``["a.b=0.1:0.9"]`` -> {"a.b": (0.1, 0.9)}, inside the documented range."""
    out: dict[str, tuple[float, float]] = {}
    for text in items:
        key, sep, rng = text.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ExperimentError(f"{flag} {text!r}: expected path.to.param=LOW:HIGH")
        out[key] = _range(key, rng, f"{flag} {text!r}")
    return out


def _range(key: str, rng: str, where: str) -> tuple[float, float]:
    try:
        info = param_info(key)
    except ScenarioError as exc:
        raise ExperimentError(f"{where}: {exc}") from None
    if info.kind not in ("float", "int"):
        raise ExperimentError(f"{where}: {key} is a {info.kind} parameter; only numbers vary")
    a, sep, b = rng.partition(":")
    try:
        lo, hi = float(a), float(b)
    except ValueError:
        raise ExperimentError(f"{where}: expected LOW:HIGH numbers, e.g. 0.2:0.8") from None
    if not sep or not (lo < hi) or not (math.isfinite(lo) and math.isfinite(hi)):
        raise ExperimentError(f"{where}: expected LOW:HIGH with LOW < HIGH")
    if (info.lo is not None and lo < info.lo) or (info.hi is not None and hi > info.hi):
        raise ExperimentError(
            f"{where}: {key} must stay within its documented range "
            f"{info.lo} to {info.hi}{(' ' + info.unit) if info.unit else ''}"
        )
    return lo, hi


def grid_samples(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def lhs_samples(ranges: dict[str, tuple[float, float]], n: int, seed: int) -> list[dict[str, Any]]:
    """A Latin hypercube of ``n`` points over the ranges (integers rounded), reproducible
    from ``seed``."""
    if n < 1:
        raise ExperimentError(f"--samples {n}: at least 1")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31 - 1,)))
    keys = list(ranges)
    cols: dict[str, list[Any]] = {}
    for k in keys:
        lo, hi = ranges[k]
        u = (rng.permutation(n) + rng.random(n)) / n
        v = lo + u * (hi - lo)
        if param_info(k).kind == "int":
            cols[k] = [int(round(x)) for x in v]
        else:
            cols[k] = [float(x) for x in v]
    return [{k: cols[k][i] for k in keys} for i in range(n)]


def sweep(
    scenario: str | Scenario = "baseline",
    grid: dict[str, Sequence[Any]] | Sequence[str] | None = None,
    lhs: dict[str, tuple[float, float]] | Sequence[str] | None = None,
    samples: int = 10,
    runs: int = 1,
    seed: int | None = None,
    overrides: dict[str, Any] | list[str] | None = None,
    *,
    loaded: Scenario | None = None,
    execution: Execution | None = None,
    **options: Any,
) -> tuple[Experiment, Summary]:
    """A parameter sweep: every point of ``grid`` (the Cartesian product) times every
    point of a Latin hypercube of ``samples`` points over ``lhs`` ranges, each run
    ``runs`` times (replicate r shares stream r of ``seed`` across points). Stored as
    experiment ``name`` (generated when not given). ``execution`` (or its fields as
    keywords: name, results, resume, retry_failed, workers, scheduler, client,
    batch_size, progress) says where and how the runs go. ``loaded``: the scenario
    ``scenario`` names (a name or path, which keys it in the experiment), already
    loaded with ``overrides`` by the caller, so that it is loaded once."""
    ex = Execution.of(execution, **options)
    check_loaded(scenario, loaded)
    if isinstance(grid, dict):
        g = {k.replace("__", "."): list(v) for k, v in grid.items()}
    else:
        g = parse_grid(list(grid or []))
    for k in g:
        try:
            param_info(k)
        except ScenarioError as exc:
            raise ExperimentError(f"--grid {k}: {exc}") from None
    if isinstance(lhs, dict):
        ranges = {}
        for k, (lo, hi) in lhs.items():
            ranges[k.replace("__", ".")] = _range(k, f"{lo}:{hi}", f"--lhs {k}")
    else:
        ranges = parse_ranges(list(lhs or []))
    both = sorted(set(g) & set(ranges))
    if both:
        raise ExperimentError(f"{both[0]} is in --grid and in --lhs; vary it one way")
    if not g and not ranges:
        raise ExperimentError("a sweep needs --grid PATH=V1,V2,... or --lhs PATH=LOW:HIGH")
    base = overrides_dict(overrides)
    sc = loaded if loaded is not None else resolve(scenario, base)
    s = sc.seed if seed is None else int(seed)
    points = grid_samples(g) if g else [{}]
    lhs_points = lhs_samples(ranges, samples, s) if ranges else [{}]
    combos = [{**a, **b} for a in points for b in lhs_points]
    design = {
        "grid": {k: [plain(x) for x in v] for k, v in g.items()},
        "lhs": {k: list(v) for k, v in ranges.items()},
        "lhs_samples": samples if ranges else 0,
    }
    return run_experiment(
        "sweep",
        [(scenario, c) for c in combos],
        runs,
        s,
        base,
        design=design,
        loaded={scenario: sc} if isinstance(scenario, str) else None,
        execution=ex,
    )
