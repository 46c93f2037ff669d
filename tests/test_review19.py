"""Review 19: the last fixes for issue 19, read as an attacker. Each test here fails
because of a defect found (xfail, strict): the fix turns it green, and then the mark goes."""

from __future__ import annotations

import time

import pytest

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
