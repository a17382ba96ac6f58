"""Attribution: the players and their overrides, and the Shapley machinery on small
synthetic games whose values are known analytically."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from overcap.attribution import (
    PLAYERS,
    AttributionError,
    bands,
    coalition_overrides,
    coalitions,
    interaction_index,
    player_names,
    shapley_exact,
    shapley_permutation,
    value_table,
)
from overcap.scenario import Scenario, Switches, load_scenario

# A game of five players over R = 3 replicates: each player adds its weight (which
# differs by replicate), and players 1 and 3 together add PAIR on top (a pure
# interaction: present only when both are in). Shapley: w_i, plus PAIR / 2 for 1 and 3.
K = 5
W = np.array(
    [[3.0, 1.0, -2.0], [5.0, 0.0, 7.0], [-1.0, 4.0, 2.0], [2.0, 2.0, 2.0], [0.0, -3.0, 1.0]]
)
PAIR = np.array([6.0, -4.0, 10.0])
A, B = 1, 3
# an optional three-way term among 0, 2 and 4 (split a third each)
TRIO = np.array([9.0, 3.0, -6.0])


def game(s: frozenset[int], trio: bool = False) -> np.ndarray:
    v = sum((W[i] for i in s), np.zeros(3))
    if A in s and B in s:
        v = v + PAIR
    if trio and {0, 2, 4} <= s:
        v = v + TRIO
    return v


def exact_values(trio: bool = False) -> np.ndarray:
    phi = W.copy()
    phi[A] += PAIR / 2
    phi[B] += PAIR / 2
    if trio:
        for i in (0, 2, 4):
            phi[i] += TRIO / 3
    return phi


def table(trio: bool = False) -> dict[frozenset[int], np.ndarray]:
    return {c: game(c, trio) for c in coalitions([PLAYERS[0]] * K)}


def test_coalitions_are_all_subsets_in_bitmask_order() -> None:
    cs = coalitions(PLAYERS[:3])
    assert len(cs) == 8 and len(set(cs)) == 8
    assert cs[0] == frozenset() and cs[-1] == frozenset({0, 1, 2})
    assert cs[0b101] == frozenset({0, 2}) and cs[0b010] == frozenset({1})
    assert len(coalitions()) == 2 ** len(PLAYERS)


def test_overrides_switch_off_the_players_outside_the_coalition() -> None:
    assert coalition_overrides(frozenset(range(len(PLAYERS)))) == {}
    full_off = coalition_overrides(frozenset())
    assert full_off == {k: v for p in PLAYERS for k, v in p.off.items()}
    names = player_names()
    i, j = names.index("soft_budget"), names.index("limited_visibility")
    only = coalition_overrides(frozenset(set(range(len(PLAYERS))) - {i, j}))
    assert only == {
        "switches.soft_budget": False,
        "switches.bailouts": False,
        "investment.visibility": 1.0,
    }
    # a bitmask is the same coalition
    assert coalition_overrides(0b11) == coalition_overrides(frozenset({0, 1}))
    with pytest.raises(AttributionError, match="player index 99"):
        coalition_overrides(frozenset({99}))
    with pytest.raises(AttributionError, match="bitmask"):
        coalition_overrides(1 << len(PLAYERS))


def test_players_are_distinct_and_their_overrides_are_valid_and_turn_things_off() -> None:
    names = player_names()
    assert len(set(names)) == len(names)
    keys = [k for p in PLAYERS for k in p.off]
    assert len(keys) == len(set(keys)), "two players override the same key"
    base = load_scenario("baseline")
    for p in PLAYERS:
        assert p.doc
        sc = load_scenario("baseline", overrides=dict(p.off))
        for key, value in p.off.items():
            section, name = key.split(".")
            before = getattr(getattr(base, section), name)
            after = getattr(getattr(sc, section), name)
            assert after == value and after != before, (p.name, key)
    # every switch a player turns off exists and is on in the base scenario
    for key in keys:
        if key.startswith("switches."):
            assert key.split(".")[1] in Switches.model_fields
            assert getattr(base.switches, key.split(".")[1]) is True
    # the empty coalition is one valid scenario
    everything_off = load_scenario("baseline", overrides=coalition_overrides(0))
    assert isinstance(everything_off, Scenario)
    assert not everything_off.switches.subsidies and everything_off.centre.strategic == {}


def test_exact_shapley_recovers_the_analytic_values_of_the_synthetic_game() -> None:
    phi = shapley_exact(table(), K)
    assert phi.shape == (K, 3)
    np.testing.assert_allclose(phi, exact_values(), rtol=0, atol=1e-12)
    phi3 = shapley_exact(table(trio=True), K)
    np.testing.assert_allclose(phi3, exact_values(trio=True), rtol=0, atol=1e-12)
    # keys may be bitmasks as well as sets
    by_mask = {sum(1 << i for i in c): v for c, v in table().items()}
    np.testing.assert_array_equal(shapley_exact(by_mask, K), phi)


def test_efficiency_contributions_add_up_to_full_minus_empty_per_replicate() -> None:
    rng = np.random.default_rng(7)
    k, r = 6, 4
    values = {m: rng.normal(size=r) * 10 for m in range(1 << k)}  # an arbitrary game
    phi = shapley_exact(values, k)
    np.testing.assert_allclose(
        phi.sum(axis=0), values[(1 << k) - 1] - values[0], rtol=0, atol=1e-12
    )
    # a null player (never changes the value) gets exactly nothing
    nul = {m: values[m & ~0b100] for m in range(1 << k)}
    assert np.all(shapley_exact(nul, k)[2] == 0.0)


def test_interaction_index_is_the_pure_pair_term_and_zero_for_additive_pairs() -> None:
    t = table()
    np.testing.assert_allclose(interaction_index(t, A, B), PAIR, rtol=0, atol=1e-12)
    np.testing.assert_allclose(interaction_index(t, B, A, k=K), PAIR, rtol=0, atol=1e-12)
    for i, j in combinations(range(K), 2):
        if {i, j} != {A, B}:
            np.testing.assert_allclose(interaction_index(t, i, j), 0.0, rtol=0, atol=1e-12)
    with pytest.raises(AttributionError, match="the same player"):
        interaction_index(t, 2, 2)
    with pytest.raises(AttributionError, match="player index 7"):
        interaction_index(t, 0, 7)


def test_value_table_names_what_is_wrong() -> None:
    t = table()
    del t[frozenset({0, 4})]
    with pytest.raises(AttributionError, match=r"1 of 32 coalitions missing, e.g. \[0, 4\]"):
        shapley_exact(t, K)
    with pytest.raises(AttributionError, match="replicate counts differ"):
        value_table({0: [1.0, 2.0], 1: [1.0]}, 1)
    with pytest.raises(AttributionError, match="given twice"):
        value_table({0: 1.0, frozenset(): 2.0, 1: 3.0}, 1)
    assert value_table({0: 1.0, 1: 3.0}, 1).shape == (2, 1)


def test_antithetic_permutations_are_exact_for_pairwise_games() -> None:
    est = shapley_permutation(game, K, n_perm=4, rng=np.random.default_rng(1))
    np.testing.assert_allclose(est.values, exact_values(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(est.stderr, 0.0, atol=1e-12)
    assert est.n_evaluations <= 4 * (K - 1) + 2


@pytest.mark.parametrize("antithetic", [True, False])
def test_permutation_estimate_converges_within_its_stated_error(antithetic: bool) -> None:
    truth = exact_values(trio=True)
    calls: list[frozenset[int]] = []

    def fn(s: frozenset[int]) -> np.ndarray:
        calls.append(s)
        return game(s, trio=True)

    small = shapley_permutation(fn, K, 40, np.random.default_rng(3), antithetic=antithetic)
    big = shapley_permutation(fn, K, 1600, np.random.default_rng(4), antithetic=antithetic)
    for est in (small, big):
        assert est.values.shape == est.stderr.shape == (K, 3)
        err = np.abs(est.values - truth)
        assert np.all(err <= 4 * est.stderr + 1e-12)
        # every ordering's contributions add up: the estimate is efficient too
        np.testing.assert_allclose(
            est.values.sum(axis=0), game(frozenset(range(K)), True), atol=1e-9
        )
    # the three-way term makes the estimate noisy for its players, and the error shrinks
    assert np.all(small.stderr[[0, 2, 4]] > 0)
    ratio = big.stderr[[0, 2, 4]] / small.stderr[[0, 2, 4]]
    assert np.all((ratio > 0.08) & (ratio < 0.3))  # about sqrt(40 / 1600) = 0.16
    assert np.abs(big.values - truth).max() < 0.5
    # memoised: each coalition is evaluated once per estimate
    assert len(set(calls)) <= 2**K and len(calls) == small.n_evaluations + big.n_evaluations


def test_permutation_rejects_bad_counts() -> None:
    with pytest.raises(AttributionError, match="n_perm: 5; allowed an even number"):
        shapley_permutation(game, K, 5, np.random.default_rng(0))
    with pytest.raises(AttributionError, match="n_perm: 1"):
        shapley_permutation(game, K, 1, np.random.default_rng(0), antithetic=False)


def test_bands_give_the_median_and_a_bootstrap_band_around_it() -> None:
    rng = np.random.default_rng(5)
    contrib = np.stack([rng.normal(2.0, 1.0, 400), rng.normal(-1.0, 0.1, 400)])
    out = bands(contrib, level=0.9, n_boot=1000, rng=np.random.default_rng(6), players=["a", "b"])
    assert list(out.index) == ["a", "b"] and list(out.columns) == ["median", "lo", "hi", "mean"]
    assert np.all(out["lo"] <= out["median"]) and np.all(out["median"] <= out["hi"])
    np.testing.assert_allclose(out["median"], np.median(contrib, axis=1))
    np.testing.assert_allclose(out["mean"], contrib.mean(axis=1))
    # the band of a median of 400 draws is about 1.645 * 1.2533 sd / 20 wide on each side
    assert 0.05 < out.loc["a", "hi"] - out.loc["a", "lo"] < 0.4
    assert (out.loc["b", "hi"] - out.loc["b", "lo"]) < (out.loc["a", "hi"] - out.loc["a", "lo"])
    with pytest.raises(AttributionError, match="level: 1.5"):
        bands(contrib, level=1.5)
    with pytest.raises(AttributionError, match="3 names for 2 rows"):
        bands(contrib, players=["a", "b", "c"])


def test_bands_cover_the_true_median_at_about_their_level() -> None:
    rng = np.random.default_rng(11)
    hits = 0
    n = 300
    for _ in range(n):
        contrib = rng.normal(2.0, 1.0, size=(1, 60))
        out = bands(contrib, level=0.8, n_boot=400, rng=rng)
        hits += int(out["lo"].iloc[0] <= 2.0 <= out["hi"].iloc[0])
    assert 0.7 < hits / n < 0.9
