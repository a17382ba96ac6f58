"""What the figures are drawn from: ensembles of runs, summarised by year.

A :class:`ReportData` holds, for each scenario (in order; the first is the reference),
its ensemble (``list[Result]``), plus the facts file and each scenario's check table.
Figures never run the model; they ask a ``ReportData`` for medians and bands::

    from overcap.report.data import ReportData

    data = ReportData.build(["baseline", "market-reform"], runs=5, seed=0)
    # or, from ensembles you already have:
    data = ReportData.from_results({"baseline": overcap.ensemble("baseline", runs=5)})

    data.economy_bands("baseline", "gdp_growth")        # year, median, p5, p95
    data.sector_bands("baseline", "utilisation")        # year, sector, median, p5, p95
    data.regimes("baseline")                            # year, regime, share, scripted
    data.check("baseline")                              # the facts table (evidence.check)

Bands are the 5th and 95th percentiles over the runs (90% of the runs lie inside); with
one run they collapse onto the median. Summaries are cached on the object, so every
figure of a report reads the same numbers without recomputing them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from overcap.evidence import Fact, check, load_facts
from overcap.experiments import (
    Execution,
    ensemble,
    generate_name,
    open_experiment,
    overrides_dict,
    resolve,
)
from overcap.model import Result
from overcap.scenario import REGIMES, Scenario
from overcap.summary import HIGH, LOW, bands

__all__ = ["HIGH", "LOW", "Progress", "ReportData"]

Progress = Callable[[str, int, int], None]


def _bands(frame: pd.DataFrame, keys: list[str], column: str, scale: float) -> pd.DataFrame:
    """Median and 5-95% band of ``column`` over the runs, for each value of ``keys``
    (:func:`overcap.summary.bands` of one column)."""
    out = bands(frame, keys, [column], LOW, HIGH, scale)
    return out.drop(columns=["column", "runs"])


@dataclass
class ReportData:
    """Ensembles by scenario (first = reference), the facts, and cached summaries."""

    runs: dict[str, list[Result]]
    facts: list[Fact]
    seed: int = 0
    facts_file: str = "facts.csv"
    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False, compare=False)
    # scenario -> the results-store experiment its runs were read from (empty: not stored)
    experiments: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.runs:
            raise ValueError("a report needs at least one scenario")
        for name, res in self.runs.items():
            if not res:
                raise ValueError(f"scenario {name!r} has no runs")

    # ------------------------------------------------------------------ building
    @classmethod
    def from_results(
        cls,
        runs: Mapping[str, Sequence[Result]],
        facts: str | Path | Sequence[Fact] | None = None,
        seed: int | None = None,
    ) -> ReportData:
        """Wrap ensembles you already have (``{scenario name: list[Result]}``)."""
        if facts is None or isinstance(facts, str | Path):
            fact_list, _ = load_facts(facts)
            name = Path(facts).name if facts is not None else "facts.csv"
        else:
            fact_list, name = list(facts), "facts"
        first = next(iter(runs.values()))
        s = seed if seed is not None else (first[0].seed if first else 0)
        return cls({k: list(v) for k, v in runs.items()}, fact_list, s, name)

    @classmethod
    def build(
        cls,
        scenarios: Sequence[str | Scenario],
        runs: int = 5,
        seed: int = 0,
        overrides: dict[str, Any] | list[str] | None = None,
        facts: str | Path | Sequence[Fact] | None = None,
        progress: Progress | None = None,
        *,
        execution: Execution | None = None,
        **options: Any,
    ) -> ReportData:
        """Run ``runs`` replicates of each scenario (replicate i of every scenario shares
        stream i of ``seed``) with the same ``overrides``. Raises ScenarioError on a bad
        scenario or override before anything runs, ValueError on a duplicate name.

        ``execution`` (or its fields as keywords: ``workers``, ``scheduler``, ...) chooses
        where the runs go (see :func:`overcap.ensemble`; ``workers=0`` runs them in this
        process; by default they stay in memory). With ``results`` (a results-store root)
        or ``name``, each scenario's ensemble is stored as an experiment (``NAME-SCENARIO``,
        or a generated ``report-SCENARIO-STAMP``) and the report is drawn from the runs
        read back from the store; :attr:`experiments` maps scenario to experiment name."""
        ex = Execution.of(execution, **options)
        name, results = ex.name, ex.results
        if not scenarios:
            raise ValueError("a report needs at least one scenario")
        base = overrides_dict(overrides)
        loaded = [resolve(s, base) for s in scenarios]
        names = [sc.name for sc in loaded]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup is not None:
            raise ValueError(f"scenario {dup!r} is named twice; name each scenario once")
        out: dict[str, list[Result]] = {}
        stored: dict[str, str] = {}
        for sc in loaded:

            def tick(i: int, n: int, _name: str = sc.name) -> None:
                if progress is not None:
                    progress(_name, i, n)

            exp_name = None  # not stored: the ensemble stays in memory
            if name is not None or results is not None:
                own = f"{name}-{sc.name}" if name else None
                exp_name = own or generate_name("report", sc.name, results)
            out[sc.name] = ensemble(
                sc, runs=runs, seed=seed, progress=tick, execution=ex.replace(name=exp_name)
            )
            if exp_name is not None:
                stored[sc.name] = exp_name
        data = cls.from_results(out, facts, seed)
        data.experiments = stored
        return data

    @classmethod
    def from_experiments(
        cls,
        names: Sequence[str],
        results: str | Path | None = None,
        facts: str | Path | Sequence[Fact] | None = None,
    ) -> ReportData:
        """Draw a report from ensembles already in the results store (one experiment per
        scenario, e.g. from ``overcap run SCENARIO --runs N --name NAME``): the ok runs of
        each experiment's first point, keyed by scenario name. Raises StoreError naming a
        missing experiment, ValueError for an experiment with no ok run or two
        experiments of the same scenario."""
        out: dict[str, list[Result]] = {}
        stored: dict[str, str] = {}
        for exp_name in names:
            exp = open_experiment(exp_name, results)
            res = exp.results()
            if not res:
                raise ValueError(f"experiment {exp_name!r} has no finished run")
            first = res[0].scenario.name
            res = [r for r in res if r.scenario.name == first]
            if first in out:
                raise ValueError(
                    f"experiments {stored[first]!r} and {exp_name!r} both hold scenario "
                    f"{first!r}; give one experiment per scenario"
                )
            out[first], stored[first] = res, exp_name
        seed = int(out[next(iter(out))][0].seed)
        data = cls.from_results(out, facts, seed)
        data.experiments = stored
        return data

    # ------------------------------------------------------------------ basics
    @property
    def scenarios(self) -> list[str]:
        return list(self.runs)

    @property
    def reference(self) -> str:
        return self.scenarios[0]

    def n_runs(self, scenario: str | None = None) -> int:
        return len(self.runs[scenario or self.reference])

    def scenario(self, name: str | None = None) -> Scenario:
        return self.runs[name or self.reference][0].scenario

    def years(self, scenario: str | None = None) -> tuple[int, int]:
        y = self.runs[scenario or self.reference][0].economy["year"]
        return int(y.min()), int(y.max())

    def sectors(self, scenario: str | None = None) -> list[str]:
        """Sector ids in the scenario's order."""
        return list(self.scenario(scenario).sector_ids)

    def _stack(self, scenario: str, table: str) -> pd.DataFrame:
        key = ("stack", scenario, table)
        if key not in self._cache:
            frames = []
            for i, r in enumerate(self.runs[scenario]):
                f = getattr(r, table).copy()
                f["run"] = i
                frames.append(f)
            self._cache[key] = pd.concat(frames, ignore_index=True)
        frame: pd.DataFrame = self._cache[key]
        return frame

    # ------------------------------------------------------------------ summaries
    def economy_bands(self, scenario: str, column: str, scale: float = 1.0) -> pd.DataFrame:
        """year, median, p5, p95 of an economy column (times ``scale``)."""
        key = ("eco", scenario, column, scale)
        if key not in self._cache:
            self._cache[key] = _bands(self._stack(scenario, "economy"), ["year"], column, scale)
        frame: pd.DataFrame = self._cache[key]
        return frame

    def sector_bands(
        self,
        scenario: str,
        column: str,
        sector: str | None = None,
        scale: float = 1.0,
        active_only: bool = False,
    ) -> pd.DataFrame:
        """year, sector, median, p5, p95 of a sector column (one sector if given).

        ``active_only`` leaves out sector-years without capacity (a sector that does not
        exist yet has no utilisation or price worth drawing)."""
        key = ("sec", scenario, column, scale, active_only)
        if key not in self._cache:
            f = self._stack(scenario, "sectors")
            if active_only:
                f = f[f["capacity"] > 0]
            self._cache[key] = _bands(f, ["year", "sector"], column, scale)
        out: pd.DataFrame = self._cache[key]
        if sector is not None:
            out = out[out["sector"] == sector].reset_index(drop=True)
        return out

    def trade_years_in_force(self, scenario: str) -> pd.DataFrame:
        """partner, sector, years: the median over runs of the number of years with a
        trade-defence measure (or scripted tariff) in force."""
        key = ("trade_years", scenario)
        if key not in self._cache:
            t = self._stack(scenario, "trade")
            per_run = t.groupby(["run", "partner", "sector"])["trade_measure_in_force"].sum()
            med = per_run.groupby(["partner", "sector"]).median().rename("years")
            self._cache[key] = med.reset_index()
        frame: pd.DataFrame = self._cache[key]
        return frame

    def world_share(self, scenario: str) -> pd.DataFrame:
        """year, sector, median, p5, p95 of China's share of world output (0-1), for
        sectors with output."""
        return self.sector_bands(scenario, "china_world_share", active_only=True)

    def regimes(self, scenario: str | None = None) -> pd.DataFrame:
        """year, regime (the most common over the runs), share (of runs in it), scripted
        (the regime was forced by a scripted event in most runs), and one column per
        regime with the share of runs in it."""
        name = scenario or self.reference
        key = ("regimes", name)
        if key not in self._cache:
            e = self._stack(name, "economy")
            counts = pd.crosstab(e["year"], e["regime"]).reindex(columns=list(REGIMES))
            counts = counts.fillna(0.0)
            shares = counts.div(counts.sum(axis=1), axis=0)
            modal = shares.idxmax(axis=1)
            scripted = e.groupby("year")["regime_scripted"].mean() > 0.5
            out = pd.DataFrame(
                {
                    "year": shares.index.astype(int),
                    "regime": modal.to_numpy(),
                    "share": shares.max(axis=1).to_numpy(),
                    "scripted": scripted.reindex(shares.index).to_numpy(),
                }
            )
            for r in REGIMES:
                out[r] = shares[r].to_numpy()
            self._cache[key] = out
        frame: pd.DataFrame = self._cache[key]
        return frame

    def regime_spells(self, scenario: str | None = None) -> list[dict[str, Any]]:
        """Consecutive years in the same (modal) regime: start, end (inclusive), regime,
        scripted, mean share of runs in that regime."""
        r = self.regimes(scenario)
        spells: list[dict[str, Any]] = []
        rows = zip(
            r["year"].astype(int), r["regime"].astype(str), r["scripted"], r["share"], strict=True
        )
        for year, regime, scripted, share in rows:
            last = spells[-1] if spells else None
            if last and last["regime"] == regime and last["scripted"] == bool(scripted):
                last["end"] = int(year)
                last["shares"].append(float(share))
            else:
                spells.append(
                    {
                        "start": int(year),
                        "end": int(year),
                        "regime": regime,
                        "scripted": bool(scripted),
                        "shares": [float(share)],
                    }
                )
        for s in spells:
            s["share"] = float(np.mean(s.pop("shares")))
        return spells

    def events(self, scenario: str | None = None) -> list[dict[str, Any]]:
        """The scenario's enabled scripted events inside the recorded years: name, kind,
        start, end, sectors, partner, regime, source; by start year."""
        name = scenario or self.reference
        y0, y1 = self.years(name)
        out = []
        for ev_name, ev in self.scenario(name).events.items():
            if not ev.enabled or ev.years[1] < y0 or ev.years[0] > y1:
                continue
            out.append(
                {
                    "name": ev_name,
                    "kind": ev.kind,
                    "start": int(ev.years[0]),
                    "end": int(ev.years[1]),
                    "sectors": list(ev.sectors),
                    "partner": ev.partner,
                    "regime": ev.regime,
                    "source": ev.source,
                }
            )
        return sorted(out, key=lambda e: (e["start"], e["name"]))

    def check(self, scenario: str | None = None) -> pd.DataFrame:
        """The facts table of :func:`overcap.evidence.check` on the scenario's ensemble."""
        name = scenario or self.reference
        key = ("check", name)
        if key not in self._cache:
            self._cache[key] = check(self.runs[name], self.facts)
        frame: pd.DataFrame = self._cache[key]
        return frame

    def sector_facts(self, indicator: str = "utilisation") -> list[Fact]:
        """Facts about one sector's (or the whole economy's, for aggregate indicators)
        value of ``indicator`` with a number to show: value, mean or sum statistics."""
        return [
            f
            for f in self.facts
            if f.indicator == indicator
            and not f.partner
            and f.kind in ("value", "mean")
            and f.target is not None
        ]
