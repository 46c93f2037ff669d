"""The framework files: complete, verbatim from their sources, and validated on load."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from bot.frameworks import Framework, FrameworkError, check_sources, load_all, load_file

from .conftest import CS_LEVEL_LABELS, SOURCES


def test_three_frameworks_load(frameworks: list[Framework]) -> None:
    assert [fw.id for fw in frameworks] == ["civil-service", "dhs-ses", "policing-cvf"]


def test_every_served_text_occurs_verbatim_in_its_source(frameworks: list[Framework]) -> None:
    for fw in frameworks:
        assert fw.source is not None and fw.source.is_file()
        assert check_sources(fw) == []


def test_civil_service_has_nine_behaviours_at_six_levels(by_id: dict[str, Framework]) -> None:
    cs = by_id["civil-service"]
    assert [b.name for b in cs.behaviours] == [
        "Seeing the Big Picture",
        "Changing and Improving",
        "Making Effective Decisions",
        "Leadership",
        "Communicating and Influencing",
        "Working Together",
        "Developing Self and Others",
        "Managing a Quality Service",
        "Delivering at Pace",
    ]
    assert [lv.label for lv in cs.levels] == CS_LEVEL_LABELS
    texts = [b.texts[lv.id] for b in cs.behaviours for lv in cs.levels]
    assert len(texts) == 54 and len(set(texts)) == 54  # no level heading repeated as text
    leadership = cs.behaviour("leadership")
    assert leadership is not None
    assert leadership.definition == (
        "Show pride and passion for public service. Create and engage others in delivering a "
        "shared vision. Value difference, diversity and inclusion, ensuring fairness and "
        "opportunity for all."
    )
    assert str(leadership.texts["4"]).startswith("Promote diversity, inclusion and equality")


def test_dhs_has_eight_competencies_with_both_levels_and_cbp_notes(
    by_id: dict[str, Framework],
) -> None:
    dhs = by_id["dhs-ses"]
    assert [b.number for b in dhs.behaviours] == [f"1.{n}" for n in range(1, 9)]
    assert all(set(b.texts) == {"excellence", "expectations"} for b in dhs.behaviours)
    notes = {b.number: b.note for b in dhs.behaviours if b.note}
    assert set(notes) == {"1.6", "1.7"}
    assert notes["1.6"].startswith("In CBP, this core leadership competency will address")
    # The page break inside 1.4 Achieved Expectations is joined, and recorded as a fix.
    performance = dhs.behaviour("performance-centered")
    assert performance is not None
    assert "managers and supervisors within the executive's organization" in str(
        performance.texts["expectations"]
    )
    assert [f.find for f in dhs.source_fixes] == ["supervisors\n\nwithin"]


def test_policing_indicators_follow_the_map(by_id: dict[str, Framework]) -> None:
    cvf = by_id["policing-cvf"]
    assert len(cvf.clusters) == 3 and len(cvf.behaviours) == 6
    lines = (SOURCES / "004_aee65bb76dc867a8.txt").read_text(encoding="utf-8").split("\n")
    rows = [
        r
        for r in csv.reader(
            (SOURCES / "004_cvf_level3_map.tsv").read_text(encoding="utf-8").splitlines(),
            delimiter="\t",
        )
        if r and not r[0].startswith("#")
    ][1:]
    assert len(rows) == 33
    expected: dict[str, list[str]] = {}
    for line_no, competency, _ in rows:
        expected.setdefault(competency, []).append(lines[int(line_no) - 1].strip())
    got = {b.name: list(b.texts["3"]) for b in cvf.behaviours}
    assert got == expected
    clusters = {b.name: cvf.cluster(b.cluster).name for b in cvf.behaviours}  # type: ignore[union-attr]
    assert clusters["We analyse critically"] == "Intelligent, Creative and Informed Policing"
    assert clusters["We take ownership"] == "Resolute, compassionate and committed"
    assert clusters["We are collaborative"] == "Inclusive, enabling and visionary leadership"


GOOD = """
schema_version = 1
id = "acme"
name = "Acme Values"
aliases = ["acme"]
[[levels]]
id = "1"
name = "Level 1"
[[behaviours]]
id = "kindness"
name = "Kindness"
definition = "Be kind."
[behaviours.levels]
"1" = "Help a colleague every day."
"""


def write(tmp_path: Path, text: str, name: str = "acme.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (("schema_version = 1", "schema_version = 2"), "schema_version", "must be 1, not 2"),
        (('name = "Acme Values"\n', ""), "name", "missing"),
        (
            ('definition = "Be kind."', 'defintion = "Be kind."'),
            "behaviours[0].defintion",
            "unknown field",
        ),
        (
            ('"1" = "Help', '"7" = "Help'),
            "behaviours[0].levels.7",
            "not one of the framework's levels",
        ),
        (
            ('"1" = "Help a colleague every day."', '"1" = ""'),
            "behaviours[0].levels.1",
            "non-empty",
        ),
        (('id = "acme"', 'id = "Acme Ltd"'), "id", "must be lower case"),
        (
            ('name = "Kindness"', 'name = "Kindness"\ncluster = "heart"'),
            "behaviours[0].cluster",
            "not a cluster id",
        ),
        (("[[levels]]", "[levels]"), "levels", "array of tables"),
        (('aliases = ["acme"]', "aliases = [1]"), "aliases", "list of non-empty strings"),
    ],
)
def test_a_broken_file_names_the_file_the_field_and_the_problem(
    tmp_path: Path, change: tuple[str, str], field: str, problem: str
) -> None:
    assert change[0] in GOOD
    path = write(tmp_path, GOOD.replace(change[0], change[1], 1))
    with pytest.raises(FrameworkError) as caught:
        load_file(path)
    found = [p for p in caught.value.problems if p.field == field]
    assert found, caught.value.problems
    assert found[0].path == str(path)
    assert problem in found[0].message
    assert str(path) in str(caught.value) and field in str(caught.value)


def test_a_toml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('name = "Kindness"', 'name = "Kindness'))
    with pytest.raises(FrameworkError) as caught:
        load_file(path)
    (problem,) = caught.value.problems
    assert problem.field == "(syntax)" and "line" in problem.message


def test_duplicate_behaviour_ids_and_aliases_are_refused(tmp_path: Path) -> None:
    twice = GOOD + GOOD[GOOD.index("[[behaviours]]") :]
    with pytest.raises(FrameworkError) as caught:
        load_file(write(tmp_path, twice))
    messages = {p.field: p.message for p in caught.value.problems}
    assert "duplicate behaviour id 'kindness'" in messages["behaviours[1].id"]
    assert "also names behaviours[0]" in messages["behaviours[1].name"]


def test_an_extra_directory_adds_an_organisations_framework(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    frameworks = load_all([tmp_path])
    assert [fw.id for fw in frameworks][-1] == "acme"


def test_an_extra_framework_may_not_reuse_a_builtin_id(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('id = "acme"', 'id = "dhs-ses"'))
    with pytest.raises(FrameworkError) as caught:
        load_all([tmp_path])
    assert "'dhs-ses' is already used by" in str(caught.value)


def test_check_sources_finds_text_that_is_not_verbatim(tmp_path: Path) -> None:
    source = "Acme Values\nLevel 1\nKindness: Be kind. Help a colleague every day."
    (tmp_path / "source.txt").write_text(source, encoding="utf-8")
    path = write(tmp_path, GOOD.replace('aliases = ["acme"]', 'source = "source.txt"'))
    assert check_sources(load_file(path)) == []
    path.write_text(path.read_text().replace("every day", "daily"), encoding="utf-8")
    (problem,) = check_sources(load_file(path))
    assert problem.field == "behaviours[0].levels.1" and "not found verbatim" in problem.message


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_frameworks_check_command_reports_the_builtin_frameworks_ok() -> None:
    result = cli("frameworks", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("texts match the source") == 3
    assert "Civil Service Behaviours, 9 behaviours, 6 levels" in result.stdout


def test_frameworks_check_command_reports_a_broken_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('"1" = "Help', '"9" = "Help'))
    result = cli("frameworks", "check", str(path))
    assert result.returncode == 1
    assert f"ERROR  {path}: behaviours[0].levels.9: '9' is not one of the framework's levels" in (
        result.stdout
    )


def test_chat_refuses_to_start_with_a_broken_extra_framework(tmp_path: Path) -> None:
    import os

    write(tmp_path, GOOD.replace("schema_version = 1", ""))
    env = {
        **os.environ,
        "BEHAVIOURBOT_FRAMEWORKS": str(tmp_path),
        "BEHAVIOURBOT_DB": str(tmp_path / "x.db"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "chat"],
        input="help\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "schema_version: must be 1, not None" in result.stderr
