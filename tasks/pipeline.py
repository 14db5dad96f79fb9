"""The archive pipeline's steps as plain functions: discover, fetch, ingest, extract, group.

Each step opens the archive for one short transaction, does its batch of work, and returns
a small report; bodies travel through the WARC archive, never between steps. ``flows/``
wraps these in Prefect tasks; tests call them directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from tasks.dedupe import find_copy_links
from tasks.discover import parse_feed, parse_sitemap, parse_url_list
from tasks.extract import extract_page
from tasks.fetch import (
    FEED_TYPES,
    Fetcher,
    FetchPolicy,
    Page,
    StaticResolver,
    fetch_all,
    make_client,
)
from tasks.raw_archive import WarcArchive, read_payload, record_id_for
from tasks.store import (
    all_record_ids,
    article_sketches,
    count_articles,
    known_record_ids,
    pending_records,
    previous_grouping,
    save_extractions,
    save_fetches,
    save_grouping,
    save_problems,
)
from tasks.stories import group_stories
from tasks.urls import is_http_url, normalize_url
from wirehouse.db import open_archive
from wirehouse.errors import InputError, ParseError
from wirehouse.records import (
    DiscoveryProblem,
    Extraction,
    FetchAttempt,
    Link,
    RawRecord,
    Rejection,
)
from wirehouse.settings import Settings

MAX_SITEMAP_DEPTH = 3  # sitemap index -> sitemap index -> sitemap
MAX_SITEMAPS = 500


@dataclass(frozen=True, slots=True)
class RunContext:
    """Where a run writes and how it may reach the network."""

    db_path: str
    archive_dir: str
    run_id: str
    settings: Settings = field(default_factory=Settings)
    allow_private_network: bool = False
    resolve: tuple[tuple[str, str], ...] = ()  # (host, "address[:port]") overrides

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


@dataclass(frozen=True, slots=True)
class DiscoveryReport:
    urls: list[str]
    problems: int


def discover(ctx: RunContext, sources: Sources) -> DiscoveryReport:
    """Every URL to fetch: given URLs, the URL file, and what feeds and sitemaps list."""
    links = [Link(normalize_url(u), "url") for u in sources.urls]
    if sources.urls_file:
        links.extend(read_url_file(sources.urls_file))
    attempts: list[FetchAttempt] = []
    problems: list[DiscoveryProblem] = []
    if sources.feeds or sources.sitemaps:
        found, attempts, problems = asyncio.run(
            _read_listings(ctx, sources.feeds, sources.sitemaps)
        )
        links.extend(found)
    with open_archive(ctx.db_path) as conn:
        save_fetches(conn, ctx.run_id, attempts, [])
        save_problems(conn, ctx.run_id, problems)
    urls = list(dict.fromkeys(normalize_url(link.url) for link in links))
    return DiscoveryReport(urls=urls, problems=len(problems))


async def _read_listings(
    ctx: RunContext, feeds: Sequence[str], sitemaps: Sequence[str]
) -> tuple[list[Link], list[FetchAttempt], list[DiscoveryProblem]]:
    links: list[Link] = []
    attempts: list[FetchAttempt] = []
    problems: list[DiscoveryProblem] = []
    async with make_client(ctx.settings.fetch) as client:
        fetcher = Fetcher(client, ctx.policy(), ctx.resolver())

        async def read(url: str) -> bytes | None:
            result = await fetcher.fetch(url, FEED_TYPES)
            attempt = result.attempt if isinstance(result, Page) else result
            attempts.append(attempt)
            if isinstance(result, Page):
                return result.body
            problems.append(
                DiscoveryProblem(url, attempt.error or "fetch_failed", attempt.detail or "")
            )
            return None

        async def feed(url: str) -> None:
            body = await read(url)
            if body is None:
                return
            try:
                links.extend(parse_feed(body, url))
            except ParseError as exc:
                problems.append(DiscoveryProblem(url, exc.reason, exc.detail))

        seen: set[str] = set()

        async def sitemap(url: str, depth: int) -> None:
            if url in seen or len(seen) >= MAX_SITEMAPS:
                return
            seen.add(url)
            body = await read(url)
            if body is None:
                return
            try:
                pages, children = parse_sitemap(body, url)
            except ParseError as exc:
                problems.append(DiscoveryProblem(url, exc.reason, exc.detail))
                return
            links.extend(pages)
            if children and depth >= MAX_SITEMAP_DEPTH:
                problems.append(
                    DiscoveryProblem(url, "too_deep", f"{len(children)} nested sitemaps skipped")
                )
                return
            await asyncio.gather(*(sitemap(child, depth + 1) for child in children))

        await asyncio.gather(*(feed(u) for u in feeds), *(sitemap(u, 1) for u in sitemaps))
    return links, attempts, problems


@dataclass(frozen=True, slots=True)
class FetchReport:
    attempted: int
    fetched: int
    new_records: int
    failures: dict[str, int]


def fetch_and_archive(ctx: RunContext, urls: Sequence[str]) -> FetchReport:
    """Fetch the URLs, keep every new body in the WARC archive, record every attempt."""
    if not urls:
        return FetchReport(0, 0, 0, {})
    with open_archive(ctx.db_path) as conn:
        known = known_record_ids(conn, list(urls))
    attempts, records = asyncio.run(_fetch(ctx, urls, known))
    with open_archive(ctx.db_path) as conn:
        save_fetches(conn, ctx.run_id, attempts, records)
    failures = Counter(a.error for a in attempts if a.error)
    return FetchReport(
        attempted=len(attempts),
        fetched=sum(1 for a in attempts if not a.error),
        new_records=len(records),
        failures=dict(sorted(failures.items())),
    )


async def _fetch(
    ctx: RunContext, urls: Sequence[str], known: set[str]
) -> tuple[list[FetchAttempt], list[RawRecord]]:
    attempts: list[FetchAttempt] = []
    records: list[RawRecord] = []
    with WarcArchive(ctx.archive_dir, ctx.run_id) as archive:
        async with make_client(ctx.settings.fetch) as client:
            fetcher = Fetcher(client, ctx.policy(), ctx.resolver())

            def keep(result: Page | FetchAttempt) -> None:
                if not isinstance(result, Page):
                    attempts.append(result)
                    return
                attempt = result.attempt
                stored_url = attempt.final_url or attempt.url
                record_id = record_id_for(stored_url, hashlib.sha256(result.body).hexdigest())
                if record_id not in known:
                    record = archive.write_response(
                        stored_url,
                        attempt.status_code or 200,
                        result.headers,
                        result.body,
                        attempt.fetched_at,
                    )
                    records.append(record)
                    known.add(record_id)
                attempts.append(replace(attempt, record_id=record_id))

            await fetch_all(fetcher, urls, keep)
    return attempts, records


@dataclass(frozen=True, slots=True)
class IngestReport:
    responses: int
    new_records: int
    skipped: dict[str, int]


def ingest_warcs(ctx: RunContext, paths: Sequence[str]) -> IngestReport:
    """Copy the responses of existing WARC/ARC files into the archive, as if fetched."""
    from tasks import warc_input

    records: list[RawRecord] = []
    problems: list[DiscoveryProblem] = []
    responses = 0
    with open_archive(ctx.db_path) as conn:
        known = all_record_ids(conn)
    with WarcArchive(ctx.archive_dir, f"{ctx.run_id}-ingest") as archive:
        for path in paths:
            for item in warc_input.read_warc(
                path, max_payload_bytes=ctx.settings.fetch.max_body_bytes
            ):
                if not isinstance(item, warc_input.WarcResponse):
                    problems.append(DiscoveryProblem(item.source, item.reason, item.detail))
                    continue
                responses += 1
                record_id = record_id_for(item.url, hashlib.sha256(item.payload).hexdigest())
                if record_id in known:
                    continue
                known.add(record_id)
                records.append(
                    archive.write_response(
                        item.url,
                        item.status_code,
                        item.headers,
                        item.payload,
                        item.fetched_at,
                        "warc",
                    )
                )
    with open_archive(ctx.db_path) as conn:
        save_fetches(conn, ctx.run_id, [], records)
        save_problems(conn, ctx.run_id, problems)
    return IngestReport(
        responses=responses,
        new_records=len(records),
        skipped=dict(sorted(Counter(p.reason for p in problems).items())),
    )


@dataclass(frozen=True, slots=True)
class ExtractReport:
    extracted: int
    new_articles: int
    rejected: dict[str, int]


def extract_pending(ctx: RunContext) -> ExtractReport:
    """Extract every archived response not yet turned into an article or a rejection."""
    with open_archive(ctx.db_path) as conn:
        pending = pending_records(conn)
        before = count_articles(conn)
    results = []
    for record in pending:
        outcome: Extraction | Rejection
        try:
            body, stored_type = read_payload(
                record.warc_path, record.warc_offset, record.warc_length
            )
        except ParseError as exc:
            # A damaged archive file costs this record only; it stays on record as rejected.
            outcome = Rejection(record.record_id, record.url, exc.reason, exc.detail)
        else:
            outcome = extract_page(
                body,
                record.url,
                stored_type or record.content_type,
                ctx.settings.extract,
                record.record_id,
            )
        results.append((outcome, record.fetched_at))
    with open_archive(ctx.db_path) as conn:
        articles, _ = save_extractions(conn, results)
        after = count_articles(conn)
    rejected = Counter(r.reason for r, _ in results if isinstance(r, Rejection))
    return ExtractReport(
        extracted=articles,
        new_articles=after - before,
        rejected=dict(sorted(rejected.items())),
    )


@dataclass(frozen=True, slots=True)
class GroupReport:
    articles: int
    copies: int
    copy_groups: int
    stories: int
    new_stories: int


def group_articles(ctx: RunContext) -> GroupReport:
    """Find copies, pick origins, and group everything into stories with stable ids."""
    with open_archive(ctx.db_path) as conn:
        sketches = article_sketches(conn)
        previous_story, previous_group, story_age = previous_grouping(conn)
    links = find_copy_links(sketches, ctx.settings.dedupe)
    result = group_stories(
        sketches, links, ctx.settings.dedupe, previous_story, previous_group, story_age
    )
    with open_archive(ctx.db_path) as conn:
        save_grouping(conn, result, links)
    old_ids = set(previous_story.values())
    return GroupReport(
        articles=len(sketches),
        copies=sum(1 for g in result.groupings if not g.is_group_origin),
        copy_groups=sum(1 for c in result.copy_groups if c.member_count > 1),
        stories=len(result.stories),
        new_stories=sum(1 for s in result.stories if s.story_id not in old_ids),
    )
