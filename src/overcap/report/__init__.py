"""Figures and the HTML report, in Traditional Chinese and English.

The pieces, each usable on its own (the dashboard reuses the first three):

- :mod:`overcap.report.messages`: the message catalogue (``messages.toml``); every label,
  caption and sentence in ``zh-TW`` and ``en``. ``messages.t(key, lang)``.
- :mod:`overcap.report.data`: :class:`ReportData`, ensembles by scenario with medians,
  5-95% bands and the check table. ``ReportData.build(["baseline"], runs=5)``.
- :mod:`overcap.report.figures`: Plotly figures, ``figures.FIGURES[id](data, lang)``
  for the ids in ``figures.FIGURE_IDS``.
- :mod:`overcap.report.png`: the same figures with matplotlib, for papers and slides.
- :mod:`overcap.report.html`: the self-contained HTML page (plotly.js inlined).
- :func:`write_report`: both into a folder; ``overcap report`` on the command line.
"""

from overcap.report import figures, messages
from overcap.report.build import ReportFiles, write_report
from overcap.report.data import ReportData

__all__ = ["ReportData", "ReportFiles", "figures", "messages", "write_report"]
