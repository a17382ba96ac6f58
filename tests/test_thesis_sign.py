"""The sign of the essay's thesis on the shipped baseline (issue 15): with the provinces'
subsidies switched off, total investment and the economy-wide zombie share over 2005-2025
are lower, in the median over 8 seeds (paired: seed i with and without subsidies)."""

from __future__ import annotations

import numpy as np

import overcap.model as m
from overcap.summary import thesis_totals

SEEDS = range(8)
YEARS = (2005, 2025)


def _totals(seed: int, off: bool) -> tuple[float, float]:
    res = m.run("baseline", seed=seed, overrides={"switches.subsidies": False} if off else None)
    return thesis_totals(res.sectors, res.economy, YEARS)


def test_subsidies_off_lower_investment_and_zombies_2005_2025() -> None:
    on = np.array([_totals(s, off=False) for s in SEEDS])
    off = np.array([_totals(s, off=True) for s in SEEDS])
    diff = off - on  # paired, seed by seed
    assert np.median(diff[:, 0]) < 0, f"investment off - on by seed: {diff[:, 0]}"
    assert np.median(diff[:, 1]) < 0, f"zombie share off - on by seed: {diff[:, 1]}"
