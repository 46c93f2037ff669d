"""The web process's Prometheus metrics, served at /metrics: requests by platform, kind
and status, their latency, the outbox (waiting, oldest, delivered, slowed down, given
up) and the schedule (due, done).

Each app has a registry of its own (tests make several apps in one process). No label
holds a person's name, id or text, and none is taken from a request as it is: a
request's kind is mapped onto the fixed set below, anything else is "other", so no
caller can make new series.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

# The kind of request an adapter found (adapters.slack.request_kind, the Teams activity's
# type and name), put on the request for the middleware below.
KIND = web.RequestKey("kind", str)

# Where each platform's requests arrive: nothing else is counted as a request.
PATHS = {"/slack/events": "slack", "/api/messages": "teams"}
KINDS = {
    "slack": {
        "command",
        "event:message",
        "event:app_mention",
        "event:app_home_opened",
        "block_actions",
        "view_submission",
        "view_closed",
        "url_verification",
    },
    "teams": {
        "message",
        "invoke:adaptiveCard/action",
        "conversationUpdate",
        "installationUpdate",
        "messageReaction",
    },
}
PLATFORMS = ("slack", "teams", "console")  # of a user identity (platform:workspace:user)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15)


def kind_label(platform: str, kind: str | None) -> str:
    """A request's kind as a label: one of the platform's known kinds (quotes dropped:
    adapters quote what a request chose), "invoke:other" or "event:other" for the rest of
    those, "other" for anything else, "unknown" when refused before it was read."""
    if kind is None:
        return "unknown"
    plain = kind.replace("'", "")
    if plain in KINDS.get(platform, ()):
        return plain
    if platform == "teams" and plain.startswith("invoke:"):
        return "invoke:other"
    if platform == "slack" and plain.startswith("event:"):
        return "event:other"
    return "other"


def platform_of(user: str) -> str:
    """The platform of a user identity, as a label."""
    platform = user.split(":", 1)[0]
    return platform if platform in PLATFORMS else "other"


class Metrics:
    """The metrics of one web app, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "behaviourbot_requests",
            "Requests from Slack and Teams, by platform, kind and status.",
            ["platform", "kind", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "behaviourbot_request_seconds",
            "Time to answer a request from Slack or Teams, by platform.",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.delivered = Counter(
            "behaviourbot_outbox_delivered",
            "Direct messages from the outbox delivered, by platform.",
            ["platform"],
            registry=r,
        )
        self.slowed = Counter(
            "behaviourbot_outbox_slowed_down",
            "Times a platform asked the outbox to wait (Slack's 429), by platform.",
            ["platform"],
            registry=r,
        )
        self.given_up = Counter(
            "behaviourbot_outbox_given_up",
            "Direct messages given up on (unreachable, or failing too often), by platform.",
            ["platform"],
            registry=r,
        )
        self.waiting = Gauge(
            "behaviourbot_outbox_waiting",
            "Direct messages due and not delivered yet, by platform (read at scrape time).",
            ["platform"],
            registry=r,
        )
        self.oldest = Gauge(
            "behaviourbot_outbox_oldest_seconds",
            "How long the oldest direct message due has waited, by platform (read at scrape time).",
            ["platform"],
            registry=r,
        )
        self.scheduled_due = Gauge(
            "behaviourbot_scheduled_due",
            "Scheduled work (reminders, closings, check-ins) due and not run yet (read at"
            " scrape time).",
            registry=r,
        )
        self.scheduled_done = Counter(
            "behaviourbot_scheduled_done",
            "Scheduled work (reminders, closings, check-ins) run.",
            registry=r,
        )
        # (platform, kind, status) -> its counter and histogram: looked up once (a few
        # µs a request saved); the keys are a small fixed set, as the labels are
        self._series: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        for platform in PLATFORMS[:2]:  # every series there from the start, at 0
            for family in (self.delivered, self.slowed, self.given_up, self.waiting):
                family.labels(platform)
            self.oldest.labels(platform)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Count and time each request to a platform's endpoint (an aiohttp middleware:
        `web.Application(middlewares=[metrics.middleware])`)."""
        platform = PATHS.get(request.path)
        if platform is None:
            return await handler(request)
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            key = (platform, kind_label(platform, request.get(KIND)), str(status))
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = (
                    self.requests.labels(*key),
                    self.latency.labels(platform),
                )
            series[0].inc()
            series[1].observe(time.perf_counter() - started)

    def outbox(self, waiting: dict[str, tuple[int, float]] | None) -> None:
        """The outbox as read now: platform -> (messages due, the oldest's age in s);
        None when it could not be read (the gauges say NaN: not known)."""
        # every platform's series, each time: one seen before goes back to 0 when emptied
        known: dict[str, tuple[float, float]] = {p: (0, 0.0) for p in (*PLATFORMS, "other")}
        for platform, (count, age) in (waiting or {}).items():
            label = platform if platform in PLATFORMS else "other"
            before = known.get(label, (0, 0.0))
            known[label] = (before[0] + count, max(before[1], age))
        for label, (count, age) in known.items():
            self.waiting.labels(label).set(math.nan if waiting is None else count)
            self.oldest.labels(label).set(math.nan if waiting is None else age)

    def schedule(self, due: int | None) -> None:
        self.scheduled_due.set(math.nan if due is None else due)

    def gave_up(self, user: str) -> None:
        self.given_up.labels(platform_of(user)).inc()

    def exposition(self) -> web.Response:
        """The metrics in Prometheus' text format."""
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
