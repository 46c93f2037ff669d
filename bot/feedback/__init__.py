"""360 feedback: building and sending a request (`request`), a peer's answer
(`answer`), what follows once it is sent (`results`), the anonymised report (`report`)
and the flow's typed state (`state`)."""

from bot.feedback.answer import ANSWER_STEPS
from bot.feedback.request import (
    MAX_PEERS,
    REQUEST_STEPS,
    VERBS,
    FeedbackFlow,
    parse_deadline,
    parse_names,
)
from bot.feedback.results import activity_for
from bot.feedback.state import AnswerDraft, RequestDraft, identity_of, names_typed
from bot.text import count_words

__all__ = [
    "ANSWER_STEPS",
    "MAX_PEERS",
    "REQUEST_STEPS",
    "VERBS",
    "AnswerDraft",
    "FeedbackFlow",
    "RequestDraft",
    "activity_for",
    "count_words",
    "identity_of",
    "names_typed",
    "parse_deadline",
    "parse_names",
]
