"""Rewrite README.md's score block from the stored scores.

The block between ``<!-- score:begin -->`` and ``<!-- score:end -->`` in README.md is
generated from ``src/overcap/calibration/baseline-score.json``, the three scores that
``overcap score baseline --runs 10`` writes (``scripts/score_shipped.py`` runs both). A
test (tests/test_calibration.py) fails when the README's block differs from the generated
one.

    python scripts/readme_score.py          # rewrite the block
    python scripts/readme_score.py --check  # exit 1 when the block is out of date
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from overcap.calibration import replace_score_block, score_block

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SCORES = ROOT / "src" / "overcap" / "calibration" / "baseline-score.json"


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    block = score_block(json.loads(SCORES.read_text(encoding="utf-8")))
    new = replace_score_block(text, block)
    if "--check" in argv:
        if new != text:
            print(f"{README.name}: the score block differs from {SCORES.name}; run {__file__}")
            return 1
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
        print(f"rewrote the score block of {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
