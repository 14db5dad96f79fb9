"""The archive pipeline's steps as plain functions: discover, fetch, ingest, extract, group.

Each step opens the archive for one short transaction, does its batch of work, and returns
a small report; bodies travel through the WARC archive, never between steps. ``flows/``
wraps these in Prefect tasks; tests call them directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import logging
import multiprocessing
import os
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from tasks.dedupe import (
    ShingleHasher,
    find_copy_links,
    minhash_keys,
    text_sha256,
    verified_copies,
)
from tasks.discover import parse_feed, parse_sitemap, parse_url_list, sitemaps_from_robots
from tasks.extract import extract_page
from tasks.fetch import (
    ANY_TYPE,
    FEED_TYPES,
    Fetcher,
    FetchPolicy,
    StaticResolver,
    Validators,
    make_client,
)
from tasks.polite import PoliteFetcher, RobotsAnswer
from tasks.raw_archive import (
    WarcArchive,
    archive_files,
    index_archive_file,
    read_payload,
    record_id_for,
    resolve_warc_path,
)
from tasks.search_index import refresh_search_index
from tasks.store import (
    TEXTS_COUNTED,
    PendingRecord,
    StoredStory,
    all_record_ids,
    archived_warc_paths,
    article_sketches,
    count_articles,
    extraction_state,
    grouping_partners,
    grouping_totals,
    grouping_working_set,
    known_aggregators,
    known_record_ids,
    latest_validators,
    pending_grouping,
    pending_records,
    previous_grouping,
    replace_fingerprints,
    resumable_urls,
    robots_answers,
    save_extractions,
    save_fetches,
    save_grouping,
    save_link_hints,
    save_problems,
    save_reextractions,
    save_robots_answers,
    story_vectors_of,
    storyline_neighbours,
    term_counts,
    unfinished_runs,
    unsketched_articles,
)
from tasks.stories import (
    AGGREGATOR_COPY_SHARE,
    PreviousGrouping,
    StoryResult,
    StoryVector,
    TermCounts,
    group_stories,
    strongest_terms,
    terms_and_probe,
)
from tasks.storylines import StoryForLine, StorylineResult, storylines
from tasks.urls import is_http_url, normalize_url
from tasks.warc_input import WarcResponse, read_warc
from wirehouse.db import open_archive, query, transaction
from wirehouse.errors import InputError, ParseError, StorageUnavailable, WirehouseError
from wirehouse.records import (
    ArticleSketch,
    DiscoveryProblem,
    Extraction,
    FetchAttempt,
    Link,
    RawRecord,
    Rejection,
    RunSummary,
    UnreadableRecord,
)
from wirehouse.settings import DedupeSettings, ExtractSettings, Settings

logger = logging.getLogger("wirehouse.pipeline")


@dataclass(frozen=True, slots=True)
class RunContext:
    """Where a run writes and how it may reach the network."""

    db_path: str
    archive_dir: str
    run_id: str
    settings: Settings = field(default_factory=Settings)
    allow_private_network: bool = False
    resolve: tuple[tuple[str, str], ...] = ()  # (host, "address[:port]") overrides

    @classmethod
    def for_archive(cls, db_path: str) -> RunContext:
        """A new run on an existing archive, with the environment's settings (for the flows
        that work on what is archived: re-extraction, maintenance)."""
        return cls(
            db_path=db_path,
            archive_dir=default_archive_dir(db_path),
            run_id=new_run_id(),
            settings=Settings.from_env(),
        )

    @property
    def db_dir(self) -> Path:
        """The database's folder: stored WARC paths are relative to it."""
        return Path(self.db_path).absolute().parent

    def warc_file(self, stored_path: str) -> Path:
        """Where a stored WARC path is now (StorageUnavailable when it is nowhere)."""
        return resolve_warc_path(stored_path, self.db_dir, self.archive_dir)

    def warc_archive(self, suffix: str = "") -> WarcArchive:
        """The run's WARC writer, its records naming files relative to the database."""
        return WarcArchive(self.archive_dir, self.run_id + suffix, relative_to=self.db_dir)

    def open(
        self, *, wait_s: float | None = None, migrated: bool = False
    ) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The archive, opened for writing; while another process holds the file it waits
        ``wait_s`` (default: the ``lock_wait_s`` setting), saying so."""
        wait = self.settings.archive.lock_wait_s if wait_s is None else wait_s
        return open_archive(self.db_path, wait_s=wait, migrated=migrated)

    def policy(self) -> FetchPolicy:
        return FetchPolicy(self.settings.fetch, self.allow_private_network)

    def resolver(self) -> StaticResolver:
        return StaticResolver(dict(self.resolve))


def default_archive_dir(db: str) -> str:
    """The WARC archive lives next to the DB: demo.duckdb -> demo-archive/."""
    path = Path(db)
    return str(path.with_name(f"{path.stem}-archive"))


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: 20231015T120000Z-1a2b3c."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class Sources:
    """What a run should archive."""

    urls: tuple[str, ...] = ()
    urls_file: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    warcs: tuple[str, ...] = ()

    def validate(self) -> None:
        """Raise InputError for a wrong argument, before any work starts."""
        for url in (*self.urls, *self.feeds, *self.sitemaps):
            if not is_http_url(url):
                raise InputError(f"not an http(s) URL: {url!r}", reason="bad_url")
        for path in (*([self.urls_file] if self.urls_file else []), *self.warcs):
            candidate = Path(path)
            if not candidate.is_file():
                raise InputError(f"cannot read {path}: no such file", reason="unreadable_input")
        if self.urls_file:
            read_url_file(self.urls_file)

    def is_empty(self) -> bool:
        return not (self.urls or self.urls_file or self.feeds or self.sitemaps or self.warcs)


def read_url_file(path: str) -> list[Link]:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror or exc}", reason="unreadable_input"
        ) from exc
    return parse_url_list(text)


class ChunkedLoad:
    """A step's rows, committed as the work is done: every ``commit_every_pages`` pages or
    ``commit_every_s`` seconds, whichever comes first, the WARC file synced before the rows
    that point into it.

    A kill loses at most the chunk in hand. While another process holds the DuckDB file,
    chunks wait in memory (rows only: the bodies are on disk already) and go with the next
    commit; the last commit waits ``lock_wait_s`` for the file, saying so, and if it gives
    up, what was committed before stays and the error says what to do.
    """

    def __init__(self, ctx: RunContext, archive: WarcArchive | None = None) -> None:
        self._ctx = ctx
        self._archive = archive
        self._settings = ctx.settings.archive
        self._attempts: list[FetchAttempt] = []
        self._records: list[RawRecord] = []
        self._problems: list[DiscoveryProblem] = []
        self._robots: dict[str, RobotsAnswer] = {}
        self._pages = 0  # pages in hand since the last commit
        self._last_commit = time.monotonic()
        self.commits = 0
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

    def _due(self) -> bool:
        return self._pages >= self._settings.commit_every_pages or (
            self._pages > 0
            and time.monotonic() - self._last_commit >= self._settings.commit_every_s
        )

    def commit(self, *, final: bool = True) -> bool:
        """Commit what is in hand. A chunk that meets a held file waits for the next one
        (False); the final commit waits ``lock_wait_s`` and then raises StorageUnavailable."""
        if not (self._attempts or self._records or self._problems or self._robots):
            return True
        if self._archive is not None:
            self._archive.sync()
        try:
            with (
                self._ctx.open(wait_s=None if final else 0, migrated=True) as conn,
                transaction(conn),
            ):
                save_fetches(
                    conn, self._ctx.run_id, self._attempts, self._records, in_transaction=True
                )
                save_problems(conn, self._ctx.run_id, self._problems)
                save_robots_answers(conn, self._ctx.run_id, self._robots)
        except StorageUnavailable as exc:
            if not final:
                if self.held_by is None:
                    logger.warning("%s; keeping this run's rows until it is free", exc.detail)
                self.held_by = exc.detail
                self._last_commit = time.monotonic()
                return False
            pages = sum(1 for a in self._attempts if a.record_id) + len(self._records)
            raise StorageUnavailable(
                f"{exc.detail}: the last {len(self._attempts)} fetch attempts of this run "
                f"({pages} pages) were not recorded; everything recorded before stays. "
                "Close the other program and run the same command again: pages already "
                "recorded are not fetched again",
                reason="archive_locked",
            ) from exc
        self.commits += 1
        self.held_by = None
        self._attempts, self._records, self._problems, self._robots = [], [], [], {}
        self._pages = 0
        self._last_commit = time.monotonic()
        return True


@dataclass(frozen=True, slots=True)
class DiscoveryReport:
    urls: list[str]
    problems: int
    unindexed_files: int = 0  # archive files no row points at (a killed run's)


def discover(ctx: RunContext, sources: Sources) -> DiscoveryReport:
    """Every URL to fetch: given URLs, the URL file, and what feeds and sitemaps list
    (a sitemap URL ending in /robots.txt reads the sitemaps its Sitemap lines name).
    Archive files that no row points at (a killed run's) are reported as problems."""
    links = [Link(normalize_url(u), "url") for u in sources.urls]
    if sources.urls_file:
        links.extend(read_url_file(sources.urls_file))
    attempts: list[FetchAttempt] = []
    problems: list[DiscoveryProblem] = []
    robots: dict[str, RobotsAnswer] = {}
    if sources.feeds or sources.sitemaps:
        found, attempts, problems, robots = asyncio.run(
            _read_listings(ctx, sources.feeds, sources.sitemaps)
        )
        links.extend(found)
    with ctx.open() as conn:
        unindexed = unindexed_archive_files(ctx, archived_warc_paths(conn))
        problems.extend(
            DiscoveryProblem(
                str(path),
                "unindexed_archive_file",
                "no row points at this archive file (a run was stopped before it recorded "
                "its pages); the maintenance flow indexes it",
            )
            for path in unindexed
        )
        with transaction(conn):
            save_fetches(conn, ctx.run_id, attempts, [], in_transaction=True)
            save_problems(conn, ctx.run_id, problems)
            save_robots_answers(conn, ctx.run_id, robots)
            save_link_hints(conn, links)
    if unindexed:
        logger.warning(
            "%d archive files in %s are not indexed (a stopped run's); the maintenance flow "
            "indexes them",
            len(unindexed),
            ctx.archive_dir,
        )
    urls = list(dict.fromkeys(normalize_url(link.url) for link in links))
    return DiscoveryReport(urls=urls, problems=len(problems), unindexed_files=len(unindexed))


def unindexed_archive_files(ctx: RunContext, stored_paths: Sequence[str]) -> list[Path]:
    """The archive's WARC files that no raw record points at."""
    known = {Path(path).name for path in stored_paths}
    return [path for path in archive_files(ctx.archive_dir) if path.name not in known]


def _problem(url: str, exc: BaseException) -> DiscoveryProblem:
    """A listing's unexpected failure, recorded instead of raised."""
    if isinstance(exc, WirehouseError):
        return DiscoveryProblem(url, exc.reason, exc.detail)
    logger.exception("unexpected error reading %s", url)
    return DiscoveryProblem(url, "internal_error", f"{type(exc).__name__}: {exc}"[:500])


async def _read_listings(
    ctx: RunContext, feeds: Sequence[str], sitemaps: Sequence[str]
) -> tuple[list[Link], list[FetchAttempt], list[DiscoveryProblem], dict[str, RobotsAnswer]]:
    """Read feeds and sitemaps (sitemap indexes down to ``max_sitemap_depth``, at most
    ``max_sitemaps`` in all); every listing that fails, and everything a cap drops, is a
    problem row, never an exception."""
    settings = ctx.settings.fetch
    links: list[Link] = []
    attempts: list[FetchAttempt] = []
    problems: list[DiscoveryProblem] = []

    def capped(url: str, found: list[Link]) -> list[Link]:
        limit = settings.max_links_per_listing
        if len(found) > limit:
            problems.append(
                DiscoveryProblem(
                    url,
                    "too_many_links",
                    f"{len(found) - limit} of {len(found)} URLs skipped "
                    f"(WIREHOUSE_MAX_LINKS_PER_LISTING={limit})",
                )
            )
        return found[:limit]

    async with make_client(settings) as client:
        polite = PoliteFetcher(Fetcher(client, ctx.policy(), ctx.resolver()), settings)

        async def read(url: str) -> bytes | None:
            # robots.txt itself is never subject to robots rules
            is_robots = urlsplit(url).path.endswith("/robots.txt")
            page, tried = await polite.get(
                url, ANY_TYPE if is_robots else FEED_TYPES, obey_robots=False if is_robots else None
            )
            attempts.extend(tried)
            if page is not None:
                return page.body
            last = tried[-1]
            problems.append(DiscoveryProblem(url, last.error or "fetch_failed", last.detail or ""))
            return None

        async def feed(url: str) -> None:
            try:
                body = await read(url)
                if body is not None:
                    links.extend(capped(url, parse_feed(body, url, settings.max_feed_bytes)))
            except Exception as exc:
                problems.append(_problem(url, exc))

        scheduled: set[str] = set(sitemaps)
        budget = [settings.max_sitemaps - len(scheduled)]  # sitemaps that may still be read

        async def sitemap(url: str, depth: int) -> None:
            try:
                body = await read(url)
                if body is None:
                    return
                if urlsplit(url).path.endswith("/robots.txt"):
                    pages: list[Link] = []
                    children = sitemaps_from_robots(body, url)
                else:
                    pages, children = parse_sitemap(body, url, settings.max_feed_bytes)
            except Exception as exc:
                problems.append(_problem(url, exc))
                return
            links.extend(capped(url, pages))
            children = [child for child in children if child not in scheduled]
            if children and depth >= settings.max_sitemap_depth:
                problems.append(
                    DiscoveryProblem(
                        url,
                        "too_deep",
                        f"{len(children)} nested sitemaps skipped "
                        f"(WIREHOUSE_MAX_SITEMAP_DEPTH={settings.max_sitemap_depth})",
                    )
                )
                return
            kept, dropped = children[: max(0, budget[0])], children[max(0, budget[0]) :]
            budget[0] -= len(kept)
            scheduled.update(kept)
            if dropped:
                problems.append(
                    DiscoveryProblem(
                        url,
                        "too_many_sitemaps",
                        f"{len(dropped)} of {len(children)} nested sitemaps skipped, from "
                        f"{dropped[0]} (WIREHOUSE_MAX_SITEMAPS={settings.max_sitemaps})",
                    )
                )
            await asyncio.gather(*(sitemap(child, depth + 1) for child in kept))

        first = list(dict.fromkeys(sitemaps))
        if len(first) > settings.max_sitemaps:
            problems.append(
                DiscoveryProblem(
                    first[settings.max_sitemaps],
                    "too_many_sitemaps",
                    f"{len(first) - settings.max_sitemaps} sitemaps given skipped "
                    f"(WIREHOUSE_MAX_SITEMAPS={settings.max_sitemaps})",
                )
            )
            first = first[: settings.max_sitemaps]
        await asyncio.gather(*(feed(u) for u in feeds), *(sitemap(u, 1) for u in first))
    attempts.extend(polite.robots_attempts)
    return links, attempts, problems, polite.robots_answers


@dataclass(frozen=True, slots=True)
class FetchReport:
    attempted: int  # URLs tried
    fetched: int  # URLs answered with a body
    not_modified: int  # URLs answered 304, or with a body we already had
    new_records: int  # bodies added to the WARC archive
    retries: int  # attempts beyond the first
    failures: dict[str, int]  # URLs that failed, by the reason of their last attempt
    resumed: int = 0  # URLs an interrupted run had fetched already: not fetched again
    commits: int = 0  # chunks committed


def fetch_and_archive(ctx: RunContext, urls: Sequence[str]) -> FetchReport:
    """Fetch the URLs politely, keep every new body in the WARC archive, record every attempt.

    A URL whose last fetch left an ETag or Last-Modified is asked conditionally; a 304, or a
    200 whose body we already hold, adds nothing to extract. Attempts and records are
    committed in chunks as they come; URLs that a run which never finished had already
    fetched (within ``resume_window_s``) are not fetched again."""
    if not urls:
        return FetchReport(0, 0, 0, 0, 0, {})
    since = datetime.now(UTC) - timedelta(seconds=ctx.settings.archive.resume_window_s)
    with ctx.open() as conn:
        known = known_record_ids(conn, list(urls))
        validators = latest_validators(conn, list(urls))
        robots = robots_answers(conn, ctx.run_id)
        done = resumable_urls(conn, ctx.run_id, since)
    todo = [url for url in dict.fromkeys(urls) if url not in done]
    if len(todo) < len(set(urls)):
        logger.info(
            "%d URLs were fetched by an interrupted run already: not fetched again",
            len(set(urls)) - len(todo),
        )
    with ctx.warc_archive() as archive:
        load = ChunkedLoad(ctx, archive)
        outcome = asyncio.run(_fetch(ctx, todo, known, validators, robots, archive, load))
        load.commit()
    return outcome.report(resumed=len(set(urls)) - len(todo), commits=load.commits)


@dataclass
class _FetchOutcome:
    attempts: int = 0  # first attempts of page URLs
    retries: int = 0
    new_records: int = 0
    fetched: int = 0
    not_modified: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    def report(self, *, resumed: int, commits: int) -> FetchReport:
        return FetchReport(
            attempted=self.attempts,
            fetched=self.fetched,
            not_modified=self.not_modified,
            new_records=self.new_records,
            retries=self.retries,
            failures=dict(sorted(self.failures.items())),
            resumed=resumed,
            commits=commits,
        )


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
    validators: dict[str, Validators],
    robots: dict[str, RobotsAnswer],
    archive: WarcArchive,
    load: ChunkedLoad,
) -> _FetchOutcome:
    out = _FetchOutcome()
    async with make_client(ctx.settings.fetch) as client:
        fetcher = Fetcher(client, ctx.policy(), ctx.resolver())
        polite = PoliteFetcher(fetcher, ctx.settings.fetch, robots_seen=robots)

        async def archived(url: str) -> tuple[list[FetchAttempt], RawRecord | None]:
            page, tried = await polite.get(url, validators=validators.get(url))
            last = tried[-1]
            if page is None:
                if last.error:
                    out.failures[last.error] += 1
                else:
                    out.not_modified += 1  # 304
                return tried, None
            stored_url = last.final_url or last.url
            record_id = record_id_for(stored_url, hashlib.sha256(page.body).hexdigest())
            record = None
            if record_id in known:
                out.not_modified += 1  # the same body again: nothing to extract
            else:
                known.add(record_id)
                record = archive.write_response(
                    stored_url, last.status_code or 200, page.headers, page.body, last.fetched_at
                )
                out.fetched += 1
            return [*tried[:-1], replace(last, record_id=record_id)], record

        async def one(url: str) -> None:
            try:
                tried, record = await archived(url)
            except Exception as exc:  # one URL's surprise must not cost the run its others
                tried, record = [_failed_attempt(url, exc)], None
                out.failures["internal_error"] += 1
            out.attempts += 1
            out.retries += sum(1 for a in tried if a.attempt > 1)
            out.new_records += record is not None
            load.add_robots(polite.robots_answers)
            load.add([*polite.take_robots_attempts(), *tried], record)

        # A bounded set of hosts at a time, each with its few requests in flight: the
        # in-flight requests then stay within a few hosts' kept-alive connections instead
        # of rotating over every host and churning the connection pool.
        by_host: dict[str, list[str]] = {}
        for url in urls:
            by_host.setdefault(urlsplit(url).netloc, []).append(url)
        settings = ctx.settings.fetch
        active = asyncio.Semaphore(
            max(1, settings.max_concurrency // settings.per_host_concurrency)
        )

        async def host(host_urls: list[str]) -> None:
            async with active:
                await asyncio.gather(*(one(url) for url in host_urls))

        await asyncio.gather(*(host(group) for _, group in sorted(by_host.items())))
        load.add_robots(polite.robots_answers)
        load.add(polite.take_robots_attempts(), pages=0)
    return out


@dataclass(frozen=True, slots=True)
class IngestReport:
    responses: int  # HTTP responses read
    new_records: int  # bodies added to the archive
    other_records: int  # records that are no page (metadata, requests, dns: lookups)
    skipped: dict[str, int]  # damaged or unusable records, by reason


# WARC records that are not pages at all: counted, neither archived nor reported as problems.
_NOT_PAGES = frozenset({"not_response", "no_http_headers"})


def ingest_warcs(ctx: RunContext, paths: Sequence[str]) -> IngestReport:
    """Copy the responses of existing WARC/ARC files into the archive, as if fetched;
    damaged records are skipped with their reason, the rest of the file goes on. Records
    are committed in chunks as they are copied."""
    problems: Counter[str] = Counter()
    responses = other_records = new_records = 0
    with ctx.open() as conn:
        known = all_record_ids(conn)
    with ctx.warc_archive("-ingest") as archive:
        load = ChunkedLoad(ctx, archive)
        for path in paths:
            items = read_warc(path, max_payload_bytes=ctx.settings.fetch.max_body_bytes)
            while True:
                try:
                    item = next(items, None)
                except Exception as exc:  # the reader itself failed: the rest of this file
                    problem = _problem(path, exc)
                    problems[problem.reason] += 1
                    load.add(problems=[problem], pages=0)
                    break
                if item is None:
                    break
                if not isinstance(item, WarcResponse):
                    if item.reason in _NOT_PAGES:
                        other_records += 1
                    else:
                        problems[item.reason] += 1
                        load.add(
                            problems=[DiscoveryProblem(item.source, item.reason, item.detail)],
                            pages=0,
                        )
                    continue
                responses += 1
                record_id = record_id_for(item.url, hashlib.sha256(item.payload).hexdigest())
                if record_id in known:
                    continue
                known.add(record_id)
                record = archive.write_response(
                    item.url, item.status_code, item.headers, item.payload, item.fetched_at, "warc"
                )
                new_records += 1
                load.add(record=record)
        load.commit()
    return IngestReport(
        responses=responses,
        new_records=new_records,
        other_records=other_records,
        skipped=dict(sorted(problems.items())),
    )


@dataclass(frozen=True, slots=True)
class ExtractReport:
    extracted: int
    new_articles: int
    rejected: dict[str, int]
    unreadable: dict[str, int] = field(default_factory=dict)  # storage problems, by reason


EXTRACT_BATCH = 500  # records per load transaction: bounded memory, short write locks
PARALLEL_FROM = 64  # below this many pending records, worker start-up costs more than it saves

Outcome = Extraction | Rejection | UnreadableRecord


def extract_record(record: PendingRecord, settings: ExtractSettings) -> Outcome:
    """Read one archived response back and extract it (runs in a worker process). A record
    that cannot be read is a storage problem, never a verdict on the page."""
    try:
        body, stored_type = read_payload(record.warc_path, record.warc_offset, record.warc_length)
    except (ParseError, StorageUnavailable) as exc:
        return UnreadableRecord(record.record_id, record.url, exc.reason, exc.detail)
    try:
        return extract_page(
            body, record.url, stored_type or record.content_type, settings, record.record_id
        )
    except Exception as exc:  # one page's surprise must not cost the batch its others
        return Rejection(
            record.record_id, record.url, "extraction_failed", f"{type(exc).__name__}: {exc}"
        )


def _watch_parent() -> None:
    """In a worker process: exit when the parent dies (a ``kill -9`` of the run must not
    leave workers behind holding hundreds of MB)."""
    parent = os.getppid()
    with contextlib.suppress(Exception):  # Linux only: the kernel signals us at once
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _worker_pid(_: object = None) -> int:
    """A worker's process id (tests check that workers exit with their parent)."""
    return os.getpid()


def extract_in_batches(
    records: Sequence[PendingRecord], settings: ExtractSettings, workers: int | None = None
) -> Iterator[list[tuple[PendingRecord, Outcome]]]:
    """Extract records batch by batch. Extraction is CPU-bound, so large jobs run in a
    bounded pool of worker processes (default one per core); records, not bodies, are
    sent to the workers."""
    workers = workers or os.cpu_count() or 1
    pool = None
    if workers > 1 and len(records) >= PARALLEL_FROM:
        # spawn, not fork: the parent may hold threads (Prefect's) that fork would copy badly.
        pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_watch_parent
        )
    try:
        for start in range(0, len(records), EXTRACT_BATCH):
            batch = records[start : start + EXTRACT_BATCH]
            outcomes = (
                list(pool.map(extract_record, batch, [settings] * len(batch), chunksize=8))
                if pool
                else [extract_record(record, settings) for record in batch]
            )
            yield list(zip(batch, outcomes, strict=True))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)


def _located(ctx: RunContext, records: Sequence[PendingRecord]) -> list[PendingRecord]:
    """The records with their WARC paths resolved from the database's folder."""
    found: dict[str, str] = {}
    located = []
    for record in records:
        path = found.get(record.warc_path)
        if path is None:
            try:
                path = str(ctx.warc_file(record.warc_path))
            except StorageUnavailable:
                path = record.warc_path  # reading it fails, and says so, per record
            found[record.warc_path] = path
        located.append(replace(record, warc_path=path))
    return located


def _storage_problems(
    ctx: RunContext, unreadable: Sequence[UnreadableRecord]
) -> list[DiscoveryProblem]:
    if unreadable:
        logger.warning(
            "%d archived responses could not be read back (first: %s); they are tried again "
            "next run",
            len(unreadable),
            unreadable[0].detail,
        )
    return [DiscoveryProblem(u.url, u.reason, u.detail) for u in unreadable]


def extract_pending(ctx: RunContext, workers: int | None = None) -> ExtractReport:
    """Extract every archived response not yet turned into an article or a rejection.
    Responses that cannot be read back stay pending and are reported."""
    with ctx.open() as conn:
        pending = _located(ctx, pending_records(conn))
        before = count_articles(conn)
    rejected: Counter[str] = Counter()
    unreadable: list[UnreadableRecord] = []
    extracted = 0
    for batch in extract_in_batches(pending, ctx.settings.extract, workers):
        rejected.update(o.reason for _, o in batch if isinstance(o, Rejection))
        unreadable.extend(o for _, o in batch if isinstance(o, UnreadableRecord))
        kept = [(o, r.fetched_at) for r, o in batch if not isinstance(o, UnreadableRecord)]
        with ctx.open(migrated=True) as conn:
            written, _ = save_extractions(conn, kept)
        extracted += written
    with ctx.open(migrated=True) as conn:
        save_problems(conn, ctx.run_id, _storage_problems(ctx, unreadable))
        after = count_articles(conn)
    return ExtractReport(
        extracted=extracted,
        new_articles=after - before,
        rejected=dict(sorted(rejected.items())),
        unreadable=dict(sorted(Counter(u.reason for u in unreadable).items())),
    )


@dataclass(frozen=True, slots=True)
class ReextractReport:
    records: int  # archived responses read again
    unchanged: int
    changed: int  # articles whose text changed
    new_articles: int  # pages rejected before, articles now
    now_rejected: int  # articles before, rejected now
    rejected_reasons: dict[str, int]
    unreadable: int = 0  # archived responses that could not be read back: left as they were


def reextract(ctx: RunContext, workers: int | None = None) -> ReextractReport:
    """Extract every archived response again (after a trafilatura upgrade, say) and keep
    what changed: new texts, pages that became articles, articles that became rejections.
    A response that cannot be read back (its WARC file missing or damaged) leaves its
    article or rejection as it was, and is reported."""
    with ctx.open() as conn:
        state = extraction_state(conn)
    records = _located(ctx, [record for record, _, _ in state])
    before = {
        record.record_id: (article_sha, rejection) for record, article_sha, rejection in state
    }
    unchanged = changed = new_articles = now_rejected = 0
    reasons: Counter[str] = Counter()
    unreadable: list[UnreadableRecord] = []
    for batch in extract_in_batches(records, ctx.settings.extract, workers):
        keep: list[tuple[Extraction | Rejection, datetime]] = []
        for record, outcome in batch:
            article_sha, rejection = before[record.record_id]
            if isinstance(outcome, UnreadableRecord):
                unreadable.append(outcome)
                continue
            if isinstance(outcome, Rejection):
                if rejection == outcome.reason:
                    unchanged += 1
                    continue
                now_rejected += article_sha is not None
                reasons[outcome.reason] += 1
            elif article_sha == text_sha256(outcome.text):
                unchanged += 1
                continue
            elif article_sha is None:
                new_articles += 1
            else:
                changed += 1
            keep.append((outcome, record.fetched_at))
        if keep:
            with ctx.open(migrated=True) as conn:
                save_reextractions(conn, keep)
    if unreadable:
        with ctx.open(migrated=True) as conn:
            save_problems(conn, ctx.run_id, _storage_problems(ctx, unreadable))
    return ReextractReport(
        records=len(records),
        unchanged=unchanged,
        changed=changed,
        new_articles=new_articles,
        now_rejected=now_rejected,
        rejected_reasons=dict(sorted(reasons.items())),
        unreadable=len(unreadable),
    )


@dataclass(frozen=True, slots=True)
class IndexReport:
    files: int  # archive files read
    recovered: int  # responses that had no row, indexed now (their pages are then extracted)


def index_unrecorded(ctx: RunContext) -> IndexReport:
    """Index what stopped runs wrote to the archive but never recorded: the files no row
    points at, and the files of runs that never finished (their tails). Recovered responses
    become raw records like any other and are extracted by the next extract step."""
    with ctx.open() as conn:
        stored = archived_warc_paths(conn)
        stopped = unfinished_runs(conn, ctx.run_id)
        known = all_record_ids(conn)
    files = unindexed_archive_files(ctx, stored)
    files += [
        path
        for path in archive_files(ctx.archive_dir)
        if path not in files and any(f"-{run_id}-" in path.name for run_id in stopped)
    ]
    load = ChunkedLoad(ctx)
    recovered = 0
    for path in files:
        for record in index_archive_file(path, ctx.db_dir):
            if record.record_id not in known:
                known.add(record.record_id)
                recovered += 1
                load.add(record=record)
    load.commit()
    return IndexReport(files=len(files), recovered=recovered)


@dataclass(frozen=True, slots=True)
class GroupReport:
    articles: int
    copies: int
    copy_groups: int
    stories: int
    new_stories: int
    regrouped: int = 0  # articles this run regrouped: its new ones and what is near them


def group_articles(ctx: RunContext) -> GroupReport:
    """Group the articles that are new or changed since the last run.

    Their MinHash keys go to the archive first, so their copies are found anywhere in it;
    the stored stories dated near them that their tf-idf probes are alike to are the
    stories they may join. Those, the new articles and their copies are the working set,
    regrouped with what earlier runs joined kept joined; story lines are then drawn again
    from stored story vectors. Other stories stay as they are, so a run costs what its
    new articles touch, not what the archive holds."""
    settings = ctx.settings.dedupe
    with ctx.open() as conn:
        pending = pending_grouping(conn)
        if not pending:
            totals = grouping_totals(conn)
            return GroupReport(
                totals.articles, totals.copies, totals.copy_groups, totals.stories, 0
            )
        stored = term_counts(conn)
    # The new texts, a chunk at a time (a first run over a big archive holds one chunk of
    # texts, not all): their terms are counted into the archive's document frequencies,
    # their MinHash keys stored, and their probes (strongest terms) kept to find the
    # stored stories they may join.
    new_counts: Counter[str] = Counter({TEXTS_COUNTED: len(pending)})
    probes: dict[str, dict[str, float]] = {}
    hasher = ShingleHasher(settings.shingle_size)

    def minhash_keys_of(sketch: ArticleSketch) -> list[int]:
        return list(minhash_keys(hasher.shingles(sketch.text), settings).tolist())

    def sketch_pending(sketch: ArticleSketch) -> list[int]:
        terms, probes[sketch.article_id] = terms_and_probe(sketch, stored, settings)
        new_counts.update(terms)
        return minhash_keys_of(sketch)

    _store_minhash_keys(ctx, pending, sketch_pending)
    with ctx.open() as conn:
        missing = unsketched_articles(conn)
    _store_minhash_keys(ctx, missing, minhash_keys_of)
    with ctx.open() as conn:
        partners = grouping_partners(
            conn,
            settings.min_shared_bands,
            settings.max_band_postings,
            settings.max_copy_candidates,
        )
        to_verify = sorted({a for p, o, sure in partners if not sure for a in (p, o)})
        texts = article_sketches(conn, to_verify)
    copies = verified_copies(partners, texts, settings)
    del texts
    holding = Counter(stored.holding)
    holding.update(new_counts)
    counts = TermCounts(holding.pop(TEXTS_COUNTED) + stored.texts, holding)
    with ctx.open() as conn:
        working_set = grouping_working_set(conn, probes, sorted(copies), settings)
        sketches = article_sketches(conn, working_set)
        previous = previous_grouping(conn, working_set)
        aggregators = known_aggregators(conn)
    links = find_copy_links(sketches, settings)
    result = group_stories(
        sketches,
        links,
        settings,
        previous,
        frozenset(pending),
        aggregators,
        counts,
    )
    del holding, counts
    old_ids = set(previous.story.values())
    days = {s.story_id: s.first_published_at for s in result.stories}
    # Lines may change around the stories that gained or lost articles; the stories that
    # were only read as candidates keep their lines (kept whole, not searched around).
    touched = set(pending) | copies
    changed = {g.story_id for g in result.groupings if g.article_id in touched}
    changed |= {kept for _merged, kept in result.merges}
    with ctx.open() as conn:
        neighbours = storyline_neighbours(
            conn,
            {
                v.story_id: strongest_terms(v.terms, settings.story_candidate_terms)
                for v in result.story_vectors
                if v.story_id in changed
            },
            days,
            sorted(old_ids | set(days)),
            settings,
        )
        kept = [n.story_id for n in neighbours if n.story_id not in old_ids]
        vectors = story_vectors_of(conn, kept)
    lines = _draw_storylines(result, previous, neighbours, vectors, settings)
    with ctx.open() as conn:
        save_grouping(conn, result, links, working_set, lines, AGGREGATOR_COPY_SHARE, new_counts)
        totals = grouping_totals(conn)
    return GroupReport(
        articles=totals.articles,
        copies=totals.copies,
        copy_groups=totals.copy_groups,
        stories=totals.stories,
        new_stories=sum(1 for s in result.stories if s.story_id not in old_ids),
        regrouped=len(working_set),
    )


GROUPING_CHUNK = 5_000  # texts read at a time where a run only needs each one once


def _store_minhash_keys(
    ctx: RunContext,
    article_ids: Sequence[str],
    keys_of: Callable[[ArticleSketch], list[int]],
) -> None:
    """Store the MinHash keys ``keys_of`` gives for each article, reading their texts a
    chunk at a time. Pending articles get theirs when grouped; grouped articles without
    any (an archive whose keys a migration cleared) get theirs here too."""
    for start in range(0, len(article_ids), GROUPING_CHUNK):
        with ctx.open() as conn:
            sketches = article_sketches(conn, article_ids[start : start + GROUPING_CHUNK])
        keys = {sketch.article_id: keys_of(sketch) for sketch in sketches}
        with ctx.open() as conn:
            replace_fingerprints(conn, keys)


def mark_all_for_regrouping(ctx: RunContext) -> int:
    """Have the next grouping regroup the whole archive from scratch (after the dedupe
    settings changed, say). Ids are kept where clusters still hold their articles, but
    nothing is held together: a story the new settings split gets a new id for its
    younger part. Returns the number of articles marked."""
    with ctx.open() as conn, transaction(conn):
        conn.execute(query("mark_all_for_regrouping"))
        return count_articles(conn)


def _draw_storylines(
    result: StoryResult,
    previous: PreviousGrouping,
    neighbours: Sequence[StoredStory],
    vectors: Mapping[str, dict[str, float]],
    settings: DedupeSettings,
) -> StorylineResult:
    """Story lines over the regrouped stories and the stored stories near them. A
    regrouped story inherits the line its articles' old stories were in."""
    old_line = {n.story_id: n.storyline_id for n in neighbours if n.storyline_id}
    age = {
        n.storyline_id: (n.storyline_created_at,)
        for n in neighbours
        if n.storyline_id and n.storyline_created_at
    }
    previous_line: dict[str, str] = {}
    for grouping in result.groupings:
        line = old_line.get(previous.story.get(grouping.article_id, ""))
        current = previous_line.get(grouping.story_id)
        if line and (
            current is None or (age.get(line, ()), line) < (age.get(current, ()), current)
        ):
            previous_line[grouping.story_id] = line
    regrouped = {s.story_id for s in result.stories} | set(previous.story.values())
    stories = [
        StoryForLine(s.story_id, s.title, s.first_published_at, s.article_count, vector)
        for s, vector in zip(result.stories, _vectors_by_story(result), strict=True)
    ]
    for n in neighbours:
        if n.story_id not in regrouped:
            previous_line.setdefault(n.story_id, n.storyline_id or "")
            vector = StoryVector(n.story_id, n.texts, vectors.get(n.story_id, {}))
            stories.append(
                StoryForLine(n.story_id, n.title, n.first_published_at, n.article_count, vector)
            )
    previous_line = {story: line for story, line in previous_line.items() if line}
    return storylines(stories, settings, previous_line, age)


def _vectors_by_story(result: StoryResult) -> list[StoryVector]:
    by_id = {v.story_id: v for v in result.story_vectors}
    return [by_id[s.story_id] for s in result.stories]


def refresh_search(ctx: RunContext) -> int:
    """Rebuild the full-text index; returns the number of articles indexed."""
    with ctx.open() as conn:
        return refresh_search_index(conn)


@dataclass(frozen=True, slots=True)
class ArchiveFigures:
    """How much the archive holds."""

    articles: int
    stories: int
    copy_groups: int
    raw_records: int
    fetches: int
    database_bytes: int


def checkpoint(ctx: RunContext) -> ArchiveFigures:
    """Fold DuckDB's write-ahead log into the file and report the archive's size."""
    with ctx.open() as conn:
        conn.execute("checkpoint")
        row = conn.execute(query("archive_figures")).fetchone()
    articles, stories, copy_groups, raw_records, fetches = row or (0, 0, 0, 0, 0)
    return ArchiveFigures(
        articles, stories, copy_groups, raw_records, fetches, Path(ctx.db_path).stat().st_size
    )


def summarize(
    run_id: str,
    found: DiscoveryReport,
    fetched: FetchReport,
    ingested: IngestReport | None,
    extracted: ExtractReport,
    grouped: GroupReport,
) -> RunSummary:
    """What a run did, from its steps' reports (failures by reason, WARC problems prefixed)."""
    failures = dict(fetched.failures)
    if found.problems:
        failures["discovery"] = found.problems
    if ingested:
        for reason, count in ingested.skipped.items():
            failures[f"warc:{reason}"] = count
    return RunSummary(
        run_id=run_id,
        discovered=len(found.urls) + (ingested.responses if ingested else 0),
        fetched=fetched.fetched + (ingested.new_records if ingested else 0),
        not_modified=fetched.not_modified,
        new_articles=extracted.new_articles,
        rejected=sum(extracted.rejected.values()),
        copies_found=grouped.copies,
        stories=grouped.stories,
        new_stories=grouped.new_stories,
        failures=failures,
    )
