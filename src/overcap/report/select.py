"""What a figure shows, selected once from a :class:`ReportData` and drawn by both
renderers: the interactive one (:mod:`overcap.report.figures`, Plotly) and the static
one (:mod:`overcap.report.png`, matplotlib). A renderer decides how, never what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from overcap.report.data import ReportData


@dataclass(frozen=True)
class Series:
    """A median with its band (``frame``: year, median, p5, p95), its legend's message
    key and colour, and whether the band is drawn (more than one run)."""

    frame: pd.DataFrame
    legend: str
    colour: str
    bands: bool


@dataclass(frozen=True)
class Panel:
    """One panel of a stacked figure: a series, its axis's and title's message keys."""

    series: Series
    unit: str
    title: str


@dataclass(frozen=True)
class PolicyCycle:
    growth: Series
    target: Series  # never with a band
    regimes: pd.DataFrame  # ReportData.regimes
    events: list[dict[str, Any]]  # ReportData.events


def policy_cycle(data: ReportData, scenario: str | None = None) -> PolicyCycle:
    """GDP growth (median, band) against the target, the regimes and the events."""
    name = scenario or data.reference
    bands = data.n_runs(name) > 1
    return PolicyCycle(
        growth=Series(
            data.economy_bands(name, "gdp_growth"), "legend.gdp_growth", "#1f3b73", bands
        ),
        target=Series(
            data.economy_bands(name, "gdp_target"), "legend.gdp_target", "#c0392b", False
        ),
        regimes=data.regimes(name),
        events=data.events(name),
    )


# the bill of industrial policy: column, scale, legend, axis, panel title, colour
BILL = (
    ("fiscal_cost_share_gdp", 1.0, "legend.fiscal_cost", "axis.pct_gdp", "fig.bill.panel_fiscal",
     "#c0392b"),
    ("bad_loans", 1e-3, "legend.bad_loans", "axis.usd_bn", "fig.bill.panel_bad_loans", "#8e44ad"),
    ("misallocation_tfp_loss", 1.0, "legend.misallocation", "axis.pct_gdp",
     "fig.bill.panel_misallocation", "#d68910"),
)  # fmt: skip


def bill(data: ReportData, scenario: str | None = None) -> list[Panel]:
    """Fiscal cost (% of GDP), new bad loans (US$ bn) and misallocation (% of GDP)."""
    name = scenario or data.reference
    bands = data.n_runs(name) > 1
    return [
        Panel(Series(data.economy_bands(name, col, scale=scale), leg, colour, bands), unit, title)
        for col, scale, leg, unit, title, colour in BILL
    ]
