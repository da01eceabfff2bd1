"""The plate platform's GitOps content: Applications, charts and values.

Walks every Argo CD Application under environments/argocd/, checks what it points at, renders
every chart of this repository with the Application's value files through the real helm binary
(``PLATECHECK_HELM`` first, see conftest.helm_bin), and lints each chart with ``--strict``.
Each chart is rendered and linted once per session.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from content_helpers import (
    APP_OF_APPS,
    APPS_DIR,
    COMMON_VALUES,
    REPO_ROOT,
    REPO_URL,
    RenderTarget,
    is_local,
    load_applications,
    parse_quantity,
    render_targets,
    resolve_value_file,
    yaml_problems,
)

APPS = load_applications()
APPS_BY_NAME = {app.name: app for app in APPS}
TARGETS = render_targets(APPS)
TARGETS_BY_ID = {t.app: t for t in TARGETS}
ENV_TARGETS = [t.app for t in TARGETS if t.env]
PROD_TARGETS = [t.app for t in TARGETS if t.env == "prod"]
APPLICATION_CHARTS = sorted(
    p.parent for p in (REPO_ROOT / "helm" / "applications").glob("*/Chart.yaml")
)
# Charts deployed to both environments (plate-llm runs in staging only).
ENV_CHARTS = sorted(
    {t.chart for t in TARGETS if t.env == "stg"} & {t.chart for t in TARGETS if t.env == "prod"}
)

# The seeds' dependency order; cluster services and development tools come before all of it.
WAVE_ORDER = ["plate-cache", "plate-api", "plate-llm", "plate-web", "ingress"]
RETRY_LIMIT = {"stg": 5, "prod": 3}
BACKOFF = {"duration": "5s", "factor": 2, "maxDuration": "3m"}
FLOATING_TAGS = {"", "latest"}
POD_SPEC_PATHS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
HELM_TIMEOUT = 120


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=HELM_TIMEOUT, check=False, cwd=REPO_ROOT
    )


def _template(helm: str, target: RenderTarget, *extra: Path) -> subprocess.CompletedProcess[str]:
    args = [helm, "template", target.release, str(target.chart), "--namespace", target.namespace]
    for values in (*target.value_files, *extra):
        args += ["-f", str(values)]
    return _run(args)


def _lint(helm: str, target: RenderTarget) -> subprocess.CompletedProcess[str]:
    args = [helm, "lint", "--strict", str(target.chart), "--namespace", target.namespace]
    for values in target.value_files:
        args += ["-f", str(values)]
    return _run(args)


@pytest.fixture(scope="session")
def helm(helm_bin: Path) -> str:
    """The real helm binary (``PLATECHECK_HELM`` first; see conftest.helm_bin)."""
    return str(helm_bin)


@pytest.fixture(scope="session")
def renders(helm: str) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every target rendered once, two at a time: Application name -> helm's result."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda t: _template(helm, t), TARGETS)
        return dict(zip(TARGETS_BY_ID, results, strict=True))


@pytest.fixture(scope="session")
def rendered(
    renders: dict[str, subprocess.CompletedProcess[str]],
) -> dict[str, list[dict[str, Any]]]:
    """Parsed documents of every target that rendered; failures are reported per target."""
    return {
        name: [doc for doc in yaml.safe_load_all(result.stdout) if doc]
        for name, result in renders.items()
        if result.returncode == 0
    }


@pytest.fixture(scope="session")
def linted(helm: str) -> dict[str, subprocess.CompletedProcess[str]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(TARGETS_BY_ID, pool.map(lambda t: _lint(helm, t), TARGETS), strict=True))


@pytest.fixture(scope="session")
def cluster_issuers(rendered: dict[str, list[dict[str, Any]]]) -> set[str]:
    return {
        doc["metadata"]["name"]
        for docs in rendered.values()
        for doc in docs
        if doc.get("kind") == "ClusterIssuer"
    }


def _docs(rendered: dict[str, list[dict[str, Any]]], name: str) -> list[dict[str, Any]]:
    if name not in rendered:
        pytest.fail(f"{name} did not render (see test_chart_renders_to_kubernetes_objects)")
    return rendered[name]


def _dig(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        doc = (doc or {}).get(key)
    return doc


def _containers(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in docs:
        path = POD_SPEC_PATHS.get(doc.get("kind", ""))
        if path is None:
            continue
        spec = _dig(doc, path) or {}
        for field in ("initContainers", "containers"):
            for container in spec.get(field) or []:
                yield f"{doc['kind']}/{doc['metadata']['name']}[{container['name']}]", container


# --- Applications -----------------------------------------------------------------------------


def test_applications_are_found() -> None:
    names = set(APPS_BY_NAME)
    assert "cocdev-platform-apps" in names
    for app in ("plate-web", "plate-api", "plate-cache", "ingress"):
        assert {f"{app}-stg", f"{app}-prod"} <= names
    assert "plate-llm-stg" in names and "plate-llm-prod" not in names
    assert len(names) == len(APPS), "Application names must be unique"


@pytest.mark.parametrize("name", sorted(APPS_BY_NAME))
def test_application_sources_and_value_files_exist(name: str) -> None:
    app = APPS_BY_NAME[name]
    for source in app.sources:
        if is_local(source):
            assert source["targetRevision"] == "main"
            if "path" in source:
                path = (REPO_ROOT / source["path"]).resolve()
                assert path.is_dir(), f"{name}: source.path {source['path']} does not exist"
                assert path.is_relative_to(REPO_ROOT)
        else:
            assert source.get("chart"), f"{name}: a remote source must name a Helm chart"
            assert re.fullmatch(r"v?\d+\.\d+\.\d+", source["targetRevision"]), (
                f"{name}: chart {source['chart']} must be pinned to an exact version"
            )
        for value_file in (source.get("helm") or {}).get("valueFiles", []):
            path = resolve_value_file(app, source, value_file)
            assert path.is_relative_to(REPO_ROOT), f"{name}: {value_file} leaves the repository"
            assert path.is_file(), f"{name}: value file {value_file} does not exist"


@pytest.mark.parametrize("name", sorted(APPS_BY_NAME))
def test_application_metadata_and_sync_policy(name: str) -> None:
    app = APPS_BY_NAME[name]
    assert app.doc["metadata"]["namespace"] == "argocd"
    assert app.labels.get("environment") in {"staging", "production", "platform"}
    if app.env:
        assert name.endswith(f"-{app.env}")
        assert app.namespace == f"plate-{app.env}"
    else:
        assert not re.search(r"-(stg|prod)$", name)
        assert not app.namespace.startswith("plate-")
    sync = app.doc["spec"]["syncPolicy"]
    assert sync["automated"] == {"prune": True, "selfHeal": True}
    assert "CreateNamespace=true" in sync["syncOptions"]
    retry = sync["retry"]
    assert retry["limit"] == RETRY_LIMIT.get(app.env or "", 5)
    assert retry["backoff"] == BACKOFF


def test_app_of_apps_reaches_every_application() -> None:
    root = APPS_BY_NAME["cocdev-platform-apps"]
    assert root.file == APP_OF_APPS
    assert root.labels["environment"] == "platform"
    (source,) = root.sources
    assert is_local(source) and source["repoURL"] == REPO_URL
    assert source["path"] == "environments/argocd/apps"
    recurse = (source.get("directory") or {}).get("recurse", False)
    reachable = (APPS_DIR.rglob if recurse else APPS_DIR.glob)("*.yaml")
    reachable_files = {p.resolve() for p in reachable}
    for app in APPS:
        if app is not root:
            assert app.file.resolve() in reachable_files, f"{app.name} ({app.file}) is unreachable"


def test_sync_waves_follow_the_dependency_order() -> None:
    platform_waves = [
        app.wave for app in APPS if not app.env and app.name != "cocdev-platform-apps"
    ]
    for env in ("stg", "prod"):
        waves = [
            APPS_BY_NAME[f"{app}-{env}"].wave
            for app in WAVE_ORDER
            if f"{app}-{env}" in APPS_BY_NAME
        ]
        assert max(platform_waves) < waves[0]
        assert waves[:-1] == sorted(set(waves[:-1])), f"{env}: waves must strictly increase"
        assert waves[-1] >= waves[-2], f"{env}: the Ingress syncs with or after plate-web"


def test_production_ingress_ignores_annotation_differences() -> None:
    ignored = APPS_BY_NAME["ingress-prod"].doc["spec"]["ignoreDifferences"]
    assert {
        "group": "networking.k8s.io",
        "kind": "Ingress",
        "jsonPointers": ["/metadata/annotations"],
    } in ignored


@pytest.mark.parametrize("name", ENV_TARGETS)
def test_environment_applications_use_common_then_environment_values(name: str) -> None:
    target = TARGETS_BY_ID[name]
    assert target.value_files == (
        COMMON_VALUES.resolve(),
        (target.chart / f"values-{target.env}.yaml").resolve(),
    )


# --- Rendering --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TARGETS_BY_ID))
def test_chart_renders_to_kubernetes_objects(
    name: str,
    renders: dict[str, subprocess.CompletedProcess[str]],
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    result = renders[name]
    assert result.returncode == 0, f"helm template {name} failed:\n{result.stderr}"
    docs = rendered[name]
    assert docs, f"{name} renders nothing"
    for doc in docs:
        assert doc.get("apiVersion") and doc.get("kind") and doc["metadata"].get("name")


@pytest.mark.parametrize("name", sorted(TARGETS_BY_ID))
def test_every_container_sets_requests_within_limits(
    name: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    for where, container in _containers(_docs(rendered, name)):
        resources = container.get("resources") or {}
        for kind in ("cpu", "memory"):
            request = (resources.get("requests") or {}).get(kind)
            limit = (resources.get("limits") or {}).get(kind)
            assert request is not None and limit is not None, f"{name} {where}: {kind} unset"
            assert parse_quantity(request) <= parse_quantity(limit), (
                f"{name} {where}: {kind} request {request} exceeds limit {limit}"
            )


@pytest.mark.parametrize("name", PROD_TARGETS)
def test_production_pins_images_and_pulls_if_not_present(
    name: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    containers = list(_containers(_docs(rendered, name)))
    for where, container in containers:
        image = container["image"]
        name_part, _, tag = image.rpartition(":")
        assert "@" in image or ("/" not in tag and name_part and tag not in FLOATING_TAGS), (
            f"{name} {where}: image {image} has a floating or missing tag"
        )
        assert container.get("imagePullPolicy") == "IfNotPresent", f"{name} {where}"


@pytest.mark.parametrize("name", sorted(TARGETS_BY_ID))
def test_every_ingress_has_tls_for_its_hosts(
    name: str, rendered: dict[str, list[dict[str, Any]]], cluster_issuers: set[str]
) -> None:
    target = TARGETS_BY_ID[name]
    for doc in _docs(rendered, name):
        if doc.get("kind") != "Ingress":
            continue
        where = f"{name} Ingress/{doc['metadata']['name']}"
        tls = doc["spec"].get("tls") or []
        assert all(entry.get("secretName") for entry in tls), f"{where}: tls without secretName"
        covered = {host for entry in tls for host in entry.get("hosts") or []}
        hosts = {rule["host"] for rule in doc["spec"]["rules"]}
        assert hosts <= covered, f"{where}: no TLS for {sorted(hosts - covered)}"
        annotations = doc["metadata"].get("annotations") or {}
        issuer = annotations.get("cert-manager.io/cluster-issuer")
        assert issuer in cluster_issuers, f"{where}: issuer {issuer!r} is not defined here"
        if target.env == "prod":
            assert issuer == "letsencrypt-prod"
            for key in (
                "nginx.ingress.kubernetes.io/ssl-redirect",
                "ingress.kubernetes.io/ssl-redirect",
            ):
                assert annotations.get(key, "true") != "false", f"{where}: SSL redirect disabled"


def test_the_repository_defines_both_letsencrypt_issuers(cluster_issuers: set[str]) -> None:
    assert cluster_issuers == {"letsencrypt-staging", "letsencrypt-prod"}


@pytest.mark.parametrize("name", sorted(TARGETS_BY_ID))
def test_chart_passes_strict_lint(
    name: str, linted: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    result = linted[name]
    assert result.returncode == 0, f"helm lint --strict {name}:\n{result.stdout}{result.stderr}"


# --- Values -----------------------------------------------------------------------------------


def _key_paths(data: Any, prefix: str = "") -> set[str]:
    """Key paths of a values tree; list items collapse to ``[]`` so lengths may differ."""
    if isinstance(data, dict):
        paths = {f"{prefix}{key}" for key in data}
        for key, value in data.items():
            paths |= _key_paths(value, f"{prefix}{key}.")
        return paths
    if isinstance(data, list):
        return set().union(*(_key_paths(item, f"{prefix}[].") for item in data))
    return set()


@pytest.mark.parametrize("chart", ENV_CHARTS, ids=lambda p: p.name)
def test_staging_and_production_values_have_the_same_keys(chart: Path) -> None:
    stg = yaml.safe_load((chart / "values-stg.yaml").read_text())
    prod = yaml.safe_load((chart / "values-prod.yaml").read_text())
    assert _key_paths(stg) == _key_paths(prod)


def test_plate_llm_is_staging_only() -> None:
    chart = REPO_ROOT / "helm" / "applications" / "plate-llm"
    assert (chart / "values-stg.yaml").is_file()
    assert not (chart / "values-prod.yaml").exists()


@pytest.mark.parametrize("chart", APPLICATION_CHARTS, ids=lambda p: p.name)
def test_application_chart_has_a_values_schema(chart: Path) -> None:
    chart_yaml = yaml.safe_load((chart / "Chart.yaml").read_text())
    assert chart_yaml["apiVersion"] == "v2"
    schema = json.loads((chart / "values.schema.json").read_text())
    assert schema["type"] == "object" and schema["additionalProperties"] is False


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "override.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["plate-web-prod", "plate-api-prod"])
def test_schema_rejects_a_string_replica_count(name: str, helm: str, tmp_path: Path) -> None:
    result = _template(helm, TARGETS_BY_ID[name], _write(tmp_path, 'replicaCount: "two"\n'))
    assert result.returncode != 0
    assert "replicaCount" in result.stderr


@pytest.mark.parametrize("name", ["plate-web-prod", "ingress-prod", "plate-cache-prod"])
def test_schema_rejects_an_unknown_top_level_key(name: str, helm: str, tmp_path: Path) -> None:
    result = _template(helm, TARGETS_BY_ID[name], _write(tmp_path, "replicas: 2\n"))
    assert result.returncode != 0
    assert "replicas" in result.stderr


def test_schema_leaves_policy_values_to_platecheck(helm: str, tmp_path: Path) -> None:
    """Helm must still render floating tags, Always and bad quantities, so that platecheck
    reports them with the values file and line instead of Helm refusing to render."""
    override = _write(
        tmp_path,
        "image:\n  tag: latest\n  pullPolicy: Always\nresources:\n  limits:\n    memory: 2GB\n",
    )
    result = _template(helm, TARGETS_BY_ID["plate-web-prod"], override)
    assert result.returncode == 0, result.stderr
    assert 'image: "nginx:latest"' in result.stdout
    assert "imagePullPolicy: Always" in result.stdout
    assert "memory: 2GB" in result.stdout


# --- YAML hygiene -----------------------------------------------------------------------------

YAML_FILES = sorted(
    path.relative_to(REPO_ROOT).as_posix()
    for root in ("helm", "environments")
    for path in (REPO_ROOT / root).rglob("*.yaml")
    if "templates" not in path.relative_to(REPO_ROOT).parts
)
JSON_FILES = sorted(
    path.relative_to(REPO_ROOT).as_posix() for path in (REPO_ROOT / "helm").rglob("*.json")
)


@pytest.mark.parametrize("rel", YAML_FILES)
def test_yaml_files_are_unambiguous(rel: str) -> None:
    assert yaml_problems((REPO_ROOT / rel).read_text()) == []


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicates, f"duplicate keys {duplicates}"
    return dict(pairs)


@pytest.mark.parametrize("rel", JSON_FILES)
def test_json_files_have_no_duplicate_keys(rel: str) -> None:
    json.loads((REPO_ROOT / rel).read_text(), object_pairs_hook=_no_duplicates)


def test_yaml_hygiene_check_catches_ambiguous_scalars() -> None:
    text = 'a: on\nb: 0755\nc: 22:22\nd: 2024-01-01\ne: 1.25\nf: x\nf: y\ng: "on"\nh: 10\n'
    assert yaml_problems(text) == [
        "line 1: 'on' is a YAML 1.1 boolean; quote it",
        "line 2: '0755' is a YAML 1.1 octal, hex or base-60 number; quote it",
        "line 3: '22:22' is a YAML 1.1 octal, hex or base-60 number; quote it",
        "line 4: '2024-01-01' is read as a date; quote it",
        "line 5: '1.25' is read as a number (a version or a base-60 value?); quote it",
        "line 7: duplicate key 'f' (first on line 6)",
    ]


# --- Scripts ----------------------------------------------------------------------------------

SCRIPTS = sorted((REPO_ROOT / "scripts").glob("deploy-*.sh"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_deploy_script_is_strict_bash(script: Path) -> None:
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    assert os.access(script, os.X_OK)
    result = _run(["bash", "-n", str(script)])
    assert result.returncode == 0, result.stderr
    usage = _run(["bash", str(script), "--help"])  # sources the shared library, touches nothing
    assert usage.returncode == 0, usage.stderr
    assert "Usage: scripts/" + script.name in usage.stdout
    shellcheck = shutil.which("shellcheck")
    if shellcheck:
        result = _run([shellcheck, "-x", str(script)])
        assert result.returncode == 0, result.stdout
