"""Preparing from a job advert: `advert TEXT`, or an advert pasted on its own.

The advert is read by `bot.lookup.advert` (its framework, behaviours and grade). The
reply shows each behaviour at the grade's level, as the lookup shows it, and a matrix of
the person's own drafts against the behaviours: the drafts written for each, reviewed at
that level (`review.analyse` with the level's standard), and for a behaviour with none,
the complete draft of theirs whose Action and Result read best against it, to adapt
(`draft N duplicate FW/B/L`); each draft is read once (`review.judged` for each level).
Choices start the missing ones (`prep FW/B/L`), adapt a draft, or begin a mock interview
(`mock FW/B/L …`). An advert that names no grade is kept in the conversation's state
(`AdvertAsked`) while the bot asks for it: `advert level FW/LEVEL` answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from bot.commands import words_of
from bot.frameworks import Behaviour, Framework, Level
from bot.lookup import BehaviourView, strip_command_prefix
from bot.lookup.resolver import parse_query
from bot.render import compose
from bot.star.drafting import Target, next_part
from bot.star.mock import MAX_BEHAVIOURS as MOST_MOCKED
from bot.star.review import (
    DEFAULT_TARGET,
    STAR,
    Coverage,
    Review,
    Standard,
    analyse,
    content_stems,
    coverage_of,
    judged,
)
from bot.star.state import AdvertAsked
from bot.text import clean
from bot.types import Block, Event, Reply, without

ADVERT_VERBS = words_of("advert")
MOST_DRAFTS_READ = 30  # the person's most recent drafts weighed for adapting
MOST_PART_CHARS = 2_500  # of each part of a draft reviewed in the matrix (~400 words)


@dataclass(frozen=True)
class Cell:
    """One draft against one behaviour at the advert's level."""

    number: int
    written_for: Target | None  # what the draft was written for
    review: Review | None  # None while its Action or Result is still to write
    next_part: str | None  # the first STAR part still to write


@dataclass(frozen=True)
class Row:
    target: Target
    drafts: tuple[Cell, ...]  # the drafts written for this behaviour
    adapt: Cell | None  # with none: the draft that reads best against it


def _score(cover: tuple[Coverage, ...]) -> float:
    """How much of a level's indicators a draft shows: clear counts 1, partial a half."""
    return sum({"clear": 1.0, "partial": 0.5}.get(c.grade, 0.0) for c in cover)


@dataclass
class _Drafts:
    """The person's latest drafts, each read once however many behaviours of the advert
    it is weighed against, and on its first `MOST_PART_CHARS` of each part: a part
    longer than that is over any limit either way."""

    drafts: list[dict[str, Any]]
    read: dict[int, Review] = field(default_factory=dict)
    said: dict[int, dict[str, str]] = field(default_factory=dict)

    @staticmethod
    def _parts(draft: dict[str, Any]) -> dict[str, str]:
        return {part: text[:MOST_PART_CHARS] for part, text in draft["parts"].items()}

    def review(self, draft: dict[str, Any], standard: Standard) -> Review:
        """The draft's review against `standard`."""
        number = draft["number"]
        if number not in self.read:
            goal = draft.get("target") or DEFAULT_TARGET
            self.read[number] = analyse(self._parts(draft), target=goal)
        return judged(self.read[number], standard)

    def score(self, draft: dict[str, Any], standard: Standard) -> float:
        """How well the draft's Action and Result read against `standard` (`_score`)."""
        number = draft["number"]
        if number not in self.said:
            parts = self._parts(draft)
            self.said[number] = content_stems(
                " ".join(parts.get(p, "") for p in ("action", "result"))
            )
        return _score(coverage_of(standard.indicators, self.said[number]))


class FromAdvert:
    """The advert command, a part of `StarFlow` (it reads the person's drafts)."""

    def advert_command(
        self, state: dict[str, Any], event: Event, rest: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        words = rest.split()
        if not words:
            return state, [compose("star/advert_help.j2", platform=event.platform)]
        if words[0].casefold() == "level" and len(words) <= 6:
            return self._advert_level(state, event, " ".join(words[1:]))
        reading = self.lookup.adverts.read(rest)  # type: ignore[attr-defined]
        fw = reading.framework
        if fw is None or not reading.behaviours:
            return without(state, AdvertAsked.KEY), [compose("star/advert_none.j2")]
        if reading.level is None:
            asked = AdvertAsked(fw.id, [b.id for b in reading.behaviours])
            return dict(state, advert=asked.dump()), [
                self._ask_level(fw, reading.behaviours, listed=reading.listed)
            ]
        shown = self.advert_reply(event.user, fw, reading.behaviours, reading.level)
        return without(state, AdvertAsked.KEY), [shown]

    def advert_for(self, owner: str, text: str, grade: str = "") -> tuple[Reply, str]:
        """An advert read for `owner` with no conversation (`behaviourbot advert FILE`),
        `grade` naming the level where the advert does not: the reply, and what it is:
        "shown", "none" (no behaviour found) or "level" (which level is it?)."""
        reading = self.lookup.adverts.read(text)  # type: ignore[attr-defined]
        fw, level = reading.framework, reading.level
        if fw is None or not reading.behaviours:
            return compose("star/advert_none.j2"), "none"
        if grade:
            level = self._level_named(fw, grade)
            if level is not None and any(level.id not in b.texts for b in reading.behaviours):
                level = None
        if level is None:
            asked = self._ask_level(fw, reading.behaviours, listed=reading.listed, typed=grade)
            return asked, "level"
        return self.advert_reply(owner, fw, reading.behaviours, level), "shown"

    def _ask_level(
        self, fw: Framework, behaviours: tuple[Behaviour, ...], *, listed: bool, typed: str = ""
    ) -> Reply:
        levels = [lv for lv in fw.levels if all(lv.id in b.texts for b in behaviours)]
        return compose(
            "star/advert_level.j2",
            framework=fw,
            behaviours=behaviours,
            levels=levels,
            listed=listed,
            typed=typed[:40],
        )

    def _advert_level(
        self, state: dict[str, Any], event: Event, typed: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        """The grade, answered: the advert kept in the state, at that level."""
        asked = AdvertAsked.of(state)
        fw = self.lookup.index.by_id.get(asked.framework) if asked else None  # type: ignore[attr-defined]
        behaviours = (
            tuple(b for b in (fw.behaviour(i) for i in (asked.behaviours if asked else ())) if b)
            if fw
            else ()
        )
        if fw is None or not behaviours:
            return without(state, AdvertAsked.KEY), [compose("star/advert_gone.j2")]
        level = self._level_named(fw, typed)
        if level is None or any(level.id not in b.texts for b in behaviours):
            return state, [self._ask_level(fw, behaviours, listed=True, typed=typed or "?")]
        shown = self.advert_reply(event.user, fw, behaviours, level)
        return without(state, AdvertAsked.KEY), [shown]

    def grade_typed(self, state: dict[str, Any], event: Event) -> str | None:
        """A grade typed alone ("SEO", "Grade 7", "3") while an advert waits for its grade
        and no draft, practice or mock does: the answer, as `advert level` takes it."""
        asked = AdvertAsked.of(state)
        if asked is None or event.action is not None or event.slash:
            return None
        if any(key in state for key in ("star", "practice", "mock")):
            return None
        typed = clean(event.text)
        if not typed or len(typed.split()) > 3 or strip_command_prefix(typed) != typed:
            return None
        fw = self.lookup.index.by_id.get(asked.framework)  # type: ignore[attr-defined]
        query = parse_query(self.lookup.index, typed)  # type: ignore[attr-defined]
        only_a_grade = query.levels and not (query.typed_rest or query.numbered or query.clusters)
        if fw is None or not only_a_grade or set(query.framework_ids) - {fw.id}:
            return None
        return typed if self._level_named(fw, typed) is not None else None

    def _level_named(self, fw: Framework, typed: str) -> Level | None:
        """`civil-service/3` (a choice's), or a level typed: `3`, `HEO`, `grade 7`."""
        framework, _, level_id = typed.partition("/")
        if level_id and framework == fw.id:
            return fw.level(level_id)
        found = {
            lv.id
            for ref in parse_query(self.lookup.index, typed).levels  # type: ignore[attr-defined]
            if (lv := ref.resolve(fw)) is not None
        }
        return fw.level(found.pop()) if len(found) == 1 else None

    # ---- the analysis -------------------------------------------------------------------

    def advert_reply(
        self, owner: str, fw: Framework, behaviours: tuple[Behaviour, ...], level: Level
    ) -> Reply:
        """Each behaviour at `level` as the lookup shows it, then `owner`'s drafts
        against them and what to do next."""
        targets = [Target(fw, b, level) for b in behaviours]
        drafts = _Drafts(self.store.drafts(owner)[:MOST_DRAFTS_READ])  # type: ignore[attr-defined]
        rows = [self._row(t, drafts) for t in targets]
        definitions: list[Block] = []
        for t in targets:
            shown = self.lookup.resolution(BehaviourView(fw, t.behaviour, level))  # type: ignore[attr-defined]
            for block in shown.blocks:
                if block.kind == "title":
                    definitions.append(replace(block, kind="heading"))
                elif block.kind != "note":
                    definitions.append(block)
        reply = compose(
            "star/advert.j2",
            framework=fw,
            level=level,
            rows=rows,
            # a mock interview asks about a handful: the first of the advert's, the rest named
            mock=" ".join(f"{fw.id}/{t.behaviour.id}/{level.id}" for t in targets[:MOST_MOCKED]),
            left_out=[t.behaviour for t in targets[MOST_MOCKED:]],
        )
        head, rest = reply.blocks[:2], reply.blocks[2:]
        return replace(reply, blocks=(*head, *definitions, *rest))

    def _cell(self, draft: dict[str, Any], standard: Standard, drafts: _Drafts) -> Cell:
        parts = draft["parts"]
        following = next_part(parts)
        written = self.target_of(draft)  # type: ignore[attr-defined]
        if following in STAR and not parts.get("action", "").strip():
            return Cell(draft["number"], written, None, following)
        review = drafts.review(draft, standard)
        return Cell(draft["number"], written, review, following if following in STAR else None)

    def _row(self, target: Target, drafts: _Drafts) -> Row:
        """The drafts written for `target`, reviewed; with none, the complete draft whose
        Action and Result read best against it (only that one reviewed in full)."""
        fw, b, standard = target.framework, target.behaviour, target.standard
        mine = [d for d in drafts.drafts if d["framework"] == fw.id and d["behaviour"] == b.id]
        if mine:
            return Row(target, tuple(self._cell(d, standard, drafts) for d in mine), None)
        scored = [
            (drafts.score(d, standard), d)
            for d in drafts.drafts
            if next_part(d["parts"]) not in STAR
        ]
        best = max(scored, key=lambda pair: pair[0], default=None)
        if best is None or best[0] == 0:
            return Row(target, (), None)
        return Row(target, (), self._cell(best[1], standard, drafts))
