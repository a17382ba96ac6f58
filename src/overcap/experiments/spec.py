"""What an experiment is: its definition (kind, samples, runs, seed, the resolved
scenarios and their digests), checked up front, and what a ``--resume`` must match."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from overcap._version import __version__
from overcap.scenario import Scenario, load_scenario, parse_override
from overcap.store import root_of

KINDS = ("ensemble", "sweep", "compare", "sensitivity", "attribution", "discovery")
# the fields of a definition that decide which runs exist and what they compute: a
# --resume must match them
DEFINING = ("kind", "runs", "seed", "base", "digests", "design", "samples")
# keys of a design that say how the runs are read, not which runs exist: a --resume
# may change them (a discovery's criterion; discovery experiments stored before
# session 47 hold it in their design)
READING_KEYS = ("criterion",)


class ExperimentError(ValueError):
    """A user error about an experiment (bad spec, resume mismatch): one line."""


def overrides_dict(overrides: Mapping[str, Any] | Sequence[str] | None) -> dict[str, Any]:
    """``--set`` strings or a dict (``a__b`` or ``a.b`` keys) as {dotted path: value}:
    the one place override strings are parsed."""
    if not overrides:
        return {}
    if isinstance(overrides, Mapping):
        return {k.replace("__", "."): v for k, v in overrides.items()}
    out: dict[str, Any] = {}
    for text in overrides:
        path, value = parse_override(text)
        out[".".join(path)] = value
    return out


def resolve(scenario: str | Scenario, overrides: dict[str, Any] | None = None) -> Scenario:
    """The scenario with ``overrides`` (a dict from :func:`overrides_dict`); a Scenario
    without overrides is returned as it is (it was validated when it was made)."""
    if isinstance(scenario, Scenario) and not overrides:
        return scenario
    return load_scenario(scenario, overrides)


def check_loaded(scenario: str | Scenario, loaded: Scenario | None) -> None:
    """A scenario loaded by the caller goes with the name or path it was loaded from
    (that string keys it in the experiment): ValueError otherwise."""
    if loaded is not None and not isinstance(scenario, str):
        raise ValueError("loaded goes with a scenario given by name or path, not a Scenario")
    if loaded is not None and not isinstance(loaded, Scenario):
        raise ValueError(f"loaded: a Scenario, not {type(loaded).__name__}")


def scenario_params(sc: Scenario) -> dict[str, Any]:
    """The parameters that decide a scenario's runs, as JSON-safe values: everything but
    where its calibration file lies."""
    d = sc.to_dict()
    if isinstance(d.get("calibrated"), dict):
        d["calibrated"] = {k: v for k, v in d["calibrated"].items() if k != "file"}
    return d


def digest(sc: Scenario) -> str:
    """SHA-256 of :func:`scenario_params`: two scenarios with one digest run the same."""
    text = json.dumps(scenario_params(sc), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _key(scenario: str | Scenario) -> str:
    return scenario.name if isinstance(scenario, Scenario) else str(scenario)


def define(
    kind: str,
    samples: Sequence[tuple[str | Scenario, dict[str, Any]]],
    runs: int,
    seed: int,
    base: dict[str, Any] | list[str] | None = None,
    design: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    loaded: Mapping[str, Scenario] | None = None,
) -> tuple[dict[str, Any], dict[str, Scenario]]:
    """The definition of an experiment (JSON) and its resolved scenarios, checking every
    sample up front: a bad scenario or parameter raises ScenarioError before anything
    runs. ``loaded`` holds scenarios the caller has already loaded with ``base``, by the
    name or path it gave (so a command loads each scenario once)."""
    if kind not in KINDS:
        raise ExperimentError(f"kind {kind!r}; allowed: {', '.join(KINDS)}")
    if runs < 1:
        raise ExperimentError(f"runs {runs}: at least 1")
    if not samples:
        raise ExperimentError("an experiment needs at least one sample")
    base_d = overrides_dict(base)
    resolved: dict[str, Scenario] = {}
    keys: list[str] = []
    seen: dict[int, str] = {}  # Scenario objects already resolved, by id
    for scenario, _ in samples:
        if isinstance(scenario, str) and scenario in resolved:
            keys.append(scenario)
            continue
        if isinstance(scenario, Scenario) and id(scenario) in seen:
            keys.append(seen[id(scenario)])
            continue
        if isinstance(scenario, str) and loaded is not None and scenario in loaded:
            sc = loaded[scenario]
        else:
            sc = load_scenario(scenario, base_d)
        key, n = _key(scenario), 2
        # two different scenarios of the same name (Scenario objects) get distinct keys
        while key in resolved and digest(resolved[key]) != digest(sc):
            key, n = f"{_key(scenario)}#{n}", n + 1
        resolved.setdefault(key, sc)
        if isinstance(scenario, Scenario):
            seen[id(scenario)] = key
        keys.append(key)
    out_samples = []
    for key, (_scenario, params) in zip(keys, samples, strict=True):
        params = {str(k).replace("__", "."): plain(v) for k, v in params.items()}
        clash = sorted(set(params) & set(base_d))
        if clash:
            raise ExperimentError(
                f"{clash[0]} is both set (--set) and varied; vary it or set it, not both"
            )
        if params:
            load_scenario(resolved[key], params)  # raises a one-line ScenarioError
        out_samples.append({"scenario": key, "parameters": params})
    spec = {
        "kind": kind,
        "scenarios": list(resolved),
        "base": {k: plain(v) for k, v in base_d.items()},
        "samples": out_samples,
        "runs": int(runs),
        "seed": int(seed),
        "total_runs": len(out_samples) * int(runs),
        "digests": {k: digest(sc) for k, sc in resolved.items()},
        "design": design or {},
        "extra": extra or {},
        "version": __version__,
    }
    return spec, resolved


def plain(v: Any) -> Any:
    """A JSON-safe value (numpy scalars to Python)."""
    if isinstance(v, np.generic):
        return v.item()
    return v


def check_same(stored: dict[str, Any], new: dict[str, Any], name: str) -> None:
    """A --resume must ask for the experiment it resumes."""
    for key in DEFINING:
        a, b = stored.get(key), new.get(key)
        if key == "design" and isinstance(a, dict) and isinstance(b, dict):
            a = {k: v for k, v in a.items() if k not in READING_KEYS}
            b = {k: v for k, v in b.items() if k not in READING_KEYS}
        if json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str):
            continue
        if key == "digests":
            aa = a if isinstance(a, dict) else {}
            bb = b if isinstance(b, dict) else {}
            changed = [k for k in bb if aa.get(k) != bb[k]]
            raise ExperimentError(
                f"--resume: the parameters of scenario {changed[0] if changed else '?'!r} "
                f"changed since experiment {name!r} started; results would not be "
                "comparable (start a new --name)"
            )
        if key == "samples":
            na, nb = len(a or []), len(b or [])
            raise ExperimentError(
                f"--resume: experiment {name!r} was started with {na} points, this command "
                f"asks for {nb} points{' with other parameters' if na == nb else ''}; repeat "
                "the original command with --resume, or start a new --name"
            )
        show_a = json.dumps(a, default=str)
        show_b = json.dumps(b, default=str)
        if key == "design":
            show_b = f"another design ({show_b[:150]})"
        else:
            show_b = f"{key} {show_b[:150]}"
        raise ExperimentError(
            f"--resume: experiment {name!r} was started with {key} {show_a[:150]}, this "
            f"command asks for {show_b}; repeat the original command with --resume, or start "
            "a new --name"
        )


def units(spec: dict[str, Any]) -> list[tuple[int, int, int]]:
    """(run, sample, replicate) of every run of the experiment."""
    n = int(spec["runs"])
    return [(j * n + r, j, r) for j in range(len(spec["samples"])) for r in range(n)]


def generate_name(kind: str, scenario: str, results: str | Path | None) -> str:
    """A free experiment name ``KIND-SCENARIO-YYYYmmdd-HHMMSS[-N]`` under ``results``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(scenario).stem).strip("-.") or "scenario"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{kind}-{stem}-{stamp}"
    root = root_of(results)
    name, n = base, 2
    while (root / name).exists():
        name, n = f"{base}-{n}", n + 1
    return name
