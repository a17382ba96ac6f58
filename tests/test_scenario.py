"""Scenario loading: user errors give a one-line ScenarioError naming the field and what is
allowed; overrides, inheritance and the schema's metadata behave as documented."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import overcap
from overcap.scenario import SECTOR_PARAMS, Scenario, sector_table

Overrides = dict[str, Any] | list[str] | None
Make = Callable[[Path], tuple[str, Overrides]]


def _file(name: str, content: str | bytes) -> Make:
    """A case whose input is a TOML file written into tmp_path."""

    def make(tmp: Path) -> tuple[str, Overrides]:
        p = tmp / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
        return str(p), None

    return make


def _over(overrides: Overrides, scenario: str = "baseline") -> Make:
    """A case whose input is a scenario name plus overrides."""
    return lambda tmp: (scenario, overrides)


def _directory(tmp: Path) -> tuple[str, Overrides]:
    d = tmp / "adir.toml"
    d.mkdir()
    return str(d), None


def _cycle(tmp: Path) -> tuple[str, Overrides]:
    a, b = tmp / "cyc_a.toml", tmp / "cyc_b.toml"
    a.write_text(f'inherits = "{b.as_posix()}"\n', encoding="utf-8")
    b.write_text(f'inherits = "{a.as_posix()}"\n', encoding="utf-8")
    return str(a), None


def _missing(tmp: Path) -> tuple[str, Overrides]:
    return str(tmp / "no_such_scenario.toml"), None


def _steel_lr_range() -> str:
    _, lo, hi = sector_table()["steel"]["learning_rate"]
    return f"[{lo}, {hi}]"


@dataclass(frozen=True)
class Bad:
    id: str
    make: Make
    # fragments the message must contain to name the offending field or input;
    # "{path}" is replaced by the input path of file cases
    names: tuple[str, ...]
    # fragments the message must contain to say what is allowed
    allowed: tuple[str, ...]
    # xfail reason for a known bug (both tests) / for one test only; none open now
    bug: str = ""
    bug_line: str = ""
    bug_allowed: str = ""


BUG_BOOL = (
    "bool accepted for a float section field: investment.visibility=true silently becomes "
    "1.0 (pydantic lax mode), while sectors.* rejects bools"
)
BUG_NEWLINE = (
    "an override key containing a newline is echoed raw by _check_path "
    "(f'override {raw_key}: ...'), so the message spans two lines"
)

# fmt: off
CASES: list[Bad] = [
    # ---- TOML files
    Bad("unknown-top-level-key", _file("topkey.toml", "bogus = 1\n"), ("bogus",),
        ("allowed", "investment")),
    Bad("unknown-section-key", _file("seckey.toml", "[investment]\nvisibilty = 0.3\n"),
        ("investment.visibilty",), ("visibility",)),
    Bad("string-for-float", _file("type.toml", '[investment]\nvisibility = "high"\n'),
        ("investment.visibility", "'high'"), ("allowed: 0.0 to 1.0",)),
    Bad("float-above-range", _file("range.toml", "[investment]\nvisibility = 1.5\n"),
        ("investment.visibility", "1.5"), ("allowed: 0.0 to 1.0",)),
    Bad("float-below-range", _file("util.toml", "[market]\nnormal_utilisation = 0.2\n"),
        ("market.normal_utilisation", "0.2"), ("allowed: 0.5 to 1.0",)),
    Bad("negative-int", _file("neg.toml", "[population]\nfirms_start = -5\n"),
        ("population.firms_start", "-5"), ("allowed: 50 to",)),
    Bad("end-before-start", _file("years.toml", "[time]\nstart_year = 2000\nend_year = 1999\n"),
        ("time", "end_year", "start_year"), ("must not be before",)),
    Bad("sector-range-in-file", _file("sec.toml", "[sectors.steel]\nlearning_rate = 0.9\n"),
        ("sectors.steel.learning_rate",), (_steel_lr_range(),)),
    Bad("sectors-not-a-table", _file("sectab.toml", "sectors = 3\n"),
        ("sectors",), ("must be a table",)),
    Bad("event-unknown-sector",
        _file("shock.toml",
              '[events.shock]\nkind = "demand_shock"\nyears = [2000, 2001]\n'
              'sectors = ["steal"]\nsize = 0.1\n'),
        ("events.shock.sectors", "'steal'"), ("allowed: ALL", "steel")),
    Bad("event-unknown-kind",
        _file("kind.toml", '[events.x]\nkind = "coup"\nyears = [2000, 2001]\n'),
        ("events.x", "'coup'"), ("allowed:", "campaign")),
    Bad("event-years-reversed",
        _file("rev.toml", '[events.x]\nkind = "macro_shock"\nyears = [2005, 2001]\n'),
        ("events.x", "years"), ("before the first",)),
    Bad("event-unknown-partner",
        _over({"events.x": {"kind": "tariff", "years": [2020, 2021], "partner": "Mars"}}),
        ("events.x", "'Mars'"), ("USA", "EU")),
    Bad("replacement-ratio-below-one",
        _over({"events.x": {"kind": "capacity_replacement", "years": [2014, 2020],
                            "sectors": ["steel"], "size": 0.8}}),
        ("events.x", "size 0.8"), ("at least 1", "at most 3")),
    Bad("set-event-bad-path",
        _over({"events.x": {"kind": "set", "years": [2020, 2021],
                            "params": {"switches.subsidy": False}}}),
        ("switches", "'subsidy'"), ("allowed:", "subsidies")),
    Bad("set-event-frozen-section",
        _over({"events.x": {"kind": "set", "years": [2020, 2021],
                            "params": {"time.end_year": 2040}}}),
        ("params.time.end_year",), ("cannot change time",)),
    Bad("invalid-toml", _file("syntax.toml", "[investment\nvisibility = 0.3\n"),
        ("{path}", "line 1"), ("Expected",)),
    Bad("invalid-utf8", _file("latin1.toml", b'description = "caf\xe9"\n'),
        ("{path}",), ("not UTF-8 text",)),
    Bad("directory", _directory, ("{path}",), (os.strerror(errno.EISDIR),)),
    Bad("nonexistent-toml", _missing, ("{path}",), ("does not exist",)),
    Bad("inherits-not-a-name", _file("inhint.toml", "inherits = 3\n"),
        ("inherits",), ("must be a scenario name",)),
    Bad("inherits-misspelt", _file("inhbad.toml", 'inherits = "basline"\n'),
        ("'basline'",), ("did you mean 'baseline'",)),
    Bad("inherits-cycle", _cycle, ("inherits",), ("cycle",)),
    # ---- scenario names
    Bad("misspelt-scenario", _over(None, "basline"), ("'basline'",),
        ("did you mean 'baseline'", "available: ",
         "baseline, capacity-replacement, market-reform")),
    # ---- overrides
    Bad("override-without-equals", _over(["investment.visibility"]),
        ("investment.visibility",), ("expected path.to.param=value",)),
    Bad("override-empty-path", _over(["=1"]), ("'=1'",), ("empty parameter path",)),
    Bad("override-unknown-param", _over(["investment.nothere=1"]),
        ("investment.nothere", "'nothere'"), ("allowed: visibility",)),
    Bad("override-unknown-section", _over(["nosection.x=1"]),
        ("'nosection'",), ("allowed:", "investment")),
    Bad("override-below-leaf", _over(["investment.visibility.x=1"]),
        ("investment.visibility.x",), ("not a section",)),
    Bad("override-dict-out-of-range", _over({"investment.visibility": 2}),
        ("investment.visibility", "2"), ("allowed: 0.0 to 1.0",)),
    Bad("override-dict-unknown", _over({"investment__nothere": 1}),
        ("'nothere'",), ("allowed: visibility",)),
    Bad("override-end-before-start", _over(["time.end_year=1990"]),
        ("end_year (1990)", "start_year (1995)"), ("must not be before",)),
    Bad("override-switch-not-bool", _over(["switches.learning=maybe"]),
        ("switches.learning", "'maybe'"), ("allowed: true or false",)),
    Bad("override-sector-out-of-range", _over(["sectors.steel.learning_rate=0.9"]),
        ("sectors.steel.learning_rate", "0.9"), (_steel_lr_range(),)),
    Bad("override-unknown-sector", _over(["sectors.unobtainium.capex=1"]),
        ("'unobtainium'",), ("allowed:", "steel")),
    Bad("override-unknown-sector-param", _over(["sectors.steel.colour=1"]),
        ("sectors.steel.colour", "'colour'"), ("allowed:", "learning_rate")),
    Bad("override-sector-path-too-short", _over(["sectors.steel=1"]),
        ("sectors.steel",), ("use sectors.<sector>.<parameter>",)),
    Bad("override-sector-bool", _over(["sectors.steel.capex=true"]),
        ("sectors.steel.capex", "True"), ("must be a number",)),
    Bad("override-sectors-enabled-unknown", _over(["sectors_enabled=['steal']"]),
        ("sectors_enabled", "'steal'"), ("allowed:", "steel")),
    Bad("override-section-bool", _over(["investment.visibility=true"]),
        ("investment.visibility",), ("number",)),
    Bad("override-key-with-newline", _over(["investment.vis\nibility=1"]),
        ("nibility",), ("allowed: visibility",)),
    # ---- tables without a range before issue 16
    Bad("rare-earth-intensity-above-1", _over(["trade.rare_earth_intensity={autos=7}"]),
        ("rare_earth_intensity.autos", "7"), ("allowed: 0 to 1",)),
    Bad("rare-earth-intensity-nan", _over(["trade.rare_earth_intensity={autos=nan}"]),
        ("rare_earth_intensity.autos", "nan"), ("allowed: 0 to 1",)),
    Bad("rare-earth-unknown-sector", _over(["trade.rare_earth_intensity={steal=0.5}"]),
        ("trade.rare_earth_intensity", "'steal'"), ("allowed:", "steel")),
    Bad("growth-target-nan", _over(["centre.growth_targets={2000=nan}"]),
        ("growth_targets.2000", "nan"), ("allowed: -20.0 to 30.0 percent",)),
    Bad("growth-target-absurd", _over(["centre.growth_targets={2000=1e9}"]),
        ("growth_targets.2000",), ("allowed: -20.0 to 30.0",)),
    Bad("growth-targets-empty", _over(["centre.growth_targets={}"]),
        ("growth_targets",), ("at least one year",)),
    Bad("growth-target-year", _over(["centre.growth_targets={1800=7.0}"]),
        ("growth_targets", "1800"), ("allowed: 1950 to 2100",)),
    Bad("campaign-sectors-unknown", _over(["centre.campaign_sectors=['steel', 'tvs']"]),
        ("centre.campaign_sectors", "'tvs'"), ("allowed: ALL,", "appliances")),
    Bad("strategic-unknown-sector", _over(["centre.strategic={steal=[[2000, 2010]]}"]),
        ("centre.strategic", "'steal'"), ("allowed:", "steel")),
    Bad("strategic-years-reversed", _over(["centre.strategic={steel=[[2010, 2000]]}"]),
        ("strategic.steel", "[2010, 2000]"), ("before the first",)),
    Bad("strategic-years-outside", _over(["centre.strategic={steel=[[1800, 2000]]}"]),
        ("strategic.steel", "[1800, 2000]"), ("allowed: 1950 to 2100",)),
    Bad("event-years-outside", _over(["events.x={kind='stimulus', years=[1800, 1801]}"]),
        ("events.x", "[1800, 1801]"), ("allowed: 1950 to 2100",)),
    Bad("override-nan", _over(["investment.visibility=nan"]),
        ("investment.visibility", "nan"), ("allowed: 0.0 to 1.0",)),
    Bad("override-inf", _over(["macro.gdp_start=inf"]),
        ("macro.gdp_start", "inf"), ("allowed: 1.0 to",)),
]
# fmt: on


def _params(for_allowed: bool) -> list[Any]:
    out = []
    for c in CASES:
        reason = c.bug or (c.bug_allowed if for_allowed else c.bug_line)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


def _message(case: Bad, tmp_path: Path) -> tuple[str, str]:
    name_or_path, overrides = case.make(tmp_path)
    with pytest.raises(overcap.ScenarioError) as info:
        overcap.load_scenario(name_or_path, overrides)
    return str(info.value), name_or_path


def test_cases_are_many_and_distinct() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 12


@pytest.mark.parametrize("case", _params(for_allowed=False))
def test_bad_input_one_line_naming_the_field(case: Bad, tmp_path: Path) -> None:
    msg, given = _message(case, tmp_path)
    assert msg.strip(), "empty message"
    assert "\n" not in msg and "\r" not in msg, f"not one line: {msg!r}"
    for frag in case.names:
        frag = frag.replace("{path}", given)
        assert frag in msg, f"{frag!r} not named in {msg!r}"


@pytest.mark.parametrize("case", _params(for_allowed=True))
def test_bad_input_says_what_is_allowed(case: Bad, tmp_path: Path) -> None:
    msg, _ = _message(case, tmp_path)
    for frag in case.allowed:
        assert frag in msg, f"{frag!r} (what is allowed) missing from {msg!r}"


def test_open_range_message_has_no_none() -> None:
    with pytest.raises(overcap.ScenarioError) as info:
        overcap.load_scenario("baseline", ["seed=-1"])
    msg = str(info.value)
    assert "seed" in msg
    assert "None" not in msg, msg


def test_scenario_error_is_a_value_error() -> None:
    assert issubclass(overcap.ScenarioError, ValueError)


# --------------------------------------------------------------------------- what works


def test_overrides_dict_and_list_agree() -> None:
    base = overcap.load_scenario("baseline")
    by_dict = overcap.load_scenario("baseline", {"investment.visibility": 0.3})
    by_kw = overcap.load_scenario("baseline", {"investment__visibility": 0.3})
    by_list = overcap.load_scenario("baseline", ["investment.visibility=0.3"])
    assert by_dict.investment.visibility == 0.3
    assert base.investment.visibility != 0.3
    assert by_dict == by_list == by_kw
    assert by_dict != base


def test_sector_override_within_range_applies() -> None:
    _, lo, hi = sector_table()["steel"]["learning_rate"]
    mid = round((lo + hi) / 2, 6)
    sc = overcap.load_scenario("baseline", [f"sectors.steel.learning_rate={mid}"])
    assert sc.sectors["steel"].learning_rate == mid
    other = overcap.load_scenario("baseline")
    assert sc.sectors["aluminium"] == other.sectors["aluminium"]


def test_inherits_baseline_keeps_the_rest(tmp_path: Path) -> None:
    child = tmp_path / "child.toml"
    child.write_text('inherits = "baseline"\n\n[investment]\nvisibility = 0.25\n', "utf-8")
    sc = overcap.load_scenario(str(child))
    base = overcap.load_scenario("baseline")
    assert sc.name == "child"
    assert sc.inherits == "baseline"
    assert sc.investment.visibility == 0.25
    # baseline.toml's own values (not schema defaults) come through
    assert base.description and sc.description == base.description
    a, b = sc.to_dict(), base.to_dict()
    for d in (a, b):
        d.pop("name")
        d.pop("inherits")
        d["investment"].pop("visibility")
        # the child states visibility itself, so the calibrated value of it is not applied
        d["calibrated"]["params"].pop("investment.visibility", None)
    assert a == b


def test_baseline_round_trips() -> None:
    sc = overcap.load_scenario("baseline")
    again = Scenario.model_validate(sc.to_dict())
    assert again == sc
    assert again.to_dict() == sc.to_dict()


def test_load_scenario_accepts_a_scenario_with_overrides() -> None:
    sc = overcap.load_scenario("baseline")
    sc2 = overcap.load_scenario(sc, ["market.normal_utilisation=0.9"])
    assert sc2.market.normal_utilisation == 0.9
    assert sc2.name == "baseline"


def _section_fields() -> list[tuple[str, str, Any]]:
    out = []
    for section, info in Scenario.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            for name, finfo in ann.model_fields.items():
                if finfo.annotation in (int, float, bool):
                    out.append((section, name, finfo))
    return out


def test_every_scalar_parameter_has_description_and_unit() -> None:
    fields = _section_fields()
    sections = {s for s, _, _ in fields}
    assert {"time", "investment", "market", "exit", "macro", "switches"} <= sections
    assert len(fields) > 50
    missing = [
        f"{s}.{n}"
        for s, n, fi in fields
        if not fi.description
        or not isinstance(fi.json_schema_extra, dict)
        or not fi.json_schema_extra.get("unit")
    ]
    assert missing == []


def test_sector_defaults_lie_in_documented_range() -> None:
    """The schema's sector values are data/sectors.csv's; the calibrated baseline's (a few
    base shares are calibrated) stay inside the range that file documents."""
    table = sector_table()
    for calibrated in (False, True):
        sc = overcap.load_scenario("baseline", calibrated=calibrated)
        assert set(sc.sectors) == set(table) and len(table) >= 10
        outside = []
        for sec, row in table.items():
            for p in SECTOR_PARAMS:
                value, lo, hi = row[p]
                got = getattr(sc.sectors[sec], p)
                if not calibrated:
                    assert got == value
                if not lo <= got <= hi:
                    outside.append(f"{sec}.{p}={got} not in [{lo}, {hi}]")
        assert outside == []
