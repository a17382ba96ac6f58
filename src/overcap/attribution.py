"""Attribution: the mechanisms of the thesis as players of a cooperative game, and their
Shapley values (issue 18).

The game. Each player is one box of the mechanism (the thesis of docs/ODD.md
section 1), switched on or off through scenario overrides (:data:`PLAYERS`). A
coalition ``S`` is the set of mechanisms that are ON; every mechanism outside ``S`` is
switched off by its overrides. The value ``v(S)`` is an outcome of the model run with
those overrides (idle capacity, zombie share, fiscal cost/GDP, margin, export share, GDP
growth, ...), one number per replicate ``r``. Replicate ``r`` uses the same random stream
in every coalition (common random numbers), so ``v(S ∪ {i})[r] - v(S)[r]`` is a paired
difference and the noise of the model largely cancels.

The Shapley value (Shapley 1953) of player ``i`` in a game of ``k`` players ``N``::

    φ_i = Σ_{S ⊆ N \\ {i}} |S|! (k - |S| - 1)! / k!  ·  [v(S ∪ {i}) - v(S)]

It is the only attribution that is efficient (``Σ_i φ_i = v(N) - v(∅)``), symmetric,
gives nothing to a player that never changes the value, and is additive over games.
Because it is linear in ``v``, the mean over replicates of the per-replicate values is
the Shapley value of the expected outcome; :func:`bands` gives the median and a
bootstrap band over replicates.

The Shapley interaction index of a pair (Grabisch and Roubens 1999)::

    I_ij = Σ_{S ⊆ N \\ {i, j}} |S|! (k - |S| - 2)! / (k - 1)!
              · [v(S ∪ {i, j}) - v(S ∪ {i}) - v(S ∪ {j}) + v(S)]

is 0 for players whose effects add up and equals ``c`` for a term ``c`` that appears
only when both are present (which the Shapley values split ``c / 2`` each).

With the nine players below, the exact values need ``2^9 = 512`` coalitions, each run
``R`` times; :func:`shapley_permutation` estimates them from sampled orderings when that
is too much (Castro, Gómez and Tejada 2009; antithetic pairs as in Mitchell et al. 2022).

The estimators above :func:`attribute` are pure: they map coalitions to overrides and
values to attributions, and run nothing. :func:`attribute` runs the coalitions as one
experiment in the results store (kind ``attribution``: one sample per coalition, its
overrides as the sample's parameters), reads the outcomes of :mod:`overcap.outcomes`
from it and stores the answer with it; :func:`load` reads that answer back.

References: Shapley, L. S. (1953), A value for n-person games, Contributions to the
Theory of Games II, 307-317. Grabisch, M. and Roubens, M. (1999), An axiomatic approach
to the concept of interaction among players in cooperative games, International Journal
of Game Theory 28, 547-565. Castro, J., Gómez, D. and Tejada, J. (2009), Polynomial
calculation of the Shapley value based on sampling, Computers & Operations Research 36,
1726-1730. Mitchell, R., Cooper, J., Frank, E. and Holmes, G. (2022), Sampling
permutations for Shapley value estimation, Journal of Machine Learning Research 23(43),
1-46.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import factorial
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

# The exact estimator weighs with the integers |S|! (k - |S| - 1)!, exact in float64
# (below 2^53) up to k = 18; 2^16 coalitions is already far beyond a model experiment.
MAX_PLAYERS = 16


class AttributionError(ValueError):
    """A malformed game: missing coalitions, ragged replicates, bad player indices."""


@dataclass(frozen=True)
class Player:
    """One mechanism of the thesis: its name, the scenario overrides that switch it off,
    and one sentence on what switching it off means."""

    name: str
    off: Mapping[str, Any]
    doc: str


def _player(name: str, off: dict[str, Any], doc: str) -> Player:
    return Player(name, MappingProxyType(off), doc)


#: The mechanisms of the thesis (docs/ODD.md section 1: seven, and the investment wave).
#: The overrides are those of docs/ODD.md section 8 (switches) and the schema's ranges.
#: No two players override the same key, so any coalition's overrides are well defined.
#: Not players: the centre's growth targets (no switch: they are data) and the scripted
#: regime events (the policy cycle switch already ignores them); the switches that are
#: not mechanisms of the thesis (stimulus, learning, input prices, exports, imports, entry) stay
#: as the base scenario sets them.
PLAYERS: tuple[Player, ...] = (
    _player(
        "strategic_label",
        {"centre.strategic": {}},
        "the centre names no strategic sector in any year (there is no switch: an empty "
        "centre.strategic table removes the label, so neither provinces' alignment nor "
        "investors' strategic optimism acts)",
    ),
    _player(
        "tournament",
        {"switches.subsidies": False, "switches.tournament": False, "switches.herding": False},
        "provinces neither compete for promotion nor copy each other, and subsidise "
        "nothing (subsidies off already zeroes every intensity; the other two are set "
        "so that the player means the same if subsidies are later split off)",
    ),
    _player(
        "soft_budget",
        {"switches.soft_budget": False, "switches.bailouts": False},
        "every firm pays the private rate and risk premium, is rationed by its equity, "
        "and exits when insolvent: no soft budget and no bailouts, so no zombies",
    ),
    _player(
        "soe_output_targets",
        {"switches.soe_output_targets": False},
        "state-owned and protected firms no longer must run at a target utilisation",
    ),
    _player(
        "local_protection",
        {"switches.local_protection": False},
        "provinces protect no private firm: none is must-run or soft-budget by protection",
    ),
    _player(
        "limited_visibility",
        {"investment.visibility": 1.0},
        "investors see all of others' capacity under construction (visibility 1.0, the "
        "top of its range 0-1), so the investment wave does not overshoot for want of it",
    ),
    _player(
        "trade_response",
        {
            "switches.trade_defence": False,
            "switches.scripted_tariffs": False,
            "switches.countermeasures": False,
        },
        "partners open no trade-defence measures and impose no scripted tariffs, and the "
        "state starts no export controls in answer",
    ),
    _player(
        "campaigns",
        {"switches.campaigns": False, "switches.price_rules": False},
        "no campaign retires capacity and no price floor (anti-involution) holds prices up",
    ),
    _player(
        "policy_cycle",
        {"switches.policy_cycle": False},
        "the centre stays in the neutral regime (no loosen, chaos, control or stagnation) "
        "and ignores scripted regime events",
    ),
)


Coalition = frozenset[int] | int


def player_names(players: Sequence[Player] = PLAYERS) -> list[str]:
    """The players' names, in order."""
    return [p.name for p in players]


def _mask(coalition: Coalition | Iterable[int], k: int) -> int:
    """The bitmask of a coalition (bit ``i`` set when player ``i`` is in it)."""
    if isinstance(coalition, bool):
        raise AttributionError(f"coalition: a set of player indices or a bitmask, got {coalition}")
    if isinstance(coalition, int | np.integer):
        m = int(coalition)
        if not 0 <= m < 1 << k:
            raise AttributionError(f"coalition {m}: a bitmask of {k} players is 0 to {2**k - 1}")
        return m
    m = 0
    for i in coalition:
        if isinstance(i, bool) or not isinstance(i, int | np.integer) or not 0 <= i < k:
            raise AttributionError(f"coalition: player index {i!r} is not in 0 to {k - 1}")
        m |= 1 << int(i)
    return m


def coalitions(players: Sequence[Player] = PLAYERS) -> list[frozenset[int]]:
    """All ``2^k`` coalitions, in bitmask order: element ``m`` holds player ``i`` when bit
    ``i`` of ``m`` is set (so element 0 is the empty coalition, the last the full one)."""
    k = len(players)
    if not 1 <= k <= MAX_PLAYERS:
        raise AttributionError(f"players: {k} given; allowed 1 to {MAX_PLAYERS}")
    return [frozenset(i for i in range(k) if m >> i & 1) for m in range(1 << k)]


def coalition_overrides(
    coalition: Coalition | Iterable[int], players: Sequence[Player] = PLAYERS
) -> dict[str, Any]:
    """The scenario overrides of a coalition: the ``off`` overrides of every player NOT in
    it (the players in it keep the base scenario's setting). The full coalition gives
    ``{}``, the empty one switches every mechanism off."""
    k = len(players)
    m = _mask(coalition, k)
    out: dict[str, Any] = {}
    for i, p in enumerate(players):
        if m >> i & 1:
            continue
        for key, value in p.off.items():
            if key in out and out[key] != value:
                raise AttributionError(
                    f"players: {p.name} sets {key} = {value!r}, another player {out[key]!r}"
                )
            out[key] = value
    return out


def value_table(values: Mapping[Any, Any], k: int) -> np.ndarray:
    """The values of all ``2^k`` coalitions as an array ``(2^k, R)`` in bitmask order.
    Keys are bitmasks or sets of player indices; each value is a number or an array over
    ``R`` replicates (the same ``R`` for every coalition)."""
    if not 1 <= k <= MAX_PLAYERS:
        raise AttributionError(f"k: {k} players; allowed 1 to {MAX_PLAYERS}")
    rows: dict[int, np.ndarray] = {}
    for key, val in values.items():
        m = _mask(key, k)
        if m in rows:
            raise AttributionError(f"values: coalition {sorted(_members(m, k))} given twice")
        arr = np.atleast_1d(np.asarray(val, dtype=float))
        if arr.ndim != 1:
            raise AttributionError(
                f"values: coalition {sorted(_members(m, k))} has shape {arr.shape}; "
                "allowed a number or a 1-d array over replicates"
            )
        rows[m] = arr
    missing = [m for m in range(1 << k) if m not in rows]
    if missing:
        raise AttributionError(
            f"values: {len(missing)} of {2**k} coalitions missing, e.g. "
            f"{sorted(_members(missing[0], k))}"
        )
    widths = {a.shape[0] for a in rows.values()}
    if len(widths) != 1:
        raise AttributionError(f"values: replicate counts differ between coalitions {widths}")
    return np.stack([rows[m] for m in range(1 << k)])


def _members(m: int, k: int) -> list[int]:
    return [i for i in range(k) if m >> i & 1]


def _popcount(k: int) -> np.ndarray:
    masks = np.arange(1 << k)
    return np.array([bin(int(m)).count("1") for m in masks], dtype=np.int64)


def shapley_exact(values: Mapping[Any, Any], k: int) -> np.ndarray:
    """Exact Shapley values ``(k, R)`` from the values of all ``2^k`` coalitions.

    ``φ_i = (1 / k!) Σ_{S ∌ i} |S|! (k - |S| - 1)! [v(S ∪ {i}) - v(S)]``, computed per
    replicate with the integer weights and one division by ``k!``, so integer-valued games
    come out exact to rounding. ``Σ_i φ_i = v(N) - v(∅)`` for every replicate
    (efficiency)."""
    table = value_table(values, k)
    size = _popcount(k)
    weight = np.array(
        [factorial(s) * factorial(k - s - 1) for s in range(k)], dtype=float
    )  # exact integers
    masks = np.arange(1 << k)
    phi = np.empty((k, table.shape[1]))
    for i in range(k):
        without = masks[(masks >> i & 1) == 0]
        diff = table[without | 1 << i] - table[without]
        phi[i] = weight[size[without]] @ diff / factorial(k)
    return phi


def interaction_index(
    values: Mapping[Any, Any], i: int, j: int, k: int | None = None
) -> np.ndarray:
    """The Shapley interaction index ``I_ij`` (Grabisch and Roubens 1999) per replicate:
    ``Σ_{S ⊆ N \\ {i,j}} |S|! (k-|S|-2)! / (k-1)! · [v(S∪ij) - v(S∪i) - v(S∪j) + v(S)]``.
    Positive when the two mechanisms reinforce each other, negative when either one
    does (part of) the other's work. ``k`` is inferred from the number of coalitions when
    not given."""
    if k is None:
        k = max(len(values), 1).bit_length() - 1
    if k < 2:
        raise AttributionError(f"k: {k} players; an interaction needs at least 2")
    for name, p in (("i", i), ("j", j)):
        if not 0 <= p < k:
            raise AttributionError(f"{name}: player index {p} is not in 0 to {k - 1}")
    if i == j:
        raise AttributionError(f"i, j: the same player {i}; an interaction needs two")
    table = value_table(values, k)
    size = _popcount(k)
    masks = np.arange(1 << k)
    rest = masks[((masks >> i & 1) == 0) & ((masks >> j & 1) == 0)]
    bi, bj = 1 << i, 1 << j
    delta = table[rest | bi | bj] - table[rest | bi] - table[rest | bj] + table[rest]
    weight = np.array([factorial(s) * factorial(k - s - 2) for s in range(k - 1)], dtype=float)
    out: np.ndarray = weight[size[rest]] @ delta / factorial(k - 1)
    return out


@dataclass(frozen=True)
class PermutationEstimate:
    """A sampled Shapley estimate: ``values`` and ``stderr`` ``(k, R)``, the number of
    orderings drawn and of distinct coalitions evaluated (model runs per replicate)."""

    values: np.ndarray
    stderr: np.ndarray
    n_perm: int
    n_evaluations: int


def shapley_permutation(
    value_fn: Callable[[frozenset[int]], Any],
    k: int,
    n_perm: int,
    rng: np.random.Generator,
    antithetic: bool = True,
) -> PermutationEstimate:
    """Shapley values estimated from ``n_perm`` orderings of the players.

    For an ordering ``π``, player ``i``'s marginal contribution is
    ``v(P_i^π ∪ {i}) - v(P_i^π)``, ``P_i^π`` the players before it; its mean over uniformly
    drawn orderings is an unbiased estimate of ``φ_i`` (Castro, Gómez and Tejada 2009),
    and each ordering's contributions add up to ``v(N) - v(∅)``, so the estimate is
    efficient too. With ``antithetic`` (the default) the orderings come in pairs ``π`` and
    its reverse, and the pair's mean is one sample (Mitchell et al. 2022): every other
    player ``j`` comes before ``i`` in exactly one of the two, so a game with at most
    pairwise interactions is estimated exactly, and higher-order terms with less
    variance. The standard error is ``sd(samples) / sqrt(n_samples)`` per player and
    replicate. ``value_fn(coalition)`` returns a number or an array over replicates; it is
    called once per distinct coalition (memoised): at most ``n_perm (k - 1) + 2`` calls."""
    if not 1 <= k <= MAX_PLAYERS:
        raise AttributionError(f"k: {k} players; allowed 1 to {MAX_PLAYERS}")
    per = 2 if antithetic else 1
    if n_perm < 2 * per or n_perm % per:
        raise AttributionError(
            f"n_perm: {n_perm}; allowed an "
            + ("even number of at least 4 (antithetic pairs)" if antithetic else "integer >= 2")
        )
    cache: dict[int, np.ndarray] = {}

    def v(m: int) -> np.ndarray:
        if m not in cache:
            arr = np.atleast_1d(np.asarray(value_fn(frozenset(_members(m, k))), dtype=float))
            if arr.ndim != 1:
                raise AttributionError(f"value_fn: returned shape {arr.shape}; allowed 1-d")
            cache[m] = arr
        return cache[m]

    def marginals(order: np.ndarray) -> np.ndarray:
        out = np.empty((k, v(0).shape[0]))
        m, prev = 0, v(0)
        for p in order:
            m |= 1 << int(p)
            cur = v(m)
            out[p] = cur - prev
            prev = cur
        return out

    n_samples = n_perm // per
    samples = []
    for _ in range(n_samples):
        order = rng.permutation(k)
        s = marginals(order)
        if antithetic:
            s = (s + marginals(order[::-1])) / 2.0
        samples.append(s)
    arr = np.stack(samples)  # (n_samples, k, R)
    return PermutationEstimate(
        values=arr.mean(axis=0),
        stderr=arr.std(axis=0, ddof=1) / np.sqrt(n_samples),
        n_perm=n_perm,
        n_evaluations=len(cache),
    )


def bands(
    contrib: np.ndarray,
    level: float = 0.9,
    n_boot: int = 2000,
    rng: np.random.Generator | None = None,
    players: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per player: the median of its contributions over replicates and a bootstrap
    percentile band of that median (replicates resampled with replacement, ``n_boot``
    times; the band holds the middle ``level`` of the resampled medians), plus the mean
    (the Shapley value of the expected outcome). ``contrib`` is ``(k, R)``, as from
    :func:`shapley_exact`. Indexed by player name (``players``, default ``p0, p1...``)."""
    c = np.asarray(contrib, dtype=float)
    if c.ndim != 2 or c.shape[1] < 1:
        raise AttributionError(f"contrib: shape {c.shape}; allowed (players, replicates)")
    if not 0.0 < level < 1.0:
        raise AttributionError(f"level: {level}; allowed strictly between 0 and 1")
    if n_boot < 1:
        raise AttributionError(f"n_boot: {n_boot}; allowed at least 1")
    names = list(players) if players is not None else [f"p{i}" for i in range(c.shape[0])]
    if len(names) != c.shape[0]:
        raise AttributionError(f"players: {len(names)} names for {c.shape[0]} rows of contrib")
    gen = rng if rng is not None else np.random.default_rng(0)
    idx = gen.integers(0, c.shape[1], size=(n_boot, c.shape[1]))
    boot = np.median(c[:, idx], axis=2)  # (k, n_boot)
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2], axis=1)
    return pd.DataFrame(
        {"median": np.median(c, axis=1), "lo": lo, "hi": hi, "mean": c.mean(axis=1)},
        index=pd.Index(names, name="player"),
    )


# ------------------------------------------------------------------ the experiment

#: Above this many runs (coalitions x replicates), ``method="auto"`` samples orderings
#: (:func:`shapley_permutation`) instead of running all ``2^k`` coalitions: 512
#: coalitions (the nine players) x 20 replicates, about three core-hours at a second a
#: run (docs/THESIS.md).
EXACT_RUN_LIMIT = 10_240
METHODS = ("auto", "exact", "permutation")
# the streams of the sampled orderings and of the bootstrap, apart from every
# replicate's (SeedSequence(seed, spawn_key=(r,)) for replicate r)
_ORDER_KEY = 2**31 - 3
_BOOT_KEY = 2**31 - 2


def select_players(names: Sequence[str] | None) -> tuple[Player, ...]:
    """The players named (default: all of :data:`PLAYERS`), in :data:`PLAYERS`' order; a
    one-line AttributionError for an unknown or repeated name, or fewer than two."""
    if names is None or not [n for n in names if n.strip()]:
        return PLAYERS
    by_name = {p.name: p for p in PLAYERS}
    wanted: list[str] = []
    for n in (x.strip() for x in names):
        if not n:
            continue
        if n not in by_name:
            raise AttributionError(
                f"--players {n!r}: unknown mechanism; allowed: {', '.join(by_name)}"
            )
        if n in wanted:
            raise AttributionError(f"--players {n}: given twice")
        wanted.append(n)
    if len(wanted) < 2:
        raise AttributionError("--players: name at least two mechanisms, e.g. tournament,campaigns")
    return tuple(p for p in PLAYERS if p.name in wanted)


def _orderings(k: int, n_perm: int, seed: int) -> list[np.ndarray]:
    """The orderings :func:`shapley_permutation` draws (antithetic pairs) from the
    generator :func:`_order_rng` gives, reproduced to know the coalitions to run."""
    rng = _order_rng(seed)
    out = []
    for _ in range(n_perm // 2):
        order = rng.permutation(k)
        out += [order, order[::-1]]
    return out


def _order_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_ORDER_KEY,)))


def _boot_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_BOOT_KEY,)))


def permutation_masks(k: int, n_perm: int, seed: int) -> list[int]:
    """The coalitions (bitmasks, sorted) that ``n_perm`` sampled orderings visit: every
    prefix of every ordering, the empty and the full coalition included."""
    masks = {0}
    for order in _orderings(k, n_perm, seed):
        m = 0
        for p in order:
            m |= 1 << int(p)
            masks.add(m)
    return sorted(masks)


def choose_method(method: str, k: int, runs: int) -> str:
    """``exact`` or ``permutation``: ``auto`` is exact up to :data:`EXACT_RUN_LIMIT` runs."""
    if method not in METHODS:
        raise AttributionError(f"--method {method!r}; allowed: {', '.join(METHODS)}")
    if method == "auto":
        return "exact" if (1 << k) * runs <= EXACT_RUN_LIMIT else "permutation"
    return method


@dataclass(frozen=True)
class Attribution:
    """An attribution experiment's answer.

    ``contributions``: one row per outcome and player: ``median`` over replicates of the
    player's Shapley value, its bootstrap band ``lo``-``hi`` (``level``), ``mean`` (the
    Shapley value of the expected outcome) and ``stderr`` (of the mean, from the sampled
    orderings; NaN for the exact method). ``totals``: per outcome, the outcome with
    every mechanism on (``full``) and off (``null``), medians over replicates, and the
    difference ``total`` (median, band, mean) that the contributions add up to.
    ``interactions``: per outcome and pair, the Shapley interaction index (mean, median,
    band); empty for the permutation method. ``values``: the outcome of every run
    (sample, coalition bitmask, replicate)."""

    experiment: str
    scenario: str
    method: str
    players: tuple[str, ...]
    runs: int
    level: float
    contributions: pd.DataFrame
    totals: pd.DataFrame
    interactions: pd.DataFrame
    values: pd.DataFrame
    outcomes: dict[str, str]  # name -> label
    summary: Any = None  # the run's Summary, when it was just run

    def strongest_pairs(self, outcome: str, n: int = 3) -> pd.DataFrame:
        """The ``n`` pairs of largest absolute mean interaction for ``outcome``."""
        t = self.interactions[self.interactions["outcome"] == outcome]
        if t.empty:
            return t
        order = t["mean"].abs().sort_values(ascending=False, kind="stable").index
        return t.loc[order[:n]].reset_index(drop=True)


def attribute(
    scenario: str | Any = "baseline",
    runs: int = 10,
    outcomes: Sequence[str] | None = None,
    years: tuple[int, int] | None = None,
    players: Sequence[str] | None = None,
    method: str = "auto",
    permutations: int | None = None,
    seed: int | None = None,
    overrides: dict[str, Any] | list[str] | None = None,
    level: float = 0.9,
    n_boot: int = 2000,
    *,
    loaded: Any = None,
    execution: Any = None,
    **options: Any,
) -> Attribution:
    """Each mechanism's share of the outcomes (Shapley values), from one experiment in
    the results store: every coalition of ``players`` (default: all nine of
    :data:`PLAYERS`; a mechanism not named stays as the scenario sets it) times ``runs``
    replicates, replicate ``r`` of every coalition on random stream ``r`` of ``seed``
    (common random numbers). ``method``: ``exact`` (all ``2^k`` coalitions),
    ``permutation`` (``permutations`` sampled orderings in antithetic pairs, default
    ``2k``, and only the coalitions they visit) or ``auto`` (exact up to
    :data:`EXACT_RUN_LIMIT` runs). ``outcomes``: names of :mod:`overcap.outcomes`
    (default: its DEFAULT_OUTCOMES); ``years``: the window of the outcomes given without
    one. ``level``: the bootstrap band's coverage. ``execution`` (or its fields as
    keywords: name, results, resume, retry_failed, workers, scheduler, client,
    batch_size, progress) says where and how the runs go; resuming a stored experiment
    runs only what is missing and recomputes the answer (for other outcomes too)."""
    from overcap.experiments import (
        Execution,
        ExperimentError,
        check_loaded,
        overrides_dict,
        resolve,
        run_experiment,
    )
    from overcap.outcomes import OutcomeError, parse_all

    ex = Execution.of(execution, **options)
    check_loaded(scenario, loaded)
    if runs < 1:
        raise AttributionError(f"--runs {runs}: at least 1")
    if not 0.0 < level < 1.0:
        raise AttributionError(f"level: {level}; allowed strictly between 0 and 1")
    chosen = select_players(players)
    k = len(chosen)
    how = choose_method(method, k, runs)
    if how == "permutation":
        n_perm = 2 * k if permutations is None else int(permutations)
        if n_perm < 4 or n_perm % 2:
            raise AttributionError(
                f"--permutations {n_perm}: an even number of at least 4 (antithetic pairs)"
            )
    elif permutations is not None:
        raise AttributionError("--permutations goes with --method permutation (or auto)")
    base = overrides_dict(overrides)
    sc = loaded if loaded is not None else resolve(scenario, base)
    recorded = (sc.time.start_year, sc.time.end_year)
    if years is not None and (years[0] < recorded[0] or years[1] > recorded[1]):
        raise AttributionError(
            f"--years {years[0]}-{years[1]}: not all recorded; the scenario records "
            f"{recorded[0]}-{recorded[1]}"
        )
    try:
        outs = parse_all(outcomes, recorded, years)
    except OutcomeError as exc:
        raise AttributionError(str(exc)) from None
    s = sc.seed if seed is None else int(seed)
    masks = list(range(1 << k)) if how == "exact" else permutation_masks(k, n_perm, s)
    samples = [(scenario, coalition_overrides(m, chosen)) for m in masks]
    design: dict[str, Any] = {
        "method": how,
        "players": [p.name for p in chosen],
        "coalitions": masks,
    }
    if how == "permutation":
        design["permutations"] = n_perm
    exp, summary = run_experiment(
        "attribution",
        samples,
        runs,
        s,
        base,
        design=design,
        loaded={scenario: sc} if isinstance(scenario, str) else None,
        execution=ex,
    )
    if summary.missing or summary.failed:
        raise ExperimentError(
            f"{summary.missing} runs missing and {summary.failed} failed of {summary.total}; "
            f"Shapley values need every coalition and replicate: resume experiment "
            f"{exp.name!r} (--resume, --retry-failed)"
        )
    out = analyse(exp, [o.name for o in outs], years, level, n_boot)
    return dataclasses.replace(out, summary=summary)


def analyse(
    exp: Any,
    outcomes: Sequence[str] | None = None,
    years: tuple[int, int] | None = None,
    level: float = 0.9,
    n_boot: int = 2000,
) -> Attribution:
    """The Shapley values, bands and interactions of a complete attribution experiment
    for ``outcomes``, stored with it (``attribution/*.parquet`` and catalog tables
    ``contributions``, ``totals``, ``interactions``, ``outcome_values``)."""
    from overcap.outcomes import experiment_values, parse_all

    d = exp.spec["design"]
    if exp.spec["kind"] != "attribution":
        raise AttributionError(
            f"experiment {exp.name!r} is a {exp.spec['kind']} experiment, not an attribution"
        )
    names: list[str] = list(d["players"])
    masks: list[int] = [int(m) for m in d["coalitions"]]
    k, runs, seed = len(names), int(exp.spec["runs"]), int(exp.spec["seed"])
    sc = exp.scenario(0)
    outs = parse_all(outcomes, (sc.time.start_year, sc.time.end_year), years)
    vals = experiment_values(exp, outs)
    if len(vals) != len(masks) * runs:
        raise AttributionError(
            f"experiment {exp.name!r}: {len(vals)} ok runs of {len(masks) * runs}; "
            "Shapley values need every coalition and replicate (resume it)"
        )
    vals = vals.sort_values(["sample", "replicate"]).reset_index(drop=True)
    vals.insert(1, "coalition", [masks[int(j)] for j in vals["sample"]])
    contrib, totals, inter = [], [], []
    for o in outs:
        table = vals[o.name].to_numpy(dtype=float).reshape(len(masks), runs)
        if not np.isfinite(table).all():
            raise AttributionError(f"outcome {o.name}: not finite in some runs; no attribution")
        by_mask = {m: table[i] for i, m in enumerate(masks)}
        if d["method"] == "exact":
            phi = shapley_exact(by_mask, k)
            stderr = np.full(k, np.nan)
        else:
            n_perm = int(d["permutations"])

            def game(c: frozenset[int], t: dict[int, np.ndarray] = by_mask) -> np.ndarray:
                return t[_mask(c, k)]

            def mean_game(c: frozenset[int], t: dict[int, np.ndarray] = by_mask) -> float:
                return float(t[_mask(c, k)].mean())

            est = shapley_permutation(game, k, n_perm, _order_rng(seed))
            mean_est = shapley_permutation(mean_game, k, n_perm, _order_rng(seed))
            phi, stderr = est.values, mean_est.stderr[:, 0]
        b = bands(phi, level, n_boot, _boot_rng(seed), names).reset_index()
        b.insert(0, "outcome", o.name)
        b["stderr"] = stderr
        contrib.append(b)
        full, null = by_mask[(1 << k) - 1], by_mask[0]
        tb = bands((full - null)[None, :], level, n_boot, _boot_rng(seed), ["total"])
        trow = tb.to_numpy(dtype=float)[0]  # median, lo, hi, mean
        totals.append(
            {
                "outcome": o.name,
                "label": o.label,
                "full": float(np.median(full)),
                "null": float(np.median(null)),
                "total": float(trow[0]),
                "lo": float(trow[1]),
                "hi": float(trow[2]),
                "mean": float(trow[3]),
            }
        )
        if d["method"] == "exact" and k >= 2:
            pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
            idx = np.stack([interaction_index(by_mask, i, j, k) for i, j in pairs])
            ib = bands(idx, level, n_boot, _boot_rng(seed), [f"{i},{j}" for i, j in pairs])
            cells = ib[["median", "lo", "hi", "mean"]].to_numpy(dtype=float)
            for (i, j), (med, lo, hi, mean) in zip(pairs, cells.tolist(), strict=True):
                inter.append(
                    {
                        "outcome": o.name,
                        "a": names[i],
                        "b": names[j],
                        "mean": mean,
                        "median": med,
                        "lo": lo,
                        "hi": hi,
                    }
                )
    contributions = pd.concat(contrib, ignore_index=True)
    tot = pd.DataFrame(totals)
    interactions = pd.DataFrame(inter, columns=["outcome", "a", "b", "mean", "median", "lo", "hi"])
    long = vals.melt(
        id_vars=["run", "coalition", "sample", "replicate"],
        value_vars=[o.name for o in outs],
        var_name="outcome",
        value_name="value",
    )
    meta = {
        "level": level,
        "n_boot": n_boot,
        "outcomes": {o.name: o.label for o in outs},
        "years": {o.name: list(o.years) for o in outs},
    }
    _store(exp, contributions, tot, interactions, long, meta)
    return Attribution(
        experiment=exp.name,
        scenario=str(exp.spec["scenarios"][0]),
        method=str(d["method"]),
        players=tuple(names),
        runs=runs,
        level=level,
        contributions=contributions,
        totals=tot,
        interactions=interactions,
        values=long,
        outcomes={o.name: o.label for o in outs},
    )


_TABLES = ("contributions", "totals", "interactions", "outcome_values")


def _store(
    exp: Any,
    contributions: pd.DataFrame,
    totals: pd.DataFrame,
    interactions: pd.DataFrame,
    values: pd.DataFrame,
    meta: dict[str, Any],
) -> None:
    import json

    folder = exp.folder / "attribution"
    folder.mkdir(exist_ok=True)
    frames = dict(zip(_TABLES, (contributions, totals, interactions, values), strict=True))
    for name, frame in frames.items():
        tmp = folder / f".{name}.parquet.tmp"
        frame.to_parquet(tmp, index=False)
        tmp.replace(folder / f"{name}.parquet")
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    def fn(con: Any) -> None:
        for name, frame in frames.items():
            con.register(f"_{name}", frame)
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _{name}")

    with exp.store.lock():
        exp.store.write(fn)


def load(name: str, results: Any = None) -> Attribution:
    """The answer stored with attribution experiment ``name`` (as last computed by
    :func:`attribute` or :func:`analyse`), without running or recomputing anything."""
    import json

    from overcap.experiments import open_experiment

    exp = open_experiment(name, results)
    if exp.spec["kind"] != "attribution":
        raise AttributionError(
            f"experiment {name!r} is a {exp.spec['kind']} experiment, not an attribution"
        )
    folder = exp.folder / "attribution"
    if not (folder / "meta.json").exists():
        raise AttributionError(
            f"experiment {name!r} has no Shapley values yet (it is incomplete: resume it "
            "with overcap attribute --name ... --resume)"
        )
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    t = {n: pd.read_parquet(folder / f"{n}.parquet") for n in _TABLES}
    d = exp.spec["design"]
    return Attribution(
        experiment=exp.name,
        scenario=str(exp.spec["scenarios"][0]),
        method=str(d["method"]),
        players=tuple(d["players"]),
        runs=int(exp.spec["runs"]),
        level=float(meta["level"]),
        contributions=t["contributions"],
        totals=t["totals"],
        interactions=t["interactions"],
        values=t["outcome_values"],
        outcomes=dict(meta["outcomes"]),
    )
