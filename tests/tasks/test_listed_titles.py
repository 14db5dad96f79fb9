"""Other articles' titles: a text that lists its site's articles is a listing page, and a
related-links block of them goes from a story's edges; headings of its own stay."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tasks.articles import save_extractions
from tasks.extract import extract_page
from tasks.listed_titles import SiteTitles, listed_titles
from tasks.run_context import RunContext
from tasks.steps import listed_titles as listed_titles_step
from tasks.steps.extract import extract_pending, reextract
from tasks.steps.fetch import fetch_and_archive
from tasks.steps.group import group_articles
from tasks.steps.listed_titles import take_out_listed_titles
from wirehouse.db import open_archive
from wirehouse.records import Extraction
from wirehouse.settings import ExtractSettings

SITE = "harbour.example"
TITLES = [
    "Council approves the new ferry timetable",
    "Harbour bridge to close for repairs in May",
    "Fishing fleet returns early as storm nears",
    "School board names a new head for Eastgate",
]


def body(n: int) -> list[str]:
    return [
        f"Story {n} begins with a paragraph of its own, about event number {n} in the town.",
        f"Its second paragraph tells what happened next to the people of event {n}.",
        f"The last paragraph of story {n} says what comes after, and when it will be known.",
    ]


def site_titles(*extra: str) -> SiteTitles:
    site = SiteTitles()
    for i, title in enumerate([*TITLES, *extra]):
        site.add(f"a{i}", title)
    return site


def test_a_text_made_of_the_site_s_titles_and_teasers_lists_the_site():
    section = "\n".join(line for t in TITLES for line in (t, "A teaser of a few words."))
    found = listed_titles(section, "front", "Latest news", site_titles())
    assert found is not None and found.lists_the_site
    # the first title is a run at the text's start; three are between its edges
    assert (found.titles, found.inner_titles) == (4, 3)
    bare = listed_titles("\n".join(["Latest", *TITLES]), "front", "Latest news", site_titles())
    assert bare is not None and bare.lists_the_site and bare.without == ""


def test_a_related_block_goes_from_the_end_and_a_heading_of_the_story_stays():
    text = "\n".join(
        [
            *body(1)[:2],
            TITLES[3],
            body(1)[2],
            "Related stories",
            TITLES[0],
            "May 2, 2024",
            TITLES[1],
        ]
    )
    found = listed_titles(text, "story-1", "Story one", site_titles())
    assert found is not None and not found.lists_the_site and found.may_take_out
    # the title in the middle reads as the story's own heading: it stays
    assert found.without == "\n".join([*body(1)[:2], TITLES[3], body(1)[2]])


def test_a_trending_row_above_a_story_goes_and_its_dateline_stays():
    text = "\n".join(["Trending", TITLES[0], TITLES[1], "HARBOUR CITY", *body(2)])
    found = listed_titles(text, "story-2", "Story two", site_titles())
    assert found is not None and not found.lists_the_site
    assert found.without == "\n".join(["HARBOUR CITY", *body(2)])


def test_links_between_a_text_s_lines_that_are_the_site_s_titles_count_as_listed():
    teasers = "\n".join(["Local news", *["A teaser of a few words here."] * 4])
    found = listed_titles(teasers, "front", "Latest news", site_titles(), TITLES)
    assert found is not None and found.lists_the_site and found.without == teasers
    # one promo card in the middle of a story is a link, not a list
    story = "\n".join(body(1))
    one = listed_titles(story, "story-1", "Story one", site_titles(), TITLES[:1])
    assert one is not None and not one.lists_the_site and one.without == story


def test_an_article_s_own_title_and_short_titles_never_count():
    text = "\n".join([TITLES[0], *body(1), "Weather", "Contact us"])
    titles = site_titles("Weather", "Contact us")
    # its own title (which copies of it on the site share) is no other article's
    assert listed_titles(text, "a0", TITLES[0], titles) is None
    assert listed_titles(text, "copy", TITLES[0], titles) is None


def test_a_chinese_site_s_titles_are_weighed_by_their_characters():
    # counted by spaces, a Chinese title was one word, too short to ever count
    titles = [
        "港口改造计划第一次听证会今天举行",
        "渡轮新时刻表获市议会批准",
        "暴风雨来临渔船提前返港",
        "东门学校董事会任命新校长",
    ]
    site = SiteTitles()
    for i, title in enumerate(titles):
        site.add(f"z{i}", title)
    section = "\n".join(line for t in titles for line in (t, "简短摘要。"))
    found = listed_titles(section, "front", "最新消息", site)
    assert found is not None and found.lists_the_site


def test_a_text_that_is_mostly_other_titles_is_left_whole():
    text = "\n".join([TITLES[0], TITLES[1], "One short line of its own here."])
    found = listed_titles(text, "teaser", "A teaser page", site_titles())
    assert found is not None and not found.lists_the_site and not found.may_take_out


def context(tmp_path: Path) -> RunContext:
    return RunContext(
        db_path=str(tmp_path / "news.duckdb"), archive_dir=str(tmp_path / "archive"), run_id="t"
    )


def page(slug: str, title: str, lines: list[str]) -> Extraction:
    return Extraction(
        record_id=f"r-{slug}", url=f"https://{SITE}/{slug}", canonical_url=None, title=title,
        author=None, page_date=None, sitename=None, language="en", text="\n".join(lines),
        boilerplate_ratio=0.2,
    )  # fmt: skip


def store(ctx: RunContext, *pages: Extraction) -> None:
    with open_archive(ctx.db_path) as conn:
        save_extractions(conn, [(p, datetime.now(UTC)) for p in pages])


@pytest.mark.parametrize("at_a_time", [2_000, 2])  # one chunk; a site over several chunks
def test_a_section_front_is_rejected_and_a_story_loses_its_related_block(
    tmp_path, monkeypatch, at_a_time
):
    monkeypatch.setattr(listed_titles_step, "TEXTS_AT_A_TIME", at_a_time)
    ctx = context(tmp_path)
    stories = [page(f"news/story-{n}", t, body(n)) for n, t in enumerate(TITLES)]
    teasers = [line for t in TITLES for line in (t, f"What happened, in brief: {t.lower()}.")]
    front = page("news", "Local news from the harbour", ["Local news", *teasers])
    related = page("news/story-9", "A story with related links", [*body(9), "Related", *TITLES[:2]])
    store(ctx, *stories, front, related)
    with open_archive(ctx.db_path) as conn:
        report = take_out_listed_titles(conn)
    assert (report.read, report.lists, report.texts_cleaned) == (6, 1, 1)
    with duckdb.connect(ctx.db_path, read_only=True) as conn:
        texts = dict(conn.execute("select url, text from articles").fetchall())
        rejected = conn.execute("select url, reason, page_kind, detail from rejections").fetchall()
    assert f"https://{SITE}/news" not in texts
    [(url, reason, kind, detail)] = rejected
    assert (url, reason, kind) == (f"https://{SITE}/news", "site_list", "listing")
    assert detail.startswith("4 of its lines are titles of the site's other articles")
    assert texts[f"https://{SITE}/news/story-9"] == "\n".join(body(9))  # "Related" went too
    assert texts[f"https://{SITE}/news/story-0"] == "\n".join(body(0))
    # The grouping that follows (which runs the pass itself) groups the five articles.
    assert group_articles(ctx).articles == 5


def test_a_list_that_a_story_held_is_taken_out_of_it(tmp_path):
    ctx = context(tmp_path)
    teasers = [line for t in TITLES for line in (t, "A teaser of a few words.")]
    store(ctx, page("news", "Local news from the harbour", teasers))
    group_articles(ctx)  # grouped alone: no other article's title known yet
    changed = page("news", "Local news from the harbour", [*teasers, "One more line here."])
    store(ctx, *(page(f"news/story-{n}", t, body(n)) for n, t in enumerate(TITLES)), changed)
    with open_archive(ctx.db_path) as conn:
        assert take_out_listed_titles(conn).lists == 1
    group_articles(ctx)
    with duckdb.connect(ctx.db_path, read_only=True) as conn:
        held = conn.execute("select sum(article_count) from stories").fetchone()
        articles = conn.execute("select count(*) from articles").fetchone()
    assert held == articles == (4,)  # no story counts the list any more


def article_html(n: int, title: str) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in body(n) * 3)
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{paragraphs}</article></body></html>"
    ).encode()


def section_html(layout: str) -> bytes:
    def card(n: int, title: str) -> str:
        teaser = (
            f"<p>The story of {title.lower()}, told in a few sentences for readers in a hurry, "
            "with what happens next and who said what about it on Tuesday.</p>"
        )
        if layout == "card links":  # one link around the headline and its teaser
            return f'<a class="card" href="/news/story-{n}"><h2>{title}</h2>{teaser}</a>'
        # the headline a link of its own: taken out of the text at extraction as a teaser
        # link, and kept with the article as a link between its lines
        return f'<div class="card"><h2><a href="/news/story-{n}">{title}</a></h2>{teaser}</div>'

    cards = "".join(card(n, title) for n, title in enumerate(TITLES))
    # Its CMS calls every page an article, the section front too: on its own, no page-kind
    # rule or shape may then take it for a list.
    return (
        "<html><head><title>Local news | The Harbour Ledger</title>"
        '<script type="application/ld+json">{"@type": "NewsArticle"}</script></head><body><main>'
        "<h1>Local news</h1><p>The latest from the harbour and the town, updated through the "
        f"day by our newsroom.</p>{cards}</main></body></html>"
    ).encode()


@pytest.mark.parametrize("layout", ["card links", "headline links"])
def test_a_run_over_a_site_rejects_its_section_front_that_one_page_alone_cannot(
    local_server, tmp_path, layout
):
    # On its own, the section front reads as a short article: four headlines, with prose.
    alone = extract_page(section_html(layout), local_server.url("/local-news"), "text/html",
                         ExtractSettings())  # fmt: skip
    assert isinstance(alone, Extraction)
    if layout == "headline links":
        assert alone.inner_links == tuple(TITLES)
    local_server.page("/local-news", section_html(layout))
    for n, title in enumerate(TITLES):
        local_server.page(f"/news/story-{n}", article_html(n, title))
    ctx = RunContext(
        db_path=str(tmp_path / "news.duckdb"), archive_dir=str(tmp_path / "archive"),
        run_id="t", allow_private_network=True,
    )  # fmt: skip
    urls = [local_server.url("/local-news")]
    urls += [local_server.url(f"/news/story-{n}") for n in range(len(TITLES))]
    fetch_and_archive(ctx, urls)
    assert extract_pending(ctx).new_articles == 5
    assert group_articles(ctx).articles == 4
    with duckdb.connect(ctx.db_path, read_only=True) as conn:
        (rejected,) = conn.execute("select url, page_kind, detail from rejections").fetchall()
    assert rejected[:2] == (local_server.url("/local-news"), "listing")
    assert "titles of the site's other articles" in rejected[2]
    # Extracted again, the page alone reads as an article; the site's verdict stands.
    again = reextract(ctx)
    assert (again.unchanged, again.new_articles, again.changed) == (5, 0, 0)
    assert group_articles(ctx).articles == 4
