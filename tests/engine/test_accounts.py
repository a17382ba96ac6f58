"""Unit tests of the firms' books (engine/accounts.py; docs/ODD.md sections 7.7 and 7.8)
on three firms built by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import overcap
from overcap.engine import accounts
from overcap.engine.state import Firms, SectorConst

SC = overcap.load_scenario("baseline", calibrated=False)


def _firms(**cols: Any) -> Firms:
    n = len(next(iter(cols.values())))
    f = Firms.empty(n)
    f.alive[:] = True
    for name, values in cols.items():
        getattr(f, name)[:] = values
    return f


def _a(*x: float) -> np.ndarray:
    return np.array(x, dtype=float)


# ---------------------------------------------------------------- sales (7.6, accounts.sell)


def test_sell_hand_calculation() -> None:
    """sold = share_s (q + inventory offered), inv' = inv + q - sold, R = p_s sold.
    Sectors [0, 0, 1], sold shares (0.8, 0.5), prices (10, 20):
    firm 0: 0.8 (100 + 20) = 96, inventory 30 + 100 - 96 = 34, revenue 960;
    firm 1: 0.8 (50 + 0) = 40, inventory 0 + 50 - 40 = 10, revenue 400;
    firm 2: 0.5 (40 + 10) = 25, inventory 10 + 40 - 25 = 25, revenue 500."""
    f = _firms(sector=[0, 0, 1], inventory=[30.0, 0.0, 10.0])
    output = _a(100.0, 50.0, 40.0)
    accounts.sell(f, output, _a(20.0, 0.0, 10.0), _a(0.8, 0.5), _a(10.0, 20.0))
    np.testing.assert_allclose(f.sales, [96.0, 40.0, 25.0])
    np.testing.assert_allclose(f.inventory, [34.0, 10.0, 25.0])
    np.testing.assert_allclose(f.revenue, [960.0, 400.0, 500.0])
    np.testing.assert_array_equal(f.output, output)


# ---------------------------------------------------------------- the books (7.7)


def _three_firms() -> Firms:
    """A: an operating firm working overtime, in debt (sector 0, life 20).
    B: a loss-making firm holding cash (sector 1, life 10).
    C: an entrant building its first plant, in debt (sector 1)."""
    return _firms(
        sector=[0, 1, 1],
        capacity=[100.0, 50.0, 0.0],
        building=[0.0, 0.0, 50.0],
        building_cost=[0.0, 0.0, 200.0],
        complete_year=[-1, -1, 2012],
        output=[95.0, 20.0, 0.0],
        revenue=[95.0 * 80.0, 20.0 * 35.0, 0.0],
        capital=[1000.0, 400.0, 0.0],
        debt=[400.0, -100.0, 100.0],
        equity=[300.0, 500.0, 60.0],
        rate=[0.05, 0.04, 0.06],
    )


def _book(f: Firms, extra: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    life = _a(20.0, 10.0)
    return accounts.book(
        f,
        vc=_a(50.0, 30.0, 30.0),
        op_sub_unit=_a(2.0, 0.0, 0.0),
        om_unit=_a(5.0, 4.0, 4.0),
        life=life,
        retire_rate=1.0 / life,
        extra=extra,
        overtime_from=np.maximum(0.85 * f.capacity, 0.0),
        overtime_premium=0.3,
    )


def test_book_three_firms_hand_calculation() -> None:
    """pi = R - c [q + p (q - q^n)^+] - om K - dep - r D^+ + s_op q, dep = capital / L;
    equity += pi; debt -= pi + dep - cap; capital -= dep; K *= 1 - 1/L.

    A: R = 95 * 80 = 7600; q^n = 0.85 * 100 = 85, overtime 10: vcost = 50 * 95 +
       0.3 * 50 * 10 = 4900; fixed 5 * 100 = 500; dep 1000 / 20 = 50; s_op 2 * 95 = 190;
       EBIT = 7600 - 4900 - 500 - 50 + 190 = 2340; interest 0.05 * 400 = 20;
       profit 2320; equity 300 + 2320 = 2620; debt 400 - (2320 + 50) = -1970;
       capital 950; capacity 100 * 0.95 = 95.
    B: R = 700; q = 20 < q^n = 42.5, no overtime: vcost 600; fixed 200; dep 40; no
       interest on cash (D = -100); EBIT = profit = -140; equity 360;
       debt -100 - (-140 + 40) = 0; capital 360; capacity 50 * 0.9 = 45.
    C: no capacity, building: interest 0.06 * 100 = 6 is capitalised (IAS 23):
       construction 200 + 6 = 206, EBIT 0, profit 0, debt 100 + 6 = 106, equity 60."""
    f = _three_firms()
    vcost, fixed, dep, op_sub = _book(f)
    np.testing.assert_allclose(vcost, [4900.0, 600.0, 0.0])
    np.testing.assert_allclose(fixed, [500.0, 200.0, 0.0])
    np.testing.assert_allclose(dep, [50.0, 40.0, 0.0])
    np.testing.assert_allclose(op_sub, [190.0, 0.0, 0.0])
    np.testing.assert_allclose(f.interest, [20.0, 0.0, 6.0])
    np.testing.assert_allclose(f.ebit, [2340.0, -140.0, 0.0])
    np.testing.assert_allclose(f.profit, [2320.0, -140.0, 0.0])
    np.testing.assert_allclose(f.equity, [2620.0, 360.0, 60.0])
    np.testing.assert_allclose(f.debt, [-1970.0, 0.0, 106.0], atol=1e-9)
    np.testing.assert_allclose(f.capital, [950.0, 360.0, 0.0])
    np.testing.assert_allclose(f.building_cost, [0.0, 0.0, 206.0])
    np.testing.assert_allclose(f.capacity, [95.0, 45.0, 0.0])
    np.testing.assert_array_equal(f.age, [1, 1, 1])


def test_book_without_overtime_premium_charges_plain_variable_cost() -> None:
    """p = 0 (or no normal level given): vcost = c q, so A's EBIT rises by the premium
    0.3 * 50 * 10 = 150 to 2490."""
    f = _three_firms()
    life = _a(20.0, 10.0)
    vcost, *_ = accounts.book(f, _a(50.0, 30.0, 30.0), _a(2.0, 0.0, 0.0), _a(5.0, 4.0, 4.0),
                              life, 1.0 / life)  # fmt: skip
    np.testing.assert_allclose(vcost, [4750.0, 600.0, 0.0])
    assert f.ebit[0] == pytest.approx(2490.0)


def test_book_extraordinary_item_enters_profit_and_equity_not_debt_or_ebit() -> None:
    """x_i (campaign compensation minus the book value written off) is settled in cash
    already: profit = EBIT - interest + x and equity += profit, but debt moves by the
    cash flow pi - x + dep only. A with x = 10: profit 2330, equity 2630, debt -1970;
    B with x = -30: profit -170, equity 330, debt 0; EBIT unchanged."""
    f = _three_firms()
    _book(f, extra=_a(10.0, -30.0, 0.0))
    np.testing.assert_allclose(f.ebit, [2340.0, -140.0, 0.0])
    np.testing.assert_allclose(f.profit, [2330.0, -170.0, 0.0])
    np.testing.assert_allclose(f.equity, [2630.0, 330.0, 60.0])
    np.testing.assert_allclose(f.debt, [-1970.0, 0.0, 106.0], atol=1e-9)


def test_book_double_entry_identities_on_a_random_world() -> None:
    """For every firm: d equity = profit; d debt = -(profit - x + dep - cap);
    d construction = cap, cap = interest if K = 0 and building > 0, else 0;
    d capital = -dep; profit = EBIT - (interest - cap) + x."""
    rng = np.random.default_rng(9)
    n = 60
    f = _firms(
        sector=rng.integers(0, 2, n),
        capacity=rng.uniform(0.0, 100.0, n) * (rng.random(n) > 0.3),
        building=rng.uniform(0.0, 30.0, n) * (rng.random(n) > 0.5),
        building_cost=rng.uniform(0.0, 90.0, n),
        capital=rng.uniform(0.0, 500.0, n),
        debt=rng.uniform(-100.0, 400.0, n),
        equity=rng.uniform(-50.0, 300.0, n),
        rate=rng.uniform(0.01, 0.1, n),
    )
    f.output[:] = f.capacity * rng.uniform(0.5, 1.0, n)
    f.revenue[:] = f.output * rng.uniform(40.0, 90.0, n)
    extra = rng.normal(0.0, 5.0, n)
    before = {k: getattr(f, k).copy() for k in ("equity", "debt", "building_cost", "capital")}
    life = _a(20.0, 10.0)
    _, _, dep, _ = accounts.book(
        f, np.full(n, 50.0), np.full(n, 1.0), np.full(n, 4.0), life, 1.0 / life, extra,
        overtime_from=0.85 * f.capacity, overtime_premium=0.3,
    )  # fmt: skip
    cap = np.where((f.capacity <= 0) & (f.building > 0), f.interest, 0.0)
    assert cap.any() and (cap == 0).any()
    np.testing.assert_allclose(f.interest, f.rate * np.maximum(before["debt"], 0.0))
    np.testing.assert_allclose(f.equity - before["equity"], f.profit, atol=1e-9)
    np.testing.assert_allclose(f.debt - before["debt"], -(f.profit - extra + dep - cap), atol=1e-9)
    np.testing.assert_allclose(f.building_cost - before["building_cost"], cap, atol=1e-12)
    np.testing.assert_allclose(f.capital - before["capital"], -dep, atol=1e-9)
    np.testing.assert_allclose(f.profit, f.ebit - (f.interest - cap) + extra, atol=1e-9)


# ---------------------------------------------------------------- learning (7.8)


def _stock_firm(**cols: Any) -> Firms:
    """One firm with no capacity, capital, debt or O&M, so profit is revenue less the
    cost of goods sold and any write-down."""
    return _firms(sector=[0], equity=[0.0], rate=[0.0], **cols)


def _book_stock(f: Firms, price: float, vc: float = 5.0) -> None:
    accounts.book(
        f, _a(vc), _a(0.0), _a(0.0), _a(10.0), _a(0.1), nrv=_a(price)
    )  # fmt: skip


def test_unsold_output_is_carried_at_cost_not_expensed() -> None:
    """IAS 2 (ODD 7.7): 10 units made at c = 5, 6 sold at p = 8, 4 kept.
    Cost of goods sold 6 x 5 = 30; the 4 kept are an asset of 4 x 5 = 20 (p = 8 > 5, no
    write-down); profit 48 - 30 = 18. Cash: 48 received, 50 paid, so net debt rises by 2
    (= -(18 + 0 dep) + 20 of inventory)."""
    f = _stock_firm(output=[10.0], sales=[6.0], inventory=[4.0], revenue=[48.0])
    _book_stock(f, price=8.0)
    np.testing.assert_allclose(f.profit, [18.0])
    np.testing.assert_allclose(f.inventory_value, [20.0])
    np.testing.assert_allclose(f.debt, [2.0])
    np.testing.assert_allclose(f.equity, [18.0])


def test_inventory_is_written_down_to_the_price() -> None:
    """The same year at p = 3 < c = 5: the 4 kept are worth 4 x 3 = 12, so 8 is written
    down. Profit 18 - 30 - 8 = -20, equity -20; net debt rises by 50 - 18 = 32."""
    f = _stock_firm(output=[10.0], sales=[6.0], inventory=[4.0], revenue=[18.0])
    _book_stock(f, price=3.0)
    np.testing.assert_allclose(f.inventory_value, [12.0])
    np.testing.assert_allclose(f.profit, [-20.0])
    np.testing.assert_allclose(f.debt, [32.0])


def test_stock_sold_later_is_expensed_at_its_weighted_average_cost() -> None:
    """Opening stock 4 units at book value 12 (3 a unit) plus 6 made at c = 5 (30): the
    pool of 10 costs 42, 4.2 a unit. 8 sold at p = 6: COGS 33.6, 2 kept at 8.4 (below
    NRV 12). Profit 48 - 33.6 = 14.4; net debt falls by 48 - 30 = 18 (cash in less cash
    paid), i.e. by profit 14.4 plus the fall of the book value 12 - 8.4 = 3.6."""
    f = _stock_firm(
        output=[6.0], sales=[8.0], inventory=[2.0], inventory_value=[12.0], revenue=[48.0]
    )
    _book_stock(f, price=6.0)
    np.testing.assert_allclose(f.inventory_value, [8.4])
    np.testing.assert_allclose(f.profit, [14.4])
    np.testing.assert_allclose(f.debt, [-18.0])


def test_pay_out_takes_a_share_of_profit_in_cash() -> None:
    """d_i = delta max(pi_i, 0), delta = 0.3: profits 10 and 0 and a loss of 4 pay 3, 0,
    0; equity falls and net debt rises by the payout, so equity - (capital - debt) is
    unchanged (the books still balance)."""
    f = _firms(
        profit=_a(10.0, 0.0, -4.0),
        equity=_a(50.0, 20.0, 5.0),
        debt=_a(-5.0, 10.0, 30.0),
        capital=_a(45.0, 30.0, 35.0),
    )
    gap = f.equity - (f.capital - f.debt)
    paid = accounts.pay_out(f, 0.3)
    np.testing.assert_allclose(paid, [3.0, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(f.equity, [47.0, 20.0, 5.0], rtol=1e-12)
    np.testing.assert_allclose(f.debt, [-2.0, 10.0, 30.0], rtol=1e-12)
    np.testing.assert_allclose(f.equity - (f.capital - f.debt), gap, atol=1e-12)


def test_payout_leaves_firms_levered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Session-8 diagnosis: without a payout the median firm's net debt is a large
    negative share of its assets (cash piles up); paying out raises the median net
    leverage of operating firms over the last ten years."""
    from overcap.engine import exits

    seen: list[float] = []
    orig = exits.zombie_test

    def spy(f, debt_before, market_rate, sc, soft_budget):  # type: ignore[no-untyped-def]
        a = exits.assets(f.capital, f.building_cost, f.debt, f.inventory_value)
        op = f.alive & (f.capacity > 0) & (a > 0)
        seen.append(float(np.median(f.debt[op] / a[op])))
        return orig(f, debt_before, market_rate, sc, soft_budget)

    monkeypatch.setattr(exits, "zombie_test", spy)

    def median_leverage(ratio: float) -> float:
        seen.clear()
        overcap.run("baseline", seed=0, overrides={"credit.payout_ratio": ratio})
        return float(np.median(seen[-10:]))

    assert median_leverage(0.6) > median_leverage(0.0) + 0.1


def test_learning_factor_wrights_law() -> None:
    """L = (X / X^a)^b, b = log2(1 - lr): with lr = 0.2, L = 1 at the anchor, and each
    doubling of cumulative output multiplies the cost factor by 0.8:
    X = 2 X^a -> 0.8, 4 X^a -> 0.64, X^a / 2 -> 1.25."""
    b = np.log2(1.0 - 0.2)
    x_a = 500.0
    lam = accounts.learning_factor(_a(500.0, 1000.0, 2000.0, 250.0), np.full(4, x_a), b)
    np.testing.assert_allclose(lam, [1.0, 0.8, 0.64, 1.25], rtol=1e-12)


def test_learning_rate_of_every_shipped_sector() -> None:
    """SectorConst.learning_exp is log2(1 - learning_rate_s) for each sector, so doubling
    X multiplies each sector's cost by its (1 - learning_rate_s); with the learning switch
    off the exponent is 0 and the factor stays 1."""
    k = SectorConst.from_scenario(SC)
    lr = np.array([SC.sectors[s].learning_rate for s in SC.sector_ids])
    anchor = np.full(len(lr), 123.0)
    ratio = accounts.learning_factor(2 * anchor, anchor, k.learning_exp) / (
        accounts.learning_factor(anchor, anchor, k.learning_exp)
    )
    np.testing.assert_allclose(ratio, 1.0 - lr, rtol=1e-12)
    off = SectorConst.from_scenario(
        overcap.load_scenario("baseline", {"switches.learning": False}, calibrated=False)
    )
    np.testing.assert_array_equal(accounts.learning_factor(2 * anchor, anchor, off.learning_exp), 1)
