"""360 feedback, the requester's results: their requests listed, a request closed (early,
or by the schedule at its deadline), the anonymised report and its exports, the one
reminder to peers who have not answered, and a peer who cannot be reached. Part of
`FeedbackFlow` (bot/feedback/request.py); the report itself is bot/feedback/report.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.clock import iso, working_moment, zone_for
from bot.feedback.answer import Answering
from bot.feedback.report import (
    Earlier,
    PeerAnswer,
    Report,
    Scale,
    aggregates_csv,
    build_report,
    earlier_from_json,
    effective_threshold,
    scale_for,
)
from bot.frameworks import Framework
from bot.render import chart_markdown, chart_svg, charts_of, compose
from bot.star.review import indicators
from bot.text import one_line
from bot.types import Event, Reply, replies_to_json


def activity_for(result_mean: float, self_rating: int | None, scale: Scale) -> str:
    """A starter development activity for a gap: formal training for a wide gap, a
    mentor where the person rates themselves well above their peers (a blind spot), a
    developmental assignment otherwise. A template key."""
    if self_rating is not None and self_rating - result_mean >= 1:
        return "mentoring"
    if result_mean <= (scale.top + 1) / 2 - 0.5:
        return "training"
    return "assignment"


def offerable(answered: list[dict[str, Any]], threshold: int | None, behaviour: str) -> bool:
    """Whether a closed request's examples may be offered as material at all. The report
    keeps each behaviour's examples apart, shuffled; the material is the report's less
    those of peers who did not agree. So the peers who agreed must be at least the
    threshold (else the material ties a few people's examples together across
    behaviours), and those who wrote examples but did not agree none or at least the
    threshold (else the difference between report and material singles them out); and
    when some did not agree, those who agreed and wrote examples at least the threshold
    too (else the material is a few people's examples, picked out of the report). The
    last two hold on the request as a whole and on `behaviour` alone, whose examples are
    the ones offered."""
    least = effective_threshold(threshold)
    agreed = [p for p in answered if p["consent"]]

    def apart(wrote_on: Callable[[dict[str, Any]], bool]) -> bool:
        wrote = sum(1 for p in agreed if wrote_on(p))
        refused = sum(1 for p in answered if not p["consent"] and wrote_on(p))
        return refused == 0 or min(refused, wrote) >= least

    return (
        len(agreed) >= least
        and apart(lambda p: any(p["examples"].values()))
        and apart(lambda p: bool(p["examples"].get(behaviour)))
    )


class Results(Answering):
    """The requester's side of `FeedbackFlow` once a request is sent."""

    # ---- describing a request -------------------------------------------------------

    def listing(self, user: str, building: bool = False) -> Reply:
        """The person's requests, those waiting for their answer, those they manage; and
        whether one is being put together (`building`: under way or paused)."""
        mine = self.db.requests_of(user)
        progress = {r["id"]: self._progress(r["id"]) for r in mine}
        asked = [(p, self.db.request(p["request_id"])) for p in self.db.asked_of(user)]
        managed = self.db.requests_managed_by(user)
        return compose(
            "feedback/list.j2",
            mine=[self._about(r) for r in mine],
            progress=progress,
            asked=[(p, self._about(r)) for p, r in asked if r],
            managed=[self._about(r) for r in managed],
            building=building,
        )

    def _progress(self, request_id: int) -> dict[str, int]:
        """What the requester and the manager may see of an open request: how many were
        asked and could not be reached. Nothing of the answers, not even whether enough
        have come for a report: watched, that would tell when the one that made enough
        came (and with accomplices answering first, whose it was). The unreachable are
        counted as the requester was told of them (by name), whatever they did since: a
        count that went down would tell that one of them, named, answered or declined."""
        peers = self.db.peers(request_id)
        delivered, queued = self.db.delivery(request_id)  # the asks only
        return {
            "unreachable": self.db.ever_unreachable(request_id),
            "total": len(peers),
            "delivered": delivered,
            "queued": queued,
        }

    # ---- the requester: closing, the report, exports -------------------------------

    def requester_command(
        self, state: dict[str, Any], event: Event, sub: str, number: int, args: list[str]
    ) -> tuple[dict[str, Any], list[Reply]]:
        request = self.db.request(number)
        may_see = request is not None and event.user in (request["requester"], request["manager"])
        if request is None or not may_see:
            return state, [compose("feedback/not_yours.j2", number=number)]
        about = self._about(request)
        if sub == "close":
            if request["requester"] != event.user:
                return state, [compose("feedback/not_yours.j2", number=number)]
            sure = [a.casefold() for a in args] == ["confirm"]
            # closing early is always asked first, the same whatever the answers so far:
            # a question asked only while too few had answered would tell when the
            # answer that made enough came
            if request["status"] == "open" and not sure:
                return state, [compose("feedback/close_early.j2", **about)]
            if not self.close(number, tell_requester=False):  # the reply is the report
                return state, [compose("feedback/closed.j2", **about)]
            request = self.db.request(number)
            assert request is not None
            return state, [self.report(request)]
        if request["status"] == "open":
            return state, [
                compose(
                    "feedback/still_open.j2",
                    **about,
                    progress=self._progress(number),
                    can_close=request["requester"] == event.user,
                )
            ]
        reader = "requester" if request["requester"] == event.user else "manager"
        if sub == "report":
            return state, [self.report(request, reader=reader)]
        if sub == "plan":
            return state, [self.report(request, kind="plan", reader=reader)]
        kind = args[0].casefold() if args else ""
        if kind in ("markdown", "md", "csv", "svg"):
            kind = "markdown" if kind == "md" else kind
            return state, [self.report(request, kind=kind, reader=reader)]
        if sub == "export":
            return state, [compose("feedback/export_which.j2", **about)]
        return state, [self.lookup.help("console", "360")]

    def close(self, request_id: int, *, tell_requester: bool = True) -> bool:
        """Close the request and send its report to the requester and the manager."""
        if not self.db.close(request_id):
            return False
        request = self.db.request(request_id)
        assert request is not None
        told = [(request["requester"], "requester")] if tell_requester else []
        if request["manager"]:
            told.append((request["manager"], "manager"))
            self.home_changed(request["manager"])
        for peer in self.db.peers(request_id):  # their homes offer it no longer
            self.home_changed(peer["peer"])
        for user, reader in told:
            self.db.queue(
                user,
                f"report-{request_id}-{user}",
                replies_to_json([self.report(request, reader=reader)]),
                request_id=request_id,
            )
        return True

    def built_report(self, request: dict[str, Any], earlier: list[Earlier] | None = None) -> Report:
        """The report of a closed request, compared with the requester's reports on the
        same framework that closed before it (`earlier`, or looked up)."""
        if earlier is None:
            earlier = self.history(request["requester"], before=request)
        peers = self.db.peers(request["id"])
        answered = [p for p in peers if p["status"] == "answered"]
        return build_report(
            request["behaviours"],
            request["self_ratings"],
            [
                PeerAnswer(
                    p["ratings"], p["examples"], p["keep"] or "", p["develop"] or "", p["peer"]
                )
                for p in answered
            ],
            asked=len(peers),
            scale=scale_for(request["framework"]),
            threshold=request["threshold"],
            seed=request["seed"],
            earlier=earlier,
        )

    def shared_examples(
        self, requester: str, framework: str, behaviour: str
    ) -> tuple[list[str], bool]:
        """The examples peers agreed may be offered to `requester` as material for their
        STAR examples on `behaviour`: from their own requests that have closed, only those
        their reports show (the report decides what is withheld), in the report's order
        (never the order people answered in), newest request first, never with a name;
        and whether a request's examples on it were held back (`offerable`)."""
        shared: list[str] = []
        held_back = False
        for request in self.db.requests_of(requester):  # newest first
            if request["status"] != "closed" or request["framework"] != framework:
                continue
            if behaviour not in request["behaviours"]:
                continue
            answered = [p for p in self.db.peers(request["id"]) if p["status"] == "answered"]
            agreed = Counter(  # as many times as peers who agreed wrote it
                one_line(p["examples"][behaviour])
                for p in answered
                if p["consent"] and p["examples"].get(behaviour)
            )
            report = self.built_report(request)
            shown = [e for r in report.behaviours if r.behaviour == behaviour for e in r.examples]
            if shown and not offerable(answered, request["threshold"], behaviour):
                held_back = True
                continue
            for example in shown:
                if agreed[example] > 0:
                    agreed[example] -= 1
                    shared.append(example)
        return shared, held_back

    def history(self, requester: str, before: dict[str, Any] | None = None) -> list[Earlier]:
        """What the requester's closed reports showed, in the order they closed (only
        those that closed before `before`), each compared with the ones before it: what
        a new report is compared with. Every framework's: the keep-doing and develop
        comments are the same questions whatever the framework (behaviours are compared
        by their ids, which are a framework's own). Reports whose requests were purged
        count too, by who was behind what they showed (kept for this alone)."""
        closed: list[tuple[str, int, dict[str, Any] | Earlier]] = [
            (r["closed_at"] or "", r["id"], r)
            for r in self.db.requests_of(requester)
            if r["status"] == "closed"
        ]
        for closed_at, shown in self.db.purged_history(requester):
            kept = earlier_from_json(shown)
            closed.append((closed_at, kept.request_id, kept))
        earlier: list[Earlier] = []
        for closed_at, number, r in sorted(closed, key=lambda c: (c[0], c[1])):
            if before is not None and (closed_at, number) >= (
                before["closed_at"] or "",
                before["id"],
            ):
                break
            if isinstance(r, Earlier):
                earlier.append(r)
            else:
                earlier.append(self.built_report(r, list(earlier)).as_earlier(number))
        return earlier

    def report(
        self, request: dict[str, Any], kind: str = "report", reader: str = "requester"
    ) -> Reply:
        """The report, worded for its `reader`: the requester, or their "manager"."""
        about = self._about(request)
        result = self.built_report(request)
        names = {b.id: b.label for b in about["behaviours"]}
        fw: Framework | None = about["framework"]
        pointers = {}
        activities = {}
        for gap in result.gaps:
            behaviour = fw.behaviour(gap) if fw else None
            if behaviour and about["level"]:
                above = (
                    [lv for lv in fw.levels_of(behaviour) if lv.rank > about["level"].rank]
                    if fw
                    else []
                )
                target = above[0] if above else about["level"]
                pointers[gap] = (target, indicators(behaviour.texts[target.id])[:3])
            found = next(r for r in result.behaviours if r.behaviour == gap)
            activities[gap] = activity_for(found.mean or 0, found.self_rating, about["scale"])
        template = {
            "report": "feedback/report.j2",
            "plan": "feedback/plan.j2",
            "markdown": "feedback/report_markdown.j2",
            "csv": "feedback/report_csv.j2",
            "svg": "feedback/report_svg.j2",
        }[kind]
        csv_text = aggregates_csv(result, names, about["scale"]) if kind == "csv" else ""
        # the exports' picture is the report's own, drawn from the same template
        charts = (
            charts_of("feedback/chart.j2", **about, result=result, names=names, reader=reader)
            if kind in ("markdown", "svg")
            else []
        )
        picture = {
            "markdown": "\n\n".join(chart_markdown(c) for c in charts),
            "svg": "\n".join(chart_svg(c) for c in charts),
        }.get(kind, "")
        reply = compose(
            template,
            **about,
            result=result,
            names=names,
            pointers=pointers,
            activities=activities,
            csv=csv_text,
            picture=picture,
            gap_names=[names.get(g, g) for g in result.gaps],
            reader=reader,
        )
        # an export is text to copy as it is: never rewrapped or restyled
        return replace(reply, copy=True) if kind in ("markdown", "csv", "svg") else reply

    # ---- the schedule ---------------------------------------------------------------

    def close_due(self, request_id: int, at: datetime) -> None:
        """The schedule's closing of a request at its deadline (when still open)."""
        request = self.db.request(request_id)
        if request is not None and request["status"] == "open":
            self.close(request_id)

    def remind_due(self, request_id: int, at: datetime) -> None:
        """The schedule's reminder to the peers of an open request who have not answered,
        each in their own working hours (before the deadline)."""
        request = self.db.request(request_id)
        if request is None or request["status"] != "open":
            return
        about = self._about(request)
        deadline = datetime.fromisoformat(request["deadline"])
        for peer in self.db.peers(request_id):
            if peer["status"] == "asked" and not peer["reminded_at"]:
                reminder = compose("feedback/reminder.j2", **about, name=peer["name"])
                known = self.people.get(peer["peer"])
                zone = zone_for(known.tz_name if known else "", peer["tz_offset"])
                due = working_moment(at, zone, deadline)
                self.db.queue(
                    peer["peer"],
                    f"remind-{request_id}-{peer['peer']}",
                    replies_to_json([reminder]),
                    request_id=request_id,
                    due=iso(due) if due > at else "",  # "": now
                )
                self.db.mark_reminded(request_id, peer["peer"])

    def unreachable(self, request_id: int | None, user: str, reason: str) -> None:
        """A direct message to `user` could not be delivered: a peer of a request is
        marked unreachable, and the requester told who (inside the caller's transaction)."""
        if request_id is None:
            return
        request = self.db.request(request_id)
        peer = self.db.peer(request_id, user) if request else None
        if request is None or peer is None or peer["status"] != "asked":
            return
        self.db.set_peer_status(request_id, user, "unreachable")
        note = compose(
            "feedback/unreachable.j2", **self._about(request), name=peer["name"], reason=reason
        )
        self.db.queue(
            request["requester"],
            f"unreachable-{request_id}-{user}",
            replies_to_json([note]),
            request_id=None,
        )
