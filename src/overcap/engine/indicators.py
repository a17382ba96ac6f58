"""What is recorded each year: tidy rows by year x sector, year x province and year.

Column names follow the indicator vocabulary of data/README.md; extra columns
(flows used by the accounting identities) are documented in docs/ODD.md.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from overcap.engine.state import F8


def safe_div(a: F8, b: F8, fill: float = 0.0) -> F8:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    out = np.full(np.broadcast(a, b).shape, fill, dtype=float)
    np.divide(a, b, out=out, where=np.abs(b) > 0)
    return out


def misallocation_loss(actual_cost: F8, efficient_cost: F8, gdp: float) -> float:
    """Misallocation (percent of GDP): the variable cost of the output actually produced
    minus its cost if each sector's output came from its cheapest capacity first,
    summed over sectors, over GDP (after Hsieh and Klenow 2009; IMF WP/25/155)."""
    return float(100.0 * np.sum(actual_cost - efficient_cost) / gdp)


def price_index(sec: pd.DataFrame) -> pd.Series:
    """Price relative to the sector's first recorded year with output (= 100); a sector
    with no output in any recorded year is indexed to its first recorded price, so the
    index is never missing (issue 16; data/README.md)."""
    by_sector = sec["price"].groupby(sec["sector"])
    active = sec["price"].where(sec["output"] > 0)
    base = active.groupby(sec["sector"]).transform("first")
    base = base.fillna(by_sector.transform("first"))
    return 100.0 * sec["price"] / base.where(base > 0)


class Recorder:
    """Collects one dict of arrays per table and year; builds DataFrames at the end."""

    def __init__(self, sectors: list[str], provinces: list[str]) -> None:
        self.sectors = sectors
        self.provinces = provinces
        self._sec: dict[str, list[Any]] = defaultdict(list)
        self._prov: dict[str, list[Any]] = defaultdict(list)
        self._eco: dict[str, list[Any]] = defaultdict(list)
        self._years_sec: list[int] = []
        self._years_prov: list[int] = []
        self._trade: dict[str, list[Any]] = defaultdict(list)
        self._years_trade: list[int] = []
        self.partners: list[str] = []

    def sector_row(self, year: int, cols: dict[str, F8]) -> None:
        self._years_sec.append(year)
        for k, v in cols.items():
            self._sec[k].append(np.asarray(v, dtype=float))

    def province_row(self, year: int, cols: dict[str, np.ndarray]) -> None:
        self._years_prov.append(year)
        for k, v in cols.items():
            self._prov[k].append(np.asarray(v))

    def trade_row(self, year: int, cols: dict[str, np.ndarray]) -> None:
        """One (partner x sector) array per column."""
        self._years_trade.append(year)
        for k, v in cols.items():
            self._trade[k].append(np.asarray(v))

    def economy_row(self, year: int, cols: dict[str, Any]) -> None:
        self._eco["year"].append(year)
        for k, v in cols.items():
            self._eco[k].append(v)

    def trade_frame(self) -> pd.DataFrame:
        """Year x sector x partner: trade measures, duties, exports."""
        S, J = len(self.sectors), len(self.partners)
        n = len(self._years_trade)
        return pd.DataFrame(
            {
                "year": np.repeat(np.array(self._years_trade, dtype=np.int64), J * S),
                "partner": np.tile(np.repeat(np.array(self.partners, dtype=object), S), n),
                "sector": np.tile(np.array(self.sectors, dtype=object), n * J),
                **{k: np.concatenate([a.ravel() for a in v]) for k, v in self._trade.items()},
            }
        )

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        S, P = len(self.sectors), len(self.provinces)
        sec = pd.DataFrame(
            {
                "year": np.repeat(np.array(self._years_sec, dtype=np.int64), S),
                "sector": np.tile(np.array(self.sectors, dtype=object), len(self._years_sec)),
                **{k: np.concatenate(v) for k, v in self._sec.items()},
            }
        )
        prov = pd.DataFrame(
            {
                "year": np.repeat(np.array(self._years_prov, dtype=np.int64), P),
                "province": np.tile(np.array(self.provinces, dtype=object), len(self._years_prov)),
                **{k: np.concatenate(v) for k, v in self._prov.items()},
            }
        )
        eco = pd.DataFrame(dict(self._eco))
        if len(sec):
            sec["price_index"] = price_index(sec)
        return sec, prov, eco
