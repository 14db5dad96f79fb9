"""Extraction: trafilatura's main text and metadata, then what we know better.

trafilatura finds the article; we then (1) decode the page the way browsers do, (2) drop the
furniture trafilatura leaves in (share rows, vote widgets, login walls, related-story cards
and trailing link lists, recognised because their lines are the text of a link on the
page), (3) read the page's own dates, author and headline from its structured data
(tasks/page_dates.py), and (4) reject pages that are not articles with their kind and a
reason (tasks/page_kinds.py).
"""

from __future__ import annotations

import functools
import html as html_lib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import py3langid
import trafilatura
from charset_normalizer import from_bytes
from lxml import etree

from tasks.charsets import browser_codec, is_wide, lenient_decode, strict_decode
from tasks.content_coding import GZIP_MAGIC, CodingProblem, DecodingStack, TooLarge
from tasks.fetch import HTML_TYPES
from tasks.page_dates import (
    ARTICLE_TYPES,
    MONTH_NAMES,
    jsonld_objects,
    jsonld_types,
    page_dates,
    shown_day,
)
from tasks.page_kinds import day_archive, page_kind, page_signals, shop_kind
from tasks.page_metadata import (
    BYLINE_LABELS_ELSEWHERE,
    byline_author,
    in_readers_posts,
    is_byline_of,
    labelled_author,
    linked_author,
    page_metadata,
    with_final_marks,
)
from tasks.stand_ins import named_stand_in, stand_in_by_markup, stand_in_by_page
from tasks.text import WORD_MARKS, count_words, fold, spaced_words, without_overlong_words
from tasks.urls import (
    domain_of,
    host_domain,
    is_front_page,
    is_http_url,
    is_named_address,
    is_named_host,
    page_address,
)
from wirehouse.records import Extraction, Rejection
from wirehouse.settings import ExtractSettings

# The zero-width non-joiner and joiner are letters' business, not control characters:
# Persian, Urdu and Kurdish write "می‌گوید" with one, Indic scripts and emoji sequences use
# both. trafilatura (2.3) drops every character ``str.isprintable`` refuses, so each such
# word of an article was stored run together ("میگوید"), unlike its title. A private
# function, wrapped in place: tests/tasks/test_extract.py fails if an upgrade moves it.
_JOINERS = frozenset("\u200c\u200d")
_printable_or_space = trafilatura.utils.return_printables_and_spaces


@functools.lru_cache(maxsize=2**14)  # as trafilatura's: called once a character
def _printable_space_or_joiner(char: str) -> str:
    return char if char in _JOINERS else _printable_or_space(char)


trafilatura.utils.return_printables_and_spaces = _printable_space_or_joiner

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_\-:.]+)", re.I)

# Whole lines that are page furniture, not article text (matched case-insensitively).
_FURNITURE = re.compile(
    r"""^(
        share(\s+(this|via|on|article|story|post|page))?(\s+\w+)?\s*:? |
        (share|tweet|email|print|copy\s+link|link\s+copied!?|save|comment|pin|whatsapp|
         facebook|twitter|x|linkedin|reddit|flipboard|telegram)(\s*[|/·•,]\s*\w+)*\s* |
        advertisement|ad|sponsored|skip\s+advertisement|scroll\s+to\s+continue(\s+with\s+content)? |
        skip\s+(past|over)\s+(the\s+)?(newsletter|promotion|ad|advert|advertisement|related)[\w\s]{0,30} |
        (the\s+)?(story|article)\s+continues\s+(below|after)(\s+(this|the))?(\s+(advertisement|ad|advert))? |
        lesen\s+sie\s+nach\s+der\s+anzeige\s+weiter|la\s+suite\s+après\s+(cette|la)\s+publicité |
        (read|see|show)\s+(more|less)(\s+(here|stories))?\s*:? |
        \w+(!\s*|\s+)\(\d[\d,.]*\) |                  # vote/reaction widgets: "veryGood! (639)"
        (log\s*in|sign\s*in|register|subscribe)(\s+(now|here|today))?\s*[.!]? |
        forgot\s+your\s+password\?? |
        (view|show|load)\s+(\d+\s+)?comments? |
        \d+\s+comments? |
        back\s+to\s+top |
        (updated|published|posted)\s*:?\s* |
        # ... and as sites in other languages write them
        (teilen|teilen\s+mit|drucken|partager|imprimer|compartir|imprimir|condividi|stampa|
         delen|udostępnij|drukuj)(\s*[|/·•,]\s*\w+)*\s*:? |
        anzeige|werbung|publicité|publicidad|pubblicità|reklama |
        weiterlesen|mehr\s+lesen|lire\s+la\s+suite|leer\s+más|leia\s+mais|czytaj\s+dalej |
        wird\s+geladen[.…]*|chargement[.…]*|cargando[.…]*|nach\s+oben|retour\s+en\s+haut |
        (anmelden|einloggen|abonnieren|se\s+connecter|s'abonner|iniciar\s+sesión|suscríbete)\s*[.!]? |
        # plurals only: a German "Kommentar" heads an opinion piece
        (\d+\s+)?(kommentare|commentaires|comentarios|commenti|komentarze)(\s*\(\d+\))? |
        bewerten\s*:? |
        # a table of contents' heading, left when its entries (links within the page) went
        table\s+of\s+contents\s*:?|contents\s*:|on\s+this\s+page\s*:?|in\s+this\s+article\s*:? |
        inhaltsverzeichnis|inhalt\s*:|sommaire|índice|indice|contenidos?\s*:|目录|目次
    )$""",
    re.I | re.X,
)
# Login-wall phrasing: imperative UI text about accounts, not sentences that mention them.
# A line that starts as an account's or a subscription's button does must speak of the
# wall or of the site's own offer ("our", "today"), unless it is as short as a button:
# "Sign in to continue reading", "Subscribe to our newsletter", not "Register to vote by
# Feb. 5 at the county elections office" or "Subscribe to the county's emergency alerts at
# ReadyCounty.org" (a disaster story's advice).
_WALL_BUTTON = re.compile(
    r"^(log\s*in|sign\s*(in|up)|register|create (an|your) account|subscribe"
    r"|se connecter|s'abonner|abonnez-vous|iniciar sesión|suscríbete|regístrate)\b",
    re.I,
)
_WALL_WORDS = re.compile(
    r"\b(accounts?|reading|read (more|on|the rest|this|it|all)|comments?|commenting|unlock"
    r"|members?|membership|subscri\w*|newsletters?|password|premium|exclusive|unlimited"
    r"|continue|our|(?-i:us)|today|now|this (article|story|page|content)|full (article|story)"
    r"|e-?paper|digital (access|edition)|free trial|profile|access (content|this|all|the full|full)"
    r"|your (e-?mail|inbox)|inbox|delivered|latest (posts|news|stories|articles|updates)"
    # ... and in other languages
    r"|compte|lire la suite|notre|nos|abonn\w*|cuenta|nuestr[oa]s?|suscripci\w*"
    r"|seguir leyendo)\b",
    re.I,
)
WALL_BUTTON_WORDS = 5  # a line this short that starts as a wall's button is one
# What a how-to's step goes on to do after signing in or up: no wall says it.
_INSTRUCTION = re.compile(
    r",?\s+then\b|\b(install|click|tap|navigate|dashboard|terminal|command(-line)?|console"
    r"|settings|cli|api)\b",
    re.I,
)
_LOGIN_WALL = re.compile(
    r"^by (logging|signing) in\b|forgot (your )?password|(do not|don't) have an account"
    r"|^already (a subscriber|have an account)"
    # ... and in other languages
    r"|^(jetzt )?(anmelden|einloggen|registrieren|abonnieren)( und weiterlesen)?[.!]?$"
    r"|nicht (eingeloggt|angemeldet)"
    r"|passwort vergessen|^zum newsletter anmelden"
    r"|^pour (lire|accéder|continuer)\b.{0,40}\b(abonn|illimité)|mot de passe oublié"
    r"|olvidaste tu contraseña",
    re.I,
)
# "Read also" as sites in other languages write it: a closing list's heading, or the label
# before another article's headline in the middle of a text (both patterns below).
_READ_ALSO_ELSEWHERE = (
    "lesen sie auch|lies auch|auch interessant|mehr zum thema|(?:à )?lire aussi|lee también"
    "|leia também|veja também|leggi anche|lees ook|czytaj (?:też|także)|zobacz (?:też|także)"
    "|相关阅读|延伸阅读|関連記事"
    "|читайте (?:также|також|ещё|еще)|дивіться також|смотрите также|اقرأ (?:أيضا|أيضاً|ايضا)"
    "|(?:همچنین )?بیشتر بخوانید|بخوانید|קראו גם|ayrıca (?:okuyun|bakınız)|διαβάστε (?:επίσης|ακόμα)"
    "|(?:यह|ये) भी पढ़ें|อ่านเพิ่มเติม|อ่านข่าวที่เกี่ยวข้อง|xem thêm|đọc thêm|baca juga|baca pula"
    "|관련\\s?기사|함께 보면 좋은 기사"
)
# The heading of a list of other pages at the end of a text ("You might also like",
# "Read this next", "More from the Gazette").
_RELATED_HEADING = re.compile(
    r"^(?:you (?:may|might) (?:also )?(?:like|enjoy)|related(?: (?:posts?|articles?|stories"
    r"|reading|content|news|links|resources))?|read (?:this )?next|more (?:from|on|stories"
    r"|articles|like this|to read)(?: [\w'’.&-]+){0,3}|recommended(?: for you| reading"
    r"| stories| articles)?|popular (?:posts|articles|stories)|trending(?: now| stories)?"
    r"|latest (?:posts|news|articles|stories)|also read|most (?:read|popular)|keep reading"
    r"|don'?t miss|up next|what to read next|other (?:articles|posts|stories)"
    # ... and as sites in other languages write it
    rf"|{_READ_ALSO_ELSEWHERE}"
    r"|(?:das|dieses) (?:thema )?könnte (?:dich|sie) (?:auch )?interessieren"
    r"|mehr (?:zum thema|themen)(?: [\w'’.&-]+){0,3}|zum weiterlesen|schon gelesen\??"
    r"|weitere (?:aktuelle )?(?:artikel|beiträge|themen|nachrichten)(?: [\w'’.&-]+){0,4}"
    r"|lesen sie auch(?: [\w'’.&-]+){0,3}|ähnliche (?:artikel|beiträge)"
    r"|verwandte (?:artikel|beiträge)|top-themen(?: [\w'’.&-]+){0,3}"
    r"|(?:notas|noticias) relacionadas|contenido relacionado|más sobre(?: [\w'’.&-]+){0,4}"
    r"|à lire également|sur le même sujet|(?:articles|contenus) similaires"
    r"|vous aimerez aussi|(?:también )?te puede interesar|(?:noticias|artículos) relacionad[oa]s"
    r"|(?:notícias|artigos) relacionad[oa]s|articoli correlati|potrebbe interessarti"
    r"|gerelateerde artikelen|polecamy|相关新闻|相关文章|推荐阅读|関連ニュース|あわせて読みたい"
    r"|по теме|похожие (?:новости|статьи)|новини по темі|أخبار ذات صلة|مطالب مرتبط|כתבות נוספות"
    r"|ilgili haberler|σχετικά άρθρα|संबंधित (?:खबरें|ख़बरें|लेख)|ข่าวที่เกี่ยวข้อง|tin liên quan"
    r"|berita terkait|artikel terkait|많이 본 뉴스)"
    r"\s*[:：]?$",
    re.I,
)
# ... of those, the headings a story may give a closing section of its own
_LIST_ITEM = re.compile(r"^[-*•·] ")  # a list's item, as the extractor writes it
_OWN_SECTION_HEADING = re.compile(r"^(?:up next|don'?t miss|more (?:on|from)\b)", re.I)
# A picture's credit under it ("Photo: Shutterstock", "© Getty Images", "Titelbild: ...",
# "Crédits photos : ..."): a label that starts the line, as a caption writes it (a YAML
# "image: nginx" in a code block starts lower case), and a few words after it.
_CREDIT_LINE = re.compile(
    r"^\(?(?:©|\(c\)\s|(?=[A-ZÉ])(?i:(?:photo(?:graph)?s?|images?|pictures?|fotos?|bild"
    r"|titelbild)(?:\s+credits?)?(?:\s+by)?\s*:|credits?\s*:|crédits?\s+photos?\s*:|fot\.\s))"
)
CREDIT_LINE_WORDS = 12
_CODE_TOKEN = re.compile(r"\w:\w|\w_\w|\w\.\w+\(")  # "postgres:16", "max_conn", "os.path("
# A line that is the page's own dateline, label and date ("Last updated on June 2, 2025",
# "Published on: February 14, 2025", "Aktualisiert am 17.01.2021"): what the record's
# dates say, not the article's text.
# An update's label, which a note of what it changed may follow
_UPDATED = r"updated|modified|aktualisiert|mis\s+à\s+jour|actualizado|atualizado|aggiornato"
_UPDATE_LABEL = re.compile(rf"^(?:last\s+|zuletzt\s+)?(?:{_UPDATED}|corrected)\b", re.I)
_DATELINE_LABEL = re.compile(
    rf"^(?:last\s+|zuletzt\s+)?(?:{_UPDATED}|published|posted|reviewed|letzte\s+änderung"
    r"|veröffentlicht|stand\s*:|publié|publicado|pubblicato)\b",
    re.I,
)
DATELINE_WORDS = 10
# A line that points to another article in the middle of a text: a "read also" label and
# the text of a link to another page ("Also read: <headline>", "À lire aussi » <headline>").
_READ_ALSO_LABEL = (
    r"(?:(?:also )?read (?:also|more|next)?|also read|see also|related|more"
    rf"|{_READ_ALSO_ELSEWHERE}"
    r"|lesen sie mehr|siehe auch|voir aussi|lea también|dowiedz się więcej|saiba mais)"
)
_READ_ALSO = re.compile(rf"^{_READ_ALSO_LABEL}\s*[:：»>|–—-]+\s*", re.I)
_BARE_READ_ALSO = re.compile(rf"^{_READ_ALSO_LABEL}\s*[:：»>|–—-]*$", re.I)  # nothing after it
# ... of those, the labels that only ever introduce a link: on a line of their own, the
# links they introduced gone (the extractor dropped the list under "LEIA TAMBÉM:"), they go.
_ORPHAN_READ_ALSO = re.compile(
    rf"^(?:(?:also )?read (?:also|more|next)|also read|{_READ_ALSO_ELSEWHERE}"
    r"|lesen sie mehr|lea también|saiba mais)\s*[:：»>|–—-]*$",
    re.I,
)
RELATED_TAIL_LINES = 15  # a list of other pages after its heading, at most
_DATE_ONLY = re.compile(
    r"^(\w{3,9}\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\.?\s+\w{3,9}\.?\s+\d{4}|\d{4}-\d{2}-\d{2})$"
)
_DAY = (
    rf"(?:{MONTH_NAMES}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}\s+{MONTH_NAMES}\.?,?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
)
# A date that opens a heading, or a "Posted on <date> by <name>" byline that closes it (its
# date may be a <time>, left out of the heading's text).
_HEADING_DATE = re.compile(
    rf"^{_DAY}\s*[|·•:-]?\s+"
    rf"|\s+[|·•-]?\s*(?:posted|published|updated)(?:\s+on\b(?:\s+{_DAY})?|\s+{_DAY})"
    rf"(?:\s+by\b.*)?$",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$|[\"'”’)\]])|[。！？।؟]")
# " | ", " - ", " :: ", and an older blog's " » " and "Blog: Post" (a colon set after the
# site's name: only a part that is the site's name is ever taken out).
_TITLE_SEPARATORS = re.compile(r"(\s+[|–—·•:»«-]{1,2}\s*|\s*[|–—·•»«]\s+|(?<=\w):\s+)")
# A part of a title that a blog's theme sets in every post's, as it does the blog's name
# (WordPress's default theme of 2005-2010: "Blog » Blog Archive » Post").
_THEME_TITLE_PARTS = frozenset({"blog archive"})
_WIRE_DATELINE = re.compile(
    r"^[^\n]{0,80}?\((AP|Reuters|AFP|dpa|UPI|Xinhua|CNN|Bloomberg|ANSA|EFE|PA|CP|KNA)\)\s*[—–-]",
)
_WIRE_CREDIT = re.compile(r"\b(Associated Press|Reuters|Agence France-Presse|AFP)\b")
_WIRE_SHORT = {"Associated Press": "AP", "Agence France-Presse": "AFP"}
# Dates the page gives itself (htmldate's guess from the whole page is not one; nor an
# "Updated ..." line alone, which a terms or a service page shows too).
_OWN_DATE_SOURCES = frozenset({"json-ld", "meta", "microdata", "url", "byline"})
# ... of them, those the page's content states: a stand-in sits at the address it was asked
# for, dated or not.
_STATED_DATE_SOURCES = (_OWN_DATE_SOURCES - {"url"}) | {"updated", "text"}
# ... of them, those of the page's article markup
_HEAD_DATE_SOURCES = frozenset({"json-ld", "meta", "microdata"})
MAX_INNER_LINKS = 200  # link lines kept with an article (a section front has dozens)


# Text encoded as UTF-8 twice (a CMS that read its UTF-8 as Latin-1 or windows-1252 and
# wrote it out again as UTF-8): "Investor’s" arrives as "Investorâ\x80\x99s" or
# "Investorâ€™s". The characters of one such sequence are a UTF-8 lead byte and its
# continuation bytes, read one byte per character; windows-1252 reads 0x80-0x9f as the
# punctuation below.
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
_CP1252_HIGH = {
    bytes([b]).decode("cp1252"): b for b in range(0x80, 0xA0) if b not in _CP1252_UNDEFINED
}
_CONTINUATION = "[\u0080-\u00bf" + "".join(_CP1252_HIGH) + "]"
# The lead bytes of the sequences it can tell from real text: "Â" and "Ã" (Latin-1's
# signs and letters), "Ä" and "Å" (Central European letters), "â" (punctuation, € and ™).
_DOUBLE_ENCODED = re.compile(f"[ÂÃÄÅ]{_CONTINUATION}|â{_CONTINUATION}{{2}}")
# One pattern a lead, each starting with its letter: the regex engine then skips to the
# letter's next occurrence, and most pages are looked through in a few microseconds.
_DOUBLE_BY_LEAD = [
    re.compile(f"{lead}{_CONTINUATION}" + ("{2}" if lead == "â" else "")) for lead in "ÂÃÄÅâ"
]


def _undouble(match: re.Match[str]) -> str:
    found = match.group()
    # Only what real text never holds: an invisible C1 control; "Â" or "Ã" before a sign
    # ("Â®", "Ã©"); "â" before windows-1252's punctuation ("â€™"). Not "Å‚" (Swedish
    # before a low quote) or "pâté»".
    controls = any("\u0080" <= c <= "\u009f" for c in found)
    if not (controls or found[0] in "ÂÃ" or (found[0] == "â" and found[1] in _CP1252_HIGH)):
        return found
    try:
        once = bytes(_CP1252_HIGH.get(c, ord(c)) for c in found).decode("utf-8")
    except (UnicodeDecodeError, ValueError):
        return found
    return found if "\u0080" <= once <= "\u009f" else once  # "Â•": no C1 control made


def undouble_utf8(text: str) -> str:
    """Text with the sequences of UTF-8 encoded twice decoded once more."""
    if not any(pattern.search(text) for pattern in _DOUBLE_BY_LEAD):  # the usual page
        return text
    return _DOUBLE_ENCODED.sub(_undouble, text)


# The same written as entities ("isn&acirc;&euro;&trade;t": a CMS that escaped its
# misread text for HTML), which only the parser would decode, after the pass above.
_DOUBLE_AS_ENTITIES = re.compile(
    f"&(?:Acirc|Atilde|Auml|Aring|acirc);(?:&#?\\w{{1,8}};|{_CONTINUATION}){{1,2}}"
)


def _undouble_entities(match: re.Match[str]) -> str:
    found = match.group()
    written = html_lib.unescape(found)
    once = undouble_utf8(written)
    # Never a character the page escaped for a reason ("&lt;", "&amp;").
    return found if once == written or any(c in "<>&\"'" for c in once) else once


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Bytes to text: the header's charset, then the document's meta, then detection; and
    characters encoded as UTF-8 twice decoded once more (``undouble_utf8``), also where the
    page wrote them as entities."""
    return _DOUBLE_AS_ENTITIES.sub(_undouble_entities, undouble_utf8(_decoded(body, content_type)))


def _decoded(body: bytes, content_type: str | None) -> str:
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
    # Every character of markup written in UTF-16 or UTF-32 has a zero byte; a page with
    # none at its start that says it is one (`<meta charset="utf-16">`, an authoring slip
    # browsers read as UTF-8) would decode to nonsense, or fail only on an odd length.
    wide_possible = b"\x00" in body[:1024]
    labelled = [browser_codec(name) for name in candidates if wide_possible or not is_wide(name)]
    # The first label that reads every byte, else the first that reads nearly all of them
    # (UTF-8 where none does), as a browser reads a page by its label whatever a stray byte
    # says; else a guess.
    for decode in (strict_decode, lenient_decode):
        for codec in [*labelled, "utf-8"]:
            text = decode(body, codec)
            if text is not None:
                return text
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
    # The texts of links to the page's own site: only such a link, a whole line of the text,
    # is a teaser for another of its pages (a guide's linked restaurant names, "Read the
    # district's full budget proposal" pointing to its PDF elsewhere, are the text's own).
    own_link_texts: frozenset[str]
    headlines: tuple[str, ...] = ()  # the texts of the page's first <h1> elements
    # Its rel=canonical and its og:url both name one site's front page as its own address.
    names_front_page: bool = False
    # It links the page before it with rel=prev: a later page of a paged article, whose
    # canonical (page 1, as many CMSs give every page) names another text.
    continues: bool = False


_PREVIOUS_PAGE = etree.XPath(
    "//link[@href][contains(concat(' ', translate(@rel, 'PREVIOUS', 'previous'), ' '), ' prev ')"
    " or contains(concat(' ', translate(@rel, 'PREVIOUS', 'previous'), ' '), ' previous ')]"
)


def _link_domain(href: str) -> str | None:
    """The registrable domain an absolute link points to; None for a relative link."""
    try:
        host = urlsplit(href).hostname
    except ValueError:  # a malformed href ("http://[x]")
        return None
    return host_domain(host.rstrip(".")) if host else None


_BASE_HREF = etree.XPath("//base[@href][1]/@href")


def _page_key(address: str | None) -> tuple[str, str, str] | None:
    """An address as one page: host, path without its final slash, query."""
    if not address:
        return None
    try:
        parts = urlsplit(address)
    except ValueError:
        return None
    return ((parts.hostname or "").lower(), parts.path.rstrip("/"), parts.query)


_UNSHOWN = frozenset({"script", "style", "noscript", "template"})


def page_facts(tree: lxml.html.HtmlElement, url: str) -> PageFacts:
    """Canonical link, language, og:type, link texts, visible text size."""
    # The addresses the page gives itself, in document order: rel=canonical and og:url.
    named = [
        (node.tag, str(node.get("href" if node.tag == "link" else "content")).strip())
        for node in tree.xpath(
            '//link[@rel="canonical"][@href] | //meta[@property="og:url"][@content]'
        )
    ]
    # A relative address is read against the page's <base href>, as a browser reads it:
    # read against the fetched URL, a page's "g1.html" named an address of its own host
    # that it never had, and the article was stored there.
    base = next((b for href in _BASE_HREF(tree) if (b := _absolute(str(href).strip(), url))), url)
    canonical = next((found for _, href in named if (found := _absolute(href, base))), None)
    first: dict[str, str] = {}
    for tag, href in named:
        first.setdefault(tag, href)
    canonical_front = _front_page_site(first.get("link"), base)
    og_url_front = _front_page_site(first.get("meta"), base)
    lang_attr = tree.xpath("/html/@lang | /html/@xml:lang")
    language = str(lang_attr[0]).split("-")[0].split("_")[0].lower() if lang_attr else None
    og_type = tree.xpath('//meta[@property="og:type"]/@content')
    headlines = tuple(text for h1 in tree.iter("h1") if (text := _heading_text(h1)))[:3]
    # Texts of links to other pages (not in-page anchors like a table of contents), with
    # the domain each points to (None: a relative link, the page's own site).
    linked: list[tuple[str, str | None]] = []
    domains: Counter[str] = Counter()
    # ... nor the page's own address with an anchor ("https://site/post/#step-2"): a table
    # of contents written in full is still in-page; its headings were dropped as teasers.
    itself = {_page_key(url), _page_key(canonical)} - {None}
    for a in tree.iter("a"):
        href = (a.get("href") or "#").strip()
        if href.startswith("#"):
            continue
        if "#" in href and _page_key(_absolute(href.partition("#")[0], base)) in itself:
            continue
        domain = _link_domain(href)
        if domain is not None:
            domains[domain] += 1
        text = fold(a.text_content())
        if len(text) >= 12:
            linked.append((text, domain))
    link_texts = frozenset(text for text, _ in linked)
    own_sites = {domain_of(url), domain_of(canonical or url)}
    if not is_named_host(domain_of(url)):
        # a test server on loopback, a mirror by IP address: the site the page links to most
        named = [(count, domain) for domain, count in domains.items() if is_named_host(domain)]
        if named:
            own_sites.add(max(named)[1])
    own_link_texts = frozenset(
        text for text, domain in linked if domain is None or domain in own_sites
    )
    body = tree.find("body")
    visible = 0
    if body is not None:
        # Nothing inside a script, a style, a <noscript> or a <template> is shown: a
        # <noscript>'s paragraphs ("Please enable JavaScript") were counted as the page's.
        hidden: set[Any] = set()
        for node in body.iter():
            if not isinstance(node.tag, str):
                continue
            if node.tag in _UNSHOWN or node.getparent() in hidden:
                hidden.add(node)
                continue
            visible += len((node.text or "").strip()) + len((node.tail or "").strip())
    return PageFacts(
        canonical_url=canonical,
        language=language,
        og_type=str(og_type[0]).lower() if og_type else None,
        link_texts=link_texts,
        visible_chars=visible,
        own_link_texts=own_link_texts,
        headlines=headlines,
        names_front_page=canonical_front is not None and canonical_front == og_url_front,
        continues=bool(_PREVIOUS_PAGE(tree)),
    )


# A consent manager's banner or settings dialog, by the id or class its vendor gives it
# (OneTrust, Cookiebot, CookieLawInfo, Complianz, Borlabs, Didomi, Quantcast, Usercentrics,
# iubenda, TrustArc, ...) or by what a theme calls one ("cookie-consent", "cookie-notice").
_CONSENT_DIALOG = re.compile(  # matched against the lowercased id or class: faster than re.I
    r"onetrust|cookiebot|cookie[-_]?(?:law|consent|banner|notice|compliance|bar\b|popup|modal)"
    r"|(?:cookie|gdpr|privacy)[-_]?consent|consent[-_]?(?:banner|manager|popup|modal|sdk)"
    r"|clisettingspopup|\bcli-modal\b|cmplz-cookiebanner|borlabscookie|didomi-(?:host|popup)"
    r"|qc-cmp2|usercentrics-root|moove_gdpr|iubenda-cs|truste-consent|tarteaucitron|osano-cm"
    r"|sp_message_container|cky-consent|cky-modal"
)
_IDS_AND_CLASSES = etree.XPath("//@id | //@class")
# What a cookie notice says of itself, in the languages whose dates the page reader knows
_COOKIE_NOTICE = re.compile(
    r"\b(we|this (web)?site|our (web)?site|and our partners) uses? cookies\b"
    r"|\b(accept|allow|reject|manage)( all)? cookies\b|\bcookies? (policy|settings|preferences)\b"
    r"|\b(utilizamos|usamos) cookies|\bwir verwenden cookies|\bnous utilisons des cookies"
    r"|\butilizziamo (i )?cookie|\bwij gebruiken cookies",
    re.I,
)
COOKIE_NOTICE_WORDS = 150  # a banner says this much at most; a story about cookies more
_COOKIE_NAME = re.compile(r"^(?!(tag|category|post|entry|topic)-).*(cookie|consent|gdpr)")
_CONTROLS = etree.XPath("boolean(descendant::button | descendant::a | descendant::input)")
_NEVER_A_DIALOG = frozenset({"html", "body", "main", "article"})
# A wrapper that holds the page's headline or its article is not a dialog, whatever a
# theme calls it (a page classed after an open banner; a consent tool's blur wrapper).
_HOLDS_THE_PAGE = etree.XPath("boolean(descendant::h1 | descendant::article | descendant::main)")
# A theme's banner or a sign-up box holds no <h2> either, where a post's title may be, the
# theme setting the site's name in the <h1>; a consent manager's wrapper may hold one (a
# page blurred behind its dialog).
_HEADINGS_OR_PAGE = etree.XPath(
    "boolean(descendant-or-self::*[self::h1 or self::h2 or self::article or self::main])"
)


def drop_consent_dialogs(tree: lxml.html.HtmlElement) -> int:
    """Take out a consent manager's cookie banner and settings dialog: the site's notice
    about cookies, never the page's text, though they read as prose ("These cookies are
    necessary for the website to function ...") and a settings dialog's panels are an
    accordion; and a theme's own banner, named for cookies or consent, that says it is
    one in at most ``COOKIE_NOTICE_WORDS`` words. Never an element that holds the page's
    headline, its <article> or its <main>. Returns the elements taken out."""
    dropped: set[lxml.html.HtmlElement] = set()  # a set: a page may hold thousands
    named_for_cookies = []  # read once: a page may hold tens of thousands of classes
    for value in _IDS_AND_CLASSES(tree):
        lowered = value.lower()
        if not _CONSENT_DIALOG.search(lowered):
            if "cookie" in lowered or "consent" in lowered or "gdpr" in lowered:
                named_for_cookies.append((value, lowered))
            continue
        element = value.getparent()
        if element.getparent() is None or element.tag in _NEVER_A_DIALOG:
            continue  # the document itself (a fragment's root is whatever element it has)
        if _HOLDS_THE_PAGE(element):
            continue
        if element in dropped or not dropped.isdisjoint(element.iterancestors()):
            continue  # taken out already, or inside a dialog taken out
        element.drop_tree()
        dropped.add(element)
    for value, lowered in named_for_cookies:
        # A theme's own banner ("dcr-cookie", "cookies-aviso"): named so (not by a post's
        # tag or category, "tag-cookies"), saying so, with a button or a link to answer it
        if not any(_COOKIE_NAME.search(token) for token in lowered.split()):
            continue
        element = value.getparent()
        if element.getparent() is None or element.tag in _NEVER_A_DIALOG:
            continue
        if element in dropped or not dropped.isdisjoint(element.iterancestors()):
            continue
        said = " ".join(element.itertext())
        if count_words(said) > COOKIE_NOTICE_WORDS or not _COOKIE_NOTICE.search(said):
            continue
        if _HEADINGS_OR_PAGE(element) or not _CONTROLS(element):
            continue
        element.drop_tree()
        dropped.add(element)
    return len(dropped)


_HIDING_STYLE = re.compile(r"(?:display\s*:\s*none|visibility\s*:\s*hidden)\s*;?", re.I)
_DIALOGS = etree.XPath(
    "//dialog | //*[@role='dialog' or @role='alertdialog' or @aria-modal='true']"
)


_PAGE_MARKS = etree.XPath("descendant-or-self::*[self::h1 or self::article or self::main]")
_LONG_PARAGRAPH_WORDS = 12


def _long_paragraphs(element: lxml.html.HtmlElement) -> Counter[str]:
    """The element's paragraphs of 12 words or more, by their text."""
    found: Counter[str] = Counter()
    for paragraph in element.iter("p"):
        text = " ".join(paragraph.text_content().split())
        if count_words(text) >= _LONG_PARAGRAPH_WORDS:
            found[text] += 1
    return found


# A field for an e-mail address: a newsletter's or a login's box. (A comment form's is in
# the comments, which no extractor reads.)
_EMAIL_FIELDS = etree.XPath(
    "//input[translate(@type, 'EMAIL', 'email') = 'email'"
    " or ((not(@type) or translate(@type, 'TEXT', 'text') = 'text')"
    " and (contains(translate(@name, 'EMAIL', 'email'), 'email')"
    " or contains(translate(@placeholder, 'EMAIL', 'email'), 'email')))]"
)
SIGNUP_BOX_WORDS = 80  # a sign-up box says this much at most: a pitch and a privacy line
SIGNUP_PARAGRAPH_WORDS = 25  # a paragraph this long is a story's, not a pitch's, unless it
# speaks of what a sign-up does
_PITCH = re.compile(
    r"\b(newsletters?|inbox|subscri\w*|sign(ing)?[ -]?up|unsubscribe|no spam)\b", re.I
)
# What a sign-up box is named (its class, id or component): Mailchimp's "mc_embed_signup",
# MC4WP's "mc4wp-form", Ghost's "kg-signup-card", Substack's "subscription-widget", a
# newspaper's "newsletter-signup-card", "email-capture", "optin"; a call to act ("post-cta",
# "book-demo-form"), a contact form, a comment form (its "Name" field read as a byline).
_SIGNUP_NAME = re.compile(
    r"newsletter|sign-?up|subscri|opt-?in|mc4wp|email-capture|(?<![a-z])cta(?![a-z])"
    r"|(?<![a-z])demo(?![a-z])|contact[-_]?form|comment-(?:form|respond)",
    re.I,
)


def _box_words(node: lxml.html.HtmlElement) -> int:
    return count_words(" ".join(node.itertext()))


def drop_signup_boxes(tree: lxml.html.HtmlElement) -> int:
    """Take out the boxes around e-mail fields: a newsletter's sign-up set in a story's
    body ("Sign up to Down to Earth / Free weekly newsletter / The planet's most important
    stories ...") is read with the paragraphs around it, its form alone being dropped by
    the extractor. A box is the largest element around the field named for a sign-up
    (``_SIGNUP_NAME``) that says at most ``SIGNUP_BOX_WORDS`` words, holds no paragraph as
    long as a story's that does not speak of signing up, and no heading, article or main
    part (a brief in one <div> with a form is the brief). Returns the boxes taken out."""
    dropped = 0
    root = tree.getroottree().getroot()
    for field in _EMAIL_FIELDS(tree):
        if field.getroottree().getroot() is not root:
            continue  # inside a box taken out already
        box = None
        for ancestor in field.iterancestors():
            if ancestor.tag in _NEVER_A_DIALOG or _HEADINGS_OR_PAGE(ancestor):
                break
            if _box_words(ancestor) > SIGNUP_BOX_WORDS or any(
                count_words(said) >= SIGNUP_PARAGRAPH_WORDS and not _PITCH.search(said)
                for said in (paragraph.text_content() for paragraph in ancestor.iter("p"))
            ):
                break
            named = " ".join(
                str(ancestor.get(name, "")) for name in ("class", "id", "data-component")
            )
            if _SIGNUP_NAME.search(named):
                box = ancestor  # the largest element named for a sign-up, within bounds
        if box is not None and box.getparent() is not None:
            box.drop_tree()
            dropped += 1
    return dropped


def drop_dialogs(tree: lxml.html.HtmlElement) -> int:
    """Take out the page's dialogs: a ``<dialog>``, or an element that calls itself one
    (``role="dialog"``, ``aria-modal="true"``). What they hold is a form, a newsletter's or
    a login's pitch, a share or embed box, a menu, or a "Republish this article" box with
    the story's licence and its whole text again; never the page's text.

    Not one that holds the page's headline, its <article> or its <main> (a page may set
    its story in a dialog over a list), unless the page has its headline or article
    outside it as well and the dialog is closed (a ``<dialog>`` without ``open``, or
    hidden by its style or attributes: a browser does not show it with the page) or says
    again what the page says: the copy a republish box keeps. Returns the dialogs taken
    out."""
    dialogs = _DIALOGS(tree)
    if not dialogs:
        return 0
    # Counted once for the page and once per outermost dialog, so that a page of thousands
    # of dialogs, side by side or one inside the other, costs its size, not its square.
    page_marks: int | None = None
    page_paragraphs: Counter[str] | None = None
    page_words: int | None = None
    judged: set[lxml.html.HtmlElement] = set()
    dropped = 0
    for dialog in dialogs:
        if dialog.getparent() is None or dialog.tag in _NEVER_A_DIALOG:
            continue
        if not judged.isdisjoint(dialog.iterancestors()):
            continue  # inside a dialog taken out, or kept as the page, with it
        judged.add(dialog)
        marks = len(_PAGE_MARKS(dialog))
        if not marks:
            inside = _long_paragraphs(dialog)
            if _words_of(inside) >= DIALOG_PROSE_WORDS:
                # The page is read only where a dialog is that long (a consent banner or a
                # pitch is not), and once, so that thousands of them cost the page's size.
                if page_paragraphs is None:
                    page_paragraphs = _long_paragraphs(tree.getroottree().getroot())
                if page_words is None:
                    page_words = count_words(" ".join(tree.getroottree().getroot().itertext()))
                if _holds_the_text(dialog, inside, page_paragraphs, page_words):
                    continue  # a transcript behind a "Read transcript" button: the page's
        if marks:
            if page_marks is None:
                page_marks = len(_PAGE_MARKS(tree.getroottree().getroot()))
            if marks >= page_marks:
                continue  # the page's only headline or article: the page itself
            if not _closed(dialog):
                if page_paragraphs is None:
                    page_paragraphs = _long_paragraphs(tree.getroottree().getroot())
                if not _repeats(_long_paragraphs(dialog), page_paragraphs):
                    continue  # open, and its text its own: the story, set in a dialog
        dialog.drop_tree()
        dropped += 1
        # What is taken out is no longer the page's, to the dialogs after it.
        if page_marks is not None:
            page_marks -= marks
        if page_paragraphs is not None:
            page_paragraphs.subtract(_long_paragraphs(dialog))
        if page_words is not None:
            page_words -= count_words(" ".join(dialog.itertext()))
    return dropped


DIALOG_PROSE_WORDS = 150  # a dialog's paragraphs this long may be the page's own text


def _words_of(paragraphs: Counter[str]) -> int:
    return sum(count_words(text) * n for text, n in paragraphs.items())


def _holds_the_text(
    dialog: lxml.html.HtmlElement, inside: Counter[str], page: Counter[str], page_words: int
) -> bool:
    """Whether a dialog's paragraphs (``inside``) are more than all the page's text outside
    it, and said nowhere else on it: a podcast's transcript in a modal, not a pitch, a
    form, or a site's terms over a forum's thread."""
    if _repeats(inside, page):
        return False
    return _words_of(inside) > page_words - count_words(" ".join(dialog.itertext()))


def _repeats(inside: Counter[str], page: Counter[str]) -> bool:
    """Whether most of a dialog's paragraphs (``inside``) are also the page's outside it."""
    repeated = sum(n for text, n in inside.items() if page[text] > n)
    return repeated >= 2 and repeated * 2 >= sum(inside.values())


def _closed(dialog: lxml.html.HtmlElement) -> bool:
    if dialog.tag == "dialog":
        return dialog.get("open") is None
    return (
        bool(_HIDING_STYLE.search(dialog.get("style") or ""))
        or dialog.get("hidden") is not None
        or dialog.get("aria-hidden") == "true"
    )


def without_templates(tree: lxml.html.HtmlElement) -> int:
    """A ``<template>``'s content is inert: no browser shows it (a page may keep any text
    there, out of sight, and it was stored as the article). One that declares a shadow
    root (``shadowrootmode``) is shown in its host element's place: it stays, as content.
    Returns the templates dropped."""
    dropped = 0
    for template in list(tree.iter("template")):
        if template.get("shadowrootmode") or template.get("shadowroot"):
            template.drop_tag()
        else:
            template.drop_tree()
            dropped += 1
    return dropped


_TABLE_PARTS = etree.XPath("./tr | ./tbody/tr | ./thead/tr | ./tfoot/tr")
_TABLE_SECTIONS = etree.XPath("./tbody | ./thead | ./tfoot")
LAYOUT_CELL_WORDS = 40  # a cell with this much text holds a page's prose, not a figure
LAYOUT_SHARE = 0.8  # a table holding this share of the page's words is the page's frame
FRAME_LINKS_SHARE = 0.5  # a frame's cell with this share of its text in links is a sidebar


def _lays_out(
    table: lxml.html.HtmlElement,
    cells: list[lxml.html.HtmlElement],
    in_layout: bool,
    page_words: Callable[[], int],
) -> bool:
    """Whether a table lays out the page rather than holding data: it says so
    (``role="presentation"``), it holds another table (a newsletter's 600-pixel column in
    a full-width one), or one of its cells holds a headline or prose (40 words or more),
    it has no header row or caption, and it is inside such a table (``in_layout``) or
    holds nearly all of the page's text (``LAYOUT_SHARE`` of ``page_words``: an old
    site's frame of masthead, sidebar, story and right rail). A table of prose among the
    page's other blocks stays a table: trafilatura keeps a table's text whole, and read as
    blocks, a page's grid of cards lost some of them."""
    if table.get("role") in ("presentation", "none") or table.find(".//table") is not None:
        return True
    if table.find(".//th") is not None or table.find("caption") is not None:
        return False
    holds_prose = any(
        cell.find(".//h1") is not None
        or cell.find(".//h2") is not None
        or count_words(cell.text_content()) >= LAYOUT_CELL_WORDS
        for cell in cells
    )
    return holds_prose and (in_layout or _frames_page(table, page_words))


def unwrap_layout_tables(tree: lxml.html.HtmlElement) -> int:
    """Turn the tables that lay out a page (an email newsletter's columns) into plain
    blocks. An extractor reads a table as rows of cells: a newsletter's whole text came
    out as one "| ... |" row, its paragraphs run together. Outer tables first; a table of
    figures inside a layout stays a table. Returns the tables unwrapped."""
    unwrapped: set[lxml.html.HtmlElement] = set()
    page_words = functools.cache(lambda: count_words(tree.text_content()))
    for table in list(tree.iter("table")):
        rows, cells = _rows_and_cells(table)
        in_layout = any(ancestor in unwrapped for ancestor in table.iterancestors())
        if not _lays_out(table, cells, in_layout, page_words):
            continue
        # A frame's masthead, menu and rails of other stories are its sidebars: an
        # extractor reads blocks with no <aside>, <nav> or class to tell them by
        frame = not in_layout and _frames_page(table, page_words)
        _read_as_blocks(table, rows, cells, "div", sidebars=frame)
        if frame:
            _unwrap_stacked(table, unwrapped)
        unwrapped.add(table)
    for table in unwrapped:
        if not any(ancestor in unwrapped for ancestor in table.iterancestors()):
            collapse_source_breaks(table)
    return len(unwrapped)


def _unwrap_stacked(frame: lxml.html.HtmlElement, unwrapped: set[lxml.html.HtmlElement]) -> None:
    """The tables stacked above and below a page's frame, beside it in one parent, that are
    its masthead's menu (half their text links) or its footer (its copyright): each read as
    blocks as the frame is, a menu's cells as sidebars, a footer as the page's footer.
    Any other table beside the frame is left alone (an election's results, a photo's
    caption set under it)."""
    parent = frame.getparent()
    if parent is None:
        return
    below = False
    for sibling in parent:
        if sibling is frame:
            below = True
            continue
        if sibling.tag != "table" or sibling.find(".//th") is not None:
            continue
        menu = _link_share(sibling) >= FRAME_LINKS_SHARE
        footer = below and bool(_COPYRIGHT.search(sibling.text_content()))
        if not (menu or footer):
            continue
        rows, cells = _rows_and_cells(sibling)
        _read_as_blocks(sibling, rows, cells, "footer" if footer else "div", sidebars=True)
        unwrapped.add(sibling)


def _rows_and_cells(
    table: lxml.html.HtmlElement,
) -> tuple[list[lxml.html.HtmlElement], list[lxml.html.HtmlElement]]:
    """A table's own rows, and their cells (not a nested table's)."""
    rows = _TABLE_PARTS(table)
    return rows, [cell for row in rows for cell in row if cell.tag in ("td", "th")]


def _read_as_blocks(
    table: lxml.html.HtmlElement,
    rows: list[lxml.html.HtmlElement],
    cells: list[lxml.html.HtmlElement],
    tag: str,
    *,
    sidebars: bool,
) -> None:
    """A table's sections, rows and cells as plain blocks, the table itself as ``tag``;
    with ``sidebars``, its cells that are half links as ``<aside>``."""
    for element in (*_TABLE_SECTIONS(table), *rows, *cells):
        element.tag = "div"
    table.tag = tag
    if sidebars:
        for cell in cells:
            if _link_share(cell) >= FRAME_LINKS_SHARE:
                cell.tag = "aside"


_COPYRIGHT = re.compile(r"©|\bcopyright\b|\ball rights reserved\b", re.I)


def _frames_page(table: lxml.html.HtmlElement, page_words: Callable[[], int]) -> bool:
    """Whether a table holds nearly all of the page's text: the page's frame."""
    return count_words(table.text_content()) >= LAYOUT_SHARE * page_words()


def _link_share(node: lxml.html.HtmlElement) -> float:
    """The share of an element's text that is the text of its links."""
    text = len("".join(node.text_content().split()))
    linked = sum(len("".join(link.text_content().split())) for link in node.iter("a"))
    return linked / text if text else 0.0


_SOURCE_BREAK = re.compile(r"[ \t]*\r?\n\s*")
# where a line break in the source is one on screen too (and scripts, which nothing reads)
_PREFORMATTED = ("pre", "textarea", "code", "xmp", "listing", "plaintext", "script", "style")


def collapse_source_breaks(root: lxml.html.HtmlElement) -> int:
    """Turn the line breaks of the source inside ``root`` into spaces, as a browser shows
    them (outside ``<pre>``). trafilatura keeps them in a block's loose text: an old site's
    story in a table's cell read as blocks, wrapped at 80 columns in its source and set in
    <font> tags, came out as lines of ten words that break its sentences (its headline in
    two lines: no headline line to drop). (Not the whole page's: trafilatura then chose
    other blocks on some pages, and 2 more of WCXB dev's lists looked like prose.)
    Returns the texts changed."""
    kept = {node for block in root.iter(*_PREFORMATTED) for node in block.iter()}
    changed = 0
    for node in root.iter():
        if isinstance(node.tag, str) and node not in kept and node.text and "\n" in node.text:
            node.text = _SOURCE_BREAK.sub(" ", node.text)
            changed += 1
        if node.tail and "\n" in node.tail and node.getparent() not in kept:
            node.tail = _SOURCE_BREAK.sub(" ", node.tail)
            changed += 1
    return changed


def reveal_disclosed(tree: lxml.html.HtmlElement) -> int:
    """Show the panels a page's disclosure buttons hide: an accordion's sections, a FAQ's
    answers, a tab's content. They are the page's text, one click away; the inline style,
    ``hidden`` or ``aria-hidden`` that hides them until then makes extractors drop them as
    clutter.

    Only panels that a control names (``aria-controls``) and that read as prose: 20 words
    or more, mostly not link text (a menu behind a hamburger button stays hidden). A hidden
    element nothing names (a modal, a template) stays hidden. Returns the panels shown."""
    named = {
        panel_id
        for controls in tree.xpath("//@aria-controls")
        for panel_id in str(controls).split()
    }
    if not named:
        return 0
    shown = 0
    for panel in tree.xpath("//*[@id]"):
        style = panel.get("style") or ""
        hidden = bool(_HIDING_STYLE.search(style)) or panel.get("hidden") is not None
        if panel.get("id") not in named or not (hidden or panel.get("aria-hidden") == "true"):
            continue
        text = " ".join(panel.text_content().split())
        link_chars = sum(len(" ".join(a.text_content().split())) for a in panel.iter("a"))
        if count_words(text) < 20 or link_chars > 0.3 * len(text):
            continue
        shown_style = _HIDING_STYLE.sub("", style).strip()
        for attribute in ("style", "hidden", "aria-hidden"):
            panel.attrib.pop(attribute, None)
        if shown_style:
            panel.set("style", shown_style)
        shown += 1
    return shown


def _front_page_site(href: str | None, url: str) -> str | None:
    """The site whose front page this address is, if it is one."""
    address = _absolute(href, url) if href is not None else None
    if address is None or not is_named_address(address) or not is_front_page(address):
        return None
    return domain_of(address)


def _site_name_test(sitename: str | None, url: str) -> Callable[..., bool]:
    """Whether a part of a title is the site's name (see ``clean_title``)."""
    labels = (urlsplit(url).hostname or "").removeprefix("www.").split(".")[:-1]
    hosts = {label for label in labels if len(label) >= 4}
    # A "site name" with separators of its own is a page's title repeated, not a name.
    named = sitename and len(sitename) >= 3 and not _TITLE_SEPARATORS.search(sitename)
    names = {fold(sitename)} if sitename and named else set()
    names |= hosts | {name.replace(" ", "") for name in names}

    def is_site(part: str, *, exact: bool = False) -> bool:
        label = fold(part)
        compact = re.sub(r"[\s\-]", "", label)
        # ... and without its article: "The Valley Tribune" at valleytribune.com
        bare = re.sub(r"[\s\-]", "", label.removeprefix("the "))
        letters = re.sub(r"[\W_]", "", label)  # "JOHNSON’S®" at johnsonsbaby.com
        if not compact or len(part.split()) > 5:
            return False
        if exact:
            # the name itself, no more: "Contoso reports record revenue" is a headline's
            # half that opens with the company it is about
            return any(n.replace("-", "") in (compact, bare) for n in names) or any(
                letters == host.replace("-", "") for host in hosts
            )
        return (
            any(
                label.startswith(n)
                or compact.startswith(n.replace("-", ""))
                or bare.startswith(n.replace("-", ""))
                for n in names
            )
            or (len(letters) >= 4 and any(letters in host for host in hosts))
            or (len(label) >= 6 and any(n.startswith(label) for n in names))
        )

    return is_site


SITE_NAME_TITLE_WORDS = 3  # a title this short that is the site's name is its logo's text


def document_title(
    metadata_title: str | None, tree: lxml.html.HtmlElement, sitename: str | None, url: str
) -> str | None:
    """The page's title as its metadata gives it, unless that is only the site's name (a
    logo's <h1> read as the headline: "Antoyo's Blog" over every post of the blog); then
    its <title> or og:title, where one of them says more."""
    if not metadata_title or len(metadata_title.split()) > SITE_NAME_TITLE_WORDS:
        return metadata_title
    is_site = _site_name_test(sitename, url)
    if not is_site(metadata_title):
        return metadata_title
    for found in tree.xpath("//head/title/text() | //meta[@property='og:title']/@content"):
        title = " ".join(str(found).split())
        kept = clean_title(title, sitename, url)
        if kept and not is_site(kept):
            return title
    return metadata_title


# The line a news site sets over its headline inside the <h1> ("<span class="kicker">
# Kommentar</span> Das neue Wahlrecht ..."): a section's or a topic's name, no part of it.
_KICKER_CLASSES = re.compile(
    r"kicker|overline|dachzeile|spitzmarke|topline|eyebrow|roofline|supertitle", re.I
)


def _kicker(node: lxml.html.HtmlElement) -> bool:
    return bool(_KICKER_CLASSES.search(node.get("class") or ""))


def _heading_text(heading: lxml.html.HtmlElement) -> str:
    """A heading's text as it reads: a line break in it is a space ("Best Tools<br>Top
    Picks"), a <time> set inside it is no part of it, and an entity its site escaped twice
    ("SQL &amp;#x26; AI") is the character."""
    pieces: list[str] = []

    def read(node: lxml.html.HtmlElement) -> None:
        pieces.append(node.text or "")
        for child in node:
            if child.tag == "br":
                pieces.append(" ")
            elif isinstance(child.tag, str) and child.tag != "time" and not _kicker(child):
                read(child)  # not a comment, a date, or a kicker above the headline
            pieces.append(child.tail or "")

    read(heading)
    return " ".join(html_lib.unescape("".join(pieces)).split())


def _absolute(href: str, base: str) -> str | None:
    try:
        joined = urljoin(base, href)
    except ValueError:  # "http://[x]": not a URL
        return None
    return joined if is_http_url(joined) else None


def clean_text(text: str, link_texts: frozenset[str]) -> str:
    """Drop furniture lines, teaser cards for other pages, and the headings they leave."""
    return cleaned_text(text, link_texts)[0]


# The rest of a time the note follows ("Updated May 11, 2025, 4:15 p.m.: Adds ...")
_TIME_BEFORE_NOTE = re.compile(r"^[\d\s.apmAPM]*:")
UPDATE_NOTE_WORDS = 3  # a note of what an update changed says this much at least


def _is_dateline(line: str, words: int) -> bool:
    """Whether a line is the page's dateline ("Last updated on June 2, 2025", "Published
    on: February 14, 2025 07:44 PM IST"), not a note of what changed that the story keeps
    ("Updated Oct. 2, 2025: Adds the secretary of state's response.": words after a
    colon that follows the date)."""
    if not (_DATELINE_LABEL.match(line) and words <= DATELINE_WORDS and shown_day(line)):
        return False
    if not _UPDATE_LABEL.match(line) or not line.endswith((".", "!", "?")):
        return True  # ("Published May 13, 2025: Staff and wire reports": a dateline's credit)
    for colon in (at for at, char in enumerate(line) if char == ":"):
        if shown_day(line[:colon]):
            note = _TIME_BEFORE_NOTE.sub("", line[colon + 1 :])
            return spaced_words(note) < UPDATE_NOTE_WORDS
    return True


def _is_wall_line(line: str, words: int) -> bool:
    if _LOGIN_WALL.search(line):
        return True
    button = _WALL_BUTTON.match(line)
    if button is None:
        return False
    if words > WALL_BUTTON_WORDS and _INSTRUCTION.search(line, button.end()):
        return False  # a tutorial's step: "Sign up for an account, then install the CLI"
    return words <= WALL_BUTTON_WORDS or bool(_WALL_WORDS.search(line, button.end()))


def _is_credit_line(line: str, words: int) -> bool:
    """A photo's credit ("Photo: Jane Doe/AP"), not a setting's label ("Image:
    postgres:16-alpine, pulled on first start")."""
    label = _CREDIT_LINE.match(line)
    return (
        label is not None
        and words <= CREDIT_LINE_WORDS
        and not _CODE_TOKEN.search(line, label.end())
    )


def cleaned_text(
    text: str, link_texts: frozenset[str], own_link_texts: frozenset[str] | None = None
) -> tuple[str, list[tuple[int, str]]]:
    """``clean_text``'s text, and the teaser lines it dropped (lines that are links to other
    pages of the site: ``own_link_texts``, by default all of ``link_texts``), each with the
    number of lines kept before it."""
    teaser_texts = link_texts if own_link_texts is None else own_link_texts
    kept: list[str] = []
    teasers: list[tuple[int, str]] = []
    teaser_after_kept = False  # a teaser card was dropped after the last kept line
    skip_date_after_card = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        words = spaced_words(line)
        # An indented line is a code block's ("    time.sleep(0.5)", "  email,"), never a
        # share button, a widget's count or a credit.
        prose = raw[:1] not in (" ", "\t")
        if prose and (_FURNITURE.match(line) or (words <= 30 and _is_wall_line(line, words))):
            continue
        if prose and _is_credit_line(line, words):
            continue
        if _is_dateline(line, words):
            continue
        label = _READ_ALSO.match(line)
        pointed = line[label.end() :] if label else ""  # "Also read: <headline>"
        if (5 <= words <= 25 and fold(line) in teaser_texts) or (
            pointed and fold(pointed) in teaser_texts
        ):
            # A whole line that is the text of a link to another page is a teaser for it,
            # and so is such a text after a "read also" label; the date line that follows
            # belongs to that teaser.
            skip_date_after_card = teaser_after_kept = True
            if not pointed and kept and _BARE_READ_ALSO.match(kept[-1]):
                kept.pop()  # its label on a line of its own ("LEIA TAMBÉM:", "Lire aussi")
            teasers.append((len(kept), pointed or line))
            continue
        if skip_date_after_card and _DATE_ONLY.match(line):
            skip_date_after_card = False
            continue
        skip_date_after_card = False
        teaser_after_kept = False
        kept.append(line)
    kept = _without_related_tail(kept, teasers, link_texts)
    # Headings of teaser lists ("Related", "Ranking") left at the end once the teasers went.
    while (
        teaser_after_kept
        and kept
        and spaced_words(kept[-1]) <= 3
        and not kept[-1].endswith((".", "!", "?", "”", '"', "。", "！", "？"))
    ):
        kept.pop()
    # A "read also" label whose links the extractor dropped (after the closing list's
    # heading was looked for: there it marks the list)
    orphans = [at for at, line in enumerate(kept) if _ORPHAN_READ_ALSO.match(line)]
    if orphans:
        kept = [line for at, line in enumerate(kept) if at not in orphans]
        teasers = [(before - sum(at < before for at in orphans), t) for before, t in teasers]
    return "\n".join(kept), teasers


TEASER_LINK_WORDS = 3  # a link's text this long that opens a list's item makes it a teaser


def _starts_with_a_link(line: str, link_texts: frozenset[str]) -> bool:
    """Whether a list's item opens with the text of a link to another page ("- Parking
    plan heads to council · 3 min read", its title the link)."""
    item = fold(line.lstrip("-*•· "))
    return any(
        item.startswith(text) and spaced_words(text) >= TEASER_LINK_WORDS for text in link_texts
    )


def _without_related_tail(
    lines: list[str], teasers: list[tuple[int, str]], link_texts: frozenset[str]
) -> list[str]:
    """The lines without a list of other pages closing them: a "Related" or "You might
    also like" heading followed only by short lines (titles, dates, bylines) and no
    sentence of its own, after at least three lines of the text. A story may close with a
    section of its own under such a heading ("Up next" in a game story, "Don't miss" in an
    events guide, "Recommended reading" and its list of books): under those headings, and
    above the items of a list, the lines must link to other pages: teasers went after the
    heading, or a line left is a link's text."""
    for at in range(3, len(lines)):
        heading = lines[at].strip("-#*| ").strip()
        if spaced_words(heading) > 6 or not _RELATED_HEADING.match(heading):
            continue
        rest = lines[at + 1 :]
        if len(rest) > RELATED_TAIL_LINES or any(
            spaced_words(line) > 20 or (spaced_words(line) >= 12 and _SENTENCE_END.search(line))
            for line in rest
        ):
            continue
        if any(kept_before > at for kept_before, _ in teasers) or any(
            fold(line.lstrip("-*•· ")) in link_texts for line in rest
        ):
            return lines[:at]
        if _OWN_SECTION_HEADING.match(heading) or (
            rest
            and all(map(_LIST_ITEM.match, rest))
            and not any(_starts_with_a_link(line, link_texts) for line in rest)
        ):
            continue  # a list of the story's own that links nowhere
        return lines[:at]
    return lines


BYLINE_LINES = 3  # a byline set in the text stands among its first lines


def drop_byline(text: str, author: str | None) -> str:
    """The text without the byline an extractor read into its first lines ("By Jane Doe"):
    the author is stored apart, and two copies of one story differ in it."""
    lines = text.split("\n")
    if not author or len(lines) < 2:
        return text
    for at, line in enumerate(lines[:BYLINE_LINES]):
        if is_byline_of(line, author):
            # ... and the writer's role on the line under it ("By BOB SMITH<br>Staff Writer")
            after = (lines[at + 1] if at + 1 < len(lines) else "").split()
            role = (
                len(after) <= ROLE_LINE_WORDS
                and all(word[:1].isupper() for word in after[:-1])  # not a dek's sentence
                and _ROLE_PART.search(" ".join(after))
            )
            return "\n".join(lines[:at] + lines[at + (2 if role else 1) :])
    return text


ROLE_LINE_WORDS = 5  # a line under a byline this short naming a job ("Courier Staff Writer")


def drop_headline(text: str, *headlines: str | None) -> str:
    """The text without its headline when that is its first line, or comes after a line or
    two of its date ("Friday 7 March 2025"), which go with it: the headline is the title
    (the page's title, with or without the site's name, or its first <h1>)."""
    lines = text.split("\n")
    names = set()
    for headline in headlines:
        if headline:
            names.add(fold(headline))
            names.add(fold(_TITLE_SEPARATORS.split(headline.strip())[0]))
    for at, line in enumerate(lines[: DATE_LINES + 1]):
        if fold(line) in names:
            rest = lines[at + 1 :]
            return "\n".join(rest) if any(part.strip() for part in rest) else text
        if len(line.split()) > DATE_LINE_WORDS or shown_day(line) is None:
            break  # the story's own line (a poem's, a recipe card's), not a date
    return text


DATE_LINES = 2  # lines of a date above a headline ("Friday, March 7, 2025, 10:45 a.m.")
DATE_LINE_WORDS = 8


_TITLE_WORDS = re.compile(f"[\\w{WORD_MARKS}]+")  # whole words, vowel signs and all


def page_headline(
    title: str | None, headings: list[str], title_tag: str | None = None
) -> str | None:
    """The headline as the page shows it: its first <h1> that shares two words or more with
    the title of its metadata (a section's <h1> or a logo shares none), or that is the
    page's <title> without the site's name (``title_tag``; where og:title is a social
    headline of its own: "You need to see these seven charts" over "Rents rose 9% in
    2024"), else that title."""
    known = set(_TITLE_WORDS.findall(fold(title or "")))
    tag = " ".join(fold(title_tag or "").split())
    for heading in headings:
        if spaced_words(heading) > 30:
            continue
        words = _TITLE_WORDS.findall(fold(heading))
        is_tag = len(words) >= 3 and tag == " ".join(fold(heading).split())
        if not title or len(known & set(words)) >= 2 or is_tag:
            return _without_dateline(heading, title)
    return title


def without_tagline(title: str | None) -> str | None:
    """The headline without what a pipe sets beside it, once the site's name is gone: a
    section ("| Opinion"), a tagline ("| Top 19 Companies"), a breadcrumb. The longest
    part is the headline."""
    if not title or "|" not in title:
        return title
    parts = [part.strip() for part in title.split("|") if part.strip()]
    longest = max(parts, key=spaced_words, default=title)
    return longest if spaced_words(longest) >= 2 else title


def _without_dateline(heading: str, title: str | None) -> str:
    """The heading without a date the page set inside it ("Dec 18 2025 Title", "Title
    Posted on July 1, 2024 by X"), unless the title says it too ("Sept. 11, 2001: ...")."""
    match = _HEADING_DATE.search(heading)
    if not match or fold(match.group(0).strip(" |·•:-")) in fold(title or ""):
        return heading
    trimmed = heading[: match.start()] + heading[match.end() :]
    return trimmed if spaced_words(trimmed) >= 2 else heading


# A page's markup may give a title, author or site name of megabytes (one <title> of 1 MB
# was stored whole, and became its story's title in every table, summary and artifact).
# Real headlines stay under a few hundred characters; longer is cut at a word.
MAX_TITLE_CHARS = 1_000
MAX_NAME_CHARS = 300


def _short(value: str | None, limit: int) -> str | None:
    if value is None or len(value) <= limit:
        return value
    head = value[:limit]
    at_word = head.rsplit(None, 1)[0] if head.strip() else head
    return (at_word if len(at_word) > limit // 2 else head).rstrip() + "…"


def clean_title(
    title: str | None, sitename: str | None, url: str, *, leading: bool = True
) -> str | None:
    """Drop the site's name from a page title: "Story | Site" -> "Story". A part is the
    site's name when it starts with the site's name or with a label of its host name
    ("Bridgestone Tires" at tires.bridgestone.com), when its letters are in a host label
    ("DianaHR" at getdianahr.com), or when it is the start of a longer site name ("Thrive
    Internet Marketing" of "Thrive Internet Marketing Agency"). ``leading``: a site's name
    that opens the title goes too ("Site | Story"); a headline on the page may open with
    the brand it is about, and only loses one at its end."""
    if not title:
        return None
    # Parts and the separators between them: what is left is cut from the title as written.
    pieces = _TITLE_SEPARATORS.split(title.strip())
    if len(pieces) < 2:
        return title.strip()
    site_name = _site_name_test(sitename, url)

    def is_site(part: str, separator: str) -> bool:
        # After a colon a part is the site's name only where it is that name and no more:
        # "Q3 results: Contoso reports record revenue", "Ask the Gear Desk: Wired headsets
        # for calls" (at wired.com). (After a dash or a pipe, "- ProMatcher Cost Report"
        # at promatcher.com is the site's.)
        return site_name(part, exact=":" in separator) or fold(part) in _THEME_TITLE_PARTS

    first, last = 0, len(pieces) // 2  # indexes of the first and last parts kept
    while last > first and is_site(pieces[2 * last], pieces[2 * last - 1]):
        last -= 1
    while leading and first < last and is_site(pieces[2 * first], pieces[2 * first + 1]):
        first += 1
    return "".join(pieces[2 * first : 2 * last + 1]).strip()


_AUTHOR_LEAD = re.compile(
    r"^(?:(?:written|posted|published|article|recipe|story|photos?|words|reviewed|edited"
    r"|view all posts|read more about|more (?:posts|articles) (?:by|from)|this post was written"
    r"|authors?|by)\b\s*(?:by\b)?\s*[:|-]?\s*)+",
    re.I,
)
# A date or "Updated ..." run into the byline ("Jane Doe Last updated August 1"), after a
# space or a separator: a month's letters ending a name are the name's ("Stefanov", "Kumar").
_AUTHOR_TRAIL = re.compile(
    rf"(?:^|\s*[•|·,-]\s*|\s+)(?:(?:last\s+)?(?:updated|published|posted|modified)(?:\s+on)?\b.*"
    # ... the same labels in the languages whose dates are read ("Jorge Salas Actualizado"),
    # and a republished story's "Originally published in ..."
    r"|(?:actualizad[oa]|aktualisiert|ge[aä]ndert|mis\s+[aà]\s+jour|aggiornat[oa]|bijgewerkt"
    r"|publicad[oa]|publi[ée]e?|ver[öo]ffentlicht|pubblicat[oa]|gepubliceerd"
    r"|originally|first\s+published)\b.*"
    rf"|(?:medically\s+)?reviewed\s+by\b.*|fact[- ]?checked\s+by\b.*"
    rf"|{MONTH_NAMES}\b\.?\s+\d.*|\d{{1,2}}\s+{MONTH_NAMES}\b.*|\d{{4}}.*)$",
    re.I,
)
# A month alone after the name ("Jane Doe December"), trimmed unless it is a name's own: a
# month that is also a name, after one word ("Theresa May").
_AUTHOR_MONTH = re.compile(rf"\s*[•|·,-]?\s+({MONTH_NAMES})\.?$", re.I)
_NAME_MONTHS = frozenset({"april", "may", "june", "august", "march"})
# A job title run into the byline ("Jane Doe Senior Writer", "Jane Doe Senior Autos
# Reporter", "Jane Doe Former McKinsey Consultant"): a role, or a rank and up to two words
# before a role.
_ROLES = (
    r"writer|reporter|editor|founder|co-founder|correspondent|columnist|contributor|journalist"
    r"|expert|consultant|attorney|lawyer|analyst|strategist|specialist|producer|winemaker"
)
_RANKS = (
    r"senior|staff|contributing|freelance|lead|chief|executive|managing|associate|deputy|head"
    r"|former|principal"
)
_AUTHOR_ROLE = re.compile(
    rf"\s+(?:(?:{_RANKS})\b(?:\s+[\w&-]+){{0,2}}?\s+)?(?:{_ROLES})\b.*$",
    re.I,
)
# One of the byline's parts that is a job title ("Privacy and Digital Security Expert",
# "Head of Community Development"), not a name.
_ROLE_PART = re.compile(rf"\b(?:{_ROLES})s?$|^(?:{_RANKS}|director|vp)\b(?:\s+of\b|$)", re.I)
_AUTHOR_LABEL = re.compile(
    rf"^(?:the\s+)?(?:author|authors|admin|written by|by|view more posts|updated|{MONTH_NAMES})\.?$"
    r"|^stand(?:\s*:.*)?$"  # German's "as of" label of a date ("Stand: 05.03.2025")
    # a date's label in another language, the date gone ("Publicado em", "Gepubliceerd op")
    r"|^(?:publi[ée]e?|publicad[oa]|pubblicat[oa]|ver[öo]ffentlicht|gepubliceerd)(?:\s+\w{1,3})?$"
    # a Korean byline's date labels, their dates gone ("기사입력 ; 최종수정")
    r"|^(?:(?:기사\s?)?입력|(?:최종\s?)?수정|승인|등록|업데이트)"
    r"(?:\s*(?:[;,·|]|and)\s*(?:(?:기사\s?)?입력|(?:최종\s?)?수정|승인|등록|업데이트))*$",
    re.I,
)
_CREDENTIAL = re.compile(r"^(?:[A-Z]{2,6}|Ph ?D|M ?D|Dr|Jr|Sr|[A-Z]\.?[A-Z]\.?)$")
# A template's variable left unfilled in the page ("{{ author.name }}", "${author}",
# "<%= author %>", "%AUTHOR%"), not a name. (A dotted handle such as "sara.r.peter" is one.)
_TEMPLATE_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{%|%\}|\$\{|<%|%>|^%[a-z_]+%$", re.I)


def _without_avatar_initials(text: str) -> str:
    """The name without the initials its avatar shows, read before it ("CM Craig McCarthy")."""
    first, _, rest = text.partition(" ")
    names = rest.split()
    initials = "".join(name[0] for name in names[: len(first)]).upper()
    shown = 2 <= len(first) <= 3 and first.isupper() and len(names) >= len(first)
    return rest if shown and first == initials else text


# "By" in the languages whose dates the page reader knows. A short one ("von", "par",
# "di", "door") only before two words or more: "Di Stefano" is a name; so are the labels of
# other scripts without a colon ("Oleh Dewi Lestari", but "Oleh Petrenko" is Ukrainian).
_FOREIGN_AUTHOR_LEAD = re.compile(
    r"^(?:(?:publicad[oa]|escrit[oa]|redactad[oa]|pubblicat[oa]|scritt[oa]|publi[ée]e?"
    r"|[ée]crite?|r[ée]dig[ée]e?|ver[öo]ffentlicht|geschrieben|verfasst|gepubliceerd|geschreven)"
    r"\s+(?:por|da|par|von|door)\s+|(?:texto|texte|testo|text|tekst)\s*:?\s+"
    r"|ein(?:e)?\s+(?:gast)?(?:beitrag|kommentar|analyse|essay)\s+von\s+"
    r"|(?:gastbeitrag|kommentar|analyse)\s+von\s+|das\s+gespr[äa]ch\s+f[üu]hrten?\s+"
    r"|(?:von|par|por|di|door)\s+(?=\S+\s+\S)"
    rf"|(?:{BYLINE_LABELS_ELSEWHERE})(?:\s*:\s*|\s+(?=\S+\s+\S)))",
    re.I,
)
# A Korean byline's "reporter" after the name ("이지은 기자", "이지은 기자 jieun@news.kr").
_REPORTER_AFTER = re.compile(r"\s*기자(?:\s.*)?$")
# How a translator's credit opens: "Translated by", "Traduit par", "Aus dem Englischen
# übersetzt von".
_TRANSLATED = (
    r"translated|traducid[oa]|traduite?|tradott[oa]|[üu]bersetzt|aus dem \w+ [üu]bersetzt"
    r"|vertaald"
)
# A part of a byline beside the name that is no author: a photographer's or a
# translator's credit, a date or its label, a weekday ("Rocío Vega · martes", "Par Claire
# Dubois · Photo Marc Lefèvre · Publié le", "Lucía Mamani · Translated by Sarah Miller").
_CREDIT_PART = re.compile(
    r"^(?i:photos?|photograph(?:s|y)?|fotos?|fotograf[ií]as?|fotografie|illustrations?"
    rf"|ilustraci[oó]n|images?|bilder?|{_TRANSLATED}|translation|traducci[oó]n|traduction"
    r"|traduzione|[üu]bersetzung|vertaling|publi[ée]e?|publicad[oa]|pubblicat[oa]"
    r"|ver[öo]ffentlicht|gepubliceerd|posted|published|il y a|hace|vor\s+\d"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day|lunes|martes|mi[ée]rcoles|jueves|viernes"
    r"|s[áa]bado|domingo|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|montag"
    r"|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|luned[iì]|marted[iì]"
    r"|mercoled[iì]|gioved[iì]|venerd[iì]|sabato|domenica|maandag|dinsdag|woensdag"
    r"|donderdag|vrijdag|zaterdag|zondag)\b|^\d|^[a-zß-ÿ]",
)
_TRANSLATOR = re.compile(rf"^(?:{_TRANSLATED})\b", re.I)
_PART_SEPARATOR = re.compile(r"\s*[·•|]\s*")
# A preposition left at the end, the date it introduced gone ("Pubblicato da Marco Rossi il").
_DANGLING_WORD = re.compile(r"\s+(?:il|le|la|am|em|el|op|on|du|de|del|vom|den)$")


def _without_credits(text: str) -> str:
    """The byline without its parts that name no author (``_CREDIT_PART``), where a part
    is left: a byline of a photo credit alone is read as before."""
    parts = [part for part in _PART_SEPARATOR.split(text) if part]
    kept = [part for part in parts if not _CREDIT_PART.match(part)]
    if not kept or len(kept) == len(parts):
        return text
    return " · ".join(kept)


def clean_author(raw: str | None) -> str | None:
    """A byline as a name: no "By", no date or job title run into it, names joined as
    written ("A and B", "A, B, and C"), credentials kept ("Jane Doe, MD")."""
    if not raw:
        return None
    text = " ".join(html_lib.unescape(raw).strip().strip("\"'“”").split())
    if _TRANSLATOR.match(text):
        return None  # the translator's credit alone: the author is named elsewhere
    text = _AUTHOR_LEAD.sub("", _without_credits(text))
    text = _REPORTER_AFTER.sub("", _FOREIGN_AUTHOR_LEAD.sub("", text))
    text = _AUTHOR_TRAIL.sub("", text).strip(" ,;|-•·")
    text = _DANGLING_WORD.sub("", text)
    text = _without_avatar_initials(text)
    month = _AUTHOR_MONTH.search(text)
    if month and (len(text.split()) > 2 or month.group(1).lower() not in _NAME_MONTHS):
        text = text[: month.start()]
    parts = [part.strip(" ,|-•") for part in text.split(";") if part.strip(" ,|-•")]
    role = next((i for i, part in enumerate(parts) if i and _ROLE_PART.search(part)), None)
    if role is not None:
        # The names end where a job title starts; a one-word part just before it is the
        # title's first half ("Privacy" of "Privacy and Digital Security Expert").
        before = parts[role - 1]
        title_half = role > 1 and len(before.split()) == 1 and not _CREDENTIAL.match(before)
        parts = parts[: role - 1 if title_half else role]
    for i, part in enumerate(parts):
        name = _AUTHOR_ROLE.sub("", part).strip(" ,|-•")
        if name != part:  # a job title run into a name ends the names
            parts = [*parts[:i], name] if name else parts[:i]
            break
    text = "; ".join(parts)
    if (
        not text
        or _AUTHOR_LABEL.match(text)
        or "http" in text
        or "www." in text
        or _TEMPLATE_PLACEHOLDER.search(text)
        or not re.search(r"[^\W\d_]", text)
    ):
        return None
    if len(parts) > 1:
        if any(_CREDENTIAL.match(part) for part in parts[1:]):
            return ", ".join(parts)
        if len(parts) == 2:
            return f"{parts[0]} and {parts[1]}"
        return ", ".join(parts[:-1]) + ", and " + parts[-1]
    return text


# A desk's name or a CMS account as the author ("Redaktion", "Redaktion Stadtblatt", "Metro
# Staff", "admin"): a credit like an agency's, where no reader names a reporter.
_DESK_NAMES = (
    r"redaktion|r[ée]daction|redacci[oó]n|redazione|redactie|reda[cç][aã]o|newsroom|news desk"
    r"|staff"
)
_DESK = re.compile(
    rf"^(?:(?:die|la|le|el|the)\s+)?(?:{_DESK_NAMES}|admin|administrator"
    rf"|editorial (?:team|staff|board))\b|\b(?:{_DESK_NAMES})$",
    re.I,
)
# ... unless the credit names someone beside it ("Jane Doe | The Texas Newsroom").
_NAME_SEPARATORS = re.compile(r"[|,;/•·]|\s[-–—]\s|\band\b")
_ORGANIZATIONS = frozenset({"organization", "newsmediaorganization", "corporation"})

# News agencies a byline credits beside its reporters ("Jane Doe, Reuters", "JANE DOE
# Associated Press", "A, B, and Reuters"), or alone (a CMS's meta author for every wire
# story): the credit is no author. Spelled out, matched in any case; as initials, as written.
_AGENCY_NAMES = (
    "the associated press|associated press|thomson reuters|reuters|agence france-presse"
    "|agence france presse|deutsche presse-agentur|united press international|press association"
    "|pa media|the canadian press|canadian press|kyodo news|bloomberg news|xinhua"
)
_AGENCY_INITIALS = "AP|AFP|dpa|DPA|UPI|EFE|ANSA|TASS|PA"
_AGENCY = rf"(?:(?i:{_AGENCY_NAMES})|{_AGENCY_INITIALS})"
_ONLY_AGENCY = re.compile(rf"^\(?{_AGENCY}\)?$")
_TRAILING_AGENCY = re.compile(
    rf"(?:,?\s+(?:and|&|for|of)\s+|\s*[,/|•·–—-]\s*|\s+)\(?({_AGENCY})\)?$"
)
_SPELLED_OUT = {short: name for name, short in _WIRE_SHORT.items()}


def without_agency(author: str | None) -> tuple[str | None, str | None]:
    """(the byline's reporters, the news agency it credits): "Jane Doe, Reuters" is
    ("Jane Doe", "Reuters"); "Reuters" alone is (None, "Reuters"); "A, B, and Reuters" is
    ("A and B", "Reuters"). A byline of one word before the agency keeps it: the word may be
    the agency's own name in another language."""
    if not author:
        return None, None
    if _ONLY_AGENCY.match(author):
        agency = author.strip("()")
        return None, _SPELLED_OUT.get(agency, agency)
    found = _TRAILING_AGENCY.search(author)
    if found is None:
        return author, None
    names = author[: found.start()].strip(" ,;&")
    if len(names.split()) < 2:
        return author, None
    if ", " in names and " and " not in names and names.count(", ") == 1:
        names = names.replace(", ", " and ")  # "A, B, and Reuters": two reporters
    elif ", " in names and found.group(0).lstrip(" ,").startswith(("and ", "& ")):
        first, _, last = names.rpartition(", ")
        names = f"{first}, and {last}"
    return names, _SPELLED_OUT.get(found.group(1), found.group(1))


def jsonld_author(objects: list[dict[str, Any]], people_only: bool = False) -> str | None:
    """The author names of the page's own article in its JSON-LD, joined as a byline;
    ``people_only``: none that is typed an organization."""
    for page_types in (ARTICLE_TYPES, frozenset({"webpage"})):
        for item in objects:
            if not jsonld_types(item) & page_types:
                continue
            found = item.get("author") or item.get("creator")
            names = []
            for person in found if isinstance(found, list) else [found]:
                if (
                    people_only
                    and isinstance(person, dict)
                    and jsonld_types(person) & _ORGANIZATIONS
                ):
                    continue
                name = person.get("name") if isinstance(person, dict) else person
                if isinstance(name, list):
                    name = name[0] if name else None
                if isinstance(name, str) and name.strip():
                    names.append(" ".join(name.split()))
            if names:
                return "; ".join(names)
    return None


def _unless_a_readers(name: str | None, tree: lxml.html.HtmlElement) -> str | None:
    """``name``, unless the page shows it only in its readers' posts (``in_readers_posts``)."""
    if not name:
        return name
    holders = [
        text.getparent()
        for text in _TEXTS_WITH(tree, first=name.split()[0])
        if name in " ".join(str(text).split())
    ]
    if holders and all(holder is not None and in_readers_posts(holder) for holder in holders):
        return None
    return name


_TEXTS_WITH = etree.XPath("//body//text()[contains(., $first)]")


def _unless_part_of(name: str | None, other: str | None) -> str | None:
    """``name``, unless each of its words is one of ``other``'s."""
    if name and other and set(name.casefold().split()) <= set(other.casefold().split()):
        return None
    return name


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
    # The first 1,200 characters give the guess 3,000 give on 791 of 793 WCXB dev articles,
    # for 40% of the time.
    guess, _score = py3langid.classify(text[:1200])
    # A page's lang attribute is often a site-wide default; trust the text when they differ.
    return str(guess) if guess else declared


def _trafilatura(
    tree: lxml.html.HtmlElement,
    url: str,
    *,
    fast: bool = False,
    favor_recall: bool = False,
) -> Any:
    # No metadata: page_metadata reads the title, site and author, page_dates the dates.
    return trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        favor_recall=favor_recall,
    )


def _text_of(doc: Any) -> str:
    return (getattr(doc, "text", None) or "") if doc is not None else ""


@dataclass(frozen=True, slots=True)
class MainText:
    """trafilatura's reading of a page's main text."""

    text: str  # the text to store
    judged: str  # the reading that says whether the page is an article


# Where jusText, in the full cascade, starts a paragraph: each of its block tags
# (``justext.core.PARAGRAPH_TAGS``: a heading as well as a <p>), and a <br>. Counting only
# some of them let a page of 50,000 headings through to it (131 s).
PARAGRAPH_BREAKS = (
    "blockquote", "body", "br", "caption", "center", "col", "colgroup", "dd", "div", "dl",
    "dt", "fieldset", "form", "h1", "h2", "h3", "h4", "h5", "h6", "legend", "li",
    "optgroup", "option", "p", "pre", "table", "td", "textarea", "tfoot", "th", "thead",
    "tr", "ul",
)  # fmt: skip


def paragraph_breaks(tree: lxml.html.HtmlElement) -> int:
    """How many paragraphs jusText would cut the page into, at most."""
    return sum(1 for _ in tree.iter(*PARAGRAPH_BREAKS))


def link_text_share(text: str, link_texts: frozenset[str]) -> float:
    """The share of a text's characters in lines that are a link's text on the page."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    link_chars = sum(len(line) for line in lines if fold(line) in link_texts)
    return link_chars / max(1, sum(len(line) for line in lines))


def main_text(
    tree: lxml.html.HtmlElement, url: str, facts: PageFacts, settings: ExtractSettings
) -> MainText:
    """trafilatura's reading of the page's main text.

    Its fast pass first; where that is unsure (a short text, a small share of what the
    page shows, most of it in one line longer than any paragraph, or much of it the text
    of links: a menu read as the article), its full cascade. Where the cascade read
    another part of the page, no bigger, the fast pass's reading stands.
    Where the cascade kept under half of what the fast pass read as one block, recall
    mode's text if it keeps half, else the fast pass's after all. Where the text is still
    short, or a small share of the page, a second opinion in recall mode. Where a short
    text is clearly longer in it, the balanced reading missed the text, and recall mode's
    replaces it. Where recall mode only finds more, its text is stored but the page is
    judged by the balanced one: balanced mode prunes what it cannot tell from clutter (a
    list of key points, a table of figures, a block classed as a teaser), which recall
    mode keeps, but it also reads a list page's teasers as prose. A page of more block
    elements than ``max_blocks_for_cascade`` is read by the fast pass alone."""
    text = _text_of(_trafilatura(tree, url, fast=True))
    if paragraph_breaks(tree) > settings.max_blocks_for_cascade:
        return MainText(text, judged=text)  # jusText is quadratic: see the setting
    line_words = [count_words(line) for line in text.splitlines()]
    words = fast_words = sum(line_words)  # no word spans two lines
    longest = max(line_words, default=0)
    one_block = longest > settings.fast_pass_max_line_words and longest * 2 > fast_words
    visible_chars = facts.visible_chars
    lost = False
    if (
        one_block
        or fast_words < settings.fast_pass_min_words
        or len(text) < settings.fast_pass_min_share * visible_chars
        # as much link text as makes a "website" page a list (see extract_page)
        or link_text_share(text, facts.link_texts) > settings.max_link_density / 2
    ):
        fast_text, text = text, _text_of(_trafilatura(tree, url))
        words = count_words(text)
        if not one_block and read_elsewhere(fast_text, text):
            # The cascade's fallback read another part of the page, no bigger (a cookie
            # banner and a newsletter box around the last paragraph, where a short story's
            # figure split its body): a guess against trafilatura's own reading of the
            # article's container, which stands.
            text, words = fast_text, fast_words
        # A whole page read as one line holds the article and its clutter; a cascade that
        # keeps little of it may have dropped the article with the clutter.
        lost = one_block and words < 0.5 * fast_words
    short = words < settings.recall_below_words
    if lost:
        second = _text_of(_trafilatura(tree, url, favor_recall=True))
        # recall mode, where it keeps most of the block; else the block as it was
        text = second if count_words(second) >= 0.5 * fast_words else fast_text
    elif short or len(text) < settings.recall_below_share * visible_chars:
        second = _text_of(_trafilatura(tree, url, favor_recall=True))
        if (
            short
            and count_words(second) > settings.recall_gain * max(1, words)
            and not read_elsewhere(text, second)
        ):
            return MainText(second, judged=second)  # the balanced reading missed the text
        filled = filled_in(text, second)
        if count_words(filled) > settings.recall_store_gain * max(1, words):
            return MainText(filled, judged=text)
    return MainText(text, judged=text)


PROSE_LINE_WORDS = 8  # a line of this many words is a paragraph's, not a label's


def read_elsewhere(first: str, second: str) -> bool:
    """Whether a second reading of a page, under twice the first's length, left out two or
    more of the first's paragraphs, and a third of them at least: it read another part of
    the page, or the same part cut short with another's text after it (a donation appeal),
    rather than more of the same."""
    if count_words(second) >= 2 * count_words(first):
        return False
    own = [line.strip() for line in first.splitlines() if count_words(line) >= PROSE_LINE_WORDS]
    lines = {line.strip() for line in second.splitlines()}
    left_out = sum(1 for line in own if line not in lines)
    return left_out >= 2 and left_out * 3 >= len(own)


def filled_in(balanced: str, recall: str) -> str:
    """Recall mode's text from where the balanced reading starts to where it ends.

    What recall mode finds between those lines fills holes in the article (a list, a
    table); what it finds before or after them is the page around it (a menu, teasers of
    other pages). Each end is the balanced reading's own first or last line, else the first
    or last line the two share; "" where they share none."""
    own = [line.strip() for line in balanced.splitlines() if line.strip()]
    lines = recall.splitlines()
    stripped = [line.strip() for line in lines]
    own_lines = set(own)
    shared = [i for i, line in enumerate(stripped) if line in own_lines]
    if not own or not shared:
        return ""
    start = next((i for i in shared if stripped[i] == own[0]), shared[0])
    end = next((i for i in reversed(shared) if stripped[i] == own[-1]), shared[-1])
    return "\n".join(lines[start : end + 1]) if start <= end else ""


# A tag holds no "<". Read up to the next ">" whatever stood between, a "<" in the text
# (code, "a < b") took the words up to the next tag with it, and a run of "<" was quadratic
# (300 KB of them in an articleBody took a minute).
_BODY_BREAK = re.compile(r"<\s*(?:br|/p|/div|/h[1-6]|/li|/blockquote)\b[^<>]*>", re.I)
_TAG = re.compile(r"<[^<>]*>")


def jsonld_article_body(objects: list[dict[str, Any]]) -> str:
    """The text the page's own article gives as its ``articleBody`` in JSON-LD, one
    paragraph a line (a CMS may write it as HTML); "" where it gives none, or where
    several article objects give different ones (a page of other articles)."""
    bodies = set()
    for item in objects:
        body = item.get("articleBody") if jsonld_types(item) & ARTICLE_TYPES else None
        if isinstance(body, list):
            body = "\n".join(part for part in body if isinstance(part, str))
        if isinstance(body, str) and body.strip():
            bodies.add(body)
    if len(bodies) != 1:
        return ""
    body = bodies.pop()
    if "<" in body and ">" in body:
        body = _TAG.sub("", _BODY_BREAK.sub("\n", body))
    # JSON's escapes ("\\u00e2\\u20ac\\u2122") and HTML's are read only here, after the
    # page's pass for text encoded twice (decode_html): the body gets its own.
    lines = (" ".join(line.split()) for line in undouble_utf8(html_lib.unescape(body)).splitlines())
    return "\n".join(line for line in lines if line)


def live_blog_headline(objects: list[dict[str, Any]]) -> str | None:
    """A live blog's own headline in its JSON-LD. trafilatura reads a LiveBlogPosting's
    listed updates in its place, so a live blog's title was its first update's
    ("Update 1", "10:32 GMT"), whatever its <title>, og:title and <h1> said."""
    for item in objects:
        if "liveblogposting" in jsonld_types(item):
            headline = item.get("headline") or item.get("name")
            if isinstance(headline, str) and headline.strip():
                return " ".join(headline.split())
    return None


def fuller_in_markup(body: str, judged: str, gain: float) -> bool:
    """Whether the article's body in its markup holds the text the page shows, and clearly
    more: the page renders the rest with a script, or hides it, so extraction finds only
    a part, a caption or a teaser. A reading of some length must be mostly the body's
    words (it is the same article)."""
    judged_words = count_words(judged)
    if count_words(body) < gain * max(1, judged_words):
        return False
    if judged_words < 50:
        return True
    own = {word.casefold() for word in judged.split()}
    return len(own & {word.casefold() for word in body.split()}) >= 0.5 * len(own)


def _readable_text(
    raw_text: str, facts: PageFacts, title: str | None
) -> tuple[str, tuple[str, ...]]:
    """The text as stored (teasers, furniture lines, the headline, unfilled placeholders
    and lines said again and again taken out), and the links to other pages that stood
    between its own lines."""
    # In Unicode's composed form (NFC), as users type and search it ("ü" may be written as
    # "u" and a combining diaeresis), before a run too long for a word is looked for: one of
    # "a" and a combining accent is one of "á" once composed.
    composed = unicodedata.normalize("NFC", raw_text)
    cleaned, teasers = cleaned_text(
        without_overlong_words(composed), facts.link_texts, facts.own_link_texts
    )
    text = drop_headline(cleaned, title, *facts.headlines[:1])
    lines = text.count("\n") + 1 if text else 0
    shift = int(text != cleaned)  # the headline line went
    # A card's headline over its teaser, not a related block under the story: the archive
    # may know their titles.
    inner_links = tuple(line for before, line in teasers if 0 < before - shift < lines)
    return without_repeated_passages(without_repeats(without_placeholders(text))), inner_links


# libxml2 stops reading a document at its first </html>. A template that closes the document
# early (a header include ending in "</body></html>", the article after it) would lose all
# that follows; browsers read on, and so do we. The end tag is optional anyway.
_HTML_END = re.compile(r"</html\s*>", re.I)
# A character reference to a character XML forbids ("&#1;", "&#x1B;", "&#xFFFE;"): lxml
# reads it into the tree, and trafilatura's copy of that text into an XML element fails, so
# the whole page came out empty. Browsers show nothing for it; it goes before parsing.
_CHAR_REFERENCE = re.compile(r"&#(?:[xX]0*([0-9a-fA-F]{1,6})|0*(\d{1,7}));?")


def _without_forbidden_references(html: str) -> str:
    def keep(match: re.Match[str]) -> str:
        point = int(match[1], 16) if match[1] else int(match[2])
        forbidden = point < 0x20 and point not in (0x9, 0xA, 0xD)
        return "" if forbidden or point in (0xFFFE, 0xFFFF) else match[0]

    return _CHAR_REFERENCE.sub(keep, html) if "&#" in html else html


# libxml2 stops reading a page nested deeper than 256 elements (an old page's hundreds of
# unclosed <font> or <b> tags): all after that point was lost, and the page rejected as
# "too_short". Such a page is read again with libxml2's "huge" option, up to 2,048 levels.
DEEPEST_HTML = 2048
_DEEP_HTML_PARSER = lxml.html.HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
    huge_tree=True,
)


def _cut_at_depth(parser: lxml.html.HTMLParser) -> bool:
    """Whether the parser's last document was cut where it nested too deep."""
    return any("Excessive depth" in entry.message for entry in parser.error_log)


def _load_deep_html(html: str) -> lxml.html.HtmlElement | None:
    """``trafilatura.load_html`` with the huge option, for a page it cut at 256 levels."""
    repaired = trafilatura.utils.repair_faulty_html(html, html[:50].lower())
    try:
        return lxml.html.fromstring(
            repaired.encode("utf-8", "surrogatepass"), parser=_DEEP_HTML_PARSER
        )
    except (etree.ParserError, ValueError):
        return None


# Text that is no one's prose: a placeholder, one line over and over, letters at random
# (what a spam site or a site under construction serves).
_JUDGED_WORDS = 50
_SAID_AGAIN = 3  # a line of a sentence's length said this often is said once
_SENTENCE_WORDS = 8  # ... shorter lines ("Pros", "What we like") are structure
# ... and so are a list's items, a table's rows and code: a training plan's "- Warm up: 10
# minutes of easy jogging" under each of its days, a listing's comment in each language.
_STRUCTURED = ("- ", "|", "//", "#")
_VOWELLESS_SHARE = 0.5  # of the words of 4 to 20 Latin letters, those without a vowel
_PLACEHOLDER_SHARE = 0.6  # of a line's words, those of the "Lorem ipsum" passage
_LATIN_WORD = re.compile(r"\b[A-Za-z]{4,20}\b")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")
_LETTERS = re.compile(r"[^\W\d_]+")
_LOREM_IPSUM = frozenset(
    _LETTERS.findall(
        "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt"
        " ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation"
        " ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit"
        " voluptate velit esse cillum eu fugiat nulla pariatur excepteur sint occaecat"
        " cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum"
    )
)


def not_prose(text: str) -> str | None:
    """Why a text is in no language, or None: its Latin-letter words have no vowels
    (letters at random)."""
    latin = _LATIN_WORD.findall(text)
    if len(latin) >= _JUDGED_WORDS:
        vowelless = sum(1 for word in latin if not _VOWEL.search(word))
        if vowelless > _VOWELLESS_SHARE * len(latin):
            return f"{vowelless} of its {len(latin)} words have no vowel"
    return None


def without_repeats(text: str) -> str:
    """The text with a sentence-long line said ``_SAID_AGAIN`` times or more kept once,
    where it first stands: a call to act under each block, a disclaimer under each offer, a
    spam page's one sentence over and over. (On the WCXB development split's articles, of
    lines said three times, those of 8 words or more were more often extra than the text's
    own; shorter ones, and list items, the other way round.)"""
    lines = text.split("\n")
    said = Counter(" ".join(line.split()).casefold() for line in lines)
    again = {flat for flat, times in said.items() if times >= _SAID_AGAIN}
    again = {
        flat
        for flat in again
        if len(flat.split()) >= _SENTENCE_WORDS
        and not flat.startswith(_STRUCTURED)
        # a command a tutorial has its reader run again ("kubectl get pods --watch"); not
        # any code: a log's line or a snippet said again is extra more often than not
        and not _COMMAND_FLAG.search(flat)
    }
    if not again:
        return text
    kept: list[str] = []
    seen: set[str] = set()
    for line in lines:
        flat = " ".join(line.split()).casefold()
        if flat in again:
            if flat in seen:
                continue
            seen.add(flat)
        kept.append(line)
    return "\n".join(kept)


# A passage of this many lines and words of prose (code aside: a documentation page shows
# the same snippet under each of its tabs) that the text says again, in the same order.
PASSAGE_LINES = 3
PASSAGE_WORDS = 60
_COMMAND_FLAG = re.compile(r"(?:^|\s)--?[a-z][\w-]*(?:[= ]|$)")
_CODE_LINE = re.compile(r"[{};,(=\[]$|^(?:\*|//|#|<|\$ )|\w\(.*\)|=>|==|:=")


def without_repeated_passages(text: str) -> str:
    """The text with a passage it says a second time, line for line, kept where it first
    stands: a page that holds its article twice (a copy for small screens beside the
    other, both in the markup), a menu repeated in each of a page's drawers, a thread's
    first post shown again above each page of replies. (On the WCXB development split,
    3 articles of 793 are up by 0.03 to 0.31 word F1, none down; forum threads up more
    often than down.)"""
    lines = text.split("\n")
    flat = [" ".join(line.split()) for line in lines]
    first: dict[str, int] = {}
    for index, line in enumerate(flat):
        if line:
            first.setdefault(line, index)
    dropped: set[int] = set()
    index = 0
    while index < len(flat):
        earlier = first.get(flat[index]) if flat[index] else None
        if earlier is None or earlier >= index:
            index += 1
            continue
        length = 0  # the same lines in the same order, the second copy after the first
        while (
            index + length < len(flat)
            and earlier + length < index
            and flat[index + length] == flat[earlier + length]
        ):
            length += 1
        passage = [line for line in flat[index : index + length] if line]
        prose_words = sum(len(line.split()) for line in passage if not _CODE_LINE.search(line))
        if len(passage) >= PASSAGE_LINES and prose_words >= PASSAGE_WORDS:
            dropped.update(range(index, index + length))
        # past the whole run either way: what starts inside it is a part of it (and each line
        # is compared once: a page of a long snippet twice is not read over and over)
        index += max(1, length)
    if not dropped:
        return text
    return "\n".join(line for index, line in enumerate(lines) if index not in dropped)


def _is_placeholder(line: str) -> bool:
    words = _LETTERS.findall(line.casefold())
    placeholder = sum(1 for word in words if word in _LOREM_IPSUM)
    return ("lorem" in words or "ipsum" in words) and placeholder > _PLACEHOLDER_SHARE * len(words)


def without_placeholders(text: str) -> str:
    """The text less its "Lorem ipsum" lines, where it has two or more: a template's
    blocks never filled in (one such line is more likely a quotation of it)."""
    lines = text.split("\n")
    placeholders = [_is_placeholder(line) for line in lines]
    if sum(placeholders) < 2:
        return text
    return "\n".join(line for line, dropped in zip(lines, placeholders, strict=True) if not dropped)


MAX_UNPACKED_PAGE = 20_000_000  # twice the fetch's default cap on a body
_MAX_LAYERS = 3


def unpacked_page(body: bytes) -> bytes:
    """The page in a body still gzipped after its content codings were undone: a server
    that compresses what its application compressed already, under one label, or sends
    gzip with no label. No HTML starts with gzip's magic bytes, so the body is unpacked
    (up to ``MAX_UNPACKED_PAGE`` bytes, three layers), not read as an empty page."""
    for _ in range(_MAX_LAYERS):
        if not body.startswith(GZIP_MAGIC):
            break
        stack = DecodingStack(["gzip"], MAX_UNPACKED_PAGE)
        body = stack.feed(body) + stack.finish()
    return body


def extract_page(
    body: bytes, url: str, content_type: str | None, settings: ExtractSettings, record_id: str = ""
) -> Extraction | Rejection:
    """One fetched page to an article, or a rejection saying why it is not one."""
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        return Rejection(record_id, url, "not_html", f"content type {mime}")
    try:
        body = unpacked_page(body)
    except TooLarge:
        detail = f"gzipped bytes that unpack past {MAX_UNPACKED_PAGE:,} bytes"
        return Rejection(record_id, url, "too_large", detail)
    except CodingProblem as exc:
        return Rejection(record_id, url, "not_html", f"gzipped bytes, unreadable: {exc.detail}")
    if not body.strip():
        return Rejection(record_id, url, "empty", "empty body")
    # Parsed once, by trafilatura's own loader: the page facts below read this tree, and
    # trafilatura works on its own copy of it.
    html = _without_forbidden_references(_HTML_END.sub("", decode_html(body, content_type)))
    tree = trafilatura.load_html(html)
    if tree is not None and _cut_at_depth(trafilatura.utils.HTML_PARSER):
        tree = _load_deep_html(html)
        if tree is None or _cut_at_depth(_DEEP_HTML_PARSER):
            return Rejection(
                record_id, url, "too_deep", f"elements nested deeper than {DEEPEST_HTML:,}"
            )
    if tree is None:
        return Rejection(record_id, url, "empty", "no HTML document found")
    stand_in = stand_in_by_markup(tree, html)  # a challenge's scripts, before they are dropped
    if stand_in is not None:
        return Rejection(record_id, url, stand_in.reason, stand_in.detail, stand_in.kind)
    without_templates(tree)  # inert content no browser shows; a shadow root's is shown
    drop_consent_dialogs(tree)  # a cookie banner's prose is not the page's, nor its panels
    drop_dialogs(tree)  # a form, a pitch, a menu or a copy of the story set apart
    drop_signup_boxes(tree)  # a newsletter's pitch and its e-mail field, in the story's body
    reveal_disclosed(tree)  # an accordion's panels are text, before anything reads the tree
    unwrap_layout_tables(tree)  # a newsletter's columns are blocks, not a table's cells
    facts = page_facts(tree, url)
    # What an address says (a dated path, a section's name, the site's name, which links
    # stay on the site) is read from the address the page gives itself.
    address = page_address(url, facts.canonical_url)
    try:
        metadata = page_metadata(tree, address)
        reading = main_text(tree, url, facts, settings)
    except Exception as exc:  # trafilatura raises assorted errors on odd markup
        return Rejection(record_id, url, "extraction_failed", f"{type(exc).__name__}: {exc}")
    jsonld = jsonld_objects(tree)
    markup_body = jsonld_article_body(jsonld)
    if markup_body and fuller_in_markup(markup_body, reading.judged, settings.markup_body_gain):
        reading = MainText(markup_body, judged=markup_body)
    raw_text = reading.judged
    stand_in = stand_in_by_page(
        tree,
        url,
        canonical=facts.canonical_url,
        text=raw_text,
        visible_chars=facts.visible_chars,
        from_markup=raw_text is markup_body,
    )
    if stand_in is not None:
        return Rejection(record_id, url, stand_in.reason, stand_in.detail, stand_in.kind)
    text, inner_links = _readable_text(raw_text, facts, metadata.title)
    words = count_words(text)
    if words < settings.min_words:
        # Too short for an article either way: what it calls itself says why ("Page not
        # found"), with no byline or date to weigh.
        stand_in = named_stand_in(tree, words)
        if stand_in is not None:
            return Rejection(record_id, url, stand_in.reason, stand_in.detail, stand_in.kind)
    if not raw_text.strip():
        return Rejection(record_id, url, "empty", "no main text found")
    link_share = link_text_share(raw_text, facts.link_texts)
    if is_front_page(url):
        return Rejection(record_id, url, "index_page", "a site's front page", "listing")
    if facts.names_front_page and not is_named_host((urlsplit(url).hostname or "").lower()):
        # Fetched where the address says nothing of the page (an IP address: a mirror, a
        # test server), a page whose rel=canonical and og:url both name its site's front
        # page is that front page. At a named address, a front-page canonical on an inner
        # page is a template bug, and the page is weighed below like any other.
        return Rejection(
            record_id,
            url,
            "index_page",
            "its rel=canonical and og:url name a front page",
            "listing",
        )
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
    junk = not_prose(text)
    if junk is not None:
        return Rejection(record_id, url, "not_prose", junk)
    if words < settings.min_words:
        # (a shop's short grid or product page says so: the rejection keeps its kind)
        shop = shop_kind(page_signals(tree, address, facts.og_type, jsonld))
        detail = f"{words} words < {settings.min_words}"
        return Rejection(record_id, url, "too_short", detail, shop)
    dates = page_dates(tree, address, jsonld=jsonld)
    published = dates.published
    headline = page_headline(
        clean_title(
            document_title(
                live_blog_headline(jsonld) or metadata.title, tree, metadata.sitename, address
            ),
            metadata.sitename,
            address,
        ),
        list(facts.headlines),
        clean_title(tree.findtext(".//head/title"), metadata.sitename, address),
    )
    # An <h1> may carry the site's name as its <title> does ("Best Exhibitions – Artlyst").
    title = without_tagline(clean_title(headline, metadata.sitename, address, leading=False))
    meta_author = next(
        (
            str(value)
            for value in tree.xpath('//meta[@name="author"]/@content')
            if str(value).strip() and not str(value).strip().startswith("http")
        ),
        None,
    )
    # The page's structured data first, then its meta tag, then trafilatura's byline guess.
    # An organization as the author (a CMS's default) comes last, after any person's byline;
    # trafilatura's reading of the page's metadata may be that organization, cut short.
    organization = clean_author(jsonld_author(jsonld))
    readers: tuple[Callable[[], str | None], ...] = (
        lambda: clean_author(jsonld_author(jsonld, people_only=True)),
        lambda: clean_author(meta_author),
        # (trafilatura's readings take a name wherever a class says "author": a shop's
        # reviewer's, a commenter's)
        lambda: _unless_part_of(
            _unless_a_readers(clean_author(metadata.author), tree), organization
        ),
        # trafilatura's byline search (a copy of the whole page) only when nothing else names one
        lambda: _unless_a_readers(clean_author(byline_author(tree)), tree),
        # a byline that links to its author's page, where nothing above reads it
        lambda: clean_author(linked_author(tree, address)),
        lambda: clean_author(labelled_author(tree)),
    )
    # The first that names a reporter; a news agency alone ("Reuters": a CMS's meta author
    # for every wire story) only where none does, as an organization is.
    author, credited = None, None
    for read in readers:
        named, agency = without_agency(read())
        credited = credited or agency
        if named and _DESK.search(named) and not _NAME_SEPARATORS.search(named):
            # a desk or the CMS's account ("Redaktion", "Metro Staff", "admin"), as an
            # agency is: where no reader names a reporter ("Jane Doe | The Texas Newsroom"
            # names one)
            credited = credited or named
            continue
        if named:
            author = named
            break
    author = author or organization or credited
    # A byline's trimming takes the vowel sign off a name's end ("प्रिया वर्मा"): as written.
    author = with_final_marks(author, tree) if author else None
    stand_in = named_stand_in(
        tree,
        words,
        text=text,
        bylined=author is not None,
        dated=dates.source in _STATED_DATE_SOURCES,
    )
    if stand_in is not None:
        return Rejection(record_id, url, stand_in.reason, stand_in.detail, stand_in.kind)
    signals = page_signals(tree, address, facts.og_type, jsonld)
    # (A day's archive, ".../2024/06/03/", is dated by its address as a post there is; it
    # lists that day's posts.)
    dated_by_markup = dates.source in _OWN_DATE_SOURCES and not (
        dates.source == "url" and day_archive(address)
    )
    if (
        is_named_address(facts.canonical_url)
        and is_front_page(facts.canonical_url or "")
        and not is_front_page(url)
        and not (signals.declares_article or dated_by_markup)
    ):
        # Fetched elsewhere (a mirror, a test server), the page names the site's front page
        # as its own address, and says nothing of being an article or of a date. An article
        # whose template points every canonical at the front page still says it is one.
        return Rejection(
            record_id, url, "index_page", "its own address is the site's front page", "listing"
        )
    kind = page_kind(
        signals,
        url=address,
        title=title,
        main_text=raw_text,
        words=words,
        dated_by_markup=dated_by_markup,
        bylined=author is not None,
        visible_chars=facts.visible_chars,
        link_share=link_share,
        dated_in_head=dates.source in _HEAD_DATE_SOURCES,
    )
    if kind is not None:
        return Rejection(record_id, url, "not_article", kind[1], kind[0])
    if reading.text is not reading.judged:
        text, inner_links = _readable_text(reading.text, facts, metadata.title)
    text = drop_byline(text, author)
    boilerplate = 1.0 - len(text) / facts.visible_chars if facts.visible_chars else 0.0
    # The text is composed (NFC) in ``_readable_text``; the names are too.
    title, author, sitename = (
        unicodedata.normalize("NFC", value) if value else value
        for value in (title, author, metadata.sitename)
    )
    return Extraction(
        record_id=record_id,
        url=url,
        # A later page of a paged article is an article of its own: named by its canonical
        # (page 1), it was superseded by page 1 or took its place, its text in no article.
        canonical_url=None if facts.continues else facts.canonical_url,
        title=_short(title, MAX_TITLE_CHARS),
        author=_short(author, MAX_NAME_CHARS),
        page_date=published.at if published else None,
        sitename=_short(sitename, MAX_NAME_CHARS) or None,
        language=_language(text, facts.language),
        text=text,
        boilerplate_ratio=round(min(max(boilerplate, 0.0), 1.0), 4),
        wire_marker=wire_marker(text, credited or author),
        published_day=published.day if published else None,
        utc_offset_minutes=published.offset_minutes if published else None,
        modified_at=dates.modified.at if dates.modified else None,
        date_source=dates.source,
        inner_links=inner_links[:MAX_INNER_LINKS],
    )
