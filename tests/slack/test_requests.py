"""What reaches /slack/events that Slack would never send: unsigned, wrongly signed or
malformed requests, replays, and values made to forge log lines. Each is refused (or
ignored) plainly, with one log line and never a traceback, through the real app."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from adapters.web import create_app
from bot.frameworks import Framework
from bot.router import Bot
from bot.settings import Settings
from bot.storage import Store

from ..conftest import FIXTURES
from ..servers import FakeSlack, ServerThread, free_port, slack_user, wait_for
from .test_app import SECRET, fixture


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, frameworks: list[Framework]
) -> Iterator[tuple[str, FakeSlack, Store]]:
    fake = FakeSlack()
    with ServerThread(fake.app()) as api:
        settings = Settings.from_env(
            {
                "BEHAVIOURBOT_DB": str(tmp_path_factory.mktemp("wire") / "bot.db"),
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_API_URL": api.url + "api",
            }
        )
        store = Store.open(settings.db_path)
        with ServerThread(create_app(settings, Bot(frameworks, store))) as bot:
            fake.response_base = api.url + "response/"  # type: ignore[attr-defined]
            yield bot.url, fake, store
        store.close()


def sign(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def exchange(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url + "slack/events", data=body, method="POST")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def send(url: str, body: bytes, headers: dict[str, str]) -> int:
    return exchange(url, body, headers)[0]


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def signed(body: bytes, content_type: str = JSON, **more: str) -> dict[str, str]:
    now = str(int(time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": now,
        "X-Slack-Signature": sign(body, now),
    } | more


def log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [line for r in caplog.records for line in r.getMessage().splitlines()]


def assert_one_plain_line(caplog: pytest.LogCaptureFixture) -> None:
    """One record for the request, a single line, no traceback anywhere."""
    mine = [r for r in caplog.records if r.name != "aiohttp.access"]  # held back by serve
    assert len(mine) == 1, [r.getMessage() for r in mine]
    assert all(r.exc_info is None and r.stack_info is None for r in caplog.records)
    assert "Traceback" not in caplog.text
    assert len(mine[0].getMessage().splitlines()) == 1


DEEP = b"[" * 10_000 + b"]" * 10_000
NOW = str(int(time.time()))

# (name, body, headers): none of them signed with the secret.
UNSIGNED: list[tuple[str, bytes, dict[str, str]]] = [
    ("empty list", b"[]", {"Content-Type": JSON}),
    ("null", b"null", {"Content-Type": JSON}),
    ("truncated json", b'{"type": "event_callback", "event": {', {"Content-Type": JSON}),
    ("deep json", DEEP, {"Content-Type": JSON}),
    ("payload not json", b"payload=%7Bnope", {"Content-Type": FORM}),
    ("invalid utf-8", b'{"type": "\xff\xfe"}', {"Content-Type": JSON}),
    (
        "timestamp not a number",
        b'{"type": "url_verification", "challenge": "x"}',
        {"Content-Type": JSON, "X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
    ),
    (
        "non-ascii signature",
        b'{"type": "url_verification", "challenge": "x"}',
        {
            "Content-Type": JSON,
            "X-Slack-Request-Timestamp": NOW,
            "X-Slack-Signature": "v0=\u00e9" + "0" * 63,
        },
    ),
    (
        "wrong signature on []",
        b"[]",
        {"Content-Type": JSON, "X-Slack-Request-Timestamp": NOW, "X-Slack-Signature": "v0=00"},
    ),
    (
        "huge timestamp",
        b"[]",
        {"Content-Type": JSON, "X-Slack-Request-Timestamp": "9" * 5000, "X-Slack-Signature": "x"},
    ),
    ("signature without timestamp", b"[]", {"Content-Type": JSON, "X-Slack-Signature": "v0=0"}),
]

# Signed with the secret, but not a request Slack could send.
SIGNED_UNREADABLE: list[tuple[str, bytes, str]] = [
    ("empty list", b"[]", JSON),
    ("null", b"null", JSON),
    ("a string", b'"event_callback"', JSON),
    ("truncated json", b'{"type": "event_callback", "event": {', JSON),
    ("deep json", DEEP, JSON),
    ("payload not json", b"payload=%7Bnope", FORM),
    ("payload a list", b"payload=%5B%5D", FORM),
    ("invalid utf-8", b'{"type": "\xff\xfe"}', JSON),
]


@pytest.mark.parametrize(
    ("body", "headers"), [c[1:] for c in UNSIGNED], ids=[c[0] for c in UNSIGNED]
)
def test_an_unsigned_or_malformed_request_is_refused_in_one_line(
    server: tuple[str, FakeSlack, Store],
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    headers: dict[str, str],
) -> None:
    url, fake, _ = server
    calls = len(fake.calls)
    with caplog.at_level("DEBUG"):
        assert send(url, body, headers) == 401
    assert_one_plain_line(caplog)
    assert len(fake.calls) == calls


@pytest.mark.parametrize(
    ("body", "content_type"),
    [c[1:] for c in SIGNED_UNREADABLE],
    ids=[c[0] for c in SIGNED_UNREADABLE],
)
def test_a_signed_request_that_cannot_be_read_is_refused_in_one_line(
    server: tuple[str, FakeSlack, Store],
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
) -> None:
    url, fake, _ = server
    calls = len(fake.calls)
    with caplog.at_level("DEBUG"):
        assert send(url, body, signed(body, content_type)) == 400
    assert_one_plain_line(caplog)
    assert len(fake.calls) == calls


FORGED = "x\nFORGED line"
NOWHERE = "http://127.0.0.1:9/response"  # nothing may call slack.com; nothing listens here


def forging_requests() -> list[Any]:
    """Requests whose type, event type, subtype, command or action id holds a newline
    (those made from real payloads skipped, saying why, where the fixtures are absent)."""
    plain = pytest.param(json.dumps({"type": FORGED}).encode(), JSON, id="type")
    if not (FIXTURES / "slack_block_actions.json").is_file():
        absent = pytest.mark.skip(reason=f"platform fixtures not found at {FIXTURES}")
        return [plain, pytest.param(b"", JSON, id="from real payloads", marks=absent)]
    action = fixture("slack_block_actions.json") | {"response_url": NOWHERE}
    action["actions"][0]["action_id"] = FORGED
    view = fixture("slack_view_submission.json")
    view["view"]["callback_id"] = FORGED
    im = fixture("slack_event_message_im.json")
    subtype = copy.deepcopy(im)
    subtype["event"]["subtype"] = FORGED
    kind = copy.deepcopy(im)
    kind["event"]["type"] = FORGED
    command = fixture("slack_slash_command.json") | {
        "command": "/" + FORGED,
        "response_url": NOWHERE,
    }
    return [
        plain,
        pytest.param(json.dumps(kind).encode(), JSON, id="event type"),
        pytest.param(json.dumps(subtype).encode(), JSON, id="event subtype"),
        pytest.param(urlencode(command).encode(), FORM, id="command"),
        pytest.param(urlencode({"payload": json.dumps(action)}).encode(), FORM, id="action id"),
        pytest.param(urlencode({"payload": json.dumps(view)}).encode(), FORM, id="callback id"),
    ]


@pytest.mark.parametrize(("body", "content_type"), forging_requests())
@pytest.mark.parametrize("signature", ["signed", "unsigned"])
def test_a_value_from_a_request_cannot_forge_a_log_line(
    server: tuple[str, FakeSlack, Store],
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    signature: str,
) -> None:
    url, _, _ = server
    headers = signed(body, content_type) if signature == "signed" else {"Content-Type": JSON}
    with caplog.at_level("DEBUG"):
        send(url, body, headers)
    lines = caplog.text.splitlines() + log_lines(caplog)
    assert lines and not any(line.startswith("FORGED") for line in lines)
    assert "Traceback" not in caplog.text


def test_a_logged_value_is_quoted_and_bounded() -> None:
    from adapters.slack import quoted, request_kind

    assert quoted("a\nb") == "'a\\nb'"
    assert len(quoted("x" * 500)) == 40
    assert request_kind({"type": "event_callback", "event": {"type": FORGED}}) == (
        "event:'x\\nFORGED line'"
    )


def changed(name: str, change: Any) -> dict[str, Any]:
    """A fixture with `change(payload)` applied (it edits in place)."""
    body = copy.deepcopy(fixture(name))
    change(body)
    return body


def action(change: Any) -> dict[str, Any]:
    def both(body: dict[str, Any]) -> None:
        body["actions"][0]["action_id"] = "choice-1"
        body["actions"][0]["value"] = "help"
        body["response_url"] = NOWHERE
        change(body)

    return changed("slack_block_actions.json", both)


def view(change: Any) -> dict[str, Any]:
    def both(body: dict[str, Any]) -> None:
        body["view"]["callback_id"] = "star-form"
        change(body)

    return changed("slack_view_submission.json", both)


def im(change: Any) -> dict[str, Any]:
    return changed("slack_event_message_im.json", change)


def command_json(change: dict[str, Any]) -> dict[str, Any]:
    body = fixture("slack_slash_command.json") | {"command": "/behaviour"}
    return body | {"response_url": NOWHERE} | change


def signed_malformed() -> list[Any]:
    """Signed payloads Slack would never send, made from real ones (skipped, saying
    why, where the fixtures are absent)."""
    if not (FIXTURES / "slack_slash_command.json").is_file():
        absent = pytest.mark.skip(reason=f"platform fixtures not found at {FIXTURES}")
        return [pytest.param({}, "json", id="from real payloads", marks=absent)]
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("command without user_id", {"command": "/behaviour", "text": "help"}, "form"),
        ("command user_id an object", command_json({"user_id": {"id": "W1"}}), "json"),
        ("command text a list", command_json({"text": ["help"]}), "json"),
        ("command team_id a list", command_json({"team_id": ["T1"]}), "json"),
        ("actions empty", action(lambda b: b.update(actions=[])), "payload"),
        ("actions a string", action(lambda b: b.update(actions="choice-1")), "payload"),
        ("action not an object", action(lambda b: b.update(actions=[5])), "payload"),
        (
            "button value an object",
            action(lambda b: b["actions"][0].update(value={"a": 1})),
            "payload",
        ),
        ("action without action_id", action(lambda b: b["actions"][0].pop("action_id")), "payload"),
        ("action_id a number", action(lambda b: b["actions"][0].update(action_id=7)), "payload"),
        ("block_actions without user", action(lambda b: b.pop("user")), "payload"),
        ("user a string", action(lambda b: b.update(user="W111")), "payload"),
        ("user without id", action(lambda b: b["user"].pop("id")), "payload"),
        ("team a string", action(lambda b: b.update(team="T111")), "payload"),
        ("team a number", action(lambda b: b.update(team=5)), "payload"),
        ("channel a string", action(lambda b: b.update(channel="C111")), "payload"),
        ("container a list", action(lambda b: b.update(container=[])), "payload"),
        ("trigger_id an object", action(lambda b: b.update(trigger_id={})), "payload"),
        ("action without response_url", action(lambda b: b.pop("response_url")), "payload"),
        ("response_url a number", action(lambda b: b.update(response_url=5)), "payload"),
        ("authorizations an object", action(lambda b: b.update(authorizations={})), "payload"),
        ("authorizations of numbers", action(lambda b: b.update(authorizations=[1])), "payload"),
        ("enterprise a number", action(lambda b: b.update(enterprise=5)), "payload"),
        ("view a string", view(lambda b: b.update(view="V1")), "payload"),
        ("view_submission without view", view(lambda b: b.pop("view")), "payload"),
        ("view.state a string", view(lambda b: b["view"].update(state="x")), "payload"),
        (
            "view.state.values a list",
            view(lambda b: b["view"].update(state={"values": []})),
            "payload",
        ),
        ("view without callback_id", view(lambda b: b["view"].pop("callback_id")), "payload"),
        (
            "private_metadata a number",
            view(lambda b: b["view"].update(private_metadata=5)),
            "payload",
        ),
        ("view_submission without user", view(lambda b: b.pop("user")), "payload"),
        (
            "private_metadata deep json",
            view(lambda b: b["view"].update(private_metadata="[" * 5000 + "]" * 5000)),
            "payload",
        ),
        ("response_urls a string", view(lambda b: b.update(response_urls="x")), "payload"),
        ("event a string", im(lambda b: b.update(event="message")), "json"),
        ("event null", im(lambda b: b.update(event=None)), "json"),
        ("event a list", im(lambda b: b.update(event=[])), "json"),
        ("event without channel", im(lambda b: b["event"].pop("channel")), "json"),
        ("event user an object", im(lambda b: b["event"].update(user={"id": "U1"})), "json"),
        ("event text a list", im(lambda b: b["event"].update(text=["hi"])), "json"),
        ("event type a number", im(lambda b: b["event"].update(type=5)), "json"),
        ("event_callback without event", im(lambda b: b.pop("event")), "json"),
        ("event message a string", im(lambda b: b["event"].update(message="x")), "json"),
        (
            "mention without ts",
            changed("slack_event_app_mention.json", lambda b: b["event"].pop("ts")),
            "json",
        ),
        (
            "home opened without user",
            changed("slack_event_app_home_opened.json", lambda b: b["event"].pop("user")),
            "json",
        ),
    ]
    return [pytest.param(payload, encoding, id=name) for name, payload, encoding in cases]


@pytest.mark.parametrize(
    ("payload", "encoding"),
    signed_malformed(),
)
def test_a_signed_payload_slack_would_never_send_is_refused_plainly(
    server: tuple[str, FakeSlack, Store],
    caplog: pytest.LogCaptureFixture,
    payload: dict[str, Any],
    encoding: str,
) -> None:
    url, _, _ = server
    if encoding == "json":
        body, content_type = json.dumps(payload).encode(), JSON
    elif encoding == "payload":
        body, content_type = urlencode({"payload": json.dumps(payload)}).encode(), FORM
    else:
        body, content_type = urlencode(payload).encode(), FORM
    with caplog.at_level("DEBUG", logger="behaviourbot"):
        status = send(url, body, signed(body, content_type))
        time.sleep(0.05)  # anything a listener does after its ack
    assert 400 <= status < 500 or status == 200
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]


def test_bolt_handles_the_payload_as_checked_without_reading_the_body_again(
    server: tuple[str, FakeSlack, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signed body is parsed once, by the checks before bolt; bolt is handed that
    payload, so what it acts on is what was checked (and no time goes on a second
    parse)."""
    import slack_bolt.request.async_request
    from slack_bolt.request.internals import parse_body

    import adapters.slack.requests

    parsed: list[str] = []

    def counted(body: str, content_type: str | None) -> dict[str, Any]:
        parsed.append(content_type or "")
        return parse_body(body, content_type)

    monkeypatch.setattr(adapters.slack.requests, "parse_body", counted)
    monkeypatch.setattr(slack_bolt.request.async_request, "parse_body", counted)
    url, _, _ = server
    body = fixture("slack_slash_command.json") | {"command": "/behaviour", "text": "pace heo"}
    raw = urlencode(body).encode()
    status, answer = exchange(url, raw, signed(raw, FORM))
    assert status == 200
    assert "Delivering at Pace" in answer
    assert parsed == [FORM]


def test_a_replayed_signed_command_is_handled_once(
    server: tuple[str, FakeSlack, Store], caplog: pytest.LogCaptureFixture
) -> None:
    """The same body, timestamp and signature POSTed again (within Slack's five
    minutes) does nothing: one draft, one answer, one log line for each replay."""
    url, _, store = server
    body = fixture("slack_slash_command.json") | {
        "command": "/behaviour",
        "text": "prep leadership level 4",
        "channel_id": "D0REPLAY",
        "channel_name": "directmessage",
        "user_id": "U0REPLAY",
        "response_url": NOWHERE,
    }
    raw = urlencode(body).encode()
    headers = signed(raw, FORM)
    with caplog.at_level("INFO", logger="behaviourbot"):
        answers = [exchange(url, raw, headers) for _ in range(3)]
    assert [status for status, _ in answers] == [200, 200, 200]
    assert "Prepare an example: Leadership, Level 4" in answers[0][1]
    assert [text for _, text in answers[1:]] == ["", ""]
    assert [d["number"] for d in store.drafts("slack:T111:U0REPLAY")] == [1]
    replays = [r for r in caplog.records if "a replay" in r.getMessage()]
    assert len(replays) == 2


def test_a_replayed_button_press_is_handled_once(
    server: tuple[str, FakeSlack, Store],
) -> None:
    url, fake, _ = server
    press = action(lambda b: b.update(response_url=fake.response_base + "replay"))  # type: ignore[attr-defined]
    press["actions"][0].update(value="leadership level 4", action_id="share")
    del press["actions"][0]["action_ts"]  # the core tells them apart by trigger id too
    raw = urlencode({"payload": json.dumps(press)}).encode()
    headers = signed(raw, FORM)
    assert [send(url, raw, headers) for _ in range(2)] == [200, 200]
    assert len(fake.to("/response/replay")) == 1


def listening(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "healthz", timeout=2):
            return True
    except OSError:
        return False


def test_serve_verbose_never_logs_what_people_wrote(tmp_path: Path) -> None:
    """`behaviourbot --verbose serve`: a message's text, the bot's answer to it, a
    person's profile and a wrongly signed body never reach the log."""
    fake = FakeSlack()
    fake.users = {"U2147483697": slack_user("U2147483697", "Xylo Secretname")}
    log_file = tmp_path / "stderr.log"
    with ServerThread(fake.app()) as api, log_file.open("w") as stderr:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "Microsoft"))} | {
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": api.url + "api",
            "BEHAVIOURBOT_DB": str(tmp_path / "bot.db"),
        }
        args = ["--verbose", "serve", "--host", "127.0.0.1", "--port", str(port)]
        served = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_for(lambda: listening(url), 30)
            for n, text in enumerate(["Zanzibarquux", "expectations"]):
                dm = fixture("slack_event_message_im.json")
                dm["event_id"] = f"Ev-verbose-{n}"
                dm["event"] |= {"text": text, "ts": f"1355517523.00001{n}"}
                raw = json.dumps(dm).encode()
                assert send(url, raw, signed(raw)) == 200
                wait_for(lambda n=n: len(fake.to("/api/chat.postMessage")) == n + 1)
            forged = json.dumps({"type": "event_callback", "text": "Zanzibarquux"}).encode()
            assert send(url, forged, {"Content-Type": JSON, "X-Slack-Signature": "v0=1"}) == 401
        finally:
            served.terminate()
            served.wait(10)
    assert fake.to("/api/users.info")
    assert "zanzibarquux" in json.dumps(fake.to("/api/chat.postMessage")[0].body).lower()
    logged = log_file.read_text()
    assert "slack request=event:'message' status=200" in logged  # verbose, and working
    assert "zanzibarquux" not in logged.lower()
    assert "Secretname" not in logged


def test_a_replayed_event_with_a_made_up_retry_header_shapes_no_log_line(
    server: tuple[str, FakeSlack, Store], caplog: pytest.LogCaptureFixture
) -> None:
    url, _, _ = server
    body = fixture("slack_event_message_im.json")
    body["event"] |= {"text": "help", "channel": "D0RETRY", "user": "U0RETRY"}
    body["event_id"] = "Ev0RETRYHDR"
    raw = json.dumps(body).encode()
    headers = signed(raw)
    assert send(url, raw, headers) == 200
    with caplog.at_level("INFO", logger="behaviourbot"):
        send(url, raw, headers | {"X-Slack-Retry-Num": "1 MADE-UP-BY-THE-SENDER"})
    assert "MADE-UP" not in caplog.text
