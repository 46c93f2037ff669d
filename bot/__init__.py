"""behaviourbot: the platform-neutral core (events, replies, frameworks, resolver, storage)."""

__version__ = "0.1.0"
