"""The records that travel between pipeline steps, each defined once.

They are small and frozen. Steps pass keys (``record_id``, ``article_id``) between Prefect
tasks; the full records live in DuckDB and in the WARC archive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Link:
    """A URL to fetch, with what the place that listed it said about it."""

    url: str
    source: str  # "url", "urls-file", "feed", "sitemap", "robots"
    source_url: str | None = None  # the feed or sitemap that listed it
    title: str | None = None  # feed item title, a hint only
    published_at: datetime | None = None  # feed or news-sitemap date, a hint only


@dataclass(frozen=True, slots=True)
class DiscoveryProblem:
    """A feed, sitemap or URL list that could not be read, and why."""

    source_url: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class RawRecord:
    """A response body kept in the WARC archive: where it is and what it was."""

    record_id: str  # sha256 of url + payload: the same body at the same URL is stored once
    url: str
    warc_path: str
    warc_offset: int
    warc_length: int
    payload_sha256: str
    status_code: int
    content_type: str | None
    fetched_at: datetime
    origin: str  # "fetch" or "warc"


@dataclass(frozen=True, slots=True)
class FetchAttempt:
    """One attempt to fetch one URL: a row of the ``fetches`` table."""

    url: str
    fetched_at: datetime
    final_url: str | None = None
    status_code: int | None = None
    error: str | None = None  # a reason code from wirehouse.errors, None on success
    detail: str | None = None
    redirects: tuple[str, ...] = ()
    content_type: str | None = None
    record_id: str | None = None
    elapsed_ms: int = 0
    etag: str | None = None
    last_modified: str | None = None
    retryable: bool = False  # the error is one a later attempt may not meet
    retry_after_s: float | None = None  # what the server asked for (Retry-After)
    attempt: int = 1  # 1 for the first try of a URL, 2 for its first retry, ...


@dataclass(frozen=True, slots=True)
class Extraction:
    """What extraction found in one page: the article text and its metadata."""

    record_id: str
    url: str
    canonical_url: str | None
    title: str | None
    author: str | None
    page_date: datetime | None  # the date the page claims; may be a republish date
    sitename: str | None
    language: str | None
    text: str
    boilerplate_ratio: float  # share of the page's visible text that is not the article
    wire_marker: str | None = None  # "AP", "Reuters", ... when the text carries a wire dateline
    published_day: date | None = None  # the publisher's calendar day (its own offset, not UTC)
    utc_offset_minutes: int | None = None  # the offset the page wrote its date in, if any
    modified_at: datetime | None = None  # the date the page says it was last updated
    date_source: str | None = None  # where page_date was read: "json-ld", "meta", "url", ...


@dataclass(frozen=True, slots=True)
class Rejection:
    """A fetched page that yielded no article, and why."""

    record_id: str
    url: str
    reason: str  # "not_html", "empty", "too_short", "index_page", "not_article", ...
    detail: str
    page_kind: str | None = None  # what the page is instead: "listing", "product", ...


@dataclass(frozen=True, slots=True)
class ArticleSketch:
    """The part of a stored article that dedupe and clustering read."""

    article_id: str
    url: str
    canonical_url: str | None
    domain: str
    title: str | None
    page_date: datetime | None
    text: str
    text_sha256: str
    word_count: int
    boilerplate_ratio: float
    wire_marker: str | None
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class Grouping:
    """Dedupe and clustering decisions for one article."""

    article_id: str
    copy_group_id: str
    story_id: str
    is_group_origin: bool
    published_at: datetime | None  # page_date unless it was found to be a republish date
    republished_at: datetime | None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What one archive run did, as printed by the CLI and kept in ``runs``."""

    run_id: str
    discovered: int = 0
    fetched: int = 0
    not_modified: int = 0
    new_articles: int = 0
    rejected: int = 0
    copies_found: int = 0
    stories: int = 0
    new_stories: int = 0
    failures: dict[str, int] = field(default_factory=dict)
