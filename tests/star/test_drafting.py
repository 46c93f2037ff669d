"""Interview preparation through the core, as an adapter drives it: the guided STAR flow,
saved drafts, a restart mid-draft, privacy between people, and bad input."""

from __future__ import annotations

from pathlib import Path

from bot.frameworks import Framework
from bot.router import Bot
from bot.star.state import DraftAt
from bot.storage import Store
from bot.text import count_words, markdown_escaped
from bot.types import Event, Reply

from ..conftest import FakeAdapter
from .test_review import STRONG


def texts(replies: list[Reply]) -> str:
    return "\n\n".join(r.plain_text() for r in replies)


def write_example(chat: FakeAdapter, parts: dict[str, str] = STRONG) -> list[Reply]:
    chat.send(text="prep leadership level 4")
    for part in ("situation", "task", "action", "result"):
        chat.send(text=parts[part])
    return chat.send(text="skip")


def test_the_guided_flow_from_start_to_review(chat: FakeAdapter, store: Store) -> None:
    (start,) = chat.send(text="/behaviour prep leadership level 4")
    assert start.title == "Prepare an example: Leadership, Level 4"
    assert "Inspire and motivate teams to be fully engaged" in start.plain_text()
    assert "Step 1 of 5: Situation" in start.plain_text()
    saved, ask = chat.send(text=STRONG["situation"])
    assert saved.plain_text().startswith("Saved your Situation in draft 1.")
    assert "Step 2 of 5: Task" in ask.plain_text()
    assert [c.label for c in ask.choices] == ["Rewrite the Situation", "Stop for now"]
    chat.send(text=STRONG["task"])
    saved, ask = chat.send(text=STRONG["action"])
    assert 'the Action is about what you did ("I"' in saved.plain_text()
    assert "Step 4 of 5: Result" in ask.plain_text()
    saved, ask = chat.send(text=STRONG["result"])
    assert "Evidence found: Figures: 10 weeks, from 14 weeks to 5, two weeks early, 18%" in (
        saved.plain_text()
    )
    assert "Who said or did what: my director praised" in saved.plain_text()
    assert "Step 5 of 5: What you learned" in ask.plain_text()
    saved, review = chat.send(text="skip")
    assert review.title == "Your example: Leadership, Level 4"
    body = review.plain_text()
    assert STRONG["action"] in body
    assert "Indicative band: " in body and "not an assessor's score" in body
    assert "Questions an interviewer may ask" in body
    row = store.draft(chat.user, 1)
    assert row is not None and row["parts"] == dict(STRONG, learned="")
    assert "star" not in store.state(chat.user, chat.user)


def test_a_we_heavy_action_gets_asked_what_you_did(chat: FakeAdapter) -> None:
    chat.send(text="prep leadership level 4")
    chat.send(text=STRONG["situation"])
    chat.send(text=STRONG["task"])
    saved, _ = chat.send(text="We planned it and we did it together, and our team won.")
    assert 'The Action says "we" 2 times and "I" 0 times' in saved.plain_text()


def test_a_restart_mid_draft_loses_nothing(tmp_path: Path, frameworks: list[Framework]) -> None:
    path = tmp_path / "bot.db"
    for part in ("start", "situation", "task", "action", "result"):
        store = Store.open(path)  # a new process each turn
        chat = FakeAdapter(Bot(frameworks, store))
        replies = chat.send(text="prep leadership 4" if part == "start" else STRONG[part])
        store.close()
    assert "Step 5 of 5" in texts(replies)
    store = Store.open(path)
    chat = FakeAdapter(Bot(frameworks, store))
    assert chat.send(text="skip")[-1].title == "Your example: Leadership, Level 4"
    store.close()


def test_stop_and_come_back_days_later(chat: FakeAdapter, store: Store) -> None:
    chat.send(text="prep leadership level 4")
    chat.send(text=STRONG["situation"])
    (paused,) = chat.send(text="stop")
    assert paused.plain_text().startswith("Stopped. Draft 1 is saved")
    (looked_up,) = chat.send(text="leadership level 5")  # an ordinary lookup again
    assert looked_up.title == "Leadership: Level 5"
    (listed,) = chat.send(text="drafts")
    assert "Draft 1: Leadership, Level 4 (Civil Service), next: task" in listed.plain_text()
    (opened,) = chat.send(action="draft 1")
    assert STRONG["situation"] in opened.plain_text()
    (ask,) = chat.send(action="draft 1 continue")
    assert "Step 2 of 5: Task" in ask.plain_text()


def test_commands_typed_mid_flow(chat: FakeAdapter, store: Store) -> None:
    chat.send(text="prep leadership level 4")
    chat.send(text=STRONG["situation"])
    help_reply, ask = chat.send(text="help")
    assert "`back`: rewrite the part before" in help_reply.plain_text()
    assert "Step 2 of 5: Task" in ask.plain_text()
    lookup, again = chat.send(text="/behaviour leadership level 5")  # not an answer
    assert lookup.title == "Leadership: Level 5"
    assert "Step 2 of 5: Task" in again.plain_text()  # the question again
    (asked,) = chat.send(text="leadership level 5")  # reads as a lookup: asked about
    assert "Save this as your answer, or look it up?" in asked.plain_text()
    assert "“Task”" in asked.plain_text()
    assert "task" not in store.draft(chat.user, 1)["parts"]  # type: ignore[index]
    lookup, again = chat.send(text="leadership level 5")  # typed again: the lookup
    assert lookup.title == "Leadership: Level 5" and "Step 2 of 5: Task" in again.plain_text()
    listed, again = chat.send(text="360 list")  # another job's command: then the question
    assert "360" in listed.plain_text()
    assert "Step 2 of 5: Task" in again.plain_text()
    number, ask = chat.send(text="99")  # no such choice: not saved as the Task
    assert '"99" is not one of the choices here, so nothing was saved' in number.plain_text()
    assert "task" not in store.draft(chat.user, 1)["parts"]  # type: ignore[index]
    edit, ask = chat.send(text="back")
    assert STRONG["situation"] in edit.plain_text() and "Step 1 of 5" in ask.plain_text()
    chat.send(text="At a new job, a backlog.")
    assert store.draft(chat.user, 1)["parts"]["situation"] == "At a new job, a backlog."  # type: ignore[index]
    (cannot,) = chat.send(text="skip")[:1]
    assert "cannot be skipped" in cannot.plain_text()
    assert store.draft(chat.user, 1)["parts"].get("task") is None  # type: ignore[index]


def test_bad_input_gets_a_clear_answer_and_loses_nothing(chat: FakeAdapter, store: Store) -> None:
    chat.send(text="prep leadership level 4")
    chat.send(text=STRONG["situation"])
    empty, _ = chat.send(text="   ")
    assert "That was empty, so nothing was saved" in empty.plain_text()
    (long,) = chat.send(text="word " * 10_000)
    assert "10,000 words" in long.plain_text() and "the draft is as it was" in long.plain_text()
    saved, _ = chat.send(text="Je devais réduire l’arriéré de 900 dossiers. 我负责这个项目。")
    assert saved.plain_text().startswith("Saved your Task")
    assert store.draft(chat.user, 1)["parts"] == {  # type: ignore[index]
        "situation": STRONG["situation"],
        "task": "Je devais réduire l’arriéré de 900 dossiers. 我负责这个项目。",
    }
    (unknown,) = chat.send(text="prep nonsense words")  # a command: run
    assert "no draft was started" in unknown.plain_text()
    (asked,) = chat.send(text="Leadership level 4.")  # reads as a lookup: asked about
    assert "Save this as your answer, or look it up?" in asked.plain_text()
    assert "“Action”" in asked.plain_text()
    assert "action" not in store.draft(chat.user, 1)["parts"]  # type: ignore[operator]
    saved, _ = chat.send(text="yes")  # saved as the Action after all, as typed
    assert saved.plain_text().startswith("Saved your Action")
    assert store.draft(chat.user, 1)["parts"]["action"] == "Leadership level 4."  # type: ignore[index]


def test_a_level_is_asked_for_when_not_given(chat: FakeAdapter) -> None:
    (which,) = chat.send(text="prep leadership")
    assert "Which level" in which.plain_text()
    assert "prep civil-service/leadership/4" in [c.command for c in which.choices]
    (start,) = chat.send(action="prep civil-service/leadership/4")
    assert start.title == "Prepare an example: Leadership, Level 4"
    (single,) = chat.send(text="prep policing collaborative")  # one level only
    assert single.title.startswith("Prepare an example: We are collaborative")


def test_one_persons_drafts_are_never_anothers(chat: FakeAdapter, store: Store) -> None:
    bot = chat.bot
    alice, bob = FakeAdapter(bot, "alice"), FakeAdapter(bot, "bob")
    write_example(alice)
    assert "You have no drafts yet" in bob.send(text="drafts")[0].plain_text()
    for command in (
        "draft 1",
        "draft 1 export text",
        "draft 1 edit action",
        "draft 1 delete confirm",
    ):
        (reply,) = bob.send(action=command)
        assert reply.plain_text().startswith("You have no draft 1")
    assert store.draft(alice.user, 1) is not None


def test_drafts_only_in_private(chat: FakeAdapter) -> None:
    bot = chat.bot
    event = Event(
        user="slack:T1:U1", conversation="slack:T1:C1", text="prep leadership 4", private=False
    )
    (reply,) = bot.handle(event)
    assert reply.title == "Let's prepare in private"
    assert bot.store.drafts("slack:T1:U1") == []


def test_export_delete_and_edit(chat: FakeAdapter, store: Store) -> None:
    write_example(chat)
    (text,) = chat.send(action="draft 1 export text")
    total = sum(len(STRONG[p].split()) for p in ("situation", "task", "action", "result"))
    assert f"{total} words" in text.plain_text() and STRONG["result"] in text.plain_text()
    (markdown,) = chat.send(action="draft 1 export markdown")
    assert "## Action\n\n" + markdown_escaped(STRONG["action"], block=True) in (
        markdown.plain_text()
    )
    assert "Indicative band" in markdown.plain_text()
    edit, _ = chat.send(action="draft 1 edit result")
    assert STRONG["result"] in edit.plain_text()
    saved, review = chat.send(text="It went fine.")
    assert "No evidence yet" in saved.plain_text()
    chat.send(action="draft 1 edit situation")
    chat.send(text="Our ![](http://x/p.png) team\n# Big [x](javascript:alert(1))")
    (markdown,) = chat.send(action="draft 1 export markdown")
    for live in ("![](", "](javascript", "http://", "\n# Big"):
        assert live not in markdown.plain_text(), live
    assert "Our \\!\\[\\]\\(http" in markdown.plain_text()
    assert review.title == "Your example: Leadership, Level 4"
    (confirm,) = chat.send(action="draft 1 delete")
    assert [c.label for c in confirm.choices] == ["Delete it", "Keep it"]
    assert store.draft(chat.user, 1) is not None
    (deleted,) = chat.send(action="draft 1 delete confirm")
    assert deleted.plain_text().startswith("Deleted draft 1")
    assert store.draft(chat.user, 1) is None


def test_a_repeated_answer_is_recorded_once(chat: FakeAdapter, store: Store) -> None:
    chat.send(text="prep leadership level 4")
    first = chat.send(text=STRONG["situation"], event_id="retry-1")
    assert chat.send(text=STRONG["situation"], event_id="retry-1") == []
    assert len(first) == 2
    assert store.state(chat.user, chat.user)["star"] == DraftAt(1, "task").dump()


def test_numbers_pick_choices_in_the_terminal(chat: FakeAdapter) -> None:
    chat.send(text="prep leadership level 4")
    chat.send(text=STRONG["situation"])
    (paused,) = chat.send(text="2")  # "Stop for now"
    assert paused.plain_text().startswith("Stopped.")


def test_a_draft_duplicated_for_another_behaviour(chat: FakeAdapter, store: Store) -> None:
    write_example(chat)
    (which,) = chat.send(text="draft 1 duplicate")
    assert "Seeing the Big Picture" in [c.label for c in which.choices]
    assert "Leadership" not in [c.label for c in which.choices]
    picked = next(c for c in which.choices if c.label == "Seeing the Big Picture")
    done, review = chat.send(action=picked.command)
    assert "Copied draft 1 to draft 2, for Seeing the Big Picture at Level 4" in done.plain_text()
    assert review.title == "Your example: Seeing the Big Picture, Level 4"
    copy = store.draft(chat.user, 2)
    assert (
        copy["behaviour"] == "seeing-the-big-picture"
        and copy["parts"] == store.draft(chat.user, 1)["parts"]
    )
    (unknown,) = chat.send(text="draft 1 duplicate zzzz")
    assert store.draft(chat.user, 3) is None and "no draft was started" in unknown.plain_text()


def test_the_word_target_can_be_set(chat: FakeAdapter, store: Store) -> None:
    write_example(chat)
    (asked,) = chat.send(text="draft 1 target")
    assert "word target is 250" in asked.plain_text()
    (refused,) = chat.send(text="draft 1 target 20")
    assert '"20" is not a word target' in refused.plain_text()
    done, review = chat.send(text="draft 1 target 150")
    assert "now 150 words" in done.plain_text()
    assert "191 words is 41 over the 150-word limit" in review.plain_text()
    assert store.draft(chat.user, 1)["target"] == 150
    (opened,) = chat.send(text="draft 1")
    assert "word target 150" in opened.plain_text()


def test_review_mends_from_a_new_users_trial(chat: FakeAdapter, store: Store) -> None:
    # an answer is kept exactly as written: no compatibility folding, joiners kept
    chat.send(text="prep leadership level 4")
    written = "我负责一个十二人的团队，我组织了… ½ of m² می‌خواهم"
    chat.send(text=written)
    assert store.draft(chat.user, 1)["parts"]["situation"] == written  # type: ignore[index]
    # a skipped last part is said to be skipped, not saved
    for part in ("task", "action", "result"):
        chat.send(text=STRONG[part])
    skipped, _ = chat.send(text="skip")
    assert skipped.plain_text().startswith("Skipped the lesson learned: draft 1 has none.")
    # a box left empty in the form keeps the saved text
    fields = dict(STRONG, situation="", learned="")
    saved, _ = chat.send(action="draft 1 save", forms=True, fields=fields)
    assert "The Situation was left empty in the form, so it keeps its saved text." in (
        saved.plain_text()
    )
    assert store.draft(chat.user, 1)["parts"]["situation"] == written  # type: ignore[index]
    # a draft number too large for SQLite is just a draft that does not exist
    (huge,) = chat.send(text="draft 99999999999999999999999")
    assert huge.plain_text().startswith("You have no draft 99999999999999999999999.")


def test_word_families_do_not_match_by_accident() -> None:
    from bot.star.review import stem

    assert stem("objected") == stem("challenged") != stem("objectives")
    assert stem("stood") == stem("stand") != stem("standardise")
    assert stem("funding") == stem("cost") != stem("fundamental")
    assert stem("diversity") == stem("included") != stem("diversion")


def test_stop_with_nothing_under_way_says_so(chat: FakeAdapter) -> None:
    (reply,) = chat.send(text="stop")
    assert reply.plain_text().startswith("There is nothing to stop")
    assert chat.send(text="stop the clock")[0].title.startswith("No match")


# ---- defects found by a new user (issue 16) ---------------------------------------------


def test_yes_and_no_answer_the_delete_confirmation(chat: FakeAdapter, store: Store) -> None:
    """At "Delete draft 1? 1. Delete it 2. Keep it", `yes` deletes (it was a lookup, the
    offer was then gone and `1` ran a search for "yes"); `no` keeps it."""
    write_example(chat)
    write_example(chat)
    (confirm,) = chat.send(text="draft 1 delete")
    assert [c.label for c in confirm.choices] == ["Delete it", "Keep it"]
    (kept,) = chat.send(text="no")
    assert kept.plain_text().startswith("Kept draft 1")
    assert store.draft(chat.user, 1) is not None
    (looked_up,) = chat.send(text="yes")  # nothing waits for a yes now: said so
    assert store.draft(chat.user, 1) is not None and "search" not in looked_up.title.casefold()
    chat.send(text="draft 1 delete")
    (deleted,) = chat.send(text="yes")
    assert deleted.plain_text().startswith("Deleted draft 1")
    assert store.draft(chat.user, 1) is None
    chat.send(text="draft 2 delete")
    (deleted,) = chat.send(text="1")  # the offer's number
    assert deleted.plain_text().startswith("Deleted draft 2")
    assert store.state(chat.user, chat.user).get("star") is None


def test_one_word_count_in_drafting_review_and_export(chat: FakeAdapter, store: Store) -> None:
    """The exported text had 230 words while the bot said 208: "What you learned" was
    pasted but not counted. One count, the same everywhere."""
    chat.send(text="prep leadership level 4")
    for part in ("situation", "task", "action", "result"):
        chat.send(text=STRONG[part])
    learned = "I learned to agree the measure of success with the team before starting."
    _, review = chat.send(text=learned)
    total = sum(count_words(STRONG[p]) for p in ("situation", "task", "action", "result"))
    total += count_words(learned)
    assert f"{total} words" in review.plain_text()
    (text,) = chat.send(action="draft 1 export text")
    assert f"{total} words" in text.plain_text()
    body, counted = chat.bot.star.exported(chat.user, 1, "text")  # type: ignore[misc]
    assert counted == count_words(body) == total
    (opened,) = chat.send(action="draft 1")
    assert f"{total} words" in opened.plain_text()


def test_drafts_mid_draft_then_lookups_are_never_saved_as_parts(
    chat: FakeAdapter, store: Store
) -> None:
    """`drafts` escaped the draft flow and the next five lookups were saved as the
    Situation, Task, Action and Result; `leadership level 4` typed at the Action step was
    saved as the Action."""
    chat.send(text="prep leadership level 4")
    listed, still = chat.send(text="drafts")
    assert "Draft 1: Leadership, Level 4" in listed.plain_text()
    assert "Draft 1 is still open at the Situation" in still.plain_text()
    for query in (
        "leadership level 4",
        "delivering at pace level 3",
        "seeing the big picture",
        "communicating and influencing level 2",
        "working together level 5",
    ):
        replies = chat.send(text=query)
        assert not any(r.plain_text().startswith("Saved your") for r in replies), query
    assert store.draft(chat.user, 1)["parts"] == {}  # type: ignore[index]
    chat.send(text="back")  # nothing before the Situation: still there
    for part in ("situation", "task"):
        chat.send(text=STRONG[part])
    (asked,) = chat.send(text="leadership level 4")
    assert "Save this as your answer, or look it up?" in asked.plain_text()
    assert "“Action”" in asked.plain_text()
    assert "action" not in store.draft(chat.user, 1)["parts"]  # type: ignore[index]


def test_the_feedback_and_the_review_in_one_reply_agree(chat: FakeAdapter) -> None:
    """Defect: the feedback after the Action said it showed none of the level's
    indicators while the review in the same reply said three were clear."""
    write_example(chat)
    chat.send(text="draft 1 edit action")
    replies = chat.send(text=STRONG["action"])
    saved, review = replies[0].plain_text(), replies[-1].plain_text()
    clear = review.count("• Clear: ")
    assert clear >= 2
    assert f"It shows {clear} of the level's 5 indicators clearly" in saved
    assert "Evidence found" not in saved  # the Result's feedback is for the Result


def test_the_export_shows_the_same_analysis(chat: FakeAdapter) -> None:
    """The Markdown export holds the very review the chat shows, escaped as Markdown."""
    write_example(chat, dict(STRONG, result="It was a huge success and everyone was happy."))
    (review,) = chat.send(text="draft 1 review")
    (exported,) = chat.send(text="draft 1 export markdown")
    markdown = exported.plain_text()
    band = next(
        line for line in review.plain_text().splitlines() if line.startswith("Indicative band")
    )
    assert "### " + band.replace(":", "\\:") in markdown  # "Indicative band: 4 of 7, …"
    assert '- "was a huge success" is a claim with nothing behind it\\:' in markdown
    assert "### Questions an interviewer may ask" in markdown
    for heading in ("length and balance", "your part in it", "evidence in the Result"):
        assert f"### Review\\: {heading}" in markdown


def test_a_whole_labelled_answer_pasted_at_one_step_fills_the_draft(
    chat: FakeAdapter, store: Store
) -> None:
    chat.send(text="prep seeing the big picture G7")
    saved, review = chat.send(
        text="Situation: In 2022 our NHS trust had long discharge delays. Task: I had to find"
        " out why. Action: I met ward managers and the council and mapped the process."
        " Result: Delays over seven days fell from 48 to 19."
    )
    assert saved.plain_text() == (
        "Saved what you pasted in draft 1, by its labels: the Situation, the Task, the Action,"
        " the Result."
    )
    parts = store.draft(chat.user, 1)["parts"]  # type: ignore[index]
    assert parts == {
        "situation": "In 2022 our NHS trust had long discharge delays.",
        "task": "I had to find out why.",
        "action": "I met ward managers and the council and mapped the process.",
        "result": "Delays over seven days fell from 48 to 19.",
    }
    assert "Step 5 of 5: What you learned" in review.plain_text()


def test_i_dont_know_at_a_step_is_a_hint_and_the_step_again(
    chat: FakeAdapter, store: Store
) -> None:
    chat.send(text="prep leadership level 4")
    hint, asked = chat.send(text="I don't know")
    assert hint.plain_text().startswith("Nothing was saved: take a moment, and write the Situation")
    assert "Step 1 of 5: Situation" in asked.plain_text()
    assert store.draft(chat.user, 1)["parts"] == {}  # type: ignore[index]


def test_prep_with_words_naming_no_behaviour_offers_the_suggestions_to_prepare(
    chat: FakeAdapter,
) -> None:
    (unknown,) = chat.send(text="prep engaging")
    commands = [c.command for c in unknown.choices]
    assert "prep civil-service/leadership" in commands, commands
    assert "search engaging" in commands  # not a behaviour: as the lookup offered it
    assert "\n1. " not in unknown.plain_text().split("Then type")[0]
    (level,) = chat.send(text=str(commands.index("prep civil-service/leadership") + 1))
    assert level.title == "Prepare an example: Leadership"
