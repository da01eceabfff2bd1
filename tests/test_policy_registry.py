"""House rules for every registered policy: one registry matching the modules on disk, the
module shape STYLE.md asks for, user documentation, and an entry in the built-in
configuration."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from platecheck import policies
from platecheck.config import BUILTIN
from platecheck.policies import registry

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ["What", "Why", "Options", "Passes", "Fails"]
DOCS = [REPO / "docs" / "policies.md", REPO / "docs" / "checks.md"]
IDS = list(registry())


def test_registry_matches_the_modules_on_disk() -> None:
    on_disk = {p.stem for p in Path(policies.__file__).parent.glob("*.py")} - {"__init__"}
    assert set(policies._MODULES) == on_disk
    assert len(policies._MODULES) == len(set(policies._MODULES)) == len(IDS)


@pytest.mark.parametrize("pid", IDS)
def test_module_shape(pid: str) -> None:
    module = registry()[pid]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", module.ID)
    assert module.__name__.rsplit(".", 1)[1] == module.ID.replace("-", "_")
    assert isinstance(module.SUMMARY, str) and module.SUMMARY and "\n" not in module.SUMMARY
    assert module.SCOPE in ("target", "repo", "waivers")
    assert isinstance(module.REMEDIATION, str) and module.REMEDIATION
    assert isinstance(module.DEFAULTS, Mapping)
    for key in module.DEFAULTS:
        assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", key), f"{pid}: option {key!r} is not camelCase"
    if module.SCOPE != "waivers":  # waiver findings come from platecheck.waivers
        assert callable(module.check)


@pytest.mark.parametrize("pid", IDS)
def test_docstring_has_the_sections_explain_prints(pid: str) -> None:
    doc = registry()[pid].__doc__ or ""
    assert re.findall(r"^(\w+):\s*$", doc, re.MULTILINE) == SECTIONS
    options = doc.split("\nOptions:", 1)[1].split("\nPasses:", 1)[0]
    for key in registry()[pid].DEFAULTS:
        assert re.search(rf"\b{key}\b", options), f"{pid}: option {key} undocumented"


@pytest.mark.parametrize("pid", IDS)
def test_documented_for_users(pid: str) -> None:
    text = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL))
    if pid.startswith("waiver-"):
        assert "waiver-expired" in text and "waiver-stale" in text
        return
    assert pid in sections, f"no '## {pid}' section in docs/policies.md or docs/checks.md"
    for key in registry()[pid].DEFAULTS:
        assert f"`{key}`" in sections[pid], f"{pid}: option {key} not in its documentation"


def test_builtin_configuration_lists_every_policy_with_its_level() -> None:
    builtin = yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))["policies"]
    assert list(builtin) == IDS
    assert all(settings.get("level") in ("error", "warning", "info", "off")
               for settings in builtin.values())
