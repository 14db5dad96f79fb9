"""Copy groups, origins, event clustering and stable ids, on records built in the test."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tasks.dedupe import find_copy_links, text_sha256
from tasks.stories import group_stories
from wirehouse.records import ArticleLink, ArticleSketch
from wirehouse.settings import DedupeSettings

SETTINGS = DedupeSettings()
DAY = datetime(2023, 9, 19, 8, tzinfo=UTC)


def sketch(
    article_id: str, text: str, domain: str, date: datetime | None, **kw: object
) -> ArticleSketch:
    base = ArticleSketch(
        article_id=article_id, url=f"https://{domain}/{article_id}", canonical_url=None,
        domain=domain, title=None, page_date=date, text=text, text_sha256=text_sha256(text),
        word_count=len(text.split()), boilerplate_ratio=0.3, wire_marker=None,
        first_seen_at=DAY,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


MISSILE_1 = (
    "North Korea fired a short-range ballistic missile off its east coast on Tuesday, South "
    "Korea's Joint Chiefs of Staff said. The missile flew about 600 kilometres from Sunan near "
    "Pyongyang before falling into the sea between the Korean Peninsula and Japan. Japan's "
    "defence ministry said the missile landed outside its exclusive economic zone. The launch "
    "came days after leader Kim Jong Un returned from a visit to Russia's far east. "
)
MISSILE_2 = (
    "North Korea fired several cruise missiles into the Yellow Sea on Wednesday, the South "
    "Korean military said, the second launch in a week. The missiles were launched from "
    "Onchon on the west coast and flew for about two hours. Seoul and Washington are tracking "
    "the launches, officials said, as Pyongyang protests joint naval drills. Kim Jong Un "
    "oversaw a test of a new submarine last month. "
)
QUAKE = (
    "A strong earthquake shook southern Ecuador and northern Peru on Monday, killing at least "
    "14 people and damaging houses in Machala and Cuenca. The magnitude 6.8 quake struck "
    "near Balao at a depth of 66 kilometres, the US Geological Survey said. "
)


def test_missile_tests_a_week_apart_stay_apart_while_their_reports_join():
    articles = [
        sketch("m1", MISSILE_1 * 2, "paper.example", DAY),
        sketch(
            "m1b",
            MISSILE_1.replace("Tuesday", "Tuesday morning") * 2,
            "other.example",
            DAY + timedelta(hours=5),
        ),
        sketch("m2", MISSILE_2 * 2, "tv.example", DAY + timedelta(days=8)),
        sketch("q", QUAKE * 3, "paper.example", DAY + timedelta(days=1)),
    ]
    result = group_stories(articles, find_copy_links(articles, SETTINGS), SETTINGS)
    story = {g.article_id: g.story_id for g in result.groupings}
    assert story["m1"] == story["m1b"]
    assert len({story["m1"], story["m2"], story["q"]}) == 3


def test_origin_is_the_earliest_date_not_the_republish():
    text = MISSILE_1 * 3
    articles = [
        sketch("agg", text, "aggregator.example", DAY + timedelta(days=600)),
        sketch("paper", text, "paper.example", DAY),
    ]
    result = group_stories(articles, find_copy_links(articles, SETTINGS), SETTINGS)
    by_id = {g.article_id: g for g in result.groupings}
    assert by_id["paper"].is_group_origin and not by_id["agg"].is_group_origin
    assert by_id["agg"].published_at is None and by_id["agg"].republished_at == DAY + timedelta(
        days=600
    )
    (story,) = result.stories
    assert story.lead_article_id == "paper" and story.first_published_at == DAY


def test_a_canonical_naming_another_site_loses_the_origin_even_when_dated_first():
    text = QUAKE * 4
    articles = [
        sketch("copy", text, "copier.example", DAY, canonical_url="https://source.example/x"),
        sketch("source", text, "source.example", DAY + timedelta(hours=1)),
    ]
    result = group_stories(articles, [ArticleLink("copy", "source", "same_text", 1.0)], SETTINGS)
    assert [g.article_id for g in result.groupings if g.is_group_origin] == ["source"]


def test_the_wire_agencys_own_page_is_the_origin_of_its_copies():
    text = "SOCHI, Russia (AP) - " + MISSILE_1 * 3
    articles = [
        sketch("paper", text, "paper.example", DAY, wire_marker="AP"),
        sketch("wire", text, "apnews.com", DAY + timedelta(hours=2), wire_marker="AP"),
    ]
    result = group_stories(articles, find_copy_links(articles, SETTINGS), SETTINGS)
    assert [g.article_id for g in result.groupings if g.is_group_origin] == ["wire"]


def test_a_copy_crediting_the_wire_wins_over_one_that_dropped_the_credit():
    credited = "SOCHI, Russia (AP) - " + MISSILE_1 * 3
    stripped = MISSILE_1 * 3  # the dateline cut off, dated an hour earlier
    articles = [
        sketch("stripped", stripped, "copier.example", DAY - timedelta(hours=1)),
        sketch("credited", credited, "paper.example", DAY, wire_marker="AP"),
        sketch("other", credited, "tv.example", DAY + timedelta(hours=3), wire_marker="AP"),
    ]
    result = group_stories(articles, find_copy_links(articles, SETTINGS), SETTINGS)
    assert [g.article_id for g in result.groupings if g.is_group_origin] == ["credited"]
    # with no wire credit anywhere, the earliest date decides as before
    plain = [replace(a, wire_marker=None, text=stripped) for a in articles]
    result = group_stories(plain, find_copy_links(plain, SETTINGS), SETTINGS)
    assert [g.article_id for g in result.groupings if g.is_group_origin] == ["stripped"]


def test_a_backdated_copy_that_dropped_the_wire_credit_erases_no_publishers_date():
    # A scraper dating its copy 10 days before the agency's own page made that page and the
    # papers crediting it republishes (their published_at erased) and took the origin.
    credited = "SOCHI, Russia (AP) - " + MISSILE_1 * 3
    articles = [
        sketch("wire", credited, "apnews.com", DAY, wire_marker="AP"),
        sketch("paper", credited, "paper.example", DAY + timedelta(hours=2), wire_marker="AP"),
        sketch("tv", credited, "tv.example", DAY + timedelta(hours=3), wire_marker="AP"),
        sketch("scraper", MISSILE_1 * 3, "scraper.example", DAY - timedelta(days=10)),
    ]
    result = group_stories(articles, find_copy_links(articles, SETTINGS), SETTINGS)
    by_id = {g.article_id: g for g in result.groupings}
    assert [a for a, g in by_id.items() if g.is_group_origin] == ["wire"]
    for article in articles[:3]:
        assert by_id[article.article_id].published_at == article.page_date
        assert by_id[article.article_id].republished_at is None
    (story,) = result.stories
    assert story.lead_article_id == "wire" and story.first_published_at == DAY
    # without the agency's page, a paper crediting it keeps its date and the origin
    result = group_stories(articles[1:], find_copy_links(articles[1:], SETTINGS), SETTINGS)
    by_id = {g.article_id: g for g in result.groupings}
    assert [a for a, g in by_id.items() if g.is_group_origin] == ["paper"]
    assert by_id["paper"].published_at == DAY + timedelta(hours=2)


def test_a_small_site_s_backdated_copy_of_a_wire_text_is_not_its_origin():
    # A scraper of two texts, each a verbatim copy crediting the agency and dated four days
    # before the papers: the origin of both, its site's copies of others none, so never an
    # aggregator; the papers' dates were erased as republishes.
    credited = "SOCHI, Russia (AP) - " + MISSILE_1 * 3
    papers = [
        sketch(
            f"paper{n}", credited, f"paper{n}.example", DAY + timedelta(hours=n), wire_marker="AP"
        )
        for n in range(3)
    ]
    scraped = sketch(
        "scraped", credited, "scraper.example", DAY - timedelta(days=4), wire_marker="AP"
    )
    result = group_stories(
        [*papers, scraped], find_copy_links([*papers, scraped], SETTINGS), SETTINGS
    )
    by_id = {g.article_id: g for g in result.groupings}
    assert [a for a, g in by_id.items() if g.is_group_origin] == ["paper0"]
    for paper in papers:
        assert by_id[paper.article_id].published_at == paper.page_date
    (story,) = result.stories
    assert story.lead_article_id == "paper0" and story.first_published_at == DAY
    # A paper's own text, crediting no agency, that two others carry days later is theirs
    feature = [replace(a, text=MISSILE_1 * 3, wire_marker=None) for a in papers]
    feature[1:] = [replace(a, page_date=DAY + timedelta(days=5)) for a in feature[1:]]
    result = group_stories(feature, find_copy_links(feature, SETTINGS), SETTINGS)
    assert [g.article_id for g in result.groupings if g.is_group_origin] == ["paper0"]


def test_an_aggregator_s_earlier_copy_does_not_date_the_story():
    # An aggregator of two papers (two of its three texts copied later than theirs) dated
    # its copy of the third a day before the paper: not the origin, but the story's first
    # date was its own.
    texts = [MISSILE_1 * 3, MISSILE_2 * 2, QUAKE * 3]
    homes = ["north.example", "north.example", "south.example"]
    articles = [
        sketch(f"paper{n}", text, homes[n], DAY + timedelta(days=2 * n))
        for n, text in enumerate(texts)
    ]
    articles += [
        sketch(f"agg{n}", text, "agg.example", DAY + timedelta(days=2 * n, hours=5 - 29 * (n == 0)))
        for n, text in enumerate(texts)
    ]
    result = group_stories(articles, find_copy_links(articles, SETTINGS), SETTINGS)
    assert {d.domain for d in result.domain_scores if d.is_aggregator} == {"agg.example"}
    assert {g.article_id for g in result.groupings if g.is_group_origin} == {
        "paper0",
        "paper1",
        "paper2",
    }
    first = {s.lead_article_id: s.first_published_at for s in result.stories}
    assert first["paper0"] == DAY


def test_a_page_holding_two_unrelated_texts_joins_one_of_them_not_both():
    # A digest of two stories in full (or a page of half of each) was a near copy of both:
    # one copy group and one story of two events, one real article called a copy.
    missile, quake = MISSILE_1 * 3, QUAKE * 4
    half = " ".join(missile.split()[:90] + quake.split()[:70])
    for bridge in (missile + " " + quake, half):
        articles = [
            sketch("missile", missile, "paper.example", DAY),
            sketch("quake", quake, "tv.example", DAY + timedelta(hours=1)),
            sketch("digest", bridge, "digest.example", DAY + timedelta(hours=2)),
        ]
        links = find_copy_links(articles, SETTINGS)
        assert [link.a for link in links] == ["digest"]  # a near copy of one of them
        result = group_stories(articles, links, SETTINGS)
        by_id = {g.article_id: g for g in result.groupings}
        assert by_id["missile"].copy_group_id != by_id["quake"].copy_group_id
        assert by_id["missile"].story_id != by_id["quake"].story_id
        assert by_id["missile"].is_group_origin and by_id["quake"].is_group_origin
    # a page's partners that are one text elsewhere are one part: a full copy, its first
    # half and a padded copy stay one group
    padded = missile + " " + " ".join(f"filler{i} word" for i in range(400))
    first_half = " ".join(missile.split()[: len(missile.split()) // 2])
    articles = [
        sketch("full", missile, "paper.example", DAY),
        sketch("half", first_half, "short.example", DAY + timedelta(hours=1)),
        sketch("padded", padded, "padded.example", DAY + timedelta(hours=2)),
    ]
    result = group_stories(articles, find_copy_links(articles, SETTINGS), SETTINGS)
    assert len({g.copy_group_id for g in result.groupings}) == 1


def test_a_scraper_of_many_sites_that_backdates_its_copies_takes_no_origin():
    # A scraper dating each copy 10 days before the paper it took it from was the origin of
    # every one, and the papers republishers, their own dates erased.
    texts = {"north.example": MISSILE_1 * 2, "south.example": MISSILE_2 * 2}
    texts["east.example"] = QUAKE * 3
    articles = []
    for n, (domain, text) in enumerate(texts.items()):
        day = DAY + timedelta(days=n)
        articles.append(sketch(f"paper{n}", text, domain, day))
        articles.append(sketch(f"scraped{n}", text, "scraper.example", day - timedelta(days=10)))
    result = group_stories(articles, find_copy_links(articles, SETTINGS), SETTINGS)
    by_id = {g.article_id: g for g in result.groupings}
    assert sorted(a for a, g in by_id.items() if g.is_group_origin) == [
        "paper0",
        "paper1",
        "paper2",
    ]
    for article in articles[::2]:
        assert by_id[article.article_id].published_at == article.page_date
    scores = {d.domain: d for d in result.domain_scores}
    assert scores["scraper.example"].is_aggregator
    assert not any(scores[domain].is_aggregator for domain in texts)
    # A syndicator whose texts three papers all carry shares with as many domains as they
    # do: no collector, its earlier dates stand.
    carried = [
        sketch(f"{domain}-{n}", text, domain, DAY + timedelta(days=n, hours=hours))
        for n, text in enumerate(texts.values())
        for domain, hours in (("syndicate.example", 0), ("a.example", 2), ("b.example", 3),
                              ("c.example", 4))
    ]  # fmt: skip
    result = group_stories(carried, find_copy_links(carried, SETTINGS), SETTINGS)
    origins = {g.article_id for g in result.groupings if g.is_group_origin}
    assert origins == {f"syndicate.example-{n}" for n in range(3)}


def test_one_copy_does_not_make_a_site_an_aggregator():
    # A paper of two stories, one of which a scraper copied with an earlier date, had a
    # copy share of 0.5: an aggregator, whose copies never win an origin, so a partner's
    # later copy of its other story took that origin too.
    fire, chip = MISSILE_1 * 3, QUAKE * 4
    articles = [
        sketch("fire", fire, "paper.example", DAY),
        sketch("chip", chip, "paper.example", DAY + timedelta(hours=1)),
        sketch("chip-copy", chip, "partner.example", DAY + timedelta(hours=3)),
        sketch("own", MISSILE_2 * 2, "partner.example", DAY),
        sketch("scraped", fire, "scraper.example", DAY - timedelta(days=10)),
    ]
    result = group_stories(articles, find_copy_links(articles, SETTINGS), SETTINGS)
    scores = {d.domain: d for d in result.domain_scores}
    assert scores["paper.example"].copy_share == 0.5 and not scores["paper.example"].is_aggregator
    origins = {g.article_id for g in result.groupings if g.is_group_origin}
    assert "chip" in origins and "chip-copy" not in origins


def test_an_aggregator_never_leads_even_with_no_dates_anywhere():
    wire = [MISSILE_1 * 2, QUAKE * 3]
    articles = [
        sketch("agg1", wire[0], "agg.example", None),
        sketch("agg2", wire[1], "agg.example", None),
        sketch("p1", wire[0], "paper.example", None),
        sketch("p2", wire[1], "tv.example", None),
    ]
    result = group_stories(articles, find_copy_links(articles, SETTINGS), SETTINGS)
    assert {s.lead_article_id for s in result.stories} == {"p1", "p2"}
    scores = {d.domain: d for d in result.domain_scores}
    assert scores["agg.example"].is_aggregator and scores["agg.example"].copy_share == 1.0
    assert not scores["paper.example"].is_aggregator


def test_same_input_in_any_order_gives_the_same_result():
    rng = random.Random(5)
    articles = [
        sketch(f"a{i}", text * (1 + i % 3), f"s{i % 4}.example", DAY + timedelta(hours=i))
        for i, text in enumerate([MISSILE_1, MISSILE_2, QUAKE, MISSILE_1, QUAKE, MISSILE_2])
    ]
    first = group_stories(articles, find_copy_links(articles, SETTINGS), SETTINGS)
    for _ in range(3):
        shuffled = articles[:]
        rng.shuffle(shuffled)
        again = group_stories(shuffled, find_copy_links(shuffled, SETTINGS), SETTINGS)
        assert again == first


def test_vectors_made_in_the_worker_pool_are_the_ones_made_here(monkeypatch):
    import tasks.story_vectors as story_vectors
    from tasks.origins import CopyGroup
    from tests.tasks.test_incremental_grouping import text_about

    # Three domains: one past the furniture sample (its later texts read against it), one
    # with enough texts for furniture, one too small for any.
    sizes = {"big.example": story_vectors.FURNITURE_SAMPLE + 5, "mid.example": 6, "tiny.example": 2}
    topics = ("volcano", "harbour", "election")
    articles = [
        sketch(f"{domain}-{n}", text_about(topics[n % 3], n), domain, DAY, title=f"Site news {n}")
        for domain, size in sizes.items()
        for n in range(size)
    ]
    by_id = {a.article_id: a for a in articles}
    groups = [CopyGroup((a.article_id,), a.article_id, a.page_date) for a in articles[::-1]]
    here = story_vectors.group_vectors(groups, by_id, 100)
    monkeypatch.setattr(story_vectors, "VECTORS_POOL_FROM", 1)
    monkeypatch.setattr(story_vectors, "VECTORS_JOB", 10)  # a job a domain
    in_pool = story_vectors.group_vectors(groups, by_id, 100, workers=2)
    rows = [here.row(i) for i in range(len(groups))]
    assert [in_pool.row(i) for i in range(len(groups))] == rows
    assert in_pool.vocabulary == here.vocabulary == sorted(here.vocabulary)
    assert all(rows)
    assert not any("site" in row for row in rows[-5:])  # the big domain's furniture is dropped
    assert all("site" in row for row in rows[:2])  # too few texts on the tiny one for any


def test_stories_read_through_a_text_reader_are_the_ones_made_from_held_texts(monkeypatch):
    import tasks.story_vectors as story_vectors
    from tests.conftest import seed_texts

    texts = [*seed_texts(), MISSILE_1 * 2, MISSILE_1 * 3, MISSILE_2 * 2, QUAKE * 3]
    articles = [
        sketch(f"a{i}", text, f"s{i % 3}.example", DAY + timedelta(hours=7 * i))
        for i, text in enumerate(texts)
    ]
    links = find_copy_links(articles, SETTINGS)
    held = group_stories(articles, links, SETTINGS)
    monkeypatch.setattr(story_vectors, "TEXT_WINDOW", 2)
    asked: list[list[str]] = []
    text_of = {a.article_id: a.text for a in articles}

    def read(article_ids):
        asked.append(list(article_ids))
        return {a: text_of[a] for a in article_ids}

    bare = [replace(a, text="") for a in articles]
    assert group_stories(bare, links, SETTINGS, texts=read) == held
    assert asked and max(len(ids) for ids in asked[:2]) <= 2  # vectors: a window at a time
    # and in the worker pool, a job's texts read as it is handed out
    monkeypatch.setattr(story_vectors, "VECTORS_POOL_FROM", 1)
    monkeypatch.setattr(story_vectors, "VECTORS_JOB", 2)
    assert group_stories(bare, links, SETTINGS, workers=2, texts=read) == held
