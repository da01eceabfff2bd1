"""The mission policies, data-driven: each case under ``tests/fixtures/policies/<policy-id>/``
edits a copy of the small repository in ``tests/fixtures/policies/_base`` (a chart deployed
to stg and prod by Argo CD Applications, with a ``policies/platecheck.yaml``), lints it with
the real pipeline and helm, and compares every finding of the report with the case's list:
policy, level, target, file, line and message.

A case file holds:

    description: what the case shows
    files: {path: content}          # files written over the copy (whole files)
    edits: [{file, line, text}]     # replace line N by text (several lines are fine)
           [{file, after, text}]    # or insert text after line N (0: at the top)
    delete: [path]                  # files removed from the copy
    config: {policy-id: {...}}      # merged into ``policies:`` of policies/platecheck.yaml
    findings: [{policy, level, target, file, line, message}]   # the whole expected report
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from platecheck import policies as policies_package
from platecheck.engine import lint
from platecheck.model import Finding
from platecheck.policies import registry

FIXTURES = Path(__file__).parent / "fixtures" / "policies"
BASE = FIXTURES / "_base"
POLICY_DIR = Path(policies_package.__file__).parent
SECTIONS = ("What", "Why", "Options", "Passes", "Fails")
CASE_KEYS = {"description", "files", "edits", "delete", "config", "findings"}
FINDING_KEYS = ("policy", "level", "target", "file", "line", "message")


def _case_files() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*.yaml") if p.parent != BASE)


CASES = _case_files()


def _load_case(path: Path) -> dict[str, Any]:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(case, dict), f"{path}: a case is a mapping"
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"{path}: unknown case keys {sorted(unknown)}"
    assert case.get("description"), f"{path}: a case needs a description"
    return case


def build_repo(case: Mapping[str, Any], directory: Path) -> Path:
    """A copy of the base repository with the case's changes applied."""
    repo = directory / "repo"
    shutil.copytree(BASE, repo)
    for rel in case.get("delete") or ():
        (repo / rel).unlink()
    for rel, content in (case.get("files") or {}).items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(content, encoding="utf-8")
    for edit in case.get("edits") or ():
        path = repo / edit["file"]
        lines = path.read_text(encoding="utf-8").splitlines()
        new = str(edit["text"]).rstrip("\n").splitlines()
        if "line" in edit:
            lines[edit["line"] - 1 : edit["line"]] = new
        else:
            lines[edit["after"] : edit["after"]] = new
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if case.get("config"):
        config_path = repo / "policies" / "platecheck.yaml"
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        for pid, settings in case["config"].items():
            config["policies"].setdefault(pid, {}).update(settings)
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return repo


def _row(finding: Finding) -> dict[str, Any]:
    return {
        "policy": finding.policy,
        "level": finding.level.value,
        "target": finding.target,
        "file": finding.file,
        "line": finding.line,
        "message": finding.message,
    }


def _sort_key(row: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(row.get(key)) for key in FINDING_KEYS)


@pytest.fixture(scope="session")
def render_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("render-cache")


@pytest.mark.parametrize("case_file", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_case(case_file: Path, tmp_path: Path, helm_bin: Path, render_cache: Path) -> None:
    case = _load_case(case_file)
    repo = build_repo(case, tmp_path)
    report = lint(repo / "environments", helm=str(helm_bin), cache_dir=render_cache)
    assert [e.location + ": " + e.message for e in report.errors] == []
    expected = sorted(
        ({key: row.get(key) for key in FINDING_KEYS} for row in case.get("findings") or []),
        key=_sort_key,
    )
    actual = sorted((_row(f) for f in report.findings), key=_sort_key)
    assert actual == expected
    for finding in report.findings:
        assert finding.remediation, f"{finding.policy}: finding without remediation"


def test_base_repository_is_clean(tmp_path: Path, helm_bin: Path, render_cache: Path) -> None:
    repo = build_repo({}, tmp_path)
    report = lint(repo / "environments", helm=str(helm_bin), cache_dir=render_cache)
    assert (report.errors, report.findings, report.exit_code) == ((), (), 0)
    assert {t.id for t in report.targets} == {"stg/web", "prod/web"}


# -- meta-tests: the house rules for every registered policy -------------------------------


def _policies() -> dict[str, ModuleType]:
    return registry()


def test_registry_matches_the_modules_on_disk() -> None:
    from platecheck import policies

    on_disk = {p.stem for p in POLICY_DIR.glob("*.py") if p.stem != "__init__"}
    assert set(policies._MODULES) == on_disk
    assert len(policies._MODULES) == len(set(policies._MODULES))
    ids = [module.ID for module in _policies().values()]
    assert len(ids) == len(set(ids)) == len(policies._MODULES)


@pytest.mark.parametrize("pid", list(registry()))
def test_policy_module_shape(pid: str) -> None:
    module = _policies()[pid]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", module.ID)
    assert module.__name__.rsplit(".", 1)[1] == module.ID.replace("-", "_")
    assert isinstance(module.SUMMARY, str) and module.SUMMARY
    assert module.SCOPE in ("target", "repo")
    assert isinstance(module.REMEDIATION, str) and module.REMEDIATION
    assert isinstance(module.DEFAULTS, dict)
    for key in module.DEFAULTS:
        assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", key), f"{pid}: option {key!r} is not camelCase"
    assert callable(module.check)
    doc = module.__doc__ or ""
    headings = re.findall(r"^(\w+):\s*$", doc, re.MULTILINE)
    assert headings == list(SECTIONS), f"{pid}: docstring sections are {headings}"
    options_text = doc.split("\nOptions:", 1)[1].split("\nPasses:", 1)[0]
    for key in module.DEFAULTS:
        assert re.search(rf"^\s+{key}\b", options_text, re.MULTILINE), (
            f"{pid}: option {key} is not documented under Options"
        )


@pytest.mark.parametrize("pid", list(registry()))
def test_policy_has_passing_and_failing_cases(pid: str) -> None:
    outcomes = {"pass": 0, "fail": 0}
    for path in (FIXTURES / pid).glob("*.yaml"):
        case = _load_case(path)
        fails = any(row.get("policy") == pid for row in case.get("findings") or [])
        outcomes["fail" if fails else "pass"] += 1
    assert outcomes["pass"] >= 1 and outcomes["fail"] >= 1, (
        f"{pid}: needs at least one passing and one failing case under {FIXTURES / pid}"
    )
