"""Interview preparation: guided drafting of STAR examples, practice questions, the
whole draft as one form, and the review of an example.

A person starts with `prep leadership level 4` (also `prepare`, `star`, or the "Prepare
an example" choice under a definition). The bot shows what the level asks for, then asks
for the Situation, Task, Action and Result in turn (and, optionally, what they learned),
with short feedback after each answer; after the Result it shows the whole example and
the review (bot/star/review.py). Drafts are numbered per person (`drafts`, `draft 2`) and
can be opened, edited part by part, exported or deleted.

`StarFlow` is what the router sees: it routes an event to the drafting
(bot/star/drafting.py), the practice (bot/star/practice.py), the mock interview
(bot/star/mock.py) or the form (bot/star/form.py).
"""

from __future__ import annotations

from typing import Any

from bot.commands import MAX_COMMAND_REST
from bot.engine import Step, Word, word_of
from bot.lookup import Lookup, strip_command_prefix
from bot.lookup.replies import shorten
from bot.render import compose
from bot.star.advert import ADVERT_VERBS, FromAdvert
from bot.star.bank import Bank
from bot.star.drafting import (
    DRAFT_VERBS,
    EVIDENCE_VERBS,
    START_VERBS,
    STOP_WORDS,
    Drafting,
    settled,
    step_of,
)
from bot.star.form import DraftForm
from bot.star.mock import MOCK_VERBS, Mock, mock_step
from bot.star.practice import PRACTICE_VERBS, Practice
from bot.star.state import DraftAt, Interviewing, Practising
from bot.storage import Store
from bot.text import clean, count_words
from bot.types import Event, Reply, without

__all__ = [
    "ADVERT_VERBS",
    "DRAFT_VERBS",
    "MOCK_VERBS",
    "PRACTICE_VERBS",
    "START_VERBS",
    "STOP_WORDS",
    "StarFlow",
    "count_words",
]


_VERBS = START_VERBS | DRAFT_VERBS | PRACTICE_VERBS | MOCK_VERBS | EVIDENCE_VERBS | ADVERT_VERBS


# Each job's verbs, for saying the command that does it (`prep` for the others).
_JOBS = {
    "mock": MOCK_VERBS,
    "practice": PRACTICE_VERBS,
    "evidence": EVIDENCE_VERBS,
    "advert": ADVERT_VERBS,
    "drafts": DRAFT_VERBS,
}


def _private_only(event: Event, verb: str, rest: str) -> Reply:
    """Outside a direct message: where to ask instead, with the very command asked
    for (`mock leadership level 4`), or an example of it."""
    job = next((name for name, verbs in _JOBS.items() if verb in verbs), "prep")
    typed = shorten(f"{verb} {rest}") if rest and job != "advert" else ""
    return compose("star/private_only.j2", platform=event.platform, job=job, typed=typed)


def _advert_text(command: str, *, pasted: bool) -> str:
    """The advert in `command` (after `advert`, unless pasted on its own), its lines kept:
    a list of behaviours is often one a line."""
    typed = strip_command_prefix(clean(command, keep_newlines=True, exact=True))
    return typed if pasted else ([*typed.split(maxsplit=1), ""])[1]


class StarFlow(Mock, FromAdvert, Practice, DraftForm, Drafting):
    name = "star"

    def __init__(self, lookup: Lookup, store: Store, bank: Bank):
        self.lookup = lookup
        self.store = store
        self.bank = bank  # material for a draft: peers' shared examples, own plan notes

    # ---- routing --------------------------------------------------------------------

    def wants(self, state: dict[str, Any], event: Event) -> bool:
        """Whether this event is the flow's: a STAR command, or any answer while a draft
        is being written, a practice question or a mock interview waits."""
        verb = self._verb(event.action if event.action is not None else event.text)
        if verb in _VERBS or self._pasted_advert(event) or self.grade_typed(state, event):
            return True
        if any(key in state for key in ("star", "practice", "mock")) and event.action is None:
            return not self._is_command(event)
        # "stop" with nothing under way: say so, rather than look it up
        return event.action is None and word_of(strip_command_prefix(event.text)) is Word.STOP

    def _pasted_advert(self, event: Event) -> bool:
        """A job advert pasted with no command (see `bot.lookup.advert`)."""
        return event.action is None and self.lookup.adverts.pasted(event.text)

    @staticmethod
    def _verb(text: str) -> str:
        return strip_command_prefix(clean(text)).partition(" ")[0].casefold()

    @staticmethod
    def _is_command(event: Event) -> bool:
        """Typed as a command (`/behaviour …`, `behaviour …`, a Slack slash command)
        rather than as an answer."""
        if event.slash:
            return True
        text = clean(event.text)
        return strip_command_prefix(text) != text.strip()

    @staticmethod
    def _sentence(event: Event) -> bool:
        """Typed text that opens with a verb but is longer than any command: a sentence."""
        typed = event.action is None and not event.slash
        return typed and len(strip_command_prefix(clean(event.text)).split()) > MAX_COMMAND_REST + 1

    def step(self, state: dict[str, Any], event: Event) -> tuple[dict[str, Any], list[Reply]]:
        """Inside the caller's transaction: read and write drafts, return the new state."""
        grade = self.grade_typed(state, event)
        if grade is not None:  # the answer to "Which grade is the job?"
            return self._advert_level(state, event, grade)
        command = event.action if event.action is not None else event.text
        text = strip_command_prefix(clean(command))
        verb, _, rest = text.partition(" ")
        verb, rest = verb.casefold(), rest.strip()
        pasted = verb not in _VERBS and self._pasted_advert(event)
        if pasted:
            verb = "advert"
        if verb in _VERBS:
            if not event.private:
                return state, [_private_only(event, verb, rest)]
            if self._sentence(event) and self.current(state) is not None:
                # "Drafts of the policy were late, so I …" typed at a question: longer
                # than any command (the router passes a typed command on as an action),
                # so it is the answer, never a command run in its place
                return self.take_answer(state, event)
            state = settled(state)  # a command answers no confirmation left waiting
            if verb in MOCK_VERBS:
                return self.mock_command(state, event, rest)
            if verb in EVIDENCE_VERBS:
                if event.action is None and not event.slash and self.current(state):
                    # "Evidence showed …" typed at a part: the router passes a typed
                    # command on as an action, so this is the answer
                    return self.take_answer(state, event)
                again = self.ask_again(state, event)  # a draft's question still waits
                listed = self.evidence(event, rest)
                return state, [listed] if again is None else [listed, again]
            if verb in ADVERT_VERBS:
                return self.advert_command(state, event, _advert_text(command, pasted=pasted))
            if verb in START_VERBS:
                new_state, replies = self.start(without(state, "practice"), event, rest)
            elif verb in PRACTICE_VERBS:
                new_state, replies = self.practice_command(state, event, rest)
            else:
                new_state, replies = self.drafts_command(state, event, verb, rest)
                if new_state.get("star") not in (None, state.get("star")):
                    new_state = without(new_state, "practice")  # back to writing a draft
            return self.mock_left(state, new_state, replies)  # a draft or practice instead
        if "mock" in state:
            return self.mock_answer(state, event)
        if "practice" in state:
            return self.practice_answer(state, event)
        if "star" not in state:
            return state, [compose("star/nothing_to_stop.j2")]
        return self.answer(state, event)

    def current(self, state: dict[str, Any]) -> Step | None:
        """The step waiting for an answer: a part of the draft, a confirmation, the
        practice answer, or a mock interview's question or follow-up."""
        mock = Interviewing.of(state)
        if mock is not None:
            return mock_step(mock.following_up)
        if "practice" in state:
            return step_of("answer")
        at = DraftAt.of(state)
        if at is None:
            return None
        if at.confirm:
            return step_of(at.confirm)
        return step_of(at.part) if at.part else None

    def ask_again(self, state: dict[str, Any], event: Event) -> Reply | None:
        """The question waiting for an answer, asked again (after a command or a lookup
        typed in the middle)."""
        mock = Interviewing.of(state)
        if mock is not None:
            return self.mock_asked(mock)
        practice = Practising.of(state)
        if practice is not None:
            target = self._practice_target(practice)
            return None if target is None else self._practice_question(target, practice)
        at = DraftAt.of(state)
        number = at.confirm_draft if at and at.confirm else at.draft if at else 0
        draft = self.store.draft(event.user, number) if at else None
        target = self.target_of(draft) if draft else None
        if at is None or draft is None or target is None:
            return None
        if at.confirm:
            return compose(step_of(at.confirm).asks, number=number, target=target)
        return self._ask(target, number, at.part, draft["parts"]) if at.part else None

    def take_answer(
        self, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], list[Reply]]:
        """Typed text taken as the answer to the step waiting, whatever it reads as."""
        if "mock" in state:
            return self.mock_answer(state, event)
        if "practice" in state:
            return self.practice_answer(state, event)
        return self.answer(state, event)

    def still_going(self, state: dict[str, Any]) -> Reply | None:
        """After `drafts` typed in the middle of a draft: that the draft is still open,
        at which part, and how to go on; in a mock interview, its question again."""
        mock = Interviewing.of(state)
        if mock is not None:
            return self.mock_asked(mock)
        at = DraftAt.of(state)
        if at is None or not at.part:
            return None
        return compose("star/still_going.j2", number=at.draft, part=at.part)
