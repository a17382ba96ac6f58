"""Scenario discovery: PRIM recovers a known box in synthetic data, feature scores rank
the levers that define it on top, and bad input or a missing extra fail in one line."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from overcap import discovery
from overcap.discovery import DiscoveryError, choose, discover, feature_scores

LEVERS = [f"x{i}" for i in range(5)]


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    """x uniform on [0, 1]^5; the cases of interest are the box x0 > 0.6 and x2 < 0.3."""
    rng = np.random.default_rng(20240518)
    x = pd.DataFrame(rng.uniform(size=(3000, 5)), columns=LEVERS)
    y = ((x["x0"] > 0.6) & (x["x2"] < 0.3)).to_numpy()
    return x, y


def test_prim_recovers_the_known_box(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    x, y = data
    res = discover(x, y, threshold=0.9)
    assert res.chosen is not None
    assert sorted(res.restricted) == ["x0", "x2"]
    lim = res.limits
    assert lim is not None
    assert lim.loc["x0", "lo"] == pytest.approx(0.6, abs=0.05)
    assert lim.loc["x2", "hi"] == pytest.approx(0.3, abs=0.05)
    # the other faces stay at the edge of the data
    assert lim.loc["x0", "hi"] == pytest.approx(x["x0"].max())
    assert lim.loc["x2", "lo"] == pytest.approx(x["x2"].min())
    for lever in ("x1", "x3", "x4"):
        assert not lim.loc[lever, "restricted"]
    stats = res.stats()
    assert stats is not None
    assert stats["coverage"] > 0.9 and stats["density"] > 0.9
    assert stats["n_restricted"] == 2
    # the stated statistics are those of the data inside the reported box
    inside = np.ones(len(x), dtype=bool)
    for lever in LEVERS:
        inside &= (x[lever] >= lim.loc[lever, "lo"]) & (x[lever] <= lim.loc[lever, "hi"])
    assert stats["coverage"] == pytest.approx(y[inside].sum() / y.sum())
    assert stats["density"] == pytest.approx(y[inside].mean())
    assert stats["mass"] == pytest.approx(inside.mean())


def test_the_trajectory_peels_from_the_whole_data_to_dense_boxes(
    data: tuple[pd.DataFrame, np.ndarray],
) -> None:
    x, y = data
    res = discover(x, y, threshold=0.9, peel_alpha=0.1)
    t = res.trajectory
    assert list(t.columns) == ["step", "coverage", "density", "mass", "n_restricted"]
    assert len(t) == len(res.boxes) > 5
    first = t.iloc[0]
    assert first["coverage"] == 1.0 and first["mass"] == 1.0 and first["n_restricted"] == 0
    assert first["density"] == pytest.approx(y.mean())
    # peeling shrinks the box; its density rises to the threshold
    assert t["mass"].iloc[-1] < 0.2 and t["density"].max() > 0.9
    assert bool((t["coverage"] <= 1.0).all() and (t["n_restricted"] <= 5).all())


def test_choose_takes_the_most_coverage_that_reaches_the_threshold() -> None:
    t = pd.DataFrame(
        {
            "coverage": [1.0, 0.98, 0.95, 0.95, 0.7],
            "density": [0.2, 0.85, 0.91, 0.93, 1.0],
            "mass": [1.0, 0.4, 0.3, 0.28, 0.2],
        }
    )
    assert choose(t, 0.9) == 3
    assert choose(t, 0.8) == 1
    assert choose(t, 0.99) == 4
    assert choose(t, 1.0) == 4
    assert choose(t.iloc[:2], 0.9) is None


def test_no_box_reaches_an_unreachable_threshold() -> None:
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.uniform(size=(800, 3)), columns=["a", "b", "c"])
    y = rng.uniform(size=800) < 0.3  # noise: nothing explains it
    res = discover(x, y, threshold=1.0)
    assert res.chosen is None and res.limits is None and res.stats() is None
    assert res.restricted == []


def test_boolean_levers_are_peeled_as_zero_or_one() -> None:
    rng = np.random.default_rng(8)
    x = pd.DataFrame({"on": rng.uniform(size=1500) < 0.5, "level": rng.uniform(size=1500)})
    y = (x["on"] & (x["level"] > 0.5)).to_numpy()
    res = discover(x, y, threshold=0.95)
    lim = res.limits
    assert lim is not None and sorted(res.restricted) == ["level", "on"]
    assert lim.loc["on", "lo"] == 1.0 and lim.loc["on", "hi"] == 1.0
    assert lim.loc["level", "lo"] == pytest.approx(0.5, abs=0.05)


def test_feature_scores_rank_the_box_levers_on_top(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    x, y = data
    s = feature_scores(x, y, seed=1)
    assert list(s.index[:2]) in (["x0", "x2"], ["x2", "x0"])
    assert set(s.index) == set(LEVERS) and s.name == "score"
    assert s.sum() == pytest.approx(1.0)
    assert s[["x0", "x2"]].min() > 2 * s[["x1", "x3", "x4"]].max()
    # reproducible with a seed
    pd.testing.assert_series_equal(s, feature_scores(x, y, seed=1))
    # a numeric outcome: a regression forest
    z = 3 * x["x3"].to_numpy() + 0.1 * x["x1"].to_numpy()
    r = feature_scores(x, z, n_trees=50, seed=2)
    assert r.index[0] == "x3" and r.index[1] == "x1"


def test_bad_input_fails_in_one_line_naming_the_field(
    data: tuple[pd.DataFrame, np.ndarray],
) -> None:
    x, y = data
    with pytest.raises(DiscoveryError, match="threshold: 1.5; allowed"):
        discover(x, y, threshold=1.5)
    with pytest.raises(DiscoveryError, match="peel_alpha: 0.0; allowed"):
        discover(x, y, peel_alpha=0.0)
    with pytest.raises(DiscoveryError, match=r"y: shape \(10,\); allowed one value per row"):
        discover(x, y[:10])
    with pytest.raises(DiscoveryError, match="y: dtype float64; allowed booleans"):
        discover(x, y.astype(float))
    with pytest.raises(DiscoveryError, match="no case of interest"):
        discover(x, np.zeros(len(x), dtype=bool))
    with pytest.raises(DiscoveryError, match="x: a pandas DataFrame"):
        discover(x.to_numpy(), y)  # type: ignore[arg-type]
    bad = x.assign(label="a")
    with pytest.raises(DiscoveryError, match="x.label: dtype"):
        discover(bad, y)
    holes = x.copy()
    holes.loc[3, "x1"] = np.nan
    with pytest.raises(DiscoveryError, match="x.x1: 1 missing values"):
        feature_scores(holes, y)
    for err in (DiscoveryError("threshold: 2; allowed (0.0, 1.0]"),):
        assert "\n" not in str(err)


def test_a_missing_extra_names_it(
    data: tuple[pd.DataFrame, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    x, y = data
    for mod in [m for m in sys.modules if m.startswith("ema_workbench")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "ema_workbench", None)
    with pytest.raises(ImportError, match=r"pip install 'overcap\[discovery\]'") as exc:
        discover(x, y)
    assert "\n" not in str(exc.value)
    with pytest.raises(ImportError, match="discovery"):
        feature_scores(x, y)
    assert discovery.EXTRA == "discovery"
