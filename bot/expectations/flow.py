"""Performance expectations: set by a manager, communicated to and acknowledged by the
employee, and kept as a record (5 CFR 9701.406, seed 003).

Expectations must be communicated before anyone is held to them, and employees are
involved in developing them. A manager sets one (`expectations @person`): its kind (a
goal or objective, a work requirement, a particular assignment with its quality,
quantity, accuracy or timeliness, a competency linked to a framework behaviour and
level, or another), its text and optional dates. The employee gets it by direct message
and can acknowledge it, comment, or propose a change; the manager is told of each.

The record is the point, so it is append-only: a change is a new version, and when each
version was communicated (delivered to the employee) and acknowledged is written once
and never altered (triggers in the database refuse an UPDATE or DELETE). Only the
manager and the employee can see an expectation.

Anyone can name anyone, so an expectation counts only from someone the employee
confirms is their manager. The first time a person sets one for an employee, the
employee is asked by direct message, and the expectation is held as pending until they
answer: Confirm sends it on (and that person's later expectations go straight
through); Not my manager makes it void, and that person can set no more for them unless
the employee confirms them later. The employee can withdraw a confirmation. Each answer
is a row of an append-only record (`manager_events`), noted on the expectations it
touched, and the manager is told.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.clock import show_date
from bot.commands import named, words_of
from bot.expectations.store import ExpectationStore
from bot.feedback import identity_of, names_typed, parse_names
from bot.frameworks import Framework
from bot.lookup import BehaviourView, Lookup, resolve_query
from bot.records import (
    Checked,
    PersonalFlow,
    form_values,
    number_of,
    picked_person,
    why,
)
from bot.render import compose
from bot.storage import Store
from bot.types import Choice, Event, Field, Form, Person, Reply, replies_to_json

VERBS = words_of("expectations")
KINDS = {
    "goal": "Goal or objective",
    "requirement": "Work requirement",
    "assignment": "A particular assignment",
    "competency": "Competency to demonstrate",
    "other": "Other",
}
MAX_WORDS = 300
# An expectation's form, a field a step: asked in this order one at a time (the
# terminal), shown at once on Slack and Teams, checked field by field (`_check_field`; an
# end date is read from its start). Whom it is for is asked only of a new one, why it
# changes only of a change. What each asks is in prompts/expectations/fields.j2.
FORM = (
    Field("employee", "", kind="people", most=1),
    Field("kind", "", kind="choice"),
    Field("text", ""),
    Field("competency", "", optional=True, only_if="kind=competency", names_behaviour=True),
    Field("standards", "", optional=True, only_if="kind=assignment"),
    Field("starts", "", optional=True, kind="date"),
    Field("due", "", optional=True, kind="date"),
    Field("reason", "", optional=True),
)
FIELDS = tuple(step.name for step in FORM if step.name != "employee")


def _wording(field: str, part: str) -> str:
    """An expectation field's label or hint."""
    return compose("expectations/fields.j2", field=field, part=part).plain_text()


SUBCOMMANDS = named("expectations").sub_words | {"help", "save"}  # save: a form's button
_KEY = re.compile(r"^expect-(\d+)-v(\d+)$")
_ASK = re.compile(r"^expect-ask-(\d+)$")  # "X says they are your manager", with it
# What an expectation's record says of its manager: the last of these decides whether
# it is held ("pending"), "void", or counts (none of them, or confirmed).
_STANDING = {"awaiting-manager": "pending", "manager-refused": "void", "manager-confirmed": ""}


def _status(events: list[dict[str, Any]]) -> str:
    """Whether an expectation is "pending" (awaiting the employee's confirmation of the
    manager), "void" (they said the person is not their manager) or "" (it counts), as
    its record says."""
    found = [_STANDING[e["what"]] for e in events if e["what"] in _STANDING]
    return found[-1] if found else ""


class ExpectationFlow(PersonalFlow):
    name = "expectations"
    verbs = VERBS
    private_only = "expectations/private_only.j2"

    def __init__(self, lookup: Lookup, store: Store):
        super().__init__(lookup, store)
        self.db = ExpectationStore(store)

    def command(self, event: Event, words: list[str]) -> Reply:
        sub = words[0].casefold() if words else ""
        args = words[1:]
        number = number_of(args[0]) if args else None
        if sub in ("", "list"):
            return self.listing(event.user)
        if number_of(sub) is not None and not args:
            return self.show(event, number_of(sub) or 0)
        if sub in ("show", "open") and number is not None:
            return self.show(event, number)
        if sub == "save":
            base = number_of(args[2]) if len(args) > 2 and args[1].casefold() == "from" else None
            return self.save(event, number, base)
        if sub == "change" and number is not None:
            return self.change_form(event, number)
        if sub in ("ack", "acknowledge") and number is not None:
            version = number_of(args[1].lstrip("v")) if len(args) > 1 else None
            if version is None:  # "ack 3": the version they have in front of them
                versions = self.db.versions(number) if self._readable(event, number) else []
                version = versions[-1]["version"] if versions else None
            return self.acknowledge(event, number, version)
        if sub in ("comment", "propose") and number is not None:
            saving = len(args) > 1 and args[1].casefold() == "save"
            return self.respond(event, sub, number, saving)
        if sub in ("export", "markdown"):
            return self.export(event, number)
        if sub in ("confirm", "refuse", "withdraw") and number is not None:
            return self.answer_manager(event, sub, number)
        if sub == "help" or (sub in SUBCOMMANDS and sub not in ("new", "for")):
            return compose("expectations/help.j2", which=sub != "help")
        # `expectations @bob`, `expectations for bob`, `expectations new`
        named = [a for a in words if a.casefold() not in ("for", "new")]
        return self.new_form(event, " ".join(named))

    # ---- who is who -----------------------------------------------------------------

    def _readable(self, event: Event, number: int) -> dict[str, Any] | None:
        found = self.db.expectation(number)
        if found is None or event.user not in (found["manager"], found["employee"]):
            return None
        return found

    # ---- describing -----------------------------------------------------------------

    def _described(self, expectation: dict[str, Any], reader: str) -> dict[str, Any]:
        zone = self.zone(reader)
        events = self.db.events(expectation["id"])  # oldest first: the first is when

        def first(version: int, what: str) -> str | None:
            return next(
                (e["at"] for e in events if e["version"] == version and e["what"] == what), None
            )

        versions = []
        for v in self.db.versions(expectation["id"]):
            fw: Framework | None = self.lookup.index.by_id.get(v["framework"])
            behaviour = fw.behaviour(v["behaviour"]) if fw and v["behaviour"] else None
            level = fw.level(v["level"]) if fw and v["level"] else None
            versions.append(
                {
                    **v,
                    "kind_label": KINDS.get(v["kind"], v["kind"]),
                    "competency": f"{behaviour.label}, {level.label} ({fw.short_name})"
                    if behaviour and level and fw
                    else "",
                    "lookup": f"behaviour {behaviour.id} level {level.id}"
                    if behaviour and level
                    else "",
                    "starts_shown": show_date(v["starts"]) if v["starts"] else "",
                    "due_shown": show_date(v["due"]) if v["due"] else "",
                    "communicated": first(v["version"], "communicated"),
                    "acknowledged": first(v["version"], "acknowledged"),
                }
            )
        names = {
            expectation["manager"]: expectation["manager_name"],
            expectation["employee"]: expectation["employee_name"],
        }
        manager, employee = expectation["manager_name"], expectation["employee_name"]

        def line(what: str, **values: Any) -> str:
            return compose(
                "expectations/history_line.j2",
                what=what,
                manager=manager,
                employee=employee,
                **values,
            ).plain_text()

        history = [
            (v["set_at"], v["version"], 0, line("version", v=v, by=names.get(v["set_by"], "?")))
            for v in versions
        ]
        for n, e in enumerate(events, 1):
            said = line(
                e["what"], who=names.get(e["person"], ""), version=e["version"], text=e["text"]
            )
            history.append((e["at"], e["version"], n, said))
        history.sort(key=lambda h: (h[0], h[1], h[2]))
        return {
            "e": expectation,
            "history": [(zone.show(at), line) for at, _, _, line in history],
            "versions": versions,
            "current": versions[-1],
            "events": events,
            "names": names,
            "role": "manager" if reader == expectation["manager"] else "employee",
            "status": _status(events),
            "standing": self.db.standing(expectation["manager"], expectation["employee"]),
            "when": zone.show,
            "zone": zone,
        }

    def listing(self, user: str) -> Reply:
        described = [self._described(e, user) for e in self.db.between(user)]
        return compose(
            "expectations/list.j2",
            mine=[d for d in described if d["role"] == "employee"],
            set=[d for d in described if d["role"] == "manager"],
            when=self.zone(user).show,
        )

    def show(self, event: Event, number: int, **extra: Any) -> Reply:
        found = self._readable(event, number)
        if found is None:
            return compose("expectations/not_yours.j2", number=number)
        return compose("expectations/show.j2", **self._described(found, event.user), **extra)

    # ---- setting and changing, by the manager ---------------------------------------

    def new_form(self, event: Event, typed: str = "") -> Reply:
        employee = ""
        note = ""
        people = [p for p in event.people if not p.problem and p.identity != event.user]
        if len(people) == 1:  # a mention the platform resolved
            employee = people[0].identity
        elif typed.startswith(f"{event.user.rsplit(':', 1)[0]}:"):
            employee = typed.split()[0]  # "set another" for the same person
        elif typed and names_typed(event.user):
            names, bad = parse_names(typed)
            if len(names) == 1 and not bad:
                employee = identity_of(names[0], event.user)
            else:
                note = "one-person"
        elif typed:
            note = "use-picker"
        if employee == event.user:
            employee, note = "", "self"
        if employee and self.db.standing(event.user, employee) in ("refused", "withdrawn"):
            return self._not_their_manager(event.user, employee)
        return self._form(event, None, {"employee": employee}, {}, note=note)

    def _closed(self, expectation: dict[str, Any]) -> bool:
        """Whether an expectation can no longer be changed: it is void, or counted but
        its employee has since said its manager is not theirs."""
        status = _status(self.db.events(expectation["id"]))
        standing = self.db.standing(expectation["manager"], expectation["employee"])
        return status == "void" or (status == "" and standing in ("refused", "withdrawn"))

    def _not_their_manager(self, manager: str, employee: str) -> Reply:
        """Someone the employee said is not their manager (or no longer is)."""
        return compose(
            "expectations/not_their_manager.j2",
            name=self.name_of(employee),
            standing=self.db.standing(manager, employee),
        )

    def change_form(self, event: Event, number: int) -> Reply:
        found = self._readable(event, number)
        if found is None or found["manager"] != event.user:
            if found is not None:
                return self.show(event, number, said="manager-only")
            return compose("expectations/not_yours.j2", number=number)
        if self._closed(found):
            return self.show(event, number, said="not-their-manager")
        current = self.db.versions(number)[-1]
        values = {k: current[k] for k in ("kind", "text", "standards", "starts", "due")}
        values["version"] = str(current["version"])
        fw = self.lookup.index.by_id.get(current["framework"])
        behaviour = fw.behaviour(current["behaviour"]) if fw and current["behaviour"] else None
        level = fw.level(current["level"]) if fw and current["level"] else None
        values["competency"] = (
            f"{behaviour.label} {level.label} {fw.short_name}" if fw and behaviour and level else ""
        )
        return self._form(event, found, values, {})

    def _form(
        self,
        event: Event,
        expectation: dict[str, Any] | None,
        values: dict[str, str],
        errors: dict[str, str],
        note: str = "",
    ) -> Reply:
        kinds = tuple(Choice(label, key) for key, label in KINDS.items())
        asked = [
            step
            for step in FORM
            if (step.name != "employee" or expectation is None)
            and (step.name != "reason" or expectation is not None)
        ]
        fields = [
            replace(
                step,
                label=_wording(step.name, "label"),
                hint=_wording(step.name, "hint"),
                value=values.get(step.name, "") or "",
                error=errors.get(step.name, ""),
                options=kinds if step.kind == "choice" else (),
            )
            for step in asked
        ]
        number = expectation["id"] if expectation else None
        reply = compose(
            "expectations/form.j2",
            number=number,
            employee_name=expectation["employee_name"] if expectation else "",
            refused=bool(errors),
            note=note,
        )
        form = Form(
            title=f"Change expectation {number}" if number else "Set an expectation",
            fields=tuple(fields),
            submit=f"expectations save {number} from {values.get('version', '')}".strip()
            if number
            else "expectations save",
            command=f"expectations change {number}" if number else "expectations new",
            submit_label="Send",
            open_label="Open the form",
            ask_filled=number is not None,
        )
        return replace(reply, form=form)

    def save(self, event: Event, number: int | None, base: int | None = None) -> Reply:
        expectation = self._readable(event, number) if number is not None else None
        if number is not None and (expectation is None or expectation["manager"] != event.user):
            if expectation is not None:
                return self.show(event, number, said="manager-only")
            return compose("expectations/not_yours.j2", number=number)
        if expectation is not None and self._closed(expectation):
            return self.show(event, expectation["id"], said="not-their-manager")
        if event.fields is None:
            return self.change_form(event, number) if number else self.new_form(event)
        if number is not None and base is not None:
            latest = self.db.versions(number)[-1]["version"]
            if latest != base:  # a second submission, or a change made meanwhile
                return self.show(event, number, said="moved-on", base=base)
        values = form_values(event)
        errors: dict[str, str] = {}
        person = None
        if expectation is None:
            chosen = picked_person(event, "employee")
            if chosen is None or isinstance(chosen, str):
                errors["employee"] = why("expectations/why.j2", f"employee-{chosen or 'none'}")
            elif self.db.standing(event.user, chosen.identity) in ("refused", "withdrawn"):
                return self._not_their_manager(event.user, chosen.identity)
            else:
                person = chosen
        for name in FIELDS:  # in order: an end date is read from its start
            values[name], refused = self._check_field(event, name, values)
            if refused:
                errors[name] = refused
        if errors:
            return self._form(event, expectation, values, errors)
        kind, text, standards = values["kind"], values["text"], values["standards"]
        linked: dict[str, str] = {}
        if values["competency"]:
            found = resolve_query(self.lookup.index, values["competency"])
            assert isinstance(found, BehaviourView) and found.level is not None
            linked = {
                "framework": found.framework.id,
                "behaviour": found.behaviour.id,
                "level": found.level.id,
            }
        dates = {"starts": values["starts"], "due": values["due"]}
        content = {
            "kind": kind,
            "text": text,
            "standards": standards,
            **linked,
            **dates,
            "reason": values.get("reason", "") if expectation else "",
        }
        if expectation is None:
            assert person is not None
            same = self._just_set(event.user, person.identity, content)
            if same is not None:  # the same form submitted twice: set once
                held = _status(self.db.events(same)) == "pending"
                return self.show(event, same, said="pending" if held else "set")
            number = self.db.create(
                manager=Person(event.user, self.name_of(event.user)), employee=person
            )
            said = "set"
        else:
            assert number is not None
            said = "changed"
        version = self.db.add_version(number, set_by=event.user, **content)
        found = self.db.expectation(number)
        assert found is not None
        standing = self.db.standing(found["manager"], found["employee"])
        if said == "set" and standing != "confirmed":  # held until the employee says
            if standing != "asked":
                self.db.manager_event(found["manager"], found["employee"], "asked", event.user)
            self.db.record(number, version, "awaiting-manager", event.user)
            question = compose(
                "expectations/confirm_manager.j2", **self._described(found, found["employee"])
            )
            self.outbox.queue(
                found["employee"], f"expect-ask-{number}", replies_to_json([question])
            )
            return self.show(event, number, said="pending")
        if said == "changed" and _status(self.db.events(number)) == "pending":
            return self.show(event, number, said="changed-pending")  # sent once confirmed
        told = compose(
            "expectations/sent_to_employee.j2",
            **self._described(found, found["employee"]),
            version=version,
        )
        self.outbox.queue(found["employee"], f"expect-{number}-v{version}", replies_to_json([told]))
        return self.show(event, number, said=said)

    def check(self, event: Event, submit: str, name: str, values: dict[str, str]) -> Checked:
        if submit.split()[:2] == ["expectations", "save"]:
            if name == "employee":
                return self._check_employee(event, values.get(name, ""))
            return self._check_field(event, name, values)
        if submit.split()[:1] == ["expectations"] and name == "text":  # a comment, a change
            return self.words_within(name, values, MAX_WORDS, needed=True)
        return values.get(name, ""), ""

    def _check_employee(self, event: Event, employee: str) -> Checked:
        """The person an expectation is for, named where it is asked (the terminal):
        not the speaker, nor someone who said the speaker is not their manager."""
        if employee == event.user:
            return "", why("expectations/why.j2", "self")
        if employee and self.db.standing(event.user, employee) in ("refused", "withdrawn"):
            return "", why("expectations/why.j2", "not-their-manager")
        return employee, ""

    def _check_field(self, event: Event, name: str, values: dict[str, str]) -> Checked:
        """A field of an expectation, checked where it is asked: its kind, its text, the
        behaviour and level of a competency, the standard of an assignment, the dates."""
        kind = values.get("kind", "")
        value = values.get(name, "")
        if name == "kind":
            return value, "" if value in KINDS else why("expectations/why.j2", "kind")
        if name == "text":
            if not value:
                return value, why("expectations/why.j2", "text")
            return self.words_within(name, values, MAX_WORDS, needed=True)
        if name == "competency":
            if kind != "competency":
                return "", ""
            if not value:
                return value, why("expectations/why.j2", "competency-needed")
            found = resolve_query(self.lookup.index, value)
            if not isinstance(found, BehaviourView) or found.level is None:
                return value, why("expectations/why.j2", "competency")
            return value, ""
        if name == "standards":
            if kind != "assignment":
                return "", ""
            if not value:
                return value, why("expectations/why.j2", "standards")
            return self.words_within(name, values, MAX_WORDS, needed=True)
        if name == "reason":
            return self.words_within(name, values, MAX_WORDS, needed=False)
        if name in ("starts", "due"):
            return self.date_of(event, name, values)
        return value, ""

    def _just_set(self, manager: str, employee: str, content: dict[str, str]) -> int | None:
        """An expectation this manager set for this person with this very content in
        the last ten minutes (a resubmitted form), if any."""
        since = (self.store.now() - timedelta(minutes=10)).isoformat(timespec="seconds")
        return self.db.same_since(manager, employee, content, since)

    # ---- what happened to it --------------------------------------------------------

    def delivered(self, key: str) -> None:
        """A direct message was delivered: when it carried an expectation, that version
        was communicated (inside the caller's transaction)."""
        match = _KEY.match(key)
        if match:
            number, version = int(match.group(1)), int(match.group(2))
            found = self.db.expectation(number)
            if found is not None:
                self.db.record(number, version, "communicated", found["employee"])

    def undelivered(self, key: str, reason: str) -> None:
        """An expectation (or the question that came with it) could not be delivered:
        recorded, and the manager told."""
        match = _KEY.match(key) or _ASK.match(key)
        if not match:
            return
        number = int(match.group(1))
        found = self.db.expectation(number)
        if found is None:
            return
        version = (
            int(match.group(2)) if match.re is _KEY else self.db.versions(number)[-1]["version"]
        )
        if not self.db.record(number, version, "undelivered", "", reason):
            return
        note = compose(
            "expectations/undelivered.j2",
            **self._described(found, found["manager"]),
            version=version,
            reason=reason,
        )
        self.outbox.queue(
            found["manager"], f"expect-undelivered-{number}-v{version}", replies_to_json([note])
        )

    def acknowledge(self, event: Event, number: int, version: int | None) -> Reply:
        found = self._readable(event, number)
        if found is None:
            return compose("expectations/not_yours.j2", number=number)
        if found["employee"] != event.user:
            return self.show(event, number, said="employee-only")
        if _status(self.db.events(number)):  # pending or void: nothing to acknowledge
            return self.show(event, number)
        latest = self.db.versions(number)[-1]["version"]
        if version is None or version != latest:
            stale = version is not None and version < latest
            return self.show(event, number, said="changed-since" if stale else "")
        already = self.db.when(number, version, "acknowledged")
        if already:
            return self.show(event, number, said="already-acknowledged")
        self.db.record(number, version, "communicated", event.user)  # they have seen it
        self.db.record(number, version, "acknowledged", event.user)
        told = compose(
            "expectations/acknowledged.j2",
            **self._described(found, found["manager"]),
            version=version,
        )
        self.outbox.queue(
            found["manager"], f"expect-ack-{number}-v{version}", replies_to_json([told])
        )
        return self.show(event, number, said="acknowledged")

    def respond(self, event: Event, what: str, number: int, saving: bool) -> Reply:
        """A comment (either side) or a proposed change (the employee)."""
        found = self._readable(event, number)
        if found is None:
            return compose("expectations/not_yours.j2", number=number)
        if what == "propose" and found["employee"] != event.user:
            return self.show(event, number, said="employee-only")
        if _status(self.db.events(number)):  # pending or void: no messages either way
            return self.show(event, number)
        text, error = "", ""
        if saving and event.fields is not None:
            text, error = self.words_within("text", form_values(event), MAX_WORDS, needed=True)
            if not error:
                version = self.db.versions(number)[-1]["version"]
                kind = "proposal" if what == "propose" else "comment"
                if self.db.record(number, version, kind, event.user, text):
                    other = (
                        found["manager"] if event.user == found["employee"] else found["employee"]
                    )
                    told = compose(
                        "expectations/response.j2",
                        **self._described(found, other),
                        what=kind,
                        author=self.name_of(event.user),
                        text=text,
                    )
                    key = f"expect-{kind}-{number}-{len(self.db.events(number))}"
                    self.outbox.queue(other, key, replies_to_json([told]))
                return self.show(event, number, said=kind)
        field = Field(
            "text",
            "The change you propose" if what == "propose" else "Your comment",
            value=text,
            error=error,
            hint="The deadline clashes with the audit: could it be April?"
            if what == "propose"
            else "",
        )
        reply = compose(
            "expectations/respond_form.j2",
            **self._described(found, event.user),
            what=what,
        )
        form = Form(
            "Propose a change" if what == "propose" else "Comment",
            (field,),
            f"expectations {what} {number} save",
            f"expectations {what} {number}",
            "Send",
            "Write it",
        )
        return replace(reply, form=form)

    # ---- whether the person who set it is the employee's manager --------------------

    def answer_manager(self, event: Event, answer: str, number: int) -> Reply:
        """The employee's answer to "X says they are your manager", from one of X's
        expectations: `confirm`, `refuse` (not my manager) or `withdraw` (a confirmation
        given before). Recorded once, noted on the expectations it touches, and X told."""
        found = self._readable(event, number)
        if found is None:
            return compose("expectations/not_yours.j2", number=number)
        if found["employee"] != event.user:
            return self.show(event, number, said="employee-only")
        manager, employee = found["manager"], found["employee"]
        standing = self.db.standing(manager, employee)
        wanted = {"confirm": "confirmed", "refuse": "refused", "withdraw": "withdrawn"}[answer]
        allowed = {
            "confirmed": standing != "confirmed",
            "refused": standing in ("", "asked"),  # after a confirmation: withdraw
            "withdrawn": standing == "confirmed",
        }[wanted]
        if not allowed:  # a double click, or a stale button: nothing recorded
            return self.show(event, number, said=f"already-{standing or 'none'}")
        answered = self.db.manager_event(manager, employee, wanted, employee)
        touched = []
        for other in self.db.between(employee):
            if other["manager"] != manager or other["employee"] != employee:
                continue
            status = _status(self.db.events(other["id"]))
            latest = self.db.versions(other["id"])[-1]["version"]
            if wanted == "withdrawn" and status == "":
                self.db.record(other["id"], latest, "manager-withdrawn", employee)
            elif wanted != "withdrawn" and status == "pending":
                what = "manager-confirmed" if wanted == "confirmed" else "manager-refused"
                self.db.record(other["id"], latest, what, employee)
                touched.append(other["id"])
                if wanted == "confirmed" and other["id"] != number:  # sent on now
                    told = compose(
                        "expectations/sent_to_employee.j2",
                        **self._described(other, employee),
                        version=latest,
                    )
                    key = f"expect-{other['id']}-v{latest}"
                    self.outbox.queue(employee, key, replies_to_json([told]))
        if wanted == "confirmed" and number in touched:  # they have it in front of them
            latest = self.db.versions(number)[-1]["version"]
            self.db.record(number, latest, "communicated", employee)
        note = compose(
            "expectations/manager_answer.j2",
            **self._described(found, manager),
            answer=wanted,
            touched=sorted(touched),
        )
        self.outbox.queue(manager, f"expect-manager-{answered}", replies_to_json([note]))
        return self.show(event, number, said=wanted)

    def export(self, event: Event, number: int | None) -> Reply:
        if number is not None:
            found = self._readable(event, number)
            if found is None:
                return compose("expectations/not_yours.j2", number=number)
            chosen = [found]
        else:
            chosen = self.db.between(event.user)
        return compose(
            "expectations/markdown.j2",
            all=[self._described(e, event.user) for e in chosen],
            number=number,
            reader=self.name_of(event.user),
            when=self.zone(event.user).show,
        )
