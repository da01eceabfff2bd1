"""Where the generated OpenAPI schema asks more than the API server does, k8s-schema follows the
API server: a field no validation requires is not reported missing. Where it asks less, the
API server's validation of metadata (names, labels, annotations) is k8s-schema's too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from platecheck import objectmeta, schema_problems, schemas
from platecheck.engine import lint
from synthetic import WEB_POD_SPEC, application, repository


def statefulset(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}},
                         "spec": {"containers": [{"name": "db", "image": "postgres:16.4"}]}},
            **spec,
        },
    }


def texts(doc: dict[str, Any], version: str) -> list[str]:
    validator = schemas.kubernetes_validator(version, doc["apiVersion"], doc["kind"])
    assert validator is not None
    return [p.text for p in schema_problems.problems(validator, doc)]


@pytest.mark.parametrize("version", ["1.25.0", "1.31.0", "1.32.0", "1.33.0"])
def test_a_statefulset_without_service_name_passes(version: str) -> None:
    # the 1.25-1.32 schemas list serviceName as required; the API server never did
    assert texts(statefulset(), version) == []


def test_the_statefulset_spec_keeps_its_other_required_fields() -> None:
    doc = statefulset()
    del doc["spec"]["selector"]
    assert texts(doc, "1.31.0") == ["spec: required field 'selector' is missing"]


def test_a_service_name_of_the_wrong_type_is_still_reported() -> None:
    assert texts(statefulset(serviceName=5), "1.31.0") == [
        "spec.serviceName: expected string, got integer 5"
    ]


REFUSED = "; the API server refuses it"
SUBDOMAIN = objectmeta.DNS1123_SUBDOMAIN.text
QUALIFIED = ("a qualified name (an optional DNS subdomain prefix and '/', then at most 63 "
             "characters of A-Z, a-z, 0-9, '-', '_' and '.', beginning and ending with a "
             "letter or digit)")
VALUE = ("must be at most 63 characters of A-Z, a-z, 0-9, '-', '_' and '.', beginning and "
         "ending with a letter or digit, or empty")


def test_names_labels_and_annotations_the_api_server_refuses(tmp_path: Path) -> None:
    """ValidateObjectMeta: a ConfigMap's name is a DNS-1123 subdomain, a Service's a DNS-1035
    label, a Namespace's a DNS-1123 label; label keys and annotation keys (in any case) are
    qualified names, label values at most 63 characters; a ClusterRole's name (a path
    segment) is left alone."""
    long_value = "a" * 64
    manifests = f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: My_Config
  labels:
    app.kubernetes.io/version: "2024-01-01T00:00:00Z"
    team: {long_value}
    "bad key!": x
    example.com/Fine_Key.1: ""
  annotations:
    Example.COM/Any-Case: x
    a/b/c: x
---
apiVersion: v1
kind: Service
metadata:
  name: 1-svc.example
spec:
  ports: [{{port: 80}}]
---
apiVersion: v1
kind: Namespace
metadata:
  name: team.a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: "system:aggregate-to-view-x"
---
apiVersion: v1
kind: Secret
metadata:
  name: db-0.shop
"""
    repo = repository(tmp_path, {"apps/meta.yaml": application("meta", "dir", "meta"),
                                 "dir/all.yaml": manifests})
    report = lint(repo)
    assert report.errors == ()
    assert [(f.file, f.line, f.message) for f in report.findings
            if f.policy == "k8s-schema"] == [
        ("dir/all.yaml", 4, f"ConfigMap/My_Config: metadata.name: 'My_Config' must be "
                            f"{SUBDOMAIN}{REFUSED}"),
        ("dir/all.yaml", 6, 'ConfigMap/My_Config: metadata.labels["app.kubernetes.io/version"]: '
                            f"the value '2024-01-01T00:00:00Z' {VALUE}{REFUSED}"),
        ("dir/all.yaml", 7, f"ConfigMap/My_Config: metadata.labels.team: the value "
                            f"'{long_value}' {VALUE}{REFUSED}"),
        ("dir/all.yaml", 8, 'ConfigMap/My_Config: metadata.labels["bad key!"]: the key must be '
                            f"{QUALIFIED}{REFUSED}"),
        ("dir/all.yaml", 12, 'ConfigMap/My_Config: metadata.annotations["a/b/c"]: the key must '
                             f"be {QUALIFIED}{REFUSED}"),
        ("dir/all.yaml", 17, "Service/1-svc.example: metadata.name: '1-svc.example' must be "
                             f"{objectmeta.DNS1035_LABEL.text}{REFUSED}"),
        ("dir/all.yaml", 24, "Namespace/team.a: metadata.name: 'team.a' must be "
                             f"{objectmeta.DNS1123_LABEL.text}{REFUSED}")]


def test_a_pod_template_s_labels_and_annotations_are_an_object_s(tmp_path: Path) -> None:
    """ValidatePodTemplateSpec validates a workload's pod template's labels and annotations
    as ValidateObjectMeta does an object's: a Deployment's and a CronJob's are refused."""
    manifests = WEB_POD_SPEC.replace(
        "metadata: {labels: {app: web}}",
        "metadata:\n      labels: {app: web, team: 개발팀}\n      annotations: {a/b/c: x}") + """\
      containers: [{name: web, image: nginx:1.27.0}]
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: job
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          labels: {"bad key!": x}
        spec:
          restartPolicy: Never
          containers: [{name: job, image: busybox:1.36}]
"""
    repo = repository(tmp_path, {"apps/meta.yaml": application("meta", "dir", "meta"),
                                 "dir/all.yaml": manifests})
    report = lint(repo)
    assert [(f.line, f.message) for f in report.findings if f.policy == "k8s-schema"] == [
        (9, f"Deployment/web: spec.template.metadata.labels.team: the value '개발팀' "
            f"{VALUE}{REFUSED}"),
        (10, 'Deployment/web: spec.template.metadata.annotations["a/b/c"]: the key must be '
             f"{QUALIFIED}{REFUSED}"),
        (24, 'CronJob/job: spec.jobTemplate.spec.template.metadata.labels["bad key!"]: the key '
             f"must be {QUALIFIED}{REFUSED}")]


@pytest.mark.parametrize(("key", "valid"), [
    ("app", True), ("a", True), ("example.com/app", True), ("A_b.C-9", True),
    ("x" * 63, True), ("x" * 64, False), (f"{'a' * 253}/b", True), (f"{'a' * 254}/b", False),
    ("/app", False), ("example.com/", False), ("Example.com/app", False), ("-app", False),
    ("app_", False), ("a/b/c", False), ("", False),
])
def test_a_qualified_name_is_what_is_qualified_name_takes(key: str, valid: bool) -> None:
    assert objectmeta.is_qualified_name(key) is valid


@pytest.mark.parametrize(("value", "valid"), [
    ("", True), ("v1.2.3", True), ("a" * 63, True), ("a" * 64, False), ("1.0+build", False),
    ("-x", False), ("x.", False),
])
def test_a_label_value_is_what_is_valid_label_value_takes(value: str, valid: bool) -> None:
    assert objectmeta.is_label_value(value) is valid


def test_what_the_api_server_refuses_of_configmaps_secrets_and_ingress_hosts(
        tmp_path: Path, helm_bin: Path) -> None:
    """Beyond their schemas: a data key with a '/', a key in data and binaryData, a Secret
    of more than 1 MiB (its base64 decoded, a stringData key over a data one), an Ingress
    host with an upper-case letter, a wildcard not first, an IP address; a valid key, a
    wildcard host and 1 MiB of a ConfigMap pass."""
    import base64

    big = base64.b64encode(b"x" * (1024 * 1024)).decode()
    files = {
        "apps/web.yaml": application("web-prod", "web", "web-prod"),
        "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "web/templates/cm.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n"
            "  conf/app.yaml: a\n  ok_key.txt: b\n  both: c\nbinaryData:\n  both: ZA==\n"),
        "web/templates/full.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: full\ndata:\n"
            f"  a: {'x' * (1024 * 1024)}\n"),
        "web/templates/secret.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n"
            f"  a: {big}\nstringData:\n  b: x\n"),
        "web/templates/ingress.yaml": (
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: i\nspec:\n"
            "  tls:\n    - hosts: ['*.example.com', 'a.*.example.com']\n"
            "  rules:\n    - host: App.example.com\n    - host: 10.0.0.1\n"
            "    - host: '*.example.com'\n    - host: 010.1.1.1\n")}
    report = lint(repository(tmp_path, files), cache_dir=tmp_path / "cache", helm=helm_bin)
    found = sorted((f.location, f.message.split(": ", 1)[1].split(" ")[0:3])
                   for f in report.findings if f.policy == "k8s-schema")
    assert found == [
        ("web/templates/cm.yaml:10", ["binaryData.both:", "key", "'both'"]),
        ("web/templates/cm.yaml:6", ['data["conf/app.yaml"]:', "key", "'conf/app.yaml'"]),
        ("web/templates/ingress.yaml:10", ["spec.rules[1].host:", "host", "'10.0.0.1'"]),
        ("web/templates/ingress.yaml:12", ["spec.rules[3].host:", "host", "'010.1.1.1'"]),
        ("web/templates/ingress.yaml:7", ["spec.tls[0].hosts[1]:", "host",
                                          "'a.*.example.com'"]),
        ("web/templates/ingress.yaml:9", ["spec.rules[0].host:", "host", "'App.example.com'"]),
        ("web/templates/secret.yaml:5", ["data:", "holds", "1048577"])]
