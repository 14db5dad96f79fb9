"""Stable ids for clusters (stories, copy groups, story lines): a cluster keeps the oldest
id any of its members had, the others recorded as merges; a new cluster gets an id
derived from its smallest member, so the same input gives the same ids every run."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from tasks.origins import CopyGroup


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


def merges_of(
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
