"""A values file of several YAML documents is read as the helm that renders it reads it:
Helm 3 the first document, Helm 4 all of them merged in order. Held against the real
``helm template`` of both majors: the values platecheck checks are those the templates saw,
each key at the line of the document that wrote it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from platecheck.engine import load
from platecheck.helmbin import helm_major
from synthetic import CHART_C, repository

# a template that shows the values it renders with
SHOW_VALUES = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
               "data:\n  values: {{ toJson .Values | quote }}\n")


def _chart(tmp_path: Path, files: dict[str, str]) -> Path:
    """A repository of chart ``c``, whose ConfigMap shows its values, and ``files``."""
    return repository(tmp_path, {"c/Chart.yaml": CHART_C, "c/templates/cm.yaml": SHOW_VALUES,
                                 **files})


PROD = "a: one\nc:\n  x: 1\n  z: [1, 2]\n---\nb: two\nc:\n  w: 2\n  z: [3]\n---\n"


def test_several_documents_are_read_as_each_helm_reads_them(each_helm: Path,
                                                           tmp_path: Path) -> None:
    root = _chart(tmp_path, {"c/values.yaml": "d: 4\n", "c/values-prod.yaml": PROD})
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
    root = _chart(tmp_path, {"app.yaml":
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: c\n"
        "spec:\n  project: default\n  source:\n    repoURL: https://example.com/r.git\n"
        "    path: c\n    helm:\n      values: |\n        a: 1\n        ---\n"
        "        b: 2\n  destination:\n    server: https://kubernetes.default.svc\n"
        "    namespace: c\n"})
    model = load(root, helm=each_helm, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    (rendered,) = model.rendered
    (config_map,) = rendered.resources
    seen = json.loads(config_map.doc["data"]["values"])
    assert rendered.values.data == seen
    assert seen == ({"a": 1, "b": 2} if helm_major(each_helm) >= 4 else {"a": 1})


# (values file, the line platecheck refuses it at with Helm 3, with Helm 4; None: read)
MARKED = [
    ("a: 1\n--- # a comment\nb: 2\n", None, None),
    ("a: 1\n---\nb: [\n", None, 3),  # Helm 3 never reads past the first document
    ("a: 1\n---\n- x\n", None, 3),  # each part Helm 4 reads must be a mapping
    ("a: 1\n...\n---\nb: 2\n", None, None),
    ("a: 1\n--- b: 2\n", None, 2),  # Helm 4: only a comment may follow ---
    ("a: 1\n----\nb: 2\n", 3, 2),
    ("a: 1\n---\n%YAML 1.1\n---\nb: 2\n", None, 3),  # a directive alone in its part
    ("%YAML 1.1\n---\na: 1\n", None, 1),
    ("a: &x 1\n---\nb: *x\n", None, 3),  # an anchor stays in its part
    ("a: 1\n...\nb: 2\n", None, None),  # one part: its first document
    ("a: 1\n---\n# a comment\n---\nnull\n---\nb: 2\n", None, None),
    ("a: |\n  x\n---\t# a tab\r\nb: 2\r\n", None, None),
    ("%YAML 1.2\n---\na: 1\n", 1, 1),  # Go's YAML reads version 1.1 alone
    ("a: 1\n...\n%YAML 1.2\n---\nb: 2\n", None, None),  # the directive of a document unread
    ("---\n", None, None),  # no document at all (Helm 4's run stopped: an IndexError)
    ("---\n---\n", None, None),
    ("--- # a comment\n", None, None),
]


@pytest.mark.parametrize(("text", "helm3", "helm4"), MARKED)
def test_document_markers_are_read_as_each_helm_reads_them(
        each_helm: Path, tmp_path: Path, text: str, helm3: int | None, helm4: int | None
        ) -> None:
    """Helm 3 reads the first document of the stream and nothing after it; Helm 4 splits
    the text at each line that starts with ``---`` (apimachinery's YAMLReader) and merges
    the first document of each part. What helm reads, platecheck reads; what helm refuses,
    platecheck refuses at the line to edit. The real helm says which."""
    root = _chart(tmp_path, {"c/values-prod.yaml": text})
    chart = root / "c"
    model = load(root, helm=each_helm, environments=["prod"], cache_dir=tmp_path / "cache")
    by_hand = subprocess.run([str(each_helm), "template", str(chart), "-f",
                              str(chart / "values-prod.yaml")], capture_output=True, check=False)
    refused_at = helm4 if helm_major(each_helm) >= 4 else helm3
    assert (by_hand.returncode != 0) == (refused_at is not None)
    if refused_at is not None:
        assert [(e.file, e.line) for e in model.errors] == [("c/values-prod.yaml", refused_at)]
        return
    assert model.errors == ()
    (rendered,) = model.rendered
    (config_map,) = rendered.resources
    assert rendered.values.data == json.loads(config_map.doc["data"]["values"])


def test_a_values_file_helm_refuses_stops_its_environment_alone(helm_bin: Path,
                                                               tmp_path: Path) -> None:
    """A chart linted on its own: the environment whose values file cannot be read is a
    could-not-check error of its target; the others are rendered and checked."""
    root = _chart(tmp_path, {"c/values-prod.yaml": "%YAML 1.2\n---\na: 1\n",
                             "c/values-stg.yaml": "a: 2\n"})
    model = load(root, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert [(e.file, e.line, e.target) for e in model.errors] == [
        ("c/values-prod.yaml", 1, "prod/c")]
    assert [r.id for r in model.rendered] == ["stg/c"]
