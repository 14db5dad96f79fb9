"""Copy groups, their origins, and stories (articles about one news event).

Stages, parameters in ``DedupeSettings``:

1. ``copy_groups``: union of the copy links from ``tasks.dedupe`` (and of the groups
   earlier runs formed: what was joined stays joined).
2. ``origins``: in each group the origin is picked by evidence: no republish date (a copy
   dated long after the group's first date carries a republish date, not a publication
   date), no rel=canonical naming another site, the wire agency's own page or a copy
   keeping its credit, the earliest date, a domain that is not a hub of others' texts,
   the cleaner page, the longer text; aggregators' copies never win.
3. ``events``: each group's origin text becomes a tf-idf vector (headline words and names
   weigh more, site furniture is dropped); candidate pairs come from an inverted index of
   strongest terms (``tasks.sparse``), and a story is an average-link cluster of
   time-weighted cosines (``tasks.linkage``): the result depends on the pairs only, not
   on the order articles arrived in.
4. ``ids``: story and copy-group ids are stable: a cluster keeps the oldest id any of its
   members had (the others are recorded as merges); a new cluster gets an id derived from
   its smallest member.
5. ``links``: why groups were joined (``same_story``), and which later texts rewrite an
   earlier one (``rewrite``: alike in content, sharing a little wording).
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import regex

from tasks.dedupe import ArticleLink, ShingleHasher, UnionFind, containment, normalise_text
from tasks.linkage import average_linkage, merge_overlapping
from tasks.sparse import candidate_dots
from tasks.urls import domain_of
from wirehouse.records import ArticleSketch, Grouping
from wirehouse.settings import DedupeSettings

_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "said",
        "same",
        "says",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "new",
        "one",
        "two",
        "year",
        "years",
        "told",
        "week",
        "friday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "saturday",
        "sunday",
    ]
)
_TOKEN = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


@dataclass(frozen=True, slots=True)
class StoryRecord:
    """One row of the ``stories`` table."""

    story_id: str
    title: str | None
    first_published_at: datetime | None
    article_count: int
    domain_count: int
    lead_article_id: str


@dataclass(frozen=True, slots=True)
class StoryVector:
    """What a story is about: the mean of its texts' unit tf-idf vectors (strongest terms),
    so that the dot product of two story vectors is the average cosine of their texts."""

    story_id: str
    texts: int  # copy groups it holds: its weight when stories are grouped further
    terms: dict[str, float]


@dataclass(frozen=True, slots=True)
class PreviousGrouping:
    """The ids articles had before this grouping, so that ids can be kept."""

    story: Mapping[str, str]  # article -> story id
    group: Mapping[str, str]  # article -> copy group id
    story_age: Mapping[str, tuple[object, ...]]  # story id -> when it was first given


NO_PREVIOUS = PreviousGrouping({}, {}, {})


@dataclass(frozen=True, slots=True)
class CopyGroupRecord:
    """One row of the ``copy_groups`` table."""

    copy_group_id: str
    origin_article_id: str
    member_count: int
    story_id: str


@dataclass(frozen=True, slots=True)
class StoryResult:
    """Everything the grouping stage decided."""

    groupings: list[Grouping]
    copy_groups: list[CopyGroupRecord]
    stories: list[StoryRecord]
    story_vectors: list[StoryVector]
    story_links: list[ArticleLink]  # same_story and rewrite decisions, origin to origin
    merges: list[tuple[str, str]]  # (older story id merged away, story id kept)
    domain_scores: list[DomainScore]


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


def _origin_key(
    article: ArticleSketch, republished: bool, hub: int = 0, wire: int = 2
) -> tuple[object, ...]:
    """Evidence for being a copy group's origin, best first: no republish date, no
    rel=canonical naming another site as the original, the wire agency's own page or a
    copy crediting it (``wire``), the earliest date, a domain that shares copies with
    fewer others (``hub``), the cleaner page, the longer text."""
    far_future = datetime.max.replace(tzinfo=None)
    date = article.page_date.replace(tzinfo=None) if article.page_date else far_future
    canonical_elsewhere = bool(
        article.canonical_url and domain_of(article.canonical_url) != article.domain
    )
    return (
        republished,
        canonical_elsewhere,
        wire,
        article.page_date is None,
        date,
        hub,
        article.boilerplate_ratio,
        -article.word_count,
        article.article_id,
    )


# A capitalised word right after another word (not after a sentence's end): a name.
_MID_SENTENCE_NAME = regex.compile(r"(?:(?<=[^\W_] )|(?<=[^\W_][,;)] ))\p{Lu}[^\W_]*")


def _terms(article: ArticleSketch, entity_weight: float = 2.0) -> dict[str, float]:
    """Term weights of a text: its headline words count extra, and so do the names in it
    (words written capitalised mid-sentence), because names say which event it is."""
    text = unicodedata.normalize("NFKC", article.text)
    counts = Counter(_TOKEN.findall(text.casefold()))
    for stopword in _STOPWORDS.intersection(counts):
        del counts[stopword]
    names = Counter(name.casefold() for name in _MID_SENTENCE_NAME.findall(text))
    weighted: dict[str, float] = {
        word: count * entity_weight if names[word] * 2 >= count else float(count)
        for word, count in counts.items()
    }
    for word in _TOKEN.findall(normalise_text(article.title or "")):
        if word not in _STOPWORDS:  # the headline names the event: its words count more
            weighted[word] = weighted.get(word, 0.0) + 2
    return weighted


@dataclass(frozen=True, slots=True)
class TermCounts:
    """The document frequencies of tf-idf: how many texts were counted, and how many of
    them hold each term."""

    texts: int
    holding: Mapping[str, int]


def terms_and_probe(
    article: ArticleSketch, counts: TermCounts, settings: DedupeSettings
) -> tuple[set[str], dict[str, float]]:
    """What a new text adds to the document frequencies (its terms), and its probe: the
    ``story_candidate_terms`` strongest terms of its tf-idf vector under ``counts``, to
    find the stored stories it may join (empty when nothing was counted yet). One pass
    over the text for both."""
    terms = _terms(article)
    if not counts.texts:
        return set(terms), {}
    vector = text_vector(article, counts, settings.story_vector_terms, terms=terms)
    return set(terms), strongest_terms(vector, settings.story_candidate_terms)


def strongest_terms(vector: Mapping[str, float], keep: int) -> dict[str, float]:
    """The ``keep`` heaviest terms of a vector (ties by term): what probes and indexes use."""
    return dict(heapq.nlargest(keep, vector.items(), key=lambda tw: (tw[1], tw[0])))


def _vectors(
    groups: Sequence[CopyGroup],
    by_id: Mapping[str, ArticleSketch],
    keep: int,
    counts: TermCounts | None = None,
) -> list[dict[str, float]]:
    """One tf-idf vector per copy group (its origin's text), cut to its ``keep`` strongest
    terms and normalised. The document frequencies are ``counts`` (the archive's) when
    given, else counted over the groups in a first pass over the texts (so that only the
    frequencies and the cut vectors are ever held, not every text's full term counts)."""
    furniture = _site_furniture(groups, by_id)
    if counts is None:
        df: Counter[str] = Counter()
        for group in groups:
            df.update(_terms(by_id[group.origin]).keys())
        counts = TermCounts(len(groups), df)
    return [
        text_vector(
            by_id[group.origin],
            counts,
            keep,
            furniture.get(by_id[group.origin].domain, frozenset()),
        )
        for group in groups
    ]


def text_vector(
    article: ArticleSketch,
    counts: TermCounts,
    keep: int,
    dropped: frozenset[str] = frozenset(),
    terms: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """A text's tf-idf vector (``counts`` the document frequencies), its ``keep`` strongest
    terms but the ``dropped`` ones (its site's furniture), normalised. ``terms`` are the
    text's term weights when already counted."""
    n, holding = counts.texts, counts.holding
    weights = [
        (term, (1 + math.log(tf)) * math.log((1 + n) / (1 + holding.get(term, 0)) + 1))
        for term, tf in (_terms(article) if terms is None else terms).items()
        if term not in dropped
    ]
    top = heapq.nlargest(keep, weights, key=lambda tw: (tw[1], tw[0]))
    norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
    return {term: w / norm for term, w in top}


@dataclass(frozen=True, slots=True)
class DomainScore:
    """How much of a domain's output is other outlets' texts: one row of ``domain_scores``."""

    domain: str
    articles: int
    copies_of_others: int  # its articles that copy a text first published by another domain
    copy_share: float
    avg_boilerplate: float  # how much of its pages is not the article, on average
    is_aggregator: bool


AGGREGATOR_COPY_SHARE = 0.5  # a domain at least half of whose articles copy others' texts


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
            is_aggregator=copies[domain] / total >= AGGREGATOR_COPY_SHARE,
        )
        for domain, total in sorted(totals.items())
    }


def stable_ids(
    clusters: Sequence[Sequence[str]],
    previous: Mapping[str, str],
    id_age: Mapping[str, tuple[object, ...]],
    prefix: str,
) -> list[str]:
    """One id per cluster: the oldest previous id among its members that no bigger cluster
    took, else a new id derived from the cluster's smallest member."""
    order = sorted(range(len(clusters)), key=lambda i: (-len(clusters[i]), min(clusters[i])))
    taken: set[str] = set()
    ids = [""] * len(clusters)
    for index in order:
        members = clusters[index]
        old = sorted(
            {previous[m] for m in members if m in previous} - taken,
            key=lambda i: (id_age.get(i, ()), i),
        )
        if old:
            chosen = old[0]
        else:
            seed = min(members)
            chosen = f"{prefix}{hashlib.sha256(seed.encode()).hexdigest()[:16]}"
            salt = 0
            while chosen in taken or chosen in id_age:
                salt += 1
                chosen = f"{prefix}{hashlib.sha256(f'{seed}#{salt}'.encode()).hexdigest()[:16]}"
        taken.add(chosen)
        ids[index] = chosen
    return ids


@dataclass(frozen=True, slots=True)
class CopyGroup:
    """Articles that are copies of one text, with the origin picked for them."""

    members: tuple[str, ...]  # article ids, sorted
    origin: str
    first_date: datetime | None  # the earliest date any member claims


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

    gap = timedelta(days=settings.republish_gap_days)
    republished: dict[str, bool] = {}
    first_dates: list[datetime | None] = []
    for members in member_lists:
        dates = [d for d in (by_id[m].page_date for m in members) if d is not None]
        first = min(dates) if dates else None
        first_dates.append(first)
        for m in members:
            date = by_id[m].page_date
            republished[m] = bool(first and date and len(members) > 1 and date - first > gap)

    # A domain whose copies are shared with many other domains is a hub that collects texts;
    # where dates cannot tell the origin, the text's other holder is the likelier source.
    partners: defaultdict[str, set[str]] = defaultdict(set)
    for members in member_lists:
        domains = {by_id[m].domain for m in members}
        for domain in domains:
            partners[domain] |= domains - {domain}

    agencies_of: dict[str, frozenset[str]] = {}  # the agencies a member's group credits
    for members in member_lists:
        agencies = frozenset(by_id[m].wire_marker or "" for m in members) - {""}
        agencies_of.update(dict.fromkeys(members, agencies))

    def by_evidence(article_id: str) -> tuple[object, ...]:
        article = by_id[article_id]
        wire = wire_evidence(article, agencies_of[article_id])
        return _origin_key(article, republished[article_id], len(partners[article.domain]), wire)

    # Two passes: origins by evidence first; then the domains that mostly carry others'
    # texts (aggregators) are known, and their copies never win an origin.
    first_pass = [min(members, key=by_evidence) for members in member_lists]
    scores = domain_scores(member_lists, first_pass, by_id)
    aggregators = known_aggregators | {d for d, score in scores.items() if score.is_aggregator}
    groups = [
        CopyGroup(
            members=tuple(members),
            origin=min(members, key=lambda a: (by_id[a].domain in aggregators, *by_evidence(a))),
            first_date=first,
        )
        for members, first in zip(member_lists, first_dates, strict=True)
    ]
    return groups, republished, scores


def _site_furniture(
    groups: Sequence[CopyGroup], by_id: Mapping[str, ArticleSketch], sample: int = 50
) -> dict[str, frozenset[str]]:
    """Per domain, the terms in most of its articles: its furniture (section names, legal
    lines, "sign up" boxes) says which site a text is from, not which event it reports.
    Read from a bounded sample of each domain's articles, so memory stays flat."""
    by_domain: dict[str, list[str]] = defaultdict(list)
    for group in groups:
        origin = by_id[group.origin]
        if len(by_domain[origin.domain]) < sample:
            by_domain[origin.domain].append(group.origin)
    furniture: dict[str, frozenset[str]] = {}
    for domain, keys in by_domain.items():
        if len(keys) < 4:
            continue
        df: Counter[str] = Counter()
        for key in keys:
            df.update(_terms(by_id[key]).keys())
        furniture[domain] = frozenset(t for t, n in df.items() if n * 2 > len(keys))
    return furniture


def _time_factor(gap: timedelta, settings: DedupeSettings) -> float:
    """1 within the window; fading beyond it, so that follow-ups can still join a story
    while a like event weeks later (another missile test) stays apart."""
    days = abs(gap.total_seconds()) / 86400
    if days <= settings.story_window_days:
        return 1.0
    return math.exp(-(days - settings.story_window_days) / settings.story_decay_days)


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """Two alike copy groups (by index, first < second) and how alike they are."""

    first: int
    second: int
    weighted: float  # cosine times the time factor: "same event"
    cosine: float  # plain cosine: "same story line"


def scored_pairs(
    groups: Sequence[CopyGroup], vectors: Sequence[dict[str, float]], settings: DedupeSettings
) -> list[ScoredPair]:
    """The candidate pairs of copy groups with their similarities, sorted."""
    pairs = []
    for first, second, similarity in candidate_dots(
        vectors,
        settings.story_candidate_terms,
        settings.story_max_posting,
        settings.story_max_candidates,
    ):
        if similarity <= 0:
            continue
        date_a, date_b = groups[first].first_date, groups[second].first_date
        factor = _time_factor(date_a - date_b, settings) if date_a and date_b else 1.0
        pairs.append(ScoredPair(first, second, round(similarity * factor, 6), similarity))
    return pairs


def event_clusters(
    count: int,
    pairs: Sequence[ScoredPair],
    settings: DedupeSettings,
    start: Sequence[Sequence[int]] = (),
) -> list[list[int]]:
    """Copy groups (by index) that report one event: texts alike on average (average link
    over time-weighted cosines), so a like event weeks later stays apart. The clusters
    depend only on the pairs and ``start`` (stories given before, never split), not on
    the order texts arrived in."""
    return average_linkage(
        count,
        ((p.first, p.second, p.weighted) for p in pairs),
        settings.story_similarity,
        start=start,
    )


def _lead_key(
    group: CopyGroup, origin: ArticleSketch, aggregators: frozenset[str]
) -> tuple[object, ...]:
    # The lead is the origin of the most widely carried text, then the earliest, the cleanest.
    date = group.first_date.replace(tzinfo=None) if group.first_date else datetime.max
    return (
        origin.domain in aggregators,
        -len(group.members),
        group.first_date is None,
        date,
        origin.boilerplate_ratio,
        -origin.word_count,
        origin.article_id,
    )


def _held_together(
    groups: Sequence[CopyGroup], label_of: Mapping[str, str], changed: frozenset[str]
) -> list[list[int]]:
    """Copy groups (by index) whose articles held one id before; changed articles left out."""
    by_label: defaultdict[str, set[int]] = defaultdict(set)
    for index, group in enumerate(groups):
        for member in group.members:
            if member not in changed and member in label_of:
                by_label[label_of[member]].add(index)
    return [sorted(indices) for _label, indices in sorted(by_label.items())]


def group_stories(
    articles: Sequence[ArticleSketch],
    links: Sequence[ArticleLink],
    settings: DedupeSettings,
    previous: PreviousGrouping = NO_PREVIOUS,
    changed: frozenset[str] = frozenset(),
    known_aggregators: frozenset[str] = frozenset(),
    counts: TermCounts | None = None,
) -> StoryResult:
    """Copy groups, origins and stories for the given articles and copy links.

    The copy groups and stories ``previous`` held stay joined (ids never change once given;
    a merge keeps the older id), except for ``changed`` articles (new or re-extracted
    text), which are placed afresh. Each story comes with its vector, for story lines.
    ``counts`` are the archive's document frequencies (else they are counted here)."""
    by_id = {a.article_id: a for a in articles}
    held_groups = {a: g for a, g in previous.group.items() if a not in changed}
    groups, republished, scores = copy_groups(
        by_id, links, settings, held_groups, known_aggregators
    )
    aggregators = known_aggregators | {d for d, score in scores.items() if score.is_aggregator}
    vectors = _vectors(groups, by_id, settings.story_vector_terms, counts)
    pairs = scored_pairs(groups, vectors, settings)
    story_start = merge_overlapping(len(groups), _held_together(groups, previous.story, changed))
    clusters = event_clusters(len(groups), pairs, settings, story_start)

    def articles_of(cluster: Sequence[int]) -> list[str]:
        return sorted(m for i in cluster for m in groups[i].members)

    group_ids = stable_ids([g.members for g in groups], previous.group, {}, "cg_")
    story_ids = stable_ids(
        [articles_of(cluster) for cluster in clusters], previous.story, previous.story_age, "st_"
    )
    groupings: list[Grouping] = []
    group_records: list[CopyGroupRecord] = []
    stories: list[StoryRecord] = []
    for story_id, cluster in zip(story_ids, clusters, strict=True):
        lead_group = min(
            cluster, key=lambda i: _lead_key(groups[i], by_id[groups[i].origin], aggregators)
        )
        lead = by_id[groups[lead_group].origin]
        member_ids: list[str] = []
        for index in cluster:
            group = groups[index]
            group_records.append(
                CopyGroupRecord(group_ids[index], group.origin, len(group.members), story_id)
            )
            for article_id in group.members:
                page_date = by_id[article_id].page_date
                member_ids.append(article_id)
                groupings.append(
                    Grouping(
                        article_id=article_id,
                        copy_group_id=group_ids[index],
                        story_id=story_id,
                        is_group_origin=article_id == group.origin,
                        published_at=None if republished[article_id] else page_date,
                        republished_at=page_date if republished[article_id] else None,
                    )
                )
        dates = [d for d in (groups[i].first_date for i in cluster) if d is not None]
        stories.append(
            StoryRecord(
                story_id=story_id,
                title=lead.title,
                first_published_at=min(dates) if dates else None,
                article_count=len(member_ids),
                domain_count=len({by_id[m].domain for m in member_ids}),
                lead_article_id=lead.article_id,
            )
        )
    groupings.sort(key=lambda g: g.article_id)
    group_records.sort(key=lambda g: g.copy_group_id)
    stories.sort(key=lambda s: s.story_id)
    same_story = [p for p in pairs if p.weighted >= settings.story_similarity]
    story_of_group = {i: n for n, cluster in enumerate(clusters) for i in cluster}
    joins = [p for p in same_story if story_of_group[p.first] == story_of_group[p.second]]
    return StoryResult(
        groupings=groupings,
        copy_groups=group_records,
        stories=stories,
        story_vectors=[
            _story_vector(story_id, [vectors[i] for i in cluster], settings.story_vector_terms)
            for story_id, cluster in zip(story_ids, clusters, strict=True)
        ],
        story_links=_story_links(groups, joins, by_id, settings),
        merges=_merges(story_ids, clusters, groups, previous.story),
        domain_scores=list(scores.values()),
    )


def _story_vector(story_id: str, texts: Sequence[dict[str, float]], keep: int) -> StoryVector:
    """The mean of a story's text vectors, cut to its ``keep`` strongest terms."""
    total: defaultdict[str, float] = defaultdict(float)
    for vector in texts:
        for term, weight in vector.items():
            total[term] += weight
    top = heapq.nlargest(keep, total.items(), key=lambda tw: (tw[1], tw[0]))
    return StoryVector(story_id, len(texts), {t: round(w / len(texts), 6) for t, w in top})


def _story_links(
    groups: Sequence[CopyGroup],
    joins: Sequence[ScoredPair],
    by_id: Mapping[str, ArticleSketch],
    settings: DedupeSettings,
) -> list[ArticleLink]:
    """Why copy groups were joined into a story, origin to origin ("same_story").

    A later text this alike in content to an earlier one while sharing little wording (it
    is not a copy) is a rewrite of it: each text is derived from at most one source, its
    most alike earlier text ("rewrite", a -> b means b rewrites a)."""
    best_source: dict[str, tuple[float, str]] = {}
    hasher = ShingleHasher(settings.shingle_size)
    shingles: dict[str, np.ndarray] = {}

    def shingles_of(article_id: str) -> np.ndarray:
        if article_id not in shingles:
            shingles[article_id] = hasher.shingles(by_id[article_id].text)
        return shingles[article_id]

    for pair in joins:
        a, b, cosine = groups[pair.first].origin, groups[pair.second].origin, pair.cosine
        date_a, date_b = by_id[a].page_date, by_id[b].page_date
        if cosine < settings.rewrite_similarity or not date_a or not date_b or date_a == date_b:
            continue
        # Independent reports share facts but hardly a phrase; a rewrite keeps some of its
        # source's wording (quotes, turns of phrase) while a copy keeps most of it.
        shared = containment(shingles_of(a), shingles_of(b))
        if shared < settings.rewrite_min_containment:
            continue
        earlier, later = (a, b) if date_a < date_b else (b, a)
        if later not in best_source or (cosine, earlier) > best_source[later]:
            best_source[later] = (cosine, earlier)
    rewrites = {(source, later) for later, (_, source) in best_source.items()}
    out = []
    for pair in joins:
        a, b = groups[pair.first].origin, groups[pair.second].origin
        cosine, weighted = pair.cosine, pair.weighted
        if (a, b) in rewrites or (b, a) in rewrites:
            earlier, later = (a, b) if (a, b) in rewrites else (b, a)
            out.append(ArticleLink(earlier, later, "rewrite", round(cosine, 4)))
        else:
            low, high = sorted((a, b))
            out.append(ArticleLink(low, high, "same_story", weighted))
    return sorted(out, key=lambda link: (link.a, link.b, link.kind))


def _merges(
    story_ids: Sequence[str],
    clusters: Sequence[Sequence[int]],
    groups: Sequence[CopyGroup],
    previous: Mapping[str, str],
) -> list[tuple[str, str]]:
    """(merged id, kept id) for every older story that a story now contains."""
    out: list[tuple[str, str]] = []
    for story_id, cluster in zip(story_ids, clusters, strict=True):
        earlier = {previous[m] for i in cluster for m in groups[i].members if m in previous}
        out.extend((merged, story_id) for merged in sorted(earlier - {story_id}))
    return out
