"""Microsoft Teams: pure converters in (activities) and out (cards), the people lookup
from rosters (people), the app package (package), the turn handler (turn), the Bot
Connector calls (connector) and all that is taken from botbuilder (sdk)."""

from adapters.delivery import Unreachable
from adapters.teams.activities import event_from_activity, text_without_mention
from adapters.teams.cards import CARD_CONTENT_TYPE, activities_of, cards_of, escape, literal
from adapters.teams.people import Roster
from adapters.teams.turn import Credentials, TeamsAdapter

__all__ = [
    "CARD_CONTENT_TYPE",
    "Credentials",
    "Roster",
    "TeamsAdapter",
    "Unreachable",
    "activities_of",
    "cards_of",
    "escape",
    "event_from_activity",
    "literal",
    "text_without_mention",
]
