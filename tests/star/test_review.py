"""The review checks, each a pure function, on real-looking examples: a strong one, a
"we"-heavy one, one with no result, and one far over length."""

from __future__ import annotations

import pytest

from bot.frameworks import Framework
from bot.star.review import (
    count_words,
    coverage,
    evidence,
    indicators,
    length,
    review,
    stem,
    voice,
    wording,
)

STRONG = {
    "situation": "In 2023 my team of 12 caseworkers faced a backlog of 900 benefit appeals"
    " after a system change, and morale was low.",
    "task": "As team leader I had to clear the backlog within three months without burning"
    " people out.",
    "action": "I met each caseworker one to one to understand their concerns and what"
    " motivated them, and I explained how clearing the appeals would help the people waiting."
    " I set out a plan with weekly goals, and I inspired the team by celebrating progress"
    " every Friday. When two senior caseworkers pushed back on a new triage rule, I listened,"
    " adjusted the rule with them, and then stood by the decision when another team"
    " challenged it. I championed flexible working so that people with caring"
    " responsibilities could contribute fully, and I made sure everyone felt their ideas were"
    " valued. I encouraged the team to suggest improvements, and adopted three of them.",
    "result": "We cleared the backlog in 10 weeks, two weeks early, and the average wait fell"
    " from 14 weeks to 5. Engagement in the staff survey rose by 18%, and my director praised"
    " the approach and asked me to share it with two other teams.",
}

WE_HEAVY = dict(
    STRONG,
    action="We met as a team and we agreed a plan. We split the work between us and our"
    " managers supported us. We kept going and we got there in the end, and I helped.",
)

NO_RESULT = dict(STRONG, result="It went well in the end and everyone was happy with it.")

OVER_LENGTH = dict(STRONG, situation=" ".join([STRONG["situation"]] * 12))


@pytest.fixture
def level_4(frameworks: list[Framework]) -> tuple[str, ...]:
    civil_service = next(f for f in frameworks if f.id == "civil-service")
    return indicators(civil_service.behaviour("leadership").texts["4"])  # type: ignore[union-attr]


def test_indicators_are_the_level_s_sentences(level_4: tuple[str, ...]) -> None:
    assert len(level_4) == 5
    assert level_4[-1].startswith("Inspire and motivate teams")
    assert indicators(("I do this.", "I do that.")) == ("I do this.", "I do that.")


def test_word_counts_and_balance() -> None:
    strong = length(STRONG)
    assert strong.total == sum(
        count_words(STRONG[p]) for p in ("situation", "task", "action", "result")
    )
    assert strong.largest == "action" and strong.imbalances == ()
    assert not strong.over and not strong.short
    over = length(OVER_LENGTH)
    assert over.over and "situation-long" in over.imbalances and over.largest == "situation"
    assert "action-small" in over.imbalances  # and so not the largest either
    assert length({"situation": "x"}, target=250).short
    assert count_words("I’m re-running the team's plan, twice.") == 6


def test_i_versus_we() -> None:
    assert voice(STRONG["action"]).mostly_we is False
    heavy = voice(WE_HEAVY["action"])
    assert heavy.mostly_we and heavy.we == 8 and heavy.i == 1


def test_a_result_needs_evidence() -> None:
    found = evidence(STRONG["result"])
    assert found.any
    assert found.found["a percentage"] == ("18%",)
    assert "praised" in found.found["feedback"]
    assert "from 14 weeks to" in found.found["a comparison"]
    assert not evidence(NO_RESULT["result"]).any


def test_vague_wording_and_the_passive() -> None:
    found = wording(
        "I helped with various things, etc. Decisions were made and it was agreed by me."
    )
    assert found.vague == ("helped with", "various", "things", "etc")
    assert found.passive == ("were made",)  # "agreed by me" names who acted
    assert wording("I was interested and concerned.").passive == ()
    assert wording(STRONG["action"]).vague == ()


def test_coverage_of_the_level(level_4: tuple[str, ...]) -> None:
    cover = coverage(level_4, " ".join(STRONG.values()))
    grades = [c.grade for c in cover]
    assert grades[2] == "clear"  # stood by the decision
    assert grades[4] == "clear"  # inspired and motivated the team
    assert "motivated" in cover[4].matched  # the example's word for "Inspire"
    assert grades[0] in ("none", "partial")  # diversity: hardly shown
    nothing = coverage(level_4, "I wrote a report.")
    assert [c.grade for c in nothing] == ["none"] * 5
    assert stem("motivated") == stem("inspire") == "motivat"
    assert stem("colleagues") == stem("teams") == "team"


def test_the_band_follows_the_checks_and_explains_itself(level_4: tuple[str, ...]) -> None:
    strong = review(STRONG, level_4)
    heavy = review(WE_HEAVY, level_4)
    flat = review(NO_RESULT, level_4)
    over = review(OVER_LENGTH, level_4)
    assert strong.band >= 5
    assert heavy.band < strong.band and any(s.reason == "we" for s in heavy.band_steps)
    assert flat.band < strong.band and any(s.reason == "no-evidence" for s in flat.band_steps)
    assert over.band < strong.band and any(s.reason == "over" for s in over.band_steps)
    assert strong.band == sum(s.change for s in strong.band_steps)
    assert review({}, level_4).band == 1


def test_follow_up_questions_aim_at_the_weak_spots(level_4: tuple[str, ...]) -> None:
    assert review(WE_HEAVY, level_4).follow_ups[0] == "we"
    assert review(NO_RESULT, level_4).follow_ups[0] == "evidence"
    assert len(review(STRONG, level_4).follow_ups) == 3


def test_the_star_parts_are_found_in_one_answer() -> None:
    from bot.star.review import find_parts

    spoken = " ".join(STRONG[p] for p in ("situation", "task", "action", "result"))
    assert find_parts(spoken) == {p: STRONG[p] for p in ("situation", "task", "action", "result")}
    labelled = (
        "Situation: a merger. Task - I had to keep the service running. "
        "Action: I planned it. Result: no outages."
    )
    assert find_parts(labelled) == {
        "situation": "a merger.",
        "task": "I had to keep the service running.",
        "action": "I planned it.",
        "result": "no outages.",
    }
    no_result = find_parts(
        f"{STRONG['situation']} {STRONG['task']} I rang everyone and I made a plan."
    )
    assert "result" not in no_result and no_result["action"] == "I rang everyone and I made a plan."
    learned = find_parts(spoken + " Next time I would involve the union earlier.")
    assert learned["learned"] == "Next time I would involve the union earlier."


def test_words_with_hyphens_are_not_labels_and_nothing_is_dropped() -> None:
    from bot.star.review import find_parts

    answer = (
        "Our claims backlog had grown to 14 weeks. I took a results-driven approach and "
        "rebuilt the plan. My task-force colleagues praised it."
    )
    found = find_parts(answer)
    assert " ".join(found.values()).split() == answer.split()  # every word kept
    opening = find_parts(
        "Last spring our team missed every deadline. I rebuilt the plan with the team. "
        "Result: we hit every date. Lesson: plan early."
    )
    assert opening == {
        "situation": "Last spring our team missed every deadline.",
        "action": "I rebuilt the plan with the team.",
        "result": "we hit every date.",
        "learned": "plan early.",
    }
