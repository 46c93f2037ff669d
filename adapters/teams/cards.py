"""Microsoft Teams: a Reply as Adaptive Cards or plain text activities (pure converters).

Replies become Adaptive Cards where cards help (framework text, side-by-side columns,
choices as buttons) and plain text where they do not. All text is plain: in cards it
is escaped for Adaptive Cards' markdown, and text messages are sent as `plain`, so
nothing a person typed can become a link, a mention or formatting, and the card JSON is
always built by `json`, never by pasting strings.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from bot.render import words
from bot.types import Block, Chart, Field, Form, Reply, bar_text

log = logging.getLogger("behaviourbot.teams")

Json = dict[str, Any]

CARD_VERSION = "1.4"  # Action.Execute needs 1.4; Teams renders 1.4 on every client
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_ACTIONS = 6  # Teams shows at most six buttons on a card; more become a drop-down
# Teams refuses a message over its size limit (413, MessageSizeTooBig). Microsoft has
# given it as about 28 KB ("the message size limit is approximately 28 KB", Teams
# connector, learn.microsoft.com/connectors/teams/#known-issues-and-limitations-with-actions),
# then 40 KB and lately 100 KB counted in UTF-16, 80 KB recommended (learn.microsoft.com/
# microsoftteams/platform/bots/how-to/format-your-bot-messages). 28 KB is kept to,
# measured on the whole activity as sent: its JSON, non-ASCII escaped as the connector
# client sends it (so at most 56 KB in UTF-16, within what is recommended now).
MAX_MESSAGE_BYTES = 28_000
# What the connector client adds to an activity when it sends it (from, recipient,
# conversation, ids, serviceUrl, locale), and the activity around its card.
ENVELOPE_BYTES = 3_000
MAX_CARD_BYTES = MAX_MESSAGE_BYTES - ENVELOPE_BYTES
VERB = "behaviour"  # the Action.Execute verb of every choice
CHOICE_INPUT = "choice"  # the id of the drop-down when the choices are many
PEOPLE_DATASET = "behaviourbot.people"  # a people picker's typeahead, answered by the bot


# ---- from the core to Teams ------------------------------------------------------

_EMPHASIS = re.compile(r"([\\*_])")
_LINK = re.compile(r"\]\(")
_LIST_START = re.compile(r"^(\s*)(-|\d+\.)(\s)", re.M)


_CODE = re.compile(r"`([^`\n]+)`")
_FUNCTION = re.compile(r"\{(?=\{)")  # {{DATE(…)}} and {{TIME(…)}} start so


def literal(text: str) -> str:
    """Text that Teams shows as it is, not as a date: it replaces {{DATE(…)}} and
    {{TIME(…)}} in card text with the reader's local date or time (the renderers match
    the two braces together), so an invisible zero-width space goes between them."""
    return _FUNCTION.sub("{\u200b", text)


def escape(text: str) -> str:
    """Plain text for an Adaptive Card TextBlock. Its markdown knows emphasis (escaped
    with a backslash, which Teams shows as nothing), links and lists (broken with an
    invisible zero-width space, as a backslash there would show); a single line break
    would be joined to the line before, so it becomes a paragraph break. Date and time
    functions are broken too (see `literal`)."""
    text = literal(text)
    text = _EMPHASIS.sub(r"\\\1", text)
    text = _LINK.sub("]\u200b(", text)
    text = _LIST_START.sub(lambda m: f"{m.group(1)}{m.group(2)}\u200b{m.group(3)}", text)
    text = _CODE.sub(r"**\1**", text)  # cards show backticks as they are: bold instead
    return re.sub(r"(?<!\n)\n(?!\n)", "\n\n", text)


def _text_block(text: str, **style: Any) -> Json:
    return {"type": "TextBlock", "text": escape(text), "wrap": True, **style}


def copy_block(text: str) -> Json:
    """Text to copy as it is (an export's Markdown, CSV or SVG): a RichTextBlock's
    monospace TextRun, which Adaptive Cards never read as markdown, so its line breaks,
    list markers, emphasis and code spans stay as exported; only `{{` is broken (see
    `literal`), as Teams would make a date of it."""
    run = {"type": "TextRun", "text": literal(text), "fontType": "Monospace"}
    return {"type": "RichTextBlock", "inlines": [run]}


def elements_of(block: Block, *, copy: bool = False) -> list[Json]:
    """Adaptive Card elements for one block; a paragraph of a reply to copy as it is
    (`Reply.copy`) as `copy_block`."""
    if copy and block.kind == "paragraph":
        return [copy_block(block.text)]
    if block.kind == "title":
        return [_text_block(block.text, size="Large", weight="Bolder")]
    if block.kind == "note":
        return [_text_block(block.text, size="Small", isSubtle=True)]
    if block.kind == "heading":
        return [_text_block(block.text, weight="Bolder", spacing="Medium")]
    if block.kind == "paragraph":
        return [_text_block(block.text)]
    if block.kind == "quote":  # framework text, verbatim: set apart
        return [{"type": "Container", "style": "emphasis", "items": [_text_block(block.text)]}]
    if block.kind == "bullets":
        return [_text_block("\u2022 " + item, spacing="Small") for item in block.items]
    if block.kind == "chart" and block.chart is not None:
        return chart_elements(block.chart)
    if block.kind == "columns":
        return [
            {
                "type": "ColumnSet",
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [
                            _text_block(column.heading, weight="Bolder"),
                            _text_block(column.text),
                        ],
                    }
                    for column in block.columns
                ],
            }
        ]
    raise ValueError(f"unknown block kind {block.kind!r}")


def chart_elements(chart: Chart) -> list[Json]:
    """A chart as card elements: its title (the picture's alt text), then per group its
    label and a row per bar: the bar drawn in characters in a narrow column, its label and
    value in words beside it (no value: the words alone)."""
    return [element for group in chart_groups(chart) for element in group]


def chart_groups(chart: Chart) -> list[list[Json]]:
    """`chart_elements` in the pieces a message may not split: each group's label with its
    bars, the chart's title with the first group."""
    pieces: list[list[Json]] = []
    out = [_text_block(chart.title, size="Small", isSubtle=True, spacing="Medium")]
    for group in chart.groups:
        if pieces or len(out) > 1:
            pieces.append(out)
            out = []
        out.append(_text_block(group.label, weight="Bolder", spacing="Small"))
        for bar in group.bars:
            columns: list[Json] = []
            if bar.value is not None:
                drawn = _text_block(bar_text(bar.value, chart.top), fontType="Monospace")
                columns.append({"type": "Column", "width": "auto", "items": [drawn]})
            words_block = _text_block(f"{bar.label}: {bar.text}")
            columns.append({"type": "Column", "width": "stretch", "items": [words_block]})
            out.append({"type": "ColumnSet", "spacing": "None", "columns": columns})
    return [*pieces, out]


def choice_elements(reply: Reply) -> tuple[list[Json], list[Json]]:
    """(body elements, actions) for the reply's choices: buttons, or a drop-down and one
    button when there are more than Teams shows."""
    if not reply.choices:
        return [], []
    if len(reply.choices) <= MAX_ACTIONS:
        actions = [
            {
                "type": "Action.Execute",
                "title": literal(choice.label),
                "verb": VERB,
                "data": {"command": choice.command},
            }
            for choice in reply.choices
        ]
        return [], actions
    select = {
        "type": "Input.ChoiceSet",
        "id": CHOICE_INPUT,
        "style": "compact",
        "label": words("teams/choose_one.j2"),
        "placeholder": words("teams/choose_one.j2"),
        "isRequired": True,
        "errorMessage": words("teams/choose_first.j2"),
        "choices": [{"title": literal(c.label), "value": c.command} for c in reply.choices],
    }
    show = {"type": "Action.Execute", "title": words("teams/show.j2"), "verb": VERB, "data": {}}
    return [select], [show]


MAX_INPUT = 3000  # characters in a form's text input (the core's limit for a field)


def form_elements(form: Form) -> tuple[list[Json], list[Json]]:
    """(body elements, actions) for a form: a multi-line input per field, with its
    error above it, and a button that submits them all with the form's command."""
    body: list[Json] = []
    for field in form.fields:
        if field.error:
            body.append(_text_block(field.error, color="Attention", spacing="Medium"))
        body += _input(field)
    submit = {
        "type": "Action.Execute",
        "title": form.submit_label,
        "verb": VERB,
        "data": {"command": form.submit},
        "style": "positive",
    }
    return body, [submit]


def _input(field: Field) -> list[Json]:
    """The card input of one form field: multi-line text; one choice of a few, as
    radio buttons; or people (the options the adapter filled in from the rosters), as a
    drop-down to tick several in. Their values: text, the option's command, commands
    separated by commas."""
    if field.kind == "text":
        return [
            {
                "type": "Input.Text",
                "id": field.name,
                "label": field.label,
                "isMultiline": True,
                "isRequired": False,
                "maxLength": MAX_INPUT,
                "placeholder": field.hint,
                "value": field.value,
            }
        ]
    if field.kind == "date":
        date_input: Json = {"type": "Input.Date", "id": field.name, "label": field.label}
        if re.match(r"^\d{4}-\d{2}-\d{2}$", field.value):
            date_input["value"] = field.value
        return [date_input]
    if field.kind == "people" and not field.options:  # nobody, or the rosters failed
        return [_text_block(field.label, weight="Bolder")] + (
            [] if field.error else [_text_block(words("teams/no_colleagues.j2"))]
        )
    # people: identities, any of several; a choice: one option's command, spaces and all
    chosen = [v for v in re.split(r"[\s,]+", field.value) if v] if field.kind == "people" else []
    chosen = chosen or ([field.value] if field.value else [])
    element: Json = {
        "type": "Input.ChoiceSet",
        "id": field.name,
        "label": field.label,
        "style": "expanded" if field.kind == "choice" else "compact",
        "isRequired": False,
        "choices": [{"title": literal(o.label), "value": o.command} for o in field.options],
        "value": ",".join(chosen),
    }
    if field.kind == "people":  # a few people on the card; Teams asks the bot for more
        element["isMultiSelect"] = field.most != 1
        element["placeholder"] = field.hint or "Choose"
        element["style"] = "filtered"
        element["choices.data"] = {"type": "Data.Query", "dataset": PEOPLE_DATASET}
    return [element]


def card(elements: list[Json], actions: list[Json] | None = None) -> Json:
    content: Json = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": elements,
    }
    if actions:
        content["actions"] = actions
    return content


def size_of(value: Any) -> int:
    """Bytes of `value` as JSON, as the connector client sends it (non-ASCII escaped)."""
    return len(json.dumps(value).encode())


def cards_of(reply: Reply) -> list[Json]:
    """One or more cards for a reply, each within MAX_CARD_BYTES, counted whole: its
    text, and the inputs, choices and buttons that go with the last card. Nothing is cut:
    a reply too long for one card becomes several, filled from the front, and a chart's
    group (its name and its bars) is never split between two."""
    choice_body, actions = choice_elements(reply)
    if reply.form is not None:  # the inputs and their button go first, in the last card
        form_body, submit = form_elements(reply.form)
        choice_body, actions = form_body + choice_body, submit + actions
    pieces: list[list[Json]] = []
    for block in reply.blocks:
        if block.kind == "chart" and block.chart is not None:
            pieces += chart_groups(block.chart)
        else:
            pieces += [[element] for element in elements_of(block, copy=reply.copy)]
    empty = size_of(card([]))
    # a piece too big for a card on its own (a chart of very many bars) is split after all
    pieces = [
        part
        for piece in pieces
        for part in ([piece] if empty + _size(piece) <= MAX_CARD_BYTES else [[e] for e in piece])
    ]
    chunks: list[list[list[Json]]] = [[]]
    size = empty
    for piece in pieces:
        if chunks[-1] and size + _size(piece) > MAX_CARD_BYTES:
            chunks.append([])
            size = empty
        chunks[-1].append(piece)
        size += _size(piece)
    # the last card holds the inputs and buttons: its last pieces move on if they must
    extra = size_of(card(choice_body, actions)) - empty
    while chunks[-1] and size + extra > MAX_CARD_BYTES:
        if empty + extra > MAX_CARD_BYTES:  # the inputs alone are over: a card of their own
            chunks.append([])
            break
        moved: list[list[Json]] = []
        while size + extra > MAX_CARD_BYTES:
            moved.insert(0, chunks[-1].pop())
            size -= _size(moved[0])
        chunks.append(moved)
        size = empty + _size([e for piece in moved for e in piece])
    bodies = [[e for piece in chunk for e in piece] for chunk in chunks]
    bodies[-1].extend(choice_body)
    cards = [card(body, actions if i == len(bodies) - 1 else None) for i, body in enumerate(bodies)]
    if size_of(cards[-1]) > MAX_CARD_BYTES:  # a form's own inputs, typed at length
        log.warning("teams: a card of %d bytes, over %d", size_of(cards[-1]), MAX_CARD_BYTES)
    return cards


def _size(piece: list[Json]) -> int:
    """Bytes that the elements of `piece` add to a card's body, the ", " between included."""
    return sum(size_of(element) + 2 for element in piece)


def wants_card(reply: Reply) -> bool:
    """Framework text, columns and choices are cards; a sentence or two is plain text."""
    return (
        bool(reply.choices)
        or reply.form is not None
        or any(b.kind in ("quote", "bullets", "columns", "chart") for b in reply.blocks)
    )


def activities_of(reply: Reply) -> list[Json]:
    """The message activities (as JSON) for a reply."""
    if not wants_card(reply):
        text = {"type": "message", "text": literal(reply.plain_text()), "textFormat": "plain"}
        if size_of(text) <= MAX_CARD_BYTES:
            return [text]
        # too long for one message (an export of many expectations): cards, split below
    summary = reply.title or words("bot_name.j2")
    return [
        {
            "type": "message",
            "summary": summary,
            "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": content}],
        }
        for content in cards_of(reply)
    ]


def card_for_update(reply: Reply) -> Json:
    """The card that replaces the one whose button was pressed (always a card)."""
    return cards_of(reply)[0]
