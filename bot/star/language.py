"""What the words of an answer show: evidence and its strength, claims that nothing
supports, vague wording (knowing which part it is in, reading word forms), and whose
actions the Action tells ("I" or "we").

Each check returns the very words that led to it, so a reply can quote them. Word forms
come from the Snowball stemmer ("helping", "helps", "helped" are one word) and numbers
written as words from text2num ("three weeks", "twenty-five cases"): both well-kept
libraries that do this better than a list of our own.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from text_to_num import text2num

from bot.text import sentences, wordset

_STEMMER = snowballstemmer.stemmer("english")


def stem(word: str) -> str:
    """The Snowball stem of one word, case-folded: 'helping' -> 'help'. Only real-sized
    words are cached: a made-up 30,000-letter word is not kept after its review."""
    return _stem(word) if len(word) <= 40 else _STEMMER.stemWord(word.casefold())


@lru_cache(maxsize=16384)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word.casefold().replace("’", "'"))


_TOKEN = re.compile(r"[A-Za-z£$€0-9][\w'’%£$€.,-]*(?<![.,-])|%")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    lower: str  # case-folded, with a typographic apostrophe as a plain one


def tokens(text: str) -> list[Token]:
    return [
        Token(m.group(0), m.start(), m.end(), m.group(0).casefold().replace("’", "'"))
        for m in _TOKEN.finditer(text)
    ]


# ---- figures ---------------------------------------------------------------------------


_NUMBER_WORDS = wordset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million billion"
)
_QUANTITY_WORDS = wordset("dozen dozens halved doubled tripled trebled quadrupled")
_UNITS = wordset(
    "% per percent cent percentage points pts pounds £ dollars $ euros € k m bn million "
    "billion thousand hundred hours hour days day weeks week months month years year "
    "minutes minute seconds mins hrs times x fold"
)
# After these a number is a name, not a figure: "Grade 7", "Band 6", "level 4".
_NAMES_BEFORE = wordset(
    "grade band level step phase stage version number no year tier key section chapter page "
    "room ward pc ps unit"
)
_BASELINE = wordset("from to by within under over than of at about around nearly almost")
_MONTHS = wordset(
    "january february march april may june july august september october november december"
)
_NOT_A_THING = wordset(
    "had has have was were is are did do does could would will can may might should must "
    "of or and to in on at for by from with as the a an that which who then than more less "
    "another day thing things"
)
_NOT_COUNTED = wordset("and or to of i we in on at for the a an with by from as is was")
_FEW = wordset("one two three four")
_BEFORE_UNIT = frozenset(
    ["other", "more", "extra", "additional", "new", "fewer", "less", "further", "separate"]
)
_DIGITS = re.compile(r"^[£$€]?\d[\d,]*(?:\.\d+)?(?:[-–]\d[\d,]*(?:\.\d+)?)?(?:%|k|m|bn|x)?$", re.I)


@dataclass(frozen=True)
class Figure:
    text: str  # as written: "three weeks", "20%", "from 14 to 5 weeks"
    start: int
    end: int


_LONGEST_NUMBER = 8  # words: "two thousand three hundred and forty-five" is seven


def _number_run(toks: Sequence[Token], i: int) -> int:
    """How many tokens from `i` make one number written in words (0 if none)."""
    j = i
    while j < len(toks) and j - i < _LONGEST_NUMBER:
        parts = toks[j].lower.split("-")
        if all(p in _NUMBER_WORDS for p in parts) or (j > i and toks[j].lower == "and"):
            j += 1
            continue
        break
    while j > i and toks[j - 1].lower == "and":
        j -= 1
    if j == i:
        return 0
    try:
        text2num(" ".join(t.lower for t in toks[i:j]), "en")
    except ValueError:
        return 0
    return j - i


def figures(text: str) -> list[Figure]:
    """Numbers that measure something: with a unit or a thing counted after them ("500
    cases", "three weeks", "20%", "£2,000"), or a baseline before them ("from 14 to 5",
    "by 30"); also "halved", "doubled", "a dozen". Years, dates and names such as
    "Grade 7" or "Band 6" are not figures."""
    toks = tokens(text)
    out: list[Figure] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        before = toks[i - 1].lower if i else ""
        if tok.lower in _QUANTITY_WORDS:
            out.append(Figure(tok.text, tok.start, tok.end))
            i += 1
            continue
        digits = bool(_DIGITS.match(tok.text))
        if not digits and tok.lower.split("-")[0] not in _NUMBER_WORDS:
            i += 1
            continue
        run = 1 if digits else _number_run(toks, i)
        if not run:
            i += 1
            continue
        end = i + run
        after = toks[end].lower if end < len(toks) else ""
        value = tok.lower.strip("£$€,.%")
        year = digits and re.fullmatch(r"(?:19|20)\d\d(?:[-–](?:19|20)?\d\d)?", value) is not None
        named = before in _NAMES_BEFORE or before in _MONTHS or after in _MONTHS
        lone_one = (
            not digits
            and run == 1
            and tok.lower == "one"
            and after in ("of", "day", "another", "or", "")
        )
        if year or named or lone_one:
            i = end
            continue
        if not digits and after not in _UNITS and (after in _NOT_A_THING or not after.isalpha()):
            i = end  # "one had been held", "two of them": no thing counted
            continue
        small = not digits and run == 1 and tok.lower in _FEW
        if small and after not in _UNITS and before not in _BASELINE:
            i = end  # "two steps", "three events": things counted, not a measure
            continue
        if digits and after in ("am", "pm", "a.m", "p.m", "o'clock"):
            i = end  # a time of day
            continue
        measured = (
            tok.text.endswith("%")
            or tok.text[:1] in "£$€"
            or after in _UNITS
            or before in _BASELINE
            or bool(after and after.isalpha() and after not in _NOT_COUNTED)
        )
        if before == "for" and after.rstrip("s") in ("year", "month", "week", "day", "decade"):
            measured = False  # "for 3 years": how long, not what came of it
        if measured:
            last = end
            # The thing counted: "500 cases", "three other teams", "two policy teams";
            # words next to each other only ("9%, survey" stops at the comma).
            while last < len(toks) and last - end < 3 and toks[last].lower.isalpha():
                word = toks[last].lower
                if word in _NOT_COUNTED or word in _NOT_A_THING:
                    break
                if text[toks[last - 1].end : toks[last].start].strip():
                    break
                last += 1
                if word in _UNITS or (word.endswith("s") and word not in _BEFORE_UNIT):
                    break
            first = i - 1 if before in ("from", "within", "under") else i
            start, stop = toks[first].start, toks[last - 1].end
            if out and re.fullmatch(r"\s*(?:to|-|–)\s*", text[out[-1].end : start]):
                start = out.pop().start  # "from 14 to 5 weeks" is one figure
            out.append(Figure(text[start:stop], start, stop))
        i = end
    return out


# ---- evidence --------------------------------------------------------------------------

_SOURCE = re.compile(
    r"\b(?:(?:my |our |the |a |an |their |his |her )?(?:line |senior |area |ward |regional |"
    r"deputy |assistant |chief |executive |programme |project |service |team |district |"
    r"operations? |divisional )?(?:manager|director|head|chief|superintendent|inspector|"
    r"sergeant|commander|chair|board|leadership team|leaders|leadership|management|executives?"
    r"|ceo|cfo|client|customer|stakeholder|partner|colleague|team members?|staff|patient|"
    r"leader|team leader|chairman|chairwoman|chairperson|guests?|diners?|"
    r"famil(?:y|ies)|relatives?|residents?|public|community|ministers?|auditors?|regulator|cqc|"
    r"ofsted|panel|users?|service users?|supervisor|boss|mentor|matron|consultant|teacher|"
    r"parents?|students?|pupils?|learners?|attendees?|participants?|delegates?|audience|"
    r"firm|company|agency|business|organisation|organization|department|authority|ministry|"
    r"professors?|lecturers?|tutors?|examiners?|counsell?ors?|"
    r"government|school|trust|force|"
    r"visitors?|callers?|governors?|trustees?|committee|council|employer|headteacher|"
    r"permanent secretary|deputy director|grade 6|grade 7|he|she|they)s?)\b",
    re.I,
)
_REACTION = re.compile(
    r"\b(?:prais\w*|thank\w*|commend\w*|appreciat\w*|recognis\w*|recogniz\w*|compliment\w*|"
    r"endors\w*|adopt\w*|nominat\w*|award\w*|congratulat\w*|rated|rating|scored|described|"
    r"said|told|called|wrote|written|e-?mailed|letter|feedback|quoted|asked (?:me|us) to|"
    r"invited (?:me|us)|promot\w*|selected|chose|approved|signed off|agreed|requested|"
    r"shared (?:it |this |my \w+ )?as|highlighted|singled|acknowledged|cited|confirmed|"
    r"verified|validated|posted|valued|gave (?:me|us)|offered (?:me|us)|"
    r"signed (?:up|with us|the contract|a contract|on)|"
    r"signing (?:with us|up|the contract)|(?:positive|glowing|good|five-star|5-star) review)\b",
    re.I,
)
_ADOPTION = re.compile(
    r"\b(?:became a (?:regular|loyal|repeat) (?:customer|client|user|visitor|donor)|"
    r"(?:used|adopted|took up|acted on|implemented) (?:this|that|my|our) (?:analysis|report|"
    r"plan|work|approach|recommendations?|proposal|design|findings|model|template|guide)|"
    r"(?:is|are) now (?:the )?(?:standard|the norm|policy|standard practice|business as usual)|"
    r"(?:another|other|a second|the next|a neighbouring|the wider) (?:\w+ )?(?:team|department|"
    r"office|unit|ward|force|trust|region|directorate|site|school) (?:\w+ly )?(?:adopted|took up|"
    r"now uses|started using|copied)|"
    r"(?:employees|staff|colleagues|teams|users|managers|officers|nurses|the team|"
    r"everyone|departments|clients|customers|partners) (?:\w+ly )?(?:adopted|took up|now use|"
    r"started using|began using)|(?:asked|invited) (?:me |us )?to (?:roll|extend|share|"
    r"present|repeat|run|lead|train)|roll(?:ed|ing)? (?:it |this |them |the \w+ )?out "
    r"(?:across|to)|(?:was|were|has been|have been|is|are|been) (?:now |since |later |formally |"
    r"widely )?(?:adopted|rolled out|replicated|embedded|mainstreamed|taken up|scaled up|"
    r"copied|extended)|(?:rolled|roll) out (?:across|to)|adopted (?:by|across|as)|"
    r"(?:now|still) (?:used|in use|being used|runs?|applied)|became (?:the )?(?:standard|"
    r"normal|business as usual|policy)|(?:standard|best|good) practice|(?:across|throughout) "
    r"the (?:region|force|trust|organisation|organization|department|country|business|"
    r"directorate|division|service|company|county|nhs|civil service)|(?:other|all|every|"
    r"\w+ other) (?:teams|departments|offices|wards|sites|regions|forces|units|areas|"
    r"directorates|schools|trusts) (?:now |have |are |then )?(?:use|used|adopted|followed|"
    r"introduced|asked)|continues? to (?:be used|run)|(?:is|are) still (?:in place|running))\b",
    re.I,
)
# A reaction with no one behind it, or the word alone, is not evidence: "positive feedback".
# Reactions that are things received: "a commendation from", "thanks from", "praise by".
_REACTION_NOUN = re.compile(
    r"^(?:commendation|praise|thanks|feedback|recognition|award|letter|email|e-mail|"
    r"compliments?|endorsement|nomination|congratulations|plaudits|appreciation)$",
    re.I,
)
# Reactions that are about the work whoever "they" are: "they appreciated the transparency".
_STRONG_REACTION = re.compile(
    r"^(?:prais|thank|commend|appreciat|congratulat|compliment|recogni|valued)", re.I
)
# ...or done by someone: "commended by the Director", "adopted by the board".
_REACTION_BY = re.compile(
    r"^(?:commended|praised|thanked|recogni[sz]ed|endorsed|approved|adopted|awarded|"
    r"congratulated|nominated|selected|highlighted|cited|acknowledged)$",
    re.I,
)
_MEASURED = re.compile(
    r"\b(?:(?:got|received|earned|achieved|awarded|gained) (?:an? |the )?(?:excellent|top|high|"
    r"highest|first|outstanding|perfect|full|distinction) (?:grade|mark|marks|score|rating|"
    r"award|class)|"
    r"(?:met|hit|beat|made|finished on|delivered on|completed on|ahead of) (?:the )?"
    r"(?:original |agreed |set |tight |statutory )?(?:deadline|schedule|target|budget)|"
    r"(?:by|in) (?:at least |over |almost |nearly |about |around |more than )?half|"
    r"by (?:a|one|two|three|four|five|six|\d+) (?:days?|weeks?|months?|years?|hours?)|"
    r"(?:more than |over |nearly |almost |about )?(?:a|one|two|three|four|\d+) (?:days?|weeks?|"
    r"months?) (?:late|early|ahead|behind|sooner|faster)|within (?:a|"
    r"one|two|three|four|five|six|\d+) (?:days?|weeks?|"
    r"fortnights?|months?|years?|quarters?|hours?)|(?:moved|rose|went|climbed|improved|"
    r"upgraded|raised)(?: up)? (?:from [‘'\"]?[\w-]+"
    r"[’'\"]? )?to [‘'\"]?(?:green|amber|good|outstanding|excellent|top|first|gold)\b|(?:a|one|"
    r"half a) (?:week|day|month|fortnight|year|quarter)s? (?:ahead|early|earlier|"
    r"before|sooner|faster)|(?:the )?(?:highest|top|best|first|fastest|lowest|largest) (?:\w+ )?"
    r"(?:in|of|across) (?:the|our|my) (?:class|region|team|department|force|country|"
    r"organisation|organization|trust|year|league|directorate|area|cohort|division))\b",
    re.I,
)


@dataclass(frozen=True)
class Evidence:
    kind: str  # "figure", "reaction" (someone's, attributed) or "adoption"
    text: str  # as written


def evidence(text: str) -> tuple[Evidence, ...]:
    """The evidence in `text`: figures (see `figures`), attributed reactions (who said
    or did what: "my manager praised…", "a commendation from the leadership team") and
    adoption or scale ("adopted by three other teams", "now used across the region")."""
    out: list[Evidence] = []
    for sentence in _clauses(text):
        for figure in figures(sentence):
            out.append(Evidence("figure", figure.text))
        for m in _MEASURED.finditer(sentence):
            out.append(Evidence("figure", m.group(0)))
        reacted = _reaction(sentence)
        if reacted:
            out.append(Evidence("reaction", reacted))
        for m in _ADOPTION.finditer(sentence):
            out.append(Evidence("adoption", m.group(0)))
    found = tuple(dict.fromkeys(out))
    # "two weeks" inside "two weeks early" is one piece of evidence, told the longer way.
    return tuple(e for e in found if not any(e.text != o.text and e.text in o.text for o in found))


# A person named, then what they did: "Alex later thanked me warmly".
_NAMED_REACTION = re.compile(
    r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?: [A-Z][a-z]+)?(?: \w+)? (?:thanked|praised|commended|"
    r"congratulated|complimented) (?:me|us)\b"
)


def _reaction(sentence: str) -> str | None:
    """The attributed reaction in one sentence: a source that reacted ("my manager
    praised", "the director asked me to"), or a reaction from a source ("a commendation
    from the leadership team", "thanks from the client")."""
    named = _NAMED_REACTION.search(sentence) or _NAMED_REACTION.search(" " + sentence)
    if named:
        return named.group(0).strip()
    reactions = list(_REACTION.finditer(sentence))
    if not reactions:
        return None
    sources = list(_SOURCE.finditer(sentence))
    starts = [source.start() for source in sources]
    for reaction in reactions:
        # Only the sources near it (found by bisection: a long sentence of reaction
        # words and pronouns stays linear, not reactions × sources).
        low = bisect.bisect_left(starts, reaction.start() - 120)
        high = bisect.bisect_right(starts, reaction.end() + 60)
        for source in sources[low:high]:
            if source.end() < reaction.start() - 80:
                continue  # too far apart to be one reaction
            pronoun = source.group(0).strip().casefold() in ("he", "she", "they")
            if source.end() <= reaction.start():
                if re.fullmatch(r"adoptions?", reaction.group(0), re.I):
                    continue  # "user adoption" names a thing, not what someone did
                between = sentence[source.end() : reaction.start()]
                if len(between.split()) > 7 or re.search(r"[,.;:]|\b(?:i|we|to)\b", between, re.I):
                    continue
                if (
                    pronoun
                    and not _STRONG_REACTION.match(reaction.group(0))
                    and not re.search(
                        r"\b(?:me|us|my|our)\b",
                        sentence[reaction.end() : reaction.end() + 30],
                        re.I,
                    )
                ):
                    continue  # "they said" about anything is not a reaction to the work
            else:
                between = sentence[reaction.end() : source.start()]
                noun = _REACTION_NOUN.match(reaction.group(0)) or _REACTION_BY.match(
                    reaction.group(0)
                )
                if (
                    pronoun
                    or not noun
                    or not re.fullmatch(r"\s+(?:from|by)\s+(?:\w+\s+){0,2}?", between + " ")
                ):
                    continue  # "a commendation from the leadership team", and only that
            start = min(source.start(), reaction.start())
            end = max(source.end(), reaction.end())
            return sentence[start:end]
    return None


def supported(sentence: str) -> bool:
    """Whether a sentence carries its own support: a figure, a source or an adoption."""
    return bool(
        figures(sentence)
        or _reaction(sentence)
        or _ADOPTION.search(sentence)
        or _MEASURED.search(sentence)
    )


def _clauses(text: str) -> list[str]:
    return sentences(text)


# ---- claims and vague wording ----------------------------------------------------------

_INTENSIFIER = (
    r"(?:dramatically|significantly|greatly|massively|hugely|considerably|substantially|vastly|"
    r"drastically|noticeably|markedly|enormously|tremendously|immensely|really|vastly|"
    r"radically|majorly|much|far|a lot|a great deal)"
)
_CHANGE = (
    r"(?:improv\w*|increas\w*|reduc\w*|boost\w*|enhanc\w*|better|cut|lower\w*|rais\w*|"
    r"speed\w* up|sped up|strengthen\w*|streamlin\w*|decreas\w*|grew|grow\w*|rose|fell|"
    r"dropped|transform\w*|impact\w*|benefit\w*|raised|outperform\w*)"
)
_CLAIMS = [
    r"\b(?:was|were|proved|been|be) (?:a |an )?(?:great |huge |real |big |resounding |total |"
    r"complete )?success\b",
    r"\b(?:groundbreaking|ground-breaking|well-received|well received|standout|first-class|"
    r"world-class|best-in-class)\b",
    r"\b(?:exceptionally|extremely|incredibly|remarkably) well\b",
    r"(?<!\bnot )\bsmoothly\b",
    r"\b(?:made|had|have|has|making|having) (?:a|an) (?:\w+ )?(?:impact|difference) on\b",
    r"\bconsistently (?:high|met|meets|exceeded|exceeds|delivered|performed|strong)\b",
    r"\ba (?:\w+ )?boost (?:in|to)\b",
    r"\bpositive (?:\w+ )?outcomes?\b",
    r"\b(?:excellent|considerable|superb|amazing|fantastic|outstanding|tremendous|brilliant|"
    r"remarkable|exceptional|incredible|impressive|huge|massive|significant|substantial|great|"
    r"efficient|real|major|big|dramatic) (?:\w+ )?(?:savings?|outcomes?|results|"
    r"recommendations?|improvements?|upgrade|success|progress|impact|benefits?|response|"
    r"conclusion|achievements?|gains?|reduction|increase|turnaround|recognition)\b",
    r"\b(?:it|this|that|everything|things) (?:was|went|worked out) (?:absolutely |really |"
    r"totally |just )?(?:fine|ok|okay|good|great|brilliant|perfect)\b",
    r"\bwork(?:ed|ing|s)? (?:really |very |so )?well together\b",
    rf"\b{_INTENSIFIER}\s+(?:more\s+|less\s+)?{_CHANGE}",
    rf"\b{_CHANGE}\s+(?:so\s+|very\s+)?(?:dramatically|significantly|greatly|massively|hugely|"
    r"considerably|substantially|vastly|drastically|noticeably|markedly|enormously|"
    r"tremendously|immensely|a lot|a great deal)\b",
    r"\b(?:everyone|everybody|all of us|the whole team|people|they) (?:was|were|seemed|felt|"
    r"looked) (?:really |very |so |much |extremely )?(?:happy|happier|pleased|satisfied|"
    r"delighted|impressed|thrilled)\b",
    r"\ba (?:really |very )?(?:good|great|perfect|excellent|strong|prime) example\b",
    r"\ba (?:really |very )?(?:good|great|strong|excellent|positive|close) (?:working )?"
    r"relationships?\b",
    r"\bbetter (?:results|outcomes|performance)\b",
    r"\bworked (?:really |very |extremely )?well\b",
    r"\b(?:kept|keep|keeping|maintained) (?:\w+ )?(?:morale|motivation|spirits|engagement)"
    r"(?: and \w+)? (?:high|up)\b",
    r"(?<!\ba )\b(?:much|far|a lot|significantly|considerably|substantially) (?:more|less) "
    r"\w+(?:ly)?\b",
    r"(?<!\ba )\b(?:much|far|a lot) (?:better|smoother|quicker|faster|easier|happier|stronger|"
    r"clearer)\b",
    r"\bsuccessful(?:ly)?\b",
    r"\ba (?:huge|big|great|real|massive|significant|major|positive|tangible|lasting|"
    r"marked|noticeable|considerable|resounding|great deal of) (?:success|difference|impact|"
    r"improvement|change|effect|boost|benefit)\b",
    r"\b(?:a )?positive (?:impact|outcome|result|results|effect|change|difference|feedback|"
    r"response|reception)\b",
    r"\b(?:great|good|excellent|glowing|fantastic|brilliant) feedback\b",
    r"\b(?:a |an )?(?:valuable|important|great|invaluable|key) (?:lesson|experience|insight|"
    r"learning experience)s?\b",
    r"\bexceeded (?:all |everyone's |their |our )?expectations\b",
    r"\bwent (?:really |very |extremely |incredibly )?(?:well|smoothly)\b",
    r"\b(?:very|highly|extremely|really|incredibly|hugely) (?:effective|successful|efficient|"
    r"well received|positive|productive|valuable|beneficial|impactful)\b",
    r"\b(?:ran|run|running|worked|went|operated|progressed) (?:much |far |more |very )*smoothly\b",
    r"\bseamless(?:ly)?\b",
    r"\bto (?:everyone's|everybody's|the customer's|the client's|their|all parties'|his|her) "
    r"(?:complete |full |total )?satisfaction\b",
    r"\bimproved (?:morale|relationships?|efficiency|communication|performance|teamwork|"
    r"engagement|trust|collaboration|productivity|outcomes|the (?:process|service|team|"
    r"situation|culture)|working relationships?|team morale|customer satisfaction|"
    r"satisfaction|the quality)\b",
    r"\b(?:relationships?|morale|communication|teamwork|trust|engagement|things|the "
    r"situation|performance|efficiency|productivity)(?: \w+){0,4} (?:greatly |really |much )?"
    r"(?:improved|got better)\b",
]
_CLAIM_RE = re.compile("|".join(f"(?:{c})" for c in _CLAIMS), re.I)

# What came of it, told as a change with no measure: a claim in the Result.
_BARE_CHANGE = re.compile(
    r"\b(?:improved|reduced|cut|increased|boosted|enhanced|benefit(?:ed|ted)|contributed to|"
    r"streamlined|strengthened|lowered|sped up|speeded up)"
    r"(?! (?:my|our|their|his|her) confidence\b)"
    r"(?: (?!(?:by|from|and|after|as|when|because|but|so|which|while)\b)\w+){1,3}",
    re.I,
)
_FILLERS = [
    r"\bvarious\b",
    r"\b(?:(?:lots of|a lot of|loads of|all sorts of|many|several|other|some|different|these|"
    r"those|various) (?:different |other )?things|things like|and things)\b",
    r"\b(?:all (?:of )?)?the (?:necessary|relevant|appropriate|usual) (?:steps|actions|things|"
    r"measures|people)\b",
    r"\ball (?:of )?the (?:different |various |physical |other )?(?:tasks|steps|things|bits|"
    r"stuff)\b",
    r"\bstuff\b",
    r"\ba lot of(?: (?:different |other )?things)?\b",
    r"\ba (?:large|huge|great|big|vast) (?:number|amount) of\b",
    r"\blots of(?: (?:different |other )?things)?\b",
    r"\bloads of\b",
    r"\ba lot\b",
    r"\betc\b\.?",
    r"\bet cetera\b",
    r"\band so on\b",
    r"\bsomehow\b",
    r"\bsome (?:issues|problems|things|changes|tasks|work)\b",
    r"\bcertain (?:tasks|things|issues|areas|aspects|problems|elements|people|steps|points)\b",
    r"\bkind of\b",
    r"\bsort of\b",
    r"\ba number of\b",
]
_FILLER_RES = tuple(re.compile(f, re.I) for f in _FILLERS)

# A diluted or hidden role: by stems, so every form of the verb is read.
_LITERAL_WORK = (
    r"(?:the )?(?:wards?|site|floor|front ?line|shifts?|phones|desk|reception|till|counter|"
    r"nights|weekends|saturdays|sundays|the (?:ward|unit|shop floor))\b"
)
_DILUTED = re.compile(
    r"\b(?:(?<=to )help (?!(?:her|him|them|me|us|you|people|the|a|an|my|our|their|his|its|"
    r"others|colleagues|staff|everyone|customers|clients|patients|with|to|out|in|this|that|"
    r"it)\b)[a-z]+|help(?:ed|ing|s)?(?: (?:with|to|out|in))?|assist(?:ed|ing|s)?(?: (?:with|in))?|"
    r"(?:was|were|be|been|being|am|is|are|got|get|getting) (?:also |heavily |closely )?"
    r"involved(?: in| with)?|(?:took|take|taking|takes) part in|(?:tried|try|trying|tries|"
    r"attempted|attempting) to|made (?:an|every|some) effort|(?:tried|did|doing|do) my (?:best|"
    r"hardest|utmost)|"
    rf"work(?:ed|ing)? on(?! {_LITERAL_WORK}))\b",
    re.I,
)
_SELF_PRAISE = re.compile(
    r"\b(?:(?:a |as a )?natural leader|(?:a |as a )?(?:strong |good |great )?team player|"
    r"(?:my )?(?:excellent|strong|great|good|exceptional) (?:communication|interpersonal|"
    r"organisational|organizational|people|leadership|problem-solving) skills|"
    r"(?:a )?(?:strong|great|excellent|natural) communicator|(?:a )?people person|"
    r"go(?:ing)? (?:the|above and beyond the) extra mile|above and beyond|"
    r"(?:strong|excellent|good|great|effective|exceptional|proven|solid) [\w-]+ skills|"
    r"i(?: am|'m) always (?:looking|keen|happy|willing|ready)|i(?: am|'m) a (?:very |really |"
    r"highly |naturally )?(?:\w+ )?(?:person|individual|team player|leader|communicator|"
    r"listener|worker)|i work well (?:in|with|under|as)"
    r"(?: \w+){1,3}|(?:effective|excellent|strong|great|good) (?:communication|interpersonal|"
    r"organisational|organizational|people|leadership) skills)\b",
    re.I,
)
_HOPED = re.compile(
    r"\b(?:would|could|will|might|should|(?:aim|hope|want|intend|plan|expect)(?:ed|ing|s)? to|"
    r"in order to|so that)\b[^.,;]*$",
    re.I,
)
_MINE = re.compile(r"\b(?:I|we|me|my|our)\b", re.I)
# "help" as a thing given or asked for is not a diluted role: "asked for help".
_HELP_NOUN = re.compile(
    r"\b(?:for|of|with|any|some|extra|the|my|your|their|our|more|no|get|got|need|needed|"
    r"ask|asked) help\b|\bhelp(?:s)? (?:desk|line|sheet|page)\b",
    re.I,
)


@dataclass(frozen=True)
class Vague:
    phrase: str  # as written
    part: str
    kind: str  # "filler", "role", "claim" or "self-praise"
    start: int = 0  # within its part's text
    end: int = 0


def vague(text: str, part: str) -> tuple[Vague, ...]:
    """Vague and unsupported wording in one part's `text`. A Task says what one was
    responsible for, so that is never flagged; a diluted role ("helped with", "was
    involved in", "tried to") only in what was done and what came of it; a claim
    ("dramatically improved", "successfully", "a valuable lesson") only where the same
    sentence has no figure, source or reaction behind it."""
    out: list[Vague] = []
    offset = 0
    for sentence in _clauses(text):
        at = text.find(sentence, offset)
        at = offset if at < 0 else at
        offset = at + len(sentence)
        found: list[tuple[int, int, str]] = []
        for filler in _FILLER_RES:
            for m in filler.finditer(sentence):
                found.append((m.start(), m.end(), "filler"))
        if part in ("action", "result"):
            for m in _DILUTED.finditer(sentence):
                if m.group(0).casefold() == "help" or _HELP_NOUN.search(
                    sentence[max(0, m.start() - 6) : m.end()]
                ):
                    continue  # "help" as a thing, or bare (to help, help them): not a role
                before = sentence[: m.start()]
                others = re.search(r"involved|part in", m.group(0), re.I)
                if others and len(before.split()) > 2 and not _MINE.search(before):
                    continue  # someone else's part in it: "the staff all got involved"
                found.append((m.start(), m.end(), "role"))
        if not supported(sentence):
            claimed = [
                (m.start(), m.end())
                for m in _CLAIM_RE.finditer(sentence)
                if not _HOPED.search(sentence[max(0, m.start() - 60) : m.start()])
            ]  # a hope or a plan is not a claim of what happened
            if part == "result":  # a change told with no measure, where no claim says more
                claimed += [
                    (m.start(), m.end())
                    for m in _BARE_CHANGE.finditer(sentence)
                    if not any(m.start() < e and s < m.end() for s, e in claimed)
                ]
            found += [(start, end, "claim") for start, end in claimed]
        for m in _SELF_PRAISE.finditer(sentence):
            found.append((m.start(), m.end(), "self-praise"))
        taken: list[tuple[int, int]] = []
        for start, end, kind in sorted(found, key=lambda f: (f[0], -(f[1] - f[0]))):
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            out.append(Vague(sentence[start:end], part, kind, at + start, at + end))
    return tuple(out)


# ---- "I" and "we" ----------------------------------------------------------------------

_I = re.compile(r"\bI(?:'m|'ve|'d|'ll|’m|’ve|’d|’ll)?\b")
_WE = re.compile(r"\bwe(?:'re|'ve|'d|'ll|’re|’ve|’d|’ll)?\b", re.I)


@dataclass(frozen=True)
class Voice:
    i: int  # "I" as the one acting, in the Action
    we: int  # "we"
    mostly_we: bool  # the person hides behind the team


def voice(action: str) -> Voice:
    """Who acts in what the candidate did: "I" against "we", counted in the Action only
    (the scene may well be about the team)."""
    i = len(_I.findall(action))
    we = len(_WE.findall(action))
    return Voice(i=i, we=we, mostly_we=we > i)
