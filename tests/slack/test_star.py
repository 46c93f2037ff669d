"""The STAR draft through Slack (signed events into the real slack-bolt app, the Web API
a local fake): where Slack shows buttons, the buttons carry commands and a typed `yes`
or `no` answers the confirmation waiting."""

from __future__ import annotations

import copy
import json

from .test_app import event, fixture, slack  # noqa: F401  (slack: the fixture)


def test_yes_typed_in_a_dm_answers_the_delete_confirmation(slack) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    url, fake, store = slack
    base = fixture("slack_event_message_im.json")
    user = f"slack:{base['team_id']}:{base['event']['user']}"

    def dm(text: str, n: int) -> dict[str, object]:
        body = copy.deepcopy(base)
        body["event_id"] = f"Ev-delete-{n}"
        body["event"] |= {"text": text, "ts": f"1355517523.00000{n}"}
        assert event(url, body)[0] == 200
        return fake.to("/api/chat.postMessage")[-1].body

    dm("prep leadership level 4", 1)
    dm("stop", 6)  # the draft kept, nothing waiting
    asked = dm("draft 1 delete", 2)
    assert "Delete draft 1 (Leadership, Level 4)?" in json.dumps(asked)
    buttons = [e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]]  # type: ignore[index, union-attr]
    assert [(b["text"]["text"], b["value"]) for b in buttons] == [
        ("Delete it", "draft 1 delete confirm"),
        ("Keep it", "draft 1 keep"),
    ]
    kept = dm("no", 3)
    assert "Kept draft 1: nothing was deleted." in json.dumps(kept)
    assert store.draft(user, 1) is not None
    dm("draft 1 delete", 4)
    deleted = dm("yes", 5)
    assert "Deleted draft 1 (Leadership, Level 4)." in json.dumps(deleted)
    assert store.draft(user, 1) is None
    assert "star" not in store.state(user, base["event"]["channel"])
