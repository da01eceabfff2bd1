"""Policies are functions of the model and their parsed options: no policy module touches the
filesystem or starts a process itself, nor calls platecheck's schema loading (what a policy
needs from the repository, schemas included, is put in the model by an earlier stage)."""

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
# platecheck's functions that read schema files or keep process-wide caches of them: the
# engine calls them (``schemas.prepare``) and policies read the result from the model
_LOADERS = {"prepare", "schema_set", "SchemaSet", "find_custom_schema", "schema_directories",
            "kubernetes_validator", "crd_validator", "packaged_schema_dir", "read_text"}


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
            elif isinstance(func, ast.Name) and func.id in _LOADERS:
                found.append((node.lineno, f"{func.id}()"))
            elif isinstance(func, ast.Attribute) and func.attr in _METHODS | _LOADERS:
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
    ("def f(o):\n    return schemas.schema_set(o, None, None)\n", [(2, ".schema_set()")]),
    ("def f(k, d):\n    return find_custom_schema(k, 'v1', d)\n", [(2, "find_custom_schema()")]),
    ("def f(r, o):\n    return schemas.prepared(r, o)\n", []),
])
def test_the_check_sees_filesystem_access(source: str, expected: list[tuple[int, str]]) -> None:
    assert _violations(ast.parse(source)) == expected
