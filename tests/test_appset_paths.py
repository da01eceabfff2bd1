"""Which directories an ApplicationSet platecheck does not expand may deploy: its template's
source path, a template action any name, a git directories generator's path its patterns;
the Applications there are reached through it, and only the charts there count as deployed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from platecheck.appset import template_path_globs
from platecheck.engine import lint
from platecheck.globs import path_match
from synthetic import application, write_files

pytestmark = pytest.mark.usefixtures("helm_bin")


@pytest.mark.parametrize(("pattern", "name", "matched"), [
    ("apps/*", "apps/web", True), ("apps/*", "apps/web/prod", False), ("apps/*", "apps", False),
    ("*", "apps", True), ("*/overlays/prod", "web/overlays/prod", True),
    ("apps/[a-c]*", "apps/db", False), ("/apps/web/", "apps/web", True),
    # Go negates a class with ^ alone: [!d] is "!" or "d"; a backslash escapes
    ("apps/[^a]b", "apps/db", True), ("apps/[!d]b", "apps/db", True),
    ("apps/[!d]b", "apps/ab", False), ("apps/\\*", "apps/*", True), ("apps/\\*", "apps/x", False),
    # a range whose end is before its start is Go's ErrBadPattern: it matches nothing
    ("apps/[e-a]", "apps/e", False), ("map[basename:example-app path:apps]", "apps", False),
])
def test_path_match_is_gos_path_match(pattern: str, name: str, matched: bool) -> None:
    assert path_match(pattern, name) is matched


def _set(path: str, generators: Any) -> dict[str, Any]:
    return {"spec": {"generators": generators,
                     "template": {"spec": {"source": {"path": path}}}}}


@pytest.mark.parametrize(("path", "generators", "globs"), [
    ("{{path}}", [{"git": {"directories": [{"path": "apps/*"}, {"path": "apps/old",
                                                                "exclude": True}]}}],
     ["apps/*"]),
    ("{{.path.path}}/overlays/prod", [{"matrix": {"generators": [
        {"git": {"directories": [{"path": "svc/*"}, {"path": "infra/*"}]}},
        {"list": {"elements": [{"env": "prod"}]}}]}}], ["infra/*/overlays/prod",
                                                         "svc/*/overlays/prod"]),
    ("{{ path }}", [{"list": {"elements": [{"path": "a"}]}}], ["*"]),
    ("apps/{{.env}}", [{"list": {"elements": [{"env": "prod"}]}}], ["apps/*"]),
    ("envs/{{path.basename}}", [{"git": {"directories": [{"path": "apps/*"}]}}], ["envs/*"]),
    # a files generator's path is the directory of the file it found
    ("{{path}}/apps", [{"git": {"files": [{"path": "envs/*/config.json"}]}}], ["envs/*/apps"]),
    ("{{.path.path}}", [{"git": {"files": [{"path": "config.json"}]}}], ["."]),
    ("{{.path.path}}", [{"git": {"files": [{"path": "apps/*.yaml"}]}}], ["apps", "apps/*"]),
    ("", [], ["."]),
    ("{{.app.path.path}}", [{"git": {"pathParamPrefix": "app",
                                     "directories": [{"path": "svc/*"}]}}], ["svc/*"]),
])
def test_template_path_globs(path: str, generators: Any, globs: list[str]) -> None:
    assert [g.pattern for g in template_path_globs(_set(path, generators), path)] == globs


@pytest.mark.parametrize(("path", "generators", "excluded"), [
    ("{{path}}", [{"git": {"directories": [{"path": "apps/*"}, {"path": "apps/old",
                                                                "exclude": True}]}}],
     ["apps/old"]),
    ("{{path}}/prod", [{"git": {"directories": [{"path": "apps/*"}, {"path": "apps/o*",
                                                                     "exclude": True}]}}],
     ["apps/o*/prod"]),
    ("apps/{{.env}}", [{"git": {"directories": [{"path": "apps/old", "exclude": True}]}}], []),
    ("{{path}}", [{"list": {"elements": [{"path": "a"}]}}], []),
    # pathParamPrefix names the path parameter: {{app.path}}, {{.app.path.path}}
    ("{{app.path}}", [{"git": {"pathParamPrefix": "app", "directories": [
        {"path": "apps/*"}, {"path": "apps/old", "exclude": True}]}}], ["apps/old"]),
    ("{{ .app.path.path }}/prod", [{"git": {"pathParamPrefix": "app", "directories": [
        {"path": "apps/*"}, {"path": "apps/old", "exclude": True}]}}], ["apps/old/prod"]),
])
def test_the_directories_a_git_generator_excludes(path: str, generators: Any,
                                                  excluded: list[str]) -> None:
    assert [g.pattern for g in template_path_globs(_set(path, generators), path,
                                                   excluded=True)] == excluded


def test_an_application_in_a_directory_the_generator_excludes_is_not_reached(
        tmp_path: Path) -> None:
    """``directories: [{path: clusters/*}, {path: clusters/skip, exclude: true}]``: Argo CD
    generates no Application for ``clusters/skip`` (``filterApps``), so the Application file
    there is not reachable."""
    app_set = _git_directories_set(SET.replace("  goTemplate: true\n", "")).replace(
        "'apps/{{.env}}'", "'{{path}}'").replace("'apps-{{.env}}'", "'{{path.basename}}'")
    app_set = app_set.replace("          - path: apps/*\n", "          - path: clusters/*\n"
                              "          - path: clusters/skip\n            exclude: true\n")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/set.yaml": app_set,
        **{f"clusters/{name}/app.yaml": application(f"web-{name}", "shared", f"web-{name}")
           for name in ("prod", "skip")},
        "shared/cm.yaml": CM.format(name="c")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings if "is not reachable" in f.message] == [
        "clusters/skip/app.yaml:4"]


SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: envs
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - list:
        elements:
          - env: prod
          - env: stg
  template:
    metadata:
      name: 'apps-{{.env}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        targetRevision: HEAD
        path: 'apps/{{.env}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: argocd
"""
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
# a Go template of a function platecheck does not implement: it expands no such set
UNEXPANDED = SET.replace("name: 'apps-{{.env}}'", "name: 'apps-{{ kebabcase .env }}'")


def test_applications_a_set_not_expanded_deploys_are_reached(tmp_path: Path) -> None:
    """A goTemplate set (not expanded) whose path is ``apps/{{.env}}`` deploys the
    Applications of ``apps/prod`` and ``apps/stg``: reached, and so checked for resources
    they share with another Application; one elsewhere is still not reachable."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/set.yaml": UNEXPANDED,
        "bootstrap/platform.yaml": application("platform", "platform", "argocd"),
        "platform/mon.yaml": application("mon", "shared", "web-prod"),
        "apps/prod/web.yaml": application("web-prod", "shared", "web-prod"),
        "old/web.yaml": application("web-old", "shared", "web-old"),
        "shared/cm.yaml": CM.format(name="c")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted((f.location, f.message.split(";")[0].split(":")[0]) for f in report.findings
                  if f.policy == "argocd-application") == [
        ("old/web.yaml:4", "Application web-old"),
        ("shared/cm.yaml:4", "ConfigMap/c in namespace web-prod is deployed by both "
                             "Application mon (prod/mon) and Application web-prod")]


def _git_directories_set(app_set: str) -> str:
    """``app_set`` with a git directories generator over ``apps/*`` for its list."""
    return app_set.replace(
        "    - list:\n        elements:\n          - env: prod\n          - env: stg\n",
        "    - git:\n        repoURL: https://git.example.com/repo.git\n"
        "        revision: HEAD\n        directories:\n          - path: apps/*\n")


def _apps_and_legacy(tmp_path: Path, app_set: str, more: dict[str, str] | None = None
                     ) -> Path:
    """A repository of ``app_set`` (at bootstrap/set.yaml), chart ``apps/web`` and chart
    ``legacy/old``."""
    chart = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
    return write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/set.yaml": app_set,
        "apps/web/Chart.yaml": chart.format(name="web"),
        "apps/web/templates/cm.yaml": CM.format(name="web"),
        "legacy/old/Chart.yaml": chart.format(name="old"),
        "legacy/old/templates/cm.yaml": CM.format(name="old"), **(more or {})})

def test_a_git_generators_directories_bound_the_charts_its_set_deploys(tmp_path: Path) -> None:
    """``path: '{{path}}'`` of a git directories generator over ``apps/*``: Argo CD makes
    Applications of ``apps/web`` only, so ``legacy/old`` is a chart no Application deploys
    (before, the path counted as any directory and hid it)."""
    app_set = _git_directories_set(SET.replace("  goTemplate: true\n", "")).replace(
        "'apps/{{.env}}'", "'{{path}}'").replace("'apps-{{.env}}'", "'{{path.basename}}'")
    repo = _apps_and_legacy(tmp_path, app_set)
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.location for f in report.findings if f.policy == "undeployed-chart"] == [
        "legacy/old/Chart.yaml:1"]


def test_a_chart_the_git_generator_excludes_or_does_not_reach_is_undeployed(
        tmp_path: Path) -> None:
    """``directories: [{path: apps/*}, {path: apps/old, exclude: true}]``: Argo CD matches
    each pattern one name at a time (Go's ``path.Match``) and drops what an exclude entry
    matches (``filterApps``), so neither ``apps/old`` nor ``apps/team/api`` (two levels
    down) is deployed: both are named, as the reachability check reads the set."""
    app_set = _git_directories_set(SET.replace("  goTemplate: true\n", "")).replace(
        "'apps/{{.env}}'", "'{{path}}'").replace("'apps-{{.env}}'", "'{{path.basename}}'")
    app_set = app_set.replace("          - path: apps/*\n", "          - path: apps/*\n"
                              "          - path: apps/old\n            exclude: true\n")
    chart = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
    repo = _apps_and_legacy(tmp_path, app_set, {
        "apps/old/Chart.yaml": chart.format(name="old"),
        "apps/old/templates/cm.yaml": CM.format(name="old"),
        "apps/team/api/Chart.yaml": chart.format(name="api"),
        "apps/team/api/templates/cm.yaml": CM.format(name="api")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "undeployed-chart"] == [
        (f"{rel}/Chart.yaml:1", f"chart {name}: no Application deploys it, so it is not checked")
        for rel, name in (("apps/old", "old"), ("apps/team/api", "api"),
                          ("legacy/old", "old"))]


def test_a_parameter_in_a_set_path_may_name_a_directory_at_any_depth(tmp_path: Path) -> None:
    """``path: '{{metadata.annotations.path}}'`` of a clusters generator: the value is the
    cluster's annotation, which may hold ``/`` (``apps/team/api``), so every chart may be
    deployed and none is named; a git directories generator's ``{{path}}`` is bound to its
    patterns one name at a time."""
    app_set = SET.replace("  goTemplate: true\n", "").replace(
        "    - list:\n        elements:\n          - env: prod\n          - env: stg\n",
        "    - clusters: {}\n").replace("'apps/{{.env}}'", "'{{metadata.annotations.path}}'"
                                     ).replace("'apps-{{.env}}'", "'{{name}}'")
    chart = "apiVersion: v2\nname: api\nversion: 0.1.0\n"
    repo = _apps_and_legacy(tmp_path, app_set, {
        "apps/team/api/Chart.yaml": chart, "apps/team/api/templates/cm.yaml": CM.format(
            name="api")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings if f.policy == "undeployed-chart"] == []


@pytest.mark.parametrize("path", ["'{{ .path.path }}'", "{{ .path.path }}"])
def test_the_source_a_template_patch_writes_deploys_what_it_names(tmp_path: Path,
                                                                  path: str) -> None:
    """A goTemplate set whose template has no source and whose ``templatePatch`` writes it
    (``path: '{{ .path.path }}'`` over a git directories generator on ``apps/*``): Argo CD
    patches it into every Application, so the chart and kustomization of ``apps/`` are
    deployed; ``legacy/old`` is not."""
    app_set = _git_directories_set(SET).replace(
        "      source:\n        repoURL: https://git.example.com/repo.git\n"
        "        targetRevision: HEAD\n        path: 'apps/{{.env}}'\n", "").replace(
        "'apps-{{.env}}'", "'{{ .path.basename }}'") + (
        "  templatePatch: |\n    spec:\n      source:\n"
        "        repoURL: https://git.example.com/repo.git\n        targetRevision: HEAD\n"
        f"        path: {path}\n")
    repo = _apps_and_legacy(tmp_path, app_set, {
        "apps/kust/kustomization.yaml": "resources: [cm.yaml]\n",
        "apps/kust/cm.yaml": CM.format(name="kust")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings
            if f.policy in ("undeployed-chart", "undeployed-kustomization")] == [
        "legacy/old/Chart.yaml:1"]

@pytest.mark.parametrize("other_root", [False, True])
def test_a_set_deploys_what_the_kustomizations_of_its_directories_list(
        tmp_path: Path, other_root: bool) -> None:
    """A git directories set over ``clusters/*`` deploys ``clusters/*/apps``, a
    kustomization listing ``groups/all``, whose own lists ``x.yaml``: ``x`` is reached
    through it; ``orph`` beside it and a second ``x`` elsewhere, listed by nothing, are not,
    and take no name. So whether the set is the only app-of-apps or not."""
    app_set = _git_directories_set(SET.replace("  goTemplate: true\n", "")).replace(
        "apps/*", "clusters/*").replace("'apps/{{.env}}'", "'clusters/{{path.basename}}/apps'"
                                        ).replace("'apps-{{.env}}'", "'{{path.basename}}'")
    files = {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/set.yaml": app_set,
        "clusters/a/apps/kustomization.yaml": "resources: [../../../groups/all]\n",
        "groups/all/kustomization.yaml": "resources: [x.yaml]\n",
        "groups/all/x.yaml": application("x", "web", "web"),
        "groups/all/orphan.yaml": application("orph", "web", "web"),
        "groups/other/x.yaml": application("x", "web", "web"),
        "web/cm.yaml": CM.format(name="web")}
    if other_root:
        files["other/root.yaml"] = application("other", "other/apps", "argocd")
        files["other/apps/z.yaml"] = application("z", "web", "z")
    repo = write_files(tmp_path / "repo", files)
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted((f.location, f.message.split(":")[0]) for f in report.findings
                  if f.policy == "argocd-application") == [
        ("groups/all/orphan.yaml:4", "Application orph"),
        ("groups/other/x.yaml:4", "Application x")]

UNSET_NAMESPACE = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - app: web
          - app: api
            values:
              ns: api
  template:
    metadata:
      name: '{{app}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        targetRevision: HEAD
        path: 'apps/{{app}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{values.ns}}'
"""


def test_a_destination_namespace_the_api_server_refuses(tmp_path: Path) -> None:
    """An element that sets no ``values.ns`` leaves ``{{values.ns}}`` as the namespace
    (fasttemplate writes an unknown tag back): Argo CD cannot apply a resource that names no
    namespace there. A resource with its own namespace is applied all the same; a Helm
    source's namespace is refused before helm renders, at the same key."""
    chart = "apiVersion: v2\nname: chart\nversion: 0.1.0\n"
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "argocd/set.yaml": UNSET_NAMESPACE,
        "apps/web/cm.yaml": CM.format(name="web"),
        "apps/api/cm.yaml": CM.format(name="api"),
        "argocd/own.yaml": application("own", "own", "Own_NS"),
        "own/cm.yaml": CM.format(name="own") + "  namespace: own\n",
        "argocd/chart.yaml": application("chart", "chart", "Chart_NS"),
        "chart/Chart.yaml": chart, "chart/templates/cm.yaml": CM.format(name="chart")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "argocd-application"] == [
        ("argocd/set.yaml:25", "Application web: destination namespace '{{values.ns}}' is not "
         "a valid namespace name (a DNS-1123 label): Argo CD cannot apply ConfigMap/web, "
         "which names no namespace of its own")]
    assert [(e.location, e.message) for e in report.errors] == [
        ("argocd/chart.yaml:13", "namespace 'Chart_NS' is not a valid DNS-1123 name "
                                 "(lowercase letters, digits and '-', at most 63)")]



def test_a_custom_kind_of_no_crd_here_is_not_said_unappliable(tmp_path: Path) -> None:
    """A ClusterExternalSecret, whose CRD the cluster gets from elsewhere (an operator):
    its scope is not known here (the CRD makes it cluster-scoped), so a destination
    namespace the API server refuses is not said to stop it (it was: the kind was taken as
    namespaced)."""
    secret = ("apiVersion: external-secrets.io/v1beta1\nkind: ClusterExternalSecret\n"
              "metadata:\n  name: shared\nspec: {}\n")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "argocd/eso.yaml": application("eso", "eso", "'*'"), "eso/secret.yaml": secret})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.message for f in report.findings if f.policy == "argocd-application"
            and "not a valid namespace" in f.message] == []


def test_a_cluster_scoped_object_needs_no_destination_namespace(tmp_path: Path) -> None:
    """Argo CD gives a cluster-scoped object no namespace (NormalizeTargetObjects): a
    ValidatingAdmissionPolicy is applied whatever the destination namespace; a ConfigMap
    beside it is not."""
    vap = ("apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
           "metadata:\n  name: vap\nspec:\n  validations:\n  - expression: 'true'\n")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "argocd/vap.yaml": application("vap", "vap", "Bad_NS"),
        "vap/vap.yaml": vap,
        "argocd/both.yaml": application("both", "both", "Bad_NS"),
        "both/vap.yaml": vap.replace("name: vap", "name: vap2"),
        "both/cm.yaml": CM.format(name="both")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "argocd-application"] == [
        ("argocd/both.yaml:13", "Application both: destination namespace 'Bad_NS' is not a "
         "valid namespace name (a DNS-1123 label): Argo CD cannot apply ConfigMap/both, which "
         "names no namespace of its own")]


def test_two_list_sets_of_one_name_are_a_name_used_twice(tmp_path: Path) -> None:
    """Two files each holding a plain list ApplicationSet ``web`` (one making web-stg, the
    other web-prod): one object in Argo CD, each apply replacing the other. The sets are
    expanded, and their name is still checked."""
    one = UNSET_NAMESPACE.replace("name: apps\n", "name: web\n").replace(
        "          - app: web\n          - app: api\n            values:\n              ns: api\n",
        "          - app: web-{env}\n            values:\n              ns: web-{env}\n").replace(
        "'apps/{{app}}'", "apps/web")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "argocd/stg.yaml": one.replace("{env}", "stg"),
        "argocd/prod.yaml": one.replace("{env}", "prod"),
        "apps/web/cm.yaml": CM.format(name="web")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted(t.id for t in report.targets) == ["prod/web", "stg/web"]
    named = [f for f in report.findings if f.policy == "argocd-application"]
    assert [(f.location, f.message) for f in named] == [
        ("argocd/stg.yaml:4", "ApplicationSet web: name is also used by argocd/prod.yaml:4")]
    assert named[0].remediation.startswith("Give every ApplicationSet a unique name.")


def test_a_list_set_of_no_element_still_holds_its_name(tmp_path: Path) -> None:
    """A third plain list set ``web``, of an empty list, makes no Application but is the same
    object in Argo CD as the two others: its name is used a third time."""
    one = UNSET_NAMESPACE.replace("name: apps\n", "name: web\n").replace(
        "          - app: web\n          - app: api\n            values:\n              ns: api\n",
        "          - app: web-{env}\n            values:\n              ns: web-{env}\n").replace(
        "'apps/{{app}}'", "apps/web")
    empty = one.replace("{env}", "dev").split("        elements:\n")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "argocd/stg.yaml": one.replace("{env}", "stg"),
        "argocd/prod.yaml": one.replace("{env}", "prod"),
        "argocd/dev.yaml": empty[0] + "        elements: []\n" + empty[1].split("\n", 3)[3],
        "apps/web/cm.yaml": CM.format(name="web")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted(t.id for t in report.targets) == ["prod/web", "stg/web"]
    assert sorted((f.location, f.message) for f in report.findings
                  if f.policy == "argocd-application") == [
        ("argocd/prod.yaml:4", "ApplicationSet web: name is also used by argocd/dev.yaml:4"),
        ("argocd/stg.yaml:4", "ApplicationSet web: name is also used by argocd/dev.yaml:4")]


def test_a_set_not_expanded_reaches_only_the_files_its_include_chooses(tmp_path: Path) -> None:
    """``directory.include`` of the set's template: Argo CD reads that file of each
    directory alone, so another Application file beside it is not reached."""
    app_set = UNEXPANDED.replace("        path: 'apps/{{.env}}'\n",
                          "        path: 'apps/{{.env}}'\n        directory:\n"
                          "          include: 'web.yaml'\n")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/set.yaml": app_set,
        "bootstrap/platform.yaml": application("platform", "platform", "argocd"),
        "platform/mon.yaml": application("mon", "shared", "mon"),
        "apps/prod/web.yaml": application("web-prod", "shared", "web-prod"),
        "apps/prod/old.yaml": application("old-prod", "shared", "old-prod"),
        "shared/cm.yaml": CM.format(name="c")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings if "not reachable" in f.message] == [
        "apps/prod/old.yaml:4"]


def test_a_list_set_a_chart_renders_from_a_range_is_expanded(tmp_path: Path) -> None:
    """An app-of-apps chart writes a plain list ApplicationSet whose elements a ``range``
    writes from one template line: what Argo CD applies is a list of one element a line,
    expanded as such; each Application it makes is checked (its values file's tag)."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "root.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n"
            "spec:\n  project: default\n  source:\n    repoURL: https://git.example.com/repo.git\n"
            "    path: apps\n  destination:\n    server: https://kubernetes.default.svc\n"
            "    namespace: argocd\n"),
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/values.yaml": "envs: [stg, prod]\n",
        "apps/templates/set.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: web\n"
            "spec:\n  generators:\n    - list:\n        elements:\n"
            "        {{- range .Values.envs }}\n          - env: {{ . }}\n        {{- end }}\n"
            "  template:\n    metadata:\n      name: 'web-{{`{{env}}`}}'\n    spec:\n"
            "      project: default\n      source:\n"
            "        repoURL: https://git.example.com/repo.git\n        path: web\n"
            "      destination:\n        server: https://kubernetes.default.svc\n"
            "        namespace: 'web-{{`{{env}}`}}'\n"),
        "web/cm.yaml": CM.format(name="web")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted(t.id for t in report.targets if t.application is not None
                  and t.application.name.startswith("web")) == ["prod/web", "stg/web"]
    assert [f for f in report.findings if f.policy == "not-rendered"] == []


def test_a_list_element_a_range_writes_is_at_its_template_line(tmp_path: Path) -> None:
    """A chart writes a list set's elements with ``range`` (``- env: {{ . }}`` at line 10),
    then one more as written (``- env: c``, line 12): the rendered elements 0 and 1 are
    the range's, 2 the written one. Each Application (and a finding about a value its
    element fills) is at the template line that wrote its element."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "root.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n"
            "spec:\n  project: default\n  source:\n    repoURL: https://git.example.com/repo.git\n"
            "    path: apps\n  destination:\n    server: https://kubernetes.default.svc\n"
            "    namespace: argocd\n"),
        "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "apps/values.yaml": "envs: [a, b]\n",
        "apps/templates/set.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: web\n"
            "spec:\n  generators:\n    - list:\n        elements:\n"
            "        {{- range .Values.envs }}\n          - env: {{ . }}\n        {{- end }}\n"
            "          - env: c\n"
            "  template:\n    metadata:\n      name: 'prod-{{`{{env}}`}}'\n    spec:\n"
            "      project: default\n      source:\n"
            "        repoURL: https://git.example.com/repo.git\n        path: web\n"
            "      destination:\n        server: https://kubernetes.default.svc\n"
            "        namespace: '{{`{{env}}`}}'\n"),
        "web/cm.yaml": CM.format(name="web")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted((f.location, f.message) for f in report.findings
                  if f.policy == "argocd-application") == [
        (f"apps/templates/set.yaml:{line}", f"Application prod-{env}: destination namespace "
         f"'{env}' does not match environment prod (*-prod, *-production, *-prd, prod-*, "
         "production-*, prd-*, prod, production, prd)")
        for env, line in (("a", 10), ("b", 10), ("c", 12))]


def test_a_chart_an_unexpanded_set_deploys_is_not_linted_on_its_own(tmp_path: Path) -> None:
    """Chart mode: a chart of Applications renders a git-generator ApplicationSet whose
    template deploys ``charts/svc`` with a value it requires, its directories another
    repository's. Argo CD never renders that chart without it: it is not linted on its own (a
    could-not-check of ``required``), the set is not-rendered, and the chart is no chart
    "deployed by none"."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "charts/root/Chart.yaml": "apiVersion: v2\nname: root\nversion: 0.1.0\n",
        "charts/root/templates/set.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: svcs\n"
            "spec:\n  generators:\n    - git:\n        repoURL: https://git.example.com/svcs.git\n"
            "        revision: HEAD\n        directories:\n          - path: 'services/*'\n"
            "  template:\n    metadata:\n      name: '{{`{{path.basename}}`}}'\n    spec:\n"
            "      project: default\n      source:\n"
            "        repoURL: https://git.example.com/repo.git\n        path: charts/svc\n"
            "        helm:\n          valuesObject:\n            name: '{{`{{path.basename}}`}}'\n"
            "      destination:\n        server: https://kubernetes.default.svc\n"
            "        namespace: svc\n"),
        "charts/svc/Chart.yaml": "apiVersion: v2\nname: svc\nversion: 0.1.0\n",
        "charts/svc/templates/cm.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            "  name: {{ required \"name is required\" .Values.name }}\n"),
        "services/web/README.md": "web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert not any(t.chart is not None and t.chart.rel == "charts/svc" for t in report.targets)
    assert sorted(f.policy for f in report.findings) == ["not-rendered"]
    # nor does what its bare render writes count: an Application with no name there is
    # none Argo CD ever makes
    (repo / "charts" / "svc" / "templates" / "app.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
        "  name: {{ .Values.name }}\nspec:\n  project: default\n  source:\n"
        "    repoURL: https://git.example.com/repo.git\n    path: services/web\n"
        "  destination:\n    server: https://kubernetes.default.svc\n    namespace: svc\n")
    (repo / "charts" / "svc" / "templates" / "cm.yaml").unlink()
    assert lint(repo, cache_dir=tmp_path / "cache").errors == ()


def test_a_set_path_pathlib_refuses_names_no_directory(tmp_path: Path) -> None:
    """The directories a set's path pattern names for its kustomizations' Applications: an
    absolute pattern (pathlib refuses it) names none, ``.`` the repository."""
    from platecheck.appset import PathGlob
    from platecheck.engine import _globbed

    (tmp_path / "apps" / "media" / "radarr").mkdir(parents=True)
    assert _globbed(tmp_path, PathGlob("/etc")) == []
    assert _globbed(tmp_path, PathGlob(".")) == [tmp_path]
    assert _globbed(tmp_path, PathGlob("a*")) == [tmp_path / "apps"]
    # a files generator's: any depth below the names before the wildcard
    assert _globbed(tmp_path, PathGlob("apps/**", deep=True)) == [
        tmp_path / "apps" / "media", tmp_path / "apps" / "media" / "radarr"]


def test_two_elements_of_one_list_set_making_one_name_are_refused_by_argo_cd(
        tmp_path: Path) -> None:
    """Two elements of one plain list set make Applications of one name: Argo CD refuses
    the set's duplicate names (``validateGeneratedApplications``) and creates neither, so
    neither is checked; the error says so, not that renders differ."""
    app_set = SET.replace("  goTemplate: true\n", "").replace(
        "          - env: prod\n          - env: stg\n", "          - env: prod\n" * 2
    ).replace("'apps-{{.env}}'", "'apps-{{env}}'").replace("'apps/{{.env}}'", "'shared'")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "bootstrap/set.yaml": app_set, "shared/cm.yaml": CM.format(name="c")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == [
        ("bootstrap/set.yaml:14", "ApplicationSet envs makes 2 Applications named "
         "'apps-prod': Argo CD refuses each of them and creates the set's others")]
    assert not any(t.application is not None and t.application.name == "apps-prod"
                   for t in report.targets)


_UNNAMED = (
    "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: envs\n"
    "  namespace: argocd\nspec:\n  generators:\n    - list:\n        elements:\n"
    "          - env: dev\n            app: web-dev\n          - env: prod\n"
    "            app: ''\n  template:\n    metadata:\n      name: '{{app}}'\n    spec:\n"
    "      project: default\n      source:\n        repoURL: https://git.example.com/repo.git\n"
    "        targetRevision: HEAD\n        path: 'envs/{{env}}'\n      destination:\n"
    "        server: https://kubernetes.default.svc\n        namespace: '{{env}}'\n")


@pytest.mark.parametrize("rendered", [False, True], ids=["written", "rendered"])
def test_a_list_element_with_no_name_is_refused_alone(tmp_path: Path, rendered: bool) -> None:
    """One element of a plain list set leaves the Application's name empty: Argo CD's
    ApplicationSet controller (``validateGeneratedApplications``) refuses that Application
    alone and creates the other, so the error is at the element's value and ``web-dev`` is
    still rendered and checked; alike when a chart renders the set."""
    files = {".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
             "envs/dev/cm.yaml": CM.format(name="dev"),
             "envs/prod/cm.yaml": CM.format(name="prod")}
    if rendered:
        files.update({
            "root.yaml": application("root", "apps", "argocd"),
            "apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
            "apps/templates/set.yaml": _UNNAMED.replace("{{", "{{`{{").replace("}}",
                                                                                "}}`}}")})
    else:
        files["apps/set.yaml"] = _UNNAMED
    repo = write_files(tmp_path / "repo", files)
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == [
        (f"apps/{'templates/' if rendered else ''}set.yaml:13",
         "ApplicationSet envs list element 1 makes an Application with no name (metadata.name "
         "'{{app}}' is empty): Argo CD creates the set's other Applications, not this one")]
    assert [(t.id, t.rendered_here) for t in report.targets if t.application is not None
            and t.application.name != "root"] == [("default/web-dev", True)]
    assert report.exit_code == 2


def test_a_go_template_list_element_with_no_name_is_refused_alone(tmp_path: Path) -> None:
    """With ``goTemplate: true`` too: the element whose ``{{.app}}`` is empty makes the one
    Application Argo CD refuses, the error at that element's value."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "envs/dev/cm.yaml": CM.format(name="dev"), "envs/prod/cm.yaml": CM.format(name="prod"),
        "apps/set.yaml": _UNNAMED.replace("{{", "{{ .").replace("}}", " }}").replace(
            "spec:\n  generators:", "spec:\n  goTemplate: true\n  generators:", 1)})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == [
        ("apps/set.yaml:14",
         "ApplicationSet envs list element 1 makes an Application with no name (metadata.name "
         "'{{ .app }}' is empty): Argo CD creates the set's other Applications, not this one")]
    assert [t.id for t in report.targets if t.application is not None] == ["default/web-dev"]


@pytest.mark.parametrize(("files", "directory", "matched"), [
    # git ls-files matches a files generator's pattern across "/" (Argo CD's default globbing)
    ("apps/**/config.yaml", "apps/media/radarr", True),
    ("apps/*/config.yaml", "apps/media/radarr", True),
    ("apps/*/config.yaml", "apps", False),
    ("apps/*/config.yaml", "other/media", False),
    ("apps/*.yaml", "apps/web/prod", True),
    ("apps/config.yaml", "apps/web", False),
])
def test_a_files_generator_pattern_names_directories_at_any_depth(
        files: str, directory: str, matched: bool) -> None:
    globs = template_path_globs(_set("{{.path.path}}", [{"git": {"files": [{"path": files}]}}]),
                                "{{.path.path}}")
    assert any(g.matches(directory) for g in globs) is matched


def test_a_kustomization_a_files_generator_finds_below_a_doublestar_is_deployed(
        tmp_path: Path) -> None:
    """``path: apps/**/config.yaml`` finds ``apps/media/radarr/config.yaml``: the
    Application generated for it builds ``apps/media/radarr``, which is not undeployed."""
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "argocd/appset.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: selfhosted, namespace: argocd}
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: https://git.example.com/repo.git
        revision: HEAD
        files:
          - path: apps/**/config.yaml
  template:
    metadata: {name: '{{.path.basename}}'}
    spec:
      project: default
      source: {repoURL: https://git.example.com/repo.git, path: '{{.path.path}}'}
      destination: {server: https://kubernetes.default.svc, namespace: media}
""",
        "apps/media/radarr/config.yaml": "name: radarr\n",
        "apps/media/radarr/kustomization.yaml": "resources: [cm.yaml]\n",
        "apps/media/radarr/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r}\n",
        "other/kustomization.yaml": "resources: [cm.yaml]\n",
        "other/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: o}\n",
    })
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert sorted(f.file for f in report.findings
                  if f.policy == "undeployed-kustomization") == ["other/kustomization.yaml"]
