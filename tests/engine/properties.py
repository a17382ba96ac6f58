"""What every run must satisfy, whatever its valid parameters, and how to draw valid
parameters: from the schema's own ranges (:func:`overcap.scenario.parameter_ranges`),
never from a hand-written list. Shared by tests/engine/test_properties.py (Hypothesis)
and scripts/fuzz.py (a seeded numpy generator).

Known engine failures (issue 16) are PENDING: while a name is in :data:`PENDING`, its
check is relaxed as the comment says and the failure is reported by the regression
tests marked xfail(strict=True) in test_properties.py. The lead flips one by deleting
it from PENDING once the engine is fixed; the property then holds in full.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

import overcap
from overcap.scenario import parameter_ranges

REL = 1e-8

# fixed in the engine (issue 16): bincount_dtype (engine.state.sum_by), share_rounding
# (market.clear, accounts.sell), price_index_nan (indicators.price_index). A newly found
# failure is named here while it is pending, with its minimal case pinned xfail-strict.
PENDING: set[str] = set()

# the span and population a property test runs (short and small), and the fuzzer's
SHORT = {"years": (7, 11), "spinup": (0, 3), "firms": (50, 600)}
FUZZ = {"years": (8, 12), "spinup": (0, 5), "firms": (50, 3000)}

# parameters set by the span and population above, not drawn from their whole range
FIXED = ("time.start_year", "time.end_year", "time.spinup_years", "population.firms_start")


def draw_overrides(
    uniform: Callable[[float, float], float],
    integer: Callable[[int, int], int],
    size: dict[str, tuple[int, int]] = SHORT,
) -> dict[str, Any]:
    """One valid scenario's overrides: every scalar parameter of the schema drawn inside
    its documented range (``uniform(lo, hi)``, ``integer(lo, hi)`` inclusive; a switch is
    ``integer(0, 1)``), the start year inside its range with the run ``size['years']``
    long, and a small population."""
    out: dict[str, Any] = {}
    ranges = {path: (kind, lo, hi) for path, kind, lo, hi in parameter_ranges()}
    for path, (kind, lo, hi) in ranges.items():
        if path in FIXED:
            continue
        if kind is bool:
            out[path] = bool(integer(0, 1))
        elif kind is int:
            out[path] = integer(int(lo), int(hi))
        else:
            out[path] = uniform(float(lo), float(hi))
    years = integer(*size["years"])
    _, lo, hi = ranges["time.start_year"]
    start = integer(int(lo), int(hi) - years + 1)
    out["time.start_year"] = start
    out["time.end_year"] = start + years - 1
    out["time.spinup_years"] = integer(*size["spinup"])
    out["population.firms_start"] = integer(*size["firms"])
    return out


def numpy_overrides(rng: np.random.Generator, size: dict[str, tuple[int, int]] = FUZZ) -> dict:
    return draw_overrides(
        lambda lo, hi: float(rng.uniform(lo, hi)),
        lambda lo, hi: int(rng.integers(lo, hi + 1)),
        size,
    )


def is_pending_crash(exc: BaseException) -> bool:
    """The engine's known crash (PENDING 'bincount_dtype')."""
    return (
        "bincount_dtype" in PENDING
        and type(exc).__name__ == "UFuncTypeError"
        and "float64" in str(exc)
        and "int64" in str(exc)
    )


# --------------------------------------------------------------------------- the checks

SHARES = {
    "sectors": ("utilisation", "loss_making_share", "zombie_share", "china_world_share"),
    "economy": (
        "aggregate_utilisation",
        "zombie_share",
        "zombie_share_soe",
        "zombie_share_private",
    ),
    "provinces": ("zombie_share", "subsidy_intensity"),
    "trade": ("china_share",),
}
NON_NEGATIVE = {
    "sectors": ("capacity", "output", "sales", "domestic_sales", "exports", "inventory"),
    "trade": ("exports", "partner_output"),
}


def equity_sides(s: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The equity identity of a sectors frame (ODD, the record's identities): the change
    in equity over the year and what should make it, profit plus injections less
    removals and payouts."""
    lhs = s["equity"] - s["equity_start"]
    rhs = s["profit"] + s["equity_injections"] - s["equity_removed"] - s["payouts"]
    return lhs, rhs


def _close(a: Any, b: Any, scale: Any) -> np.ndarray:
    a, b, scale = (np.asarray(x, dtype=float) for x in (a, b, scale))
    return np.abs(a - b) <= REL * np.maximum(1.0, np.abs(scale))


def check(result: overcap.Result) -> list[str]:
    """Every property a result breaks, one line each (empty: all hold)."""
    broken: list[str] = []
    sc = result.scenario
    s, p, e, t = result.sectors, result.provinces, result.economy, result.trade
    tol = 1e-12 if "share_rounding" in PENDING else 0.0

    def fail(name: str, mask: Any, frame: pd.DataFrame) -> None:
        bad = np.asarray(mask, dtype=bool)
        if bad.any():
            row = frame.loc[bad].iloc[0]
            where = ", ".join(f"{k}={row[k]}" for k in ("year", "sector", "partner", "province")
                              if k in frame.columns)  # fmt: skip
            broken.append(f"{name}: {int(bad.sum())} rows, first at {where}")

    # finite everywhere (price_index of a sector with no output is NaN while pending)
    for tname, frame in (("sectors", s), ("provinces", p), ("economy", e), ("trade", t)):
        num = frame.select_dtypes(include=[np.number])
        if tname == "sectors" and "price_index_nan" in PENDING:
            num = num.drop(columns=["price_index"])
        fail(f"{tname}: not finite", ~np.isfinite(num.to_numpy(dtype=float)).all(axis=1), frame)
    # every year and unit recorded
    years = list(range(sc.time.start_year, sc.time.end_year + 1))
    if e["year"].tolist() != years:
        broken.append(f"economy: years {e['year'].tolist()} != {years}")
    if len(s) != len(years) * len(sc.sector_ids):
        broken.append(f"sectors: {len(s)} rows for {len(years)} years")
    # bounds
    for tname, cols in SHARES.items():
        frame = getattr(result, tname)
        for c in cols:
            v = frame[c].to_numpy(dtype=float)
            fail(f"{tname}.{c} outside [0, 1]", (v < -tol) | (v > 1 + tol), frame)
    for tname, cols in NON_NEGATIVE.items():
        frame = getattr(result, tname)
        for c in cols:
            fail(f"{tname}.{c} negative", frame[c].to_numpy(dtype=float) < -tol, frame)
    cap = s["capacity"].to_numpy()
    fail("output above capacity", s["output"] > cap * (1 + 1e-12) + 1e-12, s)
    # identities
    fail(
        "sales + inventory change != output",
        ~_close(s["sales"] + s["inventory"] - s["inventory_start"], s["output"], s["output"]),
        s,
    )
    fail(
        "goods balance: sales != domestic sales + exports",
        ~_close(s["domestic_sales"] + s["exports"], s["sales"], s["sales"]),
        s,
    )
    ordered = s.sort_values(["sector", "year"])
    prev = ordered.groupby("sector")["inventory"].shift(1)
    carried = prev.isna() | _close(prev.fillna(0), ordered["inventory_start"], prev.fillna(0))
    fail("inventory not carried over", ~carried.to_numpy(), ordered)
    firm_sales = s["sales"] - s["liquidation_sales"]
    fail("revenue != price x firm sales", ~_close(s["revenue"], s["price"] * firm_sales,
                                                  s["revenue"]), s)  # fmt: skip
    lhs, rhs = equity_sides(s)
    fail("equity change != profit + injections - removals - payouts",
         ~_close(lhs, rhs, s["equity"].abs() + s["profit"].abs()), s)  # fmt: skip
    by_year = s.groupby("year")[["profit", "investment"]].sum()
    eco = e.set_index("year")
    for c in ("profit", "investment"):
        ok = _close(by_year[c].reindex(eco.index), eco[c], eco[c])
        fail(f"economy {c} != sum over sectors", ~ok, e)
    # trade: partners' exports add up to the sector's exports
    by_sector = t.groupby(["year", "sector"])["exports"].sum()
    rec = s.set_index(["year", "sector"])["exports"]
    ok = _close(by_sector.reindex(rec.index, fill_value=0.0), rec, rec)
    fail("trade exports do not add up to sector exports", ~ok, s)
    # growth ranks: a permutation of 1..provinces every year
    n_prov = p["province"].nunique()
    ranks = p.groupby("year")["growth_rank"].apply(lambda r: sorted(int(x) for x in r))
    bad_years = [y for y, r in ranks.items() if r != list(range(1, n_prov + 1))]
    if bad_years:
        broken.append(f"growth ranks not a permutation in {bad_years[:3]}")
    return broken
