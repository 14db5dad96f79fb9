"""Copy detection: which stored articles are copies of one text.

Named stages, parameters in ``DedupeSettings``:

1. ``same_url``: one article already has one row per identity URL; a rel=canonical that
   points at another stored article's URL (a syndication claim) links the two.
2. ``same_text``: the same normalised text (sha256).
3. ``near_copy``: edited syndicated copies. Word shingles are hashed; each text's MinHash
   signature (one-permutation MinHash, one LSH band per bin, ``minhash_keys``) is indexed,
   so candidate pairs are the texts that share enough band keys (``copy_candidates``,
   sub-quadratic: only texts in one bucket are paired); each candidate is verified by
   shingle *containment* (the share of the shorter text found in the longer), because
   copies that were cut, padded or lightly edited keep a high containment while their
   Jaccard similarity falls low; a pair that is less than close must report the same
   figures (two texts of one template with other figures are no copies).

Every link is kept as ``(a, b, kind, score)`` so SQL can say why two articles were joined.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence

import numpy as np

from tasks.site_furniture import line_key
from tasks.sparse import ragged_ranges, sorted_unique
from tasks.text import UNSPACED_SCRIPTS
from tasks.urls import url_key
from wirehouse.records import ArticleLink, ArticleSketch
from wirehouse.settings import DedupeSettings

# A word, as \w+ reads one, but each Chinese or Japanese character its own (as count_words
# counts them): those scripts put no spaces between words, so a whole clause was one
# "word", a shingle spanned two sentences, and an edited copy shared none with its origin.
_WORD = re.compile(f"[{UNSPACED_SCRIPTS}]|[^\\W{UNSPACED_SCRIPTS}]+")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_BASE = np.uint64(1_099_511_628_211)


def normalise_text(text: str) -> str:
    """Case-folded words only: the form text hashes and shingles are taken from."""
    return " ".join(normalised_words(text))


def normalised_words(text: str) -> list[str]:
    """The words of ``normalise_text``, as a list."""
    words: list[str] = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    return words


def text_sha256(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


class ShingleHasher:
    """Hashes word k-shingles to uint64 with numpy; word hashes are cached across texts."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._word_hash: dict[str, int] = {}
        self._powers = np.array(
            [_BASE ** np.uint64(size - 1 - i) for i in range(size)], dtype=np.uint64
        )

    def _words(self, text: str) -> np.ndarray:
        words = normalised_words(text)
        cache = self._word_hash
        try:  # once the cache is warm, most texts hold no word it lacks
            return np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words))
        except KeyError:
            for word in set(words).difference(cache):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                cache[word] = int.from_bytes(digest, "little")
        return np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words))

    def shingles(self, text: str) -> np.ndarray:
        """Sorted unique shingle hashes of a text (a text shorter than k gives one shingle)."""
        words = self._words(text)
        if words.size == 0:
            return words
        k = min(self.size, words.size)
        windows = np.lib.stride_tricks.sliding_window_view(words, k)
        with np.errstate(over="ignore"):
            combined = (windows * self._powers[-k:]).sum(axis=1, dtype=np.uint64)
            # Mix the bits so that "hash % sample" picks an even sample.
            combined = (combined ^ (combined >> np.uint64(31))) * _MIX
            combined ^= combined >> np.uint64(29)
        # np.unique, but sorting and dropping repeats is several times faster on short arrays.
        combined.sort()
        first = np.empty(combined.size, dtype=bool)
        first[0] = True
        np.not_equal(combined[1:], combined[:-1], out=first[1:])
        unique: np.ndarray = combined[first]
        return unique


# Reads the texts of the given articles (by id); an article without a stored text is left out.
# Grouping a big archive reads texts through one, a window at a time, rather than hold them all.
TextReader = Callable[[Sequence[str]], Mapping[str, str]]


def texts_in(sketches: Iterable[ArticleSketch]) -> TextReader:
    """A ``TextReader`` over sketches held with their texts."""
    return held_texts({sketch.article_id: sketch.text for sketch in sketches})


def held_texts(text_of: Mapping[str, str]) -> TextReader:
    """A ``TextReader`` over texts held by article id."""

    def read(article_ids: Sequence[str]) -> dict[str, str]:
        return {a: text_of[a] for a in article_ids if a in text_of}

    return read


TEXT_WINDOW = 2_000  # texts read at a time where grouping reads them through a ``TextReader``

# Reads the shingles of the given articles (by id); an article without a stored text is left
# out. The group step keeps the shingles its first pass made (``tasks.shingle_spill``).
ShingleReader = Callable[[Sequence[str]], Mapping[str, np.ndarray]]


def shingle_reader(
    texts: TextReader, hasher: ShingleHasher, known: ShingleReader | None = None
) -> ShingleReader:
    """A ``ShingleReader``: the shingles ``known`` has as they are, the others hashed from
    the texts ``texts`` reads."""

    def read(article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        found = dict(known(article_ids)) if known is not None else {}
        rest = [a for a in article_ids if a not in found]
        if rest:
            found.update((a, hasher.shingles(text)) for a, text in texts(rest).items())
        return found

    return read


def shingled_pairs(
    pairs: Sequence[tuple[str, str]],
    shingles_of: ShingleReader,
    needed: Callable[[str, str], bool],
    window: int = TEXT_WINDOW,
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(position, shingles of one, of the other) for each pair, in order, that is still
    ``needed`` when it is reached (asked then, so it may depend on what the caller made of
    the pairs before it) and whose two texts ``shingles_of`` has.

    Shingles are read a window at a time (the next ``window`` missing ones of the pairs
    needed as things stand), and each text's are dropped after the last pair holding it:
    what is held is the shingles of the texts under way, never every text."""
    last_use: dict[str, int] = {}
    for position, (a, b) in enumerate(pairs):
        last_use[a] = last_use[b] = position
    shingles: dict[str, np.ndarray] = {}
    unreadable: set[str] = set()
    for position, (a, b) in enumerate(pairs):
        if needed(a, b):
            if any(x not in shingles and x not in unreadable for x in (a, b)):
                wanted: dict[str, None] = {}
                for c, d in itertools.islice(pairs, position, None):
                    if len(wanted) >= window:
                        break
                    if (c, d) == (a, b) or needed(c, d):
                        for x in (c, d):
                            if x not in shingles and x not in unreadable:
                                wanted[x] = None
                read = shingles_of(list(wanted))
                unreadable.update(x for x in wanted if x not in read)
                shingles.update(read)
                del read  # the window's texts went; their shingles stay while pairs need them
            if a in shingles and b in shingles:
                yield position, shingles[a], shingles[b]
        for x in (a, b):
            if last_use[x] == position:
                shingles.pop(x, None)


class UnionFind:
    """Disjoint sets over string keys; the root of a set is its smallest key (deterministic)."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._parent = {key: key for key in keys}

    def find(self, key: str) -> str:
        root = key
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[key] != root:
            self._parent[key], key = root, self._parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            low, high = sorted((ra, rb))
            self._parent[high] = low

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for key in sorted(self._parent):
            out[self.find(key)].append(key)
        return dict(out)


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller shingle set found in the larger one."""
    if a.size == 0 or b.size == 0:
        return 0.0
    shared = np.intersect1d(a, b, assume_unique=True).size
    return shared / min(a.size, b.size)


def minhash_keys(shingles: np.ndarray, settings: DedupeSettings) -> np.ndarray:
    """A text's MinHash signature as LSH band keys (one-permutation MinHash, one row a band).

    The sorted shingle hashes are split into ``minhash_bands`` bins by their top bits and the
    smallest hash of each bin is kept; it carries its bin in those top bits, so it is its
    band's key as it stands. Two texts hold one bin's minimum with a probability equal to
    their Jaccard similarity, so they share about ``bands * jaccard`` keys: a copy padded
    to three times its length (Jaccard 0.25) still shares some 30 of 128."""
    if shingles.size == 0:
        return shingles
    bin_bits = settings.minhash_bands.bit_length() - 1  # a power of two: 128 -> 7 bits
    bins = shingles >> np.uint64(64 - bin_bits)
    first_of_bin = np.ones(shingles.size, dtype=bool)
    first_of_bin[1:] = bins[1:] != bins[:-1]
    keys: np.ndarray = shingles[first_of_bin]
    return keys


CANDIDATE_SLICE = 4_000_000  # candidate pairs counted at a time (before counting)


def copy_candidates(
    keys: Sequence[np.ndarray], settings: DedupeSettings
) -> list[tuple[int, int, int]]:
    """(shared keys, first, second) for the pairs of texts (by index, first < second) that
    share at least ``min_shared_bands`` MinHash band keys, most shared first.

    Texts are paired only within a bucket (one key). A key held by more than
    ``max_band_postings`` texts (boilerplate, or a wire text carried by very many sites)
    pairs each of them with the first ``max_band_postings`` holders only: the pairs stay
    bounded and every carrier still meets the same few representatives of its text."""
    sizes = np.fromiter((k.size for k in keys), dtype=np.int64, count=len(keys))
    if sizes.sum() == 0:
        return []
    flat = np.concatenate([np.asarray(k, dtype=np.uint64) for k in keys])
    owner = np.repeat(np.arange(len(keys), dtype=np.int64), sizes)
    order = np.lexsort((owner, flat))  # by key, then by text
    flat, owner = flat[order], owner[order]
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, flat.size]))
    # Each holder of a key pairs with the holders before it, up to the first few: one text
    # has one key per bin, so the holders of a key are distinct and in text order.
    rank = np.arange(flat.size, dtype=np.int64) - run_start
    partners = np.minimum(rank, settings.max_band_postings)
    if int(partners.sum()) == 0:
        return []
    # The pairs are counted a slice of later texts at a time (all of a text's keys in one
    # slice, so each pair is counted whole in one), not all at once: a big archive has
    # tens of millions of them before they are counted.
    by_text = np.argsort(owner, kind="stable")
    text_start = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(sizes, out=text_start[1:])
    per_text = np.cumsum(np.bincount(owner, weights=partners, minlength=len(keys)))
    cuts = np.searchsorted(
        per_text, np.arange(1, int(per_text[-1]) // CANDIDATE_SLICE + 1) * CANDIDATE_SLICE
    )
    found_codes, found_shared = [], []
    for low, high in itertools.pairwise([0, *sorted_unique(cuts + 1).tolist(), len(keys)]):
        if high <= low:
            continue
        at = by_text[text_start[low] : text_start[high]]
        first = owner[ragged_ranges(run_start[at], partners[at])]
        second = np.repeat(owner[at], partners[at])
        codes, shared = np.unique(first * len(keys) + second, return_counts=True)
        enough = shared >= settings.min_shared_bands
        found_codes.append(codes[enough])
        found_shared.append(shared[enough])
    codes, shared = np.concatenate(found_codes), np.concatenate(found_shared)
    ranked = np.lexsort((codes, -shared))
    return [
        (int(count), int(code // len(keys)), int(code % len(keys)))
        for count, code in zip(shared[ranked].tolist(), codes[ranked].tolist(), strict=True)
    ]


def copy_score(a: np.ndarray, b: np.ndarray, settings: DedupeSettings) -> float | None:
    """The containment of two texts' shingles when it makes them copies, else None."""
    # A short text (a stub, a caption) is "contained" in anything that shares its stock
    # phrases; containment only means copying past a minimum length.
    if min(a.size, b.size) < settings.min_copy_shingles:
        return None
    score = containment(a, b)
    return score if score >= settings.copy_containment else None


# Figures in a text: "388", "1.04", "2,180", "87.40".
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
FIGURES_COMPARED = 5  # distinct figures the text with fewer must hold to be compared
FIGURES_CHECKED_BELOW = 0.8  # a copy this close keeps its figures anyway: not read again


def other_figures(first: str, second: str) -> bool:
    """Two texts of one template that report different figures (an earnings snapshot of
    one quarter and of the next, a weather or a sports report of another day): most of the
    figures of the one with fewer missing from the other. An edited copy, however cut or
    reworded, keeps its figures: they are the news."""
    a, b = set(_FIGURE.findall(first)), set(_FIGURE.findall(second))
    fewer, more = (a, b) if len(a) <= len(b) else (b, a)
    return len(fewer) >= FIGURES_COMPARED and len(fewer & more) < len(fewer) / 2


def _same_figures(read: TextReader, a: str, b: str, score: float) -> bool:
    """Whether a pair scored as copies reports the same figures (``other_figures``); a pair
    scored at ``FIGURES_CHECKED_BELOW`` or more, or one whose texts cannot be read, does."""
    if score >= FIGURES_CHECKED_BELOW:
        return True
    texts = read([a, b])
    return a not in texts or b not in texts or not other_figures(texts[a], texts[b])


def verified_copies(
    candidates: Sequence[tuple[str, str, bool]],
    texts: TextReader,
    settings: DedupeSettings,
    known: ShingleReader | None = None,
) -> set[str]:
    """The articles among ``candidates`` (pending id, other id, sure) that are copies of a
    pending article: sure ones as they are, the others verified by containment (their
    shingles ``known`` or made from the texts read through ``texts``; a pair missing one is
    not a copy)."""
    found = {other for _pending, other, sure in candidates if sure}
    unsure = [(pending, other) for pending, other, sure in candidates if not sure]
    shingles_of = shingle_reader(texts, ShingleHasher(settings.shingle_size), known)
    for position, first, second in shingled_pairs(
        unsure, shingles_of, lambda _pending, other: other not in found
    ):
        if copy_score(first, second, settings):
            found.add(unsure[position][1])
    return found


def find_copy_links(
    articles: Sequence[ArticleSketch],
    settings: DedupeSettings,
    keys: Mapping[str, np.ndarray] | None = None,
    texts: TextReader | None = None,
    known: ShingleReader | None = None,
    furniture: Mapping[str, Collection[int]] | None = None,
) -> list[ArticleLink]:
    """Every pair of articles that are copies of one text, with the tier that found it.
    ``keys`` are the articles' MinHash keys where already known (the archive keeps them);
    the others' are worked out here. ``texts`` reads the texts (else the sketches hold
    them); shingles are taken from ``known`` where it has them, else made only for the
    pairs verified, a window of texts at a time. ``furniture``: the line keys known as each
    site's furniture (``tasks.site_furniture``), which two pages of one site do not copy
    from each other."""
    ordered = sorted(articles, key=lambda a: a.article_id)
    domain_of = {a.article_id: a.domain for a in ordered}
    read = texts or texts_in(ordered)
    links: list[ArticleLink] = []

    by_key = {url_key(a.url): a.article_id for a in ordered}
    for article in ordered:
        if article.canonical_url:
            other = by_key.get(url_key(article.canonical_url))
            if other and other != article.article_id:
                a, b = sorted((article.article_id, other))
                links.append(ArticleLink(a, b, "same_url", 1.0))

    by_hash: dict[str, list[str]] = defaultdict(list)
    for article in ordered:
        by_hash[article.text_sha256].append(article.article_id)
    exact_pairs = set()
    for ids in by_hash.values():
        for other in ids[1:]:
            links.append(ArticleLink(ids[0], other, "same_text", 1.0))
            exact_pairs.add((ids[0], other))

    hasher = ShingleHasher(settings.shingle_size)
    candidates = copy_candidates(_keys_of(ordered, keys or {}, read, hasher, settings), settings)
    pairs = [
        (ordered[first].article_id, ordered[second].article_id) for _, first, second in candidates
    ]
    del candidates
    # Verify the likeliest pairs first, and skip a pair its group already joins through
    # other links: a text copied by a hundred sites needs about a hundred checks, not the
    # five thousand of all its pairs. Each join keeps the link that made it.
    joined = UnionFind([a.article_id for a in ordered])
    for link in links:
        joined.union(link.a, link.b)

    def unjoined(a: str, b: str) -> bool:
        return (a, b) not in exact_pairs and joined.find(a) != joined.find(b)

    shingles_of = shingle_reader(read, hasher, known)
    # Per article, a sample of what it shares with each near copy it was joined to: which
    # part of its text is the copy.
    shared_parts: defaultdict[str, list[np.ndarray]] = defaultdict(list)
    for position, first_shingles, second_shingles in shingled_pairs(pairs, shingles_of, unjoined):
        score = copy_score(first_shingles, second_shingles, settings)
        if score is None:
            continue
        a, b = pairs[position]
        site = domain_of[a] if domain_of[a] == domain_of[b] else None
        if site is not None and furniture and furniture.get(site):
            score = _score_without_furniture(read([a, b]), furniture[site], hasher, settings, score)
            if score is None:
                continue
        if not _same_figures(read, a, b, score):
            continue  # one template, other figures: another quarter's, another day's
        shared = _sampled(np.intersect1d(first_shingles, second_shingles, assume_unique=True))
        if _bridges(shared_parts[a], shared) or _bridges(shared_parts[b], shared):
            continue
        shared_parts[a].append(shared)
        shared_parts[b].append(shared)
        links.append(ArticleLink(a, b, "near_copy", round(score, 4)))
        joined.union(a, b)
    return list(dict.fromkeys(links))  # one link per (a, b, kind), first tier first


def _score_without_furniture(
    texts: Mapping[str, str],
    furniture: Collection[int],
    hasher: ShingleHasher,
    settings: DedupeSettings,
    score: float,
) -> float | None:
    """Two pages of one site scored on their texts less the site's furniture lines: a
    company's press releases, each three parts its "About us", its disclaimer and its media
    contact (more than a text may lose at its edges, so left in it), were near copies of
    each other, one story of unrelated news. Where either text is little but furniture (a
    story the site republished under a new title), the score stands."""
    cores = []
    for text in texts.values():
        kept = [line for line in text.splitlines() if line_key(line) not in furniture]
        cores.append(hasher.shingles("\n".join(kept)))
    if len(cores) != 2 or min(core.size for core in cores) < settings.min_copy_shingles:
        return score
    return copy_score(cores[0], cores[1], settings)


BRIDGE_SAMPLE = 8  # one shingle in 8 of a shared part is kept to compare it with others
BRIDGE_MIN_SAMPLE = 4  # parts sampled smaller than this cannot tell
BRIDGE_OVERLAP = 0.2  # parts of a page that share less than this are different texts


def _sampled(shingles: np.ndarray) -> np.ndarray:
    kept: np.ndarray = shingles[shingles % np.uint64(BRIDGE_SAMPLE) == 0]
    return kept


def _bridges(parts: list[np.ndarray], shared: np.ndarray) -> bool:
    """Whether a page that is a copy of other texts through ``parts`` would join one more
    through a different part of its text: a page holding two unrelated texts (a digest of
    two stories, a live blog, a page of half of each) is a near copy of both, and joined
    them into one copy group and one story, one real article called a copy of the other.
    A padded copy, a cut one, a copy of another copy share the same part; two copies of
    one text's two halves, not copying each other, are taken for two texts (no link says
    they are one)."""
    if not parts or shared.size < BRIDGE_MIN_SAMPLE:
        return False
    for part in parts:
        if part.size < BRIDGE_MIN_SAMPLE:
            return False
        common = np.intersect1d(part, shared, assume_unique=True).size
        if common >= BRIDGE_OVERLAP * min(part.size, shared.size):
            return False
    return True


def _keys_of(
    ordered: Sequence[ArticleSketch],
    known: Mapping[str, np.ndarray],
    texts: TextReader,
    hasher: ShingleHasher,
    settings: DedupeSettings,
) -> list[np.ndarray]:
    """Each article's MinHash keys: ``known`` ones as they are, the others made from their
    texts, read a window at a time (not kept: most texts are never verified)."""
    missing = [a.article_id for a in ordered if a.article_id not in known]
    made: dict[str, np.ndarray] = {}
    for start in range(0, len(missing), TEXT_WINDOW):
        for article_id, text in texts(missing[start : start + TEXT_WINDOW]).items():
            made[article_id] = minhash_keys(hasher.shingles(text), settings)
    empty = np.empty(0, dtype=np.uint64)
    return [
        known[a.article_id] if a.article_id in known else made.get(a.article_id, empty)
        for a in ordered
    ]
