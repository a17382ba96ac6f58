"""The Dash app: ``create_app`` builds it, ``serve`` runs it (``overcap dashboard``).

Offline by construction: Dash serves its own JavaScript from the installed package
(``serve_locally``), the stylesheet is in this package's ``assets/`` folder, and no
external script or stylesheet is named.
"""

from __future__ import annotations

import atexit
import logging
import socket
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dash import Dash
from flask import Response, request
from werkzeug.exceptions import HTTPException

from overcap.dashboard import callbacks
from overcap.dashboard.attribution import Attributions
from overcap.dashboard.layout import build_layout
from overcap.dashboard.levers import REFERENCE, RunSpec, check_scenario, parse_request
from overcap.dashboard.runner import Runner
from overcap.dashboard.text import tr
from overcap.dashboard.views import Views
from overcap.report import messages

ASSETS = Path(__file__).parent / "assets"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
DEFAULT_RUNS = 4
UPDATE_PATH = "_dash-update-component"

log = logging.getLogger("overcap.dashboard")


def create_app(
    *,
    lang: str = messages.DEFAULT_LANG,
    scenario: str = REFERENCE,
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
    extra: Mapping[str, Any] | None = None,
    workers: int | None = None,
    results: str | Path | None = None,
    runner: Runner | None = None,
    warm: bool = True,
) -> Dash:
    """The scenario explorer as a Dash app (``app.run(...)`` or ``serve``).

    ``lang`` is the page's first language; ``scenario``, ``runs`` and ``seed`` what the
    page shows first. ``extra`` are overrides every run gets, the baseline too (tests
    use fewer firms). Runs go to the results store under ``results`` (default
    ./overcap-results), one experiment per scenario and parameters, computed by a Dask
    LocalCluster of ``workers`` processes (default 2; 0 runs them in the server's
    background threads); a ``runner`` may be given instead. ``warm`` starts the baseline
    for the first page's seed and runs as soon as the first page is asked for, so the
    first comparison only waits for the user's scenario.
    The attribution tab lists the attribution experiments (``overcap attribute``) of
    the same store.
    Raises ValueError (a one-line message) for a bad ``lang``, ``scenario``, ``runs``,
    ``seed`` or ``extra``."""
    lang = messages.check_lang(lang)
    try:
        check_scenario(scenario)
        first = parse_request(scenario, {}, seed=seed, runs=runs, extra=extra)
    except ValueError as exc:
        raise ValueError(_input_message(exc)) from None
    fixed = dict(extra or {})
    if runner is None:
        runner = Runner(results=results, workers=workers)
        atexit.register(runner.shutdown)
    app = Dash(
        __name__,
        title=tr("dash.title", lang),
        assets_folder=str(ASSETS),
        serve_locally=True,
        update_title="",
        on_error=callbacks.on_error,
    )
    app.layout = build_layout(lang, scenario, first.runs, first.seed, first.extra)
    callbacks.register(app, runner, Views(), fixed, Attributions(store_of(runner, results)))
    app.server.config["OVERCAP_RUNNER"] = runner
    app.server.register_error_handler(Exception, _http_error)
    if warm:
        ref = RunSpec(REFERENCE, (), first.seed, first.runs, first.extra)
        _warm_on_first_request(app, runner, ref)
    return app


def store_of(runner: Runner, results: str | Path | None) -> Path:
    """The results store the page's runs go to (and the attribution tab lists): the one
    named, else the runner's, else ./overcap-results."""
    from overcap.store import root_of

    if results is not None:
        return root_of(results)
    return Path(getattr(runner.compute, "results", None) or root_of(None))


def _warm_on_first_request(app: Dash, runner: Runner, spec: RunSpec) -> None:
    """Start ``spec`` when the first page is asked for, not at import: the worker
    processes are started then, once the importing script has finished loading."""
    started = threading.Event()

    def warm() -> None:
        if not started.is_set():
            started.set()
            runner.submit(spec, compare=False)

    app.server.before_request(warm)


def _http_error(exc: Exception) -> Any:
    """A request the page never sends (a body that is no callback, a malformed one):
    a one-line 400 for callback requests, the trace only in the server's log."""
    if isinstance(exc, HTTPException) and not request.path.endswith(UPDATE_PATH):
        return exc  # 404 and friends, as Flask answers them
    if request.path.endswith(UPDATE_PATH):
        log.warning("rejected a malformed callback request: %s", callbacks.one_line(exc))
        text = "overcap dashboard: this request is not one the page sends"
        return Response(f"{text} ({callbacks.one_line(exc)})\n", 400, mimetype="text/plain")
    log.error("dashboard request failed", exc_info=exc)
    text = "overcap dashboard: internal error"
    return Response(f"{text} ({callbacks.one_line(exc)})\n", 500, mimetype="text/plain")


def runner_of(app: Dash) -> Runner:
    """The runner behind an app made by :func:`create_app`."""
    r = app.server.config["OVERCAP_RUNNER"]
    assert isinstance(r, Runner)
    return r


def _input_message(exc: Exception) -> str:
    from overcap.dashboard.levers import InputError
    from overcap.dashboard.text import error_text

    if isinstance(exc, InputError):
        return error_text(exc, "en")
    return str(exc)


def check_address(host: str, port: int) -> None:
    """Raise ValueError (one line) if this machine cannot listen on ``host:port`` (the
    port is taken, or the address is not this machine's)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ValueError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            raise ValueError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    **kwargs: Any,
) -> None:
    """Build the app and serve it (blocking) on ``host:port``, by default 127.0.0.1
    only: other machines cannot reach it unless ``host`` says so."""
    app = create_app(**kwargs)
    check_address(host, port)
    try:
        app.run(host=host, port=port, debug=False, use_reloader=False)
    finally:
        runner_of(app).shutdown()
