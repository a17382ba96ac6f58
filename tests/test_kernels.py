"""overcap turns NumPy's AVX-512 kernels off before NumPy loads (src/overcap/_kernels.py):
in the process that imports it, in the processes it starts, and in the scripts that import
NumPy first (they start again). Each case runs in a fresh interpreter without the
Makefile's setting, so it measures the package's own doing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from overcap import _kernels

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (_kernels.ENV, _kernels.NATIVE_ENV)}
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )


REPORT = "import os, overcap._kernels as k; print(os.environ.get(k.ENV)); print(k.neutral())"


def _machine_has_avx512() -> bool:
    out = _python(REPORT, **{_kernels.NATIVE_ENV: "1"}).stdout.splitlines()
    return out[-1] == "False"


def test_the_kernels_are_the_makefiles() -> None:
    text = (ROOT / "Makefile").read_text()
    m = re.search(r'^NUMPY_KERNELS := NPY_DISABLE_CPU_FEATURES="([^"]*)"', text, re.MULTILINE)
    assert m, "Makefile: no NUMPY_KERNELS line"
    assert _kernels.KERNELS == m.group(1)


def test_importing_overcap_first_turns_avx512_off_for_it_and_its_children() -> None:
    out = _python(
        "import overcap, os, subprocess, sys\n" + REPORT.replace("import os, ", "import ") + "\n"
        "print(subprocess.run([sys.executable, '-c', 'import os; print(os.environ.get(\""
        + _kernels.ENV
        + "\"))'], capture_output=True, text=True).stdout.strip())"
    )
    env, neutral, child = out.stdout.split("\n")[:3]
    assert env == _kernels.KERNELS
    assert neutral == "True"
    assert child == _kernels.KERNELS
    assert "RuntimeWarning" not in out.stderr


def test_a_users_setting_and_the_native_switch_are_kept() -> None:
    out = _python("import overcap\n" + REPORT, **{_kernels.ENV: "AVX512_SPR"})
    assert out.stdout.splitlines()[0] == "AVX512_SPR"
    out = _python("import overcap\n" + REPORT, **{_kernels.NATIVE_ENV: "1"})
    assert out.stdout.splitlines()[0] == "None"


def test_numpy_imported_first_warns_only_where_avx512_runs() -> None:
    out = _python("import numpy, overcap")
    warned = "AVX-512 kernels" in out.stderr
    assert warned == _machine_has_avx512()


def test_a_script_that_imported_numpy_first_starts_again_without_avx512() -> None:
    out = _python(
        "import numpy, warnings; warnings.simplefilter('ignore')\n"
        "from overcap._kernels import ensure_neutral; ensure_neutral()\n" + REPORT
    )
    env, neutral = out.stdout.splitlines()[-2:]
    assert neutral == "True"
    assert env == (_kernels.KERNELS if _machine_has_avx512() else "None")
