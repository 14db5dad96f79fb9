"""Fetching pages with httpx: safe, bounded, and recorded attempt by attempt.

Each hop of a request is resolved by us, checked against the network policy, and then
connected to the very address we checked (the URL, Host header and TLS SNI keep the name),
so a DNS answer cannot change between the check and the connection. Connections are kept
alive per host name, never shared between names that resolve to one address: bytes one
server sends past its response must not be read as another site's answer. Cookies live for
one fetch's redirects only. Bodies are streamed and cut at the size limit after
decompression; a slow drip is cut by the total-time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Protocol

import httpcore
import httpx

from tasks.content_coding import (
    CodingProblem,
    DecodingStack,
    TooLarge,
    codings_of,
    supported_codings,
)
from tasks.urls import ascii_host, is_http_url, normalize_url
from wirehouse.errors import FetchError, TerminalFetchError, TransientFetchError
from wirehouse.records import FetchAttempt, Validators
from wirehouse.settings import FetchSettings

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# What a server may send for a feed or a sitemap: the registered types, their x- and
# text/ variants, any XML or JSON, plain text and gzip. The parsers sniff the content, so a
# mislabelled feed is read all the same; only images, video and the like are refused.
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
        "application/x-rdf+xml",
        "application/rss",
        "application/xml",
        "application/feed+json",
        "application/json",
        "application/x-gzip",
        "application/gzip",
        "application/octet-stream",
        "text/*",
        "*+xml",
        "*+json",
        "*/xml",
        "*/json",
    }
)
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# The answers that carry the page asked for (204: the page is empty, and is read as such).
_PAGE_CODES = frozenset({200, 203, 204})
# Statuses a later attempt may not meet; every other 4xx/5xx is final for this run.
_TRANSIENT_CODES = frozenset({408, 429, 502, 503, 504})
ANY_TYPE: frozenset[str] = frozenset()  # accept whatever the server sends (robots.txt)
logger = logging.getLogger(__name__)


class Resolver(Protocol):
    """Turns a host name and port into the addresses to connect to."""

    async def resolve(self, host: str, port: int) -> list[tuple[str, int]]: ...


class SystemResolver:
    """The operating system's resolver (getaddrinfo, run off the event loop)."""

    def __init__(self) -> None:
        # One answer per host and port for the run: a crawl asks for the same hosts
        # thousands of times, and we connect to the checked address anyway.
        self._cache: dict[tuple[str, int], list[tuple[str, int]]] = {}

    async def resolve(self, host: str, port: int) -> list[tuple[str, int]]:
        cached = self._cache.get((host, port))
        if cached is not None:
            return cached
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            self._cache[(host, port)] = [(str(literal), port)]
            return self._cache[(host, port)]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise TerminalFetchError(f"cannot resolve {host}: {exc}", reason="dns_error") from exc
        seen: list[tuple[str, int]] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            pair = (str(sockaddr[0]), int(sockaddr[1]))
            if pair not in seen:
                seen.append(pair)
        self._cache[(host, port)] = seen
        return seen


class StaticResolver:
    """Fixed answers for some hosts (like curl's --resolve), the system's for the rest.

    ``{"news.example": "127.0.0.1:8080"}`` sends requests for news.example, on any port, to
    127.0.0.1:8080. The demo uses it to serve several sites from one loopback server.
    """

    def __init__(self, mapping: dict[str, str], fallback: Resolver | None = None) -> None:
        # Keyed by the A-label: "bücher.example" is asked for as "xn--bcher-kva.example".
        self._mapping = {
            (ascii_host(host) or host.lower()): split_address(addr)
            for host, addr in mapping.items()
        }
        self._fallback = fallback or SystemResolver()

    async def resolve(self, host: str, port: int) -> list[tuple[str, int]]:
        fixed = self._mapping.get(ascii_host(host) or host.lower())
        if fixed is None:
            return await self._fallback.resolve(host, port)
        address, fixed_port = fixed
        return [(address, fixed_port or port)]


def split_address(text: str) -> tuple[str, int | None]:
    """An IP address with an optional port ("127.0.0.1:8080", "[::1]:8080", "::1"); a
    ValueError saying what is wrong with anything else."""
    address, port = text, ""
    if text.startswith("["):  # [v6]:port
        address, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r} is not [IPv6]:PORT")
        port = rest[1:]
    elif text.count(":") == 1:
        address, port = text.split(":")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"{address!r} is not an IP address") from None
    if not port:
        return address, None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{port!r} is not a port (1-65535)")
    return address, int(port)


# IPv6 prefixes that embed an IPv4 address a packet may end up at: NAT64 (RFC 6052 and
# RFC 8215's local-use prefix), besides the 6to4 and Teredo forms ``ipaddress`` unwraps.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = []
    if ip.sixtofour:
        found.append(ip.sixtofour)
    if ip.teredo:
        found.extend(ip.teredo)  # (server, client): both are reached through it
    if any(ip in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def address_problem(address: str) -> str | None:
    """Why an address is off limits without --allow-private-network, or None when it is
    globally routable. Anything not global is refused (loopback, private, link-local,
    shared 100.64.0.0/10 where cloud metadata services live, reserved, multicast), and so is
    an IPv6 address that wraps one (IPv4-mapped, 6to4, Teredo, NAT64)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:a.b.c.d is a.b.c.d
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        candidates.extend(_embedded_ipv4(ip))
    for candidate in candidates:
        if candidate.is_loopback:
            return "loopback"
        if candidate.is_link_local:
            return "link-local or cloud metadata"
        if candidate.is_multicast:
            return "multicast"
        if not candidate.is_global or candidate in _SHARED or _outside_unicast(candidate):
            return "private or reserved" if candidate is ip else f"wraps {candidate}, not global"
    return None


# Global unicast is 2000::/3 (and NAT64's prefixes, which wrap a public IPv4 address):
# Python calls ::127.0.0.1 (IPv4-compatible) and ::ffff:0:127.0.0.1 (IPv4-translated)
# global, though each wraps an address and neither is routed on the internet.
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")


def _outside_unicast(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if not isinstance(ip, ipaddress.IPv6Address):
        return False
    return ip not in _GLOBAL_UNICAST and not any(ip in net for net in _NAT64)


_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier NAT; cloud metadata (100.100.100.200)


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """What a run may fetch: network reach, limits, and the content types it accepts."""

    settings: FetchSettings
    allow_private_network: bool = False


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to str.isdigit, not to float
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, slots=True)
class _BodyLimit:
    """How much of a body a fetch reads: ``bytes`` decoded at most; past them the fetch
    fails as too_large, or with ``truncate`` keeps what came up to them."""

    bytes: int
    truncate: bool = False


# Bytes of the wire decoded at a time where a body is cut at its limit: deflate grows a byte
# 1,032 times at most, so a piece decodes to about 260 KB at most.
_TRUNCATED_PIECE = 256

# Awaited with a redirect's target before the fetch follows it; refuses it by raising.
HopCheck = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Page:
    """A successful fetch: the attempt as recorded, plus the body and headers to archive."""

    attempt: FetchAttempt
    body: bytes
    headers: tuple[tuple[str, str], ...]


def type_accepted(accept: frozenset[str], mime: str) -> bool:
    """Whether ``mime`` is one of ``accept``: exact types, ``text/*`` prefixes, ``*+xml``
    suffixes."""
    if mime in accept:
        return True
    major = mime.split("/", 1)[0]
    return any(
        (pattern.endswith("/*") and pattern[:-2] == major)
        or (pattern.startswith("*") and mime.endswith(pattern[1:]))
        for pattern in accept
        if "*" in pattern
    )


def mime_type(content_type: str | None) -> str | None:
    """'text/html' from 'text/html; charset=utf-8'."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


class Fetcher:
    """Fetches URLs with an httpx client it is given, under one policy and resolver.

    Concurrency is bounded twice: across all hosts and per host.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        policy: FetchPolicy,
        resolver: Resolver | None = None,
    ) -> None:
        self._client = client
        self._policy = policy
        self._settings = policy.settings
        self._resolver = resolver or SystemResolver()
        self._global = asyncio.Semaphore(self._settings.max_concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        slot = self._per_host.get(host)
        if slot is None:
            slot = self._per_host[host] = asyncio.Semaphore(self._settings.per_host_concurrency)
        return slot

    async def fetch(
        self,
        url: str,
        accept: frozenset[str] = HTML_TYPES,
        validators: Validators | None = None,
        max_bytes: int | None = None,
        *,
        truncate: bool = False,
        check_hop: HopCheck | None = None,
        held_back: Callable[[], str | None] | None = None,
    ) -> Page | FetchAttempt:
        """Fetch one URL: a Page with a body, or the attempt alone, either failed (``error``
        set) or answered 304 Not Modified to the ``validators`` we sent. ``truncate``: a
        body over ``max_bytes`` is cut there, not refused; ``check_hop`` is awaited with
        each redirect's target before it is followed, and refuses it by raising a
        ``FetchError``; ``held_back`` is asked once the request has its slots, and a reason
        it gives stops it there (``host_paused``: the host failed while it waited)."""
        if max_bytes is None:
            html = accept is HTML_TYPES
            max_bytes = self._settings.max_body_bytes if html else self._settings.max_feed_bytes
        started = time.monotonic()
        fetched_at = datetime.now(UTC)
        redirects: list[str] = []
        try:
            async with asyncio.timeout(self._settings.total_timeout_s):
                return await self._follow(
                    url, accept, fetched_at, started, redirects, validators,
                    _BodyLimit(max_bytes, truncate), check_hop, held_back,
                )  # fmt: skip
        except TimeoutError:
            # Not tried again: a server that trickles a page past the whole request's time
            # trickles it again (one such page held a run 4 minutes, 4 tries of 60 s).
            error: FetchError = TerminalFetchError(
                f"no complete answer within {self._settings.total_timeout_s:.0f}s",
                reason="timeout",
            )
        except FetchError as exc:
            error = exc
        except httpx.TimeoutException as exc:
            error = TransientFetchError(f"{type(exc).__name__}: {exc}", reason="timeout")
        except httpx.RemoteProtocolError as exc:
            error = _protocol_error(exc)
        except (httpx.TransportError, OSError) as exc:
            error = TransientFetchError(
                f"{type(exc).__name__}: {exc or 'connection failed'}", reason="connection_error"
            )
        except httpx.HTTPError as exc:
            error = TerminalFetchError(f"{type(exc).__name__}: {exc}", reason="http_error")
        except Exception as exc:  # one URL's surprise must not cost the run its other URLs
            logger.exception("unexpected error fetching %s", url)
            error = TerminalFetchError(f"{type(exc).__name__}: {exc}", reason="internal_error")
        return FetchAttempt(
            url=url,
            fetched_at=fetched_at,
            final_url=redirects[-1] if redirects else None,
            status_code=error.status_code,
            error=error.reason,
            detail=error.detail,
            redirects=tuple(redirects),
            elapsed_ms=int((time.monotonic() - started) * 1000),
            retryable=error.retryable,
            retry_after_s=error.retry_after_s,
        )

    async def _follow(
        self,
        url: str,
        accept: frozenset[str],
        fetched_at: datetime,
        started: float,
        redirects: list[str],
        validators: Validators | None,
        limit: _BodyLimit,
        check_hop: HopCheck | None,
        held_back: Callable[[], str | None] | None,
    ) -> Page | FetchAttempt:
        current = url
        # Cookies a server sets on the way are sent back along this fetch's redirects (a
        # cookie check that redirects to itself), and forgotten with it: a run-wide jar would
        # grow with every site's cookies and follow the crawler from page to page.
        cookies = httpx.Cookies()
        for hop in range(self._settings.max_redirects + 1):
            if not is_http_url(current):
                raise TerminalFetchError(
                    f"not an http(s) URL: {current[:200]}", reason="bad_scheme"
                )
            try:
                target = httpx.URL(current)
                # The A-label (punycode) of an internationalised name: what DNS, the Host
                # header and TLS SNI carry. httpx's .host is the decoded Unicode form.
                host = target.raw_host.decode("ascii")
            except (httpx.InvalidURL, UnicodeError) as exc:
                raise TerminalFetchError(f"invalid URL: {exc}", reason="bad_url") from exc
            # Host slot first: a request waiting for a busy host must not hold a global slot.
            async with self._host_slot(host), self._global:
                if held_back is not None and (why := held_back()):
                    raise TerminalFetchError(why, reason="host_paused")
                address, port = await self._checked_address(host, target.port or _port(target))
                headers = {"Host": _host_header(host, target.port)}
                asked = validators.headers() if validators and hop == 0 else {}
                headers.update(asked)
                request = self._client.build_request(
                    "GET", target, headers=headers, extensions={_ADDRESS: (address, port)}
                )
                # a cookie of non-ASCII bytes cannot be sent back: the request goes without
                with contextlib.suppress(UnicodeEncodeError):
                    cookies.set_cookie_header(request)
                response = await self._client.send(request, stream=True)
                try:
                    cookies.extract_cookies(response)
                    location = response.extensions.get(_LOCATION) or response.headers.get(
                        "location"
                    )
                    if not (response.status_code in _REDIRECT_CODES and location):
                        return await self._read(
                            response, url, current, accept, fetched_at, started, redirects,
                            limit, bool(asked),
                        )  # fmt: skip
                    current = _redirect_target(target, location)
                    redirects.append(current)
                finally:
                    await response.aclose()
            # Outside the host's and the run's slots: the check may fetch another robots.txt.
            if check_hop is not None:
                await check_hop(current)
        raise TerminalFetchError(
            f"more than {self._settings.max_redirects} redirects", reason="too_many_redirects"
        )

    async def _checked_address(self, host: str, port: int) -> tuple[str, int]:
        addresses = await self._resolver.resolve(host, port)
        if not addresses:
            raise TerminalFetchError(f"{host} has no address", reason="dns_error")
        if not self._policy.allow_private_network:
            for address, _port in addresses:
                problem = address_problem(address)
                if problem:
                    raise TerminalFetchError(
                        f"{host} resolves to {address} ({problem}); "
                        "pass --allow-private-network to fetch it",
                        reason="private_address",
                    )
        return addresses[0]

    async def _read(
        self,
        response: httpx.Response,
        url: str,
        final_url: str,
        accept: frozenset[str],
        fetched_at: datetime,
        started: float,
        redirects: list[str],
        limit: _BodyLimit,
        conditional: bool,
    ) -> Page | FetchAttempt:
        status = response.status_code
        if status == 304 and not conditional:
            # "Not modified" since no version we named: a cache's or a CDN's slip. Counted
            # as unchanged, the page was never archived, run after run, and nothing said so.
            raise TerminalFetchError(
                "HTTP 304 Not Modified to a request that named no version held",
                reason="http_304",
                status_code=304,
            )
        if status == 304:
            return FetchAttempt(
                url=url,
                fetched_at=fetched_at,
                final_url=final_url,  # redirect targets are normalised where they are read
                status_code=304,
                redirects=tuple(redirects),
                elapsed_ms=int((time.monotonic() - started) * 1000),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )
        if status >= 400:
            if status in _TRANSIENT_CODES:
                raise TransientFetchError(
                    f"HTTP {status}",
                    reason=f"http_{status}",
                    status_code=status,
                    retry_after_s=parse_retry_after(response.headers.get("retry-after")),
                )
            raise TerminalFetchError(f"HTTP {status}", reason=f"http_{status}", status_code=status)
        if status in _REDIRECT_CODES:  # followed above when it says where to
            raise TerminalFetchError(
                f"HTTP {status} without a Location header", reason="bad_redirect",
                status_code=status,
            )  # fmt: skip
        if accept is HTML_TYPES and status not in _PAGE_CODES:
            # 206 is a part of a body no one asked for (no Range is sent), 300 a list of
            # choices, 201, 202 and 205 answer other methods: none is the page itself. (A
            # robots.txt is read on any 2xx, as RFC 9309 asks; a feed as far as it goes.)
            raise TerminalFetchError(
                f"HTTP {status}: not a page's answer", reason=f"http_{status}", status_code=status
            )
        content_type = response.headers.get("content-type")
        mime = mime_type(content_type)
        if accept and mime is not None and not type_accepted(accept, mime):
            raise TerminalFetchError(
                f"content type {mime} is not wanted here", reason="wrong_type", status_code=status
            )
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit.bytes and not limit.truncate:
            raise TerminalFetchError(
                f"declared size {declared} bytes > {limit.bytes}", reason="too_large"
            )
        body = await _read_body(response, limit)
        attempt = FetchAttempt(
            url=url,
            fetched_at=fetched_at,
            final_url=final_url,  # redirect targets are normalised where they are read
            status_code=status,
            redirects=tuple(redirects),
            content_type=content_type,
            elapsed_ms=int((time.monotonic() - started) * 1000),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )
        headers = tuple((k, v) for k, v in response.headers.multi_items())
        return Page(attempt=attempt, body=body, headers=headers)


def _port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


def _host_header(host: str, port: int | None) -> str:
    shown = host if ":" not in host else f"[{host}]"
    return shown if port is None else f"{shown}:{port}"


def _redirect_target(base: httpx.URL, location: str) -> str:
    """The absolute URL a Location header points to; a value that is no URL is a final
    error of this fetch (a retry would meet the same header)."""
    scheme, sep, rest = location.strip().partition("://")
    if sep and scheme.lower() in ("http", "https") and not rest.split("/", 1)[0]:
        raise TerminalFetchError(
            f"invalid Location header {location[:200]!r}: no host", reason="bad_redirect"
        )
    try:
        joined = base.join(location.strip())
        joined.raw_host.decode("ascii")
        target = str(joined)
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise TerminalFetchError(
            f"invalid Location header {location[:200]!r}: {exc}", reason="bad_redirect"
        ) from exc
    if not is_http_url(target):
        raise TerminalFetchError(
            f"Location header leads to {target[:200]!r}, not an http(s) URL",
            reason="bad_redirect",
        )
    return normalize_url(target)


async def _read_body(response: httpx.Response, limit: _BodyLimit) -> bytes:
    """The body, its content codings undone as it arrives, never more than ``limit`` bytes
    decoded (a gzip bomb, stacked or not, is cut at the limit, not after it)."""
    out = bytearray()
    # Cut where asked: the wire's bytes are decoded a few at a time (at most about 260 KB of
    # gzip output each), so the limit is reached piece by piece and what came up to it is
    # kept; a piece that decodes past twice the limit at once (a stacked bomb) fails.
    decoded_limit = 2 * limit.bytes if limit.truncate else limit.bytes
    try:
        stack = DecodingStack(codings_of(response.headers.get("content-encoding")), decoded_limit)
        async for raw in response.aiter_raw():
            for start in range(0, len(raw), _TRUNCATED_PIECE if limit.truncate else len(raw)):
                out += stack.feed(raw[start : start + _TRUNCATED_PIECE] if limit.truncate else raw)
                if limit.truncate and len(out) >= limit.bytes:
                    return bytes(out[: limit.bytes])
        out += stack.finish()
    except TooLarge:
        raise TerminalFetchError(f"body over {limit.bytes} bytes", reason="too_large") from None
    except CodingProblem as exc:
        raise TerminalFetchError(exc.detail, reason=f"bad_encoding_{exc.reason}") from exc
    return bytes(out)


_LOCATION = "wirehouse.location"  # where a redirect's Location header is kept
_ADDRESS = "wirehouse.address"  # the checked (address, port) a request must connect to


# How a connection ends that a new one may not: a kept-alive connection the server closed as
# the request went out, a body cut off midway, or an answer that does not start as one (the
# bytes a previous answer sent past its Content-Length, on a kept-alive connection, read as
# this one's start: the next page on it was blamed). Any other breach of HTTP/1.1 (a chunk
# size that is no number, a header line that is no header, a head past h11's limit) is the
# server's way of answering, and it answers the same again.
_CONNECTION_TROUBLE = (
    "server disconnected",
    "peer closed connection",
    "illegal status line",
    "illegal request line",  # h11's word for an answer's first bytes that no line could be
    "no response line",
)


def _protocol_error(exc: httpx.RemoteProtocolError) -> FetchError:
    detail = f"{type(exc).__name__}: {exc or 'connection failed'}"
    if str(exc).casefold().startswith(_CONNECTION_TROUBLE):
        return TransientFetchError(detail, reason="connection_error")
    return TerminalFetchError(detail, reason="http_error")


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens a connection for a host name to the address the Fetcher checked for it, and
    to no other: a name never checked has no address here."""

    def __init__(self) -> None:
        self._network = httpcore.AnyIOBackend()
        self._addresses: dict[tuple[str, int], tuple[str, int]] = {}

    def pin(self, host: str, port: int, address: tuple[str, int]) -> None:
        self._addresses[(host, port)] = address

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = self._addresses.get((host, port))
        if address is None:
            raise httpcore.ConnectError(f"{host}:{port} was not checked before connecting")
        return await self._network.connect_tcp(
            address[0], address[1], timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class _PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, its connections keyed by the URL's host name (as httpcore keys
    them) and opened to the address checked for that request. Sending the address in the
    URL instead kept one pool per address: sites that share an address (a CDN, a shared
    host, --resolve) shared connections, and the bytes one server sent past its
    Content-Length were read as the answer to the next site's request."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._backend = _PinnedBackend()
        # httpx takes no network backend: its pool is made again, as it makes it, with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=self._backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        address = request.extensions.get(_ADDRESS)
        if address is None:
            raise httpx.ConnectError("no checked address for this request", request=request)
        url = request.url
        self._backend.pin(url.raw_host.decode("ascii"), url.port or _port(url), address)
        return await super().handle_async_request(request)


class _NoCookies(DefaultCookiePolicy):
    """The client keeps no cookie: each fetch keeps its own for its redirects."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


async def _keep_location(response: httpx.Response) -> None:
    """Take a redirect's Location header out of httpx's reach: it parses the header even
    when it follows no redirect, and turns a malformed one into a transport error (which
    reads as transient). We follow redirects ourselves and judge the header there."""
    if response.status_code in _REDIRECT_CODES and "location" in response.headers:
        response.extensions[_LOCATION] = response.headers["location"]
        del response.headers["location"]


def make_client(settings: FetchSettings) -> httpx.AsyncClient:
    """An httpx client with explicit timeouts and our user agent; redirects are ours to follow."""
    timeout = httpx.Timeout(
        connect=settings.connect_timeout_s,
        read=settings.read_timeout_s,
        write=settings.read_timeout_s,
        pool=settings.total_timeout_s,
    )
    limits = httpx.Limits(
        max_connections=settings.max_concurrency,
        max_keepalive_connections=settings.max_concurrency,
    )
    return httpx.AsyncClient(
        timeout=timeout,
        transport=_PinnedTransport(limits),
        cookies=CookieJar(policy=_NoCookies()),  # a Cookies() would be copied, policy lost
        follow_redirects=False,
        event_hooks={"response": [_keep_location]},
        headers={
            "User-Agent": settings.user_agent,
            "Accept": "text/html,application/xhtml+xml,*/*;q=0.5",
            # What _read_body can undo; httpx's own decoders are not used (unbounded output).
            "Accept-Encoding": ", ".join(supported_codings()),
        },
        trust_env=False,
    )


async def fetch_all(
    fetcher: Fetcher,
    urls: Sequence[str],
    on_result: Callable[[Page | FetchAttempt], Awaitable[None] | None],
    accept: frozenset[str] = HTML_TYPES,
) -> None:
    """Fetch every URL concurrently (bounded by the fetcher), handing each result over as it
    arrives so that bodies do not pile up in memory."""

    async def one(url: str) -> None:
        result = await fetcher.fetch(url, accept)
        handled = on_result(result)
        if handled is not None:
            await handled

    await asyncio.gather(*(one(url) for url in _unique(urls)))


def _unique(urls: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for url in urls:
        if url not in seen:
            seen.add(url)
            kept.append(url)
    return kept
