"""Stable ids: the oldest kept, new ones derived from the cluster, never two alike."""

from __future__ import annotations

from tasks.origins import CopyGroup
from tasks.stable_ids import merges_of, stable_ids


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


def test_an_id_only_changed_members_had_comes_after_the_others():
    # b was edited to carry a's story: the story keeps a's id, though b's is older
    previous = {"a": "st_a", "b": "st_b"}
    age = {"st_a": (2,), "st_b": (1,)}
    assert stable_ids([["a", "b"]], previous, age, "st_") == ["st_b"]
    assert stable_ids([["a", "b"]], previous, age, "st_", frozenset({"b"})) == ["st_a"]
    # an id only changed members had is still taken where no other is
    assert stable_ids([["b", "c"]], previous, age, "st_", frozenset({"b"})) == ["st_b"]


def test_an_article_that_moves_to_another_story_merges_nothing():
    groups = [CopyGroup(members=(m,), origin=m, first_date=None) for m in ("a", "b", "c")]
    previous = {"a": "st_x", "b": "st_x", "c": "st_y"}
    # b left st_x (still a's) for st_y: no merge; then a joins too: st_x merged into st_y
    assert merges_of(["st_x", "st_y"], [[0], [1, 2]], groups, previous) == []
    assert merges_of(["st_y"], [[0, 1, 2]], groups, previous) == [("st_x", "st_y")]
