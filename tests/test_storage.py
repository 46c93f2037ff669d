"""Storage: recorded migrations, events handled once, state that survives a restart."""

from __future__ import annotations

from pathlib import Path

from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import FeedbackStore, Store
from bot.types import Event, Person

from .conftest import FakeAdapter

MIGRATED = [
    "m001_conversations_and_events",
    "m002_teams_references",
    "m003_star_drafts",
    "m004_undelivered_replies",
    "m005_feedback",
    "m006_peer_time_zones",
    "m007_plans_and_expectations",
    "m008_manager_confirmations",
    "m009_who_is_sending",
    "m010_submissions",
    "m011_outbox_attempts",
    "m012_star_states",
    "m013_feedback_states",
    "m014_form_states",
    "m015_people_in_states",
    "m016_feedback_history",
    "m017_peer_consent",
    "m018_own_checkins",
]


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    assert store.applied_migrations() == MIGRATED
    store.close()
    again = Store.open(tmp_path / "a.db")  # reopening applies nothing twice
    assert again.applied_migrations() == MIGRATED
    assert {"conversations", "handled_events"} <= set(again.db.table_names())


def test_a_retried_event_is_answered_once(chat: FakeAdapter, store: Store) -> None:
    first = chat.send(text="leadership", event_id="slack-Ev123")
    second = chat.send(text="leadership", event_id="slack-Ev123")
    assert len(first) == 1 and second == []
    rows = list(store.db["handled_events"].rows_where("event_id = ?", ["slack-Ev123"]))
    assert len(rows) == 1


def test_choices_on_offer_survive_a_restart(frameworks: list[Framework], tmp_path: Path) -> None:
    path = tmp_path / "restart.db"
    store = Store.open(path)
    FakeAdapter(Bot(frameworks, store)).say("leadership")
    store.close()

    store = Store.open(path)  # a new process: nothing kept in memory
    row = store.db["conversations"].get(("console:local:alice", "console:local:alice"))
    assert '"show civil-service/leadership/4"' in row["state"]
    assert FakeAdapter(Bot(frameworks, store)).say("4").title == "Leadership: Level 4"
    store.close()


def test_people_have_their_own_choices(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    alice, bob = FakeAdapter(bot, "alice"), FakeAdapter(bot, "bob")
    alice.say("leadership")
    bob.say("civil service")
    assert alice.say("2").title == "Leadership: Level 2"
    assert bob.say("2").title == "Changing and Improving"


def test_two_processes_can_share_one_file(frameworks: list[Framework], tmp_path: Path) -> None:
    one, two = Store.open(tmp_path / "shared.db"), Store.open(tmp_path / "shared.db")
    FakeAdapter(Bot(frameworks, one)).say("leadership")
    assert FakeAdapter(Bot(frameworks, two)).say("6").title == "Leadership: Level 6"
    one.close()
    two.close()


def test_a_failing_step_rolls_back_and_apologises(
    chat: FakeAdapter, store: Store, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(chat.bot.lookup, "answer", broken)
    (reply,) = chat.send(text="leadership", event_id="will-fail")
    assert reply.title == "Sorry, something went wrong on my side"
    # nothing was stored, so a retry of the same event is handled, not dropped
    assert list(store.db["handled_events"].rows_where("event_id = ?", ["will-fail"])) == []
    monkeypatch.undo()
    assert chat.send(text="leadership", event_id="will-fail")[0].title == "Leadership"


def test_old_handled_events_are_forgotten(store: Store) -> None:
    from datetime import timedelta

    assert store.first_time("e1")
    store.db.execute("UPDATE handled_events SET handled_at = '2000-01-01T00:00:00+00:00'")
    assert store.forget_old_events(timedelta(days=2)) == 1
    assert store.first_time("e1")


def test_unchanged_state_is_not_written_again(chat: FakeAdapter, store: Store) -> None:
    chat.say("leadership")
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        assert chat.say("42").title == "There is no choice 42"  # nothing changes
        assert chat.say("2").title == "Leadership: Level 2"  # the choices change
    finally:
        store.conn.set_trace_callback(None)
    writes = [s for s in statements if s.startswith("INSERT INTO conversations")]
    assert len(writes) == 1


def test_buttons_platforms_keep_no_numbered_choices(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    event = Event(user="slack:T1:U1", conversation="slack:T1:C1", text="leadership", buttons=True)
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        (reply,) = bot.handle(event)
    finally:
        store.conn.set_trace_callback(None)
    assert reply.title == "Leadership" and len(reply.choices) == 7  # offered as buttons
    assert store.db["conversations"].count == 0
    # a lookup that changes nothing is one read: no write lock, no transaction
    assert [s.split()[0] for s in statements] == ["SELECT"]


def test_a_change_made_between_read_and_write_is_not_lost(
    frameworks: list[Framework], tmp_path: Path
) -> None:
    """Another process offers choices after this one read the state: the event is
    handled again on what is stored, so "2" picks from those choices."""
    mine, other = Store.open(tmp_path / "race.db"), Store.open(tmp_path / "race.db")
    FakeAdapter(Bot(frameworks, other)).say("civil service")  # choices to overwrite later
    bot = Bot(frameworks, mine)
    real_step = bot.step
    seen: list[dict[str, object]] = []

    def step(state, event):  # type: ignore[no-untyped-def]
        seen.append(state)
        if len(seen) == 1:  # between this process's read and its write
            FakeAdapter(Bot(frameworks, other)).say("leadership")
        return real_step(state, event)

    bot.step = step  # type: ignore[method-assign]
    event = Event(user="console:local:alice", conversation="console:local:alice", text="2")
    (reply,) = bot.handle(event)
    assert len(seen) == 2 and seen[0] != seen[1]
    assert reply.title == "Leadership: Level 2"  # not "Changing and Improving"
    mine.close()
    other.close()


def test_a_retry_of_an_undelivered_answer_gets_it_again_once(
    frameworks: list[Framework], tmp_path: Path
) -> None:
    """Replies are kept until the adapter says they arrived: a retry after a failed
    delivery gets the same replies (even after a restart), without handling the event
    again; once they arrive they are forgotten, and a further retry gets nothing."""
    from .star.test_review import STRONG

    path = tmp_path / "bot.db"
    store = Store.open(path)
    chat = FakeAdapter(Bot(frameworks, store))
    chat.send(text="prep leadership level 4")
    first = chat.send(text=STRONG["situation"], event_id="slack-Ev1", delivered=False)
    assert first[0].plain_text().startswith("Saved your Situation in draft 1.")
    store.close()

    store = Store.open(path)  # a restart between the failure and the retry
    chat = FakeAdapter(Bot(frameworks, store))
    again = chat.send(text=STRONG["situation"], event_id="slack-Ev1")
    assert again == first  # the same replies, rebuilt from the stored JSON
    assert store.draft(chat.user, 1)["parts"] == {"situation": STRONG["situation"]}  # once
    assert store.state(chat.user, chat.user)["star"]["part"] == "task"
    row = store.db["handled_events"].get("slack-Ev1")
    assert row["replies"] is None and row["sending_since"] is None  # delivered: forgotten
    assert chat.send(text=STRONG["situation"], event_id="slack-Ev1") == []
    store.close()


def test_a_retry_while_the_first_delivery_is_under_way_gets_nothing(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = "console:local:a"
    event = Event(user=who, conversation=who, text="leadership", event_id="e1")
    (answer,) = bot.handle(event)  # being delivered: not settled yet
    assert bot.handle(event) == []  # the first attempt may still deliver it
    # An attempt under way for longer than a minute was cut short (the process stopped).
    store.db.execute("UPDATE handled_events SET sending_since = '2000-01-01T00:00:00+00:00'")
    store.conn.commit()
    assert bot.handle(event) == [answer]
    bot.settle(event, delivered=True)
    assert bot.handle(event) == []


def test_a_duplicate_during_delivery_does_not_settle_the_first_attempt(
    frameworks: list[Framework], store: Store
) -> None:
    """Only the attempt that sends the replies settles them: a retry that gets nothing
    (the first attempt is still sending) leaves them kept, so a failure of the first
    attempt is still retried."""
    import asyncio
    from functools import partial

    from adapters.delivery import answer
    from adapters.worker import inline

    bot = Bot(frameworks, store)
    who = "console:local:a"
    event = Event(user=who, conversation=who, text="leadership", event_id="slow-1")
    (first,) = bot.handle(event)  # the first attempt, still sending

    async def send(replies: list) -> None:  # type: ignore[type-arg]
        assert replies == []

    asyncio.run(answer(partial(inline, bot.handle), partial(inline, bot.settle), event, send))
    assert store.db["handled_events"].get("slow-1")["replies"] is not None
    bot.settle(event, delivered=False)  # the first attempt fails after all
    assert bot.handle(event) == [first]  # and the next retry still gets the answer


def test_a_new_database_is_readable_only_by_its_owner(tmp_path: Path) -> None:
    """It holds people's 360 answers: the file, its -wal and -shm are 0600, in a 0700
    directory when the directory is made for it; a directory that exists is left be."""
    import os
    import stat

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    before = os.umask(0o022)  # a usual umask, which alone leaves files world-readable
    try:
        store = Store.open(tmp_path / "made" / "bot.db")
        store.save_state("test:local:a", "test:local:a", {"answer": 4})
        theirs = tmp_path / "theirs"
        theirs.mkdir(mode=0o755)
        Store.open(theirs / "bot.db").close()
    finally:
        os.umask(before)
    made = tmp_path / "made"
    assert mode(made) == 0o700
    for name in ("bot.db", "bot.db-wal", "bot.db-shm"):
        assert mode(made / name) == 0o600, name
    store.close()
    assert mode(theirs) == 0o755 and mode(theirs / "bot.db") == 0o600


def test_a_360_request_is_made_with_its_people_as_persons(store: Store) -> None:
    """The peers and the manager are handed to the store as `Person`s: their
    identities, names and time zones are what is kept."""
    db = FeedbackStore(store)
    bob, dana = Person("slack:T1:U2", "Bob Smith", 3600), Person("slack:T1:U8", "Dana Jones")
    with store.transaction():
        number = db.create_request(
            requester="slack:T1:U1",
            requester_name="Alice",
            framework="civil-service",
            level="4",
            behaviours=["leadership"],
            self_ratings={"leadership": 3},
            manager=dana,
            deadline="2099-01-01T17:00:00+00:00",
            threshold=3,
            seed="test",
            peers=[bob, Person("slack:T1:U3", "Carol")],
        )
    request = db.request(number)
    assert request is not None
    assert (request["manager"], request["manager_name"]) == (dana.identity, dana.name)
    assert [(p["peer"], p["name"], p["tz_offset"]) for p in db.peers(number)] == [
        ("slack:T1:U2", "Bob Smith", 3600),
        ("slack:T1:U3", "Carol", None),
    ]
