"""What an AppProject permits (platecheck.projects), on the cases of Argo CD's own tests
(argo-cd pkg/apis/application/v1alpha1/types_test.go)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from platecheck.globs import glob_match, go_match
from platecheck.projects import (
    Cluster,
    destination_permitted,
    group_kind_permitted,
    resolved,
    source_permitted,
)
from synthetic import application, write_files

# TestAppProject_IsSourcePermitted and TestAppProject_IsNegatedSourcePermitted
SOURCES = [
    (["*"], "https://github.com/argoproj/test.git", True),
    (["https://github.com/argoproj/test.git"], "https://github.com/argoproj/test.git", True),
    (["ssh://git@GITHUB.com:argoproj/test"], "ssh://git@github.com:argoproj/test", True),
    (["https://github.com/argoproj/*"], "https://github.com/argoproj/argoproj.git", True),
    (["https://github.com/test1/test.git", "https://github.com/test2/test.git"],
     "https://github.com/test2/test.git", True),
    (["https://github.com/argoproj/test1.git"], "https://github.com/argoproj/test2.git", False),
    (["https://github.com/argoproj/*.git"], "https://github.com/argoproj1/test2.git", False),
    (["https://github.com/argoproj/foo"], "https://github.com/argoproj/foo1", False),
    (["https://gitlab.com/group/*"], "https://gitlab.com/group/repo/owner", False),
    (["https://gitlab.com/group/*/*"], "https://gitlab.com/group/repo/owner", True),
    (["https://gitlab.com/group/*/*/*"], "https://gitlab.com/group/sub-group/repo/owner", True),
    (["https://gitlab.com/group/**"], "https://gitlab.com/group/sub-group/repo/owner", True),
    (["!https://github.com/argoproj/test.git"], "https://github.com/argoproj/test.git", False),
    (["!ssh://git@GITHUB.com:argoproj/test"], "ssh://git@github.com:argoproj/test", False),
    (["!https://github.com/argoproj/*"], "https://github.com/argoproj/argoproj.git", False),
    (["https://github.com/test1/test.git", "!https://github.com/test2/test.git"],
     "https://github.com/test2/test.git", False),
    (["!https://github.com/argoproj/foo*"], "https://github.com/argoproj/foo1", False),
    (["!https://gitlab.com/group/*/*"], "https://gitlab.com/group/repo/owner", False),
    (["!https://gitlab.com/group/**"], "https://gitlab.com/group/sub-group/repo/owner", False),
    (["https://github.com/argoproj/test1.git", "*"], "https://github.com/argoproj/test2.git",
     True),
    (["!https://github.com/argoproj/*.git", "*"], "https://github.com/argoproj1/test2.git",
     True),
    ([], "https://github.com/argoproj/test.git", False),
    (["git@github.com:argoproj/*"], "git@github.com:argoproj/test.git", True),
]


@pytest.mark.parametrize(("repos", "url", "permitted"), SOURCES)
def test_source_permitted(repos: list[str], url: str, permitted: bool) -> None:
    assert source_permitted(repos, url).permitted is permitted


def test_source_not_readable_says_nothing() -> None:
    assert source_permitted("https://github.com/*", "https://github.com/a").permitted is None
    assert source_permitted(["{{ .Values.repo }}"], "https://github.com/a").permitted is None


def _cluster(server: str = "", name: str = "") -> Cluster:
    return Cluster(server, name)  # both known, as in Argo CD's tests


K8S = "https://kubernetes.default.svc"
EKS = "https://eks-cluster-endpoint.ap-southeast-1.eks.amazonaws.com"
# TestAppProject_IsDestinationPermitted and TestAppProject_IsNegatedDestinationPermitted:
# (destinations, server, name, namespace, permitted)
DESTINATIONS: list[tuple[list[dict[str, str]], str, str, str, bool]] = [
    ([{"server": K8S, "namespace": "default"}], K8S, "", "default", True),
    ([{"server": K8S, "namespace": "default"}], K8S, "", "kube-system", False),
    ([{"server": "https://my-cluster", "namespace": "default"}], K8S, "", "default", False),
    ([{"server": K8S, "namespace": "*"}], K8S, "", "kube-system", True),
    ([{"server": "https://*.default.svc", "namespace": "default"}], K8S, "", "default", True),
    ([{"server": "https://team1-*", "namespace": "default"}], "https://test2-dev-cluster", "",
     "default", False),
    ([{"server": K8S, "namespace": "test-*"}], K8S, "", "test-foo", True),
    ([{"server": K8S, "namespace": "test-*"}], K8S, "", "test", False),
    ([{"server": "*", "namespace": "*"}], K8S, "", "test", True),
    ([{"server": "", "namespace": "*", "name": "test"}], "", "test", "test", True),
    ([{"server": "", "namespace": "*", "name": "test2"}], "", "test", "test", False),
    ([{"name": "host-cluster", "server": K8S, "namespace": "!{kube-system,argocd}"},
      {"name": "destination-cluster-01", "server": EKS, "namespace": "*"}], EKS, "",
     "kube-system", True),
    ([{"server": "!" + K8S, "namespace": "default"}], K8S, "", "default", False),
    ([{"server": K8S, "namespace": "!default"}], K8S, "", "kube-system", True),
    ([{"server": "!https://my-cluster", "namespace": "default"}], K8S, "", "default", True),
    ([{"server": "!" + K8S, "namespace": "*"}], K8S, "", "kube-system", False),
    ([{"server": "!https://*.default.svc", "namespace": "default"}], K8S, "", "default", False),
    ([{"server": "!https://team1-*", "namespace": "default"}], "https://test2-dev-cluster", "",
     "default", True),
    ([{"server": K8S, "namespace": "!test-*"}], K8S, "", "test-foo", False),
    ([{"server": K8S, "namespace": "!test-*"}], K8S, "", "test", True),
    ([{"server": "", "namespace": "*", "name": "!test"}], "", "test", "test", False),
    ([{"server": "", "namespace": "*", "name": "!test2"}], "", "test", "test", True),
    ([{"server": "*", "namespace": "kube-system"}, {"server": "*", "namespace": "!kube-system"}],
     K8S, "", "kube-system", False),
    ([{"server": "*", "namespace": "*"}, {"server": "*", "namespace": "!kube-system"}],
     K8S, "", "kube-system", False),
]


@pytest.mark.parametrize(("destinations", "server", "name", "namespace", "permitted"),
                         DESTINATIONS)
def test_destination_permitted(destinations: list[dict[str, str]], server: str, name: str,
                               namespace: str, permitted: bool) -> None:
    verdict = destination_permitted({"destinations": destinations}, _cluster(server, name),
                                    namespace)
    assert verdict.permitted is permitted


def test_destination_of_a_cluster_known_by_one_name() -> None:
    """An Application that writes its server says nothing of its cluster's name: an entry
    that permits by name leaves the answer open, one with no name or ``*`` does not."""
    by_name = {"destinations": [{"name": "prod", "namespace": "*"}]}
    assert destination_permitted(by_name, Cluster(K8S, None), "web").permitted is None
    anywhere = {"destinations": [{"name": "*", "namespace": "web"}]}
    assert destination_permitted(anywhere, Cluster(K8S, None), "web").permitted is True
    assert destination_permitted(anywhere, Cluster(K8S, None), "db").permitted is False
    scoped = {"destinations": [{"server": "*", "namespace": "*"}],
              "permitOnlyProjectScopedClusters": True}
    assert destination_permitted(scoped, Cluster(K8S, None), "web").permitted is None


def test_a_cluster_is_resolved_as_argo_cd_looks_it_up() -> None:
    """GetDestinationCluster: the repository's cluster Secrets give a name its server and a
    server its name; ``in-cluster`` is the cluster Argo CD runs in unless a Secret names it
    otherwise; a server two Secrets name, or a name no Secret gives, stays unknown."""
    servers = {"prod": "https://prod.example.com/", "a": "https://two", "b": "https://two"}
    # (a server is known without its trailing "/", as Argo CD keeps a cluster's)
    assert resolved(Cluster(None, "prod"), servers) == Cluster("https://prod.example.com",
                                                               "prod")
    assert resolved(Cluster("https://two/", "b"), servers) == Cluster("https://two", "b")
    assert resolved(Cluster("https://prod.example.com", None), servers) == Cluster(
        "https://prod.example.com", "prod")
    assert resolved(Cluster("https://two", None), servers) == Cluster("https://two", None)
    assert resolved(Cluster(None, "qa"), servers) == Cluster(None, "qa")
    assert resolved(Cluster(None, "in-cluster"), servers) == Cluster(K8S, "in-cluster")
    assert resolved(Cluster(K8S, None), servers) == Cluster(K8S, "in-cluster")
    renamed = {"local": K8S}
    assert resolved(Cluster(None, "in-cluster"), renamed) == Cluster(None, "in-cluster")
    assert resolved(Cluster(K8S, None), renamed) == Cluster(K8S, "local")


@pytest.mark.parametrize(("destination", "found"), [
    ("name: staging", ["apps/web.yaml:11"]),  # staging is https://stg, not permitted
    ("name: prod", []),
    ("server: https://prod.example.com", []),
    ("server: https://prod.example.com/", []),
    ("server: https://stg.example.com", ["apps/web.yaml:11"]),
], ids=["other-name", "name", "server", "server-slash", "other-server"])
def test_a_destination_cluster_is_known_by_the_repository_s_cluster_secrets(
        tmp_path: Path, destination: str, found: list[str]) -> None:
    """The project permits the cluster prod by name and its server by URL; the repository
    deploys the cluster Secrets of prod and staging, so an Application that names either by
    the other field is checked as Argo CD checks it, with both known."""
    from platecheck.engine import lint

    def cluster(name: str, server: str) -> str:
        return ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\n  labels:\n"
                "    argocd.argoproj.io/secret-type: cluster\nstringData:\n"
                f"  name: {name}\n  server: {server}\n---\n")

    web = application("web", "web", "web").replace("project: default", "project: team")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "projects/team.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n"
                              "  name: team\n  namespace: argocd\nspec:\n  sourceRepos: ['*']\n"
                              "  destinations:\n    - {name: prod, namespace: web}\n"
                              "    - {server: 'https://prod.example.com', namespace: web}\n",
        "apps/argocd.yaml": application("argocd", "argocd", "argocd"),
        "argocd/clusters.yaml": cluster("prod", "https://prod.example.com/")
        + cluster("staging", "https://stg.example.com"),
        "apps/web.yaml": web.replace("server: https://kubernetes.default.svc", destination),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings if f.policy == "argocd-project"] == found


def _kind(spec: dict[str, Any], group: str, kind: str, namespaced: bool,
          name: str = "") -> bool | None:
    return group_kind_permitted(spec, group, kind, name, namespaced).permitted


def test_a_name_in_a_namespaced_list_is_no_part_of_it() -> None:
    """The namespaced lists are GroupKinds (a name written there is pruned): an entry
    naming one ConfigMap lists every ConfigMap; the cluster lists do name resources."""
    spec = {"namespaceResourceWhitelist": [{"group": "", "kind": "ConfigMap", "name": "a"}],
            "clusterResourceWhitelist": [{"group": "", "kind": "Namespace", "name": "a"}]}
    assert _kind(spec, "", "ConfigMap", True, "b") is True
    assert _kind(spec, "", "Namespace", False, "b") is False
    assert _kind(spec, "", "Namespace", False, "a") is True


def test_group_kind_permitted() -> None:
    """TestAppProject_IsGroupKindPermitted."""
    deny_deployment = [{"group": "apps", "kind": "Deployment"}]
    proj: dict[str, Any] = {"namespaceResourceWhitelist": [],
                            "namespaceResourceBlacklist": deny_deployment}
    assert _kind(proj, "apps", "ReplicaSet", True) is False
    assert _kind(proj, "apps", "Deployment", True) is False
    proj2 = {"namespaceResourceWhitelist": [{"group": "apps", "kind": "ReplicaSet"}],
             "namespaceResourceBlacklist": deny_deployment}
    assert _kind(proj2, "apps", "ReplicaSet", True) is True
    assert _kind(proj2, "apps", "Action", True) is False
    proj3 = {"clusterResourceBlacklist": [{"group": "", "kind": "Namespace"}]}
    assert _kind(proj3, "", "Namespace", False) is False
    everything = [{"group": "*", "kind": "*"}]
    proj4 = {"clusterResourceWhitelist": everything, "clusterResourceBlacklist": everything}
    assert _kind(proj4, "", "Namespace", False) is False
    assert _kind(proj4, "apps", "Action", True) is True
    proj5 = {"clusterResourceWhitelist": [], "namespaceResourceWhitelist": everything}
    assert _kind(proj5, "", "Namespace", False) is False
    assert _kind(proj5, "apps", "Action", True) is True
    assert _kind({}, "", "Namespace", False) is False
    assert _kind({}, "apps", "Action", True) is True
    proj7 = {"clusterResourceWhitelist": [{"group": "", "kind": "Namespace", "name": "team1-*"}]}
    assert _kind(proj7, "", "Namespace", False, "other-namespace") is False
    assert _kind(proj7, "", "Namespace", False, "team1-namespace") is True
    assert _kind({"namespaceResourceWhitelist": None}, "apps", "Action", True) is True
    assert _kind({"clusterResourceWhitelist": "*"}, "", "Namespace", False) is None


@pytest.mark.parametrize(("pattern", "value", "matched"), [
    ("foo", "foo", True), ("foo*", "foobar", True), ("foo*", "bar", False),
    ("*", "anything", True), ("!foo", "bar", True), ("!foo", "foo", False),
    ("!{kube-system,argocd}", "argocd", False), ("!{kube-system,argocd}", "web", True),
    ("[a-c]x", "bx", True), ("[!a-c]x", "bx", False), ("a[", "a[", False), ("!a[", "x", True),
])
def test_glob_match(pattern: str, value: str, matched: bool) -> None:
    """TestGlobMatch, and gobwas/glob's classes and alternatives; a pattern gobwas does not
    compile matches nothing (its negation everything)."""
    assert glob_match(pattern, value) is matched


@pytest.mark.parametrize(("pattern", "value", "matched"), [
    ("*", "ClusterRole", True), ("Cluster*", "ClusterRole", True), ("", "", True),
    ("", "apps", False), ("[^a]pps", "apps", False), ("[!a]pps", "!pps", True),
    ("[", "[", False), ("*.k8s.io", "rbac.authorization.k8s.io", True),
])
def test_go_match(pattern: str, value: str, matched: bool) -> None:
    """Go's filepath.Match, which Argo CD reads groups, kinds and names with."""
    assert go_match(pattern, value) is matched


@pytest.mark.usefixtures("helm_bin")
def test_an_app_project_a_render_writes_is_the_one_applications_are_checked_against(
        tmp_path: Path) -> None:
    """A chart of AppProjects (deployed by an Application, as an app-of-apps deploys them)
    writes team-a with no clusterResourceWhitelist: the ClusterRole web's chart renders is
    refused, as Argo CD refuses it; a project the render names in no namespace is in its
    destination's."""
    from platecheck.engine import lint

    project = ("apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n"
               "  name: team-a\n{namespace}spec:\n  sourceRepos: ['*']\n  destinations:\n"
               "    - {{server: https://kubernetes.default.svc, namespace: '*'}}\n")
    for namespace in ("  namespace: argocd\n", ""):
        repo = write_files(tmp_path / f"repo{len(namespace)}", {
            ".git/HEAD": "",
            "apps/projects.yaml": application("projects", "projects", "argocd"),
            "projects/Chart.yaml": "apiVersion: v2\nname: projects\nversion: 0.1.0\n",
            "projects/templates/team-a.yaml": project.format(namespace=namespace),
            "apps/web.yaml": application("web", "charts/web", "web").replace(
                "project: default", "project: team-a"),
            "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
            "charts/web/templates/role.yaml": "apiVersion: rbac.authorization.k8s.io/v1\n"
                                              "kind: ClusterRole\nmetadata:\n  name: web\n"
                                              "rules: []\n"})
        report = lint(repo, cache_dir=tmp_path / "cache")
        assert [(f.location, f.message) for f in report.findings
                if f.policy == "argocd-project"] == [
            ("charts/web/templates/role.yaml:4", "ClusterRole/web is not permitted in project "
             "team-a: clusterResourceWhitelist is empty (no cluster-scoped resource is "
             "permitted)")], namespace


def test_a_source_with_no_repository_is_no_project_finding(tmp_path: Path) -> None:
    """An empty repoURL is refused before any project is asked (argocd-application says so):
    the project does not refuse it a second time."""
    from platecheck.engine import lint

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "projects/team-a.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\n"
                                "metadata:\n  name: team-a\n  namespace: argocd\nspec:\n"
                                "  sourceRepos: ['https://git.example.com/*']\n"
                                "  destinations: [{server: '*', namespace: '*'}]\n",
        "apps/web.yaml": application("web", "charts/web", "web", repo="''").replace(
            "project: default", "project: team-a")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.policy for f in report.findings if f.policy == "argocd-project"] == []
    assert report.exit_code != 0


def test_a_custom_kind_is_scoped_as_its_crd_in_the_repository_says(tmp_path: Path) -> None:
    """A cluster-scoped custom kind whose CRD the repository holds is refused by a project
    with no clusterResourceWhitelist; one whose CRD is not in the repository is left unsaid."""
    from platecheck.engine import lint

    crd = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
           "  name: pools.example.com\nspec:\n  group: example.com\n  scope: Cluster\n"
           "  names: {kind: Pool, plural: pools}\n  versions:\n  - name: v1\n    served: true\n"
           "    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n"
           "        x-kubernetes-preserve-unknown-fields: true\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "platform/pool-crd.yaml": crd,
        "apps/platform.yaml": application("platform", "platform", "platform"),
        "projects/team-a.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\n"
                                "metadata:\n  name: team-a\n  namespace: argocd\nspec:\n"
                                "  sourceRepos: ['*']\n"
                                "  destinations: [{server: '*', namespace: '*'}]\n",
        "apps/web.yaml": application("web", "manifests", "web").replace(
            "project: default", "project: team-a"),
        "manifests/pool.yaml": "apiVersion: example.com/v1\nkind: Pool\nmetadata:\n"
                               "  name: web\n",
        "manifests/other.yaml": "apiVersion: other.example.com/v1\nkind: Gadget\nmetadata:\n"
                                "  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "argocd-project"] == [
        ("manifests/pool.yaml:4", "Pool/web is not permitted in project team-a: "
         "clusterResourceWhitelist is empty (no cluster-scoped resource is permitted)")]


def test_a_built_in_namespaced_kind_is_checked_against_the_namespaced_lists(
        tmp_path: Path) -> None:
    """Kubernetes 1.31's namespaced kinds are those its OpenAPI specification serves under
    ``/namespaces/{namespace}/``: a ResourceClaim the namespaceResourceWhitelist does not
    list is refused, as a ConfigMap it lists is not."""
    from platecheck.engine import lint

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "projects/team-a.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\n"
                                "metadata:\n  name: team-a\n  namespace: argocd\nspec:\n"
                                "  sourceRepos: ['*']\n"
                                "  destinations: [{server: '*', namespace: '*'}]\n"
                                "  namespaceResourceWhitelist: [{group: '', kind: ConfigMap}]\n",
        "apps/web.yaml": application("web", "manifests", "web").replace(
            "project: default", "project: team-a"),
        "manifests/claim.yaml": "apiVersion: resource.k8s.io/v1alpha3\nkind: ResourceClaim\n"
                                "metadata:\n  name: web\nspec: {}\n",
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "argocd-project"] == [
        ("manifests/claim.yaml:4", "ResourceClaim/web is not permitted in project team-a: "
         "namespaceResourceWhitelist does not list resource.k8s.io/ResourceClaim")]


@pytest.mark.parametrize(("project", "apps_namespace", "found"), [
    ('""', "argocd", True),  # an empty project is default
    ("team", "team-apps", False),  # two teams in two namespaces: which one is not known
], ids=["empty-is-default", "two-namespaces"])
def test_which_project_an_application_is_of(tmp_path: Path, project: str,
                                            apps_namespace: str, found: bool) -> None:
    from platecheck.engine import lint

    def appproject(name: str, namespace: str, repos: str) -> str:
        return (f"apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n"
                f"  name: {name}\n  namespace: {namespace}\nspec:\n  sourceRepos: {repos}\n"
                "  destinations: [{server: '*', namespace: '*'}]\n")

    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "projects/default.yaml": appproject("default", "argocd", "['https://nowhere.example/*']"),
        "projects/team.yaml": appproject("team", "argocd", "['*']"),
        "projects/team-apps.yaml": appproject("team", "team-apps", "[]"),
        "apps/web.yaml": application("web", "web", "web").replace(
            "project: default", f"project: {project}").replace(
            "namespace: argocd", f"namespace: {apps_namespace}"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert bool([f for f in report.findings if f.policy == "argocd-project"]) is found


@pytest.mark.parametrize("extra", ["repository-secret", "global-projects", "none",
                                   "global-projects-not-rendered",
                                   "repository-secret-not-rendered", "external-secret"])
def test_what_argo_cd_adds_to_a_project(tmp_path: Path, extra: str) -> None:
    """team permits no repository; a project-scoped repository Secret the repository
    deploys adds this one (GetAppProjectByName), and an argocd-cm with globalProjects may
    merge another project's lists into it (then nothing is said), also one a build that
    could not be rendered (a remote base) generates or a Secret it holds adds, or a Secret
    an ExternalSecret makes."""
    from platecheck.engine import lint

    secret = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: repo\n  labels:\n"
              "    argocd.argoproj.io/secret-type: repository\nstringData:\n"
              "  url: https://git.example.com/repo.git\n  project: team\n")
    config = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n"
              "  globalProjects: |\n    - projectName: global\n")
    external = ("apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n"
                "  name: repo\nspec:\n  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n"
                "  target:\n    template:\n      metadata:\n        labels:\n"
                "          argocd.argoproj.io/secret-type: repository\n"
                "      data: {url: '{{ .url }}', project: team}\n"
                "  dataFrom: [{extract: {key: repo}}]\n")
    unrendered = {  # (a remote base platecheck does not fetch)
        "argocd/kustomization.yaml": "resources:\n  - https://example.com/install.yaml\n"
                                     "configMapGenerator:\n  - name: argocd-cm\n"
                                     "    files: [globalProjects]\n",
        "argocd/globalProjects": "- projectName: global\n"}
    if extra == "repository-secret-not-rendered":
        unrendered = {"argocd/kustomization.yaml": "resources:\n"
                                                  "  - https://example.com/install.yaml\n"
                                                  "  - repos.yaml\n",
                      "argocd/repos.yaml": secret}
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "projects/team.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n"
                              "  name: team\n  namespace: argocd\nspec:\n  sourceRepos: []\n"
                              "  destinations: [{server: '*', namespace: '*'}]\n",
        "apps/argocd.yaml": application("argocd", "argocd", "argocd"),
        **(unrendered if extra.endswith("-not-rendered") else {
            "argocd/extra.yaml": {"repository-secret": secret, "global-projects": config,
                                  "external-secret": external,
                                  "none": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                          "  name: other\n"}[extra]}),
        "apps/web.yaml": application("web", "web", "web").replace(
            "project: default", "project: team"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings if f.policy == "argocd-project"] == (
        ["apps/web.yaml:9"] if extra == "none" else [])


# a project of every repository and destination, and no cluster-scoped kind
_OPEN_TEAM = ("apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: team\n"
              "  namespace: argocd\nspec:\n  sourceRepos: ['*']\n"
              "  destinations: [{server: '*', namespace: '*'}]\n")


@pytest.mark.parametrize(("whitelist", "written", "found"), [
    ("", False, True),  # no cluster-scoped kind permitted: the Namespace Argo CD creates fails
    ("  clusterResourceWhitelist: [{group: '', kind: Namespace}]\n", False, False),
    ("", True, False),  # a Namespace the source renders is checked as a resource instead
], ids=["not-permitted", "permitted", "rendered"])
def test_the_namespace_create_namespace_makes_is_checked_against_the_project(
        tmp_path: Path, whitelist: str, written: bool, found: bool) -> None:
    """``CreateNamespace=true``: gitops-engine checks the Namespace it creates as a resource
    of the Application, so a project that does not permit the Namespace kind fails the sync;
    the finding is at the option."""
    from platecheck.engine import lint

    app = application("web", "manifests", "web").replace("project: default", "project: team")
    app += "  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n"
    files = {
        ".git/HEAD": "",
        "projects/team.yaml": _OPEN_TEAM + whitelist,
        "apps/web.yaml": app,
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}
    if written:
        files["manifests/ns.yaml"] = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n"
    report = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache")
    project = [(f.location, f.message) for f in report.findings if f.policy == "argocd-project"]
    if written:  # (the rendered Namespace itself is not permitted: that is its finding)
        assert [location for location, _ in project] == ["manifests/ns.yaml:4"]
        return
    assert project == ([("apps/web.yaml:16", "Namespace/web, which CreateNamespace=true has "
                         "Argo CD create, is not permitted in project team: "
                         "clusterResourceWhitelist is empty (no cluster-scoped resource is "
                         "permitted)")] if found else [])


@pytest.mark.parametrize(("destination", "found"), [
    ("server: https://kubernetes.default.svc", False),
    ("name: in-cluster", False),
    ("server: https://edge.example.com", True),  # (another cluster: no argocd there known)
], ids=["in-cluster-server", "in-cluster-name", "other-cluster"])
def test_the_namespace_an_application_lives_in_is_not_created(
        tmp_path: Path, destination: str, found: bool) -> None:
    """An app-of-apps in ``argocd`` deploying to ``argocd`` on the cluster Argo CD runs in,
    with ``CreateNamespace=true``: the namespace it lives in is there (``syncNamespace``
    finds it live and adds no task), so no Namespace is checked against its project."""
    from platecheck.engine import lint

    app = application("root", "manifests", "argocd").replace(
        "project: default", "project: team").replace(
        "server: https://kubernetes.default.svc", destination)
    app += "  syncPolicy:\n    syncOptions:\n      - CreateNamespace=true\n"
    files = {
        ".git/HEAD": "",
        "projects/team.yaml": _OPEN_TEAM,
        "apps/root.yaml": app,
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"}
    report = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings if f.policy == "argocd-project"] == (
        ["apps/root.yaml:16"] if found else [])


def test_a_resource_is_checked_against_the_cluster_its_destination_name_resolves_to(
        tmp_path: Path) -> None:
    """``name: in-cluster`` is ``https://kubernetes.default.svc`` (Argo CD resolves it
    before ``validateSyncPermissions``): a ConfigMap in ``kube-system`` is permitted by
    neither entry (``apps`` on that server, anything on another)."""
    from platecheck.engine import lint

    app = application("web", "manifests", "apps").replace(
        "project: default", "project: team").replace(
        "server: https://kubernetes.default.svc", "name: in-cluster")
    files = {
        ".git/HEAD": "",
        "projects/team.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\n"
                              "metadata:\n  name: team\n  namespace: argocd\nspec:\n"
                              "  sourceRepos: ['*']\n  destinations:\n"
                              "    - {server: https://kubernetes.default.svc, namespace: apps}\n"
                              "    - {server: 'https://prod.example.com:6443', namespace: '*'}\n",
        "apps/web.yaml": app,
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
                             "  namespace: kube-system\n"}
    report = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache")
    assert [(f.location, f.message.split(" is ")[0]) for f in report.findings
            if f.policy == "argocd-project"] == [
        ("manifests/cm.yaml:4", "ConfigMap/web in namespace kube-system")]


@pytest.mark.parametrize(("listed", "found"), [
    ("  namespaceResourceWhitelist: [{group: '', kind: ConfigMap}]\n",
     [("apps/web.yaml:4", "Application/web is not permitted in project bootstrap: "
       "namespaceResourceWhitelist does not list argoproj.io/Application")]),
    ("  namespaceResourceWhitelist: [{group: argoproj.io, kind: Application}]\n", []),
], ids=["not-listed", "listed"])
def test_a_directory_app_of_apps_syncs_its_applications_under_its_project(
        tmp_path: Path, listed: str, found: list[tuple[str, str]]) -> None:
    """``root`` (project bootstrap) deploys the directory ``apps/`` of Application files:
    Argo CD syncs each Application as a resource of root, checked against bootstrap's
    namespaceResourceWhitelist, as a chart's or a kustomization's Applications are."""
    assert _bootstrap_findings(tmp_path, "argocd", listed, {
        "apps/web.yaml": application("web", "web", "web")}) == found


def _bootstrap_findings(tmp_path: Path, namespaces: str, listed: str,
                        apps: dict[str, str]) -> list[tuple[str, str]]:
    """argocd-project's findings of ``root`` (project bootstrap, destinations of the
    ``namespaces`` pattern, namespaceResourceWhitelist ``listed``) deploying the directory
    ``apps/`` of ``apps`` (file -> text) beside a chart ``web``."""
    from platecheck.engine import lint

    root = application("root", "apps", "argocd").replace("project: default",
                                                          "project: bootstrap")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "project.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n"
                        "  name: bootstrap\n  namespace: argocd\nspec:\n  sourceRepos: ['*']\n"
                        f"  destinations: [{{server: '*', namespace: '{namespaces}'}}]\n"
                        + listed,
        "root.yaml": root, **apps,
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    return [(f.location, f.message) for f in report.findings if f.policy == "argocd-project"]


@pytest.mark.parametrize(("listed", "found"), [
    ("ApplicationSet", []),
    ("Application", [("apps/set.yaml:4", "ApplicationSet/web is not permitted in project "
                      "bootstrap: namespaceResourceWhitelist does not list "
                      "argoproj.io/ApplicationSet")]),
])
def test_a_directory_app_of_apps_syncs_a_set_not_what_it_makes(
        tmp_path: Path, listed: str, found: list[tuple[str, str]]) -> None:
    """``apps/`` holds an ApplicationSet of a plain list: root syncs the set, checked against
    its project; the Applications the set makes are created by the ApplicationSet
    controller, which no project of root's checks (they were not permitted there)."""
    from synthetic import application_set

    assert _bootstrap_findings(tmp_path, "*", f"  namespaceResourceWhitelist: [{{group: "
                               f"argoproj.io, kind: {listed}}}]\n", {
        "apps/set.yaml": application_set(
            "web", "    - list:\n        elements:\n          - env: a\n          - env: b\n",
            "web-{{env}}", "web", "web-{{env}}").replace("  name: web\n",
                                                       "  name: web\n  namespace: argocd\n", 1)
    }) == found


def test_an_app_of_apps_of_another_repository_syncs_none_of_this_one_s_applications(
        tmp_path: Path) -> None:
    """root's directory ``apps`` is another repository's: the Applications in this
    checkout's ``apps/`` are none of root's resources, so root's project says nothing of
    them (it said they were not permitted)."""
    from platecheck.engine import lint

    root = application("root", "apps", "argocd",
                       repo="https://git.example.com/other.git").replace(
        "project: default", "project: bootstrap")
    repo = write_files(tmp_path / "repo", {
        ".git/config": '[remote "origin"]\n\turl = https://git.example.com/repo.git\n',
        "project.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n"
                        "  name: bootstrap\n  namespace: argocd\nspec:\n  sourceRepos: ['*']\n"
                        "  destinations: [{server: '*', namespace: argocd}]\n"
                        "  namespaceResourceWhitelist: [{group: '', kind: ConfigMap}]\n",
        "root.yaml": root,
        "apps/web.yaml": application("web", "web", "web"),
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings if f.policy == "argocd-project"] == []


_PROJECT = ("apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: {name}\n"
            "  namespace: argocd\nspec:\n{spec}")


@pytest.mark.parametrize("namespace, metadata, found", [
    ("kube-system", "", False),  # every cluster has it: Argo CD creates nothing
    ("kube-system", "    managedNamespaceMetadata: {labels: {a: b}}\n", True),  # it changes it
    ("web", "", True),
], ids=["kube-system", "kube-system-managed", "web"])
def test_create_namespace_of_a_namespace_every_cluster_has_is_no_finding(
        tmp_path: Path, namespace: str, metadata: str, found: bool) -> None:
    """Argo CD syncs a namespace that exists only to apply managedNamespaceMetadata
    (syncNamespace): the project is asked about kube-system only then."""
    from platecheck.engine import lint

    app = application("app", "web", namespace).replace("project: default", "project: team")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "projects/team.yaml": _PROJECT.format(name="team", spec=(
            "  sourceRepos: ['*']\n  destinations: [{server: '*', namespace: '*'}]\n")),
        "apps/app.yaml": app + "  syncPolicy:\n    syncOptions: [CreateNamespace=true]\n"
                         + metadata,
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [f.resource for f in report.findings if f.policy == "argocd-project"] == (
        [f"Namespace/{namespace}"] if found else [])


def test_a_default_project_the_repository_writes_in_part_keeps_the_rest(
        tmp_path: Path) -> None:
    """A document of the project default that writes only destinationServiceAccounts (applied
    over the one Argo CD creates) leaves its sources, destinations and cluster resources as
    Argo CD made them: everything permitted (each was an empty-list finding); a field it
    writes is what it says."""
    from platecheck.engine import lint

    role = ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
            "  name: reader\nrules: []\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "",
        "projects/default.yaml": _PROJECT.format(name="default", spec=(
            "  destinationServiceAccounts:\n    - {server: '*', namespace: '*', "
            "defaultServiceAccount: deployer}\n")),
        "apps/app.yaml": application("app", "web", "web"),
        "web/role.yaml": role})
    assert [f.message for f in lint(repo, cache_dir=tmp_path / "cache").findings
            if f.policy == "argocd-project"] == []
    write_files(repo, {"projects/default.yaml": _PROJECT.format(name="default", spec=(
        "  sourceRepos: ['https://elsewhere.example.com/*']\n"))})
    assert [f.policy for f in lint(repo, cache_dir=tmp_path / "cache").findings
            if f.policy == "argocd-project"] == ["argocd-project"]


def test_a_run_of_one_environment_leaves_out_another_s_application_findings(
        tmp_path: Path) -> None:
    """prod's Application names a destination its project does not permit: a full run says
    so under prod; a run of dev (no target of prod, none compared) says nothing of it (it
    was a finding of no environment that failed dev's gate)."""
    from platecheck.engine import lint

    config = ("environments:\n"
              + "".join(f"  {env}:\n    match:\n      names: ['*-{env}']\n"
                        + ("    production: true\n" if env == "prod" else "")
                        for env in ("prod", "stg", "dev"))
              + "policies:\n  env-consistency:\n    options:\n      pairs: [[stg, prod]]\n")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "policies/platecheck.yaml": config,
        "projects/web.yaml": _PROJECT.format(name="web", spec=(
            "  sourceRepos: ['*']\n  destinations:\n"
            "    - {server: '*', namespace: web-dev}\n    - {server: '*', namespace: web-stg}\n")),
        **{f"apps/web-{env}.yaml": application(f"web-{env}", "web", f"web-{env}").replace(
            "project: default", "project: web") for env in ("prod", "stg", "dev")},
        "web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"})
    full = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.environment, f.location) for f in full.findings
            if f.policy == "argocd-project"] == [("prod", "apps/web-prod.yaml:11")]
    dev = lint(repo, cache_dir=tmp_path / "cache", environments=["dev"])
    assert ([f for f in dev.findings if f.policy == "argocd-project"], dev.exit_code) == ([], 0)


def test_a_project_a_chart_linted_alone_renders_is_the_project_of_its_applications(
        tmp_path: Path, helm_bin: Path) -> None:
    """A chart of no Application (linted in chart mode) renders the project ``team`` and an
    Application of it whose repoURL the project does not list: refused, as Argo CD refuses
    it (the project of a target of no Application was left out: the run passed)."""
    from platecheck.engine import lint

    app = application("web", "manifests", "web").replace("project: default", "project: team")
    repo = write_files(tmp_path / "repo", {
        ".git/HEAD": "", "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"
                                              "metadata:\n  name: web\n",
        "charts/apps/Chart.yaml": "apiVersion: v2\nname: apps\nversion: 0.1.0\n",
        "charts/apps/templates/app.yaml": app,
        "charts/apps/templates/project.yaml": _PROJECT.format(name="team", spec=(
            "  sourceRepos: ['https://git.example.com/other.git']\n"
            "  destinations: [{server: '*', namespace: '*'}]\n"))})
    report = lint(repo, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert {(f.location, f.message.split(": ")[0]) for f in report.findings
            if f.policy == "argocd-project"} == {
        ("charts/apps/templates/app.yaml:9", "repoURL https://git.example.com/repo.git of "
         "Application web is not permitted in project team")}
