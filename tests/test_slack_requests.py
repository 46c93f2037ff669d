"""What reaches /slack/events that Slack would never send: unsigned, wrongly signed or
malformed requests, replays, and values made to forge log lines. Each is refused (or
ignored) plainly, with one log line and never a traceback, through the real app."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from adapters.web import create_app
from bot.frameworks import Framework
from bot.router import Bot
from bot.settings import Settings
from bot.storage import Store

from .servers import FakeSlack, ServerThread
from .test_slack import SECRET, fixture


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


def send(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url + "slack/events", data=body, method="POST")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


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


def forging_requests() -> list[tuple[str, bytes, str]]:
    """Requests whose type, event type, subtype, command or action id holds a newline."""
    action = fixture("slack_block_actions.json")
    action["actions"][0]["action_id"] = FORGED
    view = fixture("slack_view_submission.json")
    view["view"]["callback_id"] = FORGED
    im = fixture("slack_event_message_im.json")
    subtype = copy.deepcopy(im)
    subtype["event"]["subtype"] = FORGED
    kind = copy.deepcopy(im)
    kind["event"]["type"] = FORGED
    command = fixture("slack_slash_command.json") | {"command": "/" + FORGED}
    return [
        ("type", json.dumps({"type": FORGED}).encode(), JSON),
        ("event type", json.dumps(kind).encode(), JSON),
        ("event subtype", json.dumps(subtype).encode(), JSON),
        ("command", urlencode(command).encode(), FORM),
        ("action id", urlencode({"payload": json.dumps(action)}).encode(), FORM),
        ("callback id", urlencode({"payload": json.dumps(view)}).encode(), FORM),
    ]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [c[1:] for c in forging_requests()],
    ids=[c[0] for c in forging_requests()],
)
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
