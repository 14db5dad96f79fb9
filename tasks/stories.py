"""Stories: copy groups that report one news event, assembled from the grouping's stages.

Stages, parameters in ``DedupeSettings``, each in its own module:

1. copies (``tasks.dedupe``): which texts are copies of one another (MinHash candidates
   verified by containment);
2. copy groups and origins (``tasks.origins``): copies joined into groups, what was joined
   before stays joined, and in each group the origin picked by evidence; aggregators'
   copies never win;
3. vectors (``tasks.story_vectors``): each group's origin text as a tf-idf vector
   (headline words and names weigh more, site furniture is dropped);
4. clustering (here, with ``tasks.sparse`` and ``tasks.linkage``): candidate pairs from an
   inverted index of strongest terms, and a story is an average-link cluster of
   time-weighted cosines: the result depends on the pairs only, not on the order articles
   arrived in;
5. stable ids (``tasks.stable_ids``): a cluster keeps the oldest id any of its members had
   (the others recorded as merges); a new cluster gets an id derived from its smallest
   member;
6. links (here): why groups were joined (``same_story``), and which later texts rewrite an
   earlier one (``rewrite``: alike in content, sharing a little wording).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from tasks.dedupe import (
    ShingleHasher,
    ShingleReader,
    TextReader,
    containment,
    shingle_reader,
    shingled_pairs,
    texts_in,
)
from tasks.linkage import average_linkage, merge_overlapping
from tasks.origins import CopyGroup, copy_groups
from tasks.sparse import CandidateDots, SparseVectors, candidate_dots
from tasks.stable_ids import merges_of, stable_ids
from tasks.story_vectors import group_vectors, story_vector
from wirehouse.records import (
    NO_PREVIOUS,
    ArticleLink,
    ArticleSketch,
    CopyGroupRecord,
    Grouping,
    PreviousGrouping,
    StoryRecord,
    StoryResult,
    TermCounts,
)
from wirehouse.settings import DedupeSettings


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """Two alike copy groups (by index, first < second) and how alike they are."""

    first: int
    second: int
    weighted: float  # cosine times the time factor: "same event"
    cosine: float  # plain cosine: "same story line"


@dataclass(frozen=True, slots=True)
class ScoredPairs:
    """Every ``ScoredPair`` of a grouping, column by column (a big run has millions)."""

    first: np.ndarray
    second: np.ndarray
    weighted: np.ndarray
    cosine: np.ndarray

    def __len__(self) -> int:
        return len(self.first)

    def at_least(self, weighted: float) -> list[ScoredPair]:
        """The pairs whose weighted similarity reaches ``weighted``, in order."""
        keep = np.flatnonzero(self.weighted >= weighted)
        return [
            ScoredPair(first, second, w, cosine)
            for first, second, w, cosine in zip(
                self.first[keep].tolist(),
                self.second[keep].tolist(),
                self.weighted[keep].tolist(),
                self.cosine[keep].tolist(),
                strict=True,
            )
        ]


def scored_pairs(
    groups: Sequence[CopyGroup],
    vectors: Sequence[dict[str, float]] | SparseVectors,
    settings: DedupeSettings,
) -> ScoredPairs:
    """The candidate pairs of copy groups with their similarities, sorted."""
    dots = candidate_dots(
        vectors,
        settings.story_candidate_terms,
        settings.story_max_posting,
        settings.story_max_candidates,
    )
    alike = dots.dot > 0
    first, second, cosine = dots.first[alike], dots.second[alike], dots.dot[alike]
    factor = _time_factors([group.first_date for group in groups], first, second, settings)
    product = (cosine * factor).tolist()
    weighted = np.array([round(value, 6) for value in product], dtype=np.float64)
    return ScoredPairs(first, second, weighted, cosine)


_EPOCH = datetime(1970, 1, 1)


def _microseconds(date: datetime) -> int:
    epoch = _EPOCH if date.tzinfo is None else _EPOCH.replace(tzinfo=UTC)
    return (date - epoch) // timedelta(microseconds=1)


def _time_factors(
    dates: Sequence[datetime | None],
    first: np.ndarray,
    second: np.ndarray,
    settings: DedupeSettings,
) -> np.ndarray:
    """How much each pair's dates let it count: 1 within the window (or where either has no
    date); fading beyond it, so that follow-ups can still join a story while a like event
    weeks later (another missile test) stays apart. The gaps are taken in whole
    microseconds and divided as ``timedelta.total_seconds`` does, and the decay is worked
    out only for the pairs beyond the window."""
    dated = np.fromiter((d is not None for d in dates), dtype=bool, count=len(dates))
    micros = np.fromiter(
        (_microseconds(d) if d is not None else 0 for d in dates), dtype=np.int64, count=len(dates)
    )
    days = np.abs((micros[first] - micros[second]) / 1e6) / 86400
    factor = np.ones(len(first), dtype=np.float64)
    beyond = np.flatnonzero(dated[first] & dated[second] & (days > settings.story_window_days))
    factor[beyond] = [
        math.exp(-(gap - settings.story_window_days) / settings.story_decay_days)
        for gap in days[beyond].tolist()
    ]
    return factor


def event_clusters(
    count: int,
    pairs: ScoredPairs,
    settings: DedupeSettings,
    start: Sequence[Sequence[int]] = (),
) -> list[list[int]]:
    """Copy groups (by index) that report one event: texts alike on average (average link
    over time-weighted cosines), so a like event weeks later stays apart. The clusters
    depend only on the pairs and ``start`` (stories given before, never split), not on
    the order texts arrived in."""
    return average_linkage(
        count,
        CandidateDots(pairs.first, pairs.second, pairs.weighted).triples(),
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
    known_terms: Mapping[str, Mapping[str, float]] | None = None,
    workers: int = 1,
    texts: TextReader | None = None,
    known_shingles: ShingleReader | None = None,
) -> StoryResult:
    """Copy groups, origins and stories for the given articles and copy links.

    The copy groups and stories ``previous`` held stay joined (ids never change once given;
    a merge keeps the older id), except for ``changed`` articles (new or re-extracted
    text), which are placed afresh. Each story comes with its vector, for story lines.
    ``counts`` are the archive's document frequencies (else they are counted here);
    ``known_terms`` the ``terms_of`` of texts the caller counted already (by article id);
    ``workers`` the processes a big grouping may make its vectors in; ``texts`` reads the
    texts (else the sketches hold them), a window at a time where they are needed;
    ``known_shingles`` has the shingles of texts already hashed (the rest are made)."""
    by_id = {a.article_id: a for a in articles}
    read = texts or texts_in(articles)
    held_groups = {a: g for a, g in previous.group.items() if a not in changed}
    groups, republished, scores = copy_groups(
        by_id, links, settings, held_groups, known_aggregators
    )
    aggregators = known_aggregators | {d for d, score in scores.items() if score.is_aggregator}
    vectors = group_vectors(
        groups, by_id, settings.story_vector_terms, counts, known_terms, workers, read
    )
    pairs = scored_pairs(groups, vectors, settings)
    story_start = merge_overlapping(len(groups), _held_together(groups, previous.story, changed))
    clusters = event_clusters(len(groups), pairs, settings, story_start)

    def articles_of(cluster: Sequence[int]) -> list[str]:
        return sorted(m for i in cluster for m in groups[i].members)

    group_ids = stable_ids([g.members for g in groups], previous.group, {}, "cg_")
    story_ids = stable_ids(
        [articles_of(cluster) for cluster in clusters],
        previous.story,
        previous.story_age,
        "st_",
        changed,
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
    same_story = pairs.at_least(settings.story_similarity)
    story_of_group = {i: n for n, cluster in enumerate(clusters) for i in cluster}
    joins = [p for p in same_story if story_of_group[p.first] == story_of_group[p.second]]
    return StoryResult(
        groupings=groupings,
        copy_groups=group_records,
        stories=stories,
        story_vectors=[
            story_vector(story_id, [vectors.row(i) for i in cluster], settings.story_vector_terms)
            for story_id, cluster in zip(story_ids, clusters, strict=True)
        ],
        story_links=_story_links(
            groups,
            joins,
            by_id,
            shingle_reader(read, ShingleHasher(settings.shingle_size), known_shingles),
            settings,
        ),
        merges=merges_of(story_ids, clusters, groups, previous.story),
        domain_scores=list(scores.values()),
    )


def _story_links(
    groups: Sequence[CopyGroup],
    joins: Sequence[ScoredPair],
    by_id: Mapping[str, ArticleSketch],
    shingles_of: ShingleReader,
    settings: DedupeSettings,
) -> list[ArticleLink]:
    """Why copy groups were joined into a story, origin to origin ("same_story").

    A later text this alike in content to an earlier one while sharing little wording (it
    is not a copy) is a rewrite of it: each text is derived from at most one source, its
    most alike earlier text ("rewrite", a -> b means b rewrites a)."""
    alike: list[tuple[str, str]] = []  # (earlier, later)
    cosines: list[float] = []
    for pair in joins:
        a, b, cosine = groups[pair.first].origin, groups[pair.second].origin, pair.cosine
        date_a, date_b = by_id[a].page_date, by_id[b].page_date
        if cosine >= settings.rewrite_similarity and date_a and date_b and date_a != date_b:
            alike.append((a, b) if date_a < date_b else (b, a))
            cosines.append(cosine)
    best_source: dict[str, tuple[float, str]] = {}
    for position, shingles_a, shingles_b in shingled_pairs(alike, shingles_of, _always):
        # Independent reports share facts but hardly a phrase; a rewrite keeps some of its
        # source's wording (quotes, turns of phrase) while a copy keeps most of it.
        if containment(shingles_a, shingles_b) < settings.rewrite_min_containment:
            continue
        (earlier, later), cosine = alike[position], cosines[position]
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


def _always(_a: str, _b: str) -> bool:
    return True
