"""kustomizeBuildOptions: argocd-cm's kustomize.buildOptions that platecheck follows
(``--load-restrictor``), and the confined build that ``LoadRestrictionsNone`` runs in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from platecheck.cli import main
from platecheck.config import load_config
from platecheck.engine import lint, load
from platecheck.errors import PlatecheckError
from platecheck.kustomize import LOAD_RESTRICTOR_REMEDY
from platecheck.sandbox import network_isolation
from synthetic import application, write_files
from test_sources import SOURCES

UNRESTRICTED = "--enable-helm --load-restrictor LoadRestrictionsNone"


def _configured(root: Path, text: str) -> Path:
    (root / "policies").mkdir(parents=True, exist_ok=True)
    (root / "policies" / "platecheck.yaml").write_text(text)
    return root


@pytest.mark.parametrize(("written", "followed"), [
    ("--load-restrictor LoadRestrictionsNone", ("--load-restrictor=LoadRestrictionsNone",)),
    ("--enable-helm --load-restrictor=LoadRestrictionsNone",
     ("--enable-helm", "--load-restrictor=LoadRestrictionsNone")),
    ("--load-restrictor LoadRestrictionsNone --load-restrictor LoadRestrictionsRootOnly",
     ("--load-restrictor=LoadRestrictionsRootOnly",)),
    ("--enable-helm", ("--enable-helm",)),
    # a boolean flag, as kustomize parses it: the value after =, the last one written wins
    ("--enable-helm=true", ("--enable-helm",)),
    ("--enable-helm=false", ()),
    ("--enable-helm=0 --enable-helm=T", ("--enable-helm",)),
    ("--enable-helm --enable-helm=false", ()),
    ("", ()),
    # the versions charts are inflated for (sholdee/home-ops's argocd-cm)
    ("--enable-helm --helm-api-versions grafana.integreatly.org/v1beta1/GrafanaDashboard "
     "--helm-kube-version=1.30.0",
     ("--enable-helm", "--helm-api-versions=grafana.integreatly.org/v1beta1/GrafanaDashboard",
      "--helm-kube-version=1.30.0")),
])
def test_the_options_followed(tmp_path: Path, written: str, followed: tuple[str, ...]) -> None:
    root = _configured(tmp_path, f"kubernetesVersion: '1.31.0'\nkustomizeBuildOptions: "
                                 f"{json.dumps(written)}\n")
    assert load_config(root).kustomize_build_options == followed


@pytest.mark.parametrize("written", [
    "--enable-alpha-plugins", "--enable-exec", "--network", "--mount type=bind,src=/,dst=/x",
    "--load-restrictor", "--load-restrictor LoadRestrictionsAll", "[--enable-helm]", "true",
    "--enable-helm=yes",  # kustomize: invalid argument "yes" for "--enable-helm" flag
    "--helm-api-versions",  # (no value)
])
def test_any_other_option_is_refused_at_its_line(tmp_path: Path, written: str) -> None:
    value = written if written in ("true", "[--enable-helm]") else json.dumps(written)
    root = _configured(tmp_path, f"kubernetesVersion: '1.31.0'\nkustomizeBuildOptions: {value}\n")
    with pytest.raises(PlatecheckError) as caught:
        load_config(root)
    assert (caught.value.file, caught.value.line) == ("policies/platecheck.yaml", 2)


@pytest.fixture
def outside_files(tmp_path: Path) -> Path:
    """A repository whose overlay lists a file of a sibling directory, as Argo CD builds it
    with --load-restrictor LoadRestrictionsNone."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    (repo / "shared").mkdir()
    (repo / "shared" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  a: '1'\n")
    (repo / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources:\n  - ../../base\n  - ../../shared/cm.yaml\n")
    return repo


@pytest.mark.usefixtures("kubectl_bin")
def test_a_file_outside_the_kustomization_is_built_when_argo_cd_would(
        outside_files: Path, tmp_path: Path) -> None:
    app = outside_files / "apps" / "web.yaml"
    [error] = lint(app, cache_dir=tmp_path / "cache").errors
    assert (error.location, error.remediation) == ("overlays/prod/kustomization.yaml:3",
                                                   LOAD_RESTRICTOR_REMEDY)
    _configured(outside_files, f"kubernetesVersion: '1.31.0'\nkustomizeBuildOptions: "
                               f"{UNRESTRICTED}\n")
    model = load(app, cache_dir=tmp_path / "cache")
    if not network_isolation():
        [error] = model.errors
        assert "namespace" in error.message  # no confinement here: refused, never unconfined
        return
    assert model.errors == ()
    [rendered] = model.rendered
    assert sorted((r.kind, r.name, r.template_file) for r in rendered.resources) == [
        ("ConfigMap", "shared", "shared/cm.yaml"), ("Deployment", "web", "base/deployment.yaml")]


@pytest.mark.usefixtures("kubectl_bin")
@pytest.mark.parametrize("escape", ["absolute", "relative", "checkout"])
def test_an_unrestricted_build_reads_nothing_outside_the_repository(
        outside_files: Path, tmp_path: Path, escape: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A generator naming a file of the machine (by an absolute path, by enough ``..``, or
    the checkout's own ``.git/config``) finds nothing: the build's root holds the copy of the
    repository, kubectl and helm alone. The secret appears in no output."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN-8d1f\n")
    (outside_files / ".git").mkdir()
    (outside_files / ".git" / "config").write_text("[remote \"origin\"]\n\turl = TOKEN-8d1f\n")
    path = {"absolute": str(secret),
            "relative": "../" * len(outside_files.parts) + str(secret).lstrip("/"),
            "checkout": str(outside_files / ".git" / "config")}[escape]
    (outside_files / "overlays" / "prod" / "kustomization.yaml").write_text(
        f"resources:\n  - ../../base\nconfigMapGenerator:\n  - name: leak\n    files:\n"
        f"      - {path}\n")
    _configured(outside_files, f"kubernetesVersion: '1.31.0'\nkustomizeBuildOptions: "
                               f"{UNRESTRICTED}\n")
    code = main(["render", str(outside_files / "apps" / "web.yaml"), "--cache-dir",
                 str(tmp_path / "cache")])
    captured = capsys.readouterr()
    assert code == 2
    assert "TOKEN-8d1f" not in captured.out + captured.err
    assert "could not check prod/web" in captured.err


@pytest.mark.usefixtures("kubectl_bin", "helm_bin")
def test_helm_charts_inflate_alike_in_a_confined_build(tmp_path: Path) -> None:
    if not network_isolation():
        pytest.skip("this machine allows no namespace: an unrestricted build is refused")
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    app = repo / "apps" / "inflate.yaml"
    plain = load(app, cache_dir=tmp_path / "cache")
    _configured(repo, f"kubernetesVersion: '1.31.0'\nkustomizeBuildOptions: {UNRESTRICTED}\n")
    confined = load(app, cache_dir=tmp_path / "cache")
    assert plain.errors == confined.errors == ()
    assert [dict(r.doc) for r in confined.rendered[0].resources] == [
        dict(r.doc) for r in plain.rendered[0].resources]
    assert confined.builds == 1  # the build options key the cached build


@pytest.mark.usefixtures("kubectl_bin", "helm_bin")
@pytest.mark.parametrize("given", [True, False])
def test_api_versions_of_the_build_options_reach_the_inflated_chart(
        tmp_path: Path, given: bool) -> None:
    """``--helm-api-versions`` among the build options: a chart that writes a kind only
    where the cluster serves its API (``.Capabilities.APIVersions.Has``) writes it, as
    ``kubectl kustomize --enable-helm --helm-api-versions`` does (the option was refused,
    and without it the chart's fallback was rendered)."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    (repo / "inflate" / "charts" / "hello" / "templates" / "extra.yaml").write_text(
        '{{- if .Capabilities.APIVersions.Has "example.com/v1/Thing" }}\n'
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: thing-served\n{{- end }}\n")
    options = "--enable-helm" + (" --helm-api-versions example.com/v1/Thing" if given else "")
    _configured(repo, f"kubernetesVersion: '1.31.0'\nkustomizeBuildOptions: {options}\n")
    model = load(repo / "apps" / "inflate.yaml", cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert ("thing-served" in [r.name for r in model.rendered[0].resources]) is given


@pytest.mark.usefixtures("kubectl_bin", "helm_bin")
def test_a_finding_of_a_whole_inflated_object_is_at_its_chart_s_entry(tmp_path: Path
                                                                     ) -> None:
    """An object of a kind no schema knows, which a chart the kustomization inflates writes:
    kustomize's output names no template, so unknown-kind's finding is at the ``helmCharts``
    entry naming that chart (it had no line), as findings of its fields are."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    (repo / "inflate" / "charts" / "hello" / "templates" / "widget.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n")
    report = lint(repo / "apps" / "inflate.yaml", cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings if f.policy == "unknown-kind"] == [
        "inflate/kustomization.yaml:2"]


@pytest.mark.parametrize("how", ["helmCharts", "generators"])
@pytest.mark.parametrize(("written", "inflated"), [
    (None, True),  # not configured: vendored charts are inflated
    ("--enable-helm", True),
    ("--enable-helm=true", True),
    # Argo CD's isHelmEnabled (the text contains --enable-helm) then passes the chart's
    # Kubernetes version, but kustomize reads the flag false and inflates nothing
    ("--enable-helm=false", False),
    ("--load-restrictor LoadRestrictionsRootOnly", False),
    ("", False),
])
def test_helm_charts_are_inflated_only_where_the_build_options_enable_helm(
        tmp_path: Path, written: str | None, inflated: bool, how: str) -> None:
    """Argo CD builds with exactly argocd-cm's kustomize.buildOptions: configured without
    ``--enable-helm``, a kustomization's helmCharts (or HelmChartInflationGenerator) fail
    its build, a could-not-check error at the chart's entry; not configured, vendored
    charts are inflated."""
    repo = tmp_path / "repo"
    shutil.copytree(SOURCES / "kustomize", repo)
    entry = ("inflate/kustomization.yaml", 2)
    if how == "generators":
        (repo / "inflate" / "kustomization.yaml").write_text("generators: [gen.yaml]\n")
        (repo / "inflate" / "gen.yaml").write_text(
            "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata:\n"
            "  name: hello\nname: hello\nreleaseName: hello\n")
        entry = ("inflate/gen.yaml", 1)
    if written is not None:
        _configured(repo, f"kubernetesVersion: '1.31.0'\nkustomizeBuildOptions: "
                          f"{json.dumps(written)}\n")
    model = load(repo / "apps" / "inflate.yaml", cache_dir=tmp_path / "cache")
    if inflated:
        assert model.errors == () and model.rendered
    else:
        [error] = model.errors
        assert (error.file, error.line) == entry
        assert error.message.startswith("kustomizeBuildOptions (argocd-cm's "
                                        "kustomize.buildOptions) has no --enable-helm")


@pytest.mark.usefixtures("kubectl_bin", "helm_bin")
@pytest.mark.parametrize("holder", ["vals", "extra"])
def test_a_helm_charts_values_file_outside_the_kustomization_is_named_from_the_root(
        tmp_path: Path, holder: str) -> None:
    """A ``valuesFile`` or ``additionalValuesFiles`` entry reaching outside the kustomization
    (``../../common/vals.yaml``) is the repository's ``common/vals.yaml``, as kustomize joins
    it to the kustomization's directory, not ``app/base/../../common/vals.yaml``."""
    if not network_isolation():
        pytest.skip("this machine allows no namespace: an unrestricted build is refused")
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
                  "  selector: {matchLabels: {a: b}}\n  template:\n"
                  "    metadata: {labels: {a: b}}\n    spec:\n      containers:\n"
                  "      - name: web\n"
                  '        image: "nginx:{{ .Values.image.tag }}"\n'
                  "        imagePullPolicy: IfNotPresent\n        resources:\n"
                  "          requests: {cpu: 10m, memory: 10Mi}\n"
                  "          limits: {cpu: 100m, memory: 100Mi}\n")
    repo = write_files(tmp_path / "repo", {
        "app/base/charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "app/base/charts/web/values.yaml": "image:\n  tag: 1.27.0\n",
        "app/base/charts/web/templates/d.yaml": deployment,
        "app/base/kustomization.yaml": "helmCharts:\n- name: web\n  releaseName: web\n"
                                       "  valuesFile: ../../common/vals.yaml\n"
                                       "  additionalValuesFiles: [../../common/extra.yaml]\n",
        "common/vals.yaml": "image:\n  tag: latest\n" if holder == "vals" else "a: 1\n",
        "common/extra.yaml": "image:\n  tag: latest\n" if holder == "extra" else "b: 1\n",
        "apps/web-prod.yaml": application("web-prod", "app/base", "web-prod"),
    })
    _configured(repo, f"kubernetesVersion: '1.31.0'\nkustomizeBuildOptions: {UNRESTRICTED}\n")
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [(f.location, f.message) for f in report_.findings
            if f.policy == "image-tag-pinned"] == [
        (f"common/{holder}.yaml:2", 'container "web" in Deployment/web uses floating tag "latest"')]


@pytest.mark.usefixtures("kubectl_bin", "helm_bin")
def test_a_chart_a_link_in_the_chart_home_leads_to_is_no_undeployed_chart(
        tmp_path: Path) -> None:
    """``charts/web`` beside the kustomization links to ``shared/web``: every build inflates
    that chart, so it is not one no Application deploys."""
    if not network_isolation():
        pytest.skip("this machine allows no namespace: an unrestricted build is refused")
    repo = write_files(tmp_path / "repo", {
        "shared/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "shared/web/values.yaml": "{}\n",
        "shared/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                        "  name: web\n",
        "base/kustomization.yaml": "helmCharts:\n- name: web\n  releaseName: web\n",
        "apps/web-prod.yaml": application("web-prod", "base", "web-prod"),
    })
    (repo / "base" / "charts").mkdir()
    (repo / "base" / "charts" / "web").symlink_to("../../shared/web")
    _configured(repo, f"kustomizeBuildOptions: {UNRESTRICTED}\n")
    (repo / ".git").mkdir()
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert report_.errors == ()
    assert [t.id for t in report_.targets] == ["prod/web"]
    assert [f.file for f in report_.findings if f.policy == "undeployed-chart"] == []


@pytest.mark.parametrize("edited", [False, True], ids=["as-written", "application-edits"])
def test_a_failed_build_says_what_kubectl_kustomize_says_of_the_repository(
        tmp_path: Path, kubectl_bin: Path, edited: bool) -> None:
    """A resource with a key written twice fails the build: the error names the lines of
    the file as kustomize reads it in the repository (as Argo CD's build does), not those of
    the object with the origin annotations platecheck asks for, three lines further; so
    with the Application's kustomize fields edited in too."""
    import subprocess

    deployment = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: '1'\n"
                  "  a: '2'\n")
    extra = "    kustomize:\n      namePrefix: x-\n" if edited else ""
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "apps/web.yaml": application("web", "web", "web", source_extra=extra),
        "web/kustomization.yaml": "resources: [cm.yaml]\n", "web/cm.yaml": deployment})
    direct = subprocess.run([str(kubectl_bin), "kustomize", str(repo / "web")],
                            capture_output=True, text=True, check=False)
    said = [line.strip() for line in direct.stderr.splitlines() if "line 7" in line]
    assert direct.returncode != 0 and said  # (the second ``a`` is line 7 of cm.yaml)
    [error] = lint(repo, cache_dir=tmp_path / "cache").errors
    assert said[0] in error.message
