"""A run of some environments (``--env prod``) still compares them with the environments
env-consistency pairs them with: those are rendered for that policy alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from platecheck.engine import lint
from platecheck.model import Report
from test_policies_mission import build_repo

# staging sets a key production does not (tests/fixtures/policies/env-consistency)
# and uses an issuer no environment allows, an ingress-tls finding of staging's
KEY_ONLY_IN_STAGING = {"edits": [
    {"file": "helm/applications/web/values-stg.yaml", "line": 12,
     "text": "    cert-manager.io/cluster-issuer: self-signed"},
    {"file": "helm/applications/web/values-stg.yaml", "after": 9,
     "text": "debug:\n  enabled: true\n"}]}
DRIFT = ("env-consistency", "stg/web", "helm/applications/web/values-stg.yaml:10",
         'values key "debug" is set for stg/web but not for prod/web')
BROKEN_STAGING = {"files": {"helm/applications/web/values-broken.yaml": "a: {1\n"},
                  "edits": [{"file": "environments/argocd/apps/web-stg.yaml", "line": 16,
                             "text": "        - values-broken.yaml"}]}


def _lint(repo: Path, tmp_path: Path, helm_bin: Path, env: str | None) -> Report:
    return lint(repo / "environments", helm=str(helm_bin), cache_dir=tmp_path / "cache",
                environments=[env] if env else None)


def _rows(report: Report, policy: str | None = None) -> list[tuple[str, str | None, str, str]]:
    return [(f.policy, f.target, f.location, f.message) for f in report.findings
            if policy is None or f.policy == policy]


def test_a_run_of_one_environment_reports_its_pairs_differences(
        tmp_path: Path, helm_bin: Path) -> None:
    repo = build_repo(KEY_ONLY_IN_STAGING, tmp_path)
    full = _lint(repo, tmp_path, helm_bin, None)
    prod = _lint(repo, tmp_path, helm_bin, "prod")
    stg = _lint(repo, tmp_path, helm_bin, "stg")
    assert DRIFT in _rows(full, "env-consistency")
    assert _rows(prod, "env-consistency") == _rows(stg, "env-consistency") \
        == _rows(full, "env-consistency")
    # staging's targets are compared, not checked: none of their other findings (its
    # issuer) and none of them among the run's targets
    assert any(f.target == "stg/web" and f.policy == "ingress-tls" for f in full.findings)
    assert [row for row in _rows(prod) if row[0] != "env-consistency"] == \
        [row for row in _rows(full) if row[0] != "env-consistency" and row[1] != "stg/web"]
    assert [t.id for t in prod.targets] == ["prod/web"]
    assert prod.exit_code == 1


def test_a_paired_environment_that_cannot_be_rendered_is_could_not_check(
        tmp_path: Path, helm_bin: Path) -> None:
    repo = build_repo(BROKEN_STAGING, tmp_path)
    report = _lint(repo, tmp_path, helm_bin, "prod")
    assert [(e.environment, e.target, e.file, e.message.endswith(
        "(rendering stg/web to compare prod with it (env-consistency))"))
        for e in report.errors] == [
        (None, None, "helm/applications/web/values-broken.yaml", True)]
    assert report.exit_code == 2


def test_env_consistency_off_for_the_environment_renders_nothing_else(
        tmp_path: Path, helm_bin: Path) -> None:
    repo = build_repo({**BROKEN_STAGING, "config": {"env-consistency": {
        "level": {"prod": "off", "stg": "error"}}}}, tmp_path)
    report = _lint(repo, tmp_path, helm_bin, "prod")
    assert report.errors == ()
    assert [t.id for t in report.targets] == ["prod/web"]
    assert _rows(report, "env-consistency") == []


def test_the_command_line_run_of_one_environment_exits_on_the_drift(
        tmp_path: Path, helm_bin: Path) -> None:
    repo = build_repo(KEY_ONLY_IN_STAGING, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "platecheck", "lint", str(repo / "environments"), "--env", "prod",
         "--helm", str(helm_bin), "--cache-dir", str(tmp_path / "cache"), "--format", "json"],
        capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 1, done.stderr
    assert '"policy": "env-consistency"' in done.stdout
    assert '"policy": "ingress-tls"' not in done.stdout
