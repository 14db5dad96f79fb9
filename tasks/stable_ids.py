"""Stable ids for clusters (stories, copy groups, story lines): a cluster keeps the oldest
id any of its members had (an id that only changed members had comes after the others),
the others recorded as merges; a new cluster gets an id derived from its smallest member,
so the same input gives the same ids every run."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from tasks.origins import CopyGroup


def stable_ids(
    clusters: Sequence[Sequence[str]],
    previous: Mapping[str, str],
    id_age: Mapping[str, tuple[object, ...]],
    prefix: str,
    changed: frozenset[str] = frozenset(),
) -> list[str]:
    """One id per cluster: the oldest previous id among its members that no bigger cluster
    took, else a new id derived from the cluster's smallest member.

    The ``changed`` members (their text is new since) rank their previous ids after the
    others': a page edited to carry another story's text joins that story under its id;
    it does not bring its own old story's id along."""
    order = sorted(range(len(clusters)), key=lambda i: (-len(clusters[i]), min(clusters[i])))
    taken: set[str] = set()
    ids = [""] * len(clusters)

    def oldest(claims: set[str]) -> str | None:
        free = claims - taken
        return min(free, key=lambda i: (id_age.get(i, ()), i)) if free else None

    # The ids unchanged members held first, for every cluster; then the changed members'.
    for index in order:
        chosen = oldest(
            {previous[m] for m in clusters[index] if m in previous and m not in changed}
        )
        if chosen is not None:
            taken.add(chosen)
            ids[index] = chosen
    for index in order:
        if ids[index]:
            continue
        members = clusters[index]
        chosen = oldest({previous[m] for m in members if m in previous})
        if chosen is None:
            seed = min(members)
            chosen = f"{prefix}{hashlib.sha256(seed.encode()).hexdigest()[:16]}"
            salt = 0
            while chosen in taken or chosen in id_age:
                salt += 1
                chosen = f"{prefix}{hashlib.sha256(f'{seed}#{salt}'.encode()).hexdigest()[:16]}"
        taken.add(chosen)
        ids[index] = chosen
    return ids


def merges_of(
    story_ids: Sequence[str],
    clusters: Sequence[Sequence[int]],
    groups: Sequence[CopyGroup],
    previous: Mapping[str, str],
) -> list[tuple[str, str]]:
    """(merged id, kept id) for every older story that a story now contains, and that no
    story keeps: an article that moved to another story merges nothing."""
    out: list[tuple[str, str]] = []
    live = set(story_ids)
    for story_id, cluster in zip(story_ids, clusters, strict=True):
        earlier = {previous[m] for i in cluster for m in groups[i].members if m in previous}
        out.extend((merged, story_id) for merged in sorted(earlier - live))
    return out
