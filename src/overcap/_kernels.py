"""Machine-neutral NumPy kernels: one seed gives the same bits on every machine.

NumPy picks its kernels for exp, log and power by the CPU's instruction sets when it is
imported, and the AVX-512 kernels round differently in the last bit from the AVX2 ones; a
run of the model is chaotic enough that one bit changes its path (docs/RELIABILITY.md,
"Golden hashes across machines": verified in session 19 on an AVX-512 machine). So the
package turns NumPy's AVX-512 groups off (``NPY_DISABLE_CPU_FEATURES``) before NumPy is
first imported, in this process and in every process it starts (Dask workers inherit the
environment): a calibration study, ``overcap score`` and ``make test`` then run the same
kernels on any x86 machine.

This module imports nothing heavy: it runs first in ``overcap/__init__``. The setting
takes effect only where NumPy is not yet imported; a user's own setting of
``NPY_DISABLE_CPU_FEATURES`` is kept, and ``OVERCAP_NATIVE_KERNELS=1`` keeps the
machine's own kernels (faster by a few per cent, not comparable across machines).
"""

from __future__ import annotations

import os
import sys
import warnings

ENV = "NPY_DISABLE_CPU_FEATURES"
NATIVE_ENV = "OVERCAP_NATIVE_KERNELS"
# NumPy's AVX-512 dispatch groups: the names of NumPy >= 2.4 (X86_V4, AVX512_ICL,
# AVX512_SPR) and of older releases (AVX512F ... AVX512_CNL); the Makefile's NUMPY_KERNELS
# is the same string (tests/test_kernels.py)
KERNELS = "X86_V4 AVX512_ICL AVX512_SPR AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL"
AVX512 = frozenset(KERNELS.split())


def native() -> bool:
    """True where the user asked for the machine's own kernels."""
    return os.environ.get(NATIVE_ENV, "") == "1"


def neutralise() -> None:
    """Turn NumPy's AVX-512 kernels off for this process and its children, if NumPy is not
    imported yet and neither the user's own setting nor ``OVERCAP_NATIVE_KERNELS=1`` says
    otherwise. NumPy warns (ImportWarning, hidden by default) about the names of the other
    NumPy generation in the list; the import here hides that warning."""
    if native():
        return
    if "numpy" in sys.modules:
        if ENV not in os.environ and not neutral():
            warnings.warn(
                "NumPy was imported before overcap and runs its AVX-512 kernels: results can "
                "differ in their last bits from other machines' (docs/RELIABILITY.md). Import "
                f"overcap first, or set {ENV}, or {NATIVE_ENV}=1 to keep these kernels "
                "without this warning",
                RuntimeWarning,
                stacklevel=3,
            )
        return
    os.environ.setdefault(ENV, KERNELS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImportWarning)
        import numpy  # noqa: F401


def active() -> list[str]:
    """NumPy's dispatched kernel groups active in this process."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]


def describe() -> str:
    """NumPy's version and its active kernel groups, as stored results record them:
    "2.4.6 [X86_V3]" (AVX-512 off) or "2.4.6 [X86_V3 X86_V4 AVX512_ICL AVX512_SPR]"."""
    import numpy as np

    return f"{np.__version__} [{' '.join(active())}]"


def neutral() -> bool:
    """True where no AVX-512 group is active (the kernels ``make test`` runs)."""
    return not AVX512.intersection(active())


def ensure_neutral() -> None:
    """For scripts that imported NumPy before overcap: start the script again with the
    AVX-512 kernels off (the same command line), unless they are off already, the user set
    ``NPY_DISABLE_CPU_FEATURES`` or ``OVERCAP_NATIVE_KERNELS=1``. A study's losses and a
    pick's scores are then the ones ``make test`` and ``overcap score`` measure."""
    if native() or ENV in os.environ or neutral():
        return
    env = {**os.environ, ENV: KERNELS}
    sys.stdout.flush()
    sys.stderr.flush()
    # the command line as given to the interpreter (-c, -m and options included)
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


# on import, first thing in overcap/__init__ (see the module's docstring)
neutralise()
