"""The archive: opening it, migrating it, and the SQL kept in ``sql/``.

An archive location is a DuckDB file (``news.duckdb``) or a DuckLake
(``ducklake:postgres:<libpq conninfo>`` with a data path; ``wirehouse.ducklake``). This is
the one place either is opened; both give a DuckDB connection, and the same migrations and
queries run on both (translated for DuckLake where it lacks keys and sequences).

Migrations are ``sql/migrations/NNN_name.sql`` applied in order and recorded in
``schema_migrations``. Queries are ``sql/queries/NAME.sql`` loaded by name.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from wirehouse import ducklake
from wirehouse.errors import InputError, StorageError, StorageUnavailable

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
# DuckDB lets one process write a file at a time; another that tries meets this message.
_LOCK_MESSAGES = ("Could not set lock", "Conflicting lock", "database is locked")


@cache
def query(name: str) -> str:
    """The text of ``sql/queries/<name>.sql``."""
    path = SQL_DIR / "queries" / f"{name}.sql"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyError(f"no SQL query named {name!r} in {path.parent}") from None


@cache
def _lake_query(name: str) -> str:
    return ducklake.translate_upsert(query(name))


def statement(conn: duckdb.DuckDBPyConnection, name: str) -> str:
    """A named statement as this connection's backend runs it (an upsert becomes a merge
    on DuckLake)."""
    text = query(name)
    if "on conflict" in text.lower() and ducklake.is_lake_connection(conn):
        return _lake_query(name)
    return text


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration file, in order."""
    found = []
    for path in sorted((SQL_DIR / "migrations").glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise StorageError(f"migration file {path.name} is not named NNN_name.sql")
        found.append((int(match[1]), match[2], path.read_text(encoding="utf-8")))
    return found


def migrate(conn: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations this database has not seen; returns the versions applied.
    On DuckLake each is translated first (``ducklake.translate_ddl``)."""
    lake = ducklake.is_lake_connection(conn)
    ddl = ducklake.translate_ddl if lake else (lambda sql: sql)
    _check_is_archive(conn)
    conn.execute(
        ddl(
            "create table if not exists schema_migrations ("
            " version integer primary key, name varchar not null,"
            " applied_at timestamptz not null default current_timestamp)"
        )
    )
    done = {row[0] for row in conn.execute("select version from schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        conn.execute("begin transaction")
        try:
            conn.execute(ddl(sql))
            conn.execute(
                "insert into schema_migrations (version, name) values (?, ?)", [version, name]
            )
            conn.execute("commit")
        except duckdb.Error as exc:
            conn.execute("rollback")
            raise StorageError(f"migration {version:03d}_{name} failed: {exc}") from exc
        applied.append(version)
    return applied


_OWN_TABLES = (
    "select table_name from information_schema.tables"
    " where table_catalog = current_database() and table_schema = current_schema()"
    " order by table_name"
)
NOT_A_DUCKDB_FILE = "not a valid DuckDB database file"


def _check_is_archive(conn: duckdb.DuckDBPyConnection) -> None:
    """Refuse a database that holds tables but no ``schema_migrations``: someone's own
    DuckDB file given as ``--db`` by mistake was migrated, some thirty tables added to it."""
    names = [row[0] for row in conn.execute(_OWN_TABLES).fetchall()]
    if names and "schema_migrations" not in names:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise InputError(
            f"the database holds tables ({shown}) but is no wirehouse archive;"
            " give --db a new file or an archive",
            reason="not_an_archive",
        )


def _is_lock_error(exc: BaseException) -> bool:
    return any(text in str(exc) for text in _LOCK_MESSAGES)


_HOLDER = re.compile(r"lock is held in (.+?) \(PID (\d+)\)")


def lock_holder(exc: BaseException) -> str:
    """Who holds the file, as DuckDB's lock error names it: "PID 123 (/usr/bin/duckdb)"."""
    match = _HOLDER.search(str(exc))
    return f"PID {match[2]} ({match[1]})" if match else "another process"


READ_WAIT_S = 10.0  # a query waits this long for a load transaction to finish
WRITE_WAIT_S = 120.0  # a run's step waits longer: a reader's long query must not fail a run
# DuckDB 1.5 rewrites `qualify row_number() over (partition by k ...) <= n` into an aggregate
# that holds a heap of n rows for each k: measured 1.3 GB for 100,000 keys at n = 200 (the
# copy candidates of 800 re-crawled copies ran out of the group step's 512 MB that way),
# against 64 MB with the window operator it replaces. Turned off on every connection with a
# SET, not a connect-time config: a file opened in one process with two configs is refused,
# and a user's own connection to the archive has none.
_SETUP = "set disabled_optimizers = 'top_n_window_elimination'"
logger = logging.getLogger("wirehouse.db")


def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    wait_s: float | None = None,
    data_path: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the archive, waiting while another process holds it.

    A DuckLake location (``ducklake:postgres:...``) is attached instead (``data_path``
    where its files go: needed when the lake is made, remembered by its catalog after);
    nothing holds it, so nothing is waited for: writers take turns in ``open_archive``.

    DuckDB lets one process open a file for writing, and no other process open it at all
    meanwhile; a run holds it only for short load transactions, so waiting briefly is
    enough for a reader (``READ_WAIT_S``), and a writer waits longer (``WRITE_WAIT_S``),
    saying once who it waits for. ``wait_s=0`` tries once. Raises StorageUnavailable when
    the file stays held, StorageError when it cannot be opened at all.
    """
    if ducklake.is_lake(path):
        location = ducklake.parse_location(str(path), data_path)
        return _set_up(ducklake.connect_lake(location, read_only=read_only))
    if wait_s is None:
        wait_s = READ_WAIT_S if read_only else WRITE_WAIT_S
    path = Path(path)
    if not str(path) or path.is_dir():
        raise StorageError(f"{str(path)!r} is not a database file name", reason="bad_archive_path")
    if read_only and not path.exists():
        raise StorageError(f"no archive at {path}: run `wirehouse run` or `wirehouse demo` first")
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create {path.parent}: {exc.strerror or exc}", reason="bad_archive_path"
            ) from exc
    started = time.monotonic()
    delay = 0.05
    said = False
    while True:
        try:
            return _set_up(duckdb.connect(str(path), read_only=read_only))
        except duckdb.Error as exc:
            if NOT_A_DUCKDB_FILE in str(exc):  # a wrong argument, not a damaged archive
                raise InputError(
                    f"{path} is not a DuckDB database file; give --db a new file or an archive",
                    reason="not_an_archive",
                ) from exc
            if not _is_lock_error(exc):
                raise StorageError(f"cannot open {path}: {_first_line(exc)}") from exc
            waited = time.monotonic() - started
            if waited >= wait_s:
                raise StorageUnavailable(
                    f"{path} is held by {lock_holder(exc)}"
                    + (f" and stayed held for {wait_s:.0f}s" if wait_s else ""),
                    reason="archive_locked",
                ) from exc
            if not said and waited >= 1.0:
                logger.warning(
                    "waiting for %s: it is held by %s (up to %.0fs more)",
                    path,
                    lock_holder(exc),
                    wait_s - waited,
                )
                said = True
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _set_up(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    try:
        conn.execute(_SETUP)
    except duckdb.Error:
        conn.close()  # not left open, holding the file, by a caller that never got it
        raise
    return conn


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextmanager
def open_archive(
    path: str | Path,
    *,
    read_only: bool = False,
    wait_s: float | None = None,
    migrated: bool = False,
    data_path: str | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated connection that is closed (and its lock released) on exit; ``migrated``
    skips the migration check (the run already made it). On DuckLake a writer holds the
    catalog's write lock meanwhile, waiting ``wait_s`` for it (readers take none)."""
    if ducklake.is_lake(path) and not read_only:
        location = ducklake.parse_location(str(path), data_path)
        wait = WRITE_WAIT_S if wait_s is None else wait_s
        with (
            ducklake.advisory_lock(location, ducklake.WRITE_LOCK, wait),
            _opened(path, read_only, wait_s, migrated, data_path) as conn,
        ):
            yield conn
        return
    with _opened(path, read_only, wait_s, migrated, data_path) as conn:
        yield conn


@contextmanager
def _opened(
    path: str | Path,
    read_only: bool,
    wait_s: float | None,
    migrated: bool,
    data_path: str | None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    conn = connect(path, read_only=read_only, wait_s=wait_s, data_path=data_path)
    try:
        if not read_only and not migrated:
            migrate(conn)
        yield conn
    finally:
        conn.close()


@contextmanager
def grouping_lock(path: str | Path, wait_s: float | None = None) -> Iterator[None]:
    """Hold the archive's grouping lock (DuckLake: one grouping at a time over all machines;
    a DuckDB file: its run lock does that already, so nothing here)."""
    if not ducklake.is_lake(path):
        yield
        return
    location = ducklake.parse_location(str(path))
    with ducklake.advisory_lock(location, ducklake.GROUP_LOCK, wait_s):
        yield


@contextmanager
def interrupted_by_ctrl_c(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """While the block runs, Ctrl-C interrupts ``conn``'s query at once. DuckDB looks for
    Ctrl-C only while a query starts; fetching a result it computes on, and Python's own
    handler waits for the call to return: `wirehouse sql` ignored a Ctrl-C for minutes.
    The signal's byte, which Python writes to a wakeup socket as it arrives, is read by a
    thread that interrupts the connection (``interrupt`` may be called from any thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    before = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)

    def watch() -> None:
        with contextlib.suppress(OSError):
            while True:
                caught = reader.recv(64)
                if not caught:
                    return  # the block is over
                if signal.SIGINT in caught:
                    conn.interrupt()

    watcher = threading.Thread(target=watch, name="ctrl-c", daemon=True)
    watcher.start()
    try:
        yield
    except BaseException:
        # DuckDB's client answers Ctrl-C by leaving ``execute`` without stopping the query:
        # a worker thread runs on until the connection's interrupt flag is set, and
        # ``close()`` waits for it. The watcher's interrupt may have come before the query
        # began, and a query's start clears the flag; set now, nothing can clear it.
        with contextlib.suppress(duckdb.Error):
            conn.interrupt()
        raise
    finally:
        signal.set_wakeup_fd(before)
        writer.close()  # the watcher's recv returns empty
        watcher.join(timeout=1)
        reader.close()


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Commit on success, roll back on any error."""
    conn.execute("begin transaction")
    try:
        yield conn
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("commit")


def insert_many(
    conn: duckdb.DuckDBPyConnection, sql_name: str, rows: Sequence[Sequence[Any]]
) -> None:
    """Run a named parameterised statement once per row (for a handful of rows)."""
    if not rows:
        return
    text = query(sql_name)
    if "on conflict" in text.lower() and ducklake.is_lake_connection(conn):
        # one merge over all the rows: a DuckLake statement costs catalog round trips
        merge = ducklake.translate_upsert(text, rows=len(rows))
        conn.execute(merge, [value for row in rows for value in row])
        return
    conn.executemany(text, [list(row) for row in rows])


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot load a {type(value).__name__} through a batch")


@contextmanager
def batch_view(
    conn: duckdb.DuckDBPyConnection, types: dict[str, str], rows: Sequence[dict[str, Any]]
) -> Iterator[None]:
    """A temporary view ``batch`` over ``rows`` while the block runs.

    DuckDB binds parameters row by row (milliseconds a row), and a long list parameter is
    slow to convert; its JSON reader loads thousands of rows in milliseconds. Rows go to a
    temporary newline-delimited JSON file read with the given column types, so nothing is
    guessed.
    """
    spec = ", ".join(f"'{name}': '{kind}'" for name, kind in types.items())
    handle, path = tempfile.mkstemp(prefix="wirehouse-batch-", suffix=".ndjson")
    try:
        # A lone surrogate ("\ud800" in a page's JSON-LD or a JSON Feed, which json.loads
        # keeps) cannot be written as UTF-8: it is written as "?", not left to fail the
        # whole load and the run with it.
        with os.fdopen(handle, "w", encoding="utf-8", errors="replace") as out:
            for row in rows:
                out.write(json.dumps(row, default=_json_value, ensure_ascii=False))
                out.write("\n")
        conn.execute(
            "create or replace temp view batch as select * from read_json("
            f"'{path}', format = 'newline_delimited', columns = {{{spec}}})"
        )
        try:
            yield
        finally:
            conn.execute("drop view if exists batch")
    finally:
        os.unlink(path)


@contextmanager
def columns_view(
    conn: duckdb.DuckDBPyConnection,
    types: Mapping[str, str],
    columns: Mapping[str, np.ndarray],
    view: str = "batch",
) -> Iterator[None]:
    """A temporary view ``view`` (``batch`` unless named) over whole columns while the block
    runs: numpy arrays of one length (numbers, booleans, or strings as numpy unicode arrays;
    no nulls), which DuckDB reads in place, so a batch of millions of values makes no Python
    object a value (``batch_view`` makes a JSON line a row). Each column is cast to its
    given type."""
    name = f"batch_columns_{uuid.uuid4().hex}"
    conn.register(name, dict(columns))
    try:
        select = ", ".join(
            f"cast({column} as {kind}) as {column}" for column, kind in types.items()
        )
        conn.execute(f"create or replace temp view {view} as select {select} from {name}")
        try:
            yield
        finally:
            conn.execute(f"drop view if exists {view}")
    finally:
        conn.unregister(name)


def load_columns(
    conn: duckdb.DuckDBPyConnection, sql_name: str, table: str, columns: Mapping[str, np.ndarray]
) -> None:
    """``load_batch`` over whole columns (``columns_view``), typed as ``table``'s are."""
    if not len(next(iter(columns.values()), ())):
        return
    types = _column_types(conn, table)
    with columns_view(conn, {name: types[name] for name in columns}, columns):
        conn.execute(statement(conn, sql_name))


def load_batch(
    conn: duckdb.DuckDBPyConnection, sql_name: str, table: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Run a named statement that reads the view ``batch`` over ``rows``, typed as the
    columns of ``table`` are."""
    if not rows:
        return
    types = _column_types(conn, table)
    with batch_view(conn, {name: types[name] for name in rows[0]}, rows):
        conn.execute(statement(conn, sql_name))


_lake_types: dict[str, dict[str, str]] = {}  # a DuckLake's catalog is a round trip away


def _column_types(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    lake = ducklake.is_lake_connection(conn)
    if lake and table in _lake_types:
        return _lake_types[table]
    types = _read_column_types(conn, table)
    if lake:
        _lake_types[table] = types
    return types


def _read_column_types(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = conn.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_name = ? and table_catalog = current_database()",
        [table],
    ).fetchall()
    if not rows:
        raise StorageError(f"no table {table!r} in the archive")
    return dict(rows)
