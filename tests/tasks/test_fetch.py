"""Fetching against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import gzip
import re
import threading
import time
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from tasks.fetch import (
    FEED_TYPES,
    Fetcher,
    FetchPolicy,
    Page,
    StaticResolver,
    address_problem,
    fetch_all,
    make_client,
    split_address,
)
from wirehouse.records import FetchAttempt
from wirehouse.settings import FetchSettings

HTML = "<html><body><p>Hello</p></body></html>"


def fetch(
    url: str,
    *,
    allow_private: bool = True,
    resolve: dict[str, str] | None = None,
    accept: frozenset[str] | None = None,
    **limits: object,
) -> Page | FetchAttempt:
    settings = FetchSettings(**limits)  # type: ignore[arg-type]

    async def go() -> Page | FetchAttempt:
        async with make_client(settings) as client:
            fetcher = Fetcher(
                client, FetchPolicy(settings, allow_private), StaticResolver(resolve or {})
            )
            return await (fetcher.fetch(url, accept) if accept else fetcher.fetch(url))

    return asyncio.run(go())


def test_fetches_a_page_and_keeps_headers(local_server):
    local_server.page("/a", HTML, headers={"ETag": '"v1"'})
    result = fetch(local_server.url("/a"))
    assert isinstance(result, Page)
    assert result.body == HTML.encode()
    assert result.attempt.status_code == 200
    assert result.attempt.etag == '"v1"'
    assert "wirehouse" in local_server.requests[0][2]["User-Agent"]


def test_loopback_is_refused_by_default(local_server):
    local_server.page("/a", HTML)
    result = fetch(local_server.url("/a"), allow_private=False)
    assert isinstance(result, FetchAttempt)
    assert result.error == "private_address"
    assert "allow-private-network" in (result.detail or "")
    assert local_server.requests == []  # refused before connecting


def test_redirect_to_loopback_is_refused_at_the_hop(local_server):
    # A public name that redirects to 127.0.0.1: the hop is checked like the first request.
    def redirect(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", local_server.url("/secret"))
        h.send_header("Content-Length", "0")
        h.end_headers()

    local_server.routes["/go"] = redirect
    local_server.page("/secret", HTML)

    settings = FetchSettings()

    async def go() -> Page | FetchAttempt:
        async with make_client(settings) as client:
            fetcher = Fetcher(client, FetchPolicy(settings, False))
            # The first hop stands in for a public server; the redirect's hop is checked for real.
            fetcher._checked_address = _allow_once(  # type: ignore[method-assign]
                fetcher._checked_address, local_server.port
            )
            return await fetcher.fetch("http://public.example/go")

    result = asyncio.run(go())
    assert isinstance(result, FetchAttempt)
    assert result.error == "private_address"
    assert result.redirects == (local_server.url("/secret"),)
    assert [r[0] for r in local_server.requests] == ["/go"]


def _allow_once(check, first_port: int):
    calls = {"n": 0}

    async def wrapped(host: str, port: int) -> tuple[str, int]:
        calls["n"] += 1
        if calls["n"] == 1:
            return "127.0.0.1", first_port
        return await check(host, port)

    return wrapped


def test_redirects_are_followed_and_recorded(local_server):
    def hop(target: str):
        def handle(h: BaseHTTPRequestHandler) -> None:
            h.send_response(301)
            h.send_header("Location", target)
            h.send_header("Content-Length", "0")
            h.end_headers()

        return handle

    local_server.routes["/one"] = hop("/two")
    local_server.routes["/two"] = hop("/final?utm_source=x")
    local_server.page("/final", HTML)
    result = fetch(local_server.url("/one"))
    assert isinstance(result, Page)
    assert result.attempt.redirects == (
        local_server.url("/two"),
        local_server.url("/final?utm_source=x"),
    )
    # the URL as fetched; only the article's identity drops the tracking parameter
    assert result.attempt.final_url == local_server.url("/final?utm_source=x")


def test_redirect_loop_is_capped(local_server):
    def loop(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", "/loop")
        h.send_header("Content-Length", "0")
        h.end_headers()

    local_server.routes["/loop"] = loop
    result = fetch(local_server.url("/loop"), max_redirects=3)
    assert isinstance(result, FetchAttempt)
    assert result.error == "too_many_redirects"
    assert len(local_server.requests) == 4


def test_http_errors_are_recorded_with_their_status(local_server):
    local_server.page("/gone", "gone", status=410)
    local_server.page("/busy", "busy", status=503)
    gone = fetch(local_server.url("/gone"))
    busy = fetch(local_server.url("/busy"))
    assert isinstance(gone, FetchAttempt) and gone.error == "http_410" and gone.status_code == 410
    assert isinstance(busy, FetchAttempt) and busy.error == "http_503"


@pytest.mark.parametrize("status", [206, 300, 202])
def test_an_answer_that_is_not_the_page_is_not_archived_as_it(local_server, status):
    # 206: a part of a body, though no Range was sent; 300: a list of choices.
    local_server.page("/odd", "<html><body><p>Only the first half of a p</p>", status=status)
    result = fetch(local_server.url("/odd"))
    assert isinstance(result, FetchAttempt), result
    assert (result.error, result.status_code) == (f"http_{status}", status)


def test_non_html_is_refused_for_pages_but_fine_for_feeds(local_server):
    local_server.page("/feed", "<rss/>", content_type="application/rss+xml")
    as_page = fetch(local_server.url("/feed"))
    as_feed = fetch(local_server.url("/feed"), accept=FEED_TYPES)
    assert isinstance(as_page, FetchAttempt) and as_page.error == "wrong_type"
    assert isinstance(as_feed, Page)


def test_endless_body_is_cut_at_the_size_limit(local_server):
    def endless(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        try:
            for _ in range(10_000):
                h.wfile.write(b"<p>" + b"x" * 4096 + b"</p>")
        except (BrokenPipeError, ConnectionResetError):
            pass

    local_server.routes["/endless"] = endless
    result = fetch(local_server.url("/endless"), max_body_bytes=100_000)
    assert isinstance(result, FetchAttempt)
    assert result.error == "too_large"


def test_gzip_bomb_is_stopped_after_decompression(local_server):
    bomb = gzip.compress(b"<p>" + b"a" * 30_000_000)
    assert len(bomb) < 100_000
    local_server.page("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    result = fetch(local_server.url("/bomb"), max_body_bytes=1_000_000)
    assert isinstance(result, FetchAttempt)
    assert result.error == "too_large"


def test_slow_drip_is_cut_by_the_total_time_limit(local_server):
    stop = threading.Event()

    def drip(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        try:
            while not stop.is_set():
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass

    local_server.routes["/drip"] = drip
    started = time.monotonic()
    result = fetch(local_server.url("/drip"), total_timeout_s=1.0, read_timeout_s=5.0)
    stop.set()
    assert isinstance(result, FetchAttempt)
    assert result.error == "timeout"
    assert time.monotonic() - started < 5


def test_static_resolver_serves_named_hosts_from_one_server(local_server):
    def by_host(h: BaseHTTPRequestHandler) -> None:
        body = h.headers["Host"].encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    local_server.routes["/who"] = by_host
    address = f"127.0.0.1:{local_server.port}"
    result = fetch("http://news.example/who", resolve={"news.example": address})
    assert isinstance(result, Page)
    assert result.body == b"news.example"


def test_connection_refused_is_a_transient_error():
    result = fetch("http://127.0.0.1:9/nothing-listens-here")
    assert isinstance(result, FetchAttempt)
    assert result.error == "connection_error"


def _raw(answer: bytes):
    def handle(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        h.wfile.write(answer)

    return handle


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"zz\r\n<p>x</p>\r\n0\r\n\r\n",
            id="chunk-size-no-number",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + b"X: a\r\n" * 200_000 + b"\r\n",
            id="head-past-the-limit",
        ),
        pytest.param(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", id="header-no-header"),
    ],
)
def test_a_broken_http_answer_is_final_not_retried(local_server, answer):
    # The same server breaks HTTP the same way on every try: each retry cost seconds.
    local_server.routes["/broken"] = _raw(answer)
    result = fetch(local_server.url("/broken"))
    assert isinstance(result, FetchAttempt)
    assert (result.error, result.retryable) == ("http_error", False)
    assert "RemoteProtocolError" in (result.detail or "")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"", id="closed-before-answering"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<p>",
            id="body-cut-off",
        ),
    ],
)
def test_a_connection_cut_short_is_tried_again(local_server, answer):
    local_server.routes["/cut"] = _raw(answer)
    result = fetch(local_server.url("/cut"))
    assert isinstance(result, FetchAttempt)
    assert (result.error, result.retryable) == ("connection_error", True)


def test_a_304_to_a_request_that_named_no_version_is_an_error_not_unchanged(local_server):
    # A cache's slip: counted as unchanged, the page was never archived, and nothing said so
    local_server.page("/cached", "", status=304)
    result = fetch(local_server.url("/cached"))
    assert isinstance(result, FetchAttempt)
    assert (result.error, result.status_code, result.retryable) == ("http_304", 304, False)


def test_non_http_scheme_is_refused():
    result = fetch("file:///etc/passwd")
    assert isinstance(result, FetchAttempt)
    assert result.error == "bad_scheme"


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private or reserved"),
        ("192.168.0.1", "private or reserved"),
        ("169.254.169.254", "link-local or cloud metadata"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::127.0.0.1", "private or reserved"),  # IPv4-compatible, which Python calls global
        ("::ffff:0:7f00:1", "private or reserved"),  # IPv4-translated, the same
        ("::a9fe:a9fe", "private or reserved"),
        ("64:ff9b::8.8.8.8", None),  # NAT64 of a public address
        ("2606:4700:4700::1111", None),
        ("93.184.216.34", None),
    ],
)
def test_address_policy(address, problem):
    assert address_problem(address) == problem


def test_per_host_concurrency_is_never_exceeded(local_server):
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def slow(h: BaseHTTPRequestHandler) -> None:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "2")
        h.end_headers()
        h.wfile.write(b"ok")

    for i in range(12):
        local_server.routes[f"/p{i}"] = slow
    settings = FetchSettings(per_host_concurrency=2, max_concurrency=32)
    got: list[Page | FetchAttempt] = []

    async def go() -> None:
        async with make_client(settings) as client:
            fetcher = Fetcher(client, FetchPolicy(settings, True))
            await fetch_all(fetcher, [local_server.url(f"/p{i}") for i in range(12)], got.append)

    asyncio.run(go())
    assert len(got) == 12 and all(isinstance(r, Page) for r in got)
    assert state["peak"] == 2


def test_client_is_configured_explicitly():
    client = make_client(FetchSettings(connect_timeout_s=3.0, user_agent="ua/1"))
    try:
        assert client.timeout.connect == 3.0
        assert client.headers["User-Agent"] == "ua/1"
        assert client.follow_redirects is False
        assert isinstance(client, httpx.AsyncClient)
    finally:
        asyncio.run(client.aclose())


@pytest.mark.parametrize(
    ("mime", "accepted"),
    [
        ("application/x-rss+xml", True),
        ("application/rss+xml", True),
        ("text/rss+xml", True),
        ("application/atom+xml", True),
        ("application/x-atom+xml", True),
        ("text/xml", True),
        ("application/vnd.custom+json", True),
        ("text/plain", True),
        ("image/png", False),
        ("video/mp4", False),
    ],
)
def test_every_type_a_server_may_send_for_a_feed_is_accepted(mime, accepted):
    from tasks.fetch import FEED_TYPES, type_accepted

    assert type_accepted(FEED_TYPES, mime) is accepted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        ("127.0.0.1", ("127.0.0.1", None)),
        ("[::1]:8080", ("::1", 8080)),
        ("[::1]", ("::1", None)),
        ("::1", ("::1", None)),
        ("127.0.0.1:abc", "'abc' is not a port"),
        ("127.0.0.1:99999", "'99999' is not a port"),
        ("127.0.0.1:0", "'0' is not a port"),
        ("999.1.1.1", "'999.1.1.1' is not an IP address"),
        ("news.example:80", "'news.example' is not an IP address"),
        ("[::1", "is not [IPv6]:PORT"),
        ("[::1]8080", "is not [IPv6]:PORT"),
    ],
)
def test_a_resolve_address_is_an_ip_and_an_optional_port(text, expected):
    if isinstance(expected, tuple):
        assert split_address(text) == expected
    else:
        with pytest.raises(ValueError, match=re.escape(expected)):
            split_address(text)
