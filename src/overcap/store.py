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

Damage is repaired by the next driver (``--resume``), never by a reader: a recorded part
that is missing or unreadable (truncated) is moved to ``quarantine/`` and its batch is
forgotten, so its runs run again; a catalog that is missing or cannot be read is moved to
``quarantine/`` and rebuilt from the parts (whose runs the spec and the parts' own
metadata describe; failed runs, which have no parts, run again). A reader that meets
damage raises a one-line :class:`StoreError` that says so. SQL from ``overcap query``
runs on an in-memory connection that may only read: one statement kind, SELECT (or
EXPLAIN), with file access limited to the experiments' parts and the configuration
locked.
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
QUARANTINE_DIR = "quarantine"
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


def _insert_many(con: Any, sql: str, rows: list[list[Any]]) -> None:
    """``executemany`` that accepts no rows (DuckDB refuses an empty list): a batch whose
    runs all failed has runs to record and no parts."""
    if rows:
        con.executemany(sql, rows)


def params_json(base: dict[str, Any], sample: dict[str, Any]) -> str:
    """A run's parameters as stored in the catalog: the experiment's base overrides with
    the sample's on top (the driver writes them, a rebuilt catalog recomputes them)."""
    return json.dumps({**base, **sample}, ensure_ascii=False, default=str)


class StoreError(ValueError):
    """A user error about the store (missing experiment, bad SQL, busy catalog): one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message.replace("\r", " ").replace("\n", " "))


class CatalogDamaged(StoreError):
    """The catalog file exists but DuckDB cannot read it (the next driver rebuilds it)."""


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


def _is_interrupt(exc: BaseException) -> bool:
    """DuckDB's answer to Ctrl-C during a query (``RuntimeError: Query interrupted``, or
    its InterruptException)."""
    import duckdb

    interrupt = getattr(duckdb, "InterruptException", None)
    if interrupt is not None and isinstance(exc, interrupt):
        return True
    return isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()


def _with_retry(fn: Callable[[], T], timeout: float, what: str) -> T:
    """Call ``fn`` until DuckDB stops reporting a lock held by another process. Ctrl-C
    inside DuckDB becomes the KeyboardInterrupt it stands for (the command line's clean
    stop); a catalog DuckDB cannot read is a one-line :class:`StoreError`."""
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
                if _is_damage(exc):
                    raise CatalogDamaged(_damaged_message(what, exc)) from None
                raise StoreError(f"{what}: {_first_line(exc)}") from None
        except duckdb.Error as exc:
            if _is_interrupt(exc):
                raise KeyboardInterrupt from None
            if _is_damage(exc):
                raise CatalogDamaged(_damaged_message(what, exc)) from None
            raise
        except RuntimeError as exc:
            if _is_interrupt(exc):
                raise KeyboardInterrupt from None
            raise
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _damaged_message(what: str, exc: BaseException) -> str:
    return (
        f"{what}: the catalog cannot be read ({_first_line(exc)}); run the experiment again "
        "with --resume to rebuild it from the parts"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_damage(exc: BaseException) -> bool:
    """A DuckDB error that says the file itself is bad (not the SQL, not a lock)."""
    import duckdb

    text = str(exc).lower()
    kinds = tuple(
        k
        for k in (
            getattr(duckdb, "SerializationException", None),
            getattr(duckdb, "InternalException", None),
            getattr(duckdb, "FatalException", None),
        )
        if k is not None
    )
    return (
        isinstance(exc, kinds)
        or "corrupt" in text
        or "not a valid duckdb database" in text
        or "checksum" in text
    )


def _host() -> str:
    import socket

    return socket.gethostname()


def part_problem(path: Path, rows: int | None = None) -> str | None:
    """None if a Parquet part's footer reads (and holds ``rows`` rows, when given); else
    why not. Reads the footer only: cheap enough for every part before every session."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
    except FileNotFoundError:
        return "missing"
    except Exception as exc:  # pyarrow: ArrowInvalid, OSError for a truncated file
        return f"unreadable: {_first_line(exc)}"
    if rows is not None and meta.num_rows != rows:
        return f"{meta.num_rows} rows where the catalog recorded {rows}"
    return None


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
        """Create the catalog's tables (idempotent). A folder that has parts but no
        catalog (deleted, or set aside as damaged) gets it rebuilt from the parts."""
        if not self.catalog.exists():
            if self._part_files():
                self.rebuild_catalog(spec)
                return
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
            # the driver alone repairs: a catalog it cannot read is set aside and rebuilt
            if self.exists():
                self.heal_catalog()
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
                    with contextlib.suppress(Exception):  # an interrupted connection may refuse
                        con.execute("ROLLBACK")
                    raise
                return out
            finally:
                con.close()

        return _with_retry(attempt, timeout, f"experiment {self.name!r}")

    def read(self, sql: str, params: Sequence[Any] = (), timeout: float = 15.0) -> pd.DataFrame:
        """One query on the catalog, read-only, held for as short a time as possible."""
        import duckdb

        self._check_catalog()

        def attempt() -> pd.DataFrame:
            con = duckdb.connect(str(self.catalog), read_only=True)
            try:
                return con.execute(sql, list(params)).df()
            except duckdb.CatalogException:
                if not con.execute("SHOW TABLES").fetchall():  # created, not yet filled
                    raise StoreError(self._no_catalog_message()) from None
                raise
            finally:
                con.close()

        return _with_retry(attempt, timeout, f"experiment {self.name!r}")

    def read_tables(self, names: Sequence[str], timeout: float = 15.0) -> dict[str, pd.DataFrame]:
        """Whole catalog tables (those that exist), read in one short connection."""
        import duckdb

        self._check_catalog()

        def attempt() -> dict[str, pd.DataFrame]:
            con = duckdb.connect(str(self.catalog), read_only=True)
            try:
                have = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
                return {n: con.execute(f"SELECT * FROM {n}").df() for n in names if n in have}
            finally:
                con.close()

        return _with_retry(attempt, timeout, f"experiment {self.name!r}")

    def _check_catalog(self) -> None:
        """Readers never create the catalog (the driver is its only writer)."""
        if not self.catalog.exists():
            if not self.exists():
                raise StoreError(self.missing_message())
            if self._part_files():
                raise StoreError(
                    f"experiment {self.name!r} has lost its catalog; run the experiment again "
                    "with --resume to rebuild it from the parts"
                )
            raise StoreError(self._no_catalog_message())

    def _no_catalog_message(self) -> str:
        return (
            f"experiment {self.name!r} has no catalog yet (it is being created, or its "
            "driver died first: --resume completes it)"
        )

    # ----------------------------------------------------------------- the driver's records

    def record_definition(
        self, scenarios: list[dict[str, Any]], samples: list[dict[str, Any]]
    ) -> None:
        """The scenarios' full parameters and the samples, once (idempotent)."""

        def fn(con: Any) -> None:
            if con.execute("SELECT count(*) FROM samples").fetchone()[0] == 0:
                _insert_many(
                    con,
                    "INSERT INTO scenarios VALUES (?, ?, ?, ?)",
                    [[s["scenario"], s["name"], s["digest"], s["parameters"]] for s in scenarios],
                )
                _insert_many(
                    con,
                    "INSERT INTO samples VALUES (?, ?, ?)",
                    [[s["sample"], s["scenario"], s["parameters"]] for s in samples],
                )

        self.write(fn)

    def begin_session(self, executor: str, version: str) -> int:
        def fn(con: Any) -> int:
            # a session still 'running' had its driver killed: we hold the lock now
            con.execute(
                "UPDATE sessions SET status = 'died' WHERE status = 'running'",
            )
            n = int(con.execute("SELECT coalesce(max(session), 0) + 1 FROM sessions").fetchone()[0])
            con.execute(
                "INSERT INTO sessions VALUES (?, ?, NULL, 'running', ?, ?, ?, ?, 0, 0, 0)",
                [n, now(), executor, version, _host(), os.getpid()],
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
            _insert_many(
                con,
                f"INSERT INTO runs VALUES ({','.join('?' * len(RUN_COLUMNS))})",
                [[r.get(c) if c != "session" else session for c in RUN_COLUMNS] for r in runs],
            )
            _insert_many(
                con,
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
        files; if a recorded part has gone missing or cannot be read (truncated, or not
        the rows the catalog says), set it aside in ``quarantine/`` and forget its whole
        batch so that its runs run again. Returns (orphans deleted, runs forgotten)."""
        recorded = self.read("SELECT path, batch, rows FROM parts")
        paths = set(recorded["path"])
        bad: set[str] = set()
        for p, b, rows in zip(recorded["path"], recorded["batch"], recorded["rows"], strict=True):
            f = self.folder / p
            if not f.exists():
                bad.add(b)
                continue
            why = part_problem(f, None if pd.isna(rows) else int(rows))
            if why is not None:
                self.quarantine(f, why)
                bad.add(b)
        missing_batches = sorted(bad)
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

    # ----------------------------------------------------------------- damage

    def _part_files(self) -> list[Path]:
        base = self.folder / PARTS_DIR
        return sorted(base.glob("*/*.parquet")) if base.exists() else []

    def quarantine(self, path: Path, why: str) -> Path:
        """Move a damaged file out of the way (never delete evidence) and log why."""
        qdir = self.folder / QUARANTINE_DIR
        qdir.mkdir(parents=True, exist_ok=True)
        rel = path.relative_to(self.folder).as_posix().replace("/", "__")
        stamp = now().strftime("%Y%m%dT%H%M%S")
        target = qdir / f"{stamp}-{uuid.uuid4().hex[:6]}-{rel}"
        os.replace(path, target)
        with (qdir / "log.txt").open("a", encoding="utf-8") as fh:
            fh.write(f"{now().isoformat(timespec='seconds')} {rel} -> {target.name}: {why}\n")
        return target

    def catalog_problem(self) -> str | None:
        """None if every catalog table reads whole; else DuckDB's one-line complaint."""
        import duckdb

        if not self.catalog.exists():
            return "missing"

        def attempt() -> None:
            con = duckdb.connect(str(self.catalog), read_only=True)
            try:
                for (tname,) in con.execute("SHOW TABLES").fetchall():
                    con.execute(f"SELECT * FROM {tname}").fetchall()
            finally:
                con.close()

        try:
            _with_retry(attempt, 15.0, f"experiment {self.name!r}")
        except CatalogDamaged as exc:
            return str(exc)
        except duckdb.Error as exc:
            return _first_line(exc)
        return None

    def heal_catalog(self) -> bool:
        """Called by the driver once it holds the lock: a catalog that cannot be read is
        set aside in ``quarantine/`` and rebuilt from the parts; a missing catalog next
        to parts is rebuilt too. Returns whether it rebuilt."""
        problem = self.catalog_problem()
        if problem is None:
            return False
        if problem != "missing":
            for f in (self.catalog, self.catalog.with_name(CATALOG_FILE + ".wal")):
                if f.exists():
                    self.quarantine(f, problem)
        elif not self._part_files():
            return False  # never written: init_catalog creates it
        self.rebuild_catalog(self.spec())
        return True

    def rebuild_catalog(self, spec: dict[str, Any]) -> int:
        """A new catalog from the parts on disk: a batch whose four parts read whole is
        recorded as a 'recovered' session (its runs from the ``run`` column, their sample,
        replicate and parameters from the spec); any other part is set aside in
        ``quarantine/``. Failed runs left no part: they are missing and run again. The
        scenarios and samples tables are filled by the next driver. Returns the runs
        recovered."""
        import pyarrow.parquet as pq

        by_batch: dict[str, dict[str, Path]] = {}
        for f in self._part_files():
            if f.parent.name in TABLES:
                by_batch.setdefault(f.stem, {})[f.parent.name] = f
        reps = max(1, int(spec.get("runs", 1)))
        samples = list(spec.get("samples", []))
        total = int(spec.get("total_runs", reps * len(samples)))
        taken: set[int] = set()
        runs: list[list[Any]] = []
        parts: list[list[Any]] = []
        session = 1
        for batch in sorted(by_batch):
            files = by_batch[batch]
            why = None if set(files) == set(TABLES) else "its batch lacks a table's part"
            ids: list[int] = []
            version = ""
            metas: dict[str, Any] = {}
            if why is None:
                try:
                    metas = {t: pq.read_metadata(f) for t, f in files.items()}
                    col = pq.read_table(files["economy"], columns=["run"]).column("run")
                    ids = sorted({int(r) for r in col.to_pylist()})
                    kv = metas["economy"].metadata or {}
                    version = str(json.loads(kv.get(b"overcap", b"{}")).get("version", ""))
                except Exception as exc:  # any unreadable part: the batch runs again
                    why = f"unreadable: {_first_line(exc)}"
            if why is None and (not ids or not 0 <= ids[0] <= ids[-1] < total):
                why = "its runs are not runs of this experiment"
            if why is None and taken.intersection(ids):
                why = "its runs are recorded by another batch"
            if why is not None:
                for f in files.values():
                    self.quarantine(f, why)
                continue
            taken.update(ids)
            for r in ids:
                j, rep = divmod(r, reps)
                s: dict[str, Any] = samples[j] if j < len(samples) else {}
                row = {
                    "run": r,
                    "experiment": self.name,
                    "sample": j,
                    "replicate": rep,
                    "scenario": s.get("scenario", ""),
                    "parameters": params_json(spec.get("base", {}), s.get("parameters", {})),
                    "seed": spec.get("seed"),
                    "status": "ok",
                    "version": version,
                    "batch": batch,
                }
                runs.append([row.get(c) if c != "session" else session for c in RUN_COLUMNS])
            for t, f in sorted(files.items()):
                rel = f.relative_to(self.folder).as_posix()
                parts.append([rel, t, batch, metas[t].num_rows, f.stat().st_size, session])
        _create_catalog(self.catalog)

        def fn(con: Any) -> None:
            for stmt in SCHEMA:
                con.execute(stmt)
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
            con.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, 'recovered', 'catalog rebuilt from the "
                "parts', ?, ?, ?, ?, 0, ?)",
                [session, now(), now(), spec.get("version", ""), _host(), os.getpid(),
                 len(runs), total - len(runs)],
            )  # fmt: skip
            _insert_many(con, f"INSERT INTO runs VALUES ({','.join('?' * len(RUN_COLUMNS))})", runs)
            _insert_many(con, "INSERT INTO parts VALUES (?, ?, ?, ?, ?, ?)", parts)

        self.write(fn)
        return len(runs)

    def sessions(self) -> pd.DataFrame:
        """The sessions, their counts derived from the runs (see :func:`session_counts`)."""
        cat = self.read_tables(["sessions", "runs"])
        return session_counts(cat["sessions"], cat["runs"], int(self.spec().get("total_runs", 0)))

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
        frames = [self._read_part(p, cols, filters) for p in paths]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=cols or ["run"])
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values("run", kind="stable").reset_index(drop=True)

    def _read_part(self, path: Path, cols: list[str] | None, filters: Any) -> pd.DataFrame:
        try:
            return pd.read_parquet(path, columns=cols, filters=filters)
        except FileNotFoundError:
            why = "missing"
        except Exception as exc:  # pyarrow's errors for a truncated or foreign file
            why = _first_line(exc)
        rel = path.relative_to(self.folder).as_posix()
        raise StoreError(
            f"experiment {self.name!r}: part {rel} cannot be read ({why}); run the experiment "
            "again with --resume to set it aside and rerun its runs"
        ) from None

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.folder.rglob("*") if f.is_file())


# --------------------------------------------------------------------------- listing, SQL


def session_counts(sessions: pd.DataFrame, runs: pd.DataFrame, total: int) -> pd.DataFrame:
    """Sessions ordered by number, with runs_ok, runs_failed and runs_lost derived from
    the runs table, not the counters a session writes at its end (one that died never
    writes them): ok and failed are the runs the session recorded that are still
    recorded (``--retry-failed`` forgets failed ones); lost is what was missing after
    it."""
    out = sessions.sort_values("session").reset_index(drop=True)
    by = runs.assign(ok=runs["status"] == "ok").groupby("session")["ok"]
    ok = by.sum().reindex(out["session"], fill_value=0).to_numpy()
    n = by.size().reindex(out["session"], fill_value=0).to_numpy()
    out["runs_ok"] = ok.astype("int64")
    out["runs_failed"] = (n - ok).astype("int64")
    out["runs_lost"] = (total - n.cumsum()).astype("int64")
    return out


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
        try:
            if not st.catalog.exists():
                raise StoreError("no catalog")
            counts = st.read(
                "SELECT count(*) FILTER (WHERE status = 'ok') AS ok, "
                "count(*) FILTER (WHERE status <> 'ok') AS failed FROM runs"
            )
            last = st.read("SELECT status FROM sessions ORDER BY session DESC LIMIT 1")
            ok, failed = int(counts["ok"].iloc[0]), int(counts["failed"].iloc[0])
        except CatalogDamaged:
            last, ok, failed = pd.DataFrame({"status": ["damaged catalog (--resume)"]}), 0, 0
        except StoreError as exc:
            if "locked" in str(exc):
                raise
            last, ok, failed = pd.DataFrame({"status": ["no catalog"]}), 0, 0
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


def connect(
    name: str | None = None, results: str | Path | None = None, *, locked: bool = True
) -> Any:
    """An in-memory DuckDB connection with views over one experiment (``name``) or all
    experiments under ``results``: ``experiments``, ``runs``, ``samples``, ``scenarios``,
    ``sessions``, ``indices`` and ``outputs`` (sensitivity), and ``sectors``,
    ``provinces``, ``economy``, ``trade`` over the recorded parts (with ``run``, ``sample``
    and ``replicate`` columns); every view has an ``experiment`` column. The
    catalogs are read once, briefly, so a running experiment is not disturbed.
    ``locked`` (the default) allows no file access but reading the parts and no change
    of DuckDB's configuration; ``locked=False`` leaves the connection open (to COPY
    results out from a notebook, say)."""
    import duckdb

    if name is not None:
        st = Store.at(name, results)
        if not st.exists():
            raise StoreError(st.missing_message())
        stores = [st]
    else:
        stores = [Store(f) for f in experiment_folders(results)]
        stores = [st for st in stores if st.catalog.exists()]
        if not stores:
            raise StoreError(f"no experiments in {root_of(results)}")
    con = duckdb.connect()
    try:
        _build_views(con, stores)
        if locked:
            _lock_down(con, stores)
    except BaseException:
        con.close()
        raise
    return con


def _build_views(con: Any, stores: list[Store]) -> None:
    meta: dict[str, list[pd.DataFrame]] = {}
    part_lists: dict[str, list[tuple[str, int, list[str]]]] = {t: [] for t in TABLES}
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
        if "sessions" in cat and "runs" in cat:
            total = int(st.spec().get("total_runs", 0))
            cat["sessions"] = session_counts(cat["sessions"], cat["runs"], total)
        for tname, frame in cat.items():
            if tname == "parts":
                for t in TABLES:
                    paths = sorted(frame.loc[frame["tbl"] == t, "path"])
                    if paths:
                        reps = int(st.spec().get("runs", 1))
                        part_lists[t].append((st.name, reps, [str(st.folder / p) for p in paths]))
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
        # run = sample * replicates + replicate: both as columns, after the run
        selects = [
            f"SELECT {_sql_str(exp)} AS experiment, run, run // {reps} AS sample, "
            f"run % {reps} AS replicate, * EXCLUDE (run) "
            f"FROM read_parquet([{', '.join(map(_sql_str, paths))}])"
            for exp, reps, paths in lists
        ]
        con.execute(f"CREATE VIEW {t} AS " + " UNION ALL BY NAME ".join(selects))


def _lock_down(con: Any, stores: list[Store]) -> None:
    """No file access but reading the experiments' parts, and no configuration change."""
    import duckdb

    dirs = [str(st.folder / PARTS_DIR) + os.sep for st in stores]
    try:
        con.execute(f"SET allowed_directories = [{', '.join(map(_sql_str, dirs))}]")
        con.execute("SET enable_external_access = false")
    except duckdb.Error:  # DuckDB before 1.3 has no allow-list: query() checks statements
        pass
    con.execute("SET lock_configuration = true")


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


READ_ONLY_STATEMENTS = ("SELECT", "EXPLAIN")
READ_ONLY_TEXT = "SELECT (WITH, FROM, DESCRIBE, SHOW, SUMMARIZE) and EXPLAIN"


def query(sql: str, name: str | None = None, results: str | Path | None = None) -> pd.DataFrame:
    """Run DuckDB SQL over the stored results (see :func:`connect` for the views) and
    return a pandas frame. Read-only: any statement but SELECT and EXPLAIN (ATTACH,
    COPY, CREATE, DELETE, INSERT, UPDATE, DROP, SET, PRAGMA, INSTALL, LOAD, ...) is
    refused, and the connection reads no file but the parts. Bad SQL raises
    :class:`StoreError` with DuckDB's message."""
    import duckdb

    con = connect(name, results)
    try:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise StoreError(f"query: {_first_line(exc)}") from None
        if not statements:
            raise StoreError("query: no SQL statement; allowed: " + READ_ONLY_TEXT)
        for st in statements:
            kind = str(st.type).rsplit(".", 1)[-1]
            if kind not in READ_ONLY_STATEMENTS:
                raise StoreError(
                    f"query: {kind} refused, overcap query is read-only; allowed: " + READ_ONLY_TEXT
                )
        return con.execute(sql).df()
    except duckdb.Error as exc:
        first = _first_line(exc)
        if _is_interrupt(exc):
            raise KeyboardInterrupt from None
        if ".parquet" in first:
            first += " (a damaged part: run the experiment again with --resume to set it aside)"
        raise StoreError(f"query: {first}") from None
    finally:
        con.close()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
