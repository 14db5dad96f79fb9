"""Charset labels as browsers read them (the WHATWG Encoding Standard), for pages and feeds."""

from __future__ import annotations

import codecs

# What browsers decode a label as (the WHATWG Encoding Standard): the superset that pages
# labelled so are written in. Read strictly as labelled, a latin-1 page's curly quotes are
# control characters, and one GBK character fails a "gb2312" page's decoding as a whole.
BROWSER_CODECS = {
    **dict.fromkeys(("iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1"), "cp1252"),
    **dict.fromkeys(("us-ascii", "ascii", "x-user-defined"), "cp1252"),
    **dict.fromkeys(("iso-8859-9", "iso8859-9", "latin5", "l5"), "cp1254"),
    **dict.fromkeys(("iso-8859-11", "iso8859-11", "tis-620", "windows-874", "dos-874"), "cp874"),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk", "gb_2312-80", "chinese"), "gb18030"),
    **dict.fromkeys(("euc-kr", "ks_c_5601-1987", "korean", "windows-949", "x-euc-kr"), "cp949"),
    **dict.fromkeys(("ks_c_5601-1989", "iso-ir-149", "csksc56011987", "cseuckr"), "cp949"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji"), "cp932"),
    **dict.fromkeys(("windows-31j", "csshiftjis"), "cp932"),
    **dict.fromkeys(("big5", "x-x-big5", "csbig5", "cn-big5"), "big5hkscs"),
    # ... and labels browsers know that Python's codecs do not
    "x-cp1250": "cp1250",
    "x-cp1251": "cp1251",
    "x-cp1252": "cp1252",
    **dict.fromkeys(
        ("iso-8859-8-i", "iso-8859-8-e", "csiso88598i", "logical", "visual"), "iso-8859-8"
    ),
    **dict.fromkeys(("iso-8859-6-i", "iso-8859-6-e"), "iso-8859-6"),
    **dict.fromkeys(("x-mac-roman", "mac", "csmacintosh"), "mac_roman"),
    **dict.fromkeys(("x-mac-cyrillic", "x-mac-ukrainian"), "mac_cyrillic"),
    "koi8-ru": "koi8_u",
    "x-euc-jp": "euc_jp",
    **dict.fromkeys(
        ("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"), "utf-8"
    ),
}


# Codecs Python has and no browser reads a page in: each turns plain ASCII into other
# characters ("+ADw-script+AD4-" is "<script>" in UTF-7, "\u003c" is "<" to unicode_escape;
# EBCDIC reads all of ASCII as other letters), or fails on any byte ("undefined").
# A browser ignores such a label, and so do we.
NOT_BROWSER_CODECS = frozenset(
    {"utf-7", "unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined"}
    | {"cp037", "cp273", "cp424", "cp500", "cp875", "cp1026", "cp1140"}  # EBCDIC
)
IGNORED_LABEL = "x-ignored-label"  # no codec of this name: decoding with it fails as unknown


def browser_codec(label: str) -> str:
    """The codec to decode bytes labelled ``label`` with (the label itself where browsers
    read it as Python does; ``IGNORED_LABEL`` where they read no page in it)."""
    label = label.strip()
    codec = BROWSER_CODECS.get(label.lower(), label)
    try:
        known = codecs.lookup(codec).name
    except LookupError:
        return codec
    return IGNORED_LABEL if known in NOT_BROWSER_CODECS else codec


def is_wide(label: str) -> bool:
    """Whether ``label`` names UTF-16 or UTF-32, in which every character of markup has a
    zero byte: such a label on bytes with none (read from them as ASCII) is a slip."""
    try:
        return codecs.lookup(browser_codec(label)).name.startswith(("utf-16", "utf-32"))
    except LookupError:
        return False


def strict_decode(data: bytes, codec: str) -> str | None:
    """``data`` decoded as ``codec``; None where a byte does not read, or there is no such
    codec."""
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError):  # a codec that fails on everything raises the base
        return None


def lenient_decode(data: bytes, codec: str) -> str | None:
    """``data`` decoded as ``codec``, a U+FFFD for each byte it cannot read, where those are
    fewer than the characters outside ASCII it does read: a stray byte of another charset
    (a template's, a pasted quote's) costs one character, as in a browser, not the whole
    text. None where they are not: the label, or the guess, is wrong."""
    try:
        text = data.decode(codec, errors="replace")
    except (UnicodeError, LookupError):
        return None
    bad = text.count("\ufffd")
    beyond_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return text if beyond_ascii - bad > bad else None
