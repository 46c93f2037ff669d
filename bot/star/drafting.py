"""Interview preparation: guided drafting of STAR examples, saved as they are written.

A person starts with `prep leadership level 4` (also `prepare`, `star`, or the "Prepare
an example" choice under a definition). The bot shows what the level asks for, then asks
for the Situation, Task, Action and Result in turn (and, optionally, what they learned),
with short feedback after each answer; after the Result it shows the whole example and
the review (bot/star/review.py). Drafts are numbered per person (`drafts`, `draft 2`) and
can be opened, edited part by part, exported or deleted (asked first: yes or no).

The steps are declared once (`STEPS`, `OTHER_STEPS`) and every answer is read at its
step by the engine (bot/engine.py). The flow's position is a typed state in the
conversation (`DraftAt`, bot/star/state.py) and the draft is in the `star_drafts`
table; `StarFlow.step` reads and writes both inside the caller's one transaction, so an
answer is stored before the bot says so, and a restart between any two messages resumes
where the person was.

Commands that choices carry name drafts by number and parts by name:
`draft N`, `draft N edit PART`, `draft N continue`, `draft N review`,
`draft N export text|markdown`, `draft N delete [confirm]`, `draft N keep`,
`prep FW/BEHAVIOUR/LEVEL`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from bot.commands import words_of
from bot.engine import VOCABULARY, Option, Step, Word, normalised, previous, read, word_of
from bot.frameworks import Behaviour, Framework, Level
from bot.lookup import BehaviourView, Lookup, resolve_query
from bot.lookup.resolver import Resolution
from bot.render import as_markdown, compose, environment
from bot.star.bank import SHOWN, Bank, Material
from bot.star.parts import clean_answer, find_parts
from bot.star.review import (
    DEFAULT_TARGET,
    PARTS,
    STAR,
    Review,
    Standard,
    analyse,
    example_words,
    indicators,
)
from bot.star.review import coverage as indicator_coverage
from bot.star.state import DraftAt
from bot.text import count_words
from bot.types import Choice, Event, Reply, without

START_VERBS = words_of("prep")
EVIDENCE_VERBS = words_of("evidence")
DRAFT_VERBS = words_of("drafts")
STOP_WORDS = VOCABULARY[Word.STOP]  # the engine's (the router starts a flow with them)
MAX_PART_WORDS = 2000  # a part longer than this is refused, and the draft kept as it was
# Guide lengths per part for the default 250-word target, scaled with the target.
GUIDE_SHARE = {"situation": 0.15, "task": 0.12, "action": 0.55, "result": 0.18, "learned": 0.1}
# The steps, declared once: the draft's parts in order, the practice answer and the
# confirmation of a deletion. A part is written text, and its question's choices are
# picked by number or label too ("open"). How each is read: `engine.read`; what its answer does:
# `Drafting.answer`, `Drafting._confirmation`, `Practice.practice_answer`.
STEPS = (
    Step("situation", asks="star/ask_situation.j2", open=True),
    Step("task", asks="star/ask_task.j2", open=True),
    Step("action", asks="star/ask_action.j2", open=True),
    Step("result", asks="star/ask_result.j2", open=True),
    Step("learned", asks="star/ask_learned.j2", optional=True, open=True),
)
OTHER_STEPS = (
    Step("answer", asks="star/practice_question.j2", open=True),
    Step("delete", asks="star/confirm_delete.j2", kind="confirm"),
)
EXPORTS = {"text": "star/export_text.j2", "markdown": "star/export_markdown.j2"}
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

    @property
    def standard(self) -> Standard:
        """What an answer for this target is judged against (see `review.judge`)."""
        return standard_of(self.framework, self.behaviour, self.level)


def standard_of(framework: Framework, behaviour: Behaviour, level: Level) -> Standard:
    """The framework's standard for a behaviour at a level: its indicators, and every
    level's, highest first (the DHS descriptions are judged against each other)."""
    levels = sorted(
        (lv for lv in framework.levels_of(behaviour) if lv.id in behaviour.texts),
        key=lambda lv: -(lv.rank or 0),
    )
    return Standard(
        framework=framework.id,
        level=level.name,
        indicators=indicators(behaviour.texts[level.id]),
        levels=tuple((lv.name, indicators(behaviour.texts[lv.id])) for lv in levels),
    )


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


# What an answer that is no answer says ("I don't know", "pass"): in practice a hint and
# the question again, never a review; in drafting, never saved as the part.
NON_ANSWERS = frozenset(
    {
        "i don't know",
        "i dont know",
        "don't know",
        "dont know",
        "dunno",
        "pass",
        "no idea",
        "i have no idea",
        "not sure",
        "i'm not sure",
        "im not sure",
        "no clue",
        "i can't think of one",
        "can't think of one",
    }
)
# A short message that says there is no example: "sorry, I can't think of one", or that
# opens by saying it does not know: "I do not know", "I really don't know", "not sure".
_NO_EXAMPLE = re.compile(
    r"\b(?:can(?:no|')t|could(?:n't| not)) (?:think of|remember|recall)|(?:don't|do not|"
    r"never) (?:have|had) (?:an? |any )?(?:example|experience)|no (?:example|experience)|"
    r"not sure what to say|no (?:idea|clue)|haven't (?:got )?(?:one|an example)|"
    r"skip (?:this|it)\b|^(?:sorry,? )?(?:i )?(?:really |honestly |just )?(?:do not|don't|"
    r"dont) know\b|^(?:sorry,? )?(?:i'm |im |i am )?(?:really )?not sure\b|not a clue",
    re.I,
)


def no_answer(text: str) -> bool:
    """Whether `text` says there is no answer ("I don't know", "pass", "no idea", "I
    can't remember one"; a bare yes or no, where nothing waits for one)."""
    said = text.replace("’", "'")
    if normalised(said) in NON_ANSWERS or word_of(said) in (Word.YES, Word.NO):
        return True
    return len(said.split()) <= 10 and bool(_NO_EXAMPLE.search(said.strip()))


def resolve_target(lookup: Lookup, query: str, verb: str = "prep") -> Target | Reply:
    """The behaviour and level named in `query` ("leadership level 4", or a path such as
    "civil-service/leadership/4"), or the reply that asks for them."""
    if not query:
        return compose("star/which.j2", verb=verb)
    parts = query.split("/")
    if len(parts) == 3 and (fw := lookup.index.by_id.get(parts[0])):
        behaviour, level = fw.behaviour(parts[1]), fw.level(parts[2])
        if behaviour and level and level.id in behaviour.texts:
            return Target(fw, behaviour, level)
    resolution = resolve_query(lookup.index, query)
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
    return not_understood(lookup, resolution, query, verb)


def not_understood(lookup: Lookup, resolution: Resolution, query: str, verb: str) -> Reply:
    """`verb` with words naming no behaviour: what the lookup found for them, its
    suggestions offered as choices, those naming a behaviour as `verb` commands (`prep
    civil-service/leadership/4`), so that a button or a number picks one."""
    answer = lookup.resolution(resolution)
    reply = compose(
        "star/not_understood.j2",
        query=query[:80],
        answer=replace(answer, choices=()).plain_text(),
        verb=verb,
    )
    return replace(reply, choices=tuple(_as_verb(lookup, c, verb) for c in answer.choices))


def _as_verb(lookup: Lookup, choice: Choice, verb: str) -> Choice:
    """A lookup's suggestion that shows a behaviour, as `verb` on that behaviour; any
    other (a search, a list, help) as it is."""
    shown, _, path = choice.command.partition(" ")
    if shown != "show" or not isinstance(resolve_query(lookup.index, path), BehaviourView):
        return choice
    return replace(choice, command=f"{verb} {path}")


def statement(text: str, target: Target | None, limit: int) -> tuple[Review, Reply]:
    """A whole written answer reviewed, as `behaviourbot review` prints it: the same
    analysis as the chat's, against `target` when one is given."""
    found = analyse(text, target.standard if target else None, target=limit)
    reply = compose(
        "star/statement.j2",
        target=target,
        parts=found.parts,
        review=found,
        focus=focus,
        missing=[p for p in STAR if not found.parts.get(p)],
    )
    return found, reply


class Drafting:
    """Drafting a STAR example part by part, and the drafts: open, edit, review, export."""

    lookup: Lookup
    store: Any
    bank: Bank

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
        return resolve_target(self.lookup, query, verb)

    def start(
        self, state: dict[str, Any], event: Event, query: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        found = self._resolve(query)
        if isinstance(found, Reply):
            return state, [found]
        number = self._new_draft(event.user, found, {})
        new_state = dict(state, star=DraftAt(number, "situation").dump())
        reply = compose(
            "star/start.j2",
            target=found,
            number=number,
            forms=event.forms,
            question=self._question(found, "situation", {}, number),
            material=self._material(event.user, found),
            shown=SHOWN,
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
        so_far = " ".join(parts.get(p, "") for p in ("action", "result"))
        cover = indicator_coverage(target.indicators, so_far)
        gaps = [c.indicator for c in cover if c.grade != "clear"] or list(target.indicators)
        words = round(DEFAULT_TARGET * GUIDE_SHARE[part])
        return compose(
            step_of(part).asks,
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
        """What is typed while a part (or a confirmation) waits, read at that step."""
        at = DraftAt.of(state)
        assert at is not None
        if at.confirm:
            return self._confirmation(state, event, at)
        number, part = at.draft, at.part
        draft = self.store.draft(event.user, number)
        target = self.target_of(draft) if draft else None
        if draft is None or target is None:
            return _without_flow(state), [compose("star/gone.j2", number=number)]
        asked = self._ask(target, number, part, draft["parts"])
        current = draft["parts"].get(part, "")
        said = read(step_of(part), event.text, options=options_of(asked), current=current)
        if said.meaning == "help":
            return state, [compose("star/help.j2", number=number), asked]
        if said.meaning == "back":
            before = previous(STEPS, part)
            if before is None:
                return state, [compose("star/at_start.j2", number=number)]
            return self._edit(state, draft, target, before.name)
        if said.meaning == "stop":
            return _without_flow(state), [compose("star/paused.j2", number=number)]
        if said.meaning in ("skip", "keep"):
            kept = said.meaning == "keep"
            return self._save(state, event, draft, target, part, said.text, kept=kept)
        if said.meaning == "picked":
            return self.step(state, replace(event, action=said.value))  # type: ignore[attr-defined]
        if said.meaning == "refused":
            if said.problem == "needed":
                why = "star/cannot_skip.j2" if said.text else "star/empty.j2"
                return state, [compose(why, part=part), asked]
            typed = said.text[:10]
            return state, [compose("star/bare_number.j2", part=part, typed=typed), asked]
        text = said.text
        if word_of(text) in (Word.YES, Word.NO):  # only a confirmation takes these
            return state, [compose("star/not_an_answer.j2", part=part, typed=text), asked]
        if no_answer(text):  # "I don't know": a hint, never saved as the part
            return state, [compose("star/no_answer.j2", part=part, number=number), asked]
        if clean_answer(text).marked >= 2:  # a whole answer with its labels (checked cheaply)
            return self._save_pasted(state, event, draft, target, find_parts(text).parts)
        words = count_words(text)
        if words > MAX_PART_WORDS:
            return state, [
                compose("star/too_long.j2", part=part, words=words, limit=MAX_PART_WORDS)
            ]
        return self._save(state, event, draft, target, part, text)

    def _save_pasted(
        self,
        state: dict[str, Any],
        event: Event,
        draft: dict[str, Any],
        target: Target,
        found: dict[str, str],
    ) -> tuple[dict[str, Any], list[Reply]]:
        """A whole answer pasted at one step, with its own labels: each part saved where
        it belongs, and the draft goes on at the first part still to write."""
        number = draft["number"]
        parts = dict(draft["parts"], **found)
        self.store.save_draft(event.user, number, parts=parts)
        saved = compose("star/pasted.j2", number=number, parts=[p for p in PARTS if p in found])
        return self._go_on(state, event, dict(draft, parts=parts), target, saved)

    def _confirmation(
        self, state: dict[str, Any], event: Event, at: DraftAt
    ) -> tuple[dict[str, Any], list[Reply]]:
        """`yes` or `no` (or a choice) while "Delete draft N?" waits."""
        number = at.confirm_draft
        draft = self.store.draft(event.user, number)
        target = self.target_of(draft) if draft else None
        if draft is None or target is None:
            return settled(state), [compose("star/no_draft.j2", number=number)]
        asked = compose(step_of(at.confirm).asks, number=number, target=target)
        yes, no = (choice.command for choice in asked.choices)
        if word_of(event.text) is Word.KEEP:  # "keep" answers "Keep it"
            return self.step(state, replace(event, action=no))  # type: ignore[attr-defined]
        said = read(step_of(at.confirm), event.text, options=options_of(asked))
        if said.meaning in ("yes", "no", "stop", "back"):
            command = yes if said.meaning == "yes" else no
            return self.step(state, replace(event, action=command))  # type: ignore[attr-defined]
        if said.meaning == "picked":
            return self.step(state, replace(event, action=said.value))  # type: ignore[attr-defined]
        return state, [compose("star/confirm_help.j2", number=number), asked]

    def _save(
        self,
        state: dict[str, Any],
        event: Event,
        draft: dict[str, Any],
        target: Target,
        part: str,
        text: str,
        kept: bool = False,
    ) -> tuple[dict[str, Any], list[Reply]]:
        number = draft["number"]
        parts = dict(draft["parts"], **{part: text})
        self.store.save_draft(event.user, number, parts=parts)
        feedback = self._feedback(target, part, parts, draft.get("target") or DEFAULT_TARGET)
        saved = compose(
            "star/saved.j2",
            part=part,
            number=number,
            feedback=feedback,
            skipped=not text,
            kept=kept,
        )
        return self._go_on(state, event, dict(draft, parts=parts), target, saved)

    def _go_on(
        self,
        state: dict[str, Any],
        event: Event,
        draft: dict[str, Any],
        target: Target,
        saved: Reply,
    ) -> tuple[dict[str, Any], list[Reply]]:
        """After a save: the review when the draft is complete, else the next part."""
        following = next_part(draft["parts"])
        if following is None:
            review = self._review(target, draft, event.forms)
            return _without_flow(state), [saved, review]
        new_state = dict(state, star=DraftAt(draft["number"], following).dump())
        return new_state, [saved, self._ask(target, draft["number"], following, draft["parts"])]

    def _feedback(self, target: Target, part: str, parts: dict[str, str], goal: int) -> list[str]:
        """Short, concrete notes on one part just written, as template keys and values:
        the very analysis the review shows, for this part."""
        text = parts.get(part, "")
        words = count_words(text)
        guide = _guide(goal, part)
        seen = analyse(parts, target.standard, target=goal)
        notes: list[str] = []
        values: dict[str, Any] = {"words": words, "guide": guide, "part": part}
        if part in ("situation", "task") and words > guide * 1.6:
            notes.append("long-scene")
        if part == "action":
            values.update(i=seen.voice.i, we=seen.voice.we)
            notes.append("we" if seen.voice.mostly_we else ("own" if seen.voice.i else "no-i"))
            if words < guide * 0.5:
                notes.append("short-action")
            shown = [c for c in seen.coverage if c.grade == "clear"]
            values.update(shown=[focus(c.indicator) for c in shown], total=len(seen.coverage))
            notes.append("shown")
        if part == "result":
            values.update(review=seen)
            notes.append("evidence" if seen.has_evidence else "no-evidence")
            if seen.claims:
                notes.append("claims")
        found = seen.vague_in(part)
        values.update(
            vague=[v.phrase for v in found if v.kind != "claim"],
            claimed=[v.phrase for v in found if v.kind == "claim"],
            passive=list(seen.passive.get(part, ())),
        )
        if values["vague"]:
            notes.append("vague")
        if values["claimed"] and part != "result":
            notes.append("claims")
        if values["passive"] and part != "learned":
            notes.append("passive")
        return [compose("star/feedback.j2", note=n, **values).plain_text() for n in notes]

    # ---- reviewing, opening, exporting ------------------------------------------------

    def _review(self, target: Target, draft: dict[str, Any], forms: bool = False) -> Reply:
        goal = draft.get("target") or DEFAULT_TARGET
        result = analyse(draft["parts"], target.standard, target=goal)
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
        new_state = dict(state, star=DraftAt(number, part).dump())
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
            still = self.still_going(state)  # type: ignore[attr-defined]
            return state, [reply] if still is None else [reply, still]
        number = int(words[0])
        action = words[1].casefold() if len(words) > 1 else "open"
        argument = words[2].casefold() if len(words) > 2 else ""
        draft = self.store.draft(event.user, number)
        target = self.target_of(draft) if draft else None
        if draft is None or target is None:
            return state, [compose("star/no_draft.j2", number=number)]
        if action == "open":
            return state, [self._opened(target, draft, event.forms, event.user)]
        if action == "continue":
            following = next_part(draft["parts"])
            if following is None:
                return state, [self._review(target, draft, event.forms)]
            new_state = dict(state, star=DraftAt(number, following).dump())
            asked = self._ask(target, number, following, draft["parts"])
            material = self._material(event.user, target)
            if not material:
                return new_state, [asked]
            shown = compose("star/evidence.j2", target=target, material=material, shown=SHOWN)
            return new_state, [shown, asked]
        if action in ("stop", "skip"):
            at = DraftAt.of(state)
            if at is None or at.draft != number or not at.part:
                return state, [self._opened(target, draft, event.forms)]
            if action == "stop":
                return _without_flow(state), [compose("star/paused.j2", number=number)]
            if at.part == "learned":
                return self._save(state, event, draft, target, "learned", "")
            return state, [self._ask(target, number, at.part, draft["parts"])]
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
            if argument != "confirm":  # asked first, and yes or no waited for
                at = replace(DraftAt.of(state) or DraftAt(), confirm="delete", confirm_draft=number)
                asked = compose(step_of("delete").asks, number=number, target=target)
                return dict(state, star=at.dump()), [asked]
            self.store.delete_draft(event.user, number)
            return _without_draft(state, number), [
                compose("star/deleted.j2", number=number, target=target)
            ]
        if action == "keep":  # "Keep it", or no, at "Delete draft N?"
            kept = compose("star/kept.j2", number=number)
            again = self.ask_again(state, event)  # type: ignore[attr-defined]
            return state, [kept] if again is None else [kept, again]
        return state, [compose("star/draft_help.j2", number=number)]

    def _opened(
        self, target: Target, draft: dict[str, Any], forms: bool = False, owner: str = ""
    ) -> Reply:
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
            material=self._material(owner, target) if owner else Material(),
            shown=SHOWN,
        )

    # ---- the evidence bank ----------------------------------------------------------------

    def _material(self, owner: str, target: Target | BehaviourView) -> Material:
        """`owner`'s material for the target's behaviour (any level): quotes to draw on."""
        return self.bank.material(owner, target.framework.id, target.behaviour.id)

    def evidence(self, event: Event, query: str) -> Reply:
        """`evidence BEHAVIOUR`: the whole of the person's material for a behaviour."""
        if not query:
            return compose("star/which.j2", verb="evidence")
        found = resolve_query(self.lookup.index, query)
        if not isinstance(found, BehaviourView):
            return not_understood(self.lookup, found, query, "evidence")
        material = self._material(event.user, found)
        return compose("star/evidence.j2", target=found, material=material, shown=0)

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
        result = analyse(parts, target.standard, target=goal) if kind == "markdown" else None
        shown = (
            ""
            if result is None
            else as_markdown(
                compose("star/review_export.j2", target=target, review=result, focus=focus)
            )
        )  # the very review the chat shows, as Markdown
        exported = compose(
            EXPORTS[kind],
            target=target,
            number=draft["number"],
            parts=parts,
            total=total,
            goal=goal,
            review=result,
            review_markdown=shown,
            focus=focus,
            platform=platform,
        )
        return replace(exported, copy=True)


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


def _without_draft(state: dict[str, Any], number: int) -> dict[str, Any]:
    """The state without draft `number`'s position (it has just gone)."""
    at = DraftAt.of(state)
    return _without_flow(state) if at is not None and at.draft == number else state


def settled(state: dict[str, Any]) -> dict[str, Any]:
    """The state without a confirmation waiting (the draft's position kept)."""
    at = DraftAt.of(state)
    if at is None or not at.confirm:
        return state
    if not at.part:
        return _without_flow(state)
    return dict(state, star=replace(at, confirm="", confirm_draft=0).dump())


def step_of(name: str) -> Step:
    """The declared step `name`, with its label as the bot says it."""
    step = next(s for s in (*STEPS, *OTHER_STEPS) if s.name == name)
    return replace(step, label=_say("star/_label.j2", part=name))


def options_of(reply: Reply) -> tuple[Option, ...]:
    """What a reply offers, as options to pick by number or label: picking one is
    pressing it (its value is its command)."""
    return tuple(Option(c.label, c.command) for c in reply.choices)
