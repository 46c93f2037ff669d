"""Microsoft Teams: the app package that installs the bot in Teams.

Teams does not host a bot; it installs an app package, a .zip holding a manifest and two
icons, and sends the bot's messages to the messaging endpoint registered for the bot's
Microsoft App ID (its Azure Bot resource). `build_package` makes that .zip, for
`behaviourbot manifest teams --app-id <GUID> --out behaviourbot-teams.zip`; upload it in
Teams (Apps, Manage your apps, Upload an app) or in the Teams admin centre.

The package follows Teams' requirements:

- Exactly three files, at the root of the zip, not in a folder: `manifest.json`,
  `color.png` and `outline.png`.
- The manifest uses schema version 1.17. Its `id` and the bot's `botId` are both the
  bot's Microsoft App ID, which must be a GUID. The app version is MAJOR.MINOR.PATCH;
  an updated package needs a higher version than the one it replaces.
- Limits kept: short name ≤ 30 characters, full name ≤ 100, short description ≤ 80, full
  description ≤ 4,000; developer URLs are https; at most 10 commands in each command list,
  each title ≤ 32 characters and description ≤ 128, one list for the personal scope and
  one for team and group chats.
- The colour icon is a full-colour 192×192 PNG, a full square with the mark inside the
  central 120×120 safe area; the outline icon is a 32×32 PNG, white on a transparent
  background (every pixel either white and opaque or fully transparent).

The icons are drawn here and written as PNG with the standard library only (zlib for the
image data and the chunk CRCs, struct for the chunk layout), so the package needs no image
files in the repository and no imaging library. The zip is reproducible: the same app id
and version give the same bytes.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from bot.render import words

SCHEMA_URL = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
)
MANIFEST_VERSION = "1.17"

WEBSITE_URL = "https://github.com/behaviourbot/behaviourbot"
PRIVACY_URL = f"{WEBSITE_URL}/blob/main/README.md#privacy"
TERMS_URL = f"{WEBSITE_URL}/blob/main/README.md#licence"


@dataclass(frozen=True)
class Developer:
    """Who publishes the app, as Teams shows it on the app's page: an organisation
    running behaviourbot for its people gives its own name and its own privacy and terms
    pages; the defaults are the project's."""

    name: str = "behaviourbot"
    website_url: str = WEBSITE_URL
    privacy_url: str = PRIVACY_URL
    terms_url: str = TERMS_URL

    def check(self) -> None:
        if not self.name.strip() or len(self.name) > 32:
            raise ValueError(
                f"The developer name {self.name!r} must be 1 to 32 characters (Teams' limit)."
            )
        for option, url in (
            ("--website-url", self.website_url),
            ("--privacy-url", self.privacy_url),
            ("--terms-url", self.terms_url),
        ):
            if not re.fullmatch(r"https://[^\s/]+\.[^\s]+", url) or len(url) > 2048:
                raise ValueError(f"{option} {url!r} must be an https:// address (Teams' rule).")


ACCENT = "#1D3A5F"
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"
MANIFEST = "manifest.json"

COLOR_SIZE = 192
OUTLINE_SIZE = 32

MAX_COMMANDS = 10  # in each command list (schema 1.17: commands maxItems 10)


def command_list(*, private: bool) -> list[dict[str, str]]:
    """The commands offered in Teams' command menu, from the command registry: in a chat
    with the bot every job's, in a team or group chat those that work there. Choosing one
    puts its title into the compose box, so each title is an example the bot answers as
    it stands; its description is the command's help line."""
    from bot import commands

    offered = commands.menu("teams", private=private)
    if len(offered) > MAX_COMMANDS:
        raise ValueError(f"Teams allows {MAX_COMMANDS} commands in a list, not {len(offered)}.")
    return [{"title": c.example, "description": c.help[:1].upper() + c.help[1:]} for c in offered]


_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_VERSION = re.compile(r"(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)")


def _check_app_id(app_id: str) -> None:
    hint = (
        "Use the bot's Microsoft App ID from its Azure Bot resource, "
        "such as 5f2f1f60-35b7-4fd5-8b5c-3e3f3c0ad1c0."
    )
    if not app_id.strip():
        raise ValueError(f"The Teams app id is empty; it must be a GUID. {hint}")
    if not _GUID.fullmatch(app_id):
        raise ValueError(
            f"The Teams app id {app_id!r} is not a GUID: it must be 32 hexadecimal digits "
            f"in groups of 8-4-4-4-12, separated by hyphens, with no braces or spaces. {hint}"
        )
    if not app_id.strip("0-"):
        raise ValueError(f"The Teams app id is all zeros, a placeholder. {hint}")


def manifest(
    app_id: str, *, version: str = "1.0.0", developer: Developer = Developer()
) -> dict[str, Any]:
    """The Teams app manifest (schema 1.17) for the bot whose Microsoft App ID is `app_id`.

    Raises ValueError if `app_id` is not a GUID, `version` is not MAJOR.MINOR.PATCH, or
    the developer's details break Teams' rules.
    """
    _check_app_id(app_id)
    developer.check()
    if not _VERSION.fullmatch(version):
        raise ValueError(
            f"The Teams app version {version!r} is not MAJOR.MINOR.PATCH, such as 1.0.0."
        )
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": developer.name,
            "websiteUrl": developer.website_url,
            "privacyUrl": developer.privacy_url,
            "termsOfUseUrl": developer.terms_url,
        },
        "name": {
            "short": "behaviourbot",
            "full": words("app/full_name.j2"),
        },
        "description": {
            "short": words("app/short_description.j2"),
            "full": words("app/full_description.j2"),
        },
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal", "team", "groupChat"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": ["personal"], "commands": command_list(private=True)},
                    {"scopes": ["team", "groupChat"], "commands": command_list(private=False)},
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


# The mark: three rising bars, for levels. Each bar is (left, right, top) as fractions of
# the square it is drawn in; every bar reaches the bottom of the square.
_BARS = ((0.0, 0.24, 0.55), (0.38, 0.62, 0.28), (0.76, 1.0, 0.0))


def _mark(size: int, inset: int) -> list[list[bool]]:
    """Which pixels of a size×size image belong to the mark, drawn `inset` pixels in."""
    span = size - 2 * inset
    grid = [[False] * size for _ in range(size)]
    for left, right, top in _BARS:
        x0, x1 = inset + round(left * span), inset + round(right * span)
        y0, y1 = inset + round(top * span), inset + span
        for y in range(y0, y1):
            for x in range(x0, x1):
                grid[y][x] = True
    return grid


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def _png(width: int, height: int, rows: list[bytes], *, alpha: bool) -> bytes:
    """A PNG, 8 bits per channel, RGB or RGBA; each row holds the pixels' channel bytes."""
    colour_type = 6 if alpha else 2
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 (None) on every row
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _rgb(hex_colour: str) -> bytes:
    return bytes.fromhex(hex_colour.removeprefix("#"))


def color_icon() -> bytes:
    """The 192×192 colour icon: white rising bars on the accent colour, as a PNG.

    The icon is full bleed (Teams masks its corners itself); the mark uses the middle 96×96
    pixels, well inside the 120×120 safe area Teams asks logos to keep to.
    """
    background, white = _rgb(ACCENT), b"\xff\xff\xff"
    inset = (COLOR_SIZE - 96) // 2
    rows = [b"".join(white if on else background for on in row) for row in _mark(COLOR_SIZE, inset)]
    return _png(COLOR_SIZE, COLOR_SIZE, rows, alpha=False)


def outline_icon() -> bytes:
    """The 32×32 outline icon: the same bars in white on a transparent background, as a PNG."""
    white, clear = b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"
    rows = [b"".join(white if on else clear for on in row) for row in _mark(OUTLINE_SIZE, 4)]
    return _png(OUTLINE_SIZE, OUTLINE_SIZE, rows, alpha=True)


def build_package(
    app_id: str, *, version: str = "1.0.0", developer: Developer = Developer()
) -> bytes:
    """The Teams app package: a zip of manifest.json, color.png and outline.png at its root.

    Raises ValueError as `manifest` does.
    """
    content = manifest(app_id, version=version, developer=developer)
    text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
    files = {
        MANIFEST: text.encode("utf-8"),
        COLOR_ICON: color_icon(),
        OUTLINE_ICON: outline_icon(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, data in files.items():
            # A fixed date and mode, so the same input always gives the same bytes.
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            package.writestr(info, data)
    return buffer.getvalue()
