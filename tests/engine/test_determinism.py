"""One seed gives bit-identical results; different seeds differ."""

from __future__ import annotations

import pandas as pd

import overcap


def test_same_seed_identical_frames(baseline: overcap.Result) -> None:
    again = overcap.run("baseline", seed=0)
    for a, b in (
        (baseline.sectors, again.sectors),
        (baseline.provinces, again.provinces),
        (baseline.economy, again.economy),
    ):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_different_seeds_differ(baseline: overcap.Result) -> None:
    other = overcap.run("baseline", seed=1)
    assert not baseline.sectors["capacity"].equals(other.sectors["capacity"])
    assert not baseline.provinces["gdp_growth"].equals(other.provinces["gdp_growth"])


def test_seed_spawn_streams_are_independent() -> None:
    import numpy as np

    from overcap.model import simulate

    sc = overcap.load_scenario("baseline", {"time.end_year": 1998})
    children = np.random.SeedSequence(7).spawn(2)
    rec_a, _ = simulate(sc, children[0])
    rec_b, _ = simulate(sc, children[1])
    a, _, _ = rec_a.frames()
    b, _, _ = rec_b.frames()
    assert not a["capacity"].equals(b["capacity"])


def test_a_run_that_stops_early_is_the_same_run_to_its_last_year() -> None:
    """A run to 2012 is, year by year, the run to 2030 cut at 2012 (nothing in a year looks
    at how long the run goes on), so a fit that holds out 2013 on may stop at 2012."""
    full = overcap.run("baseline", seed=3)
    short = overcap.run("baseline", seed=3, overrides={"time.end_year": 2012})
    for a, b in (
        (full.sectors, short.sectors),
        (full.provinces, short.provinces),
        (full.economy, short.economy),
    ):
        cut = a[a["year"] <= 2012].reset_index(drop=True)
        pd.testing.assert_frame_equal(cut, b.reset_index(drop=True), check_exact=True)
