"""Block Kit rendering: the real replies within Slack's limits, escaped, nothing dropped."""

from __future__ import annotations

import json

import pytest

from adapters.slack import (
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_FIELD,
    MAX_TEXT,
    escape,
    messages_of,
    split_text,
)
from bot.frameworks import Framework
from bot.lookup import Lookup
from bot.types import Block, Choice, Column, Reply


@pytest.fixture(scope="module")
def lookup(frameworks: list[Framework]) -> Lookup:
    return Lookup(frameworks)


def texts(message: dict) -> list[str]:  # type: ignore[type-arg]
    """Every text object in a message's blocks."""
    out = []
    for block in message["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        out += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return out


def test_a_lookup_renders_as_header_context_sections_and_buttons(lookup: Lookup) -> None:
    (message,) = messages_of(lookup.answer("leadership level 4"))
    kinds = [b["type"] for b in message["blocks"]]
    assert kinds == ["header", "context", "section", "section", "section", "section", "actions"]
    assert message["text"] == "Leadership: Level 4"
    assert message["blocks"][0]["text"] == {"type": "plain_text", "text": "Leadership: Level 4"}
    assert message["blocks"][2]["text"]["text"] == "*Definition*"
    assert message["blocks"][3]["text"]["text"].startswith("&gt; Show pride and passion")
    buttons = message["blocks"][-1]["elements"]
    assert buttons[3] == {
        "type": "button",
        "action_id": "choice-4",
        "text": {"type": "plain_text", "text": "Level 4 (Grade 7 and 6 or equivalent)"},
        "value": "show civil-service/leadership/4",
    }


def test_a_comparison_is_side_by_side_fields(lookup: Lookup) -> None:
    (message,) = messages_of(lookup.answer("compare leadership 3 4"))
    fields = next(b for b in message["blocks"] if "fields" in b)["fields"]
    assert [f["text"].split("\n")[0] for f in fields] == [
        "*Level 3 (HEO and SEO or equivalent)*",
        "*Level 4 (Grade 7 and 6 or equivalent)*",
    ]


def test_every_lookup_reply_keeps_the_limits(lookup: Lookup, frameworks: list[Framework]) -> None:
    queries = ["help", "search the", "search service", "civil service", "policing", "dhs"]
    for fw in frameworks:
        for b in fw.behaviours:
            queries.append(f"show {fw.id}/{b.id}")
            queries += [f"show {fw.id}/{b.id}/{lv.id}" for lv in fw.levels_of(b)]
            queries.append(f"compare {fw.id}/{b.id}")
    for query in queries:
        for message in messages_of(lookup.answer(query)):
            assert 0 < len(message["blocks"]) <= MAX_BLOCKS, query
            assert all(len(t) <= MAX_TEXT for t in texts(message)), query
            for block in message["blocks"]:
                assert all(len(f["text"]) <= MAX_FIELD for f in block.get("fields", []))
                for element in block.get("elements", []):
                    if element["type"] == "button":
                        assert len(element["text"]["text"]) <= MAX_BUTTON_TEXT
                        assert len(element["value"]) <= 2000
            json.dumps(message)


def test_long_text_is_split_not_cut() -> None:
    sentence = "Inspire and motivate teams to be fully engaged in their work. "
    text = sentence * 120  # about 7,400 characters
    reply = Reply(blocks=(Block("paragraph", text.strip()),))
    (message,) = messages_of(reply)
    pieces = texts(message)
    assert len(pieces) == 3 and all(len(p) <= MAX_TEXT for p in pieces)
    assert " ".join(pieces) == text.strip()
    assert all(p.endswith("work.") for p in pieces)


def test_more_than_fifty_blocks_become_several_messages_with_choices_last() -> None:
    blocks = tuple(Block("paragraph", f"Paragraph {n}") for n in range(120))
    reply = Reply(blocks=(Block("title", "Long"), *blocks), choices=(Choice("Again", "help"),))
    messages = messages_of(reply)
    assert [len(m["blocks"]) for m in messages] == [50, 50, 22]
    assert messages[-1]["blocks"][-1]["type"] == "actions"
    assert messages[1]["text"] == "Long (continued)"
    body = [t for m in messages for t in texts(m)]
    assert body[1:] == [f"Paragraph {n}" for n in range(120)]


def test_a_long_column_falls_back_to_stacked_sections() -> None:
    long = "word " * 500
    reply = Reply(blocks=(Block("columns", columns=(Column("A", long), Column("B", "short"))),))
    (message,) = messages_of(reply)
    assert "fields" not in json.dumps(message)
    assert texts(message)[0] == "*A*"


def test_user_text_cannot_mention_or_link(lookup: Lookup) -> None:
    reply = lookup.answer("<!channel> <@U123> <https://evil.example|click> & more")
    dumped = json.dumps(messages_of(reply))
    assert "<!channel>" not in dumped and "<@U123>" not in dumped and "<https://" not in dumped
    raw = "<!channel> <@U123> <https://evil.example|click> & more"
    kinds = ("title", "note", "heading", "paragraph", "quote")
    reply = Reply(
        blocks=(*(Block(k, raw) for k in kinds), Block("bullets", items=(raw,))),
        choices=(Choice(raw, "help"),),
    )
    (message,) = messages_of(reply)
    for text in texts(message)[1:]:  # the header is plain_text, where markup is not read
        assert "<" not in text and ">" not in text.replace("&gt; ", "")
        assert (
            "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; more" in text
        )


def test_escape_and_split_helpers() -> None:
    assert escape("a & <b> > c") == "a &amp; &lt;b&gt; &gt; c"
    assert split_text("", 10) == [""]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("one two three four", 9) == ["one two", "three", "four"]


def test_long_button_labels_are_shortened_visibly() -> None:
    reply = Reply(blocks=(), choices=(Choice("L" * 100, "help"),))
    (message,) = messages_of(reply)
    label = message["blocks"][0]["elements"][0]["text"]["text"]
    assert len(label) == MAX_BUTTON_TEXT and label.endswith("…")


def test_a_crafted_view_submission_cannot_crash_the_parser() -> None:
    from adapters.slack import event_from_view

    body = {
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "trigger_id": "t1",
        "view": {
            "id": "V1",
            "private_metadata": '{"channel": 5, "submit": ["x"]}',
            "state": {"values": {"situation": {"value": "plain"}, "task": [], "action": None}},
        },
    }
    event = event_from_view(body)
    assert event.fields == {"situation": "", "task": "", "action": ""}
    assert event.action == "" and event.conversation == "slack:T1:U1" and event.private
    body["view"]["private_metadata"] = "not json"
    assert event_from_view(body).action == ""
