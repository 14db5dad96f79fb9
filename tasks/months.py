"""Month names as pages and feeds write them, in the languages of the web we archive."""

from __future__ import annotations

# English first; then Portuguese, Spanish, French, German, Italian and Dutch forms that
# localized CMSes write into datelines ("04-ago-2021", "3. März 2024") and RFC 822 dates
# ("Seg, 24 Set 2018 19:42:40 -0300").
_NAMES = (
    "jan january janv janvier janeiro ene enero gen gennaio januar jänner",
    "feb february fev fevereiro febrero févr fevr février fevrier febbraio februar",
    "mar march março marco marzo mars märz mär mrz maart mrt",
    "apr april abr abril avr avril aprile",
    "may mai maio mayo mag maggio mei",
    "jun june juin junho junio giu giugno juni",
    "jul july juil juillet julho julio lug luglio juli",
    "aug august ago agosto août aout augustus",
    "sep sept september set setembro septiembre septembre settembre",
    "oct october out outubro octubre octobre ott ottobre okt oktober",
    "nov november novembro noviembre novembre",
    "dec december dez dezembro dic diciembre déc décembre decembre dicembre dezember",
)

MONTHS_BY_NAME: dict[str, int] = {}
for _number, _names in enumerate(_NAMES, start=1):
    for _name in _names.split():
        MONTHS_BY_NAME.setdefault(_name, _number)
