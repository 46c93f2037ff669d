"""The one analysis of a STAR answer that everything shows: the step feedback while
drafting, the review, practice, exports and `behaviourbot review`.

`analyse` takes the parts (as drafted) or a whole answer (found by `bot.star.parts`) and
returns a `Review`: the length against the limit, "I" and "we" in the Action, evidence
in the Result with its strength, vague and unsupported wording by part
(`bot.star.language`), coverage of the level's indicators from the Action and the Result
only, and the framework's own way of judging (`judge`): the Civil Service 1 to 7 scale
for its behaviours, the DHS "Achieved Excellence" and "Achieved Expectations"
descriptions, the CVF indicators for policing; always a self-check, never a score.
Each check keeps the very words that led to it, so the reply can say why. Wording lives
in prompts/star/; nothing here talks to a person or a service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from bot.star.language import Evidence, Vague, Voice, evidence, vague, voice
from bot.star.language import stem as snowball
from bot.star.parts import find_parts
from bot.text import canonical, count_words, sentences, words, wordset

PARTS = ("situation", "task", "action", "result", "learned")
STAR = PARTS[:4]
DEFAULT_TARGET = 250  # words: the common limit for a written behaviour statement

# The balance guide, as shares of the STAR total: (lowest, highest).
BALANCE = {
    "situation": (0.0, 0.20),
    "task": (0.0, 0.15),
    "action": (0.40, 1.0),
    "result": (0.10, 1.0),
}

BANDS = {
    1: "Not demonstrated",
    2: "Minimal",
    3: "Moderate",
    4: "Acceptable",
    5: "Good",
    6: "Strong",
    7: "Outstanding",
}

# Chinese and Japanese are written without spaces: each character counts as a word.


# ---- length and balance --------------------------------------------------------------


@dataclass(frozen=True)
class Length:
    counts: Mapping[str, int]  # per part, the optional "learned" included
    total: int  # the whole example, "learned" included: the one count (see `example_words`)
    target: int
    over: bool  # over the target: more words than it allows
    short: bool  # under half the target
    shares: Mapping[str, float]  # each STAR part's share of the four STAR parts
    imbalances: tuple[str, ...]  # "situation-long", "task-long", "action-small", ...
    largest: str | None  # the STAR part with the most words


def example_words(parts: Mapping[str, str]) -> int:
    """The words of an example as drafting, review and export say them: every part,
    "What you learned" included (it is exported, so it is counted)."""
    return sum(count_words(parts.get(part, "")) for part in PARTS)


def length(parts: Mapping[str, str], target: int = DEFAULT_TARGET) -> Length:
    counts = {part: count_words(parts.get(part, "")) for part in PARTS}
    total = example_words(parts)
    star_total = sum(counts[p] for p in STAR)
    shares = {p: (counts[p] / star_total if star_total else 0.0) for p in STAR}
    imbalances: list[str] = []
    if star_total:
        for part, (low, high) in BALANCE.items():
            if round(shares[part] * 100) > round(high * 100):  # as the review shows it
                imbalances.append(f"{part}-long")
            elif shares[part] < low:
                imbalances.append(f"{part}-small")
        if max(STAR, key=lambda p: counts[p]) != "action" and "action-small" not in imbalances:
            imbalances.append("action-not-largest")
    largest = max(STAR, key=lambda p: counts[p]) if star_total else None
    return Length(
        counts=counts,
        total=total,
        target=target,
        over=total > target,
        short=total < target / 2,
        shares=shares,
        imbalances=tuple(imbalances),
        largest=largest,
    )


# ---- vague wording and the passive -----------------------------------------------------


_IRREGULAR = wordset(
    "made given taken done seen shown written chosen told held kept built sent brought found "
    "led set put run won paid met begun drawn grown known thought understood spent lost "
    "taught caught bought sold left"
)
# Adjectives that look like participles ("I was interested"): not a hidden actor.
_NOT_PASSIVE = wordset(
    "interested concerned based tired pleased surprised worried excited located supposed "
    "used bored scared frightened delighted disappointed shocked convinced determined "
    "prepared qualified experienced skilled talented motivated committed engaged "
    "married retired ashamed amazed annoyed confused satisfied involved adopted praised "
    "commended recognised recognized approved awarded thanked"
)  # the last of these are what came of it, shown as evidence, not a hidden actor
_PASSIVE_RE = re.compile(
    r"(?<!could )(?<!can )(?<!would )(?<!should )(?<!might )(?<!may )(?<!will )(?<!must )"
    r"(?<!to )\b(?:am|is|are|was|were|be|been|being)\s+(?:\w+ly\s+)?(\w+ed|"
    + "|".join(sorted(_IRREGULAR))
    + r")\b(?!\s+by\b)",
    re.I,
)


def passive(text: str) -> tuple[str, ...]:
    """Passive phrases that hide who acted: "was decided", "were made"."""
    return tuple(
        dict.fromkeys(
            m.group(0).lower()
            for m in _PASSIVE_RE.finditer(text)
            if m.group(1).lower() not in _NOT_PASSIVE
        )
    )


# ---- coverage of the level's indicators ------------------------------------------------


STOPWORDS = wordset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    either every few for from further had has have having he her here hers him his how i
    if in into is it its itself just me more most my myself no nor not now of off on once
    only or other our ours out over own same she should so some such than that the their
    theirs them then there these they this those through to too under until up very was
    we were what when where which while who whom why will with within without would you
    your yours yourself others ensure ensuring make making take taking use using work
    working way ways well wider whole within across able need needs new key part clear
    clearly set"""
)

# Words a person uses for what the frameworks say in other words: a stem starting with
# any of these prefixes counts as the concept on the right.
CONCEPTS = {
    "team": "team colleague staff people employee workforce",
    "motivat": "motivat encourag energis enthus inspir",
    "stakeholder": "stakeholder partner customer client",
    "view": "view opinion idea concern suggest perspectiv",
    "listen": "listen welcom invit consult",
    "challeng": "challeng disagre object",
    "stand": "stand stood defend",
    "decid": "decid decision",
    "inclusion": "diversit diverse inclus includ equal fair",
    "engag": "engag",
    "differen": "differen",
    "improv": "improv",
    "chang": "chang",
    "cost": "cost budget fund",
    "deliver": "deliver achiev complet",
}
# What may follow a concept's prefix: word endings, so that "objected" is a challenge
# but "objectives" is not, nor "standardise" a stand, "fundamental" a cost.
_ENDINGS = wordset(
    """s e es ed d ing ings ion ions ation ations ational ive ively ity ities y ies ly
    ness er ers ment ments ement ements ce ces t tly ship ships ional iasm iastic al ally
    ate ated ates ating"""
) | {""}
_CONCEPT_OF = sorted(
    ((prefix, concept) for concept, prefixes in CONCEPTS.items() for prefix in prefixes.split()),
    key=lambda pair: -len(pair[0]),
)


def stem(word: str) -> str:
    """`concept_stem`, cached for real-sized words only (a made-up 30,000-letter word is
    not kept after its review)."""
    return concept_stem(word) if len(word) <= 40 else _concept_stem(word)


@lru_cache(maxsize=16384)
def concept_stem(word: str) -> str:
    return _concept_stem(word)


def _concept_stem(word: str) -> str:
    """A rough stem, mapped to its concept: 'motivated' and 'inspire' both give 'motivat',
    'teams' and 'colleagues' both 'team'."""
    word = word.casefold().replace("’", "'").split("'")[0]
    for prefix, concept in _CONCEPT_OF:
        if word.startswith(prefix) and word[len(prefix) :] in _ENDINGS:
            return concept
    return snowball(word)


def content_stems(text: str) -> dict[str, str]:
    """stem -> the first word that gave it, for the content words of `text`."""
    out: dict[str, str] = {}
    for word in words(text):
        if word.casefold() in STOPWORDS or len(word) < 3 or word.isdigit():
            continue
        folded = word.casefold()
        if len(folded) <= 40:  # "recognized" as "recognised"; made-up words never cached
            folded = canonical(folded)
        out.setdefault(stem(folded), word)
    return out


def indicators(level_text: str | Sequence[str]) -> tuple[str, ...]:
    """The indicator sentences of a level: a paragraph split into its sentences, or the
    framework's own list."""
    if isinstance(level_text, str):
        return tuple(sentences(level_text))
    return tuple(level_text)


@dataclass(frozen=True)
class Coverage:
    indicator: str
    grade: str  # "clear", "partial" or "none"
    matched: tuple[str, ...]  # the indicator's words found in the example
    share: float


def coverage(level_indicators: Sequence[str], example: str) -> tuple[Coverage, ...]:
    """For each indicator, how much of its content the example speaks to: clear when at
    least two fifths of its content words (or their near forms and concepts) appear, or
    four of them; partial with two of them, or a third (one word of a short indicator).
    A concept (CONCEPTS) counts as its word: "motivated" for "inspire"."""
    return coverage_of(level_indicators, content_stems(example))


def coverage_of(level_indicators: Sequence[str], said: Mapping[str, str]) -> tuple[Coverage, ...]:
    """`coverage` of an example whose `content_stems` are `said` (found once for an
    example weighed against several behaviours)."""
    out = []
    for indicator in level_indicators:
        wanted = content_stems(indicator)
        found = [s for s in wanted if s in said]
        matched = tuple(said[s] for s in found)  # in the example's own words
        share = len(matched) / len(wanted) if wanted else 0.0
        if (share >= 0.4 and len(matched) >= 2) or len(matched) >= 4:
            grade = "clear"
        elif len(matched) >= 2 or share >= 0.3:
            grade = "partial"  # two of its words (or their concepts), or a third of them
        else:
            grade = "none"
        out.append(Coverage(indicator, grade, matched, share))
    return tuple(out)


# ---- the framework's own judgement -----------------------------------------------------


@dataclass(frozen=True)
class Standard:
    """What an answer is judged against: the framework, the chosen level's indicators,
    and every level's indicators, highest first (for DHS, Excellence then Expectations)."""

    framework: str  # the framework's id: "civil-service", "dhs-ses", "policing-cvf", …
    level: str  # the chosen level's name
    indicators: tuple[str, ...]
    levels: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class BandStep:
    reason: str  # a template key, e.g. "coverage", "evidence", "we", "length"
    change: int
    detail: str = ""


@dataclass(frozen=True)
class Judgement:
    """The framework's way of judging, as a self-check: `scale` is "civil-service" (a
    band of 1 to 7), "dhs" (the level the answer reads as) or "cvf" (indicators shown)."""

    scale: str
    value: int | str
    name: str
    steps: tuple[BandStep, ...] = ()
    detail: Mapping[str, object] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # what the next level up asks for that is not shown


def civil_service_band(
    measured: Length, spoken: Voice, strength: str, cover: Sequence[Coverage], vague_count: int
) -> tuple[int, tuple[BandStep, ...]]:
    """The indicative band on the Civil Service 1 to 7 scale and how it was reached."""
    if not measured.total:
        return 1, (BandStep("empty", 0),)
    clear = sum(c.grade == "clear" for c in cover)
    partial = sum(c.grade == "partial" for c in cover)
    score = (clear + partial / 2) / len(cover) if cover else 0.0
    start = 1 + int(score * 3 + 0.5)  # 1 to 4 from evidence of the level alone, halves up
    steps = [BandStep("coverage", start, f"{clear}/{partial}/{len(cover)}")]
    if cover and clear * 2 >= len(cover):
        steps.append(BandStep("clear", +1))
    if strength in ("strong", "some"):
        steps.append(BandStep("evidence", +1))
    elif strength == "claims":
        steps.append(BandStep("claims-only", 0))
    else:
        steps.append(BandStep("no-evidence", -1))
    if spoken.i and not spoken.mostly_we:
        steps.append(BandStep("own-actions", +1))
    else:
        steps.append(BandStep("we", -1))
    if any(i in measured.imbalances for i in ("action-small", "action-not-largest")):
        steps.append(BandStep("action-small", -1))
    if measured.over:
        steps.append(BandStep("over", -1))
    if vague_count >= 3:
        steps.append(BandStep("vague", -1))
    total = sum(s.change for s in steps)
    return max(1, min(7, total)), tuple(steps)


def judge(
    standard: Standard | None,
    measured: Length,
    spoken: Voice,
    strength: str,
    cover: Sequence[Coverage],
    vague_count: int,
    shown: str,
    recognised: bool = False,
) -> Judgement | None:
    """Each framework's own way of judging, from the same checks."""
    if standard is None or not standard.indicators:
        return None
    if standard.framework == "civil-service":
        value, steps = civil_service_band(measured, spoken, strength, cover, vague_count)
        return Judgement("civil-service", value, BANDS[value], steps)
    clear = sum(c.grade == "clear" for c in cover)
    partial = sum(c.grade == "partial" for c in cover)
    if standard.framework == "dhs-ses" and standard.levels:
        # How much of each description the answer shows, then whether its evidence and its
        # own part carry that far: Excellence asks for a clear match and for results
        # others recognise (a reaction or an adoption), Expectations for some evidence.
        read: dict[str, float] = {}
        clear_at: dict[str, int] = {}
        for name, level_indicators in standard.levels:
            levelled = coverage(level_indicators, shown)
            read[name] = sum(
                {"clear": 1.0, "partial": 0.5}.get(c.grade, 0) for c in levelled
            ) / max(len(levelled), 1)
            clear_at[name] = sum(c.grade == "clear" for c in levelled)
        names = [name for name, _ in standard.levels]  # highest first
        own = bool(spoken.i) and not spoken.mostly_we
        needs = {
            "clear": bool(clear_at[names[0]]),
            "recognised": recognised,
            "strong": strength == "strong",
            "own": own,
        }
        missing = tuple(need for need, met in needs.items() if not met)
        if not missing:
            value = names[0]
        elif strength in ("strong", "some") and own and max(read.values()) > 0:
            value = names[-1]
        else:
            value = "Not yet shown"
        detail = {name: round(share, 2) for name, share in read.items()}
        return Judgement("dhs", value, value, detail=detail, missing=missing)
    total = len(cover)
    return Judgement(
        "cvf" if standard.framework == "policing-cvf" else "indicators",
        clear,
        f"{clear} of {total}",
        detail={"clear": clear, "partial": partial, "total": total},
    )


# ---- the whole analysis ----------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    parts: Mapping[str, str]
    left_out: tuple[str, ...]  # labels, headings, tags and questions not counted
    length: Length
    voice: Voice  # of the Action
    evidence: tuple[Evidence, ...]  # in the Result
    strength: str  # "strong", "some", "claims" (only claims) or "none"
    vague: tuple[Vague, ...]  # vague and unsupported wording, every part, in order
    passive: Mapping[str, tuple[str, ...]]  # per part: "was decided"
    coverage: tuple[Coverage, ...]  # from the Action and the Result only
    judgement: Judgement | None
    gaps: tuple[Coverage, ...]  # the indicators to add evidence for, most important first
    follow_ups: tuple[str, ...] = field(default=())  # keys, see `follow_ups`

    @property
    def claims(self) -> tuple[Vague, ...]:
        """Claims in the Result that nothing supports: "dramatically improved"."""
        return tuple(v for v in self.vague if v.kind == "claim" and v.part == "result")

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence)

    def evidence_of(self, kind: str) -> tuple[str, ...]:
        return tuple(e.text for e in self.evidence if e.kind == kind)

    @property
    def evidence_kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.kind for e in self.evidence))

    def vague_in(self, part: str) -> tuple[Vague, ...]:
        return tuple(v for v in self.vague if v.part == part)

    @property
    def band(self) -> int | None:
        """The Civil Service band, for Civil Service answers only."""
        j = self.judgement
        return int(j.value) if j and j.scale == "civil-service" else None


def strength_of(found: Sequence[Evidence], claimed: Sequence[Vague]) -> str:
    """How strong the Result's evidence is: "strong" with a figure and another kind, or an
    attributed reaction or adoption with anything else; "some" with one; "claims" when
    there are only claims; "none"."""
    kinds = {e.kind for e in found}
    if len(kinds) >= 2 or (len(found) >= 2 and kinds & {"figure"}):
        return "strong"
    if found:
        return "some"
    return "claims" if claimed else "none"


def analyse(
    answer: str | Mapping[str, str],
    standard: Standard | None = None,
    *,
    target: int = DEFAULT_TARGET,
) -> Review:
    """The analysis of an answer: a whole answer (its parts found) or its parts."""
    if isinstance(answer, str):
        found = find_parts(answer, evidence=evidence)
        parts, left_out = found.parts, found.left_out
    else:
        parts, left_out = {p: answer[p] for p in PARTS if answer.get(p)}, ()
    spoken = voice(parts.get("action", ""))
    shown = evidence(parts.get("result", ""))
    worded = tuple(v for p in PARTS if parts.get(p) for v in vague(parts[p], p))
    claimed = tuple(v for v in worded if v.kind == "claim" and v.part == "result")
    strength = strength_of(shown, claimed)
    read = Review(
        parts=parts,
        left_out=left_out,
        length=length(parts, target),
        voice=spoken,
        evidence=shown,
        strength=strength,
        vague=worded,
        passive={
            p: found
            for p in ("task", "action", "result")  # the scene and the lesson name no actor
            if parts.get(p) and (found := passive(parts[p]))
        },
        coverage=(),
        judgement=None,
        gaps=(),
    )
    return judged(read, standard)


def judged(review: Review, standard: Standard | None) -> Review:
    """`review` against `standard`: the coverage and what follows from it, the rest of
    the analysis (the text's own) kept, so one example is read once however many
    behaviours it is weighed against."""
    done = " ".join(review.parts.get(p, "") for p in ("action", "result"))
    cover = coverage(standard.indicators, done) if standard else ()
    recognised = any(e.kind in ("reaction", "adoption") for e in review.evidence)
    judgement = judge(
        standard,
        review.length,
        review.voice,
        review.strength,
        cover,
        len(review.vague),
        done,
        recognised,
    )
    # The most important gaps: nothing shown first, then partial, in the level's order.
    gaps = tuple(c for c in cover if c.grade == "none") + tuple(
        c for c in cover if c.grade == "partial"
    )
    return replace(
        review,
        coverage=cover,
        judgement=judgement,
        gaps=gaps[:2],
        follow_ups=follow_ups(review.voice, review.strength, gaps),
    )


def follow_ups(spoken: Voice, strength: str, gaps: Sequence[Coverage]) -> tuple[str, ...]:
    """Three questions an interviewer would likely ask next, weak spots first, as keys
    ("we", "evidence", "gap", "hardest", …) that prompts/star/review.j2 words."""
    weak = (
        ("we", spoken.mostly_we or not spoken.i),
        ("evidence", strength in ("none", "claims")),
        ("gap", bool(gaps)),
    )
    keys = [key for key, is_weak in weak if is_weak]
    keys += ["hardest", "differently", "disagree", "impact"]
    return tuple(keys[:3])


def as_json(review: Review) -> dict[str, object]:
    """The analysis as one JSON object (`behaviourbot review --json`)."""
    j = review.judgement
    return {
        "parts": {p: review.parts.get(p) or None for p in PARTS},
        "left_out": list(review.left_out),
        "words": review.length.total,
        "limit": review.length.target,
        "over_limit": review.length.total > review.length.target,
        "part_words": dict(review.length.counts),
        "action_pronouns": {"i": review.voice.i, "we": review.voice.we},
        "mostly_we": review.voice.mostly_we,
        "evidence": [{"kind": e.kind, "text": e.text} for e in review.evidence],
        "has_evidence": review.has_evidence,
        "evidence_strength": review.strength,
        "vague": [{"phrase": v.phrase, "part": v.part, "kind": v.kind} for v in review.vague],
        "passive": {p: list(found) for p, found in review.passive.items()},
        "coverage": [
            {"indicator": c.indicator, "grade": c.grade, "matched": list(c.matched)}
            for c in review.coverage
        ],
        "band": None
        if j is None
        else {
            "scale": j.scale,
            "value": j.value,
            "name": j.name,
            "self_check": True,
            "steps": [{"reason": s.reason, "change": s.change} for s in j.steps],
            **({"detail": dict(j.detail)} if j.detail else {}),
            **({"missing": list(j.missing)} if j.missing else {}),
        },
        "follow_ups": list(review.follow_ups),
    }
