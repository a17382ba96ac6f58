"""What the model is and is not, and how well the shipped calibration fits the record:
the dashboard quotes the stored scores (``overcap score``) in the page's language."""

from __future__ import annotations

import json

import pytest
from dash import Dash

from overcap.dashboard.layout import build_layout
from overcap.report import findings, messages
from overcap.scenario import load_scenario
from tests.dashboard.test_requests import post


def _texts(node: object) -> str:
    """Every string in a Dash component tree (or its JSON form)."""
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        return " ".join(_texts(v) for v in node.values())
    if isinstance(node, list | tuple):
        return " ".join(_texts(v) for v in node)
    children = getattr(node, "children", None)
    return "" if children is None else _texts(children)


@pytest.mark.parametrize("lang", messages.LANGS)
def test_the_page_says_what_the_model_is_and_its_stored_scores(dash_app: Dash, lang: str) -> None:
    cal = load_scenario("baseline").calibrated
    stored = findings.stored_scores_text(cal, lang)
    assert stored != [messages.t("limits.score_missing", lang)], "no stored scores shipped"
    page = _texts(build_layout(lang))
    assert messages.t("limits.laboratory", lang) in page
    assert all(s in page for s in stored)
    # the language switch rewrites them
    body = {
        "output": "about-scores.children",
        "outputs": {"id": "about-scores", "property": "children"},
        "inputs": [{"id": "lang", "property": "value", "value": lang}],
        "changedPropIds": ["lang.value"],
        "state": [],
    }
    code, text = post(dash_app, body)
    assert code == 200, text
    answer = _texts(json.loads(text)["response"])
    assert all(s in answer for s in stored)
    other = next(x for x in messages.LANGS if x != lang)
    assert findings.stored_scores_text(cal, other)[0] not in answer
