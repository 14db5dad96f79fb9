from __future__ import annotations

import math

from tasks.json_values import MAX_INTEGER_DIGITS, read_json


def test_integers_of_any_length_are_read():
    assert read_json('{"n": 12, "m": -7, "f": 1.5}') == {"n": 12, "m": -7, "f": 1.5}
    assert read_json("9" * MAX_INTEGER_DIGITS) == int("9" * MAX_INTEGER_DIGITS)
    # past Python's digit limit for int(): its value as a float, infinite past the range
    assert read_json("[" + "1" + "0" * 300 + "]") == [10**300]
    assert math.isinf(read_json("9" * 4301))
    assert math.isinf(-read_json("-" + "9" * 5000))
