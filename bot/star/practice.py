"""Practice: a question from a level's indicators, a free answer, its review and a
follow-up question; `practice save` keeps the answer as a new draft."""

from __future__ import annotations

import re
from typing import Any

from bot.render import compose
from bot.star.drafting import (
    _WORD_ONLY,
    MAX_PART_WORDS,
    STOP_WORDS,
    Target,
    _without_flow,
    focus,
)
from bot.star.review import DEFAULT_TARGET, STAR, find_parts, review
from bot.text import clean, count_words
from bot.types import Event, Reply, without

PRACTICE_VERBS = frozenset({"practice", "practise"})
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


class Practice:
    """The practice half of `StarFlow` (a mixin over its lookup and store)."""

    def practice_command(
        self, state: dict[str, Any], event: Event, rest: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        """`practice QUERY` asks a question; `practice save`, `practice again`, `practice
        stop` act on the practice under way."""
        word = rest.casefold()
        practice = state.get("practice")
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
            return self._practice_ask(state, target, practice["indicator"] % len(target.indicators))
        found = self._resolve(rest, verb="practice")
        if isinstance(found, Reply):
            return state, [found]
        path = f"{found.framework.id}/{found.behaviour.id}/{found.level.id}"
        counts = state.get("practised")
        counts = dict(counts) if isinstance(counts, dict) else {}
        asked = int(counts.get(path, 0))
        counts[path] = asked + 1
        new_state = dict(_without_flow(state), practised=counts)
        return self._practice_ask(new_state, found, asked % len(found.indicators))

    def _practice_stop(self, state: dict[str, Any]) -> tuple[dict[str, Any], list[Reply]]:
        target = self._practice_target(state.get("practice") or {})
        path = state.get("practice", {}).get("target") if target else None
        reply = compose("star/practice_stopped.j2", target=target, path=path)
        return without(state, "practice"), [reply]

    def _practice_target(self, practice: dict[str, Any]) -> Target | None:
        fw_id, _, rest = str(practice.get("target", "")).partition("/")
        behaviour_id, _, level_id = rest.partition("/")
        return self.target_of({"framework": fw_id, "behaviour": behaviour_id, "level": level_id})

    def _practice_ask(
        self, state: dict[str, Any], target: Target, indicator: int
    ) -> tuple[dict[str, Any], list[Reply]]:
        path = f"{target.framework.id}/{target.behaviour.id}/{target.level.id}"
        phrase, quoted = practice_question(target.indicators[indicator])
        practice = {"target": path, "indicator": indicator, "answer": None, "asked": []}
        reply = compose(
            "star/practice_question.j2",
            target=target,
            phrase=phrase,
            quoted=quoted,
            path=path,
            number=indicator + 1,
            total=len(target.indicators),
        )
        return dict(state, practice=practice), [reply]

    def practice_answer(
        self, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], list[Reply]]:
        practice = state["practice"]
        target = self._practice_target(practice)
        if target is None:
            return without(state, "practice"), [compose("star/practice_none.j2")]
        text = clean(event.text, keep_newlines=True, exact=True).strip()
        word = text.casefold().rstrip(".!")
        if _WORD_ONLY.match(text.casefold()) and word in STOP_WORDS:
            return self._practice_stop(state)
        if _WORD_ONLY.match(text.casefold()) and word == "help":
            return state, [compose("star/practice_help.j2", answered=bool(practice["answer"]))]
        if not text:
            return state, [compose("star/practice_help.j2", answered=bool(practice["answer"]))]
        words = count_words(text)
        if words > MAX_PART_WORDS:
            reply = compose("star/too_long.j2", part="answer", words=words, limit=MAX_PART_WORDS)
            return state, [reply]
        parts: dict[str, str] = dict(practice["answer"] or {})
        asked: list[str] = list(practice.get("asked", []))
        if practice["answer"] is None:
            parts = find_parts(text)
        else:  # the answer to the follow-up question adds to its part
            part = FOLLOW_UP_PART.get(asked[-1] if asked else "", "action")
            parts[part] = (parts.get(part, "") + " " + text).strip()
        result = review(parts, target.indicators, target=DEFAULT_TARGET)
        follow_up = next((k for k in result.follow_ups if k not in asked), None)
        if follow_up is None:
            follow_up = next((k for k in FOLLOW_UP_PART if k not in asked), None)
        if follow_up is not None:
            asked.append(follow_up)
        practice = dict(practice, answer=parts, asked=asked)
        reply = compose(
            "star/practice_review.j2",
            target=target,
            parts=parts,
            review=result,
            focus=focus,
            follow_up=follow_up,
            added=len(asked) > 1,
            path=practice["target"],
            missing=[p for p in STAR if not parts.get(p)],
            asked=target.indicators[practice["indicator"] % len(target.indicators)],
        )
        return dict(state, practice=practice), [reply]

    def _practice_save(
        self, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], list[Reply]]:
        practice = state["practice"]
        target = self._practice_target(practice)
        if target is None or not practice.get("answer"):
            return state, [compose("star/practice_help.j2", answered=False)]
        parts = dict(practice["answer"])
        number = self._new_draft(event.user, target, parts)
        draft = self.store.draft(event.user, number)
        assert draft is not None
        saved = compose("star/practice_saved.j2", number=number)
        return without(state, "practice"), [saved, self._opened(target, draft, event.forms)]


def practice_question(indicator: str) -> tuple[str, bool]:
    """(the phrase to ask about, whether it is quoted): "inspire and motivate teams…" from
    "Inspire and motivate teams…" (or "I inspire…"); a describing sentence is quoted."""
    text = re.sub(r"^I\s+", "", indicator.strip()).rstrip(".")
    if _DESCRIBES.match(text):
        return text, True
    return text[:1].lower() + text[1:], False
