from __future__ import annotations

import json
import math

import pytest

from tasks.json_values import MAX_INTEGER_DIGITS, read_json


def test_integers_of_any_length_are_read():
    assert read_json('{"n": 12, "m": -7, "f": 1.5}') == {"n": 12, "m": -7, "f": 1.5}
    assert read_json("9" * MAX_INTEGER_DIGITS) == int("9" * MAX_INTEGER_DIGITS)
    # past Python's digit limit for int(): its value as a float, infinite past the range
    assert read_json("[" + "1" + "0" * 300 + "]") == [10**300]
    assert math.isinf(read_json("9" * 4301))
    assert math.isinf(-read_json("-" + "9" * 5000))


def test_a_page_s_json_ld_is_read_as_search_engines_read_it():
    """Line breaks pasted into a description and a comma after the last field: the
    page's dates and author were lost with the whole object."""
    pasted = '{"@type": "NewsArticle", "description": "First line\nsecond line",\n'
    pasted += '"datePublished": "2024-06-03",}'
    assert read_json(pasted, lenient=True)["datePublished"] == "2024-06-03"
    assert read_json('[{"a": [1, 2, ], }, ]', lenient=True) == [{"a": [1, 2]}]
    # a feed is read as JSON is written: a malformed one is an error to report
    with pytest.raises(json.JSONDecodeError):
        read_json(pasted)
    with pytest.raises(json.JSONDecodeError):
        read_json('{"a": 1', lenient=True)
