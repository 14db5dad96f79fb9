"""Month names as pages and feeds write them, in the languages of the web we archive."""

from __future__ import annotations

import re

# English names, then Portuguese, Spanish, French, German, Italian and Dutch forms that
# localized CMSes write into datelines ("04-ago-2021", "3. März 2024") and RFC 822 dates
# ("Seg, 24 Set 2018 19:42:40 -0300").
_NAMES = (
    "jan january | janv janvier janeiro ene enero gen gennaio januar jänner",
    "feb february | fev fevereiro febrero févr fevr février fevrier febbraio februar",
    "mar march | março marco marzo mars märz mär mrz maart mrt",
    "apr april | abr abril avr avril aprile",
    "may | mai maio mayo mag maggio mei",
    "jun june | juin junho junio giu giugno juni",
    "jul july | juil juillet julho julio lug luglio juli",
    "aug august | ago agosto août aout augustus",
    "sep sept september | set setembro septiembre septembre settembre",
    "oct october | out outubro octubre octobre ott ottobre okt oktober",
    "nov november | novembro noviembre novembre",
    "dec december | dez dezembro dic diciembre déc décembre decembre dicembre dezember",
)

MONTHS_BY_NAME: dict[str, int] = {}
ENGLISH_MONTHS: list[str] = []
for _number, _names in enumerate(_NAMES, start=1):
    ENGLISH_MONTHS.extend(_names.partition("|")[0].split())
    for _name in _names.replace("|", " ").split():
        MONTHS_BY_NAME.setdefault(_name, _number)


Trie = dict[str, "Trie"]


def _alternation(words: list[str]) -> str:
    """A regular expression that matches any of ``words``, written as a trie ("a(?:br(?:il)?|
    go(?:sto)?|...)"): a flat alternation of 120 names tried at every word of a page's text
    made the date search three times slower."""
    trie: Trie = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_pattern(trie)


def _trie_pattern(node: Trie) -> str:
    branches = [
        re.escape(char) + _trie_pattern(child) for char, child in sorted(node.items()) if char
    ]
    if not branches:
        return ""
    ends_here = "" in node
    if len(branches) == 1 and not ends_here:
        return branches[0]
    return "(?:" + "|".join(branches) + ")" + ("?" if ends_here else "")


# Any month name above, and the English ones alone, as regular expressions (to be matched
# case-insensitively).
MONTH_NAME_PATTERN = _alternation(list(MONTHS_BY_NAME))
ENGLISH_MONTH_PATTERN = _alternation(ENGLISH_MONTHS)
