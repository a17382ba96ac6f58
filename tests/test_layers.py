"""The layers above the engine: one road for an ensemble (nothing written unless asked),
the version in one home, and the options of an execution built once."""

from __future__ import annotations

import re
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import overcap
from overcap._version import __version__
from overcap.experiments import Execution, ExperimentError
from overcap.store import Store

SRC = Path(overcap.__file__).parent


def test_a_plain_ensemble_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def no_store(*args: Any, **kw: Any) -> None:
        raise AssertionError("a plain ensemble created a store")

    def no_tempdir(*args: Any, **kw: Any) -> str:
        raise AssertionError("a plain ensemble made a temporary folder")

    monkeypatch.setattr(Store, "create", no_store)
    monkeypatch.setattr(tempfile, "mkdtemp", no_tempdir)
    res = overcap.ensemble("baseline", runs=2, workers=0)
    assert [r.meta["replicate"] for r in res] == [0, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    assert list(scratch.iterdir()) == []
    # the same runs as overcap.run, replicate by replicate
    one = overcap.run("baseline", seed=0, replicate=1)
    assert one.economy.equals(res[1].economy)


def test_a_failed_run_of_an_ensemble_in_memory_raises_once_the_others_ran(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import overcap.model

    real = overcap.model.run
    done: list[int] = []

    def flaky(*args: Any, **kw: Any) -> overcap.Result:
        if kw.get("replicate") == 0:
            raise RuntimeError("boom in replicate 0")
        done.append(int(kw["replicate"]))
        return real(*args, **kw)

    monkeypatch.setattr(overcap.model, "run", flaky)
    short = {"time.end_year": 1997, "population.firms_start": 2000}
    with pytest.raises(ExperimentError, match="1 of 3 runs failed; first: run 0: RuntimeError"):
        overcap.ensemble("baseline", runs=3, overrides=short, workers=0)
    assert done == [1, 2]


def test_execution_is_built_once_from_keywords() -> None:
    ex = Execution.of(None, workers=0, name=None, resume=False, batch_size=3)
    assert ex == Execution(workers=0, batch_size=3) and not ex.keeps_runs
    assert Execution.of(ex, name="x").replace(results="r") == Execution(
        name="x", results="r", workers=0, batch_size=3
    )
    with pytest.raises(ExperimentError, match="--workers and --scheduler exclude each other"):
        Execution(workers=2, scheduler="tcp://127.0.0.1:8786").check()
    with pytest.raises(ExperimentError, match="--batch-size 0: at least 1"):
        Execution(batch_size=0).check()
    with pytest.raises(ExperimentError, match="--resume needs the --name"):
        overcap.ensemble("baseline", runs=1, workers=0, resume=True)


def test_the_version_has_one_home() -> None:
    assert overcap.__version__ == __version__
    assert metadata.version("overcap") == __version__  # pyproject reads _version.py
    defined = [
        p.relative_to(SRC).as_posix()
        for p in SRC.rglob("*.py")
        if re.search(r"^__version__\s*=", p.read_text(encoding="utf-8"), re.M)
    ]
    assert defined == ["_version.py"]
    importers = [
        p.relative_to(SRC).as_posix()
        for p in SRC.rglob("*.py")
        if re.search(r"^\s*from overcap import", p.read_text(encoding="utf-8"), re.M)
    ]
    assert importers == []
