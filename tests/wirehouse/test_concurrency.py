"""Reading while a run writes: queries from another process wait out the short load
transactions instead of failing, and every write lands."""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tasks.articles import save_extractions
from tasks.run_context import RunContext
from tasks.steps.group import group_articles
from wirehouse.db import READ_WAIT_S, open_archive
from wirehouse.records import Extraction

BATCHES = 40
PER_BATCH = 25


def _article(i: int) -> Extraction:
    words = " ".join(f"word{(i * 7 + k) % 997}" for k in range(120))
    return Extraction(
        record_id=f"rec{i}", url=f"https://site{i % 9}.example/story/{i}", canonical_url=None,
        title=f"Story number {i}", author=None, page_date=datetime(2024, 1, 1 + i % 28, tzinfo=UTC),
        sitename=None, language="en", text=f"Story {i}. {words}", boilerplate_ratio=0.3,
    )  # fmt: skip


def _writer(db: str, started: multiprocessing.synchronize.Event, answered: Any) -> None:
    """A run's load steps over and over: batches of articles, then regrouping. Between
    batches it gives the reader a moment to answer (a faster writer must not make the test
    pass without a reader in it); a reader kept out longer is what the test catches."""
    ctx = RunContext(db_path=db, archive_dir=f"{db}-archive", run_id="writer")
    started.set()
    for batch in range(BATCHES):
        seen = answered.value
        articles = [_article(batch * PER_BATCH + k) for k in range(PER_BATCH)]
        with open_archive(db) as conn:
            save_extractions(conn, [(a, datetime.now(UTC)) for a in articles])
        if batch % 5 == 4:
            group_articles(ctx)
        deadline = time.monotonic() + READ_WAIT_S
        while answered.value == seen and time.monotonic() < deadline:
            time.sleep(0.01)


def _reader(
    db: str, stop: multiprocessing.synchronize.Event, out: multiprocessing.Queue, answered: Any
) -> None:
    """`wirehouse sql` in a loop: what a user's dashboard would do."""
    from flows.cli import run_sql

    failures, queries, slowest = [], 0, 0.0
    while not stop.is_set():
        began = time.monotonic()
        try:
            run_sql(db, "select count(*), count(distinct story_id) from articles")
            queries += 1
            answered.value = queries
        except Exception as exc:  # every failure is what the test counts
            failures.append(f"{type(exc).__name__}: {exc}")
        slowest = max(slowest, time.monotonic() - began)
    out.put((queries, failures, slowest))


@pytest.mark.slow
def test_queries_wait_out_load_transactions_and_no_write_is_lost(tmp_path: Path):
    db = str(tmp_path / "busy.duckdb")
    with open_archive(db):
        pass  # migrated before the race starts
    spawn = multiprocessing.get_context("spawn")
    started, stop, results = spawn.Event(), spawn.Event(), spawn.Queue()
    answered = spawn.Value("i", 0)  # the reader's queries so far
    writer = spawn.Process(target=_writer, args=(db, started, answered))
    reader = spawn.Process(target=_reader, args=(db, stop, results, answered))
    writer.start()
    started.wait(60)
    reader.start()
    writer.join(300)
    stop.set()
    queries, failures, slowest = results.get(timeout=120)
    reader.join(30)
    assert writer.exitcode == 0
    assert failures == []
    assert queries > 20  # the reader really ran between the writes
    assert slowest < READ_WAIT_S
    with open_archive(db, read_only=True) as conn:
        assert conn.execute("select count(*) from articles").fetchone() == (BATCHES * PER_BATCH,)
