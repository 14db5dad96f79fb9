"""Counting words, the same way everywhere (extraction, the article record, the limits)."""

from __future__ import annotations

import re
import unicodedata

# A CJK character counts as a word: those scripts do not put spaces between words.
_WORDS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+")


def count_words(text: str) -> int:
    """Words in a text, counting each CJK character as one."""
    return len(_WORDS.findall(text))


def fold(text: str) -> str:
    """A text as compared: Unicode compatibility forms, runs of spaces and case folded."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
