"""Who may import whom (DESIGN.md, "Layers"; STYLE.md, "Layout"), checked on the code itself.

The rules read each module's own import statements (top level and inside functions,
relative or absolute, `from pkg import mod` resolved to the module), so a message can
name the file, the line and the import. A second check imports the whole kernel in a
fresh interpreter and lists what got loaded, dependencies included.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GRAPHED = ("chitnode", "sync", "ui")  # the packages whose modules must not import in a cycle

# The kernel reaches no network and shows no UI: sync/ and ui/ import it, never the reverse.
KERNEL_NEVER = (
    *("ui", "sync", "flet", "flet_web"),  # the layers above and their UI toolkit
    *("aiohttp", "zeroconf", "smtplib", "socket", "http"),  # anything that talks on a network
)
# Loaded at all, even through a dependency, these mean a network adapter or the UI came in.
# Not `socket`: portalocker (the store's lock), tqdm (the CLI's progress bars) and the
# stdlib's multiprocessing (verify's process pool) load it, and none of them opens one.
# The static rule above still forbids the kernel's own `import socket`. `http` stays
# forbidden: keyring would bring http.client, and chitnode.store.keys imports keyring
# only inside the functions that reach the OS keyring.
KERNEL_NEVER_LOADED = tuple(name for name in KERNEL_NEVER if name != "socket")
# Pure rules: no I/O, no clock, no randomness; time, ids, randomness and keys are passed
# in (STYLE.md, "The shape of the core"). `pathlib` too: a path is only good for opening.
DOMAIN_NEVER = (
    *("sqlite3", "sqlite_utils", "nacl", "os", "time", "socket", "subprocess", "pathlib"),
    *("shutil", "tempfile", "portalocker", "keyring", "random", "secrets"),
    *("chitnode.store", "chitnode.node", "chitnode.services", "chitnode.cli", "chitnode.clock"),
)
ABOVE_THE_STORE = ("chitnode.node", "chitnode.services", "chitnode.cli")
TEST_CODE = ("tests", "bench")


@dataclass(frozen=True, slots=True)
class Rule:
    layer: str  # a package or module: the rule covers it and everything under it
    never: tuple[str, ...]  # packages or modules it must not import, nor anything under them
    why: str


RULES = (
    Rule("chitnode", KERNEL_NEVER, "the kernel imports neither ui/ nor sync/ nor a network or UI"),
    Rule("chitnode.domain", DOMAIN_NEVER, "the domain is pure: no I/O, no clock, no randomness"),
    Rule("chitnode.log", ABOVE_THE_STORE, "the log format knows nothing of the layers above it"),
    Rule("chitnode.store", ABOVE_THE_STORE, "the store knows nothing of the layers above it"),
    Rule("chitnode.node", ("chitnode.services", "chitnode.cli"), "services build on the node"),
    Rule("chitnode.services", ("chitnode.cli",), "the CLI calls services, not the reverse"),
    Rule("sync", ("chitnode.cli",), "network adapters use the kernel, not the CLI's internals"),
    Rule("sync", ("ui", "flet", "flet_web"), "the network layer shows no UI: ui/ builds on it"),
    Rule("ui.vm", ("flet", "flet_web"), "view-models are plain Python, tested without Flutter"),
    Rule("chitnode", TEST_CODE, "production code never imports tests or benchmarks"),
    Rule("sync", TEST_CODE, "production code never imports tests or benchmarks"),
    Rule("ui", TEST_CODE, "production code never imports tests or benchmarks"),
)


@dataclass(frozen=True, slots=True)
class Import:
    file: str  # the importing file, relative to the root searched
    module: str  # the importing module
    target: str  # what it imports, resolved to a module where it names one
    line: int
    type_only: bool  # under `if TYPE_CHECKING:`: a dependency, but never run

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.module} imports {self.target}"


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_under(root: Path, *packages: str) -> dict[str, Path]:
    """Every module of `packages` (folders of `root`), by dotted name."""
    return {
        module_name(path, root): path
        for package in packages
        for path in sorted((root / package).rglob("*.py"))
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, root: Path, known: set[str]) -> list[Import]:
    """Every import statement of `path`, wherever it sits, its target resolved.

    `known` holds the dotted names of the repository's modules: `from pkg import name`
    targets `pkg.name` when that is a module, else `pkg` (a name defined in it).
    """
    module, file = module_name(path, root), str(path.relative_to(root))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, *([node.module] if node.module else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.append(full if full in known else base)
        for target in dict.fromkeys(targets):
            found.append(Import(file, module, target, getattr(node, "lineno", 0), type_only))
        for child in ast.iter_child_nodes(node):
            checking = isinstance(node, ast.If) and _is_type_checking(node.test)
            visit(child, type_only or (checking and child in node.body))

    visit(ast.parse(path.read_text(), filename=str(path)), False)
    return found


def repo_imports(*packages: str, root: Path = REPO) -> list[Import]:
    modules = modules_under(root, *packages)
    return [imp for path in modules.values() for imp in imports_of(path, root, set(modules))]


def find_cycles(edges: list[Import]) -> list[list[Import]]:
    """Each cycle of run-time imports between the modules that `edges` go from."""
    graph: dict[str, list[Import]] = {}
    for edge in edges:
        graph.setdefault(edge.module, [])
    for edge in edges:
        if edge.target in graph and edge.target != edge.module and not edge.type_only:
            graph[edge.module].append(edge)
    done: set[str] = set()
    path: list[Import] = []
    on_path: dict[str, int] = {}  # module -> its index in `path` (where its edge starts)
    cycles: list[list[Import]] = []

    def walk(module: str) -> None:
        on_path[module] = len(path)
        for edge in graph[module]:
            if edge.target in on_path:
                cycles.append([*path[on_path[edge.target] :], edge])
            elif edge.target not in done:
                path.append(edge)
                walk(edge.target)
                path.pop()
        del on_path[module]
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            walk(module)
    return cycles


# --- the rules on today's code --------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.layer}-never-{r.never[0]}")
def test_each_layer_imports_only_what_it_may(rule: Rule) -> None:
    package = rule.layer.split(".")[0]
    imports = [i for i in repo_imports(package) if within(i.module, rule.layer)]
    assert len({i.module for i in imports}) > 1, f"no modules found under {rule.layer}"
    offences = [
        f"{imp} ({rule.why})"
        for imp in imports
        if any(within(imp.target, never) for never in rule.never)
    ]
    assert offences == [], "\n".join(offences)


def test_no_import_cycle_between_modules() -> None:
    cycles = find_cycles(repo_imports(*GRAPHED))
    shown = [
        " -> ".join([c[0].module, *(f"{e.target} ({e.file}:{e.line})" for e in c)]) for c in cycles
    ]
    assert shown == [], "import cycles:\n" + "\n".join(shown)


def test_importing_the_whole_kernel_loads_none_of_them() -> None:
    """In a fresh interpreter, import each kernel module in turn and see what each brings."""
    modules = [
        name
        for name, path in modules_under(REPO, "chitnode").items()
        if path.name not in ("__init__.py", "__main__.py")  # __main__ runs the CLI on import
    ]
    script = (
        "import importlib, json, sys\n"
        f"never = {KERNEL_NEVER_LOADED!r}\n"
        "def bad(names): return sorted({n.split('.')[0] for n in names} & set(never))\n"
        "seen = set(sys.modules)\n"
        "found = {'<interpreter start-up>': bad(seen)}\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "    new = set(sys.modules) - seen\n"
        "    seen |= new\n"
        "    found[m] = bad(new)\n"
        "print(json.dumps({m: b for m, b in found.items() if b}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=REPO,
    ).stdout
    loaded = json.loads(out)
    assert loaded == {}, "importing these kernel modules (first) loaded: " + json.dumps(loaded)


def shared_test_helper(target: str) -> bool:
    """tests/support, or a module of tests/vectors that is not itself a test (format helpers)."""
    return within(target, "tests.support") or (
        within(target, "tests.vectors") and not target.rpartition(".")[2].startswith("test_")
    )


def test_tests_import_no_other_test_module() -> None:
    """A test module's helpers come from tests/support (fixtures from conftest.py): a test
    that imports another test module runs that module's tests' imports and fixtures too,
    and breaks when that file is renamed or split."""
    imports = repo_imports("tests")
    assert len({i.module for i in imports}) > 10
    offences = [
        f"{imp} (move what it shares to tests/support)"
        for imp in imports
        if within(imp.target, "tests") and not shared_test_helper(imp.target)
    ]
    assert offences == [], "\n".join(offences)


# --- the checker itself sees every form of import -------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_the_reader_resolves_every_form_of_import(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "from . import leaf\n",
            "pkg/sub/leaf.py": "X = 1\n",
            "pkg/sub/user.py": (
                "from __future__ import annotations\n"
                "from typing import TYPE_CHECKING\n"
                "from . import leaf\n"
                "from .leaf import X\n"
                "from .. import sub\n"
                "from pkg.sub import leaf as again, missing\n"
                "import os.path\n"
                "if TYPE_CHECKING:\n"
                "    import socket\n"
                "def late() -> None:\n"
                "    import http.client\n"
            ),
        },
    )
    found = [(i.module, i.target, i.line, i.type_only) for i in repo_imports("pkg", root=tmp_path)]
    user = "pkg.sub.user"
    assert found == [
        ("pkg.sub", "pkg.sub.leaf", 1, False),
        ("pkg.sub.user", "__future__", 1, False),
        (user, "typing", 2, False),
        (user, "pkg.sub.leaf", 3, False),
        (user, "pkg.sub.leaf", 4, False),
        (user, "pkg.sub", 5, False),
        (user, "pkg.sub.leaf", 6, False),
        (user, "pkg.sub", 6, False),  # `missing` is no module: a name in pkg.sub
        (user, "os.path", 7, False),
        (user, "socket", 9, True),
        (user, "http.client", 11, False),
    ]


def test_a_cycle_is_found_and_printed_but_not_a_type_only_one(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from typing import TYPE_CHECKING\nfrom pkg import b\n"
            "if TYPE_CHECKING:\n    from . import d\n",
            "pkg/b.py": "def f() -> None:\n    from .c import C\n",
            "pkg/c.py": "import pkg.a\n",
            "pkg/d.py": "import pkg.a\n",  # a cycle only through a's type-only import
        },
    )
    (cycle,) = find_cycles(repo_imports("pkg", root=tmp_path))
    assert [(e.module, e.target, e.line) for e in cycle] == [
        ("pkg.a", "pkg.b", 2),
        ("pkg.b", "pkg.c", 2),
        ("pkg.c", "pkg.a", 1),
    ]


# --- bounds live in the limits modules (STYLE.md: every bound named in `limits`) -------------

LIMITS_MODULES = ("chitnode.limits", "chitnode.domain.limits", "sync.limits", "ui.limits")
BOUND_SUFFIXES = ("_MAX", "_MIN", "_CAP", "_TIMEOUT_MS", "_TIMEOUT_S")
BOUND_PARTS = ("BYTES_MAX", "ENTRIES_MAX")
# Module-level names that look like bounds and stay where they are, each with its reason.
BOUNDS_ALLOWED = {
    ("chitnode.domain.risk", "SCORE_MAX"): "the top of the risk scale the weights sum to",
    ("chitnode.log.forks", "FORK_SEQ_MIN"): "a rule of the log: a fork at seq 1 keeps no prefix",
    ("chitnode.log.verify", "_INT_MAX"): "an alias of limits.JSON_INT_MAX for verify's hot loop",
}


def looks_like_bound(name: str) -> bool:
    bare = name.lstrip("_")
    return bare.endswith(BOUND_SUFFIXES) or any(part in bare for part in BOUND_PARTS)


def module_constants(path: Path) -> list[tuple[str, int]]:
    """(name, line) of every UPPER_CASE name a module binds at its top level.

    Top level includes the branches of a module-level `if`/`try`/`with`; a function's or
    a class's own names are not the module's.
    """
    found: list[tuple[str, int]] = []

    def bind(target: ast.expr) -> None:
        if isinstance(target, ast.Name) and target.id.lstrip("_").isupper():
            found.append((target.id, target.lineno))
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                bind(element)

    def visit(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    bind(target)
            elif isinstance(statement, ast.AnnAssign):
                bind(statement.target)
            elif isinstance(statement, ast.If | ast.Try | ast.With):
                for block in ("body", "orelse", "finalbody"):
                    visit(getattr(statement, block, []))
                for handler in getattr(statement, "handlers", []):
                    visit(handler.body)

    visit(ast.parse(path.read_text(), filename=str(path)).body)
    return found


def test_bounds_are_defined_only_in_the_limits_modules() -> None:
    """A module-level `*_MAX`, `*_MIN`, `*_CAP`, `*_TIMEOUT_MS`/`_S`, `*BYTES_MAX*` or
    `*ENTRIES_MAX*` outside chitnode/limits.py, chitnode/domain/limits.py and
    sync/limits.py is a bound living in the wrong place (or needs a reason above)."""
    modules = modules_under(REPO, *GRAPHED)
    for name in LIMITS_MODULES:
        assert any(looks_like_bound(n) for n, _ in module_constants(modules[name])), name
    found = {
        (module, name): f"{path.relative_to(REPO)}:{line}: {name}"
        for module, path in modules.items()
        if module not in LIMITS_MODULES
        for name, line in module_constants(path)
        if looks_like_bound(name)
    }
    offences = [where for key, where in sorted(found.items()) if key not in BOUNDS_ALLOWED]
    assert offences == [], "bounds outside the limits modules:\n" + "\n".join(offences)
    stale = [f"{module}.{name}" for module, name in BOUNDS_ALLOWED if (module, name) not in found]
    assert stale == [], "BOUNDS_ALLOWED names what no longer exists: " + ", ".join(stale)


def test_the_bound_finder_sees_module_level_names_only(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "mod.py": (
                "from typing import TYPE_CHECKING\n"
                "X_MAX = 1\n"
                "Y_TIMEOUT_MS: int = 5\n"
                "A, B_MIN = 1, 2\n"
                "PAGE_BYTES_MAX_HALF = 3\n"
                "if TYPE_CHECKING:\n"
                "    Z_CAP = 1\n"
                "else:\n"
                "    _W_TIMEOUT_S = 1.0\n"
                "NOT_A_BOUND = LIMIT_MAXIMUM = 2\n"
                "lower_max = 3\n"
                "def f() -> None:\n"
                "    LOCAL_MAX = 1\n"
                "class C:\n"
                "    ATTR_MAX = 1\n"
            ),
        },
    )
    constants = module_constants(tmp_path / "mod.py")
    assert [c for c in constants if looks_like_bound(c[0])] == [
        ("X_MAX", 2),
        ("Y_TIMEOUT_MS", 3),
        ("B_MIN", 4),
        ("PAGE_BYTES_MAX_HALF", 5),
        ("Z_CAP", 7),
        ("_W_TIMEOUT_S", 9),
    ]
    assert ("A", 4) in constants and ("NOT_A_BOUND", 10) in constants
    assert ("LIMIT_MAXIMUM", 10) in constants and "lower_max" not in dict(constants)
