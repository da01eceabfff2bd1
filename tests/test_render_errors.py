"""A could-not-check message keeps helm's reason, with Helm 3 and Helm 4 alike."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.helmbin import helm_major, install_helm
from platecheck.model import Report
from platecheck.render import first_error_line
from platecheck.report import jsonout, junit, sarif

CHART_YAML = "apiVersion: v2\nname: schemed\nversion: 0.1.0\n"
SCHEMA = """{
  "type": "object",
  "properties": {
    "ingress": {"type": "object", "properties": {
      "tls": {"type": "array", "items": {"type": "object", "required": ["hosts"]}}}}
  }
}
"""
TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: schemed\n"
BAD_VALUES = "ingress:\n  tls:\n    - secretName: schemed-tls\n"

# What each major says after the Error: line, for the values above.
REASONS = {
    3: "schemed: - ingress.tls.0: hosts is required",
    4: "schemed: - at '/ingress/tls/0': missing property 'hosts'",
}
HEADLINE = "values don't meet the specifications of the schema(s) in the following chart(s):"


@pytest.fixture(scope="module", params=[3, 4], ids=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest) -> Path:
    major = int(request.param)
    path = install_helm(str(major))
    assert helm_major(path) == major
    return path


@pytest.fixture(scope="module")
def chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("schemed")
    (root / "templates").mkdir()
    (root / "Chart.yaml").write_text(CHART_YAML, encoding="utf-8")
    (root / "values.schema.json").write_text(SCHEMA, encoding="utf-8")
    (root / "values.yaml").write_text("ingress: {}\n", encoding="utf-8")
    (root / "values-prod.yaml").write_text(BAD_VALUES, encoding="utf-8")
    (root / "templates" / "configmap.yaml").write_text(TEMPLATE, encoding="utf-8")
    return root


def test_schema_failure_keeps_the_reason(helm: Path, chart: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}
    failed = subprocess.run(
        [str(helm), "template", "schemed", str(chart), "--values", str(chart / "values-prod.yaml")],
        capture_output=True, text=True, env=env, check=False,
    )
    assert failed.returncode != 0
    assert first_error_line(failed.stderr) == f"{HEADLINE} {REASONS[helm_major(helm)]}"


@pytest.fixture(scope="module")
def linted(helm: Path, chart: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    return lint(chart, helm=helm, cache_dir=tmp_path_factory.mktemp("cache"))


def test_could_not_check_message_names_the_schema_violation(linted: Report) -> None:
    # platecheck validates values.schema.json itself (helm is told to skip it), at the line
    (error,) = linted.errors
    assert (error.target, error.file, error.line) == ("prod/schemed", "values-prod.yaml", 3)
    assert error.message.startswith(
        "values do not meet the chart's values.schema.json at ingress.tls.0: ")


@pytest.fixture(scope="module")
def failing(helm: Path, chart: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    root = tmp_path_factory.mktemp("failing") / "schemed"
    shutil.copytree(chart, root)
    (root / "values.schema.json").unlink()
    (root / "templates" / "configmap.yaml").write_text(TEMPLATE + '{{ fail "no hosts" }}\n')
    return lint(root, helm=helm, cache_dir=tmp_path_factory.mktemp("cache"))


def test_reports_carry_helms_whole_output(failing: Report) -> None:
    linted = failing
    (error,) = [e for e in linted.errors if e.message.startswith("helm template failed")]
    assert error.detail is not None and error.detail.startswith("Error: ")
    listed = [e for e in json.loads(jsonout.render(linted))["errors"]
              if e["message"] == error.message]
    assert [e["detail"] for e in listed] == [error.detail]
    cases = list(ET.fromstring(junit.render(linted).encode("utf-8")).iter("testcase"))
    bodies = [case.findtext("error") for case in cases if case.find("error") is not None]
    assert len(bodies) == 6  # every target-scope policy of the target that did not render
    detail = "\n".join(f"    {line}" if line else "" for line in error.detail.rstrip().splitlines())
    assert all(body and body.endswith(f"\n  detail:\n{detail}") for body in bodies)
    results = json.loads(sarif.render(linted))["runs"][0]["results"]
    (result,) = [r for r in results if r["properties"].get("couldNotCheck")]
    assert result["properties"]["detail"] == error.detail


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        pytest.param(
            "Error: values don't meet the specifications of the schema(s) in the following"
            " chart(s):\nweb:\n- replicas: Invalid type. Expected: integer, given: string\n"
            "db:\n- size: is required\n\nUse --debug for more\n",
            "values don't meet the specifications of the schema(s) in the following chart(s):"
            " web: - replicas: Invalid type. Expected: integer, given: string db: - size: is"
            " required",
            id="several-charts-stop-at-the-blank-line",
        ),
        pytest.param(
            "Error: INSTALLATION FAILED: boom\nnot part of it\n",
            "INSTALLATION FAILED: boom",
            id="no-colon-no-continuation",
        ),
        pytest.param(
            "Error: parse error:\n",
            "parse error:",
            id="colon-at-the-end-of-stderr",
        ),
    ],
)
def test_first_error_line(stderr: str, expected: str) -> None:
    assert first_error_line(stderr) == expected
