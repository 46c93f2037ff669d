"""Frameworks as data: the schema, loading with validation, and the verbatim check.

One TOML file per framework (schema in frameworks/README.md). A file that breaks the
schema raises `FrameworkError`, whose problems each name the file, the field and what
is wrong. `check_sources` proves that every text served occurs verbatim in the
framework's source document, after the source fixes the file records.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bot.text import fold

SCHEMA_VERSION = 1
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

LevelText = str | tuple[str, ...]  # a paragraph, or a list of indicators


@dataclass(frozen=True)
class Problem:
    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


class FrameworkError(Exception):
    """One or more framework files are broken; `problems` says where and why."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Level:
    id: str
    name: str
    detail: str | None
    rank: int
    aliases: tuple[str, ...]

    @property
    def number(self) -> int | None:
        return int(self.id) if self.id.isdigit() else None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.detail})" if self.detail else self.name


@dataclass(frozen=True)
class Cluster:
    id: str
    name: str


@dataclass(frozen=True)
class Behaviour:
    framework_id: str
    id: str
    name: str
    number: str | None
    aliases: tuple[str, ...]
    definition: str | None
    note: str | None
    cluster: str | None
    texts: dict[str, LevelText]  # level id -> text

    @property
    def key(self) -> str:
        return f"{self.framework_id}/{self.id}"

    @property
    def label(self) -> str:
        return f"{self.number} {self.name}" if self.number else self.name


@dataclass(frozen=True)
class SourceFix:
    find: str
    replace: str
    reason: str


@dataclass(frozen=True)
class Framework:
    id: str
    name: str
    short_name: str
    publisher: str | None
    description: str | None
    item: str  # what one entry is called: "behaviour", "competency"
    aliases: tuple[str, ...]
    levels: tuple[Level, ...]
    clusters: tuple[Cluster, ...]
    behaviours: tuple[Behaviour, ...]
    source: Path | None
    source_fixes: tuple[SourceFix, ...]
    path: Path

    def level(self, level_id: str) -> Level | None:
        return next((lv for lv in self.levels if lv.id == level_id), None)

    def behaviour(self, behaviour_id: str) -> Behaviour | None:
        return next((b for b in self.behaviours if b.id == behaviour_id), None)

    def cluster(self, cluster_id: str | None) -> Cluster | None:
        return next((c for c in self.clusters if c.id == cluster_id), None)

    def levels_of(self, behaviour: Behaviour) -> list[Level]:
        """The framework's levels that this behaviour has text for, in display order."""
        return [lv for lv in self.levels if lv.id in behaviour.texts]

    def served_texts(self) -> Iterable[tuple[str, str]]:
        """(field, text) for every text the bot shows that comes from the source."""
        yield "name", self.name
        if self.description:
            yield "description", self.description
        for i, lv in enumerate(self.levels):
            yield f"levels[{i}].name", lv.name
            if lv.detail:
                yield f"levels[{i}].detail", lv.detail
        for i, cl in enumerate(self.clusters):
            yield f"clusters[{i}].name", cl.name
        for i, b in enumerate(self.behaviours):
            where = f"behaviours[{i}]"
            yield f"{where}.name", b.name
            for attr in ("number", "definition", "note"):
                value = getattr(b, attr)
                if value:
                    yield f"{where}.{attr}", value
            for level_id, text in b.texts.items():
                items = (text,) if isinstance(text, str) else text
                for j, item in enumerate(items):
                    suffix = "" if isinstance(text, str) else f"[{j}]"
                    yield f"{where}.levels.{level_id}{suffix}", item


class _Reader:
    """Reads one parsed TOML table, collecting problems instead of stopping at the first."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = str(path)
        self.problems = problems

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, field, message))

    def check_keys(self, table: dict[str, Any], where: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.problem(_join(where, key), f"unknown field (allowed here: {hint})")

    def text(self, table: dict[str, Any], where: str, key: str, *, required: bool) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.problem(_join(where, key), "missing (a non-empty string is required)")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(_join(where, key), f"must be a non-empty string, not {_describe(value)}")
            return None
        return value

    def slug(self, table: dict[str, Any], where: str, key: str) -> str | None:
        value = self.text(table, where, key, required=True)
        if value is not None and not _SLUG.match(value):
            self.problem(
                _join(where, key),
                f"{value!r} must be lower case letters, digits, '.', '_' or '-'",
            )
            return None
        return value

    def aliases(self, table: dict[str, Any], where: str) -> tuple[str, ...]:
        value = table.get("aliases", [])
        if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
            self.problem(_join(where, "aliases"), "must be a list of non-empty strings")
            return ()
        return tuple(value)

    def tables(self, table: dict[str, Any], key: str, *, required: bool) -> list[dict[str, Any]]:
        value = table.get(key)
        if value is None:
            if required:
                self.problem(key, f"missing (at least one [[{key}]] table is required)")
            return []
        if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
            self.problem(key, f"must be an array of tables ([[{key}]]), not {_describe(value)}")
            return []
        if required and not value:
            self.problem(key, f"must have at least one [[{key}]] table")
        return value


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return "an empty string"
    return {list: "a list", dict: "a table", bool: "true/false", int: "a number"}.get(
        type(value), type(value).__name__
    )


def _unique(reader: _Reader, items: list[tuple[str, str | None]], what: str) -> None:
    seen: dict[str, str] = {}
    for field, value in items:
        if value is None:
            continue
        if value in seen:
            reader.problem(field, f"duplicate {what} {value!r} (also at {seen[value]})")
        else:
            seen[value] = field


_FRAMEWORK_KEYS = {
    "schema_version",
    "id",
    "name",
    "short_name",
    "publisher",
    "description",
    "item",
    "aliases",
    "source",
    "source_fixes",
    "levels",
    "clusters",
    "behaviours",
}
_LEVEL_KEYS = {"id", "name", "detail", "rank", "aliases"}
_BEHAVIOUR_KEYS = {"id", "name", "number", "aliases", "definition", "note", "cluster", "levels"}


def parse_framework(path: Path, data: dict[str, Any], problems: list[Problem]) -> Framework | None:
    """Validate one parsed framework file; on problems, append them and return None."""
    r = _Reader(path, problems)
    before = len(problems)
    r.check_keys(data, "", _FRAMEWORK_KEYS)
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        r.problem("schema_version", f"must be {SCHEMA_VERSION}, not {version!r}")
    fid = r.slug(data, "", "id")
    name = r.text(data, "", "name", required=True)
    short_name = r.text(data, "", "short_name", required=False)
    publisher = r.text(data, "", "publisher", required=False)
    description = r.text(data, "", "description", required=False)
    item = r.text(data, "", "item", required=False) or "behaviour"
    aliases = r.aliases(data, "")

    source: Path | None = None
    source_text = r.text(data, "", "source", required=False)
    if source_text:
        source = (path.parent / source_text).resolve()

    fixes: list[SourceFix] = []
    for i, t in enumerate(r.tables(data, "source_fixes", required=False)):
        where = f"source_fixes[{i}]"
        r.check_keys(t, where, {"find", "replace", "reason"})
        find = r.text(t, where, "find", required=True)
        reason = r.text(t, where, "reason", required=True)
        replace = t.get("replace")
        if not isinstance(replace, str):
            r.problem(f"{where}.replace", "missing (a string is required)")
        elif find and reason:
            fixes.append(SourceFix(find, replace, reason))

    levels: list[Level] = []
    for i, t in enumerate(r.tables(data, "levels", required=True)):
        where = f"levels[{i}]"
        r.check_keys(t, where, _LEVEL_KEYS)
        lid = r.slug(t, where, "id")
        lname = r.text(t, where, "name", required=True)
        detail = r.text(t, where, "detail", required=False)
        rank = t.get("rank", i + 1)
        if not isinstance(rank, int) or isinstance(rank, bool):
            r.problem(f"{where}.rank", f"must be a whole number, not {_describe(rank)}")
            rank = i + 1
        if lid and lname:
            levels.append(Level(lid, lname, detail, rank, r.aliases(t, where)))
    _unique(r, [(f"levels[{i}].id", lv.id) for i, lv in enumerate(levels)], "level id")
    _unique(r, [(f"levels[{i}].rank", str(lv.rank)) for i, lv in enumerate(levels)], "level rank")
    level_ids = [lv.id for lv in levels]

    clusters: list[Cluster] = []
    for i, t in enumerate(r.tables(data, "clusters", required=False)):
        where = f"clusters[{i}]"
        r.check_keys(t, where, {"id", "name"})
        cid, cname = r.slug(t, where, "id"), r.text(t, where, "name", required=True)
        if cid and cname:
            clusters.append(Cluster(cid, cname))
    cluster_ids = {c.id for c in clusters}

    behaviours: list[Behaviour] = []
    for i, t in enumerate(r.tables(data, "behaviours", required=True)):
        where = f"behaviours[{i}]"
        r.check_keys(t, where, _BEHAVIOUR_KEYS)
        bid = r.slug(t, where, "id")
        bname = r.text(t, where, "name", required=True)
        number = r.text(t, where, "number", required=False)
        cluster = r.text(t, where, "cluster", required=False)
        if cluster is not None and cluster not in cluster_ids:
            known = ", ".join(sorted(cluster_ids)) or "none defined"
            r.problem(f"{where}.cluster", f"{cluster!r} is not a cluster id (known: {known})")
        texts = _level_texts(r, t.get("levels"), f"{where}.levels", level_ids)
        if bid and bname and texts:
            behaviours.append(
                Behaviour(
                    framework_id=fid or "",
                    id=bid,
                    name=bname,
                    number=number,
                    aliases=r.aliases(t, where),
                    definition=r.text(t, where, "definition", required=False),
                    note=r.text(t, where, "note", required=False),
                    cluster=cluster,
                    texts=texts,
                )
            )
    _unique(r, [(f"behaviours[{i}].id", b.id) for i, b in enumerate(behaviours)], "behaviour id")
    _unique(
        r,
        [(f"behaviours[{i}].number", b.number) for i, b in enumerate(behaviours)],
        "behaviour number",
    )
    _check_aliases(r, levels, behaviours)

    if len(problems) > before or not (fid and name):
        return None
    return Framework(
        id=fid,
        name=name,
        short_name=short_name or name,
        publisher=publisher,
        description=description,
        item=item,
        aliases=aliases,
        levels=tuple(levels),
        clusters=tuple(clusters),
        behaviours=tuple(behaviours),
        source=source,
        source_fixes=tuple(fixes),
        path=path,
    )


def _level_texts(r: _Reader, value: Any, where: str, level_ids: list[str]) -> dict[str, LevelText]:
    if not isinstance(value, dict) or not value:
        r.problem(where, "missing (a table of level id = text is required)")
        return {}
    texts: dict[str, LevelText] = {}
    for level_id, text in value.items():
        field = f"{where}.{level_id}"
        if level_id not in level_ids:
            r.problem(
                field, f"{level_id!r} is not one of the framework's levels ({', '.join(level_ids)})"
            )
        elif isinstance(text, str) and text.strip():
            texts[level_id] = text
        elif (
            isinstance(text, list) and text and all(isinstance(x, str) and x.strip() for x in text)
        ):
            texts[level_id] = tuple(text)
        else:
            r.problem(field, "must be a non-empty string or a non-empty list of non-empty strings")
    return texts


def _check_aliases(r: _Reader, levels: list[Level], behaviours: list[Behaviour]) -> None:
    """An alias must point at one thing in its framework, or queries could not be resolved."""
    owners: dict[str, str] = {}
    entries: list[tuple[str, str]] = []
    for i, lv in enumerate(levels):
        entries += [(f"levels[{i}].aliases", a) for a in lv.aliases]
    for i, b in enumerate(behaviours):
        entries += [(f"behaviours[{i}].name", b.name)]
        entries += [(f"behaviours[{i}].aliases", a) for a in b.aliases]
    for field, alias in entries:
        key = fold(alias)
        if not key:
            r.problem(field, f"{alias!r} has no letters or digits to match on")
        elif key in owners and owners[key].split(".")[0] != field.split(".")[0]:
            r.problem(field, f"{alias!r} also names {owners[key].split('.')[0]}")
        else:
            owners.setdefault(key, field)


def load_file(path: Path) -> Framework:
    """Load and validate one framework file, raising FrameworkError with every problem."""
    problems: list[Problem] = []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FrameworkError([Problem(str(path), "(file)", exc.strerror or str(exc))]) from exc
    except UnicodeDecodeError as exc:
        raise FrameworkError(
            [Problem(str(path), "(file)", f"not UTF-8 text ({exc.reason})")]
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError([Problem(str(path), "(syntax)", f"not valid TOML: {exc}")]) from exc
    framework = parse_framework(path, data, problems)
    if framework is None:
        raise FrameworkError(problems)
    return framework


def builtin_dir() -> Path:
    """The frameworks shipped with behaviourbot (works from a checkout or an install)."""
    return Path(str(resources.files("frameworks")))


def framework_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.toml") if p.is_file())


def extra_dirs(value: str | None) -> list[Path]:
    """Directories named by BEHAVIOURBOT_FRAMEWORKS (os.pathsep-separated)."""
    return [Path(p) for p in (value or "").split(os.pathsep) if p.strip()]


def load_all(extra: Sequence[Path] = ()) -> list[Framework]:
    """Load the built-in frameworks plus every *.toml in `extra` directories."""
    problems: list[Problem] = []
    frameworks: list[Framework] = []
    files = framework_files(builtin_dir())
    for directory in extra:
        if not directory.is_dir():
            problems.append(Problem(str(directory), "(directory)", "not found or not a directory"))
            continue
        files += framework_files(directory)
    for path in files:
        try:
            frameworks.append(load_file(path))
        except FrameworkError as exc:
            problems.extend(exc.problems)
    seen: dict[str, Path] = {}
    for fw in frameworks:
        if fw.id in seen:
            problems.append(
                Problem(str(fw.path), "id", f"{fw.id!r} is already used by {seen[fw.id]}")
            )
        seen.setdefault(fw.id, fw.path)
    if problems:
        raise FrameworkError(problems)
    return frameworks


def check_sources(framework: Framework) -> list[Problem]:
    """Every served text must occur verbatim in the source, after the recorded fixes."""
    if framework.source is None:
        return []
    path = str(framework.path)
    try:
        text = framework.source.read_text(encoding="utf-8")
    except OSError as exc:
        return [Problem(path, "source", f"cannot read {framework.source}: {exc.strerror}")]
    problems: list[Problem] = []
    for i, fix in enumerate(framework.source_fixes):
        if fix.find not in text:
            problems.append(
                Problem(path, f"source_fixes[{i}].find", "does not occur in the source")
            )
        text = text.replace(fix.find, fix.replace)
    for field, served in framework.served_texts():
        if served not in text:
            problems.append(
                Problem(
                    path, field, f"not found verbatim in {framework.source.name}: {served[:60]!r}"
                )
            )
    return problems
