"""Practice: a question from a level's indicators, a free answer, its review and a
follow-up question; `practice save` keeps the answer as a new draft."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bot.commands import words_of
from bot.engine import Option, read
from bot.render import compose
from bot.star.drafting import MAX_PART_WORDS, Target, _without_flow, focus, no_answer, step_of
from bot.star.review import DEFAULT_TARGET, STAR, analyse
from bot.star.state import Practised, Practising
from bot.text import count_words, sentences
from bot.types import Event, Reply, without

PRACTICE_VERBS = words_of("practice")
# Where a follow-up question's answer goes in the example.
FOLLOW_UP_PART = {
    "we": "action",
    "evidence": "result",
    "gap": "action",
    "hardest": "action",
    "differently": "learned",
    "disagree": "action",
    "impact": "result",
}
# Indicators that describe rather than ask (the DHS SES texts: "The executive has…")
# are quoted in a practice question instead of being made into one.
_DESCRIBES = re.compile(r"^(?:the|his|her|his/her|success|a|an|this|their)\b", re.I)
# What an "I" indicator goes on with when it is not something done: "I am able to…".
_NOT_A_DOING = re.compile(
    r"^(?:am|is|are|was|were|have|has|can|could|will|would|he|she|he/she|it|they|we)\b", re.I
)
# Other words for the practice's choices, by what follows `practice` in their commands
# ("next": a new question, whose command names the behaviour and level).
ALIASES = {
    "again": ("again", "try again", "same question", "retry"),
    "save": ("save", "save it", "save the answer"),
    "stop": ("stop practice", "stop practicing", "end practice"),
    "next": (
        "another",
        "another one",
        "next",
        "next question",
        "new question",
        "different question",
    ),
}


class Practice:
    """The practice half of `StarFlow` (a mixin over its lookup and store)."""

    def practice_command(
        self, state: dict[str, Any], event: Event, rest: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        """`practice QUERY` asks a question; `practice save`, `practice again`, `practice
        stop` act on the practice under way."""
        word = rest.casefold()
        practice = Practising.of(state)
        if word in ("save", "again", "stop") and practice is None:
            return state, [compose("star/practice_none.j2")]
        if word == "stop":
            return self._practice_stop(state)
        if word == "save":
            return self._practice_save(state, event)
        if word == "again" or (not rest and practice is not None):
            assert practice is not None
            target = self._practice_target(practice)
            if target is None:
                return without(state, "practice"), [compose("star/practice_none.j2")]
            return self._practice_ask(state, target, practice.indicator % len(target.indicators))
        found = self._resolve(rest, verb="practice")
        if isinstance(found, Reply):
            return state, [found]
        practised = Practised.of(state) or Practised()
        asked = int(practised.counts.get(_path(found), 0))
        practised.counts[_path(found)] = asked + 1
        new_state = dict(_without_flow(state), practised=practised.dump())
        return self._practice_ask(new_state, found, asked % len(found.indicators))

    def _practice_stop(self, state: dict[str, Any]) -> tuple[dict[str, Any], list[Reply]]:
        practice = Practising.of(state)
        target = self._practice_target(practice) if practice else None
        path = practice.target if practice and target else None
        reply = compose("star/practice_stopped.j2", target=target, path=path)
        return without(state, "practice"), [reply]

    def _practice_target(self, practice: Practising) -> Target | None:
        fw_id, _, rest = practice.target.partition("/")
        behaviour_id, _, level_id = rest.partition("/")
        return self.target_of({"framework": fw_id, "behaviour": behaviour_id, "level": level_id})

    def _practice_question(self, target: Target, practice: Practising) -> Reply:
        """The question `practice` is about."""
        indicator = practice.indicator % len(target.indicators)
        phrase, style = practice_question(target.indicators[indicator])
        return compose(
            step_of("answer").asks,
            target=target,
            phrase=phrase,
            style=style,
            path=_path(target),
            number=indicator + 1,
            total=len(target.indicators),
        )

    def _practice_follow_up(self, target: Target, practice: Practising) -> Reply:
        """The follow-up question that waits, asked again (after a hint)."""
        review = analyse(practice.answer or {}, target.standard, target=DEFAULT_TARGET)
        key = practice.asked[-1] if practice.asked else "hardest"
        return compose(
            "star/practice_follow_up.j2",
            key=key,
            review=review,
            focus=focus,
            asked=target.indicators[practice.indicator % len(target.indicators)],
            path=practice.target,
        )

    def _practice_ask(
        self, state: dict[str, Any], target: Target, indicator: int
    ) -> tuple[dict[str, Any], list[Reply]]:
        practice = Practising(target=_path(target), indicator=indicator)
        return dict(state, practice=practice.dump()), [self._practice_question(target, practice)]

    def practice_answer(
        self, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], list[Reply]]:
        """What is typed while a practice question (or its follow-up) waits, read at the
        practice's one step: a choice (by number, label or alias) is pressed, a non-answer
        gets a hint and the question again, an answer is reviewed."""
        practice = Practising.of(state)
        assert practice is not None
        target = self._practice_target(practice)
        if target is None:
            return without(state, "practice"), [compose("star/practice_none.j2")]
        answered = practice.answer is not None
        offered = compose("star/_practice_choices.j2", path=practice.target, answered=answered)
        options = tuple(
            Option(c.label, c.command, ALIASES.get(c.command.partition(" ")[2], ALIASES["next"]))
            for c in offered.choices
        )
        said = read(step_of("answer"), event.text, options=options)
        if said.meaning == "stop":
            return self._practice_stop(state)
        if said.meaning == "picked":
            return self.step(state, replace(event, action=said.value))  # type: ignore[attr-defined]
        again = (
            [self._practice_follow_up(target, practice)]
            if answered
            else [self._practice_question(target, practice)]
        )
        if said.meaning == "help":  # then the question again, when none is answered yet
            return state, [compose("star/practice_help.j2", answered=answered), *again]
        if said.meaning == "refused" and said.problem != "needed":
            number = compose("star/bare_number.j2", part="answer", typed=said.text[:10])
            return state, [number, *again]
        if said.meaning != "answer" or no_answer(said.text):
            why = said.meaning if said.meaning == "back" else "non-answer"
            hint = compose("star/practice_hint.j2", why=why, answered=answered)
            return state, [hint, *again]
        text = said.text
        words = count_words(text)
        if words > MAX_PART_WORDS:
            reply = compose("star/too_long.j2", part="answer", words=words, limit=MAX_PART_WORDS)
            return state, [reply]
        parts: dict[str, str] = dict(practice.answer or {})
        asked = list(practice.asked)
        if practice.answer is None:
            result = analyse(text, target.standard, target=DEFAULT_TARGET)
            parts = dict(result.parts)
        else:  # the answer to the follow-up question adds to its part, within the limit
            so_far = sum(count_words(said) for said in parts.values())
            if so_far + words > MAX_PART_WORDS:
                reply = compose(
                    "star/too_long.j2", part="follow-up", words=so_far + words, limit=MAX_PART_WORDS
                )
                return state, [reply]
            part = FOLLOW_UP_PART.get(asked[-1] if asked else "", "action")
            parts[part] = (parts.get(part, "") + " " + text).strip()
            result = analyse(parts, target.standard, target=DEFAULT_TARGET)
        follow_up = next((k for k in result.follow_ups if k not in asked), None)
        if follow_up is None:
            follow_up = next((k for k in FOLLOW_UP_PART if k not in asked), None)
        if follow_up is not None:
            asked.append(follow_up)
        practice = replace(practice, answer=parts, asked=asked)
        reply = compose(
            "star/practice_review.j2",
            target=target,
            parts=parts,
            review=result,
            focus=focus,
            follow_up=follow_up,
            added=len(asked) > 1,
            path=practice.target,
            missing=[p for p in STAR if not parts.get(p)],
            asked=target.indicators[practice.indicator % len(target.indicators)],
        )
        return dict(state, practice=practice.dump()), [reply]

    def _practice_save(
        self, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], list[Reply]]:
        practice = Practising.of(state)
        target = self._practice_target(practice) if practice else None
        if practice is None or target is None or not practice.answer:
            return state, [compose("star/practice_help.j2", answered=False)]
        _, replies = self._save_answer(event, target, dict(practice.answer))
        return without(state, "practice"), replies

    def _save_answer(
        self, event: Event, target: Target, parts: dict[str, str], kind: str = "practice"
    ) -> tuple[int, list[Reply]]:
        """A practice answer (or, `kind` "mock", a mock interview's) kept as a new draft:
        its number, and the replies that say so and open it."""
        number = self._new_draft(event.user, target, parts)
        draft = self.store.draft(event.user, number)
        assert draft is not None
        saved = compose("star/practice_saved.j2", number=number, kind=kind)
        return number, [saved, self._opened(target, draft, event.forms)]


def _path(target: Target) -> str:
    return f"{target.framework.id}/{target.behaviour.id}/{target.level.id}"


def practice_question(indicator: str) -> tuple[str, str]:
    """(the phrase to ask about, how to ask it): "do" for what one does ("inspire and
    motivate teams…" from "Inspire and motivate teams…" or "I inspire…"); "you" for an
    indicator that speaks as "I" ("I am able to see things…. This enables me…" asks
    about "you are able to see things…", its first sentence in the second person);
    "quote" for a description ("He/she has exploited…", "Motivation and development of
    staff has been…"), quoted whole."""
    whole = indicator.strip().rstrip(".")
    text = re.sub(r"^I\s+", "", whole)
    if text != whole and (_NOT_A_DOING.match(text) or re.search(r"\b(?:I|me|my|myself)\b", text)):
        first = (sentences(whole) or [whole])[0].rstrip(".")
        return _SECOND_PERSON.sub(lambda m: _YOU[m.group(0).casefold()], first), "you"
    if (
        _DESCRIBES.match(text)
        or _NOT_A_DOING.match(text)
        or re.search(r"\b(?:is|are|was|were|has|have|had)\b", " ".join(text.split()[:6]))
    ):
        return whole, "quote"
    return text[:1].lower() + text[1:], "do"


_YOU = {"i am": "you are", "i'm": "you're", "i": "you", "me": "you", "my": "your",
        "myself": "yourself", "mine": "yours"}  # fmt: skip
_SECOND_PERSON = re.compile(r"\b(?:I am|I'm|I|me|my|myself|mine)\b", re.I)
