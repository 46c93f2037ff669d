"""Text normalisation shared by the resolver, search and comparison.

`clean` makes any input safe to process and print; `fold` and `tokens` give the
comparable form: case-folded, punctuation-free, with US spellings mapped to UK ones.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DROP_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}
_APOSTROPHES = re.compile(r"['’‘`´]")
_NON_WORD = re.compile(r"[^\w.]+")
_LONE_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")

# US -> UK for whole words; -ize/-yze endings are handled by rule in `canonical`.
_SPELLINGS = {
    "center": "centre",
    "centers": "centres",
    "centered": "centred",
    "centering": "centring",
    "behavior": "behaviour",
    "behaviors": "behaviours",
    "behavioral": "behavioural",
    "color": "colour",
    "favor": "favour",
    "honor": "honour",
    "labor": "labour",
    "neighbor": "neighbour",
    "endeavor": "endeavour",
    "defense": "defence",
    "offense": "offence",
    "license": "licence",
    "program": "programme",
    "programs": "programmes",
    "fulfill": "fulfil",
    "judgment": "judgement",
    "enroll": "enrol",
    "modeling": "modelling",
    "modeled": "modelled",
    "traveling": "travelling",
    "counseling": "counselling",
    "analyze": "analyse",
    "analyzes": "analyses",
    "analyzed": "analysed",
    "analyzing": "analysing",
    "catalog": "catalogue",
    "dialog": "dialogue",
}
_IZE = re.compile(r"(?<=\w\w)iz(e|es|ed|ing|ation|ations)$")
_YZE = re.compile(r"(?<=\w\w)yz(e|es|ed|ing)$")
# Two-word forms that the sources write as one word.
_JOINS = {("well", "being"): "wellbeing", ("team", "work"): "teamwork"}

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}


# Joiners that some scripts need (Persian, the Indic scripts, emoji sequences): format
# characters, but never dropped from what a person wrote.
_JOINERS = "\u200c\u200d"
# Terminal escape sequences (colours, cursor moves, window titles): dropped whole, since
# dropping only the ESC character would leave "[31m" behind.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: window titles, links
    r"|\x1b[ -/]*[0-~]"  # any other escape sequence
)


@lru_cache(maxsize=4096)
def clean(text: str, *, keep_newlines: bool = False, exact: bool = False) -> str:
    """Drop terminal escape sequences whole, NFKC-normalise, drop control, format,
    private-use and unassigned characters,
    and collapse white space (keeping line breaks when asked). With `exact`, for text
    kept as the person wrote it (a STAR answer): only NFC (so "½", "m²" and full-width
    punctuation stay as typed), and joiners are kept."""
    if text.isascii() and text.isprintable():  # nothing to drop or normalise: most text
        return " ".join(text.split())
    if "\x1b" in text or "\x9b" in text or "\x9d" in text:
        text = _ESCAPES.sub("", text)
    text = unicodedata.normalize("NFC" if exact else "NFKC", text)
    kept: list[str] = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            kept.append(ch)
        elif ch in "\t\n\r\v\f":
            kept.append(" ")
        elif unicodedata.category(ch) not in _DROP_CATEGORIES or (exact and ch in _JOINERS):
            kept.append(ch)
    if keep_newlines:
        lines = (" ".join(line.split()) for line in "".join(kept).split("\n"))
        return "\n".join(lines).strip()
    return " ".join("".join(kept).split())


@lru_cache(maxsize=8192)
def canonical(token: str) -> str:
    """One spelling for a folded token (UK forms), so both sides of a match agree."""
    token = _SPELLINGS.get(token, token)
    token = _IZE.sub(r"is\1", token)
    return _YZE.sub(r"ys\1", token)


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[str, ...]:
    """Folded words of `text`: lower case, no punctuation (dots kept inside numbers
    such as 1.4), `&` read as `and`, UK spellings."""
    text = clean(text).casefold().replace("&", " and ")
    text = _APOSTROPHES.sub("", text)
    text = _NON_WORD.sub(" ", text.replace("_", " "))
    words = [canonical(w) for w in _LONE_DOT.sub(" ", text).split()]
    joined: list[str] = []
    for word in words:
        if joined and (joined[-1], word) in _JOINS:
            joined[-1] = _JOINS[(joined[-1], word)]
        else:
            joined.append(word)
    return tuple(joined)


def fold(text: str) -> str:
    return " ".join(tokens(text))


def common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def within_edits(a: str, b: str, limit: int) -> bool:
    """True when a and b are at most `limit` edits apart (insert, delete, substitute,
    or swap of neighbours), computed with early exit."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return False
        previous2, previous = previous, current
    return previous[-1] <= limit


_E_ENDINGS = frozenset({"ing", "ed", "es", "er", "ers"})


@lru_cache(maxsize=65536)
def word_similarity(query_word: str, known_word: str) -> float:
    """How well a typed word matches a known word: 1 exact; 0.85 same stem or a typed
    prefix; 0.75 a small typo; 0 otherwise."""
    if query_word == known_word:
        return 1.0
    if query_word.isdigit() or known_word.isdigit():
        return 0.0
    shared = common_prefix(query_word, known_word)
    shorter = min(len(query_word), len(known_word))
    if shared == len(query_word) and shared >= 3:
        return 0.85 if shared >= 4 else 0.7
    if shared >= 4 and shared >= 0.7 * shorter:
        return 0.85
    if shared == len(known_word) and shared >= 3:
        return 0.8  # a longer form of a short word: "bigger" for "big"
    if shared >= 3 and known_word[shared:] == "e" and query_word[shared:] in _E_ENDINGS:
        return 0.85  # a form of a short word ending in e: "taking" for "take"
    if len(query_word) >= 4 and len(known_word) >= 4:
        limit = 1 if min(len(query_word), len(known_word)) <= 6 else 2
        # Each letter one word has and the other lacks costs an edit: a quick test that
        # spares most pairs the full edit distance.
        one, two = set(query_word), set(known_word)
        if (
            len(one - two) <= limit
            and len(two - one) <= limit
            and within_edits(query_word, known_word, limit)
        ):
            return 0.75
    return 0.0


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(
    rf"[{_CJK}]|\d+(?:[.,]\d+)+|[^\W_{_CJK}]+(?:['’-][^\W_{_CJK}]+)*"
)  # "1,400" and "2.5" are one word each, as a word processor counts them


def words(text: str) -> list[str]:
    """The words of `text`: runs of letters and digits (joined by an apostrophe or a
    hyphen), numbers with their separators ("1,400", "2.5"), and each Chinese or Japanese
    character on its own."""
    return _WORD.findall(text)


def wordset(text: str) -> frozenset[str]:
    """The words of a space-separated list, as a set: for word lists written as text."""
    return frozenset(text.split())


def count_words(text: str) -> int:
    """The bot's one word count: drafting, review, export, and every limit on a form."""
    return len(words(text))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z‘“\"'(])")


def sentences(text: str) -> list[str]:
    """The bot's one sentence splitter, for framework texts and free answers alike: a
    sentence ends at . ! or ? before a capital, a quotation mark or a bracket, and at a
    line break."""
    return [s.strip() for line in text.splitlines() for s in _SENTENCE_END.split(line) if s.strip()]


def plural(word: str, count: int, many: str | None = None) -> str:
    """`word` for a count of one, else its plural (`competency` -> `competencies`)."""
    if count == 1:
        return word
    if many:
        return many
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:@=])")


def markdown_escaped(text: object, *, block: bool = False) -> str:
    """`text` as literal Markdown: whatever a person typed renders as typed, never as a
    heading, list, table cell, link, image, autolink or HTML. `<`, `>` and `&` become
    entities and every other Markdown-significant character is backslash-escaped
    (CommonMark and GFM read `\\x` as `x` for any ASCII punctuation). Inline (a bullet, a
    table cell, a heading), line breaks become spaces; as a `block` (a paragraph of its
    own), each line is kept, flush left, with a hard break, and blank lines part
    paragraphs."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)
    if not block:
        return " ".join(escaped.split())
    paragraphs = re.split(r"\n\s*\n", escaped.strip())
    return "\n\n".join(
        "\\\n".join(" ".join(line.split()) for line in p.splitlines() if line.strip())
        for p in paragraphs
    )


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet never reads as a formula: text starting with
    `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def one_line(text: str) -> str:
    """`text` with its line breaks and runs of white space as single spaces."""
    return " ".join(text.split())
