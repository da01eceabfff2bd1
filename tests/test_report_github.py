"""The GitHub Actions reporter: workflow commands that annotate the values file line."""

from __future__ import annotations

import pytest

from platecheck.model import Finding
from platecheck.report import github
from report_samples import PROD_VALUES, SAMPLES


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\nb", "a%0Ab", "a%0Ab"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("%0A literal", "%250A literal", "%250A literal"),
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
        ("esc \x1b[31m", "esc \\x1b[31m", "esc \\x1b[31m"),
        ("예시 ✓", "예시 ✓", "예시 ✓"),
    ],
)
def test_escaping_follows_the_actions_toolkit(raw: str, data: str, prop: str) -> None:
    assert github.escape_data(raw) == data
    assert github.escape_property(raw) == prop


def test_command_without_properties() -> None:
    assert github.command("error", {}, "a: b") == "::error::a: b"


def test_mixed_report() -> None:
    lines = github.render(SAMPLES["mixed"]).splitlines()
    assert lines == [
        "::error file=environments/argocd/apps/plate-api-prod.yaml,line=1,title=render::"
        "prod/plate-api: could not check: helm template failed:%0AError: template: "
        "plate-api/templates/deployment.yaml:7: boom",
        f"::error file={PROD_VALUES},line=12,title=image-tag-pinned::prod/plate-web: container"
        ' nginx of Deployment/plate-web uses floating tag "latest"%0Afix: pin the image to a'
        " release tag or a digest",
        f"::warning file={PROD_VALUES},line=14,title=pull-policy::prod/plate-web: container nginx"
        " of Deployment/plate-web has imagePullPolicy Always%0Afix: set imagePullPolicy:"
        " IfNotPresent",
        "::error file=helm/applications/plate-web/values-stg.yaml,line=9,title=yaml-hygiene::"
        'duplicate key "image" (first at line 2)%0Afix: remove one of the two keys',
        "::notice file=helm/ingress/templates/issuer.yaml,title=ingress-tls::prod/plate-web: no"
        " ClusterIssuer named letsencrypt-prod%0Afix: define the issuer",
        "2 errors, 1 warning, 1 info, 1 waived, 1 could not be checked in 3 targets"
        " (0 helm runs, 0 cached)",
    ]


def test_waived_findings_are_left_out() -> None:
    assert github.render(SAMPLES["all-waived"]) == (
        "0 errors, 0 warnings, 1 waived in 3 targets (0 helm runs, 0 cached)\n"
    )


def test_findings_without_a_file_are_annotations_of_the_run() -> None:
    lines = github.render(SAMPLES["odd-places"]).splitlines()
    assert any(
        line.startswith("::error title=env-consistency::plate-llm is deployed to stg only%0A")
        for line in lines
    )


def test_properties_are_escaped() -> None:
    line = github.annotation(
        Finding(policy="ingress-tls", message="m", file="dir,with:odd/values.yaml", line=3)
    )
    assert line == "::error file=dir%2Cwith%3Aodd/values.yaml,line=3,title=ingress-tls::m"


def test_every_line_is_one_command_or_the_summary() -> None:
    for sample in SAMPLES.values():
        lines = github.render(sample).splitlines()
        assert all(line.startswith("::") for line in lines[:-1])
        assert " targets (" in lines[-1]
