"""Findings on this repository and on every fixture repository, held against reports stored
in ``tests/golden/``: a change that moves, adds or drops a finding shows up here.

When a change is meant to alter findings, regenerate with
``PLATECHECK_UPDATE_GOLDEN=1 python -m pytest tests/test_findings_golden.py`` and review the
diff of ``tests/golden/`` like any other change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from platecheck import lint
from platecheck.helmbin.locate import helm_version
from platecheck.model import Report
from platecheck.report.jsonout import finding_dict

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"

REPOSITORIES = [
    "environments",
    "tests/fixtures/repos/basic",
    "tests/fixtures/repos/broken",
    "tests/fixtures/repos/nested",
    "tests/fixtures/repos/oracle",
    "tests/fixtures/beyond/outside-chart",
    "tests/fixtures/beyond/repo",
    "tests/fixtures/ci/bad-ports",
    "tests/fixtures/ci/shop",
    "tests/fixtures/crds/vendored",
    "tests/fixtures/init/labels",
    "tests/fixtures/init/suffixes",
    "tests/fixtures/policies/_base",
    "tests/fixtures/precision/repo",
    "tests/fixtures/sources/appset",
    "tests/fixtures/sources/directory",
    "tests/fixtures/sources/helm-parent",
    "tests/fixtures/sources/helm-parent-values",
    "tests/fixtures/sources/kustomize",
    "tests/fixtures/sources/same-chart-name",
    "tests/fixtures/sources/shared-resource",
    "tests/fixtures/sources/two-parents",
    "tests/fixtures/sources/unclassified",
]

# helm's own wording differs between Helm majors; the finding's place and kind do not.
HELM_WORDED = {"not-rendered", "chart-lint", "chart-lint-warning"}


def summary(report: Report) -> dict[str, Any]:
    findings = []
    for finding in report.findings:
        entry = finding_dict(finding)
        entry.pop("detail")
        if finding.policy in HELM_WORDED:
            entry.pop("message")
        findings.append(entry)
    findings.sort(key=lambda f: json.dumps(f, sort_keys=True))
    return {
        "exitCode": report.exit_code,
        "targets": sorted(t.id for t in report.targets),
        "findings": findings,
    }


@pytest.mark.parametrize("repository", REPOSITORIES)
def test_findings_match_the_stored_report(repository: str, helm_bin: Path, kubectl_bin: Path,
                                          tmp_path: Path) -> None:
    got = summary(lint(ROOT / repository, cache_dir=tmp_path))
    # Helm 4 lints and inflates some charts differently: each major has its own reports.
    major = helm_version(helm_bin).lstrip("v").split(".")[0]
    stored = GOLDEN / f"helm{major}" / (repository.replace("/", "__") + ".json")
    if os.environ.get("PLATECHECK_UPDATE_GOLDEN") == "1":
        stored.parent.mkdir(exist_ok=True)
        stored.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert stored.is_file(), f"no stored report {stored.name}: run with PLATECHECK_UPDATE_GOLDEN=1"
    assert got == json.loads(stored.read_text(encoding="utf-8"))
