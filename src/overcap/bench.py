"""``overcap bench``: engine speed and memory on a synthetic population.

A benchmark, not a test: it reports firm-years per second of the yearly step and the
process's peak resident memory. The population is the baseline scenario's world with
``firms`` firms drawn at the start and no spin-up; the engine runs ``years`` years.
"""

from __future__ import annotations

import platform
import resource
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from overcap._kernels import describe as numpy_kernels
from overcap._version import __version__
from overcap.engine.indicators import Recorder
from overcap.engine.inputs import build_inputs
from overcap.engine.population import initial_state, trend_growth
from overcap.engine.state import SectorConst
from overcap.engine.year import step
from overcap.model import make_context
from overcap.scenario import load_scenario


@dataclass
class BenchResult:
    calibrated: bool
    firms: int
    years: int
    firm_years: int
    seconds: float
    firm_years_per_second: float
    setup_seconds: float
    peak_memory_mb: float
    threads: str
    version: str
    python: str
    numpy: str
    overrides: dict[str, Any] = field(default_factory=dict)  # what --set changed


def _peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes
    return rss / 1024.0 if sys.platform != "darwin" else rss / 1024.0**2


def bench(
    firms: int = 100_000,
    years: int = 10,
    seed: int = 0,
    start_year: int = 2010,
    calibrated: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> BenchResult:
    """Time ``years`` yearly steps of an economy that starts with ``firms`` firms.

    The workload is the baseline world with the schema's default parameters, so the
    benchmark does not move when the calibration does; ``calibrated=True`` uses the
    calibrated baseline instead. ``overrides`` (path -> value) time a rule that is off
    by default (``investment.fundamental_weight=1``, for instance); the workload's size
    and years are the arguments' whatever they say."""
    workload = {
        "population.firms_start": firms,
        "time.start_year": start_year,
        "time.end_year": start_year + years - 1,
        "time.spinup_years": 0,
    }
    sc = load_scenario(
        "baseline", calibrated=calibrated, overrides={**dict(overrides or {}), **workload}
    )
    t_setup = time.perf_counter()
    rng = np.random.default_rng(seed)
    inp = build_inputs(sc)
    const = SectorConst.from_scenario(sc)
    trend = trend_growth(sc, inp.years)
    st = initial_state(sc, inp, const, float(trend[0]), rng)
    ctx = make_context(sc, inp, const, Recorder(inp.sectors, inp.provinces), trend, st)
    setup = time.perf_counter() - t_setup
    firm_years = 0
    t0 = time.perf_counter()
    for year in inp.years:
        st.year = int(year)
        firm_years += int(np.count_nonzero(st.firms.alive))
        step(st, ctx, rng)
    elapsed = time.perf_counter() - t0
    return BenchResult(
        calibrated=calibrated,
        firms=firms,
        years=years,
        firm_years=firm_years,
        seconds=round(elapsed, 3),
        firm_years_per_second=round(firm_years / elapsed, 1),
        setup_seconds=round(setup, 3),
        peak_memory_mb=round(_peak_rss_mb(), 1),
        threads=_threads(),
        version=__version__,
        python=platform.python_version(),
        numpy=numpy_kernels(),
        overrides=dict(overrides or {}),
    )


def _threads() -> str:
    import os

    keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    return ",".join(f"{k}={os.environ[k]}" for k in keys if k in os.environ) or "default"


def as_dict(r: BenchResult) -> dict[str, object]:
    return asdict(r)
