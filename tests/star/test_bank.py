"""The evidence bank: material for a STAR example on a behaviour, offered when a draft is
started, opened or continued and listed by `evidence`: peers' examples shared with their
consent from the person's own closed 360 requests, and the person's own plan progress
notes. One test per privacy rule."""

from __future__ import annotations

import re

from bot.frameworks import Framework
from bot.plans.store import PlanStore
from bot.router import Bot
from bot.storage import Store

from ..conftest import FakeAdapter
from ..feedback.test_request import PEERS, people, request, text
from ..plans.test_flow import add_leadership

BANK = "Peers said you …"
SIX = ("bob", "carol", "dan", "erin", "fred", "gina")
HELD_BACK = "too few of the peers agreed to share theirs"


def answer(
    peer: FakeAdapter, consent: str, lead: str = "", pace: str = "", number: int = 1
) -> None:
    """`peer` answers request `number` (Leadership, then Delivering at Pace): consent
    first, a rating of 3 for each, the examples given (or skipped)."""
    typed = ["360 answer " + str(number), consent, "3", lead or "skip", "3", pace or "skip"]
    for said in (*typed, "skip", "skip"):
        last = text(peer.send(text=said))
    assert "is recorded" in last, last


def material(reply: str) -> list[str]:
    """The peers' examples a reply offers, in its order."""
    if BANK not in reply:
        return []
    section = reply.split(BANK, 1)[1].split("\n\n", 2)[2].split("\n\n", 1)[0]
    return re.findall(r"“(.*)”", section)


def test_what_peers_agreed_to_share_is_offered_only_once_the_request_closes(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    alice = who["alice"]
    request(alice)
    answer(who["bob"], "yes", "Ran the <!channel> offsite", "Shipped the pay system early")
    answer(who["carol"], "yes")
    answer(who["dan"], "yes", "Chaired the\nweekly review")
    started = text(alice.send(text="prep leadership level 4"))
    assert BANK not in started  # open: nothing yet
    assert "Nothing for Leadership yet" in text(alice.send(text="evidence leadership"))
    report = text(alice.send(text="360 close 1 confirm"))
    started = text(alice.send(text="prep leadership level 4"))
    offered = material(started)
    # only the consented, only this behaviour, as the report shows them (one line each)
    assert sorted(offered) == ["Chaired the weekly review", "Ran the <!channel> offsite"]
    shown = [line.split(": ", 1)[1] for line in report.split("\n") if "Leadership: " in line]
    assert offered == [e for e in shown if e in offered]  # the report's order, not answers'
    assert started.index(BANK) < started.index("Step 1 of 5: Situation")
    assert "write the example in your own words" in started
    section = started.split(BANK, 1)[1].split("Step 1 of 5", 1)[0]
    for never in (*PEERS, "2026", "Shipped the pay system"):
        assert never not in section, never  # no name, no date, nothing withheld or elsewhere
    number = 2  # the first was started while the request was open
    assert store.draft(alice.user, number)["parts"] == {}  # quoted, never pasted in
    listed = text(alice.send(text="evidence delivering at pace"))
    assert material(listed) == ["Shipped the pay system early"]  # the same behaviour only
    alice.send(text="stop")
    assert material(text(alice.send(text=f"draft {number}"))) == offered  # opened
    (shown_again, asked) = alice.send(text=f"draft {number} continue")  # continued
    assert material(shown_again.plain_text()) == offered
    assert "Situation" in asked.plain_text()


def test_a_consent_withdrawn_before_the_close_is_honoured(
    frameworks: list[Framework], store: Store
) -> None:
    """Four agreed, two refused (with examples); bob withdraws before the close: three
    and three, so what the three who still agree wrote is offered, never bob's."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *SIX, "hal")
    request(who["alice"], peers="bob, carol, dan, erin, fred, hal")
    for name in ("bob", "carol", "dan", "hal"):
        answer(who[name], "yes", f"{name.title()} saw it")
    for name in ("erin", "fred"):
        answer(who[name], "no", f"{name.title()} kept it")
    who["bob"].send(text="360 consent 1 no")
    who["alice"].send(text="360 close 1 confirm")
    offered = material(text(who["alice"].send(text="evidence leadership")))
    assert sorted(offered) == ["Carol saw it", "Dan saw it", "Hal saw it"]


def test_nothing_is_offered_from_a_report_that_shows_no_examples(
    frameworks: list[Framework], store: Store
) -> None:
    """Two of three answered: the report shows nothing, and neither does the bank."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS)
    request(who["alice"])
    answer(who["bob"], "yes", "Ran the offsite")
    answer(who["carol"], "yes", "Led the merger")
    report = text(who["alice"].send(text="360 close 1 confirm"))
    assert "Ran the offsite" not in report
    assert BANK not in text(who["alice"].send(text="prep leadership level 4"))
    assert "Nothing for Leadership yet" in text(who["alice"].send(text="evidence leadership"))


def test_an_example_the_report_withholds_by_comparison_is_withheld_from_the_bank(
    frameworks: list[Framework], store: Store
) -> None:
    """Bob, Carol and Dan, then the same three and Erin: the second report withholds
    Leadership (Erin's example would be the difference), and so does the bank."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS, "erin")
    request(who["alice"])
    for name in PEERS:
        answer(who[name], "yes", f"First round {PEERS.index(name)}")
    who["alice"].send(text="360 close 1 confirm")
    request(who["alice"], peers="bob, carol, dan, erin")
    for name in (*PEERS, "erin"):
        answer(who[name], "yes", "Only erin saw this" if name == "erin" else "", number=2)
    report = text(who["alice"].send(text="360 close 2 confirm"))
    assert "Leadership: withheld: compared with your request 1" in report
    offered = material(text(who["alice"].send(text="evidence leadership")))
    assert sorted(offered) == ["First round 0", "First round 1", "First round 2"]


def test_only_the_requesters_own_material_is_offered(
    frameworks: list[Framework], store: Store
) -> None:
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *PEERS, "dana")
    request(who["alice"], manager="dana")
    for name in PEERS:
        answer(who[name], "yes", f"Alice's example {name[0]}")
    who["alice"].send(text="360 close 1 confirm")
    assert len(material(text(who["alice"].send(text="evidence leadership")))) == 3
    assert "Alice's example" in text(bot.inbox(who["dana"].user))  # the manager's report
    for other in ("bob", "carol", "dana"):  # peers and the manager, preparing their own
        assert BANK not in text(who[other].send(text="prep leadership level 4"))
        assert "Nothing for Leadership yet" in text(who[other].send(text="evidence leadership"))


def test_own_plan_notes_are_offered_never_a_mentors_or_anyone_elses(
    frameworks: list[Framework], store: Store
) -> None:
    """Alice's progress on her plan's Leadership item is hers to draw on; her mentor's
    comment is theirs (not offered); Bob's notes on his own plan never reach her."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", "bob", "dan")
    alice, bob, dan = who["alice"], who["bob"], who["dan"]
    for owner, note in ((alice, "Led the planning day for 40 people"), (bob, "Bob's own note")):
        add_leadership(owner)
        owner.send(text="plan progress")
        owner.send(text=note)
        assert "Progress recorded" in text(owner.send(text="in progress"))
    alice.send(text="plan mentor dan")
    dan.send(text="plan comment 1")
    assert "Comment added" in text(dan.send(text="Mentor's view: chair the next one"))
    kinds = {(n["kind"], n["author"]) for n in PlanStore(store).notes(1)}
    assert ("comment", dan.user) in kinds
    started = text(alice.send(text="prep leadership level 4"))
    assert "Your own plan notes" in started
    assert "“Led the planning day for 40 people”" in started
    assert "Mentor's view" not in started and "Bob's own note" not in started
    assert "Led the planning day" not in text(alice.send(text="evidence delivering at pace"))
    mine = text(bob.send(text="evidence leadership"))
    assert "Bob's own note" in mine and "Led the planning day" not in mine


def test_a_part_that_starts_with_evidence_is_the_answer_not_the_command(
    frameworks: list[Framework], store: Store
) -> None:
    alice = FakeAdapter(Bot(frameworks, store), "alice")
    alice.send(text="prep leadership level 4")
    saved = text(alice.send(text="Evidence from the audit showed the team was a month late"))
    assert "Material for" not in saved
    assert store.draft(alice.user, 1)["parts"]["situation"].startswith("Evidence from the audit")
    listed, asked = alice.send(text="evidence leadership")  # a command: run, then the question
    assert "Nothing for Leadership yet" in listed.plain_text()
    assert "Step 2 of 5: Task" in asked.plain_text()


def _answered(
    frameworks: list[Framework], store: Store, said: dict[str, tuple[str, str]]
) -> FakeAdapter:
    """Alice's request 1 to the peers `said` names, each answering (consent, example for
    Leadership), then closed: alice, to ask the bank."""
    bot = Bot(frameworks, store)
    who = people(bot, "alice", *SIX)
    request(who["alice"], peers=", ".join(said))
    for name, (consent, lead) in said.items():
        answer(who[name], consent, lead)
    who["alice"].send(text="360 close 1 confirm")
    return who["alice"]


def test_examples_are_offered_only_when_at_least_the_threshold_agreed(
    frameworks: list[Framework], store: Store
) -> None:
    """Two of three agreed: nothing from the request is offered (the bank would tie the
    two's examples together), and alice is told so without numbers; three: offered."""
    two = {"bob": ("yes", "Ran the offsite"), "carol": ("yes", "Led the merger")}
    alice = _answered(frameworks, store, {**two, "dan": ("no", "")})
    listed = text(alice.send(text="evidence leadership"))
    assert material(listed) == [] and HELD_BACK in listed
    assert "2" not in listed.split("Material for", 1)[1].split(HELD_BACK, 1)[0]
    assert HELD_BACK in text(alice.send(text="prep leadership level 4"))


def test_examples_are_offered_when_the_threshold_agreed_and_none_who_refused_wrote(
    frameworks: list[Framework], store: Store
) -> None:
    said = {n: ("yes", f"{n.title()} saw it") for n in ("bob", "carol", "dan")}
    alice = _answered(frameworks, store, {**said, "erin": ("no", "")})
    listed = text(alice.send(text="evidence leadership"))
    assert sorted(material(listed)) == ["Bob saw it", "Carol saw it", "Dan saw it"]
    assert HELD_BACK not in listed


def test_nothing_is_offered_when_fewer_than_the_threshold_refused_with_examples(
    frameworks: list[Framework], store: Store
) -> None:
    """Three agreed, one who refused wrote an example: the report less the bank would be
    exactly that one's examples, so nothing from the request is offered."""
    said = {n: ("yes", f"{n.title()} saw it") for n in ("bob", "carol", "dan")}
    alice = _answered(frameworks, store, {**said, "erin": ("no", "Erin saw it")})
    listed = text(alice.send(text="evidence leadership"))
    assert material(listed) == [] and HELD_BACK in listed


def test_what_agreed_is_offered_when_at_least_the_threshold_refused_with_examples(
    frameworks: list[Framework], store: Store
) -> None:
    said = {n: ("yes", f"{n.title()} saw it") for n in ("bob", "carol", "dan")}
    refused = {n: ("no", f"{n.title()} kept it") for n in ("erin", "fred", "gina")}
    alice = _answered(frameworks, store, {**said, **refused})
    listed = text(alice.send(text="evidence leadership"))
    assert sorted(material(listed)) == ["Bob saw it", "Carol saw it", "Dan saw it"]
    assert HELD_BACK not in listed and "kept it" not in listed


def test_nothing_is_offered_when_few_who_agreed_wrote_and_others_refused_with_examples(
    frameworks: list[Framework], store: Store
) -> None:
    """Three agreed but only bob wrote, three refused with examples: the quotes would be
    bob's alone, picked out of the report, so nothing from the request is offered."""
    said = {"bob": ("yes", "Bob saw it"), "carol": ("yes", ""), "dan": ("yes", "")}
    refused = {n: ("no", f"{n.title()} kept it") for n in ("erin", "fred", "gina")}
    alice = _answered(frameworks, store, {**said, **refused})
    listed = text(alice.send(text="evidence leadership"))
    assert material(listed) == [] and HELD_BACK in listed
