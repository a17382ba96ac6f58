"""The page: the run box (scenario, runs, run) and the levers on the left, the views on
the right; on a narrow screen the run box, then the views, then the levers.

Every visible word is a catalogue key: static labels are ``html.Span`` with id
``{"type": "t", "key": key}``, which one callback fills in the chosen language.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from overcap.dashboard.attribution import ATTRIBUTION
from overcap.dashboard.levers import (
    BY_ID,
    GROUPS,
    LEVERS,
    MAX_RUNS,
    REFERENCE,
    REFORM_YEAR,
    Extra,
    Lever,
    fmt,
    lever_defaults,
    lever_marks,
    lever_values,
    reform_bounds,
    reform_events,
    scenario,
)
from overcap.dashboard.text import LANGS, mark_text, range_text, tip, tr
from overcap.dashboard.views import DEFAULT_SECTOR, DEFAULT_VIEW, VIEWS, placeholder
from overcap.dashboard.words import GLOSSARY
from overcap.report import messages
from overcap.scenario import Scenario


def t(key: str, lang: str, **fields: Any) -> html.Span:
    """A label that follows the language switch (``fields`` must not depend on input)."""
    return html.Span(tr(key, lang, **fields), id={"type": "t", "key": key})


def switch_value(on: bool) -> list[str]:
    return ["on"] if on else []


def info(lever_id: str, lang: str) -> html.Span:
    """The lever's tooltip: an ⓘ whose title says what the lever means (and its path)."""
    text = tip(lever_id, lang)
    return html.Span(
        "ⓘ",
        id={"type": "tip", "lever": lever_id},
        title=text,
        className="tip",
        tabIndex="0",
        role="note",
    )


def marks(lever_id: str, sc: Scenario, lang: str) -> html.Div:
    """The scenario's events that set this lever, one line each (filled again when the
    scenario, the reform year or the language changes)."""
    return html.Div(
        mark_lines(lever_id, sc, lang),
        id={"type": "lever-event", "lever": lever_id},
        className="lever-event",
    )


def mark_lines(lever_id: str, sc: Scenario, lang: str) -> list[Any]:
    end = int(sc.time.end_year)
    return [html.Div(mark_text(m, lang, end)) for m in lever_marks(sc).get(lever_id, [])]


def _slider(lv: Lever, value: float, lang: str, sc: Scenario) -> html.Div:
    lo, hi, _ = lv.bounds
    return html.Div(
        [
            html.Label(
                [t(f"dash.lever.{lv.id}", lang), " ", info(lv.id, lang)],
                htmlFor=f"lever-text-{lv.id}",
                className="lever-label",
            ),
            html.Div(
                [
                    html.Div(
                        dcc.Slider(
                            id={"type": "lever-slider", "lever": lv.id},
                            min=lo,
                            max=hi,
                            step=lv.step,
                            value=value,
                            marks=None,
                            allow_direct_input=False,
                            updatemode="mouseup",
                        ),
                        className="lever-slider",
                    ),
                    dcc.Input(
                        id={"type": "lever-text", "lever": lv.id},
                        type="text",
                        value=fmt(value),
                        debounce=True,
                        className="lever-text",
                    ),
                ],
                className="lever-row",
            ),
            html.Div(
                [
                    html.Span(
                        range_text(lv.id, lang),
                        id={"type": "lever-range", "lever": lv.id},
                        className="lever-range",
                    ),
                    html.Code(lv.path, className="lever-path"),
                ],
                className="lever-meta",
            ),
            marks(lv.id, sc, lang),
            html.Div(
                id={"type": "lever-msg", "lever": lv.id},
                className="lever-msg",
                role="alert",
            ),
        ],
        className="lever",
        id=f"lever-{lv.id}",
    )


def _switch(lv: Lever, value: bool, lang: str, sc: Scenario) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    dcc.Checklist(
                        id={"type": "lever-switch", "lever": lv.id},
                        options=[{"label": "", "value": "on"}],
                        value=switch_value(value),
                        className="lever-switch",
                    ),
                    html.Span(
                        [t(f"dash.lever.{lv.id}", lang), " ", info(lv.id, lang)],
                        className="lever-label",
                    ),
                ],
                className="switch-row",
            ),
            html.Div(html.Code(lv.path, className="lever-path"), className="lever-meta"),
            marks(lv.id, sc, lang),
        ],
        className="lever lever-switch-row",
        id=f"lever-{lv.id}",
    )


def _reform(name: str, lang: str, extra: Extra) -> html.Div:
    sc = scenario(name, extra)
    lo, hi = reform_bounds(sc)
    year = lever_values(name, extra)["reform_year"]
    return html.Div(
        [
            html.Label(
                [t("dash.lever.reform_year", lang), " ", info(REFORM_YEAR, lang)],
                htmlFor="reform-text",
                className="lever-label",
            ),
            html.Div(
                [
                    html.Div(
                        dcc.Slider(
                            id="reform-slider",
                            min=lo,
                            max=hi,
                            step=1,
                            value=year if year is not None else lo,
                            marks=None,
                            disabled=year is None,
                            allow_direct_input=False,
                        ),
                        className="lever-slider",
                    ),
                    dcc.Input(
                        id="reform-text",
                        type="text",
                        value=str(year) if year is not None else "",
                        disabled=year is None,
                        debounce=True,
                        inputMode="numeric",
                        className="lever-text",
                    ),
                ],
                className="lever-row",
            ),
            html.Div(id="reform-help", className="lever-meta"),
            html.Div(id="reform-msg", className="lever-msg", role="alert"),
        ],
        className="lever",
        id="lever-reform_year",
    )


def open_groups(sc: Scenario) -> dict[str, bool]:
    """Which lever groups are open: the reform year's, and those with a lever that the
    scenario's own events set (market-reform: subsidies, soft budgets ...)."""
    own = set(reform_events(sc))
    touched = {
        BY_ID[lid].group for lid, ms in lever_marks(sc).items() if any(m.event in own for m in ms)
    }
    return {g: g == "reform" or g in touched for g in GROUPS}


def run_box(name: str, lang: str, runs: int, seed: int) -> html.Div:
    """The scenario, runs and seed, the run button, progress and messages."""
    return html.Div(
        [
            html.Label(t("dash.scenario", lang), htmlFor="scenario", className="field-label"),
            dcc.Dropdown(
                id="scenario",
                options=scenario_options(lang),
                value=name,
                clearable=False,
                searchable=False,
            ),
            html.Div(id="scenario-description", className="scenario-description"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(t("dash.runs", lang), htmlFor="runs"),
                            dcc.Input(id="runs", type="text", value=str(runs), inputMode="numeric"),
                        ],
                        className="small-field",
                    ),
                    html.Div(
                        [
                            html.Label(t("dash.seed", lang), htmlFor="seed"),
                            dcc.Input(id="seed", type="text", value=str(seed), inputMode="numeric"),
                        ],
                        className="small-field",
                    ),
                ],
                className="run-fields",
            ),
            html.Div(t("dash.runs_help", lang, max=MAX_RUNS), className="help"),
            html.Div(
                [
                    html.Button(t("dash.run", lang), id="run-button", className="run-button"),
                    html.Button(t("dash.reset", lang), id="reset-button", className="reset"),
                ],
                className="buttons",
            ),
            html.Div(
                [
                    html.Progress(id="progress", value="0", max="1", className="progress"),
                    html.Div(tr("dash.idle", lang), id="status", className="status"),
                ],
                id="progress-box",
            ),
            html.Div(id="message", className="message", role="alert"),
        ],
        className="controls run-box",
        id="run-box",
    )


def levers_box(name: str, lang: str, extra: Extra) -> html.Div:
    """The levers by group, the reform year first; each group folds (those the
    scenario's own events touch are open)."""
    sc = scenario(name, extra)
    values = lever_values(name, extra)
    opened = open_groups(sc)
    groups: list[Any] = []
    for g in ("reform", *[g for g in GROUPS if g != "reform"]):
        items: list[Any] = []
        if g == "reform":
            items.append(_reform(name, lang, extra))
        for lv in LEVERS:
            if lv.group != g:
                continue
            if lv.kind == "switch":
                items.append(_switch(lv, bool(values[lv.id]), lang, sc))
            else:
                items.append(_slider(lv, float(values[lv.id]), lang, sc))
        groups.append(
            html.Details(
                [html.Summary(t(f"dash.group.{g}", lang)), *items],
                open=opened[g],
                className="group",
                id=f"group-{g}",
            )
        )
    return html.Div(
        [
            html.H2(t("dash.levers", lang)),
            html.Div(t("dash.more_levers", lang), className="help"),
            *groups,
        ],
        className="controls levers-box",
        id="levers-box",
    )


def glossary(lang: str) -> html.Details:
    """Short definitions of what the figures and levers use, in the page's language."""
    items: list[Any] = []
    for g in GLOSSARY:
        items += [
            html.Dt(t(f"dash.gloss.{g}.term", lang)),
            html.Dd(t(f"dash.gloss.{g}.text", lang)),
        ]
    return html.Details(
        [html.Summary(t("dash.glossary", lang)), html.Dl(items)],
        className="glossary",
        id="glossary",
    )


def about_scores(lang: str) -> list[Any]:
    """The stored scores of the reference scenario's calibrated set (``overcap score``:
    in-sample, out of stream, out of time), or that none is recorded, as paragraphs."""
    from overcap.report.findings import stored_scores_text

    return [html.P(s) for s in stored_scores_text(scenario(REFERENCE).calibrated, lang)]


def about(lang: str) -> html.Details:
    """What the model is and is not (the report's limitations) and how well the shipped
    calibration fits the record, folded under the figure."""
    return html.Details(
        [
            html.Summary(t("dash.about", lang)),
            html.P(t("limits.laboratory", lang)),
            html.P(t("limits.not_forecast", lang)),
            html.Div(about_scores(lang), id="about-scores"),
        ],
        className="glossary about",
        id="about",
    )


def attribution_box(lang: str) -> html.Div:
    """The attribution tab's content (hidden until the tab is chosen): the stored
    experiment and the outcome, the figure and the claims table, or a message saying how
    to store one. The callbacks in ``callbacks`` fill it."""
    return html.Div(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.Label(
                                t("dash.attr.experiment", lang),
                                htmlFor="attr-experiment",
                                className="field-label",
                            ),
                            dcc.Dropdown(id="attr-experiment", clearable=False, searchable=False),
                        ],
                        className="attr-field attr-experiment",
                    ),
                    html.Div(
                        [
                            html.Label(
                                t("dash.attr.outcome", lang),
                                htmlFor="attr-outcome",
                                className="field-label",
                            ),
                            dcc.Dropdown(id="attr-outcome", clearable=False, searchable=False),
                        ],
                        className="attr-field",
                    ),
                    html.Button(t("dash.attr.reload", lang), id="attr-reload", className="reset"),
                ],
                className="attr-controls",
            ),
            html.P(t("dash.attr.help", lang), className="help"),
            html.Div(id="attr-message", className="attr-message", role="status"),
            html.Div(
                dcc.Graph(
                    id="attr-figure",
                    figure=placeholder(""),
                    config={"displaylogo": False, "responsive": True},
                ),
                id="attr-figure-box",
                style={"display": "none"},
            ),
            html.H3(id="attr-claims-title", className="attr-claims-title"),
            html.Div(id="attr-claims", className="attr-claims"),
        ],
        id="attribution-box",
        className="attribution",
        style={"display": "none"},
    )


def scenario_options(lang: str) -> list[dict[str, str]]:
    from overcap.dashboard.levers import scenario_names

    return [{"label": messages.scenario(n, lang), "value": n} for n in scenario_names()]


def build_layout(
    lang: str, name: str = REFERENCE, runs: int = 4, seed: int = 0, extra: Extra = ()
) -> html.Div:
    return html.Div(
        [
            html.Header(
                [
                    html.Div(
                        [
                            html.H1(t("dash.title", lang)),
                            html.P(t("dash.subtitle", lang), className="subtitle"),
                        ]
                    ),
                    html.Div(
                        [
                            html.Span(t("dash.language", lang), className="field-label"),
                            dcc.RadioItems(
                                id="lang",
                                options=[
                                    {"label": tr(f"dash.language_name.{c}", c), "value": c}
                                    for c in LANGS
                                ],
                                value=lang,
                                inline=True,
                            ),
                        ],
                        className="lang",
                    ),
                ],
                className="top",
            ),
            html.Main(
                [
                    run_box(name, lang, runs, seed),
                    html.Section(
                        [
                            dcc.Tabs(
                                id="view",
                                value=DEFAULT_VIEW,
                                children=[
                                    dcc.Tab(
                                        label=tr(f"dash.view.{v}", lang),
                                        value=v,
                                        id={"type": "view-tab", "view": v},
                                    )
                                    for v in (*VIEWS, ATTRIBUTION)
                                ],
                            ),
                            html.Div(
                                [
                                    html.Label(t("dash.sector", lang), htmlFor="sector"),
                                    dcc.Dropdown(
                                        id="sector",
                                        value=DEFAULT_SECTOR,
                                        options=sector_options(name, lang),
                                        clearable=False,
                                    ),
                                ],
                                id="sector-box",
                                className="sector-box",
                                style={"display": "none"},
                            ),
                            html.Div(
                                [
                                    dcc.Loading(
                                        dcc.Graph(
                                            id="figure",
                                            figure=placeholder(tr("dash.idle", lang)),
                                            config={"displaylogo": False, "responsive": True},
                                        ),
                                        delay_show=300,
                                    ),
                                    html.P(id="caption", className="caption"),
                                    html.Details(
                                        [
                                            html.Summary(t("dash.command", lang)),
                                            html.P(t("dash.command_help", lang), className="help"),
                                            html.Pre(html.Code(id="command")),
                                        ],
                                        className="command",
                                        id="command-box",
                                    ),
                                ],
                                id="run-view",
                            ),
                            about(lang),
                            attribution_box(lang),
                            glossary(lang),
                        ],
                        className="views",
                        id="views",
                    ),
                    levers_box(name, lang, extra),
                ],
                className="main",
            ),
            dcc.Store(id="lever-defaults", data=lever_defaults(extra)),
            dcc.Store(id="job"),
            dcc.Store(id="shown"),
            dcc.Interval(id="poll", interval=400, disabled=True),
        ],
        className="page",
        lang=lang,
        id="page",
    )


def sector_options(name: str, lang: str) -> list[dict[str, str]]:
    return [{"label": messages.sector(s, lang), "value": s} for s in scenario(name).sector_ids]
