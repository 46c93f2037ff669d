"""The pure converters from the core's Reply to Teams: Reply in, activities out."""

from __future__ import annotations

import pytest

from adapters.teams.cards import (
    CARD_CONTENT_TYPE,
    ENVELOPE_BYTES,
    MAX_MESSAGE_BYTES,
    PEOPLE_DATASET,
    VERB,
    activities_of,
    card,
    size_of,
)
from bot.types import Block, Choice, Field, Form, Reply

from .test_turn import validate_card


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


def picker(**data: object) -> dict[str, object]:
    return {
        "type": "Input.ChoiceSet",
        "id": "peers",
        "choices": [{"title": "Bob Jones", "value": "teams:t:bob"}],
        "choices.data": data,
    }


def test_the_card_schema_knows_teams_typeahead_and_nothing_misspelt() -> None:
    validate_card(card([picker(type="Data.Query", dataset=PEOPLE_DATASET)]))
    for bad in (
        {"type": "Data.Querry", "dataset": PEOPLE_DATASET},  # misspelt
        {"type": "Data.Query"},  # no dataset
        {"type": "Data.Query", "dataset": PEOPLE_DATASET, "datasets": "x"},  # unknown
    ):
        with pytest.raises(AssertionError, match="invalid card"):
            validate_card(card([picker(**bad)]))


def test_a_people_field_is_a_picker_that_finds_people_as_one_types() -> None:
    field = Field(
        "peers",
        "Who to ask",
        kind="people",
        options=(Choice("Bob Jones", "teams:t:bob"), Choice("Carol White", "teams:t:carol")),
        value="teams:t:carol",
    )
    form = Form("Peers", (field,), submit="360 people", command="360 people")
    reply = Reply(blocks=(), form=form)
    (activity,) = activities_of(reply)
    content = activity["attachments"][0]["content"]
    validate_card(content)
    (element,) = [e for e in content["body"] if e["type"] == "Input.ChoiceSet"]
    assert element["choices.data"] == {"type": "Data.Query", "dataset": PEOPLE_DATASET}
    assert element["style"] == "filtered" and element["isMultiSelect"] is True
    assert element["value"] == "teams:t:carol"


def test_a_long_reply_with_a_form_is_split_with_every_card_counted_whole() -> None:
    """Framework text, then a form whose inputs hold what was typed (non-ASCII goes as
    six bytes): each activity, with what the connector adds, is within Teams' limit, the
    form is whole in the last card, and no text is lost or reordered, however long the
    text before the form."""
    typed = "Siân’s team – “reorganise” with care. " * 50  # about 1,900 characters each
    names = ("text", "standards", "reason")
    fields = tuple(Field(name, name.title(), value=typed) for name in names)
    form = Form("Expectation", fields, "expectations save", "x")
    for count in range(1, 31):
        paragraphs = tuple(
            Block("quote", f"{n}: " + "Lead – “always”. " * 60) for n in range(count)
        )
        activities = activities_of(Reply(blocks=paragraphs, form=form))
        for activity in activities:
            assert size_of(activity) + ENVELOPE_BYTES <= MAX_MESSAGE_BYTES, (
                count,
                size_of(activity),
            )
            validate_card(activity["attachments"][0]["content"])
        cards = [a["attachments"][0]["content"] for a in activities]
        inputs = [e["id"] for c in cards for e in c["body"] if e["type"] == "Input.Text"]
        assert inputs == list(names)
        assert all(e["type"] == "Input.Text" for e in cards[-1]["body"][-3:])
        assert [a["title"] for a in cards[-1]["actions"]] == ["Save"]
        assert not any("actions" in c for c in cards[:-1])
        quoted = [
            e["items"][0]["text"] for c in cards for e in c["body"] if e["type"] == "Container"
        ]
        assert [q.split(":")[0] for q in quoted] == [str(n) for n in range(count)]


def test_a_long_reply_fills_its_cards_from_the_front() -> None:
    """The first cards are full and the last holds what is left, with the buttons: a
    reply does not open with a card of a few lines."""
    sentences = tuple(
        Block("paragraph", f"{n}: " + "Lead the team – with care. " * 12) for n in range(120)
    )
    reply = Reply(blocks=sentences, choices=(Choice("Back", "home"),))
    sizes = [size_of(a) for a in activities_of(reply)]
    assert len(sizes) > 2
    assert all(size > MAX_MESSAGE_BYTES - ENVELOPE_BYTES - 1_000 for size in sizes[:-1]), sizes


def test_a_long_reply_of_plain_text_is_split_into_cards_within_teams_limit() -> None:
    """An export of many expectations is sentences only: too long for one message, it
    becomes cards, each within the limit, every sentence kept in order."""
    sentences = tuple(
        Block("paragraph", f"{n}: " + "Lead the team – with care. " * 12) for n in range(200)
    )
    activities = activities_of(Reply(blocks=sentences))
    assert len(activities) > 1
    shown = []
    for activity in activities:
        assert size_of(activity) + ENVELOPE_BYTES <= MAX_MESSAGE_BYTES, size_of(activity)
        content = activity["attachments"][0]["content"]
        validate_card(content)
        shown += [e["text"] for e in content["body"]]
    assert [line.split(":")[0] for line in shown] == [str(n) for n in range(200)]
    short = activities_of(Reply(blocks=sentences[:3]))  # a few sentences: one message
    assert [a.get("textFormat") for a in short] == ["plain"]
