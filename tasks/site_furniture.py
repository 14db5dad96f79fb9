"""A site's furniture: lines that many pages of one site carry at the start or the end of
their text, and that are no part of any one article.

A single-page extractor cannot tell a site's newsletter blurb, its copyright line or its
author box from the article above it: each is a paragraph of prose. The archive can: it
has seen the site's other pages. Each article's lines near the start and the end of its
text (``edge_lines``) are recorded as it is stored (the table ``site_lines``); a line that
at least ``MIN_PAGES`` pages of one site carry, and at least ``MIN_SHARE`` of the pages the
archive holds of it, is that site's furniture, and runs of such lines are taken out of the
start and the end of its texts (``without_furniture``) before they are grouped.

Only the edges: a paragraph repeated in the middle of several stories (a developing
story's background, retold in each update) is the site's prose, not its template. Copies
of one page (its AMP and print versions, a republished story) carry the same title and
count as one page; a text that would lose more than ``MAX_TAKEN_SHARE`` of its words is
left whole, since it is more likely a copy than furniture.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

from tasks.text import fold, spaced_words

MIN_LINE_WORDS = 4  # shorter lines ("Share", "Related", "Comments") are too common to weigh
HEAD_LINES = 8  # lines of that length looked at from the start of a text
TAIL_LINES = 20  # ... and from its end, where sites put most of their furniture
MIN_PAGES = 3  # distinct pages of the site that carry a line: a template's, not a story's
MIN_SHARE = 0.1  # ... and this share of the site's pages in the archive, at least
MAX_TAKEN_SHARE = 0.5  # of a text's words: above this, the text is a copy, not furniture


@dataclass(frozen=True, slots=True)
class EdgeLine:
    """One line near an edge of an article's text, as ``site_lines`` keeps it."""

    line_key: int  # a hash of the line, normalised (signed 64 bits, a DuckDB BIGINT)
    text: str  # the line as it reads (kept in ``site_furniture`` once it is furniture)


def _key(normalised: str) -> int:
    digest = hashlib.blake2b(normalised.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def line_key(line: str) -> int | None:
    """The key of a line that can be furniture (``MIN_LINE_WORDS`` words or more), else None."""
    normalised = fold(line)
    if spaced_words(normalised) < MIN_LINE_WORDS:
        return None
    return _key(normalised)


def page_key(title: str | None, article_id: str) -> int:
    """What tells pages apart when support is counted: the title (copies of one page share
    it), or the article itself when it has none."""
    normalised = fold(title or "")
    return _key(normalised) if normalised else _key(f"\x00{article_id}")


def edge_lines(text: str) -> list[EdgeLine]:
    """The lines that may be furniture: of ``MIN_LINE_WORDS`` words or more, the first
    ``HEAD_LINES`` and the last ``TAIL_LINES`` of them; each line once."""
    found: list[EdgeLine] = []
    for raw in text.splitlines():
        key = line_key(raw)
        if key is not None:
            found.append(EdgeLine(key, raw.strip()))
    if len(found) > HEAD_LINES + TAIL_LINES:
        found = found[:HEAD_LINES] + found[-TAIL_LINES:]
    unique: dict[int, EdgeLine] = {}
    for edge in found:
        unique.setdefault(edge.line_key, edge)
    return list(unique.values())


def without_furniture(text: str, furniture: Collection[int]) -> str | None:
    """The text without the runs of furniture lines at its start and its end (None: there
    are none, or they are more than ``MAX_TAKEN_SHARE`` of its words). A run goes through
    short lines between furniture lines ("Share this:" between a blurb and a copyright
    line) but ends at its last furniture line: a heading before it stays."""
    lines = text.splitlines()
    keys = [line_key(line) for line in lines]

    def is_furniture(i: int) -> bool:
        key = keys[i]
        return key is not None and key in furniture

    def is_filler(i: int) -> bool:  # a short line or a blank one, which a run may hold
        return keys[i] is None

    head = 0  # lines [0, head) go
    i = 0
    while i < len(lines) and (is_furniture(i) or is_filler(i)):
        if is_furniture(i):
            head = i + 1
        i += 1
    tail = len(lines)  # lines [tail, end) go
    i = len(lines) - 1
    while i >= head and (is_furniture(i) or is_filler(i)):
        if is_furniture(i):
            tail = i
        i -= 1
    if head == 0 and tail == len(lines):
        return None
    kept = lines[head:tail]
    total = spaced_words(text)
    taken = total - sum(spaced_words(line) for line in kept)
    if not kept or taken > MAX_TAKEN_SHARE * total:
        return None
    return "\n".join(kept).strip("\n")
