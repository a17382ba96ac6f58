"""Each figure's data as one tidy table, written as CSV beside its PNG.

The tables are built from the same selections (:mod:`overcap.report.select`) that both
renderers draw, so the CSV holds the numbers plotted, in the figure's units (percent
where the axis says percent). Column names are the indicator vocabulary's, in English,
whatever the report's language::

    from overcap.report import tables

    tables.table(data, "bill")          # year, column, median, p5, p95
    tables.write_all(data, "out/png-en")   # out/png-en/N-ID.csv
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from overcap.report import select
from overcap.report.data import ReportData
from overcap.report.select import DEFAULT_SECTOR, Series

BAND = ["median", "p5", "p95"]


def _series(s: Series, **labels: Any) -> pd.DataFrame:
    f = s.frame[["year", *BAND]].copy()
    for k, v in reversed(labels.items()):
        f.insert(0, k, v)
    return f


def _name(legend: str) -> str:
    """A legend key without its prefix: 'scenario.baseline' -> 'baseline'."""
    return legend.split(".", 1)[1] if "." in legend else legend


def policy_cycle(data: ReportData, **_: Any) -> pd.DataFrame:
    sel = select.policy_cycle(data)
    f = sel.growth.frame[["year", *BAND]].rename(
        columns={"median": "gdp_growth_median", "p5": "gdp_growth_p5", "p95": "gdp_growth_p95"}
    )
    f = f.merge(
        sel.target.frame[["year", "median"]].rename(columns={"median": "gdp_target"}), on="year"
    )
    reg = sel.regimes[["year", "regime", "share", "scripted"]].rename(
        columns={"share": "regime_share_of_runs", "scripted": "regime_scripted"}
    )
    return f.merge(reg, on="year")


def history(data: ReportData, **_: Any) -> pd.DataFrame:
    rows = []
    for p in select.history(data):
        f = _series(p.series, panel=p.key, series="model")
        rows.append(f.rename(columns={"median": "value", "p5": "low", "p95": "high"}))
        for r in p.record:
            years = list(range(r.start, r.end + 1))
            rows.append(
                pd.DataFrame(
                    {
                        "panel": p.key,
                        "series": f"record {r.fact.id}",
                        "year": years,
                        "value": r.value,
                        "low": r.low,
                        "high": r.high,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def utilisation_waves(data: ReportData, **_: Any) -> pd.DataFrame:
    sel = select.utilisation_waves(data)
    grid = pd.DataFrame(sel.z, index=sel.rows, columns=sel.years)
    out = pd.DataFrame(grid.stack(future_stack=True)).reset_index()
    out.columns = pd.Index(["sector", "year", "utilisation_pct_median"])
    return out.dropna(subset=["utilisation_pct_median"]).reset_index(drop=True)


def wave_timing(data: ReportData, **_: Any) -> pd.DataFrame:
    return select.wave_timing(data).table


def price_war(data: ReportData, sector: str = DEFAULT_SECTOR, **_: Any) -> pd.DataFrame:
    sel = select.price_war(data, sector=sector)
    parts = [
        _series(s, sector=sector, column=col)
        for col, s in (
            ("price", sel.price),
            ("unit_cost", sel.unit_cost),
            ("margin_pct", sel.margin),
            ("loss_making_share_pct", sel.loss_making),
            ("zombie_share_pct", sel.zombies),
        )
    ]
    return pd.concat(parts, ignore_index=True)


def provinces(data: ReportData, **_: Any) -> pd.DataFrame:
    return select.provinces(data).long


def trade(data: ReportData, **_: Any) -> pd.DataFrame:
    sel = select.trade(data)
    heat = pd.DataFrame(sel.years_in_force.stack()).reset_index()
    heat.columns = pd.Index(["partner", "sector", "median"])
    heat.insert(0, "panel", "years_in_force")
    parts = [heat]
    parts += [_series(s, panel="china_world_share_pct", sector=_name(s.legend)) for s in sel.shares]
    parts.append(_series(sel.measures, panel="trade_measures"))
    parts.append(_series(sel.countermeasures, panel="countermeasures"))
    return pd.concat(parts, ignore_index=True)


def bill(data: ReportData, **_: Any) -> pd.DataFrame:
    parts = [
        _series(p.series, column=col)
        for p, (col, *_rest) in zip(select.bill(data), select.BILL, strict=True)
    ]
    return pd.concat(parts, ignore_index=True)


def comparison(data: ReportData, **_: Any) -> pd.DataFrame:
    parts = [
        _series(s, scenario=_name(s.legend), column=ind.column)
        for ind in select.comparison(data)
        for s in ind.series
    ]
    return pd.concat(parts, ignore_index=True)


def difference(data: ReportData, **_: Any) -> pd.DataFrame:
    parts = [
        _series(s, scenario=_name(s.legend), column=ind.column)
        for ind in select.difference(data)
        for s in ind.series
    ]
    if not parts:
        return pd.DataFrame(columns=["scenario", "column", "year", *BAND])
    return pd.concat(parts, ignore_index=True)


def evidence(data: ReportData, **_: Any) -> pd.DataFrame:
    facts = {f.id: f for f in data.facts}
    out = pd.DataFrame(
        {
            "id": [f.id for f in data.facts],
            "fact": [facts[i].describe() for i in facts],
            "low": [facts[i].low for i in facts],
            "target": [facts[i].target for i in facts],
            "high": [facts[i].high for i in facts],
            "unit": [facts[i].unit for i in facts],
            "source": [facts[i].source for i in facts],
        }
    )
    for name in data.scenarios:
        tab = data.check(name).set_index("id").reindex(out["id"])
        out[f"{name}_median"] = tab["value"].to_numpy()
        out[f"{name}_evaluable"] = tab["evaluable"].to_numpy()
        out[f"{name}_passed"] = tab["passed"].to_numpy()
        out[f"{name}_share_of_runs_passing"] = tab["share_passing"].to_numpy()
    return out


TABLES: dict[str, Callable[..., pd.DataFrame]] = {
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


def table(data: ReportData, fig_id: str, **opts: Any) -> pd.DataFrame:
    """The data of figure ``fig_id`` (ValueError naming the allowed ids)."""
    if fig_id not in TABLES:
        raise ValueError(f"figure {fig_id!r} unknown; allowed: {', '.join(TABLES)}")
    return TABLES[fig_id](data, **opts)


def write(data: ReportData, fig_id: str, path: str | Path, **opts: Any) -> Path:
    p = Path(path)
    table(data, fig_id, **opts).to_csv(p, index=False)
    return p
