"""``exclude`` in policies/platecheck.yaml: globs of repository paths the walks for
Applications, charts and kustomizations leave out (another tool's templates that declare an
Application kind, its charts and kustomizations); a path given on the command line is read
all the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import load
from platecheck.errors import PlatecheckError
from synthetic import application, repository

BROKEN = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: <#if x>\n  a: [\n"


def _repo(tmp_path: Path, config: str | None) -> Path:
    return repository(tmp_path, {
        "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "apps/web.yaml": application("web-prod", "web", "web-prod"),
        "templates/app.ftl.yaml": BROKEN,
        **({"policies/platecheck.yaml": config} if config is not None else {})})


def test_the_walk_leaves_out_what_exclude_names(helm_bin: Path, tmp_path: Path) -> None:
    model = load(_repo(tmp_path, None), helm=helm_bin, cache_dir=tmp_path / "cache")
    assert [(e.file, e.line) for e in model.errors] == [("templates/app.ftl.yaml", 6)]
    root = _repo(tmp_path / "again", 'exclude: ["*.ftl.yaml"]\n')
    model = load(root, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert [t.id for t in model.targets] == ["prod/web"]
    # named on the command line, it is read all the same
    model = load(root / "templates" / "app.ftl.yaml", root=root, helm=helm_bin,
                 cache_dir=tmp_path / "cache")
    assert [(e.file, e.line) for e in model.errors] == [("templates/app.ftl.yaml", 6)]


@pytest.mark.parametrize(("config", "line"), [
    ("exclude: {a: b}\n", 1),
    ("exclude:\n  - ok/*\n  - /etc/*\n", 3),
    ("exclude: ['']\n", 1),
])
def test_exclude_is_globs_of_repository_paths(tmp_path: Path, config: str, line: int) -> None:
    with pytest.raises(PlatecheckError) as refused:
        load(_repo(tmp_path, config), cache_dir=tmp_path / "cache")
    assert (refused.value.file, refused.value.line) == ("policies/platecheck.yaml", line)



@pytest.mark.usefixtures("kubectl_bin")
def test_another_tool_s_kustomization_of_applications_is_not_applied_by_hand(
        helm_bin: Path, tmp_path: Path) -> None:
    """Flux's kustomization of an Application whose path holds a ``${VAR}`` Flux fills in:
    exclude names it, so it is not built as applied by hand (it was, and its placeholder
    path was a could-not-check error, whatever the configuration said)."""
    from platecheck.engine import lint
    from synthetic import write_files

    root = write_files(_repo(tmp_path, 'exclude: ["clusters/*", "*.ftl.yaml"]\n'), {
        "clusters/prod/argo/kustomization.yaml": "resources: [web.yaml]\n",
        "clusters/prod/argo/web.yaml": application("web", "apps/${CLUSTER_ENV}/web", "web")})
    report = lint(root, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert [t.id for t in report.targets] == ["prod/web"]
    assert report.errors == ()


@pytest.mark.parametrize(("config", "undeployed"), [
    ('exclude: ["*.ftl.yaml"]\n', ["flux/web/Chart.yaml"]),
    ('exclude: ["*.ftl.yaml", "flux/*"]\n', []),
])
def test_another_tool_s_chart_is_no_undeployed_chart(
        helm_bin: Path, tmp_path: Path, config: str, undeployed: list[str]) -> None:
    """A chart another tool deploys (Flux's HelmRelease) is left out of undeployed-chart's
    walk when exclude names its directory."""
    from platecheck.engine import lint
    from synthetic import write_files

    root = write_files(_repo(tmp_path, config), {
        "flux/web/Chart.yaml": "apiVersion: v2\nname: flux-web\nversion: 0.1.0\n"})
    report = lint(root, helm=helm_bin, cache_dir=tmp_path / "cache")
    assert [f.file for f in report.findings if f.policy == "undeployed-chart"] == undeployed
