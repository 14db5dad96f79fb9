"""Sparse vectors in numpy give exactly what the plain dict versions give."""

from __future__ import annotations

import heapq
import random
from collections import Counter, defaultdict

import pytest

from tasks.sparse import SparseBuilder, SparseVectors, candidate_pairs, pair_dots


def random_vectors(seed: int, count: int = 60, terms: int = 80) -> list[dict[str, float]]:
    rng = random.Random(seed)
    vocabulary = [f"t{i:03d}" for i in range(terms)]
    # Weights from a few values, so that ties between terms and between partners happen.
    return [
        {t: rng.choice((0.1, 0.2, 0.3, 0.5)) for t in rng.sample(vocabulary, rng.randint(0, 15))}
        for _ in range(count)
    ]


def plain_candidate_pairs(
    vectors: list[dict[str, float]], index_terms: int, max_posting: int, per_item: int
) -> list[tuple[int, int]]:
    """The dict-and-Counter version the numpy one replaced."""
    postings: dict[str, list[int]] = defaultdict(list)
    for index, vector in enumerate(vectors):
        top = sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))
        for term, _weight in top[:index_terms]:
            postings[term].append(index)
    candidates: set[tuple[int, int]] = set()
    for index, vector in enumerate(vectors):
        shared: Counter[int] = Counter()
        for term in vector:
            others = postings.get(term, ())
            if len(others) <= max_posting:
                shared.update(others)
        shared.pop(index, None)
        best = heapq.nsmallest(per_item, shared.items(), key=lambda kv: (-kv[1], kv[0]))
        for other, _count in best:
            candidates.add((min(index, other), max(index, other)))
    return sorted(candidates)


@pytest.mark.parametrize("seed", range(4))
def test_candidate_pairs_match_the_plain_version(seed):
    vectors = random_vectors(seed)
    for index_terms, max_posting, per_item in ((5, 10, 3), (40, 2000, 50), (3, 4, 1)):
        expected = plain_candidate_pairs(vectors, index_terms, max_posting, per_item)
        for chunk in (1, 50, 10_000_000):  # rows one at a time, a few at a time, all at once
            got = candidate_pairs(vectors, index_terms, max_posting, per_item, chunk_entries=chunk)
            assert got == expected


def test_candidate_pairs_do_not_depend_on_the_order_of_terms():
    vectors = random_vectors(9)
    reversed_terms = [dict(reversed(list(v.items()))) for v in vectors]
    assert candidate_pairs(vectors, 5, 10, 3) == candidate_pairs(reversed_terms, 5, 10, 3)


def test_pair_dots_match_the_plain_dot_products_however_many_heads_at_a_time():
    vectors = random_vectors(4, count=40)
    rng = random.Random(4)
    pairs = [(i, j) for i in range(40) for j in range(i + 1, 40) if rng.random() < 0.5]
    expected = [sum(w * vectors[j].get(t, 0.0) for t, w in vectors[i].items()) for i, j in pairs]
    sparse = SparseVectors(vectors)
    for heads in (1, 3, 1000):
        got = pair_dots(sparse, pairs, heads=heads)
        assert len(got) == len(pairs)
        assert all(abs(a - b) < 1e-12 for a, b in zip(got, expected, strict=True))
    mixed = list(range(len(pairs)))
    rng.shuffle(mixed)  # pairs in any order, each dot in its place
    assert pair_dots(sparse, [pairs[k] for k in mixed]) == [got[k] for k in mixed]
    assert pair_dots(vectors, []) == []


def test_nothing_to_pair():
    assert candidate_pairs([], 5, 10, 3) == []
    assert candidate_pairs([{"a": 1.0}], 5, 10, 3) == []
    assert candidate_pairs([{}, {}], 5, 10, 3) == []


def test_vectors_built_one_at_a_time_in_any_order_are_the_ones_made_at_once():
    vectors = [{"volcano": 0.5, "ash": 0.25}, {}, {"ash": 1.0, "harbour": 0.125, "zinc": 0.5}]
    built = SparseBuilder(len(vectors))
    for row in (2, 0, 1):
        built.add(row, vectors[row])
    made, whole = built.build(), SparseVectors(vectors)
    assert made.vocabulary == whole.vocabulary == ["ash", "harbour", "volcano", "zinc"]
    for name in ("sizes", "starts", "terms", "weights", "row_of"):
        assert getattr(made, name).tolist() == getattr(whole, name).tolist(), name
    assert [made.row(i) for i in range(3)] == [dict(sorted(v.items())) for v in vectors]
