"""Reading and writing the archive's tables; every statement is a named file in sql/queries."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np

from tasks.site_furniture import edge_lines, page_key
from tasks.urls import identity
from wirehouse.db import (
    batch_view,
    columns_view,
    insert_many,
    load_batch,
    load_columns,
    query,
    statement,
    transaction,
)
from wirehouse.records import (
    Article,
    ArticleLink,
    ArticleSketch,
    CleanedText,
    DiscoveryProblem,
    FetchAttempt,
    FurnitureLine,
    GroupingTotals,
    Link,
    PendingRecord,
    PreviousGrouping,
    RawRecord,
    Rejection,
    RobotsAnswer,
    RunSummary,
    StoredStory,
    StorylineResult,
    StoryResult,
    TermCounts,
    TitledText,
    Validators,
)
from wirehouse.settings import DedupeSettings


def start_run(conn: duckdb.DuckDBPyConnection, run_id: str, parameters: dict[str, object]) -> None:
    conn.execute(
        statement(conn, "insert_run"),
        [run_id, datetime.now(UTC), json.dumps(parameters, default=str)],
    )


def batch_applied(conn: duckdb.DuckDBPyConnection, batch_id: str) -> bool:
    """Whether a chunk with this batch id was committed already."""
    row = conn.execute(query("load_batch_applied"), {"batch_id": batch_id}).fetchone()
    return bool(row and row[0])


def record_batch(conn: duckdb.DuckDBPyConnection, batch_id: str, run_id: str, rows: int) -> None:
    """Mark a chunk committed (in the transaction that writes its rows)."""
    conn.execute(query("insert_load_batch"), {"batch_id": batch_id, "run_id": run_id, "rows": rows})


def failure_examples(conn: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str]:
    """One URL for each reason the run's URLs and listings failed, most common first."""
    rows = conn.execute(query("run_failure_examples"), {"run_id": run_id}).fetchall()
    return {reason: example for reason, example, _count in rows}


def finish_run(conn: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
    payload = {k: getattr(summary, k) for k in summary.__dataclass_fields__}
    conn.execute(query("finish_run"), [datetime.now(UTC), json.dumps(payload), summary.run_id])


def _row(record: Any) -> dict[str, Any]:
    """A dataclass record as a flat row (dataclasses.asdict deep-copies, which costs)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def _unique(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The last row for each key: one statement may not upsert the same row twice."""
    return list({row[key]: row for row in rows}.values())


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
        load_batch(
            conn,
            "insert_raw_record",
            "raw_records",
            _unique([_row(r) for r in records], "record_id"),
        )
        load_batch(
            conn,
            "insert_fetch",
            "fetches",
            [
                {
                    "run_id": run_id,
                    **{k: v for k, v in _row(a).items() if k != "retryable"},
                    "redirects": list(a.redirects),
                }
                for a in attempts
            ],
        )


def save_problems(
    conn: duckdb.DuckDBPyConnection, run_id: str, problems: Sequence[DiscoveryProblem]
) -> None:
    now = datetime.now(UTC)
    load_batch(
        conn,
        "insert_discovery_problem",
        "discovery_problems",
        [
            {
                "run_id": run_id,
                "source": p.source_url,
                "reason": p.reason,
                "detail": p.detail,
                "noted_at": now,
            }
            for p in problems
        ],
    )


def save_link_hints(conn: duckdb.DuckDBPyConnection, links: Sequence[Link]) -> None:
    """What feeds and sitemaps said about the URLs they listed (title, date), kept as hints."""
    rows = [
        {
            "url": link.url,  # normalised where it was found
            "source": link.source,
            "source_url": link.source_url,
            "title": link.title,
            "published_at": link.published_at,
        }
        for link in links
        if link.title or link.published_at
    ]
    load_batch(conn, "upsert_link_hint", "link_hints", _unique(rows, "url"))


def known_record_ids(
    conn: duckdb.DuckDBPyConnection, urls: Sequence[str]
) -> tuple[set[str], set[str]]:
    """Records already archived for these URLs, under them or where they redirected (their
    bodies need no new copy), and those of them that gave way to another record of their
    article."""
    if not urls:
        return set(), set()
    with batch_view(conn, {"url": "VARCHAR"}, [{"url": url} for url in urls]):
        rows = conn.execute(query("known_record_ids")).fetchall()
    return {record_id for record_id, _ in rows}, {record_id for record_id, gone in rows if gone}


def latest_validators(
    conn: duckdb.DuckDBPyConnection, urls: Sequence[str]
) -> dict[str, Validators]:
    """Validators of each URL's last good fetch, for conditional requests."""
    if not urls:
        return {}
    with batch_view(conn, {"url": "VARCHAR"}, [{"url": url} for url in urls]):
        rows = conn.execute(query("latest_validators")).fetchall()
    return {url: Validators(etag, last_modified) for url, etag, last_modified in rows}


def last_fetched(conn: duckdb.DuckDBPyConnection, urls: Sequence[str]) -> dict[str, datetime]:
    """When each of these URLs was last asked for; a URL never fetched is not in it."""
    if not urls:
        return {}
    with batch_view(conn, {"url": "VARCHAR"}, [{"url": url} for url in urls]):
        return dict(conn.execute(query("last_fetched")).fetchall())


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


def resumable_urls(conn: duckdb.DuckDBPyConnection, run_id: str, since: datetime) -> set[str]:
    """URLs that unfinished runs other than ``run_id`` fetched since ``since``."""
    rows = conn.execute(query("resumable_urls"), {"run_id": run_id, "since": since}).fetchall()
    return {row[0] for row in rows}


def archived_warc_paths(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Every WARC file a raw record points at, as stored."""
    return [row[0] for row in conn.execute(query("archived_warc_paths")).fetchall()]


def save_indexed_files(conn: duckdb.DuckDBPyConnection, files: Sequence[tuple[str, int]]) -> None:
    """Record archive files read through, (stored path, responses held)."""
    now = datetime.now(UTC)
    rows = [{"warc_path": path, "responses": n, "indexed_at": now} for path, n in files]
    with transaction(conn):
        load_batch(conn, "upsert_indexed_archive_file", "indexed_archive_files", rows)


def unfinished_runs(conn: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Runs other than ``run_id`` that started and never finished, oldest first."""
    return [row[0] for row in conn.execute(query("unfinished_runs"), {"run_id": run_id}).fetchall()]


def all_record_ids(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in conn.execute(query("all_record_ids")).fetchall()}


def count_articles(conn: duckdb.DuckDBPyConnection) -> int:
    row = conn.execute(query("count_articles")).fetchone()
    return int(row[0]) if row else 0


def pending_records(conn: duckdb.DuckDBPyConnection) -> list[PendingRecord]:
    return [PendingRecord(*row) for row in conn.execute(query("pending_records")).fetchall()]


def save_articles(
    conn: duckdb.DuckDBPyConnection,
    articles: Sequence[Article],
    rejections: Sequence[Rejection],
    *,
    in_transaction: bool = False,
) -> tuple[int, int]:
    """Upsert articles and rejections as they are, an article only from the record that holds
    it (``holds_over``); returns the (articles, rejections) handed in."""
    now = datetime.now(UTC)
    article_rows = [
        {
            **_row(article),
            "published_at": article.page_date,  # until grouping finds it a republish date
            # as text: the batch loader types it by the column (a DATE)
            "published_day": article.published_day.isoformat() if article.published_day else None,
            "first_seen_at": article.fetched_at,
            "extracted_at": now,
        }
        for article in articles
    ]
    handed_in = len(article_rows), len(rejections)
    rows = {a.record_id: row for a, row in zip(articles, article_rows, strict=True)}
    with nullcontext(conn) if in_transaction else transaction(conn):
        articles, cut = _without_cut_updates(conn, articles)
        rejection_rows = [
            {
                "record_id": r.record_id,
                "url": r.url,
                "reason": r.reason,
                "detail": r.detail,
                "page_kind": r.page_kind,
                "rejected_at": now,
            }
            for r in [*rejections, *cut]
        ]
        kept, superseded = _holders(conn, articles)
        load_batch(conn, "upsert_article", "articles", [rows[a.record_id] for a in kept])
        load_batch(conn, "upsert_rejection", "rejections", _unique(rejection_rows, "record_id"))
        load_batch(conn, "forget_superseded", "superseded_records",
                   [{"record_id": a.record_id} for a in kept])  # fmt: skip
        load_batch(conn, "insert_superseded_record", "superseded_records", [
            {"record_id": record_id, "article_id": article_id, "superseded_at": now}
            for record_id, article_id in superseded
        ])  # fmt: skip
        record_site_lines(conn, [(a.article_id, a.domain, a.title, a.text) for a in kept])
        _forget_moved(conn, kept, now)
    return handed_in


def _forget_moved(
    conn: duckdb.DuckDBPyConnection, articles: Sequence[Article], now: datetime
) -> None:
    """Forget the articles whose page moved to one of ``articles`` (its old address now
    redirects there): one page kept twice, the old copy counted as a copy of the new. The
    moved article's records give way to the article it moved to."""
    if not articles:
        return
    types = {"article_id": "VARCHAR", "record_id": "VARCHAR"}
    with batch_view(
        conn, types, [{"article_id": a.article_id, "record_id": a.record_id} for a in articles]
    ):
        moved = conn.execute(query("moved_articles")).fetchall()
    if not moved:
        return
    pairs = {"article_id": "VARCHAR", "moved_to": "VARCHAR"}
    with batch_view(conn, pairs, [{"article_id": y, "moved_to": x} for y, _, x in moved]):
        conn.execute(query("repoint_superseded"))
    load_batch(conn, "insert_superseded_record", "superseded_records", [
        {"record_id": record_id, "article_id": moved_to, "superseded_at": now}
        for _, record_id, moved_to in moved
    ])  # fmt: skip
    with batch_view(conn, {"record_id": "VARCHAR"}, [{"record_id": r} for _, r, _ in moved]):
        conn.execute(query("forget_articles"))


def holds_over(challenger: tuple[bool, datetime], holder: tuple[bool, datetime]) -> bool:
    """Whether a record of an article, (fetched at the article's own address, fetched at),
    takes the article from the record that holds it. The page at the article's address
    holds it over pages that only claim that address (a rel=canonical to it: an AMP or
    print copy, or another page of the site taking over the article); among those alike,
    the one fetched last (a page fetched again with new text). A tie goes to the
    challenger: a record extracted again replaces itself."""
    return challenger >= holder


CUT_UPDATE_SHARE = 0.2  # a later version of a page with less than this of its words ...
CUT_UPDATE_MIN_WORDS = 100  # ... of a stored text at least this long does not replace it


def _without_cut_updates(
    conn: duckdb.DuckDBPyConnection, articles: Sequence[Article]
) -> tuple[list[Article], list[Rejection]]:
    """The articles in hand, less the later versions of stored ones that keep under a fifth
    of their words: a withdrawal notice ("This article has been removed"), a teaser the
    page now shows behind a wall, an error page served with a 200. Each replaced the text
    the archive held (the words are still in the WARC file, but no query found them); it
    is a rejection (``text_cut``) and the stored text stays."""
    if not articles:
        return [], []
    with batch_view(
        conn, {"article_id": "VARCHAR"}, [{"article_id": a.article_id} for a in articles]
    ):
        held = {
            article_id: (record_id, fetched_at, words)
            for article_id, record_id, fetched_at, words in conn.execute(
                query("held_word_counts")
            ).fetchall()
        }
    kept: list[Article] = []
    cut: list[Rejection] = []
    for article in articles:
        record_id, fetched_at, words = held.get(article.article_id, (None, None, 0))
        if (
            record_id not in (None, article.record_id)
            and fetched_at is not None
            and article.fetched_at > fetched_at
            and words >= CUT_UPDATE_MIN_WORDS
            and article.word_count < CUT_UPDATE_SHARE * words
        ):
            detail = (
                f"the page now gives {article.word_count} words of the {words} stored"
                " (a withdrawal notice, a teaser, an error page?): the stored text is kept"
            )
            cut.append(Rejection(article.record_id, article.url, "text_cut", detail))
        else:
            kept.append(article)
    return kept, cut


def _holders(
    conn: duckdb.DuckDBPyConnection, articles: Sequence[Article]
) -> tuple[list[Article], list[tuple[str, str]]]:
    """Of the articles in hand, those that hold their article (one for each article id),
    and the records that give way, (record id, article id): the losers in hand and the
    records that held an article a record in hand took over. Without this, a record that
    gave way would stay pending, extracted again by every run and taking its article back."""
    if not articles:
        return [], []
    types = {"article_id": "VARCHAR", "record_id": "VARCHAR"}
    with batch_view(
        conn, types, [{"article_id": a.article_id, "record_id": a.record_id} for a in articles]
    ):
        found = conn.execute(query("identity_contenders")).fetchall()
    fetched_from = {record_id: fetched_url for _, _, record_id, fetched_url, _, _ in found}
    best: dict[str, tuple[tuple[bool, datetime], str, Article | None]] = {
        article_id: ((at_own_address(fetched_url, url), fetched_at), record_id, None)
        for side, article_id, record_id, fetched_url, url, fetched_at in found
        if side == "held"
    }
    superseded: list[tuple[str, str]] = []
    for article in articles:
        own = at_own_address(fetched_from.get(article.record_id), article.url)
        rank = (own, article.fetched_at)
        holder = best.get(article.article_id)
        if holder is None or holds_over(rank, holder[0]):
            if holder is not None and holder[1] != article.record_id:
                superseded.append((holder[1], article.article_id))
            best[article.article_id] = (rank, article.record_id, article)
        elif holder[1] != article.record_id:
            superseded.append((article.record_id, article.article_id))
    return [article for _, _, article in best.values() if article is not None], superseded


def at_own_address(fetched_url: str | None, article_url: str) -> bool:
    """Whether a page was fetched from its article's identity URL (tracking parameters
    aside) rather than claiming that address with its rel=canonical."""
    return fetched_url is not None and identity(fetched_url, None)[0] == article_url


def record_site_lines(
    conn: duckdb.DuckDBPyConnection, articles: Sequence[tuple[str, str, str | None, str]]
) -> None:
    """Record the edge lines of articles ((id, domain, title, text as extracted)) as they
    are stored, forgetting their earlier ones: what the furniture pass counts across a
    site's pages."""
    if not articles:
        return
    load_batch(conn, "forget_site_lines", "site_lines", _ids([a[0] for a in articles]))
    rows = [
        {"domain": domain, "line_key": line.line_key, "article_id": article_id, "page_key": key}
        for article_id, domain, title, text in articles
        for key in (page_key(title, article_id),)
        for line in edge_lines(text)
    ]
    load_batch(conn, "insert_site_lines", "site_lines", rows)


SITE_LINES_BACKFILL = 2_000  # texts read at a time when recording an older archive's lines


def record_missing_site_lines(conn: duckdb.DuckDBPyConnection) -> int:
    """Record the edge lines of articles stored before the archive kept them (an archive
    from before migration 016: their texts are still as extracted); returns how many."""
    missing = [row[0] for row in conn.execute(query("site_lines_backfill")).fetchall()]
    for start in range(0, len(missing), SITE_LINES_BACKFILL):
        chunk = missing[start : start + SITE_LINES_BACKFILL]
        sources = site_line_sources(conn, chunk)
        with transaction(conn):
            record_site_lines(conn, sources)
            load_batch(conn, "forget_site_lines_backfill", "site_lines_backfill", _ids(chunk))
    return len(missing)


def site_furniture_found(
    conn: duckdb.DuckDBPyConnection, min_pages: int, min_share: float
) -> list[tuple[str, int, int]]:
    """(domain, line key, pages) of the lines that enough pages of a site carry, of the
    sites with lines stored since the last furniture pass."""
    params = {"min_pages": min_pages, "min_share": min_share}
    return [tuple(row) for row in conn.execute(query("site_furniture_found"), params).fetchall()]


def site_furniture_known(conn: duckdb.DuckDBPyConnection) -> set[tuple[str, int]]:
    """The furniture already known of the sites with lines stored since the last pass."""
    return {(domain, key) for domain, key in conn.execute(query("site_furniture_known")).fetchall()}


def site_furniture_of(
    conn: duckdb.DuckDBPyConnection, article_ids: Sequence[str]
) -> dict[str, frozenset[int]]:
    """The furniture lines known of the sites of the given articles, by site."""
    found: defaultdict[str, set[int]] = defaultdict(set)
    if article_ids:
        with batch_view(conn, _ID_TYPES, _ids(article_ids)):
            for domain, key in conn.execute(query("site_furniture_of")).fetchall():
                found[domain].add(key)
    return {domain: frozenset(keys) for domain, keys in found.items()}


def furniture_holders(
    conn: duckdb.DuckDBPyConnection, furniture: Mapping[tuple[str, int], bool]
) -> list[str]:
    """The articles to weigh: those with lines not yet weighed that are furniture, and
    those holding a line just found (``furniture`` maps each (domain, line key) to whether
    it was just found)."""
    if not furniture:
        return []
    types = {"domain": "VARCHAR", "line_key": "BIGINT", "just_found": "BOOLEAN"}
    rows = [
        {"domain": domain, "line_key": key, "just_found": just_found}
        for (domain, key), just_found in furniture.items()
    ]
    with batch_view(conn, types, rows):
        return [row[0] for row in conn.execute(query("furniture_holders")).fetchall()]


def site_line_sources(
    conn: duckdb.DuckDBPyConnection, article_ids: Sequence[str]
) -> list[tuple[str, str, str | None, str]]:
    """(id, domain, title, text) of the given articles."""
    if not article_ids:
        return []
    with batch_view(conn, _ID_TYPES, _ids(article_ids)):
        return [tuple(row) for row in conn.execute(query("site_line_sources")).fetchall()]


def titled_texts(conn: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> list[TitledText]:
    """The given articles, as the listed-titles pass reads them."""
    if not article_ids:
        return []
    with batch_view(conn, _ID_TYPES, _ids(article_ids)):
        rows = conn.execute(query("listed_title_sources")).fetchall()
    return [
        TitledText(article_id, record_id, url, domain, title, text, tuple(links))
        for article_id, record_id, url, domain, title, text, links in rows
    ]


def site_titles(
    conn: duckdb.DuckDBPyConnection, domains: Sequence[str]
) -> list[tuple[str, str, str]]:
    """(domain, article id, title) of every titled article of the given sites."""
    if not domains:
        return []
    with batch_view(conn, {"domain": "VARCHAR"}, [{"domain": d} for d in domains]):
        return [tuple(row) for row in conn.execute(query("site_titles")).fetchall()]


def save_cleaned_texts(conn: duckdb.DuckDBPyConnection, texts: Sequence[CleanedText]) -> None:
    """Texts with their site's furniture taken out (in one transaction)."""
    with transaction(conn):
        load_batch(conn, "update_article_text", "articles", [_row(t) for t in texts])


def unsettled_site_lines(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The articles whose edge lines were stored since the last furniture pass."""
    return [row[0] for row in conn.execute(query("unsettled_site_lines")).fetchall()]


def save_furniture_pass(
    conn: duckdb.DuckDBPyConnection, found: Sequence[FurnitureLine], weighed: Sequence[str]
) -> None:
    """In one transaction: the furniture just found, and the lines of the ``weighed``
    articles marked weighed (the texts were cleaned before)."""
    now = datetime.now(UTC)
    with transaction(conn):
        load_batch(
            conn, "insert_site_furniture", "site_furniture",
            [{**_row(line), "found_at": now} for line in found],
        )  # fmt: skip
        load_batch(conn, "settle_site_lines", "site_lines", _ids(weighed))


def extraction_state(
    conn: duckdb.DuckDBPyConnection,
) -> list[tuple[PendingRecord, str | None, str | None]]:
    """Every archived response already extracted: (record, its article's text hash, or its
    rejection reason)."""
    return [
        (PendingRecord(*row[:7]), row[7], row[8])
        for row in conn.execute(query("extraction_state")).fetchall()
    ]


def save_reextractions(
    conn: duckdb.DuckDBPyConnection, articles: Sequence[Article], rejections: Sequence[Rejection]
) -> None:
    """Store re-extraction outcomes: a record's old article or rejection gives way to the new."""
    types = {"record_id": "VARCHAR"}
    every = [{"record_id": a.record_id} for a in articles]
    every += [{"record_id": r.record_id} for r in rejections]
    with transaction(conn):
        with batch_view(conn, types, every):
            conn.execute(query("forget_rejections"))
        if rejections:
            with batch_view(conn, types, [{"record_id": r.record_id} for r in rejections]):
                conn.execute(query("forget_articles"))
        save_articles(conn, articles, rejections, in_transaction=True)


def _ids(article_ids: Sequence[str]) -> list[dict[str, Any]]:
    return [{"article_id": article_id} for article_id in article_ids]


_ID_TYPES = {"article_id": "VARCHAR"}


def all_article_ids(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in conn.execute(query("all_article_ids")).fetchall()]


SKETCHES_FETCHED = 500  # rows turned into Python objects at a time


def article_sketches(
    conn: duckdb.DuckDBPyConnection,
    article_ids: Sequence[str] | None = None,
    with_texts: bool = True,
) -> list[ArticleSketch]:
    """What dedupe and clustering read of the given articles (all when none are given);
    without their texts (left empty: ``article_texts`` reads them) unless ``with_texts``."""
    ids = all_article_ids(conn) if article_ids is None else article_ids
    if not ids:
        return []
    sketches: list[ArticleSketch] = []
    # Copies of one text share one string: a working set of wire copies holds each text
    # once (4 copies of 786 texts: 82 MB of strings held through grouping, not 4 times 20).
    texts: dict[str, str] = {}
    with batch_view(conn, _ID_TYPES, _ids(ids)):
        result = conn.execute(query("article_sketches"), {"with_texts": with_texts})
        while rows := result.fetchmany(SKETCHES_FETCHED):
            for row in rows:
                values = list(row)
                values[6] = texts.setdefault(values[7], values[6])  # text, by its sha256
                sketches.append(ArticleSketch(*values))
    return sorted(sketches, key=lambda sketch: sketch.article_id)


def article_texts(conn: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> dict[str, str]:
    """The texts of the given articles (by id; one that is not stored is left out)."""
    if not article_ids:
        return {}
    with batch_view(conn, _ID_TYPES, _ids(article_ids)):
        return dict(conn.execute(query("article_texts")).fetchall())


def pending_grouping(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Articles whose text is new or changed since they were last grouped."""
    return [row[0] for row in conn.execute(query("pending_grouping")).fetchall()]


def pending_by_site(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The articles ``pending_grouping`` lists, in the order of their sites."""
    return [row[0] for row in conn.execute(query("pending_by_site")).fetchall()]


def replace_fingerprints(
    conn: duckdb.DuckDBPyConnection, fingerprints: Mapping[str, np.ndarray | Sequence[int]]
) -> None:
    """Store the copy fingerprints of the given articles in place of their old ones."""
    if not fingerprints:
        return
    # A row an article and key, loaded as whole columns; an article with no key has one
    # row, not keyed, so that its old keys still go. Its id is written once (batch_ids),
    # the keys' rows give its position: DuckDB takes a numpy string in about a microsecond,
    # so 128 copies of each id cost 0.74 s a chunk of 5,000 articles, against 0.05 s.
    keys = [np.asarray(f, dtype=np.uint64) for f in fingerprints.values()]
    rows = [k if k.size else _NO_KEY for k in keys]
    sizes = [row.size for row in rows]
    positions = np.arange(len(keys), dtype=np.int32)
    columns: dict[str, np.ndarray] = {
        "pos": np.repeat(positions, sizes),
        "fingerprint": np.concatenate(rows),
        "keyed": np.repeat(np.array([k.size > 0 for k in keys]), sizes),
    }
    ids: dict[str, np.ndarray] = {"pos": positions, "article_id": np.array(list(fingerprints))}
    with (
        transaction(conn),
        columns_view(
            conn, {"pos": "INTEGER", "fingerprint": "UBIGINT", "keyed": "BOOLEAN"}, columns
        ),
        columns_view(conn, {"pos": "INTEGER", "article_id": "VARCHAR"}, ids, view="batch_ids"),
    ):
        conn.execute(query("replace_fingerprints"))


_NO_KEY = np.zeros(1, dtype=np.uint64)


def copy_fingerprints_of(
    conn: duckdb.DuckDBPyConnection, article_ids: Sequence[str]
) -> dict[str, list[int]]:
    """The copy fingerprints stored for the given articles (none for one without any)."""
    if not article_ids:
        return {}
    with batch_view(conn, _ID_TYPES, _ids(article_ids)):
        return dict(conn.execute(query("copy_fingerprints_of")).fetchall())


def unsketched_articles(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Grouped articles that have no copy fingerprints (an archive from before them)."""
    return [row[0] for row in conn.execute(query("unsketched_articles")).fetchall()]


def grouping_partners(
    conn: duckdb.DuckDBPyConnection, min_shared: int, max_posting: int, max_candidates: int
) -> list[tuple[str, str, bool]]:
    """(pending article, article that may be its copy, sure) for every pending article:
    sure for the same text or a canonical link, else a MinHash candidate to verify."""
    found = conn.execute(
        query("grouping_partners"),
        {"min_shared": min_shared, "max_posting": max_posting, "max_candidates": max_candidates},
    ).fetchall()
    return sorted((pending, other, how == "sure") for pending, other, how in found)


def _probe_rows(
    column: str, probes: Mapping[str, Mapping[str, float]], fields: Mapping[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Batch rows for the probe queries: per key one row with no term (so a key with an
    empty probe is still there) and one row per probe term, each with the key's ``fields``."""
    rows: list[dict[str, Any]] = []
    for key, probe in sorted(probes.items()):
        base = {column: key, **fields[key]}
        rows.append({**base, "term": None, "weight": None})
        rows.extend({**base, "term": t, "weight": w} for t, w in sorted(probe.items()))
    return rows


def grouping_working_set(
    conn: duckdb.DuckDBPyConnection,
    pending: Mapping[str, Mapping[str, float]],
    copies: Sequence[str],
    settings: DedupeSettings,
) -> list[str]:
    """The pending articles (with their probes: their tf-idf vectors' strongest terms),
    their copies, and the whole stories of those and of the stored stories dated near
    them that are alike to them."""
    others = sorted(set(copies) - set(pending))
    probes = {**pending, **{key: {} for key in others}}
    near = {key: {"near": key in pending} for key in probes}
    rows = _probe_rows("article_id", probes, near)
    if not rows:
        return []
    types = {"article_id": "VARCHAR", "near": "BOOLEAN", "term": "VARCHAR", "weight": "DOUBLE"}
    with batch_view(conn, types, rows):
        found = conn.execute(
            query("grouping_working_set"),
            {
                "horizon_days": settings.regroup_horizon_days,
                "min_similarity": settings.regroup_min_similarity,
                "max_stories": settings.regroup_max_stories,
            },
        ).fetchall()
    return sorted(row[0] for row in found)


def known_aggregators(conn: duckdb.DuckDBPyConnection) -> frozenset[str]:
    return frozenset(row[0] for row in conn.execute(query("aggregator_domains_known")).fetchall())


def grouping_totals(conn: duckdb.DuckDBPyConnection) -> GroupingTotals:
    row = conn.execute(query("grouping_totals")).fetchone()
    return GroupingTotals(*(row or (0, 0, 0, 0)))


def previous_grouping(
    conn: duckdb.DuckDBPyConnection, article_ids: Sequence[str]
) -> PreviousGrouping:
    """The story and copy group ids the given articles hold now, with the stories' ages."""
    story: dict[str, str] = {}
    group: dict[str, str] = {}
    story_age: dict[str, tuple[object, ...]] = {}
    with batch_view(conn, _ID_TYPES, _ids(article_ids)):
        rows = conn.execute(query("previous_grouping")).fetchall()
    for article, story_id, group_id, story_created in rows:
        story[article] = story_id
        if group_id:
            group[article] = group_id
        if story_created is not None:
            story_age[story_id] = (story_created,)
    return PreviousGrouping(story, group, story_age)


def storyline_neighbours(
    conn: duckdb.DuckDBPyConnection,
    regrouped: Mapping[str, Mapping[str, float]],
    days: Mapping[str, datetime | None],
    earlier: Sequence[str],
    settings: DedupeSettings,
) -> list[StoredStory]:
    """The stored stories that may share a story line with the ``regrouped`` ones (story
    id -> probe: its vector's strongest terms; first published on ``days``): the stories
    near in time that are alike to one of them, the ``earlier`` stories (whose lines must
    not be cut), and every story of their lines."""
    stored = conn.execute(query("stories_stored")).fetchone()
    if not (stored and stored[0]):
        # A first grouping: nothing to look for, and its probes are millions of rows.
        return []
    probes = {**{key: {} for key in earlier}, **regrouped}
    dated = {key: {"day": days.get(key) if key in regrouped else None} for key in probes}
    rows = _probe_rows("story_id", probes, dated)
    if not rows:
        return []
    types = {"story_id": "VARCHAR", "day": "TIMESTAMPTZ", "term": "VARCHAR", "weight": "DOUBLE"}
    with batch_view(conn, types, rows):
        found = conn.execute(
            query("storyline_neighbours"),
            {
                "horizon_days": settings.storyline_horizon_days,
                "min_similarity": settings.storyline_min_similarity,
                "max_stories": settings.storyline_max_stories,
            },
        ).fetchall()
    return [StoredStory(*row) for row in found]


TEXTS_COUNTED = ""  # the term_counts row that holds the number of texts counted


def term_counts(conn: duckdb.DuckDBPyConnection) -> TermCounts:
    """The archive's document frequencies."""
    holding = dict(conn.execute(query("term_counts")).fetchall())
    return TermCounts(holding.pop(TEXTS_COUNTED, 0), holding)


def story_vectors_of(
    conn: duckdb.DuckDBPyConnection, story_ids: Sequence[str]
) -> dict[str, dict[str, float]]:
    vectors: dict[str, dict[str, float]] = {story_id: {} for story_id in story_ids}
    if not story_ids:
        return vectors
    rows = [{"story_id": story_id} for story_id in story_ids]
    with batch_view(conn, {"story_id": "VARCHAR"}, rows):
        for story_id, term, weight in conn.execute(query("story_vectors_of")).fetchall():
            vectors[story_id][term] = weight
    return vectors


STORY_VECTOR_SLICE = 2_000  # stories whose vectors are written in one statement


def save_grouping(
    conn: duckdb.DuckDBPyConnection,
    result: StoryResult,
    links: Sequence[ArticleLink],
    working_set: Sequence[str],
    lines: StorylineResult,
    aggregator: tuple[float, int],
    new_term_counts: Mapping[str, int],
    counted_afresh: bool = False,
) -> None:
    """Replace the working set's copy groups, stories and links with the newly computed
    ones, draw the story lines again, and rescore the domains, atomically.
    ``new_term_counts`` are added to the archive's document frequencies, or replace them
    when ``counted_afresh`` (they are then those of every text)."""
    now = datetime.now(UTC)
    with transaction(conn):
        # The stories kept go as a column, not a list parameter: DuckDB converts a list
        # element by element, trying to import pandas for each (2.6 s for 40,000 ids).
        kept = np.array([story.story_id for story in result.stories], dtype=np.str_)
        with (
            batch_view(conn, _ID_TYPES, _ids(working_set)),
            columns_view(conn, {"story_id": "VARCHAR"}, {"story_id": kept}, view="kept"),
        ):
            conn.execute(query("delete_stale_stories"))
            conn.execute(query("clear_grouping"))
        load_batch(conn, "update_grouping", "articles", [_row(g) for g in result.groupings])
        load_batch(conn, "insert_copy_group", "copy_groups", [_row(c) for c in result.copy_groups])
        load_batch(
            conn,
            "upsert_story",
            "stories",
            [{**_row(s), "created_at": now, "updated_at": now} for s in result.stories],
        )
        # A hundred rows a story: written a slice of stories at a time, as whole columns.
        vectors = result.story_vectors
        for start in range(0, len(vectors), STORY_VECTOR_SLICE):
            part = vectors[start : start + STORY_VECTOR_SLICE]
            load_columns(
                conn,
                "insert_story_vectors",
                "story_vectors",
                {
                    "story_id": np.repeat(
                        np.array([v.story_id for v in part]), [len(v.terms) for v in part]
                    ),
                    "term": np.array([term for v in part for term in v.terms]),
                    "weight": np.array(
                        [w for v in part for w in v.terms.values()], dtype=np.float64
                    ),
                },
            )
        load_batch(
            conn,
            "assign_storylines",
            "stories",
            [
                {"story_id": story, "storyline_id": line}
                for story, line in sorted(lines.line_of_story.items())
            ],
        )
        conn.execute(query("delete_stale_storylines"))
        load_batch(
            conn,
            "upsert_storyline",
            "storylines",
            [{**_row(line), "created_at": now, "updated_at": now} for line in lines.storylines],
        )
        all_links = [_row(link) for link in [*links, *result.story_links]]
        load_batch(conn, "insert_article_link", "article_links", all_links)
        load_batch(
            conn,
            "insert_story_merge",
            "story_merges",
            [
                {"merged_story_id": merged, "into_story_id": kept, "merged_at": now}
                for merged, kept in result.merges
            ],
        )
        conn.execute(query("clear_domain_scores"))
        share, copies = aggregator
        conn.execute(
            query("refresh_domain_scores"),
            {"aggregator_share": share, "aggregator_copies": copies},
        )
        if counted_afresh:
            conn.execute(query("clear_term_counts"))
        counted = sorted(new_term_counts.items())
        load_columns(
            conn,
            "add_term_counts",
            "term_counts",
            {
                "term": np.array([term for term, _ in counted]),
                "texts": np.array([texts for _, texts in counted], dtype=np.int64),
            },
        )
