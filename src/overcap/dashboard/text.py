"""The dashboard's words: everything comes from the report's message catalogue
(``overcap/report/messages.toml``, keys ``dash.*``), in zh-TW or English."""

from __future__ import annotations

import re
from typing import Any

from overcap.dashboard.levers import BY_ID, LEVERS, REFORM_YEAR, InputError, fmt
from overcap.report import messages

LANGS = messages.LANGS
DEFAULT_LANG = messages.DEFAULT_LANG
_BY_PATH = {lv.path: lv for lv in LEVERS}


def tr(key: str, lang: str, **fields: Any) -> str:
    return messages.t(key, lang, **fields)


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
    return tr(key, lang) if messages.has(key) else text


def lever_label(lever_id: str, lang: str) -> str:
    return tr(f"dash.lever.{lever_id}", lang)


def range_text(lever_id: str, lang: str) -> str:
    lo, hi, u = BY_ID[lever_id].bounds
    return tr("dash.range", lang, lo=fmt(lo), hi=fmt(hi), unit=unit(u, lang)).strip()


def field_label(field: str, lang: str) -> str:
    """What the page calls a field: a lever's label for its schema path, else the
    catalogue's name of the box (runs, seed, scenario...), else the field itself."""
    if field in _BY_PATH:
        return lever_label(_BY_PATH[field].id, lang)
    if field in BY_ID or field == REFORM_YEAR:
        return lever_label(field, lang)
    key = f"dash.field.{field}"
    return tr(key, lang) if messages.has(key) else field


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
