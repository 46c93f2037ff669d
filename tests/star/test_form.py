"""The whole draft as one form, through the core: saving, refusing, not overwriting."""

from __future__ import annotations

from bot.storage import Store

from ..conftest import FakeAdapter
from .test_drafting import write_example
from .test_review import STRONG


def test_the_whole_draft_in_one_form(chat: FakeAdapter, store: Store) -> None:
    (start,) = chat.send(text="prep leadership level 4", forms=True)
    assert "Write it all in one form" in [c.label for c in start.choices]
    (shown,) = chat.send(action="draft 1 form", forms=True)
    assert shown.form is not None and shown.form.submit.startswith("draft 1 save ")
    assert [f.name for f in shown.form.fields] == [
        "situation",
        "task",
        "action",
        "result",
        "learned",
    ]
    assert "about 138 words" in shown.form.fields[2].hint
    empty = dict.fromkeys(("situation", "task", "action", "result", "learned"), " ")
    (refused,) = chat.send(action="draft 1 save", forms=True, fields=empty)
    assert refused.form is not None and refused.form.fields[0].error.startswith("Write at least")
    half = dict(empty, situation=STRONG["situation"], task=STRONG["task"])
    saved, opened = chat.send(action="draft 1 save", forms=True, fields=half)
    assert "The Action is still to write" in saved.plain_text()
    assert opened.choices[0].label == "Continue: Action"
    assert store.draft(chat.user, 1)["parts"] == {
        "situation": STRONG["situation"],
        "task": STRONG["task"],
    }
    assert "star" not in store.state(chat.user, chat.user)  # the form replaced the questions
    saved, review = chat.send(action="draft 1 save", forms=True, fields=dict(STRONG, learned=""))
    assert review.title == "Your example: Leadership, Level 4"
    assert "Edit in one form" in [c.label for c in review.choices]
    # The terminal has no forms: it says how to go on instead.
    (here,) = chat.send(text="draft 1 form")
    assert here.form is None and "part by part" in here.plain_text()
    assert chat.send(text="draft 1 save") and store.draft(chat.user, 1)["parts"]["task"]


def test_a_part_too_long_for_a_form_is_edited_part_by_part(chat: FakeAdapter) -> None:
    chat.send(text="prep leadership level 4")
    chat.send(text="word " * 700)  # 3,500 characters: fine part by part
    (reply,) = chat.send(action="draft 1 form", forms=True)
    assert reply.form is None
    assert "longer than a form holds (3,000 characters)" in reply.plain_text()


def test_a_form_does_not_overwrite_a_part_changed_in_the_chat_unasked(
    chat: FakeAdapter, store: Store
) -> None:
    write_example(chat)
    (opened,) = chat.send(action="draft 1 form", forms=True)
    assert opened.form is not None
    chat.send(text="draft 1 edit task")
    chat.send(text="As team leader I owned the recovery plan.")  # changed in the chat
    typed = {f.name: f.value for f in opened.form.fields}  # the form, as it was opened
    typed["result"] = STRONG["result"] + " It also cut complaints by half."
    (marked,) = chat.send(action=opened.form.submit, forms=True, fields=typed)
    assert marked.form is not None
    errors = {f.name: f.error for f in marked.form.fields if f.error}
    assert list(errors) == ["task"]  # the Result changed in the form only: no question
    assert "changed in the chat since you opened the form" in errors["task"]
    assert store.draft(chat.user, 1)["parts"]["task"] == "As team leader I owned the recovery plan."
    saved, _ = chat.send(action=marked.form.submit, forms=True, fields=typed)  # on purpose
    assert saved.plain_text().startswith("Saved draft 1.")
    assert store.draft(chat.user, 1)["parts"]["task"] == STRONG["task"]
