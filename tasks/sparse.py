"""Sparse term vectors as numpy arrays: candidate pairs and dot products without Python loops
over terms.

Stories and story lines compare tf-idf vectors (``{term: weight}``) pairwise. Both stages
need two things: the pairs worth comparing (an inverted index of each vector's strongest
terms, never all pairs) and the dot products of those pairs. Done with dicts and Counters
these cost a Python step per shared term; here the vectors become one CSR structure (row
offsets, term ids, weights) and both are sorts, joins and bincounts over whole arrays.
Results are exactly what the dict versions give (ties broken by term, then by row), so
they never depend on the order of the input.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


def ragged_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``starts[k], starts[k] + 1, ..., starts[k] + lengths[k] - 1`` for every k, end to end:
    the positions of many variable-length slices of one flat array, with no Python loop."""
    before = np.cumsum(lengths) - lengths
    out: np.ndarray = np.repeat(starts - before, lengths)
    out += np.arange(int(lengths.sum()), dtype=np.int64)
    return out


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)``: sorted, each value once. NumPy 2's ``np.unique`` goes through
    a hash table when asked for nothing else, some 60 times slower than a sort here (4.2
    million pair codes: 4.7 s against 0.07 s)."""
    ordered = np.sort(values)
    first = np.ones(ordered.size, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    unique: np.ndarray = ordered[first]
    return unique


class SparseVectors:
    """Vectors as CSR arrays over one vocabulary whose ids follow the terms' sorted order
    (so a tie broken by term id is a tie broken by term)."""

    def __init__(self, vectors: Sequence[Mapping[str, float]]) -> None:
        vocabulary = sorted({term for vector in vectors for term in vector})
        ids = {term: index for index, term in enumerate(vocabulary)}
        sizes = np.fromiter((len(v) for v in vectors), dtype=np.int64, count=len(vectors))
        total = int(sizes.sum())
        terms = np.fromiter((ids[term] for v in vectors for term in v), dtype=np.int64, count=total)
        weights = np.fromiter(
            (w for v in vectors for w in v.values()), dtype=np.float64, count=total
        )
        self._set(vocabulary, sizes, terms, weights)

    @classmethod
    def from_arrays(
        cls, vocabulary: list[str], sizes: np.ndarray, terms: np.ndarray, weights: np.ndarray
    ) -> SparseVectors:
        """Vectors given as arrays: each row's ``sizes`` entries of term ids (into the sorted
        ``vocabulary``) and weights, end to end, rows in order."""
        sparse = cls.__new__(cls)
        sparse._set(vocabulary, sizes, terms, weights)
        return sparse

    def _set(
        self, vocabulary: list[str], sizes: np.ndarray, terms: np.ndarray, weights: np.ndarray
    ) -> None:
        self.vocabulary = vocabulary
        self.rows = len(sizes)
        self.width = max(len(vocabulary), 1)
        self.sizes = sizes.astype(np.int64, copy=False)
        self.starts = np.zeros(self.rows + 1, dtype=np.int64)
        np.cumsum(self.sizes, out=self.starts[1:])
        self.row_of = np.repeat(np.arange(self.rows, dtype=np.int64), self.sizes)
        # Terms in id order within each row, so (row, term) keys come out sorted.
        terms = terms.astype(np.int64, copy=False)
        order = np.lexsort((terms, self.row_of))
        self.terms, self.weights = terms[order], weights[order]

    def __len__(self) -> int:
        return self.rows

    def row(self, index: int) -> dict[str, float]:
        """One vector as ``{term: weight}`` (terms in sorted order)."""
        low, high = int(self.starts[index]), int(self.starts[index + 1])
        return dict(
            zip(
                [self.vocabulary[t] for t in self.terms[low:high].tolist()],
                self.weights[low:high].tolist(),
                strict=True,
            )
        )

    def positions(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in the flat arrays, index into ``rows``) of every entry of ``rows``."""
        lengths = self.sizes[rows]
        flat = ragged_ranges(self.starts[rows], lengths)
        return flat, np.repeat(np.arange(rows.size, dtype=np.int64), lengths)


# Distinct first vectors of the pairs worked on at a time (``_pair_dots``): their weights go
# to a small dense table, which a few of them keep in the CPU's cache (measured on 2 million
# pairs of 42,545 story vectors: 4 heads 2.2 s, 16 2.6 s, 64 4.5 s, 256 6.2 s; the binary
# search it replaced 6.3 s).
PAIR_HEADS = 4


def pair_dots(
    vectors: Sequence[Mapping[str, float]] | SparseVectors,
    pairs: Sequence[tuple[int, int]] | np.ndarray,
    heads: int = PAIR_HEADS,
) -> list[float]:
    """The dot products of the given pairs of vectors (by index)."""
    if not len(pairs):
        return []
    sparse = vectors if isinstance(vectors, SparseVectors) else SparseVectors(vectors)
    both = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out: list[float] = _pair_dots(sparse, both, heads).tolist()
    return out


def _pair_dots(sparse: SparseVectors, both: np.ndarray, heads: int = PAIR_HEADS) -> np.ndarray:
    """``pair_dots`` over an (n, 2) array of pairs, as an array. The pairs are taken by
    their first vector, ``heads`` first vectors at a time: those vectors' weights go to a
    dense table (a row a vector, a column a term any of them holds), and each second
    vector's entries look their term up in it. Each pair's products are summed in the order
    of its second vector's terms; a term the first lacks adds 0.0, which changes no sum, so
    the dots are bit for bit what summing the shared terms alone gives."""
    if not len(both):
        return np.zeros(0, dtype=np.float64)
    order = np.argsort(both[:, 0], kind="stable")
    pairs = both[order]
    dots = np.zeros(len(pairs), dtype=np.float64)
    column = np.full(sparse.width, -1, dtype=np.int64)  # a term's column in the table
    firsts = pairs[:, 0]
    run_starts = np.flatnonzero(np.r_[True, firsts[1:] != firsts[:-1]])
    cuts = [*run_starts[::heads].tolist(), len(pairs)]
    for low, high in itertools.pairwise(cuts):
        part = pairs[low:high]
        rows, row_of_pair = np.unique(part[:, 0], return_inverse=True)
        flat_a, row_a = sparse.positions(rows)
        terms_a = sparse.terms[flat_a]
        held = sorted_unique(terms_a)
        column[held] = np.arange(held.size)
        table = np.zeros(rows.size * held.size, dtype=np.float64)
        table[row_a * held.size + column[terms_a]] = sparse.weights[flat_a]
        flat_b, pair_b = sparse.positions(part[:, 1])
        where = column[sparse.terms[flat_b]]
        hit = where >= 0
        pair_b, flat_b, where = pair_b[hit], flat_b[hit], where[hit]
        products = table[row_of_pair[pair_b] * held.size + where] * sparse.weights[flat_b]
        dots[low:high] = np.bincount(pair_b, weights=products, minlength=len(part))
        column[held] = -1
    out = np.empty_like(dots)
    out[order] = dots
    return out


def candidate_pairs(
    vectors: Sequence[Mapping[str, float]] | SparseVectors,
    index_terms: int,
    max_posting: int,
    per_item: int,
    chunk_entries: int = 2_000_000,
) -> list[tuple[int, int]]:
    """Pairs of alike vectors (by index, first < second), sorted, without comparing all.

    Each vector's ``index_terms`` strongest terms are indexed (ties by term); a vector
    meets the others through all its terms, but a term indexed for more than
    ``max_posting`` vectors proposes nothing; each vector keeps its ``per_item`` partners
    that share the most terms (ties by partner), so the pairs grow linearly with the
    vectors. Rows are taken in chunks of about ``chunk_entries`` proposals."""
    sparse = vectors if isinstance(vectors, SparseVectors) else SparseVectors(vectors)
    codes = _candidate_codes(sparse, index_terms, max_posting, per_item, chunk_entries)
    return [(int(c // sparse.rows), int(c % sparse.rows)) for c in codes.tolist()]


def _candidate_codes(
    sparse: SparseVectors,
    index_terms: int,
    max_posting: int,
    per_item: int,
    chunk_entries: int = 2_000_000,
) -> np.ndarray:
    """``candidate_pairs`` as sorted pair codes (first * rows + second)."""
    if sparse.rows < 2 or not sparse.terms.size:
        return np.empty(0, dtype=np.int64)
    # The index: each row's strongest terms, rows sorted by (-weight, term) within a row.
    # Terms are in order within a row, so a stable sort on (row, rank of -weight) gives that
    # order: one integer sort, about 4x faster than a lexsort on the three keys.
    by_weight = np.argsort(-sparse.weights, kind="stable")
    weight_rank = np.empty_like(by_weight)
    weight_rank[by_weight] = np.arange(by_weight.size)
    order = np.argsort(sparse.row_of * by_weight.size + weight_rank, kind="stable")
    rank = np.arange(order.size, dtype=np.int64) - sparse.starts[sparse.row_of[order]]
    indexed = order[rank < index_terms]
    index_terms_of = sparse.terms[indexed]
    index_rows = sparse.row_of[indexed]
    by_term = np.lexsort((index_rows, index_terms_of))
    postings = index_rows[by_term]  # rows holding each term, term after term
    if sparse.rows < 2**31:
        postings = postings.astype(np.int32)
    posting_size = np.bincount(index_terms_of, minlength=sparse.width)
    posting_start = np.zeros(sparse.width + 1, dtype=np.int64)
    np.cumsum(posting_size, out=posting_start[1:])
    usable = (posting_size > 0) & (posting_size <= max_posting)

    # Every row's proposals: for each of its usable terms, the rows in that term's posting.
    proposals_per_row = np.bincount(
        sparse.row_of,
        weights=np.where(usable[sparse.terms], posting_size[sparse.terms], 0),
        minlength=sparse.rows,
    ).astype(np.int64)
    found: list[np.ndarray] = []
    low = 0
    while low < sparse.rows:
        high = low + 1
        budget = proposals_per_row[low]
        while high < sparse.rows and budget + proposals_per_row[high] <= chunk_entries:
            budget += proposals_per_row[high]
            high += 1
        found.append(_top_partners(sparse, low, high, usable, postings, posting_start, per_item))
        low = high
    codes = sorted_unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
    return codes


def _top_partners(
    sparse: SparseVectors,
    low: int,
    high: int,
    usable: np.ndarray,
    postings: np.ndarray,
    posting_start: np.ndarray,
    per_item: int,
) -> np.ndarray:
    """Pair codes (first * rows + second) of rows ``low..high`` and their best partners."""
    flat = np.arange(sparse.starts[low], sparse.starts[high], dtype=np.int64)
    flat = flat[usable[sparse.terms[flat]]]
    terms = sparse.terms[flat]
    lengths = posting_start[terms + 1] - posting_start[terms]
    where = ragged_ranges(posting_start[terms], lengths)
    # (row, partner) as one code, the row counted from ``low``: in 32 bits where the
    # chunk's codes fit (sorting them, the costliest step, is then about 3x faster).
    shift = max(sparse.rows - 1, 1).bit_length()
    kind = np.int32 if (high - low) << shift < 2**31 else np.int64
    row = np.repeat((sparse.row_of[flat] - low).astype(kind), lengths)
    other = postings[where].astype(kind, copy=False)
    keep = row + kind(low) != other
    codes, shared = np.unique((row[keep] << kind(shift)) | other[keep], return_counts=True)
    local = (codes >> kind(shift)).astype(np.int64)
    other = (codes & kind((1 << shift) - 1)).astype(np.int64)
    chosen = _most_shared(local, shared, high - low, per_item)
    row, other = local[chosen] + low, other[chosen]
    pair_codes: np.ndarray = np.minimum(row, other) * sparse.rows + np.maximum(row, other)
    return pair_codes


def _most_shared(row: np.ndarray, shared: np.ndarray, rows: int, keep: int) -> np.ndarray:
    """Which entries (a mask) are each row's ``keep`` with the most ``shared``, ties by the
    earlier entry; entries come grouped by row (``0..rows-1``), partners in order within.

    No sort: per row, a count of its entries by shared value gives the value the ``keep``-th
    best has (the threshold); all above it are kept, and of those at it the first few (a
    sort on (row, fewest shared) did this in 1.7 of 7 s of finding story lines at 100k)."""
    if not row.size:
        return np.zeros(0, dtype=bool)
    most = int(shared.max()) + 1
    counts = np.bincount(row * most + shared, minlength=rows * most).reshape(rows, most)
    # at_least[r, v]: row r's entries sharing v or more (a column past the most: none)
    at_least = np.zeros((rows, most + 1), dtype=np.int64)
    at_least[:, :most] = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    threshold = (at_least[:, :most] >= keep).sum(axis=1) - 1  # -1: fewer than keep, all kept
    room = keep - at_least[np.arange(rows), threshold + 1]  # left for those at the threshold
    # Per entry, in 32 bits and one array at a time: this runs on millions of entries.
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    lengths = np.diff(np.r_[starts, row.size])
    heads = row[starts]
    bar = np.repeat(threshold[heads].astype(np.int32), lengths)
    chosen: np.ndarray = shared > bar
    at = shared == bar
    del bar
    rank = np.cumsum(at, dtype=np.int32)  # 1, 2, ... over the entries at the threshold
    rank -= np.repeat(rank[starts] - at[starts], lengths)  # ... counted within each row
    chosen |= at & (rank <= np.repeat(room[heads].astype(np.int32), lengths))
    return chosen


@dataclass(frozen=True, slots=True)
class CandidateDots:
    """Candidate pairs (by index, first < second, sorted) and their dot products, as arrays:
    millions of pairs cost 24 bytes each, not a tuple of Python objects."""

    first: np.ndarray
    second: np.ndarray
    dot: np.ndarray

    def __len__(self) -> int:
        return len(self.first)

    def triples(self, chunk: int = 100_000) -> Iterator[tuple[int, int, float]]:
        """(first, second, dot) pair after pair, as Python numbers, made a chunk at a time."""
        for low in range(0, len(self.first), chunk):
            part = slice(low, low + chunk)
            yield from zip(
                self.first[part].tolist(),
                self.second[part].tolist(),
                self.dot[part].tolist(),
                strict=True,
            )


def candidate_dots(
    vectors: Sequence[Mapping[str, float]] | SparseVectors,
    index_terms: int,
    max_posting: int,
    per_item: int,
) -> CandidateDots:
    """The ``candidate_pairs`` of the vectors with their dot products."""
    # built once for both steps
    sparse = vectors if isinstance(vectors, SparseVectors) else SparseVectors(vectors)
    codes = _candidate_codes(sparse, index_terms, max_posting, per_item)
    rows = max(sparse.rows, 1)
    both = np.stack([codes // rows, codes % rows], axis=1)
    return CandidateDots(both[:, 0], both[:, 1], _pair_dots(sparse, both))


class SparseBuilder:
    """Makes ``SparseVectors`` of ``rows`` vectors given one at a time, in any order, each
    held as two short arrays (term ids in order of first sight, weights), not as a dict."""

    def __init__(self, rows: int) -> None:
        self._ids: dict[str, int] = {}
        self._terms: list[np.ndarray] = [_NO_TERMS] * rows
        self._weights: list[np.ndarray] = [_NO_WEIGHTS] * rows

    def add(self, row: int, vector: Mapping[str, float]) -> None:
        ids = self._ids
        self._terms[row] = np.fromiter(
            (ids.setdefault(term, len(ids)) for term in vector), dtype=np.int64, count=len(vector)
        )
        self._weights[row] = np.fromiter(vector.values(), dtype=np.float64, count=len(vector))

    def build(self) -> SparseVectors:
        seen = list(self._ids)
        order = sorted(range(len(seen)), key=seen.__getitem__)
        rank = np.empty(len(seen), dtype=np.int64)
        rank[order] = np.arange(len(seen), dtype=np.int64)
        sizes = np.fromiter((t.size for t in self._terms), dtype=np.int64, count=len(self._terms))
        terms = np.concatenate([_NO_TERMS, *self._terms])
        weights = np.concatenate([_NO_WEIGHTS, *self._weights])
        return SparseVectors.from_arrays([seen[i] for i in order], sizes, rank[terms], weights)


_NO_TERMS = np.empty(0, dtype=np.int64)
_NO_WEIGHTS = np.empty(0, dtype=np.float64)
