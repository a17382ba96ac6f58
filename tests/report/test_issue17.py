"""Issue 17: provenance on every figure, each figure's CSV with the numbers plotted,
the paired difference, regime names that do not overlap, findings from the runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from PIL import Image

from overcap.report import figures, findings, messages, png, select, tables, write_report
from overcap.report.data import ReportData


@pytest.mark.parametrize("lang", messages.LANGS)
def test_every_figure_carries_its_provenance(small_data: ReportData, lang: str) -> None:
    prov = select.provenance(small_data, lang)
    assert "overcap" in prov and "seed 0" in prov.replace("種子 0", "seed 0")
    assert "2/2" in prov  # runs of each scenario
    for fig_id in figures.figure_ids(small_data):
        fig = png.PNG_FIGURES[fig_id](small_data, lang)
        foot = [t for t in fig.findobj(Text) if t.get_gid() == "provenance"]
        assert (
            foot
            and foot[0].get_text().replace("\n", " ") == prov.replace("\n", " ")
            or (foot and "".join(foot[0].get_text().split()) == "".join(prov.split()))
        ), fig_id
        pfig = figures.FIGURES[fig_id](small_data, lang)
        assert pfig.layout.meta["provenance"] == prov
        assert any(a.text == prov for a in pfig.layout.annotations), fig_id


def test_png_metadata_and_csv_beside_every_png(small_data: ReportData, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = write_report(small_data, tmp_path, lang="en")
    assert [p.stem.split("-", 1)[1] for p in files.pngs] == figures.figure_ids(small_data)
    prov = select.provenance(small_data, "en")
    for p in files.pngs:
        assert Image.open(p).info.get("Description") == prov, p.name
        assert p.with_suffix(".csv").exists(), p.name
    assert (tmp_path / "findings-en.md").read_text(encoding="utf-8").count("\n- ") >= 5


def _lines(fig, label: str) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    return [ln.get_ydata() for ax in fig.axes for ln in ax.get_lines() if ln.get_label() == label]


def test_csv_holds_the_numbers_plotted(small_data: ReportData, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the bill: each panel's median line equals the CSV's median for its column
    tables.write(small_data, "bill", tmp_path / "bill.csv")
    csv = pd.read_csv(tmp_path / "bill.csv")
    fig = png.PNG_FIGURES["bill"](small_data, "en")
    for col, _scale, legend, *_ in select.BILL:
        drawn = _lines(fig, messages.t(legend, "en"))
        assert drawn and np.array_equal(drawn[0], csv[csv["column"] == col]["median"].to_numpy())
    # the paired difference: each scenario's line per panel
    tables.write(small_data, "difference", tmp_path / "diff.csv")
    csv = pd.read_csv(tmp_path / "diff.csv")
    fig = png.PNG_FIGURES["difference"](small_data, "en")
    label = messages.scenario("supply-side-campaign", "en")
    for ax, (col, _s) in zip(fig.axes, select.COMPARISON, strict=False):
        drawn = [ln.get_ydata() for ln in ax.get_lines() if ln.get_label() == label]
        want = csv[(csv["column"] == col) & (csv["scenario"] == "supply-side-campaign")]
        assert np.array_equal(drawn[0], want["median"].to_numpy()), col
    # the history: the model's line and the record's points
    tables.write(small_data, "history", tmp_path / "history.csv")
    csv = pd.read_csv(tmp_path / "history.csv")
    fig = png.PNG_FIGURES["history"](small_data, "en")
    panels = select.history(small_data)
    for ax, p in zip(fig.axes, panels, strict=False):
        model = csv[(csv["panel"] == p.key) & (csv["series"] == "model")]
        drawn = [
            ln.get_ydata()
            for ln in ax.get_lines()
            if ln.get_label() == messages.t("legend.model_median", "en")
        ]
        assert np.array_equal(drawn[0], model["value"].to_numpy()), p.key
        for r in p.record:
            rec = csv[csv["series"] == f"record {r.fact.id}"]
            assert set(rec["value"]) == {r.value}
    # every table is tidy and non-empty
    for fig_id in figures.figure_ids(small_data):
        assert len(tables.table(small_data, fig_id)) > 0, fig_id


def test_paired_difference_is_scenario_minus_reference_run_by_run(
    small_data: ReportData,
) -> None:
    ref, other = small_data.runs["baseline"], small_data.runs["supply-side-campaign"]
    d = select.paired_difference(small_data, "supply-side-campaign", "gdp_growth")
    assert d["run"].nunique() == len(ref) == 2
    for k in range(2):
        want = (
            other[k].economy.set_index("year")["gdp_growth"]
            - ref[k].economy.set_index("year")["gdp_growth"]
        )
        got = d[d["run"] == k].set_index("year")["diff"]
        assert np.array_equal(got.to_numpy(), want.loc[got.index].to_numpy())
    # the pairs share a stream: replicate k with replicate k, even when stored shuffled
    shuffled = ReportData(
        {"baseline": list(ref), "supply-side-campaign": list(reversed(other))}, small_data.facts
    )
    assert select.paired_runs(shuffled, "supply-side-campaign") == [(0, 1), (1, 0)]
    d2 = select.paired_difference(shuffled, "supply-side-campaign", "gdp_growth")
    assert np.array_equal(d2["diff"].to_numpy(), d["diff"].to_numpy())
    # the band is over the pairs' differences, not a difference of bands
    sel = select.difference(small_data)[0].series[0].frame.set_index("year")
    per_year = d.groupby("year")["diff"]
    assert np.allclose(sel["median"], per_year.median())
    assert np.allclose(sel["p95"], per_year.quantile(0.95))


@pytest.mark.parametrize("lang", messages.LANGS)
def test_regime_labels_do_not_overlap(small_data: ReportData, lang: str) -> None:
    full = ReportData.build(["baseline"], runs=1, seed=0, workers=0)  # many short spells
    for data in (small_data, full):
        for fig_id in ("policy_cycle", "price_war"):
            fig = png.PNG_FIGURES[fig_id](data, lang)
            renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
            labels = [t for t in fig.findobj(Text) if t.get_gid() == "regime_label"]
            assert labels, fig_id
            boxes = [t.get_window_extent(renderer) for t in labels]
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    assert not a.overlaps(b), (fig_id, lang)
            ax_box = labels[0].axes.get_window_extent(renderer)
            assert all(b.x0 >= ax_box.x0 - 3 and b.x1 <= ax_box.x1 + 3 for b in boxes)


@pytest.mark.parametrize("lang", messages.LANGS)
def test_findings_and_limitations_from_the_runs(small_data: ReportData, lang: str) -> None:
    text = findings.findings(small_data, lang)
    assert len(text) >= 6
    # the evidence score and the waves' timing are this ensemble's numbers
    tab = small_data.check("baseline")
    assert any(f"{int(tab['passed'].sum())}" in t and f"{len(tab)}" in t for t in text)
    timing = select.wave_timing(small_data).table
    first = timing.sort_values(["median_year", "sector"], kind="stable").iloc[0]
    assert any(f"{first['median_year']:.0f}" in t for t in text)
    limits = findings.limitations(small_data, lang)
    # the fit: the stored three scores of the shipped set (overcap score), not a run
    cal = small_data.scenario().calibrated
    stored = findings.stored_scores(cal)
    assert stored is not None
    doc = stored[0]
    oos = messages.t(
        "scores.median",
        lang,
        passed=f"{doc['out_of_stream']['median']:g}",
        total=doc["facts_total"],
        seeds=", ".join(doc["out_of_stream"]["seeds"]),
    )
    assert any(oos in t and doc["date"] in t for t in limits)
    caption = figures.caption("evidence", lang, small_data)
    assert messages.t("scores.caveat", lang) in caption and oos in caption
    line = findings.stored_scores_note(cal, lang)[0]
    assert line in caption and doc["sets"]["shipped"]["file"] in line
    page = __import__("overcap.report.html", fromlist=["render"]).render(small_data, lang, figs={})
    assert messages.t("report.findings", lang) in page
    assert messages.t("report.limitations", lang) in page


def test_findings_change_with_the_runs(small_data: ReportData, single_data: ReportData) -> None:
    a = findings.observations(small_data, "utilisation_waves", "en")
    sel = select.utilisation_waves(small_data)
    year = sel.years[int(np.nanargmin(sel.z[0]))]
    assert f"lowest in {year}" in a[0]
    # a calibration file without a score: the text says so
    sc = single_data.scenario().model_copy(update={"calibrated": None})
    run = single_data.runs["baseline"][0]
    bare = ReportData(
        {"x": [type(run)(sc, run.seed, run.sectors, run.provinces, run.economy, run.trade)]},
        single_data.facts,
    )
    assert findings.calibration_score(bare, "en") == messages.t("limits.score_missing", "en")


@pytest.mark.parametrize("lang", messages.LANGS)
def test_stored_scores_say_when_they_are_stale(tmp_path: Path, lang: str) -> None:
    """A set that changed after its scores were stored: the limitations and the evidence
    footer say the stored scores are stale; a set without stored scores says none is."""
    from overcap.scenario import calibration_dir

    cal = tmp_path / "baseline.json"
    cal.write_bytes((calibration_dir() / "baseline.json").read_bytes())
    for name in ("baseline-score.json", "baseline-holdout-2013-2019.json"):
        if (calibration_dir() / name).exists():  # the out-of-time set, when shipped
            (tmp_path / name).write_bytes((calibration_dir() / name).read_bytes())
    calibrated = {"file": str(cal)}
    stale = messages.t("limits.score_stale", lang)
    assert stale not in findings.stored_scores_text(calibrated, lang)
    cal.write_bytes(cal.read_bytes() + b" ")
    assert stale in findings.stored_scores_text(calibrated, lang)
    assert stale in findings.stored_scores_note(calibrated, lang)
    (tmp_path / "baseline-score.json").unlink()
    missing = messages.t("limits.score_missing", lang)
    assert findings.stored_scores_text(calibrated, lang) == [missing]
    assert findings.stored_scores_note(calibrated, lang) == []


@pytest.mark.parametrize("lang", messages.LANGS)
def test_every_indicator_of_the_facts_has_a_label(lang: str) -> None:
    """The evidence table names every fact's indicator in words (export_share and
    subsidy_share_of_revenue came with facts v2), never by its column name."""
    from overcap.evidence import load_facts

    facts, _ = load_facts()
    for f in facts:
        key = f"fact_indicator.{f.indicator}"
        assert messages.has(key) or messages.has(f"indicator.{f.indicator}"), f.indicator
    by_id = {f.id: f for f in facts}
    for fid, ind in (("F40", "export_share"), ("F60", "subsidy_share_of_revenue")):
        text = select.fact_text(by_id[fid], lang)
        assert text.startswith(messages.t(f"fact_indicator.{ind}", lang)) and ind not in text
    assert by_id["F60"].label().startswith("industrial-policy support as a share of revenue")
