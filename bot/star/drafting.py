"""Interview preparation: guided drafting of STAR examples, saved as they are written.

A person starts with `prep leadership level 4` (also `prepare`, `star`, or the "Prepare
an example" choice under a definition). The bot shows what the level asks for, then asks
for the Situation, Task, Action and Result in turn (and, optionally, what they learned),
with short feedback after each answer; after the Result it shows the whole example and
the review (bot/star/review.py). Drafts are numbered per person (`drafts`, `draft 2`) and can
be opened, edited part by part, exported or deleted.

The flow's position lives in the conversation state (`{"draft": 2, "part": "task"}`) and
the draft in the `star_drafts` table; `StarFlow.step` reads and writes both inside the
caller's one transaction, so an answer is stored before the bot says so, and a restart
between any two messages resumes where the person was.

Commands that choices carry name drafts by number and parts by name:
`draft N`, `draft N edit PART`, `draft N continue`, `draft N review`,
`draft N export text|markdown`, `draft N delete [confirm]`, `prep FW/BEHAVIOUR/LEVEL`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.frameworks import Behaviour, Framework, Level
from bot.render import compose, environment
from bot.resolver import BehaviourView, resolve_query
from bot.star.review import (
    DEFAULT_TARGET,
    PARTS,
    STAR,
    example_words,
    indicators,
    review,
)
from bot.star.review import coverage as indicator_coverage
from bot.star.review import evidence as result_evidence
from bot.star.review import voice as part_voice
from bot.star.review import wording as part_wording
from bot.text import clean, count_words
from bot.types import Event, Reply, without

START_VERBS = frozenset({"prep", "prepare", "star"})
DRAFT_VERBS = frozenset({"draft", "drafts"})
STOP_WORDS = frozenset({"cancel", "stop", "pause", "quit", "exit", "later"})
MAX_PART_WORDS = 2000  # a part longer than this is refused, and the draft kept as it was
# Guide lengths per part for the default 250-word target, scaled with the target.
GUIDE_SHARE = {"situation": 0.15, "task": 0.12, "action": 0.55, "result": 0.18, "learned": 0.1}
QUESTIONS = {
    "situation": "star/ask_situation.j2",
    "task": "star/ask_task.j2",
    "action": "star/ask_action.j2",
    "result": "star/ask_result.j2",
    "learned": "star/ask_learned.j2",
}
EXPORTS = {"text": "star/export_text.j2", "markdown": "star/export_markdown.j2"}
_WORD_ONLY = re.compile(r"^[a-z ]+[.!]?$")
_BARE_NUMBER = re.compile(r"^(?:#|no\.?)?\s*[(\[]?\s*-?\d{1,6}\s*[.)\]]?$", re.I)
MIN_TARGET, MAX_TARGET = 50, 2000  # words: a word target the person sets


@dataclass(frozen=True)
class Target:
    """The framework, behaviour and level a draft is for."""

    framework: Framework
    behaviour: Behaviour
    level: Level

    @property
    def indicators(self) -> tuple[str, ...]:
        return indicators(self.behaviour.texts[self.level.id])


def next_part(parts: dict[str, str]) -> str | None:
    """The first part still to write: a STAR part that is empty, then the optional
    "learned" until it has been answered or skipped; None when the draft is complete."""
    for part in STAR:
        if not parts.get(part, "").strip():
            return part
    return None if "learned" in parts else "learned"


def focus(indicator: str, limit: int = 9) -> str:
    """An indicator as a short phrase to ask about: 'inspire and motivate teams to be…'."""
    text = re.sub(r"^I\s+", "", indicator.strip()).rstrip(".")
    cut = text.split()
    phrase = " ".join(cut[:limit])
    phrase = phrase[:1].lower() + phrase[1:]
    return phrase.rstrip(",;:") + ("…" if len(cut) > limit else "")


class Drafting:
    """Drafting a STAR example part by part, and the drafts: open, edit, review, export."""

    # ---- starting -------------------------------------------------------------------

    def target_of(self, draft: dict[str, Any]) -> Target | None:
        fw = self.lookup.index.by_id.get(draft["framework"])
        behaviour = fw.behaviour(draft["behaviour"]) if fw else None
        level = fw.level(draft["level"]) if fw else None
        if fw and behaviour and level and level.id in behaviour.texts:
            return Target(fw, behaviour, level)
        return None

    def _resolve(self, query: str, verb: str = "prep") -> Target | Reply:
        """The behaviour and level named in `query`, or the reply that asks for them."""
        if not query:
            return compose("star/which.j2", verb=verb)
        parts = query.split("/")
        if len(parts) == 3 and (fw := self.lookup.index.by_id.get(parts[0])):
            behaviour, level = fw.behaviour(parts[1]), fw.level(parts[2])
            if behaviour and level and level.id in behaviour.texts:
                return Target(fw, behaviour, level)
        resolution = resolve_query(self.lookup.index, query)
        if isinstance(resolution, BehaviourView):
            fw, behaviour, level = resolution.framework, resolution.behaviour, resolution.level
            levels = fw.levels_of(behaviour)
            if level is None and len(levels) == 1:
                level = levels[0]
            if level is not None:
                return Target(fw, behaviour, level)
            return compose(
                "star/which_level.j2", framework=fw, behaviour=behaviour, levels=levels, verb=verb
            )
        answer = self.lookup.resolution(resolution)
        return compose(
            "star/not_understood.j2", query=query[:80], answer=answer.plain_text(), verb=verb
        )

    def start(
        self, state: dict[str, Any], event: Event, query: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        found = self._resolve(query)
        if isinstance(found, Reply):
            return state, [found]
        number = self._new_draft(event.user, found, {})
        new_state = dict(state, star={"draft": number, "part": "situation"})
        reply = compose(
            "star/start.j2",
            target=found,
            number=number,
            forms=event.forms,
            question=self._question(found, "situation", {}, number),
        )
        return new_state, [reply]

    def _new_draft(
        self, owner: str, target: Target, parts: dict[str, str], goal: int | None = None
    ) -> int:
        number = self.store.create_draft(
            owner,
            framework=target.framework.id,
            behaviour=target.behaviour.id,
            level=target.level.id,
            parts=parts,
        )
        if goal:
            self.store.save_draft(owner, number, parts=parts, target=goal)
        return number

    # ---- answering ------------------------------------------------------------------

    def _question(self, target: Target, part: str, parts: dict[str, str], number: int) -> str:
        """The question for `part`, pointed at the level's indicators the draft has not
        yet shown (for the Action) and at evidence (for the Result)."""
        so_far = " ".join(parts.get(p, "") for p in PARTS)
        cover = indicator_coverage(target.indicators, so_far)
        gaps = [c.indicator for c in cover if c.grade != "clear"] or list(target.indicators)
        words = round(DEFAULT_TARGET * GUIDE_SHARE[part])
        return compose(
            QUESTIONS[part],
            target=target,
            focus=[focus(g) for g in gaps[:2]],
            words=words,
            number=number,
        ).plain_text()

    def _ask(self, target: Target, number: int, part: str, parts: dict[str, str]) -> Reply:
        order = list(PARTS)
        previous = order[order.index(part) - 1] if part != "situation" else None
        return compose(
            "star/ask.j2",
            number=number,
            part=part,
            step=order.index(part) + 1,
            question=self._question(target, part, parts, number),
            previous=previous if previous and parts.get(previous) else None,
        )

    def answer(self, state: dict[str, Any], event: Event) -> tuple[dict[str, Any], list[Reply]]:
        flow = state["star"]
        number, part = flow["draft"], flow["part"]
        draft = self.store.draft(event.user, number)
        target = self.target_of(draft) if draft else None
        if draft is None or target is None:
            return _without_flow(state), [compose("star/gone.j2", number=number)]
        text = clean(event.text, keep_newlines=True, exact=True).strip()
        word = text.casefold().rstrip(".!")
        if _WORD_ONLY.match(text.casefold()):
            if word in STOP_WORDS:
                return _without_flow(state), [compose("star/paused.j2", number=number)]
            if word == "help":
                return state, [
                    compose("star/help.j2", number=number),
                    self._ask(target, number, part, draft["parts"]),
                ]
            if word == "back":
                order = list(PARTS)
                if part == "situation":
                    return state, [compose("star/at_start.j2", number=number)]
                previous = order[order.index(part) - 1]
                return self._edit(state, draft, target, previous)
            if word == "skip":
                if part != "learned":
                    return state, [
                        compose("star/cannot_skip.j2", part=part),
                        self._ask(target, number, part, draft["parts"]),
                    ]
                return self._save(state, event, draft, target, part, "")
        if not text:
            return state, [
                compose("star/empty.j2", part=part),
                self._ask(target, number, part, draft["parts"]),
            ]
        if _BARE_NUMBER.match(text):  # a choice that is not on offer, not an answer
            return state, [
                compose("star/bare_number.j2", part=part, typed=text[:10]),
                self._ask(target, number, part, draft["parts"]),
            ]
        words = count_words(text)
        if words > MAX_PART_WORDS:
            return state, [
                compose("star/too_long.j2", part=part, words=words, limit=MAX_PART_WORDS)
            ]
        return self._save(state, event, draft, target, part, text)

    def _save(
        self,
        state: dict[str, Any],
        event: Event,
        draft: dict[str, Any],
        target: Target,
        part: str,
        text: str,
    ) -> tuple[dict[str, Any], list[Reply]]:
        number = draft["number"]
        parts = dict(draft["parts"], **{part: text})
        self.store.save_draft(event.user, number, parts=parts)
        feedback = self._feedback(target, part, parts, draft.get("target") or DEFAULT_TARGET)
        following = next_part(parts)
        if following is None:
            done = compose(
                "star/saved.j2", part=part, number=number, feedback=feedback, skipped=not text
            )
            review = self._review(target, dict(draft, parts=parts), event.forms)
            return _without_flow(state), [done, review]
        new_state = dict(state, star={"draft": number, "part": following})
        saved = compose(
            "star/saved.j2", part=part, number=number, feedback=feedback, skipped=not text
        )
        return new_state, [saved, self._ask(target, number, following, parts)]

    def _feedback(self, target: Target, part: str, parts: dict[str, str], goal: int) -> list[str]:
        """Short, concrete notes on one part just written, as template keys and values."""
        text = parts.get(part, "")
        words = count_words(text)
        guide = _guide(goal, part)
        notes: list[str] = []
        values: dict[str, Any] = {"words": words, "guide": guide, "part": part}
        if part in ("situation", "task") and words > guide * 1.6:
            notes.append("long-scene")
        if part == "action":
            spoken = part_voice(text)
            values.update(i=spoken.i, we=spoken.we)
            notes.append("we" if spoken.mostly_we else ("own" if spoken.i else "no-i"))
            if words < guide * 0.5:
                notes.append("short-action")
            cover = indicator_coverage(target.indicators, text)
            shown = [c for c in cover if c.grade == "clear"]
            values.update(shown=[focus(c.indicator) for c in shown], total=len(cover))
            notes.append("shown")
        if part == "result":
            found = result_evidence(text)
            values.update(found=found.found)
            notes.append("evidence" if found.any else "no-evidence")
        if part != "learned":
            worded = part_wording(text)
            values.update(vague=list(worded.vague), passive=list(worded.passive))
            if worded.vague:
                notes.append("vague")
            if worded.passive:
                notes.append("passive")
        return [compose("star/feedback.j2", note=n, **values).plain_text() for n in notes]

    # ---- reviewing, opening, exporting ------------------------------------------------

    def _review(self, target: Target, draft: dict[str, Any], forms: bool = False) -> Reply:
        goal = draft.get("target") or DEFAULT_TARGET
        result = review(draft["parts"], target.indicators, target=goal)
        return compose(
            "star/review.j2",
            target=target,
            number=draft["number"],
            parts=draft["parts"],
            review=result,
            focus=focus,
            forms=forms,
        )

    def _edit(
        self, state: dict[str, Any], draft: dict[str, Any], target: Target, part: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        number = draft["number"]
        new_state = dict(state, star={"draft": number, "part": part})
        current = draft["parts"].get(part, "")
        return new_state, [
            compose("star/edit.j2", number=number, part=part, current=current),
            self._ask(target, number, part, draft["parts"]),
        ]

    def drafts_command(
        self, state: dict[str, Any], event: Event, verb: str, rest: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        words = rest.split()
        if verb == "drafts" or not words or not words[0].isdigit():
            drafts = self.store.drafts(event.user)
            listed = [(d, self.target_of(d)) for d in drafts]
            today = self.store.now().date().isoformat()
            reply = compose("star/drafts.j2", drafts=listed, next_part=next_part, today=today)
            return state, [reply]
        number = int(words[0])
        action = words[1].casefold() if len(words) > 1 else "open"
        argument = words[2].casefold() if len(words) > 2 else ""
        draft = self.store.draft(event.user, number)
        target = self.target_of(draft) if draft else None
        if draft is None or target is None:
            return state, [compose("star/no_draft.j2", number=number)]
        if action == "open":
            return state, [self._opened(target, draft, event.forms)]
        if action == "continue":
            following = next_part(draft["parts"])
            if following is None:
                return state, [self._review(target, draft, event.forms)]
            new_state = dict(state, star={"draft": number, "part": following})
            return new_state, [self._ask(target, number, following, draft["parts"])]
        if action in ("stop", "skip"):
            flow = state.get("star") or {}
            if flow.get("draft") != number:
                return state, [self._opened(target, draft, event.forms)]
            if action == "stop":
                return _without_flow(state), [compose("star/paused.j2", number=number)]
            if flow.get("part") == "learned":
                return self._save(state, event, draft, target, "learned", "")
            return state, [self._ask(target, number, flow["part"], draft["parts"])]
        if action == "edit" and argument in PARTS:
            return self._edit(state, draft, target, argument)
        if action == "review":
            return state, [self._review(target, draft, event.forms)]
        if action == "export" and argument in EXPORTS:
            return state, [self._export(target, draft, argument, event.platform)]
        if action == "form":
            return state, [self._form_command(event, draft, target)]
        if action == "save" and event.fields is not None:
            return self._submit(state, event, draft, target, argument)
        if action in ("duplicate", "copy"):
            return self._duplicate(state, event, draft, target, " ".join(words[2:]))
        if action == "target":
            return self._set_target(state, event, draft, target, argument)
        if action == "delete":
            if argument != "confirm":
                return state, [compose("star/confirm_delete.j2", number=number, target=target)]
            self.store.delete_draft(event.user, number)
            flow = state.get("star") or {}
            new_state = _without_flow(state) if flow.get("draft") == number else state
            return new_state, [compose("star/deleted.j2", number=number, target=target)]
        return state, [compose("star/draft_help.j2", number=number)]

    def _opened(self, target: Target, draft: dict[str, Any], forms: bool = False) -> Reply:
        return compose(
            "star/draft.j2",
            target=target,
            number=draft["number"],
            parts=draft["parts"],
            following=next_part(draft["parts"]),
            counts={p: count_words(draft["parts"].get(p, "")) for p in PARTS},
            total=example_words(draft["parts"]),
            goal=draft.get("target") or DEFAULT_TARGET,
            forms=forms,
        )

    # ---- another behaviour, another target ----------------------------------------------

    def _duplicate(
        self, state: dict[str, Any], event: Event, draft: dict[str, Any], target: Target, query: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        """A copy of the draft for another behaviour (or level), reviewed against it."""
        number = draft["number"]
        if not query:
            others = [
                (b, target.level)
                for b in target.framework.behaviours
                if b.id != target.behaviour.id and target.level.id in b.texts
            ]
            return state, [
                compose("star/duplicate_which.j2", number=number, target=target, others=others)
            ]
        found = self._resolve(query)
        if isinstance(found, Reply):
            return state, [found]
        copied = self._new_draft(event.user, found, draft["parts"], draft.get("target"))
        new = self.store.draft(event.user, copied)
        assert new is not None
        done = compose("star/duplicated.j2", number=number, copied=copied, target=found)
        return state, [done, self._review(found, new, event.forms)]

    def _set_target(
        self,
        state: dict[str, Any],
        event: Event,
        draft: dict[str, Any],
        target: Target,
        argument: str,
    ) -> tuple[dict[str, Any], list[Reply]]:
        number = draft["number"]
        goal = int(argument) if argument.isdecimal() and len(argument) < 6 else None
        if goal is None or not MIN_TARGET <= goal <= MAX_TARGET:
            reply = compose(
                "star/target.j2",
                number=number,
                asked=argument[:20],
                current=draft.get("target") or DEFAULT_TARGET,
                low=MIN_TARGET,
                high=MAX_TARGET,
            )
            return state, [reply]
        self.store.save_draft(event.user, number, parts=draft["parts"], target=goal)
        done = compose("star/target_set.j2", number=number, goal=goal)
        return state, [done, self._review(target, dict(draft, target=goal), event.forms)]

    def exported(self, owner: str, number: int, kind: str) -> tuple[str, int] | None:
        """Draft `number` of `owner` as a file's text ("text" or "markdown") and its STAR
        word count; None when there is no such draft."""
        draft = self.store.draft(owner, number)
        target = self.target_of(draft) if draft else None
        if draft is None or target is None:
            return None
        reply = self._export(target, draft, kind)
        body = "\n\n".join(b.text for b in reply.blocks if b.kind == "paragraph")
        return body, example_words(draft["parts"])

    def _export(
        self, target: Target, draft: dict[str, Any], kind: str, platform: str = "console"
    ) -> Reply:
        parts = draft["parts"]
        goal = draft.get("target") or DEFAULT_TARGET
        total = example_words(parts)
        result = review(parts, target.indicators, target=goal) if kind == "markdown" else None
        return compose(
            EXPORTS[kind],
            target=target,
            number=draft["number"],
            parts=parts,
            total=total,
            goal=goal,
            review=result,
            focus=focus,
            platform=platform,
        )


def _say(template: str, **values: Any) -> str:
    """A template's words as plain text, for a form's labels, hints and errors."""
    return compose(template, **values).plain_text()


def _guide(goal: int, part: str) -> int:
    """About how many words `part` should have, for a whole example of `goal` words."""
    return max(15, round(goal * GUIDE_SHARE[part]))


def _parts_module() -> Any:
    """The part names of prompts/star/_parts.j2, for field labels."""
    return environment().get_template("star/_parts.j2").module


def _without_flow(state: dict[str, Any]) -> dict[str, Any]:
    return without(state, "star")
