"""Source types decided as Argo CD decides them (ARGOCD.md A.1-2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.errors import PlatecheckError
from platecheck.model import SourceType
from platecheck.sourcetype import detected_type, explicit_type, source_type
from security_helpers import APP_TEMPLATE as APP


@pytest.mark.parametrize(("source", "expected"), [
    ({"helm": {"releaseName": "web"}}, SourceType.HELM),
    ({"kustomize": {"namePrefix": "a-"}}, SourceType.KUSTOMIZE),
    ({"directory": {"include": "*.yaml"}}, SourceType.DIRECTORY),  # NormalizeSource keeps it
    ({"directory": {"jsonnet": {"tlas": [{"name": "a", "value": "1"}]}}}, SourceType.DIRECTORY),
    # blocks of zero values Argo CD's controller drops before it renders
    ({"helm": {}}, None),
    ({"helm": {"valueFiles": [], "skipCrds": False}}, None),
    ({"directory": {"recurse": False}}, None),
    ({"directory": {"jsonnet": {}}}, None),
    ({"kustomize": {"forceCommonLabels": True}}, None),  # not in its IsZero
    ({"plugin": {}}, SourceType.PLUGIN),  # never dropped: a plugin found by discovery
    ({"helm": {"valuesObject": {}}}, SourceType.HELM),  # the YAML "{}" is no empty value
    ({"helm": {"valuesObject": None, "values": ""}}, None),
    ({"directory": {"recurse": True}}, SourceType.DIRECTORY),
    ({"plugin": {"name": "x"}}, SourceType.PLUGIN),
    ({"helm": None}, None),  # `helm:` with no value is null, as in Argo CD
    ({"path": "a"}, None),
])
def test_explicit_type(source: dict[str, object], expected: SourceType | None) -> None:
    assert explicit_type(source) == expected


def test_more_than_one_explicit_type_is_an_error_in_argo_cd_order() -> None:
    with pytest.raises(PlatecheckError) as caught:
        explicit_type({"helm": {"releaseName": "a"}, "directory": {"recurse": True},
                       "kustomize": {"namePrefix": "a-"}}, "app.yaml", 7)
    assert caught.value.message.startswith(
        "multiple application sources defined: Kustomize,Helm,Directory;")
    assert (caught.value.file, caught.value.line) == ("app.yaml", 7)


@pytest.mark.parametrize(("files", "expected"), [
    (["Chart.yaml"], SourceType.HELM),
    (["kustomization.yaml"], SourceType.KUSTOMIZE),
    (["kustomization.yml"], SourceType.KUSTOMIZE),
    (["Kustomization"], SourceType.KUSTOMIZE),
    (["Chart.yaml", "kustomization.yaml"], SourceType.KUSTOMIZE),  # Kustomize wins
    # any name ending in Chart.yaml names Helm, the last file by name deciding
    (["traefik-HelmChart.yaml", "deploy.yaml"], SourceType.HELM),
    (["kustomization.yaml", "zChart.yaml"], SourceType.HELM),
    (["Chart.yaml", "Kustomization"], SourceType.KUSTOMIZE),
    (["deploy.yaml", "main.jsonnet"], SourceType.DIRECTORY),
    (["sub/Chart.yaml"], SourceType.DIRECTORY),  # only files directly in the path count
    ([], SourceType.DIRECTORY),
])
def test_detected_from_the_files_directly_in_the_path(tmp_path: Path, files: list[str],
                                                      expected: SourceType) -> None:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}\n")
    assert detected_type(tmp_path) is expected
    assert source_type({"path": "x"}, tmp_path) is expected


def test_explicit_type_wins_over_the_files(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\n")
    assert source_type({"directory": {"recurse": True}}, tmp_path) is SourceType.DIRECTORY
    # an empty block names nothing: Argo CD drops it, and the files decide
    assert source_type({"directory": {}}, tmp_path) is SourceType.KUSTOMIZE
    assert source_type({"chart": "redis", "repoURL": "https://charts.example.com"},
                       None) is SourceType.HELM
    assert source_type({"repoURL": "oci://registry.example.com/charts/redis"},
                       None) is SourceType.HELM


def _repo(tmp_path: Path, path: str, extra: str) -> Path:
    (tmp_path / "policies").mkdir(parents=True)
    (tmp_path / "apps").mkdir()
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n")
    (tmp_path / "apps" / "web.yaml").write_text(APP.format(path=path, extra=extra))
    return tmp_path


@pytest.mark.usefixtures("helm_bin", "engine_policy_only")
def test_two_explicit_types_are_a_could_not_check_error_at_the_source(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", "chart", "    helm: {releaseName: web}\n"
                                          "    kustomize: {namePrefix: a-}\n")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.exit_code == 2
    assert [(e.location, e.target, e.message.split(";")[0]) for e in report.errors] == [
        ("apps/web.yaml:7", "prod/web", "multiple application sources defined: Kustomize,Helm")]


@pytest.mark.usefixtures("helm_bin", "engine_policy_only")
def test_explicit_helm_on_a_directory_without_a_chart_is_an_error(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", "apps", "    helm:\n      releaseName: web\n")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.exit_code == 2
    assert [(e.location, e.message) for e in report.errors] == [
        ("apps/web.yaml:7", "source path 'apps' has no Chart.yaml, but the source is a Helm "
         "source (helm:); Argo CD cannot render it")]


@pytest.mark.usefixtures("helm_bin", "engine_policy_only")
def test_explicit_directory_over_a_chart_is_not_rendered_as_helm(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", "chart", "    directory: {recurse: true}\n")
    report = lint(repo, cache_dir=tmp_path / "cache")
    [target] = report.targets
    assert target.source_type is SourceType.DIRECTORY
    assert report.renders == 0


@pytest.mark.usefixtures("helm_bin", "engine_policy_only")
def test_a_file_named_like_a_chart_makes_a_helm_source_argo_cd_cannot_render(
        tmp_path: Path) -> None:
    """``d/traefik-HelmChart.yaml`` (a k3s HelmChart resource) makes Argo CD take ``d`` for
    a chart, which has no ``Chart.yaml``: a could-not-check error, not a directory of
    manifests checked clean."""
    repo = _repo(tmp_path / "r", "d", "")
    (repo / "d").mkdir()
    (repo / "d" / "traefik-HelmChart.yaml").write_text(
        "apiVersion: helm.cattle.io/v1\nkind: HelmChart\nmetadata:\n  name: traefik\n")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == [
        ("apps/web.yaml:7", "source path 'd' has no Chart.yaml, but the source is a Helm source "
         "(Argo CD takes a file whose name ends in Chart.yaml for a chart); Argo CD cannot "
         "render it")]
