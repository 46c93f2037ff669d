"""Slack through its real protocol: signed HTTP requests into the real aiohttp app and
slack-bolt, with the Web API and response_url pointed at a local fake Slack server."""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from adapters.web import create_app
from bot.frameworks import Framework
from bot.router import Bot
from bot.settings import Settings
from bot.storage import Store

from ..conftest import platform_fixture
from ..servers import FakeSlack, ServerThread

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


fixture = platform_fixture


@pytest.fixture
def slack(tmp_path: Path, frameworks: list[Framework]) -> Iterator[tuple[str, FakeSlack, Store]]:
    fake = FakeSlack()
    with ServerThread(fake.app()) as api:
        settings = Settings.from_env(
            {
                "BEHAVIOURBOT_DB": str(tmp_path / "bot.db"),
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_API_URL": api.url + "api",  # no trailing slash: settings add it
            }
        )
        store = Store.open(settings.db_path)
        with ServerThread(create_app(settings, Bot(frameworks, store))) as bot:
            fake.response_base = api.url + "response/"  # type: ignore[attr-defined]
            yield bot.url, fake, store
        store.close()


def post(
    url: str,
    body: str,
    content_type: str,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    request = urllib.request.Request(
        url + "slack/events",
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def command(url: str, text: str, **kwargs: Any) -> tuple[int, str]:
    body = fixture("slack_slash_command.json") | {"command": "/behaviour", "text": text}
    return post(url, urlencode(body), "application/x-www-form-urlencoded", **kwargs)


def interaction(url: str, payload: dict[str, Any], **kwargs: Any) -> tuple[int, str]:
    return post(
        url,
        urlencode({"payload": json.dumps(payload)}),
        "application/x-www-form-urlencoded",
        **kwargs,
    )


def event(url: str, body: dict[str, Any], **kwargs: Any) -> tuple[int, str]:
    return post(url, json.dumps(body), "application/json", **kwargs)


def button(
    fake: FakeSlack, value: str, action_id: str = "choice-1", **container: Any
) -> dict[str, Any]:
    payload = copy.deepcopy(fixture("slack_block_actions.json"))
    payload["response_url"] = fake.response_base + "one"  # type: ignore[attr-defined]
    payload["actions"][0] |= {"action_id": action_id, "value": value, "block_id": "b1"}
    payload["container"] |= container
    return payload


def header(message: dict[str, Any]) -> str:
    return message["blocks"][0]["text"]["text"]


def test_a_slash_command_is_answered_in_the_ack_only_to_the_asker(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, _ = slack
    status, body = command(url, "leadership level 4")
    assert status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "Leadership: Level 4"
    assert header(answer) == "Leadership: Level 4"
    assert answer["blocks"][-1]["elements"] == [
        {
            "type": "button",
            "action_id": "share",
            "text": {"type": "plain_text", "text": "Share in channel"},
            "value": "leadership level 4",
        }
    ]
    # the first command goes through bolt, which checks the bot's token (auth.test)...
    assert [c.path for c in fake.calls] == ["/api/auth.test"]
    assert fake.calls[0].headers["Authorization"] == "Bearer xoxb-test"
    # ...and from then on a lookup is answered by the adapter itself, with the same ack
    status, again = command(url, "leadership level 4")
    assert status == 200 and json.loads(again) == answer
    assert [c.path for c in fake.calls] == ["/api/auth.test"]


def test_unsigned_forged_and_stale_requests_are_refused(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, store = slack
    assert command(url, "help", secret="not-the-secret")[0] == 401
    assert command(url, "help", timestamp=int(time.time()) - 6 * 60)[0] == 401
    request = urllib.request.Request(url + "slack/events", data=b"text=help", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert fake.calls == []
    assert store.db["handled_events"].count == 0


def test_without_a_signing_secret_slack_is_refused(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    settings = Settings.from_env({"BEHAVIOURBOT_DB": str(tmp_path / "x.db")})
    store = Store.open(settings.db_path)
    with ServerThread(create_app(settings, Bot(frameworks, store))) as server:
        assert command(server.url, "help")[0] == 401
        with urllib.request.urlopen(server.url + "healthz", timeout=10) as response:
            assert json.loads(response.read()) == {"ok": True}
    store.close()


def test_a_signing_secret_without_a_bot_token_starts_with_slack_off(
    tmp_path: Path, frameworks: list[Framework], caplog: pytest.LogCaptureFixture
) -> None:
    env = {"BEHAVIOURBOT_DB": str(tmp_path / "x.db"), "SLACK_SIGNING_SECRET": SECRET}
    settings = Settings.from_env(env)
    store = Store.open(settings.db_path)
    with caplog.at_level("WARNING", logger="behaviourbot"):
        app = create_app(settings, Bot(frameworks, store))
    assert "slack: HTTP off (SLACK_BOT_TOKEN not set)" in caplog.text
    with ServerThread(app) as server:
        assert command(server.url, "help")[0] == 401
    store.close()


def test_url_verification_is_answered(slack) -> None:  # type: ignore[no-untyped-def]
    url, _, _ = slack
    body = fixture("slack_url_verification.json")
    status, answer = event(url, body)
    assert status == 200 and json.loads(answer)["challenge"] == body["challenge"]


def test_a_choice_button_replaces_the_message_in_place(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, _ = slack
    status, _ = interaction(url, button(fake, "show civil-service/leadership/3", is_ephemeral=True))
    assert status == 200
    (sent,) = fake.to("/response/one")
    assert sent.body["replace_original"] is True
    assert header(sent.body) == "Leadership: Level 3"
    assert sent.body["blocks"][-1]["elements"][0]["value"] == "show civil-service/leadership/3"


def test_share_posts_the_same_answer_for_everyone(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, _ = slack
    payload = button(fake, "leadership level 4", action_id="share", is_ephemeral=True)
    assert interaction(url, payload)[0] == 200
    (sent,) = fake.to("/response/one")
    assert sent.body["response_type"] == "in_channel"
    assert sent.body["delete_original"] is True and sent.body["replace_original"] is False
    assert header(sent.body) == "Leadership: Level 4"
    assert not any(b["type"] == "actions" for b in sent.body["blocks"])
    assert sent.body["blocks"][-1]["elements"][0]["text"] == "Shared by <@W111>"


def test_a_double_click_is_handled_once(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, _ = slack
    payload = button(fake, "show civil-service/leadership/3")
    interaction(url, payload)
    interaction(url, payload)
    assert len(fake.to("/response/one")) == 1


def test_a_direct_message_is_answered_in_the_dm_and_a_retry_is_not(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, store = slack
    body = fixture("slack_event_message_im.json")
    body["event"]["text"] = "principled"
    assert event(url, body)[0] == 200
    assert (
        event(
            url, body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        )[0]
        == 200
    )
    (posted,) = fake.to("/api/chat.postMessage")
    assert posted.body["channel"] == body["event"]["channel"]
    assert posted.body["blocks"][0]["text"]["text"] == "1.1 Principled"
    assert store.db["handled_events"].count_where("event_id LIKE 'slack-event-%'") == 1


def test_a_retry_after_a_failed_post_gets_the_answer_once(slack) -> None:  # type: ignore[no-untyped-def]
    """When the answer cannot be posted the event answers 500; Slack's retry gets the same
    answer, and the event is not handled again."""
    url, fake, store = slack
    body = fixture("slack_event_message_im.json")
    body["event"]["text"] = "principled"
    fake.failures["chat.postMessage"] = 1
    assert event(url, body)[0] == 500
    retried = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    assert event(url, body, headers=retried)[0] == 200
    failed, posted = fake.to("/api/chat.postMessage")
    assert posted.body == failed.body and header(posted.body) == "1.1 Principled"
    assert event(url, body, headers=retried | {"X-Slack-Retry-Num": "2"})[0] == 200
    assert len(fake.to("/api/chat.postMessage")) == 2  # delivered: not posted again
    (row,) = store.db["handled_events"].rows_where("event_id LIKE 'slack-event-%'")
    assert row["replies"] is None


def test_an_oversized_request_is_refused_plainly(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, _ = slack
    status, body = command(url, "leadership " * 96_000)  # just over 1 MB: nothing left unread
    assert status == 413 and "Maximum request body size" in json.loads(body)["error"]
    assert fake.to("/api/chat.postMessage") == []


def test_the_bots_own_messages_are_ignored(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, _ = slack
    body = fixture("slack_event_message_im.json")
    body["event"] |= {"bot_id": "B0T", "text": "leadership"}
    body["event_id"] = "Ev-own"
    assert event(url, body)[0] == 200
    assert fake.to("/api/chat.postMessage") == []


def test_a_mention_is_answered_in_a_thread_without_the_mention(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, _ = slack
    body = fixture("slack_event_app_mention.json")
    body["event"]["text"] = "<@UB0T> compare leadership 3 4"
    assert event(url, body)[0] == 200
    (posted,) = fake.to("/api/chat.postMessage")
    assert posted.body["thread_ts"] == body["event"]["ts"]
    assert posted.body["blocks"][0]["text"]["text"] == "Leadership: Level 3 and Level 4"


def test_the_home_tab_shows_the_persons_home(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, _ = slack
    assert event(url, fixture("slack_event_app_home_opened.json"))[0] == 200
    (published,) = fake.to("/api/views.publish")
    view = published.body["view"]
    assert view["type"] == "home"
    assert view["blocks"][0]["text"]["text"] == "Your home"  # nothing waiting: the jobs
    assert any(b["type"] == "actions" for b in view["blocks"])


def test_user_text_is_escaped_on_the_way_out(slack) -> None:  # type: ignore[no-untyped-def]
    url, _, _ = slack
    _, body = command(url, "<!channel> <@U123|boss> <https://evil.example|x>")
    assert "<!channel>" not in body and "<@U123" not in body and "<https://" not in body
    assert '"action_id": "share"' not in body  # nothing to share in a "no match"


def test_socket_mode_answers_a_slash_command_over_the_websocket(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    fake = FakeSlack()
    body = fixture("slack_slash_command.json") | {"command": "/behaviour", "text": "pace heo"}
    fake.envelopes.append(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": body,
        }
    )
    with ServerThread(fake.app()) as api:
        fake.base = api.url
        settings = Settings.from_env(
            {
                "BEHAVIOURBOT_DB": str(tmp_path / "bot.db"),
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_APP_TOKEN": "xapp-1-test",
                "SLACK_API_URL": api.url + "api/",
            }
        )
        store = Store.open(settings.db_path)
        with ServerThread(create_app(settings, Bot(frameworks, store), socket=True)) as server:
            deadline = time.monotonic() + 10
            while not fake.socket_replies and time.monotonic() < deadline:
                time.sleep(0.05)
            # HTTP stays closed to Slack: no signing secret, so nothing unsigned gets in
            assert command(server.url, "help")[0] == 401
        store.close()
    (reply,) = fake.socket_replies
    assert reply["envelope_id"] == "env-1"
    assert reply["payload"]["response_type"] == "ephemeral"
    assert reply["payload"]["blocks"][0]["text"]["text"] == "Delivering at Pace: Level 3"
    opened = fake.to("/api/apps.connections.open")
    assert opened and opened[0].headers["Authorization"] == "Bearer xapp-1-test"


def test_socket_mode_needs_its_tokens(tmp_path: Path, frameworks: list[Framework]) -> None:
    settings = Settings.from_env({"BEHAVIOURBOT_DB": str(tmp_path / "x.db")})
    store = Store.open(settings.db_path)
    with pytest.raises(ValueError, match="SLACK_APP_TOKEN"):
        create_app(settings, Bot(frameworks, store), socket=True)
    store.close()


def test_the_web_process_forgets_old_event_ids(tmp_path: Path, frameworks: list[Framework]) -> None:
    settings = Settings.from_env({"BEHAVIOURBOT_DB": str(tmp_path / "x.db")})
    store = Store.open(settings.db_path)
    store.first_time("slack-event-old")
    store.first_time("slack-event-new")
    store.db.execute(
        "UPDATE handled_events SET handled_at = '2000-01-01T00:00:00+00:00'"
        " WHERE event_id = 'slack-event-old'"
    )
    with ServerThread(create_app(settings, Bot(frameworks, store))):
        deadline = time.monotonic() + 5
        while store.db["handled_events"].count > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [r["event_id"] for r in store.db["handled_events"].rows] == ["slack-event-new"]
    store.close()


def test_an_example_is_drafted_in_a_dm_and_kept_private_elsewhere(slack) -> None:  # type: ignore[no-untyped-def]
    from ..star.test_review import STRONG

    url, fake, store = slack
    base = fixture("slack_event_message_im.json")

    def dm(text: str, n: int) -> None:
        body = copy.deepcopy(base)
        body["event_id"] = f"Ev-star-{n}"
        body["event"] |= {"text": text, "ts": f"1355517523.00000{n}"}
        assert event(url, body)[0] == 200

    dm("prep leadership level 4", 1)
    for n, part in enumerate(("situation", "task", "action", "result"), 2):
        dm(STRONG[part], n)
    dm("skip", 6)
    posted = [json.dumps(c.body) for c in fake.to("/api/chat.postMessage")]
    assert "Prepare an example: Leadership, Level 4" in posted[0]
    assert all(json.loads(p)["channel"] == base["event"]["channel"] for p in posted)
    assert any("Saved your Action in draft 1" in p for p in posted)
    assert "Your example: Leadership, Level 4" in posted[-1]
    assert "Indicative band" in posted[-1]
    user = f"slack:{base['team_id']}:{base['event']['user']}"
    assert store.draft(user, 1)["parts"]["result"] == STRONG["result"]
    # The same in a channel, by slash command: refused, nothing started
    status, ack = command(url, "prep leadership level 4")
    assert status == 200 and "Let's prepare in private" in ack


def test_a_star_part_typed_with_an_ampersand_in_a_dm_is_stored_as_typed(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, store = slack
    base = fixture("slack_event_message_im.json")
    typed = "Our R&D team's <b>budget</b> fell by 20% & the plan was due in 6 weeks."
    for n, text in enumerate(("prep leadership level 4", typed), 1):
        body = copy.deepcopy(base)
        body["event_id"] = f"Ev-amp-{n}"
        # as Slack sends a message: its three control characters escaped
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        body["event"] |= {"text": escaped, "ts": f"1355517524.00000{n}"}
        assert event(url, body)[0] == 200
    user = f"slack:{base['team_id']}:{base['event']['user']}"
    assert store.draft(user, 1)["parts"]["situation"] == typed
    assert fake.to("/api/chat.postMessage")  # answered (escaping out: test_advert.py)


def test_a_draft_is_written_in_one_modal(slack) -> None:  # type: ignore[no-untyped-def]
    """In a DM: the button opens a modal (views.open) with one multi-line input per part;
    a refused field keeps the modal open with the reason; a good submission closes it,
    saves the draft once, and the review comes in the DM."""
    from ..star.test_review import STRONG

    url, fake, store = slack
    dm = fixture("slack_event_message_im.json")
    dm["event"]["text"] = "prep leadership level 4"
    assert event(url, dm)[0] == 200
    (started,) = fake.to("/api/chat.postMessage")
    buttons = [e for b in started.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == [
        "Write it all in one form",
        "Discard this draft",
    ]

    press = button(fake, buttons[0]["value"])
    press["container"] |= {"channel_id": dm["event"]["channel"], "is_ephemeral": False}
    press["channel"] = {"id": dm["event"]["channel"], "name": "directmessage"}
    press["team"]["id"] = dm["team_id"]
    press["user"] |= {"id": dm["event"]["user"], "team_id": dm["team_id"]}
    assert interaction(url, press)[0] == 200
    (opened,) = fake.to("/api/views.open")
    view = (
        json.loads(opened.body["view"])
        if isinstance(opened.body["view"], str)
        else opened.body["view"]
    )
    assert opened.body["trigger_id"] == press["trigger_id"]
    assert view["callback_id"] == "star-form" and view["title"]["text"] == "Draft 1"
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["situation", "task", "action", "result", "learned"]
    assert all(b["element"]["multiline"] for b in inputs) and inputs[-1]["optional"]

    def submit(values: dict[str, str], trigger: str) -> tuple[int, str]:
        payload = fixture("slack_view_submission.json")
        payload["team"]["id"] = dm["team_id"]
        payload["user"] |= {"id": dm["event"]["user"], "team_id": dm["team_id"]}
        payload["view"] |= {
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {
                "values": {
                    k: {"value": {"type": "plain_text_input", "value": v}}
                    for k, v in values.items()
                }
            },
        }
        payload["trigger_id"] = trigger  # each submission has its own
        return interaction(url, payload)

    user = f"slack:{dm['team_id']}:{dm['event']['user']}"
    status, body = submit(dict(STRONG, action="x" * 3001), "h1")
    assert status == 200
    refused = json.loads(body)
    assert refused["response_action"] == "errors"
    assert (
        list(refused["errors"]) == ["action"] and "3,001 characters" in refused["errors"]["action"]
    )
    assert store.draft(user, 1)["parts"] == {}  # nothing saved half-way

    # corrected after the refusal, in the same modal: saved (a new submission)
    assert submit(dict(STRONG), "h2") == (200, "")  # closes the modal
    assert submit(dict(STRONG), "h2") == (200, "")  # the same submission again: once
    saved, review = fake.to("/api/chat.postMessage")[1:]
    assert saved.body["channel"] == review.body["channel"] == dm["event"]["user"]
    assert "Saved draft 1. Here is the review." in json.dumps(saved.body)
    assert header(review.body) == "Your example: Leadership, Level 4"
    assert store.draft(user, 1)["parts"] == dict(STRONG, learned="")
    # typed in the DM, with no button press to open a modal from: a button that opens it
    typed = copy.deepcopy(dm)
    typed["event_id"], typed["event"]["text"] = "Ev-typed-form", "draft 1 form"
    assert event(url, typed)[0] == 200
    shown = fake.to("/api/chat.postMessage")[-1].body
    first = next(b for b in shown["blocks"] if b["type"] == "actions")["elements"][0]
    assert (first["text"]["text"], first["value"], first["style"]) == (
        "Open the form",
        "draft 1 form",
        "primary",
    )


def test_drafts_export_and_practice_in_a_dm(slack) -> None:  # type: ignore[no-untyped-def]
    from ..star.test_review import STRONG

    url, fake, store = slack
    base = fixture("slack_event_message_im.json")

    def dm(text: str, n: int) -> dict[str, Any]:
        body = copy.deepcopy(base)
        body["event_id"] = f"Ev-drafts-{n}"
        body["event"] |= {"text": text, "ts": f"1355517600.00000{n}"}
        assert event(url, body)[0] == 200
        return fake.to("/api/chat.postMessage")[-1].body

    dm("prep leadership level 4", 1)
    for n, part in enumerate(("situation", "task", "action", "result"), 2):
        dm(STRONG[part], n)
    dm("skip", 6)
    listed = dm("drafts", 7)
    assert header(listed) == "Your drafts"
    buttons = [e for b in listed["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["value"]) for b in buttons] == [("Open draft 1", "draft 1")]

    press = button(fake, "draft 1 export markdown")
    press["container"] |= {"channel_id": base["event"]["channel"], "is_ephemeral": False}
    press["channel"] = {"id": base["event"]["channel"], "name": "directmessage"}
    press["team"]["id"] = base["team_id"]
    press["user"] |= {"id": base["event"]["user"], "team_id": base["team_id"]}
    assert interaction(url, press)[0] == 200
    (exported,) = fake.to("/response/one")
    assert header(exported.body) == "Draft 1 as Markdown"
    assert "## Review" in json.dumps(exported.body)

    question = dm("practice leadership level 4", 8)
    assert header(question) == "Practice question: Leadership, Level 4"
    answered = dm(" ".join(STRONG[p] for p in ("situation", "task", "action")), 9)
    assert "Not found: the Result." in json.dumps(answered)
    saved = dm("practice save", 10)
    assert header(saved) == "Draft 2: Leadership, Level 4"
    user = f"slack:{base['team_id']}:{base['event']['user']}"
    assert store.draft(user, 2)["parts"]["action"] == STRONG["action"]


def test_escaped_mentions_and_links_reach_a_lookup_as_typed() -> None:
    from adapters.slack import unescaped

    assert unescaped("leadership <@U123|bob> <#C1|general>") == "leadership @bob #general"
    assert unescaped("see <https://example.org|the site> &amp; more") == "see the site & more"


def test_share_posts_only_the_shared_answer_never_a_flows_question(slack) -> None:  # type: ignore[no-untyped-def]
    url, fake, store = slack
    # A slash command in a DM between two people (Slack calls it "directmessage"): the
    # person's own draft is started there, its questions shown only to them.
    where = {"channel_id": "D0AB", "channel_name": "directmessage"}
    body = fixture("slack_slash_command.json") | where | {"command": "/behaviour"}
    body["response_url"] = fake.response_base + "command"  # type: ignore[attr-defined]
    status, ack = post(
        url,
        urlencode(body | {"text": "prep leadership level 4"}),
        "application/x-www-form-urlencoded",
    )
    assert status == 200 and json.loads(ack)["response_type"] == "ephemeral"
    assert "star" in store.state("slack:T111:W111", "slack:T111:D0AB")
    # The definition, shared with the other person in that DM.
    payload = button(fake, "leadership level 4", action_id="share", is_ephemeral=True, **where)
    payload["channel"] = {"id": "D0AB", "name": "directmessage"}
    assert interaction(url, payload)[0] == 200
    shared = [c.body for c in fake.to("/response/one")]
    assert all(c["response_type"] == "in_channel" for c in shared)
    posted = json.dumps(shared)
    assert "Leadership: Level 4" in posted
    assert "Step 1 of 5: Situation" not in posted  # the draft's question, not shared
    assert len(shared) == 1
