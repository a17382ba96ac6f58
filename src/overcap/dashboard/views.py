"""The dashboard's views: the report's own figures (``overcap.report.figures``) drawn
from a run's ensembles, the user's scenario beside the baseline."""

from __future__ import annotations

import threading
from collections import OrderedDict

import plotly.graph_objects as go

from overcap.dashboard.levers import InputError, RunSpec
from overcap.dashboard.text import tr
from overcap.model import Result
from overcap.report import figures, messages
from overcap.report.data import ReportData

# the views, in tab order: report figure ids
VIEWS: tuple[str, ...] = (
    "comparison",
    "policy_cycle",
    "utilisation_waves",
    "price_war",
    "trade",
    "bill",
)
DEFAULT_VIEW = "comparison"
DEFAULT_SECTOR = figures.DEFAULT_SECTOR


def variant_name(spec: RunSpec, lang: str) -> str:
    """The user's run as the figures name it: the scenario's own name, or that name with
    "(your levers)" when a lever moved."""
    if not spec.overrides:
        return spec.scenario
    return tr("dash.with_levers", lang, scenario=messages.scenario(spec.scenario, lang))


class Views:
    """Builds figures for finished runs; keeps the last few ``ReportData`` bundles so that
    switching views or language reuses their medians and bands."""

    def __init__(self, size: int = 12) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._data: OrderedDict[tuple[str, ...], ReportData] = OrderedDict()

    def data(
        self, spec: RunSpec, results: dict[str, list[Result]], lang: str
    ) -> tuple[ReportData, str]:
        """The bundle of the baseline and the user's run (the baseline alone when the run
        is the baseline itself) and the name of the user's run in it."""
        name = variant_name(spec, lang)
        key = (spec.key, lang)
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
                return hit, name
        ref = spec.reference()
        runs = {ref.scenario: results[ref.key]}
        if not spec.is_reference:
            runs[name] = results[spec.key]
        data = ReportData.from_results(runs, seed=spec.seed)
        with self._lock:
            self._data[key] = data
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return data, name

    @staticmethod
    def figure(
        view: str,
        data: ReportData,
        name: str,
        lang: str,
        sector: str,
        reform_year: int | None = None,
    ) -> go.Figure:
        """The report's figure for ``view``; the comparison fitted to the page (see
        :func:`fit_comparison`) with a line at ``reform_year`` if given."""
        if view not in VIEWS:
            raise InputError("view", "dash.error.choice", value=view, allowed=VIEWS)
        if view == "comparison":
            return fit_comparison(figures.FIGURES[view](data, lang), lang, reform_year)
        if view == "price_war":
            allowed = data.sectors(name)
            if sector not in allowed:
                raise InputError("sector", "dash.error.choice", value=sector, allowed=allowed)
            return figures.price_war(data, lang, scenario=name, sector=sector)
        return figures.FIGURES[view](data, lang, scenario=name)


ROW_HEIGHT = 190  # px per row of panels on the page (the report's figure uses 260)
TOP = 128  # px above the panels: the title, then the legend


def fit_comparison(fig: go.Figure, lang: str, reform_year: int | None = None) -> go.Figure:
    """The comparison as the page shows it: the legend at the top, under the title, and
    the years under every panel, so both are on the first screen; shorter panels; a
    dashed line at the year the reform starts, named on the first panel."""
    n = sum(1 for k in fig.layout.to_plotly_json() if k.startswith("xaxis"))
    rows = max(1, (n + 1) // 2)
    bottom = 50
    height = ROW_HEIGHT * rows + TOP + bottom
    plot = height - TOP - bottom
    fig.update_xaxes(showticklabels=True, tickfont={"size": 11})
    fig.update_layout(
        height=height,
        margin={"t": TOP, "b": bottom},
        title={"y": 1 - 14 / height, "yanchor": "top", "yref": "container"},
        legend={
            "orientation": "h",
            "x": 0.0,
            "xanchor": "left",
            "y": 1 + 40 / plot,
            "yanchor": "bottom",
        },
    )
    meta = dict(fig.layout.meta) if isinstance(fig.layout.meta, dict) else {}
    meta["reform_year"] = reform_year
    fig.update_layout(meta=meta)
    if reform_year is not None:
        line = {"dash": "dash", "color": "#555555", "width": 1.2}
        fig.add_vline(x=reform_year, line=line, row="all", col="all")
        fig.add_annotation(
            x=reform_year,
            xref="x",
            y=1.0,
            yref="y domain",
            text=tr("dash.reform_marker", lang, year=reform_year),
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"size": 11, "color": "#333333"},
        )
    return fig


def reform_year_of(spec: RunSpec) -> int | None:
    """The year the reform of the user's run starts (after the levers), None for the
    baseline (it has no reform of its own)."""
    if spec.is_reference:
        return None
    from overcap.dashboard.levers import reform_start
    from overcap.scenario import load_scenario

    return reform_start(load_scenario(spec.scenario, spec.overrides_dict))


def placeholder(text: str) -> go.Figure:
    """An empty figure with one sentence in the middle (before the first run)."""
    fig = go.Figure()
    fig.add_annotation(
        text=text,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 16, "family": figures.FONT_FAMILY},
    )
    fig.update_layout(
        template="plotly_white",
        xaxis={"visible": False},
        yaxis={"visible": False},
        height=420,
        meta={"figure": "placeholder"},
    )
    return fig
