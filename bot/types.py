"""The one contract between adapters and the core: an inbound Event and outbound Replies.

Adapters translate platform payloads into an Event and Replies into platform messages;
they keep platform payloads in `Event.raw`, which the core never reads.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

BlockKind = Literal["title", "note", "heading", "paragraph", "quote", "bullets", "columns", "chart"]


@dataclass(frozen=True)
class Person:
    """A person, the one way the core carries one: someone chosen in a form's people
    field (a Slack user, a Teams roster member), named in the terminal, or kept in a
    flow's state (a 360 request's peers and manager)."""

    identity: str  # platform:workspace:user, as Event.user
    name: str
    tz_offset: int | None = None  # seconds east of UTC, where the platform gives it
    problem: str = ""  # "unknown", "bot" or "deleted": not someone who can answer
    tz_name: str = ""  # the IANA zone ("Europe/London"), where the platform gives it


@dataclass(frozen=True)
class Event:
    """One thing a person did: sent text, or picked a choice (`action`)."""

    user: str  # platform:workspace:user, e.g. "console:local:alice"
    conversation: str  # platform:workspace:channel
    text: str = ""
    action: str | None = None  # the `Choice.command` of a picked choice
    event_id: str | None = None  # for de-duplication of retried deliveries
    # The platform shows choices as buttons that carry their commands (Slack, Teams), so
    # there is no numbered list for a later "2" to refer to, and none is remembered.
    buttons: bool = False
    # Only the person and the bot see the conversation (a direct message, the terminal):
    # where drafts and feedback may be shown.
    private: bool = True
    slash: bool = False  # a Slack slash command: always a command, never a flow's answer
    # The platform shows a Reply's form (a Slack modal, an Adaptive Card with inputs)...
    forms: bool = False
    # ...and a submitted form's values arrive here, by field name, with `action` the
    # form's `submit` command.
    fields: dict[str, str] | None = field(default=None, hash=False)
    # The people named in a submitted form's people fields, as the platform describes
    # them (never as the payload claims): their names, time zones, or why not a person.
    people: tuple[Person, ...] = ()
    name: str = ""  # the speaker's display name, where the platform gives it
    # The speaker's time zone, where the platform gives it: an IANA name (Teams, Slack,
    # the terminal where the machine names its zone), or seconds east of UTC.
    tz_name: str = ""
    tz_offset: int | None = None
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def platform(self) -> str:
        return self.user.split(":", 1)[0]

    @property
    def speaker(self) -> Person:
        """Who sent it, as far as the platform says."""
        return Person(self.user, self.name, self.tz_offset, tz_name=self.tz_name)


def without(state: dict[str, Any], key: str) -> dict[str, Any]:
    """A conversation state without one flow's entry (`star`, `practice`, `feedback`…)."""
    return {k: v for k, v in state.items() if k != key}


@dataclass(frozen=True)
class Column:
    heading: str
    text: str


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: `value` on the chart's scale, and the same in words, always
    shown beside it (a picture is never the only way to read it). No value: no bar is
    drawn, and the words say why ("not enough answers")."""

    label: str  # what it measures: "Peers", "You", "Done"
    value: int | None
    text: str


@dataclass(frozen=True)
class BarGroup:
    """The bars about one thing (a behaviour, a plan's items), drawn together."""

    label: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    """A bar chart, drawn by each platform in its own way: bars from 0 to `top`, in
    groups. `title` says what it shows, in a sentence: it is the chart's alt text too."""

    title: str
    top: int
    groups: tuple[BarGroup, ...]


BAR_WIDTH = 8  # characters in a bar drawn as text
BAR_FULL, BAR_EMPTY = "\u2587", "\u2581"  # ▇ and ▁


def bar_text(value: int, top: int, width: int = BAR_WIDTH) -> str:
    """A bar drawn in characters, `width` long: ▇▇▇▇▇▇▁▁ for 3 of 4. A value above zero
    always shows, however small against `top`."""
    share = max(0, min(value, top)) / top if top > 0 else 0.0
    full = round(share * width)
    if value > 0 and full == 0:
        full = 1
    return BAR_FULL * full + BAR_EMPTY * (width - full)


def bar_line(bar: Bar, top: int) -> str:
    """One bar as a line of text: the bar (where there is one), its label and its words."""
    drawn = f"{bar_text(bar.value, top)} " if bar.value is not None else ""
    return f"{drawn}{bar.label}: {bar.text}"


def chart_text(chart: Chart) -> str:
    """A chart as plain text: its title, then each group's label and its bars' lines."""
    lines = [chart.title]
    for group in chart.groups:
        lines.append(group.label)
        lines += [f"  {bar_line(bar, chart.top)}" for bar in group.bars]
    return "\n".join(lines)


@dataclass(frozen=True)
class Block:
    """One piece of a reply. Text is plain (never markup): adapters style and escape it.

    - title: the reply's headline; note: small print (source, context);
    - heading / paragraph: ordinary text; quote: text served verbatim from a framework;
    - bullets: `items`; columns: `columns`, shown side by side where the platform can;
    - chart: `chart`, drawn as the platform draws pictures, its numbers always beside it.
    """

    kind: BlockKind
    text: str = ""
    items: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    chart: Chart | None = None


@dataclass(frozen=True)
class Choice:
    """A button, or a numbered option where buttons are not available."""

    label: str
    command: str  # what the core receives as `Event.action` when it is picked


FieldKind = Literal["text", "choice", "people", "date"]


@dataclass(frozen=True)
class Field:
    """One input of a form: multi-line text; a date (an ISO date, `2027-03-31`); one of
    `options` (their commands are the values); or people of the workspace (values:
    identities, one per line; `most` of them, 1 for a single person), whom the platform
    lets the person pick."""

    name: str  # the key its value comes back under, in `Event.fields`
    label: str
    value: str = ""  # what it holds when the form opens
    hint: str = ""  # shown while it is empty
    optional: bool = False
    error: str = ""  # why the value submitted was refused, shown with the field
    kind: FieldKind = "text"
    options: tuple[Choice, ...] = ()
    most: int = 0
    # Asked only when another field holds a value ("kind=competency"), where fields are
    # asked one at a time (the terminal); a form on screen shows it, saying when it counts.
    only_if: str = ""
    # Its answer names a behaviour and a level ("leadership level 4"): typed where it is
    # asked, such text is the answer, not a lookup.
    names_behaviour: bool = False


@dataclass(frozen=True)
class Form:
    """Several inputs answered in one go. `submit` is the command the submission carries;
    `command` shows the form again (a button, where a form cannot open by itself)."""

    title: str  # short: a Slack modal's title holds 24 characters
    fields: tuple[Field, ...]
    submit: str
    command: str
    submit_label: str = "Save"
    open_label: str = "Open the form"
    # Asked one field at a time (the terminal): whether fields that already hold a value
    # are asked too (a change), or passed by (values the person gave with the command).
    ask_filled: bool = True


@dataclass(frozen=True)
class Reply:
    blocks: tuple[Block, ...]
    choices: tuple[Choice, ...] = ()
    command: str | None = None  # the command that gives this answer again (to share it)
    form: Form | None = None  # shown as a form where the platform can (`Event.forms`)
    # text to copy as it is (a draft as plain text): never wrapped or restyled on its way
    copy: bool = False

    @property
    def title(self) -> str:
        return next((b.text for b in self.blocks if b.kind == "title"), "")

    @property
    def shareable(self) -> bool:
        """Whether anyone may see this again in a channel: framework text that a lookup
        served (it carries the command that gives it), never a question, an error or
        anything of a person's own."""
        return bool(self.command) and any(
            b.kind in ("quote", "bullets", "columns") for b in self.blocks
        )

    def plain_text(self) -> str:
        """The whole reply as plain text: for notifications, logs of tests, and fallbacks."""
        parts: list[str] = []
        for block in self.blocks:
            if block.kind == "bullets":
                parts.append("\n".join(f"• {item}" for item in block.items))
            elif block.kind == "columns":
                parts.append("\n\n".join(f"{c.heading}\n{c.text}" for c in block.columns))
            elif block.chart is not None:
                parts.append(chart_text(block.chart))
            else:
                parts.append(block.text)
        if self.choices:
            parts.append("\n".join(f"{n}. {c.label}" for n, c in enumerate(self.choices, 1)))
        return "\n\n".join(parts)


@dataclass(frozen=True)
class Outgoing:
    """A direct message the core wants delivered to `user` (a 360 request, a reminder,
    a report), kept in the outbox until the adapter reports it sent."""

    id: int
    user: str
    replies: list[Reply]
    request_id: int | None = None
    attempts: int = 0  # earlier attempts that failed
    key: str = ""  # what it is: "ask-…", "remind-…", "report-…", "unreachable-…"
    # when an earlier attempt may have arrived unreported (a timeout, a broken connection,
    # a process that stopped): when the first began, to look for it from then on
    since: str | None = None


# ---- replies kept for a retry ------------------------------------------------------
# A reply that could not be delivered is kept with its event (as JSON, never pickles), so
# that the platform's retry of the event delivers it instead of handling the event again.


def replies_to_json(replies: list[Reply]) -> str:
    return json.dumps(
        [
            {
                "blocks": [
                    {
                        "kind": b.kind,
                        "text": b.text,
                        "items": list(b.items),
                        "columns": [[c.heading, c.text] for c in b.columns],
                        "chart": asdict(b.chart) if b.chart else None,
                    }
                    for b in reply.blocks
                ],
                "choices": [[c.label, c.command] for c in reply.choices],
                "command": reply.command,
                "form": asdict(reply.form) if reply.form else None,
                "copy": reply.copy,
            }
            for reply in replies
        ],
        ensure_ascii=False,
    )


def replies_from_json(text: str) -> list[Reply]:
    return [
        Reply(
            blocks=tuple(
                Block(
                    kind=b["kind"],
                    text=b["text"],
                    items=tuple(b["items"]),
                    columns=tuple(Column(h, t) for h, t in b["columns"]),
                    chart=_chart(b.get("chart")),
                )
                for b in reply["blocks"]
            ),
            choices=tuple(Choice(label, command) for label, command in reply["choices"]),
            command=reply["command"],
            form=_form(reply.get("form")),
            copy=bool(reply.get("copy")),
        )
        for reply in json.loads(text)
    ]


def _chart(data: dict[str, Any] | None) -> Chart | None:
    if data is None:
        return None
    groups = tuple(
        BarGroup(g["label"], tuple(Bar(**bar) for bar in g["bars"])) for g in data["groups"]
    )
    return Chart(title=data["title"], top=int(data["top"]), groups=groups)


def _form(data: dict[str, Any] | None) -> Form | None:
    if data is None:
        return None
    fields = tuple(
        Field(**(f | {"options": tuple(Choice(**o) for o in f.get("options", ()))}))
        for f in data["fields"]
    )
    return Form(**(data | {"fields": fields}))
