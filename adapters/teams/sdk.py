"""Everything behaviourbot takes from the Bot Framework SDK for Python (botbuilder), in
one module behind one small interface, `Authenticator`:

- `check`: the channel's token on a request (signature, issuer, audience, expiry, the
  channel's endorsement, the service URL), and the audience of the bot's calls in answer;
- `token`: the bot's own token for those calls (MSAL, through botbuilder's credentials),
  cached until shortly before it expires and fetched off the event loop.

botbuilder-python is archived upstream (its last release is 4.17.1). The rest of the
Teams adapter works on plain JSON and calls the connector itself
(adapters.teams.connector), so moving to Microsoft's successor SDK changes this module
alone: docs/teams.md says what a port would change.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

import jwt
import requests  # what botbuilder fetches the channel's signing keys with
from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata

from adapters.teams.connector import CHANNEL_SCOPE

log = logging.getLogger("behaviourbot.teams")

Json = dict[str, Any]

KEY_FETCH_TIMEOUT = 10.0  # seconds for each of the two requests that fetch signing keys
KEY_FETCH_RETRY_AFTER = 30.0  # after a failed fetch, answer 503 at once for this long
TOKEN_MARGIN = 300.0  # seconds before its expiry that the bot's own token is renewed
TOKEN_LIFETIME = 3600.0  # assumed when a token does not say (Microsoft's last an hour)
TOKEN_RETRY_AFTER = 30.0  # after a failed or hung fetch of the bot's token, fail at once
CHECKED_KEPT = 300.0  # seconds a channel token, once checked, is taken again unchecked
CHECKED_MOST = 2048  # checked tokens remembered (for each channel and service URL)


class KeysUnavailable(Exception):
    """The channel's signing keys cannot be fetched now, so no token can be checked."""


class TokenUnavailable(Exception):
    """The bot's own token cannot be had from Microsoft now."""


class _SigningKeys(_OpenIdMetadata):
    """botbuilder's cache of the channel's signing keys, fetched off the event loop.

    botbuilder fetches them with a blocking `requests.get` without a timeout, inside its
    async token check: a slow key endpoint would stop every request the process serves.
    Here the fetch runs in a worker thread with a timeout, one at a time (concurrent
    requests wait for the same fetch), and a failure is remembered for a while so that
    requests get a quick 503 instead of each waiting for another timeout."""

    def __init__(self, url: str):
        super().__init__(url)
        self._lock: asyncio.Lock | None = None
        self._failed_at = -KEY_FETCH_RETRY_AFTER
        self._refreshed_at = -1.0

    async def _refresh(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        started = time.monotonic()
        async with self._lock:
            if self._refreshed_at >= started:  # another request fetched them meanwhile
                return
            if time.monotonic() - self._failed_at < KEY_FETCH_RETRY_AFTER:
                raise KeysUnavailable(f"fetching {self.url} failed moments ago")
            try:
                self.keys = await asyncio.to_thread(self._fetch)
            except Exception as exc:
                self._failed_at = time.monotonic()
                raise KeysUnavailable(f"{type(exc).__name__}: {exc}") from exc
            self.last_updated = datetime.now()
            self._refreshed_at = time.monotonic()

    def _fetch(self) -> list[Json]:
        metadata = requests.get(self.url, timeout=KEY_FETCH_TIMEOUT)
        metadata.raise_for_status()
        keys = requests.get(metadata.json()["jwks_uri"], timeout=KEY_FETCH_TIMEOUT)
        keys.raise_for_status()
        return keys.json()["keys"]


def _signing_keys(url: str) -> _OpenIdMetadata:
    cache = JwtTokenExtractor.metadataCache
    if not isinstance(cache.get(url), _SigningKeys):
        cache[url] = _SigningKeys(url)
    return cache[url]


# Every token check in botbuilder looks its keys up here (one cache per metadata URL).
JwtTokenExtractor.get_open_id_metadata = staticmethod(_signing_keys)


def forget_signing_keys(metadata_url: str) -> None:
    """Drop the cached keys of one metadata URL (botbuilder keeps them for a day)."""
    JwtTokenExtractor.metadataCache.pop(metadata_url, None)


class _Config:
    """What ConfigurationBotFrameworkAuthentication reads, by attribute."""

    def __init__(self, app_id: str, password: str, app_type: str, tenant_id: str):
        self.APP_ID = app_id
        self.APP_PASSWORD = password
        self.APP_TYPE = app_type
        self.APP_TENANTID = tenant_id

    def use_metadata_url(self, url: str) -> None:
        """Fetch the channel's signing keys from `url`. Setting any one endpoint switches
        botbuilder to its parameterised mode, where every endpoint must be given, so the
        others are the public cloud's own."""
        self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = url
        for name in (
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER",
            "TO_CHANNEL_FROM_BOT_LOGIN_URL",
            "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE",
            "OAUTH_URL",
            "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL",
        ):
            setattr(self, name, getattr(AuthenticationConstants, name))


class Authenticator:
    """The channel's tokens checked, and the bot's own tokens made, by botbuilder.

    Without an app id (local development mode) a request without a token is accepted
    by botbuilder's anonymous path and the bot's calls carry no token."""

    def __init__(
        self,
        app_id: str = "",
        password: str = "",
        *,
        app_type: str = "MultiTenant",
        tenant_id: str = "",
        openid_metadata_url: str | None = None,
    ):
        config = _Config(app_id, password, app_type, tenant_id)
        if openid_metadata_url:  # where the channel's signing keys are published
            config.use_metadata_url(openid_metadata_url)
        self.app_id = app_id
        self.tenant_id = tenant_id
        self._check = ConfigurationBotFrameworkAuthentication(config)
        self._credentials = ConfigurationServiceClientCredentialFactory(config)
        self._tokens: dict[str, tuple[str, float]] = {}  # audience -> (token, renew at)
        self._fetching: dict[str, asyncio.Future[str]] = {}  # one fetch at a time
        self._failed_at: dict[str, float] = {}
        # (header, channel, service URL) -> (audience, taken until): the channel sends
        # the same token for an hour; checking it costs about 250 µs each time
        self._checked: dict[tuple[str, str | None, str | None], tuple[str, float]] = {}

    async def check(
        self, header: str | None, *, channel_id: str | None = None, service_url: str | None = None
    ) -> str:
        """Check a request's Authorization header; the audience for the bot's calls in
        answer. Raises KeysUnavailable when the keys cannot be fetched, and whatever
        botbuilder raises for a bad token. A token that passed, for the same channel and
        service URL, passes again for CHECKED_KEPT seconds (never past its expiry)
        without being checked again: botbuilder keeps the channel's keys for a day
        anyway, so a key withdrawn meanwhile is honoured no longer than before."""
        key = (header or "", channel_id, service_url)
        known = self._checked.get(key)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        activity = Activity(channel_id=channel_id, service_url=service_url)
        result = await self._check.authenticate_request(activity, header or "")
        audience = str(result.audience or CHANNEL_SCOPE)
        if header:  # a valid token, taken again for a while, never past its expiry
            if len(self._checked) >= CHECKED_MOST:
                self._checked.clear()
            kept = min(CHECKED_KEPT, _expires_in(header))
            self._checked[key] = (audience, time.monotonic() + kept)
        return audience

    async def token(self, audience: str = CHANNEL_SCOPE) -> str | None:
        """The bot's token for calls to `audience`; None without an app id. Concurrent
        callers share one fetch, which they may stop waiting for (the caller bounds the
        wait: MSAL's HTTP has no time limit) without starting another; for a while after
        a fetch failed, or was given up on, TokenUnavailable at once."""
        if not self.app_id:
            return None
        cached = self._tokens.get(audience)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        fetching = self._fetching.get(audience)
        if fetching is None or fetching.done():
            if time.monotonic() - self._failed_at.get(audience, -TOKEN_RETRY_AFTER) < (
                TOKEN_RETRY_AFTER
            ):
                raise TokenUnavailable("fetching the bot's token failed moments ago")
            fetching = self._fetching[audience] = asyncio.ensure_future(self._fetch(audience))
            # its failure is logged and remembered, even when every caller stopped waiting
            fetching.add_done_callback(lambda done: done.cancelled() or done.exception())
        return await asyncio.shield(fetching)  # a caller's cancelling leaves the fetch going

    async def _fetch(self, audience: str) -> str:
        login = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + (
            self.tenant_id or AuthenticationConstants.DEFAULT_CHANNEL_AUTH_TENANT
        )
        try:
            credentials = await self._credentials.create_credentials(
                self.app_id, audience, login, True
            )
            # MSAL asks Microsoft over blocking HTTP: never on the event loop
            token = await asyncio.to_thread(credentials.get_access_token)
        except Exception as exc:
            self._failed_at[audience] = time.monotonic()
            log.error("teams: cannot get the bot's token from Microsoft (%s)", type(exc).__name__)
            raise TokenUnavailable(type(exc).__name__) from exc
        self._failed_at.pop(audience, None)
        self._tokens[audience] = (token, time.monotonic() + _lifetime(token) - TOKEN_MARGIN)
        return token

    def forget(self, audience: str) -> None:
        """Drop a token the connector refused, so that the next call fetches another."""
        self._tokens.pop(audience, None)


def _expires_in(header: str) -> float:
    """Seconds until a checked channel token expires (its exp claim, read again without
    checking: it was just checked)."""
    try:
        claims = jwt.decode(header.split(" ", 1)[-1], options={"verify_signature": False})
        return float(claims["exp"]) - time.time()
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return 0.0


def _lifetime(token: str) -> float:
    """Seconds a token lasts, from its own claims (issued and expiry), unverified: it is
    ours, fresh from Microsoft, and only decides when to ask for the next one."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        return float(claims["exp"]) - float(claims["iat"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return TOKEN_LIFETIME
