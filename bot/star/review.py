"""The review of a STAR example: small, pure, deterministic checks, each explained.

Every check takes text (and, for coverage, the level's indicator sentences) and returns
what it found: counts and the very words that led to each judgement, so the reply can
say why. Wording lives in prompts/star/; nothing here talks to a person or a service.

The band is an indicative self-check on the Civil Service 1-7 scale, derived from the
checks by a published rule (`band`), never an assessor's score.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.text import count_words, sentences, words

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
    over: bool  # more than 10% over the target
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
            if shares[part] > high:
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
        over=total > target * 1.1,
        short=total < target / 2,
        shares=shares,
        imbalances=tuple(imbalances),
        largest=largest,
    )


# ---- "I" and "we" --------------------------------------------------------------------

_SINGULAR = re.compile(r"\b(?:i|me|my|mine|myself|i'm|i've|i'd|i'll)\b", re.I)
_PLURAL = re.compile(r"\b(?:we|us|our|ours|ourselves|we're|we've|we'd|we'll)\b", re.I)


@dataclass(frozen=True)
class Voice:
    i: int
    we: int
    mostly_we: bool  # the person hides behind the team


def voice(text: str) -> Voice:
    text = text.replace("’", "'")
    i = len(_SINGULAR.findall(text))
    we = len(_PLURAL.findall(text))
    return Voice(i=i, we=we, mostly_we=we > i)


# ---- evidence in the result ----------------------------------------------------------

_EVIDENCE = {
    # (no \b before a number: "从41%提高到68%" has none)
    "a percentage": r"(?<![0-9A-Za-z.])\d+(?:\.\d+)?\s?(?:%|per ?cent\b)",
    "a number": r"(?<![0-9A-Za-z.])£?\$?€?\d(?:[\d,]*\d)?(?:\.\d+)?(?![\d%])(?!\s?(?:%|per ?cent))",
    "a time": (
        r"\b(?:hours?|days?|weeks?|months?|years?|minutes?|deadline|ahead of schedule|"
        r"on time|early|earlier|faster|quicker|sooner)\b"
    ),
    "a comparison": (
        r"\b(?:from\s+\S+(?:\s+\S+)?\s+to|increased|reduced|decreased|improved|doubled|halved|"
        r"cut|fewer|more than|less than|up from|down from|rose|fell|grew|saved|higher|lower|"
        r"better than|compared with)\b"
    ),
    "feedback": (
        r"\b(?:feedback|praised|thanked|commended|recognised|recognized|award(?:ed)?|"
        r"survey|rated|said (?:that|it)|told me|wrote to|compliment(?:ed)?|endorsed)\b"
    ),
}
_EVIDENCE_RE = {kind: re.compile(pattern, re.I) for kind, pattern in _EVIDENCE.items()}


@dataclass(frozen=True)
class Evidence:
    found: Mapping[str, tuple[str, ...]]  # kind -> the words that show it

    @property
    def any(self) -> bool:
        return bool(self.found)


def evidence(text: str) -> Evidence:
    found: dict[str, tuple[str, ...]] = {}
    for kind, pattern in _EVIDENCE_RE.items():
        matches = tuple(dict.fromkeys(m.group(0).strip() for m in pattern.finditer(text)))
        if matches:
            found[kind] = matches[:4]
    return Evidence(found)


# ---- vague wording and the passive -----------------------------------------------------

VAGUE = (
    "various",
    "things",
    "stuff",
    "helped with",
    "helped to",
    "tried to",
    "etc",
    "et cetera",
    "and so on",
    "a lot",
    "lots of",
    "somehow",
    "basically",
    "kind of",
    "sort of",
    "involved in",
    "was responsible for",
    "assisted with",
    "dealt with",
    "worked on",
    "took part in",
    "some issues",
    "certain",
)
_VAGUE_RE = re.compile(r"\b(?:" + "|".join(re.escape(v) for v in VAGUE) + r")\b\.?", re.I)


def _wordlist(text: str) -> frozenset[str]:
    return frozenset(text.split())


_IRREGULAR = _wordlist(
    "made given taken done seen shown written chosen told held kept built sent brought found "
    "led set put run won paid met begun drawn grown known thought understood spent lost "
    "taught caught bought sold left"
)
# Adjectives that look like participles ("I was interested"): not a hidden actor.
_NOT_PASSIVE = _wordlist(
    "interested concerned based tired pleased surprised worried excited located supposed "
    "used bored scared frightened delighted disappointed shocked convinced determined "
    "prepared qualified experienced skilled talented motivated committed engaged "
    "married retired ashamed amazed annoyed confused satisfied"
)
_PASSIVE_RE = re.compile(
    r"\b(?:am|is|are|was|were|be|been|being)\s+(?:\w+ly\s+)?(\w+ed|"
    + "|".join(sorted(_IRREGULAR))
    + r")\b(?!\s+by\b)",
    re.I,
)


@dataclass(frozen=True)
class Wording:
    vague: tuple[str, ...]  # each vague phrase as written, once
    passive: tuple[str, ...]  # "was decided", "were made": who did it?


def wording(text: str) -> Wording:
    vague = tuple(dict.fromkeys(m.group(0).rstrip(".").lower() for m in _VAGUE_RE.finditer(text)))
    passive = tuple(
        dict.fromkeys(
            m.group(0).lower()
            for m in _PASSIVE_RE.finditer(text)
            if m.group(1).lower() not in _NOT_PASSIVE
        )
    )
    return Wording(vague=vague, passive=passive)


# ---- coverage of the level's indicators ------------------------------------------------


STOPWORDS = _wordlist(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    either every few for from further had has have having he her here hers him his how i
    if in into is it its itself just me more most my myself no nor not now of off on once
    only or other our ours out over own same she should so some such than that the their
    theirs them then there these they this those through to too under until up very was
    we were what when where which while who whom why will with within without would you
    your yours yourself others ensure ensuring make making take taking use using work
    working way ways well wider whole within across able need needs new key part"""
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
_ENDINGS = _wordlist(
    """s e es ed d ing ings ion ions ation ations ational ive ively ity ities y ies ly
    ness er ers ment ments ement ements ce ces t tly ship ships ional iasm iastic al ally
    ate ated ates ating"""
) | {""}
_CONCEPT_OF = sorted(
    ((prefix, concept) for concept, prefixes in CONCEPTS.items() for prefix in prefixes.split()),
    key=lambda pair: -len(pair[0]),
)
_SUFFIXES = (
    "ations", "ation", "ments", "ment", "ingly", "ing", "edly", "ed", "ies", "es", "s", "ly",
    "e",
)  # fmt: skip


def stem(word: str) -> str:
    """A rough stem, mapped to its concept: 'motivated' and 'inspire' both give 'motivat',
    'teams' and 'colleagues' both 'team'."""
    word = word.casefold().replace("’", "'").split("'")[0]
    for prefix, concept in _CONCEPT_OF:
        if word.startswith(prefix) and word[len(prefix) :] in _ENDINGS:
            return concept
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> dict[str, str]:
    """stem -> the first word that gave it, for the content words of `text`."""
    out: dict[str, str] = {}
    for word in words(text):
        if word.casefold() in STOPWORDS or len(word) < 3 or word.isdigit():
            continue
        out.setdefault(stem(word), word)
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
    four of them; partial from a sixth, or when one of its concepts (CONCEPTS) does."""
    said = content_stems(example)
    out = []
    for indicator in level_indicators:
        wanted = content_stems(indicator)
        found = [s for s in wanted if s in said]
        matched = tuple(said[s] for s in found)  # in the example's own words
        share = len(matched) / len(wanted) if wanted else 0.0
        if (share >= 0.4 and len(matched) >= 2) or len(matched) >= 4:
            grade = "clear"
        elif matched and (share >= 0.15 or any(s in CONCEPTS for s in found)):
            grade = "partial"  # a sixth of its words, or one of its concepts
        else:
            grade = "none"
        out.append(Coverage(indicator, grade, matched, share))
    return tuple(out)


# ---- the whole review ------------------------------------------------------------------


@dataclass(frozen=True)
class BandStep:
    reason: str  # a template key, e.g. "coverage", "evidence", "we", "length"
    change: int
    detail: str = ""


@dataclass(frozen=True)
class Review:
    length: Length
    voice: Voice  # of the Action
    evidence: Evidence  # in the Result
    wording: Mapping[str, Wording]  # per part
    coverage: tuple[Coverage, ...]
    band: int
    band_steps: tuple[BandStep, ...]
    gaps: tuple[Coverage, ...]  # the indicators to add evidence for, most important first
    follow_ups: tuple[str, ...] = field(default=())  # keys, see `follow_ups`

    @property
    def band_name(self) -> str:
        return BANDS[self.band]


def band(
    length: Length, voice: Voice, evidence: Evidence, cover: Sequence[Coverage], vague: int
) -> tuple[int, tuple[BandStep, ...]]:
    """The indicative band and how it was reached, step by step."""
    if not length.total:
        return 1, (BandStep("empty", 0),)
    clear = sum(c.grade == "clear" for c in cover)
    partial = sum(c.grade == "partial" for c in cover)
    score = (clear + partial / 2) / len(cover) if cover else 0.0
    start = 1 + round(score * 4)  # 1 to 5 from evidence of the level alone
    steps = [BandStep("coverage", start, f"{clear}/{partial}/{len(cover)}")]
    if evidence.any:
        steps.append(BandStep("evidence", +1))
    else:
        steps.append(BandStep("no-evidence", -1))
    if not voice.mostly_we and voice.i:
        steps.append(BandStep("own-actions", +1))
    else:
        steps.append(BandStep("we", -1))
    if any(i in length.imbalances for i in ("action-small", "action-not-largest")):
        steps.append(BandStep("action-small", -1))
    if length.over:
        steps.append(BandStep("over", -1))
    if vague >= 4:
        steps.append(BandStep("vague", -1))
    total = sum(s.change for s in steps)
    return max(1, min(7, total)), tuple(steps)


def review(
    parts: Mapping[str, str],
    level_indicators: Sequence[str],
    *,
    target: int = DEFAULT_TARGET,
) -> Review:
    example = " ".join(parts.get(p, "") for p in PARTS)
    measured = length(parts, target)
    spoken = voice(parts.get("action", ""))
    shown = evidence(parts.get("result", ""))
    worded = {p: wording(parts.get(p, "")) for p in PARTS if parts.get(p)}
    cover = coverage(level_indicators, example)
    vague = sum(len(w.vague) for w in worded.values())
    level_band, steps = band(measured, spoken, shown, cover, vague)
    # The most important gaps: nothing shown first, then partial, in the level's order.
    gaps = tuple(c for c in cover if c.grade == "none") + tuple(
        c for c in cover if c.grade == "partial"
    )
    return Review(
        length=measured,
        voice=spoken,
        evidence=shown,
        wording=worded,
        coverage=cover,
        band=level_band,
        band_steps=steps,
        gaps=gaps[:2],
        follow_ups=follow_ups(spoken, shown, gaps),
    )


def follow_ups(spoken: Voice, shown: Evidence, gaps: Sequence[Coverage]) -> tuple[str, ...]:
    """Three questions an interviewer would likely ask next, weak spots first, as keys
    ("we", "evidence", "gap", "hardest", …) that prompts/star/review.j2 words."""
    keys = [
        key
        for key, weak in (("we", spoken.mostly_we), ("evidence", not shown.any), ("gap", gaps))
        if weak
    ]
    keys += ["hardest", "differently", "disagree", "impact"]
    return tuple(keys[:3])


# ---- finding the STAR parts in a free answer ---------------------------------------

# A label starts the text, a line or a sentence, and is followed by a colon or a spaced
# dash: "Task: …", "Result – …"; never "results-driven" or "a task-force".
_LABEL = re.compile(
    r"(?:^|(?<=\n)|(?<=[.!?]\s))\s*(situation|task|actions?|results?|outcome|"
    r"what i learn(?:ed|t)|learn(?:ed|t)|lessons?(?: learn(?:ed|t))?)(?:\s*:|\s+[-–—])\s*",
    re.I,
)
_LABEL_PART = {
    "situation": "situation",
    "task": "task",
    "action": "action",
    "actions": "action",
    "result": "result",
    "results": "result",
    "outcome": "result",
}
_CUES = {
    "learned": (
        r"\b(?:i learn(?:ed|t)|i have learn(?:ed|t)|lessons?|next time|in future|looking back|"
        r"on reflection|i would now|i now)\b"
    ),
    "result": (
        r"\b(?:as a result|the result|resulted|outcome|in the end|by the end|ended up|"
        r"which meant|this meant|that meant|led to|achieved|we delivered|we cleared|"
        r"feedback|praised|thanked|commended|survey)\b|\d\s?(?:%|per ?cent)"
    ),
    "task": (
        r"\b(?:my (?:role|task|job|responsibility|goal|aim|remit)|i was (?:asked|responsible|"
        r"tasked|given|appointed|brought in)|i needed to|i had to|i was required|"
        r"the (?:goal|aim|objective|task) was|i set out to)\b"
    ),
    "action": r"\b(?:i|we)\b",
}
_CUE_RE = {part: re.compile(pattern, re.I) for part, pattern in _CUES.items()}


def find_parts(answer: str) -> dict[str, str]:
    """The STAR parts of an answer given in one go. Labels ("Situation:", "Result -")
    are followed where the person wrote them; otherwise each sentence is placed by its
    cues: the opening scene is the Situation, "my role was", "I had to" the Task, what
    "I" or "we" did the Action, outcomes and evidence after it the Result, and "I
    learned" or "next time" what was learned. Parts not found are left out."""
    labelled = list(_LABEL.finditer(answer))
    if len(labelled) >= 2:
        found: dict[str, list[str]] = {}
        before = answer[: labelled[0].start()].strip()
        for part, text in _by_cues(before).items():  # words before the first label stay
            found[part] = [text]
        for n, label in enumerate(labelled):
            end = labelled[n + 1].start() if n + 1 < len(labelled) else len(answer)
            name = label.group(1).casefold()
            part = _LABEL_PART.get(name, "learned")
            text = answer[label.end() : end].strip()
            if text:
                found.setdefault(part, []).append(text)
        return {p: " ".join(found[p]) for p in PARTS if p in found}
    return _by_cues(answer)


def _by_cues(answer: str) -> dict[str, str]:
    """Each sentence placed by its cues (see `find_parts`)."""
    placed: dict[str, list[str]] = {}
    acted = False
    for sentence in sentences(answer):
        if acted and _CUE_RE["learned"].search(sentence):
            part = "learned"
        elif acted and (_CUE_RE["result"].search(sentence) or evidence_only(sentence)):
            part = "result"
        elif _CUE_RE["task"].search(sentence) and "action" not in placed:
            part = "task"
        elif _CUE_RE["action"].search(sentence) and ("task" in placed or "situation" in placed):
            part, acted = "action", True
        elif not acted and "task" not in placed:
            part = "situation"
        else:
            part = "action" if "result" not in placed else "result"
        if part == "learned" and "result" not in placed and "action" not in placed:
            part = "action"
        placed.setdefault(part, []).append(sentence)
    return {p: " ".join(placed[p]) for p in PARTS if p in placed}


def evidence_only(sentence: str) -> bool:
    """A sentence that reports a change in numbers ("the wait fell from 14 weeks to 5")."""
    shown = evidence(sentence).found
    return "a comparison" in shown and ("a number" in shown or "a percentage" in shown)
