"""Rendering: every sentence the bot says comes from a jinja2 template in prompts/.

`render(template, **values)` gives the template's text. `compose(template, **values)`
turns that text into a Reply, reading one block per line prefix:

    # title          ## heading       > quoted source text     - bullet
    ~ note           || column heading (a line `||` alone ends the columns)
    => command | label    (a choice)   anything else: a paragraph line
    %% top | title        (a bar chart from 0 to top, the title its alt text), and its bars:
    %%- value | label | the value in words | group    (no value: no bar, the words say why)

Blank lines separate paragraphs. Values interpolated with {{ }} are marked so that
nothing inside them can start a block or a choice, whatever a person typed.
"""

from __future__ import annotations

import html
import re
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from bot.text import markdown_escaped, plural
from bot.types import Bar, BarGroup, Block, Chart, Choice, Column, Reply, bar_text

_VALUE = "\ue000"  # marks the start of an interpolated value (private use, never typed)
_BREAK = "\u2028"  # a line break inside a value


def _mark(value: Any) -> str:
    text = str(value).replace(_VALUE, "").replace("\r\n", "\n")
    return _VALUE + text.replace("\n", _BREAK)


def prompts_dir() -> Path:
    return Path(str(resources.files("prompts")))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(prompts_dir()),
        undefined=jinja2.StrictUndefined,
        finalize=_mark,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )
    env.filters["plural"] = plural
    env.filters["md"] = markdown_escaped  # user text in a Markdown export
    return env


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)


def compose(template: str, **values: Any) -> Reply:
    return parse_blocks(render(template, **values))


def phrase(template: str, **values: Any) -> str:
    """A template's text as plain text, for words a platform shows outside a Reply's
    blocks: a button, a modal's title, a card's note, a reason given to the core."""
    return _unmark(render(template, **values))


@cache
def words(template: str) -> str:
    """`phrase` of a template without values, rendered once: a button, a toast."""
    return phrase(template)


def _unmark(text: str) -> str:
    return text.replace(_VALUE, "").replace(_BREAK, "\n").strip()


_PREFIXES = {"# ": "title", "## ": "heading", "> ": "quote", "- ": "bullets", "~ ": "note"}


def as_markdown(reply: Reply, level: int = 3) -> str:
    """A reply's blocks as Markdown, every word escaped so that it renders as written:
    for a Markdown export that shows the very review the chat showed."""
    hashes = "#" * level
    out: list[str] = []
    for block in reply.blocks:
        if block.kind in ("title", "heading"):
            out.append(f"{hashes} {markdown_escaped(block.text)}")
        elif block.kind == "note":
            out.append(f"*{markdown_escaped(block.text)}*")
        elif block.kind == "bullets":
            out.append("\n".join(f"- {markdown_escaped(item)}" for item in block.items))
        elif block.kind == "columns":
            out += [
                f"**{markdown_escaped(c.heading)}** {markdown_escaped(c.text)}"
                for c in block.columns
            ]
        elif block.chart is not None:
            out.append(chart_markdown(block.chart))
        else:
            out.append(markdown_escaped(block.text, block=True))
    return "\n\n".join(out)


def chart_markdown(chart: Chart) -> str:
    """A chart as Markdown: its title, then per group a list of its bars drawn in
    characters (in code spans, so that they line up), each with its label and value in
    words; every word escaped."""
    out = [f"*{markdown_escaped(chart.title)}*"]
    for group in chart.groups:
        lines = [f"**{markdown_escaped(group.label)}**", ""]
        for bar in group.bars:
            drawn = f"`{bar_text(bar.value, chart.top)}` " if bar.value is not None else ""
            lines.append(f"- {drawn}{markdown_escaped(bar.label)}: {markdown_escaped(bar.text)}")
        out.append("\n".join(lines))
    return "\n\n".join(out)


SVG_WIDTH, SVG_BAR, SVG_ROW = 760, 200, 22  # pixels: the image, the longest bar, a line


# Characters XML 1.0 does not allow at all (not even escaped): a framework file's name
# may hold one, and the SVG must stay well formed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def chart_svg(chart: Chart) -> str:
    """A chart as a standalone SVG image: its title as the image's accessible name and
    caption, each group's label, and each bar a rectangle on a grey track from 0 to the
    top, its label and value in words beside it (no value: the words alone). Every text
    is escaped, in text and in attributes alike."""

    def esc(text: str) -> str:
        return html.escape(_NOT_XML.sub("\ufffd", text), quote=True)

    rows: list[str] = []
    y = 2 * SVG_ROW
    for group in chart.groups:
        y += SVG_ROW
        rows.append(f'<text x="10" y="{y}" font-weight="bold">{esc(group.label)}</text>')
        for bar in group.bars:
            y += SVG_ROW
            words = esc(f"{bar.label}: {bar.text}")
            if bar.value is not None:
                share = max(0, min(bar.value, chart.top)) / chart.top if chart.top > 0 else 0
                rows.append(
                    f'<rect x="30" y="{y - 13}" width="{SVG_BAR}" height="14" fill="#e5e5e5"/>'
                )
                rows.append(
                    f'<rect x="30" y="{y - 13}" width="{round(share * SVG_BAR)}" height="14"'
                    ' fill="#2f6db5"/>'
                )
            rows.append(f'<text x="{40 + SVG_BAR}" y="{y}">{words}</text>')
    height = y + SVG_ROW
    title = esc(chart.title)
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_WIDTH}" height="{height}"'
            f' viewBox="0 0 {SVG_WIDTH} {height}" role="img" aria-labelledby="title"'
            ' font-family="sans-serif" font-size="13">',
            f'<title id="title">{title}</title>',
            f'<text x="10" y="{SVG_ROW}" font-size="12" fill="#555">{title}</text>',
            *rows,
            "</svg>",
        ]
    )


def charts_of(template: str, **values: Any) -> list[Chart]:
    """The charts a template draws: the very pictures a reply shows, for its exports."""
    return [b.chart for b in compose(template, **values).blocks if b.chart is not None]


def parse_blocks(text: str) -> Reply:
    blocks: list[Block] = []
    choices: list[Choice] = []
    columns: list[Column] | None = None
    kind: str | None = None
    lines: list[str] = []
    chart: tuple[int, str, list[BarGroup]] | None = None  # (top, title, groups) being read

    def end_chart() -> None:
        nonlocal chart
        if chart is not None:
            top, title, groups = chart
            blocks.append(Block("chart", text=title, chart=Chart(title, top, tuple(groups))))
            chart = None

    def flush() -> None:
        nonlocal kind, lines
        if not lines:
            kind = None
            return
        if columns is not None:
            heading = columns[-1].heading
            body = (columns[-1].text + "\n\n" if columns[-1].text else "") + "\n".join(lines)
            columns[-1] = Column(heading, body)
        elif kind == "bullets":
            blocks.append(Block("bullets", items=tuple(_unmark(x) for x in lines)))
        else:
            blocks.append(Block(kind or "paragraph", text=_unmark("\n".join(lines))))  # type: ignore[arg-type]
        kind, lines = None, []

    for raw in text.split("\n"):
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        if line.startswith("%%- "):
            value, label, words, group = (_unmark(p).strip() for p in line[3:].split(" | ", 3))
            if chart is None:  # bars with no chart line before them: a chart of their own
                flush()
                chart = (0, "", [])
            bar = Bar(label, int(value) if value.isdecimal() else None, words)
            groups = chart[2]
            if groups and groups[-1].label == group:
                groups[-1] = BarGroup(group, (*groups[-1].bars, bar))
            else:
                groups.append(BarGroup(group, (bar,)))
            continue
        if line.startswith("%% "):
            flush()
            end_chart()
            top, _, title = line[3:].partition(" | ")
            chart = (int(_unmark(top)), _unmark(title), [])
            continue
        end_chart()
        if line.startswith("=> "):
            flush()
            command, _, label = line[3:].partition(" | ")
            choices.append(Choice(label=_unmark(label), command=_unmark(command)))
            continue
        if line.startswith("||"):
            flush()
            heading = line[2:].strip()
            if heading:
                columns = (columns or []) + [Column(_unmark(heading), "")]
            elif columns is not None:
                cols = tuple(Column(c.heading, _unmark(c.text)) for c in columns)
                blocks.append(Block("columns", columns=cols))
                columns = None
            continue
        line_kind, content = "paragraph", line
        for prefix, name in _PREFIXES.items():
            if line.startswith(prefix):
                line_kind, content = name, line[len(prefix) :]
                break
        if columns is None and (line_kind != kind or line_kind in ("title", "heading", "note")):
            flush()
        kind = line_kind
        if columns is not None and line_kind == "bullets":
            content = "• " + content
        lines.append(content if columns is None else _unmark(content))
    flush()
    end_chart()
    if columns is not None:
        cols = tuple(Column(c.heading, _unmark(c.text)) for c in columns)
        blocks.append(Block("columns", columns=cols))
    return Reply(blocks=tuple(blocks), choices=tuple(choices))
