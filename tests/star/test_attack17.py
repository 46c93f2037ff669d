"""Attack 17: the STAR answer analysis (bot/star/parts.py, language.py, review.py, the
review templates and `behaviourbot review`) against hostile answers, each test a defect
an attacker found, through the real protocol where an adapter is involved.

The time bounds are generous on purpose: they catch a blow-up (exponential or
quadratic, seconds to minutes), not a slowdown; the timings themselves are measured in
bench/review_time.py ("hostile" answers)."""

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
    assert elapsed < 10, f"{elapsed:.1f} s for a 22-word practice answer"


def _review(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    from adapters.cli import main

    code = main(["review", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_5000_word_answer_of_reactions_and_sources_is_reviewed_at_once(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """2,500 'thanked' then 2,500 'he' in one sentence (5,000 words, the CLI's limit):
    2.2 s; in the chat, a draft whose five parts are each 2,000 such words takes 0.75 s
    per analysis, and its last step analyses it twice."""
    answer = tmp_path / "answer.txt"
    answer.write_text("thanked " * 2500 + "he " * 2500, encoding="utf-8")
    started = time.perf_counter()
    code, out, _ = _review(capsys, str(answer))
    elapsed = time.perf_counter() - started
    assert code == 0 and "Review of your answer" in out
    assert elapsed < 10, f"{elapsed:.1f} s for one 5,000-word answer"


def test_a_file_name_never_puts_terminal_escapes_in_an_error(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`behaviourbot review <name>` where the name holds an OSC or CSI sequence (a
    downloaded file, a glob): 'cannot read …', '… is not UTF-8 text' and '… is over
    200 kB' echo it raw to stderr, so it retitles the window or recolours the terminal."""
    missing = tmp_path / "\x1b]0;owned\x07\x1b[8m.txt"
    code, _, err = _review(capsys, str(missing))
    assert code == 2 and "cannot read" in err
    assert "\x1b" not in err and "\x07" not in err
    binary = tmp_path / "\x1b[2J\x1b[31m.docx"
    binary.write_bytes(b"\xff\xfe\x00binary")
    code, _, err = _review(capsys, str(binary))
    assert code == 2 and "is not UTF-8 text" in err
    assert "\x1b" not in err


def test_follow_up_answers_never_grow_a_practice_answer_past_its_limit(slack) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Each message is checked against the 2,000-word limit, but follow-up answers are
    added to the practice answer without one: eight 2,000-word messages made a
    16,000-word answer (88 kB of state) whose review took 6 s and rising, every reply
    quoting it whole."""
    url, fake, store = slack
    base = fixture("slack_event_message_im.json")
    user = f"slack:{base['team_id']}:{base['event']['user']}"
    _dm(url, fake, base, "practice leadership level 4", 1)
    first = _dm(url, fake, base, "I rang the client. " + "I listened. " * 600, 2)
    assert "Your answer" in json.dumps(first)
    more = _dm(url, fake, base, "I wrote the plan. " * 375, 3)
    assert "Your answer" in json.dumps(more) or "2,000 words" in json.dumps(more)
    where = f"slack:{base['team_id']}:{base['event']['channel']}"
    answer = store.state(user, where)["practice"]["answer"]
    total = sum(len(text.split()) for text in answer.values())
    assert total <= 2000, f"the practice answer holds {total} words"


def test_a_one_line_practice_answer_ending_in_a_question_is_still_reviewed(slack) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A chat message is one line: a 40-word answer ending "Isn't that what leading a
    team is about?" was reviewed as 0 words, no Action, no Result, the whole answer
    'Not counted' as a question (and 'How did I deliver at pace? I …' likewise, in the
    chat and in `behaviourbot review`)."""
    url, fake, _ = slack
    base = fixture("slack_event_message_im.json")
    _dm(url, fake, base, "practice leadership level 4", 1)
    answer = (
        "In my last role our team had a backlog of 500 cases. I set up a triage rota and"
        " coached two new caseworkers, which cleared the backlog three weeks early and my"
        " manager praised it. Isn't that what leading a team is about?"
    )
    reply = json.dumps(_dm(url, fake, base, answer, 2))
    assert "Your answer" in reply
    assert "There is no Action yet" not in reply
    assert "I set up a triage rota" in reply.split("Not counted")[0]


def test_a_fifo_is_refused_not_waited_on(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A named pipe with no writer, or a symlink named like an answer pointing at one:
    the review hangs for ever instead of saying it is not a file."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    answer = tmp_path / "answer.txt"
    answer.symlink_to(pipe)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "adapters.cli", "review", str(answer)],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
            cwd=Path(__file__).resolve().parents[2],
        )
    except subprocess.TimeoutExpired:
        pytest.fail("behaviourbot review waited on a FIFO for 10 s")
    assert done.returncode == 2 and done.stderr.startswith("behaviourbot: ")


def test_a_labelled_lesson_that_says_you_is_kept(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """'What I learned: when you listen first, your team follows you.' under labelled
    parts: left out whole as the interviewer's prompt, so the lesson is neither shown
    nor counted."""
    answer = tmp_path / "answer.txt"
    answer.write_text(
        "Situation: our team had a backlog of 500 cases.\n"
        "Action: I set up a triage rota and coached two new caseworkers.\n"
        "Result: we cleared the backlog three weeks early.\n"
        "What I learned: when you listen first, your team follows you.\n",
        encoding="utf-8",
    )
    code, out, _ = _review(capsys, str(answer), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["parts"]["learned"] == "when you listen first, your team follows you."


def test_long_made_up_words_are_not_kept_after_their_review(chat) -> None:  # type: ignore[no-untyped-def]
    """Practice answers, each with one made-up 30,000-letter word (a Slack message
    holds 40,000 characters): every word stays in both stem caches after its reply,
    about 90 kB a word, so 16,384 such messages keep about 1.5 GB in each worker."""
    import gc
    import random
    import string
    import tracemalloc

    rng = random.Random(17)
    chat.send(text="practice leadership level 4")
    chat.send(text="I led the team and cleared the backlog.")  # warm every cache and import
    chat.send(text="stop")
    gc.collect()
    tracemalloc.start(12)
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(3):
            chat.send(text="practice leadership level 4")
            word = "".join(rng.choices(string.ascii_lowercase, k=30_000))
            (reply,) = chat.send(text=f"I led {word} and the team cleared the backlog.")
            assert "Your answer" in reply.plain_text()
            chat.send(text="stop")
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    # What the analysis itself allocated and still holds (other caches are not its own).
    analysis = [tracemalloc.Filter(True, "*/bot/star/review.py", all_frames=True)]
    kept = sum(
        d.size_diff
        for d in after.filter_traces(analysis).compare_to(
            before.filter_traces(analysis), "filename"
        )
    )
    # The last answer may still be held by what showed it (about one word's 30 kB); three
    # words kept, in two caches each, would be over 180 kB.
    assert kept < 60_000, f"{kept // 1000} kB kept by the analysis after three answers"
