"""What a text is about: its terms (headline words and names weigh more, stop words and
its site's furniture drop out) and its tf-idf vector, and what a story is about: the mean
of its texts' vectors. Parameters in ``DedupeSettings``."""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

import regex

from tasks.dedupe import normalise_text
from tasks.origins import CopyGroup
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
) -> tuple[set[str], dict[str, float]]:
    """What a new text adds to the document frequencies (its terms), and its probe: the
    ``story_candidate_terms`` strongest terms of its tf-idf vector under ``counts``, to
    find the stored stories it may join (empty when nothing was counted yet). One pass
    over the text for both."""
    terms = terms_of(article)
    if not counts.texts:
        return set(terms), {}
    vector = text_vector(article, counts, settings.story_vector_terms, terms=terms)
    return set(terms), strongest_terms(vector, settings.story_candidate_terms)


def strongest_terms(vector: Mapping[str, float], keep: int) -> dict[str, float]:
    """The ``keep`` heaviest terms of a vector (ties by term): what probes and indexes use."""
    return dict(heapq.nlargest(keep, vector.items(), key=lambda tw: (tw[1], tw[0])))


def group_vectors(
    groups: Sequence[CopyGroup],
    by_id: Mapping[str, ArticleSketch],
    keep: int,
    counts: TermCounts | None = None,
) -> list[dict[str, float]]:
    """One tf-idf vector per copy group (its origin's text), cut to its ``keep`` strongest
    terms and normalised. The document frequencies are ``counts`` (the archive's) when
    given, else counted over the groups in a first pass over the texts (so that only the
    frequencies and the cut vectors are ever held, not every text's full term counts)."""
    furniture = site_furniture(groups, by_id)
    if counts is None:
        df: Counter[str] = Counter()
        for group in groups:
            df.update(terms_of(by_id[group.origin]).keys())
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
        for term, tf in (terms_of(article) if terms is None else terms).items()
        if term not in dropped
    ]
    top = heapq.nlargest(keep, weights, key=lambda tw: (tw[1], tw[0]))
    norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
    return {term: w / norm for term, w in top}


def site_furniture(
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
            df.update(terms_of(by_id[key]).keys())
        furniture[domain] = frozenset(t for t, n in df.items() if n * 2 > len(keys))
    return furniture


def story_vector(story_id: str, texts: Sequence[dict[str, float]], keep: int) -> StoryVector:
    """The mean of a story's text vectors, cut to its ``keep`` strongest terms."""
    total: defaultdict[str, float] = defaultdict(float)
    for vector in texts:
        for term, weight in vector.items():
            total[term] += weight
    top = heapq.nlargest(keep, total.items(), key=lambda tw: (tw[1], tw[0]))
    return StoryVector(story_id, len(texts), {t: round(w / len(texts), 6) for t, w in top})
