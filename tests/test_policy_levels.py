"""Levels come from configuration: no policy module sets one (the engine stamps them)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from platecheck.policies import registry


@pytest.mark.parametrize("pid", sorted(registry()))
def test_policy_module_sets_no_level(pid: str) -> None:
    module = importlib.import_module(registry()[pid].__name__)
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    levels = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
              for keyword in node.keywords if keyword.arg == "level"]
    assert levels == [], f"{pid} sets a level at lines {levels}"
