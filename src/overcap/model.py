"""The public entry point: run a scenario and get tidy tables back."""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from overcap._kernels import describe as numpy_kernels
from overcap._version import __version__
from overcap.engine.banks import BankState
from overcap.engine.centre import CentreState
from overcap.engine.indicators import Recorder
from overcap.engine.inputs import Inputs, build_inputs
from overcap.engine.population import initial_state, trend_growth
from overcap.engine.record import Flows
from overcap.engine.state import SectorConst, State
from overcap.engine.terms import Context
from overcap.engine.trade import PartnerData, TradeState
from overcap.engine.year import step
from overcap.scenario import REGIMES, Scenario, load_scenario


@dataclass
class Result:
    """One run: tidy frames by year x sector, year x province, year, and year x partner x
    sector (trade), plus provenance."""

    scenario: Scenario
    seed: int
    sectors: pd.DataFrame
    provinces: pd.DataFrame
    economy: pd.DataFrame
    trade: pd.DataFrame = field(default_factory=pd.DataFrame)
    meta: dict[str, Any] = field(default_factory=dict)

    def save(self, directory: str | Path) -> Path:
        """Write sectors/provinces/economy as Parquet and run.json (scenario, parameters,
        seed, software version) into ``directory``, replacing what it held."""
        out = Path(directory)
        out.parent.mkdir(parents=True, exist_ok=True)
        # write into a fresh folder beside the target, then move it in place: a failure
        # part-way never leaves a half-written result where a good one was
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
        tmp.chmod(0o755)
        try:
            self.sectors.to_parquet(tmp / "sectors.parquet", index=False)
            self.provinces.to_parquet(tmp / "provinces.parquet", index=False)
            self.economy.to_parquet(tmp / "economy.parquet", index=False)
            self.trade.to_parquet(tmp / "trade.parquet", index=False)
            (tmp / "run.json").write_text(
                json.dumps(self.provenance(), indent=2, ensure_ascii=False), encoding="utf-8"
            )
            if out.exists():
                shutil.rmtree(out)
            tmp.rename(out)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return out

    def provenance(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "version": __version__,
            "parameters": self.scenario.to_dict(),
            **self.meta,
        }

    @classmethod
    def load(cls, directory: str | Path) -> Result:
        d = Path(directory)
        info = json.loads((d / "run.json").read_text(encoding="utf-8"))
        sc = Scenario.model_validate(info["parameters"])
        meta = {k: v for k, v in info.items() if k not in ("scenario", "seed", "parameters")}
        return cls(
            scenario=sc,
            seed=int(info["seed"]),
            sectors=pd.read_parquet(d / "sectors.parquet"),
            provinces=pd.read_parquet(d / "provinces.parquet"),
            economy=pd.read_parquet(d / "economy.parquet"),
            trade=pd.read_parquet(d / "trade.parquet"),
            meta=meta,
        )


def make_context(
    sc: Scenario, inp: Inputs, const: SectorConst, rec: Recorder, trend: Any, st: State
) -> Context:
    """The run's context, and the centre's, partners' and bank's state in ``st``."""
    partners = PartnerData.load(inp.sectors)
    rec.partners = partners.ids
    st.centre = CentreState(regime=REGIMES.index(sc.centre.initial_regime), years_in_regime=1)
    st.trade = TradeState.empty(len(partners.ids), len(inp.sectors), inp.presence_start)
    st.bank = BankState.empty(len(inp.sectors))
    return Context(
        sc=sc,
        inputs=inp,
        const=const,
        recorder=rec,
        record_from=sc.time.start_year,
        partners=partners,
        trend=trend,
    )


def simulate(
    sc: Scenario,
    seed: int | np.random.SeedSequence,
    on_year: Callable[[State], None] | None = None,
    on_records: Callable[[Flows], None] | None = None,
) -> tuple[Recorder, State]:
    """Run the engine; returns the recorder and the final state. ``on_year`` sees the
    state after each year, ``on_records`` the year's records (engine/record.py: Flows),
    one per phase."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng = np.random.default_rng(ss)
    inp = build_inputs(sc)
    const = SectorConst.from_scenario(sc)
    trend = trend_growth(sc, inp.years)
    st = initial_state(sc, inp, const, float(trend[0]), rng)
    rec = Recorder(inp.sectors, inp.provinces)
    ctx = make_context(sc, inp, const, rec, trend, st)
    for year in inp.years:
        st.year = int(year)
        flows = step(st, ctx, rng)
        if on_year is not None:
            on_year(st)
        if on_records is not None:
            on_records(flows)
    return rec, st


def run(
    scenario: str | Scenario = "baseline",
    seed: int | None = None,
    overrides: dict[str, Any] | list[str] | None = None,
    replicate: int | None = None,
    **kw_overrides: Any,
) -> Result:
    """Run one scenario with one seed.

    ``overrides`` (or keyword arguments with ``__`` for dots, e.g.
    ``investment__visibility=0.6``) change parameters; bad values raise
    :class:`overcap.ScenarioError`. ``replicate=i`` runs replicate i of an ensemble
    with seed ``seed``: its random stream is child i of ``SeedSequence(seed)`` (what
    ``SeedSequence(seed).spawn(n)[i]`` gives), independent of the other replicates and
    of how many there are.
    """
    ov: dict[str, Any] | list[str] | None = overrides
    if kw_overrides:
        if isinstance(ov, list):
            ov = ov + [f"{k.replace('__', '.')}={_toml(v)}" for k, v in kw_overrides.items()]
        else:
            ov = {**(ov or {}), **{k.replace("__", "."): v for k, v in kw_overrides.items()}}
    # a Scenario is validated when it is made (and frozen): run it as it is
    sc = scenario if isinstance(scenario, Scenario) and not ov else load_scenario(scenario, ov)
    s = sc.seed if seed is None else int(seed)
    t0 = time.perf_counter()
    stream: int | np.random.SeedSequence = s
    if replicate is not None:
        stream = np.random.SeedSequence(s, spawn_key=(int(replicate),))
    rec, _ = simulate(sc, stream)
    sec, prov, eco = rec.frames()
    trade_frame = rec.trade_frame()
    meta = {
        "replicate": replicate,
        "elapsed_seconds": round(time.perf_counter() - t0, 3),
        "python": platform.python_version(),
        "numpy": numpy_kernels(),
    }
    return Result(
        scenario=sc,
        seed=s,
        sectors=sec,
        provinces=prov,
        economy=eco,
        trade=trade_frame,
        meta=meta,
    )


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    return repr(v)
