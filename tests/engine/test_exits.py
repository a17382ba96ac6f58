"""Unit tests of exit, bailouts and zombies (engine/exits.py, engine/banks.py; docs/ODD.md
sections 7.9 and 7.13), on firms built by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import overcap
from overcap.engine import banks
from overcap.engine import exits as exits_mod
from overcap.engine.state import Firms
from overcap.scenario import Scenario

SC = overcap.load_scenario("baseline", calibrated=False)
R_M = SC.credit.market_rate  # 0.06; the zombie rate test is r < r_m - 0.01


def _scenario(**overrides: Any) -> Scenario:
    return overcap.load_scenario("baseline", overrides, calibrated=False)


def _a(*x: float) -> np.ndarray:
    return np.array(x, dtype=float)


def _firms(**cols: Any) -> Firms:
    n = len(next(iter(cols.values())))
    f = Firms.empty(n)
    f.alive[:] = True
    for name, values in cols.items():
        getattr(f, name)[:] = values
    return f


# ---------------------------------------------------------------- 7.9.1 the zombie test


def _three_firms() -> tuple[Firms, np.ndarray]:
    """Three operating state-owned firms (a forbearing lender) with assets A = capital 100
    (no construction, no cash), EBIT 1 below interest 2 (weak), D = 80 > 0.5 A = 50 and D
    rose from 70 (borrowing):

    0. zombie: r = 0.03 < 0.05 (cheap), already one year on the run -> run 2, flagged.
    1. zombie by evergreen lending alone: r = 0.08 (no cheap credit), run 1 -> 2, flagged.
    2. borderline: the test holds this year, but its first year (run 0 -> 1 < 2).
    """
    f = _firms(
        rate=[0.03, 0.08, 0.03],
        ebit=[1.0, 1.0, 1.0],
        interest=[2.0, 2.0, 2.0],
        capital=[100.0, 100.0, 100.0],
        debt=[80.0, 80.0, 80.0],
        capacity=[10.0, 10.0, 10.0],
        zombie_run=[1, 1, 0],
        soe=[True, True, True],
    )
    return f, np.array([70.0, 70.0, 70.0])


def test_zombie_test_three_firms() -> None:
    """Zombie iff the FN-CHK test holds for zombie_years = 2 years running (Fukuda and
    Nakamura 2011; Tan, Huang and Woo 2016): flags [True, True, False]; run counters
    [2, 2, 1]; the low-ICR counter counts EBIT < interest for all three."""
    f, debt_before = _three_firms()
    flag = exits_mod.zombie_test(f, debt_before, R_M, SC, 1.0)
    np.testing.assert_array_equal(flag, [True, True, False])
    np.testing.assert_array_equal(f.zombie_run, [2, 2, 1])
    np.testing.assert_array_equal(f.low_icr_years, [1, 1, 1])
    # a second year in the same condition makes the borderline firm a zombie too
    flag = exits_mod.zombie_test(f, debt_before, R_M, SC, 1.0)
    np.testing.assert_array_equal(flag, [True, True, True])
    np.testing.assert_array_equal(f.zombie_run, [3, 3, 2])


_ZOMBIE = dict(
    rate=0.03, ebit=1.0, interest=2.0, capital=100.0, debt=80.0, capacity=10.0,
    zombie_run=1, alive=True, soe=True,
)  # fmt: skip


def _one(change: dict[str, Any]) -> Firms:
    cols: dict[str, Any] = {**_ZOMBIE, **change}
    return _firms(**{k: [v] for k, v in cols.items()})


@pytest.mark.parametrize(
    ("change", "debt_before"),
    [
        ({"ebit": 2.0}, 70.0),  # part 2: EBIT = interest is not below it
        ({"rate": 0.05, "debt": 50.0}, 40.0),  # neither cheap (r = r_m - m) nor D > 0.5 A
        ({"rate": 0.08}, 80.0),  # not cheap, and debt did not rise (not evergreened)
        ({"capacity": 0.0}, 70.0),  # only operating firms can be zombies
        ({"alive": False}, 70.0),
    ],
)
def test_zombie_test_each_part_is_necessary(change: dict[str, Any], debt_before: float) -> None:
    """With the run counter at 1, a firm meeting every part becomes a zombie (checked
    first); at each boundary (strict inequalities), without weak earnings, or with neither
    cheap credit nor evergreen lending, the run resets to 0.
    Borderline values: r = 0.05 vs r_m - m = 0.06 - 0.01; D = 50 = 0.5 * A, A = 100."""
    assert exits_mod.zombie_test(_one({}), np.array([70.0]), R_M, SC, 1.0)[0]
    f = _one(change)
    assert not exits_mod.zombie_test(f, np.array([debt_before]), R_M, SC, 1.0)[0]
    assert f.zombie_run[0] == 0


@pytest.mark.parametrize(
    ("change", "debt_before"),
    [
        ({"rate": 0.05}, 70.0),  # not cheap (r = r_m - m): evergreen lending suffices
        ({"debt": 50.0}, 40.0),  # D = 0.5 A, not levered: cheap credit suffices
        ({}, 80.0),  # debt did not rise: cheap credit suffices
        ({"soe": False}, 70.0),  # a private firm: cheap credit needs no forbearing lender
    ],
)
def test_zombie_test_cheap_credit_or_evergreen_lending(
    change: dict[str, Any], debt_before: float
) -> None:
    """FN-CHK: a weak firm is a zombie if it has cheap credit (Caballero et al. 2008) or
    is evergreened, levered above half its assets while its debt still rises (Fukuda and
    Nakamura 2011): either alone suffices."""
    f = _one(change)
    assert exits_mod.zombie_test(f, np.array([debt_before]), R_M, SC, 1.0)[0]
    assert f.zombie_run[0] == 2


@pytest.mark.parametrize(
    ("owner", "soft_budget", "zombie"),
    [
        ({"soe": True}, 1.0, True),
        ({"soe": False, "protected": True}, 1.0, True),
        ({"soe": False, "bailed_out": True}, 1.0, True),
        ({"soe": False}, 1.0, False),  # a private firm's lender does not forbear
        ({"soe": True}, 0.0, False),  # no soft budget left: no lender forbears
    ],
)
def test_evergreen_lending_needs_a_forbearing_lender(
    owner: dict[str, Any], soft_budget: float, zombie: bool
) -> None:
    """Without cheap credit (r = 0.08), a weak, levered firm whose debt rises is
    evergreened only where a lender forbears: a state-owned, protected or rescued firm
    while soft budgets have any strength. A private firm's rising debt funds losses until
    its equity runs out and it exits (ODD 7.9.1)."""
    f = _one({"rate": 0.08, **owner})
    assert exits_mod.zombie_test(f, np.array([70.0]), R_M, SC, soft_budget)[0] == zombie


def test_zombie_leverage_counts_construction_and_cash_as_assets() -> None:
    """Without cheap credit (r = 0.08) the (state-owned) firm is a zombie only if
    evergreened, so its leverage decides. A = capital + building_cost + max(-D, 0).
    Capital 60 and construction 60: A = 120, D = 80 > 0.5 A = 60, leveraged (a zombie at
    run 2). Construction 110: A = 170, D = 80 < 0.5 A = 85, not leveraged enough.
    Cash counts: assets(1, 2, D = -3) = 6; so does inventory at its book value (ODD 7.7):
    assets(1, 2, D = -3, B = 4) = 10. Construction 60 with inventory worth 50: A = 170,
    not leveraged enough either."""
    f = _firms(
        rate=[0.08, 0.08], ebit=[1.0, 1.0], interest=[2.0, 2.0], capital=[60.0, 60.0],
        building_cost=[60.0, 110.0], debt=[80.0, 80.0], capacity=[10.0, 10.0],
        zombie_run=[1, 1], soe=[True, True],
    )  # fmt: skip
    flag = exits_mod.zombie_test(f, np.array([70.0, 70.0]), R_M, SC, 1.0)
    np.testing.assert_array_equal(flag, [True, False])
    np.testing.assert_allclose(exits_mod.assets(_a(1.0), _a(2.0), _a(-3.0)), [6.0])
    np.testing.assert_allclose(exits_mod.assets(_a(1.0), _a(2.0), _a(-3.0), _a(4.0)), [10.0])
    g = _firms(
        rate=[0.08], ebit=[1.0], interest=[2.0], capital=[60.0], building_cost=[60.0],
        inventory_value=[50.0], debt=[80.0], capacity=[10.0], zombie_run=[1], soe=[True],
    )  # fmt: skip
    np.testing.assert_array_equal(exits_mod.zombie_test(g, np.array([70.0]), R_M, SC, 1.0), [False])


# ---------------------------------------------------------------- 7.9.2 insolvency


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _logistic(x: float) -> float:
    return float(1 / (1 + np.exp(-x)))


def test_bailout_probability_is_the_logistic_of_the_documented_index() -> None:
    """pi = logistic(b0 + b_soe 1[SOE] + b_size s + b_prot 1[prot] + b_r), with
    b0 = logit(p_private = 0.2) = -1.386, b_soe = logit(p_soe = 0.6) - b0 = 1.792,
    b_size = 20, b_prot = 1.5:
    private, unprotected, s = 0: exactly p_private = 0.2;
    SOE, s = 0: exactly p_soe = 0.6;
    SOE, s = 0.05: logistic(logit(0.6) + 1) = 0.8030;
    protected private, s = 0, stability 0.5: logistic(logit(0.2) + 1.5 + 0.5) = 0.6488."""
    p = exits_mod.bailout_probability(
        np.array([False, True, True]), np.array([False, False, False]), _a(0.0, 0.0, 0.05), SC
    )
    np.testing.assert_allclose(p, [0.2, 0.6, _logistic(_logit(0.6) + 1.0)])
    assert p[2] == pytest.approx(0.80305, abs=1e-5)
    q = exits_mod.bailout_probability(np.array([False]), np.array([True]), _a(0.0), SC, 0.5)
    assert q[0] == pytest.approx(_logistic(_logit(0.2) + 2.0))
    assert q[0] == pytest.approx(0.64878, abs=1e-5)


def test_rescue_probabilities_set_the_logit_terms() -> None:
    """Other rescue probabilities move the intercept and the ownership term: p_private =
    0.05, p_soe = 0.5 -> a small private firm 0.05, a small SOE 0.5."""
    sc = _scenario(**{"exit.rescue_private": 0.05, "exit.rescue_soe": 0.5})
    p = exits_mod.bailout_probability(
        np.array([False, True]), np.array([False, False]), _a(0.0, 0.0), sc
    )
    np.testing.assert_allclose(p, [0.05, 0.5])


def _insolvent_world() -> tuple[Firms, tuple[np.ndarray, np.ndarray]]:
    """Two sectors, two provinces. Firm 0 (sector 1, province 1, private) is insolvent:
    equity -10, debt 100, capital 60, construction in progress 40 (an extension under
    way), capacity 10, inventory 3.
    Firm 1 (sector 0, province 0) is solvent and must be left alone."""
    f = _firms(
        sector=[1, 0],
        province=[1, 0],
        equity=[-10.0, 50.0],
        debt=[100.0, 20.0],
        capital=[60.0, 70.0],
        building_cost=[40.0, 0.0],
        capacity=[10.0, 10.0],
        inventory=[3.0, 4.0],
    )
    # province capacity values K p^n and the normal prices of the two sectors
    return f, (np.array([1000.0, 1000.0]), np.array([100.0, 100.0]))


def test_without_bailouts_an_insolvent_firm_exits() -> None:
    """switches.bailouts off: the insolvent firm exits. Its capacity (10) is scrapped,
    creditors recover salvage 0.3 * (capital 60 + construction 40) = 30, so the bad loan is
    100 - 30 = 70; its equity -10 leaves the books and its inventory 3 goes to the
    liquidation stock. No bailout is paid."""
    f, value = _insolvent_world()
    xf = exits_mod.resolve_insolvency(
        f, value, 2, 2, _scenario(**{"switches.bailouts": False}), np.random.default_rng(0)
    )
    np.testing.assert_array_equal(xf.exits, [0.0, 1.0])
    np.testing.assert_array_equal(xf.bailouts, [0.0, 0.0])
    np.testing.assert_allclose(xf.capacity_scrapped, [0.0, 10.0])
    np.testing.assert_allclose(xf.bad_loans, [0.0, 70.0])
    np.testing.assert_allclose(xf.equity_removed, [0.0, -10.0])
    np.testing.assert_allclose(xf.liquidated_inventory, [0.0, 3.0])
    np.testing.assert_array_equal(xf.bailout_cost, 0.0)
    np.testing.assert_array_equal(xf.province_bailout, 0.0)
    np.testing.assert_array_equal(xf.dead_rows, [0])
    np.testing.assert_array_equal(f.alive, [False, True])
    np.testing.assert_array_equal(f.inventory, [0.0, 4.0])
    assert not f.bailed_out.any()
    # the solvent firm is untouched
    assert (f.equity[1], f.debt[1]) == (50.0, 20.0)


def test_salvage_above_debt_leaves_no_bad_loan() -> None:
    """Bad loan = max(0, D - 0.3 (capital + construction)): debt 10 against salvage
    0.3 * (60 + 40) = 30 -> no bad loan."""
    f = _firms(equity=[-1.0], debt=[10.0], capital=[60.0], building_cost=[40.0])
    f.capacity[:] = 5.0
    xf = exits_mod.resolve_insolvency(
        f,
        (_a(1.0), _a(1.0)),
        1,
        1,
        _scenario(**{"switches.bailouts": False}),
        np.random.default_rng(0),
    )
    np.testing.assert_array_equal(xf.exits, [1.0])
    np.testing.assert_array_equal(xf.bad_loans, [0.0])


def test_with_bailout_probability_near_one_the_firm_is_bailed_out_and_marked() -> None:
    """p_private = 0.999: pi = logistic(6.9 + 20 s) > 0.999. Debt is removed until equity
    is 0.1 of assets: A = capital 60 + construction 40 = 100, target 10, rescue
    W = 10 - (-10) = 20 -> debt 80, equity 10. The province pays phi W = 0.2 * 20 = 4
    (its spending and the fiscal cost); the bank writes down the other 16 (a bad loan).
    W is the equity injected. The firm lives on, flagged bailed out."""
    f, value = _insolvent_world()
    sc = _scenario(**{"exit.rescue_private": 0.999})
    xf = exits_mod.resolve_insolvency(f, value, 2, 2, sc, np.random.default_rng(0))
    np.testing.assert_array_equal(xf.bailouts, [0.0, 1.0])
    np.testing.assert_array_equal(xf.exits, [0.0, 0.0])
    np.testing.assert_allclose(xf.bailout_cost, [0.0, 20.0])
    np.testing.assert_allclose(xf.rescue_fiscal, [0.0, 4.0])
    np.testing.assert_allclose(xf.rescue_bank, [0.0, 16.0])
    np.testing.assert_allclose(xf.bad_loans, [0.0, 16.0])
    np.testing.assert_allclose(xf.equity_injected, [0.0, 20.0])
    np.testing.assert_allclose(xf.province_bailout, [0.0, 4.0])
    np.testing.assert_array_equal(xf.capacity_scrapped, 0.0)
    assert len(xf.dead_rows) == 0
    np.testing.assert_allclose(f.debt, [80.0, 20.0])
    np.testing.assert_allclose(f.equity, [10.0, 50.0])
    np.testing.assert_array_equal(f.bailed_out, [True, False])
    np.testing.assert_array_equal(f.alive, [True, True])
    assert f.capacity[0] == 10.0


def test_without_bank_rescues_the_province_pays_the_whole_rescue() -> None:
    """switches.bank_rescues off: phi = 1, so the rescue W = 20 is all provincial spending
    and fiscal cost, and no bad loan."""
    f, value = _insolvent_world()
    sc = _scenario(**{"exit.rescue_private": 0.999, "switches.bank_rescues": False})
    xf = exits_mod.resolve_insolvency(f, value, 2, 2, sc, np.random.default_rng(0))
    np.testing.assert_allclose(xf.rescue_fiscal, [0.0, 20.0])
    np.testing.assert_allclose(xf.province_bailout, [0.0, 20.0])
    np.testing.assert_array_equal(xf.bad_loans, 0.0)


def test_a_lasting_zombie_is_rescued_less_and_less() -> None:
    """A rescued firm flagged a zombie for y = run - Z + 1 years (Z = 2) beyond K = 3 has
    its rescue probability multiplied by 0.5^(y - K): run 4 (y = 3) -> 1, run 5 -> 0.5,
    run 7 -> 0.125; a firm never rescued -> 1 whatever its run; with the switch off -> 1.
    With p_private = 0.999 and fade 0, a rescued zombie of run 5 exits while a never-rescued
    one of run 5 is rescued."""
    run = np.array([4, 5, 7, 7], dtype=np.int16)
    rescued = np.array([True, True, True, False])
    np.testing.assert_allclose(banks.rescue_fade(run, rescued, SC), [1.0, 0.5, 0.125, 1.0])
    off = _scenario(**{"switches.bank_rescues": False})
    np.testing.assert_array_equal(banks.rescue_fade(run, rescued, off), 1.0)
    f = _firms(equity=[-1.0, -1.0], debt=[10.0, 10.0], capital=[20.0, 20.0])
    f.capacity[:] = 1.0
    f.zombie_run[:] = 5
    f.bailed_out[:] = [True, False]
    sc = _scenario(**{"exit.rescue_private": 0.999, "banks.evergreen_fade": 0.0})
    xf = exits_mod.resolve_insolvency(f, (_a(1e12), _a(1.0)), 1, 1, sc, np.random.default_rng(0))
    np.testing.assert_array_equal(f.alive, [False, True])
    np.testing.assert_array_equal(xf.exits, [1.0])
    np.testing.assert_array_equal(xf.bailouts, [1.0])


def test_a_zombie_that_covers_its_interest_is_repriced() -> None:
    """Rescued firms: firm 0 covers its interest (EBIT 3 >= interest 2) and leaves the
    concessional book; firm 1 (EBIT 1 < 2) stays; firm 2 covers it but is dead."""
    f = _firms(ebit=[3.0, 1.0, 3.0], interest=[2.0, 2.0, 2.0])
    f.bailed_out[:] = True
    f.alive[2] = False
    rows = banks.end_evergreening(f)
    np.testing.assert_array_equal(rows, [0])
    np.testing.assert_array_equal(f.bailed_out, [False, True, True])


def test_bailout_probability_near_zero_means_exit() -> None:
    """p_private = 0.001, private, unprotected, local share s = 10 * 100 / 1000 = 1 with
    b_size = 0: pi = 0.001, so with this seed the firm exits."""
    f, value = _insolvent_world()
    sc = _scenario(**{"exit.rescue_private": 0.001, "exit.bailout_size": 0.0})
    xf = exits_mod.resolve_insolvency(f, value, 2, 2, sc, np.random.default_rng(0))
    np.testing.assert_array_equal(xf.exits, [0.0, 1.0])
    np.testing.assert_array_equal(f.alive, [False, True])


def test_bailout_share_follows_the_probability() -> None:
    """1000 identical insolvent private firms, each with local share 0 (province value
    huge): pi = p_private = 0.2; the number bailed out is Binomial(1000, 0.2), within
    5 sd (12.6) of 200. Bailed-out and exiting firms partition the insolvent."""
    n = 1000
    f = _firms(equity=np.full(n, -1.0), debt=np.full(n, 10.0), capital=np.full(n, 20.0))
    f.capacity[:] = 1.0
    xf = exits_mod.resolve_insolvency(f, (_a(1e12), _a(1.0)), 1, 1, SC, np.random.default_rng(42))
    p = 0.2
    assert abs(xf.bailouts[0] - n * p) < 5 * np.sqrt(n * p * (1 - p))
    assert xf.bailouts[0] + xf.exits[0] == n
    assert int(f.bailed_out.sum()) == xf.bailouts[0]
    assert int((~f.alive).sum()) == xf.exits[0]


def test_a_shell_closes_without_bailout_whatever_its_equity() -> None:
    """A firm with no capacity, nothing under construction and no project (a campaign
    retired it all) closes, even with positive equity and pi ~ 1. A firm building its
    first plant (capacity 0, building > 0) with positive equity is left alone."""
    f = _firms(equity=[5.0, 5.0], debt=[0.0, 30.0], capital=[0.0, 0.0])
    f.building[1] = 20.0
    f.building_cost[1] = 35.0
    f.complete_year[1] = 2012
    f.soe[:] = True
    sc = _scenario(**{"exit.rescue_soe": 0.999})
    xf = exits_mod.resolve_insolvency(f, (_a(1.0), _a(1.0)), 1, 1, sc, np.random.default_rng(0))
    np.testing.assert_array_equal(f.alive, [False, True])
    np.testing.assert_array_equal(xf.bailouts, [0.0])
    np.testing.assert_array_equal(xf.exits, [1.0])
    np.testing.assert_allclose(xf.equity_removed, [5.0])
    assert not f.bailed_out.any()


# ---------------------------------------------------------------- asset sales at exit


def _sale_world() -> Firms:
    """Sector 0: firm 0 exits (capacity 10, capital 100, cost 1.5, vintage -1, vintage
    cost 1.2, debt 200); firms 1 and 2 survive with capacity 30 and 10 (cost 1, vintage 0,
    vintage cost 1), equity 50 and 20; firm 3 survives with negative equity (cannot pay).
    Sector 1: firm 4 exits (capacity 8), and no firm of that sector survives."""
    return _firms(
        sector=[0, 0, 0, 0, 1],
        capacity=[10.0, 30.0, 10.0, 20.0, 8.0],
        capital=[100.0, 300.0, 100.0, 200.0, 80.0],
        debt=[200.0, 250.0, 80.0, 260.0, 120.0],
        equity=[-100.0, 50.0, 20.0, -60.0, -40.0],
        cost_eff=[1.5, 1.0, 1.0, 1.0, 1.0],
        vintage=[-1.0, 0.0, 0.0, 0.0, 0.0],
        vintage_cost=[1.2, 1.0, 1.0, 1.0, 1.0],
    )


def test_asset_sales_move_capacity_to_survivors_by_capacity_at_the_salvage_price() -> None:
    """a = 0.5 of firm 0's 10 units (5) go to firms 1 and 2 in proportion 30:10 (3.75 and
    1.25); they pay the salvage price 0.3 x 0.5 x capital 100 = 15 (11.25 and 3.75) on
    credit. Firm 3 (negative equity) and firm 0 (insolvent) buy nothing; sector 1 has no
    buyer and scraps. Each buyer's cost, vintage and vintage cost are capacity-weighted."""
    f = _sale_world()
    f.alive[[0, 4]] = False
    sold = exits_mod.sell_plants(f, np.array([0, 4]), np.array([0, 3, 4]), 0.5, 0.3, 2)
    np.testing.assert_allclose(sold, [5.0, 0.0])
    np.testing.assert_allclose(f.capacity[1:4], [33.75, 11.25, 20.0])
    np.testing.assert_allclose(f.capital[1:4], [311.25, 103.75, 200.0])
    np.testing.assert_allclose(f.debt[1:4], [261.25, 83.75, 260.0])
    np.testing.assert_allclose(f.equity[1:4], [50.0, 20.0, -60.0])  # equity unchanged
    np.testing.assert_allclose(f.cost_eff[1], (30 * 1.0 + 3.75 * 1.5) / 33.75)
    np.testing.assert_allclose(f.cost_eff[2], (10 * 1.0 + 1.25 * 1.5) / 11.25)
    np.testing.assert_allclose(f.vintage[1], 3.75 * -1.0 / 33.75)
    np.testing.assert_allclose(f.vintage_cost[2], (10 * 1.0 + 1.25 * 1.2) / 11.25)
    # sector capacity: the survivors gained exactly what was sold
    assert f.capacity[1:3].sum() == pytest.approx(40.0 + 5.0)


def test_without_asset_sales_nothing_changes_hands() -> None:
    f = _sale_world()
    before = {k: v.copy() for k, v in f.arrays().items()}
    f.alive[[0, 4]] = False
    sold = exits_mod.sell_plants(f, np.array([0, 4]), np.array([0, 3, 4]), 0.0, 0.3, 2)
    np.testing.assert_array_equal(sold, 0.0)
    for k in ("capacity", "capital", "debt", "cost_eff", "vintage"):
        np.testing.assert_array_equal(getattr(f, k), before[k])


def test_an_exit_with_asset_sales_scraps_only_the_unsold_part() -> None:
    """resolve_insolvency with bailouts off and a = 0.4: the insolvent firm's capacity 10
    splits into 4 sold to the solvent firm of its sector and 6 scrapped; the bad loan is
    unchanged (creditors recover the salvage value either way)."""
    f, value = _insolvent_world()
    f.sector[:] = 1  # both firms in sector 1
    sc = _scenario(**{"switches.bailouts": False, "exit.asset_sale_share": 0.4})
    cap1 = f.capacity[1]
    xf = exits_mod.resolve_insolvency(f, value, 2, 2, sc, np.random.default_rng(0))
    np.testing.assert_allclose(xf.capacity_sold, [0.0, 4.0])
    np.testing.assert_allclose(xf.capacity_scrapped, [0.0, 6.0])
    np.testing.assert_allclose(xf.bad_loans, [0.0, 70.0])
    assert f.capacity[1] == pytest.approx(cap1 + 4.0)
    assert f.debt[1] == pytest.approx(20.0 + 0.3 * 0.4 * 60.0)  # salvage on capital 60


def test_the_zombie_share_by_ownership_splits_the_economy_wide_one() -> None:
    """economy.zombie_share_soe and zombie_share_private come from the counts of
    zombie_share: the economy-wide share is a weighted mean of the two, so it lies between
    them every year; in the baseline's 2005-13 state-owned firms are zombies more often
    than private ones (the record: about three times, docs/ODD.md 7.9.2)."""
    eco = overcap.run("baseline", seed=0).economy.set_index("year")
    lo = np.minimum(eco["zombie_share_soe"], eco["zombie_share_private"])
    hi = np.maximum(eco["zombie_share_soe"], eco["zombie_share_private"])
    assert ((eco["zombie_share"] >= lo - 1e-12) & (eco["zombie_share"] <= hi + 1e-12)).all()
    assert (eco["zombie_share_soe"] != eco["zombie_share_private"]).any()
    w = eco.loc[2005:2013]
    assert w["zombie_share_soe"].mean() > w["zombie_share_private"].mean()
