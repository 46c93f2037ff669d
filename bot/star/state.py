"""The STAR flows' typed states, kept in the conversation's state as versioned JSON.

- `star` (`DraftAt`): the draft being written and the part waiting for an answer, or a
  confirmation waiting for yes or no (deleting a draft);
- `practice` (`Practising`): the practice question asked, the answer so far and the
  follow-up questions asked;
- `practised` (`Practised`): how many questions each behaviour and level has had, so
  that the next `practice` (or mock interview) asks another;
- `mock` (`Interviewing`): a mock interview under way: the behaviours in turn, the
  answers and follow-up answers so far; `mocked` (`Interviewed`): the last one, ended,
  for its summary's choices (save an answer as a draft, run it again).
- `advert` (`AdvertAsked`): the behaviours a pasted job advert assesses, kept while the
  bot asks which grade the job is (the advert named none).

Rows stored before versions were kept are converted once, by the migration
`m012_star_states` (bot/storage.py), with the upgrades registered here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.engine import Typed, upgrade


@dataclass
class DraftAt(Typed):
    """Where a person is in writing a draft."""

    KEY = "star"
    VERSION = 1
    draft: int = 0  # the draft's number
    part: str = ""  # the part waiting for an answer ("" when only a confirmation waits)
    confirm: str = ""  # a confirmation waiting for yes or no: "delete"
    confirm_draft: int = 0  # the draft it is about


@dataclass
class Practising(Typed):
    """A practice question under way."""

    KEY = "practice"
    VERSION = 1
    target: str = ""  # framework/behaviour/level
    indicator: int = 0  # which of the level's indicators the question is about
    answer: dict[str, str] | None = None  # the STAR parts found, once answered
    asked: list[str] = field(default_factory=list)  # the follow-up questions asked


@dataclass
class Practised(Typed):
    """How many practice questions each framework/behaviour/level has had."""

    KEY = "practised"
    VERSION = 1
    counts: dict[str, int] = field(default_factory=dict)
    mocks: int = 0  # mock interviews started: the number of the latest


@dataclass
class Interviewing(Typed):
    """A mock interview under way: one question per behaviour, in turn, each followed by
    one probing follow-up. Where it is follows from the lists' lengths: a question waits
    while every answer has its follow-up answer, else the last answer's follow-up."""

    KEY = "mock"
    VERSION = 1
    targets: list[str] = field(default_factory=list)  # framework/behaviour/level, in turn
    indicators: list[int] = field(default_factory=list)  # what each question is about
    answers: list[dict[str, str]] = field(default_factory=list)  # STAR parts ({} skipped)
    follow_ups: list[str] = field(default_factory=list)  # the follow-up asked after each
    follow_answers: list[str] = field(default_factory=list)  # their answers ("" skipped)
    saved: dict[str, int] = field(default_factory=dict)  # answer number -> its draft's
    number: int = 0  # which of the person's mock interviews: carried by its buttons

    @property
    def at(self) -> int:
        """The behaviour being asked about (its index in `targets`)."""
        return len(self.follow_answers)

    @property
    def following_up(self) -> bool:
        """Whether the follow-up question waits (else the behaviour's question)."""
        return len(self.answers) > len(self.follow_answers)


@dataclass
class Interviewed(Interviewing):
    """The last mock interview, finished or stopped (with only whole answers kept)."""

    KEY = "mocked"


@dataclass
class AdvertAsked(Typed):
    """An advert's behaviours, waiting for its grade (`advert level …`)."""

    KEY = "advert"
    VERSION = 1
    framework: str = ""  # the framework's id
    behaviours: list[str] = field(default_factory=list)  # their ids, in the advert's order


@upgrade(DraftAt.KEY, 0)
def _draft_at(data: dict[str, Any]) -> dict[str, Any]:
    """{"draft": 2, "part": "task"}: the same, and no confirmation waiting."""
    draft, part = int(data.get("draft", 0)), str(data.get("part") or "")
    return {"draft": draft, "part": part, "confirm": "", "confirm_draft": 0}


@upgrade(Practising.KEY, 0)
def _practising(data: dict[str, Any]) -> dict[str, Any]:
    """Early rows had no "asked" (and an answer only once given)."""
    return {
        "target": str(data.get("target", "")),
        "indicator": int(data.get("indicator", 0)),
        "answer": data.get("answer") or None,
        "asked": list(data.get("asked") or []),
    }


@upgrade(Practised.KEY, 0)
def _practised(data: dict[str, Any]) -> dict[str, Any]:
    """{"csb/leadership/4": 2}: the counts themselves, unwrapped."""
    return {"counts": {str(k): int(v) for k, v in data.items()}, "mocks": 0}
