"""The records that travel between pipeline steps, each defined once.

They are small and frozen. Steps pass keys (``record_id``, ``article_id``) between Prefect
tasks; the full records live in DuckDB and in the WARC archive.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from wirehouse.errors import WirehouseError


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
    """A feed, sitemap, URL list or WARC record that could not be used, and why."""

    source_url: str
    reason: str
    detail: str

    @classmethod
    def from_exception(cls, source_url: str, exc: BaseException) -> DiscoveryProblem:
        """A listing's failure, recorded instead of raised: wirehouse's own errors with their
        reason, anything else as ``internal_error`` (and logged with its traceback)."""
        if isinstance(exc, WirehouseError):
            return cls(source_url, exc.reason, exc.detail)
        logging.getLogger("wirehouse").exception("unexpected error reading %s", source_url)
        return cls(source_url, "internal_error", f"{type(exc).__name__}: {exc}"[:500])


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
    # Lines of the main text that were links to other pages, between its own lines, taken
    # out as teasers (a card's headline over its teaser): the archive may know their titles.
    inner_links: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Article:
    """An article as the archive keeps it: what extraction found, with its identity derived
    once, where the record is made (``tasks.articles.article_of``). One row of ``articles``
    (the grouping fills in the rest)."""

    article_id: str  # hash of the identity URL (www/AMP/tracking variants folded)
    url: str  # the identity URL: a same-site canonical, else where it was found
    canonical_url: str | None
    domain: str
    title: str | None
    author: str | None
    page_date: datetime | None
    published_day: date | None
    published_utc_offset_minutes: int | None
    modified_at: datetime | None
    date_source: str | None
    language: str | None
    sitename: str | None
    text: str
    text_sha256: str
    word_count: int
    boilerplate_ratio: float
    wire_marker: str | None
    record_id: str
    fetched_at: datetime
    inner_link_lines: tuple[str, ...] = ()  # Extraction.inner_links


@dataclass(frozen=True, slots=True)
class FurnitureLine:
    """A line found to be a site's furniture (tasks/site_furniture.py)."""

    domain: str
    line_key: int
    line: str | None  # as one of the site's pages wrote it
    pages: int  # the site's pages that carried it when it was found


@dataclass(frozen=True, slots=True)
class TitledText:
    """An article as the listed-titles pass reads it (tasks/listed_titles.py)."""

    article_id: str
    record_id: str
    url: str
    domain: str
    title: str | None
    text: str
    inner_links: tuple[str, ...] = ()  # articles.inner_link_lines


@dataclass(frozen=True, slots=True)
class CleanedText:
    """An article's text with its site's furniture (or other articles' titles) taken out."""

    article_id: str
    text: str
    text_sha256: str
    word_count: int


@dataclass(frozen=True, slots=True)
class Rejection:
    """A fetched page that yielded no article, and why."""

    record_id: str
    url: str
    reason: str  # "not_html", "empty", "too_deep", "too_short", "index_page", "not_article", ...
    detail: str
    page_kind: str | None = None  # what the page is instead: "listing", "product", ...

    @property
    def counted_as(self) -> str:
        """What a run's summary counts it under: for a page the site would not give
        ("unavailable"), its kind too, since a bot check is the user's to act on and a
        page not found is not."""
        if self.reason == "unavailable" and self.page_kind:
            return f"{self.reason} {self.page_kind}"
        return self.reason


@dataclass(frozen=True, slots=True)
class UnreadableRecord:
    """An archived response that could not be read back (its WARC file missing or damaged):
    a storage problem, reported and tried again later, never a verdict on the page."""

    record_id: str
    url: str
    reason: str  # "archive_missing", "archive_unreadable"
    detail: str


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
    # this run
    discovered: int = 0  # URLs found to fetch, and HTTP responses read from WARC files
    fetched: int = 0  # new bodies archived (pages fetched, WARC responses copied)
    not_modified: int = 0  # pages answered 304, or with a body already held
    new_articles: int = 0
    rejected: int = 0  # pages that are no article
    new_stories: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # by reason
    rejected_reasons: dict[str, int] = field(default_factory=dict)
    failure_examples: dict[str, str] = field(default_factory=dict)  # reason -> one URL
    warc_responses: int = 0  # HTTP responses read from WARC files
    warc_other_records: int = 0  # WARC records that are no page (requests, metadata)
    # the archive as a whole after the run
    copies_found: int = 0  # articles that are copies of another's text
    stories: int = 0
    articles: int = 0
    # URLs left for the next run, by host: its robots.txt asks for a pause between requests,
    # and they would not fit in the time a run gives it (not failures: nothing was asked)
    deferred: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """URLs, listings and WARC records of this run that failed."""
        return sum(self.failures.values())

    @property
    def answered(self) -> int:
        """Pages this run archived or found unchanged: what it could do."""
        return self.fetched + self.not_modified


@dataclass(frozen=True, slots=True)
class ArticleLink:
    """Why two articles were joined: kind is same_url, same_text or near_copy."""

    a: str
    b: str
    kind: str
    score: float


@dataclass(frozen=True, slots=True)
class Validators:
    """What the last fetch of a URL said about its version, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """The conditional request's headers: those a request can carry (a server's
        non-ASCII ETag is not sent back, else the page could never be fetched again)."""
        out = {}
        if self.etag and self.etag.isascii():
            out["If-None-Match"] = self.etag
        if self.last_modified and self.last_modified.isascii():
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True, slots=True)
class RobotsAnswer:
    """What an origin answered for /robots.txt (kept per run, so it is fetched once)."""

    status_code: int | None
    body: bytes | None
    error: str  # the fetch's reason code when there is no answer ("" when there is one)


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


@dataclass(frozen=True, slots=True)
class GroupingTotals:
    """What the archive holds after a grouping."""

    articles: int
    copies: int
    copy_groups: int
    stories: int


@dataclass(frozen=True, slots=True)
class StoredStory:
    """A stored story that may share a story line with the stories a run regrouped."""

    story_id: str
    title: str | None
    first_published_at: datetime | None
    article_count: int
    storyline_id: str | None
    storyline_created_at: datetime | None
    texts: int


@dataclass(frozen=True, slots=True)
class StoryForLine:
    """What grouping stories into lines reads of a story."""

    story_id: str
    title: str | None
    first_published_at: datetime | None
    article_count: int
    vector: StoryVector


@dataclass(frozen=True, slots=True)
class StorylineRecord:
    """One row of the ``storylines`` table."""

    storyline_id: str
    title: str | None  # the title of its biggest story
    first_published_at: datetime | None
    last_published_at: datetime | None
    story_count: int
    article_count: int
    lead_story_id: str


@dataclass(frozen=True, slots=True)
class StorylineResult:
    """The story line of every story given, and the lines' records."""

    line_of_story: dict[str, str]
    storylines: list[StorylineRecord]


@dataclass(frozen=True, slots=True)
class StoryRecord:
    """One row of the ``stories`` table."""

    story_id: str
    title: str | None
    first_published_at: datetime | None
    article_count: int
    domain_count: int
    lead_article_id: str


@dataclass(frozen=True, slots=True)
class StoryVector:
    """What a story is about: the mean of its texts' unit tf-idf vectors (strongest terms),
    so that the dot product of two story vectors is the average cosine of their texts."""

    story_id: str
    texts: int  # copy groups it holds: its weight when stories are grouped further
    terms: dict[str, float]


@dataclass(frozen=True, slots=True)
class PreviousGrouping:
    """The ids articles had before this grouping, so that ids can be kept."""

    story: Mapping[str, str]  # article -> story id
    group: Mapping[str, str]  # article -> copy group id
    story_age: Mapping[str, tuple[object, ...]]  # story id -> when it was first given


NO_PREVIOUS = PreviousGrouping({}, {}, {})


@dataclass(frozen=True, slots=True)
class CopyGroupRecord:
    """One row of the ``copy_groups`` table."""

    copy_group_id: str
    origin_article_id: str
    member_count: int
    story_id: str


@dataclass(frozen=True, slots=True)
class StoryResult:
    """Everything the grouping stage decided."""

    groupings: list[Grouping]
    copy_groups: list[CopyGroupRecord]
    stories: list[StoryRecord]
    story_vectors: list[StoryVector]
    story_links: list[ArticleLink]  # same_story and rewrite decisions, origin to origin
    merges: list[tuple[str, str]]  # (older story id merged away, story id kept)
    domain_scores: list[DomainScore]


@dataclass(frozen=True, slots=True)
class TermCounts:
    """The document frequencies of tf-idf: how many texts were counted, and how many of
    them hold each term."""

    texts: int
    holding: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class DomainScore:
    """How much of a domain's output is other outlets' texts: one row of ``domain_scores``."""

    domain: str
    articles: int
    copies_of_others: int  # its articles that copy a text first published by another domain
    copy_share: float
    avg_boilerplate: float  # how much of its pages is not the article, on average
    is_aggregator: bool
