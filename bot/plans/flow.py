"""Development plans: what a person will develop, how, by when, and how it is going.

As in the DHS SES Candidate Development Program (seed 001): a 360 report points at gaps,
the person writes a plan with a mentor, and progress is looked at at intervals. Each
person has one plan (`plan`), whose items are a behaviour and the level aimed for, the
gap in a sentence, an activity (formal training, a developmental assignment, mentoring,
or another), dates and a status. Items come from a closed 360 report's gaps or are added
one by one.

The owner may name a mentor, who can open the plan and comment on it; nobody else can
see it, and a former mentor no longer can. Check-ins (`checkins.py`) are rows in the
schedule, run by `tick` whatever restarts happen: the bot asks the owner about each open
item at the interval they chose, records what they say, and sends the mentor a short
summary.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.clock import iso, show_date
from bot.commands import words_of
from bot.feedback import FeedbackFlow, activity_for, identity_of, names_typed, parse_names
from bot.frameworks import Behaviour, Framework, Level
from bot.lookup import BehaviourView, Lookup, resolve_query
from bot.plans.checkins import MAX_NOTE_WORDS, OPEN, STATUSES, CheckIns
from bot.plans.store import PlanStore
from bot.records import (
    Checked,
    PersonalFlow,
    form_values,
    number_of,
    picked_person,
    why,
)
from bot.render import chart_markdown, charts_of, compose
from bot.storage import Store
from bot.types import Choice, Event, Field, Form, Person, Reply, replies_to_json

VERBS = words_of("plan")
ACTIVITIES = {
    "training": "Formal training",
    "assignment": "A developmental assignment",
    "mentoring": "Mentoring",
    "other": "Something else",
}
MAX_GAP_WORDS = 60
MAX_ITEMS = 20
# A plan item's form, a field a step: asked in this order one at a time (the terminal),
# shown at once on Slack and Teams, and checked field by field (`_check_item`). What
# each asks is in prompts/plans/item_fields.j2.
ITEM_FORM = (
    Field("behaviour", "", names_behaviour=True),
    Field("gap", ""),
    Field("activity", "", kind="choice"),
    Field("activity_other", "", optional=True, only_if="activity=other"),
    Field("starts", "", optional=True, kind="date"),
    Field("due", "", optional=True, kind="date"),
)
ITEM_FIELDS = tuple(step.name for step in ITEM_FORM)


def _wording(field: str, part: str) -> str:
    """A plan item field's label or hint."""
    return compose("plans/item_fields.j2", field=field, part=part).plain_text()


class PlanFlow(PersonalFlow):
    name = "plan"
    verbs = VERBS
    private_only = "plans/private_only.j2"

    def __init__(self, lookup: Lookup, store: Store, feedback: FeedbackFlow):
        super().__init__(lookup, store)
        self.db = PlanStore(store)
        self.reports = feedback  # 360 reports, to start a plan from
        self.checkins = CheckIns(self)

    # ---- routing --------------------------------------------------------------------

    def command(self, event: Event, words: list[str]) -> Reply:
        sub = words[0].casefold() if words else ""
        args = words[1:]
        number = number_of(args[0]) if args else None
        if sub in ("", "open", "show", "view") and not args:
            return self.view(self._own(event), event.user)
        if sub in ("open", "show", "view") and number is not None:
            return self._open(event, number)
        if sub.isdigit():
            return self._open(event, number_of(sub) or 0)
        if sub in ("add", "new"):
            return self._item_form(event, query=" ".join(args))
        if sub == "edit" and number is not None:
            return self._edit(event, number)
        if sub == "save":
            return self._save(event, number)
        if sub == "item" and number is not None:
            return self._item(event, number)
        if sub == "status" and number is not None and len(args) > 1:
            return self._status(event, number, " ".join(args[1:]).casefold())
        if sub == "from":
            return self._from_360(event, args)
        if sub == "mentor":
            return self._mentor(event, args)
        if sub in ("checkins", "checkin", "check-ins", "check-in"):
            return self.checkins.command(event, args)
        if sub == "progress":
            return self.checkins.progress(event, args)
        if sub == "comment":
            return self._comment(event, args)
        if sub in ("export", "markdown"):
            return self._export(event, number)
        return compose("plans/help.j2")

    # ---- whose plan -----------------------------------------------------------------

    def _own(self, event: Event) -> dict[str, Any]:
        plan = self.db.plan_of(event.user)
        return plan if plan else self.db.create(Person(event.user, self.name_of(event.user)))

    def _readable(self, event: Event, plan_id: int) -> dict[str, Any] | None:
        """Plan `plan_id` when the speaker owns it or is its mentor; else None (and the
        reply is the same whether or not it exists)."""
        plan = self.db.plan(plan_id)
        if plan is None or event.user not in (plan["owner"], plan["mentor"]):
            return None
        return plan

    def _open(self, event: Event, plan_id: int) -> Reply:
        plan = self._readable(event, plan_id)
        if plan is None:
            return compose("plans/not_yours.j2", number=plan_id)
        return self.view(plan, event.user)

    # ---- describing -----------------------------------------------------------------

    def _behaviour(
        self, item: dict[str, Any]
    ) -> tuple[Framework | None, Behaviour | None, Level | None]:
        fw = self.lookup.index.by_id.get(item["framework"])
        behaviour = fw.behaviour(item["behaviour"]) if fw else None
        level = fw.level(item["level"]) if fw else None
        return fw, behaviour, level

    def _described(self, plan: dict[str, Any], reader: str) -> dict[str, Any]:
        zone = self.zone(reader)
        items = []
        notes = self.db.notes(plan["id"])
        for item in self.db.items(plan["id"]):
            fw, behaviour, level = self._behaviour(item)
            history = [n for n in notes if n["item"] == item["number"]]
            progress = [n for n in history if n["kind"] == "progress"]
            items.append(
                {
                    **item,
                    "label": behaviour.label if behaviour else item["behaviour"],
                    "framework_name": fw.short_name if fw else item["framework"],
                    "level_label": level.label if level else item["level"],
                    "activity_label": ACTIVITIES.get(item["activity"], item["activity"]),
                    "starts_shown": show_date(item["starts"]) if item["starts"] else "",
                    "due_shown": show_date(item["due"]) if item["due"] else "",
                    "latest": progress[-1] if progress else None,
                    "history": history,
                }
            )
        upcoming = self.db.next_checkin(plan["id"]) if plan["every_days"] else None
        answered, asked = self.db.checkins_answered(plan["id"])
        return {
            "plan": plan,
            "items": items,
            "comments": [n for n in notes if n["kind"] == "comment"],
            "mine": reader == plan["owner"],
            "owner_name": plan["owner_name"],
            "mentor_name": plan["mentor_name"],
            "every_weeks": (plan["every_days"] or 0) // 7,
            "every": _every(plan["every_days"] or 0),
            "next_checkin": zone.show(upcoming["due_at"]) if upcoming else "",
            "when": zone.show,
            "has_360": bool(
                [r for r in self.reports.db.requests_of(plan["owner"]) if r["status"] == "closed"]
            ),
            "mentoring": self.db.mentored_by(reader) if reader == plan["owner"] else [],
            "status_order": STATUSES,
            "checkins_answered": answered,
            "checkins_asked": asked,
        }

    def view(self, plan: dict[str, Any], reader: str, **extra: Any) -> Reply:
        return compose("plans/plan.j2", **self._described(plan, reader), **extra)

    # ---- items ----------------------------------------------------------------------

    def _item_form(
        self,
        event: Event,
        *,
        query: str = "",
        number: int | None = None,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Reply:
        plan = self._own(event)
        if number is None and values is None and len(self.db.items(plan["id"])) >= MAX_ITEMS:
            return compose("plans/too_many.j2", most=MAX_ITEMS)
        values = values if values is not None else {"behaviour": query[:80]}
        errors = errors or {}

        activities = tuple(Choice(label, key) for key, label in ACTIVITIES.items())
        fields = tuple(
            replace(
                step,
                label=_wording(step.name, "label"),
                hint=_wording(step.name, "hint"),
                value=values.get(step.name, ""),
                error=errors.get(step.name, ""),
                options=activities if step.kind == "choice" else (),
            )
            for step in ITEM_FORM
        )
        reply = compose("plans/item_form.j2", number=number, refused=bool(errors))
        form = Form(
            title=f"Plan item {number}" if number else "Add to your plan",
            fields=fields,
            submit=f"plan save {number}" if number else "plan save",
            command=f"plan edit {number}" if number else "plan add",
            submit_label="Save",
            open_label="Open the form",
            ask_filled=number is not None,
        )
        return replace(reply, form=form)

    def _edit(self, event: Event, number: int) -> Reply:
        plan = self._own(event)
        item = self.db.item(plan["id"], number)
        if item is None:
            return compose("plans/no_item.j2", number=number)
        _, behaviour, level = self._behaviour(item)
        values = {
            "behaviour": f"{behaviour.label if behaviour else item['behaviour']} "
            f"{level.label if level else item['level']}",
            "gap": item["gap"],
            "activity": item["activity"] if item["activity"] in ACTIVITIES else "other",
            "activity_other": "" if item["activity"] in ACTIVITIES else item["activity"],
            "starts": item["starts"],
            "due": item["due"],
        }
        return self._item_form(event, number=number, values=values)

    def _save(self, event: Event, number: int | None) -> Reply:
        plan = self._own(event)
        if number is not None and self.db.item(plan["id"], number) is None:
            return compose("plans/no_item.j2", number=number)
        if event.fields is None:
            return self._edit(event, number) if number else self._item_form(event)
        values = form_values(event)
        errors: dict[str, str] = {}
        for name in ITEM_FIELDS:  # in order: an end date is read from its start
            values[name], refused = self._check_item(event, name, values)
            if refused:
                errors[name] = refused
        if errors:
            return self._item_form(event, number=number, values=values, errors=errors)
        found = resolve_query(self.lookup.index, values["behaviour"])
        assert isinstance(found, BehaviourView) and found.level is not None
        activity = values["activity"]
        fields = {
            "framework": found.framework.id,
            "behaviour": found.behaviour.id,
            "level": found.level.id,
            "gap": values["gap"],
            # something else is kept as the person words it
            "activity": values["activity_other"] if activity == "other" else activity,
            "starts": values["starts"],
            "due": values["due"],
        }
        same = [
            i["number"]
            for i in self.db.items(plan["id"])
            if all(i[k] == fields[k] for k in ("behaviour", "level", "gap"))
        ]
        if number is None and same:  # the same form submitted twice: added once
            number, said = same[0], "added"
        elif number is None:
            number = self.db.add_item(plan["id"], **fields)
            said = "added"
        else:
            self.db.update_item(plan["id"], number, **fields)
            said = "changed"
        plan = self.db.plan(plan["id"])
        assert plan is not None
        return self.view(plan, event.user, said=said, said_item=number)

    def check(self, event: Event, submit: str, name: str, values: dict[str, str]) -> Checked:
        if submit.split()[:2] == ["plan", "save"]:
            return self._check_item(event, name, values)
        if submit.startswith("plan progress ") and name.startswith("progress-"):
            return self.words_within(name, values, MAX_NOTE_WORDS, needed=False)
        if submit.startswith("plan comment "):
            return self.words_within(name, values, MAX_NOTE_WORDS, needed=True)
        return values.get(name, ""), ""

    def _check_item(self, event: Event, name: str, values: dict[str, str]) -> Checked:
        """A field of a plan item, checked where it is asked: the behaviour and the
        level aimed for, the gap, how (and, for something else, what), the dates."""
        value = values.get(name, "")
        if name == "behaviour":
            found = resolve_query(self.lookup.index, value) if value else None
            if not isinstance(found, BehaviourView):
                return value, why("plans/why.j2", "behaviour")
            if found.level is None:
                levels = found.framework.levels_of(found.behaviour)
                return value, why(
                    "plans/why.j2", "level", behaviour=found.behaviour, top=levels[-1]
                )
            return value, ""
        if name == "gap":
            return self.words_within(name, values, MAX_GAP_WORDS, needed=True)
        if name == "activity":
            return value, "" if value in ACTIVITIES else why("plans/why.j2", "activity")
        if name == "activity_other":
            if values.get("activity") != "other":
                return "", ""
            return self.words_within(name, values, MAX_GAP_WORDS, needed=True)
        if name in ("starts", "due"):
            return self.date_of(event, name, values)
        return value, ""

    def _item(self, event: Event, number: int) -> Reply:
        plan = self._own(event)
        described = self._described(plan, event.user)
        item = next((i for i in described["items"] if i["number"] == number), None)
        if item is None:
            return compose("plans/no_item.j2", number=number)
        return compose("plans/item.j2", **described, item=item, statuses=STATUSES)

    def _status(self, event: Event, number: int, status: str) -> Reply:
        plan = self._own(event)
        item = self.db.item(plan["id"], number)
        if item is None:
            return compose("plans/no_item.j2", number=number)
        if status not in STATUSES:
            return self._item(event, number)
        if status != item["status"]:
            self.db.update_item(plan["id"], number, status=status)
            self.db.note(
                plan["id"],
                item=number,
                author=event.user,
                author_name=self.name_of(event.user),
                kind="status",
                text=f"{item['status']} → {status}",
            )
        return self._item(event, number)

    # ---- from a 360 report ----------------------------------------------------------

    def _from_360(self, event: Event, args: list[str]) -> Reply:
        closed = [r for r in self.reports.db.requests_of(event.user) if r["status"] == "closed"]
        words = [a for a in args if a.casefold() not in ("360", "request", "report")]
        number = number_of(words[0]) if words else None
        if number is None:
            return compose("plans/which_360.j2", requests=[self.reports._about(r) for r in closed])
        request = next((r for r in closed if r["id"] == number), None)
        if request is None:  # someone else's, still open, or none: said the same way
            return compose("plans/no_360.j2", number=number)
        plan = self._own(event)
        about = self.reports._about(request)
        report = self.reports.built_report(request)
        fw: Framework | None = about["framework"]
        level: Level | None = about["level"]
        if fw is None or level is None:
            return compose("plans/no_360.j2", number=number)
        already = {i["behaviour"] for i in self.db.items(plan["id"]) if i["status"] in OPEN}
        added, kept = [], []
        for gap in report.gaps:
            behaviour = fw.behaviour(gap)
            if behaviour is None:
                continue
            if gap in already:
                kept.append(behaviour.label)
                continue
            above = [lv for lv in fw.levels_of(behaviour) if lv.rank > level.rank]
            target = above[0] if above else level
            result = next(r for r in report.behaviours if r.behaviour == gap)
            sentence = compose(
                "plans/gap_sentence.j2",
                behaviour=behaviour,
                mean=result.mean or 0,
                scale=about["scale"],
                self_rating=result.self_rating,
            ).plain_text()
            self.db.add_item(
                plan["id"],
                framework=fw.id,
                behaviour=gap,
                level=target.id,
                gap=sentence,
                activity=activity_for(result.mean or 0, result.self_rating, about["scale"]),
                source=f"360 request {number}",
            )
            added.append(behaviour.label)
        plan = self.db.plan(plan["id"])
        assert plan is not None
        return self.view(
            plan, event.user, from_request=number, added=added, kept=kept, no_gaps=not report.gaps
        )

    # ---- the mentor -----------------------------------------------------------------

    def _mentor(self, event: Event, args: list[str]) -> Reply:
        plan = self._own(event)
        typed = " ".join(args)
        if typed.casefold() in ("none", "remove", "nobody", "off"):
            if plan["mentor"]:
                self._tell_former(plan)
                self.db.set_mentor(plan["id"], None)
                plan = self.db.plan(plan["id"])
                assert plan is not None
            return self.view(plan, event.user, said="no-mentor")
        mentioned = [p for p in event.people if p.identity != event.user]
        if typed and typed.casefold() != "set" and not names_typed(event.user):
            # Slack, Teams: a mentor only as the platform names them (a mention it
            # resolved, or its picker), never a typed name
            if len(mentioned) != 1:
                return self._mentor_form(event, plan, typed=typed[:80])
            event = replace(event, fields={"mentor": mentioned[0].identity})
        elif typed and typed.casefold() != "set":
            # the terminal: a name typed with the command, taken as the form would be
            names, bad = parse_names(typed)
            if bad or len(names) != 1:
                return self._mentor_form(event, plan, error=why("forms/why.j2", "one-person"))
            chosen_id = identity_of(names[0], event.user)
            event = replace(
                event, fields={"mentor": chosen_id}, people=(Person(chosen_id, names[0]),)
            )
        elif typed.casefold() != "set" or event.fields is None:
            return self._mentor_form(event, plan)
        chosen = picked_person(event, "mentor")
        if not isinstance(chosen, Person):
            problem = why("plans/why.j2", f"mentor-{chosen or 'none'}")
            return self._mentor_form(event, plan, error=problem)
        person = chosen
        if plan["mentor"] == person.identity:
            return self.view(plan, event.user, said="same-mentor")
        if plan["mentor"]:
            self._tell_former(plan)
        self.db.set_mentor(plan["id"], person)
        plan = self.db.plan(plan["id"])
        assert plan is not None
        told = compose("plans/mentor_named.j2", plan=plan, owner_name=plan["owner_name"])
        self.outbox.queue(
            person.identity,
            f"mentor-{plan['id']}-{person.identity}-{iso(self.store.now())}",
            replies_to_json([told]),
        )
        return self.view(plan, event.user, said="mentor")

    def _mentor_form(
        self, event: Event, plan: dict[str, Any], *, error: str = "", typed: str = ""
    ) -> Reply:
        field = Field(
            "mentor",
            "Your mentor",
            value="" if not event.forms else (plan["mentor"] or ""),
            hint="Someone more senior who has done what you are aiming for",
            kind="people",
            most=1,
            error=error,
        )
        reply = compose("plans/mentor_form.j2", plan=plan, refused=bool(error), typed=typed)
        form = Form("Your mentor", (field,), "plan mentor set", "plan mentor", "Save", "Choose")
        return replace(reply, form=form)

    def _tell_former(self, plan: dict[str, Any]) -> None:
        note = compose("plans/mentor_removed.j2", plan=plan)
        self.outbox.queue(
            plan["mentor"],
            f"unmentor-{plan['id']}-{plan['mentor']}-{iso(self.store.now())}",
            replies_to_json([note]),
        )

    # ---- comments -------------------------------------------------------------------

    def _comment(self, event: Event, args: list[str]) -> Reply:
        number = number_of(args[0]) if args else None
        plan = self._readable(event, number) if number is not None else self._own(event)
        if plan is None:
            return compose("plans/not_yours.j2", number=number)
        saving = len(args) > 1 and args[1].casefold() == "save"
        text = ""
        error = ""
        if saving and event.fields is not None:
            values = form_values(event)
            text, error = self.words_within("comment", values, MAX_NOTE_WORDS, needed=True)
            if not error:
                name = self.name_of(event.user)
                recorded = self.db.note(
                    plan["id"],
                    item=0,
                    author=event.user,
                    author_name=name,
                    kind="comment",
                    text=text,
                )
                other = plan["mentor"] if event.user == plan["owner"] else plan["owner"]
                if recorded and other:
                    told = compose(
                        "plans/comment_told.j2",
                        **self._described(plan, other),
                        author=name,
                        text=text,
                    )
                    key = f"comment-{plan['id']}-{len(self.db.notes(plan['id']))}"
                    self.outbox.queue(other, key, replies_to_json([told]))
                return self.view(plan, event.user, said="comment")
        field = Field(
            "comment",
            "Your comment",
            value=text,
            hint="What stands out, and what to try next",
            error=error,
        )
        reply = compose("plans/comment_form.j2", plan=plan, mine=plan["owner"] == event.user)
        form = Form(
            "Comment on the plan",
            (field,),
            f"plan comment {plan['id']} save",
            f"plan comment {plan['id']}",
            "Send",
            "Write a comment",
        )
        return replace(reply, form=form)

    # ---- export ---------------------------------------------------------------------

    def _export(self, event: Event, number: int | None) -> Reply:
        plan = self._readable(event, number) if number is not None else self._own(event)
        if plan is None:
            return compose("plans/not_yours.j2", number=number)
        described = self._described(plan, event.user)
        # the export's picture is the plan view's own, drawn from the same template
        charts = charts_of("plans/chart.j2", **described)
        picture = "\n\n".join(chart_markdown(chart) for chart in charts)
        return compose("plans/markdown.j2", **described, picture=picture)


def _every(days: int) -> str:
    return "week" if days == 7 else f"{days // 7} weeks"
