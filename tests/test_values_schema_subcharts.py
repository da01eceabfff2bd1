"""A chart's values.schema.json is validated against the values helm validates: the user's
values coalesced with the chart's values.yaml and with every enabled subchart's defaults
under its key, globals copied into each, import-values imported (Helm's ToRenderValues). Each
case is held against the real ``helm template``, Helm 3 and Helm 4: platecheck refuses the
values exactly when helm does, at the line that set the failing value."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from platecheck.engine import lint, load
from platecheck.render import split_values

CHILD_VALUES = "image:\n  repository: nginx\n  tag: \"1.25.0\"\nexported:\n  color: blue\n"
STRING = {"type": "string"}

# (name, dependency fields, parent values.yaml, prod values, child values.yaml, schema,
#  where platecheck reports it or None)
CASES = [
    ("a subchart's defaults meet required", "", "{}\n", "child:\n  replicas: 2\n",
     CHILD_VALUES, {"properties": {"child": {"required": ["image"]}}}, None),
    ("a subchart's default of the wrong type", "", "{}\n", "child:\n  replicas: 2\n",
     "image:\n  repository: nginx\n  tag: 1.25\n",
     {"properties": {"child": {"properties": {"image": {"properties": {"tag": STRING}}}}}},
     ("c/charts/child/values.yaml", 3)),
    ("the subchart's key is not allowed", "", "{}\n", "{}\n", CHILD_VALUES,
     {"additionalProperties": False, "properties": {"x": STRING}},
     ("c/values.schema.json", None)),
    ("import-values meet required", "    import-values:\n      - child: exported\n"
     "        parent: fromchild\n", "{}\n", "{}\n", CHILD_VALUES,
     {"required": ["fromchild"]}, None),
    ("a parent's global reaches the subchart", "", "global:\n  region: 1\n", "{}\n",
     CHILD_VALUES, {"properties": {"child": {"properties": {"global": {"properties": {
         "region": STRING}}}}}}, ("c/values.yaml", 2)),
    ("a disabled subchart adds no defaults", "    condition: child.enabled\n",
     "child:\n  enabled: false\n", "{}\n", CHILD_VALUES,
     {"properties": {"child": {"additionalProperties": False,
                               "properties": {"enabled": {"type": "boolean"}}}}}, None),
    ("an enabled subchart adds its defaults", "    condition: child.enabled\n",
     "child:\n  enabled: true\n", "{}\n", CHILD_VALUES,
     {"properties": {"child": {"additionalProperties": False,
                               "properties": {"enabled": {"type": "boolean"}}}}},
     ("c/values.yaml", 1)),
    ("an alias holds the subchart's defaults", "    alias: web\n", "{}\n", "{}\n",
     "image:\n  tag: 7\n", {"properties": {"web": {"properties": {"image": {
         "properties": {"tag": STRING}}}}}}, ("c/charts/child/values.yaml", 2)),
]


def _charts(tmp_path: Path, dependency: str, values: str, prod: str, child_values: str,
            schema: dict[str, object]) -> Path:
    """A chart ``c`` vendoring the subchart ``child`` in a repository."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True, exist_ok=True)
    chart = root / "c"
    child = chart / "charts" / "child"
    for directory in (chart, child):
        (directory / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n"
                                      "dependencies:\n  - name: child\n    version: 1.0.0\n"
                                      + dependency)
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    (chart / "values.yaml").write_text(values)
    (chart / "values-prod.yaml").write_text(prod)
    (chart / "values.schema.json").write_text(json.dumps({"type": "object", **schema}))
    (child / "Chart.yaml").write_text("apiVersion: v2\nname: child\nversion: 1.0.0\n")
    (child / "values.yaml").write_text(child_values)
    return chart


@pytest.mark.parametrize(("name", "dependency", "values", "prod", "child_values", "schema",
                          "where"), CASES, ids=[case[0] for case in CASES])
def test_the_schema_sees_what_helm_validates(
        each_helm: Path, tmp_path: Path, name: str, dependency: str, values: str, prod: str,
        child_values: str, schema: dict[str, object], where: tuple[str, int | None] | None
) -> None:
    chart = _charts(tmp_path, dependency, values, prod, child_values, schema)
    by_helm = subprocess.run([str(each_helm), "template", str(chart), "-f",
                              str(chart / "values-prod.yaml")], capture_output=True, text=True,
                             check=False)
    report = lint(chart, helm=each_helm, environments=["prod"], cache_dir=tmp_path / "cache")
    found = [(e.file, e.line) for e in report.errors]
    assert (by_helm.returncode != 0) == bool(found), (by_helm.stderr, report.errors)
    assert found == ([where] if where else [])
    assert all(e.message.startswith("values do not meet the chart's values.schema.json")
               for e in report.errors)


@pytest.mark.parametrize("packed", [False, True], ids=["directory", "archive"])
def test_a_template_that_changes_the_values_does_not_change_what_is_validated(
        each_helm: Path, tmp_path: Path, packed: bool) -> None:
    """helm validates before any template runs; a template that sets a value does so after:
    the values platecheck validates are taken before every template of the chart and its
    subcharts (which render first, deepest first, and share their values with it), a
    subchart in a chart archive too."""
    chart = _charts(tmp_path, "", "{}\n", "{}\n", CHILD_VALUES,
                    {"properties": {"late": {"type": "string"}, "child": {
                        "properties": {"late": {"type": "string"}}}}})
    (chart / "templates" / "set.yaml").write_text('{{- $_ := set .Values "late" 1 }}\n')
    child = chart / "charts" / "child"
    (child / "templates" / "a" / "b" / "c").mkdir(parents=True)
    (child / "templates" / "a" / "b" / "c" / "set.yaml").write_text(
        '{{- $_ := set .Values "late" 2 }}\n')
    if packed:
        with tarfile.open(chart / "charts" / "child-1.0.0.tgz", "w:gz") as archive:
            archive.add(child, arcname="child")
        shutil.rmtree(child)
    by_helm = subprocess.run([str(each_helm), "template", str(chart)], capture_output=True,
                             check=False)
    assert by_helm.returncode == 0
    model = load(chart, helm=each_helm, environments=["prod"], cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert model.rendered and all("platecheck-values" not in rendered.manifest
                                  for rendered in model.rendered)


def test_the_values_document_is_taken_out_of_the_output() -> None:
    output = ("---\n# Source: c/templates/cm.yaml\nkind: ConfigMap\n"
              "---\n# Source: c/templates/v/v/platecheck-values.yaml\n"
              '# platecheck-values: {"a":[1,null]}\n'
              "---\n# Source: c/templates/hook.yaml\nkind: Job\n")
    manifest, values = split_values(output)
    assert values == {"a": [1, None]}
    assert manifest == ("---\n# Source: c/templates/cm.yaml\nkind: ConfigMap\n"
                        "---\n# Source: c/templates/hook.yaml\nkind: Job\n")
    assert split_values("---\nkind: ConfigMap\n") == ("---\nkind: ConfigMap\n", None)
    subchart = ("---\n# Source: c/charts/lib/templates/v/platecheck-values.yaml\n"
                '# platecheck-values: {"b":2}\n')
    assert split_values(subchart + output) == split_values(output)
    assert split_values(output + subchart) == split_values(output)


@pytest.mark.parametrize(("prod", "child_values", "where"), [
    ("child:\n  image:\n    tag: 7\n", CHILD_VALUES, ("c/values-prod.yaml", 3)),
    ("{}\n", "image:\n  tag: 7\n", ("c/charts/child/values.yaml", 2)),
])
def test_a_subcharts_schema_refusal_is_at_the_value_it_refuses(
        each_helm: Path, tmp_path: Path, prod: str, child_values: str,
        where: tuple[str, int]) -> None:
    """helm validates a subchart against its own schema and names the value it refuses:
    that is where the error is, the user's line or the subchart's default."""
    chart = _charts(tmp_path, "", "{}\n", prod, child_values, {})
    (chart / "charts" / "child" / "values.schema.json").write_text(json.dumps(
        {"properties": {"image": {"properties": {"tag": STRING}}}}))
    report = lint(chart, helm=each_helm, environments=["prod"], cache_dir=tmp_path / "cache")
    assert [(e.file, e.line) for e in report.errors] == [where]
    assert "helm template failed" in report.errors[0].message


def test_a_chart_that_is_also_another_ones_dependency_reports_only_its_own_values(
        each_helm: Path, tmp_path: Path) -> None:
    """A chart checked on its own and as a ``file://`` dependency of another: the second is
    validated against its own values, not the dependency's, whichever renders first."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for name, values, schema, extra in (
            ("a", "color: blue\n", {"required": ["color"]}, ""),
            ("b", "size: 3\n", {"required": ["size"], "properties": {"size": {
                "type": "integer"}}},
             "dependencies:\n  - name: a\n    version: 0.1.0\n    repository: file://../a\n")):
        chart = root / name
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
                                          + extra)
        (chart / "templates" / "cm.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n")
        (chart / "values.yaml").write_text(values)
        (chart / "values-prod.yaml").write_text("{}\n")
        (chart / "values.schema.json").write_text(json.dumps({"type": "object", **schema}))
    # each given (chart mode lints a file:// dependency found on its own only with its parent)
    model = load([root / "a", root / "b"], helm=each_helm, environments=["prod"], jobs=1,
                 cache_dir=tmp_path / "cache", root=root)
    assert model.errors == ()
    assert sorted(rendered.target.id for rendered in model.rendered) == ["prod/a", "prod/b"]


def _parent_and_child(root: Path, vendored: bool) -> tuple[Path, Path]:
    """A chart ``c`` whose values.yaml sets ``child.replicas: two`` and its subchart
    ``child`` with a schema wanting an integer: vendored in ``c/charts/``, or a ``file://``
    dependency beside it, not vendored."""
    (root / ".git").mkdir(parents=True)
    parent = root / "c"
    child = parent / "charts" / "child" if vendored else root / "child"
    repository = "" if vendored else "    repository: file://../child\n"
    for chart, name, extra, values in (
            (parent, "c", "dependencies:\n  - name: child\n    version: 0.1.0\n" + repository,
             "child:\n  replicas: two\n"),
            (child, "child", "", "replicas: 1\n")):
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
                                          + extra)
        (chart / "templates" / "cm.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n")
        (chart / "values.yaml").write_text(values)
        (chart / "values-prod.yaml").write_text("{}\n")
    (child / "values.schema.json").write_text(json.dumps(
        {"properties": {"replicas": {"type": "integer"}}}))
    return parent, child


def test_a_file_dependencys_schema_is_validated_by_the_build_it_is_packed_by(
        each_helm: Path, tmp_path: Path) -> None:
    """A ``file://`` dependency that is not vendored is packed by helm dependency build with
    its values.schema.json, as for Argo CD, and helm refuses the parent's values against it."""
    parent, _ = _parent_and_child(tmp_path / "repo", vendored=False)
    report = lint(parent, helm=each_helm, environments=["prod"], cache_dir=tmp_path / "cache")
    assert [(e.policy, e.file, e.line) for e in report.errors] == [
        ("could-not-check", "c/values.yaml", 2)]
    assert report.errors[0].message.startswith(
        "helm template failed: values don't meet the specifications of the schema(s) in the "
        "following chart(s): child: - ")


def test_a_subchart_rendered_on_its_own_too_keeps_its_schema_in_the_parents_render(
        each_helm: Path, tmp_path: Path) -> None:
    """A vendored subchart directory that is a target of its own: its own render leaves its
    schema to platecheck, and the parent's render still has it, for helm to validate."""
    root = tmp_path / "repo"
    parent, child = _parent_and_child(root, vendored=True)
    model = load([child, parent], helm=each_helm, environments=["prod"], jobs=1,
                 cache_dir=tmp_path / "cache", root=root)
    assert [(e.file, e.line) for e in model.errors] == [("c/values.yaml", 2)]
    assert model.errors[0].message.startswith(
        "helm template failed: values don't meet the specifications of the schema(s) in the "
        "following chart(s): child: - ")
