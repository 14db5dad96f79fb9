"""A site's furniture: lines many of its pages carry at their edges are taken out of its
texts; a site's prose, a copy of a page and one page's own lines are not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tasks.articles import save_extractions
from tasks.run_context import RunContext
from tasks.site_furniture import (
    HEAD_LINES,
    TAIL_LINES,
    edge_lines,
    line_key,
    without_furniture,
)
from tasks.steps.furniture import take_out_site_furniture
from tasks.steps.group import group_articles
from tasks.store import pending_grouping
from wirehouse.db import open_archive
from wirehouse.records import Extraction

NEWSLETTER = "Sign up for our morning newsletter to get the day's news in your inbox."
COPYRIGHT = "Copyright 2024 Harbour Media Group. All rights reserved."
BACKGROUND = "The harbour plan was first put to the council in the spring of 2021 by its mayor."


def story(n: int, *, head: tuple[str, ...] = (), tail: tuple[str, ...] = ()) -> str:
    body = [
        f"Story {n} begins with a paragraph of its own, about event number {n} in the town.",
        f"Its second paragraph tells what happened next to the people of event {n}.",
        f"The last paragraph of story {n} says what comes after, and when it will be known.",
    ]
    return "\n".join([*head, *body, *tail])


def keys(*lines: str) -> set[int]:
    return {key for line in lines if (key := line_key(line)) is not None}


def test_edge_lines_are_the_long_lines_at_the_start_and_the_end_each_once():
    lines = [f"Line number {i} of a long text here." for i in range(60)]
    text = "\n".join(["Short", *lines, lines[-1]])
    found = [line.text for line in edge_lines(text)]
    # the last line, written twice, takes two of the tail's places and is recorded once
    assert found == lines[:HEAD_LINES] + lines[-(TAIL_LINES - 1) :]
    assert edge_lines("Share\nRelated\nOn X") == []


def test_runs_of_furniture_go_from_the_edges_and_a_heading_before_them_stays():
    text = story(1, head=(NEWSLETTER,), tail=("Read more", NEWSLETTER, "Share this:", COPYRIGHT))
    cleaned = without_furniture(text, keys(NEWSLETTER, COPYRIGHT))
    assert cleaned == story(1, tail=("Read more",))


def test_a_furniture_line_in_the_middle_of_a_text_stays():
    text = story(1).replace("\n", f"\n{BACKGROUND}\n", 1)
    assert without_furniture(text, keys(BACKGROUND)) is None


def test_a_text_that_is_mostly_furniture_is_left_whole():
    text = "\n".join([NEWSLETTER, COPYRIGHT, "A short piece of four words."])
    assert without_furniture(text, keys(NEWSLETTER, COPYRIGHT)) is None
    assert without_furniture(story(2), keys(NEWSLETTER)) is None


def test_a_chinese_sites_furniture_is_weighed_by_its_characters():
    # Chinese puts no spaces between words: counted by spaces, its lines were one word each,
    # too short to ever be weighed as furniture.
    notice = "本网站所有内容版权归新闻网所有，未经许可不得转载。"
    body = [
        f"第{n}段：市议会星期二晚上开会讨论港口改造计划，至今仍未作出任何决定。" for n in range(4)
    ]
    text = "\n".join([*body, notice])
    assert line_key(notice) is not None
    assert line_key("分享") is None  # "Share": too short to tell a site
    assert without_furniture(text, keys(notice)) == "\n".join(body)


def context(tmp_path: Path) -> RunContext:
    return RunContext(
        db_path=str(tmp_path / "news.duckdb"), archive_dir=str(tmp_path / "archive"), run_id="t"
    )


def page(site: str, n: int, text: str, title: str | None = None) -> Extraction:
    return Extraction(
        record_id=f"r-{site}-{n}", url=f"https://{site}/news/story-{n}", canonical_url=None,
        title=title or f"Story {n} of {site}", author=None, page_date=None, sitename=None,
        language="en", text=text, boilerplate_ratio=0.2,
    )  # fmt: skip


def store(ctx: RunContext, *pages: Extraction) -> None:
    with open_archive(ctx.db_path) as conn:
        save_extractions(conn, [(p, datetime.now(UTC)) for p in pages])


def texts(ctx: RunContext) -> dict[str, str]:
    with duckdb.connect(ctx.db_path, read_only=True) as conn:
        return dict(conn.execute("select url, text from articles").fetchall())


def test_a_site_s_furniture_is_taken_out_of_its_new_and_earlier_texts(tmp_path):
    ctx = context(tmp_path)
    footer = (NEWSLETTER, COPYRIGHT)
    store(ctx, page("harbour.example", 1, story(1, tail=footer)))
    store(ctx, page("harbour.example", 2, story(2, tail=footer)))
    with open_archive(ctx.db_path) as conn:  # two pages: nothing is known yet
        assert take_out_site_furniture(conn).texts_cleaned == 0
    store(
        ctx,
        page("harbour.example", 3, story(3, tail=footer)),
        # another site with the same lines: its own pages are what count
        page("other.example", 1, story(1, tail=footer)),
    )
    with open_archive(ctx.db_path) as conn:
        report = take_out_site_furniture(conn)
        assert (report.lines_found, report.texts_cleaned) == (2, 3)
        found = conn.execute("select domain, line, pages from site_furniture order by 2").fetchall()
        assert found == [
            ("harbour.example", COPYRIGHT, 3),
            ("harbour.example", NEWSLETTER, 3),
        ]
        assert take_out_site_furniture(conn).weighed == 0  # nothing new: nothing to do
    stored = texts(ctx)
    for n in (1, 2, 3):
        assert stored[f"https://harbour.example/news/story-{n}"] == story(n)
    assert stored["https://other.example/news/story-1"] == story(1, tail=footer)
    # A fourth page is cleaned as it comes, from what is known.
    store(ctx, page("harbour.example", 4, story(4, head=(NEWSLETTER,), tail=footer)))
    with open_archive(ctx.db_path) as conn:
        assert take_out_site_furniture(conn).texts_cleaned == 1
        hashes = conn.execute(
            "select text_sha256 <> extracted_sha256, word_count from articles"
            " where url like '%harbour.example/news/story-4'"
        ).fetchone()
    assert texts(ctx)["https://harbour.example/news/story-4"] == story(4)
    assert hashes == (True, len(story(4).split()))


def test_copies_of_one_page_count_as_one_page(tmp_path):
    ctx = context(tmp_path)
    # One story at three addresses (its AMP and print versions): one title, one page.
    copy = story(1, tail=(COPYRIGHT,))
    store(ctx, *(page("harbour.example", n, copy, title="Harbour plan") for n in (1, 2, 3)))
    with open_archive(ctx.db_path) as conn:
        assert take_out_site_furniture(conn).lines_found == 0
    assert set(texts(ctx).values()) == {copy}


def test_a_line_retold_in_the_middle_of_several_stories_stays(tmp_path):
    ctx = context(tmp_path)
    # A developing story's background paragraph, retold inside each update.
    updates = {n: story(n).replace("\n", f"\n{BACKGROUND}\n", 1) for n in (1, 2, 3)}
    store(ctx, *(page("harbour.example", n, text) for n, text in updates.items()))
    with open_archive(ctx.db_path) as conn:
        report = take_out_site_furniture(conn)
    assert (report.lines_found, report.texts_cleaned) == (1, 0)
    assert set(texts(ctx).values()) == set(updates.values())


def test_the_group_step_takes_furniture_out_before_it_groups(tmp_path):
    ctx = context(tmp_path)
    store(
        ctx,
        *(page("harbour.example", n, story(n, tail=(NEWSLETTER,))) for n in (1, 2, 3)),
    )
    group_articles(ctx)
    with open_archive(ctx.db_path) as conn:
        assert pending_grouping(conn) == []  # grouped on the cleaned texts
    assert set(texts(ctx).values()) == {story(n) for n in (1, 2, 3)}


def test_an_archive_stored_before_edge_lines_were_kept_has_them_recorded(tmp_path):
    ctx = context(tmp_path)
    store(ctx, *(page("harbour.example", n, story(n, tail=(COPYRIGHT,))) for n in (1, 2, 3)))
    with duckdb.connect(ctx.db_path) as conn:  # as an archive from before migration 016
        for statement in (
            "drop table site_lines", "drop table site_furniture", "drop table site_lines_backfill",
            "alter table articles drop column extracted_sha256",
            "delete from schema_migrations where version = 16",
        ):  # fmt: skip
            conn.execute(statement)
    with open_archive(ctx.db_path) as conn:  # migrated: its articles wait for the backfill
        assert take_out_site_furniture(conn).texts_cleaned == 3
        assert conn.execute("select count(*) from site_lines_backfill").fetchone() == (0,)
    assert set(texts(ctx).values()) == {story(n) for n in (1, 2, 3)}


def test_a_rejected_page_s_lines_are_forgotten(tmp_path):
    from tasks.store import save_reextractions
    from wirehouse.records import Rejection

    ctx = context(tmp_path)
    store(ctx, *(page("harbour.example", n, story(n, tail=(COPYRIGHT,))) for n in (1, 2)))
    with open_archive(ctx.db_path) as conn:
        save_reextractions(
            conn, [], [Rejection("r-harbour.example-1", "https://harbour.example/news/story-1",
                                 "listing", "now a list")]
        )  # fmt: skip
        ids = conn.execute("select distinct article_id from site_lines").fetchall()
    assert len(ids) == 1


def archived_page(n: int) -> bytes:
    paragraphs = "".join(
        f"<p>{line}</p>" for line in story(n, tail=(NEWSLETTER, COPYRIGHT)).splitlines()
    )
    return (
        f"<html><head><title>Harbour story {n}</title></head><body><article>"
        f"<h1>Harbour story {n}</h1>{paragraphs}</article></body></html>"
    ).encode()


def test_a_re_extraction_finds_a_cleaned_text_unchanged(tmp_path):
    """Through the archive: pages extracted, the site's furniture taken out, then every
    page extracted again: the texts as extracted are what is compared, so nothing changed."""
    from tasks.raw_archive import WarcArchive
    from tasks.steps.extract import extract_pending, reextract
    from tasks.store import save_fetches

    ctx = context(tmp_path)
    now = datetime.now(UTC)
    pages = [(f"https://harbour.example/news/story-{n}", archived_page(n)) for n in (1, 2, 3)]
    with WarcArchive(ctx.archive_dir, "t") as archive:
        records = [
            archive.write_response(url, 200, [("Content-Type", "text/html")], page, now)
            for url, page in pages
        ]
    with open_archive(ctx.db_path) as conn:
        save_fetches(conn, "t", [], records)
    assert extract_pending(ctx, workers=1).extracted == 3
    with open_archive(ctx.db_path) as conn:
        assert take_out_site_furniture(conn).texts_cleaned == 3
    assert all(NEWSLETTER not in text for text in texts(ctx).values())
    report = reextract(ctx, workers=1)
    assert (report.unchanged, report.changed) == (3, 0)
    assert all(NEWSLETTER not in text for text in texts(ctx).values())


RELEASE_BOILERPLATE = (
    "About Acme Robotics: Acme Robotics designs, makes and services delivery robots for "
    "hospitals, warehouses and airports in forty countries, and employs 2,400 people. " * 3,
    "Forward-looking statements: this release contains statements about future events that "
    "involve risks and uncertainties, and actual results may differ materially from them. " * 3,
    "Media contact: the press office of Acme Robotics answers questions from reporters every "
    "weekday from nine in the morning to six in the evening, Central time, by telephone. " * 2,
)
RELEASES = (
    "Acme Robotics named Laura Chen its chief executive on Monday, succeeding the founder, who "
    "will remain chairman after twelve years at the head of the company. Chen joined in 2015 "
    "from a maker of surgical instruments and has run the European business since 2019.",
    "Acme Robotics is recalling 1,200 of its T4 hospital delivery robots after reports that a "
    "faulty brake sensor let several roll down ramps in three clinics last month. No patient "
    "was hurt; owners are asked to keep the robots off ramps until the sensor is replaced.",
    "Acme Robotics will open a plant in Monterrey next spring to build its warehouse robots, "
    "hiring 600 people over two years, the company said on Thursday. The plant will supply "
    "customers in Mexico and the southern United States and cut delivery times by weeks.",
)


def test_a_sites_press_releases_that_share_its_boilerplate_are_no_copies(tmp_path):
    # Mostly boilerplate (more than a text may lose, so left in it), a company's releases
    # about unrelated news were near copies of each other: one copy group, one story.
    ctx = context(tmp_path)
    store(
        ctx,
        *(
            page("newsroom.acme.example", n, "\n".join([news, *RELEASE_BOILERPLATE]))
            for n, news in enumerate(RELEASES)
        ),
    )
    group_articles(ctx)
    with duckdb.connect(ctx.db_path, read_only=True) as conn:
        assert conn.execute("select count(*) from site_furniture").fetchone() == (3,)
        groups = conn.execute("select count(distinct copy_group_id) from articles").fetchone()
        links = conn.execute("select count(*) from article_links where kind = 'near_copy'")
        assert groups == (3,) and links.fetchone() == (0,)
    assert set(texts(ctx).values()) == {"\n".join([n, *RELEASE_BOILERPLATE]) for n in RELEASES}
