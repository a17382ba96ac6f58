"""World input prices in variable cost (engine/inputs.py: input_cost_factor)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import overcap
from overcap.engine.inputs import input_cost_factor
from overcap.scenario import data_path

YEARS = np.arange(1990, 2031)


def _prices() -> dict[tuple[str, int], float]:
    with data_path("input_prices.csv").open(newline="", encoding="utf-8") as fh:
        return {(r["input"], int(r["year"])): float(r["price"]) for r in csv.DictReader(fh)}


def test_the_factor_is_one_in_2023_and_for_sectors_without_world_inputs() -> None:
    m = input_cost_factor(YEARS, ["steel", "refining", "solar_pv", "coal"])
    assert np.allclose(m[YEARS == 2023], 1.0)
    assert np.allclose(m[:, 2:], 1.0)


def test_the_factor_deflates_the_input_price_to_2023_dollars() -> None:
    """Steel in 2015: 1 + 0.43 (real ore price 2015 / ore price 2023 - 1), the 2015 price
    in 2023 dollars by the CPI ratio."""
    p = _prices()
    real_2015 = p["iron_ore", 2015] * p["us_cpi", 2023] / p["us_cpi", 2015]
    expected = 1.0 + 0.43 * (real_2015 / p["iron_ore", 2023] - 1.0)
    m = input_cost_factor(YEARS, ["steel"])
    assert m[YEARS == 2015, 0][0] == pytest.approx(expected)
    # the 2014-15 fall in ore lowers steel's cost; 2011's boom raised it
    assert m[YEARS == 2015, 0][0] < 0.9 < 1.2 < m[YEARS == 2011, 0][0]


def test_the_factor_holds_its_last_real_value_after_the_data() -> None:
    m = input_cost_factor(YEARS, ["refining"])
    assert np.allclose(m[YEARS >= 2024, 0], m[YEARS == 2024, 0][0])


def test_input_prices_move_the_normal_price_and_the_switch_turns_them_off() -> None:
    on = overcap.run("baseline", seed=0).sectors.set_index(["sector", "year"])
    off = overcap.run("baseline", seed=0, overrides={"switches.input_prices": False})
    off_s = off.sectors.set_index(["sector", "year"])
    # oil at US$52 in 2015 against US$111 in 2012: refining's full-cost price falls
    ref_on = on.loc["refining", "normal_price"]
    ref_off = off_s.loc["refining", "normal_price"]
    assert ref_on[2015] / ref_on[2012] < 0.75 * ref_off[2015] / ref_off[2012]
    # with the switch off the normal price only moves by learning, as it did before
    assert ref_off[2015] / ref_off[2012] > 0.95
    # sectors without a world input are untouched by the rule itself: in the first
    # recorded year, with learning on world output (own learning off, 7.8.3), before the
    # run's own output feeds back on solar's learning
    world = {"switches.own_learning": False}
    solar_on = overcap.run("baseline", seed=0, overrides=world).sectors
    solar_off = overcap.run(
        "baseline", seed=0, overrides={**world, "switches.input_prices": False}
    ).sectors
    assert np.allclose(
        solar_on.set_index(["sector", "year"]).loc["solar_pv", "normal_price"][1995],
        solar_off.set_index(["sector", "year"]).loc["solar_pv", "normal_price"][1995],
    )
