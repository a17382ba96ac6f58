"""A CJK font for the PNG figures: found at run time, covering every Chinese character
the catalogue uses; a clear warning naming the package when there is none."""

from __future__ import annotations

import re
import warnings

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from overcap.report import fonts, messages

HAN = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")


def test_the_cjk_font_covers_every_character_of_the_catalogue() -> None:
    name = fonts.cjk_font()
    assert name is not None, "no CJK font: run `make system-deps` (fonts-noto-cjk)"
    path = font_manager.findfont(
        font_manager.FontProperties(family=name), fallback_to_default=False
    )
    charmap = FT2Font(path).get_charmap()
    used = {
        c for entry in messages.catalogue().values() for t in entry.values() for c in HAN.findall(t)
    }
    assert len(used) > 300
    missing = sorted(c for c in used if ord(c) not in charmap)
    assert not missing, f"{name} ({path}) lacks {''.join(missing)}"
    assert fonts.font_families()[0] == name


def test_a_missing_font_is_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    fm = font_manager.fontManager
    monkeypatch.setattr(fm, "ttflist", [f for f in fm.ttflist if "DejaVu" in f.name])
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    fonts.cjk_font.cache_clear()
    try:
        with pytest.warns(fonts.MissingFontWarning, match="install Debian's fonts-noto-cjk"):
            assert fonts.cjk_font() is None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert fonts.font_families() == ["DejaVu Sans"]
    finally:
        fonts.cjk_font.cache_clear()
