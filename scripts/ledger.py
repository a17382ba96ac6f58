"""The per-fact ledger of a calibrated set on the scoring seeds: each fact's median and
pass or fail on every seed, the facts it fails on all of them, and (with ``--against``)
what moved against another set. The "What fails" table of docs/CALIBRATION.md is read
off it.

    python scripts/ledger.py                           # the shipped set, seeds 1-3
    python scripts/ledger.py PICK.json --against src/overcap/calibration/baseline.json
    python scripts/ledger.py --set trade.learning_spillover=0.5   # a probe
    python scripts/ledger.py --seeds 1,2,3 --runs 10 --json ledger.json

A set file is a calibrated set's JSON; it takes the shipped set's place the way
``overcap score`` puts the out-of-time set there (a parameter the file lacks keeps its
default); ``--set`` adds overrides on top, on both sides.
Runs are ``overcap check``'s: replicate i of each seed, 10 runs by default, in this
process, with NumPy's AVX-512 kernels off as ``make test`` runs them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

# overcap first, so that NumPy loads with make test's kernels and warns of nothing
from overcap._kernels import ensure_neutral

# isort: split
import pandas as pd

from overcap.evidence import check, load_facts
from overcap.experiments import ensemble
from overcap.scenario import ScenarioError, load_scenario, parse_override


def _overrides(extra: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in extra:
        path, value = parse_override(item)
        out[".".join(path)] = value
    return out


def ledger(
    set_file: Path | None, overrides: dict[str, Any], seeds: list[int], runs: int
) -> pd.DataFrame:
    """One row per fact and seed: id, seed, value (median of ``runs``), passed, low,
    high, label. ``set_file`` takes the shipped set's place as ``overcap score`` puts the
    out-of-time set in it (``load_scenario(..., calibration=)``); ``overrides`` go on top."""
    calibration = None if set_file is None else str(set_file)
    sc = load_scenario("baseline", overrides or None, calibration=calibration)
    facts, _ = load_facts(None)
    frames = []
    for seed in seeds:
        tab = check(ensemble(sc, runs=runs, seed=seed, workers=0), facts)
        tab["seed"] = seed
        frames.append(tab[["id", "seed", "value", "passed", "low", "high", "label"]])
    return pd.concat(frames, ignore_index=True)


def _cell(value: float, passed: bool) -> str:
    return f"{value:10.4g}{'+' if passed else '-'}"


def render(main: pd.DataFrame, other: pd.DataFrame | None, seeds: list[int]) -> str:
    lines = []
    counts = main.groupby("seed")["passed"].sum()
    med = int(pd.Series([counts[s] for s in seeds]).median())
    lines.append(
        "passed: " + ", ".join(f"seed {s}: {counts[s]}" for s in seeds) + f"; median {med}"
    )
    if other is not None:
        oc = other.groupby("seed")["passed"].sum()
        om = int(pd.Series([oc[s] for s in seeds]).median())
        lines.append(
            "against: " + ", ".join(f"seed {s}: {oc[s]}" for s in seeds) + f"; median {om}"
        )
    by = main.pivot(index="id", columns="seed")
    ob = other.pivot(index="id", columns="seed") if other is not None else None
    failing, moved = [], []
    for fid in by.index:
        row = by.loc[fid]
        label = str(row["label"].iloc[0])
        band = f"[{row['low'].iloc[0]:g}, {row['high'].iloc[0]:g}]"
        cells = " ".join(_cell(row["value"][s], bool(row["passed"][s])) for s in seeds)
        n_pass = int(sum(bool(row["passed"][s]) for s in seeds))
        line = f"{fid} {band:>18} {cells}"
        if ob is not None:
            orow = ob.loc[fid]
            o_pass = int(sum(bool(orow["passed"][s]) for s in seeds))
            ocells = " ".join(_cell(orow["value"][s], bool(orow["passed"][s])) for s in seeds)
            line += f" | {ocells}"
            if o_pass != n_pass:
                moved.append(f"{fid}: passes on {n_pass} seeds (against: {o_pass})  {label}")
        lines.append(line + f"  {label[:60]}")
        if n_pass == 0:
            failing.append(fid)
    lines.append(f"failing on every seed ({len(failing)}): " + ", ".join(failing))
    if ob is not None:
        lines.append(f"passing on another number of seeds ({len(moved)}):")
        lines.extend("  " + m for m in moved)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("set_file", type=Path, nargs="?", help="a calibrated set (default: shipped)")
    ap.add_argument("--against", type=Path, default=None, help="another set to compare with")
    ap.add_argument("--set", action="append", default=[], help="an override path=value")
    ap.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    ap.add_argument("--runs", type=int, default=10, help="runs a seed (default 10)")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    a = ap.parse_args(argv)
    try:
        seeds = [int(s) for s in a.seeds.split(",") if s.strip()]
    except ValueError:
        ap.error(f"--seeds {a.seeds!r}: expected comma-separated whole numbers, e.g. 1,2,3")
    if not seeds or a.runs < 1:
        ap.error("expected at least one seed and --runs of at least 1")
    try:
        extra = _overrides(a.set)
        main_rows = ledger(a.set_file, extra, seeds, a.runs)
        other = ledger(a.against, extra, seeds, a.runs) if a.against else None
    except (ValueError, ScenarioError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(render(main_rows, other, seeds))
    if a.json is not None:
        a.json.write_text(main_rows.to_json(orient="records", indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    ensure_neutral()  # pandas imports NumPy above: start again with make test's kernels
    sys.exit(main(sys.argv[1:]))
