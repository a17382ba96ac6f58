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
from overcap.report.figures import (
    COMPARISON,
    DEFAULT_SECTOR,
    FIGURE_IDS,
    REGIME_COLOURS,
    caption,
    evidence_table,
    price_span,
    scenario_colour,
    sector_colour,
)
from overcap.report.fonts import font_families
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
    name = scenario or data.reference
    sectors = data.sectors(name)
    util = data.sector_bands(name, "utilisation", scale=100.0, active_only=True)
    agg = data.economy_bands(name, "aggregate_utilisation", scale=100.0).set_index("year")
    years = list(agg.index)
    grid = util.pivot(index="sector", columns="year", values="median")
    grid = grid.reindex(index=sectors, columns=years)
    z = np.vstack([agg["median"].to_numpy()[None, :], grid.to_numpy()])
    rows = ["ALL", *sectors]
    fig = Figure(figsize=(WIDTH, 7.2))
    ax = fig.subplots()
    ax.set_facecolor("#dddddd")
    cmap = mpl.colormaps["RdYlGn"]
    im = ax.pcolormesh(
        np.arange(years[0] - 0.5, years[-1] + 1.0, 1.0),
        np.arange(len(rows) + 1) - 0.5,
        np.ma.masked_invalid(z),
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
    facts = [f for f in data.sector_facts("utilisation") if f.sector in sectors]
    facts += [f for f in data.sector_facts("aggregate_utilisation") if f.sector == "ALL"]
    y0, y1 = data.years(name)
    shown = False
    for f in facts:
        if f.year_to < y0 or f.year_from > y1:
            continue
        assert f.target is not None
        a, b = max(f.year_from, y0), min(f.year_to, y1)
        row = rows.index(f.sector)
        ax.add_patch(
            Rectangle(
                (a - 0.5, row - 0.45),
                b - a + 1,
                0.9,
                fill=False,
                ec="black",
                lw=1.6,
                label=None if shown else m.t("legend.fact", lang),
            )
        )
        ax.text(
            (a + b) / 2,
            row,
            f"{f.target * 100:.0f}",
            ha="center",
            va="center",
            fontsize=8.5,
            fontweight="bold",
        )
        shown = True
    if shown:
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.08), ncols=2)
    return _frame(fig, "utilisation_waves", m.t("fig.utilisation_waves.title", lang), lang, data)


def price_war(
    data: ReportData, lang: str, scenario: str | None = None, sector: str = DEFAULT_SECTOR
) -> Figure:
    lang = m.check_lang(lang)
    name = scenario or data.reference
    if sector not in data.sectors(name):
        raise ValueError(f"sector {sector!r} unknown; allowed: {', '.join(data.sectors(name))}")
    bands = data.n_runs(name) > 1

    def sb(col: str, scale: float = 1.0) -> pd.DataFrame:
        return data.sector_bands(name, col, sector=sector, scale=scale, active_only=True)

    fig = Figure(figsize=(WIDTH, 8.5))
    ax1, ax2, ax3 = fig.subplots(
        3, 1, sharex=True, gridspec_kw={"height_ratios": [0.45, 0.25, 0.3]}
    )
    _regime_backdrop([ax1, ax2, ax3], data, name, lang)
    _band(ax1, sb("price"), m.t("legend.price", lang), "#1f3b73", bands)
    _band(ax1, sb("unit_cost"), m.t("legend.unit_cost", lang), "#c0392b", bands, dash="--")
    ax1.set_ylabel(m.sector_unit(sector, lang))
    if price_span(data, name, sector) > 10:
        ax1.set_yscale("log")
    ax1.set_title(m.t("fig.price_war.panel_price", lang), loc="left", pad=18)
    handles, _ = ax1.get_legend_handles_labels()
    ax1.legend(handles=handles + _regime_handles(lang), loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _band(ax2, sb("margin", 100.0), m.t("legend.margin", lang), "#27ae60", bands)
    ax2.axhline(0, color="#555", lw=1)
    ax2.set_ylabel(m.t("axis.margin_pct", lang))
    ax2.set_title(m.t("fig.price_war.panel_margin", lang), loc="left")
    _band(
        ax3, sb("loss_making_share", 100.0), m.t("legend.loss_making_share", lang), "#d68910", bands
    )
    _band(ax3, sb("zombie_share", 100.0), m.t("legend.zombie_share", lang), "#8e44ad", bands)
    ax3.set_ylim(bottom=0)
    ax3.set_ylabel(m.t("axis.share_pct", lang))
    ax3.set_xlabel(m.t("axis.year", lang))
    ax3.set_title(m.t("fig.price_war.panel_firms", lang), loc="left")
    ax3.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    title = m.t("fig.price_war.title", lang, sector=m.sector(sector, lang))
    return _frame(fig, "price_war", title, lang, data)


def trade(data: ReportData, lang: str, scenario: str | None = None) -> Figure:
    lang = m.check_lang(lang)
    name = scenario or data.reference
    bands = data.n_runs(name) > 1
    sectors = data.sectors(name)
    fig = Figure(figsize=(WIDTH, 12.0))
    ax1, ax2, ax3 = fig.subplots(3, 1, gridspec_kw={"height_ratios": [0.38, 0.34, 0.28]})
    yif = data.trade_years_in_force(name)
    partners = list(dict.fromkeys(data.runs[name][0].trade["partner"]))
    grid = yif.pivot(index="partner", columns="sector", values="years")
    grid = grid.reindex(index=partners, columns=sectors).fillna(0.0)
    im = ax1.imshow(grid.to_numpy(), cmap="Reds", aspect="auto", vmin=0)
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
    share = data.world_share(name)
    for s in sectors:
        f = share[share["sector"] == s].copy()
        if f.empty or float(f["median"].max()) <= 0:
            continue
        f[["median", "p5", "p95"]] *= 100.0
        _band(ax2, f, m.sector(s, lang), sector_colour(data, s), bands, lw=1.6)
    ax2.set_ylabel(m.t("axis.world_share_pct", lang))
    ax2.set_title(m.t("fig.trade.panel_share", lang), loc="left")
    ax2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    _band(
        ax3,
        data.economy_bands(name, "trade_measures"),
        m.t("legend.trade_measures", lang),
        "#c0392b",
        bands,
    )
    ax3.set_ylabel(m.t("axis.measures_count", lang))
    ax3b = ax3.twinx()
    ax3b.grid(False)
    _band(
        ax3b,
        data.economy_bands(name, "countermeasures"),
        m.t("legend.countermeasures", lang),
        "#1f3b73",
        bands,
        dash=":",
    )
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
    ncols = 2
    nrows = (len(COMPARISON) + ncols - 1) // ncols
    fig = Figure(figsize=(WIDTH, 2.4 * nrows + 1.6))
    axes = fig.subplots(nrows, ncols, sharex=True).ravel()
    for ax, (col, scale) in zip(axes, COMPARISON, strict=False):
        for name in data.scenarios:
            _band(
                ax,
                data.economy_bands(name, col, scale=scale),
                m.scenario(name, lang),
                scenario_colour(data, name),
                data.n_runs(name) > 1,
                lw=1.6,
            )
        ax.set_title(m.indicator(col, lang), loc="left", fontsize=10)
    for ax in axes[len(COMPARISON) :]:
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
    tab = evidence_table(data, lang)
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
