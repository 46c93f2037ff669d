"""Finding the STAR parts of a whole answer (bot/star/parts.py): labels followed where
the person wrote them; otherwise sentence by sentence and clause by clause, in order,
any part allowed to be missing; labels, headings, tags and questions left out."""

from __future__ import annotations

from bot.star.language import evidence
from bot.star.parts import assign, find_parts
from bot.star.review import analyse

from .test_review import STRONG


def parts(answer: str) -> dict[str, str]:
    return find_parts(answer, evidence=evidence).parts


def test_a_spoken_answer_is_cut_into_its_parts() -> None:
    spoken = " ".join(STRONG[p] for p in ("situation", "task", "action", "result"))
    assert parts(spoken) == {p: STRONG[p] for p in ("situation", "task", "action", "result")}
    no_result = parts(f"{STRONG['situation']} {STRONG['task']} I rang everyone and I made a plan.")
    assert "result" not in no_result and no_result["action"] == "I rang everyone and I made a plan."
    learned = parts(spoken + " Next time I would involve the union earlier.")
    assert learned["learned"] == "Next time I would involve the union earlier."


def test_one_sentence_can_hold_the_action_and_its_result() -> None:
    """Defect: "I introduced a triage system that cleared the backlog" gave no Action and
    no Result, and the review then said "The Action never says 'I'"."""
    found = parts("I introduced a triage system that cleared the backlog in three weeks.")
    assert found == {
        "action": "I introduced a triage system",
        "result": "that cleared the backlog in three weeks.",
    }
    review = analyse("I introduced a triage system that cleared the backlog in three weeks.")
    assert review.voice.i == 1 and review.has_evidence


def test_the_first_sentence_is_not_always_the_situation() -> None:
    found = parts(
        "I rebuilt the rota and trained two new starters. As a result, we cleared the "
        "backlog two weeks early."
    )
    assert "situation" not in found and found["action"].startswith("I rebuilt")
    assert found["result"].startswith("As a result")


def test_a_later_sentence_with_we_is_not_always_the_action() -> None:
    found = parts(
        "In my last role as a caseworker, our team had a backlog of 500 cases. My manager "
        "asked me to clear it within a month. I reviewed every case and sorted them by "
        "urgency. As a result, we cleared the backlog two weeks early, and my manager "
        "praised the approach. I learned that planning early saves time."
    )
    assert found["task"] == "My manager asked me to clear it within a month."
    assert found["result"].startswith("As a result, we cleared")
    assert found["learned"] == "I learned that planning early saves time."


def test_labels_headings_tags_and_questions_are_left_out() -> None:
    """Defect: bare label lines, Markdown headings, "(This is the Situation)" tags and
    the form's question stayed in the text and were counted as words."""
    answer = (
        "Describe a time when you delivered at pace.\n"
        "Situation\n"
        "Our team had a backlog of 400 claims.\n"
        "## Task\n"
        "I had to clear it before the audit.\n"
        "**Action:** I set up a triage rota and I trained two colleagues.\n"
        "Result – The backlog was cleared in three weeks. (This is the Result)"
    )
    found = find_parts(answer, evidence=evidence)
    assert found.parts == {
        "situation": "Our team had a backlog of 400 claims.",
        "task": "I had to clear it before the audit.",
        "action": "I set up a triage rota and I trained two colleagues.",
        "result": "The backlog was cleared in three weeks.",
    }
    assert found.left_out == (
        "Describe a time when you delivered at pace.",
        "Situation",
        "## Task",
        "**Action:**",
        "Result –",
        "(This is the Result)",
    )
    assert analyse(answer).length.total == 34  # the answer's own words only


def test_a_tag_names_the_sentences_before_it() -> None:
    found = parts(
        "Our service had a backlog of 400 claims. (This is the Situation.) I set up a "
        "triage rota. (Action) The backlog was cleared in three weeks. (Result)"
    )
    assert found == {
        "situation": "Our service had a backlog of 400 claims.",
        "action": "I set up a triage rota.",
        "result": "The backlog was cleared in three weeks.",
    }


def test_inline_labels_are_followed() -> None:
    labelled = (
        "Situation: a merger. Task - I had to keep the service running. "
        "Action: I planned it. Result: no outages."
    )
    assert parts(labelled) == {
        "situation": "a merger.",
        "task": "I had to keep the service running.",
        "action": "I planned it.",
        "result": "no outages.",
    }


def test_words_with_hyphens_are_not_labels_and_nothing_is_dropped() -> None:
    answer = (
        "Our claims backlog had grown to 14 weeks. I took a results-driven approach and "
        "rebuilt the plan. My task-force colleagues praised it."
    )
    found = parts(answer)
    assert " ".join(found.values()).split() == answer.split()  # every word kept
    opening = parts(
        "Last spring our team missed every deadline. I rebuilt the plan with the team. "
        "Result: we hit every date. Lesson: plan early."
    )
    assert opening == {
        "situation": "Last spring our team missed every deadline.",
        "action": "I rebuilt the plan with the team.",
        "result": "we hit every date.",
        "learned": "plan early.",
    }


def test_the_assignment_keeps_the_parts_in_order() -> None:
    """A unit that reads most like the Situation after the Action stays in the Action:
    the parts are never out of order."""
    scores = [
        {"situation": 0, "task": 0, "action": 3, "result": 0, "learned": 0},
        {"situation": 2, "task": 0, "action": 1, "result": 0, "learned": 0},
        {"situation": 0, "task": 0, "action": 0, "result": 3, "learned": 0},
    ]
    assert assign(scores) == ["action", "action", "result"]
    assert assign([]) == []


def test_a_measured_change_is_a_result_whoever_made_it() -> None:
    """ "We brought load time down from 3.5 seconds to 0.8" tells what came of it, though
    "we" did it: a figure of change outweighs the doing."""
    found = parts(
        "Our checkout page was slow. I profiled it and rewrote the image pipeline. We"
        " brought average load time down from 3.5 seconds to 0.8 seconds."
    )
    assert found["result"] == "We brought average load time down from 3.5 seconds to 0.8 seconds."
