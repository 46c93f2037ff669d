"""360 feedback in Slack, end to end through its real protocol: signed requests into the
real app, the outbox delivered by the web process to a local fake Slack Web API (with
its users, its errors and its 429s), the report checked against the stored answers."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from adapters.web import create_app
from bot.clock import RunningClock
from bot.frameworks import Framework
from bot.router import Bot
from bot.settings import Settings
from bot.storage import FeedbackStore, Store
from bot.types import Reply

from ..conftest import START
from ..servers import FakeSlack, ServerThread, slack_user, wait_for
from .test_app import SECRET, event, fixture, interaction

TEAM = "T123ABC456"
ALICE, BOB, CAROL, DAN, DANA = "U0ALICE", "U0BOB", "U0CAROL", "U0DAN", "U0DANA"
NAMES = {
    ALICE: "Alice Smith",
    BOB: "Bob Jones",
    CAROL: "Carol White",
    DAN: "Dan Brown",
    DANA: "Dana Green",
}


@contextmanager
def slack_server(
    tmp_path: Path,
    frameworks: list[Framework],
    users: dict[str, dict[str, Any]] | None = None,
    clock: RunningClock | None = None,
    wait: float = 10.0,
) -> Iterator[tuple[str, FakeSlack, Bot]]:
    """The web app with Slack on, its Web API a local fake whose users are the NAMES
    (an hour east of UTC) and an app, or `users`; the outbox delivered often; its time
    `clock`'s (the tests' START by default)."""
    fake = FakeSlack()
    fake.users = {u: slack_user(u, n, tz_offset=3600) for u, n in NAMES.items()}
    fake.users["U0APPBOT"] = slack_user("U0APPBOT", "Deploy Bot", is_bot=True)
    fake.users |= users or {}
    with ServerThread(fake.app()) as api:
        settings = Settings.from_env(
            {
                "BEHAVIOURBOT_DB": str(tmp_path / "bot.db"),
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_API_URL": api.url + "api",
            }
        )
        store = Store.open(settings.db_path, clock or RunningClock(START), wait=wait)
        bot = Bot(frameworks, store)
        app = create_app(settings, bot, outbox_every=0.05)
        with ServerThread(app) as server:
            fake.response_base = api.url + "response/"  # type: ignore[attr-defined]
            yield server.url, fake, bot
        store.close()


@pytest.fixture
def slack(tmp_path: Path, frameworks: list[Framework]) -> Iterator[tuple[str, FakeSlack, Store]]:
    with slack_server(tmp_path, frameworks) as (url, fake, bot):
        yield url, fake, bot.store


class Person:
    """Someone in the workspace, talking to the app in their DM with it."""

    def __init__(self, url: str, fake: FakeSlack, user: str):
        self.url, self.fake, self.user = url, fake, user
        self.channel = "D" + user
        self.n = 0

    def _id(self) -> str:
        self.n += 1
        return f"{self.user}-{self.n}"

    def say(self, text: str) -> None:
        body = fixture("slack_event_message_im.json")
        body["event"] |= {"user": self.user, "channel": self.channel, "text": text}
        body["event"]["ts"] = body["event_id"] = self._id()
        assert event(self.url, body)[0] == 200

    def press(self, value: str) -> None:
        payload = copy.deepcopy(fixture("slack_block_actions.json"))
        payload["response_url"] = self.fake.response_base + self.user  # type: ignore[attr-defined]
        payload["team"]["id"] = TEAM
        payload["user"] |= {"id": self.user, "team_id": TEAM}
        payload["channel"] = {"id": self.channel, "name": "directmessage"}
        payload["container"] |= {"channel_id": self.channel, "is_ephemeral": False}
        payload["actions"][0] |= {"action_id": "choice-1", "value": value}
        payload["actions"][0]["action_ts"] = payload["trigger_id"] = self._id()
        assert interaction(self.url, payload)[0] == 200

    def opened(self) -> dict[str, Any]:
        """The last modal opened (views.open)."""
        view = self.fake.to("/api/views.open")[-1].body["view"]
        return json.loads(view) if isinstance(view, str) else view

    def submit(self, view: dict[str, Any], values: dict[str, Any], trigger: str = "") -> Any:
        payload = fixture("slack_view_submission.json")
        payload["team"]["id"] = TEAM
        payload["user"] |= {"id": self.user, "team_id": TEAM}
        payload["view"] |= {
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {"values": {k: {"value": v} for k, v in values.items()}},
        }
        payload["trigger_id"] = trigger or self._id()
        status, body = interaction(self.url, payload)
        assert status == 200
        return json.loads(body) if body else None

    def messages(self) -> list[dict[str, Any]]:
        """The messages to this person: posted in their DM, or replacing the one whose
        button they pressed (response_url)."""
        return [
            c.body
            for c in self.fake.calls
            if c.path == f"/response/{self.user}"
            or (
                c.path == "/api/chat.postMessage"
                and c.body.get("channel") in (self.user, self.channel)
            )
        ]

    def last(self) -> dict[str, Any]:
        """The last message to this person."""
        return self.messages()[-1]

    def answer_to(self, text: str) -> str:
        """What the bot answers `text` said in the DM: an event is answered after its
        acknowledgement, so the answer is waited for."""
        before = len(self.messages())
        self.say(text)

        def answered() -> list[dict[str, Any]]:  # not a message the outbox delivers
            return [
                m
                for m in self.messages()[before:]
                if (m.get("metadata") or {}).get("event_type") != "behaviourbot_outbox"
            ]

        return text_of(wait_for(answered)[-1])

    def buttons(self, message: dict[str, Any] | None = None) -> dict[str, str]:
        message = message or self.last()
        blocks = (
            message["blocks"]
            if isinstance(message["blocks"], list)
            else json.loads(message["blocks"])
        )
        return {
            e["text"]["text"]: e["value"]
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
        }


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def picked(*users: str) -> dict[str, Any]:
    return {"type": "multi_users_select", "selected_users": list(users)}


def rated(value: str) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": {"value": value}}


def typed(text: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": text}


def test_a_whole_360_in_slack(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, store = slack
    alice = Person(url, fake, ALICE)
    alice.say("360 leadership level 4")
    alice.press(alice.buttons()["Done: 1 behaviour"])  # opens the people picker at once
    assert alice.opened()["blocks"][-1]["element"]["type"] == "multi_users_select"
    assert "Choose three or more people" in text_of(alice.last())
    alice.say("bob, carol")  # typed names cannot be told apart here: said, not guessed
    assert "cannot tell who" in text_of(alice.last())

    alice.press(alice.buttons()["Choose people"])
    view = alice.opened()
    (picker,) = [b for b in view["blocks"] if b["type"] == "input"]
    assert picker["block_id"] == "peers" and picker["element"]["type"] == "multi_users_select"

    # an app and someone Slack does not know are refused by name, in the modal
    refused = alice.submit(view, {"peers": picked(BOB, "U0APPBOT", "U0GONE")})
    assert refused["response_action"] == "errors"
    assert refused["errors"] == {"peers": "Deploy Bot: choose people who can answer."}
    assert alice.submit(view, {"peers": picked(BOB, ALICE)})["errors"]["peers"]
    fake.failures["users.info"] = 4  # Slack failing: nobody is taken on trust
    unchecked = alice.submit(view, {"peers": picked(BOB, CAROL, "C0GENERAL")})
    assert "could not check" in unchecked["errors"]["peers"]
    fake.failures.clear()
    channel = alice.submit(view, {"peers": picked(BOB, "C0GENERAL")})  # not a person's id
    assert channel["errors"] == {"peers": "C0GENERAL: choose people who can answer."}
    looked_up = {c.body["user"] for c in fake.to("/api/users.info")}
    assert {BOB, ALICE, "U0APPBOT"} <= looked_up

    too_few = alice.submit(view, {"peers": picked(BOB, CAROL)})  # refused at this step
    assert too_few["errors"]["peers"].startswith("Choose at least 3")
    assert alice.submit(view, {"peers": picked(BOB, CAROL, DAN)}) is None  # closes
    assert "Asking: Bob Jones, Carol White, Dan Brown" in text_of(alice.last())
    alice.press("360 deadline 2 weeks")
    alice.press(alice.buttons()["Choose a manager"])
    manager = alice.opened()
    (field,) = [b for b in manager["blocks"] if b["type"] == "input"]
    assert field["element"]["type"] == "users_select" and field["optional"]
    alice.submit(manager, {"manager": {"type": "users_select", "selected_user": DANA}})
    alice.press("360 self leadership 3")
    ready = text_of(alice.last())
    assert "Manager: Dana Green" in ready and "You and your manager Dana Green" in ready
    alice.press(alice.buttons()["Change the peers"])  # the peers again, from the end
    assert "Asking now: Bob Jones, Carol White, Dan Brown" in text_of(alice.last())
    alice.press(alice.buttons()["Choose people"])
    assert alice.submit(alice.opened(), {"peers": picked(BOB, CAROL, DAN)}) is None
    assert "Ready to send" in text_of(alice.last())  # straight back to the end
    alice.press("360 send")
    assert "Request 1 is on its way" in text_of(alice.last())

    # the web process delivers the asks by direct message: to each user id
    asks = wait_for(
        lambda: (
            [c for c in fake.delivered() if c.body["channel"] in (BOB, CAROL, DAN)]
            if len([c for c in fake.delivered() if c.body["channel"] in (BOB, CAROL, DAN)]) == 3
            else None
        )
    )
    assert all("Alice Smith asks for your feedback" in text_of(a.body) for a in asks)
    assert all("Dana Green will see" in text_of(a.body) for a in asks)

    answers = {BOB: ("3", "Chaired the <!channel> review"), CAROL: ("2", ""), DAN: ("1", "")}
    for user, (rating, example) in answers.items():
        peer = Person(url, fake, user)
        peer.press(peer.buttons()["Answer now"])
        form = peer.opened()
        kinds = {
            b["block_id"]: b["element"]["type"] for b in form["blocks"] if b["type"] == "input"
        }
        assert kinds == {
            "consent": "radio_buttons",  # before any example is written
            "rate-leadership": "radio_buttons",
            "example-leadership": "plain_text_input",
            "keep": "plain_text_input",
            "develop": "plain_text_input",
        }
        values = {
            "rate-leadership": rated(rating),
            "example-leadership": typed(example),
            "keep": typed(f"keep from {user}"),
            "develop": typed(""),
        }
        if user == BOB:  # a rating left out: refused in the modal, nothing saved
            missing = peer.submit(
                form,
                values | {"rate-leadership": {"type": "radio_buttons", "selected_option": None}},
            )
            assert missing["errors"] == {"rate-leadership": "Choose a rating, or I can't say."}
            assert FeedbackStore(store).peer(1, f"slack:{TEAM}:{BOB}")["status"] == "asked"
        assert peer.submit(form, values, trigger=f"t-{user}") is None
        assert peer.submit(form, values, trigger=f"t-{user}") is None  # resubmitted: once
        assert "your answer to request 1 is recorded" in text_of(peer.last())

    db = FeedbackStore(store)
    stored = {p["peer"]: p for p in db.peers(1)}
    assert [p["status"] for p in stored.values()] == ["answered"] * 3
    assert stored[f"slack:{TEAM}:{BOB}"]["ratings"] == {"leadership": 3}
    assert stored[f"slack:{TEAM}:{DAN}"]["ratings"] == {"leadership": 1}
    assert stored[f"slack:{TEAM}:{BOB}"]["tz_offset"] == 3600

    # a stranger's crafted submission reaches nothing
    stranger = Person(url, fake, "U0EVE")
    fake.users["U0EVE"] = slack_user("U0EVE", "Eve Black")
    stranger.submit(form, values)
    assert "There is no request 1 for you." in text_of(stranger.last())

    alice.press("360 close 1 confirm")
    report = text_of(alice.last())
    ratings = [int(p["ratings"]["leadership"]) for p in stored.values() if p["ratings"]]
    assert sorted(ratings) == [1, 2, 3]
    assert "peers Sometimes (2) on average, 3 rated" in report and "3 of 3 answered" in report
    assert "Chaired the &lt;!channel&gt; review" in report  # escaped on the way out
    # the manager gets it by direct message too
    (to_manager,) = wait_for(
        lambda: [c.body for c in fake.delivered() if c.body["channel"] == DANA]
    )
    assert to_manager["text"] == "360 feedback: request 1"
    assert "peers Sometimes (2) on average, 3 rated" in text_of(to_manager)


def test_429s_are_honoured_and_unreachable_people_are_named(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, store = slack
    fake.limit_every, fake.retry_after = 3, 1
    fake.post_errors = {"U0LEFT": "account_inactive"}
    fake.users["U0LEFT"] = slack_user("U0LEFT", "Lee Left")
    alice = Person(url, fake, ALICE)
    alice.say("360 leadership level 4")
    alice.press("360 done")
    alice.press("360 people")
    alice.submit(alice.opened(), {"peers": picked(BOB, CAROL, DAN, DANA, "U0LEFT")})
    alice.press("360 deadline 1 week")
    alice.press("360 manager none")
    alice.press("360 self leadership 2")
    alice.press("360 send")
    peers = {BOB, CAROL, DAN, DANA}
    wait_for(lambda: peers <= {c.body["channel"] for c in fake.delivered()}, seconds=15)
    note = wait_for(
        lambda: [
            c
            for c in fake.delivered()
            if c.body["channel"] == ALICE and "could not reach Lee Left" in text_of(c.body)
        ]
    )
    assert "their account is deactivated" in text_of(note[0].body)
    db = FeedbackStore(store)
    assert db.peer(1, f"slack:{TEAM}:U0LEFT")["status"] == "unreachable"
    # each ask delivered exactly once, whatever the 429s
    asks = [
        c.body["channel"] for c in fake.delivered() if "asks for your feedback" in text_of(c.body)
    ]
    assert sorted(asks) == sorted(peers)
    assert len(fake.limited) >= 2  # every third post was refused, and sent again later
    posts = fake.to("/api/chat.postMessage")
    for limited in fake.limited:  # nothing more was posted until Retry-After passed
        after = [c for c in posts if c.at > limited.at]
        assert not after or after[0].at - limited.at >= fake.retry_after - 0.05


def test_a_long_direct_message_is_sent_in_parts_each_once_through_429s() -> None:
    """A report over 50 blocks is several posts: a 429 on a later part waits and sends
    that part, never the whole message again (which would repeat the first)."""
    import asyncio

    from adapters.slack import SlackAdapter
    from bot.types import Block

    fake = FakeSlack(limit_every=2, retry_after=0)
    reply = Reply(blocks=tuple(Block("paragraph", text=f"Comment {n}") for n in range(120)))
    with ServerThread(fake.app()) as api:

        async def nothing(*args: Any, **kwargs: Any) -> list[Reply]:
            return []

        adapter = SlackAdapter(
            nothing,
            settle=nothing,
            signing_secret="x",
            token="xoxb-test",
            api_url=api.url + "api/",
        )
        asyncio.run(adapter.send_direct(f"slack:{TEAM}:{BOB}", [reply]))
    parts = [c.body for c in fake.delivered()]
    assert len(parts) == 3  # 120 blocks: three posts of at most 50, each once
    assert [p["text"].endswith("(continued)") for p in parts] == [False, True, True]
    assert [len(p["blocks"]) for p in parts] == [50, 50, 20]
    assert len(fake.limited) == 2  # the second and fourth posts: refused, sent again


def test_typed_names_are_never_taken_for_people_in_slack(slack) -> None:  # type: ignore[no-untyped-def]
    """After the framework button (which starts the request afresh), typed peers and a
    typed manager are refused with the picker offered: nothing is ever posted to what
    chat.postMessage might make of them, and no request goes out."""
    from .test_plans_expectations import slash

    url, fake, store = slack
    alice = Person(url, fake, ALICE)
    status, ack = slash(url, ALICE, "360")
    assert status == 200 and "360 framework civil-service" in ack
    alice.press("360 framework civil-service")
    alice.press("360 level 4")
    alice.press("360 add leadership")
    alice.press("360 done")
    for names in ("u0alice nobody-real #general", "u0alice, nobody-real, general", "U0BOB"):
        alice.say(names)
        assert "cannot tell who" in text_of(alice.last())
        assert alice.buttons()["Choose people"] == "360 people"
    alice.say("360 peers bob carol")  # not a way round the picker either
    alice.press("360 deadline 2 weeks")  # not reached: the peers are still to choose
    alice.say("360 manager dana")
    alice.press("360 self leadership 3")
    alice.press("360 send")
    assert "not ready to send" in text_of(alice.last())

    alice.press("360 people")
    alice.submit(alice.opened(), {"peers": picked(BOB, CAROL, DAN)})
    alice.press("360 deadline 2 weeks")
    for typed_manager in ("360 manager u0dana", "dana", "#general"):
        alice.say(typed_manager)
        assert "cannot tell who" in text_of(alice.last())
        assert alice.buttons()["Choose a manager"] == "360 boss"
    alice.press("360 manager none")
    alice.press("360 self leadership 3")
    alice.press("360 send")
    assert "Request 1 is on its way" in text_of(alice.last())
    request = FeedbackStore(store).request(1)
    assert request["manager"] is None
    asked = {p["peer"] for p in FeedbackStore(store).peers(1)}
    assert asked == {f"slack:{TEAM}:{u}" for u in (BOB, CAROL, DAN)}
    wait_for(lambda: {BOB, CAROL, DAN} <= {c.body["channel"] for c in fake.delivered()})
    posted = {str(c.body.get("channel")) for c in fake.to("/api/chat.postMessage")}
    assert posted <= {BOB, CAROL, DAN, ALICE, "D" + ALICE}


def test_a_second_report_that_would_single_someone_out_is_withheld_in_slack(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """Bob, Carol and Dan, then the same three and Erin, on Leadership: the second
    report, in Slack, withholds Leadership and the comments, and says why; Alice was told
    before she sent it, and Erin before she answered."""
    erin = {"U0ERIN": slack_user("U0ERIN", "Erin Gray", tz_offset=3600)}
    with slack_server(tmp_path, frameworks, users=erin) as (url, fake, _bot):
        alice = Person(url, fake, ALICE)

        def ask(number: int, *peers: str) -> str:
            alice.say("360 leadership level 4")
            for value in ("360 done", "360 people"):
                alice.press(value)
            alice.submit(alice.opened(), {"peers": picked(*peers)})
            for value in ("360 deadline 1 week", "360 manager none", "360 self leadership 2"):
                alice.press(value)
            ready = text_of(alice.last())
            alice.press("360 send")
            assert f"Request {number} is on its way" in text_of(alice.last())
            for user, (rating, words) in answers.items():
                if user not in peers:
                    continue
                peer = talking.setdefault(user, Person(url, fake, user))
                peer.press(f"360 answer {number}")
                values = {
                    "rate-leadership": rated(rating),
                    "example-leadership": typed(words),
                    "keep": typed(words),
                    "develop": typed(""),
                }
                assert peer.submit(peer.opened(), values) is None
            alice.press(f"360 close {number} confirm")
            return ready

        talking: dict[str, Person] = {}  # each keeps its own event ids
        answers = {BOB: ("3", "Bob says"), CAROL: ("3", "Carol says"), DAN: ("3", "Dan says")}
        answers["U0ERIN"] = ("1", "Erin alone says")
        assert "asked about" not in ask(1, BOB, CAROL, DAN)
        assert "peers Usually (3) on average, 3 rated" in text_of(alice.last())
        ready = ask(2, BOB, CAROL, DAN, "U0ERIN")
        assert "You asked about Leadership before (request 1)" in ready
        report = text_of(alice.last())
        assert "Leadership: withheld: compared with your request 1" in report
        assert "comments are withheld" in report
        for own in ("Erin alone says", "Bob says", "Not yet (1)", "on average, 4 rated"):
            assert own not in report, own
        (to_erin,) = wait_for(
            lambda: [
                c.body
                for c in fake.delivered()
                if c.body["channel"] == "U0ERIN" and "asks for your feedback" in text_of(c.body)
            ]
        )
        assert "comparing reports cannot single out anyone's answer" in text_of(to_erin)


def slack_request(alice: Person, number: int, *peers: str) -> None:
    """Alice asks `peers` about Leadership at Level 4, in her DM with the app."""
    alice.say("360 leadership level 4")
    for value in ("360 done", "360 people"):
        alice.press(value)
    alice.submit(alice.opened(), {"peers": picked(*peers)})
    for value in ("360 deadline 1 week", "360 manager none", "360 self leadership 2"):
        alice.press(value)
    alice.press("360 send")
    assert f"Request {number} is on its way" in text_of(alice.last())


def test_consent_in_the_slack_modal_is_asked_stored_and_withdrawn(slack) -> None:  # type: ignore[no-untyped-def]
    """The answer modal asks for consent first (no unless changed), the submission stores
    it, `360 consent 1 no` in the DM withdraws it, and after the close it cannot change."""
    url, fake, store = slack
    alice = Person(url, fake, ALICE)
    slack_request(alice, 1, BOB, CAROL, DAN)
    db = FeedbackStore(store)
    for user, consent in ((BOB, "yes"), (CAROL, "no"), (DAN, None)):
        peer = Person(url, fake, user)
        peer.press("360 answer 1")
        form = peer.opened()
        inputs = [b for b in form["blocks"] if b["type"] == "input"]
        assert inputs[0]["block_id"] == "consent"  # before any example
        assert "never with your name" in inputs[0]["label"]["text"]
        assert inputs[0]["element"]["initial_option"]["value"] == "no"
        values = {
            "rate-leadership": rated("3"),
            "example-leadership": typed(f"Example from {user}"),
            "keep": typed(""),
            "develop": typed(""),
        }
        if consent is not None:  # left out: no
            values["consent"] = rated(consent)
        assert peer.submit(form, values) is None
        # said after the submission's ack (and the ask's delivery may come after it)
        wait_for(lambda p=peer: any("is recorded" in text_of(m) for m in p.messages()))
    consents = {p["peer"].rsplit(":", 1)[1]: p["consent"] for p in db.peers(1)}
    assert consents == {BOB: True, CAROL: False, DAN: False}
    bob = Person(url, fake, BOB)
    bob.n = 100  # event ids of its own
    assert "stay in the report alone" in bob.answer_to("360 consent 1 no")
    assert db.peer(1, f"slack:{TEAM}:{BOB}")["consent"] is False
    bob.press("360 answer 1")
    reopened = [b for b in bob.opened()["blocks"] if b["type"] == "input"]
    assert reopened[0]["element"]["initial_option"]["value"] == "no"  # as it now holds
    alice.press("360 close 1 confirm")
    assert "can no longer change" in bob.answer_to("360 consent 1 yes")
    assert db.peer(1, f"slack:{TEAM}:{BOB}")["consent"] is False


def test_prep_in_slack_offers_what_peers_shared_only_after_the_close(slack) -> None:  # type: ignore[no-untyped-def]
    """In the DM, `prep` shows the examples peers agreed to share once the request has
    closed (all three did: the threshold), escaped for Slack (another person's words)."""
    url, fake, _store = slack
    alice = Person(url, fake, ALICE)
    slack_request(alice, 1, BOB, CAROL, DAN)
    words = {BOB: "Chaired the <!channel> review", CAROL: "Kept it going", DAN: ""}
    for user, consent in ((BOB, "yes"), (CAROL, "yes"), (DAN, "yes")):
        peer = Person(url, fake, user)
        peer.press("360 answer 1")
        values = {
            "consent": rated(consent),
            "rate-leadership": rated("3"),
            "example-leadership": typed(words[user]),
        }
        assert peer.submit(peer.opened(), values) is None
    assert "Peers said you" not in alice.answer_to("prep leadership level 4")  # still open
    alice.press("360 close 1 confirm")
    started = alice.answer_to("prep leadership level 4")
    assert "Peers said you" in started
    assert "“Chaired the &lt;!channel&gt; review”" in started  # escaped on the way out
    assert "<!channel>" not in started and "“Kept it going”" in started
    for name in NAMES.values():
        assert name.split()[0] not in started.replace("Alice", "")
