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

# ... and as news sites in other languages and scripts write them: Turkish, Indonesian,
# Polish (genitive: "5 marca 2024"), Russian and Ukrainian (genitive and nominative), Greek
# (genitive and nominative), Hindi, Arabic (Egyptian and Levantine: "20 شباط 2024"),
# Persian, Hebrew (with "in": "5 במרץ 2024"). Only page dates read these, never a byline's
# trimming (a Turkish month may be a surname: "Ayşe Ekim").
_NAMES_ELSEWHERE = (
    "ocak ocak januari sty stycznia января январь янв січня січень ιανουαρίου ιανουάριος"
    " जनवरी يناير كانون_الثاني ژانویه ינואר בינואר",
    "şubat şub februari lutego февраля февраль фев лютого лютий φεβρουαρίου φεβρουάριος"
    " फ़रवरी फरवरी فبراير شباط فوریه פברואר בפברואר",
    "mart maret marca марта март березня березень μαρτίου μάρτιος मार्च مارس آذار מרץ במרץ מרס במרס",
    "nisan kwietnia апреля апрель апр квітня квітень απριλίου απρίλιος अप्रैल أبريل ابريل"
    " إبريل نيسان آوریل אפריל באפריל",
    "mayıs maja мая май травня травень μαΐου μάιος मई مايو أيار مه מאי במאי",
    "haziran czerwca июня июнь июн червня червень ιουνίου ιούνιος जून يونيو يونيه حزيران"
    " ژوئن יוני ביוני",
    "temmuz lipca июля июль июл липня липень ιουλίου ιούλιος जुलाई يوليو يوليه تموز ژوئیه"
    " ژوییه יולי ביולי",
    "ağustos agustus agu sierpnia августа август авг серпня серпень αυγούστου αύγουστος"
    " अगस्त أغسطس اغسطس آب اوت אוגוסט באוגוסט",
    "eylül września сентября сентябрь сен сент вересня вересень σεπτεμβρίου σεπτέμβριος"
    " सितंबर सितम्बर سبتمبر أيلول سپتامبر ספטמבר בספטמבר",
    "ekim października октября октябрь жовтня жовтень οκτωβρίου οκτώβριος अक्टूबर अक्तूबर"
    " أكتوبر اكتوبر تشرين_الأول اکتبر אוקטובר באוקטובר",
    "kasım listopada ноября ноябрь ноя листопада листопад νοεμβρίου νοέμβριος नवंबर नवम्बर"
    " نوفمبر تشرين_الثاني نوامبر נובמבר בנובמבר",
    "aralık desember des grudnia декабря декабрь дек грудня грудень δεκεμβρίου δεκέμβριος"
    " दिसंबर दिसम्बर ديسمبر كانون_الأول دسامبر דצמבר בדצמבר",
)

MONTHS_BY_NAME: dict[str, int] = {}
ENGLISH_MONTHS: list[str] = []
for _number, _names in enumerate(_NAMES, start=1):
    ENGLISH_MONTHS.extend(_names.partition("|")[0].split())
    for _name in _names.replace("|", " ").split():
        MONTHS_BY_NAME.setdefault(_name, _number)
for _number, _names in enumerate(_NAMES_ELSEWHERE, start=1):
    for _name in _names.split():
        MONTHS_BY_NAME.setdefault(_name.replace("_", " "), _number)  # "كانون الثاني"


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


# Thai month names and their abbreviations ("12 มี.ค. 2567"): Thai pages count years in the
# Buddhist era (2567 = 2024), in four digits or two, so their dates are read on their own.
_THAI = (
    "มกราคม ม.ค.", "กุมภาพันธ์ ก.พ.", "มีนาคม มี.ค.", "เมษายน เม.ย.", "พฤษภาคม พ.ค.", "มิถุนายน มิ.ย.",
    "กรกฎาคม ก.ค.", "สิงหาคม ส.ค.", "กันยายน ก.ย.", "ตุลาคม ต.ค.", "พฤศจิกายน พ.ย.", "ธันวาคม ธ.ค.",
)  # fmt: skip
THAI_MONTHS_BY_NAME = {
    name: number for number, names in enumerate(_THAI, start=1) for name in names.split()
}
THAI_MONTH_PATTERN = _alternation(list(THAI_MONTHS_BY_NAME))
BUDDHIST_ERA_OFFSET = 543


def thai_year(written: str) -> int:
    """The Gregorian year of a Thai date's year: "2567" and "67" are 2024 (Buddhist era),
    "2024" is itself."""
    year = int(written)
    if year < 100:
        return 2500 + year - BUDDHIST_ERA_OFFSET
    return year - BUDDHIST_ERA_OFFSET if year >= 2400 else year
