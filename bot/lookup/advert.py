"""Reading a job advert: the framework, the behaviours it will assess and the grade.

Pure: text in, an `AdvertReading` out, from the frameworks' own names (the lookup's
`Index`), never a list written here. The behaviours come from the advert's "we'll assess
you against these behaviours" list (commas, "and", bullets or one per line, in British
or US spelling); only when it has no such list are whole behaviour names elsewhere in
the text counted, written as the framework writes them (so "strong leadership skills"
in a job description is no behaviour). The grade comes from a labelled line ("Grade:
Senior Executive Officer (SEO)") or else a grade written as one ("Grade 7", "HEO");
a framework with one level needs none, and DHS SES levels are performance levels, which
no advert states: then the level is left to ask.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from bot.frameworks import Behaviour, Framework, Level
from bot.lookup.resolver import Index, parse_query
from bot.text import clean, count_words, tokens

MAX_ADVERT_CHARS = 40_000  # more than any advert: the rest is not read
MIN_PASTED_WORDS = 12  # a pasted advert (no command) is at least this long
_LIST_CHARS = 3_000  # how far after its heading a list is looked for
_KINDS = r"(?:behaviou?rs?|competenc(?:y|ies))"
# "We'll assess you against these behaviours during the selection process:",
# "You will be assessed against the following competencies", "evaluated on …".
_ASSESS = re.compile(
    r"\b(?:assess(?:ed|es|ing|ment)?|evaluat(?:e|ed|es|ing|ion)|test(?:ed)?|measured|judged)\b"
    rf"[^.:\n]{{0,120}}?\b{_KINDS}\b[^:\n]{{0,80}}?(?::|$|\.\s)"
    rf"|\b{_KINDS}[ \t]+(?:assessed|we(?: will|'ll|’ll) assess)\b[ \t]*:?",
    re.I | re.M,
)
# A heading line: "Behaviours", "Success Profiles behaviours:", "Behaviors assessed:".
_HEADING = re.compile(
    rf"^[ \t]*[#*•\-]*[ \t]*(?:success profiles?[ \t]*[-–:]?[ \t]*)?(?:the[ \t]+)?{_KINDS}"
    r"(?:[ \t]+(?:assessed|we(?: will|'ll|’ll) assess|to be assessed))?[ \t]*:?[ \t]*",
    re.I | re.M,
)
_BULLET = re.compile(r"^[\s•●▪◦·*\-–—>\d.)]+")
# What ends a list item's name: a description after a dash, a colon, a bracket, a full stop.
_ITEM_END = re.compile(r"\s[-–—]\s|:|\(|\.(?:\s|$)")
_LABEL = re.compile(
    r"^[ \t]*[*•\-]?[ \t]*(?:job[ \t]+|salary[ \t]+|pay[ \t]+)?"
    r"(?:grade(?:[ \t]*/[ \t]*band)?|band|level|rank)[ \t]*[:\-–][ \t]*(.+)$",
    re.I | re.M,
)
# Words that join the names of a list ("Leadership, and Working Together; or …").
_JOINING = frozenset({"and", "or", "the", "a", "an", "plus", "also", "as", "well"})
_MOST_OTHER_WORDS = 3  # more words than this beside the names: a sentence, not a list
_ARTICLE = re.compile(r"\b(?:the|a|an|our|your|their|to)\s+$", re.I)


@dataclass(frozen=True)
class AdvertReading:
    """What an advert says: its framework, the behaviours it names in its order, the
    level its grade is (None when it names none, or several), and how they were found."""

    framework: Framework | None
    behaviours: tuple[Behaviour, ...]
    level: Level | None
    listed: bool  # from an "assess … behaviours" list (else names in the text)


@dataclass(frozen=True)
class _Name:
    behaviour: Behaviour
    words: tuple[str, ...]


class AdvertReader:
    """Reads adverts against the frameworks of `index`."""

    def __init__(self, index: Index):
        self.index = index

    @cached_property
    def _names(self) -> dict[str, list[_Name]]:
        """Every behaviour's name as folded words, by its first word, longest first."""
        by_first: dict[str, list[_Name]] = {}
        for b in self.index.all_behaviours():
            words = tokens(b.name)
            if words:
                by_first.setdefault(words[0], []).append(_Name(b, words))
        for names in by_first.values():
            names.sort(key=lambda n: -len(n.words))
        return by_first

    @cached_property
    def _aliases(self) -> dict[tuple[str, ...], Behaviour]:
        """Names and aliases as whole list items ("Teamwork"), where only one has it."""
        seen: dict[tuple[str, ...], dict[str, Behaviour]] = {}
        for b in self.index.all_behaviours():
            for name in (b.name, *b.aliases):
                seen.setdefault(tokens(name), {})[b.key] = b
        return {k: next(iter(v.values())) for k, v in seen.items() if k and len(v) == 1}

    # ---- the behaviours ---------------------------------------------------------------

    def _named_in(self, text: str) -> list[Behaviour]:
        """The behaviours a list item names: whole names, joined by commas, "and" and the
        like; or the behaviour the whole item is an alias of ("Teamwork"). A sentence that
        merely mentions one ("proven leadership of a large team") names none."""
        words = tokens(text)
        if words in self._aliases:
            return [self._aliases[words]]
        found: list[Behaviour] = []
        other = 0
        i = 0
        while i < len(words):
            for name in self._names.get(words[i], ()):
                if words[i : i + len(name.words)] == name.words:
                    found.append(name.behaviour)
                    i += len(name.words)
                    break
            else:
                other += words[i] not in _JOINING
                i += 1
        return found if other <= _MOST_OTHER_WORDS else []

    def _list_at(self, text: str, start: int) -> list[Behaviour]:
        """The behaviours of a list that starts at `start`: the rest of its line (up to
        the end of its sentence), then the lines after it while they name behaviours."""
        first, *lines = text[start : start + _LIST_CHARS].split("\n")
        found = self._named_in(re.split(r"\.(?:\s|$)", first)[0]) if first.strip() else []
        misses = 0
        for line in lines:
            item = _BULLET.sub("", line).strip()
            if not item:
                if found:
                    break
                continue
            named = self._named_in(_ITEM_END.split(item)[0])
            if named:
                found += named
                misses = 0
                continue
            misses += 1
            if found or misses > 2:
                break
        return found

    def _listed(self, text: str) -> list[Behaviour]:
        """The behaviours of every "assess … behaviours" list, and of every
        "Behaviours" heading, in the advert's order."""
        starts = sorted(
            {m.end() for m in _ASSESS.finditer(text)} | {m.end() for m in _HEADING.finditer(text)}
        )
        found: list[Behaviour] = []
        for start in starts:
            found += self._list_at(text, start)
        return found

    def _anywhere(self, text: str) -> list[Behaviour]:
        """Whole names written as the framework writes them, anywhere in the text."""
        at: list[tuple[int, Behaviour]] = []
        for b in self.index.all_behaviours():
            words = r"[\s\-]+".join(re.escape(w) for w in b.name.split())
            if m := re.search(rf"(?<![\w-]){words}(?![\w-])", text):
                at.append((m.start(), b))
        return [b for _, b in sorted(at, key=lambda pair: pair[0])]

    # ---- the grade --------------------------------------------------------------------

    def _labelled(self, fw: Framework, text: str) -> set[str]:
        """The levels a labelled line names ("Grade: HEO", "Band: SCS Pay Band 1")."""
        for m in _LABEL.finditer(text):
            value = re.split(r"[£$,;]", m.group(1))[0][:120]
            refs = parse_query(self.index, value).levels
            found = {lv.id for ref in refs if (lv := ref.resolve(fw)) is not None}
            if found:
                return found
        return set()

    def _written(self, fw: Framework, text: str) -> set[str]:
        """The levels a grade written as one names: with a figure ("Grade 7", "SCS1"),
        as capitals ("HEO"), or a grade's name of several capitalised words ("Senior
        Executive Officer"), but not a person's role ("reporting to the Director")."""
        spans: list[tuple[int, int, str]] = []
        for lv in fw.levels:
            for alias in lv.aliases:
                words = alias.split()
                pattern = r"[\s\-]*".join(re.escape(w) for w in words)
                short = len(words) == 1 and len(alias) <= 4 and alias.isalnum()
                if len(words) == 1 and not short and not any(c.isdigit() for c in alias):
                    continue  # one ordinary word ("director"): a role as often as a grade
                flags = 0 if short and alias.isalpha() else re.I
                if short and alias.isalpha():
                    pattern = pattern.upper()
                for m in re.finditer(rf"(?<![\w-]){pattern}(?![\w-])", text, flags):
                    written = m.group(0).split()
                    if not all(w[0].isupper() or w[0].isdigit() for w in written):
                        continue
                    if _ARTICLE.search(text[max(0, m.start() - 12) : m.start()]):
                        continue
                    spans.append((m.start(), m.end(), lv.id))
        # "Executive Officer" inside "Senior Executive Officer" is not a grade of its own:
        # in order of start (the longer first), a span is inside another when an earlier
        # one reaches as far (one sweep, so a paste of thousands of grades stays cheap)
        levels: dict[tuple[int, int], set[str]] = {}
        for start, end, lid in spans:
            levels.setdefault((start, end), set()).add(lid)
        found: set[str] = set()
        furthest = -1
        for start, end in sorted(levels, key=lambda span: (span[0], -span[1])):
            if end > furthest:
                found |= levels[(start, end)]
                furthest = end
        return found

    def _level(self, fw: Framework, text: str) -> Level | None:
        if len(fw.levels) == 1:
            return fw.levels[0]
        found = self._labelled(fw, text) or self._written(fw, text)
        return fw.level(next(iter(found))) if len(found) == 1 else None

    # ---- the whole advert ---------------------------------------------------------------

    def read(self, text: str) -> AdvertReading:
        text = clean(text[:MAX_ADVERT_CHARS], keep_newlines=True, exact=True)
        listed = self._listed(text)
        found = listed or self._anywhere(text)
        if not found:
            return AdvertReading(None, (), None, listed=False)
        counts = Counter(b.framework_id for b in found)
        first = {b.framework_id: i for i, b in reversed(list(enumerate(found)))}
        fid = max(counts, key=lambda f: (counts[f], -first[f]))
        fw = self.index.by_id[fid]
        by_key = {b.key: b for b in found if b.framework_id == fid}
        behaviours = tuple(by_key[k] for k in dict.fromkeys(by_key))
        level = self._level(fw, text)
        if level is not None and any(level.id not in b.texts for b in behaviours):
            level = None
        return AdvertReading(fw, behaviours, level, listed=bool(listed))

    def pasted(self, text: str) -> bool:
        """Whether a message with no command is an advert: long, with an "assess …
        behaviours" list that names at least one behaviour."""
        if len(text) < 60 or not _ASSESS.search(text[:MAX_ADVERT_CHARS]):
            return False
        if count_words(text[:MAX_ADVERT_CHARS]) < MIN_PASTED_WORDS:
            return False
        return bool(self._listed(clean(text[:MAX_ADVERT_CHARS], keep_newlines=True, exact=True)))
