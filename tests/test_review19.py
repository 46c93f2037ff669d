"""Review 19: the last fixes for issue 19, read as an attacker. Each test here fails
because of a defect found (xfail, strict): the fix turns it green, and then the mark goes."""

from __future__ import annotations

import time

import pytest

from bot.frameworks import Framework
from bot.router import Bot
from bot.storage import Store

from .feedback.test_request import people, request, text
from .star.test_bank import SIX, answer, material
from .teams.test_turn import Teams, fixture, teams  # noqa: F401  (teams: the fixture)

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


@pytest.mark.xfail(
    strict=True,
    reason="html_lines feeds the attachment to html.parser, quadratic in Python 3.11.7 on "
    "unclosed markup ('<!--' then many '<a'): one message of Teams' size costs 10x+ a plain one",
)
def test_a_crafted_html_copy_costs_no_more_than_a_plain_one(teams: Teams) -> None:  # noqa: F811
    """The rich-text copy is parsed for every message, whatever its `text`: crafted markup
    of a message's size must cost about what plain markup of that size costs."""
    plain = "<p>x</p>" * (_SIZE // 8)
    crafted = "<!--" + "<a" * ((_SIZE - 4) // 2)
    _with_html(teams, plain, 0)  # warmed up
    baseline = min(_with_html(teams, plain, n) for n in (1, 2))
    spent = _with_html(teams, crafted, 3)
    assert spent < 10 * baseline, (spent, baseline)


@pytest.mark.xfail(
    strict=True,
    reason="offerable counts who agreed and wrote over all the request's behaviours, while "
    "the material is per behaviour: one agreeing peer's Leadership example is picked out",
)
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
