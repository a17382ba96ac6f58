"""overcap diagnose: the tables computed from hand-made result frames (so a wrong formula
fails), the summary over seeds, the checks, the command line at 80 columns and its
one-line errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

import overcap
from overcap import diagnostics as dg
from overcap.cli import app
from overcap.summary import capacity_changes

YEARS = list(range(2009, 2025))  # 16 years: covers 2010, 2011-13, 2022-24
SECTORS = ["solar_pv", "li_batteries", "electric_vehicles", "steel"]
PARTNERS = ["USA", "EU"]


def _sectors(shift: float = 0.0) -> pd.DataFrame:
    """Year x sector with known values; ``shift`` moves utilisation and margins so a
    second 'seed' differs."""
    rows = []
    for y in YEARS:
        k = y - YEARS[0]
        for s in SECTORS:
            cap = 10.0 + k
            util = 0.9 + shift
            if s == "solar_pv" and y == 2012:
                util = 0.7 + shift  # the dip of 2011-13
            if s == "solar_pv" and y == 2023:
                util = 0.75 + shift  # the dip after 2021
            if s == "electric_vehicles" and y in (2022, 2023, 2024):
                util = 0.8 + shift  # EVs in glut
            out = cap * util
            if s == "electric_vehicles" and y == 2009:
                cap, out = 0.0, 0.0  # no EVs yet
            revenue = out * 100.0
            margin = 0.1 + shift
            if s == "li_batteries" and y == 2009:
                margin = -0.9 + shift  # one bad year: worst window 2009-2013 at -0.1
            if s == "steel":
                # steel's margin: -0.5 in 2013-2017, else +0.1 -> worst window 2013-2017
                margin = (-0.5 if 2013 <= y <= 2017 else 0.1) + shift
            exports = out * (0.6 if s == "solar_pv" and y < 2015 else 0.1)
            rows.append(
                {
                    "year": y,
                    "sector": s,
                    "capacity": cap,
                    "output": out,
                    "utilisation": util if cap > 0 else 0.0,
                    "sold_over_capacity": util - 0.05 if cap > 0 else 0.0,
                    "margin": margin if revenue else 0.0,
                    "revenue": revenue,
                    "profit": margin * revenue,
                    "exports": exports,
                    "domestic_sales": out - exports,
                    "china_world_share": 0.3,
                    "subsidies": 20.0,
                    "campaign_compensation": 1.0,
                    "trade_measures": 1.0,
                    "duty_mean": 0.2,
                }
            )
    return pd.DataFrame(rows)


def _trade() -> pd.DataFrame:
    rows = []
    for y in YEARS:
        for p in PARTNERS:
            for s in SECTORS:
                in_force = int(p == "USA" and s == "solar_pv" and y >= 2012)
                in_force |= int(p == "EU" and s == "steel")  # in force from the start
                rows.append(
                    {
                        "year": y,
                        "partner": p,
                        "sector": s,
                        "trade_measure_in_force": in_force,
                        "duty": 0.0,
                        "exports": 1.0 if p == "USA" else 0.0,
                        "china_share": 0.1,
                        "dumping_margin": 0.4 if p == "USA" else 0.9,
                        "new_measure": int(p == "USA" and s == "solar_pv" and y == 2011),
                    }
                )
    return pd.DataFrame(rows)


def _economy(shift: float = 0.0) -> pd.DataFrame:
    n = len(YEARS)
    return pd.DataFrame(
        {
            "year": YEARS,
            "gdp": np.full(n, 10_000.0),
            "gdp_growth": np.full(n, 7.0),
            "ppi_change": np.linspace(-5, 10, n),
            "aggregate_utilisation": np.full(n, 0.8),
            "zombie_share": np.full(n, 0.1 + shift),
            # sectors' subsidies 4 x 20, campaign compensation 4 x 1, bailouts 300
            "fiscal_cost": np.full(n, 84.0 + 300.0),
            "fiscal_cost_share_gdp": np.full(n, 3.84),
        }
    )


def _provinces() -> pd.DataFrame:
    rows = [
        {"year": y, "province": p, "subsidies": 50.0, "gdp": 5_000.0}
        for y in YEARS
        for p in ("A", "B")
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def scenario() -> overcap.Scenario:
    return overcap.load_scenario("baseline")


def _result(scenario: overcap.Scenario, seed: int, shift: float = 0.0) -> overcap.Result:
    return overcap.Result(
        scenario=scenario,
        seed=seed,
        sectors=_sectors(shift),
        provinces=_provinces(),
        economy=_economy(shift),
        trade=_trade(),
    )


@pytest.fixture(scope="module")
def one(scenario: overcap.Scenario) -> dg.Diagnostics:
    return dg.diagnose([_result(scenario, 0)])


# ------------------------------------------------------------------------ the tables


def test_economy_derives_bailouts_and_provincial_spending(one: dg.Diagnostics) -> None:
    eco = one.tables["economy"]
    assert list(eco["year"]) == YEARS
    # bailouts = fiscal cost - sector subsidies - campaign compensation = 384 - 80 - 4
    assert np.allclose(eco["bailout_writeoffs"], 300.0)
    # provincial spending = province subsidies 2 x 50 + bailouts 300 = 400 over GDP 10,000
    assert np.allclose(eco["provincial_spending_share_gdp"], 4.0)
    assert np.allclose(eco["provincial_subsidies_share_gdp"], 1.0)
    assert np.allclose(eco["bailout_share_of_provincial_spending"], 0.75)


def test_no_bailouts_leave_rounding_out(scenario: overcap.Scenario) -> None:
    r = _result(scenario, 0)
    r.economy = r.economy.assign(fiscal_cost=84.0 + 1e-9)  # subsidies + compensation only
    r.provinces = r.provinces.assign(subsidies=0.0)
    eco = dg.diagnose([r]).tables["economy"]
    assert (eco["bailout_writeoffs"] == 0).all()
    assert (eco["provincial_spending_share_gdp"] == 0).all()
    assert eco["bailout_share_of_provincial_spending"].isna().all()  # nothing spent


def test_recorded_provincial_bailouts_replace_the_residual(scenario: overcap.Scenario) -> None:
    """With provinces.bailouts recorded, the bailout part is its sum (2 x 30 = 60), not the
    fiscal-cost residual (300): spending = 2 x 50 + 60 = 160 over GDP 10,000 = 1.6%."""
    r = _result(scenario, 0)
    r.provinces = r.provinces.assign(bailouts=30.0)
    eco = dg.diagnose([r]).tables["economy"]
    assert np.allclose(eco["bailout_writeoffs"], 60.0)
    assert np.allclose(eco["provincial_spending_share_gdp"], 1.6)
    assert np.allclose(eco["bailout_share_of_provincial_spending"], 60.0 / 160.0)


def test_new_energy_rates_and_missing_values(one: dg.Diagnostics) -> None:
    ne = one.tables["new_energy"]
    assert set(ne["sector"]) == set(dg.NEW_ENERGY)
    solar = ne[ne["sector"] == "solar_pv"].set_index("year")
    assert solar.loc[2010, "export_share"] == pytest.approx(0.6)
    assert solar.loc[2020, "export_share"] == pytest.approx(0.1)
    assert solar.loc[2012, "utilisation"] == pytest.approx(0.7)
    # subsidies 20 over revenue (capacity 10 + 1) x 0.9 x 100
    assert solar.loc[2010, "subsidies_over_revenue"] == pytest.approx(20 / (11 * 0.9 * 100))
    ev = ne[ne["sector"] == "electric_vehicles"].set_index("year")
    # no capacity, no revenue: not 0 but missing
    assert np.isnan(ev.loc[2009, "utilisation"])
    assert np.isnan(ev.loc[2009, "margin"])
    assert np.isnan(ev.loc[2009, "export_share"])


def _ratio_of_sums(margins: dict[int, float]) -> float:
    """Profit over revenue summed over the years given, in the fixture where a sector's
    revenue is (10 + years since the first) x 0.9 x 100."""
    rev = {y: (10.0 + y - YEARS[0]) * 0.9 * 100.0 for y in margins}
    return sum(m * rev[y] for y, m in margins.items()) / sum(rev.values())


def test_margins_by_period_and_worst_window(one: dg.Diagnostics) -> None:
    """Margins over periods and windows are ratios of sums (profit over revenue), as
    data/README.md pools ratios."""
    m = one.tables["margins"]
    steel = m[m["sector"] == "steel"].set_index("period")["margin"]
    # the single year 2009 joins 2010-2014: 2009-2012 at +0.1, 2013-2014 at -0.5
    assert list(steel.index) == ["2009-2014", "2015-2019", "2020-2024"]
    early = {y: (-0.5 if y >= 2013 else 0.1) for y in range(2009, 2015)}
    assert steel["2009-2014"] == pytest.approx(_ratio_of_sums(early))
    mid = {y: (-0.5 if y <= 2017 else 0.1) for y in range(2015, 2020)}
    assert steel["2015-2019"] == pytest.approx(_ratio_of_sums(mid))
    w = one.tables["margin_worst"].set_index("sector")
    assert w.loc["steel", "worst_margin"] == pytest.approx(-0.5)
    assert (w.loc["steel", "window_start"], w.loc["steel", "window_end"]) == (2013, 2017)
    # EVs have no revenue in 2009: their windows start in 2010
    assert w.loc["electric_vehicles", "worst_margin"] == pytest.approx(0.1)
    # a window needs five years: batteries' bad 2009 counts once, in 2009-2013
    bad = {y: (-0.9 if y == 2009 else 0.1) for y in range(2009, 2014)}
    assert w.loc["li_batteries", "worst_margin"] == pytest.approx(_ratio_of_sums(bad))
    assert w.loc["li_batteries", "window_start"] == 2009
    # the best window: +0.1 wherever the five years hold no bad one
    assert w.loc["steel", "best_margin"] == pytest.approx(0.1)
    assert w.loc["steel", "best_end"] - w.loc["steel", "best_start"] == 4
    assert w.loc["steel", "best_end"] <= 2012 or w.loc["steel", "best_start"] >= 2018
    assert w.loc["li_batteries", "best_margin"] == pytest.approx(0.1)
    assert w.loc["li_batteries", "best_start"] >= 2010


def test_best_margin_check_names_the_sector_and_window_above_the_bound() -> None:
    """A five-year margin above summary.MARGIN_MAX (0.3) fails the check, whichever
    sector holds it; the detail names that sector and its window."""
    table = pd.DataFrame(
        {
            "sector": ["coal", "steel", "electric_vehicles"],
            "worst_margin": [-0.2, -0.1, np.nan],
            "window_start": [2012.0, 2013.0, np.nan],
            "window_end": [2016.0, 2017.0, np.nan],
            "best_margin": [0.45, 0.12, np.nan],
            "best_start": [2003.0, 2005.0, np.nan],
            "best_end": [2007.0, 2009.0, np.nan],
        }
    )
    value, passed, detail = dg._best_margin({"margin_worst": table}, 1995, 2030)
    assert value == pytest.approx(0.45) and passed is False and detail == "coal 2003-2007"
    table.loc[0, "best_margin"] = 0.25
    value, passed, detail = dg._best_margin({"margin_worst": table}, 1995, 2030)
    assert value == pytest.approx(0.25) and passed is True and detail == "coal 2003-2007"


def test_trade_first_years(one: dg.Diagnostics) -> None:
    tf = one.tables["trade_first"].set_index(["sector", "partner"])
    assert tf.loc[("solar_pv", "USA"), "first_in_force"] == 2012
    assert tf.loc[("solar_pv", "USA"), "first_new_measure"] == 2011
    assert np.isnan(tf.loc[("solar_pv", "EU"), "first_in_force"])
    assert tf.loc[("steel", "EU"), "first_in_force"] == 2009
    ts = one.tables["trade_sectors"].set_index("sector")
    assert ts.loc["solar_pv", "first_in_force"] == 2012
    assert np.isnan(ts.loc["li_batteries", "first_in_force"])
    # dumping margin over partner-years with exports only (USA 0.4, not EU 0.9)
    assert ts.loc["steel", "dumping_margin"] == pytest.approx(0.4)


def test_checks_values_and_verdicts(one: dg.Diagnostics) -> None:
    c = one.checks.set_index("check")
    assert c.loc["solar_dip_2011_13", "median"] == pytest.approx(0.7)
    assert c.loc["solar_dip_2011_13", "passed"]
    assert c.loc["solar_dip_after_2021", "median"] == pytest.approx(0.75)
    assert c.loc["solar_dip_after_2021", "passed"]
    # exports are 0.6 of output before 2015
    assert c.loc["solar_export_push", "median"] == pytest.approx(0.6)
    assert c.loc["solar_export_push", "passed"]
    assert c.loc["solar_measure_after_2010", "median"] == 2012
    assert c.loc["solar_measure_after_2010", "passed"]
    assert c.loc["ev_glut_2022_24", "passed"]
    assert not c.loc["battery_glut_2022_24", "passed"]  # 0.9 is not a glut
    assert c.loc["zombie_share", "passed"]
    assert c.loc["provincial_spending", "median"] == pytest.approx(4.0)
    assert c.loc["provincial_spending", "passed"]
    assert c.loc["worst_margin", "median"] == pytest.approx(-0.5)
    assert not c.loc["worst_margin", "passed"]
    assert c.loc["worst_margin", "detail"] == "steel 2013-2017"
    assert c.loc["best_margin", "median"] == pytest.approx(0.1)
    assert c.loc["best_margin", "passed"]
    # capacity grows by one unit a year from 10: no jump
    assert c.loc["capacity_jumps", "median"] == 0.0
    assert c.loc["capacity_jumps", "passed"]
    assert c.loc["capacity_jumps", "detail"] == "none"


def test_capacity_jumps_check_fails_and_names_the_largest() -> None:
    """Steel 100 -> 250 (x2.5) -> 200, cement 100 -> 100 -> 30 (x0.3): 2 of 4 changes jump,
    the largest is cement's fall; a frame with no change is not evaluable."""
    sec = pd.DataFrame(
        {
            "year": [2000, 2001, 2002] * 2,
            "sector": ["steel"] * 3 + ["cement"] * 3,
            "capacity": [100.0, 250.0, 200.0, 100.0, 100.0, 30.0],
        }
    )
    value, passed, detail = dg._capacity_jumps(
        {"_capacity_changes": capacity_changes(sec)}, 2000, 2002
    )
    assert value == pytest.approx(0.5)
    assert passed is False
    assert detail == "2; largest cement 2002 (x0.30)"
    one_year = sec[sec["year"] == 2000]
    assert dg._capacity_jumps({"_capacity_changes": capacity_changes(one_year)}, 0, 0)[1] is None


def test_checks_outside_the_years_are_not_evaluable(scenario: overcap.Scenario) -> None:
    d = dg.diagnose([_result(scenario, 0)], years=(2015, 2020))
    c = d.checks.set_index("check")
    for name in ("solar_dip_2011_13", "solar_measure_after_2010", "ev_glut_2022_24"):
        assert c.loc[name, "evaluable"] == 0 and c.loc[name, "passed"] is None
    assert d.years == (2015, 2020)
    assert set(d.tables["economy"]["year"]) == set(range(2015, 2021))


def test_key_numbers(one: dg.Diagnostics) -> None:
    k = one.tables["key_numbers"].set_index("item")["value"]
    assert k["steel_margin_2013_15"] == pytest.approx(-0.5)
    assert k["solar_capacity_2010"] == pytest.approx(11.0)
    assert k["ev_utilisation_2022_24"] == pytest.approx(0.8)
    assert k["bailout_share_2011_15"] == pytest.approx(0.75)
    assert k["solar_first_measure"] == 2012
    assert np.isnan(k["steel_net_exports_1995_2000"])  # no 1995-2000 here


def test_summary_over_seeds_median_min_max(scenario: overcap.Scenario) -> None:
    shifts = [0.0, 0.02, -0.04]
    d = dg.diagnose([_result(scenario, i, s) for i, s in enumerate(shifts)])
    assert d.seeds == (0, 1, 2)
    eco = d.summary["economy"]
    z = eco[(eco["year"] == 2010) & (eco["metric"] == "zombie_share")].iloc[0]
    assert (z["median"], z["min"], z["max"], z["seeds"]) == pytest.approx((0.1, 0.06, 0.12, 3))
    c = d.checks.set_index("check")
    dip = c.loc["solar_dip_2011_13"]
    assert (dip["median"], dip["min"], dip["max"]) == pytest.approx((0.7, 0.66, 0.72))
    assert dip["passing"] == 3 and dip["evaluable"] == 3
    # 0.8 + shift: 0.80 and 0.82 are glut (< 0.85), 0.76 too -> all pass
    assert c.loc["ev_glut_2022_24", "passing"] == 3


def test_years_use_the_lower_median(scenario: overcap.Scenario) -> None:
    a, b = _result(scenario, 0), _result(scenario, 1)
    t = b.trade.copy()
    t.loc[
        (t["sector"] == "solar_pv") & (t["partner"] == "USA") & (t["year"] < 2015),
        "trade_measure_in_force",
    ] = 0
    b.trade = t
    s = dg.diagnose([a, b]).summary["trade_first"]
    row = s[(s["sector"] == "solar_pv") & (s["partner"] == "USA")]
    row = row[row["metric"] == "first_in_force"].iloc[0]
    assert (row["median"], row["min"], row["max"]) == (2012, 2012, 2015)


def test_render_fits_80_columns(scenario: overcap.Scenario) -> None:
    d = dg.diagnose([_result(scenario, i, s) for i, s in enumerate([0.0, 0.05, -0.3])])
    con = Console(width=80, file=io.StringIO(), record=True)
    for part in dg.render(d, ["time.end_year=2024"]):
        con.print(part)
    text = con.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text  # nothing cut
    for title in (
        "Checks",
        "New energy: solar_pv",
        "Economy by year",
        "Sector margins",
        "First year a trade measure",
        "Not recorded",
    ):
        assert title in text, title


def test_parse_seeds() -> None:
    assert dg.parse_seeds("0-3") == [0, 1, 2, 3]
    assert dg.parse_seeds("5") == [5]
    assert dg.parse_seeds("0,2, 7-8") == [0, 2, 7, 8]
    for bad in ("", "x", "-1", "3-1", "1,1", "0-2000", "1.5"):
        with pytest.raises(dg.DiagnosticsError, match="--seeds"):
            dg.parse_seeds(bad)


def test_replicates_pass_a_seed_by_strict_majority(scenario: overcap.Scenario) -> None:
    # zombie share 0.1 + shift against "< 0.2": seed 0's replicates 0.1, 0.3, 0.25 (one
    # passes of three: the seed fails, value the median 0.25); seed 1's 0.1, 0.15, 0.3
    # (two of three: it passes, 0.15)
    shifts = {0: (0.0, 0.2, 0.15), 1: (0.0, 0.05, 0.2)}
    results = [_result(scenario, seed, s) for seed, row in shifts.items() for s in row]
    d = dg.diagnose(results, replicates=3)
    assert d.seeds == (0, 1) and d.replicates == 3
    eco = d.tables["economy"]
    assert list(eco.columns[:2]) == ["seed", "replicate"]
    assert set(zip(eco["seed"], eco["replicate"], strict=True)) == {
        (s, r) for s in (0, 1) for r in range(3)
    }
    z = d.checks.set_index("check").loc["zombie_share"]
    assert z["evaluable"] == 2 and z["passing"] == 1 and not z["passed"]
    assert np.isclose(z["min"], 0.15) and np.isclose(z["max"], 0.25)
    # the tables' summaries are over the six runs
    zs = d.summary["economy"]
    row = zs[(zs["metric"] == "zombie_share") & (zs["year"] == YEARS[0])].iloc[0]
    assert row["seeds"] == 6 and np.isclose(row["max"], 0.3)
    assert d.to_dict()["replicates"] == 3
    # one replicate each: the seed's own verdict, as before
    single = dg.diagnose([_result(scenario, 0, 0.15)]).checks.set_index("check")
    assert not single.loc["zombie_share", "passed"]


def test_replicates_must_be_consecutive_runs_of_a_seed(scenario: overcap.Scenario) -> None:
    runs = [_result(scenario, 0), _result(scenario, 1), _result(scenario, 0)]
    with pytest.raises(dg.DiagnosticsError, match="not 3 consecutive runs"):
        dg.diagnose(runs, replicates=3)
    with pytest.raises(dg.DiagnosticsError, match="not 2 consecutive runs"):
        dg.diagnose(runs, replicates=2)
    for bad in (0, -1):
        with pytest.raises(dg.DiagnosticsError, match="--replicates"):
            dg.diagnose(runs[:1], replicates=bad)


def test_diagnose_rejects_years_outside_the_record(scenario: overcap.Scenario) -> None:
    with pytest.raises(dg.DiagnosticsError, match="outside the recorded years 2009-2024"):
        dg.diagnose([_result(scenario, 0)], years=(1990, 2000))


# ------------------------------------------------------------------------ the command

runner = CliRunner()
SHORT = ["--set", "time.end_year=2000"]


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args))


def test_cli_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    res = invoke("diagnose", "baseline", "--seeds", "0-1", *SHORT)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith("overcap diagnose baseline: seeds 0, 1, years 1995-2000")
    assert max(len(line) for line in lines) <= 80
    assert "…" not in res.stdout
    assert "Steel 1995-2000 (Mt)" in res.stdout
    # checks on years after 2000 cannot be evaluated; the zombie check can
    assert "n/a" in res.stdout and "zombie share" in res.stdout


def test_cli_replicates_run_each_seeds_streams() -> None:
    res = invoke("diagnose", "--seeds", "3", "--replicates", "2", "--json", *SHORT)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["seeds"] == [3] and out["replicates"] == 2
    eco = pd.DataFrame(out["tables"]["economy"])
    assert set(eco["replicate"]) == {0, 1} and set(eco["seed"]) == {3}
    # replicate 1 is the ensemble's second stream, not a copy of the first
    a, b = (eco[eco["replicate"] == r]["aggregate_utilisation"].to_numpy() for r in (0, 1))
    assert not np.allclose(a, b)
    sc = overcap.load_scenario("baseline", SHORT[1:])
    first = overcap.run(sc, seed=3, replicate=0).economy
    assert np.allclose(a, first.loc[first["year"] >= 1995, "aggregate_utilisation"].to_numpy())


def test_cli_looks_inside_another_calibrated_set() -> None:
    """--calibration SET: the runs of the set it names (the out-of-time set here), as
    overcap.run gives them with that set in place, and the header says which."""
    name = "baseline-holdout-2013-2019"
    res = invoke("diagnose", "--seeds", "3", "--json", "--calibration", name, *SHORT)
    assert res.exit_code == 0, res.output
    eco = pd.DataFrame(json.loads(res.stdout)["tables"]["economy"])
    held = overcap.run(overcap.load_scenario("baseline", SHORT[1:], calibration=name), seed=3)
    shipped = overcap.run(overcap.load_scenario("baseline", SHORT[1:]), seed=3)
    util = [
        r.economy.loc[r.economy["year"] >= 1995, "aggregate_utilisation"] for r in (held, shipped)
    ]
    assert np.allclose(eco["aggregate_utilisation"].to_numpy(), util[0].to_numpy())
    assert not np.allclose(util[0].to_numpy(), util[1].to_numpy())
    text = invoke("diagnose", "--seeds", "3", "--calibration", name, *SHORT).stdout
    head = " ".join(text.split("\n\n")[0].split())  # the header, unwrapped
    assert head.endswith(f"time.end_year=2000, --calibration {name}"), head


def test_cli_json_and_csv(tmp_path: Path) -> None:
    res = invoke("diagnose", "--seeds", "3", "--years", "1996-1998", "--json", *SHORT)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["seeds"] == [3] and out["years"] == [1996, 1998]
    assert {r["year"] for r in out["tables"]["economy"]} == {1996, 1997, 1998}
    assert {c["check"] for c in out["checks"]} == {c[0] for c in dg.CHECKS}
    res = invoke("diagnose", "--seeds", "3", "--csv", str(tmp_path / "d"), *SHORT)
    assert res.exit_code == 0, res.output
    steel = pd.read_csv(tmp_path / "d" / "steel_early.csv")
    assert list(steel["year"]) == list(range(1995, 2001))
    assert (steel["net_exports"] == steel["exports"]).all()
    assert (tmp_path / "d" / "checks-summary.csv").exists()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--seeds", "a-b"], ["--seeds 'a-b'", "e.g. 0-3"]),
        (["--seeds", "4-2"], ["--seeds '4-2'", "before the first"]),
        (["--years", "1980-1990"], ["--years 1980-1990", "1995-2030"]),
        (["--years", "2001-2000"], ["--years '2001-2000'"]),
        (["--years", "2001-"], ["--years '2001-'", "no last year"]),
        (["--years", "x-2001"], ["--years 'x-2001'", "FROM-TO"]),
        (["basline"], ["'basline'", "did you mean 'baseline'"]),
        (["--set", "investment.visibility=2"], ["investment.visibility", "0.0 to 1.0"]),
        (["--set", "nope.x=1"], ["nope"]),
        (["--json", "--csv", "somewhere"], ["--json and --csv"]),
        (["--replicates", "0"], ["--replicates 0", "at least 1"]),
        (["--calibration", "nope"], ["calibration 'nope'", "baseline-holdout-2013-2019, none"]),
    ],
)
def test_cli_bad_input_one_line(args: list[str], fragments: list[str]) -> None:
    res = invoke("diagnose", *args)
    assert res.exit_code == 2, (res.exit_code, res.output, res.exception)
    assert isinstance(res.exception, SystemExit)
    err = res.stderr.strip()
    assert err.startswith("error:") and "\n" not in err, err
    assert res.stdout == ""
    for frag in fragments:
        assert frag in err, (frag, err)


def _steel_expectations(expected: dict[int, float], clear_lo: set[int]) -> pd.DataFrame:
    """Steel over 2010-2017 at a normal price of 100 and a distress price of 60: the
    realised price 70, 71, ...; ``expected`` by year (else 80), the market clearing at
    the distress price in ``clear_lo``."""
    rows = [
        {
            "year": y,
            "sector": "steel",
            "price": 70.0 + y - 2010,
            "clearing_price": 60.0 if y in clear_lo else 70.0 + y - 2010,
            "normal_price": 100.0,
            "distress_price": 60.0,
            "expected_price": expected.get(y, 80.0),
            "sales": 1.0,
        }
        for y in range(2010, 2018)
    ]
    return pd.DataFrame(rows)


def test_expectations_shares_of_the_bounds(scenario: overcap.Scenario) -> None:
    """Expected price at the distress price in 4 of 8 years, at the scarcity price
    (scarcity_price x the normal price) in 1; the market clears at the distress price
    in 2."""
    hi = scenario.market.scarcity_price * 100.0
    expected = {2010: 60.0, 2011: 60.0, 2012: 60.0, 2013: 60.0, 2014: hi}
    ex = dg.expectations(_steel_expectations(expected, {2010, 2011}), scenario, 2010, 2017)
    r = ex.set_index("sector").loc["steel"]
    assert r["expects_distress"] == pytest.approx(4 / 8)
    assert r["expects_scarcity"] == pytest.approx(1 / 8)
    assert r["clears_distress"] == pytest.approx(2 / 8)


def test_expectations_error_against_the_first_year_of_production(
    scenario: overcap.Scenario,
) -> None:
    """Investors expect e^0.2 times the price realised n = max(round(lag), 1) years on
    (steel's lag in the baseline data): the median log error is 0.2, its absolute value
    too; years whose t + n is not recorded are left out. One year off in the lag would
    compare with a price one higher and fail."""
    n = max(int(np.floor(scenario.sectors["steel"].build_lag + 0.5)), 1)
    expected = {y: (70.0 + y + n - 2010) * np.exp(0.2) for y in range(2010, 2018 - n)}
    ex = dg.expectations(_steel_expectations(expected, set()), scenario, 2010, 2017)
    r = ex.set_index("sector").loc["steel"]
    assert r["log_error"] == pytest.approx(0.2, rel=1e-12)
    assert r["abs_log_error"] == pytest.approx(0.2, rel=1e-12)


def test_expectations_missing_from_older_results(one: dg.Diagnostics) -> None:
    """Results saved before the expectations were recorded give NaN, not an error."""
    ex = one.tables["expectations"]
    assert ex[["expects_distress", "log_error"]].isna().all().all()
    k = one.tables["key_numbers"].set_index("item")["value"]
    assert np.isnan(k["expects_distress"])


def test_soe_zombie_ratio_check_reads_the_ownership_shares_of_2005_13() -> None:
    """State-owned over private zombie share, mean 2005-13: 0.18 / 0.06 = 3 passes, 0.08 /
    0.06 fails; a result without the columns (recorded since session 40) or whose years
    miss 2005-13 is not evaluable."""
    years = list(range(2003, 2016))
    eco = pd.DataFrame(
        {
            "year": years,
            # outside 2005-13 the shares would change the mean: they must not count
            "zombie_share_soe": [0.9, 0.9] + [0.18] * 9 + [0.9, 0.9],
            "zombie_share_private": [0.01, 0.01] + [0.06] * 9 + [0.01, 0.01],
        }
    )
    value, passed, detail = dg._soe_zombie_ratio({"economy": eco}, 1995, 2030)
    assert value == pytest.approx(3.0) and passed is True
    assert detail == "state 0.180, private 0.060"
    eco["zombie_share_soe"] = 0.08
    value, passed, _ = dg._soe_zombie_ratio({"economy": eco}, 1995, 2030)
    assert value == pytest.approx(0.08 / 0.06) and passed is False
    assert dg._soe_zombie_ratio({"economy": eco}, 2010, 2030)[1] is None
    old = eco.drop(columns=["zombie_share_soe", "zombie_share_private"])
    assert dg._soe_zombie_ratio({"economy": old}, 1995, 2030)[1] is None


def test_steel_export_share_check_reads_the_summed_window_against_its_range() -> None:
    """Steel exports 6 of 100 a year in 2010-2012 pass (0.06); 15 of 100 fail (0.15,
    above summary.EXPORT_SHARE_RANGES' 0.107); a selection that does not hold the whole
    window is not evaluable; each window is its own check."""
    check = dg._export_share("steel_2010_2012")
    names = [c[0] for c in dg.CHECKS]
    assert "steel_export_share_2005_2009" in names and "steel_export_share_2010_2012" in names

    def frame(exports: float) -> dict[str, pd.DataFrame]:
        years = list(range(2000, 2016))
        sec = pd.DataFrame({"year": years, "sector": "steel", "exports": exports, "output": 100.0})
        return {"_sectors": sec}

    value, passed, detail = check(frame(6.0), 1995, 2030)
    assert value == pytest.approx(0.06) and passed is True and detail == "2010-2012"
    value, passed, _ = check(frame(15.0), 1995, 2030)
    assert value == pytest.approx(0.15) and passed is False
    assert check(frame(6.0), 2011, 2030)[1] is None
    assert check(frame(6.0), 1995, 2011)[1] is None
