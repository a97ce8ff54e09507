"""The package's architecture, kept true: which layer may import which, and how big a module grows.

The pure core imports no Flask, no SQLAlchemy and nothing of ours outside the core (but the
error classes); storage imports nothing from the web; nothing imports the command line but
`create_app`, and the command line imports no web code. Imports made only for the type
checker (`if TYPE_CHECKING:`) are not imports at run time, and are not counted.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "moderation"
MODULE_LINES = 300  # "modules under ~300 lines"


def module_name(path: Path) -> str:
    """moderation/web/api.py → moderation.web.api; a package's __init__ → the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_imports(path: Path) -> set[str]:
    """Every module a file imports when it runs (inside functions too), by absolute name."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; write `from moderation.… import …`"
            base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return found


MODULES = {module_name(path): runtime_imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def within(name: str, *prefixes: str) -> bool:
    """True when name is one of prefixes or inside one of them."""
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


# (who, may not import, why)
RULES = [
    ("moderation.core", ("flask", "flask_wtf", "sqlalchemy", "werkzeug.routing", "werkzeug.wrappers", "limits",
                         "moderation.store", "moderation.web", "moderation.cli", "moderation.shared",
                         "moderation.intake", "moderation.settings", "moderation.spamcheck"),
     "the core is pure: no web framework, no database, nothing of ours but the core and the error classes"),
    ("moderation.errors", ("flask", "sqlalchemy", "werkzeug", "moderation.store", "moderation.web"),
     "the error classes know nothing of HTTP frameworks or storage"),
    ("moderation.store", ("moderation.web", "moderation.cli", "moderation.intake"),
     "storage knows nothing of HTTP"),
    ("moderation.cli", ("moderation.web",), "the command line works without web code"),
]


@pytest.mark.parametrize(("layer", "forbidden", "why"), RULES, ids=[rule[0] for rule in RULES])
def test_layers_import_only_what_they_may(layer: str, forbidden: tuple[str, ...], why: str) -> None:
    broken = sorted(f"{module} imports {imported}" for module, imports in MODULES.items() if within(module, layer)
                    for imported in imports if within(imported, *forbidden))
    assert not broken, f"{why}:\n" + "\n".join(broken)


def test_only_create_app_imports_the_command_line() -> None:
    importers = sorted(module for module, imports in MODULES.items() if not within(module, "moderation.cli")
                       and any(within(imported, "moderation.cli") for imported in imports))
    assert importers == ["moderation"], importers


def test_shared_objects_module_imports_only_flask_at_run_time() -> None:
    """Any layer may import `shared`: it must not pull another layer in behind it."""
    ours = {imported for imported in MODULES["moderation.shared"] if within(imported, "moderation")}
    assert not ours, ours


def test_the_core_is_really_the_bottom() -> None:
    """Every core module exists under core/ and the rule above found each one (no empty layer)."""
    core = [module for module in MODULES if within(module, "moderation.core")]
    assert len(core) >= 10, core


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda path: module_name(path))
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MODULE_LINES, f"{path.name}: {lines} lines; split it by what it owns"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda path: module_name(path))
def test_every_public_function_and_class_says_what_it_does(path: Path) -> None:
    tree = ast.parse(path.read_text())
    definitions = [*tree.body, *(node for cls in tree.body if isinstance(cls, ast.ClassDef) for node in cls.body)]
    missing = [node.name for node in definitions
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
               and not node.name.startswith("_") and ast.get_docstring(node) is None]
    assert ast.get_docstring(tree), f"{path.name}: no module docstring"
    assert not missing, f"{path.name}: no docstring on {', '.join(missing)}"


# (what, where it may appear): shared objects have one accessor, time one clock
ONE_PLACE = [
    (re.compile(r"\.extensions\["), {"moderation/shared.py", "moderation/__init__.py"}),
    (re.compile(r"datetime\.now\(|datetime\.utcnow\("), {"moderation/shared.py"}),
]


@pytest.mark.parametrize(("pattern", "allowed"), ONE_PLACE, ids=["app.extensions", "the clock"])
def test_shared_objects_and_the_clock_are_reached_one_way(pattern: re.Pattern[str], allowed: set[str]) -> None:
    found = sorted(str(path.relative_to(PACKAGE.parent)) for path in PACKAGE.rglob("*.py")
                   if pattern.search(path.read_text().split('"""', 2)[-1]))  # past the module docstring
    assert set(found) <= allowed, f"use moderation.shared (shared(), of(app), now()) instead, in: {found}"
