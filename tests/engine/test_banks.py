"""Unit tests of the state bank (engine/banks.py; docs/ODD.md 7.9.3-7.9.5), on a tiny
hand-built world and hand-written records."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

import overcap
from overcap.engine import banks
from overcap.engine.state import Firms
from tests.engine import tiny


def _scenario(**overrides: Any) -> overcap.Scenario:
    return overcap.load_scenario("baseline", overrides, calibrated=False)


def test_split_rescue_leaves_the_province_its_share() -> None:
    """W = [10, 0, 50]; phi = 0.2: the province pays [2, 0, 10], the bank [8, 0, 40];
    the parts add up to W. With the bank_rescues switch off, phi = 1."""
    w = np.array([10.0, 0.0, 50.0])
    fiscal, bank = banks.split_rescue(w, _scenario())
    np.testing.assert_allclose(fiscal, [2.0, 0.0, 10.0])
    np.testing.assert_allclose(bank, [8.0, 0.0, 40.0])
    np.testing.assert_allclose(fiscal + bank, w)
    fiscal, bank = banks.split_rescue(w, _scenario(**{"switches.bank_rescues": False}))
    np.testing.assert_allclose(fiscal, w)
    np.testing.assert_array_equal(bank, 0.0)


def _settle(
    npl: list[float], bad: list[float], liq: list[float], f: Firms, **over: Any
) -> banks.Banking:
    st, _ctx = tiny.world()
    st.firms = f
    st.bank.npl_stock = np.array(npl)
    yr = SimpleNamespace(S=2, sc=_scenario(**over))
    prd = SimpleNamespace(liquidation_revenue_s=np.array(liq))
    xf = SimpleNamespace(flows=SimpleNamespace(bad_loans=np.array(bad)))
    return banks.settle(st, yr, prd, xf)  # type: ignore[arg-type]


def _four_firms() -> Firms:
    """Sector 0: a rescued firm owing 100 that still fails to cover its interest (EBIT 1 <
    interest 5), a firm with cash (debt -50). Sector 1: a rescued firm owing 40 that covers
    its interest (EBIT 9 >= 5), and a dead firm owing 70."""
    f = Firms.empty(4)
    f.sector[:] = [0, 0, 1, 1]
    f.alive[:] = [True, True, True, False]
    f.debt[:] = [100.0, -50.0, 40.0, 70.0]
    f.ebit[:] = [1.0, 2.0, 9.0, 0.0]
    f.interest[:] = [5.0, 0.0, 5.0, 0.0]
    f.bailed_out[:] = [True, False, True, False]
    return f


def test_settle_hand_calculation() -> None:
    """N' = (1 - 0.5) (N + B - min(L, N + B)).
    Sector 0: N 100, B 40, L 10 -> recovered 10, gross 130, disposed 65, N' 65.
    Sector 1: N 0, B 20, L 50 -> recovered 20 (no more than is owed), N' 0.
    Loans: live firms' positive debt, [100, 40]; evergreened: rescued firms still on the
    concessional book after the year, [100, 0] (the sector-1 firm covers its interest and
    is repriced)."""
    f = _four_firms()
    b = _settle([100.0, 0.0], [40.0, 20.0], [10.0, 50.0], f)
    np.testing.assert_allclose(b.recovered_s, [10.0, 20.0])
    np.testing.assert_allclose(b.disposed_s, [65.0, 0.0])
    np.testing.assert_allclose(b.npl_stock_s, [65.0, 0.0])
    np.testing.assert_allclose(b.new_npl_s, [40.0, 20.0])
    np.testing.assert_allclose(b.loans_s, [100.0, 40.0])
    np.testing.assert_allclose(b.evergreened_s, [100.0, 0.0])
    np.testing.assert_allclose(b.repriced_s, [0.0, 1.0])
    np.testing.assert_array_equal(f.bailed_out, [True, False, False, False])


def test_without_disposals_bad_loans_accumulate() -> None:
    """delta = 0: N' = N + B - recoveries: [100 + 40 - 10, 0 + 20 - 20] = [130, 0]."""
    b = _settle(
        [100.0, 0.0], [40.0, 20.0], [10.0, 50.0], _four_firms(), **{"banks.npl_disposal_rate": 0}
    )
    np.testing.assert_allclose(b.npl_stock_s, [130.0, 0.0])
    np.testing.assert_array_equal(b.disposed_s, 0.0)


def test_the_npl_ratio_is_recorded_over_all_loans() -> None:
    """economy.npl_ratio = npl_stock / (npl_stock + loans), in [0, 1); the sectors' NPL
    stock and loans add up to the economy's; evergreened loans are part of the loans."""
    r = overcap.run(
        "baseline",
        seed=0,
        overrides={"time.end_year": 2002, "population.firms_start": 3000},
    )
    eco, sec = r.economy.set_index("year"), r.sectors.groupby("year")
    npl, loans = sec["npl_stock"].sum(), sec["loans"].sum()
    np.testing.assert_allclose(eco["npl_stock"], npl, rtol=1e-12)
    np.testing.assert_allclose(eco["npl_ratio"], npl / (npl + loans), rtol=1e-12)
    assert ((eco["npl_ratio"] >= 0) & (eco["npl_ratio"] < 1)).all()
    assert (sec["evergreened"].sum() <= loans + 1e-9).all()
    # the fiscal part of rescues is what the provinces record as bailouts
    np.testing.assert_allclose(
        r.provinces.groupby("year")["bailouts"].sum(), eco["bailout_fiscal"], rtol=1e-9
    )
