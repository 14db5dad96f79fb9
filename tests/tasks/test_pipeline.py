"""The pipeline's steps on the bundled example site, served on loopback, without Prefect."""

from __future__ import annotations

import gzip
import io
import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tasks.run_context import RunContext, Sources, new_run_id
from tasks.steps.discover import discover
from tasks.steps.extract import extract_pending, reextract
from tasks.steps.fetch import fetch_and_archive
from tasks.steps.group import group_articles
from tasks.steps.ingest import ingest_warcs
from wirehouse.errors import InputError

MANIFEST = json.loads(
    (Path(__file__).resolve().parents[2] / "examples" / "manifest.json").read_text()
)
FEED = "http://feeds.wirehouse.example/rss.xml"
SITEMAP = "http://feeds.wirehouse.example/sitemap.xml"


def run_all(ctx: RunContext, sources: Sources) -> dict[str, object]:
    found = discover(ctx, sources)
    fetched = fetch_and_archive(ctx, found.urls)
    ingested = ingest_warcs(ctx, list(sources.warcs)) if sources.warcs else None
    extracted = extract_pending(ctx)
    grouped = group_articles(ctx)
    return {
        "found": found,
        "fetched": fetched,
        "ingested": ingested,
        "extracted": extracted,
        "grouped": grouped,
    }


def context(tmp_path: Path, hosts: dict[str, str], name: str = "news") -> RunContext:
    return RunContext(
        db_path=str(tmp_path / f"{name}.duckdb"),
        archive_dir=str(tmp_path / f"{name}-archive"),
        run_id=new_run_id(),
        allow_private_network=True,
        resolve=tuple(sorted(hosts.items())),
    )


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory, example_hosts) -> tuple[RunContext, dict[str, object]]:
    tmp = tmp_path_factory.mktemp("demo")
    ctx = context(tmp, example_hosts)
    return ctx, run_all(ctx, Sources(feeds=(FEED,), sitemaps=(SITEMAP,)))


def rows(ctx: RunContext, sql: str) -> list[tuple]:
    with duckdb.connect(ctx.db_path, read_only=True) as conn:
        return conn.execute(sql).fetchall()


def articles_by_url(ctx: RunContext) -> dict[str, dict[str, object]]:
    with duckdb.connect(ctx.db_path, read_only=True) as conn:
        cursor = conn.execute("select * from articles")
        names = [d[0] for d in cursor.description]
        return {
            row[names.index("url")]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()
        }


def test_every_listed_page_is_fetched_and_the_broken_one_recorded(demo_archive):
    ctx, _ = demo_archive
    expected = {e["url"] for e in MANIFEST}
    fetched = {
        url
        for (url,) in rows(ctx, "select url from fetches where url not like '%feeds.wirehouse%'")
        if not url.endswith("/robots.txt")
    }
    assert fetched == expected
    broken = [e["url"] for e in MANIFEST if e["kind"] == "broken"]
    assert rows(ctx, f"select error, status_code from fetches where url = '{broken[0]}'") == [
        ("http_404", 404)
    ]


def test_front_pages_are_recorded_as_rejections(demo_archive):
    ctx, _ = demo_archive
    rejected = dict(rows(ctx, "select url, reason from rejections"))
    index_pages = {e["url"] for e in MANIFEST if e["kind"] == "index"}
    assert set(rejected) == index_pages
    assert set(rejected.values()) <= {"index_page", "too_short"}


def test_the_seed_story_is_one_story_with_five_articles(demo_archive):
    ctx, _ = demo_archive
    articles = articles_by_url(ctx)
    seed = [e for e in MANIFEST if e["event"] == "putin-lukashenko-sochi"]
    assert len(seed) == 5
    story_ids = {articles[e["url"]]["story_id"] for e in seed}
    assert len(story_ids) == 1
    (story_id,) = story_ids
    (story,) = rows(
        ctx,
        f"select article_count, domain_count, lead_article_id from stories where story_id = '{story_id}'",
    )
    assert story[:2] == (5, 5)

    wire = [e for e in seed if e["wire_text"]]
    rewrite = next(e for e in seed if e["role"] == "rewrite")
    wire_groups = {articles[e["url"]]["copy_group_id"] for e in wire}
    assert len(wire_groups) == 1  # 000 and 002 are copies of one wire text
    assert articles[rewrite["url"]]["copy_group_id"] not in wire_groups  # 001 is not

    lead = next(a for a in articles.values() if a["article_id"] == story[2])
    assert lead["domain"] != "assetbase.example"
    original = next(e for e in wire if e["role"] == "original")
    assert lead["url"] == original["url"]
    aggregator = next(e for e in wire if "assetbase" in e["url"])
    assert articles[aggregator["url"]]["is_group_origin"] is False
    assert articles[original["url"]]["is_group_origin"] is True


def test_aggregator_republish_date_is_not_the_publication_date(demo_archive):
    ctx, _ = demo_archive
    articles = articles_by_url(ctx)
    for entry in MANIFEST:
        if "assetbase" in entry["url"] and entry["kind"] == "article":
            article = articles[entry["url"]]
            assert article["published_at"] is None
            assert article["republished_at"] is not None and article["republished_at"].year == 2025


def test_stories_match_the_labelled_events(demo_archive):
    ctx, _ = demo_archive
    articles = articles_by_url(ctx)
    by_event: dict[str, set[str]] = defaultdict(set)
    for entry in MANIFEST:
        if entry["kind"] == "article":
            by_event[entry["event"]].add(articles[entry["url"]]["story_id"])
    assert all(len(ids) == 1 for ids in by_event.values()), by_event  # no event split
    all_ids = [next(iter(ids)) for ids in by_event.values()]
    assert len(set(all_ids)) == len(all_ids)  # no two events merged (incl. the two missile tests)


def storyline_of_events(ctx: RunContext) -> dict[str, set[str]]:
    """Each labelled event with the story lines its articles are in."""
    line_of_url = dict(
        rows(ctx, "select a.url, s.storyline_id from articles a join stories s using (story_id)")
    )
    by_event: dict[str, set[str]] = defaultdict(set)
    for entry in MANIFEST:
        if entry["kind"] == "article":
            by_event[entry["event"]].add(line_of_url[entry["url"]])
    return by_event


def test_the_two_missile_tests_are_two_stories_of_one_story_line(demo_archive):
    ctx, _ = demo_archive
    lines = storyline_of_events(ctx)
    assert all(len(ids) == 1 for ids in lines.values()), lines  # an event is in one line
    assert lines["nk-missile-1"] == lines["nk-missile-2"]
    others = [next(iter(ids)) for event, ids in lines.items() if event != "nk-missile-2"]
    assert len(set(others)) == len(others)  # no other events share a line
    (line,) = lines["nk-missile-1"]
    assert rows(
        ctx, f"select story_count, article_count from storylines where storyline_id = '{line}'"
    ) == [(2, 4)]
    # The view lists the line's stories oldest first.
    titles = [
        t
        for (t,) in rows(
            ctx, f"select story_title from storyline_stories where storyline_id = '{line}'"
        )
    ]
    assert len(titles) == 2 and "ballistic" in titles[0] and "cruise" in titles[1]


def test_copy_groups_match_the_labelled_wire_texts(demo_archive):
    ctx, _ = demo_archive
    articles = articles_by_url(ctx)
    by_wire: dict[str, set[str]] = defaultdict(set)
    for entry in MANIFEST:
        if entry["kind"] == "article":
            key = entry["wire_text"] or entry["url"]
            by_wire[key].add(articles[entry["url"]]["copy_group_id"])
    assert all(len(ids) == 1 for ids in by_wire.values())
    groups = [next(iter(ids)) for ids in by_wire.values()]
    assert len(set(groups)) == len(groups)


def test_links_say_why_articles_were_joined(demo_archive):
    ctx, _ = demo_archive
    kinds = {kind for (kind,) in rows(ctx, "select distinct kind from article_links")}
    # same_text: the aggregator's republish of the missile story is the wire text word for
    # word (only its headline line differed, and the headline is the title, not the text)
    assert kinds == {"same_text", "near_copy", "same_story", "rewrite"}
    assert rows(
        ctx, "select count(*) from article_links where kind = 'near_copy' and score < 0.5"
    ) == [(0,)]
    articles = articles_by_url(ctx)
    wire_copies = [e["url"] for e in MANIFEST if e["wire_text"] == "ap-putin-lukashenko-sochi"]
    ids = sorted(articles[url]["article_id"] for url in wire_copies)
    assert rows(ctx, f"select kind from article_links where a = '{ids[0]}' and b = '{ids[1]}'") == [
        ("near_copy",)
    ]


def test_the_rewrite_is_flagged_as_derived_from_the_wire_copy(demo_archive):
    ctx, _ = demo_archive
    articles = articles_by_url(ctx)
    original = next(
        e["url"]
        for e in MANIFEST
        if e["wire_text"] == "ap-putin-lukashenko-sochi" and e["role"] == "original"
    )
    rewrite = next(e["url"] for e in MANIFEST if e["role"] == "rewrite")
    assert rows(ctx, "select a, b from article_links where kind = 'rewrite'") == [
        (articles[original]["article_id"], articles[rewrite]["article_id"])
    ]


def test_the_aggregator_is_scored_as_one(demo_archive):
    ctx, _ = demo_archive
    scores = {
        d: (share, agg)
        for d, share, agg in rows(
            ctx, "select domain, copy_share, is_aggregator from domain_scores"
        )
    }
    assert scores["assetbase.example"] == (1.0, True)
    assert not any(agg for domain, (_, agg) in scores.items() if domain != "assetbase.example")


def test_raw_responses_are_in_the_warc_archive(demo_archive):
    ctx, _ = demo_archive
    from tasks.raw_archive import read_payload

    records = rows(ctx, "select url, warc_path, warc_offset, warc_length from raw_records")
    assert len(records) == len([e for e in MANIFEST if e["kind"] != "broken"])
    for url, path, offset, length in records:
        body, content_type = read_payload(ctx.warc_file(path), offset, length)
        host, _, rest = url.removeprefix("http://").partition("/")
        site = Path(__file__).resolve().parents[2] / "examples" / "site" / host
        assert body == (site / (rest or "index.html")).read_bytes()
        assert content_type and content_type.startswith("text/html")


def test_running_twice_gives_the_same_rows(tmp_path, example_hosts):
    sources = Sources(feeds=(FEED,), sitemaps=(SITEMAP,))
    ctx = context(tmp_path, example_hosts)
    run_all(ctx, sources)
    tables = {
        "articles": "select * exclude (extracted_at) from articles order by article_id",
        "stories": "select * exclude (updated_at) from stories order by story_id",
        "storylines": "select * exclude (updated_at) from storylines order by storyline_id",
        "copy_groups": "select * from copy_groups order by all",
        "article_links": "select * from article_links order by all",
        "raw_records": "select * from raw_records order by record_id",
        "rejections": "select * exclude (rejected_at) from rejections order by record_id",
    }
    first = {name: rows(ctx, sql) for name, sql in tables.items()}
    second_ctx = replace(ctx, run_id=new_run_id())
    report = run_all(second_ctx, sources)
    assert report["fetched"].new_records == 0  # same bodies: nothing new archived
    assert report["extracted"].new_articles == 0
    assert report["grouped"].new_stories == 0
    assert {name: rows(ctx, sql) for name, sql in tables.items()} == first
    # fetch attempts are a log: the second run adds its own attempts, one per URL
    assert rows(ctx, "select count(distinct run_id) from fetches") == [(2,)]


def partition(grouping: list[tuple], column: int) -> list[list[str]]:
    """URLs grouped by one key column, as a sorted list of sorted groups (ids left out)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for row in grouping:
        groups[row[column]].append(row[0])
    return sorted(sorted(urls) for urls in groups.values())


def test_same_input_in_another_order_gives_the_same_stories(tmp_path, example_hosts):
    urls = [e["url"] for e in MANIFEST if e["kind"] == "article"]
    first = context(tmp_path, example_hosts, "first")
    second = context(tmp_path, example_hosts, "second")
    run_all(first, Sources(urls=tuple(urls)))
    # the second archive gets the pages in reverse order, over two runs
    run_all(second, Sources(urls=tuple(reversed(urls[8:]))))
    run_all(replace(second, run_id=new_run_id()), Sources(urls=tuple(reversed(urls[:8]))))
    sql = (
        "select a.url, a.story_id, a.copy_group_id, s.storyline_id"
        " from articles a join stories s using (story_id) order by a.url"
    )
    grouping_first = rows(first, sql)
    grouping_second = rows(second, sql)
    assert partition(grouping_first, 2) == partition(grouping_second, 2)
    assert partition(grouping_first, 1) == partition(grouping_second, 1)
    assert partition(grouping_first, 3) == partition(grouping_second, 3)


def test_story_ids_are_stable_when_a_story_grows(tmp_path, example_hosts):
    seed = [e["url"] for e in MANIFEST if e["event"] == "putin-lukashenko-sochi"]
    ctx = context(tmp_path, example_hosts)
    run_all(ctx, Sources(urls=tuple(seed[:2])))
    before = dict(rows(ctx, "select url, story_id from articles"))
    assert len(set(before.values())) == 1
    run_all(replace(ctx, run_id=new_run_id()), Sources(urls=tuple(seed)))
    after = dict(rows(ctx, "select url, story_id from articles"))
    assert set(after.values()) == set(before.values())
    assert len(after) == 5


def test_a_story_line_keeps_its_id_when_a_later_story_joins_it(tmp_path, example_hosts):
    first_test = [e["url"] for e in MANIFEST if e["event"] == "nk-missile-1"]
    second_test = [e["url"] for e in MANIFEST if e["event"] == "nk-missile-2"]
    ctx = context(tmp_path, example_hosts)
    run_all(ctx, Sources(urls=tuple(first_test)))
    sql = "select a.url, s.storyline_id from articles a join stories s using (story_id)"
    (before,) = set(dict(rows(ctx, sql)).values())
    run_all(replace(ctx, run_id=new_run_id()), Sources(urls=tuple(second_test)))
    assert set(dict(rows(ctx, sql)).values()) == {before}
    assert rows(ctx, "select count(*), sum(story_count) from storylines") == [(1, 2)]


def test_bad_sources_are_refused_before_any_work(tmp_path):
    with pytest.raises(InputError, match="not an http"):
        Sources(urls=("ftp://x.example/a",)).validate()
    with pytest.raises(InputError, match="no such file"):
        Sources(urls_file=str(tmp_path / "missing.txt")).validate()
    bad = tmp_path / "urls.txt"
    bad.write_text("https://ok.example/a\nnot a url\n")
    with pytest.raises(InputError, match="line 2"):
        Sources(urls_file=str(bad)).validate()


def test_a_broken_feed_is_recorded_and_the_rest_goes_on(tmp_path, example_hosts, local_server):
    local_server.page(
        "/feed.xml", "<html><body>not a feed</body></html>", content_type="application/xml"
    )
    article = next(e["url"] for e in MANIFEST if e["kind"] == "article")
    ctx = context(tmp_path, example_hosts)
    report = run_all(ctx, Sources(urls=(article,), feeds=(local_server.url("/feed.xml"),)))
    assert report["found"].problems == 1
    assert rows(ctx, "select reason from discovery_problems") == [("malformed_feed",)]
    assert report["extracted"].new_articles == 1


def test_a_page_without_a_date_of_its_own_takes_its_feeds(tmp_path, example_hosts, local_server):
    prose = "".join(
        f"<p>Paragraph {i} of a story that says nothing about when it was written, "
        "only what happened to the harbour and to the people who live beside it.</p>"
        for i in range(8)
    )
    local_server.page(
        "/dateless", f"<html><body><article><h1>Harbour</h1>{prose}</article></body></html>"
    )
    local_server.page(
        "/dated",
        f"<html><head><meta property='article:published_time' content='2024-03-02T10:00:00+01:00'></head><body><article><h1>Harbour</h1>{prose}<p>Another.</p></article></body></html>",
    )
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        + "".join(
            f"<item><link>{local_server.url(path)}</link>"
            "<pubDate>Sun, 03 Mar 2024 23:30:00 -0500</pubDate></item>"
            for path in ("/dateless", "/dated")
        )
        + "</channel></rss>"
    )
    local_server.page("/feed.xml", feed, content_type="application/rss+xml")
    ctx = context(tmp_path, example_hosts)
    run_all(ctx, Sources(feeds=(local_server.url("/feed.xml"),)))
    found = {
        url.rsplit("/", 1)[-1]: (str(day), source)
        for url, day, source in rows(ctx, "select url, published_day, date_source from articles")
    }
    # the feed's instant, on its UTC day; the page that dates itself keeps its own date
    assert found == {"dateless": ("2024-03-04", "feed"), "dated": ("2024-03-02", "meta")}


def test_a_hostile_page_is_recorded_and_the_rest_goes_on(tmp_path, example_hosts, local_server):
    local_server.page(
        "/bomb", gzip.compress(b"<p>" + b"a" * 20_000_000), headers={"Content-Encoding": "gzip"}
    )
    local_server.page("/pdf", b"%PDF-1.4 ...", content_type="application/pdf")
    article = next(e["url"] for e in MANIFEST if e["kind"] == "article")
    ctx = context(tmp_path, example_hosts)
    from wirehouse.settings import FetchSettings, Settings

    ctx = replace(ctx, settings=Settings(fetch=FetchSettings(max_body_bytes=1_000_000)))
    report = run_all(
        ctx, Sources(urls=(article, local_server.url("/bomb"), local_server.url("/pdf")))
    )
    assert report["fetched"].failures == {"too_large": 1, "wrong_type": 1}
    assert report["extracted"].new_articles == 1


def test_warc_input_is_ingested_as_if_fetched(tmp_path, example_hosts):
    entry = next(e for e in MANIFEST if "putin-meets-leader-of-belarus" in e["url"])
    host, _, rest = entry["url"].removeprefix("http://").partition("/")
    body = (Path(__file__).resolve().parents[2] / "examples" / "site" / host / rest).read_bytes()
    warc = tmp_path / "input.warc.gz"
    with warc.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        writer.write_record(
            writer.create_warc_record(
                entry["url"], "response", payload=io.BytesIO(body), http_headers=headers
            )
        )
        writer.write_record(
            writer.create_warc_record(entry["url"], "metadata", payload=io.BytesIO(b"via: crawler"))
        )
        handle.write(b"garbage between records")
    ctx = context(tmp_path, example_hosts)
    report = run_all(ctx, Sources(warcs=(str(warc),)))
    assert report["ingested"].responses == 1
    assert report["ingested"].other_records == 1  # the metadata record: no page, no problem
    assert rows(ctx, "select count(*) from discovery_problems where reason = 'not_response'") == [
        (0,)
    ]
    assert report["extracted"].new_articles == 1
    assert rows(ctx, "select url from articles") == [(entry["url"],)]


ARTICLE_HTML = (
    "<html lang='en'><head><title>Council passes budget</title></head><body><article>"
    "<h1>Council passes budget</h1>"
    + "".join(
        f"<p>Paragraph {i}: the city council approved the spending plan after a long debate "
        f"about buses, parks and the new library on the east side of town.</p>"
        for i in range(8)
    )
    + "</article></body></html>"
)


def local_context(tmp_path: Path) -> RunContext:
    return context(tmp_path, {})


def test_not_modified_answer_costs_no_extraction(tmp_path, local_server):
    def conditional(h) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.send_response(304)
            h.send_header("ETag", '"v1"')
            h.end_headers()
            return
        body = ARTICLE_HTML.encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("ETag", '"v1"')
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    local_server.routes["/story"] = conditional
    ctx = local_context(tmp_path)
    first = run_all(ctx, Sources(urls=(local_server.url("/story"),)))
    assert first["extracted"].new_articles == 1
    second = run_all(replace(ctx, run_id=new_run_id()), Sources(urls=(local_server.url("/story"),)))
    assert second["fetched"].not_modified == 1
    assert second["fetched"].new_records == 0
    assert second["extracted"].extracted == 0
    story_requests = [r for r in local_server.requests if r[0] == "/story"]
    assert story_requests[-1][2].get("If-None-Match") == '"v1"'
    assert rows(
        ctx, "select status_code from fetches where url like '%/story' order by fetched_at"
    ) == [
        (200,),
        (304,),
    ]


def test_same_body_under_a_new_etag_is_not_extracted_again(tmp_path, local_server):
    versions = iter(range(100))

    def fresh_etag(h) -> None:
        body = ARTICLE_HTML.encode()
        h.send_response(200)  # a server that ignores validators and changes its ETag
        h.send_header("Content-Type", "text/html")
        h.send_header("ETag", f'"v{next(versions)}"')
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    local_server.routes["/story"] = fresh_etag
    ctx = local_context(tmp_path)
    run_all(ctx, Sources(urls=(local_server.url("/story"),)))
    second = run_all(replace(ctx, run_id=new_run_id()), Sources(urls=(local_server.url("/story"),)))
    assert second["fetched"].not_modified == 1
    assert second["fetched"].new_records == 0
    assert second["extracted"].extracted == 0


def test_a_changed_page_updates_its_article(tmp_path, local_server):
    local_server.page("/story", ARTICLE_HTML, headers={"ETag": '"a"'})
    ctx = local_context(tmp_path)
    run_all(ctx, Sources(urls=(local_server.url("/story"),)))
    local_server.page(
        "/story",
        ARTICLE_HTML.replace("long debate", "short, heated debate"),
        headers={"ETag": '"b"'},
    )
    second = run_all(replace(ctx, run_id=new_run_id()), Sources(urls=(local_server.url("/story"),)))
    assert second["extracted"].extracted == 1
    assert second["extracted"].new_articles == 0
    texts = rows(ctx, "select text from articles")
    assert len(texts) == 1 and "short, heated debate" in texts[0][0]


def test_a_withdrawal_notice_does_not_replace_the_stored_text(tmp_path, local_server):
    # A page that later showed "This article has been removed ..." (a teaser, an error
    # page served with a 200) replaced the article's text: no query found it again.
    local_server.page("/story", ARTICLE_HTML, headers={"ETag": '"a"'})
    ctx = local_context(tmp_path)
    run_all(ctx, Sources(urls=(local_server.url("/story"),)))
    stored = rows(ctx, "select text, record_id from articles")
    notice = (
        "<html lang='en'><head><title>Council passes budget</title></head><body><article>"
        "<h1>Council passes budget</h1><p>This article has been removed at the request of the "
        "council while the figures it reported are checked again. We apologise to our readers "
        "for any inconvenience this may cause.</p></article></body></html>"
    )
    local_server.page("/story", notice, headers={"ETag": '"b"'})
    second = run_all(replace(ctx, run_id=new_run_id()), Sources(urls=(local_server.url("/story"),)))
    assert second["fetched"].new_records == 1
    assert rows(ctx, "select text, record_id from articles") == stored
    ((reason, detail),) = rows(ctx, "select reason, detail from rejections")
    assert reason == "text_cut" and "gives 30 words of the 208 stored" in detail
    # the notice's record is done with: the next run extracts nothing again
    third = run_all(replace(ctx, run_id=new_run_id()), Sources(urls=(local_server.url("/story"),)))
    assert third["extracted"].extracted == 0
    # an edit that keeps the article replaces it, as before (test_a_changed_page_...)


SOFT_404 = (
    "<html lang='en'><head><title>Page not found | The Courier</title></head><body><article>"
    "<h1>Sorry, we can't find that page.</h1><p>The page you are looking for may have been "
    "moved, deleted, or possibly never existed. Here are some of our top stories instead.</p>"
    "</article></body></html>"
)


def test_a_stand_in_answered_200_is_no_article_and_keeps_the_stored_one(tmp_path, local_server):
    # Soft 404s and bot checks were stored as articles and grouped into stories of their
    # own ("Sorry, we can't find that page." from four sites), with the articles about them.
    local_server.page("/story", ARTICLE_HTML, headers={"ETag": '"a"'})
    local_server.page("/2024/03/11/mayor-runs-again/", SOFT_404)
    local_server.page(
        "/2024/03/12/bank-merger/",
        "<html><head><title>Just a moment...</title></head><body><h2>Checking if the site "
        "connection is secure</h2><script>window._cf_chl_opt={cType: 'managed'};</script>"
        "</body></html>",
    )
    ctx = local_context(tmp_path)
    urls = [local_server.url(path) for path in ("/story", "/2024/03/11/mayor-runs-again/",
                                                "/2024/03/12/bank-merger/")]  # fmt: skip
    first = run_all(ctx, Sources(urls=tuple(urls)))
    # the run counts them by kind: a bot check is the user's to act on, a 404 is not
    assert first["extracted"].rejected == {"unavailable blocked": 1, "unavailable not_found": 1}
    stored = rows(ctx, "select url, text from articles")
    assert [url for url, _ in stored] == [urls[0]]
    assert sorted(rows(ctx, "select url, reason, page_kind from rejections")) == [
        (urls[1], "unavailable", "not_found"),
        (urls[2], "unavailable", "blocked"),
    ]
    # the story's page answers "not found" later: what was stored stays
    local_server.page("/story", SOFT_404, headers={"ETag": '"b"'})
    second = run_all(replace(ctx, run_id=new_run_id()), Sources(urls=(urls[0],)))
    assert second["fetched"].new_records == 1
    assert rows(ctx, "select url, text from articles") == stored
    assert ("unavailable", "not_found") in rows(
        ctx, f"select reason, page_kind from rejections where url = '{urls[0]}'"
    )


def test_each_page_of_a_paged_article_keeps_its_text(tmp_path, local_server):
    # Page 2 (rel=prev, its canonical page 1, as many CMSs write it) was folded into page 1:
    # superseded by it, its paragraphs in no article.
    first, second = local_server.url("/marathon"), local_server.url("/marathon/2")

    def paged(number: int, links: str) -> str:
        paragraphs = "".join(
            f"<p>Part {number}, paragraph {i}: the runners crossed the harbour bridge as the "
            f"crowd along the quay cheered the leaders on towards the old town.</p>"
            for i in range(6)
        )
        return (
            f"<html lang='en'><head><title>Marathon record falls</title>"
            f"<link rel='canonical' href='{first}'>{links}</head><body><article>"
            f"<h1>Marathon record falls</h1>{paragraphs}</article></body></html>"
        )

    local_server.page("/marathon", paged(1, f"<link rel='next' href='{second}'>"))
    local_server.page("/marathon/2", paged(2, f"<link rel='prev' href='{first}'>"))
    ctx = local_context(tmp_path)
    run_all(ctx, Sources(urls=(first, second)))
    stored = dict(rows(ctx, "select url, text from articles"))
    assert set(stored) == {first, second}
    assert "Part 1, paragraph 5" in stored[first] and "Part 2, paragraph 5" in stored[second]
    assert rows(ctx, "select count(*) from superseded_records") == [(0,)]


def test_urls_that_lead_to_one_page_give_one_article(tmp_path, local_server):
    def to_final(h) -> None:
        h.send_response(301)
        h.send_header("Location", "/final")
        h.send_header("Content-Length", "0")
        h.end_headers()

    local_server.routes["/a"] = to_final
    local_server.routes["/b"] = to_final
    local_server.page("/final", ARTICLE_HTML)
    local_server.page(
        "/amp/final",
        ARTICLE_HTML.replace(
            "<head>", f"<head><link rel='canonical' href='{local_server.url('/final')}'>"
        ),
    )
    ctx = local_context(tmp_path)
    urls = (
        local_server.url("/a"),
        local_server.url("/b?utm_source=x"),
        local_server.url("/amp/final"),
    )
    report = run_all(ctx, Sources(urls=urls))
    assert report["extracted"].new_articles == 1
    assert rows(ctx, "select url from articles") == [(local_server.url("/final"),)]
    redirects = rows(ctx, "select redirects from fetches where url like '%/a'")
    assert redirects == [([local_server.url("/final")],)]


def test_a_windows_1251_page_is_stored_readable(tmp_path, local_server):
    text = "Городской совет утвердил бюджет после долгих обсуждений автобусов, парков и библиотеки"
    paragraphs = "".join(
        f"<p>{text}, заседание номер {i}, продолжалось до вечера.</p>" for i in range(6)
    )
    body = f"<html><body><article><h1>Бюджет</h1>{paragraphs}</article></body></html>"
    local_server.page("/ru", body.encode("cp1251"), content_type="text/html; charset=windows-1251")
    local_server.page(
        "/ru-meta",
        (f"<meta charset='windows-1251'>{body}").encode("cp1251"),
        content_type="text/html",
    )
    ctx = local_context(tmp_path)
    run_all(ctx, Sources(urls=(local_server.url("/ru"), local_server.url("/ru-meta"))))
    stored = [t for (t,) in rows(ctx, "select text from articles")]
    assert len(stored) == 2 and all("Городской совет утвердил бюджет" in t for t in stored)
    assert rows(ctx, "select distinct language from articles") == [("ru",)]


def test_reextraction_keeps_what_changed(tmp_path, example_hosts):
    from wirehouse.settings import ExtractSettings, Settings

    ctx = context(tmp_path, example_hosts)
    first = run_all(ctx, Sources(feeds=(FEED,), sitemaps=(SITEMAP,)))
    articles = first["extracted"].new_articles
    # as if a new extractor version found every page too short
    strict = replace(ctx, settings=Settings(extract=ExtractSettings(min_words=100_000)))
    changes = reextract(strict)
    assert (changes.now_rejected, changes.changed, changes.new_articles) == (articles, 0, 0)
    assert changes.rejected_reasons == {"too_short": articles}
    assert rows(ctx, "select count(*) from articles") == [(0,)]
    back = reextract(ctx)
    assert back.new_articles == articles
    assert back.unchanged == changes.records - articles  # the front pages stayed rejected
    assert rows(ctx, "select count(*) from articles") == [(articles,)]


def test_a_story_that_grows_into_another_keeps_the_older_id_and_records_the_merge(tmp_path):
    """Two reports of one event that share nothing start two stories; a third that bridges
    them merges them: the older id stays, the other is recorded in story_merges."""
    from datetime import UTC, datetime

    from tasks.articles import save_extractions
    from wirehouse.db import open_archive
    from wirehouse.records import Extraction

    def report(i: int, text: str, day: int) -> Extraction:
        return Extraction(
            record_id=f"r{i}", url=f"https://site{i}.example/story", canonical_url=None,
            title=None, author=None, page_date=datetime(2024, 3, day, tzinfo=UTC),
            sitename=None, language="en", text=text, boilerplate_ratio=0.3,
        )  # fmt: skip

    left = "Flooding closed the Rhine harbour at Duisburg; barges waited as pumps failed. " * 6
    right = "Emergency crews in Koblenz evacuated riverside homes as levees gave way. " * 6
    ctx = context(tmp_path, {})
    with open_archive(ctx.db_path) as conn:
        save_extractions(conn, [(report(1, left, 1), datetime.now(UTC))])
    group_articles(ctx)
    with open_archive(ctx.db_path) as conn:
        save_extractions(conn, [(report(2, right, 2), datetime.now(UTC))])
    group_articles(ctx)
    before = dict(rows(ctx, "select url, story_id from articles"))
    assert len(set(before.values())) == 2
    with open_archive(ctx.db_path) as conn:
        save_extractions(conn, [(report(3, left + right, 2), datetime.now(UTC))])
    group_articles(ctx)
    after = dict(rows(ctx, "select url, story_id from articles"))
    assert len(set(after.values())) == 1
    kept = before["https://site1.example/story"]  # the older story keeps its id
    assert set(after.values()) == {kept}
    assert rows(ctx, "select merged_story_id, into_story_id from story_merges") == [
        (before["https://site2.example/story"], kept)
    ]
