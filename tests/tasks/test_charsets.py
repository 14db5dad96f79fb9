"""Charset labels as browsers read them."""

from __future__ import annotations

import codecs

import pytest

from tasks.charsets import (
    BROWSER_CODECS,
    IGNORED_LABEL,
    browser_codec,
    is_wide,
    lenient_decode,
)
from tasks.extract import decode_html


def test_every_browser_label_names_a_codec_python_has():
    for codec in set(BROWSER_CODECS.values()):
        codecs.lookup(codec)


@pytest.mark.parametrize(
    ("label", "codec"),
    [("ISO-8859-1", "cp1252"), (" GB2312 ", "gb18030"), ("windows-1251", "windows-1251")],
)
def test_a_label_is_read_as_browsers_read_it(label, codec):
    assert browser_codec(label) == codec


@pytest.mark.parametrize(
    ("label", "wide"),
    [("UTF-16", True), ("utf-16le", True), ("utf_32", True), ("utf-8", False), ("nonsense", False)],
)
def test_a_label_of_utf16_or_utf32_is_wide(label, wide):
    assert is_wide(label) is wide


def test_a_stray_byte_costs_one_character_but_a_wrong_label_gives_nothing():
    text = "Über die Änderungen, schön und groß. " * 10
    assert lenient_decode(text.encode() + b"\xe9", "utf-8") == text + "\ufffd"
    assert lenient_decode(text.encode("cp1252"), "utf-8") is None
    assert lenient_decode(b"plain", "no-such-codec") is None


@pytest.mark.parametrize(
    "label",
    ["utf-7", "UTF7", "unicode_escape", "raw-unicode-escape", "undefined", "cp037", "ibm500"],
)
def test_a_label_no_browser_reads_a_page_in_is_ignored(label):
    # "+ADw-script+AD4-" is "<script>" in UTF-7: browsers never decode a page so.
    body = b"<title>+ADw-script+AD4-alert(1)</title><p>Caf\xc3\xa9 \\u003c</p>"
    assert browser_codec(label) == IGNORED_LABEL
    text = decode_html(body, f"text/html; charset={label}")
    assert "+ADw-script+AD4-" in text and "Café \\u003c" in text
