"""The dashboard under test: one app (English first, 2 runs, smaller and shorter runs),
served from a thread on a free port of 127.0.0.1, and Debian's Chromium for Playwright.

The browser is /usr/bin/chromium (``make system-deps`` installs it with the CJK fonts);
Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dash import Dash
from playwright.sync_api import Browser, BrowserType, Playwright, sync_playwright
from werkzeug.serving import make_server

from overcap.dashboard.app import create_app, runner_of
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

# every run of the tests' app: fewer firms and years than the baseline (about 0.3 s a run)
SMALL = {"population.firms_start": 1000, "time.start_year": 2005, "time.end_year": 2025}
RUNS = 2


@pytest.fixture(scope="session")
def dash_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dash]:
    """The app with its own results store and a Dask LocalCluster of 2 workers."""
    store = tmp_path_factory.mktemp("overcap-results")
    app = create_app(lang="en", runs=RUNS, seed=0, extra=SMALL, workers=2, results=store, warm=True)
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
    if os.environ.get("OVERCAP_SKIP_BROWSER") == "1":
        pytest.skip("OVERCAP_SKIP_BROWSER=1")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: run `make system-deps` (Debian's chromium and "
            "fonts-noto-cjk) or set OVERCAP_CHROMIUM"
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="package")
def browser_context_args() -> dict[str, Any]:
    """Each test's browser context (pytest-playwright's own would need its session-wide
    Playwright, see below)."""
    return {"viewport": {"width": 1400, "height": 1000}}


# pytest-playwright keeps one Playwright (and its event loop) for the whole session; the
# report's browser test starts its own sync Playwright, which cannot run inside another.
# These overrides end this package's Playwright when the package's tests are done.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    bt: BrowserType = getattr(playwright, browser_name)
    return bt


@pytest.fixture(scope="package")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    b = launch_browser()
    yield b
    b.close()
