"""Measure the three scores of the shipped calibrated set and rewrite README's block: the
one command to run after installing new calibrated sets (baseline.json and
baseline-holdout-2013-2019.json in src/overcap/calibration/).

    python scripts/score_shipped.py              # overcap score baseline --runs 10, then README
    python scripts/score_shipped.py --workers 2  # further options go to overcap score

It runs ``overcap score baseline --runs 10`` with NumPy's AVX-512 kernels off, as
``make test`` does (7 checks of 10 runs, with a progress bar;
it writes src/overcap/calibration/baseline-score.json) and then
``scripts/readme_score.py`` (README's generated block). tests/test_calibration.py fails
until both are done after a set or the facts change.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from overcap._kernels import ENV, KERNELS

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    overcap = Path(sys.executable).with_name("overcap")
    cmd = [str(overcap) if overcap.exists() else "overcap", "score", "baseline", "--runs", "10"]
    # the kernels `make test` runs, whatever the user's own setting: NumPy's AVX-512 exp,
    # log and power round differently in the last bit (docs/RELIABILITY.md)
    env = {**os.environ, ENV: KERNELS}
    done = subprocess.run([*cmd, *argv], cwd=ROOT, env=env)
    if done.returncode != 0:
        return done.returncode
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "readme_score.py")]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
