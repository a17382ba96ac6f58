"""`overcap dashboard`: by default the server listens on 127.0.0.1 only; user errors are
one line and exit 2. The listening sockets are read from the server process itself
(psutil), so no traffic goes anywhere but the loopback address."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(pid: int, port: int | None = None) -> list[str]:
    """The addresses the process and its children listen on (at ``port``, if given)."""
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    out = []
    for p in procs:
        try:
            conns = p.net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue
        for c in conns:
            if c.status == psutil.CONN_LISTEN and c.laddr and port in (None, c.laddr.port):
                out.append(str(c.laddr.ip))
    return out


@contextmanager
def dashboard(*args: str, cwd: Path | None = None) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`overcap dashboard ARGS --port FREE` in its own process group, ended afterwards."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "overcap.cli", "dashboard", *args, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        cwd=cwd,
    )
    try:
        deadline = time.monotonic() + 60
        while not listening(proc.pid, port):
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"the dashboard did not start listening: {out}")
            time.sleep(0.2)
        yield proc, port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def test_the_server_listens_on_127_0_0_1_only_by_default(tmp_path: Path) -> None:
    """Defaults but the port (and a small first ensemble, in a scratch folder): the web
    server and, once the first page has started the baseline's runs, the Dask
    scheduler and workers listen on 127.0.0.1 and nowhere else."""
    with dashboard("--runs", "1", cwd=tmp_path) as (proc, port):
        assert listening(proc.pid, port) == ["127.0.0.1"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as r:
            assert r.status == 200  # the first page starts the cluster and the baseline
        deadline = time.monotonic() + 90
        while not (tmp_path / "overcap-results").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert (tmp_path / "overcap-results").exists(), "the baseline never reached the store"
        assert len(psutil.Process(proc.pid).children(recursive=True)) >= 2  # Dask workers
        addresses = listening(proc.pid)
        assert len(addresses) >= 3 and set(addresses) == {"127.0.0.1"}, addresses


def test_another_host_is_what_the_user_asks_for() -> None:
    """The control: the same check sees a wider binding when one is asked for."""
    with dashboard("--host", "0.0.0.0", "--no-warm") as (proc, port):
        assert listening(proc.pid, port) == ["0.0.0.0"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "fr"], "error: language 'fr' unknown; allowed: zh-TW, en"),
        (["--runs", "0"], "Invalid value for '--runs'"),
    ],
)
def test_user_errors_are_one_line(args: list[str], message: str) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "overcap.cli", "dashboard", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_a_taken_port_is_one_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run(
            [sys.executable, "-m", "overcap.cli", "dashboard", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
