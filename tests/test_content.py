"""The plate platform's GitOps content: Applications, charts and values, checked with
platecheck itself.

platecheck's discovery and planner read every Argo CD Application under environments/ (at
collection, without rendering); its engine renders every chart of this repository with the
Application's value files through the real helm binary (``PLATECHECK_HELM`` first, see
conftest.helm_bin) and lints each with ``--strict`` (``platecheck_model``, once per session);
the plugin's ``platecheck_targets`` fixture gives the rendered production targets. Quantities,
image references and YAML hygiene are read by platecheck's own modules.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from platecheck.containers import containers
from platecheck.discover import discover
from platecheck.engine import load
from platecheck.imageref import parse_image
from platecheck.model import Application, KeyPath, RenderedTarget, RenderTarget, RepoModel
from platecheck.plan import Planner
from platecheck.policies import configuration
from platecheck.policies.yaml_hygiene import check_bytes
from platecheck.quantity import parse_quantity
from platecheck.yamlio import load_values

REPO_ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = REPO_ROOT / "environments"
APPS_DIR = "environments/argocd/apps"
APP_OF_APPS = "environments/argocd/app-of-apps.yaml"
COMMON_VALUES = ENVIRONMENTS / "shared" / "common-values.yaml"
# The one Git URL of this repository, as the platform documents name it.
REPO_URL = "https://github.com/kimjoongwon/prj-devops.git"
ENV_OF_LABEL = {"staging": "stg", "production": "prod"}
SYNC_WAVE = "argocd.argoproj.io/sync-wave"

FOUND = discover(REPO_ROOT, [ENVIRONMENTS])
APPS = FOUND.applications
APPS_BY_NAME = {app.name: app for app in APPS}
_PLANNER = Planner(configuration(REPO_ROOT), FOUND)
# One target per Application source that is a chart of this repository.
TARGETS: list[RenderTarget] = [
    target for app in APPS for target in _PLANNER.application(_PLANNER.checked(app))
    if target.chart is not None and target.remote is None]
TARGETS_BY_ID = {t.application.name: t for t in TARGETS if t.application is not None}
ENV_TARGETS = [name for name, t in TARGETS_BY_ID.items() if t.environment in ("stg", "prod")]
APPLICATION_CHARTS = sorted(
    p.parent for p in (REPO_ROOT / "helm" / "applications").glob("*/Chart.yaml")
)
# Charts deployed to both environments (plate-llm runs in staging only).
ENV_CHARTS = sorted(
    {t.chart.path for t in TARGETS if t.chart and t.environment == "stg"}
    & {t.chart.path for t in TARGETS if t.chart and t.environment == "prod"}
)

# The seeds' dependency order; cluster services and development tools come before all of it.
WAVE_ORDER = ["plate-cache", "plate-api", "plate-llm", "plate-web", "ingress"]
RETRY_LIMIT = {"stg": 5, "prod": 3}
BACKOFF = {"duration": "5s", "factor": 2, "maxDuration": "3m"}
FLOATING_TAGS = {"", "latest"}
HELM_TIMEOUT = 120


def _env(app: Application) -> str | None:
    """``stg``/``prod`` from the environment label, None for platform Applications."""
    return ENV_OF_LABEL.get(app.labels.get("environment", ""))


def _wave(app: Application) -> int:
    return int(app.annotations.get(SYNC_WAVE, "0"))


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=HELM_TIMEOUT, check=False, cwd=REPO_ROOT
    )


def _template(helm: str, target: RenderTarget, *extra: Path) -> subprocess.CompletedProcess[str]:
    """``helm template`` of a planned target with more value files after its own."""
    assert target.chart is not None
    args = [helm, "template", target.release_name, str(target.chart.path),
            "--namespace", target.namespace]
    for values in (*(v.path for v in target.value_files), *extra):
        args += ["-f", str(values)]
    return _run(args)


@pytest.fixture(scope="session")
def helm(helm_bin: Path) -> str:
    """The real helm binary (``PLATECHECK_HELM`` first; see conftest.helm_bin)."""
    return str(helm_bin)


@pytest.fixture(scope="session")
def platecheck_model(helm: str) -> RepoModel:
    """environments/ loaded by platecheck: every target rendered, every chart linted."""
    return load(ENVIRONMENTS, helm=helm)


@pytest.fixture(scope="session")
def rendered(platecheck_model: RepoModel) -> dict[str, RenderedTarget]:
    """Application name -> its rendered target."""
    return {r.target.application.name: r for r in platecheck_model.rendered
            if r.target.application is not None}


@pytest.fixture(scope="session")
def cluster_issuers(rendered: dict[str, RenderedTarget]) -> set[str]:
    return {resource.name for target in rendered.values() for resource in target.resources
            if resource.kind == "ClusterIssuer"}


def _target(rendered: dict[str, RenderedTarget], name: str) -> RenderedTarget:
    if name not in rendered:
        pytest.fail(f"{name} did not render (see test_chart_renders_to_kubernetes_objects)")
    return rendered[name]


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
    app = _PLANNER.checked(APPS_BY_NAME[name])
    # every source path and value file exists, is of its kind and stays in the repository
    assert app.source_problems == ()
    for source in app.sources:
        if source.repo_url == REPO_URL:
            assert source.target_revision == "main"
        else:
            assert source.chart, f"{name}: a remote source must name a Helm chart"
            assert re.fullmatch(r"v?\d+\.\d+\.\d+", source.target_revision or ""), (
                f"{name}: chart {source.chart} must be pinned to an exact version"
            )
    for target in (t for t in TARGETS if t.application is not None
                   and t.application.name == name):
        for values in target.value_files:
            assert values.path.is_relative_to(REPO_ROOT) and values.path.is_file()


@pytest.mark.parametrize("name", sorted(APPS_BY_NAME))
def test_application_metadata_and_sync_policy(name: str) -> None:
    app = APPS_BY_NAME[name]
    env = _env(app)
    assert app.namespace == "argocd"
    assert app.labels.get("environment") in {"staging", "production", "platform"}
    if env:
        assert name.endswith(f"-{env}")
        assert app.destination_namespace == f"plate-{env}"
    else:
        assert not re.search(r"-(stg|prod)$", name)
        assert not (app.destination_namespace or "").startswith("plate-")
    sync = app.sync_policy or {}
    assert sync["automated"] == {"prune": True, "selfHeal": True}
    assert "CreateNamespace=true" in sync["syncOptions"]
    retry = sync["retry"]
    assert retry["limit"] == RETRY_LIMIT.get(env or "", 5)
    assert retry["backoff"] == BACKOFF


def test_app_of_apps_reaches_every_application() -> None:
    root = APPS_BY_NAME["cocdev-platform-apps"]
    assert root.file == APP_OF_APPS
    assert [(a.file, a.line) for a in FOUND.app_of_apps] == [(root.file, root.line)]
    assert root.labels["environment"] == "platform"
    (source,) = root.sources
    assert source.repo_url == REPO_URL
    assert source.path == APPS_DIR
    children = {link.child for link in FOUND.children if link.parent == (root.file, root.line)}
    for app in APPS:
        if app is not root:
            assert (app.file, app.line) in children, f"{app.name} ({app.file}) is unreachable"


def test_sync_waves_follow_the_dependency_order() -> None:
    platform_waves = [_wave(app) for app in APPS
                      if not _env(app) and app.name != "cocdev-platform-apps"]
    for env in ("stg", "prod"):
        waves = [
            _wave(APPS_BY_NAME[f"{app}-{env}"])
            for app in WAVE_ORDER
            if f"{app}-{env}" in APPS_BY_NAME
        ]
        assert max(platform_waves) < waves[0]
        assert waves[:-1] == sorted(set(waves[:-1])), f"{env}: waves must strictly increase"
        assert waves[-1] >= waves[-2], f"{env}: the Ingress syncs with or after plate-web"


def test_production_ingress_ignores_annotation_differences() -> None:
    ignored = APPS_BY_NAME["ingress-prod"].ignore_differences
    assert {
        "group": "networking.k8s.io",
        "kind": "Ingress",
        "jsonPointers": ["/metadata/annotations"],
    } in ignored


@pytest.mark.parametrize("name", ENV_TARGETS)
def test_environment_applications_use_common_then_environment_values(name: str) -> None:
    target = TARGETS_BY_ID[name]
    assert target.chart is not None
    assert tuple(v.path for v in target.value_files) == (
        COMMON_VALUES.resolve(),
        (target.chart.path / f"values-{target.environment}.yaml").resolve(),
    )


# --- Rendering --------------------------------------------------------------------------------


def test_everything_could_be_checked(platecheck_model: RepoModel) -> None:
    assert [(e.location, e.message) for e in platecheck_model.errors] == []


@pytest.mark.parametrize("name", sorted(TARGETS_BY_ID))
def test_chart_renders_to_kubernetes_objects(name: str,
                                             rendered: dict[str, RenderedTarget]) -> None:
    resources = _target(rendered, name).resources
    assert resources, f"{name} renders nothing"
    for resource in resources:
        assert resource.api_version and resource.kind and resource.name


@pytest.mark.parametrize("name", sorted(TARGETS_BY_ID))
def test_every_container_sets_requests_within_limits(
    name: str, rendered: dict[str, RenderedTarget]
) -> None:
    for container in containers(_target(rendered, name), ("initContainers", "containers")):
        resources = container.spec.get("resources") or {}
        for kind in ("cpu", "memory"):
            request = (resources.get("requests") or {}).get(kind)
            limit = (resources.get("limits") or {}).get(kind)
            where = f"{name} {container.ref}"
            assert request is not None and limit is not None, f"{where}: {kind} unset"
            assert parse_quantity(request) <= parse_quantity(limit), (
                f"{where}: {kind} request {request} exceeds limit {limit}"
            )


def test_production_pins_images_and_pulls_if_not_present(
    platecheck_targets: Any,
) -> None:
    production = platecheck_targets(env="prod", path=ENVIRONMENTS)
    assert sorted(t.target.application.name for t in production if t.target.application) == (
        sorted(name for name, t in TARGETS_BY_ID.items() if t.environment == "prod"))
    for target in production:
        for container in containers(target, ("initContainers", "containers")):
            where = f"{target.id} {container.ref}"
            image = parse_image(str(container.image))
            assert image.pinned_by_digest or (image.tag or "") not in FLOATING_TAGS, (
                f"{where}: image {container.image} has a floating or missing tag")
            assert container.spec.get("imagePullPolicy") == "IfNotPresent", where


@pytest.mark.parametrize("name", sorted(TARGETS_BY_ID))
def test_every_ingress_has_tls_for_its_hosts(
    name: str, rendered: dict[str, RenderedTarget], cluster_issuers: set[str]
) -> None:
    target = TARGETS_BY_ID[name]
    for resource in _target(rendered, name).resources:
        if resource.kind != "Ingress":
            continue
        doc = resource.doc
        where = f"{name} {resource.ref}"
        tls = doc["spec"].get("tls") or []
        assert all(entry.get("secretName") for entry in tls), f"{where}: tls without secretName"
        covered = {host for entry in tls for host in entry.get("hosts") or []}
        hosts = {rule["host"] for rule in doc["spec"]["rules"]}
        assert hosts <= covered, f"{where}: no TLS for {sorted(hosts - covered)}"
        annotations = doc["metadata"].get("annotations") or {}
        issuer = annotations.get("cert-manager.io/cluster-issuer")
        assert issuer in cluster_issuers, f"{where}: issuer {issuer!r} is not defined here"
        if target.environment == "prod":
            assert issuer == "letsencrypt-prod"
            for key in (
                "nginx.ingress.kubernetes.io/ssl-redirect",
                "ingress.kubernetes.io/ssl-redirect",
            ):
                assert annotations.get(key, "true") != "false", f"{where}: SSL redirect disabled"


def test_the_repository_defines_both_letsencrypt_issuers(cluster_issuers: set[str]) -> None:
    assert cluster_issuers == {"letsencrypt-staging", "letsencrypt-prod"}


@pytest.mark.parametrize("name", sorted(TARGETS_BY_ID))
def test_chart_passes_strict_lint(name: str, platecheck_model: RepoModel) -> None:
    target = TARGETS_BY_ID[name]
    assert target.chart is not None
    files = tuple(v.rel for v in target.value_files)
    (lint,) = [entry for entry in platecheck_model.helm_lint
               if entry.chart.path == target.chart.path
               and entry.environment == target.environment and entry.value_files == files]
    assert lint.exit_code == 0, f"helm lint --strict {name}:\n{lint.output}"


# --- Values -----------------------------------------------------------------------------------


def _key_paths(chart: Path, name: str) -> set[KeyPath]:
    """Key paths of a values file as platecheck reads it; list items collapse to ``[]`` so
    lengths may differ."""
    path = chart / name
    values, _ = load_values(path, path.relative_to(REPO_ROOT).as_posix())
    return {tuple("[]" if isinstance(key, int) else key for key in key_path)
            for key_path in values.lines if key_path}


@pytest.mark.parametrize("chart", ENV_CHARTS, ids=lambda p: p.name)
def test_staging_and_production_values_have_the_same_keys(chart: Path) -> None:
    assert _key_paths(chart, "values-stg.yaml") == _key_paths(chart, "values-prod.yaml")


def test_plate_llm_is_staging_only() -> None:
    chart = REPO_ROOT / "helm" / "applications" / "plate-llm"
    assert (chart / "values-stg.yaml").is_file()
    assert not (chart / "values-prod.yaml").exists()
    assert "plate-llm-stg" in TARGETS_BY_ID and "plate-llm-prod" not in TARGETS_BY_ID


@pytest.mark.parametrize("chart", APPLICATION_CHARTS, ids=lambda p: p.name)
def test_application_chart_has_a_values_schema(chart: Path) -> None:
    assert _PLANNER.chart(chart).api_version == "v2"
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
    """What platecheck's yaml-hygiene policy finds in a file: nothing."""
    problems = check_bytes(rel, (REPO_ROOT / rel).read_bytes())
    assert [f"{f.location}: {f.message}" for f in problems] == []


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicates, f"duplicate keys {duplicates}"
    return dict(pairs)


@pytest.mark.parametrize("rel", JSON_FILES)
def test_json_files_have_no_duplicate_keys(rel: str) -> None:
    json.loads((REPO_ROOT / rel).read_text(), object_pairs_hook=_no_duplicates)


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
