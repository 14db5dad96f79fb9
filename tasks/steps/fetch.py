"""The fetch step: fetch URLs politely, keep every new body in the WARC archive, record
every attempt, in chunks as they come; and extract each new page from the body in hand
as it arrives, on every core, while the next pages are fetched."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections import Counter
from collections.abc import Awaitable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from tasks import progress
from tasks.chunked_load import ChunkedLoad
from tasks.fetch import Fetcher, make_client
from tasks.polite import CRAWL_DELAY_BUDGET, PoliteFetcher, visit_order
from tasks.raw_archive import WarcArchive, record_id_for
from tasks.reports import FetchReport
from tasks.run_context import RunContext
from tasks.steps.extract import PARALLEL_FROM, extract_body, hard_limit_s, lost_page
from tasks.store import (
    known_record_ids,
    last_fetched,
    latest_validators,
    resumable_urls,
    robots_answers,
)
from tasks.workers import StreamingPool, WorkLost
from wirehouse.errors import StorageError
from wirehouse.records import (
    FetchAttempt,
    RawRecord,
    Rejection,
    RobotsAnswer,
    Validators,
)

logger = logging.getLogger("wirehouse.fetch")


def fetch_and_extract(
    ctx: RunContext, urls: Sequence[str], given: Collection[str] = ()
) -> FetchReport:
    """The fetch step as a run takes it: each new page extracted as it arrives."""
    return fetch_and_archive(ctx, urls, extract=True, given=given)


def fetch_and_archive(
    ctx: RunContext,
    urls: Sequence[str],
    workers: int | None = None,
    *,
    extract: bool = False,
    given: Collection[str] = (),
) -> FetchReport:
    """Fetch the URLs politely, keep every new body in the WARC archive, record every attempt.

    A URL whose last fetch left an ETag or Last-Modified is asked conditionally; a 304, or a
    200 whose body we already hold, adds nothing to extract. Attempts and records are
    committed in chunks as they come; URLs that a run which never finished had already
    fetched (within ``resume_window_s``) are not fetched again. With ``extract``, each new
    page is extracted as it arrives, from the body in hand: by ``workers`` processes
    (default one per core) fed through a bounded queue, or here when the run is too small
    to be worth starting them; without, new pages wait for the extract step.

    A host's pages go out never fetched first, then the longest unvisited: where its crawl
    delay uses the time a run gives it, the pages left are those the next run takes first
    (``given`` URLs, the user's own, are all fetched)."""
    if not urls:
        return FetchReport(0, 0, 0, 0, 0, {})
    since = datetime.now(UTC) - timedelta(seconds=ctx.settings.archive.resume_window_s)
    with ctx.open() as conn:
        known, superseded = known_record_ids(conn, list(urls))
        validators = latest_validators(conn, list(urls))
        robots = robots_answers(conn, ctx.run_id)
        done = resumable_urls(conn, ctx.run_id, since)
        visited = last_fetched(conn, list(urls))
    todo = [url for url in dict.fromkeys(urls) if url not in done]
    todo.sort(key=lambda url: visit_order(visited.get(url)))
    if len(todo) < len(set(urls)):
        logger.info(
            "%d URLs were fetched by an interrupted run already: not fetched again",
            len(set(urls)) - len(todo),
        )
    with ctx.warc_archive() as archive:
        load = ChunkedLoad(ctx, archive)
        outcome = asyncio.run(
            _fetch(
                ctx,
                todo,
                known,
                superseded,
                validators,
                robots,
                archive,
                load,
                workers,
                extract,
                frozenset(given),
            )
        )
        load.commit()
    if outcome.deferred:
        logger.warning(
            "left for the next run, the time a run gives a host with a crawl delay spent: %s",
            ", ".join(f"{host} {count}" for host, count in sorted(outcome.deferred.items())),
        )
    return outcome.report(
        resumed=len(set(urls)) - len(todo), commits=load.commits, new_articles=load.new_articles
    )


@dataclass
class _FetchOutcome:
    attempts: int = 0  # first attempts of page URLs
    retries: int = 0
    new_records: int = 0
    fetched: int = 0
    not_modified: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    deferred: Counter[str] = field(default_factory=Counter)  # by host: left for the next run

    def report(self, *, resumed: int, commits: int, new_articles: int) -> FetchReport:
        return FetchReport(
            attempted=self.attempts,
            fetched=self.fetched,
            not_modified=self.not_modified,
            new_records=self.new_records,
            retries=self.retries,
            failures=dict(sorted(self.failures.items())),
            resumed=resumed,
            commits=commits,
            new_articles=new_articles,
            rejected=dict(sorted(self.rejected.items())),
            deferred=dict(sorted(self.deferred.items())),
        )


async def _together(work: Iterable[Awaitable[object]]) -> None:
    """Await all of ``work``; the first to fail stops the others (cancelled, and waited
    for) and is raised. The run stops (a full disk): the requests under way stop with it,
    rather than go on, then fail one by one on a client closed under them."""
    tasks = [asyncio.ensure_future(item) for item in work]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _failed_attempt(url: str, exc: BaseException) -> FetchAttempt:
    """One URL's unexpected failure, recorded instead of raised."""
    logger.exception("unexpected error archiving %s", url)
    return FetchAttempt(
        url=url,
        fetched_at=datetime.now(UTC),
        error="internal_error",
        detail=f"{type(exc).__name__}: {exc}"[:500],
    )


async def _fetch(
    ctx: RunContext,
    urls: Sequence[str],
    known: set[str],
    superseded: set[str],
    validators: dict[str, Validators],
    robots: dict[str, RobotsAnswer],
    archive: WarcArchive,
    load: ChunkedLoad,
    workers: int | None,
    extract_pages: bool,
    given: frozenset[str],
) -> _FetchOutcome:
    out = _FetchOutcome()
    settings = ctx.settings.fetch
    cores = workers or os.cpu_count() or 1
    # Bodies in hand: those being fetched, and those waiting for or in extraction.
    in_hand = asyncio.Semaphore(settings.max_concurrency + 2 * cores)
    # Pages are extracted in worker processes, even a small run's (in one worker): only
    # there can a page that runs past its time be stopped, and a crash in a C library cost
    # one page instead of the run (where none can start, the pool works in this process).
    # Workers are started with the first new page, not before: a re-run that finds nothing
    # new starts none. Their fork server takes a moment to warm up: the pool is made in a
    # thread, and fetching goes on meanwhile.
    pool_size = cores if cores > 1 and len(urls) >= PARALLEL_FROM else 1
    pool: asyncio.Task[StreamingPool] | None = None
    extracting: set[asyncio.Task[None]] = set()

    async def extract(record: RawRecord, body: bytes) -> None:
        """Extract a page and hand its outcome to the load (``record.fetched_at``: when this
        fetch got it, which decides which record of an article holds it)."""
        args = (body, record.url, record.content_type, ctx.settings.extract, record.record_id)
        nonlocal pool
        try:
            if pool is None:
                limit = hard_limit_s(ctx.settings.extract)
                pool = asyncio.create_task(
                    asyncio.to_thread(StreamingPool, pool_size, 2 * pool_size, limit)
                )
            try:
                # shielded: a page's extraction cancelled with the run leaves the pool made
                outcome = await (await asyncio.shield(pool)).run(extract_body, *args)
            except WorkLost as lost:
                outcome = lost_page(record.url, record.record_id, lost.why, ctx.settings.extract)
        except Exception as exc:  # an unforeseen failure: the record stays pending, not lost
            logger.warning("extraction of %s failed (%s); it is retried later", record.url, exc)
            return
        finally:
            in_hand.release()
        if isinstance(outcome, Rejection):
            out.rejected[outcome.counted_as] += 1
        progress.count("rejected" if isinstance(outcome, Rejection) else "extracted")
        load.add_outcome(outcome, record.fetched_at)

    async with make_client(settings) as client:
        fetcher = Fetcher(client, ctx.policy(), ctx.resolver())
        polite = PoliteFetcher(fetcher, settings, robots_seen=robots)

        left: set[str] = set()  # URLs left for the next run

        async def archived(
            url: str,
        ) -> tuple[list[FetchAttempt], RawRecord | None, RawRecord | None, bytes]:
            """(attempts, the record to store, the record to extract, the body)."""
            page, tried = await polite.get(
                url, validators=validators.get(url), budgeted=url not in given
            )
            last = tried[-1]
            if page is None:
                if last.error == CRAWL_DELAY_BUDGET:
                    # not asked of the server: no row, so the next run takes it first
                    out.deferred[urlsplit(url).hostname or ""] += 1
                    left.add(url)
                    return tried[:-1], None, None, b""
                if last.error:
                    out.failures[last.error] += 1
                else:
                    out.not_modified += 1  # 304
                return tried, None, None, b""
            stored_url = last.final_url or last.url
            payload_sha256 = hashlib.sha256(page.body).hexdigest()
            record_id = record_id_for(stored_url, payload_sha256)
            tried = [*tried[:-1], replace(last, record_id=record_id)]
            if record_id in superseded and extract_pages:
                # The page is back to a text it had before, since replaced (a withdrawn
                # story restored, a correction undone): that record is extracted again as
                # of now, and holds its article again; its body is archived already.
                superseded.discard(record_id)
                out.fetched += 1
                again = RawRecord(
                    record_id, stored_url, "", 0, 0, payload_sha256,
                    last.status_code or 200,
                    next((v for k, v in page.headers if k.lower() == "content-type"), None),
                    last.fetched_at, "fetch",
                )  # fmt: skip
                return tried, None, again, page.body
            if record_id in known:
                out.not_modified += 1  # the same body again: nothing to extract
                return tried, None, None, page.body
            known.add(record_id)
            record = archive.write_response(
                stored_url, last.status_code or 200, page.headers, page.body, last.fetched_at
            )
            out.fetched += 1
            return tried, record, record, page.body

        async def one(url: str) -> None:
            await in_hand.acquire()
            try:
                tried, record, to_extract, body = await archived(url)
            except Exception as exc:  # one URL's surprise must not cost the run its others
                if isinstance(exc, StorageError):
                    raise  # the archive's disk is full: the run stops (WarcArchive)
                tried, record, to_extract, body = [_failed_attempt(url, exc)], None, None, b""
                out.failures["internal_error"] += 1
            if url in left:  # for the next run (a retry's earlier attempts are kept)
                progress.count("deferred")
                load.add([*polite.take_robots_attempts(), *tried], None)
                in_hand.release()
                return
            out.attempts += 1
            progress.count(
                "fetched" if to_extract else "failed" if tried[-1].error else "unchanged"
            )
            out.retries += sum(1 for a in tried if a.attempt > 1)
            out.new_records += record is not None
            load.add_robots(polite.robots_answers)
            load.add([*polite.take_robots_attempts(), *tried], record)
            if to_extract is None or not extract_pages:
                in_hand.release()
                return
            task = asyncio.create_task(extract(to_extract, body))  # releases in_hand when done
            extracting.add(task)
            task.add_done_callback(extracting.discard)

        # A bounded set of hosts at a time, each with its few requests in flight: the
        # in-flight requests then stay within a few hosts' kept-alive connections instead
        # of rotating over every host and churning the connection pool.
        by_host: dict[str, list[str]] = {}
        for url in urls:
            by_host.setdefault(urlsplit(url).netloc, []).append(url)
        active = asyncio.Semaphore(
            max(1, settings.max_concurrency // settings.per_host_concurrency)
        )

        async def host(host_urls: list[str]) -> None:
            # A host's URLs go out a few at a time, as many as may be in flight to it: all
            # at once, they took every place for a body in hand (``in_hand``) and waited
            # there for the host's turns. A site asking for a second between requests then
            # held every other host back until its queue was nearly done (60 pages, 25 s;
            # a sitemap of 1,000 at Crawl-delay 10, hours).
            lane = asyncio.Semaphore(settings.per_host_concurrency)

            async def in_lane(url: str) -> None:
                async with lane:
                    await one(url)

            async with active:
                await _together(in_lane(url) for url in host_urls)

        try:
            await _together(host(group) for _, group in sorted(by_host.items()))
            await _together(list(extracting))
        finally:
            if pool is not None:
                (await pool).close()
        load.add_robots(polite.robots_answers)
        load.add(polite.take_robots_attempts(), pages=0)
    return out
