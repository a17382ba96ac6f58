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

import dataclasses
import re
import warnings
from collections.abc import Callable, Mapping
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


# ------------------------------------------------------------------ the criterion

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op><=|>=|==|!=|<|>)|(?P<paren>[()]))"
)
_OPS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "<=": np.less_equal,
    ">=": np.greater_equal,
    "<": np.less,
    ">": np.greater,
    "==": np.equal,
    "!=": np.not_equal,
}
_WORDS = ("and", "or", "not")


@dataclass(frozen=True)
class Criterion:
    """A parsed criterion: a small grammar of comparisons joined by ``and``, ``or``,
    ``not`` and parentheses; each comparison sets an outcome (or a number) against a
    number (or an outcome) with ``<=``, ``>=``, ``<``, ``>``, ``==`` or ``!=``. Nothing
    is evaluated as Python: the text is tokenised and parsed here."""

    text: str
    tree: tuple[Any, ...]
    names: tuple[str, ...]  # the outcomes it reads, in order of appearance

    def evaluate(self, values: Mapping[str, Any]) -> np.ndarray:
        """The criterion on ``values`` (outcome name -> array over points): booleans."""
        return np.asarray(_eval(self.tree, values), dtype=bool)


def _eval(node: tuple[Any, ...], values: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "name":
        return np.asarray(values[node[1]], dtype=float)
    if kind == "cmp":
        return _OPS[node[1]](_eval(node[2], values), _eval(node[3], values))
    if kind == "not":
        return np.logical_not(_eval(node[1], values))
    fn = np.logical_and if kind == "and" else np.logical_or
    return fn(_eval(node[1], values), _eval(node[2], values))


def parse_criterion(text: str, field: str = "--criterion") -> Criterion:
    """Parse a criterion such as ``"utilisation_2025_2030 >= 0.8 and gdp_gap >= -0.5"``;
    a one-line DiscoveryError says where it goes wrong. Names are not checked here
    (:func:`run_discovery` checks them against the outcomes)."""
    tokens: list[tuple[str, str]] = []
    pos, src = 0, text.strip()
    if not src:
        raise DiscoveryError(f'{field}: empty; e.g. "utilisation_2025_2030 >= 0.8"')
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None or m.end() == pos:
            raise DiscoveryError(
                f"{field} {text!r}: cannot read {src[pos:].strip()[:20]!r}; allowed: outcome "
                "names, numbers, <= >= < > == !=, and, or, not, parentheses"
            )
        kind = str(m.lastgroup)
        tok = m[kind]
        if kind == "name" and tok.lower() in _WORDS:
            kind, tok = "word", tok.lower()
        tokens.append((kind, tok))
        pos = m.end()
        while pos < len(src) and src[pos].isspace():
            pos += 1
    names: list[str] = []
    i = 0

    def peek() -> tuple[str, str] | None:
        return tokens[i] if i < len(tokens) else None

    def fail(what: str) -> DiscoveryError:
        at = " ".join(t for _, t in tokens[i : i + 3]) or "the end"
        return DiscoveryError(f"{field} {text!r}: expected {what} at {at!r}")

    def term() -> tuple[Any, ...]:
        nonlocal i
        t = peek()
        if t is None or t[0] not in ("num", "name"):
            raise fail("an outcome name or a number")
        i += 1
        if t[0] == "name":
            if t[1] not in names:
                names.append(t[1])
            return ("name", t[1])
        return ("num", float(t[1]))

    def comparison() -> tuple[Any, ...]:
        nonlocal i
        left = term()
        t = peek()
        if t is None or t[0] != "op":
            raise fail("a comparison (<=, >=, <, >, ==, !=)")
        i += 1
        right = term()
        if left[0] == "num" and right[0] == "num":
            raise DiscoveryError(f"{field} {text!r}: a comparison of two numbers says nothing")
        return ("cmp", t[1], left, right)

    def negation() -> tuple[Any, ...]:
        nonlocal i
        t = peek()
        if t == ("word", "not"):
            i += 1
            return ("not", negation())
        if t == ("paren", "("):
            i += 1
            inner = disjunction()
            if peek() != ("paren", ")"):
                raise fail("')'")
            i += 1
            return inner
        return comparison()

    def conjunction() -> tuple[Any, ...]:
        nonlocal i
        node = negation()
        while peek() == ("word", "and"):
            i += 1
            node = ("and", node, negation())
        return node

    def disjunction() -> tuple[Any, ...]:
        nonlocal i
        node = conjunction()
        while peek() == ("word", "or"):
            i += 1
            node = ("or", node, conjunction())
        return node

    tree = disjunction()
    if i != len(tokens):
        raise fail("and, or or the end")
    return Criterion(src, tree, tuple(names))


# ------------------------------------------------------------------ the experiment

#: The policy levers `overcap discover` samples when none are named, each over its
#: documented range (booleans: on or off, half the points each): the reform switches,
#: subsidy intensity, bailout propensity, campaign intensity and compliance, the price
#: floor and its evasion, and the trade responses. A switch sampled off is off in every
#: year (a reform from the start, not from 2020 as in market-reform).
DEFAULT_LEVERS: tuple[str, ...] = (
    "switches.subsidies",
    "switches.soft_budget",
    "switches.bailouts",
    "switches.local_protection",
    "switches.soe_output_targets",
    "provinces.subsidy_base",
    "exit.rescue_private",
    "exit.rescue_soe",
    "centre.control.campaign_intensity",
    "centre.campaign_compliance",
    "centre.control.price_floor",
    "centre.floor_evasion",
    "switches.trade_defence",
    "trade.countermeasure_probability",
)
SAMPLERS = ("lhs", "sobol")
# the design's streams, apart from every replicate's
_POLICY_KEY = 2**31 - 4
_UNCERTAIN_KEY = 2**31 - 5
_ANY_DENSITY = 1e-9  # a threshold every box reaches


@dataclass(frozen=True)
class Lever:
    """A sampled parameter: its path, kind (float, int, bool) and range."""

    path: str
    kind: str
    lo: float
    hi: float


def parse_levers(items: Any, field: str = "--levers") -> list[Lever]:
    """Levers as ``path`` (its documented range; a switch: on or off) or
    ``path=LOW:HIGH`` (numbers, inside the documented range)."""
    from overcap.experiments import ExperimentError, _range, param_info
    from overcap.scenario import ScenarioError

    out: list[Lever] = []
    for text in items:
        key, sep, rng = str(text).partition("=")
        key = key.strip()
        if not key:
            raise DiscoveryError(f"{field} {text!r}: an empty lever")
        try:
            info = param_info(key)
        except ScenarioError as exc:
            raise DiscoveryError(f"{field} {key}: {exc}") from None
        if key in [lv.path for lv in out]:
            raise DiscoveryError(f"{field} {key}: given twice")
        if info.kind == "bool":
            if sep:
                raise DiscoveryError(f"{field} {text!r}: a switch is sampled on or off, no range")
            out.append(Lever(key, "bool", 0.0, 1.0))
            continue
        if info.kind not in ("float", "int"):
            raise DiscoveryError(
                f"{field} {key}: a {info.kind} parameter; allowed numbers, switches"
            )
        if sep:
            try:
                lo, hi = _range(key, rng, f"{field} {text!r}")
            except ExperimentError as exc:
                raise DiscoveryError(str(exc)) from None
        elif info.lo is None or info.hi is None:
            raise DiscoveryError(f"{field} {key}: no documented range; give one as {key}=LOW:HIGH")
        else:
            lo, hi = float(info.lo), float(info.hi)
        out.append(Lever(key, info.kind, lo, hi))
    if not out:
        raise DiscoveryError(f"{field}: name at least one lever")
    return out


def uncertain_levers(items: Any, sc: Any, field: str = "--uncertain") -> list[Lever]:
    """Structural parameters drawn from their calibration ranges
    (:func:`overcap.calibration.knobs`): ``path`` or ``path=LOW:HIGH`` inside it."""
    from overcap.calibration import knobs

    ranges = {k.path: k for k in knobs(sc)}
    out: list[Lever] = []
    for text in items:
        key, sep, rng = str(text).partition("=")
        key = key.strip()
        if key not in ranges:
            raise DiscoveryError(
                f"{field} {key!r}: not a calibrated parameter; allowed: "
                + ", ".join(sorted(ranges)[:12])
                + f", ... ({len(ranges)} in all; see docs/CALIBRATION.md)"
            )
        if key in [lv.path for lv in out]:
            raise DiscoveryError(f"{field} {key}: given twice")
        kn = ranges[key]
        lo, hi = kn.lo, kn.hi
        if sep:
            a, _, b = rng.partition(":")
            try:
                lo, hi = float(a), float(b)
            except ValueError:
                raise DiscoveryError(f"{field} {text!r}: expected LOW:HIGH numbers") from None
            if not (kn.lo <= lo < hi <= kn.hi):
                raise DiscoveryError(
                    f"{field} {text!r}: LOW < HIGH inside the calibration range {kn.lo} to {kn.hi}"
                )
        out.append(Lever(key, "int" if kn.integer else "float", float(lo), float(hi)))
    return out


def design(
    levers: list[Lever], n: int, seed: int, sampler: str = "lhs", key: int = _POLICY_KEY
) -> list[dict[str, Any]]:
    """``n`` points over the levers' ranges (a Latin hypercube or a scrambled Sobol'
    sequence, scipy.stats.qmc, reproducible from ``seed``): one dict per point;
    switches are on where the unit draw is at least 0.5, integers are rounded."""
    from scipy.stats import qmc

    if sampler not in SAMPLERS:
        raise DiscoveryError(f"--sampler {sampler!r}; allowed: {', '.join(SAMPLERS)}")
    if n < 2:
        raise DiscoveryError(f"--samples {n}: at least 2")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))
    d = len(levers)
    if sampler == "lhs":
        u = qmc.LatinHypercube(d=d, seed=rng).random(n)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a sample size that is not a power of 2
            u = qmc.Sobol(d=d, scramble=True, seed=rng).random(n)
    points: list[dict[str, Any]] = []
    for row in u:
        p: dict[str, Any] = {}
        for lv, x in zip(levers, row.tolist(), strict=True):
            if lv.kind == "bool":
                p[lv.path] = bool(x >= 0.5)
            elif lv.kind == "int":
                p[lv.path] = int(round(lv.lo + x * (lv.hi - lv.lo)))
            else:
                p[lv.path] = float(lv.lo + x * (lv.hi - lv.lo))
        points.append(p)
    return points


@dataclass(frozen=True)
class DiscoveryRun:
    """A discovery experiment's answer: ``points`` (one row per point: sample, the
    levers, the uncertain parameters, the outcomes averaged over its replicates, and
    ``criterion``), PRIM's ``result`` (None when the criterion holds in no point or in
    every point) and the levers' ``scores`` (extra trees, on the criterion)."""

    experiment: str
    criterion: str
    levers: tuple[str, ...]
    uncertain: tuple[str, ...]
    points: pd.DataFrame
    result: Discovery | None
    scores: pd.Series | None
    summary: Any = None
    years: tuple[int, int] | None = None  # of the outcomes named without their own


def run_discovery(
    scenario: Any = "baseline",
    criterion: str = "",
    levers: Any = None,
    samples: int = 200,
    uncertain: Any = None,
    uncertain_samples: int = 4,
    runs: int = 1,
    years: tuple[int, int] | None = None,
    sampler: str = "lhs",
    threshold: float = 0.8,
    seed: int | None = None,
    overrides: Any = None,
    *,
    loaded: Any = None,
    execution: Any = None,
    **options: Any,
) -> DiscoveryRun:
    """Scenario discovery on the model: ``samples`` points over the policy ``levers``
    (default :data:`DEFAULT_LEVERS`), each crossed with ``uncertain_samples`` draws of
    the ``uncertain`` structural parameters (none by default), each run ``runs`` times
    as one stored experiment (kind ``discovery``); the ``criterion`` (see
    :func:`parse_criterion`; its names are outcomes of :mod:`overcap.outcomes`, a bare
    metric over ``years``) is evaluated on each point's outcomes averaged over its
    replicates; PRIM finds the box of levers where it holds (density at least
    ``threshold``) and extra trees score the levers. ``execution`` (or its fields as
    keywords) says where and how the runs go; a resume runs only what is missing."""
    from overcap.experiments import (
        Execution,
        ExperimentError,
        check_loaded,
        overrides_dict,
        resolve,
        run_experiment,
    )
    from overcap.outcomes import OutcomeError, experiment_values, parse

    ex = Execution.of(execution, **options)
    check_loaded(scenario, loaded)
    crit = parse_criterion(criterion)
    lev = parse_levers(DEFAULT_LEVERS if not levers else levers)
    if runs < 1:
        raise DiscoveryError(f"--runs {runs}: at least 1")
    _check_range("threshold", threshold, 0.0, 1.0)
    base = overrides_dict(overrides)
    clash = sorted(set(base) & {lv.path for lv in lev})
    if clash:
        raise DiscoveryError(f"{clash[0]} is both set (--set) and a lever; vary it or set it")
    sc = loaded if loaded is not None else resolve(scenario, base)
    unc = uncertain_levers(uncertain or [], sc)
    both = sorted({u.path for u in unc} & ({lv.path for lv in lev} | set(base)))
    if both:
        raise DiscoveryError(f"--uncertain {both[0]}: also a lever or set; draw it one way")
    if unc and uncertain_samples < 1:
        raise DiscoveryError(f"--uncertain-samples {uncertain_samples}: at least 1")
    recorded = (sc.time.start_year, sc.time.end_year)
    if years is not None and (years[0] < recorded[0] or years[1] > recorded[1]):
        raise DiscoveryError(
            f"--years {years[0]}-{years[1]}: not all recorded; the scenario records "
            f"{recorded[0]}-{recorded[1]}"
        )
    try:
        outs = [parse(n, recorded, years, "--criterion") for n in crit.names]
    except OutcomeError as exc:
        raise DiscoveryError(str(exc)) from None
    _ema()  # the extra is missing: say so before anything runs
    s = sc.seed if seed is None else int(seed)
    policies = design(lev, samples, s, sampler)
    draws = design(unc, uncertain_samples, s, "lhs", _UNCERTAIN_KEY) if unc else [{}]
    points = [{**p, **u} for p in policies for u in draws]
    # the criterion decides what is read from the runs, not which runs exist: it is
    # recorded (``extra``, and each analysis's in discovery/meta.json) but not part of
    # the design, so a --resume can ask another criterion of the same runs
    spec_design = {
        "levers": {lv.path: [lv.kind, lv.lo, lv.hi] for lv in lev},
        "uncertain": {u.path: [u.kind, u.lo, u.hi] for u in unc},
        "samples": samples,
        "uncertain_samples": uncertain_samples if unc else 0,
        "sampler": sampler,
    }
    exp, summary = run_experiment(
        "discovery",
        [(scenario, p) for p in points],
        runs,
        s,
        base,
        design=spec_design,
        extra={"criterion": crit.text},
        loaded={scenario: sc} if isinstance(scenario, str) else None,
        execution=ex,
    )
    if summary.missing or summary.failed:
        raise ExperimentError(
            f"{summary.missing} runs missing and {summary.failed} failed of {summary.total}; "
            f"discovery needs every point: resume experiment {exp.name!r} "
            "(--resume, --retry-failed)"
        )
    vals = experiment_values(exp, outs)
    per = vals.groupby("sample", sort=True)[[o.name for o in outs]].mean()
    table = exp.samples().drop(columns=["scenario"]).set_index("sample")
    table = table.join(per)
    names = [o.name for o in outs]
    bad = [n for n in names if not np.isfinite(table[n].to_numpy(dtype=float)).all()]
    if bad:
        raise DiscoveryError(f"outcome {bad[0]}: not finite in some points; no discovery")
    y = crit.evaluate({n: table[n].to_numpy(dtype=float) for n in names})
    table["criterion"] = y
    x = table[[lv.path for lv in lev]]
    x = x.astype({lv.path: bool for lv in lev if lv.kind == "bool"})
    result: Discovery | None = None
    scores: pd.Series | None = None
    if y.any() and not y.all():
        # the whole peeling trajectory (ema-workbench keeps it only when its last box
        # reaches the threshold), then the box chosen at the threshold asked for
        full = discover(x.reset_index(drop=True), y, threshold=_ANY_DENSITY)
        result = dataclasses.replace(
            full, chosen=choose(full.trajectory, threshold), threshold=threshold
        )
        feats = table[[lv.path for lv in lev] + [u.path for u in unc]]
        feats = feats.astype({lv.path: bool for lv in lev if lv.kind == "bool"})
        scores = feature_scores(feats.reset_index(drop=True), y)
    out = DiscoveryRun(
        experiment=exp.name,
        criterion=crit.text,
        levers=tuple(lv.path for lv in lev),
        uncertain=tuple(u.path for u in unc),
        points=table.reset_index(),
        result=result,
        scores=scores,
        summary=summary,
        years=years,
    )
    _store_discovery(exp, out)
    return out


def _store_discovery(exp: Any, run: DiscoveryRun) -> None:
    import json

    folder = exp.folder / "discovery"
    folder.mkdir(exist_ok=True)
    frames = {"points": run.points}
    if run.result is not None:
        frames["trajectory"] = run.result.trajectory
        boxes = [b.reset_index().assign(step=i) for i, b in enumerate(run.result.boxes)]
        frames["boxes"] = pd.concat(boxes, ignore_index=True)
    if run.scores is not None:
        frames["scores"] = run.scores.reset_index()
    for name, frame in frames.items():
        tmp = folder / f".{name}.parquet.tmp"
        frame.to_parquet(tmp, index=False)
        tmp.replace(folder / f"{name}.parquet")
    meta = {
        "criterion": run.criterion,
        "years": None if run.years is None else list(run.years),
        "levers": list(run.levers),
        "uncertain": list(run.uncertain),
        "chosen": None if run.result is None else run.result.chosen,
        "threshold": None if run.result is None else run.result.threshold,
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
