"""A JSON document for other tools: stable keys in a fixed order.

``version`` is the version of this document's layout; it changes only when a key is removed
or changes meaning (version 2: ``summary.rendered``/``cached`` became ``helmRuns``/``helmCached``,
which count every helm process, lints included). Findings and errors carry every ``Finding``
field, ``level`` as a string.
"""

from __future__ import annotations

import json
from typing import Any

from platecheck.model import Finding, RenderTarget, Report
from platecheck.report.common import count, finding_order, level_of, shown
from platecheck.version import __version__

FORMAT_VERSION = 2


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "policy": finding.policy,
        "level": level_of(finding).value,
        "environment": finding.environment,
        "target": finding.target,
        "resource": finding.resource,
        "file": finding.file,
        "line": finding.line,
        "message": finding.message,
        "remediation": finding.remediation,
        "waived": finding.waived,
        "detail": finding.detail,
    }


def target_dict(target: RenderTarget) -> dict[str, Any]:
    remote = target.remote
    return {
        "id": target.id,
        "environment": target.environment,
        "app": target.app,
        "production": target.production,
        "unclassified": target.unclassified,
        "sourceType": str(target.source_type) if target.source_type else None,
        "application": target.application.file if target.application else None,
        "applicationName": target.application.name if target.application else None,
        "chart": target.chart.rel if target.chart else None,
        "rendered": target.rendered_here,
        "remote": (
            None
            if remote is None
            else {
                "repoURL": remote.repo_url,
                "chart": remote.chart,
                "targetRevision": remote.target_revision,
            }
        ),
        "releaseName": target.release_name,
        "namespace": target.namespace,
        "valueFiles": [values.rel for values in target.value_files],
    }


def document(report: Report) -> dict[str, Any]:
    counts = count(report)
    return {
        "version": FORMAT_VERSION,
        "tool": {"name": "platecheck", "version": __version__},
        "exitCode": report.exit_code,
        "summary": {
            "errors": counts.errors,
            "warnings": counts.warnings,
            "info": counts.info,
            "waived": counts.waived,
            "couldNotCheck": counts.not_checked,
            "targets": counts.targets,
            "helmRuns": counts.helm_runs,
            "helmCached": counts.helm_cached,
            "kustomizeBuilds": counts.kustomize_builds,
            "unclassified": counts.unclassified,
        },
        "policies": list(report.policy_ids),
        "targets": [target_dict(t) for t in report.targets],
        "findings": [finding_dict(f) for f in sorted(shown(report.findings), key=finding_order)],
        "errors": [finding_dict(f) for f in sorted(shown(report.errors), key=finding_order)],
    }


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
