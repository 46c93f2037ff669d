"""How often the STAR review agrees with hand-written labels, criterion by criterion.

The labels are in bench/star_eval/ (how they were made: bench/star_eval/README.md):
`tuning.json` is the part the review was tuned on, `held_out.json` the part kept aside
and never looked at while tuning. Each is scored separately, on each answer as written
and again with its labels taken out (a free answer, as in practice mode).

Criteria, each the share of (answer, criterion) pairs where the review agrees:
- situation, task, action, result, learned: the part is found when, and only when, the
  labels say it is there;
- evidence: the Result has evidence (figures, attributed reactions, adoption) or not;
- mostly we: the Action mostly says "we";
- words: the word count within 3 words (or 2%) of the label's;
- over limit: more than 250 words;
- vague found: the share of labelled vague or unsupported phrases that the review flags
  (recall), and vague right: the share of flagged phrases that are labelled (precision).

The baseline, in the same run, is the review before this analysis: every answer read by
the old rules (kept in this file as `baseline`), so the ratio says what the change bought.

    .venv/bin/python bench/star_agreement.py [--set tuning|held_out|both] [--show N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.star.review import PARTS, analyse

HERE = Path(__file__).resolve().parent / "star_eval"
LIMIT = 250
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "with",
        "of",
        "in",
        "on",
        "and",
        "for",
        "my",
        "our",
        "i",
        "we",
        "was",
        "were",
        "is",
        "it",
        "that",
    ]
)


def load(name: str) -> list[dict[str, Any]]:
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


def free_text(example: Mapping[str, Any]) -> str:
    """The answer with its labels taken out: the labelled parts, in order, as one
    paragraph (what a person says aloud)."""
    labelled = example["labels"]["parts"]
    said = [labelled[p].strip() for p in PARTS if labelled.get(p)]
    # A part cut from before a tag ("… a month (Situation).") ends as a sentence ends.
    return " ".join(part if part[-1:] in ".!?\"')" else part + "." for part in said)


# ---- what the review says, in the labels' terms ---------------------------------------


def judged(text: str) -> dict[str, Any]:
    review = analyse(text, target=LIMIT)
    return {
        "parts": {p: bool(review.parts.get(p)) for p in PARTS},
        "evidence": review.has_evidence,
        "mostly_we": review.voice.mostly_we,
        "words": review.length.total,
        "over_limit": review.length.total > LIMIT,
        "vague": [v.phrase for v in review.vague],
    }


def baseline(text: str) -> dict[str, Any]:
    """The review as it was before this analysis (issue 17's "today"), for the ratio:
    the first sentence the Situation, any later "I"/"we" sentence the Action, any
    keyword in the Result evidence, a fixed list of vague phrases."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s]
    placed: dict[str, list[str]] = {}
    acted = False
    result_cue = re.compile(
        r"\b(?:as a result|resulted|outcome|in the end|led to|achieved|feedback|praised)\b"
        r"|\d\s?%",
        re.I,
    )
    for n, sentence in enumerate(sentences):
        if acted and re.search(r"\b(?:i learn(?:ed|t)|next time|lessons?)\b", sentence, re.I):
            part = "learned"
        elif acted and result_cue.search(sentence):
            part = "result"
        elif re.search(r"\b(?:my (?:role|task)|i had to|i needed to)\b", sentence, re.I):
            part = "task"
        elif n and re.search(r"\b(?:i|we)\b", sentence, re.I):
            part, acted = "action", True
        else:
            part = "situation" if not acted else "action"
        placed.setdefault(part, []).append(sentence)
    action = " ".join(placed.get("action", []))
    result = " ".join(placed.get("result", []))
    i = len(re.findall(r"\b(?:i|me|my)\b", action, re.I))
    we = len(re.findall(r"\b(?:we|us|our)\b", action, re.I))
    words = len(text.split())
    fixed = ("various", "things", "helped with", "tried to", "etc", "a lot", "worked on")
    return {
        "parts": {p: p in placed for p in PARTS},
        "evidence": bool(re.search(r"\d|improved|feedback|praised|reduced|increased", result)),
        "mostly_we": we > i,
        "words": words,
        "over_limit": words > LIMIT * 1.1,
        "vague": [f for f in fixed if re.search(rf"\b{f}\b", text, re.I)],
    }


# ---- agreement ---------------------------------------------------------------------------


def _content(phrase: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", phrase.casefold()) if w not in _STOP} or set(
        re.findall(r"[a-z0-9]+", phrase.casefold())
    )


def matched(labelled: Sequence[str], flagged: Sequence[str]) -> int:
    """How many labelled phrases a flagged phrase overlaps (each flagged one used once)."""
    left = [_content(f) for f in flagged]
    count = 0
    for phrase in labelled:
        want = _content(phrase)
        hit = next((n for n, got in enumerate(left) if got & want), None)
        if hit is not None:
            left.pop(hit)
            count += 1
    return count


def score(
    examples: Sequence[Mapping[str, Any]],
    review: Callable[[str], dict[str, Any]],
    text_of: Callable[[Mapping[str, Any]], str],
    show: int = 0,
) -> dict[str, tuple[int, int]]:
    """criterion -> (agreed, of)."""
    tally: dict[str, list[int]] = {}

    def count(criterion: str, agreed: int, of: int = 1) -> None:
        seen = tally.setdefault(criterion, [0, 0])
        seen[0] += agreed
        seen[1] += of

    shown = 0
    for example in examples:
        labels = example["labels"]
        said = review(text_of(example))
        misses = []
        for part in PARTS:
            want = labels["parts"].get(part) is not None
            count(part, said["parts"][part] == want)
            if said["parts"][part] != want:
                misses.append(f"{part}: {said['parts'][part]} (label {want})")
        count("evidence", said["evidence"] == labels["result_has_evidence"])
        count("mostly we", said["mostly_we"] == labels["mostly_we"])
        tolerance = max(3, round(labels["words"] * 0.02))
        count("words", abs(said["words"] - labels["words"]) <= tolerance)
        count("over limit", said["over_limit"] == labels["over_limit"])
        wanted = [v["phrase"] for v in labels["vague"]]
        found = matched(wanted, said["vague"])
        count("vague found", found, len(wanted))
        count("vague right", matched(said["vague"], wanted), len(said["vague"]))
        if said["evidence"] != labels["result_has_evidence"]:
            misses.append(f"evidence: {said['evidence']}")
        if said["mostly_we"] != labels["mostly_we"]:
            misses.append(f"mostly we: {said['mostly_we']}")
        if abs(said["words"] - labels["words"]) > tolerance:
            misses.append(f"words: {said['words']} (label {labels['words']})")
        missed = [w for w in wanted if not matched([w], said["vague"])]
        extra = [f for f in said["vague"] if not matched([f], wanted)]
        if missed or extra:
            misses.append(f"vague missed {missed} extra {extra}")
        if misses and shown < show:
            shown += 1
            print(f"  {example['id']}: " + "; ".join(misses))
    return {criterion: (a, n) for criterion, (a, n) in tally.items()}


def labels_as_review(labels: Mapping[str, Any]) -> dict[str, Any]:
    """One labeller's labels in the review's terms, to score a labeller against another."""
    return {
        "parts": {p: labels["parts"].get(p) is not None for p in PARTS},
        "evidence": labels["result_has_evidence"],
        "mostly_we": labels["mostly_we"],
        "words": labels["words"],
        "over_limit": labels["over_limit"],
        "vague": [v["phrase"] for v in labels["vague"]],
    }


def second_labeller(show: int) -> None:
    """How often two labellers agree with each other on the same answers, beside how
    often the review agrees with each: the ceiling any review can be judged against."""
    path = HERE / "second_labeller.json"
    if not path.is_file():
        return
    second = {row["id"]: row["labels"] for row in json.loads(path.read_text(encoding="utf-8"))}
    examples = [e for name in ("tuning", "held_out") if (HERE / f"{name}.json").is_file()
                for e in load(name) if e["id"] in second]  # fmt: skip
    first_said = {e["id"]: labels_as_review(e["labels"]) for e in examples}
    swapped = [dict(e, labels=second[e["id"]]) for e in examples]
    table(
        f"two labellers on the same {len(examples)} answers (as written)",
        {
            "labeller 1 vs 2": score(swapped, lambda t: first_said[_id_of(examples, t)], _text),
            "review vs labeller 1": score(examples, judged, _text, show),
            "review vs labeller 2": score(swapped, judged, _text, 0),
        },
    )


def _text(example: Mapping[str, Any]) -> str:
    return example["text"]


def _id_of(examples: Sequence[Mapping[str, Any]], text: str) -> str:
    return next(e["id"] for e in examples if e["text"] == text)


def table(name: str, runs: Mapping[str, dict[str, tuple[int, int]]]) -> list[float]:
    """Prints one row per criterion; returns the review's shares (for the ratio)."""
    first = next(iter(runs.values()))
    print(f"\n{name}")
    print(f"  {'criterion':<12}" + "".join(f"{label:>22}" for label in runs))
    shares = []
    for criterion in first:
        row = f"  {criterion:<12}"
        for label, result in runs.items():
            agreed, of = result[criterion]
            share = agreed / of if of else 1.0
            row += f"{f'{share:6.1%} ({agreed}/{of})':>22}"
            if label.startswith("review"):
                shares.append(share)
        print(row)
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("tuning", "held_out", "both"), default="both")
    parser.add_argument("--show", type=int, default=0, help="print up to N disagreements")
    parser.add_argument(
        "--free", action="store_true", help="print the disagreements on free answers instead"
    )
    args = parser.parse_args()
    sets = ("tuning", "held_out") if args.set == "both" else (args.set,)
    lowest: dict[str, float] = {}
    sets = tuple(name for name in sets if (HERE / f"{name}.json").is_file())
    for name in sets:
        examples = load(name)
        print(f"\n{name}: {len(examples)} answers")
        as_written = score(examples, judged, lambda e: e["text"], 0 if args.free else args.show)
        free = score(examples, judged, free_text, args.show if args.free else 0)
        old = score(examples, baseline, free_text, 0)
        shares = table(
            f"{name}: agreement with the labels",
            {"review, as written": as_written, "review, free": free, "baseline, free": old},
        )
        lowest[name] = min(shares)
        new = sum(a for a, _ in free.values()) / sum(n for _, n in free.values())
        before = sum(a for a, _ in old.values()) / sum(n for _, n in old.values())
        print(f"  all pairs, free: review {new:.1%}, baseline {before:.1%}")
        lowest[f"{name} ratio"] = new / before if before else 0.0
    second_labeller(args.show)
    for name in sets:
        print(
            f"{name}: lowest criterion {lowest[name]:.1%}; "
            f"ratio to the baseline (all pairs, free) {lowest[f'{name} ratio']:.2f}x"
        )


if __name__ == "__main__":
    main()
