"""Forms, one question at a time, where the platform shows no forms (the terminal): the
conversation engine applied to a form.

A flow answers with a Reply carrying a Form; Slack shows it as a modal and Teams as a
card. In the terminal the router hands the form to `FormFiller.begin`, which keeps it
in the conversation's state (`FormState`, so a restart resumes it) and asks its fields
in turn, each a `Step` read by `engine.read`: text typed, a choice picked by its number
or label, people named, and the universal words (help, back, stop, skip, keep).

Each answer is checked at its step by the form's flow (`check`: the plan item's
behaviour and level, an end date after its start, dates in the speaker's zone): a
refused answer is asked again at once, with why and what was typed. When the last is
answered the form is submitted as on any platform: an Event with the form's `submit`
command and its values in `fields`, which the flow checks as it checks a modal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Self

from bot import engine
from bot.engine import Option, StaleState, Step, Typed, upgrade
from bot.feedback import identity_of, names_typed, parse_names
from bot.render import compose
from bot.text import clean
from bot.types import Event, Field, Form, Person, Reply, without
from bot.types import _form as form_from_dict

# A field checked by its form's flow: (the speaker's event, the form, the field's name,
# the values so far with the field's own) -> (the value to keep, why it is refused).
Check = Callable[[Event, Form, str, dict[str, str]], tuple[str, str]]
Answered = tuple[dict[str, Any], list[Reply]]


# A form stopped part-way is kept under this key until its command takes it up again
# (its upgrades are registered for both keys).
PAUSED = "filling-paused"


@dataclass
class FormState(Typed):
    """A form being asked one field at a time: the form itself, the fields to ask (in
    the form's order) and which is being asked, the values so far (people as
    identities, one a line), the people named for them, and the answer last refused at
    the current field, with why."""

    KEY = "filling"
    VERSION = 2

    form: dict[str, Any] = field(default_factory=dict)
    ask: list[str] = field(default_factory=list)
    at: int = 0
    values: dict[str, str] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    typed: str = ""  # what was typed and refused at the current field
    why: str = ""  # why it was refused, as the form's flow says

    @classmethod
    def load(cls, data: Any) -> Self:
        filling = super().load(data)
        filling.people = [Person(**p) for p in filling.people]  # stored as dictionaries
        return filling

    def person(self, identity: str) -> Person:
        """Who `identity` is, as named in this form (else by the identity's last part)."""
        named = next((p for p in self.people if p.identity == identity), None)
        return named or Person(identity, identity.rsplit(":", 1)[-1])

    def the_form(self) -> Form:
        form = form_from_dict(self.form)
        assert form is not None
        return form


@upgrade(FormState.KEY, 0)
def _from_unversioned(data: dict[str, Any]) -> dict[str, Any]:
    """A form stored before states were versioned: the same fields, with no answer
    refused yet."""
    return {**data, "people": data.get("people") or {}, "typed": "", "why": ""}


@upgrade(PAUSED, 1)
@upgrade(FormState.KEY, 1)
def _with_persons(data: dict[str, Any]) -> dict[str, Any]:
    """People named in a form, kept as a mapping of identity to name, become `Person`s,
    stored as their fields."""
    named = data.get("people") or {}
    return {**data, "people": [asdict(Person(i, name)) for i, name in named.items()]}


def _step(item: Field) -> Step:
    return Step(
        item.name,
        asks="forms/question.j2",
        kind="choice" if item.kind == "choice" else item.kind,
        optional=item.optional,
        label=item.label,
        names_behaviour=item.names_behaviour,
    )


def _counts(form: Form, values: dict[str, str], item: Field) -> bool:
    """Whether `item` is asked, given the values so far: one that counts only for
    another field's value (`only_if`) is passed by otherwise."""
    other, _, wanted = item.only_if.partition("=")
    return not item.only_if or values.get(other) == wanted


class FormFiller:
    name = "form"

    def __init__(self, check: Check | None = None):
        self.check = check

    def wants(self, state: dict[str, Any], event: Event) -> bool:
        if FormState.KEY not in state or event.slash:
            return False
        if event.action is None:
            return True
        item = self._field(FormState.of(state))
        return item is not None and any(o.command == event.action for o in item.options)

    def current(self, state: dict[str, Any]) -> Step | None:
        """The field being asked, as a step."""
        item = self._field(FormState.of(state))
        return None if item is None else _step(item)

    def ask_again(self, state: dict[str, Any], event: Event) -> Reply | None:
        filling = FormState.of(state)
        return None if filling is None or self._field(filling) is None else self.question(filling)

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
        if not refused:  # what was given with the command is checked now, not at the end
            form = self._checked(form, event, ask)
            ask = [f.name for f in form.fields if f.name in ask or f.error]
        shown = replace(last, form=None)
        resumed = self._paused(state, form)
        if resumed is not None:  # the same form, stopped before: where it was left
            state = {k: v for k, v in state.items() if k != PAUSED}
            note = compose("forms/resumed.j2", form=form)
            return dict(state, filling=resumed.dump()), [note, self.question(resumed)]
        filling = FormState(
            form=asdict(form),
            ask=ask or [f.name for f in form.fields],
            values={f.name: f.value for f in form.fields},
        )
        filling.at = self._from(filling, 0)
        return dict(state, filling=filling.dump()), [*before, shown, self.question(filling)]

    @staticmethod
    def _paused(state: dict[str, Any], form: Form) -> FormState | None:
        """The same form stopped earlier (`stop`), when `form` asks for nothing it does
        not hold: `plan add` carries on with it; `plan add leadership level 4` does too
        when that is what it holds; `expectations carol` after one for bob does not."""
        try:
            paused = FormState.load(state[PAUSED]) if PAUSED in state else None
        except StaleState:
            return None
        if paused is None or paused.the_form().submit != form.submit:
            return None
        given = {f.name: f.value for f in form.fields if f.value}
        return paused if all(paused.values.get(k) == v for k, v in given.items()) else None

    def _checked(self, form: Form, event: Event, asked: list[str]) -> Form:
        """`form` with the values it was given with (`plan add leadership`) checked by
        its flow: one refused carries why, to be asked first."""
        if self.check is None:
            return form
        values = {f.name: f.value for f in form.fields}
        fields = []
        for item in form.fields:
            if item.value and item.name not in asked:
                _, refused = self.check(event, form, item.name, values)
                item = replace(item, error=refused)
            fields.append(item)
        return replace(form, fields=tuple(fields))

    # ---- where the form is ----------------------------------------------------------

    @staticmethod
    def _field(filling: FormState | None) -> Field | None:
        if filling is None or filling.at >= len(filling.ask):
            return None
        form = filling.the_form()
        return next((f for f in form.fields if f.name == filling.ask[filling.at]), None)

    @staticmethod
    def _from(filling: FormState, at: int) -> int:
        """The first field from `at` on that is asked, given the values so far."""
        form = filling.the_form()
        by_name = {f.name: f for f in form.fields}
        while at < len(filling.ask) and not _counts(form, filling.values, by_name[filling.ask[at]]):
            at += 1
        return at

    @staticmethod
    def _back(filling: FormState, item: Field) -> bool:
        """To the field before `item` that counts, asked again even when it was given
        with the command; False at the first."""
        form = filling.the_form()
        names = [f.name for f in form.fields]
        before = [
            f for f in form.fields[: names.index(item.name)] if _counts(form, filling.values, f)
        ]
        if not before:
            return False
        wanted = before[-1].name
        if wanted not in filling.ask:
            filling.ask = [n for n in names if n in filling.ask or n == wanted]
        filling.at = filling.ask.index(wanted)
        return True

    def question(self, filling: FormState, problem: str = "") -> Reply:
        item = self._field(filling)
        assert item is not None
        form = filling.the_form()
        value = filling.values.get(item.name, "")
        shown = value
        if item.kind == "choice":
            shown = next((o.label for o in item.options if o.command == value), "")
        elif item.kind == "people":
            shown = ", ".join(filling.person(i).name for i in value.split() if i)
        counted = [f.name for f in form.fields if _counts(form, filling.values, f)]
        return compose(
            "forms/question.j2",
            form=form,
            field=item,
            position=counted.index(item.name) + 1 if item.name in counted else 1,
            count=len(counted),
            current=shown,
            problem=problem,
            typed=filling.typed,
            why=filling.why or (item.error if item.value == value else ""),
        )

    # ---- an answer --------------------------------------------------------------------

    def step(
        self, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], list[Reply] | Event]:
        """The answer to the current question: the next question, or (when it was the
        last) the submitted form as an Event for its flow."""
        filling = FormState.of(state)
        item = self._field(filling)
        if filling is None or item is None:  # nothing left to ask (never kept so)
            return without(state, FormState.KEY), [compose("forms/stopped.j2", command="")]
        form = filling.the_form()
        options = [Option(o.label, o.command) for o in item.options]
        current = filling.values.get(item.name, "")
        if event.action is not None:  # a button of the field's (a choice)
            said = engine.Said("picked", values=(event.action,))
        else:
            said = engine.read(_step(item), event.text, options=options, current=current)
        meaning = said.meaning

        def again(problem: str = "", typed: str = "", why: str = "") -> Answered:
            filling.typed, filling.why = typed[:200], why
            return dict(state, filling=filling.dump()), [self.question(filling, problem)]

        if meaning == "help":
            return again("help")
        if meaning == "stop":  # kept aside: the form's command carries on with it
            stopped = compose("forms/stopped.j2", command=form.command, kept=True)
            paused = {k: v for k, v in state.items() if k != FormState.KEY}
            return dict(paused, **{PAUSED: filling.dump()}), [stopped]
        if meaning == "back":
            if not self._back(filling, item):
                return again("first")
            return again()
        if meaning == "refused":
            return again(said.problem or "needed", typed=said.text)
        people = {p.identity: p for p in filling.people}
        typed = said.text
        if meaning == "skip":
            value = ""
        elif meaning == "picked":
            value = said.values[0]
        elif meaning == "keep":
            value = current
        elif item.kind == "people" and not names_typed(event.user):
            # Slack, Teams: people only as the platform's picker names them, never typed
            reply = compose("forms/use_picker.j2", form=form, typed=typed[:80])
            return without(state, FormState.KEY), [replace(reply, form=form)]
        elif item.kind == "people":
            names, bad = parse_names(typed)
            most = item.most or len(names)
            if bad or not names or len(names) > most or engine.word_of(typed) is not None:
                # a word such as yes or no is never taken for someone's name
                return again("one-person" if most == 1 else "people", typed=typed)
            identities = [identity_of(n, event.user) for n in names]
            people.update({i: Person(i, n) for i, n in zip(identities, names, strict=True)})
            value = "\n".join(identities)
        else:
            value = typed
        values = dict(filling.values, **{item.name: value})
        if self.check is not None:
            value, refused = self.check(event, form, item.name, values)
            if refused:
                shown = current if meaning == "keep" else clean(event.text).strip()
                return again(typed=shown, why=refused)
            values[item.name] = value
        filling.values, filling.people = values, list(people.values())
        filling.typed = filling.why = ""
        filling.at = self._from(filling, filling.at + 1)
        if filling.at < len(filling.ask):
            return dict(state, filling=filling.dump()), [self.question(filling)]
        chosen = [i for f in form.fields if f.kind == "people" for i in values[f.name].split()]
        submitted = replace(
            event,
            text="",
            action=form.submit,
            fields=values,
            people=tuple(filling.person(i) for i in chosen),
        )
        return without(state, FormState.KEY), submitted
