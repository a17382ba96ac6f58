"""The report's figures as Plotly figures: one builder per figure, one registry.

Stable API (the HTML report and the dashboard use it)::

    from overcap.report import figures, messages
    from overcap.report.data import ReportData

    data = ReportData.build(["baseline", "market-reform"], runs=5)
    fig = figures.FIGURES["policy_cycle"](data, "zh-TW")      # a plotly Figure
    fig = figures.price_war(data, "en", sector="steel")         # options by keyword
    figs = figures.build_all(data, "en")                        # {id: Figure}, in order

Every builder is ``(data: ReportData, lang: str, **opts) -> plotly.graph_objects.Figure``.
Options all builders accept: ``scenario`` (default: the reference, i.e. the first).
``price_war`` also takes ``sector`` (default ``DEFAULT_SECTOR``). ``comparison`` and
``evidence`` draw every scenario of ``data``. Each figure's ``layout.meta`` holds
``{"figure": id, "lang": lang, "caption": the one-sentence caption}``; every visible
string comes from the message catalogue (:mod:`overcap.report.messages`). Figure ids,
in report order: ``FIGURE_IDS``.

Bands: where a scenario has more than one run, lines are medians over the runs and the
shaded band holds the 5th to 95th percentile; with one run only the line is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from overcap.evidence import Fact
from overcap.report import messages as m
from overcap.report import select
from overcap.report.data import ReportData
from overcap.scenario import REGIMES

Builder = Callable[..., go.Figure]

DEFAULT_SECTOR = "solar_pv"

# fonts for the browser: CJK families first so Chinese never falls back to boxes
FONT_FAMILY = (
    '"Noto Sans CJK TC", "Noto Sans TC", "Noto Sans CJK JP", "PingFang TC", '
    '"Microsoft JhengHei", "Heiti TC", "Source Han Sans TC", sans-serif'
)
REGIME_COLOURS = {
    "loosen": "#59a14f",  # green: money flows
    "chaos": "#f28e2b",  # orange: disorder
    "control": "#4e79a7",  # blue: the state steps in
    "stagnation": "#9d7660",  # brown-grey: things stall
}
SCENARIO_COLOURS = ("#1f3b73", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#17a589")
SECTOR_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#ad494a",
    "#637939",
)
PASS_COLOUR, FAIL_COLOUR, NA_COLOUR = "#d5f5e3", "#fadbd8", "#eeeeee"

# the comparison's main indicators: economy column, scale to the label's unit
COMPARISON: tuple[tuple[str, float], ...] = (
    ("gdp_growth", 1.0),
    ("aggregate_utilisation", 100.0),
    ("ppi_change", 1.0),
    ("zombie_share", 100.0),
    ("fiscal_cost_share_gdp", 1.0),
    ("misallocation_tfp_loss", 1.0),
    ("profit", 1e-3),
    ("bad_loans", 1e-3),
    ("trade_measures", 1.0),
    ("countermeasures", 1.0),
)


# economy-wide indicators: a fact about them with sector ALL is about the economy
ECONOMY_FACTS = frozenset(
    {c for c, _ in COMPARISON} | {"gdp_target", "partners_with_measures", "regime"}
)


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def sector_colour(data: ReportData, sector: str) -> str:
    ids = data.sectors()
    i = ids.index(sector) if sector in ids else len(ids)
    return SECTOR_COLOURS[i % len(SECTOR_COLOURS)]


def scenario_colour(data: ReportData, scenario: str) -> str:
    return SCENARIO_COLOURS[data.scenarios.index(scenario) % len(SCENARIO_COLOURS)]


def caption(fig_id: str, lang: str, data: ReportData | None = None) -> str:
    """The figure's one-sentence caption (what to look at)."""
    if fig_id == "comparison" and data is not None and len(data.scenarios) < 2:
        return m.t("fig.comparison.caption_single", lang)
    return m.t(f"fig.{fig_id}.caption", lang)


def _finish(
    fig: go.Figure, fig_id: str, title: str, lang: str, data: ReportData, height: int
) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        template="plotly_white",
        font={"family": FONT_FAMILY, "size": 13},
        height=height,
        margin={"l": 70, "r": 30, "t": 80, "b": 60},
        legend={"orientation": "h", "y": -0.08, "yanchor": "top", "x": 0.0},
        hovermode="closest",
        meta={"figure": fig_id, "lang": lang, "caption": caption(fig_id, lang, data)},
    )
    return fig


def _line_band(
    fig: go.Figure,
    frame: pd.DataFrame,
    name: str,
    colour: str,
    bands: bool,
    row: int | None = None,
    col: int | None = None,
    dash: str | None = None,
    group: str | None = None,
    showlegend: bool = True,
    hover_fmt: str = ".3g",
    secondary_y: bool | None = None,
) -> None:
    """The median as a line and, with more than one run, the 5-95% band behind it."""
    where: dict[str, Any] = {}
    if row is not None:
        where = {"row": row, "col": col or 1}
        if secondary_y is not None:
            where["secondary_y"] = secondary_y
    group = group or name
    x = frame["year"].to_numpy()
    if bands:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=frame["p95"].to_numpy(),
                mode="lines",
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                legendgroup=group,
            ),
            **where,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=frame["p5"].to_numpy(),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=_rgba(colour, 0.18),
                hoverinfo="skip",
                showlegend=False,
                legendgroup=group,
            ),
            **where,
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=frame["median"].to_numpy(),
            mode="lines",
            name=name,
            line={"color": colour, "width": 2.2, "dash": dash},
            legendgroup=group,
            showlegend=showlegend,
            hovertemplate=f"{name}<br>%{{x}}: %{{y:{hover_fmt}}}<extra></extra>",
        ),
        **where,
    )


def _regime_backdrop(
    fig: go.Figure, data: ReportData, scenario: str, lang: str, label: bool = True
) -> None:
    """The regimes as coloured vertical bands over every panel, labelled 放 亂 管 死."""
    multi = bool(fig._grid_ref)  # a figure made with make_subplots
    for sp in data.regime_spells(scenario):
        text = m.regime(sp["regime"], lang) + ("*" if sp["scripted"] else "")
        kw: dict[str, Any] = (
            {"row": "all", "col": 1, "exclude_empty_subplots": False} if multi else {}
        )
        fig.add_vrect(
            x0=sp["start"] - 0.5,
            x1=sp["end"] + 0.5,
            fillcolor=REGIME_COLOURS[sp["regime"]],
            opacity=0.12 + 0.18 * sp["share"],
            layer="below",
            line_width=0,
            **kw,
        )
        if label:
            fig.add_annotation(
                x=(sp["start"] + sp["end"]) / 2,
                y=1.0,
                xref="x",
                yref="paper",
                yanchor="bottom",
                text=text,
                showarrow=False,
                font={"size": 15, "color": REGIME_COLOURS[sp["regime"]]},
            )


def _regime_legend(fig: go.Figure, lang: str, row: int | None = None) -> None:
    where: dict[str, Any] = {"row": row, "col": 1} if row is not None else {}
    for r in REGIMES:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker={"symbol": "square", "size": 14, "color": REGIME_COLOURS[r]},
                name=m.regime_long(r, lang),
                legendgroup="regimes",
            ),
            **where,
        )


# ---------------------------------------------------------------------- the figures
def policy_cycle(data: ReportData, lang: str, scenario: str | None = None) -> go.Figure:
    """Regimes as coloured bands, GDP growth (median, band) against the target, and the
    scripted events as bars over their years in a lower panel."""
    lang = m.check_lang(lang)
    name = scenario or data.reference
    sel = select.policy_cycle(data, name)
    events = sel.events
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.62, 0.38],
        vertical_spacing=0.06,
    )
    _regime_backdrop(fig, data, name, lang)
    for series, dash in ((sel.growth, None), (sel.target, "dash")):
        _line_band(
            fig,
            series.frame,
            m.t(series.legend, lang),
            series.colour,
            series.bands,
            row=1,
            dash=dash,
        )
    # a strip of markers at the foot of the growth panel: hover tells the regime and the
    # share of runs in it
    reg = sel.regimes
    growth = sel.growth.frame
    y_strip = float(np.nanmin(growth["p5"])) - 1.0
    fig.add_trace(
        go.Scatter(
            x=reg["year"],
            y=np.full(len(reg), y_strip),
            mode="markers",
            marker={
                "symbol": "square",
                "size": 11,
                "color": [REGIME_COLOURS[r] for r in reg["regime"]],
            },
            text=[
                f"{m.regime_long(r, lang)}"
                + (f" ({m.t('legend.scripted', lang)})" if s else "")
                + "<br>"
                + m.t("legend.share_in_regime", lang, share=f"{sh:.0%}")
                for r, s, sh in zip(reg["regime"], reg["scripted"], reg["share"], strict=True)
            ],
            hovertemplate="%{x}: %{text}<extra></extra>",
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    _regime_legend(fig, lang, row=1)
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"symbol": "line-ew-open", "size": 14, "color": "#333"},
            name="* " + m.t("legend.scripted", lang),
        ),
        row=1,
        col=1,
    )
    # the scripted events: one bar per event over its years
    labels = [m.event(e["name"], lang) for e in events]
    for e, lab in zip(events, labels, strict=True):
        colour = (
            REGIME_COLOURS.get(e["regime"] or "", "#555") if e["kind"] == "regime" else "#555555"
        )
        detail = m.event_kind(e["kind"], lang)
        if e["partner"]:
            detail += " · " + m.partner(e["partner"], lang)
        if e["sectors"] and e["sectors"] != ["ALL"]:
            detail += " · " + ", ".join(
                m.sector(s, lang) if m.has(f"sector.{s}") else s for s in e["sectors"]
            )
        hover = f"<b>{lab}</b> ({e['start']}-{e['end']})<br>{detail}<br>{e['source'][:160]}"
        fig.add_trace(
            go.Scatter(
                x=[e["start"] - 0.4, e["end"] + 0.4],
                y=[lab, lab],
                mode="lines+markers",
                line={"color": colour, "width": 7},
                marker={"symbol": "triangle-right", "size": 9, "color": colour},
                name=lab,
                showlegend=False,
                hovertext=hover,
                hoverinfo="text",
            ),
            row=2,
            col=1,
        )
    if events:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line={"color": "#555555", "width": 7},
                name=m.t("legend.event", lang),
            ),
            row=2,
            col=1,
        )
    fig.update_yaxes(title_text=m.t("axis.growth_pct", lang), row=1, col=1)
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=list(reversed(labels)),
        tickfont={"size": 11},
        row=2,
        col=1,
    )
    fig.update_xaxes(title_text=m.t("axis.year", lang), row=2, col=1)
    height = 520 + 22 * len(events)
    return _finish(fig, "policy_cycle", m.t("fig.policy_cycle.title", lang), lang, data, height)


def _fact_label(f: Fact, lang: str) -> str:
    years = str(f.year_from) if f.year_from == f.year_to else f"{f.year_from}-{f.year_to}"
    return f"{f.id} · {years}"


def utilisation_waves(data: ReportData, lang: str, scenario: str | None = None) -> go.Figure:
    """Median utilisation by sector and year as a heat map (with the value-weighted
    aggregate on top), the facts file's historical utilisation figures overlaid."""
    lang = m.check_lang(lang)
    name = scenario or data.reference
    sectors = data.sectors(name)
    util = data.sector_bands(name, "utilisation", scale=100.0, active_only=True)
    grid = util.pivot(index="sector", columns="year", values="median").reindex(sectors)
    agg = data.economy_bands(name, "aggregate_utilisation", scale=100.0).set_index("year")
    years = list(agg.index)
    grid = grid.reindex(columns=years)
    rows = ["ALL", *sectors]
    z = np.vstack([agg["median"].to_numpy()[None, :], grid.to_numpy()])
    ylabels = [m.sector(s, lang) for s in rows]
    unit = m.t("axis.utilisation_pct", lang)
    fig = go.Figure(
        go.Heatmap(
            x=years,
            y=ylabels,
            z=z,
            zmin=40,
            zmax=100,
            colorscale="RdYlGn",
            colorbar={"title": {"text": unit, "side": "right"}},
            hovertemplate="%{y}<br>%{x}: %{z:.0f}%<extra></extra>",
            hoverongaps=False,
            name=unit,
        )
    )
    # the record: utilisation facts of one sector, aggregate utilisation of the economy
    facts = [f for f in data.sector_facts("utilisation") if f.sector in sectors]
    facts += [f for f in data.sector_facts("aggregate_utilisation") if f.sector == "ALL"]
    y0, y1 = data.years(name)
    shown = False
    for f in facts:
        if f.year_to < y0 or f.year_from > y1:
            continue
        assert f.target is not None
        ylab = m.sector(f.sector, lang)
        value = f"{f.target * 100:.0f}%"
        hover = m.t("legend.fact_hover", lang, value=value, source=f.source[:120])
        mid = (max(f.year_from, y0) + min(f.year_to, y1)) / 2
        fig.add_trace(
            go.Scatter(
                x=[max(f.year_from, y0) - 0.45, mid, min(f.year_to, y1) + 0.45],
                y=[ylab, ylab, ylab],
                mode="lines+markers+text",
                line={"color": "black", "width": 1.5},
                marker={
                    "symbol": ["line-ns", "square-open", "line-ns"],
                    "size": [10, 16, 10],
                    "color": "black",
                    "line": {"width": 2},
                },
                text=["", value, ""],
                textposition="top center",
                textfont={"size": 11, "color": "black"},
                name=m.t("legend.fact", lang),
                legendgroup="facts",
                showlegend=not shown,
                hovertext=f"{_fact_label(f, lang)}<br>{hover}",
                hoverinfo="text",
            )
        )
        shown = True
    fig.update_yaxes(
        title_text=m.t("axis.sector", lang),
        categoryorder="array",
        categoryarray=list(reversed(ylabels)),
        autorange=True,
    )
    fig.update_xaxes(title_text=m.t("axis.year", lang))
    title = m.t("fig.utilisation_waves.title", lang)
    return _finish(fig, "utilisation_waves", title, lang, data, 620)


def price_span(data: ReportData, scenario: str, sector: str) -> float:
    """Highest over lowest median price of a sector: above 10, prices are drawn on a log
    scale (a learning curve is a straight line there)."""
    p = data.sector_bands(scenario, "price", sector=sector, active_only=True)["median"]
    p = p[p > 0]
    return float(p.max() / p.min()) if len(p) else 1.0


def price_war(
    data: ReportData,
    lang: str,
    scenario: str | None = None,
    sector: str = DEFAULT_SECTOR,
) -> go.Figure:
    """One sector: price and unit cost (US$ per unit), margin (% of revenue), and the
    shares of loss-making and zombie firms (%), each median with its band."""
    lang = m.check_lang(lang)
    name = scenario or data.reference
    if sector not in data.sectors(name):
        raise ValueError(f"sector {sector!r} unknown; allowed: {', '.join(data.sectors(name))}")
    bands = data.n_runs(name) > 1
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        row_heights=[0.45, 0.25, 0.30],
        subplot_titles=[
            m.t("fig.price_war.panel_price", lang),
            m.t("fig.price_war.panel_margin", lang),
            m.t("fig.price_war.panel_firms", lang),
        ],
    )
    _regime_backdrop(fig, data, name, lang, label=False)

    def sb(col: str, scale: float = 1.0) -> pd.DataFrame:
        return data.sector_bands(name, col, sector=sector, scale=scale, active_only=True)

    _line_band(fig, sb("price"), m.t("legend.price", lang), "#1f3b73", bands, row=1)
    _line_band(
        fig, sb("unit_cost"), m.t("legend.unit_cost", lang), "#c0392b", bands, row=1, dash="dash"
    )
    _line_band(fig, sb("margin", 100.0), m.t("legend.margin", lang), "#27ae60", bands, row=2)
    fig.add_hline(y=0, line={"color": "#555", "width": 1}, row=2, col=1)
    _line_band(
        fig,
        sb("loss_making_share", 100.0),
        m.t("legend.loss_making_share", lang),
        "#d68910",
        bands,
        row=3,
    )
    _line_band(
        fig, sb("zombie_share", 100.0), m.t("legend.zombie_share", lang), "#8e44ad", bands, row=3
    )
    _regime_legend(fig, lang, row=1)
    fig.update_yaxes(
        title_text=m.sector_unit(sector, lang),
        type="log" if price_span(data, name, sector) > 10 else "linear",
        row=1,
        col=1,
    )
    fig.update_yaxes(title_text=m.t("axis.margin_pct", lang), row=2, col=1)
    fig.update_yaxes(title_text=m.t("axis.share_pct", lang), rangemode="tozero", row=3, col=1)
    fig.update_xaxes(title_text=m.t("axis.year", lang), row=3, col=1)
    title = m.t("fig.price_war.title", lang, sector=m.sector(sector, lang))
    return _finish(fig, "price_war", title, lang, data, 760)


def trade(data: ReportData, lang: str, scenario: str | None = None) -> go.Figure:
    """Years with a measure in force by partner and sector (heat map); China's share of
    world output by sector; measures in force and countermeasures over time."""
    lang = m.check_lang(lang)
    name = scenario or data.reference
    bands = data.n_runs(name) > 1
    sectors = data.sectors(name)
    fig = make_subplots(
        rows=3,
        cols=1,
        vertical_spacing=0.13,
        row_heights=[0.36, 0.34, 0.30],
        specs=[[{}], [{}], [{"secondary_y": True}]],
        subplot_titles=[
            m.t("fig.trade.panel_heatmap", lang),
            m.t("fig.trade.panel_share", lang),
            m.t("fig.trade.panel_measures", lang),
        ],
    )
    yif = data.trade_years_in_force(name)
    partners = list(dict.fromkeys(data.runs[name][0].trade["partner"]))
    grid = yif.pivot(index="partner", columns="sector", values="years")
    grid = grid.reindex(index=partners, columns=sectors).fillna(0.0)
    fig.add_trace(
        go.Heatmap(
            x=[m.sector(s, lang) for s in sectors],
            y=[m.partner(p, lang) for p in partners],
            z=grid.to_numpy(),
            colorscale="Reds",
            zmin=0,
            colorbar={
                "title": {"text": m.t("axis.years_in_force", lang), "side": "right"},
                "len": 0.33,
                "y": 1.0,
                "yanchor": "top",
            },
            hovertemplate="%{y} · %{x}: %{z:.0f}<extra></extra>",
            name=m.t("axis.years_in_force", lang),
        ),
        row=1,
        col=1,
    )
    share = data.world_share(name)
    for s in sectors:
        f = share[share["sector"] == s].copy()
        if f.empty or float(f["median"].max()) <= 0:
            continue
        f[["median", "p5", "p95"]] *= 100.0
        _line_band(
            fig,
            f,
            m.sector(s, lang),
            sector_colour(data, s),
            bands,
            row=2,
            hover_fmt=".1f",
        )
    _line_band(
        fig,
        data.economy_bands(name, "trade_measures"),
        m.t("legend.trade_measures", lang),
        "#c0392b",
        bands,
        row=3,
        secondary_y=False,
    )
    _line_band(
        fig,
        data.economy_bands(name, "countermeasures"),
        m.t("legend.countermeasures", lang),
        "#1f3b73",
        bands,
        row=3,
        dash="dot",
        secondary_y=True,
    )
    fig.update_xaxes(tickangle=-30, row=1, col=1)
    fig.update_yaxes(title_text=m.t("axis.partner", lang), autorange="reversed", row=1, col=1)
    fig.update_yaxes(title_text=m.t("axis.world_share_pct", lang), row=2, col=1)
    fig.update_yaxes(title_text=m.t("axis.measures_count", lang), row=3, col=1, secondary_y=False)
    fig.update_yaxes(
        title_text=m.t("axis.countermeasures_count", lang),
        rangemode="tozero",
        dtick=1,
        row=3,
        col=1,
        secondary_y=True,
    )
    fig.update_xaxes(title_text=m.t("axis.year", lang), row=3, col=1)
    fig.update_xaxes(matches="x2", row=3, col=1)
    fig = _finish(fig, "trade", m.t("fig.trade.title", lang), lang, data, 1100)
    fig.update_layout(legend={"y": -0.06})
    return fig


def bill(data: ReportData, lang: str, scenario: str | None = None) -> go.Figure:
    """Fiscal cost of industrial policy (% of GDP), new bad loans (US$ bn), and
    misallocation (TFP loss, % of GDP), each median with its band."""
    lang = m.check_lang(lang)
    name = scenario or data.reference
    panels = select.bill(data, name)
    fig = make_subplots(
        rows=len(panels),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        subplot_titles=[m.t(p.title, lang) for p in panels],
    )
    _regime_backdrop(fig, data, name, lang, label=False)
    for row, p in enumerate(panels, start=1):
        s = p.series
        _line_band(fig, s.frame, m.t(s.legend, lang), s.colour, s.bands, row=row)
    _regime_legend(fig, lang, row=1)
    for row, p in enumerate(panels, start=1):
        fig.update_yaxes(title_text=m.t(p.unit, lang), rangemode="tozero", row=row, col=1)
    fig.update_xaxes(title_text=m.t("axis.year", lang), row=3, col=1)
    return _finish(fig, "bill", m.t("fig.bill.title", lang), lang, data, 760)


def comparison(data: ReportData, lang: str, **_: Any) -> go.Figure:
    """Every scenario's median and band, year by year, for the main indicators (one
    panel each); the first scenario is the reference. With one scenario, its own."""
    lang = m.check_lang(lang)
    ncols = 2
    nrows = (len(COMPARISON) + ncols - 1) // ncols
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        shared_xaxes=True,
        vertical_spacing=0.06,
        horizontal_spacing=0.09,
        subplot_titles=[m.indicator(c, lang) for c, _ in COMPARISON],
    )
    for k, (col, scale) in enumerate(COMPARISON):
        r, c = k // ncols + 1, k % ncols + 1
        for name in data.scenarios:
            _line_band(
                fig,
                data.economy_bands(name, col, scale=scale),
                m.scenario(name, lang),
                scenario_colour(data, name),
                data.n_runs(name) > 1,
                row=r,
                col=c,
                group=f"scenario-{name}",
                showlegend=k == 0,
            )
    for c in range(1, ncols + 1):
        fig.update_xaxes(title_text=m.t("axis.year", lang), row=nrows, col=c)
    title = m.t(
        "fig.comparison.title",
        lang,
        scenarios=" · ".join(m.scenario(s, lang) for s in data.scenarios),
    )
    fig = _finish(fig, "comparison", title, lang, data, 260 * nrows + 120)
    fig.update_annotations(font_size=13)
    return fig


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    return f"{x:.3g}"


def fact_text(f: Fact, lang: str) -> str:
    """A fact in words: indicator, where, statistic and years, in ``lang``."""
    years = str(f.year_from) if f.year_from == f.year_to else f"{f.year_from}-{f.year_to}"
    if f.sector == "ALL":
        where = m.t(
            "evidence.economy" if f.indicator in ECONOMY_FACTS else "evidence.all_sectors", lang
        )
    else:
        where = " + ".join(
            m.sector(s, lang) if m.has(f"sector.{s}") else s for s in f.sector.split("+")
        )
    if f.partner:
        where += " · " + m.partner(f.partner, lang)
    param = "" if f.param is None else f"{f.param:g}"
    stat = m.t(f"evidence.stat_{f.kind}", lang, years=years, param=param)
    key = f"fact_indicator.{f.indicator}"
    what = m.t(key, lang) if m.has(key) else m.indicator(f.indicator, lang)
    return f"{what} · {where} · {stat}"


def record_text(f: Fact, lang: str) -> str:
    if f.low is not None and f.high is not None:
        return f"[{f.low:g}, {f.high:g}]"
    if f.target is not None:
        return m.t("evidence.target", lang, value=f"{f.target:g}")
    return m.t("evidence.true", lang)


@dataclass(frozen=True)
class EvidenceTable:
    """The check table's text, by column: one column per field (id, fact, record, each
    scenario's median with pass/fail, the reference's share of runs passing), each
    column's cell colours, and each scenario's score line. Shared by the Plotly and the
    matplotlib figure."""

    ids: list[str]
    header: list[str]
    columns: list[list[str]]
    colours: list[list[str]]
    scores: list[str]


def evidence_table(data: ReportData, lang: str) -> EvidenceTable:
    lang = m.check_lang(lang)
    facts = {f.id: f for f in data.facts}
    ids = [f.id for f in data.facts]
    header = [
        m.t("evidence.col_id", lang),
        m.t("evidence.col_what", lang),
        m.t("evidence.col_record", lang),
    ]
    columns: list[list[str]] = [
        ids,
        [fact_text(facts[i], lang) for i in ids],
        [record_text(facts[i], lang) for i in ids],
    ]
    white = ["white"] * len(ids)
    colours: list[list[str]] = [white, white, white]
    scores = []
    for name in data.scenarios:
        tab = data.check(name).set_index("id").reindex(ids)
        header.append(m.t("evidence.col_model", lang, scenario=m.scenario(name, lang)))
        cells, fill = [], []
        for ok, passed, value in zip(tab["evaluable"], tab["passed"], tab["value"], strict=True):
            if not bool(ok):
                cells.append(m.t("legend.not_evaluable", lang))
                fill.append(NA_COLOUR)
            else:
                mark = m.t("legend.pass" if bool(passed) else "legend.fail", lang)
                cells.append(f"{_fmt(float(value))} · {mark}")
                fill.append(PASS_COLOUR if bool(passed) else FAIL_COLOUR)
        columns.append(cells)
        colours.append(fill)
        passed_n, total = int(tab["passed"].sum()), len(tab)
        scores.append(
            m.t(
                "report.score",
                lang,
                scenario=m.scenario(name, lang),
                passed=passed_n,
                total=total,
                share=f"{passed_n / max(total, 1):.0%}",
            )
        )
    ref = data.check(data.reference).set_index("id").reindex(ids)
    header.append(m.t("evidence.col_runs", lang))
    columns.append([f"{float(s):.0%}" for s in ref["share_passing"]])
    colours.append(white)
    return EvidenceTable(ids, header, columns, colours, scores)


def evidence(data: ReportData, lang: str, **_: Any) -> go.Figure:
    """The check table: one row per fact, the record's band or target, each scenario's
    median over the runs with pass (green) or fail (red), and the share of runs of the
    reference that pass."""
    lang = m.check_lang(lang)
    table = evidence_table(data, lang)
    n_model = len(data.scenarios)
    fig = go.Figure(
        go.Table(
            columnwidth=[40, 330, 90, *([120] * n_model), 70],
            header={
                "values": [f"<b>{h}</b>" for h in table.header],
                "fill_color": "#1f3b73",
                "font": {"color": "white", "size": 12},
                "align": "left",
            },
            cells={
                "values": table.columns,
                "fill_color": table.colours,
                "align": "left",
                "font": {"size": 11},
                "height": 24,
            },
        )
    )
    title = m.t("fig.evidence.title", lang) + "<br><sub>" + " ".join(table.scores) + "</sub>"
    fig = _finish(fig, "evidence", title, lang, data, 150 + 26 * (len(table.ids) + 1))
    fig.update_layout(margin={"l": 20, "r": 20, "t": 90, "b": 20})
    return fig


FIGURES: dict[str, Builder] = {
    "policy_cycle": policy_cycle,
    "utilisation_waves": utilisation_waves,
    "price_war": price_war,
    "trade": trade,
    "bill": bill,
    "comparison": comparison,
    "evidence": evidence,
}
FIGURE_IDS: tuple[str, ...] = tuple(FIGURES)


def build_all(data: ReportData, lang: str, **opts: Any) -> dict[str, go.Figure]:
    """Every figure in report order. ``opts`` go to the builders that take them
    (``sector`` to price_war, ``scenario`` to the single-scenario figures)."""
    out = {}
    for fig_id, builder in FIGURES.items():
        kw = {k: v for k, v in opts.items() if k != "sector" or fig_id == "price_war"}
        out[fig_id] = builder(data, lang, **kw)
    return out
