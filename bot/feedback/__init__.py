"""360 feedback: building and sending a request (`request`), a peer's answer
(`answer`), the anonymised report (`report`) and the flow's typed state (`state`)."""

from bot.feedback.request import (
    MAX_PEERS,
    VERBS,
    FeedbackFlow,
    activity_for,
    identity_of,
    names_typed,
    parse_deadline,
    parse_names,
)
from bot.text import count_words

__all__ = [
    "MAX_PEERS",
    "VERBS",
    "FeedbackFlow",
    "activity_for",
    "count_words",
    "identity_of",
    "names_typed",
    "parse_deadline",
    "parse_names",
]
