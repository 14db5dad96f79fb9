"""The listed-titles pass: each new text read against the titles of its site's other
articles (tasks/listed_titles.py says why), before the texts are grouped. A text that is
a list of them is rejected as a listing page (a story that held it is grouped again
without it); any other loses the runs of them at its edges, and gets a new hash."""

from __future__ import annotations

import logging

import duckdb

from tasks.articles import cleaned_article_text
from tasks.listed_titles import REJECTION_REASON, SiteTitles, listed_titles
from tasks.reports import ListedTitlesReport
from tasks.store import (
    pending_by_site,
    save_cleaned_texts,
    save_reextractions,
    site_titles,
    titled_texts,
)
from wirehouse.records import CleanedText, Rejection

logger = logging.getLogger("wirehouse.listed_titles")

TEXTS_AT_A_TIME = 500  # texts held at once (the group step after this holds its own)
NONE = SiteTitles()  # a site none of whose articles has a title


def take_out_listed_titles(conn: duckdb.DuckDBPyConnection) -> ListedTitlesReport:
    """Read the texts waiting to be grouped against their sites' titles; reject the lists
    of the site's articles (a story that held one is grouped again without it), and take
    other articles' titles out of the rest."""
    pending = pending_by_site(conn)  # a chunk reads the titles of a few sites
    lists = cleaned = 0
    titles: dict[str, SiteTitles] = {}
    for start in range(0, len(pending), TEXTS_AT_A_TIME):
        articles = titled_texts(conn, pending[start : start + TEXTS_AT_A_TIME])
        domains = sorted({a.domain for a in articles})
        # A site whose texts run on from the chunk before keeps the titles read for it.
        titles = {domain: titles[domain] for domain in domains if domain in titles}
        for domain, article_id, title in site_titles(conn, [d for d in domains if d not in titles]):
            titles.setdefault(domain, SiteTitles()).add(article_id, title)
        rejections: list[Rejection] = []
        texts: list[CleanedText] = []
        for article in articles:
            found = listed_titles(
                article.text,
                article.article_id,
                article.title,
                titles.get(article.domain, NONE),
                article.inner_links,
            )
            if found is None:
                continue
            if found.lists_the_site:
                why = f"{found.titles} of its lines are titles of the site's other articles"
                rejections.append(
                    Rejection(article.record_id, article.url, REJECTION_REASON, why, "listing")
                )
            elif found.may_take_out and found.without != article.text:
                texts.append(cleaned_article_text(article.article_id, found.without))
        if rejections:
            save_reextractions(conn, [], rejections)  # the article gives way to the rejection
        save_cleaned_texts(conn, texts)
        lists += len(rejections)
        cleaned += len(texts)
    if lists or cleaned:
        logger.info(
            "other articles' titles: %d pages found to list their site's articles, "
            "taken out of %d texts",
            lists,
            cleaned,
        )
    return ListedTitlesReport(len(pending), lists, cleaned)
