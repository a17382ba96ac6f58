"""The dashboard's levers: each one a parameter of the scenario schema, with the unit and
range the schema gives it, and the server-side check of everything a page sends.

A lever is a slider (a number) or a switch (on/off) over one schema path, or the year a
scenario's reform starts (which moves the years of the scenario's own events). Whatever
the page sends goes through :func:`parse_request`: a value of the wrong type or out of
range, a scenario that does not exist or a lever that does not exist raises
:class:`InputError` naming the field, before anything runs. What comes out is a
:class:`RunSpec`: a scenario name, the overrides (dotted paths, exactly what
``overcap run --set`` takes), a seed and a number of runs.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from overcap.scenario import Scenario, ScenarioError, available_scenarios, load_scenario
from overcap.scenario import field_bounds as schema_bounds

REFERENCE = "baseline"  # the scenario every run is compared with
MAX_RUNS = 20  # the most runs the page may ask for (a run takes about half a second)
MAX_SEED = 2**32 - 1
REFORM_YEAR = "reform_year"  # the id of the reform-year lever


class InputError(ValueError):
    """Bad input from the page: ``field`` names the lever or box, ``key`` and ``fields``
    say which message of the catalogue explains it (filled in the page's language)."""

    def __init__(self, field: str, key: str, **fields: Any) -> None:
        self.field = field
        self.key = key
        self.fields = {"field": field, **fields}
        super().__init__(f"{field}: {key} {fields}")


@dataclass(frozen=True)
class Lever:
    """One lever: ``id`` (also its catalogue key, ``dash.lever.<id>``), the schema
    ``path`` it sets, ``kind`` (slider or switch), the group it is shown in, and the
    slider's step."""

    id: str
    path: str
    kind: str  # "slider" | "switch"
    group: str
    step: float | None = None

    @property
    def bounds(self) -> tuple[Any, Any, str]:
        """(lower, upper, unit) from the scenario schema."""
        return path_bounds(self.path)


# The levers the essay argues about, by group (each group's title is dash.group.<group>).
LEVERS: tuple[Lever, ...] = (
    Lever("subsidies", "switches.subsidies", "switch", "subsidies"),
    Lever("subsidy_base", "provinces.subsidy_base", "slider", "subsidies", 0.01),
    Lever("soft_budget", "switches.soft_budget", "switch", "soft_budgets"),
    Lever("bailouts", "switches.bailouts", "switch", "soft_budgets"),
    Lever("soft_budget_cover", "investment.soft_budget_cover", "slider", "soft_budgets", 0.01),
    Lever("soe_output_targets", "switches.soe_output_targets", "switch", "soe"),
    Lever("must_run_utilisation", "market.must_run_utilisation", "slider", "soe", 0.01),
    Lever("local_protection", "switches.local_protection", "switch", "protection"),
    Lever("protection_mean", "provinces.protection_mean", "slider", "protection", 0.01),
    Lever("visibility", "investment.visibility", "slider", "investment", 0.01),
    Lever("campaign_intensity", "centre.control.campaign_intensity", "slider", "campaigns", 0.05),
    Lever("campaign_compliance", "centre.campaign_compliance", "slider", "campaigns", 0.01),
    Lever("campaign_approval", "centre.campaign_approval", "slider", "campaigns", 0.01),
    Lever("campaign_plan_years", "centre.campaign_plan_years", "slider", "campaigns", 1.0),
    Lever("price_floor", "centre.control.price_floor", "slider", "price_floor", 0.01),
    Lever("floor_evasion", "centre.floor_evasion", "slider", "price_floor", 0.01),
    Lever("trade_defence", "switches.trade_defence", "switch", "trade"),
    Lever("defence_surge", "trade.defence_surge", "slider", "trade", 1.0),
    Lever("defence_dumping", "trade.defence_dumping", "slider", "trade", 0.5),
    Lever("countermeasures", "switches.countermeasures", "switch", "rare_earths"),
    Lever(
        "countermeasure_probability",
        "trade.countermeasure_probability",
        "slider",
        "rare_earths",
        0.01,
    ),
)
BY_ID: dict[str, Lever] = {lv.id: lv for lv in LEVERS}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(lv.group for lv in LEVERS)) + ("reform",)


def _field(path: str) -> Any:
    model: Any = Scenario
    info = None
    for part in path.split("."):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise KeyError(path)
        info = model.model_fields[part]
        model = info.annotation
    return info


@cache
def path_bounds(path: str) -> tuple[Any, Any, str]:
    """(lower, upper, unit) of a schema parameter by its dotted path."""
    return schema_bounds(_field(path))


def get_value(sc: Scenario, path: str) -> Any:
    node: Any = sc
    for part in path.split("."):
        node = getattr(node, part)
    return node


# ---------------------------------------------------------------- the reform year
def reform_events(sc: Scenario) -> dict[str, tuple[int, int]]:
    """The scenario's own events: those it adds to the reference scenario or whose years
    it changes (enabled ones only), with their years. The reference has none."""
    ref = reference_scenario()
    out = {}
    for name, ev in sc.events.items():
        if not ev.enabled:
            continue
        base = ref.events.get(name)
        if base is None or tuple(base.years) != tuple(ev.years) or not base.enabled:
            out[name] = (int(ev.years[0]), int(ev.years[1]))
    return dict(sorted(out.items()))


def reform_start(sc: Scenario) -> int | None:
    """The year the scenario's reform starts: the first year of its own events (None
    when it has none, as the reference)."""
    ev = reform_events(sc)
    return min(a for a, _ in ev.values()) if ev else None


def reform_bounds(sc: Scenario) -> tuple[int, int]:
    """The years a reform may start: the scenario's recorded years."""
    return int(sc.time.start_year), int(sc.time.end_year)


def shift_reform(sc: Scenario, year: int) -> dict[str, Any]:
    """Overrides that move the scenario's own events so that its reform starts in
    ``year``: every event moves by the same number of years; one that lasted to the
    last year still does; one pushed past the last year is switched off."""
    start = reform_start(sc)
    if start is None or year == start:
        return {}
    delta = year - start
    last = int(sc.time.end_year)
    out: dict[str, Any] = {}
    for name, (a, b) in reform_events(sc).items():
        na = a + delta
        nb = last if b >= last else min(b + delta, last)
        if na > last:
            out[f"events.{name}.enabled"] = False
            continue
        out[f"events.{name}.years"] = [na, max(na, nb)]
    return out


# ---------------------------------------------------------------- events on levers
@dataclass(frozen=True)
class Mark:
    """An event of a scenario that sets a lever in some years: the event's name, its
    years, what it does (``value``: the value it sets; ``floor``: a price floor;
    ``campaign``: a campaign of that intensity or the lever's; ``controls``: export
    controls) and the value (None where the lever's own applies)."""

    event: str
    first: int
    last: int
    what: str
    value: Any = None


def lever_marks(sc: Scenario) -> dict[str, list[Mark]]:
    """Lever id -> the enabled events of ``sc`` that set it, by first year (the lever's
    own value holds in the other years)."""
    by_path = {lv.path: lv.id for lv in LEVERS}
    out: dict[str, list[Mark]] = {}

    def add(lever_id: str, name: str, years: tuple[int, int], what: str, v: Any) -> None:
        out.setdefault(lever_id, []).append(Mark(name, int(years[0]), int(years[1]), what, v))

    for name, ev in sc.events.items():
        if not ev.enabled:
            continue
        if ev.kind == "set":
            for path, v in ev.params.items():
                if path in by_path:
                    add(by_path[path], name, ev.years, "value", v)
        elif ev.kind == "price_floor":
            add("price_floor", name, ev.years, "floor", ev.floor)
            if ev.evasion is not None:
                add("floor_evasion", name, ev.years, "value", ev.evasion)
        elif ev.kind == "campaign":
            add("campaign_intensity", name, ev.years, "campaign", ev.intensity)
        elif ev.kind == "countermeasure":
            add("countermeasures", name, ev.years, "controls", None)
    return {k: sorted(v, key=lambda m: (m.first, m.event)) for k, v in out.items()}


# ---------------------------------------------------------------- scenarios
@cache
def reference_scenario() -> Scenario:
    return load_scenario(REFERENCE)


@cache
def scenario_names() -> tuple[str, ...]:
    return tuple(available_scenarios())


Extra = tuple[tuple[str, Any], ...]  # fixed overrides of the app, frozen


def freeze(overrides: Mapping[str, Any] | None) -> Extra:
    return tuple(sorted((k, _freeze(v)) for k, v in (overrides or {}).items()))


@cache
def scenario(name: str, extra: Extra = ()) -> Scenario:
    """A shipped scenario (only names the page may choose), with the app's fixed
    overrides ``extra`` if any."""
    check_scenario(name)
    return load_scenario(name, {k: _unfreeze(v) for k, v in extra} or None)


def check_scenario(name: Any) -> str:
    names = scenario_names()
    if not isinstance(name, str) or name not in names:
        raise InputError("scenario", "dash.error.scenario", value=_show(name), allowed=names)
    return name


def lever_defaults(extra: Extra = ()) -> dict[str, dict[str, dict[str, Any]]]:
    """Every shipped scenario's levers as the page shows them: scenario -> {"slider":
    {lever: value}, "text": {lever: text}, "switch": {lever: ["on"] or []}}. The page
    holds this table so that choosing a scenario resets the levers in the browser at
    once, with no server answer that could arrive after the user typed (issue 16)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name in scenario_names():
        v = lever_values(name, extra)
        sliders = [lv for lv in LEVERS if lv.kind != "switch"]
        out[name] = {
            "slider": {lv.id: float(v[lv.id]) for lv in sliders},
            "text": {lv.id: fmt(float(v[lv.id])) for lv in sliders},
            "switch": {lv.id: ["on"] if v[lv.id] else [] for lv in LEVERS if lv.kind == "switch"},
        }
    return out


def lever_values(name: str, extra: Extra = ()) -> dict[str, Any]:
    """Each lever's value in a shipped scenario (the reform year None where it has no
    reform)."""
    sc = scenario(name, extra)
    out = {lv.id: get_value(sc, lv.path) for lv in LEVERS}
    out[REFORM_YEAR] = reform_start(sc)
    return out


# ---------------------------------------------------------------- checking input
def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


def fmt(value: float) -> str:
    """A number as the page shows it: three significant digits (the integer part of
    larger ones), no trailing zeros, huge ones in exponent notation. A lever whose box
    holds this text of the scenario's value is the scenario's value (see ``_same``)."""
    v = float(value)
    if abs(v) >= 1e15:
        return f"{v:.6g}"
    if v.is_integer():
        return str(int(v))
    text = f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return "0" if text == "-0" else text


def exact(value: float) -> str:
    """A number the user typed, as the box keeps it: exactly (what runs is what shows)."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def parse_number(
    raw: Any, name: str, lo: Any, hi: Any, unit: str, integer: bool = False
) -> float | int:
    """A number from the page (a number or the text of one) inside [lo, hi]."""
    if isinstance(raw, bool) or raw is None or isinstance(raw, list | dict):
        raise InputError(name, "dash.error.not_number", value=_show(raw))
    if isinstance(raw, str):
        text = raw.strip().replace(",", ".")
        if not text:
            raise InputError(name, "dash.error.empty")
        try:
            value = float(text)
        except ValueError:
            raise InputError(name, "dash.error.not_number", value=_show(raw)) from None
    elif isinstance(raw, int | float):
        value = float(raw)
    else:
        raise InputError(name, "dash.error.not_number", value=_show(raw))
    if not math.isfinite(value):
        raise InputError(name, "dash.error.not_number", value=_show(raw))
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise InputError(
            name,
            "dash.error.range",
            value=_show(fmt(value)),
            lo=fmt(lo) if lo is not None else "-",
            hi=fmt(hi) if hi is not None else "-",
            unit=unit,
        )
    if integer:
        if not value.is_integer():
            raise InputError(name, "dash.error.integer", value=_show(fmt(value)))
        return int(value)
    return value


def parse_switch(raw: Any, name: str) -> bool:
    """A switch: a checklist value ([] off, ["on"] on) or a plain boolean."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw) and set(raw) <= {"on"}:
        return bool(raw)
    raise InputError(name, "dash.error.switch", value=_show(raw))


def parse_lever(lever_id: Any, raw: Any) -> Any:
    """One lever's value from the page, checked against the schema's range."""
    if not isinstance(lever_id, str) or lever_id not in BY_ID:
        raise InputError(_show(lever_id), "dash.error.lever")
    lv = BY_ID[lever_id]
    if lv.kind == "switch":
        return parse_switch(raw, lv.path)
    lo, hi, unit = lv.bounds
    whole = _field(lv.path).annotation is int  # a count (years): no fractions
    v = parse_number(raw, lv.path, lo, hi, unit, integer=whole)
    return int(v) if whole else v


@dataclass(frozen=True)
class RunSpec:
    """What to run: a shipped scenario, overrides (dotted path -> value, the same as
    ``overcap run --set``), seed and number of runs. Hashable; ``key`` identifies it."""

    scenario: str
    overrides: tuple[tuple[str, Any], ...] = ()
    seed: int = 0
    runs: int = 4
    extra: tuple[tuple[str, Any], ...] = ()  # fixed overrides of the app (e.g. smaller runs)

    @property
    def overrides_dict(self) -> dict[str, Any]:
        return {**dict(self.extra), **{k: _unfreeze(v) for k, v in self.overrides}}

    @property
    def key(self) -> str:
        return json.dumps(
            [self.scenario, self.overrides_dict, self.seed, self.runs], sort_keys=True
        )

    def reference(self) -> RunSpec:
        """The reference scenario with the same seed and runs (and the same fixed extra
        overrides, if any), none of the levers."""
        return RunSpec(REFERENCE, (), self.seed, self.runs, self.extra)

    @property
    def is_reference(self) -> bool:
        return self.scenario == REFERENCE and not self.overrides

    def command(self) -> str:
        """The command that reproduces what the page shows, run for run: ``overcap
        compare baseline SCENARIO --runs R --seed S`` with the app's fixed overrides as
        ``--set path=value`` (every scenario) and the levers as ``--set
        SCENARIO:path=value`` (``--set 2:...`` when the scenario is the baseline itself);
        the baseline alone is ``overcap run baseline --runs R --seed S``. Replicate i of
        both scenarios gets stream i of the seed, as on the page. Quoted for a POSIX
        shell; numbers are written exactly (the shortest text that reads back as the
        same float)."""
        fixed = [f"{k}={_toml(v)}" for k, v in sorted(dict(self.extra).items())]
        if self.is_reference:
            parts = ["overcap", "run", REFERENCE]
        else:
            parts = ["overcap", "compare", REFERENCE, self.scenario]
        parts += ["--runs", str(self.runs), "--seed", str(self.seed)]
        for item in fixed:
            parts += ["--set", item]
        target = "2" if self.scenario == REFERENCE else self.scenario
        for k, v in sorted(self.overrides):
            parts += ["--set", f"{target}:{k}={_toml(_unfreeze(v))}"]
        return " ".join(shlex.quote(p) for p in parts)


def _freeze(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def _unfreeze(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list | tuple):
        return "[" + ",".join(_toml(x) for x in v) + "]"
    if isinstance(v, float):
        return repr(v)  # exact: float(repr(v)) == v
    return str(v)


def _same(a: Any, b: Any) -> bool:
    """Whether a lever's value is the scenario's, as far as the page shows numbers (three
    significant digits, :func:`fmt`): the page's boxes hold the scenario's values rounded
    so."""
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    return fmt(float(a)) == fmt(float(b))


def parse_request(
    scenario_name: Any,
    values: Mapping[Any, Any],
    seed: Any = 0,
    runs: Any = 4,
    extra: Mapping[str, Any] | None = None,
) -> RunSpec:
    """Check everything the page sent and turn it into a :class:`RunSpec`.

    ``values`` maps lever ids (and ``reform_year``) to what the page holds. A lever left
    out keeps the scenario's value, and so does one equal to it to the three significant
    digits the page shows. Raises :class:`InputError` naming
    the first bad field; the scenario schema has the last word (a ScenarioError becomes
    an InputError too)."""
    name = check_scenario(scenario_name)
    if not isinstance(values, Mapping):
        raise InputError("levers", "dash.error.levers")
    n_runs = int(parse_number(runs, "runs", 1, MAX_RUNS, "", integer=True))
    s = int(parse_number(seed, "seed", 0, MAX_SEED, "", integer=True))
    fixed = freeze(extra)
    sc = scenario(name, fixed)
    current = lever_values(name, fixed)
    overrides: dict[str, Any] = {}
    for lever_id, raw in values.items():
        if lever_id == REFORM_YEAR:
            continue
        v = parse_lever(lever_id, raw)
        lv = BY_ID[lever_id]
        if not _same(v, current[lever_id]):
            overrides[lv.path] = v
    if REFORM_YEAR in values and values[REFORM_YEAR] is not None:
        start = reform_start(sc)
        if start is None:
            raise InputError(REFORM_YEAR, "dash.error.no_reform", scenario=name)
        lo, hi = reform_bounds(sc)
        year = int(parse_number(values[REFORM_YEAR], REFORM_YEAR, lo, hi, "year", integer=True))
        overrides.update(shift_reform(sc, year))
    try:  # the schema's own checks (cross-field rules, the events' years)
        load_scenario(name, {**dict(extra or {}), **overrides})
    except ScenarioError as exc:
        raise InputError("scenario", "dash.error.schema", detail=str(exc)) from None
    return RunSpec(name, freeze(overrides), s, n_runs, fixed)
