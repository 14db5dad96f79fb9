"""Counting words, the same way everywhere (extraction, the article record, the limits)."""

from __future__ import annotations

import re
import unicodedata

# Chinese and Japanese put no spaces between words: each of their characters counts as one.
# Korean spaces its words, as Latin scripts do.
UNSPACED_SCRIPTS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
# Thai, Lao, Myanmar and Khmer write no space between words either (a space ends a phrase
# or a sentence); ``\w+`` parts their words at the vowel signs, about one piece a syllable.
_PHRASE_SPACED = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
_UNSPACED = re.compile(f"[{UNSPACED_SCRIPTS}{_PHRASE_SPACED}]")
_WORDS = re.compile(f"[{UNSPACED_SCRIPTS}]|[^\\W_{UNSPACED_SCRIPTS}]+")
# Combining marks, and the scripts that write vowels with them (combining accents, Cyrillic
# signs, Hebrew and Arabic points, the Indic scripts, Thai, Lao, Myanmar, Khmer): a mark is
# no ``\w``, so ``\w+`` cut "भारती" into "भ" and "रत" at its vowel signs.
WORD_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u0900-\u0dff"
    + _PHRASE_SPACED
)


# No language writes a word this long (German compounds stay under 80 letters); a run of
# letters past it is an encoded blob or a hostile page's one "word" of megabytes, which was
# stored, indexed and grouped whole (9 MB of it took 3 GB in the group step). Only a run
# that starts a word is tried, so a text of words just under the limit stays linear.
MAX_WORD_CHARS = 250
_OVERLONG_WORD = re.compile(
    f"(?<![^\\W_{UNSPACED_SCRIPTS}])[^\\W_{UNSPACED_SCRIPTS}]{{{MAX_WORD_CHARS},}}"
)


def without_overlong_words(text: str) -> str:
    """The text without runs of letters longer than any word (``MAX_WORD_CHARS``)."""
    return _OVERLONG_WORD.sub("", text)


def count_words(text: str) -> int:
    """Words in a text, counting each Chinese or Japanese character as one."""
    return len(_WORDS.findall(text))


def spaced_words(text: str) -> int:
    """Words as spaces part them (``str.split``'s count), but a text with Chinese, Japanese,
    Thai, Lao, Myanmar or Khmer in it counted as ``count_words`` counts it. Thresholds
    fitted on spaced counts (the page-kind rules and their model) keep their meaning, and a
    Chinese or Thai paragraph is not one word: read as one, a Chinese article had no prose
    and its headline links none, and Thai articles were rejected as lists."""
    return count_words(text) if _UNSPACED.search(text) else len(text.split())


def fold(text: str) -> str:
    """A text as compared: Unicode compatibility forms, runs of spaces and case folded."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
