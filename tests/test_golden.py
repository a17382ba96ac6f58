"""Golden hashes of every result frame: a refactor must leave them bit-identical.

Three seeds of the baseline and one seed of every shipped scenario. The hashes in
``tests/golden/hashes.json`` were first recorded before the redesign of the year into
named phases (issue 13); a change that is meant to move results (a model change) updates
them with ``python -m tests.test_golden --update`` and says so in its commit message.

Bit-identical holds on one kind of machine. NumPy picks its kernels for exp, log and
power by the CPU's instruction sets at run time, and the last bit of a result can differ
between them (AVX-512 against AVX2); a run of the model is chaotic enough that one bit
changes the frames. So ``make test`` sets ``NPY_DISABLE_CPU_FEATURES`` to the AVX-512
groups (``NUMPY_KERNELS`` in the Makefile), and the file records the NumPy version and
the kernels that were active (``_environment``); a failure prints both, so a changed
machine is told apart from a changed model. A string column hashes as ``text`` whatever
pandas calls its dtype (``object`` in pandas 2, ``str`` in pandas 3): the values are
what is compared.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import overcap
from overcap._kernels import AVX512, active, ensure_neutral

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
        values = s.to_numpy()
        if values.dtype == object:  # strings (object, str or pyarrow dtype): their text
            h.update(f"{col}:text:".encode())
            h.update("\x1f".join(map(str, values.tolist())).encode())
        else:
            h.update(f"{col}:{s.dtype}:".encode())
            h.update(values.tobytes())
    return h.hexdigest()


def environment() -> dict[str, object]:
    """The NumPy version and the dispatched kernel groups active on this machine."""
    return {"numpy": np.__version__, "dispatch": active()}


def hashes(scenario: str, seed: int) -> dict[str, str]:
    res = overcap.run(scenario, seed=seed)
    return {name: frame_hash(getattr(res, name)) for name in FRAMES}


def load() -> dict[str, Any]:
    """The recorded hashes by case, and ``_environment``."""
    data: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(("scenario", "seed"), CASES, ids=[f"{s}-{n}" for s, n in CASES])
def test_result_frames_match_golden_hashes(scenario: str, seed: int) -> None:
    golden = load()
    want = golden[f"{scenario}:{seed}"]
    got = hashes(scenario, seed)
    assert got == want, (
        f"{scenario} seed {seed}: result frames changed; recorded with "
        f"{golden.get('_environment')}, this run {environment()} (a different NumPy or "
        f"kernel group can move the last bit: run through `make test`, which disables the "
        f"AVX-512 groups)"
    )


def test_frame_hash_sees_one_bit() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0], "s": ["x", "y"]})
    other = df.copy()
    other.loc[1, "a"] = 2.0 + 2.0**-51
    assert frame_hash(df) != frame_hash(other)


def test_golden_hashes_were_recorded_without_avx512() -> None:
    """The hashes are the machine-neutral kernels' (what ``make test`` and the package
    run): a recording made with AVX-512 active (NumPy imported before overcap, say) fails
    here rather than on every other machine."""
    recorded = set(load()["_environment"]["dispatch"])
    assert not recorded & AVX512, f"golden hashes recorded with AVX-512 kernels: {recorded}"


if __name__ == "__main__":  # python -m tests.test_golden --update
    if "--update" not in sys.argv:
        sys.exit("usage: python -m tests.test_golden --update")
    # NumPy is imported above: start again with the kernels make test runs
    ensure_neutral()
    out: dict[str, object] = {"_environment": environment()}
    out.update({f"{s}:{n}": hashes(s, n) for s, n in CASES})
    GOLDEN.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({len(out)} cases)")
