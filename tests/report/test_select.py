"""One data selection per figure (report.select), drawn by both renderers: the Plotly
traces and the matplotlib artists carry exactly the selected numbers and texts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from matplotlib.collections import QuadMesh
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

from overcap.report import figures, messages, png, select
from overcap.report.data import ReportData

LANG = "en"


@contextmanager
def styled() -> Iterator[None]:
    with png.style():
        yield


def same(a: object, b: object) -> bool:
    """Equal arrays, NaN where NaN, no tolerance."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return x.shape == y.shape and bool(np.array_equal(x, y, equal_nan=True))


def plotly_medians(fig: go.Figure) -> list[tuple[str, np.ndarray]]:
    """The named line traces (a series' median; bands and legends have no line name)."""
    lines = [t for t in fig.data if isinstance(t, go.Scatter) and t.mode == "lines" and t.name]
    return [(t.name, np.asarray(t.y, float)) for t in lines]


def png_medians(fig: Figure) -> list[tuple[str, np.ndarray]]:
    """Every labelled line of every axes, in axes order (reference lines have none)."""
    return [
        (str(ln.get_label()), np.asarray(ln.get_ydata(), float))
        for ax in fig.axes
        for ln in ax.get_lines()
        if not str(ln.get_label()).startswith("_")
    ]


def check_series(drawn: list[tuple[str, np.ndarray]], series: list[select.Series]) -> None:
    assert [name for name, _ in drawn] == [s.label(LANG) for s in series]
    for (name, y), s in zip(drawn, series, strict=True):
        assert same(y, s.frame["median"]), name


def test_utilisation_waves(small_data: ReportData) -> None:
    sel = select.utilisation_waves(small_data)
    assert sel.rows[0] == "ALL" and sel.rows[1:] == small_data.sectors()
    assert sel.z.shape == (len(sel.rows), len(sel.years))
    agg = small_data.economy_bands(small_data.reference, "aggregate_utilisation", scale=100.0)
    assert same(sel.z[0], agg["median"])
    steel = small_data.sector_bands(
        small_data.reference, "utilisation", sector="steel", scale=100.0, active_only=True
    )
    row = sel.z[sel.rows.index("steel")]
    assert same(row[[sel.years.index(y) for y in steel["year"]]], steel["median"])
    y0, y1 = small_data.years()
    assert sel.facts and all(y0 <= f.start <= f.end <= y1 for f in sel.facts)
    fig = figures.utilisation_waves(small_data, LANG)
    heat = fig.data[0]
    assert same(heat.z, sel.z) and list(heat.x) == sel.years
    marks = [t for t in fig.data if t.legendgroup == "facts"]
    assert [list(t.x) for t in marks] == [
        [f.start - 0.45, (f.start + f.end) / 2, f.end + 0.45] for f in sel.facts
    ]
    assert [t.text[1] for t in marks] == [f"{f.percent:.0f}%" for f in sel.facts]
    with styled():
        mfig = png.utilisation_waves(small_data, LANG)
    ax = mfig.axes[0]
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    assert same(np.ma.filled(mesh.get_array(), np.nan).reshape(sel.z.shape), sel.z)
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert [(b.get_x() + 0.5, b.get_y() + 0.45) for b in boxes] == [
        (f.start, sel.rows.index(f.row)) for f in sel.facts
    ]


def test_price_war(small_data: ReportData) -> None:
    sel = select.price_war(small_data, sector="steel")
    series = [sel.price, sel.unit_cost, sel.margin, sel.loss_making, sel.zombies]
    frame = small_data.sector_bands(
        small_data.reference, "margin", sector="steel", scale=100.0, active_only=True
    )
    assert sel.margin.frame.equals(frame) and sel.sector == "steel"
    fig = figures.price_war(small_data, LANG, sector="steel")
    check_series(plotly_medians(fig), series)
    assert fig.layout.yaxis.type == ("log" if sel.log_price else "linear")
    with styled():
        mfig = png.price_war(small_data, LANG, sector="steel")
    check_series(png_medians(mfig), series)
    assert mfig.axes[0].get_yscale() == ("log" if sel.log_price else "linear")
    with pytest.raises(ValueError, match="sector 'nope' unknown; allowed: "):
        select.price_war(small_data, sector="nope")


def test_trade(small_data: ReportData) -> None:
    sel = select.trade(small_data)
    assert sel.years_in_force.shape == (len(sel.partners), len(sel.sectors))
    assert sel.shares and all(float(s.frame["median"].max()) > 0 for s in sel.shares)
    series = [*sel.shares, sel.measures, sel.countermeasures]
    fig = figures.trade(small_data, LANG)
    assert same(fig.data[0].z, sel.years_in_force)
    check_series(plotly_medians(fig), series)
    with styled():
        mfig = png.trade(small_data, LANG)
    image = next(i for i in mfig.axes[0].get_images() if isinstance(i, AxesImage))
    assert same(image.get_array(), sel.years_in_force)
    check_series(png_medians(mfig), series)


def test_comparison(small_data: ReportData) -> None:
    panels = select.comparison(small_data)
    assert [p.column for p in panels] == [c for c, _ in select.COMPARISON]
    assert all(len(p.series) == len(small_data.scenarios) for p in panels)
    series = [s for p in panels for s in p.series]
    fig = figures.comparison(small_data, LANG)
    check_series(plotly_medians(fig), series)
    with styled():
        mfig = png.comparison(small_data, LANG)
    check_series(png_medians(mfig), series)


def test_evidence(small_data: ReportData) -> None:
    table = select.evidence_table(small_data, LANG)
    assert len(table.columns) == len(table.header) == 4 + len(small_data.scenarios) + 1
    assert table.ids == [f.id for f in small_data.facts]
    # every row gives its unit and its source (cut at a word; the CSV holds it whole)
    for f, record, source in zip(small_data.facts, table.columns[2], table.columns[3], strict=True):
        assert record.endswith(f.unit) and source == select.short_source(f.source)
        assert len(source) <= select.SOURCE_CHARS and source.rstrip("…") in " ".join(
            f.source.split()
        )
    fig = figures.evidence(small_data, LANG)
    assert [list(c) for c in fig.data[0].cells.values] == table.columns
    with styled():
        mfig = png.evidence(small_data, LANG)
    cells = mfig.axes[0].tables[0].get_celld()
    for c, column in enumerate(table.columns):
        assert [cells[r + 1, c].get_text().get_text() for r in range(len(column))] == column


def test_legends_of_scenarios_outside_the_catalogue() -> None:
    empty = pd.DataFrame(columns=["year", "median", "p5", "p95"])
    assert select.Series(empty, "scenario.my-own", "#000", False).label(LANG) == "my-own"
    baseline = select.Series(empty, "scenario.baseline", "#000", False)
    assert baseline.label("zh-TW") == messages.scenario("baseline", "zh-TW") != "baseline"
    with pytest.raises(messages.MessageError):
        select.Series(empty, "legend.nope", "#000", False).label(LANG)
