"""The attribution tab (機制歸因, issue 18): the attribution experiments stored in the
dashboard's results store (``overcap attribute``), and for the one chosen and an outcome
the report's figure (each mechanism's Shapley value, median over replicates with its
bootstrap band, and the total they add up to; :func:`overcap.report.thesis.figure`)
and the claims table (:func:`overcap.report.thesis.claims`), in zh-TW or English.

Nothing here runs the model: the experiments are read as ``overcap attribute`` stored
them (:func:`overcap.attribution.load`). The list is read from the store's experiment
definitions each time the tab is opened or reloaded, so an experiment stored while the
dashboard is up appears without a restart.
"""

from __future__ import annotations

import shlex
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from dash import html

from overcap.attribution import Attribution
from overcap.dashboard.text import tr
from overcap.report import thesis

ATTRIBUTION = "attribution"  # the tab's value in the view tabs
MAKE_ONE = "overcap attribute baseline --runs 10"  # the command the empty tab names
VERDICTS = ("supported", "contradicted", "inconclusive", "not testable")
SHOWN_COLUMNS = ("claim", "experiment", "answer", "verdict")  # thesis.claims' visible ones
MIN_HEIGHT = 380  # px


@dataclass(frozen=True)
class Stored:
    """An attribution experiment in the store: what the list shows of it. ``complete`` is
    False while its Shapley values are not stored yet (runs missing: resume it)."""

    name: str
    scenario: str
    players: tuple[str, ...]
    runs: int
    method: str
    seed: int | None
    created: str
    complete: bool


def stored(root: str | Path) -> list[Stored]:
    """The attribution experiments under ``root``, newest first (complete or not); other
    experiments (the dashboard's own ensembles, sweeps ...) are left out. Only the
    definitions are read (no catalog), so a running experiment is not disturbed."""
    from overcap.store import Store, StoreError, experiment_folders

    out = []
    for folder in experiment_folders(root):
        try:
            spec = Store(folder).spec()
        except StoreError:
            continue  # unreadable: `overcap runs` reports it
        if spec.get("kind") != "attribution":
            continue
        design = spec.get("design") or {}
        scenarios = spec.get("scenarios") or [""]
        seed = spec.get("seed")
        out.append(
            Stored(
                name=folder.name,
                scenario=str(scenarios[0]),
                players=tuple(str(p) for p in design.get("players", [])),
                runs=int(spec.get("runs", 0)),
                method=str(design.get("method", "")),
                seed=int(seed) if isinstance(seed, int) else None,
                created=str(spec.get("created", "")),
                # where overcap.attribution stores the answer (load() reads it from there)
                complete=(folder / "attribution" / "meta.json").exists(),
            )
        )
    out.sort(key=lambda s: (s.created, s.name), reverse=True)
    return out


def option_label(s: Stored, lang: str) -> str:
    text = tr(
        "dash.attr.option",
        lang,
        name=s.name,
        scenario=s.scenario,
        players=len(s.players),
        runs=s.runs,
    )
    if not s.complete:
        text += " " + tr("dash.attr.incomplete", lang, name=s.name)
    return text


def options(items: list[Stored], lang: str) -> list[dict[str, Any]]:
    """The experiment list's options: incomplete experiments shown but not choosable."""
    return [
        {"label": option_label(s, lang), "value": s.name, "disabled": not s.complete} for s in items
    ]


def make_command(root: str | Path) -> str:
    """The command that stores an attribution where this dashboard looks for one."""
    from overcap.store import root_of

    if Path(root).absolute() == root_of(None).absolute():
        return MAKE_ONE
    return f"{MAKE_ONE} --results {shlex.quote(str(root))}"


def empty_message(root: str | Path, lang: str) -> list[Any]:
    """What the tab says when no complete attribution experiment is stored: where it
    looked and the command that makes one."""
    return [
        html.P(tr("dash.attr.none", lang, where=str(root))),
        html.Pre(html.Code(make_command(root)), className="attr-command"),
        html.P(tr("dash.attr.none_after", lang), className="help"),
    ]


class Attributions:
    """The attribution experiments of one results store, each read once (and again when
    ``overcap attribute --resume`` stores new values) and kept while ``size`` others
    have not been asked for since."""

    def __init__(self, root: str | Path, size: int = 8) -> None:
        self.root = Path(root)
        self.size = size
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[int, Attribution]] = OrderedDict()

    def list(self) -> list[Stored]:
        return stored(self.root)

    def get(self, name: str) -> Attribution:
        """The stored answer of experiment ``name`` (StoreError, AttributionError if it
        is gone or incomplete)."""
        from overcap.attribution import load
        from overcap.store import Store

        meta = Store.at(name, self.root).folder / "attribution" / "meta.json"
        try:
            stamp = meta.stat().st_mtime_ns
        except OSError:
            stamp = -1  # load() says what is wrong
        with self._lock:
            hit = self._cache.get(name)
            if hit is not None and hit[0] == stamp:
                self._cache.move_to_end(name)
                return hit[1]
        a = load(name, self.root)
        with self._lock:
            self._cache[name] = (stamp, a)
            self._cache.move_to_end(name)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return a


def figure(a: Attribution, outcome: str, lang: str, seed: int | None = None) -> go.Figure:
    """The report's figure of ``outcome`` (bars, bands, the total, the provenance), at
    least :data:`MIN_HEIGHT` px tall (with few mechanisms the report's height leaves the
    provenance on the axis title), with the page's meta: which experiment and outcome
    it shows."""
    fig = thesis.figure(a, outcome, lang, seed)
    if (fig.layout.height or 0) < MIN_HEIGHT:
        fig.update_layout(height=MIN_HEIGHT)
    fig.update_layout(meta={"figure": ATTRIBUTION, "experiment": a.experiment, "outcome": outcome})
    return fig


def verdict_of(text: str, lang: str) -> str:
    """The verdict's key (supported, contradicted ...) from its words in ``lang``."""
    for v in VERDICTS:
        if thesis.w(v, lang) == text:
            return v
    return "not testable"


def claims_table(a: Attribution, lang: str) -> html.Table:
    """The claims table as the report has it: claim, the experiment that tests it, the
    model's answer [band], the verdict (coloured by verdict)."""
    table = thesis.claims(a, lang)
    heads = [thesis.w(c, lang) for c in SHOWN_COLUMNS]
    rows = []
    for rec in table[heads].itertuples(index=False):
        cells = [str(x) for x in rec]
        verdict = verdict_of(cells[-1], lang)
        rows.append(
            html.Tr(
                [
                    html.Td(cells[0]),
                    html.Td(html.Code(cells[1]) if cells[1] != "-" else cells[1]),
                    html.Td(cells[2], className="num"),
                    html.Td(cells[3], className=f"verdict {verdict.replace(' ', '-')}"),
                ]
            )
        )
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in heads])), html.Tbody(rows)],
        className="claims",
        id="attr-claims-table",
    )


__all__ = [
    "ATTRIBUTION",
    "MAKE_ONE",
    "Attributions",
    "Stored",
    "claims_table",
    "empty_message",
    "figure",
    "options",
    "stored",
]
