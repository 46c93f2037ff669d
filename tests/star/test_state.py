"""The STAR flows' typed states: versioned JSON, and rows stored before converted once by
the migration m012_star_states."""

from __future__ import annotations

import json
from pathlib import Path

from sqlite_utils import Database

from bot.frameworks import Framework
from bot.router import Bot
from bot.star.state import DraftAt, Practised, Practising
from bot.storage import MIGRATIONS, Store

from ..conftest import FakeAdapter
from .test_review import STRONG


def test_each_state_is_versioned_json() -> None:
    at = DraftAt(2, "task")
    assert at.dump() == {"v": 1, "draft": 2, "part": "task", "confirm": "", "confirm_draft": 0}
    assert DraftAt.load(at.dump()) == at
    practising = Practising("civil-service/leadership/4", 1, {"action": "I led."}, ["we"])
    assert Practising.of({"practice": practising.dump()}) == practising
    assert Practised.of(
        {"practised": {"v": 1, "counts": {"civil-service/leadership/4": 2}}}
    ) == Practised({"civil-service/leadership/4": 2})


def test_rows_in_the_old_shape_are_converted_once_by_the_migration(
    tmp_path: Path, frameworks: list[Framework]
) -> None:
    """A database from before the typed states: a draft half written, a practice under
    way (with no follow-ups asked yet, as early rows had) and counts of questions."""
    path = tmp_path / "old.db"
    db = Database(str(path))
    MIGRATIONS.apply(db, stop_before="m012_star_states")
    alice, bob = "console:local:alice", "console:local:bob"
    old = {
        alice: {"star": {"draft": 1, "part": "task"}, "choices": ["draft 1 stop"]},
        bob: {
            "practice": {"target": "civil-service/leadership/4", "indicator": 0, "answer": None},
            "practised": {"civil-service/leadership/4": 1},
        },
    }
    db["star_drafts"].insert(
        {
            "owner": alice,
            "number": 1,
            "framework": "civil-service",
            "behaviour": "leadership",
            "level": "4",
            "parts": json.dumps({"situation": STRONG["situation"]}),
            "created_at": "2026-03-01T10:00:00+00:00",
            "updated_at": "2026-03-01T10:00:00+00:00",
        }
    )
    for user, state in old.items():
        db["conversations"].insert({"user": user, "conversation": user, "state": json.dumps(state)})
    db.conn.commit()
    db.conn.close()

    store = Store.open(path)
    assert "m012_star_states" in store.applied_migrations()
    assert store.state(alice, alice) == {
        "star": DraftAt(1, "task").dump(),
        "choices": ["draft 1 stop"],
    }
    bob_state = store.state(bob, bob)
    assert bob_state["practice"] == Practising("civil-service/leadership/4", 0, None, []).dump()
    assert bob_state["practised"] == Practised({"civil-service/leadership/4": 1}).dump()
    # the flows go on from the converted rows
    chat = FakeAdapter(Bot(frameworks, store))
    saved, ask = chat.send(text=STRONG["task"])
    assert saved.plain_text().startswith("Saved your Task in draft 1")
    assert "Step 3 of 5: Action" in ask.plain_text()
    store.close()
    again = Store.open(path)  # reopened: nothing converted twice
    assert again.state(alice, alice)["star"] == DraftAt(1, "action").dump()
    again.close()
