"""The dashboard's own words: a tooltip for every lever, both languages for every key,
plain units, and the marks of a scenario's events on its levers."""

from __future__ import annotations

from overcap.dashboard.levers import LEVERS, REFORM_YEAR, lever_marks, scenario
from overcap.dashboard.text import LANGS, mark_text, range_text, tip
from overcap.dashboard.words import GLOSSARY, WORDS


def test_every_key_has_every_language() -> None:
    for key, texts in WORDS.items():
        assert set(texts) == set(LANGS), key
        assert all(t.strip() for t in texts.values()), key


def test_every_lever_has_a_tooltip_and_the_glossary_its_terms() -> None:
    for lever_id in [lv.id for lv in LEVERS] + [REFORM_YEAR]:
        assert f"dash.tip.{lever_id}" in WORDS, lever_id
        for lang in LANGS:
            assert tip(lever_id, lang).endswith(")")
    for g in GLOSSARY:
        assert f"dash.gloss.{g}.term" in WORDS and f"dash.gloss.{g}.text" in WORDS


def test_units_are_plain() -> None:
    texts = [range_text(lv.id, lang) for lv in LEVERS if lv.kind == "slider" for lang in LANGS]
    assert not [t for t in texts if "logit" in t or "0-1" in t]
    assert range_text("subsidy_base", "zh-TW") == "0 至 1（0 無，1 最強）"


def test_market_reform_turns_the_switches_off_from_its_year() -> None:
    marks = lever_marks(scenario("market-reform"))
    for lever_id in ("subsidies", "soft_budget", "bailouts", "local_protection"):
        (m,) = [m for m in marks[lever_id] if m.event == "reform"]
        assert (m.first, m.value) == (2020, False)
        assert mark_text(m, "en", 2030) == "from 2020: off (market reform)"
        assert mark_text(m, "zh-TW", 2030) == "2020 年起：關（市場化改革）"
    assert "subsidies" not in lever_marks(scenario("baseline"))
    floor = lever_marks(scenario("anti-involution"))["price_floor"]
    assert floor[0].what == "floor" and floor[0].value == 1.0
