"""The report as one self-contained HTML file: plotly.js embedded once, no links out.

::

    from overcap.report import html

    text = html.render(data, "zh-TW")              # the whole page as a string
    path = html.write(data, "zh-TW", "out/report-zh-TW.html")

The page holds the report's title and text, a contents list, and one section per
figure (``<section id="section-ID">`` with the plot in ``<div id="fig-ID">`` and the
caption under it), every string from the message catalogue. plotly.js is inlined in
the page's head, so the file opens offline from disk; nothing is fetched.
"""

from __future__ import annotations

import datetime as dt
import html as esc
import re
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from overcap._version import __version__
from overcap.report import figures, findings, select
from overcap.report import messages as m
from overcap.report.data import ReportData

HTML_LANG = {"zh-TW": "zh-Hant-TW", "en": "en"}
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"scale": 2}}

CSS = """
body { font-family: %(font)s; margin: 0 auto; max-width: 1180px; padding: 1.5rem 2rem 3rem;
       color: #222; line-height: 1.55; background: #fff; }
h1 { font-size: 1.9rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; margin-top: 2.6rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
.subtitle { font-size: 1.1rem; color: #444; margin-top: 0; }
.meta, .note { color: #555; font-size: .95rem; }
.caption { color: #333; font-size: 1rem; background: #f6f7f9; border-left: 4px solid #1f3b73;
           padding: .5rem .8rem; margin-top: .3rem; }
nav ol { columns: 2; }
footer { margin-top: 3rem; color: #666; font-size: .9rem; border-top: 1px solid #ddd;
         padding-top: .8rem; }
.figure { width: 100%%; }
"""


def _plain(title: str) -> str:
    """A plotly title without its markup (for headings and the contents)."""
    return re.sub(r"<[^>]+>", " ", title.split("<br>")[0]).strip()


def _fig_div(fig: go.Figure, fig_id: str) -> str:
    return str(
        pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            config=PLOT_CONFIG,
            div_id=f"fig-{fig_id}",
            default_width="100%",
            default_height=f"{int(fig.layout.height or 600)}px",
        )
    )


def render(
    data: ReportData,
    lang: str,
    figs: dict[str, go.Figure] | None = None,
    png_dir: str | None = None,
    **opts: Any,
) -> str:
    """The report page. ``figs`` (from :func:`figures.build_all`) are built if not given;
    ``opts`` go to the builders (``sector=...``); ``png_dir`` names the folder of the
    PNG versions, relative to the page, for a note under the contents."""
    lang = m.check_lang(lang)
    figs = figs if figs is not None else figures.build_all(data, lang, **opts)
    y0, y1 = data.years()
    scen = ", ".join(m.scenario(s, lang) for s in data.scenarios)
    runs = data.n_runs()
    if runs > 1:
        run_line = m.t(
            "report.run_line", lang, scenarios=scen, runs=runs, seed=data.seed, years=f"{y0}-{y1}"
        )
    else:
        run_line = m.t(
            "report.run_line_single", lang, scenarios=scen, seed=data.seed, years=f"{y0}-{y1}"
        )
    today = dt.date.today().isoformat()
    generated = m.t("report.generated", lang, version=__version__, date=today)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{HTML_LANG.get(lang, lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc.escape(m.t('report.title', lang))}</title>",
        f"<style>{CSS % {'font': figures.FONT_FAMILY}}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head>",
        "<body>",
        f"<h1>{esc.escape(m.t('report.title', lang))}</h1>",
        f'<p class="subtitle">{esc.escape(m.t("report.subtitle", lang))}</p>',
        f'<p class="meta">{esc.escape(run_line)}</p>',
        f'<p class="meta">{esc.escape(generated)}</p>',
        f'<p class="note">{esc.escape(m.t("report.cycle_note", lang))}</p>',
        f"<nav><h2>{esc.escape(m.t('report.contents', lang))}</h2><ol>",
    ]
    for fig_id, fig in figs.items():
        parts.append(
            f'<li><a href="#section-{fig_id}">{esc.escape(_plain(fig.layout.title.text))}</a></li>'
        )
    parts.append(
        f'<li><a href="#section-findings">{esc.escape(m.t("report.findings", lang))}</a></li>'
    )
    parts.append("</ol></nav>")
    if png_dir:
        note = f"{m.t('report.png_note', lang)} ({png_dir}). {m.t('report.csv_note', lang)}"
        parts.append(f'<p class="note">{esc.escape(note)}</p>')
    prov = select.provenance(data, lang)
    parts.append(
        f'<p class="note">{esc.escape(m.t("report.provenance_note", lang))} '
        f"<code>{esc.escape(prov)}</code></p>"
    )
    sector = opts.get("sector", select.DEFAULT_SECTOR)
    parts += [
        '<section id="section-findings">',
        f"<h2>{esc.escape(m.t('report.findings', lang))}</h2>",
        "<ul>",
        *(f"<li>{esc.escape(x)}</li>" for x in findings.findings(data, lang, sector=sector)),
        "</ul>",
        f"<h2>{esc.escape(m.t('report.limitations', lang))}</h2>",
        "<ul>",
        *(f"<li>{esc.escape(x)}</li>" for x in findings.limitations(data, lang)),
        "</ul>",
        "</section>",
    ]
    for n, (fig_id, fig) in enumerate(figs.items(), start=1):
        # the figure draws its own title: the heading only numbers it
        heading = m.t("report.figure_number", lang, n=n)
        parts += [
            f'<section id="section-{fig_id}" class="figure-section">',
            f"<h2>{esc.escape(heading)}</h2>",
            f'<div class="figure">{_fig_div(fig, fig_id)}</div>',
            f'<p class="caption">{esc.escape(fig.layout.meta["caption"])}</p>',
        ]
        if fig_id == "comparison" and len(data.scenarios) < 2:
            parts.append(f'<p class="note">{esc.escape(m.t("report.comparison_single", lang))}</p>')
        parts.append("</section>")
    parts += [
        f"<footer>{esc.escape(m.t('report.footer', lang))}</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts)


def write(data: ReportData, lang: str, path: str | Path, **kw: Any) -> Path:
    """Write the page (UTF-8) to ``path``; returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render(data, lang, **kw), encoding="utf-8")
    return p
