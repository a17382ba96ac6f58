"""The page: controls on the left (scenario, runs, levers, run), views on the right.

Every visible word is a catalogue key: static labels are ``html.Span`` with id
``{"type": "t", "key": key}``, which one callback fills in the chosen language.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from overcap.dashboard.levers import (
    GROUPS,
    LEVERS,
    MAX_RUNS,
    REFERENCE,
    Extra,
    Lever,
    fmt,
    lever_defaults,
    lever_values,
    reform_bounds,
    scenario,
)
from overcap.dashboard.text import LANGS, range_text, tr
from overcap.dashboard.views import DEFAULT_SECTOR, DEFAULT_VIEW, VIEWS, placeholder
from overcap.report import messages


def t(key: str, lang: str, **fields: Any) -> html.Span:
    """A label that follows the language switch (``fields`` must not depend on input)."""
    return html.Span(tr(key, lang, **fields), id={"type": "t", "key": key})


def switch_value(on: bool) -> list[str]:
    return ["on"] if on else []


def _slider(lv: Lever, value: float, lang: str) -> html.Div:
    lo, hi, _ = lv.bounds
    return html.Div(
        [
            html.Label(
                t(f"dash.lever.{lv.id}", lang),
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
            html.Div(
                id={"type": "lever-msg", "lever": lv.id},
                className="lever-msg",
                role="alert",
            ),
        ],
        className="lever",
        id=f"lever-{lv.id}",
    )


def _switch(lv: Lever, value: bool, lang: str) -> html.Div:
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
                    html.Span(t(f"dash.lever.{lv.id}", lang), className="lever-label"),
                ],
                className="switch-row",
            ),
            html.Div(html.Code(lv.path, className="lever-path"), className="lever-meta"),
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
                t("dash.lever.reform_year", lang), htmlFor="reform-text", className="lever-label"
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


def controls(name: str, lang: str, runs: int, seed: int, extra: Extra) -> html.Div:
    values = lever_values(name, extra)
    groups: list[Any] = []
    for g in GROUPS:
        items: list[Any] = []
        for lv in LEVERS:
            if lv.group != g:
                continue
            if lv.kind == "switch":
                items.append(_switch(lv, bool(values[lv.id]), lang))
            else:
                items.append(_slider(lv, float(values[lv.id]), lang))
        if g == "reform":
            items.append(_reform(name, lang, extra))
        groups.append(
            html.Fieldset(
                [html.Legend(t(f"dash.group.{g}", lang)), *items],
                className="group",
                id=f"group-{g}",
            )
        )
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
            html.H2(t("dash.levers", lang)),
            *groups,
            html.Details(
                [
                    html.Summary(t("dash.command", lang)),
                    html.Pre(html.Code(id="command")),
                ],
                className="command",
            ),
        ],
        className="controls",
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
                    controls(name, lang, runs, seed, extra),
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
                                    for v in VIEWS
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
                            dcc.Loading(
                                dcc.Graph(
                                    id="figure",
                                    figure=placeholder(tr("dash.idle", lang)),
                                    config={"displaylogo": False, "responsive": True},
                                ),
                                delay_show=300,
                            ),
                            html.P(id="caption", className="caption"),
                        ],
                        className="views",
                    ),
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
