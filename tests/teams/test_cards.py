"""The pure converters from the core's Reply to Teams: Reply in, activities out."""

from __future__ import annotations

from adapters.teams.cards import CARD_CONTENT_TYPE, VERB, activities_of
from bot.types import Block, Choice, Reply


def test_a_sentence_is_plain_text_with_nothing_made_of_it() -> None:
    reply = Reply(blocks=(Block("paragraph", "See [this](http://x) *now*"),))
    assert activities_of(reply) == [
        {"type": "message", "text": "See [this](http://x) *now*", "textFormat": "plain"}
    ]


def test_framework_text_with_choices_is_a_card_with_buttons() -> None:
    reply = Reply(
        blocks=(Block("title", "Leadership: Level 4"), Block("quote", "Lead *well*")),
        choices=(Choice("Level 5", "leadership level 5"),),
    )
    (activity,) = activities_of(reply)
    assert activity["summary"] == "Leadership: Level 4"
    (attachment,) = activity["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    card = attachment["content"]
    title, quote = card["body"]
    assert (title["text"], title["weight"]) == ("Leadership: Level 4", "Bolder")
    assert quote["items"][0]["text"] == "Lead \\*well\\*"  # escaped for card markdown
    (button,) = card["actions"]
    assert (button["title"], button["verb"], button["data"]) == (
        "Level 5",
        VERB,
        {"command": "leadership level 5"},
    )
