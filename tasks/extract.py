"""Extraction: trafilatura's main text and metadata, then what we know better.

trafilatura finds the article; we then (1) decode the page the way browsers do, (2) drop the
furniture trafilatura leaves in (share rows, vote widgets, login walls, related-story cards
and trailing link lists, recognised because their lines are the text of a link on the
page), (3) keep the precise publication timestamp from the page's metadata, and (4) reject
pages that are not articles with a reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
import py3langid
import trafilatura
from charset_normalizer import from_bytes
from lxml import etree

from tasks.fetch import HTML_TYPES
from tasks.page_dates import jsonld_objects, page_dates
from tasks.page_kinds import page_kind, page_signals
from tasks.urls import is_http_url
from wirehouse.records import Extraction, Rejection
from wirehouse.settings import ExtractSettings

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_\-:.]+)", re.I)

# Whole lines that are page furniture, not article text (matched case-insensitively).
_FURNITURE = re.compile(
    r"""^(
        share(\s+(this|via|on|article|story|post|page))?(\s+\w+)?\s*:? |
        (share|tweet|email|print|copy\s+link|link\s+copied!?|save|comment|pin|whatsapp|
         facebook|twitter|x|linkedin|reddit|flipboard|telegram)(\s*[|/·•,]\s*\w+)*\s* |
        advertisement|ad|sponsored|skip\s+advertisement|scroll\s+to\s+continue(\s+with\s+content)? |
        (read|see|show)\s+(more|less)(\s+(here|stories))?\s*:? |
        \w+!?\s*\(\d[\d,.]*\) |                        # vote/reaction widgets: "veryGood! (639)"
        (log\s*in|sign\s*in|register|subscribe)(\s+(now|here|today))?\s*[.!]? |
        forgot\s+your\s+password\?? |
        (view|show|load)\s+(\d+\s+)?comments? |
        \d+\s+comments? |
        back\s+to\s+top |
        (updated|published|posted)\s*:?\s*$
    )$""",
    re.I | re.X,
)
# Login-wall phrasing: imperative UI text about accounts, not sentences that mention them.
_LOGIN_WALL = re.compile(
    r"^(log\s*in|sign\s*in|register|subscribe|create (an|your) account)\b"
    r"|^by (logging|signing) in\b|forgot (your )?password|(do not|don't) have an account"
    r"|^already (a subscriber|have an account)",
    re.I,
)
_DATE_ONLY = re.compile(
    r"^(\w{3,9}\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\.?\s+\w{3,9}\.?\s+\d{4}|\d{4}-\d{2}-\d{2})$"
)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$|[\"'”’)\]])|[。！？।؟]")
_FRONT_PAGE = re.compile(r"/?((index|default|home)\.\w+)?", re.I)
_TITLE_SEPARATORS = re.compile(r"\s+[|–—·•:-]{1,2}\s*|\s*[|–—·•]\s+")
_WIRE_DATELINE = re.compile(
    r"^[^\n]{0,80}?\((AP|Reuters|AFP|dpa|UPI|Xinhua|CNN|Bloomberg|ANSA|EFE|PA|CP|KNA)\)\s*[—–-]",
)
_WIRE_CREDIT = re.compile(r"\b(Associated Press|Reuters|Agence France-Presse|AFP)\b")
_WIRE_SHORT = {"Associated Press": "AP", "Agence France-Presse": "AFP"}
# Dates the page gives itself (htmldate's guess from the whole page is not one).
_OWN_DATE_SOURCES = frozenset({"json-ld", "meta", "microdata", "url", "byline"})


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Bytes to text: the header's charset, then the document's meta, then detection."""
    candidates: list[str] = []
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        if match:
            candidates.append(match[1])
    if body.startswith(b"\xef\xbb\xbf"):
        candidates.insert(0, "utf-8-sig")
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta[1].decode("ascii", "ignore"))
    for name in candidates:
        try:
            # Browsers treat latin-1 labels as windows-1252; so do we.
            codec = (
                "cp1252"
                if name.lower() in ("iso-8859-1", "latin-1", "latin1", "us-ascii")
                else name
            )
            return body.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    guess = from_bytes(body[:200_000]).best()
    if guess is not None and guess.encoding:
        return body.decode(guess.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What the page's markup says about itself, read once with lxml."""

    canonical_url: str | None
    language: str | None
    og_type: str | None
    link_texts: frozenset[str]
    visible_chars: int
    headline: str | None = None  # the text of the page's first <h1>


_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
# A CJK character counts as a word: those scripts do not put spaces between words.
_WORDS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+")


def count_words(text: str) -> int:
    """Words in a text, counting each CJK character as one."""
    return len(_WORDS.findall(text))


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def page_facts(tree: lxml.html.HtmlElement, url: str) -> PageFacts:
    """Canonical link, language, og:type, link texts, visible text size."""
    canonical = None
    for href in tree.xpath('//link[@rel="canonical"]/@href | //meta[@property="og:url"]/@content'):
        resolved = _absolute(str(href).strip(), url)
        if resolved:
            canonical = resolved
            break
    lang_attr = tree.xpath("/html/@lang | /html/@xml:lang")
    language = str(lang_attr[0]).split("-")[0].split("_")[0].lower() if lang_attr else None
    og_type = tree.xpath('//meta[@property="og:type"]/@content')
    first_h1 = next((h for h in tree.iter("h1") if h.text_content().strip()), None)
    # Texts of links to other pages (not in-page anchors like a table of contents).
    link_texts = frozenset(
        text
        for a in tree.iter("a")
        if not (a.get("href") or "#").startswith("#")
        for text in (_norm(a.text_content()),)
        if len(text) >= 12
    )
    body = tree.find("body")
    visible = 0
    if body is not None:
        for node in body.iter():
            if node.tag in ("script", "style", "noscript", "template") or not isinstance(
                node.tag, str
            ):
                continue
            visible += len((node.text or "").strip()) + len((node.tail or "").strip())
    return PageFacts(
        canonical_url=canonical,
        language=language,
        og_type=str(og_type[0]).lower() if og_type else None,
        link_texts=link_texts,
        visible_chars=visible,
        headline=" ".join(first_h1.text_content().split()) if first_h1 is not None else None,
    )


def _absolute(href: str, base: str) -> str | None:
    try:
        joined = urljoin(base, href)
    except ValueError:  # "http://[x]": not a URL
        return None
    return joined if is_http_url(joined) else None


def clean_text(text: str, link_texts: frozenset[str]) -> str:
    """Drop furniture lines, teaser cards for other pages, and the headings they leave."""
    kept: list[str] = []
    teaser_after_kept = False  # a teaser card was dropped after the last kept line
    skip_date_after_card = False
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        if _FURNITURE.match(line) or (len(line.split()) <= 30 and _LOGIN_WALL.search(line)):
            continue
        if 5 <= len(line.split()) <= 25 and _norm(line) in link_texts:
            # A whole line that is the text of a link to another page is a teaser for it,
            # and the date line that follows belongs to that teaser.
            skip_date_after_card = teaser_after_kept = True
            continue
        if skip_date_after_card and _DATE_ONLY.match(line):
            skip_date_after_card = False
            continue
        skip_date_after_card = False
        teaser_after_kept = False
        kept.append(line)
    # Headings of teaser lists ("Related", "Ranking") left at the end once the teasers went.
    while (
        teaser_after_kept
        and kept
        and len(kept[-1].split()) <= 3
        and not kept[-1].endswith((".", "!", "?", "”", '"'))
    ):
        kept.pop()
    return "\n".join(kept)


def drop_headline(text: str, *headlines: str | None) -> str:
    """The text without its first line when that line is the page's headline (its title,
    with or without the site's name, or its first <h1>): the headline is the title."""
    first, _, rest = text.partition("\n")
    names = set()
    for headline in headlines:
        if headline:
            names.add(_norm(headline))
            names.add(_norm(_TITLE_SEPARATORS.split(headline.strip())[0]))
    return rest if rest.strip() and _norm(first) in names else text


def clean_title(title: str | None, sitename: str | None, url: str) -> str | None:
    """Drop the site's name from a page title: "Story | Site" -> "Story"."""
    if not title:
        return None
    parts = _TITLE_SEPARATORS.split(title.strip())
    if len(parts) < 2:
        return title.strip()
    host_label = (urlsplit(url).hostname or "").removeprefix("www.").split(".")[0]
    names = {_norm(n) for n in (sitename, host_label) if n and len(n) >= 3}
    names |= {name.replace(" ", "") for name in names}

    def is_site(part: str) -> bool:
        label = _norm(part)
        compact = label.replace(" ", "").replace("-", "")
        return len(part.split()) <= 5 and any(
            label.startswith(n) or compact.startswith(n.replace("-", "")) for n in names
        )

    while len(parts) > 1 and is_site(parts[-1]):
        parts.pop()
    while len(parts) > 1 and is_site(parts[0]):
        parts.pop(0)
    return " - ".join(parts) if len(parts) > 1 else parts[0]


def wire_marker(text: str, author: str | None) -> str | None:
    """The wire agency a text carries in its dateline or credit ("AP", "Reuters", ...)."""
    dateline = _WIRE_DATELINE.match(text[:200])
    if dateline:
        return dateline[1]
    for where in (author or "", text[-400:]):
        credit = _WIRE_CREDIT.search(where)
        if credit:
            return _WIRE_SHORT.get(credit[1], credit[1])
    return None


def _language(text: str, declared: str | None) -> str | None:
    guess, _score = py3langid.classify(text[:3000])
    # A page's lang attribute is often a site-wide default; trust the text when they differ.
    return str(guess) if guess else declared


def extract_page(
    body: bytes, url: str, content_type: str | None, settings: ExtractSettings, record_id: str = ""
) -> Extraction | Rejection:
    """One fetched page to an article, or a rejection saying why it is not one."""
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        return Rejection(record_id, url, "not_html", f"content type {mime}")
    if not body.strip():
        return Rejection(record_id, url, "empty", "empty body")
    html = decode_html(body, content_type)
    try:
        # Bytes, not str: lxml refuses a str that carries its own encoding declaration.
        tree = lxml.html.document_fromstring(html.encode("utf-8"), parser=_UTF8_PARSER)
    except (etree.ParserError, ValueError) as exc:
        return Rejection(record_id, url, "not_html", f"unparseable HTML: {exc}")
    facts = page_facts(tree, url)
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
            # The date is read by page_dates (with its offset and source); trafilatura's own
            # search is kept to its cheapest.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # trafilatura raises assorted errors on odd markup
        return Rejection(record_id, url, "extraction_failed", f"{type(exc).__name__}: {exc}")
    raw_text = (getattr(doc, "text", None) or "") if doc is not None else ""
    if not raw_text.strip():
        return Rejection(record_id, url, "empty", "no main text found")
    text = drop_headline(
        clean_text(raw_text, facts.link_texts), getattr(doc, "title", None), facts.headline
    )
    words = count_words(text)
    raw_lines = [line.strip() for line in raw_text.splitlines() if line.strip()]
    link_chars = sum(len(line) for line in raw_lines if _norm(line) in facts.link_texts)
    link_share = link_chars / max(1, sum(len(line) for line in raw_lines))
    parts = urlsplit(url)
    if not parts.query and _FRONT_PAGE.fullmatch(parts.path or "/"):
        return Rejection(record_id, url, "index_page", "a site's front page", "listing")
    # A page whose main text is mostly link text is a list of other pages (a section front,
    # a tag page); a page that calls itself a "website" needs less of it to be one.
    limit = (
        settings.max_link_density / 2 if facts.og_type == "website" else settings.max_link_density
    )
    if link_share > limit:
        return Rejection(
            record_id,
            url,
            "index_page",
            f"{link_share:.0%} of the main text is link text",
            "listing",
        )
    if words >= 40 and text.count("\n") < 3 and not _SENTENCE_END.search(text):
        # Prose has sentences, verse has lines; a long run of words with neither is a menu,
        # a tag cloud, a form's option list extracted as text.
        return Rejection(
            record_id, url, "index_page", f"{words} words, no sentence: a menu", "listing"
        )
    if words < settings.min_words:
        return Rejection(record_id, url, "too_short", f"{words} words < {settings.min_words}")
    jsonld = jsonld_objects(tree)
    dates = page_dates(tree, url, jsonld=jsonld)
    published = dates.published
    title = clean_title(getattr(doc, "title", None), getattr(doc, "sitename", None), url)
    kind = page_kind(
        page_signals(tree, url, facts.og_type, jsonld),
        url=url,
        title=title,
        main_text=raw_text,
        words=words,
        dated_by_markup=dates.source in _OWN_DATE_SOURCES,
    )
    if kind is not None:
        return Rejection(record_id, url, "not_article", kind[1], kind[0])
    author = getattr(doc, "author", None) or None
    boilerplate = 1.0 - len(text) / facts.visible_chars if facts.visible_chars else 0.0
    return Extraction(
        record_id=record_id,
        url=url,
        canonical_url=facts.canonical_url,
        title=title,
        author=author,
        page_date=published.at if published else None,
        sitename=getattr(doc, "sitename", None) or None,
        language=_language(text, facts.language),
        text=text,
        boilerplate_ratio=round(min(max(boilerplate, 0.0), 1.0), 4),
        wire_marker=wire_marker(text, author),
        published_day=published.day if published else None,
        utc_offset_minutes=published.offset_minutes if published else None,
        modified_at=dates.modified.at if dates.modified else None,
        date_source=dates.source,
    )
