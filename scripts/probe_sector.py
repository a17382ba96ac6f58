"""One sector's path on the baseline, year by year: the median over runs of the columns
of the sector table, as docs/DIAGNOSTICS.md's probes read them.

    python scripts/probe_sector.py electric_vehicles --from 2016 --to 2024 \\
        --seeds 1 2 3 --runs 3 --cols output,capacity,margin [--set path=value ...]
    python scripts/probe_sector.py steel --calibration \\
        src/overcap/calibration/baseline-holdout-2013-2019.json   # the out-of-time set

The runs are ``overcap.experiments.ensemble``'s (replicate r of seed s on stream r of
s), so a probe reads the same runs as ``overcap check --seed s``. Nothing is stored; a probe
is not a fit.
"""

from __future__ import annotations

import argparse

# overcap first, so that NumPy loads with make test's kernels and warns of nothing
from overcap._kernels import ensure_neutral

# isort: split
import pandas as pd

from overcap.experiments import ensemble
from overcap.scenario import ScenarioError, load_scenario

DEFAULT_COLS = "output,domestic_sales,exports,capacity,utilisation,margin,price"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sector")
    ap.add_argument("--from", dest="y0", type=int, default=2012)
    ap.add_argument("--to", dest="y1", type=int, default=2024)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--runs", type=int, default=3, help="replicates of each seed")
    ap.add_argument("--cols", default=DEFAULT_COLS, help="comma-separated sector columns")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=V")
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument(
        "--calibration",
        default=None,
        metavar="SET",
        help="a calibrated set (JSON file or shipped name) in the shipped set's place",
    )
    a = ap.parse_args()
    try:
        sc = load_scenario(a.scenario, a.overrides or None, calibration=a.calibration)
    except (ScenarioError, ValueError, OSError) as exc:
        raise SystemExit(f"error: {exc}") from None
    df = pd.concat(r.sectors for s in a.seeds for r in ensemble(sc, runs=a.runs, seed=s, workers=0))
    df = df[(df.sector == a.sector) & df.year.between(a.y0, a.y1)]
    if df.empty:
        raise SystemExit(f"no rows: sector {a.sector!r} is not in the run, or no year in range")
    cols = a.cols.split(",")
    unknown = [c for c in cols if c not in df.columns]
    if unknown:
        raise SystemExit(f"unknown column(s) {unknown}; the sector table has: {list(df.columns)}")
    print(f"{a.sector}: median of {a.runs} runs x seeds {a.seeds}")
    print(df.groupby("year")[cols].median().round(3).to_string())


if __name__ == "__main__":
    ensure_neutral()  # pandas imports NumPy above: start again with make test's kernels
    main()
