"""The results store: atomic parts, one catalog writer, orphans never counted, SQL views."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from overcap.store import (
    Store,
    StoreError,
    _with_retry,
    check_name,
    list_experiments,
    query,
    write_part,
)

SPEC = {
    "kind": "ensemble",
    "scenarios": ["baseline"],
    "samples": [{"scenario": "baseline", "parameters": {}}],
    "runs": 4,
    "seed": 0,
    "total_runs": 4,
    "base": {},
    "digests": {},
    "design": {},
    "version": "test",
}


def frame(runs: list[int], years: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": [r for r in runs for _ in range(years)],
            "year": [2000 + y for _ in runs for y in range(years)],
            "x": [float(r * 10 + y) for r in runs for y in range(years)],
        }
    )


def batch(store: Store, runs: list[int], name: str) -> dict:
    part = write_part(store.folder, "economy", name, frame(runs), {"experiment": store.name})
    records = [
        {
            "run": r,
            "experiment": store.name,
            "sample": 0,
            "replicate": r,
            "scenario": "baseline",
            "parameters": "{}",
            "seed": 0,
            "status": "ok",
            "error": None,
            "version": "test",
            "seconds": 0.1,
            "batch": name,
        }
        for r in runs
    ]
    return {"batch": name, "runs": records, "parts": [part]}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    st = Store.at("exp", tmp_path)
    st.create(SPEC)
    return st


def test_parts_are_atomic_and_carry_provenance(store: Store) -> None:
    res = batch(store, [0, 1], "b0")
    path = store.folder / res["parts"][0]["path"]
    assert path.exists() and res["parts"][0]["rows"] == 6
    assert not list(path.parent.glob(".tmp-*"))  # no temporary file left behind
    import pyarrow.parquet as pq

    meta = json.loads(pq.read_schema(path).metadata[b"overcap"])
    assert meta["experiment"] == "exp"


def test_a_run_is_recorded_once_and_orphans_are_never_read(store: Store) -> None:
    session = store.begin_session("test", "test")
    assert store.record_batch(batch(store, [0, 1], "b0"), session)
    # a second batch holding run 1 again is refused whole, and its part deleted
    again = batch(store, [1, 2], "b1")
    assert not store.record_batch(again, session)
    assert not (store.folder / again["parts"][0]["path"]).exists()
    # an orphan: written by a worker whose driver died before recording it
    orphan = batch(store, [2, 3], "b2")
    t = store.table("economy")
    assert sorted(set(t["run"])) == [0, 1] and len(t) == 6
    assert (
        query("SELECT count(DISTINCT run) AS n FROM economy", "exp", store.folder.parent)["n"].iloc[
            0
        ]
        == 2
    )
    removed, forgotten = store.repair()
    assert removed == 1 and forgotten == 0
    assert not (store.folder / orphan["parts"][0]["path"]).exists()


def test_repair_forgets_a_batch_whose_part_went_missing(store: Store) -> None:
    session = store.begin_session("test", "test")
    res = batch(store, [0, 1], "b0")
    store.record_batch(res, session)
    (store.folder / res["parts"][0]["path"]).unlink()
    assert store.repair() == (0, 2)
    assert len(store.read("SELECT * FROM runs")) == 0  # they will run again


def test_sessions_left_running_by_a_dead_driver_are_marked(store: Store) -> None:
    store.begin_session("first", "test")  # never ended: its driver "died"
    second = store.begin_session("second", "test")
    store.end_session(second, "completed", 1, 0, 0)
    s = store.read("SELECT session, status FROM sessions ORDER BY session")
    assert list(s["status"]) == ["died", "completed"]


def test_views_query_and_errors(store: Store, tmp_path: Path) -> None:
    session = store.begin_session("test", "test")
    store.record_batch(batch(store, [0, 1, 2, 3], "b0"), session)
    other = Store.at("other", tmp_path)
    other.create(SPEC)
    other.record_batch(batch(other, [0], "c0"), other.begin_session("t", "t"))
    # every experiment, with an experiment column
    t = query("SELECT experiment, count(*) AS n FROM economy GROUP BY 1 ORDER BY 1", None, tmp_path)
    assert t.to_dict("records") == [{"experiment": "exp", "n": 12}, {"experiment": "other", "n": 3}]
    r = query("SELECT experiment, run, status FROM runs ORDER BY 1, 2", "exp", tmp_path)
    assert list(r["run"]) == [0, 1, 2, 3] and set(r["experiment"]) == {"exp"}
    with pytest.raises(StoreError, match=r"^query: .*nope"):
        query("SELECT * FROM nope", "exp", tmp_path)
    with pytest.raises(StoreError, match="no experiment 'missing'.*exp, other"):
        query("SELECT 1", "missing", tmp_path)
    with pytest.raises(StoreError, match="no experiments in"):
        query("SELECT 1", None, tmp_path / "empty")
    listing = list_experiments(tmp_path).set_index("name")
    assert listing.loc["exp", "ok"] == 4 and listing.loc["other", "missing"] == 3


def test_names_and_missing_table(store: Store) -> None:
    assert check_name("sweep-1.a_b") == "sweep-1.a_b"
    for bad in ("", ".hidden", "a/b", "-x", "a b"):
        with pytest.raises(StoreError, match="--name"):
            check_name(bad)
    with pytest.raises(StoreError, match="no table 'nope'; allowed: sectors"):
        store.table("nope")


def test_second_driver_gets_a_clear_error(store: Store) -> None:
    with store.lock():
        with pytest.raises(StoreError, match="being run by another process"):
            with store.lock():
                pass


def test_lock_conflicts_are_retried_then_reported() -> None:
    calls = {"n": 0}

    def busy_twice() -> str:
        calls["n"] += 1
        if calls["n"] < 3:
            raise duckdb.IOException('Could not set lock on file "x": Conflicting lock is held')
        return "ok"

    assert _with_retry(busy_twice, 5.0, "test") == "ok" and calls["n"] == 3

    def always_busy() -> str:
        raise duckdb.IOException('Could not set lock on file "x": Conflicting lock is held')

    with pytest.raises(StoreError, match="locked by another process"):
        _with_retry(always_busy, 0.1, "experiment 'x'")
