"""A run groups only what is new or changed, against what is near it; the rest stays."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from tasks.articles import save_extractions
from tasks.run_context import RunContext, new_run_id
from tasks.steps.group import group_articles, mark_all_for_regrouping
from tasks.store import (
    article_sketches,
    grouping_working_set,
    pending_grouping,
    save_reextractions,
    story_vectors_of,
    storyline_neighbours,
    term_counts,
)
from tasks.story_vectors import strongest_terms, terms_and_probe
from wirehouse.db import open_archive
from wirehouse.records import Extraction, Rejection
from wirehouse.settings import DedupeSettings, Settings


def text_about(topic: str, seed: int, sentences: int = 14) -> str:
    """A text in a vocabulary of its own topic (words made from the topic's name), so texts
    on two topics share no word and texts on one topic are alike but not copies."""
    rng = random.Random(seed)
    vocabulary = [topic + suffix for suffix in ("ia", "ic", "er", "ed", "ing", "ous", "ist", "al")]
    vocabulary += [topic[:4] + letter * 2 for letter in "bdfgkmpstvz"]
    out = []
    for _ in range(sentences):
        out.append(" ".join(rng.choice(vocabulary) for _ in range(12)).capitalize() + ".")
    return " ".join(out)


def extraction(key: str, text: str, day: datetime, title: str | None = None) -> Extraction:
    return Extraction(
        record_id=f"r-{key}", url=f"https://{key}.example/story", canonical_url=None,
        title=title, author=None, page_date=day, sitename=None, language="en", text=text,
        boilerplate_ratio=0.2,
    )  # fmt: skip


def store(ctx: RunContext, *items: Extraction) -> None:
    with open_archive(ctx.db_path) as conn:
        save_extractions(conn, [(item, datetime.now(UTC)) for item in items])


def rows(ctx: RunContext, sql: str) -> list[tuple]:
    with duckdb.connect(ctx.db_path, read_only=True) as conn:
        return conn.execute(sql).fetchall()


def grouped_tables(ctx: RunContext, items: list[Extraction], tables: tuple[str, ...]) -> list:
    """Store the items, group them, and read the tables back (each sorted)."""
    store(ctx, *items)
    group_articles(ctx)
    return [sorted(rows(ctx, sql)) for sql in tables]


def new_context(tmp_path: Path) -> RunContext:
    return RunContext(
        db_path=str(tmp_path / "news.duckdb"),
        archive_dir=str(tmp_path / "archive"),
        run_id=new_run_id(),
    )


DAY = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)


def test_a_run_with_nothing_new_groups_nothing(tmp_path):
    ctx = new_context(tmp_path)
    store(ctx, extraction("a", text_about("glacier", 1), DAY))
    first = group_articles(ctx)
    assert (first.articles, first.stories, first.new_stories) == (1, 1, 1)
    before = rows(ctx, "select story_id, updated_at from stories")
    again = group_articles(ctx)
    assert (again.articles, again.stories, again.new_stories) == (1, 1, 0)
    assert rows(ctx, "select story_id, updated_at from stories") == before


def test_only_articles_near_the_new_ones_are_regrouped(tmp_path):
    ctx = new_context(tmp_path)
    old = [
        extraction(f"old{i}", text_about("volcano", i), DAY + timedelta(hours=i)) for i in range(3)
    ]
    store(ctx, *old)
    group_articles(ctx)
    old_rows = rows(ctx, "select story_id, storyline_id, updated_at from stories")
    # A year later: a report on another subject, and a copy of an old text (an aggregator
    # republishing it), which is found through the stored fingerprints however old it is.
    later = DAY + timedelta(days=365)
    store(
        ctx,
        extraction("new", text_about("orchestra", 99), later),
        extraction("copy", old[0].text + " Read more on our site.", later),
    )
    with open_archive(ctx.db_path) as conn:
        assert len(pending_grouping(conn)) == 2
    group_articles(ctx)
    story = dict(rows(ctx, "select url, story_id from articles"))
    group = dict(rows(ctx, "select url, copy_group_id from articles"))
    # a year from the new articles, so outside the horizon: found by its fingerprints
    assert group["https://copy.example/story"] == group["https://old0.example/story"]
    assert story["https://copy.example/story"] == story["https://old0.example/story"]
    assert story["https://new.example/story"] not in {story[e.url] for e in old}
    # The old stories keep their ids; the copy's date is a republish date.
    assert {s for s, _, _ in old_rows} <= set(story.values())
    assert rows(
        ctx,
        "select republished_at is not null from articles where url = 'https://copy.example/story'",
    ) == [(True,)]


def test_the_working_set_is_the_new_articles_and_the_near_stories_alike_to_them(tmp_path):
    ctx = new_context(tmp_path)
    store(
        ctx,
        extraction("jan", text_about("wildfire", 1), datetime(2024, 1, 10, tzinfo=UTC)),
        extraction("jun", text_about("wildfire", 2), datetime(2024, 6, 10, tzinfo=UTC)),
        extraction("fest", text_about("festival", 3), datetime(2024, 6, 12, tzinfo=UTC)),
    )
    group_articles(ctx)
    store(ctx, extraction("jun2", text_about("wildfire", 4), datetime(2024, 6, 20, tzinfo=UTC)))
    with open_archive(ctx.db_path) as conn:
        pending = article_sketches(conn, pending_grouping(conn))
        counts = term_counts(conn)
        probes = {a.article_id: terms_and_probe(a, counts, DedupeSettings())[1] for a in pending}
        urls = dict(conn.execute("select article_id, url from articles").fetchall())
        found = {urls[a] for a in grouping_working_set(conn, probes, [], DedupeSettings())}
    # jan is alike but months away; fest is near but about something else
    assert found == {"https://jun.example/story", "https://jun2.example/story"}


def test_a_changed_text_is_regrouped_and_keeps_nothing_it_no_longer_shares(tmp_path):
    ctx = new_context(tmp_path)
    shared = text_about("satellite", 5)
    store(ctx, extraction("a", shared, DAY), extraction("b", shared + " Extra line.", DAY))
    group_articles(ctx)
    group = dict(rows(ctx, "select url, copy_group_id from articles"))
    assert group["https://a.example/story"] == group["https://b.example/story"]
    # b is extracted again and its text is now another story altogether
    store(ctx, extraction("b", text_about("orchestra", 77, sentences=20), DAY))
    with open_archive(ctx.db_path) as conn:
        assert len(pending_grouping(conn)) == 1
    group_articles(ctx)
    group = dict(rows(ctx, "select url, copy_group_id from articles"))
    assert group["https://a.example/story"] != group["https://b.example/story"]
    assert rows(ctx, "select count(*) from article_links where kind = 'near_copy'") == [(0,)]


def test_an_article_that_becomes_a_rejection_leaves_its_story_grouped_again(tmp_path):
    ctx = new_context(tmp_path)
    shared = text_about("satellite", 5)
    store(
        ctx,
        extraction("a", shared, DAY),
        extraction("b", shared + " Extra line.", DAY),
        extraction("c", text_about("orchestra", 77), DAY),
    )
    group_articles(ctx)
    assert rows(ctx, "select count(*), sum(article_count) from stories") == [(2, 3)]
    # re-extraction finds b and c are not articles after all
    gone = [Rejection(f"r-{k}", f"https://{k}.example/story", "too_short", "-") for k in "bc"]
    a = article_id_of(ctx, "a")
    with open_archive(ctx.db_path) as conn:
        save_reextractions(conn, [], gone)
        assert pending_grouping(conn) == [a]  # its story lost one
        # c's story line went with its story, though no grouping follows to tidy it
        (orphans,) = conn.execute(
            "select count(*) from storylines where storyline_id not in "
            "(select storyline_id from stories where storyline_id is not null)"
        ).fetchone()
        assert orphans == 0
    group_articles(ctx)
    # c's story went with it; a's story holds a alone; nothing points at b or c
    assert rows(ctx, "select count(*), sum(article_count) from stories") == [(1, 1)]
    (lead,) = rows(ctx, "select lead_article_id from stories")
    assert lead == (a,)
    assert rows(ctx, "select count(distinct story_id) from story_vectors") == [(1,)]
    for table, column in [("article_links", "a"), ("article_links", "b"),
                          ("copy_fingerprints", "article_id"), ("site_lines", "article_id")]:  # fmt: skip
        assert rows(
            ctx, f"select count(*) from {table} where {column} not in "
            "(select article_id from articles)",
        ) == [(0,)], table  # fmt: skip


def article_id_of(ctx: RunContext, key: str) -> str:
    (found,) = rows(
        ctx, f"select article_id from articles where url = 'https://{key}.example/story'"
    )
    return str(found[0])


def test_an_archive_from_before_fingerprints_is_grouped_once_whole(tmp_path):
    ctx = new_context(tmp_path)
    store(ctx, *(extraction(f"s{i}", text_about("runway", i), DAY) for i in range(3)))
    group_articles(ctx)
    stories = rows(ctx, "select url, story_id from articles order by url")
    with open_archive(ctx.db_path) as conn:  # as migration 008 leaves an older archive
        conn.execute("update articles set grouped_sha256 = null")
        conn.execute("delete from copy_fingerprints")
    report = group_articles(ctx)
    assert report.new_stories == 0
    assert rows(ctx, "select url, story_id from articles order by url") == stories
    assert rows(ctx, "select count(distinct article_id) from copy_fingerprints") == [(3,)]


def test_a_story_line_reaches_back_past_the_regrouping_horizon(tmp_path):
    ctx = new_context(tmp_path)
    store(ctx, *(extraction(f"first{i}", text_about("glacier", i), DAY) for i in range(2)))
    group_articles(ctx)
    # Two months later (the regrouping horizon is 30 days), the same subject again.
    later = DAY + timedelta(days=60)
    store(ctx, *(extraction(f"again{i}", text_about("glacier", 10 + i), later) for i in range(2)))
    report = group_articles(ctx)
    assert report.regrouped == 2  # the old story was not regrouped, only read as a vector
    stories = dict(rows(ctx, "select url, story_id from articles"))
    assert stories["https://first0.example/story"] != stories["https://again0.example/story"]
    lines = dict(
        rows(ctx, "select a.url, s.storyline_id from articles a join stories s using (story_id)")
    )
    assert len(set(lines.values())) == 1  # one line, two stories
    assert rows(ctx, "select story_count, article_count from storylines") == [(2, 4)]


def test_a_run_reads_the_texts_of_near_stories_only_not_their_whole_story_lines(tmp_path):
    ctx = new_context(tmp_path)
    months = [DAY + timedelta(days=60 * month) for month in range(3)]
    for month, day in enumerate(months):  # one subject, a story every two months
        store(ctx, *(extraction(f"m{month}x{i}", text_about("glacier", 10 * month + i), day)
                     for i in range(2)))  # fmt: skip
        group_articles(ctx)
    assert rows(ctx, "select story_count, article_count from storylines") == [(3, 6)]
    line = rows(ctx, "select storyline_id from storylines")
    # A follow-up of the latest story: that story is regrouped, the line is drawn again
    # from the stored vectors of the two older stories, whose texts are not read.
    store(ctx, extraction("follow", text_about("glacier", 99), months[2] + timedelta(days=1)))
    report = group_articles(ctx)
    assert report.regrouped == 3
    assert rows(ctx, "select storyline_id from storylines") == line
    assert rows(ctx, "select story_count, article_count from storylines") == [(3, 7)]


def test_story_line_neighbours_are_the_alike_stories_of_the_year_not_all(tmp_path):
    ctx = new_context(tmp_path)
    store(
        ctx,
        *(extraction(f"g{i}", text_about("glacier", i), DAY) for i in range(2)),
        *(extraction(f"o{i}", text_about("orchestra", 5 + i), DAY) for i in range(2)),
    )
    group_articles(ctx)
    story = dict(rows(ctx, "select url, story_id from articles"))
    glacier, orchestra = story["https://g0.example/story"], story["https://o0.example/story"]
    with open_archive(ctx.db_path) as conn:
        vector = story_vectors_of(conn, [glacier])[glacier]
        probe = {"st_new": strongest_terms(vector, DedupeSettings().story_candidate_terms)}
        later = DAY + timedelta(days=200)
        found = storyline_neighbours(conn, probe, {"st_new": later}, [], DedupeSettings())
        assert [n.story_id for n in found] == [glacier]  # alike, 200 days back; not orchestra
        far = DAY + timedelta(days=500)  # beyond the year: nothing
        assert storyline_neighbours(conn, probe, {"st_new": far}, [], DedupeSettings()) == []
        # the stories a regrouped story's articles were in are always neighbours
        found = storyline_neighbours(conn, probe, {"st_new": far}, [orchestra], DedupeSettings())
        assert [n.story_id for n in found] == [orchestra]


def test_document_frequencies_count_each_grouped_text_once(tmp_path):
    ctx = new_context(tmp_path)
    store(ctx, extraction("a", text_about("runway", 1), DAY))
    group_articles(ctx)
    group_articles(ctx)  # nothing new: nothing counted
    store(ctx, extraction("b", text_about("runway", 2), DAY))
    group_articles(ctx)
    assert rows(ctx, "select texts from term_counts where term = ''") == [(2,)]
    assert rows(ctx, "select texts from term_counts where term = 'runwayia'") == [(2,)]


def test_document_frequencies_are_counted_afresh_when_edits_have_counted_texts_again(tmp_path):
    ctx = new_context(tmp_path)
    store(ctx, *(extraction(f"s{i}", text_about("runway", i), DAY) for i in range(4)))
    group_articles(ctx)
    counted = (
        "select term, texts from term_counts"
        " where term in ('', 'runwayia', 'orchestraia', 'violinia') order by 1"
    )
    # one page edited again and again (a live blog): each text is counted as it comes
    store(ctx, extraction("s0", text_about("orchestra", 9), DAY))
    group_articles(ctx)  # 5 texts counted for 4 articles: within a quarter of them
    assert rows(ctx, counted) == [("", 5), ("orchestraia", 1), ("runwayia", 4)]
    store(ctx, extraction("s0", text_about("violin", 9), DAY))
    group_articles(ctx)  # 6 would not be: the texts held now are counted instead
    assert rows(ctx, counted) == [("", 4), ("runwayia", 3), ("violinia", 1)]
    # counts lost (a crash, a hand-made archive): 4 articles, 1 text counted with the new one
    with open_archive(ctx.db_path) as conn:
        conn.execute("update term_counts set texts = 0 where term = ''")
    store(ctx, extraction("s4", text_about("runway", 4), DAY))
    group_articles(ctx)
    assert rows(ctx, counted) == [("", 5), ("runwayia", 4), ("violinia", 1)]


def test_regrouping_everything_from_scratch_keeps_ids_and_recounts(tmp_path):
    ctx = new_context(tmp_path)
    store(ctx, *(extraction(f"s{i}", text_about("runway", i), DAY) for i in range(3)))
    store(ctx, extraction("other", text_about("orchestra", 9), DAY))
    group_articles(ctx)
    stories = rows(ctx, "select url, story_id from articles order by url")
    assert mark_all_for_regrouping(ctx) == 4
    report = group_articles(ctx)
    assert (report.regrouped, report.new_stories) == (4, 0)
    assert rows(ctx, "select url, story_id from articles order by url") == stories
    assert rows(ctx, "select texts from term_counts where term = ''") == [(4,)]


def test_an_archive_whose_fingerprints_were_cleared_gets_them_back_and_finds_copies(tmp_path):
    ctx = new_context(tmp_path)
    topics = ("harbour", "meadow", "canyon")
    old = [extraction(f"old{i}", text_about(topic, i), DAY) for i, topic in enumerate(topics)]
    store(ctx, *old)
    group_articles(ctx)
    with open_archive(ctx.db_path) as conn:  # as migration 010 leaves an older archive
        conn.execute("delete from copy_fingerprints")
    # An edited copy of an old text a year later, outside the regrouping horizon: only the
    # old article's fingerprints, computed again by this run, can find it.
    words = old[1].text.split()
    words[10] = words[40] = "altered"
    later = DAY + timedelta(days=365)
    store(ctx, extraction("copy", " ".join(words[5:]) + " Read it first here.", later))
    report = group_articles(ctx)
    assert report.regrouped == 2  # the copy and its origin; the other two were only sketched
    assert rows(ctx, "select count(distinct article_id) from copy_fingerprints") == [(4,)]
    group = dict(rows(ctx, "select url, copy_group_id from articles"))
    assert group["https://copy.example/story"] == group["https://old1.example/story"]
    assert rows(ctx, "select kind from article_links where kind = 'near_copy'") == [("near_copy",)]


def test_the_step_opens_the_archive_once_and_lets_it_go_only_before_long_work(
    tmp_path, monkeypatch
):
    import tasks.steps.group as group_step

    opened: list[bool] = []
    real_open = RunContext.open

    def counting_open(self, **kwargs):
        opened.append(bool(kwargs.get("migrated")))
        return real_open(self, **kwargs)

    monkeypatch.setattr(RunContext, "open", counting_open)
    items = [extraction(f"a{i}", text_about("harbor", i), DAY) for i in range(4)]
    items += [extraction(f"b{i}", text_about("comet", 100 + i), DAY) for i in range(4)]
    stories = []
    for folder, hold in (("held", group_step.HOLD_ACROSS_WORK), ("let-go", 0)):
        monkeypatch.setattr(group_step, "HOLD_ACROSS_WORK", hold)
        ctx = new_context(tmp_path / folder)
        store(ctx, *items)
        opened.clear()
        group_articles(ctx)
        if hold:
            assert opened == [False]  # one open for the whole step, migration checked once
        else:
            assert len(opened) > 1 and opened[0] is False and all(opened[1:])
        members: dict[str, set[str]] = {}
        for url, story in rows(ctx, "select url, story_id from articles"):
            members.setdefault(story, set()).add(url)
        stories.append(sorted(sorted(m) for m in members.values()))
    assert stories[0] == stories[1]  # letting the file go changes nothing grouped
    assert len(stories[0]) == 2


def test_a_run_that_reads_its_texts_in_the_worker_pool_groups_as_one_that_reads_them_here(
    tmp_path, monkeypatch
):
    items = [
        extraction(f"{topic}{n}", text_about(topic, n), DAY + timedelta(hours=n), f"{topic} news")
        for topic in ("volcano", "harbour", "election")
        for n in range(5)
    ]
    items.append(extraction("copy", items[0].text, DAY + timedelta(hours=9)))  # a copy
    tables = (
        "select article_id, copy_group_id, story_id, is_group_origin from articles",
        "select * from copy_fingerprints",
        "select * from term_counts",
        "select * from story_vectors",
        "select * from article_links",
    )
    grouped = []
    import tasks.steps.group as group_step

    for pool_from in (10_000, 1):  # here, then in the pool (2 workers, 3 texts a job)
        monkeypatch.setattr(group_step, "POOL_FROM", pool_from)
        monkeypatch.setattr(group_step, "POOL_SLICE", 3)
        monkeypatch.setattr(group_step.os, "cpu_count", lambda: 2)
        grouped.append(grouped_tables(new_context(tmp_path / f"from-{pool_from}"), items, tables))
    assert grouped[0] == grouped[1]
    assert any(kind == "same_text" for _a, _b, kind, _s in grouped[0][4])


def test_copies_of_stored_texts_at_new_addresses_are_grouped_within_the_memory_cap(tmp_path):
    # A site moved (or its pages re-crawled under new addresses): every new article copies
    # a stored text, so each shares all its fingerprints with a stored one; finding them
    # once asked for a heap per fingerprint and ran out of the step's DuckDB memory.
    ctx = replace(
        new_context(tmp_path), settings=Settings(dedupe=DedupeSettings(group_db_memory_mb=128))
    )
    topics = [f"{a}{b}{c}" for a in "kptbd" for b in "aeiou" for c in ("rn", "lm", "st", "sk")]
    old = [
        extraction(f"old{i}", text_about(topic, i, sentences=30), DAY + timedelta(minutes=i))
        for i, topic in enumerate(topics)
    ]
    store(ctx, *old)
    group_articles(ctx)
    moved = [
        extraction(f"moved{i}", item.text, DAY + timedelta(days=2, minutes=i))
        for i, item in enumerate(old)
    ]
    store(ctx, *moved)
    report = group_articles(ctx)
    assert report.articles == 2 * len(old)
    group = dict(rows(ctx, "select url, copy_group_id from articles"))
    for i in range(len(old)):
        assert group[f"https://moved{i}.example/story"] == group[f"https://old{i}.example/story"]


def test_a_working_set_read_whole_groups_as_one_read_a_window_at_a_time(tmp_path, monkeypatch):
    import tasks.steps.group as group_step

    items = [
        extraction(f"{topic}{n}", text_about(topic, n), DAY + timedelta(hours=n), f"{topic} news")
        for topic in ("volcano", "harbour", "election")
        for n in range(5)
    ]
    items.append(extraction("copy", items[0].text + " Read more.", DAY + timedelta(hours=9)))
    tables = (
        "select article_id, copy_group_id, story_id, is_group_origin from articles",
        "select * from story_vectors",
        "select * from article_links",
    )
    grouped = []
    # read whole then the file let go, or read through the held file as a big set is
    for whole_up_to in (group_step.WHOLE_TEXTS_UP_TO, 0):
        monkeypatch.setattr(group_step, "WHOLE_TEXTS_UP_TO", whole_up_to)
        ctx = new_context(tmp_path / f"whole-up-to-{whole_up_to}")
        grouped.append(grouped_tables(ctx, items, tables))
    assert grouped[0] == grouped[1]
    assert any(kind == "near_copy" for _a, _b, kind, _s in grouped[0][2])


def test_an_edited_headline_or_corrected_date_reaches_the_story(tmp_path):
    # The text unchanged, the article was not grouped again: its story kept the old
    # headline, and published_at the old date beside the corrected page_date.
    ctx = new_context(tmp_path)
    text = text_about("harbour", 3)
    store(ctx, extraction("a", text, DAY, title="Harbour road to close"))
    group_articles(ctx)
    corrected = DAY - timedelta(days=2)
    edited = replace(
        extraction("a", text, corrected, title="Harbour road closes tonight"), record_id="r-a2"
    )
    store(ctx, edited)
    group_articles(ctx)
    assert rows(ctx, "select title, first_published_at from stories") == [
        ("Harbour road closes tonight", corrected)
    ]
    assert rows(ctx, "select published_at from articles") == [(corrected,)]


def test_a_page_edited_to_carry_another_story_joins_it_under_that_story_s_id(tmp_path):
    ctx = new_context(tmp_path)
    runway = text_about("runway", 1)
    store(ctx, extraction("b", text_about("orchestra", 2), DAY))  # b's story is the older
    group_articles(ctx)
    store(ctx, extraction("a", runway, DAY + timedelta(hours=1)))
    group_articles(ctx)
    before = dict(rows(ctx, "select url, story_id from articles"))
    # b's page now carries a's text: one story, a's; b's old story is merged into it
    store(ctx, extraction("b", runway + " Updated.", DAY))
    group_articles(ctx)
    after = dict(rows(ctx, "select url, story_id from articles"))
    assert set(after.values()) == {before["https://a.example/story"]}
    assert rows(ctx, "select merged_story_id, into_story_id from story_merges") == [
        (before["https://b.example/story"], before["https://a.example/story"])
    ]


def test_an_article_that_leaves_its_story_records_no_merge(tmp_path):
    ctx = new_context(tmp_path)
    shared = text_about("satellite", 5)
    store(ctx, extraction("a", shared, DAY), extraction("b", shared + " Extra line.", DAY))
    group_articles(ctx)
    story = rows(ctx, "select distinct story_id from articles")
    store(ctx, extraction("a", text_about("orchestra", 77), DAY))  # a rewritten: another story
    group_articles(ctx)
    assert rows(ctx, "select story_id from articles where url like '%b.example%'") == story
    assert rows(ctx, "select count(*) from story_merges") == [(0,)]
