"""Understanding lookup queries: `resolve_query(index, text)` -> one Resolution.

The query is read in two passes. First, phrases that are not behaviour names come out:
framework qualifiers (`civil service`, `dhs`, `cvf`), levels (`level 4`, `L4`, `lvl
four`, a bare `4`, grades such as `HEO` or `DD`, `excellence`), DHS numbers (`1.4`) and
cluster names. The words left over are matched against behaviour names and aliases in
tiers: an exact name or alias; then every word matched (exactly, by stem or typed
prefix, or with a small typo). When more than one behaviour fits equally well the
resolution is `Ambiguous`, never a guess; when none does it is `NoMatch` with the
closest names. Two levels with a word such as `vs` or `difference` ask for a comparison
(`SeveralLevels.compare`); once a level of the behaviour's framework is named, a word
naming a level only in another framework (`expectations`) is read as a plain word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from bot.frameworks import Behaviour, Cluster, Framework, Level
from bot.text import NUMBER_WORDS, fold, tokens, within_edits, word_similarity

MAX_QUERY_WORDS = 40

# Words that carry no meaning for matching a behaviour name.
FILLER = frozenset(
    [
        "show",
        "me",
        "tell",
        "about",
        "what",
        "whats",
        "is",
        "are",
        "the",
        "a",
        "an",
        "of",
        "for",
        "please",
        "define",
        "definition",
        "describe",
        "explain",
        "give",
        "see",
        "look",
        "up",
        "lookup",
        "find",
        "get",
        "behaviour",
        "behaviours",
        "competency",
        "competencies",
        "framework",
        "level",
        "grade",
        "band",
        "examples",
        "example",
        "at",
        "in",
        "on",
        "to",
        "i",
        "we",
        "my",
        "our",
        "and",
        "or",
        "with",
        "do",
        "does",
        "how",
        "which",
        "can",
        "you",
        "does",
        "look",
        "looks",
        "like",
        "mean",
        "means",
        "expected",
        "expect",
        "expectation",
        "need",
        "needed",
        "required",
        "am",
        "be",
        "as",
        "by",
        "im",
        "it",
        "its",
        "this",
        "that",
        "should",
        "would",
        "could",
        "want",
        "know",
        "someone",
        "person",
        "role",
        "job",
        "interview",
        "need",
        "so",
        "if",
        "your",
        "good",
        # asking for a list: "which behaviours apply to an EO", "list all the ..."
        "all",
        "every",
        "each",
        "list",
        "apply",
        "applies",
        "there",
        "from",
        "between",
    ]
)
# Words that ask for two levels side by side, when two levels are named.
COMPARE_WORDS = frozenset(
    {
        "compare",
        "compared",
        "comparing",
        "comparison",
        "difference",
        "differences",
        "different",
        "differ",
        "differs",
        "versus",
        "vs",
        "v",
        "change",
        "changes",
        "changing",
        "from",
        "between",
    }
)
_LEVEL_WORDS = frozenset({"level", "levels", "lvl", "lv", "lev", "l"})
_LEVEL_TOKEN = re.compile(r"^(?:level|lvl|lv|l)(\d{1,2})$")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}
_MAX_PHRASE = 6
_PLURAL_NUMBER = re.compile(r"^(\d{1,2})s$")  # "grade 7s"
_DHS_STYLE = re.compile(r"^\d+\.\d+$")


@dataclass(frozen=True)
class LevelRef:
    """A level as typed: a number, or named levels (`HEO`, `excellence`) of frameworks."""

    typed: str
    number: int | None = None
    named: tuple[tuple[str, str], ...] = ()  # (framework id, level id)

    def resolve(self, framework: Framework) -> Level | None:
        if self.number is not None:
            return next((lv for lv in framework.levels if lv.number == self.number), None)
        for fid, lid in self.named:
            if fid == framework.id:
                return framework.level(lid)
        return None


@dataclass(frozen=True)
class ParsedQuery:
    framework_ids: tuple[str, ...] = ()
    levels: tuple[LevelRef, ...] = ()
    numbered: tuple[Behaviour, ...] = ()
    clusters: tuple[tuple[str, str], ...] = ()
    words: tuple[str, ...] = ()  # content words left for name matching
    typed_rest: tuple[str, ...] = ()  # every left-over word, as folded
    exact: frozenset[str] = frozenset()  # the words left, alone or with filler around them
    compare: bool = False  # two levels or more, and words asking to compare them


# ---- resolutions -----------------------------------------------------------------


@dataclass(frozen=True)
class FrameworkView:
    framework: Framework
    level: Level | None = None


@dataclass(frozen=True)
class ClusterView:
    framework: Framework
    cluster: Cluster


@dataclass(frozen=True)
class BehaviourView:
    framework: Framework
    behaviour: Behaviour
    level: Level | None = None
    also: tuple[Behaviour, ...] = ()  # other behaviours that matched less well
    ignored: tuple[str, ...] = ()  # words that matched no name, left out


@dataclass(frozen=True)
class Ambiguous:
    candidates: tuple[Behaviour, ...]
    levels: tuple[LevelRef, ...] = ()
    query: str = ""


@dataclass(frozen=True)
class WhichFramework:
    frameworks: tuple[Framework, ...]
    level: LevelRef | None = None


@dataclass(frozen=True)
class NoMatch:
    query: str
    suggestions: tuple[Behaviour, ...] = ()
    framework: Framework | None = None
    levels: tuple[LevelRef, ...] = ()


@dataclass(frozen=True)
class LevelNotFound:
    framework: Framework
    typed: str
    behaviour: Behaviour | None = None


@dataclass(frozen=True)
class SeveralLevels:
    framework: Framework
    behaviour: Behaviour
    levels: tuple[Level, ...]
    compare: bool = False  # the question asked to compare them


@dataclass(frozen=True)
class LevelsCompared:
    """Two levels of one framework to compare, with no behaviour named ("what's the
    difference between SEO and G7?"): which behaviour is asked; the same level twice
    ("G6 vs G7") is that level."""

    framework: Framework
    levels: tuple[Level, Level]


Resolution = (
    LevelsCompared
    | FrameworkView
    | ClusterView
    | BehaviourView
    | Ambiguous
    | WhichFramework
    | NoMatch
    | LevelNotFound
    | SeveralLevels
)


# ---- the index -------------------------------------------------------------------


@dataclass(frozen=True)
class _Name:
    behaviour: Behaviour
    folded: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class _Match:
    behaviour: Behaviour
    exact_name: bool
    all_exact: bool
    mean: float
    coverage: float

    @property
    def rank(self) -> tuple[bool, bool, float, float]:
        return (self.exact_name, self.all_exact, self.mean, self.coverage)


@dataclass
class Index:
    """The frameworks, with the phrase table and name list the resolver reads."""

    frameworks: Sequence[Framework]
    phrases: dict[tuple[str, ...], list[tuple[str, ...]]] = field(default_factory=dict)
    names: list[_Name] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_id = {fw.id: fw for fw in self.frameworks}
        for fw in self.frameworks:
            for phrase in (fw.id.replace("-", " "), fw.name, fw.short_name, *fw.aliases):
                self._add_phrase(phrase, ("framework", fw.id))
            for lv in fw.levels:
                names = lv.aliases if lv.number is not None else (lv.name, *lv.aliases)
                for phrase in names:
                    self._add_phrase(phrase, ("level", fw.id, lv.id))
            for cl in fw.clusters:
                self._add_phrase(cl.name, ("cluster", fw.id, cl.id))
            for b in fw.behaviours:
                if b.number:
                    self._add_phrase(b.number, ("behaviour", fw.id, b.id))
                for name in (b.name, *b.aliases):
                    words = tuple(w for w in tokens(name) if w not in FILLER)
                    self.names.append(_Name(b, fold(name), words or tokens(name)))
        self.vocabulary = sorted({w for name in self.names for w in name.words})

    def _add_phrase(self, phrase: str, target: tuple[str, ...]) -> None:
        key = tokens(phrase)
        if key and target not in self.phrases.setdefault(key, []):
            self.phrases[key].append(target)

    def knows(self, word: str) -> bool:
        """Whether `word` matches a word of any behaviour's name or alias."""
        return any(word_similarity(word, v) > 0 for v in self.vocabulary)

    def behaviour(self, framework_id: str, behaviour_id: str) -> Behaviour | None:
        fw = self.by_id.get(framework_id)
        return fw.behaviour(behaviour_id) if fw else None

    def framework_of(self, behaviour: Behaviour) -> Framework:
        return self.by_id[behaviour.framework_id]

    def all_behaviours(self) -> Iterable[Behaviour]:
        for fw in self.frameworks:
            yield from fw.behaviours


# ---- parsing ---------------------------------------------------------------------


def _level_number(word: str) -> int | None:
    if word.isdigit() and len(word) <= 2:
        return int(word)
    return NUMBER_WORDS.get(word) or _ROMAN.get(word)


def _is_level_word(word: str) -> bool:
    return word in _LEVEL_WORDS or (len(word) >= 4 and within_edits(word, "level", 1))


def parse_query(index: Index, text: str) -> ParsedQuery:
    words = tuple(_PLURAL_NUMBER.sub(r"\1", w) for w in tokens(text)[:MAX_QUERY_WORDS])
    framework_ids: list[str] = []
    levels: list[LevelRef] = []
    numbered: list[Behaviour] = []
    clusters: list[tuple[str, str]] = []
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if m := _LEVEL_TOKEN.match(word):
            levels.append(LevelRef(word, number=int(m.group(1))))
            i += 1
            continue
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if _is_level_word(word) and (n := _level_number(nxt)) is not None:
            levels.append(LevelRef(f"{word} {nxt}", number=n))
            i += 2
            continue
        for size in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            key = words[i : i + size]
            targets = index.phrases.get(key)
            if not targets and key[-1].endswith("s") and len(key[-1]) > 2:
                # a plural of a level's name: "EOs", "deputy directors"
                targets = index.phrases.get((*key[:-1], key[-1][:-1]))
                if targets and any(t[0] != "level" for t in targets):
                    targets = None
            if targets:
                typed = " ".join(words[i : i + size])
                named = tuple((t[1], t[2]) for t in targets if t[0] == "level")
                if named:
                    levels.append(LevelRef(typed, named=named))
                for t in targets:
                    if t[0] == "framework" and t[1] not in framework_ids:
                        framework_ids.append(t[1])
                    elif t[0] == "cluster":
                        clusters.append((t[1], t[2]))
                    elif t[0] == "behaviour" and (b := index.behaviour(t[1], t[2])):
                        numbered.append(b)
                i += size
                break
        else:
            if word == "grade" and nxt.isdigit():
                # A grade no framework names (Grade 7 and 6 are aliases): never a level number.
                levels.append(LevelRef(f"grade {nxt}"))
                i += 1
            elif word.isdigit() and len(word) <= 2:
                levels.append(LevelRef(word, number=int(word)))
            else:
                rest.append(word)
            i += 1
    compare = len(levels) > 1 and any(w in COMPARE_WORDS for w in rest)
    name_words = rest
    if compare and any(w not in FILLER and w not in COMPARE_WORDS for w in rest):
        # "how does delivering at pace change from AO to EO": `change` asks to compare;
        # alone ("change from AO to EO") it is the behaviour's name.
        name_words = [w for w in rest if w not in COMPARE_WORDS]
    start, end = 0, len(name_words)
    while start < end and name_words[start] in FILLER:
        start += 1
    while end > start and name_words[end - 1] in FILLER:
        end -= 1
    # A name typed whole may begin or end with filler words ("we are collaborative").
    exact = (
        frozenset(
            " ".join(name_words[i:j])
            for i in range(start + 1)
            for j in range(end, len(name_words) + 1)
        )
        if start < end
        else frozenset()
    )
    return ParsedQuery(
        framework_ids=tuple(framework_ids),
        levels=tuple(levels),
        numbered=tuple(numbered),
        clusters=tuple(clusters),
        words=tuple(w for w in name_words if w not in FILLER and not _is_level_word(w)),
        typed_rest=tuple(rest),
        exact=exact,
        compare=compare,
    )


# ---- matching --------------------------------------------------------------------


def _score(name: _Name, words: tuple[str, ...], exact: frozenset[str]) -> tuple[_Match | None, int]:
    """A full match of every word (or None), and how many words matched at all."""
    if name.folded in exact:
        return _Match(name.behaviour, True, True, 1.0, 1.0), len(words)
    best = [max((word_similarity(w, n) for n in name.words), default=0.0) for w in words]
    matched = sum(1 for s in best if s > 0)
    if not words or matched < len(words):
        return None, matched
    used = sum(1 for n in name.words if any(word_similarity(w, n) > 0 for w in words))
    match = _Match(
        name.behaviour,
        exact_name=False,
        all_exact=all(s == 1.0 for s in best),
        mean=sum(best) / len(best),
        coverage=used / len(name.words),
    )
    return match, matched


def match_behaviours(
    index: Index, words: tuple[str, ...], exact: frozenset[str], allowed: set[str] | None
) -> tuple[list[_Match], list[Behaviour]]:
    """Full matches, best first (one per behaviour), and partial matches for suggestions."""
    full: dict[str, _Match] = {}
    partial: dict[str, tuple[float, Behaviour]] = {}
    for name in index.names:
        b = name.behaviour
        if allowed is not None and b.framework_id not in allowed:
            continue
        match, matched = _score(name, words, exact)
        if match and (b.key not in full or match.rank > full[b.key].rank):
            full[b.key] = match
        elif matched and not match:
            fraction = matched / len(words)
            if fraction > partial.get(b.key, (0.0, b))[0]:
                partial[b.key] = (fraction, b)
    ranked = sorted(full.values(), key=lambda m: m.rank, reverse=True)
    suggestions = [b for _, b in sorted(partial.values(), key=lambda p: -p[0]) if b.key not in full]
    return ranked, suggestions


def _pick(ranked: list[_Match]) -> tuple[_Match | None, list[_Match]]:
    """The one clear winner, if any; otherwise the tied candidates to ask about."""
    if not ranked:
        return None, []
    exact = [m for m in ranked if m.exact_name]
    if exact:
        return (exact[0], []) if len(exact) == 1 else (None, exact)
    all_exact = [m for m in ranked if m.all_exact]
    if len(all_exact) == 1:
        return all_exact[0], []
    if len(all_exact) > 1:
        return None, all_exact
    if len(ranked) == 1 or ranked[0].mean >= ranked[1].mean + 0.1:
        return ranked[0], []
    top = ranked[0].mean
    return None, [m for m in ranked if m.mean >= top - 0.1]


def _closest(index: Index, text: str, allowed: set[str] | None, limit: int = 3) -> list[Behaviour]:
    """Names that look most like the whole query, for a `NoMatch` with no shared words."""
    import difflib

    target = fold(text)
    scored: dict[str, tuple[float, Behaviour]] = {}
    for name in index.names:
        b = name.behaviour
        if allowed is not None and b.framework_id not in allowed:
            continue
        ratio = difflib.SequenceMatcher(None, target, name.folded).ratio()
        if ratio > scored.get(b.key, (0.0, b))[0]:
            scored[b.key] = (ratio, b)
    best = sorted(scored.values(), key=lambda s: -s[0])
    return [b for ratio, b in best[:limit] if ratio >= 0.45]


def _numbered_levels(fw: Framework) -> int:
    return sum(1 for lv in fw.levels if lv.number is not None)


def _frameworks_for_levels(index: Index, levels: tuple[LevelRef, ...]) -> set[str] | None:
    """Frameworks in which every level typed exists (None when no level was typed)."""
    if not levels:
        return None
    return {fw.id for fw in index.frameworks if all(ref.resolve(fw) for ref in levels)}


def _with_level(
    index: Index,
    behaviour: Behaviour,
    levels: tuple[LevelRef, ...],
    also: Sequence[Behaviour],
    compare: bool = False,
) -> Resolution:
    fw = index.framework_of(behaviour)
    if any(ref.resolve(fw) for ref in levels):
        # A level of this framework was named, so a word that names a level only in
        # another framework is a plain word here ("teamwork expectations for a DD").
        levels = tuple(
            ref
            for ref in levels
            if ref.number is not None or not ref.named or any(f == fw.id for f, _ in ref.named)
        )
    found: list[Level] = []
    for ref in levels:
        level = ref.resolve(fw)
        if level is None or level.id not in behaviour.texts:
            return LevelNotFound(fw, ref.typed, behaviour)
        if level not in found:
            found.append(level)
    if len(found) > 1:
        return SeveralLevels(fw, behaviour, tuple(sorted(found, key=lambda lv: lv.rank)), compare)
    if not found and len(fw.levels_of(behaviour)) == 1:
        found = fw.levels_of(behaviour)
    return BehaviourView(fw, behaviour, found[0] if found else None, tuple(also))


def resolve_query(index: Index, text: str) -> Resolution:
    """What a lookup query asks for. Never raises on any input."""
    parsed = parse_query(index, text)
    named = set(parsed.framework_ids)
    for ref in parsed.levels:
        fids = {fid for fid, _ in ref.named}
        if len(fids) == 1 and not ref.number:
            named |= fids
    allowed = named or None
    shown = " ".join(tokens(text)[:MAX_QUERY_WORDS])

    if parsed.numbered:
        candidates = [b for b in parsed.numbered if allowed is None or b.framework_id in allowed]
        if len(candidates) == 1:
            return _with_level(index, candidates[0], parsed.levels, (), parsed.compare)
        if candidates:
            return Ambiguous(tuple(candidates), parsed.levels, shown)

    if parsed.words:
        by_level = _frameworks_for_levels(index, parsed.levels)
        scope = allowed if by_level is None else (allowed or by_level) & by_level or allowed
        ranked, partial = match_behaviours(index, parsed.words, parsed.exact, scope)
        if not ranked and scope is not allowed:
            ranked, partial = match_behaviours(index, parsed.words, parsed.exact, allowed)
        if not ranked and allowed is not None:
            elsewhere, _ = match_behaviours(index, parsed.words, parsed.exact, None)
            best, _ = _pick(elsewhere)
            if best and not parsed.framework_ids:
                # The framework was only implied by a level word of another framework.
                return _with_level(index, best.behaviour, parsed.levels, (), parsed.compare)
            partial = [m.behaviour for m in elsewhere[:4]] + partial
        winner, tied = _pick(ranked)
        if winner:
            also = [m.behaviour for m in ranked if m is not winner][:3]
            return _with_level(index, winner.behaviour, parsed.levels, also, parsed.compare)
        if tied:
            return Ambiguous(tuple(m.behaviour for m in tied[:8]), parsed.levels, shown)
        known = tuple(w for w in parsed.words if index.knows(w))
        if known and len(known) < len(parsed.words):
            # Some words match no name at all: answer from the others only when they
            # point at one behaviour exactly, and say which words were left out.
            ranked, _ = match_behaviours(index, known, frozenset(), allowed)
            winner, _ = _pick(ranked)
            if winner and winner.all_exact:
                also = [m.behaviour for m in ranked if m is not winner][:3]
                ignored = tuple(w for w in parsed.words if w not in known)
                resolution = _with_level(
                    index, winner.behaviour, parsed.levels, also, parsed.compare
                )
                if isinstance(resolution, BehaviourView):
                    return replace(resolution, ignored=ignored)
                return resolution
        suggestions = partial[:4] or _closest(index, " ".join(parsed.words), allowed)
        if not suggestions and all(_DHS_STYLE.match(w) for w in parsed.words):
            suggestions = [b for b in index.all_behaviours() if b.number][:8]
        fw = index.by_id[next(iter(named))] if len(named) == 1 else None
        if parsed.compare and all(w in COMPARE_WORDS for w in parsed.words):
            compared = _levels_compared(index, parsed.levels)
            if compared is not None:
                return compared
        return NoMatch(" ".join(parsed.typed_rest), tuple(suggestions), fw, parsed.levels)

    if parsed.clusters:
        fid, cid = parsed.clusters[0]
        fw = index.by_id[fid]
        cluster = fw.cluster(cid)
        if cluster:
            return ClusterView(fw, cluster)

    if len(named) > 1:
        return WhichFramework(tuple(index.by_id[f] for f in sorted(named)))
    if named:
        fw = index.by_id[next(iter(named))]
        if not parsed.levels:
            return FrameworkView(fw)
        level = parsed.levels[0].resolve(fw)
        return FrameworkView(fw, level) if level else LevelNotFound(fw, parsed.levels[0].typed)
    if parsed.levels:
        ref = parsed.levels[0]
        fits = [fw for fw in index.frameworks if ref.resolve(fw)]
        if len(fits) == 1:
            return FrameworkView(fits[0], ref.resolve(fits[0]))
        if fits:
            return WhichFramework(tuple(fits), ref)
        # No framework has it: explain with the levels of the one with the most numbers.
        return LevelNotFound(max(index.frameworks, key=_numbered_levels), ref.typed)
    return NoMatch(shown)


def _levels_compared(
    index: Index, levels: tuple[LevelRef, ...]
) -> LevelsCompared | FrameworkView | None:
    """The first framework in which the first two levels named both exist."""
    for fw in index.frameworks:
        one, two = levels[0].resolve(fw), levels[1].resolve(fw)
        if one is not None and two is not None:
            if one.id == two.id:
                return FrameworkView(fw, one)
            pair = (one, two) if one.rank <= two.rank else (two, one)
            return LevelsCompared(fw, pair)
    return None
