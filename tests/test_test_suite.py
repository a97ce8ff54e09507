"""The test suite's own layout, kept true: shared helpers live in helpers.py, fixtures in conftest.py.

A test module imports helpers from `helpers`, never from `conftest` or from another test
module (whose tests would then be collected twice, or whose helpers go missing when it is
renamed); conftest.py holds only fixtures and pytest hooks.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from helpers import setting_variables

TESTS = Path(__file__).resolve().parent
TEST_MODULES = sorted(TESTS.glob("test_*.py"))


def forbidden_imports(source: str) -> list[str]:
    """Every import, anywhere in source, of conftest or of a test_* module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [f"line {node.lineno}: {name}" for name in names
                  if name.split(".")[0] == "conftest" or name.split(".")[0].startswith("test_")]
    return found


@pytest.mark.parametrize(("source", "found"), [
    ("from helpers import make_app", []),
    ("import helpers\nfrom moderation import create_app", []),
    ("from conftest import make_app", ["line 1: conftest"]),
    ("import conftest", ["line 1: conftest"]),
    ("def f():\n    from conftest import TEST_SECRET", ["line 2: conftest"]),
    ("from test_queue import parse", ["line 1: test_queue"]),
    ("import test_queue_browser as browser", ["line 1: test_queue_browser"]),
    ("from moderation.core import testing", []),
])
def test_the_import_check_finds_what_it_should(source: str, found: list[str]) -> None:
    assert forbidden_imports(source) == found


@pytest.mark.parametrize("path", [*TEST_MODULES, TESTS / "helpers.py"], ids=lambda path: path.name)
def test_no_module_imports_conftest_or_another_test_module(path: Path) -> None:
    found = forbidden_imports(path.read_text())
    assert not found, f"{path.name} imports {', '.join(found)}: import shared helpers from helpers.py"


def test_conftest_holds_only_fixtures_and_hooks() -> None:
    tree = ast.parse((TESTS / "conftest.py").read_text())
    others = [node.name for node in tree.body if isinstance(node, ast.ClassDef) or (
        isinstance(node, ast.FunctionDef) and not node.name.startswith("pytest_")
        and not any("fixture" in ast.unparse(decorator) for decorator in node.decorator_list))]
    assert not others, f"conftest.py defines {', '.join(others)}: move them to helpers.py"


def test_every_helper_says_what_it_does() -> None:
    tree = ast.parse((TESTS / "helpers.py").read_text())
    definitions = [*tree.body, *(node for cls in tree.body if isinstance(cls, ast.ClassDef) for node in cls.body)]
    missing = [node.name for node in definitions if isinstance(node, (ast.FunctionDef, ast.ClassDef))
               and not node.name.startswith("_") and ast.get_docstring(node) is None]
    assert ast.get_docstring(tree), "helpers.py: no module docstring"
    assert not missing, f"helpers.py: no docstring on {', '.join(missing)}"


def test_no_setting_from_the_shell_reaches_a_test() -> None:
    """conftest removes every MODERATION_* setting (MODERATION_TEST_* are the suite's own) before each test."""
    assert setting_variables(os.environ) == []
