"""The page in a real browser (Debian's Chromium through Playwright): it loads offline,
two levers change and a run updates the comparison, the language switch shows Chinese,
an out-of-range value shows a message naming the field and the page keeps working."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

TIMEOUT = 90_000  # ms: a run on a loaded 2-core machine


def lever(page: Page, lever_id: str, kind: str = "lever-text") -> Locator:
    key = json.dumps({"lever": lever_id, "type": kind}, separators=(",", ":"))
    return page.locator(f"[id='{key}']")


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#run-button")).to_be_visible()
    expect(page.locator("#scenario-description")).not_to_be_empty()


def choose_scenario(page: Page, label: str) -> None:
    page.locator("#scenario").click()
    page.get_by_role("option", name=label, exact=True).click()
    expect(page.locator("#scenario")).to_contain_text(label)


def open_group(page: Page, lever_id: str) -> None:
    """Unfold the lever's group (groups the scenario's own events do not touch are
    folded)."""
    group = page.locator(f"details.group:has(#lever-{lever_id})")
    if group.get_attribute("open") is None:
        group.locator("summary").click()
    expect(page.locator(f"#lever-{lever_id}")).to_be_visible()


def set_text(page: Page, lever_id: str, value: str) -> None:
    open_group(page, lever_id)
    box = lever(page, lever_id)
    box.fill(value)
    box.press("Enter")


def figure(page: Page) -> dict[str, Any]:
    """What the figure shows: its id (layout.meta), title, traces' names and data."""
    out: dict[str, Any] = page.evaluate(
        """() => {
            const gd = document.querySelector('#figure .js-plotly-plot');
            if (!gd || !gd.data) return {figure: null, names: [], ys: [], title: ''};
            const meta = (gd.layout && gd.layout.meta) || {};
            const title = (gd.layout && gd.layout.title && gd.layout.title.text) || '';
            return {
                figure: meta.figure || null,
                title: title,
                names: gd.data.map(d => d.name || ''),
                // y as sent (plotly.py may send a typed array as {dtype, bdata})
                ys: gd.data.map(d => JSON.stringify(d.y || null)),
            };
        }"""
    )
    return out


def wait_for_figure(page: Page, test: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """Wait until the figure satisfies ``test`` (JS over the plot ``gd``)."""
    page.wait_for_function(
        f"""() => {{
            const gd = document.querySelector('#figure .js-plotly-plot');
            return !!(gd && gd.data && gd.layout && ({test}));
        }}""",
        timeout=timeout,
    )
    return figure(page)


def trace_of(fig: dict[str, Any], name: str) -> str:
    """The y data of the first trace called ``name`` (as JSON)."""
    return str(fig["ys"][fig["names"].index(name)])


def test_page_loads_offline_with_every_lever(page: Page, server_url: str) -> None:
    from overcap.dashboard.levers import LEVERS

    outside: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server_url) else outside.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    open_page(page, server_url)
    expect(page.locator("h1")).to_have_text("overcap: scenario explorer")
    for lv in LEVERS:
        kind = "lever-switch" if lv.kind == "switch" else "lever-text"
        expect(lever(page, lv.id, kind)).to_be_attached()
        expect(page.locator(f"#lever-{lv.id}")).to_contain_text(lv.path)
    expect(lever(page, "visibility", "lever-range")).to_have_text("0 to 1 share")
    expect(lever(page, "campaign_intensity", "lever-range")).to_have_text(
        "0 to 5 share of the utilisation gap"
    )
    expect(page.locator("#reform-text")).to_be_disabled()  # the baseline has no reform
    expect(page.locator("#figure .js-plotly-plot")).to_be_attached()
    assert outside == [], f"the page asked for something outside the server: {outside}"
    assert errors == [], errors


def test_two_levers_run_and_the_comparison_updates(page: Page, server_url: str) -> None:
    open_page(page, server_url)
    choose_scenario(page, "market reform")
    expect(page.locator("#reform-text")).to_have_value("2020")
    # lever 1: a slider, moved with the keyboard as a user can (its box follows)
    open_group(page, "campaign_compliance")
    thumb = lever(page, "campaign_compliance", "lever-slider").get_by_role("slider")
    thumb.focus()
    thumb.press("End")
    expect(lever(page, "campaign_compliance")).to_have_value("1")
    # lever 2: a switch
    switch = lever(page, "bailouts", "lever-switch").locator("input")
    expect(switch).to_be_checked()
    switch.click()
    expect(switch).not_to_be_checked()

    mine = "market reform (your levers)"
    t0 = time.perf_counter()
    page.locator("#run-button").click()
    fig = wait_for_figure(page, f"gd.data.some(d => d.name === {json.dumps(mine)})")
    first_seconds = time.perf_counter() - t0
    assert fig["figure"] == "comparison"
    assert "baseline" in fig["names"] and mine in fig["names"]
    assert fig["title"].startswith("Scenarios compared: baseline")
    expect(page.locator("#status")).to_contain_text("Done in")
    expect(page.locator("#status")).to_contain_text(mine)
    expect(page.locator("#message")).to_be_empty()
    before = trace_of(fig, mine)

    # a third lever, typed in its box: the same figure redraws with the new runs
    set_text(page, "visibility", "0.8")
    expect(lever(page, "visibility")).to_have_value("0.8")
    t0 = time.perf_counter()
    page.locator("#run-button").click()
    fig = wait_for_figure(
        page,
        f"""(() => {{
            const t = gd.data.find(d => d.name === {json.dumps(mine)});
            return t && JSON.stringify(t.y || null) !== {json.dumps(before)};
        }})()""",
    )
    second_seconds = time.perf_counter() - t0
    assert trace_of(fig, mine) != before
    assert trace_of(fig, "baseline") != "null"  # the baseline (cached) is still there
    command = page.locator("#command").text_content() or ""
    assert command.startswith("overcap compare baseline market-reform --runs 2 --seed 0 ")
    assert "--set market-reform:investment.visibility=0.8" in command
    assert "--set market-reform:switches.bailouts=false" in command
    assert "--set market-reform:centre.campaign_compliance=1.0" in command
    expect(lever(page, "visibility", "lever-slider").get_by_role("slider")).to_have_attribute(
        "aria-valuenow", "0.8"
    )  # the slider followed the box
    print(f"\nclick to comparison: {first_seconds:.2f} s, then {second_seconds:.2f} s")


def test_language_switch_shows_chinese_labels(page: Page, server_url: str) -> None:
    open_page(page, server_url)
    page.locator("#run-button").click()  # the baseline (warm, or cached by now)
    wait_for_figure(page, "gd.layout.meta && gd.layout.meta.figure === 'comparison'")
    page.locator("#lang").get_by_text("中文（台灣）").click()
    expect(page.locator("h1")).to_have_text("overcap：情境探索")
    expect(page.locator("#run-button")).to_have_text("執行")
    expect(page.locator("#page")).to_have_attribute("lang", "zh-TW")
    expect(page.locator("#view").get_by_text("與基準情境比較")).to_be_visible()
    expect(page.locator("#lever-visibility")).to_contain_text("投資能見度")
    expect(lever(page, "visibility", "lever-range")).to_have_text("0 至 1 比例")
    expect(page.locator("#scenario")).to_contain_text("基準情境")
    expect(page.locator("#status")).to_have_text(re.compile("^完成"))
    fig = wait_for_figure(page, "gd.layout.title.text.startsWith('情境比較')")
    assert "基準情境" in fig["names"]
    page.locator("#view").get_by_text("政策循環", exact=True).click()
    fig = wait_for_figure(page, "gd.layout.meta.figure === 'policy_cycle'")
    assert fig["title"].startswith("政策循環")
    page.locator("#lang").get_by_text("English").click()
    expect(page.locator("h1")).to_have_text("overcap: scenario explorer")
    wait_for_figure(page, "gd.layout.title.text.startsWith('The policy cycle')")


def test_out_of_range_value_shows_the_message_and_the_page_keeps_working(
    page: Page, server_url: str
) -> None:
    open_page(page, server_url)
    set_text(page, "visibility", "1.5")
    msg = lever(page, "visibility", "lever-msg")
    expected = (
        "Investment visibility (others' projects an investor sees) (investment.visibility): "
        "1.5 is out of range; allowed: 0 to 1 share"
    )
    expect(msg).to_have_text(expected)
    page.locator("#run-button").click()
    expect(page.locator("#message")).to_have_text(expected)
    expect(page.locator("#message")).to_have_class("message error")
    assert "Traceback" not in page.content()
    # the session still works: a good value clears the message and runs
    set_text(page, "visibility", "0.5")
    expect(msg).to_be_empty()
    page.locator("#run-button").click()
    expect(page.locator("#message")).to_be_empty()
    expect(page.locator("#status")).to_contain_text("Done in", timeout=TIMEOUT)


def test_bad_runs_and_reform_year_name_their_fields(page: Page, server_url: str) -> None:
    open_page(page, server_url)
    page.locator("#runs").fill("500")
    page.locator("#run-button").click()
    expect(page.locator("#message")).to_have_text(
        "Runs (runs): 500 is out of range; allowed: 1 to 20"
    )
    page.locator("#runs").fill("2")
    choose_scenario(page, "market reform")
    # the scenario's answer enables the reform year (the baseline has none) and sets its
    # default; a year typed before or after it arrives is the user's, never overwritten
    expect(page.locator("#reform-text")).to_be_enabled()
    expect(page.locator("#reform-text")).to_have_value(re.compile(r"^20\d\d$"))
    page.locator("#reform-text").fill("1900")
    page.locator("#reform-text").press("Enter")
    expect(page.locator("#reform-msg")).to_contain_text(
        "Year the reform starts (reform_year): 1900 is out of range; allowed: 2005 to 2025"
    )
    page.locator("#run-button").click()
    expect(page.locator("#message")).to_contain_text("(reform_year): 1900 is out of range")


def test_a_lever_typed_right_after_choosing_a_scenario_stays(
    page: Page, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: the scenario's levers arriving late overwrote what the user typed. The
    server is made slow to answer a scenario; the lever typed meanwhile must stay."""
    from overcap.dashboard import callbacks

    real = callbacks.lever_values

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(callbacks, "lever_values", slow)
    open_page(page, server_url)
    choose_scenario(page, "market reform")
    set_text(page, "visibility", "0.8")
    # the scenario's slow answer has arrived (it enables the reform year) ...
    expect(page.locator("#reform-text")).to_be_enabled(timeout=15_000)
    expect(page.locator("#reform-text")).to_have_value("2020")
    page.wait_for_timeout(500)
    # ... and the lever is still what the user typed, its slider with it
    expect(lever(page, "visibility")).to_have_value("0.8")
    expect(lever(page, "visibility", "lever-slider").get_by_role("slider")).to_have_attribute(
        "aria-valuenow", "0.8"
    )


def test_the_page_answers_while_runs_are_running(page: Page, server_url: str) -> None:
    open_page(page, server_url)
    page.locator("#runs").fill("20")
    page.locator("#seed").fill("4242")  # nothing cached: 20 runs of the baseline to do
    page.locator("#run-button").click()
    expect(page.locator("#status")).to_contain_text("Running", timeout=10_000)
    page.locator("#lang").get_by_text("中文（台灣）").click()
    # the language switch and the progress are answered while the workers are busy
    expect(page.locator("h1")).to_have_text("overcap：情境探索", timeout=5_000)
    expect(page.locator("#status")).to_contain_text("執行中", timeout=5_000)
    progress = page.locator("#progress")
    assert progress.get_attribute("max") == "20"
    expect(page.locator("#status")).to_have_text(re.compile("^完成"), timeout=TIMEOUT * 2)
    assert progress.evaluate("e => [e.value, e.max]") == [20, 20]


@pytest.fixture(autouse=True)
def _no_tracebacks_on_pages(page: Page) -> None:
    """Nothing a test does may show a Python traceback on the page."""
    yield
    if not page.is_closed():
        assert "Traceback (most recent call last)" not in page.content()


# ---------------------------------------------------------------- the first screen
SHOTS = os.environ.get("OVERCAP_DASH_SHOTS")  # a folder: the layout test saves screenshots


def box(page: Page, selector: str) -> dict[str, float]:
    """The bounding box of the first element matching ``selector`` (page coordinates)."""
    out: dict[str, float] = page.evaluate(
        """(sel) => {
            const r = document.querySelector(sel).getBoundingClientRect();
            return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY,
                    left: r.left, right: r.right};
        }""",
        selector,
    )
    return out


@pytest.mark.parametrize("width", [1440, 800])
@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_the_comparison_shows_legend_years_and_reform_on_its_first_screen(
    browser: Browser, server_url: str, width: int, lang: str
) -> None:
    """Issue 17: the legend and the years sat 1,600 px below the top of the comparison;
    at 800 px the figure fell below all the levers; no mark of the reform year."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        open_page(page, server_url)
        if lang == "zh-TW":
            page.locator("#lang").get_by_text("中文（台灣）").click()
            expect(page.locator("#page")).to_have_attribute("lang", "zh-TW")
        choose_scenario(page, "市場化改革" if lang == "zh-TW" else "market reform")
        page.locator("#run-button").click()
        fig = wait_for_figure(
            page,
            "gd.layout.meta && gd.layout.meta.figure === 'comparison' && gd.data.length > 10",
        )
        assert fig["figure"] == "comparison"
        views = box(page, "#views")
        graph = "#figure .js-plotly-plot"
        legend = box(page, f"{graph} .legend")
        first_years = box(page, f"{graph} .xaxislayer-above .xtick")
        levers = box(page, "#levers-box")
        # within the first screen (900 px) of the comparison: the legend and a year axis
        assert legend["bottom"] - views["top"] < 900, (legend, views)
        assert first_years["bottom"] - views["top"] < 900, (first_years, views)
        assert legend["top"] >= views["top"]
        if width == 1440:  # beside the levers, on the page's first screen
            assert views["top"] < 200 and views["left"] > levers["right"]
        else:  # before the levers, not after them
            assert views["bottom"] <= levers["top"] + 1
        years = page.locator(f"{graph} .xtick").all_text_contents()
        assert "2010" in years and "2020" in years
        # the reform year: a dashed line on every panel and its name on the first
        meta = page.evaluate(
            "() => { const gd = document.querySelector('#figure .js-plotly-plot');"
            " return [gd.layout.meta.reform_year, gd.layout.shapes.map(s => s.x0),"
            " gd.layout.annotations.map(a => a.text)]; }"
        )
        assert meta[0] == 2020
        assert len(meta[1]) >= 10 and set(meta[1]) == {2020}
        assert ("改革 2020" if lang == "zh-TW" else "reform 2020") in meta[2]
        # the lever shows the scenario's event
        off = "2020 年起：關（市場化改革）" if lang == "zh-TW" else "from 2020: off (market reform)"
        expect(lever(page, "subsidies", "lever-event")).to_have_text(off)
        expect(lever(page, "subsidies", "lever-event")).to_be_visible()
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.evaluate("(y) => window.scrollTo(0, y)", views["top"] if width < 900 else 0)
            page.wait_for_timeout(300)
            page.screenshot(path=str(Path(SHOTS) / f"comparison-{width}x900-{lang}.png"))
            page.screenshot(path=str(Path(SHOTS) / f"page-{width}-{lang}-full.png"), full_page=True)
    finally:
        page.close()


def test_levers_show_the_scenario_s_events_and_explain_themselves(
    page: Page, server_url: str
) -> None:
    open_page(page, server_url)
    # the baseline's own switches: no event sets them, their groups stay folded
    expect(lever(page, "subsidies", "lever-event")).to_be_empty()
    expect(page.locator("#group-subsidies")).not_to_have_attribute("open", "")
    expect(page.locator("#group-reform")).to_have_attribute("open", "")
    choose_scenario(page, "market reform")
    # market-reform turns them off from 2020: the switch (their value before) says so
    for lever_id in ("subsidies", "soft_budget", "bailouts", "local_protection"):
        expect(lever(page, lever_id, "lever-event")).to_have_text("from 2020: off (market reform)")
        expect(lever(page, lever_id, "lever-event")).to_be_visible()
    expect(lever(page, "subsidies", "lever-switch").locator("input")).to_be_checked()
    # moving the reform moves the mark
    page.locator("#reform-text").fill("2016")
    page.locator("#reform-text").press("Enter")
    expect(lever(page, "bailouts", "lever-event")).to_have_text("from 2016: off (market reform)")
    # a tooltip per lever, plain units, in the page's language
    tip = lever(page, "defence_surge", "tip")
    assert "import surges" in (tip.get_attribute("title") or "")
    expect(lever(page, "defence_surge", "lever-range")).to_have_text(
        "0 to 200 (sensitivity; 0 never reacts)"
    )
    expect(lever(page, "subsidy_base", "lever-range")).to_have_text("0 to 1 (0 none, 1 strongest)")
    page.locator("#lang").get_by_text("中文（台灣）").click()
    expect(lever(page, "bailouts", "lever-event")).to_have_text("2016 年起：關（市場化改革）")
    expect(tip).to_have_attribute("title", re.compile("進口激增"))
    expect(lever(page, "subsidy_base", "lever-range")).to_have_text("0 至 1（0 無，1 最強）")
    # the glossary, folded under the figure
    page.locator("#glossary summary").click()
    expect(page.locator("#glossary")).to_contain_text("中位數")
    # values show three significant digits, not four decimals (the scenario's own value)
    from overcap.dashboard.levers import fmt
    from overcap.scenario import load_scenario

    shown = fmt(load_scenario("market-reform").provinces.subsidy_base)
    assert len(shown.lstrip("0.")) <= 3
    expect(lever(page, "subsidy_base")).to_have_value(shown)


def test_the_attribution_tab_shows_a_stored_experiment(
    page: Page, server_url: str, dash_app: Any
) -> None:
    """Empty first (the message names the command), then a tiny attribution stored in the
    app's results store appears on reload, drawn at the page's width, with its claims,
    in both languages."""
    from overcap.attribution import attribute
    from overcap.dashboard.app import runner_of

    open_page(page, server_url)
    page.locator("#view").get_by_text("Attribution", exact=True).click()
    expect(page.locator("#attr-message")).to_contain_text("overcap attribute baseline --runs 10")
    expect(page.locator("#figure")).to_be_hidden()
    attribute(
        "baseline",
        runs=2,
        outcomes=["zombie_share", "idle_capacity"],
        players=["tournament", "soft_budget", "campaigns"],
        overrides={"time.end_year": 1999, "population.firms_start": 2000},
        workers=0,
        name="attr-browser",
        results=runner_of(dash_app).compute.results,  # type: ignore[attr-defined]
    )
    page.locator("#attr-reload").click()
    expect(page.locator("#attr-experiment")).to_contain_text("attr-browser")
    expect(page.locator("#attr-figure .point")).to_have_count(4)  # 3 mechanisms and the total
    ticks = page.locator("#attr-figure .ytick")
    expect(ticks.filter(has_text="soft_budget")).to_have_count(1)
    expect(ticks.filter(has_text="all on - all off")).to_have_count(1)
    expect(page.locator("#attr-claims-table tbody tr")).to_have_count(10)
    expect(page.locator("#attr-claims-table")).to_contain_text("attr-browser: soft_budget")
    assert page.locator("#attr-figure .main-svg").first.bounding_box()["width"] > 600  # type: ignore[index]
    page.locator("#lang").get_by_text("中文（台灣）").click()
    expect(page.locator("#view").get_by_text("機制歸因")).to_be_visible()
    expect(page.locator("#attr-claims-title")).to_have_text("論點的主張與檢驗")
    expect(ticks.filter(has_text="全開 − 全關")).to_have_count(1)
