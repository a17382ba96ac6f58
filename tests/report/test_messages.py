"""The message catalogue: complete in every language, and every key the code uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from overcap.evidence import PARAM_STATS, SIMPLE_STATS
from overcap.report import figures, messages
from overcap.scenario import EVENT_KINDS, PARTNERS, REGIMES, available_scenarios, load_scenario

REPORT_SRC = Path(messages.__file__).parent


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_has_every_language_and_the_same_placeholders() -> None:
    cat = messages.catalogue()
    assert len(cat) > 100
    for key, entry in cat.items():
        assert set(entry) == set(messages.LANGS), key
        for lang, text in entry.items():
            assert text.strip(), f"{key} [{lang}] is empty"
        assert _fields(entry["en"]) == _fields(entry["zh-TW"]), key


def test_every_literal_key_in_the_code_exists() -> None:
    pattern = re.compile(r"""\bt\(\s*f?["']([A-Za-z0-9_.{}\-]+)["']""")
    used: set[str] = set()
    for src in REPORT_SRC.glob("*.py"):
        used |= set(pattern.findall(src.read_text(encoding="utf-8")))
    literal = {k for k in used if "{" not in k}
    assert len(literal) > 40  # the scan finds the code's keys
    missing = sorted(k for k in literal if not messages.has(k))
    assert not missing, f"keys used in the code but not in messages.toml: {missing}"


def test_every_name_the_code_builds_a_key_for_exists() -> None:
    from overcap.scenario import load_scenario as ls

    keys = [f"regime.{r}" for r in REGIMES] + [f"regime_long.{r}" for r in REGIMES]
    sectors = ls("baseline").sector_ids
    keys += [f"sector.{s}" for s in sectors] + [f"sector_unit.{s}" for s in sectors]
    keys += [f"partner.{p}" for p in PARTNERS] + [f"event_kind.{k}" for k in EVENT_KINDS]
    keys += [f"evidence.stat_{s}" for s in (*SIMPLE_STATS, *PARAM_STATS)]
    keys += [f"fig.{f}.title" for f in figures.FIGURE_IDS]
    keys += [f"fig.{f}.caption" for f in figures.FIGURE_IDS]
    keys += [f"indicator.{c}" for c, _ in figures.COMPARISON]
    for name in available_scenarios():
        keys.append(f"scenario.{name}")
        keys += [f"event.{e}" for e in load_scenario(name).events]
    missing = [k for k in keys if not messages.has(k)]
    assert not missing, missing
    assert len(sectors) == 13


def test_regime_names_in_both_languages() -> None:
    assert [messages.regime(r, "zh-TW") for r in REGIMES] == ["放", "亂", "管", "死"]
    assert [messages.regime(r, "en") for r in REGIMES] == list(REGIMES)


def test_lookup_errors_name_the_problem() -> None:
    with pytest.raises(messages.MessageError, match="'nope.key' is not in the catalogue"):
        messages.t("nope.key", "en")
    with pytest.raises(ValueError, match="language 'fr' unknown; allowed: zh-TW, en"):
        messages.t("report.title", "fr")
    assert messages.check_lang("ZH-tw") == "zh-TW"
    assert messages.scenario("my-own", "zh-TW") == "my-own"  # a user's scenario keeps its name
    assert messages.t("report.figure_number", "zh-TW", n=3) == "圖 3"


def test_the_untranslated_check_can_fail() -> None:
    from tests.report.helpers import untranslated

    assert untranslated(["Figure: fig.bill.title", "regime.loosen"]) == [
        "fig.bill.title",
        "regime.loosen",
    ]
    assert untranslated(["US$ 2.5 bn", "放 loosen", "e.g. fine"]) == []
