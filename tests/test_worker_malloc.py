"""A worker started by hand (``dask worker``, Dask's MALLOC_TRIM_THRESHOLD_ of 64 KiB) ran
about three times slower with no warning: the worker raises glibc's trim threshold itself
at its first batch (overcap.experiments.worker.tune_malloc)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from overcap.experiments import worker

PROBE = """
import os
from overcap.experiments.worker import tune_malloc
print(tune_malloc(), tune_malloc(), os.environ.get("MALLOC_TRIM_THRESHOLD_"))
"""


def probe(value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    if value is not None:
        env["MALLOC_TRIM_THRESHOLD_"] = value
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_dask_default_worker_gets_the_threshold_once() -> None:
    assert probe("65536") == f"True False {worker.TRIM_THRESHOLD}"


def test_a_chosen_value_or_no_dask_is_left_alone() -> None:
    assert probe("1000000") == "False False 1000000"
    assert probe(None) == "False False None"


def test_the_environment_passed_is_what_is_read() -> None:
    env = {"MALLOC_TRIM_THRESHOLD_": "12345"}
    assert worker.tune_malloc(env) is False
    assert env == {"MALLOC_TRIM_THRESHOLD_": "12345"}


def test_the_local_cluster_sets_the_same_threshold() -> None:
    """One value: the LocalCluster's workers start with the threshold tune_malloc sets."""
    from overcap.experiments.executors import WORKER_ENV

    assert WORKER_ENV["MALLOC_TRIM_THRESHOLD_"] == str(worker.TRIM_THRESHOLD)
