"""The archive pipeline's steps as plain functions: discover, fetch, ingest, extract, group.

Each step opens the archive for one short transaction, does its batch of work, and returns
a small report; bodies travel through the WARC archive, never between steps. ``flows/``
wraps these in Prefect tasks; tests call them directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import secrets
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

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
from tasks.raw_archive import WarcArchive, read_payload, record_id_for
from tasks.search_index import refresh_search_index
from tasks.store import (
    TEXTS_COUNTED,
    PendingRecord,
    StoredStory,
    all_record_ids,
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
from wirehouse.errors import InputError, ParseError
from wirehouse.records import (
    ArticleSketch,
    DiscoveryProblem,
    Extraction,
    FetchAttempt,
    Link,
    RawRecord,
    Rejection,
    RunSummary,
)
from wirehouse.settings import DedupeSettings, ExtractSettings, Settings

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
    """Every URL to fetch: given URLs, the URL file, and what feeds and sitemaps list
    (a sitemap URL ending in /robots.txt reads the sitemaps its Sitemap lines name)."""
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
    with open_archive(ctx.db_path) as conn, transaction(conn):
        save_fetches(conn, ctx.run_id, attempts, [], in_transaction=True)
        save_problems(conn, ctx.run_id, problems)
        save_robots_answers(conn, ctx.run_id, robots)
        save_link_hints(conn, links)
    urls = list(dict.fromkeys(normalize_url(link.url) for link in links))
    return DiscoveryReport(urls=urls, problems=len(problems))


async def _read_listings(
    ctx: RunContext, feeds: Sequence[str], sitemaps: Sequence[str]
) -> tuple[list[Link], list[FetchAttempt], list[DiscoveryProblem], dict[str, RobotsAnswer]]:
    links: list[Link] = []
    attempts: list[FetchAttempt] = []
    problems: list[DiscoveryProblem] = []
    async with make_client(ctx.settings.fetch) as client:
        polite = PoliteFetcher(Fetcher(client, ctx.policy(), ctx.resolver()), ctx.settings.fetch)

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
                if urlsplit(url).path.endswith("/robots.txt"):
                    pages: list[Link] = []
                    children = sitemaps_from_robots(body, url)
                else:
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


def fetch_and_archive(ctx: RunContext, urls: Sequence[str]) -> FetchReport:
    """Fetch the URLs politely, keep every new body in the WARC archive, record every attempt.

    A URL whose last fetch left an ETag or Last-Modified is asked conditionally; a 304, or a
    200 whose body we already hold, adds nothing to extract."""
    if not urls:
        return FetchReport(0, 0, 0, 0, 0, {})
    with open_archive(ctx.db_path) as conn:
        known = known_record_ids(conn, list(urls))
        validators = latest_validators(conn, list(urls))
        robots = robots_answers(conn, ctx.run_id)
    outcome = asyncio.run(_fetch(ctx, urls, known, validators, robots))
    with open_archive(ctx.db_path) as conn, transaction(conn):
        save_fetches(conn, ctx.run_id, outcome.attempts, outcome.records, in_transaction=True)
        save_robots_answers(conn, ctx.run_id, outcome.robots)
    return outcome.report


@dataclass
class _FetchOutcome:
    attempts: list[FetchAttempt] = field(default_factory=list)
    records: list[RawRecord] = field(default_factory=list)
    robots: dict[str, RobotsAnswer] = field(default_factory=dict)
    fetched: int = 0
    not_modified: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def report(self) -> FetchReport:
        tried = sum(
            1 for a in self.attempts if a.attempt == 1 and not a.url.endswith("/robots.txt")
        )
        return FetchReport(
            attempted=tried,
            fetched=self.fetched,
            not_modified=self.not_modified,
            new_records=len(self.records),
            retries=sum(1 for a in self.attempts if a.attempt > 1),
            failures=dict(sorted(self.failures.items())),
        )


async def _fetch(
    ctx: RunContext,
    urls: Sequence[str],
    known: set[str],
    validators: dict[str, Validators],
    robots: dict[str, RobotsAnswer],
) -> _FetchOutcome:
    out = _FetchOutcome()
    with WarcArchive(ctx.archive_dir, ctx.run_id) as archive:
        async with make_client(ctx.settings.fetch) as client:
            fetcher = Fetcher(client, ctx.policy(), ctx.resolver())
            polite = PoliteFetcher(fetcher, ctx.settings.fetch, robots_seen=robots)

            async def one(url: str) -> None:
                page, tried = await polite.get(url, validators=validators.get(url))
                last = tried[-1]
                if page is None:
                    out.attempts.extend(tried)
                    if last.error:
                        out.failures[last.error] += 1
                    else:
                        out.not_modified += 1  # 304
                    return
                stored_url = last.final_url or last.url
                record_id = record_id_for(stored_url, hashlib.sha256(page.body).hexdigest())
                if record_id in known:
                    out.not_modified += 1  # the same body again: nothing to extract
                else:
                    known.add(record_id)
                    record = archive.write_response(
                        stored_url, last.status_code or 200, page.headers, page.body,
                        last.fetched_at,
                    )  # fmt: skip
                    out.records.append(record)
                    out.fetched += 1
                out.attempts.extend([*tried[:-1], replace(last, record_id=record_id)])

            # A bounded set of hosts at a time, each with its few requests in flight: the
            # in-flight requests then stay within a few hosts' kept-alive connections instead
            # of rotating over every host and churning the connection pool.
            by_host: dict[str, list[str]] = {}
            for url in dict.fromkeys(urls):
                by_host.setdefault(urlsplit(url).netloc, []).append(url)
            settings = ctx.settings.fetch
            active = asyncio.Semaphore(
                max(1, settings.max_concurrency // settings.per_host_concurrency)
            )

            async def host(host_urls: list[str]) -> None:
                async with active:
                    await asyncio.gather(*(one(url) for url in host_urls))

            await asyncio.gather(*(host(group) for _, group in sorted(by_host.items())))
            out.attempts.extend(polite.robots_attempts)
            out.robots = polite.robots_answers
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
    damaged records are skipped with their reason, the rest of the file goes on."""

    records: list[RawRecord] = []
    problems: list[DiscoveryProblem] = []
    responses = other_records = 0
    with open_archive(ctx.db_path) as conn:
        known = all_record_ids(conn)
    with WarcArchive(ctx.archive_dir, f"{ctx.run_id}-ingest") as archive:
        for path in paths:
            for item in read_warc(path, max_payload_bytes=ctx.settings.fetch.max_body_bytes):
                if not isinstance(item, WarcResponse):
                    if item.reason in _NOT_PAGES:
                        other_records += 1
                    else:
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
        other_records=other_records,
        skipped=dict(sorted(Counter(p.reason for p in problems).items())),
    )


@dataclass(frozen=True, slots=True)
class ExtractReport:
    extracted: int
    new_articles: int
    rejected: dict[str, int]


EXTRACT_BATCH = 500  # records per load transaction: bounded memory, short write locks
PARALLEL_FROM = 64  # below this many pending records, worker start-up costs more than it saves


def extract_record(record: PendingRecord, settings: ExtractSettings) -> Extraction | Rejection:
    """Read one archived response back and extract it (runs in a worker process)."""
    try:
        body, stored_type = read_payload(record.warc_path, record.warc_offset, record.warc_length)
    except ParseError as exc:
        # A damaged archive file costs this record only; it stays on record as rejected.
        return Rejection(record.record_id, record.url, exc.reason, exc.detail)
    return extract_page(
        body, record.url, stored_type or record.content_type, settings, record.record_id
    )


def extract_in_batches(
    records: Sequence[PendingRecord], settings: ExtractSettings, workers: int | None = None
) -> Iterator[list[tuple[PendingRecord, Extraction | Rejection]]]:
    """Extract records batch by batch. Extraction is CPU-bound, so large jobs run in a
    bounded pool of worker processes (default one per core); records, not bodies, are
    sent to the workers."""
    workers = workers or os.cpu_count() or 1
    pool = None
    if workers > 1 and len(records) >= PARALLEL_FROM:
        # spawn, not fork: the parent may hold threads (Prefect's) that fork would copy badly.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
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


def extract_pending(ctx: RunContext, workers: int | None = None) -> ExtractReport:
    """Extract every archived response not yet turned into an article or a rejection."""
    with open_archive(ctx.db_path) as conn:
        pending = pending_records(conn)
        before = count_articles(conn)
    rejected: Counter[str] = Counter()
    extracted = 0
    for batch in extract_in_batches(pending, ctx.settings.extract, workers):
        rejected.update(o.reason for _, o in batch if isinstance(o, Rejection))
        with open_archive(ctx.db_path) as conn:
            written, _ = save_extractions(conn, [(o, r.fetched_at) for r, o in batch])
        extracted += written
    with open_archive(ctx.db_path) as conn:
        after = count_articles(conn)
    return ExtractReport(
        extracted=extracted,
        new_articles=after - before,
        rejected=dict(sorted(rejected.items())),
    )


@dataclass(frozen=True, slots=True)
class ReextractReport:
    records: int  # archived responses read again
    unchanged: int
    changed: int  # articles whose text changed
    new_articles: int  # pages rejected before, articles now
    now_rejected: int  # articles before, rejected now
    rejected_reasons: dict[str, int]


def reextract(ctx: RunContext, workers: int | None = None) -> ReextractReport:
    """Extract every archived response again (after a trafilatura upgrade, say) and keep
    what changed: new texts, pages that became articles, articles that became rejections."""
    with open_archive(ctx.db_path) as conn:
        state = extraction_state(conn)
    records = [record for record, _, _ in state]
    before = {
        record.record_id: (article_sha, rejection) for record, article_sha, rejection in state
    }
    unchanged = changed = new_articles = now_rejected = 0
    reasons: Counter[str] = Counter()
    for batch in extract_in_batches(records, ctx.settings.extract, workers):
        keep: list[tuple[Extraction | Rejection, datetime]] = []
        for record, outcome in batch:
            article_sha, rejection = before[record.record_id]
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
            with open_archive(ctx.db_path) as conn:
                save_reextractions(conn, keep)
    return ReextractReport(
        records=len(records),
        unchanged=unchanged,
        changed=changed,
        new_articles=new_articles,
        now_rejected=now_rejected,
        rejected_reasons=dict(sorted(reasons.items())),
    )


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
    with open_archive(ctx.db_path) as conn:
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
    with open_archive(ctx.db_path) as conn:
        missing = unsketched_articles(conn)
    _store_minhash_keys(ctx, missing, minhash_keys_of)
    with open_archive(ctx.db_path) as conn:
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
    with open_archive(ctx.db_path) as conn:
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
    with open_archive(ctx.db_path) as conn:
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
    with open_archive(ctx.db_path) as conn:
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
        with open_archive(ctx.db_path) as conn:
            sketches = article_sketches(conn, article_ids[start : start + GROUPING_CHUNK])
        keys = {sketch.article_id: keys_of(sketch) for sketch in sketches}
        with open_archive(ctx.db_path) as conn:
            replace_fingerprints(conn, keys)


def mark_all_for_regrouping(ctx: RunContext) -> int:
    """Have the next grouping regroup the whole archive from scratch (after the dedupe
    settings changed, say). Ids are kept where clusters still hold their articles, but
    nothing is held together: a story the new settings split gets a new id for its
    younger part. Returns the number of articles marked."""
    with open_archive(ctx.db_path) as conn, transaction(conn):
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
    with open_archive(ctx.db_path) as conn:
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
    with open_archive(ctx.db_path) as conn:
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
