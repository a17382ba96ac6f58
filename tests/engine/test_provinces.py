"""Unit tests of the provinces (engine/provinces.py; docs/ODD.md section 7.3): subsidy
intensities, the tournament, the fiscal limit, ranks and promotions, on a few provinces
built by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

import overcap
from overcap.engine import provinces
from overcap.engine.state import ProvinceState
from overcap.scenario import ProvinceParams, Switches

SC = overcap.load_scenario("baseline", calibrated=False)
PP = SC.provinces  # z0 0.15, w_align 0.35, w_herd 0.3, w_tournament 0.4, lambda 0.5
SW = SC.switches


def _switches(**update: bool) -> Switches:
    return SW.model_copy(update=update)


def _params(**update: float) -> ProvinceParams:
    return PP.model_copy(update=update)


def _prov(
    p: int = 3,
    s: int = 2,
    intensity: np.ndarray | None = None,
    years: list[int] | None = None,
    rel_sum: list[float] | None = None,
) -> ProvinceState:
    return ProvinceState(
        weight=np.full(p, 1.0 / p),
        gdp=np.full(p, 1000.0),
        growth=np.zeros(p),
        rel_growth_sum=np.zeros(p) if rel_sum is None else np.array(rel_sum, dtype=float),
        years_in_term=np.zeros(p, dtype=np.int64) if years is None else np.array(years),
        protection=np.zeros(p),
        intensity=np.zeros((p, s)) if intensity is None else intensity.astype(float),
        fiscal_scale=np.ones(p),
        spend_prev=np.zeros(p),
        debt=np.zeros(p),
    )


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


STRATEGIC = np.array([True, False])  # sector 0 is on the centre's strategic list


# ---------------------------------------------------------------- 7.3.2-7.3.3 subsidies


def test_alignment_with_the_strategic_list() -> None:
    """Herding and tournament off, from z = 0, m = 1, f = 1, lambda = 0.5:
    strategic:      z* = z0 + w_a = 0.15 + 0.35 = 0.5 -> z = 0.5 * 0.5 = 0.25;
    not strategic:  z* = z0 = 0.15                     -> z = 0.075.
    With the centre's multiplier m = 2: z* = 2 (0.15 + 0.35) = 1.0 -> 0.5; 0.3 -> 0.15."""
    sw = _switches(herding=False, tournament=False)
    prov = _prov()
    inc = provinces.set_subsidies(prov, STRATEGIC, np.ones(2), 1.0, PP, sw)
    np.testing.assert_array_equal(inc, 0.0)
    np.testing.assert_allclose(prov.intensity, [[0.25, 0.075]] * 3, rtol=1e-12)
    prov = _prov()
    provinces.set_subsidies(prov, STRATEGIC, np.ones(2), 2.0, PP, sw)
    np.testing.assert_allclose(prov.intensity, [[0.5, 0.15]] * 3, rtol=1e-12)


def test_partial_adjustment_toward_the_target() -> None:
    """z_t = z_{t-1} + lambda (z* - z_{t-1}): starting at 0.9 in the non-strategic sector
    (target 0.15), z = 0.9 + 0.5 (0.15 - 0.9) = 0.525; at the target it stays there."""
    sw = _switches(herding=False, tournament=False)
    prov = _prov(p=2, intensity=np.array([[0.5, 0.9], [0.5, 0.15]]))
    provinces.set_subsidies(prov, STRATEGIC, np.ones(2), 1.0, PP, sw)
    np.testing.assert_allclose(prov.intensity, [[0.5, 0.525], [0.5, 0.15]], rtol=1e-12)


def test_herding_adds_w_h_times_the_other_provinces_mean() -> None:
    """zbar_{-p,s}: the mean of the other provinces' intensities last year. Three
    provinces in the non-strategic sector at 0, 0.6, 0.3 (tournament off):
    p0: z* = 0.15 + 0.3 * 0.45 = 0.285  -> z = 0 + 0.5 (0.285 - 0)     = 0.1425
    p1: z* = 0.15 + 0.3 * 0.15 = 0.195  -> z = 0.6 + 0.5 (0.195 - 0.6) = 0.3975
    p2: z* = 0.15 + 0.3 * 0.30 = 0.24   -> z = 0.3 + 0.5 (0.24 - 0.3)  = 0.27."""
    start = np.array([[0.0, 0.0], [0.0, 0.6], [0.0, 0.3]])
    prov = _prov(intensity=start)
    provinces.set_subsidies(prov, STRATEGIC, np.ones(2), 1.0, PP, _switches(tournament=False))
    np.testing.assert_allclose(prov.intensity[:, 1], [0.1425, 0.3975, 0.27], rtol=1e-12)
    off = _prov(intensity=start)
    provinces.set_subsidies(
        off, STRATEGIC, np.ones(2), 1.0, PP, _switches(tournament=False, herding=False)
    )
    np.testing.assert_allclose(off.intensity[:, 1], [0.075, 0.375, 0.225], rtol=1e-12)


def test_tournament_incentive_and_its_subsidy_term() -> None:
    """I_p = 4 P (1 - P) (1 + boost 1[last year]), P = logistic(a + b gbar), a = -1,
    b = 2.5, boost 0.5, term 5 years.
    p0: gbar = 0.4 (rel sum 0.8 over 2 years): P = 1/2, I = 1 (the promotion margin);
    p1: gbar = 0, P = logistic(-1) = 0.2689, I = 4 P (1 - P) = 0.7864;
    p2: gbar = 0.4 in the last year of its term (4 years in): I = 1.5.
    The tournament term w_t I_p R_s (herding off, sector 1 not strategic, R = (0.5, 0.5)):
    z* = 0.15 + 0.4 * 0.5 I_p, so z = 0.5 z* = 0.075 + 0.1 I_p."""
    prov = _prov(years=[2, 2, 4], rel_sum=[0.8, 0.0, 1.6])
    inc = provinces.set_subsidies(
        prov, STRATEGIC, np.full(2, 0.5), 1.0, PP, _switches(herding=False)
    )
    p1 = _logistic(-1.0)
    np.testing.assert_allclose(inc, [1.0, 4 * p1 * (1 - p1), 1.5], rtol=1e-12)
    np.testing.assert_allclose(prov.intensity[:, 1], 0.075 + 0.1 * inc, rtol=1e-12)
    # no prospect (R = 0): the tournament adds nothing
    flat = _prov(years=[2, 2, 4], rel_sum=[0.8, 0.0, 1.6])
    provinces.set_subsidies(flat, STRATEGIC, np.zeros(2), 1.0, PP, _switches(herding=False))
    np.testing.assert_allclose(flat.intensity[:, 1], 0.075, rtol=1e-12)
    # tournament off: I = 0
    off = _prov(years=[2, 2, 4], rel_sum=[0.8, 0.0, 1.6])
    inc_off = provinces.set_subsidies(
        off, STRATEGIC, np.full(2, 0.5), 1.0, PP, _switches(herding=False, tournament=False)
    )
    np.testing.assert_array_equal(inc_off, 0.0)


def test_target_is_clipped_to_one() -> None:
    """z* = clip(..., 0, 1): m = 3 on a strategic sector gives 3 * 0.5 = 1.5 -> 1, so
    z = 0 + 0.5 * 1 = 0.5 (not 0.75)."""
    prov = _prov()
    provinces.set_subsidies(
        prov, STRATEGIC, np.ones(2), 3.0, PP, _switches(herding=False, tournament=False)
    )
    np.testing.assert_allclose(prov.intensity[:, 0], 0.5)


def test_switch_off_sets_every_intensity_to_zero() -> None:
    """switches.subsidies off: z = 0 everywhere, whatever it was; incentives still come
    back (the tournament runs)."""
    prov = _prov(intensity=np.full((3, 2), 0.7), years=[1, 2, 3], rel_sum=[0.1, 0.2, 0.3])
    inc = provinces.set_subsidies(prov, STRATEGIC, np.ones(2), 1.0, PP, _switches(subsidies=False))
    np.testing.assert_array_equal(prov.intensity, 0.0)
    assert (inc > 0).all()


# ---------------------------------------------------------------- 7.3.5 fiscal limit


def test_fiscal_limit_hand_calculation() -> None:
    """B = phi GDP = 0.04 * 1000 = 40; room = max(0, 0.3 * 1000 - D).
    p0: D = 280, spend 100: room 20, D' = 280 + 100 - 40 = 340, f = min(1, 60 / 100) = 0.6.
    p1: D = 50, spend 10: D' = max(0, 50 + 10 - 40) = 20, f = min(1, 290 / 10) = 1.
    p2: D = 10, spend 0: D' = max(0, 10 - 40) = 0 (repaid), f = 1 (nothing spent).
    p3: D = 300 (no room), last f = 0.5, spend 100: the unscaled plan is 200,
    f = 40 / 200 = 0.2; D' = 300 + 100 - 40 = 360."""
    prov = _prov(p=4)
    prov.debt[:] = [280.0, 50.0, 10.0, 300.0]
    prov.fiscal_scale[:] = [1.0, 1.0, 1.0, 0.5]
    spend = np.array([100.0, 10.0, 0.0, 100.0])
    provinces.fiscal_limit(prov, spend, np.zeros(4), PP)
    np.testing.assert_allclose(prov.debt, [340.0, 20.0, 0.0, 360.0], rtol=1e-12)
    np.testing.assert_allclose(prov.fiscal_scale, [0.6, 1.0, 1.0, 0.2], rtol=1e-12)
    np.testing.assert_array_equal(prov.spend_prev, spend)


def test_rescues_are_paid_first_and_leave_the_rest_for_subsidies() -> None:
    """The province's part of rescues R is committed; subsidies get what is left of
    budget plus room: f = min(1, (B + room - R)^+ / unscaled subsidies). B = 40.
    p0: D = 280 (room 20), subsidies 50, rescues 20: D' = 280 + 70 - 40 = 310,
    f = (60 - 20) / 50 = 0.8.
    p1: D = 0 (room 300), subsidies 30, rescues 5: spending 35 < B, D' = 0, f = 1
    (spending within budget and room is not scaled).
    p2: D = 300 (no room), subsidies 10, rescues 50: D' = 320, f = (40 - 50)^+ / 10 = 0.
    p3: rescues but no subsidies planned: f = 1."""
    prov = _prov(p=4)
    prov.debt[:] = [280.0, 0.0, 300.0, 0.0]
    subsidies = np.array([50.0, 30.0, 10.0, 0.0])
    rescues = np.array([20.0, 5.0, 50.0, 30.0])
    provinces.fiscal_limit(prov, subsidies, rescues, PP)
    np.testing.assert_allclose(prov.debt, [310.0, 0.0, 320.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(prov.fiscal_scale, [0.8, 1.0, 0.0, 1.0], rtol=1e-12)
    np.testing.assert_array_equal(prov.spend_prev, subsidies + rescues)


def test_fiscal_scale_limits_next_years_intensities() -> None:
    """z_t = f_p [z_{t-1} + lambda (z* - z_{t-1})]: after the fiscal limit above
    (f = 0.6 in p0, 1 elsewhere), p0's intensities are 0.6 of the others':
    0.6 * 0.25 = 0.15 and 0.6 * 0.075 = 0.045."""
    prov = _prov()
    prov.debt[:] = [280.0, 50.0, 10.0]
    provinces.fiscal_limit(prov, np.array([100.0, 10.0, 0.0]), np.zeros(3), PP)
    provinces.set_subsidies(
        prov, STRATEGIC, np.ones(2), 1.0, PP, _switches(herding=False, tournament=False)
    )
    np.testing.assert_allclose(
        prov.intensity, [[0.15, 0.045], [0.25, 0.075], [0.25, 0.075]], rtol=1e-12
    )


# ---------------------------------------------------------------- 7.3.6 ranks and terms


def test_growth_rank_is_a_permutation_with_the_fastest_first() -> None:
    """rank 1 = fastest growing; ranks are a permutation of 1..P; ties keep the order of
    the provinces (stable sort)."""
    g = np.random.default_rng(0).normal(7.0, 2.0, 31)
    rank = provinces.growth_rank(g)
    assert sorted(rank.tolist()) == list(range(1, 32))
    assert rank[np.argmax(g)] == 1
    assert rank[np.argmin(g)] == 31
    # a higher growth never has a worse (larger) rank
    order = np.argsort(rank)
    assert (np.diff(g[order]) <= 0).all()
    np.testing.assert_array_equal(
        provinces.growth_rank(np.array([5.0, 9.0, 5.0, 1.0])), [2, 1, 3, 4]
    )


def test_relative_growth_is_in_peer_standard_deviations() -> None:
    """(g - mean) / sd: growth 6, 8, 10 -> mean 8, sd sqrt(8/3) -> -1.2247, 0, 1.2247;
    equal growth -> 0 (no division by zero)."""
    np.testing.assert_allclose(
        provinces.relative_growth(np.array([6.0, 8.0, 10.0])),
        [-math.sqrt(1.5), 0.0, math.sqrt(1.5)],
        rtol=1e-12,
    )
    np.testing.assert_array_equal(provinces.relative_growth(np.full(4, 7.0)), 0.0)


def test_advance_terms_promotes_only_at_term_end_and_resets_the_record() -> None:
    """Term 5 years. p0 has served 4 years, so its term ends this year: with a = 5,
    b = 10 and a term mean of (4 + 1.2247) / 5 = 1.045, P = logistic(15.45) ~ 1: promoted,
    and its record resets (0 years, sum 0). p1 and p2 (1 and 3 years in) go on:
    years + 1 and rel sum + this year's relative growth (0 and -1.2247 for growth 8 and
    6 among 6, 8, 10); no promotion however fast they grew."""
    prov = _prov(years=[4, 1, 3], rel_sum=[4.0, 2.0, 0.5])
    prov.growth[:] = [10.0, 8.0, 6.0]
    p = _params(promotion_intercept=5.0, promotion_slope=10.0)
    promoted = provinces.advance_terms(prov, p, np.random.default_rng(0))
    np.testing.assert_array_equal(promoted, [True, False, False])
    np.testing.assert_array_equal(prov.years_in_term, [0, 2, 4])
    np.testing.assert_allclose(prov.rel_growth_sum, [0.0, 2.0, 0.5 - math.sqrt(1.5)])


def test_promotion_share_follows_the_probability() -> None:
    """4000 officials at term end, all with term mean 0 (equal growth): P = logistic(-1)
    = 0.2689; the promoted share is within 5 sd (sqrt(P (1 - P) / n) = 0.0070) of it. With the
    lowest intercept (-5) and slope 0, P = logistic(-5) = 0.0067."""
    n = 4000
    prov = _prov(p=n, years=[4] * n, rel_sum=[0.0] * n)
    prov.growth[:] = 7.0
    promoted = provinces.advance_terms(prov, PP, np.random.default_rng(1))
    p = _logistic(-1.0)
    assert abs(promoted.mean() - p) < 5 * math.sqrt(p * (1 - p) / n)
    np.testing.assert_array_equal(prov.years_in_term, 0)
    prov = _prov(p=n, years=[4] * n, rel_sum=[0.0] * n)
    low = provinces.advance_terms(
        prov, _params(promotion_intercept=-5.0, promotion_slope=0.0), np.random.default_rng(2)
    )
    p = _logistic(-5.0)
    assert abs(low.mean() - p) < 5 * math.sqrt(p * (1 - p) / n)


def test_promotion_probability_formula() -> None:
    """P = logistic(a + b gbar): a = -1, b = 2.5 -> gbar = 0.4 gives 1/2, gbar = 0 gives
    0.2689."""
    np.testing.assert_allclose(
        provinces.promotion_probability(np.array([0.4, 0.0]), PP), [0.5, _logistic(-1.0)]
    )


@pytest.mark.parametrize("years", [0, 3])
def test_incentive_boost_only_in_the_last_year(years: int) -> None:
    """I = 4 P (1 - P) (1 + 0.5 1[years_in_term >= term - 1]): at the margin (P = 1/2),
    1 in years 0..3 of a 5-year term, 1.5 in year 4."""
    inc = provinces.tournament_incentive(np.array([0.4, 0.4]), np.array([years, 4]), PP, True)
    np.testing.assert_allclose(inc, [1.0, 1.5], rtol=1e-12)


# ---------------------------------------------------------------- the race


def test_race_hand_calculation() -> None:
    """K_ps = psi I_p f_p A_s a_s D_s / P: psi = 0.2, P = 2, I = (1, 0.5), f = (1, 0.8),
    sector 0 strategic with D = 100, approvals 1; sector 1 not strategic.
    K_00 = 0.2 * 1 * 100 / 2 = 10, K_10 = 0.2 * 0.4 * 100 / 2 = 4; spending c k K with
    c = 0.3, k = 2: 6 and 2.4; nothing in sector 1."""
    p = _params(race_rate=0.2, race_max_share=0.5)
    k, x = provinces.race(
        incentive=np.array([1.0, 0.5]),
        fiscal_scale=np.array([1.0, 0.8]),
        gdp=np.array([1000.0, 1000.0]),
        strategic=STRATEGIC,
        approval=np.ones(2),
        market=np.array([100.0, 100.0]),
        capex=np.array([2.0, 2.0]),
        deal_share=np.full((2, 2), 0.3),
        p=p,
    )
    np.testing.assert_allclose(k, [[10.0, 0.0], [4.0, 0.0]])
    np.testing.assert_allclose(x, [[6.0, 0.0], [2.4, 0.0]])


def test_race_is_bounded_by_a_share_of_provincial_gdp() -> None:
    """b = 0.001, GDP = 1000: at most 1 spent; the first province wanted 6, so its
    capacity and spending are scaled by 1/6; the second wanted 2.4 -> scaled by 1/2.4.
    With no incentive (tournament off) there is no race at all."""
    p = _params(race_rate=0.2, race_max_share=0.001)
    args = dict(
        fiscal_scale=np.array([1.0, 0.8]),
        gdp=np.array([1000.0, 1000.0]),
        strategic=STRATEGIC,
        approval=np.ones(2),
        market=np.array([100.0, 100.0]),
        capex=np.array([2.0, 2.0]),
        deal_share=np.full((2, 2), 0.3),
        p=p,
    )
    k, x = provinces.race(incentive=np.array([1.0, 0.5]), **args)  # type: ignore[arg-type]
    np.testing.assert_allclose(x.sum(axis=1), [1.0, 1.0])
    np.testing.assert_allclose(k[:, 0], [10.0 / 6.0, 4.0 / 2.4])
    k0, x0 = provinces.race(incentive=np.zeros(2), **args)  # type: ignore[arg-type]
    assert not k0.any() and not x0.any()


def test_deal_share_is_the_race_deal_or_the_ordinary_capex_subsidy() -> None:
    """c = max(theta, z s_k): theta = 0.3, s_k = 0.3: z = 0.5 -> 0.3; s_k = 0.8, z = 0.5
    -> 0.4."""
    assert provinces.deal_share(np.array([0.5]), _params(race_capex_share=0.3))[0] == 0.3
    got = provinces.deal_share(np.array([0.5]), _params(max_capex_subsidy=0.8))[0]
    assert got == pytest.approx(0.4)
