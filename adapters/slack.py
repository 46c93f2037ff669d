"""Slack: converters between Slack payloads and the core's Event and Reply.

This part renders a Reply as Block Kit messages. All block text from the core is plain
text, so every piece is escaped (`&`, `<`, `>`) before it goes into mrkdwn: nothing a
person typed can become a mention (`<!channel>`, `<@U123>`) or a link. Slack's limits
are kept by splitting, never by silently cutting content: a text object over 3,000
characters becomes several sections, side-by-side fields fall back to stacked sections
when a column is too long for a field, and a reply over 50 blocks becomes several
messages, the choices going with the last one.
"""

from __future__ import annotations

import re
from typing import Any

from bot.types import Block, Reply

MAX_TEXT = 3000  # characters in a section's text object
MAX_FIELD = 2000  # characters in one section field
MAX_FIELDS = 10
MAX_BLOCKS = 50  # blocks in one message
MAX_HEADER = 150  # characters in a header block
MAX_BUTTON_TEXT = 75
MAX_BUTTONS = 25  # elements in one actions block
CHOICE_ACTION = "choice"  # action_id prefix of choice buttons

Json = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters, so that text can never form a mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line, sentence or word
    boundary where one exists; nothing is dropped."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for pattern in (r"\n\n", r"\n", r"(?<=[.!?])\s", r"\s"):
            found = [m.end() for m in re.finditer(pattern, window) if 0 < m.start() < limit]
            if found:
                cut = found[-1]
                break
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _mrkdwn_sections(text: str) -> list[Json]:
    # Escaping can lengthen text, so split the escaped form.
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in split_text(text, MAX_TEXT)
    ]


def _quote(text: str) -> str:
    return "\n".join("&gt; " + line if line else "&gt;" for line in escape(text).split("\n"))


def blocks_of(block: Block) -> list[Json]:
    """The Block Kit blocks for one block of a reply."""
    if block.kind == "title":
        if len(block.text) <= MAX_HEADER:
            return [{"type": "header", "text": {"type": "plain_text", "text": block.text}}]
        return _mrkdwn_sections(f"*{escape(block.text)}*")
    if block.kind == "note":
        return [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": piece}]}
            for piece in split_text(escape(block.text), MAX_TEXT)
        ]
    if block.kind == "heading":
        return _mrkdwn_sections(f"*{escape(block.text)}*")
    if block.kind == "quote":
        return _mrkdwn_sections(_quote(block.text))
    if block.kind == "bullets":
        return _mrkdwn_sections("\n".join(f"• {escape(item)}" for item in block.items))
    if block.kind == "columns":
        fields = [
            {"type": "mrkdwn", "text": f"*{escape(c.heading)}*\n{escape(c.text)}"}
            for c in block.columns
        ]
        if len(fields) <= MAX_FIELDS and all(len(f["text"]) <= MAX_FIELD for f in fields):
            return [{"type": "section", "fields": fields}]
        out: list[Json] = []
        for column in block.columns:
            out += _mrkdwn_sections(f"*{escape(column.heading)}*")
            out += _mrkdwn_sections(escape(column.text))
        return out
    return _mrkdwn_sections(escape(block.text))


def _button_label(label: str) -> str:
    return label if len(label) <= MAX_BUTTON_TEXT else label[: MAX_BUTTON_TEXT - 1] + "…"


def choice_blocks(reply: Reply) -> list[Json]:
    """Buttons for the reply's choices, at most 25 to an actions block."""
    buttons = [
        {
            "type": "button",
            "action_id": f"{CHOICE_ACTION}-{n}",
            "text": {"type": "plain_text", "text": _button_label(choice.label)},
            "value": choice.command,
        }
        for n, choice in enumerate(reply.choices, 1)
    ]
    return [
        {"type": "actions", "elements": buttons[i : i + MAX_BUTTONS]}
        for i in range(0, len(buttons), MAX_BUTTONS)
    ]


def messages_of(reply: Reply, *, extra: list[Json] | None = None) -> list[Json]:
    """One or more chat messages ({"text", "blocks"}) for a reply; `extra` blocks (such as
    a Share button) go after the choices, in the last message."""
    body = [b for block in reply.blocks for b in blocks_of(block)]
    tail = choice_blocks(reply) + (extra or [])
    chunks: list[list[Json]] = []
    for block in body:
        if not chunks or len(chunks[-1]) == MAX_BLOCKS:
            chunks.append([])
        chunks[-1].append(block)
    if not chunks:
        chunks.append([])
    for block in tail:
        if len(chunks[-1]) == MAX_BLOCKS:
            chunks.append([])
        chunks[-1].append(block)
    fallback = reply.title or (reply.plain_text()[:150] if reply.blocks else "behaviourbot")
    return [
        {"text": fallback if i == 0 else f"{fallback} (continued)", "blocks": chunk}
        for i, chunk in enumerate(chunks)
    ]
