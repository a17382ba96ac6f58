"""Acceptance: a sweep on a Dask cluster started by hand (a scheduler and two workers as
separate processes on 127.0.0.1) gives the local results; a driver killed in the middle
of an experiment resumes, and every run is then stored exactly once, identical to an
uninterrupted run."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from overcap.experiments import open_experiment
from overcap.store import TABLES, Store, StoreError

PY = sys.executable
SHORT = ["--set", "time.end_year=1999", "--set", "population.firms_start=2000"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(procs: list[subprocess.Popen]) -> None:
    """End the processes this test started (and their children), by process group."""
    for p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 3
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def overcap_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "-m", "overcap.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CI": "1"},
    )


def assert_same_tables(a: str, b: str, root: Path) -> None:
    ea, eb = open_experiment(a, root), open_experiment(b, root)
    for t in TABLES:
        pd.testing.assert_frame_equal(ea.table(t), eb.table(t))
    ra, rb = ea.runs(), eb.runs()
    cols = ["run", "sample", "replicate", "scenario", "parameters", "seed", "status"]
    pd.testing.assert_frame_equal(ra[cols], rb[cols])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[int]]]:
    """`dask scheduler` and two `dask worker` processes (one thread, no nanny) on
    127.0.0.1; yields the address and the workers' process ids."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    try:
        procs.append(
            subprocess.Popen(
                [PY, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port)]
                + ["--no-dashboard"],
                stdout=subprocess.DEVNULL,
                stderr=(logs / "scheduler.log").open("w"),
                start_new_session=True,
            )
        )
        for i in range(2):
            procs.append(
                subprocess.Popen(
                    [PY, "-m", "dask", "worker", address, "--nthreads", "1", "--no-nanny"]
                    + ["--no-dashboard", "--host", "127.0.0.1"],
                    stdout=subprocess.DEVNULL,
                    stderr=(logs / f"worker{i}.log").open("w"),
                    start_new_session=True,
                )
            )
        from distributed import Client

        deadline = time.monotonic() + 90
        while True:
            try:
                with Client(address, timeout="5s") as c:
                    c.wait_for_workers(2, timeout=60)
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address, [p.pid for p in procs[1:]]
    finally:
        stop(procs)


def test_sweep_on_a_cluster_started_by_hand_matches_the_local_run(
    tmp_path: Path, cluster: tuple[str, list[int]]
) -> None:
    address, worker_pids = cluster
    sweep = ["sweep", "baseline", "--grid", "investment.visibility=0.3,0.7", "--runs", "3"]
    sweep += [*SHORT, "--seed", "11", "--results", str(tmp_path), "--batch-size", "1"]
    remote = overcap_cli(*sweep, "--scheduler", address, "--name", "remote")
    assert remote.returncode == 0, remote.stderr
    assert f"Dask scheduler {address}" in remote.stderr and "6 runs ok" in remote.stderr
    local = overcap_cli(*sweep, "--workers", "0", "--name", "local")
    assert local.returncode == 0, local.stderr
    assert_same_tables("remote", "local", tmp_path)
    # the runs ran in the two worker processes, not in the driver
    ran_in = {int(w.split(":")[1]) for w in open_experiment("remote", tmp_path).runs()["worker"]}
    assert ran_in <= set(worker_pids) and ran_in
    # the scheduler can also come from OVERCAP_SCHEDULER
    env_run = subprocess.run(
        [PY, "-m", "overcap.cli", "run", "--runs", "2", *SHORT, "--results", str(tmp_path)]
        + ["--name", "env"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": "1", "OVERCAP_SCHEDULER": address},
    )
    assert env_run.returncode == 0 and f"Dask scheduler {address}" in env_run.stderr


def recorded(store: Store) -> int:
    try:
        return int(store.read("SELECT count(*) AS n FROM runs", timeout=1.0)["n"].iloc[0])
    except (StoreError, FileNotFoundError):
        return 0
    except Exception:  # the catalog is being created
        return 0


def start_driver(args: list[str], **popen: Any) -> subprocess.Popen:
    """`overcap ARGS` in a session of its own (so its workers can be signalled with it),
    stdout dropped, stderr piped as text unless ``popen`` says otherwise."""
    kw: dict[str, Any] = {"stderr": subprocess.PIPE, "text": True, **popen}
    return subprocess.Popen(
        [PY, "-m", "overcap.cli", *args],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "CI": "1"},
        start_new_session=True,
        **kw,
    )


def wait_until_recorded(store: Store, n: int, driver: subprocess.Popen, ended: str) -> None:
    """Wait until ``n`` runs are recorded while the driver still runs (``ended`` says
    what the driver was to live to see)."""
    deadline = time.monotonic() + 240
    while recorded(store) < n:
        assert driver.poll() is None, f"the driver ended before {ended}"
        assert time.monotonic() < deadline, "no run was recorded in time"
        time.sleep(0.05)


def test_killed_driver_resumes_and_every_run_is_stored_exactly_once(tmp_path: Path) -> None:
    runs = 24
    args = ["run", "baseline", "--runs", str(runs), *SHORT, "--seed", "3"]
    args += ["--results", str(tmp_path), "--batch-size", "2", "--workers", "1"]
    driver = start_driver([*args, "--name", "killed"], stderr=subprocess.DEVNULL)
    store = Store(tmp_path / "killed")
    try:
        wait_until_recorded(store, 4, driver, "it could be killed")
        driver.send_signal(signal.SIGKILL)  # the driver alone; its workers are left alone
        driver.wait()
        done_before = recorded(store)
        assert 4 <= done_before < runs, done_before
        time.sleep(1.0)  # a worker may still finish and write an orphan part
        resumed = overcap_cli(*args, "--name", "killed", "--resume")
        assert resumed.returncode == 0, resumed.stderr
        assert f"({done_before} of {runs} runs already recorded)" in resumed.stderr
    finally:
        stop([driver])
    reference = overcap_cli(*args[:-2], "--workers", "0", "--name", "reference")
    assert reference.returncode == 0, reference.stderr
    exp = open_experiment("killed", tmp_path)
    cat = exp.runs()
    assert list(cat["run"]) == list(range(runs)) and set(cat["status"]) == {"ok"}
    sessions = exp.store.read("SELECT status FROM sessions ORDER BY session")["status"]
    assert list(sessions) == ["died", "completed"]
    # every run's rows exactly once in every table, and no unrecorded part left
    for t in TABLES:
        frame = exp.table(t)
        sizes = frame.groupby("run").size()
        assert list(sizes.index) == list(range(runs)) and sizes.nunique() == 1, t
    on_disk = {p.relative_to(exp.folder).as_posix() for p in exp.folder.glob("parts/*/*")}
    assert on_disk == set(exp.store.read("SELECT path FROM parts")["path"])
    assert_same_tables("killed", "reference", tmp_path)


def test_a_killed_worker_loses_nothing(tmp_path: Path, cluster: tuple[str, list[int]]) -> None:
    address, worker_pids = cluster
    runs = 12
    args = ["run", "baseline", "--runs", str(runs), *SHORT, "--results", str(tmp_path)]
    args += ["--batch-size", "1", "--scheduler", address, "--name", "kw"]
    driver = start_driver(args)
    store = Store(tmp_path / "kw")
    try:
        wait_until_recorded(store, 2, driver, "a worker was killed")
        os.kill(worker_pids[0], signal.SIGKILL)  # one of the two workers dies mid-experiment
        _, stderr = driver.communicate(timeout=300)
        assert driver.returncode == 0, stderr
    finally:
        stop([driver])
    exp = open_experiment("kw", tmp_path)
    cat = exp.runs()
    assert list(cat["run"]) == list(range(runs)) and set(cat["status"]) == {"ok"}
    assert exp.table("economy").groupby("run").size().nunique() == 1
    reference = overcap_cli(*args[:-4], "--workers", "0", "--name", "ref")
    assert reference.returncode == 0, reference.stderr
    assert_same_tables("kw", "ref", tmp_path)


def test_ctrl_c_at_the_terminal_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    runs = 40
    args = ["run", "baseline", "--runs", str(runs), *SHORT, "--results", str(tmp_path)]
    args += ["--batch-size", "2", "--workers", "2", "--name", "cc"]
    # a terminal's process group gets SIGINT by default (a test runner may ignore it)
    driver = start_driver(args, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    store = Store(tmp_path / "cc")
    try:
        wait_until_recorded(store, 2, driver, "Ctrl-C")
        os.killpg(driver.pid, signal.SIGINT)  # Ctrl-C: the driver and its workers
        _, stderr = driver.communicate(timeout=60)
    finally:
        stop([driver])
    assert driver.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr  # the workers leave shutting down to the driver
    command = stderr.strip().splitlines()[-1].strip()
    assert command.endswith("--name cc --resume"), stderr
    done = recorded(store)
    assert 2 <= done < runs
    resumed = overcap_cli(*shlex.split(command)[1:])
    assert resumed.returncode == 0, resumed.stderr
    cat = open_experiment("cc", tmp_path).runs()
    assert list(cat["run"]) == list(range(runs)) and set(cat["status"]) == {"ok"}


# Ctrl-C while `distributed.utils.sync` has queued its coroutine but the loop has not run
# it yet (the loop is kept busy for 0.5 s; SIGALRM raises KeyboardInterrupt at 0.2 s)
SYNC_RACE = """
import logging, signal, sys, time, asyncio
logging.basicConfig()
from distributed.utils import LoopRunner, sync
if sys.argv[1] == "filtered":
    from overcap.experiments.executors import quiet_sync_cancel_race
    quiet_sync_cancel_race()
runner = LoopRunner(asynchronous=False)
runner.start()
async def work():
    await asyncio.sleep(0.05)
    logging.getLogger("tornado.application").error("another error", exc_info=ValueError("x"))
runner.loop.add_callback(lambda: time.sleep(0.5))
def ctrl_c(*_):
    raise KeyboardInterrupt
signal.signal(signal.SIGALRM, ctrl_c)
signal.setitimer(signal.ITIMER_REAL, 0.2)
try:
    sync(runner.loop, work)
except KeyboardInterrupt:
    print("interrupted", flush=True)
time.sleep(1)
runner.stop()
"""


@pytest.mark.parametrize("mode", ["plain", "filtered"])
def test_the_upstream_sync_cancel_race_is_kept_out_of_the_log(mode: str) -> None:
    # plain: distributed's race logs a NameError traceback (if a release fixes it, this
    # fails, and the filter in executors.py can go); filtered: only that record is dropped
    out = subprocess.run([PY, "-c", SYNC_RACE, mode], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "interrupted", out.stderr
    assert "another error" in out.stderr  # other records still pass
    race = "NameError: cannot access free variable 'future'"
    if mode == "plain":
        assert race in out.stderr, out.stderr
    else:
        assert race not in out.stderr and "in cancel" not in out.stderr, out.stderr
