"""Articles from extractions: where an article's identity is derived, once.

The identity URL (a same-site canonical, else the URL it was found at, without tracking
parameters), the article id, the domain, the text's hash and its word count are all worked
out here, when the ``Article`` record is made; the store only writes records.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb

from tasks.dedupe import text_sha256
from tasks.store import save_articles
from tasks.text import count_words
from tasks.urls import domain_of, identity
from wirehouse.records import Article, CleanedText, Extraction, Rejection


def article_of(extraction: Extraction, fetched_at: datetime) -> Article:
    """The archive's article for what extraction found in a page fetched at ``fetched_at``."""
    url, article_id = identity(extraction.url, extraction.canonical_url)
    return Article(
        article_id=article_id,
        url=url,
        canonical_url=extraction.canonical_url,
        domain=domain_of(extraction.url),
        title=extraction.title,
        author=extraction.author,
        page_date=extraction.page_date,
        published_day=extraction.published_day,
        published_utc_offset_minutes=extraction.utc_offset_minutes,
        modified_at=extraction.modified_at,
        date_source=extraction.date_source,
        language=extraction.language,
        sitename=extraction.sitename,
        text=extraction.text,
        text_sha256=text_sha256(extraction.text),
        word_count=count_words(extraction.text),
        boilerplate_ratio=extraction.boilerplate_ratio,
        wire_marker=extraction.wire_marker,
        record_id=extraction.record_id,
        fetched_at=fetched_at,
        inner_link_lines=extraction.inner_links,
    )


def cleaned_article_text(article_id: str, text: str) -> CleanedText:
    """An article's text after a site pass took lines out of it, with its hash and word
    count worked out as for every article."""
    return CleanedText(article_id, text, text_sha256(text), count_words(text))


def outcomes(
    results: Sequence[tuple[Extraction | Rejection, datetime]],
) -> tuple[list[Article], list[Rejection]]:
    """Extraction results as the records the store writes."""
    articles = [article_of(r, at) for r, at in results if isinstance(r, Extraction)]
    return articles, [r for r, _ in results if isinstance(r, Rejection)]


def save_extractions(
    conn: duckdb.DuckDBPyConnection,
    results: Sequence[tuple[Extraction | Rejection, datetime]],
    *,
    in_transaction: bool = False,
) -> tuple[int, int]:
    """Make the records of extraction results and write them; (articles, rejections)."""
    articles, rejections = outcomes(results)
    return save_articles(conn, articles, rejections, in_transaction=in_transaction)
