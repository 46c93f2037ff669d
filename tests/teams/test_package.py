"""The Teams app package: three files at the root, a manifest within Teams' limits, real PNGs."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from adapters.teams.package import build_package, color_icon, manifest, outline_icon
from bot import commands
from tests.conftest import FakeAdapter, text_of

APP_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ACCENT = (0x1D, 0x3A, 0x5F)
WHITE = (0xFF, 0xFF, 0xFF)


@dataclass
class Png:
    width: int
    height: int
    bit_depth: int
    colour_type: int
    pixels: list[list[tuple[int, ...]]]  # rows of pixels, each a tuple of channel values


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(data: bytes) -> Png:
    """Parse an 8-bit, non-interlaced RGB or RGBA PNG, checking its structure and every CRC."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG signature"
    chunks: list[tuple[bytes, bytes]] = []
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert len(body) == length, f"{kind!r} chunk is truncated"
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC in {kind!r} chunk"
        chunks.append((kind, body))
        pos += 12 + length
    assert pos == len(data), "bytes after the last chunk"
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds, kinds
    assert chunks[-1][1] == b"", "IEND must be empty"

    ihdr = chunks[0][1]
    assert len(ihdr) == 13
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", ihdr
    )
    assert (compression, filtering, interlace) == (0, 0, 0)
    assert depth == 8 and colour in (2, 6), (depth, colour)
    channels = 3 if colour == 2 else 4

    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * channels
    assert len(raw) == height * (1 + stride), "image data is the wrong size"
    pixels = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (1 + stride)
        kind, row = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        assert kind <= 4, f"unknown filter type {kind} in row {y}"
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, up_left))[kind]
            row[i] = (row[i] + predictor) & 0xFF
        pixels.append([tuple(row[x : x + channels]) for x in range(0, stride, channels)])
        previous = row
    return Png(width, height, depth, colour, pixels)


def unzip(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


# The package


def test_the_package_holds_exactly_the_three_files_at_its_root() -> None:
    package = build_package(APP_ID)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        infos = archive.infolist()
        assert archive.testzip() is None
    assert sorted(info.filename for info in infos) == ["color.png", "manifest.json", "outline.png"]
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in infos)
    assert not any(info.is_dir() for info in infos)


def test_the_package_manifest_is_indented_utf8_json_and_names_the_icons_it_holds() -> None:
    files = unzip(build_package(APP_ID))
    text = files["manifest.json"].decode("utf-8")
    assert text.startswith('{\n  "$schema": ')
    parsed = json.loads(text)
    assert parsed == manifest(APP_ID)
    assert sorted(parsed["icons"].values()) == ["color.png", "outline.png"]
    assert files[parsed["icons"]["color"]] == color_icon()
    assert files[parsed["icons"]["outline"]] == outline_icon()


def test_the_package_is_the_same_bytes_each_time() -> None:
    assert build_package(APP_ID) == build_package(APP_ID)
    assert build_package(APP_ID) != build_package("3F2504E0-4F89-41D3-9A0C-0305E82C3302")


def test_the_package_carries_the_version_given() -> None:
    files = unzip(build_package(APP_ID, version="2.3.4"))
    assert json.loads(files["manifest.json"])["version"] == "2.3.4"


# The manifest


def test_the_manifest_identifies_the_bot_by_its_app_id() -> None:
    m = manifest(APP_ID)
    assert m["$schema"] == (
        "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
    )
    assert m["manifestVersion"] == "1.17"
    assert m["version"] == "1.0.0"
    assert m["id"] == APP_ID
    [bot] = m["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False
    assert m["permissions"] == ["identity", "messageTeamMembers"]
    assert m["validDomains"] == []
    assert m["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert m["accentColor"] == "#1D3A5F"
    assert m["developer"]["name"] == "behaviourbot"
    assert m["name"]["short"] == "behaviourbot"


def test_an_upper_case_app_id_is_a_guid_too() -> None:
    upper = APP_ID.upper()
    m = manifest(upper)
    assert m["id"] == upper
    assert m["bots"][0]["botId"] == upper


def test_names_and_descriptions_are_within_teams_limits() -> None:
    m = manifest(APP_ID)
    assert 0 < len(m["developer"]["name"]) <= 32
    assert 0 < len(m["name"]["short"]) <= 30
    assert 0 < len(m["name"]["full"]) <= 100
    assert m["name"]["full"] != m["name"]["short"]
    assert 0 < len(m["description"]["short"]) <= 80
    assert 0 < len(m["description"]["full"]) <= 4000
    assert m["description"]["full"] != m["description"]["short"]


def test_the_app_name_and_descriptions_cover_every_job() -> None:
    """What Teams shows before anyone installs the app names each job, not only lookups."""
    from tests.slack.test_manifest import names_every_job

    m = manifest(APP_ID)
    for text in (m["name"]["full"], m["description"]["short"], m["description"]["full"]):
        assert names_every_job(text) == [], text


def _urls(value: Any, key: str = "") -> list[str]:
    """Every string in the manifest held under a key ending in Url, or that looks like a URL."""
    if isinstance(value, dict):
        return [url for k, v in value.items() for url in _urls(v, k)]
    if isinstance(value, list):
        return [url for v in value for url in _urls(v, key)]
    if isinstance(value, str) and (key.lower().endswith("url") or "://" in value):
        return [value]
    return []


def test_every_url_is_https() -> None:
    m = manifest(APP_ID)
    urls = _urls(m)
    developer = m["developer"]
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert developer[key] in urls
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.netloc, url
    assert developer["websiteUrl"] == "https://github.com/behaviourbot/behaviourbot"
    assert developer["privacyUrl"].startswith(developer["websiteUrl"] + "/")
    assert developer["termsOfUseUrl"].startswith(developer["websiteUrl"] + "/")


def test_command_lists_cover_each_scope_once_within_teams_limits() -> None:
    [bot] = manifest(APP_ID)["bots"]
    lists = bot["commandLists"]
    assert [entry["scopes"] for entry in lists] == [["personal"], ["team", "groupChat"]]
    assert len(lists) <= 3  # schema 1.17: commandLists maxItems 3
    covered = [scope for entry in lists for scope in entry["scopes"]]
    assert sorted(covered) == sorted(bot["scopes"])
    for entry in lists:
        commands = entry["commands"]
        assert 0 < len(commands) <= 10
        titles = [c["title"] for c in commands]
        assert len(set(titles)) == len(titles)
        for command in commands:
            assert set(command) == {"title", "description"}
            assert 0 < len(command["title"]) <= 32, command
            assert 0 < len(command["description"]) <= 128, command


def test_a_registry_offering_more_than_teams_allows_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    eleven = commands.COMMANDS[:1] * 11
    monkeypatch.setattr(commands, "menu", lambda platform, *, private: eleven)
    with pytest.raises(ValueError, match="Teams allows 10 commands in a list, not 11"):
        manifest(APP_ID)


def _titles(scope: str) -> list[str]:
    [bot] = manifest(APP_ID)["bots"]
    [entry] = [e for e in bot["commandLists"] if scope in e["scopes"]]
    return [c["title"] for c in entry["commands"]]


def test_the_personal_command_list_covers_every_job() -> None:
    """A chat with the bot offers every job (not only lookups); a channel, the lookups."""
    by_example = {c.example: c for c in commands.COMMANDS}
    jobs = {by_example[title].job for title in _titles("personal")}
    assert jobs >= {"lookup", "prepare", "360", "develop"}
    assert {"prep leadership level 4", "360", "plan", "expectations"} <= set(_titles("personal"))
    for title in _titles("team"):
        assert not by_example[title].private, title
    assert {"help", "leadership level 4", "search wellbeing"} <= set(_titles("team"))


@pytest.mark.parametrize("title", sorted(set(_titles("personal") + _titles("team"))))
def test_each_command_title_is_a_query_the_bot_answers(chat: FakeAdapter, title: str) -> None:
    # Picking a command puts its title in the compose box, so the title must work as typed.
    said = " ".join(text_of(reply) for reply in chat.send(text=title))
    assert said and "No match for" not in said, said


# Bad input


@pytest.mark.parametrize(
    "app_id",
    [
        "not-a-guid",
        "3f2504e0-4f89-41d3-9a0c-0305e82c330",  # a digit short
        "3f2504e0-4f89-41d3-9a0c-0305e82c33011",  # a digit over
        "3f2504e04f8941d39a0c0305e82c3301",  # no hyphens
        "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}",  # braces
        " 3f2504e0-4f89-41d3-9a0c-0305e82c3301",  # a space
        "3f2504e0-4f89-41d3-9a0c-0305e82c3301\n",  # a newline
        "g3f2504e-4f89-41d3-9a0c-0305e82c3301",  # not hexadecimal
    ],
)
def test_an_app_id_that_is_not_a_guid_is_refused_by_name(app_id: str) -> None:
    with pytest.raises(ValueError, match="is not a GUID") as caught:
        manifest(app_id)
    assert repr(app_id) in str(caught.value)
    with pytest.raises(ValueError, match="is not a GUID"):
        build_package(app_id)


@pytest.mark.parametrize("app_id", ["", "   "])
def test_an_empty_app_id_is_refused(app_id: str) -> None:
    with pytest.raises(ValueError, match="app id is empty; it must be a GUID"):
        manifest(app_id)
    with pytest.raises(ValueError, match="app id is empty"):
        build_package(app_id)


@pytest.mark.parametrize("version", ["", "1", "1.0", "v1.0.0", "1.0.0.0", "01.0.0", "1.0.x"])
def test_a_version_that_is_not_major_minor_patch_is_refused(version: str) -> None:
    with pytest.raises(ValueError, match=r"is not MAJOR\.MINOR\.PATCH"):
        manifest(APP_ID, version=version)


# The icons


def test_the_png_reader_notices_a_bad_crc() -> None:
    data = bytearray(outline_icon())
    data[-20] ^= 0xFF  # a byte inside the IDAT chunk's data
    with pytest.raises(AssertionError, match="bad CRC"):
        read_png(bytes(data))


def test_the_colour_icon_is_a_full_bleed_192_square_with_a_white_mark_in_the_safe_area() -> None:
    png = read_png(color_icon())
    assert (png.width, png.height, png.bit_depth, png.colour_type) == (192, 192, 8, 2)
    assert len(png.pixels) == 192 and all(len(row) == 192 for row in png.pixels)
    colours = {pixel for row in png.pixels for pixel in row}
    assert colours == {ACCENT, WHITE}
    for x, y in [(0, 0), (191, 0), (0, 191), (191, 191)]:
        assert png.pixels[y][x] == ACCENT
    white = [(x, y) for y, row in enumerate(png.pixels) for x, p in enumerate(row) if p == WHITE]
    assert len(white) > 192 * 192 // 20
    # the mark keeps inside the central 120×120 safe area
    assert all(36 <= x < 156 and 36 <= y < 156 for x, y in white)


def test_the_outline_icon_is_32_square_white_on_transparent() -> None:
    png = read_png(outline_icon())
    assert (png.width, png.height, png.bit_depth, png.colour_type) == (32, 32, 8, 6)
    assert len(png.pixels) == 32 and all(len(row) == 32 for row in png.pixels)
    pixels = [pixel for row in png.pixels for pixel in row]
    for pixel in pixels:
        assert pixel == (255, 255, 255, 255) or pixel[3] == 0, pixel
    white = sum(pixel == (255, 255, 255, 255) for pixel in pixels)
    assert white >= 32
    assert white < len(pixels)  # some of it is transparent background
    assert png.pixels[0][0][3] == 0


# The command line


def test_the_manifest_command_writes_the_package(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from adapters.cli import main

    out = tmp_path / "pkg.zip"
    assert main(["manifest", "teams", "--app-id", APP_ID, "--out", str(out)]) == 0
    assert out.read_bytes() == build_package(APP_ID)
    assert "upload it in Teams" in capsys.readouterr().out
    assert main(["manifest", "teams", "--app-id", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "is not a GUID" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_the_slack_manifest_command_prints_json(capsys) -> None:  # type: ignore[no-untyped-def]
    from adapters.cli import main

    assert main(["manifest", "slack", "--url", "https://bot.example.org"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["settings"]["event_subscriptions"]["request_url"] == (
        "https://bot.example.org/slack/events"
    )
    assert main(["manifest", "slack", "--url", "http://bot.example.org"]) == 2


def test_the_developer_details_are_the_operators_choice(tmp_path: Path) -> None:
    from adapters.cli import main

    out = tmp_path / "pkg.zip"
    options = ["--developer", "Example Department", "--website-url", "https://intranet.example"]
    options += ["--privacy-url", "https://intranet.example/privacy"]
    options += ["--terms-url", "https://intranet.example/terms"]
    assert main(["manifest", "teams", "--app-id", APP_ID, "--out", str(out), *options]) == 0
    with zipfile.ZipFile(out) as package:
        developer = json.loads(package.read("manifest.json"))["developer"]
    assert developer == {
        "name": "Example Department",
        "websiteUrl": "https://intranet.example",
        "privacyUrl": "https://intranet.example/privacy",
        "termsOfUseUrl": "https://intranet.example/terms",
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--privacy-url", "http://intranet.example/privacy"], "--privacy-url 'http://"),
        (["--terms-url", "intranet.example/terms"], "--terms-url 'intranet"),
        (["--developer", "x" * 33], "1 to 32 characters"),
        (["--app-id", "00000000-0000-0000-0000-000000000000"], "all zeros"),
        (["--out", "/no/such/folder/pkg.zip"], "cannot write /no/such/folder/pkg.zip"),
    ],
)
def test_bad_package_options_are_refused_without_a_traceback(
    capsys,
    options: list[str],
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    from adapters.cli import main

    out = ["--out", "/no/such/folder/pkg.zip"]
    assert main(["manifest", "teams", "--app-id", APP_ID, *out, *options]) == 2
    assert message in capsys.readouterr().err
