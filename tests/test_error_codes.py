"""Every error code is declared once, in `chitnode.errors.CODES` (issue 8, point 5).

Codes reach people and programs (CLI `error [code]:` lines, `--json`, HTTP bodies, an
auditor's verifier report), so a code nobody declared is a contract nobody wrote down.
The walk reads the source, not the running code, so a code on a path no test takes is
still caught.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from chitnode import errors

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("chitnode", "sync", "ui")
# Problem(code, seq, author, ...); a screen's refuse(code) (ui/shell.py)
CODE_FIRST = frozenset({"Problem", "problem", "refuse"})
CODE_SECOND = frozenset({"need"})  # need(cond, code, message)


def _constant(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def _codes_in(tree: ast.AST) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        code: str | None = None
        if isinstance(node, ast.keyword) and node.arg == "code":
            code = _constant(node.value)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id == "code":
                code = _constant(node.value)
        elif isinstance(node, ast.Call):
            name, args = _name(node.func), node.args
            if name in CODE_FIRST and args:
                code = _constant(args[0])
            elif name in CODE_SECOND and len(args) > 1:
                code = _constant(args[1])
        if code is not None:
            yield code, getattr(node, "lineno", 0)


def given_codes() -> dict[str, list[str]]:
    """code -> the places (path:line) that give it."""
    found: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for code, line in _codes_in(tree):
                found.setdefault(code, []).append(f"{path.relative_to(ROOT)}:{line}")
    return found


def test_every_code_given_is_in_the_catalogue() -> None:
    undeclared = {c: where for c, where in given_codes().items() if c not in errors.CODES}
    assert undeclared == {}, "declare these in chitnode/errors.py CODES, with a readable line"


def test_every_catalogued_code_is_given_somewhere() -> None:
    given = given_codes()
    # Verifier codes that verify returns as plain strings (not through code=/Problem(...)):
    # kept in the catalogue because the format spec (wal-v1 §6) names them.
    spec_only = {"gap", "fork", "unauthorised", "unknown_author"}
    catalogue = ROOT / "chitnode" / "errors.py"
    source = "\n".join(
        p.read_text(encoding="utf-8")
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if p != catalogue
    )
    unused = [
        c for c in errors.CODES if c not in given and not (c in spec_only and f'"{c}"' in source)
    ]
    assert unused == [], "drop these from CODES, or give them"


def test_codes_are_snake_case_and_explained() -> None:
    for code, meaning in errors.CODES.items():
        assert code.replace("_", "").isalnum() and code == code.lower(), code
        assert 8 <= len(meaning) <= 100 and "X" not in meaning.split(), (code, meaning)


def test_error_classes_declare_catalogued_codes() -> None:
    def subclasses(cls: type[errors.ChitError]) -> Iterator[type[errors.ChitError]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for cls in (errors.ChitError, *subclasses(errors.ChitError)):
        assert cls.code in errors.CODES, cls
