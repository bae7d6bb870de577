"""The kernel imports neither ui/ nor sync/, nor any network or UI library (DESIGN.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

FORBIDDEN = ("ui", "sync", "flet", "flet_web", "aiohttp", "zeroconf")
KERNEL = Path(__file__).resolve().parents[1] / "chitnode"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_kernel_module_imports_a_forbidden_package() -> None:
    files = sorted(KERNEL.rglob("*.py"))
    assert len(files) > 10
    offenders = {str(p.relative_to(KERNEL)): sorted(_imports(p) & set(FORBIDDEN)) for p in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_the_whole_kernel_loads_none_of_them() -> None:
    modules = [
        "chitnode." + ".".join(p.relative_to(KERNEL).with_suffix("").parts)
        for p in sorted(KERNEL.rglob("*.py"))
        if p.name not in ("__init__.py", "__main__.py")  # __main__ runs the CLI on import
    ]
    script = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    ).stdout.strip()
    assert out == "[]"
