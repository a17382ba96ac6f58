"""Unit tests of trade defence and own learning (engine/trade.py, accounts.learning_factors,
inputs._cumulative_by_origin; docs/ODD.md 7.8.3 and 7.11) on hand-built arrays."""

from __future__ import annotations

import numpy as np
import pytest

import overcap
from overcap.engine import accounts, inputs, population, trade
from overcap.engine.state import SectorConst
from tests.engine import tiny


def _a(*x: float) -> np.ndarray:
    return np.array(x, dtype=float)


# ------------------------------------------------------- dumping and injury (7.11.3)


def test_dumping_margin_is_price_below_chinas_own_cost() -> None:
    """m = max(0, (c - p) / c): price 60 on cost 100 -> 0.4; price equal to cost or above
    it -> 0 (home and export price are the same, so only sales below cost are dumping);
    no output (cost 0) -> 0. Foreign producers' cost does not enter."""
    m = trade.dumping_margin(_a(60.0, 100.0, 130.0, 5.0), _a(100.0, 100.0, 100.0, 0.0))
    np.testing.assert_allclose(m, [0.4, 0.0, 0.0, 0.0], atol=1e-15)


def test_injury_margin_is_undercutting_of_the_partners_cost() -> None:
    """u = max(0, (c^f - (p + phi p^n)(1 + tau)) / c^f). Partner 0: p 80, p^n 100, phi 0.05,
    tau 0.1, c^f 120 -> landed 93.5, u = 26.5 / 120; partner 1 with c^f 90 -> 0."""
    u = trade.injury_margin(
        _a(80.0), _a(100.0), _a(0.05), np.array([[0.1], [0.1]]), np.array([[120.0], [90.0]])
    )
    np.testing.assert_allclose(u, [[26.5 / 120.0], [0.0]], rtol=1e-12)


def _defend(margin: np.ndarray, injury: np.ndarray, **over: object) -> tuple:
    """The tiny world's partners (J = 10) x 2 sectors with propensity 1 and a hazard of
    about 1 (intercept 5, 50 per unit margin), so a case opens wherever the law allows."""
    sc = tiny.scenario(**{"trade.defence_intercept": 5.0, "trade.defence_dumping": 50.0, **over})
    pd_ = tiny.partners()
    pd_ = trade.PartnerData(**{**pd_.__dict__, "propensity": np.ones(len(pd_.ids))})
    J, S = len(pd_.ids), 2
    ts = trade.TradeState.empty(J, S)
    opened = trade.defend(
        ts,
        np.zeros((J, S)),
        np.ones((J, S), dtype=bool),
        margin,
        np.broadcast_to(injury, (J, S)).copy(),
        pd_,
        sc,
        np.random.default_rng(0),
    )
    return ts, opened, sc


def test_a_case_needs_dumping_above_de_minimis_and_injury() -> None:
    """Sector 0: margin 0.3, injury 0.2 -> opened, duty d0 + d1 min(0.3, 0.2) (lesser duty);
    sector 1 variants: no dumping, de minimis dumping (0.01 < 0.02), or no injury -> none."""
    for m1, u1 in ((0.0, 0.5), (0.01, 0.5), (0.5, 0.0)):
        ts, opened, sc = _defend(_a(0.3, m1), _a(0.2, u1))
        assert opened[:, 0].all()
        assert not opened[:, 1].any(), (m1, u1)
        t = sc.trade
        np.testing.assert_allclose(
            ts.measure_duty[:, 0], t.measure_duty + t.measure_duty_per_margin * 0.2
        )
        assert (ts.years_left[:, 0] == t.measure_years).all()


def test_sunset_review_lapses_when_the_margin_closes() -> None:
    """A measure at its review (years_left 1) with renewal probability 1: renewed for a
    full term where dumping and injury persist (sector 0), lapsed where the margin is 0
    (sector 1), and not re-opened in the same year."""
    sc = tiny.scenario(**{"trade.renewal_probability": 1.0})
    pd_ = tiny.partners()
    J, S = len(pd_.ids), 2
    ts = trade.TradeState.empty(J, S)
    ts.in_force[:] = True
    ts.measure_duty[:] = 0.4
    ts.years_left[:] = 1
    trade.defend(
        ts,
        np.zeros((J, S)),
        np.ones((J, S), dtype=bool),
        _a(0.2, 0.0),
        np.full((J, S), 0.3),
        pd_,
        sc,
        np.random.default_rng(0),
    )
    assert ts.in_force[:, 0].all() and (ts.years_left[:, 0] == sc.trade.measure_years).all()
    assert not ts.in_force[:, 1].any() and (ts.measure_duty[:, 1] == 0).all()


def test_the_hazard_rises_with_the_injury_margin() -> None:
    """h = a logistic(b0 + b_inj u) with everything else 0: over many draws the share of
    cases opened at u = 0.5 exceeds that at u = 0.05, and matches the logistic."""
    sc = tiny.scenario(**{"trade.defence_intercept": -3.0, "trade.defence_dumping": 0.0})
    pd_ = tiny.partners()
    pd_ = trade.PartnerData(**{**pd_.__dict__, "propensity": np.ones(len(pd_.ids))})
    J, S, n = len(pd_.ids), 2, 400
    rng = np.random.default_rng(1)
    hits = np.zeros(S)
    for _ in range(n):
        ts = trade.TradeState.empty(J, S)
        inj = np.tile(_a(0.05, 0.5), (J, 1))
        opened = trade.defend(
            ts, np.zeros((J, S)), np.ones((J, S), dtype=bool), _a(0.1, 0.1), inj, pd_, sc, rng
        )
        hits += opened.sum(axis=0)
    share = hits / (n * J)
    b = sc.trade.defence_injury
    expect = 1.0 / (1.0 + np.exp(-(-3.0 + b * _a(0.05, 0.5))))
    assert share[1] > 2 * share[0]
    np.testing.assert_allclose(share, expect, atol=0.03)


# ------------------------------------------------------- own learning (7.8.3)


def test_learning_factors_world_and_own() -> None:
    """w = 1: both factors are world learning (X^cn + X^f) / (A^cn + A^f). w = 0: each on
    its own: doubling China's output with foreign output fixed multiplies China's cost by
    (1 - lr) = 0.8 and leaves the foreign cost as it was, so China's relative cost falls."""
    b = np.log2(1.0 - 0.2)
    cn, f, a_cn, a_f = _a(100.0, 200.0), _a(300.0, 300.0), _a(100.0, 100.0), _a(300.0, 300.0)
    lc, lf = accounts.learning_factors(cn, f, a_cn, a_f, b, 1.0)
    world = accounts.learning_factor(cn + f, a_cn + a_f, b)
    np.testing.assert_allclose(lc, world, rtol=1e-12)
    np.testing.assert_allclose(lf, world, rtol=1e-12)
    lc, lf = accounts.learning_factors(cn, f, a_cn, a_f, b, 0.0)
    np.testing.assert_allclose(lc, [1.0, 0.8], rtol=1e-12)
    np.testing.assert_allclose(lf, [1.0, 1.0], rtol=1e-12)
    # with spillovers w = 0.5: E^cn = 200 + 150 = 350 over 100 + 150 = 250
    lc, lf = accounts.learning_factors(cn, f, a_cn, a_f, b, 0.5)
    np.testing.assert_allclose(lc[1], (350.0 / 250.0) ** b, rtol=1e-12)
    np.testing.assert_allclose(lf[1], (400.0 / 350.0) ** b, rtol=1e-12)


def test_cumulative_split_by_origin() -> None:
    """China's share of the start stock is (D^cn + k0 a M) / (D^cn + M) in the first
    active year, at its start presence k0 (ODD 7.11.5); its share of the anchor is
    china_cum_share; both splits sum to the world."""
    sc = overcap.load_scenario("baseline", calibrated=False)
    inp = inputs.build_inputs(sc)
    np.testing.assert_allclose(
        inp.cum_china_start + inp.cum_foreign_start, inp.cum_world_start, rtol=1e-12
    )
    np.testing.assert_allclose(
        inp.cum_china_anchor + inp.cum_foreign_anchor, inp.cum_world_anchor, rtol=1e-12
    )
    share = np.array([sc.sectors[s].china_cum_share for s in sc.sector_ids])
    np.testing.assert_allclose(inp.cum_china_anchor / inp.cum_world_anchor, share, rtol=1e-12)
    j = sc.sector_ids.index("steel")
    d, m = inp.china_demand[0, j], inp.foreign_demand[0, j]
    a = sc.sectors["steel"].export_share * inp.presence_start[j]
    assert inp.presence_start[j] == sc.sectors["steel"].presence_start < 1.0  # session 49
    assert inp.cum_china_start[j] / inp.cum_world_start[j] == pytest.approx((d + a * m) / (d + m))


def test_switch_off_own_learning_keeps_the_2023_cost_ratio() -> None:
    """With switches.own_learning off both sides learn on world output: the initial factors
    are equal, so foreign cost is r_s x_js times China's normal price as before; with it on,
    China's smaller share of cumulative output at the start than in 2023 makes its
    relative cost higher at the start in solar (foreign / China factor below 1)."""
    off = overcap.load_scenario("baseline", {"switches.own_learning": False}, calibrated=False)
    inp = inputs.build_inputs(off)
    k = SectorConst.from_scenario(off)
    lc, lf = population.initial_learning(off, inp, k)
    np.testing.assert_array_equal(lc, lf)
    on = overcap.load_scenario("baseline", calibrated=False)
    lc, lf = population.initial_learning(on, inputs.build_inputs(on), k)
    j = on.sector_ids.index("solar_pv")
    assert lf[j] / lc[j] < 1.0


def test_learn_moves_both_sides_on_their_own_output() -> None:
    """accounts.learn on the tiny world (learning rate 0.2 in both sectors, spillover 0):
    China's and foreign cumulative outputs grow by their own output, and with the switch
    off the foreign factor is the world factor."""
    from overcap.engine import year as _year  # noqa: F401  (the phases import their modules)

    st, ctx = tiny.world(tiny.scenario(**{"trade.learning_spillover": 0.0}))
    yr = ctx.begin(st)
    b = np.full(2, np.log2(0.8))
    yr = _with(yr, const=SectorConst(**{**yr.const.__dict__, "learning_exp": b}))

    class P:  # a Production with only what learn reads
        output_s = _a(500.0, 0.0)

        class clearing:  # noqa: N801
            exports_by_partner = np.zeros((len(yr.partners.ids), 2))

    foreign = accounts.learn(st, yr, P())  # type: ignore[arg-type]
    np.testing.assert_allclose(foreign, 0.0)  # the tiny partners have no market
    np.testing.assert_allclose(st.sectors.cum_china, [1000.0, 500.0])
    np.testing.assert_allclose(st.sectors.cum_foreign, [500.0, 500.0])
    np.testing.assert_allclose(st.sectors.learning, [0.8, 1.0], rtol=1e-12)
    np.testing.assert_allclose(st.sectors.learning_foreign, [1.0, 1.0], rtol=1e-12)
    st, ctx = tiny.world(tiny.scenario(**{"switches.own_learning": False}))
    yr = _with(ctx.begin(st), const=SectorConst(**{**yr.const.__dict__, "learning_exp": b}))
    accounts.learn(st, yr, P())  # type: ignore[arg-type]
    np.testing.assert_allclose(st.sectors.learning, [1.5 ** b[0], 1.0], rtol=1e-12)
    np.testing.assert_array_equal(st.sectors.learning_foreign, st.sectors.learning)


def _with(yr: object, **kw: object) -> object:
    import dataclasses

    return dataclasses.replace(yr, **kw)  # type: ignore[type-var]


def test_only_the_aggregate_partners_measure_is_partial() -> None:
    """demand.this_year: with trade.aggregate_coverage c < 1 the export terms carry the
    measures in force and cover c for ROW (the one aggregate in partners_meta.csv), 1
    for the countries; with c = 1 they carry neither (the plain rule, bit for bit)."""
    from overcap.engine import centre, demand

    assert [
        j
        for j, a in zip(trade.PARTNERS, trade.PartnerData.load(["steel"]).aggregate, strict=True)
        if a
    ] == ["ROW"]
    for c in (0.3, 1.0):
        st, ctx = tiny.world(tiny.scenario(**{"trade.aggregate_coverage": c}))
        st.trade.in_force[:, 0] = True
        st.trade.measure_duty[:, 0] = 0.25
        yr = ctx.begin(st)
        x = demand.this_year(st, yr, centre.set_policy(st, yr)).curve.exports
        if c == 1.0:
            assert x.cover is None and x.measure is None
            continue
        assert x.cover is not None and x.measure is not None
        row = list(trade.PARTNERS).index("ROW")
        want = np.ones(len(trade.PARTNERS))
        want[row] = c
        np.testing.assert_array_equal(x.cover[:, 0], want)
        np.testing.assert_array_equal(x.measure, np.where(st.trade.in_force, 0.25, 0.0))


def test_negligible_exports_open_no_case() -> None:
    """art. 5.8: a case may open only where China exports and holds at least the
    negligible share of the partner's market (3% by default); 0 lets any exports in."""
    exports = np.array([[0.0, 1.0, 1.0, 1.0]])
    share = np.array([[0.5, 0.002, 0.03, 0.4]])
    np.testing.assert_array_equal(
        trade.non_negligible(exports, share, 0.03), [[False, False, True, True]]
    )
    np.testing.assert_array_equal(
        trade.non_negligible(exports, share, 0.0), [[False, True, True, True]]
    )


def test_no_measure_opens_on_a_negligible_share(baseline: overcap.Result) -> None:
    """In the baseline, every measure opened (new_measure) is on a partner-sector whose
    China share that year is at least trade.negligible_share."""
    t = baseline.trade
    floor = baseline.scenario.trade.negligible_share
    opened = t[t["new_measure"] > 0]
    assert len(opened) > 0
    assert (opened["china_share"] >= floor).all(), opened[opened["china_share"] < floor]


def test_a_case_needs_the_partners_output_to_have_fallen() -> None:
    """art. 3.4, session 33: a case may open only where the partner's producers' output
    grew by less than trade.injury_output_growth over the year (0: it fell), or was nil
    the year before (retardation of an industry's establishment, art. 3 note 9); 1e9
    lets any change through (the rule before session 33)."""
    now = np.array([[90.0, 100.0, 105.0, 5.0, 1e6]])
    before = np.array([[100.0, 100.0, 100.0, 0.0, 1.0]])
    np.testing.assert_array_equal(
        trade.output_declined(now, before, 0.0), [[True, False, False, True, False]]
    )
    np.testing.assert_array_equal(
        trade.output_declined(now, before, 0.06), [[True, True, True, True, False]]
    )
    np.testing.assert_array_equal(
        trade.output_declined(now, before, 1e9), [[True, True, True, True, True]]
    )


def test_no_measure_opens_while_the_partners_output_grows(baseline: overcap.Result) -> None:
    """In the baseline, every measure opened (new_measure) is on a partner-sector whose
    producers' output (partner_output) grew by less than trade.injury_output_growth
    since the year before; and the rule bites: some partner-sector-years with dumping
    and a non-negligible share see their partner's output grow."""
    t = baseline.trade.sort_values(["partner", "sector", "year"])
    g = baseline.scenario.trade.injury_output_growth
    prev = t.groupby(["partner", "sector"])["partner_output"].shift(1)
    grew = (t["partner_output"] >= (1.0 + g) * prev) & (prev > 0)
    opened = t["new_measure"] > 0
    assert opened.sum() > 0
    assert not (opened & grew).any(), t[opened & grew]
    floor = baseline.scenario.trade.negligible_share
    blocked = grew & (t["dumping_margin"] > 0.02) & (t["china_share"] >= floor)
    assert blocked.sum() > 0
