"""Which calibratable parameters the in-sample facts speak to: a Morris screening
(elementary effects, Morris 1991; Campolongo, Cariboni and Saltelli 2007's mu*) of the
calibration loss over every parameter's calibration range, with SALib.

The loss is the study's facts part: the in-sample facts' distances
(`overcap.calibration.evaluate`, without shrinkage; the plausibility term only if asked),
on K replicates of one seed. Facts
held out (``--holdout``) never enter it, and the script prints no held-out score: it is
meant to choose, before an out-of-time study, the parameters that study searches.

    python scripts/screen_params.py OUT.json --seed 13 --holdout 2013-2019 \\
        --runs 3 --trajectories 10 [--plausibility W] [--params a,b,c] [--top 10]

OUT.json records every parameter's mu*, mu and sigma, the ranking, the top ones, the
design and its seed, and each evaluated point's loss."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from SALib.analyze import morris as morris_analyze
from SALib.sample import morris as morris_sample

from overcap import __version__
from overcap._kernels import ensure_neutral
from overcap.calibration import evaluate, holdout_mask, knobs, parse_holdout
from overcap.evidence import load_facts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--holdout", default="none", help="FROM-TO or none")
    ap.add_argument("--plausibility", type=float, default=0.0)
    ap.add_argument("--runs", type=int, default=3, help="replicates per point")
    ap.add_argument("--trajectories", type=int, default=5)
    ap.add_argument("--levels", type=int, default=4)
    ap.add_argument("--params", default="", help="comma-separated paths (default: all)")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument(
        "--transform",
        choices=("log", "none"),
        default="none",
        help="effects on the loss (default) or on log(1 + loss); with --plausibility > 0, "
        "a few corners of the ranges give a sector's margin over a vanishing revenue of "
        "-1e16, which would swamp mu* either way",
    )
    ap.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="a previous OUT.json of the same design: analyse its losses, run nothing",
    )
    args = ap.parse_args(argv)

    all_knobs = {k.path: k for k in knobs()}
    names = [p for p in args.params.split(",") if p] or list(all_knobs)
    unknown = [p for p in names if p not in all_knobs]
    if unknown:
        ap.error(f"--params: not calibratable: {', '.join(unknown)}")
    chosen = [all_knobs[p] for p in names]
    problem = {
        "num_vars": len(chosen),
        "names": names,
        "bounds": [[k.lo, k.hi] for k in chosen],
    }
    x = morris_sample.sample(problem, args.trajectories, num_levels=args.levels, seed=args.seed)
    try:
        years = parse_holdout(args.holdout)
    except ValueError:
        ap.error(f"--holdout {args.holdout!r}: expected FROM-TO (e.g. 2013-2019) or none")
    facts, facts_sha = load_facts()
    held = holdout_mask(facts, years)
    until = None if years is None else years[0] - 1
    losses = np.empty(len(x))
    t0 = time.perf_counter()
    if args.reuse is not None:
        old = json.loads(args.reuse.read_text())
        same = (old["seed"], old["runs"], old["holdout"], old["plausibility"]) == (
            args.seed,
            args.runs,
            args.holdout,
            args.plausibility,
        )
        if not same or not np.array_equal(np.array(old["points"]), x):
            ap.error(f"--reuse {args.reuse}: not the same design (seed, runs, holdout, points)")
        losses[:] = old["losses"]
    for i, row in enumerate([] if args.reuse is not None else x):
        values: dict[str, Any] = {
            k.path: (int(round(v)) if k.integer else float(v))
            for k, v in zip(chosen, row, strict=True)
        }
        res = evaluate(
            args.scenario,
            values,
            facts,
            held,
            args.runs,
            args.seed,
            plausibility=args.plausibility,
            until=until,
        )
        losses[i] = res["loss"]
        done = i + 1
        eta = (time.perf_counter() - t0) / done * (len(x) - done)
        print(f"\rpoint {done}/{len(x)}, eta {eta / 60:.1f} min", end="", file=sys.stderr)
    print(file=sys.stderr)
    y = np.log1p(np.maximum(losses, 0.0)) if args.transform == "log" else losses
    si = morris_analyze.analyze(problem, x, y, num_levels=args.levels)
    mu_star = np.asarray(si["mu_star"], dtype=float)
    order = np.argsort(-mu_star, kind="stable")
    ranking = [
        {
            "path": names[j],
            "mu_star": float(mu_star[j]),
            "mu": float(si["mu"][j]),
            "sigma": float(si["sigma"][j]),
        }
        for j in order
    ]
    doc = {
        "method": "Morris elementary effects (SALib), mu* of the calibration loss",
        "loss": "in-sample facts' distances + plausibility x implausibility (no shrinkage)",
        "transform": args.transform,
        "scenario": args.scenario,
        "seed": args.seed,
        "runs": args.runs,
        "holdout": args.holdout,
        "plausibility": args.plausibility,
        "trajectories": args.trajectories,
        "levels": args.levels,
        "ranking": ranking,
        "top": [r["path"] for r in ranking[: args.top]],
        "points": [[float(v) for v in row] for row in x],
        "losses": [float(v) for v in losses],
        "facts_sha256": facts_sha,
        "version": __version__,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    args.out.write_text(json.dumps(doc, indent=1))
    for r in ranking:
        print(f"{r['mu_star']:9.3f}  {r['path']}")
    print(f"top {args.top}: {','.join(doc['top'])}")
    return 0


if __name__ == "__main__":
    ensure_neutral()  # NumPy is imported above: start again with the kernels make test runs
    raise SystemExit(main())
