"""Word counts: spaced scripts by their words, Chinese and Japanese by their characters."""

from __future__ import annotations

import pytest

from tasks.text import MAX_WORD_CHARS, count_words, spaced_words, without_overlong_words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("The council met on Tuesday.", 5),
        ("市议会星期二开会。", 8),  # each character a word, the full stop none
        ("東京で会議 meeting", 6),
        ("한국어 문장입니다", 2),  # Korean puts spaces between its words
        ("abc中文", 3),  # a Latin word run into Chinese ends where the Chinese begins
    ],
)
def test_count_words(text: str, words: int) -> None:
    assert count_words(text) == words


def test_spaced_words_is_split_unless_the_text_is_written_without_spaces() -> None:
    # what the page-kind thresholds were fitted on: "3.5" and "U.S." are one word each
    assert spaced_words("Prices rose 3.5% in the U.S. — again") == 8
    assert spaced_words("한국어 문장입니다") == 2
    assert spaced_words("市议会星期二开会讨论港口计划") == 14
    assert spaced_words("新闻 News 今天") == 5
    # Thai (as Lao, Khmer, Myanmar) spaces phrases, not words: its pieces are counted
    thai = "ชาวบ้านในพื้นที่ส่วนใหญ่เห็นด้วยกับแผนดังกล่าว แต่บางคนกังวล"
    assert spaced_words(thai) == count_words(thai) > 10


def test_a_run_of_letters_longer_than_any_word_goes_and_words_stay():
    text = f"Harbour vote {'a' * 9_000} counted. Donaudampfschifffahrtsgesellschaft 港口改造计划"
    assert without_overlong_words(text) == (
        "Harbour vote  counted. Donaudampfschifffahrtsgesellschaft 港口改造计划"
    )
    assert without_overlong_words("x" * (MAX_WORD_CHARS - 1)) == "x" * (MAX_WORD_CHARS - 1)
    assert without_overlong_words("汉" * 5_000) == "汉" * 5_000  # each character is a word
