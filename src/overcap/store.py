"""The results store: one folder per experiment, Parquet parts written by the workers, a
DuckDB catalog written by the driver alone.

Layout of ``ROOT/NAME`` (ROOT is ``./overcap-results`` unless told otherwise)::

    experiment.json         the experiment's definition (what --resume must match)
    catalog.duckdb          the catalog: experiment, scenarios, samples, runs, parts,
                            sessions (and indices for a sensitivity analysis)
    parts/<table>/<batch>.parquet
                            one file per table and batch of runs, with a ``run`` column
    .lock                   held (flock) by the driver while it runs the experiment

Rules that make an experiment lose nothing and count nothing twice:

* a worker writes each part under a temporary name and renames it into place, so a part
  is either whole or absent;
* the driver records a batch's runs and parts in one catalog transaction, after the
  worker has returned; a part the catalog does not list (its driver died first) is an
  orphan: it is never read, and the next session deletes it and runs its runs again;
* ``runs.run`` is the primary key: a run is recorded once, ok or failed;
* only the driver writes the catalog, and it opens it for each commit only, so readers
  (``overcap runs``, ``overcap query``) get in between; both sides retry on a lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

TABLES = ("sectors", "provinces", "economy", "trade")
SPEC_FILE = "experiment.json"
CATALOG_FILE = "catalog.duckdb"
PARTS_DIR = "parts"
LOCK_FILE = ".lock"
DEFAULT_ROOT = Path("overcap-results")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS experiment (
        name VARCHAR, kind VARCHAR, created TIMESTAMP, version VARCHAR, spec VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS scenarios (
        scenario VARCHAR PRIMARY KEY, name VARCHAR, digest VARCHAR, parameters VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS samples (
        sample INTEGER PRIMARY KEY, scenario VARCHAR, parameters VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS runs (
        run INTEGER PRIMARY KEY, experiment VARCHAR, sample INTEGER, replicate INTEGER,
        scenario VARCHAR, parameters VARCHAR, seed BIGINT, status VARCHAR, error VARCHAR,
        version VARCHAR, started TIMESTAMP, finished TIMESTAMP, seconds DOUBLE,
        worker VARCHAR, python VARCHAR, numpy VARCHAR, batch VARCHAR, session INTEGER)""",
    """CREATE TABLE IF NOT EXISTS parts (
        path VARCHAR PRIMARY KEY, tbl VARCHAR, batch VARCHAR, rows BIGINT, bytes BIGINT,
        session INTEGER)""",
    """CREATE TABLE IF NOT EXISTS sessions (
        session INTEGER PRIMARY KEY, started TIMESTAMP, finished TIMESTAMP, status VARCHAR,
        executor VARCHAR, version VARCHAR, host VARCHAR, pid INTEGER, runs_ok INTEGER,
        runs_failed INTEGER, runs_lost INTEGER)""",
)
RUN_COLUMNS = (
    "run",
    "experiment",
    "sample",
    "replicate",
    "scenario",
    "parameters",
    "seed",
    "status",
    "error",
    "version",
    "started",
    "finished",
    "seconds",
    "worker",
    "python",
    "numpy",
    "batch",
    "session",
)

T = TypeVar("T")


class StoreError(ValueError):
    """A user error about the store (missing experiment, bad SQL, busy catalog): one line."""


def now() -> dt.datetime:
    """UTC, without a time zone (DuckDB TIMESTAMP)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def root_of(results: str | Path | None) -> Path:
    return Path(results) if results is not None else DEFAULT_ROOT


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise StoreError(
            f"--name {name!r}: use letters, digits, '.', '_' and '-' (at most 128, not "
            "starting with '.' or '-')"
        )
    return name


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def _with_retry(fn: Callable[[], T], timeout: float, what: str) -> T:
    """Call ``fn`` until DuckDB stops reporting a lock held by another process."""
    import duckdb

    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            return fn()
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _is_lock_error(exc) or time.monotonic() >= deadline:
                if _is_lock_error(exc):
                    raise StoreError(
                        f"{what}: the catalog is locked by another process (an experiment "
                        "writing it, or a long query); try again in a moment"
                    ) from None
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _create_catalog(path: Path) -> None:
    """A new catalog file with small (16 kB) blocks: DuckDB's default 256 kB blocks cost
    a few MB for a handful of small tables. Older DuckDB without BLOCK_SIZE: the default."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {_sql_str(str(path))} AS catalog (BLOCK_SIZE 16384)")
        con.execute("DETACH catalog")
    except duckdb.Error:
        pass
    finally:
        con.close()


# --------------------------------------------------------------------------- worker side


def write_part(folder: str | Path, table: str, batch: str, frame: pd.DataFrame, meta: dict) -> dict:
    """Write one part atomically (temporary name, then rename); return its catalog row
    (path relative to the experiment folder, rows, bytes). Runs on a worker."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = Path(folder) / PARTS_DIR / table
    d.mkdir(parents=True, exist_ok=True)
    final = d / f"{batch}.parquet"
    tmp = d / f".tmp-{batch}-{uuid.uuid4().hex[:8]}.parquet"
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    md = dict(arrow.schema.metadata or {})
    md[b"overcap"] = json.dumps(meta, ensure_ascii=False).encode()
    arrow = arrow.replace_schema_metadata(md)
    try:
        pq.write_table(arrow, tmp, compression="zstd")
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    return {
        "path": f"{PARTS_DIR}/{table}/{final.name}",
        "tbl": table,
        "batch": batch,
        "rows": len(frame),
        "bytes": final.stat().st_size,
    }


# --------------------------------------------------------------------------- the store


class Store:
    """One experiment's folder and catalog."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).absolute()

    @classmethod
    def at(cls, name: str, results: str | Path | None = None) -> Store:
        return cls(root_of(results) / check_name(name))

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def catalog(self) -> Path:
        return self.folder / CATALOG_FILE

    @property
    def spec_file(self) -> Path:
        return self.folder / SPEC_FILE

    def exists(self) -> bool:
        return self.spec_file.exists()

    def spec(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.spec_file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise StoreError(self.missing_message()) from None
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"experiment {self.name!r}: cannot read {self.spec_file}: {exc}"
            ) from None

    def missing_message(self) -> str:
        root = self.folder.parent
        names = [p.name for p in experiment_folders(root)]
        allowed = f"; experiments in {root}: {', '.join(names)}" if names else f"; {root} has none"
        return f"no experiment {self.name!r}{allowed}"

    # ----------------------------------------------------------------- creation, lock

    def create(self, spec: dict[str, Any]) -> None:
        """Write the definition, then the catalog (a folder whose catalog is missing is
        completed by the next session)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.spec_file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(spec, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, self.spec_file)
        self.init_catalog(spec)

    def init_catalog(self, spec: dict[str, Any]) -> None:
        if not self.catalog.exists():
            _create_catalog(self.catalog)

        def fn(con: Any) -> None:
            for stmt in SCHEMA:
                con.execute(stmt)
            if con.execute("SELECT count(*) FROM experiment").fetchone()[0] == 0:
                con.execute(
                    "INSERT INTO experiment VALUES (?, ?, ?, ?, ?)",
                    [
                        self.name,
                        spec.get("kind", ""),
                        now(),
                        spec.get("version", ""),
                        json.dumps(spec, ensure_ascii=False),
                    ],
                )

        self.write(fn)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Held by the driver running the experiment: a second driver on the same
        experiment gets a clear error. The OS releases it when the driver dies."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                raise StoreError(
                    f"experiment {self.name!r} is being run by another process (pid {pid}); "
                    "wait for it or stop it first"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.close(fd)

    # ----------------------------------------------------------------- catalog access

    def write(self, fn: Callable[[Any], T], timeout: float = 120.0) -> T:
        """Open the catalog for writing, run ``fn(con)`` in one transaction, close it."""
        import duckdb

        def attempt() -> T:
            con = duckdb.connect(str(self.catalog))
            try:
                con.execute("BEGIN TRANSACTION")
                try:
                    out = fn(con)
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                return out
            finally:
                con.close()

        return _with_retry(attempt, timeout, f"experiment {self.name!r}")

    def read(self, sql: str, params: Sequence[Any] = (), timeout: float = 15.0) -> pd.DataFrame:
        """One query on the catalog, read-only, held for as short a time as possible."""
        import duckdb

        if not self.catalog.exists():
            if not self.exists():
                raise StoreError(self.missing_message())
            self.init_catalog(self.spec())

        def attempt() -> pd.DataFrame:
            con = duckdb.connect(str(self.catalog), read_only=True)
            try:
                return con.execute(sql, list(params)).df()
            finally:
                con.close()

        return _with_retry(attempt, timeout, f"experiment {self.name!r}")

    def read_tables(self, names: Sequence[str], timeout: float = 15.0) -> dict[str, pd.DataFrame]:
        """Whole catalog tables (those that exist), read in one short connection."""
        import duckdb

        if not self.catalog.exists():
            if not self.exists():
                raise StoreError(self.missing_message())
            self.init_catalog(self.spec())

        def attempt() -> dict[str, pd.DataFrame]:
            con = duckdb.connect(str(self.catalog), read_only=True)
            try:
                have = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
                return {n: con.execute(f"SELECT * FROM {n}").df() for n in names if n in have}
            finally:
                con.close()

        return _with_retry(attempt, timeout, f"experiment {self.name!r}")

    # ----------------------------------------------------------------- the driver's records

    def record_definition(
        self, scenarios: list[dict[str, Any]], samples: list[dict[str, Any]]
    ) -> None:
        """The scenarios' full parameters and the samples, once (idempotent)."""

        def fn(con: Any) -> None:
            if con.execute("SELECT count(*) FROM samples").fetchone()[0] == 0:
                con.executemany(
                    "INSERT INTO scenarios VALUES (?, ?, ?, ?)",
                    [[s["scenario"], s["name"], s["digest"], s["parameters"]] for s in scenarios],
                )
                con.executemany(
                    "INSERT INTO samples VALUES (?, ?, ?)",
                    [[s["sample"], s["scenario"], s["parameters"]] for s in samples],
                )

        self.write(fn)

    def begin_session(self, executor: str, version: str) -> int:
        import socket

        def fn(con: Any) -> int:
            # a session still 'running' had its driver killed: we hold the lock now
            con.execute(
                "UPDATE sessions SET status = 'died' WHERE status = 'running'",
            )
            n = int(con.execute("SELECT coalesce(max(session), 0) + 1 FROM sessions").fetchone()[0])
            con.execute(
                "INSERT INTO sessions VALUES (?, ?, NULL, 'running', ?, ?, ?, ?, 0, 0, 0)",
                [n, now(), executor, version, socket.gethostname(), os.getpid()],
            )
            return n

        return self.write(fn)

    def end_session(self, session: int, status: str, ok: int, failed: int, lost: int) -> None:
        self.write(
            lambda con: con.execute(
                "UPDATE sessions SET finished = ?, status = ?, runs_ok = ?, runs_failed = ?, "
                "runs_lost = ? WHERE session = ?",
                [now(), status, ok, failed, lost, session],
            )
        )

    def record_batch(self, result: dict[str, Any], session: int) -> bool:
        """Record a finished batch (its runs and parts) in one transaction. A batch with a
        run already recorded is refused whole and its parts deleted (never counted twice)."""
        runs = result["runs"]
        parts = result["parts"]

        def fn(con: Any) -> bool:
            ids = [int(r["run"]) for r in runs]
            if ids:
                placeholders = ",".join("?" * len(ids))
                dup = con.execute(
                    f"SELECT count(*) FROM runs WHERE run IN ({placeholders})", ids
                ).fetchone()[0]
                if dup:
                    return False
            con.executemany(
                f"INSERT INTO runs VALUES ({','.join('?' * len(RUN_COLUMNS))})",
                [[r.get(c) if c != "session" else session for c in RUN_COLUMNS] for r in runs],
            )
            con.executemany(
                "INSERT INTO parts VALUES (?, ?, ?, ?, ?, ?)",
                [[p["path"], p["tbl"], p["batch"], p["rows"], p["bytes"], session] for p in parts],
            )
            return True

        ok = self.write(fn)
        if not ok:
            for p in parts:
                (self.folder / p["path"]).unlink(missing_ok=True)
        return ok

    def forget_failed(self) -> int:
        """Delete the failed runs' records (``--retry-failed``): they run again."""

        def fn(con: Any) -> int:
            n = int(con.execute("SELECT count(*) FROM runs WHERE status <> 'ok'").fetchone()[0])
            con.execute("DELETE FROM runs WHERE status <> 'ok'")
            return n

        return self.write(fn)

    def repair(self) -> tuple[int, int]:
        """Before a session: delete orphan parts (written, never recorded) and temporary
        files; if a recorded part has gone missing, forget its whole batch so that its
        runs run again. Returns (orphans deleted, runs forgotten)."""
        recorded = self.read("SELECT path, batch FROM parts")
        paths = set(recorded["path"])
        missing_batches = sorted(
            {
                b
                for p, b in zip(recorded["path"], recorded["batch"], strict=True)
                if not (self.folder / p).exists()
            }
        )
        forgotten = 0
        if missing_batches:
            ph = ",".join("?" * len(missing_batches))

            def fn(con: Any) -> int:
                n = int(
                    con.execute(
                        f"SELECT count(*) FROM runs WHERE batch IN ({ph})", missing_batches
                    ).fetchone()[0]
                )
                con.execute(f"DELETE FROM runs WHERE batch IN ({ph})", missing_batches)
                con.execute(f"DELETE FROM parts WHERE batch IN ({ph})", missing_batches)
                return n

            forgotten = self.write(fn)
            paths = set(self.read("SELECT path FROM parts")["path"])
        return self.clean_orphans(paths), forgotten

    def clean_orphans(self, recorded: set[str] | None = None) -> int:
        if recorded is None:
            recorded = set(self.read("SELECT path FROM parts")["path"])
        n = 0
        base = self.folder / PARTS_DIR
        if not base.exists():
            return 0
        for f in base.glob("*/*.parquet"):
            rel = f.relative_to(self.folder).as_posix()
            if rel not in recorded:
                f.unlink(missing_ok=True)
                n += 1
        return n

    # ----------------------------------------------------------------- reading results

    def part_paths(self, table: str, parts: pd.DataFrame | None = None) -> list[Path]:
        """The recorded parts of a table (orphans are never read)."""
        if parts is None:
            parts = self.read("SELECT path, tbl FROM parts ORDER BY path")
        sel = parts[parts["tbl"] == table]["path"]
        return [self.folder / p for p in sorted(sel)]

    def table(
        self,
        table: str,
        runs: Sequence[int] | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """A results table (with its ``run`` column) over the recorded parts, ordered by
        run and, within a run, as the model wrote it."""
        if table not in TABLES:
            raise StoreError(f"no table {table!r}; allowed: {', '.join(TABLES)}")
        paths = self.part_paths(table)
        cols = None if columns is None else list(dict.fromkeys(["run", *columns]))
        filters = None if runs is None else [("run", "in", [int(r) for r in runs])]
        frames = [pd.read_parquet(p, columns=cols, filters=filters) for p in paths]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=cols or ["run"])
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values("run", kind="stable").reset_index(drop=True)

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.folder.rglob("*") if f.is_file())


# --------------------------------------------------------------------------- listing, SQL


def experiment_folders(results: str | Path | None = None) -> list[Path]:
    root = root_of(results)
    if not root.exists():
        return []
    return sorted(p.parent for p in root.glob(f"*/{SPEC_FILE}"))


def list_experiments(results: str | Path | None = None) -> pd.DataFrame:
    """One row per experiment under ``results``: name, kind, scenarios, samples,
    replicates, runs (total, ok, failed, missing), seed, created, last session, bytes."""
    rows = []
    for folder in experiment_folders(results):
        st = Store(folder)
        spec = st.spec()
        total = int(spec.get("total_runs", 0))
        counts = st.read(
            "SELECT count(*) FILTER (WHERE status = 'ok') AS ok, "
            "count(*) FILTER (WHERE status <> 'ok') AS failed FROM runs"
        )
        last = st.read("SELECT status FROM sessions ORDER BY session DESC LIMIT 1")
        ok, failed = int(counts["ok"].iloc[0]), int(counts["failed"].iloc[0])
        rows.append(
            {
                "name": folder.name,
                "kind": spec.get("kind", ""),
                "scenarios": ",".join(dict.fromkeys(s["scenario"] for s in spec["samples"])),
                "samples": len(spec.get("samples", [])),
                "replicates": int(spec.get("runs", 0)),
                "runs": total,
                "ok": ok,
                "failed": failed,
                "missing": total - ok - failed,
                "seed": spec.get("seed"),
                "created": spec.get("created", ""),
                "last_session": str(last["status"].iloc[0]) if len(last) else "",
                "bytes": st.size_bytes(),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "name",
            "kind",
            "scenarios",
            "samples",
            "replicates",
            "runs",
            "ok",
            "failed",
            "missing",
            "seed",
            "created",
            "last_session",
            "bytes",
        ],
    )


def connect(name: str | None = None, results: str | Path | None = None) -> Any:
    """An in-memory DuckDB connection with views over one experiment (``name``) or all
    experiments under ``results``: ``experiments``, ``runs``, ``samples``, ``scenarios``,
    ``sessions``, ``indices`` (sensitivity), and ``sectors``, ``provinces``, ``economy``,
    ``trade`` over the recorded parts; every view has an ``experiment`` column. The
    catalogs are read once, briefly, so a running experiment is not disturbed."""
    import duckdb

    if name is not None:
        st = Store.at(name, results)
        if not st.exists():
            raise StoreError(st.missing_message())
        stores = [st]
    else:
        stores = [Store(f) for f in experiment_folders(results)]
        if not stores:
            raise StoreError(f"no experiments in {root_of(results)}")
    con = duckdb.connect()
    meta: dict[str, list[pd.DataFrame]] = {}
    part_lists: dict[str, list[tuple[str, list[str]]]] = {t: [] for t in TABLES}
    for st in stores:
        cat = st.read_tables(
            [
                "experiment",
                "runs",
                "samples",
                "scenarios",
                "sessions",
                "parts",
                "indices",
                "outputs",
            ]
        )
        for tname, frame in cat.items():
            if tname == "parts":
                for t in TABLES:
                    paths = sorted(frame.loc[frame["tbl"] == t, "path"])
                    if paths:
                        part_lists[t].append((st.name, [str(st.folder / p) for p in paths]))
                continue
            frame = frame.copy()
            if "experiment" in frame.columns:
                frame = frame.drop(columns=["experiment"])
            frame.insert(0, "experiment", st.name)
            meta.setdefault(tname, []).append(frame)
    views = {"experiment": "experiments"}
    for tname, frames in meta.items():
        frame = pd.concat(frames, ignore_index=True)
        con.register(f"_{tname}_frame", frame)
        con.execute(f"CREATE VIEW {views.get(tname, tname)} AS SELECT * FROM _{tname}_frame")
    for t, lists in part_lists.items():
        if not lists:
            continue
        selects = [
            f"SELECT {_sql_str(exp)} AS experiment, * "
            f"FROM read_parquet([{', '.join(map(_sql_str, paths))}])"
            for exp, paths in lists
        ]
        con.execute(f"CREATE VIEW {t} AS " + " UNION ALL BY NAME ".join(selects))
    return con


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def query(sql: str, name: str | None = None, results: str | Path | None = None) -> pd.DataFrame:
    """Run DuckDB SQL over the stored results (see :func:`connect` for the views) and
    return a pandas frame. Bad SQL raises :class:`StoreError` with DuckDB's message."""
    import duckdb

    con = connect(name, results)
    try:
        return con.execute(sql).df()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"query: {first}") from None
    finally:
        con.close()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
