"""Kubernetes quantities outside containers are checked by the schema (k8s-schema); container
requests and limits are left to resource-ranges, so each bad value is reported once."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from platecheck import schema_problems, schemas
from platecheck.engine import lint
from platecheck.model import Level
from synthetic import application, repository

NOT_A_QUANTITY = "is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 50Gi, 50G)"


def pvc(size: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
    }


def limit_range(memory: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "limits"},
        "spec": {"limits": [{"type": "Container", "default": {"memory": memory, "cpu": "1"}}]},
    }


def quota(cpu: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "quota"},
        "spec": {"hard": {"requests.cpu": cpu, "pods": "10"}},
    }


def deployment(memory: Any, *, size_limit: Any = "1Gi", init: bool = False) -> dict[str, Any]:
    container = {"name": "web", "image": "nginx:1.27.0",
                 "resources": {"limits": {"memory": memory}, "requests": {"memory": memory}}}
    pod: dict[str, Any] = {
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": size_limit}}],
    }
    if init:
        pod["initContainers"] = [dict(container, name="init")]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod},
        },
    }


def texts(doc: dict[str, Any], version: str = "1.31.0") -> list[str]:
    validator = schemas.kubernetes_validator(version, doc["apiVersion"], doc["kind"])
    assert validator is not None
    return [p.text for p in schema_problems.problems(validator, doc)]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (pvc("50GB"), [f'spec.resources.requests.storage: "50GB" {NOT_A_QUANTITY}']),
        (limit_range("1 Gi"), [f'spec.limits[0].default.memory: "1 Gi" {NOT_A_QUANTITY}']),
        (quota("two"), [f'spec.hard["requests.cpu"]: "two" {NOT_A_QUANTITY}']),
        (
            deployment("512Mi", size_limit="1GB"),
            [f'spec.template.spec.volumes[0].emptyDir.sizeLimit: "1GB" {NOT_A_QUANTITY}'],
        ),
    ],
    ids=["pvc", "limitrange", "resourcequota", "emptydir"],
)
def test_strings_that_are_not_quantities_are_schema_problems(
    doc: dict[str, Any], expected: list[str]
) -> None:
    assert texts(doc) == expected


@pytest.mark.parametrize(
    "doc",
    [pvc("50Gi"), pvc(50), pvc("1e3"), pvc(None), limit_range("512Mi"), quota("500m"),
     quota(2.5), deployment("512Mi")],
    ids=["pvc-Gi", "pvc-int", "pvc-exponent", "pvc-null", "limitrange", "quota-milli",
         "quota-float", "deployment"],
)
def test_quantities_pass(doc: dict[str, Any]) -> None:
    assert texts(doc) == []


def test_container_requests_and_limits_are_left_to_resource_ranges() -> None:
    assert texts(deployment("2GB", init=True)) == []


def test_a_claim_before_kubernetes_1_29_is_checked_too() -> None:
    # PersistentVolumeClaim used ResourceRequirements (the containers' type) until 1.29
    assert texts(pvc("50GB"), "1.28.0") == [
        f'spec.resources.requests.storage: "50GB" {NOT_A_QUANTITY}'
    ]
    assert texts(deployment("2GB"), "1.28.0") == []


CONTENT = ("helm", "environments", "policies")
CACHE_PROD = "helm/applications/plate-cache/values-prod.yaml"
WEB_PROD = "helm/applications/plate-web/values-prod.yaml"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("render-cache")


def _mutated(repo_root: Path, where: Path, file: str, old: str, new: str) -> Path:
    for name in CONTENT:
        shutil.copytree(repo_root / name, where / name, symlinks=True)
    path = where / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return where


def test_pvc_size_50GB_in_this_repository_is_one_finding(
    repo_root: Path, helm_bin: Path, cache: Path, tmp_path: Path
) -> None:
    root = _mutated(repo_root, tmp_path, CACHE_PROD, "size: 50Gi", "size: 50GB")
    report = lint(root / "environments", helm=helm_bin, cache_dir=cache)
    errors = [f for f in report.findings if f.level is Level.ERROR]
    assert [(f.policy, f.target, f.message) for f in errors] == [
        (
            "k8s-schema",
            "prod/plate-cache",
            "PersistentVolumeClaim/plate-cache: spec.resources.requests.storage: "
            f'"50GB" {NOT_A_QUANTITY}',
        )
    ]
    assert report.exit_code == 1


def test_container_memory_2GB_is_reported_once_by_resource_ranges(
    repo_root: Path, helm_bin: Path, cache: Path, tmp_path: Path
) -> None:
    root = _mutated(repo_root, tmp_path, WEB_PROD, "    memory: 512Mi\n", "    memory: 2GB\n")
    report = lint(root / "environments", helm=helm_bin, cache_dir=cache)
    errors = [f for f in report.findings if f.level is Level.ERROR]
    assert [(f.policy, f.target) for f in errors] == [("resource-ranges", "prod/plate-web")]
    assert '"2GB" is not a Kubernetes quantity' in errors[0].message


def sized(replicas: Any, grace: Any = 30) -> dict[str, Any]:
    doc = deployment("512Mi")
    doc["spec"]["replicas"] = replicas
    doc["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = grace
    return doc


@pytest.mark.parametrize(("doc", "expected"), [
    (sized(2**31 - 1, 2**63 - 1), []),
    (sized(-(2**31), 1e6), []),  # helm prints a million as 1e+06: a whole number still
    (sized(2**31), ["spec.replicas: 2147483648 does not fit an int32; the API server "
                    "refuses it"]),
    (sized(3e9), ["spec.replicas: 3000000000 does not fit an int32; the API server "
                  "refuses it"]),
    (sized(1, 1.2345678901234567e19), [
        "spec.template.spec.terminationGracePeriodSeconds: 12345678901234567168 does not fit "
        "an int64; the API server refuses it"]),
], ids=["largest", "smallest", "int32-over", "exponent-over", "int64-over"])
def test_an_integer_a_built_in_kind_cannot_hold_is_a_schema_problem(
        doc: dict[str, Any], expected: list[str]) -> None:
    """The API server decodes a built-in kind into Go integers of the schema's format
    (``int32``, ``int64``): a number that does not fit cannot be applied."""
    assert texts(doc) == expected


NOT_BASE64 = ("not base64 (the standard alphabet, padded with '='); the API server cannot "
              "decode it into bytes and refuses it")


def secret(value: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
            "data": {"password": value}}


@pytest.mark.parametrize(("value", "valid"), [
    ("czNjcjN0IQ==", True), ("YWI=", True), ("YWJj", True), ("", True), (None, True),
    ("YWJj\nZGVm\r\n", True),  # Go skips "\r" and "\n" anywhere
    ("YW\nI=", True), ("YR==", True),  # bits left over are not checked
    ("s3cr3t!", False), ("admin", False), ("YWI", False),  # unpadded
    ("YQ==YQ==", False), ("YWJj ZGVm", False), ("YWJj\tZGVm", False),
    ("YWJj-_Rm", False),  # the URL alphabet
    ("Y===", False), ("=", False),
])
def test_a_byte_field_must_be_what_go_decodes_as_base64(value: Any, valid: bool) -> None:
    """A Secret's data is a Go []byte: encoding/json decodes it with base64.StdEncoding
    and the API server refuses a value it cannot decode."""
    assert texts(secret(value)) == ([] if valid else [f"data.password: {NOT_BASE64}"])


def test_plain_text_in_secret_data_is_a_finding_at_its_line(tmp_path: Path, helm_bin: Path
                                                            ) -> None:
    """A rendered Secret's data and a ConfigMap's binaryData that are not base64 (plain text
    where stringData was meant) are findings; b64enc's output passes."""
    repo = repository(tmp_path, {
        "apps/web.yaml": application("web", "chart", "web"),
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "chart/values.yaml": "password: s3cr3t!\n",
        "chart/templates/secret.yaml": (
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n"
            "  user: {{ \"admin\" | b64enc }}\n  password: {{ .Values.password | quote }}\n"
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: blob\nbinaryData:\n"
            "  key.bin: not-base64\n")})
    report = lint(repo, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.policy, f.file, f.line, f.message) for f in report.findings
            if f.level is Level.ERROR] == [
        ("k8s-schema", "chart/templates/secret.yaml", 7,
         f"Secret/db: data.password: {NOT_BASE64}"),
        ("k8s-schema", "chart/templates/secret.yaml", 14,
         f'ConfigMap/blob: binaryData["key.bin"]: {NOT_BASE64}')]
