"""Facts against results, on a small synthetic result with known answers."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import overcap
from overcap.evidence import FactsError, check, load_facts, parse_facts, unit_conversions
from overcap.model import Result
from overcap.scenario import data_path

YEARS = [2000, 2001, 2002, 2003]


def synthetic(shift: float = 0.0) -> Result:
    """Two sectors, two provinces, one partner row set; every number known."""
    sec = pd.DataFrame(
        {
            "year": np.repeat(YEARS, 2),
            "sector": ["steel", "cement"] * 4,
            "output": [80, 30, 85, 30, 90, 20, 70, 25],
            "capacity": [100, 50, 100, 50, 100, 50, 100, 50],
            "sales": [80, 30, 80, 30, 90, 20, 70, 25],
            "profit": [5, -1, -2, -1, 3, 1, -4, 2],
            "revenue": [50, 10, 50, 10, 50, 10, 50, 10],
            "price": [10, 5, 9, 5, 11, 4, 8, 4],
            "firms": [10, 10, 10, 10, 10, 10, 10, 10],
            "china_world_share": [0.4, 0.5, 0.4, 0.5, 0.4, 0.5, 0.4, 0.5],
        }
    )
    sec["utilisation"] = sec["output"] / sec["capacity"] + shift
    eco = pd.DataFrame(
        {
            "year": YEARS,
            "gdp_growth": [9.0, 8.0, 10.0, 7.0],
            "ppi_change": [-1.0, -2.0, 0.5, -0.5],
            "regime": ["loosen", "chaos", "chaos", "control"],
        }
    )
    prov = pd.DataFrame(
        {
            "year": np.repeat(YEARS, 2),
            "province": ["Hebei", "Tibet"] * 4,
            "gdp_growth": [5, 6, 7, 8, 9, 10, 11, 12],
        }
    )
    trade = pd.DataFrame(
        {
            "year": np.repeat(YEARS, 2),
            "partner": ["USA"] * 8,
            "sector": ["steel", "cement"] * 4,
            "trade_measure_in_force": [0, 0, 1, 0, 1, 0, 0, 0],
            "duty": [0.0, 0.0, 0.3, 0.0, 0.3, 0.0, 0.0, 0.0],
        }
    )
    return Result(
        scenario=overcap.load_scenario("baseline"),
        seed=0,
        sectors=sec,
        provinces=prov,
        economy=eco,
        trade=trade,
    )


FACTS = textwrap.dedent(
    """\
    id,indicator,sector,partner,year_from,year_to,statistic,target,low,high,unit,source,flag,note
    V1,utilisation,steel,,2000,2000,value,,0.79,0.81,ratio,test,V,0.80
    V2,utilisation,steel,,2000,2000,value,,0.5,0.6,ratio,test,V,fails
    M1,utilisation,steel,,2000,2003,mean,,0.80,0.82,ratio,test,V,0.8125
    S1,output,steel,,2000,2001,sum,,165,165,Mt,test,V,165
    G1,profit,steel,,2001,2001,sign,-1,,,sign,test,V,-2
    B1,ppi_change,ALL,,2000,2003,below,0,,,pct,test,V,mean -0.75
    A1,ppi_change,ALL,,2000,2003,all_below,0,,,pct,test,V,2002 is +0.5: fails
    A2,ppi_change,ALL,,2000,2001,all_below,0,,,pct,test,V,passes
    N1,trade_measure_in_force,steel,USA,2000,2003,any,1,,,bool,test,V,2001
    N2,trade_measure_in_force,cement,USA,2000,2003,any,1,,,bool,test,V,never
    H1,utilisation,ALL,,2000,2003,share_of_sectors_below:0.7,,0.5,0.5,share,test,V,cement 0.525
    D1,gdp_growth,ALL,,2001,2003,decline_years_at_least:2,,,,n,test,V,2001 and 2003 fell
    D2,gdp_growth,ALL,,2001,2003,decline_years_at_least:3,,,,n,test,V,only 2
    P1,utilisation,steel+cement,,2002,2002,value,,0.73,0.74,ratio,test,V,110/150
    W1,china_world_share,steel+cement,,2000,2000,value,,0.42,0.43,share,test,V,110/260
    R1,gdp_growth,Tibet,,2000,2003,mean,,8.9,9.1,pct,test,V,9
    X2,utilisation,coal,,2000,2000,value,,0,1,x,test,V,not modelled in this run
    X3,utilisation,steel,,1990,1991,mean,,0,1,x,test,V,outside the run
    """
)

EXPECTED = {
    "V1": (0.80, True),
    "V2": (0.80, False),
    "M1": (0.8125, True),
    "S1": (165.0, True),
    "G1": (-1.0, True),
    "B1": (-0.75, True),
    "A1": (0.5, False),
    "A2": (-1.0, True),
    "N1": (1.0, True),
    "N2": (0.0, False),
    "H1": (0.5, True),
    "D1": (2.0, True),
    "D2": (2.0, False),
    "P1": (110 / 150, True),
    "W1": (110 / 260, True),
    "R1": (9.0, True),
}


def test_every_statistic_on_known_answers() -> None:
    facts = parse_facts(FACTS)
    table = check(synthetic(), facts).set_index("id")
    for fid, (value, ok) in EXPECTED.items():
        assert table.loc[fid, "value"] == pytest.approx(value), fid
        assert bool(table.loc[fid, "passed"]) is ok, fid
    for fid in ("X2", "X3"):
        assert not table.loc[fid, "evaluable"] and not table.loc[fid, "passed"]
        assert table.loc[fid, "reason"]


def test_ensemble_median_and_share_passing() -> None:
    facts = parse_facts(FACTS)
    runs = [synthetic(0.0), synthetic(0.2), synthetic(-0.3)]
    t = check(runs, facts).set_index("id")
    # V1 utilisation 2000: 0.80, 1.00, 0.50 -> median 0.80 passes, one run of three passes
    assert t.loc["V1", "value"] == pytest.approx(0.80)
    assert t.loc["V1", "passed"]
    assert t.loc["V1", "share_passing"] == pytest.approx(1 / 3)


BAD = [
    ("missing column", "id,indicator,sector\nF,x,ALL\n", "column 'year_from'"),
    (
        "bad year",
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "F1,utilisation,ALL,,20x0,2000,value,,0,1\n",
        "row 2, column year_from",
    ),
    (
        "reversed years",
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "F1,utilisation,ALL,,2001,2000,value,,0,1\n",
        "row 2, column year_to",
    ),
    (
        "unknown statistic",
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "F1,utilisation,ALL,,2000,2000,median,,0,1\n",
        "row 2, column statistic",
    ),
    (
        "band missing",
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "F1,utilisation,ALL,,2000,2000,mean,,,1\n",
        "row 2, column low",
    ),
    (
        "target missing",
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "F1,utilisation,ALL,,2000,2000,below,,,\n",
        "row 2, column target",
    ),
    (
        "low above high",
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "F1,utilisation,ALL,,2000,2000,value,,2,1\n",
        "row 2, column high",
    ),
    (
        "duplicate id",
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "F1,utilisation,ALL,,2000,2000,value,,0,1\nF1,utilisation,ALL,,2000,2000,value,,0,1\n",
        "row 3, column id",
    ),
    (
        "bad partner",
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "F1,utilisation,ALL,Mars,2000,2000,value,,0,1\n",
        "row 2, column partner",
    ),
    (
        "param missing",
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "F1,utilisation,ALL,,2000,2000,share_of_sectors_below,,0,1\n",
        "row 2, column statistic",
    ),
    (
        "sign target",
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "F1,utilisation,ALL,,2000,2000,sign,2,,\n",
        "row 2, column target",
    ),
]


HEADER = "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
BAD += [
    ("unknown indicator", HEADER + "F1,x,ALL,,2000,2000,value,,0,1\n", "row 2, column indicator"),
    ("unknown sector", HEADER + "F1,output,stel,,2000,2000,value,,0,1\n", "row 2, column sector"),
    ("unknown pooled sector", HEADER + "F1,output,steel+x,,2000,2000,value,,0,1\n",
     "row 2, column sector: 'x'"),
    ("a quantity in a unit with no conversion",
     HEADER.replace("high", "high,unit") + "F1,capacity,coal,,2015,2015,value,,0,1,bn t\n",
     "row 2, column unit: 'bn t' is not coal's unit in the model ('Mtce')"),
]  # fmt: skip


@pytest.mark.parametrize("label,text,where", BAD, ids=[b[0] for b in BAD])
def test_malformed_facts_name_row_and_column(label: str, text: str, where: str) -> None:
    with pytest.raises(FactsError) as info:
        parse_facts(text)
    assert where in str(info.value)
    assert "\n" not in str(info.value)


def test_packaged_facts_parse_and_hash(tmp_path: Path) -> None:
    facts, digest = load_facts()
    assert len(facts) == 71 and len(digest) == 64
    assert [f.id for f in facts] == [f"F{i:02d}" for i in range(1, 72)]
    p = tmp_path / "f.csv"
    p.write_text(FACTS, encoding="utf-8")
    mine, d2 = load_facts(p)
    assert len(mine) == 18 and d2 != digest
    # the digest is of the facts and of the conversions to the model's units
    units = data_path("fact_units.csv").read_bytes()
    assert digest == hashlib.sha256(data_path("facts.csv").read_bytes() + units).hexdigest()


def test_facts_parse_when_the_shipped_set_does_not_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The names a fact may use are read from the uncalibrated baseline: a calibrated set
    that no longer loads (a datum's range moved under it, session 49) does not stop the
    facts file from parsing."""
    import overcap.scenario as scenario
    from overcap.evidence import vocabulary

    def unloadable(raw: object, name: str) -> object:
        raise scenario.ScenarioError(f"calibration {name!r}: a value outside its range")

    monkeypatch.setattr(scenario, "apply_calibration", unloadable)
    vocabulary.cache_clear()
    try:
        facts, _ = load_facts()
        assert len(facts) == 71
        assert "export_share" in vocabulary()[0]
    finally:
        vocabulary.cache_clear()


def test_a_bad_unit_table_names_its_row_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import overcap.evidence as ev

    good = data_path("fact_units.csv").read_text(encoding="utf-8").splitlines()
    cases = [
        (good[1].replace(",Mtce,", ",Mt coal,"), "row 2, column model_unit: 'Mt coal'"),
        (good[1].replace(",0.7143,", ",-1,"), "row 2, column factor: '-1'; allowed: a number"),
        (good[1].replace(",0.7143,", ",x,"), "fact_units.csv row 2, column factor: 'x'"),
        ("coke" + good[1][4:], "row 2, column sector: 'coke' unknown"),
    ]
    for line, where in cases:
        (tmp_path / "fact_units.csv").write_text(good[0] + "\n" + line + "\n", encoding="utf-8")
        monkeypatch.setattr(ev, "data_path", lambda name: tmp_path / name)
        ev.unit_conversions.cache_clear()
        try:
            with pytest.raises(FactsError, match=where):
                ev.unit_conversions()
        finally:
            monkeypatch.undo()
            ev.unit_conversions.cache_clear()


def test_quantity_facts_are_compared_in_the_models_unit() -> None:
    """A quantity fact in another unit than the model's for its sector is converted by
    data/fact_units.csv (raw coal to standard coal, as facts.csv converts F67 itself);
    the model's unit, an empty unit, a ratio and a sign are left as they are; the digest
    covers the conversions."""
    head = HEADER.replace("high", "high,unit")
    rows = [
        "F1,capacity_retired_by_campaign,coal,,2016,2018,sum,700,460,900,Mt",
        "F2,capacity,coal,,2015,2015,value,4070,3700,4400,Mtce",
        "F3,capacity,coal,,2015,2015,value,4070,3700,4400,",
        "F4,utilisation,coal,,2015,2015,value,0.65,0.58,0.72,ratio",
        "F5,output,steel,,2015,2015,value,804,700,900,Mt",
        "F6,output,coal,,2015,2015,sign,1,,,Mt",
    ]
    f = {x.id: x for x in parse_facts(head + "\n".join(rows) + "\n")}
    factor = unit_conversions()[("coal", "Mt")]
    assert factor == pytest.approx(0.7143)
    assert (f["F1"].target, f["F1"].low, f["F1"].high) == pytest.approx(
        (700 * factor, 460 * factor, 900 * factor)
    )
    assert f["F1"].unit == "Mtce" and "converted from Mt (700, 460, 900)" in f["F1"].note
    assert f["F1"].factor == factor
    assert all(f[k].factor == 1.0 for k in ("F2", "F3", "F4", "F5", "F6"))
    for k in ("F2", "F3", "F4"):
        assert (f[k].low, f[k].high) == (float(rows[int(k[1]) - 1].split(",")[8]),
                                         float(rows[int(k[1]) - 1].split(",")[9]))  # fmt: skip
    assert (f["F5"].low, f["F5"].high, f["F5"].unit) == (700, 900, "Mt finished steel")
    assert f["F6"].target == 1.0
    packaged = {x.id: x for x in load_facts()[0]}
    assert packaged["F22"].high == pytest.approx(900 * factor)
    assert packaged["F67"].high == 4400  # already in Mtce in the file


def test_every_packaged_fact_is_evaluable_on_a_baseline_run(baseline: overcap.Result) -> None:
    t = check(baseline)
    assert len(t) == 71
    assert t["evaluable"].all(), t.loc[~t["evaluable"], ["id", "reason"]]
    assert np.isfinite(t["value"].to_numpy(dtype=float)).all()


def test_cli_check_json_and_errors(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from overcap.cli import app

    p = tmp_path / "mine.csv"
    p.write_text(
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "U1,aggregate_utilisation,ALL,,2000,2000,value,,0,1\n"
        "X1,utilisation,steel,,1900,1901,value,,0,1\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["check", "--facts", str(p), "--runs", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) >= {"facts", "passed", "total"}
    assert out["total"] == 2 and out["passed"] == 1
    keys = {"id", "value", "low", "high", "target", "passed", "share_passing"}
    assert keys <= set(out["facts"][0])
    assert out["facts"][1]["evaluable"] is False and out["facts"][1]["reason"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,indicator\nF,x\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["check", "--facts", str(bad), "--runs", "1"])
    assert res.exit_code == 2 and "year_from" in res.output
    # a typo in an indicator or a sector is an error before any run, not a failed fact
    for row, where in (
        ("X1,nonsense,ALL,,2000,2000,value,,0,1", "column indicator: 'nonsense' unknown"),
        ("X1,utilisatoin,ALL,,2000,2000,value,,0,1", "did you mean 'utilisation'"),
        ("X1,utilisation,unobtainium,,2000,2000,value,,0,1", "column sector: 'unobtainium'"),
        ("X1,utilisation,steel+stel,,2000,2000,value,,0,1", "column sector: 'stel'"),
    ):
        bad.write_text(
            "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
            + row
            + "\n",
            encoding="utf-8",
        )
        res = CliRunner().invoke(app, ["check", "--facts", str(bad), "--runs", "1"])
        assert res.exit_code == 2, res.output
        assert where in res.stderr and "row 2" in res.stderr, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.output


def ratios_result() -> Result:
    """Two sectors, two years, with the flows behind the ratio indicators. Where the
    ratio of the sums and the mean of the sectors' ratios differ, the answers below are
    the ratio of the sums (data/README.md)."""
    sec = pd.DataFrame(
        {
            "year": [2000, 2000, 2001, 2001],
            "sector": ["steel", "cement"] * 2,
            "output": [100.0, 10.0, 80.0, 0.0],
            "capacity": [120.0, 20.0, 120.0, 20.0],
            "exports": [20.0, 9.0, 40.0, 0.0],
            "revenue": [50.0, 10.0, 40.0, 0.0],
            "profit": [5.0, -5.0, 4.0, 0.0],
            "margin": [0.1, -0.5, 0.1, 0.0],
            "subsidies": [5.0, 4.0, 2.0, 1.0],
            "price": [0.5, 1.0, 0.5, 1.0],
            "firms": [8.0, 1.0, 6.0, 2.0],  # at the end of the year
            "exits": [2.0, 1.0, 0.0, 0.0],  # so 10, 2, 6, 2 firms were tested
            "zombie_share": [0.5, 0.0, 0.0, 0.5],  # 5, 0, 0, 1 zombies
            "loss_making_share": [0.2, 1.0, 0.5, 0.0],  # 2, 2, 3, 0 loss-makers
        }
    )
    eco = pd.DataFrame({"year": [2000, 2001], "gdp_growth": [9.0, 8.0]})
    prov = pd.DataFrame({"year": [2000, 2001], "province": ["Hebei"] * 2, "debt": [1.0, 2.0]})
    trade = pd.DataFrame(
        {"year": [2000, 2001], "partner": ["USA"] * 2, "sector": ["steel"] * 2, "duty": [0.0] * 2}
    )
    return Result(
        scenario=overcap.load_scenario("baseline"),
        seed=0,
        sectors=sec,
        provinces=prov,
        economy=eco,
        trade=trade,
    )


RATIO_FACTS = textwrap.dedent(
    """\
    id,indicator,sector,partner,year_from,year_to,statistic,target,low,high
    E1,export_share,steel,,2001,2001,value,,0.49,0.51
    E2,export_share,ALL,,2000,2001,mean,,0.38,0.39
    E3,export_share,steel,,2000,2001,sum,,0.69,0.71
    E4,export_share,ALL,,2000,2000,sign,1,,
    E5,export_share,cement,,2000,2001,below,0.5,,
    E6,export_share,ALL,,2000,2001,all_below,0.6,,
    E7,export_share,cement,,2001,2001,any,1,,
    E8,export_share,ALL,,2000,2001,share_of_sectors_below:0.4,,0.5,0.5
    E9,export_share,cement,,2001,2001,decline_years_at_least:1,,,
    E10,export_share,steel+cement,,2000,2000,value,,0.26,0.27
    S1,subsidy_share_of_revenue,cement,,2000,2000,value,,0.39,0.41
    S2,subsidy_share_of_revenue,cement,,2001,2001,value,,0,0
    S3,subsidy_share_of_revenue,ALL,,2000,2000,value,,0.14,0.16
    S4,subsidy_share_of_revenue,ALL,,2000,2001,mean,,0.11,0.12
    S5,subsidy_share_of_revenue,steel+cement,,2001,2001,value,,0.07,0.08
    M1,margin,ALL,,2000,2000,value,,-0.01,0.01
    Z1,zombie_share,ALL,,2000,2000,value,,0.41,0.42
    Z2,zombie_share,steel+cement,,2001,2001,value,,0.12,0.13
    Z3,zombie_share,steel,,2000,2000,value,,0.5,0.5
    L1,loss_making_share,ALL,,2000,2000,value,,0.33,0.34
    L2,loss_making_share,ALL,,2000,2001,mean,,0.35,0.36
    P1,price,steel,,2000,2000,value,,0.5,0.5
    P2,price,ALL,,2000,2000,value,,0,10
    P3,price,steel+cement,,2000,2000,value,,0,10
    """
)

RATIO_EXPECTED = {
    "E1": 0.5,
    "E2": (29 / 110 + 40 / 80) / 2,
    "E3": 0.2 + 0.5,
    "E4": 1.0,
    "E5": (0.9 + 0.0) / 2,  # cement has no output in 2001: its ratio is 0
    "E6": 0.5,
    "E7": 0.0,
    "E8": 0.5,  # active sector-years only: steel 0.35, cement 0.9 (2000)
    "E9": 1.0,  # 0.9 in 2000, 0 in 2001
    "E10": 29 / 110,
    "S1": 0.4,
    "S2": 0.0,  # no revenue: 0, never missing
    "S3": 9 / 60,
    "S4": (9 / 60 + 3 / 40) / 2,
    "S5": 3 / 40,
    "M1": 0.0,
    "Z1": 5 / 12,  # zombies over the firms tested (end of year plus exits)
    "Z2": 1 / 8,
    "Z3": 0.5,
    "L1": 4 / 12,
    "L2": (4 / 12 + 3 / 8) / 2,
    "P1": 0.5,
}
# the mean of the sectors' ratios, or shares weighted by the firms left at the end of
# the year, give other answers: the checks above fail for them
MEAN_OF_RATIOS = {
    "E10": (0.2 + 0.9) / 2,
    "S3": (0.1 + 0.4) / 2,
    "M1": (0.1 - 0.5) / 2,
    "Z1": (0.5 * 8 + 0.0 * 1) / 9,
    "L1": (0.2 * 8 + 1.0 * 1) / 9,
}


def test_ratio_indicators_on_known_answers() -> None:
    facts = parse_facts(RATIO_FACTS)
    table = check(ratios_result(), facts).set_index("id")
    for fid, value in RATIO_EXPECTED.items():
        assert table.loc[fid, "evaluable"], (fid, table.loc[fid, "reason"])
        assert table.loc[fid, "value"] == pytest.approx(value), fid
    passing = {"E1", "E2", "E3", "E4", "E5", "E6", "E8", "E9", "E10"}
    passing |= {"S1", "S2", "S3", "S4", "S5", "M1", "Z1", "Z2", "Z3", "L1", "L2", "P1"}
    assert set(table.index[table["passed"]]) == passing
    for fid, wrong in MEAN_OF_RATIOS.items():
        assert wrong != pytest.approx(RATIO_EXPECTED[fid], abs=1e-3), fid
    # a per-sector-only indicator has no ALL or pooled value
    for fid in ("P2", "P3"):
        assert not table.loc[fid, "evaluable"]
        assert "per sector only" in table.loc[fid, "reason"]


def test_pooled_zombie_share_is_the_engines_ratio_of_sums(baseline: overcap.Result) -> None:
    """Pooling every sector's zombie share gives the economy's zombie share, which the
    engine computes as zombie firms over live firms: the firms tested are the firms at
    the end of the year plus the year's exits."""
    from overcap.evidence import _pool

    s = baseline.sectors
    pooled = _pool(s, "zombie_share", list(s["sector"].unique()))
    eco = baseline.economy.set_index("year")["zombie_share"]
    assert (s["exits"] > 0).any()
    np.testing.assert_allclose(pooled.to_numpy(), eco.loc[pooled.index].to_numpy(), atol=1e-12)


def test_cli_check_scores_in_sample_and_out_of_time(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from overcap.cli import app

    p = tmp_path / "mine.csv"
    p.write_text(
        "id,indicator,sector,partner,year_from,year_to,statistic,target,low,high\n"
        "A,aggregate_utilisation,ALL,,2000,2000,value,,0,1\n"
        "B,aggregate_utilisation,ALL,,2010,2013,mean,,0,1\n"
        "C,aggregate_utilisation,ALL,,2015,2015,value,,2,3\n",
        encoding="utf-8",
    )
    args = ["check", "--facts", str(p), "--runs", "1", "--holdout", "2013-2019"]
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [f["out_of_time"] for f in out["facts"]] == [False, True, True]
    assert out["in_sample"] == [1, 1] and out["out_of_time"] == [1, 2]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "in-sample" in res.output and "out of time" in res.output
    res = CliRunner().invoke(app, [*args[:-1], "2019-2013"])
    assert res.exit_code == 2 and "--holdout" in res.output


def test_parse_span_reads_a_span_or_one_year_and_names_what_is_wrong() -> None:
    from overcap.evidence import parse_span

    assert parse_span("2013-2019") == (2013, 2019)
    assert parse_span(" 2016 ") == (2016, 2016)
    for bad, why in (("2019-2013", "before the first"), ("x", "FROM-TO"), ("2013-", "no last")):
        with pytest.raises(ValueError, match=why):
            parse_span(bad)
