"""Export demand with freight per unit (engine/market.py: export_demand)."""

from __future__ import annotations

import numpy as np

from overcap.engine import market
from tests.engine.tiny import no_exports


def _exports(price: float, freight: float, duty: float = 0.0) -> float:
    """China's share of a unit foreign market; normal price 100, foreign cost at its
    reference (r = 1.2), base share 0.05, elasticity 5, cap 0.8."""
    p_n = np.array([100.0])
    terms = market.ExportTerms(
        market=np.array([1.0]),
        foreign_cost=1.2 * p_n,
        ref_ratio=np.array([1.2]),
        duty=np.array([duty]),
        share0=np.array([0.05]),
        sigma=5.0,
        cap=0.8,
        p_norm=p_n,
        freight=np.array([freight]),
    )
    x = market.export_demand(terms, np.array([price]))
    return float(x[0])


def test_an_aggregate_partners_measure_covers_only_its_filing_members() -> None:
    """Two partners with a unit market each, the second an aggregate whose measure of
    0.3 (on top of a scripted 0.1) covers a quarter of its market: X_2 = 0.25 share(0.4)
    + 0.75 share(0.1); the country's whole market faces its measure; cover 1 is the
    plain rule."""
    p_n = np.array([100.0])
    duty = np.array([[0.4], [0.4]])
    terms = market.ExportTerms(
        market=np.ones((2, 1)),
        foreign_cost=1.2 * p_n,
        ref_ratio=np.array([1.2]),
        duty=duty,
        share0=np.array([0.05]),
        sigma=5.0,
        cap=0.8,
        p_norm=p_n,
        freight=np.array([0.0]),
        measure=np.array([[0.3], [0.3]]),
        cover=np.array([[1.0], [0.25]]),
    )
    x = market.export_demand(terms, np.array([60.0]))
    full, part = 0.05 * (1.4 * 0.6) ** -5.0, 0.05 * (1.1 * 0.6) ** -5.0
    np.testing.assert_allclose(x[:, 0], [full, 0.25 * full + 0.75 * part])
    from dataclasses import replace

    plain = market.export_demand(replace(terms, measure=None, cover=None), np.array([60.0]))
    np.testing.assert_allclose(plain[:, 0], [full, full])
    # the duty over each whole market, as the record reports it: 0.4 and 0.4 - 0.75 x 0.3
    np.testing.assert_allclose(terms.market_duty()[:, 0], [0.4, 0.175])
    assert replace(terms, cover=None).market_duty() is terms.duty


def test_at_the_normal_price_the_share_is_the_base_share_whatever_the_freight() -> None:
    for phi in (0.0, 0.07, 0.5):
        assert np.isclose(_exports(100.0, phi), 0.05)


def test_without_freight_the_term_is_plain_armington() -> None:
    assert np.isclose(_exports(60.0, 0.0), 0.05 * 0.6**-5.0)
    assert np.isclose(_exports(60.0, 0.0, duty=0.25), 0.05 * (1.25 * 0.6) ** -5.0)


def test_freight_per_unit_damps_exports_in_a_glut() -> None:
    """A price cut of 40% cuts the delivered price by 40% / (1 + phi): the heavier the good
    for its value, the fewer extra exports a glut sells abroad (Hummels and Skiba 2004)."""
    light, steel, coal = (_exports(60.0, phi) for phi in (0.0, 0.07, 0.2))
    assert light > steel > coal > 0.05
    assert np.isclose(coal, 0.05 * ((60.0 + 20.0) / 120.0) ** -5.0)


def test_freight_raises_exports_less_when_the_price_rises() -> None:
    """Symmetrically, a price above normal loses fewer foreign buyers when freight is a
    larger part of the delivered price."""
    assert _exports(140.0, 0.2) > _exports(140.0, 0.0)


def _tiny_market(floor: float, evasion: float) -> market.Clearing:
    """Two sectors at normal price 1, inelastic home demand (12 and 5), no exports, no
    overtime tranche (u_n = 1). Steel: a state-owned firm that must run 8 of its 10 units
    at cost 0.9, and a private firm with 10 units at cost 0.5. Cement: one private firm
    with 10 units at cost 0.6, under a price floor."""
    one2 = np.ones(2)
    offer = market.Offer(
        sector_i=np.array([0, 0, 1], dtype=np.intp),
        mc_i=np.array([0.9, 0.5, 0.6]),
        must_i=np.array([8.0, 0.0, 0.0]),
        capacity_i=np.array([10.0, 10.0, 10.0]),
        fixed_s=np.zeros(2),
        normal_util=1.0,
        overtime_premium=0.0,
    )
    curve = market.DemandCurve(
        base=np.array([12.0, 5.0]),
        p_norm=one2,
        elasticity=np.zeros(2),
        exports=no_exports(2),
    )
    rule = market.PriceRule(
        lo=0.2, hi=3.0, floor_s=np.array([0.0, floor]), evasion_s=np.array([0.0, evasion])
    )
    return market.clear(offer, curve, rule)


def test_must_run_supply_clears_below_its_own_cost() -> None:
    """Steel: must-run output 8 is offered whatever the price; the remaining demand of 4
    is met by the cheapest flexible capacity (cost 0.5), so the price is 0.5 (to within
    one cost bin) although the state-owned firm's cost is 0.9: it runs at a loss, and
    its own flexible tranche (cost 0.9) stays idle."""
    clr = _tiny_market(floor=0.0, evasion=0.0)
    width = market.COST_SPAN / market.N_BINS
    assert 0.5 <= clr.price[0] < 0.5 + width
    assert np.allclose(clr.output[:2], [8.0, 4.0], rtol=1e-12)
    assert np.isclose(clr.sales[0], 12.0) and np.isclose(clr.sold_share[0], 1.0)
    # cement without a floor: the cheapest capacity again sets the price
    assert 0.6 - width <= clr.price[1] < 0.6 + width
    assert np.isclose(clr.output[2], 5.0)


def test_price_floor_with_evasion_raises_the_price_and_idles_the_rest() -> None:
    """Cement under a floor F = 0.8 with evasion e = 0.25: the realised price is
    p* + (1 - e)(F - p*) with p* ~ 0.6 the clearing price. Every unit costs less than that
    price, but demand (5, inelastic) buys only 5: the firm, free to choose, produces what
    sells (5) and leaves the rest of its capacity idle; nothing is stocked."""
    clr = _tiny_market(floor=0.8, evasion=0.25)
    p_star = clr.clearing_price[1]
    width = market.COST_SPAN / market.N_BINS
    assert abs(p_star - 0.6) < width
    assert np.isclose(clr.price[1], p_star + 0.75 * (0.8 - p_star), rtol=1e-12)
    assert np.isclose(clr.output[2], 5.0)
    assert np.isclose(clr.sales[1], 5.0) and np.isclose(clr.sold_share[1], 1.0)
    assert not clr.glut[1]
    # the floor in cement leaves steel's market alone
    assert clr.price[0] == _tiny_market(0.0, 0.0).price[0]


def _one_sector(
    demand: float,
    private_cost: float,
    lo: float,
    prev: float | None = None,
    adjustment: float = 1.0,
    floor: float = 0.0,
    evasion: float = 0.0,
) -> market.Clearing:
    """One sector at normal price 1, inelastic demand, prices within [lo, 3]. A state-owned
    firm must run 8 of its 10 units at cost 0.9; a private firm has 10 units at
    ``private_cost``. Last year's price ``prev`` (None: no memory); the year's price moves
    ``adjustment`` of the way from it to the clearing price."""
    offer = market.Offer(
        sector_i=np.array([0, 0], dtype=np.intp),
        mc_i=np.array([0.9, private_cost]),
        must_i=np.array([8.0, 0.0]),
        capacity_i=np.array([10.0, 10.0]),
        fixed_s=np.zeros(1),
        normal_util=1.0,
        overtime_premium=0.0,
    )
    curve = market.DemandCurve(
        base=np.array([demand]), p_norm=np.ones(1), elasticity=np.zeros(1), exports=no_exports(1)
    )
    rule = market.PriceRule(
        lo=lo,
        hi=3.0,
        floor_s=np.array([floor]),
        evasion_s=np.array([evasion]),
        prev_s=None if prev is None else np.array([prev]),
        adjustment=adjustment,
    )
    return market.clear(offer, curve, rule)


def _sticky_market(
    demand: float, prev: float, adjustment: float, floor: float = 0.0, evasion: float = 0.0
) -> market.Clearing:
    """The private firm's cost is 0.5, the bounds 0.2-3 (:func:`_one_sector`)."""
    return _one_sector(demand, 0.5, 0.2, prev, adjustment, floor, evasion)


def test_adjusted_price_moves_a_share_of_the_way_from_last_year() -> None:
    """p = lambda p* + (1 - lambda) p_prev, last year's price taken within this year's
    bounds; lambda = 1 or no memory is the clearing price itself."""
    p_clear, lo, hi = np.array([0.6, 2.0]), np.array([0.5, 0.5]), np.array([2.5, 2.5])
    prev = np.array([1.0, 4.0])
    assert np.allclose(market.adjusted_price(p_clear, prev, 0.5, lo, hi), [0.8, 2.25])
    assert market.adjusted_price(p_clear, prev, 1.0, lo, hi) is p_clear
    assert market.adjusted_price(p_clear, None, 0.5, lo, hi) is p_clear
    assert np.allclose(market.adjusted_price(p_clear, prev, 0.0, lo, hi), [1.0, 2.5])


def test_a_price_above_the_clearing_price_rations_sellers() -> None:
    """After a dear year (prev 1.5) in a market that clears at 0.5 (demand 12: must-run 8
    plus 4 of the private firm's capacity at cost 0.5), half-way adjustment sets the price
    at about 1.0. Demand (inelastic) still buys 12: the private firm, free to choose,
    sells 4 and leaves 6 idle although the price covers its cost, as under a floor."""
    clr = _sticky_market(demand=12.0, prev=1.5, adjustment=0.5)
    width = market.COST_SPAN / market.N_BINS
    assert abs(clr.clearing_price[0] - 0.5) < width
    assert np.isclose(clr.price[0], 0.5 * clr.clearing_price[0] + 0.75, rtol=1e-12)
    assert np.allclose(clr.output, [8.0, 4.0])
    assert np.isclose(clr.sales[0], 12.0) and np.isclose(clr.sold_share[0], 1.0)
    # full adjustment is the clearing price, whatever last year's
    assert clr.price[0] > _sticky_market(12.0, 1.5, 1.0).price[0]
    assert _sticky_market(12.0, 1.5, 1.0).price[0] == clr.clearing_price[0]


def test_a_floor_binds_on_the_adjusted_price() -> None:
    """Clearing price 0.5, last year's 0.6, half-way adjustment: 0.55. A floor of 0.8 with
    half its gap evaded lifts it to 0.55 + 0.5 (0.8 - 0.55) = 0.675; a floor below the
    adjusted price leaves it alone."""
    clr = _sticky_market(demand=12.0, prev=0.6, adjustment=0.5, floor=0.8, evasion=0.5)
    adjusted = 0.5 * clr.clearing_price[0] + 0.3
    assert np.isclose(clr.price[0], adjusted + 0.5 * (0.8 - adjusted), rtol=1e-12)
    low = _sticky_market(demand=12.0, prev=0.6, adjustment=0.5, floor=0.52, evasion=0.5)
    assert np.isclose(low.price[0], adjusted, rtol=1e-12)


def test_a_price_below_the_clearing_price_rations_buyers() -> None:
    """Demand 25 exceeds all 20 units even at the scarcity price (3); after a normal year
    (prev 1) half-way adjustment sets the price at 2. Every unit's cost is covered, so
    both firms run in full and sell everything; buyers get 20 of the 25 they want."""
    clr = _sticky_market(demand=25.0, prev=1.0, adjustment=0.5)
    assert np.isclose(clr.clearing_price[0], 3.0)
    assert np.isclose(clr.price[0], 2.0)
    assert np.allclose(clr.output, [10.0, 10.0])
    assert np.isclose(clr.sales[0], 20.0) and np.isclose(clr.sold_share[0], 1.0)
    assert np.isclose(clr.demand_at_price[0], 25.0)


def _glut_market(demand: float) -> market.Clearing:
    """Distress price 0.5; the private firm's cost, 0.3, is below it (:func:`_one_sector`)."""
    return _one_sector(demand, 0.3, 0.5)


def test_in_a_glut_flexible_firms_produce_only_what_sells() -> None:
    """Demand 10 at the distress price, must-run 8, a flexible firm whose cost (0.3) is
    below the distress price (0.5): the price sits at the distress bound, and the
    flexible firm produces the 2 units demand leaves, not its 10 (no firm free to choose
    produces for the warehouse); everything produced is sold."""
    clr = _glut_market(demand=10.0)
    assert np.isclose(clr.price[0], 0.5)
    assert np.allclose(clr.output, [8.0, 2.0])
    assert np.isclose(clr.sold_share[0], 1.0)


def test_in_a_glut_deeper_than_must_run_only_must_run_output_is_unsold() -> None:
    """Demand 6 below the must-run output 8: the flexible firm produces nothing, and the
    glut's unsold output (2) is the must-run firm's alone."""
    clr = _glut_market(demand=6.0)
    assert np.isclose(clr.price[0], 0.5)
    assert np.allclose(clr.output, [8.0, 0.0])
    assert np.isclose(clr.sales[0], 6.0)
    assert np.isclose(clr.sold_share[0], 6.0 / 8.0)


def test_must_run_output_takes_off_a_share_of_the_stock() -> None:
    """M_i = max(target - a inv_i, 0): the stock on hand cuts the output target by the
    adjustment share, never below zero; no stock or a = 0 leaves the target."""
    target = np.array([8.0, 8.0, 8.0, 0.0])
    inv = np.array([0.0, 4.0, 40.0, 3.0])
    assert np.allclose(market.must_run_output(target, inv, 0.5), [8.0, 6.0, 0.0, 0.0])
    assert np.allclose(market.must_run_output(target, inv, 0.0), target)


def test_must_run_output_stops_when_the_warehouse_is_full() -> None:
    """C_i = (1 + h) sigma_s K_i - inv_i (market.stock_ceiling). sigma = 0.5, h = 0.1,
    K = 10: a firm can sell 5 at last year's pace and hold 0.5 more. With no stock the
    ceiling is 5.5, below a target of 8; with a stock of 2 it is 3.5, and the target less
    a x inv = 8 - 0.5 * 2 = 7 is cut to 3.5; a stock of 6 leaves no room (0); a target
    of 3 below the ceiling stands."""
    cap = np.full(4, 10.0)
    inv = np.array([0.0, 2.0, 6.0, 0.0])
    ceil = market.stock_ceiling(np.full(4, 0.5), cap, inv, 0.1)
    np.testing.assert_allclose(ceil, [5.5, 3.5, -0.5, 5.5], rtol=1e-12)
    target = np.array([8.0, 8.0, 8.0, 3.0])
    np.testing.assert_allclose(
        market.must_run_output(target, inv, 0.5, ceil), [5.5, 3.5, 0.0, 3.0], rtol=1e-12
    )
    # without a ceiling only the stock adjustment applies
    np.testing.assert_allclose(market.must_run_output(target, inv, 0.5), [8.0, 7.0, 5.0, 3.0])
