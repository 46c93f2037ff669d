"""Shared fixtures: the loaded frameworks, and a fake adapter that drives the real core."""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FixedClock
from bot.frameworks import Framework, load_all
from bot.router import Bot
from bot.storage import Store
from bot.types import Event, Reply

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "platform-fixtures"
SOURCES = ROOT / "frameworks" / "sources"
_ids = itertools.count()
CS_LEVEL_LABELS = [
    "Level 1 (AA and AO or equivalent)",
    "Level 2 (EO or equivalent)",
    "Level 3 (HEO and SEO or equivalent)",
    "Level 4 (Grade 7 and 6 or equivalent)",
    "Level 5 (Deputy Director or equivalent)",
    "Level 6 (Director and Director General)",
]


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@pytest.fixture(autouse=True)
def only_this_machine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nothing in a test reaches slack.com, Microsoft or any other host: a name other
    than this machine's is refused before it is looked up, and the test fails (even
    where the code under test handles the error quietly)."""
    real = socket.getaddrinfo
    tried: list[str] = []

    def local(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if host is not None and name not in LOCAL_HOSTS and not name.startswith("127."):
            tried.append(name)
            raise OSError(f"a test tried to reach {name}: tests reach only this machine")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local)
    yield
    assert not tried, f"the test tried to reach {sorted(set(tried))}"


@pytest.fixture(scope="session")
def frameworks() -> list[Framework]:
    return load_all()


@pytest.fixture(scope="session")
def by_id(frameworks: list[Framework]) -> dict[str, Framework]:
    return {fw.id: fw for fw in frameworks}


class FakeAdapter:
    """Talks to the real Bot like an adapter would, and keeps what it was told."""

    def __init__(self, bot: Bot, user: str = "alice"):
        self.bot = bot
        self.user = f"console:local:{user}"
        self.last: Reply | None = None

    def send(
        self,
        *,
        text: str = "",
        action: str | None = None,
        event_id: str | None = None,
        delivered: bool = True,
        forms: bool = False,
        fields: dict[str, str] | None = None,
    ) -> list[Reply]:
        """Send an event; then report its replies `delivered` (or not), as adapters do."""
        event = Event(
            user=self.user,
            conversation=self.user,
            text=text,
            action=action,
            event_id=event_id or f"test-{next(_ids)}",
            forms=forms,
            fields=fields,
        )
        replies = self.bot.handle(event)
        self.bot.settle(event, delivered=delivered)
        if replies:
            self.last = replies[-1]
        return replies

    def say(self, text: str) -> Reply:
        replies = self.send(text=text)
        assert len(replies) == 1, replies
        return replies[0]

    def pick(self, label: str) -> Reply:
        """Press the button whose label starts with `label`."""
        assert self.last is not None
        matches = [c for c in self.last.choices if c.label.startswith(label)]
        assert matches, f"no choice {label!r} in {[c.label for c in self.last.choices]}"
        replies = self.send(action=matches[0].command)
        assert len(replies) == 1
        return replies[0]


# The time the core reads in tests, whatever the day the suite runs on. Tests of the
# schedule move it, or start it on other weekdays, times and around clock changes.
START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday morning


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[Store]:
    s = Store.open(tmp_path / "bot.db", clock)
    yield s
    s.close()


@pytest.fixture
def chat(frameworks: list[Framework], store: Store) -> FakeAdapter:
    return FakeAdapter(Bot(frameworks, store))


def text_of(reply: Reply) -> str:
    return reply.plain_text()


def platform_fixture(name: str) -> dict[str, Any]:
    """A real Slack or Teams payload from ../shared/platform-fixtures (CI has it beside
    the repository); the test is skipped, saying why, when it is absent."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(  # also where a test module reads one as it is imported
            f"platform fixtures not found at {FIXTURES} (shared/ sits beside the repo in CI)",
            allow_module_level=True,
        )
    return json.loads(path.read_text(encoding="utf-8"))
