"""The DuckDB archive: opening it, migrating it, and the SQL kept in ``sql/``.

Migrations are ``sql/migrations/NNN_name.sql`` applied in order and recorded in
``schema_migrations``. Queries are ``sql/queries/NAME.sql`` loaded by name.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from wirehouse.errors import StorageError

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
    """Apply the migrations this database has not seen; returns the versions applied."""
    conn.execute(
        "create table if not exists schema_migrations ("
        " version integer primary key, name varchar not null,"
        " applied_at timestamptz not null default current_timestamp)"
    )
    done = {row[0] for row in conn.execute("select version from schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        conn.execute("begin transaction")
        try:
            conn.execute(sql)
            conn.execute(
                "insert into schema_migrations (version, name) values (?, ?)", [version, name]
            )
            conn.execute("commit")
        except duckdb.Error as exc:
            conn.execute("rollback")
            raise StorageError(f"migration {version:03d}_{name} failed: {exc}") from exc
        applied.append(version)
    return applied


def _is_lock_error(exc: BaseException) -> bool:
    return any(text in str(exc) for text in _LOCK_MESSAGES)


def connect(
    path: str | Path, *, read_only: bool = False, wait_s: float = 10.0
) -> duckdb.DuckDBPyConnection:
    """Open the archive, waiting up to ``wait_s`` while another process holds the write lock."""
    path = Path(path)
    if read_only and not path.exists():
        raise StorageError(f"no archive at {path}: run `wirehouse run` or `wirehouse demo` first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise StorageError(f"cannot open {path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise StorageError(
                    f"{path} stayed locked by another writer for {wait_s:.0f}s; "
                    "try again when the running archive job finishes its load step"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


@contextmanager
def open_archive(
    path: str | Path, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated connection that is closed (and its lock released) on exit."""
    conn = connect(path, read_only=read_only)
    try:
        if not read_only:
            migrate(conn)
        yield conn
    finally:
        conn.close()


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
    """Run a named parameterised statement once per row."""
    if rows:
        conn.executemany(query(sql_name), [list(row) for row in rows])
