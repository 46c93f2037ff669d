"""Slack: a Reply as Block Kit messages and modals (pure converters, no I/O).

All block text from the core is plain text, so every piece is escaped (`&`, `<`, `>`)
before it goes into mrkdwn: nothing a person typed can become a mention (`<!channel>`,
`<@U123>`) or a link. Slack's limits are kept by splitting, never by silently cutting
content: a text object over 3,000 characters becomes several sections, side-by-side
fields fall back to stacked sections when a column is too long for a field, and a reply
over 50 blocks becomes several messages, the choices going with the last one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from adapters.slack.events import user_id
from bot.home import Page
from bot.render import phrase, words
from bot.types import Block, Chart, Choice, Field, Form, Reply, bar_text

MAX_TEXT = 3000  # characters in a section's text object
MAX_FIELD = 2000  # characters in one section field
MAX_FIELDS = 10
MAX_BLOCKS = 50  # blocks in one message
MAX_HEADER = 150  # characters in a header block
MAX_BUTTON_TEXT = 75
MAX_BUTTONS = 25  # elements in one actions block
MAX_HOME_BLOCKS = 100  # blocks in a Home tab view
CHOICE_ACTION = "choice"  # action_id prefix of choice buttons

Json = dict[str, Any]
SHARE_ACTION = "share"


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


def mrkdwn(text: str) -> Json:
    """A mrkdwn text object that Slack shows as written: `verbatim`, so a URL or a
    channel name someone typed is not made into a link (escaping stops the rest)."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _mrkdwn_sections(text: str) -> list[Json]:
    # Escaping can lengthen text, so split the escaped form.
    return [{"type": "section", "text": mrkdwn(piece)} for piece in split_text(text, MAX_TEXT)]


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
            {"type": "context", "elements": [mrkdwn(piece)]}
            for piece in split_text(escape(block.text), MAX_TEXT)
        ]
    if block.kind == "heading":
        return _mrkdwn_sections(f"*{escape(block.text)}*")
    if block.kind == "quote":
        return _mrkdwn_sections(_quote(block.text))
    if block.kind == "bullets":
        return _mrkdwn_sections("\n".join(f"• {escape(item)}" for item in block.items))
    if block.kind == "chart" and block.chart is not None:
        return chart_blocks(block.chart)
    if block.kind == "columns":
        fields = [mrkdwn(f"*{escape(c.heading)}*\n{escape(c.text)}") for c in block.columns]
        if len(fields) <= MAX_FIELDS and all(len(f["text"]) <= MAX_FIELD for f in fields):
            return [{"type": "section", "fields": fields}]
        out: list[Json] = []
        for column in block.columns:
            out += _mrkdwn_sections(f"*{escape(column.heading)}*")
            out += _mrkdwn_sections(escape(column.text))
        return out
    return _mrkdwn_sections(escape(block.text))


def chart_blocks(chart: Chart) -> list[Json]:
    """A chart built from blocks: its title as a caption (the picture's alt text), then
    a section per group, each bar a line of its own drawn in characters (`▇▇▇▇▇▇▁▁`),
    with its label and its value in words beside it."""
    out: list[Json] = [
        {"type": "context", "elements": [mrkdwn(piece)]}
        for piece in split_text(escape(chart.title), MAX_TEXT)
    ]
    for group in chart.groups:
        lines = [f"*{escape(group.label)}*"]
        for bar in group.bars:
            drawn = f"`{bar_text(bar.value, chart.top)}` " if bar.value is not None else ""
            lines.append(f"{drawn}{escape(bar.label)}: {escape(bar.text)}")
        out += _mrkdwn_sections("\n".join(lines))
    return out


def _button_label(label: str) -> str:
    return label if len(label) <= MAX_BUTTON_TEXT else label[: MAX_BUTTON_TEXT - 1] + "…"


def choice_blocks(reply: Reply) -> list[Json]:
    """Buttons for the reply's choices, at most 25 to an actions block; a form that
    cannot open by itself (a modal needs a button press or a slash command) comes first,
    as a button that opens it."""
    choices = list(reply.choices)
    if reply.form is not None:
        choices.insert(0, Choice(reply.form.open_label, reply.form.command))
    buttons = [
        {
            "type": "button",
            "action_id": f"{CHOICE_ACTION}-{n}",
            "text": {"type": "plain_text", "text": _button_label(choice.label)},
            "value": choice.command,
        }
        for n, choice in enumerate(choices, 1)
    ]
    if reply.form is not None:
        buttons[0]["style"] = "primary"
    return [
        {"type": "actions", "elements": buttons[i : i + MAX_BUTTONS]}
        for i in range(0, len(buttons), MAX_BUTTONS)
    ]


def home_view(page: Page) -> Json:
    """A person's home as an App Home tab view: each item a section with its button
    beside it. A view holds at most 100 blocks: items that do not fit are counted in
    a last note, never dropped silently. With nothing waiting, the home's reply as it is
    (what is on offer, as buttons)."""
    if not page.sections:
        blocks = [b for m in messages_of(page.reply) for b in m["blocks"]][:MAX_HOME_BLOCKS]
        return {"type": "home", "blocks": blocks}
    head = [
        b
        for block in page.reply.blocks
        if block.kind in ("title", "note")
        for b in blocks_of(block)
    ]
    body: list[tuple[Json, bool]] = []  # (block, whether it is an item)
    n = 0
    for section in page.sections:
        body.append((_mrkdwn_sections(f"*{escape(section.heading)}*")[0], False))
        for item in section.items:
            n += 1
            button = {
                "type": "button",
                "action_id": f"{CHOICE_ACTION}-{n}",
                "text": {"type": "plain_text", "text": _button_label(item.choice.label)},
                "value": item.choice.command,
            }
            text = split_text(escape(item.text), MAX_TEXT)[0]
            body.append(({"type": "section", "text": mrkdwn(text), "accessory": button}, True))
    if len(head) + len(body) > MAX_HOME_BLOCKS:
        room = MAX_HOME_BLOCKS - len(head) - 1  # one for the note of what is left out
        while room and not body[room - 1][1]:  # never a heading with none of its items
            room -= 1
        left = sum(is_item for _, is_item in body[room:])
        more = {"type": "context", "elements": [mrkdwn(escape(phrase("home/more.j2", count=left)))]}
        body = [*body[:room], (more, False)]
    return {"type": "home", "blocks": [*head, *(block for block, _ in body)]}


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
    # the notification's text: escaped like the rest, so a name can never be a mention
    fallback = escape(
        reply.title or (reply.plain_text()[:150] if reply.blocks else words("bot_name.j2"))
    )
    return [
        {
            "text": fallback if i == 0 else phrase("slack/continued.j2", text=fallback),
            "blocks": chunk,
        }
        for i, chunk in enumerate(chunks)
    ]


FORM_CALLBACK = "star-form"
MAX_MODAL_TITLE = 24  # characters in a modal's title and its buttons
MAX_PLACEHOLDER = 150
MAX_INPUT = 3000  # characters in a plain_text_input


def modal_of(reply: Reply, form: Form, channel: str | None) -> Json:
    """A modal for `form`: the reply's text (its title is the modal's), then one
    multi-line input per field. `private_metadata` carries the command to submit with
    and the conversation it belongs to."""

    def plain(text: str, limit: int) -> Json:
        return {
            "type": "plain_text",
            "text": text if len(text) <= limit else text[: limit - 1] + "…",
        }

    blocks = [b for block in reply.blocks if block.kind != "title" for b in blocks_of(block)]
    for field in form.fields:
        element = _input_element(field)
        if field.hint and field.kind not in ("choice", "date"):
            element["placeholder"] = plain(field.hint, MAX_PLACEHOLDER)
        blocks.append(
            {
                "type": "input",
                "block_id": field.name,
                "optional": field.optional,
                "label": plain(field.label, MAX_PLACEHOLDER),
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": plain(form.title, MAX_MODAL_TITLE),
        "submit": plain(form.submit_label, MAX_MODAL_TITLE),
        "close": plain(words("slack/cancel.j2"), MAX_MODAL_TITLE),
        "private_metadata": json.dumps({"submit": form.submit, "channel": channel}),
        "blocks": blocks,
    }


MAX_OPTION_TEXT = 75  # characters in an option's text
MAX_RADIO = 10  # options in radio buttons; more go in a menu


def _input_element(field: Field) -> Json:
    """The input of one form field: text, one choice of a few, or people of the workspace
    (a user picker). Every element's action_id is "value", where `event_from_view`
    looks for it."""
    if field.kind == "people":
        chosen = [user_id(i) for i in field.value.split() if i]
        if field.most == 1:
            element: Json = {"type": "users_select", "action_id": "value"}
            if chosen:
                element["initial_user"] = chosen[0]
            return element
        element = {"type": "multi_users_select", "action_id": "value"}
        if field.most:
            element["max_selected_items"] = field.most
        if chosen:
            element["initial_users"] = chosen
        return element
    if field.kind == "date":
        element = {"type": "datepicker", "action_id": "value"}
        if re.match(r"^\d{4}-\d{2}-\d{2}$", field.value):
            element["initial_date"] = field.value
        return element
    if field.kind == "choice":
        options = [
            {
                "text": {"type": "plain_text", "text": _button_label(o.label)[:MAX_OPTION_TEXT]},
                "value": o.command,
            }
            for o in field.options
        ]
        kind = "radio_buttons" if len(options) <= MAX_RADIO else "static_select"
        element = {"type": kind, "action_id": "value", "options": options}
        initial = next((o for o in options if o["value"] == field.value), None)
        if initial is not None:
            element["initial_option"] = initial
        return element
    element = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "max_length": MAX_INPUT,
    }
    if field.value:
        element["initial_value"] = field.value
    return element


def share_block(command: str) -> Json:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": SHARE_ACTION,
                "text": {"type": "plain_text", "text": words("slack/share.j2")},
                "value": command[:2000],
            }
        ],
    }


def shareable(reply: Reply) -> list[Json]:
    """A Share button for the replies the core says may be shared (Reply.shareable)."""
    return [share_block(reply.command)] if reply.command and reply.shareable else []
