"""Full-text search over every definition and level text, best matches first.

Each query word matches the words of the texts exactly, by stem or typed prefix
(`analyse` finds `analysis`), or with a small typo when nothing closer exists. Entries
that contain every query word rank first (tf-idf, with a bonus for the exact phrase);
when no entry has them all, entries with some of them follow, marked as partial.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.frameworks import Behaviour, Framework, Level
from bot.lookup.resolver import FILLER
from bot.text import fold, sentences, tokens, word_similarity


@dataclass(frozen=True)
class Entry:
    framework: Framework
    behaviour: Behaviour
    level: Level | None  # None: the behaviour's definition
    pieces: tuple[str, ...]  # sentences or indicators


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float
    snippet: str
    complete: bool  # every query word occurs in the entry


@dataclass
class SearchIndex:
    frameworks: Sequence[Framework]
    entries: list[Entry] = field(default_factory=list)
    postings: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))

    def __post_init__(self) -> None:
        for fw in self.frameworks:
            for b in fw.behaviours:
                if b.definition:
                    self._add(Entry(fw, b, None, tuple(sentences(b.definition))))
                for level in fw.levels_of(b):
                    text = b.texts[level.id]
                    pieces = tuple(sentences(text)) if isinstance(text, str) else text
                    self._add(Entry(fw, b, level, pieces))
        self.vocabulary = sorted(self.postings)
        self._expansions: dict[str, dict[str, float]] = {}

    def _add(self, entry: Entry) -> None:
        n = len(self.entries)
        self.entries.append(entry)
        for piece in entry.pieces:
            for word in tokens(piece):
                self.postings[word][n] += 1

    def expand(self, word: str) -> dict[str, float]:
        """Indexed words that stand for `word`, with how closely (memoised per index)."""
        if word not in self._expansions:
            scored = {v: s for v in self.vocabulary if (s := word_similarity(word, v)) > 0}
            close = {v: s for v, s in scored.items() if s >= 0.85}
            if len(self._expansions) > 4096:
                self._expansions.clear()
            self._expansions[word] = close or scored
        return self._expansions[word]

    def search(self, query: str, *, where: Callable[[Entry], bool] | None = None) -> list[Hit]:
        """Entries that mention the words of `query`, best first (only those `where` keeps)."""
        words = [w for w in dict.fromkeys(tokens(query)) if w not in FILLER] or list(tokens(query))
        if not words:
            return []
        total = len(self.entries)
        scores: dict[int, float] = defaultdict(float)
        found: dict[int, set[str]] = defaultdict(set)
        expansions = {w: self.expand(w) for w in words}
        for word, close in expansions.items():
            for known, similarity in close.items():
                docs = self.postings[known]
                idf = math.log(1 + total / len(docs))
                for n, tf in docs.items():
                    scores[n] += similarity * idf * (1 + math.log(tf))
                    found[n].add(word)
        phrase = " ".join(words)
        hits = []
        for n, score in scores.items():
            entry = self.entries[n]
            if where is not None and not where(entry):
                continue
            complete = len(found[n]) == len(words)
            if len(words) > 1 and phrase in fold(" ".join(entry.pieces)):
                score *= 1.5
            snippet = _snippet(entry, expansions)
            hits.append(Hit(entry, score, snippet, complete))
        hits.sort(key=lambda h: (h.complete, h.score), reverse=True)
        if any(h.complete for h in hits):
            return [h for h in hits if h.complete]
        return hits


def _snippet(entry: Entry, expansions: dict[str, dict[str, float]]) -> str:
    """The piece that matches the most query words."""
    best, best_count = entry.pieces[0] if entry.pieces else "", -1
    for piece in entry.pieces:
        words = set(tokens(piece))
        count = sum(1 for close in expansions.values() if words & close.keys())
        if count > best_count:
            best, best_count = piece, count
    return best
