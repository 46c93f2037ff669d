"""`behaviourbot review`: one written answer reviewed from a file or standard input, as
the chat reviews it, or as one JSON object (the keys issue 17 asks for, and more)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli import main

ANSWER = (
    "Describe a time when you delivered at pace.\n"
    "\n"
    "In my last role as a caseworker, our team had a backlog of 500 cases. My manager asked"
    " me to clear it within a month. I reviewed every case and sorted them by urgency. I"
    " introduced a triage system that cleared the backlog three weeks early. My manager"
    " appreciated the analysis and the approach was adopted by two other teams. I learned"
    " that planning early saves time.\n"
)


@pytest.fixture
def answer(tmp_path: Path) -> Path:
    path = tmp_path / "statement.txt"
    path.write_text(ANSWER, encoding="utf-8")
    return path


def review(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(["review", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_json_has_the_keys_asked_for(capsys, answer: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = review(capsys, str(answer), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["parts"] == {
        "situation": "In my last role as a caseworker, our team had a backlog of 500 cases.",
        "task": "My manager asked me to clear it within a month.",
        "action": "I reviewed every case and sorted them by urgency. I introduced a triage system",
        "result": "that cleared the backlog three weeks early. My manager appreciated the"
        " analysis and the approach was adopted by two other teams.",
        "learned": "I learned that planning early saves time.",
    }
    assert data["left_out"] == ["Describe a time when you delivered at pace."]
    assert data["words"] == 67 and data["limit"] == 250 and data["over_limit"] is False
    assert data["action_pronouns"] == {"i": 2, "we": 0} and data["mostly_we"] is False
    assert {"kind": "figure", "text": "three weeks early"} in data["evidence"]
    assert {"kind": "reaction", "text": "My manager appreciated"} in data["evidence"]
    assert {"kind": "adoption", "text": "was adopted"} in data["evidence"]
    assert data["has_evidence"] is True and data["evidence_strength"] == "strong"
    assert data["vague"] == [] and data["coverage"] == [] and data["band"] is None


def test_against_a_behaviour_and_level(capsys, answer: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = review(
        capsys, str(answer), "--behaviour", "delivering at pace", "--level", "4", "--json"
    )
    data = json.loads(out)
    assert code == 0
    assert (data["framework"], data["behaviour"], data["level"]) == (
        "civil-service",
        "delivering-at-pace",
        "4",
    )
    assert len(data["coverage"]) == 6
    assert data["band"]["scale"] == "civil-service" and data["band"]["self_check"] is True
    assert 1 <= data["band"]["value"] <= 7
    assert data["band"]["value"] == sum(step["change"] for step in data["band"]["steps"])


def test_each_framework_judges_in_its_own_way(capsys, answer: Path) -> None:  # type: ignore[no-untyped-def]
    """Defect: the Civil Service 1 to 7 scale was applied to DHS and policing answers."""
    _, dhs, _ = review(
        capsys, str(answer), "--behaviour", "people centered", "--level", "excellence", "--json"
    )
    band = json.loads(dhs)["band"]
    assert band["scale"] == "dhs"
    assert band["value"] in ("Achieved Excellence", "Achieved Expectations", "Not yet shown")
    assert set(band["detail"]) == {"Achieved Excellence", "Achieved Expectations"}
    _, cvf, _ = review(capsys, str(answer), "--behaviour", "we analyse critically", "--json")
    band = json.loads(cvf)["band"]
    assert band["scale"] == "cvf" and band["name"].endswith("of 5")
    _, text, _ = review(capsys, str(answer), "--behaviour", "we analyse critically")
    assert "indicators clearly shown" in text and "of 7" not in text
    _, text, _ = review(capsys, str(answer), "--behaviour", "people centered", "--level", "1")
    assert "Indicative band" not in text


def test_the_same_review_as_the_chat(capsys, answer: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = review(capsys, str(answer), "--behaviour", "delivering at pace", "--level", "4")
    assert code == 0
    assert out.startswith("Review of your answer: Delivering at Pace, Level 4\n")
    for heading in (
        "The STAR parts I found",
        "Review: length and balance",
        "67 words is well under the 250-word limit",
        "Not counted: 1 label, heading, tag or question",
        "Review: your part in it",
        "Review: evidence in the Result",
        "Who said or did what: My manager appreciated",
        "Review: evidence of Level 4",
        "Indicative band:",
        "Questions an interviewer may ask",
    ):
        assert heading in out


def test_standard_input_and_the_limit(answer: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "review", "-", "--limit", "60", "--json"],
        input=ANSWER,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["words"], data["limit"], data["over_limit"]) == (67, 60, True)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--level", "4"], "--level needs --behaviour too"),
        (["--behaviour", "leadership"], "which level of Leadership? Give --level: Level 1"),
        (["--behaviour", "zzzz", "--level", "4"], "no behaviour or competency matches"),
        (["--behaviour", "leadership", "--level", "9"], "Leadership has no level '9'"),
        (
            ["--behaviour", "leadership", "--level", "band 6"],
            "is a pay band, not a Civil Service level",
        ),
    ],
)
def test_bad_options_are_said_plainly(capsys, answer: Path, args: list[str], said: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = review(capsys, str(answer), *args)
    assert code == 2 and out == "" and said in err


def test_unreadable_input_is_said_plainly(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = review(capsys, str(tmp_path / "missing.txt"))
    assert code == 2 and "cannot read" in err
    binary = tmp_path / "statement.docx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    code, _, err = review(capsys, str(binary))
    assert code == 2 and "is not UTF-8 text" in err
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n", encoding="utf-8")
    code, _, err = review(capsys, str(empty))
    assert code == 2 and "there is no answer to review" in err
    huge = tmp_path / "huge.txt"
    huge.write_text("word " * 60_000, encoding="utf-8")
    code, _, err = review(capsys, str(huge))
    assert code == 2 and "give one answer" in err


def test_terminal_escapes_in_the_answer_never_reach_the_terminal(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sneaky = tmp_path / "sneaky.txt"
    sneaky.write_text(
        "I rang the client.\x1b]0;owned\x07 \x1b[31mI fixed the rota.\x1b[0m", encoding="utf-8"
    )
    code, out, _ = review(capsys, str(sneaky))
    assert code == 0 and "\x1b" not in out and "I fixed the rota." in out
