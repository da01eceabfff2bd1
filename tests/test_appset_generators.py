"""ApplicationSets of several top-level generators, or of a matrix of two or a merge, each a
plain list or a git generator of this repository, are expanded as Argo CD's ApplicationSet
controller expands them (argo-cd applicationset/controllers/template GenerateApplications,
applicationset/generators/matrix.go, merge.go): every Application they make is checked, a
value one list element key fills at that key, one a git path parameter fills at the entry
that chose its directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from platecheck.appset_generators import unexpanded_reason
from platecheck.engine import lint, load
from synthetic import CM, ORIGIN, POD, application, write_files

pytestmark = pytest.mark.usefixtures("helm_bin")

_HEAD = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web
  namespace: argocd
spec:
  generators:
"""
_TEMPLATE = """\
  template:
    metadata:
      name: '{name}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        targetRevision: HEAD
        path: '{path}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{namespace}'
"""


def _repo(tmp_path: Path, generators: str, name: str, path: str, namespace: str) -> Path:
    """A repository of ``clusters/<env>/<app>`` directories and one ApplicationSet
    ``apps/set.yaml`` of ``generators`` (its line 8 the first)."""
    return write_files(tmp_path / "repo", {
        ".git/config": ORIGIN,
        "apps/set.yaml": _HEAD + generators + _TEMPLATE.format(
            name=name, path=path, namespace=namespace),
        "clusters/prod/web/pod.yaml": POD, "clusters/prod/api/cm.yaml": CM.format(name="a"),
        "clusters/stg/web/cm.yaml": CM.format(name="s")})


def _report(root: Path, tmp_path: Path) -> list[tuple[str, str, str | None, str]]:
    report = lint(root, cache_dir=tmp_path / "cache")
    return sorted((f.policy, f.location, str(f.target), f.message) for f in [
        *report.errors, *report.findings] if f.policy not in ("argocd-app-project",))


def _apps(root: Path, tmp_path: Path) -> list[tuple[str, str | None, str | None, int]]:
    model = load(root, cache_dir=tmp_path / "cache")
    return sorted((a.name, a.sources[0].path if a.sources else None,
                   a.destination_namespace, a.line) for a in [
        *model.generated, *(a for a in model.applications if a.kind == "Application")])


_GIT = ("    - git:\n        repoURL: https://git.example.com/repo.git\n"
        "        revision: HEAD\n        directories:\n          - path: {}\n")
_NS = ("Application {app}: destination namespace '{ns}' does not match environment {env} "
       "({env_patterns})")
_PATTERNS = {"prod": "*-prod, *-production, *-prd, prod-*, production-*, prd-*, prod, "
                     "production, prd",
             "stg": "*-stg, *-staging, *-stage, stg-*, staging-*, stage-*, stg, staging, stage"}


def _ns(app: str, ns: str, env: str) -> str:
    return _NS.format(app=app, ns=ns, env=env, env_patterns=_PATTERNS[env])


def _checked(root: Path, tmp_path: Path) -> list[tuple[str, str, str, str]]:
    return [f for f in _report(root, tmp_path) if f[0] in (
        "argocd-application", "could-not-check", "not-rendered", "image-tag-pinned")]


def test_two_git_generators_make_the_applications_of_both(tmp_path: Path) -> None:
    """Each generator's Applications, concatenated; a value a path parameter fills is at the
    entry of the generator that chose the directory (lines 12 and 17)."""
    root = _repo(tmp_path, _GIT.format("clusters/prod/*") + _GIT.format("clusters/stg/*"),
                 "{{path[1]}}-{{path.basename}}", "{{path}}", "{{path.basename}}")
    assert _apps(root, tmp_path) == [("prod-api", "clusters/prod/api", "api", 18),
                                     ("prod-web", "clusters/prod/web", "web", 18),
                                     ("stg-web", "clusters/stg/web", "web", 18)]
    assert _checked(root, tmp_path) == [
        ("argocd-application", "apps/set.yaml:12", "prod/api", _ns("prod-api", "api", "prod")),
        ("argocd-application", "apps/set.yaml:12", "prod/web", _ns("prod-web", "web", "prod")),
        ("argocd-application", "apps/set.yaml:17", "stg/web", _ns("stg-web", "web", "stg")),
        ("image-tag-pinned", "clusters/prod/web/pod.yaml:8", "prod/web",
         'container "c" in Pod/p uses floating tag "latest"')]


def test_a_git_and_a_list_generator_make_the_applications_of_both(tmp_path: Path) -> None:
    """A list element giving the keys the git generator's parameters have (a key with a dot
    is one key): its Application is at the element's line, the git ones at the template's."""
    root = _repo(tmp_path, _GIT.format("clusters/prod/*") + (
        "    - list:\n        elements:\n          - path: clusters/stg/web\n"
        "            path[1]: stg\n            path.basename: stg-web\n"),
        "{{path[1]}}-{{path.basename}}", "{{path}}", "{{path.basename}}")
    assert _apps(root, tmp_path) == [("prod-api", "clusters/prod/api", "api", 18),
                                     ("prod-web", "clusters/prod/web", "web", 18),
                                     ("stg-stg-web", "clusters/stg/web", "stg-web", 15)]
    assert [f[1:3] for f in _checked(root, tmp_path)] == [
        ("apps/set.yaml:12", "prod/api"), ("apps/set.yaml:12", "prod/web"),
        ("clusters/prod/web/pod.yaml:8", "prod/web")]


_MATRIX_GIT_LIST = (
    "    - matrix:\n        generators:\n          - list:\n              elements:\n"
    "                - env: prod\n                  ns: prod-web\n"
    "                - env: stg\n                  ns: web\n          - git:\n"
    "              repoURL: https://git.example.com/repo.git\n              revision: HEAD\n"
    "              directories:\n                - path: 'clusters/{{env}}/*'\n")


def test_a_matrix_s_git_path_is_filled_with_the_list_s_parameters(tmp_path: Path) -> None:
    """matrix(list, git): the git path ``clusters/{{env}}/*`` of each element finds that
    environment's directories; each Application is at the template's line, a value one
    element key fills (``{{ns}}``) at that key (line 15)."""
    root = _repo(tmp_path, _MATRIX_GIT_LIST, "{{env}}-{{path.basename}}", "{{path}}",
                 "{{ns}}")
    assert _apps(root, tmp_path) == [("prod-api", "clusters/prod/api", "prod-web", 21),
                                     ("prod-web", "clusters/prod/web", "prod-web", 21),
                                     ("stg-web", "clusters/stg/web", "web", 21)]
    assert _checked(root, tmp_path) == [
        ("argocd-application", "apps/set.yaml:15", "stg/web", _ns("stg-web", "web", "stg")),
        ("image-tag-pinned", "clusters/prod/web/pod.yaml:8", "prod/web",
         'container "c" in Pod/p uses floating tag "latest"')]


def test_a_matrix_of_two_lists_makes_their_product(tmp_path: Path) -> None:
    """Each environment with each app; a path of two keys is at the template's line."""
    root = _repo(tmp_path, (
        "    - matrix:\n        generators:\n          - list:\n              elements:\n"
        "                - env: prod\n                - env: stg\n          - list:\n"
        "              elements:\n                - app: web\n                - app: nope\n"),
        "{{env}}-{{app}}", "clusters/{{env}}/{{app}}", "{{app}}-{{env}}")
    assert _apps(root, tmp_path) == [
        (f"{env}-{app}", f"clusters/{env}/{app}", f"{app}-{env}", 18)
        for env, app in (("prod", "nope"), ("prod", "web"), ("stg", "nope"), ("stg", "web"))]
    assert [f for f in _checked(root, tmp_path) if f[0] == "could-not-check"] == [
        ("could-not-check", "apps/set.yaml:26", f"{env}/nope",
         f"source path 'clusters/{env}/nope' does not exist") for env in ("prod", "stg")]


def test_a_matrix_that_makes_more_applications_than_platecheck_expands_is_not_checked(
        tmp_path: Path) -> None:
    """Two lists of 80 and 70 elements (a few kilobytes) make 5,600 Applications, more than
    ``MAX_SET_APPLICATIONS``: one could-not-check error at the generators, in well under
    the time planning them would take (a thousand by a thousand makes a million)."""
    from platecheck.limits import MAX_SET_APPLICATIONS

    elements = "".join(
        "          - list:\n              elements:\n"
        + "".join(f"                - {key}: {key}{i}\n" for i in range(count))
        for key, count in (("env", 80), ("app", 70)))
    assert 80 * 70 > MAX_SET_APPLICATIONS
    root = _repo(tmp_path, "    - matrix:\n        generators:\n" + elements,
                 "{{env}}-{{app}}", "clusters/{{env}}/{{app}}", "{{app}}-{{env}}")
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message.split(",")[0]) for e in report.errors] == [
        ("apps/set.yaml:8", f"ApplicationSet web matrix generator makes more than "
                            f"{MAX_SET_APPLICATIONS} Applications")]
    assert report.renders == 0 and report.exit_code == 2


def test_a_fasttemplate_matrix_whose_children_give_a_key_two_values_fails(
        tmp_path: Path) -> None:
    """CombineStringMaps: ``env`` of both lists, unequal: the set creates nothing."""
    root = _repo(tmp_path, (
        "    - matrix:\n        generators:\n          - list:\n              elements:\n"
        "                - env: prod\n          - list:\n              elements:\n"
        "                - env: stg\n"), "web-{{env}}", "clusters/{{env}}/web", "web-{{env}}")
    assert _apps(root, tmp_path) == []
    assert [f[:2] + f[3:] for f in _checked(root, tmp_path)] == [
        ("could-not-check", "apps/set.yaml:8", "ApplicationSet web matrix generator: both "
         "generators give parameter 'env', as 'prod' and as 'stg'; Argo CD fails the "
         "ApplicationSet and creates none of its Applications")]


def test_a_generator_s_own_template_is_merged_over_the_set_s(tmp_path: Path) -> None:
    """The second list's template names its Application and path; the fields it leaves
    empty (destination, project, targetRevision) are the set's."""
    root = _repo(tmp_path, (
        "    - list:\n        elements:\n          - env: prod\n"
        "    - list:\n        elements:\n          - env: stg\n"
        "        template:\n          metadata:\n            name: 'api-{{env}}'\n"
        "          spec:\n            project: ''\n            destination: {}\n"
        "            source:\n              repoURL: https://git.example.com/repo.git\n"
        "              path: 'clusters/{{env}}/api'\n"),
        "web-{{env}}", "clusters/{{env}}/web", "web-{{env}}")
    assert _apps(root, tmp_path) == [("api-stg", "clusters/stg/api", "web-stg", 13),
                                     ("web-prod", "clusters/prod/web", "web-prod", 10)]
    assert [f for f in _checked(root, tmp_path) if f[0] == "could-not-check"] == [
        ("could-not-check", "apps/set.yaml:13", "stg/api",
         "source path 'clusters/stg/api' does not exist")]


def test_one_name_two_generators_make_is_refused(tmp_path: Path) -> None:
    """``web-prod`` of both lists: Argo CD creates neither, and the set's other one."""
    root = _repo(tmp_path, (
        "    - list:\n        elements:\n          - env: prod\n          - env: stg\n"
        "    - list:\n        elements:\n          - env: prod\n"),
        "web-{{env}}", "clusters/{{env}}/web", "web-{{env}}")
    assert _apps(root, tmp_path) == [("web-stg", "clusters/stg/web", "web-stg", 11)]
    assert [f for f in _checked(root, tmp_path) if f[0] == "could-not-check"] == [
        ("could-not-check", "apps/set.yaml:17", "None",
         "ApplicationSet web makes 2 Applications named 'web-prod': Argo CD refuses each of "
         "them and creates the set's others")]


def test_a_matrix_of_a_clusters_generator_stays_not_rendered(tmp_path: Path) -> None:
    root = _repo(tmp_path, (
        "    - matrix:\n        generators:\n          - clusters: {}\n"
        "          - list:\n              elements:\n                - env: prod\n"),
        "web-{{env}}", "clusters/{{env}}/web", "web-{{env}}")
    assert _apps(root, tmp_path) == []
    assert _checked(root, tmp_path) == [
        ("not-rendered", "apps/set.yaml:10", "default/web",
         "ApplicationSet web is not rendered: its resources are not checked (platecheck "
         "does not expand a clusters generator inside a matrix)")]


def test_a_go_template_matrix_s_first_child_wins_a_key_both_give(tmp_path: Path) -> None:
    """goTemplate: mergo's override merge, maps key by key: the prod element's
    ``path.basename`` replaces the git directory's, whose ``path.path`` stays; both prod
    Applications are then named prod-x, and refused."""
    root = _repo(tmp_path, _MATRIX_GIT_LIST.replace(
        "'clusters/{{env}}/*'", "'clusters/{{.env}}/*'").replace(
        "                  ns: prod-web\n", "                  ns: prod-web\n"
        "                  path: {basename: x}\n"),
        "{{.env}}-{{.path.basename}}", "{{.path.path}}", "{{.ns}}")
    text = (root / "apps" / "set.yaml").read_text().replace(
        "spec:\n  generators:", "spec:\n  goTemplate: true\n  generators:")
    (root / "apps" / "set.yaml").write_text(text)
    assert _apps(root, tmp_path) == [("stg-web", "clusters/stg/web", "web", 23)]
    assert [f[:2] + f[3:] for f in _checked(root, tmp_path) if f[0] == "could-not-check"] == [
        ("could-not-check", "apps/set.yaml:25", "ApplicationSet web makes 2 Applications "
         "named 'prod-x': Argo CD refuses each of them and creates the set's others")]


_LIST = {"list": {"elements": [{"env": "a"}]}}


@pytest.mark.parametrize(("generators", "spec", "reason"), [
    ([{"clusters": {}}], {}, "a clusters generator"),
    ([{"list": {"elements": []}, "selector": {"matchExpressions": [
        {"key": "a", "operator": "Gt", "values": ["1"]}]}}], {},
     "a generator's selector of what platecheck does not read"),
    ([{"matrix": {"generators": [_LIST, _LIST, _LIST]}}], {},
     "a matrix of other than two generators, or of options other than generators"),
    ([{"matrix": {"generators": [_LIST, {"pullRequest": {}}]}}], {},
     "a pullRequest generator inside a matrix"),
    ([{"matrix": {"generators": [_LIST, {"matrix": {"generators": [_LIST, _LIST]}}]}}], {},
     "a matrix generator inside a matrix"),
    ([{"merge": {"generators": [_LIST, {"matrix": {"generators": [_LIST, _LIST]}}],
                 "mergeKeys": ["env"]}}], {}, "a matrix generator inside a merge"),
    ([{"merge": {"generators": [_LIST, _LIST], "mergeKeys": ["env"], "x": 1}}], {},
     "a merge of options other than generators and mergeKeys"),
    ([{"merge": {"generators": [_LIST, {"list": {"elements": []}, "selector": {
        "matchLabels": {"a": 1}}}], "mergeKeys": ["env"]}}], {},
     "a generator's selector of what platecheck does not read"),
    ([{"merge": {"generators": [_LIST, _LIST], "mergeKeys": ["env"]}}], {}, None),
    ([_LIST, {"git": {"repoURL": "https://git.example.com/repo.git", "revision": "HEAD",
                      "directories": [{"path": "a"}], "files": [{"path": "b"}]}}], {},
     "a git generator of options it does not read (docs/sources.md)"),
    ([_LIST], {"goTemplate": True, "goTemplateOptions": ["missingkey=error", "missingkey"]},
     "goTemplate True with goTemplateOptions ['missingkey=error', 'missingkey']"),
    ([_LIST], {"goTemplate": True, "goTemplateOptions": "missingkey=error"},
     "goTemplate True with goTemplateOptions 'missingkey=error'"),
    ([_LIST], {"goTemplate": True, "template": {"metadata": {"name": "{{ kebabcase .env }}"}}},
     "the Go template '{{ kebabcase .env }}': function 'kebabcase' is not one platecheck executes"),
    ([{"matrix": {"generators": [_LIST, {"git": {
        "repoURL": "https://git.example.com/repo.git", "revision": "HEAD",
        "directories": [{"path": "a/*"}], "values": {"v": "{{ .env }}"}}}]}}],
     {"goTemplate": True}, "a Go template in the git values of a matrix's second generator"),
    ([_LIST], {}, None),  # one platecheck reads as written
])
def test_what_is_not_expanded_of_a_set_is_named(generators: list[Any], spec: dict[str, Any],
                                                 reason: str | None) -> None:
    data = {"spec": {"generators": generators, "template": {"metadata": {"name": "x"}},
                     **spec}}
    assert unexpanded_reason(data) == reason


def test_a_matrix_with_an_empty_list_says_so(tmp_path: Path) -> None:
    """matrix(git, list of no element): the git generator finds directories, the product is
    empty: the set makes nothing, and the finding's fix names the empty list, not a git path
    that finds nothing."""
    generators = ("    - matrix:\n        generators:\n          - git:\n"
                  "              repoURL: https://git.example.com/repo.git\n"
                  "              revision: HEAD\n"
                  "              directories: [{path: 'clusters/*'}]\n"
                  "          - list:\n              elements: []\n")
    report = lint(_repo(tmp_path, generators, "{{path.basename}}-{{env}}", "{{path}}", "web"),
                  cache_dir=tmp_path / "cache")
    [finding] = [f for f in report.findings if f.policy == "not-rendered"]
    assert finding.remediation.startswith(
        "platecheck expands this kind of ApplicationSet, but a list generator of it has no "
        "elements, so as written it makes no Application")


@pytest.mark.parametrize(("generators", "line"), [
    ("    - clusters: {}\n", 8),
    ("    - list:\n        elements: [{env: a}]\n    - matrix:\n        generators:\n"
     "          - list:\n              elements: [{env: b}]\n"
     "          - pullRequest: {github: {owner: o, repo: r}}\n", 14),
])
def test_a_set_not_expanded_for_a_kind_of_generator_is_named_at_it(
        tmp_path: Path, generators: str, line: int) -> None:
    """A set platecheck does not expand for a kind of generator it does not read (clusters,
    a pull request generator in a matrix) is named at that generator: what the message names,
    not the template's source."""
    report = lint(_repo(tmp_path, generators, "{{env}}", "clusters/prod/web", "web"),
                  cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings if f.policy == "not-rendered"] == [
        f"apps/set.yaml:{line}"]


@pytest.mark.parametrize(("name", "refused"), [
    ("x-{{.my-name}}", True),  # Go: bad character U+002D '-'
    ("x-{{ .a", True),  # unclosed action
    ('x-{{ "a }}', True),  # unterminated quoted string
    ("x-{{ $v }}", True),  # undefined variable
    ("x-{{ kebabcase .a }}", False),  # a sprig function platecheck does not execute
    ("x-{{ .café }}", False),  # a name of a letter beyond ASCII, which Go's names may hold
])
def test_a_go_template_go_cannot_parse_fails_the_set(tmp_path: Path, name: str,
                                                     refused: bool) -> None:
    """Argo CD's ``Render.Replace`` fails a template Go refuses to parse ("failed to parse
    template"): the set creates none of its Applications, a could-not-check error at the
    string's line (it was said not rendered, as if only platecheck did not read it); a
    template Go parses but platecheck does not read stays not rendered."""
    root = _repo(tmp_path, "    - list:\n        elements:\n          - {a: web}\n",
                 name, "clusters/prod/web", "prod")
    text = (root / "apps" / "set.yaml").read_text()
    (root / "apps" / "set.yaml").write_text(text.replace("spec:\n  generators:",
                                                         "spec:\n  goTemplate: true\n"
                                                         "  generators:", 1))
    report = lint(root, cache_dir=tmp_path / "cache")
    if refused:
        assert [(e.location, "Go cannot parse the template" in e.message,
                 "creates none of its Applications" in e.message) for e in report.errors] == [
            ("apps/set.yaml:14", True, True)]
        assert not [f for f in report.findings if f.policy == "not-rendered"]
    else:
        assert report.errors == ()
        assert [f.policy for f in report.findings if f.policy == "not-rendered"] == [
            "not-rendered"]


def test_another_repository_a_list_element_names_is_reported_at_the_element(
        tmp_path: Path) -> None:
    """Each element names the repository of its Application: the one of another repository
    is not rendered, at the element's key that named it, not at the template's source,
    which both share."""
    elements = ("    - list:\n        elements:\n"
                "          - {app: web, repo: 'https://git.example.com/repo.git'}\n"
                "          - {app: api, repo: 'https://git.example.com/other.git'}\n")
    root = _repo(tmp_path, elements, "{{app}}-prod", "clusters/prod/{{app}}", "prod")
    text = (root / "apps" / "set.yaml").read_text()
    (root / "apps" / "set.yaml").write_text(text.replace(
        "repoURL: https://git.example.com/repo.git", "repoURL: '{{repo}}'"))
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [(f.location, f.target) for f in report.findings if f.policy == "not-rendered"] == [
        ("apps/set.yaml:11", "prod/api")]


@pytest.mark.parametrize("elements", ["elements: []", "elements:", "elements: null", ""])
def test_a_list_of_no_elements_makes_nothing_as_argo_cd_s_does(tmp_path: Path,
                                                              elements: str) -> None:
    """Argo CD's list generator makes a parameter set per element, none of ``elements:``
    left empty (every element commented out) or null: the set makes no Application, and
    says nothing (it was not-rendered, "platecheck does not expand a list of no elements
    list")."""
    root = _repo(tmp_path, f"    - list:\n        {elements}\n" if elements
                 else "    - list: {}\n", "{{app}}-prod", "clusters/prod/{{app}}", "prod")
    write_files(root, {"apps/web.yaml": application("api-prod", "clusters/prod/api", "prod")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.message for f in report.findings if f.policy == "not-rendered"] == []
    assert [t.id for t in report.targets] == ["prod/api"]


@pytest.mark.parametrize("generated", ["list", "git"])
def test_applications_named_as_their_environment_are_one_app_of_the_sets_name(
        tmp_path: Path, generated: str) -> None:
    """The set ``web`` names each Application by its overlay's directory (``production``,
    ``staging``: Argo CD's documented ``'{{path.basename}}'``): each is in that environment
    (it was unclassified: production's rules did not apply), and they are one app, ``web``,
    that env-consistency compares (two apps deployed to one environment each)."""
    from synthetic import application_set

    generators = ("    - list:\n        elements:\n          - path: overlays/production\n"
                  "            path.basename: production\n"
                  "          - path: overlays/staging\n            path.basename: staging\n"
                  ) if generated == "list" else (
        "    - git:\n        repoURL: https://git.example.com/repo.git\n        revision: HEAD\n"
        "        directories:\n          - path: overlays/*\n")
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "argocd/web.yaml": application_set(
            "web", generators, "{{path.basename}}", "{{path}}", "web"),
        **{f"overlays/{env}/pod.yaml": POD for env in ("production", "staging")}})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted(t.id for t in report.targets if t.application is not None
                  and t.application.kind == "Application") == ["prod/web", "stg/web"]
    assert [f.target for f in report.findings if f.policy == "image-tag-pinned"] == ["prod/web"]
    assert [f.message for f in report.findings if f.policy == "env-consistency"] == []


@pytest.mark.parametrize(("clusters", "configured", "found"), [
    (("prod-cluster", "staging-cluster"), False, []),
    (("in-cluster", "in-cluster"), False, ["web-prod", "web-staging"]),
    # one cluster each, but namespaces the configuration names: the rule holds
    (("prod-cluster", "staging-cluster"), True, ["web-prod", "web-staging"]),
])
def test_an_environment_alone_on_its_cluster_needs_no_namespace_of_its_name(
        tmp_path: Path, clusters: tuple[str, str], configured: bool, found: list[str]) -> None:
    """web-prod deploys to prod-cluster and web-staging to staging-cluster, both to ``web``:
    staging cannot reach production's namespace there (easyharshmods' hub and spokes), so the
    namespace rule's guess (``*-prod``) says nothing; on one cluster it does, and so do the
    namespaces argocd-application's options name."""
    def app(name: str, cluster: str) -> str:
        return application(name, "manifests/web", "web").replace(
            "    server: https://kubernetes.default.svc\n", f"    name: {cluster}\n")

    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/web-prod.yaml": app("web-prod", clusters[0]),
        "apps/web-staging.yaml": app("web-staging", clusters[1]),
        "manifests/web/cm.yaml": CM.format(name="web"),
        **({"policies/platecheck.yaml": "policies:\n  argocd-application:\n    options:\n"
            "      namespaces: {prod: ['*-prod'], stg: ['*-staging']}\n"} if configured else {})})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert sorted(f.message.split(":")[0].split()[-1] for f in report.findings
                  if "does not match environment" in f.message) == found


def test_errors_of_two_applications_at_one_line_each_have_the_policy_s_fix(
        tmp_path: Path) -> None:
    """A matrix writing each Application's value file from two parameters: the missing
    files of two Applications are errors at one template line, each with the fix of the
    argocd-application finding it stands for (the second got the generic one)."""
    root = _repo(tmp_path, (
        "    - matrix:\n        generators:\n          - list:\n              elements:\n"
        "                - env: stg\n          - list:\n              elements:\n"
        "                - app: web\n                - app: api\n"),
        "{{app}}-{{env}}", "clusters/{{env}}/web", "{{app}}-{{env}}")
    text = (root / "apps" / "set.yaml").read_text().replace(
        "        path: 'clusters/{{env}}/web'\n",
        "        path: 'clusters/{{env}}/web'\n        helm:\n"
        "          valueFiles: ['values-{{app}}-{{env}}.yaml']\n")
    (root / "apps" / "set.yaml").write_text(text)
    (root / "clusters" / "stg" / "web" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: web\nversion: 0.1.0\n")
    report = lint(root, cache_dir=tmp_path / "cache")
    assert sorted((e.target, e.remediation) for e in report.errors) == [
        (f"stg/{app}", "Name a values file inside this repository, relative to the source "
         "path (or $ref/... for another source).") for app in ("api", "web")]


_LIST = "    - list:\n        elements:\n          - env: prod\n"


@pytest.mark.parametrize("deployed", [False, True])
def test_an_application_set_is_checked_against_its_schema(tmp_path: Path,
                                                          deployed: bool) -> None:
    """An ApplicationSet the API server refuses for its labels or sync policy (a label not a
    string, a boolean written as a string): Argo CD creates none of its Applications, so
    argocd-application says where, whether the set is a file of its own or one an
    app-of-apps deploys."""
    text = (_HEAD.replace("  namespace: argocd\n", "  namespace: argocd\n  labels:\n"
                          "    team: 1\n")
            .replace("spec:\n", "spec:\n  syncPolicy:\n    preserveResourcesOnDeletion: 'no'\n")
            + _LIST + _TEMPLATE.format(name="web-{{env}}", path="clusters/{{env}}/web",
                                       namespace="web-{{env}}"))
    root = _repo(tmp_path, _LIST, "web-{{env}}", "clusters/{{env}}/web", "web-{{env}}")
    (root / "apps" / "set.yaml").unlink()
    write_files(root, {"sets/set.yaml": text} if deployed else {"apps/set.yaml": text})
    if deployed:
        write_files(root, {"apps/root.yaml": application("root", "sets", "argocd")})
    file = "sets/set.yaml" if deployed else "apps/set.yaml"
    assert [(f[1], f[3]) for f in _checked(root, tmp_path) if f[0] == "argocd-application"
            and f[1].startswith(file)] == [
        (f"{file}:10", "ApplicationSet web: spec.syncPolicy.preserveResourcesOnDeletion: "
                       'expected boolean, got string "no"'),
        (f"{file}:7", "ApplicationSet web: metadata.labels.team: expected string, got integer 1")]


def test_a_go_template_flag_written_as_a_string_refuses_the_set(tmp_path: Path) -> None:
    """``goTemplate: "true"``: the CRD types it a boolean, so the API server refuses the set
    (it was reported as a set platecheck does not expand)."""
    root = _repo(tmp_path, _LIST, "web-{{.env}}", "clusters/{{.env}}/web", "web-{{.env}}")
    text = (root / "apps" / "set.yaml").read_text()
    (root / "apps" / "set.yaml").write_text(text.replace("spec:\n", "spec:\n  goTemplate: "
                                                         "'true'\n", 1))
    [error] = lint(root, cache_dir=tmp_path / "cache").errors
    assert error.location == "apps/set.yaml:7"
    assert error.message.startswith("ApplicationSet spec.goTemplate must be a boolean")


_SELECTED = """\
    - list:
        elements:
          - env: prod
            enabled: 'true'
            tier: web
          - env: stg
            enabled: 'false'
            tier: web
      selector:
        matchLabels: {tier: web}
        matchExpressions:
          - {key: enabled, operator: NotIn, values: ['false']}
"""


@pytest.mark.parametrize(("selector", "made"), [
    ("", ["web-prod"]),  # tier is web, enabled is not false: prod alone
    ("          - {key: missing, operator: Exists}\n", []),
    ("          - {key: missing, operator: DoesNotExist}\n", ["web-prod"]),
    ("          - {key: env, operator: In, values: [stg, dev]}\n", []),
])
def test_a_generator_s_selector_keeps_the_parameter_sets_it_matches(
        tmp_path: Path, selector: str, made: list[str]) -> None:
    """A generator's ``selector`` filters its parameter sets as the ApplicationSet controller
    does (``Transform``: flattened with dots, matched as labels); the set was not expanded
    (gregkonush/lab: about 50 Applications left unchecked)."""
    root = _repo(tmp_path, _SELECTED + selector, "web-{{env}}", "clusters/{{env}}/web",
                 "{{env}}")
    write_files(root, {"apps/api.yaml": application("api-prod", "clusters/prod/api", "prod")})
    assert [a[0] for a in _apps(root, tmp_path) if a[0].startswith("web-")] == made
    assert not [f for f in _checked(root, tmp_path) if f[0] == "not-rendered"]


def _go_repo(tmp_path: Path, generators: str, name: str) -> Path:
    """A repository of one ``goTemplate`` ApplicationSet of ``generators`` making ``name``
    of ``clusters/<env>/web``, deployed to ``<env>``."""
    return write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "clusters/prod/web/cm.yaml": CM.format(name="a"),
        "apps/set.yaml": (_HEAD.replace("spec:\n", "spec:\n  goTemplate: true\n", 1)
                          + generators + _TEMPLATE.format(
                              name=name, path="clusters/{{.env}}/web", namespace="{{.env}}"))})


_ELEMENTS_YAML = """\
    - matrix:
        generators:
          - list:
              elements:
                - env: prod
                  apps: [{name: web}, {name: api}]
          - list:
              elementsYaml: '{{ .apps | toJson }}'
"""


@pytest.mark.parametrize(("generators", "made", "error"), [
    (_ELEMENTS_YAML, ["api-prod", "web-prod"], None),
    ("    - list:\n        elementsYaml: '[{name: web, env: prod}, {name: api, env: prod}]'\n",
     ["api-prod", "web-prod"], None),  # of one line: both (one was lost)
    (_ELEMENTS_YAML.replace("{{ .apps | toJson }}", "{{ index .apps 0 | toJson }}"), [],
     "apps/set.yaml:16"),  # a map, not a list of maps: at elementsYaml
])
def test_a_list_s_elements_yaml_makes_its_parameter_sets(
        tmp_path: Path, generators: str, made: list[str], error: str | None) -> None:
    """``elementsYaml`` (filled with a matrix's first child's parameters, ``toJson``):
    Argo CD decodes it into a list of maps, each a parameter set (the set was not
    expanded); text of no such list fails the set."""
    root = _go_repo(tmp_path, generators, "{{.name}}-{{.env}}")
    report = lint(root, cache_dir=tmp_path / "cache")
    assert sorted(t.application.name for t in report.targets
                  if t.application is not None and not t.expanded) == made
    assert [e.location for e in report.errors] == ([error] if error else [])


def test_a_go_template_selector_reads_nested_keys_and_booleans_as_labels(
        tmp_path: Path) -> None:
    """With ``goTemplate``, a parameter set's maps are flattened with dots and a boolean is
    Go's ``%v`` of it (``false``): ``tier.name`` and ``enabled`` select as labels."""
    generators = ("    - list:\n        elements:\n"
                  "          - {env: prod, enabled: true, tier: {name: web}}\n"
                  "          - {env: stg, enabled: false, tier: {name: web}}\n"
                  "          - {env: dev, enabled: true, tier: {name: api}}\n"
                  "      selector:\n        matchLabels: {tier.name: web}\n"
                  "        matchExpressions:\n"
                  "          - {key: enabled, operator: NotIn, values: ['false']}\n")
    root = _go_repo(tmp_path, generators, "web-{{.env}}")
    assert [a[0] for a in _apps(root, tmp_path)] == ["web-prod"]


_MERGE = """\
    - merge:
        mergeKeys: [env]
        generators:
          - list:
              elements:
                - {env: prod, ns: prod-web}
                - {env: stg, ns: web-stg}
          - list:
              elements:
                - env: prod
                  ns: web
                - {env: dev, ns: web-dev}
"""


def test_a_merge_lays_later_generators_sets_over_the_first_s(tmp_path: Path) -> None:
    """merge (``merge.go``): each set of the first generator, the keys of a later one's set
    of the same ``mergeKeys`` values laid over it, an unmatched later set (dev) dropped; a
    value the later set gives is at its key's line (18). The set was not expanded."""
    root = _repo(tmp_path, _MERGE, "web-{{env}}", "clusters/{{env}}/web", "{{ns}}")
    assert _apps(root, tmp_path) == [("web-prod", "clusters/prod/web", "web", 20),
                                     ("web-stg", "clusters/stg/web", "web-stg", 20)]
    assert [f[:3] for f in _checked(root, tmp_path)] == [
        ("argocd-application", "apps/set.yaml:18", "prod/web"),
        ("image-tag-pinned", "clusters/prod/web/pod.yaml:8", "prod/web")]


@pytest.mark.parametrize(("change", "line", "words"), [
    (("{env: stg, ns: web-stg}", "{env: prod, ns: web-stg}"), 11,
     "generator 1's parameter sets are not unique by mergeKeys"),
    (("mergeKeys: [env]", "mergeKeys: []"), 8, "has no mergeKeys"),
    (("        mergeKeys: [env]\n", ""), 8, "has no mergeKeys"),  # (not a matrix's product)
    ((_MERGE, "    - merge:\n        mergeKeys: [env]\n        generators: []\n"), 8,
     "has fewer than two generators"),  # (it stopped the run, an IndexError)
])
def test_a_merge_argo_cd_fails_checks_nothing_of_the_set(
        tmp_path: Path, change: tuple[str, str], line: int, words: str) -> None:
    """Two sets of one generator with equal merge keys, or no merge keys: Argo CD fails the
    whole set, a could-not-check error at the generator."""
    root = _repo(tmp_path, _MERGE.replace(*change), "web-{{env}}", "clusters/{{env}}/web",
                 "{{ns}}")
    assert _apps(root, tmp_path) == []
    [error] = [f for f in _checked(root, tmp_path) if f[0] == "could-not-check"]
    assert error[1] == f"apps/set.yaml:{line}"
    assert words in error[3]


def test_a_go_template_merge_merges_maps_key_by_key(tmp_path: Path) -> None:
    """goTemplate: mergo's override merge, the later set's ``cfg.ns`` replacing the first's
    while its ``cfg.app`` stays."""
    root = _go_repo(tmp_path, (
        "    - merge:\n        mergeKeys: [env]\n        generators:\n"
        "          - list:\n              elements:\n"
        "                - {env: prod, cfg: {app: web, ns: a}}\n"
        "          - list:\n              elements:\n"
        "                - {env: prod, cfg: {ns: b}}\n"),
        "{{.cfg.app}}-{{.cfg.ns}}-{{.env}}")
    assert [a[0] for a in _apps(root, tmp_path)] == ["web-b-prod"]


def test_a_matrix_child_s_selector_keeps_the_sets_it_matches(tmp_path: Path) -> None:
    """A matrix child's own ``selector`` filters that child's sets (``Transform``); the set
    was not expanded."""
    root = _repo(tmp_path, _MATRIX_GIT_LIST.replace(
        "          - git:\n", "            selector: {matchLabels: {env: prod}}\n"
        "          - git:\n"), "{{env}}-{{path.basename}}", "{{path}}", "{{ns}}")
    assert [a[0] for a in _apps(root, tmp_path)] == ["prod-api", "prod-web"]


@pytest.mark.parametrize(("items", "made"), [
    ("[{env: prod}, {env: stg}]", ["web-prod", "web-stg"]),
    ("[{env: prod, replicas: 2}]", []),  # a number: fasttemplate's use of it not read
])
def test_elements_yaml_without_go_template_makes_sets_of_strings(
        tmp_path: Path, items: str, made: list[str]) -> None:
    """Without goTemplate, ``elementsYaml``'s items are sets as they are (not flattened):
    of strings alone, expanded exactly; otherwise not expanded, and said so."""
    root = _repo(tmp_path, f"    - list:\n        elementsYaml: '{items}'\n", "web-{{env}}",
                 "clusters/{{env}}/web", "{{env}}")
    assert [a[0] for a in _apps(root, tmp_path)] == made
    assert bool([f for f in _checked(root, tmp_path) if f[0] == "not-rendered"]) != bool(made)
