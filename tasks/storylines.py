"""Story lines: stories that follow one subject over weeks (a breach and its fallout, the
missile tests of a summer), however far apart in time.

A story line is an average-link cluster of stories over their texts' tf-idf cosines. The
average cosine between the texts of two stories is the dot product of the stories' mean
vectors (``StoryVector``), so a run draws story lines from stored story vectors, not from
texts: it can look months back at the cost of one short vector per story.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from tasks.linkage import average_linkage
from tasks.sparse import candidate_dots
from tasks.stable_ids import stable_ids
from wirehouse.records import StoryForLine, StorylineRecord, StorylineResult
from wirehouse.settings import DedupeSettings


def storylines(
    stories: Sequence[StoryForLine],
    settings: DedupeSettings,
    previous: Mapping[str, str] | None = None,
    age: Mapping[str, tuple[object, ...]] | None = None,
) -> StorylineResult:
    """Group stories into story lines. ``previous`` maps stories to the line they were in
    (a line keeps its oldest id, by ``age``); lines are drawn afresh every time, so a line
    drawn on early, partial evidence comes apart when later stories say otherwise."""
    ordered = sorted(stories, key=lambda s: s.story_id)
    vectors = [s.vector.terms for s in ordered]
    pairs = candidate_dots(
        vectors,
        settings.story_candidate_terms,
        settings.story_max_posting,
        settings.story_max_candidates,
    )
    clusters = average_linkage(
        len(ordered),
        pairs.triples(),
        settings.storyline_similarity,
        weights=[max(s.vector.texts, 1) for s in ordered],
    )
    members = [[ordered[i].story_id for i in cluster] for cluster in clusters]
    ids = stable_ids(members, previous or {}, age or {}, "sl_")
    line_of_story = {
        story: line for line, group in zip(ids, members, strict=True) for story in group
    }
    by_line: defaultdict[str, list[StoryForLine]] = defaultdict(list)
    for story in ordered:
        by_line[line_of_story[story.story_id]].append(story)
    records = [_record(line, by_line[line]) for line in sorted(by_line)]
    return StorylineResult(line_of_story, records)


def _lead_key(story: StoryForLine) -> tuple[object, ...]:
    date = story.first_published_at
    naive = date.replace(tzinfo=None) if date else datetime.max
    return (-story.article_count, date is None, naive, story.story_id)


def _record(line_id: str, stories: Sequence[StoryForLine]) -> StorylineRecord:
    """A line named after its biggest (then earliest) story."""
    lead = min(stories, key=_lead_key)
    dates = [s.first_published_at for s in stories if s.first_published_at is not None]
    return StorylineRecord(
        storyline_id=line_id,
        title=lead.title,
        first_published_at=min(dates) if dates else None,
        last_published_at=max(dates) if dates else None,
        story_count=len(stories),
        article_count=sum(s.article_count for s in stories),
        lead_story_id=lead.story_id,
    )
