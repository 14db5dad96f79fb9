"""Discovery parsing: feeds, sitemaps, robots.txt and URL lists into ``Link`` records.

Pure functions over bytes or text: no network, no Prefect. The fetch step hands us bodies;
we say which URLs they list. Feeds and sitemaps in the wild are often broken (wrong or
missing encoding declarations, HTML entities, bare ampersands, truncated bodies), so XML is
read with lxml's recovering parser after a few repairs, and never with entity expansion or
network access (XXE, billion laughs).
"""

from __future__ import annotations

import codecs
import html
import html.entities
import re
import zlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from lxml.etree import _Element

from tasks.charsets import browser_codec, is_wide, lenient_decode, strict_decode
from tasks.content_coding import GZIP_MAGIC
from tasks.datebounds import plausible
from tasks.json_values import read_json
from tasks.months import MONTHS_BY_NAME
from tasks.urls import is_http_url
from wirehouse.errors import InputError, ParseError
from wirehouse.records import Link
from wirehouse.settings import FetchSettings

__all__ = [
    "MAX_DECOMPRESSED_BYTES",
    "is_http_url",
    "parse_date",
    "parse_feed",
    "parse_sitemap",
    "parse_url_list",
    "sitemaps_from_robots",
]

# The default ceiling after gunzip (the run passes its max_feed_bytes setting): a 50 KB gzip
# body can inflate to gigabytes.
MAX_DECOMPRESSED_BYTES = FetchSettings().max_feed_bytes

_ATOM = "http://www.w3.org/2005/Atom"
_ATOM03 = "http://purl.org/atom/ns#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_DC = "http://purl.org/dc/elements/1.1/"
_DCTERMS = "http://purl.org/dc/terms/"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
# RSS elements are un-namespaced in 0.9x/2.0, namespaced in 1.0 and 0.90; a few 2.0 feeds
# declare a Userland/Harvard default namespace.
_RSS_NAMESPACES = frozenset(
    {
        "",
        "http://purl.org/rss/1.0/",
        "http://my.netscape.com/rdf/simple/0.9/",
        "http://backend.userland.com/rss2",
        "http://blogs.law.harvard.edu/tech/rss",
    }
)
_SITEMAP_ROOTS = frozenset({"urlset", "sitemapindex"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})


class _TooLarge(Exception):
    """Decompressed body over the cap; turned into ParseError(reason="too_large")."""


# --------------------------------------------------------------------------- URLs


def _resolve(raw: str | None, base: str | None) -> str | None:
    """``raw`` made absolute against ``base``; None unless the result is http(s)."""
    if raw is None:
        return None
    # Feeds wrap long URLs over lines and pad them; a URL never holds raw whitespace.
    url = re.sub(r"[\t\r\n]+", "", raw).strip().replace(" ", "%20")
    if not url:
        return None
    if base:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    return url if is_http_url(url) else None


def _dedupe_links(links: Iterable[Link]) -> list[Link]:
    seen: set[str] = set()
    out: list[Link] = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            out.append(link)
    return out


def _dedupe_strings(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --------------------------------------------------------------------------- dates


# RFC 822 zones plus the abbreviations feeds commonly use instead of an offset.
_ZONES: dict[str, int] = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "wet": 0, "bst": 60, "west": 60, "cet": 60,
    "met": 60, "mez": 60, "cest": 120, "mesz": 120, "mest": 120, "eet": 120, "eest": 180,
    "msk": 180, "ist": 330,
    "sgt": 480, "hkt": 480, "awst": 480, "jst": 540, "kst": 540, "acst": 570, "aest": 600,
    "aedt": 660, "nzst": 720, "nzdt": 780, "est": -300, "edt": -240, "cst": -360,
    "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420, "akst": -540,
    "akdt": -480, "hst": -600, "ast": -240, "adt": -180, "nst": -210, "ndt": -150,
}  # fmt: skip

_ISO_DATE = re.compile(
    r"""^(?P<y>\d{4})(?:(?P<s>[-/.]?)(?P<m>\d{1,2})(?:(?P=s)(?P<d>\d{1,2}))?)?
        (?:[T\s]+(?P<H>\d{1,2}):?(?P<M>\d{2})(?::?(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?)?
        \s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$""",
    re.IGNORECASE | re.VERBOSE,
)
_DATE_TOKEN = re.compile(
    r"""(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)
      | (?<=[\s\d])(?P<offset>[+-]\d{2}:?\d{2})(?!\d)
      | (?P<num>\d+)
      | (?P<word>[^\W\d_]+)""",
    re.VERBOSE,
)


def _make_datetime(
    year: int, month: int, day: int, hour: int, minute: int, second: int, micro: int,
    offset_minutes: int,
) -> datetime | None:  # fmt: skip
    if not 1900 <= year <= 2200:  # anything else is a typo or a placeholder, not a hint
        return None
    if hour == 24 and minute == 0 and second == 0:  # "24:00" means the next midnight
        hour, extra = 0, timedelta(days=1)
    else:
        extra = timedelta()
    if second == 60:  # leap second
        second = 59
    if abs(offset_minutes) > 14 * 60:
        return None
    try:
        local = datetime(
            year, month, day, hour, minute, second, micro,
            tzinfo=timezone(timedelta(minutes=offset_minutes)),
        )  # fmt: skip
    except ValueError:
        return None
    return (local + extra).astimezone(UTC)


def _offset_minutes(text: str | None) -> int | None:
    """Minutes east of UTC for "Z", "+05:30", "-0300", "+01"; None when unreadable."""
    if not text:
        return 0
    lowered = text.lower()
    if lowered in _ZONES:
        return _ZONES[lowered]
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", text)
    if not m:
        return None
    hours, minutes = int(m.group(2)), int(m.group(3) or 0)
    if minutes >= 60:
        return None
    total = hours * 60 + minutes
    return -total if m.group(1) == "-" else total


def _parse_iso(text: str) -> datetime | None:
    m = _ISO_DATE.match(text)
    if not m:
        return None
    offset = _offset_minutes(m.group("tz"))
    if offset is None:
        return None
    fraction = (m.group("f") or "0")[:6].ljust(6, "0")
    return _make_datetime(
        int(m.group("y")), int(m.group("m") or 1), int(m.group("d") or 1),
        int(m.group("H") or 0), int(m.group("M") or 0), int(m.group("S") or 0),
        int(fraction), offset,
    )  # fmt: skip


def _parse_loose(text: str) -> datetime | None:
    """RFC 822 and its many broken relatives, read token by token: a month name, a day,
    a year, a time (HH:MM[:SS] or a bare HHMM), AM/PM, a zone name or offset."""
    # "GMT+0100" and "UTC-05:00" are an offset with a redundant name in front.
    text = re.sub(r"\b(?:GMT|UTC|UT)(?=[+-]\d)", " ", text, flags=re.IGNORECASE)
    day = year = None
    months: list[tuple[bool, int]] = []
    hour = minute = second = micro = 0
    have_time = False
    offset: int | None = None
    pm: bool | None = None
    numbers: list[str] = []
    for token in _DATE_TOKEN.finditer(text):
        kind = token.lastgroup
        value = token.group()
        if kind == "time" and not have_time:
            pieces = re.split(r"[:.,]", value)
            hour, minute = int(pieces[0]), int(pieces[1])
            second = int(pieces[2]) if len(pieces) > 2 else 0
            if len(pieces) > 3:
                micro = int(pieces[3][:6].ljust(6, "0"))
            have_time = True
        elif kind == "offset" and offset is None:
            offset = _offset_minutes(value)
            if offset is None:
                return None
        elif kind == "num":
            numbers.append(value)
        elif kind == "word":
            word = value.lower()
            number = MONTHS_BY_NAME.get(word) or (
                MONTHS_BY_NAME.get(word[:3]) if word.isascii() else None
            )
            if number is not None:
                # A word followed by a comma is a weekday, even one spelled like a month
                # (Spanish "Mar, 24 Sep 2018": martes).
                weekday_like = text[token.end() :].lstrip(".").startswith(",")
                months.append((weekday_like, number))
            elif word in ("am", "pm"):
                pm = word == "pm"
            elif offset is None and word in _ZONES:
                offset = _ZONES[word]
            # Anything else is a weekday ("Mon", "Seg", "Thurs") or noise: ignored.
    if not months:
        return None
    month = min(months, key=lambda candidate: candidate[0])[1]
    for value in numbers:
        number = int(value)
        if day is None and len(value) <= 2 and 1 <= number <= 31:
            day = number
        elif year is None and len(value) in (2, 4):
            # RFC 2822 section 4.3: two-digit years below 50 are 20xx, the rest 19xx.
            year = number if len(value) == 4 else number + (2000 if number < 50 else 1900)
        elif not have_time and len(value) == 4:  # "03 Apr 02 1500 GMT": HHMM with no colon
            hour, minute = int(value[:2]), int(value[2:])
            have_time = True
        else:
            return None
    if day is None or year is None:
        return None
    if pm is not None and 1 <= hour <= 12:
        hour = hour % 12 + (12 if pm else 0)
    return _make_datetime(year, month, day, hour, minute, second, micro, offset or 0)


def parse_date(text: str | None) -> datetime | None:
    """A feed or sitemap date as an aware UTC datetime, or None when it cannot be read or
    cannot be one (before 1995, or days from now).

    Reads ISO 8601 / RFC 3339 / W3C datetime (also with a space, no colon in the offset, or
    no zone), RFC 822 / 2822 (also with 2-digit years, colon-less times, zone names and
    localized month names) and Unix timestamps. A date without a zone is taken as UTC."""
    if not text:
        return None
    text = " ".join(text.split())
    if not text or len(text) > 100:
        return None
    if re.fullmatch(r"\d{9,10}", text):  # Unix seconds, as some generators emit
        found: datetime | None = datetime.fromtimestamp(int(text), tz=UTC)
    else:
        found = _parse_iso(text) or _parse_loose(text)
    # "2199-12-31", "9999999999" (2286): no item's date, and it would become its article's.
    return found if found is not None and plausible(found) else None


# --------------------------------------------------------------------------- bytes to XML

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED_ENCODING = re.compile(
    rb"<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']"
)
# Characters XML 1.0 forbids; one of them makes libxml2 give up on the rest of the document.
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CDATA_OR_COMMENT = re.compile(r"(<!\[CDATA\[.*?(?:\]\]>|\Z)|<!--.*?(?:-->|\Z))", re.DOTALL)
_AMPERSAND = re.compile(r"&(#[0-9]{1,8};|#[xX][0-9a-fA-F]{1,8};|[A-Za-z_][A-Za-z0-9._-]{0,40};)?")
# The DOCTYPE's start, and the end of its internal subset: read as two linear searches, where
# one pattern with a lazy subset was tried again at every "<!DOCTYPE x [" of a hostile feed
# (80,000 of them in 1 MB took minutes, and held up every other listing of the run).
_DOCTYPE_START = re.compile(r"<!DOCTYPE\s[^\[>]*", re.IGNORECASE)
_SUBSET_END = re.compile(r"\]\s*>")
_DECLARED_ENTITY = re.compile(r"<!ENTITY\s+(?:%\s*)?([A-Za-z_][A-Za-z0-9._-]*)")
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})


def _gunzip(data: bytes, limit: int) -> bytes:
    """Inflate a gzip body (several members allowed), refusing to grow past ``limit``."""
    out = bytearray()
    remaining = data
    while remaining.startswith(GZIP_MAGIC):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = remaining
        while not inflater.eof:
            # Bounded steps: the bomb is detected after at most ``limit`` bytes of output.
            # (Called with no input left, decompress() still flushes buffered output.)
            chunk = inflater.decompress(pending, 1 << 20)
            out += chunk
            if len(out) > limit:
                raise _TooLarge(f"decompressed body exceeds {limit} bytes")
            pending = inflater.unconsumed_tail
            if not chunk and not pending:
                break  # input used up before the end of the stream: truncated
        if not inflater.eof:
            raise zlib.error("truncated gzip stream")
        remaining = inflater.unused_data.lstrip(b"\x00")
    return bytes(out)


def _decode_legacy(data: bytes) -> str:
    # Bytes labelled (or guessed) Latin-1 are windows-1252 in practice (as browsers assume);
    # latin-1 is the total fallback for the five bytes cp1252 leaves undefined.
    return strict_decode(data, "cp1252") or data.decode("latin-1")


def _decode_xml(data: bytes) -> str:
    """Bytes to text: BOM, then the XML declaration, then UTF-8, then windows-1252."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    if data.startswith(b"<\x00"):
        return data.decode("utf-16-le", errors="replace")
    if data.startswith(b"\x00<"):
        return data.decode("utf-16-be", errors="replace")
    declared = _DECLARED_ENCODING.search(data[:1024])
    # We just read the declaration as ASCII bytes, so a "UTF-16" label is a lie.
    if declared and not is_wide(label := declared.group(1).decode("ascii")):
        # Read as browsers read it (latin-1 as windows-1252); where it fails on a byte,
        # UTF-8 is likelier than the label (a latin-1 feed has no C1 controls).
        text = strict_decode(data, browser_codec(label))
        if text is not None:
            return text
    # No usable label (uolNoticias.rss has none and is Latin-1), or one that fails.
    return _decode_utf8_or_legacy(data)


def _decode_utf8_or_legacy(data: bytes) -> str:
    """UTF-8 when the bytes mostly are (a stray Latin-1 byte in a UTF-8 feed costs one
    U+FFFD, not a page of mojibake), else windows-1252."""
    return strict_decode(data, "utf-8") or lenient_decode(data, "utf-8") or _decode_legacy(data)


def _drop_doctype(text: str) -> tuple[str, set[str]]:
    """``text`` without its DOCTYPE, and the entity names its internal subset declared.

    Feeds never need a DTD, and a DTD is where XXE and entity bombs live: libxml2 never
    sees one (on top of a parser that would not expand entities anyway)."""
    first = _FIRST_ELEMENT.search(text)
    m = _DOCTYPE_START.search(text, 0, first.start() if first else len(text))
    if m is None:
        return text, set()
    if text.startswith(">", m.end()):
        end = m.end() + 1
    elif text.startswith("[", m.end()) and (close := _SUBSET_END.search(text, m.end())):
        end = close.end()
    else:
        return text, set()
    declared = set(_DECLARED_ENTITY.findall(text, m.start(), end))
    return text[: m.start()] + text[end:], declared


def _repair_markup(text: str, declared: set[str]) -> str:
    """Fix what makes libxml2's recovery lose text: HTML entities XML does not define,
    bare ``&`` in URLs, character references to forbidden characters. (libxml2 drops
    every later ``&amp;`` after one such error, so ``?a=1&amp;b=2`` would become ``?a=1b=2``.)
    References to entities the dropped DTD ``declared`` are removed, never expanded.
    CDATA sections and comments are left alone: their ``&`` is literal."""

    def fix(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref is None:
            return "&amp;"
        if ref.startswith("#"):
            try:
                code = int(ref[2:-1], 16) if ref[1] in "xX" else int(ref[1:-1])
            except ValueError:
                return ""
            valid = (
                code in (0x9, 0xA, 0xD)
                or 0x20 <= code <= 0xD7FF
                or 0xE000 <= code <= 0xFFFD
                or 0x10000 <= code <= 0x10FFFF
            )
            return match.group() if valid else ""
        name = ref[:-1]
        if name in _XML_ENTITIES:
            return match.group()
        expansion = html.entities.html5.get(ref)
        if expansion is not None:  # RSS 0.91's DTD declared these; feeds still use them
            return "".join(f"&#{ord(ch)};" for ch in expansion)
        if name in declared:
            return ""  # an XXE or entity-bomb reference: dropped, never read or expanded
        return "&amp;" + ref  # unknown name: keep it as literal text

    pieces = _CDATA_OR_COMMENT.split(text)
    for i in range(0, len(pieces), 2):  # even pieces are outside CDATA and comments
        pieces[i] = _AMPERSAND.sub(fix, pieces[i])
    return "".join(pieces)


def _xml_parser() -> etree.XMLParser:
    # recover: keep what a broken or truncated document still holds.
    # resolve_entities/no_network/load_dtd: no XXE, no DTD fetching, no entity bombs, even
    # if a DTD got past _drop_doctype.
    # encoding: we hand lxml UTF-8 we produced ourselves, whatever the declaration says.
    return etree.XMLParser(
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        encoding="utf-8",
    )


def _parse_xml(text: str) -> _Element | None:
    """The document element of ``text`` (already decoded), or None when nothing parses."""
    text, declared = _drop_doctype(_INVALID_XML_CHARS.sub("", text))
    text = _repair_markup(text, declared)
    try:
        root = etree.fromstring(text.encode("utf-8"), _xml_parser())
    except etree.XMLSyntaxError:
        return None
    return root if isinstance(root, etree._Element) else None


def _markup_start(text: str) -> str | None:
    """``text`` from its first markup on: some servers print warnings before the XML."""
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return stripped
    m = re.search(r"<\?xml|<rss|<feed|<rdf:RDF|<urlset|<sitemapindex", text[:4096])
    return text[m.start() :] if m else None


# --------------------------------------------------------------------------- XML helpers


def _local(el: _Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _ns(el: _Element) -> str:
    tag = el.tag
    if not isinstance(tag, str) or not tag.startswith("{"):
        return ""
    return tag[1:].partition("}")[0]


def _children(el: _Element, name: str, namespaces: Iterable[str] | None = None) -> Iterator[Any]:
    allowed = None if namespaces is None else frozenset(namespaces)
    for child in el:
        if _local(child) == name and (allowed is None or _ns(child) in allowed):
            yield child


def _entries(
    root: _Element, names: Iterable[str], namespaces: Iterable[str], parents: Iterable[_Element]
) -> Iterator[Any]:
    """The entries (items, urls) of a listing, in document order: the children of
    ``parents`` of these names, and any element further down of these names in these
    namespaces. Recovering from one unclosed tag (a ``<br>`` in an item's description, a
    ``<b>`` in a title), libxml2 nests every later entry inside the broken one."""
    wanted, allowed, at = frozenset(names), frozenset(namespaces), set(parents)
    for el in root.iterdescendants():
        if _local(el) in wanted and (_ns(el) in allowed or el.getparent() in at):
            yield el


def _first(el: _Element, name: str, namespaces: Iterable[str] | None = None) -> Any | None:
    return next(_children(el, name, namespaces), None)


def _text(el: _Element | None) -> str:
    """The character content of ``el``. Entity references the parser kept unexpanded
    are skipped (none should survive _repair_markup; this is defence in depth)."""
    if el is None:
        return ""
    parts = [el.text or ""]
    for child in el:
        # Comments and PIs have a non-str tag; entity references are skipped on purpose.
        if isinstance(child.tag, str) and not isinstance(child, etree._Entity):
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


# A listing's title is a hint, stored with its link: cut where a page's title would be (a
# feed's title of 5 MB was stored whole).
MAX_TITLE_CHARS = 1_000


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    collapsed = " ".join(text.split())[:MAX_TITLE_CHARS].rstrip()
    return collapsed or None


_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")


def _clean_html_title(text: str | None) -> str | None:
    """A title that may carry escaped HTML (RSS titles, Atom type="html"): tags removed,
    entities decoded ("&#x0024;4300 1930ft<sup>2</sup>" -> "$4300 1930ft2")."""
    if not text:
        return None
    return _clean(html.unescape(_TAG.sub("", text)))


def _xml_base(el: _Element, default: str | None) -> str | None:
    """The base URL in effect at ``el``: ``default`` refined by every xml:base above it."""
    chain: list[str] = []
    node: _Element | None = el
    while node is not None:
        value = node.get(_XML_BASE)
        if value and value.strip():
            chain.append(value.strip())
        node = node.getparent()
    base = default
    for value in reversed(chain):
        try:
            base = urljoin(base or "", value)
        except ValueError:
            continue
    return base


def _first_date(el: _Element, candidates: Iterable[tuple[str, Iterable[str]]]) -> datetime | None:
    for name, namespaces in candidates:
        for child in _children(el, name, namespaces):
            when = parse_date(_text(child))
            if when is not None:
                return when
    return None


# --------------------------------------------------------------------------- feeds

_RSS_DATES: tuple[tuple[str, Iterable[str]], ...] = (
    ("pubDate", _RSS_NAMESPACES),
    ("date", (_DC,)),
    ("issued", (_DCTERMS,)),
    ("created", (_DCTERMS,)),
    ("published", (_ATOM,)),
    ("modified", (_DCTERMS,)),
    ("updated", (_ATOM,)),
)
_ATOM_DATES: tuple[tuple[str, Iterable[str]], ...] = (
    ("published", (_ATOM, _ATOM03)),
    ("issued", (_ATOM03,)),
    ("created", (_ATOM03,)),
    ("updated", (_ATOM, _ATOM03)),
    ("modified", (_ATOM03,)),
    ("date", (_DC,)),
)


def _feed_kind(root: _Element) -> str | None:
    name, ns = _local(root), _ns(root)
    if name == "rss" or (name == "channel" and ns in _RSS_NAMESPACES):
        return "rss"
    if name == "RDF" and ns == _RDF:
        return "rss"
    if name == "feed" and ns in (_ATOM, _ATOM03, ""):
        return "atom"
    return None


def _rss_links(root: _Element, source_url: str, source: str) -> Iterator[Link]:
    channels = [root] if _local(root) == "channel" else list(_children(root, "channel"))
    channel_link = None
    for channel in channels:
        channel_link = channel_link or _resolve(
            _text(_first(channel, "link", _RSS_NAMESPACES)), _xml_base(channel, source_url)
        )
    # Relative item links are relative to the site (the channel link), not to the feed
    # file, which often lives elsewhere (feedburner, a CDN).
    default_base = channel_link or source_url
    # RSS 2.0 puts items in <channel>; RSS 1.0 and 0.90 put them next to it.
    for item in _entries(root, ("item",), _RSS_NAMESPACES, (root, *channels)):
        url = _rss_item_url(item, default_base)
        if url is None:
            continue
        title_el = _first(item, "title", _RSS_NAMESPACES)
        if title_el is None:
            title_el = _first(item, "title", (_DC,))
        yield Link(
            url=url,
            source=source,
            source_url=source_url,
            title=_clean_html_title(_text(title_el)),
            published_at=_first_date(item, _RSS_DATES),
        )


def _rss_item_url(item: _Element, default_base: str) -> str | None:
    for link_el in _children(item, "link", _RSS_NAMESPACES):
        # <link href="..."/> is wrong in RSS but common enough (Atom habits).
        raw = _text(link_el).strip() or link_el.get("href")
        url = _resolve(raw, _xml_base(link_el, default_base))
        if url:
            return url
    for guid in _children(item, "guid", _RSS_NAMESPACES):
        # isPermaLink defaults to true; only an absolute URL is taken (a relative guid is
        # an id that happens to contain a slash).
        if (guid.get("isPermaLink") or "true").strip().lower() != "false":
            value = _text(guid).strip()
            if is_http_url(value):
                return value
    for orig in _children(item, "origLink"):  # feedburner:origLink
        url = _resolve(_text(orig), _xml_base(orig, default_base))
        if url:
            return url
    # Last resorts: the RDF item's own URI, an atom:link inside an RSS item.
    about = _resolve(item.get(f"{{{_RDF}}}about"), default_base)
    if about:
        return about
    for link_el in _children(item, "link", (_ATOM,)):
        if (link_el.get("rel") or "alternate").strip() == "alternate":
            url = _resolve(link_el.get("href"), _xml_base(link_el, default_base))
            if url:
                return url
    return None


def _atom_links(root: _Element, source_url: str, source: str) -> Iterator[Link]:
    atom_ns = _ns(root)
    for entry in _entries(root, ("entry",), (atom_ns,), ()):
        url = _atom_entry_url(entry, atom_ns, source_url)
        if url is None:
            continue
        yield Link(
            url=url,
            source=source,
            source_url=source_url,
            title=_atom_text(_first(entry, "title", (atom_ns,))),
            published_at=_first_date(entry, _ATOM_DATES),
        )


def _atom_entry_url(entry: _Element, atom_ns: str, source_url: str) -> str | None:
    ranked: list[tuple[int, int, str]] = []
    for position, link_el in enumerate(_children(entry, "link", (atom_ns,))):
        rel = (link_el.get("rel") or "alternate").strip().lower()
        if rel != "alternate":
            continue  # self, edit, enclosure, replies... are not the article
        kind = (link_el.get("type") or "").split(";")[0].strip().lower()
        rank = 0 if kind in _HTML_TYPES else 1 if not kind else 2
        url = _resolve(link_el.get("href"), _xml_base(link_el, source_url))
        if url:
            ranked.append((rank, position, url))
    if ranked:
        return min(ranked)[2]
    for orig in _children(entry, "origLink"):  # feedburner:origLink
        url = _resolve(_text(orig), _xml_base(orig, source_url))
        if url:
            return url
    entry_id = _text(_first(entry, "id", (atom_ns,))).strip()
    return entry_id if is_http_url(entry_id) else None


def _atom_text(el: _Element | None) -> str | None:
    if el is None:
        return None
    kind = (el.get("type") or el.get("mode") or "text").strip().lower()
    if kind in ("html", "escaped", "text/html"):
        return _clean_html_title(_text(el))
    return _clean(_text(el))  # "text", and "xhtml" whose markup is already elements


def _json_feed_links(doc: Any, source_url: str, source: str) -> Iterator[Link]:
    home = doc.get("home_page_url")
    base = home if isinstance(home, str) and is_http_url(home) else source_url
    items = doc.get("items")
    if items is not None and not isinstance(items, list):
        raise ValueError(f"a JSON Feed's items are a list, not {type(items).__name__}")
    for item in items or ():
        if not isinstance(item, dict):
            continue
        url = None
        # "url" is the permalink; "external_url" the page a link-blog item points at; "id"
        # only counts when it is itself an absolute URL.
        for key in ("url", "external_url", "id"):
            value = item.get(key)
            if isinstance(value, str):
                url = _resolve(value, base if key != "id" else None)
                if url:
                    break
        if url is None:
            continue
        title = item.get("title")
        published = item.get("date_published") or item.get("date_modified")
        yield Link(
            url=url,
            source=source,
            source_url=source_url,
            title=_clean(title) if isinstance(title, str) else None,
            published_at=parse_date(published) if isinstance(published, str) else None,
        )


def _looks_like_json_feed(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    version = doc.get("version")
    if isinstance(version, str) and "jsonfeed.org" in version:
        return True
    # Unversioned but shaped like one: an item list beside feed-level metadata.
    return isinstance(doc.get("items"), list) and any(
        key in doc for key in ("home_page_url", "feed_url", "title")
    )


def _unpack(body: bytes, reason: str, source_url: str, limit: int) -> bytes:
    """The body, gunzipped if it starts with the gzip magic bytes (whatever the URL or
    Content-Type said), and never larger than ``limit``."""
    if not body.startswith(GZIP_MAGIC):
        if len(body) > limit:
            raise ParseError(f"body exceeds {limit} bytes", url=source_url, reason="too_large")
        return body
    try:
        return _gunzip(body, limit)
    except _TooLarge as exc:
        raise ParseError(str(exc), url=source_url, reason="too_large") from exc
    except zlib.error as exc:
        raise ParseError(f"bad gzip body: {exc}", url=source_url, reason=reason) from exc


def _feed_links(data: bytes, source_url: str, source: str) -> list[Link] | None:
    """Links of ``data`` if it is a feed (RSS, RDF, Atom, JSON Feed), else None."""
    text = _decode_xml(data)
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        try:
            doc = read_json(text.lstrip("\ufeff \t\r\n"))
        except (ValueError, RecursionError):
            return None
        if not _looks_like_json_feed(doc):
            return None
        return _dedupe_links(_json_feed_links(doc, source_url, source))
    markup = _markup_start(text)
    if markup is None:
        return None
    root = _parse_xml(markup)
    if root is None:
        return None
    kind = _feed_kind(root)
    if kind == "rss":
        return _dedupe_links(_rss_links(root, source_url, source))
    if kind == "atom":
        return _dedupe_links(_atom_links(root, source_url, source))
    return None


def parse_feed(body: bytes, source_url: str, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> list[Link]:
    """The item links of an RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed body, in feed order,
    deduplicated. The format is sniffed from the content. Titles and dates are hints.

    Raises ParseError(reason="malformed_feed") when the body is not a feed at all, and
    ParseError(reason="too_large") for a gzip body inflating past the cap."""
    data = _unpack(body, "malformed_feed", source_url, max_bytes)
    try:
        links = _feed_links(data, source_url, "feed")
    except (etree.LxmlError, ValueError, RecursionError) as exc:  # belt and braces
        raise ParseError(
            f"unreadable feed: {exc}", url=source_url, reason="malformed_feed"
        ) from exc
    if links is None:
        raise ParseError("not an RSS, Atom or JSON feed", url=source_url, reason="malformed_feed")
    return links


# --------------------------------------------------------------------------- sitemaps


def _sitemap_entries(root: _Element, source_url: str) -> tuple[list[Link], list[str]]:
    base = _xml_base(root, source_url)
    pages: list[Link] = []
    children: list[str] = []
    for el in _entries(root, ("url", "sitemap"), (_ns(root),), (root,)):
        name = _local(el)
        # Only the entry's own <loc>: image:loc and xhtml:link alternates are ignored.
        loc_el = _first(el, "loc")
        url = _resolve(_text(loc_el), base) if loc_el is not None else None
        if url is None:
            continue
        if name == "sitemap":
            children.append(url)
            continue
        title: str | None = None
        published = None
        news = _first(el, "news")
        if news is not None:
            title = _clean(_text(_first(news, "title")))
            published = parse_date(_text(_first(news, "publication_date")))
        if published is None:
            published = parse_date(_text(_first(el, "lastmod")))
        pages.append(Link(url, "sitemap", source_url, title, published))
    return _dedupe_links(pages), _dedupe_strings(children)


def _text_sitemap(text: str, source_url: str) -> list[Link] | None:
    """A sitemaps.org text sitemap: one URL per line. None unless the first line is a URL
    (so prose or an error page is not mistaken for one)."""
    lines = [line.strip() for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    if not lines or not is_http_url(lines[0]):
        return None
    return _dedupe_links(Link(line, "sitemap", source_url) for line in lines if is_http_url(line))


def parse_sitemap(
    body: bytes, source_url: str, max_bytes: int = MAX_DECOMPRESSED_BYTES
) -> tuple[list[Link], list[str]]:
    """(page links, child sitemap URLs) of a sitemap body.

    Reads urlset and sitemapindex XML (gzip-compressed or not), Google News sitemaps (their
    title and publication date become the hints; otherwise lastmod is the date hint),
    plain-text sitemaps, and RSS/Atom/JSON feeds, which sitemaps.org accepts as sitemaps.
    Raises ParseError(reason="malformed_sitemap") for anything else and
    ParseError(reason="too_large") for a gzip body inflating past the cap."""
    data = _unpack(body, "malformed_sitemap", source_url, max_bytes)
    try:
        text = _decode_xml(data)
        if text.lstrip("\ufeff \t\r\n").startswith("{"):
            feed = _feed_links(data, source_url, "sitemap")
            if feed is not None:
                return feed, []
            raise ParseError("JSON that is not a feed", url=source_url, reason="malformed_sitemap")
        markup = _markup_start(text)
        if markup is not None:
            root = _parse_xml(markup)
            if root is not None and _local(root) in _SITEMAP_ROOTS:
                return _sitemap_entries(root, source_url)
            if root is not None and _feed_kind(root) is not None:
                feed = _feed_links(data, source_url, "sitemap")
                return (feed or []), []
        else:
            pages = _text_sitemap(text, source_url)
            if pages is not None:
                return pages, []
    except (etree.LxmlError, ValueError, RecursionError) as exc:  # belt and braces
        raise ParseError(
            f"unreadable sitemap: {exc}", url=source_url, reason="malformed_sitemap"
        ) from exc
    raise ParseError(
        "not a sitemap (urlset, sitemapindex, text or feed)",
        url=source_url,
        reason="malformed_sitemap",
    )


# --------------------------------------------------------------------------- robots, lists


def sitemaps_from_robots(body: bytes, source_url: str) -> list[str]:
    """The URLs of a robots.txt's ``Sitemap:`` lines (any case), made absolute against
    ``source_url``, deduplicated, in order. Non-http(s) values are skipped."""
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff")
    found: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]  # robots.txt comments run to the end of the line
        m = re.match(r"\s*sitemap\s*:\s*(\S+)", line, re.IGNORECASE)
        if m:
            url = _resolve(m.group(1), source_url)
            if url:
                found.append(url)
    return _dedupe_strings(found)


def parse_url_list(text: str, source: str = "urls-file") -> list[Link]:
    """Links from a list of URLs, one per line, deduplicated in order. Blank lines and
    lines starting with ``#`` are skipped; any other line must be an http(s) URL.

    Raises InputError(reason="bad_url") naming the first offending line number."""
    links: list[Link] = []
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not is_http_url(line):
            raise InputError(f"line {number}: not an http(s) URL: {line[:200]!r}", reason="bad_url")
        links.append(Link(url=line, source=source))
    return _dedupe_links(links)
