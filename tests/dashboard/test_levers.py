"""The levers: each one a schema parameter with the schema's unit and range; every value
the page sends is checked on the server and a bad one names its field."""

from __future__ import annotations

import math

import pytest

from overcap.dashboard.levers import (
    BY_ID,
    GROUPS,
    LEVERS,
    MAX_RUNS,
    REFORM_YEAR,
    InputError,
    RunSpec,
    lever_values,
    parse_lever,
    parse_request,
    reform_events,
    reform_start,
    scenario,
    shift_reform,
)
from overcap.dashboard.text import error_text, range_text, unit, unit_key
from overcap.report import messages
from overcap.scenario import available_scenarios, field_bounds, load_scenario

# the issue's list of levers, each with the schema paths that carry it
ISSUE_LEVERS = {
    "subsidy intensity": {"provinces.subsidy_base", "switches.subsidies"},
    "soft budgets and bailouts": {"switches.soft_budget", "switches.bailouts"},
    "SOE output targets": {"switches.soe_output_targets", "market.must_run_utilisation"},
    "local protection": {"switches.local_protection", "provinces.protection_mean"},
    "investment visibility": {"investment.visibility"},
    "campaign intensity and compliance": {
        "centre.control.campaign_intensity",
        "centre.campaign_compliance",
    },
    "price floor and evasion": {"centre.control.price_floor", "centre.floor_evasion"},
    "trade-defence sensitivity": {"trade.defence_surge", "trade.defence_dumping"},
    "rare-earth countermeasures": {
        "switches.countermeasures",
        "trade.countermeasure_probability",
    },
}


def test_every_lever_of_the_issue_is_there() -> None:
    paths = {lv.path for lv in LEVERS}
    for what, needed in ISSUE_LEVERS.items():
        assert needed <= paths, what
    assert "reform" in GROUPS  # the year a reform starts


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lv: lv.id)
def test_lever_bounds_come_from_the_schema(lever) -> None:
    sc = load_scenario("baseline")
    node = sc
    parts = lever.path.split(".")
    for part in parts[:-1]:
        node = getattr(node, part)
    finfo = type(node).model_fields[parts[-1]]
    assert lever.bounds == field_bounds(finfo)
    if lever.kind == "slider":
        lo, hi, u = lever.bounds
        assert lo is not None and hi is not None and u
        if finfo.annotation is int:  # a count: one step a whole number
            assert lever.step == 1
        else:
            assert lever.step and 10 <= (hi - lo) / lever.step <= 1000
        assert messages.has(unit_key(u)), f"no translation of the unit {u!r}"
    else:
        assert finfo.annotation is bool
    for lang in messages.LANGS:
        assert messages.t(f"dash.lever.{lever.id}", lang)
        assert messages.t(f"dash.group.{lever.group}", lang)


def test_range_text_in_both_languages() -> None:
    assert range_text("visibility", "en") == "0 to 1 share"
    assert range_text("visibility", "zh-TW") == "0 至 1 比例"
    assert unit("share of average cost", "zh-TW") == "平均成本的比例"
    assert unit("no such unit", "zh-TW") == "no such unit"  # the schema's words


def test_shipped_values_are_unchanged_levers() -> None:
    for name in available_scenarios():
        values = lever_values(name)
        page = {k: v for k, v in values.items() if k != REFORM_YEAR}
        spec = parse_request(name, page, seed=3, runs=2)
        assert spec.overrides == (), name
        assert (spec.scenario, spec.seed, spec.runs) == (name, 3, 2)


def test_page_values_become_overrides() -> None:
    spec = parse_request(
        "market-reform",
        {"visibility": "0.2", "bailouts": [], "subsidy_base": 0.5, "subsidies": ["on"]},
        seed="7",
        runs="3",
    )
    assert spec.overrides_dict == {
        "investment.visibility": 0.2,
        "switches.bailouts": False,
        "provinces.subsidy_base": 0.5,
    }
    assert (spec.seed, spec.runs) == (7, 3)
    assert spec.command() == (
        "overcap compare baseline market-reform --runs 3 --seed 7"
        " --set market-reform:investment.visibility=0.2"
        " --set market-reform:provinces.subsidy_base=0.5"
        " --set market-reform:switches.bailouts=false"
    )
    # the same parameters give the same key, whatever their order
    again = parse_request(
        "market-reform",
        {"subsidy_base": "0.5", "bailouts": [], "visibility": 0.2},
        seed=7,
        runs=3,
    )
    assert again.key == spec.key and again == spec
    assert RunSpec("market-reform", seed=7, runs=3).key != spec.key


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        (
            {"visibility": 1.5},
            "investment.visibility",
            "1.5 is out of range; allowed: 0 to 1 share",
        ),
        ({"visibility": "-0.1"}, "investment.visibility", "allowed: 0 to 1 share"),
        ({"visibility": "abc"}, "investment.visibility", "abc is not a number"),
        ({"visibility": "nan"}, "investment.visibility", "is not a number"),
        ({"visibility": math.inf}, "investment.visibility", "is not a number"),
        ({"visibility": True}, "investment.visibility", "is not a number"),
        ({"visibility": [0.5]}, "investment.visibility", "is not a number"),
        ({"visibility": ""}, "investment.visibility", "enter a number"),
        ({"visibility": "1e300"}, "investment.visibility", "1e+300 is out of range"),
        ({"campaign_intensity": 9}, "centre.control.campaign_intensity", "0 to 5"),
        ({"defence_surge": 201}, "trade.defence_surge", "0 to 200"),
        ({"bailouts": "yes"}, "switches.bailouts", "neither on nor off"),
        ({"bailouts": ["on", "off"]}, "switches.bailouts", "neither on nor off"),
        ({"no_such_lever": 1}, "no_such_lever", "there is no such lever"),
        ({"__class__": 1}, "__class__", "there is no such lever"),
    ],
)
def test_bad_lever_values_name_the_field(values, field, text) -> None:
    with pytest.raises(InputError) as info:
        parse_request("baseline", values)
    assert info.value.field == field
    msg = error_text(info.value, "en")
    assert field in msg and text in msg, msg
    assert "\n" not in msg and "Traceback" not in msg
    assert error_text(info.value, "zh-TW") != msg  # a Chinese message too


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"scenario_name": "nope"}, "scenario", "nope does not exist; allowed: "),
        ({"scenario_name": "../scenarios/baseline.toml"}, "scenario", "does not exist"),
        ({"scenario_name": "/etc/passwd"}, "scenario", "does not exist"),
        ({"scenario_name": ["baseline"]}, "scenario", "does not exist"),
        ({"runs": 0}, "runs", "0 is out of range; allowed: 1 to 20"),
        ({"runs": MAX_RUNS + 1}, "runs", "out of range"),
        ({"runs": "2.5"}, "runs", "must be a whole number"),
        ({"runs": 10**12}, "runs", "out of range"),
        ({"seed": -1}, "seed", "out of range"),
        ({"seed": "x"}, "seed", "not a number"),
    ],
)
def test_bad_run_settings_name_the_field(kwargs, field, text) -> None:
    args = {"scenario_name": "baseline", "values": {}, "seed": 0, "runs": 2, **kwargs}
    with pytest.raises(InputError) as info:
        parse_request(**args)
    assert info.value.field == field
    msg = error_text(info.value, "en")
    assert text in msg, msg


def test_levers_must_be_a_mapping() -> None:
    with pytest.raises(InputError, match="levers"):
        parse_request("baseline", ["visibility", 0.5])  # type: ignore[arg-type]


def test_parse_lever_checks_alone() -> None:
    assert parse_lever("visibility", "0,25") == 0.25  # a decimal comma is read
    assert parse_lever("bailouts", ["on"]) is True
    assert parse_lever("bailouts", []) is False
    with pytest.raises(InputError):
        parse_lever(None, 1)


def test_reform_year_moves_the_scenarios_own_events() -> None:
    mr = scenario("market-reform")
    assert reform_events(mr) == {"reform": (2020, 2030)}
    assert reform_start(mr) == 2020
    assert shift_reform(mr, 2015) == {"events.reform.years": [2015, 2030]}
    assert shift_reform(mr, 2020) == {}
    spec = parse_request("market-reform", {REFORM_YEAR: "2012"})
    assert spec.overrides_dict == {"events.reform.years": [2012, 2030]}
    sc = load_scenario("market-reform", spec.overrides_dict)
    assert tuple(sc.events["reform"].years) == (2012, 2030)
    # events that end before the last year keep their length; those pushed past it go off
    tw = scenario("trade-war")
    moved = shift_reform(tw, 2030)  # five years later
    assert moved["events.us_escalation.years"] == [2030, 2030]
    assert moved["events.eu_escalation.enabled"] is False  # would start in 2031
    assert moved["events.rare_earth_controls_eu.enabled"] is False
    assert shift_reform(tw, 2027)["events.rare_earth_controls_eu.years"] == [2028, 2030]
    ssc = scenario("supply-side-campaign")
    assert shift_reform(ssc, 2020)["events.second_campaign.years"] == [2020, 2022]
    # the baseline has no reform of its own: the year does not apply
    assert reform_events(scenario("baseline")) == {}
    with pytest.raises(InputError) as info:
        parse_request("baseline", {REFORM_YEAR: 2010})
    assert "has no reform" in error_text(info.value, "en")
    with pytest.raises(InputError) as info:
        parse_request("market-reform", {REFORM_YEAR: 2040})
    assert "2040 is out of range; allowed: 1995 to 2030 year" in error_text(info.value, "en")


def test_extra_overrides_are_part_of_every_spec() -> None:
    extra = {"population.firms_start": 1000, "time.start_year": 2005, "time.end_year": 2025}
    spec = parse_request("market-reform", {"visibility": 0.3}, runs=2, extra=extra)
    assert spec.overrides_dict == {**extra, "investment.visibility": 0.3}
    ref = spec.reference()
    assert ref.scenario == "baseline" and ref.overrides_dict == extra and ref.is_reference
    with pytest.raises(InputError) as info:  # the reform year's range follows them
        parse_request("market-reform", {REFORM_YEAR: 2027}, extra=extra)
    assert "allowed: 2005 to 2025" in error_text(info.value, "en")


def test_every_lever_id_is_known() -> None:
    assert set(BY_ID) == {lv.id for lv in LEVERS}
    assert len(BY_ID) == len(LEVERS)


def test_a_lever_over_a_count_takes_whole_numbers_only() -> None:
    """centre.campaign_plan_years is a whole number of years: 2 (or "2", or 2.0) is taken
    as the integer 2; 2.5 is refused naming the path, before anything runs."""
    from overcap.dashboard.levers import parse_lever

    for raw in (2, "2", 2.0):
        v = parse_lever("campaign_plan_years", raw)
        assert v == 2 and isinstance(v, int)
    with pytest.raises(InputError) as err:
        parse_lever("campaign_plan_years", 2.5)
    assert err.value.field == "centre.campaign_plan_years"
    with pytest.raises(InputError) as err:
        parse_lever("campaign_plan_years", 6)
    assert err.value.key == "dash.error.range"
