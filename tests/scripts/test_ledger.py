"""scripts/ledger.py: the per-fact ledger of a set on the scoring seeds. The runs are
replaced by a fake with known answers where the table is tested; one real call checks
that the rows are ``overcap check``'s."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from tests.scripts import load_script


@pytest.fixture
def led() -> ModuleType:
    return load_script("ledger")


def _rows(passes: dict[str, list[bool]]) -> pd.DataFrame:
    rows = []
    for fid, flags in passes.items():
        for seed, ok in zip((1, 2, 3), flags, strict=True):
            rows.append(
                {
                    "id": fid,
                    "seed": seed,
                    "value": 0.5,
                    "passed": ok,
                    "low": 0.4,
                    "high": 0.6,
                    "label": f"fact {fid}",
                }
            )
    return pd.DataFrame(rows)


def test_render_counts_seeds_lists_the_facts_failing_everywhere_and_what_moved(
    led: ModuleType,
) -> None:
    main = _rows({"F01": [False, False, False], "F02": [True, True, False], "F03": [True] * 3})
    other = _rows({"F01": [False, False, True], "F02": [True, True, False], "F03": [False] * 3})
    text = led.render(main, other, [1, 2, 3])
    assert "passed: seed 1: 2, seed 2: 2, seed 3: 1; median 2" in text
    assert "against: seed 1: 1, seed 2: 1, seed 3: 1; median 1" in text
    assert "failing on every seed (1): F01" in text
    assert "F01: passes on 0 seeds (against: 1)" in text
    assert "F03: passes on 3 seeds (against: 0)" in text
    assert "F02: passes" not in text


def test_a_set_file_takes_the_shipped_sets_place(led: ModuleType, tmp_path: Path) -> None:
    """A set file replaces the shipped set as ``overcap score`` puts the out-of-time set in
    its place: a parameter the file lacks keeps its default, not the shipped value;
    ``--set`` overrides go on top."""
    from overcap.scenario import load_scenario

    f = tmp_path / "set.json"
    f.write_text(json.dumps({"params": {"investment.visibility": 0.5}}))
    assert led._overrides(["trade.learning_spillover=0.6"]) == {"trade.learning_spillover": 0.6}
    sc = load_scenario("baseline", calibration=str(f))
    default = load_scenario("baseline", calibrated=False)
    assert sc.investment.visibility == 0.5
    assert sc.market.price_adjustment == default.market.price_adjustment
    assert load_scenario("baseline").market.price_adjustment != default.market.price_adjustment
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"scenario": "baseline"}))
    with pytest.raises(ValueError, match="not a calibration file"):
        load_scenario("baseline", calibration=str(bad))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seeds", "1,x"], "--seeds '1,x': expected comma-separated whole numbers"),
        (["--runs", "0"], "--runs of at least 1"),
    ],
)
def test_bad_options_name_the_option(
    led: ModuleType, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        led.main(argv)
    assert message in capsys.readouterr().err


def test_a_bad_override_is_an_error_naming_it(
    led: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert led.main(["--set", "investment.nonsense=1", "--runs", "1", "--seeds", "1"]) == 2
    assert "nonsense" in capsys.readouterr().err


def test_rows_are_overcap_checks(led: ModuleType) -> None:
    """Two runs of seed 5 with the shipped set: the ledger's rows are ``evidence.check``
    of ``ensemble(runs=2, seed=5)``."""
    from overcap.evidence import check
    from overcap.experiments import ensemble

    rows = led.ledger(None, {}, [5], 2)
    want = check(ensemble("baseline", runs=2, seed=5, workers=0))
    assert list(rows["id"]) == list(want["id"])
    pd.testing.assert_series_equal(
        rows["value"].reset_index(drop=True), want["value"].reset_index(drop=True)
    )
    assert (rows["seed"] == 5).all()
