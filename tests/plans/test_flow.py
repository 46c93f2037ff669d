"""Development plans through the core, as the terminal drives it (forms asked one field
at a time): items typed or taken from a 360 report's gaps, a mentor who can see and
comment (and nobody else), check-ins run by the persisted schedule, restarts, duplicates
and the Markdown export, checked against the stored rows."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta

from bot.frameworks import Framework
from bot.plans.store import PlanStore
from bot.router import Bot
from bot.storage import Store
from bot.types import Event, Person

from ..conftest import FakeAdapter
from ..feedback.test_request import answer, people, request, text


def add_leadership(alice: FakeAdapter) -> str:
    alice.send(text="plan add leadership level 5")
    alice.send(text="I rarely set direction for the team")
    alice.send(text="2")  # a developmental assignment
    alice.send(text="2027-01-04")
    return text(alice.send(text="2027-03-31"))


def test_an_item_is_asked_field_by_field_checked_and_stored(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    opened = text(alice.send(text="plan"))
    assert "Your development plan" in opened and "Nothing in it yet" in opened
    (intro, first) = alice.send(text="plan add leadership level 5")
    assert intro.title == "Add to your development plan"
    assert "Add to your plan: 2 of 5" in first.plain_text()  # the behaviour was given
    assert "The gap, in a sentence" in first.plain_text()
    alice.send(text="I rarely set direction for the team")
    asked = text(alice.send(text="lots"))  # not one of the activities
    assert "Pick one of these" in asked
    alice.send(text="a developmental assignment")
    alice.send(text="2027-03-31")
    refused = text(alice.send(text="2027-01-04"))  # before the start: refused at once
    assert "Please check: That is before the start date." in refused
    assert "You typed: 2027-01-04" in refused
    assert "Add to your plan: 5 of 5" in refused
    saved = text(alice.send(text="2027-06-30"))
    assert "Added item 1." in saved
    assert "1. Leadership: Level 5 (Deputy Director or equivalent)" in saved
    (item,) = PlanStore(store).items(1)
    assert item["behaviour"] == "leadership" and item["level"] == "5"
    assert item["gap"] == "I rarely set direction for the team"
    assert (item["activity"], item["starts"], item["due"]) == (
        "assignment",
        "2027-03-31",
        "2027-06-30",
    )
    assert item["status"] == "not started"


def test_a_behaviour_without_a_level_is_asked_again_and_cancel_saves_nothing(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    # given with the command, the behaviour is checked at once: asked first, with why
    asked = text(alice.send(text="plan add leadership"))
    assert "Add to your plan: 1 of 5" in asked
    assert "Which level of Leadership do you aim for?" in asked
    # keep keeps nothing refused: asked again at once (it looped through the form)
    again = text(alice.send(text="keep"))
    assert "Add to your plan: 1 of 5" in again
    assert "Which level of Leadership do you aim for?" in again
    stopped = text(alice.send(text="cancel"))
    assert "Nothing from that form is saved yet, but what you typed is kept" in stopped
    assert PlanStore(store).items(1) == []
    assert "filling" not in store.state(alice.user, alice.user)


def test_the_mentor_sees_and_comments_and_nobody_else_can(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", "dan", "erin", "mallory")
    add_leadership(who["alice"])
    for stranger in ("dan", "mallory"):  # before dan is named, he is a stranger too
        for typed in ("plan open 1", "plan 1", "plan export 1", "plan comment 1"):
            assert "There is no plan 1 for you" in text(who[stranger].send(text=typed))
    named = text(who["alice"].send(text="plan mentor dan"))
    assert "dan is your mentor now" in named
    (told,) = bot.inbox(who["dan"].user)
    assert told.title == "alice has named you as their mentor"
    opened = text(who["dan"].send(text="plan open 1"))
    assert "alice's development plan" in opened and "I rarely set direction" in opened
    assert "plan add" not in [c.command for c in who["dan"].last.choices]  # read and comment
    who["dan"].send(text="plan comment 1")
    commented = text(who["dan"].send(text="Start with the planning day in January."))
    assert "Comment added: alice will see it." in commented
    (note,) = bot.inbox(who["alice"].user)
    assert note.title == "dan commented on your development plan"
    assert "Start with the planning day in January." in note.plain_text()
    (row,) = [n for n in PlanStore(store).notes(1) if n["kind"] == "comment"]
    assert (row["author"], row["text"]) == (
        who["dan"].user,
        "Start with the planning day in January.",
    )
    # the mentor cannot change the plan: `plan status` works on their own plan only
    assert "Your plan has no item 1" in text(who["dan"].send(text="plan status 1 done"))
    assert PlanStore(store).item(1, 1)["status"] == "not started"
    # a new mentor: the former one loses sight of it at once, and is told
    who["alice"].send(text="plan mentor erin")
    (gone,) = [r for r in bot.inbox(who["dan"].user) if "no longer" in r.plain_text()]
    assert "no longer has you as their mentor" in gone.plain_text()
    assert "There is no plan 1 for you" in text(who["dan"].send(text="plan open 1"))
    assert "alice's development plan" in text(who["erin"].send(text="plan open 1"))
    assert "not yours" not in text(who["erin"].send(text="plan export 1"))


def test_a_plan_from_a_360_reports_gaps(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", "bob", "carol", "dan", "mallory")
    request(who["alice"])
    answer(who["bob"], "2", "4", "skip", "skip", "skip")
    answer(who["carol"], "1", "4", "skip", "skip", "skip")
    answer(who["dan"], "2", "4", "skip", "skip", "skip")
    who["alice"].send(text="360 close 1 confirm")
    # someone else's report is not theirs to plan from
    assert "You have no closed 360 request 1" in text(who["mallory"].send(text="plan from 360 1"))
    which = who["alice"].send(text="plan from 360")[-1]
    assert [c.command for c in which.choices] == ["plan from 360 1"]
    made = text(who["alice"].send(text="plan from 360 1"))
    assert "From 360 request 1, added: Leadership" in made
    (item,) = PlanStore(store).items(1)
    assert item["behaviour"] == "leadership" and item["level"] == "5"  # the next level up
    assert item["gap"] == "Peers rated Leadership 2 of 4 on average; I rated myself 3."
    assert item["activity"] == "mentoring"  # rated well above peers: a blind spot
    assert item["source"] == "360 request 1"
    again = text(who["alice"].send(text="plan from 360 1"))
    assert "Already in your plan: Leadership" in again
    assert len(PlanStore(store).items(1)) == 1


def test_a_duplicated_submission_is_recorded_once(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    add_leadership(alice)
    alice.send(text="plan mentor dan")
    submit = {"comment": "Booked the course."}
    for _ in range(2):  # a double click: two events, one comment
        alice.send(action="plan comment 1 save", fields=submit, event_id=None)
    assert [n["text"] for n in PlanStore(store).notes(1)] == ["Booked the course."]
    told = [r for r in bot.inbox("console:local:dan") if "commented" in r.title]
    assert len(told) == 1


def test_plans_are_private_and_export_as_markdown(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    add_leadership(alice)
    in_channel = Event(
        user=alice.user, conversation="console:local:general", text="plan", private=False
    )
    (refused,) = bot.handle(in_channel)
    assert "Development plans are private" in refused.plain_text()
    (markdown,) = alice.send(text="plan export")
    body = markdown.plain_text()
    assert "# Development plan: alice" in body
    assert "## 1. Leadership (Civil Service), aiming at Level 5" in body
    assert "- Start: 4 Jan 2027 · review or end: 31 Mar 2027" in body


def test_times_are_shown_in_the_readers_zone(frameworks: list[Framework], store: Store) -> None:
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    add_leadership(alice)
    alice.send(text="plan mentor dan")
    alice.send(text="plan comment")
    alice.send(text="Booked the course.")
    row = PlanStore(store).notes(1)[0]
    utc = datetime.fromisoformat(row["created_at"])
    (mine,) = bot.handle(
        Event(user=alice.user, conversation=alice.user, text="plan", tz_name="Asia/Kolkata")
    )
    local = utc + timedelta(hours=5, minutes=30)
    assert f"{local.day} {local:%b %Y, %H:%M} IST: Booked the course." in mine.plain_text()
    (dans,) = bot.handle(
        Event(
            user="console:local:dan",
            conversation="console:local:dan",
            text="plan open 1",
            tz_offset=-18000,
        )
    )
    local = utc - timedelta(hours=5)
    assert f"{local.day} {local:%b %Y, %H:%M} UTC-5: Booked the course." in dans.plain_text()
    stored = store.conn.execute("SELECT created_at FROM plan_notes").fetchone()[0]
    assert stored.endswith("+00:00")  # stored in UTC whatever the reader's zone


def test_the_record_of_an_item_survives_bad_sql(store: Store) -> None:
    # plans are a working document (items change); expectations are the record
    store.conn.execute(
        "INSERT INTO expectation_versions (expectation_id, version, kind, text, set_by, set_at)"
        " VALUES (1, 1, 'goal', 'x', 'a', 'b')"
    )
    for sql in ("UPDATE expectation_versions SET text = 'y'", "DELETE FROM expectation_versions"):
        try:
            store.conn.execute(sql)
        except sqlite3.DatabaseError as error:
            assert "append-only" in str(error)
        else:
            raise AssertionError(f"{sql} was allowed")


def test_a_mentor_is_never_a_typed_name_on_slack_or_teams(
    frameworks: list[Framework], store: Store
) -> None:
    """A typed mentor is refused with the picker offered, even from an event that
    claims the platform shows no forms; the terminal still takes the name."""
    bot = Bot(frameworks, store)
    for me in ("slack:T1:U1", "teams:tenant:megan-aad"):
        for forms in (True, False):
            event = Event(user=me, conversation=me, text="plan mentor dan", forms=forms)
            replies = bot.handle(event)
            said = text(replies)
            assert "cannot tell who" in said and "dan is your mentor" not in said
            if forms:
                assert replies[-1].form is not None and replies[-1].form.command == "plan mentor"
            else:  # asked one field at a time: a typed name is refused there too
                (again,) = bot.handle(replace(event, text="dan", event_id=None))
                assert "cannot tell who" in again.plain_text()
                assert again.form is not None and again.form.command == "plan mentor"
        plan = PlanStore(store).plan_of(me)
        assert plan is not None and plan["mentor"] is None
    alice = FakeAdapter(bot, "alice")
    assert "dan is your mentor now" in text(alice.send(text="plan mentor dan"))


def test_the_markdown_export_shows_typed_text_as_typed(
    frameworks: list[Framework], store: Store
) -> None:
    """A gap or comment is never live Markdown in the export: no image fetched from
    elsewhere, no link, no heading, no extra bullet."""
    bot = Bot(frameworks, store)
    alice = FakeAdapter(bot, "alice")
    alice.send(text="plan add leadership level 5")
    alice.send(text="I rarely ![](http://x/p.png) set [direction](javascript:alert(1))")
    for typed in ("2", "2027-01-04", "2027-03-31", "plan mentor dan", "plan comment"):
        alice.send(text=typed)
    alice.send(text="Booked it\n# Big <img src=x>\n- extra")
    body = text(alice.send(text="plan export"))
    for live in ("![](", "](javascript", "<img", "http://", "\n# Big", "\n- extra"):
        assert live not in body, live
    assert "I rarely \\!\\[\\]\\(http\\://x/p\\.png\\)" in body


# ---- defects found by a new user (issue 16) --------------------------------------------


def test_something_else_asks_what_the_activity_is(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    alice.send(text="plan add leadership level 5")
    alice.send(text="I rarely set direction for the team")
    asked = text(alice.send(text="something else"))
    assert "Something else: what will you do?" in asked
    alice.send(text="Shadow the regional director for a month")
    alice.send(text="skip")
    saved = text(alice.send(text="skip"))
    assert "Added item 1." in saved
    assert "• Shadow the regional director for a month" in saved
    (item,) = PlanStore(store).items(1)
    assert item["activity"] == "Shadow the regional director for a month"
    # changing it asks "something else" again, with what was typed kept
    alice.send(text="plan edit 1")
    for typed in ("keep", "keep", "keep"):
        shown = text(alice.send(text=typed))
    assert "Now: Shadow the regional director for a month" in shown


def test_an_end_date_in_3_months_counts_from_the_start_date(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    alice.send(text="plan add leadership level 5")
    alice.send(text="I rarely set direction for the team")
    alice.send(text="training")
    alice.send(text="2027-01-04")
    saved = text(alice.send(text="in 3 months"))
    assert "Added item 1." in saved
    (item,) = PlanStore(store).items(1)
    assert (item["starts"], item["due"]) == ("2027-01-04", "2027-04-04")


def test_a_managers_view_of_a_starter_plan_names_the_employee(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", "bob", "carol", "dan", "dana")
    request(who["alice"], manager="dana")
    answer(who["bob"], "2", "4", "skip", "skip", "skip")
    answer(who["carol"], "1", "4", "skip", "skip", "skip")
    answer(who["dan"], "2", "4", "skip", "skip", "skip")
    who["alice"].send(text="360 close 1 confirm")
    own = text(who["alice"].send(text="360 plan 1"))
    assert "on average, you Usually (3)" in own
    assert "agree it with your manager or mentor" in own
    theirs = text(who["dana"].send(text="360 plan 1"))
    assert theirs.startswith("alice's starter development plan")
    assert "on average, alice Usually (3)" in theirs
    assert "you Usually" not in theirs and "your" not in theirs.casefold()


def test_a_plan_is_kept_with_its_owner_and_mentor_as_persons(store: Store) -> None:
    """The store takes the owner and the mentor as `Person`s, and keeps their
    identities and names."""
    db = PlanStore(store)
    with store.transaction():
        plan = db.create(Person("slack:T1:U1", "Alice Smith"))
        db.set_mentor(plan["id"], Person("slack:T1:U8", "Dana Jones"))
    kept = db.plan(plan["id"])
    assert kept is not None and (kept["owner"], kept["owner_name"]) == (
        "slack:T1:U1",
        "Alice Smith",
    )
    assert (kept["mentor"], kept["mentor_name"]) == ("slack:T1:U8", "Dana Jones")
    with store.transaction():
        db.set_mentor(plan["id"], None)
    kept = db.plan(plan["id"])
    assert kept is not None and (kept["mentor"], kept["mentor_name"]) == (None, None)
