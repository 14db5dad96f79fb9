"""Committing a step's rows as the work is done, in chunks."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime

import duckdb

from tasks.articles import article_of
from tasks.raw_archive import WarcArchive
from tasks.run_context import RunContext
from tasks.store import (
    batch_applied,
    count_articles,
    record_batch,
    save_articles,
    save_fetches,
    save_problems,
    save_robots_answers,
)
from wirehouse.db import transaction
from wirehouse.errors import StorageError, StorageUnavailable
from wirehouse.records import (
    Article,
    DiscoveryProblem,
    Extraction,
    FetchAttempt,
    RawRecord,
    Rejection,
    RobotsAnswer,
)

logger = logging.getLogger("wirehouse.chunked_load")
COMMIT_TRIES = 3  # a commit that fails on the catalog's side (a lost connection) is retried


class ChunkedLoad:
    """A step's rows, committed as the work is done: every ``commit_every_pages`` pages or
    ``commit_every_s`` seconds, whichever comes first, the WARC file synced before the rows
    that point into it.

    A kill loses at most the chunk in hand. While another process holds the DuckDB file,
    chunks wait in memory (rows only: the bodies are on disk already) and go with the next
    commit; the last commit waits ``lock_wait_s`` for the file, saying so, and if it gives
    up, what was committed before stays and the error says what to do. On a DuckLake every
    commit waits its turn (other writers hold the catalog's write lock for a moment only).

    Each chunk carries a batch id, a digest of its rows, recorded in its own transaction: a
    chunk applied again (retried after its commit was lost on the way back) adds nothing.
    """

    def __init__(self, ctx: RunContext, archive: WarcArchive | None = None) -> None:
        self._ctx = ctx
        self._archive = archive
        self._settings = ctx.settings.archive
        self._attempts: list[FetchAttempt] = []
        self._records: list[RawRecord] = []
        self._problems: list[DiscoveryProblem] = []
        self._robots: dict[str, RobotsAnswer] = {}
        self._articles: list[Article] = []
        self._rejections: list[Rejection] = []
        self._pages = 0  # pages in hand since the last commit
        self._last_commit = time.monotonic()
        self.commits = 0
        self.new_articles = 0  # articles the committed chunks added (not updated)
        self.held_by: str | None = None  # who held the file at the last failed try

    def add(
        self,
        attempts: Sequence[FetchAttempt] = (),
        record: RawRecord | None = None,
        problems: Sequence[DiscoveryProblem] = (),
        *,
        pages: int = 1,
    ) -> None:
        """Keep one page's rows (``pages=0`` for rows that are no page); commit when due."""
        self._attempts.extend(attempts)
        if record is not None:
            self._records.append(record)
        self._problems.extend(problems)
        self._pages += pages
        if self._due():
            self.commit(final=False)

    def add_robots(self, answers: Mapping[str, RobotsAnswer]) -> None:
        self._robots.update(answers)

    def add_outcome(self, outcome: Extraction | Rejection, fetched_at: datetime) -> None:
        """Keep what extraction made of a record (it commits with or after its record)."""
        if isinstance(outcome, Rejection):
            self._rejections.append(outcome)
        else:
            self._articles.append(article_of(outcome, fetched_at))

    def _due(self) -> bool:
        return self._pages >= self._settings.commit_every_pages or (
            self._pages > 0
            and time.monotonic() - self._last_commit >= self._settings.commit_every_s
        )

    def batch_id(self) -> str:
        """The chunk in hand's id: the run and a digest of every row's key."""
        digest = hashlib.blake2b(digest_size=12)
        for attempt in self._attempts:
            digest.update(f"f|{attempt.url}|{attempt.fetched_at}|{attempt.attempt}\n".encode())
        for record in self._records:
            digest.update(f"r|{record.record_id}\n".encode())
        for problem in self._problems:
            digest.update(f"p|{problem.source_url}|{problem.reason}\n".encode())
        for origin in sorted(self._robots):
            digest.update(f"o|{origin}\n".encode())
        for article in self._articles:
            digest.update(f"a|{article.article_id}|{article.text_sha256}\n".encode())
        for rejection in self._rejections:
            digest.update(f"j|{rejection.record_id}\n".encode())
        return f"{self._ctx.run_id}:{digest.hexdigest()}"

    def _rows(self) -> int:
        return (
            len(self._attempts)
            + len(self._records)
            + len(self._problems)
            + len(self._robots)
            + len(self._articles)
            + len(self._rejections)
        )

    def _write(self, wait_s: float | None) -> int:
        """Write the chunk in one transaction, unless its batch id says it is there already;
        a failure on the catalog's side is tried again (the batch id makes that safe).
        Returns the articles it added (counted inside the transaction: on a DuckLake other
        writers wait for it, so the count is this chunk's own)."""
        batch_id = self.batch_id()
        for tries in range(1, COMMIT_TRIES + 1):
            try:
                with self._ctx.open(wait_s=wait_s, migrated=True) as conn, transaction(conn):
                    if batch_applied(conn, batch_id):
                        logger.info("batch %s was committed already: not applied again", batch_id)
                        return 0
                    save_fetches(
                        conn, self._ctx.run_id, self._attempts, self._records, in_transaction=True
                    )
                    save_problems(conn, self._ctx.run_id, self._problems)
                    save_robots_answers(conn, self._ctx.run_id, self._robots)
                    before = count_articles(conn) if self._articles else 0
                    save_articles(conn, self._articles, self._rejections, in_transaction=True)
                    added = count_articles(conn) - before if self._articles else 0
                    record_batch(conn, batch_id, self._ctx.run_id, self._rows())
                return added
            except duckdb.Error as exc:
                if not self._ctx.is_lake:
                    raise
                if tries == COMMIT_TRIES:
                    raise StorageError(f"cannot commit batch {batch_id}: {exc}") from exc
                logger.warning("commit of batch %s failed (%s); trying again", batch_id, exc)
                time.sleep(0.2 * tries)
        raise AssertionError("unreachable: the last try returns or raises")

    def commit(self, *, final: bool = True) -> bool:
        """Commit what is in hand. A chunk that meets a held file waits for the next one
        (False); the final commit waits ``lock_wait_s`` and then raises StorageUnavailable."""
        if not (
            self._attempts
            or self._records
            or self._problems
            or self._robots
            or self._articles
            or self._rejections
        ):
            return True
        if self._archive is not None:
            self._archive.sync()
        try:
            added = self._write(wait_s=None if final or self._ctx.is_lake else 0)
        except StorageUnavailable as exc:
            if not final:
                if self.held_by is None:
                    logger.warning("%s; keeping this run's rows until it is free", exc.detail)
                self.held_by = exc.detail
                self._last_commit = time.monotonic()
                return False
            raise StorageUnavailable(
                f"{exc.detail}: the last {len(self._attempts)} fetch attempts of this run "
                f"({len(self._records)} new pages) were not recorded; everything recorded "
                "before stays. "
                "Close the other program and run the same command again: pages already "
                "recorded are not fetched again",
                reason="archive_locked",
            ) from exc
        self.commits += 1
        self.new_articles += added
        self.held_by = None
        self._attempts, self._records, self._problems, self._robots = [], [], [], {}
        self._articles, self._rejections = [], []
        self._pages = 0
        self._last_commit = time.monotonic()
        return True
