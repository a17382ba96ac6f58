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


def test_without_bank_rescues_the_provinces_pay_every_rescue() -> None:
    """switches.bank_rescues off: the provinces pay the whole of each rescue, so no rescue
    is a bad loan and every rescue is provincial spending; on, the bank writes down
    (1 - phi) of each rescue and the provinces pay phi of it."""
    short = {"time.end_year": 2005, "population.firms_start": 3000}
    on = overcap.run("baseline", seed=0, overrides=short)
    off = overcap.run("baseline", seed=0, overrides={**short, "switches.bank_rescues": False})
    assert off.sectors["bailout_bank"].sum() == 0.0
    assert off.sectors["bailout_fiscal"].sum() > 0.0
    phi = on.scenario.banks.fiscal_share_of_rescue
    fiscal, bank = on.sectors["bailout_fiscal"].sum(), on.sectors["bailout_bank"].sum()
    assert fiscal > 0.0
    assert fiscal / (fiscal + bank) == pytest.approx(phi)


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


def test_output_targets_lower_the_clearing_price_in_a_glut() -> None:
    """Must-run output (state-owned and protected firms at their target utilisation
    whatever the price) pushes the clearing price down when capacity exceeds demand;
    without it, firms whose cost is above the price stop producing."""
    from overcap.engine import market

    n = 100
    sector = np.zeros(n, dtype=np.intp)
    mc = np.linspace(0.7, 1.2, n)  # marginal cost, in normal prices
    cap = np.full(n, 1.0)
    soe = np.arange(n) % 2 == 0
    one = np.ones(1)

    def clear(must_run: bool) -> market.Clearing:
        must = np.where(soe & must_run, 0.75 * cap, 0.0)
        return market.clear(
            market.Offer(
                sector_i=sector,
                mc_i=mc,
                must_i=must,
                capacity_i=cap,
                fixed_s=np.zeros(1),
                normal_util=0.85,
                overtime_premium=0.3,
            ),
            market.DemandCurve(
                base=one * 60.0,
                p_norm=one,
                elasticity=one * 0.3,
                exports=market.ExportTerms(
                    market=np.zeros((1, 1)),
                    foreign_cost=one,
                    ref_ratio=one,
                    duty=np.zeros((1, 1)),
                    share0=one * 0.0,
                    sigma=3.0,
                    cap=0.8,
                    p_norm=one,
                    freight=np.zeros(1),
                ),
            ),
            market.PriceRule(lo=0.5, hi=2.5, floor_s=np.zeros(1), evasion_s=np.zeros(1)),
        )

    with_targets, without = clear(True), clear(False)
    assert with_targets.price[0] < without.price[0]
    # without targets nobody produces above the price; with them, some do
    assert not (without.output[mc > without.price[0] * 1.0001] > 1e-9).any()
    assert (with_targets.output[mc > with_targets.price[0] * 1.0001] > 0).any()


def test_no_output_targets_switch_removes_must_run(base_runs: list[overcap.Result]) -> None:
    off = overcap.run("baseline", seed=0, overrides={"switches.soe_output_targets": False})
    assert not off.sectors.equals(base_runs[0].sectors)
