"""360 feedback, a peer's side: answering a request, one question at a time in a chat
or in one form (a Slack modal, a Teams card), changeable until the request closes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.engine import Option, StaleState, Step, numbers_of, read
from bot.feedback.report import scale_for
from bot.feedback.state import AnswerDraft
from bot.lookup import Lookup
from bot.records import PeopleStore, form_values
from bot.render import compose
from bot.storage import FeedbackStore, Store
from bot.text import count_words
from bot.types import Choice, Event, Field, Form, Reply, without

MAX_COMMENT_WORDS = 300
# What a peer may type for "I can't say" beside the choice itself.
CANNOT_SAY = (
    "i can't say",
    "can't say",
    "cannot say",
    "i cannot say",
    "i cant say",
    "cant say",
    "don't know",
    "dont know",
    "i don't know",
)

# The questions of a peer's answer, in order: whether their examples may be shown to the
# requester (asked before any is written; skipped: no), a rating and an optional example
# per behaviour, then what to keep doing and what to develop. Each is asked by
# feedback/question.j2; its answer is read by the engine (`read`).
ANSWER_STEPS: tuple[Step, ...] = (
    Step("consent", "feedback/question.j2", "confirm", optional=True),  # skip: no
    Step("rate", "feedback/question.j2", "choice", optional=True),  # skip: can't say
    Step("example", "feedback/question.j2", "text", optional=True),
    Step("keep", "feedback/question.j2", "text", optional=True),
    Step("develop", "feedback/question.j2", "text", optional=True),
)
ANSWER_STEP = {s.name: s for s in ANSWER_STEPS}


def form_text(key: str, **values: Any) -> str:
    """A form's label, hint or title (feedback/_form_text.j2), as plain text."""
    return compose("feedback/_form_text.j2", key=key, **values).plain_text()


def _field_error(problem: str, **values: Any) -> str:
    """Why a field of the answer form was refused, shown beside it."""
    return compose("feedback/_field_error.j2", problem=problem, **values).plain_text()


def _back(answer: AnswerDraft) -> AnswerDraft | None:
    """The question before the current one of a peer's answer (None at the first)."""
    if answer.part == "example":
        return replace(answer, part="rate")
    if answer.part == "rate" and answer.index > 0:
        return replace(answer, part="example", index=answer.index - 1)
    if answer.part == "rate":
        return replace(answer, part="consent")
    if answer.part == "keep":
        return replace(answer, part="example")
    if answer.part == "develop":
        return replace(answer, part="keep")
    return None


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
        answer = AnswerDraft(request=number, consent=peer["consent"])
        paused = AnswerDraft.paused(state)
        if paused is not None and paused.request == number:  # taken up where it was
            answer = paused
        new_state = without(without(without(state, "feedback"), "star"), "answering-paused")
        new_state["answering"] = answer.dump()
        changing = peer["status"] == "answered" and answer.part == "consent"
        return new_state, [self._question(about, answer, changing=changing)]

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
            Choice(form_text("cannot-say"), "0"),
        )
        name = request["requester_name"]
        if "consent" not in values:  # as stored: no, unless they said yes
            values["consent"] = "yes" if peer["consent"] else "no"
        fields: list[Field] = [
            Field(
                "consent",
                form_text("consent", name=name),
                value=values["consent"],
                optional=True,
                kind="choice",
                options=(
                    Choice(form_text("consent-yes", name=name), "yes"),
                    Choice(form_text("consent-no"), "no"),
                ),
                error=errors.get("consent", ""),
            )
        ]
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
                    form_text("example", behaviour=b.label),
                    value=values.get(f"example-{b.id}", ""),
                    optional=True,
                    error=errors.get(f"example-{b.id}", ""),
                )
            )
        for key in ("keep", "develop"):
            fields.append(
                Field(
                    key,
                    form_text(key, name=name),
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
            title=form_text("answer-title", name=name)[:24],
            fields=tuple(fields),
            submit=f"360 submit {request['id']}",
            command=f"360 answer {request['id']}",
            submit_label=form_text("answer-send"),
            open_label=form_text("answer-open"),
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
        if values.get("consent", "") not in ("", "yes", "no"):
            errors["consent"] = _field_error("consent")
        for b in about["behaviours"]:
            rating = values.get(f"rate-{b.id}", "")
            if not (rating.isascii() and rating.isdigit() and 0 <= int(rating) <= top):
                errors[f"rate-{b.id}"] = _field_error("rating")
            elif int(rating):
                ratings[b.id] = int(rating)
            if example := values.get(f"example-{b.id}", ""):
                examples[b.id] = example
        for key, text in values.items():
            if count_words(text) > MAX_COMMENT_WORDS:
                errors[key] = _field_error(
                    "too-long", words=count_words(text), most=MAX_COMMENT_WORDS
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
            consent=values.get("consent") == "yes",  # left out: no
        )
        consent = values.get("consent") == "yes"
        return without(state, "answering"), [
            compose("feedback/thanks.j2", **about, consent=consent)
        ]

    def _question(
        self,
        about: dict[str, Any],
        answer: AnswerDraft,
        changing: bool = False,
        problem: str = "",
        typed: str = "",
    ) -> Reply:
        """The question waiting (after why the last answer was refused, or its help)."""
        behaviours = about["behaviours"]
        behaviour = behaviours[answer.index] if answer.index < len(behaviours) else None
        held = answer.examples.get(behaviour.id, "") if behaviour else ""
        if answer.part == "keep":
            held = answer.keep
        if answer.part == "consent":
            behaviour = None
        return compose(
            "feedback/question.j2",
            **about,
            part=answer.part,
            behaviour=behaviour,
            position=answer.index + 1,
            text=behaviour.texts.get(about["level"].id) if behaviour and about["level"] else "",
            changing=changing,
            problem=problem,
            typed=typed,
            held=held if answer.part in ("example", "keep") else "",
            consent=answer.consent,
        )

    def _answering(
        self, state: dict[str, Any], event: Event
    ) -> tuple[AnswerDraft, dict[str, Any]] | Reply:
        """(the answer in progress, the request described) while the request is open."""
        try:
            answer = AnswerDraft.of(state)
        except StaleState:  # never after the migrations
            answer = None
        if answer is None:
            return self.lookup.help("console", "360")
        request = self.db.request(answer.request)
        peer = self.db.peer(answer.request, event.user)
        if request is None or peer is None:
            return compose("feedback/not_yours.j2", number=answer.request)
        if request["status"] != "open":
            return compose("feedback/closed.j2", **self._about(request))
        return answer, self._about(request)

    def rate(
        self, state: dict[str, Any], event: Event, number: int, behaviour: str, rating: int
    ) -> tuple[dict[str, Any], list[Reply]]:
        try:
            current = AnswerDraft.of(state)
        except StaleState:
            current = None
        if current is None or current.request != number:
            return self.peer_command(state, event, "answer", number)
        found = self._answering(state, event)
        if isinstance(found, Reply):
            return without(state, "answering"), [found]
        answer, about = found
        ids = [b.id for b in about["behaviours"]]
        if answer.part != "rate" or answer.index >= len(ids) or ids[answer.index] != behaviour:
            return state, [self._question(about, answer)]  # a stale button
        if not 0 <= rating <= about["scale"].top:
            return state, [self._question(about, answer)]
        answer.ratings.pop(behaviour, None)
        if rating:
            answer.ratings[behaviour] = rating  # 0: "I can't say"
        answer.part = "example"
        return dict(state, answering=answer.dump()), [self._question(about, answer)]

    def pause_answer(self, state: dict[str, Any]) -> tuple[dict[str, Any], list[Reply]]:
        """`stop` while answering: nothing is recorded yet, what was typed is kept, and
        `360 answer N` takes it up again."""
        paused = without(state, "answering")
        try:
            answer = AnswerDraft.of(state)
        except StaleState:  # never after the migrations: nothing to keep
            answer = None
        if answer is None:
            return paused, [self.lookup.help("console", "360")]
        paused["answering-paused"] = answer.dump()
        return paused, [compose("feedback/answer_paused.j2", number=answer.request)]

    def answer_typed(
        self, state: dict[str, Any], event: Event, typed: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        """Typed text at the question waiting, read the engine's way."""
        found = self._answering(state, event)
        if isinstance(found, Reply):
            return without(state, "answering"), [found]
        answer, about = found
        step = ANSWER_STEP[answer.part]
        behaviour = about["behaviours"][min(answer.index, len(about["behaviours"]) - 1)].id
        options: list[Option] = []
        if answer.part == "rate":  # the ratings the question shows, by number or label
            for choice in self._question(about, answer).choices:
                rating = choice.command.rsplit(" ", 1)[-1]
                options.append(Option(choice.label, rating, CANNOT_SAY if rating == "0" else ()))
        if answer.part == "consent":  # Yes or No, by number or label, or yes, no, skip
            for choice in self._question(about, answer).choices:
                options.append(Option(choice.label, choice.command.rsplit(" ", 1)[-1]))
        held = {
            "consent": "yes" if answer.consent else "no",
            "rate": str(answer.ratings.get(behaviour, "")),
            "example": answer.examples.get(behaviour, ""),
            "keep": answer.keep,
        }.get(answer.part, "")
        said = read(step, typed.replace("’", "'"), options=options, current=held)
        match said.meaning:
            case "stop":
                return self.pause_answer(state)
            case "back":
                before = _back(answer)
                if before is None:
                    return state, [self._question(about, answer, problem="first")]
                return dict(state, answering=before.dump()), [self._question(about, before)]
            case "help":
                return state, [self._question(about, answer, problem="help")]
            case "refused":
                number = (numbers_of(said.text) or [0])[0]
                problem = "not-offered" if said.problem == "not-offered" else "pick"
                shown = str(number) if problem == "not-offered" else said.text[:20]
                return state, [self._question(about, answer, problem=problem, typed=shown)]
            case "yes" | "no" | "picked" | "keep" | "skip" if answer.part == "consent":
                given = said.meaning == "yes" or said.value == "yes"
                return self._consented(state, about, answer, given, event.user)
            case "picked" | "keep" | "skip" if answer.part == "rate":
                rating = int(said.value) if said.meaning != "skip" else 0
                return self.rate(state, event, answer.request, behaviour, rating)
        if answer.part == "consent":  # only yes or no answers it
            return state, [self._question(about, answer, problem="pick", typed=said.text[:20])]
        text = said.text if said.meaning in ("answer", "keep", "command") else ""
        if count_words(text) > MAX_COMMENT_WORDS:
            reply = compose("feedback/too_long.j2", words=count_words(text), most=MAX_COMMENT_WORDS)
            return state, [reply]
        if answer.part == "example":
            answer.examples.pop(behaviour, None)
            if text:
                answer.examples[behaviour] = text
            if answer.index + 1 < len(about["behaviours"]):
                answer.index, answer.part = answer.index + 1, "rate"
            else:
                answer.part = "keep"
            return dict(state, answering=answer.dump()), [self._question(about, answer)]
        if answer.part == "keep":
            answer.keep, answer.part = text, "develop"
            return dict(state, answering=answer.dump()), [self._question(about, answer)]
        self.db.save_answer(
            answer.request,
            event.user,
            ratings=answer.ratings,
            examples=answer.examples,
            keep=answer.keep,
            develop=text,
            consent=answer.consent,
        )
        thanks = compose("feedback/thanks.j2", **about, consent=answer.consent)
        return without(state, "answering"), [thanks]

    def _consented(
        self,
        state: dict[str, Any],
        about: dict[str, Any],
        answer: AnswerDraft,
        given: bool,
        user: str,
    ) -> tuple[dict[str, Any], list[Reply]]:
        """The answer to the first question (may the examples be shown?): kept with the
        answer in progress, and on to the first rating. Changing an answer already
        recorded, a no withdraws the consent at once, as `360 consent N no` does: the
        change may never be finished, and the answer recorded has examples."""
        moved = replace(answer, consent=given, part="rate", index=0)
        replies = [self._question(about, moved)]
        peer = self.db.peer(answer.request, user)
        if not given and peer is not None and peer["status"] == "answered" and peer["consent"]:
            self.db.set_consent(answer.request, user, False)
            told = compose(
                "feedback/consent.j2",
                **about,
                consent=False,
                closed=False,
                changed=True,
                answered=True,
                answering=True,
            )
            replies.insert(0, told)
        return dict(state, answering=moved.dump()), replies

    def consent_command(
        self, state: dict[str, Any], event: Event, number: int, said: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        """`360 consent N [yes|no]`: whether the peer's examples for request N may be
        shown to the requester (never with their name) as material for their STAR
        examples; shown, given or withdrawn while the request is open, never after. At
        the first question of an answer in progress it is that question's answer."""
        peer = self.db.peer(number, event.user)
        request = self.db.request(number) if peer else None
        if peer is None or request is None:  # never say whether someone else's exists
            return state, [compose("feedback/not_yours.j2", number=number)]
        about = self._about(request)
        try:
            answer = AnswerDraft.of(state)
        except StaleState:  # never after the migrations
            answer = None
        if answer is not None and answer.request != number:
            answer = None
        told = {
            "consent": answer.consent if answer is not None else peer["consent"],
            "closed": request["status"] != "open",
            "changed": False,
            "answered": peer["status"] == "answered",
            "answering": answer is not None,
        }
        word = said.casefold()
        if told["closed"]:
            return state, [compose("feedback/consent.j2", **about, **told)]
        if word not in ("yes", "no"):
            replies = [compose("feedback/consent.j2", **about, **told)]
            if answer is not None:  # and the question waiting, again
                replies.append(self._question(about, answer))
            return state, replies
        given = word == "yes"
        if answer is not None and answer.part == "consent":
            return self._consented(state, about, answer, given, event.user)
        if answer is not None:  # kept with the answer in progress, saved with it
            state = dict(state, answering=replace(answer, consent=given).dump())
        paused = AnswerDraft.paused(state)
        if paused is not None and paused.request == number:  # and with one paused
            state = dict(state, **{"answering-paused": replace(paused, consent=given).dump()})
        self.db.set_consent(number, event.user, given)
        told |= {"consent": given, "changed": True}
        replies = [compose("feedback/consent.j2", **about, **told)]
        if answer is not None:  # and the question waiting, again
            replies.append(self._question(about, replace(answer, consent=given)))
        return state, replies
