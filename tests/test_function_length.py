"""No function in src/ is longer than 60 lines (its signature to its last line)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
LIMIT = 60


def _long_functions(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - first + 1
                if length > LIMIT:
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno} "
                                 f"{node.name} ({length} lines)")
    return found


def test_no_function_in_src_is_longer_than_the_limit() -> None:
    assert _long_functions(SRC) == []


def test_the_measure_counts_a_long_function(tmp_path: Path) -> None:
    package = tmp_path / "src"
    package.mkdir()
    body = "\n".join(f"    x{n} = {n}" for n in range(LIMIT))
    (package / "m.py").write_text(f"def short():\n    pass\n\n\ndef long():\n{body}\n")
    assert _long_functions(package) == [f"src/m.py:5 long ({LIMIT + 1} lines)"]
