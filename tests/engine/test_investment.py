"""Unit tests of the investment wave (engine/investment.py; docs/ODD.md section 7.5).

Each test builds a tiny world by hand (a few sectors, a few firms) and checks one
equation of the wave against a hand calculation stated next to it.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import numpy as np
import pytest

import overcap
from overcap.engine import demand, entry, investment, terms
from overcap.engine.state import Firms, SectorConst
from overcap.scenario import Scenario

SC = overcap.load_scenario("baseline", calibrated=False)


def _scenario(**overrides: Any) -> Scenario:
    return overcap.load_scenario("baseline", overrides, calibrated=False)


def _a(*x: float) -> np.ndarray:
    return np.array(x, dtype=float)


# ---------------------------------------------------------------- 7.5.3 expectations


def test_consensus_growth_is_adaptive_and_clipped() -> None:
    """g = mu g_prev + (1 - mu) ln(D_{t-1} / D_{t-2}), clipped to [-c, c]; where either
    demand is not positive the observation is g_prev itself (so g = g_prev)."""
    g = investment.consensus_growth(
        demand=_a(110.0, 100.0, 0.0, 1e6, 1.0),
        demand_prev=_a(100.0, 100.0, 50.0, 1.0, 1e6),
        g_prev=_a(0.02, -0.01, 0.03, 0.0, 0.0),
        memory=0.5,
        clip=1.0,
    )
    expected = [
        0.5 * 0.02 + 0.5 * math.log(1.1),  # 0.05766
        0.5 * -0.01 + 0.5 * 0.0,  # flat demand: memory decays the old signal
        0.03,  # no demand: the signal is kept
        1.0,  # 0.5 ln(1e6) = 6.9, clipped at +1
        -1.0,  # clipped at -1
    ]
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_consensus_growth_memory_one_ignores_the_observation() -> None:
    """mu = 1: g = g_prev whatever demand did; mu = 0: g = ln(D / D_prev)."""
    d, d0, g0 = _a(150.0), _a(100.0), _a(0.07)
    assert investment.consensus_growth(d, d0, g0, 1.0, 1.0)[0] == pytest.approx(0.07)
    assert investment.consensus_growth(d, d0, g0, 0.0, 1.0)[0] == pytest.approx(math.log(1.5))


def test_visible_capacity_survivors_plus_visible_share_of_the_pipeline() -> None:
    """V = K (1 - 1/L)^lag + v U: K = 100, L = 20, lag = 2, U = 50, v = 0.4:
    100 * 0.95^2 + 0.4 * 50 = 90.25 + 20 = 110.25."""
    v = investment.visible_capacity(_a(100.0), _a(50.0), 0.4, _a(20.0), _a(2.0))
    assert v[0] == pytest.approx(110.25, rel=1e-12)
    # v = 0: the pipeline is invisible; v = 1: all of it is seen
    assert investment.visible_capacity(_a(100.0), _a(50.0), 0.0, _a(20.0), _a(2.0))[0] == (
        pytest.approx(90.25)
    )
    assert investment.visible_capacity(_a(100.0), _a(50.0), 1.0, _a(20.0), _a(2.0))[0] == (
        pytest.approx(140.25)
    )


def test_expected_utilisation_is_demand_over_visible_capacity_capped_at_one() -> None:
    """u^e = min(1, D^e / V), and 1 when V = 0."""
    u = investment.expected_utilisation(_a(80.0, 120.0, 5.0, 0.0), _a(100.0, 100.0, 0.0, 100.0))
    np.testing.assert_allclose(u, [0.8, 1.0, 1.0, 0.0])


def test_perceived_gap_is_the_shortfall_at_normal_utilisation_per_unit_visible() -> None:
    """G = max(0, D^e / u_n - V) / V, 0 when V = 0.
    D^e = 102, u_n = 0.85, V = 100: 102 / 0.85 = 120, G = 20 / 100 = 0.2.
    D^e = 85: exactly at normal utilisation, G = 0. D^e = 50: surplus, G = 0 (not negative).
    """
    g = investment.perceived_gap(_a(102.0, 85.0, 50.0, 30.0), _a(100.0, 100.0, 100.0, 0.0), 0.85)
    np.testing.assert_allclose(g, [0.2, 0.0, 0.0, 0.0], atol=1e-12)


def test_partial_visibility_makes_every_investor_see_a_larger_gap() -> None:
    """The heart of the wave (Lin, Wu and Xing 2010): with capacity K = 100 in place
    (L = 20, lag 1: 95 survive) and U = 30 under construction, demand D^e = 102 at
    u_n = 0.85 needs 120. Seeing all of the pipeline (v = 1), V = 125 > 120: no gap.
    Seeing 40% of it (v = 0.4), V = 95 + 12 = 107 and G = (120 - 107) / 107 = 0.1215."""
    k, u, life, lag = _a(100.0), _a(30.0), _a(20.0), _a(1.0)
    full = investment.visible_capacity(k, u, 1.0, life, lag)
    part = investment.visible_capacity(k, u, 0.4, life, lag)
    assert investment.perceived_gap(_a(102.0), full, 0.85)[0] == 0.0
    assert investment.perceived_gap(_a(102.0), part, 0.85)[0] == pytest.approx(13.0 / 107.0)


def test_expected_price_moves_with_expected_utilisation() -> None:
    """p^e = p^n clip((p_{t-1}/p^n_{t-1}) (u^e / u_{t-1})^eta, lo, hi).
    p^n = 100, relative price 1, u^e = 0.9 after 0.8, eta = 1.5: 100 * 1.125^1.5 = 119.324.
    Relative price 0.3 at unchanged utilisation: clipped up to lo = 0.5 -> 50.
    Relative price 3.0: clipped down to hi = 2.5 -> 250.
    Unchanged utilisation, relative price 0.9: 90 (the normal price times last year's
    relative price)."""
    p = investment.expected_price(
        p_norm=_a(100.0, 100.0, 100.0, 200.0),
        price_rel_prev=_a(1.0, 0.3, 3.0, 0.9),
        u_e=_a(0.9, 0.8, 0.8, 0.7),
        u_prev=_a(0.8, 0.8, 0.8, 0.7),
        eta=1.5,
        lo=0.5,
        hi=2.5,
        glut_prev=np.zeros(4, dtype=bool),
        u_n=0.85,
    )
    np.testing.assert_allclose(p, [100.0 * 1.125**1.5, 50.0, 250.0, 180.0], rtol=1e-12)
    assert p[0] == pytest.approx(119.3243, abs=1e-4)


def test_after_a_glut_the_expected_price_rises_only_above_normal_utilisation() -> None:
    """ODD 7.5.3: after a year at the distress price (glut_prev) the base is
    max(u_{t-1}, u_n). u_n = 0.8, eta = 2, lo = 0.6, last price 0.6 (the bound):
    utilisation 0.22 -> 0.30 is still a glut: (0.30 / 0.8)^2 0.6 < lo -> 0.6 (the ratio
    form gave 0.6 (0.30 / 0.22)^2 = 1.116); 0.5 -> 0.9 lifts it by (0.9 / 0.8)^2 = 1.2656;
    a sector not in a glut keeps the ratio form: 0.6 (0.30 / 0.22)^2."""
    kw = dict(p_norm=_a(1.0, 1.0, 1.0), price_rel_prev=_a(0.6, 0.6, 0.6), eta=2.0, lo=0.6, hi=2.5)
    u_e, u_prev = _a(0.30, 0.9, 0.30), _a(0.22, 0.5, 0.22)
    p = investment.expected_price(
        u_e=u_e, u_prev=u_prev, glut_prev=np.array([True, True, False]), u_n=0.8, **kw
    )
    np.testing.assert_allclose(p, [0.6, 0.6 * 1.125**2, 0.6 * (0.30 / 0.22) ** 2], rtol=1e-12)
    # with no glut last year every sector takes the ratio form
    q = investment.expected_price(
        u_e=u_e, u_prev=u_prev, glut_prev=np.zeros(3, dtype=bool), u_n=0.8, **kw
    )
    np.testing.assert_allclose(q[0], 0.6 * (0.30 / 0.22) ** 2, rtol=1e-12)


# ---------------------------------------------------------------- 7.5.4 the return ratio


def test_return_ratio_hand_calculation() -> None:
    """q = u^e (p^e - K) / [k (1 - s_k) (r + rho + 1/L)], K = c - s_op + om / u^e.

    u^e = 0.8, p^e = 100, c = 50, s_op = 5, om = 8: K = 50 - 5 + 8 / 0.8 = 55, the margin
    per unit of capacity 0.8 * 45 = 36 a year. Net capex k (1 - s_k) = 200, r = 0.06,
    rho = 0.04, L = 20: the annual cost of capital (interest, premium and straight-line
    depreciation) is 200 * (0.06 + 0.04 + 0.05) = 30 a year. q = 36 / 30 = 1.2."""
    q = investment.return_ratio(
        u_e=_a(0.8), p_e=_a(100.0), vc=_a(50.0), op_sub=_a(5.0), om=_a(8.0),
        capex_net=_a(200.0), rate=_a(0.06), prem=0.04, life=_a(20.0),
    )  # fmt: skip
    assert q[0] == pytest.approx(1.2, rel=1e-12)


def test_return_ratio_is_one_when_the_margin_just_pays_the_capital_cost() -> None:
    """q = 1 exactly when the annual margin u^e (p^e - K) equals the annualised capital
    cost k (1 - s_k) (r + rho + 1/L): here 0.85 (p - 40) = 100 (0.05 + 0 + 0.1) = 15,
    p = 40 + 15 / 0.85. A capex subsidy that halves the net capex doubles q."""
    p = 40.0 + 15.0 / 0.85
    args = dict(u_e=_a(0.85), p_e=_a(p), vc=_a(40.0), op_sub=_a(0.0), om=_a(0.0))
    q = investment.return_ratio(**args, capex_net=_a(100.0), rate=_a(0.05), prem=0.0, life=_a(10.0))
    q_half = investment.return_ratio(
        **args, capex_net=_a(50.0), rate=_a(0.05), prem=0.0, life=_a(10.0)
    )
    assert q[0] == pytest.approx(1.0, rel=1e-12)
    assert q_half[0] == pytest.approx(2.0, rel=1e-12)


def test_return_ratio_is_the_present_value_of_margins_per_unit_of_capex() -> None:
    """The PV reading of q: a unit of capacity retires geometrically at rate 1/L (ODD 7.7),
    so its margin stream is m e^(-t/L); discounted at r + rho it is worth
    PV = int_0^inf m e^(-(r + rho + 1/L) t) dt = m / (r + rho + 1/L), and q = PV / k(1 - s_k).
    Checked by numerical integration (trapezoid, dt = 0.001 over 300 years) with
    m = 36, r = 0.06, rho = 0.04, L = 20: PV = 36 / 0.15 = 240, q = 240 / 200 = 1.2."""
    m, r, rho, life, k = 36.0, 0.06, 0.04, 20.0, 200.0
    t = np.linspace(0.0, 300.0, 300_001)
    flow = m * np.exp(-(r + rho + 1.0 / life) * t)
    pv = float(((flow[1:] + flow[:-1]) * 0.5 * np.diff(t)).sum())
    q = investment.return_ratio(
        u_e=_a(0.8), p_e=_a(100.0), vc=_a(50.0), op_sub=_a(5.0), om=_a(8.0),
        capex_net=_a(k), rate=_a(r), prem=rho, life=_a(life),
    )  # fmt: skip
    assert pv == pytest.approx(240.0, rel=1e-6)
    assert q[0] == pytest.approx(pv / k, rel=1e-6)


def test_return_ratio_soft_budget_put_removes_a_share_of_the_downside() -> None:
    """With sigma = 0 the put is worth its intrinsic value (K - p^e)^+, so for a price
    below break-even the margin is u^e (p^e - K) (1 - chi).
    u^e = 0.8, p^e = 50, K = 55, chi = 0.7: margin = 0.8 * (-5) * 0.3 = -1.2, cost 30,
    q = -0.04 (a hard-budget investor's q: -4 / 30). Above break-even the put is worthless.
    A per-row cover (soft-budget rows only) gives the same as the scalar on each row."""
    common = dict(vc=_a(50.0, 50.0), op_sub=_a(5.0, 5.0), om=_a(8.0, 8.0))
    cost = dict(capex_net=_a(200.0, 200.0), rate=_a(0.06, 0.06), prem=0.04, life=_a(20.0, 20.0))
    u, p = _a(0.8, 0.8), _a(50.0, 100.0)
    hard = investment.return_ratio(u, p, **common, **cost)
    soft = investment.return_ratio(u, p, **common, **cost, cover=0.7)
    np.testing.assert_allclose(hard, [-4.0 / 30.0, 1.2])
    np.testing.assert_allclose(soft, [-1.2 / 30.0, 1.2])
    # per-row cover: row 0 soft, row 1 hard, both below break-even
    rows = investment.return_ratio(u, _a(50.0, 50.0), **common, **cost, cover=_a(0.7, 0.0))
    np.testing.assert_allclose(rows, [-1.2 / 30.0, -4.0 / 30.0])


def test_return_ratio_with_working_capital_hand_calculation() -> None:
    """With working capital W: q = [u^e (p^e - K) + W r_m] / [k (1 - s_k)(r + rho + 1/L)
    + W (r + rho)]. The case above (margin 36, capital cost 30) with W = 40, r_m = 0.05,
    r = 0.06, rho = 0.04: (36 + 2) / (30 + 4) = 38 / 34."""
    q = investment.return_ratio(
        u_e=_a(0.8), p_e=_a(100.0), vc=_a(50.0), op_sub=_a(5.0), om=_a(8.0),
        capex_net=_a(200.0), rate=_a(0.06), prem=0.04, life=_a(20.0),
        wc=_a(40.0), r_market=0.05,
    )  # fmt: skip
    assert q[0] == pytest.approx(38.0 / 34.0, rel=1e-12)


def test_working_capital_keeps_q_one_at_the_normal_price_and_damps_a_light_plant() -> None:
    """O&M is the residual that makes the full cost the reference price (SectorConst), and
    it holds the working capital's carrying cost at the market rate: at the normal price
    and utilisation, the market rate and no premium q = 1 with any w. A price 10% above
    normal lifts q of a light plant (capex 40 against a price of 500: appliances) to
    1 + 0.1 u p / (k (r + 1/L)) without working capital, far less with w = 0.3; a heavy
    plant (capex 500 against 550: steel) moves little either way."""
    u_n, r = 0.81, 0.06

    def q(price_ratio: float, capex: float, p_n: float, life: float, w: float) -> float:
        vc = 0.8 * p_n
        om = u_n * p_n * 0.2 - capex * (r + 1.0 / life)
        out = investment.return_ratio(
            u_e=_a(u_n), p_e=_a(price_ratio * p_n), vc=_a(vc), op_sub=_a(0.0), om=_a(om),
            capex_net=_a(capex), rate=_a(r), prem=0.0, life=_a(life),
            wc=terms.working_capital(w, _a(p_n), u_n), r_market=r,
        )  # fmt: skip
        return float(out[0])

    for w in (0.0, 0.1, 0.3):
        assert q(1.0, 40.0, 500.0, 17.0, w) == pytest.approx(1.0, rel=1e-12)
        assert q(1.0, 500.0, 550.0, 35.0, w) == pytest.approx(1.0, rel=1e-12)
    light0, light3 = q(1.1, 40.0, 500.0, 17.0, 0.0), q(1.1, 40.0, 500.0, 17.0, 0.3)
    assert light0 == pytest.approx(1.0 + 0.1 * u_n * 500.0 / (40.0 * (r + 1.0 / 17.0)))
    assert light0 > 8.0
    assert 1.0 < light3 < 0.5 * light0
    heavy0, heavy3 = q(1.1, 500.0, 550.0, 35.0, 0.0), q(1.1, 500.0, 550.0, 35.0, 0.3)
    assert 0.85 * heavy0 < heavy3 < heavy0 < 2.1
    assert terms.working_capital(0.25, _a(100.0), 0.8)[0] == pytest.approx(20.0)


def test_spare_capacity_price_discounts_the_excess_only_at_spare_capacity() -> None:
    """p^e - c (p^e - p^n)^+ where u^e <= u_n: c = 1 caps the expected price at normal
    where investors expect spare capacity, c = 0.5 halves the excess, a price below
    normal is kept, and above normal utilisation the rule's price stands. c = 0 returns
    the very array (the rule off, bit for bit)."""
    p_e, p_n = _a(170.0, 170.0, 80.0, 170.0), _a(100.0, 100.0, 100.0, 100.0)
    u_e = _a(0.80, 0.81, 0.5, 0.9)
    full = investment.spare_capacity_price(p_e, p_n, u_e, 0.81, 1.0)
    np.testing.assert_allclose(full, [100.0, 100.0, 80.0, 170.0])
    half = investment.spare_capacity_price(p_e, p_n, u_e, 0.81, 0.5)
    np.testing.assert_allclose(half, [135.0, 135.0, 80.0, 170.0])
    assert investment.spare_capacity_price(p_e, p_n, u_e, 0.81, 0.0) is p_e


def test_both_session16_rules_are_off_by_default_and_reject_values_out_of_range() -> None:
    # off at the schema's defaults (the shipped calibrated set, session 19's, turns both on)
    sc = overcap.load_scenario("baseline", calibrated=False)
    assert sc.investment.working_capital == 0.0
    assert sc.investment.spare_capacity_cap == 0.0
    with pytest.raises(overcap.ScenarioError, match=r"investment\.working_capital"):
        overcap.load_scenario("baseline", {"investment.working_capital": 0.9})
    with pytest.raises(overcap.ScenarioError, match=r"investment\.spare_capacity_cap"):
        overcap.load_scenario("baseline", {"investment.spare_capacity_cap": -0.1})


def test_loss_put_at_the_money_closed_form() -> None:
    """At the money (p^e = K) d1 = sigma/2, d2 = -sigma/2, so with the logistic N:
    E(K - p)^+ = K (N(sigma/2) - N(-sigma/2)) = K tanh(1.702 sigma / 4).
    K = 100, sigma = 0.25: 100 tanh(0.106375) = 10.5976, within the approximation's error
    of the exact Black-Scholes value K erf(sigma / (2 sqrt 2)) = 9.9477."""
    put = investment.loss_put(_a(100.0), _a(100.0), 0.25)[0]
    assert put == pytest.approx(100.0 * math.tanh(1.702 * 0.25 / 4.0), rel=1e-12)
    assert abs(put - 100.0 * math.erf(0.25 / (2.0 * math.sqrt(2.0)))) < 0.01 * 2 * 100.0
    # sigma = 0: the intrinsic value
    np.testing.assert_allclose(
        investment.loss_put(_a(80.0, 120.0), _a(100.0, 100.0), 0.0), [20.0, 0.0]
    )


def test_risk_premium_only_for_hard_budget_investors() -> None:
    """rho_i = private_risk_premium (0.04) for hard-budget investors, 0 for soft-budget."""
    rho = investment.risk_premium(np.array([True, False, True]), SC)
    np.testing.assert_array_equal(rho, [0.0, SC.investment.private_risk_premium, 0.0])
    assert SC.investment.private_risk_premium == 0.04


def test_local_push_is_the_mandate_of_soft_budget_firms_only() -> None:
    """m_i = mu z I for soft-budget firms, else 0: mu = 0.15, z = 0.4, I = 1.5 -> 0.09."""
    m = investment.local_push(
        _a(0.4, 0.4, 0.0), _a(1.5, 1.5, 1.5), np.array([True, False, True]), 0.15
    )
    np.testing.assert_allclose(m, [0.09, 0.0, 0.0], atol=1e-15)


# ---------------------------------------------------------------- 7.5.2 interest rates


def test_interest_rates_with_soft_budgets() -> None:
    """r = max(0.005, r_m + spread - d_soe 1[SOE] + pi 1[private] - d_sub z - d_bail 1[bailed]),
    r_m = 0.06, spread = 0.01, d_soe = 0.015, pi = 0.02, d_sub = 0.02, d_bail = 0.03:
    SOE 0.055; private 0.09; private with z = 0.5: 0.08; SOE bailed out: 0.025."""
    soe = np.array([True, False, False, True])
    z = _a(0.0, 0.0, 0.5, 0.0)
    bailed = np.array([False, False, False, True])
    r = investment.interest_rates(soe, z, bailed, SC, 0.01)
    np.testing.assert_allclose(r, [0.055, 0.09, 0.08, 0.025], atol=1e-15)


def test_interest_rates_floor_and_switches() -> None:
    """The floor is 0.5%: a spread of -10 points leaves 0.005 for everyone. With soft
    budgets off every firm pays r_m + spread + pi = 0.08 whatever its owner, subsidy or
    bailout. With bailouts off (soft budgets on) the bailout discount is not given."""
    soe = np.array([True, False])
    z = _a(1.0, 1.0)
    bailed = np.array([True, True])
    np.testing.assert_allclose(investment.interest_rates(soe, z, bailed, SC, -0.1), 0.005)
    hard = _scenario(**{"switches.soft_budget": False})
    np.testing.assert_allclose(investment.interest_rates(soe, z, bailed, hard, 0.0), 0.08)
    no_bail = _scenario(**{"switches.bailouts": False})
    # SOE: 0.06 - 0.015 - 0.02; private: 0.06 + 0.02 - 0.02
    np.testing.assert_allclose(
        investment.interest_rates(soe, z, bailed, no_bail, 0.0), [0.025, 0.06], atol=1e-15
    )


# ---------------------------------------------------------------- 7.5.6 build lag


def test_stochastic_lag_draws_floor_or_ceiling_with_mean_lag() -> None:
    """lag = floor(l) + Bernoulli(l - floor(l)): values in {2, 3} for l = 2.3, mean 2.3
    (sd of the mean of 20000 draws sqrt(0.21 / 20000) = 0.0032); integer lags are exact."""
    rng = np.random.default_rng(7)
    n = 20_000
    lags = investment.stochastic_lag(np.full(n, 2.3), n, rng)
    assert lags.dtype == np.int32
    assert set(np.unique(lags).tolist()) == {2, 3}
    assert abs(lags.mean() - 2.3) < 5 * math.sqrt(0.21 / n)
    np.testing.assert_array_equal(investment.stochastic_lag(np.full(5, 3.0), 5, rng), 3)
    short = investment.stochastic_lag(np.full(1000, 0.4), 1000, rng)
    assert short.min() >= 0 and short.max() <= 1


# ---------------------------------------------------------------- 7.5.6 expansion


def _firms(**cols: Any) -> Firms:
    """Live firms with the given columns (everything else zero; no project under way)."""
    n = len(next(iter(cols.values())))
    f = Firms.empty(n)
    f.alive[:] = True
    for name, values in cols.items():
        getattr(f, name)[:] = values
    return f


def _expand(
    f: Firms,
    q: np.ndarray,
    gap: np.ndarray,
    soft: np.ndarray,
    sc: Scenario,
    *,
    push: np.ndarray | None = None,
    approval: float = 1.0,
    capex_net: float = 2.0,
    capex_gross: float = 2.5,
    lag: float = 2.0,
    seed: int = 0,
    quota: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    n = len(f)
    appraisal = investment.Appraisal(
        q_i=q,
        gap_i=gap,
        push_i=np.zeros(n) if push is None else push,
        capex_net_i=np.full(n, capex_net),
        capex_gross_i=np.full(n, capex_gross),
        capex_sub_i=np.zeros(n),
        soft_i=soft,
    )
    return investment.expand(
        f,
        appraisal,
        np.array([approval]),
        2010,
        np.array([lag]),
        sc,
        np.random.default_rng(seed),
        quota,
    )


ALL_REVIEW = _scenario(**{"investment.review_probability": 1.0})


def test_expand_hand_calculation() -> None:
    """dK = K min(x_max, gamma ln(q)^+ + h(q) G / rho_r + m) approvals, with every firm
    reviewing (rho_r = 1), gamma = 0.1, x_max = 1, h(q) = (q - 1) / q.
    K = 100, q = 1.5, G = 0.1, m = 0: 100 (0.1 ln 1.5 + (1/3) 0.1) = 7.3880.
    K = 100, q = 1.0, G = 0.1, m = 0.09 (the local mandate alone): 9.
    K = 100, q = 30: 100 min(1, 0.34 + 0.097) = 43.67 (gamma ln q: the response to q is
    concave, so a q of 30 no longer hits the largest project).
    Net cost dK k(1 - s_k) = 2 dK is borrowed and booked as construction; gross spending
    is 2.5 dK; the project comes on line after the (integer) lag of 2 years."""
    f = _firms(capacity=[100.0, 100.0, 100.0], equity=[0.0, 0.0, 0.0])
    soft = np.array([True, True, True])
    spend, dk = _expand(
        f, _a(1.5, 1.0, 30.0), _a(0.1, 0.1, 0.1), soft, ALL_REVIEW, push=_a(0.0, 0.09, 0.0)
    )
    expected = np.array(
        [100.0 * (0.1 * np.log(1.5) + 0.1 / 3.0), 9.0, 100.0 * (0.1 * np.log(30.0) + 0.1 * 29 / 30)]
    )
    np.testing.assert_allclose(dk, expected, rtol=1e-12)
    np.testing.assert_allclose(spend, 2.5 * expected, rtol=1e-12)
    np.testing.assert_allclose(f.building, expected, rtol=1e-12)
    np.testing.assert_allclose(f.building_cost, 2.0 * expected, rtol=1e-12)
    np.testing.assert_allclose(f.debt, 2.0 * expected, rtol=1e-12)
    np.testing.assert_array_equal(f.complete_year, 2012)
    np.testing.assert_array_equal(f.capacity, 100.0)  # capacity in place is not touched


def test_expand_no_project_without_gap_return_or_mandate() -> None:
    """q <= 1, G = 0 and m = 0: dK = K min(x_max, 0) = 0 for every firm, and nothing is
    booked (no construction, no debt, no completion year)."""
    f = _firms(capacity=[100.0, 50.0, 10.0], equity=[10.0, 10.0, 10.0], debt=[5.0, 5.0, 5.0])
    spend, dk = _expand(
        f, _a(1.0, 0.7, -2.0), _a(0.0, 0.0, 0.0), np.array([True, False, True]), ALL_REVIEW
    )
    np.testing.assert_array_equal(dk, 0.0)
    np.testing.assert_array_equal(spend, 0.0)
    np.testing.assert_array_equal(f.building, 0.0)
    np.testing.assert_array_equal(f.debt, 5.0)
    np.testing.assert_array_equal(f.complete_year, -1)


def test_expand_gap_alone_needs_a_profitable_investor() -> None:
    """h(q) = 0 for q <= 1: a large perceived gap does not move an investor with q = 1;
    with q = 2 (h = 1/2) and G = 0.4 it adds K h G / rho_r = 100 * 0.5 * 0.4 = 20 on top of
    gamma ln(q) K = 10 ln 2."""
    f = _firms(capacity=[100.0, 100.0])
    _, dk = _expand(f, _a(1.0, 2.0), _a(0.4, 0.4), np.array([True, True]), ALL_REVIEW)
    np.testing.assert_allclose(dk, [0.0, 20.0 + 10.0 * np.log(2.0)], rtol=1e-12)


def test_expand_zero_approvals_stop_every_project() -> None:
    """approvals = 0 multiplies every dK by 0, whatever q, the gap or the mandate."""
    f = _firms(capacity=[100.0, 100.0], equity=[1e6, 1e6])
    spend, dk = _expand(
        f,
        _a(3.0, 3.0),
        _a(0.5, 0.5),
        np.array([True, False]),
        ALL_REVIEW,
        push=_a(0.2, 0.0),
        approval=0.0,
    )
    np.testing.assert_array_equal(dk, 0.0)
    np.testing.assert_array_equal(spend, 0.0)
    np.testing.assert_array_equal(f.complete_year, -1)


def test_expand_private_firms_are_rationed_by_equity() -> None:
    """Hard-budget firms: new debt <= max(0, lambda E - D), lambda = 1.5, so
    dK <= (1.5 E - D) / (k (1 - s_k)).
    Unrationed, q = 2, G = 0.1: dK = 100 (0.1 ln 2 + 0.5 * 0.1 / 1) = 11.93 for all.
    Private, E = 10, D = 5: room 10, net capex 2 -> dK = 5 (rationed).
    Private, E = 100, D = 0: room 150 -> 75 >= 11.93 (not binding).
    Private, E = 10, D = 20: room max(0, -5) = 0 -> no project.
    State-owned (soft), E = 0, D = 1000: never rationed, dK = 11.93."""
    f = _firms(
        capacity=[100.0, 100.0, 100.0, 100.0],
        equity=[10.0, 100.0, 10.0, 0.0],
        debt=[5.0, 0.0, 20.0, 1000.0],
    )
    soft = np.array([False, False, False, True])
    _, dk = _expand(f, _a(2.0, 2.0, 2.0, 2.0), _a(0.1, 0.1, 0.1, 0.1), soft, ALL_REVIEW)
    full = 100.0 * (0.1 * np.log(2.0) + 0.05)
    np.testing.assert_allclose(dk, [5.0, full, 0.0, full], rtol=1e-12)
    np.testing.assert_allclose(f.debt, [15.0, 2 * full, 20.0, 1000.0 + 2 * full], rtol=1e-12)
    np.testing.assert_array_equal(f.complete_year, [2012, 2012, -1, 2012])


def test_expand_capacity_started_is_the_sum_of_the_projects() -> None:
    """On a random tiny world (200 firms, half reviewing): the capacity started equals
    the sum of the new projects (the increase of `building`), the construction booked
    equals net capex times dK, and only free firms start (alive, with capacity, and no
    project under way)."""
    rng = np.random.default_rng(3)
    n = 200
    f = _firms(
        capacity=rng.uniform(0.0, 100.0, n) * (rng.random(n) > 0.1),
        equity=rng.uniform(0.0, 50.0, n),
        debt=rng.uniform(0.0, 50.0, n),
    )
    f.alive[:] = rng.random(n) > 0.1
    busy = rng.random(n) < 0.2
    f.complete_year[busy] = 2011
    f.building[busy] = 7.0
    before = f.building.copy()
    soft = rng.random(n) < 0.4
    spend, dk = _expand(f, rng.uniform(0.5, 2.0, n), np.full(n, 0.1), soft, SC, seed=11)
    started = dk > 0
    assert 20 < started.sum() < n  # the review draw leaves some, not all
    assert dk.sum() == pytest.approx((f.building - before).sum(), rel=1e-12)
    np.testing.assert_allclose(f.building_cost, 2.0 * dk)
    np.testing.assert_allclose(spend, 2.5 * dk)
    assert not started[busy].any()
    assert not started[~f.alive].any()
    assert not started[f.capacity <= 0].any()
    np.testing.assert_array_equal(f.complete_year[busy], 2011)
    np.testing.assert_array_equal(f.complete_year[started], 2012)


def test_expand_build_lag_is_at_least_one_year() -> None:
    """Completion year = t + max(lag, 1): a lag of 0.4 never completes in the year the
    project starts."""
    f = _firms(capacity=np.full(50, 100.0))
    _expand(f, np.full(50, 2.0), np.zeros(50), np.ones(50, bool), ALL_REVIEW, lag=0.4)
    np.testing.assert_array_equal(f.complete_year, 2011)


# ---------------------------------------------------------------- 7.5.7 entry


def _const(plant_size: float, soe_share: float) -> SectorConst:
    """A one-sector technology; entry reads only the plant size and the SOE share."""
    kw = {fld.name: np.ones(1) for fld in fields(SectorConst)}
    kw["plant_size"] = _a(plant_size)
    kw["soe_share"] = _a(soe_share)
    return SectorConst(**kw)


def _entrants(
    demand_e: np.ndarray, gap_cap: np.ndarray, **kw: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """entry.entrants on expectations with the given expected demand and gap (units)."""
    zero = np.zeros_like(demand_e)
    exp = investment.Expectations(
        capacity_s=zero,
        demand_s=demand_e,
        utilisation_s=zero,
        price_s=zero,
        gap_s=zero,
        gap_capacity_s=gap_cap,
    )
    e = entry.bounded(entry.entrants(exp, **kw), 0, kw["sc"])
    return e.province, e.sector, e.soe, e.size


def _entry(
    q_private: float,
    q_soe: float,
    gap_units: float,
    *,
    provinces: int = 1,
    approval: float = 1.0,
    sc: Scenario = SC,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    p = provinces
    return _entrants(
        demand_e=_a(1000.0),
        gap_cap=_a(gap_units),
        q_private=np.full((p, 1), q_private),
        q_soe=np.full((p, 1), q_soe),
        weight=np.full(p, 1.0),
        approval=_a(approval),
        const=_const(plant_size=10.0, soe_share=0.6),
        sc=sc,
        rng=np.random.default_rng(seed),
    )


def test_entry_none_without_excess_return() -> None:
    """lambda = w share (eps (q - 1)^+ D^e + g h(q) G) approvals / size: with q <= 1 both
    terms are 0 (h(1) = 0), whatever the gap, so Poisson(0) = 0 entrants."""
    prov, sec, soe, size = _entry(1.0, 0.5, gap_units=500.0, provinces=50)
    assert len(prov) == len(sec) == len(soe) == len(size) == 0


def test_entry_none_with_zero_approvals_or_the_switch_off() -> None:
    assert len(_entry(3.0, 3.0, 100.0, provinces=50, approval=0.0)[0]) == 0
    off = _scenario(**{"switches.entry": False})
    assert len(_entry(3.0, 3.0, 100.0, provinces=50, sc=off)[0]) == 0


def test_entry_rate_matches_the_poisson_intensity() -> None:
    """Per province, with w = 1, approvals 1, D^e = 1000, size = min(10, 0.05 * 1000) = 10,
    soe_p = clip(0.5 * 0.6) = 0.3, eps = 0.02, g = 0.5, G^u = 40:
    private (q = 1.5, h = 1/3): 0.7 (0.02 ln(1.5) 1000 + 0.5 * (1/3) * 40) / 10 = 1.0343;
    state-owned (q = 1.25, h = 0.2): 0.3 (0.02 ln(1.25) 1000 + 0.5 * 0.2 * 40) / 10 = 0.2539.
    Over 2000 identical provinces the counts are Poisson(2000 lambda): the totals are
    within 5 sd of 2068.6 and 507.8."""
    p = 2000
    prov, sec, soe, size = _entry(1.5, 1.25, gap_units=40.0, provinces=p, seed=5)
    lam_p = 0.7 * (0.02 * math.log(1.5) * 1000.0 + 0.5 * (1.0 / 3.0) * 40.0) / 10.0
    lam_s = 0.3 * (0.02 * math.log(1.25) * 1000.0 + 0.5 * 0.2 * 40.0) / 10.0
    n_p, n_s = int((~soe).sum()), int(soe.sum())
    assert abs(n_p - p * lam_p) < 5 * math.sqrt(p * lam_p)
    assert abs(n_s - p * lam_s) < 5 * math.sqrt(p * lam_s)
    np.testing.assert_array_equal(sec, 0)
    np.testing.assert_array_equal(size, 10.0)
    assert prov.min() >= 0 and prov.max() < p


def test_entry_plant_size_is_capped_by_a_twentieth_of_the_market() -> None:
    """size = min(plant_size, 0.05 D^e): D^e = 100 -> 5 (the plant of 10 is too big)."""
    _, _, _, size = _entrants(
        demand_e=_a(100.0), gap_cap=_a(0.0), q_private=np.full((100, 1), 3.0),
        q_soe=np.full((100, 1), 3.0), weight=np.ones(100), approval=_a(1.0),
        const=_const(10.0, 0.5), sc=SC, rng=np.random.default_rng(1),
    )  # fmt: skip
    assert len(size) > 0
    np.testing.assert_array_equal(size, 5.0)


def test_entry_only_private_when_state_owned_entrants_see_no_excess_return() -> None:
    """q_soe = 0.9: h(q_soe) = 0 and (q_soe - 1)^+ = 0, so lambda_soe = 0."""
    _, _, soe, _ = _entry(2.0, 0.9, gap_units=40.0, provinces=100)
    assert len(soe) > 0
    assert not soe.any()


def test_forecast_horizon_reaches_the_first_year_of_production() -> None:
    """h = max(lag, 1) + 1: a project started in t with lag n first sells in t + n,
    n + 1 years after the last observed demand (t - 1); lags below one year are one."""
    np.testing.assert_allclose(investment.forecast_horizon(_a(1.0, 2.0, 1.5, 0.5)), [2, 3, 2.5, 2])


def test_forecast_horizon_matches_completion_of_a_project_started_now() -> None:
    """A project started in year t by :func:`expand`'s completion rule (t + max(lag, 1))
    comes on line through :func:`complete_projects` in year t + lag; with demand last
    seen in t - 1 that is exactly h years ahead."""
    t, lag = 2020, 2
    f = Firms.empty(1)
    f.alive[:] = True
    f.building[:] = 5.0
    f.complete_year[:] = t + max(lag, 1)
    for year in range(t, t + 5):
        investment.complete_projects(f, year)
        if f.capacity[0] > 0:
            break
    assert year - (t - 1) == investment.forecast_horizon(_a(float(lag)))[0]


def test_damped_horizon_is_the_sum_of_the_damping_weights() -> None:
    """H = phi + phi^2 + ... + phi^h for an integer horizon; phi = 1 leaves h unchanged
    (the undamped trend, bit for bit) and phi = 0 extrapolates no growth."""
    h = _a(1.0, 2.0, 3.0)
    np.testing.assert_array_equal(investment.damped_horizon(h, 1.0), h)
    np.testing.assert_allclose(investment.damped_horizon(h, 0.5), [0.5, 0.75, 0.875])
    np.testing.assert_allclose(investment.damped_horizon(h, 0.0), [0.0, 0.0, 0.0])
    # a fractional horizon lies between its integer neighbours, and damping shortens it
    mid = investment.damped_horizon(_a(2.5), 0.8)[0]
    lo, hi = investment.damped_horizon(_a(2.0, 3.0), 0.8)
    assert lo < mid < hi < 3.0


def test_expectations_damp_the_trend_over_the_horizon() -> None:
    """On the tiny world (D_{t-1} = 20, lag 2 so h = 3) with consensus growth 0.2 in both
    sectors and no plan: phi = 1 gives D^e = 20 e^(0.2 * 3); phi = 0.5 gives
    20 e^(0.2 * (0.5 + 0.25 + 0.125)), less than the undamped trend and more than 20."""
    from dataclasses import replace

    from overcap.engine import centre
    from tests.engine import tiny

    out = {}
    for phi in (1.0, 0.5):
        st, ctx = tiny.world(tiny.scenario(**{"investment.trend_damping": phi}))
        st.sectors.consensus_growth[:] = 0.2
        yr = replace(ctx.begin(st), plan_growth=_a(np.nan, np.nan))
        pol = centre.set_policy(st, yr)
        out[phi] = investment.expectations(st, yr, pol, demand.this_year(st, yr, pol)).demand_s
    np.testing.assert_allclose(out[1.0], 20.0 * math.exp(0.2 * 3), rtol=1e-12)
    np.testing.assert_allclose(out[0.5], 20.0 * math.exp(0.2 * 0.875), rtol=1e-12)


def test_planned_growth_lifts_strategic_sectors_toward_their_plan() -> None:
    """g^e = g + kappa A max(0, g^plan - g): kappa = 0.5.
    strategic, plan 0.30 above consensus 0.10: 0.10 + 0.5 * 0.20 = 0.20;
    strategic, plan 0.05 below consensus 0.10: unchanged (a floor, not a cap);
    strategic, no plan in force (NaN): unchanged;
    not strategic, plan 0.30: unchanged."""
    g = _a(0.10, 0.10, 0.10, 0.10)
    plan = _a(0.30, 0.05, np.nan, 0.30)
    strategic = np.array([True, True, True, False])
    out = investment.planned_growth(g, plan, strategic, 0.5)
    np.testing.assert_allclose(out, [0.20, 0.10, 0.10, 0.10], rtol=1e-12)
    # credibility 0 turns the signal off; 1 takes the plan's growth
    np.testing.assert_allclose(investment.planned_growth(g, plan, strategic, 0.0), g)
    assert investment.planned_growth(g, plan, strategic, 1.0)[0] == pytest.approx(0.30)


def test_plan_growth_paths_read_the_latest_plan_in_force() -> None:
    """data/plan_targets.csv: the 2012 NEV plan (0.008 M in 2011 to 2 M in 2020) is in
    force 2012-2019 at ln(2 / 0.008) / 9 a year; the 2020 plan (1.37 M to 5.06 M in
    2025) replaces it from 2020 to 2025; none before 2012 or after 2025. Steel has no plan."""
    from overcap.engine.inputs import plan_growth_paths

    years = np.arange(2010, 2028)
    g = plan_growth_paths(years, ["electric_vehicles", "steel"])
    ev = dict(zip(years.tolist(), g[:, 0].tolist(), strict=True))
    assert math.isnan(ev[2011]) and math.isnan(ev[2026])
    assert ev[2012] == pytest.approx(math.log(2.0 / 0.008) / 9)
    assert ev[2019] == pytest.approx(math.log(2.0 / 0.008) / 9)
    assert ev[2020] == pytest.approx(math.log(5.06 / 1.37) / 5)
    assert ev[2025] == pytest.approx(math.log(5.06 / 1.37) / 5)
    assert np.isnan(g[:, 1]).all()


def test_expectations_use_the_plan_and_the_horizon() -> None:
    """On the tiny world (D_{t-1} = 20, consensus growth 0, lag 2 so h = 3): steel
    strategic with a plan of 0.1 a year, kappa = 0.5: D^e = 20 e^(0.05 * 3); cement not
    strategic with the same plan: D^e = 20."""
    from dataclasses import replace

    from overcap.engine import centre
    from tests.engine import tiny

    st, ctx = tiny.world()
    yr = ctx.begin(st)
    yr = replace(yr, strategic=np.array([True, False]), plan_growth=_a(0.1, 0.1))
    pol = centre.set_policy(st, yr)
    exp = investment.expectations(st, yr, pol, demand.this_year(st, yr, pol))
    kappa = yr.sc.investment.plan_credibility
    np.testing.assert_allclose(exp.demand_s, [20.0 * math.exp(kappa * 0.1 * 3), 20.0])


def test_vintage_cost_grows_with_the_learning_gap() -> None:
    """m = (Lambda_v / Lambda)^o: a line built at Lambda_v = 2 when today's Lambda = 1,
    o = 0.5: sqrt(2); at the frontier: 1; o = 0: 1 whatever the gap."""
    m = investment.vintage_cost(
        _a(math.log(2.0), 0.0, math.log(2.0)), _a(0.0, 0.0, 0.0), _a(0.5, 0.5, 0.0)
    )
    np.testing.assert_allclose(m, [math.sqrt(2.0), 1.0, 1.0], rtol=1e-12)


def test_completion_blends_the_vintage_and_ageing_raises_old_lines_cost() -> None:
    """Firm 0: 10 units built at Lambda = 4 (v = ln 4) completes 30 more at today's
    Lambda = 1: v = (10 ln 4 + 30 ln 1) / 40 = ln 4 / 4, so at o = 0.5 its cost multiplier
    is 4^(1/8); its base efficiency 1.2 is kept: cost_eff = 1.2 * 4^(1/8). Firm 1 (a new
    entrant, no capacity yet) completes 5 units: at the frontier, multiplier 1. Firm 2 is
    in a sector with o = 0: untouched."""
    f = Firms.empty(3)
    f.alive[:] = True
    f.sector[:] = [0, 0, 1]
    f.capacity[:] = [10.0, 0.0, 10.0]
    f.vintage[:] = [math.log(4.0), 0.0, math.log(4.0)]
    f.building[:] = [30.0, 5.0, 0.0]
    f.complete_year[:] = [2020, 2020, -1]
    f.cost_eff[:] = [1.2, 0.9, 1.0]
    log_l = _a(0.0, 0.0)
    investment.complete_projects(f, 2020, log_l)
    assert f.vintage[0] == pytest.approx(math.log(4.0) / 4.0)
    assert f.vintage[1] == 0.0
    investment.age_vintages(f, log_l, _a(0.5, 0.0))
    np.testing.assert_allclose(f.vintage_cost, [4.0**0.125, 1.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(f.cost_eff, [1.2 * 4.0**0.125, 0.9, 1.0], rtol=1e-12)
    # a year on, learning halves today's cost (ln Lambda = -ln 2): the gap widens and the
    # multiplier is replaced, not compounded
    investment.age_vintages(f, _a(-math.log(2.0), 0.0), _a(0.5, 0.0))
    want = math.exp(0.5 * (math.log(4.0) / 4.0 + math.log(2.0)))
    assert f.vintage_cost[0] == pytest.approx(want)
    assert f.cost_eff[0] == pytest.approx(1.2 * want)
    assert f.cost_eff[1] == pytest.approx(0.9 * math.sqrt(2.0))


def test_vintages_switch_off_sets_obsolescence_to_zero() -> None:
    sc = _scenario(**{"switches.vintages": False})
    assert not SectorConst.from_scenario(sc).obsolescence.any()
    on = SectorConst.from_scenario(SC).obsolescence
    assert on[SC.sector_ids.index("solar_pv")] > 0


def test_the_local_mandate_builds_only_projects_with_a_positive_operating_margin() -> None:
    """feasible_push: the mandate m_i stands where q_i > 0 (the expected price covers the
    unit cost, even if not the capital), and is 0 where a project would lose money on
    every unit (q_i <= 0)."""
    push = np.array([0.1, 0.1, 0.1, 0.0])
    q = np.array([-2.0, 0.0, 0.4, 3.0])
    assert np.allclose(investment.feasible_push(push, q), [0.0, 0.0, 0.1, 0.0])


def _tiny_year(**overrides: Any) -> tuple[Any, Any, Any, Any]:
    from overcap.engine import centre
    from tests.engine import tiny

    st, ctx = tiny.world(tiny.scenario(**overrides))
    yr = ctx.begin(st)
    pol = centre.set_policy(st, yr)
    return st, yr, pol, demand.this_year(st, yr, pol)


def test_fundamental_price_is_the_market_rule_at_expected_demand() -> None:
    """On the tiny world: with expected demand far below capacity the fundamental price
    is the cheapest firm's cash cost net of its operating subsidy, or the distress price
    if that is lower (no output is must-run here); far above capacity, the scarcity
    price; in between it falls as visible capacity rises (more capacity, lower price)."""
    st, yr, pol, dem = _tiny_year()
    f = st.firms
    cap = np.array([f.capacity[f.sector == s].sum() for s in range(2)])
    p_n = yr.p_norm
    z = st.provinces.intensity[f.province, f.sector]
    mc = yr.vc_s[f.sector] * f.cost_eff - z * yr.sc.provinces.max_operating_subsidy * p_n[f.sector]
    live = f.capacity > 0
    cheapest = np.array([mc[live & (f.sector == s)].min() for s in range(2)])
    glut = investment.fundamental_price(st, yr, pol, dem, 1e-3 * dem.normal_s, cap, cap)
    bin_width = 4.0 / 4096 * p_n  # the market's cost bins (market.COST_SPAN / N_BINS)
    np.testing.assert_allclose(
        glut, np.maximum(cheapest, yr.distress_s * p_n), atol=float(bin_width.max())
    )
    short = investment.fundamental_price(st, yr, pol, dem, 1e3 * dem.normal_s, cap, cap)
    np.testing.assert_allclose(short, yr.sc.market.scarcity_price * p_n, rtol=1e-9)
    d = 0.6 * cap  # a market that fills capacity part-way
    prices = [
        investment.fundamental_price(st, yr, pol, dem, d, k * cap, cap) for k in (0.7, 1.0, 1.5)
    ]
    assert np.all(prices[0] >= prices[1]) and np.all(prices[1] >= prices[2])
    assert np.any(prices[0] > prices[2])  # the price moves: the check can fail


def test_blended_price_weighs_the_two_rules_in_logs() -> None:
    """p^e = (p^a)^(1-w) (p^f)^w where the cost curve is known, p^a elsewhere."""
    a, f = _a(100.0, 100.0, 100.0), _a(400.0, 400.0, 0.0)
    known = np.array([True, False, True])
    np.testing.assert_allclose(investment.blended_price(a, f, 0.5, known), [200.0, 100.0, 100.0])
    np.testing.assert_allclose(investment.blended_price(a, f, 0.0, known), a)
    np.testing.assert_allclose(investment.blended_price(a, f, 1.0, known), [400.0, 100.0, 100.0])


def test_expectations_read_the_fundamental_price_at_full_weight() -> None:
    """investment.fundamental_weight = 1: the expected price is the fundamental price at
    the expectations' own demand and visible capacity; at 0 it is the adaptive rule."""
    st, yr, pol, dem = _tiny_year(**{"investment.fundamental_weight": 1.0})
    exp = investment.expectations(st, yr, pol, dem)
    inv = yr.sc.investment
    cap = exp.capacity_s
    pipe = np.array([st.firms.building[st.firms.sector == s].sum() for s in range(2)])
    visible = investment.visible_capacity(
        cap, pipe, inv.visibility, yr.const.plant_life, yr.const.build_lag
    )
    want = investment.fundamental_price(st, yr, pol, dem, exp.demand_s, visible, cap)
    np.testing.assert_allclose(exp.price_s, want, rtol=1e-12)
    st0, yr0, pol0, dem0 = _tiny_year()
    adaptive = investment.expectations(st0, yr0, pol0, dem0).price_s
    assert not np.allclose(adaptive, want)  # the two rules differ here


# ---------------------------------------------------------------- capacity replacement


def test_replacement_quota_is_retirements_over_the_ratio_where_a_rule_runs() -> None:
    q = investment.replacement_quota(np.array([30.0, 12.0, 5.0]), np.array([0.0, 1.0, 1.25]))
    assert q is not None
    np.testing.assert_allclose(q, [np.inf, 12.0, 4.0])
    assert investment.replacement_quota(np.array([30.0]), np.array([0.0])) is None


def test_replacement_scale_binds_on_the_compliant_share() -> None:
    """kappa min(1, Q / desired) + 1 - kappa; 1 without a rule or without demand."""
    desired = np.array([20.0, 20.0, 20.0, 0.0])
    quota = np.array([5.0, 40.0, np.inf, 0.0])
    np.testing.assert_allclose(investment.replacement_scale(desired, quota, 1.0), [0.25, 1, 1, 1])
    np.testing.assert_allclose(
        investment.replacement_scale(desired, quota, 0.6), [0.6 * 0.25 + 0.4, 1, 1, 1]
    )


@pytest.mark.parametrize("kappa, total", [(1.0, 6.0), (0.5, 0.5 * 6.0 + 0.5 * 2 * 100 * 0.1)])
def test_expand_under_a_replacement_rule_starts_no_more_than_the_quota(
    kappa: float, total: float
) -> None:
    """Two firms that want 10 each (K = 100, local mandate 0.1): with a quota of 6 and
    full compliance, 6 in all, split 3 and 3; with compliance 0.5, scale 0.5 x 0.3 + 0.5."""
    f = _firms(capacity=[100.0, 100.0], equity=[0.0, 0.0])
    sc = _scenario(**{"investment.review_probability": 1.0, "centre.replacement_compliance": kappa})
    _, dk = _expand(
        f,
        _a(1.0, 1.0),
        _a(0.0, 0.0),
        np.array([True, True]),
        sc,
        push=_a(0.1, 0.1),
        quota=np.array([6.0]),
    )
    assert dk.sum() == pytest.approx(total)
    assert dk[0] == pytest.approx(dk[1])


def test_nowcast_blends_last_years_market_with_this_years() -> None:
    """investment.nowcast_weight w: ln D^e = (1 - w) ln D^lag + w ln D^now, where
    D^lag = D_{t-1} e^(g H) and D^now = D_t e^(g' H'), g' the consensus growth updated
    with this year's markets and H' the horizon a year shorter. On the tiny world with
    no plan (phi = 1, lag 2: H = 3, H' = 2): w = 0 leaves D^lag; w = 1 gives D^now; w = 0.5
    the geometric mean; and a market that grew this year raises the expectation."""
    from dataclasses import replace

    from overcap.engine import centre
    from tests.engine import tiny

    out = {}
    for w in (0.0, 0.5, 1.0):
        st, ctx = tiny.world(tiny.scenario(**{"investment.nowcast_weight": w}))
        st.sectors.consensus_growth[:] = 0.2
        yr = replace(ctx.begin(st), plan_growth=_a(np.nan, np.nan))
        pol = centre.set_policy(st, yr)
        dem = demand.this_year(st, yr, pol)
        out[w] = investment.expectations(st, yr, pol, dem).demand_s
        inv = yr.sc.investment
        g_now = investment.consensus_growth(
            dem.market_s,
            st.sectors.market_prev,
            st.sectors.consensus_growth,
            inv.consensus_memory,
            inv.growth_clip,
        )
        now = dem.normal_s * np.exp(g_now * 2.0)
    lag = 20.0 * math.exp(0.2 * 3)
    np.testing.assert_allclose(out[0.0], lag, rtol=1e-12)
    np.testing.assert_allclose(out[1.0], now, rtol=1e-12)
    np.testing.assert_allclose(out[0.5], np.sqrt(lag * now), rtol=1e-12)
    assert not np.allclose(now, lag)  # the test would not see a missing nowcast otherwise


def test_nowcast_sees_a_market_that_grew_this_year() -> None:
    """With this year's markets 50% above last year's, the nowcast expects more."""
    from dataclasses import replace

    from overcap.engine import centre
    from tests.engine import tiny

    out = {}
    for grow in (1.0, 1.5):
        st, ctx = tiny.world(tiny.scenario(**{"investment.nowcast_weight": 0.5}))
        yr = replace(ctx.begin(st), plan_growth=_a(np.nan, np.nan))
        pol = centre.set_policy(st, yr)
        dem = demand.this_year(st, yr, pol)
        dem = replace(dem, normal_s=dem.normal_s * grow, market_s=dem.market_s * grow)
        out[grow] = investment.expectations(st, yr, pol, dem).demand_s
    assert np.all(out[1.5] > out[1.0] * 1.2)
