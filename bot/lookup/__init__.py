"""The lookup job: framework queries read (resolver), searched, compared and answered (replies)."""

from bot.lookup.replies import Lookup, strip_command_prefix
from bot.lookup.resolver import BehaviourView, resolve_query

__all__ = ["BehaviourView", "Lookup", "resolve_query", "strip_command_prefix"]
