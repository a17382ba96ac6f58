"""Scenario discovery: which combinations of policy levers lead to an outcome of interest
(issue 18), by PRIM, and which levers matter most, by extra-trees feature scores.

PRIM (the Patient Rule Induction Method, Friedman and Fisher 1999; used for scenario
discovery by Bryant and Lempert 2010) looks for a box ``B = {x : l_j <= x_j <= u_j}`` in
the space of levers where the cases of interest (``y = True``, e.g. "idle capacity above
25% in 2030") are dense. Starting from the box around all the data it peels, at each
step, the slice of mass ``peel_alpha`` off one face of one lever that raises the density
most, until the box holds less than ``mass_min`` of the data; it then pastes back slices
that raise the density. Each step is a point of the peeling trajectory, with

- coverage ``= Σ_{x ∈ B} y / Σ y`` (share of all cases of interest inside the box),
- density  ``= Σ_{x ∈ B} y / |B|`` (share of the box's cases that are of interest),
- mass     ``= |B| / n`` (share of all cases inside the box),
- the number of levers the box restricts.

:func:`discover` chooses the box of highest coverage among the steps whose density
reaches ``threshold`` (ties: the denser one); the whole trajectory is returned, so a
user can choose another trade-off. :func:`feature_scores` ranks the levers by the
impurity-based importances of an extra-trees forest (Geurts, Ernst and Wehenkel 2006)
fitted to the outcome (classification for a boolean outcome, regression for a number).

The implementation is not ours: it is the EMA Workbench (Kwakkel 2017;
``ema_workbench.analysis.prim`` and ``feature_scoring``, BSD-3-Clause), an optional
extra: ``pip install 'overcap[discovery]'``. Why:

- ema-workbench is the maintained reference implementation of PRIM for scenario
  discovery (TU Delft), BSD-licensed like a MIT project may depend on. Its newest
  release (3.x) needs Python 3.12; 2.5.3 installs on Python 3.11 with the project's
  numpy 2 and pandas 3, as a pure-Python wheel. It is heavy: it brings scikit-learn,
  statsmodels, seaborn and platypus-opt (matplotlib, scipy and SALib are already core
  dependencies), about 160 MB in the environment (its wheel alone is 29 MB of example
  data), hence an extra and not the core install.
- the ``prim`` package (1.0.0) is GPL-3.0: a dependency of an MIT project under GPL
  would bind its users to the GPL, so it is not used.
- scikit-learn alone has no PRIM; its extra-trees are what ema-workbench's feature
  scoring calls, so that part comes with the extra.

Without the extra, both functions raise an ``ImportError`` of one line naming it.

References: Friedman, J. H. and Fisher, N. I. (1999), Bump hunting in high-dimensional
data, Statistics and Computing 9, 123-143. Bryant, B. P. and Lempert, R. J. (2010),
Thinking inside the box: a participatory, computer-assisted approach to scenario
discovery, Technological Forecasting and Social Change 77, 34-49. Geurts, P., Ernst, D.
and Wehenkel, L. (2006), Extremely randomized trees, Machine Learning 63, 3-42.
Kwakkel, J. H. (2017), The Exploratory Modeling Workbench: an open source toolkit for
exploratory modeling, scenario discovery, and (multi-objective) robust decision making,
Environmental Modelling & Software 96, 239-250.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

EXTRA = "discovery"
MISSING = (
    f"scenario discovery needs the optional extra: pip install 'overcap[{EXTRA}]' (ema-workbench)"
)


class DiscoveryError(ValueError):
    """Bad input to discovery: the field and what is allowed."""


def _ema() -> tuple[ModuleType, ModuleType]:
    """ema-workbench's ``prim`` and ``feature_scoring``, imported on first use (the import
    takes seconds and warns about optional parallel back-ends, which are not used). Its
    plotting modules set a seaborn palette on import: matplotlib's settings are restored
    afterwards, so the report's figures do not depend on whether discovery ran."""
    import matplotlib as mpl

    try:
        with warnings.catch_warnings(), mpl.rc_context():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import feature_scoring, prim
    except ImportError:
        raise ImportError(MISSING) from None
    return prim, feature_scoring


def _quiet() -> None:
    """Inside a ``catch_warnings`` block: silence ema-workbench's own deprecation warnings
    (its pandas calls that pandas 3 deprecates), and only those."""
    for category in (FutureWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=r"ema_workbench\.")


def _levers(x: Any) -> tuple[pd.DataFrame, list[str]]:
    """The levers as float64 columns, checked, and the names of the integer ones
    (booleans become 0/1). Integers are handed to PRIM as reals: ema-workbench 2.5.3
    pastes an integer lever with a real value, which pandas 3 refuses; the box is the same
    on integer data, and :func:`_limits` reports its integer limits."""
    if not isinstance(x, pd.DataFrame):
        raise DiscoveryError(f"x: a pandas DataFrame of levers, got {type(x).__name__}")
    if x.shape[0] < 2 or x.shape[1] < 1:
        raise DiscoveryError(f"x: shape {x.shape}; allowed at least 2 rows and 1 lever")
    out = {}
    integer: list[str] = []
    for col in x.columns:
        s = x[col]
        if not isinstance(col, str):
            raise DiscoveryError(f"x: lever name {col!r}; allowed a string")
        if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
            integer.append(col)
            out[col] = s.astype(np.float64).to_numpy()
        elif pd.api.types.is_float_dtype(s.dtype):
            out[col] = s.astype(np.float64).to_numpy()
        else:
            raise DiscoveryError(f"x.{col}: dtype {s.dtype}; allowed numbers or booleans")
        if s.isna().any():
            raise DiscoveryError(f"x.{col}: {int(s.isna().sum())} missing values; allowed none")
    return pd.DataFrame(out, index=pd.RangeIndex(x.shape[0])), integer


def _outcome(y: Any, n: int, boolean: bool) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise DiscoveryError(f"y: shape {arr.shape}; allowed one value per row of x ({n})")
    if boolean and arr.dtype != np.bool_:
        raise DiscoveryError(f"y: dtype {arr.dtype}; allowed booleans (case of interest or not)")
    if not boolean and not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise DiscoveryError(f"y: dtype {arr.dtype}; allowed booleans or numbers")
    if not boolean and arr.dtype != np.bool_ and not np.all(np.isfinite(arr)):
        raise DiscoveryError("y: non-finite values; allowed finite numbers")
    return arr


def _check_range(name: str, value: float, lo: float, hi: float, lo_open: bool = True) -> None:
    ok = (lo < value if lo_open else lo <= value) and value <= hi
    if not ok:
        side = "(" if lo_open else "["
        raise DiscoveryError(f"{name}: {value}; allowed {side}{lo}, {hi}]")


@dataclass(frozen=True)
class Discovery:
    """The result of :func:`discover`.

    ``trajectory``: one row per peeling/pasting step (``step``, ``coverage``,
    ``density``, ``mass``, ``n_restricted``). ``boxes``: the limits of each step's box
    (index lever; ``lo``, ``hi``, ``restricted``). ``chosen``: the step of the box
    reported (highest coverage with density >= ``threshold``), or None when no step
    reaches the threshold; ``limits`` is that box's limits."""

    trajectory: pd.DataFrame
    boxes: tuple[pd.DataFrame, ...]
    chosen: int | None
    threshold: float

    @property
    def limits(self) -> pd.DataFrame | None:
        return None if self.chosen is None else self.boxes[self.chosen]

    @property
    def restricted(self) -> list[str]:
        """The levers the chosen box restricts (none when there is no box)."""
        lim = self.limits
        return [] if lim is None else list(lim.index[lim["restricted"]])

    def stats(self) -> dict[str, float] | None:
        """Coverage, density, mass and number of restricted levers of the chosen box."""
        if self.chosen is None:
            return None
        row = self.trajectory.iloc[self.chosen]
        return {c: float(row[c]) for c in ("coverage", "density", "mass", "n_restricted")}


def _limits(box_lim: pd.DataFrame, box_init: pd.DataFrame, integer: list[str]) -> pd.DataFrame:
    """A box's limits per lever; an integer lever's are the integers it admits (PRIM cuts
    between data values, e.g. at 0.5 for a boolean: reported as 1 for ``>= 0.5``)."""
    lo, hi = box_lim.iloc[0].astype(float), box_lim.iloc[1].astype(float)
    lo0, hi0 = box_init.iloc[0].astype(float), box_init.iloc[1].astype(float)
    if integer:
        lo[integer] = np.ceil(lo[integer])
        hi[integer] = np.floor(hi[integer])
    out = pd.DataFrame(
        {
            "lo": lo,
            "hi": hi,
            "restricted": ((lo != lo0) | (hi != hi0)).astype(bool),
        }
    )
    out.index.name = "lever"
    return out


def choose(trajectory: pd.DataFrame, threshold: float) -> int | None:
    """The step of highest coverage among those with density >= ``threshold`` (ties: the
    higher density, then the earlier step); None when no step reaches it."""
    ok = trajectory[trajectory["density"] >= threshold]
    if ok.empty:
        return None
    order = ok.sort_values(["coverage", "density"], ascending=[False, False], kind="stable")
    return int(order.index[0])


def discover(
    x: pd.DataFrame,
    y: np.ndarray,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> Discovery:
    """PRIM over the levers ``x`` (one row per run, one column per lever: numbers or
    booleans) for the cases ``y`` (booleans, one per row). ``threshold``: the density the
    chosen box must reach (0-1]; ``peel_alpha``: the share of the box peeled per step
    (0-0.5]; ``paste_alpha``: the share pasted back per step [0-0.5]; ``mass_min``: the
    smallest box, as a share of the data (0-1)."""
    lev, integer = _levers(x)
    cases = _outcome(y, lev.shape[0], boolean=True)
    if not cases.any():
        raise DiscoveryError("y: no case of interest (all False); allowed at least one True")
    _check_range("threshold", threshold, 0.0, 1.0)
    _check_range("peel_alpha", peel_alpha, 0.0, 0.5)
    _check_range("paste_alpha", paste_alpha, 0.0, 0.5, lo_open=False)
    _check_range("mass_min", mass_min, 0.0, 1.0)
    prim, _ = _ema()
    with warnings.catch_warnings():
        _quiet()
        p = prim.Prim(
            lev,
            cases,
            threshold=threshold,
            peel_alpha=peel_alpha,
            paste_alpha=paste_alpha,
            mass_min=mass_min,
        )
        box = p.find_box()
    ptr = box.peeling_trajectory.reset_index(drop=True)
    traj = pd.DataFrame(
        {
            "step": np.arange(len(ptr)),
            "coverage": ptr["coverage"].astype(float),
            "density": ptr["density"].astype(float),
            "mass": ptr["mass"].astype(float),
            "n_restricted": ptr["res_dim"].astype(np.int64),
        }
    )
    boxes = tuple(_limits(b, p.box_init, integer) for b in box.box_lims)
    return Discovery(traj, boxes, choose(traj, threshold), threshold)


def feature_scores(x: pd.DataFrame, y: np.ndarray, n_trees: int = 100, seed: int = 0) -> pd.Series:
    """The levers ranked by extra-trees feature importance (mean decrease in impurity,
    summing to 1): a classification forest when ``y`` is boolean, a regression forest
    when it is a number (e.g. the outcome before it is thresholded). ``seed`` makes the
    forest reproducible."""
    lev, _ = _levers(x)
    out = _outcome(y, lev.shape[0], boolean=False)
    if n_trees < 1:
        raise DiscoveryError(f"n_trees: {n_trees}; allowed at least 1")
    _, fs = _ema()
    mode = (
        fs.RuleInductionType.CLASSIFICATION
        if out.dtype == np.bool_
        else fs.RuleInductionType.REGRESSION
    )
    with warnings.catch_warnings():
        _quiet()
        scores, _forest = fs.get_ex_feature_scores(
            lev, out, mode=mode, nr_trees=n_trees, random_state=seed
        )
    s = scores.iloc[:, 0].astype(float).sort_values(ascending=False, kind="stable")
    s.index = pd.Index([str(i) for i in s.index], name="lever")
    s.name = "score"
    return s
