"""Helm names a vendored subchart by its alias, else by the name in its Chart.yaml, whatever
its directory is called: its templates and its schema's refusals are placed through those
names, at the repository's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint
from synthetic import application, write_files

pytestmark = pytest.mark.usefixtures("helm_bin")

POD = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\n"
       "spec:\n  containers:\n    - name: c\n      image: nginx:latest\n"
       "      imagePullPolicy: IfNotPresent\n")


def _repo(tmp_path: Path, folder: str, alias: str | None, files: dict[str, str]) -> Path:
    dependency = "dependencies:\n  - name: child\n    version: 0.2.0\n" + (
        f"    alias: {alias}\n" if alias else "")
    return write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web-prod", "chart", "web-prod"),
        "chart/Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\n" + dependency,
        f"chart/charts/{folder}/Chart.yaml": "apiVersion: v2\nname: child\nversion: 0.2.0\n",
        **{f"chart/charts/{folder}/{name}": text for name, text in files.items()}})


@pytest.mark.parametrize(("folder", "alias"), [("child", "kid"), ("child-0.2.0", None),
                                               ("child", None)])
def test_a_vendored_subchart_template_is_found_by_the_name_helm_gives_it(
        tmp_path: Path, folder: str, alias: str | None) -> None:
    """The floating tag a subchart's template writes is at that template's line, with an
    alias or a directory named otherwise than the chart too (it was at the dependency's
    entry, or at an unrelated values key)."""
    repo = _repo(tmp_path, folder, alias, {"templates/pod.yaml": POD,
                                           "values.yaml": "other: latest\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.location for f in report.findings if f.policy == "image-tag-pinned"] == [
        f"chart/charts/{folder}/templates/pod.yaml:8"]


def test_a_template_error_of_an_aliased_subchart_is_at_its_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "child", "kid", {
        "templates/pod.yaml": POD.replace("nginx:latest", "{{ required \"needed\" .Values.x }}")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [e.location for e in report.errors] == ["chart/charts/child/templates/pod.yaml:8"]


@pytest.mark.parametrize("nested", [False, True])
def test_a_schema_refusal_of_an_aliased_or_nested_subchart_is_at_the_values_line(
        tmp_path: Path, nested: bool) -> None:
    """helm names an aliased subchart by its alias and a grandchild by its own name in a
    schema refusal: the value is found under the keys those names stand for."""
    schema = '{"properties": {"replicas": {"type": "integer", "maximum": 3}}}'
    if nested:
        repo = _repo(tmp_path, "child", None, {
            "Chart.yaml": "apiVersion: v2\nname: child\nversion: 0.2.0\ndependencies:\n"
                          "  - name: gc\n    version: 0.1.0\n",
            "charts/gc/Chart.yaml": "apiVersion: v2\nname: gc\nversion: 0.1.0\n",
            "charts/gc/values.schema.json": schema})
        values = "child:\n  gc:\n    replicas: 9\n"
    else:
        repo = _repo(tmp_path, "child", "kid", {"values.schema.json": schema})
        values = "kid:\n  replicas: 9\n"
    (repo / "chart" / "values.yaml").write_text(values)
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [e.location for e in report.errors] == [
        f"chart/values.yaml:{3 if nested else 2}"]


def test_of_two_vendored_versions_the_one_the_alias_asks_for_is_its_template(
        tmp_path: Path) -> None:
    """Two aliases of one chart at two versions, each vendored: helm renders each alias from
    the copy of the version its dependency asks for, so a template's finding is at that
    copy's file (it was at the first copy's, the other version)."""
    repo = _repo(tmp_path, "child-0.2.0", None, {"templates/pod.yaml": POD})
    (repo / "chart" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n"
        "  - name: child\n    version: 0.1.0\n    alias: old\n"
        "  - name: child\n    version: 0.2.0\n    alias: new\n")
    write_files(repo / "chart" / "charts" / "child-0.1.0", {
        "Chart.yaml": "apiVersion: v2\nname: child\nversion: 0.1.0\n",
        "templates/pod.yaml": POD.replace("nginx:latest", "nginx:1.0").replace(
            "{{ .Chart.Name }}", "{{ .Chart.Name }}-old")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.location, f.resource) for f in report.findings
            if f.policy == "image-tag-pinned"] == [
        ("chart/charts/child-0.2.0/templates/pod.yaml:8", "Pod/web-prod-new[c]")]
