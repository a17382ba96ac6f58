"""Finding a font with Chinese characters for the PNG figures, at run time.

Matplotlib draws a character the font lacks as a box. :func:`cjk_font` returns the
family name of an installed font that covers 放亂管死 (preferring Noto Sans CJK TC,
which Debian's ``fonts-noto-cjk`` installs; ``make system-deps`` installs it), or
``None`` after warning once with :class:`MissingFontWarning`, which names the package.
Fonts installed after matplotlib built its font cache are found too: the system's font
files are scanned and added when the cache knows no CJK font.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

PREFERRED = (
    "Noto Sans CJK TC",
    "Noto Sans TC",
    "Source Han Sans TC",
    "Noto Sans CJK HK",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Serif CJK TC",
    "PingFang TC",
    "Microsoft JhengHei",
    "Heiti TC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "AR PL UMing TW",
    "AR PL UKai TW",
)
PROBE = "放亂管死"
PACKAGE = "fonts-noto-cjk"


class MissingFontWarning(UserWarning):
    """No installed font has Chinese characters: the PNG figures will show boxes."""


def _covers(path: str, text: str = PROBE) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        charmap = FT2Font(path).get_charmap()
    except Exception:  # an unreadable font file is not a candidate
        return False
    return all(ord(c) in charmap for c in text)


def _pick(names: set[str]) -> str | None:
    return next((n for n in PREFERRED if n in names), None)


@cache
def cjk_font() -> str | None:
    """The family name of an installed font with Chinese characters, or None (warned)."""
    from matplotlib import font_manager

    fm = font_manager.fontManager
    known = {f.name for f in fm.ttflist}
    name = _pick(known)
    if name is not None:
        return name
    # the cache may predate the font's installation: add the system's CJK-looking files
    cached = {f.fname for f in fm.ttflist}
    for path in font_manager.findSystemFonts():
        stem = Path(path).name.lower()
        if path in cached or not any(k in stem for k in ("cjk", "han", "wqy", "uming", "ukai")):
            continue
        try:
            fm.addfont(path)
        except Exception:  # noqa: S112 - a broken file is skipped
            continue
    known = {f.name for f in fm.ttflist}
    name = _pick(known)
    if name is not None:
        return name
    # last resort: any font whose file covers the regimes' characters
    for f in fm.ttflist:
        if _covers(f.fname):
            return str(f.name)
    from overcap.report.messages import t

    warnings.warn(t("warn.no_cjk_font", "en"), MissingFontWarning, stacklevel=2)
    return None


def font_families() -> list[str]:
    """matplotlib's font.family list: the CJK font first (it has Latin letters too),
    DejaVu Sans as the fallback for anything it lacks."""
    name = cjk_font()
    return [name, "DejaVu Sans"] if name else ["DejaVu Sans"]
