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

from overcap.report import messages as m
from overcap.report import select
from overcap.report.data import ReportData
from overcap.report.figures import FIGURE_IDS, REGIME_COLOURS, caption
from overcap.report.fonts import font_families
from overcap.report.select import DEFAULT_SECTOR
from overcap.scenario import REGIMES

PngBuilder = Callable[..., Figure]
WIDTH = 11.0  # inches; 150 dpi gives 1650 px
DPI = 150


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
    chars = int(width_in * (7.5 if lang == "zh-TW" else 15))
    return "\n".join(textwrap.wrap(text, chars))


def _frame(fig: Figure, fig_id: str, title: str, lang: str, data: ReportData) -> Figure:
    """Title above, caption below (wrapped), tight layout in between."""
    w, h = fig.get_size_inches()
    cap = _wrap(caption(fig_id, lang, data), lang, w)
    n_lines = cap.count("\n") + 1
    fig.suptitle(title.replace("<br>", "\n"), x=0.01, ha="left", fontsize=13, fontweight="bold")
    fig.text(0.01, 0.005, cap, ha="left", va="bottom", fontsize=9.5, color="#333333")
    bottom = (0.25 + 0.2 * n_lines) / h
    fig.tight_layout(rect=(0.0, bottom, 1.0, 0.96))
    return fig


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
    for sp in data.regime_spells(scenario):
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
            ax = axes[0]
            ax.text(
                (sp["start"] + sp["end"]) / 2,
                1.01,
                m.regime(sp["regime"], lang) + ("*" if sp["scripted"] else ""),
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=12,
                fontweight="bold",
                color=REGIME_COLOURS[sp["regime"]],
            )


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
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8.5)
    labels = [m.event(e["name"], lang) for e in events]
    for k, e in enumerate(events):
        colour = REGIME_COLOURS.get(e["regime"] or "", "#555") if e["kind"] == "regime" else "#555"
        ax2.hlines(k, e["start"] - 0.4, e["end"] + 0.4, color=colour, lw=6)
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
        ax1.set_yscale("log")
    ax1.set_title(m.t("fig.price_war.panel_price", lang), loc="left", pad=18)
    handles, _ = ax1.get_legend_handles_labels()
    ax1.legend(handles=handles + _regime_handles(lang), loc="upper left", bbox_to_anchor=(1.0, 1.0))
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
    ax3.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    title = m.t("fig.price_war.title", lang, sector=m.sector(sector, lang))
    return _frame(fig, "price_war", title, lang, data)


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
    axes[0].legend(handles=_regime_handles(lang), loc="upper left", bbox_to_anchor=(1.0, 1.0))
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
    widths = np.array([0.05, 0.47, 0.11, *([0.14] * n_model), 0.08])
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


def _styled(builder: PngBuilder) -> PngBuilder:
    """The builder run inside :func:`style` (fonts are fixed when text is made)."""

    @functools.wraps(builder)
    def run(data: ReportData, lang: str, **opts: Any) -> Figure:
        with style():
            return builder(data, lang, **opts)

    return run


PNG_FIGURES: dict[str, PngBuilder] = {
    "policy_cycle": _styled(policy_cycle),
    "utilisation_waves": _styled(utilisation_waves),
    "price_war": _styled(price_war),
    "trade": _styled(trade),
    "bill": _styled(bill),
    "comparison": _styled(comparison),
    "evidence": _styled(evidence),
}
assert tuple(PNG_FIGURES) == FIGURE_IDS


def write_all(
    data: ReportData, lang: str, directory: str | Path, sector: str = DEFAULT_SECTOR
) -> list[Path]:
    """Every figure as ``directory/N-id.png`` (N = its number in the report)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with style():
        for n, (fig_id, builder) in enumerate(PNG_FIGURES.items(), start=1):
            kw = {"sector": sector} if fig_id == "price_war" else {}
            fig = builder(data, lang, **kw)
            path = out / f"{n}-{fig_id}.png"
            fig.savefig(path, dpi=DPI, metadata={"Software": "overcap"})
            paths.append(path)
    return paths
