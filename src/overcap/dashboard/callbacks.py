"""What the page does: translate, reset the levers to a scenario, keep each slider and its
box together, run in the background and poll, and draw the chosen view.

Nothing the page sends is trusted: every value goes through :mod:`overcap.dashboard.
levers` (or is checked against a fixed list) on the server. Bad input shows a message
naming the field; any other failure shows a one-line message (the traceback goes to the
server's log, never to the page), and the page keeps working.
"""

from __future__ import annotations

import logging
from typing import Any

from dash import ALL, MATCH, Dash, Input, Output, State, ctx, no_update, set_props
from dash.exceptions import PreventUpdate

from overcap.attribution import AttributionError
from overcap.dashboard import attribution as attr
from overcap.dashboard.attribution import ATTRIBUTION, Attributions
from overcap.dashboard.layout import (
    about_scores,
    mark_lines,
    open_groups,
    scenario_options,
    sector_options,
)
from overcap.dashboard.levers import (
    GROUPS,
    MAX_RUNS,
    REFORM_YEAR,
    InputError,
    RunSpec,
    check_scenario,
    exact,
    fmt,
    freeze,
    lever_values,
    parse_lever,
    parse_number,
    parse_request,
    reform_bounds,
    reform_events,
    scenario,
    scenario_names,
    shift_reform,
)
from overcap.dashboard.runner import Runner, Status, one_line
from overcap.dashboard.text import error_text, has, range_text, safe_lang, tip, tr
from overcap.dashboard.views import DEFAULT_SECTOR, VIEWS, Views, placeholder, reform_year_of
from overcap.report import messages, thesis
from overcap.scenario import Scenario, ScenarioError, load_scenario
from overcap.store import StoreError, root_of

log = logging.getLogger("overcap.dashboard")

# catalogue keys shown with fixed fields
FIXED_FIELDS: dict[str, dict[str, Any]] = {"dash.runs_help": {"max": MAX_RUNS}}
ERROR = "message error"
OK = "message"


def _lang_of_request() -> str:
    """The page's language as the failing request sent it (the default if it did not)."""
    try:
        for group in (ctx.inputs, ctx.states):
            if "lang.value" in group:
                return safe_lang(group["lang.value"])
    except Exception:  # outside a request, or a request without them
        pass
    return safe_lang(None)


def on_error(err: Exception) -> None:
    """The app's last line of defence: one line on the page, the trace in the log."""
    lang = _lang_of_request()
    if isinstance(err, InputError):
        text = error_text(err, lang)
    else:
        log.error("dashboard callback failed", exc_info=err)
        text = tr("dash.error.internal", lang, detail=one_line(err))
    set_props("message", {"children": text, "className": ERROR})


def status_text(st: Status, specs: list[RunSpec], runner: Runner, lang: str) -> str:
    spec = specs[-1]
    secs = f"{st.seconds:.1f}"
    if st.state == "running":
        return tr("dash.running", lang, done=st.done, total=st.total, seconds=secs)
    if st.state == "failed":
        return tr("dash.failed", lang, detail=st.error or "")
    if spec.is_reference:
        text = tr("dash.done_reference", lang, seconds=secs, runs=spec.runs, seed=spec.seed)
    else:
        name = messages.scenario(spec.scenario, lang)
        if spec.overrides:
            name = tr("dash.with_levers", lang, scenario=name)
        text = tr("dash.done", lang, seconds=secs, runs=spec.runs, scenario=name, seed=spec.seed)
    where = runner.stored(spec)
    if where:
        text += " " + tr("dash.stored", lang, where=where)
    return text


RESET_LEVERS_JS = """
function (name, clicks, table) {
    const dc = window.dash_clientside;
    const d = table && table[name];
    if (!d) { throw dc.PreventUpdate; }  // not a shipped scenario: describe() says so
    const outs = dc.callback_context.outputs_list;
    const ids = (k) => outs[k].map((o) => o.id.lever);
    return [
        ids(0).map((i) => d.slider[i]),
        ids(1).map((i) => d.text[i]),
        ids(2).map(() => ""),
        ids(3).map((i) => d.switch[i]),
        "",
    ];
}
"""


def register(
    app: Dash,
    runner: Runner,
    views: Views,
    extra: dict[str, Any],
    attributions: Attributions | None = None,
) -> None:
    """Attach the callbacks; ``extra`` are overrides every run gets (e.g. fewer firms);
    ``attributions`` the store the attribution tab lists (default ./overcap-results)."""
    fixed = freeze(extra)

    # ------------------------------------------------------------------ language
    @app.callback(
        Output({"type": "t", "key": ALL}, "children"),
        Output({"type": "view-tab", "view": ALL}, "label"),
        Output({"type": "lever-range", "lever": ALL}, "children"),
        Output({"type": "tip", "lever": ALL}, "title"),
        Output("scenario", "options"),
        Output("page", "lang"),
        Input("lang", "value"),
    )
    def translate(lang: Any) -> tuple[Any, ...]:
        lang = safe_lang(lang)
        texts = []
        for out in ctx.outputs_list[0]:
            key = str(out["id"]["key"])
            texts.append(tr(key, lang, **FIXED_FIELDS.get(key, {})))
        tabs = [tr(f"dash.view.{o['id']['view']}", lang) for o in ctx.outputs_list[1]]
        ranges = [range_text(str(o["id"]["lever"]), lang) for o in ctx.outputs_list[2]]
        tips = [tip(str(o["id"]["lever"]), lang) for o in ctx.outputs_list[3]]
        return texts, tabs, ranges, tips, scenario_options(lang), lang

    @app.callback(Output("about-scores", "children"), Input("lang", "value"))
    def about_text(lang: Any) -> list[Any]:
        """The stored scores of the shipped calibration, in the page's language."""
        return about_scores(safe_lang(lang))

    @app.callback(
        Output("scenario-description", "children"),
        Output("reform-help", "children"),
        Output("sector", "options"),
        Output({"type": "lever-event", "lever": ALL}, "children"),
        Input("scenario", "value"),
        Input("lang", "value"),
        Input("reform-text", "value"),
    )
    def describe(name: Any, lang: Any, reform_year: Any) -> tuple[Any, ...]:
        lang = safe_lang(lang)
        name = check_scenario(name)
        sc = scenario(name, fixed)
        shown = shifted(sc, name, reform_year)
        events = reform_events(shown)
        if events:
            listed = ", ".join(f"{messages.event(e, lang)} {a}-{b}" for e, (a, b) in events.items())
            help_text = tr("dash.reform_help", lang, events=listed)
        else:
            help_text = tr("dash.no_reform", lang)
        key = f"dash.scenario_description.{name}"
        description = tr(key, lang) if has(key) else sc.description
        marks = [mark_lines(str(o["id"]["lever"]), shown, lang) for o in ctx.outputs_list[3]]
        return description, help_text, sector_options(name, lang), marks

    def shifted(sc: Scenario, name: str, reform_year: Any) -> Scenario:
        """The scenario with its reform moved to the year in the box (as it stands if the
        box holds no valid year)."""
        if reform_year in (None, "") or not reform_events(sc):
            return sc
        lo, hi = reform_bounds(sc)
        try:
            year = int(parse_number(reform_year, REFORM_YEAR, lo, hi, "year", integer=True))
            moved = shift_reform(sc, year)
            return load_scenario(name, {**dict(extra), **moved}) if moved else sc
        except (InputError, ScenarioError):
            return sc

    # a scenario opens the lever groups its own events touch (and closes the others)
    @app.callback(
        *[Output(f"group-{g}", "open") for g in GROUPS],
        Input("scenario", "value"),
        prevent_initial_call=True,
    )
    def open_lever_groups(name: Any) -> tuple[bool, ...]:
        opened = open_groups(scenario(check_scenario(name), fixed))
        return tuple(opened[g] for g in GROUPS)

    # ------------------------------------------------------------------ scenario
    # Choosing a scenario (or reset) puts its levers back in the browser, from the table
    # the page holds (lever-defaults): no server answer can arrive after the user typed
    # into a lever and overwrite it (issue 16). The reform year is reset by sync_reform.
    app.clientside_callback(
        RESET_LEVERS_JS,
        Output({"type": "lever-slider", "lever": ALL}, "value", allow_duplicate=True),
        Output({"type": "lever-text", "lever": ALL}, "value", allow_duplicate=True),
        Output({"type": "lever-msg", "lever": ALL}, "children", allow_duplicate=True),
        Output({"type": "lever-switch", "lever": ALL}, "value"),
        Output("message", "children", allow_duplicate=True),
        Input("scenario", "value"),
        Input("reset-button", "n_clicks"),
        State("lever-defaults", "data"),
        prevent_initial_call=True,
    )

    # ------------------------------------------------------------------ levers
    @app.callback(
        Output({"type": "lever-slider", "lever": MATCH}, "value"),
        Output({"type": "lever-text", "lever": MATCH}, "value"),
        Output({"type": "lever-msg", "lever": MATCH}, "children"),
        Input({"type": "lever-slider", "lever": MATCH}, "value"),
        Input({"type": "lever-text", "lever": MATCH}, "value"),
        State("lang", "value"),
        prevent_initial_call=True,
    )
    def sync_lever(slider: Any, text: Any, lang: Any) -> tuple[Any, ...]:
        lang = safe_lang(lang)
        trig = ctx.triggered_id
        if not isinstance(trig, dict):
            raise PreventUpdate
        lever_id = trig.get("lever")
        try:
            if trig.get("type") == "lever-slider":
                return no_update, fmt(parse_lever(lever_id, slider)), ""
            value = parse_lever(lever_id, text)
            return value, exact(value), ""
        except InputError as err:
            return no_update, no_update, error_text(err, lang)

    # The reform year has one callback for everything that sets it (choosing a scenario,
    # reset, the slider, the text), so that Dash drops a stale answer when a newer call
    # of the same callback is made: a year typed right after choosing a scenario is never
    # overwritten by the scenario's default arriving late (issue 16).
    @app.callback(
        Output("reform-slider", "value"),
        Output("reform-slider", "min"),
        Output("reform-slider", "max"),
        Output("reform-slider", "disabled"),
        Output("reform-text", "value"),
        Output("reform-text", "disabled"),
        Output("reform-msg", "children"),
        Input("reform-slider", "value"),
        Input("reform-text", "value"),
        Input("scenario", "value"),
        Input("reset-button", "n_clicks"),
        State("lang", "value"),
        prevent_initial_call=True,
    )
    def sync_reform(slider: Any, text: Any, name: Any, _clicks: Any, lang: Any) -> tuple[Any, ...]:
        lang = safe_lang(lang)
        name = check_scenario(name)
        sc = scenario(name, fixed)
        lo, hi = reform_bounds(sc)
        keep = (no_update,) * 4
        trig = ctx.triggered_id
        if trig in ("scenario", "reset-button"):
            year = lever_values(name, fixed)[REFORM_YEAR]
            none = year is None
            return (lo if none else year, lo, hi, none, "" if none else str(year), none, "")
        try:
            if trig == "reform-slider":
                year = parse_number(slider, REFORM_YEAR, lo, hi, "year", True)
                return (*keep, str(year), no_update, "")
            if text in (None, "") and not reform_events(sc):
                return (*keep, no_update, no_update, "")
            year = parse_number(text, REFORM_YEAR, lo, hi, "year", integer=True)
            return (year, no_update, no_update, no_update, str(year), no_update, "")
        except InputError as err:
            return (*keep, no_update, no_update, error_text(err, lang))

    # ------------------------------------------------------------------ run
    @app.callback(
        Output("job", "data"),
        Output("poll", "disabled"),
        Output("message", "children", allow_duplicate=True),
        Output("message", "className", allow_duplicate=True),
        Output("command", "children"),
        Input("run-button", "n_clicks"),
        State("scenario", "value"),
        State("runs", "value"),
        State("seed", "value"),
        State({"type": "lever-text", "lever": ALL}, "value"),
        State({"type": "lever-switch", "lever": ALL}, "value"),
        State("reform-text", "value"),
        State("lang", "value"),
        prevent_initial_call=True,
    )
    def start_run(
        _clicks: Any,
        name: Any,
        runs: Any,
        seed: Any,
        _texts: Any,
        _switches: Any,
        reform_year: Any,
        lang: Any,
    ) -> tuple[Any, ...]:
        lang = safe_lang(lang)
        values: dict[Any, Any] = {}
        # the lever ids as the request names them (a crafted request may name others)
        for group in (ctx.states_list[3], ctx.states_list[4]):
            if not isinstance(group, list):
                raise InputError("levers", "dash.error.levers")
            for item in group:
                item = item if isinstance(item, dict) else {}
                ident = item.get("id")
                lever_id = ident.get("lever") if isinstance(ident, dict) else None
                values[lever_id] = item.get("value")
        try:
            if reform_year not in (None, ""):
                values[REFORM_YEAR] = reform_year
            elif name in scenario_names() and reform_events(scenario(name, fixed)):
                values[REFORM_YEAR] = ""  # the scenario has a reform: an empty box is an error
            spec = parse_request(name, values, seed=seed, runs=runs, extra=extra)
        except InputError as err:
            return no_update, no_update, error_text(err, lang), ERROR, no_update
        job = runner.submit(spec)
        return {"id": job}, False, "", OK, spec.command()

    @app.callback(
        Output("status", "children"),
        Output("progress", "value"),
        Output("progress", "max"),
        Output("poll", "disabled", allow_duplicate=True),
        Output("shown", "data"),
        Output("message", "children", allow_duplicate=True),
        Output("message", "className", allow_duplicate=True),
        Input("poll", "n_intervals"),
        Input("job", "data"),
        Input("lang", "value"),
        State("shown", "data"),
        prevent_initial_call="initial_duplicate",
    )
    def poll(_n: Any, job: Any, lang: Any, shown: Any) -> tuple[Any, ...]:
        lang = safe_lang(lang)
        if job is None:
            return tr("dash.idle", lang), "0", "1", True, no_update, no_update, no_update
        job_id = job.get("id") if isinstance(job, dict) else None
        st = runner.status(job_id)
        specs = runner.job_specs(job_id)
        if st is None or specs is None:
            return (
                tr("dash.error.job", lang),
                "0",
                "1",
                True,
                no_update,
                tr("dash.error.job", lang),
                ERROR,
            )
        text = status_text(st, specs, runner, lang)
        total = str(max(st.total, 1))
        done = str(st.done if st.total else 1)
        if st.state == "running":
            return text, done, total, False, no_update, no_update, no_update
        if st.state == "failed":
            return text, done, total, True, no_update, text, ERROR
        new = {"id": job_id}
        return text, done, total, True, new if shown != new else no_update, no_update, no_update

    # ------------------------------------------------------------------ views
    @app.callback(
        Output("figure", "figure"),
        Output("caption", "children"),
        Output("sector-box", "style"),
        Input("shown", "data"),
        Input("lang", "value"),
        Input("view", "value"),
        Input("sector", "value"),
    )
    def draw(shown: Any, lang: Any, view: Any, sector: Any) -> tuple[Any, ...]:
        lang = safe_lang(lang)
        style = {"display": "flex"} if view == "price_war" else {"display": "none"}
        if view == ATTRIBUTION:  # its own callbacks draw it
            return no_update, no_update, style
        if view not in VIEWS:
            allowed = (*VIEWS, ATTRIBUTION)
            raise InputError("view", "dash.error.choice", value=str(view), allowed=allowed)
        if shown is None:
            return placeholder(tr("dash.idle", lang)), "", style
        specs = runner.job_specs(shown.get("id") if isinstance(shown, dict) else None)
        if specs is None:
            return placeholder(tr("dash.gone", lang)), "", style
        results = {}
        for s in specs:
            res = runner.results(s)
            if res is None:
                return placeholder(tr("dash.gone", lang)), "", style
            results[s.key] = res
        data, name = views.data(specs[-1], results, lang)
        year = reform_year_of(specs[-1]) if view == "comparison" else None
        fig = views.figure(str(view), data, name, lang, sector or DEFAULT_SECTOR, year)
        meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
        caption = str(meta.get("caption", ""))
        if view != "comparison":  # one scenario's view: say which
            shown_name = messages.scenario(name, lang)
            caption = f"{tr('dash.showing', lang, scenario=shown_name)} {caption}"
        return fig, caption, style

    register_attribution(app, attributions or Attributions(root_of(None)))


HIDDEN = {"display": "none"}
SHOWN = {"display": "block"}


def register_attribution(app: Dash, attributions: Attributions) -> None:
    """The attribution tab: which of the run views and the attribution box shows, the
    list of stored attribution experiments, and the chosen one's figure and claims."""

    @app.callback(
        Output("run-view", "style"),
        Output("attribution-box", "style"),
        Input("view", "value"),
    )
    def switch_view(view: Any) -> tuple[Any, ...]:
        if view == ATTRIBUTION:
            return HIDDEN, SHOWN
        return SHOWN, HIDDEN

    @app.callback(
        Output("attr-experiment", "options"),
        Output("attr-experiment", "value"),
        Input("view", "value"),
        Input("lang", "value"),
        Input("attr-reload", "n_clicks"),
        State("attr-experiment", "value"),
    )
    def list_attributions(view: Any, lang: Any, _clicks: Any, chosen: Any) -> tuple[Any, ...]:
        """Read the store's list when the tab is shown, reloaded or translated; keep the
        chosen experiment if it is still there, else the newest complete one."""
        if view != ATTRIBUTION:
            raise PreventUpdate
        lang = safe_lang(lang)
        items = attributions.list()
        complete = [s.name for s in items if s.complete]
        value = chosen if chosen in complete else (complete[0] if complete else None)
        return attr.options(items, lang), value

    @app.callback(
        Output("attr-outcome", "options"),
        Output("attr-outcome", "value"),
        Output("attr-figure", "figure"),
        Output("attr-figure-box", "style"),
        Output("attr-claims-title", "children"),
        Output("attr-claims", "children"),
        Output("attr-message", "children"),
        Output("attr-message", "className"),
        Input("attr-experiment", "value"),
        Input("attr-outcome", "value"),
        Input("lang", "value"),
        Input("view", "value"),
    )
    def draw_attribution(name: Any, outcome: Any, lang: Any, view: Any) -> tuple[Any, ...]:
        """The chosen experiment's figure for the chosen outcome (its first outcome when
        the experiment changed and lacks the one chosen) and its claims table; the way
        to store one when the store has none."""
        if view != ATTRIBUTION:
            raise PreventUpdate  # drawn when shown, at the width the page gives it
        lang = safe_lang(lang)

        def message(children: Any, error: bool) -> tuple[Any, ...]:
            cls = f"attr-message {ERROR}" if error else "attr-message"
            return [], None, no_update, HIDDEN, "", [], children, cls

        items = attributions.list()
        complete = {s.name: s for s in items if s.complete}
        if name is None:
            if not complete:
                return message(attr.empty_message(attributions.root, lang), False)
            name = next(iter(complete))  # the newest, as the list chooses
        try:
            if not isinstance(name, str) or name not in complete:
                allowed = ", ".join(complete) or "-"
                raise InputError("attribution", "dash.error.choice", value=str(name),
                                 allowed=allowed)  # fmt: skip
            try:
                a = attributions.get(name)
            except (StoreError, AttributionError, OSError, ValueError) as exc:
                text = tr("dash.attr.unreadable", lang, name=name, detail=one_line(exc))
                return message(text, True)
            names = list(a.outcomes)
            if not isinstance(outcome, str) or outcome not in a.outcomes:
                if ctx.triggered_id == "attr-outcome":  # only a crafted request
                    raise InputError("outcome", "dash.error.choice", value=str(outcome),
                                     allowed=names)  # fmt: skip
                outcome = names[0]
        except InputError as err:
            return message(error_text(err, lang), True)
        opts = [{"label": a.outcomes[o], "value": o} for o in names]
        fig = attr.figure(a, str(outcome), lang, complete[name].seed)
        table = attr.claims_table(a, lang)
        box = {**SHOWN, "height": f"{int(fig.layout.height)}px"}  # the graph fills its box
        return opts, outcome, fig, box, thesis.w("claims", lang), table, "", "attr-message"


__all__ = ["on_error", "register", "register_attribution", "status_text"]
