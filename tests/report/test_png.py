"""The matplotlib figures: every one in both languages, catalogue text in the CJK font."""

from __future__ import annotations

import re

import pytest
from matplotlib.text import Text

from overcap.report import figures, fonts, messages, png
from overcap.report.data import ReportData
from tests.report.helpers import untranslated

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("lang", messages.LANGS)
def test_every_png_figure(small_data: ReportData, lang: str) -> None:
    assert tuple(png.PNG_FIGURES) == figures.FIGURE_IDS
    for fig_id, builder in png.PNG_FIGURES.items():
        fig = builder(small_data, lang)
        texts = [t for t in fig.findobj(Text) if t.get_text().strip()]
        strings = [t.get_text() for t in texts]
        assert not untranslated(strings), (fig_id, untranslated(strings))
        joined = "\n".join(strings)
        assert fig._suptitle is not None and fig._suptitle.get_text()
        # the caption, wrapped under the plot
        cap = figures.caption(fig_id, lang, small_data)
        assert cap.replace(" ", "")[:20] in joined.replace("\n", "").replace(" ", "")
        if lang == "zh-TW":
            assert HAN.search(joined), fig_id
            # text with Chinese characters is set in the CJK font, not one that draws boxes
            for t in texts:
                if HAN.search(t.get_text()):
                    assert t.get_fontfamily()[0] == fonts.cjk_font(), (fig_id, t.get_text())


def test_policy_cycle_png_labels_the_regimes(small_data: ReportData) -> None:
    fig = png.PNG_FIGURES["policy_cycle"](small_data, "zh-TW")
    joined = " ".join(t.get_text() for t in fig.findobj(Text))
    for r in set(small_data.regimes()["regime"]):
        assert messages.regime(r, "zh-TW") in joined
    assert "管*" in joined  # the scripted 2016-18 control
