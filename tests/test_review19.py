"""Review 19: the last fixes for issue 19, read as an attacker. Each test here fails
because of a defect found (xfail, strict): the fix turns it green, and then the mark goes."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import Store

from .feedback.test_request import people, request, text
from .servers import wait_for
from .slack.test_feedback import ALICE, BOB, slack_server
from .slack.test_feedback import Person as SlackPerson
from .slack.test_home import published, sent_and_in_bobs_home
from .star.test_bank import SIX, answer, material
from .teams.test_turn import Teams, fixture, teams, texts  # noqa: F401  (teams: the fixture)

# a Teams message's size (Teams refuses one over about 28 KB)
_SIZE = 28_000


def _with_html(teams: Teams, html: str, n: int) -> float:  # noqa: F811
    """Seconds to answer a message whose rich-text copy is `html`."""
    activity = fixture("teams_message_personal.json") | {
        "id": f"review19-html-{n}",
        "text": "hello",
        "attachments": [{"contentType": "text/html", "content": html}],
    }
    started = time.perf_counter()
    status, _ = teams.post(activity)
    assert status == 200
    return time.perf_counter() - started


def test_a_crafted_html_copy_costs_no_more_than_a_plain_one(teams: Teams) -> None:  # noqa: F811
    """The rich-text copy is parsed for every message, whatever its `text`: crafted markup
    of a message's size must cost about what plain markup of that size costs."""
    plain = "<p>x</p>" * (_SIZE // 8)
    crafted = "<!--" + "<a" * ((_SIZE - 4) // 2)
    _with_html(teams, plain, 0)  # warmed up
    baseline = min(_with_html(teams, plain, n) for n in (1, 2))
    spent = _with_html(teams, crafted, 3)
    assert spent < 10 * baseline, (spent, baseline)


def test_one_agreeing_peers_example_on_a_behaviour_is_never_picked_out_of_the_report(
    frameworks: list[Framework], store: Store
) -> None:
    """Bob, carol and dan agree, erin, fred and gina refuse; on Leadership only bob of
    those who agreed wrote (carol and dan wrote on Delivering at Pace), the three who
    refused did: the report shows four Leadership examples, and the bank would be bob's
    alone, picked out of them (as `offerable` refuses when counted for the request)."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *SIX)
    request(who["alice"], peers="bob, carol, dan, erin, fred, gina")
    answer(who["bob"], "yes", "Bob saw it")
    answer(who["carol"], "yes", "", "Carol paced it")
    answer(who["dan"], "yes", "", "Dan paced it")
    for name in ("erin", "fred", "gina"):
        answer(who[name], "no", f"{name.title()} kept it")
    who["alice"].send(text="360 close 1 confirm")
    assert material(text(who["alice"].send(text="evidence leadership"))) != ["Bob saw it"]


def test_a_failed_home_publish_does_not_lose_the_peers_homes(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    with slack_server(tmp_path, frameworks) as (url, fake, _bot):
        alice = SlackPerson(url, fake, ALICE)
        sent_and_in_bobs_home(url, fake, alice)
        fake.failures["views.publish"] = 2  # Slack fails twice (rate limited, say)
        alice.press("360 close 1 confirm")
        wait_for(lambda: not fake.failures["views.publish"], 5)
        alice.say("360 list")  # a later turn: the homes not brought up to date are now

        def current() -> dict[str, Any] | None:
            latest = published(fake, BOB)[-1]
            return None if "360 answer 1" in json.dumps(latest) else latest

        wait_for(current, 5)


def test_the_html_copy_never_changes_the_words_typed(teams: Teams) -> None:  # noqa: F811
    """`text` says "prep leadership level 4"; a rich-text copy that runs "prep" and
    "leadership" together is not the text's words, and is not taken."""
    activity = fixture("teams_message_personal.json") | {
        "id": "review19-words",
        "text": "prep leadership level 4",
        "attachments": [{"contentType": "text/html", "content": "<p>prepleadership level 4</p>"}],
    }
    assert teams.post(activity)[0] == 200
    shown = "\n".join(line for card in teams.cards() for line in texts(card))
    shown += "\n".join(str(c.body.get("text") or "") for c in teams.connector.calls)
    assert "Prepare an example: Leadership, Level 4" in shown, shown[:300]
