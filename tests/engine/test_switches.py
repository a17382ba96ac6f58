"""Each switch of the mechanism changes the outcome it should."""

from __future__ import annotations

import numpy as np
import pytest

import overcap

SEEDS = (0, 1, 2, 3)


def _runs(**overrides: object) -> list[overcap.Result]:
    ov = {k.replace("__", "."): v for k, v in overrides.items()}
    return [overcap.run("baseline", seed=s, overrides=ov) for s in SEEDS]


@pytest.fixture(scope="module")
def base_runs() -> list[overcap.Result]:
    return _runs()


def test_no_subsidies_lowers_total_investment(base_runs: list[overcap.Result]) -> None:
    off = _runs(switches__subsidies=False)
    with_sub = np.array([r.sectors["investment"].sum() for r in base_runs])
    without = np.array([r.sectors["investment"].sum() for r in off])
    assert with_sub.mean() > without.mean()
    # and no subsidy is paid at all
    assert all(r.provinces["subsidies"].sum() == 0 for r in off)


def test_no_bailouts_lowers_zombie_share(base_runs: list[overcap.Result]) -> None:
    off = _runs(switches__bailouts=False)
    for on_run, off_run in zip(base_runs, off, strict=True):
        assert off_run.economy["zombie_share"].mean() < on_run.economy["zombie_share"].mean()
        assert off_run.sectors["bailouts"].sum() == 0


def test_no_learning_keeps_costs_at_their_start(base_runs: list[overcap.Result]) -> None:
    off = overcap.run("baseline", seed=0, overrides={"switches.learning": False})
    on = base_runs[0]

    def solar(r: overcap.Result) -> np.ndarray:
        return r.sectors.query("sector == 'solar_pv'")["normal_price"].to_numpy()

    assert np.ptp(solar(off)) == 0.0
    assert solar(on)[-1] < 0.5 * solar(on)[0]


def test_no_exports(base_runs: list[overcap.Result]) -> None:
    off = overcap.run("baseline", seed=0, overrides={"switches.exports": False})
    assert off.sectors["exports"].sum() == 0.0
    assert base_runs[0].sectors["exports"].sum() > 0.0


def test_no_entry(base_runs: list[overcap.Result]) -> None:
    off = overcap.run("baseline", seed=0, overrides={"switches.entry": False})
    assert off.sectors["entries"].sum() == 0.0
    assert base_runs[0].sectors["entries"].sum() > 0.0


def test_no_output_targets_raises_prices_in_gluts(base_runs: list[overcap.Result]) -> None:
    """Without must-run supply, firms cut output when the price is below their cost, so
    sector margins are higher on average (the price war needs output targets)."""
    off = _runs(switches__soe_output_targets=False)
    m_on = np.mean([r.sectors["margin"].mean() for r in base_runs])
    m_off = np.mean([r.sectors["margin"].mean() for r in off])
    assert m_off > m_on
