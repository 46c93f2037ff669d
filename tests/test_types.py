"""The contract's own rules: which replies may be shared in a channel."""

from __future__ import annotations

from .conftest import FakeAdapter


def test_only_framework_text_from_a_lookup_may_be_shared(chat: FakeAdapter) -> None:
    assert chat.say("leadership level 4").shareable
    assert chat.say("compare leadership 3 4").shareable
    assert not chat.say("leadership level 9").shareable  # an answer, but no framework text
    assert not chat.say("prep leadership 4").shareable  # a question of a flow
