"""The HTML report in headless Chromium with the network blocked: every figure drawn.

Needs Debian's chromium (``make system-deps`` installs it; ``make test`` runs that
first) and the ``playwright`` package from the dev extras. Playwright's own browser
downloads are never used: the test launches /usr/bin/chromium. Without chromium the
test fails (set OVERCAP_SKIP_BROWSER=1 to skip it knowingly).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from overcap.report import ReportData, figures, html
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

# what each figure must have drawn: plot SVGs, and traces, heat-map images or table cells
PROBE = """(id) => {
  const d = document.getElementById('fig-' + id);
  if (!d) return null;
  const q = (s) => d.querySelectorAll(s).length;
  return {plot: d.classList.contains('js-plotly-plot'), svg: q('.main-svg'),
          traces: q('g.trace'), lines: q('path.js-line'), images: q('image'),
          cells: q('.cell-text'), data: d._fullData ? d._fullData.length : 0};
}"""

if os.environ.get("OVERCAP_SKIP_BROWSER") == "1":
    pytest.skip("OVERCAP_SKIP_BROWSER=1", allow_module_level=True)


def open_report(path: Path) -> dict[str, Any]:
    """Load the page from disk in headless Chromium with every non-file request aborted;
    return the probe of each figure, script errors and the requests that were blocked."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: run `make system-deps`"
    errors: list[str] = []
    blocked: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})

            def route(r: Any) -> None:
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(500)  # let plotly finish its asynchronous drawing
            probes = {f: page.evaluate(PROBE, f) for f in figures.FIGURE_IDS}
        finally:
            browser.close()
    return {"probes": probes, "errors": errors, "blocked": blocked}


def test_every_figure_drawn_offline(small_data: ReportData, tmp_path: Path) -> None:
    path = html.write(small_data, "zh-TW", tmp_path / "report-zh-TW.html")
    seen = open_report(path)
    assert seen["errors"] == []
    assert seen["blocked"] == []  # the page asked for nothing outside the file
    probes = seen["probes"]
    for fig_id in figures.FIGURE_IDS:
        pr = probes[fig_id]
        assert pr is not None and pr["plot"], fig_id
        assert pr["svg"] >= 1 and pr["data"] >= 1, (fig_id, pr)
        assert pr["traces"] + pr["images"] + pr["cells"] > 0, (fig_id, pr)
    assert probes["utilisation_waves"]["images"] >= 1  # the heat map
    assert probes["trade"]["images"] >= 1
    assert probes["policy_cycle"]["lines"] >= 3
    assert probes["evidence"]["cells"] >= len(small_data.facts)


def test_the_check_sees_a_broken_page(small_data: ReportData, tmp_path: Path) -> None:
    """Without plotly.js the same check finds script errors and nothing drawn."""
    page = html.render(small_data, "en")
    head, body = page.split("</head>", 1)
    head = head[: head.index('<script type="text/javascript">')] + "</head>"
    path = tmp_path / "broken.html"
    path.write_text(head + body, encoding="utf-8")
    seen = open_report(path)
    assert any("Plotly is not defined" in e for e in seen["errors"])
    assert all(not p["plot"] and p["svg"] == 0 for p in seen["probes"].values())
