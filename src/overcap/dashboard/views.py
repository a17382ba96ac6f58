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
    def figure(view: str, data: ReportData, name: str, lang: str, sector: str) -> go.Figure:
        if view not in VIEWS:
            raise InputError("view", "dash.error.choice", value=view, allowed=VIEWS)
        if view == "comparison":
            return figures.FIGURES[view](data, lang)
        if view == "price_war":
            allowed = data.sectors(name)
            if sector not in allowed:
                raise InputError("sector", "dash.error.choice", value=sector, allowed=allowed)
            return figures.price_war(data, lang, scenario=name, sector=sector)
        return figures.FIGURES[view](data, lang, scenario=name)


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
