"""Small ensembles for the report's tests: two scenarios, two runs each, 2008-2018."""

from __future__ import annotations

import pytest

from overcap.report.data import ReportData

SMALL = {"time.start_year": 2008, "time.end_year": 2018}


@pytest.fixture(scope="session")
def small_data() -> ReportData:
    """baseline and supply-side-campaign, 2 runs each, 2008-2018 (about 2 s)."""
    return ReportData.build(
        ["baseline", "supply-side-campaign"], runs=2, seed=0, overrides=SMALL, workers=0
    )


@pytest.fixture(scope="session")
def single_data() -> ReportData:
    """baseline alone, one run, 2008-2018."""
    return ReportData.build(["baseline"], runs=1, seed=0, overrides=SMALL, workers=0)
