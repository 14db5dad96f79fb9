"""Politeness against a real HTTP server on loopback: robots, delays, retries, pauses."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler

import pytest

from tasks.fetch import Fetcher, FetchPolicy, Page, StaticResolver, make_client, parse_retry_after
from tasks.polite import OverBudget, PoliteFetcher, agent_token, host_budget, robots_rules
from wirehouse.records import FetchAttempt
from wirehouse.settings import FetchSettings

HTML = "<html><body><p>ok</p></body></html>"


def crawl(
    urls: list[str], resolve: dict[str, str] | None = None, **overrides: object
) -> tuple[list[tuple[Page | None, list[FetchAttempt]]], PoliteFetcher]:
    settings = FetchSettings(**{"backoff_base_s": 0.01, **overrides})  # type: ignore[arg-type]
    resolver = StaticResolver(resolve or {})

    async def go() -> tuple[list[tuple[Page | None, list[FetchAttempt]]], PoliteFetcher]:
        async with make_client(settings) as client:
            fetcher = Fetcher(client, FetchPolicy(settings, True), resolver)
            polite = PoliteFetcher(fetcher, settings)
            results = await asyncio.gather(*(polite.get(u) for u in urls))
            return list(results), polite

    return asyncio.run(go())


def test_robots_disallow_is_obeyed_and_robots_is_read_once(local_server):
    local_server.page(
        "/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    local_server.page("/private/a", HTML)
    local_server.page("/public/a", HTML)
    local_server.page("/public/b", HTML)
    results, polite = crawl([local_server.url(p) for p in ("/private/a", "/public/a", "/public/b")])
    (refused, _), (ok_a, _), (ok_b, _) = results
    assert refused is None and ok_a is not None and ok_b is not None
    assert results[0][1][0].error == "robots_disallowed"
    paths = [r[0] for r in local_server.requests]
    assert "/private/a" not in paths
    assert paths.count("/robots.txt") == 1
    assert len(polite.robots_attempts) == 1


def test_a_redirect_to_a_disallowed_page_is_refused_as_the_page_would_be(local_server):
    # Another site's redirect, or the site's own, is no way round its robots.txt.
    local_server.page(
        "/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain"
    )
    local_server.page("/private/a", HTML)
    local_server.page("/public/a", HTML)
    for path, target in (("/go", "/private/a"), ("/fine", "/public/a")):
        local_server.page(path, "", status=302, headers={"Location": local_server.url(target)})
    results, _ = crawl([local_server.url("/go"), local_server.url("/fine")])
    (refused, (attempt,)), (ok, _) = results
    assert refused is None and ok is not None
    assert attempt.error == "robots_disallowed" and "redirect to" in (attempt.detail or "")
    assert attempt.redirects == (local_server.url("/private/a"),)
    assert "/private/a" not in [r[0] for r in local_server.requests]


def test_a_robots_txt_over_the_limit_is_read_up_to_it_not_refused_whole(local_server):
    # RFC 9309 2.5: parse the first 500 KiB; a bigger file used to block the whole site.
    padding = "# " + "x" * 98 + "\n"
    robots = "User-agent: *\nDisallow: /private/\n" + padding * 6_000 + "Disallow: /late/\n"
    local_server.page("/robots.txt", robots, content_type="text/plain")
    for path in ("/private/a", "/public/a", "/late/a"):
        local_server.page(path, HTML)
    results, _ = crawl([local_server.url(p) for p in ("/private/a", "/public/a", "/late/a")])
    assert [page is not None for page, _ in results] == [False, True, True]
    assert results[0][1][0].error == "robots_disallowed"


def test_a_gzipped_robots_txt_over_the_limit_is_read_up_to_it_too(local_server):
    # 5 KB on the wire, 1.8 MB decoded: one piece of the wire decoded past the limit at
    # once, and the file was read as empty, which allows everything.
    robots = "User-agent: *\nDisallow: /p\n" + "# padding\n" * 180_000
    local_server.page(
        "/robots.txt", gzip.compress(robots.encode()), content_type="text/plain",
        headers={"Content-Encoding": "gzip"},
    )  # fmt: skip
    local_server.page("/p1", HTML)
    local_server.page("/q1", HTML)
    results, _ = crawl([local_server.url("/p1"), local_server.url("/q1")])
    assert [page is not None for page, _ in results] == [False, True]
    assert results[0][1][0].error == "robots_disallowed"


def test_rules_for_our_agent_token_win_over_the_star_group(local_server):
    local_server.page(
        "/robots.txt",
        "User-agent: *\nDisallow: /\n\nUser-agent: wirehouse\nDisallow: /nope\n",
        content_type="text/plain",
    )
    local_server.page("/yes", HTML)
    results, _ = crawl([local_server.url("/yes"), local_server.url("/nope")])
    assert results[0][0] is not None
    assert results[1][1][0].error == "robots_disallowed"


def test_crawl_delay_spaces_requests(local_server):
    local_server.page("/robots.txt", "User-agent: *\nCrawl-delay: 0.3\n", content_type="text/plain")
    starts: list[float] = []

    def timed(h: BaseHTTPRequestHandler) -> None:
        starts.append(time.monotonic())
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "2")
        h.end_headers()
        h.wfile.write(b"ok")

    for i in range(4):
        local_server.routes[f"/p{i}"] = timed
    results, _ = crawl([local_server.url(f"/p{i}") for i in range(4)])
    assert all(page is not None for page, _ in results)
    gaps = [b - a for a, b in zip(sorted(starts), sorted(starts)[1:], strict=False)]
    assert min(gaps) >= 0.28, gaps


def test_a_crawl_delay_over_the_limit_skips_the_host_with_a_reason(local_server):
    local_server.page(
        "/robots.txt", "User-agent: *\nCrawl-delay: 3600\n", content_type="text/plain"
    )
    local_server.page("/a", HTML)
    results, _ = crawl([local_server.url("/a")])
    assert results[0][1][0].error == "crawl_delay_too_long"
    assert "/a" not in [r[0] for r in local_server.requests]


@pytest.mark.parametrize(
    ("status", "allowed"), [(404, True), (410, True), (500, False), (503, False)]
)
def test_robots_status_codes_follow_rfc_9309(local_server, status, allowed):
    local_server.page("/robots.txt", "nope", status=status, content_type="text/plain")
    local_server.page("/a", HTML)
    results, _ = crawl([local_server.url("/a")], max_retries=0)
    assert (results[0][0] is not None) is allowed
    if not allowed:  # the site did not forbid it: its robots.txt could not be read
        assert results[0][1][0].error == "robots_unreachable"
        assert f"answered {status}" in (results[0][1][0].detail or "")


def test_429_with_retry_after_is_waited_then_retried(local_server):
    calls = {"n": 0}
    when: list[float] = []

    def limited(h: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        when.append(time.monotonic())
        if calls["n"] == 1:
            h.send_response(429)
            h.send_header("Retry-After", "1")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "2")
        h.end_headers()
        h.wfile.write(b"ok")

    local_server.routes["/limited"] = limited
    results, _ = crawl([local_server.url("/limited")], obey_robots=False)
    page, attempts = results[0]
    assert page is not None
    assert [(a.attempt, a.status_code, a.error) for a in attempts] == [
        (1, 429, "http_429"),
        (2, 200, None),
    ]
    assert attempts[0].retry_after_s == 1.0
    assert when[1] - when[0] >= 0.95


@pytest.mark.parametrize("asked", ["3600", "1000000000", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_retry_after_past_the_cap_leaves_the_page_for_the_next_run(local_server, asked):
    # Waited up to the cap and asked again, a server that means "not today" held a run six
    # minutes for four refusals.
    local_server.page("/slow", "", status=503, headers={"Retry-After": asked})
    started = time.monotonic()
    results, _ = crawl(
        [local_server.url("/slow")], obey_robots=False, max_retries=3, max_retry_after_s=5
    )
    assert time.monotonic() - started < 3
    (attempt,) = results[0][1]
    assert attempt.error == "http_503" and attempt.retry_after_s > 5
    assert "left for the next run" in (attempt.detail or "")
    assert len([r for r in local_server.requests if r[0] == "/slow"]) == 1


def test_only_transient_failures_are_retried(local_server):
    local_server.page("/missing", "no", status=404)
    local_server.page("/flaky", "no", status=502)
    results, _ = crawl(
        [local_server.url("/missing"), local_server.url("/flaky")], obey_robots=False, max_retries=2
    )
    assert len(results[0][1]) == 1
    assert [a.attempt for a in results[1][1]] == [1, 2, 3]
    assert all(a.retryable for a in results[1][1])


def test_a_host_that_keeps_failing_is_paused(local_server):
    for i in range(6):
        local_server.page(f"/e{i}", "down", status=503)
    results, _ = crawl(
        [local_server.url(f"/e{i}") for i in range(6)],
        obey_robots=False,
        max_retries=0,
        host_failure_limit=3,
        per_host_concurrency=1,
    )
    errors = [attempts[-1].error for _, attempts in results]
    assert errors.count("host_paused") == 3
    assert len([r for r in local_server.requests if r[0].startswith("/e")]) == 3


def _doubled_length(h: BaseHTTPRequestHandler) -> None:
    h.close_connection = True
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello")


@pytest.mark.parametrize(
    "missing",
    [{"status": 404}, {"status": 410}, {"content_type": "application/pdf"}, _doubled_length],
    ids=["404", "410", "pdf", "broken-http"],
)
def test_pages_missing_or_unwanted_do_not_pause_their_host(local_server, missing):
    # A feed that starts with deleted stories: the host answers, and its other pages count
    for i in range(6):
        if callable(missing):
            local_server.routes[f"/gone{i}"] = missing
        else:
            local_server.page(f"/gone{i}", "no", **missing)
    for i in range(4):
        local_server.page(f"/good{i}", "<html><body>ok</body></html>")
    urls = [local_server.url(f"/gone{i}") for i in range(6)]
    urls += [local_server.url(f"/good{i}") for i in range(4)]
    results, _ = crawl(urls, obey_robots=False, host_failure_limit=3, per_host_concurrency=1)
    assert [page is not None for page, _ in results] == [False] * 6 + [True] * 4


def test_parse_retry_after():
    now = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_robots_rules_parsing():
    rules = robots_rules(200, b"User-agent: wirehouse\nDisallow: /x\nCrawl-delay: 2\n")
    assert not rules.allows("wirehouse", "http://a.example/x/1")
    assert rules.allows("wirehouse", "http://a.example/y")
    assert rules.crawl_delay("wirehouse") == 2.0
    assert agent_token("wirehouse/0.1 (+https://x)") == "wirehouse"


def test_per_host_limit_holds_under_retries(local_server):
    lock = threading.Lock()
    state = {"now": 0, "peak": 0, "n": 0}

    def busy(h: BaseHTTPRequestHandler) -> None:
        with lock:
            state["now"] += 1
            state["n"] += 1
            state["peak"] = max(state["peak"], state["now"])
            fail = state["n"] % 3 == 0
        time.sleep(0.03)
        with lock:
            state["now"] -= 1
        h.send_response(503 if fail else 200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "2")
        h.end_headers()
        h.wfile.write(b"ok")

    for i in range(10):
        local_server.routes[f"/b{i}"] = busy
    results, _ = crawl(
        [local_server.url(f"/b{i}") for i in range(10)], obey_robots=False, host_failure_limit=100
    )
    assert all(page is not None for page, _ in results)
    assert state["peak"] <= 2


def test_groups_for_one_agent_are_merged_as_rfc_9309_asks():
    rules = robots_rules(
        200,
        b"User-agent: wirehouse\nDisallow: /a\n\nUser-agent: other\nDisallow: /\n\n"
        b"User-agent: wirehouse\nDisallow: /b\n",
    )
    assert not rules.allows("wirehouse", "https://x.example/a")
    assert not rules.allows("wirehouse", "https://x.example/b")
    assert rules.allows("wirehouse", "https://x.example/c")


def test_robots_paths_compare_percent_encoding_as_the_rfc_asks():
    rules = robots_rules(200, b"User-agent: *\nDisallow: /100%25-sure\nDisallow: /a%2Fb\n")
    assert not rules.allows("wirehouse", "https://x.example/100%25-sure")
    assert not rules.allows("wirehouse", "https://x.example/a%2Fb")
    assert rules.allows("wirehouse", "https://x.example/a/b")


def test_a_host_budget_takes_new_pages_first_then_the_longest_unvisited():
    day = datetime(2026, 1, 1, tzinfo=UTC)
    urls = [f"https://big.example/{i}" for i in range(6)] + ["https://small.example/a"]
    fetched = {urls[0]: day.replace(day=3), urls[1]: day.replace(day=2), urls[2]: day}
    kept, over = host_budget(urls, 4, fetched)
    # never fetched (3, 4, 5) first, then the longest unvisited (2); in the order listed
    assert kept == [urls[2], urls[3], urls[4], urls[5], "https://small.example/a"]
    assert over == [OverBudget("big.example", "https://big.example/", listed=6, kept=4)]
    assert host_budget(urls, 6, fetched) == (urls, [])


def test_the_users_own_urls_are_all_fetched_and_count_for_nothing():
    urls = [f"https://big.example/{i}" for i in range(5)]
    kept, over = host_budget(urls, 2, {}, exempt=set(urls[:3]))
    assert kept == urls and over == []
    kept, over = host_budget(urls, 1, {}, exempt={urls[0]})
    assert kept == urls[:2] and [(o.listed, o.kept) for o in over] == [(4, 1)]


def test_bytes_past_an_answers_length_do_not_fail_the_next_page_on_the_connection(local_server):
    # They stay on the kept-alive connection and were read as the next answer's start: the
    # next page, a good one, failed for good ("illegal status line"), blamed for the other.
    def overlong(h: BaseHTTPRequestHandler) -> None:
        h.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 12\r\n\r\n"
            b"<p>short</p> and forty more bytes past the length\r\n"
        )

    local_server.routes["/overlong"] = overlong
    local_server.page("/next", "<html><body>next</body></html>")
    urls = [local_server.url("/overlong"), local_server.url("/next")]
    results, _ = crawl(urls, obey_robots=False, per_host_concurrency=1)
    (first, _), (second, _) = results
    assert first is not None and first.body == b"<p>short</p>"
    assert second is not None and second.body == b"<html><body>next</body></html>"


def _silent(h: BaseHTTPRequestHandler) -> None:
    time.sleep(1.5)  # accepted, and no answer within the read timeout


def test_a_domain_whose_hosts_all_fail_is_paused_as_a_whole(local_server):
    # A wildcard DNS: 40 never-answering pages on 40 subdomains held a run 4 minutes, each
    # host paused by its own name only after its own failures
    local_server.routes["/never"] = _silent
    hosts = [f"s{i}.stall.example.com" for i in range(12)]
    address = f"127.0.0.1:{local_server.port}"
    urls = [f"http://{host}/never" for host in hosts]
    results, _ = crawl(
        urls, {h: address for h in hosts}, obey_robots=False, max_retries=0,
        read_timeout_s=0.3, max_concurrency=2,
    )  # fmt: skip
    errors = [attempts[-1].error for _, attempts in results]
    # the fifth failure pauses the domain; one more request was in flight with it
    assert errors.count("timeout") <= 6 and errors.count("host_paused") >= 6
    assert "its domain example.com paused after 5 failures on 5 of its hosts" in (
        results[-1][1][-1].detail or ""
    )


def test_a_domain_with_a_host_that_answers_is_never_paused_as_a_whole(local_server):
    local_server.routes["/never"] = _silent
    local_server.page("/ok", HTML)
    address = f"127.0.0.1:{local_server.port}"
    dead = [f"d{i}.site.example.com" for i in range(8)]
    resolve = {h: address for h in [*dead, "www.site.example.com"]}
    urls = ["http://www.site.example.com/ok", *(f"http://{h}/never" for h in dead)]
    urls.append("http://www.site.example.com/ok?again")
    results, _ = crawl(
        urls, resolve, obey_robots=False, max_retries=0, read_timeout_s=0.3, max_concurrency=1
    )
    assert results[0][0] is not None and results[-1][0] is not None
    assert [attempts[-1].error for _, attempts in results[1:-1]] == ["timeout"] * 8
