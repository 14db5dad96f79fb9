"""Politeness around the Fetcher: robots.txt, crawl delays, retries, paused hosts.

- robots.txt is fetched once per origin per run and obeyed for our user agent's product
  token: Disallow refuses the URL, Crawl-delay spaces requests to the host. Per RFC 9309 a
  4xx robots.txt allows everything, and a 5xx or unreachable one disallows the host.
- Only transient failures are retried (timeouts, connection errors, 408, 429, 502/503/504),
  with exponential backoff and full jitter; a Retry-After header is honoured up to a cap,
  and it also holds back every other request to that host.
- A host that fails ``host_failure_limit`` times in a row is paused for the rest of the run.

Every attempt, refused ones included, is returned so that it lands in ``fetches``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from tasks.fetch import ANY_TYPE, HTML_TYPES, Fetcher, Page, Validators
from wirehouse.records import FetchAttempt
from wirehouse.settings import FetchSettings

ROBOTS_MAX_BYTES = 512_000  # what RFC 9309 asks crawlers to read at least
# Failures that are our own policy, not the site's: the page would meet them too.
_POLICY_REFUSALS = frozenset({"private_address", "bad_scheme", "dns_error"})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class RobotsAnswer:
    """What an origin answered for /robots.txt (kept per run, so it is fetched once)."""

    status_code: int | None
    body: bytes | None
    error: str  # the fetch's reason code when there is no answer ("" when there is one)


@dataclass(frozen=True, slots=True)
class RobotsGroup:
    """One group of a robots.txt: the rules for some user agents."""

    agents: tuple[str, ...]
    rules: tuple[tuple[bool, str, re.Pattern[str] | None], ...]  # (allow, pattern, compiled)
    crawl_delay: float | None


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """What one origin's robots.txt says (RFC 9309: longest match wins, * and $ wildcards,
    Allow wins a tie; Crawl-delay, a common extension, read as seconds)."""

    groups: tuple[RobotsGroup, ...] = ()
    disallow_all: bool = False
    reason: str = ""

    def _group(self, agent: str) -> RobotsGroup | None:
        token = agent.lower()
        for group in self.groups:
            if token in group.agents:
                return group
        return next((g for g in self.groups if "*" in g.agents), None)

    def allows(self, agent: str, url: str) -> bool:
        if self.disallow_all:
            return False
        group = self._group(agent)
        if group is None:
            return True
        parts = urlsplit(url)
        path = unquote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        best_length, allowed = -1, True
        for allow, pattern, compiled in group.rules:
            if (
                compiled is not None
                and compiled.match(path)
                and (len(pattern) > best_length or (len(pattern) == best_length and allow))
            ):
                best_length, allowed = len(pattern), allow
        return allowed

    def crawl_delay(self, agent: str) -> float:
        group = self._group(agent)
        return (group.crawl_delay or 0.0) if group else 0.0


def _robots_pattern(pattern: str) -> re.Pattern[str] | None:
    """A robots.txt path pattern as a regex: * is any run of characters, a final $ anchors."""
    if not pattern:
        return None  # "Disallow:" with no path allows everything
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(unquote(piece)) for piece in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""))


def parse_robots(text: str) -> RobotsRules:
    """Parse a robots.txt body; lines it does not know are ignored, as the RFC asks."""
    groups: list[RobotsGroup] = []
    agents: list[str] = []
    rules: list[tuple[bool, str, re.Pattern[str] | None]] = []
    delay: float | None = None
    in_rules = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if in_rules:  # a user-agent line after rules starts a new group
                groups.append(RobotsGroup(tuple(agents), tuple(rules), delay))
                agents, rules, delay, in_rules = [], [], None, False
            agents.append(value.lower())
        elif key in ("allow", "disallow") and agents:
            in_rules = True
            rules.append((key == "allow", value, _robots_pattern(value)))
        elif key == "crawl-delay" and agents:
            in_rules = True
            with contextlib.suppress(ValueError):
                delay = max(0.0, float(value))
    if agents:
        groups.append(RobotsGroup(tuple(agents), tuple(rules), delay))
    return RobotsRules(tuple(groups))


def robots_rules(status: int | None, body: bytes | None, reason: str = "") -> RobotsRules:
    """Rules from a robots.txt answer (RFC 9309 section 2.3.1)."""
    if status is not None and 200 <= status < 300 and body is not None:
        return parse_robots(body.decode("utf-8", errors="replace"))
    if status is not None and 400 <= status < 500:
        return RobotsRules()  # no robots.txt: everything allowed
    return RobotsRules(disallow_all=True, reason=reason or f"robots.txt answered {status}")


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: 'wirehouse' of 'wirehouse/0.1 (...)'."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


@dataclass
class _HostState:
    slots: asyncio.Semaphore  # requests in flight to the host, retries and waits included
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # serialises spaced requests
    next_at: float = 0.0  # monotonic time before which no request may start
    failures: int = 0  # consecutive failures
    paused: str | None = None  # why the host is paused for the rest of the run


class PoliteFetcher:
    """Fetches URLs through a Fetcher, the way sites would want to be crawled."""

    def __init__(
        self,
        fetcher: Fetcher,
        settings: FetchSettings,
        *,
        robots_seen: dict[str, RobotsAnswer] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._settings = settings
        self._agent = agent_token(settings.user_agent)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._robots: dict[str, asyncio.Future[RobotsRules]] = {}
        self._hosts: dict[str, _HostState] = {}
        # robots.txt answers of this run, by origin: read by earlier steps, or by this one.
        self.robots_answers: dict[str, RobotsAnswer] = dict(robots_seen or {})
        self.robots_attempts: list[FetchAttempt] = []

    def _host(self, url: str) -> _HostState:
        host = (urlsplit(url).hostname or "").lower()
        state = self._hosts.get(host)
        if state is None:
            slots = asyncio.Semaphore(self._settings.per_host_concurrency)
            state = self._hosts[host] = _HostState(slots)
        return state

    async def rules_for(self, url: str) -> RobotsRules:
        """The robots rules of a URL's origin, fetched once per run however many ask."""
        origin = _origin(url)
        task = self._robots.get(origin)
        if task is None:
            task = self._robots[origin] = asyncio.ensure_future(self._read_robots(origin))
        return await task

    async def _read_robots(self, origin: str) -> RobotsRules:
        answer = self.robots_answers.get(origin)
        if answer is None:
            robots_url = f"{origin}/robots.txt"
            result = await self._fetcher.fetch(robots_url, ANY_TYPE, max_bytes=ROBOTS_MAX_BYTES)
            attempt = result.attempt if isinstance(result, Page) else result
            self.robots_attempts.append(attempt)
            if isinstance(result, Page):
                answer = RobotsAnswer(result.attempt.status_code, result.body, "")
            else:
                answer = RobotsAnswer(attempt.status_code, None, attempt.error or "")
            self.robots_answers[origin] = answer
        reason = f"{origin}/robots.txt: {answer.error}" if answer.error else ""
        return robots_rules(answer.status_code, answer.body, reason)

    def _backoff(self, retry: int) -> float:
        ceiling = min(self._settings.backoff_max_s, self._settings.backoff_base_s * 2**retry)
        return self._rng.uniform(0, ceiling)

    async def _wait_turn(self, state: _HostState, delay: float) -> None:
        """Start no request before the host's next slot; with a crawl delay, space them."""
        async with state.lock:
            wait = state.next_at - time.monotonic()
            if wait > 0:
                await self._sleep(wait)
            if delay > 0:
                state.next_at = time.monotonic() + delay

    def _refusal(self, url: str, reason: str, detail: str) -> FetchAttempt:
        return FetchAttempt(url=url, fetched_at=datetime.now(UTC), error=reason, detail=detail)

    async def get(
        self,
        url: str,
        accept: frozenset[str] = HTML_TYPES,
        validators: Validators | None = None,
        *,
        obey_robots: bool | None = None,
    ) -> tuple[Page | None, list[FetchAttempt]]:
        """Fetch one URL politely: (the page if one came, every attempt made or refused)."""
        state = self._host(url)
        if state.paused:
            return None, [self._refusal(url, "host_paused", state.paused)]
        delay = 0.0
        if self._settings.obey_robots if obey_robots is None else obey_robots:
            origin = _origin(url)
            rules = await self.rules_for(url)
            refused = self.robots_answers.get(origin)
            if refused and refused.error in _POLICY_REFUSALS:
                # The page itself would be refused for the same reason: say that one.
                return None, [self._refusal(url, refused.error, rules.reason)]
            if not rules.allows(self._agent, url):
                detail = rules.reason or f"disallowed for {self._agent} by robots.txt"
                return None, [self._refusal(url, "robots_disallowed", detail)]
            delay = rules.crawl_delay(self._agent)
            if delay > self._settings.max_crawl_delay_s:
                return None, [
                    self._refusal(
                        url,
                        "crawl_delay_too_long",
                        f"robots.txt asks for {delay:.0f}s between requests "
                        f"(limit {self._settings.max_crawl_delay_s:.0f}s)",
                    )
                ]
        attempts: list[FetchAttempt] = []
        for retry in range(self._settings.max_retries + 1):
            async with state.slots:
                await self._wait_turn(state, delay)
                if state.paused:  # another request to this host gave up on it meanwhile
                    attempts.append(self._refusal(url, "host_paused", state.paused))
                    return None, attempts
                result = await self._fetcher.fetch(url, accept, validators)
            attempt = result.attempt if isinstance(result, Page) else result
            attempts.append(_numbered(attempt, retry + 1))
            if isinstance(result, Page) or not attempt.error:
                state.failures = 0
                return (result if isinstance(result, Page) else None), attempts
            state.failures += 1
            if state.failures >= self._settings.host_failure_limit:
                state.paused = (
                    f"paused after {state.failures} failures in a row (last: {attempt.error})"
                )
                return None, attempts
            if not attempt.retryable or retry == self._settings.max_retries:
                return None, attempts
            wait = self._backoff(retry)
            if attempt.retry_after_s is not None:
                wait = max(wait, min(attempt.retry_after_s, self._settings.max_retry_after_s))
                # The server asked us to slow down: hold every request to it, not only this one.
                state.next_at = max(state.next_at, time.monotonic() + wait)
            await self._sleep(wait)
        return None, attempts


def _numbered(attempt: FetchAttempt, number: int) -> FetchAttempt:
    return attempt if attempt.attempt == number else replace(attempt, attempt=number)
