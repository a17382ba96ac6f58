"""scripts/screen_params.py: the Morris screening that chooses the parameters an
out-of-time study searches (docs/CALIBRATION.md, session 13). The model's loss is
replaced by a fake with a known answer, so what is tested is the ranking, the output
file and that held-out facts never enter the loss; one real run checks the wiring."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.scripts import load_script


def _script() -> ModuleType:
    return load_script("screen_params")


PARAMS = ["investment.entry_rate", "market.price_adjustment", "exit.asset_sale_share"]


def test_the_ranking_follows_the_effects_and_held_out_facts_stay_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mod = _script()
    calls: list[dict[str, Any]] = []

    def fake(
        scenario: str,
        values: dict[str, Any],
        facts: Any,
        held: list[bool],
        runs: int,
        seed: int,
        **kw: Any,
    ) -> dict[str, Any]:
        calls.append({"held": held, **kw})
        # price_adjustment matters most, entry_rate some, asset sales not at all
        loss = 10.0 * values["market.price_adjustment"] + values["investment.entry_rate"]
        return {"loss": loss, "loss_holdout": 99.0, "passed_out": 7}

    monkeypatch.setattr(mod, "evaluate", fake)
    out = tmp_path / "s.json"
    argv = [str(out), "--seed", "13", "--holdout", "2013-2019", "--runs", "1"]
    argv += ["--trajectories", "3", "--params", ",".join(PARAMS), "--top", "2"]
    assert mod.main(argv) == 0
    doc = json.loads(out.read_text())
    assert doc["top"] == ["market.price_adjustment", "investment.entry_rate"]
    assert doc["ranking"][-1]["path"] == "exit.asset_sale_share"
    assert doc["ranking"][-1]["mu_star"] == pytest.approx(0.0)
    assert len(doc["losses"]) == 3 * (len(PARAMS) + 1)
    assert "99" not in out.read_text()  # nothing held out is written
    assert all(c["until"] == 2012 and sum(c["held"]) > 0 for c in calls)


def test_an_unknown_parameter_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    mod = _script()
    with pytest.raises(SystemExit):
        mod.main(["/tmp/x.json", "--seed", "1", "--params", "market.nonsense"])
    assert "not calibratable: market.nonsense" in capsys.readouterr().err


def test_one_real_screen_runs(tmp_path: Path) -> None:
    mod = _script()
    out = tmp_path / "s.json"
    argv = [str(out), "--seed", "13", "--holdout", "2013-2019", "--runs", "1"]
    argv += ["--trajectories", "2", "--params", ",".join(PARAMS[:2]), "--top", "1"]
    assert mod.main(argv) == 0
    doc = json.loads(out.read_text())
    assert len(doc["top"]) == 1 and all(x >= 0 for x in doc["losses"])


def test_a_bad_holdout_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    mod = _script()
    with pytest.raises(SystemExit):
        mod.main(["/tmp/x.json", "--seed", "1", "--holdout", "2019-2013"])
    assert "--holdout '2019-2013': expected FROM-TO" in capsys.readouterr().err
