"""Check-ins on a development plan: how often (`plan checkins 2`), each one a row in the
schedule run by `run` whatever restarts happen, and the progress the owner records
(`plan progress`), of which the mentor gets a short summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import iso, working_moment
from bot.records import form_values, number_of, why
from bot.render import compose
from bot.types import Choice, Event, Field, Form, Reply, replies_to_json

if TYPE_CHECKING:
    from bot.plans.flow import PlanFlow

STATUSES = ("not started", "in progress", "done", "dropped")
OPEN = ("not started", "in progress")
MAX_NOTE_WORDS = 300
MAX_WEEKS = 12


class CheckIns:
    """A plan flow's check-ins and progress."""

    def __init__(self, flow: PlanFlow):
        self.flow = flow

    def command(self, event: Event, args: list[str]) -> Reply:
        """`plan checkins [N weeks | off]`: how often, or none."""
        plan = self.flow._own(event)
        words = [a.casefold() for a in args if a.casefold() not in ("every", "weeks", "week")]
        if not words:
            return compose("plans/checkins.j2", **self.flow._described(plan, event.user))
        if words[0] in ("off", "stop", "none", "0"):
            self.flow.db.cancel_checkins(plan["id"])
            self.flow.db.set_every(plan["id"], 0)
            plan = self.flow.db.plan(plan["id"])
            assert plan is not None
            return self.flow.view(plan, event.user, said="checkins-off")
        weeks = number_of(words[0])
        if weeks is None or not 1 <= weeks <= MAX_WEEKS:
            return compose(
                "plans/checkins.j2", **self.flow._described(plan, event.user), bad=words[0][:20]
            )
        self.flow.db.cancel_checkins(plan["id"])
        self.flow.db.set_every(plan["id"], weeks * 7)
        self.schedule(plan, self.flow.store.now() + timedelta(weeks=weeks))
        plan = self.flow.db.plan(plan["id"])
        assert plan is not None
        return self.flow.view(plan, event.user, said="checkins")

    def schedule(self, plan: dict[str, Any], moment: datetime) -> None:
        """The next check-in, in the owner's working hours where their time zone is known."""
        due = working_moment(moment, self.flow.zone(plan["owner"]).zone, moment + timedelta(days=4))
        checkin = self.flow.db.add_checkin(plan["id"], iso(due))
        self.flow.outbox.schedule("checkin", checkin, iso(due))

    def run(self, checkin_id: int, at: datetime) -> None:
        """A check-in that is due (inside the caller's transaction): the owner is asked
        about each open item, and the next one is scheduled."""
        checkin = self.flow.db.checkin(checkin_id)
        if checkin is None or checkin["cancelled_at"] or checkin["asked_at"]:
            return
        plan = self.flow.db.plan(checkin["plan_id"])
        if plan is None or not plan["every_days"]:
            return
        self.flow.db.mark_asked(checkin_id)
        described = self.flow._described(plan, plan["owner"])
        open_items = [i for i in described["items"] if i["status"] in OPEN]
        if open_items:
            ask = compose("plans/checkin.j2", **described, open_items=open_items, checkin=checkin)
            self.flow.outbox.queue(plan["owner"], f"checkin-{checkin_id}", replies_to_json([ask]))
        following = datetime.fromisoformat(checkin["due_at"]) + timedelta(days=plan["every_days"])
        self.schedule(plan, max(following, at + timedelta(hours=1)))

    def progress(self, event: Event, args: list[str]) -> Reply:
        """`plan progress [N]`: what the owner did on each open item, as asked by check-in N
        or of their own accord; the mentor gets a summary."""
        plan = self.flow._own(event)
        number = number_of(args[0]) if args else None
        saving = len(args) > 1 and args[1].casefold() == "save"
        checkin = self.flow.db.checkin(number) if number is not None else None
        if number is not None and (checkin is None or checkin["plan_id"] != plan["id"]):
            return compose("plans/no_checkin.j2", number=number)
        described = self.flow._described(plan, event.user)
        open_items = [i for i in described["items"] if i["status"] in OPEN]
        if not open_items:
            return compose("plans/nothing_open.j2", **described)
        if checkin is not None and checkin["answered_at"]:
            return compose(
                "plans/checkin_done.j2",
                **described,
                answered=described["when"](checkin["answered_at"]),
            )
        if checkin is None:  # a check-in of the person's own accord
            number = self.flow.db.add_checkin(plan["id"], iso(self.flow.store.now()), own=True)
            checkin = self.flow.db.checkin(number)
            assert checkin is not None
        if not saving or event.fields is None:
            return self._form(described, open_items, checkin)
        values = form_values(event)
        errors: dict[str, str] = {}
        for item in open_items:
            key = f"progress-{item['number']}"
            _, refused = self.flow.words_within(key, values, MAX_NOTE_WORDS, needed=False)
            if refused:
                errors[key] = refused
            if values.get(f"status-{item['number']}", item["status"]) not in STATUSES:
                errors[f"status-{item['number']}"] = why("plans/why.j2", "status")
        changed = [
            i
            for i in open_items
            if values.get(f"progress-{i['number']}")
            or values.get(f"status-{i['number']}", i["status"]) != i["status"]
        ]
        if not changed and not errors:
            first = open_items[0]["number"]
            errors[f"progress-{first}"] = why("plans/why.j2", "nothing")
        if errors:
            return self._form(described, open_items, checkin, values, errors)
        if not self.flow.db.mark_answered(checkin["id"]):
            return compose(
                "plans/checkin_done.j2",
                **described,
                answered=described["when"](checkin["answered_at"]),
            )
        name = self.flow.name_of(event.user)
        for item in changed:
            said = values.get(f"progress-{item['number']}", "")
            status = values.get(f"status-{item['number']}", item["status"])
            notes = [("progress", said)] if said else []
            if status != item["status"]:
                self.flow.db.update_item(plan["id"], item["number"], status=status)
                notes.append(("status", f"{item['status']} → {status}"))
            for kind, text in notes:
                self.flow.db.note(
                    plan["id"],
                    item=item["number"],
                    author=event.user,
                    author_name=name,
                    kind=kind,
                    text=text,
                    checkin_id=checkin["id"],
                )
        if plan["mentor"]:
            summary = compose(
                "plans/checkin_summary.j2",
                **self.flow._described(plan, plan["mentor"]),
                now_iso=iso(self.flow.store.now()),
                changed=[
                    (
                        i,
                        values.get(f"progress-{i['number']}", ""),
                        values.get(f"status-{i['number']}", i["status"]),
                    )
                    for i in changed
                ],
            )
            self.flow.outbox.queue(
                plan["mentor"], f"checkin-{checkin['id']}-summary", replies_to_json([summary])
            )
        plan = self.flow.db.plan(plan["id"])
        assert plan is not None
        return self.flow.view(plan, event.user, said="progress")

    def _form(
        self,
        described: dict[str, Any],
        open_items: list[dict[str, Any]],
        checkin: dict[str, Any],
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Reply:
        values = values or {}
        errors = errors or {}
        fields: list[Field] = []
        for item in open_items:
            key = item["number"]
            fields.append(
                Field(
                    f"progress-{key}",
                    f"{key}. {item['label']}: what did you do, and how did it go?",
                    value=values.get(f"progress-{key}", ""),
                    optional=True,
                    error=errors.get(f"progress-{key}", ""),
                    hint="Led the planning day; next, chair the review",
                )
            )
            fields.append(
                Field(
                    f"status-{key}",
                    f"{key}. {item['label']}: status",
                    value=values.get(f"status-{key}", item["status"]),
                    kind="choice",
                    options=tuple(Choice(s.capitalize(), s) for s in STATUSES),
                    error=errors.get(f"status-{key}", ""),
                )
            )
        reply = compose(
            "plans/progress_form.j2", **described, open_items=open_items, refused=bool(errors)
        )
        form = Form(
            "Check-in",
            tuple(fields),
            f"plan progress {checkin['id']} save",
            f"plan progress {checkin['id']}",
            "Save",
            "Record progress",
        )
        return replace(reply, form=form)
