"""Sharded runs on a DuckLake (a PostgreSQL catalog the tests start, a local data path):
four ``wirehouse run --shard K/4`` processes at once over a few hundred pages on many
loopback hosts, one of them killed mid-run and run again, a reader querying throughout;
then one ``wirehouse group``. The archive must hold every page once and the same
articles, copy groups and stories as one DuckDB-file run of the same pages."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import pytest

from bench import scale_out
from flows.cli import run_sql
from wirehouse.db import open_archive, query

PAGES = 240
SHARDS = 4
# On a loaded 2-core machine the in-process site server can miss a robots.txt request,
# which closes that host for the run (RFC 9309): the tests are about shards, not robots.
QUIET = {"WIREHOUSE_OBEY_ROBOTS": "false"}
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not scale_out.synth_data_available():
        pytest.skip("the Giveme5W1H texts in ../shared/eval are not available")
    folder = tmp_path_factory.mktemp("site")
    urls = scale_out.build_site(folder / "site", PAGES)
    urls_file = folder / "urls.txt"
    urls_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    with scale_out.serve_site(folder / "site") as resolve:
        yield urls, urls_file, resolve


@pytest.fixture(scope="module")
def reference(site, tmp_path_factory):
    """One DuckDB-file run of the same pages."""
    _urls, urls_file, resolve = site
    db = str(tmp_path_factory.mktemp("file") / "news.duckdb")
    done = subprocess.run(
        scale_out.run_args(db, urls_file, resolve),
        cwd=scale_out.REPO,
        env=scale_out.environment(**QUIET),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    return scale_out.archive_state(db)


class Reader(threading.Thread):
    """Queries the lake over and over, as `wirehouse sql` does, counting failures."""

    def __init__(self, db: str) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.stop = threading.Event()
        self.queries = 0
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                run_sql(
                    self.db,
                    "select count(*) from articles; select count(*) from raw_records",
                    fmt="csv",
                )
                self.queries += 1
            except Exception as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.2)  # the site server shares this process: leave it the CPU


def _loaded_batches(db: str) -> int:
    with open_archive(db, read_only=True) as conn:
        row = conn.execute("select count(*) from load_batches").fetchone()
    return int(row[0]) if row else 0


@pytest.fixture(scope="module")
def sharded(site, postgres, tmp_path_factory):
    """Four shards at once (the first killed once mid-run, then run again), then one
    grouping, with a reader throughout; (db, exit codes, reader)."""
    _urls, urls_file, resolve = site
    db = "ducklake:postgres:" + postgres.create("shards")
    data_path = str(tmp_path_factory.mktemp("lake"))
    with open_archive(db, data_path=data_path):
        pass  # made and migrated, so the reader has tables from its first query
    reader = Reader(db)
    reader.start()
    env = scale_out.environment(
        WIREHOUSE_DATA_PATH=data_path, WIREHOUSE_COMMIT_EVERY_PAGES="10", **QUIET
    )
    # Shard 1 alone first, killed (-9) once it has committed a batch or two.
    first = subprocess.Popen(
        scale_out.run_args(db, urls_file, resolve, "--shard", f"1/{SHARDS}"),
        cwd=scale_out.REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while _loaded_batches(db) < 2 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    killed = first.poll() is None
    os.killpg(first.pid, signal.SIGKILL)  # the run and its extraction workers
    first.wait(timeout=60)
    batches_before = _loaded_batches(db)
    # Then all four at once, the killed one run again.
    done = scale_out.run_shards(db, data_path, urls_file, resolve, SHARDS, env=env)
    grouped = scale_out.group(db, data_path)
    reader.stop.set()
    reader.join(timeout=60)
    return db, killed, batches_before, done, grouped, reader


def test_four_shards_and_a_killed_one_end_complete(sharded, site):
    db, killed, batches_before, done, grouped, _reader = sharded
    urls, _, _ = site
    assert killed and batches_before >= 2  # it was killed mid-run, after some commits
    for process in done:
        assert process.returncode == 0, process.stdout + process.stderr
    assert grouped.returncode == 0, grouped.stderr
    with open_archive(db, read_only=True) as conn:
        pages, records, distinct_records = conn.execute(
            "select count(distinct url), count(*), count(distinct record_id) from raw_records"
        ).fetchone()
        shards = conn.execute(
            "select count(*) from runs where parameters->>'shard' is not null"
        ).fetchone()
    assert pages == len(set(urls)) == records == distinct_records  # every page once
    assert shards == (SHARDS + 1,)  # the killed run, then four


def _what_happened_to(db: str, article_ids: set[str]) -> dict[str, object]:
    """What the sharded archive recorded where it differs from the reference: its rows for
    the articles in question, its rejections, and records that came to neither an article
    nor a rejection; so that a failure says where an article was lost."""
    with open_archive(db, read_only=True) as conn:
        return {
            "articles": conn.execute(
                "select article_id, url, text_sha256, record_id from articles"
                " where article_id in (select unnest($ids))",
                {"ids": sorted(article_ids)},
            ).fetchall(),
            "rejections": conn.execute(
                "select url, reason, detail from rejections order by url"
            ).fetchall(),
            "pending": conn.execute(query("pending_records")).fetchall(),
        }


def test_shards_give_the_archive_one_file_run_gives(sharded, reference):
    db = sharded[0]
    state = scale_out.archive_state(db)
    assert state["doubled"] == 0
    assert state["pages"] == reference["pages"]
    differ = {a for a, _ in state["articles"] ^ reference["articles"]}
    assert state["articles"] == reference["articles"], (
        f"sharded only: {sorted(state['articles'] - reference['articles'])}; "
        f"reference only: {sorted(reference['articles'] - state['articles'])}; "
        f"the lake: {_what_happened_to(db, differ)}"
    )
    assert state["copy_groups"] == reference["copy_groups"]
    assert state["stories"] == reference["stories"]
    assert len(reference["copy_groups"]) > 5 and len(reference["stories"]) > 50


def test_a_reader_querying_throughout_never_failed(sharded):
    reader = sharded[5]
    assert reader.failures == []
    assert reader.queries > 20


def test_each_shard_fetched_only_its_own_hosts(sharded, site):
    from tasks.shards import Shard

    db = sharded[0]
    urls, _, _ = site
    with open_archive(db, read_only=True) as conn:
        rows = conn.execute(
            "select r.parameters->>'shard', f.url from fetches as f join runs as r using (run_id)"
            " where f.url not like '%/robots.txt'"
        ).fetchall()
    assert rows and all(Shard.parse(shard).owns(url) for shard, url in rows)
    assert {url for _, url in rows} == set(urls)
