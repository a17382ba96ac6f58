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
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from overcap.evidence import Fact
from overcap.report import messages as m
from overcap.report import select
from overcap.report.data import ReportData
from overcap.report.select import (
    COMPARISON,
    DEFAULT_SECTOR,
    ECONOMY_FACTS,
    FAIL_COLOUR,
    NA_COLOUR,
    PASS_COLOUR,
    SCENARIO_COLOURS,
    SECTOR_COLOURS,
    EvidenceTable,
    evidence_table,
    fact_text,
    price_span,
    record_text,
    scenario_colour,
    sector_colour,
)
from overcap.scenario import REGIMES

__all__ = [  # with what report.select defines, named here as before it existed
    "COMPARISON",
    "DEFAULT_SECTOR",
    "ECONOMY_FACTS",
    "FAIL_COLOUR",
    "FIGURES",
    "FIGURE_IDS",
    "FONT_FAMILY",
    "NA_COLOUR",
    "PASS_COLOUR",
    "REGIME_COLOURS",
    "SCENARIO_COLOURS",
    "SECTOR_COLOURS",
    "Builder",
    "EvidenceTable",
    "bill",
    "build_all",
    "caption",
    "comparison",
    "evidence",
    "evidence_table",
    "fact_text",
    "policy_cycle",
    "price_span",
    "price_war",
    "record_text",
    "scenario_colour",
    "sector_colour",
    "trade",
    "utilisation_waves",
]

Builder = Callable[..., go.Figure]

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


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def caption(fig_id: str, lang: str, data: ReportData | None = None, **opts: Any) -> str:
    """The figure's caption: what it shows (the catalogue's text), then, given the data,
    what it shows for these runs (:func:`overcap.report.findings.observations`)."""
    if fig_id == "comparison" and data is not None and len(data.scenarios) < 2:
        text = m.t("fig.comparison.caption_single", lang)
    else:
        text = m.t(f"fig.{fig_id}.caption", lang)
    if data is None:
        return text
    from overcap.report.findings import observations

    opts = {k: v for k, v in opts.items() if k == "sector" and fig_id == "price_war"}
    parts = [text, *observations(data, fig_id, lang, **opts)]
    if fig_id == "evidence":
        from overcap.report.findings import stored_scores_note

        parts += stored_scores_note(data.scenario().calibrated, lang)
    return " ".join(parts)


def _finish(
    fig: go.Figure,
    fig_id: str,
    title: str,
    lang: str,
    data: ReportData,
    height: int,
    **opts: Any,
) -> go.Figure:
    """Title, fonts, size, legend below; the caption in ``layout.meta`` and the
    provenance line at the foot of the figure (so a PNG exported from the page keeps
    it)."""
    prov = select.provenance(data, lang)
    fig.add_annotation(
        text=prov,
        xref="paper",
        yref="paper",
        x=0.0,
        y=1.0,
        yshift=36,
        xanchor="left",
        yanchor="bottom",
        showarrow=False,
        font={"size": 10, "color": "#666666"},
        name="provenance",
    )
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left"},
        template="plotly_white",
        font={"family": FONT_FAMILY, "size": 13},
        height=height,
        margin={"l": 70, "r": 30, "t": 110, "b": 60},
        legend={"orientation": "h", "y": -0.08, "yanchor": "top", "x": 0.0},
        hovermode="closest",
        meta={
            "figure": fig_id,
            "lang": lang,
            "caption": caption(fig_id, lang, data, **opts),
            "provenance": prov,
        },
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
    sel = select.utilisation_waves(data, scenario)
    ylabels = [m.sector(s, lang) for s in sel.rows]
    unit = m.t("axis.utilisation_pct", lang)
    fig = go.Figure(
        go.Heatmap(
            x=sel.years,
            y=ylabels,
            z=sel.z,
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
    for k, mark in enumerate(sel.facts):
        f = mark.fact
        ylab = m.sector(mark.row, lang)
        value = f"{mark.percent:.0f}%"
        hover = m.t("legend.fact_hover", lang, value=value, source=f.source[:120])
        hover += fact_note(f, lang)
        mid = (mark.start + mark.end) / 2
        fig.add_trace(
            go.Scatter(
                x=[mark.start - 0.45, mid, mark.end + 0.45],
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
                showlegend=k == 0,
                hovertext=f"{_fact_label(f, lang)}<br>{hover}",
                hoverinfo="text",
            )
        )
    fig.update_yaxes(
        title_text=m.t("axis.sector", lang),
        categoryorder="array",
        categoryarray=list(reversed(ylabels)),
        autorange=True,
    )
    fig.update_xaxes(title_text=m.t("axis.year", lang))
    title = m.t("fig.utilisation_waves.title", lang)
    return _finish(fig, "utilisation_waves", title, lang, data, 620)


def _draw(fig: go.Figure, s: select.Series, lang: str, row: int | None = None, **kw: Any) -> None:
    """A selected series as a line with its band."""
    _line_band(fig, s.frame, s.label(lang), s.colour, s.bands, row=row, **kw)


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
    sel = select.price_war(data, name, sector)
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
    _draw(fig, sel.price, lang, row=1)
    _draw(fig, sel.unit_cost, lang, row=1, dash="dash")
    _draw(fig, sel.margin, lang, row=2)
    fig.add_hline(y=0, line={"color": "#555", "width": 1}, row=2, col=1)
    _draw(fig, sel.loss_making, lang, row=3)
    _draw(fig, sel.zombies, lang, row=3)
    _regime_legend(fig, lang, row=1)
    fig.update_yaxes(
        title_text=m.sector_unit(sector, lang),
        type="log" if sel.log_price else "linear",
        row=1,
        col=1,
    )
    fig.update_yaxes(title_text=m.t("axis.margin_pct", lang), row=2, col=1)
    fig.update_yaxes(title_text=m.t("axis.share_pct", lang), rangemode="tozero", row=3, col=1)
    fig.update_xaxes(title_text=m.t("axis.year", lang), row=3, col=1)
    title = m.t("fig.price_war.title", lang, sector=m.sector(sector, lang))
    return _finish(fig, "price_war", title, lang, data, 760, sector=sector)


def trade(data: ReportData, lang: str, scenario: str | None = None) -> go.Figure:
    """Years with a measure in force by partner and sector (heat map); China's share of
    world output by sector; measures in force and countermeasures over time."""
    lang = m.check_lang(lang)
    sel = select.trade(data, scenario)
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
    fig.add_trace(
        go.Heatmap(
            x=[m.sector(s, lang) for s in sel.sectors],
            y=[m.partner(p, lang) for p in sel.partners],
            z=sel.years_in_force.to_numpy(),
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
    for share in sel.shares:
        _draw(fig, share, lang, row=2, hover_fmt=".1f")
    _draw(fig, sel.measures, lang, row=3, secondary_y=False)
    _draw(fig, sel.countermeasures, lang, row=3, dash="dot", secondary_y=True)
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
    panels = select.comparison(data)
    ncols = 2
    nrows = (len(panels) + ncols - 1) // ncols
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        shared_xaxes=True,
        vertical_spacing=0.06,
        horizontal_spacing=0.09,
        subplot_titles=[m.indicator(p.column, lang) for p in panels],
    )
    for k, p in enumerate(panels):
        r, c = k // ncols + 1, k % ncols + 1
        for name, s in zip(data.scenarios, p.series, strict=True):
            _draw(fig, s, lang, row=r, col=c, group=f"scenario-{name}", showlegend=k == 0)
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


def evidence(data: ReportData, lang: str, **_: Any) -> go.Figure:
    """The check table: one row per fact, the record's band or target, each scenario's
    median over the runs with pass (green) or fail (red), and the share of runs of the
    reference that pass."""
    lang = m.check_lang(lang)
    table = evidence_table(data, lang)
    n_model = len(data.scenarios)
    fig = go.Figure(
        go.Table(
            columnwidth=[40, 280, 110, 200, *([110] * n_model), 60],
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


def fact_note(f: Fact, lang: str) -> str:
    """A fact's note from the facts file (its definition, scope or caveat, in English as
    its source is) as a hover line, or nothing when it has none."""
    if not f.note:
        return ""
    return "<br>" + m.t("legend.fact_note", lang, note=f.note[:120])


# ---------------------------------------------------------------------- issue 17's figures
def _record_trace(
    fig: go.Figure, points: list[select.RecordPoint], lang: str, row: int, col: int, first: bool
) -> None:
    """The record's figures on a history panel: a point (a year) or a bar (a mean over
    years) at the target, with the band that counts as a match as an error bar."""
    for k, r in enumerate(points):
        mid = (r.start + r.end) / 2
        lo = r.value - r.low if r.low is not None else 0.0
        hi = r.high - r.value if r.high is not None else 0.0
        fig.add_trace(
            go.Scatter(
                x=[mid],
                y=[r.value],
                mode="markers",
                marker={"color": "black", "size": 8, "symbol": "diamond"},
                error_y={"type": "data", "array": [hi], "arrayminus": [lo], "color": "black"},
                error_x={"type": "constant", "value": (r.end - r.start) / 2, "color": "black"},
                name=m.t("legend.record", lang),
                legendgroup="record",
                showlegend=first and k == 0,
                hovertext=f"{r.fact.id} {r.start}-{r.end}: {r.value:.3g}<br>{r.fact.source[:120]}"
                + fact_note(r.fact, lang),
                hoverinfo="text",
            ),
            row=row,
            col=col,
        )


def history(data: ReportData, lang: str, scenario: str | None = None) -> go.Figure:
    """GDP growth, producer prices and utilisation (aggregate and by sector) as lines,
    with the record's figures on them."""
    lang = m.check_lang(lang)
    panels = select.history(data, scenario)
    ncols = 2
    nrows = (len(panels) + ncols - 1) // ncols
    titles = [
        m.sector(p.key, lang) if p.key not in ("gdp_growth", "ppi_change") else m.t(p.unit, lang)
        for p in panels
    ]
    fig = make_subplots(
        rows=nrows, cols=ncols, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.07
    )
    first = True
    for k, p in enumerate(panels):
        r, c = k // ncols + 1, k % ncols + 1
        s = p.series
        _line_band(
            fig,
            s.frame,
            m.t("legend.model_median", lang),
            s.colour,
            s.bands,
            row=r,
            col=c,
            group="model",
            showlegend=k == 0,
        )
        if p.key == "ppi_change" or p.key == "gdp_growth":
            fig.add_hline(y=0, line={"color": "#555", "width": 1}, row=r, col=c)
        _record_trace(fig, p.record, lang, r, c, first)
        first = first and not p.record
    title = m.t("fig.history.title", lang)
    fig = _finish(fig, "history", title, lang, data, 230 * nrows + 160)
    fig.update_annotations(font_size=12, selector={"name": None})
    return fig


def wave_timing(data: ReportData, lang: str, scenario: str | None = None) -> go.Figure:
    """Year of peak idle capacity by sector: the model's median and range over runs, the
    record's years of lowest utilisation where it has two or more figures."""
    lang = m.check_lang(lang)
    tab = select.wave_timing(data, scenario).table
    labels = [m.sector(s, lang) for s in tab["sector"]]
    fig = go.Figure()
    for lab, row in zip(labels, tab.to_dict("records"), strict=True):
        if row["record_from"] is not None and np.isfinite(float(row["record_from"])):
            fig.add_shape(
                type="rect",
                x0=float(row["record_from"]) - 0.5,
                x1=float(row["record_to"]) + 0.5,
                y0=lab,
                y1=lab,
                line={"color": "#777", "width": 12},
                opacity=0.5,
                layer="below",
            )
    fig.add_trace(
        go.Scatter(
            x=tab["median_year"],
            y=labels,
            mode="markers",
            marker={"size": 11, "color": "#c0392b"},
            error_x={
                "type": "data",
                "array": tab["last_year"] - tab["median_year"],
                "arrayminus": tab["median_year"] - tab["first_year"],
                "color": "#c0392b",
            },
            name=m.t("legend.peak_model", lang),
            text=[f"{v:.0f}%" for v in tab["idle_pct"]],
            hovertemplate="%{y}: %{x:.0f} (%{text})<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="lines",
            line={"color": "#aaa", "width": 10},
            name=m.t("legend.peak_record", lang),
        )
    )
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(labels)))
    fig.update_xaxes(title_text=m.t("axis.peak_year", lang), dtick=5)
    title = m.t("fig.wave_timing.title", lang)
    return _finish(fig, "wave_timing", title, lang, data, 160 + 30 * len(labels))


def provinces(data: ReportData, lang: str, scenario: str | None = None) -> go.Figure:
    """Subsidies (% of GDP), growth rank and debt (% of GDP) by province and year, one
    heat map each, the same provinces on every row."""
    lang = m.check_lang(lang)
    sel = select.provinces(data, scenario)
    names = [m.province(p, lang) for p in sel.provinces]
    panels = select.PROVINCE_PANELS
    fig = make_subplots(
        rows=1,
        cols=len(panels),
        shared_yaxes=True,
        horizontal_spacing=0.06,
        subplot_titles=[m.t(t, lang) for _, t, _ in panels],
    )
    scales = {"subsidy_pct_gdp": "Reds", "growth_rank": "Viridis", "debt_pct_gdp": "Purples"}
    for k, (col, key, _unit) in enumerate(panels, start=1):
        fig.add_trace(
            go.Heatmap(
                x=sel.years,
                y=names,
                z=sel.grids[col].to_numpy(),
                colorscale=scales[col],
                reversescale=col == "growth_rank",
                colorbar={"len": 0.9, "x": k / len(panels) - 0.02, "thickness": 10},
                hovertemplate="%{y} %{x}: %{z:.2f}<extra></extra>",
                name=m.t(key, lang),
            ),
            row=1,
            col=k,
        )
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    title = m.t("fig.provinces.title", lang)
    return _finish(fig, "provinces", title, lang, data, 160 + 18 * len(names))


def difference(data: ReportData, lang: str, **_: Any) -> go.Figure:
    """Paired difference, scenario minus reference run by run (common random numbers),
    median and band over the pairs, for the main indicators."""
    lang = m.check_lang(lang)
    panels = select.difference(data)
    ncols = 2
    nrows = (len(panels) + ncols - 1) // ncols
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        shared_xaxes=True,
        vertical_spacing=0.06,
        horizontal_spacing=0.09,
        subplot_titles=[m.indicator(p.column, lang) for p in panels],
    )
    for k, p in enumerate(panels):
        r, c = k // ncols + 1, k % ncols + 1
        fig.add_hline(y=0, line={"color": "#555", "width": 1}, row=r, col=c)
        for s in p.series:
            _draw(fig, s, lang, row=r, col=c, group=s.legend.replace(".", "-"), showlegend=k == 0)
    title = m.t("fig.difference.title", lang)
    fig = _finish(fig, "difference", title, lang, data, 260 * nrows + 120)
    return fig


FIGURES: dict[str, Builder] = {
    "policy_cycle": policy_cycle,
    "history": history,
    "utilisation_waves": utilisation_waves,
    "wave_timing": wave_timing,
    "price_war": price_war,
    "provinces": provinces,
    "trade": trade,
    "bill": bill,
    "comparison": comparison,
    "difference": difference,
    "evidence": evidence,
}
FIGURE_IDS: tuple[str, ...] = tuple(FIGURES)


def figure_ids(data: ReportData) -> list[str]:
    """The report's figures for ``data``, in order: every figure, less the paired
    difference when there is a single scenario (nothing to pair)."""
    return [f for f in FIGURE_IDS if f != "difference" or len(data.scenarios) > 1]


def build_all(data: ReportData, lang: str, **opts: Any) -> dict[str, go.Figure]:
    """Every figure of :func:`figure_ids` in report order. ``opts`` go to the builders
    that take them (``sector`` to price_war, ``scenario`` to the single-scenario
    figures)."""
    out = {}
    for fig_id in figure_ids(data):
        builder = FIGURES[fig_id]
        kw = {k: v for k, v in opts.items() if k != "sector" or fig_id == "price_war"}
        out[fig_id] = builder(data, lang, **kw)
    return out
