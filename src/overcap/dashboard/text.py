"""The dashboard's words, in zh-TW or English: the dashboard's own
(:mod:`overcap.dashboard.words`: tooltips, plain units, the glossary) first, then the
report's message catalogue (``overcap/report/messages.toml``, keys ``dash.*``)."""

from __future__ import annotations

import re
from typing import Any

from overcap.dashboard.levers import BY_ID, LEVERS, REFORM_YEAR, InputError, Mark, fmt
from overcap.dashboard.words import WORDS
from overcap.report import messages

LANGS = messages.LANGS
DEFAULT_LANG = messages.DEFAULT_LANG
_BY_PATH = {lv.path: lv for lv in LEVERS}


def tr(key: str, lang: str, **fields: Any) -> str:
    own = WORDS.get(key)
    if own is not None:
        text = own[messages.check_lang(lang)]
        return text.format(**fields) if fields else text
    return messages.t(key, lang, **fields)


def has(key: str) -> bool:
    return key in WORDS or messages.has(key)


def unit_key(unit: str) -> str:
    """The catalogue key of a schema unit: ``share of average cost`` ->
    ``dash.unit.share_of_average_cost``."""
    return "dash.unit." + re.sub(r"[^a-z0-9]+", "_", unit.lower()).strip("_")


def unit(text: str, lang: str) -> str:
    """A schema unit in the page's language (the schema's own words if the catalogue has
    no translation)."""
    if not text:
        return ""
    key = unit_key(text)
    return tr(key, lang) if has(key) else text


def lever_label(lever_id: str, lang: str) -> str:
    return tr(f"dash.lever.{lever_id}", lang)


def tip(lever_id: str, lang: str) -> str:
    """A lever's tooltip: what it means, in plain words, and its schema path."""
    path = BY_ID[lever_id].path if lever_id in BY_ID else "events.*.years"
    return f"{tr(f'dash.tip.{lever_id}', lang)} ({path})"


def range_text(lever_id: str, lang: str) -> str:
    lo, hi, u = BY_ID[lever_id].bounds
    text = tr("dash.range", lang, lo=fmt(lo), hi=fmt(hi), unit=unit(u, lang)).strip()
    return text.replace(" （", "（")  # a full-width bracket brings its own space


def field_label(field: str, lang: str) -> str:
    """What the page calls a field: a lever's label for its schema path, else the
    catalogue's name of the box (runs, seed, scenario...), else the field itself."""
    if field in _BY_PATH:
        return lever_label(_BY_PATH[field].id, lang)
    if field in BY_ID or field == REFORM_YEAR:
        return lever_label(field, lang)
    key = f"dash.field.{field}"
    return tr(key, lang) if has(key) else field


def error_text(err: InputError, lang: str) -> str:
    """The one-line message for bad input, naming the field, in the page's language."""
    fields = dict(err.fields)
    fields.setdefault("label", field_label(err.field, lang))
    if "unit" in fields:
        fields["unit"] = unit(str(fields["unit"]), lang)
    if "allowed" in fields and not isinstance(fields["allowed"], str):
        fields["allowed"] = ", ".join(str(a) for a in fields["allowed"])
    return tr(err.key, lang, **fields).replace("  ", " ").strip()


def safe_lang(lang: Any) -> str:
    """The page's language, or the default for anything the catalogue lacks."""
    try:
        return messages.check_lang(str(lang))
    except ValueError:
        return DEFAULT_LANG


def mark_text(mark: Mark, lang: str, last_year: int) -> str:
    """One event on a lever, e.g. ``from 2020: off (market reform)`` or ``2016–2018: a
    campaign (...)`` (its years clipped to the scenario's last year)."""
    if mark.what == "value":
        if isinstance(mark.value, bool):
            value = tr("dash.on" if mark.value else "dash.off", lang)
        else:
            value = fmt(float(mark.value))
    elif mark.what == "floor":
        value = tr("dash.event_floor", lang, floor=fmt(float(mark.value)))
    elif mark.what == "campaign":
        value = (
            tr("dash.event_campaign", lang)
            if mark.value is None
            else tr("dash.event_campaign_at", lang, intensity=fmt(float(mark.value)))
        )
    else:
        value = tr("dash.event_controls", lang)
    event = messages.event(mark.event, lang)
    if mark.last >= last_year and mark.first < last_year:
        return tr("dash.event_from", lang, first=mark.first, value=value, event=event)
    last = min(mark.last, last_year)
    years = str(mark.first) if last == mark.first else f"{mark.first}–{last}"
    return tr("dash.event_years", lang, years=years, value=value, event=event)
