"""What plans and expectations share (bot/records.py): who people are, as far as a
platform told us, kept and given back as a `Person`."""

from __future__ import annotations

from bot.clock import zone_of
from bot.records import PeopleStore
from bot.storage import Store
from bot.types import Event, Person


def test_who_someone_is_is_kept_and_comes_back_as_a_person(store: Store) -> None:
    people = PeopleStore(store)
    assert people.get("slack:T1:U2") is None
    with store.transaction():
        people.seen(Person("slack:T1:U2", "Bob Smith", 3600))
        people.seen(Person("slack:T1:U2", "", tz_name="Europe/Paris"))  # the rest is kept
    bob = people.get("slack:T1:U2")
    assert bob == Person("slack:T1:U2", "Bob Smith", 3600, tz_name="Europe/Paris")
    assert people.knows(bob) and people.knows(Person(bob.identity, ""))
    assert not people.knows(Person(bob.identity, "Robert Smith"))
    assert zone_of(bob).show("2027-07-01T12:00:00+00:00") == "1 Jul 2027, 14:00 CEST"


def test_the_speaker_of_an_event_is_a_person() -> None:
    event = Event(
        user="teams:t:29:1", conversation="c", name="Megan", tz_name="Europe/London", tz_offset=0
    )
    assert event.speaker == Person("teams:t:29:1", "Megan", 0, tz_name="Europe/London")
