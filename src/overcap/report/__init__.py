"""Figures and the HTML report, in Traditional Chinese and English.

The pieces, each usable on its own (the dashboard reuses the first three):

- :mod:`overcap.report.messages`: the message catalogue (``messages.toml``); every label,
  caption and sentence in ``zh-TW`` and ``en``. ``messages.t(key, lang)``.
- :mod:`overcap.report.data`: :class:`ReportData`, ensembles by scenario with medians,
  5-95% bands and the check table. ``ReportData.build(["baseline"], runs=5)``.
- :mod:`overcap.report.figures`: Plotly figures, ``figures.FIGURES[id](data, lang)``
  for the ids in ``figures.FIGURE_IDS``.
"""

from overcap.report import figures, messages
from overcap.report.data import ReportData

__all__ = ["ReportData", "figures", "messages"]
