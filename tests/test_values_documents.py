"""A values file of several YAML documents is read as the helm that renders it reads it:
Helm 3 the first document, Helm 4 all of them merged in order. Held against the real
``helm template`` of both majors: the values platecheck checks are those the templates saw,
each key at the line of the document that wrote it."""

from __future__ import annotations

import json
from pathlib import Path

from platecheck.engine import load
from platecheck.helmbin import helm_major

PROD = "a: one\nc:\n  x: 1\n  z: [1, 2]\n---\nb: two\nc:\n  w: 2\n  z: [3]\n---\n"


def test_several_documents_are_read_as_each_helm_reads_them(each_helm: Path,
                                                           tmp_path: Path) -> None:
    root = tmp_path / "repo"
    chart = root / "c"
    (chart / "templates").mkdir(parents=True)
    (root / ".git").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("d: 4\n")
    (chart / "values-prod.yaml").write_text(PROD)
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
        "data:\n  values: {{ toJson .Values | quote }}\n")
    model = load(root, helm=each_helm, environments=["prod"], cache_dir=tmp_path / "cache")
    assert model.errors == ()
    (rendered,) = model.rendered
    (config_map,) = rendered.resources
    seen = json.loads(config_map.doc["data"]["values"])
    assert rendered.values.data == seen
    if helm_major(each_helm) >= 4:
        assert seen == {"a": "one", "b": "two", "c": {"w": 2, "x": 1, "z": [3]}, "d": 4}
        assert rendered.values.origins[("b",)].line == 6
        assert rendered.values.origins[("c", "z", 0)].line == 9
    else:
        assert seen == {"a": "one", "c": {"x": 1, "z": [1, 2]}, "d": 4}
        assert rendered.values.origins[("c", "z", 1)].line == 4


def test_inline_values_of_several_documents_are_read_so_too(each_helm: Path,
                                                            tmp_path: Path) -> None:
    """``helm.values`` reaches helm as a values file (Argo CD writes it to one)."""
    root = tmp_path / "repo"
    chart = root / "c"
    (chart / "templates").mkdir(parents=True)
    (root / ".git").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
        "data:\n  values: {{ toJson .Values | quote }}\n")
    (root / "app.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: c\n"
        "spec:\n  project: default\n  source:\n    repoURL: https://example.com/r.git\n"
        "    path: c\n    helm:\n      values: |\n        a: 1\n        ---\n"
        "        b: 2\n  destination:\n    server: https://kubernetes.default.svc\n"
        "    namespace: c\n")
    model = load(root, helm=each_helm, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    (rendered,) = model.rendered
    (config_map,) = rendered.resources
    seen = json.loads(config_map.doc["data"]["values"])
    assert rendered.values.data == seen
    assert seen == ({"a": 1, "b": 2} if helm_major(each_helm) >= 4 else {"a": 1})
