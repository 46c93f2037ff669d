"""Performance expectations through the core, as the terminal drives it: set by a
manager, delivered by direct message (the outbox), acknowledged, commented on, changed
in new versions, with the record checked row by row; privacy, duplicates, delivery
failures and time zones."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import FixedClock
from bot.expectations.store import ExpectationStore
from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import Store
from bot.types import Event, Outgoing, Person

from ..conftest import FakeAdapter
from ..feedback.test_request import people, text


def set_assignment(
    dan: FakeAdapter, who: str = "bob", what: str = "Write the Q1 casework report"
) -> str:
    dan.send(text=f"expectations @{who}")
    dan.send(text="a particular assignment")
    dan.send(text=what)
    dan.send(text="Every case answered within 20 working days")
    dan.send(text="skip")
    return text(dan.send(text="2027-03-31"))


def confirmed(store: Store, manager: FakeAdapter, employee: FakeAdapter) -> None:
    """`employee` has confirmed before that `manager` is their manager."""
    with store.transaction():
        ExpectationStore(store).manager_event(
            manager.user, employee.user, "confirmed", employee.user
        )


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
    confirmed(store, who["dan"], who["bob"])
    (intro, first) = who["dan"].send(text="expectations @bob")
    assert intro.title == "Set an expectation"
    assert "Kind of expectation" in first.plain_text()  # bob was named with the command
    assert [c.label for c in first.choices][:2] == ["Goal or objective", "Work requirement"]
    who["dan"].send(text="3")
    who["dan"].send(text="Write the Q1 casework report")
    refused = text(who["dan"].send(text="skip"))  # an assignment's standard is needed
    assert (
        "Please check: Say what quality, quantity, accuracy or timeliness is expected." in refused
    )  # at once, not after the last field
    who["dan"].send(text="Every case answered within 20 working days")
    who["dan"].send(text="skip")
    saved = text(who["dan"].send(text="2027-03-31"))
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
    confirmed(store, who["dan"], who["bob"])
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
    confirmed(store, who["dan"], who["bob"])
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
        user=who["dan"].user,
        conversation="console:local:general",
        text="expectations",
        private=False,
    )
    assert "Expectations are private" in text(bot.handle(in_channel))


def test_comments_go_both_ways_once(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    confirmed(store, who["dan"], who["bob"])
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
    confirmed(store, who["dan"], who["bob"])
    who["dan"].send(text="expectations bob")
    who["dan"].send(text="competency")
    who["dan"].send(text="Lead the team through the reorganisation")
    for typed in ("leadership", "leadership level 9"):  # no level, or none such
        refused = text(who["dan"].send(text=typed))  # refused at its step, not at the end
        assert "Set an expectation: 4 of 6" in refused
        assert "Please check: Name a behaviour and its level, such as leadership level 4." in (
            refused
        )
        assert f"You typed: {typed}" in refused
    who["dan"].send(text="leadership level 4")
    who["dan"].send(text="skip")
    saved = who["dan"].send(text="skip")[-1]
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
    confirmed(store, who["dan"], who["bob"])
    set_assignment(who["dan"])
    (message,) = bot.outbox.take("console:", user=who["bob"].user)
    bot.outbox.undeliverable(message, "their account is deactivated")
    assert whats(store) == [(1, "undelivered", "")]
    (told,) = bot.inbox(who["dan"].user)
    assert told.title == "Expectation 1 did not reach bob"
    assert "their account is deactivated" in told.plain_text()
    assert "not delivered yet" in text(who["dan"].send(text="expectations show 1"))
    # the question to someone not yet confirmed: the same
    who["carol"] = FakeAdapter(bot, "carol")
    set_assignment(who["carol"])
    (question,) = bot.outbox.take("console:", user=who["bob"].user)
    bot.outbox.undeliverable(question, "their account is deactivated")
    assert whats(store, 2) == [(1, "awaiting-manager", "carol"), (1, "undelivered", "")]
    assert bot.inbox(who["carol"].user)[0].title == "Expectation 2 did not reach bob"


def test_times_are_in_the_readers_zone_and_stored_in_utc(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    confirmed(store, who["dan"], who["bob"])
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
    confirmed(store, who["dan"], who["bob"])
    set_assignment(who["dan"])
    (message,) = bot.outbox.take("console:", user=who["bob"].user)
    bot.outbox.sent(message)
    bot.outbox.sent(Outgoing(message.id, message.user, message.replies, key=message.key))  # again
    assert whats(store) == [(1, "communicated", "bob")]


def test_new_user_slips_are_caught(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    confirmed(store, who["dan"], who["bob"])
    # a response command without a number asks which, never starts one for "comment"
    assert "Which expectation?" in text(who["dan"].send(text="expectations comment"))
    # a command typed mid-form is answered, and the form's question asked again
    who["dan"].send(text="expectations @bob")
    answered = text(who["dan"].send(text="expectations"))
    assert "None yet" in answered and "Set an expectation:" in answered
    assert ExpectationStore(store).between(who["dan"].user) == []
    assert "was left unfinished" in text(who["dan"].send(text="expectations @bob"))
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
    fields = {"employee": "console:local:bob", "kind": "goal", "text": "Cut the backlog to 50"}
    fields |= {"starts": "2027-02-01", "due": "2027-03-31"}
    again = Event(
        user=who["dan"].user,
        conversation=who["dan"].user,
        action="expectations save",
        fields=fields,
        people=(Person("console:local:bob", "bob"),),
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
    odd = Event(user="console:local:zed", conversation="console:local:zed", text="expectations")
    (reply,) = bot.handle(replace(odd, tz_name="America"))  # a directory, not a zone
    assert reply.title == "Expectations"


def test_the_employee_is_never_a_typed_name_on_slack_or_teams(
    frameworks: list[Framework], store: Store
) -> None:
    """`expectations for bob` on Slack or Teams offers the picker instead of guessing
    who bob is, even from an event that claims no forms; a submitted form naming
    someone the platform did not describe is refused."""
    bot = Bot(frameworks, store)
    for me in ("slack:T1:U1", "teams:tenant:dan-aad"):
        ask = Event(user=me, conversation=me, text="expectations for bob", forms=True)
        (form,) = bot.handle(ask)
        assert form.form is not None and form.form.fields[0].value == ""
        assert "Choose the person in the form" in form.plain_text()
        crafted = {"employee": f"{me[:-3]}:bob", "kind": "goal", "text": "Cut the backlog"}
        (refused,) = bot.handle(
            replace(ask, text="", action="expectations save", fields=crafted, people=())
        )
        assert refused.form is not None and refused.form.fields[0].error
        # an event that claims no forms: asked one field at a time, names still refused
        said = [
            text(bot.handle(replace(ask, text=typed, forms=False)))
            for typed in ("expectations for bob", "bob", "goal", "Cut the backlog", "skip")
        ]
        assert "Choose the person in the form" in said[0] and "cannot tell who" in said[1]
        assert ExpectationStore(store).between(me) == []
    assert bot.outbox.take("slack:") == [] and bot.outbox.take("teams:") == []


def manager_events(store: Store) -> list[tuple[str, str, str]]:
    return [
        (m.rsplit(":", 1)[-1], e.rsplit(":", 1)[-1], what)
        for m, e, what in store.conn.execute(
            "SELECT manager, employee, what FROM manager_events ORDER BY id"
        )
    ]


def test_an_expectation_counts_once_the_employee_confirms_the_manager(
    frameworks: list[Framework], store: Store, clock: FixedClock
) -> None:
    """The first expectation from someone is held, and the employee asked in a direct
    message; Confirm (recorded once) sends it on, the manager is told, and their later
    ones go straight through; a confirmation can be withdrawn, and is on the record."""
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    dan, bob = who["dan"], who["bob"]
    held = set_assignment(dan)
    assert "awaiting confirmation of the manager" in held
    assert "Held until bob confirms that you are their manager" in held
    assert whats(store) == [(1, "awaiting-manager", "dan")]
    (question,) = bot.inbox(bob.user)
    assert question.title == "dan says they are your manager"
    assert "Write the Q1 casework report" in question.plain_text()
    assert "Not my manager: it is void" in question.plain_text()
    assert [c.command for c in question.choices] == [
        "expectations confirm 1",
        "expectations refuse 1",
    ]
    assert whats(store) == [(1, "awaiting-manager", "dan")]  # the question is not it
    listed = text(bob.send(text="expectations"))
    assert "awaiting your confirmation that they are your manager" in listed
    shown = text(bob.send(action="expectations ack 1 1"))  # not before confirming
    assert "dan says they are your manager" in shown and "Acknowledged" not in shown
    assert "Comment" not in shown
    set_assignment(dan, what="Write the Q2 report")  # a second one, still held: asked once
    assert manager_events(store) == [("dan", "bob", "asked")]
    assert "dan says they are your manager" in bot.inbox(bob.user)[0].title

    confirmed = text(bob.send(action="expectations confirm 1"))
    assert "Confirmed: dan is your manager, and is told." in confirmed
    again = text(bob.send(action="expectations confirm 1"))  # a double click
    assert "Already done" in again and "Confirmed: dan is your manager" in again
    clock.advance(timedelta(minutes=1))
    later = text(bob.send(action="expectations confirm 1"))  # pressed again, later
    assert "You have confirmed dan as your manager" in later
    assert manager_events(store) == [("dan", "bob", "asked"), ("dan", "bob", "confirmed")]
    assert whats(store) == [
        (1, "awaiting-manager", "dan"),
        (1, "manager-confirmed", "bob"),
        (1, "communicated", "bob"),  # he has it in front of him
    ]
    (second,) = bot.inbox(bob.user)  # the other one held is sent on now
    assert second.title == "dan set an expectation for you"
    assert "expectations ack 2 1" in [c.command for c in second.choices]
    (told,) = bot.inbox(dan.user)
    assert told.title == "bob confirmed that you are their manager"
    assert "Expectations 1, 2 are with them now, to acknowledge." in told.plain_text()
    record = text(dan.send(text="expectations show 1"))
    assert "bob confirmed dan as their manager" in record
    assert "Awaiting confirmation of the manager" in record
    set_assignment(dan, what="Write the Q3 report")  # confirmed: straight through
    (third,) = bot.inbox(bob.user)
    assert third.title == "dan set an expectation for you"
    assert whats(store, 3) == [(1, "communicated", "bob")]

    withdrawn = text(bob.send(action="expectations withdraw 1"))
    assert "you no longer confirm dan as your manager" in withdrawn
    assert "no longer confirms you" in bot.inbox(dan.user)[0].title
    refused = text(dan.send(text="expectations @bob"))
    assert "bob said you are not their manager any more" in refused
    assert "Set an expectation" not in refused
    assert "this cannot be changed unless they confirm you" in text(
        dan.send(text="expectations change 1")
    )
    assert "bob withdrew their confirmation of dan" in text(dan.send(text="expectations show 3"))
    assert len(ExpectationStore(store).versions(1)) == 1
    for sql in ("UPDATE manager_events SET what = 'x'", "DELETE FROM manager_events"):
        try:
            store.conn.execute(sql)
        except sqlite3.IntegrityError as error:
            assert "append-only" in str(error)
        else:
            raise AssertionError(f"{sql} was allowed")


def test_not_my_manager_voids_it_and_stops_more_until_confirmed(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "mallory", "bob")
    mallory, bob = who["mallory"], who["bob"]
    set_assignment(mallory)
    bot.inbox(bob.user)
    refused = text(bob.send(action="expectations refuse 1"))
    assert "Recorded: mallory is not your manager. This expectation is void" in refused
    text(bob.send(action="expectations refuse 1"))  # a double click: recorded once
    assert manager_events(store) == [("mallory", "bob", "asked"), ("mallory", "bob", "refused")]
    assert whats(store) == [(1, "awaiting-manager", "mallory"), (1, "manager-refused", "bob")]
    (told,) = bot.inbox(mallory.user)
    assert told.title == "bob says you are not their manager"
    assert "Expectation 1 is void, and stays on the record as void." in told.plain_text()
    shown = text(mallory.send(text="expectations show 1"))
    assert "void: bob said mallory is not their manager" in shown
    assert "bob said mallory is not their manager: this expectation is void" in shown
    assert "Change it" not in shown
    assert "this cannot be changed" in text(mallory.send(text="expectations change 1"))
    assert "cannot set expectations for them" in text(mallory.send(text="expectations @bob"))
    assert "Acknowledged" not in text(bob.send(action="expectations ack 1 1"))
    assert "void: not your manager" in text(bob.send(text="expectations"))
    assert ExpectationStore(store).events(1)[-1]["what"] == "manager-refused"
    assert bot.inbox(bob.user) == []  # nothing more reached bob
    # bob changes his mind: mallory's next one goes straight to him; the void one stays void
    assert "mallory is my manager after all" in text(bob.send(text="expectations show 1"))
    bob.send(action="expectations confirm 1")
    assert "void" in text(bob.send(text="expectations show 1"))
    set_assignment(mallory, what="Write the Q2 report")
    assert bot.inbox(bob.user)[0].title == "mallory set an expectation for you"


def test_answering_the_manager_question_mid_form_leaves_the_form(
    frameworks: list[Framework], store: Store
) -> None:
    """`expectations confirm 1` typed while a form is asked field by field is the
    command, never filed as the form's answer."""
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    set_assignment(who["dan"])
    who["bob"].send(text="expectations")
    who["bob"].send(text="expectations new")  # a form of his own, left half-way
    said = text(who["bob"].send(text="expectations confirm 1"))
    assert "Confirmed: dan is your manager" in said
    assert ExpectationStore(store).standing(who["dan"].user, who["bob"].user) == "confirmed"


def test_the_markdown_export_shows_typed_text_as_typed(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    dan = who["dan"]
    dan.send(text="expectations @bob")
    dan.send(text="a particular assignment")
    dan.send(text="Write ![](http://x/p.png) the [report](javascript:alert(1))")
    dan.send(text="Every case answered <img src=x> | within 20 days")
    dan.send(text="skip")
    dan.send(text="2027-03-31")
    markdown = text(who["bob"].send(text="expectations export"))
    for live in ("![](", "](javascript", "<img", "http://", " | within"):
        assert live not in markdown, live
    assert "Write \\!\\[\\]\\(http\\://x/p\\.png\\) the \\[report\\]" in markdown


def test_one_word_count_for_every_limit() -> None:
    """Drafting, review, export and every form's limit count words the same way: a note
    in Japanese with no spaces is as many words as characters, not one."""
    from bot import feedback, records, star, text
    from bot.star import review

    note = "進捗" * 200  # 400 characters, no spaces
    assert text.count_words(note) == 400
    assert review.count_words is star.count_words is text.count_words
    assert records.count_words is feedback.count_words  # plans' and expectations' limits
    assert feedback.count_words is text.count_words


def test_set_another_for_the_same_person_keeps_them(
    frameworks: list[Framework], store: Store
) -> None:
    """Issue 16: "Set another for bob", after setting an expectation, forgot bob."""
    bot = Bot(frameworks, store)
    who = people(bot, "dan", "bob")
    confirmed(store, who["dan"], who["bob"])
    set_assignment(who["dan"])
    (another,) = [c for c in who["dan"].last.choices if c.label == "Set another for bob"]
    first = text(who["dan"].send(action=another.command))
    assert "Kind of expectation" in first and "\nFor\n" not in first
    who["dan"].send(text="goal")
    who["dan"].send(text="Clear the appeals backlog")
    who["dan"].send(text="skip")
    saved = text(who["dan"].send(text="skip"))
    assert "Expectation 2: for bob" in saved
    assert ExpectationStore(store).expectation(2)["employee"] == who["bob"].user


def test_an_expectation_is_kept_with_its_manager_and_employee_as_persons(store: Store) -> None:
    db = ExpectationStore(store)
    with store.transaction():
        number = db.create(
            manager=Person("slack:T1:U8", "Dana Jones"), employee=Person("slack:T1:U2", "Bob")
        )
    kept = db.expectation(number)
    assert kept is not None
    assert (kept["manager"], kept["manager_name"]) == ("slack:T1:U8", "Dana Jones")
    assert (kept["employee"], kept["employee_name"]) == ("slack:T1:U2", "Bob")
