"""Attack 17: the STAR answer analysis (bot/star/parts.py, language.py, review.py, the
review templates and `behaviourbot review`) against hostile answers. Each test here is
a defect found and not yet fixed: xfail(strict=True), so the fix turns it green."""

from __future__ import annotations

import copy
import json
import time

import pytest

from ..slack.test_app import event, fixture, slack  # noqa: F401  (slack: the fixture)


def _dm(url: str, fake, base: dict, text: str, n: int) -> dict:  # type: ignore[no-untyped-def]
    body = copy.deepcopy(base)
    body["event_id"] = f"Ev-attack17-{n}"
    body["event"] |= {"text": text, "ts": f"1355517523.0000{n:02d}"}
    assert event(url, body)[0] == 200
    return fake.to("/api/chat.postMessage")[-1].body


@pytest.mark.xfail(
    strict=True,
    reason="parts.py: the action cue and _FIRST_PERSON_DOING repeat '\\w+ly ' and "
    "'quickly '/'personally '/'immediately ' in one starred group: exponential backtracking",
)
def test_repeated_adverbs_in_a_practice_answer_are_reviewed_at_once(slack) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """'I quickly quickly … was' (20 adverbs, 23 words) took 2.5 s of CPU, doubling with
    each further adverb (30 adverbs: about 40 minutes), with the GIL held: one chat
    message stops the web process for everyone."""
    url, fake, _ = slack
    base = fixture("slack_event_message_im.json")
    _dm(url, fake, base, "practice leadership level 4", 1)
    answer = "I " + "quickly " * 20 + "was."
    started = time.perf_counter()
    reply = _dm(url, fake, base, answer, 2)
    elapsed = time.perf_counter() - started
    assert "Your answer" in json.dumps(reply)
    assert elapsed < 0.5, f"{elapsed:.1f} s for a 22-word practice answer"
