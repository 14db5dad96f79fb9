"""Copy groups and their origins: copies joined into groups, and in each group the origin
picked by evidence (no republish date, no canonical elsewhere, the wire agency's own page
or a copy crediting it, not a collector of many sites' texts, the earliest date, not a hub
or an aggregator, the cleaner page, the longer text); and per domain, how much of its
output copies others'."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tasks.dedupe import UnionFind
from tasks.urls import domain_of
from wirehouse.records import ArticleLink, ArticleSketch, DomainScore
from wirehouse.settings import DedupeSettings

# Where each wire agency (as ``tasks.extract.wire_marker`` names it) publishes its own copy.
WIRE_HOMES: dict[str, tuple[str, ...]] = {
    "AP": ("apnews.com", "ap.org"),
    "Reuters": ("reuters.com",),
    "AFP": ("afp.com",),
    "dpa": ("dpa.com", "dpa-international.com"),
    "UPI": ("upi.com",),
    "Xinhua": ("xinhuanet.com", "news.cn"),
    "CNN": ("cnn.com",),
    "Bloomberg": ("bloomberg.com",),
    "ANSA": ("ansa.it",),
    "EFE": ("efe.com",),
    "PA": ("pa.media",),
    "CP": ("thecanadianpress.com",),
    "KNA": ("kna.de",),
}


def wire_evidence(article: ArticleSketch, agencies: frozenset[str]) -> int:
    """How close a copy of a wire text is to its source, given the agencies the copies of
    it credit: 0 on an agency's own site, 1 crediting the agency (a faithful carrier),
    2 not crediting it (a copy that dropped the dateline came from one that had it)."""
    for agency in agencies:
        for home in WIRE_HOMES.get(agency, ()):
            if article.domain == home or article.domain.endswith("." + home):
                return 0
    return 1 if article.wire_marker in agencies else 2


# A domain that shares copies with this many others, and this many times as many as the
# group's member sharing with the fewest: a collector of others' texts (a scraper), whose
# dates are no evidence against theirs.
COLLECTOR_PARTNERS = 3
COLLECTOR_RATIO = 3


def _origin_key(
    article: ArticleSketch,
    republished: bool,
    hub: int = 0,
    wire: int = 2,
    collector: bool = False,
) -> tuple[object, ...]:
    """Evidence for being a copy group's origin, best first: no republish date, no
    rel=canonical naming another site as the original, the wire agency's own page or a
    copy crediting it (``wire``), not a collector of other sites' texts (``collector``),
    the earliest date, a domain that shares copies with fewer others (``hub``), the
    cleaner page, the longer text."""
    far_future = datetime.max.replace(tzinfo=None)
    date = article.page_date.replace(tzinfo=None) if article.page_date else far_future
    return (
        republished,
        _canonical_elsewhere(article),
        wire,
        collector,
        article.page_date is None,
        date,
        hub,
        article.boilerplate_ratio,
        -article.word_count,
        article.article_id,
    )


def _canonical_elsewhere(article: ArticleSketch) -> bool:
    return bool(article.canonical_url and domain_of(article.canonical_url) != article.domain)


def _first_date(
    members: Sequence[ArticleSketch],
    agencies: frozenset[str],
    collectors: Collection[str] = frozenset(),
) -> datetime | None:
    """When the group's text was first published: the earliest date of the members whose
    evidence of being its source is strongest (no canonical naming another site; the wire
    agency's own page, else a copy crediting it; not a collector of others' texts), any
    member's where none of them has one. A date is what a page says of itself: a copy that
    dropped the agency's credit, names another site's page as the original, or is one of a
    collector's, and claims an earlier date made the real publishers' pages republishes,
    their own dates erased (a scraper backdating its copy)."""

    def standing(article: ArticleSketch) -> tuple[bool, int, bool]:
        wire = wire_evidence(article, agencies)
        return _canonical_elsewhere(article), wire, article.domain in collectors

    best = min(standing(article) for article in members)
    for trusted in (True, False):
        dates = [
            article.page_date
            for article in members
            if article.page_date is not None and (standing(article) == best or not trusted)
        ]
        if dates:
            return min(dates)
    return None


def backdated_domains(
    members: Sequence[ArticleSketch], agencies: frozenset[str], gap: timedelta
) -> frozenset[str]:
    """The domains whose copy of a wire text claims a date more than ``gap`` before the
    median date of the text's other carriers (two or more). An agency's text reaches its
    subscribers at once; a copy dated days before all of them is backdated (a scraper's),
    not the first, however few texts its site holds. Not the agency's own page, and only
    for a text that credits an agency: a paper's own feature that others pick up days
    later is first."""
    if not agencies:
        return frozenset()
    earliest: dict[str, datetime] = {}
    for article in members:
        if article.page_date is None or wire_evidence(article, agencies) == 0:
            continue
        known = earliest.get(article.domain)
        earliest[article.domain] = min(known, article.page_date) if known else article.page_date
    backdated = set()
    for domain, date in earliest.items():
        others = sorted(other for name, other in earliest.items() if name != domain)
        if len(others) >= 2 and date < others[(len(others) - 1) // 2] - gap:
            backdated.add(domain)
    return frozenset(backdated)


AGGREGATOR_COPY_SHARE = 0.5  # a domain at least half of whose articles copy others' texts
# ... and at least this many of them: one story a small site carried from another (or that
# a scraper backdated its copy of) made it an aggregator, its other stories' origins lost
AGGREGATOR_MIN_COPIES = 2


def domain_scores(
    groups: Sequence[Sequence[str]], origin_of: Sequence[str], by_id: Mapping[str, ArticleSketch]
) -> dict[str, DomainScore]:
    """Per domain: its articles, how many copy a text another domain published first, and
    how much page furniture surrounds its texts."""
    copies: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    boilerplate: defaultdict[str, float] = defaultdict(float)
    for members, origin in zip(groups, origin_of, strict=True):
        origin_domain = by_id[origin].domain
        for m in members:
            domain = by_id[m].domain
            totals[domain] += 1
            boilerplate[domain] += by_id[m].boilerplate_ratio
            if m != origin and domain != origin_domain:
                copies[domain] += 1
    return {
        domain: DomainScore(
            domain=domain,
            articles=total,
            copies_of_others=copies[domain],
            copy_share=round(copies[domain] / total, 4),
            avg_boilerplate=round(boilerplate[domain] / total, 4),
            is_aggregator=copies[domain] / total >= AGGREGATOR_COPY_SHARE
            and copies[domain] >= AGGREGATOR_MIN_COPIES,
        )
        for domain, total in sorted(totals.items())
    }


@dataclass(frozen=True, slots=True)
class CopyGroup:
    """Articles that are copies of one text, with the origin picked for them."""

    members: tuple[str, ...]  # article ids, sorted
    origin: str
    first_date: datetime | None  # the earliest date of its best-evidenced members (_first_date)


def copy_groups(
    by_id: Mapping[str, ArticleSketch],
    links: Sequence[ArticleLink],
    settings: DedupeSettings,
    held: Mapping[str, str] | None = None,
    known_aggregators: frozenset[str] = frozenset(),
) -> tuple[list[CopyGroup], dict[str, bool], dict[str, DomainScore]]:
    """Copy groups with their origins, which members carry a republish date, and the
    domain scores found on the way. ``held`` maps articles to the copy group they were in
    before: what was joined stays joined. ``known_aggregators`` are domains found to be
    aggregators over the whole archive."""
    joined = UnionFind(sorted(by_id))
    first_member: dict[str, str] = {}
    for article_id, group_id in sorted((held or {}).items()):
        if article_id in by_id:
            joined.union(first_member.setdefault(group_id, article_id), article_id)
    for link in links:
        joined.union(link.a, link.b)
    member_lists = list(joined.groups().values())

    agencies_of: dict[str, frozenset[str]] = {}  # the agencies a member's group credits
    for members in member_lists:
        agencies = frozenset(by_id[m].wire_marker or "" for m in members) - {""}
        agencies_of.update(dict.fromkeys(members, agencies))

    # A domain whose copies are shared with many other domains is a hub that collects texts;
    # where dates cannot tell the origin, the text's other holder is the likelier source.
    # One that shares them with several times as many domains as the text's other holders
    # is a collector (a scraper of many sites): its dates do not count against theirs.
    partners: defaultdict[str, set[str]] = defaultdict(set)
    for members in member_lists:
        domains = {by_id[m].domain for m in members}
        for domain in domains:
            partners[domain] |= domains - {domain}
    # A backdated copy of a wire text (``backdated_domains``) is no evidence either.
    gap = timedelta(days=settings.republish_gap_days)
    collectors_of: dict[str, frozenset[str]] = {}
    for members in member_lists:
        counts = {by_id[m].domain: len(partners[by_id[m].domain]) for m in members}
        fewest = max(1, min(counts.values()))
        collectors = frozenset(
            domain
            for domain, count in counts.items()
            if count >= COLLECTOR_PARTNERS and count >= COLLECTOR_RATIO * fewest
        )
        backdated = backdated_domains([by_id[m] for m in members], agencies_of[members[0]], gap)
        collectors_of.update(dict.fromkeys(members, collectors | backdated))

    republished: dict[str, bool] = {}

    def dated(untrusted: frozenset[str]) -> list[datetime | None]:
        """Each group's first date (``_first_date``), where the copies of ``untrusted``
        domains are no evidence either; its members' republish flags are set on the way."""
        first_dates = []
        for members in member_lists:
            first = _first_date(
                [by_id[m] for m in members],
                agencies_of[members[0]],
                collectors_of[members[0]] | untrusted,
            )
            first_dates.append(first)
            for m in members:
                date = by_id[m].page_date
                republished[m] = bool(first and date and len(members) > 1 and date - first > gap)
        return first_dates

    def by_evidence(article_id: str) -> tuple[object, ...]:
        article = by_id[article_id]
        wire = wire_evidence(article, agencies_of[article_id])
        collector = article.domain in collectors_of[article_id]
        hub = len(partners[article.domain])
        return _origin_key(article, republished[article_id], hub, wire, collector)

    # Two passes: origins by evidence first; then the domains that mostly carry others'
    # texts (aggregators) are known, their copies never win an origin, and their dates do
    # not date a text (an aggregator's copy a day before the agency's carriers made the
    # story's first date its own).
    dated(known_aggregators)
    first_pass = [min(members, key=by_evidence) for members in member_lists]
    scores = domain_scores(member_lists, first_pass, by_id)
    aggregators = known_aggregators | {d for d, score in scores.items() if score.is_aggregator}
    first_dates = dated(aggregators)
    groups = [
        CopyGroup(
            members=tuple(members),
            origin=min(members, key=lambda a: (by_id[a].domain in aggregators, *by_evidence(a))),
            first_date=first,
        )
        for members, first in zip(member_lists, first_dates, strict=True)
    ]
    return groups, republished, scores
