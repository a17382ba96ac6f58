"""The thesis in the report (issue 18): a stored attribution experiment's figure (each
mechanism's Shapley value per outcome, median over replicates with its bootstrap band)
and the claims table (claim -> the experiment that tests it -> the model's answer with
its band -> supported, contradicted, inconclusive or not testable), in zh-TW and English.

Every figure carries its provenance (version, experiment, scenario, seed, replicates,
method) at its foot, in the PNG's metadata and as a Plotly annotation, like the report's
other figures. ``overcap report ... --attribution NAME`` writes them beside the report;
the dashboard shows the figure of a stored experiment.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from overcap._version import __version__
from overcap.attribution import Attribution

WORDS: dict[str, dict[str, str]] = {
    "title": {
        "en": "Each mechanism's share: {outcome}",
        "zh-TW": "各機制的貢獻：{outcome}",
    },
    "axis": {
        "en": "Shapley value (contribution to the outcome)",
        "zh-TW": "Shapley 值（對結果的貢獻）",
    },
    "total": {"en": "all on - all off", "zh-TW": "全開 − 全關"},
    "provenance": {
        "en": "overcap {version} · attribution experiment {experiment} · scenario {scenario} · "
        "seed {seed} · {runs} replicates per coalition · {method} Shapley values · bars: "
        "median over replicates, whiskers: its {level} bootstrap band",
        "zh-TW": "overcap {version} · 歸因實驗 {experiment} · 情境 {scenario} · 種子 {seed} · "
        "每個聯盟 {runs} 次重複 · {method} Shapley 值 · 長條：重複的中位數，誤差線：其 {level} "
        "自助法區間",
    },
    "claims": {"en": "The thesis' claims, tested", "zh-TW": "論點的主張與檢驗"},
    "claim": {"en": "claim", "zh-TW": "主張"},
    "experiment": {"en": "experiment", "zh-TW": "實驗"},
    "answer": {"en": "the model's answer [band]", "zh-TW": "模型的答案 [區間]"},
    "verdict": {"en": "verdict", "zh-TW": "判定"},
    "supported": {"en": "supported", "zh-TW": "支持"},
    "contradicted": {"en": "contradicted", "zh-TW": "反駁"},
    "inconclusive": {"en": "inconclusive (band includes 0)", "zh-TW": "未定（區間含 0）"},
    "not testable": {"en": "not testable here", "zh-TW": "此實驗無法檢驗"},
}


def w(key: str, lang: str, **fmt: Any) -> str:
    """A word of this module in ``lang`` (zh-TW or en)."""
    text = WORDS[key]["zh-TW" if lang == "zh-TW" else "en"]
    return text.format(**fmt) if fmt else text


@dataclass(frozen=True)
class Claim:
    """A claim of the thesis: the mechanism (player) it is about, the outcome's metric
    and the sign of the contribution it asserts (+1: the mechanism raises the outcome)."""

    en: str
    zh: str
    player: str
    metric: str
    sign: int


#: the thesis' claims (docs/ODD.md section 1) that an attribution experiment can test
CLAIMS: tuple[Claim, ...] = (
    Claim("The promotion tournament and its subsidies make idle capacity",
          "晉升錦標賽與補貼造成閒置產能", "tournament", "idle_capacity", 1),
    Claim("Soft budgets and bailouts keep zombie firms alive",
          "軟預算與紓困使殭屍企業存活", "soft_budget", "zombie_share", 1),
    Claim("Soft budgets and bailouts make idle capacity",
          "軟預算與紓困造成閒置產能", "soft_budget", "idle_capacity", 1),
    Claim("State firms' output targets deepen the price war (lower margins)",
          "國企產量目標加深價格戰（利潤率下降）", "soe_output_targets", "margin", -1),
    Claim("Local protection makes idle capacity",
          "地方保護造成閒置產能", "local_protection", "idle_capacity", 1),
    Claim("Investors' limited view of others' investment makes idle capacity (the wave)",
          "投資者看不見他人投資造成閒置產能（投資潮）", "limited_visibility", "idle_capacity", 1),
    Claim("The strategic label makes idle capacity",
          "戰略性產業標籤造成閒置產能", "strategic_label", "idle_capacity", 1),
    Claim("Subsidies and bailouts cost the state (fiscal cost over GDP)",
          "補貼與紓困造成財政成本", "tournament", "fiscal_cost_share_gdp", 1),
    Claim("Campaigns reduce idle capacity",
          "去產能運動減少閒置產能", "campaigns", "idle_capacity", -1),
    Claim("Partners' trade defence lowers the export share",
          "貿易夥伴的貿易防衛降低出口比重", "trade_response", "export_share", -1),
)  # fmt: skip


def provenance(a: Attribution, lang: str, seed: int | None = None) -> str:
    return w(
        "provenance",
        lang,
        version=__version__,
        experiment=a.experiment,
        scenario=a.scenario,
        seed="-" if seed is None else seed,
        runs=a.runs,
        method=a.method,
        level=f"{a.level:.0%}",
    )


def _rows(a: Attribution, outcome: str) -> tuple[pd.DataFrame, dict[Any, Any]]:
    c = a.contributions[a.contributions["outcome"] == outcome].reset_index(drop=True)
    t = a.totals[a.totals["outcome"] == outcome].to_dict("records")
    if c.empty or not t:
        raise ValueError(f"outcome {outcome!r}: not in experiment {a.experiment!r}; allowed: "
                         + ", ".join(a.outcomes))  # fmt: skip
    return c, t[0]


def figure(a: Attribution, outcome: str, lang: str, seed: int | None = None) -> go.Figure:
    """Horizontal bars: each mechanism's median Shapley value with its band, and the
    total they add up to (all on minus all off); the provenance as an annotation."""
    c, tot = _rows(a, outcome)
    names = [*c["player"].astype(str), w("total", lang)]
    med = [*c["median"].astype(float), float(tot["total"])]
    lo = [*c["lo"].astype(float), float(tot["lo"])]
    hi = [*c["hi"].astype(float), float(tot["hi"])]
    colours = ["#c0392b" if v > 0 else "#2471a3" for v in med[:-1]] + ["#555555"]
    fig = go.Figure(
        go.Bar(
            x=med,
            y=names,
            orientation="h",
            marker_color=colours,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": np.subtract(hi, med).tolist(),
                "arrayminus": np.subtract(med, lo).tolist(),
            },
            hovertemplate="%{y}: %{x:.3g}<extra></extra>",
        )
    )
    fig.update_layout(
        title=w("title", lang, outcome=a.outcomes.get(outcome, outcome)),
        xaxis_title=w("axis", lang),
        yaxis={"autorange": "reversed"},
        height=140 + 34 * len(names),
        margin={"l": 170, "r": 30, "t": 60, "b": 110},
        template="plotly_white",
    )
    fig.add_annotation(
        text="<br>".join(textwrap.wrap(provenance(a, lang, seed), 130)),
        xref="paper",
        yref="paper",
        x=0,
        y=-0.45 if len(names) < 6 else -0.25,
        showarrow=False,
        align="left",
        xanchor="left",
        font={"size": 9, "color": "#666666"},
        name="provenance",
    )
    return fig


def png(a: Attribution, outcome: str, lang: str, path: str | Path, seed: int | None = None) -> Path:
    """The figure with matplotlib, the provenance at its foot and in the PNG's metadata."""
    import matplotlib.pyplot as plt

    from overcap.report.png import DPI, WIDTH, style

    c, tot = _rows(a, outcome)
    names = [*c["player"].astype(str), w("total", lang)]
    med = np.array([*c["median"].astype(float), float(tot["total"])])
    lo = np.array([*c["lo"].astype(float), float(tot["lo"])])
    hi = np.array([*c["hi"].astype(float), float(tot["hi"])])
    prov = provenance(a, lang, seed)
    with style():
        fig, ax = plt.subplots(figsize=(WIDTH, 1.6 + 0.38 * len(names)))
        y = np.arange(len(names))
        colours = ["#c0392b" if v > 0 else "#2471a3" for v in med[:-1]] + ["#555555"]
        ax.barh(y, med, color=colours, xerr=[med - lo, hi - med], capsize=3)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.axvline(0.0, color="#333333", lw=0.8)
        ax.set_xlabel(w("axis", lang))
        fig.suptitle(w("title", lang, outcome=a.outcomes.get(outcome, outcome)), x=0.01, ha="left")
        chars = int(WIDTH * (6.6 if lang == "zh-TW" else 15))
        text = "\n".join(textwrap.wrap(prov, chars))
        fig.text(0.01, 0.005, text, ha="left", va="bottom", fontsize=7.5, color="#666666",
                 gid="provenance")  # fmt: skip
        n = text.count("\n") + 1
        fig.tight_layout(rect=(0.0, (0.15 + 0.14 * n) / fig.get_size_inches()[1], 1.0, 0.95))
        out = Path(path)
        fig.savefig(
            out,
            dpi=DPI,
            metadata={
                "Title": f"attribution {outcome}",
                "Description": prov,
                "Software": f"overcap {__version__}",
                "Source": "overcap report --attribution",
            },
        )
        plt.close(fig)
    return out


def claims(a: Attribution, lang: str) -> pd.DataFrame:
    """The claims table: one row per claim of :data:`CLAIMS`, tested on the first outcome
    of the experiment with the claim's metric (a window of the waves counts): the
    mechanism's median Shapley value and its band; supported when the band lies on the
    claimed side of 0, contradicted when on the other, inconclusive when it holds 0, not
    testable when the experiment lacks the mechanism or an outcome of that metric."""
    from overcap.outcomes import metric_of

    rows = []
    for cl in CLAIMS:
        outs = [o for o in a.outcomes if metric_of(o) == cl.metric]
        row = {
            w("claim", lang): cl.zh if lang == "zh-TW" else cl.en,
            w("experiment", lang): "-",
            w("answer", lang): "-",
            w("verdict", lang): w("not testable", lang),
            "player": cl.player,
            "outcome": "",
            "median": np.nan,
            "lo": np.nan,
            "hi": np.nan,
        }
        if cl.player in a.players and outs:
            o = outs[0]
            c = a.contributions
            r = c[(c["outcome"] == o) & (c["player"] == cl.player)].iloc[0]
            med, lo, hi = float(r["median"]), float(r["lo"]), float(r["hi"])
            if cl.sign * lo > 0 and cl.sign * hi > 0:
                verdict = "supported"
            elif cl.sign * lo < 0 and cl.sign * hi < 0:
                verdict = "contradicted"
            else:
                verdict = "inconclusive"
            row.update(
                {
                    w("experiment", lang): f"{a.experiment}: {cl.player} -> {o}",
                    w("answer", lang): f"{med:.3g} [{lo:.3g}, {hi:.3g}]",
                    w("verdict", lang): w(verdict, lang),
                    "outcome": o,
                    "median": med,
                    "lo": lo,
                    "hi": hi,
                }
            )
        rows.append(row)
    return pd.DataFrame(rows)


def write(a: Attribution, out: str | Path, lang: str, seed: int | None = None) -> list[Path]:
    """``attribution-LANG.html`` (every outcome's figure and the claims table, plotly.js
    from its CDN), ``png-LANG/attribution-OUTCOME.png`` and ``claims-LANG.csv`` into
    ``out``; returns the paths written."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    pngs = folder / f"png-{lang}"
    pngs.mkdir(exist_ok=True)
    paths: list[Path] = []
    divs = []
    for i, o in enumerate(a.outcomes):
        fig = figure(a, o, lang, seed)
        divs.append(fig.to_html(full_html=False, include_plotlyjs="cdn" if i == 0 else False))
        paths.append(png(a, o, lang, pngs / f"attribution-{o}.png", seed))
    table = claims(a, lang)
    shown = table.drop(columns=["player", "outcome", "median", "lo", "hi"])
    csv = folder / f"claims-{lang}.csv"
    table.to_csv(csv, index=False)
    paths.append(csv)
    page = folder / f"attribution-{lang}.html"
    page.write_text(
        "<!DOCTYPE html><html lang='{}'><head><meta charset='utf-8'><title>{}</title></head>"
        "<body>{}<h2>{}</h2>{}<p><small>{}</small></p></body></html>".format(
            lang,
            html.escape(w("claims", lang)),
            "".join(divs),
            html.escape(w("claims", lang)),
            shown.to_html(index=False, escape=True),
            html.escape(provenance(a, lang, seed)),
        ),
        encoding="utf-8",
    )
    paths.append(page)
    return paths
