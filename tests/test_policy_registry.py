"""House rules for every registered policy: the registry is the modules on disk, the module
shape STYLE.md asks for (options as a typed, frozen dataclass), user documentation, and a
built-in level."""

from __future__ import annotations

import dataclasses
import re
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from platecheck import distributions, policies
from platecheck.config import BUILTIN
from platecheck.model import Level
from platecheck.options import NoOptions
from platecheck.policies import declarations, registry

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ["What", "Why", "Options", "Passes", "Fails"]
DOCS = [REPO / "docs" / "policies.md", REPO / "docs" / "checks.md"]
IDS = list(registry())


def option_names(pid: str) -> list[str]:
    return list(declarations()[pid].specs)


def test_registry_is_the_modules_on_disk() -> None:
    on_disk = {p.stem for p in Path(policies.__file__).parent.glob("*.py")} - {"__init__"}
    assert {module.__name__.rsplit(".", 1)[1] for module in registry().values()} == on_disk
    assert len(IDS) == len(on_disk)


@pytest.mark.parametrize("pid", IDS)
def test_module_shape(pid: str) -> None:
    module = registry()[pid]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", module.ID)
    assert module.__name__.rsplit(".", 1)[1] == module.ID.replace("-", "_")
    assert isinstance(module.SUMMARY, str) and module.SUMMARY and "\n" not in module.SUMMARY
    assert module.SCOPE in ("target", "repo", "waivers")
    assert isinstance(module.REMEDIATION, str) and module.REMEDIATION
    if hasattr(module, "LEVEL"):  # declared only when it is not error, and never off
        assert isinstance(module.LEVEL, Level)
        assert module.LEVEL not in (Level.OFF, Level.ERROR), pid
    options = getattr(module, "Options", NoOptions)
    assert dataclasses.is_dataclass(options) and options.__dataclass_params__.frozen
    options()  # every option has a default
    assert not hasattr(module, "DEFAULTS") and not hasattr(module, "OPTION_PARSERS")
    for key in option_names(pid):
        assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", key), f"{pid}: option {key!r} is not camelCase"
    if module.SCOPE != "waivers":  # waiver findings come from platecheck.waivers
        assert callable(module.check)


@pytest.mark.parametrize("pid", IDS)
def test_docstring_has_the_sections_explain_prints(pid: str) -> None:
    doc = registry()[pid].__doc__ or ""
    assert re.findall(r"^(\w+):\s*$", doc, re.MULTILINE) == SECTIONS
    options = doc.split("\nOptions:", 1)[1].split("\nPasses:", 1)[0]
    for key in option_names(pid):
        assert re.search(rf"\b{key}\b", options), f"{pid}: option {key} undocumented"


@pytest.mark.parametrize("pid", IDS)
def test_documented_for_users(pid: str) -> None:
    """docs/policies.md has the policy's generated section (tests/test_docs_reference.py holds
    it current), naming every option."""
    text = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    sections = dict(re.findall(r"^## (\S+)\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL))
    assert pid in sections, f"no '## {pid}' section in docs/policies.md"
    for key in option_names(pid):
        assert f"`{key}`" in sections[pid], f"{pid}: option {key} not in its documentation"


def test_levels_come_from_the_modules_not_the_built_in_configuration() -> None:
    assert "policies" not in yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))
    built_in = {pid: d.level for pid, d in declarations().items()}
    assert built_in["chart-lint-warning"] is Level.WARNING
    assert built_in["image-tag-pinned"] is Level.ERROR


def _site(tmp_path: Path, declares: str = "platecheck.policies") -> Path:
    """A directory of installed packages: one distribution whose entry points of
    ``declares`` name a module ``extra_policy`` with one repository-wide policy."""
    site = tmp_path / "site"
    info = site / "extra_policies-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-policies\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{declares}]\nextra = extra_policy\n")
    (site / "extra_policy.py").write_text(
        'ID = "extra-policy"\nSCOPE = "repo"\nSUMMARY = "an installed policy"\n'
        "def check(repo, options):\n    return iter(())\n")
    return site


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import importlib.metadata

    looked_up: list[str] = []
    real = importlib.metadata.entry_points

    def counting(**selection: str) -> importlib.metadata.EntryPoints:
        looked_up.append(selection["group"])
        return real(**selection)

    monkeypatch.setattr(importlib.metadata, "entry_points", counting)
    return looked_up


def test_installed_policies_are_looked_up_once_per_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # finding entry points reads every installed distribution's metadata; a run asks for the
    # registry several times (helm lint's readers, the engine, the report)
    monkeypatch.syspath_prepend(str(_site(tmp_path)))
    looked_up = _counting(monkeypatch)
    policies._entry_point_modules.cache_clear()
    try:
        first, second = registry(), registry()
    finally:
        policies._entry_point_modules.cache_clear()
        sys.modules.pop("extra_policy", None)
    assert looked_up == ["platecheck.policies"]
    assert list(first) == list(second)
    assert sorted(first) == sorted([*IDS, "extra-policy"])


def test_no_metadata_is_read_when_no_installed_package_declares_policies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a distribution with entry points of other groups only
    monkeypatch.syspath_prepend(str(_site(tmp_path, declares="console_scripts")))
    looked_up = _counting(monkeypatch)
    policies._entry_point_modules.cache_clear()
    try:
        assert list(registry()) == IDS
    finally:
        policies._entry_point_modules.cache_clear()
    assert looked_up == []


@pytest.mark.parametrize("where", ["archive", "egg"])
def test_packages_in_an_archive_or_an_egg_are_looked_up(tmp_path: Path, where: str) -> None:
    if where == "archive":
        entry = tmp_path / "packages.zip"
        with zipfile.ZipFile(entry, "w") as archive:
            archive.writestr("x-1.0.dist-info/entry_points.txt", "[other]\n")
    else:
        entry = tmp_path / "x-1.0.egg"
        (entry / "EGG-INFO").mkdir(parents=True)
        (entry / "EGG-INFO" / "entry_points.txt").write_text("[platecheck.policies]\nx = x\n")
    saved = list(sys.path)
    sys.path.insert(0, str(entry))
    try:
        assert distributions.declares("platecheck.policies")
    finally:
        sys.path[:] = saved
    assert not distributions.declares("platecheck.policies")
