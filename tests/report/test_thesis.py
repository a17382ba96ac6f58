"""The thesis in the report (issue 18): the attribution figure (Plotly and PNG) with its
provenance, the claims table's verdicts, `overcap report --attribution` refusing what is
not an attribution experiment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from overcap.attribution import Attribution, attribute, load
from overcap.cli import app
from overcap.report import thesis

SHORT = {"time.end_year": 1998, "population.firms_start": 2000}


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Attribution]:
    root = tmp_path_factory.mktemp("thesis")
    attribute(
        "baseline",
        runs=2,
        outcomes=["zombie_share", "idle_capacity"],
        players=["soft_budget", "campaigns"],
        overrides=SHORT,
        workers=0,
        name="th",
        results=root,
    )
    return root, load("th", root)


def synthetic(median: float, lo: float, hi: float) -> Attribution:
    c = pd.DataFrame(
        [{"outcome": "zombie_share", "player": "soft_budget", "median": median, "lo": lo,
          "hi": hi, "mean": median, "stderr": np.nan}]
    )  # fmt: skip
    t = pd.DataFrame(
        [{"outcome": "zombie_share", "label": "z", "full": 0.1, "null": 0.0, "total": median,
          "lo": lo, "hi": hi, "mean": median}]
    )  # fmt: skip
    return Attribution(
        "x", "baseline", "exact", ("soft_budget",), 3, 0.9, c, t, pd.DataFrame(),
        pd.DataFrame(), {"zombie_share": "zombie share"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("band", "verdict"),
    [((0.05, 0.01, 0.09), "supported"), ((-0.05, -0.09, -0.01), "contradicted"),
     ((0.01, -0.02, 0.04), "inconclusive (band includes 0)")],
)  # fmt: skip
def test_claims_verdicts(band: tuple[float, float, float], verdict: str) -> None:
    t = thesis.claims(synthetic(*band), "en").set_index("player")
    zombies = t[t["outcome"] == "zombie_share"]
    assert zombies.loc["soft_budget", "verdict"] == verdict
    # a mechanism that is not a player, or a metric with no outcome: not testable
    assert t.loc["campaigns", "verdict"] == "not testable here"
    idle = t.loc["soft_budget"]
    assert (idle[idle["outcome"] == ""]["verdict"] == "not testable here").all()
    zh = thesis.claims(synthetic(*band), "zh-TW")
    assert "判定" in zh.columns and len(zh) == len(thesis.CLAIMS)


def test_the_figure_carries_its_provenance(
    stored: tuple[Path, Attribution], tmp_path: Path
) -> None:
    _, a = stored
    for lang in ("en", "zh-TW"):
        fig = thesis.figure(a, "zombie_share", lang, seed=0)
        prov = [x for x in fig.layout.annotations if x.name == "provenance"]
        assert prov and "th" in prov[0].text and "seed 0" in prov[0].text.replace("種子", "seed")
        bars = fig.data[0]
        assert list(bars.y)[:2] == ["soft_budget", "campaigns"]
        c = a.contributions[a.contributions["outcome"] == "zombie_share"]
        np.testing.assert_allclose(list(bars.x)[:2], c["median"].to_numpy())
        path = thesis.png(a, "zombie_share", lang, tmp_path / f"z-{lang}.png", seed=0)
        meta = Image.open(path).info
        assert meta["Description"] == thesis.provenance(a, lang, 0)
        assert "attribution experiment th" in thesis.provenance(a, "en", 0)
    with pytest.raises(ValueError, match="outcome 'margin'"):
        thesis.figure(a, "margin", "en")


def test_write_puts_the_figures_and_claims_beside_the_report(
    stored: tuple[Path, Attribution], tmp_path: Path
) -> None:
    _, a = stored
    paths = thesis.write(a, tmp_path, "en", seed=0)
    names = sorted(p.name for p in paths)
    assert names == [
        "attribution-en.html",
        "attribution-idle_capacity.png",
        "attribution-zombie_share.png",
        "claims-en.csv",
    ]
    page = (tmp_path / "attribution-en.html").read_text(encoding="utf-8")
    assert "Soft budgets and bailouts keep zombie firms alive" in page
    claims = pd.read_csv(tmp_path / "claims-en.csv")
    row = claims[(claims["player"] == "soft_budget") & (claims["outcome"] == "zombie_share")]
    assert row["verdict"].iloc[0] == "supported"  # no soft budget, no zombies


def test_report_refuses_an_experiment_that_is_not_an_attribution(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["report", "--attribution", "nothing-here", "--results", str(tmp_path)]
    )
    assert res.exit_code == 2
    assert "--attribution nothing-here" in res.output
