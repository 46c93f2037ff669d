"""Finding the STAR parts of an answer given in one go (practice, `behaviourbot review`).

What is not the answer is recognised first and left out of the parts and the word count:
an application form's question above it, label lines ("Situation", "## Action",
"**Result:**", "S:"), tags ("(This is the Situation)", "[Task]"), "Answer:".

Where the person labelled two or more parts, the labels are followed. Otherwise the
answer is cut into units, sentence by sentence and, where a sentence turns from what was
done to what came of it ("… a triage system that cleared the backlog"), clause by
clause. Each unit is scored for every part from its cues, its evidence and its position,
and the parts are the best assignment that keeps them in order (Situation, Task, Action,
Result, What you learned) and lets any of them be missing (`assign`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.text import sentences

PARTS = ("situation", "task", "action", "result", "learned")

# ---- what is not the answer -------------------------------------------------------------

_PART_NAMES = {
    "s": "situation",
    "situation": "situation",
    "context": "situation",
    "background": "situation",
    "t": "task",
    "task": "task",
    "tasks": "task",
    "a": "action",
    "action": "action",
    "actions": "action",
    "r": "result",
    "result": "result",
    "results": "result",
    "outcome": "result",
    "outcomes": "result",
    "impact": "result",
    "l": "learned",
    "learning": "learned",
    "learnings": "learned",
    "learned": "learned",
    "learnt": "learned",
    "lessons learned": "learned",
    "lessons learnt": "learned",
    "lesson learned": "learned",
    "lesson learnt": "learned",
    "lesson": "learned",
    "lessons": "learned",
    "what i learned": "learned",
    "what i learnt": "learned",
    "reflection": "learned",
    "reflections": "learned",
    "challenge": "situation",
    "problem": "situation",
    "approach": "action",
    "connection": "learned",
}
_NAME = (
    r"(?P<name>situation|context|background|tasks?|actions?|results?|outcomes?|impact|"
    r"learnings?|learn(?:ed|t)|lessons? learn(?:ed|t)|lessons?|what i learn(?:ed|t)|reflections?)"
)
_LETTER = r"(?P<letter>[STARL])"
# "(S)" or "(Situation)" after a name: "Situation (S):".
_ALSO = r"(?:\s*\((?:[STARL]|\w+)\))?"
_BOLD = r"(?:\*\*|__|\*|_)?"
# A line that is only a label: "Situation", "## Action:", "**Result**", "S –".
_LIST = r"(?:(?:\d{1,2}[.)]|[-•*])\s+)?"  # "1. Situation:", "- Task:"
_LABEL_LINE = re.compile(
    rf"^\s*{_LIST}(?:#+\s*)?{_BOLD}\s*(?:{_NAME}{_ALSO}|{_LETTER})\s*{_BOLD}\s*[:.\-–—]?\s*{_BOLD}\s*$",
    re.I,
)
# A label that starts a line or a sentence and runs into its text: "Task: I …",
# "**Action** – I …", "S: …" (a single letter at a line's start only).
_LABEL_START = re.compile(
    rf"(?:^|(?<=\n)|(?<=[.!?]\s))[ \t]*{_LIST}(?:#+\s*)?{_BOLD}\s*{_NAME}{_ALSO}\s*{_BOLD}\s*"
    rf"(?::|\s[-–—])\s*{_BOLD}\s*"
    rf"|(?:^|(?<=\n))[ \t]*{_BOLD}{_LETTER}{_BOLD}\s*:\s*{_BOLD}\s*",
    re.I,
)
# "(This is the Situation)", "[Task]", "(Action.)", "(the result)".
_TAG = re.compile(
    rf"[(\[]\s*(?:this\s+(?:is|was)\s+)?(?:the\s+|my\s+)?(?:{_NAME}|(?P<other>challenge|problem|"
    rf"approach|connection))(?:\s+part)?\s*[.!]?\s*[)\]]",
    re.I,
)
# An application form's question, or the interviewer's, above the answer.
_QUESTION = re.compile(
    r"^\s*(?:(?:q(?:uestion)?\s*\d*\s*[:.)-])|(?:please\s+)?(?:describe|tell (?:me|us)|give "
    r"(?:me |us )?an example|can you (?:tell|describe|give)|provide an example|share an "
    r"example|talk (?:me|us) through|think of a time|what (?:did|would|was)|how (?:did|have|do)"
    r"|have you ever)\b)",
    re.I,
)
_ANSWER_PREFIX = re.compile(
    r"^\s*(?:\*\*|__)?\s*(?:(?:my|example|sample|model|strong|weak|good|bad|better|improved)"
    r"\s+)?(?:answer|response)\s*(?:\*\*|__)?\s*[:\-–—]\s*(?:\*\*|__)?",
    re.I,
)


_PROMPT = re.compile(
    r"^\s*(?:describe|explain|tell|what|how|why|give|outline|summarise|summarize|say|"
    r"which|who|when|where|did|were|was|can|could|would)\b",
    re.I,
)
_PROMPT_PART = re.compile(
    r"\b(?:(?P<situation>situation|context)|(?P<task>task|role|responsib\w*)|"
    r"(?P<action>what you did|actions?|steps you took)|(?P<result>outcome|results?|impact)|"
    r"(?P<learned>learn\w*|reflect\w*|differently))\b",
    re.I,
)
_PROMPT_PARTS = {
    "situation": "situation",
    "task": "task",
    "action": "action",
    "result": "result",
    "learned": "learned",
}


def _is_title(line: str, rest: str) -> bool:
    """A title above a statement: "Delivering at Pace (250 words)", "Leadership – Level 4
    example": short, with no full stop, in title case or naming a word count, and with
    the answer below it."""
    text = line.strip()
    said = text.split()
    if not rest.strip() or len(said) > 12 or text[-1:] in ".!?;:,":
        return False
    if re.search(r"\(\s*\d+\s*words?\s*\)|\b(?:statement|example|answer)\b", text, re.I):
        return True
    capitals = sum(word[:1].isupper() or not word[:1].isalpha() for word in said)
    return len(said) >= 2 and capitals * 5 >= len(said) * 4


def _is_prompt(line: str) -> bool:
    """A guiding question on its own line inside an answer: "What was the situation you
    were confronted with?", "Describe the outcome of your actions."."""
    text = line.strip()
    if len(text.split()) > 18 or not _PROMPT.match(text) or _LABEL_START.match(text):
        return False  # "What I learned: …" is a label and its text, not a prompt
    return text.endswith("?") or bool(re.search(r"\byou(?:r)?\b", text, re.I))


def _name_of(match: re.Match[str]) -> str:
    found = match.groupdict()
    name = (found.get("name") or found.get("letter") or found.get("other") or "").casefold()
    return _PART_NAMES.get(" ".join(name.split()), "situation")


@dataclass(frozen=True)
class Marker:
    part: str
    backwards: bool  # a tag after its text: "… (This is the Situation)"


@dataclass(frozen=True)
class Cleaned:
    """The answer with what is not the answer taken out, as runs of text, each with the
    part a label or tag gives it (None where none does)."""

    runs: tuple[tuple[str | None, str], ...]
    left_out: tuple[str, ...]  # labels, headings, tags and questions as written

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.runs)

    @property
    def marked(self) -> int:
        return len({part for part, _ in self.runs if part})


def clean_answer(answer: str) -> Cleaned:
    left_out: list[str] = []
    pieces: list[str | Marker] = []  # text and markers, in order
    started = False
    tags_after: bool | None = None  # decided by the first tag (see `_split_line`)
    lines = answer.replace("\r\n", "\n").split("\n")
    for n, line in enumerate(lines):
        line = " ".join(line.split())  # runs of spaces never reach the label patterns
        rest = "\n".join(lines[n + 1 :])
        if not line.strip():
            pieces.append("\n")
            continue
        if not started and (_QUESTION.match(line) or line.rstrip().endswith("?")):
            # The question above the answer: its first sentence, if that is a question and
            # an answer follows it (on its line or below). A one-line answer that ends
            # in a question ("Isn't that what leading is about?") stays the answer.
            said = sentences(line)
            first = said[0] if said else line.strip()
            asks = first.endswith("?") or bool(_QUESTION.match(first))
            if asks and (len(said) > 1 or rest.strip()):
                left_out.append(first)
                line = line[line.find(first) + len(first) :]
                if not line.strip():
                    continue
        if started and _is_prompt(line):
            left_out.append(line.strip())  # a guiding question inside the answer
            asked = _PROMPT_PART.search(line)
            if asked:
                pieces.append(
                    Marker(
                        _PROMPT_PARTS[next(k for k, v in asked.groupdict().items() if v)],
                        backwards=False,
                    )
                )
            continue
        prefix = _ANSWER_PREFIX.match(line)
        if prefix:
            left_out.append(prefix.group(0).strip())
            line = line[prefix.end() :]
        alone = _LABEL_LINE.match(line)
        if alone:
            left_out.append(line.strip())
            pieces.append(Marker(_name_of(alone), backwards=False))
            continue
        if line.lstrip().startswith("#") or (not started and _is_title(line, rest)):
            left_out.append(line.strip())  # a heading or the statement's title
            continue
        started = True
        tags_after = _split_line(line, pieces, left_out, tags_after)
        pieces.append("\n")
    return Cleaned(tuple(_runs(pieces)), tuple(left_out))


def _split_line(
    line: str, pieces: list[str | Marker], left_out: list[str], tags_after: bool | None
) -> bool | None:
    """A line's text, with its labels and tags as markers. Whether tags name what comes
    after them or what came before is decided by the answer's first tag: one that opens
    a line ("[Situation] Our team…") names what follows, one after text ("…a backlog.
    (This is the Situation)") what came before. Returns that decision."""
    cursor = 0
    found = sorted(
        [(m.start(), m.end(), m, False) for m in _LABEL_START.finditer(line)]
        + [(m.start(), m.end(), m, True) for m in _TAG.finditer(line)],
        key=lambda item: item[0],
    )
    for start, end, match, tag in found:
        if start < cursor:
            continue
        before = line[cursor:start]
        if tag and tags_after is None:
            tags_after = bool(line[:start].strip()) or bool(pieces and _text_before(pieces))
        backwards = tag and bool(tags_after) and bool(before.strip())
        if backwards:
            closing = re.match(r"\s*[.!?,;:]", line[end:])
            if closing:  # "…a backlog (situation)." keeps its full stop
                before = before.rstrip() + closing.group(0).strip()
                end += closing.end()
        pieces.append(before)
        left_out.append(match.group(0).strip())
        pieces.append(Marker(_name_of(match), backwards=backwards))
        cursor = end
    pieces.append(line[cursor:])
    return tags_after


def _text_before(pieces: Sequence[str | Marker]) -> bool:
    """Whether there is text since the last marker (a tag after it closes that text)."""
    for piece in reversed(pieces):
        if isinstance(piece, Marker):
            return False
        if piece.strip():
            return True
    return False


def _runs(pieces: Sequence[str | Marker]) -> list[tuple[str | None, str]]:
    runs: list[list] = [[None, ""]]
    for piece in pieces:
        if isinstance(piece, Marker):
            if piece.backwards:
                if runs[-1][1].strip():
                    runs[-1][0] = piece.part
                runs.append([None, ""])
            else:
                runs.append([piece.part, ""])
        else:
            runs[-1][1] += piece
    out: list[tuple[str | None, str]] = []
    for part, text in runs:
        text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
        text = re.sub(r"\n{2,}", "\n", text).strip()
        if text:
            out.append((part, text))
    return out


# ---- units and their cues -----------------------------------------------------------------

_I_WE = r"(?:i|we)"
# Words between "I" and what I did: "I then quickly rang…". Each is matched one way only
# and never given back (a possessive group), so "I quickly quickly … was" is linear.
_ADVERBS = r"(?:\w+ly |then |also |first |next |both |all |together )*+"
_PAST = (
    r"(?:\w+ed|made|took|spoke|met|wrote|led|ran|built|sent|brought|gave|held|kept|chose|drew|"
    r"sought|began|put|got|told|found|thought|went|did|broke|spent|taught|drove|saw|set|"
    r"became|stood|understood|won|paid|bought|fought|rang|sat|read|left|lost|felt|knew)"
)
_CUES = {
    "situation": (
        r"^(?:in|at|during|while|when|on|as|working|after|before|over|last|earlier|recently)\b|"
        r"\b(?:in (?:my|a|an|one|our) (?:previous |last |current |former |first |second |earlier "
        r"|past |old )?(?:role|job|post|position|company|team|organisation|organization|placement"
        r"|department|workplace)|"
        r"(?:while|when) (?:i was )?working|when i (?:was|joined|started|worked)|at the time|"
        r"i (?:was working|worked|work) (?:as|at|in|for)|i (?:had )?joined|as an? \w+(?: \w+)? "
        r"(?:at|in|for|with)\b|there (?:was|were|had been)|had been|was facing|were facing|"
        r"(?:was|were) experiencing|was struggling|(?:was|were) (?:behind|falling|running)|"
        r"last year|a few (?:months|years) ago|recently|one (?:of our|day)|(?:i|we) once|"
        r"^as an? [\w\s-]{3,40},|(?:was|were) (?:not|n't|under|over|short|low|high|poor|unhappy|"
        r"concerned|"
        r"frustrated|increasing|rising|growing)|(?:team|department|service|unit|ward|force|"
        r"organisation|company|office|project|station) (?:was|were|had)\b)"
    ),
    "task": (
        r"\b(?:(?:asked|tasked|wanted|needed|required|instructed|invited|told) (?:me|us) to|"
        r"(?:project|job|role|goal|aim|task|challenge|brief|remit|objective|mission|priority) "
        r"(?:was|is) to|took on the (?:job|task|role|responsibility)|(?:it is|it was|it's) my "
        r"(?:job|responsibility|role|task)|(?:we|i) (?:was|were) (?:\w+ )?tasked with|"
        r"(?:gave|handed|assigned|allocated) me|(?:question|challenge|problem|issue) (?:became|"
        r"was) how to|^to \w+|"
        r"(?:take|took|taking) on (?:the|this|that) (?:role|job|task|"
        r"responsibility)|we (?:needed|had|wanted) to|"
        r"asked (?:my |the )?(?:\w+ ){0,2}(?:if|whether) i could|"
        r"my (?:role|task|job|responsibility|goal|aim|remit|objective|challenge|brief|"
        r"priority|mission) (?:was|were|is|became)|i was (?:\w+ly |then |also |soon )?(?:asked|"
        r"responsible|tasked|"
        r"given|"
        r"appointed|brought in|charged|required|expected|assigned|chosen|nominated|put in "
        r"charge|the (?:lead|person|one))|i (?:needed|had|wanted|aimed|volunteered) to|"
        r"i set out to|i had been asked|(?:the|our) (?:goal|aim|objective|"
        r"task|challenge|priority|brief) (?:was|were|is)|it was my (?:job|responsibility|role|"
        r"task)|i (?:had|was given) the task|i took (?:on )?(?:the )?(?:responsibility|lead)|"
        r"i took it upon myself|needed to (?:be|ensure)|had to be)\b"
    ),
    "action": (
        rf"\b(?:{_I_WE}(?:'ve)? {_ADVERBS}(?!was\b|were\b|had\b|felt\b|knew\b){_PAST}\b|"
        r"first(?:ly)?,|then,|next,|after that|to do this|to achieve this|i began by|i started "
        r"by|i made sure|i ensured|i also|i then|i decided|i arranged|i organised|i set up|"
        r"i took|i spoke|i met|i asked)"
    ),
    "result": (
        r"\b(?:paid off|(?:we|i) saw (?:a |an )?(?:\w+ ){0,3}(?:go up|go down|rise|fall|increase|"
        r"decrease|"
        r"drop|improve|improvement|reduction|grow|growth|jump)|(?:that|it|"
        r"which) (?:\w+ )?(?:helped|"
        r"meant|ensured|allowed|enabled|led)|as a result|the result|resulted|results? (?:was|"
        r"were)|outcome|in the end|by the "
        r"end|eventually|ultimately|ended up|which meant|this meant|that meant|(?:this|which|"
        r"that|it|and|has|have|had|also) (?:\w+ )?led to|leading to|meaning that|achieved|(?:was|"
        r"were) (?:delivered|completed|cleared|resolved|met|"
        r"launched|approved|adopted|successful|reduced|increased)|successfully|on time|ahead of "
        r"(?:schedule|time|the deadline)|within (?:budget|the deadline)|praised|thanked|"
        r"commended|recogni[sz]ed|(?:was|were|been) (?:adopted|rolled out)|(?:has|have) (?:since|"
        r"now) "
        r"been|since "
        r"then|is now|are now|was now|were now|this (?:approach|change|work|meant|ensured|cut|"
        r"reduced|improved|increased|saved|halved|doubled|"
        r"allowed|enabled|helped|led)|(?:satisfaction|morale|performance|attendance|compliance|"
        r"waiting times?|error rates?|complaints?) (?:rose|fell|improved|increased|dropped|"
        r"reduced|went)|we (?:met|hit|delivered|achieved|exceeded|cleared|reduced|increased|"
        r"saved|completed|succeeded)|(?:i|we) (?:was|were) able to|better (?:results|outcomes)|"
        r"(?:saw|see|seen|got|achieved|delivered|produced) (?:some )?(?:positive|good|great|"
        r"better|excellent|real|strong) results|it was a (?:great|huge|real|big) (?:night|day|"
        r"success|event)|we (?:raised|sold|won|made|collected|recruited|signed up) |"
        r"(?:i|we) (?:received|got|earned|won|gained|secured) (?:a |an |the )?(?:\w+ ){0,2}"
        r"(?:mark|grade|award|score|rating|praise|feedback|recognition|commendation|promotion|"
        r"distinction|prize|certificate|funding|contract|thanks)|"
        r"(?:everyone|everybody|all|the "
        r"team|they|staff|customers?|the client|people) (?:was|were|seemed|felt) (?:\w+ )?"
        r"(?:happy|pleased|satisfied|delighted|impressed)|made the (?:deadline|dispatch|cut-off)|"
        r"(?:the|our) (?:team|project|service|event|report|system) (?:was|"
        r"were|went|ran|met|delivered|received|now))\b"
    ),
    "learned": (
        r"\b(?:what i took (?:away )?from|i took (?:away )?from (?:that|this|it)|i (?:also |have |"
        r"'ve |soon |quickly |really |then )*learn(?:ed|t)|(?:developed|"
        r"gained|have) a (?:stronger|better|greater|"
        r"deeper|"
        r"new) (?:sense|understanding|appreciation|awareness)|(?:this|it|"
        r"the experience) (?:has )?taught me|lessons?|"
        r"next time|in (?:the )?future|on reflection|looking back|reflecting|in hindsight|"
        r"with hindsight|i (?:would|will) (?:now|always|in future)|i now (?:always|make|use|"
        r"ensure|know|understand|apply|try|plan)|since then,? i|going forward|i realised|"
        r"i would (?:do (?:it |things )?differently|have done|now|also)|this experience|"
        r"the experience (?:showed|taught|reinforced|"
        r"helped|gave)|i have since|i(?:'ve| have) (?:since )?(?:applied|used) this|"
        r"i still use|reinforced (?:for me|my)|it showed me|i took away|a valuable lesson|"
        r"because of (?:that|this) experience|(?:there is|it is|it's) (?:usually|often|always|"
        r"important|vital|essential|key)|can often|is (?:key|essential|vital|crucial) (?:to|when|"
        r"in)|i (?:would|will) always)\b"
    ),
}
_CUE_RE = {part: re.compile(pattern, re.I) for part, pattern in _CUES.items()}
# "I" or "we" and then a verb is a step taken, unless the verb is being, having, a modal,
# or thinking and feeling: "I learned", "I realised", "I felt", "I had to".
_NOT_DOING = (
    r"(?!(?:\w+ly|also|then|first|personally|both|all|jointly|together|"
    r"was|were|am|is|are|had|have|has|would|could|should|might|may|must|will|can|"
    r"felt|knew|know|learn(?:ed|t)|realised|realized|noticed|understood|thought|believed|"
    r"wanted|want|needed|need|hoped|liked|enjoyed|loved|used to|joined|worked (?:as|at|in|"
    r"for)|started (?:as|at|in|working)|found that|feel|think|believe|now|still|always|"
    r"never|did not|didn't|don't|do not|succeeded|managed to)\b)"
)
_FIRST_PERSON_DOING = re.compile(
    r"^(?!(?:Based|Located|Used|Tasked|Asked|Expected|Required|Needed|Concerned|Supported)\b)"
    r"[A-Z][a-z]+ed\b|"  # notes with the "I" left out: "Reprioritised the team's workload."
    rf"\b{_I_WE} {_ADVERBS}{_NOT_DOING}[a-z]+\b",
    re.I,
)
# The words that say a result is being told: they outweigh "we cleared".
_RESULT_TOLD = re.compile(
    r"\b(?:as a result|the result|resulted|results? (?:was|were)|the outcome|outcome was|in the "
    r"end|by the end|ultimately|this meant|which meant|that meant|this led|consequently)\b",
    re.I,
)
# A change measured: "from 3.5 seconds to 0.8", "by 22%", "cut … by a third": what came
# of it, whoever did it.
_CHANGE_FIGURE = re.compile(
    r"\bfrom [£$€]?\d[\d.,]*\S* (?:\w+ )?to [£$€]?\d|\bby (?:over |almost |nearly |about |"
    r"around |at least |more than |up to )?[£$€]?\d[\d.,]*\s?(?:%|per ?cent)|\b(?:cut|reduced|"
    r"increased|lifted|raised|rose|fell|dropped|grew|halved|doubled|improved|boosted|"
    r"brought \w+ (?:\w+ )?(?:down|up))\b[^.;]{0,60}\d",
    re.I,
)
_SCENE = re.compile(r"\b(?:was|were|had|is|are)\b", re.I)

# Where a sentence turns from what was done to what came of it: the second clause starts
# at the boundary (which is kept with it).
_TURN = re.compile(
    r",?\s+(?=(?:which|that|this) (?:meant|led|resulted|reduced|increased|cut|saved|cleared|"
    r"allowed|ensured|enabled|improved|halved|doubled|brought|raised|lowered|removed)\b)"
    r"|,?\s+(?=(?:resulting in|leading to|meaning that|and as a result|as a result"
    r"|and this (?:meant|led|resulted)|and the (?:result|outcome)|with the result)\b)"
    r"|,?\s+(?=and (?:this |that |it )?(?:helped|led|resulted|meant|ensured|allowed|enabled)\b)"
    r"|,\s+(?:and|so)\s+(?=(?:i was (?:asked|responsible|tasked|given|appointed)|my (?:role|task|"
    r"job|aim|goal|remit) (?:was|became)|i (?:needed|had) to)\b)"
    r"|;\s+",
    re.I,
)


# "To break the deadlock, I …": what was to be done, then what was done.
_PURPOSE = re.compile(r"^To [^,]{3,80}?(,\s+)(?=(?:i|we)\b)", re.I)


@dataclass(frozen=True)
class _Cut:
    """Where a sentence is cut, like a match of `_TURN`."""

    begin: int
    finish: int

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish


@dataclass(frozen=True)
class Unit:
    text: str
    start: int
    end: int
    fixed: str | None = None  # a part a label or tag gives it


def units(text: str, fixed: str | None = None, offset: int = 0) -> list[Unit]:
    """`text` as sentences, each cut where it turns to a result (see `_TURN`)."""
    out: list[Unit] = []
    cursor = 0
    for sentence in sentences(text):
        at = text.find(sentence, cursor)
        at = cursor if at < 0 else at
        cursor = at + len(sentence)
        piece_start = 0
        purpose = _PURPOSE.match(sentence)
        cuts: list[Any] = [_Cut(purpose.start(1), purpose.end(1))] if purpose else []
        cuts += list(_TURN.finditer(sentence))
        for cut in cuts:
            left = sentence[piece_start : cut.start()]
            right = sentence[cut.end() :]
            if len(left.split()) >= 3 and len(right.split()) >= 3:
                out.append(
                    Unit(left.strip(), offset + at + piece_start, offset + at + cut.start(), fixed)
                )
                piece_start = cut.end()
        tail = sentence[piece_start:]
        out.append(
            Unit(tail.strip(), offset + at + piece_start, offset + at + len(sentence), fixed)
        )
    return out


# How much each feature of a unit counts towards each part: a weighted sum, whose best
# ordered assignment is the answer's parts (`assign`). The weights were set by hand and
# checked against the labelled answers of bench/star_eval/ (bench/star_agreement.py);
# bench/star_weights.py fits them to those answers and cross-validates the fit.
WEIGHTS: dict[str, dict[str, float]] = {
    "situation": {
        "cue_situation": 2.0, "first_of_many": 2.0, "first_of_few": 1.2, "early": 0.6,
        "doing": -1.0,
    },
    "task": {"cue_task_early": 2.5, "cue_task_late": 1.5, "early": 0.3},
    "action": {
        "doing_only": 1.6, "doing_with_outcome": 0.8, "cue_action": 0.6, "bias": 0.3,
        "scene": -0.5, "late_no_one": -0.5,
    },
    "result": {
        "change_figure": 1.5,
        "cue_result_not_doing": 2.0, "cue_result_doing": 1.0, "evidence_not_doing": 1.6,
        "evidence_doing": 0.4, "late": 0.5, "told": 1.5, "after_result": 1.0,
    },
    "learned": {"cue_learned": 3.0, "bias": -1.0, "late": 0.5, "after_learned": 2.0},
}  # fmt: skip


def features(
    unit: Unit, index: int, count: int, evidence: bool, before: str | None
) -> dict[str, float]:
    """What a unit shows, as named features: its cues, whether someone is doing
    something, its evidence, its position (`index` of `count`), and what the unit
    before it read most as by its own cues (a lesson or a result carries on)."""
    text = unit.text
    share = index / (count - 1) if count > 1 else 0.0
    cue = {part: bool(pattern.search(text)) for part, pattern in _CUE_RE.items()}
    doing = bool(_FIRST_PERSON_DOING.search(text))
    told = bool(_RESULT_TOLD.search(text))
    outcome = cue["result"] or told or evidence
    return {
        "bias": 1.0,
        "early": 1 - share,
        "late": share,
        "first_of_many": float(index == 0 and count >= 3),
        "first_of_few": float(index == 0 and count < 3),
        "doing": float(doing),
        "doing_only": float(doing and not outcome),
        "doing_with_outcome": float(doing and outcome),
        "told": float(told),
        "change_figure": float(bool(_CHANGE_FIGURE.search(text))),
        "scene": float(not doing and not cue["action"] and bool(_SCENE.search(text))),
        "late_no_one": float(not _ANYONE_I.search(text) and share > 0.5),
        "cue_situation": float(cue["situation"]),
        "cue_task_early": float(cue["task"] and share < 0.5),
        "cue_task_late": float(cue["task"] and share >= 0.5),
        "cue_action": float(cue["action"]),
        "cue_result_not_doing": float(cue["result"] and not doing),
        "cue_result_doing": float(cue["result"] and doing),
        "evidence_not_doing": float(evidence and not doing),
        "evidence_doing": float(evidence and doing),
        "cue_learned": float(cue["learned"]),
        "after_learned": float(before == "learned" and not outcome),
        "after_result": float(before == "result" and not doing),
    }


def _score(
    unit: Unit,
    index: int,
    count: int,
    evidence: bool,
    before: str | None,
    weights: dict[str, dict[str, float]] | None = None,
) -> dict[str, float]:
    """How much `unit` reads as each part (see `features` and `WEIGHTS`); a label or a
    tag decides it outright."""
    if unit.fixed:
        return {part: (10.0 if part == unit.fixed else -10.0) for part in PARTS}
    shown = features(unit, index, count, evidence, before)
    return score_of(shown, weights or WEIGHTS)


def score_of(shown: dict[str, float], weights: dict[str, dict[str, float]]) -> dict[str, float]:
    return {
        part: sum(weight * shown[name] for name, weight in weights[part].items()) for part in PARTS
    }


def _cued(text: str, evidence: bool) -> str | None:
    """The part a unit's own cues point to, for the unit after it."""
    if _CUE_RE["learned"].search(text):
        return "learned"
    if _RESULT_TOLD.search(text) or (
        _CUE_RE["result"].search(text) and not _FIRST_PERSON_DOING.search(text)
    ):
        return "result"
    return None


_ANYONE_I = re.compile(r"\b(?:i|we)\b", re.I)


def assign(scores: Sequence[Mapping[str, float]]) -> list[str]:
    """The parts of each unit: the highest total score that keeps the parts in order,
    any of them missing (a small dynamic programme over units × parts)."""
    if not scores:
        return []
    n, k = len(scores), len(PARTS)
    best = [[float("-inf")] * k for _ in range(n)]
    came = [[0] * k for _ in range(n)]
    for p in range(k):
        best[0][p] = scores[0][PARTS[p]]
    for i in range(1, n):
        for p in range(k):
            q = max(range(p + 1), key=lambda q: best[i - 1][q])
            best[i][p] = best[i - 1][q] + scores[i][PARTS[p]]
            came[i][p] = q
    p = max(range(k), key=lambda p: best[n - 1][p])
    out = [PARTS[p]]
    for i in range(n - 1, 0, -1):
        p = came[i][p]
        out.append(PARTS[p])
    return out[::-1]


@dataclass(frozen=True)
class Found:
    parts: dict[str, str]  # part -> its text, for the parts found
    left_out: tuple[str, ...]  # labels, headings, tags and questions, as written
    text: str  # the answer without what was left out


def find_parts(
    answer: str, evidence: object = None, weights: dict[str, dict[str, float]] | None = None
) -> Found:
    """The STAR parts of `answer` (see the module's docstring). `evidence(text) -> bool`
    says whether a unit reports evidence of a result (figures, reactions, adoption)."""
    has_evidence = evidence if callable(evidence) else (lambda _text: False)
    cleaned = clean_answer(answer)
    found: dict[str, list[str]] = {}
    if cleaned.marked >= 2:
        # The person's labels, in the order written; text before the first is placed by cues.
        runs = list(cleaned.runs)
        while runs and runs[0][0] is None:
            _, text = runs.pop(0)
            for part, said in _by_cues(units(text), has_evidence, weights).items():
                found.setdefault(part, []).append(said)
        for part, text in runs:
            if part == "result" and "learned" not in {p for p, _ in runs}:
                # A lesson written under "Result" is still a lesson: from its first cue on.
                pieces = units(text)
                at = next(
                    (n for n, u in enumerate(pieces) if _CUE_RE["learned"].search(u.text)),
                    None,
                )
                if at is not None:
                    if at:
                        found.setdefault("result", []).append(" ".join(u.text for u in pieces[:at]))
                    found.setdefault("learned", []).append(" ".join(u.text for u in pieces[at:]))
                    continue
            found.setdefault(part or "action", []).append(text)
    else:
        all_units: list[Unit] = []
        for part, text in cleaned.runs:
            all_units += units(text, fixed=part)
        for part, said in _by_cues(all_units, has_evidence, weights).items():
            found.setdefault(part, []).append(said)
    parts = {p: " ".join(" ".join(found[p]).split()) for p in PARTS if p in found}
    return Found(parts, cleaned.left_out, cleaned.text)


def _by_cues(found: Sequence[Unit], has_evidence, weights=None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    shown = [bool(has_evidence(unit.text)) for unit in found]
    scores = [
        _score(
            unit,
            i,
            len(found),
            shown[i],
            _cued(found[i - 1].text, shown[i - 1]) if i else None,
            weights,
        )
        for i, unit in enumerate(found)
    ]
    placed: dict[str, list[str]] = {}
    for unit, part in zip(found, assign(scores), strict=True):
        placed.setdefault(part, []).append(unit.text)
    return {p: " ".join(placed[p]) for p in PARTS if p in placed}
