"""The DuckLake backend: a PostgreSQL catalog and Parquet files under a data path.

``wirehouse.db`` opens either backend; this module holds what only DuckLake needs: the
location syntax (``ducklake:postgres:<libpq conninfo>``), loading the extensions from their
PyPI wheels, attaching the lake, the advisory locks that keep writers and grouping single,
and the translation of the DuckDB-file SQL that DuckLake cannot run as written.

Translation (the same migrations and queries run on both backends):

- DDL: DuckLake has no PRIMARY KEY, UNIQUE, indexes or sequences. ``primary key`` and
  ``unique`` are dropped from column and table definitions, ``create index`` and ``create
  sequence`` statements are left out, and a ``default nextval(...)`` column gets no default
  (on DuckLake ``fetches.fetch_id`` stays empty; nothing joins on it).
- Upserts: ``insert into T (cols) <select | values> on conflict (keys) do nothing | do
  update set ...`` becomes ``merge into T using (<source>) as excluded(cols) on <keys>
  when matched then update set ... when not matched then insert ...``: the same
  statement, since the set clauses already name ``excluded``.

Without keys, two writers that both insert a row that is absent would both commit. Every
write on DuckLake therefore holds a PostgreSQL advisory lock (``WRITE_LOCK``) for its short
load transaction, as a DuckDB file lets one writer in at a time: the work between loads
(fetching, extraction) runs in parallel, the loads one after another, and readers read
snapshots and never wait. Grouping holds ``GROUP_LOCK`` for the whole step.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from wirehouse.errors import InputError, StorageError, StorageUnavailable

PREFIX = "ducklake:"
POSTGRES_PREFIX = "ducklake:postgres:"
CATALOG = "lake"  # the name the lake is attached as
WRITE_LOCK = "wirehouse:write"
GROUP_LOCK = "wirehouse:group"
_EXTENSIONS = {
    "ducklake": "duckdb_extension_ducklake",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "httpfs": "duckdb_extension_httpfs",
}
_CONNINFO_PAIR = re.compile(r"^\s*(?:[a-z_]+\s*=\s*(?:'(?:[^'\\]|\\.)*'|[^\s']+)\s*)+$")


def is_lake(db: str | Path) -> bool:
    """Whether an archive location names a DuckLake rather than a DuckDB file."""
    return str(db).startswith(PREFIX)


@dataclass(frozen=True, slots=True)
class LakeLocation:
    """A DuckLake: its PostgreSQL catalog and where its data files go."""

    conninfo: str
    data_path: str | None = None

    @property
    def display(self) -> str:
        """The location without a password, for messages."""
        return POSTGRES_PREFIX + re.sub(r"password\s*=\s*\S+", "password=***", self.conninfo)


def parse_location(db: str, data_path: str | None = None) -> LakeLocation:
    """``ducklake:postgres:<conninfo>`` as a LakeLocation (InputError when malformed)."""
    if not db.startswith(POSTGRES_PREFIX):
        raise InputError(
            f"--db {db!r}: a DuckLake archive is ducklake:postgres:<libpq conninfo> "
            "(e.g. 'ducklake:postgres:dbname=wirehouse host=db.internal'); other catalogs "
            "are not supported",
            reason="bad_archive_path",
        )
    conninfo = db[len(POSTGRES_PREFIX) :].strip()
    if not (
        conninfo.startswith(("postgres://", "postgresql://")) or _CONNINFO_PAIR.match(conninfo)
    ):
        raise InputError(
            f"--db {db!r}: the catalog must be a libpq conninfo ('dbname=NAME host=HOST "
            "user=USER ...') or a postgresql:// URI",
            reason="bad_archive_path",
        )
    return LakeLocation(conninfo, check_data_path(data_path) if data_path else None)


def check_data_path(data_path: str) -> str:
    """A local folder or ``s3://bucket/prefix``, ending in a slash (InputError otherwise)."""
    text = data_path.strip()
    if not text:
        raise InputError("--data-path is empty", reason="bad_archive_path")
    if "://" in text:
        if not re.match(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$", text):
            raise InputError(
                f"--data-path {data_path!r}: a folder or s3://bucket/prefix",
                reason="bad_archive_path",
            )
        return text.rstrip("/") + "/"
    path = Path(text).absolute()
    if path.exists() and not path.is_dir():
        raise InputError(
            f"--data-path {data_path!r} is a file, not a folder", reason="bad_archive_path"
        )
    return str(path) + "/"


def extension_file(name: str) -> Path:
    """The extension file shipped in ``duckdb-extension-<name>`` for this duckdb version."""
    module_name = _EXTENSIONS[name]
    package = f"{module_name.replace('_', '-')}=={duckdb.__version__}"
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise StorageError(f"DuckLake archives need the {package} package") from exc
    path = (
        Path(str(module.__file__)).resolve().parent
        / "extensions"
        / f"v{duckdb.__version__}"
        / f"{name}.duckdb_extension"
    )
    if not path.is_file():
        raise StorageError(f"no {name} extension at {path}: install {package}")
    return path


def load_extension(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load an extension from its installed package (nothing is downloaded)."""
    literal = str(extension_file(name)).replace("'", "''")
    conn.execute(f"load '{literal}'")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _wants_s3(location: LakeLocation) -> bool:
    from wirehouse.settings import Settings

    return bool(
        (location.data_path or "").startswith("s3://")
        or os.environ.get("AWS_ACCESS_KEY_ID")
        or Settings.from_env().archive.s3_endpoint
    )


def s3_secret() -> str:
    """The statement that gives DuckDB the S3 endpoint and keys for an s3:// data path:
    the endpoint, region and URL style from the settings, the keys from the usual AWS_*
    variables (never from a setting, so never in a flow's parameters or a log)."""
    from urllib.parse import urlsplit

    from wirehouse.settings import Settings

    archive = Settings.from_env().archive
    options = {
        "key_id": os.environ.get("AWS_ACCESS_KEY_ID", ""),
        "secret": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
        "session_token": os.environ.get("AWS_SESSION_TOKEN", ""),
        "region": archive.s3_region,
        "url_style": archive.s3_url_style,
    }
    clauses = [f"{key} {_literal(value)}" for key, value in options.items() if value]
    if archive.s3_endpoint:
        endpoint = urlsplit(archive.s3_endpoint)
        clauses.append(f"endpoint {_literal(endpoint.netloc)}")
        clauses.append(f"use_ssl {'true' if endpoint.scheme == 'https' else 'false'}")
    return f"create or replace secret wirehouse_s3 (type s3, {', '.join(clauses)})"


def _catalog_error(location: LakeLocation, exc: BaseException) -> StorageUnavailable:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return StorageUnavailable(
        f"cannot reach the DuckLake catalog {location.display}: {first}",
        reason="catalog_unreachable",
    )


# Loading the extensions and attaching the catalog costs about half a second, so each
# process does it once: an in-memory DuckDB with the lake attached, of which every open is a
# connection of its own (``cursor``: its own transactions and temporary views).
_bases: dict[tuple[int, str, str | None, bool], duckdb.DuckDBPyConnection] = {}
_bases_guard = threading.Lock()


def connect_lake(location: LakeLocation, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the lake attached as ``lake`` and in use."""
    key = (os.getpid(), location.conninfo, location.data_path, read_only)
    with _bases_guard:
        base = _bases.get(key)
        if base is None:
            base = _bases[key] = _attach(location, read_only=read_only)
    conn = base.cursor()
    conn.execute(f"use {CATALOG}")
    return conn


def _attach(location: LakeLocation, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the lake attached as ``lake``."""
    conn = duckdb.connect()
    try:
        load_extension(conn, "ducklake")
        load_extension(conn, "postgres_scanner")
        # a reader names no data path: the catalog's may be s3://, so S3 is always ready
        load_extension(conn, "httpfs")
        if _wants_s3(location):
            conn.execute(s3_secret())
        options = []
        if location.data_path:
            options.append(f"data_path {_literal(location.data_path)}")
        if read_only:
            options.append("read_only")
        clause = f" ({', '.join(options)})" if options else ""
        try:
            conn.execute(
                f"attach {_literal(POSTGRES_PREFIX + location.conninfo)} as {CATALOG}{clause}"
            )
        except duckdb.Error as exc:
            raise _catalog_error(location, exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def is_lake_connection(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether a connection is one ``connect_lake`` made."""
    row = conn.execute("select current_database()").fetchone()
    return bool(row and row[0] == CATALOG)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a lock name."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


def _lock_base(location: LakeLocation) -> duckdb.DuckDBPyConnection:
    """This process's connection to the catalog's server for advisory locks (each lock is
    held by a transaction of a cursor of it, so by a PostgreSQL connection of its own)."""
    key = (os.getpid(), location.conninfo, "pglock", False)
    with _bases_guard:
        base = _bases.get(key)
        if base is None:
            base = duckdb.connect()
            try:
                load_extension(base, "postgres_scanner")
                base.execute(f"attach {_literal(location.conninfo)} as pglock (type postgres)")
            except duckdb.Error as exc:
                base.close()
                raise _catalog_error(location, exc) from exc
            _bases[key] = base
    return base


_held: dict[tuple[str, str], int] = {}
_guards: dict[tuple[str, str], threading.RLock] = {}
_guard = threading.Lock()


@contextmanager
def advisory_lock(location: LakeLocation, name: str, wait_s: float | None) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock on the catalog's server while the block runs.

    Re-entrant in a process (threads take turns; a thread may take it again). Waits up to
    ``wait_s`` seconds (None: as long as it takes), then raises StorageUnavailable. The
    lock is a transaction lock held by a connection of its own: a process that dies
    releases it with its connection."""
    key = (location.conninfo, name)
    with _guard:
        guard = _guards.setdefault(key, threading.RLock())
    with guard:
        if _held.get(key):
            _held[key] += 1
            try:
                yield
            finally:
                _held[key] -= 1
            return
        conn = _lock_base(location).cursor()
        try:
            conn.execute("begin transaction")
            timeout_ms = 0 if wait_s is None else max(1, int(wait_s * 1000))
            conn.execute(
                "call postgres_execute('pglock', "
                + _literal(f"set local lock_timeout = {timeout_ms}")
                + ")"
            )
            try:
                conn.execute(
                    "call postgres_execute('pglock', "
                    + _literal(f"select pg_advisory_xact_lock({lock_key(name)})")
                    + ")"
                )
            except duckdb.Error as exc:
                if "lock timeout" in str(exc).lower() or "canceling statement" in str(exc):
                    raise StorageUnavailable(
                        f"{location.display} is held by another writer ({name}) and stayed "
                        f"held for {wait_s:.0f}s",
                        reason="archive_locked",
                    ) from exc
                raise _catalog_error(location, exc) from exc
            _held[key] = 1
            try:
                yield
            finally:
                _held[key] = 0
                with contextlib.suppress(duckdb.Error):  # the lock goes with the connection
                    conn.execute("commit")
        finally:
            conn.close()


# --- translation of the DuckDB-file SQL --------------------------------------------------

_COMMENT = re.compile(r"--[^\n]*")
_SKIPPED = re.compile(r"^\s*create\s+(?:unique\s+)?(?:index|sequence)\b", re.IGNORECASE)
_TABLE_KEY = re.compile(r",\s*(?:primary\s+key|unique)\s*\([^)]*\)", re.IGNORECASE)
_COLUMN_KEY = re.compile(r"\s+(?:primary\s+key|unique)\b", re.IGNORECASE)
_NEXTVAL = re.compile(r"\s+default\s+nextval\s*\([^)]*\)", re.IGNORECASE)


def translate_ddl(sql: str) -> str:
    """A migration as DuckLake can run it (see the module docstring)."""
    statements = [s.strip() for s in _COMMENT.sub("", sql).split(";")]
    kept = []
    for statement in statements:
        if not statement or _SKIPPED.match(statement):
            continue
        statement = _TABLE_KEY.sub("", statement)
        statement = _COLUMN_KEY.sub("", statement)
        kept.append(_NEXTVAL.sub("", statement))
    return ";\n".join(kept) + (";" if kept else "")


_UPSERT = re.compile(
    r"insert\s+into\s+(?P<table>\w+)\s*\((?P<cols>[^)]*)\)\s*(?P<source>.*?)\s*"
    r"on\s+conflict\s*\((?P<keys>[^)]*)\)\s*do\s+(?:(?P<nothing>nothing)|update\s+set\s+"
    r"(?P<sets>.*?))\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def translate_upsert(sql: str, rows: int = 1) -> str:
    """An ``insert ... on conflict`` statement as a ``merge`` (other SQL unchanged); one
    whose source is ``values (?, ...)`` takes ``rows`` rows at once (a statement on a
    DuckLake costs catalog round trips: one for many rows, not one each)."""
    body = _COMMENT.sub("", sql).strip()
    match = _UPSERT.fullmatch(body)
    if match is None:
        return sql
    table = match["table"]
    cols = [c.strip() for c in match["cols"].split(",")]
    keys = [k.strip() for k in match["keys"].split(",")]
    source = match["source"].strip()
    values = re.fullmatch(r"values\s*(\([^)]*\))", source, re.IGNORECASE)
    if values and rows > 1:
        source = "values " + ", ".join([values[1]] * rows)
    on = " and ".join(f"{table}.{k} = excluded.{k}" for k in keys)
    merge = [
        f"merge into {table} using ({source}) as excluded({', '.join(cols)}) on {on}",
    ]
    if not match["nothing"]:
        merge.append(f"when matched then update set {match['sets']}")
    merge.append(
        f"when not matched then insert ({', '.join(cols)}) "
        f"values ({', '.join('excluded.' + c for c in cols)})"
    )
    return "\n".join(merge)
