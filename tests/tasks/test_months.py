"""Month names: every month in every language the table covers, and no name for two."""

from __future__ import annotations

import re

from tasks.months import _NAMES, ENGLISH_MONTH_PATTERN, MONTH_NAME_PATTERN, MONTHS_BY_NAME


def test_every_month_has_its_names_and_no_name_means_two_months():
    assert sorted(set(MONTHS_BY_NAME.values())) == list(range(1, 13))
    spelled = [name for names in _NAMES for name in names.replace("|", " ").split()]
    assert len(spelled) == len(set(spelled))  # a name listed under two months would be lost
    assert (MONTHS_BY_NAME["ago"], MONTHS_BY_NAME["märz"], MONTHS_BY_NAME["déc"]) == (8, 3, 12)


def test_the_month_pattern_matches_every_name_and_nothing_else():
    pattern = re.compile(MONTH_NAME_PATTERN, re.I)
    assert all(pattern.fullmatch(name) for name in MONTHS_BY_NAME)
    assert pattern.fullmatch("MÄRZ") and pattern.fullmatch("Sept")
    for other in ("ma", "dece", "marc", "augusto", "junee", "", "octobr"):
        assert not pattern.fullmatch(other)
    english = re.compile(ENGLISH_MONTH_PATTERN, re.I)
    assert english.fullmatch("September") and english.fullmatch("may")
    assert not english.fullmatch("ago") and not english.fullmatch("März")
