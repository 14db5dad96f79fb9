"""Reading and writing the archive's tables; every statement is a named file in sql/queries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from tasks.dedupe import ArticleLink, text_sha256
from tasks.extract import count_words
from tasks.fetch import Validators
from tasks.polite import RobotsAnswer
from tasks.stories import StoryResult
from tasks.urls import article_id, domain_of, identity_url, normalize_url
from wirehouse.db import insert_many, query, transaction
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


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """An archived response that still has to be extracted."""

    record_id: str
    url: str
    warc_path: str
    warc_offset: int
    warc_length: int
    content_type: str | None
    fetched_at: datetime


def start_run(conn: duckdb.DuckDBPyConnection, run_id: str, parameters: dict[str, object]) -> None:
    conn.execute(
        query("insert_run"), [run_id, datetime.now(UTC), json.dumps(parameters, default=str)]
    )


def finish_run(conn: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
    payload = {k: getattr(summary, k) for k in summary.__dataclass_fields__}
    conn.execute(query("finish_run"), [datetime.now(UTC), json.dumps(payload), summary.run_id])


def save_fetches(
    conn: duckdb.DuckDBPyConnection,
    run_id: str,
    attempts: Sequence[FetchAttempt],
    records: Sequence[RawRecord],
    *,
    in_transaction: bool = False,
) -> None:
    """Record fetch attempts and the raw records they produced, in one transaction (the
    caller's, when ``in_transaction``)."""
    with nullcontext(conn) if in_transaction else transaction(conn):
        insert_many(
            conn,
            "insert_raw_record",
            [
                (
                    r.record_id,
                    r.url,
                    r.warc_path,
                    r.warc_offset,
                    r.warc_length,
                    r.payload_sha256,
                    r.status_code,
                    r.content_type,
                    r.fetched_at,
                    r.origin,
                )
                for r in records
            ],
        )
        insert_many(
            conn,
            "insert_fetch",
            [
                (
                    run_id,
                    a.url,
                    a.fetched_at,
                    a.final_url,
                    a.status_code,
                    a.error,
                    a.detail,
                    list(a.redirects),
                    a.content_type,
                    a.record_id,
                    a.elapsed_ms,
                    a.etag,
                    a.last_modified,
                    a.attempt,
                    a.retry_after_s,
                )
                for a in attempts
            ],
        )


def save_problems(
    conn: duckdb.DuckDBPyConnection, run_id: str, problems: Sequence[DiscoveryProblem]
) -> None:
    now = datetime.now(UTC)
    insert_many(
        conn,
        "insert_discovery_problem",
        [(run_id, p.source_url, p.reason, p.detail, now) for p in problems],
    )


def save_link_hints(conn: duckdb.DuckDBPyConnection, links: Sequence[Link]) -> None:
    """What feeds and sitemaps said about the URLs they listed (title, date), kept as hints."""
    insert_many(
        conn,
        "upsert_link_hint",
        [
            (normalize_url(link.url), link.source, link.source_url, link.title, link.published_at)
            for link in links
            if link.title or link.published_at
        ],
    )


def known_record_ids(conn: duckdb.DuckDBPyConnection, urls: Sequence[str]) -> set[str]:
    if not urls:
        return set()
    return {row[0] for row in conn.execute(query("known_record_ids"), [list(urls)]).fetchall()}


def latest_validators(
    conn: duckdb.DuckDBPyConnection, urls: Sequence[str]
) -> dict[str, Validators]:
    """Validators of each URL's last good fetch, for conditional requests."""
    if not urls:
        return {}
    rows = conn.execute(query("latest_validators"), [list(urls)]).fetchall()
    return {url: Validators(etag, last_modified) for url, etag, last_modified in rows}


def robots_answers(conn: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, RobotsAnswer]:
    rows = conn.execute(query("robots_answers"), [run_id]).fetchall()
    return {
        origin: RobotsAnswer(status, body, reason or "") for origin, status, body, reason in rows
    }


def save_robots_answers(
    conn: duckdb.DuckDBPyConnection, run_id: str, answers: dict[str, RobotsAnswer]
) -> None:
    insert_many(
        conn,
        "upsert_robots_answer",
        [(run_id, o, a.status_code, a.body, a.error) for o, a in sorted(answers.items())],
    )


def all_record_ids(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in conn.execute(query("all_record_ids")).fetchall()}


def count_articles(conn: duckdb.DuckDBPyConnection) -> int:
    row = conn.execute(query("count_articles")).fetchone()
    return int(row[0]) if row else 0


def pending_records(conn: duckdb.DuckDBPyConnection) -> list[PendingRecord]:
    return [PendingRecord(*row) for row in conn.execute(query("pending_records")).fetchall()]


def save_extractions(
    conn: duckdb.DuckDBPyConnection,
    results: Sequence[tuple[Extraction | Rejection, datetime]],
) -> tuple[int, int]:
    """Upsert articles and rejections; returns (articles, rejections) written."""
    now = datetime.now(UTC)
    articles = []
    rejections = []
    for result, fetched_at in results:
        if isinstance(result, Rejection):
            rejections.append((result.record_id, result.url, result.reason, result.detail, now))
            continue
        identity = identity_url(result.url, result.canonical_url)
        articles.append(
            (
                article_id(identity),
                result.url,
                result.canonical_url,
                domain_of(result.url),
                result.title,
                result.author,
                result.page_date,
                result.page_date,
                result.language,
                result.sitename,
                result.text,
                text_sha256(result.text),
                count_words(result.text),
                result.boilerplate_ratio,
                result.wire_marker,
                result.record_id,
                fetched_at,
                fetched_at,
                now,
            )
        )
    with transaction(conn):
        insert_many(conn, "upsert_article", articles)
        insert_many(conn, "upsert_rejection", rejections)
    return len(articles), len(rejections)


def article_sketches(conn: duckdb.DuckDBPyConnection) -> list[ArticleSketch]:
    return [ArticleSketch(*row) for row in conn.execute(query("article_sketches")).fetchall()]


def previous_grouping(
    conn: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, str], dict[str, str], dict[str, tuple[object, ...]]]:
    """(article -> story id, article -> copy group id, story id -> age key)."""
    story: dict[str, str] = {}
    group: dict[str, str] = {}
    age: dict[str, tuple[object, ...]] = {}
    for article, story_id, group_id, created_at in conn.execute(
        query("previous_grouping")
    ).fetchall():
        story[article] = story_id
        if group_id:
            group[article] = group_id
        if created_at is not None:
            age[story_id] = (created_at,)
    return story, group, age


def save_grouping(
    conn: duckdb.DuckDBPyConnection, result: StoryResult, links: Sequence[ArticleLink]
) -> None:
    """Replace copy groups, stories and links with the newly computed ones, atomically."""
    now = datetime.now(UTC)
    with transaction(conn):
        insert_many(
            conn,
            "update_grouping",
            [
                (
                    g.copy_group_id,
                    g.story_id,
                    g.is_group_origin,
                    g.published_at,
                    g.republished_at,
                    g.article_id,
                )
                for g in result.groupings
            ],
        )
        conn.execute(query("clear_grouping"))
        insert_many(
            conn,
            "insert_copy_group",
            [
                (c.copy_group_id, c.origin_article_id, c.member_count, c.story_id)
                for c in result.copy_groups
            ],
        )
        keep = [s.story_id for s in result.stories]
        conn.execute(query("delete_stale_stories"), [keep])
        insert_many(
            conn,
            "upsert_story",
            [
                (
                    s.story_id,
                    s.title,
                    s.first_published_at,
                    s.article_count,
                    s.domain_count,
                    s.lead_article_id,
                    now,
                    now,
                )
                for s in result.stories
            ],
        )
        insert_many(
            conn, "insert_article_link", [(link.a, link.b, link.kind, link.score) for link in links]
        )
