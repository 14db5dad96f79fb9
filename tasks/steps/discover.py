"""The discover step: every URL to fetch, from the given URLs, URL files, feeds and
sitemaps; every listing that fails, and everything a cap drops, is a problem row."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar
from urllib.parse import urlsplit

import duckdb

from tasks import progress
from tasks.fetch import ANY_TYPE, FEED_TYPES, Fetcher, make_client
from tasks.listings import parse_feed, parse_sitemap, sitemaps_from_robots
from tasks.polite import PoliteFetcher, host_budget, hosts_over
from tasks.raw_archive import unindexed_files
from tasks.reports import DiscoveryReport
from tasks.run_context import RunContext, Sources, read_url_file
from tasks.store import (
    archived_warc_paths,
    last_fetched,
    save_fetches,
    save_link_hints,
    save_problems,
    save_robots_answers,
)
from tasks.urls import domain_of, is_rendering, normalize_url, url_key
from wirehouse.db import transaction
from wirehouse.records import (
    DiscoveryProblem,
    FetchAttempt,
    Link,
    RobotsAnswer,
)

logger = logging.getLogger("wirehouse.discover")
Parsed = TypeVar("Parsed")


def discover(ctx: RunContext, sources: Sources) -> DiscoveryReport:
    """Every URL to fetch: given URLs, the URL file, and what feeds and sitemaps list
    (a sitemap URL ending in /robots.txt reads the sitemaps its Sitemap lines name).
    Archive files that no row points at, and that no stopped run of the archive wrote (the
    run indexes those first), are reported as problems."""
    links, attempts, problems, robots = find_links(ctx, sources)
    links = [link for link in links if ctx.owns(link.url)]
    urls = one_per_page(links)
    given = frozenset(link.url for link in links if link.source in _GIVEN)
    with ctx.open() as conn:
        urls = _within_budget(conn, ctx.settings.fetch.max_pages_per_host, urls, given, problems)
        # Beside other shards the archive folder holds files they have not recorded yet:
        # the maintenance flow looks for unindexed files then.
        recorded = [] if ctx.shard else archived_warc_paths(conn)
        unindexed = [] if ctx.shard else unindexed_files(ctx.archive_dir, recorded)
        problems.extend(
            DiscoveryProblem(
                str(path),
                "unindexed_archive_file",
                "no row points at this archive file, and no stopped run of this archive "
                "wrote it: is the folder shared with another archive? Give each archive "
                "its own (--archive), or run the maintenance flow to take its pages in",
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
            "%d archive files in %s were written by no stopped run of this archive "
            "(another archive's, sharing the folder?): see discovery_problems",
            len(unindexed),
            ctx.archive_dir,
        )
    progress.count("discovered", len(urls))
    reasons = dict(sorted(Counter(problem.reason for problem in problems).items()))
    return DiscoveryReport(
        urls=urls,
        problems=len(problems),
        unindexed_files=len(unindexed),
        reasons=reasons,
        given=given & set(urls),
    )


def _within_budget(
    conn: duckdb.DuckDBPyConnection,
    limit: int,
    urls: list[str],
    given: frozenset[str],
    problems: list[DiscoveryProblem],
) -> list[str]:
    """``urls`` less what listings ask of a host past ``max_pages_per_host`` (a problem row
    says how many wait, and for which host); the ``given`` URLs are all kept."""
    over = hosts_over(urls, limit, given)
    if not over:
        return urls
    fetched = last_fetched(conn, [url for listed in over.values() for url in listed])
    kept, hosts = host_budget(urls, limit, fetched, given, over)
    problems.extend(
        DiscoveryProblem(
            host.origin,
            "over_host_budget",
            f"{host.listed - host.kept:,} of the {host.listed:,} pages listed on {host.host} "
            f"left for the next runs, which fetch those never fetched first "
            f"(WIREHOUSE_MAX_PAGES_PER_HOST={limit})",
        )
        for host in hosts
    )
    return kept


_GIVEN = frozenset({"url", "urls-file"})  # the user's own URLs: all fetched


def one_per_page(links: Sequence[Link]) -> list[str]:
    """The URLs to fetch: one per page. The URLs of one page (tracking parameters, www.,
    m. and AMP variants, http and https; a feed listed one page 2,000 times as
    ?utm_source=N, each fetched and archived) are fetched once: as the first of them given
    or listed by the page's own site, else as the first listed elsewhere; the page's own
    address before its m. or AMP rendering. Another site's feed naming a dead m. or AMP
    variant of a page cannot stop the page being fetched."""
    chosen: dict[str, Link] = {}
    for link in links:
        key = url_key(link.url)
        held = chosen.get(key)
        if held is None or _preference(link) < _preference(held):
            chosen[key] = link  # a key keeps its first place in the order
    return [link.url for link in chosen.values()]


def _preference(link: Link) -> tuple[bool, bool]:
    """Which of one page's URLs to fetch (lower first): listed by its own site, then its
    own address rather than its m. or AMP rendering (whose text may be cut down)."""
    return (not _own_listing(link), is_rendering(link.url))


def _own_listing(link: Link) -> bool:
    """Given by the user, or listed by a feed or sitemap of the page's own site."""
    return link.source_url is None or domain_of(link.source_url) == domain_of(link.url)


def find_links(
    ctx: RunContext, sources: Sources
) -> tuple[list[Link], list[FetchAttempt], list[DiscoveryProblem], dict[str, RobotsAnswer]]:
    """The links the sources list (feeds and sitemaps read, no page fetched, nothing
    stored), every URL normalised once, here: what is stored, fetched and keyed from now
    on; with the attempts, problems and robots.txt answers met on the way."""
    links = [Link(u, "url") for u in sources.urls]
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
    links = [replace(link, url=normalize_url(link.url)) for link in links]
    return links, attempts, problems, robots


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

    # Listings are parsed in a thread, one at a time: a sitemap of a million URLs takes
    # 20 s and most of a GB to parse, and on the event loop it stalled every fetch in
    # flight past its total timeout (other feeds and sitemaps lost, their hosts paused).
    parsing = asyncio.Semaphore(1)

    async def parsed(parse: Callable[..., Parsed], *args: object) -> Parsed:
        async with parsing:
            return await asyncio.to_thread(parse, *args)

    async with make_client(settings) as client:
        polite = PoliteFetcher(Fetcher(client, ctx.policy(), ctx.resolver()), settings)

        async def read(url: str) -> bytes | None:
            # robots.txt itself is never subject to robots rules
            is_robots = urlsplit(url).path.endswith("/robots.txt")
            # (listings are few, and what a run fetches: a host's time budget is its pages')
            page, tried = await polite.get(
                url,
                ANY_TYPE if is_robots else FEED_TYPES,
                obey_robots=False if is_robots else None,
                budgeted=False,
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
                    found = await parsed(parse_feed, body, url, settings.max_feed_bytes)
                    links.extend(capped(url, found))
            except Exception as exc:
                problems.append(DiscoveryProblem.from_exception(url, exc))

        scheduled = {normalize_url(url) for url in sitemaps}
        budget = [settings.max_sitemaps - len(scheduled)]  # sitemaps that may still be read
        # A site that answers every query of one sitemap with the same file ("?page=1",
        # "?page=2", ... listed in its index) had that file parsed again for each. A body
        # is one listing at one address less its query: at another address (another site's
        # robots.txt or sitemap.xml of the same bytes), its relative links lead elsewhere.
        bodies_read: set[tuple[bytes, str]] = set()

        async def sitemap(url: str, depth: int) -> None:
            try:
                body = await read(url)
                if body is None:
                    return
                read_as = (hashlib.sha256(body).digest(), url.split("?", 1)[0].split("#", 1)[0])
                if read_as in bodies_read:
                    return
                bodies_read.add(read_as)
                if urlsplit(url).path.endswith("/robots.txt"):
                    pages: list[Link] = []
                    children = await parsed(sitemaps_from_robots, body, url)
                else:
                    pages, children = await parsed(
                        parse_sitemap, body, url, settings.max_feed_bytes
                    )
            except Exception as exc:
                problems.append(DiscoveryProblem.from_exception(url, exc))
                return
            links.extend(capped(url, pages))
            # Compared as fetched: a sitemap that lists itself as "sitemap.xml#1", "#2", ...
            # (or with its host in capitals, or its default port) is read once, not once each.
            children = [
                child
                for child in dict.fromkeys(normalize_url(child) for child in children)
                if child not in scheduled
            ]
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
