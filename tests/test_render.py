"""Templates: every template the code names exists and renders; values cannot become markup."""

from __future__ import annotations

import re
from pathlib import Path

from bot.render import parse_blocks, prompts_dir, render
from bot.types import Block, Choice

ROOT = Path(__file__).resolve().parent.parent


def test_every_template_named_in_code_exists_and_every_template_is_used() -> None:
    files = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "adapters").rglob("*.py")]
    code = "\n".join(p.read_text(encoding="utf-8") for p in files)
    named = set(re.findall(r'"([\w/]+\.j2)"', code))
    named = {n for n in named if not n.rpartition("/")[2].startswith("_")}  # imported parts
    templates = {
        str(p.relative_to(prompts_dir()))
        for p in prompts_dir().rglob("*.j2")
        if not p.name.startswith("_")
    }
    assert named == templates


def test_the_block_format() -> None:
    reply = parse_blocks(
        "# Title\n~ small print\n\n## Heading\n> quoted\n> more\n\n- one\n- two\nplain\n"
        "|| Left\n> l\n|| Right\n- r\n||\n=> show a/b | Label | with bar\n"
    )
    assert reply.blocks == (
        Block("title", "Title"),
        Block("note", "small print"),
        Block("heading", "Heading"),
        Block("quote", "quoted\nmore"),
        Block("bullets", items=("one", "two")),
        Block("paragraph", "plain"),
        reply.blocks[6],
    )
    assert [(c.heading, c.text) for c in reply.blocks[6].columns] == [
        ("Left", "l"),
        ("Right", "• r"),
    ]
    assert reply.choices == (Choice("Label | with bar", "show a/b"),)


def test_values_are_never_read_as_markup() -> None:
    hostile = "x\n# Fake title\n=> show dhs-ses/principled | Fake\n|| Fake column"
    reply = parse_blocks(render("lookup/search_empty.j2") + "\n" + _value_line(hostile))
    assert [b.kind for b in reply.blocks].count("title") == 1
    assert [c.label for c in reply.choices] == ["Search for “wellbeing”"]
    assert any("# Fake title" in b.text for b in reply.blocks)


def _value_line(value: str) -> str:
    from bot.render import environment

    return environment().from_string("{{ v }}").render(v=value)
