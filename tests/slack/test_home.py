"""The App Home tab through Slack's real protocol: the person's own home (views.publish),
brought up to date after a turn of theirs that changed something and when a direct
message reaches them; its buttons answered in their DM; at most 100 blocks, the rest
counted."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

from bot.clock import FixedClock
from bot.frameworks import Framework
from bot.render import compose
from bot.router import Bot
from bot.storage import FeedbackStore, Store
from bot.types import Person as Someone
from bot.types import replies_to_json

from ..conftest import START
from ..servers import FakeSlack, wait_for
from .test_app import event, fixture, interaction
from .test_feedback import ALICE, BOB, CAROL, DAN, NAMES, TEAM, Person, slack_server


def who(user: str) -> str:
    return f"slack:{TEAM}:{user}"


def open_home(url: str, user: str) -> None:
    body = copy.deepcopy(fixture("slack_event_app_home_opened.json"))
    body["team_id"] = TEAM
    body["event"] |= {"user": user, "channel": "D" + user}
    body["event_id"] = f"Ev-home-{user}-{time.monotonic_ns()}"
    assert event(url, body)[0] == 200


def published(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    """The Home tab views published for `user`, oldest first."""
    views = [c.body["view"] for c in fake.to("/api/views.publish") if c.body["user_id"] == user]
    return [json.loads(v) if isinstance(v, str) else v for v in views]


def sent_and_in_bobs_home(url: str, fake: FakeSlack, alice: Person) -> None:
    """Alice sends a 360 request to bob, carol and dan in Slack's modals; bob opens his
    Home tab, which offers the answer."""
    from .test_feedback import picked

    alice.say("360 leadership level 4")
    for value in ("360 done", "360 people"):
        alice.press(value)
    alice.submit(alice.opened(), {"peers": picked(BOB, CAROL, DAN)})
    for value in ("360 deadline 1 week", "360 manager none", "360 self leadership 2"):
        alice.press(value)
    alice.press("360 send")
    wait_for(lambda: len([c for c in fake.delivered() if c.body["channel"] == BOB]) == 1)
    open_home(url, BOB)
    assert "360 answer 1" in json.dumps(wait_for(lambda: published(fake, BOB))[-1])


def draft(path: Path, user: str, situation: str = "We moved offices in a fortnight.") -> None:
    """A draft written so far as its Situation (by another connection, as another
    process would)."""
    store = Store.open(path, FixedClock(START))
    with store.transaction():
        store.create_draft(
            who(user),
            framework="civil-service",
            behaviour="leadership",
            level="4",
            parts={"situation": situation},
        )
    store.close()


def ask(bot: Bot, path: Path, requester: str, peers: list[str]) -> int:
    """A 360 request sent by `requester`, its asks queued for the outbox, as the flow's
    `send` does."""
    store = Store.open(path, FixedClock(START))
    with store.transaction():
        db = FeedbackStore(store)
        number = db.create_request(
            requester=who(requester),
            requester_name=NAMES[requester],
            framework="civil-service",
            level="4",
            behaviours=["leadership"],
            self_ratings={},
            manager=None,
            deadline="2026-03-18T17:00:00+00:00",
            threshold=3,
            seed="s",
            peers=[Someone(who(p), NAMES[p]) for p in peers],
        )
        request = db.request(number)
        assert request is not None
        for peer in peers:
            message = compose("feedback/ask.j2", **bot.feedback._about(request), name=NAMES[peer])
            db.queue(who(peer), f"ask-{number}-{who(peer)}", replies_to_json([message]))
    store.close()
    return number


def buttons(view: dict[str, Any]) -> dict[str, str]:
    return {
        b["accessory"]["text"]["text"]: b["accessory"]["value"]
        for b in view["blocks"]
        if "accessory" in b
    }


def test_the_tab_shows_the_persons_own_home_only(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, _):
        draft(tmp_path / "bot.db", ALICE)
        draft(tmp_path / "bot.db", BOB, "Bob's own secret situation.")
        open_home(url, ALICE)
        (view,) = wait_for(lambda: published(fake, ALICE))
    assert view["type"] == "home"
    assert view["blocks"][0]["text"]["text"] == "Your home"
    said = json.dumps(view)
    assert "Draft 1: Leadership, Level 4; next: task" in said
    assert buttons(view) == {"Carry on with draft 1": "draft 1 continue"}
    assert "Bob" not in said and "secret" not in said


def test_a_home_tab_button_is_answered_in_the_dm_and_the_draft_goes_on_there(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, _):
        draft(tmp_path / "bot.db", ALICE)
        payload = copy.deepcopy(fixture("slack_block_actions.json"))
        payload["team"]["id"] = TEAM
        payload["user"] |= {"id": ALICE, "team_id": TEAM}
        payload.pop("channel")  # a Home tab's payload has none
        payload.pop("response_url")
        payload["container"] = {"type": "view", "view_id": "V0HOME"}
        payload["view"] = {"id": "V0HOME", "type": "home", "team_id": TEAM}
        payload["actions"][0] |= {"action_id": "choice-1", "value": "draft 1 continue"}
        assert interaction(url, payload)[0] == 200
        asked = wait_for(lambda: fake.to("/api/chat.postMessage"))
        assert asked[0].body["channel"] == "D" + ALICE  # the DM conversations.open gave
        assert "Step 2 of 5: Task" in json.dumps(asked[0].body)
        alice = Person(url, fake, ALICE)
        alice.say("I had to keep the service running while we moved.")  # typed in the DM
        saved = wait_for(lambda: [c for c in fake.to("/api/chat.postMessage")[1:]])
        assert "Saved your Task in draft 1" in json.dumps(saved[0].body)


def test_the_tab_is_published_again_after_a_turn_that_changed_something(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, _):
        alice = Person(url, fake, ALICE)
        alice.say("prep leadership level 4")
        alice.say("We moved offices in a fortnight.")
        alice.say("stop")  # the home shows the same: not published again
        wait_for(lambda: len(published(fake, ALICE)) >= 2)
        latest = published(fake, ALICE)[-1]
        assert "Draft 1: Leadership, Level 4; next: task" in json.dumps(latest)
        count = len(published(fake, ALICE))
        alice.say("leadership level 3")  # a lookup: nothing changed, nothing published
        wait_for(lambda: len(fake.to("/api/chat.postMessage")) >= 4)
        time.sleep(0.5)
        assert len(published(fake, ALICE)) == count


def test_a_360_request_delivered_brings_the_peers_tab_up_to_date(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, bot):
        ask(bot, tmp_path / "bot.db", ALICE, [BOB, CAROL, DAN])
        (view,) = wait_for(lambda: published(fake, BOB))
        assert "Alice Smith asks for your feedback on Leadership (request 1)" in json.dumps(view)
        assert buttons(view) == {"Answer request 1": "360 answer 1"}
        # the requester's tab says what was asked, never who answered
        open_home(url, ALICE)
        (mine,) = wait_for(lambda: published(fake, ALICE))
    said = json.dumps(mine)
    assert "Your request 1 on Leadership: asked 3" in said
    for name in ("Bob", "Carol", "Dan"):
        assert name not in said


def test_the_tab_holds_100_blocks_and_says_how_many_more(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, _):
        for _ in range(120):
            draft(tmp_path / "bot.db", ALICE)
        open_home(url, ALICE)
        (view,) = wait_for(lambda: published(fake, ALICE))
    blocks = view["blocks"]
    assert len(blocks) == 100
    shown = sum("accessory" in b for b in blocks)
    assert shown == 100 - 4  # the title, the note and the section's heading; the count
    assert blocks[-1]["type"] == "context"
    assert blocks[-1]["elements"][0]["text"] == (
        f"{120 - shown} more items not shown here: type home in a direct message with me"
        " to see them all."
    )


def test_a_heading_is_never_left_without_its_items_at_the_limit() -> None:
    from adapters.slack.blocks import home_view
    from bot.home import Item, Page, Section
    from bot.render import compose
    from bot.types import Choice

    def section(name: str, count: int) -> Section:
        items = tuple(Item(f"{name} {n}", Choice(f"Open {n}", f"draft {n}")) for n in range(count))
        return Section("drafts", name, items)

    # title, note; 95 items under one heading (97 blocks); the next heading would be the
    # 99th block, and only the count fits after it
    sections = (section("First", 95), section("Second", 5))
    page = Page(sections, compose("home/home.j2", sections=sections))
    blocks = home_view(page)["blocks"]
    assert len(blocks) == 99
    assert "Second" not in json.dumps(blocks[:-1])
    assert blocks[-1]["elements"][0]["text"].startswith("5 more items not shown here")
