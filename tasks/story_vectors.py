"""What a text is about: its terms (headline words and names weigh more, stop words and
its site's furniture drop out) and its tf-idf vector, and what a story is about: the mean
of its texts' vectors. Parameters in ``DedupeSettings``."""

from __future__ import annotations

import heapq
import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import replace

import regex

from tasks.dedupe import TEXT_WINDOW, TextReader, normalise_text
from tasks.origins import CopyGroup
from tasks.sparse import SparseBuilder, SparseVectors
from tasks.workers import process_pool
from wirehouse.records import ArticleSketch, StoryVector, TermCounts
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


# A capitalised word right after another word (not after a sentence's end): a name.
_MID_SENTENCE_NAME = regex.compile(r"(?:(?<=[^\W_] )|(?<=[^\W_][,;)] ))\p{Lu}[^\W_]*")


def terms_of(article: ArticleSketch, entity_weight: float = 2.0) -> dict[str, float]:
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


def terms_and_probe(
    article: ArticleSketch, counts: TermCounts, settings: DedupeSettings
) -> tuple[dict[str, float], dict[str, float]]:
    """A new text's terms (``terms_of``: what it adds to the document frequencies), and its
    probe: the ``story_candidate_terms`` strongest terms of its tf-idf vector under
    ``counts``, to find the stored stories it may join (empty when nothing was counted
    yet). One pass over the text for both."""
    terms = terms_of(article)
    if not counts.texts:
        return terms, {}
    vector = text_vector(article, counts, settings.story_vector_terms, terms=terms)
    return terms, strongest_terms(vector, settings.story_candidate_terms)


def strongest_terms(vector: Mapping[str, float], keep: int) -> dict[str, float]:
    """The ``keep`` heaviest terms of a vector (ties by term): what probes and indexes use."""
    return dict(heapq.nlargest(keep, vector.items(), key=lambda tw: (tw[1], tw[0])))


def group_vectors(
    groups: Sequence[CopyGroup],
    by_id: Mapping[str, ArticleSketch],
    keep: int,
    counts: TermCounts | None = None,
    known: Mapping[str, Mapping[str, float]] | None = None,
    workers: int = 1,
    texts: TextReader | None = None,
) -> SparseVectors:
    """One tf-idf vector per copy group (its origin's text), cut to its ``keep`` strongest
    terms and normalised, as sparse arrays (a row a group). The document frequencies are
    ``counts`` (the archive's) when given, else counted over the groups in a first pass
    over the texts (so that only the frequencies and the cut vectors are ever held, not
    every text's full term counts). ``known`` holds the ``terms_of`` of texts already
    counted (by article id). ``texts`` reads the origins' texts, ``TEXT_WINDOW`` at a time
    (else the sketches hold them). With ``workers`` and at least ``VECTORS_POOL_FROM``
    groups, counted and none known, the vectors are made in the worker pool, whole domains
    a job (the same vectors)."""
    held = known or {}
    origins = _origin_reader(groups, by_id, held, texts)

    def terms_of_origin(origin: ArticleSketch) -> Mapping[str, float]:
        terms = held.get(origin.article_id)
        return terms if terms is not None else terms_of(origin)

    if counts is None:
        df: Counter[str] = Counter()
        for start in range(0, len(groups), TEXT_WINDOW):
            for origin in origins(range(start, min(start + TEXT_WINDOW, len(groups)))):
                df.update(terms_of_origin(origin).keys())
        counts = TermCounts(len(groups), df)
    built = SparseBuilder(len(groups))
    if workers > 1 and len(groups) >= VECTORS_POOL_FROM and not held:
        _vectors_in_pool(groups, by_id, origins, keep, counts, workers, built)
        return built.build()
    sample = _furniture_sample(groups, by_id)
    idf: dict[str, float] = {}
    furniture: dict[str, frozenset[str]] = {}
    # A domain's sampled texts are counted once, for its furniture and their own vectors;
    # one domain's terms are held at a time, and some domains' texts.
    for batch in _batches(list(sample.values()), TEXT_WINDOW):
        read = iter(origins([i for indices in batch for i in indices]))
        for indices in batch:
            sampled = [next(read) for _ in indices]
            terms = [terms_of_origin(origin) for origin in sampled]
            domain = sampled[0].domain
            furniture[domain] = _furniture(terms)
            for index, origin, text_terms in zip(indices, sampled, terms, strict=True):
                built.add(
                    index, text_vector(origin, counts, keep, furniture[domain], text_terms, idf)
                )
    chosen = {index for indices in sample.values() for index in indices}
    rest = [index for index in range(len(groups)) if index not in chosen]
    for start in range(0, len(rest), TEXT_WINDOW):
        indices = rest[start : start + TEXT_WINDOW]
        for index, origin in zip(indices, origins(indices), strict=True):
            dropped = furniture.get(origin.domain, frozenset())
            built.add(
                index, text_vector(origin, counts, keep, dropped, held.get(origin.article_id), idf)
            )
    return built.build()


def _origin_reader(
    groups: Sequence[CopyGroup],
    by_id: Mapping[str, ArticleSketch],
    held: Mapping[str, Mapping[str, float]],
    texts: TextReader | None,
) -> Callable[[Sequence[int]], list[ArticleSketch]]:
    """The origins of the given copy groups (by index) with their texts: as ``by_id`` holds
    them when there is no ``texts``, else with the texts it reads (but those whose terms
    are ``held``, which no text is read for)."""

    def origins(indices: Sequence[int]) -> list[ArticleSketch]:
        sketches = [by_id[groups[i].origin] for i in indices]
        if texts is None:
            return sketches
        read = texts([s.article_id for s in sketches if s.article_id not in held])
        return [replace(s, text=read.get(s.article_id, "")) for s in sketches]

    return origins


def _batches(runs: Sequence[Sequence[int]], size: int) -> list[list[Sequence[int]]]:
    """Consecutive runs gathered into batches of about ``size`` items (whole runs each)."""
    batches: list[list[Sequence[int]]] = []
    held = size
    for run in runs:
        if held >= size:
            batches.append([])
            held = 0
        batches[-1].append(run)
        held += len(run)
    return batches


VECTORS_POOL_FROM = 5_000  # copy groups from which their vectors are worth the worker pool
VECTORS_JOB = 2_500  # copy groups a job holds at least (whole domains)


def _vectors_in_pool(
    groups: Sequence[CopyGroup],
    by_id: Mapping[str, ArticleSketch],
    origins: Callable[[Sequence[int]], list[ArticleSketch]],
    keep: int,
    counts: TermCounts,
    workers: int,
    built: SparseBuilder,
) -> None:
    """``group_vectors`` in the worker pool: a job is whole domains (their origins in group
    order, the first ``FURNITURE_SAMPLE`` of each its furniture sample, as here), its
    origins' texts read (through ``origins``) as it is handed out."""
    by_domain: dict[str, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        by_domain[by_id[group.origin].domain].append(index)
    jobs = _batches(list(by_domain.values()), VECTORS_JOB)
    pool = process_pool(workers)
    try:
        # A few jobs ahead of the one read back, so that the texts and the vectors waiting
        # as dicts stay a few jobs' worth, not the whole run's.
        waiting: deque[tuple[list[Sequence[int]], Future[list[list[dict[str, float]]]]]] = deque()
        for job in [*jobs, None]:
            if job is not None:
                read = iter(origins([i for indices in job for i in indices]))
                domains = [[next(read) for _ in indices] for indices in job]
                waiting.append((job, pool.submit(domain_vectors, domains, counts, keep)))
                del read, domains
            while waiting and (job is None or len(waiting) > workers + 1):
                done, future = waiting.popleft()
                for indices, made in zip(done, future.result(), strict=True):
                    for index, vector in zip(indices, made, strict=True):
                        built.add(index, vector)
    finally:
        pool.shutdown(cancel_futures=True)


def domain_vectors(
    domains: Sequence[Sequence[ArticleSketch]], counts: TermCounts, keep: int
) -> list[list[dict[str, float]]]:
    """The vectors of each domain's texts (in order), its first ``FURNITURE_SAMPLE`` the
    sample its furniture is read from: what ``group_vectors`` makes of them."""
    idf: dict[str, float] = {}
    out = []
    for origins in domains:
        terms = [terms_of(origin) for origin in origins[:FURNITURE_SAMPLE]]
        dropped = _furniture(terms)
        sampled = [
            text_vector(origin, counts, keep, dropped, text_terms, idf)
            for origin, text_terms in zip(origins, terms, strict=False)
        ]
        rest = [
            text_vector(origin, counts, keep, dropped, None, idf)
            for origin in origins[FURNITURE_SAMPLE:]
        ]
        out.append(sampled + rest)
    return out


def text_vector(
    article: ArticleSketch,
    counts: TermCounts,
    keep: int,
    dropped: frozenset[str] = frozenset(),
    terms: Mapping[str, float] | None = None,
    idf: dict[str, float] | None = None,
) -> dict[str, float]:
    """A text's tf-idf vector (``counts`` the document frequencies), its ``keep`` strongest
    terms but the ``dropped`` ones (its site's furniture), normalised. ``terms`` are the
    text's term weights when already counted; ``idf`` keeps each term's idf under ``counts``
    from one text to the next (a run's vectors share one)."""
    n, holding = counts.texts, counts.holding
    known = {} if idf is None else idf
    weighted: list[tuple[float, str]] = []
    for term, tf in (terms_of(article) if terms is None else terms).items():
        if term in dropped:
            continue
        term_idf = known.get(term)
        if term_idf is None:
            term_idf = known[term] = math.log((1 + n) / (1 + holding.get(term, 0)) + 1)
        weighted.append(((1 + math.log(tf)) * term_idf, term))
    weighted.sort(reverse=True)  # heaviest first, ties by term (terms are unique)
    top = weighted[:keep]
    norm = math.sqrt(sum(w * w for w, _ in top)) or 1.0
    # Interned: the vectors of a big run share one copy of each term.
    return {sys.intern(term): w / norm for w, term in top}


FURNITURE_SAMPLE = 50  # texts of a domain its furniture is read from


def _furniture_sample(
    groups: Sequence[CopyGroup],
    by_id: Mapping[str, ArticleSketch],
    sample: int = FURNITURE_SAMPLE,
) -> dict[str, list[int]]:
    """Per domain, the first ``sample`` copy groups (by index) whose origin it holds: the
    texts its furniture (section names, legal lines, "sign up" boxes: terms that say which
    site a text is from, not which event it reports) is read from, so memory stays flat."""
    by_domain: dict[str, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        kept = by_domain[by_id[group.origin].domain]
        if len(kept) < sample:
            kept.append(index)
    return dict(by_domain)


def _furniture(sample: Sequence[Mapping[str, float]]) -> frozenset[str]:
    """The terms in more than half of a domain's sampled texts (none under four texts)."""
    if len(sample) < 4:
        return frozenset()
    df: Counter[str] = Counter()
    for terms in sample:
        df.update(terms.keys())
    return frozenset(t for t, n in df.items() if n * 2 > len(sample))


def story_vector(story_id: str, texts: Sequence[dict[str, float]], keep: int) -> StoryVector:
    """The mean of a story's text vectors, cut to its ``keep`` strongest terms."""
    total: defaultdict[str, float] = defaultdict(float)
    for vector in texts:
        for term, weight in vector.items():
            total[term] += weight
    top = heapq.nlargest(keep, total.items(), key=lambda tw: (tw[1], tw[0]))
    return StoryVector(story_id, len(texts), {t: round(w / len(texts), 6) for t, w in top})
