"""Log output: JSON lines for log collectors, and lines written by a thread of their
own in the web process, none lost at exit. Hostile requests go over HTTP into a real
`behaviourbot serve`."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from adapters import logs
from adapters.cli import main

from .conftest import platform_fixture
from .servers import ServerThread

FIELDS = {"time", "level", "logger", "message"}
# a line break, quotes and braces that would close a JSON string and open a field,
# a terminal escape and a Unicode line separator
HOSTILE = (
    'FORGED\n{"time": "x", "level": "CRITICAL", "logger": "x", "message": "owned"}\x1b[2J\u2028"'
)


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(p, dict) and set(p) >= FIELDS for p in parsed), lines
    return parsed


def test_a_record_is_one_json_object_with_its_fields() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter())
    log = logging.getLogger("behaviourbot.test_logs")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("teams request=%s status=%d", HOSTILE, 200, extra={"platform": "teams"})
        log.warning("a field named like ours", extra={"level": "CRITICAL", "logger": "x"})
        try:
            raise ValueError("inside")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    first, second, third = json_lines(out.getvalue())
    assert first["level"] == "WARNING" and first["logger"] == "behaviourbot.test_logs"
    assert first["message"] == f"teams request={HOSTILE} status=200"
    assert first["platform"] == "teams"  # a structured field
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert set(first) == FIELDS | {"platform"}
    assert second["level"] == "WARNING" and second["logger"] == "behaviourbot.test_logs"
    assert third["level"] == "ERROR" and "ValueError: inside" in third["exception"]
    assert out.getvalue().isascii()  # no terminal escape, no line separator, as is


def test_records_are_written_by_another_thread_and_none_is_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    written: list[tuple[str, str]] = []

    class Remember(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            time.sleep(0.001)  # a slow terminal: the caller does not wait for it
            written.append((threading.current_thread().name, record.getMessage()))

    root = logging.getLogger()
    remember = Remember()
    root.addHandler(remember)
    log = logging.getLogger("behaviourbot.test_logs")
    try:
        with caplog.at_level(logging.INFO, "behaviourbot"), logs.written_by_a_thread():
            assert [type(h) for h in root.handlers] == [logs._Batch]
            started = time.perf_counter()
            values = {"n": 0}
            for n in range(200):
                values["n"] = n
                log.info("line %(n)d", values)  # made now, not when written
            took = time.perf_counter() - started
            try:
                raise KeyError("k")
            except KeyError:
                log.exception("with a traceback")
        assert remember in root.handlers  # given back
    finally:
        root.removeHandler(remember)
    assert [m for _, m in written[:200]] == [f"line {n}" for n in range(200)]
    assert {thread for thread, _ in written} != {threading.current_thread().name}
    assert took < 0.2  # 200 lines at 1 ms each were not written on this thread
    assert written[-1][1] == "with a traceback"
    # pytest's capture still sees every record, the traceback with it
    messages = [r.getMessage() for r in caplog.records if r.name == "behaviourbot.test_logs"]
    assert messages[:200] == [f"line {n}" for n in range(200)]
    assert "KeyError" in caplog.text


def test_a_bad_log_format_is_said_plainly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEHAVIOURBOT_LOG_FORMAT", "yaml")
    assert main(["frameworks", "list"]) == 2
    assert "BEHAVIOURBOT_LOG_FORMAT 'yaml' is not one of text, json" in capsys.readouterr().err
    monkeypatch.delenv("BEHAVIOURBOT_LOG_FORMAT")
    with pytest.raises(SystemExit):
        main(["serve", "--log-format", "yaml"])


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("how", ["option", "variable"])
def test_serve_writes_json_lines_that_hostile_requests_cannot_forge(
    tmp_path: Path, how: str
) -> None:
    """`serve --log-format json` (or BEHAVIOURBOT_LOG_FORMAT=json): every line on
    stderr is one JSON object, the last written at exit. Unauthenticated callers (Teams
    in development mode takes no token; an unsigned Slack request) send line breaks,
    quotes and terminal escapes: each request is one line, its values inside the
    message."""
    from .servers import FakeConnector, serve_process

    env = {  # Slack over HTTP on, its Web API never called (nothing here is signed)
        "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    args: list[str] = []
    if how == "option":
        args = ["--log-format", "json"]
        env["BEHAVIOURBOT_LOG_FORMAT"] = "text"  # the option wins
    else:
        env["BEHAVIOURBOT_LOG_FORMAT"] = "json"
    message = platform_fixture("teams_message_personal.json")
    message.pop("attachments")
    invoke = platform_fixture("teams_invoke_adaptive_card_action_COMPOSED.json")
    connector = FakeConnector()
    with (
        ServerThread(connector.app()) as service,
        serve_process(tmp_path, *args, env=env) as (port, stderr, served),
    ):
        url = f"http://127.0.0.1:{port}/"
        teams = {"Content-Type": "application/json"}
        sent = [
            message | {"type": HOSTILE, "serviceUrl": service.url},
            invoke | {"name": HOSTILE, "id": "n", "serviceUrl": service.url},
            message | {"channelId": HOSTILE, "id": "c", "serviceUrl": service.url},
            message | {"text": HOSTILE, "id": "t", "serviceUrl": service.url},
        ]
        for activity in sent:
            _post(url + "api/messages", json.dumps(activity).encode(), teams)
        # quotes and braces: HTTP itself takes no line break or escape in a header
        header = HOSTILE.replace("\n", " ").replace("\u2028", "").replace("\x1b", "")
        slack = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": header,
            "X-Slack-Signature": "v0=" + header,
            "X-Slack-Retry-Num": header,
        }
        assert _post(url + "slack/events", HOSTILE.encode(), slack) == 401
    text = stderr.read_text()
    lines = json_lines(text)
    assert all(set(line) == FIELDS for line in lines), [set(line) for line in lines]
    assert {line["level"] for line in lines} <= {"INFO", "WARNING"}
    assert {line["logger"] for line in lines} <= {
        "behaviourbot",
        "behaviourbot.web",
        "behaviourbot.teams",
        "behaviourbot.slack",
        "behaviourbot.outbox",
    }
    requests = [line["message"] for line in lines if line["message"].startswith("teams request=")]
    assert len(requests) == len(sent)
    assert sum("slack request refused (401)" in line["message"] for line in lines) == 1
    # what the callers sent stays inside a message, quoted; never what a person wrote
    assert all("owned" not in line["logger"] + line["level"] for line in lines)
    assert "FORGED" in text  # the values were logged...
    assert all("\x1b" not in line["message"] for line in lines)  # ...quoted, escapes too
    assert text.isascii()
    assert lines[0]["message"].startswith("slack: on at /slack/events")
    assert lines[-1]["message"] == "stopped"  # written at exit: nothing left in the queue
    assert served.returncode == 0
