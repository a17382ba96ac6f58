"""The whole report, both languages, for a small run: files, figures, text, PNGs."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from overcap.cli import app
from overcap.experiments import open_experiment
from overcap.report import ReportData, figures, messages, write_report
from overcap.report.build import ReportFiles
from overcap.scenario import REGIMES
from overcap.store import StoreError
from tests.report.conftest import SMALL
from tests.report.helpers import untranslated

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def written(
    small_data: ReportData, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, ReportFiles]:
    out = tmp_path_factory.mktemp("report")
    # PNG files for one language (test_png draws every PNG figure in both)
    return {
        lang: write_report(small_data, out, lang=lang, png=lang == "zh-TW")
        for lang in messages.LANGS
    }


def _body(page: str) -> str:
    """The page after its head (without plotly.js), JSON escapes decoded."""
    body = page.split("</head>", 1)[1]
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), body)


def _visible_text(page: str) -> str:
    """The page without its scripts and tags (what a reader sees outside the plots)."""
    body = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_every_figure_is_in_the_page(written: dict[str, ReportFiles]) -> None:
    for lang, files in written.items():
        assert files.html.name == f"report-{lang}.html"
        page = files.html.read_text(encoding="utf-8")
        for fig_id in figures.FIGURE_IDS:
            assert f'id="section-{fig_id}"' in page and f'id="fig-{fig_id}"' in page
            assert page.count(f'"fig-{fig_id}"') >= 2  # the div and the script that draws it
        # plotly.js inlined once, nothing fetched from elsewhere
        assert page.count("<script") == 1 + len(figures.FIGURE_IDS)
        assert not re.search(r"<script[^>]+src=", page) and "<link" not in page
        assert "cdn.plot.ly" not in _body(page)  # (plotly.js names it for geo maps only)
        assert files.html_bytes > 3_000_000  # plotly.js itself is about 4.8 MB


def test_text_is_translated_and_zh_tw_names_the_regimes(
    written: dict[str, ReportFiles], small_data: ReportData
) -> None:
    zh = written["zh-TW"].html.read_text(encoding="utf-8")
    en = written["en"].html.read_text(encoding="utf-8")
    assert '<html lang="zh-Hant-TW">' in zh and '<html lang="en">' in en
    # the figures (their JSON escapes non-ASCII) name every regime in the legend and
    # label each spell of the cycle with its character
    body = _body(zh)
    for r in REGIMES:
        assert messages.regime_long(r, "zh-TW") in body
    for r in set(small_data.regimes()["regime"]):
        assert f'"text":"{messages.regime(r, "zh-TW")}' in body
    for ch in "放亂管死":
        assert ch in _visible_text(zh)  # the cycle note: 一放就亂，一亂就管 ...
    for lang, page in (("zh-TW", zh), ("en", en)):
        text = _visible_text(page)
        assert messages.t("report.title", lang) in text
        for fig_id in figures.FIGURE_IDS:
            assert figures.caption(fig_id, lang, small_data) in text
        assert not untranslated([_body(page)]), untranslated([_body(page)])
    assert messages.t("report.title", "en") not in _visible_text(zh)


def test_pngs(written: dict[str, ReportFiles]) -> None:
    assert written["en"].pngs == []
    for lang, files in written.items():
        if not files.pngs:
            continue
        names = [p.name for p in files.pngs]
        assert names == [f"{n}-{f}.png" for n, f in enumerate(figures.FIGURE_IDS, start=1)]
        for p in files.pngs:
            assert p.parent.name == f"png-{lang}"
            head = p.read_bytes()[:24]
            assert head[:8] == PNG_MAGIC
            width = int.from_bytes(head[16:20], "big")
            assert width >= 1500  # 11 in at 150 dpi


def test_cli_report(tmp_path: Path) -> None:
    sets = [x for k, v in SMALL.items() for x in ("--set", f"{k}={v}")]
    res = CliRunner().invoke(
        app,
        [
            "report",
            "baseline",
            "market-reform",
            "--runs",
            "1",
            "--lang",
            "en",
            "--out",
            str(tmp_path / "r"),
            "--sector",
            "steel",
            "--no-png",
            "--results",
            str(tmp_path / "store"),
            "--name",
            "rep",
            "--workers",
            "0",
            *sets,
        ],
    )
    assert res.exit_code == 0, res.output
    page = tmp_path / "r" / "report-en.html"
    out = " ".join(res.output.split())
    assert page.exists() and f"report: {page}" in out
    assert not (tmp_path / "r" / "png-en").exists()
    assert "Steel" in page.read_text(encoding="utf-8")
    # the runs went to the results store, one experiment per scenario
    assert "runs of baseline: experiment rep-baseline" in out
    assert "runs of market-reform: experiment rep-market-reform" in out
    runs = open_experiment("rep-market-reform", tmp_path / "store").runs()
    assert list(runs["status"]) == ["ok"]

    # and a report can be drawn again from the stored runs, without running them
    again = CliRunner().invoke(
        app,
        [
            "report",
            "--from-experiment",
            "rep-baseline",
            "--from-experiment",
            "rep-market-reform",
            "--results",
            str(tmp_path / "store"),
            "--lang",
            "en",
            "--out",
            str(tmp_path / "r2"),
            "--no-png",
        ],
    )
    assert again.exit_code == 0, again.output
    assert (tmp_path / "r2" / "report-en.html").exists()


def test_report_data_from_the_store_matches_the_runs(tmp_path: Path) -> None:
    """Bands from the stored runs are those of the runs themselves (the store loses
    nothing), and from_experiments reads them back by name."""
    built = ReportData.build(
        ["baseline"], runs=2, seed=3, overrides=SMALL, workers=0, results=tmp_path, name="x"
    )
    assert built.experiments == {"baseline": "x-baseline"}
    direct = ReportData.build(["baseline"], runs=2, seed=3, overrides=SMALL, workers=0)
    assert direct.experiments == {}
    back = ReportData.from_experiments(["x-baseline"], results=tmp_path)
    for data in (built, back):
        pd.testing.assert_frame_equal(
            data.economy_bands("baseline", "gdp_growth"),
            direct.economy_bands("baseline", "gdp_growth"),
        )
    with pytest.raises(StoreError, match="nope"):
        ReportData.from_experiments(["nope"], results=tmp_path)


def test_cli_report_from_a_missing_experiment(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["report", "--from-experiment", "nope", "--results", str(tmp_path)]
    )
    assert res.exit_code == 2
    assert "nope" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "fr"], "--lang 'fr': unknown; allowed: zh-TW, en"),
        (["nope"], "unknown scenario 'nope'"),
        (["--sector", "tofu"], "--sector 'tofu': unknown; allowed: consumer_electronics"),
        (["baseline", "baseline"], "scenario 'baseline' is named twice"),
        (["--set", "time.end_year=1800"], "time.end_year"),
    ],
)
def test_cli_report_bad_input(args: list[str], message: str) -> None:
    res = CliRunner().invoke(app, ["report", *args, "--runs", "1"])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
    assert len(res.output.strip().splitlines()) <= 2


def test_cli_report_unwritable_out(tmp_path: Path) -> None:
    f = tmp_path / "a-file"
    f.write_text("x")
    res = CliRunner().invoke(app, ["report", "--runs", "1", "--out", str(f)])
    assert res.exit_code == 2
    assert f"--out {f}: cannot write there (it is a file, not a folder)" in " ".join(
        res.output.split()
    )
