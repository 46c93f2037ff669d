"""The one web process: an aiohttp application with /slack/events, /api/messages (Teams),
/healthz (alive), /readyz (ready: see `readiness`) and /metrics (adapters.metrics).

Slack requests are verified against SLACK_SIGNING_SECRET on the bytes received, before
anything reads them (adapters.slack.signature_problem). Without it (or
without SLACK_BOT_TOKEN, to answer with), /slack/events refuses every request with 401:
unsigned requests are never accepted, and the server still starts. Likewise Teams
requests are authenticated with MicrosoftAppId and MicrosoftAppPassword; without them
/api/messages refuses every request, unless the operator asked for local development
mode (`serve --dev`), which accepts requests without a token and says so loudly.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from aiohttp import web

from adapters.delivery import patiently
from adapters.metrics import Metrics
from adapters.outbox import OUTBOX_EVERY, Arrived, Outbox, SendDirect
from adapters.slack import SlackAdapter, socket_mode
from adapters.teams import Credentials, TeamsAdapter
from adapters.worker import Worker
from bot.router import Bot
from bot.settings import Settings, is_loopback
from bot.storage import is_busy

log = logging.getLogger("behaviourbot.web")
T = TypeVar("T")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


# ---- readiness ---------------------------------------------------------------------

READY_OUTBOX_AGE = 15 * 60  # seconds a direct message may wait, due, before not ready
READY_DB_WAIT = 0.25  # seconds the check waits for another process's write lock
READY_WITHIN = 5.0  # seconds the core's thread has to answer the check


class Shared:
    """One reading at a time on the core's thread, shared by everyone who asks while it
    runs: callers of /readyz and /metrics (anyone who can reach the port) never queue
    readings on that thread, which the people's requests need."""

    def __init__(self) -> None:
        self._task: asyncio.Future[Any] | None = None

    async def get(self, read: Callable[[], Awaitable[T]]) -> T:
        """`read()`'s answer: the one under way, or a new one; TimeoutError after
        READY_WITHIN (the reading goes on, and the next caller waits for it)."""
        task = self._task
        if task is None or task.done():
            task = self._task = asyncio.ensure_future(read())
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
        return cast(T, await asyncio.wait_for(asyncio.shield(task), READY_WITHIN))


Check = dict[str, Any]


def _database_and_outbox(bot: Bot) -> tuple[Check, dict[str, tuple[int, float]]]:
    """On the core's thread: whether the database takes a write now (BEGIN IMMEDIATE,
    waiting at most READY_DB_WAIT for another process's lock, then rolled back), and
    the direct messages waiting (bot.outbox.Outbox.waiting)."""
    conn = bot.store.conn
    (wait,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute(f"PRAGMA busy_timeout = {int(READY_DB_WAIT * 1000)}")
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
        database: Check = {"ok": True}
    except sqlite3.OperationalError as error:  # SQLite's own words, never a path
        why = "locked by another process" if is_busy(error) else str(error)[:100]
        database = {"ok": False, "error": f"cannot write: {why}"}
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(wait)}")
    return database, bot.outbox.waiting()


def _outbox_check(waiting: dict[str, tuple[int, float]]) -> Check:
    oldest = max((age for _, age in waiting.values()), default=0.0)
    check: Check = {
        "ok": oldest <= READY_OUTBOX_AGE,
        "waiting": sum(count for count, _ in waiting.values()),
        "oldest_seconds": round(oldest),
        "limit_seconds": READY_OUTBOX_AGE,
    }
    if not check["ok"]:
        check["error"] = "a direct message has waited longer than the limit"
    return check


async def _slack_check(settings: Settings, socket: list[Any] | None) -> Check:
    """Slack as far as it is known without asking Slack: HTTP on (both variables set),
    and with Socket Mode the connection up."""
    http = bool(settings.slack_signing_secret and settings.slack_bot_token)
    check: Check = {"ok": True, "on": http, "http": http}
    if socket is not None:
        connected = bool(socket) and await socket[0].client.is_connected()
        check |= {"ok": connected, "on": True, "socket": connected}
        if not connected:
            check["error"] = "the Socket Mode connection is down"
    elif not http and (settings.slack_signing_secret or settings.slack_bot_token):
        missing = _missing(
            SLACK_SIGNING_SECRET=settings.slack_signing_secret,
            SLACK_BOT_TOKEN=settings.slack_bot_token,
        )
        check |= {"ok": False, "error": f"{' and '.join(missing)} not set"}
    return check


def _teams_check(teams: TeamsAdapter) -> Check:
    """Teams as far as it is known without traffic: its credentials complete, or
    development mode (said loudly), or not set at all (off)."""
    credentials = teams.credentials
    check: Check = {"ok": True, "on": teams.open}
    if credentials.complete:
        return check
    if teams.dev:
        return check | {"dev": True, "warning": "development mode: requests are NOT authenticated"}
    if credentials.app_id and credentials.password and credentials.problem:
        return check | {"ok": False, "error": credentials.problem}
    if credentials.app_id or credentials.password:
        missing = _missing(
            MicrosoftAppId=credentials.app_id, MicrosoftAppPassword=credentials.password
        )
        return check | {"ok": False, "error": f"{' and '.join(missing)} not set"}
    return check


async def readiness(app: web.Application) -> Check:
    """Whether the process is ready to serve, as far as can be known without traffic
    to Slack or Microsoft: the database takes a write, no direct message has waited
    due for more than READY_OUTBOX_AGE, each platform is configured (or plainly off),
    the Socket Mode connection is up, and at least one platform is on. Never a secret."""
    bot, worker = app[BOT], app[WORKER]
    try:
        database, waiting = await app[READINGS]["ready"].get(
            lambda: worker.run(_database_and_outbox, bot)
        )
        # only what this process delivers: a message for the terminal chat, or for a
        # platform that is off here, waits for another process, not for this one
        delivered_here = app[OUTBOX].senders
        outbox = _outbox_check({p: w for p, w in waiting.items() if f"{p}:" in delivered_here})
    except TimeoutError:
        error = f"the core's thread did not answer within {READY_WITHIN:g} s"
        database = outbox = {"ok": False, "error": error}
    slack = await _slack_check(app[SETTINGS], app.get(SOCKET_MODE))
    teams = _teams_check(app[TEAMS_ADAPTER])
    platforms: Check = {"ok": slack["on"] or teams["on"]}
    if not platforms["ok"]:
        platforms["error"] = "neither Slack nor Teams is on"
    checks = {
        "database": database,
        "outbox": outbox,
        "slack": slack,
        "teams": teams,
        "platforms": platforms,
    }
    return {"ready": all(c["ok"] for c in checks.values()), "checks": checks}


async def readyz(request: web.Request) -> web.Response:
    answer = await readiness(request.app)
    return web.json_response(answer, status=200 if answer["ready"] else 503)


def _waiting_work(bot: Bot) -> tuple[dict[str, tuple[int, float]], int]:
    """On the core's thread: the direct messages waiting, and the scheduled work due."""
    return bot.outbox.waiting(), bot.schedule.waiting(bot.store.stamp())


async def metrics(request: web.Request) -> web.Response:
    """The Prometheus metrics; the outbox and schedule gauges read now (NaN when the
    core's thread does not answer within READY_WITHIN)."""
    app = request.app
    try:
        waiting, due = await app[READINGS]["metrics"].get(
            lambda: app[WORKER].run(_waiting_work, app[BOT])
        )
    except TimeoutError:
        app[METRICS].outbox(None)
        app[METRICS].schedule(None)
    else:
        app[METRICS].outbox(waiting)
        app[METRICS].schedule(due)
    return app[METRICS].exposition()


async def slack_not_configured(request: web.Request) -> web.Response:
    log.warning("slack request refused: Slack over HTTP is off (see the start-up log)")
    return web.json_response({"error": "slack is not configured on this server"}, status=401)


PRUNE_EVERY_SECONDS = 3600
OUTBOX_DRAIN = 10.0  # seconds a stopping process lets the message under way finish


def _prune_handled_events(app: web.Application, bot: Bot, worker: Worker) -> None:
    """Forget handled event ids after two days, at start-up and then every hour: long
    enough for any retry (Slack retries within minutes), short enough to keep it small."""
    tasks: list[asyncio.Task[None]] = []

    async def prune_forever() -> None:
        while True:
            try:
                forgotten = await patiently(lambda: worker.run(bot.store.forget_old_events))
            except Exception as error:  # tried again in an hour: never stops for good
                log.warning("could not forget old event ids now (%s)", type(error).__name__)
            else:
                if forgotten:
                    log.info("forgot %d handled event ids older than two days", forgotten)
            await asyncio.sleep(PRUNE_EVERY_SECONDS)

    async def start(app: web.Application) -> None:
        tasks.append(asyncio.get_running_loop().create_task(prune_forever()))

    async def stop(app: web.Application) -> None:
        for task in tasks:
            task.cancel()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)


def _slack_adapter(
    settings: Settings, bot: Bot, worker: Worker, *, signing_secret: str | None
) -> SlackAdapter:
    def first_time(key: str) -> bool:
        """Kept with the handled event ids (in the database: every process sharing it
        agrees), and forgotten with them after two days."""
        with bot.store.transaction():
            return bot.store.first_time(key)

    bot.follow_homes("slack")
    return SlackAdapter(
        worker.wraps(bot.handle),
        settle=worker.wraps(bot.settle),
        signing_secret=signing_secret,
        token=settings.slack_bot_token,
        api_url=settings.slack_api_url,
        home=worker.wraps(bot.home.page),
        homes_changed=worker.wraps(bot.homes_changed),
        home_not_shown=worker.wraps(bot.home_not_shown),
        first_time=worker.wraps(first_time),
        at_once=bot.answer_at_once,
    )


MIN_SIGNING_SECRET = 16  # characters; Slack's are 32


def slack_warnings(settings: Settings) -> list[str]:
    """What is unsafe in the Slack settings, each a line for the start-up log naming
    the risk and the fix."""
    warnings = []
    api = urlsplit(settings.slack_api_url)
    if settings.slack_bot_token and api.scheme != "https" and not is_loopback(api.hostname or ""):
        warnings.append(
            f"slack: SLACK_API_URL {settings.slack_api_url} is not https: the bot token and"
            " every message cross the network unencrypted; use https://slack.com/api/"
            " (plain http only to this machine, for tests)"
        )
    secret = settings.slack_signing_secret
    if secret and len(secret) < MIN_SIGNING_SECRET:
        warnings.append(
            f"slack: SLACK_SIGNING_SECRET is only {len(secret)} characters (Slack's have 32):"
            " whoever guesses it can send requests as Slack; copy the app's Signing Secret"
            " from its Basic Information page"
        )
    return warnings


def _missing(**variables: str | None) -> list[str]:
    """The names of the variables that are not set."""
    return [name for name, value in variables.items() if not value]


TEAMS_ADAPTER = web.AppKey("teams", TeamsAdapter)
BOT = web.AppKey("bot", Bot)
WORKER = web.AppKey("worker", Worker)
SETTINGS = web.AppKey("settings", Settings)
SOCKET_MODE = web.AppKey("socket_mode", list)  # the Socket Mode handler, once connected
METRICS = web.AppKey("metrics", Metrics)
READINGS = web.AppKey("readings", dict)  # Shared readings: "ready", "metrics"


def create_app(
    settings: Settings,
    bot: Bot,
    *,
    socket: bool = False,
    dev: bool = False,
    openid_metadata_url: str | None = None,
    outbox_every: float = OUTBOX_EVERY,
) -> web.Application:
    """The web app; with `socket`, also a Slack Socket Mode connection for its lifetime;
    with `dev`, Teams without credentials accepts requests without a token. While it
    runs, the outbox is delivered every `outbox_every` seconds."""
    app_metrics = Metrics()  # requests counted in one place: its middleware
    app = web.Application(middlewares=[app_metrics.middleware])
    app[METRICS] = app_metrics
    app[READINGS] = {"ready": Shared(), "metrics": Shared()}
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    bot.outbox.when_given_up(lambda message, _: app_metrics.gave_up(message.user))
    worker = app[WORKER] = Worker()
    app[BOT], app[SETTINGS] = bot, settings
    _prune_handled_events(app, bot, worker)
    senders: dict[str, SendDirect] = {}
    arrived: dict[str, Arrived] = {}  # where a message can be looked for (Slack)
    for warning in slack_warnings(settings):
        log.warning("%s", warning)
    if socket:
        by_socket = _add_socket_mode(app, settings, bot, worker)
        senders["slack:"], arrived["slack:"] = by_socket.send_direct, by_socket.arrived
    missing = _missing(
        SLACK_SIGNING_SECRET=settings.slack_signing_secret,
        SLACK_BOT_TOKEN=settings.slack_bot_token,
    )
    if not missing:
        slack = _slack_adapter(settings, bot, worker, signing_secret=settings.slack_signing_secret)
        app.router.add_post("/slack/events", slack.dispatch)
        senders.setdefault("slack:", slack.send_direct)
        arrived.setdefault("slack:", slack.arrived)
        log.info("slack: on at /slack/events (Web API %s)", settings.slack_api_url)
    else:
        app.router.add_post("/slack/events", slack_not_configured)
        log.warning(
            "slack: HTTP off (%s not set); /slack/events answers 401%s",
            " and ".join(missing),
            "; Socket Mode on" if socket else "",
        )
    teams = app[TEAMS_ADAPTER] = _add_teams(app, settings, bot, worker, dev, openid_metadata_url)
    if teams.open:
        senders["teams:"] = teams.send_direct
    outbox = Outbox(
        bot, senders, every=outbox_every, arrived=arrived, run=worker.run, metrics=app_metrics
    )
    _deliver_outbox(app, outbox)
    # closed after the outbox has let the message under way finish
    app.on_cleanup.append(lambda app: teams.close())
    _stop_last(app, worker)
    return app


def _stop_last(app: web.Application, worker: Worker) -> None:
    """The thread the core runs on (see adapters.worker) stops after everything else
    has, letting what was asked of it finish."""

    async def stop(app: web.Application) -> None:
        await asyncio.get_running_loop().run_in_executor(None, worker.close)

    app.on_cleanup.append(stop)


OUTBOX = web.AppKey("outbox", Outbox)


def _deliver_outbox(app: web.Application, outbox: Outbox) -> None:
    """Deliver the 360 direct messages and run the schedule while the app runs."""
    app[OUTBOX] = outbox
    tasks: list[asyncio.Task[None]] = []

    async def start(app: web.Application) -> None:
        tasks.append(asyncio.get_running_loop().create_task(outbox.run_forever()))
        log.info(
            "outbox: delivering direct messages to %s every %g s",
            " and ".join(p.rstrip(":") for p in outbox.senders) or "nobody (no platform on)",
            outbox.every,
        )

    async def stop(app: web.Application) -> None:
        outbox.stop()  # the message under way is sent and reported, then it stops
        left = (await asyncio.wait(tasks, timeout=OUTBOX_DRAIN))[1] if tasks else set()
        for task in left:
            task.cancel()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)


def _add_teams(
    app: web.Application,
    settings: Settings,
    bot: Bot,
    worker: Worker,
    dev: bool,
    openid_metadata_url: str | None,
) -> TeamsAdapter:
    credentials = Credentials(
        app_id=settings.microsoft_app_id,
        password=settings.microsoft_app_password,
        app_type=settings.microsoft_app_type,
        tenant_id=settings.microsoft_app_tenant_id,
    )
    teams = TeamsAdapter(
        worker.wraps(bot.handle),
        bot.store,
        settle=worker.wraps(bot.settle),
        credentials=credentials,
        dev=dev,
        welcome=lambda: bot.lookup.help("teams"),
        home=bot.home.page,
        openid_metadata_url=openid_metadata_url,
        run=worker.run,
    )
    app.router.add_post("/api/messages", teams.dispatch)
    if credentials.app_id and credentials.password and credentials.problem:
        log.warning("teams: off (%s); /api/messages answers 401", credentials.problem)
    elif credentials.complete:
        log.info("teams: on at /api/messages (app id %s)", credentials.app_id)
        if dev:
            log.warning("teams: --dev ignored: MicrosoftAppId and MicrosoftAppPassword are set")
    elif teams.dev:
        log.warning(
            "teams: LOCAL DEVELOPMENT MODE: /api/messages accepts requests WITHOUT "
            "authentication. Never expose this server; set MicrosoftAppId and "
            "MicrosoftAppPassword and drop --dev for real use"
        )
    else:
        missing = _missing(
            MicrosoftAppId=credentials.app_id, MicrosoftAppPassword=credentials.password
        )
        if credentials.app_id:  # an app id without its password: never development mode
            hint = "set it, or unset MicrosoftAppId and use serve --dev for local development"
            if dev:
                log.warning("teams: --dev ignored: MicrosoftAppId is set (without its password)")
        else:
            hint = "serve --dev for local development"
        log.warning(
            "teams: off (%s not set); /api/messages answers 401 (%s)", " and ".join(missing), hint
        )
    return teams


def _add_socket_mode(
    app: web.Application, settings: Settings, bot: Bot, worker: Worker
) -> SlackAdapter:
    if not (settings.slack_app_token and settings.slack_bot_token):
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN (xapp-...) and SLACK_BOT_TOKEN")
    adapter = _slack_adapter(settings, bot, worker, signing_secret=None)
    app_token = settings.slack_app_token
    handlers = app[SOCKET_MODE] = []

    async def connect(app: web.Application) -> None:
        handler = socket_mode(adapter, app_token)  # its client needs the running loop
        handlers.append(handler)
        await handler.connect_async()
        log.info("slack: Socket Mode connected")

    async def close(app: web.Application) -> None:
        for handler in handlers:
            await handler.close_async()

    app.on_startup.append(connect)
    app.on_cleanup.append(close)
    return adapter
