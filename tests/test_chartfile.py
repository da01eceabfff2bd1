"""Chart.yaml keys as Helm reads them, whatever their case: the real helm is the reference."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from platecheck.chartfile import (
    DEPENDENCY_FIELDS,
    Dependency,
    as_helm_reads,
    declared,
    written_key,
)
from platecheck.discover import Discovery, load_chart
from platecheck.engine import load_and_check
from platecheck.policies import chart_metadata
from synthetic import write_files

CHART_YAMLS = [
    "apiversion: v2\nname: web\nversion: 0.1.0\n",
    "APIVERSION: v2\nNAME: web\nVersion: 0.2.0\nAppVersion: '1.0'\n",
    # both spellings: the key last in sorted order wins ("apiversion" after "apiVersion")
    "apiVersion: v1\napiversion: v2\nname: web\nversion: 0.1.0\n",
    "apiversion: v1\napiVersion: v2\nname: web\nversion: 0.1.0\n",
    # a null leaves a string field as the other key set it
    "apiVersion: v2\napiversion: null\nname: web\nversion: 0.1.0\n",
    "apiVersion: v2\nname: web\nversion: 0.1.0\nDependencies:\n  - NAME: sub\n"
    "    Repository: https://charts.example.com\n    version: 1.0.0\n    Alias: other\n",
]


def _helm_show_chart(helm: Path, text: str, tmp_path: Path) -> dict[str, Any]:
    chart = write_files(tmp_path / "web", {"Chart.yaml": text, "templates/.keep": ""})
    shown = subprocess.run([str(helm), "show", "chart", str(chart)], capture_output=True,
                           text=True, check=True).stdout
    data = yaml.safe_load(shown)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("text", CHART_YAMLS)
def test_fields_are_what_helm_reads(helm_bin: Path, text: str, tmp_path: Path) -> None:
    ours = as_helm_reads(yaml.safe_load(text))
    helms = _helm_show_chart(helm_bin, text, tmp_path)
    assert {k: ours.get(k) for k in helms} == helms
    assert set(ours) == set(helms)


def test_dependency_and_key_lookup() -> None:
    assert written_key({"Name": "a", "name": "b"}, "name") == "name"
    assert written_key({"NAME": "a"}, "name") == "NAME"
    assert written_key({"name": None}, "name") is None
    assert written_key({"other": 1}, "name") is None
    assert as_helm_reads({"Import-Values": ["x"], "NAME": "sub"}, DEPENDENCY_FIELDS) == {
        "import-values": ["x"], "name": "sub"}


def _repo(tmp_path: Path, chart_yaml: str) -> Path:
    app = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n"
           "spec:\n  project: default\n  source:\n    repoURL: https://example.com/r.git\n"
           "    path: web\n  destination:\n    namespace: web\n"
           "    server: https://kubernetes.default.svc\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": app, "web/Chart.yaml": chart_yaml,
        "web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    (repo / ".git").mkdir()
    return repo


def _chart_metadata(tmp_path: Path, chart_yaml: str) -> list[tuple[str | None, int | None, str]]:
    _, report = load_and_check(_repo(tmp_path, chart_yaml), cache_dir=tmp_path / "cache")
    assert report.errors == ()
    return [(f.file, f.line, f.message) for f in report.findings
            if f.policy == "chart-metadata"]


@pytest.mark.usefixtures("helm_bin")
def test_lower_case_chart_yaml_keys_are_no_finding(tmp_path: Path) -> None:
    assert _chart_metadata(tmp_path, "name: web\nversion: 0.1.0\napiversion: v2\n") == []


def test_a_finding_points_at_the_key_helm_reads(tmp_path: Path) -> None:
    # (Helm 3 renders a chart of apiVersion v3, Helm 4 does not: the policy is asked directly)
    repo = _repo(tmp_path, "name: web\nversion: 0.1.0\nAPIVersion: v2\napiversion: v3\n")
    chart = load_chart(repo / "web", Discovery(repo))
    found = list(chart_metadata._metadata(chart, (repo / "web" / "Chart.yaml").read_bytes()))
    assert [(f.file, f.line) for f in found] == [("web/Chart.yaml", 4)]
    assert "'v3'" in found[0].message


def test_requirements_yaml_is_read_over_chart_yaml_as_helm_reads_it(helm_bin: Path,
                                                                     tmp_path: Path) -> None:
    """Helm's loader decodes requirements.yaml into the chart's metadata whatever the
    apiVersion: its dependencies replace Chart.yaml's, each entry over Chart.yaml's of its
    index (``child`` keeps the repository of ``ghost``), and the chart renders with ``child``
    vendored, ``ghost`` no dependency at all."""
    repo = _repo(tmp_path, "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n"
                 "  - name: ghost\n    version: 1.0.0\n"
                 "    repository: https://charts.example.com\n  - name: gone\n"
                 "    version: 2.0.0\n")
    write_files(repo / "web", {
        "requirements.yaml": "dependencies:\n  - name: child\n    version: 0.1.0\n",
        "charts/child/Chart.yaml": "apiVersion: v2\nname: child\nversion: 0.1.0\n",
        "charts/child/templates/cm.yaml":
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\n"})
    listed = subprocess.run([str(helm_bin), "dependency", "list", str(repo / "web")],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    assert [line.split()[:3] for line in listed[1:] if line.strip()] == [
        ["child", "0.1.0", "https://charts.example.com"]]
    assert declared(repo / "web", repo) == (Dependency(
        "child", "https://charts.example.com", "web/requirements.yaml", 2, None, "0.1.0"),)
    model, report = load_and_check(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted(r.name for rendered in model.rendered
                  for r in rendered.resources) == ["child", "web"]


def test_a_dependency_name_yaml_reads_as_a_boolean_is_built_as_helm_reads_it(
        helm_bin: Path, tmp_path: Path) -> None:
    """``name: on`` is the boolean true to YAML 1.1, which Helm reads into the string field
    as "true": Argo CD's ``helm dependency build`` packs ``../on`` (named on, so "true" too)
    as that dependency, and the chart renders it."""
    repo = _repo(tmp_path, "apiVersion: v2\nname: web\nversion: 0.1.0\ndependencies:\n"
                 "  - name: on\n    version: 0.1.0\n    repository: file://../on\n")
    write_files(repo / "on", {
        "Chart.yaml": "apiVersion: v2\nname: on\nversion: 0.1.0\n",
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                             "  name: '{{ .Chart.Name }}'\n"})
    listed = subprocess.run([str(helm_bin), "dependency", "list", str(repo / "web")],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    assert [line.split()[:3] for line in listed[1:] if line.strip()] == [
        ["true", "0.1.0", "file://../on"]]
    assert declared(repo / "web", repo) == (Dependency(
        "true", "file://../on", "web/Chart.yaml", 5, None, "0.1.0"),)
    model, report = load_and_check(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert report.errors == ()
    assert sorted(r.name for rendered in model.rendered
                  for r in rendered.resources) == ["true", "web"]
    assert "undeployed-chart" not in {f.policy for f in report.findings}


def test_a_chart_whose_name_yaml_reads_as_a_boolean_renders_as_helm_renders_it(
        helm_bin: Path, tmp_path: Path) -> None:
    """A deployed chart's own ``name: on`` is "true" to Helm, which renders it: it is no
    chart without a name (a could-not-check error), and ``.Chart.Name`` is "true"."""
    repo = _repo(tmp_path, "apiVersion: v2\nname: on\nversion: 0.1.0\n")
    (repo / "web" / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: '{{ .Chart.Name }}'\n")
    model, report = load_and_check(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert report.errors == ()
    assert [r.name for rendered in model.rendered for r in rendered.resources] == ["true"]
