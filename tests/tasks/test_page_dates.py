"""Publication dates: the page's own markup in its own offset, never a teaser's date."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import lxml.html
import pytest

from tasks.page_dates import (
    MAX_DATEPARSER_LINES,
    byline_date,
    page_dates,
    parse_stamp,
    url_day,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def tree(head: str = "", body: str = "") -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


def jsonld(data: str) -> str:
    return f'<script type="application/ld+json">{data}</script>'


@pytest.mark.parametrize(
    ("value", "day", "offset"),
    [
        ("2024-03-09T23:30:00-05:00", date(2024, 3, 9), -300),
        ("2020-04-12T18:00:00-0700", date(2020, 4, 12), -420),
        ("2025-12-19T01:00:00+05:30", date(2025, 12, 19), 330),
        ("2025-12-19T01:00:00.976Z", date(2025, 12, 19), 0),
        ("2025-12-19T01:00:00", date(2025, 12, 19), None),  # no offset: the day as written
        ("2024-08-29", date(2024, 8, 29), None),
        ("Tue, 25 Nov 2025 05:00:00 -0800", date(2025, 11, 25), -480),
    ],
)
def test_a_date_keeps_the_day_and_offset_it_was_written_in(value, day, offset):
    stamp = parse_stamp(value, NOW)
    assert stamp is not None
    assert (stamp.day, stamp.offset_minutes) == (day, offset)


@pytest.mark.parametrize(
    "value", ["", "not a date", "March 27", "1970-01-01T00:00:00Z", "2031-01-01", None, 2024]
)
def test_implausible_or_unreadable_dates_are_none(value):
    assert parse_stamp(value, NOW) is None


def test_json_ld_with_an_integer_past_python_s_digit_limit_still_dates_the_page():
    # JSON sets no bound on a number; Python converts no integer of over 4,300 digits
    # from text, and the page's whole JSON-LD (its date, its author) was lost to one field.
    big = "9" * 4301
    page = tree(jsonld(f'{{"@type": "NewsArticle", "datePublished": "2024-03-05", "x": {big}}}'))
    found = page_dates(page, "https://example.com/news/a", now=NOW)
    assert found.published is not None and found.published.day == date(2024, 3, 5)
    assert found.source == "json-ld"


ARTICLE = "<h1>Ferry vote</h1>" + "<p>The harbour council voted on the ferry timetable.</p>" * 9


@pytest.mark.parametrize(
    ("head", "body"),
    [
        ('<meta name="date" content="2024-02-30">', ""),  # no such day
        ("", jsonld('{"@type": "NewsArticle", "datePublished": "2024-02-30T25:61:00+99:00"}')),
        ("", "<p class='date'>February 2024</p>"),  # a month, and no day of it
    ],
)
def test_a_date_without_a_day_the_page_writes_is_no_date(head, body):
    # htmldate reads what it can of it, the month, and makes its first day up: an
    # impossible date was stored as 1 February, dating the story and choosing its origin.
    found = page_dates(tree(head, ARTICLE + body), "https://example.com/news/a", now=NOW)
    assert found.published is None


@pytest.mark.parametrize(
    "written",
    [
        "<p class='date'>February 01, 2022</p>",
        "<p>Posted 1 février 2022</p>",
        "<time datetime='2022-02-01T09:00:00'>Tuesday</time>",
        "<p>01.02.2022</p>",
    ],
)
def test_the_first_of_a_month_the_page_writes_is_its_date(written):
    found = page_dates(tree("", ARTICLE + written), "https://example.com/news/a", now=NOW)
    assert found.published is not None and found.published.day == date(2022, 2, 1)


def test_json_ld_article_date_wins_over_the_teasers_it_lists():
    page = tree(
        jsonld(
            '{"@context": "https://schema.org", "@graph": ['
            '{"@type": "ItemList", "itemListElement": [{"@type": "ListItem", "item":'
            ' {"@type": "NewsArticle", "datePublished": "2019-06-01T10:00:00Z"}}]},'
            '{"@type": "WebPage", "datePublished": "2024-03-01T00:00:00Z"},'
            '{"@type": "NewsArticle", "datePublished": "2024-03-09T23:30:00-05:00",'
            ' "dateModified": "2024-03-11T08:15:00-05:00"}]}'
        )
    )
    found = page_dates(page, "https://example.com/news/a", now=NOW)
    assert found.source == "json-ld"
    assert found.published is not None and found.modified is not None
    assert found.published.day == date(2024, 3, 9)  # not 2024-03-10, the UTC day
    assert found.published.offset_minutes == -300
    assert found.modified.day == date(2024, 3, 11)


def test_updated_date_beside_a_published_one_is_kept_apart():
    page = tree(
        '<meta property="article:modified_time" content="2025-01-05T17:20:00+01:00">'
        '<meta property="article:published_time" content="2021-03-03T09:00:00+01:00">'
    )
    found = page_dates(page, "https://example.com/plants/repot", now=NOW)
    assert found.source == "meta"
    assert found.published is not None and found.published.day == date(2021, 3, 3)
    assert found.modified is not None and found.modified.day == date(2025, 1, 5)


def test_microdata_dates_of_teaser_cards_do_not_date_the_page():
    card = (
        '<div itemscope itemtype="https://schema.org/Article"><a href="/x">Teaser</a>'
        '<time itemprop="datePublished" datetime="{}">then</time></div>'
    )
    page = tree(body=card.format("2019-06-01T10:00:00Z") + card.format("2018-02-14T10:00:00Z"))
    assert page_dates(page, "https://example.com/a", now=NOW).source != "microdata"


def test_microdata_date_of_the_page_itself_is_read():
    page = tree(
        body='<article itemscope itemtype="https://schema.org/BlogPosting"><h1>Title</h1>'
        '<time itemprop="datePublished" datetime="2023-05-17T08:00:00+02:00">May 17</time>'
        '<div itemscope itemtype="https://schema.org/Comment">'
        '<time itemprop="datePublished" datetime="2023-06-01T08:00:00Z">June 1</time></div>'
        "</article>"
    )
    found = page_dates(page, "https://example.com/a", now=NOW)
    assert found.source == "microdata"
    assert found.published is not None and found.published.day == date(2023, 5, 17)


def test_a_utc_time_takes_the_publishers_day_from_its_own_url():
    page = tree('<meta property="article:published_time" content="2025-12-19T02:41:41+00:00">')
    found = page_dates(page, "https://blog.example.com/2025/12/18/post-title", now=NOW)
    assert found.published is not None and found.published.day == date(2025, 12, 18)
    elsewhere = page_dates(page, "https://blog.example.com/post-title", now=NOW)
    assert elsewhere.published is not None and elsewhere.published.day == date(2025, 12, 19)


def test_the_page_url_dates_a_page_whose_markup_is_silent():
    page = tree(body="<h1>Title</h1><p>Text.</p>")
    found = page_dates(page, "https://example.com/2022/07/04/title/", now=NOW)
    assert (found.source, found.published and found.published.day) == ("url", date(2022, 7, 4))
    assert url_day("https://example.com/news/title") is None


_IMPORTED = '<meta property="article:published_time" content="2024-08-07T10:00:00+00:00">'


@pytest.mark.parametrize(
    ("head", "shown", "day", "source"),
    [
        # The markup's date is shown nowhere; the dateline is: a CMS's import stamp.
        (_IMPORTED, "December 30, 2013", date(2013, 12, 30), "byline"),
        # The markup's date is shown further down the page: it stands.
        (_IMPORTED, "December 30, 2013</div><p>Moved here on August 7, 2024.</p><div>",
         date(2024, 8, 7), "meta"),
        # One instant in two time zones, a day apart: the markup's instant stands.
        (_IMPORTED, "August 6, 2024", date(2024, 8, 7), "meta"),
        # The markup's own day written month first and read day first: the same date.
        (_IMPORTED.replace("08-07", "09-10"), "09.10.2024", date(2024, 9, 10), "meta"),
        # The dateline is the markup's modification date: an update line, not a publication.
        (_IMPORTED + '<meta property="article:modified_time" content="2025-02-01T10:00:00Z">',
         "February 1, 2025", date(2024, 8, 7), "meta"),
    ],
)  # fmt: skip
def test_a_markup_date_the_page_never_shows_gives_way_to_its_dateline(head, shown, day, source):
    page = tree(head, f"<h1>A headline</h1><div>{shown}</div><p>Text of the piece.</p>")
    found = page_dates(page, "https://example.com/a-piece", now=NOW)
    assert (found.source, found.published and found.published.day) == (source, day)


def test_byline_date_beside_the_headline_skips_an_update_label():
    page = tree(
        body="<nav><a href='/'>Home</a></nav><h1>A headline</h1>"
        "<div>Last updated: <span>January 5, 2025</span></div>"
        "<div>Published 3 March 2021 by A. Writer</div><p>Text.</p>"
    )
    stamp = byline_date(page, NOW)
    assert stamp is not None and stamp.day == date(2021, 3, 3)


@pytest.mark.parametrize(
    ("line", "day"),
    [
        ("Publié le 1er octobre 2023 à 23h45, mis à jour le 2 octobre 2023", date(2023, 10, 1)),
        ("Publicado el 1º de octubre de 2023", date(2023, 10, 1)),
    ],
)
def test_the_first_of_a_month_is_read_as_french_and_spanish_write_it(line, day):
    page = tree(body=f"<h1>Un titre</h1><div>{line}</div><p>Texte de l'article.</p>")
    stamp = byline_date(page, NOW)
    assert stamp is not None and stamp.day == day


def test_a_date_the_text_first_had_at_another_outlet_is_not_the_page_s():
    # A piece republished from The Conversation: its note under the headline gives the
    # original's date; the site's own date is in the footer.
    note = "This article was originally published on The Conversation on September 8, 2023."
    page = tree(
        body=f"<h1>Why the river floods</h1><p><em>{note}</em></p><p>{'Text. ' * 60}</p>"
        "<footer><span>Published September 14, 2023</span></footer>"
    )
    found = page_dates(page, "https://blog.example/why-the-river-floods/", now=NOW)
    assert found.published is not None and found.published.day == date(2023, 9, 14)
    # "Originally published" before its own date is the page's first publication
    own = tree(
        body="<h1>Why the river floods</h1><div>Originally published on September 8, 2023"
        f"</div><p>{'Text. ' * 60}</p>"
    )
    stamp = byline_date(own, NOW)
    assert stamp is not None and stamp.day == date(2023, 9, 8)


def test_a_line_that_says_when_the_story_was_published_dates_it_wherever_it_stands():
    # An alternative weekly's own line after its text; htmldate took the oldest date of a
    # box of two related links.
    related = (
        "<aside><h2>Related</h2><ul><li><a href='/a'>Old bridge closes</a> <span>August 2,"
        " 2023</span></li><li><a href='/b'>Bridge work begins</a> <span>August 20, 2023"
        "</span></li></ul></aside>"
    )
    page = tree(
        body=f"<h1>Bridge reopens</h1>{('<p>' + 'Text of the piece. ' * 15 + '</p>') * 14}"
        "<p><em>This story was published <time>September 6, 2023</time>.</em></p>" + related
    )
    found = page_dates(page, "https://weekly.example/news/bridge-reopens", now=NOW)
    assert (found.source, found.published and found.published.day) == ("text", date(2023, 9, 6))


def test_a_page_repeating_that_it_was_published_is_read_in_bounded_time():
    spans = "<span>x</span> This story was published on" * 20_000
    page = tree(body=f"<h1>Bridge reopens</h1><div>{spans} September 6, 2023.</div>")
    started = time.perf_counter()
    page_dates(page, "https://weekly.example/news/bridge-reopens", now=NOW)
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://weekly.example/news/20230914-bridge-reopens", date(2023, 9, 14)),
        ("https://weekly.example/news/bridge-reopens-20230914.html", date(2023, 9, 14)),
        ("https://weekly.example/news/2023091455-bridge", None),  # a longer number
        ("https://weekly.example/news/20231344-bridge", None),  # no such month
    ],
)
def test_a_day_the_address_writes_in_eight_digits_dates_a_page_that_says_nothing(url, day):
    page = tree(body=f"<h1>Bridge reopens</h1><p>{'Text of the piece. ' * 30}</p>")
    found = page_dates(page, url, now=NOW)
    assert (found.published and found.published.day) == day


def test_minified_teasers_whose_dates_touch_their_links_do_not_date_the_page():
    # Minified markup sets each teaser's date right after its link ("...waterfront</a><span>
    # Feb. 27, 2024"): read as one text, "waterfrontFeb" is no date, the teasers stayed in
    # and the full search took the oldest of their dates for a page showing "3 hours ago".
    teasers = "".join(
        f'<li class="t"><a href="/n{n}">Storm damage along the waterfront {n}</a>'
        f'<span class="d">Feb. 2{n}, 2024</span></li>'
        for n in range(5, 8)
    )
    page = tree(
        body="<h1>Earthquake shakes region</h1><div>By A. Writer <span>3 hours ago</span></div>"
        "<p>A magnitude 4.6 earthquake shook buildings across the region on Tuesday.</p>"
        f'<aside><h2>More news</h2><ul class="more">{teasers}</ul></aside>'
    )
    assert page_dates(page, "https://example.com/news/earthquake-8140", now=NOW).published is None


def test_a_dateline_in_a_time_element_is_read_from_its_datetime_not_guessed():
    # "03/01/2017" could be either day; the element's datetime says which. The sidebar's
    # dated teasers above the headline are other pages', even with their dates in numbers.
    teasers = "".join(
        f'<li><a href="/n{n}">News {n}</a><time datetime="2025-12-1{n}T12:00:00Z">'
        f"12/1{n}/2025</time></li>"
        for n in range(3)
    )
    page = tree(
        body=f"<aside><ul>{teasers}</ul></aside><h1>A headline</h1>"
        '<div><time datetime="2017-03-01T12:00:00Z">03/01/2017</time> by A. Writer</div>'
        "<p>Text of the piece.</p>"
    )
    found = page_dates(page, "https://example.com/a-piece", now=NOW)
    assert found.source == "byline"
    assert found.published is not None and found.published.day == date(2017, 3, 1)
    assert found.published.offset_minutes == 0


@pytest.mark.parametrize(
    ("label", "shown", "day"),
    [
        ("", "August 28, 2024", date(2024, 12, 20)),  # words and markup disagree: the markup
        ("", "December 21, 2024", date(2024, 12, 21)),  # a day apart: UTC, shown locally
        ("", "12/20/2024 11:30 PM", date(2024, 12, 20)),
        ("Updated:", "December 20, 2024", None),
        ("", "<strong>Last Updated:</strong> December 20, 2024", None),  # the label inside it
        ("", "<span>Posted:</span> December 20, 2024", date(2024, 12, 20)),
    ],
)
def test_a_time_elements_datetime_against_the_words_it_shows(label, shown, day):
    page = tree(
        body=f"<h1>A headline</h1><div>{label}<time datetime='2024-12-20T23:30:00Z'>{shown}"
        "</time></div><p>Text.</p>"
    )
    stamp = byline_date(page, NOW)
    assert (stamp.day if stamp else None) == day


@pytest.mark.parametrize(
    ("shown", "day"),
    [
        ("By: FlowGuard EMEA on 04-ago-2021 5:11:10", date(2021, 8, 4)),
        ("Veröffentlicht am 3. März 2024", date(2024, 3, 3)),
        ("Publicado el 3 de marzo de 2024", date(2024, 3, 3)),
        ("Publié le 12 août 2023", date(2023, 8, 12)),
        ("Posted 04-Aug-2021", date(2021, 8, 4)),
        ("发布时间：2024年3月5日 14:30", date(2024, 3, 5)),  # no space around the date
        ("2023年09月15日 来源：新华网", date(2023, 9, 15)),
        ("公開日：2024年3月5日", date(2024, 3, 5)),
        ("입력 2024년 3월 5일 오후 2:30", date(2024, 3, 5)),
    ],
)
def test_a_dateline_in_another_language_dates_the_page(shown, day):
    page = tree(body=f"<h1>A headline</h1><div>{shown}</div><p>Text of the piece.</p>")
    found = page_dates(page, "https://example.com/a-piece", now=NOW)
    assert (found.source, found.published and found.published.day) == ("byline", day)


def test_a_date_in_running_text_or_far_from_the_headline_is_no_byline():
    sentence = "The treaty was signed on 12 May 1998 and ratified by parliament a year later. " * 3
    page = tree(body=f"<h1>A headline</h1><p>{sentence}</p>")
    assert byline_date(page, NOW) is None


def test_dates_in_links_to_other_articles_are_not_the_pages_date():
    links = "".join(
        f'<li><a href="https://example.com/2019/0{m}/1{m}/story-{m}">Story {m}</a></li>'
        for m in range(1, 6)
    )
    page = tree(body=f"<h1>About us</h1><p>We write about things.</p><ul>{links}</ul>")
    found = page_dates(page, "https://example.com/about", now=NOW)
    assert found.published is None or found.published.day.year != 2019


def undated_page(lines: list[str]) -> lxml.html.HtmlElement:
    """A page whose markup, address and headline give no date: only htmldate's search of
    its text can date it."""
    return tree(body="".join(f"<p>{line}</p>" for line in lines))


def test_a_page_of_thousands_of_date_like_lines_is_searched_in_bounded_time():
    """htmldate hands each line its own patterns cannot read to dateparser (20 to 160 ms a
    line): this page of 5,000 of them took 93 s, past max_extract_s, and was lost."""
    page = undated_page([f"Issue {n % 28 + 1} of 2024, volume {n}" for n in range(5_000)])
    started = time.monotonic()
    found = page_dates(page, "https://example.com/issues", now=NOW)
    assert time.monotonic() - started < 10
    assert found.source in (None, "htmldate")


def test_a_line_given_up_on_is_still_read_on_the_next_page():
    """Only dateparser reads this line. Past the page's budget it is given up on, and must
    not be remembered as undatable: htmldate caches what its parsing returns, line by line."""
    polish = "12 października 2024 r."
    filler = [f"Issue {n % 28 + 1} of 2024, volume {n}" for n in range(MAX_DATEPARSER_LINES * 2)]
    page_dates(undated_page([*filler, polish]), "https://example.com/issues", now=NOW)
    found = page_dates(undated_page(["A note.", polish]), "https://example.com/note", now=NOW)
    assert (found.source, found.published and found.published.day) == (
        "htmldate",
        date(2024, 10, 12),
    )


def test_an_update_line_dates_a_page_that_shows_no_other_date():
    """Where the markup says nothing and the headline has only an "Updated ..." line beside
    it, that is the page's date (the latest it was published), not the oldest date htmldate
    finds elsewhere on the page (a comment's)."""
    paragraphs = "".join(f"<p>Paragraph {n} of the piece.</p>" for n in range(20))
    page = tree(
        body="<h1>A headline</h1><div><span>Updated:</span> <span>December 31, 2024</span></div>"
        f"{paragraphs}<div class='comment'><p>Posted on April 7, 2023 by a reader</p></div>"
    )
    found = page_dates(page, "https://example.com/a-piece", now=NOW)
    assert found.source == "updated"
    assert found.published is not None and found.published.day == date(2024, 12, 31)
    assert found.modified is not None and found.modified.day == date(2024, 12, 31)


@pytest.mark.parametrize(
    "update",
    ["Last updated: <span>January 5, 2025</span>", "Last updated: January 5, 2025"],
)
def test_an_update_line_never_stands_in_for_a_shown_publication_date(update):
    page = tree(body=f"<h1>A headline</h1><div>{update}</div><div>3 March 2021</div><p>Text.</p>")
    found = page_dates(page, "https://example.com/a-piece", now=NOW)
    assert (found.source, found.published and found.published.day) == ("byline", date(2021, 3, 3))


def test_an_update_line_in_chinese_is_an_update_not_the_publication_date():
    # and a dateline after an update line is not labelled by it
    page = tree(
        body="<h1>港口改造计划仍未决定</h1><div>更新时间：2025年1月5日</div>"
        "<div>发布时间：2021年3月3日</div><p>正文。</p>"
    )
    found = page_dates(page, "https://example.cn/a-piece", now=NOW)
    assert (found.source, found.published and found.published.day) == ("byline", date(2021, 3, 3))


_PUBLISHED_5_MARCH = jsonld(
    '{"@type": "NewsArticle", "datePublished": "2024-03-05T09:12:00+01:00"}'
)


@pytest.mark.parametrize(
    "update",
    [
        "Actualizado: 10 de marzo de 2024",
        "Atualizado em 10 de março de 2024",
        "Mis à jour le 10 mars 2024",
        "Aktualisiert am 10.03.2024",
        "Stand: 10.03.2024, 14:20 Uhr",
        "Aggiornato il 10 marzo 2024",
        "Bijgewerkt op 10 maart 2024",
    ],
)
def test_an_update_line_in_another_language_is_no_publication_date(update):
    """A European paper often shows only its update line beside the headline: read as a
    dateline, it replaced the markup's publication date (which the page shows nowhere)."""
    page = tree(_PUBLISHED_5_MARCH, f"<h1>Ein Titel</h1><div>{update}</div><p>Text.</p>")
    found = page_dates(page, "https://zeitung.example.de/lokales/ein-titel-1234.html", now=NOW)
    assert (found.source, found.published and found.published.day) == (
        "json-ld",
        date(2024, 3, 5),
    )


@pytest.mark.parametrize(
    ("update", "published"),
    [
        ("Aktualisiert am 07.03.2024", "Veröffentlicht am 05.03.2024"),
        ("Mis à jour le 7 mars 2024", "Publié le 5 mars 2024"),
        ("Actualizado: 07/03/2024", "Publicado el 5 de marzo de 2024"),
    ],
)
def test_a_dateline_after_an_update_line_in_another_language_dates_the_page(update, published):
    page = tree(body=f"<h1>Un titre</h1><div>{update}</div><div>{published}</div><p>Text.</p>")
    found = page_dates(page, "https://journal.example.fr/local/un-titre_48.html", now=NOW)
    assert (found.source, found.published and found.published.day) == ("byline", date(2024, 3, 5))


@pytest.mark.parametrize(
    ("update", "published"),
    [
        ("Обновлено: 07.03.2024", "5 марта 2024, 10:15"),
        ("Оновлено 07.03.2024", "5 березня 2024"),
        ("Güncelleme: 07.03.2024", "5 Mart 2024"),
        ("Τελευταία ενημέρωση: 07/03/2024", "5 Μαρτίου 2024"),
        ("Diperbarui 07/03/2024", "5 Maret 2024"),
        ("Aktualizacja: 07.03.2024", "5 marca 2024"),
        ("आखिरी अपडेट: 07/03/2024", "5 मार्च 2024"),
        ("آخر تحديث: 07/03/2024", "5 مارس 2024"),
        ("עודכן: 07.03.2024", "5 במרץ 2024"),
        ("수정 2024.03.07 11:20", "입력 2024.03.05 09:12"),
        ("อัปเดต 7 มี.ค. 67", "5 มีนาคม พ.ศ. 2567"),  # the Buddhist era's years
    ],
)  # fmt: skip
def test_a_dateline_in_another_script_dates_the_page_not_its_update_line(update, published):
    # Month names (and a year-first date in numbers) these sites write were not read, and
    # the update line, or htmldate's guess, dated the page.
    page = tree(body=f"<h1>Заголовок</h1><div>{update}</div><div>{published}</div><p>Текст.</p>")
    found = page_dates(page, "https://novosti.example/society/zagolovok-18234", now=NOW)
    assert (found.source, found.published and found.published.day) == ("byline", date(2024, 3, 5))


def test_teaser_cards_written_as_article_elements_do_not_date_the_page():
    """WordPress, Ghost and many CMSs write each teaser card as an <article>: the search for
    alike dated teasers stopped at any <article>, and an undated story took the date of the
    first card after it."""
    cards = "".join(
        f'<article class="teaser"><h3><a href="/news/n{n}">Other story {n}</a></h3>'
        f'<time datetime="2024-02-2{n}T09:00:00-05:00">Feb. 2{n}, 2024</time></article>'
        for n in range(3)
    )
    page = tree(
        body='<main><article class="post"><h1>Dog rescued from frozen pond</h1>'
        "<p>Daily Record staff</p><p>A dog was pulled from the pond.</p></article>"
        f'<section class="more"><h2>More local news</h2>{cards}</section></main>'
    )
    found = page_dates(page, "https://www.example.com/news/dog-rescued", now=NOW)
    assert found.published is None or found.published.day not in {
        date(2024, 2, 20),
        date(2024, 2, 21),
        date(2024, 2, 22),
    }
    # the page's own story, an <article> holding the headline, keeps its dateline
    story = tree(
        body='<main><article class="post"><h1>A headline</h1><time datetime="2024-03-01">'
        f"March 1, 2024</time><p>Text.</p></article>{cards}</main>"
    )
    dated = page_dates(story, "https://www.example.com/news/a-headline", now=NOW)
    assert dated.published is not None and dated.published.day == date(2024, 3, 1)


@pytest.mark.parametrize(
    ("lang", "url", "shown", "day"),
    [
        # American English writes the month first
        ("en", "https://www.valleyherald.com/news/a", "03/05/2024 10:21 AM", date(2024, 3, 5)),
        ("en-US", "https://www.valleyherald.com/news/a", "Posted 3/5/2024", date(2024, 3, 5)),
        # English elsewhere, and other languages, the day
        ("en-GB", "https://www.example.com/news/a", "03/05/2024 10:21", date(2024, 5, 3)),
        ("en", "https://www.localpaper.co.uk/news/a", "03/05/2024", date(2024, 5, 3)),
        ("it", "https://www.gazzetta.example.it/a", "Pubblicato il 3/5/2024", date(2024, 5, 3)),
        # a date that can be read one way only is read so, whatever the page's language
        ("", "https://www.example.com/news/a", "03/25/2024", date(2024, 3, 25)),
        ("en", "https://www.example.com/news/a", "25/03/2024", date(2024, 3, 25)),
        # dots: the day first, in every language
        ("en", "https://www.example.com/news/a", "5.3.2024", date(2024, 3, 5)),
        ("", "https://www.example.com/news/a", "5.3.2024", date(2024, 3, 5)),
    ],
)
def test_a_dateline_in_numbers_is_read_in_the_pages_own_order(lang, url, shown, day):
    attribute = f' lang="{lang}"' if lang else ""
    page = lxml.html.document_fromstring(
        f"<html{attribute}><body><h1>Council votes on the plan</h1><div>{shown}</div>"
        "<p>Text of the piece.</p></body></html>"
    )
    found = page_dates(page, url, now=NOW)
    assert (found.source, found.published and found.published.day) == ("byline", day)


def test_a_dateline_in_numbers_on_a_page_that_does_not_say_its_language_is_not_guessed():
    page = lxml.html.document_fromstring(
        "<html><body><h1>Council votes</h1><div>03/05/2024</div><p>Text.</p></body></html>"
    )
    assert byline_date(page, NOW, url="https://www.example.com/news/a") is None


@pytest.mark.parametrize(
    ("head", "day"),
    [
        # a British company's page at a .com address, lang="en": its og:locale says en_GB
        ('<meta property="og:locale" content="en_GB">', date(2023, 10, 3)),
        ('<link rel="alternate" hreflang="EN-GB" href="https://www.example.com/a">',
         date(2023, 10, 3)),
        ('<meta property="og:locale" content="en_US">', date(2023, 3, 10)),
    ],
)  # fmt: skip
def test_the_declared_locale_says_which_number_is_the_month(head, day):
    page = lxml.html.document_fromstring(
        f'<html lang="en"><head>{head}</head><body><h1>How many wine styles are there?</h1>'
        "<div>03/10/2023</div><p>Text of the piece.</p></body></html>"
    )
    found = page_dates(page, "https://www.example.com/blog/wine-styles", now=NOW)
    assert (found.source, found.published and found.published.day) == ("byline", day)


def test_readers_comments_do_not_date_the_post():
    # A post that shows no date of its own was dated by its first comment (WordPress's
    # and Disqus's threads under it)
    body = (
        "<main><article><h1>Fixing the boiler</h1>"
        + "<p>We had the same problem all winter, and this is what we did about it.</p>" * 6
        + "</article>"
        '<section id="comments" class="comments-area"><ol class="comment-list">'
        '<li class="comment"><b>Gareth</b> <time datetime="2025-01-09T20:12:00+00:00">'
        "January 9, 2025 at 8:12 pm</time><p>Great write-up, thanks.</p></li>"
        '<li class="comment"><b>Priya</b> <time datetime="2025-01-10T07:40:00+00:00">'
        "January 10, 2025 at 7:40 am</time><p>Could you share the settings?</p></li>"
        "</ol></section></main>"
    )
    found = page_dates(tree(body=body), "https://blog.example/fixing-the-boiler/", now=NOW)
    assert found.published is None
    # a post's own dateline is read as before
    dated = body.replace("</h1>", "</h1><p class='byline'>March 3, 2024</p>")
    found = page_dates(tree(body=dated), "https://blog.example/fixing-the-boiler/", now=NOW)
    assert found.published is not None and found.published.day == date(2024, 3, 3)


@pytest.mark.parametrize(
    "above",
    [
        # a ticker's one teaser
        '<div class="ticker"><strong>Latest:</strong> <a href="/news/storm">Storm warning'
        " lifted</a> <span>12 March 2024</span></div>",
        # a "Most read" box before the story, two teasers (three alike make a list)
        '<ul class="most-read"><li><a href="/a">Council approves new cycle lanes</a>'
        " <time>March 1, 2024</time></li><li><a href='/b'>Ten years of the market</a>"
        " <time>February 27, 2024</time></li></ul>",
    ],
)
def test_a_teaser_s_date_above_the_headline_does_not_date_the_story(above):
    body = (
        f"<main>{above}<article><h1>Library extension approved</h1>"
        "<div class='byline'>By Beth Moore · 14 March 2024</div>"
        + "<p>The council approved the extension of the library after a long campaign.</p>" * 5
        + "</article></main>"
    )
    found = page_dates(tree(body=body), "https://town.example/news/library", now=NOW)
    assert found.published is not None and found.published.day == date(2024, 3, 14)


@pytest.mark.parametrize(
    ("menu", "kicker"),
    [
        ("", "<a href='/news/'>News</a>"),
        # a section of three words or more, linked as a teaser's headline is: the site's
        # menu links to it too
        (
            "<nav><a href='/world/'>World</a> <a href='/world/europe/'>Europe and Central"
            " Asia</a></nav>",
            "<a href='/world/europe/'>Europe and Central Asia</a>",
        ),
    ],
)
def test_a_kicker_s_date_above_the_headline_still_dates_the_story(menu, kicker):
    body = (
        f"{menu}<main><article><div class='kicker'>{kicker} | March 3, 2024</div>"
        "<h1>Library extension approved</h1>"
        + "<p>The council approved the extension of the library after a long campaign.</p>" * 5
        + "</article></main>"
    )
    found = page_dates(tree(body=body), "https://town.example/news/library", now=NOW)
    assert found.published is not None and found.published.day == date(2024, 3, 3)
    assert found.source == "byline"  # not htmldate's guess, where it was skipped


@pytest.mark.parametrize(
    ("opening", "day"),
    [
        ("SAN FRANCISCO, March 5, 2024 /PRNewswire/ -- Acme Robotics today announced", date(2024, 3, 5)),
        ("BERLIN (5. März 2024) – Die Stadt hat heute beschlossen", date(2024, 3, 5)),
        ("LONDON, 5 March 2024 (Reuters) - Britain said on Tuesday", date(2024, 3, 5)),
    ],
)  # fmt: skip
def test_a_dateline_that_opens_the_first_paragraph_dates_a_press_release(opening, day):
    paragraph = opening + ", " + "raising money for the new plant and its workers " * 4
    body = (
        f"<main><article><h1>Acme raises $40 million</h1><p>{paragraph}</p>"
        + "<p>The company plans to double its headcount over the next two years.</p>" * 4
        + "</article></main><footer>© 2025 Acme News. Site updated 2025-11-02.</footer>"
    )
    found = page_dates(tree(body=body), "https://news.example/acme-series-b", now=NOW)
    assert found.published is not None and found.published.day == day


@pytest.mark.parametrize(
    ("lang", "url", "sidebar", "day"),
    [
        # a London paper at a .com address that says only lang="en": its other dates in
        # numbers put the day first
        ("en", "https://www.londonledger.com/news/a", "31/01/2025", date(2025, 2, 3)),
        # an American site that declares no language: its other dates put the month first
        ("", "https://www.valleypost.example/news/a", "02/27/2025", date(2025, 3, 2)),
    ],
)
def test_a_dateline_in_numbers_is_read_in_the_order_of_the_pages_other_dates(
    lang, url, sidebar, day
):
    attribute = f' lang="{lang}"' if lang else ""
    page = lxml.html.document_fromstring(
        f"<html{attribute}><body><h1>Council votes on the plan</h1><div>03/02/2025</div>"
        "<p>Text of the piece.</p><aside><ul><li><a href='/b'>Bridge reopens after repairs"
        f"</a> {sidebar}</li></ul></aside></body></html>"
    )
    found = page_dates(page, url, now=NOW)
    assert (found.source, found.published and found.published.day) == ("byline", day)


def test_a_live_blog_that_gives_only_when_its_coverage_began_is_dated_by_it():
    page = tree(
        jsonld(
            '{"@type": "LiveBlogPosting", "headline": "Storm live",'
            ' "coverageStartTime": "2025-03-04T06:00:00-05:00"}'
        ),
        "<h1>Storm live</h1><p>Updates as they come.</p>",
    )
    found = page_dates(page, "https://example.com/live/storm", now=NOW)
    assert (found.source, found.published and found.published.day) == ("json-ld", date(2025, 3, 4))


@pytest.mark.parametrize(
    "byline",
    [
        "<div class='byline'>By Ana Ruiz · 03/03/2025</div>",  # in numbers, month first
        "<div class='byline'>By Ana Ruiz · <time datetime='2025-03-03T09:00:00-05:00'>5 hours"
        " ago</time></div>",
    ],
)
def test_a_markup_date_the_byline_shows_in_numbers_stands_against_a_date_in_the_summary(byline):
    # the summary under the headline names a deadline; the byline shows the markup's day,
    # in a form the page's words do not spell out
    page = lxml.html.document_fromstring(
        '<html lang="en-US"><head><meta property="article:published_time"'
        ' content="2025-03-03T09:00:00-05:00"></head><body><h1>Filing rule delayed</h1>'
        "<p class='dek'>Companies now have until June 30, 2025</p>"
        f"{byline}<p>{'Text of the piece. ' * 20}</p></body></html>"
    )
    found = page_dates(page, "https://example.com/business/filing-rule", now=NOW)
    assert (found.source, found.published and found.published.day) == ("meta", date(2025, 3, 3))


@pytest.mark.parametrize(
    ("paragraph", "day"),
    [
        # a short paragraph of the story that tells of a day to come is no dateline
        ("The vote on March 15, 2025, will decide whether the levy stays on the ballot.", None),
        ("Il voto è fissato per il 15 marzo 2025, dopo la pausa delle feste di carnevale.", None),
        # a dateline is one, however it is worded
        ("Published on Monday, March 3, 2025 at 10:45 a.m. by the city desk.", date(2025, 3, 3)),
        ("Posted by Jane Doe on March 3, 2025.", date(2025, 3, 3)),
        ("March 3, 2025", date(2025, 3, 3)),
    ],
)
def test_a_short_sentence_of_the_story_with_a_date_is_no_dateline(paragraph, day):
    page = tree(body=f"<h1>Levy vote set</h1><p>{paragraph}</p><p>{'More text. ' * 30}</p>")
    found = byline_date(page, NOW, url="https://example.com/news/levy-vote")
    assert (found and found.day) == day


def test_a_date_a_sentence_quotes_does_not_set_the_pages_order():
    # an American page (lang="en" at a .com) quoting a British notice's date in its story
    page = lxml.html.document_fromstring(
        '<html lang="en"><body><h1>Visa delays grow</h1><div>02/03/2025</div><p>The office'
        " sent a notice dated 31/01/2025 to every applicant still waiting for an answer.</p>"
        "</body></html>"
    )
    found = page_dates(page, "https://www.techdesk.example/news/visa-delays", now=NOW)
    assert (found.source, found.published and found.published.day) == ("byline", date(2025, 2, 3))


def test_a_previews_coverage_that_begins_after_its_last_change_is_no_publication():
    page = tree(
        jsonld(
            '{"@type": "LiveBlogPosting", "headline": "Cup final live",'
            ' "coverageStartTime": "2025-03-08T15:00:00+00:00",'
            ' "dateModified": "2025-03-07T09:00:00+00:00"}'
        ),
        "<h1>Cup final live</h1><p>Kick-off is on Saturday.</p>",
    )
    found = page_dates(page, "https://example.com/live/cup-final", now=NOW)
    assert found.source != "json-ld"


@pytest.mark.parametrize(
    "line",
    [
        "This column appeared in the print edition of the Ledger on March 10, 2025.",
        "Cet article a paru dans notre édition papier du 10 mars 2025, page trois.",
    ],
)
def test_a_line_that_says_when_the_story_ran_in_print_is_its_dateline(line):
    page = tree(body=f"<h1>Password managers</h1><p>{line}</p><p>{'Text. ' * 60}</p>")
    found = byline_date(page, NOW, url="https://example.com/columns/password-managers")
    assert found is not None and found.day == date(2025, 3, 10)
