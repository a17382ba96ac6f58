"""The report's figures as static PNG files (matplotlib), for papers and slides.

The same seven figures as :mod:`overcap.report.figures`, from the same
:class:`~overcap.report.data.ReportData` and the same message catalogue; each PNG
carries its title, axis labels with units, legend and its caption under the plot::

    from overcap.report import png

    fig = png.PNG_FIGURES["bill"](data, "zh-TW")     # a matplotlib Figure
    with png.style():                                # the report's fonts when saving
        fig.savefig("bill.png", dpi=150)
    paths = png.write_all(data, "zh-TW", "out/png")  # [out/png/1-policy_cycle.png, ...]

Chinese characters need a CJK font (:mod:`overcap.report.fonts`); without one the
figures are still written, with a :class:`~overcap.report.fonts.MissingFontWarning`.
Figures are made without pyplot (no global state, no display needed).
"""

from __future__ import annotations

import functools
import textwrap
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from overcap._version import __version__
from overcap.report import messages as m
from overcap.report import select
from overcap.report.data import ReportData
from overcap.report.figures import FIGURE_IDS, REGIME_COLOURS, caption
from overcap.report.fonts import font_families
from overcap.report.select import DEFAULT_SECTOR
from overcap.scenario import REGIMES

PngBuilder = Callable[..., Figure]
# axes whose regime names wait for the layout: axes -> (spells, language)
_PENDING: weakref.WeakKeyDictionary[Axes, tuple[list[dict[str, Any]], str]] = (
    weakref.WeakKeyDictionary()
)
WIDTH = 9.0  # inches; 180 dpi gives 1620 px
DPI = 180


@contextmanager
def style() -> Iterator[None]:
    """matplotlib settings for the report: a CJK font first, light grids."""
    with mpl.rc_context(
        {
            "font.family": font_families(),
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.titleweight": "bold",
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.fontsize": 8.5,
            "legend.frameon": False,
            "axes.unicode_minus": False,
        }
    ):
        yield


def _wrap(text: str, lang: str, width_in: float) -> str:
    # CJK characters are about twice as wide as Latin letters
    chars = int(width_in * (6.6 if lang == "zh-TW" else 15))
    return "\n".join(textwrap.wrap(text, chars))


def _frame(
    fig: Figure, fig_id: str, title: str, lang: str, data: ReportData, **opts: Any
) -> Figure:
    """Title above; caption (what the figure shows, then what it shows for these runs)
    and the provenance line below; tight layout in between. The provenance also goes
    into the PNG's metadata (see :func:`metadata`)."""
    w, h = fig.get_size_inches()
    cap = _wrap(caption(fig_id, lang, data, **opts), lang, w)
    prov = _wrap(select.provenance(data, lang), lang, w * 1.15)
    n_lines = cap.count("\n") + 1
    n_prov = prov.count("\n") + 1
    fig.suptitle(title.replace("<br>", "\n"), x=0.01, ha="left", fontsize=13, fontweight="bold")
    fig.text(
        0.01, 0.005, prov, ha="left", va="bottom", fontsize=7.5, color="#666666", gid="provenance"
    )
    fig.text(
        0.01,
        (0.12 + 0.13 * n_prov) / h,
        cap,
        ha="left",
        va="bottom",
        fontsize=9.5,
        color="#333333",
        gid="caption",
    )
    bottom = (0.35 + 0.2 * n_lines + 0.13 * n_prov) / h
    top = 1.0 - 0.45 / h
    for leg in fig.legends:
        # a figure-wide legend goes under the title, left-aligned, never over it
        leg.set_loc("upper left")
        leg.set_bbox_to_anchor((0.01, 1.0 - 0.5 / h), transform=fig.transFigure)
        rows = -(-len(leg.get_texts()) // max(int(getattr(leg, "_ncols", 1)), 1))
        top = min(top, 1.0 - (0.6 + 0.2 * rows + (0.2 if leg.get_title().get_text() else 0)) / h)
    fig.tight_layout(rect=(0.0, bottom, 1.0, top))
    for ax in fig.axes:
        if ax in _PENDING:
            spells, label_lang = _PENDING.pop(ax)
            _regime_labels(ax, spells, label_lang)
    return fig


def metadata(data: ReportData, lang: str, fig_id: str) -> dict[str, str]:
    """The PNG's text chunks: title, the provenance line, the software."""
    return {
        "Title": fig_id,
        "Description": select.provenance(data, lang),
        "Software": f"overcap {__version__}",
        "Source": "overcap report",
    }


def _band(
    ax: Axes,
    frame: pd.DataFrame,
    label: str,
    colour: str,
    bands: bool,
    dash: str = "-",
    lw: float = 2.0,
) -> None:
    x = frame["year"].to_numpy()
    if bands:
        ax.fill_between(
            x, frame["p5"].to_numpy(), frame["p95"].to_numpy(), color=colour, alpha=0.18, lw=0
        )
    ax.plot(x, frame["median"].to_numpy(), dash, color=colour, lw=lw, label=label)


def _regime_backdrop(
    axes: list[Axes], data: ReportData, scenario: str, lang: str, label: bool = True
) -> None:
    """Regimes as coloured spans on every axis; on the first, each spell's name above it
    where it fits (:func:`_regime_labels`)."""
    spells = data.regime_spells(scenario)
    for sp in spells:
        for ax in axes:
            ax.axvspan(
                sp["start"] - 0.5,
                sp["end"] + 0.5,
                color=REGIME_COLOURS[sp["regime"]],
                alpha=0.10 + 0.15 * sp["share"],
                lw=0,
                zorder=0,
            )
    if label:
        # the names are placed once the layout is fixed (_frame); a transparent stand-in
        # makes the layout keep room for them
        ax = axes[0]
        ax.text(
            0.5,
            1.01,
            "放 loosen",
            transform=ax.transAxes,
            alpha=0.0,
            va="bottom",
            fontsize=12,
            fontweight="bold",
        )
        _PENDING[ax] = (spells, lang)


def _regime_labels(ax: Axes, spells: list[dict[str, Any]], lang: str) -> list[Any]:
    """Each regime spell's name over the axis, centred on the spell; a spell whose name
    would overlap a name already placed (longest spells are placed first) or run past
    the axis gets none: the colours and the legend still say which regime it is.
    Returns the texts placed."""
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    ax_box = ax.get_window_extent(renderer)
    placed: list[Any] = []
    boxes: list[Any] = []
    order = sorted(range(len(spells)), key=lambda k: -(spells[k]["end"] - spells[k]["start"]))
    for k in order:
        sp = spells[k]
        txt = ax.text(
            (sp["start"] + sp["end"]) / 2,
            1.01,
            m.regime(sp["regime"], lang) + ("*" if sp["scripted"] else ""),
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=10 if lang == "en" else 12,
            fontweight="bold",
            color=REGIME_COLOURS[sp["regime"]],
            gid="regime_label",
        )
        box = txt.get_window_extent(renderer).expanded(1.08, 1.0)
        if box.x0 < ax_box.x0 - 2 or box.x1 > ax_box.x1 + 2 or any(box.overlaps(b) for b in boxes):
            txt.remove()
            continue
        boxes.append(box)
        placed.append(txt)
    return placed


def _plain_log(ax: Axes) -> None:
    """A log scale with plain numbers at 1, 2, 5 x 10^k and no minor labels."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.4g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _regime_handles(lang: str) -> list[Any]:
    return [
        Patch(color=REGIME_COLOURS[r], alpha=0.5, label=m.regime_long(r, lang)) for r in REGIMES
    ]


# ---------------------------------------------------------------------- the figures
def policy_cycle(data: ReportData, lang: str, scenario: str | None = None) -> Figure:
    lang = m.check_lang(lang)
    name = scenario or data.reference
    sel = select.policy_cycle(data, name)
    events = sel.events
    fig = Figure(figsize=(WIDTH, 6.5 + 0.22 * len(events)))
    ax, ax2 = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [0.6, 0.4 + 0.01 * len(events)]}
    )
    _regime_backdrop([ax, ax2], data, name, lang)
    g, t = sel.growth, sel.target
    _band(ax, g.frame, m.t(g.legend, lang), g.colour, g.bands)
    _band(ax, t.frame, m.t(t.legend, lang), t.colour, t.bands, dash="--")
    ax.set_ylabel(m.t("axis.growth_pct", lang))
    handles, _ = ax.get_legend_handles_labels()
    handles += _regime_handles(lang)
    fig.legend(handles=handles, ncols=2, fontsize=8.5)
    labels = [m.event(e["name"], lang) for e in events]
    for k, e in enumerate(events):
        colour = REGIME_COLOURS.get(e["regime"] or "", "#555") if e["kind"] == "regime" else "#555"
        y0, y1 = data.years(name)
        ax2.hlines(k, max(e["start"], y0) - 0.4, min(e["end"], y1) + 0.4, color=colour, lw=6)
    ax2.set_yticks(range(len(events)), labels, fontsize=8.5)
    ax2.set_ylim(len(events) - 0.5, -0.5)
    ax2.set_xlabel(m.t("axis.year", lang))
    ax2.set_title(
        m.t("legend.event", lang) + "  (* " + m.t("legend.scripted", lang) + ")",
        loc="left",
        fontsize=10,
    )
    return _frame(fig, "policy_cycle", m.t("fig.policy_cycle.title", lang), lang, data)


def utilisation_waves(data: ReportData, lang: str, scenario: str | None = None) -> Figure:
    lang = m.check_lang(lang)
    sel = select.utilisation_waves(data, scenario)
    years, rows = sel.years, sel.rows
    fig = Figure(figsize=(WIDTH, 7.2))
    ax = fig.subplots()
    ax.set_facecolor("#dddddd")
    cmap = mpl.colormaps["RdYlGn"]
    im = ax.pcolormesh(
        np.arange(years[0] - 0.5, years[-1] + 1.0, 1.0),
        np.arange(len(rows) + 1) - 0.5,
        np.ma.masked_invalid(sel.z),
        cmap=cmap,
        vmin=40,
        vmax=100,
        shading="flat",
    )
    ax.grid(False)
    ax.set_yticks(range(len(rows)), [m.sector(s, lang) for s in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.axhline(0.5, color="white", lw=2)
    ax.set_xlabel(m.t("axis.year", lang))
    ax.set_ylabel(m.t("axis.sector", lang))
    cb = fig.colorbar(im, ax=ax, pad=0.01)
    cb.set_label(m.t("axis.utilisation_pct", lang))
    for k, mark in enumerate(sel.facts):
        a, b = mark.start, mark.end
        row = rows.index(mark.row)
        ax.add_patch(
            Rectangle(
                (a - 0.5, row - 0.45),
                b - a + 1,
                0.9,
                fill=False,
                ec="black",
                lw=1.6,
                label=None if k else m.t("legend.fact", lang),
            )
        )
        ax.text(
            (a + b) / 2,
            row,
            f"{mark.percent:.0f}",
            ha="center",
            va="center",
            fontsize=8.5,
            fontweight="bold",
        )
    if sel.facts:
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.08), ncols=2)
    return _frame(fig, "utilisation_waves", m.t("fig.utilisation_waves.title", lang), lang, data)


def _draw(ax: Axes, s: select.Series, lang: str, dash: str = "-", lw: float = 2.0) -> None:
    """A selected series as a line with its band."""
    _band(ax, s.frame, s.label(lang), s.colour, s.bands, dash=dash, lw=lw)


def price_war(
    data: ReportData, lang: str, scenario: str | None = None, sector: str = DEFAULT_SECTOR
) -> Figure:
    lang = m.check_lang(lang)
    name = scenario or data.reference
    sel = select.price_war(data, name, sector)
    fig = Figure(figsize=(WIDTH, 8.5))
    ax1, ax2, ax3 = fig.subplots(
        3, 1, sharex=True, gridspec_kw={"height_ratios": [0.45, 0.25, 0.3]}
    )
    _regime_backdrop([ax1, ax2, ax3], data, name, lang)
    _draw(ax1, sel.price, lang)
    _draw(ax1, sel.unit_cost, lang, dash="--")
    ax1.set_ylabel(m.sector_unit(sector, lang))
    if sel.log_price:
        _plain_log(ax1)
    ax1.set_title(m.t("fig.price_war.panel_price", lang), loc="left", pad=18)
    handles, _ = ax1.get_legend_handles_labels()
    fig.legend(handles=handles + _regime_handles(lang), ncols=3, fontsize=8)
    _draw(ax2, sel.margin, lang)
    ax2.axhline(0, color="#555", lw=1)
    ax2.set_ylabel(m.t("axis.margin_pct", lang))
    ax2.set_title(m.t("fig.price_war.panel_margin", lang), loc="left")
    _draw(ax3, sel.loss_making, lang)
    _draw(ax3, sel.zombies, lang)
    ax3.set_ylim(bottom=0)
    ax3.set_ylabel(m.t("axis.share_pct", lang))
    ax3.set_xlabel(m.t("axis.year", lang))
    ax3.set_title(m.t("fig.price_war.panel_firms", lang), loc="left")
    ax3.legend(loc="upper left")
    title = m.t("fig.price_war.title", lang, sector=m.sector(sector, lang))
    return _frame(fig, "price_war", title, lang, data, sector=sector)


def trade(data: ReportData, lang: str, scenario: str | None = None) -> Figure:
    lang = m.check_lang(lang)
    sel = select.trade(data, scenario)
    sectors, partners = sel.sectors, sel.partners
    fig = Figure(figsize=(WIDTH, 12.0))
    ax1, ax2, ax3 = fig.subplots(3, 1, gridspec_kw={"height_ratios": [0.38, 0.34, 0.28]})
    im = ax1.imshow(sel.years_in_force.to_numpy(), cmap="Reds", aspect="auto", vmin=0)
    ax1.grid(False)
    ax1.set_xticks(
        range(len(sectors)),
        [m.sector(s, lang) for s in sectors],
        rotation=35,
        ha="right",
        fontsize=8.5,
    )
    ax1.set_yticks(range(len(partners)), [m.partner(p, lang) for p in partners])
    ax1.set_ylabel(m.t("axis.partner", lang))
    ax1.set_title(m.t("fig.trade.panel_heatmap", lang), loc="left")
    cb = fig.colorbar(im, ax=ax1, pad=0.01)
    cb.set_label(m.t("axis.years_in_force", lang))
    for share in sel.shares:
        _draw(ax2, share, lang, lw=1.6)
    ax2.set_ylabel(m.t("axis.world_share_pct", lang))
    ax2.set_title(m.t("fig.trade.panel_share", lang), loc="left")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    _draw(ax3, sel.measures, lang)
    ax3.set_ylabel(m.t("axis.measures_count", lang))
    ax3b = ax3.twinx()
    ax3b.grid(False)
    _draw(ax3b, sel.countermeasures, lang, dash=":")
    ax3b.set_ylim(bottom=0)
    ax3b.yaxis.get_major_locator().set_params(integer=True)
    ax3b.set_ylabel(m.t("axis.countermeasures_count", lang))
    ax3b.spines["right"].set_visible(True)
    h1, _ = ax3.get_legend_handles_labels()
    h2, _ = ax3b.get_legend_handles_labels()
    ax3.legend(handles=h1 + h2, loc="upper left", fontsize=8.5)
    ax3.set_xlabel(m.t("axis.year", lang))
    ax3.set_title(m.t("fig.trade.panel_measures", lang), loc="left")
    ax3.sharex(ax2)
    return _frame(fig, "trade", m.t("fig.trade.title", lang), lang, data)


def bill(data: ReportData, lang: str, scenario: str | None = None) -> Figure:
    lang = m.check_lang(lang)
    name = scenario or data.reference
    panels = select.bill(data, name)
    fig = Figure(figsize=(WIDTH, 8.5))
    axes = list(fig.subplots(len(panels), 1, sharex=True))
    _regime_backdrop(axes, data, name, lang)
    for ax, p in zip(axes, panels, strict=True):
        ser = p.series
        _band(ax, ser.frame, m.t(ser.legend, lang), ser.colour, ser.bands)
        ax.set_ylim(bottom=0)
        ax.set_ylabel(m.t(p.unit, lang))
        ax.set_title(m.t(p.title, lang), loc="left", pad=18 if ax is axes[0] else 6)
    fig.legend(handles=_regime_handles(lang), ncols=2)
    axes[-1].set_xlabel(m.t("axis.year", lang))
    return _frame(fig, "bill", m.t("fig.bill.title", lang), lang, data)


def comparison(data: ReportData, lang: str, **_: Any) -> Figure:
    lang = m.check_lang(lang)
    panels = select.comparison(data)
    ncols = 2
    nrows = (len(panels) + ncols - 1) // ncols
    fig = Figure(figsize=(WIDTH, 2.4 * nrows + 1.6))
    axes = fig.subplots(nrows, ncols, sharex=True).ravel()
    for ax, p in zip(axes, panels, strict=False):
        for s in p.series:
            _draw(ax, s, lang, lw=1.6)
        ax.set_title(m.indicator(p.column, lang), loc="left", fontsize=10)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    for ax in axes[-ncols:]:
        ax.set_xlabel(m.t("axis.year", lang))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", ncols=len(labels), bbox_to_anchor=(1.0, 0.985))
    title = m.t(
        "fig.comparison.title",
        lang,
        scenarios=" · ".join(m.scenario(s, lang) for s in data.scenarios),
    )
    return _frame(fig, "comparison", title, lang, data)


def evidence(data: ReportData, lang: str, **_: Any) -> Figure:
    lang = m.check_lang(lang)
    tab = select.evidence_table(data, lang)
    ids, header, scores = tab.ids, tab.header, tab.scores
    rows = [list(r) for r in zip(*tab.columns, strict=True)]
    colours = [list(r) for r in zip(*tab.colours, strict=True)]
    n_model = len(data.scenarios)
    widths = np.array([0.04, 0.36, 0.17, 0.2, *([0.13] * n_model), 0.07])
    widths = widths / widths.sum()
    fig = Figure(figsize=(WIDTH + 1.5 * max(n_model - 1, 0), 1.6 + 0.24 * (len(ids) + 1)))
    ax = fig.subplots()
    ax.axis("off")
    table = ax.table(
        cellText=rows,
        colLabels=header,
        cellColours=colours,
        colColours=["#1f3b73"] * len(header),
        colWidths=list(widths),
        loc="upper center",
        cellLoc="left",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    table.scale(1.0, 1.25)
    for (r, _c), cell in table.get_celld().items():
        if r == 0:
            cell.get_text().set_color("white")
            cell.get_text().set_fontweight("bold")
    title = m.t("fig.evidence.title", lang) + "\n" + "  ".join(scores)
    return _frame(fig, "evidence", title, lang, data)


def _history_title(p: select.HistoryPanel, lang: str) -> str:
    if p.key in ("gdp_growth", "ppi_change"):
        return m.indicator(p.key, lang)
    return m.sector(p.key, lang)


def history(data: ReportData, lang: str, scenario: str | None = None) -> Figure:
    lang = m.check_lang(lang)
    panels = select.history(data, scenario)
    ncols = 2
    nrows = (len(panels) + ncols - 1) // ncols
    fig = Figure(figsize=(WIDTH, 2.1 * nrows + 1.9))
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    for ax, p in zip(axes, panels, strict=False):
        s = p.series
        _band(ax, s.frame, m.t("legend.model_median", lang), s.colour, s.bands, lw=1.6)
        for k, r in enumerate(p.record):
            lo = r.value - r.low if r.low is not None else 0.0
            hi = r.high - r.value if r.high is not None else 0.0
            ax.errorbar(
                [(r.start + r.end) / 2],
                [r.value],
                yerr=[[lo], [hi]],
                xerr=[[(r.end - r.start) / 2], [(r.end - r.start) / 2]],
                fmt="D",
                color="black",
                ms=4,
                lw=1.2,
                capsize=2,
                label=m.t("legend.record", lang) if k == 0 else None,
                gid=f"record-{r.fact.id}",
            )
        if p.key in ("gdp_growth", "ppi_change"):
            ax.axhline(0, color="#555", lw=0.8)
        ax.set_title(_history_title(p, lang), loc="left", fontsize=10)
        ax.set_ylabel(m.t(p.unit, lang), fontsize=8)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    for ax in axes[len(panels) - ncols : len(panels)]:
        ax.set_xlabel(m.t("axis.year", lang))
        ax.xaxis.set_tick_params(labelbottom=True)
    handles: dict[str, Any] = {}
    for ax in axes[: len(panels)]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="upper right",
        ncols=2,
        bbox_to_anchor=(1.0, 0.985),
    )
    return _frame(fig, "history", m.t("fig.history.title", lang), lang, data)


def wave_timing(data: ReportData, lang: str, scenario: str | None = None) -> Figure:
    lang = m.check_lang(lang)
    tab = select.wave_timing(data, scenario).table
    n = len(tab)
    fig = Figure(figsize=(WIDTH, 0.32 * n + 2.6))
    ax = fig.subplots()
    ys = np.arange(n)
    first = True
    for y, row in zip(ys, tab.to_dict("records"), strict=True):
        if row["record_from"] is not None and np.isfinite(float(row["record_from"])):
            ax.add_patch(
                Rectangle(
                    (float(row["record_from"]) - 0.5, y - 0.35),
                    float(row["record_to"]) - float(row["record_from"]) + 1,
                    0.7,
                    color="#999999",
                    alpha=0.45,
                    lw=0,
                    label=m.t("legend.peak_record", lang) if first else None,
                )
            )
            first = False
    med = tab["median_year"].to_numpy(dtype=float)
    ax.errorbar(
        med,
        ys,
        xerr=[
            med - tab["first_year"].to_numpy(dtype=float),
            tab["last_year"].to_numpy(dtype=float) - med,
        ],
        fmt="o",
        color="#c0392b",
        ms=6,
        capsize=3,
        lw=1.5,
        label=m.t("legend.peak_model", lang),
        gid="peak_years",
    )
    for y, row in zip(ys, tab.to_dict("records"), strict=True):
        ax.text(
            float(row["last_year"]) + 0.6,
            float(y),
            f"{row['idle_pct']:.0f}%",
            va="center",
            fontsize=7.5,
            color="#555555",
        )
    ax.set_yticks(ys, [m.sector(s, lang) for s in tab["sector"]])
    ax.set_ylim(n - 0.5, -0.5)
    y0, y1 = data.years(scenario)
    ax.set_xlim(y0 - 1, y1 + 3)
    ax.set_xlabel(m.t("axis.peak_year", lang))
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.12), ncols=2)
    return _frame(fig, "wave_timing", m.t("fig.wave_timing.title", lang), lang, data)


PROVINCE_CMAPS = {"subsidy_pct_gdp": "Reds", "growth_rank": "viridis_r", "debt_pct_gdp": "Purples"}


def provinces(data: ReportData, lang: str, scenario: str | None = None) -> Figure:
    lang = m.check_lang(lang)
    sel = select.provinces(data, scenario)
    n = len(sel.provinces)
    fig = Figure(figsize=(WIDTH, 0.17 * n + 3.0))
    axes = fig.subplots(1, len(select.PROVINCE_PANELS), sharey=True)
    years = sel.years
    for k, (ax, (col, key, _unit)) in enumerate(zip(axes, select.PROVINCE_PANELS, strict=True)):
        grid = sel.grids[col].to_numpy()
        im = ax.pcolormesh(
            np.arange(years[0] - 0.5, years[-1] + 1.0, 1.0),
            np.arange(n + 1) - 0.5,
            np.ma.masked_invalid(grid),
            cmap=PROVINCE_CMAPS[col],
            shading="flat",
            gid=f"provinces-{col}",
        )
        ax.grid(False)
        ax.set_title(m.t(key, lang), loc="left", fontsize=9)
        ax.set_xticks([y for y in years if y % 10 == 0])
        cb = fig.colorbar(im, ax=ax, orientation="horizontal", pad=0.06, fraction=0.04)
        cb.ax.tick_params(labelsize=7)
        if k == 0:
            ax.set_yticks(range(n), [m.province(p, lang) for p in sel.provinces], fontsize=7)
    axes[0].set_ylim(n - 0.5, -0.5)
    return _frame(fig, "provinces", m.t("fig.provinces.title", lang), lang, data)


def difference(data: ReportData, lang: str, **_: Any) -> Figure:
    lang = m.check_lang(lang)
    panels = select.difference(data)
    ncols = 2
    nrows = (len(panels) + ncols - 1) // ncols
    fig = Figure(figsize=(WIDTH, 2.1 * nrows + 1.8))
    axes = fig.subplots(nrows, ncols, sharex=True).ravel()
    for ax, p in zip(axes, panels, strict=False):
        ax.axhline(0, color="#555", lw=0.9)
        for s in p.series:
            _draw(ax, s, lang, lw=1.6)
        ax.set_title(m.indicator(p.column, lang), loc="left", fontsize=10)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    for ax in axes[-ncols:]:
        ax.set_xlabel(m.t("axis.year", lang))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="upper right",
        ncols=max(len(labels), 1),
        bbox_to_anchor=(1.0, 0.985),
        title=m.t("axis.difference", lang),
    )
    return _frame(fig, "difference", m.t("fig.difference.title", lang), lang, data)


def _styled(builder: PngBuilder) -> PngBuilder:
    """The builder run inside :func:`style` (fonts are fixed when text is made)."""

    @functools.wraps(builder)
    def run(data: ReportData, lang: str, **opts: Any) -> Figure:
        with style():
            return builder(data, lang, **opts)

    return run


PNG_FIGURES: dict[str, PngBuilder] = {
    "policy_cycle": _styled(policy_cycle),
    "history": _styled(history),
    "utilisation_waves": _styled(utilisation_waves),
    "wave_timing": _styled(wave_timing),
    "price_war": _styled(price_war),
    "provinces": _styled(provinces),
    "trade": _styled(trade),
    "bill": _styled(bill),
    "comparison": _styled(comparison),
    "difference": _styled(difference),
    "evidence": _styled(evidence),
}
assert tuple(PNG_FIGURES) == FIGURE_IDS


def write_all(
    data: ReportData, lang: str, directory: str | Path, sector: str = DEFAULT_SECTOR
) -> list[Path]:
    """Every figure of the report as ``directory/N-id.png`` (N = its number in the
    report), its data beside it as ``N-id.csv`` (:mod:`overcap.report.tables`), and the
    provenance line in the PNG's metadata as well as at its foot."""
    from overcap.report import tables
    from overcap.report.figures import figure_ids

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with style():
        for n, fig_id in enumerate(figure_ids(data), start=1):
            kw = {"sector": sector} if fig_id == "price_war" else {}
            fig = PNG_FIGURES[fig_id](data, lang, **kw)
            path = out / f"{n}-{fig_id}.png"
            fig.savefig(path, dpi=DPI, metadata=metadata(data, lang, fig_id))
            tables.write(data, fig_id, path.with_suffix(".csv"), **kw)
            paths.append(path)
    return paths
