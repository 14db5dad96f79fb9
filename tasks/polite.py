"""Politeness around the Fetcher: robots.txt, crawl delays, retries, paused hosts.

- robots.txt is fetched once per origin per run and obeyed for our user agent's product
  token: Disallow refuses the URL, Crawl-delay spaces requests to the host. Per RFC 9309 a
  4xx robots.txt allows everything, and a 5xx or unreachable one disallows the host.
- Only transient failures are retried (timeouts, connection errors, 408, 429, 502/503/504),
  with exponential backoff and full jitter; a Retry-After header is honoured up to a cap,
  and it also holds back every other request to that host.
- A host that fails ``host_failure_limit`` times in a row (timeouts, refused connections,
  5xx, 429: not a 404 or an unwanted type, which are answers) is paused for the rest of
  the run; so is a whole registrable domain whose hosts (``DOMAIN_FAILING_HOSTS`` of them
  or more) fail and none answers (a wildcard DNS escaped the pause by name).
- A host whose feeds and sitemaps list more pages than ``max_pages_per_host`` has that
  many fetched in a run (``host_budget``): those never fetched first, then the longest
  unvisited, so that runs after it work through the rest.

Every attempt, refused ones included, is returned so that it lands in ``fetches``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from protego import Protego

from tasks.fetch import ANY_TYPE, HTML_TYPES, Fetcher, Page
from tasks.urls import domain_of
from wirehouse.errors import TerminalFetchError
from wirehouse.records import FetchAttempt, RobotsAnswer, Validators
from wirehouse.settings import FetchSettings

ROBOTS_MAX_BYTES = 512_000  # what RFC 9309 asks crawlers to read at least
# Failures that are our own policy, not the site's: the page would meet them too.
_POLICY_REFUSALS = frozenset({"private_address", "bad_scheme", "dns_error"})


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """What one origin's robots.txt says, read by protego (Scrapy's RFC 9309 parser: groups
    for one agent merged, longest match wins, Allow wins a tie, * and $ wildcards,
    percent-encoding compared as the RFC asks; Crawl-delay, a common extension, in seconds)."""

    parsed: Protego | None = None
    disallow_all: bool = False
    reason: str = ""

    def allows(self, agent: str, url: str) -> bool:
        if self.disallow_all:
            return False
        if self.parsed is None:
            return True
        return bool(self.parsed.can_fetch(url, agent))

    def crawl_delay(self, agent: str) -> float:
        if self.parsed is None:
            return 0.0
        delay = self.parsed.crawl_delay(agent)
        return max(0.0, float(delay)) if delay is not None else 0.0


def parse_robots(text: str) -> RobotsRules:
    """Parse a robots.txt body; lines it does not know are ignored, as the RFC asks."""
    return RobotsRules(Protego.parse(text))


def robots_rules(
    status: int | None, body: bytes | None, where: str = "robots.txt", error: str = ""
) -> RobotsRules:
    """Rules from a robots.txt answer (RFC 9309 section 2.3.1); ``where`` names it and
    ``error`` is why there was no answer, for the reason a refusal gives."""
    if status is not None and 200 <= status < 300 and body is not None:
        return parse_robots(body.decode("utf-8", errors="replace"))
    if status is not None and 400 <= status < 500:
        return RobotsRules()  # no robots.txt: everything allowed
    if status is not None:
        return RobotsRules(disallow_all=True, reason=f"{where} answered {status}")
    return RobotsRules(
        disallow_all=True, reason=f"{where} could not be read ({error or 'no answer'})"
    )


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: 'wirehouse' of 'wirehouse/0.1 (...)'."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


@dataclass
class _HostState:
    slots: asyncio.Semaphore  # requests in flight to the host, retries and waits included
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # serialises spaced requests
    next_at: float = 0.0  # monotonic time before which no request may start
    first_turn_at: float | None = None  # monotonic time of the run's first request to it
    failures: int = 0  # consecutive failures
    paused: str | None = None  # why the host is paused for the rest of the run


@dataclass
class _DomainState:
    """A registrable domain's trouble: a site may answer on any number of host names (a
    wildcard DNS), and a host's pause is by name."""

    name: str  # the registrable domain
    failing_hosts: set[str] = field(default_factory=set)
    failures: int = 0  # failures since the run began, on any of its hosts
    answered: bool = False  # a host of the domain answered this run
    paused: str | None = None


# A domain none of whose hosts answered is paused once this many of them have failed (and
# the domain has failed ``host_failure_limit`` times): 40 never-answering pages on 40
# subdomains held a run 4 minutes, a sitemap of them would have for days. A domain with a
# host that answers is never paused as a whole: its dead hosts are, one by one.
DOMAIN_FAILING_HOSTS = 3


# A URL left for the next run: its host's crawl delay used the time a run gives it.
CRAWL_DELAY_BUDGET = "crawl_delay_budget"


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
        self._domains: dict[str, _DomainState] = {}
        # robots.txt answers of this run, by origin: read by earlier steps, or by this one.
        self.robots_answers: dict[str, RobotsAnswer] = dict(robots_seen or {})
        self.robots_attempts: list[FetchAttempt] = []

    def take_robots_attempts(self) -> list[FetchAttempt]:
        """The robots.txt attempts made since the last call (so each is recorded once)."""
        taken, self.robots_attempts = self.robots_attempts, []
        return taken

    def _host(self, url: str) -> _HostState:
        host = (urlsplit(url).hostname or "").lower()
        state = self._hosts.get(host)
        if state is None:
            slots = asyncio.Semaphore(self._settings.per_host_concurrency)
            state = self._hosts[host] = _HostState(slots)
        return state

    def _domain(self, url: str) -> _DomainState:
        name = domain_of(url)
        state = self._domains.get(name)
        if state is None:
            state = self._domains[name] = _DomainState(name)
        return state

    def _paused(self, state: _HostState, domain: _DomainState) -> str | None:
        return state.paused or domain.paused

    def _failed(self, url: str, state: _HostState, domain: _DomainState, error: str) -> None:
        """Count a failure that says the host is in trouble; pause the host, or its whole
        domain, past the limit."""
        limit = self._settings.host_failure_limit
        state.failures += 1
        if state.failures >= limit and state.paused is None:
            state.paused = f"paused after {state.failures} failures in a row (last: {error})"
        domain.failures += 1
        domain.failing_hosts.add((urlsplit(url).hostname or "").lower())
        hosts = len(domain.failing_hosts)
        troubled = domain.failures >= limit and hosts >= DOMAIN_FAILING_HOSTS
        if troubled and not domain.answered and domain.paused is None:
            domain.paused = (
                f"its domain {domain.name} paused after {domain.failures} failures on "
                f"{hosts} of its hosts, none of which answered (last: {error})"
            )

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
            # RFC 9309: a file over the limit is read up to it, not refused whole.
            result = await self._fetcher.fetch(
                robots_url, ANY_TYPE, max_bytes=ROBOTS_MAX_BYTES, truncate=True
            )
            attempt = result.attempt if isinstance(result, Page) else result
            self.robots_attempts.append(attempt)
            if isinstance(result, Page):
                answer = RobotsAnswer(result.attempt.status_code, result.body, "")
            else:
                answer = RobotsAnswer(attempt.status_code, None, attempt.error or "")
            self.robots_answers[origin] = answer
        return robots_rules(answer.status_code, answer.body, f"{origin}/robots.txt", answer.error)

    async def _robots_verdict(self, url: str) -> tuple[str, str] | float:
        """Why the URL's robots.txt refuses it, as (reason, detail), or the crawl delay it
        asks of this agent."""
        origin = _origin(url)
        rules = await self.rules_for(url)
        refused = self.robots_answers.get(origin)
        if refused and refused.error in _POLICY_REFUSALS:
            # The page itself would be refused for the same reason: say that one.
            return refused.error, rules.reason
        if rules.disallow_all:
            # Not the site's wish: its robots.txt could not be read (5xx, timeout,
            # connection refused), and RFC 9309 says to assume a full disallow meanwhile.
            return (
                "robots_unreachable",
                f"{rules.reason}; assumed to disallow all until it can be read",
            )
        if not rules.allows(self._agent, url):
            return "robots_disallowed", f"disallowed for {self._agent} by robots.txt"
        delay = rules.crawl_delay(self._agent)
        if delay > self._settings.max_crawl_delay_s:
            return "crawl_delay_too_long", (
                f"robots.txt asks for {delay:.0f}s between requests "
                f"(limit {self._settings.max_crawl_delay_s:.0f}s)"
            )
        return delay

    async def _check_hop(self, target: str) -> None:
        """A redirect's target is asked of its own robots.txt, as a URL given would be: a
        page a site disallows is not fetched by way of another's redirect. (Its crawl delay
        is not waited for: the hop is one request, made inside this fetch.)"""
        verdict = await self._robots_verdict(target)
        if isinstance(verdict, tuple):
            reason, detail = verdict
            raise TerminalFetchError(f"redirect to {target[:200]}: {detail}", reason=reason)

    def _backoff(self, retry: int) -> float:
        ceiling = min(self._settings.backoff_max_s, self._settings.backoff_base_s * 2**retry)
        return self._rng.uniform(0, ceiling)

    async def _wait_turn(self, state: _HostState, delay: float, budgeted: bool = True) -> bool:
        """Start no request before the host's next slot; with a crawl delay, space them.
        False, at once, where the next slot is past the time a run gives the host
        (``crawl_delay_budget_s``) and the URL is ``budgeted``: the page waits for the next
        run."""
        async with state.lock:
            now = time.monotonic()
            if state.first_turn_at is None:
                state.first_turn_at = now
            budget = self._settings.crawl_delay_budget_s
            if budgeted and delay > 0 and state.next_at - state.first_turn_at > budget:
                return False
            wait = state.next_at - now
            if wait > 0:
                await self._sleep(wait)
            if delay > 0:
                state.next_at = time.monotonic() + delay
        return True

    def _refusal(self, url: str, reason: str, detail: str) -> FetchAttempt:
        return FetchAttempt(url=url, fetched_at=datetime.now(UTC), error=reason, detail=detail)

    async def get(
        self,
        url: str,
        accept: frozenset[str] = HTML_TYPES,
        validators: Validators | None = None,
        *,
        obey_robots: bool | None = None,
        budgeted: bool = True,
    ) -> tuple[Page | None, list[FetchAttempt]]:
        """Fetch one URL politely: (the page if one came, every attempt made or refused).
        A ``budgeted`` URL of a host whose crawl delay has used the time a run gives it is
        refused as ``CRAWL_DELAY_BUDGET``, asking nothing of the server (the caller's own
        URLs are not budgeted)."""
        state, domain = self._host(url), self._domain(url)
        if paused := self._paused(state, domain):
            return None, [self._refusal(url, "host_paused", paused)]
        delay = 0.0
        obeyed = self._settings.obey_robots if obey_robots is None else obey_robots
        if obeyed:
            verdict = await self._robots_verdict(url)
            if isinstance(verdict, tuple):
                return None, [self._refusal(url, *verdict)]
            delay = verdict
        attempts: list[FetchAttempt] = []
        for retry in range(self._settings.max_retries + 1):
            async with state.slots:
                if not await self._wait_turn(state, delay, budgeted):
                    host = urlsplit(url).hostname or ""
                    detail = (
                        f"{host}'s robots.txt asks for {delay:g}s between requests, and the "
                        f"{self._settings.crawl_delay_budget_s:g}s a run gives it are spent "
                        "(WIREHOUSE_CRAWL_DELAY_BUDGET_S): left for the next run"
                    )
                    attempts.append(self._refusal(url, CRAWL_DELAY_BUDGET, detail))
                    return None, attempts
                # another request to this host (or its domain) gave up on it meanwhile
                if paused := self._paused(state, domain):
                    attempts.append(self._refusal(url, "host_paused", paused))
                    return None, attempts
                result = await self._fetcher.fetch(
                    url,
                    accept,
                    validators,
                    check_hop=self._check_hop if obeyed else None,
                    held_back=lambda: self._paused(state, domain),
                )
            attempt = result.attempt if isinstance(result, Page) else result
            attempts.append(_numbered(attempt, retry + 1))
            if attempt.error == "host_paused":  # while it waited for a slot: no request made
                return None, attempts
            if isinstance(result, Page) or not attempt.error:
                state.failures, domain.answered = 0, True
                return (result if isinstance(result, Page) else None), attempts
            if not _host_trouble(attempt):
                # the host answered: this page is missing or unwanted
                state.failures, domain.answered = 0, True
                return None, attempts
            self._failed(url, state, domain, attempt.error)
            if self._paused(state, domain):
                return None, attempts
            if not attempt.retryable or retry == self._settings.max_retries:
                return None, attempts
            cap = self._settings.max_retry_after_s
            if attempt.retry_after_s is not None and attempt.retry_after_s > cap:
                # The server will not serve it within the wait a run allows ("Retry-After:
                # 1000000000" held a run six minutes, for four refusals): the next run's.
                later = (
                    f"the server asks to come back in {attempt.retry_after_s:,.0f}s, more "
                    f"than the {cap:g}s a run waits (WIREHOUSE_MAX_RETRY_AFTER_S): left for "
                    "the next run"
                )
                detail = f"{attempt.detail}; {later}" if attempt.detail else later
                attempts[-1] = replace(attempts[-1], detail=detail)
                return None, attempts
            wait = self._backoff(retry)
            if attempt.retry_after_s is not None:  # within the cap: one past it returned above
                wait = max(wait, attempt.retry_after_s)
                # The server asked us to slow down: hold every request to it, not only this one.
                state.next_at = max(state.next_at, time.monotonic() + wait)
            await self._sleep(wait)
        return None, attempts


# Failures that say the host is in trouble (down, unreachable, overloaded), not that one
# page is gone, unwanted or broken: a feed that starts with six deleted stories (404), a
# sitemap of PDFs, or five pages whose answers break HTTP (a doubled Content-Length: an
# answer, and a quick one) paused the host before its good pages were reached.
_HOST_TROUBLE = frozenset({"dns_error", "timeout"})


def _host_trouble(attempt: FetchAttempt) -> bool:
    return attempt.retryable or attempt.error in _HOST_TROUBLE


def _numbered(attempt: FetchAttempt, number: int) -> FetchAttempt:
    return attempt if attempt.attempt == number else replace(attempt, attempt=number)


@dataclass(frozen=True, slots=True)
class OverBudget:
    """A host that listed more pages than a run fetches of it."""

    host: str
    origin: str  # where its pages are, for the problem row
    listed: int
    kept: int


def hosts_over(
    urls: Sequence[str], limit: int, exempt: Collection[str] = ()
) -> dict[str, list[str]]:
    """The URLs of each host that lists more than ``limit`` of them (``exempt`` aside), in
    their order."""
    by_host: dict[str, list[str]] = defaultdict(list)
    for url in urls:
        if url not in exempt:
            by_host[urlsplit(url).hostname or ""].append(url)
    return {host: listed for host, listed in by_host.items() if len(listed) > limit}


def host_budget(
    urls: Sequence[str],
    limit: int,
    last_fetched: Mapping[str, datetime],
    exempt: Collection[str] = (),
    over: Mapping[str, list[str]] | None = None,
) -> tuple[list[str], list[OverBudget]]:
    """The URLs a run fetches when no host may have more than ``limit`` of its pages
    fetched (a sitemap index may list millions, and a run that would take weeks is no
    hourly run): of a host's URLs, those never fetched (``last_fetched`` has no time for
    them) in the order listed, then the longest unvisited. ``exempt`` URLs (the user's own)
    are all fetched and count for nothing; ``over`` is ``hosts_over``'s answer, when the
    caller has it already. The URLs kept stay in their order."""
    left: set[str] = set()
    budgets: list[OverBudget] = []
    if over is None:
        over = hosts_over(urls, limit, exempt)
    for host, listed in over.items():
        ranked = sorted(listed, key=lambda url: visit_order(last_fetched.get(url)))
        left.update(ranked[limit:])
        parts = urlsplit(listed[0])
        budgets.append(OverBudget(host, f"{parts.scheme}://{parts.netloc}/", len(listed), limit))
    return [url for url in urls if url not in left], budgets


def visit_order(when: datetime | None) -> tuple[bool, float]:
    """A URL's place in its host's queue (``when``: it was last asked for): never asked for
    first, then the longest unvisited."""
    return (False, 0.0) if when is None else (True, when.timestamp())
