"""The 360 report's picture through the core and the terminal: self against peers per
behaviour as bars with their numbers, in the chat, the outbox and the Markdown export
(CSV stays numbers), and never showing what the anonymity rules hide."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from bot.feedback.report import FREQUENCY_SCALE, PeerAnswer, build_report
from bot.frameworks import Framework
from bot.render import chart_markdown, chart_svg, compose, environment, parse_blocks
from bot.router import Bot
from bot.storage import Store
from bot.types import Bar, BarGroup, Chart, Reply, replies_from_json, replies_to_json

from .test_request import PEERS, answer, answer_leadership, ask_on_leadership, people, request

NAMES = {"leadership": "Leadership", "delivering-at-pace": "Delivering at Pace"}


def chart(reply: Reply) -> Chart:
    (found,) = [b.chart for b in reply.blocks if b.chart is not None]
    return found


def bars(reply: Reply) -> dict[str, dict[str, Bar]]:
    return {g.label: {b.label: b for b in g.bars} for g in chart(reply).groups}


def test_a_chart_is_read_from_template_lines_and_kept_through_the_outbox() -> None:
    reply = parse_blocks(
        "# Report\n%% 4 | Self against peers\n%%- 3 | Peers | Usually (3) | Leadership\n"
        "%%- 2 | You | Sometimes (2) | Leadership\n%%- | Peers | not enough answers | Pace\n"
        "After"
    )
    assert [b.kind for b in reply.blocks] == ["title", "chart", "paragraph"]
    assert chart(reply) == Chart(
        "Self against peers",
        4,
        (
            BarGroup(
                "Leadership", (Bar("Peers", 3, "Usually (3)"), Bar("You", 2, "Sometimes (2)"))
            ),
            BarGroup("Pace", (Bar("Peers", None, "not enough answers"),)),
        ),
    )
    assert replies_from_json(replies_to_json([reply])) == [reply]  # queued, then sent
    assert reply.plain_text().split("\n\n")[1] == (
        "Self against peers\nLeadership\n  ▇▇▇▇▇▇▁▁ Peers: Usually (3)\n"
        "  ▇▇▇▇▁▁▁▁ You: Sometimes (2)\nPace\n  Peers: not enough answers"
    )


def test_bars_without_a_chart_line_come_after_the_text_before_them() -> None:
    reply = parse_blocks("Before\n%%- ² | Peers | odd | Leadership\nAfter")
    assert [b.kind for b in reply.blocks] == ["paragraph", "chart", "paragraph"]
    assert chart(reply).groups[0].bars == (Bar("Peers", None, "odd"),)  # not a number


def test_a_value_typed_into_a_chart_line_cannot_start_a_chart_or_a_bar() -> None:
    """A value interpolated into a template (a name someone typed) is never read as a
    chart's line, even at the start of a line."""
    template = environment().from_string("{{ a }}\n{{ b }}\n%% 4 | Picture\n{{ b }}")
    reply = parse_blocks(template.render(a="%% 4 | Fake", b="%%- 4 | Peers | top | Leadership"))
    assert [b.kind for b in reply.blocks] == ["paragraph", "chart", "paragraph"]
    assert chart(reply) == Chart("Picture", 4, ())
    assert "%%- 4 | Peers | top | Leadership" in reply.blocks[2].text


def test_the_report_shows_self_against_peers_as_bars_with_the_numbers(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS, "dana")
    request(who["alice"], manager="dana")  # alice: Leadership 3, Delivering at Pace 4
    answer(who["bob"], "4", "2", "skip", "skip", "skip")
    answer(who["carol"], "3", "1", "skip", "skip", "skip")
    answer(who["dan"], "3", "I can't say", "skip", "skip", "skip")
    (report,) = who["alice"].send(text="360 close 1 confirm")
    shown = bars(report)
    # Leadership: 4, 3, 3 round to 3; the picture is the report's rounded average
    assert shown["Leadership"]["Peers"] == Bar("Peers", 3, "Usually (3) on average")
    assert shown["Leadership"]["You"] == Bar("You", 3, "Usually (3)")
    # Delivering at Pace: two rated it, under the threshold: no bar, only the words
    assert shown["Delivering at Pace"]["Peers"] == Bar("Peers", None, "not enough answers")
    assert shown["Delivering at Pace"]["You"].value == 4
    body = report.plain_text()
    assert "▇▇▇▇▇▇▁▁ Peers: Usually (3) on average" in body
    assert "Peers: not enough answers\n  ▇▇▇▇▇▇▇▇ You: Consistently (4)" in body
    # the report queued for the manager has the picture too, without alice's own bars
    (managers,) = bot.inbox(who["dana"].user)
    assert bars(managers) == {
        "Leadership": {"Peers": Bar("Peers", 3, "Usually (3) on average")},
        "Delivering at Pace": {"Peers": Bar("Peers", None, "not enough answers")},
    }
    assert "You:" not in managers.plain_text()

    markdown = "\n\n".join(r.plain_text() for r in who["alice"].send(text="360 export 1 markdown"))
    assert "**Leadership**\n\n- `▇▇▇▇▇▇▁▁` Peers: Usually \\(3\\) on average" in markdown
    assert "- `▇▇▇▇▇▇▁▁` You: Usually \\(3\\)" in markdown
    assert "**Delivering at Pace**\n\n- Peers: not enough answers" in markdown
    csv = "\n".join(r.plain_text() for r in who["alice"].send(text="360 export 1 csv"))
    assert "▇" not in csv and "▁" not in csv  # numbers only
    # the manager's export: no self bar either
    dana_markdown = "\n".join(r.plain_text() for r in who["dana"].send(text="360 export 1 md"))
    assert "Peers: Usually \\(3\\) on average" in dana_markdown and "You:" not in dana_markdown


def test_below_the_threshold_no_peers_bar_is_drawn(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    answer(who["bob"], "4", "1", "skip", "skip", "skip")
    answer(who["carol"], "4", "1", "skip", "skip", "skip")
    (report,) = who["alice"].send(text="360 close 1 confirm")
    for group in chart(report).groups:
        assert group.bars[0] == Bar("Peers", None, "not enough answers")
        assert [b.label for b in group.bars] == ["Peers", "You"]
    assert "Consistently (4) on average" not in report.plain_text()


def test_a_behaviour_withheld_by_an_earlier_report_has_no_peers_bar(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS, "erin")
    alice = who["alice"]
    ask_on_leadership(alice, "bob, carol, dan")
    for name in PEERS:
        answer_leadership(who[name], 1, "3", "skip", "skip")
    alice.send(text="360 close 1 confirm")
    ask_on_leadership(alice, "bob, carol, dan, erin")
    for name in PEERS:
        answer_leadership(who[name], 2, "3", "skip", "skip")
    answer_leadership(who["erin"], 2, "Not yet", "skip", "skip")
    (report,) = alice.send(text="360 close 2 confirm")
    (leadership,) = chart(report).groups
    peers = leadership.bars[0]
    assert peers.value is None and peers.text.startswith("withheld: compared with your request 1")
    markdown = "\n".join(r.plain_text() for r in alice.send(text="360 export 2 markdown"))
    assert "`▇" not in markdown.split("**Leadership**")[1].split("\n- ")[1]


def picture(answers: list[PeerAnswer], reader: str = "requester") -> Chart:
    result = build_report(
        ["leadership", "delivering-at-pace"],
        {"leadership": 2, "delivering-at-pace": 2},
        answers,
        asked=len(answers),
        scale=FREQUENCY_SCALE,
    )
    found = chart(
        compose(
            "feedback/chart.j2", result=result, names=NAMES, scale=FREQUENCY_SCALE, reader=reader
        )
    )
    for group, r in zip(found.groups, result.behaviours, strict=True):
        # drawn from the report's own decision: a bar exactly where it shows an average
        assert group.bars[0].value == (r.mean if r.shown else None)
    return found


def test_the_picture_shows_one_rounded_average_per_behaviour_nothing_per_peer() -> None:
    """No mark per peer, no lowest, highest or spread, no count per rating value: over
    every set of three and four ratings, each behaviour has one peers bar at the rounded
    average, and the words hold that one value and nothing else."""
    for n in (3, 4):
        for ratings in itertools.product(range(1, 5), repeat=n):
            answers = [PeerAnswer({"leadership": x}, {}) for x in ratings]
            drawn = picture(answers)
            lead = drawn.groups[0]
            assert [b.label for b in lead.bars] == ["Peers", "You"]
            mean = (2 * sum(ratings) + n) // (2 * n)
            label = FREQUENCY_SCALE.label(mean)
            assert lead.bars[0] == Bar("Peers", mean, f"{label} ({mean}) on average")
            assert drawn.groups[1].bars[0] == Bar("Peers", None, "not enough answers")
    text = chart_markdown(picture([PeerAnswer({"leadership": x}, {}) for x in (1, 4, 4)]))
    assert "Not yet" not in text and "Consistently" not in text  # neither end is shown


def test_the_self_bar_is_only_the_requesters() -> None:
    answers = [PeerAnswer({"leadership": 3}, {}) for _ in range(3)]
    mine = picture(answers)
    assert [b.label for g in mine.groups for b in g.bars] == ["Peers", "You", "Peers", "You"]
    theirs = picture(answers, reader="manager")
    assert [b.label for g in theirs.groups for b in g.bars] == ["Peers", "Peers"]
    assert "your own" not in theirs.title


def test_the_terminal_draws_the_report_as_text_bars(tmp_path: Path) -> None:
    typed = "\n".join(
        [
            "as alice",
            *("360 leadership level 4", "done", "bob, carol, dan", "1 week", "none", "3"),
            "send",
            *("as bob", "1", "skip", "4", "skip", "skip", "skip"),  # skip: no consent
            *("as carol", "360 answer 1", "skip", "3", "skip", "skip", "skip"),
            *("as dan", "360 answer 1", "skip", "2", "skip", "skip", "skip"),
            *("as alice", "360 close 1", "1"),
        ]
    )
    env = {**os.environ, "BEHAVIOURBOT_DB": str(tmp_path / "chat.db")}
    env.pop("BEHAVIOURBOT_FRAMEWORKS", None)
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "chat"],
        input=typed + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = done.stdout[done.stdout.rindex("360 feedback: request 1") :]
    assert "Picture: your peers' average, rounded, beside your own rating" in report
    assert "Leadership\n  ▇▇▇▇▇▇▁▁ Peers: Usually (3) on average\n" in report
    assert "  ▇▇▇▇▇▇▁▁ You: Usually (3)\n" in report


def test_chart_text_is_escaped_in_the_markdown_export() -> None:
    drawn = Chart("A *chart*", 4, (BarGroup("[x](http://e.vil)", (Bar("<b>", 2, "| a |"),)),))
    text = chart_markdown(drawn)
    assert text == (
        "*A \\*chart\\**\n\n**\\[x\\]\\(http\\://e\\.vil\\)**\n\n- `▇▇▇▇▁▁▁▁` &lt;b&gt;: \\| a \\|"
    )


SVG = "{http://www.w3.org/2000/svg}"


def test_the_svg_export_draws_what_the_report_shows_and_nothing_more(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS, "dana")
    request(who["alice"], manager="dana")  # alice: Leadership 3, Delivering at Pace 4
    answer(who["bob"], "4", "2", "skip", "skip", "skip")
    answer(who["carol"], "3", "1", "skip", "skip", "skip")
    answer(who["dan"], "3", "I can't say", "skip", "skip", "skip")
    (report,) = who["alice"].send(text="360 close 1 confirm")
    assert "360 export 1 svg" in [c.command for c in report.choices]
    (exported,) = who["alice"].send(text="360 export 1 svg")
    assert exported.copy  # never rewrapped
    svg = next(b.text for b in exported.blocks if b.text.startswith("<svg"))
    image = ElementTree.fromstring(svg)
    assert image.get("role") == "img" and image.get("aria-labelledby") == "title"
    title = image.find(f"{SVG}title")
    assert title is not None and title.text == chart(report).title
    texts = [t.text for t in image.iter(f"{SVG}text")]
    assert texts[1:] == [
        "Leadership",
        "Peers: Usually (3) on average",
        "You: Usually (3)",
        "Delivering at Pace",
        "Peers: not enough answers",
        "You: Consistently (4)",
    ]
    # a track and a bar for each of the three values: none for the peers' on Pace
    widths = [r.get("width") for r in image.iter(f"{SVG}rect")]
    assert widths == ["200", "150", "200", "150", "200", "200"]
    (managers,) = who["dana"].send(text="360 export 1 svg")
    theirs = ElementTree.fromstring(next(b.text for b in managers.blocks if "<svg" in b.text))
    assert [t.text for t in theirs.iter(f"{SVG}text")][1:] == [
        "Leadership",
        "Peers: Usually (3) on average",
        "Delivering at Pace",
        "Peers: not enough answers",
    ]
    assert len(list(theirs.iter(f"{SVG}rect"))) == 2


def test_every_text_in_the_svg_is_escaped() -> None:
    hostile = "</text><script>alert(\"x\")</script> & 'quoted'"
    drawn = Chart(hostile, 4, (BarGroup(hostile, (Bar(hostile, 2, hostile),)),))
    svg = chart_svg(drawn)
    assert "<script" not in svg
    image = ElementTree.fromstring(svg)  # well-formed
    assert not list(image.iter(f"{SVG}script"))
    title = image.find(f"{SVG}title")
    assert title is not None and title.text == hostile  # shown as typed
    assert [t.text for t in image.iter(f"{SVG}text")] == [
        hostile,
        hostile,
        f"{hostile}: {hostile}",
    ]
