"""Configuration, read once at the entry point into one Settings object."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.frameworks import extra_dirs

SLACK_API_URL = "https://slack.com/api/"


def _with_slash(url: str) -> str:
    """The Web API client joins method names onto the base URL: it must end with /."""
    return url if url.endswith("/") else url + "/"


def is_loopback(host: str) -> bool:
    """An address only this machine can reach: localhost, 127.0.0.0/8 or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a name: it may be anywhere
        return False


def data_dir(env: Mapping[str, str]) -> Path:
    """$XDG_DATA_HOME/behaviourbot (~/.local/share/behaviourbot by default)."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "behaviourbot"


@dataclass(frozen=True)
class Settings:
    db_path: Path
    framework_dirs: tuple[Path, ...]
    history_path: Path  # the terminal chat's line-editing history
    port: str | None = None  # $PORT as given; `behaviourbot serve` checks it (3000 if unset)
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None  # Socket Mode
    slack_api_url: str = SLACK_API_URL
    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = None
    microsoft_app_type: str | None = None  # MultiTenant (default), SingleTenant, UserAssignedMSI
    microsoft_app_tenant_id: str | None = None
    retention_days: str | None = None  # closed 360 requests kept; `behaviourbot purge` checks it
    log_format: str | None = None  # "text" or "json", as given; the command line checks it

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        db = env.get("BEHAVIOURBOT_DB")
        return cls(
            db_path=Path(db) if db else data_dir(env) / "behaviourbot.db",
            framework_dirs=tuple(extra_dirs(env.get("BEHAVIOURBOT_FRAMEWORKS"))),
            history_path=data_dir(env) / "chat-history",
            port=env.get("PORT") or None,
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_api_url=_with_slash(env.get("SLACK_API_URL") or SLACK_API_URL),
            microsoft_app_id=env.get("MicrosoftAppId") or None,
            microsoft_app_password=env.get("MicrosoftAppPassword") or None,
            microsoft_app_type=env.get("MicrosoftAppType") or None,
            microsoft_app_tenant_id=env.get("MicrosoftAppTenantId") or None,
            retention_days=env.get("BEHAVIOURBOT_RETENTION_DAYS") or None,
            log_format=env.get("BEHAVIOURBOT_LOG_FORMAT") or None,
        )
