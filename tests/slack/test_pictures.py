"""The 360 report's picture in Slack, through its real protocol: a chart built from
blocks (a section per behaviour, bars drawn in characters with their numbers), in the
message that replaces the one whose button was pressed and in the report the outbox
posts to the manager (chat.postMessage), within Block Kit's limits; never a bar for what
the anonymity rules hide."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.frameworks import Framework

from ..servers import wait_for
from .test_feedback import (
    ALICE,
    BOB,
    CAROL,
    DAN,
    DANA,
    Person,
    picked,
    rated,
    slack_server,
    text_of,
    typed,
)
from .test_plans_expectations import day, option


def blocks_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = message["blocks"]
    return blocks if isinstance(blocks, list) else json.loads(blocks)


def chart_sections(message: dict[str, Any]) -> dict[str, str]:
    """The chart's sections by behaviour: the section whose text starts with its name in
    bold, after the chart's caption."""
    blocks = blocks_of(message)
    (start,) = [
        n
        for n, b in enumerate(blocks)
        if b["type"] == "context" and b["elements"][0]["text"].startswith("Picture: ")
    ]
    found: dict[str, str] = {}
    for block in blocks[start + 1 :]:
        text = block.get("text", {}).get("text", "") if block["type"] == "section" else ""
        if not text.startswith("*") or "\n" not in text:
            break
        heading, _, bars = text.partition("\n")
        found[heading.strip("*")] = bars
    return found


def test_the_report_in_slack_draws_self_against_peers_in_blocks(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, _bot):
        alice = Person(url, fake, ALICE)
        alice.say("360 leadership level 4")
        alice.say("delivering at pace")
        for value in ("360 done", "360 people"):
            alice.press(value)
        alice.submit(alice.opened(), {"peers": picked(BOB, CAROL, DAN)})
        alice.press("360 deadline 1 week")
        alice.press(alice.buttons()["Choose a manager"])
        alice.submit(alice.opened(), {"manager": {"type": "users_select", "selected_user": DANA}})
        alice.press("360 self leadership 2")
        alice.press("360 self delivering-at-pace 4")
        alice.press("360 send")
        assert "Request 1 is on its way" in text_of(alice.last())
        # Leadership 4, 3, 3: average 3; Delivering at Pace rated by one: not shown
        for user, lead, pace in ((BOB, "4", "1"), (CAROL, "3", "0"), (DAN, "3", "0")):
            peer = Person(url, fake, user)
            peer.press("360 answer 1")
            values = {
                "rate-leadership": rated(lead),
                "example-leadership": typed(""),
                "rate-delivering-at-pace": rated(pace),
                "example-delivering-at-pace": typed(""),
                "keep": typed(""),
                "develop": typed(""),
            }
            assert peer.submit(peer.opened(), values) is None
        alice.press("360 close 1 confirm")
        report = alice.last()
        sections = chart_sections(report)
        assert sections == {
            "Leadership": "`▇▇▇▇▇▇▁▁` Peers: Usually (3) on average\n`▇▇▇▇▁▁▁▁` You: Sometimes (2)",
            "Delivering at Pace": "Peers: not enough answers\n`▇▇▇▇▇▇▇▇` You: Consistently (4)",
        }
        blocks = blocks_of(report)
        assert len(blocks) <= 50
        assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)

        # the manager's report, posted by the outbox: the peers' bars, not Alice's own
        (to_manager,) = wait_for(
            lambda: [c.body for c in fake.delivered() if c.body["channel"] == DANA]
        )
        assert chart_sections(to_manager) == {
            "Leadership": "`▇▇▇▇▇▇▁▁` Peers: Usually (3) on average",
            "Delivering at Pace": "Peers: not enough answers",
        }
        assert "You:" not in text_of(to_manager)


def test_a_plans_progress_in_slack_is_drawn_in_blocks(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, _bot):
        alice = Person(url, fake, ALICE)
        for behaviour in ("leadership level 5", "delivering at pace level 5"):
            alice.press("plan add")
            values = {
                "behaviour": typed(behaviour),
                "gap": typed("A gap in a sentence"),
                "activity": option("assignment"),
                "starts": day(""),
                "due": day(""),
            }
            assert alice.submit(alice.opened(), values) is None
        alice.press("plan status 1 in progress")
        alice.say("plan")
        assert chart_sections(alice.last()) == {
            "Items": "`▇▇▇▇▁▁▁▁` Not started: 1 of 2\n`▇▇▇▇▁▁▁▁` In progress: 1 of 2\n"
            "`▁▁▁▁▁▁▁▁` Done: 0 of 2"
        }
