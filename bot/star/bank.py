"""The evidence bank: material for a STAR example on a behaviour, offered beside the
draft (`prep`, a draft opened or continued) and listed by `evidence BEHAVIOUR`.

Two sources, both the person's own: the examples peers wrote in the person's 360
requests, where the peer agreed they may be offered (bot/feedback/results.py
`shared_examples`: closed requests only, only what their reports show, never a name, a
date or the order of answers, and nothing from a request where too few agreed, or too
few of those who wrote examples did not: `offerable`); and what the person recorded
themselves as progress on their plan's items for the behaviour (bot/plans/store.py
`own_progress`: never a mentor's comments, never anyone else's notes). The material is
shown as quotes to draw on and is never put into a draft: the person writes the example
themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.text import one_line

if TYPE_CHECKING:
    from bot.feedback.results import Results
    from bot.plans.store import PlanStore

SHOWN = 5  # quotes of each source shown beside a draft; `evidence` lists them all


@dataclass(frozen=True)
class Material:
    """What a person has to draw on for one behaviour: peers' words, their own notes."""

    peers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    held_back: bool = False  # some request's examples on it: too few agreed to offer them

    def __bool__(self) -> bool:
        return bool(self.peers or self.notes or self.held_back)


class Bank:
    """The material of a person's own 360 requests and plan, for one behaviour."""

    def __init__(self, feedback: Results, plans: PlanStore):
        self.feedback = feedback
        self.plans = plans

    def material(self, owner: str, framework: str, behaviour: str) -> Material:
        """`owner`'s material on `behaviour` of `framework` (any level)."""
        peers, held_back = self.feedback.shared_examples(owner, framework, behaviour)
        notes = [one_line(n) for n in self.plans.own_progress(owner, framework, behaviour)]
        return Material(tuple(peers), tuple(n for n in notes if n), held_back)
