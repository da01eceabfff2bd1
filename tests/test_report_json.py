"""The JSON reporter: a stable document for other tools."""

from __future__ import annotations

import json

import pytest

import platecheck
from platecheck.report import jsonout
from report_samples import PROD_VALUES, SAMPLES

TOP_KEYS = ["version", "tool", "exitCode", "summary", "policies", "targets", "findings", "errors"]
FINDING_KEYS = [
    "policy",
    "level",
    "environment",
    "target",
    "resource",
    "file",
    "line",
    "message",
    "remediation",
    "waived",
    "detail",
]


@pytest.mark.parametrize("sample", SAMPLES)
def test_document_shape_is_stable(sample: str) -> None:
    doc = json.loads(jsonout.render(SAMPLES[sample]))
    assert list(doc) == TOP_KEYS
    assert doc["version"] == 2
    assert doc["tool"] == {"name": "platecheck", "version": platecheck.__version__}
    assert doc["exitCode"] == SAMPLES[sample].exit_code
    for finding in [*doc["findings"], *doc["errors"]]:
        assert list(finding) == FINDING_KEYS
        assert finding["level"] in {"error", "warning", "info"}


def test_mixed_report() -> None:
    doc = json.loads(jsonout.render(SAMPLES["mixed"]))
    assert doc["exitCode"] == 2
    assert doc["summary"] == {
        "errors": 2,
        "warnings": 1,
        "info": 1,
        "waived": 1,
        "couldNotCheck": 1,
        "targets": 3,
        "helmRuns": 0,
        "helmCached": 0,
        "kustomizeBuilds": 0,
        "unclassified": 0,
    }
    assert doc["policies"] == ["image-tag-pinned", "pull-policy"]
    assert doc["findings"][0] == {
        "policy": "image-tag-pinned",
        "level": "error",
        "environment": "prod",
        "target": "prod/plate-web",
        "resource": "Deployment/plate-web[nginx]",
        "file": PROD_VALUES,
        "line": 12,
        "message": 'container nginx of Deployment/plate-web uses floating tag "latest"',
        "remediation": "pin the image to a release tag or a digest",
        "waived": None,
        "detail": None,
    }
    waived = [f for f in doc["findings"] if f["waived"]]
    assert [f["waived"] for f in waived] == ["staging follows the main branch until 2030-01-01"]
    assert [e["policy"] for e in doc["errors"]] == ["render"]
    assert doc["errors"][0]["message"].startswith("helm template failed:\nError: template:")
    assert doc["errors"][0]["detail"] == (
        "walk.go:75: found symbolic link in path\n"
        "Error: template: plate-api/templates/deployment.yaml:7: boom\n"
        "\n"
        "Use --debug flag to render out invalid YAML\n"
    )


def test_targets_say_what_was_rendered() -> None:
    doc = json.loads(jsonout.render(SAMPLES["remote"]))
    assert doc["targets"] == [
        {
            "id": "prod/plate-web",
            "environment": "prod",
            "app": "plate-web",
            "production": True,
            "unclassified": False,
            "sourceType": "Helm",
            "application": "environments/argocd/apps/plate-web-prod.yaml",
            "applicationName": "plate-web-prod",
            "chart": "helm/applications/plate-web",
            "rendered": True,
            "remote": None,
            "releaseName": "plate-web",
            "namespace": "plate-prod",
            "valueFiles": [PROD_VALUES],
        },
        {
            "id": "prod/plate-cache",
            "environment": "prod",
            "app": "plate-cache",
            "production": True,
            "unclassified": False,
            "sourceType": "Helm",
            "application": "environments/argocd/apps/plate-cache-prod.yaml",
            "applicationName": "plate-cache-prod",
            "chart": None,
            "rendered": False,
            "remote": {
                "repoURL": "https://charts.example.org",
                "chart": "plate-cache",
                "targetRevision": "4.5.6",
            },
            "releaseName": "plate-cache",
            "namespace": "plate-prod",
            "valueFiles": [],
        },
    ]


def test_counts_from_the_engine() -> None:
    summary = json.loads(jsonout.render(SAMPLES["counted"]))["summary"]
    assert (summary["helmRuns"], summary["helmCached"], summary["waived"]) == (2, 1, 1)


def test_unicode_is_kept_readable() -> None:
    out = jsonout.render(SAMPLES["unicode-and-markup"])
    assert "plate.예시.kr" in out
    doc = json.loads(out)
    assert doc["findings"][0]["message"].endswith("\x1b[0m \x00 ✓")
    assert doc["findings"][0]["file"] == "helm/ingress/values prod.yaml"
