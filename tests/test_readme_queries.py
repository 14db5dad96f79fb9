"""The README's example queries and the views they use, on an archive of the example site."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flows.cli import main
from tasks.reports import summarize
from tasks.run_context import RunContext, Sources, new_run_id
from tasks.search_index import load_fts, update_search_index
from tasks.steps.discover import discover
from tasks.steps.extract import extract_pending
from tasks.steps.fetch import fetch_and_archive
from tasks.steps.group import group_articles
from tasks.store import finish_run, start_run
from wirehouse.db import open_archive

README = Path(__file__).resolve().parent.parent / "README.md"
FEED = "http://feeds.wirehouse.example/rss.xml"
SITEMAP = "http://feeds.wirehouse.example/sitemap.xml"
VIEWS = (
    "latest_stories",
    "wire_carriers",
    "origins_and_copies",
    "aggregator_domains",
    "storyline_stories",
    "fetch_health",
    "gone_articles",
)


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def readme_queries() -> list[tuple[str, str]]:
    """(description, sql) of every ```sql block in "Querying the archive"."""
    section = readme_section("Querying the archive")
    return [
        (match["what"], match["sql"])
        for match in re.finditer(r"\n\n(?P<what>[^\n]*)\n\n```sql\n(?P<sql>.*?)```", section, re.S)
    ]


QUERIES = readme_queries()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, example_hosts) -> Iterator[str]:
    """What `make demo` builds: one run over the example site's feed and sitemap."""
    tmp = tmp_path_factory.mktemp("readme")
    ctx = RunContext(
        db_path=str(tmp / "demo.duckdb"),
        archive_dir=str(tmp / "demo-archive"),
        run_id=new_run_id(),
        allow_private_network=True,
        resolve=tuple(sorted(example_hosts.items())),
    )
    with open_archive(ctx.db_path) as conn:
        start_run(conn, ctx.run_id, {"feeds": [FEED], "sitemaps": [SITEMAP]})
    found = discover(ctx, Sources(feeds=(FEED,), sitemaps=(SITEMAP,)))
    fetched = fetch_and_archive(ctx, found.urls)
    extracted = extract_pending(ctx)
    grouped = group_articles(ctx)
    summary = summarize(ctx.run_id, found, fetched, None, extracted, grouped)
    with open_archive(ctx.db_path) as conn:
        finish_run(conn, summary)
        update_search_index(conn)
    yield ctx.db_path


def rows(db: str, sql: str) -> list[tuple]:
    with duckdb.connect(db, read_only=True) as conn:
        load_fts(conn)
        return conn.execute(sql).fetchall()


def test_the_section_has_twelve_described_queries():
    blocks = readme_section("Querying the archive").count("```sql\n")
    assert len(QUERIES) == blocks == 12  # each block follows a one-line paragraph
    for what, sql in QUERIES:
        assert what.endswith(":") and not what.startswith(("```", "|")), sql
        assert sql.strip().startswith(("select", "with")), what


@pytest.mark.parametrize(("what", "sql"), QUERIES, ids=[f"q{i + 1}" for i in range(len(QUERIES))])
def test_each_readme_query_answers_on_the_demo_archive(demo_db, what, sql):
    assert rows(demo_db, sql), f"no rows for: {what}"


def test_wirehouse_sql_loads_full_text_search_itself(demo_db, capsys):
    search = next(sql for what, sql in QUERIES if "match_bm25" in sql)
    assert main(["sql", "--db", demo_db, "--max-width", "200", search]) == 0
    out = capsys.readouterr().out
    assert "Putin hosts Lukashenko in Sochi" in out
    assert out.rstrip().endswith("(5 rows)")


def test_the_views_named_in_the_readme_exist(demo_db):
    section = readme_section("Querying the archive")
    named = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    assert named == set(VIEWS)
    with duckdb.connect(demo_db, read_only=True) as conn:
        for view in VIEWS:
            documented = re.search(rf"^\| `{view}` \|[^|]*\| `([^`]*)` \|", section, re.M)
            assert documented, view
            columns = [d[0] for d in conn.execute(f"select * from {view} limit 0").description]
            assert ", ".join(columns) == documented[1]


def test_views_work_on_an_empty_archive(tmp_path):
    with open_archive(tmp_path / "empty.duckdb") as conn:
        for view in VIEWS:
            assert conn.execute(f"select * from {view}").fetchall() == [], view


def test_latest_stories_counts_copies(demo_db):
    got = rows(
        demo_db,
        "select article_count, domain_count, copy_count, lead_domain from latest_stories"
        " where title like 'Putin meets leader of Belarus%'",
    )
    assert got == [(5, 5, 1, "pacificherald.example")]
    dates = [d for (d,) in rows(demo_db, "select first_published_at from latest_stories")]
    assert dates == sorted(dates, reverse=True)


def test_wire_carriers_lists_each_outlet_of_a_text_in_order(demo_db):
    got = rows(
        demo_db,
        "select appearance, domain, is_group_origin, republished_at is not null"
        " from wire_carriers where copy_group_id in"
        " (select copy_group_id from wire_carriers where title like 'North Korea fires ballistic%')"
        " order by appearance",
    )
    assert got == [
        (1, "pacificherald.example", True, False),
        (2, "mountainpost.example", False, False),
        (3, "assetbase.example", False, True),  # the scraper's copy, dated 2025
    ]
    sizes = rows(
        demo_db, "select min(group_size), count(distinct copy_group_id) from wire_carriers"
    )
    assert sizes == [(2, 3)]  # single-copy texts are left out


def test_wire_carriers_puts_the_origin_first_whatever_a_copy_s_date_says(demo_db, tmp_path):
    # A scraper's copy dated before the origin (which the origin's evidence passes over)
    # appeared first, before the origin the same view names.
    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute(
            "update articles set published_at = timestamptz '2000-01-01 00:00:00+00'"
            " where domain = 'assetbase.example' and title like 'North Korea fires ballistic%'"
        )
    got = rows(
        str(copy),
        "select appearance, domain, is_group_origin from wire_carriers where copy_group_id in"
        " (select copy_group_id from wire_carriers where title like 'North Korea fires ballistic%')"
        " order by appearance",
    )
    assert got == [
        (1, "pacificherald.example", True),
        (2, "assetbase.example", False),
        (3, "mountainpost.example", False),
    ]


def test_origins_and_copies_names_the_copying_domains(demo_db):
    got = rows(
        demo_db,
        "select origin_domain, copy_count, copy_domains from origins_and_copies"
        " where copy_count > 0 order by copy_count desc, origin_domain",
    )
    assert got == [
        ("pacificherald.example", 2, ["assetbase.example", "mountainpost.example"]),
        ("dailybrief-now.example", 1, ["pacificherald.example"]),
        ("pacificherald.example", 1, ["assetbase.example"]),
    ]
    assert rows(
        demo_db, "select distinct copy_domains from origins_and_copies where copy_count = 0"
    ) == [([],)]


def test_aggregator_domains_puts_the_scraper_first(demo_db):
    got = rows(
        demo_db, "select domain, articles, copies_of_others, copy_share from aggregator_domains"
    )
    assert got[0] == ("assetbase.example", 2, 2, 1.0)
    assert ("gnn.example", 3, 0, 0.0) in got
    shares = [share for *_, share in got]
    assert shares == sorted(shares, reverse=True)


def test_fetch_health_sorts_attempts_by_outcome(tmp_path):
    attempts = [
        # url, status_code, error, elapsed_ms, attempt, retry_after_s
        ("https://a.example/1", 200, None, 10, 1, None),
        ("https://a.example/2", 304, None, 20, 1, None),
        ("https://a.example/3", 429, "http_429", 30, 1, 5.0),
        ("https://a.example/3", 200, None, 40, 2, None),
        ("https://a.example/4", None, "robots_disallowed", None, 1, None),
        ("https://a.example/5", None, "crawl_delay_too_long", None, 1, None),
        ("https://a.example/6", None, "timeout", 60000, 1, None),
        ("https://a.example/7", 404, "http_404", 50, 1, None),
        ("https://a.example/robots.txt", 404, "http_404", 5, 1, None),  # no rules: allowed
        ("http://user@B.example:8080/x?q=1", 503, "http_503", 70, 1, None),
    ]
    with open_archive(tmp_path / "a.duckdb") as conn:
        conn.executemany(
            "insert into fetches (url, fetched_at, status_code, error, elapsed_ms, attempt,"
            " retry_after_s) values (?, now(), ?, ?, ?, ?, ?)",
            attempts,
        )
        cursor = conn.execute("select * from fetch_health")
        names = [d[0] for d in cursor.description]
        health = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    assert set(health) == {"a.example", "b.example"}
    a = health["a.example"]
    assert (a["attempts"], a["successes"], a["not_modified"], a["failures"]) == (9, 3, 1, 5)
    assert (a["rate_limited"], a["robots_refused"], a["timeouts"], a["other_failures"]) == (
        1,
        2,
        1,
        1,
    )
    assert (a["retries"], a["max_retry_after_s"]) == (1, 5.0)
    assert a["median_elapsed_ms"] == 30
    assert a["avg_elapsed_ms"] == pytest.approx((10 + 20 + 30 + 40 + 60000 + 50 + 5) / 7, abs=0.1)
    assert health["b.example"]["other_failures"] == 1
