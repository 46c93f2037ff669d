"""Development plans: the flow (`flow`) and its tables (`store`)."""

from bot.plans.flow import VERBS, PlanFlow

__all__ = ["VERBS", "PlanFlow"]
