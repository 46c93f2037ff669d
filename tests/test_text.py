"""Text cleaning: what any input becomes before it is read or printed."""

from __future__ import annotations

import pytest

from bot.text import clean


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("\x1b[31mleadership level 4", "leadership level 4"),
        ("\x1b[1;31;40mred\x1b[0m text", "red text"),
        ("\x1b]0;title\x07leadership", "leadership"),
        ("\x9b31mleadership", "leadership"),
        ("a \x1bc b", "a b"),
    ],
)
def test_terminal_escape_sequences_are_dropped_whole(typed: str, cleaned: str) -> None:
    assert clean(typed) == cleaned


def test_plain_ascii_takes_the_short_way_with_the_same_result() -> None:
    """Printable ASCII (most commands) has nothing to drop or normalise: clean gives
    what the character by character way gives, white space collapsed."""
    import unicodedata

    printable = "".join(chr(c) for c in range(0x20, 0x7F))
    for text in (printable, "  leadership   level 4 ", "", "#2 (why?)"):
        slow = "".join(
            ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) != "Cc"
        )
        assert clean(text) == " ".join(slow.split()) == " ".join(text.split())
        assert clean(text, exact=True) == clean(text, keep_newlines=True) == clean(text)
