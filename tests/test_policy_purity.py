"""Policies are functions of the model and their parsed options: no policy module touches the
filesystem or starts a process itself (what a policy needs from the repository is put in the
model by an earlier stage)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

POLICIES = Path(__file__).resolve().parent.parent / "src" / "platecheck" / "policies"

# modules whose use means reading files or starting processes
_MODULES = {"os", "io", "shutil", "subprocess", "glob", "tempfile"}
# pathlib names that reach the filesystem (PurePosixPath only computes)
_PATHLIB = {"Path", "PosixPath", "WindowsPath"}
# methods of Path objects (and file objects) that read, list or write the filesystem
_METHODS = {"read_text", "read_bytes", "write_text", "write_bytes", "open", "iterdir", "glob",
            "rglob", "exists", "is_file", "is_dir", "is_symlink", "stat", "lstat", "resolve",
            "readlink", "walk", "scandir", "listdir", "mkdir", "unlink"}


def _violations(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names
                      if a.name.split(".")[0] in _MODULES]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[0] in _MODULES:
                found.append((node.lineno, f"from {module} import"))
            if module == "pathlib":
                found += [(node.lineno, f"from pathlib import {a.name}") for a in node.names
                          if a.name in _PATHLIB]
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "open":
                found.append((node.lineno, "open()"))
            elif isinstance(func, ast.Attribute) and func.attr in _METHODS:
                found.append((node.lineno, f".{func.attr}()"))
    return found


@pytest.mark.parametrize("module", sorted(p.name for p in POLICIES.glob("*.py")
                                          if p.name != "__init__.py"))
def test_a_policy_module_touches_no_file(module: str) -> None:
    tree = ast.parse((POLICIES / module).read_text(encoding="utf-8"))
    assert _violations(tree) == []


@pytest.mark.parametrize("source, expected", [
    ("import os\n", [(1, "import os")]),
    ("from pathlib import Path, PurePosixPath\n", [(1, "from pathlib import Path")]),
    ("x = open('f')\n", [(1, "open()")]),
    ("def f(p):\n    return p.read_text()\n", [(2, ".read_text()")]),
    ("from pathlib import PurePosixPath\nPurePosixPath('a') / 'b'\n", []),
])
def test_the_check_sees_filesystem_access(source: str, expected: list[tuple[int, str]]) -> None:
    assert _violations(ast.parse(source)) == expected
