"""A stored experiment, read back: its runs, tables, bands, indicators and results, through
pandas or DuckDB SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from overcap.model import Result
from overcap.scenario import Scenario, load_scenario
from overcap.store import TABLES, Store, StoreError, query
from overcap.summary import bands, indicator_columns, indicator_values


class Experiment:
    """A stored experiment, read through pandas (``runs``, ``table``, ``bands``,
    ``results``) or DuckDB SQL (``query``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.spec = store.spec()

    @property
    def name(self) -> str:
        return self.store.name

    @property
    def folder(self) -> Path:
        return self.store.folder

    def __repr__(self) -> str:
        return f"Experiment({self.name!r}, kind={self.spec['kind']!r}, folder={str(self.folder)!r})"

    def scenario(self, sample: int = 0) -> Scenario:
        """The full parameters a point ran with (from the catalog, so a scenario given as
        an object or a file that has changed since is still what ran)."""
        if not hasattr(self, "_scenarios"):
            t = self.store.read("SELECT scenario, parameters FROM scenarios")
            self._scenarios = {
                str(k): Scenario.model_validate(json.loads(str(v)))
                for k, v in zip(t["scenario"], t["parameters"], strict=True)
            }
        s = self.spec["samples"][sample]
        base = self._scenarios[s["scenario"]]
        return load_scenario(base, s["parameters"]) if s["parameters"] else base

    def runs(self) -> pd.DataFrame:
        """The catalog's runs: run, sample, replicate, scenario, parameters (JSON), seed,
        status, error, version, timings, worker, batch, session."""
        return self.store.read("SELECT * FROM runs ORDER BY run")

    def samples(self) -> pd.DataFrame:
        """One row per sample: sample, scenario, and one column per varied parameter."""
        rows = []
        for j, s in enumerate(self.spec["samples"]):
            rows.append({"sample": j, "scenario": s["scenario"], **s["parameters"]})
        return pd.DataFrame(rows)

    def table(
        self,
        name: str,
        runs: Sequence[int] | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """A results table of the ok runs with ``run``, ``sample`` and ``replicate``
        columns first."""
        frame = self.store.table(name, runs=runs, columns=columns)
        n = int(self.spec["runs"])
        frame.insert(1, "sample", (frame["run"] // n).astype("int64"))
        frame.insert(2, "replicate", (frame["run"] % n).astype("int64"))
        return frame

    def query(self, sql: str) -> pd.DataFrame:
        return query(sql, self.name, self.folder.parent)

    def indices(self) -> pd.DataFrame:
        """The sensitivity indices stored by ``overcap sensitivity``."""
        t = self.store.read_tables(["indices"])
        if "indices" not in t:
            raise StoreError(f"experiment {self.name!r} has no sensitivity indices")
        return t["indices"]

    def results(self, runs: Sequence[int] | None = None) -> list[Result]:
        """The ok runs as :class:`overcap.Result`, in run order."""
        cat = self.runs()
        cat = cat[cat["status"] == "ok"]
        if runs is not None:
            cat = cat[cat["run"].isin([int(r) for r in runs])]
        wanted = [int(r) for r in cat["run"].to_numpy()]
        tables = {t: self.store.table(t, runs=wanted) for t in TABLES}
        groups = {
            t: {int(g["run"].iloc[0]): g for _, g in f.groupby("run", sort=False)} if len(f) else {}
            for t, f in tables.items()
        }
        scenarios: dict[int, Scenario] = {}
        out = []
        row: dict[str, Any]
        for row in cat.to_dict("records"):  # type: ignore[assignment]
            j = int(row["sample"])
            if j not in scenarios:
                scenarios[j] = self.scenario(j)
            frames = {}
            for t in TABLES:
                g = groups[t].get(int(row["run"]))
                frames[t] = (
                    g.drop(columns=["run"]).reset_index(drop=True)
                    if g is not None
                    else pd.DataFrame()
                )
            out.append(
                Result(
                    scenario=scenarios[j],
                    seed=int(row["seed"]),
                    sectors=frames["sectors"],
                    provinces=frames["provinces"],
                    economy=frames["economy"],
                    trade=frames["trade"],
                    meta={
                        "replicate": int(row["replicate"]),
                        "elapsed_seconds": float(row["seconds"]),
                        "python": row["python"],
                        "numpy": row["numpy"],
                        "experiment": self.name,
                        "run": int(row["run"]),
                        "sample": j,
                    },
                )
            )
        return out

    def bands(
        self,
        table: str = "economy",
        columns: Sequence[str] | None = None,
        by: Sequence[str] | None = None,
        low: float = 5.0,
        high: float = 95.0,
    ) -> pd.DataFrame:
        """Median and ``low``-``high`` percentile band over the ok runs of each sample,
        per year (and sector, province or partner): one row per sample, key and column,
        with ``median``, ``p5``, ``p95`` (named after low and high) and ``runs``."""
        keys = list(by) if by is not None else _default_keys(table)
        frame = self.table(table, columns=None if columns is None else [*keys, *columns])
        value_cols = [
            c
            for c in (columns or frame.columns)
            if c not in ("run", "sample", "replicate", *keys)
            and pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c])
        ]
        out = bands(frame, ["sample", *keys], value_cols, low, high)
        labels = {j: s["scenario"] for j, s in enumerate(self.spec["samples"])}
        out.insert(1, "scenario", out["sample"].map(labels))
        return out

    def indicators(
        self, years: tuple[int, int] | None = None, names: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """One row per ok run (run, sample, replicate) with one column per indicator of
        :data:`overcap.summary.INDICATORS` (``names``: some of them) over the years
        (inclusive; default: all recorded)."""
        runs = self.runs()
        runs = runs[runs["status"] == "ok"][["run", "sample", "replicate"]].reset_index(drop=True)
        tables = {
            t: self.table(t, columns=["year", *cols])
            for t, cols in indicator_columns(names).items()
        }
        return indicator_values(runs, tables, years, names)


def _default_keys(table: str) -> list[str]:
    return {
        "economy": ["year"],
        "sectors": ["year", "sector"],
        "provinces": ["year", "province"],
        "trade": ["year", "partner", "sector"],
    }[table]


def open_experiment(name: str, results: str | Path | None = None) -> Experiment:
    """A stored experiment by name (under ``results``, default ./overcap-results)."""
    store = Store.at(name, results)
    if not store.exists():
        raise StoreError(store.missing_message())
    return Experiment(store)
