"""The outcomes of the thesis experiments (issue 18): one number per run, over a window of
years, read from a run's economy and sectors tables.

An outcome is a metric and a window: ``idle_capacity_2009_2013`` is the idle capacity
averaged over 2009-2013; a bare metric name (``zombie_share``) takes the window the
caller gives (``--years``), else every recorded year. The metrics:

- ``idle_capacity``: 1 - the value-weighted utilisation of the modelled sectors
  (economy ``aggregate_utilisation``), averaged over the years;
- ``utilisation``: that utilisation itself, averaged over the years;
- ``zombie_share``: the share of firms that are zombies, averaged over the years;
- ``fiscal_cost_share_gdp``: the fiscal cost of industrial policy in % of GDP, averaged;
- ``margin``: profit over revenue of the modelled sectors, summed over sectors and years
  (the depth of the price war: negative when the sectors lose money);
- ``export_share``: exports over output of the modelled sectors, both valued at the
  sector's price, summed over sectors and years (physical units differ by sector);
- ``gdp_growth``: GDP growth, % a year, averaged over the years;
- ``gdp_gap``: GDP growth minus the centre's growth target, percentage points, averaged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from overcap.experiments import Experiment


class OutcomeError(ValueError):
    """A bad outcome name or window: one line naming it and what is allowed."""


Frame = Mapping[str, pd.DataFrame]


def _mean(col: str) -> Callable[[Frame], pd.Series]:
    def f(t: Frame) -> pd.Series:
        return t["economy"].groupby("run", sort=True)[col].mean()

    return f


def _idle(t: Frame) -> pd.Series:
    return 1.0 - t["economy"].groupby("run", sort=True)["aggregate_utilisation"].mean()


def _ratio(
    num: Callable[[pd.DataFrame], pd.Series], den: Callable[[pd.DataFrame], pd.Series]
) -> Callable[[Frame], pd.Series]:
    def f(t: Frame) -> pd.Series:
        s = t["sectors"]
        g = pd.DataFrame({"run": s["run"], "n": num(s), "d": den(s)}).groupby("run", sort=True)
        tot = g[["n", "d"]].sum()
        return (tot["n"] / tot["d"].where(tot["d"] != 0)).astype(float)

    return f


def _gap(t: Frame) -> pd.Series:
    e = t["economy"]
    return (e["gdp_growth"] - e["gdp_target"]).groupby(e["run"], sort=True).mean()


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    unit: str
    columns: Mapping[str, tuple[str, ...]]  # table -> columns read
    compute: Callable[[Frame], pd.Series]


_ECO = "economy"
_SEC = "sectors"
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "idle_capacity",
            "idle capacity (1 - utilisation)",
            "share",
            {_ECO: ("aggregate_utilisation",)},
            _idle,
        ),
        Metric(
            "utilisation",
            "utilisation (value-weighted)",
            "share",
            {_ECO: ("aggregate_utilisation",)},
            _mean("aggregate_utilisation"),
        ),
        Metric(
            "zombie_share",
            "zombie share of firms",
            "share",
            {_ECO: ("zombie_share",)},
            _mean("zombie_share"),
        ),  # fmt: skip
        Metric(
            "fiscal_cost_share_gdp",
            "fiscal cost of industrial policy",
            "% of GDP",
            {_ECO: ("fiscal_cost_share_gdp",)},
            _mean("fiscal_cost_share_gdp"),
        ),
        Metric(
            "margin",
            "margin (profit / revenue)",
            "share",
            {_SEC: ("profit", "revenue")},
            _ratio(lambda s: s["profit"], lambda s: s["revenue"]),
        ),
        Metric(
            "export_share",
            "exports' share of output (by value)",
            "share",
            {_SEC: ("exports", "output", "price")},
            _ratio(lambda s: s["exports"] * s["price"], lambda s: s["output"] * s["price"]),
        ),
        Metric(
            "gdp_growth", "GDP growth", "% a year", {_ECO: ("gdp_growth",)}, _mean("gdp_growth")
        ),  # fmt: skip
        Metric(
            "gdp_gap",
            "GDP growth minus the target",
            "points",
            {_ECO: ("gdp_growth", "gdp_target")},
            _gap,
        ),
    )
}

#: the waves' years of the thesis experiments: the 2009 stimulus and the glut that
#: followed (2009-2013), the supply-side reform years (2015-2019), the new-energy glut
#: (2023-2025)
WAVES: tuple[tuple[int, int], ...] = ((2009, 2013), (2015, 2019), (2023, 2025))

#: what `overcap attribute` reports when no outcome is named: idle capacity in each
#: wave, and the other outcomes of the thesis over the --years (default: every year)
DEFAULT_OUTCOMES: tuple[str, ...] = (
    *(f"idle_capacity_{a}_{b}" for a, b in WAVES),
    "zombie_share",
    "fiscal_cost_share_gdp",
    "margin",
    "export_share",
    "gdp_growth",
)

_WINDOW = re.compile(r"^(?P<metric>[a-z_]+?)_(?P<a>\d{4})_(?P<b>\d{4})$")


@dataclass(frozen=True)
class Outcome:
    """An outcome: its name as given, its metric and its window (inclusive)."""

    name: str
    metric: Metric
    years: tuple[int, int]

    @property
    def label(self) -> str:
        return f"{self.metric.label}, {self.years[0]}-{self.years[1]}"


def allowed() -> str:
    return (
        ", ".join(METRICS) + " (each optionally with a window _FROM_TO, e.g. "
        "idle_capacity_2009_2013)"
    )


def metric_of(name: str) -> str:
    """The metric of an outcome name (``idle_capacity_2009_2013`` -> ``idle_capacity``)."""
    m = _WINDOW.match(name)
    return str(m["metric"]) if m and m["metric"] in METRICS else name


def parse(
    name: str,
    recorded: tuple[int, int],
    years: tuple[int, int] | None = None,
    field: str = "--outcomes",
) -> Outcome:
    """The outcome ``name`` (a metric, or a metric with a window ``_FROM_TO``) on a run
    that records the years ``recorded``; a bare metric takes ``years`` (default: all
    recorded). One-line OutcomeError for an unknown name or a window outside the run."""
    text = name.strip()
    m = _WINDOW.match(text)
    if m and m["metric"] in METRICS:
        metric, window = METRICS[m["metric"]], (int(m["a"]), int(m["b"]))
        if window[1] < window[0]:
            raise OutcomeError(f"{field} {text}: the window ends before it starts")
    elif text in METRICS:
        metric, window = METRICS[text], years or recorded
    else:
        raise OutcomeError(f"{field} {text!r}: unknown outcome; allowed: {allowed()}")
    if window[0] < recorded[0] or window[1] > recorded[1]:
        raise OutcomeError(
            f"{field} {text}: years {window[0]}-{window[1]} are not all recorded; the "
            f"scenario records {recorded[0]}-{recorded[1]}"
        )
    return Outcome(text, metric, window)


def parse_all(
    names: Sequence[str] | None,
    recorded: tuple[int, int],
    years: tuple[int, int] | None = None,
    field: str = "--outcomes",
) -> list[Outcome]:
    """The outcomes named (default: :data:`DEFAULT_OUTCOMES` without --years, the bare
    metrics of that list over --years with it), each once, in order."""
    if names is None or not [n for n in names if n.strip()]:
        if years is None:
            names = DEFAULT_OUTCOMES
        else:
            names = ["idle_capacity", *DEFAULT_OUTCOMES[len(WAVES) :]]
    out: list[Outcome] = []
    seen: set[str] = set()
    for n in names:
        if not n.strip():
            continue
        o = parse(n, recorded, years, field)
        if o.name not in seen:
            seen.add(o.name)
            out.append(o)
    return out


def columns(outcomes: Sequence[Outcome]) -> dict[str, list[str]]:
    """The columns of each table the outcomes read (with ``year``)."""
    out: dict[str, list[str]] = {}
    for o in outcomes:
        for table, cols in o.metric.columns.items():
            have = out.setdefault(table, ["year"])
            have.extend(c for c in cols if c not in have)
    return out


def values(runs: pd.DataFrame, tables: Frame, outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """``runs`` (one row per run, with a ``run`` column) with one column per outcome,
    from ``tables`` (results tables stacked over runs, with ``run`` and ``year``)."""
    out = runs.copy()
    for o in outcomes:
        a, b = o.years
        cut = {
            t: f[(f["year"] >= a) & (f["year"] <= b)]
            for t, f in tables.items()
            if t in o.metric.columns
        }
        v = o.metric.compute(cut)
        out[o.name] = out["run"].map(v).astype(float)
    return out


def experiment_values(exp: Experiment, outcomes: Sequence[Outcome]) -> pd.DataFrame:
    """One row per ok run of a stored experiment (run, sample, replicate) with one column
    per outcome."""
    runs = exp.runs()
    runs = runs[runs["status"] == "ok"][["run", "sample", "replicate"]].reset_index(drop=True)
    tables = {t: exp.table(t, columns=cols) for t, cols in columns(outcomes).items()}
    return values(runs, tables, outcomes)


def finite(frame: pd.DataFrame, names: Sequence[str]) -> list[str]:
    """The outcome columns with a value that is not finite (a ratio over nothing)."""
    return [n for n in names if not np.isfinite(frame[n].to_numpy(dtype=float)).all()]
