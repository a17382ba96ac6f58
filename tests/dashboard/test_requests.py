"""Crafted requests: whatever a client sends to the callbacks, the answer is a message
naming the field (or a plain HTTP error for a body that is not a callback at all),
never a traceback, and the app answers the next good request as before."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dash import Dash

from overcap.dashboard.levers import LEVERS, fmt, lever_values

UPDATE = "/_dash-update-component"


def _key(app: Dash, first_output: str) -> str:
    keys = [k for k in app.callback_map if k.startswith(f"..{first_output}...")]
    assert len(keys) == 1, (first_output, list(app.callback_map))
    return keys[0]


def _outputs(key: str) -> list[dict[str, Any]]:
    out = []
    for part in key.strip(".").split("..."):
        ident, prop = part.rsplit(".", 1)
        out.append({"id": ident, "property": prop})
    return out


def run_body(
    app: Dash,
    scenario: Any = "baseline",
    runs: Any = "2",
    seed: Any = "0",
    texts: Any = None,
    switches: Any = None,
    reform: Any = "",
    lang: Any = "en",
) -> dict[str, Any]:
    """What the page sends when run is pressed (the baseline's levers by default)."""
    values = lever_values("baseline")
    if texts is None:
        texts = [
            {
                "id": {"lever": lv.id, "type": "lever-text"},
                "property": "value",
                "value": fmt(values[lv.id]),  # what the page's box holds (layout)
            }
            for lv in LEVERS
            if lv.kind == "slider"
        ]
    if switches is None:
        switches = [
            {"id": {"lever": lv.id, "type": "lever-switch"}, "property": "value", "value": ["on"]}
            for lv in LEVERS
            if lv.kind == "switch"
        ]
    key = _key(app, "job.data")
    return {
        "output": key,
        "outputs": _outputs(key),
        "inputs": [{"id": "run-button", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["run-button.n_clicks"],
        "state": [
            {"id": "scenario", "property": "value", "value": scenario},
            {"id": "runs", "property": "value", "value": runs},
            {"id": "seed", "property": "value", "value": seed},
            texts,
            switches,
            {"id": "reform-text", "property": "value", "value": reform},
            {"id": "lang", "property": "value", "value": lang},
        ],
    }


def post(app: Dash, body: Any) -> tuple[int, str]:
    client = app.server.test_client()
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    r = client.post(UPDATE, data=data, content_type="application/json")
    return r.status_code, r.get_data(as_text=True)


def message_of(text: str) -> str:
    """The message box's text in a callback's answer (its outputs or a side update)."""
    answer = json.loads(text)
    for part in (answer.get("response", {}), answer.get("sideUpdate", {})):
        msg = part.get("message", {})
        if "children" in msg:
            return str(msg["children"])
    return ""


def test_a_good_request_starts_a_job(dash_app: Dash) -> None:
    code, text = post(dash_app, run_body(dash_app))
    assert code == 200, text
    answer = json.loads(text)["response"]
    assert isinstance(answer["job"]["data"]["id"], str)
    assert answer["message"]["children"] == ""
    assert answer["command"]["children"].startswith(
        "overcap run baseline --runs 2 --seed 0 --set population.firms_start=1000 "
    )


def _lever(lever_id: str, value: Any, kind: str = "lever-text") -> list[dict[str, Any]]:
    return [{"id": {"lever": lever_id, "type": kind}, "property": "value", "value": value}]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"scenario": "/etc/passwd"}, "Scenario: /etc/passwd does not exist; allowed: "),
        ({"scenario": "../../x.toml"}, "Scenario: ../../x.toml does not exist"),
        ({"scenario": {"$ne": 1}}, "Scenario: "),
        ({"scenario": None}, "Scenario: null does not exist"),
        ({"runs": "100000"}, "Runs (runs): 100000 is out of range; allowed: 1 to 20"),
        ({"runs": None}, "Runs (runs): null is not a number"),
        ({"seed": "-5"}, "Seed (seed): -5 is out of range"),
        (
            {"texts": _lever("visibility", "99")},
            "(investment.visibility): 99 is out of range; allowed: 0 to 1 share",
        ),
        ({"texts": _lever("visibility", "1e999")}, "(investment.visibility): 1e999 is not a"),
        ({"texts": _lever("visibility", {"a": 1})}, "(investment.visibility): "),
        ({"texts": _lever("rm -rf", "1")}, "rm -rf: there is no such lever"),
        ({"texts": [{"id": "visibility", "property": "value"}]}, "null: there is no such"),
        ({"switches": _lever("bailouts", "yes", "lever-switch")}, "(switches.bailouts): yes"),
        ({"switches": _lever("bailouts", ["on", 1], "lever-switch")}, "(switches.bailouts):"),
        ({"reform": "2010"}, "(reform_year): the scenario baseline has no reform"),
        (
            {"scenario": "market-reform", "reform": "1800"},
            "(reform_year): 1800 is out of range; allowed: 2005 to 2025 year",
        ),
        ({"scenario": "market-reform", "reform": ""}, "(reform_year): enter a number"),
    ],
)
def test_crafted_run_requests_get_a_message_naming_the_field(
    dash_app: Dash, change: dict[str, Any], expected: str
) -> None:
    code, text = post(dash_app, run_body(dash_app, **change))
    assert code == 200, text
    assert "Traceback" not in text
    answer = json.loads(text)["response"]
    assert "job" not in answer  # nothing ran
    assert expected in answer["message"]["children"]
    assert answer["message"]["className"] == "message error"


def test_messages_follow_the_language_sent(dash_app: Dash) -> None:
    _, text = post(dash_app, run_body(dash_app, runs="0", lang="zh-TW"))
    assert "模擬次數（runs）：0 超出範圍；允許：1 至 20" in message_of(text)
    _, text = post(dash_app, run_body(dash_app, runs="0", lang="<script>"))
    assert "超出範圍" in message_of(text)  # an unknown language falls back to zh-TW


def _poll_body(app: Dash, job: Any) -> dict[str, Any]:
    key = _key(app, "status.children")
    return {
        "output": key,
        "outputs": _outputs(key),
        "inputs": [
            {"id": "poll", "property": "n_intervals", "value": 1},
            {"id": "job", "property": "data", "value": job},
            {"id": "lang", "property": "value", "value": "en"},
        ],
        "changedPropIds": ["poll.n_intervals"],
        "state": [{"id": "shown", "property": "data", "value": None}],
    }


@pytest.mark.parametrize("job", [{"id": "0" * 32}, {"id": ["x"]}, "just text", 7])
def test_unknown_jobs_are_a_message(dash_app: Dash, job: Any) -> None:
    code, text = post(dash_app, _poll_body(dash_app, job))
    assert code == 200, text
    assert "not known to the server" in message_of(text)


def _draw_body(app: Dash, shown: Any, view: Any, sector: Any = "steel") -> dict[str, Any]:
    key = _key(app, "figure.figure")
    return {
        "output": key,
        "outputs": _outputs(key),
        "inputs": [
            {"id": "shown", "property": "data", "value": shown},
            {"id": "lang", "property": "value", "value": "en"},
            {"id": "view", "property": "value", "value": view},
            {"id": "sector", "property": "value", "value": sector},
        ],
        "changedPropIds": ["view.value"],
    }


def test_crafted_views_are_a_message(dash_app: Dash) -> None:
    code, text = post(dash_app, _draw_body(dash_app, None, "../../etc"))
    assert code == 200, text
    assert message_of(text).startswith("View: ../../etc is not one of comparison, policy")
    code, text = post(dash_app, _draw_body(dash_app, {"id": "nope"}, "comparison"))
    assert code == 200 and "no longer in memory" in text


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        "{}",
        json.dumps({"output": "nope.children", "outputs": [], "inputs": []}),
        json.dumps({"output": "..job.data...", "inputs": "x"}),
    ],
)
def test_bodies_that_are_no_callback_get_an_http_error_without_a_trace(
    dash_app: Dash, body: str
) -> None:
    code, text = post(dash_app, body)
    assert 400 <= code < 500, text
    assert "Traceback" not in text and 'File "' not in text
    assert text.startswith("overcap dashboard: this request is not one the page sends")
    assert "\n" not in text.strip()
    # and the app answers the next good request as before
    code, text = post(dash_app, run_body(dash_app))
    assert code == 200 and json.loads(text)["response"]["message"]["children"] == ""


@pytest.mark.parametrize(
    "change",
    [
        {"texts": [{"id": "visibility", "value": 1}]},  # no property
        {"texts": [["nested"]]},
        {"texts": "not a list"},
        {"switches": 5},
    ],
)
def test_malformed_lever_lists_get_an_http_error_without_a_trace(
    dash_app: Dash, change: dict[str, Any]
) -> None:
    code, text = post(dash_app, run_body(dash_app, **change))
    assert 400 <= code < 500, text
    assert "Traceback" not in text


def test_one_callback_writes_the_reform_year(dash_app: Dash) -> None:
    """The race of issue 16: a reform year typed right after choosing a scenario was
    overwritten when the scenario's callback answered late. Everything that writes the
    reform year (scenario, reset, slider, text) is now one callback, whose stale answers
    Dash drops; no second callback may write those fields again."""
    fields = ("reform-text.value", "reform-slider.value", "reform-msg.children")
    writers = {f: [k for k in dash_app.callback_map if f in k] for f in fields}
    assert all(len(w) == 1 for w in writers.values()), writers
    key = writers["reform-text.value"][0]
    inputs = {f"{i['id']}.{i['property']}" for i in dash_app.callback_map[key]["inputs"]}
    assert {"scenario.value", "reform-text.value", "reform-slider.value"} <= inputs


def test_choosing_a_scenario_sets_the_reform_year_and_typing_validates_it(
    dash_app: Dash,
) -> None:
    client = dash_app.server.test_client()
    key = next(k for k in dash_app.callback_map if "reform-text.value" in k)
    spec = dash_app.callback_map[key]

    def call(trigger: str, **values: Any) -> dict[str, Any]:
        inputs = [
            {"id": i["id"], "property": i["property"],
             "value": values.get(i["id"].replace("-", "_"))}
            for i in spec["inputs"]
        ]  # fmt: skip
        body = {
            "output": key,
            "outputs": _outputs(key),
            "inputs": inputs,
            "state": [{"id": "lang", "property": "value", "value": "en"}],
            "changedPropIds": [trigger],
        }
        res = client.post(UPDATE, json=body)
        assert res.status_code == 200, res.data
        return dict(json.loads(res.data)["response"])

    chosen = call("scenario.value", scenario="market-reform", reform_text="")
    assert chosen["reform-text"]["value"] == str(lever_values("market-reform")["reform_year"])
    assert chosen["reform-text"]["disabled"] is False
    typed = call("reform-text.value", scenario="market-reform", reform_text="1900")
    assert "1900 is out of range" in typed["reform-msg"]["children"]
    assert "reform-text" not in typed  # the user's text stays as typed


@pytest.mark.parametrize(
    ("trigger", "values", "expected"),
    [
        ("scenario.value", {"scenario": {"$ne": 1}}, "Scenario: "),
        ("scenario.value", {"scenario": "../../x.toml"}, "Scenario: ../../x.toml does not exist"),
        ("reset-button.n_clicks", {"scenario": None}, "Scenario: null does not exist"),
        ("reform-text.value", {"scenario": "market-reform", "reform_text": ["2010"]}, "reform"),
        ("reform-text.value", {"scenario": "market-reform", "reform_text": "1e999"}, "1e999"),
        ("reform-slider.value", {"scenario": "market-reform", "reform_slider": "x"}, "reform"),
        ("reform-slider.value", {"scenario": "market-reform", "reform_slider": 3000}, "3000"),
    ],
)
def test_crafted_reform_requests_get_a_message_naming_the_field(
    dash_app: Dash, trigger: str, values: dict[str, Any], expected: str
) -> None:
    key = next(k for k in dash_app.callback_map if "reform-text.value" in k)
    spec = dash_app.callback_map[key]
    inputs = [
        {"id": i["id"], "property": i["property"],
         "value": values.get(i["id"].replace("-", "_"))}
        for i in spec["inputs"]
    ]  # fmt: skip
    body = {
        "output": key,
        "outputs": _outputs(key),
        "inputs": inputs,
        "state": [{"id": "lang", "property": "value", "value": "en"}],
        "changedPropIds": [trigger],
    }
    code, text = post(dash_app, body)
    assert code == 200, text
    assert "Traceback" not in text
    answer = json.loads(text).get("response", {})
    shown = answer.get("reform-msg", {}).get("children") or message_of(text)
    assert expected in shown, text
