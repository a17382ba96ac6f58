"""The scenario explorer in the browser (``overcap dashboard``).

A Dash app over the public API: pick a shipped scenario, move the levers (each a
parameter of the scenario schema, with its unit and range), run a small ensemble in
background worker processes, and see the report's figures for it beside the baseline,
in zh-TW or English::

    from overcap.dashboard import create_app

    app = create_app(lang="en", runs=4)
    app.run(host="127.0.0.1", port=8050)

Modules: :mod:`~overcap.dashboard.levers` (the levers and the checking of every input),
:mod:`~overcap.dashboard.runner` (background runs, jobs, cache),
:mod:`~overcap.dashboard.views` (the report's figures), ``layout``, ``callbacks``,
``app`` (``create_app``, ``serve``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dash import Dash


def create_app(**kwargs: Any) -> Dash:
    """See :func:`overcap.dashboard.app.create_app` (imported lazily: Dash is loaded only
    when the dashboard is used)."""
    from overcap.dashboard.app import create_app as _create

    return _create(**kwargs)


__all__ = ["create_app"]
