"""The lookup feature: a query or a choice's command in, one Reply out.

Commands that choices carry name things by id, so they never depend on the resolver:
`show FW/BEHAVIOUR[/LEVEL]`, `list FW[/LEVEL]`, `cluster FW/CLUSTER`,
`compare FW/BEHAVIOUR[/LOW/HIGH]`. Everything else a person types goes through
`resolve_query`, `search WORDS` or `compare QUERY`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import replace

from bot import commands
from bot.frameworks import Behaviour, Framework, Level
from bot.lookup.advert import AdvertReader
from bot.lookup.compare import compare_levels
from bot.lookup.resolver import (
    FILLER,
    Ambiguous,
    BehaviourView,
    ClusterView,
    FrameworkView,
    Index,
    LevelNotFound,
    LevelRef,
    LevelsCompared,
    NoMatch,
    Resolution,
    SeveralLevels,
    WhichFramework,
    parse_query,
    resolve_query,
)
from bot.lookup.search import Entry, SearchIndex
from bot.render import compose
from bot.text import clean, tokens
from bot.types import Reply

MAX_QUERY_CHARS = 300
MAX_ECHO_CHARS = 80
SEARCH_SHOWN = 10
REPLY_CACHE_SIZE = 4096
_PREFIX = re.compile(r"^\s*/?\s*(?:behaviours?|behaviors?)\b[\s:,-]*|^\s*/\s*", re.IGNORECASE)
_PATH = re.compile(r"^[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*){0,3}$")
HELP_WORDS = commands.named("help").all_words
# Words that, with "star", ask what the STAR method is ("what does STAR stand for?").
STAR_WORDS = frozenset({"star", "method", "technique", "approach", "format", "model", "stand"})
# Words that name no framework, behaviour or level: a question made only of them (and
# filler) asks what there is ("list behaviours", "which competencies are there?").
KINDS = frozenset(
    {"behaviour", "behaviours", "competency", "competencies", "framework", "frameworks"}
)
GENERIC_WORDS = KINDS | {"list", "all", "every", "there", "which", "available", "know", "do"}
THANKS = frozenset({("thanks",), ("thank", "you"), ("thankyou",), ("cheers",), ("ta",), ("thx",)})


def strip_command_prefix(text: str) -> str:
    """`/behaviour leadership` and `behaviour leadership` both mean `leadership`."""
    return _PREFIX.sub("", text, count=1).strip()


def shorten(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class Lookup:
    def __init__(self, frameworks: Sequence[Framework]):
        self.frameworks = list(frameworks)
        self.index = Index(self.frameworks)
        self.search_index = SearchIndex(self.frameworks)
        self.adverts = AdvertReader(self.index)
        self._cache: dict[tuple[str, str], Reply] = {}

    # ---- entry point --------------------------------------------------------------

    def answer(self, text: str, *, platform: str = "console") -> Reply:
        """The reply to `text`: a pure function of the frameworks and the text, so replies
        (immutable) are kept in a bounded cache."""
        key = (text, platform)
        reply = self._cache.get(key)
        if reply is None:
            if len(self._cache) >= REPLY_CACHE_SIZE:
                # the oldest entry; two threads may answer at once (the web process's
                # event loop and the core's thread): one of them may have taken it
                self._cache.pop(next(iter(self._cache.copy()), None), None)
            reply = self._cache[key] = replace(self._answer(text, platform), command=text)
        return reply

    def clear_cache(self) -> None:
        self._cache.clear()

    def _answer(self, text: str, platform: str) -> Reply:
        text = strip_command_prefix(clean(text))
        if len(text) > MAX_QUERY_CHARS:
            return compose("too_long.j2", limit=MAX_QUERY_CHARS)
        verb, _, rest = text.partition(" ")
        verb = verb.casefold()
        rest = rest.strip()
        is_path = "/" in rest or (verb == "list" and rest in self.index.by_id)
        if is_path and _PATH.match(rest) and verb in ("show", "list", "compare", "cluster"):
            return self._command(verb, rest)
        folded = tokens(text)
        if (
            not folded
            or (verb in HELP_WORDS and not rest)
            or folded == ("what", "can", "you", "do")
        ):
            return self.help(platform)
        if verb in HELP_WORDS and (job := commands.job_of(rest.lstrip("/").partition(" ")[0])):
            return self.help(platform, job)
        if folded in THANKS:
            return compose("thanks.j2")
        content = {w for w in folded if w not in FILLER}
        if "star" in content and content <= STAR_WORDS:
            return compose("lookup/star.j2")
        if (verb in ("frameworks", "framework") and not rest) or (
            content <= GENERIC_WORDS and set(folded) & KINDS  # "list behaviours"
        ):
            return compose("lookup/frameworks.j2", frameworks=self.frameworks)
        if verb == "search":
            return self.search(rest)
        if verb in ("compare", "comparison", "diff"):
            return self.compare(rest)
        return self.resolution(resolve_query(self.index, text))

    def help(self, platform: str, job: str | None = None) -> Reply:
        """What the bot can do on `platform`: every job, or one job's commands in full
        (the one help of each job: `help 360` and `360 help` alike)."""
        known = commands.for_platform(platform)
        if job is not None:
            return compose("help_job.j2", job=job, commands=[c for c in known if c.job == job])
        return compose(
            "help.j2",
            frameworks=self.frameworks,
            platform=platform,
            jobs=list(commands.JOBS),
            commands=known,
        )

    # ---- commands carried by choices ----------------------------------------------

    def _command(self, verb: str, path: str) -> Reply:
        parts = path.split("/")
        fw = self.index.by_id.get(parts[0])
        behaviour = fw.behaviour(parts[1]) if fw and len(parts) > 1 else None
        levels = [fw.level(p) for p in parts[2:]] if fw else []
        if fw and None not in levels:
            if verb == "list" and len(parts) <= 2:
                level = fw.level(parts[1]) if len(parts) == 2 else None
                if len(parts) == 1 or level:
                    return self.resolution(FrameworkView(fw, level))
            if verb == "cluster" and len(parts) == 2 and (cluster := fw.cluster(parts[1])):
                return self.resolution(ClusterView(fw, cluster))
            if verb == "show" and behaviour and len(levels) <= 1:
                level = levels[0] if levels else None
                if level is None or level.id in behaviour.texts:
                    single = fw.levels_of(behaviour)
                    if level is None and len(single) == 1:
                        level = single[0]
                    return self.resolution(BehaviourView(fw, behaviour, level))
            if verb == "compare" and behaviour and len(levels) in (0, 2):
                if not levels:
                    return self._compare_pick(fw, behaviour)
                return self._compare(fw, behaviour, levels[0], levels[1])  # type: ignore[arg-type]
        return compose("unknown_command.j2", command=shorten(f"{verb} {path}"))

    # ---- resolutions --------------------------------------------------------------

    def resolution(self, r: Resolution) -> Reply:
        index = self.index
        match r:
            case BehaviourView(framework=fw, behaviour=b, level=level, also=also, ignored=ignored):
                levels = fw.levels_of(b)
                shown = [level] if level else (levels if len(levels) <= 2 else [])
                lower = None
                if level and len(levels) > 1:
                    below = [lv for lv in levels if lv.rank < level.rank]
                    lower = max(below, key=lambda lv: lv.rank) if below else None
                cluster = fw.cluster(b.cluster)
                siblings = [
                    x for x in fw.behaviours if cluster and x.cluster == b.cluster and x is not b
                ]
                return compose(
                    "lookup/behaviour.j2",
                    framework=fw,
                    behaviour=b,
                    level=level,
                    levels=levels,
                    shown=shown,
                    many_levels=len(levels) > 1,
                    lower=lower,
                    cluster=cluster,
                    siblings=siblings,
                    also=list(also),
                    ignored=list(ignored),
                    index=index,
                )
            case FrameworkView(framework=fw, level=level):
                groups = [(c, [b for b in fw.behaviours if b.cluster == c.id]) for c in fw.clusters]
                return compose("lookup/framework.j2", framework=fw, level=level, groups=groups)
            case ClusterView(framework=fw, cluster=cluster):
                members = [b for b in fw.behaviours if b.cluster == cluster.id]
                return compose("lookup/cluster.j2", framework=fw, cluster=cluster, members=members)
            case Ambiguous(candidates=candidates, levels=refs, query=query):
                return compose(
                    "lookup/ambiguous.j2",
                    candidates=self._with_levels(candidates, refs),
                    query=shorten(query),
                    index=index,
                )
            case NoMatch(query=query, suggestions=suggestions, framework=fw, levels=refs):
                return compose(
                    "lookup/no_match.j2",
                    query=shorten(query) if query else "that",
                    suggestions=self._with_levels(suggestions, refs),
                    framework=fw,
                    searchable=bool(query) and any(w.isalpha() for w in tokens(query)),
                    index=index,
                )
            case LevelNotFound(framework=fw, typed=typed, behaviour=b):
                levels = fw.levels_of(b) if b else list(fw.levels)
                return compose(
                    "lookup/level_not_found.j2",
                    framework=fw,
                    behaviour=b,
                    typed=shorten(typed),
                    levels=levels,
                )
            case LevelsCompared(framework=fw, levels=(one, two)):
                behaviours = [b for b in fw.behaviours if one.id in b.texts and two.id in b.texts]
                return compose(
                    "lookup/compare_which.j2",
                    framework=fw,
                    one=one,
                    two=two,
                    behaviours=behaviours,
                )
            case SeveralLevels(framework=fw, behaviour=b, levels=levels, compare=True):
                return self._compare(fw, b, levels[0], levels[-1])
            case SeveralLevels(framework=fw, behaviour=b, levels=levels):
                return compose("lookup/several_levels.j2", framework=fw, behaviour=b, levels=levels)
            case WhichFramework(frameworks=fws, level=ref):
                pairs = [(fw, ref.resolve(fw) if ref else None) for fw in fws]
                return compose(
                    "lookup/which_framework.j2", frameworks=pairs, typed=ref.typed if ref else ""
                )
        raise AssertionError(f"unhandled resolution {r!r}")

    def _with_levels(
        self, behaviours: Sequence[Behaviour], refs: Sequence[LevelRef]
    ) -> list[tuple[Behaviour, Level | None]]:
        """Each behaviour with the one level typed, where it has that level."""
        pairs = []
        for b in behaviours:
            resolved = [ref.resolve(self.index.framework_of(b)) for ref in refs]
            level = resolved[0] if len(resolved) == 1 else None
            pairs.append((b, level if level and level.id in b.texts else None))
        return pairs

    # ---- search and compare -------------------------------------------------------

    def search(self, query: str) -> Reply:
        """Full-text search; framework names and levels in the query narrow it down."""
        query = query.strip().strip("\"'“”‘’ ")
        if not tokens(query):
            return compose("lookup/search_empty.j2")
        parsed = parse_query(self.index, query)
        words = [w for w in parsed.typed_rest if w not in FILLER] or list(parsed.typed_rest)
        terms = " ".join(words)
        frameworks = set(parsed.framework_ids)
        scope = [self.index.by_id[f].short_name for f in parsed.framework_ids]
        levels = parsed.levels if terms else ()
        for ref in levels:
            names = {lv.name for fw in self.frameworks if (lv := ref.resolve(fw))}
            scope.append(" or ".join(sorted(names)) or ref.typed)
        if not terms:  # nothing but names and levels: search for those words themselves
            terms, frameworks, scope = query, set(), []

        def wanted(entry: Entry) -> bool:
            if frameworks and entry.framework.id not in frameworks:
                return False
            return all(
                entry.level and ref.resolve(entry.framework) == entry.level for ref in levels
            )

        hits = self.search_index.search(terms, where=wanted)
        return compose(
            "lookup/search.j2",
            query=shorten(terms),
            scope=", ".join(scope),
            hits=hits,
            shown=hits[:SEARCH_SHOWN],
            complete=bool(hits) and hits[0].complete,
            words=len({w for w in tokens(terms) if w not in FILLER}) or 1,
        )

    def compare(self, query: str) -> Reply:
        """Two levels of one behaviour; guidance when the query is not that."""
        if not tokens(query):
            return compose("lookup/compare_help.j2", query="", candidates=[], index=self.index)
        typed_levels = len(parse_query(self.index, query).levels)
        r = resolve_query(self.index, query)
        match r:
            case SeveralLevels(framework=fw, behaviour=b, levels=levels):
                return self._compare(fw, b, levels[0], levels[-1])
            case BehaviourView(framework=fw, behaviour=b, level=level) if (
                level and typed_levels > 1
            ):
                note = f"Both levels you named are {level.name}. Pick two different levels:"
                return self._compare_pick(fw, b, note)
            case BehaviourView(framework=fw, behaviour=b, level=level) if level and typed_levels:
                levels = fw.levels_of(b)
                below = [lv for lv in levels if lv.rank < level.rank]
                above = [lv for lv in levels if lv.rank > level.rank]
                if below:
                    return self._compare(fw, b, max(below, key=lambda lv: lv.rank), level)
                if above:
                    return self._compare(fw, b, level, min(above, key=lambda lv: lv.rank))
                return self._compare_pick(fw, b)
            case BehaviourView(framework=fw, behaviour=b):
                return self._compare_pick(fw, b)
            case LevelNotFound(framework=fw, behaviour=b, typed=typed) if b is not None:
                note = f"{b.name} has no level “{shorten(typed)}”. Pick two of its levels:"
                return self._compare_pick(fw, b, note)
            case Ambiguous(candidates=candidates):
                return compose(
                    "lookup/compare_help.j2", query="", candidates=candidates, index=self.index
                )
            case NoMatch(suggestions=suggestions):
                return compose(
                    "lookup/compare_help.j2",
                    query=shorten(query),
                    candidates=suggestions,
                    index=self.index,
                )
        return self.resolution(r)

    def _compare_pick(self, fw: Framework, b: Behaviour, note: str = "") -> Reply:
        levels = sorted(fw.levels_of(b), key=lambda lv: lv.rank)
        pairs = list(itertools.pairwise(levels))
        return compose(
            "lookup/compare_pick.j2",
            framework=fw,
            behaviour=b,
            levels=levels,
            pairs=pairs,
            note=note,
        )

    def _compare(self, fw: Framework, b: Behaviour, one: Level, two: Level) -> Reply:
        low, high = sorted((one, two), key=lambda lv: lv.rank)
        if low == high:
            return self.resolution(BehaviourView(fw, b, low))
        levels = fw.levels_of(b)
        lows = [lv for lv in levels if lv.rank < low.rank]
        highs = [lv for lv in levels if lv.rank > high.rank]
        return compose(
            "lookup/compare.j2",
            framework=fw,
            behaviour=b,
            low=low,
            high=high,
            result=compare_levels(b.texts[low.id], b.texts[high.id]),
            below=max(lows, key=lambda lv: lv.rank) if lows else None,
            above=min(highs, key=lambda lv: lv.rank) if highs else None,
        )
