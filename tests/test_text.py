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
