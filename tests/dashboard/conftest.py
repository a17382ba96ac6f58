"""The dashboard under test: one app (English first, 2 runs, smaller and shorter runs),
served from a thread on a free port of 127.0.0.1, and Debian's Chromium for Playwright.

The browser is /usr/bin/chromium (``make system-deps`` installs it with the CJK fonts);
Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dash import Dash
from werkzeug.serving import make_server

from overcap.dashboard.app import create_app, runner_of

CHROMIUM = os.environ.get("OVERCAP_CHROMIUM", "/usr/bin/chromium")
# every run of the tests' app: fewer firms and years than the baseline (about 0.3 s a run)
SMALL = {"population.firms_start": 1000, "time.start_year": 2005, "time.end_year": 2025}
RUNS = 2


@pytest.fixture(scope="session")
def dash_app() -> Iterator[Dash]:
    app = create_app(lang="en", runs=RUNS, seed=0, extra=SMALL, workers=2, warm=True)
    yield app
    runner_of(app).shutdown()


@pytest.fixture(scope="session")
def server_url(dash_app: Dash) -> Iterator[str]:
    """The app served on 127.0.0.1 and a free port, in a thread (threaded server)."""
    srv = make_server("127.0.0.1", 0, dash_app.server, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}/"
    srv.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments: Debian's Chromium, nothing downloaded."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: run `make system-deps` (Debian's chromium and "
            "fonts-noto-cjk) or set OVERCAP_CHROMIUM"
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}
