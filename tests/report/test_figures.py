"""The Plotly figures: every one drawn in both languages, all text from the catalogue."""

from __future__ import annotations

import re

import pytest

from overcap.report import figures, messages
from overcap.report.data import ReportData
from overcap.scenario import REGIMES
from tests.report.helpers import strings, untranslated

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("lang", messages.LANGS)
def test_every_figure_in_both_languages(small_data: ReportData, lang: str) -> None:
    figs = figures.build_all(small_data, lang)
    assert (
        list(figs)
        == list(figures.FIGURE_IDS)
        == [
            "policy_cycle",
            "history",
            "utilisation_waves",
            "wave_timing",
            "price_war",
            "provinces",
            "trade",
            "bill",
            "comparison",
            "difference",
            "evidence",
        ]
    )
    for fig_id, fig in figs.items():
        meta = fig.layout.meta
        assert meta["figure"] == fig_id and meta["lang"] == lang
        assert meta["caption"] == figures.caption(fig_id, lang, small_data)
        assert fig.layout.title.text and len(fig.data) > 0, fig_id
        texts = list(strings(fig.to_plotly_json()))
        assert not untranslated(texts), (fig_id, untranslated(texts))
        han = {c for t in texts for c in HAN.findall(t)}
        if lang == "zh-TW":
            assert han, fig_id
        else:  # English shows only the regimes and 內卷 in characters
            assert han <= set("放亂管死內卷"), (fig_id, han)


def test_policy_cycle_names_the_regimes(small_data: ReportData) -> None:
    present = set(small_data.regimes()["regime"])
    for lang in messages.LANGS:
        fig = figures.policy_cycle(small_data, lang)
        texts = " ".join(strings(fig.to_plotly_json()))
        for r in present:
            assert messages.regime(r, lang) in texts
        # the legend names all four regimes, the events panel every scripted event
        for r in REGIMES:
            assert messages.regime_long(r, lang) in texts
        for e in small_data.events():
            assert messages.event(e["name"], lang) in texts
    zh = " ".join(strings(figures.policy_cycle(small_data, "zh-TW").to_plotly_json()))
    assert "管*" in zh  # the scripted 2016-18 control


def test_bands_only_with_an_ensemble(small_data: ReportData, single_data: ReportData) -> None:
    def fills(fig: object) -> int:
        return sum(1 for t in fig.data if getattr(t, "fill", None) == "tonexty")  # type: ignore[attr-defined]

    assert fills(figures.bill(small_data, "en")) == 3
    assert fills(figures.bill(single_data, "en")) == 0
    assert fills(figures.comparison(small_data, "en")) == 2 * len(figures.COMPARISON)


def test_utilisation_waves_overlay_the_record(small_data: ReportData) -> None:
    fig = figures.utilisation_waves(small_data, "en")
    heat = fig.data[0]
    assert heat.type == "heatmap" and len(heat.y) == 14  # all sectors + 13 sectors
    overlay = [t for t in fig.data if t.name == messages.t("legend.fact", "en")]
    # 2008-2018 holds F10-F18's utilisation facts (steel, cement, aluminium, glass, ...)
    assert len(overlay) >= 6
    assert any("71%" in (t.text or ()) for t in overlay)  # F10: steel 2011-2015, 0.71


def test_price_war_sector_option(small_data: ReportData) -> None:
    fig = figures.price_war(small_data, "zh-TW", sector="steel")
    assert "鋼鐵" in fig.layout.title.text
    assert fig.layout.yaxis.title.text == messages.sector_unit("steel", "zh-TW")
    with pytest.raises(ValueError, match="sector 'tofu' unknown; allowed: consumer_electronics"):
        figures.price_war(small_data, "en", sector="tofu")


def test_comparison_and_evidence_cover_every_scenario(
    small_data: ReportData, single_data: ReportData
) -> None:
    fig = figures.comparison(small_data, "en")
    names = {t.name for t in fig.data if t.showlegend}
    assert names == {"baseline", "supply-side campaign"}
    one = figures.comparison(single_data, "en")
    assert one.layout.meta["caption"] == messages.t("fig.comparison.caption_single", "en")
    ev = figures.evidence(small_data, "en")
    table = ev.data[0]
    assert len(table.cells.values[0]) == len(small_data.facts)
    assert len(table.header.values) == 4 + 2 + 1
    cells = " ".join(table.cells.values[4])
    assert "pass" in cells and "not evaluable" in cells


def test_bad_language(small_data: ReportData) -> None:
    with pytest.raises(ValueError, match="allowed: zh-TW, en"):
        figures.FIGURES["bill"](small_data, "de")


def test_both_renderers_draw_the_selected_data(small_data: ReportData) -> None:
    """The bill and the policy cycle: the data is selected once (report.select) and the
    Plotly and matplotlib figures draw exactly those medians."""
    import numpy as np

    from overcap.report import png, select

    panels = select.bill(small_data)
    assert [p.title for p in panels] == [b[4] for b in select.BILL]
    fees = small_data.economy_bands(small_data.reference, "bad_loans", scale=1e-3)
    assert panels[1].series.frame.equals(fees)
    fig = figures.bill(small_data, "en")
    for p in panels:
        label = messages.t(p.series.legend, "en")
        lines = [t for t in fig.data if t.name == label and t.mode == "lines"]
        assert lines and np.allclose(np.asarray(lines[0].y), p.series.frame["median"], rtol=0)
    with png.style():
        mfig = png.bill(small_data, "en")
    axes = [ax for ax in mfig.axes if ax.get_lines()]
    for ax, p in zip(axes, panels, strict=True):
        label = messages.t(p.series.legend, "en")
        drawn = [ln for ln in ax.get_lines() if ln.get_label() == label]
        assert drawn and np.array_equal(drawn[0].get_ydata(), p.series.frame["median"])
    sel = select.policy_cycle(small_data)
    assert not sel.target.bands and sel.events == small_data.events()


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_fact_hovers_carry_the_facts_note(small_data: ReportData, lang: str) -> None:
    """A fact's note (its scope or caveat, e.g. F54's "power cells") is in the hover of
    its mark on the utilisation waves and the history panels; a fact without one adds
    nothing."""
    noted = {f.id: f.note for f in small_data.facts if f.note}
    label = messages.t("legend.fact_note", lang, note="")
    hovers = [
        str(t.hovertext or "")
        for fig in (figures.utilisation_waves(small_data, lang), figures.history(small_data, lang))
        for t in fig.data
        if t.hovertext
    ]
    assert any(label in h for h in hovers), "no fact mark shows its note"
    for h in hovers:
        for fid, note in noted.items():
            if h.startswith(f"{fid} "):  # a history panel's mark: "F54 2017-2017: 0.4..."
                assert label + note[:40] in h
        if label in h:
            assert any(note[:40] in h for note in noted.values())
    assert figures.fact_note(next(f for f in small_data.facts if not f.note), lang) == ""
