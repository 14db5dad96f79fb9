"""Average-linkage clustering over a sparse similarity graph.

Single link joins two clusters on one alike pair, so one broad text (a round-up naming two
events) chains them together. Average link joins two clusters only when their members are
alike on average, counting a pair that was never a candidate as 0: a cluster grows by
agreeing with most of what it holds, not with one member.

Greedy agglomeration with a heap: the pair of clusters with the highest average similarity
is merged first, until none reaches the threshold. Cost is O(E log E) for E candidate pairs
(a merged cluster takes over the smaller neighbour table), and the result depends only on
the pairs given, never on the order of the items: ties are broken by the clusters' smallest
item.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence


def average_linkage(
    size: int,
    pairs: Iterable[tuple[int, int, float]],
    threshold: float,
    start: Sequence[Sequence[int]] | None = None,
    weights: Sequence[float] | None = None,
) -> list[list[int]]:
    """Clusters of the items ``0..size-1``, each a sorted list, ordered by smallest item.

    ``pairs`` holds (i, j, similarity) for the candidate pairs; every other pair counts as
    0. ``start`` optionally gives clusters to begin from (say, stories that are never
    split); items not in it start alone. ``weights`` count an item as that many members
    (a story standing for its texts, its similarity the average over them)."""
    weight = list(weights) if weights is not None else [1.0] * size
    owner = list(range(size))  # item -> the cluster (its smallest item) it belongs to
    members: dict[int, list[int]] = {i: [i] for i in range(size)}
    mass = {i: weight[i] for i in range(size)}  # a cluster's summed weight, by its head
    for cluster in start or ():
        items = sorted(cluster)
        if not items:
            continue
        head = items[0]
        members[head] = items
        mass[head] = sum(weight[i] for i in items)
        for item in items[1:]:
            owner[item] = head
            del members[item]
            del mass[item]

    # For every cluster, the summed similarity to each neighbouring cluster.
    sums: dict[int, dict[int, float]] = {head: {} for head in members}
    for i, j, similarity in pairs:
        a, b = owner[i], owner[j]
        if a == b or similarity <= 0:
            continue
        contribution = similarity * weight[i] * weight[j]
        sums[a][b] = sums[a].get(b, 0.0) + contribution
        sums[b][a] = sums[b].get(a, 0.0) + contribution

    def average(a: int, b: int) -> float:
        return sums[a][b] / (mass[a] * mass[b])

    # Heap of (-average, a, b) with a < b; entries go stale when a or b grows or is gone,
    # which the version numbers tell.
    version = dict.fromkeys(members, 0)
    heap: list[tuple[float, int, int, int, int]] = []
    for a, neighbours in sums.items():
        for b in neighbours:
            if a < b and (score := average(a, b)) >= threshold:
                heap.append((-score, a, b, 0, 0))
    heapq.heapify(heap)

    while heap:
        _negative, a, b, version_a, version_b = heapq.heappop(heap)
        if version.get(a) != version_a or version.get(b) != version_b:
            continue
        # Merge b into a (a is the smaller head, so a cluster is named by its smallest item).
        keep, gone = a, b
        if len(sums[keep]) < len(sums[gone]):  # move the smaller neighbour table
            sums[keep], sums[gone] = sums[gone], sums[keep]
            # The swapped tables name each other; fix that edge below.
        table = sums[keep]
        moved = sums.pop(gone)
        table.pop(gone, None)
        table.pop(keep, None)
        moved.pop(keep, None)
        moved.pop(gone, None)
        for other, total in moved.items():
            table[other] = table.get(other, 0.0) + total
        for other in table:
            neighbour = sums[other]
            total = neighbour.pop(gone, 0.0) + neighbour.pop(keep, 0.0)
            neighbour[keep] = total
        members[keep].extend(members.pop(gone))
        mass[keep] += mass.pop(gone)
        del version[gone]
        version[keep] += 1
        for other in table:
            score = average(keep, other)
            if score >= threshold:
                low, high = (keep, other) if keep < other else (other, keep)
                heapq.heappush(heap, (-score, low, high, version[low], version[high]))

    return [sorted(items) for _head, items in sorted(members.items())]


def merge_overlapping(size: int, clusters: Iterable[Sequence[int]]) -> list[list[int]]:
    """The given clusters of ``0..size-1`` with overlapping ones merged, each sorted, ordered
    by smallest item; items in no cluster are left out."""
    parent = list(range(size))

    def find(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    seen: set[int] = set()
    for cluster in clusters:
        items = list(cluster)
        seen.update(items)
        for item in items[1:]:
            a, b = find(items[0]), find(item)
            if a != b:
                parent[max(a, b)] = min(a, b)
    merged: dict[int, list[int]] = {}
    for item in sorted(seen):
        merged.setdefault(find(item), []).append(item)
    return [merged[head] for head in sorted(merged)]
