"""No wording in the adapters: every sentence a person can read is a template in prompts/.

An ast walk over the Slack, Teams and terminal modules that make what people see: any string with
two words or more is a sentence, unless it is a docstring or text for machines (a log
line, the body of a refused HTTP request, an exception's message for the log). The
manifests and the Teams app package are the platforms' own configuration, not replies.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEN_BY_PEOPLE = [
    *(ROOT / "adapters" / "slack").glob("*.py"),
    *(ROOT / "adapters" / "teams").glob("*.py"),
    ROOT / "adapters" / "console.py",
]
NOT_REPLIES = {"__init__.py", "manifest.py", "package.py", "requests.py", "activities.py"}
# calls whose text is for machines: logs, refused requests, errors for the log
FOR_MACHINES = {
    "_refused",
    "refuse",
    "ValueError",
    "KeysUnavailable",
    "Refused",
    "SlowDown",
    "ConnectorError",
    "TokenUnavailable",
}
# module constants that are HTTP error bodies (machine-read), with the words they hold
HTTP_BODIES = {"NOT_CONFIGURED", "AUTH_ERRORS"}
# functions whose text is for machines or the operator: a configuration problem, why a
# token was refused (logged), why a request was refused (its HTTP body)
MACHINE_FUNCTIONS = {"problem", "_authenticate", "_dispatch"}
WORDS = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}")


def _for_machines(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = func.value if isinstance(func, ast.Attribute) else None
            if name in FOR_MACHINES or (isinstance(owner, ast.Name) and owner.id == "log"):
                return True
            if name == "append" and isinstance(owner, ast.Name) and owner.id == "failed":
                return True  # why the request answers 502
            if name == "getMessage" or name == "json_response":
                return True
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in HTTP_BODIES for t in node.targets
        ):
            return True
        if isinstance(node, ast.Compare):  # a check of a library's message
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node.name in MACHINE_FUNCTIONS
    return False


def sentences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = {
        id(body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and (body := node.body)
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
    }
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and WORDS.search(node.value)
        and id(node) not in docstrings
        and not _for_machines(node, parents)
    ]


def test_the_adapters_say_nothing_of_their_own() -> None:
    found = [s for p in SEEN_BY_PEOPLE if p.name not in NOT_REPLIES for s in sentences(p)]
    assert found == [], "wording belongs in prompts/:\n" + "\n".join(found)
