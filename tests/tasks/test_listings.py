"""Tests for tasks.listings: real feeds and sitemaps from /work/shared/eval, then synthetic
edge cases (encodings, xml:base, gzip bombs, XXE, truncation, date formats)."""

from __future__ import annotations

import gzip
import html
import json
import re
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tasks import listings as discover
from tasks.listings import (
    is_http_url,
    parse_date,
    parse_feed,
    parse_sitemap,
    parse_url_list,
    sitemaps_from_robots,
)
from wirehouse.errors import InputError, ParseError
from wirehouse.records import Link

SHARED = Path(__file__).resolve().parents[3] / "shared" / "eval" / "feeds-sitemaps"
FEED_URL = "https://feeds.example.com/rss"


def _shared(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"shared eval data not available: {path}")
    return path


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def urls(links: list[Link]) -> list[str]:
    return [link.url for link in links]


# --------------------------------------------------------------------------- real feeds

RSS_PARSER_CASES = [
    "content-encoded.rss",
    "craigslist.rss",
    "encoding.rss",
    "feedburner.atom",
    "guardian.rss",
    "heise.atom",
    "heraldsun.rss",
    "incomplete-fields.atom",
    "instant-article.rss",
    "many-links.rss",
    "missing-fields.atom",
    "narro.rss",
    "pagination-links.rss",
    "reddit-atom.rss",
    "reddit-home.rss",
    "reddit.rss",
    "rss-1.rss",
    "uolNoticias.rss",
]
ITEM_COUNTS = {
    "content-encoded": 7, "craigslist": 25, "encoding": 40, "feedburner": 25,
    "guardian": 55, "heise": 15, "heraldsun": 2, "incomplete-fields": 0,
    "instant-article": 1, "many-links": 25, "missing-fields": 0, "narro": 1,
    "pagination-links": 1, "reddit-atom": 24, "reddit-home": 24, "reddit": 24,
    "rss-1": 69, "uolNoticias": 15,
}  # fmt: skip


def _expected_items(name: str) -> list[dict[str, str]]:
    raw = _shared(f"rss-parser/expected/{name}.json").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Quirk: encoding.json was written by rss-parser in Latin-1, not UTF-8.
        assert name == "encoding"
        text = raw.decode("latin-1")
    items: list[dict[str, str]] = json.loads(text)["feed"]["items"]
    return items


def _normalize_expected_title(name: str, title: str) -> str:
    title = " ".join(title.split())
    if name == "craigslist":
        # Documented difference: RSS titles are read as (escaped) HTML, so craigslist's
        # "&#x0024;4300 1930ft<sup>2</sup>" becomes "$4300 1930ft2"; rss-parser keeps it raw.
        title = " ".join(html.unescape(re.sub(r"<[^>]+>", "", title)).split())
    return title


def test_rss_parser_inputs_are_the_known_set() -> None:
    folder = _shared("rss-parser/input")
    assert sorted(p.name for p in folder.iterdir()) == sorted(RSS_PARSER_CASES)


@pytest.mark.parametrize("filename", RSS_PARSER_CASES)
def test_rss_parser_feeds_match_expected_links_and_titles(filename: str) -> None:
    name = filename.rsplit(".", 1)[0]
    body = _shared(f"rss-parser/input/{filename}").read_bytes()
    links = parse_feed(body, f"https://feeds.example.com/{filename}")
    expected = _expected_items(name)

    assert len(links) == ITEM_COUNTS[name]
    assert all(link.source == "feed" for link in links)
    assert all(link.source_url == f"https://feeds.example.com/{filename}" for link in links)

    if name in ("incomplete-fields", "missing-fields"):
        # Documented difference: rss-parser keeps an entry with no link (just an empty
        # object or a tag: id); an entry without an http(s) URL is no Link for us.
        assert len(expected) == 1 and "link" not in expected[0]
        assert links == []
        return

    # Every real feed here has absolute, distinct links: ours equal rss-parser's in order.
    assert urls(links) == [item["link"].strip() for item in expected]

    for link, item in zip(links, expected, strict=True):
        if "title" not in item:
            continue
        want = _normalize_expected_title(name, item["title"])
        if name == "uolNoticias":
            # Quirk: rss-parser decoded this undeclared Latin-1 feed as UTF-8, so its
            # accents are U+FFFD. We decode it correctly: each U+FFFD stands for one char.
            pattern = "".join("." if ch == "\ufffd" else re.escape(ch) for ch in want)
            assert link.title is not None and re.fullmatch(pattern, link.title), link.title
            assert "\ufffd" not in link.title
        else:
            assert link.title == want
        if item.get("isoDate"):
            assert link.published_at == datetime.fromisoformat(
                item["isoDate"].replace("Z", "+00:00")
            )


def test_uol_latin1_without_declaration_is_decoded_and_dated() -> None:
    body = _shared("rss-parser/input/uolNoticias.rss").read_bytes()
    links = parse_feed(body, "https://rss.uol.com.br/feed/noticias.xml")
    assert links[0].title == (
        "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno"
    )
    # Portuguese day and month names ("Seg, 24 Set 2018 19:42:40 -0300"): rss-parser
    # gives no isoDate for them; we read them.
    assert links[0].published_at == utc(2018, 9, 24, 22, 42, 40)


def test_encoding_feed_declared_iso_8859_1() -> None:
    body = _shared("rss-parser/input/encoding.rss").read_bytes()
    links = parse_feed(body, "http://feeds.jn.pt/JN-ULTIMAS")
    assert links[0].title == "Mãe de utente é a nova presidente da Raríssimas"
    # pubDate carries a trailing CRLF and indentation.
    assert links[0].published_at == utc(2018, 1, 3, 13, 47)


def test_heraldsun_rss_092_broken_date_is_readable() -> None:
    assert parse_date("03 Apr 02 1500 GMT") == utc(2002, 4, 3, 15, 0)
    body = _shared("rss-parser/input/heraldsun.rss").read_bytes()
    assert urls(parse_feed(body, "http://www.oreilly.com/example/rss.xml")) == [
        "http://www.oreilly.com/example/001.html",
        "http://www.oreilly.com/example/002.html",
    ]


def test_pagination_links_guid_not_permalink_is_not_used() -> None:
    body = _shared("rss-parser/input/pagination-links.rss").read_bytes()
    links = parse_feed(body, "http://example.org/index.atom?page=3")
    assert urls(links) == ["https://example.test/episode?id=283843"]
    assert links[0].published_at == utc(2021, 1, 21, 7, 58)


def test_trafilatura_json_feed() -> None:
    body = _shared("trafilatura/feed.json").read_bytes()
    links = parse_feed(body, "https://feeds.npr.org/1019/feed.json")
    doc = json.loads(body)
    assert urls(links) == [item["url"] for item in doc["items"]]
    assert len(links) == 25
    assert links[0].title == "Keller Rinaudo: How can delivery drones save lives?"
    assert links[0].published_at == utc(2021, 10, 29, 14, 26)  # 10:26 -04:00


def test_trafilatura_atom_example() -> None:
    body = _shared("trafilatura/feed1.atom").read_bytes()
    links = parse_feed(body, "http://example.org/feed.atom")
    # The second entry has only rel="self" and a urn: id, so it names no article page.
    assert links == [
        Link(
            "http://example.org/2003/12/13/atom03",
            "feed",
            "http://example.org/feed.atom",
            "Atom-Powered Robots Run Amok",
            utc(2003, 12, 13, 18, 30, 2),
        )
    ]


def test_trafilatura_rss_example() -> None:
    body = _shared("trafilatura/feed2.rss").read_bytes()
    assert parse_feed(body, "http://www.example.com/rss") == [
        Link(
            "http://www.example.com/blog/post/1",
            "feed",
            "http://www.example.com/rss",
            "Example entry",
            utc(2009, 9, 6, 16, 20),
        )
    ]


def test_feed_declaring_sitemap_namespace_is_a_feed() -> None:
    body = _shared("news-crawl/feed-with-sitemap-namespace.xml").read_bytes()
    links = parse_feed(body, "https://example.com/feed/lorem")
    assert urls(links) == ["https://example.com/lorem/123", "https://example.com/lorem/456"]
    assert links[0].published_at == utc(2025, 1, 24, 20, 32, 41)
    # sitemaps.org accepts RSS as a sitemap, so parse_sitemap reads it too.
    pages, children = parse_sitemap(body, "https://example.com/feed/lorem")
    assert urls(pages) == urls(links)
    assert {page.source for page in pages} == {"sitemap"}
    assert children == []


# --------------------------------------------------------------------------- real sitemaps


def test_trafilatura_sitemap_urlset() -> None:
    body = _shared("trafilatura/sitemap.xml").read_bytes()
    pages, children = parse_sitemap(body, "https://www.sitemaps.org/sitemap.xml")
    assert len(pages) == 84
    assert children == []
    assert pages[0] == Link(
        "https://www.sitemaps.org/",
        "sitemap",
        "https://www.sitemaps.org/sitemap.xml",
        None,
        utc(2016, 11, 21),
    )
    assert pages[1].url == "https://www.sitemaps.org/protocol.html"


def test_trafilatura_sitemap_gz_is_detected_by_magic_bytes() -> None:
    plain = _shared("trafilatura/sitemap.xml").read_bytes()
    packed = _shared("trafilatura/sitemap.xml.gz").read_bytes()
    assert packed[:2] == b"\x1f\x8b"
    # Same result whatever the URL is called.
    assert parse_sitemap(packed, "https://www.sitemaps.org/sitemap") == parse_sitemap(
        plain, "https://www.sitemaps.org/sitemap"
    )


def test_trafilatura_sitemap_index_with_cdata() -> None:
    body = _shared("trafilatura/sitemap2.xml").read_bytes()
    assert parse_sitemap(body, "http://www.example.com/sitemap.xml") == (
        [],
        ["http://www.example.com/sitemap1.xml.gz", "http://www.example.com/sitemap2.xml.gz"],
    )


def test_trafilatura_sitemap_hreflang_alternates_ignored() -> None:
    body = _shared("trafilatura/sitemap-hreflang.xml").read_bytes()
    pages, children = parse_sitemap(body, "http://www.example.com/sitemap.xml")
    assert urls(pages) == [
        "http://www.example.com/english/page.html",
        "http://www.example.com/deutsch/page.html",
        "http://www.example.com/schweiz-deutsch/page.html",
    ]
    # The file puts a <sitemap> entry inside its urlset; it is still a child sitemap.
    assert children == ["http://www.example.com/sitemap2.xml.gz"]


def test_news_crawl_google_news_sitemap() -> None:
    body = _shared("news-crawl/sitemap-news.xml").read_bytes()
    pages, children = parse_sitemap(body, "http://www.example.com/sitemap-news.xml")
    # One page: image:loc and xhtml:link alternates are not pages of this sitemap.
    assert pages == [
        Link(
            "http://www.example.com/business/article55.html",
            "sitemap",
            "http://www.example.com/sitemap-news.xml",
            "Companies A, B in Merger Talks",
            utc(2008, 12, 23),
        )
    ]
    assert children == []


def test_news_crawl_seed_list_is_a_url_list() -> None:
    text = _shared("news-crawl/seeds_feeds.txt").read_text(encoding="utf-8")
    assert parse_url_list(text) == [Link("https://commoncrawl.org/blog/rss.xml", "urls-file")]


@pytest.mark.parametrize(
    "relative",
    ["trafilatura/sitemap.xml", "news-crawl/sitemap-news.xml", "trafilatura/sitemap2.xml"],
)
def test_sitemaps_are_not_feeds(relative: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_feed(_shared(relative).read_bytes(), "https://example.com/x.xml")
    assert info.value.reason == "malformed_feed"


# --------------------------------------------------------------------------- synthetic feeds

RSS_091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91">
<channel>
<title>Caf\xe9 News</title>
<link>http://www.example.com/news/</link>
<description>Old-school</description>
<language>en-us</language>
<item>
<title>Caf&eacute; opens &amp; closes</title>
<link>http://www.example.com/news/cafe.html</link>
</item>
<item>
<title>Relative &nbsp;link</title>
<link>2002/relative.html?a=1&b=2</link>
</item>
<item>
<title>Not a web link</title>
<link>mailto:editor@example.com</link>
</item>
</channel>
</rss>
"""


def test_rss_091_with_html_entities_and_relative_links() -> None:
    links = parse_feed(RSS_091, FEED_URL)
    assert links == [
        Link("http://www.example.com/news/cafe.html", "feed", FEED_URL, "Café opens & closes"),
        # Relative to the channel link; the bare "&" does not eat the "b=2".
        Link("http://www.example.com/news/2002/relative.html?a=1&b=2", "feed", FEED_URL,
             "Relative link"),
    ]  # fmt: skip


RSS_10 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://news.example.org/">
    <title>RDF news</title>
    <link>https://news.example.org/</link>
    <items><rdf:Seq>
      <rdf:li rdf:resource="https://news.example.org/a"/>
      <rdf:li rdf:resource="https://news.example.org/b"/>
    </rdf:Seq></items>
  </channel>
  <item rdf:about="https://news.example.org/a">
    <title>First</title>
    <link>https://news.example.org/a</link>
    <dc:date>2024-03-01T10:00:00+02:00</dc:date>
  </item>
  <item rdf:about="https://news.example.org/b">
    <title>Second, no link element</title>
    <dc:date>2024-03-02</dc:date>
  </item>
  <item rdf:about="https://news.example.org/a">
    <title>Duplicate of first</title>
    <link>https://news.example.org/a</link>
  </item>
</rdf:RDF>
"""


def test_rss_10_rdf() -> None:
    assert parse_feed(RSS_10, FEED_URL) == [
        Link("https://news.example.org/a", "feed", FEED_URL, "First", utc(2024, 3, 1, 8, 0)),
        # No <link>: the item's rdf:about is its URL.
        Link("https://news.example.org/b", "feed", FEED_URL, "Second, no link element",
             utc(2024, 3, 2)),
    ]  # fmt: skip


RSS_20 = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">
<channel>
  <title>Fallbacks</title>
  <link>https://site.example.com/</link>
  <item><title>Has link</title><link>
      https://site.example.com/a
  </link><guid>https://site.example.com/guid-a</guid></item>
  <item><title>Guid permalink</title><guid>https://site.example.com/b</guid></item>
  <item><title>Guid not permalink</title>
    <guid isPermaLink="false">https://site.example.com/not-this</guid>
    <feedburner:origLink>https://site.example.com/c</feedburner:origLink></item>
  <item><title>Relative guid is no URL</title><guid>/d</guid></item>
  <item><title>Script</title><link>javascript:alert(1)</link></item>
  <item><title>Same as first</title><link>https://site.example.com/a</link></item>
  <item><title>Protocol-relative</title><link>//cdn.example.net/e</link></item>
  <item><title>Atom habit</title><link href="/f"/></item>
</channel>
</rss>
"""


def test_rss_20_link_guid_origlink_fallbacks_dedupe_and_skips() -> None:
    links = parse_feed(RSS_20, FEED_URL)
    assert [(link.url, link.title) for link in links] == [
        ("https://site.example.com/a", "Has link"),
        ("https://site.example.com/b", "Guid permalink"),
        ("https://site.example.com/c", "Guid not permalink"),
        ("https://cdn.example.net/e", "Protocol-relative"),
        ("https://site.example.com/f", "Atom habit"),
    ]


def test_rss_without_channel_link_resolves_against_source_url() -> None:
    body = b"<rss><channel><item><link>../story/1</link></item></channel></rss>"
    assert urls(parse_feed(body, "https://example.com/feeds/all/rss.xml")) == [
        "https://example.com/feeds/story/1"
    ]


ATOM_XML_BASE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.org/blog/">
  <title>Based</title>
  <id>urn:uuid:feed</id>
  <updated>2024-05-01T00:00:00Z</updated>
  <entry xml:base="2024/">
    <title type="html">&lt;b&gt;Bold&lt;/b&gt; &amp;amp; more</title>
    <link rel="self" type="application/atom+xml" href="entries/1.atom"/>
    <link rel="alternate" type="application/pdf" href="post.pdf"/>
    <link rel="alternate" type="text/html" href="post.html"/>
    <id>urn:uuid:1</id>
    <published>2024-05-01T12:00:00+02:00</published>
    <updated>2024-05-02T12:00:00Z</updated>
  </entry>
  <entry>
    <title>Absolute path, no rel</title>
    <link href="/about"/>
    <id>urn:uuid:2</id>
    <updated>2024-05-03T08:30:00Z</updated>
  </entry>
  <entry>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X<b>HTML</b> title</div></title>
    <link rel="enclosure" href="audio.mp3"/>
    <id>http://example.org/blog/by-id</id>
  </entry>
  <entry>
    <title>Link element has its own base</title>
    <link xml:base="https://other.example.net/x/" href="y"/>
    <id>urn:uuid:4</id>
  </entry>
</feed>
"""


def test_atom_xml_base_link_choice_and_title_types() -> None:
    links = parse_feed(ATOM_XML_BASE, "https://feeds.example.com/atom.xml")
    assert [(link.url, link.title, link.published_at) for link in links] == [
        ("http://example.org/blog/2024/post.html", "Bold & more", utc(2024, 5, 1, 10, 0)),
        ("http://example.org/about", "Absolute path, no rel", utc(2024, 5, 3, 8, 30)),
        ("http://example.org/blog/by-id", "XHTML title", None),
        ("https://other.example.net/x/y", "Link element has its own base", None),
    ]


JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON news",
    "home_page_url": "https://json.example.com/",
    "items": [
        {"id": "1", "url": "/posts/1", "title": "  Relative\n url ", "date_published":
            "2024-02-29T23:30:00-01:00"},
        {"id": "2", "external_url": "https://elsewhere.example.org/x", "date_modified":
            "2024-03-01T00:00:00Z"},
        {"id": "https://json.example.com/posts/3", "title": "Id is the URL"},
        {"id": "4", "title": "No URL at all"},
        {"id": "5", "url": "https://json.example.com/posts/1", "title": "Duplicate"},
        "not an object",
    ],
}  # fmt: skip


def test_json_feed() -> None:
    body = json.dumps(JSON_FEED).encode()
    assert parse_feed(body, "https://json.example.com/feed.json") == [
        Link("https://json.example.com/posts/1", "feed", "https://json.example.com/feed.json",
             "Relative url", utc(2024, 3, 1, 0, 30)),
        Link("https://elsewhere.example.org/x", "feed", "https://json.example.com/feed.json",
             None, utc(2024, 3, 1)),
        Link("https://json.example.com/posts/3", "feed", "https://json.example.com/feed.json",
             "Id is the URL"),
    ]  # fmt: skip


def test_json_feed_with_an_integer_past_python_s_digit_limit_is_read() -> None:
    # an extension field of 4,301 digits made the whole feed "not a feed"
    body = json.dumps(JSON_FEED).encode().replace(b"{", b'{"_x": ' + b"9" * 4301 + b", ", 1)
    assert len(parse_feed(body, "https://json.example.com/feed.json")) == 3


def test_json_feed_detected_by_content_with_bom_and_whitespace() -> None:
    body = b"\xef\xbb\xbf \n" + json.dumps(JSON_FEED).encode()
    assert len(parse_feed(body, "https://json.example.com/feed")) == 3


@pytest.mark.parametrize("items", ["3", "true", '"x"', '{"url": "https://a.example.com/1"}'])
def test_json_feed_whose_items_are_no_list_is_malformed(items: str) -> None:
    # iterating a number was a TypeError: an internal_error with a traceback
    body = f'{{"version": "https://jsonfeed.org/version/1.1", "items": {items}}}'.encode()
    for parse in (parse_feed, parse_sitemap):
        with pytest.raises(ParseError, match="items are a list"):
            parse(body, FEED_URL)


def test_feed_with_zero_items_is_empty_not_an_error() -> None:
    assert (
        parse_feed(b"<rss version='2.0'><channel><title>t</title></channel></rss>", FEED_URL) == []
    )
    assert (
        parse_feed(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>', FEED_URL)
        == []
    )
    assert parse_feed(b'{"version": "https://jsonfeed.org/version/1", "items": []}', FEED_URL) == []


HTML_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><title>Not a feed</title>
<link rel="alternate" type="application/rss+xml" href="/rss"></head>
<body><p>Hello<br>world & friends</body></html>"""


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n\t ",
        b"garbage, not a feed at all",
        b"\x00\x01\x02\xff\xfe binary",
        HTML_PAGE,
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
        b'{"hello": "world"}',
        b"{not json",
        b"[1, 2, 3]",
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>',
    ],
    ids=["empty", "blank", "text", "binary", "html", "xhtml", "json-object", "bad-json",
         "json-array", "sitemap"],
)  # fmt: skip
def test_not_a_feed_raises_malformed_feed(body: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse_feed(body, FEED_URL)
    assert info.value.reason == "malformed_feed"
    assert info.value.url == FEED_URL


def test_windows_1251_feed_with_cyrillic_titles() -> None:
    text = """<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0"><channel><title>Новости</title><link>https://news.example.ru/</link>
<item><title>Новости дня: «Привет, мир»</title><link>/2024/01/privet</link>
<pubDate>Пн, 15 Jan 2024 09:00:00 +0300</pubDate></item>
</channel></rss>"""
    body = text.encode("windows-1251")
    assert b"\xcd\xee\xe2" in body  # "Нов" in cp1251: the bytes are not UTF-8
    assert parse_feed(body, FEED_URL) == [
        Link("https://news.example.ru/2024/01/privet", "feed", FEED_URL,
             "Новости дня: «Привет, мир»", utc(2024, 1, 15, 6, 0)),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "codec", "title"),
    [
        ("gb2312", "gbk", "朱镕基总理会见代表团"),  # 镕 is GBK's, not GB2312's
        ("Shift_JIS", "cp932", "①番の路線が変更"),  # ① is Windows's, not Shift_JIS's
        ("ISO-8859-1", "cp1252", "“Quoted” – €5"),  # latin-1's control bytes, as browsers read them
        ("ISO-8859-1", "utf-8", "Łódź i Gdańsk"),  # a byte latin-1 never uses: the label is wrong
    ],
)
def test_a_feed_labelled_as_browsers_read_it(label: str, codec: str, title: str) -> None:
    text = (
        f'<?xml version="1.0" encoding="{label}"?><rss><channel><item><title>{title}</title>'
        "<link>https://u.example/1</link></item></channel></rss>"
    )
    links = parse_feed(text.encode(codec), FEED_URL)
    assert [link.title for link in links] == [title]


def test_utf16_feed_with_bom() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><rss><channel><item><title>Ünïcödé</title><link>https://u.example/1</link></item></channel></rss>'
    links = parse_feed(text.encode("utf-16"), FEED_URL)
    assert [(link.url, link.title) for link in links] == [("https://u.example/1", "Ünïcödé")]


def test_utf8_feed_with_one_stray_latin1_byte_stays_utf8() -> None:
    body = (
        "<rss><channel><item><title>Überall schön</title><link>https://x.example/1</link>"
        "</item><item><title>caf\udce9</title><link>https://x.example/2</link></item>"
        "</channel></rss>"
    ).encode("utf-8", errors="surrogateescape")
    links = parse_feed(body, FEED_URL)
    assert [link.title for link in links] == ["Überall schön", "caf\ufffd"]


def test_warning_text_before_the_xml_declaration() -> None:
    body = b'\nWarning: something in functions.php on line 12\n<?xml version="1.0"?>' + RSS_20[21:]
    assert urls(parse_feed(body, FEED_URL))[:2] == [
        "https://site.example.com/a",
        "https://site.example.com/b",
    ]


def test_gzip_feed_body() -> None:
    assert parse_feed(gzip.compress(RSS_10), FEED_URL) == parse_feed(RSS_10, FEED_URL)


# --------------------------------------------------------------------------- hostile input


def test_xxe_external_entity_is_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    evil_dtd = tmp_path / "evil.dtd"
    evil_dtd.write_text(f'<!ENTITY leak SYSTEM "{secret.as_uri()}">')
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY xxe SYSTEM "{secret.as_uri()}">
  <!ENTITY % remote SYSTEM "{evil_dtd.as_uri()}">
  %remote;
]>
<rss version="2.0"><channel><link>https://x.example/</link>
<item><title>before &xxe; after</title><link>https://x.example/1</link></item>
<item><title>In the link</title><link>&xxe;</link><guid>https://x.example/2</guid></item>
<item><title>Param &leak; entity</title><link>https://x.example/3</link></item>
</channel></rss>""".encode()
    links = parse_feed(body, FEED_URL)
    assert [(link.url, link.title) for link in links] == [
        ("https://x.example/1", "before after"),
        ("https://x.example/2", "In the link"),
        ("https://x.example/3", "Param &leak; entity"),  # undeclared: kept as literal text
    ]
    assert "TOP-SECRET" not in repr(links)


def test_xxe_in_sitemap_is_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("https://leaked.example/TOP-SECRET")
    body = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>&xxe;</loc></url><url><loc>https://ok.example/</loc></url>
</urlset>""".encode()
    pages, children = parse_sitemap(body, "https://ok.example/sitemap.xml")
    assert urls(pages) == ["https://ok.example/"]
    assert children == []


def test_billion_laughs_is_not_expanded() -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    body = f"""<?xml version="1.0"?><!DOCTYPE rss [{entities}]>
<rss><channel><item><title>a&lol9;b</title><link>https://x.example/1</link></item>
</channel></rss>""".encode()
    started = time.perf_counter()
    links = parse_feed(body, FEED_URL)
    assert time.perf_counter() - started < 5
    assert [(link.url, link.title) for link in links] == [("https://x.example/1", "ab")]


@pytest.mark.parametrize("parse", [parse_feed, parse_sitemap])
def test_unclosed_doctypes_by_the_thousand_cost_time_in_proportion_to_their_size(parse) -> None:
    # Each "<!DOCTYPE a [" with no "]>" after it made the DOCTYPE pattern scan to the end
    # of the text again: 1 MB of them took minutes and held up every listing of the run.
    body = b"<rss><channel>" + b"<!DOCTYPE a [" * 80_000
    started = time.perf_counter()
    parse(body, FEED_URL)
    assert time.perf_counter() - started < 5


def test_a_doctype_with_its_internal_subset_is_dropped_and_its_entities_are_not_read() -> None:
    body = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY who "Eve">]  >
<rss><channel><item><title>By &who;</title><link>https://x.example/1</link></item>
</channel></rss>"""
    assert [(link.url, link.title) for link in parse_feed(body, FEED_URL)] == [
        ("https://x.example/1", "By")
    ]


def test_a_feed_items_title_of_megabytes_is_cut_like_a_pages() -> None:
    title = "Harbour " * 500_000
    body = f"<rss><channel><item><title>{title}</title><link>https://x.example/1</link></item>"
    (link,) = parse_feed((body + "</channel></rss>").encode(), FEED_URL)
    assert link.title is not None and len(link.title) <= 1_000 and link.title.startswith("Harbour")


TRUNCATABLE = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>T</title><link>https://t.example/</link>
<item><title>One</title><link>https://t.example/1</link>
  <pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>
<item><title>Two &amp; two</title><link>https://t.example/2</link></item>
<item><title>Three</title><link>https://t.example/3</link></item>
</channel></rss>
"""


def test_truncated_feed_recovers_complete_items() -> None:
    cut = TRUNCATABLE.index(b"<title>Three") + len(b"<title>Th")
    links = parse_feed(TRUNCATABLE[:cut], FEED_URL)
    assert [(link.url, link.title) for link in links] == [
        ("https://t.example/1", "One"),
        ("https://t.example/2", "Two & two"),
    ]
    assert links[0].published_at == utc(2024, 1, 1)


def test_truncated_feed_at_every_byte_never_crashes() -> None:
    full = urls(parse_feed(TRUNCATABLE, FEED_URL))
    assert full == ["https://t.example/1", "https://t.example/2", "https://t.example/3"]
    outcomes = {"links": 0, "error": 0}
    for cut in range(len(TRUNCATABLE) + 1):
        try:
            links = parse_feed(TRUNCATABLE[:cut], FEED_URL)
        except ParseError as exc:
            assert exc.reason == "malformed_feed"
            outcomes["error"] += 1
            continue
        outcomes["links"] += 1
        assert all(isinstance(link, Link) and is_http_url(link.url) for link in links)
        assert len(links) <= 3
    assert outcomes["error"] > 0 and outcomes["links"] > 0


def test_truncated_real_feed_keeps_leading_items() -> None:
    body = _shared("rss-parser/input/guardian.rss").read_bytes()
    full = parse_feed(body, FEED_URL)
    half = parse_feed(body[: len(body) // 2], FEED_URL)
    assert 10 < len(half) < len(full)
    assert urls(half[:-1]) == urls(full)[: len(half) - 1]


def test_truncated_sitemap_and_gzip() -> None:
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a.example/1</loc></url><url><loc>https://a.exa'
    pages, _ = parse_sitemap(body, "https://a.example/sitemap.xml")
    assert urls(pages)[0] == "https://a.example/1"
    packed = gzip.compress(body)
    with pytest.raises(ParseError) as info:
        parse_sitemap(packed[: len(packed) // 2], "https://a.example/sitemap.xml.gz")
    assert info.value.reason == "malformed_sitemap"


def _gzip_zeros(total: int, prefix: bytes = b"") -> bytes:
    """A gzip body of ``prefix`` plus zero bytes up to ``total`` decompressed bytes, built
    in memory a megabyte at a time (never holding the decompressed body)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(prefix)]
    remaining = total - len(prefix)
    block = b"\0" * (1 << 20)
    while remaining > 0:
        parts.append(packer.compress(block[: min(remaining, len(block))]))
        remaining -= len(block)
    parts.append(packer.flush())
    return b"".join(parts)


def test_gzip_bomb_is_refused_quickly() -> None:
    assert discover.MAX_DECOMPRESSED_BYTES == 50_000_000
    bomb = _gzip_zeros(64 << 20, b'<?xml version="1.0"?><urlset>')
    assert len(bomb) < 200_000  # 64 MiB in under 200 KB
    started = time.perf_counter()
    with pytest.raises(ParseError) as info:
        parse_sitemap(bomb, "https://bomb.example/sitemap.xml.gz")
    assert time.perf_counter() - started < 10
    assert info.value.reason == "too_large"
    with pytest.raises(ParseError) as feed_info:
        parse_feed(bomb, "https://bomb.example/feed.gz")
    assert feed_info.value.reason == "too_large"


def test_gzip_cap_boundary() -> None:
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a.example/</loc></url></urlset>'
    found = parse_sitemap(gzip.compress(body), "https://a.example/s", max_bytes=len(body))
    assert urls(found[0]) == ["https://a.example/"]
    with pytest.raises(ParseError) as info:
        parse_sitemap(gzip.compress(body), "https://a.example/s", max_bytes=len(body) - 1)
    assert info.value.reason == "too_large"


def test_plain_body_over_cap_is_too_large() -> None:
    for parse in (parse_feed, parse_sitemap):
        with pytest.raises(ParseError) as info:
            parse(RSS_10, FEED_URL, max_bytes=len(RSS_10) - 1)
        assert info.value.reason == "too_large"


def test_gzip_with_two_members() -> None:
    first = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a.example/1</loc></url>'
    second = b"<url><loc>https://a.example/2</loc></url></urlset>"
    body = gzip.compress(first) + gzip.compress(second)
    assert urls(parse_sitemap(body, "https://a.example/s")[0]) == [
        "https://a.example/1",
        "https://a.example/2",
    ]


# --------------------------------------------------------------------------- synthetic sitemaps

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://www.example.com/sitemap-posts.xml.gz</loc>
    <lastmod>2024-01-01</lastmod></sitemap>
  <sitemap><loc> /sitemap-pages.xml </loc></sitemap>
  <sitemap><loc>https://www.example.com/sitemap-posts.xml.gz</loc></sitemap>
  <sitemap><loc>ftp://www.example.com/sitemap-old.xml</loc></sitemap>
  <sitemap><lastmod>2024-01-01</lastmod></sitemap>
</sitemapindex>
"""


def test_sitemap_index() -> None:
    assert parse_sitemap(SITEMAP_INDEX, "https://www.example.com/sitemap_index.xml") == (
        [],
        [
            "https://www.example.com/sitemap-posts.xml.gz",
            "https://www.example.com/sitemap-pages.xml",
        ],
    )


def test_gzip_sitemap_index() -> None:
    packed = gzip.compress(SITEMAP_INDEX)
    assert parse_sitemap(packed, "https://www.example.com/sitemap_index.xml.gz")[1] == [
        "https://www.example.com/sitemap-posts.xml.gz",
        "https://www.example.com/sitemap-pages.xml",
    ]


NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>https://news.example.com/2024/06/01/story.html</loc>
    <lastmod>2024-06-02T00:00:00Z</lastmod>
    <news:news>
      <news:publication><news:name>Example</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2024-06-01T09:15:00+02:00</news:publication_date>
      <news:title>Story &amp; more</news:title>
    </news:news>
    <image:image><image:loc>https://img.example.com/1.jpg</image:loc></image:image>
  </url>
  <url>
    <loc>https://news.example.com/plain.html</loc>
    <lastmod>2024-06-03</lastmod>
  </url>
  <url>
    <loc>https://news.example.com/bad-date.html</loc>
    <news:news><news:publication_date>yesterday</news:publication_date></news:news>
  </url>
</urlset>
"""


def test_google_news_sitemap_hints() -> None:
    pages, children = parse_sitemap(NEWS_SITEMAP, "https://news.example.com/news.xml")
    assert pages == [
        Link("https://news.example.com/2024/06/01/story.html", "sitemap",
             "https://news.example.com/news.xml", "Story & more", utc(2024, 6, 1, 7, 15)),
        Link("https://news.example.com/plain.html", "sitemap",
             "https://news.example.com/news.xml", None, utc(2024, 6, 3)),
        Link("https://news.example.com/bad-date.html", "sitemap",
             "https://news.example.com/news.xml", None, None),
    ]  # fmt: skip
    assert children == []


def test_text_sitemap() -> None:
    body = b"\xef\xbb\xbfhttps://t.example/a\r\nhttps://t.example/b\n\nnot a url\nhttps://t.example/a\n"
    pages, children = parse_sitemap(body, "https://t.example/sitemap.txt")
    assert pages == [
        Link("https://t.example/a", "sitemap", "https://t.example/sitemap.txt"),
        Link("https://t.example/b", "sitemap", "https://t.example/sitemap.txt"),
    ]
    assert children == []


def test_empty_urlset_is_empty() -> None:
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>'
    assert parse_sitemap(body, "https://e.example/s.xml") == ([], [])


@pytest.mark.parametrize(
    "body",
    [b"", b"   ", b"hello world\nhttps://x.example/", HTML_PAGE, b"<foo><bar/></foo>",
     b'{"a": 1}', b"\x1f\x8bnot really gzip"],
    ids=["empty", "blank", "prose", "html", "other-xml", "json", "bad-gzip"],
)  # fmt: skip
def test_not_a_sitemap_raises_malformed_sitemap(body: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse_sitemap(body, "https://x.example/sitemap.xml")
    assert info.value.reason == "malformed_sitemap"


# --------------------------------------------------------------------------- robots.txt


def test_sitemaps_from_robots() -> None:
    body = b"""\xef\xbb\xbfUser-agent: *
Disallow: /private
Sitemap: https://www.example.com/sitemap.xml
sitemap:/news-sitemap.xml   # relative, resolved
SITEMAP : https://cdn.example.net/s.xml.gz
  Sitemap: https://www.example.com/sitemap.xml
Sitemap: ftp://www.example.com/old.xml
Sitemap:
# Sitemap: https://www.example.com/commented.xml
Host: www.example.com
"""
    assert sitemaps_from_robots(body, "https://www.example.com/robots.txt") == [
        "https://www.example.com/sitemap.xml",
        "https://www.example.com/news-sitemap.xml",
        "https://cdn.example.net/s.xml.gz",
    ]


def test_sitemaps_from_robots_without_any() -> None:
    assert sitemaps_from_robots(b"User-agent: *\nDisallow:\n", "https://e.example/robots.txt") == []


# --------------------------------------------------------------------------- URL lists


def test_parse_url_list() -> None:
    text = "# my list\n\nhttps://a.example/1\n  http://b.example/2  \n# done\nhttps://a.example/1\n"
    assert parse_url_list(text) == [
        Link("https://a.example/1", "urls-file"),
        Link("http://b.example/2", "urls-file"),
    ]
    assert parse_url_list("https://a.example/1", source="url") == [
        Link("https://a.example/1", "url")
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("https://ok.example/\nexample.com/no-scheme\n", 2),
        ("\n\n# c\nftp://files.example/x\n", 4),
        ("https://ok.example/\n\nhttps://has space.example/\n", 3),
    ],
)
def test_parse_url_list_names_bad_line(text: str, line: int) -> None:
    with pytest.raises(InputError) as info:
        parse_url_list(text)
    assert info.value.reason == "bad_url"
    assert f"line {line}:" in info.value.detail


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/", True),
        ("HTTP://EXAMPLE.COM/a?b=c#d", True),
        ("  http://example.com  ", True),
        ("http://[::1]:8080/x", True),
        ("ftp://example.com/", False),
        ("mailto:a@example.com", False),
        ("javascript:alert(1)", False),
        ("/relative/path", False),
        ("http://", False),
        ("http:///path-only", False),
        ("http://exa mple.com/", False),
        ("http://example.com:99999/", False),
        ("http://[::1/", False),
        ("", False),
    ],
)
def test_is_http_url(value: str, expected: bool) -> None:
    assert is_http_url(value) is expected


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 03 Jan 2018 13:47:00 GMT", utc(2018, 1, 3, 13, 47)),
        ("Sat, 23 Jan 2016 15:40:37 +0000", utc(2016, 1, 23, 15, 40, 37)),
        ("Thu, 21 Jan 2021 18:58:00 +1100", utc(2021, 1, 21, 7, 58)),
        ("Fri, 20 Feb 2015 09:51:15 UTC", utc(2015, 2, 20, 9, 51, 15)),
        ("Mon, 6 Sep 2010 00:01:00 EDT", utc(2010, 9, 6, 4, 1)),
        ("Tue, 10 Jun 2003 04:00:00 PST", utc(2003, 6, 10, 12, 0)),
        ("Tue, 10 Jun 2003 04:00:00 GMT+0100", utc(2003, 6, 10, 3, 0)),
        ("10 Jun 03 04:00 -0230", utc(2003, 6, 10, 6, 30)),
        ("03 Apr 02 1500 GMT", utc(2002, 4, 3, 15, 0)),
        ("Thurs, 15 September 2022 10:00:00 +0000", utc(2022, 9, 15, 10, 0)),
        ("January 5, 2018 10:30 PM EST", utc(2018, 1, 6, 3, 30)),
        ("Seg, 24 Set 2018 19:42:40 -0300", utc(2018, 9, 24, 22, 42, 40)),
        ("mar., 3 sept. 2019 14:00:00 +0200", utc(2019, 9, 3, 12, 0)),
        ("Mar, 25 Sep 2018 10:00:00 +0200", utc(2018, 9, 25, 8, 0)),  # Spanish "martes"
        ("Di, 03 Dez 2019 08:00:00 MEZ", utc(2019, 12, 3, 7, 0)),
        ("2016-06-01T15:35:00.001Z", datetime(2016, 6, 1, 15, 35, 0, 1000, tzinfo=UTC)),
        ("2017-06-21T10:33:10-07:00", utc(2017, 6, 21, 17, 33, 10)),
        ("2016-02-01T17:22:00+01", utc(2016, 2, 1, 16, 22)),
        ("2024-05-01 12:00:00+0530", utc(2024, 5, 1, 6, 30)),
        ("2024-05-01 12:00", utc(2024, 5, 1, 12, 0)),
        ("2024-05-01", utc(2024, 5, 1)),
        ("2024-05", utc(2024, 5, 1)),
        ("20240501T120000Z", utc(2024, 5, 1, 12, 0)),
        ("2024/05/01", utc(2024, 5, 1)),
        ("  2024-05-01T23:59:60Z \n", utc(2024, 5, 1, 23, 59, 59)),
        ("1514764800", utc(2018, 1, 1)),
        ("", None),
        ("yesterday", None),
        ("2024-13-01", None),
        ("Thu, 31 Feb 2018 00:00:00 GMT", None),
        ("Thu, 01 Feb 2018 25:00:00 GMT", None),
        ("Thu, 01 Feb 2018 10:00:00 +9900", None),
        ("0000-00-00 00:00:00", None),
        ("Mon, 01 Jan 0001 00:00:00 GMT", None),
        # no item's date: before the web's news, or far past now (it became its article's)
        ("Mon, 01 Jan 1900 00:00:00 GMT", None),
        ("Wed, 31 Dec 2199 00:00:00 GMT", None),
        ("2200-12-31T00:00:00Z", None),
        ("9999999999", None),  # Unix seconds: 2286
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    parsed = parse_date(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0


_BROKEN_ENTRIES = {
    "rss, a <br> in a description": (
        '<rss version="2.0"><channel><title>t</title>{}</channel></rss>',
        "<item><title>S{n}</title><link>http://news.example/{n}</link>"
        "<description>{broken}</description></item>",
        ("line one<br>line two", "fine"),
    ),
    "rss, an <img> in a description": (
        '<rss version="2.0"><channel><title>t</title>{}</channel></rss>',
        "<item><title>S{n}</title><link>http://news.example/{n}</link>"
        "<description>{broken}</description></item>",
        ('photo <img src="a.jpg"> caption', "fine"),
    ),
    "rss 1.0": (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/"><channel><title>t</title></channel>{}</rdf:RDF>',
        '<item rdf:about="http://news.example/{n}"><title>S{n}</title>'
        "<link>http://news.example/{n}</link><description>{broken}</description></item>",
        ("one<br>two", "fine"),
    ),
    "atom, a <br> in a summary": (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{}</feed>',
        '<entry><title>S{n}</title><link href="http://news.example/{n}"/>'
        "<summary>{broken}</summary></entry>",
        ("one<br>two", "fine"),
    ),
    "google news sitemap, a <b> in a title": (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{}</urlset>',
        "<url><loc>http://news.example/{n}</loc><news:news><news:title>S{n} {broken}"
        "</news:title></news:news></url>",
        ("<b>exclusive", "fine"),
    ),
}


@pytest.mark.parametrize("case", sorted(_BROKEN_ENTRIES))
def test_entries_after_one_unclosed_tag_are_all_read(case: str) -> None:
    # libxml2's recovery nests every entry after the unclosed tag inside the broken one
    document, entry, (broken, fine) = _BROKEN_ENTRIES[case]
    entries = "".join(entry.format(n=n, broken=broken if n == 2 else fine) for n in range(6))
    body = document.format(entries).encode()
    if "sitemap" in case:
        links, _ = parse_sitemap(body, "http://news.example/sitemap.xml")
    else:
        links = parse_feed(body, "http://news.example/feed")
    assert [link.url for link in links] == [f"http://news.example/{n}" for n in range(6)]
    suffix = " fine" if "sitemap" in case else ""  # the sitemap's titles end with the filler
    assert [link.title for link in links][3:] == [f"S{n}{suffix}" for n in (3, 4, 5)]
