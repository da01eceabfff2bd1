"""engine.load on small fixture repositories, rendered with the real helm."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import load
from platecheck.model import Origin, RenderedTarget, RepoModel
from synthetic import write_files

# helm comes from the session fixture (PLATECHECK_HELM, PATH or the setup cache)
pytestmark = pytest.mark.usefixtures("helm_bin")

FIXTURES = Path(__file__).parent / "fixtures" / "repos"
BASIC = FIXTURES / "basic"


@pytest.fixture(scope="module")
def basic(helm_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> RepoModel:
    return load(BASIC / "apps" / "root.yaml", cache_dir=tmp_path_factory.mktemp("cache"))


def rendered(model: RepoModel, target_id: str) -> RenderedTarget:
    return next(r for r in model.rendered if r.id == target_id)


def resource_doc(model: RepoModel, target_id: str, ref: str) -> dict:
    target = rendered(model, target_id)
    return dict(next(r for r in target.resources if r.ref == ref).doc)


def test_app_of_apps_is_followed_with_exclude(basic: RepoModel) -> None:
    assert [a.name for a in basic.app_of_apps] == ["root"]
    assert sorted(a.name for a in basic.applications) == [
        "api-prod", "api-stg", "cache-prod", "root", "web-prod", "web-stg"]
    assert basic.errors == ()


def test_files_an_app_of_apps_excludes_are_not_applications(tmp_path: Path) -> None:
    model = load(BASIC, cache_dir=tmp_path, environments=["stg"])
    assert "draft-prod" not in [a.name for a in model.applications]
    assert model.errors == ()


def _application(name: str, path: str, directory: str = "") -> str:
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n"
            f"spec:\n  project: default\n  source:\n    repoURL: https://example.com/r.git\n"
            f"    path: {path}\n{directory}  destination:\n    namespace: {name}\n"
            f"    server: https://kubernetes.default.svc\n")


_CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\ndata: {{}}\n"
# a directory Application over the whole repository that leaves out the directory holding its
# own file: the Applications there are applied by hand, as it is
_BOOTSTRAP = {
    "argocd/infra.yaml": _application(
        "infra", ".", '    directory:\n      recurse: true\n      exclude: "argocd/**"\n'),
    "argocd/web.yaml": _application("web", "web"),
    "web/cm.yaml": _CONFIG_MAP.format("web"),
    "infra/cm.yaml": _CONFIG_MAP.format("infra"),
}


def test_applications_an_app_of_apps_leaves_out_with_its_own_file_are_applied_by_hand(
        tmp_path: Path) -> None:
    repo = write_files(tmp_path / "repo", _BOOTSTRAP)
    (repo / ".git").mkdir()
    model = load(repo, cache_dir=tmp_path / "cache")
    assert sorted(a.name for a in model.applications) == ["infra", "web"]
    assert sorted(t.app for t in model.targets) == ["infra", "web"]
    assert model.errors == ()


def test_a_file_an_app_of_apps_excludes_is_checked_when_named(tmp_path: Path) -> None:
    files = {**_BOOTSTRAP, "argocd/infra.yaml": _application(
        "infra", ".", '    directory:\n      recurse: true\n      exclude: "argocd/web.yaml"\n')}
    repo = write_files(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    # linted as a whole, the file left out on purpose is not deployed
    assert [a.name for a in load(repo, cache_dir=tmp_path / "cache").applications] == ["infra"]
    # named, it is what the user asked to check
    named = load([repo / "argocd" / "infra.yaml", repo / "argocd" / "web.yaml"],
                 cache_dir=tmp_path / "cache")
    assert sorted(t.app for t in named.targets) == ["infra", "web"]


def test_targets_ids_environments_and_remote(basic: RepoModel) -> None:
    summary = sorted((t.id, t.environment, t.production, t.release_name, t.namespace,
                      t.rendered_here) for t in basic.targets)
    assert summary == [
        ("prod/api", "prod", True, "api-prod", "api-prod", True),
        ("prod/cache", "prod", True, "cache", "cache-prod", False),
        ("prod/web", "prod", True, "web", "web", True),
        ("stg/api", "stg", False, "api-stg", "api-stg", True),
        ("stg/web", "stg", False, "web-stg", "web-stg", True),
    ]
    remote = next(t for t in basic.targets if t.id == "prod/cache").remote
    assert remote is not None and (remote.repo_url, remote.chart, remote.target_revision) == (
        "https://charts.example.com/stable", "redis", "18.1.0")


def test_later_value_file_wins_as_in_argo_cd(basic: RepoModel) -> None:
    deployment = resource_doc(basic, "prod/web", "Deployment/web")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    # values-prod.yaml says 1.0.5, the later ../../values/web-prod-extra.yaml says 1.0.6
    assert container["image"] == "registry.example.com/web:1.0.6"
    assert deployment["spec"]["replicas"] == 3
    values = rendered(basic, "prod/web").values
    assert values.data["image"]["tag"] == "1.0.6"
    assert values.origins[("image", "tag")] == Origin("values/web-prod-extra.yaml", 3)
    assert values.origins[("replicas",)] == Origin("charts/web/values-prod.yaml", 1)
    assert values.origins[("image", "repository")] == Origin("charts/web/values.yaml", 3)
    assert values.origins[("features", 1)] == Origin("charts/web/values.yaml", 9)


def test_null_deletes_chart_default(basic: RepoModel) -> None:
    config = resource_doc(basic, "prod/web", "ConfigMap/web-config")
    assert config["data"]["debug"] == "false"
    assert "debug" not in rendered(basic, "prod/web").values.data
    assert resource_doc(basic, "stg/web", "ConfigMap/web-stg-config")["data"]["debug"] == "true"


def test_precedence_parameters_values_object_values_files(basic: RepoModel) -> None:
    data = resource_doc(basic, "prod/api", "ConfigMap/api-prod-settings")["data"]
    assert data == {
        "image": "registry.example.com/api:2.0.2",  # parameter (forceString) over $values file
        "port": "8080",  # helm.values ignored: valuesObject wins over values
        "portType": "float64",
        "mode": "from-values-object",
        "level": "3",
        "levelType": "int64",  # helm's own --set types an integer parameter as int64
        "extra": '{"flag":true}',
    }
    origins = rendered(basic, "prod/api").values.origins
    assert origins[("settings", "mode")] == Origin("apps/children/api-prod.yaml", 26)
    assert origins[("extra", "flag")] == Origin("apps/children/api-prod.yaml", 28)
    assert origins[("settings", "level")] == Origin("apps/children/api-prod.yaml", 31)
    assert origins[("image", "tag")] == Origin("apps/children/api-prod.yaml", 33)


def test_values_string_and_parameter_typing(basic: RepoModel) -> None:
    data = resource_doc(basic, "stg/api", "ConfigMap/api-stg-settings")["data"]
    assert (data["port"], data["mode"]) == ("7070", "staging")
    # like --set: a leading zero keeps a string; {a,b} is a list
    assert (data["level"], data["levelType"]) == ("007", "string")
    assert data["extra"] == '{"list":["x","y"]}'
    origins = rendered(basic, "stg/api").values.origins
    assert origins[("settings", "mode")] == Origin("apps/children/api-stg.yaml", 16)
    assert origins[("port",)] == Origin("apps/children/api-stg.yaml", 14)


def test_resources_remember_templates_and_lists_expand(basic: RepoModel) -> None:
    target = rendered(basic, "prod/api")
    assert [(r.ref, r.template, r.template_file, r.index) for r in target.resources] == [
        ("ConfigMap/api-prod-settings", "api/templates/configmap.yaml",
         "charts/api/templates/configmap.yaml", 0),
        ("ServiceAccount/api-prod-a", "api/templates/list.yaml",
         "charts/api/templates/list.yaml", 1),
        ("ServiceAccount/api-prod-b", "api/templates/list.yaml",
         "charts/api/templates/list.yaml", 2),
    ]
    assert set(target.templates) == {"charts/api/templates/configmap.yaml",
                                     "charts/api/templates/list.yaml"}
    assert target.templates["charts/api/templates/list.yaml"].startswith("apiVersion: v1\n")
    # the empty document after the ConfigMap template is skipped
    assert [r.ref for r in rendered(basic, "stg/web").resources] == [
        "ConfigMap/web-stg-config", "Deployment/web-stg"]


def test_namespace_and_yaml_files(basic: RepoModel) -> None:
    config = resource_doc(basic, "stg/web", "ConfigMap/web-stg-config")
    assert config["data"]["namespace"] == "web-stg"
    roles = {f.rel: f.role for f in basic.yaml_files}
    assert roles["apps/root.yaml"] == "application"
    assert roles["charts/web/Chart.yaml"] == "chart"
    assert roles["values/web-prod-extra.yaml"] == "values"
    assert roles["charts/web/values.yaml"] == "values"
    assert (BASIC / "values" / "web-prod-extra.yaml").read_bytes() == next(
        f.raw for f in basic.yaml_files if f.rel == "values/web-prod-extra.yaml")


def test_helm_lint_once_per_chart_and_value_files(basic: RepoModel) -> None:
    lints = sorted((h.chart.name, h.environment, h.value_files, h.exit_code)
                   for h in basic.helm_lint)
    assert lints == [
        ("api", "prod", ("values/api-prod.yaml",), 1),  # the List has no metadata.name
        ("api", "stg", (), 1),
        ("web", "prod", ("charts/web/values-prod.yaml", "values/web-prod-extra.yaml"), 0),
        ("web", "stg", ("charts/web/values-stg.yaml",), 0),
    ]
    api = next(h for h in basic.helm_lint if h.chart.name == "api")
    assert "object name does not conform" in api.output


def test_chart_directory_gets_one_target_per_environment_file(tmp_path: Path) -> None:
    model = load(BASIC / "charts" / "web", cache_dir=tmp_path)
    assert [(t.id, [v.rel for v in t.value_files]) for t in model.targets] == [
        ("prod/web", ["charts/web/values-prod.yaml"]),
        ("stg/web", ["charts/web/values-stg.yaml"]),
    ]
    image = resource_doc(model, "prod/web", "Deployment/web")
    assert image["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":1.0.5")


def test_recursive_app_of_apps_with_a_cycle(tmp_path: Path) -> None:
    model = load(FIXTURES / "nested" / "argocd" / "root.yaml", cache_dir=tmp_path)
    assert [(a.name, a.file) for a in model.applications] == [
        ("oci-prod", "argocd/apps/oci-prod.yaml"),
        ("loop", "argocd/apps/team/loop.yaml"),
        ("tiny-prod", "argocd/apps/team/tiny-prod.yaml"),
        ("tiny-stg", "argocd/apps/tiny-stg.yaml"),
        ("root", "argocd/root.yaml"),
    ]
    assert [a.name for a in model.app_of_apps] == ["loop", "root"]
    assert model.errors == ()
    assert sorted((t.id, t.rendered_here) for t in model.targets) == [
        ("prod/oci", False), ("prod/tiny", True), ("stg/tiny", True)]
    assert [c.rel for c in model.charts] == ["charts/tiny"]


def test_oci_source_is_not_rendered(tmp_path: Path) -> None:
    from platecheck.engine import lint

    report = lint(FIXTURES / "nested" / "argocd" / "apps" / "oci-prod.yaml", cache_dir=tmp_path)
    assert [(f.policy, f.location, f.message) for f in report.findings] == [
        ("not-rendered", "argocd/apps/oci-prod.yaml:8",
         "OCI artifact oci://registry.example.com/charts/tiny is not rendered: its resources are "
         "not checked")]
    assert report.renders == 0


def test_oci_artifact_path_is_read_inside_the_artifact(tmp_path: Path) -> None:
    """An oci:// source without a chart is an OCI artifact: Argo CD extracts it and resolves
    the path inside it (repository.go runRepoOperation), so a path this repository lacks is
    no problem here."""
    from platecheck.engine import lint
    from synthetic import application

    repo = write_files(tmp_path / "repo", {"apps/web.yaml": application(
        "web", "overlays/prod", "web", repo="oci://ghcr.io/example/manifests",
        source_extra="    targetRevision: 1.0.0\n")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.policy, f.location, f.message, f.remediation) for f in report.findings] == [
        ("not-rendered", "apps/web.yaml:8",
         "OCI artifact oci://ghcr.io/example/manifests is not rendered: its resources are not "
         "checked", "Vendor what the OCI artifact holds at the source path into this "
         "repository (or accept it with ignoreRepoURLs in policies/platecheck.yaml, or waive "
         "it with a reason).")]
