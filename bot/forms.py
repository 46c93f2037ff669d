"""Forms, one question at a time, where the platform shows no forms (the terminal).

A flow answers with a Reply carrying a Form; Slack shows it as a modal and Teams as a
card. In the terminal the router hands the form to `FormFiller.begin`, which keeps it
in the conversation's state (so a restart resumes it) and asks its fields in turn: text
is typed, a choice picked by number or name, people named. When the last is answered
the form is submitted as on any platform: an Event with the form's `submit` command and
its values in `fields`, which the flow checks as it checks a modal. A field it refuses
is asked again, with why, and the rest are kept.
"""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from typing import Any

from bot.clock import Clock, parse_date
from bot.engine import Step
from bot.feedback import identity_of, names_typed, parse_names
from bot.render import compose
from bot.text import clean
from bot.types import Event, Field, Form, Person, Reply, without
from bot.types import _form as form_from_dict

KEEP_WORDS = frozenset({"keep", "same", "unchanged"})
# A command of a flow with forms typed while a form is open leaves the form: "plan item 2",
# "expectations", "360 list". Text that merely starts with such a word ("plan the day")
# is still an answer.
_COMMAND = re.compile(
    r"^/?(?:behaviour\s+)?(?:plans?|expectations?|360|feedback)"
    r"(?:\s+(?:list|open|show|add|new|edit|item|status|from|mentor|checkins?|progress|comment"
    r"|export|help|change|ack|acknowledge|propose|confirm|refuse|withdraw|close|report|answer|for"
    r"|@\S+|\d+)\b.*)?$",
    re.I,
)
SKIP_WORDS = frozenset({"skip", "-", "n/a"})
STOP_WORDS = frozenset({"cancel", "stop", "quit", "exit"})


class FormFiller:
    name = "form"

    def __init__(self, clock: Clock):
        self.clock = clock

    def wants(self, state: dict[str, Any], event: Event) -> bool:
        if "filling" not in state or event.slash:
            return False
        if event.action is None:
            return not _COMMAND.match(clean(event.text).strip())
        field = self._field(state["filling"])
        return field is not None and any(o.command == event.action for o in field.options)

    def current(self, state: dict[str, Any]) -> Step | None:
        """The field being asked, as a step."""
        field = self._field(state["filling"]) if "filling" in state else None
        if field is None:
            return None
        return Step(
            field.name,
            kind=field.kind,
            optional=field.optional,
            label=field.label,
            names_behaviour=field.names_behaviour,
        )

    def ask_again(self, state: dict[str, Any], event: Event) -> Reply | None:
        return self.question(state["filling"]) if "filling" in state else None

    def begin(
        self, state: dict[str, Any], replies: list[Reply], event: Event
    ) -> tuple[dict[str, Any], list[Reply]]:
        """Start asking the last reply's form: every field, or only those refused."""
        *before, last = replies
        form = last.form
        assert form is not None
        refused = [f.name for f in form.fields if f.error]
        ask = refused or [
            f.name for f in form.fields if not f.value or (form.ask_filled and f.kind != "people")
        ]
        ask = ask or [f.name for f in form.fields]
        filling = {
            "form": asdict(form),
            "ask": ask,
            "at": 0,
            "values": {f.name: f.value for f in form.fields},
            "people": {},
        }
        shown = replace(last, form=None)
        new_state = dict(state, filling=filling)
        return new_state, [*before, shown, self.question(filling)]

    def _form(self, filling: dict[str, Any]) -> Form:
        form = form_from_dict(filling["form"])
        assert form is not None
        return form

    def _field(self, filling: dict[str, Any]) -> Field | None:
        form = self._form(filling)
        if filling["at"] >= len(filling["ask"]):
            return None
        wanted = filling["ask"][filling["at"]]
        return next((f for f in form.fields if f.name == wanted), None)

    def _counts(self, filling: dict[str, Any], name: str) -> bool:
        """Whether field `name` is asked, given the values so far: one that counts only
        for another field's value (`only_if`) is passed by otherwise."""
        field = next(f for f in self._form(filling).fields if f.name == name)
        other, _, wanted = field.only_if.partition("=")
        return not field.only_if or filling["values"].get(other) == wanted

    def _following(self, filling: dict[str, Any], values: dict[str, str]) -> int:
        """The next field to ask."""
        at = filling["at"] + 1
        ahead = dict(filling, values=values)
        while at < len(filling["ask"]) and not self._counts(ahead, filling["ask"][at]):
            at += 1
        return at

    def question(self, filling: dict[str, Any], problem: str = "") -> Reply:
        field = self._field(filling)
        assert field is not None
        value = filling["values"].get(field.name, "")
        shown = value
        if field.kind == "choice":
            shown = next((o.label for o in field.options if o.command == value), "")
        elif field.kind == "people":
            people = filling.get("people", {})
            shown = ", ".join(people.get(i, i.rsplit(":", 1)[-1]) for i in value.split() if i)
        asked = [n for n in filling["ask"] if self._counts(filling, n)]
        return compose(
            "forms/question.j2",
            form=self._form(filling),
            field=field,
            position=asked.index(field.name) + 1 if field.name in asked else 1,
            count=len(asked),
            current=shown,
            problem=problem,
        )

    def step(
        self, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], list[Reply] | Event]:
        """The answer to the current question: the next question, or (when it was the
        last) the submitted form as an Event for its flow."""
        filling = dict(state["filling"])
        field = self._field(filling)
        if field is None:  # nothing left to ask (never kept so): let it go
            return without(state, "filling"), [compose("forms/stopped.j2", command="")]
        typed = clean(event.text, keep_newlines=True, exact=True).strip()
        word = typed.casefold().rstrip(".!")
        if event.action is None and word == "help":
            return state, [self.question(filling, "help")]
        if event.action is None and word in STOP_WORDS:
            form = self._form(filling)
            return without(state, "filling"), [compose("forms/stopped.j2", command=form.command)]
        values = dict(filling["values"])
        people = dict(filling.get("people", {}))
        current = values.get(field.name, "")
        if event.action is not None:
            value = event.action
        elif word in KEEP_WORDS and current:
            value = current
        elif word in SKIP_WORDS or word in KEEP_WORDS or not typed:
            if not field.optional:
                return state, [self.question(filling, "needed")]
            value = ""
        elif field.kind == "choice":
            found = [
                o.command
                for o in field.options
                if word in (o.command.casefold(), o.label.casefold())
                or o.label.casefold().startswith(word)
            ]
            if len(found) != 1:
                return state, [self.question(filling, "pick")]
            value = found[0]
        elif field.kind == "people" and not names_typed(event.user):
            # Slack, Teams: people only as the platform's picker names them, never typed
            form = self._form(filling)
            reply = compose("forms/use_picker.j2", form=form, typed=typed[:80])
            return without(state, "filling"), [replace(reply, form=form)]
        elif field.kind == "people":
            names, bad = parse_names(typed)
            most = field.most or len(names)
            if bad or not names or len(names) > most:
                return state, [self.question(filling, "one-person" if most == 1 else "people")]
            identities = [identity_of(n, event.user) for n in names]
            people.update(dict(zip(identities, names, strict=True)))
            value = "\n".join(identities)
        elif field.kind == "date":
            day = parse_date(typed, self.clock.now().date())
            if not day:
                return state, [self.question(filling, "date")]
            value = day
        else:
            value = typed
        values[field.name] = value
        filling.update(values=values, people=people, at=self._following(filling, values))
        if filling["at"] < len(filling["ask"]):
            return dict(state, filling=filling), [self.question(filling)]
        form = self._form(filling)
        chosen = [i for f in form.fields if f.kind == "people" for i in values[f.name].split()]
        submitted = replace(
            event,
            text="",
            action=form.submit,
            fields=values,
            people=tuple(Person(i, people.get(i, i.rsplit(":", 1)[-1])) for i in chosen),
        )
        return without(state, "filling"), submitted
