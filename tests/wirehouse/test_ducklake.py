"""The DuckLake backend on a real PostgreSQL catalog (started by the tests) and a local
data path: the location syntax, the same migrations on both backends, upserts, the write
and grouping locks, batch ids, and readers on snapshots."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import duckdb
import pytest

from tasks.chunked_load import ChunkedLoad
from tasks.run_context import RunContext
from wirehouse import ducklake
from wirehouse.db import load_batch, migrations, open_archive, query
from wirehouse.errors import InputError, StorageUnavailable
from wirehouse.records import FetchAttempt, RawRecord
from wirehouse.settings import Settings

_names = count()


@pytest.fixture
def lake(postgres, tmp_path) -> tuple[str, str]:
    """A new, empty DuckLake: (location, data path)."""
    conninfo = postgres.create(f"lake{next(_names)}")
    return f"{ducklake.POSTGRES_PREFIX}{conninfo}", str(tmp_path / "lake")


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("ducklake:sqlite:x.db", "ducklake:postgres:<libpq conninfo>"),
        ("ducklake:postgres:", "must be a libpq conninfo"),
        ("ducklake:postgres:dbname", "must be a libpq conninfo"),
    ],
)
def test_a_malformed_location_is_an_input_error(location, message):
    with pytest.raises(InputError, match=message):
        ducklake.parse_location(location)


def test_locations_name_their_catalog_and_data_path(tmp_path):
    parsed = ducklake.parse_location(
        "ducklake:postgres:dbname=news host=db.internal password=secret", str(tmp_path)
    )
    assert parsed.conninfo == "dbname=news host=db.internal password=secret"
    assert parsed.data_path == f"{tmp_path}/"
    assert "secret" not in parsed.display
    assert ducklake.parse_location("ducklake:postgres:postgresql://u@h/db").conninfo
    assert ducklake.check_data_path("s3://news-bucket/lake") == "s3://news-bucket/lake/"
    with pytest.raises(InputError):
        ducklake.check_data_path("s3://")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        ducklake.check_data_path(str(tmp_path / "file"))


def test_settings_validate_the_location_and_data_path():
    settings = Settings.from_env({"WIREHOUSE_DB": "ducklake:postgres:dbname=x"})
    assert settings.archive.db == "ducklake:postgres:dbname=x"
    with pytest.raises(InputError, match="WIREHOUSE_DB"):
        Settings.from_env({"WIREHOUSE_DB": "ducklake:sqlite:x"})
    with pytest.raises(InputError, match="WIREHOUSE_DATA_PATH"):
        Settings.from_env({"WIREHOUSE_DATA_PATH": "ftp://x/y"})


def test_ddl_translation_drops_what_ducklake_lacks():
    sql = textwrap.dedent(
        """
        -- a comment; with a semicolon
        create sequence fetch_id_seq;
        create table t (
            id bigint primary key default nextval('fetch_id_seq'),
            name varchar not null,   -- why
            primary key (id, name)
        );
        create index t_name on t (name);
        alter table t add column x integer default 1;
        """
    )
    translated = ducklake.translate_ddl(sql)
    assert "sequence" not in translated and "index" not in translated
    assert "primary key" not in translated and "nextval" not in translated
    assert "name varchar not null" in translated
    assert "alter table t add column x integer default 1" in translated


def test_upserts_become_merges():
    merge = ducklake.translate_upsert(query("upsert_rejection"))
    assert merge.startswith("merge into rejections using (select record_id")
    assert "on rejections.record_id = excluded.record_id" in merge
    assert "when matched then update set reason = excluded.reason" in merge
    insert_if_absent = ducklake.translate_upsert(query("upsert_robots_answer"))
    assert "using (values (?, ?, ?, ?, ?)) as excluded(run_id, origin" in insert_if_absent
    assert "when matched" not in insert_if_absent
    assert ducklake.translate_upsert(query("insert_fetch")) == query("insert_fetch")


def _columns(conn: duckdb.DuckDBPyConnection) -> set[tuple[str, str, str]]:
    rows = conn.execute(
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_catalog = current_database() and table_schema = 'main'"
    ).fetchall()
    return {(t, c, d) for t, c, d in rows}


def test_the_same_migrations_make_the_same_tables_and_views(lake, tmp_path):
    location, data_path = lake
    with open_archive(tmp_path / "file.duckdb") as conn:
        on_file = _columns(conn)
        views_on_file = {v for (v,) in conn.execute(query("exportable_tables")).fetchall()}
    with open_archive(location, data_path=data_path) as conn:
        on_lake = _columns(conn)
        views_on_lake = {v for (v,) in conn.execute(query("exportable_tables")).fetchall()}
        versions = [
            v
            for (v,) in conn.execute("select version from schema_migrations order by 1").fetchall()
        ]
    assert on_lake == on_file
    assert views_on_lake == views_on_file
    assert versions == [v for v, _, _ in migrations()]
    with open_archive(location, data_path=data_path) as conn:  # nothing applied twice
        assert conn.execute("select count(*) from schema_migrations").fetchone() == (len(versions),)


def test_an_upsert_on_the_lake_updates_in_place(lake):
    location, data_path = lake
    now = datetime.now(UTC)
    row = {"record_id": "r1", "url": "http://a.example/", "reason": "too_short"}
    with open_archive(location, data_path=data_path) as conn:
        for reason in ("too_short", "index_page", "index_page"):
            load_batch(
                conn,
                "upsert_rejection",
                "rejections",
                [{**row, "reason": reason, "detail": None, "page_kind": None, "rejected_at": now}],
            )
        assert conn.execute("select record_id, reason from rejections").fetchall() == [
            ("r1", "index_page")
        ]


def _context(location: str, data_path: str, tmp_path) -> RunContext:
    return RunContext(
        db_path=location,
        archive_dir=str(tmp_path / "warc"),
        run_id="20240101T000000Z-abcdef",
        settings=Settings().with_data_path(data_path),
    )


def test_a_batch_applied_again_doubles_nothing(lake, tmp_path):
    location, data_path = lake
    ctx = _context(location, data_path, tmp_path)
    with ctx.open():
        pass  # created and migrated, as a run does first
    fetched_at = datetime(2024, 1, 1, tzinfo=UTC)
    attempt = FetchAttempt(url="http://a.example/1", fetched_at=fetched_at, status_code=200)
    record = RawRecord(
        record_id="rec1",
        url="http://a.example/1",
        warc_path="warc/x.warc.gz",
        warc_offset=0,
        warc_length=10,
        payload_sha256="0" * 64,
        status_code=200,
        content_type="text/html",
        fetched_at=fetched_at,
        origin="fetch",
    )
    for _ in range(2):  # the same chunk, committed twice (a retry after a lost answer)
        load = ChunkedLoad(ctx)
        load.add([attempt], record)
        assert load.commit()
    with open_archive(location, read_only=True) as conn:
        assert conn.execute("select count(*) from fetches").fetchone() == (1,)
        assert conn.execute("select count(*) from raw_records").fetchone() == (1,)
        assert conn.execute("select count(*) from load_batches").fetchone() == (1,)


HOLD_LOCK = """
import sys, time
from wirehouse import ducklake
location = ducklake.parse_location(sys.argv[1])
with ducklake.advisory_lock(location, ducklake.WRITE_LOCK, 5):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_runs_on_a_lake_take_no_run_lock(tmp_path, monkeypatch):
    from wirehouse.runlock import run_lock

    monkeypatch.chdir(tmp_path)
    location = "ducklake:postgres:dbname=news"
    with run_lock(location), run_lock(location):  # no file: two runs may write at once
        assert list(tmp_path.iterdir()) == []


def test_writers_take_turns_and_a_held_lock_is_reported(lake):
    location, _ = lake
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, location, "3"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        parsed = ducklake.parse_location(location)
        with (
            pytest.raises(StorageUnavailable, match="held by another writer"),
            ducklake.advisory_lock(parsed, ducklake.WRITE_LOCK, 0.3),
        ):
            pass
        assert time.monotonic() - started < 2.5
        with ducklake.advisory_lock(parsed, ducklake.GROUP_LOCK, 0.3):
            pass  # the grouping lock is another lock
        with ducklake.advisory_lock(parsed, ducklake.WRITE_LOCK, 10):
            assert time.monotonic() - started >= 2.5  # given once the holder let go
    finally:
        holder.wait(timeout=30)


def test_the_write_lock_is_reentrant_in_a_process(lake):
    location, data_path = lake
    with (
        open_archive(location, data_path=data_path) as outer,
        open_archive(location, data_path=data_path, wait_s=0.5) as inner,
    ):
        inner.execute("insert into runs (run_id, started_at) values ('x', now())")
        assert outer.execute("select count(*) from runs").fetchone() == (1,)


def test_a_reader_sees_one_snapshot_and_never_blocks_a_writer(lake):
    location, data_path = lake
    with open_archive(location, data_path=data_path) as conn:
        conn.execute("insert into runs (run_id, started_at) values ('first', now())")
    reader = open_archive(location, read_only=True)
    with reader as conn:
        conn.execute("begin transaction")
        assert conn.execute("select count(*) from runs").fetchone() == (1,)
        written = threading.Event()

        def write() -> None:
            with open_archive(location, data_path=data_path, wait_s=5) as writer:
                writer.execute("insert into runs (run_id, started_at) values ('second', now())")
            written.set()

        thread = threading.Thread(target=write)
        thread.start()
        assert written.wait(timeout=30)  # the writer did not wait for the reader
        thread.join()
        assert conn.execute("select count(*) from runs").fetchone() == (1,)  # its snapshot
        conn.execute("commit")
        assert conn.execute("select count(*) from runs").fetchone() == (2,)


def test_an_unreachable_catalog_is_reported_in_one_line(tmp_path):
    location = "ducklake:postgres:host=127.0.0.1 port=9 user=x dbname=x connect_timeout=5"
    with (
        pytest.raises(StorageUnavailable, match="cannot reach the DuckLake catalog") as caught,
        open_archive(location, data_path=str(tmp_path)),
    ):
        pass
    assert caught.value.reason == "catalog_unreachable"
    assert "\n" not in caught.value.detail


def test_every_named_query_runs_on_the_lake_too(lake):
    from tests.wirehouse.test_db import parse_every_query

    location, data_path = lake
    with open_archive(location, data_path=data_path) as conn:
        parse_every_query(conn)


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3-compatible server on loopback, with a bucket; its endpoint URL."""
    import importlib.util
    import socket

    import httpx

    if importlib.util.find_spec("moto") is None:
        pytest.skip("moto[server] is not installed (it is in the dev dependencies)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.put(f"{endpoint}/lake-bucket", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "moto did not start"
            time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_lake_on_object_storage(postgres, s3_server, monkeypatch, tmp_path, example_hosts):
    """An s3:// data path on an S3-compatible server: a whole run writes its Parquet files
    there (the WARC archive to a folder), and a reader reads them back."""
    import httpx

    from flows.cli import main

    monkeypatch.setenv("WIREHOUSE_S3_ENDPOINT", s3_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    location = ducklake.POSTGRES_PREFIX + postgres.create(f"lake{next(_names)}")
    resolve = [f"--resolve={host}={address}" for host, address in example_hosts.items()]
    code = main(
        [
            "-q",
            "run",
            "--db",
            location,
            "--data-path",
            "s3://lake-bucket/news/",
            "--archive",
            str(tmp_path / "warc"),
            "--feed",
            "http://feeds.wirehouse.example/rss.xml",
            "--allow-private-network",
            "--no-prefect",
            *resolve,
        ]
    )
    assert code in (0, 3)
    listing = httpx.get(f"{s3_server}/lake-bucket?list-type=2&prefix=news/", timeout=10).text
    assert listing.count(".parquet</Key>") > 5
    assert list((tmp_path / "warc").glob("*.warc.gz"))
    with open_archive(location, read_only=True) as conn:
        articles = conn.execute("select count(*) from articles").fetchone()
    assert articles and articles[0] > 5
    # the other commands read it as they read a file
    assert main(["-q", "runs", "--db", location, "--format", "csv"]) == 0
    assert main(["-q", "export", "--db", location, "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "articles.parquet").is_file()
    assert main(["-q", "group", "--db", location]) == 0


def test_many_rows_go_in_one_merge(lake):
    from wirehouse.db import insert_many

    location, data_path = lake
    rows = [("run", f"http://h{n}.example", 200, b"User-agent: *", None) for n in range(50)]
    with open_archive(location, data_path=data_path) as conn:
        insert_many(conn, "upsert_robots_answer", rows)
        insert_many(conn, "upsert_robots_answer", rows)  # insert-if-absent: no second copy
        assert conn.execute("select count(*) from robots_answers").fetchone() == (50,)
    merge = ducklake.translate_upsert(query("upsert_robots_answer"), rows=3)
    assert merge.count("(?, ?, ?, ?, ?)") == 3


def test_maintenance_runs_on_a_lake(lake, tmp_path, monkeypatch):
    from tasks import sequence

    location, data_path = lake
    monkeypatch.setenv("WIREHOUSE_DATA_PATH", data_path)
    monkeypatch.setenv("WIREHOUSE_SNAPSHOT_RETENTION_S", "0")
    ctx = RunContext.for_archive(location)
    assert ctx.archive_dir == str(Path(data_path).absolute() / "warc")
    done = sequence.maintain(ctx)
    assert done.searchable == 0  # no full-text index on a DuckLake
    assert done.figures.articles == 0
    with open_archive(location, read_only=True) as conn:  # older snapshots expired
        snapshots = conn.execute("select count(*) from ducklake_snapshots('lake')").fetchone()
    assert snapshots is not None and snapshots[0] <= 2
