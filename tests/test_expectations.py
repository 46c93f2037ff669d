"""Performance expectations through the core, as the terminal drives it: set by a
manager, delivered by direct message (the outbox), acknowledged, commented on, changed
in new versions, with the record checked row by row; privacy, duplicates, delivery
failures and time zones."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.frameworks import Framework
from bot.records import ExpectationStore
from bot.router import Bot
from bot.storage import Store
from bot.types import Event, Outgoing, Person

from .conftest import FakeAdapter
from .test_feedback import people, text


def set_assignment(dan: FakeAdapter, who: str = "bob") -> str:
    dan.send(text=f"expectations @{who}")
    dan.send(text="a particular assignment")
    dan.send(text="Write the Q1 casework report")
    dan.send(text="Every case answered within 20 working days")
    dan.send(text="skip")
    return text(dan.send(text="2027-03-31"))


def whats(store: Store, number: int = 1) -> list[tuple[int, str, str]]:
    return [
        (e["version"], e["what"], e["person"].rsplit(":", 1)[-1])
        for e in ExpectationStore(store).events(number)
    ]


def test_set_delivered_acknowledged_and_the_record(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    (intro, first) = who["dan"].send(text="expectations @bob")
    assert intro.title == "Set an expectation"
    assert "Kind of expectation" in first.plain_text()  # bob was named with the command
    assert [c.label for c in first.choices][:2] == ["Goal or objective", "Work requirement"]
    who["dan"].send(text="3")
    who["dan"].send(text="Write the Q1 casework report")
    needed = text(who["dan"].send(text="skip"))  # an assignment's standard is needed
    assert "Every case answered" not in needed
    who["dan"].send(text="skip")
    refused = text(who["dan"].send(text="2027-03-31"))
    assert (
        "Please check: Say what quality, quantity, accuracy or timeliness is expected." in refused
    )
    saved = text(who["dan"].send(text="Every case answered within 20 working days"))
    assert "Expectation 1: for bob" in saved and "not delivered yet" in saved
    (v1,) = ExpectationStore(store).versions(1)
    assert (v1["kind"], v1["text"], v1["standards"], v1["due"]) == (
        "assignment",
        "Write the Q1 casework report",
        "Every case answered within 20 working days",
        "2027-03-31",
    )
    assert whats(store) == []  # not communicated until it reaches bob
    (dm,) = bot.inbox(who["bob"].user)
    assert dm.title == "dan set an expectation for you"
    assert [c.command for c in dm.choices][:3] == [
        "expectations ack 1 1",
        "expectations comment 1",
        "expectations propose 1",
    ]
    assert whats(store) == [(1, "communicated", "bob")]
    listed = text(who["dan"].send(text="expectations"))
    assert "For bob: A particular assignment, version 1" in listed and "received" in listed
    acked = text(who["bob"].send(action="expectations ack 1 1"))
    assert "Acknowledged: dan sees that you did, and when." in acked
    again = text(who["bob"].send(action="expectations ack 1 1"))  # a double click
    assert "Already done" in again  # the first answer, said to be so
    assert whats(store) == [(1, "communicated", "bob"), (1, "acknowledged", "bob")]
    (told,) = bot.inbox(who["dan"].user)
    assert told.title == "bob acknowledged expectation 1"


def test_a_change_is_a_new_version_and_the_old_one_stays(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    set_assignment(who["dan"])
    bot.inbox(who["bob"].user)
    who["bob"].send(text="expectations propose 1")
    proposed = text(who["bob"].send(text="Could it be April? The audit is in March."))
    assert "Your proposed change is sent to dan" in proposed
    (proposal,) = bot.inbox(who["dan"].user)
    assert proposal.title == "bob proposed a change to expectation 1"
    assert "expectations change 1" in [c.command for c in proposal.choices]
    # only the manager changes it; only the employee proposes
    assert "Only dan, who set it, can change it" in text(
        who["bob"].send(text="expectations change 1")
    )
    assert "Only bob can do that" in text(who["dan"].send(text="expectations propose 1"))
    who["dan"].send(text="expectations change 1")
    for typed in ("keep", "keep", "keep", "skip", "2027-04-30"):
        who["dan"].send(text=typed)
    changed = text(who["dan"].send(text="Moved after the audit, as Bob asked"))
    assert "Version 2 sent to bob" in changed
    v1, v2 = ExpectationStore(store).versions(1)
    assert (v1["version"], v1["due"], v1["reason"]) == (1, "2027-03-31", "")
    assert (v2["version"], v2["due"], v2["reason"]) == (
        2,
        "2027-04-30",
        "Moved after the audit, as Bob asked",
    )
    assert v2["text"] == v1["text"] == "Write the Q1 casework report"
    (dm,) = bot.inbox(who["bob"].user)
    assert dm.title == "dan changed an expectation for you"
    assert "Why it changed: Moved after the audit, as Bob asked" in dm.plain_text()
    # the old version's button: told it changed, shown the new one
    stale = text(who["bob"].send(action="expectations ack 1 1"))
    assert "This expectation has changed since: version 2 is below." in stale
    who["bob"].send(action="expectations ack 1 2")
    assert whats(store) == [
        (1, "communicated", "bob"),
        (1, "proposal", "bob"),
        (2, "communicated", "bob"),
        (2, "acknowledged", "bob"),
    ]
    shown = text(who["dan"].send(text="expectations show 1"))
    assert "bob proposed a change: Could it be April?" in shown
    assert "Version 2 set by dan (why: Moved after the audit, as Bob asked)" in shown
    assert "bob acknowledged version 2" in shown
    markdown = text(who["bob"].send(text="expectations export"))
    assert "## Expectation 1: A particular assignment" in markdown
    assert "Version 1 set by dan" in markdown and "bob acknowledged version 2" in markdown


def test_only_the_manager_and_employee_see_it(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob", "mallory")
    set_assignment(who["dan"])
    for typed in (
        "expectations show 1",
        "expectations 1",
        "expectations ack 1 1",
        "expectations comment 1",
        "expectations propose 1",
        "expectations change 1",
        "expectations export 1",
    ):
        assert "There is no expectation 1 between you and anyone." in text(
            who["mallory"].send(text=typed)
        ), typed
    assert "Write the Q1" not in text(who["mallory"].send(text="expectations export"))
    assert "None yet" in text(who["mallory"].send(text="expectations"))
    forged = who["mallory"].send(action="expectations comment 1 save", fields={"text": "hi"})
    assert "There is no expectation 1" in text(forged)
    assert whats(store) == []
    in_channel = Event(
        user=who["dan"].user, conversation="test:local:general", text="expectations", private=False
    )
    assert "Expectations are private" in text(bot.handle(in_channel))


def test_comments_go_both_ways_once(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    set_assignment(who["dan"])
    bot.inbox(who["bob"].user)
    for _ in range(2):  # a resubmitted form: recorded and told once
        who["bob"].send(action="expectations comment 1 save", fields={"text": "Happy with this."})
    (note,) = bot.inbox(who["dan"].user)
    assert note.title == "bob commented on expectation 1"
    who["dan"].send(action="expectations comment 1 save", fields={"text": "Thanks, Bob."})
    (reply,) = bot.inbox(who["bob"].user)
    assert "Thanks, Bob." in reply.plain_text()
    assert whats(store) == [
        (1, "communicated", "bob"),
        (1, "comment", "bob"),
        (1, "comment", "dan"),
    ]


def test_a_competency_is_linked_to_a_behaviour_and_level(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    who["dan"].send(text="expectations bob")
    who["dan"].send(text="competency")
    who["dan"].send(text="Lead the team through the reorganisation")
    who["dan"].send(text="leadership")  # no level: asked again
    who["dan"].send(text="skip")
    refused = text(who["dan"].send(text="skip"))
    assert "Name a behaviour and its level, such as leadership level 4." in refused
    saved = who["dan"].send(text="leadership level 4")[-1]
    assert "Competency: Leadership, Level 4 (Grade 7 and 6 or equivalent) (Civil Service)" in (
        saved.plain_text()
    )
    assert "behaviour leadership level 4" in [c.command for c in saved.choices]
    (v1,) = ExpectationStore(store).versions(1)
    assert (v1["framework"], v1["behaviour"], v1["level"]) == ("civil-service", "leadership", "4")


def test_yourself_and_nobody_are_refused(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    dan = FakeAdapter(bot, "dan")
    assert "You cannot set expectations for yourself" in text(dan.send(text="expectations dan"))
    dan.send(text="cancel")
    assert ExpectationStore(store).between(dan.user) == []


def test_an_undeliverable_expectation_is_recorded_and_the_manager_told(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    set_assignment(who["dan"])
    (message,) = bot.outgoing("test:", user=who["bob"].user)
    bot.undeliverable(message, "their account is deactivated")
    assert whats(store) == [(1, "undelivered", "")]
    (told,) = bot.inbox(who["dan"].user)
    assert told.title == "Expectation 1 did not reach bob"
    assert "their account is deactivated" in told.plain_text()
    assert "not delivered yet" in text(who["dan"].send(text="expectations show 1"))


def test_times_are_in_the_readers_zone_and_stored_in_utc(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    # bob's zone is known (Teams gives its name); dan's is not
    bot.handle(
        Event(
            user=who["bob"].user,
            conversation=who["bob"].user,
            text="expectations",
            tz_name="Europe/Paris",
        )
    )
    set_assignment(who["dan"])
    (dm,) = bot.inbox(who["bob"].user)
    (v1,) = ExpectationStore(store).versions(1)
    utc = datetime.fromisoformat(v1["set_at"])
    assert v1["set_at"].endswith("+00:00")
    paris = utc.astimezone(ZoneInfo("Europe/Paris"))
    assert f"set {paris.day} {paris:%b %Y, %H:%M} {paris.tzname()}" in dm.plain_text()
    shown = text(who["dan"].send(text="expectations show 1"))
    assert f"set {utc.day} {utc:%b %Y, %H:%M} UTC" in shown


def test_delivery_records_communication_once(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    set_assignment(who["dan"])
    (message,) = bot.outgoing("test:", user=who["bob"].user)
    bot.sent(message)
    bot.sent(Outgoing(message.id, message.user, message.replies, key=message.key))  # again
    assert whats(store) == [(1, "communicated", "bob")]


def test_new_user_slips_are_caught(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    # a response command without a number asks which, never starts one for "comment"
    assert "Which expectation?" in text(who["dan"].send(text="expectations comment"))
    # a command typed mid-form leaves the form, saying so
    who["dan"].send(text="expectations @bob")
    left = text(who["dan"].send(text="expectations"))
    assert "was left unfinished, and nothing from it was saved" in left
    assert ExpectationStore(store).between(who["dan"].user) == []
    # dates in the British order are read when typed, and a bad one is asked again
    who["dan"].send(text="expectations @bob")
    for typed in ("goal", "Cut the backlog to 50"):
        who["dan"].send(text=typed)
    assert "I could not read that as a date" in text(who["dan"].send(text="next friday"))
    who["dan"].send(text="01/02/2027")
    who["dan"].send(text="31 March 2027")
    (v1,) = ExpectationStore(store).versions(1)
    assert (v1["starts"], v1["due"]) == ("2027-02-01", "2027-03-31")
    # the same form twice (a Teams double click) sets it once; a stale change is refused
    fields = {"employee": "test:local:bob", "kind": "goal", "text": "Cut the backlog to 50"}
    fields |= {"starts": "2027-02-01", "due": "2027-03-31"}
    again = Event(
        user=who["dan"].user,
        conversation=who["dan"].user,
        action="expectations save",
        fields=fields,
        people=(Person("test:local:bob", "bob"),),
    )
    bot.handle(again)
    assert len(ExpectationStore(store).between(who["dan"].user)) == 1
    change = {"kind": "goal", "text": "Cut the backlog to 40", "due": "2027-03-31"}
    who["dan"].send(action="expectations save 1 from 1", fields=change)
    again = text(who["dan"].send(action="expectations save 1 from 1", fields=change))
    assert "Already done" in again  # a resubmission: the first answer, said to be so
    other = change | {"text": "Cut the backlog to 45"}  # made from version 1 too
    stale = text(who["dan"].send(action="expectations save 1 from 1", fields=other))
    assert "is at version 2 now, not 1" in stale
    assert len(ExpectationStore(store).versions(1)) == 2


def test_a_zone_name_that_is_no_zone_is_shown_in_utc(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    odd = Event(user="test:local:zed", conversation="test:local:zed", text="expectations")
    (reply,) = bot.handle(replace(odd, tz_name="America"))  # a directory, not a zone
    assert reply.title == "Expectations"
