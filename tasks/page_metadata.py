"""Title, site name and author as trafilatura reads them, for what wirehouse uses of them.

``trafilatura.extract_metadata`` also searches the page for a date with htmldate, collects
categories, tags and a licence, and looks for a byline in a deep copy of the page. wirehouse
reads dates itself (``page_dates``), stores no categories, tags or licence, and prefers the
page's JSON-LD and meta authors to a byline: so it takes trafilatura's readers one by one, in
trafilatura's own order, and searches for the byline only when nothing else names an
author. On the 1,497 WCXB dev pages this gives the same title, site name and author as
``extract_metadata`` for half its CPU, before the byline search is skipped.

Where trafilatura finds no author either, two readers of wirehouse's own look at the
byline as a reader sees it: a link to the author's page of the site (``linked_author``),
then a name after a "By" or "Written by" label (``labelled_author``).
"""

from __future__ import annotations

import copy
import itertools
import logging
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree
from trafilatura import metadata as trafilatura_metadata
from trafilatura.settings import Document

from tasks.text import WORD_MARKS, fold, spaced_words

LOG = logging.getLogger(__name__)


# trafilatura's JSON-LD reader minifies each script with a regular expression whose
# repeated alternation keeps state for every character: about 130 bytes of memory per
# character of JSON-LD (a 9 MB script took 1.3 GB in a worker). Real pages carry a few KB
# to a few hundred; past this, the page's JSON-LD is left to wirehouse's own reader
# (page_dates.jsonld_objects: dates, authors, types), which has no such cost.
MAX_JSONLD_CHARS = 1_000_000
_JSONLD_SCRIPTS = '//script[@type="application/ld+json" or @type="application/settings+json"]'


def _jsonld_chars(tree: lxml.html.HtmlElement) -> int:
    """How much JSON-LD the page carries, as trafilatura's reader would read it."""
    return sum(len(script.text or "") for script in tree.xpath(_JSONLD_SCRIPTS))


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What the page's markup says its title, site and author are (None: it does not)."""

    title: str | None
    sitename: str | None
    author: str | None  # from meta tags and JSON-LD only: see ``byline_author``


def page_metadata(tree: lxml.html.HtmlElement, url: str) -> PageMetadata:
    """The page's title, site name and meta/JSON-LD author, read as ``extract_metadata``
    reads them (the tree is only read)."""
    found = trafilatura_metadata.examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None  # trafilatura's rule: a one-word meta author is a handle
    if _jsonld_chars(tree) <= MAX_JSONLD_CHARS:
        try:
            found = trafilatura_metadata.extract_meta_json(tree, found)
        except Exception as exc:  # trafilatura's JSON-LD reader fails on odd shapes of it
            LOG.debug("trafilatura's JSON-LD reader failed on %s: %s", url, exc)
    if not found.title:
        found.title = trafilatura_metadata.extract_title(tree)
    if not found.sitename:
        found.sitename = trafilatura_metadata.extract_sitename(tree)
    if found.sitename:
        found.sitename = found.sitename.lstrip("@")  # a Twitter handle
        if found.sitename and "." not in found.sitename and not found.sitename[0].isupper():
            found.sitename = found.sitename.title()
    else:
        # The host it was fetched from, where trafilatura takes the page's own canonical
        # or <base> address: anyone's page can name any host there.
        from_url = trafilatura_metadata.META_URL.match(url)
        if from_url:
            found.sitename = from_url[1]
    found.clean_and_trim()
    return PageMetadata(title=found.title, sitename=found.sitename, author=found.author)


def byline_author(tree: lxml.html.HtmlElement) -> str | None:
    """trafilatura's search of the page for a byline (it works on a copy of the tree),
    trimmed as ``extract_metadata`` trims it."""
    found = Document()
    try:
        found.author = trafilatura_metadata.extract_author(tree)
    except Exception as exc:  # as above: a page's odd markup costs its byline, not its text
        LOG.debug("trafilatura's byline search failed: %s", exc)
        return None
    found.clean_and_trim()
    return as_written(found.author, tree) if found.author else None


# trafilatura's reading of a name drops every period ("Dr. Jane A. Doe" -> "Dr Jane A Doe").
# An initial's or a title's period is part of the name as its page writes it.
_ABBREVIATIONS = frozenset(
    {"dr", "mr", "mrs", "ms", "prof", "jr", "sr", "st", "rev", "hon", "gen", "col", "capt", "lt"}
)


def _abbreviated(word: str) -> bool:
    return (len(word) == 1 and word.isalpha()) or word.casefold() in _ABBREVIATIONS


def _with_final_marks(name: str, page_text: str) -> str:
    """The name with the vowel sign or other combining mark that ends it on the page: a
    byline's trimming takes any non-word character off its end, and a mark is none
    ("प्रिया वर्मा" read as "प्रिया वर्म", "แก้วมณี" as "แก้วมณ")."""
    at = page_text.find(name)
    while at != -1:
        end = at + len(name)
        while end < len(page_text) and unicodedata.category(page_text[end]).startswith("M"):
            end += 1
        if end > at + len(name):
            return page_text[at:end]
        at = page_text.find(name, at + 1)
    return name


def _page_text(tree: lxml.html.HtmlElement) -> str:
    """The page's text, its runs of white space one space: where a byline is looked up."""
    return " ".join(" ".join(tree.itertext()).split())


def with_final_marks(names: str, tree: lxml.html.HtmlElement) -> str:
    """A byline's names ("A; B", "A and B") with the combining marks that end them on the
    page (``_with_final_marks``), where they are written in a script that has them."""
    if names.isascii():
        return names
    page_text = _page_text(tree)
    parts = re.split(r"(; |, and |, | and )", names)
    return "".join(
        part if i % 2 else _with_final_marks(part, page_text) for i, part in enumerate(parts)
    )


def as_written(names: str, tree: lxml.html.HtmlElement) -> str:
    """trafilatura's reading of a byline ("Justin C Meserole; Dr Ann Lee"), each name with
    the periods of its initials and titles as the page writes it ("Justin C. Meserole")."""
    words_of = [name.split() for name in names.split("; ")]
    if not any(_abbreviated(word) for words in words_of for word in words):
        return names
    page_text = _page_text(tree)
    written = []
    for words in words_of:
        pattern = " ".join(
            re.escape(word) + (r"\.?" if _abbreviated(word) else "") for word in words
        )
        match = re.search(rf"(?<!\w){pattern}(?!\w)", page_text)
        written.append(match.group() if match else " ".join(words))
    return "; ".join(written)


# Path segments that introduce a person's page on a site ("/author/jane-doe/",
# "/authors/jane-doe", "/people/jane-doe"): WordPress and most CMSs link a byline there.
_PERSON_PAGES = frozenset(
    {
        "author", "authors", "writer", "writers", "contributor", "contributors", "people",
        "person", "staff", "profile", "profiles", "journalist", "journalists", "reporter",
        "reporters", "columnist", "columnists", "editor", "editors", "expert", "experts",
        "autor", "autoren", "autores", "autorzy", "auteur", "auteurs", "autore", "autori",
        "yazar", "yazarlar", "penulis", "avtor", "avtory",
    }
)  # fmt: skip
# A name's word: letters, and the combining marks of the scripts that write vowels with them.
_NAME_WORD = re.compile(f"^[^\\W\\d_][\\w.'’\\-{WORD_MARKS}]*$")
_SLUG_PARTS = re.compile(r"[^a-z0-9]+")
# Page furniture a byline is not in: another article's teaser names its own author.
_NOT_BYLINE = ("nav", "footer", "aside")


def _in_furniture(node: lxml.html.HtmlElement) -> bool:
    """Inside the page's navigation, footer or sidebar; an article's own footer ("Posted
    by Jane Doe on ...", under the story) is the article's."""
    for ancestor in node.iterancestors():
        if ancestor.tag not in _NOT_BYLINE:
            continue
        if ancestor.tag == "footer" and any(
            outer.tag == "article" for outer in ancestor.iterancestors()
        ):
            continue  # the article's footer, wherever the article is
        return True
    return False


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [word for word in _SLUG_PARTS.split(folded) if word]


def _is_name(text: str) -> bool:
    words = text.split()
    first = words[0][0] if words else ""
    return (
        2 <= len(words) <= 5
        and all(_NAME_WORD.match(word) for word in words)
        # a capital, or a letter of a script without them (Arabic, Hindi, Thai, Korean)
        and (first.isupper() or (first.isalpha() and first.lower() == first.upper()))
    )


def linked_author(tree: lxml.html.HtmlElement, url: str) -> str | None:
    """The name a page's byline links to its author's page with: the first link marked
    rel="author", or to a person's page of the site ("/author/jane-doe"), whose text is a
    name and whose address spells that name, outside navigation, footers and sidebars."""
    for link in tree.iter("a"):
        text = " ".join(link.text_content().split())
        if not _is_name(text):
            continue
        href = link.get("href") or ""
        try:
            segments = [s for s in urlsplit(urljoin(url, href)).path.lower().split("/") if s]
        except ValueError:  # a malformed href is no link to anyone
            continue
        marked = "author" in (link.get("rel") or "").lower().split()
        slug_words: set[str] = set()
        for before, slug in itertools.pairwise(segments):
            if before in _PERSON_PAGES:
                slug_words = set(_ascii_words(slug))
                break
        spelled = bool(slug_words) and set(_ascii_words(text)) <= slug_words
        if not (marked or spelled):
            continue
        if _in_furniture(link):
            continue
        return text
    return None


# "By" and "Author:" as bylines in other languages and scripts write them.
BYLINE_LABELS_ELSEWHERE = (
    r"автор(?:ка)?|автор материала|بقلم|كتبت?|نویسنده|گزارش|מאת|yazar|συντάκτης|लेखक"
    r"|ผู้เขียน|โดย|oleh|penulis|autor(?:ka)?|tác giả"
)
# A byline's label, alone ("Written by" above the name) or before the name ("By Jane Doe"),
# after the date ("Posted on 3rd March 2024 by Tom Hughes", WordPress's), or in the
# languages whose dates the page reader knows ("Von", "Par", "Por", "Di"; not Dutch
# "Door", an English word: "Door Anchor for Resistance Bands"), and those above.
_BYLINE_LABEL = re.compile(
    r"^(?:(?:written|article|posted|published|submitted|words|story|text|reporting)\s+by|by"
    r"|(?:posted|published|submitted)(?:\s+on)?\s+[\w ,.:]{3,40}?\s+by"
    rf"|von|par|por|di|{BYLINE_LABELS_ELSEWHERE})\b\s*:?\s*(.*)$",
    re.I,
)


# A label the date follows before the name does ("Posted on", "Submitted").
_DATE_FIRST_LABEL = re.compile(r"(?:posted|published|submitted)(?:\s+on)?", re.I)
_BYLINE_PARTS = re.compile(r"\s*[,|·•]\s*|\s+[-–—]\s+|\s+(?:on|in)\s+")
# What may follow the name in a byline: its end, or its next part ("—10 min read")
_AFTER_NAME = re.compile(r"\s*$|\s*[,|·•–—-]|\s+(?:on|in)\s")


BYLINE_LINE_WORDS = 12  # a byline with a date or a reading time after the name
BYLINE_SENTENCE_WORDS = 10  # a "By ..." line longer than this that ends as a sentence is one


def is_byline_of(line: str, author: str) -> bool:
    """Whether a line of text is a byline naming that author ("By Jane Doe", "by: Ziyi
    Xu, Dec 17, 2025", "By Jacob Trussell—10 min read"): its label, then the name, then
    nothing or the byline's next part, in ``BYLINE_LINE_WORDS`` words at most ("By
    Tuesday, Jane Doe had left", "By Jane Doe's count", "By staff estimates" are
    sentences)."""
    label = _BYLINE_LABEL.match(line.strip())
    if label is None or spaced_words(line) > BYLINE_LINE_WORDS:
        return False
    named, name = fold(label.group(1)), fold(author)
    return named.startswith(name) and _AFTER_NAME.match(named[len(name) :]) is not None


def _first_line(node: lxml.html.HtmlElement) -> str:
    """The element's text up to its first line break: a byline's name, not the writer's
    role on the line after it ("By BOB SMITH<br>Staff Writer")."""
    if node.find(".//br") is None:
        return " ".join(node.text_content().split())
    lines = copy.deepcopy(node)
    lines.tail = None
    for br in lines.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return " ".join(lines.text_content().lstrip().split("\n", 1)[0].split())


# A reader's post: a comment, a reply, a shop's review or testimonial (Judge.me's "jdgm-rev").
_READERS_POST = re.compile(
    r"(?:^|[\s_-])(?:comments?|replies|reply|reviews?|rev|testimonials?)(?:$|[\s_-])", re.I
)


def in_readers_posts(node: lxml.html.HtmlElement) -> bool:
    """Whether an element sits in one of several alike posts of the page's readers: a
    comment or a review beside others of its kind (same tag and class), not the review that
    is the page's own story."""
    for ancestor in (node, *node.iterancestors()):
        label = " ".join(ancestor.get(key, "") for key in ("class", "id", "itemprop"))
        if not _READERS_POST.search(label):
            continue
        alike = (ancestor.tag, ancestor.get("class"))
        if any(
            (sibling.tag, sibling.get("class")) == alike
            for sibling in (*ancestor.itersiblings(), *ancestor.itersiblings(preceding=True))
        ):
            return True
    return False


def labelled_author(tree: lxml.html.HtmlElement) -> str | None:
    """The name a page's byline gives after its label: "By Jane Doe" in one element, or
    "Written by" with the name in the next element that shows text (an avatar may stand
    between them); outside navigation, footers and sidebars."""
    for node in tree.iter(
        "p", "div", "span", "h2", "h3", "h4", "h5", "h6", "li", "strong", "b", "em", "i", "font"
    ):
        lead = " ".join((node.text or "").split())
        label = _BYLINE_LABEL.match(lead)
        same = ""
        if label is None and _DATE_FIRST_LABEL.fullmatch(lead):
            # "Posted <time>3 hours ago</time> by Jane Doe": the date in an element of its own
            same = _first_line(node)[:200]
            label = _BYLINE_LABEL.match(same)
        if label is None or _in_furniture(node):
            continue
        # The name after the label in the same element ("By <a>Jane Doe</a>"), else alone
        # in the next element ("<p>Written by</p><p>Jane Doe</p>").
        same = same or _first_line(node)
        if spaced_words(same) > BYLINE_SENTENCE_WORDS and same.endswith((".", "!", "?")):
            continue  # a sentence ("By Labor Day, crews expect to have hauled away ...")
        name = _BYLINE_LABEL.sub(r"\1", same)
        if not label.group(1) and not name:
            following = node.getnext()
            while following is not None and not (
                name := " ".join(following.text_content().split())
            ):
                following = following.getnext()  # an avatar between the label and the name
        # The byline may go on after the name ("by: Jane Doe, Dec 17, 2025", "Jane Doe |
        # Staff"): the name is its first part.
        name = _BYLINE_PARTS.split(name, maxsplit=1)[0]
        if node.tag in _EMPHASIS and not _byline_in_emphasis(node, name):
            continue
        if _is_name(name):
            return name
    return None


_EMPHASIS = frozenset({"b", "em", "i"})
_NAME_PARTICLES = frozenset(
    {"von", "van", "der", "den", "de", "di", "da", "du", "del", "della", "dos", "das", "le", "la",
     "bin", "ibn", "al", "y", "e"}
)  # fmt: skip
_PROSE_BEFORE = etree.XPath("preceding::p[string-length(normalize-space(.)) > 150]")


def _byline_in_emphasis(node: lxml.html.HtmlElement, name: str) -> bool:
    """Whether a byline set in bold or italics is one: before the story's prose (a bold
    subheading further down, "By Car Ferry", is the story's) and a name, capitalized as
    one ("Von Bremen nach Hamburg" is a teaser's line)."""
    words = name.split()
    if any(word[:1].islower() and word not in _NAME_PARTICLES for word in words):
        return False
    return not _PROSE_BEFORE(node)
