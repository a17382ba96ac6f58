"""The report's message catalogue: every label, caption and sentence in every language.

The strings live in one data file, ``messages.toml`` beside this module: one table per
dotted key, one string per language code (``zh-TW`` and ``en``). Code never holds a
label of its own; it asks the catalogue::

    from overcap.report import messages

    messages.t("fig.bill.title", "zh-TW")              # a label
    messages.t("report.score", "en", passed=3, total=5, scenario="baseline", share="60%")
    messages.regime("loosen", "zh-TW")                 # '放'
    messages.sector("solar_pv", "en")                  # 'Solar PV'
    messages.partner("EU", "zh-TW")                    # '歐盟'
    messages.scenario("market-reform", "zh-TW")        # '市場化改革' (else the raw name)

Unknown keys raise :class:`MessageError` (a ``KeyError``), so a missing translation is
found by the tests rather than shown to a reader. ``LANGS`` lists the languages;
``check_lang`` turns a user's choice into one of them or raises ``ValueError`` naming
what is allowed. To add a language, add its code to ``languages`` in the TOML file and
a string under every key (``tests/report/test_messages.py`` checks completeness).
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANG = "zh-TW"


class MessageError(KeyError):
    """A key that the catalogue lacks, or a key without a string in some language."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


@cache
def _load() -> tuple[tuple[str, ...], dict[str, dict[str, str]]]:
    text = resources.files("overcap.report").joinpath("messages.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    langs = tuple(raw.pop("languages"))
    flat: dict[str, dict[str, str]] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        if node and all(isinstance(v, str) for v in node.values()):
            flat[prefix] = dict(node)
            return
        for k, v in node.items():
            if not isinstance(v, dict):
                raise MessageError(f"messages.toml: {prefix}.{k} is neither a table nor text")
            walk(v, f"{prefix}.{k}" if prefix else k)

    walk(raw, "")
    return langs, flat


def languages() -> tuple[str, ...]:
    """The catalogue's languages, the default first."""
    return _load()[0]


LANGS: tuple[str, ...] = languages()


def catalogue() -> dict[str, dict[str, str]]:
    """Every key with its strings by language (a copy)."""
    return {k: dict(v) for k, v in _load()[1].items()}


def keys() -> list[str]:
    return sorted(_load()[1])


def has(key: str) -> bool:
    return key in _load()[1]


def check_lang(lang: str) -> str:
    """``lang`` if the catalogue has it (case-insensitive: 'zh-tw' is 'zh-TW')."""
    for code in LANGS:
        if lang.lower() == code.lower():
            return code
    raise ValueError(f"language {lang!r} unknown; allowed: {', '.join(LANGS)}")


def t(key: str, lang: str, **fields: Any) -> str:
    """The string of ``key`` in ``lang``, with ``{placeholders}`` filled from ``fields``."""
    entry = _load()[1].get(key)
    if entry is None:
        raise MessageError(f"message {key!r} is not in the catalogue (messages.toml)")
    text = entry.get(check_lang(lang))
    if text is None:
        raise MessageError(f"message {key!r} has no {lang} text")
    return text.format(**fields) if fields else text


def _or_raw(prefix: str, name: str, lang: str) -> str:
    key = f"{prefix}.{name}"
    return t(key, lang) if has(key) else name


def regime(name: str, lang: str) -> str:
    """A regime's name: 放 亂 管 死 in zh-TW, loosen chaos control stagnation in en."""
    return t(f"regime.{name}", lang)


def regime_long(name: str, lang: str) -> str:
    return t(f"regime_long.{name}", lang)


def sector(sector_id: str, lang: str) -> str:
    return t(f"sector.{sector_id}", lang)


def sector_unit(sector_id: str, lang: str) -> str:
    return t(f"sector_unit.{sector_id}", lang)


def partner(partner_id: str, lang: str) -> str:
    return t(f"partner.{partner_id}", lang)


def indicator(name: str, lang: str) -> str:
    """An indicator's label; an indicator the catalogue lacks keeps its column name."""
    return _or_raw("indicator", name, lang)


def scenario(name: str, lang: str) -> str:
    """A shipped scenario's name; a user's own scenario keeps its name."""
    return _or_raw("scenario", name, lang)


def event(name: str, lang: str) -> str:
    """A shipped scenario's event; a user's own event keeps its name."""
    return _or_raw("event", name, lang)


def event_kind(kind: str, lang: str) -> str:
    return t(f"event_kind.{kind}", lang)


@cache
def _province_names() -> dict[str, str]:
    """Province id -> its Chinese name, from the package's provinces.csv."""
    import csv

    text = resources.files("overcap.data").joinpath("provinces.csv").read_text("utf-8")
    return {row["province"]: row.get("name_zh") or "" for row in csv.DictReader(text.splitlines())}


def province(province_id: str, lang: str) -> str:
    """A province's name: its Chinese name in zh-TW (from the package's provinces.csv),
    its id (Guangdong) otherwise; a province the data does not know keeps its id."""
    key = f"province.{province_id}"
    if has(key):
        return t(key, lang)
    if check_lang(lang) == "zh-TW":
        return _province_names().get(province_id) or province_id
    return province_id
