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


# China's consumption its production does not cover (engine/inputs.py: import_share_paths,
# build_inputs; docs/ODD.md 7.1)


def _import_rows() -> dict[int, tuple[float, float, float]]:
    with data_path("imports.csv").open(newline="", encoding="utf-8") as fh:
        return {
            int(r["year"]): (
                float(r["share"]),
                float(r["consumption_twh"]),
                float(r["production_twh"]),
            )
            for r in csv.DictReader(fh)
            if r["sector"] == "coal"
        }


def test_the_import_share_is_the_gap_between_consumption_and_production() -> None:
    """Each row's share is max(0, 1 - production / consumption) of its own columns, and
    the file keeps the data's holdout rule: no row after 2019."""
    rows = _import_rows()
    assert max(rows) == 2019
    for year, (share, cons, prod) in rows.items():
        assert share == pytest.approx(max(0.0, 1.0 - prod / cons), abs=5e-5), year
    assert rows[2016][0] > 0.09 and rows[2000][0] == 0.0


def test_the_import_share_holds_its_ends_and_is_zero_without_rows() -> None:
    from overcap.engine.inputs import import_share_paths

    rows = _import_rows()
    m = import_share_paths(YEARS, ["coal", "steel"])
    assert m[YEARS == 2016, 0][0] == pytest.approx(rows[2016][0])
    assert np.allclose(m[YEARS >= 2019, 0], rows[2019][0])
    assert np.allclose(m[:, 1], 0.0)


def test_imports_lower_coal_demand_and_count_in_world_output() -> None:
    """With the switch on, coal's domestic base is consumption less the share and the
    column ``imports`` is the rest; with it off both are as before the rule, and no other
    sector's demand moves."""
    from overcap.engine.inputs import build_inputs
    from overcap.scenario import load_scenario

    on = build_inputs(load_scenario("baseline"))
    off = build_inputs(load_scenario("baseline", {"switches.imports": False}))
    c = on.sectors.index("coal")
    t = on.year_index(2016)
    share = _import_rows()[2016][0]
    assert on.china_demand[t, c] == pytest.approx(off.china_demand[t, c] * (1.0 - share))
    assert on.imports[t, c] == pytest.approx(off.china_demand[t, c] * share)
    assert np.allclose(off.imports, 0.0)
    others = [j for j in range(len(on.sectors)) if j != c]
    assert np.array_equal(on.china_demand[:, others], off.china_demand[:, others])
    res = overcap.run("baseline", seed=0).sectors.set_index(["sector", "year"])
    coal = res.loc["coal"]
    assert coal.loc[2016, "imports"] == pytest.approx(on.imports[t, c])
    # the rest of the world makes China's imports: they count in world output
    world = coal.loc[2016, "output"] / coal.loc[2016, "china_world_share"]
    assert world > coal.loc[2016, "output"] + coal.loc[2016, "imports"]


def test_a_set_event_cannot_switch_the_run_inputs() -> None:
    from overcap.scenario import ScenarioError, load_scenario

    for key in ("switches.imports", "switches.input_prices"):
        ev = {"kind": "set", "years": [2010, 2010], "params": {key: False}}
        with pytest.raises(ScenarioError, match=rf"params\.{key}: the run's exogenous paths"):
            load_scenario("baseline", {"events.flip": ev})


def _demand_rows(sector: str) -> dict[int, tuple[float, str]]:
    """{year: (China's demand, the rest of the world's as written)} of one sector."""
    with data_path("demand.csv").open(newline="", encoding="utf-8") as fh:
        return {
            int(r["year"]): (float(r["china_demand"]), r["world_ex_china_demand"].strip())
            for r in csv.DictReader(fh)
            if r["sector"] == sector and r["china_demand"].strip()
        }


@pytest.mark.parametrize("sector", ["cement", "steel"])
def test_an_annual_china_only_row_moves_china_and_leaves_the_world_on_its_anchors(
    sector: str,
) -> None:
    """A row with a blank rest-of-world column is a China-only anchor (data/README.md): the
    year's China demand is the row's, and the rest of the world's path interpolates
    log-linearly between the rows that give it, as if the China-only row were absent."""
    from overcap.engine.inputs import build_inputs
    from overcap.scenario import load_scenario

    rows = _demand_rows(sector)
    china_only = sorted(y for y, (_, fx) in rows.items() if fx == "")
    assert china_only, f"{sector} has no annual China-only rows"
    anchors = {y: float(fx) for y, (_, fx) in rows.items() if fx != ""}
    # the first China row carries the world too (the split of earlier world-only rows
    # reads it)
    assert min(rows) in anchors
    inp = build_inputs(load_scenario("baseline"))
    j = inp.sectors.index(sector)
    ay = np.array(sorted(anchors), dtype=float)
    av = np.log([anchors[int(y)] for y in ay])
    for y in china_only:
        t = inp.year_index(y)
        assert inp.china_demand[t, j] == pytest.approx(rows[y][0], rel=1e-12), y
        assert inp.foreign_demand[t, j] == pytest.approx(np.exp(np.interp(y, ay, av))), y


def test_steel_annual_rows_keep_the_anchors_ratio_of_use_to_production() -> None:
    """Steel's annual rows are worldsteel's crude steel production times apparent use over
    production, the ratio linear between the five-year anchors: each row's note states
    both numbers, and their product is the row's demand."""
    with data_path("demand.csv").open(newline="", encoding="utf-8") as fh:
        rows = [
            r
            for r in csv.DictReader(fh)
            if r["sector"] == "steel" and not r["world_ex_china_demand"].strip()
        ]
    assert rows
    for r in rows:
        words = r["notes"].split()
        prod = float(words[words.index("production") + 1])
        ratio = float(words[words.index("production", words.index("over")) + 1].rstrip(","))
        assert float(r["china_demand"]) == pytest.approx(prod * ratio, abs=0.1), r["year"]


def test_presence_start_is_read_only_with_its_switch() -> None:
    """inputs.presence_start: the datum of data/sectors.csv with switches.export_presence,
    1 everywhere without it; the start stock of solar's experience is then split at
    China's small start share instead of its Armington base share (ODD 7.8.3). Solar,
    from session 49 steel and from session 50 EVs start below full presence; the other
    sectors at 1."""
    from overcap.engine.inputs import build_inputs

    off = build_inputs(overcap.load_scenario("baseline", {"switches.export_presence": False}))
    on = build_inputs(overcap.load_scenario("baseline"))
    assert overcap.load_scenario("baseline").switches.export_presence  # on by default
    j = off.sectors.index("solar_pv")
    k = off.sectors.index("steel")
    e = off.sectors.index("electric_vehicles")
    assert np.all(off.presence_start == 1.0)
    assert on.presence_start[j] <= 0.05  # its documented range's top
    assert on.presence_start[k] <= 0.12  # its documented range's top
    assert on.presence_start[e] <= 0.02  # its documented range's top
    assert np.all(np.delete(on.presence_start, [j, k, e]) == 1.0)
    share_off = off.cum_china_start[j] / (off.cum_china_start[j] + off.cum_foreign_start[j])
    share_on = on.cum_china_start[j] / (on.cum_china_start[j] + on.cum_foreign_start[j])
    assert share_on < 0.1 < 0.5 < share_off
