"""Storage: recorded migrations, events handled once, state that survives a restart."""

from __future__ import annotations

from pathlib import Path

from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import Store

from .conftest import FakeAdapter


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.db")
    assert store.applied_migrations() == ["m001_conversations_and_events"]
    store.close()
    again = Store.open(tmp_path / "a.db")  # reopening applies nothing twice
    assert again.applied_migrations() == ["m001_conversations_and_events"]
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
    row = store.db["conversations"].get(("test:local:alice", "test:local:alice"))
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
    with store.db.tracer(lambda sql, params: statements.append(sql)):
        assert chat.say("42").title == "There is no choice 42"  # nothing changes
        assert chat.say("2").title == "Leadership: Level 2"  # the choices change
    writes = [s for s in statements if s.startswith("INSERT INTO conversations")]
    assert len(writes) == 1
