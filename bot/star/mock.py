"""A mock interview: one question per behaviour, in turn, as a panel would ask them, each
answer followed by one probing follow-up chosen from its review, and no feedback until
the end, when each behaviour gets a summary from the review (its band or reading, what
was strong, the biggest gap) and the choices: save an answer as a draft, practise the
weakest behaviour again, or run the mock again.

`mock FW/BEHAVIOUR/LEVEL FW/BEHAVIOUR/LEVEL …` (the paths `prep` takes, as a job
advert's reply offers them) or `mock leadership level 4` (one behaviour, in free words).
The interview is a typed state in the conversation (`Interviewing`, bot/star/state.py),
so a restart in the middle asks the same question again; the last one, ended, is kept
as `Interviewed` for its summary's choices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.commands import words_of
from bot.engine import Step, read
from bot.render import compose, phrase
from bot.star.drafting import (
    MAX_PART_WORDS,
    Target,
    _without_flow,
    focus,
    no_answer,
    options_of,
)
from bot.star.practice import FOLLOW_UP_PART, _path, practice_question
from bot.star.review import DEFAULT_TARGET, Coverage, Review, analyse
from bot.star.state import Interviewed, Interviewing, Practised, Practising
from bot.text import count_words
from bot.types import Event, Reply, without

MOCK_VERBS = words_of("mock")
MAX_BEHAVIOURS = 6  # a panel asks about a handful of behaviours, not a framework


def mock_step(follow_up: bool) -> Step:
    """The step a mock interview waits at: its question, or the follow-up. Either may be
    skipped; a choice's label typed is that choice."""
    label = phrase("star/_mock_label.j2", follow_up=follow_up)
    name = "mock-follow-up" if follow_up else "mock-question"
    asks = f"star/{name.replace('-', '_')}.j2"
    return Step(name, asks=asks, label=label, optional=True, open=True)


@dataclass(frozen=True)
class Summary:
    """One behaviour of a mock interview, as its summary shows it."""

    number: int
    target: Target
    review: Review | None  # None: the question was skipped
    strong: tuple[str, ...]  # what was strong, as template keys: "indicator", "evidence", "own"
    gap: str  # the biggest gap: "action", "result", "we", "evidence", "indicator" or ""
    missing: Coverage | None  # the indicator least shown ("indicator"): the one asked, if so
    asked: str  # the indicator the question was about
    score: float  # how well it reads against its level, 0 to 1 (-1 skipped): the weakest is lowest


def summary_of(number: int, target: Target, review: Review | None, asked: str) -> Summary:
    """A behaviour's summary from the review of its answer; `asked`, the indicator its
    question was about."""
    if review is None:
        return Summary(number, target, None, (), "", None, asked, -1.0)
    clear = [c for c in review.coverage if c.grade == "clear"]
    strong = tuple(
        key
        for key, shown in (
            ("indicator", bool(clear)),
            ("evidence", review.strength in ("strong", "some")),
            ("own", bool(review.voice.i) and not review.voice.mostly_we),
        )
        if shown
    )
    gaps = (
        ("action", not review.parts.get("action")),
        ("result", not review.parts.get("result")),
        ("we", review.voice.mostly_we),
        ("evidence", review.strength in ("none", "claims")),
        ("indicator", bool(review.gaps)),
    )
    gap = next((key for key, missing in gaps if missing), "")
    weak = [c for c in review.coverage if c.grade != "clear"]
    least = review.gaps[0] if review.gaps else None
    missing = next((c for c in weak if c.indicator == asked), least)
    return Summary(number, target, review, strong, gap, missing, asked, _score(review))


def _score(review: Review) -> float:
    """The review's verdict on a scale shared by every framework, for the weakest."""
    j = review.judgement
    if j is None:
        return 0.0
    if j.scale == "civil-service":
        return int(j.value) / 7
    if j.scale == "dhs":
        names = list(j.detail)  # highest first
        return 1 - names.index(str(j.value)) / len(names) if j.value in names else 0.0
    total = int(j.detail.get("total", 0) or 0)
    return int(j.detail.get("clear", 0) or 0) / total if total else 0.0


class Mock:
    """The mock interview half of `StarFlow` (a mixin over its lookup and store)."""

    def mock_command(
        self, state: dict[str, Any], event: Event, rest: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        """`mock TARGETS` starts one; `mock` alone asks for the behaviours (or, under way,
        the question again); `mock skip|stop|help` act on the one under way; `mock again`
        and `mock save N` on the last one. A button says which interview it is from
        (`… interview K`): one from an earlier interview does nothing."""
        words = rest.casefold().split()
        number = None  # the interview a button is from
        if len(words) >= 3 and words[-2] == "interview" and words[-1].isdigit():
            number, words = int(words[-1][:9]), words[:-2]
        word = words[0] if words else ""
        mock = Interviewing.of(state)
        last = mock or Interviewed.of(state)
        if number is not None and word in ("skip", "stop", "save", "again"):
            if last is None:
                return state, [compose("star/mock_none.j2")]
            if last.number != number:  # a button of an earlier interview
                old = compose("star/mock_old.j2", under_way=mock is not None, saving=word == "save")
                return state, [old, self.mock_asked(mock)] if mock is not None else [old]
        if word in ("skip", "stop", "help") and len(words) <= 2:
            if mock is None:
                return state, [compose("star/mock_none.j2")]
            if len(words) == 2 and words[1] != str(_step_number(mock)):  # an old button
                old = compose("star/mock_hint.j2", why="old", follow_up=mock.following_up)
                return state, [old, self.mock_asked(mock)]
            return self.mock_answer(state, replace(event, text=word, action=None))
        if word == "again" and words[1:] in ([], ["confirm"]):
            if last is None:
                return state, [compose("star/mock_none.j2")]
            asked = None if words[1:] else self._mock_again_asked(event, last, under_way=mock)
            return (state, [asked]) if asked is not None else self._mock_start(state, last.targets)
        if word == "save" and len(words) <= 2 and mock is not None:
            unsaved = compose(
                "star/mock_unsaved.j2",
                number=0,
                answered=[],
                draft=0,
                under_way=True,
                interview=mock.number,
            )
            return state, [unsaved, self.mock_asked(mock)]
        if word == "save" and len(words) <= 2:
            return self._mock_save(state, event, words[1] if len(words) == 2 else "")
        if not rest:
            if mock is not None:
                return state, [self.mock_asked(mock)]
            return state, [compose("star/which.j2", verb="mock")]
        tokens = rest.split()
        queries = tokens if len(tokens) > 1 and all("/" in t for t in tokens) else [rest]
        paths: list[str] = []
        for query in queries:
            found = self._resolve(query, verb="mock")  # type: ignore[attr-defined]
            if isinstance(found, Reply):
                return state, [found]
            if _path(found) not in paths:
                paths.append(_path(found))
        if len(paths) > MAX_BEHAVIOURS:
            reply = compose("star/mock_too_many.j2", count=len(paths), limit=MAX_BEHAVIOURS)
            return state, [reply]
        return self._mock_start(state, paths)

    def _mock_start(
        self, state: dict[str, Any], paths: list[str]
    ) -> tuple[dict[str, Any], list[Reply]]:
        """A new mock interview on `paths`, each question about the next of the level's
        indicators not asked yet (practice's count, shared)."""
        targets = [self._target_at(p) for p in paths]
        if not all(targets):
            return without(state, "mocked"), [compose("star/mock_none.j2")]
        practised = Practised.of(state) or Practised()
        indicators = []
        for path, target in zip(paths, targets, strict=True):
            assert target is not None
            asked = int(practised.counts.get(path, 0))
            practised.counts[path] = asked + 1
            indicators.append(asked % len(target.indicators))
        practised.mocks += 1
        mock = Interviewing(targets=list(paths), indicators=indicators, number=practised.mocks)
        rest = without(without(_without_flow(state), "practice"), "mocked")
        new_state = dict(rest, mock=mock.dump(), practised=practised.dump())
        return new_state, [self.mock_asked(mock, opening=True)]

    def _target_at(self, path: str) -> Target | None:
        """The behaviour and level at framework/behaviour/level (as practice reads it)."""
        return self._practice_target(Practising(target=path))  # type: ignore[attr-defined,no-any-return]

    def _mock_targets(self, mock: Interviewing) -> list[Target] | None:
        """The interview's behaviours, or None when one is no longer known."""
        targets = [self._target_at(p) for p in mock.targets]
        return None if None in targets else targets  # type: ignore[return-value]

    def mock_asked(self, mock: Interviewing, *, opening: bool = False) -> Reply:
        """The question waiting: the behaviour's question (with the interview's opening
        before the first), or its follow-up. No review: a panel gives none mid-way."""
        targets = self._mock_targets(mock)
        if targets is None:
            return compose("star/mock_none.j2")
        number = len(mock.answers) if mock.following_up else mock.at + 1
        target = targets[number - 1]
        indicator = target.indicators[mock.indicators[number - 1] % len(target.indicators)]
        values = {"target": target, "number": number, "total": len(targets)}
        values["step"] = _step_number(mock)  # carried by its buttons, with the interview's
        values["interview"] = mock.number
        if mock.following_up:
            review = analyse(mock.answers[-1], target.standard, target=DEFAULT_TARGET)
            key = mock.follow_ups[-1]
            return compose(
                "star/mock_follow_up.j2",
                key=key,
                review=review,
                focus=focus,
                asked=indicator,
                **values,
            )
        phrase_, style = practice_question(indicator)
        return compose(
            "star/mock_question.j2",
            phrase=phrase_,
            style=style,
            opening=targets if opening else None,
            **values,
        )

    def mock_answer(
        self, state: dict[str, Any], event: Event
    ) -> tuple[dict[str, Any], list[Reply]]:
        """What is typed while a question of the mock (or its follow-up) waits, read at
        that step: the engine's words, a choice, a non-answer (a hint, and the question
        again), or the answer, kept without a review."""
        mock = Interviewing.of(state)
        assert mock is not None
        targets = self._mock_targets(mock)
        if targets is None:
            return without(state, "mock"), [compose("star/mock_none.j2")]
        asked = self.mock_asked(mock)
        following_up = mock.following_up
        said = read(mock_step(following_up), event.text, options=options_of(asked))
        if said.meaning == "stop":
            return self._mock_stop(state)
        if said.meaning == "picked":
            return self.step(state, replace(event, action=said.value))  # type: ignore[attr-defined]
        if said.meaning == "help":
            return state, [compose("star/mock_help.j2", follow_up=following_up), asked]
        if said.meaning == "back":
            return self._mock_back(state, mock)
        if said.meaning == "skip":
            if following_up:
                passed = replace(mock, follow_answers=[*mock.follow_answers, ""])
                return self._mock_on(state, passed)
            skipped = replace(
                mock,
                answers=[*mock.answers, {}],
                follow_ups=[*mock.follow_ups, ""],
                follow_answers=[*mock.follow_answers, ""],
            )
            return self._mock_on(state, skipped)
        if said.meaning == "refused" and said.problem != "needed":
            number = compose("star/bare_number.j2", part="answer", typed=said.text[:10])
            return state, [number, asked]
        if said.meaning != "answer" or no_answer(said.text):
            hint = compose("star/mock_hint.j2", why="non-answer", follow_up=following_up)
            return state, [hint, asked]
        text = said.text
        number = len(mock.answers) if following_up else mock.at + 1
        target = targets[number - 1]
        so_far = count_words(" ".join(mock.answers[-1].values())) if following_up else 0
        words = so_far + count_words(text)
        if words > MAX_PART_WORDS:
            reply = compose(
                "star/mock_too_long.j2", follow_up=following_up, words=words, limit=MAX_PART_WORDS
            )
            return state, [reply]
        if following_up:
            return self._mock_on(state, replace(mock, follow_answers=[*mock.follow_answers, text]))
        review = analyse(text, target.standard, target=DEFAULT_TARGET)
        mock = replace(
            mock,
            answers=[*mock.answers, dict(review.parts)],
            follow_ups=[*mock.follow_ups, review.follow_ups[0]],
        )
        return dict(state, mock=mock.dump()), [self.mock_asked(mock)]

    def _mock_on(
        self, state: dict[str, Any], mock: Interviewing
    ) -> tuple[dict[str, Any], list[Reply]]:
        """After a behaviour's follow-up: the next behaviour's question, or the summary."""
        if mock.at < len(mock.targets):
            return dict(state, mock=mock.dump()), [self.mock_asked(mock)]
        done = Interviewed.load(mock.dump())
        return dict(without(state, "mock"), mocked=done.dump()), [self._mock_summary(done)]

    def _mock_back(
        self, state: dict[str, Any], mock: Interviewing
    ) -> tuple[dict[str, Any], list[Reply]]:
        """`back`: the question before, to answer again (the new answer replaces the
        old); at the first question, nothing before it."""
        if mock.following_up:
            mock = replace(mock, answers=mock.answers[:-1], follow_ups=mock.follow_ups[:-1])
        elif mock.at == 0:
            hint = compose("star/mock_hint.j2", why="at-start", follow_up=False)
            return state, [hint, self.mock_asked(mock)]
        elif not mock.follow_ups[-1]:  # the question before was skipped: it, again
            mock = replace(
                mock,
                answers=mock.answers[:-1],
                follow_ups=mock.follow_ups[:-1],
                follow_answers=mock.follow_answers[:-1],
            )
        else:
            mock = replace(mock, follow_answers=mock.follow_answers[:-1])
        hint = compose("star/mock_hint.j2", why="back", follow_up=mock.following_up)
        return dict(state, mock=mock.dump()), [hint, self.mock_asked(mock)]

    def _mock_stop(self, state: dict[str, Any]) -> tuple[dict[str, Any], list[Reply]]:
        """`stop`: the interview ends; the behaviours answered whole (question and
        follow-up) are kept for the summary and its choices, the one half-said is not."""
        mock = Interviewing.of(state)
        assert mock is not None
        at = mock.at
        whole = replace(mock, answers=mock.answers[:at], follow_ups=mock.follow_ups[:at])
        kept = Interviewed.load(whole.dump())
        new_state = dict(without(state, "mock"), mocked=kept.dump())
        if not any(kept.follow_ups):
            stopped = compose(
                "star/mock_stopped.j2", total=len(mock.targets), interview=mock.number
            )
            return new_state, [stopped]
        return new_state, [self._mock_summary(kept, stopped=len(mock.targets))]

    def mock_left(
        self, state: dict[str, Any], new_state: dict[str, Any], replies: list[Reply]
    ) -> tuple[dict[str, Any], list[Reply]]:
        """A draft or a practice question started during a mock interview: the mock stops
        (its whole answers kept for `mock save`), and a note before the replies says so."""
        started = any(new_state.get(k) not in (None, state.get(k)) for k in ("star", "practice"))
        mock = Interviewing.of(new_state)
        if mock is None or not started:
            return new_state, replies
        stopped, _ = self._mock_stop(new_state)
        answered = sum(bool(key) for key in mock.follow_ups[: mock.at])
        note = compose("star/mock_left.j2", answered=answered, total=len(mock.targets))
        return stopped, [note, *replies]

    def _mock_again_asked(
        self, event: Event, last: Interviewing, *, under_way: Interviewing | None
    ) -> Reply | None:
        """Before `mock again` throws answers away (the interview under way, or answers
        of the last one not saved as drafts): the question whether to, with the choices.
        None when nothing would be lost."""
        if under_way is not None:
            answered = sum(bool(key) for key in under_way.follow_ups)
            return compose(
                "star/mock_again.j2",
                under_way=True,
                answered=answered,
                total=len(under_way.targets),
                unsaved=[],
                interview=last.number,
            )
        targets = self._mock_targets(last)
        unsaved = [
            (n + 1, targets[n])
            for n in range(last.at)
            if targets is not None
            and last.follow_ups[n]
            and not self.store.draft(event.user, last.saved.get(str(n + 1), 0))  # type: ignore[attr-defined]
        ]
        if not unsaved:
            return None
        return compose(
            "star/mock_again.j2",
            under_way=False,
            answered=0,
            total=len(last.targets),
            unsaved=unsaved,
            interview=last.number,
        )

    def _mock_summary(self, mock: Interviewed, *, stopped: int = 0) -> Reply:
        """Each behaviour asked: its verdict from the review of the answer with the
        follow-up's answer added, what was strong and the biggest gap; then the choices."""
        targets = self._mock_targets(mock)
        if targets is None:
            return compose("star/mock_none.j2")
        rows = [
            summary_of(
                n + 1,
                targets[n],
                analyse(_whole(mock, n), targets[n].standard, target=DEFAULT_TARGET)
                if mock.follow_ups[n]
                else None,
                targets[n].indicators[mock.indicators[n] % len(targets[n].indicators)],
            )
            for n in range(mock.at)
        ]
        # the weakest: the lowest verdict, and of those the one with least that was strong
        weakest = min(rows, key=lambda r: (r.score, len(r.strong))) if rows else None
        return compose(
            "star/mock_summary.j2",
            rows=rows,
            weakest=weakest,
            path=_path,
            focus=focus,
            total=len(targets),
            stopped=stopped,
            interview=mock.number,
        )

    def _mock_save(
        self, state: dict[str, Any], event: Event, which: str
    ) -> tuple[dict[str, Any], list[Reply]]:
        """`mock save N`: answer N of the last mock interview (with its follow-up's answer
        added) saved as a new draft, as `practice save` saves a practice answer."""
        last = Interviewed.of(state)
        if last is None:
            return state, [compose("star/mock_none.j2")]
        answered = [n + 1 for n in range(last.at) if last.follow_ups[n]]
        number = int(which) if which.isdigit() else (answered[0] if len(answered) == 1 else 0)
        draft = last.saved.get(str(number), 0)
        if number not in answered or self.store.draft(event.user, draft):  # type: ignore[attr-defined]
            # not answered, or typed again: the draft it made, not another
            reply = compose(
                "star/mock_unsaved.j2",
                number=number,
                answered=answered,
                draft=draft,
                under_way=False,
                interview=last.number,
            )
            return state, [reply]
        target = self._target_at(last.targets[number - 1])
        if target is None:
            return state, [compose("star/mock_none.j2")]
        parts = _whole(last, number - 1)
        draft, replies = self._save_answer(event, target, parts, kind="mock")  # type: ignore[attr-defined]
        last.saved[str(number)] = draft
        return dict(state, mocked=last.dump()), replies


def _step_number(mock: Interviewing) -> int:
    """Which question of the interview waits, counting follow-ups: what a button of
    that question carries, so that an old button acts on nothing newer."""
    return len(mock.answers) + len(mock.follow_answers) + 1


def _whole(mock: Interviewing, n: int) -> dict[str, str]:
    """Answer `n`'s STAR parts with its follow-up's answer added where it belongs (as a
    practice answer's follow-up is)."""
    parts = dict(mock.answers[n])
    added = mock.follow_answers[n] if n < len(mock.follow_answers) else ""
    if added:
        part = FOLLOW_UP_PART.get(mock.follow_ups[n], "action")
        parts[part] = (parts.get(part, "") + " " + added).strip()
    return parts
