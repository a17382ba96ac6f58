"""Faults in the results store: a batch whose runs all failed, Ctrl-C inside a catalog
write, a driver killed inside the catalog transaction, two experiments writing one
results root at once, a truncated part, a deleted or corrupt catalog, and SQL that tries
to write. Each is repaired (by the next driver, ``--resume``) or reported in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from overcap import store as store_mod
from overcap.experiments import open_experiment
from overcap.store import TABLES, Store, StoreError, list_experiments, query
from tests.test_cli import assert_user_error

SHORT = ["--set", "time.end_year=1997", "--set", "population.firms_start=2000"]
runner = CliRunner()
PY = sys.executable


def invoke(*args: str) -> Result:
    return runner.invoke(app_(), list(args))


def app_() -> Any:
    from overcap.cli import app

    return app


def ensemble(root: Path, name: str, *extra: str, runs: int = 4) -> Result:
    return invoke(
        "run", "baseline", "--runs", str(runs), *SHORT, "--workers", "0", "--batch-size", "2",
        "--results", str(root), "--name", name, *extra,
    )  # fmt: skip


def assert_whole(root: Path, name: str, runs: int) -> None:
    """Every run recorded once, ok, with its rows once in every table, and no part on
    disk that the catalog does not list."""
    exp = open_experiment(name, root)
    cat = exp.runs()
    assert list(cat["run"]) == list(range(runs)) and set(cat["status"]) == {"ok"}
    for t in TABLES:
        sizes = exp.table(t).groupby("run").size()
        assert list(sizes.index) == list(range(runs)) and sizes.nunique() == 1, t
    on_disk = {p.relative_to(exp.folder).as_posix() for p in exp.folder.glob("parts/*/*")}
    assert on_disk == set(exp.store.read("SELECT path FROM parts")["path"])


@pytest.fixture
def done(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """A whole experiment 'e' of four runs in two batches, and its economy table."""
    res = ensemble(tmp_path, "e")
    assert res.exit_code == 0, res.output
    return tmp_path, open_experiment("e", tmp_path).table("economy")


# --------------------------------------------------------------------------- failed runs


def test_a_batch_whose_runs_all_failed_is_recorded_and_resume_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import overcap.model

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise FloatingPointError("every run fails")

    monkeypatch.setattr(overcap.model, "run", broken)
    res = ensemble(tmp_path, "f", runs=3)
    assert res.exit_code == 0, res.output
    assert "0 runs ok, 3 failed of 3" in res.stderr
    st = Store(tmp_path / "f")
    runs = st.read("SELECT run, status, error FROM runs ORDER BY run")
    assert list(runs["run"]) == [0, 1, 2] and set(runs["status"]) == {"failed"}
    assert runs["error"].str.startswith("FloatingPointError: every run fails").all()
    assert list(st.read("SELECT status FROM sessions")["status"]) == ["completed"]
    # the failed runs stay recorded; --retry-failed runs them again, now healthy
    monkeypatch.undo()
    again = ensemble(tmp_path, "f", "--resume", "--retry-failed", runs=3)
    assert again.exit_code == 0, again.output
    assert "3 runs ok, 0 failed of 3" in again.stderr
    assert_whole(tmp_path, "f", 3)


# --------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_inside_a_catalog_write_stops_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB answers Ctrl-C inside a query with RuntimeError('Query interrupted'): the
    store turns it into the KeyboardInterrupt it stands for, so the command line stops
    with 130 and the command that resumes, and the transaction is rolled back."""
    real = store_mod._insert_many
    calls = {"runs": 0}

    def interrupted(con: Any, sql: str, rows: list[list[Any]]) -> None:
        real(con, sql, rows)
        if sql.startswith("INSERT INTO runs"):
            calls["runs"] += 1
            if calls["runs"] == 2:  # the second batch: its runs are inserted, not committed
                raise RuntimeError("Query interrupted")

    monkeypatch.setattr(store_mod, "_insert_many", interrupted)
    res = ensemble(tmp_path, "c")
    assert res.exit_code == 130, res.output
    assert "Traceback" not in res.output and "RuntimeError" not in res.output
    assert "interrupted: 2 of 4 runs are recorded" in res.stderr
    assert res.stderr.strip().splitlines()[-1].strip().endswith("--name c --resume")
    st = Store(tmp_path / "c")
    assert list(st.read("SELECT run FROM runs ORDER BY run")["run"]) == [0, 1]
    assert list(st.sessions()["status"]) == ["interrupted"]
    monkeypatch.undo()
    again = ensemble(tmp_path, "c", "--resume")
    assert again.exit_code == 0, again.output
    assert_whole(tmp_path, "c", 4)


def test_duckdb_interrupt_in_a_read_is_a_keyboard_interrupt(tmp_path: Path) -> None:
    def fn() -> None:
        raise RuntimeError("Query interrupted")

    with pytest.raises(KeyboardInterrupt):
        store_mod._with_retry(fn, 1.0, "x")


# --------------------------------------------------------------------------- killed driver

KILL_IN_TRANSACTION = """
import os, sys
from overcap import store
real = store._insert_many
n = {"runs": 0}
def dying(con, sql, rows):
    real(con, sql, rows)
    if sql.startswith("INSERT INTO runs"):
        n["runs"] += 1
        if n["runs"] == 2:
            os._exit(9)  # killed inside the catalog transaction, before COMMIT
store._insert_many = dying
from overcap.cli import main
sys.argv = ["overcap"] + sys.argv[1:]
main()
"""


def test_a_driver_killed_inside_the_catalog_transaction_loses_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    args = ["run", "baseline", "--runs", "6", *SHORT, "--workers", "0", "--batch-size", "2"]
    args += ["--results", str(tmp_path), "--name", "k"]
    env = {**os.environ, "CI": "1"}
    died = subprocess.run(
        [PY, "-c", KILL_IN_TRANSACTION, *args], capture_output=True, text=True, env=env
    )
    assert died.returncode == 9, died.stderr
    st = Store(tmp_path / "k")
    # the first batch is recorded; the second's parts are on disk, unrecorded (orphans)
    assert list(st.read("SELECT run FROM runs ORDER BY run")["run"]) == [0, 1]
    assert len(list(st.folder.glob("parts/*/*.parquet"))) == 2 * len(TABLES)
    assert set(query("SELECT DISTINCT run FROM economy", "k", tmp_path)["run"]) == {0, 1}
    resumed = subprocess.run(
        [PY, "-m", "overcap.cli", *args, "--resume"], capture_output=True, text=True, env=env
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "(2 of 6 runs already recorded)" in resumed.stderr
    assert_whole(tmp_path, "k", 6)
    sessions = Store(tmp_path / "k").sessions()
    assert list(sessions["status"]) == ["died", "completed"]
    # the counts of the session that died come from the runs it recorded
    assert list(sessions["runs_ok"]) == [2, 4] and list(sessions["runs_lost"]) == [4, 0]


def test_two_experiments_write_one_results_root_at_once(tmp_path: Path) -> None:
    env = {**os.environ, "CI": "1"}
    procs = [
        subprocess.Popen(
            [PY, "-m", "overcap.cli", "run", "baseline", "--runs", "6", *SHORT]
            + ["--workers", "0", "--batch-size", "1", "--results", str(tmp_path), "--name", n],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in ("p", "q")
    ]
    # a reader polls the listing while both write
    while any(p.poll() is None for p in procs):
        list_experiments(tmp_path)
    for p in procs:
        assert p.wait() == 0, p.stderr.read() if p.stderr else ""
    listing = list_experiments(tmp_path).set_index("name")
    assert list(listing["ok"]) == [6, 6] and list(listing["last_session"]) == ["completed"] * 2
    for n in ("p", "q"):
        assert_whole(tmp_path, n, 6)
    pd.testing.assert_frame_equal(
        open_experiment("p", tmp_path).table("sectors"),
        open_experiment("q", tmp_path).table("sectors"),
    )


# --------------------------------------------------------------------------- damage


def test_a_truncated_part_is_reported_then_set_aside_and_rerun(
    done: tuple[Path, pd.DataFrame],
) -> None:
    root, economy = done
    st = Store(root / "e")
    part = sorted(st.folder.glob("parts/sectors/*.parquet"))[1]
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2])
    # readers: one line each, naming the part and the cure
    with pytest.raises(StoreError, match=r"part parts/sectors/.* cannot be read .*--resume"):
        st.table("sectors")
    err = assert_user_error(invoke("query", "SELECT count(*) FROM sectors", "--results", str(root)))
    assert "--resume" in err
    # the next driver sets it aside and forgets its batch; its runs run again
    res = ensemble(root, "e", "--resume")
    assert res.exit_code == 0, res.output
    assert "(2 of 4 runs already recorded)" in res.stderr
    assert_whole(root, "e", 4)
    pd.testing.assert_frame_equal(open_experiment("e", root).table("economy"), economy)
    quarantined = list((st.folder / "quarantine").glob("*sectors*"))
    assert len(quarantined) == 1 and quarantined[0].read_bytes() == data[: len(data) // 2]
    assert "unreadable" in (st.folder / "quarantine" / "log.txt").read_text()


def test_a_deleted_catalog_is_rebuilt_from_the_parts(done: tuple[Path, pd.DataFrame]) -> None:
    root, economy = done
    st = Store(root / "e")
    st.catalog.unlink()
    err = assert_user_error(invoke("runs", "e", "--results", str(root)), "'e'", "--resume")
    assert "lost its catalog" in err
    res = ensemble(root, "e", "--resume")
    assert res.exit_code == 0, res.output
    assert "(4 of 4 runs already recorded)" in res.stderr and "0 this session" in res.stderr
    assert_whole(root, "e", 4)
    pd.testing.assert_frame_equal(open_experiment("e", root).table("economy"), economy)
    assert list(st.sessions()["status"]) == ["recovered"]  # nothing was left to run
    # the recovered runs carry what the spec says about them
    runs = open_experiment("e", root).runs()
    assert list(runs["replicate"]) == [0, 1, 2, 3] and set(runs["scenario"]) == {"baseline"}


@pytest.mark.parametrize("damage", ["garbage", "empty", "checksum"])
def test_a_corrupt_catalog_is_reported_then_rebuilt(
    done: tuple[Path, pd.DataFrame], damage: str
) -> None:
    root, economy = done
    st = Store(root / "e")
    data = st.catalog.read_bytes()
    if damage == "garbage":
        bad = b"not a database " * 200
    elif damage == "empty":
        bad = b""
    else:  # one block's content zeroed: DuckDB's checksum fails
        bad = data[:4096] + b"\0" * 8192 + data[12288:]
    st.catalog.write_bytes(bad)
    for args in (["runs", "e"], ["query", "SELECT 1"], ["query", "SELECT 1", "--name", "e"]):
        err = assert_user_error(invoke(*args, "--results", str(root)))
        assert "catalog cannot be read" in err and "--resume" in err
    listing = list_experiments(root)
    assert list(listing["last_session"]) == ["damaged catalog (--resume)"]
    res = ensemble(root, "e", "--resume")
    assert res.exit_code == 0, res.output
    assert_whole(root, "e", 4)
    pd.testing.assert_frame_equal(open_experiment("e", root).table("economy"), economy)
    assert [p.read_bytes() for p in (st.folder / "quarantine").glob("*catalog.duckdb")] == [bad]


def test_rebuild_sets_aside_incomplete_and_duplicate_batches(
    done: tuple[Path, pd.DataFrame],
) -> None:
    root, _ = done
    st = Store(root / "e")
    batches = sorted(p.stem for p in st.folder.glob("parts/economy/*.parquet"))
    # a copy of the first batch under another name (runs 0, 1 twice), and a batch that
    # lost its trade part
    for t in TABLES:
        src = st.folder / "parts" / t / f"{batches[0]}.parquet"
        (src.parent / "b00000000-zzzzzzzzzz.parquet").write_bytes(src.read_bytes())
    (st.folder / "parts" / "trade" / f"{batches[1]}.parquet").unlink()
    st.catalog.unlink()
    assert st.rebuild_catalog(st.spec()) == 2
    assert list(st.read("SELECT run FROM runs ORDER BY run")["run"]) == [0, 1]
    log = (st.folder / "quarantine" / "log.txt").read_text()
    assert "recorded by another batch" in log and "lacks a table" in log
    res = ensemble(root, "e", "--resume")
    assert res.exit_code == 0, res.output
    assert_whole(root, "e", 4)


# --------------------------------------------------------------------------- read-only SQL

WRITES = [
    "ATTACH '{cat}' AS c",
    "ATTACH '{cat}' AS c; DELETE FROM c.runs",
    "COPY (SELECT 1) TO '{part}'",
    "COPY economy TO '{root}/out.csv'",
    "CREATE TABLE t AS SELECT 1",
    "INSERT INTO runs SELECT * FROM runs",
    "UPDATE runs SET status = 'x'",
    "DELETE FROM runs",
    "DROP VIEW runs",
    "SET threads = 1",
    "PRAGMA enable_profiling",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SELECT 1; DROP VIEW economy",
    "EXPORT DATABASE '{root}/dump'",
]


@pytest.mark.parametrize("sql", WRITES)
def test_query_cannot_modify_the_store_or_write_files(
    done: tuple[Path, pd.DataFrame], sql: str
) -> None:
    root, _ = done
    st = Store(root / "e")
    part = sorted(st.folder.glob("parts/economy/*.parquet"))[0]
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != ".lock"}
    text = sql.format(cat=st.catalog, part=part, root=root)
    err = assert_user_error(invoke("query", text, "--results", str(root)), "query:")
    assert "read-only" in err or "refused" in err or "Permission" in err, err
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != ".lock"}
    assert after == before
    assert len(st.read("SELECT * FROM runs")) == 4


def test_query_reads_no_file_but_the_parts(done: tuple[Path, pd.DataFrame]) -> None:
    root, _ = done
    outside = root / "secret.csv"
    outside.write_text("a\n1\n")
    with pytest.raises(StoreError, match="^query: .*(Permission|disabled)"):
        query(f"SELECT * FROM read_csv('{outside}')", "e", root)
    # what query is for still works: views, DESCRIBE, SUMMARIZE, WITH, EXPLAIN
    for sql in (
        "WITH a AS (SELECT run FROM economy) SELECT count(*) FROM a",
        "DESCRIBE economy",
        "SUMMARIZE runs",
        "FROM sessions",
        "EXPLAIN SELECT * FROM sectors",
    ):
        assert len(query(sql, "e", root)), sql
    with pytest.raises(StoreError, match="no SQL statement"):
        query("  ;", "e", root)


def test_multiline_store_errors_are_one_line() -> None:
    assert "\n" not in str(StoreError("a\nb"))
