"""Other articles' titles in a text: what the archive knows of a site and one page does not.

A line of a text that is, word for word, the title of another article the archive holds
of the same site is a link to that article: a related-links block under the story, a
"read also" line inside it, or, when the text is mostly such lines, a list of the site's
articles (a section front, a tag or author page) stored as if it were one. A single-page
extractor sees a short line of prose; the archive has the other page's title.

``listed_titles`` reads a text against its site's titles. Runs of them at the text's edges
(a related-links block at its end, a "trending" row above it) are clutter, and go unless
that would take more than ``MAX_TAKEN_SHARE`` of its words. A text that is such runs from
edge to edge, or that still lists at least ``MIN_LISTED`` of them between its edges, in
lines holding at least ``LISTED_SHARE`` of the words left, is a list of the site's
articles (headlines and their teasers), not an article. The links that stood between a
text's lines and were taken out of it at extraction (``Extraction.inner_links``: a card's
headline that is a link of its own) count as lines between its edges. Titles shorter
than ``MIN_TITLE_WORDS`` words ("Contact us", "Weather") are too common to weigh, and an
article's own title, which copies of it on the site share, never counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tasks.text import count_words, fold, spaced_words

REJECTION_REASON = "site_list"  # rejections.reason of a page found to list its site's articles
MIN_TITLE_WORDS = 4
MIN_LISTED = 3  # other articles' titles in one text: a list of them, not a related link
# ... in lines holding this share of the words between its edges, at least: a headline
# of 6 to 12 words over a teaser of 20 to 40 is a fifth of a card's words or more.
LISTED_SHARE = 0.1
MAX_TAKEN_SHARE = 0.5  # of a text's words: above this, nothing is taken out
SHORT_LINE_WORDS = 5  # a heading ("Related stories"), a date, a byline between the titles
TITLE_SLACK_CHARS = 16  # a line may be this much longer than its folded title (spaces, quotes)


def title_key(line: str | None) -> str | None:
    """A title or a line as compared (Unicode, case, spacing and the quotes around it
    folded), or None when it is too short to weigh."""
    folded = fold(line or "").strip("\"'“”‘’«» ")
    return folded if spaced_words(folded) >= MIN_TITLE_WORDS else None


@dataclass(frozen=True, slots=True)
class ListedTitles:
    """What a text holds of its site's other articles' titles."""

    titles: int  # distinct titles of the site's other articles, each a whole line of it
    words: int  # the words of the whole text
    without: str  # the text without the runs of them at its edges
    without_words: int  # the words of ``without``
    inner_titles: int  # distinct titles among the lines left in ``without`` and the links
    inner_title_words: int  # the words of those lines
    inner_link_words: int = 0  # ... of those that were links, taken out of the text before

    @property
    def lists_the_site(self) -> bool:
        """The text is a list of the site's articles, not an article: titles with teasers
        between them, or titles and little else. (A story's related-links block is at its
        edge, and does not make it a list.)"""
        if self.titles < MIN_LISTED:
            return False
        if not self.may_take_out:
            return True  # titles from one edge to the other, or nearly
        left = self.without_words + self.inner_link_words
        return self.inner_titles >= MIN_LISTED and self.inner_title_words >= LISTED_SHARE * left

    @property
    def may_take_out(self) -> bool:
        """Taking the edge runs out leaves the text its substance."""
        return self.without_words >= (1 - MAX_TAKEN_SHARE) * self.words


class SiteTitles:
    """The titles of one site's articles, as ``listed_titles`` looks a text's lines up."""

    __slots__ = ("holders", "longest")

    def __init__(self) -> None:
        self.holders: dict[str, set[str]] = {}  # title key -> the ids of articles with it
        self.longest = 0  # the longest title key, in characters

    def add(self, article_id: str, title: str | None) -> None:
        key = title_key(title)
        if key is not None:
            self.holders.setdefault(key, set()).add(article_id)
            self.longest = max(self.longest, len(key))


def listed_titles(
    text: str,
    article_id: str,
    own_title: str | None,
    site: SiteTitles,
    inner_links: Sequence[str] = (),
) -> ListedTitles | None:
    """The text read against its site's titles; None when no line of it is another
    article's title. ``inner_links``: lines that stood between the text's own lines as links
    to other pages, taken out of it at extraction (a card's headline over its teaser); those
    that are the site's titles count as titles between its edges.

    All such lines count towards a list; only those at the text's edges are taken out
    (``without``): a run of them at its end or its start, with the short lines around
    them ("Related stories", a date). In the middle of an article, a line that reads like
    another article's title is more often a heading of its own ("How much does it cost?")."""
    own = title_key(own_title)
    lines = text.splitlines()
    # A paragraph longer than any title is no title: most lines are not even folded.
    longest = site.longest + TITLE_SLACK_CHARS

    def other_title(line: str) -> str | None:
        key = title_key(line) if len(line) <= longest else None
        holders = site.holders.get(key, ()) if key is not None and key != own else ()
        return key if any(holder != article_id for holder in holders) else None

    keys = [other_title(line) for line in lines]
    links = [(line, key) for line in inner_links if (key := other_title(line))]
    if not any(keys) and not links:
        return None
    words = count_words(text)
    is_title = [key is not None for key in keys]
    start = _edge_run(lines, is_title, past_last_title=False)
    end = max(start, len(lines) - _edge_run(lines[::-1], is_title[::-1], past_last_title=True))
    inner = [
        (line, key) for line, key in zip(lines[start:end], keys[start:end], strict=True) if key
    ]
    link_words = sum(count_words(line) for line, _ in links)
    without = "\n".join(lines[start:end])
    return ListedTitles(
        titles=len({key for key in keys if key} | {key for _, key in links}),
        words=words,
        without=without,
        without_words=count_words(without),
        inner_titles=len({key for _, key in inner} | {key for _, key in links}),
        inner_title_words=sum(count_words(line) for line, _ in inner) + link_words,
        inner_link_words=link_words,
    )


def _edge_run(lines: list[str], is_title: list[bool], *, past_last_title: bool) -> int:
    """How many lines from the start form a run of titles, with the short lines among them
    that are no sentence ("Related stories", a date); 0 when the run holds no title. The
    short lines after its last title are in the run only ``past_last_title``: at a text's
    end, they are a block's heading; at its start, the story's dateline or first heading."""
    run = last_title = 0
    for line, listed in zip(lines, is_title, strict=True):
        stripped = line.strip()
        if not listed and (
            count_words(stripped) > SHORT_LINE_WORDS
            or stripped.endswith((".", "!", "?", "。", "！", "？"))
        ):
            break
        run += 1
        if listed:
            last_title = run
    return (run if past_last_title else last_title) if last_title else 0
