"""Performance expectations: the flow (`flow`) and its tables (`store`)."""

from bot.expectations.flow import VERBS, ExpectationFlow

__all__ = ["VERBS", "ExpectationFlow"]
