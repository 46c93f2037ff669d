"""Attack 19b: the evidence bank and preparing from a job advert, tried as an attacker
and as a new user. Each test here fails because of a defect found (xfail, strict): the
fix turns it green, and then the mark goes."""

from __future__ import annotations

import copy
import time
from typing import Any

from bot.frameworks import Framework
from bot.maintenance import purge
from bot.router import Bot
from bot.storage import Store

from .conftest import FakeAdapter
from .feedback.test_request import PEERS, people, request, text
from .servers import FakeSlack, wait_for
from .slack.test_app import event, fixture, slack  # noqa: F401  (slack: the fixture)
from .star.test_bank import answer, material


def test_purging_a_peer_never_shows_the_requester_which_examples_were_theirs(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    for name in PEERS:
        answer(who[name], "yes", f"{name.title()} saw it")
    who["alice"].send(text="360 close 1 confirm")
    before = material(text(who["alice"].send(text="evidence leadership")))
    assert len(before) == 3
    purge(store, person=who["bob"].user, history=Bot(frameworks, store).feedback.history)
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    after = material(text(alice.send(text="evidence leadership")))
    assert "Bob saw it" in text(alice.send(text="360 report 1"))  # the report keeps it
    assert after == before


def test_a_withdrawal_pressed_at_the_first_question_of_a_changed_answer_is_honoured(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    answer(who["bob"], "yes", "Ran the offsite")
    answer(who["carol"], "no", "Led the merger")
    answer(who["dan"], "no")
    bob = who["bob"]
    bob.send(text="360 answer 1")  # to change it: the first question, consent, again
    assert bob.last is not None
    assert "360 consent 1 no" in [c.command for c in bob.last.choices]
    said = text(bob.send(text="360 consent 1 no"))  # the No button, pressed
    assert "Leadership" in said  # on to the first rating; bob leaves it there
    who["alice"].send(text="360 close 1 confirm")
    assert material(text(who["alice"].send(text="evidence leadership"))) == []


def test_the_bank_never_ties_one_peers_examples_together_across_behaviours(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    answer(who["bob"], "yes", "Ran the offsite", "Shipped the pay system early")
    answer(who["carol"], "no", "Led the merger", "Cut the backlog")
    answer(who["dan"], "no", "Chaired the review", "Closed the audit")
    alice = who["alice"]
    report = text(alice.send(text="360 close 1 confirm"))
    assert "Ran the offsite" in report and "Closed the audit" in report
    lead = material(text(alice.send(text="evidence leadership")))
    pace = material(text(alice.send(text="evidence delivering at pace")))
    # one quote each from request 1: both are the one peer who agreed, so alice learns
    # that whoever ran the offsite also shipped the pay system (the report never says)
    assert (lead, pace) != (["Ran the offsite"], ["Shipped the pay system early"])


# A peer's example (or a STAR part) that quotes an assessment list reads as a pasted
# advert: it is answered with the advert's reading, and nothing lets it be the answer.
QUOTES_A_LIST = (
    "Her team was assessed against these behaviours: Leadership, Working Together. She ran"
    " the preparation sessions herself and all four passed."
)


def test_a_peers_example_that_quotes_an_assessment_list_can_be_filed(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob = who["bob"]
    for said in ("360 answer 1", "yes", "3"):
        bob.send(text=said)
    bob.send(text=QUOTES_A_LIST)
    bob.send(text="yes")  # "it is my answer", as for a lookup held back mid-flow
    answering = store.state(bob.user, bob.user)["answering"]
    assert answering["examples"].get("leadership") == QUOTES_A_LIST


def test_a_star_part_that_quotes_an_assessment_list_can_be_filed(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    alice.send(text="prep leadership level 4")
    alice.send(text=QUOTES_A_LIST)
    alice.send(text="yes")
    assert store.draft(alice.user, 1)["parts"].get("situation") == QUOTES_A_LIST


def test_the_mock_interview_an_advert_offers_starts(chat: FakeAdapter) -> None:
    eight = (
        "Principled, People Centered, Effective Communicator, Performance Centered, Diversity"
        " Advocate, Highly Collaborative, Nimble and Innovative, and Steward of Public"
        " Resources"
    )
    reply = chat.say(
        "advert Executive Director (Senior Executive Service)\nApplicants will be evaluated"
        f" on the following DHS SES core leadership competencies: {eight}."
    )
    if reply.choices and reply.choices[0].command.startswith("advert level"):
        reply = chat.pick(reply.choices[0].label)  # the level of performance, asked
    assert reply.title == "From the advert: 8 competencies at Achieved Excellence"
    assert reply.choices[-1].label == "Mock interview"
    started = chat.pick("Mock interview")
    assert "has not started" not in started.plain_text()


def test_a_pasted_advert_full_of_grades_is_read_in_well_under_a_second(
    chat: FakeAdapter,
) -> None:
    def timed(grades: int) -> float:
        hostile = "We'll assess you against these behaviours: Leadership, Working Together.\n"
        hostile += "EO " * grades  # 21 KB at 7,000: a Teams message holds more
        took = []
        for _ in range(3):
            started = time.perf_counter()
            reply = chat.say(hostile)
            took.append(time.perf_counter() - started)
            assert reply.title.startswith("From the advert")
        return min(took)

    # measured against itself in the same run, never against the clock: four times the
    # grades cost about four times as long when the reading is linear, sixteen when not
    small, large = timed(1_750), timed(7_000)
    assert large / small < 9, f"{small:.3f} s, then {large:.3f} s"


def test_an_advert_is_answered_in_well_under_a_second_whatever_the_drafts(
    chat: FakeAdapter, store: Store
) -> None:
    said = (
        "I set out a plan with clear priorities, I explained to each colleague what the"
        " change meant, I listened to concerns and I coached two analysts. "
    )
    with store.transaction():
        for _ in range(10):
            store.create_draft(
                chat.user,
                framework="civil-service",
                behaviour="leadership",
                level="4",
                parts={"situation": said, "task": said, "action": said * 75, "result": said},
            )
    # the unit of work, in the same run: one whole review of one draft against a standard
    from bot.star.drafting import resolve_target
    from bot.star.review import analyse

    (draft, *_) = store.drafts(chat.user)
    target = resolve_target(chat.bot.lookup, "civil-service/leadership/4")
    once = []
    for _ in range(3):
        started = time.perf_counter()
        analyse(draft["parts"], target.standard)  # type: ignore[union-attr]
        once.append(time.perf_counter() - started)
    started = time.perf_counter()
    reply = chat.say(
        "advert Grade 7\nWe'll assess you against these behaviours: Seeing the Big Picture,"
        " Changing and Improving, Making Effective Decisions, Working Together."
    )
    took = time.perf_counter() - started
    assert reply.title == "From the advert: 4 behaviours at Level 4"
    # 10 drafts against 4 behaviours were 40 whole reviews: now far fewer
    assert took / min(once) < 12, f"{took:.2f} s, {took / min(once):.1f} reviews' worth"


def slack_escaped(text: str) -> str:
    """Message text as Slack sends it in an event: its three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_an_advert_pasted_in_slack_reads_as_in_the_terminal(
    slack: tuple[str, FakeSlack, Any],  # noqa: F811
) -> None:
    url, fake, _ = slack
    advert = (
        "Grade: HEO\nWe'll assess you against these behaviours during the selection process:"
        " Changing & Improving, Leadership and Working Together."
    )
    body = copy.deepcopy(fixture("slack_event_message_im.json"))
    body["event"]["text"] = slack_escaped(advert)
    assert event(url, body)[0] == 200
    posted = wait_for(lambda: [c.body for c in fake.to("/api/chat.postMessage")])
    title = posted[0]["blocks"][0]["text"]["text"]
    assert title == "From the advert: 3 behaviours at Level 3", title


def test_the_grade_typed_as_the_answer_to_which_grade_is_taken(chat: FakeAdapter) -> None:
    asked = chat.say(
        "advert We will assess you against these behaviours: Leadership, Working Together"
        " and Delivering at Pace."
    )
    assert asked.title == "Which grade is the job?"
    assert chat.say("SEO").title == "From the advert: 3 behaviours at Level 3"
