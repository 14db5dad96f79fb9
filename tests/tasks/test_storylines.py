from datetime import UTC, datetime

from tasks.storylines import storylines
from wirehouse.records import StoryForLine, StoryVector
from wirehouse.settings import DedupeSettings

SETTINGS = DedupeSettings()


def story(story_id: str, terms: dict[str, float], texts: int = 1, day: int = 1) -> StoryForLine:
    return StoryForLine(
        story_id=story_id,
        title=f"title of {story_id}",
        first_published_at=datetime(2024, 3, day, tzinfo=UTC),
        article_count=texts,
        vector=StoryVector(story_id, texts, terms),
    )


MISSILE = {"missile": 0.7, "pyongyang": 0.5, "launch": 0.4}
MISSILE_AGAIN = {"missile": 0.6, "pyongyang": 0.6, "japan": 0.3}
MARATHON = {"marathon": 0.8, "runner": 0.5}


def test_alike_stories_share_a_line_and_others_stay_apart():
    result = storylines(
        [story("a", MISSILE), story("b", MISSILE_AGAIN, day=20), story("c", MARATHON)], SETTINGS
    )
    line = result.line_of_story
    assert line["a"] == line["b"] != line["c"]
    (joined,) = [r for r in result.storylines if r.story_count == 2]
    assert joined.first_published_at < joined.last_published_at
    assert joined.lead_story_id == "a"  # same size: the earlier story names the line


def test_a_line_keeps_its_oldest_id():
    old, young = "sl_old", "sl_young"
    result = storylines(
        [story("a", MISSILE), story("b", MISSILE_AGAIN)],
        SETTINGS,
        previous={"a": young, "b": old},
        age={old: (datetime(2020, 1, 1, tzinfo=UTC),), young: (datetime(2024, 1, 1, tzinfo=UTC),)},
    )
    assert set(result.line_of_story.values()) == {old}


def test_the_order_of_the_stories_does_not_matter():
    stories = [story(f"s{i}", MISSILE if i % 2 else MARATHON, day=1 + i) for i in range(8)]
    first = storylines(stories, SETTINGS)
    again = storylines(list(reversed(stories)), SETTINGS)
    assert first == again
    assert len(first.storylines) == 2


def test_a_story_with_no_vector_is_a_line_of_its_own():
    result = storylines([story("a", MISSILE), story("empty", {})], SETTINGS)
    assert result.line_of_story["a"] != result.line_of_story["empty"]
