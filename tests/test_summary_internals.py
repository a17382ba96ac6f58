"""The internal ranges a fit must respect (summary.internals, summary.implausibility)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from overcap.summary import (
    EXPORT_SHARE_RANGES,
    EXPORT_SHARE_UNIT,
    JUMPS_MAX,
    MARGIN_MAX,
    Internals,
    capacity_changes,
    implausibility,
    internals,
    jump_share,
    starts_after_freeze,
    window_export_share,
)


def _frames(
    margins: list[float], revenue: list[float] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    years = list(range(2000, 2000 + len(margins)))
    rev = (revenue or [1.0] * len(years)) + [1.0] * len(years)
    margin = margins + [0.1] * len(years)
    sectors = pd.DataFrame(
        {
            "year": years * 2,
            "sector": ["steel"] * len(years) + ["coal"] * len(years),
            "margin": margin,
            "revenue": rev,
            "profit": [m * r for m, r in zip(margin, rev, strict=True)],
            "capacity": 1.0,
        }
    )
    provinces = pd.DataFrame(
        {"year": years, "province": ["A"] * len(years), "subsidies": 2.0, "bailouts": 1.0}
    )
    economy = pd.DataFrame({"year": years, "gdp": 100.0, "zombie_share": 0.1})
    return sectors, provinces, economy


def test_internals_reads_the_worst_five_year_margin_and_the_means() -> None:
    """Steel's margins 0.1, 0.1, -0.5 x5, 0.1: the worst five-year mean is -0.5; coal's
    0.1; spending (2 + 1) / 100 = 3% of GDP; zombie share 0.1."""
    sec, prov, eco = _frames([0.1, 0.1, -0.5, -0.5, -0.5, -0.5, -0.5, 0.1])
    got = internals(sec, prov, eco)
    assert np.isclose(got.worst_margin["steel"], -0.5)
    assert np.isclose(got.worst_margin["coal"], 0.1)
    assert np.isclose(got.spending_mean, 3.0)
    assert np.isclose(got.zombie_mean, 0.1)


def test_the_worst_margin_is_a_ratio_of_sums_so_a_vanishing_revenue_weighs_little() -> None:
    """A year whose revenue all but vanishes (1e-9, a loss of 1e7 times it) weighs by its
    revenue: the window's profit over its revenue, not the mean of the yearly margins
    (which would be about -2e6)."""
    rev = [1.0, 1.0, 1.0, 1.0, 1e-9, 1.0, 1.0]
    sec, prov, eco = _frames([0.1, 0.1, 0.1, 0.1, -1e7, 0.1, 0.1], rev)
    got = internals(sec, prov, eco)
    # worst window: four years at 0.1 and one at -1e7 x 1e-9 = -0.01 of profit
    assert np.isclose(got.worst_margin["steel"], (0.4 - 0.01) / (4.0 + 1e-9))
    # a year with no revenue at all leaves its windows out
    rev0 = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0]
    sec, prov, eco = _frames([0.1, 0.1, 0.1, 0.1, -0.5, 0.0, 0.1], rev0)
    got = internals(sec, prov, eco)
    assert np.isclose(got.worst_margin["steel"], (0.4 - 0.5) / 5.0)


def test_implausibility_is_zero_inside_the_ranges_and_grows_outside() -> None:
    inside = Internals(0.1, 3.0, {"steel": -0.1})
    assert implausibility([inside]) == 0.0
    assert implausibility([]) == 0.0
    # zombies 0.3 (0.1 over, 1 unit), spending 10% (5 over, 2 units), steel -0.9 (0.6
    # under, 2 units): 5, and the median over runs is what counts
    outside = Internals(0.3, 10.0, {"steel": -0.9})
    assert np.isclose(implausibility([outside]), 5.0)
    assert np.isclose(implausibility([outside, outside, inside]), 5.0)
    assert implausibility([outside, inside, inside]) == 0.0


def test_internals_reads_the_best_five_year_margin_too() -> None:
    """Steel's margins 0.1, 0.5 x5, 0.1: the best five-year margin is 0.5, the worst
    (0.1 + 4 x 0.5) / 5 = 0.42; coal's both 0.1."""
    sec, prov, eco = _frames([0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.1])
    got = internals(sec, prov, eco)
    assert np.isclose(got.best_margin["steel"], 0.5)
    assert np.isclose(got.worst_margin["steel"], 0.42)
    assert np.isclose(got.best_margin["coal"], 0.1)


def test_a_best_margin_above_its_bound_enters_the_implausibility() -> None:
    """A best five-year margin 0.6 (0.3 above MARGIN_MAX) is one unit of 0.3; at the
    bound, none; each sector apart, and the median over runs counts."""
    at_bound = Internals(0.1, 3.0, {"steel": -0.1}, 0.0, {"steel": MARGIN_MAX, "coal": 0.2})
    assert implausibility([at_bound]) == 0.0
    rich = Internals(0.1, 3.0, {"steel": -0.1}, 0.0, {"steel": 0.6, "coal": 0.45})
    assert np.isclose(implausibility([rich]), 1.5)
    assert np.isclose(implausibility([rich, rich, at_bound]), 1.5)
    assert implausibility([rich, at_bound, at_bound]) == 0.0
    # a run without the best margins (older callers) adds nothing
    assert implausibility([Internals(0.1, 3.0, {"steel": -0.1})]) == 0.0


def test_a_plausibility_margin_moves_every_bound_inward() -> None:
    """With a margin of 0.1 units the bounds are 0.19 (zombies), 4.75% (spending), -0.27
    and 0.27 (margins) and 0.025 (jumps): a set inside the plain ranges but within 0.1
    units of each bound is outside by what it crosses, in the same units."""
    near = Internals(0.195, 4.8, {"steel": -0.285}, 0.0275, {"coal": 0.285})
    assert implausibility([near]) == 0.0
    # 0.005/0.1 + 0.05/2.5 + 0.015/0.3 + 0.0025/0.05 + 0.015/0.3
    want = 0.05 + 0.02 + 0.05 + 0.05 + 0.05
    assert np.isclose(implausibility([near], margin=0.1), want)
    inside = Internals(0.1, 3.0, {"steel": -0.1}, 0.0, {"coal": 0.1})
    assert implausibility([inside], margin=0.1) == 0.0
    for bad in (-0.1, float("nan")):
        with pytest.raises(ValueError, match="plausibility margin"):
            implausibility([inside], margin=bad)


def _capacity(paths: dict[str, list[float]]) -> pd.DataFrame:
    rows = [
        {"year": 2000 + t, "sector": s, "capacity": k}
        for s, path in paths.items()
        for t, k in enumerate(path)
    ]
    return pd.DataFrame(rows)


def test_capacity_jumps_count_mature_sectors_moving_by_half_up_or_a_third_down() -> None:
    """Steel 100, 140, 220, 140 (x1.4: no; x1.57: a jump; x0.64, below 1/1.5: a jump);
    coal 0 then 100, 100, 100 (not born in 2000: no change that year); solar doubles
    every year and is left out (a young sector). 2 jumps of 5 sector-years."""
    sec = _capacity(
        {
            "steel": [100.0, 140.0, 220.0, 140.0],
            "coal": [0.0, 100.0, 100.0, 100.0],
            "solar_pv": [1.0, 2.0, 4.0, 8.0],
        }
    )
    ch = capacity_changes(sec)
    assert list(ch.columns) == ["coal", "steel"]
    assert int(ch.notna().to_numpy().sum()) == 5
    assert np.isclose(jump_share(ch), 2 / 5)
    assert jump_share(capacity_changes(_capacity({"steel": [1.0, 1.2, 1.4]}))) == 0.0
    # a year missing from the records is a gap, not a change across two years
    gap = _capacity({"steel": [100.0, 120.0, 130.0]}).query("year != 2001")
    assert int(capacity_changes(gap).notna().to_numpy().sum()) == 0
    assert jump_share(capacity_changes(gap)) == 0.0


def test_capacity_jumps_enter_the_implausibility_beyond_their_range() -> None:
    """0.13 of sector-years jumping is 0.10 above the range, two units of 0.05."""
    inside = Internals(0.1, 3.0, {"steel": -0.1}, JUMPS_MAX)
    assert implausibility([inside]) == 0.0
    jumpy = Internals(0.1, 3.0, {"steel": -0.1}, JUMPS_MAX + 0.10)
    assert np.isclose(implausibility([jumpy]), 2.0)
    # the internals of a run read it from the capacity column
    sec, prov, eco = _frames([0.1] * 6)
    assert internals(sec, prov, eco).capacity_jumps == 0.0


def test_thesis_totals_sum_investment_and_average_zombies_over_the_years() -> None:
    from overcap.summary import thesis_totals

    years = list(range(2003, 2028))
    sectors = pd.DataFrame(
        {"year": years * 2, "sector": ["a"] * 25 + ["b"] * 25, "investment": 1.0}
    )
    economy = pd.DataFrame({"year": years, "zombie_share": [0.0] * 2 + [0.2] * 21 + [1.0] * 2})
    inv, zombies = thesis_totals(sectors, economy)
    assert inv == 42.0  # 21 years, two sectors
    assert np.isclose(zombies, 0.2)
    assert thesis_totals(sectors, economy, (2026, 2027)) == (4.0, 1.0)


def test_starts_after_freeze_is_the_years_starts_over_last_years_capacity() -> None:
    s = pd.DataFrame(
        {
            "year": [2018, 2019, 2018, 2019],
            "sector": ["steel", "steel", "coal", "coal"],
            "capacity": [1000.0, 1100.0, 4000.0, 3900.0],
            "capacity_started": [50.0, 300.0, 0.0, 400.0],
        }
    )
    assert starts_after_freeze(s, "steel") == pytest.approx(0.3)
    assert starts_after_freeze(s, "coal") == pytest.approx(0.1)


def _steel_trade(years: range, exports: float, output: float = 100.0) -> pd.DataFrame:
    return pd.DataFrame(
        {"year": list(years), "sector": "steel", "exports": exports, "output": output}
    )


def test_the_export_share_is_summed_over_its_whole_window_or_not_judged() -> None:
    """Exports 5 of output 100 in 2005-08 and 15 of 100 in 2009-12: 80 / 800 = 0.1, the
    ratio of sums; a table that stops in 2011, or a year without output, is not judged."""
    sec = pd.concat([_steel_trade(range(2005, 2009), 5.0), _steel_trade(range(2009, 2013), 15.0)])
    assert np.isclose(window_export_share(sec, "steel", 2005, 2012), 0.1)
    assert np.isnan(window_export_share(sec[sec["year"] <= 2011], "steel", 2005, 2012))
    dead = sec.assign(output=np.where(sec["year"] == 2007, 0.0, sec["output"]))
    assert np.isnan(window_export_share(dead, "steel", 2005, 2012))
    assert np.isnan(window_export_share(sec, "coal", 2005, 2012))


def test_internals_read_each_steel_window_and_leave_out_one_not_yet_reached() -> None:
    """Exports 8 of 100 up to 2009 and 6 of 100 after: 0.08 over 2005-09 and 0.06 over
    2010-12, each window read on its own; a run that stops in 2011 reaches only the
    first, one that stops in 2008 neither."""
    sec = pd.concat(
        [_steel_trade(range(1995, 2010), 8.0), _steel_trade(range(2010, 2020), 6.0)]
    ).assign(revenue=1.0, profit=0.1, margin=0.1, capacity=120.0)
    prov = pd.DataFrame({"year": range(1995, 2020), "subsidies": 1.0, "bailouts": 0.0})
    eco = pd.DataFrame({"year": range(1995, 2020), "gdp": 100.0, "zombie_share": 0.1})
    got = internals(sec, prov, eco).export_share
    assert got.keys() == EXPORT_SHARE_RANGES.keys()
    assert np.isclose(got["steel_2005_2009"], 0.08) and np.isclose(got["steel_2010_2012"], 0.06)

    def until(year: int) -> dict[str, float]:
        return internals(
            sec[sec["year"] <= year], prov[prov["year"] <= year], eco[eco["year"] <= year]
        ).export_share

    assert until(2011).keys() == {"steel_2005_2009"}
    assert until(2008) == {}


def test_the_steel_windows_are_the_records_ratios_within_a_factor_1_5() -> None:
    """Customs' exports over worldsteel's crude steel (summary.py's comment): 210.05 of
    2,355.9 Mt over 2005-09, 147.19 of 2,071.7 Mt over 2010-12, each inside its range and
    the range its ratio over and times 1.5 (to the third decimal)."""
    for name, exports, crude in (
        ("steel_2005_2009", 210.05, 2355.9),
        ("steel_2010_2012", 147.19, 2071.7),
    ):
        sector, _, _, low, high = EXPORT_SHARE_RANGES[name]
        ratio = exports / crude
        assert sector == "steel" and low < ratio < high
        assert np.isclose(low, ratio / 1.5, atol=5e-4) and np.isclose(high, ratio * 1.5, atol=5e-4)


def test_an_export_share_outside_its_range_enters_the_implausibility() -> None:
    """A share above or below a window's range counts in units of EXPORT_SHARE_UNIT, each
    window apart, the median over runs counts, and the margin moves both bounds inward."""
    _, _, _, low, high = EXPORT_SHARE_RANGES["steel_2010_2012"]
    _, _, _, low0, high0 = EXPORT_SHARE_RANGES["steel_2005_2009"]
    mid0 = (low0 + high0) / 2

    def run(late: float, early: float = mid0) -> Internals:
        share = {"steel_2005_2009": early, "steel_2010_2012": late}
        return Internals(0.1, 3.0, {"steel": -0.1}, export_share=share)

    base = Internals(0.1, 3.0, {"steel": -0.1})
    inside = run((low + high) / 2)
    assert implausibility([inside]) == implausibility([base]) == 0.0
    wide = run(high + 0.02)
    assert np.isclose(implausibility([wide]), 0.02 / EXPORT_SHARE_UNIT)
    narrow = run(low - 0.01)
    assert np.isclose(implausibility([narrow]), 0.01 / EXPORT_SHARE_UNIT)
    both = run(high + 0.02, early=low0 - 0.01)  # late and early: the two add up
    assert np.isclose(implausibility([both]), 0.03 / EXPORT_SHARE_UNIT)
    assert np.isclose(implausibility([wide, wide, inside]), 0.02 / EXPORT_SHARE_UNIT)
    assert implausibility([wide, inside, inside]) == 0.0
    at_high = run(high)
    assert implausibility([at_high]) == 0.0
    assert np.isclose(implausibility([at_high], margin=0.1), 0.1)
