"""Stable ids: the oldest kept, new ones derived from the cluster, never two alike."""

from __future__ import annotations

from tasks.stable_ids import stable_ids


def test_stable_ids_keep_the_oldest_and_are_derived_for_new_clusters():
    previous = {"a": "st_old", "b": "st_new"}
    age = {"st_old": (1,), "st_new": (2,)}
    assert stable_ids([["a", "b", "c"]], previous, age, "st_") == ["st_old"]
    fresh = stable_ids([["x", "y"]], {}, {}, "st_")
    assert fresh == stable_ids([["y", "x"]], {}, {}, "st_") and fresh[0].startswith("st_")
    # a split: the bigger part keeps the id, the other gets a new one
    split = stable_ids(
        [["a"], ["b", "c"]], {"a": "st_old", "b": "st_old", "c": "st_old"}, age, "st_"
    )
    assert split[1] == "st_old" and split[0] != "st_old"
