"""undeployed-chart: which charts of a repository with Applications no Application deploys,
through the whole pipeline and the real helm."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.model import Level, Report
from synthetic import application

pytestmark = pytest.mark.usefixtures("helm_bin")


# an ApplicationSet Argo CD expands: its path is a pattern of the directories it deploys
TOOLS = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: tools
  namespace: argocd
spec:
  generators:
    - git:
        repoURL: https://git.example.com/repo.git
        revision: HEAD
        directories: [{path: tools/*}]
  template:
    metadata:
      name: '{{path.basename}}-prod'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        path: 'tools/{{path.basename}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: tools-prod
"""


def _chart(repo: Path, rel: str, extra: str = "") -> None:
    directory = repo / rel
    (directory / "templates").mkdir(parents=True)
    (directory / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {directory.name}\nversion: 0.1.0\n{extra}", "utf-8")
    (directory / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n", "utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("undeployed")
    (repo / ".git").mkdir()
    (repo / "apps").mkdir()
    (repo / "apps" / "web-prod.yaml").write_text(
        application("web-prod", "charts/web", "web-prod"), "utf-8")
    (repo / "apps" / "tools.yaml").write_text(TOOLS, "utf-8")
    _chart(repo, "charts/web", "dependencies:\n  - name: shared\n    version: 0.1.0\n"
                               "    repository: file://../shared\n")
    _chart(repo, "charts/shared", "dependencies:\n  - name: base\n    version: 0.1.0\n"
                                  "    repository: file://../base\n")
    _chart(repo, "charts/base")  # a dependency's dependency
    _chart(repo, "charts/lib", "type: library\n")
    _chart(repo, "tools/api")  # the ApplicationSet's directories
    (repo / "kustomize" / "base").mkdir(parents=True)
    (repo / "kustomize" / "base" / "kustomization.yaml").write_text(
        "helmCharts:\n  - {name: pg, releaseName: pg}\n", "utf-8")
    _chart(repo, "kustomize/base/charts/pg")  # kustomize's helmCharts home
    _chart(repo, "bootstrap")
    _chart(repo, "bootstrap/charts/sub")  # renders with its parent
    _chart(repo, "examples/demo")
    return repo


def _undeployed(report: Report) -> list[tuple[str | None, int | None, Level, str]]:
    return [(f.file, f.line, f.level, f.message) for f in report.findings
            if f.policy == "undeployed-chart"]


def test_charts_no_application_deploys_are_named_once_each(repo: Path, tmp_path: Path) -> None:
    report = lint(repo, cache_dir=tmp_path)
    assert _undeployed(report) == [
        ("bootstrap/Chart.yaml", 1, Level.INFO,
         "chart bootstrap: no Application deploys it, so it is not checked"),
        ("examples/demo/Chart.yaml", 1, Level.INFO,
         "chart demo: no Application deploys it, so it is not checked"),
    ]


def test_only_the_charts_under_the_linted_paths_are_named(repo: Path, tmp_path: Path) -> None:
    report = lint([repo / "apps", repo / "examples"], cache_dir=tmp_path)
    assert [row[0] for row in _undeployed(report)] == ["examples/demo/Chart.yaml"]


def test_a_chart_given_as_a_path_is_linted_not_named(repo: Path, tmp_path: Path) -> None:
    report = lint([repo / "apps", repo / "bootstrap"], cache_dir=tmp_path)
    assert _undeployed(report) == []
    assert "prod/bootstrap" in {t.id for t in report.targets}


def test_a_run_of_some_environments_names_none(repo: Path, tmp_path: Path) -> None:
    assert _undeployed(lint(repo, cache_dir=tmp_path, environments=["prod"])) == []


def test_chart_mode_names_none(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "charts/one")
    _chart(repo, "charts/two")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert _undeployed(report) == []
    assert {t.app for t in report.targets} == {"one", "two"}


def test_chart_mode_names_none_also_when_a_chart_generates_applications(tmp_path: Path) -> None:
    """argocd-example-apps' apps/ linted in chart mode generates the Applications of the
    other charts: every top-level chart is linted, none named."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "apps")
    (repo / "apps" / "templates" / "web.yaml").write_text(
        application("web-prod", "charts/web", "web-prod"), "utf-8")
    _chart(repo, "charts/web")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert _undeployed(report) == []
    assert {t.app for t in report.targets} == {"apps", "web"}


_EMPTY_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: tools
spec:
  generators:
    - list:
        elements: []
  template:
    metadata:
      name: 'tools-{{`{{name}}`}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        path: 'tools/{{`{{name}}`}}'
{destination}"""


@pytest.mark.parametrize("destination", [
    "      destination:\n        server: https://kubernetes.default.svc\n"
    "        namespace: tools\n", ""], ids=["empty-list", "no-destination"])
def test_chart_mode_keeps_a_chart_that_writes_an_application_set_making_nothing(
        tmp_path: Path, destination: str) -> None:
    """A chart of one ApplicationSet beside a chart of Applications: the set it renders is an
    object Argo CD applies, so the chart is checked in each environment even when the set
    makes no Application (a list of no element), and a set the API server refuses (no
    destination) is k8s-schema's finding at the chart, not an Application with no name; it
    was dropped as a chart that generates nothing, and its findings with it."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "apps")
    (repo / "apps" / "templates" / "web.yaml").write_text(
        application("web-prod", "charts/web", "web-prod"), "utf-8")
    _chart(repo, "charts/web")
    _chart(repo, "sets")
    (repo / "sets" / "templates" / "tools.yaml").write_text(
        _EMPTY_SET.replace("{destination}", destination), "utf-8")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert {t.app for t in report.targets} == {"apps", "web", "sets"}
    assert [e.message for e in report.errors] == []
    refused = ("sets/templates/tools.yaml:12", "ApplicationSet/tools: spec.template.spec: "
               "required field 'destination' is missing")
    assert [(f.location, f.message) for f in report.findings if f.policy == "k8s-schema"] == (
        [] if destination else [refused] * len({t.id for t in report.targets if t.app == "sets"}))


def test_an_action_over_lines_in_a_set_path_is_a_wildcard(repo: Path, tmp_path: Path) -> None:
    """A template action written over lines (a folded ``path: >-``) is one wildcard, as one
    on a line is: the ApplicationSet's chart is deployed, not named."""
    import shutil

    copy = tmp_path / "repo"
    shutil.copytree(repo, copy)
    tools = copy / "apps" / "tools.yaml"
    tools.write_text(tools.read_text("utf-8").replace(
        "        path: 'tools/{{path.basename}}'\n",
        "        path: >-\n          tools/{{\n            path.basename }}\n"), "utf-8")
    assert [row[0] for row in _undeployed(lint(copy, cache_dir=tmp_path / "cache"))] == [
        "bootstrap/Chart.yaml", "examples/demo/Chart.yaml"]


@pytest.mark.parametrize("other", [False, True])
def test_an_application_that_does_not_read_still_points_at_its_chart(
        tmp_path: Path, other: bool) -> None:
    """An Application whose ``valueFiles`` is a string cannot be read (a could-not-check
    error): the repository still has Applications (no chart mode, which would lint its
    chart for prod), and its chart is not one "no Application deploys"."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "charts/one")
    broken = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: one\n"
              "spec:\n  project: default\n  source:\n    repoURL: https://git.example.com/r\n"
              "    path: charts/one\n    helm:\n      valueFiles: values.yaml\n"
              "  destination:\n    server: https://kubernetes.default.svc\n"
              "    namespace: one-prod\n")
    (repo / "apps").mkdir()
    (repo / "apps" / "one.yaml").write_text(broken, "utf-8")
    if other:
        _chart(repo, "charts/two")
        (repo / "apps" / "two.yaml").write_text(
            broken.replace("one", "two").replace("    helm:\n      valueFiles: values.yaml\n",
                                                 ""), "utf-8")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy) for e in report.errors] == [
        ("apps/one.yaml:11", "could-not-check")]
    assert [t.id for t in report.targets] == (["prod/two"] if other else [])
    assert _undeployed(report) == []


def test_a_rendered_application_that_does_not_read_is_one_error(tmp_path: Path) -> None:
    """An app-of-apps chart renders a child whose ``valueFiles`` holds a null: one
    could-not-check error at the template line (k8s-schema's finding of the same
    Application there is that problem again), and the child's chart is not one "no
    Application deploys"."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "chart")
    _chart(repo, "aoa")
    (repo / "aoa" / "templates" / "cm.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: child\n"
        "  namespace: argocd\nspec:\n  project: default\n  source:\n"
        "    repoURL: https://git.example.com/r\n    path: chart\n    helm:\n"
        "      valueFiles:\n      - {{ .Values.none }}\n  destination:\n"
        "    server: https://kubernetes.default.svc\n    namespace: web-prod\n", "utf-8")
    (repo / "apps").mkdir()
    (repo / "apps" / "root.yaml").write_text(
        application("root-prod", "aoa", "argocd", repo="https://git.example.com/r"), "utf-8")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy) for e in report.errors] == [
        ("aoa/templates/cm.yaml:13", "could-not-check")]
    assert [f.policy for f in report.findings if f.location == "aoa/templates/cm.yaml:13"] \
        == []
    assert _undeployed(report) == []


def test_nothing_is_undeployed_while_an_app_of_apps_chart_failed_to_render(
        tmp_path: Path) -> None:
    """The root deploys chart ``apps``, whose templates write Applications but whose remote
    dependency is not vendored: it cannot render here, so which charts its Applications
    deploy is not known, and none is named "deployed by none" (Argo CD builds the
    dependency and deploys them). A chart beside it is named once ``apps`` renders."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "child")
    _chart(repo, "apps", "dependencies:\n  - {name: dep, version: 1.0.0, "
                         "repository: 'https://charts.example.com'}\n")
    (repo / "apps" / "templates" / "cm.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: child\n"
        "spec:\n  project: default\n  source:\n    repoURL: https://git.example.com/r\n"
        "    path: {{ .Values.path }}\n  destination:\n"
        "    server: https://kubernetes.default.svc\n    namespace: child-prod\n", "utf-8")
    (repo / "apps" / "values.yaml").write_text("path: child\n", "utf-8")
    (repo / "root.yaml").write_text(
        application("root-prod", "apps", "argocd", repo="https://git.example.com/r"), "utf-8")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy) for e in report.errors] == [
        ("apps/Chart.yaml:5", "could-not-check")]
    assert _undeployed(report) == []
    (repo / "apps" / "Chart.yaml").write_text("apiVersion: v2\nname: apps\nversion: 0.1.0\n")
    (repo / "apps" / "values.yaml").write_text("path: elsewhere\n", "utf-8")
    assert [row[0] for row in _undeployed(lint(repo, cache_dir=tmp_path / "cache"))] == [
        "child/Chart.yaml"]


def test_nothing_is_undeployed_while_a_set_not_expanded_may_deploy_a_chart_of_applications(
        tmp_path: Path) -> None:
    """A clusters ApplicationSet (not expanded) deploys chart ``apps``, whose template writes
    the Application of ``child``: which charts it deploys is not known here, so none is named
    "deployed by none" (rackerlabs/understack); with a plain chart there, the other is."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "child")
    _chart(repo, "apps")
    (repo / "apps" / "templates" / "cm.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: child\n"
        "spec:\n  project: default\n  source:\n    repoURL: https://git.example.com/r\n"
        "    path: child\n  destination:\n"
        "    server: https://kubernetes.default.svc\n    namespace: child-prod\n", "utf-8")
    (repo / "set.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: root\n"
        "spec:\n  generators:\n    - clusters: {}\n  template:\n    metadata:\n"
        "      name: '{{name}}-root'\n    spec:\n      project: default\n      source:\n"
        "        repoURL: https://git.example.com/r\n        path: apps\n"
        "      destination:\n        server: '{{server}}'\n        namespace: argocd\n",
        "utf-8")
    assert _undeployed(lint(repo, cache_dir=tmp_path / "cache")) == []
    (repo / "apps" / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apps\n", "utf-8")
    assert [row[0] for row in _undeployed(lint(repo, cache_dir=tmp_path / "cache"))] == [
        "child/Chart.yaml"]


def test_a_chart_of_applications_no_application_deploys_is_the_one_named(
        tmp_path: Path) -> None:
    """A bootstrap chart installed by hand whose values describe an ApplicationSet for
    argo-helm's argocd-apps (a remote dependency, not rendered here) may deploy every chart
    and kustomization beside it: it is named, they are not. Without those values, all are."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "system/argocd", "dependencies:\n  - {name: argocd-apps, version: 2.0.2, "
                                  "repository: 'https://argoproj.github.io/argo-helm'}\n")
    (repo / "system" / "argocd" / "values.yaml").write_text(
        "argocd-apps:\n  applicationsets:\n    apps:\n      generators:\n"
        "        - git:\n            repoURL: https://git.example.com/r\n"
        "            directories: [{path: apps/*}]\n      template:\n        spec:\n"
        "          source: {repoURL: https://git.example.com/r, path: '{{path}}'}\n"
        "          destination: {server: https://kubernetes.default.svc, namespace: x}\n",
        "utf-8")
    _chart(repo, "apps/web")
    (repo / "apps" / "kz").mkdir(parents=True)
    (repo / "apps" / "kz" / "kustomization.yaml").write_text("resources: []\n", "utf-8")
    (repo / "arc.yaml").write_text(
        application("arc-prod", "apps/web", "arc-prod", repo="https://git.example.com/r"),
        "utf-8")
    _chart(repo, "apps/other")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [row[0::3] for row in _undeployed(report)] == [(
        "system/argocd/Chart.yaml", "chart argocd: no Application deploys it, so it is not "
        "checked; it may write Applications (a root installed by hand?), so the 2 other "
        "charts and kustomizations no Application here deploys are not named, and they are "
        "not checked either")]
    assert _kustomizations(report) == []
    (repo / "system" / "argocd" / "values.yaml").write_text("replicas: 1\n", "utf-8")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [row[0] for row in _undeployed(report)] == [
        "apps/other/Chart.yaml", "system/argocd/Chart.yaml"]
    assert [row[0] for row in _kustomizations(report)] == ["apps/kz/kustomization.yaml"]

def test_applications_a_chart_keeps_as_data_are_no_applications_of_the_repository(
        tmp_path: Path) -> None:
    """A chart whose template renders the Application files of its ``clusters/`` data
    directory (``.Files.Glob`` and ``tpl``, say into what another cluster applies): those
    files, with template actions, are never applied as they are: not Applications to check
    or reach, but what they point at is not "deployed by none"."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "fleet")
    (repo / "fleet" / "templates" / "cm.yaml").write_text(
        "{{- range $path, $_ := .Files.Glob \"clusters/*.yaml\" }}\n---\n"
        "{{ tpl ($.Files.Get $path) $ }}\n{{- end }}\n", "utf-8")
    (repo / "fleet" / "clusters").mkdir()
    (repo / "fleet" / "clusters" / "web.yaml").write_text(application(
        "web-{{ .Release.Name }}", "charts/web", "web-prod",
        repo="https://git.example.com/r"), "utf-8")
    _chart(repo, "charts/web")
    (repo / "root.yaml").write_text(
        application("fleet-prod", "fleet", "argocd", repo="https://git.example.com/r"),
        "utf-8")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.policy) for e in report.errors] == []
    assert [f.location for f in report.findings
            if f.policy in ("argocd-application", "undeployed-chart")] == []
    # an ApplicationSet's own template actions make no chart data of it
    (repo / "fleet" / "set.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: s\n"
        "spec:\n  goTemplate: true\n  generators: [{clusters: {}}]\n  template:\n"
        "    metadata: {name: '{{.name}}'}\n    spec:\n      project: default\n"
        "      source: {repoURL: 'https://git.example.com/r', path: charts/web}\n"
        "      destination: {server: '{{.server}}', namespace: web}\n", "utf-8")
    assert [f.location for f in lint(repo, cache_dir=tmp_path / "cache").findings
            if f.policy == "not-rendered"] == ["fleet/set.yaml:7"]

@pytest.mark.parametrize("joint", ["-", ".", "_"])
def test_chart_mode_names_a_values_file_of_no_configured_environment(tmp_path: Path,
                                                                       joint: str) -> None:
    """Chart mode renders a chart with ``values-<env>.yaml`` (or ``values.<env>.yaml``,
    ``values_<env>.yaml``) of
    each configured environment (prod and stg by default): ``values-dev.yaml`` renders
    nowhere, and says so at the file; ``values-prod.yaml`` is rendered and not named."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "charts/one")
    for name in ("prod", "dev"):
        (repo / "charts" / "one" / f"values{joint}{name}.yaml").write_text("a: 1\n", "utf-8")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert _undeployed(report) == [
        (f"charts/one/values{joint}dev.yaml", 1, Level.INFO, f"values file values{joint}dev"
         ".yaml: no configured environment is named 'dev', so the chart is not checked with it")]
    assert [(t.id, [v.rel for v in t.value_files]) for t in report.targets] == [
        ("prod/one", [f"charts/one/values{joint}prod.yaml"])]


def test_chart_mode_takes_the_values_file_an_environment_matches(tmp_path: Path) -> None:
    """A values file named as the environment's rules match an Application named
    ``<chart>-<name>`` in namespace ``<name>`` is that environment's: ``values-staging.yaml``
    is stg's; prod's own ``values-prod.yaml`` goes before ``values-production.yaml``, which
    is then named as no environment's, with ``values-dev.yaml``."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "charts/one")
    for name in ("prod", "production", "staging", "dev"):
        (repo / "charts" / "one" / f"values-{name}.yaml").write_text(f"a: {name}\n", "utf-8")
    _chart(repo, "charts/two")
    for name in ("staging", "common"):  # <name>-values.yaml: only an environment's counts
        (repo / "charts" / "two" / f"{name}-values.yaml").write_text(f"a: {name}\n", "utf-8")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted((t.id, [v.rel for v in t.value_files]) for t in report.targets) == [
        ("prod/one", ["charts/one/values-prod.yaml"]),
        ("stg/one", ["charts/one/values-staging.yaml"]),
        ("stg/two", ["charts/two/staging-values.yaml"])]
    assert [row[0] for row in _undeployed(report)] == [
        "charts/one/values-dev.yaml", "charts/one/values-production.yaml"]


def test_a_chart_failing_on_its_defaults_beside_unconfigured_values_files_says_so(
        tmp_path: Path) -> None:
    """A chart whose values files name no configured environment renders its values.yaml
    alone; when that fails, the could-not-check error's remedy names those files."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "charts/one")
    (repo / "charts" / "one" / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.global.env }}\n")
    for name in ("dev", "uat"):
        (repo / "charts" / "one" / f"values-{name}.yaml").write_text(
            f"global: {{env: {name}}}\n", "utf-8")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted((e.location, e.target) for e in report.errors) == [
        ("charts/one/templates/cm.yaml:4", "prod/one"),
        ("charts/one/templates/cm.yaml:4", "stg/one")]
    assert all("values-dev.yaml, values-uat.yaml name no configured environment"
               in (e.remediation or "") for e in report.errors)


def test_chart_mode_with_a_chart_and_a_directory_given_lints_both(tmp_path: Path) -> None:
    """``platecheck lint charts other/api``: the chart given and the top-level charts of the
    directory given beside it are each linted (the directory's were passed over)."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "charts/web")
    _chart(repo, "other/api")
    report = lint([repo / "charts", repo / "other" / "api"], cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report.targets) == ["prod/api", "prod/web", "stg/api",
                                                    "stg/web"]


def test_a_second_values_file_of_an_environment_is_named_as_such(tmp_path: Path) -> None:
    """``values-prod.yaml`` and ``values_prod.yaml``: prod renders the first; the second is
    named as prod's unused one (it said no environment was named prod)."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "charts/one")
    for joint in ("-", "_"):
        (repo / "charts" / "one" / f"values{joint}prod.yaml").write_text("a: 1\n", "utf-8")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(t.id, [v.rel for v in t.value_files]) for t in report.targets] == [
        ("prod/one", ["charts/one/values-prod.yaml"])]
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "undeployed-chart"] == [
        ("charts/one/values_prod.yaml:1", "values file values_prod.yaml: environment prod "
         "renders the chart with another values file of its name (values-<env>.yaml comes "
         "first), so the chart is not checked with it")]


def test_a_chart_of_one_environment_s_values_file_is_deployed_nowhere(tmp_path: Path) -> None:
    """Chart mode: ``one`` has production's values file alone, ``two`` staging's: neither
    is said deployed to one environment only (it was, by its sibling's environment, and
    said nothing linted alone)."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for chart, env in (("one", "prod"), ("two", "staging")):
        _chart(repo, f"charts/{chart}")
        (repo / "charts" / chart / f"values-{env}.yaml").write_text("a: 1\n", "utf-8")
    report = lint(repo / "charts", cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report.targets) == ["prod/one", "stg/two"]
    assert [f.message for f in report.findings if f.policy == "env-consistency"] == []


def test_chart_mode_names_each_unconfigured_environment_once(tmp_path: Path) -> None:
    """Charts sharing an environment name no configuration has: one finding for that name,
    at its first file, counting the others."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for name in ("one", "two", "three"):
        _chart(repo, f"charts/{name}")
        (repo / "charts" / name / "values-dev.yaml").write_text("a: 1\n", "utf-8")
    assert _undeployed(lint(repo, cache_dir=tmp_path / "cache")) == [
        ("charts/one/values-dev.yaml", 1, Level.INFO, "values file values-dev.yaml (and 2 "
         "other charts'): no configured environment is named 'dev', so the chart is not "
         "checked with it")]


# -- undeployed-kustomization -----------------------------------------------------------------

def _write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, "utf-8")


@pytest.fixture(scope="module")
def overlays(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each cluster's overlay of the base Applications, applied by a root outside the
    repository (as cybozu-go/neco-apps does), beside Kustomize sources Applications and an
    ApplicationSet deploy."""
    repo = tmp_path_factory.mktemp("overlays")
    (repo / ".git").mkdir()
    _chart(repo, "charts/web")
    config = "    kustomize:\n      namePrefix: x-\n"
    _write(repo, {
        "argocd-config/base/kustomization.yaml": "resources: [web.yaml, api.yaml]\n",
        "argocd-config/base/web.yaml": application("web-prod", "charts/web", "web-prod"),
        "argocd-config/base/api.yaml": application("api-prod", "charts/web", "api-prod"),
        "argocd-config/overlays/gcp/kustomization.yaml":
            "resources: [../../base]\nnamePrefix: gcp-\n",
        "argocd-config/overlays/stage/kustomization.yaml": "resources: [../../base]\n",
        # a cycle: each lists the other, nothing deploys either, nothing to name on top
        "loop/a/kustomization.yaml": "resources: [../b]\n",
        "loop/b/kustomization.yaml": "resources: [../a]\n",
        # deployed: an Application's own source, the directories of an ApplicationSet's
        # path pattern; not one inside a plain directory source (which reads its own files)
        "apps/settings.yaml": application("settings-prod", "settings", "settings-prod",
                                          source_extra=config),
        "settings/kustomization.yaml": "resources: [cm.yaml]\n",
        "settings/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n",
        "apps/plain.yaml": application("plain-prod", "plain", "plain-prod"),
        "plain/inner/kustomization.yaml": "resources: []\n",
        "apps/tools.yaml": TOOLS,
        "tools/api/kustomization.yaml": "resources: [cm.yaml]\n",
        "tools/api/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\n",
    })
    return repo


def _kustomizations(report: Report) -> list[tuple[str | None, int | None, Level, str]]:
    return [(f.file, f.line, f.level, f.message) for f in report.findings
            if f.policy == "undeployed-kustomization"]


def test_kustomizations_no_application_deploys_are_named_at_the_top(overlays: Path,
                                                                     tmp_path: Path) -> None:
    """The clusters' overlays of the base Applications, applied by hand (or by a root outside
    the repository), are checked as they build them: each is a target of no environment,
    the Applications it outputs (``gcp-`` named by one) are checked in the place of the
    files as written, each overlay's an install of its own; they are not named. A
    kustomization listing no Application is."""
    report = lint(overlays, cache_dir=tmp_path)
    assert not report.errors, report.errors
    assert _kustomizations(report) == [
        ("plain/inner/kustomization.yaml", 1, Level.INFO,
         "kustomization plain/inner: no Application deploys it, so it is not checked"),
    ]
    assert {"*/argocd-config/overlays/gcp", "*/argocd-config/overlays/stage", "prod/gcp-api",
            "prod/gcp-web"} <= {t.id for t in report.targets}


def test_kustomizations_are_named_for_the_whole_run_only(overlays: Path,
                                                         tmp_path: Path) -> None:
    assert _kustomizations(lint(overlays, cache_dir=tmp_path, environments=["prod"])) == []
    report = lint([overlays / "apps", overlays / "loop"], cache_dir=tmp_path)
    assert _kustomizations(report) == []  # under the linted paths only


@pytest.mark.parametrize("remote", [True, False])
def test_a_path_of_another_repository_deploys_nothing_here(tmp_path: Path,
                                                           remote: bool) -> None:
    """``path: .`` of another repository (the checkout's remote says which is this one)
    deploys that repository's files, not this one's: the kustomization here is named. With
    no remote, every repoURL is this repository, and ``.``, a directory source, deploys the
    files at its top, not the kustomization below: it is named all the same."""
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n'
                       if remote else "[core]\n",
        "apps/profiles.yaml": application("profiles-prod", ".", "profiles-prod",
                                          repo="https://git.example.com/profiles.git"),
        "overlays/prod/kustomization.yaml": "resources: []\n"})
    expected = [("overlays/prod/kustomization.yaml", 1, Level.INFO,
                 "kustomization overlays/prod: no Application deploys it, so it is not "
                 "checked")]
    assert _kustomizations(lint(repo, cache_dir=tmp_path / "cache")) == expected


def test_a_directory_source_deploys_no_chart_or_kustomization_below_it(tmp_path: Path) -> None:
    """A directory source reads the files of its path (and, recursing, of those below as
    files): a chart or kustomization in a subdirectory is never rendered or built by it, so
    it is named; a config management plugin's path holds what the plugin may build."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "clusters/b")
    _chart(repo, "tools/c")
    _write(repo, {
        "apps/clusters.yaml": application("clusters-prod", "clusters", "clusters-prod"),
        "apps/tools.yaml": application("tools-prod", "tools", "tools-prod",
                                       source_extra="    plugin:\n      name: tool\n"),
        "clusters/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        "clusters/a/kustomization.yaml": "resources: []\n",
        "tools/x/kustomization.yaml": "resources: []\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [row[0] for row in _kustomizations(report)] == ["clusters/a/kustomization.yaml"]
    assert [row[0] for row in _undeployed(report)] == ["clusters/b/Chart.yaml"]


def test_charts_deployed_through_a_link_or_vendored_for_kustomize_are_not_named(
        tmp_path: Path) -> None:
    """A source path that is a link to the chart deploys it; so does a kustomization whose
    ``helmCharts`` inflate a chart vendored as kustomize lays it out for an entry with a
    version (``charts/<name>-<version>/<name>``) or under ``helmGlobals.chartHome`` (or a
    ``HelmChartInflationGenerator``'s ``chartHome``), or a link there leads to."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "charts/web")
    (repo / "envs" / "prod").mkdir(parents=True)
    (repo / "envs" / "prod" / "web").symlink_to("../../charts/web")
    _chart(repo, "kust/charts/api-0.1.0/api")
    _chart(repo, "kust2/vendor/db")
    _chart(repo, "kust3/inflated/cache")  # a generator's own chartHome
    _chart(repo, "examples/demo")
    _write(repo, {
        "apps/web.yaml": application("web-prod", "envs/prod/web", "web-prod"),
        "apps/api.yaml": application("api-prod", "kust", "api-prod"),
        "apps/db.yaml": application("db-prod", "kust2", "db-prod"),
        "apps/cache.yaml": application("cache-prod", "kust3", "cache-prod"),
        "kust3/kustomization.yaml": "generators:\n  - helm.yaml\n",
        "kust3/helm.yaml": "apiVersion: builtin\nkind: HelmChartInflationGenerator\n"
                           "metadata:\n  name: cache\nname: cache\nchartHome: inflated\n",
        "kust3/inflated/cache/values.yaml": "{}\n",
        "kust/kustomization.yaml": "helmCharts:\n  - name: api\n    repo: "
                                   "https://charts.example.com\n    version: 0.1.0\n",
        "kust2/kustomization.yaml": "helmGlobals:\n  chartHome: vendor\n"
                                    "helmCharts:\n  - name: db\n",
        # kustomize reads a vendored chart's values.yaml
        "kust/charts/api-0.1.0/api/values.yaml": "{}\n",
        "kust2/vendor/db/values.yaml": "{}\n",
    })
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert not report.errors, report.errors
    assert [row[0] for row in _undeployed(report)] == ["examples/demo/Chart.yaml"]


def test_a_chart_or_kustomization_in_a_deployed_charts_directory_is_named(
        tmp_path: Path) -> None:
    """helm renders a chart's ``templates/`` and the subcharts of its ``charts/``: a chart or
    kustomization elsewhere in its directory is files to helm, rendered by nobody, unless a
    ``file://`` dependency names it (Mayne0213/lumie-infra's ``app/extra``)."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "app", "dependencies:\n  - name: dep\n    version: 0.1.0\n"
                        "    repository: file://deps/dep\n")
    _chart(repo, "app/extra")
    _chart(repo, "app/deps/dep")
    _chart(repo, "lonely", "dependencies:\n  - name: inner\n    version: 0.1.0\n"
                           "    repository: file://./inner\n")
    _chart(repo, "lonely/inner")  # renders with lonely, which is named
    _write(repo, {
        "apps/app.yaml": application("app-prod", "app", "app-prod"),
        "app/overlay/kustomization.yaml": "resources: [cm.yaml]\n",
        "app/overlay/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o\n",
    })
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [row[0] for row in _undeployed(report)] == ["app/extra/Chart.yaml",
                                                       "lonely/Chart.yaml"]
    assert [row[0] for row in _kustomizations(report)] == ["app/overlay/kustomization.yaml"]


def test_a_repository_whose_root_is_a_chart_is_walked_for_its_applications(
        tmp_path: Path) -> None:
    """An umbrella Chart.yaml at the root of a repository of Applications
    (VotingM7011E/gitops): Argo CD deploys the Applications, so they are what is checked,
    not the root chart alone in chart mode; the root chart no Application deploys is
    named."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "Chart.yaml").write_text("apiVersion: v2\nname: umbrella\nversion: 0.1.0\n")
    _chart(repo, "web")
    _write(repo, {"apps/web.yaml": application("web-prod", "web", "web-prod")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [t.id for t in report.targets] == ["prod/web"]
    assert [row[0] for row in _undeployed(report)] == ["Chart.yaml"]
    alone = lint(repo / "web", cache_dir=tmp_path / "cache")  # a chart without Applications
    assert [t.id for t in alone.targets] == ["prod/web", "stg/web"]


def test_applications_a_hand_applied_kustomization_lists_with_a_root_are_reached(
        tmp_path: Path) -> None:
    """``bootstrap/kustomization.yaml`` (nothing deploys it: ``kubectl apply -k``) lists an
    app-of-apps and an Application beside it: applying the root applies both, so neither
    is an orphan. One the kustomization does not list (ozeliurs/dunite-kub) is not deployed:
    named, not checked."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/HEAD": "",
        "bootstrap/kustomization.yaml": "resources: [workloads.yaml, system.yaml]\n",
        "bootstrap/workloads.yaml": application("workloads", "apps", "argocd"),
        "bootstrap/system.yaml": application("system", "system", "system"),
        "bootstrap/stray.yaml": application("stray", "stray", "stray"),
        "apps/web.yaml": application("web", "web", "web"),
        **{f"{name}/cm.yaml": cm.format(name=name) for name in ("system", "stray", "web")}})
    for environments in (None, ["default"]):  # a run of some environments alike
        report = lint(repo, cache_dir=tmp_path / "cache", environments=environments)
        assert [(f.location, f.message) for f in report.findings
                if f.policy == "argocd-application"
                or f.policy == "undeployed-kustomization" and "stray" in f.message] == [
            ("bootstrap/stray.yaml:4", "Application stray: the kustomization bootstrap, applied "
             "by hand, does not list its file, so it is not deployed, nor checked")]
        assert "default/stray" not in [t.id for t in report.targets]


def test_a_dependency_of_requirements_yaml_is_deployed_with_its_chart(tmp_path: Path) -> None:
    """An apiVersion v1 chart declares its ``file://`` dependency in requirements.yaml, which
    helm reads and renders: the dependency is not named as a chart no Application deploys."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "apps").mkdir()
    (repo / "apps" / "web.yaml").write_text(application("web", "charts/web", "web"), "utf-8")
    _chart(repo, "charts/web")
    (repo / "charts" / "web" / "Chart.yaml").write_text(
        "apiVersion: v1\nname: web\nversion: 0.1.0\n", "utf-8")
    (repo / "charts" / "web" / "requirements.yaml").write_text(
        "dependencies:\n  - name: child\n    version: 0.1.0\n    repository: file://../child\n",
        "utf-8")
    _chart(repo, "charts/child")
    _chart(repo, "charts/unused")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [file for file, *_ in _undeployed(report)] == ["charts/unused/Chart.yaml"]


@pytest.mark.parametrize("key", ["transformers", "generators", "validators"])
def test_a_kustomization_a_build_reads_as_its_plugins_is_not_named(tmp_path: Path,
                                                                    key: str) -> None:
    """``settings`` lists ``../labels`` among its ``transformers`` (or generators, or
    validators): the build reads that kustomization, so it is no build of its own."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _write(repo, {
        "apps/settings.yaml": application("settings-prod", "settings", "settings-prod"),
        "settings/kustomization.yaml": f"resources: [cm.yaml]\n{key}: [../labels]\n",
        "settings/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n",
        "labels/kustomization.yaml": "resources: [label.yaml]\n",
        "labels/label.yaml": "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n"
                             "  name: team\nlabels: {team: blue}\nfieldSpecs:\n"
                             "  - path: metadata/labels\n    create: true\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert _kustomizations(report) == []


def test_a_kustomization_of_an_application_set_counts_its_file(tmp_path: Path) -> None:
    """A kustomization no Application deploys lists an ApplicationSet's file: that file was
    checked as written, as an Application's is, and the finding says so."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    appset = ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n"
              "  name: web\n  namespace: argocd\nspec:\n  generators:\n    - list:\n"
              "        elements:\n          - env: prod\n  template:\n    metadata:\n"
              "      name: 'web-{{env}}'\n    spec:\n      project: default\n      source:\n"
              "        repoURL: https://git.example.com/repo.git\n        path: web\n"
              "      destination:\n        server: https://kubernetes.default.svc\n"
              "        namespace: 'web-{{env}}'\n")
    _write(repo, {"argocd/kustomization.yaml": "resources: [set.yaml]\n",
                  "argocd/set.yaml": appset,
                  "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    assert _kustomizations(lint(repo, cache_dir=tmp_path / "cache")) == [
        ("argocd/kustomization.yaml", 1, Level.INFO,
         "kustomization argocd: no Application deploys it, so it is not checked; the file of "
         "Applications (or ApplicationSets) it lists was checked as written, not as it builds "
         "it")]


_SET_OF = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: {name}
  namespace: argocd
spec:
  generators:
    - clusters: {{}}
  template:
    metadata:
      name: '{name}-{{{{`{{{{name}}}}`}}}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        path: {path}
        helm:
          parameters:
            - name: cluster.url
              value: '{{{{`{{{{server}}}}`}}}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: argocd
"""
_LEAF_APP = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
             "  name: leaf-{{ .Values.cluster.id }}\n  namespace: argocd\nspec:\n"
             "  project: default\n  destination:\n    server: {{ .Values.cluster.url }}\n"
             "    namespace: workload\n  source:\n    repoURL: https://git.example.com/other.git\n"
             "    path: workload\n    plugin:\n      name: vault\n")


@pytest.mark.parametrize("leaf", ["aleaf", "zleaf"])
def test_a_chart_below_a_chain_of_sets_not_expanded_is_not_rendered_alone(
        tmp_path: Path, leaf: str) -> None:
    """Chart mode: bootstrap's set (not expanded) deploys mid, whose set deploys the leaf
    chart with the cluster's URL: Argo CD never renders the leaf with its own values alone,
    so its Application (no server without that URL) is not checked, whatever the leaf
    chart's directory is called (``zleaf`` sorted after ``mid`` was rendered alone)."""
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        f"roots/{leaf}/values.yaml": "cluster:\n  id: c1\n",
        "roots/bootstrap/Chart.yaml": "apiVersion: v2\nname: bootstrap\nversion: 1.0.0\n",
        "roots/bootstrap/templates/set.yaml": _SET_OF.format(name="mids", path="roots/mid"),
        "roots/mid/Chart.yaml": "apiVersion: v2\nname: mid\nversion: 1.0.0\n",
        "roots/mid/templates/set.yaml": _SET_OF.format(name="leaves", path=f"roots/{leaf}"),
        f"roots/{leaf}/Chart.yaml": "apiVersion: v2\nname: leaf\nversion: 1.0.0\n",
        f"roots/{leaf}/templates/app.yaml": _LEAF_APP})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted(f.policy for f in report.findings) == ["not-rendered", "undeployed-chart"]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_chart_in_a_chart_home_no_helm_charts_entry_names_is_named(tmp_path: Path) -> None:
    """kustomize inflates ``<chartHome>/<name>`` of each ``helmCharts`` entry only: ``y``
    beside the inflated ``x`` in ``charts/`` is deployed by nothing (it was taken for one a
    build inflates)."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "kust").mkdir()
    (repo / "kust" / "kustomization.yaml").write_text(
        "helmCharts:\n  - {name: x, releaseName: x}\n", "utf-8")
    _chart(repo, "kust/charts/x")
    _chart(repo, "kust/charts/y")
    (repo / "app.yaml").write_text(application("web", "kust", "web"), "utf-8")
    assert [row[0] for row in _undeployed(lint(repo, cache_dir=tmp_path / "cache"))] == [
        "kust/charts/y/Chart.yaml"]


def test_chart_mode_lints_a_chart_inside_another_chart_s_directory(tmp_path: Path) -> None:
    """The repository's root is a chart and ``east/`` a chart of its own (not in the root's
    ``charts/``, so no subchart: helm renders none of it with the root): chart mode lints it
    too (it was passed over in silence)."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, ".")
    _chart(repo, "east")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted(t.id for t in report.targets) == [
        "prod/east", "prod/repo", "stg/east", "stg/repo"]


def test_a_chart_of_applications_with_values_of_no_configured_environment_names_no_child(
        tmp_path: Path) -> None:
    """Chart mode: ``envs`` writes the Application of ``web`` only with
    ``values-idfdev.yaml``, an environment not configured, which renders nowhere: whether
    ``web`` is deployed is not known, so it is not named (the values file is)."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _chart(repo, "apps/web")
    _chart(repo, "envs")
    (repo / "envs" / "templates" / "cm.yaml").write_text(
        "{{- if .Values.web }}\napiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n"
        "  source:\n    repoURL: https://git.example.com/r\n    path: apps/web\n"
        "  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n"
        "{{- end }}\n", "utf-8")
    (repo / "envs" / "values.yaml").write_text("web: false\n", "utf-8")
    (repo / "envs" / "values-idfdev.yaml").write_text("web: true\n", "utf-8")
    (repo / "envs" / "templates" / "base.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: base\n"
        "  namespace: argocd\nspec:\n  project: default\n  source:\n"
        "    repoURL: https://git.example.com/r\n    path: apps/base\n  destination:\n"
        "    server: https://kubernetes.default.svc\n    namespace: base\n", "utf-8")
    _chart(repo, "apps/base")
    assert [row[0] for row in _undeployed(lint(repo, cache_dir=tmp_path / "cache"))] == [
        "envs/values-idfdev.yaml"]


_PLACEHOLDER_ROOT = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
  namespace: argocd
spec:
  project: default
  source:
    repoURL: PLACEHOLDER
    path: PLACEHOLDER
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
"""


def _bootstrap(repo: Path, extra: str = "") -> Path:
    """A bootstrap overlay applied by hand (``kubectl apply -k bootstrap/overlays/prod``)
    patching a base Application of placeholders into the root of ``apps/web/prod``."""
    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/base/kustomization.yaml": "resources: [root.yaml]\n",
        "bootstrap/base/root.yaml": _PLACEHOLDER_ROOT,
        "bootstrap/overlays/prod/kustomization.yaml": (
            f"resources:\n  - ../../base\n{extra}patches:\n"
            "  - target: {kind: Application, name: root}\n    patch: |-\n"
            "      - {op: replace, path: /spec/source/repoURL, "
            "value: 'https://git.example.com/repo.git'}\n"
            "      - {op: replace, path: /spec/source/path, value: apps/web/prod}\n"),
        "apps/web/prod/pod.yaml": ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
                                   "  namespace: web\nspec:\n  containers:\n"
                                   "    - name: c\n      image: nginx:latest\n")})
    return repo


@pytest.mark.parametrize("given", [".", "bootstrap/overlays/prod"])
def test_a_bootstrap_overlay_applied_by_hand_is_checked_as_it_builds(
        tmp_path: Path, given: str) -> None:
    """The overlay no Application deploys patches the base Application's placeholders: Argo
    CD receives what it builds, never the base as written. The root it outputs is checked
    (and what it deploys, the Pod's floating tag), not the placeholders (a source path
    that does not exist), and the overlay is not named undeployed; so too when the overlay
    alone is linted (it was "nothing to check")."""
    repo = _bootstrap(tmp_path / "repo")
    report = lint(repo / given, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert _kustomizations(report) == []
    assert sorted(t.id for t in report.targets) == ["*/bootstrap/overlays/prod", "default/root"]
    assert [f.location for f in report.findings if f.policy == "resource-ranges"] == [
        "apps/web/prod/pod.yaml:8"]


def test_a_bootstrap_overlay_that_cannot_be_built_is_could_not_check(
        tmp_path: Path) -> None:
    """An overlay kustomize cannot build here (a remote resource) that patches its base's
    Application: what Argo CD receives is not known, a could-not-check error at the remote
    entry (it said nothing of its own, and was named undeployed); its base Application is
    checked as written (its placeholder repoURL no repository platecheck renders)."""
    repo = _bootstrap(tmp_path / "repo", "  - https://example.com/install.yaml\n")
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.target) for e in report.errors] == [
        ("bootstrap/overlays/prod/kustomization.yaml:3", "*/bootstrap/overlays/prod")]
    assert [f.location for f in report.findings if f.policy == "not-rendered"] == [
        "bootstrap/base/root.yaml:8"]
    assert _kustomizations(report) == []


@pytest.mark.parametrize(("change", "unknown"), [
    ("nameSuffix: -prod\n", True),
    ("commonLabels: {environment: production}\n", True),
    ("labels: [{pairs: {environment: production}}]\n", True),
    ("patches: [{path: suffix.yaml}]\n", True),  # a strategic merge patch naming its kind
    ("patchesStrategicMerge: [suffix.yaml]\n", True),
    ("patches: [{path: suffix.json}]\n", True),  # in JSON
    ("patches: [{path: commented.yaml}]\n", True),  # a comment after the kind
    ("patches: [{path: linked.yaml}]\n", True),  # through a link in the repository
    ("patches: [{path: other.yaml}]\n", False),  # (a patch of another kind)
    ("namespace: argocd\n", False),  # (names and labels as written)
], ids=["name-suffix", "common-labels", "labels", "patch-file", "strategic-merge", "json",
        "commented", "linked", "other-patch", "namespace"])
def test_an_overlay_renaming_its_applications_that_cannot_be_built_is_could_not_check(
        tmp_path: Path, change: str, unknown: bool) -> None:
    """An overlay applied by hand that renames or labels the Application it lists (names and
    labels say its environment) and that kustomize cannot build here (a generator plugin,
    a remote resource): what Argo CD receives is not known, a could-not-check error; one
    that changes neither is named undeployed, its Application checked as written."""
    _write(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "envs/prod/web.yaml": application("web", "apps/web", "web"),
        "envs/prod/suffix.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
                                 "metadata:\n  name: web\n  labels: {tier: web}\n",
        "envs/prod/other.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
        "envs/prod/suffix.json": '{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",'
                                 ' "metadata": {"name": "web", "labels": {"tier": "web"}}}\n',
        "envs/prod/commented.yaml": "apiVersion: argoproj.io/v1alpha1\n"
                                    "kind: Application  # the bootstrap's\n"
                                    "metadata:\n  name: web\n  labels: {tier: web}\n",
        "envs/prod/kustomization.yaml": "resources:\n  - web.yaml\n"
                                        "  - https://example.com/install.yaml\n" + change,
        "apps/web/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"})
    (tmp_path / "repo" / "envs" / "prod" / "linked.yaml").symlink_to("suffix.yaml")
    report = lint(tmp_path / "repo", cache_dir=tmp_path / "cache")
    assert [(e.location, e.target) for e in report.errors] == (
        [("envs/prod/kustomization.yaml:3", "*/envs/prod")] if unknown else [])
    assert [f.location for f in report.findings if f.policy == "undeployed-kustomization"] \
        == ([] if unknown else ["envs/prod/kustomization.yaml:1"])


def test_a_patch_a_link_names_is_no_application_of_its_own(tmp_path: Path) -> None:
    """An overlay's patch of an Application read through a link in the repository
    (``patch.yaml -> patches/app.yaml``): the file it leads to is the patch, no Application
    of its own (it was one, of no project, destination or source, and a second ``web``)."""
    _write(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "apps/web.yaml": application("web", "web", "web"),
        "apps/kustomization.yaml": "resources: [web.yaml]\n",
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "bootstrap/kustomization.yaml": "resources: [../apps]\npatches: [{path: patch.yaml}]\n",
        "bootstrap/patches/app.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
                                      "metadata:\n  name: web\n  namespace: argocd\nspec:\n"
                                      "  source: {targetRevision: main}\n"})
    (tmp_path / "repo" / "bootstrap" / "patch.yaml").symlink_to("patches/app.yaml")
    report = lint(tmp_path / "repo", cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.location for f in report.findings if f.policy == "argocd-application"] == []


def test_a_renaming_kustomization_of_no_applications_that_cannot_be_built_is_named(
        tmp_path: Path) -> None:
    """An operator's scaffold (``config/default`` with ``namePrefix``, ``config/manifests``
    listing a file a generator writes) lists no Application: it cannot be built, and is
    named undeployed (at info), no could-not-check error."""
    _write(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "apps/web.yaml": application("web", "web", "web"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "op/config/default/kustomization.yaml": "namePrefix: op-\nresources: [cm.yaml]\n",
        "op/config/default/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                     "  name: settings\n",
        "op/config/manifests/kustomization.yaml": (
            "resources:\n  - bases/generated.clusterserviceversion.yaml\n  - ../default\n")})
    report = lint(tmp_path / "repo", cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.location for f in report.findings if f.policy == "undeployed-kustomization"] \
        == ["op/config/manifests/kustomization.yaml:1"]


def test_a_bootstrap_kustomization_applied_alone_goes_to_the_repository_s_argo_cd(
        tmp_path: Path) -> None:
    """One kustomization applied by hand (labels on its Applications) is checked as it
    builds them, and its Applications go to the Argo CD of the repository's others: a name
    one of them has too is a conflict, as when the files were checked as written."""
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "system/kustomization.yaml": "resources: [sealed.yaml]\ncommonLabels: {tier: system}\n",
        "system/sealed.yaml": application("sealed", "web", "sealed"),
        "apps/sealed.yaml": application("sealed", "web", "sealed-dev"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert "*/system" in {t.id for t in report.targets}
    assert _kustomizations(report) == []
    assert [f.message.split(":")[0] for f in report.findings
            if f.policy == "argocd-application" and "also used" in f.message] == [
        "Application sealed"]


def test_clusters_overlays_of_a_base_set_discovery_cannot_read_are_built(
        tmp_path: Path) -> None:
    """The base ApplicationSet's list holds a placeholder (no map: Argo CD's list generator
    would fail on it), which each cluster's overlay, applied by hand, replaces: each overlay
    is built and its set expanded, the base as written is no error, and the Application of
    one name cluster b's set cannot plan is an error of an id of its own (it was cluster a's,
    which renders)."""
    repo = tmp_path / "repo"
    base = ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: ops\n"
            "  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n"
            "          - patch-me\n  template:\n    metadata:\n      name: '{{name}}'\n"
            "    spec:\n      project: default\n      source:\n"
            "        repoURL: https://git.example.com/repo.git\n        path: '{{path}}'\n"
            "      destination:\n        server: https://kubernetes.default.svc\n"
            "        namespace: '{{name}}'\n")

    def overlay(path: str) -> str:
        return ("resources: [../../base]\npatches:\n  - target: {kind: ApplicationSet}\n"
                "    patch: |-\n      - op: replace\n"
                "        path: /spec/generators/0/list/elements\n"
                f"        value: [{{name: web, path: {path}}}]\n")

    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "base/kustomization.yaml": "resources: [set.yaml]\n", "base/set.yaml": base,
        "clusters/a/kustomization.yaml": overlay("app"),
        "clusters/b/kustomization.yaml": overlay("missing"),
        "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    targets = {t.id for t in report.targets}
    assert {"*/clusters/a", "*/clusters/b", "default/web"} <= targets
    assert [(e.location, e.target) for e in report.errors] == [
        ("base/set.yaml:18", "default/web@base/set.yaml:10")]
    assert "default/web@base/set.yaml:10" not in targets


def test_clusters_overlays_each_listing_a_file_of_their_own_are_installs_of_their_own(
        tmp_path: Path) -> None:
    """Two clusters' overlays of one base each list an Application file of their own named
    alike (``extra``): each goes to its cluster's Argo CD with the rest of its overlay, so
    the two are no conflict (they were, checked as the files are written)."""
    repo = tmp_path / "repo"
    extra = application("extra", "app", "extra")
    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "base/kustomization.yaml": "resources: [shared.yaml]\n",
        "base/shared.yaml": application("shared", "app", "shared"),
        # (each patches the base's Application, and leaves its own file as written)
        **{f"overlays/{name}/kustomization.yaml":
           "resources: [../../base, extra.yaml]\npatches:\n"
           "  - target: {kind: Application, name: shared}\n"
           "    patch: |-\n      - op: add\n        path: /metadata/labels\n"
           f"        value: {{cluster: {name}}}\n"
           for name in ("a", "b")},
        "overlays/a/extra.yaml": extra, "overlays/b/extra.yaml": extra,
        "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.message for f in report.findings if f.policy == "argocd-application"] == []
    assert {"*/overlays/a", "*/overlays/b"} <= {t.id for t in report.targets}


@pytest.mark.parametrize("vendored", [False, True], ids=["remote-chart", "vendored-chart"])
def test_a_bootstrap_kustomization_inflating_an_app_of_apps_chart_is_checked(
        tmp_path: Path, vendored: bool) -> None:
    """``kubectl apply -k bootstrap`` inflates a chart whose values describe the cluster's
    Applications (lists no Application file): vendored, what it outputs is planned and
    what that deploys checked (a Pod's floating tag); not vendored, a could-not-check error
    at the chart's entry (it was an info that no Application deploys it, exit 0)."""
    chart = {"bootstrap/charts/apps-0.1.0/apps/Chart.yaml": "apiVersion: v2\nname: apps\n"
                                                             "version: 0.1.0\n",
             "bootstrap/charts/apps-0.1.0/apps/templates/apps.yaml":
                 "{{- range .Values.apps }}\n---\n" + application(
                     "{{ .name }}", "{{ .path }}", "{{ .name }}") + "{{- end }}\n"}
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/kustomization.yaml": (
            "helmCharts:\n  - name: apps\n    version: 0.1.0\n"
            "    repo: https://charts.example.com\n    valuesFile: values.yaml\n"),
        "bootstrap/values.yaml": "apps:\n  - name: web-prod\n    path: web\n"
                                 "    repoURL: https://git.example.com/repo.git\n"
                                 "    destination: {namespace: web}\n",
        "web/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
                        "  containers:\n    - name: c\n      image: nginx:latest\n",
        **(chart if vendored else {})})
    report = lint(repo, cache_dir=tmp_path / "cache")
    if vendored:
        assert report.errors == ()
        assert [f.policy for f in report.findings if f.file == "web/pod.yaml"
                and f.policy == "image-tag-pinned"] == ["image-tag-pinned"]
    else:
        assert [(e.location, e.target) for e in report.errors] == [
            ("bootstrap/kustomization.yaml:2", "*/bootstrap")]


@pytest.mark.usefixtures("kubectl_bin")
def test_each_clusters_bootstrap_overlay_of_one_base_is_an_install_of_its_own(
        tmp_path: Path) -> None:
    """``argocd/dev`` and ``argocd/local``, applied by hand, each install Argo CD from
    ``../base`` and list their own copy of the Application web, and comment out extra
    (Andrey-Omelyanuk/dev-cluster): two Argo CDs, so web's name is no conflict (it was, and
    so was extra's); extra, listed by neither, is not deployed: named, not checked."""
    repo = tmp_path / "repo"
    overlay = "namespace: argocd\nresources:\n  - ../base\n  - apps/web.yml\n  # - apps/extra.yml\n"
    _write(repo, {
        ".git/HEAD": "",
        "argocd/base/kustomization.yml": "resources: [namespace.yml]\n",
        "argocd/base/namespace.yml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: argocd\n",
        **{f"argocd/{cluster}/{rel}": text for cluster in ("dev", "local") for rel, text in (
            ("kustomization.yml", overlay),
            ("apps/web.yml", application("web", "manifests/web", "web")),
            ("apps/extra.yml", application("extra", "manifests/web", "extra")))},
        "manifests/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.location, f.message) for f in report.findings if f.level is Level.ERROR] == []
    assert [(f.location, f.message) for f in report.findings if "extra" in f.message] == [
        (f"argocd/{cluster}/apps/extra.yml:4", f"Application extra: the kustomization "
         f"argocd/{cluster}, applied by hand, does not list its file, so it is not deployed, "
         "nor checked") for cluster in ("dev", "local")]
    assert not any("extra" in t.id for t in report.targets)


def test_a_kustomization_at_the_root_leaves_out_only_the_files_beside_it(tmp_path: Path) -> None:
    """``kustomization.yaml`` at the repository root, applied by hand, lists ``root.yaml``:
    ``standalone/other.yaml``, a root of its own in another tree, is still checked (a true
    finding of it was lost); ``spare.yaml`` beside it, not listed, is not deployed."""
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/HEAD": "", "kustomization.yaml": "resources: [root.yaml]\n",
        "root.yaml": application("root", "manifests/web", "web"),
        "spare.yaml": application("spare", "manifests/spare", "spare"),
        "standalone/other.yaml": application("other", "manifests/web", "web"),
        "manifests/web/cm.yaml": cm, "manifests/spare/cm.yaml": cm})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(t.id for t in report.targets) == ["default/other", "default/root"]
    assert [f.location for f in report.findings if "deployed by both" in f.message] == [
        "manifests/web/cm.yaml:4"]
    assert [(f.location, f.message) for f in report.findings if "spare" in f.message] == [
        ("spare.yaml:4", "Application spare: the kustomization at the repository root, "
         "applied by hand, does not list its file, so it is not deployed, nor checked")]


@pytest.mark.usefixtures("kubectl_bin")
def test_an_application_file_a_base_does_not_list_is_not_deployed(tmp_path: Path) -> None:
    """``apps/overlays/prod``, applied by hand, builds ``apps/base``, which lists web.yaml
    and comments out old.yaml (redhat-na-ssa/demo-ai-gitops-catalog): the build outputs web
    alone, so old is not deployed: named, not checked (its placeholder source was a false
    not-rendered error)."""
    patch = ("patches:\n  - target: {group: argoproj.io, kind: Application}\n    patch: |-\n"
             "      - op: replace\n        path: /spec/source/repoURL\n"
             "        value: https://git.example.com/repo.git\n")
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "apps/base/kustomization.yaml": "resources:\n  - web.yaml\n  # - old.yaml\n",
        "apps/base/web.yaml": application("web", "workloads/web", "web", repo="patch-me"),
        "apps/base/old.yaml": application("old", "workloads/old", "old", repo="patch-me"),
        "apps/overlays/prod/kustomization.yaml": f"resources: [../../base]\n{patch}",
        "workloads/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f for f in report.findings if f.level is Level.ERROR] == []
    assert [(f.location, f.message) for f in report.findings if "old" in f.message] == [
        ("apps/base/old.yaml:4", "Application old: the kustomization apps/base (a base of "
         "apps/overlays/prod), applied by hand, does not list its file, so it is not "
         "deployed, nor checked")]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_kustomization_a_chart_of_applications_may_deploy_is_not_said_applied_by_hand(
        tmp_path: Path) -> None:
    """``clusters/a/workloads`` comments out ollama.yaml, and the Application workloads the
    chart ``bootstrap`` renders deploys it (osowski/confluent-platform-gitops): its file is
    one the root does not reach (an error, as before), not one a kustomization applied by
    hand leaves out (an info saying what is not true)."""
    workloads = application("workloads", "clusters/{{ .Values.name }}/workloads", "argocd")
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/Chart.yaml": "apiVersion: v2\nname: bootstrap\nversion: 0.1.0\n",
        "bootstrap/values.yaml": "name: default\n",
        "bootstrap/templates/workloads.yaml": workloads,
        "clusters/a/bootstrap.yaml": application("bootstrap", "bootstrap", "argocd",
                                                 source_extra="    helm:\n"
                                                 "      valuesObject: {name: a}\n"),
        "clusters/a/workloads/kustomization.yaml": "resources:\n  - web.yaml\n  #- ollama.yaml\n",
        "clusters/a/workloads/web.yaml": application("web", "manifests", "web"),
        "clusters/a/workloads/ollama.yaml": application("ollama", "manifests", "ollama"),
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.policy) for f in report.findings if "ollama" in f.message] == [
        ("clusters/a/workloads/ollama.yaml:4", "argocd-application")]


@pytest.mark.usefixtures("kubectl_bin")
def test_what_a_labelled_child_s_unbuilt_kustomization_lists_is_reached(tmp_path: Path
                                                                       ) -> None:
    """``apps/`` labels the Application ``mid`` it lists (so ``mid`` is its build's), and
    ``mid``'s own kustomization lists ``children/web.yaml`` and a remote resource: not built
    here, what it lists is still what it deploys, so ``web`` is reached, not an orphan (the
    remote entry is the could-not-check error)."""
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/HEAD": "", "root.yaml": application("root", "apps", "argocd"),
        "apps/kustomization.yaml": ("labels:\n  - pairs: {team: platform}\n"
                                    "resources: [mid.yaml]\n"),
        "apps/mid.yaml": application("mid", "apps/mid", "argocd"),
        "apps/mid/kustomization.yaml": ("resources:\n  - children/web.yaml\n"
                                        "  - https://example.com/raw/other-app.yaml\n"),
        "apps/mid/children/web.yaml": application("web", "web", "web"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [e.location for e in report.errors] == ["apps/mid/kustomization.yaml:3"]
    assert [f.message for f in report.findings if "not reachable" in f.message] == []


@pytest.mark.usefixtures("kubectl_bin")
def test_nothing_is_named_while_a_kustomization_of_an_app_of_apps_chart_cannot_be_built(
        tmp_path: Path) -> None:
    """A bootstrap kustomization inflating an app-of-apps chart that is not vendored
    (gnunn-gitops/cluster-config): what its values deploy is not known, so no kustomization
    is said to be deployed by none (``apps/web`` is, by those values)."""
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/kustomization.yaml": "helmCharts:\n  - name: app-of-apps\n"
                                        "    version: 0.4.1\n"
                                        "    repo: https://charts.example.com\n"
                                        "    valuesFile: values.yaml\n",
        "bootstrap/values.yaml": "applications:\n  web:\n    destination:\n"
                                 "      namespace: web\n    source:\n"
                                 "      repoURL: https://git.example.com/repo.git\n"
                                 "      path: apps/web\n",
        "apps/web/kustomization.yaml": "resources: [cm.yaml]\n",
        "apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
        "apps/other.yaml": application("other", "manifests", "other"),
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o\n",
    })
    report_ = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.file, e.line) for e in report_.errors] == [("bootstrap/kustomization.yaml", 2)]
    assert _kustomizations(report_) == []


# an ApplicationSet platecheck does not expand (a clusters generator) whose path is template
# actions alone: it may deploy any directory that deep, which says nothing of which
_WILD_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: wild
  namespace: argocd
spec:
  generators:
    - clusters:
        values: {a: x}
  template:
    metadata:
      name: 'wild-{{a}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        path: '{{a}}/{{b}}/{{c}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{a}}'
"""
_LISTED_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: listed
  namespace: argocd
spec:
  generators:
    - merge:
        mergeKeys: [env]
        generators:
          - list: {elements: [{env: prod}]}
          - list: {elements: [{env: prod}]}
  template:
    metadata:
      name: 'listed-{{env}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        path: 'apps/web/{{env}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: 'web-{{env}}'
"""


def test_a_set_path_of_template_actions_alone_leaves_a_bootstrap_overlay_applied_by_hand(
        tmp_path: Path) -> None:
    """A set's path of template actions alone (``{{a}}/{{b}}/{{c}}``) may deploy any
    directory three deep, the bootstrap overlay among them: which it deploys is not known,
    so the overlay is still built as applied by hand when no rendered Application deploys
    it (sean-vaughan/openshift-gitops; it was not built, its base's placeholders checked as
    written: a false could-not-check)."""
    repo = _bootstrap(tmp_path / "repo")
    _write(repo, {"sets/wild.yaml": _WILD_SET})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert {"*/bootstrap/overlays/prod", "default/root"} <= {t.id for t in report.targets}
    assert [f.location for f in report.findings if f.policy == "resource-ranges"] == [
        "apps/web/prod/pod.yaml:8"]


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
# an overlay of ApplicationSets that changes them (their namespace): not the files as written
_SETS_OVERLAY = "namespace: argocd-sets\nresources: [listed.yaml]\n"


@pytest.mark.parametrize("wild", [True, False])
def test_an_overlay_a_bootstrap_overlay_s_application_deploys_is_rendered_once(
        tmp_path: Path, wild: bool) -> None:
    """Kustomizations such a set may deploy: each cluster's bootstrap overlay of one base,
    its root deploying that cluster's overlay of ApplicationSets (infra-deployments). Each
    overlay of sets is rendered once, as its root's, not also as applied by hand (its sets
    were rendered twice, said to be two different ApplicationSets of one name); so too
    without such a set, where no static path deploys the overlays of sets either."""
    repo = _bootstrap(tmp_path / "repo")
    text = (repo / "bootstrap/overlays/prod/kustomization.yaml").read_text()
    _write(repo, {"sets/wild.yaml": _WILD_SET} if wild else {})
    for env in ("prod", "stg"):
        _write(repo, {
            f"bootstrap/overlays/{env}/kustomization.yaml": text.replace(
                "apps/web/prod}", f"apps/sets/{env}}}\n      - {{op: replace, path: "
                f"/spec/destination/namespace, value: argocd-{env}}}"),
            f"apps/sets/{env}/kustomization.yaml": _SETS_OVERLAY,
            f"apps/sets/{env}/listed.yaml": _LISTED_SET.replace("env: prod", f"env: {env}"),
            f"apps/web/{env}/cm.yaml": CM})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    ids = sorted(t.id for t in report.targets)
    assert not any(i.startswith("*/apps/") for i in ids)
    assert {"*/bootstrap/overlays/prod", "*/bootstrap/overlays/stg"} <= set(ids)
    assert [f.message for f in report.findings if f.policy == "argocd-application"
            and "different ApplicationSets" in f.message] == []


@pytest.mark.usefixtures("kubectl_bin")
def test_a_set_a_hand_applied_kustomization_moves_to_its_namespace_is_one(
        tmp_path: Path) -> None:
    """An ApplicationSet platecheck does not expand (a clusters generator), listed by a
    kustomization applied by hand that gives it its namespace: the set it builds is the
    one Argo CD gets, in the place of the file as written (both were targets, each
    reported: OCP-on-NERC/nerc-ocp-config)."""
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/kustomization.yaml": "namespace: argocd\nresources: [set.yaml]\n",
        "bootstrap/set.yaml": _WILD_SET.replace("  namespace: argocd\n", "", 1)})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [t.id for t in report.targets if "wild" in t.id] == ["default/wild"]
    assert [f.location for f in report.findings if f.policy == "not-rendered"] == [
        "bootstrap/set.yaml:7"]


@pytest.mark.usefixtures("kubectl_bin")
def test_a_file_a_parent_kustomization_applied_by_hand_lists_is_deployed(
        tmp_path: Path) -> None:
    """``cluster/`` applied by hand lists ``infra/infra.yaml``, beside the kustomization
    ``cluster/infra`` that does not list it: the parent's build outputs it, so it is no
    file left out (it was named not deployed while planned as a target:
    cloud-native-toolkit/multi-tenancy-gitops, 21 times); the file the nested one comments
    out still is."""
    ns_app = application("namespaces", "cluster/infra/argocd", "tools", source_extra=(
        "    directory:\n      include: ns.yaml\n"))
    repo = tmp_path / "repo"
    _write(repo, {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        # (its repoURL a placeholder the parent fills in: the nested one is applied by hand)
        "cluster/kustomization.yaml": "resources: [infra/infra.yaml]\npatches:\n"
                                      "  - target: {kind: Application}\n    patch: |-\n"
                                      "      - {op: add, path: /spec/source/repoURL, "
                                      "value: '${GIT_BASEURL}/gitops'}\n",
        "cluster/infra/infra.yaml": application("infra", "cluster/infra", "argocd").replace(
            "    repoURL: https://git.example.com/repo.git\n", ""),
        "cluster/infra/kustomization.yaml": "resources:\n  - argocd/ns-app.yaml\n"
                                            "  # - argocd/tools.yaml\n",
        "cluster/infra/argocd/ns-app.yaml": ns_app,
        "cluster/infra/argocd/tools.yaml": ns_app.replace("name: namespaces", "name: tools"),
        "cluster/infra/argocd/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n"
                                        "  name: tools\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.message.split(":")[0] for f in report.findings
            if f.policy == "undeployed-kustomization"
            and "does not list its file" in f.message] == ["Application tools"]
