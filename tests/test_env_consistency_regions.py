"""env-consistency when an app has several Applications in one environment: one per region or
cluster, each applied by its own Argo CD (argocd-application's ``instances``). Each is
compared with the Application of the other environment nearest it in the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint
from synthetic import application, write_files

pytestmark = pytest.mark.usefixtures("helm_bin")

_CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "chart/values.yaml": "extra: false\n",
    "chart/templates/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
        "{{- if .Values.extra }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
        "  name: web-extra\n{{- end }}\n"),
    "policies/platecheck.yaml": ("policies:\n  argocd-application:\n    options:\n"
                                 "      instances: {eu: ['apps/eu/*'], us: ['apps/us/*']}\n"),
}


def _app(region: str, env: str) -> dict[str, str]:
    values = f"values/{region}-{env}.yaml"
    return {f"apps/{region}/web-{env}.yaml": application(
        f"web-{env}", "chart", f"web-{env}",
        source_extra=f"    helm:\n      valueFiles: [../{values}]\n"),
        values: "extra: false\n"}


def _differences(root: Path, tmp_path: Path) -> list[tuple[str | None, str]]:
    report = lint(root, cache_dir=tmp_path / "cache")
    return sorted((f.target, f.message) for f in report.findings
                  if f.policy == "env-consistency")


def test_each_production_application_is_compared_with_staging(tmp_path: Path) -> None:
    """Staging in eu, production in eu and in us: us's production renders web-extra, which
    staging does not (it was never compared: only the first production Application was)."""
    root = write_files(tmp_path / "repo", {**_CHART, **_app("eu", "stg"), **_app("eu", "prod"),
                                           **_app("us", "prod")})
    assert _differences(root, tmp_path) == []
    (root / "values" / "us-prod.yaml").write_text("extra: true\n")
    us = "prod/web@apps/us/web-prod.yaml:1"
    assert _differences(root, tmp_path) == [
        (us, f"ConfigMap/web-extra is rendered for {us} but not for stg/web")]


def test_each_region_is_compared_with_its_own(tmp_path: Path) -> None:
    """Staging and production in each region, us's both render web-extra: each region's
    environments agree, and no region is compared with the other's."""
    root = write_files(tmp_path / "repo", {
        **_CHART, **{k: v for region in ("eu", "us") for env in ("stg", "prod")
                     for k, v in _app(region, env).items()}})
    for env in ("stg", "prod"):
        (root / "values" / f"us-{env}.yaml").write_text("extra: true\n")
    assert _differences(root, tmp_path) == []
    (root / "values" / "us-stg.yaml").write_text("extra: false\n")
    us = "prod/web@apps/us/web-prod.yaml:1"
    assert _differences(root, tmp_path) == [
        (us, f"ConfigMap/web-extra is rendered for {us} but not for "
             "stg/web@apps/us/web-stg.yaml:1")]
