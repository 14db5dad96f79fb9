"""JSON as pages and feeds write it."""

from __future__ import annotations

import json
import re
from typing import Any

# Python converts no integer of more than 4,300 digits from text (a guard against its
# quadratic conversion, ``sys.int_info.default_max_str_digits``); JSON sets no bound, and a
# feed or a page's JSON-LD with one such number in a field no one reads was lost whole.
MAX_INTEGER_DIGITS = 4000


def _integer(digits: str) -> int | float:
    """An integer as JSON writes it; past ``MAX_INTEGER_DIGITS``, its value as a float
    (infinite beyond the float's range): nothing wirehouse reads is such a number."""
    return int(digits) if len(digits) <= MAX_INTEGER_DIGITS else float(digits)


# A comma before a closing bracket: what a template leaves after its last field
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def read_json(text: str, *, lenient: bool = False) -> Any:
    """``json.loads``, for integers of any length.

    ``lenient``: as a page's JSON-LD is written by hand and by templates, which a
    browser's search engine reads all the same: raw line breaks and tabs inside strings
    (a pasted description), and a comma after the last field or item."""
    try:
        return json.loads(text, parse_int=_integer, strict=not lenient)
    except json.JSONDecodeError:
        if not lenient:
            raise
        loose = _TRAILING_COMMA.sub(r"\1", text)
        if loose == text:
            raise
        return json.loads(loose, parse_int=_integer, strict=False)
