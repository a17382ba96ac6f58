"""The worker's side: run a batch of runs (on a Dask worker, or in the driver for
``workers=0``). :func:`run_batch` writes one Parquet part per table into the experiment's
folder and returns the records the driver puts in the catalog; :func:`run_replicates`
returns the results themselves, for an ensemble kept in memory. A run that raises is
recorded as failed, with its error; the other runs of the batch go on."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import socket
import sys
import time
import traceback
import uuid
from typing import Any

import numpy as np
import pandas as pd

import overcap.model
from overcap._kernels import describe as numpy_kernels
from overcap._version import __version__
from overcap.model import Result
from overcap.scenario import Scenario, load_scenario
from overcap.store import TABLES, now, write_part

# glibc's trim threshold on the workers: 128 MiB. Dask's nanny starts every worker with
# MALLOC_TRIM_THRESHOLD_=65536 (its distributed.nanny.pre-spawn-environ), with which a run of
# the baseline takes about 2.3 times as long (memory handed back to the system and asked
# for again at every step). overcap's LocalCluster sets 128 MiB in the workers'
# environment; a worker started by hand gets it here, at its first batch.
TRIM_THRESHOLD = 128 * 2**20
DASK_TRIM_DEFAULT = "65536"
M_TRIM_THRESHOLD = -1  # mallopt's parameter number (malloc.h)
_malloc_checked = False


def tune_malloc(environ: dict[str, str] | None = None) -> bool:
    """Raise glibc's trim threshold of this process to :data:`TRIM_THRESHOLD` if it is
    Dask's default (``MALLOC_TRIM_THRESHOLD_=65536``, a worker started by ``dask worker``
    without the variable). Once per process; a value the user chose, no variable at all
    (not a Dask worker) and a C library without ``mallopt`` are left alone. Returns
    whether the threshold was raised (then the variable says so too). Results do not
    depend on it, only the time a run takes."""
    global _malloc_checked
    env = os.environ if environ is None else environ
    if _malloc_checked and environ is None:
        return False
    _malloc_checked = True
    if env.get("MALLOC_TRIM_THRESHOLD_") != DASK_TRIM_DEFAULT or not sys.platform.startswith(
        "linux"
    ):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    if mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) != 1:
        return False
    env["MALLOC_TRIM_THRESHOLD_"] = str(TRIM_THRESHOLD)
    return True


def _scenario(payload: dict[str, Any], sample: int, cache: dict[int, Scenario]) -> Scenario:
    """The scenario a sample runs: its base scenario (an object, or its dump) with the
    sample's parameters."""
    sc = cache.get(sample)
    if sc is None:
        s = payload["samples"][sample]
        base = payload["scenarios"][s["scenario"]]
        if not isinstance(base, Scenario):
            base = Scenario.model_validate(base)
        sc = load_scenario(base, s["parameters"]) if s["parameters"] else base
        cache[sample] = sc
    return sc


def _error(exc: BaseException) -> str:
    tb = traceback.format_exc()
    return f"{type(exc).__name__}: {exc}\n{tb[-4000:]}"


def run_replicates(payload: dict[str, Any]) -> list[tuple[int, Result | None, str | None]]:
    """Run a batch and return ``(run, result, None)`` or ``(run, None, error)`` for each of
    its runs, writing nothing: the runs of an ensemble kept in memory."""
    tune_malloc()
    seed = int(payload["seed"])
    cache: dict[int, Scenario] = {}
    out: list[tuple[int, Result | None, str | None]] = []
    for run_id, sample, rep in payload["units"]:
        try:
            sc = _scenario(payload, int(sample), cache)
            out.append((int(run_id), overcap.model.run(sc, seed=seed, replicate=int(rep)), None))
        except Exception as exc:  # a failed run is reported, not raised
            out.append((int(run_id), None, _error(exc)))
    return out


def run_batch(payload: dict[str, Any]) -> dict[str, Any]:
    """Run a batch of runs and write one Parquet part per table; return the records the
    driver puts in the catalog. A run that raises is recorded as failed, with its error;
    the other runs of the batch go on. Runs on a worker (or in the driver for
    ``workers=0``)."""
    tune_malloc()
    units_ = payload["units"]
    batch = f"b{int(units_[0][0]):08d}-{uuid.uuid4().hex[:10]}"
    worker = f"{socket.gethostname()}:{os.getpid()}"
    seed = int(payload["seed"])
    cache: dict[int, Scenario] = {}
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    records = []
    for run_id, sample, rep in units_:
        s = payload["samples"][sample]
        started = now()
        t0 = time.perf_counter()
        status, error, scenario_name = "ok", None, str(s["scenario"])
        try:
            sc = _scenario(payload, int(sample), cache)
            scenario_name = sc.name
            result = overcap.model.run(sc, seed=seed, replicate=int(rep))
            for t in TABLES:
                f = getattr(result, t).copy()
                f.insert(0, "run", np.int64(run_id))
                frames[t].append(f)
        except Exception as exc:  # a failed run is recorded, not raised
            status = "failed"
            error = _error(exc)
        records.append(
            {
                "run": int(run_id),
                "experiment": payload["experiment"],
                "sample": int(sample),
                "replicate": int(rep),
                "scenario": scenario_name,
                "parameters": s["parameters_json"],
                "seed": seed,
                "status": status,
                "error": error,
                "version": __version__,
                "started": started,
                "finished": now(),
                "seconds": round(time.perf_counter() - t0, 4),
                "worker": worker,
                "python": platform.python_version(),
                "numpy": numpy_kernels(),
                "batch": batch,
            }
        )
    parts = []
    meta = {"experiment": payload["experiment"], "batch": batch, "version": __version__}
    for t in TABLES:
        if frames[t]:
            frame = pd.concat(frames[t], ignore_index=True)
            parts.append(write_part(payload["folder"], t, batch, frame, meta))
    return {"batch": batch, "runs": records, "parts": parts}
