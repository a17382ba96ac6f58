"""Writing a report: the HTML page and the PNG figures of one language into a folder.

::

    from overcap.report import ReportData, write_report

    data = ReportData.build(["baseline", "market-reform"], runs=5)
    files = write_report(data, "overcap-results/report", lang="zh-TW")
    files.html    # overcap-results/report/report-zh-TW.html (self-contained)
    files.pngs    # overcap-results/report/png-zh-TW/1-policy_cycle.png ... 7-evidence.png
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from overcap.report import figures
from overcap.report import html as html_page
from overcap.report import messages as m
from overcap.report.data import ReportData


def findings_text(data: ReportData, lang: str, sector: str = figures.DEFAULT_SECTOR) -> str:
    """The findings and limitations as Markdown (to quote from), with the provenance."""
    from overcap.report import findings, select

    lines = [f"# {m.t('report.findings', lang)}", ""]
    lines += [f"- {x}" for x in findings.findings(data, lang, sector=sector)]
    lines += ["", f"# {m.t('report.limitations', lang)}", ""]
    lines += [f"- {x}" for x in findings.limitations(data, lang)]
    lines += ["", f"_{select.provenance(data, lang)}_", ""]
    return "\n".join(lines)


@dataclass
class ReportFiles:
    html: Path
    pngs: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def html_bytes(self) -> int:
        return self.html.stat().st_size


def write_report(
    data: ReportData,
    out: str | Path,
    lang: str = m.DEFAULT_LANG,
    png: bool = True,
    sector: str = figures.DEFAULT_SECTOR,
) -> ReportFiles:
    """Write ``report-LANG.html`` and (``png``) ``png-LANG/N-ID.png`` into ``out``.
    Raises ValueError on an unknown language or sector, OSError if ``out`` is not
    writable."""
    lang = m.check_lang(lang)
    if sector not in data.sectors():
        raise ValueError(f"sector {sector!r} unknown; allowed: {', '.join(data.sectors())}")
    t0 = time.perf_counter()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    png_dir = f"png-{lang}"
    figs = figures.build_all(data, lang, sector=sector)
    page = html_page.write(
        data,
        lang,
        folder / f"report-{lang}.html",
        figs=figs,
        png_dir=png_dir if png else None,
        sector=sector,
    )
    text = findings_text(data, lang, sector)
    (folder / f"findings-{lang}.md").write_text(text, encoding="utf-8")
    pngs: list[Path] = []
    if png:
        from overcap.report import png as png_figures

        pngs = png_figures.write_all(data, lang, folder / png_dir, sector=sector)
    return ReportFiles(page, pngs, time.perf_counter() - t0)
