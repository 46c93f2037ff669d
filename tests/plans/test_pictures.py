"""A plan's progress as pictures through the core: its items by status and the check-ins
answered of those asked, as bars with their numbers, in the plan view (the owner's and the
mentor's) and in its Markdown export."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FixedClock
from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import Store
from bot.types import Bar, BarGroup, Chart, Reply

from ..conftest import FakeAdapter
from ..feedback.test_request import text
from ..test_console import chat
from .test_flow import add_leadership


def charts(reply: Reply) -> list[Chart]:
    return [b.chart for b in reply.blocks if b.chart is not None]


def add_pace(alice: FakeAdapter) -> None:
    alice.send(text="plan add delivering at pace level 5")
    for typed in ("I let deadlines slip", "1", "2027-01-04", "2027-03-31"):
        alice.send(text=typed)


def test_the_plan_draws_its_items_by_status_and_its_check_ins(
    frameworks: list[Framework], store: Store, clock: FixedClock
) -> None:
    bot = Bot(frameworks, store)
    alice, dan = FakeAdapter(bot, "alice"), FakeAdapter(bot, "dan")
    (empty,) = alice.send(text="plan")
    assert charts(empty) == []  # nothing to draw yet
    add_leadership(alice)
    add_pace(alice)
    alice.send(text="plan status 2 done")
    (view,) = alice.send(text="plan")
    (items,) = charts(view)
    assert items == Chart(
        "Picture: the plan's items by status, each bar running from none to all 2 items.",
        2,
        (
            BarGroup(
                "Items",
                (
                    Bar("Not started", 1, "1 of 2"),
                    Bar("In progress", 0, "0 of 2"),
                    Bar("Done", 1, "1 of 2"),
                ),
            ),
        ),
    )
    assert "Items\n  ▇▇▇▇▁▁▁▁ Not started: 1 of 2\n  ▁▁▁▁▁▁▁▁ In progress: 0 of 2" in (
        view.plain_text()
    )

    # two check-ins asked, one answered: 1 of 2
    alice.send(text="plan mentor dan")
    alice.send(text="plan checkins 1")
    now = clock.now()
    assert bot.schedule.run_due(now + timedelta(days=7, minutes=1)) == 1
    (ask,) = bot.inbox(alice.user)
    alice.send(action=ask.choices[0].command)  # Record progress
    alice.send(text="Shadowed the director at two boards")
    alice.send(text="in progress")
    assert bot.schedule.run_due(now + timedelta(days=14, minutes=2)) == 1
    (view,) = alice.send(text="plan")
    (items, checkins) = charts(view)
    assert [b.value for b in items.groups[0].bars] == [0, 1, 1]
    assert checkins == Chart(
        "Picture: the check-ins answered, of the 2 asked so far.",
        2,
        (BarGroup("Check-ins", (Bar("Answered", 1, "1 of 2"),)),),
    )
    # the mentor sees the same picture
    bot.inbox(dan.user)
    (mentors,) = dan.send(text="plan open 1")
    assert charts(mentors) == [items, checkins]

    markdown = text(alice.send(text="plan export"))
    assert "**Items**\n\n- `▁▁▁▁▁▁▁▁` Not started: 0 of 2\n- `▇▇▇▇▁▁▁▁` In progress: 1 of 2" in (
        markdown
    )
    assert "**Check\\-ins**\n\n- `▇▇▇▇▁▁▁▁` Answered: 1 of 2" in markdown


def test_the_terminal_draws_a_plans_progress_as_text_bars(tmp_path: Path) -> None:
    typed = [
        *("plan add leadership level 5", "I rarely set direction", "2", "skip", "skip"),
        "plan status 1 in progress",
        "plan",
    ]
    done = chat(tmp_path, "\n".join(typed) + "\n")
    assert done.returncode == 0, done.stderr
    view = done.stdout[done.stdout.rindex("Your development plan") :]
    assert "Picture: the plan's items by status, each bar running from none to all 1 item." in view
    assert "Items\n  ▁▁▁▁▁▁▁▁ Not started: 0 of 1\n  ▇▇▇▇▇▇▇▇ In progress: 1 of 1\n" in view
