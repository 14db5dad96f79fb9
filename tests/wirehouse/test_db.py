from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import duckdb
import pytest

from wirehouse.db import (
    connect,
    interrupted_by_ctrl_c,
    migrate,
    migrations,
    open_archive,
    query,
    transaction,
)
from wirehouse.errors import InputError, StorageError


def test_migrations_apply_once_and_are_recorded(tmp_path):
    db = tmp_path / "a.duckdb"
    with open_archive(db) as conn:
        versions = [
            v
            for (v,) in conn.execute("select version from schema_migrations order by 1").fetchall()
        ]
        assert versions == [v for v, _, _ in migrations()]
        assert migrate(conn) == []  # nothing left to apply
    with open_archive(db) as conn:
        tables = {
            t
            for (t,) in conn.execute("select table_name from information_schema.tables").fetchall()
        }
    assert {
        "articles",
        "stories",
        "fetches",
        "copy_groups",
        "article_links",
        "raw_records",
    } <= tables


def test_contract_columns_exist(tmp_path):
    contract = {
        "articles": {
            "article_id",
            "url",
            "canonical_url",
            "domain",
            "title",
            "author",
            "published_at",
            "language",
            "text",
            "text_sha256",
            "word_count",
            "copy_group_id",
            "story_id",
            "fetched_at",
        },
        "stories": {
            "story_id",
            "title",
            "first_published_at",
            "article_count",
            "domain_count",
            "lead_article_id",
        },
        "fetches": {"url", "fetched_at", "status_code", "error"},
    }
    with open_archive(tmp_path / "a.duckdb") as conn:
        for table, columns in contract.items():
            have = {
                c
                for (c,) in conn.execute(
                    "select column_name from information_schema.columns where table_name = ?",
                    [table],
                ).fetchall()
            }
            assert columns <= have, columns - have


# Batches that are not shaped like the table a statement writes.
BATCH_SHAPES = {
    "replace_fingerprints": "select 0::integer as pos, 0::ubigint as fingerprint, true as keyed",
    "grouping_working_set": (
        "select ''::varchar as article_id, true as near, ''::varchar as term, 0.0 as weight"
    ),
    "story_vectors_of": "select ''::varchar as story_id",
    "furniture_holders": (
        "select ''::varchar as domain, 0::bigint as line_key, true as just_found"
    ),
    "forget_articles": "select ''::varchar as record_id",
    "forget_superseded": "select ''::varchar as record_id",
    "identity_contenders": "select ''::varchar as article_id, ''::varchar as record_id",
    "moved_articles": "select ''::varchar as article_id, ''::varchar as record_id",
    "repoint_superseded": "select ''::varchar as article_id, ''::varchar as moved_to",
    "site_titles": "select ''::varchar as domain",
    "storyline_neighbours": (
        "select ''::varchar as story_id, now() as day, ''::varchar as term, 0.0 as weight"
    ),
}

# Views other than ``batch`` a statement reads (a second column set), by name.
OTHER_VIEWS = {
    "kept": "select ''::varchar as story_id",
    "batch_ids": "select 0::integer as pos, ''::varchar as article_id",
}


def test_every_named_query_parses(tmp_path):
    with open_archive(tmp_path / "a.duckdb") as conn:
        parse_every_query(conn)


def parse_every_query(conn: duckdb.DuckDBPyConnection) -> None:
    """Run every named query (as this backend runs it) on an empty archive, in a
    transaction rolled back: each compiles against the migrated tables."""
    from wirehouse.db import SQL_DIR, statement

    for path in sorted((SQL_DIR / "queries").glob("*.sql")):
        assert query(path.stem).lstrip().startswith("--"), f"{path.name} needs a one-line comment"
        text = statement(conn, path.stem)
        conn.execute("begin transaction")
        try:
            target = re.search(r"(?:insert into|merge into|update)\s+(\w+)", text)
            if path.stem in BATCH_SHAPES:
                conn.execute(f"create temp view batch as {BATCH_SHAPES[path.stem]} limit 0")
            elif "from batch" in text and target:
                # a batch statement reads rows shaped like its target table
                conn.execute(f"create temp view batch as select * from {target[1]} limit 0")
            elif re.search(r"\bbatch\b", text):
                # a lookup reads a batch of article ids or of URLs
                column = "article_id" if "article_id" in text else "url"
                conn.execute(f"create temp view batch as select ''::varchar as {column} limit 0")
            for view, shape in OTHER_VIEWS.items():
                if re.search(rf"\bfrom {view}\b", text):
                    conn.execute(f"create temp view {view} as {shape} limit 0")
            # parameters are bound as NULL just to check the statement compiles
            named = sorted(set(re.findall(r"\$(\w+)", text)))
            count = text.count("?")
            if named:
                conn.execute(text, dict.fromkeys(named))
            else:
                conn.execute(text, [None] * count) if count else conn.execute(text)
        except duckdb.ConstraintException:
            pass  # NULL into NOT NULL: the statement compiled
        finally:
            conn.execute("rollback")


def test_unknown_query_name():
    with pytest.raises(KeyError, match="no SQL query named 'nope'"):
        query("nope")


def test_load_batch_keeps_types_exactly(tmp_path):
    from datetime import UTC, datetime

    from wirehouse.db import load_batch

    when = datetime(2024, 2, 29, 23, 59, 1, 5, tzinfo=UTC)
    row = {
        "run_id": "r",
        "url": "http://a/x",
        "fetched_at": when,
        "final_url": None,
        "status_code": 200,
        "error": None,
        "detail": 'ünïcödé "quoted"',
        "redirects": ["http://a/y"],
        "content_type": None,
        "record_id": None,
        "elapsed_ms": 5,
        "etag": "007",
        "last_modified": None,
        "attempt": 1,
        "retry_after_s": 1.5,
    }
    with open_archive(tmp_path / "a.duckdb") as conn:
        load_batch(conn, "insert_fetch", "fetches", [row])
        got = conn.execute(
            "select fetched_at, detail, redirects, etag, retry_after_s from fetches"
        ).fetchone()
    assert got == (when, row["detail"], ["http://a/y"], "007", 1.5)


def test_transaction_rolls_back_on_error(tmp_path):
    with open_archive(tmp_path / "a.duckdb") as conn:
        with pytest.raises(RuntimeError), transaction(conn):
            conn.execute(
                "insert into rejections (record_id, url, reason, detail, rejected_at)"
                " values ('r', 'u', 'empty', null, now())"
            )
            raise RuntimeError("boom")
        assert conn.execute("select count(*) from rejections").fetchone() == (0,)


def test_read_only_connect_to_a_missing_archive_says_what_to_do(tmp_path):
    with pytest.raises(StorageError, match="run `wirehouse run`"):
        connect(tmp_path / "missing.duckdb", read_only=True)


def test_a_file_that_is_not_duckdb_is_a_wrong_argument(tmp_path):
    # it was a StorageError, exit 1, as if an archive were damaged
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InputError, match=r"bad\.duckdb is not a DuckDB database file"):
        connect(bad)
    assert bad.read_bytes() == b"this is not a database" * 100


def test_someone_elses_duckdb_file_is_refused_not_migrated(tmp_path):
    # a user's own DuckDB file given as --db had some thirty tables added to it
    path = tmp_path / "mine.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create table measurements (x integer)")
        conn.execute("create view recent as select * from measurements")
    refused = pytest.raises(InputError, match=r"holds tables \(measurements, recent\) but is no")
    with refused, open_archive(path):
        pass
    with duckdb.connect(str(path)) as conn:
        assert {row[0] for row in conn.execute("show tables").fetchall()} == {
            "measurements",
            "recent",
        }
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()  # an empty database is a new archive
    with open_archive(empty) as conn:
        assert conn.execute("select count(*) from schema_migrations").fetchone()[0] > 10
    with open_archive(empty) as conn:  # and an archive opens again
        pass


def test_a_columns_view_reads_whole_numpy_columns_cast_to_the_types_given(tmp_path):
    import numpy as np

    from wirehouse.db import columns_view, load_columns

    columns = {
        "story_id": np.array(["st_a", "st_a", "st_b"]),
        "term": np.array(["volcano", "", "harbour"]),
        "weight": np.array([0.5, 0.25, 1.0]),
    }
    with open_archive(tmp_path / "a.duckdb") as conn:
        types = {"story_id": "VARCHAR", "term": "VARCHAR", "weight": "DOUBLE"}
        with columns_view(conn, types, columns):
            described = conn.execute("describe batch").fetchall()
            assert [(name, kind) for name, kind, *_ in described] == list(types.items())
        assert not conn.execute("select * from duckdb_views() where view_name = 'batch'").fetchall()
        load_columns(conn, "insert_story_vectors", "story_vectors", columns)
        load_columns(conn, "insert_story_vectors", "story_vectors", {"story_id": np.array([])})
        stored = conn.execute("select * from story_vectors order by all").fetchall()
    assert stored == [("st_a", "", 0.25), ("st_a", "volcano", 0.5), ("st_b", "harbour", 1.0)]


def test_the_first_rows_of_each_of_many_keys_fit_in_a_small_memory_limit(tmp_path):
    # DuckDB's own rewrite of this query holds a heap of n rows per key: 30,000 keys at
    # n = 200 asked for about 400 MB and ran out of this limit (the copy candidates of
    # re-crawled copies ran out of the group step's 512 MB that way).
    conn = connect(tmp_path / "news.duckdb")
    conn.execute("set memory_limit = '64MB'")
    conn.execute("create table keyed as select i % 30000 as k, i as v from range(60000) t(i)")
    first_rows = (
        "select count(*) from (select k from keyed "
        "qualify row_number() over (partition by k order by v) <= $n)"
    )
    assert conn.execute(first_rows, {"n": 200}).fetchone() == (60000,)
    assert conn.execute(first_rows, {"n": 1}).fetchone() == (30000,)


def test_a_connection_whose_setup_fails_is_an_error_and_does_not_hold_the_file(
    tmp_path, monkeypatch
):
    import wirehouse.db as db

    path = tmp_path / "news.duckdb"
    monkeypatch.setattr(db, "_SETUP", "set no_such_setting = 1")
    with pytest.raises(StorageError, match="cannot open") as failed:
        connect(path, wait_s=0)
    # While the error (and so its traceback's frames) lives, another process opens the file.
    opened = subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).close()"],
        capture_output=True,
        text=True,
    )
    assert opened.returncode == 0, opened.stderr
    assert failed.value.reason == "storage"


class _LateInterrupts:
    """A connection whose interrupts from other threads come too early: before DuckDB has
    begun the query, whose start clears them (what the Ctrl-C watcher's may be)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn

    def interrupt(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self.conn.interrupt()


def _closes_within(conn: duckdb.DuckDBPyConnection, seconds: float) -> bool:
    closed = threading.Event()
    threading.Thread(target=lambda: (conn.close(), closed.set()), daemon=True).start()
    return closed.wait(seconds)


def test_ctrl_c_leaves_no_query_running_for_close_to_wait_on():
    # DuckDB's client stops waiting on Ctrl-C but leaves the query to its worker threads;
    # where the watcher's interrupt was lost, close() waited on them forever.
    for attempt in range(3):
        conn = duckdb.connect()
        conn.execute("set threads = 4")
        ctrl_c = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
        with (
            pytest.raises((KeyboardInterrupt, RuntimeError, duckdb.Error)),
            interrupted_by_ctrl_c(_LateInterrupts(conn)),  # type: ignore[arg-type]
        ):
            ctrl_c.start()
            conn.execute("select sum(i) from range(100000000000) t(i)")
        assert _closes_within(conn, 20), f"close() waits on the query (attempt {attempt + 1})"
