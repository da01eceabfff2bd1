"""What helm validates against a chart's values.schema.json holds the nulls it keeps: a
chart's own ``key:`` with no value, and a user ``null`` for a key the chart does not have; a
user ``null`` over a chart's key deletes it. platecheck checks the schema itself (helm is told
to skip it), so each case is held against the real ``helm template``, Helm 3 and Helm 4."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.helmbin import helm_major, install_helm

STRING = {"type": "string"}

# (name, values.yaml, values-prod.yaml, schema, where platecheck reports it or None)
CASES = [
    ("a chart null meets required", "policy:\n", "{}\n",
     {"required": ["policy"]}, None),
    ("a chart null is not a string", "a: 1\npolicy:\n", "{}\n",
     {"properties": {"policy": STRING}}, ("c/values.yaml", 2)),
    ("a user null for a key the chart lacks is not a string", "a: 1\n", "extra: null\n",
     {"properties": {"extra": STRING}}, ("c/values-prod.yaml", 1)),
    ("a user null deletes the chart's key", "policy: x\n", "policy: null\n",
     {"properties": {"policy": STRING}}, None),
    ("a user null deletes the chart's required key", "policy: x\n", "policy: null\n",
     {"required": ["policy"]}, ("c/values-prod.yaml", 1)),
    ("a nested chart null meets required", "nested:\n  inner:\n", "{}\n",
     {"properties": {"nested": {"required": ["inner"]}}}, None),
    ("a nested user null deletes the chart's key", "nested:\n  inner: x\n",
     "nested:\n  inner: null\n", {"properties": {"nested": {"required": ["inner"]}}},
     ("c/values-prod.yaml", 2)),
    ("a required key nobody writes", "a: 1\n", "{}\n", {"required": ["policy"]},
     ("c/values.schema.json", None)),
]


@pytest.fixture(scope="module", params=[3, 4], ids=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest) -> Path:
    path = install_helm(str(request.param))
    assert helm_major(path) == request.param
    return path


@pytest.mark.parametrize(("name", "chart_values", "prod_values", "schema", "where"), CASES,
                         ids=[case[0] for case in CASES])
def test_nulls_are_validated_as_helm_validates_them(
        helm: Path, tmp_path: Path, name: str, chart_values: str, prod_values: str,
        schema: dict[str, object], where: tuple[str, int | None] | None) -> None:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    chart = root / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    (chart / "values.yaml").write_text(chart_values)
    (chart / "values-prod.yaml").write_text(prod_values)
    (chart / "values.schema.json").write_text(json.dumps({"type": "object", **schema}))
    by_helm = subprocess.run([str(helm), "template", str(chart), "-f",
                              str(chart / "values-prod.yaml")], capture_output=True, text=True,
                             check=False)
    report = lint(chart, helm=helm, environments=["prod"], cache_dir=tmp_path / "cache")
    found = [(e.file, e.line) for e in report.errors]
    assert (by_helm.returncode != 0) == bool(found), by_helm.stderr
    assert found == ([where] if where else [])
    assert all(e.message.startswith("values do not meet the chart's values.schema.json")
               and " None " not in e.message for e in report.errors)
