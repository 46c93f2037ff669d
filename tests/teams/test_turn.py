"""Teams through its real protocol: Bot Framework activities POSTed over HTTP to
/api/messages on the real aiohttp app (tokens checked by botbuilder), with every reply
captured at a local fake connector (the activities' serviceUrl). Every Adaptive Card
the bot sends is validated against the official Adaptive Card 1.5 schema."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from adapters.teams import (
    CARD_CONTENT_TYPE,
    TeamsAdapter,
    Unreachable,
    activities_of,
    escape,
    literal,
    text_without_mention,
)
from adapters.teams.sdk import forget_signing_keys
from adapters.web import TEAMS_ADAPTER, create_app
from bot.clock import RunningClock
from bot.frameworks import Framework
from bot.router import Bot
from bot.settings import Settings
from bot.storage import Store
from bot.types import Block, Reply

from ..conftest import START, platform_fixture
from ..servers import FakeConnector, ServerThread

SHARED = Path(__file__).resolve().parents[3] / "shared"
SCHEMA = SHARED / "schemas" / "adaptive-card-1.5.json"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
MEGAN = f"teams:{TENANT}:7faf8ab2-3d56-4244-b585-20c8a42ed2b8"
APP_ID = "5f2f1f60-35b7-4fd5-8b5c-3e3f3c0ad1c0"


fixture = platform_fixture


_validator: Any = None

# Teams' extensions to Adaptive Cards that the bot's cards use, which the official 1.5
# schema does not know (its Input.ChoiceSet takes no other properties): dynamic typeahead,
# `"choices.data": {"type": "Data.Query", "dataset": ...}` on an Input.ChoiceSet, whose
# choices Teams asks the bot for as the person types (an `application/search` invoke).
# Documented at learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/
# dynamic-search ("Schema properties", "Data.Query"). Added to a copy of the schema here;
# ../shared stays as Microsoft published it.
DATA_QUERY = {
    "description": "Teams: the dataset a ChoiceSet's choices are fetched from as one types.",
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "dataset"],
    "properties": {
        "type": {"enum": ["Data.Query"]},
        "dataset": {"type": "string", "minLength": 1},
        "value": {"type": "string"},
        "count": {"type": "number"},
        "skip": {"type": "number"},
        "associatedInputs": {"enum": ["auto", "none"]},
    },
}


def with_teams_extensions(schema: dict[str, Any]) -> dict[str, Any]:
    """The Adaptive Card schema, with Teams' Data.Query taught to Input.ChoiceSet."""
    schema = copy.deepcopy(schema)
    schema["definitions"]["Data.Query"] = DATA_QUERY
    choice_set = schema["definitions"]["Input.ChoiceSet"]["properties"]
    choice_set["choices.data"] = {"$ref": "#/definitions/Data.Query"}
    return schema


def validate_card(content: dict[str, Any]) -> None:
    """Valid against the official Adaptive Card 1.5 schema with the Teams extensions the
    bot uses, at a version Teams renders."""
    global _validator
    if not SCHEMA.is_file():
        pytest.skip(f"Adaptive Card schema not found at {SCHEMA}")
    import jsonschema

    if _validator is None:
        schema = with_teams_extensions(json.loads(SCHEMA.read_text(encoding="utf-8")))
        _validator = jsonschema.Draft6Validator(
            schema, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER
        )
    errors = list(_validator.iter_errors(content))
    best = jsonschema.exceptions.best_match(errors)
    assert not errors, f"invalid card at {list(best.path)}: {[e.message for e in best.context]}"
    assert content["type"] == "AdaptiveCard" and content["version"] in ("1.2", "1.3", "1.4", "1.5")


# Teams refuses a message over about 28 KB (learn.microsoft.com/connectors/teams, "Known
# issues and limitations with actions": "the message size limit is approximately 28 KB").
TEAMS_MESSAGE_LIMIT = 28_000


@dataclass
class Teams:
    url: str
    connector: FakeConnector
    service_url: str
    store: Store
    adapter: TeamsAdapter
    loop: asyncio.AbstractEventLoop
    answers: list[int] = field(default_factory=list)  # bytes of each invoke's answer

    def sizes(self) -> list[int]:
        """Bytes of everything the bot sent Teams: each activity the connector received
        and each invoke's answer (a card that replaces the pressed one)."""
        return [c.size for c in self.connector.calls] + self.answers

    def check_sizes(self) -> None:
        largest = max(self.sizes(), default=0)
        assert largest <= TEAMS_MESSAGE_LIMIT, f"sent {largest} bytes to Teams"

    def post(
        self, activity: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        activity = copy.deepcopy(activity)
        activity["serviceUrl"] = self.service_url
        request = urllib.request.Request(
            self.url + "api/messages",
            data=json.dumps(activity).encode(),
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read().decode()
                if activity.get("type") == "invoke":
                    self.answers.append(len(raw.encode()))
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def message(self, text: str, **changes: Any) -> tuple[int, Any]:
        activity = fixture("teams_message_personal.json") | {"text": text, **changes}
        activity.pop("attachments")  # the rich-text copy of the fixture's own text
        return self.post(activity)

    def cards(self) -> list[dict[str, Any]]:
        """Every card sent so far, validated."""
        found = []
        for call in self.connector.calls:
            for attachment in call.body.get("attachments") or []:
                if attachment["contentType"] == CARD_CONTENT_TYPE:
                    validate_card(attachment["content"])
                    found.append(attachment["content"])
        return found

    def send_direct(self, user: str, text: str) -> None:
        reply = self.adapter.handle  # the core, to build a real reply
        from bot.types import Event

        asked = reply(Event(user="console:local:x", conversation="x", text=text))
        (answer,) = asyncio.run_coroutine_threadsafe(asked, self.loop).result(10)
        coro = self.adapter.send_direct(user, [answer])
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)


def texts(card: dict[str, Any]) -> list[str]:
    """Every TextBlock's and TextRun's text in a card, depth first."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("TextBlock", "TextRun"):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body"))
    return out


@contextlib.contextmanager
def teams_server(
    tmp_path: Path,
    frameworks: list[Framework],
    clock: RunningClock | None = None,
    wait: float = 10.0,
) -> Iterator[Teams]:
    """The web app in local development mode, its connector a local fake; the outbox
    is delivered often, for the 360 tests; its time `clock`'s (the tests' START by
    default)."""
    connector = FakeConnector()
    with ServerThread(connector.app()) as service:
        settings = Settings.from_env({"BEHAVIOURBOT_DB": str(tmp_path / "bot.db")})
        store = Store.open(settings.db_path, clock or RunningClock(START), wait=wait)
        app = create_app(settings, Bot(frameworks, store), dev=True, outbox_every=0.05)
        with ServerThread(app) as server:
            running = Teams(
                server.url, connector, service.url, store, app[TEAMS_ADAPTER], server.loop
            )
            yield running
        store.close()
    running.check_sizes()  # whatever a test did, nothing it sent was over Teams' limit


@pytest.fixture
def teams(tmp_path: Path, frameworks: list[Framework]) -> Iterator[Teams]:
    with teams_server(tmp_path, frameworks) as running:
        yield running


def test_a_personal_message_is_answered_with_a_card(teams: Teams) -> None:
    status, _ = teams.message("leadership level 4")
    assert status == 200
    (call,) = teams.connector.calls
    conversation = fixture("teams_message_personal.json")["conversation"]["id"]
    # a reply to the person's message, in their conversation
    assert call.path.startswith("POST /v3/conversations/")
    assert conversation in urllib.request.unquote(call.path)
    (card,) = teams.cards()
    lines = texts(card)
    assert lines[0] == "Leadership: Level 4"
    assert any("inspire" in line.casefold() for line in lines)  # the verbatim definition
    titles = [a["title"] for a in card.get("actions", [])] + [
        c["title"] for e in card["body"] if e["type"] == "Input.ChoiceSet" for c in e["choices"]
    ]
    assert any(t.startswith("Level 5") for t in titles)


def test_a_channel_mention_is_answered_without_the_mention(teams: Teams) -> None:
    activity = fixture("teams_message_card_messageback.json")
    activity.pop("value")
    activity.pop("replyToId")
    activity["text"] = "<at>MyBot</at> leadership"
    activity["entities"] = [
        {"type": "mention", "text": "<at>MyBot</at>", "mentioned": activity["recipient"]}
    ]
    assert teams.post(activity)[0] == 200
    (card,) = teams.cards()
    assert texts(card)[0] == "Leadership"


def test_other_mentions_are_not_part_of_the_command() -> None:
    bot = {"id": "28:bot", "name": "behaviourbot"}
    megan = {"id": "29:megan", "name": "Megan Bowen"}
    activity = {
        "type": "message",
        "recipient": bot,
        "text": "<at>behaviourbot</at> leadership level 4 for <at>Megan Bowen</at>\u00a0",
        "entities": [
            {"type": "mention", "text": "<at>behaviourbot</at>", "mentioned": bot},
            {"type": "mention", "text": "<at>Megan Bowen</at>", "mentioned": megan},
            {"type": "clientInfo", "locale": "en-GB"},
        ],
    }
    assert text_without_mention(activity) == "leadership level 4 for"
    activity["entities"] = []  # the markup without its entities
    assert text_without_mention(activity) == "leadership level 4 for"


def test_a_card_submit_updates_the_card_in_place(teams: Teams) -> None:
    activity = fixture("teams_message_card_messageback.json")
    activity["value"] = {"command": "show civil-service/leadership/2"}
    assert teams.post(activity)[0] == 200
    (update,) = teams.connector.updated()
    assert update.path.endswith("/activities/1575667808184")  # the card's own message
    (card,) = teams.cards()
    assert texts(card)[0] == "Leadership: Level 2"
    assert teams.connector.sent() == []  # nothing piled up underneath


def test_an_action_execute_answers_with_the_new_card(teams: Teams) -> None:
    activity = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    activity["value"]["action"]["data"] = {"command": "show civil-service/leadership/3"}
    status, body = teams.post(activity)
    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == CARD_CONTENT_TYPE
    validate_card(body["value"])
    assert texts(body["value"])[0] == "Leadership: Level 3"
    assert teams.connector.calls == []


def test_the_drop_down_choice_reaches_the_core(teams: Teams) -> None:
    teams.message("civil service")  # nine behaviours: more than six buttons
    (card,) = teams.cards()
    (select,) = [e for e in card["body"] if e["type"] == "Input.ChoiceSet"]
    assert "value" not in select and select["isRequired"]  # nothing chosen for the person
    assert len(card["actions"]) == 1 and card["actions"][0]["title"] == "Show"
    activity = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    activity["value"]["action"]["data"] = {"choice": select["choices"][1]["value"]}
    status, body = teams.post(activity)
    assert status == 200 and texts(body["value"])[0] == select["choices"][1]["title"]


def test_a_card_teams_will_not_update_is_answered_anew(teams: Teams) -> None:
    teams.connector.refuse_updates = True
    activity = fixture("teams_message_card_messageback.json")
    activity["value"] = {"command": "show civil-service/leadership/2"}
    assert teams.post(activity)[0] == 200
    assert len(teams.connector.updated()) == 1  # tried
    (sent,) = teams.connector.sent()  # then answered as a new message: nothing lost
    assert texts(sent["attachments"][0]["content"])[0] == "Leadership: Level 2"


def test_a_legacy_card_invoke_is_the_same_action(teams: Teams) -> None:
    activity = fixture("teams_invoke_card_action.json")
    activity["value"] = {"command": "show civil-service/leadership/1"}
    status, _ = teams.post(activity)
    assert status == 200
    (update,) = teams.connector.updated()
    assert texts(update.body["attachments"][0]["content"])[0] == "Leadership: Level 1"


def test_an_invoke_the_bot_does_not_handle_is_acknowledged(teams: Teams) -> None:
    activity = fixture("teams_invoke_compose_extension_fetch_task.json")
    activity.pop("serviceURL", None)  # the docs' misspelling; the test sets serviceUrl
    status, _ = teams.post(activity)
    assert status == 200 and teams.connector.calls == []


def test_installing_the_bot_says_what_it_does_once(teams: Teams) -> None:
    assert teams.post(fixture("teams_conversation_update_personal_install.json"))[0] == 200
    install = fixture("teams_installation_update_add.json")
    install["conversation"] = fixture("teams_conversation_update_personal_install.json")[
        "conversation"
    ]
    assert teams.post(install)[0] == 200  # the same install, told twice
    (card,) = teams.cards()
    assert texts(card)[0] == "behaviourbot"
    assert any("mention me first" in line for line in texts(card))


def test_adding_the_bot_to_a_team_welcomes_the_team(teams: Teams) -> None:
    assert teams.post(fixture("teams_conversation_update_bot_added_to_team.json"))[0] == 200
    (card,) = teams.cards()
    assert texts(card)[0] == "behaviourbot"


def test_a_retried_activity_is_answered_once(teams: Teams) -> None:
    teams.message("leadership", id="retried-1")
    teams.message("leadership", id="retried-1")
    assert len(teams.connector.calls) == 1


def test_user_text_cannot_mention_link_or_format(teams: Teams) -> None:
    teams.message("search [click](https://evil.example) <at>everyone</at> **x**")
    sent = teams.connector.calls[0].body
    shown = json.dumps(sent)
    assert "[click](https" not in shown and "**x**" not in shown
    if sent.get("attachments"):
        teams.cards()
    else:
        assert sent["textFormat"] == "plain"


def test_a_reply_without_framework_text_or_choices_is_plain_text() -> None:
    reply = Reply(blocks=(Block("title", "Sorry"), Block("paragraph", "<at>all</at> *x*")))
    (activity,) = activities_of(reply)
    assert activity == {"type": "message", "text": reply.plain_text(), "textFormat": "plain"}


def test_card_text_is_escaped_for_markdown() -> None:
    # emphasis: a backslash (Teams shows none); links and lists: an invisible break;
    # brackets, which are not markup, stay as they are
    assert escape("[a](https://x) **b** _c_ (d)") == (
        "[a]\u200b(https://x) \\*\\*b\\*\\* \\_c\\_ (d)"
    )
    assert escape("- not a list\n1. nor this") == "-\u200b not a list\n\n1.\u200b nor this"
    # Teams' date and time functions: the two braces kept apart, however many
    assert "{{" not in escape("{{{TIME(2026-01-01T00:00:00Z)}}") and "{{" not in literal("{{{{")


def test_proactive_message_to_a_person_in_their_chat(teams: Teams) -> None:
    teams.message("hello")
    teams.connector.calls.clear()
    teams.send_direct(MEGAN, "leadership level 2")
    (call,) = teams.connector.calls
    conversation = fixture("teams_message_personal.json")["conversation"]["id"]
    assert call.path == f"POST /v3/conversations/{conversation}/activities"
    assert texts(teams.cards()[0])[0] == "Leadership: Level 2"


def test_proactive_message_opens_a_chat_with_a_team_member(teams: Teams) -> None:
    activity = fixture("teams_message_card_messageback.json")  # a message in a channel
    activity.pop("value")
    activity["text"] = "<at>MyBot</at> help"
    assert teams.post(activity)[0] == 200
    teams.connector.calls.clear()
    person = "teams:bec8e231-67ad-484e-87f4-3e5438390a77:" + activity["from"]["id"]
    teams.send_direct(person, "pace heo")
    create, send = teams.connector.calls
    assert create.path == "POST /v3/conversations"
    assert create.body["members"] == [{"id": activity["from"]["id"]}]
    tenant = "bec8e231-67ad-484e-87f4-3e5438390a77"
    assert create.body["tenantId"] == tenant  # the Connector API reference's spelling
    assert create.body["channelData"] == {"tenant": {"id": tenant}}
    assert send.path == "POST /v3/conversations/a:new-1to1/activities"


def test_a_person_who_cannot_be_reached_is_reported(teams: Teams) -> None:
    with pytest.raises(Unreachable) as caught:
        teams.send_direct(f"teams:{TENANT}:nobody", "leadership")
    assert "never talked to the bot" in caught.value.reason
    assert teams.connector.calls == []


def test_a_refused_new_chat_is_reported(teams: Teams) -> None:
    activity = fixture("teams_message_card_messageback.json")
    activity.pop("value")
    activity["text"] = "<at>MyBot</at> help"
    teams.post(activity)
    teams.connector.refuse_new_conversations = True
    person = "teams:bec8e231-67ad-484e-87f4-3e5438390a77:" + activity["from"]["id"]
    with pytest.raises(Unreachable) as caught:
        teams.send_direct(person, "leadership")
    assert "refused" in caught.value.reason


def test_bad_requests_are_refused_cleanly(teams: Teams) -> None:
    request = urllib.request.Request(
        teams.url + "api/messages",
        data=b"{not json",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert teams.post({"text": "no type"})[0] == 400
    status, body = teams.post({"type": "message", "text": "x" * 1_050_000})
    assert status == 413 and "Maximum request body size" in json.loads(body)["error"]


@pytest.mark.parametrize(
    ("env", "dev"),
    [
        ({}, False),
        ({"MicrosoftAppId": APP_ID}, True),  # no password: --dev does not open it
        (
            {"MicrosoftAppId": "5f2f1f60-35b7-4fd5-8b5c-3e3f3c0ad1c0", "MicrosoftAppPassword": "x"},
            False,
        ),
        (
            {
                "MicrosoftAppId": APP_ID,
                "MicrosoftAppPassword": "x",
                "MicrosoftAppType": "SingleTenant",  # without its tenant: Teams stays off
            },
            False,
        ),
    ],
)
def test_without_dev_mode_requests_without_a_token_are_refused(
    tmp_path: Path, frameworks: list[Framework], env: dict[str, str], dev: bool
) -> None:
    settings = Settings.from_env({"BEHAVIOURBOT_DB": str(tmp_path / "bot.db"), **env})
    store = Store.open(settings.db_path)
    connector = FakeConnector()
    with (
        ServerThread(connector.app()) as service,
        ServerThread(create_app(settings, Bot(frameworks, store), dev=dev)) as server,
    ):
        teams = Teams(server.url, connector, service.url, store, None, server.loop)  # type: ignore[arg-type]
        activity = fixture("teams_message_personal.json")
        assert teams.post(activity)[0] == 401
        assert teams.post(activity, {"Authorization": "Bearer not-a-token"})[0] == 401
        assert connector.calls == []
    assert store.db["teams_references"].count == 0
    store.close()


class KeyService:
    """Bot Framework's OpenID metadata and signing keys, served locally: a generated RSA
    key, endorsed for msteams, signs test tokens as the Bot Framework channel would."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        # endorsed, as the channel's real keys are, for Teams and other Bot Framework channels
        endorsed = ["msteams", "webchat", "directline", "emulator"]
        self.jwks = {"keys": [jwk | {"kid": "test-key", "endorsements": endorsed}]}
        self.base = ""
        self.delay = 0.0  # seconds before the metadata is answered
        self.fetches = 0

    def app(self) -> Any:
        from aiohttp import web

        async def metadata(request: web.Request) -> web.Response:
            self.fetches += 1
            await asyncio.sleep(self.delay)
            return web.json_response({"jwks_uri": self.base + "keys"})

        async def keys(request: web.Request) -> web.Response:
            return web.json_response(self.jwks)

        app = web.Application()
        app.router.add_get("/openid", metadata)
        app.router.add_get("/keys", keys)
        return app

    def token(self, service_url: str, *, audience: str = APP_ID, kid: str = "test-key") -> str:
        import jwt

        claims = {  # valid from 1970 to 2100: the same on whatever day the tests run
            "iss": "https://api.botframework.com",
            "aud": audience,
            "serviceurl": service_url,
            "nbf": 1,
            "exp": 4_102_444_800,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": kid})


@contextlib.contextmanager
def authenticated(tmp_path: Path, frameworks: list[Framework], keys: KeyService) -> Iterator[Teams]:
    """The app with credentials set, taking the channel's signing keys from `keys`."""
    settings = Settings.from_env(
        {
            "BEHAVIOURBOT_DB": str(tmp_path / "bot.db"),
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppPassword": "secret",
        }
    )
    store = Store.open(settings.db_path)
    connector = FakeConnector()
    with ServerThread(keys.app()) as key_server, ServerThread(connector.app()) as service:
        keys.base = key_server.url
        # botbuilder caches keys by metadata URL for a day: an earlier test's key server
        # may have had this port, with another key
        forget_signing_keys(key_server.url + "openid")
        app = create_app(
            settings, Bot(frameworks, store), openid_metadata_url=key_server.url + "openid"
        )
        with ServerThread(app) as server:
            yield Teams(server.url, connector, service.url, store, app[TEAMS_ADAPTER], server.loop)
    store.close()


def test_with_credentials_only_a_valid_channel_token_is_accepted(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    keys = KeyService()
    with authenticated(tmp_path, frameworks, keys) as teams:
        connector, store, service = teams.connector, teams.store, teams.service_url
        # someone else joining a chat: answered with nothing, so no outbound call (which
        # would need a token from Microsoft), but the person's reference is kept
        activity = fixture("teams_conversation_update_personal_install.json")
        activity["membersAdded"] = [{"id": "29:someone"}]

        def status(token: str) -> int:
            return teams.post(activity, {"Authorization": f"Bearer {token}"})[0]

        assert status(keys.token(service, audience="another-app")) == 401
        assert status(keys.token("https://elsewhere.example/")) == 401  # wrong serviceUrl
        assert status(keys.token(service, kid="unknown-key")) == 401
        assert store.db["teams_references"].count == 0
        assert status(keys.token(service)) == 200
        assert store.db["teams_references"].count == 1
        assert connector.calls == []


def test_a_hung_key_service_does_not_stop_the_server(
    tmp_path: Path, frameworks: list[Framework], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    import adapters.teams.sdk

    monkeypatch.setattr(adapters.teams.sdk, "KEY_FETCH_TIMEOUT", 0.5)
    keys = KeyService()
    keys.delay = 3.0
    with authenticated(tmp_path, frameworks, keys) as teams:
        header = {"Authorization": f"Bearer {keys.token(teams.service_url)}"}
        activity = fixture("teams_message_personal.json")
        results: list[tuple[int, float]] = []

        def post() -> None:
            started = time.monotonic()
            results.append((teams.post(activity, header)[0], time.monotonic() - started))

        waiting = [threading.Thread(target=post) for _ in range(3)]
        for thread in waiting:
            thread.start()
        time.sleep(0.1)
        started = time.monotonic()
        with urllib.request.urlopen(teams.url + "healthz", timeout=5) as response:
            assert response.status == 200
        assert time.monotonic() - started < 0.3  # the event loop was not blocked
        for thread in waiting:
            thread.join(10)
        # the three requests shared one fetch, which timed out: 503, not 401 or a hang
        assert [status for status, _ in results] == [503, 503, 503]
        assert max(seconds for _, seconds in results) < 2.0
        assert keys.fetches == 1
        post()  # soon after a failure: refused at once, without another wait
        assert results[-1][0] == 503 and results[-1][1] < 0.3
        assert keys.fetches == 1
        assert teams.connector.calls == [] and teams.store.db["teams_references"].count == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"conversation": None}, "no conversation.id"),
        ({"from": {"name": "nobody"}}, "no from.id"),
        ({"text": {"not": "text"}}, "text is not a string"),
        ({"entities": "mention"}, "entities is not a list"),
    ],
)
def test_a_malformed_activity_is_refused_with_the_reason(
    teams: Teams, change: dict[str, Any], reason: str
) -> None:
    status, body = teams.post(fixture("teams_message_personal.json") | change)
    assert status == 400 and reason in body
    assert teams.connector.calls == []


def test_an_activity_without_a_service_url_is_refused(teams: Teams) -> None:
    activity = fixture("teams_message_personal.json")
    request = urllib.request.Request(
        teams.url + "api/messages",
        data=json.dumps(activity | {"serviceUrl": None}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400 and b"serviceUrl" in caught.value.read()


def test_a_failure_in_the_turn_is_answered_not_swallowed(
    teams: Teams, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(event: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(teams.adapter, "handle", broken)
    assert teams.message("leadership")[0] == 200
    (sent,) = teams.connector.sent()
    assert sent["text"].startswith("Sorry, something went wrong")
    activity = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    activity["value"]["action"]["data"] = {"command": "leadership"}
    status, body = teams.post(activity)
    assert status == 200 and body["statusCode"] == 500
    assert body["value"]["message"].startswith("Sorry, something went wrong")


def test_an_unreachable_connector_is_a_502(teams: Teams) -> None:
    import time

    from ..servers import free_port

    teams.service_url = f"http://127.0.0.1:{free_port()}/"
    started = time.monotonic()
    status, body = teams.message("leadership")
    assert status == 502 and "cannot reach the connector" in body
    assert time.monotonic() - started < 5  # well inside the 15 seconds Teams waits


def test_a_retry_after_an_unreachable_connector_gets_the_answer_once(teams: Teams) -> None:
    """The answer that could not be delivered is sent on Teams' retry of the activity,
    and the STAR answer in it is saved once, not again as the next part."""
    from ..servers import free_port
    from ..star.test_review import STRONG

    assert teams.message("prep leadership level 4", id="undelivered-0")[0] == 200
    reachable = teams.service_url
    teams.service_url = f"http://127.0.0.1:{free_port()}/"
    assert teams.message(STRONG["situation"], id="undelivered-1")[0] == 502
    teams.service_url = reachable
    before = len(teams.connector.sent())
    assert teams.message(STRONG["situation"], id="undelivered-1")[0] == 200  # the retry
    saved, ask = teams.connector.sent()[before:]
    assert saved["text"].startswith("Saved your Situation")
    assert "Step 2 of 5: Task" in json.dumps(ask)
    assert teams.message(STRONG["situation"], id="undelivered-1")[0] == 200  # once more
    assert len(teams.connector.sent()) == before + 2  # delivered: not sent again
    assert teams.store.draft(MEGAN, 1)["parts"] == {"situation": STRONG["situation"]}


def test_a_slow_connector_is_given_up_on_in_time(
    teams: Teams, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setattr(teams.adapter.connector, "timeout", 0.3)
    teams.connector.delay = 3.0
    started = time.monotonic()
    status, body = teams.message("leadership")
    assert status == 502 and "cannot reach the connector" in body
    assert time.monotonic() - started < 2.5


def test_mention_markup_cannot_stall_the_server(teams: Teams) -> None:
    import time

    started = time.monotonic()
    assert teams.message("<at>" * 25_000)[0] == 200
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "change",
    [
        {"channelData": "x"},
        {"channelData": {"tenant": "x"}},
        {"serviceUrl": "http://[::1"},
        {"recipient": "bot"},
    ],
)
def test_malformed_parts_of_an_activity_are_a_400(teams: Teams, change: dict[str, Any]) -> None:
    activity = fixture("teams_message_personal.json") | change
    request = urllib.request.Request(
        teams.url + "api/messages",
        data=json.dumps(activity).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert teams.connector.calls == []


def test_a_button_with_nothing_to_do_answers_with_a_note(teams: Teams) -> None:
    activity = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    activity["value"]["action"]["data"] = {}
    status, body = teams.post(activity)
    assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message"
    activity["value"]["action"]["data"] = {"command": "leadership"}
    activity["id"] = "pressed-once"
    assert teams.post(activity)[1]["type"] == CARD_CONTENT_TYPE
    status, body = teams.post(activity)  # the same press delivered again
    assert status == 200 and body["value"] == "Done already."


def test_an_example_is_drafted_in_a_personal_chat(teams: Teams) -> None:
    from ..star.test_review import STRONG

    assert teams.message("prep leadership level 4", id="star-0")[0] == 200
    for n, part in enumerate(("situation", "task", "action"), 1):
        assert teams.message(STRONG[part], id=f"star-{n}")[0] == 200
    ask = teams.cards()[-1]
    assert "Step 4 of 5: Result" in texts(ask)
    stop = next(a for a in ask["actions"] if a["title"] == "Stop for now")
    press = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    press["conversation"] = fixture("teams_message_personal.json")["conversation"]
    press["from"] = fixture("teams_message_personal.json")["from"]
    press["value"]["action"]["data"] = stop["data"]
    status, body = teams.post(press)
    assert status == 200 and "Stopped. Draft 1 is saved" in json.dumps(body)
    draft = teams.store.draft(MEGAN, 1)
    assert draft is not None and draft["parts"]["action"] == STRONG["action"]
    # in a channel the bot will not start one
    channel = fixture("teams_message_card_messageback.json")
    channel.pop("value")
    channel["text"] = "prep leadership level 4"
    assert teams.post(channel)[0] == 200
    assert "Let's prepare in private" in json.dumps(teams.connector.sent()[-1])


def test_start_up_says_how_to_turn_teams_on(
    tmp_path: Path, frameworks: list[Framework], caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(tmp_path / "bot.db")
    half = Settings.from_env({"MicrosoftAppId": APP_ID})
    with caplog.at_level("WARNING", logger="behaviourbot.web"):
        create_app(half, Bot(frameworks, store), dev=True)
    said = caplog.text
    assert "--dev ignored: MicrosoftAppId is set (without its password)" in said
    assert "(set it, or unset MicrosoftAppId and use serve --dev" in said
    caplog.clear()
    with caplog.at_level("WARNING", logger="behaviourbot.web"):
        create_app(Settings.from_env({}), Bot(frameworks, store))
    assert "MicrosoftAppId and MicrosoftAppPassword not set" in caplog.text
    assert "(serve --dev for local development)" in caplog.text
    store.close()


def test_a_draft_is_written_in_one_card(teams: Teams) -> None:
    """The form is an Adaptive Card with a multi-line input per part; its button sends
    them all; a refused field comes back on the card with what was typed; a good one
    saves the draft once and the review follows."""
    from ..star.test_review import STRONG

    assert teams.message("prep leadership level 4", id="form-0")[0] == 200
    (started,) = teams.cards()
    form_button = next(a for a in started["actions"] if a["title"] == "Write it all in one form")
    press = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    press["conversation"] = fixture("teams_message_personal.json")["conversation"]
    press["from"] = fixture("teams_message_personal.json")["from"]

    def execute(data: dict[str, Any], activity_id: str) -> dict[str, Any]:
        activity = copy.deepcopy(press)
        activity["id"] = activity_id
        activity["value"]["action"]["data"] = data
        status, body = teams.post(activity)
        assert status == 200 and body["statusCode"] == 200
        validate_card(body["value"])
        return body["value"]

    form = execute(form_button["data"], "form-1")
    inputs = [e for e in form["body"] if e["type"] == "Input.Text"]
    assert [i["id"] for i in inputs] == ["situation", "task", "action", "result", "learned"]
    assert all(i["isMultiline"] for i in inputs)
    (submit,) = [a for a in form["actions"] if a["title"] == "Save and review"]
    assert submit["data"]["command"].startswith("draft 1 save ")

    typed = dict(STRONG, action="x" * 3001, learned="")
    refused = execute(submit["data"] | typed, "form-2")
    assert any("3,001 characters" in t for t in texts(refused))
    kept = {e["id"]: e["value"] for e in refused["body"] if e["type"] == "Input.Text"}
    assert kept == typed  # what was typed is still there to fix
    assert teams.store.draft(MEGAN, 1)["parts"] == {}

    before = len(teams.connector.sent())
    saved = execute(submit["data"] | dict(STRONG, learned=""), "form-3")
    assert texts(saved) == ["Saved draft 1. Here is the review."]
    (review,) = teams.connector.sent()[before:]
    assert "Your example: Leadership, Level 4" in json.dumps(review)
    again = copy.deepcopy(press) | {"id": "form-3"}
    again["value"]["action"]["data"] = submit["data"] | dict(STRONG, learned="")
    assert teams.post(again)[0] == 200  # a retry: handled once
    assert len(teams.connector.sent()) == before + 1
    assert teams.store.draft(MEGAN, 1)["parts"] == dict(STRONG, learned="")


def test_drafts_export_and_practice_in_a_personal_chat(teams: Teams) -> None:
    from ..star.test_review import STRONG

    teams.message("prep leadership level 4", id="d-0")
    for n, part in enumerate(("situation", "task", "action", "result"), 1):
        teams.message(STRONG[part], id=f"d-{n}")
    teams.message("skip", id="d-5")
    assert teams.message("drafts", id="d-6")[0] == 200
    listed = teams.cards()[-1]
    assert texts(listed)[0] == "Your drafts"
    assert any("Draft 1: Leadership, Level 4" in t for t in texts(listed))
    press = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    press["conversation"] = fixture("teams_message_personal.json")["conversation"]
    press["from"] = fixture("teams_message_personal.json")["from"]
    press["value"]["action"]["data"] = {"command": "draft 1 export text"}
    status, body = teams.post(press)
    assert status == 200
    exported = texts(body["value"])
    assert exported[0] == "Draft 1 as plain text" and STRONG["action"] in exported
    assert not any("behaviourbot export" in t for t in exported)  # the terminal's hint only
    press["id"], press["value"]["action"]["data"] = "edit-1", {"command": "draft 1 edit task"}
    status, body = teams.post(press)
    assert "Type the new version to replace it." in json.dumps(body)
    teams.message("As team leader I owned the plan.", id="d-7")
    assert teams.store.draft(MEGAN, 1)["parts"]["task"] == "As team leader I owned the plan."
    # practice: a question, a free answer, the review and a follow-up, as cards
    teams.message("practice leadership level 4", id="p-1")
    assert texts(teams.cards()[-1])[0] == "Practice question: Leadership, Level 4"
    teams.message(" ".join(STRONG[p] for p in ("situation", "task", "action")), id="p-2")
    answered = teams.cards()[-1]
    assert "Not found: the Result." in " ".join(texts(answered))
    assert answered["actions"][0]["title"] == "Save as a draft"


def test_a_button_whose_data_is_not_an_object_is_answered_plainly(teams: Teams) -> None:
    activity = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    activity["value"]["action"]["data"] = ["not", "an", "object"]
    status, body = teams.post(activity)
    assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message"


def _rows(store: Store) -> dict[str, int]:
    return {name: store.db[name].count for name in store.db.table_names()}


@pytest.mark.parametrize("channel", ["webchat", "directline", "emulator"])
def test_only_teams_activities_act_as_a_teams_person(
    tmp_path: Path, frameworks: list[Framework], channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    """On Web Chat and Direct Line the client chooses `from.id`: an activity from any
    channel but Teams, however valid its token, is refused before it is handled or kept."""
    from bot.types import Event

    from ..star.test_review import STRONG

    keys = KeyService()
    with authenticated(tmp_path, frameworks, keys) as teams:
        for n, text in enumerate(("prep leadership level 4", STRONG["situation"])):
            said = teams.adapter.handle(Event(MEGAN, "c", text=text, event_id=f"s{n}"))
            asyncio.run_coroutine_threadsafe(said, teams.loop).result(10)
        before = _rows(teams.store)
        personal = fixture("teams_message_personal.json")
        press = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
        press["conversation"], press["from"] = personal["conversation"], personal["from"]
        press["channelData"] = personal.get("channelData") or press["channelData"]
        press["value"]["action"]["data"] = {"command": "draft 1 export text"}
        header = {"Authorization": f"Bearer {keys.token(teams.service_url)}"}
        with caplog.at_level("INFO", logger="behaviourbot.teams"):
            status, body = teams.post(press | {"channelId": channel, "id": "x1"}, header)
            message = personal | {"channelId": channel, "id": "x2", "text": "drafts"}
            message.pop("attachments", None)
            assert teams.post(message, header)[0] == 403
        assert status == 403 and STRONG["situation"] not in str(body)
        assert _rows(teams.store) == before  # nothing kept: no reference, no event
        assert teams.connector.calls == []
        refusals = [r.getMessage() for r in caplog.records if "channel" in r.getMessage()]
        assert len(refusals) == 2 and all(f"channel {channel} " in line for line in refusals)
        # the same press from Teams is Megan's own: her draft comes back
        status, body = teams.post(press | {"id": "x3"}, header)
        assert status == 200 and STRONG["situation"] in json.dumps(body)


def test_development_mode_takes_the_emulator_but_no_other_channel(teams: Teams) -> None:
    assert teams.message("leadership", channelId="emulator")[0] == 200
    assert len(teams.connector.calls) == 1
    assert teams.message("leadership", channelId="webchat", id="w")[0] == 403
    assert teams.message("leadership", channelId=None, id="n")[0] == 403
    assert len(teams.connector.calls) == 1


def _post_raw(teams: Teams, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        teams.url + "api/messages",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


DEEP = b'{"type": "message", "value": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
MALFORMED = {
    "not JSON": b"{not json",
    "a list": b'[{"type": "message"}]',
    "a string": b'"message"',
    "deep JSON": DEEP,
    "deep, but parsable": b'{"type": "message", "value": ' + b"[" * 500 + b"]" * 500 + b"}",
    "invalid UTF-8": b'{"type": "message", "text": "\xff\xfe"}',
    "huge": b'{"type": "message", "text": "' + b"x" * 1_100_000 + b'"}',
    "empty": b"",
}


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_body_is_a_4xx_with_one_log_line(
    tmp_path: Path, frameworks: list[Framework], caplog: pytest.LogCaptureFixture, name: str
) -> None:
    """With credentials: the token is checked before the body is read (no token: 401,
    whatever the body); with a valid one, a body that is no activity is a 4xx, never a
    500, and each request is one log line, without a traceback."""
    keys = KeyService()
    with authenticated(tmp_path, frameworks, keys) as teams:
        header = {"Authorization": f"Bearer {keys.token(teams.service_url)}"}
        with caplog.at_level("DEBUG"):
            caplog.clear()
            assert _post_raw(teams, MALFORMED[name], {}) == 401
            status = _post_raw(teams, MALFORMED[name], header)
        assert 400 <= status < 500
        lines = [r for r in caplog.records if r.name == "behaviourbot.teams"]
        assert len(lines) == 2, [r.getMessage() for r in lines]
        assert not any(r.exc_info for r in caplog.records)
        assert "401" in lines[0].getMessage() and str(status) in lines[1].getMessage()
        assert teams.connector.calls == [] and teams.store.db["teams_references"].count == 0


def _forged(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("FORGED")]


def test_request_values_cannot_forge_a_log_line(
    tmp_path: Path, frameworks: list[Framework], caplog: pytest.LogCaptureFixture
) -> None:
    """A type, name or channel id with a line break in it is quoted and cut short in
    the log, with a token and without one (development mode)."""
    forged = {"type": "x\nFORGED type", "name": "y\nFORGED name", "channelId": "z\nFORGED"}
    activity = fixture("teams_message_personal.json")
    invoke = fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    with caplog.at_level("DEBUG"):
        with teams_server(tmp_path / "dev", frameworks) as teams:
            teams.post(activity | {"type": forged["type"]})
            teams.post(invoke | {"name": forged["name"], "id": "n"})
            teams.post(activity | {"channelId": forged["channelId"], "id": "c"})
        keys = KeyService()
        with authenticated(tmp_path, frameworks, keys) as teams:
            header = {"Authorization": f"Bearer {keys.token(teams.service_url)}"}
            teams.post(activity | {"type": forged["type"]}, header)
            teams.post(invoke | {"channelId": forged["channelId"]}, header)
            teams.post(activity | {"type": forged["type"]})  # no token
    assert "FORGED" in caplog.text  # the values were logged, on their own lines
    assert _forged(caplog.text) == []


GONE = object()  # the field is left out
MESSAGE, INVOKE = "teams_message_personal.json", "teams_invoke_adaptive_card_action_COMPOSED.json"
MALFORMED_ACTIVITIES = [
    # (the fixture, fields changed (dotted paths) and their values, the status answered)
    (MESSAGE, {"from": GONE}, 400),
    (MESSAGE, {"from": "Megan"}, 400),
    (MESSAGE, {"from.id": 29}, 400),
    (MESSAGE, {"from.aadObjectId": {"id": "x"}}, 400),
    (MESSAGE, {"from.aadObjectId": "a\nb"}, 400),  # would be part of an identity
    (MESSAGE, {"from.name": ["Megan"]}, 400),
    (MESSAGE, {"conversation": GONE}, 400),
    (MESSAGE, {"conversation": ["a:1"]}, 400),
    (MESSAGE, {"conversation.id": {"id": "a:1"}}, 400),
    (MESSAGE, {"conversation.conversationType": 1}, 400),
    (MESSAGE, {"conversation.tenantId": 7}, 400),
    (MESSAGE, {"recipient.id": 28}, 400),
    (MESSAGE, {"value": "a card's data"}, 400),  # a card's Action.Submit: always an object
    (MESSAGE, {"value": ["command", "leadership"]}, 400),
    (MESSAGE, {"value": 4}, 400),
    (MESSAGE, {"channelData": ["tenant"]}, 400),
    (MESSAGE, {"channelData.tenant.id": {"id": "t"}}, 400),
    (MESSAGE, {"channelData.team": "19:team"}, 400),
    (MESSAGE, {"text": 42}, 400),
    (MESSAGE, {"text": ["leadership"]}, 400),
    (MESSAGE, {"id": {"id": "1"}}, 400),
    (MESSAGE, {"replyToId": [1]}, 400),
    (MESSAGE, {"locale": 5}, 400),
    (MESSAGE, {"timestamp": "yesterday"}, 400),
    (MESSAGE, {"entities": [5]}, 400),
    (MESSAGE, {"attachments": "a card"}, 400),
    (INVOKE, {"name": 5}, 400),
    (INVOKE, {"value": "leadership"}, 400),
    (INVOKE, {"value": [1, 2]}, 400),
    (INVOKE, {"value": 3}, 400),
    (INVOKE, {"membersAdded": [5]}, 400),
    # an activity the bot does not answer is still read (its sender's reference is kept)
    (MESSAGE, {"type": "typing", "from": "Megan"}, 400),
    (MESSAGE, {"type": "messageReaction", "conversation.id": 5}, 400),
    # shapes a card can send: answered on the card, politely
    (INVOKE, {"value.action": "leadership"}, 200),
    (INVOKE, {"value.action.data": 5}, 200),
    (INVOKE, {"value.action.data.command": ["leadership"]}, 200),
    (INVOKE, {"value.action.data": {"command": "draft 1 save", "situation": 5}}, 200),
    (INVOKE, {"name": GONE}, 200),  # a legacy card invoke, with nothing to do
]


def _changed(activity: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    activity = copy.deepcopy(activity)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = activity
        for part in parents:
            node = node.setdefault(part, {})
        if value is GONE:
            node.pop(last, None)
        else:
            node[last] = value
    return activity


@pytest.mark.parametrize(
    ("name", "changes", "answered"),
    MALFORMED_ACTIVITIES,
    ids=[
        f"{n.split('_')[1]}-{c!r}".replace(repr(GONE), "GONE")[:48]
        for n, c, _ in MALFORMED_ACTIVITIES
    ],
)
def test_a_malformed_activity_with_a_valid_token_is_answered_cleanly(
    tmp_path: Path,
    frameworks: list[Framework],
    caplog: pytest.LogCaptureFixture,
    name: str,
    changes: dict[str, Any],
    answered: int,
) -> None:
    """An authenticated activity of a shape the bot does not expect: a 400 with the
    reason, or, for a card's button, a note on the card; never a 500 or a traceback."""
    keys = KeyService()
    with authenticated(tmp_path, frameworks, keys) as teams:
        activity = fixture(name)
        if name == INVOKE:  # pressed in Megan's personal chat
            personal = fixture(MESSAGE)
            activity["conversation"], activity["from"] = personal["conversation"], personal["from"]
            activity.pop("replyToId")
            activity["value"]["action"]["data"] = {}
        else:
            activity.pop("attachments")
        header = {"Authorization": f"Bearer {keys.token(teams.service_url)}"}
        with caplog.at_level("DEBUG"):
            status, body = teams.post(_changed(activity, changes), header)
        assert status == answered, body
        if answered == 200:
            assert body is None or body["statusCode"] == 200  # a note, or the card's answer
        assert not any(r.exc_info or r.levelname == "ERROR" for r in caplog.records)
        assert teams.connector.calls == []


PAYLOAD = "On {{DATE(2026-01-01T00:00:00Z, SHORT)}} I [click](javascript:alert(1)) **bold**"


def test_user_text_shows_literally_in_cards_and_messages(teams: Teams) -> None:
    """Teams evaluates {{DATE(…)}} and {{TIME(…)}} in card text, and card text is
    Markdown: what a person typed arrives with the braces, the link and the emphasis
    broken, wherever the bot repeats it."""
    from ..star.test_review import STRONG

    teams.message("prep leadership level 4", id="u-0")
    teams.message(PAYLOAD + " " + STRONG["situation"], id="u-1")
    teams.message("stop", id="u-2")
    teams.message("draft 1", id="u-3")
    teams.message("draft 1 export text", id="u-4")
    shown = [
        line
        for sent in teams.connector.sent()
        for line in (
            [sent["text"]] if sent.get("text") else [t for c in _cards(sent) for t in texts(c)]
        )
        if "DATE" in line
    ]
    assert len(shown) >= 2
    for line in shown:
        assert "{{" not in line and "{\u200b{DATE(2026-01-01T00:00:00Z, SHORT)}}" in line
    cards = [t for sent in teams.connector.sent() for c in _cards(sent) for t in texts(c)]
    quoted = [t for t in cards if "DATE" in t]
    assert quoted, "the draft is shown on a card"
    for line in quoted:
        assert "](javascript" not in line and "]\u200b(javascript" in line
        assert "**bold**" not in line and "\\*\\*bold\\*\\*" in line


def _cards(sent: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        a["content"] for a in sent.get("attachments") or [] if a["contentType"] == CARD_CONTENT_TYPE
    ]


def test_development_mode_takes_nothing_from_a_web_page_or_for_elsewhere(teams: Teams) -> None:
    """`serve --dev` checks no token, so what keeps it safe is that only this machine
    can reach it, and only this machine hears its answers. A web page the developer
    opens can still POST to it from their browser: a plain-text body that only mentions
    JSON, or anything carrying an Origin, is refused; and an activity whose serviceUrl
    is not on this machine gets no answer there."""
    message = fixture("teams_message_personal.json") | {"text": "360 list"}
    message.pop("attachments")

    def send(body: dict[str, Any], **headers: str) -> int:
        request = urllib.request.Request(
            teams.url + "api/messages",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    here = message | {"serviceUrl": teams.service_url}
    assert send(here, **{"Content-Type": "text/plain; x=application/json"}) == 415
    assert send(here, Origin="http://evil.example") == 403
    assert send(message | {"serviceUrl": "http://evil.example/"}) == 403
    assert teams.connector.calls == []
    assert send(here) == 200  # the same from the Emulator or a test: answered
    assert len(teams.connector.calls) == 1
