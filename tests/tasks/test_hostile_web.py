"""A hostile web, served on loopback by the tests themselves: each case beside a good page
that must still be archived, through the steps a user's `wirehouse run` takes."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import subprocess
import sys
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest

from tasks import sequence
from tasks.chunked_load import ChunkedLoad
from tasks.fetch import Fetcher, FetchPolicy, Page, StaticResolver, make_client
from tasks.listings import parse_sitemap
from tasks.raw_archive import WarcArchive
from tasks.run_context import RunContext, Sources, new_run_id
from tasks.steps import discover as discover_step
from tasks.steps.discover import discover
from tasks.steps.extract import extract_pending, reextract
from tasks.steps.fetch import fetch_and_archive, fetch_and_extract
from tasks.steps.ingest import ingest_unrecorded, ingest_warcs
from wirehouse.db import open_archive, query
from wirehouse.errors import StorageError, StorageUnavailable
from wirehouse.records import FetchAttempt
from wirehouse.settings import ArchiveSettings, ExtractSettings, FetchSettings, Settings

ARTICLE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    + "<p>{title}: the council met on Tuesday and agreed the plan after a long debate. "
    "Residents had asked for changes for years, and the vote was close in the end.</p>"
    * 4
    + "</article></body></html>"
)


def article(title: str) -> bytes:
    return ARTICLE.format(title=title).encode()


def context(tmp_path: Path, **settings: object) -> RunContext:
    fetch = {k: v for k, v in settings.items() if k in FetchSettings.__dataclass_fields__}
    archive = {k: v for k, v in settings.items() if k in ArchiveSettings.__dataclass_fields__}
    return RunContext(
        db_path=str(tmp_path / "news.duckdb"),
        archive_dir=str(tmp_path / "news-archive"),
        run_id=new_run_id(),
        settings=Settings(
            fetch=FetchSettings(**{"backoff_base_s": 0.01, **fetch}),  # type: ignore[arg-type]
            archive=ArchiveSettings(**archive),  # type: ignore[arg-type]
        ),
        allow_private_network=True,
    )


def rows(ctx: RunContext, sql: str) -> list[tuple]:
    with duckdb.connect(ctx.db_path, read_only=True) as conn:
        return conn.execute(sql).fetchall()


def last_attempts(ctx: RunContext) -> dict[str, tuple[str | None, int]]:
    """Each URL's last error (None for success) and how many attempts it took."""
    found = rows(ctx, "select url, error, attempt from fetches order by fetch_id")
    return {url: (error, attempt) for url, error, attempt in found}


def raw_response(status: int, headers: dict[str, str], body: bytes | Callable[[], bytes]):
    """A route answering ``body`` (or what ``body()`` gives at each request: a page that
    changes between runs)."""

    def handle(h: BaseHTTPRequestHandler) -> None:
        data = body() if callable(body) else body
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return handle


# ------------------------------------------------------------------ names and addresses


def test_idn_hosts_and_idn_redirects_are_fetched_by_their_a_label(local_server, tmp_path):
    port = local_server.port
    local_server.page("/idn", article("Bücher"))
    local_server.page("/after-redirect", article("Straße"))
    local_server.routes["/go"] = raw_response(
        302, {"Location": f"http://straße.example:{port}/after-redirect"}, b""
    )
    local_server.page("/good", article("Good page"))
    feed = (
        f'<rss version="2.0"><channel><title>f</title><item><title>x</title>'
        f"<link>http://bücher.example:{port}/idn</link></item></channel></rss>"
    )
    local_server.page("/feed.xml", feed, content_type="application/rss+xml")
    ctx = replace(
        context(tmp_path),
        resolve=(("bücher.example", f"127.0.0.1:{port}"), ("straße.example", f"127.0.0.1:{port}")),
    )
    summary = sequence.archive(
        ctx,
        Sources(
            urls=(local_server.url("/go"), local_server.url("/good")),
            feeds=(local_server.url("/feed.xml"),),
        ),
    )
    assert summary.failures == {}
    assert summary.new_articles == 3
    hosts = {host for path, host, _ in local_server.requests if path in ("/idn", "/after-redirect")}
    assert hosts == {f"xn--bcher-kva.example:{port}", f"xn--strae-oqa.example:{port}"}
    stored = {url for (url,) in rows(ctx, "select url from articles")}
    assert f"http://xn--bcher-kva.example:{port}/idn" in stored


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("metadata.example", "169.254.169.254"),
        ("alibaba-metadata.example", "100.100.100.200"),  # shared address space 100.64/10
        ("cgnat.example", "100.64.0.1"),
        ("sixtofour.example", "2002:a9fe:a9fe::"),  # 6to4 wrapping 169.254.169.254
        ("sixtofour-private.example", "2002:0a00:0001::1"),  # 6to4 wrapping 10.0.0.1
        ("teredo.example", "2001:0:4136:e378:8000:63bf:3fff:fdd2"),
        ("nat64.example", "64:ff9b::a9fe:a9fe"),
        ("mapped.example", "::ffff:127.0.0.1"),
        ("ula.example", "fd00:ec2::254"),
        ("benchmark.example", "198.18.0.1"),
        ("unspecified.example", "0.0.0.0"),
    ],
)
def test_every_address_that_is_not_global_is_refused(tmp_path, name, address):
    """A mocked resolver answers every address class; nothing leaves loopback."""
    ctx = replace(context(tmp_path), allow_private_network=False, resolve=((name, address),))
    report = fetch_and_archive(ctx, [f"http://{name}/story"])
    assert report.failures == {"private_address": 1}
    (detail,) = [d for (d,) in rows(ctx, "select detail from fetches where url like '%/story'")]
    assert address.split("::")[0] in detail or name in detail


def test_bytes_a_server_sends_past_its_answer_never_answer_another_site(local_server, tmp_path):
    """Two sites on one address (a CDN, a shared host, --resolve): the first sends a whole
    second response after the one its Content-Length covers; that must not be read as the
    second site's page. Connections were kept per address, so it was."""

    def liar(h: BaseHTTPRequestHandler) -> None:
        body = article("Liar page")
        injected = article("Injected page")
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(  # one write: the extra response arrives with the body
            body + b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
            + f"Content-Length: {len(injected)}\r\n\r\n".encode() + injected
        )  # fmt: skip

    local_server.routes["/liar"] = liar
    local_server.page("/story", article("Victim story"))
    port = local_server.port
    # One host at a time, one request at a time: the victim's request comes right after.
    ctx = replace(
        context(tmp_path, obey_robots=False, max_concurrency=1, per_host_concurrency=1),
        resolve=(
            ("a-liar.example", f"127.0.0.1:{port}"),
            ("b-victim.example", f"127.0.0.1:{port}"),
        ),
    )
    summary = sequence.archive(
        ctx,
        Sources(
            urls=(f"http://a-liar.example:{port}/liar", f"http://b-victim.example:{port}/story")
        ),
    )
    assert summary.failures == {}
    titles = dict(rows(ctx, "select domain, title from articles"))
    assert titles == {"a-liar.example": "Liar page", "b-victim.example": "Victim story"}


def test_cookies_stay_with_one_fetchs_redirects(local_server, tmp_path):
    """A cookie a site sets is sent back along that fetch's redirects (a cookie check), and
    never to another site on the same address, nor to the site's next page."""

    def sets_cookies(h: BaseHTTPRequestHandler) -> None:
        body = article("Cookie jar")
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(body)))
        for i in range(50):
            h.send_header("Set-Cookie", f"c{i}={'v' * 500}; Path=/")
        h.end_headers()
        h.wfile.write(body)

    def cookie_check(h: BaseHTTPRequestHandler) -> None:
        if "checked=1" in (h.headers.get("Cookie") or ""):
            raw_response(200, {"Content-Type": "text/html"}, article("Checked"))(h)
        else:
            raw_response(302, {"Location": "/check", "Set-Cookie": "checked=1; Path=/"}, b"")(h)

    local_server.routes["/jar"] = sets_cookies
    local_server.routes["/check"] = cookie_check
    local_server.page("/other", article("Other site"))
    local_server.page("/next", article("Next page"))
    port = local_server.port
    ctx = replace(
        context(tmp_path, obey_robots=False, max_concurrency=1, per_host_concurrency=1),
        resolve=(("a.example", f"127.0.0.1:{port}"), ("b.example", f"127.0.0.1:{port}")),
    )
    urls = [f"http://a.example:{port}/jar", f"http://a.example:{port}/check"]
    urls += [f"http://a.example:{port}/next", f"http://b.example:{port}/other"]
    report = fetch_and_archive(ctx, urls)
    assert report.failures == {}
    assert report.fetched == 4
    sent = {
        (path, host.split(":")[0]): headers.get("Cookie")
        for path, host, headers in local_server.requests
    }
    assert sent[("/check", "a.example")] == "checked=1"  # the redirect's second request
    assert sent[("/next", "a.example")] is None
    assert sent[("/other", "b.example")] is None


def test_header_values_a_request_cannot_carry_back_cost_nothing(local_server, tmp_path):
    # Each was an internal_error with a traceback: a non-ASCII cookie set on a redirect (the
    # page behind it lost), a non-ASCII ETag or Last-Modified (sent back on the next run:
    # the page could never be fetched again), a Retry-After of "²" (a digit to Python).
    page = article("Header values")
    local_server.routes["/redirect"] = raw_response(
        302, {"Location": "/target", "Set-Cookie": "s=caf\xc3\xa9; Path=/"}, b""
    )
    local_server.page("/target", page)
    validators = {"Content-Type": "text/html", "ETag": '"caf\xc3\xa9"',
                  "Last-Modified": "Tue, 05 Mar 2024 10:00:00 GMT\xe9"}  # fmt: skip
    local_server.routes["/etag"] = raw_response(200, validators, page)
    answers = iter([raw_response(503, {"Retry-After": "\u00b2"}, b"busy")])

    def busy_once(h: BaseHTTPRequestHandler) -> None:
        next(answers, raw_response(200, {"Content-Type": "text/html"}, page))(h)

    local_server.routes["/busy"] = busy_once
    urls = [local_server.url(path) for path in ("/redirect", "/etag", "/busy")]
    ctx = context(tmp_path, obey_robots=False)
    for _ in range(2):
        report = fetch_and_archive(replace(ctx, run_id=new_run_id()), urls)
        assert report.failures == {}
    assert {path for path, _, _ in local_server.requests} >= {"/target", "/etag", "/busy"}


def test_one_urls_unexpected_error_is_recorded_and_the_rest_go_on(local_server, tmp_path):
    class Exploding(StaticResolver):
        async def resolve(self, host: str, port: int) -> list[tuple[str, int]]:
            if host == "boom.example":
                raise RuntimeError("resolver blew up")
            return await super().resolve(host, port)

    local_server.page("/good", article("Good page"))
    ctx = context(tmp_path, obey_robots=False)
    ctx_resolver = Exploding({})
    original = RunContext.resolver
    try:
        RunContext.resolver = lambda self: ctx_resolver  # type: ignore[method-assign]
        report = fetch_and_archive(ctx, ["http://boom.example/x", local_server.url("/good")])
    finally:
        RunContext.resolver = original  # type: ignore[method-assign]
    assert report.fetched == 1
    assert report.failures == {"internal_error": 1}
    attempts = last_attempts(ctx)
    assert attempts["http://boom.example/x"] == ("internal_error", 1)


def test_a_listing_that_fails_unexpectedly_is_a_problem_row(local_server, tmp_path, monkeypatch):
    local_server.page("/feed.xml", "<rss/>", content_type="application/rss+xml")
    local_server.page("/good", article("Good page"))

    def explode(body: bytes, url: str, max_bytes: int) -> list[object]:
        raise RecursionError("parser gave up")

    monkeypatch.setattr(discover_step, "parse_feed", explode)
    ctx = context(tmp_path)
    summary = sequence.archive(
        ctx, Sources(urls=(local_server.url("/good"),), feeds=(local_server.url("/feed.xml"),))
    )
    assert summary.new_articles == 1
    problems = rows(ctx, "select source, reason from discovery_problems")
    assert problems == [(local_server.url("/feed.xml"), "internal_error")]


# ------------------------------------------------------------------ bodies


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


def _deflate(data: bytes) -> bytes:
    return zlib.compress(data, 9)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """256 MB of zeros, gzipped (about 250 KB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join(packer.compress(block) for _ in range(256)) + packer.flush()


@pytest.mark.parametrize(
    ("coding", "wrap"),
    [
        ("gzip", lambda b: b),
        ("gzip, gzip", _gzip),
        ("gzip, deflate", _deflate),
        ("gzip, gzip, gzip", lambda b: _gzip(_gzip(b))),
    ],
)
def test_stacked_compression_bombs_are_cut_at_the_limit(local_server, bomb, coding, wrap):
    body = wrap(bomb)
    local_server.routes["/bomb"] = raw_response(
        200, {"Content-Type": "text/html", "Content-Encoding": coding}, body
    )
    settings = FetchSettings(max_body_bytes=1_000_000)

    async def fetch_once() -> Page | FetchAttempt:
        async with make_client(settings) as client:
            return await Fetcher(client, FetchPolicy(settings, True)).fetch(
                local_server.url("/bomb")
            )

    import asyncio

    tracemalloc.start()
    try:
        result = asyncio.run(fetch_once())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result, FetchAttempt) and result.error == "too_large"
    assert not result.retryable
    assert peak < 8_000_000, f"peak {peak / 1e6:.1f} MB for a {len(body)}-byte {coding} bomb"


def test_a_bomb_costs_its_page_only(local_server, tmp_path, bomb):
    local_server.routes["/bomb"] = raw_response(
        200, {"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"}, _gzip(bomb)
    )
    local_server.routes["/feed-bomb"] = raw_response(
        200,
        {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip, gzip"},
        _gzip(bomb),
    )
    local_server.routes["/good"] = raw_response(
        200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip.compress(article("A"))
    )
    ctx = context(tmp_path, max_body_bytes=1_000_000, max_feed_bytes=2_000_000)
    summary = sequence.archive(
        ctx,
        Sources(
            urls=(local_server.url("/bomb"), local_server.url("/good")),
            feeds=(local_server.url("/feed-bomb"),),
        ),
    )
    assert summary.new_articles == 1
    # the feed's own reason, not "discovery" alone
    assert summary.failures == {"too_large": 1, "discovery:too_large": 1}
    assert rows(ctx, "select reason from discovery_problems") == [("too_large",)]


def test_a_page_gzipped_twice_under_one_label_or_with_none_is_archived(local_server, tmp_path):
    # A server compressing what its application compressed already, or gzip sent unlabelled:
    # the page arrived as gzip's bytes and was rejected as `empty`.
    twice = gzip.compress(gzip.compress(article("Twice")))
    local_server.routes["/twice"] = raw_response(
        200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, twice
    )
    local_server.routes["/unlabelled"] = raw_response(
        200, {"Content-Type": "text/html"}, gzip.compress(article("Unlabelled"))
    )
    local_server.routes["/bomb"] = raw_response(
        200, {"Content-Type": "text/html"}, gzip.compress(b" " * 30_000_000)
    )
    ctx = context(tmp_path, max_body_bytes=1_000_000)
    urls = ("/twice", "/unlabelled", "/bomb")
    summary = sequence.archive(ctx, Sources(urls=tuple(map(local_server.url, urls))))
    assert summary.new_articles == 2
    assert sorted(t for (t,) in rows(ctx, "select title from articles")) == ["Twice", "Unlabelled"]
    assert rows(ctx, "select reason, detail from rejections") == [
        ("too_large", "gzipped bytes that unpack past 20,000,000 bytes")
    ]


def test_an_unsupported_content_coding_is_a_clear_failure(local_server, tmp_path):
    local_server.routes["/zstd"] = raw_response(
        200, {"Content-Type": "text/html", "Content-Encoding": "zstd"}, b"\x28\xb5\x2f\xfd"
    )
    ctx = context(tmp_path)
    report = fetch_and_archive(ctx, [local_server.url("/zstd")])
    assert report.failures == {"bad_encoding_unsupported_encoding": 1}


def test_a_slow_drip_is_cut_by_the_total_timeout(local_server, tmp_path):
    def drip(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        try:
            for _ in range(100):
                h.wfile.write(b"<p>x</p>")
                h.wfile.flush()
                time.sleep(0.2)
        except OSError:
            return

    local_server.routes["/drip"] = drip
    local_server.page("/good", article("Good page"))
    ctx = context(tmp_path, total_timeout_s=1.0, read_timeout_s=5.0, max_retries=3)
    started = time.monotonic()
    report = fetch_and_archive(ctx, [local_server.url("/drip"), local_server.url("/good")])
    assert time.monotonic() - started < 10
    assert report.fetched == 1
    assert report.failures == {"timeout": 1}
    # not tried again: it would trickle again (4 tries of the whole time held a run)
    assert [path for path, _, _ in local_server.requests].count("/drip") == 1


def _extracted_beside_63_good_pages(
    local_server, tmp_path: Path, path: str, body: bytes
) -> RunContext:
    """``path`` and 63 good pages fetched and extracted with a one-second time limit:
    enough pages for the worker processes, as a real run extracts them."""
    local_server.page(path, body)
    good = [f"/good-{i}" for i in range(63)]
    for page in good:
        local_server.page(page, article(f"Good page {page}"))
    ctx = context(tmp_path, obey_robots=False)
    ctx = replace(ctx, settings=replace(ctx.settings, extract=ExtractSettings(max_extract_s=1.0)))
    started = time.monotonic()
    report = fetch_and_extract(ctx, [local_server.url(path), *map(local_server.url, good)])
    assert time.monotonic() - started < 60  # the hard limit is 2 x 1 s + 10 s
    assert report.fetched == 64
    assert report.rejected == {"too_slow": 1}
    assert rows(ctx, "select count(*) from articles") == [(63,)]
    return ctx


def test_a_page_that_extracts_too_slowly_costs_its_page_only(local_server, tmp_path):
    """Thousands of tiny paragraphs make trafilatura's passes quadratic (300,000 ran for
    over 5 minutes): the page is cut at the limit and rejected, and the other pages are
    archived."""
    slow = (
        b"<html><body><article>" + article("Slow")[60:-30] * 1000 + b"<p>a</p>" * 30_000
        + b"</article></body></html>"
    )  # fmt: skip
    ctx = _extracted_beside_63_good_pages(local_server, tmp_path, "/slow", slow)
    assert rows(ctx, "select reason from rejections") == [("too_slow",)]


def test_a_page_that_holds_its_worker_in_one_c_call_is_stopped(local_server, tmp_path):
    """A tag of 240,000 attributes keeps lxml's parser in one C call for about two minutes
    (quadratic), where no signal reaches Python: the run stops that worker at the hard
    limit, rejects the page, and extracts the others in fresh workers."""
    hostile = b"<html><body><div " + b" ".join(b"a%d=x" % i for i in range(240_000))
    body = hostile + b">Hi</div>" + article("Held")[12:]
    ctx = _extracted_beside_63_good_pages(local_server, tmp_path, "/attributes", body)
    ((reason, detail),) = rows(ctx, "select reason, detail from rejections")
    assert reason == "too_slow" and "worker was stopped" in detail


def test_a_huge_json_ld_block_costs_no_more_memory_than_its_page(local_server, tmp_path):
    """trafilatura's JSON-LD reader held about 130 bytes per character of JSON-LD (3 MB of
    it took 390 MB); such a block is left to wirehouse's own reader, and the page is
    archived with its JSON-LD author as any other."""
    ld = json.dumps(
        {"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ada Lovelace"},
         "description": "x" * 3_000_000}
    )  # fmt: skip
    page = article("Huge JSON-LD").replace(
        b"</head>", f'<script type="application/ld+json">{ld}</script></head>'.encode()
    )
    local_server.page("/huge-ld", page)
    local_server.page("/good", article("Good page"))
    ctx = context(tmp_path, obey_robots=False)
    tracemalloc.start()
    try:
        report = fetch_and_extract(ctx, [local_server.url("/huge-ld"), local_server.url("/good")])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.fetched == 2 and report.rejected == {}
    # About 200 MB: the language model loads in this process (a small run extracts here).
    assert peak < 300_000_000, f"peak {peak / 1e6:.0f} MB for a {len(page) / 1e6:.0f} MB page"
    assert rows(ctx, "select title, author from articles order by title") == [
        ("Good page", None),
        ("Huge JSON-LD", "Ada Lovelace"),
    ]


def test_a_lone_surrogate_in_json_ld_or_a_json_feed_costs_nothing_else(local_server, tmp_path):
    # json.loads keeps "\ud800", which no UTF-8 can hold: writing the page's author (or
    # the feed item's title, a hint) failed the whole load, and the run lost every page.
    ld = '{"@type": "NewsArticle", "author": {"@type": "Person", "name": "Maria \\ud800 Lopez"}}'
    page = article("Harbour road closes").replace(
        b"<head>", f'<head><script type="application/ld+json">{ld}</script>'.encode()
    )
    local_server.page("/surrogate", page)
    local_server.page("/good", article("Council approves the library wing"))
    local_server.page("/listed", article("Ferries wait for the tide"))
    item = {"url": local_server.url("/listed"), "title": "x"}
    feed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [item]})
    local_server.page(
        "/feed.json", feed.replace('"x"', '"\\ud800"'), content_type="application/feed+json"
    )
    ctx = context(tmp_path, obey_robots=False)
    summary = sequence.archive(
        ctx,
        Sources(
            urls=(local_server.url("/surrogate"), local_server.url("/good")),
            feeds=(local_server.url("/feed.json"),),
        ),
    )
    assert summary.new_articles == 3 and summary.failures == {}
    authors = {author for (author,) in rows(ctx, "select author from articles")}
    assert "Maria ? Lopez" in authors


def test_a_title_and_author_of_megabytes_are_cut_not_stored_whole(local_server, tmp_path):
    # The page's <title> and <h1> both: a headline of 250 KB, and an author of 400 KB.
    page = article("Word " * 50_000).replace(
        b"</head>", b'<meta name="author" content="' + b"Ada " * 100_000 + b'"></head>'
    )
    local_server.page("/huge-title", page)
    ctx = context(tmp_path, obey_robots=False)
    summary = sequence.archive(ctx, Sources(urls=(local_server.url("/huge-title"),)))
    assert summary.new_articles == 1
    ((title, author, story_title),) = rows(
        ctx, "select a.title, a.author, s.title from articles a join stories s using (story_id)"
    )
    assert 500 < len(title) <= 1_001 and title.startswith("Word Word") and title.endswith("…")
    assert len(author) <= 301 and story_title == title


@pytest.mark.parametrize(
    "location",
    ["http://[::1", "http://exa\u2603\u2603..mple/", "javascript:alert(1)", "http://", ""],
)
def test_an_invalid_or_missing_location_is_a_final_error_not_retried(
    local_server, tmp_path, location
):
    def moved(h: BaseHTTPRequestHandler) -> None:  # raw bytes, as a careless server sends them
        said = b"Location: " + location.encode() + b"\r\n" if location else b""  # none at all
        h.wfile.write(
            b"HTTP/1.1 301 Moved Permanently\r\n" + said
            + b"Content-Type: text/html\r\nContent-Length: 20\r\n\r\n<p>Moved away.</p>\r\n"
        )  # fmt: skip

    local_server.routes["/moved"] = moved
    local_server.page("/good", article("Good page"))
    ctx = context(tmp_path)
    report = fetch_and_archive(ctx, [local_server.url("/moved"), local_server.url("/good")])
    assert report.fetched == 1
    assert report.retries == 0
    assert last_attempts(ctx)[local_server.url("/moved")] == ("bad_redirect", 1)
    assert [p for p, _, _ in local_server.requests].count("/moved") == 1


# ------------------------------------------------------------------ listings and WARC files


def test_a_sitemap_index_over_the_cap_says_what_it_skipped(local_server, tmp_path):
    children = [f"/sitemap-{i}.xml" for i in range(5)]
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<sitemap><loc>{local_server.url(c)}</loc></sitemap>" for c in children)
        + "</sitemapindex>"
    )
    local_server.page("/index.xml", index, content_type="application/xml")
    for i, child in enumerate(children):
        local_server.page(
            child,
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{local_server.url(f'/page-{i}')}</loc></url></urlset>",
            content_type="application/xml",
        )
        local_server.page(f"/page-{i}", article(f"Page {i}"))
    ctx = context(tmp_path, max_sitemaps=3)
    found = discover(ctx, Sources(sitemaps=(local_server.url("/index.xml"),)))
    assert len(found.urls) == 2  # the index and two of its five sitemaps
    ((source, reason, detail),) = rows(ctx, "select source, reason, detail from discovery_problems")
    assert (source, reason) == (local_server.url("/index.xml"), "too_many_sitemaps")
    assert "3 of 5 nested sitemaps skipped" in detail and "WIREHOUSE_MAX_SITEMAPS=3" in detail


def test_a_host_listing_more_pages_than_a_run_fetches_is_worked_through_over_runs(
    local_server, tmp_path
):
    # A sitemap index may list millions of one site's pages: a run fetching them all at a
    # polite pace would take weeks. Each run fetches a budget of them, new pages first.
    pages = [f"/page-{i}" for i in range(7)]
    for path in pages:
        local_server.page(path, article(f"Story {path[-1]}"))
    local_server.page("/given", article("Given"))
    sitemap = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>{local_server.url(p)}</loc></url>" for p in pages)
        + "</urlset>"
    )
    local_server.page("/sitemap.xml", sitemap, content_type="application/xml")
    sources = Sources(
        sitemaps=(local_server.url("/sitemap.xml"),), urls=(local_server.url("/given"),)
    )

    def run() -> list[str]:
        local_server.requests.clear()
        sequence.archive(context(tmp_path, max_pages_per_host=3), sources)
        # (two at a time: in no set order)
        return sorted(path for path, _, _ in local_server.requests if path.startswith("/page-"))

    assert run() == pages[:3]
    ((source, reason, detail),) = rows(
        context(tmp_path), "select source, reason, detail from discovery_problems"
    )
    assert (source, reason) == (local_server.url("/"), "over_host_budget")
    assert "4 of the 7 pages listed on 127.0.0.1 left for the next runs" in detail
    assert "WIREHOUSE_MAX_PAGES_PER_HOST=3" in detail
    assert run() == pages[3:6]  # the pages never fetched first
    assert run() == [*pages[:2], pages[6]]  # then the longest unvisited
    ctx = context(tmp_path)
    assert rows(ctx, "select count(*) from articles") == [(8,)]  # the given page every run


def test_a_sitemap_that_lists_itself_under_other_spellings_is_read_once(local_server, tmp_path):
    # "#1", "#2", ..., the host in capitals, the default port written out: one file each
    # time, which was fetched and parsed again for every spelling (a red-team probe's 100
    # spellings of a 50,000-URL sitemap took 4 minutes and 1.8 GB).
    own = local_server.url("/sitemap.xml")
    spellings = [f"{own}#{n}" for n in range(20)] + [own.replace("http://", "HTTP://")]
    local_server.page(
        "/sitemap.xml",
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{local_server.url('/page')}</loc></url>"
        + "".join(f"<sitemap><loc>{spelling}</loc></sitemap>" for spelling in spellings)
        + "</urlset>",
        content_type="application/xml",
    )
    ctx = context(tmp_path)
    found = discover(ctx, Sources(sitemaps=(own,)))
    assert found.urls == [local_server.url("/page")]
    assert [path for path, _, _ in local_server.requests].count("/sitemap.xml") == 1


def test_a_url_that_redirects_is_unchanged_on_the_next_runs_not_archived_again(
    local_server, tmp_path
):
    # Its body is stored under the address it redirected to; it was looked up under the
    # address asked for, so every run archived it again, in a file no record pointed at,
    # and from the third run on each run failed with "unindexed_archive_file".
    local_server.routes["/old"] = raw_response(
        301, {"Location": "/new/", "Content-Length": "0"}, b""
    )
    local_server.page("/new/", article("Snowy owl seen at the lake"))
    ctx = context(tmp_path, obey_robots=False)
    sources = Sources(urls=(local_server.url("/old"),))
    summaries = [sequence.archive(replace(ctx, run_id=new_run_id()), sources) for _ in range(3)]
    assert [(s.fetched, s.not_modified, s.failures) for s in summaries] == [
        (1, 0, {}),
        (0, 1, {}),
        (0, 1, {}),
    ]
    assert rows(ctx, "select count(*) from raw_records") == [(1,)]
    assert len(list(Path(ctx.archive_dir).rglob("*.warc.gz"))) == 1


def test_an_article_whose_address_now_redirects_to_another_is_kept_once(local_server, tmp_path):
    # The headline was edited and the address with it, the old one answering 301: the old
    # address's article stayed beside the new one, counted as its copy.
    moved = {"yet": False}
    page = article("Lakefront marathon draws a record field")
    old = raw_response(200, {"Content-Type": "text/html"}, page)
    gone = raw_response(301, {"Location": "/sports/lakefront-marathon-record-field.html"}, b"")
    local_server.routes["/news/marathon.html"] = lambda h: (gone if moved["yet"] else old)(h)
    local_server.page("/sports/lakefront-marathon-record-field.html", page)
    ctx = context(tmp_path, obey_robots=False)
    sources = Sources(urls=(local_server.url("/news/marathon.html"),))
    for moved["yet"] in (False, True, True):
        summary = sequence.archive(replace(ctx, run_id=new_run_id()), sources)
    assert summary.failures == {}
    new_address = local_server.url("/sports/lakefront-marathon-record-field.html")
    assert rows(ctx, "select url from articles") == [(new_address,)]
    assert rows(ctx, "select article_count from stories") == [(1,)]
    assert rows(ctx, "select count(*) from copy_groups where member_count > 1") == [(0,)]
    pending = rows(ctx, "select count(*) from (" + query("pending_records") + ")")
    assert pending == [(0,)]


def test_a_page_back_to_an_earlier_text_holds_that_text_again(local_server, tmp_path):
    # A story withdrawn for a day and restored: the restored body is one the archive holds
    # already (same address, same bytes), so it was taken as unchanged and the archive
    # kept the withdrawal notice.
    texts = {"v": "story"}
    story = article("Factory fire: the full story")
    notice = article("This story has been temporarily withdrawn while we review a complaint")

    local_server.routes["/fire"] = raw_response(
        200, {"Content-Type": "text/html"}, lambda: story if texts["v"] == "story" else notice
    )
    ctx = context(tmp_path, obey_robots=False)
    sources = Sources(urls=(local_server.url("/fire"),))
    for version in ("story", "notice", "story"):
        texts["v"] = version
        sequence.archive(replace(ctx, run_id=new_run_id()), sources)
        (title,) = rows(ctx, "select title from articles")
        assert ("Factory fire" in title[0]) == (version == "story"), version
    pending = rows(ctx, "select count(*) from (" + query("pending_records") + ")")
    assert pending == [(0,)] and rows(ctx, "select count(*) from raw_records") == [(2,)]


def test_a_page_taken_down_is_listed_as_gone_and_keeps_its_text_until_it_is_back(
    local_server, tmp_path
):
    answers = {"status": 200}
    story = article("Factory fire: the full story")

    def handle(h: BaseHTTPRequestHandler) -> None:
        raw_response(answers["status"], {"Content-Type": "text/html"}, story)(h)

    local_server.routes["/fire"] = handle
    ctx = context(tmp_path, obey_robots=False)
    sources = Sources(urls=(local_server.url("/fire"),))
    gone = "select status_code, gone_since, last_fetched_at from gone_articles"
    seen = []
    for status in (200, 404, 410, 200):
        answers["status"] = status
        sequence.archive(replace(ctx, run_id=new_run_id()), sources)
        (title,) = rows(ctx, "select title from articles")
        assert "Factory fire" in title[0]
        seen.append(rows(ctx, gone))
    first_404, at_410 = seen[1][0], seen[2][0]
    assert seen[0] == seen[3] == []
    assert first_404[0] == 404 and at_410[0] == 410
    assert at_410[1] == first_404[1] == first_404[2] < at_410[2]  # gone since the first 404


@pytest.mark.parametrize("template_canonical", ["/news/", "/index.html"])
def test_articles_whose_template_names_the_section_or_front_page_as_canonical_stay_apart(
    local_server, tmp_path, template_canonical
):
    # Every article's rel=canonical is the section's (or the front page's) address: the
    # five were folded into one article, held by whichever was fetched last.
    canonical = f'<link rel="canonical" href="{local_server.url(template_canonical)}">'
    paths = [f"/news/2024/03/05/story-{n}.html" for n in range(5)]
    for n, path in enumerate(paths):
        page = article(f"Council story number {n}")
        local_server.page(path, page.replace(b"<head>", f"<head>{canonical}".encode()))
    ctx = context(tmp_path, obey_robots=False)
    summary = sequence.archive(ctx, Sources(urls=tuple(local_server.url(p) for p in paths)))
    assert summary.new_articles == 5
    stored = rows(ctx, "select url from articles order by url")
    assert stored == [(local_server.url(p),) for p in paths]


def test_a_sitemap_answering_every_query_with_one_file_is_parsed_once(
    local_server, tmp_path, monkeypatch
):
    # "?page=1" ... "?page=20" may name different files, so each is fetched (within
    # max_sitemaps); a site answering them all with one 50,000-URL file had it parsed 21 times.
    child = local_server.url("/child.xml")
    local_server.page(
        "/index.xml",
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<sitemap><loc>{child}?page={n}</loc></sitemap>" for n in range(20))
        + "</sitemapindex>",
        content_type="application/xml",
    )
    local_server.page(
        "/child.xml",
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{local_server.url('/page')}</loc></url></urlset>",
        content_type="application/xml",
    )
    parsed: list[str] = []

    def counted(body: bytes, url: str, *args: object) -> object:
        parsed.append(url)
        return parse_sitemap(body, url, *args)

    monkeypatch.setattr(discover_step, "parse_sitemap", counted)
    found = discover(context(tmp_path), Sources(sitemaps=(local_server.url("/index.xml"),)))
    assert found.urls == [local_server.url("/page")]
    assert len(parsed) == 2  # the index and the one file


@pytest.mark.parametrize("listing", ["/robots.txt", "/sitemap.xml"])
def test_two_sites_with_one_listing_file_of_relative_links_are_both_read(
    local_server, tmp_path, listing
):
    # The second site's robots.txt or sitemap (the same bytes, a CMS's default) was skipped
    # as a body already read, though its relative links lead to its own pages.
    local_server.page("/robots.txt", "User-agent: *\nSitemap: /sitemap.xml\n", "text/plain")
    local_server.page(
        "/sitemap.xml",
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>/news/story.html</loc></url></urlset>",
        content_type="application/xml",
    )
    port = local_server.port
    hosts = ("one.example", "two.example")
    ctx = replace(context(tmp_path), resolve=tuple((h, f"127.0.0.1:{port}") for h in hosts))
    found = discover(ctx, Sources(sitemaps=tuple(f"http://{h}:{port}{listing}" for h in hosts)))
    assert sorted(found.urls) == [f"http://{h}:{port}/news/story.html" for h in hosts]


def test_a_feed_listing_one_page_under_many_tracking_spellings_fetches_it_once(
    local_server, tmp_path
):
    spellings = [f"/story?utm_source=n{n}" for n in range(50)] + ["/story", "/story/"]
    items = "".join(f"<item><link>{local_server.url(s)}</link></item>" for s in spellings)
    items += f"<item><link>{local_server.url('/other?id=2')}</link></item>"
    local_server.page("/feed.xml", f"<rss><channel>{items}</channel></rss>", "application/rss+xml")
    ctx = context(tmp_path)
    found = discover(ctx, Sources(feeds=(local_server.url("/feed.xml"),)))
    assert found.urls == [
        local_server.url("/story?utm_source=n0"),
        local_server.url("/other?id=2"),
    ]


def test_a_page_claiming_another_pages_address_never_takes_its_article(local_server, tmp_path):
    # A page on another host of the site (comments.) naming the article's address as its
    # rel=canonical took the article on one run and lost it on the next, for ever: the
    # record that lost stayed pending and was extracted again by every run. And a page
    # fetched again with new text was stored one run late (its older copy, pending, was
    # extracted after it and won).
    port = local_server.port
    address = f"http://www.localpaper.com:{port}/story"
    canonical = f'<link rel="canonical" href="{address}">'
    version = {"n": 1}

    def story() -> bytes:
        title = f"Council vote, version {version['n']}"
        return article(title).replace(b"<head>", f"<head>{canonical}".encode())

    local_server.routes["/story"] = raw_response(200, {"Content-Type": "text/html"}, story)
    local_server.page(
        "/c1", article("Reader comments").replace(b"<head>", f"<head>{canonical}".encode())
    )
    ctx = replace(
        context(tmp_path, obey_robots=False),
        resolve=tuple(
            (host, f"127.0.0.1:{port}")
            for host in ("www.localpaper.com", "comments.localpaper.com")
        ),
    )
    sources = Sources(
        urls=(
            f"http://www.localpaper.com:{port}/story",
            f"http://comments.localpaper.com:{port}/c1",
        )
    )
    for run in (1, 2, 3):
        version["n"] = run
        sequence.archive(replace(ctx, run_id=new_run_id()), sources)
        stored = rows(ctx, "select title from articles")
        pending = rows(ctx, "select count(*) from (" + query("pending_records") + ")")
        assert stored == [(f"Council vote, version {run}",)], f"run {run}"
        assert pending == [(0,)], f"run {run}"


def test_another_sites_feed_naming_a_dead_variant_cannot_stop_a_page_being_fetched(
    local_server, tmp_path
):
    # url_key folds www./m./AMP variants; the variant fetched was whichever listing finished
    # first, so a foreign feed listing a dead m. or /amp/ spelling kept the page unfetched.
    port = local_server.port
    page = f"http://www.other-news.org:{port}/news/good.html"
    variants = [f"http://m.other-news.org:{port}/news/good.html", f"{page}?utm_source=x"]
    foreign = "".join(f"<item><link>{v}</link></item>" for v in variants)
    local_server.page(
        "/foreign.xml", f"<rss><channel>{foreign}</channel></rss>", "application/rss+xml"
    )
    local_server.page(
        "/own.xml",
        f"<rss><channel><item><link>{page}</link></item></channel></rss>",
        "application/rss+xml",
    )
    hosts = ("www.localpaper.com", "www.other-news.org", "m.other-news.org")
    ctx = replace(context(tmp_path), resolve=tuple((h, f"127.0.0.1:{port}") for h in hosts))
    feeds = (
        f"http://www.localpaper.com:{port}/foreign.xml",
        f"http://www.other-news.org:{port}/own.xml",
    )
    for order in (feeds, feeds[::-1]):
        assert discover(replace(ctx, run_id=new_run_id()), Sources(feeds=order)).urls == [page]


def test_a_site_listing_a_page_and_its_amp_rendering_has_the_page_fetched(local_server, tmp_path):
    # Listed first, the AMP rendering was the one fetched, and the page's own address had
    # no fetch at all: the article was the AMP page's (a cut-down text).
    amp, page = local_server.url("/amp/news/story.html"), local_server.url("/news/story.html")
    items = "".join(f"<item><link>{url}</link></item>" for url in (amp, page))
    local_server.page("/feed.xml", f"<rss><channel>{items}</channel></rss>", "application/rss+xml")
    found = discover(context(tmp_path), Sources(feeds=(local_server.url("/feed.xml"),)))
    assert found.urls == [page]


def test_a_feed_over_the_link_cap_says_what_it_skipped(local_server, tmp_path):
    items = "".join(f"<item><link>{local_server.url(f'/p{i}')}</link></item>" for i in range(12))
    local_server.page(
        "/feed.xml", f"<rss><channel>{items}</channel></rss>", content_type="application/rss+xml"
    )
    ctx = context(tmp_path, max_links_per_listing=10)
    found = discover(ctx, Sources(feeds=(local_server.url("/feed.xml"),)))
    assert len(found.urls) == 10
    ((reason, detail),) = rows(ctx, "select reason, detail from discovery_problems")
    assert reason == "too_many_links" and detail.startswith("2 of 12 URLs skipped")


def test_a_huge_sitemap_being_parsed_does_not_time_out_the_other_listings(local_server, tmp_path):
    """A sitemap of 100,000 URLs takes seconds to parse; parsed on the event loop it held
    every fetch in flight past its total timeout, and a feed that answered in half a
    second was recorded as a timeout and lost."""
    urls = "".join(f"<url><loc>{local_server.url(f'/p{i}')}</loc></url>" for i in range(100_000))
    sitemap = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    local_server.page("/big.xml", sitemap, content_type="application/xml")
    feed = (
        f"<rss><channel><item><link>{local_server.url('/from-feed')}</link></item></channel></rss>"
    )

    def slow_feed(h: BaseHTTPRequestHandler) -> None:
        time.sleep(0.5)  # the sitemap has arrived and is being parsed meanwhile
        raw_response(200, {"Content-Type": "application/rss+xml"}, feed.encode())(h)

    local_server.routes["/feed.xml"] = slow_feed
    ctx = context(
        tmp_path, obey_robots=False, total_timeout_s=1.5, max_retries=0, max_links_per_listing=5
    )
    found = discover(
        ctx,
        Sources(feeds=(local_server.url("/feed.xml"),), sitemaps=(local_server.url("/big.xml"),)),
    )
    assert local_server.url("/from-feed") in found.urls
    assert rows(ctx, "select reason from discovery_problems") == [("too_many_links",)]


def _warc_with_pages(path: Path, count: int) -> list[int]:
    """A gzip WARC of ``count`` article responses; returns each record's offset."""
    archive = WarcArchive(path.parent / "src", "x")
    offsets = []
    from datetime import UTC, datetime

    for i in range(count):
        record = archive.write_response(
            f"http://warc.example/story-{i}",
            200,
            [("Content-Type", "text/html")],
            article(f"Story {i}") + os.urandom(2000).hex().encode(),
            datetime(2024, 1, 1, tzinfo=UTC),
        )
        offsets.append(record.warc_offset)
    archive.close()
    (written,) = (path.parent / "src").glob("*.warc.gz")
    written.rename(path)
    return offsets


@pytest.mark.parametrize("where", ["between records", "inside a record"])
def test_garbage_inside_a_warc_costs_only_what_it_covers(tmp_path, where):
    path = tmp_path / "input.warc.gz"
    offsets = _warc_with_pages(path, 40)
    data = path.read_bytes()
    cut = offsets[20] if where == "between records" else offsets[20] + 300
    path.write_bytes(data[:cut] + os.urandom(5000) + data[cut:])
    ctx = context(tmp_path)
    report = ingest_warcs(ctx, [str(path)])
    lost = 0 if where == "between records" else 1
    assert report.new_records == 40 - lost
    ((reason, detail),) = rows(ctx, "select reason, detail from discovery_problems")
    assert reason == "malformed"
    if where == "between records":
        assert detail.endswith("5000 bytes skipped to the next record")


def test_a_warcs_error_pages_redirects_and_impossible_dates_are_not_stored(tmp_path):
    # A crawl's WARC keeps its 404 pages and redirects: fetched, neither is a page (a
    # recorded 404 page was stored as an article). A WARC-Date of 9999 is no fetch's date.
    from datetime import UTC, datetime

    archive = WarcArchive(tmp_path / "src", "x")
    when = datetime(2024, 1, 1, tzinfo=UTC)
    for status, path in ((200, "/ok"), (404, "/gone"), (503, "/busy"), (301, "/moved")):
        archive.write_response(
            f"http://warc.example{path}", status, [("Content-Type", "text/html")],
            article(f"Page at {path}"), when,
        )  # fmt: skip
    archive.write_response(
        "http://warc.example/future", 200, [("Content-Type", "text/html")],
        article("From the future"), datetime(9999, 12, 31, tzinfo=UTC),
    )  # fmt: skip
    archive.close()
    (written,) = (tmp_path / "src").glob("*.warc.gz")
    ctx = context(tmp_path)
    report = ingest_warcs(ctx, [str(written)])
    assert report.new_records == 1
    assert rows(ctx, "select url from raw_records") == [("http://warc.example/ok",)]
    assert report.skipped == {"http_404": 1, "http_503": 1, "malformed": 1}
    problems = sorted(rows(ctx, "select reason, detail from discovery_problems"))
    assert problems[0] == ("http_404", "HTTP 404: http://warc.example/gone")
    assert problems[2][0] == "malformed" and "9999" in problems[2][1]


@pytest.mark.parametrize(
    "address",
    [
        "http://[::1/story",
        "http://a]b.example/story",
        "http://[zz]/story",
        "http://x.example:99999/",
        "http://" + "x" * 10_000 + ".example/story",
    ],
    ids=["open bracket", "bracket in host", "bad ipv6", "port out of range", "10 kB host"],
)
def test_a_warc_record_at_no_page_s_address_costs_only_that_record(tmp_path, address):
    # "http://[::1/" raised from the URL's normalisation and failed the whole run
    from datetime import UTC, datetime

    archive = WarcArchive(tmp_path / "src", "x")
    when = datetime(2024, 1, 1, tzinfo=UTC)
    for url in (address, "http://warc.example/ok"):
        archive.write_response(url, 200, [("Content-Type", "text/html")], article(url[:40]), when)
    archive.close()
    (written,) = (tmp_path / "src").glob("*.warc.gz")
    ctx = context(tmp_path)
    report = ingest_warcs(ctx, [str(written)])
    assert report.new_records == 1 and report.skipped == {"malformed": 1}
    ((detail,),) = rows(ctx, "select detail from discovery_problems")
    assert detail.startswith("bad WARC-Target-URI")


def _disk_full_after(monkeypatch: pytest.MonkeyPatch, records: int) -> None:
    """The raw archive's disk fills after this many records have been written."""
    import errno

    opened = WarcArchive._open_next
    written = [0]

    class Filling(io.BufferedWriter):
        def write(self, data: object) -> int:
            if written[0] == records:
                raise OSError(errno.ENOSPC, "No space left on device")
            written[0] += 1
            return super().write(data)  # type: ignore[arg-type]

    def open_next(self: WarcArchive) -> None:
        opened(self)
        raw = self._file.detach()  # type: ignore[union-attr]
        self._file = Filling(raw)

    monkeypatch.setattr(WarcArchive, "_open_next", open_next)


def test_a_full_disk_under_the_raw_archive_stops_the_run_in_one_error(
    local_server, tmp_path, monkeypatch
):
    # Each page after the disk filled was an internal_error with a traceback, and the run
    # went on fetching every one of them.
    paths = [f"/news/story-{n}.html" for n in range(40)]
    for n, path in enumerate(paths):
        local_server.page(path, article(f"Story number {n}"))
    _disk_full_after(monkeypatch, 3)
    ctx = context(tmp_path, obey_robots=False, per_host_concurrency=1)
    with pytest.raises(StorageError, match="no space left on the disk of the raw archive") as err:
        sequence.archive(ctx, Sources(urls=tuple(local_server.url(p) for p in paths)))
    assert err.value.reason == "disk_full"
    fetched = [path for path, _, _ in local_server.requests if path.startswith("/news/")]
    assert len(fetched) < 10  # stopped, not one failure per page


def test_a_full_disk_under_the_raw_archive_stops_a_warc_ingest_in_one_error(tmp_path, monkeypatch):
    # Ingesting a WARC file, the full disk was an OSError traceback
    source = tmp_path / "input.warc.gz"
    _warc_with_pages(source, 6)
    _disk_full_after(monkeypatch, 3)
    with pytest.raises(StorageError, match="no space left on the disk of the raw archive") as err:
        ingest_warcs(context(tmp_path), [str(source)])
    assert err.value.reason == "disk_full"


# ------------------------------------------------------------------ the archive and its files


def test_a_run_works_from_another_working_directory(local_server, tmp_path, monkeypatch):
    local_server.page("/a", article("Page A"))
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    ctx = replace(context(Path("data")), archive_dir="data/news-archive")
    fetch_and_archive(ctx, [local_server.url("/a")])
    (stored,) = rows(ctx, "select warc_path from raw_records")
    assert not Path(stored[0]).is_absolute() and stored[0].startswith("news-archive/")
    # cron, a Prefect worker: the same archive from elsewhere
    monkeypatch.chdir(second)
    db = first / "data" / "news.duckdb"
    elsewhere = replace(ctx, db_path=str(db), archive_dir=str(first / "data" / "news-archive"))
    assert extract_pending(elsewhere).new_articles == 1


def test_a_missing_warc_file_is_a_storage_problem_never_a_verdict(local_server, tmp_path):
    local_server.page("/a", article("Page A"))
    local_server.page("/b", article("Page B"))
    ctx = context(tmp_path)
    fetch_and_archive(ctx, [local_server.url("/a")])
    assert extract_pending(ctx).new_articles == 1
    for path in Path(ctx.archive_dir).glob("*.warc.gz"):
        path.unlink()
    # re-extraction leaves the article as it was, and says why
    changes = reextract(ctx)
    assert changes.unreadable == 1 and changes.now_rejected == 0
    assert rows(ctx, "select count(*) from articles") == [(1,)]
    assert rows(ctx, "select count(*) from rejections") == [(0,)]
    # a new page whose file went missing stays pending: not rejected, reported, retried
    later = replace(ctx, run_id=new_run_id())
    fetch_and_archive(later, [local_server.url("/b")])
    for path in Path(ctx.archive_dir).glob("*.warc.gz"):
        path.rename(tmp_path / path.name)
    extracted = extract_pending(later)
    assert extracted.unreadable == {"archive_missing": 1}
    assert rows(ctx, "select count(*) from rejections") == [(0,)]
    # the file is back (moved into the archive folder): the page is extracted
    for path in tmp_path.glob("*.warc.gz"):
        path.rename(Path(ctx.archive_dir) / path.name)
    assert extract_pending(later).new_articles == 1


@pytest.fixture
def reader() -> Iterator[object]:
    """Hold a DuckDB file open read-only in another process, as a user's client would."""
    held: list[subprocess.Popen[bytes]] = []

    def hold(db: str, seconds: float) -> None:
        script = (
            "import duckdb, sys, time\n"
            f"c = duckdb.connect({db!r}, read_only=True)\n"
            "print('held', flush=True)\n"
            f"time.sleep({seconds})\n"
        )
        process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        assert process.stdout is not None and process.stdout.readline().strip() == b"held"
        held.append(process)

    yield hold
    for process in held:
        process.kill()
        process.wait()


def test_a_reader_holding_the_file_makes_a_run_wait_not_fail(
    local_server, tmp_path, reader, caplog
):
    for i in range(6):
        local_server.page(f"/p{i}", article(f"Page {i}"))
    ctx = context(tmp_path, commit_every_pages=2, lock_wait_s=60)
    sequence.archive(ctx, Sources(urls=(local_server.url("/p0"),)))  # the archive exists
    reader(ctx.db_path, 3.0)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="wirehouse"):
        summary = sequence.archive(
            replace(ctx, run_id=new_run_id()),
            Sources(urls=tuple(local_server.url(f"/p{i}") for i in range(6))),
        )
    assert time.monotonic() - started >= 2.0
    assert summary.new_articles == 5
    assert any(
        "waiting for" in r.getMessage() and "held by PID" in r.getMessage() for r in caplog.records
    )


def test_a_run_that_gives_up_on_a_held_file_keeps_what_it_committed(tmp_path, reader):
    from datetime import UTC, datetime

    ctx = context(tmp_path, commit_every_pages=2, lock_wait_s=0.5)
    with ctx.open():
        pass

    def attempt(i: int) -> FetchAttempt:
        return FetchAttempt(url=f"http://x.example/{i}", fetched_at=datetime.now(UTC))

    load = ChunkedLoad(ctx)
    load.add([attempt(0)])
    load.add([attempt(1)])  # a chunk of two: committed
    assert load.commits == 1
    reader(ctx.db_path, 30.0)
    load.add([attempt(2)])
    load.add([attempt(3)])  # due, but the file is held: kept for the next commit
    assert load.commits == 1 and load.held_by and "PID" in load.held_by
    with pytest.raises(StorageUnavailable) as info:
        load.commit()
    message = str(info.value.detail)
    assert "held by PID" in message and "were not recorded" in message
    assert "run the same command again" in message


def test_a_killed_run_is_resumed_losing_at_most_one_chunk(local_server, tmp_path):
    pages = 40

    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(0.1)
        body = article(h.path)
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    for i in range(pages):
        local_server.routes[f"/slow-{i}"] = slow
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(local_server.url(f"/slow-{i}") + "\n" for i in range(pages)))
    db = tmp_path / "news.duckdb"
    env = {
        **os.environ,
        "WIREHOUSE_COMMIT_EVERY_PAGES": "5",
        "WIREHOUSE_PER_HOST_CONCURRENCY": "1",
        "WIREHOUSE_OBEY_ROBOTS": "false",
    }
    command = [
        sys.executable, "-m", "flows.cli", "run", "--no-prefect", "--db", str(db),
        "--urls-file", str(urls), "--allow-private-network",
    ]  # fmt: skip
    run = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def served() -> list[str]:
        return [p for p, _, _ in local_server.requests if p.startswith("/slow-")]

    deadline = time.monotonic() + 60
    while len(served()) < 17 and time.monotonic() < deadline:
        time.sleep(0.02)
    run.kill()
    run.wait()
    first = set(served())
    assert 17 <= len(first) < pages, "the run finished before it could be killed"
    with duckdb.connect(str(db), read_only=True) as conn:
        (recorded,) = conn.execute("select count(*) from raw_records").fetchone()
    assert recorded >= len(first) - 5 - 1  # at most one chunk (and the page in flight) lost
    local_server.requests.clear()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    again = set(served()) & first
    assert len(again) <= 5 + 1, f"{len(again)} pages fetched again"
    with duckdb.connect(str(db), read_only=True) as conn:
        (articles,) = conn.execute("select count(*) from articles").fetchone()
        (doubled,) = conn.execute(
            "select count(*) from (select url from raw_records group by url having count(*) > 1)"
        ).fetchone()
    assert articles == pages and doubled == 0
    # Once a run has finished, the killed run no longer holds its pages back: the next run
    # fetches them all (they were skipped for a day, their corrections missed).
    local_server.requests.clear()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(set(served())) == pages


def test_what_a_killed_run_archived_but_never_recorded_is_indexed(local_server, tmp_path):
    from datetime import UTC, datetime

    ctx = context(tmp_path)
    with ctx.open():
        pass
    # a run killed before its first commit: a WARC file no row points at
    stopped = WarcArchive(ctx.archive_dir, "20240101T000000Z-dead00", relative_to=ctx.db_dir)
    for i in range(3):
        stopped.write_response(
            f"http://x.example/{i}", 200, [("Content-Type", "text/html")], article(f"S{i}"),
            datetime(2024, 1, 1, tzinfo=UTC),
        )  # fmt: skip
    stopped.close()
    found = discover(ctx, Sources())
    assert found.unindexed_files == 1
    assert rows(ctx, "select reason from discovery_problems") == [("unindexed_archive_file",)]
    indexed = ingest_unrecorded(replace(ctx, run_id=new_run_id()))
    assert (indexed.files, indexed.recovered) == (1, 3)
    assert extract_pending(ctx).new_articles == 3
    assert ingest_unrecorded(replace(ctx, run_id=new_run_id())).recovered == 0


def test_a_run_indexes_the_file_of_a_run_stopped_before_its_first_commit(local_server, tmp_path):
    # Ctrl-C before the first commit left a file no row points at: every later run exited 3
    # (unindexed_archive_file) until the maintenance flow, which no command runs, read it.
    # A file no run of this archive wrote (another archive's, sharing the folder) is not
    # taken in: it is still reported.
    from datetime import UTC, datetime

    from tasks.store import start_run

    local_server.page("/given", article("Given"))
    ctx = context(tmp_path, obey_robots=False)
    stopped_id = new_run_id()
    with ctx.open() as conn:
        start_run(conn, stopped_id, {})
    for run_id in (stopped_id, "20240101T000000Z-other0"):
        stopped = WarcArchive(ctx.archive_dir, run_id, relative_to=ctx.db_dir)
        stopped.write_response(
            f"http://x.example/{run_id}", 200, [("Content-Type", "text/html")],
            article(f"Of {run_id}"), datetime(2024, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        stopped.close()
    summary = sequence.archive(ctx, Sources(urls=(local_server.url("/given"),)))
    assert summary.new_articles == 2  # the given page, and the stopped run's
    assert summary.failures == {"discovery:unindexed_archive_file": 1}
    ((source, detail),) = rows(ctx, "select source, detail from discovery_problems")
    assert "other0" in source and "shared with another archive" in detail
    assert rows(ctx, "select url from articles where url like 'http://x.example/%'") == [
        (f"http://x.example/{stopped_id}",)
    ]
    again = sequence.archive(replace(ctx, run_id=new_run_id()), Sources())
    assert again.new_articles == 0
    assert again.failures == {"discovery:unindexed_archive_file": 1}


def test_a_killed_runs_file_of_pages_recorded_since_is_reported_until_read_through(
    local_server, tmp_path
):
    # The run killed before its first commit; the next run fetched its pages again into a
    # file of its own. No row points at the first file: it was "unindexed" on every run
    # for ever, the maintenance flow reading it and recovering nothing.
    from datetime import UTC, datetime

    local_server.page("/0", article("S0"))
    ctx = context(tmp_path, obey_robots=False)
    with ctx.open():
        pass
    stopped = WarcArchive(ctx.archive_dir, "20240101T000000Z-dead00", relative_to=ctx.db_dir)
    stopped.write_response(
        local_server.url("/0"), 200, [("Content-Type", "text/html; charset=utf-8")],
        article("S0"), datetime(2024, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    stopped.close()
    sources = Sources(urls=(local_server.url("/0"),))
    summary = sequence.archive(replace(ctx, run_id=new_run_id()), sources)
    assert summary.failures == {"discovery:unindexed_archive_file": 1}
    indexed = ingest_unrecorded(replace(ctx, run_id=new_run_id()))
    assert (indexed.files, indexed.recovered) == (1, 0)
    summary = sequence.archive(replace(ctx, run_id=new_run_id()), sources)
    assert summary.failures == {} and summary.not_modified == 1


def test_extraction_workers_exit_when_their_run_is_killed(tmp_path):
    """`kill -9` of a run must not leave its extraction workers (hundreds of MB) behind."""
    script = (
        "import time\n"
        "from tasks.workers import _worker_pid, process_pool\n"
        "pool = process_pool(2)\n"
        "pids = set(pool.map(_worker_pid, range(8)))\n"
        "print(' '.join(map(str, sorted(pids))), flush=True)\n"
        "time.sleep(60)\n"
    )
    run = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert run.stdout is not None
    workers = [int(pid) for pid in run.stdout.readline().split()]
    assert workers
    run.kill()
    run.wait()
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if Path(f"/proc/{pid}").exists() and _running(pid)]
    assert not alive, f"workers {alive} outlived their run"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_pages_handed_in_from_several_threads_are_extracted_one_at_a_time(monkeypatch):
    """trafilatura over lxml aborts a process ("double free or corruption") when pages are
    extracted in several threads at once, so a process extracts one page at a time, from
    whatever thread the pages come."""
    import threading

    import tasks.extract
    from tasks.steps.extract import extract_body

    running, most = 0, 0
    guard = threading.Lock()
    real = tasks.extract.extract_page

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        time.sleep(0.02)  # long enough for the other threads to arrive meanwhile
        try:
            return real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with guard:
                running -= 1

    monkeypatch.setattr(tasks.extract, "extract_page", counting)
    pages = [article(f"Page {n}") for n in range(12)]
    threads = [
        threading.Thread(
            target=extract_body,
            args=(page, f"http://site.test/{n}", "text/html", ExtractSettings(), f"r{n}"),
        )
        for n, page in enumerate(pages)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1


def test_a_machine_that_cannot_start_worker_processes_still_extracts(
    local_server, tmp_path, monkeypatch, caplog
):
    """Some containers have no shared-memory semaphores, so no process pool: the pages are
    extracted in the run's own process instead, and say so once."""
    import tasks.workers

    def no_pool(workers: int) -> object:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(tasks.workers, "process_pool", no_pool)
    paths = [f"/story-{i}" for i in range(3)]
    for path in paths:
        local_server.page(path, article(f"Story {path}"))
    ctx = context(tmp_path, obey_robots=False)
    with caplog.at_level(logging.WARNING):
        report = fetch_and_extract(ctx, [local_server.url(p) for p in paths])
    assert report.fetched == 3
    assert rows(ctx, "select count(*) from articles") == [(3,)]
    assert sum("no worker processes" in r.getMessage() for r in caplog.records) == 1
    # Left pending by an earlier run, they are extracted here too.
    with duckdb.connect(ctx.db_path) as conn:
        conn.execute("delete from articles")
    assert extract_pending(ctx).extracted == 3


def test_a_host_asking_for_a_pause_between_requests_holds_no_other_host_back(
    local_server, tmp_path
):
    # A site whose robots.txt asked for a second between requests, listed first with many
    # pages, had every place for a body in hand taken by its pages waiting for their turn:
    # the other hosts' pages waited until its queue was nearly done (25 s of a 60-page run).
    def robots(h: BaseHTTPRequestHandler) -> None:
        slow = h.headers.get("Host", "").startswith("a-slow.")
        rules = b"User-agent: *\nCrawl-delay: 0.5\n" if slow else b"User-agent: *\nAllow: /\n"
        raw_response(200, {"Content-Type": "text/plain"}, rules)(h)

    local_server.routes["/robots.txt"] = robots
    for n in range(8):
        local_server.page(f"/story/{n}", article(f"Story {n}"))
    port = local_server.port
    ctx = replace(
        context(tmp_path, max_concurrency=2, per_host_concurrency=1),
        resolve=(("a-slow.example", f"127.0.0.1:{port}"), ("b-fast.example", f"127.0.0.1:{port}")),
    )
    slow = [f"http://a-slow.example:{port}/story/{n}" for n in range(8)]
    fast = [f"http://b-fast.example:{port}/story/{n}" for n in range(3)]
    report = fetch_and_archive(ctx, [*slow, *fast], workers=1)
    assert report.failures == {} and report.fetched == 11
    order = [host.split(":")[0] for path, host, _ in local_server.requests if path != "/robots.txt"]
    # the fast host's pages went out while the slow one waited for its second turn
    assert order.index("a-slow.example") < 2
    assert max(i for i, host in enumerate(order) if host == "b-fast.example") < 4, order


def test_a_host_s_crawl_delay_gets_a_run_s_time_and_the_next_run_takes_the_rest(
    local_server, tmp_path
):
    # At Crawl-delay 10, a sitemap's 1,000 new pages of one site held an hourly run for
    # nearly 3 hours. A run gives such a host crawl_delay_budget_s from its first request;
    # what is left is not asked for (no row: the next run takes it first) and is no failure.
    local_server.page("/robots.txt", "User-agent: *\nCrawl-delay: 0.3\n", "text/plain")
    for n in range(7):
        local_server.page(f"/story/{n}", article(f"Story {n}"))
    listed = [local_server.url(f"/story/{n}") for n in range(6)]
    given = local_server.url("/story/6")
    ctx = context(tmp_path, crawl_delay_budget_s=0.7, per_host_concurrency=1)

    def pages_asked() -> list[str]:
        return [path for path, _, _ in local_server.requests if path.startswith("/story/")]

    first = fetch_and_archive(ctx, [*listed, given], given=[given])
    assert first.failures == {} and first.fetched == 4
    assert first.deferred == {"127.0.0.1": 3}
    asked = pages_asked()
    assert "/story/6" in asked  # the user's own URL: fetched whatever the budget
    local_server.requests.clear()
    second = fetch_and_archive(replace(ctx, run_id=new_run_id()), [*listed, given], given=[given])
    # the pages left last time go out first, then the longest unvisited
    assert set(pages_asked()[:3]) == {f"/story/{n}" for n in range(6)} - set(asked)
    assert second.fetched == 3 and second.failures == {}
    with open_archive(ctx.db_path, read_only=True) as conn:
        (asked_for,) = conn.execute(
            "select count(distinct url) from fetches where url like '%/story/%'"
        ).fetchone()
    assert asked_for == 7
