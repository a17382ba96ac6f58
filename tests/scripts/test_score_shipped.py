"""scripts/score_shipped.py: it scores the shipped sets with the NumPy kernels `make
test` runs (the Makefile's NUMPY_KERNELS), so the stored scores are machine-neutral
(docs/RELIABILITY.md, "Golden hashes across machines")."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[2]


def _makefile_kernels() -> str:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    m = re.search(r'^NUMPY_KERNELS := NPY_DISABLE_CPU_FEATURES="([^"]*)"', text, re.MULTILINE)
    assert m, "Makefile: no NUMPY_KERNELS line"
    return m.group(1)


def test_kernels_are_the_makefiles() -> None:
    assert load_script("score_shipped").NUMPY_KERNELS == _makefile_kernels()


def test_score_runs_with_those_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    mod = load_script("score_shipped")
    seen: list[dict[str, Any]] = []

    def fake_run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[bytes]:
        seen.append({"cmd": cmd, **kw})
        return subprocess.CompletedProcess(cmd, 1)  # stop after the score command

    monkeypatch.setattr(mod.subprocess, "run", fake_run)
    assert mod.main(["--workers", "0"]) == 1
    assert len(seen) == 1
    assert seen[0]["cmd"][-2:] == ["--workers", "0"]
    assert seen[0]["env"]["NPY_DISABLE_CPU_FEATURES"] == _makefile_kernels()
