"""Export demand with freight per unit (engine/market.py: export_demand)."""

from __future__ import annotations

import numpy as np

from overcap.engine import market


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
