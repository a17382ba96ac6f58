"""scripts/score_shipped.py: it scores the shipped sets with the NumPy kernels `make
test` runs (overcap._kernels.KERNELS, which tests/test_kernels.py checks against the
Makefile's NUMPY_KERNELS), so the stored scores are machine-neutral
(docs/RELIABILITY.md, "Golden hashes across machines")."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from overcap import _kernels
from tests.scripts import load_script


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
    assert seen[0]["env"]["NPY_DISABLE_CPU_FEATURES"] == _kernels.KERNELS
