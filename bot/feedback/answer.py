"""360 feedback, a peer's side: answering a request, one question at a time in a chat
or in one form (a Slack modal, a Teams card), changeable until the request closes."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bot.feedback.report import Scale, scale_for
from bot.lookup import Lookup
from bot.records import PeopleStore, form_values
from bot.render import compose
from bot.storage import FeedbackStore, Store
from bot.text import count_words
from bot.types import Choice, Event, Field, Form, Reply, without

MAX_COMMENT_WORDS = 300
STOP_WORDS = frozenset({"cancel", "stop", "quit", "exit"})
SKIP_WORDS = frozenset({"skip", "none", "no", "nobody", "-"})
CANNOT_SAY = (
    "i can't say",
    "can't say",
    "cannot say",
    "i cannot say",
    "i cant say",
    "cant say",
    "don't know",
    "dont know",
    "n/a",
)

_BARE_NUMBER = re.compile(r"^[#(]?\d{1,2}[.)]?$")


def _back(answering: dict[str, Any]) -> dict[str, Any]:
    """The question before the current one of a peer's answer (the first stays put)."""
    part, index = answering["part"], answering["index"]
    if part == "example":
        return dict(answering, part="rate")
    if part == "rate" and index > 0:
        return dict(answering, part="example", index=index - 1)
    if part == "keep":
        return dict(answering, part="example", index=index)
    if part == "develop":
        return dict(answering, part="keep")
    return answering


class Answering:
    """The peer's side of `FeedbackFlow`: a request described, and answered."""

    lookup: Lookup
    store: Store
    db: FeedbackStore
    people: PeopleStore

    def _about(self, request: dict[str, Any]) -> dict[str, Any]:
        """A request, described for its templates."""
        fw = self.lookup.index.by_id.get(request["framework"])
        level = fw.level(request["level"]) if fw else None
        behaviours = [fw.behaviour(b) for b in request["behaviours"]] if fw else []
        return {
            "request": request,
            "framework": fw,
            "level": level,
            "behaviours": [b for b in behaviours if b],
            "deadline": request["deadline"][:10],
            "scale": scale_for(request["framework"]),
        }

    def peer_command(
        self, state: dict[str, Any], event: Event, sub: str, number: int
    ) -> tuple[dict[str, Any], list[Reply]]:
        peer = self.db.peer(number, event.user)
        request = self.db.request(number) if peer else None
        if peer is None or request is None:  # never say whether someone else's exists
            return state, [compose("feedback/not_yours.j2", number=number)]
        about = self._about(request)
        if request["status"] != "open":
            return state, [compose("feedback/closed.j2", **about)]
        if sub == "later":
            return state, [compose("feedback/later.j2", **about)]
        if sub == "decline":
            self.db.set_peer_status(number, event.user, "declined")
            return without(state, "answering"), [compose("feedback/declined.j2", **about)]
        if event.forms:  # the whole answer in one form: a Slack modal, a Teams card
            return without(state, "answering"), [self._answer_form(about, peer)]
        answering = {
            "request": number,
            "index": 0,
            "part": "rate",
            "ratings": {},
            "examples": {},
        }
        new_state = dict(without(without(state, "feedback"), "star"), answering=answering)
        return new_state, [self._question(about, answering, changing=peer["status"] == "answered")]

    def _answer_form(
        self,
        about: dict[str, Any],
        peer: dict[str, Any],
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Reply:
        """Every question of a request in one form, holding the peer's earlier answer
        (or what they just submitted, with why it was refused)."""
        request, scale = about["request"], about["scale"]
        errors = errors or {}
        if values is None:
            values = {f"rate-{b}": str(r) for b, r in peer["ratings"].items()}
            if peer["status"] == "answered":  # "I can't say" is an answer too
                for b in about["behaviours"]:
                    values.setdefault(f"rate-{b.id}", "0")
            values |= {f"example-{b}": t for b, t in peer["examples"].items()}
            values |= {"keep": peer["keep"] or "", "develop": peer["develop"] or ""}
        options = (
            *(Choice(label, str(n)) for n, label in enumerate(scale.labels, 1)),
            Choice("I can't say", "0"),
        )
        name = request["requester_name"]
        fields: list[Field] = []
        for b in about["behaviours"]:
            fields.append(
                Field(
                    f"rate-{b.id}",
                    b.label,
                    value=values.get(f"rate-{b.id}", ""),
                    kind="choice",
                    options=options,
                    error=errors.get(f"rate-{b.id}", ""),
                )
            )
            fields.append(
                Field(
                    f"example-{b.id}",
                    f"An example of {b.label} you have seen (optional)",
                    value=values.get(f"example-{b.id}", ""),
                    optional=True,
                    error=errors.get(f"example-{b.id}", ""),
                )
            )
        for key, label in (("keep", "keep doing"), ("develop", "develop")):
            fields.append(
                Field(
                    key,
                    f"One thing {name} should {label} (optional)"
                    if key == "keep"
                    else f"One thing {name} could {label} (optional)",
                    value=values.get(key, ""),
                    optional=True,
                    error=errors.get(key, ""),
                )
            )
        reply = compose(
            "feedback/answer_form.j2",
            **about,
            changing=peer["status"] == "answered",
            refused=bool(errors),
        )
        form = Form(
            title=f"Feedback for {name}"[:24],
            fields=tuple(fields),
            submit=f"360 submit {request['id']}",
            command=f"360 answer {request['id']}",
            submit_label="Send",
            open_label="Answer now",
        )
        return replace(reply, form=form)

    def submit(
        self, state: dict[str, Any], event: Event, number: int
    ) -> tuple[dict[str, Any], list[Reply]]:
        """A submitted answer form: all of it checked first, then saved whole. A second
        submission (a double click, a resubmitted form) replaces the answer, never adds."""
        peer = self.db.peer(number, event.user)
        request = self.db.request(number) if peer else None
        if peer is None or request is None:
            return state, [compose("feedback/not_yours.j2", number=number)]
        about = self._about(request)
        if request["status"] != "open":
            return state, [compose("feedback/closed.j2", **about)]
        if event.fields is None:
            return state, [self._answer_form(about, peer)]
        values = form_values(event)
        errors: dict[str, str] = {}
        ratings: dict[str, int] = {}
        examples: dict[str, str] = {}
        top = about["scale"].top
        for b in about["behaviours"]:
            rating = values.get(f"rate-{b.id}", "")
            if not (rating.isascii() and rating.isdigit() and 0 <= int(rating) <= top):
                errors[f"rate-{b.id}"] = "Choose a rating, or I can't say."
            elif int(rating):
                ratings[b.id] = int(rating)
            if example := values.get(f"example-{b.id}", ""):
                examples[b.id] = example
        for key, text in values.items():
            if count_words(text) > MAX_COMMENT_WORDS:
                errors[key] = (
                    f"That is {count_words(text):,} words: keep it to {MAX_COMMENT_WORDS}."
                )
        if errors:
            return state, [self._answer_form(about, peer, values, errors)]
        self.db.save_answer(
            number,
            event.user,
            ratings=ratings,
            examples=examples,
            keep=values.get("keep", ""),
            develop=values.get("develop", ""),
        )
        return without(state, "answering"), [compose("feedback/thanks.j2", **about)]

    def _question(
        self, about: dict[str, Any], answering: dict[str, Any], changing: bool = False
    ) -> Reply:
        behaviours = about["behaviours"]
        index = answering["index"]
        behaviour = behaviours[index] if index < len(behaviours) else None
        return compose(
            "feedback/question.j2",
            **about,
            part=answering["part"],
            behaviour=behaviour,
            position=index + 1,
            text=behaviour.texts.get(about["level"].id) if behaviour and about["level"] else "",
            changing=changing,
        )

    def _answering(
        self, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], dict[str, Any]] | Reply:
        """(answering state, the request described) while the request is still open."""
        answering = state["answering"]
        request = self.db.request(answering["request"])
        peer = self.db.peer(answering["request"], event.user)
        if request is None or peer is None:
            return compose("feedback/not_yours.j2", number=answering["request"])
        if request["status"] != "open":
            return compose("feedback/closed.j2", **self._about(request))
        return answering, self._about(request)

    def rate(
        self, state: dict[str, Any], event: Event, number: int, behaviour: str, rating: int
    ) -> tuple[dict[str, Any], list[Reply]]:
        current = state.get("answering")
        if current is None or current["request"] != number:
            return self.peer_command(state, event, "answer", number)
        found = self._answering(state, event)
        if isinstance(found, Reply):
            return without(state, "answering"), [found]
        answering, about = found
        ids = [b.id for b in about["behaviours"]]
        index = answering["index"]
        if answering["part"] != "rate" or index >= len(ids) or ids[index] != behaviour:
            return state, [self._question(about, answering)]  # a stale button
        if not 0 <= rating <= about["scale"].top:
            return state, [self._question(about, answering)]
        ratings = dict(answering["ratings"])
        if rating:
            ratings[behaviour] = rating  # 0: "I can't say"
        answering = dict(answering, ratings=ratings, part="example")
        return dict(state, answering=answering), [self._question(about, answering)]

    def answer_typed(
        self, state: dict[str, Any], event: Event, typed: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        found = self._answering(state, event)
        if isinstance(found, Reply):
            return without(state, "answering"), [found]
        answering, about = found
        word = typed.casefold().rstrip(".!")
        if word in STOP_WORDS:
            return self.cancel(state)
        part = answering["part"]
        if word == "back":
            answering = _back(answering)
            return dict(state, answering=answering), [self._question(about, answering)]
        if word == "help" or (part != "rate" and _BARE_NUMBER.match(word)):
            # a question, or a number pressed twice: never filed as an answer
            problem = "help" if word == "help" else "number"
            said = compose("feedback/answer_help.j2", problem=problem, typed=typed[:20])
            return state, [said, self._question(about, answering)]
        if part == "rate":
            scale: Scale = about["scale"]
            labels = {label.casefold(): n for n, label in enumerate(scale.labels, 1)}
            labels.update(dict.fromkeys(CANNOT_SAY, 0))
            word = word.replace("’", "'")
            behaviour = about["behaviours"][answering["index"]].id
            if word in labels:
                return self.rate(state, event, answering["request"], behaviour, labels[word])
            return state, [compose("feedback/pick_rating.j2"), self._question(about, answering)]
        if count_words(typed) > MAX_COMMENT_WORDS:
            reply = compose(
                "feedback/too_long.j2", words=count_words(typed), most=MAX_COMMENT_WORDS
            )
            return state, [reply]
        text = "" if word in SKIP_WORDS else typed
        if part == "example":
            behaviour = about["behaviours"][answering["index"]].id
            examples = dict(answering["examples"])
            if text:
                examples[behaviour] = text
            following = answering["index"] + 1
            if following < len(about["behaviours"]):
                answering = dict(answering, examples=examples, index=following, part="rate")
            else:
                answering = dict(answering, examples=examples, part="keep")
            return dict(state, answering=answering), [self._question(about, answering)]
        if part == "keep":
            answering = dict(answering, keep=text, part="develop")
            return dict(state, answering=answering), [self._question(about, answering)]
        self.db.save_answer(
            answering["request"],
            event.user,
            ratings=answering["ratings"],
            examples=answering["examples"],
            keep=answering.get("keep", ""),
            develop=text,
        )
        return without(state, "answering"), [compose("feedback/thanks.j2", **about)]
