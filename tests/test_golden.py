"""Golden hashes of every result frame: a refactor must leave them bit-identical.

Three seeds of the baseline and one seed of every shipped scenario. The hashes in
``tests/golden/hashes.json`` were recorded before the redesign of the year into named
phases (issue 13); a change that is meant to move results (a model change) updates
them with ``python -m tests.test_golden --update`` and says so in its commit message.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

import overcap

GOLDEN = Path(__file__).parent / "golden" / "hashes.json"
CASES: list[tuple[str, int]] = [("baseline", 0), ("baseline", 1), ("baseline", 2)] + [
    (name, 0) for name in overcap.available_scenarios() if name != "baseline"
]
FRAMES = ("sectors", "provinces", "economy", "trade")


def frame_hash(df: pd.DataFrame) -> str:
    """SHA-256 over the column names, dtypes and the raw bytes of every column."""
    h = hashlib.sha256()
    for col in df.columns:
        s = df[col]
        h.update(f"{col}:{s.dtype}:".encode())
        values = s.to_numpy()
        if values.dtype == object:  # strings (object or pyarrow dtype): their text
            h.update("\x1f".join(map(str, values.tolist())).encode())
        else:
            h.update(values.tobytes())
    return h.hexdigest()


def hashes(scenario: str, seed: int) -> dict[str, str]:
    res = overcap.run(scenario, seed=seed)
    return {name: frame_hash(getattr(res, name)) for name in FRAMES}


def load() -> dict[str, dict[str, str]]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("scenario", "seed"), CASES, ids=[f"{s}-{n}" for s, n in CASES])
def test_result_frames_match_golden_hashes(scenario: str, seed: int) -> None:
    want = load()[f"{scenario}:{seed}"]
    got = hashes(scenario, seed)
    assert got == want, f"{scenario} seed {seed}: result frames changed"


def test_frame_hash_sees_one_bit() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0], "s": ["x", "y"]})
    other = df.copy()
    other.loc[1, "a"] = 2.0 + 2.0**-51
    assert frame_hash(df) != frame_hash(other)


if __name__ == "__main__":  # python -m tests.test_golden --update
    if "--update" not in sys.argv:
        sys.exit("usage: python -m tests.test_golden --update")
    out = {f"{s}:{n}": hashes(s, n) for s, n in CASES}
    GOLDEN.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({len(out)} cases)")
