"""360 feedback through the core, as adapters drive it: building a request, peers
answering by direct message (the outbox), the schedule, the report checked against the
stored answers, privacy, restarts and duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.feedback import RequestDraft
from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import (
    FeedbackStore,
    Store,
    m013_feedback_states,
    m015_people_in_states,
    upgrade_flow_states,
)
from bot.types import Event, Person, Reply

from ..conftest import FakeAdapter

PEERS = ("bob", "carol", "dan")
# what a request being built held before its state was typed (m013_feedback_states)
OLD_SHAPE_KEYS = ("behaviours", "by", "done", "forms", "framework", "level", "step", "deadline")


def text(replies: list[Reply]) -> str:
    return "\n\n".join(r.plain_text() for r in replies)


def people(bot: Bot, *names: str) -> dict[str, FakeAdapter]:
    return {n: FakeAdapter(bot, n) for n in names}


def request(alice: FakeAdapter, peers: str = "bob, carol, dan", manager: str = "none") -> str:
    """Alice asks for feedback on Leadership and Delivering at Pace at Level 4."""
    alice.send(text="360 leadership level 4")
    alice.send(text="delivering at pace")
    alice.send(text="done")
    alice.send(text=peers)
    alice.send(text="2 weeks")
    alice.send(text=manager)
    alice.send(text="3")  # Usually, for Leadership
    alice.send(text="4")  # Consistently, for Delivering at Pace
    return text(alice.send(text="send"))


def answer(peer: FakeAdapter, lead: str, pace: str, example: str, keep: str, develop: str) -> str:
    peer.send(text="360 answer 1")
    for typed in ("skip", lead, example, pace, "skip", keep, develop):
        last = text(peer.send(text=typed))
    return last


def test_the_whole_flow_and_the_report_against_the_stored_answers(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS, "dana")
    sent = request(who["alice"], manager="dana")
    (waiting,) = who["dana"].send(text="360 report 1")  # the manager, before the close
    assert "You will get the report when it closes." in waiting.plain_text()
    assert waiting.choices == ()  # only the requester can close it
    assert "Request 1 is on its way" in sent and "asking 3 people" in sent
    (ask,) = bot.inbox(who["bob"].user)
    assert ask.title == "alice asks for your feedback"
    assert "only if at least 3 people answer" in ask.plain_text()
    assert "alice and their manager dana will see" in ask.plain_text()
    assert bot.inbox(who["bob"].user) == []  # delivered once
    assert answer(who["bob"], "4", "2", "Ran the restructure calmly.", "Listening", "Say no")
    bob_row = FeedbackStore(store).peer(1, who["bob"].user)
    assert bob_row["ratings"] == {"leadership": 4, "delivering-at-pace": 2}
    assert bob_row["examples"] == {"leadership": "Ran the restructure calmly."}
    answer(who["carol"], "3", "1", "skip", "Calm", "skip")
    answer(who["dan"], "3", "I can't say", "skip", "skip", "Deadlines")
    listed = text(who["alice"].send(text="360 list"))
    assert "asked 3 · 1 of 3 messages delivered so far · open until" in listed
    assert "3 of 3" not in listed
    (report,) = who["alice"].send(text="360 close 1 confirm")
    body = report.plain_text()
    assert "Leadership: peers Usually (3) on average, 3 rated · you: Usually (3)" in body
    # Delivering at Pace: two rated it (dan could not say), under the threshold of 3
    assert "Delivering at Pace: fewer than 3 rated it, so it is not shown" in body
    assert "Ran the restructure calmly." in body
    assert "Listening" in body and "Calm" in body and "Deadlines" in body and "Say no" in body
    for name in PEERS:
        assert name not in body  # never who said what
    (managers,) = bot.inbox(who["dana"].user)  # the manager gets the report too
    to_manager = managers.plain_text()  # worded for the manager: alice's ratings, not theirs
    assert "on average, 3 rated · alice: Usually (3)" in to_manager
    assert " you" not in to_manager.replace("your", "") and to_manager != body
    assert bot.inbox(who["alice"].user) == []  # alice had it as the reply already
    csv = text(who["alice"].send(text="360 export 1 csv"))
    assert "Leadership,3,3,3,4," in csv
    assert "Delivering at Pace,,,4,4,fewer than 3 rated it" in csv
    markdown = text(who["alice"].send(text="360 export 1 markdown"))
    # Leadership: peers 3 of 4, alice 3: a gap (below the top), level with her peers
    biggest = markdown.split("## Biggest gaps")[1].split("\n## ")[0]
    assert (
        "Leadership" in biggest
        and "Peers' average: Usually (3); your own rating: Usually (3)." in biggest
    )
    assert "above" not in biggest and "higher" not in biggest
    assert "## Examples peers gave" in markdown  # as in the report, unattributed
    assert "- Leadership: Ran the restructure calmly\\." in markdown
    assert "Sorry" not in markdown
    late = text(who["bob"].send(text="360 answer 1"))
    assert "closed on" in late and "nothing more can be recorded" in late


def test_bad_input_gets_a_clear_answer_and_nothing_half_stored(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    alice.send(text="360 leadership level 4")
    for name in ("delivering at pace", "working together", "seeing the big picture"):
        alice.send(text=name)
    (full,) = alice.send(text="changing and improving")  # the fifth: chosen, and done
    assert "Whom should I ask?" in full.plain_text()
    assert "You named yourself" in text(alice.send(text="bob, alice"))
    assert "You named Bob twice" in text(alice.send(text="bob, carol, Bob"))
    assert 'could not read "!!!" as a name' in text(alice.send(text="bob, !!!"))
    assert 'could not read "delivering at pace"' in text(alice.send(text="delivering at pace"))
    assert 'could not read "6"' in text(alice.send(text="6"))
    assert "You named 2: name at least 3" in text(alice.send(text="Bob Jones, Carol"))
    many = ", ".join(f"p{n}" for n in range(201))
    assert "That is more than 200 people" in text(alice.send(text=many))
    alice.send(text="bob, carol, dan")
    assert "The deadline has to be in the future" in text(alice.send(text="2020-01-01"))
    assert "more than 90 days away" in text(alice.send(text="20 weeks"))
    assert "could not read" in text(alice.send(text="whenever"))
    assert "could not read" in text(alice.send(text="2026-02-31"))
    assert FeedbackStore(store).requests_of(alice.user) == []  # nothing stored yet
    assert "Paused: nothing was sent" in text(alice.send(text="cancel"))  # and kept
    assert "You are not putting a request together" in text(alice.send(text="360 send"))
    assert "Cancelled: nothing was sent" in text(alice.send(text="360 cancel"))
    assert "could not tell which framework" in text(alice.send(text="360 zzzz"))


def test_nobody_reaches_anyone_elses_data(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS, "mallory")
    request(who["alice"])
    mallory = who["mallory"]
    for typed in ("360 answer 1", "360 rate 1 leadership 1", "360 report 1", "360 close 1",
                  "360 export 1 csv", "360 decline 1"):  # fmt: skip
        assert "There is no request 1 for you" in text(mallory.send(text=typed)), typed
    assert "There is no request 1 for you" in text(who["bob"].send(text="360 report 1"))
    assert "There is no request 1 for you" in text(who["bob"].send(text="360 close 1 confirm"))
    assert bot.inbox(mallory.user) == []
    assert FeedbackStore(store).request(1)["status"] == "open"
    # not in a shared channel either
    shared = Event(user=who["alice"].user, conversation="console:local:general", text="360",
                   private=False)  # fmt: skip
    (refused,) = bot.handle(shared)
    assert "in private" in refused.plain_text()


def test_a_restart_at_each_step_loses_nothing(frameworks: list[Framework], tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    steps = [
        ("alice", "360 leadership level 4"), ("alice", "done"), ("alice", "bob, carol, dan"),
        ("alice", "1 week"), ("alice", "none"), ("alice", "2"), ("alice", "send"),
        ("bob", "360 answer 1"), ("bob", "yes"), ("bob", "4"), ("bob", "skip"),
        ("bob", "Keep calm"), ("bob", "skip"),
        ("carol", "360 answer 1"), ("carol", "yes"), ("carol", "3"), ("carol", "skip"),
        ("carol", "skip"), ("carol", "skip"),
        ("dan", "360 answer 1"), ("dan", "no"), ("dan", "2"), ("dan", "skip"), ("dan", "skip"),
        ("dan", "skip"),
    ]  # fmt: skip
    for name, typed in steps:
        store = Store.open(path)  # a new process for every message
        FakeAdapter(Bot(frameworks, store), name).send(text=typed)
        store.close()
    store = Store.open(path)
    rows = FeedbackStore(store).peers(1)
    assert [r["status"] for r in rows] == ["answered"] * 3
    assert [r["ratings"] for r in rows] == [{"leadership": 4}, {"leadership": 3}, {"leadership": 2}]
    (report,) = FakeAdapter(Bot(frameworks, store), "alice").send(text="360 close 1 confirm")
    assert "Leadership: peers Usually (3) on average, 3 rated" in report.plain_text()
    store.close()


def test_a_retried_last_answer_is_recorded_once(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob = who["bob"]
    bob.send(text="360 answer 1")
    for typed in ("skip", "4", "skip", "2", "skip", "skip"):
        bob.send(text=typed)
    first = bob.send(text="Last words", event_id="slack-Ev-last")
    again = bob.send(text="Last words", event_id="slack-Ev-last")  # a retry
    assert "your answer to request 1 is recorded" in text(first) and again == []
    assert FeedbackStore(store).peer(1, bob.user)["develop"] == "Last words"
    # changing the answer replaces it: still one row, still one answer
    bob.send(text="360 answer 1")
    for typed in ("skip", "1", "skip", "1", "skip", "skip", "New words"):
        bob.send(text=typed)
    rows = [r for r in FeedbackStore(store).peers(1) if r["peer"] == bob.user]
    assert len(rows) == 1 and rows[0]["ratings"] == {"leadership": 1, "delivering-at-pace": 1}


def test_the_schedule_reminds_once_and_closes_at_the_deadline(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS, "dana")
    request(who["alice"], manager="dana")
    for name in PEERS:
        bot.inbox(who[name].user)  # the requests, delivered
    answer(who["bob"], "4", "3", "skip", "skip", "skip")
    soon = store.now() + timedelta(days=13)  # two days before a two-week deadline
    assert bot.schedule.run_due(soon) == 1
    assert bot.schedule.run_due(soon) == 0  # once
    reminders = {n: bot.outbox.take("console:", user=who[n].user) for n in PEERS}
    assert reminders["bob"] == []  # bob answered: no reminder
    assert [m.replies[0].title for m in reminders["carol"]] == [
        "A reminder: alice's feedback request"
    ]
    later = store.now() + timedelta(days=15)
    assert bot.schedule.run_due(later) == 1
    assert FeedbackStore(store).request(1)["status"] == "closed"
    (alices,) = bot.outbox.take("console:", user=who["alice"].user)
    (danas,) = bot.outbox.take("console:", user=who["dana"].user)
    assert alices.replies[0].title == danas.replies[0].title == "360 feedback: request 1"
    assert "Fewer than 3 of the 3 people asked answered" in alices.replies[0].plain_text()


def test_a_person_who_cannot_be_reached_is_reported_by_name(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    (to_carol,) = bot.outbox.take("console:", user=who["carol"].user)
    bot.outbox.undeliverable(to_carol, "they have not installed the app")
    (told,) = bot.outbox.take("console:", user=who["alice"].user)
    assert "I could not reach carol for request 1 (they have not installed the app)" in (
        told.replies[0].plain_text()
    )
    assert FeedbackStore(store).peer(1, who["carol"].user)["status"] == "unreachable"
    assert "could not be reached" in text(who["alice"].send(text="360 list"))


def test_people_are_picked_on_platforms_with_forms_and_checked(
    frameworks: list[Framework], store: Store
) -> None:
    """Where the platform picks people (Slack, Teams), typed names are not guessed at,
    and who a picked id is comes from the adapter's `Event.people`, never the payload."""
    bot = Bot(frameworks, store)
    me = "slack:T1:U1"
    mine = Person(me, "Alice Smith")

    def send(text: str = "", action: str | None = None, **more: object) -> Reply:
        event = Event(user=me, conversation=me, text=text, action=action, forms=True, **more)  # type: ignore[arg-type]
        (reply,) = bot.handle(event)
        return reply

    for typed in ("360 leadership level 4", "done"):
        asked = send(typed)
    assert asked.form is not None and asked.form.fields[0].kind == "people"
    assert "Choose three or more people" in asked.plain_text()
    assert "cannot tell who" in send("bob, carol").plain_text()  # typed names: no guess

    def pick(*ids: str, people: tuple[Person, ...]) -> Reply:
        return send(action="360 people", fields={"peers": "\n".join(ids)}, people=people)

    bob, app, gone = (
        Person("slack:T1:U2", "Bob"),
        Person("slack:T1:B1", "Deploys", problem="bot"),
        Person("slack:T1:U9", "Old", problem="deleted"),
    )
    refused = pick("slack:T1:U2", "slack:T1:B1", people=(bob, app, mine))
    assert refused.form is not None and "Deploys: choose people" in refused.form.fields[0].error
    assert "Old: choose people" in pick("slack:T1:U9", people=(gone,)).form.fields[0].error  # type: ignore[union-attr]
    assert "U7: choose people" in pick("slack:T1:U7", people=(bob,)).form.fields[0].error  # type: ignore[union-attr]
    other = Person("slack:T2:U3", "Elsewhere")  # another workspace: not the requester's
    assert "Elsewhere: choose people" in pick("slack:T2:U3", people=(other,)).form.fields[0].error  # type: ignore[union-attr]
    assert "You named yourself" in pick(me, "slack:T1:U2", people=(bob, mine)).plain_text()
    assert "feedback" in store.state(me, me) and store.state(me, me)["feedback"]["step"] == "peers"

    people = tuple(Person(f"slack:T1:U{n}", f"Peer {n}", 3600) for n in range(2, 5))
    deadline = send(
        action="360 people",
        fields={"peers": "\n".join(p.identity for p in people)},
        people=(*people, mine),
        name="Alice Smith",
    )
    assert "Asking: Peer 2, Peer 3, Peer 4" in deadline.plain_text()
    manager = send(action="360 deadline 2 weeks")
    assert manager.form is not None and manager.form.fields[0].most == 1
    dana = Person("slack:T1:U8", "Dana Jones")
    rating = send(action="360 boss", fields={"manager": dana.identity}, people=(dana,))
    assert "rate yourself" in rating.plain_text()
    for behaviour, n in (("leadership", 3),):
        ready = send(action=f"360 self {behaviour} {n}")
    assert "Manager: Dana Jones" in ready.plain_text()
    send(action="360 send")
    db = FeedbackStore(store)
    request = db.request(1)
    assert request is not None and request["requester_name"] == "Alice Smith"
    assert (request["manager"], request["manager_name"]) == (dana.identity, "Dana Jones")
    assert [(p["peer"], p["name"], p["tz_offset"]) for p in db.peers(1)] == [
        (p.identity, p.name, 3600) for p in people
    ]
    (ask,) = bot.outbox.take("slack:", user="slack:T1:U2")[0].replies
    assert ask.title == "Alice Smith asks for your feedback"
    assert "360: ask peers" in bot.lookup.help("slack").plain_text()


def test_only_the_terminal_takes_typed_names_on_every_path(
    frameworks: list[Framework], store: Store
) -> None:
    """On Slack and Teams a peer or a manager is only someone the platform picked: the
    framework button (which starts afresh), a typed manager, an event that claims no
    forms, a picker's payload naming someone the platform did not describe, or a draft
    kept from before people carried identities never make a typed name a person."""
    bot = Bot(frameworks, store)

    def send(me: str, text: str = "", action: str | None = None, **more: object) -> Reply:
        more.setdefault("forms", True)
        event = Event(user=me, conversation=me, text=text, action=action, **more)  # type: ignore[arg-type]
        (reply,) = bot.handle(event)
        return reply

    for me in ("slack:T1:U1", "teams:tenant:megan-aad"):
        send(me, "360")
        for command in ("360 framework civil-service", "360 level 4", "360 add leadership"):
            send(me, action=command)
        asked = send(me, action="360 done")
        assert asked.form is not None and asked.form.command == "360 people"
        for typed, forms in (("bob, carol, dan", True), ("bob, carol, dan", False)):
            refused = send(me, typed, forms=forms)
            assert "cannot tell who" in refused.plain_text()
            assert refused.form is not None and refused.form.command == "360 people"
        crafted = send(me, action="360 people", fields={"peers": f"{me[:-2]}:bob"})
        assert crafted.form is not None and "choose people who can answer" in str(crafted.form)
        assert store.state(me, me)["feedback"]["step"] == "peers"
        people = tuple(Person(f"{me}-{n}", f"Peer {n}") for n in range(3))
        fields = {"peers": "\n".join(p.identity for p in people)}
        send(me, action="360 people", fields=fields, people=people)
        send(me, action="360 deadline 2 weeks")
        for typed in ("360 manager dana", "dana"):
            refused = send(me, typed)
            assert "cannot tell who" in refused.plain_text()
            assert refused.form is not None and refused.form.command == "360 boss"
        kept = store.state(me, me)["feedback"]
        assert kept["manager"] is None and not kept["manager_asked"]

    # a draft kept from before identities, with typed names: dropped by the migration
    # that converts the old shape (m013_feedback_states), to be picked again
    me = "slack:T1:U1"
    draft = {k: v for k, v in store.state(me, me)["feedback"].items() if k in OLD_SHAPE_KEYS}
    draft |= {"peers": ["bob", "carol"], "manager": "dana", "self": {}, "by": me}
    with store.transaction():
        store.save_state(me, me, {"feedback": draft})
        upgrade_flow_states(store.db)
    again = send(me, action="360 manager none")
    assert "cannot tell who" not in again.plain_text()
    kept = store.state(me, me)["feedback"]
    assert kept["peers"] == [] and kept["step"] == "peers"
    # the terminal still takes typed names
    alice = FakeAdapter(bot, "alice")
    alice.send(text="360 leadership level 4")
    alice.send(text="done")
    assert "Asking: bob, carol, dan" in text(alice.send(text="bob, carol, dan"))


def test_a_peer_answers_in_one_form_checked_whole(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob = who["bob"]
    (form,) = bob.send(action="360 answer 1", forms=True)
    assert form.form is not None and form.form.submit == "360 submit 1"
    names = [f.name for f in form.form.fields]
    assert names == [
        "consent",  # asked first: before any example is written
        "rate-leadership",
        "example-leadership",
        "rate-delivering-at-pace",
        "example-delivering-at-pace",
        "keep",
        "develop",
    ]
    assert form.form.fields[0].value == "no"  # no, unless they say yes
    assert [c.label for c in form.form.fields[1].options][-1] == "I can't say"
    (refused,) = bob.send(
        action="360 submit 1", forms=True, fields={"rate-leadership": "3", "keep": "word " * 301}
    )
    assert refused.form is not None
    errors = {f.name: f.error for f in refused.form.fields if f.error}
    assert errors == {
        "rate-delivering-at-pace": "Choose a rating, or I can't say.",
        "keep": "That is 301 words: keep it to 300.",
    }
    assert refused.form.fields[1].value == "3"  # what was typed is kept
    assert FeedbackStore(store).peer(1, bob.user)["status"] == "asked"  # nothing saved
    answer = {
        "rate-leadership": "3",
        "rate-delivering-at-pace": "0",
        "example-leadership": "Ran the <b>review</b>",
        "keep": "Listening",
        "develop": "",
    }
    for _ in range(2):  # a resubmitted form: the same answer, once
        (thanks,) = bob.send(action="360 submit 1", forms=True, fields=answer)
        assert "your answer to request 1 is recorded" in thanks.plain_text()
    peer = FeedbackStore(store).peer(1, bob.user)
    assert peer["ratings"] == {"leadership": 3}  # "I can't say" is no rating
    assert peer["examples"] == {"leadership": "Ran the <b>review</b>"}
    assert (peer["keep"], peer["develop"]) == ("Listening", "")
    (again,) = bob.send(action="360 answer 1", forms=True)  # changing it: held as given
    assert again.form is not None
    assert [f.value for f in again.form.fields][:5] == [
        "no",
        "3",
        "Ran the <b>review</b>",
        "0",
        "",
    ]
    (stranger,) = who["dan"].send(action="360 submit 2", forms=True, fields=answer)
    assert "There is no request 2 for you." in stranger.plain_text()


def test_a_new_users_trial_self_ratings_by_label_and_too_few_peers_said(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    for typed in ("360 ses 1.4", "done", "bob, carol, dan", "360 threshold 4", "10 days"):
        alice.send(text=typed)  # raised after the peers were given
    alice.send(text="dana")
    (ready,) = alice.send(text="Achieved Expectations")  # the label, typed
    body = ready.plain_text()
    assert "(you: Achieved Expectations)" in body
    assert "You and your manager dana will see" in body
    assert "you are asking 3, fewer than 4, so the report can show nothing from them" in body


def expire(store: Store, message_id: int) -> None:
    """As if the message's lease (or wait) had run out."""
    with store.transaction():
        store.conn.execute("UPDATE outbox SET due_at = '2000-01-01' WHERE id = ?", [message_id])


def test_a_message_taken_for_sending_is_taken_once_and_again_only_if_unreported(
    frameworks: list[Framework], store: Store
) -> None:
    """The outbox's lease: a second process does not take a message being sent; one
    whose sending was never reported (the process stopped) comes back after the lease;
    passing failures wait longer each time and are given up on, the requester told."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    (taken,) = bot.outbox.take("console:", user=who["bob"].user)
    assert bot.outbox.take("console:", user=who["bob"].user) == []  # taken: not again
    expire(store, taken.id)
    (again,) = bot.outbox.take("console:", user=who["bob"].user)  # the lease ran out: again
    assert again.id == taken.id
    bot.outbox.sent(again)
    expire(store, taken.id)
    assert bot.outbox.take("console:", user=who["bob"].user) == []  # sent: never again

    (carol,) = bot.outbox.take("console:", user=who["carol"].user)
    pauses = []
    for attempt in range(8):
        bot.outbox.try_again(carol, "ConnectionError")
        due = store.conn.execute("SELECT due_at FROM outbox WHERE id = ?", [carol.id]).fetchone()
        pauses.append((datetime.fromisoformat(due[0]) - store.now()).total_seconds())
        expire(store, carol.id)
        found = bot.outbox.take("console:", user=who["carol"].user)
        if attempt < 7:
            (carol,) = found
            assert carol.attempts == attempt + 1
    assert found == []  # given up on the eighth failure
    assert [round(p / 30) for p in pauses[:3]] == [1, 2, 4]  # 30 s, 1 min, 2 min
    assert FeedbackStore(store).peer(1, who["carol"].user)["status"] == "unreachable"
    (told,) = bot.outbox.take("console:", user=who["alice"].user)
    assert "I could not reach carol for request 1 (ConnectionError)" in told.replies[0].plain_text()
    # a slow-down is no failure: it does not count towards giving up
    (dan,) = bot.outbox.take("console:", user=who["dan"].user)
    bot.outbox.send_later(dan, 1)
    assert store.conn.execute("SELECT attempts FROM outbox WHERE id = ?", [dan.id]).fetchone() == (
        0,
    )


def test_a_held_reminder_is_dropped_once_answered_and_a_failed_one_marks_nobody(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    for name in PEERS:
        bot.inbox(who[name].user)
    db = FeedbackStore(store)
    with store.transaction():  # reminders held for working hours, not sent yet
        for name in ("bob", "carol"):
            db.queue(
                who[name].user,
                f"remind-1-{who[name].user}",
                "[]",
                request_id=1,
                due="2999-01-01T09:00:00+00:00",
            )
    answer(who["bob"], "4", "3", "skip", "skip", "skip")
    keys = {r[0] for r in store.conn.execute("SELECT key FROM outbox WHERE sent_at IS NULL")}
    assert f"remind-1-{who['bob'].user}" not in keys  # answered: no reminder
    assert f"remind-1-{who['carol'].user}" in keys
    with store.transaction():
        store.conn.execute("UPDATE outbox SET due_at = '2000-01-01' WHERE key LIKE 'remind-%'")
    (reminder,) = bot.outbox.take("console:", user=who["carol"].user)
    bot.outbox.undeliverable(reminder, "Slack kept failing")
    assert db.peer(1, who["carol"].user)["status"] == "asked"  # she was asked: not unreachable
    assert bot.outbox.take("console:", user=who["alice"].user) == []  # nothing said wrongly


def test_closing_before_enough_have_answered_asks_first(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    answer(who["bob"], "4", "3", "skip", "skip", "skip")
    (asked,) = who["alice"].send(text="360 close 1")
    assert "Close request 1 now" in asked.plain_text()
    assert "if fewer than 3 have answered by then" in asked.plain_text()
    assert [c.command for c in asked.choices] == ["360 close 1 confirm", "360 list"]
    assert FeedbackStore(store).request(1)["status"] == "open"  # nothing closed yet
    (which,) = who["alice"].send(text="360 export 1")  # open: the report is not ready
    assert "is open until" in which.plain_text()
    (report,) = who["alice"].send(action="360 close 1 confirm")
    assert (
        "Fewer than 3 of the 3 people asked answered, so nothing from them is shown"
        in report.plain_text()
    )
    assert FeedbackStore(store).request(1)["status"] == "closed"
    (which,) = who["alice"].send(text="360 export 1")
    assert [c.command for c in which.choices] == [
        "360 export 1 markdown",
        "360 export 1 csv",
        "360 export 1 svg",
    ]
    assert "I can't say" not in text(who["carol"].send(text="360 answer 1"))  # closed


def test_the_anonymity_threshold_can_be_raised_never_below_three(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    alice = who["alice"]
    for typed in ("360 leadership level 4", "done", "bob, carol, dan", "1 week", "none", "3"):
        alice.send(text=typed)
    assert "at least 3" in text(alice.send(text="360 threshold 1"))
    assert "at least 3" in text(alice.send(text="360 threshold 2"))
    assert "at least 3" in text(alice.send(text="360 threshold two"))
    ready = text(alice.send(text="360 threshold 4"))
    assert "Shown only if at least 4 answer" in ready and "fewer than 4" in ready
    alice.send(text="send")
    assert FeedbackStore(store).request(1)["threshold"] == 4
    (ask,) = bot.inbox(who["bob"].user)
    assert "only if at least 4 people answer" in ask.plain_text()
    for name in PEERS:
        answer(who[name], "4", "3", "skip", "skip", "skip")
    report = text(alice.send(action="360 close 1 confirm"))
    assert "Fewer than 4 of the 3 people asked answered, so nothing from them is shown" in report


def test_a_request_begun_before_people_carried_identities_still_sends(
    frameworks: list[Framework], store: Store
) -> None:
    """State saved by an earlier version (a dictionary, no version, bare names, own
    ratings under "self", no manager key until asked) is converted once by the
    migration m013_feedback_states: names become identities in the terminal."""
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    old = {
        "behaviours": ["leadership"],
        "by": alice.user,
        "deadline": "2026-03-11",
        "done": True,
        "forms": False,
        "framework": "civil-service",
        "level": "4",
        "manager": "dana",
        "peers": ["bob", "carol", "dan"],
        "self": {"leadership": 3},
        "step": "confirm",
    }
    with store.transaction():
        store.save_state(alice.user, alice.user, {"feedback": old, "choices": []})
        m013_feedback_states(store.db)
        m013_feedback_states(store.db)  # once converted, a row is left as it is
    converted = store.state(alice.user, alice.user)["feedback"]
    assert converted["v"] == RequestDraft.VERSION and converted["ratings"] == {"leadership": 3}
    assert RequestDraft.load(converted).manager == Person("console:local:dana", "dana")
    assert converted["manager_asked"] and converted["step"] == "confirm"
    assert "Manager: dana" in text(alice.send(text="360 threshold 3"))
    alice.send(text="send")
    db = FeedbackStore(store)
    assert [p["peer"] for p in db.peers(1)] == [f"console:local:{n}" for n in PEERS]
    assert db.request(1)["manager"] == "console:local:dana"


def test_a_request_built_when_people_were_dictionaries_still_sends(
    frameworks: list[Framework], store: Store
) -> None:
    """A request being built (and one paused with `stop`) as version 1 kept people, as
    dictionaries {"id", "name", "tz"}, is converted once by m015_people_in_states: its
    peers and manager are `Person`s, and it sends as it would have."""
    bot = Bot(frameworks, store)
    alice, erin = FakeAdapter(bot, "alice"), FakeAdapter(bot, "erin")
    v1 = {
        "v": 1,
        "step": "confirm",
        "framework": "civil-service",
        "level": "4",
        "behaviours": ["leadership"],
        "done": True,
        "peers": [
            {"id": f"console:local:{n}", "name": n, "tz": 3600 if n == "bob" else None}
            for n in PEERS
        ],
        "deadline": "2026-03-11",
        "manager": {"id": "console:local:dana", "name": "dana"},
        "manager_asked": True,
        "ratings": {"leadership": 3},
        "forms": False,
        "by": alice.user,
        "me": "",
        "threshold": None,
    }
    with store.transaction():
        store.save_state(alice.user, alice.user, {"feedback": v1, "choices": []})
        store.save_state(erin.user, erin.user, {"feedback-paused": v1 | {"by": erin.user}})
        m015_people_in_states(store.db)
        m015_people_in_states(store.db)  # once converted, a row is left as it is
    converted = store.state(alice.user, alice.user)["feedback"]
    assert converted["v"] == 2 and converted["manager"] == {
        "identity": "console:local:dana",
        "name": "dana",
        "tz_offset": None,
        "problem": "",
        "tz_name": "",
    }
    assert converted["peers"][0] == {
        "identity": "console:local:bob",
        "name": "bob",
        "tz_offset": 3600,
        "problem": "",
        "tz_name": "",
    }
    draft = RequestDraft.of(store.state(alice.user, alice.user))
    assert draft is not None and draft.manager == Person("console:local:dana", "dana")
    assert draft.peers == [
        Person(f"console:local:{n}", n, 3600 if n == "bob" else None) for n in PEERS
    ]
    paused = RequestDraft.paused(store.state(erin.user, erin.user))
    assert paused is not None and paused.peers == draft.peers
    assert "Manager: dana" in text(alice.send(text="360 threshold 3"))
    alice.send(text="send")
    assert "Asking: bob, carol, dan" in text(erin.send(text="360"))
    erin.send(text="send")
    db = FeedbackStore(store)
    for number in (1, 2):
        assert [(p["peer"], p["tz_offset"]) for p in db.peers(number)] == [
            (f"console:local:{n}", 3600 if n == "bob" else None) for n in PEERS
        ]
        assert db.request(number)["manager"] == "console:local:dana"


def test_a_request_can_start_with_a_framework_and_level(
    frameworks: list[Framework], store: Store
) -> None:
    """What a new user typed: '360 policing level 3' goes straight to the behaviours."""
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    (asked,) = alice.send(text="360 policing level 3")
    assert "Which competencies should your peers rate?" in asked.plain_text()
    assert store.state(alice.user, alice.user)["feedback"]["level"] == "3"
    alice.send(text="cancel")
    (level,) = alice.send(text="360 civil service")  # a framework alone: its level next
    assert "At which level?" in level.plain_text()
    alice.send(text="cancel")
    assert "could not tell" in text(alice.send(text="360 policing level 9"))


def test_no_gap_is_claimed_when_no_rating_can_be_shown(
    frameworks: list[Framework], store: Store
) -> None:
    """Seen in a new user's trial: three answered, two could not say, and the report
    said peers rate everything at the top of the scale."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    alice = who["alice"]
    for typed in ("360 leadership level 4", "done", "bob, carol, dan", "1 week", "none", "2"):
        alice.send(text=typed)
    alice.send(text="send")
    for name, rating in (("bob", "3"), ("carol", "I can't say"), ("dan", "I can't say")):
        who[name].send(text="360 answer 1")
        for typed in ("skip", rating, "skip", "skip", "skip"):
            who[name].send(text=typed)
    report = text(alice.send(text="360 close 1 confirm"))
    assert "fewer than 3 rated it, so it is not shown" in report
    assert "None can be shown: fewer than 3 people rated any behaviour." in report
    assert "top of the scale" not in report
    assert "no gap can be pointed at" in text(alice.send(text="360 plan 1"))
    assert "None can be shown: too few ratings." in text(alice.send(text="360 export 1 markdown"))


def test_an_accomplice_at_threshold_two_learns_nothing(
    frameworks: list[Framework], store: Store
) -> None:
    """With two answers, an accomplice who answers knows their own: the rest is the
    other peer's. `360 threshold 2` is refused, and a stored 2 is read as 3."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", "bob", "carol", "dan")
    alice = who["alice"]
    for typed in ("360 leadership level 4", "done", "bob, carol, dan", "1 week", "none", "3"):
        alice.send(text=typed)
    refused = text(alice.send(text="360 threshold 2"))
    assert "at least 3" in refused and "Shown only if at least 2" not in refused
    alice.send(text="send")
    with store.transaction():  # as a request stored before the rule was kept
        store.conn.execute("UPDATE feedback_requests SET threshold = 2 WHERE id = 1")
    (ask,) = bot.inbox(who["carol"].user)
    assert "only if at least 3 people answer" in ask.plain_text()
    for name, rating, develop in (("bob", "Not yet", "skip"), ("carol", "4", "Carol's words")):
        who[name].send(text="360 answer 1")
        for typed in ("skip", rating, "skip", "skip", develop):
            who[name].send(text=typed)
    report = text(alice.send(action="360 close 1 confirm"))
    assert "Fewer than 3 of the 3 people asked answered, so nothing from them is shown" in report
    assert "Carol's words" not in report and "Consistently" not in report
    assert "Carol's words" not in text(alice.send(text="360 export 1 markdown"))


def test_three_ratings_cannot_be_worked_out_from_the_report(
    frameworks: list[Framework], store: Store
) -> None:
    """The lowest, the highest and the average of three ratings give all three: the
    report shows the rounded average and the count only, everywhere."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    alice = who["alice"]
    for typed in ("360 leadership level 4", "done", "bob, carol, dan", "1 week", "none", "4"):
        alice.send(text=typed)
    alice.send(text="send")
    for name, rating in (("bob", "Not yet"), ("carol", "Usually"), ("dan", "Consistently")):
        who[name].send(text="360 answer 1")
        for typed in ("skip", rating, "skip", "skip", "skip"):
            who[name].send(text=typed)
    report = text(alice.send(text="360 close 1 confirm"))
    assert "Leadership: peers Usually (3) on average, 3 rated · you: Consistently (4)" in report
    for shown in (report, text(alice.send(text="360 plan 1"))):
        assert "Not yet (1)" not in shown and "from Not yet" not in shown
        assert "2.7" not in shown and "2.67" not in shown
    markdown = text(alice.send(text="360 export 1 markdown"))
    assert "| Leadership | 3 | 3 | 4 |" in markdown and "2.7" not in markdown
    csv = text(alice.send(text="360 export 1 csv"))
    assert "behaviour,peers_rated,peer_average_rounded,self,scale_top" in csv
    assert "Leadership,3,3,4,4" in csv and "2.67" not in csv and ",1," not in csv


HOSTILE = (
    "# Heading | cell ![](http://x/p.png) [click](javascript:alert(1)) <img src=x> www.evil.example"
)


def test_a_peers_comment_stays_text_in_the_report_and_the_exports(
    frameworks: list[Framework], store: Store
) -> None:
    """A comment is never live Markdown in the export (no heading, table cell, image,
    link or autolink) and is one bullet in the chat report, whatever lines it has."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    alice = who["alice"]
    for typed in ("360 leadership level 4", "done", "bob, carol, dan", "1 week", "none", "3"):
        alice.send(text=typed)
    alice.send(text="send")
    comments = {"bob": HOSTILE, "carol": "First line\n- second bullet\n- third", "dan": "Calm"}
    for name, keep in comments.items():
        who[name].send(text="360 answer 1")
        for typed in ("skip", "3", "skip", keep, "skip"):
            who[name].send(text=typed)
    (report,) = alice.send(text="360 close 1 confirm")
    (keep_block,) = [
        b for n, b in enumerate(report.blocks) if report.blocks[n - 1].text == "Keep doing"
    ]
    assert sorted(keep_block.items) == sorted(
        [" ".join(HOSTILE.split()), "Calm", "First line - second bullet - third"]
    )  # three comments, three bullets
    markdown = text(alice.send(text="360 export 1 markdown"))
    lines = markdown.splitlines()
    assert not any(line.startswith(("# Heading", "- second", "<")) for line in lines)
    for live in ("![](", "](javascript", "<img", "http://", "www.evil", " | cell", "\n- second"):
        assert live not in markdown, live
    assert "\\# Heading \\| cell \\!\\[\\]\\(http\\:" in markdown  # shown as typed, escaped
    assert "&lt;img src\\=x&gt;" in markdown


def ask_on_leadership(alice: FakeAdapter, peers: str) -> str:
    for typed in ("360 leadership level 4", "done", peers, "1 week", "none", "3"):
        ready = text(alice.send(text=typed))
    alice.send(text="send")
    return ready


def answer_leadership(peer: FakeAdapter, number: int, rating: str, example: str, keep: str) -> None:
    peer.send(text=f"360 answer {number}")
    for typed in ("skip", rating, example, keep, "skip"):
        peer.send(text=typed)


def test_comparing_two_reports_singles_nobody_out(
    frameworks: list[Framework], store: Store
) -> None:
    """bob, carol and dan, then bob, carol, dan and erin on Leadership: the difference
    would be erin's rating and comment, so the second report withholds them, says why,
    and said so before anyone answered; the same people again are shown."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS, "erin")
    alice = who["alice"]
    first = ask_on_leadership(alice, "bob, carol, dan")
    assert "asked about" not in first
    for name in PEERS:
        answer_leadership(who[name], 1, "3", f"{name}'s example", f"{name} keeps calm")
    shown = text(alice.send(text="360 close 1 confirm"))
    assert "Leadership: peers Usually (3) on average, 3 rated" in shown

    ready = ask_on_leadership(alice, "bob, carol, dan, erin")
    assert "You asked about Leadership before (request 1)" in ready
    assert "at least 3 people who answered exactly the same of your requests on it" in ready
    (ask,) = [m for m in bot.inbox(who["erin"].user) if "Request 2" in m.plain_text()]
    assert "comparing reports cannot single out anyone's answer" in ask.plain_text()
    for name in PEERS:
        answer_leadership(who[name], 2, "3", f"{name}'s example", f"{name} keeps calm")
    answer_leadership(who["erin"], 2, "Not yet", "Erin's own example", "Erin's own comment")
    report = text(alice.send(text="360 close 2 confirm"))
    assert (
        "Leadership: withheld: compared with your request 1, it could single out someone's answer"
        in report
    )
    assert "comments are withheld: compared with your request 1" in report
    for own in ("Erin's own", "Sometimes (2)", "Not yet (1)", "keeps calm", "example"):
        assert own not in report, own
    for kind in ("markdown", "csv"):
        exported = text(alice.send(text=f"360 export 2 {kind}"))
        assert "Erin's own" not in exported and "withheld" in exported
    assert "withheld" in text(alice.send(text="360 plan 2"))

    ask_on_leadership(alice, "bob, carol, dan")  # the same people again: shown
    for name in PEERS:
        answer_leadership(who[name], 3, "4", f"{name}'s example", f"{name} still calm")
    again = text(alice.send(text="360 close 3 confirm"))
    assert "Leadership: peers Consistently (4) on average, 3 rated" in again
    assert "bob still calm" in again


def test_progress_never_times_who_answered(frameworks: list[Framework], store: Store) -> None:
    """Live counts ("1 of 5 answered") let the requester time each answer: while a
    request is open, the requester and the manager see only who was asked, when it
    closes, and whether enough have answered for a report; nobody is told of an answer."""
    bot = Bot(frameworks, store)
    five = ("bob", "carol", "dan", "erin", "finn")
    who = people(bot, "alice", *five, "dana")
    alice = who["alice"]
    for typed in ("360 leadership level 4", "done", ", ".join(five), "2 weeks", "dana", "3"):
        alice.send(text=typed)
    sent = text(alice.send(text="send"))
    assert "how many" not in sent.replace("whether anyone has answered, how many", "")
    for name in five:
        bot.inbox(who[name].user)
    shown: list[str] = []
    for name in ("bob", "carol", "dan"):
        answer(who[name], "3", "3", "skip", "skip", "skip")
        assert bot.inbox(alice.user) == [] and bot.inbox(who["dana"].user) == []
        shown += [
            text(alice.send(text="360 list")),
            text(alice.send(text="360 report 1")),
            text(who["dana"].send(text="360 report 1")),
        ]
        if name != "dan":
            shown.append(text(alice.send(text="360 close 1")))  # asks first, whatever the count
    db = FeedbackStore(store)
    with store.transaction():  # reminders for erin and finn, held for working hours
        for name in ("erin", "finn"):
            key = f"remind-1-{who[name].user}"
            db.queue(who[name].user, key, "[]", request_id=1, due="2999-01-01T09:00:00+00:00")
    shown.append(text(alice.send(text="360 list")))
    for said in shown:
        for count in ("1 of", "2 of", "3 of", "of 5", "of 7", "Only"):
            assert count not in said, (count, said)
    # nothing changes when an answer comes, not even once enough have answered: the
    # list, the status and the question before closing read the same after each
    assert "asked 5 · open until" in shown[0] and shown[0] == shown[-1]
    assert "Close request 1 now" in shown[3] and shown[3] == shown[7]
    assert shown[1] == shown[5] == shown[9] and "asked 5." in shown[2]  # alice; dana
    assert "enough" not in " ".join(shown)


def test_peers_read_the_rules_before_they_answer(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    (ask,) = bot.inbox(who["bob"].user)
    (form,) = who["bob"].send(action="360 answer 1", forms=True)
    for said in (ask.plain_text(), form.plain_text()):
        assert "only as each behaviour's average, rounded to a whole point" in said
        assert "only if at least 3 people answer" in said
        assert "comparing reports cannot single out anyone's answer" in said
        assert "alice is not told who has answered, how many or when" in said


def test_a_peers_reminder_comes_in_the_working_hours_of_the_zone_they_wrote_from(
    frameworks: list[Framework], store: Store
) -> None:
    """A peer the platform gave no zone with (a Teams roster member) has written to the
    bot from New York before: their reminder waits for 09:00 there, on the clock of
    that day (daylight saving time began on 8 March), while carol's (no zone) is sent
    when the reminders run."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    bob = who["bob"]
    bot.handle(Event(bob.user, bob.user, "help", event_id="z-bob", tz_name="America/New_York"))
    request(who["alice"])
    late_monday = datetime(2026, 3, 17, 3, tzinfo=UTC)  # 23:00 on Monday in New York
    assert bot.schedule.run_due(late_monday) == 1
    due = dict(store.conn.execute("SELECT user, due_at FROM outbox WHERE key LIKE 'remind-%'"))
    assert due[bob.user] == "2026-03-17T13:00:00+00:00"  # 09:00 EDT (UTC-4)
    assert due[who["carol"].user] <= late_monday.isoformat()


def test_comments_are_compared_across_frameworks(frameworks: list[Framework], store: Store) -> None:
    """The keep-doing and develop questions are the same in every framework: bob, carol
    and dan on the Civil Service, then the same three and erin on Policing, would leave
    erin's comments as the new ones, so the second report withholds the comments."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS, "erin")
    alice = who["alice"]
    ask_on_leadership(alice, "bob, carol, dan")
    for name in PEERS:
        answer_leadership(who[name], 1, "3", "skip", f"{name} keeps calm")
    assert "bob keeps calm" in text(alice.send(text="360 close 1 confirm"))
    for typed in ("360 policing level 3", "we are emotionally aware", "done"):
        alice.send(text=typed)
    for typed in ("bob, carol, dan, erin", "1 week", "none", "3", "send"):
        last = text(alice.send(text=typed))
    assert "Request 2 is on its way" in last
    for name in (*PEERS, "erin"):
        answer_leadership(who[name], 2, "3", "skip", f"{name} says the same")
    report = text(alice.send(text="360 close 2 confirm"))
    assert "comments are withheld: compared with your request 1" in report
    assert "erin says the same" not in report


def test_a_deadline_is_read_as_every_other_date_is() -> None:
    """One date reader for the bot: the 360 deadline takes what plans and expectations
    take (31/03/2027, 31 March 2027, in 3 weeks), and refuses the past and the far."""
    from datetime import date

    from bot.feedback import parse_deadline

    today = date(2027, 3, 1)
    for typed in ("31/03/2027", "31 March 2027", "2027-03-31", "31st march 2027"):
        assert parse_deadline(typed, today) == date(2027, 3, 31), typed
    assert parse_deadline("in 3 weeks", today) == date(2027, 3, 22)
    assert parse_deadline("10 days", today) == date(2027, 3, 11)
    assert parse_deadline("tomorrow", today) == date(2027, 3, 2)
    assert parse_deadline("", today) == date(2027, 3, 8)  # a week, by default
    assert parse_deadline("today", today) == "past"
    assert parse_deadline("28/02/2027", today) == "past"
    assert parse_deadline("31/12/2027", today) == "far"
    assert parse_deadline("skip", today) == parse_deadline("soonish", today) == "unreadable"


def test_a_peers_stray_words_are_never_filed_as_answers(
    frameworks: list[Framework], store: Store
) -> None:
    """In the terminal a peer's `help`, `back` or a number pressed twice is not saved as
    an example or a comment (a new user's trial found all three in a report)."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    bob = who["bob"]
    bob.send(text="360 answer 1")
    bob.send(text="skip")  # no consent
    bob.send(text="4")  # Leadership: Consistently
    twice = text(bob.send(text="4"))  # pressed again, at the example
    assert "There is no choice 4 here" in twice and "example" in twice.casefold()
    assert "skip to leave this one out" in text(bob.send(text="help"))
    again = text(bob.send(text="back"))  # the rating again
    assert "How often does alice show this?" in again
    bob.send(text="3")
    bob.send(text="Led the review")
    bob.send(text="2")  # Delivering at Pace: Sometimes
    bob.send(text="skip")
    bob.send(text="back")  # from keep-doing, back to the example
    bob.send(text="Kept the deadline")
    bob.send(text="Calm")
    assert "recorded" in text(bob.send(text="More delegation"))
    row = FeedbackStore(store).peer(1, bob.user)
    assert row["ratings"] == {"leadership": 3, "delivering-at-pace": 2}
    assert row["examples"] == {
        "leadership": "Led the review",
        "delivering-at-pace": "Kept the deadline",
    }
    assert (row["keep"], row["develop"]) == ("Calm", "More delegation")


# ---- defects a new user found while building a request (issue 16) -----------------------


def at_peers(alice: FakeAdapter) -> None:
    alice.send(text="360 leadership level 4")
    alice.send(text="done")


def draft_of(store: Store, alice: FakeAdapter) -> dict:
    return store.state(alice.user, alice.user)["feedback"]


def test_help_and_back_at_the_deadline_are_never_read_as_a_deadline(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    at_peers(alice)
    alice.send(text="bob, carol, dan")
    helped = text(alice.send(text="help"))
    assert "could not read" not in helped
    assert "By when should they answer?" in helped and "2 weeks" in helped
    assert draft_of(store, alice)["step"] == "deadline"
    back = text(alice.send(text="back"))
    assert "could not read" not in back
    assert "Whom should I ask?" in back and "bob, carol, dan" in back  # kept, and shown
    assert draft_of(store, alice)["step"] == "peers"
    assert [p["name"] for p in draft_of(store, alice)["peers"]] == ["bob", "carol", "dan"]
    assert "By when should they answer?" in text(alice.send(text="keep"))


def test_fewer_peers_than_the_threshold_are_refused_at_the_peers_step(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    at_peers(alice)
    refused = text(alice.send(text="bob, carol"))
    assert "You named 2: name at least 3" in refused
    assert "bob, carol" in refused  # what was typed, shown
    assert draft_of(store, alice)["step"] == "peers" and not draft_of(store, alice).get("peers")
    alice.send(text="360 threshold 4")
    assert "name at least 4" in text(alice.send(text="bob, carol, dan"))
    assert "By when" in text(alice.send(text="bob, carol, dan, erin"))


def test_a_command_or_a_word_is_never_a_peers_name(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    at_peers(alice)
    for typed, bad in (("bob, drafts, carol", "drafts"), ("bob, carol, help", "help")):
        refused = text(alice.send(text=typed))
        assert f'"{bad}" is not a name' in refused, refused
        assert not draft_of(store, alice).get("peers")


def test_names_with_spaces_separated_by_commas(frameworks: list[Framework], store: Store) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    at_peers(alice)
    asked = text(alice.send(text="Bob Smith, Carol Jones, Dan"))
    assert "Asking: Bob Smith, Carol Jones, Dan" in asked
    assert RequestDraft.load(draft_of(store, alice)).peers == [
        Person("console:local:bob.smith", "Bob Smith"),
        Person("console:local:carol.jones", "Carol Jones"),
        Person("console:local:dan", "Dan"),
    ]


def test_the_peers_can_be_changed_at_the_confirmation(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    for typed in ("360 leadership level 4", "done", "bob, carol, dan", "2 weeks", "none"):
        alice.send(text=typed)
    (ready,) = alice.send(text="3")
    assert "Change the peers" in [c.label for c in ready.choices]
    again = text([alice.pick("Change the peers")])
    assert "Whom should I ask?" in again and "bob, carol, dan" in again
    confirm = text(alice.send(text="bob, carol, erin"))
    assert "Ready to send" in confirm and "Asking: bob, carol, erin" in confirm
    alice.send(text="send")
    assert [p["peer"] for p in FeedbackStore(store).peers(1)] == [
        "console:local:bob",
        "console:local:carol",
        "console:local:erin",
    ]


def test_a_new_360_mid_build_starts_it_not_help(frameworks: list[Framework], store: Store) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    at_peers(alice)
    started = text(alice.send(text="360 delivering at pace level 3"))
    assert "• 360 list" not in started  # not the help
    assert "Chosen so far: Delivering at Pace" in started
    draft = draft_of(store, alice)
    assert (draft["level"], draft["behaviours"]) == ("3", ["delivering-at-pace"])


def test_the_level_is_asked_only_when_there_is_a_real_choice(
    frameworks: list[Framework], store: Store
) -> None:
    """DHS rates on its own performance levels, and policing has one level: neither
    asks which level; the Civil Service grades do."""
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    for command, item in (("360 dhs", "competencies"), ("360 policing", "competencies")):
        asked = text(alice.send(text=command))
        assert "At which level?" not in asked
        assert f"Which {item} should your peers rate?" in asked
        alice.send(text="cancel")
    assert "At which level?" in text(alice.send(text="360 civil service"))


def test_the_markdown_export_shows_what_the_chat_report_shows(
    frameworks: list[Framework], store: Store
) -> None:
    """The gaps with their pointers to the next level, the examples, and where peers
    rate higher than the person does (said that way round, not as a gap)."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])  # alice: Leadership 3, Delivering at Pace 4
    for name in PEERS:
        answer(who[name], "4", "2", f"Example from {name}", "skip", "skip")
    chat = text(who["alice"].send(text="360 close 1 confirm"))
    markdown = text(who["alice"].send(text="360 export 1 markdown"))
    assert "1. Delivering at Pace" in chat and "To develop it" in chat
    assert "Delivering at Pace" in markdown.split("## Biggest gaps")[1]
    assert "To develop it, Level 5" in markdown  # the gap's pointer, as in the chat
    assert "Example from bob" in markdown
    for body in (chat, markdown):
        assert "peers rate you higher than you rate yourself" in body
        assert "Leadership" not in body.split("Biggest gaps")[1].split("higher")[0]


def test_stop_keeps_the_request_being_built_and_360_takes_it_up(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    at_peers(alice)
    alice.send(text="bob, carol, dan")
    assert "what you chose is kept" in text(alice.send(text="stop")).casefold()
    assert "feedback" not in store.state(alice.user, alice.user)
    again = text(alice.send(text="360"))
    assert "By when should they answer?" in again and "Asking: bob, carol, dan" in again
    alice.send(text="stop")
    assert "Which behaviours" in text(alice.send(text="360 new civil service level 4"))


def test_the_manager_is_never_made_a_peer_when_the_peers_change(
    frameworks: list[Framework], store: Store
) -> None:
    """A second new user's trial: after "Change the peers", the manager could be added as
    a peer and the request went out, though the manager sees the report (and could tell
    their own answer apart). Refused at the peers step, as the reverse is."""
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    for typed in ("360 leadership level 4", "done", "bob, carol, dan", "2 weeks", "erin"):
        alice.send(text=typed)
    alice.send(text="3")
    alice.pick("Change the peers")
    refused = text(alice.send(text="bob, carol, dan, erin"))
    assert "erin is the manager, who sees the report" in refused
    assert [p.identity for p in draft_peers(store, alice)] == [
        "console:local:bob",
        "console:local:carol",
        "console:local:dan",
    ]
    alice.send(text="send")
    assert FeedbackStore(store).peers(1) == [] or all(
        p["peer"] != "console:local:erin" for p in FeedbackStore(store).peers(1)
    )


def draft_peers(store: Store, alice: FakeAdapter) -> list[Person]:
    from bot.feedback.state import RequestDraft

    found = RequestDraft.of(store.state(alice.user, alice.user))
    assert found is not None
    return list(found.peers)


def test_more_behaviours_than_a_request_holds_are_refused_whole(
    frameworks: list[Framework], store: Store
) -> None:
    """A second new user's trial: `1, 2, 3, 4, 5, 6` took five and dropped the sixth
    without a word."""
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    alice.send(text="360")
    alice.send(text="DHS SES")
    refused = text(alice.send(text="1, 2, 3, 4, 5, 6"))
    assert "more than 5" in refused and "nothing was added" in refused
    from bot.feedback.state import RequestDraft

    draft = RequestDraft.of(store.state(alice.user, alice.user))
    assert draft is not None and draft.behaviours == []


def test_360_help_is_the_one_help_of_the_job(frameworks: list[Framework], store: Store) -> None:
    """A second new user's trial: `360 help` and `help 360` gave two different lists."""
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    assert text(alice.send(text="360 help")) == text(alice.send(text="help 360"))
    assert "360 leadership" in text(alice.send(text="360 help"))


def test_the_list_says_a_request_is_being_put_together(
    frameworks: list[Framework], store: Store
) -> None:
    """A second new user's trial: after `stop` while building, `360 list` said "Nothing
    yet"."""
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    alice.send(text="360 leadership level 4")
    alice.send(text="stop")
    listed = text(alice.send(text="360 list"))
    assert "A request is being put together" in listed and "Nothing yet" not in listed
