import random

import pytest

from tasks.linkage import average_linkage


def test_one_bridging_pair_does_not_chain_two_clusters():
    # Two tight triangles and one alike pair between them: single link would join all six.
    pairs = [(0, 1, 0.9), (1, 2, 0.9), (0, 2, 0.9), (3, 4, 0.9), (4, 5, 0.9), (3, 5, 0.9)]
    pairs.append((2, 3, 0.5))
    assert average_linkage(6, pairs, 0.3) == [[0, 1, 2], [3, 4, 5]]


def test_clusters_join_when_their_members_agree_on_average():
    pairs = [(0, 1, 0.9), (2, 3, 0.9), (0, 2, 0.5), (0, 3, 0.5), (1, 2, 0.5), (1, 3, 0.5)]
    assert average_linkage(4, pairs, 0.45) == [[0, 1, 2, 3]]
    assert average_linkage(4, pairs, 0.55) == [[0, 1], [2, 3]]


def test_pairs_never_proposed_count_as_zero():
    # 2 is alike to 0 only; 0.6 / 2 members = 0.3 on average to the cluster {0, 1}.
    pairs = [(0, 1, 0.9), (0, 2, 0.6)]
    assert average_linkage(3, pairs, 0.35) == [[0, 1], [2]]
    assert average_linkage(3, pairs, 0.25) == [[0, 1, 2]]


def test_items_without_pairs_stay_alone_and_nothing_joins_below_the_threshold():
    assert average_linkage(3, [], 0.1) == [[0], [1], [2]]
    assert average_linkage(2, [(0, 1, 0.09)], 0.1) == [[0], [1]]
    assert average_linkage(0, [], 0.1) == []


def test_start_clusters_are_kept_whole_and_grouped_further():
    pairs = [(0, 2, 0.8), (1, 3, 0.8), (0, 1, 0.05)]
    # Started as {0, 1} (say, one story), it takes 2 (0.8 / 2), then 3 (0.8 / 3).
    assert average_linkage(4, pairs, 0.25, start=[[0, 1]]) == [[0, 1, 2, 3]]
    # Alone, 0 and 1 are not alike enough to join (0.05).
    assert average_linkage(4, pairs, 0.25) == [[0, 2], [1, 3]]
    # A start cluster is never split, even with nothing alike inside it.
    assert average_linkage(4, [], 0.3, start=[[3, 0]]) == [[0, 3], [1], [2]]


@pytest.mark.parametrize("seed", range(5))
def test_the_result_does_not_depend_on_the_order_of_the_pairs(seed):
    rng = random.Random(seed)
    pairs = [
        (i, j, round(rng.random(), 2))
        for i in range(30)
        for j in range(i + 1, 30)
        if rng.random() < 0.2
    ]
    expected = average_linkage(30, pairs, 0.4)
    shuffled = pairs[:]
    rng.shuffle(shuffled)
    flipped = [(j, i, s) for i, j, s in shuffled]
    assert average_linkage(30, shuffled, 0.4) == expected
    assert average_linkage(30, flipped, 0.4) == expected
    assert sorted(i for cluster in expected for i in cluster) == list(range(30))


def test_matches_a_brute_force_average_linkage():
    rng = random.Random(7)
    size = 25
    similarity = {
        (i, j): round(rng.random() ** 3, 3) for i in range(size) for j in range(i + 1, size)
    }

    def average(a: list[int], b: list[int]) -> float:
        total = sum(similarity[min(x, y), max(x, y)] for x in a for y in b)
        return total / (len(a) * len(b))

    clusters = [[i] for i in range(size)]
    while True:
        best = max(
            (
                (average(a, b), -min(a + b), ia, ib)
                for ia, a in enumerate(clusters)
                for ib, b in enumerate(clusters)
                if ia < ib
            ),
            default=None,
        )
        if best is None or best[0] < 0.2:
            break
        _, _, ia, ib = best
        clusters[ia] = sorted(clusters[ia] + clusters.pop(ib))
    expected = sorted(clusters)
    pairs = [(i, j, s) for (i, j), s in similarity.items()]
    assert average_linkage(size, pairs, 0.2) == expected


def test_a_weighted_item_counts_as_that_many_members():
    # Item 0 stands for 3 members all alike to 2 (0.5); item 1 is one member not alike to 2.
    pairs = [(0, 1, 0.9), (0, 2, 0.5)]
    # Unweighted {0, 1} vs 2: 0.5 / 2 = 0.25; weighted: 0.5 * 3 / 4 = 0.375.
    assert average_linkage(3, pairs, 0.3) == [[0, 1], [2]]
    assert average_linkage(3, pairs, 0.3, weights=[3, 1, 1]) == [[0, 1, 2]]
    # Weights of 1 are the plain average.
    assert average_linkage(3, pairs, 0.3, weights=[1, 1, 1]) == [[0, 1], [2]]
