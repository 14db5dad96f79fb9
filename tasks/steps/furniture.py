"""The furniture pass: each site's furniture, found across its pages, taken out of its
texts before they are grouped (tasks/site_furniture.py says what furniture is)."""

from __future__ import annotations

import logging
from collections import defaultdict

import duckdb

from tasks.articles import cleaned_article_text
from tasks.reports import FurnitureReport
from tasks.site_furniture import MIN_PAGES, MIN_SHARE, edge_lines, without_furniture
from tasks.store import (
    furniture_holders,
    record_missing_site_lines,
    save_cleaned_texts,
    save_furniture_pass,
    site_furniture_found,
    site_furniture_known,
    site_line_sources,
    unsettled_site_lines,
)
from wirehouse.records import CleanedText, FurnitureLine

logger = logging.getLogger("wirehouse.furniture")

TEXTS_AT_A_TIME = 2_000  # texts held at once: a line found on a big site has many holders


def take_out_site_furniture(conn: duckdb.DuckDBPyConnection) -> FurnitureReport:
    """Weigh the lines of the articles stored since the last pass against their sites'
    other pages; take the furniture out of the texts that hold it, the new articles' and,
    for a line found only now, the earlier articles' of its site. A cleaned text gets a
    new hash, so the grouping that follows groups it (again)."""
    record_missing_site_lines(conn)
    weighed = unsettled_site_lines(conn)
    if not weighed:
        return FurnitureReport(0, 0, 0)
    found = site_furniture_found(conn, MIN_PAGES, MIN_SHARE)
    known = site_furniture_known(conn)
    just_found = {
        (domain, key): pages for domain, key, pages in found if (domain, key) not in known
    }
    furniture = {pair: pair in just_found for pair in known | set(just_found)}
    by_site: defaultdict[str, set[int]] = defaultdict(set)
    for domain, key in furniture:
        by_site[domain].add(key)
    cleaned = 0
    line_texts: dict[tuple[str, int], str] = {}
    holders = furniture_holders(conn, furniture)
    for start in range(0, len(holders), TEXTS_AT_A_TIME):
        texts: list[CleanedText] = []
        for article_id, domain, _title, text in site_line_sources(
            conn, holders[start : start + TEXTS_AT_A_TIME]
        ):
            for line in edge_lines(text) if just_found else ():  # as a page wrote them
                if (domain, line.line_key) in just_found:
                    line_texts.setdefault((domain, line.line_key), line.text)
            without = without_furniture(text, by_site[domain])
            if without is not None:
                texts.append(cleaned_article_text(article_id, without))
        save_cleaned_texts(conn, texts)  # a pass cut short is done again: cleaning is idempotent
        cleaned += len(texts)
    new_lines = [
        FurnitureLine(domain, key, line_texts.get((domain, key)), pages)
        for (domain, key), pages in sorted(just_found.items())
    ]
    save_furniture_pass(conn, new_lines, weighed)
    if new_lines or cleaned:
        logger.info(
            "site furniture: %d lines newly known on %d sites; taken out of %d texts",
            len(new_lines),
            len({line.domain for line in new_lines}),
            cleaned,
        )
    return FurnitureReport(len(weighed), len(new_lines), cleaned)
