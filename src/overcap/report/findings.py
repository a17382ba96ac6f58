"""Sentences computed from the runs: the data half of every caption, the findings and
the limitations of the report, in every language of the catalogue.

A caption is two parts: what the figure shows (``fig.ID.caption``, fixed text) and what
it shows for these runs (:func:`observations`, numbers read from the same selections
the figures draw). Nothing here states what a figure is hoped to show::

    from overcap.report import findings

    findings.observations(data, "wave_timing", "en")
    # ['In the median run the peak idle capacity of steel comes in 2015 ...', ...]
    findings.findings(data, "zh-TW")      # the report's findings, one sentence each
    findings.limitations(data, "en")      # what the runs cannot say, and the calibration
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from overcap.report import messages as m
from overcap.report import select
from overcap.report.data import ReportData
from overcap.report.select import DEFAULT_SECTOR
from overcap.scenario import REGIMES


def _sector(s: str, lang: str) -> str:
    return m.sector(s, lang) if m.has(f"sector.{s}") else s


def _argmin(frame: pd.DataFrame, col: str = "median") -> tuple[int, float]:
    """Year and value of the lowest ``col`` (the first such year)."""
    f = frame.dropna(subset=[col])
    k = int(np.argmin(f[col].to_numpy()))
    return int(f["year"].iloc[k]), float(f[col].iloc[k])


def _argmax(frame: pd.DataFrame, col: str = "median") -> tuple[int, float]:
    f = frame.dropna(subset=[col])
    k = int(np.argmax(f[col].to_numpy()))
    return int(f["year"].iloc[k]), float(f[col].iloc[k])


# ---------------------------------------------------------------- by figure
def policy_cycle(data: ReportData, lang: str, **_: Any) -> list[str]:
    sel = select.policy_cycle(data)
    g = sel.growth.frame.set_index("year")["median"]
    t = sel.target.frame.set_index("year")["median"].reindex(g.index)
    below = int((g < t).sum())
    counts = sel.regimes["regime"].value_counts()
    regimes = ", ".join(f"{m.regime(r, lang)} {int(counts.get(r, 0))}" for r in REGIMES)
    return [
        m.t("obs.policy_cycle", lang, below=below, years=len(g), regimes=regimes),
    ]


def history(data: ReportData, lang: str, **_: Any) -> list[str]:
    panels = select.history(data)
    inside = total = 0
    for p in panels:
        med = p.series.frame.set_index("year")["median"]
        for r in p.record:
            if r.low is None or r.high is None:
                continue
            years = [y for y in range(r.start, r.end + 1) if y in med.index]
            if not years:
                continue
            v = float(med.loc[years].mean())
            total += 1
            inside += int(r.low <= v <= r.high)
    growth = panels[0].series.frame["median"]
    out = [m.t("obs.history_growth", lang, growth=f"{float(growth.mean()):.1f}")]
    ppi = panels[1].series.frame
    out.append(m.t("obs.history_ppi", lang, n=int((ppi["median"] < 0).sum()), years=len(ppi)))
    if total:
        out.append(m.t("obs.history_record", lang, inside=inside, total=total))
    return out


def utilisation_waves(data: ReportData, lang: str, **_: Any) -> list[str]:
    sel = select.utilisation_waves(data)
    agg = pd.DataFrame({"year": sel.years, "median": sel.z[0]})
    ya, ua = _argmin(agg)
    z = sel.z[1:]
    k = int(np.nanargmin(z))
    r, c = divmod(k, z.shape[1])
    return [
        m.t(
            "obs.utilisation_waves",
            lang,
            year=ya,
            util=f"{ua:.0f}",
            sector=_sector(sel.rows[1 + r], lang),
            sector_year=sel.years[c],
            sector_util=f"{float(z[r, c]):.0f}",
        )
    ]


def wave_timing(data: ReportData, lang: str, **_: Any) -> list[str]:
    tab = select.wave_timing(data).table
    if tab.empty:
        return []
    first = tab.sort_values(["median_year", "sector"], kind="stable").iloc[0]
    last = tab.sort_values(["median_year", "sector"], kind="stable").iloc[-1]
    out = []
    for row in (first, last):
        out.append(
            m.t(
                "obs.wave_peak",
                lang,
                sector=_sector(str(row["sector"]), lang),
                year=f"{row['median_year']:.0f}",
                first=int(row["first_year"]),
                last=int(row["last_year"]),
                idle=f"{row['idle_pct']:.0f}",
            )
        )
    rec = tab.dropna(subset=["record_from"])
    if len(rec):
        near = int(
            (
                (rec["median_year"] >= rec["record_from"].astype(float) - 2)
                & (rec["median_year"] <= rec["record_to"].astype(float) + 2)
            ).sum()
        )
        out.append(m.t("obs.wave_record", lang, near=near, total=len(rec)))
    else:
        out.append(m.t("obs.wave_no_record", lang))
    return out


def price_war(data: ReportData, lang: str, sector: str = DEFAULT_SECTOR, **_: Any) -> list[str]:
    sel = select.price_war(data, sector=sector)
    p = sel.price.frame.set_index("year")["median"]
    c = sel.unit_cost.frame.set_index("year")["median"].reindex(p.index)
    under = p.index[(p < c).to_numpy()]
    ym, vm = _argmin(sel.margin.frame)
    yl, vl = _argmax(sel.loss_making.frame)
    out = [
        m.t("obs.price_war_never", lang, sector=_sector(sector, lang), years=len(p))
        if not len(under)
        else m.t(
            "obs.price_war_under",
            lang,
            sector=_sector(sector, lang),
            n=len(under),
            years=len(p),
            first=(str(int(under[0])) if len(under) else "-"),
        ),
        m.t(
            "obs.price_war_margin",
            lang,
            margin=f"{vm:.0f}",
            year=ym,
            loss=f"{vl:.0f}",
            loss_year=yl,
        ),
    ]
    return out


def provinces(data: ReportData, lang: str, **_: Any) -> list[str]:
    sel = select.provinces(data)
    sub = sel.grids["subsidy_pct_gdp"].mean(axis=1)
    rank = sel.grids["growth_rank"].mean(axis=1)
    debt = sel.grids["debt_pct_gdp"].mean(axis=1)
    top = str(sub.idxmax())
    corr = float(np.corrcoef(sub.to_numpy(), rank.to_numpy())[0, 1]) if len(sub) > 2 else 0.0
    return [
        m.t(
            "obs.provinces_top",
            lang,
            province=m.province(top, lang),
            sub=f"{float(sub[top]):.1f}",
            rank=f"{float(rank[top]):.0f}",
            n=len(sub),
            debt_province=m.province(str(debt.idxmax()), lang),
            debt=f"{float(debt.max()):.0f}",
        ),
        m.t("obs.provinces_corr", lang, corr=f"{corr:+.2f}"),
    ]


def trade(data: ReportData, lang: str, **_: Any) -> list[str]:
    sel = select.trade(data)
    grid = sel.years_in_force
    out = []
    if grid.to_numpy().max() > 0:
        arr = grid.to_numpy(dtype=float)
        r, c = np.unravel_index(int(np.argmax(arr)), arr.shape)
        partner, sector, years = grid.index[int(r)], grid.columns[int(c)], float(arr[r, c])
        out.append(
            m.t(
                "obs.trade_measures",
                lang,
                partner=m.partner(str(partner), lang),
                sector=_sector(str(sector), lang),
                years=f"{years:.0f}",
            )
        )
    else:
        out.append(m.t("obs.trade_none", lang))
    if sel.shares:
        best = max(sel.shares, key=lambda s: float(s.frame["median"].max()))
        y, v = _argmax(best.frame)
        out.append(m.t("obs.trade_share", lang, sector=best.label(lang), share=f"{v:.0f}", year=y))
    return out


def bill(data: ReportData, lang: str, **_: Any) -> list[str]:
    panels = select.bill(data)
    yf, vf = _argmax(panels[0].series.frame)
    eco = data._stack(data.reference, "economy")
    totals = eco.groupby("run")["bad_loans"].sum() * 1e-3
    y0, y1 = data.years()
    return [
        m.t(
            "obs.bill",
            lang,
            fiscal=f"{vf:.1f}",
            year=yf,
            loans=f"{float(totals.median()):,.0f}",
            years=f"{y0}-{y1}",
        )
    ]


def _mean_diffs(data: ReportData, scenario: str, column: str, scale: float) -> np.ndarray:
    """Each pair's mean over the years of scenario minus reference."""
    d = select.paired_difference(data, scenario, column, scale)
    return np.asarray(d.groupby("run")["diff"].mean().to_numpy(), dtype=float)


def difference(data: ReportData, lang: str, **_: Any) -> list[str]:
    if len(data.scenarios) < 2:
        return [m.t("obs.difference_single", lang)]
    out = []
    ref = m.scenario(data.reference, lang)
    for name in data.scenarios[1:]:
        parts = []
        for col, scale in select.COMPARISON[:4]:
            d = _mean_diffs(data, name, col, scale)
            if not len(d):
                continue
            lo, hi = np.percentile(d, [select.LOW, select.HIGH])
            parts.append(
                m.t(
                    "obs.difference_item",
                    lang,
                    indicator=m.indicator(col, lang),
                    median=f"{float(np.median(d)):+.2f}",
                    low=f"{lo:+.2f}",
                    high=f"{hi:+.2f}",
                )
            )
        out.append(
            m.t(
                "obs.difference",
                lang,
                scenario=m.scenario(name, lang),
                reference=ref,
                pairs=len(select.paired_runs(data, name)),
                items="; ".join(parts),
            )
        )
    return out


def comparison(data: ReportData, lang: str, **_: Any) -> list[str]:
    return []


def evidence(data: ReportData, lang: str, **_: Any) -> list[str]:
    out = []
    for name in data.scenarios:
        tab = data.check(name)
        out.append(
            m.t(
                "obs.evidence",
                lang,
                scenario=m.scenario(name, lang),
                passed=int(tab["passed"].sum()),
                total=len(tab),
                na=int((~tab["evaluable"].astype(bool)).sum()),
            )
        )
    return out


OBSERVATIONS: dict[str, Callable[..., list[str]]] = {
    "policy_cycle": policy_cycle,
    "history": history,
    "utilisation_waves": utilisation_waves,
    "wave_timing": wave_timing,
    "price_war": price_war,
    "provinces": provinces,
    "trade": trade,
    "bill": bill,
    "comparison": comparison,
    "difference": difference,
    "evidence": evidence,
}


def observations(data: ReportData, fig_id: str, lang: str, **opts: Any) -> list[str]:
    """What figure ``fig_id`` shows for these runs, as sentences in ``lang``."""
    lang = m.check_lang(lang)
    return OBSERVATIONS[fig_id](data, lang, **opts)


# ---------------------------------------------------------------- the report's sections
def findings(data: ReportData, lang: str, sector: str = DEFAULT_SECTOR) -> list[str]:
    """The report's findings: sentences with the runs' numbers, from the figures'
    observations (reference scenario; the paired differences where there are two or
    more scenarios)."""
    lang = m.check_lang(lang)
    out: list[str] = []
    out += history(data, lang)[:1]
    out += wave_timing(data, lang)
    out += price_war(data, lang, sector=sector)[:1]
    out += provinces(data, lang)
    out += bill(data, lang)
    if len(data.scenarios) > 1:
        out += difference(data, lang)
    out += evidence(data, lang)
    return out


def stored_scores(calibrated: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]] | None:
    """The stored scores of a calibrated set (``Scenario.calibrated``; written by
    ``overcap score`` beside the set) and why they are stale; None when there are none
    (or the set's file is not on this machine)."""
    from overcap.calibration import ScoreError, scores_of, stale

    try:
        doc = scores_of(calibrated)
        if doc is None or calibrated is None:
            return None
        return doc, stale(doc, str(calibrated["file"]))
    except (ScoreError, OSError, KeyError, TypeError):
        return None


def _g(x: float) -> str:
    return f"{x:g}"


def score_fields(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    """The stored scores as the catalogue's fields, in ``lang``."""
    from overcap.calibration import SCORED_HOLDOUT

    n = doc["facts_total"]
    oos, ins, oot = doc["out_of_stream"], doc.get("in_sample"), doc.get("out_of_time")
    missing = m.t("scores.not_recorded", lang)
    fields: dict[str, Any] = {
        "file": doc["sets"]["shipped"]["file"],
        "scenario": m.scenario(str(doc["scenario"]), lang),
        "runs": doc["runs"],
        "date": doc["date"],
        "last_seen": SCORED_HOLDOUT[0] - 1,
        "in_sample": (
            m.t("scores.fraction", lang, passed=ins["passed"], total=n) if ins else missing
        ),
        "out_of_stream": m.t(
            "scores.median", lang, passed=_g(oos["median"]), total=n, seeds=", ".join(oos["seeds"])
        ),
        "out_of_time": missing,
        "out_of_time_short": missing,
    }
    if oot:
        u, s = oot["unseen"], oot["seen"]
        fields["out_of_time"] = m.t(
            "scores.out_of_time",
            lang,
            unseen=_g(u["median"]),
            unseen_total=u["total"],
            seen=_g(s["median"]),
            seen_total=s["total"],
            seeds=", ".join(u["seeds"]),
        )
        fields["out_of_time_short"] = m.t(
            "scores.line_out_of_time", lang, unseen=_g(u["median"]), unseen_total=u["total"]
        )
    return fields


def stored_scores_text(calibrated: dict[str, Any] | None, lang: str) -> list[str]:
    """The limitations' sentences on the fit: the three stored scores of the calibrated
    set, a set fitted on other facts, staleness; or that no score is recorded."""
    from overcap.calibration import fitted_elsewhere

    lang = m.check_lang(lang)
    found = stored_scores(calibrated)
    if found is None:
        return [m.t("limits.score_missing", lang)]
    doc, why = found
    out = [m.t("limits.score", lang, **score_fields(doc, lang))]
    out += [
        m.t("limits.score_fitted_elsewhere", lang, file=s["file"]) for s in fitted_elsewhere(doc)
    ]
    if why:
        out.append(m.t("limits.score_stale", lang))
    return out


def stored_scores_note(calibrated: dict[str, Any] | None, lang: str) -> list[str]:
    """The evidence figure's footer: the stored scores in one line (and staleness) and
    what the model is not; nothing when no scores are stored."""
    lang = m.check_lang(lang)
    found = stored_scores(calibrated)
    if found is None:
        return []
    doc, why = found
    f = score_fields(doc, lang)
    out = [m.t("scores.line", lang, **{**f, "out_of_time": f["out_of_time_short"]})]
    if why:
        out.append(m.t("limits.score_stale", lang))
    return [*out, m.t("scores.caveat", lang)]


def calibration_score(data: ReportData, lang: str) -> str:
    """The reference scenario's calibrated set's stored scores (``overcap score``:
    in-sample, out of stream, out of time), or a sentence saying none is recorded."""
    return " ".join(stored_scores_text(data.scenario().calibrated, lang))


LIMITS = ("limits.laboratory", "limits.not_forecast", "limits.runs", "limits.record")


def limitations(data: ReportData, lang: str) -> list[str]:
    """What these runs cannot say, honestly, and the calibration's stored score."""
    lang = m.check_lang(lang)
    out = [m.t(k, lang) for k in LIMITS]
    out.insert(3, m.t("limits.ensemble", lang, runs=data.n_runs()))
    out.append(calibration_score(data, lang))
    return out
