"""Dashboard latency: time from pressing run to the comparison figure updating.

    python benchmarks/bench_dashboard.py [--repeats 5] [--shots DIR]

Starts ``overcap dashboard`` with its defaults (4 runs per scenario, the full
1995-2030 world, 2 Dask workers) on a free port of 127.0.0.1, with a scratch results
store, and drives it with Playwright in Debian's Chromium (/usr/bin/chromium):

* cold: the first page, then at once run market-reform with two levers moved (the
  cluster starts, and the baseline started by the first page and the scenario both run);
* then ``--repeats`` times: move the visibility lever to a new value and run again (the
  baseline comes from the cache, the scenario's 4 runs are new).

Prints one JSON line per measurement with the machine's load (1-minute load average
before and after) and saves screenshots (English and zh-TW) to ``--shots``. Results
depend on the machine and its load; record them with it, never assert them in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = os.environ.get("OVERCAP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
MINE = "market reform (your levers)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the dashboard did not listen on {port}")


def set_lever(page: Page, lever: str, value: str) -> None:
    box = page.locator(f'[id=\'{{"lever":"{lever}","type":"lever-text"}}\']')
    box.fill(value)
    box.press("Enter")
    page.wait_for_function(
        "([sel, v]) => document.querySelector(sel).value === v",
        arg=[f'[id=\'{{"lever":"{lever}","type":"lever-text"}}\']', value],
    )


def mine_y(page: Page) -> str:
    return str(
        page.evaluate(
            """(name) => {
                const gd = document.querySelector('#figure .js-plotly-plot');
                const t = gd && gd.data && gd.data.find(d => d.name === name);
                return t ? JSON.stringify(t.y) : '';
            }""",
            MINE,
        )
    )


def press_run_and_wait(page: Page, before: str, timeout_ms: int = 600_000) -> float:
    """Seconds from the click to the comparison figure holding new data for the run."""
    t0 = time.perf_counter()
    page.locator("#run-button").click()
    page.wait_for_function(
        """([name, before]) => {
            const gd = document.querySelector('#figure .js-plotly-plot');
            const t = gd && gd.data && gd.data.find(d => d.name === name);
            return !!t && JSON.stringify(t.y) !== before;
        }""",
        arg=[MINE, before],
        timeout=timeout_ms,
    )
    return time.perf_counter() - t0


def load() -> float:
    return os.getloadavg()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--shots", type=Path, default=Path("dashboard-shots"))
    opts = ap.parse_args()
    opts.shots.mkdir(parents=True, exist_ok=True)
    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="overcap-bench-dashboard-"))
    cmd = [sys.executable, "-m", "overcap.cli", "dashboard", "--port", str(port), "--lang", "en"]
    cmd += ["--results", str(scratch / "overcap-results")]
    server = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_listening(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("#scenario").click()
            page.get_by_role("option", name="market reform", exact=True).click()
            set_lever(page, "visibility", "0.2")
            page.locator('[id=\'{"lever":"bailouts","type":"lever-switch"}\'] input').click()
            l0 = load()
            secs = press_run_and_wait(page, "")
            status = page.locator("#status").inner_text()
            print(
                json.dumps(
                    {
                        "what": "cold",
                        "seconds": round(secs, 2),
                        "load_before": l0,
                        "load_after": load(),
                        "status": status,
                    }
                ),
                flush=True,
            )
            page.screenshot(path=str(opts.shots / "dashboard-en.png"))
            for i in range(opts.repeats):
                value = f"{0.3 + 0.1 * i:.1f}"
                set_lever(page, "visibility", value)
                before = mine_y(page)
                l0 = load()
                secs = press_run_and_wait(page, before)
                status = page.locator("#status").inner_text()
                print(
                    json.dumps(
                        {
                            "what": f"visibility={value}",
                            "seconds": round(secs, 2),
                            "load_before": l0,
                            "load_after": load(),
                            "status": status,
                        }
                    ),
                    flush=True,
                )
            page.locator("#lang").get_by_text("中文（台灣）").click()
            page.wait_for_function(
                "() => document.querySelector('#figure .js-plotly-plot').layout.title.text"
                ".startsWith('情境比較')"
            )
            page.screenshot(path=str(opts.shots / "dashboard-zh-TW.png"))
            page.locator("#view").get_by_text("產能利用率熱圖").click()
            page.wait_for_function(
                "() => document.querySelector('#figure .js-plotly-plot').layout.meta.figure"
                " === 'utilisation_waves'"
            )
            page.screenshot(path=str(opts.shots / "dashboard-zh-TW-heatmap.png"))
            set_lever(page, "visibility", "1.5")
            page.locator("#run-button").click()
            page.wait_for_function("() => document.querySelector('#message').innerText !== ''")
            page.screenshot(path=str(opts.shots / "dashboard-zh-TW-error.png"))
            print(
                json.dumps(
                    {"what": "error", "message": page.locator("#message").inner_text()},
                    ensure_ascii=False,
                ),
                flush=True,
            )
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
