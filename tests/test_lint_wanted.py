"""helm lint runs only where a policy reads what it prints (chart-metadata,
chart-lint-warning, a repository-wide policy of another package): a repository that turns
them off pays for no lint process."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from platecheck.engine import _load, lint
from platecheck.policies import reads_helm_lint, registry
from synthetic import generate


@pytest.fixture
def synthetic(tmp_path: Path, helm_bin: Path) -> Path:
    root = tmp_path / "repo"
    generate(root, 2)  # 2 apps x stg/prod: 4 targets, each with its own value files
    return root


def _levels(root: Path, levels: str) -> None:
    """The generated configuration with ``levels`` added under ``policies:``."""
    config = root / "policies" / "platecheck.yaml"
    original = root / "policies" / "platecheck.yaml.orig"
    if not original.exists():
        original.write_bytes(config.read_bytes())
    config.write_text(original.read_text(encoding="utf-8") + levels, encoding="utf-8")


def _outcome(root: Path) -> tuple[object, ...]:
    report = lint(root / "environments", use_cache=False)
    return report.findings, report.errors, report.targets


def test_every_lint_runs_by_default(synthetic: Path) -> None:
    model, _, _ = _load(synthetic / "environments", use_cache=False)
    assert {(lint.chart.rel, lint.environment) for lint in model.helm_lint} == {
        (t.chart.rel, t.environment) for t in model.targets if t.chart is not None}
    assert model.renders == len(model.rendered) + len(model.helm_lint)


def test_no_lint_where_no_policy_reads_it(synthetic: Path) -> None:
    before = _outcome(synthetic)
    _levels(synthetic, "  chart-metadata: {level: {stg: off}}\n"
                       "  chart-lint-warning: {level: off}\n")
    model, _, _ = _load(synthetic / "environments", use_cache=False)
    assert model.helm_lint and {lint.environment for lint in model.helm_lint} == {"prod"}
    assert model.renders == len(model.rendered) + len(model.helm_lint)
    _levels(synthetic, "  chart-metadata: {level: off}\n  chart-lint-warning: {level: off}\n")
    model, _, _ = _load(synthetic / "environments", use_cache=False)
    assert model.helm_lint == () and model.renders == len(model.rendered) == 4
    assert _outcome(synthetic) == before  # a clean repository: the same outcome


def test_a_lint_warning_is_found_only_where_its_policy_is_on(synthetic: Path) -> None:
    template = synthetic / "helm" / "apps" / "app0000" / "templates" / "configmap.yaml"
    template.write_text(template.read_text(encoding="utf-8").replace(
        '{{ include "app.fullname" . }}', "Not_A_DNS_Name"), encoding="utf-8")
    rel = "helm/apps/app0000/templates/configmap.yaml"
    warned = [f.file for f in lint(synthetic / "environments", use_cache=False).findings
              if f.policy == "chart-lint-warning"]
    assert warned == [rel]
    _levels(synthetic, "  chart-lint-warning: {level: {stg: off}}\n"
                       "  chart-metadata: {level: {stg: off}}\n")
    report = lint(synthetic / "environments", use_cache=False)
    assert [f.file for f in report.findings if f.policy == "chart-lint-warning"] == [rel]
    assert report.renders == 4 + 2  # a lint for each chart in prod only
    _levels(synthetic, "  chart-lint-warning: {level: off}\n"
                       "  chart-metadata: {level: off}\n")
    report = lint(synthetic / "environments", use_cache=False)
    assert not [f for f in report.findings if f.policy == "chart-lint-warning"]
    assert report.renders == 4


def test_which_policies_read_helm_lint() -> None:
    policies = registry()
    assert {pid for pid, module in policies.items() if reads_helm_lint(module)} == {
        "chart-metadata", "chart-lint-warning"}
    plugin = types.ModuleType("someone.policy")
    plugin.SCOPE = "repo"  # type: ignore[attr-defined]
    assert reads_helm_lint(plugin)  # it sees the model: it may read helm_lint
    plugin.HELM_LINT = False  # type: ignore[attr-defined]
    assert not reads_helm_lint(plugin)
    per_target = types.ModuleType("someone.other")
    per_target.SCOPE = "target"  # type: ignore[attr-defined]
    assert not reads_helm_lint(per_target)
