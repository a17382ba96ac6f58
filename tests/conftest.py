"""Shared fixtures: small, fast runs of the shipped scenarios."""

from __future__ import annotations

import pytest

import overcap


@pytest.fixture(scope="session")
def baseline() -> overcap.Result:
    """The full baseline, 1995-2030, seed 0 (about half a second)."""
    return overcap.run("baseline", seed=0)
