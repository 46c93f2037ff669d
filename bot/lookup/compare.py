"""What a higher level of a behaviour adds to a lower one.

Each sentence (or indicator) of the higher level is compared with the sentences of the
lower level by the share of its content words (matched by stem) found there. Under
`NEW_BELOW` it is new at the higher level; otherwise it builds on the lower sentence
it shares most with. Words of the higher level found nowhere in the lower one are
listed as its new key words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.frameworks import LevelText
from bot.lookup.resolver import FILLER
from bot.text import canonical, sentences, word_similarity

NEW_BELOW = 0.35
MAX_KEY_WORDS = 8
_WORD = re.compile(r"[A-Za-z][A-Za-z’'-]*[A-Za-z]")
# Words too common in the frameworks to say anything about a level.
_GENERIC = frozenset(
    [
        "ensure",
        "own",
        "others",
        "where",
        "needed",
        "needs",
        "work",
        "working",
        "role",
        "roles",
        "team",
        "teams",
        "take",
        "make",
        "all",
        "any",
        "their",
        "them",
        "they",
        "from",
        "into",
        "across",
        "within",
        "both",
        "when",
        "whilst",
        "while",
        "this",
        "that",
        "these",
        "those",
        "which",
        "who",
        "have",
        "has",
        "been",
        "being",
        "more",
        "most",
        "other",
        "such",
        "than",
        "will",
        "would",
        "also",
        "way",
        "ways",
        "way",
        "able",
        "help",
        "including",
        "including",
        "using",
        "use",
        "well",
    ]
)


def pieces(text: LevelText) -> list[str]:
    return sentences(text) if isinstance(text, str) else list(text)


def _words(sentence: str) -> list[tuple[str, str]]:
    """(as written, folded) content words of a sentence, in order."""
    out = []
    for raw in _WORD.findall(sentence):
        folded = canonical(raw.casefold().replace("’", "").replace("'", ""))
        if folded not in FILLER and folded not in _GENERIC and len(folded) > 2:
            out.append((raw.lower(), folded))
    return out


def _found(word: str, others: set[str]) -> bool:
    return any(word_similarity(word, o) >= 0.85 for o in others)


def _overlap(words: set[str], other: set[str]) -> float:
    if not words:
        return 1.0
    return sum(1 for w in words if _found(w, other)) / len(words)


@dataclass(frozen=True)
class LevelComparison:
    added: tuple[str, ...]  # higher-level sentences that are new, in the source's order
    builds_on: tuple[tuple[str, str], ...]  # (higher sentence, the lower one it extends)
    key_words: tuple[str, ...]  # words of the higher level not found in the lower one


def compare_levels(lower: LevelText, higher: LevelText) -> LevelComparison:
    lower_pieces = pieces(lower)
    lower_sets = [{f for _, f in _words(s)} for s in lower_pieces]
    lower_all = set().union(*lower_sets) if lower_sets else set()
    scored: list[tuple[float, str, str]] = []
    key_words: list[str] = []
    for sentence in pieces(higher):
        words = _words(sentence)
        folded = {f for _, f in words}
        overlaps = [_overlap(folded, other) for other in lower_sets] or [0.0]
        best = max(range(len(overlaps)), key=overlaps.__getitem__)
        closest = lower_pieces[best] if lower_pieces else ""
        scored.append((overlaps[best], sentence, closest))
        for raw, f in words:
            if raw not in key_words and not _found(f, lower_all):
                key_words.append(raw)
    return LevelComparison(
        added=tuple(s for score, s, _ in scored if score < NEW_BELOW),
        builds_on=tuple((s, c) for score, s, c in scored if score >= NEW_BELOW),
        key_words=tuple(key_words[:MAX_KEY_WORDS]),
    )
