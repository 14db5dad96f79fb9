"""A page's publication date: what its own markup states, in its own time zone.

The page's structured data comes first (the JSON-LD of the article itself, never of the
teasers it lists; then its meta tags and microdata), each date kept with the offset the page
wrote it in, so the publisher's calendar day is the day the page shows. A page whose markup
is silent is dated by its own URL, then by the date shown beside its headline (never one
labelled as an update, never a teaser's; an "Updated ..." line only where it shows no
other), then by htmldate's full search of the rest, with links and lists of dated teasers
taken out first so that another article's date cannot win. Published and modified dates
are kept apart. Where the date came from is kept (``source``) so each source can be
filtered on and measured.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import htmldate.extractors
import lxml.html
from htmldate import find_date
from lxml import etree

from tasks.datebounds import EARLIEST, FUTURE_SLACK, plausible
from tasks.json_values import read_json
from tasks.months import (
    ENGLISH_MONTH_PATTERN,
    MONTH_NAME_PATTERN,
    MONTHS_BY_NAME,
    THAI_MONTH_PATTERN,
    THAI_MONTHS_BY_NAME,
    thai_year,
)

# JSON-LD types of a page that is an article (or a post, a recipe, a review); a type not
# listed here (a Product, an Event, an ItemList's items) does not date the page.
ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "discussionforumposting",
        "techarticle",
        "scholarlyarticle",
        "medicalscholarlyarticle",
        "report",
        "advertisercontentarticle",
        "satiricalarticle",
        "howto",
        "recipe",
        "qapage",
    }
)
_PAGE_TYPES = frozenset(
    {"webpage", "itempage", "aboutpage", "faqpage", "medicalwebpage", "profilepage"}
)
_PUBLISHED_META = frozenset(
    {
        "article:published_time",
        "article:published",
        "og:article:published_time",
        "og:published_time",
        "published_time",
        "publish-date",
        "publish_date",
        "publishdate",
        "pubdate",
        "publication_date",
        "datepublished",
        "dc.date.issued",
        "dcterms.issued",
        "dc.date.created",
        "dcterms.created",
        "parsely-pub-date",
        "sailthru.date",
        "citation_publication_date",
        "citation_date",
        "date",
        "dc.date",
        "dcterms.date",
        "og:pubdate",
        "pub_date",
        "article.published",
        "cxenseparse:recs:publishtime",
    }
)
_MODIFIED_META = frozenset(
    {
        "article:modified_time",
        "article:modified",
        "og:updated_time",
        "og:article:modified_time",
        "modified_time",
        "last-modified",
        "lastmod",
        "datemodified",
        "dc.date.modified",
        "dcterms.modified",
    }
)

# htmldate hands each date-like line its own patterns cannot read to dateparser, which tries
# every locale it knows on it: 20 to 160 ms a line. Real pages send it 12 lines at most (WCXB
# dev and trafilatura-eval: 144 lines over 2,487 pages); a page of 5,000 lines like "Issue 12
# of 2024, volume 7" took 93 s, past max_extract_s, and was lost. Past this many lines the
# page's text search stops and finds no date.
MAX_DATEPARSER_LINES = 32


class _TooManyDateLines(Exception):
    """htmldate sent dateparser more lines than one page may cost (``MAX_DATEPARSER_LINES``)."""


# Lines dateparser may still read in this page's search; None outside page_dates (htmldate
# used by anything else, as trafilatura's own metadata does, is left as it is).
_dateparser_lines_left: ContextVar[int | None] = ContextVar("dateparser_lines_left", default=None)


def _bounded(external_date: Callable[[str], datetime | None]) -> Callable[[str], datetime | None]:
    def external_date_within_budget(string: str) -> datetime | None:
        left = _dateparser_lines_left.get()
        if left is not None:
            if left <= 0:
                # Raised, not None: htmldate caches what its parsing returns by line, and a
                # line given up on here is not undatable on the next page.
                raise _TooManyDateLines(string[:80])
            _dateparser_lines_left.set(left - 1)
        return external_date(string)

    return external_date_within_budget


# A private function of htmldate (1.11), wrapped in place (mypy sees a function redefined):
# tests/tasks/test_page_dates.py times a page of such lines, and fails if an upgrade moves
# the call out of reach.
_external_date = htmldate.extractors._external_date
htmldate.extractors._external_date = _bounded(_external_date)  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Stamp:
    """A date as a page wrote it: the instant, and whether it carried its own offset."""

    at: datetime  # aware; in the page's own offset when it gave one, else UTC
    has_offset: bool
    has_time: bool
    url_day: date | None = None  # the page's own URL's day, when it corrects a UTC stamp

    @property
    def day(self) -> date:
        """The publisher's calendar day: as written in the page's own offset."""
        return self.url_day or self.at.date()

    @property
    def offset_minutes(self) -> int | None:
        delta = self.at.utcoffset()
        return int(delta.total_seconds() // 60) if self.has_offset and delta is not None else None


@dataclass(frozen=True, slots=True)
class PageDates:
    """When a page says it was published and last modified, and where that was read."""

    published: Stamp | None = None
    modified: Stamp | None = None
    # "json-ld", "meta", "microdata", "url", "byline", "updated", "htmldate"
    source: str | None = None


_ISO_LIKE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_stamp(value: object, now: datetime | None = None) -> Stamp | None:
    """An ISO 8601 or RFC 2822 date as the page wrote it; None when it is not plausible."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    parsed: datetime | None = None
    has_time = True
    if _ISO_LIKE.match(text):
        try:
            parsed = datetime.fromisoformat(text.replace(" Z", "Z").replace("Z", "+00:00"))
        except ValueError:
            return None
        has_time = len(text) > 10
    else:
        # Other forms are left to htmldate, which reads them better than a guess here.
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    has_offset = parsed.tzinfo is not None
    if not has_offset:
        parsed = parsed.replace(tzinfo=UTC)
    if not plausible(parsed, now):
        return None
    return Stamp(parsed, has_offset=has_offset and has_time, has_time=has_time)


def jsonld_types(item: dict[str, Any]) -> set[str]:
    """An object's schema.org types, lowercased, without their namespace."""
    kind = item.get("@type")
    names = kind if isinstance(kind, list) else [kind]
    return {name.rsplit("/", 1)[-1].lower() for name in names if isinstance(name, str)}


def _page_objects(data: object) -> Iterator[dict[str, Any]]:
    """The JSON-LD objects that describe the page itself: top-level items, @graph members
    and main entities, never what they list or mention."""
    stack = [data]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[:0] = item
        elif isinstance(item, dict):
            yield item
            for key in ("@graph", "mainEntity", "mainEntityOfPage"):
                child = item.get(key)
                if isinstance(child, (dict, list)):
                    stack.append(child)


def jsonld_objects(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page that describes the page (see ``_page_objects``)."""
    found: list[dict[str, Any]] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = read_json(script.text or "", lenient=True)
        except (ValueError, TypeError, RecursionError):  # nested past the parser's depth
            continue
        found.extend(_page_objects(data))
    return found


def _rank(item: dict[str, Any]) -> int:
    kinds = jsonld_types(item)
    if kinds & ARTICLE_TYPES:
        return 0
    if kinds & _PAGE_TYPES or kinds & {"collectionpage", "searchresultspage"}:
        return 1
    return 2


def _jsonld_dates(
    objects: list[dict[str, Any]], now: datetime
) -> tuple[Stamp | None, Stamp | None]:
    for rank in (0, 1):
        for item in objects:
            if _rank(item) != rank:
                continue
            modified = parse_stamp(item.get("dateModified"), now)
            published = parse_stamp(item.get("datePublished"), now) or parse_stamp(
                item.get("dateCreated"), now
            )
            # a live blog may give only when its coverage began (not a preview's, begun
            # after the page was last changed)
            coverage = parse_stamp(item.get("coverageStartTime"), now)
            if published is None and coverage and not (modified and coverage.at > modified.at):
                published = coverage
            if published:
                return published, modified
    return None, None


def _meta_dates(tree: lxml.html.HtmlElement, now: datetime) -> tuple[Stamp | None, Stamp | None]:
    published = modified = None
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        if key in _PUBLISHED_META and published is None:
            published = parse_stamp(meta.get("content"), now)
        elif key in _MODIFIED_META and modified is None:
            modified = parse_stamp(meta.get("content"), now)
    return published, modified


def _scope_of(node: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    owner = node.getparent()
    while owner is not None and owner.get("itemscope") is None:
        owner = owner.getparent()
    return owner


def _microdata_dates(
    tree: lxml.html.HtmlElement, now: datetime
) -> tuple[Stamp | None, Stamp | None]:
    """itemprop dates of the page's own item. Several separate items with a publication
    date are a list of teaser cards: none of them dates the page."""
    found: dict[str, Stamp | None] = {"datepublished": None, "datemodified": None}
    nodes = tree.xpath('//*[@itemprop="datePublished" or @itemprop="dateModified"]')
    scopes = [_scope_of(node) for node in nodes]
    dated: list[lxml.html.HtmlElement | None] = []
    for node, scope in zip(nodes, scopes, strict=True):
        if node.get("itemprop") == "datePublished" and not any(scope is d for d in dated):
            dated.append(scope)
    # Later items may only be parts of the first one (its comments, say).
    head = dated[0] if dated else None
    for scope in dated[1:]:
        if head is None or scope is None or head not in list(scope.iterancestors()):
            return None, None
    first = scopes[0] if scopes else None
    for node, scope in zip(nodes, scopes, strict=True):
        key = str(node.get("itemprop")).lower()
        if scope is first and found[key] is None:
            found[key] = parse_stamp(node.get("content") or node.get("datetime"), now)
    return found["datepublished"], found["datemodified"]


def _without_others(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """A copy of the page without link targets and without lists of dated teasers: dates in
    other pages' URLs and on their teasers are theirs."""
    copy = deepcopy(tree)
    for node in copy.xpath("//a[@href] | //area[@href]"):
        del node.attrib["href"]
    teasers = []
    for parent in copy.iter():
        groups: dict[tuple[str, str | None], list[lxml.html.HtmlElement]] = {}
        for child in parent:
            if isinstance(child.tag, str) and child.tag not in ("script", "style"):
                groups.setdefault((child.tag, child.get("class")), []).append(child)
        for members in groups.values():
            if len(members) < 3:
                continue
            dated = [m for m in members if _writes_date(m)]
            if len(dated) >= 3:
                teasers.extend(dated)
    for node in teasers:
        if node.getparent() is not None:
            node.drop_tree()
    return copy


# Readers' comments under a post, each dated by its writer ("January 9, 2025 at 8:12 pm"):
# WordPress's and Disqus's. None dates the post. (Not schema.org's Comment items: a forum
# marks its thread's first post one too.)
_COMMENTS = (
    "//*[@id='comments' or @id='disqus_thread' or @id='respond'"
    + "".join(
        f" or contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"
        for name in ("comment-list", "commentlist", "comments-area", "comment-respond")
    )
    + "]"
)


def _without_comments(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The page without its readers' comments: itself where it has none, else a copy. A
    "comments" element holding the headline is the page's, not a thread under it."""
    if not any(not node.xpath(".//h1") for node in tree.xpath(_COMMENTS)):
        return tree
    copy = deepcopy(tree)
    for node in copy.xpath(_COMMENTS):
        if node.getparent() is not None and not node.xpath(".//h1"):
            node.drop_tree()
    return copy


def page_dates(
    tree: lxml.html.HtmlElement,
    url: str,
    *,
    jsonld: list[dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> PageDates:
    """The page's publication and modification dates, from its own markup first."""
    now = now or datetime.now(UTC)
    objects = jsonld_objects(tree) if jsonld is None else jsonld
    from_jsonld = _jsonld_dates(objects, now)
    from_meta = _meta_dates(tree, now)
    from_microdata = _microdata_dates(tree, now)
    modified = from_jsonld[1] or from_meta[1] or from_microdata[1]
    own_url_day = url_day(url)
    for source, (published, _) in (
        ("json-ld", from_jsonld),
        ("meta", from_meta),
        ("microdata", from_microdata),
    ):
        if published is not None:
            shown = None if own_url_day else _shown_instead(tree, url, published, modified, now)
            if shown is not None:
                return PageDates(shown, modified, "byline")
            return PageDates(_with_url_day(published, url), modified, source)
    if own_url_day is not None and EARLIEST.date() <= own_url_day <= now.date():
        return PageDates(_day_stamp(own_url_day), modified, "url")
    tree = _without_comments(tree)
    byline, updated = byline_dates(tree, now, url=url)
    if byline is not None:
        return PageDates(byline, modified, "byline")
    # The page shows no date beside its headline but its "Updated ..." line: the latest it
    # can have been published, and the date its readers take for it. htmldate's search of
    # the rest would take the oldest date anywhere on the page (a comment's, a footer's).
    if updated is not None:
        return PageDates(updated, modified or updated, "updated")
    # ... nor that, but a line anywhere that says when this story was published (an
    # alternative weekly's "This story was published September 6, 2023." after its text),
    # or a day its own address writes in one run of digits ("/news/20230914-bridge"):
    # before htmldate's search, which takes the oldest date of a box of related links.
    stated = said_published(tree, now)
    if stated is not None:
        return PageDates(stated, modified, "text")
    compact = compact_url_day(url)
    if compact is not None and EARLIEST.date() <= compact <= now.date():
        return PageDates(_day_stamp(compact), modified, "url")
    # Markup is silent: htmldate reads other markup, then the text.
    budget = _dateparser_lines_left.set(MAX_DATEPARSER_LINES)
    try:
        found = find_date(
            _without_others(tree),
            extensive_search=True,
            original_date=True,
            url=url,
            max_date=(now + FUTURE_SLACK).strftime("%Y-%m-%d"),
        )
    except Exception:  # htmldate raises assorted errors on odd markup; no date is the answer
        found = None
    finally:
        _dateparser_lines_left.reset(budget)
    searched = parse_stamp(found, now) if found else None
    if searched is not None and (searched.day.month, searched.day.day) == (1, 1):
        # htmldate falls back to a year alone (a copyright line) as 1 January: no day.
        searched = None
    if searched is not None and searched.day.day == 1 and not _writes_first(tree, searched.day):
        # ... and to a month alone ("February 2024", an impossible "2024-02-30") as its
        # first day: a day the page never wrote.
        searched = None
    return PageDates(searched, modified, "htmldate" if searched else None)


def _writes_first(tree: lxml.html.HtmlElement, day: date) -> bool:
    """Whether the page writes the first of ``day``'s month as a day, in its text or its
    attributes (a datetime, an address): "2024-02-01", "01.02.2024", "2/1/2024", "February
    1, 2024", "1er février 2024", "20240201"."""
    year, month = day.year, day.month
    names = "|".join(name for name, number in MONTHS_BY_NAME.items() if number == month)
    written = re.compile(
        rf"(?<!\d){year}(?P<a>[-/.])0?{month}(?P=a)0?1(?!\d)|(?<!\d){year}{month:02}01(?!\d)"
        rf"|(?<!\d)0?1(?P<b>[-/.])0?{month}(?P=b){year}(?!\d)"
        rf"|(?<!\d)0?{month}(?P<c>[-/.])0?1(?P=c){year}(?!\d)"
        rf"|\b(?:{names})\.?\s+0?1(?:st)?\b,?\s*(?:de\s+)?{year}"
        rf"|(?<!\d)0?1(?:st|er|º|\.)?\s+(?:de\s+)?(?:{names})\.?,?\s+(?:de\s+)?{year}",
        re.I,
    )
    return any(
        written.search(" ".join(str(value).split()))
        for value in itertools.chain(tree.itertext(), tree.xpath("//@*"))
    )


def _day_stamp(day: date) -> Stamp:
    """A date known to the day only: midnight UTC, with no offset of its own."""
    return Stamp(datetime.combine(day, datetime.min.time(), UTC), False, False)


_URL_DAY = re.compile(r"\D((?:19|20)\d{2})[/_-](0?[1-9]|1[0-2])[/_-](0?[1-9]|[12]\d|3[01])(?:\D|$)")


def _with_url_day(stamp: Stamp, url: str) -> Stamp:
    """A time written in UTC may fall on the next or previous day of the publisher's own
    calendar; the day in the page's own URL says which. (Not the day its dateline shows,
    which the page's readers take for it: WCXB's people took the day the markup writes,
    4 of 5 times on its dev split where the two differ.)"""
    if stamp.offset_minutes not in (0, None) or not stamp.has_time:
        return stamp
    day = url_day(url)
    if day is not None and abs((day - stamp.at.date()).days) == 1:
        return replace(stamp, url_day=day)
    return stamp


# A day in one run of digits in an address's path ("/news/20230914-bridge-reopens").
_COMPACT_URL_DAY = re.compile(
    r"(?<![\d])((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?![\d])"
)


def compact_url_day(url: str) -> date | None:
    """The day a URL's path writes as eight digits, if any: read only where nothing else
    dates the page (eight digits may be an article's number)."""
    return _year_month_day(_COMPACT_URL_DAY.search(urlsplit(url).path))


def _year_month_day(match: re.Match[str] | None) -> date | None:
    """The day a match's first three groups give as year, month and day, if it is one."""
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


# A line that says when the story itself was published, wherever it stands; a page says it
# once or twice.
SAID_PUBLISHED_LINES = 10
_SAID_PUBLISHED = re.compile(
    r"\b(?:this|the)\s+(?:story|article|post|piece|report|column|item)\s+was\s+"
    r"(?:first\s+|originally\s+)?(?:published|posted)\s+(?:on\s+)?",
    re.I,
)
_SHOWN_TEXT = etree.XPath("//body//text()[not(ancestor::script or ancestor::style)]")


def said_published(tree: lxml.html.HtmlElement, now: datetime) -> Stamp | None:
    """The day a line of the page says "This story was published" on, if one does."""
    tried = 0
    for piece in _SHOWN_TEXT(tree):
        if ("ublish" not in piece and "osted" not in piece) or not _SAID_PUBLISHED.search(piece):
            continue
        tried += 1
        if tried > SAID_PUBLISHED_LINES:  # a page repeating it: its element read each time
            return None
        # read with the element it stands in: the date may be a <time> of its own
        owner = piece.getparent()
        if piece.is_tail and owner is not None:
            owner = owner.getparent()
        text = " ".join((owner.text_content() if owner is not None else piece).split())[:2000]
        for said in _SAID_PUBLISHED.finditer(text):
            match = _TEXT_DATE.match(text, said.end())
            day = _text_date(match) if match else None
            if day is not None and EARLIEST.date() <= day <= now.date():
                return _day_stamp(day)
    return None


def url_day_span(path: str) -> tuple[int, int] | None:
    """Where the day a path gives begins and ends (".../2025/12/18" before "/slug"), or
    None."""
    match = _URL_DAY.search(path)
    return (match.start(1), match.end(3)) if match else None


def url_day_end(path: str) -> int | None:
    """Where the day a path gives ends (".../2025/12/18" before "/slug"), or None."""
    day = url_day_span(path)
    return day[1] if day else None


def url_day(url: str) -> date | None:
    """The day a URL's path gives (".../2025/12/18/slug"), if any."""
    return _year_month_day(_URL_DAY.search(url))


# Any English spelling of a month, for other patterns (a byline's trailing date).
MONTH_NAMES = f"(?:{ENGLISH_MONTH_PATTERN})"
# A date as a page writes it for readers, in English or another language's month names
# ("March 3, 2024", "3 March 2024", "04-ago-2021", "3. März 2024", "3 de marzo de 2024"),
# or in Chinese, Japanese or Korean ("2024年3月5日").
_TEXT_DATE = re.compile(
    # the year first, in numbers: ISO's "2024-03-05", and "2024.03.05", "2024/3/5" (Korea,
    # China, Japan: never read day first)
    rf"\b(?:(?P<y1>(?:19|20)\d{{2}})-(?P<m1>[01]\d)-(?P<d1>[0-3]\d)"
    rf"|(?P<y6>(?:19|20)\d{{2}})(?P<s6>[./])(?P<m6>[01]?\d)(?P=s6)(?P<d6>[0-3]?\d)(?![./]?\d)"
    rf"|(?P<mn2>{MONTH_NAME_PATTERN})\.?\s+(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y2>(?:19|20)\d{{2}})"
    rf"|(?P<d3>[0-3]?\d)(?:st|nd|rd|th|er|º|°)?\.?(?:\s+de)?(?:\s+|-)(?P<mn3>{MONTH_NAME_PATTERN})\.?,?"
    rf"(?:\s+de)?(?:\s+|-)(?P<y3>(?:19|20)\d{{2}})"
    rf"|(?P<d4>[0-3]\d)\.(?P<m4>[01]\d)\.(?P<y4>(?:19|20)\d{{2}}))\b"
    # Chinese, Japanese and Korean sign the year, month and day ("2024年3月5日", "2024년 3월
    # 5일") and set no space around a date: no word boundary to stand on.
    rf"|(?<!\d)(?P<y5>(?:19|20)\d{{2}})\s*[年년]\s*(?P<m5>1[0-2]|0?[1-9])\s*[月월]"
    rf"\s*(?P<d5>3[01]|[12]\d|0?[1-9])(?!\d)"
    # Thai: "12 มี.ค. 2567", "12 มีนาคม พ.ศ. 2567", "12 มี.ค. 67" (Buddhist-era years)
    rf"|(?<!\d)(?P<d7>3[01]|[12]\d|0?[1-9])\s*(?P<mn7>{THAI_MONTH_PATTERN})\s*(?:พ\.ศ\.\s*)?"
    rf"(?P<y7>25\d{{2}}|(?:19|20)\d{{2}}|\d{{2}})(?!\d)",
    re.I,
)
# "Updated" in English and in the languages whose month names the dates above read: a
# European paper often shows only its update line beside the headline ("Actualizado: 10
# de marzo", "Aktualisiert am 07.03.2024", "Stand: 07.03.2024", "Mis à jour le ...").
_UPDATED_LABEL = re.compile(
    r"\b(?:updated|modified|edited|revised|reviewed|refreshed"
    r"|actualizad[oa]|actualizaci[oó]n|atualizad[oa]|atualiza[cç][aã]o|aktualisiert"
    r"|ge[aä]ndert|stand|mise? [aà] jour|modifi[ée]e?|aggiornat[oa]|aggiornamento"
    r"|modificat[oa]|bijgewerkt|gewijzigd|zaktualizowan[oy]|aktualizov[aá]no"
    r"|uppdaterad|opdateret|oppdatert|p[aä]ivitetty|обновлено|güncellendi|güncelleme"
    r"|оновлено|изменено|diperbarui|aktualizacja|ενημερώθηκε|ενημέρωση|עודכן|cập nhật)\b"
    r"|更新|修改|수정|업데이트|آخر تحديث|تم التحديث|محدث|به\u200cروز|بروز|अपडेट|อัปเดต|ปรับปรุง",
    re.I,
)
# A date labelled as the text's first publication by another outlet ("This article was
# originally published on The Conversation on ..."): not this page's. Where the date follows
# the label at once ("Originally published: ...", "Originally published on Sept. 13"), it is
# the page's own first publication, below its "Updated" line.
_ELSEWHERE_LABEL = re.compile(
    r"\b(?:originally|first)\s+(?:published|appeared|ran|posted)\s+(?:on|in|by|at)\s+\S"
    r"|\b(?:published|appeared)\s+first\s+(?:on|in)\s+\S"
    r"|\bpubli[ée]e?\s+(?:initialement|originellement|d'abord)\s+(?:sur|dans|par)\s+\S"
    r"|\bursprünglich\s+(?:erschienen|veröffentlicht)\s+(?:in|auf|bei)\s+\S"
    r"|\bpublicad[oa]\s+originalmente\s+(?:en|por|no|na)\s+\S",
    re.I,
)
# A date in numbers alone ("07/03/2024"), which ``_TEXT_DATE`` does not read (day or month
# first?) but which makes a short line a dateline of its own, not the next one's label.
_NUMERIC_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b")
# A date in numbers with slashes, day and month in either order ("03/05/2024"), or dots
# ("5.3.2024", day first; "05.03.2024" is read by ``_TEXT_DATE``).
_SLASHED_DATE = re.compile(
    r"(?<![\d/.-])(?P<a>[0-3]?\d)(?P<sep>[/.])(?P<b>[0-3]?\d)(?P=sep)(?P<y>(?:19|20)\d{2})(?![\d/])"
)
# English-speaking countries other than the United States write the day first.
_DAY_FIRST_ENGLISH = frozenset({"gb", "uk", "ie", "au", "nz", "in", "za", "ca", "sg", "pk", "ng"})


def month_first(tree: lxml.html.HtmlElement, url: str) -> bool | None:
    """Whether the page writes a date in numbers month first ("03/05/2024" for March 5):
    American English does; every other language, and English elsewhere, writes the day
    first. Read from the locale the page declares (og:locale, its language attribute,
    Content-Language, its one English hreflang), else from the page's own dates in numbers
    that read only one way ("31/01/2025" in its sidebar), else, for English, from its
    address's country; None where the page declares no language and its dates tell
    nothing."""
    declared: list[str] = [
        *tree.xpath('//meta[@property="og:locale"]/@content'),
        tree.get("lang") or "",
        *tree.xpath('//meta[translate(@http-equiv, "CONTENT-LANGUAGE", "content-language")'
                    ' = "content-language"]/@content'),
    ]  # fmt: skip
    locales = [str(v).strip().lower().replace("_", "-") for v in declared if str(v).strip()]
    if not locales:
        return _order_written(tree)
    for locale in locales:
        language, _, region = locale.partition("-")
        if region:
            return language == "en" and region == "us"
    if not locales[0].startswith("en"):
        return False
    alternates = {
        locale
        for v in tree.xpath("//link[@hreflang]/@hreflang")
        if (locale := str(v).strip().lower().replace("_", "-")).startswith("en-")
    }
    if len(alternates) == 1:
        return alternates.pop() == "en-us"
    written = _order_written(tree)
    if written is not None:
        return written
    host_country = (urlsplit(url).hostname or "").rsplit(".", 1)[-1]
    return host_country not in _DAY_FIRST_ENGLISH


def _order_written(tree: lxml.html.HtmlElement) -> bool | None:
    """The order the page's own dates in numbers can only be read in: "31/01/2025" day
    first, "02/27/2025" month first; None where they show neither, or both. Only dates the
    page writes as its own (a sidebar's, a list's), not one a sentence quotes ("a notice
    dated 14/02/2025")."""
    orders = set()
    for text in _SHOWN_TEXT(tree):
        if len(text.split()) >= SENTENCE_WORDS:
            continue
        for match in _SLASHED_DATE.finditer(str(text)):
            first, second = int(match["a"]), int(match["b"])
            if match["sep"] == "/" and (first > 12) != (second > 12):
                orders.add(second > 12)
    return orders.pop() if len(orders) == 1 else None


def _slashed_day(match: re.Match[str], order: bool | None) -> date | None:
    """The day a date in numbers gives, read in the page's order; where the page's order is
    unknown, only a date that can be read one way ("25/03/2024")."""
    first, second, year = int(match["a"]), int(match["b"]), int(match["y"])
    if first > 12 or match["sep"] == ".":  # "5.3.2024": no one writes the month first so
        order = False
    elif second > 12 or first == second:
        order = True
    elif order is None:
        return None
    month, day = (first, second) if order else (second, first)
    try:
        return date(year, month, day)
    except ValueError:
        return None


_BYLINE_BEFORE = 4  # text pieces before the headline (a date above it, in the kicker)
_BYLINE_AFTER = 12  # ... and after it (the byline, the first paragraph)


def _text_date(match: re.Match[str]) -> date | None:
    parts = match.groupdict()
    try:
        if parts["y1"]:
            return date(int(parts["y1"]), int(parts["m1"]), int(parts["d1"]))
        if parts["y2"]:
            return date(int(parts["y2"]), MONTHS_BY_NAME[parts["mn2"].lower()], int(parts["d2"]))
        if parts["y3"]:
            return date(int(parts["y3"]), MONTHS_BY_NAME[parts["mn3"].lower()], int(parts["d3"]))
        if parts["y5"]:
            return date(int(parts["y5"]), int(parts["m5"]), int(parts["d5"]))
        if parts["y6"]:
            return date(int(parts["y6"]), int(parts["m6"]), int(parts["d6"]))
        if parts["y7"]:
            month = THAI_MONTHS_BY_NAME[parts["mn7"]]
            return date(thai_year(parts["y7"]), month, int(parts["d7"]))
        return date(int(parts["y4"]), int(parts["m4"]), int(parts["d4"]))
    except ValueError:
        return None


def shown_day(text: str) -> date | None:
    """The first date a text shows as pages write dates for readers, or None."""
    match = _TEXT_DATE.search(text)
    return _text_date(match) if match else None


def _visible_pieces(
    tree: lxml.html.HtmlElement, after_headline: int
) -> tuple[list[tuple[str, lxml.html.HtmlElement]], int | None]:
    """The page's text pieces in reading order with the element holding each, up to
    ``after_headline`` pieces after its first headline, and the index of that headline."""
    pieces: list[tuple[str, lxml.html.HtmlElement]] = []
    headline = None
    hidden = {"script", "style", "noscript", "template", "svg"}
    body = tree.find("body")
    if body is None:
        return pieces, None
    # Depth first, in reading order, never into hidden elements; a tail follows the
    # element's children and belongs to its parent.
    stack: list[tuple[lxml.html.HtmlElement, bool]] = [(body, False)]
    while stack:
        if headline is not None and len(pieces) >= headline + after_headline:
            break  # the rest of the page is too far from the headline to date it
        node, children_done = stack.pop()
        hidden_node = not isinstance(node.tag, str) or node.tag in hidden
        if children_done or hidden_node:
            tail = (node.tail or "").strip()
            if tail and node is not body:
                pieces.append((tail, node.getparent()))
            continue
        if node.tag == "h1" and headline is None and node.text_content().strip():
            headline = len(pieces)
        if node.text and node.text.strip():
            pieces.append((node.text.strip(), node))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return pieces, headline


def _writes_date(element: lxml.html.HtmlElement) -> bool:
    """A date is written in the element's text, read as a whole and with its pieces apart:
    minified markup sets a teaser's date right after its headline's link
    ("...waterfront</a><span>Feb. 27, 2024"), and read as a whole the two are one word
    ("waterfrontFeb"), no date; a date in pieces ("<b>March 3</b>, 2024") is one only read
    as a whole. (Not a date in numbers whatever its order, "20.03.24": a forum's posts are
    alike blocks so dated, and two WCXB dev threads lost their dates with it.)"""
    return bool(
        _TEXT_DATE.search(element.text_content()) or _TEXT_DATE.search(" ".join(element.itertext()))
    )


def _shows_date(element: lxml.html.HtmlElement) -> bool:
    """The element shows a date: in its words, or in a <time datetime> ("12/16/2025")."""
    if _writes_date(element):
        return True
    return element.get("datetime") is not None or bool(element.xpath(".//time[@datetime]"))


def _in_dated_teasers(node: lxml.html.HtmlElement, levels: int = 5) -> bool:
    """The element sits in one of several alike siblings that each show a date: a list of
    teasers for other pages, whose dates are theirs."""
    for _ in range(levels):
        parent = node.getparent()
        if parent is None or node.tag in ("body", "main"):
            return False
        if node.tag == "article" and node.find(".//h1") is not None:
            return False  # the page's own story; a teaser card is an <article> as often
        alike = [
            sibling
            for sibling in parent
            if sibling is not node
            and sibling.tag == node.tag
            and sibling.get("class") == node.get("class")
            and _shows_date(sibling)
        ]
        if len(alike) >= 2:
            return True
        node = parent
    return False


# A dateline that opens the story's first paragraph, a wire's or a press release's: the
# place in capitals, the date, then a dash or the wire's name ("SAN FRANCISCO, March 5,
# 2024 /PRNewswire/ -- ...", "BERLIN (March 5, 2024) – ...").
_OPENING_PLACE = re.compile(r"^[A-ZÀ-Ý][A-ZÀ-Ý .'’-]{2,40}(?:,\s*[A-Z][\w. ]{1,30})?\s*[,(]\s*$")
_AFTER_DATELINE = re.compile(r"^\s*(?:\)|/[^/]{2,30}/|\([^)]{2,30}\))?\s*(?:--|[—–-])\s")


def _opening_dateline(text: str) -> date | None:
    match = _TEXT_DATE.search(text[:90])
    if match is None or not _OPENING_PLACE.match(text[: match.start()]):
        return None
    if not _AFTER_DATELINE.match(text[match.end() : match.end() + 40]):
        return None
    return _text_date(match)


_BLOCKS = frozenset({"li", "div", "p", "section", "aside", "nav", "header", "ul", "ol", "dd"})


# Where a site links its sections: a link to one of these addresses is a section's.
_MENU_LINKS = etree.XPath(
    "//nav//a | //*[@role='navigation']//a"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' menu ')]//a"
)


def _beside_a_headline_link(node: lxml.html.HtmlElement) -> bool:
    """A date above the headline that shares its block with a link of a few words: a
    ticker's or a "Most read" box's teaser ("Latest: Storm warning lifted 12 March 2024"),
    not the story's kicker ("News | March 3, 2024", "Europe and Central Asia | March 3,
    2024": a section the site's menu links to as well)."""
    block = next(
        (n for n in (node, *node.iterancestors()) if n.tag in _BLOCKS or n.tag == "body"), None
    )
    if block is None or block.tag == "body" or block.find(".//h1") is not None:
        return False
    links = [
        link
        for link in block.iterfind(".//a[@href]")
        if len(" ".join(link.itertext()).split()) >= 3
    ]
    if not links:
        return False
    menu = {
        link.get("href")
        for link in _MENU_LINKS(node.getroottree())
        if block not in link.iterancestors()
    }
    return any(link.get("href") not in menu for link in links)


def _shown_instead(
    tree: lxml.html.HtmlElement, url: str, published: Stamp, modified: Stamp | None, now: datetime
) -> Stamp | None:
    """The date shown beside the headline, in place of a publication date in the markup
    that the page shows nowhere: a CMS's import or republish stamp, where the page's own
    dateline says when it was published. Only when the two are more than a day apart (not
    one instant in two time zones) and the shown date is not the markup's modification
    date (the page's "Updated ..." line, which readers of the page took for the
    publication date about as often as not). On the dev split's 656 dated articles it
    changed 7 dates, all to the right day."""
    shown = byline_date(tree, now, before_text=True, url=url)
    if shown is None or abs((shown.day - published.day).days) <= 1:
        return None
    if modified is not None and shown.day == modified.day:
        return None
    day, month = published.day.day, published.day.month
    if day <= 12 and shown.day == published.day.replace(month=day, day=month):
        return None  # "09.10.2024": the markup's day written month first, read day first
    if published.day in _days_shown(tree, url):
        return None
    return shown


def _days_shown(tree: lxml.html.HtmlElement, url: str) -> set[date]:
    """Every day written in the page's visible text, in words or in numbers (in the page's
    order), and every day its <time> elements give ("5 hours ago" shows one too)."""
    pieces, _ = _visible_pieces(tree, after_headline=sys.maxsize)
    text = " ".join(piece for piece, _ in pieces)
    days = {day for match in _TEXT_DATE.finditer(text) if (day := _text_date(match))}
    order = month_first(tree, url)
    days.update(
        day for match in _SLASHED_DATE.finditer(text) if (day := _slashed_day(match, order))
    )
    stamps = (parse_stamp(value) for value in _TIME_DATETIMES(tree))
    days.update(stamp.day for stamp in stamps if stamp is not None)
    return days


_TIME_DATETIMES = etree.XPath("//body//time/@datetime")


def byline_date(
    tree: lxml.html.HtmlElement, now: datetime, *, before_text: bool = False, url: str = ""
) -> Stamp | None:
    """The date shown beside the headline, as a reader sees it: a publication date, never
    one labelled as an update. ``before_text``: only a dateline between the headline and
    the first paragraph of running text (not a date in what follows the article, when it
    is short)."""
    return byline_dates(tree, now, before_text=before_text, url=url)[0]


def byline_dates(
    tree: lxml.html.HtmlElement, now: datetime, *, before_text: bool = False, url: str = ""
) -> tuple[Stamp | None, Stamp | None]:
    """``byline_date``'s date, and the first date beside the headline labelled as an update
    ("Last updated: ...") before it, or in its place where there is none; one walk of the
    page for both. A date in numbers ("03/05/2024") is read in the order of the page's
    language and ``url``'s country (``month_first``)."""
    updated = None
    order = month_first(tree, url)
    pieces, headline = _visible_pieces(tree, _BYLINE_AFTER)
    if headline is None:
        return None, None
    start = max(0, headline - _BYLINE_BEFORE)
    running = False  # the first piece of running text after the headline is behind
    for index in range(start, min(len(pieces), headline + _BYLINE_AFTER)):
        text, holder = pieces[index]
        match = _TEXT_DATE.search(text) or _SLASHED_DATE.search(text)
        if len(text) > 200 or (index > headline and match and _tells_of(text, match)):
            if index > headline and not running:
                running = True
                opening = _opening_dateline(text)
                if opening is not None and EARLIEST.date() <= opening <= now.date():
                    return _day_stamp(opening), updated
            if before_text and index > headline:
                break
            continue  # running text: a date in it is a date it talks about
        day = None
        if match is not None:
            day = _slashed_day(match, order) if match.re is _SLASHED_DATE else _text_date(match)
        stamp = _time_element_stamp(holder, day, now)
        if stamp is None and day is None:
            continue
        label = text[: match.start()] if match else text  # "Updated:" inside a <time>
        before = pieces[index - 1][0] if index > 0 else ""
        if len(before) <= 30 and not _TEXT_DATE.search(before) and not _NUMERIC_DATE.search(before):
            label = before + " " + label  # a label ("Updated:"), not a dateline of its own
        if _in_dated_teasers(holder) or (index < headline and _beside_a_headline_link(holder)):
            continue
        if stamp is None and day is not None and EARLIEST.date() <= day <= now.date():
            stamp = _day_stamp(day)
        if stamp is None or _ELSEWHERE_LABEL.search(label):
            continue
        if not _UPDATED_LABEL.search(label):
            return stamp, updated
        updated = updated or stamp
    return None, updated


SENTENCE_WORDS = 10  # a line this long that ends as a sentence is the story's, not a dateline
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*$")
_PUBLISHING_WORDS = re.compile(
    r"\b(?:published|posted|by|written|dated?|filed|released|appeared|ran|edition"
    r"|publi[ée]e?|publicad[oa]|pubblicat[oa]|ver[öo]ffentlicht|erschienen?|gepubliceerd"
    r"|parue?|[ée]dition|ausgabe|von|par|por|di)\b",
    re.I,
)


def _tells_of(text: str, match: re.Match[str]) -> bool:
    """Whether a short piece with a date is a sentence of the story that tells of that day
    ("The vote on March 15, 2025, will decide the levy."), not a dateline ("Published on
    Monday, March 3, 2025 at 10:45 a.m."): ten words or more ending as a sentence, the date
    not at its start nor after a publishing or updating word."""
    before = text[: match.start()]
    return (
        len(text.split()) >= SENTENCE_WORDS
        and bool(_SENTENCE_END.search(text))
        and len(before.split()) >= 2
        and not _PUBLISHING_WORDS.search(before)
        and not _UPDATED_LABEL.search(before)
    )


def _time_element_stamp(
    holder: lxml.html.HtmlElement, shown: date | None, now: datetime
) -> Stamp | None:
    """The machine-readable date of a dateline written in a <time datetime> element: it
    reads "03/01/2017" or "10/12/2023 7:38 PM" without guessing which number is the month,
    and it is the date the page gives itself where its words say otherwise. Where the words
    show the day before or after (an instant written in UTC, shown in the publisher's time
    zone), the day shown is the publisher's."""
    element = holder if holder.tag == "time" else holder.getparent()
    if element is None or element.tag != "time":
        return None
    stamp = parse_stamp(element.get("datetime"), now)
    if stamp is None:
        return None
    if shown is not None and shown != stamp.day and abs((shown - stamp.day).days) <= 1:
        return _day_stamp(shown)
    return stamp
