"""The attribution tab (issue 18): a tiny attribution experiment stored in a results store
(3 mechanisms, 2 replicates, 1995-1999), listed by the tab, drawn as the report's bars
with their bands and the claims table in both languages; the empty store's message
naming the command that makes one; crafted requests answered with a message."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from dash import Dash

from overcap.attribution import Attribution, analyse, attribute, load
from overcap.dashboard.app import create_app, runner_of
from overcap.dashboard.attribution import MAKE_ONE, Attributions, make_command, stored
from overcap.dashboard.runner import Runner, memory_compute
from overcap.experiments import open_experiment
from overcap.report import thesis

PLAYERS = ["tournament", "soft_budget", "campaigns"]
SHORT = {"time.end_year": 1999, "population.firms_start": 2000}
OUTCOMES = ["idle_capacity", "zombie_share", "margin"]
UPDATE = "/_dash-update-component"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results store with one attribution experiment, ``attr`` (16 short runs)."""
    where = tmp_path_factory.mktemp("attr-store")
    attribute(
        "baseline",
        runs=2,
        outcomes=OUTCOMES,
        players=PLAYERS,
        overrides=SHORT,
        workers=0,
        name="attr",
        results=where,
    )
    return where


def _app(results: Path) -> Dash:
    return create_app(lang="en", runner=Runner(memory_compute), results=results, warm=False)


@pytest.fixture(scope="module")
def app(root: Path) -> Iterator[Dash]:
    a = _app(root)
    yield a
    runner_of(a).shutdown()


@pytest.fixture()
def empty_app(tmp_path: Path) -> Iterator[Dash]:
    a = _app(tmp_path / "results")
    yield a
    runner_of(a).shutdown()


# ---------------------------------------------------------------------- requests
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


def _post(app: Dash, first_output: str, inputs: dict[str, Any], changed: str, state: Any = ()):
    key = _key(app, first_output)
    body = {
        "output": key,
        "outputs": _outputs(key),
        "inputs": [
            {"id": ident.rsplit(".", 1)[0], "property": ident.rsplit(".", 1)[1], "value": v}
            for ident, v in inputs.items()
        ],
        "changedPropIds": [changed],
        "state": [
            {"id": ident.rsplit(".", 1)[0], "property": ident.rsplit(".", 1)[1], "value": v}
            for ident, v in dict(state).items()
        ],
    }
    r = app.server.test_client().post(
        UPDATE, data=json.dumps(body), content_type="application/json"
    )
    return r.status_code, r.get_data(as_text=True)


def draw(
    app: Dash, name: Any, outcome: Any, lang: str = "en", changed: str = "attr-experiment.value"
) -> dict[str, Any]:
    code, text = _post(
        app,
        "attr-outcome.options",
        {
            "attr-experiment.value": name,
            "attr-outcome.value": outcome,
            "lang.value": lang,
            "view.value": "attribution",
        },
        changed,
    )
    assert code == 200, text
    assert "Traceback" not in text
    return dict(json.loads(text)["response"])


def listing(app: Dash, view: str = "attribution", chosen: Any = None) -> tuple[int, str]:
    return _post(
        app,
        "attr-experiment.options",
        {"view.value": view, "lang.value": "en", "attr-reload.n_clicks": None},
        "view.value",
        {"attr-experiment.value": chosen},
    )


def texts(node: Any) -> list[str]:
    """Every string in a serialised component tree, in order."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [t for n in node for t in texts(n)]
    if isinstance(node, dict):
        return texts(node.get("props", {}).get("children"))
    return []


def rows_of(table: Any) -> list[list[str]]:
    """The claims table's body rows, each as its cells' text."""
    body = table["props"]["children"][1]
    out = []
    for tr in body["props"]["children"]:
        out.append([" ".join(texts(td)) for td in tr["props"]["children"]])
    return out


# ---------------------------------------------------------------------- the store
def test_the_list_holds_attribution_experiments_only(root: Path, tmp_path: Path) -> None:
    shutil.copytree(root / "attr", tmp_path / "attr")
    shutil.copytree(root / "attr", tmp_path / "half")
    shutil.rmtree(tmp_path / "half" / "attribution")  # its runs, no Shapley values yet
    shutil.copytree(root / "attr", tmp_path / "runs")
    spec = json.loads((tmp_path / "runs" / "experiment.json").read_text())
    spec["kind"] = "ensemble"
    (tmp_path / "runs" / "experiment.json").write_text(json.dumps(spec))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "experiment.json").write_text("{not json")
    items = {s.name: s for s in stored(tmp_path)}
    assert set(items) == {"attr", "half"}
    s = items["attr"]
    assert (s.scenario, s.players, s.runs, s.method, s.seed) == ("baseline", (*PLAYERS,), 2,
                                                                  "exact", 0)  # fmt: skip
    assert s.complete and not items["half"].complete
    a = _app(tmp_path)
    try:
        code, text = listing(a)
        assert code == 200, text
        answer = json.loads(text)["response"]["attr-experiment"]
        opts = {o["value"]: o for o in answer["options"]}
        assert opts["attr"]["label"] == "attr (baseline, 3 mechanisms, 2 runs per coalition)"
        assert opts["attr"]["disabled"] is False
        assert opts["half"]["disabled"] is True
        assert "overcap attribute --name half --resume" in opts["half"]["label"]
        assert answer["value"] == "attr"  # the only one that can be shown
    finally:
        runner_of(a).shutdown()


def test_the_list_is_read_only_when_the_tab_is_shown(app: Dash) -> None:
    code, _ = listing(app, view="comparison")
    assert code == 204  # nothing read, nothing changed
    code, text = listing(app, chosen="attr")
    assert json.loads(text)["response"]["attr-experiment"]["value"] == "attr"


# ---------------------------------------------------------------------- the figure
@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_the_tab_draws_the_stored_bars_with_bands_and_the_claims(
    app: Dash, root: Path, lang: str
) -> None:
    out = draw(app, "attr", "zombie_share", lang)
    a: Attribution = load("attr", root)
    c = a.contributions[a.contributions["outcome"] == "zombie_share"]
    tot = a.totals.set_index("outcome").loc["zombie_share"]
    fig = out["attr-figure"]["figure"]
    (bar,) = fig["data"]
    assert bar["type"] == "bar" and bar["orientation"] == "h"
    assert bar["y"] == [*PLAYERS, thesis.w("total", lang)]
    med = [*c["median"], tot["total"]]
    np.testing.assert_allclose(bar["x"], med, rtol=0, atol=1e-15)
    np.testing.assert_allclose(bar["error_x"]["array"], np.subtract([*c["hi"], tot["hi"]], med))
    np.testing.assert_allclose(
        bar["error_x"]["arrayminus"], np.subtract(med, [*c["lo"], tot["lo"]])
    )
    # soft budgets make the zombies (with them off there are none)
    assert bar["x"][PLAYERS.index("soft_budget")] > 0
    layout = fig["layout"]
    assert layout["meta"] == {
        "figure": "attribution",
        "experiment": "attr",
        "outcome": "zombie_share",
    }
    assert a.outcomes["zombie_share"] in layout["title"]["text"]
    (prov,) = [n["text"] for n in layout["annotations"] if n.get("name") == "provenance"]
    assert prov.replace("<br>", " ") == thesis.provenance(a, lang, seed=0)
    assert out["attr-figure-box"]["style"] == {
        "display": "block",
        "height": f"{layout['height']}px",
    }
    assert layout["height"] >= 380  # room for the provenance under the axis title
    assert [o["value"] for o in out["attr-outcome"]["options"]] == OUTCOMES
    assert out["attr-outcome"]["value"] == "zombie_share"
    assert out["attr-message"]["children"] == ""
    # the claims table: every claim, the ones these players and outcomes test answered
    assert out["attr-claims-title"]["children"] == thesis.w("claims", lang)
    rows = rows_of(out["attr-claims"]["children"])
    assert len(rows) == len(thesis.CLAIMS)
    expected = thesis.claims(a, lang)
    for row, (_, want), cl in zip(rows, expected.iterrows(), thesis.CLAIMS, strict=True):
        assert row[0] == (cl.zh if lang == "zh-TW" else cl.en)
        assert row[2] == want[thesis.w("answer", lang)]
        assert row[3] == want[thesis.w("verdict", lang)]
    zombies = rows[[i for i, cl in enumerate(thesis.CLAIMS) if cl.metric == "zombie_share"][0]]
    assert zombies[1] == "attr: soft_budget -> zombie_share"
    s = c.set_index("player").loc["soft_budget"]
    assert zombies[2] == f"{s['median']:.3g} [{s['lo']:.3g}, {s['hi']:.3g}]"
    untested = rows[[i for i, cl in enumerate(thesis.CLAIMS) if cl.player == "strategic_label"][0]]
    assert untested[1:] == ["-", "-", thesis.w("not testable", lang)]


def test_another_experiment_falls_back_to_its_first_outcome(app: Dash) -> None:
    out = draw(app, "attr", "export_share")  # an outcome this experiment did not compute
    assert out["attr-outcome"]["value"] == "idle_capacity"
    assert out["attr-figure"]["figure"]["layout"]["meta"]["outcome"] == "idle_capacity"


def test_a_recomputed_experiment_is_read_again(root: Path, tmp_path: Path) -> None:
    shutil.copytree(root / "attr", tmp_path / "attr")
    store = Attributions(tmp_path)
    first = store.get("attr")
    assert store.get("attr") is first  # read once
    analyse(open_experiment("attr", tmp_path), ["export_share"])  # what --resume stores
    again = store.get("attr")
    assert list(again.outcomes) == ["export_share"]


# ---------------------------------------------------------------------- no experiment
@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "No complete attribution experiment is stored in"),
        ("zh-TW", "中還沒有完成的歸因實驗"),
    ],
)
def test_an_empty_store_says_the_command_that_makes_one(
    empty_app: Dash, tmp_path: Path, lang: str, words: str
) -> None:
    code, text = listing(empty_app)
    answer = json.loads(text)["response"]["attr-experiment"]
    assert answer == {"options": [], "value": None}
    out = draw(empty_app, None, None, lang)
    shown = " ".join(texts(out["attr-message"]["children"]))
    assert words in shown and str(tmp_path / "results") in shown
    assert f"{MAKE_ONE} --results {tmp_path / 'results'}" in shown
    assert out["attr-figure-box"]["style"] == {"display": "none"}
    assert out["attr-claims"]["children"] == [] and out["attr-outcome"]["options"] == []


def test_the_default_store_needs_no_results_option() -> None:
    assert make_command("overcap-results") == MAKE_ONE == "overcap attribute baseline --runs 10"
    assert make_command("/tmp/x y").endswith("--runs 10 --results '/tmp/x y'")


# ---------------------------------------------------------------------- crafted input
@pytest.mark.parametrize(
    ("name", "outcome", "changed", "expected"),
    [
        ("../../etc", "margin", "attr-experiment.value", "Attribution experiment: ../../etc is "
         "not one of attr"),
        ({"$ne": 1}, "margin", "attr-experiment.value", "Attribution experiment: {'$ne': 1}"),
        ("attr", "nope", "attr-outcome.value", "Outcome: nope is not one of idle_capacity, "
         "zombie_share, margin"),
        ("attr", ["x"], "attr-outcome.value", "Outcome: ['x'] is not one of"),
    ],
)  # fmt: skip
def test_crafted_choices_get_a_message_naming_the_field(
    app: Dash, name: Any, outcome: Any, changed: str, expected: str
) -> None:
    out = draw(app, name, outcome, "en", changed)
    assert expected in out["attr-message"]["children"]
    assert "error" in out["attr-message"]["className"]
    assert out["attr-figure-box"]["style"] == {"display": "none"}
    ok = draw(app, "attr", "margin")  # and the tab keeps working
    assert ok["attr-message"]["children"] == ""


def test_the_run_views_step_aside_for_the_tab(app: Dash) -> None:
    code, text = _post(app, "run-view.style", {"view.value": "attribution"}, "view.value")
    answer = json.loads(text)["response"]
    assert answer["run-view"]["style"] == {"display": "none"}
    assert answer["attribution-box"]["style"] == {"display": "block"}
    code, text = _post(app, "run-view.style", {"view.value": "trade"}, "view.value")
    assert json.loads(text)["response"]["attribution-box"]["style"] == {"display": "none"}
    # the run views' own callback leaves its figure alone on the tab
    code, text = _post(
        app,
        "figure.figure",
        {"shown.data": None, "lang.value": "en", "view.value": "attribution", "sector.value": ""},
        "view.value",
    )
    assert code == 200, text
    answer = json.loads(text)["response"]
    assert "figure" not in answer and answer["sector-box"]["style"] == {"display": "none"}
