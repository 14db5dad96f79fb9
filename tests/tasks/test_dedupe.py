from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from tasks import dedupe
from tasks.dedupe import (
    ShingleHasher,
    TextReader,
    UnionFind,
    containment,
    copy_candidates,
    find_copy_links,
    minhash_keys,
    normalised_words,
    shingle_reader,
    shingled_pairs,
    text_sha256,
    texts_in,
    verified_copies,
)
from tests.conftest import seed_texts
from wirehouse.errors import InputError
from wirehouse.records import ArticleSketch
from wirehouse.settings import DedupeSettings

SETTINGS = DedupeSettings()


def sketch(article_id: str, text: str, domain: str = "a.example", **kw: object) -> ArticleSketch:
    base = ArticleSketch(
        article_id=article_id,
        url=f"https://{domain}/{article_id}",
        canonical_url=None,
        domain=domain,
        title=None,
        page_date=None,
        text=text,
        text_sha256=text_sha256(text),
        word_count=len(text.split()),
        boilerplate_ratio=0.3,
        wire_marker=None,
        first_seen_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def edit_copy(text: str, rng: random.Random) -> str:
    """What syndication does: cut a paragraph, change a word per sentence, add local lines."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    del paragraphs[len(paragraphs) // 2]
    edited = []
    for p in paragraphs:
        words = p.split()
        if len(words) > 8:
            words[rng.randrange(len(words))] = "reportedly"
        edited.append(" ".join(words))
    edited.insert(0, "A new headline written by the copying site editors today")
    edited.append("Sign up for our newsletter to get the latest local updates every morning.")
    return "\n".join(edited)


@pytest.fixture(scope="module")
def seeds() -> list[str]:
    texts = seed_texts()
    if len(texts) != 5:
        pytest.skip("../shared/seeds is not present")
    # Leave out the aggregator's junk lists (extraction removes them; see test_extract).
    texts[2] = texts[2].split("veryGood!")[0]
    return texts


def test_wire_copy_on_aggregator_is_a_near_copy_with_low_jaccard(seeds):
    hasher = ShingleHasher(5)
    a, b = hasher.shingles(seeds[0]), hasher.shingles(seeds[2])
    jaccard = np.intersect1d(a, b).size / np.union1d(a, b).size
    assert jaccard < 0.5  # near-identity tools would miss it
    assert containment(a, b) > 0.6
    links = find_copy_links(
        [sketch("p000", seeds[0]), sketch("p002", seeds[2], "assetbase.example")], SETTINGS
    )
    assert [(link.a, link.b, link.kind) for link in links] == [("p000", "p002", "near_copy")]


def test_rewrite_and_independent_reports_are_not_copies(seeds):
    articles = [sketch(f"p{i:03d}", text, f"site{i}.example") for i, text in enumerate(seeds)]
    pairs = {(link.a, link.b) for link in find_copy_links(articles, SETTINGS)}
    assert pairs == {("p000", "p002")}


def test_edited_copies_are_found(seeds):
    rng = random.Random(7)
    articles = [sketch("orig", seeds[0])] + [
        sketch(f"copy{i}", edit_copy(seeds[0], rng), f"c{i}.example") for i in range(3)
    ]
    links = find_copy_links(articles, SETTINGS)
    joined = UnionFind([a.article_id for a in articles])
    for link in links:
        joined.union(link.a, link.b)
    assert len(joined.groups()) == 1


def test_an_edited_copy_in_chinese_or_japanese_is_found():
    # No spaces between words: a whole clause was one "word", a 5-word shingle two
    # sentences, and one character changed per sentence left the copy sharing none.
    rng = random.Random(5)
    chars = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    chars += "ひらがなカタカナのにをはでがとしたてまするもいうかれ"
    clauses = [["".join(rng.choice(chars) for _ in range(rng.randint(6, 12))) for _ in range(3)]
               for _ in range(24)]  # fmt: skip
    origin = "\n".join("，".join(c) + "。" for c in clauses)
    edited = "\n".join("，".join([c[0], c[1][:-1] + "九", c[2]]) + "。" for c in clauses)
    assert normalised_words("央行维持利率 the bank_said 한국어 단어")[:3] == ["央", "行", "维"]
    assert normalised_words("the bank_said 한국어 단어") == ["the", "bank_said", "한국어", "단어"]
    links = find_copy_links([sketch("zh_a", origin), sketch("zh_b", edited, "b.example")], SETTINGS)
    assert [(link.a, link.b, link.kind) for link in links] == [("zh_a", "zh_b", "near_copy")]


def snapshot(quarter: str, figures: tuple[object, ...], month: str) -> str:
    """An automated earnings story: one template, the quarter's figures in it."""
    income, eps, adj, est, rev, exp, low, high, rev_low, rev_high, ytd, price, yoy = figures
    return (
        f"BOULDER, Colo. (AP) — Halvorsen Foods Inc. (HLVF) on Tuesday reported {quarter}"
        f"-quarter profit of ${income} million.\nThe Boulder, Colorado-based company said it"
        f" had net income of {eps} cents per share. Earnings, adjusted for restructuring costs,"
        f" were {adj} cents per share.\nThe average estimate of six analysts surveyed by Zacks"
        f" Investment Research was for earnings of {est} cents per share.\nThe packaged foods"
        f" company posted revenue of ${rev} million in the period, which beat Street forecasts."
        f" Six analysts surveyed by Zacks expected ${exp} million.\nFor the current quarter"
        f" ending in {month}, Halvorsen expects its per-share earnings to range from {low} cents"
        f" to {high} cents.\nThe company said it expects revenue in the range of ${rev_low}"
        f" million to ${rev_high} million for the fiscal quarter.\nHalvorsen shares have"
        f" climbed {ytd}% since the beginning of the year, while the S&P's index has increased"
        f" slightly. In the final minutes of trading on Tuesday, shares hit ${price}, a climb of"
        f" {yoy}% in the last 12 months."
    )


def test_one_template_with_another_quarter_s_figures_is_no_copy():
    # Two automated earnings stories share most of their words (containment 0.56): the
    # next quarter's was joined to the last one's as a copy, its date erased as a republish.
    second = snapshot("second", (142, 61, 68, 64, 812, 795, 66, 70, 820, 840, 14, "48.20", 22),
                      "September")  # fmt: skip
    third = snapshot("third", (155, 67, 73, 70, 836, 829, 71, 75, 850, 870, 18, "51.05", 19),
                     "December")  # fmt: skip
    hasher = ShingleHasher(SETTINGS.shingle_size)
    assert containment(hasher.shingles(second), hasher.shingles(third)) > SETTINGS.copy_containment
    articles = [sketch("q2", second), sketch("q3", third, "b.example")]
    assert find_copy_links(articles, SETTINGS) == []
    # an edited copy keeps the figures it reports, however it is cut and reworded
    lines = second.split("\n")
    edited = "\n".join([lines[0].replace("reported", "posted"), *lines[2:-1]])
    articles = [sketch("q2", second), sketch("q2-copy", edited, "b.example")]
    assert [link.kind for link in find_copy_links(articles, SETTINGS)] == ["near_copy"]


def test_exact_copies_are_found_by_hash_whatever_the_case_and_spacing():
    text = "The council voted seven to two on Tuesday night to approve the new budget plan. " * 5
    articles = [sketch("x1", text), sketch("x2", "  " + text.upper().replace(" ", "   "))]
    links = find_copy_links(articles, SETTINGS)
    assert [(link.kind, link.score) for link in links] == [("same_text", 1.0)]


def test_canonical_pointing_at_a_stored_article_links_them():
    original = sketch("orig", "one text entirely " * 30, "wire.example")
    copy = sketch(
        "copy",
        "another text entirely different words " * 10,
        "paper.example",
        canonical_url="https://wire.example/orig?utm_source=feed",
    )
    links = find_copy_links([original, copy], SETTINGS)
    assert [(link.a, link.b, link.kind) for link in links] == [("copy", "orig", "same_url")]


def test_shared_boilerplate_alone_does_not_make_copies():
    boiler = "This story was produced with help from the regional news partnership program funded by readers. "
    rng = random.Random(3)
    vocab = [f"word{i}" for i in range(3000)]
    articles = [
        sketch(f"d{i}", " ".join(rng.choice(vocab) for _ in range(300)) + " " + boiler)
        for i in range(30)
    ]
    settings = replace(SETTINGS, max_band_postings=10)
    assert find_copy_links(articles, settings) == []


def test_links_do_not_depend_on_input_order(seeds):
    rng = random.Random(11)
    articles = [sketch(f"p{i}", t, f"s{i}.example") for i, t in enumerate(seeds)]
    articles += [sketch(f"e{i}", edit_copy(seeds[4], rng), f"e{i}.example") for i in range(2)]
    first = find_copy_links(articles, SETTINGS)
    shuffled = articles[:]
    rng.shuffle(shuffled)
    assert find_copy_links(shuffled, SETTINGS) == first


def test_shingles_of_short_texts():
    hasher = ShingleHasher(5)
    assert hasher.shingles("").size == 0
    assert hasher.shingles("two words").size == 1
    # punctuation and case do not matter
    assert np.array_equal(hasher.shingles("A b, c d e!"), hasher.shingles("a B c D e"))
    assert re.sub(r"\W", "", "x") == "x"


def test_a_short_stub_is_not_a_near_copy_of_a_long_text_that_quotes_it():
    stub = "Copyright 2018 The Associated Press. All rights reserved. This material may not be published, broadcast, rewritten or redistributed."
    rng = random.Random(2)
    vocab = [f"w{i}" for i in range(2000)]
    long_texts = [" ".join(rng.choice(vocab) for _ in range(400)) + " " + stub for _ in range(3)]
    articles = [sketch("stub", stub)] + [
        sketch(f"long{i}", t, f"p{i}.example") for i, t in enumerate(long_texts)
    ]
    assert [
        link for link in find_copy_links(articles, SETTINGS) if "stub" in (link.a, link.b)
    ] == []
    twins = [sketch("s1", stub), sketch("s2", stub.upper(), "other.example")]
    assert [link.kind for link in find_copy_links(twins, SETTINGS)] == ["same_text"]


def groups_of(
    articles: list[ArticleSketch], settings: DedupeSettings = SETTINGS
) -> list[list[str]]:
    joined = UnionFind([a.article_id for a in articles])
    for link in find_copy_links(articles, settings):
        joined.union(link.a, link.b)
    return sorted(joined.groups().values())


def test_minhash_keys_one_per_bin_and_shared_as_jaccard(seeds):
    hasher = ShingleHasher(5)
    a, b = hasher.shingles(seeds[0]), hasher.shingles(seeds[2])
    keys_a, keys_b = minhash_keys(a, SETTINGS), minhash_keys(b, SETTINGS)
    bins = keys_a >> np.uint64(57)
    assert keys_a.size <= SETTINGS.minhash_bands and np.unique(bins).size == keys_a.size
    assert np.array_equal(keys_a, minhash_keys(a, SETTINGS))  # the same every time
    jaccard = np.intersect1d(a, b).size / np.union1d(a, b).size
    shared = np.intersect1d(keys_a, keys_b).size
    # about bands * Jaccard (0.41 * 128 = 52), far above what unrelated texts share
    assert 0.6 * jaccard * SETTINGS.minhash_bands < shared < 1.4 * jaccard * SETTINGS.minhash_bands
    unrelated = np.intersect1d(keys_a, minhash_keys(hasher.shingles(seeds[4]), SETTINGS)).size
    assert unrelated < SETTINGS.min_shared_bands


def test_an_excerpt_and_a_copy_buried_in_other_text_are_found(seeds):
    original = seeds[0]
    paragraphs = [p for p in original.split("\n") if p.strip()]
    excerpt = "\n".join(paragraphs[: max(2, len(paragraphs) // 3)])
    buried = "\n".join([seeds[3], original, seeds[4]])  # Jaccard about 0.25, containment 1
    articles = [
        sketch("orig", original),
        sketch("excerpt", excerpt, "brief.example"),
        sketch("buried", buried, "junk.example"),
        sketch("other", seeds[1], "rewrite.example"),
    ]
    assert groups_of(articles) == [["buried", "excerpt", "orig"], ["other"]]


def test_a_text_carried_by_more_sites_than_a_bucket_holds_is_one_group(seeds):
    rng = random.Random(5)
    articles = [sketch(f"c{i:02d}", edit_copy(seeds[0], rng), f"c{i}.example") for i in range(40)]
    articles.append(sketch("alone", seeds[4], "cnn.example"))
    settings = replace(SETTINGS, max_band_postings=3)
    assert groups_of(articles, settings) == [["alone"], [a.article_id for a in articles[:40]]]
    # each carrier was paired with the first three holders of each key only, not with all
    pairs = copy_candidates(
        [minhash_keys(ShingleHasher(5).shingles(a.text), settings) for a in articles], settings
    )
    assert len(pairs) < (40 * 39 // 2) / 2
    assert all(first < second for _, first, second in pairs)


def test_minhash_bands_must_be_a_power_of_two():
    with pytest.raises(InputError, match="power of two"):
        DedupeSettings(minhash_bands=100)


def test_candidates_counted_a_slice_of_texts_at_a_time_are_the_ones_counted_at_once(monkeypatch):
    import tasks.dedupe as dedupe

    settings = DedupeSettings(max_band_postings=5, min_shared_bands=2)
    rng = np.random.default_rng(7)
    keys = [
        np.unique(rng.integers(0, 40, int(rng.integers(0, 12))).astype(np.uint64))
        for _ in range(50)
    ]
    whole = dedupe.copy_candidates(keys, settings)
    assert len(whole) > 20
    for pairs_a_slice in (1, 7, 100):
        monkeypatch.setattr(dedupe, "CANDIDATE_SLICE", pairs_a_slice)
        assert dedupe.copy_candidates(keys, settings) == whole


def reader_of(articles: list[ArticleSketch], asked: list[list[str]]) -> TextReader:
    """A ``TextReader`` over the articles' texts that records what it was asked for."""
    texts = texts_in(articles)

    def read(article_ids):
        asked.append(list(article_ids))
        return texts(article_ids)

    return read


def test_shingled_pairs_read_a_window_of_texts_and_skip_pairs_no_longer_needed():
    words = [f"w{i}" for i in range(40)]
    articles = [sketch(f"t{n}", " ".join(words[n : n + 10])) for n in range(6)]
    pairs = [("t0", "t1"), ("t1", "t2"), ("t2", "t3"), ("t3", "t4"), ("t4", "t5"), ("t0", "gone")]
    asked: list[list[str]] = []
    unneeded: set[tuple[str, str]] = set()
    hasher = ShingleHasher(5)
    seen = []
    read = shingle_reader(reader_of(articles, asked), hasher)
    for position, first, second in shingled_pairs(
        pairs, read, lambda a, b: (a, b) not in unneeded, window=3
    ):
        a, b = pairs[position]
        assert np.array_equal(first, hasher.shingles(articles[int(a[1:])].text))
        assert np.array_equal(second, hasher.shingles(articles[int(b[1:])].text))
        seen.append(position)
        unneeded.add(("t3", "t4"))  # decided by the reader of the pairs as it goes
    assert seen == [0, 1, 2, 4]  # t3-t4 skipped as asked; t0 has no pair with "gone"
    assert all(len(ids) <= 3 for ids in asked)
    assert sorted(x for ids in asked for x in ids) == ["gone", "t0", "t1", "t2", "t3", "t4", "t5"]


def test_links_read_through_a_text_reader_are_the_ones_made_from_held_texts(seeds, monkeypatch):
    rng = random.Random(5)
    articles = [sketch(f"p{i}", t, f"s{i}.example") for i, t in enumerate(seeds)]
    articles += [sketch(f"e{i}", edit_copy(seeds[i % 2], rng), f"e{i}.example") for i in range(4)]
    held = find_copy_links(articles, SETTINGS)
    monkeypatch.setattr(dedupe, "TEXT_WINDOW", 2)
    asked: list[list[str]] = []
    bare = [replace(a, text="") for a in articles]
    assert find_copy_links(bare, SETTINGS, texts=reader_of(articles, asked)) == held
    assert asked[0] == ["e0", "e1"]  # keys made from texts read a window at a time


def test_verified_copies_take_sure_ones_and_check_the_others_texts(seeds):
    rng = random.Random(9)
    articles = [sketch("new", seeds[0]), sketch("copy", edit_copy(seeds[0], rng), "c.example")]
    articles += [sketch("other", seeds[3], "o.example")]
    candidates = [("new", "copy", False), ("new", "other", False), ("new", "wire", True)]
    candidates += [("new", "unread", False)]
    assert verified_copies(candidates, texts_in(articles), SETTINGS) == {"copy", "wire"}


def test_links_from_known_shingles_hash_no_text_for_them(seeds, monkeypatch):
    rng = random.Random(5)
    articles = [sketch(f"p{i}", t, f"s{i}.example") for i, t in enumerate(seeds)]
    articles += [sketch(f"e{i}", edit_copy(seeds[i % 2], rng), f"e{i}.example") for i in range(4)]
    held = find_copy_links(articles, SETTINGS)
    hasher = ShingleHasher(SETTINGS.shingle_size)
    known = {a.article_id: hasher.shingles(a.text) for a in articles if a.article_id != "e0"}
    asked: list[list[str]] = []

    def known_of(article_ids: list[str]) -> dict[str, np.ndarray]:
        return {a: known[a] for a in article_ids if a in known}

    keys = {a.article_id: minhash_keys(hasher.shingles(a.text), SETTINGS) for a in articles}
    read = reader_of(articles, asked)
    hashed: list[str] = []
    shingles = ShingleHasher.shingles
    by_text = {a.text: a.article_id for a in articles}

    def recorded(self: ShingleHasher, text: str) -> np.ndarray:
        hashed.append(by_text.get(text, "?"))
        return shingles(self, text)

    monkeypatch.setattr(ShingleHasher, "shingles", recorded)
    links = find_copy_links(articles, SETTINGS, keys, texts=read, known=known_of)
    assert links == held
    # Only the one not known is hashed (texts are read for it, and for the pairs of edited
    # copies whose figures are compared: ``other_figures``)
    assert hashed == ["e0"]


def test_two_pages_of_one_site_sharing_its_furniture_are_no_copies():
    # A company's press releases, each mostly its "About us", disclaimer and media contact
    # (more than a text may lose at its edges, so left in the stored text), were near
    # copies of each other: one story of a new chief executive and a product recall.
    from tasks.site_furniture import line_key

    boilerplate = [
        "About Acme Robotics: Acme Robotics designs, makes and services delivery robots for "
        "hospitals, warehouses and airports in forty countries, and employs 2,400 people. " * 3,
        "Forward-looking statements: this release contains statements about future events "
        "that involve risks and uncertainties, and actual results may differ materially. " * 3,
        "Media contact: the press office of Acme Robotics answers questions from reporters "
        "every weekday from nine in the morning to six in the evening, Central time. " * 2,
    ]
    ceo = (
        "Acme Robotics named Laura Chen its chief executive on Monday, succeeding the founder, "
        "who will remain chairman of the board after twelve years at the head of the company. "
        "Chen joined the company in 2015 from a maker of surgical instruments and has run its "
        "European business since 2019, where sales doubled under her."
    )
    recall = (
        "Acme Robotics is recalling 1,200 of its T4 hospital delivery robots after reports that "
        "a faulty brake sensor let several of them roll down ramps in three clinics last month. "
        "No patient was hurt, the company said; owners are asked to keep the robots off ramps "
        "until a technician has replaced the sensor, free of charge."
    )
    furniture = {"newsroom.acme.example": frozenset(line_key(line) for line in boilerplate)}
    first = sketch("ceo", "\n".join([ceo, *boilerplate]), "newsroom.acme.example")
    second = sketch("recall", "\n".join([recall, *boilerplate]), "newsroom.acme.example")
    assert [link.kind for link in find_copy_links([first, second], SETTINGS)] == ["near_copy"]
    assert find_copy_links([first, second], SETTINGS, furniture=furniture) == []
    # a story the site carried twice under two titles is still one text, furniture or not
    again = sketch("ceo2", "\n".join([ceo + " It was announced in Houston.", *boilerplate]),
                   "newsroom.acme.example")  # fmt: skip
    assert len(find_copy_links([first, again], SETTINGS, furniture=furniture)) == 1
    # and two sites' pages are weighed whole: one site's furniture is another's text
    elsewhere = replace(second, article_id="recall2", domain="wire.example")
    assert len(find_copy_links([first, elsewhere], SETTINGS, furniture=furniture)) == 1
