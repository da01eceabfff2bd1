"""ApplicationSets of one git generator of this repository (no goTemplate, or a Go template
of field chains) are expanded as Argo CD's git generator expands them (argo-cd
applicationset/generators/git.go): every Application they make is checked, at the set's
template (a path parameter's value at the generator entry that chose it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from platecheck.engine import lint, load
from platecheck.report.common import count
from synthetic import CM, ORIGIN, POD, write_files

pytestmark = pytest.mark.usefixtures("helm_bin")


_DIRECTORIES = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: clusters
  namespace: argocd
spec:
  generators:
    - git:
        repoURL: {repo}
        revision: HEAD
        directories:
          - path: clusters/*/*
          - path: clusters/stg/*
            exclude: true
  template:
    metadata:
      name: '{{{{path[1]}}}}-{{{{path.basename}}}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        targetRevision: HEAD
        path: '{{{{path}}}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{{{path[1]}}}}'
"""


def _directories_repo(tmp_path: Path, repo: str = "https://git.example.com/repo.git") -> Path:
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/clusters.yaml": _DIRECTORIES.format(repo=repo),
        "clusters/prod/web/pod.yaml": POD, "clusters/prod/api/cm.yaml": CM.format(name="a"),
        "clusters/stg/web/cm.yaml": CM.format(name="s"),
        "clusters/.hidden/x/cm.yaml": CM.format(name="h")})
    os.symlink("web", root / "clusters" / "prod" / "link")
    return root


def test_a_git_directories_set_makes_an_application_of_each_directory(tmp_path: Path) -> None:
    """Each directory ``clusters/*/*`` matches but those ``clusters/stg/*`` excludes, a hidden
    one and a symbolic link (the repo-server's walk), is an Application named of
    ``path[1]`` and ``path.basename``, rendered and checked: a finding about a value a path
    parameter fills is at the generator entry that chose the directory, one about its
    resources at their file; the set is no longer not-rendered."""
    report = lint(_directories_repo(tmp_path), cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted(t.id for t in report.targets if t.application is not None
                  and t.application.kind == "Application") == ["prod/api", "prod/web"]
    assert sorted((f.policy, f.location, f.target, f.message) for f in report.findings
                  if f.policy in ("not-rendered", "image-tag-pinned", "argocd-application")) == [
        ("image-tag-pinned", "clusters/prod/web/pod.yaml:8", "prod/web",
         'container "c" in Pod/p uses floating tag "latest"')]


def test_a_git_set_of_another_repository_stays_not_rendered(tmp_path: Path) -> None:
    report = lint(_directories_repo(tmp_path, "https://git.example.com/other.git"),
                  cache_dir=tmp_path / "cache")
    assert [(f.policy, f.location, f.message) for f in report.findings
            if f.policy == "not-rendered"] == [
        # (at that git generator)
        ("not-rendered", "apps/clusters.yaml:8",
         "ApplicationSet clusters is not rendered: its resources are not checked (platecheck "
         "does not expand a git generator of another repository, "
         "https://git.example.com/other.git)")]
    assert all(f.remediation.startswith("Argo CD generates this ApplicationSet's")
               for f in report.findings if f.policy == "not-rendered")
    assert not any(t.application is not None and t.application.name == "prod-web"
                   for t in report.targets)


def test_a_path_parameter_s_value_is_found_at_the_generator_entry(tmp_path: Path) -> None:
    """The destination namespace ``{{path.basename}}`` fills is no environment's: the
    finding is at the generator entry whose pattern chose the directory."""
    root = _directories_repo(tmp_path)
    (root / "apps" / "clusters.yaml").write_text(_DIRECTORIES.format(
        repo="https://git.example.com/repo.git").replace(
        "namespace: '{{path[1]}}'", "namespace: '{{path.basename}}'"))
    report = lint(root, cache_dir=tmp_path / "cache")
    assert sorted((f.location, f.message) for f in report.findings
                  if f.policy == "argocd-application") == [
        ("apps/clusters.yaml:12", f"Application prod-{name}: destination namespace '{name}' "
         "does not match environment prod (*-prod, *-production, *-prd, prod-*, "
         "production-*, prd-*, prod, production, prd)") for name in ("api", "web")]


@pytest.mark.parametrize(("written", "field", "line", "action"), [
    ("name: '{{path[1]}}-{{path.basename}}'", "name: '{{path.basename}}-{{ .env }}'", 17,
     "{{ .env }}"),
    ("path: '{{path}}'", "path: '{{.path.path}}'", 23, "{{.path.path}}"),
    ("namespace: '{{path[1]}}'", "namespace: '{{- if .x }}a{{ end }}'", 26, "{{- if .x }}"),
    # a parenthesized pipeline, a function of no known name (pachr/argocd-demo)
    ("path: '{{path}}'", "path: '{{ (printf \"%s\" .path) }}'", 23,
     '{{ (printf "%s" .path) }}'),
    ("path: '{{path}}'", "path: '{{ trimPrefix \"v\" .path }}'", 23,
     '{{ trimPrefix "v" .path }}'),
])
def test_a_go_action_of_a_set_without_go_template_is_named_as_the_cause(
        tmp_path: Path, written: str, field: str, line: int, action: str) -> None:
    """A Go template action in a naming field of a set without ``goTemplate``: fasttemplate
    has no such key and leaves it as written (``Render.Replace``); the finding is at the
    field and names the cause, once per set."""
    root = _directories_repo(tmp_path)
    text = _DIRECTORIES.format(repo="https://git.example.com/repo.git")
    assert written in text
    (root / "apps" / "clusters.yaml").write_text(text.replace(written, field))
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [f.location for f in report.findings if f.policy == "argocd-application"
            and f"action {action!r}, but the ApplicationSet has no goTemplate" in f.message
            ] == [f"apps/clusters.yaml:{line}"]


def test_a_go_action_in_helm_values_of_a_set_without_go_template_is_the_chart_s(
        tmp_path: Path) -> None:
    """Helm values may hold ``{{ .Values.x }}`` for a chart's own ``tpl``: fasttemplate
    leaving it is what the set means, so it is no finding."""
    root = _directories_repo(tmp_path)
    text = _DIRECTORIES.format(repo="https://git.example.com/repo.git").replace(
        "        path: '{{path}}'\n",
        "        path: '{{path}}'\n        helm:\n          values: 'a: \"{{ .Release.Name }}\"'\n")
    (root / "apps" / "clusters.yaml").write_text(text)
    report = lint(root, cache_dir=tmp_path / "cache")
    assert not any("no goTemplate" in f.message for f in report.findings)


_FILES = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web
  namespace: argocd
spec:
  generators:
    - git:
        repoURL: https://git.example.com/repo.git
        revision: HEAD
        pathParamPrefix: cfg
        files:
          - path: envs/*config.yaml
          - path: envs/list.json
          - path: envs/old/*
            exclude: true
        values:
          namespace: '{{cluster.ns}}-web'
  template:
    metadata:
      name: 'web-{{cfg.path.basenameNormalized}}-{{cluster.name}}'
      labels:
        replicas: '{{replicas}}'
        file: '{{cfg.path.filenameNormalized}}'
        first: '{{cfg.path[0]}}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        targetRevision: HEAD
        path: web
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{values.namespace}}'
"""


def test_a_git_files_set_makes_an_application_of_each_object(tmp_path: Path) -> None:
    """Each file ``envs/*config.yaml`` names (``*`` crosses ``/``, as git ls-files matches),
    but those of the excluded entry, flattened with dots, its numbers as Go's ``%v`` writes
    them; a file of a list, one Application per item; the ``path`` parameters under
    ``pathParamPrefix``, and ``values`` templated with them. A parameter no file sets stays
    as written."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/web.yaml": _FILES, "web/cm.yaml": CM.format(name="web"),
        "envs/Prod_EU/config.yaml": "cluster:\n  name: a\n  ns: prod\nreplicas: 1000000\n",
        "envs/stg/config.yaml": "cluster: {name: b, ns: stg}\nreplicas: 2\n",
        "envs/old/config.yaml": "cluster: {name: o, ns: old}\n",
        "envs/list.json": '[{"cluster": {"name": "c", "ns": "prod"}, "replicas": 0.5},'
                          ' {"cluster": {"name": "d", "ns": "prod"}}]'})
    model = load(root, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert sorted((a.name, a.destination_namespace, dict(a.labels), a.line)
                  for a in model.generated) == [
        ("web-envs-c", "prod-web", {"replicas": "0.5", "file": "list.json", "first": "envs"},
         19),
        ("web-envs-d", "prod-web", {"replicas": "{{replicas}}", "file": "list.json",
                                    "first": "envs"}, 19),
        ("web-prod-eu-a", "prod-web", {"replicas": "1e+06", "file": "config.yaml",
                                       "first": "envs"}, 19),
        ("web-stg-b", "stg-web", {"replicas": "2", "file": "config.yaml", "first": "envs"},
         19)]
    assert not any(f.policy == "not-rendered" for f in lint(
        root, cache_dir=tmp_path / "cache").findings)


def test_keys_a_file_flattens_alike_leave_the_set_unexpanded(tmp_path: Path) -> None:
    """``cluster.name`` and ``cluster: {name: ...}`` flatten to one key, written in the order
    Go ranges over a map (jeremywohl/flatten), which is random: Argo CD names the
    Application one way or the other from one reconcile to the next, so the set is not
    expanded (platecheck took the last one)."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/web.yaml": _FILES, "web/cm.yaml": CM.format(name="web"),
        "envs/stg/config.yaml": "cluster.name: dotted\ncluster: {name: nested, ns: stg}\n"})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert not any(t.id.startswith("stg/web") for t in report.targets)
    assert [(f.policy, f.location) for f in report.findings if f.policy == "not-rendered"] \
        == [("not-rendered", "apps/web.yaml:8")]


def _go(text: str) -> str:
    """An ApplicationSet ``text`` of fasttemplate tags made a Go template of field chains."""
    for old, chain in (("{{cfg.path[0]}}", "{{.cfg.path.segments}}"),
                       ("{{path[1]}}", "{{.path.basename}}"), ("{{path}}", "{{.path.path}}")):
        text = text.replace(old, chain)
    return text.replace("{{", "{{ .").replace("{{ ..", "{{ .").replace(
        "spec:\n  generators:", "spec:\n  goTemplate: true\n  generators:", 1)


def test_a_go_template_git_directories_set_makes_an_application_of_each_directory(
        tmp_path: Path) -> None:
    """``goTemplate: true``: a directory's ``path`` is a map of ``path``, ``basename``,
    ``basenameNormalized`` and ``segments``; each Application is rendered and checked, a
    value ``.path.path`` alone fills at the generator entry that chose the directory."""
    root = _directories_repo(tmp_path)
    (root / "apps" / "clusters.yaml").write_text(_go(_DIRECTORIES.format(
        repo="https://git.example.com/repo.git")).replace(
        "namespace: '{{ .path.basename}}'", "namespace: '{{- .path.segments -}}'").replace(
        "path: '{{ .path.path}}'", "path: '{{ .path.path}}/nope'"))
    model = load(root, cache_dir=tmp_path / "cache")
    assert sorted((a.name, a.destination_namespace) for a in model.generated) == [
        ("api-api", "[clusters prod api]"), ("web-web", "[clusters prod web]")]
    assert sorted((e.location, e.message) for e in model.errors) == [
        ("apps/clusters.yaml:13", f"source path 'clusters/prod/{name}/nope' does not exist")
        for name in ("api", "web")]


def test_a_go_template_git_files_set_makes_an_application_of_each_object(
        tmp_path: Path) -> None:
    """``goTemplate: true``: each file's object as it is (numbers float64, printed as Go's
    ``%v``), a missing key ``<no value>``, its ``path`` map (``filename``,
    ``filenameNormalized`` too) under ``pathParamPrefix``, and ``values`` executed over each
    and added as the ``values`` map."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/web.yaml": _go(_FILES),
        "web/cm.yaml": CM.format(name="web"),
        "envs/Prod_EU/config.yaml": "cluster:\n  name: a\n  ns: prod\nreplicas: 1000000\n",
        "envs/stg/config.yaml": "cluster: {name: b, ns: stg}\nreplicas: 2\n",
        "envs/old/config.yaml": "cluster: {name: o, ns: old}\n",
        "envs/list.json": '[{"cluster": {"name": "c", "ns": "prod"}, "replicas": 0.5},'
                          ' {"cluster": {"name": "d", "ns": "prod"}}]'})
    model = load(root, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert sorted((a.name, a.destination_namespace, dict(a.labels)) for a in model.generated) \
        == [("web-envs-c", "prod-web", {"replicas": "0.5", "file": "list.json",
                                       "first": "[envs]"}),
            ("web-envs-d", "prod-web", {"replicas": "<no value>", "file": "list.json",
                                       "first": "[envs]"}),
            ("web-prod-eu-a", "prod-web", {"replicas": "1e+06", "file": "config.yaml",
                                           "first": "[envs Prod_EU]"}),
            ("web-stg-b", "stg-web", {"replicas": "2", "file": "config.yaml",
                                      "first": "[envs stg]"})]
    assert not any(f.policy == "not-rendered" for f in lint(
        root, cache_dir=tmp_path / "cache").findings)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("{{ .cluster.ns}}-web", "{{ .cluster.nope }}",
     ("apps/web.yaml:20", "ApplicationSet git generator values.namespace: executing "
      "'{{ .cluster.nope }}' at <.cluster.nope>: map has no entry for key \"nope\"; Argo CD "
      "fails the ApplicationSet and creates none of its Applications")),
    ("{{ .cluster.ns}}-web", "{{ .cluster.ns | kebabcase }}", None),
], ids=["missingkey-error", "function"])
def test_a_go_template_git_set_s_values_execute_as_go_executes_them(
        tmp_path: Path, old: str, new: str, expected: tuple[str, str] | None) -> None:
    """With ``missingkey=error`` a value naming a key a file lacks fails the generator: the
    set makes nothing. A value of a function is not read: the set is not expanded."""
    text = _go(_FILES).replace(old, new).replace(
        "  goTemplate: true\n", "  goTemplate: true\n  goTemplateOptions: [missingkey=error]\n")
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/web.yaml": text, "web/cm.yaml": CM.format(name="web"),
        "envs/stg/config.yaml": "cluster: {name: b, ns: stg}\n"})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == (
        [expected] if expected else [])
    assert [f.policy for f in report.findings if f.policy == "not-rendered"] == (
        [] if expected else ["not-rendered"])
    assert not any(t.application is not None and t.application.kind == "Application"
                   for t in report.targets)


def test_applications_of_one_name_are_refused_and_the_others_made(tmp_path: Path) -> None:
    """Two directories of one basename make two Applications of one name: Argo CD's
    ApplicationSet controller refuses both (``validateGeneratedApplications``) and creates
    the set's other Applications."""
    text = _DIRECTORIES.format(repo="https://git.example.com/repo.git").replace(
        "'{{path[1]}}-{{path.basename}}'", "'{{path.basename}}'").replace(
        "namespace: '{{path[1]}}'", "namespace: prod")
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/clusters.yaml": text,
        "clusters/prod/web/cm.yaml": CM.format(name="a"),
        "clusters/prod2/web/cm.yaml": CM.format(name="b"),
        "clusters/prod/api/cm.yaml": CM.format(name="c")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == [
        ("apps/clusters.yaml:17", "ApplicationSet clusters makes 2 Applications named 'web': "
         "Argo CD refuses each of them and creates the set's others")]
    assert sorted(t.id for t in report.targets if t.application is not None
                  and t.application.kind == "Application") == ["prod/api"]


def test_a_git_file_that_does_not_parse_makes_nothing(tmp_path: Path) -> None:
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/web.yaml": _FILES, "web/cm.yaml": CM.format(name="w"),
        "envs/stg/config.yaml": "cluster: [a\n", "envs/list.json": "[]"})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [(e.file, e.message.split(";")[0]) for e in report.errors] == [
        ("envs/stg/config.yaml", "git generator file envs/stg/config.yaml does not parse "
         "(invalid YAML: did not find expected ',' or ']')")]
    assert not any(t.application is not None and t.application.kind == "Application"
                   for t in report.targets)


def test_a_json_slash_escape_is_refused_as_go_s_yaml_refuses_it(tmp_path: Path) -> None:
    """``\\/``, JSON's escaped ``/``: sigs.k8s.io/yaml reads a ``.json`` file as YAML too,
    and go-yaml v2 knows no such escape ("found unknown escape character", as helm says of a
    values file): Argo CD's generator fails on the file and the set makes nothing."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/web.yaml": _FILES, "web/cm.yaml": CM.format(name="w"),
        "envs/list.json": '[{"cluster": {"name": "c",\n  "ns": "https:\\/\\/x"}}]'})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message.split(";")[0]) for e in report.errors] == [
        ("envs/list.json:2", "git generator file envs/list.json does not parse (invalid YAML: "
         "found unknown escape character (\\/: Go's YAML, which helm, kubectl and Argo CD read "
         "with, has no such escape")]
    assert not any(t.application is not None and t.application.kind == "Application"
                   for t in report.targets)


@pytest.mark.parametrize("text", [
    "cluster: {name: a, ns: prod}\n---\n",
    "cluster: {name: a, ns: prod}\n---\ncluster: {name: b, ns: stg}\n",
    "cluster: {name: a, ns: prod}\n...\ncluster: [b\n",
    '---\n[{"cluster": {"name": "a", "ns": "prod"}}]\n---\n- cluster: {name: "\\/"}\n'],
    ids=["trailing-separator", "two-documents", "document-end", "list-then-bad-escape"])
def test_a_git_file_s_first_document_alone_is_read(tmp_path: Path, text: str) -> None:
    """sigs.k8s.io/yaml's ``Unmarshal`` reads a file's first document and nothing after it:
    Argo CD makes the Application of that document (helm 3 reads a values file so)."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/web.yaml": _FILES, "web/cm.yaml": CM.format(name="w"),
        "envs/config.yaml": text, "envs/list.json": "[]"})
    model = load(root, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert [(a.name, a.destination_namespace) for a in model.generated] == [
        ("web-envs-a", "prod-web")]


@pytest.mark.parametrize(("value", "written"), [
    (1000000, "1e+06"), (123456, "123456"), (1.5, "1.5"), (0.0001, "0.0001"),
    (0.00001, "1e-05"), (-2.5e21, "-2.5e+21"), (None, "<nil>"), (True, "true"), ("x", "x")])
def test_a_file_s_value_is_written_as_go_s_percent_v(value: object, written: str) -> None:
    from platecheck.appset_git import _go_v

    assert _go_v(value) == written


def test_a_basename_is_normalized_as_argo_cd_sanitizes_a_name() -> None:
    from platecheck.gofuncs import sanitize_name

    assert sanitize_name("-Prod_EU.") == "prod-eu"


def test_a_git_set_a_chart_renders_is_expanded(tmp_path: Path) -> None:
    """An app-of-apps chart renders the set: its Applications are made as of a written one,
    in the set's namespace (the parent's destination), and each is rendered: ``charts/svc``
    with the value its Application gives, never on its own."""
    set_text = _DIRECTORIES.format(repo="https://git.example.com/repo.git").replace(
        "{{", "{{`{{").replace("}}", "}}`}}").replace("  namespace: argocd\n", "").replace(
        "path: '{{`{{path}}`}}'", "path: charts/svc\n        helm:\n          valuesObject:\n"
        "            name: '{{`{{path.basename}}`}}'")
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN,
        "root.yaml": CM.format(name="x").replace("v1\nkind: ConfigMap", "argoproj.io/v1alpha1"
                                                  "\nkind: Application").replace(
            "  name: x\n", "  name: root\n  namespace: argocd\nspec:\n  project: default\n"
            "  source:\n    repoURL: https://git.example.com/repo.git\n    path: root\n"
            "  destination:\n    server: https://kubernetes.default.svc\n"
            "    namespace: argocd\n"),
        "root/Chart.yaml": "apiVersion: v2\nname: root\nversion: 0.1.0\n",
        "root/templates/set.yaml": set_text,
        "charts/svc/Chart.yaml": "apiVersion: v2\nname: svc\nversion: 0.1.0\n",
        "charts/svc/templates/cm.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            "  name: {{ required \"name is required\" .Values.name }}\n"),
        "clusters/prod/web/README.md": "web\n"})
    model = load(root, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert [(a.name, a.namespace, a.file, a.line) for a in model.generated
            if a.kind == "Application"] == [("prod-web", "argocd", "root/templates/set.yaml", 14)]
    assert [(r.id, [res.name for res in r.resources]) for r in model.rendered
            if r.target.chart is not None and r.target.chart.rel == "charts/svc"] == [
        ("prod/web", ["web"])]


_RANGED_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: addons
spec:
  goTemplate: true
  generators:
{{- range .Values.waves }}
    - git:
        repoURL: https://git.example.com/repo.git
        revision: HEAD
        directories:
{{- range .dirs }}
          - path: addons/{{ . }}
{{- end }}
{{- end }}
    - git:
        repoURL: https://git.example.com/repo.git
        revision: HEAD
        directories:
          - path: addons/*
          - path: addons/a
            exclude: true
          - path: addons/b
            exclude: true
  template:
    metadata:
      name: 'prod-{{ `{{.path.basename}}` }}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        path: '{{ `{{.path.path}}` }}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{ `{{.path.basename}}` }}'
"""


def test_a_git_entry_a_range_writes_in_a_rendered_set_is_at_its_template_line(
        tmp_path: Path) -> None:
    """A chart writes one git generator per entry of its values with ``range`` (an entry
    ``- path: addons/{{ . }}`` at line 14), then a catch-all one (``addons/*`` at line 21)
    that excludes their directories: the rendered set's generators 0 and 1 are both the
    range's, 2 the catch-all. A finding about a value a path parameter fills is at the
    entry that chose the directory: the range's line for ``a`` and ``b``, the catch-all's
    for ``c``, never an entry of another generator (one that excludes the directory)."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN,
        "root.yaml": CM.format(name="x").replace("v1\nkind: ConfigMap", "argoproj.io/v1alpha1"
                                                  "\nkind: Application").replace(
            "  name: x\n", "  name: root\n  namespace: argocd\nspec:\n  project: default\n"
            "  source:\n    repoURL: https://git.example.com/repo.git\n    path: sets\n"
            "  destination:\n    server: https://kubernetes.default.svc\n"
            "    namespace: argocd\n"),
        "sets/Chart.yaml": "apiVersion: v2\nname: sets\nversion: 0.1.0\n",
        "sets/values.yaml": "waves:\n  - dirs: [a]\n  - dirs: [b]\n",
        "sets/templates/set.yaml": _RANGED_SET,
        **{f"addons/{name}/cm.yaml": CM.format(name=name) for name in "abc"}})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted((f.location, f.message.split(":")[0]) for f in report.findings
                  if f.policy == "argocd-application") == [
        ("sets/templates/set.yaml:14", "Application prod-a"),
        ("sets/templates/set.yaml:14", "Application prod-b"),
        ("sets/templates/set.yaml:21", "Application prod-c")]
    assert [f.message for f in report.findings if f.policy == "argocd-application"][0] == (
        "Application prod-a: destination namespace 'a' does not match environment prod "
        "(*-prod, *-production, *-prd, prod-*, production-*, prd-*, prod, production, prd)")


def test_a_git_set_that_finds_nothing_stays_not_rendered(tmp_path: Path) -> None:
    """A files generator whose path names no file here (``<PATH>``, a placeholder a
    Kustomize overlay patches in): Argo CD would make nothing of this file as written, but
    what its overlays make is not known; the set is reported as not rendered, as before."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "web/cm.yaml": CM.format(name="w"),
        "apps/web.yaml": _FILES.replace("          - path: envs/*config.yaml\n"
                                        "          - path: envs/list.json\n",
                                        "          - path: <PATH>\n")})
    report = lint(root, cache_dir=tmp_path / "cache")
    # at the generator that finds nothing (it was at the template's source)
    assert [(f.policy, f.location, f.message.endswith(
        "(its git generator finds nothing to make Applications of, or nothing platecheck "
        "reads exactly)"))
        for f in report.findings if f.policy == "not-rendered"] == [
        ("not-rendered", "apps/web.yaml:8", True)]
    # the remedy says the generator found nothing, not that such sets are not expanded
    [remedy] = [f.remediation for f in report.findings if f.policy == "not-rendered"]
    assert remedy.startswith("platecheck expands this kind of ApplicationSet, but its git "
                             "generator finds no directory or file"), remedy


@pytest.mark.usefixtures("kubectl_bin")
def test_a_git_set_an_overlay_patches_is_expanded_as_the_overlay_outputs_it(
        tmp_path: Path) -> None:
    """A Kustomize overlay an Application deploys patches the set's generator path: Argo CD
    makes what the overlay outputs, not what the file says, so the rendered set replaces the
    written one and is expanded (as when the overlay's directory alone is linted): only the
    directory its patched path names is an Application; the file as written is neither
    expanded nor named not rendered."""
    root = _directories_repo(tmp_path)
    write_files(root, {
        "apps/kustomization.yaml": "resources:\n  - clusters.yaml\n",
        "overlay/kustomization.yaml": (
            "resources:\n  - ../apps\npatches:\n  - target: {kind: ApplicationSet}\n"
            "    patch: |\n      - op: replace\n"
            "        path: /spec/generators/0/git/directories/0/path\n"
            "        value: clusters/prod/api\n"),
        "root.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: root\n"
            "  namespace: argocd\nspec:\n  project: default\n  source:\n"
            "    repoURL: https://git.example.com/repo.git\n    path: overlay\n"
            "  destination:\n    server: https://kubernetes.default.svc\n"
            "    namespace: argocd\n")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.policy, f.location) for f in report.findings if f.policy == "not-rendered"] == []
    assert sorted(t.id for t in report.targets if t.application is not None
                  and t.application.kind == "Application") == ["default/root", "prod/api"]
    alone = lint(root / "root.yaml", cache_dir=tmp_path / "cache")  # the set's file unseen
    assert sorted(t.id for t in alone.targets if t.application is not None
                  and t.application.kind == "Application") == ["default/root", "prod/api"]


@pytest.mark.parametrize(("pattern", "listed"), [
    # what ``git ls-files --full-name -- <pattern>`` lists of these files
    ("src/*/foo", []), ("envs/*config.yaml", ["envs/config.yaml", "envs/x/config.yaml"]),
    ("envs/**/config.yaml", ["envs/x/config.yaml"]), ("envs/x", ["envs/x/config.yaml"]),
    ("envs/[!x]*", ["envs/config.yaml"]), ("envs/[^x]*", ["envs/config.yaml"]), ("env", []),
    ("*.yaml", ["envs/config.yaml", "envs/x/config.yaml", "src/a/foo/x.yaml"])])
def test_a_files_pattern_names_what_git_ls_files_lists(tmp_path: Path, pattern: str,
                                                       listed: list[str]) -> None:
    from platecheck.appset_git import _files

    write_files(tmp_path, {name: "" for name in (
        "src/a/foo/x.yaml", "envs/x/config.yaml", "envs/config.yaml", ".git/HEAD")})
    assert [file for file, _ in _files([{"path": pattern}], tmp_path)] == listed


@pytest.mark.parametrize("pattern", [
    "./c/*.json", "c/./a.json", "c//a.json", ".", "./", "c/sub/..", "x/../c/*.json",
    "c/sub/../a.json", ".//c//sub", "clusters/[ab]/config.json", "clusters/[ab]", "c/."])
def test_a_files_pattern_is_normalized_and_compared_literally_as_git_does(
        tmp_path: Path, pattern: str) -> None:
    """git normalizes a pathspec (``./``, ``//``, ``x/..``; ``.`` is every file) and compares
    it literally before it matches it as a pattern (``clusters/[ab]`` is a directory of that
    name): ``_files`` lists what ``git ls-files --full-name -- <pattern>`` lists."""
    import subprocess

    from platecheck.appset_git import _files

    write_files(tmp_path, {name: "{}" for name in (
        "c/a.json", "c/sub/b.json", "clusters/[ab]/config.json", "clusters/a/config.json",
        "d/x.yaml")})
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    for args in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True)
    listed = subprocess.run(["git", "ls-files", "-z", "--full-name", "--", pattern],
                            cwd=tmp_path, env=env, check=True, capture_output=True, text=True)
    assert [file for file, _ in _files([{"path": pattern}], tmp_path)] == sorted(
        listed.stdout.split("\0")[:-1])


def test_a_run_of_one_environment_expands_the_set_of_none(tmp_path: Path) -> None:
    """The set's own target is of no configured environment; a run of ``prod`` still expands
    it, and checks its prod Applications."""
    report = lint(_directories_repo(tmp_path), cache_dir=tmp_path / "cache",
                  environments="prod")
    assert sorted(t.id for t in report.targets if t.application is not None
                  and t.application.kind == "Application") == ["prod/api", "prod/web"]


def test_a_generated_application_is_created_in_the_sets_namespace(tmp_path: Path) -> None:
    """The template names no namespace: Argo CD creates each Application in the set's own
    (``GenerateApplications``), so ``prod-api`` the set makes is the Application
    ``argocd/prod-api`` a file also writes: one name used twice, not two Applications
    deploying one ConfigMap."""
    root = _directories_repo(tmp_path)
    (root / "apps" / "prod-api.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: prod-api\n"
        "  namespace: argocd\nspec:\n  project: default\n  source:\n"
        "    repoURL: https://git.example.com/repo.git\n    path: clusters/prod/api\n"
        "  destination:\n    server: https://kubernetes.default.svc\n    namespace: prod\n")
    messages = [f.message for f in lint(root, use_cache=False).findings
                if f.policy == "argocd-application"]
    assert any("prod-api: name is also used by" in m for m in messages), messages
    assert not any("deployed by both" in m for m in messages), messages


def _set(name: str, path: str, app: str, namespace: str) -> str:
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: {name}\n"
            "  namespace: argocd\nspec:\n  generators:\n    - git:\n"
            "        repoURL: https://git.example.com/repo.git\n        revision: HEAD\n"
            f"        directories:\n          - path: {path}\n  template:\n    metadata:\n"
            f"      name: '{app}'\n    spec:\n      project: default\n      source:\n"
            "        repoURL: https://git.example.com/repo.git\n        targetRevision: HEAD\n"
            "        path: '{{path}}'\n      destination:\n"
            f"        server: https://kubernetes.default.svc\n        namespace: '{namespace}'\n")


def _app(name: str, path: str, namespace: str) -> str:
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n"
            "  namespace: argocd\nspec:\n  project: default\n  source:\n"
            f"    repoURL: https://git.example.com/repo.git\n    path: {path}\n"
            "  destination:\n    server: https://kubernetes.default.svc\n"
            f"    namespace: {namespace}\n")


def test_an_expanded_set_is_no_app_of_env_consistency(tmp_path: Path) -> None:
    """A git set ``apps-prod`` deploys nothing itself: web-prod it makes is paired with the
    Application web-stg, and the set is not an app ``apps`` deployed to prod alone."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "argocd/web-stg.yaml": _app("web-stg", "apps/web", "web-stg"),
        "argocd/apps-prod.yaml": _set("apps-prod", "apps/*", "{{path.basename}}-prod",
                                      "{{path.basename}}-prod"),
        "apps/web/cm.yaml": CM.format(name="web")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.message for f in report.findings if f.policy == "env-consistency"] == []
    assert sorted(t.id for t in report.targets if t.is_app) == ["prod/web", "stg/web"]


@pytest.mark.parametrize("required", [True, False])
def test_an_expanded_set_needs_no_environment(tmp_path: Path, required: bool) -> None:
    """A git set ``apps`` of no environment's name makes web-prod: with requireEnvironment
    it is in no environment env-consistency pairs with prod, without it no unclassified
    Application."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "argocd/apps.yaml": _set(
            "apps", "prod/*", "{{path.basename}}-{{path[0]}}", "{{path[0]}}"),
        "prod/web/cm.yaml": CM.format(name="web"),
        **({"policies/platecheck.yaml": "requireEnvironment: true\n"} if required else {})})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [f.message for f in report.findings if f.policy == "env-consistency"] == []
    assert count(report).unclassified == 0


def test_a_git_set_of_app_of_apps_makes_app_of_apps(tmp_path: Path) -> None:
    """A git set over ``envs/*`` makes apps-stg and apps-prod, whose directories hold the
    Applications web-stg and web-prod: each is their app-of-apps, as a list set's would be
    (no namespace rule, no target of its own), and they are the targets."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "bootstrap/envs.yaml": _set(
            "envs", "envs/*", "apps-{{path.basename}}", "argocd"),
        **{f"envs/{env}/web.yaml": _app(f"web-{env}", "charts/web", f"web-{env}")
           for env in ("stg", "prod")},
        "charts/web/cm.yaml": CM.format(name="web")})
    model = load(root, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert sorted(t.id for t in model.targets if t.rendered_here) == ["prod/web", "stg/web"]
    assert sorted(model.generated_links) == [
        (("bootstrap/envs.yaml", 13), ("envs/prod/web.yaml", 1)),
        (("bootstrap/envs.yaml", 13), ("envs/stg/web.yaml", 1))]
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [f.message for f in report.findings if f.policy == "argocd-application"] == []


@pytest.mark.parametrize("first", ["set", "written"])
def test_an_application_two_parents_deploy_is_found_when_a_set_made_one(
        tmp_path: Path, first: str) -> None:
    """The git sets ``a`` over ``apps/one`` and ``b`` over ``apps/*`` make ``one`` and
    ``b-one`` (or a written Application ``parent-a`` and the set ``b``), each deploying
    ``apps/one``, which holds the Application child: both manage it (Argo CD's
    SharedResourceWarning), as two written parents do; ``other``, which only ``b-two``
    deploys, is fine."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN,
        "root/a.yaml": _set("a", "apps/one", "{{path.basename}}", "argocd") if first == "set"
        else _app("parent-a", "apps/one", "argocd"),
        "root/b.yaml": _set("b", "apps/*", "b-{{path.basename}}", "argocd"),
        "apps/one/child.yaml": _app("child", "charts/web", "web"),
        "apps/two/other.yaml": _app("other", "charts/web", "other"),
        "charts/web/cm.yaml": CM.format(name="web")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    parent = "one" if first == "set" else "parent-a"
    assert [(f.file, f.line, f.message) for f in report.findings
            if "deployed by both" in f.message] == [
        ("apps/one/child.yaml", 4, f"Application child: deployed by both Application {parent} "
         "and Application b-one, each managing it: their syncs undo each other, and deleting "
         "either deletes it")]


_MAP_PATH_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: platform
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: https://git.example.com/repo.git
        revision: HEAD
        files:
          - path: apps/*/app.yaml
  template:
    metadata:
      name: '{{ .name }}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        targetRevision: HEAD
        path: '{{ .path }}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{ .name }}'
"""


def test_a_path_go_prints_as_a_map_is_a_directory_that_does_not_exist(tmp_path: Path) -> None:
    """``{{ .path }}`` of a files generator is the path map, which Go prints as
    ``map[basename:web ...]``: the Application's source path does not exist (Argo CD's
    render fails too), and a kustomization no Application deploys is still named; the map's
    ``[...]``, read as a glob class with a range backwards (``e-a``), crashed the run."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "argocd/platform.yaml": _MAP_PATH_SET,
        "apps/example-app/app.yaml": "name: example-app\n",
        "apps/example-app/cm.yaml": CM.format(name="x"),
        "base/kustomization.yaml": "resources: [cm.yaml]\n", "base/cm.yaml": CM.format(name="b")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert [(e.location, e.message) for e in report.errors] == [(
        "argocd/platform.yaml:13", "source path 'map[basename:example-app "
        "basenameNormalized:example-app filename:app.yaml filenameNormalized:app.yaml "
        "path:apps/example-app segments:[apps example-app]]' does not exist")]
    assert [f.file for f in report.findings if f.policy == "undeployed-kustomization"] == [
        "base/kustomization.yaml"]


def test_a_value_a_go_template_decides_by_a_path_is_at_the_template(tmp_path: Path) -> None:
    """A Go template namespace that writes ``web`` for prod and ``web-<dir>`` for the others
    (an ``if`` on ``.path.basename``) is the template's value, not the path's: its finding is
    at the template's namespace, not at the generator entry that chose the directory."""
    text = _go(_DIRECTORIES.format(repo="https://git.example.com/repo.git")).replace(
        "namespace: '{{ .path.basename}}'",
        "namespace: 'web{{- if ne .path.basename \"web\" -}}-{{ .path.basename }}{{- end -}}'"
    ).replace("name: '{{ .path.basename}}-{{ .path.basename}}'", "name: '{{ .path.basename}}-prod'")
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/clusters.yaml": text,
        "clusters/prod/web/cm.yaml": CM.format(name="w")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "argocd-application"] == [
        ("apps/clusters.yaml:27", "Application web-prod: destination namespace 'web' does not "
         "match environment prod (*-prod, *-production, *-prd, prod-*, production-*, "
         "prd-*, prod, production, prd)")]


_PASS_THROUGH = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: https://git.example.com/repo.git
        revision: HEAD
        files:
          - path: apps/*/application.yaml
  template:
    metadata:
      name: '{{.metadata.name}}'
    spec:
      project: default
      destination:
        server: https://kubernetes.default.svc
        namespace: argocd
  templatePatch: |
    spec: {{ .spec | toJson }}
"""


@pytest.mark.parametrize("root", [True, False])
def test_application_files_a_git_files_generator_reads_are_its_data(tmp_path: Path,
                                                                    root: bool) -> None:
    """The set reads each ``apps/*/application.yaml`` as its parameters and makes an
    Application of it: Argo CD applies no such file, so it is neither unreachable (under a
    root that deploys the set) nor a second Application deploying the same ConfigMap."""
    files = {".git/config": ORIGIN, "bootstrap/appset.yaml": _PASS_THROUGH,
             "apps/web/application.yaml": _app("web", "apps/web/manifests", "web"),
             "apps/web/manifests/cm.yaml": CM.format(name="w")}
    if root:
        files["root.yaml"] = _app("root", "bootstrap", "argocd")
    report = lint(write_files(tmp_path / "repo", files), cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "argocd-application"] == []


def test_a_run_of_one_environment_leaves_out_the_other_applications_a_set_makes(
        tmp_path: Path) -> None:
    """A git directories set makes web-dev and web-staging, neither with a destination
    server: a run of stg reports web-staging's alone (web-dev's was a finding of no
    environment, kept in every run)."""
    text = ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: web\n"
            "  namespace: argocd\nspec:\n  generators:\n  - git:\n"
            "      repoURL: https://git.example.com/repo.git\n      revision: HEAD\n"
            "      directories:\n      - path: env/*\n  template:\n    metadata:\n"
            "      name: web-{{path.basename}}\n    spec:\n      project: default\n"
            "      source:\n        repoURL: https://git.example.com/repo.git\n"
            "        path: '{{path}}'\n      destination:\n"
            "        namespace: web-{{path.basename}}\n")
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/set.yaml": text,
        "env/dev/cm.yaml": CM.format(name="d"), "env/staging/cm.yaml": CM.format(name="s")})
    report = lint(root, cache_dir=tmp_path / "cache", environments=["stg"])
    assert [(f.environment, f.message.split(":")[0]) for f in report.findings
            if f.policy == "argocd-application"] == [("stg", "Application web-staging")]


def test_an_application_of_its_set_s_name_is_known_by_its_name(tmp_path: Path) -> None:
    """A git set ``web`` making one Application ``web``: the set is expanded, no target of
    the report, so the Application is ``default/web`` (waivers and ``--env`` name it so),
    not ``default/web@<file>:<line>`` as a second Application of that name would be."""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "argocd/web.yaml": _set("web", "apps/web", "web", "web"),
        "apps/web/cm.yaml": CM.format(name="web")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(t.id, t.application.name if t.application else None)
            for t in report.targets] == [("default/web", "web")]


@pytest.mark.parametrize("go", [True, False], ids=["go-template", "fasttemplate"])
def test_a_value_a_git_file_s_key_fills_is_found_at_that_key(tmp_path: Path, go: bool
                                                             ) -> None:
    """A git files generator over ``envs/*/config.yaml``: the destination namespace and a
    Helm parameter filled from one key of the file are each at that key's line of the
    environment's file (the line to edit), not at the template's line every environment
    shares."""
    tag = "{{{{.{}}}}}" if go else "{{{{{}}}}}"
    chart = {"charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
             "charts/web/templates/pod.yaml": (
                 "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"
                 "    - name: web\n      image: {{ .Values.image }}\n")}
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, **chart,
        "envs/prod/config.yaml": "env: prod\nnamespace: default\nimage: nginx:latest\n",
        "sets/web.yaml": (
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: web\n"
            "  namespace: argocd\nspec:\n" + ("  goTemplate: true\n" if go else "")
            + "  generators:\n    - git:\n        repoURL: https://git.example.com/repo.git\n"
            "        revision: HEAD\n        files:\n          - path: envs/*/config.yaml\n"
            f"  template:\n    metadata:\n      name: 'web-{tag.format('env')}'\n    spec:\n"
            "      project: default\n      source:\n"
            "        repoURL: https://git.example.com/repo.git\n        path: charts/web\n"
            "        helm:\n          parameters:\n            - name: image\n"
            f"              value: '{tag.format('image')}'\n      destination:\n"
            "        server: https://kubernetes.default.svc\n"
            f"        namespace: '{tag.format('namespace')}'\n")})
    report = lint(root, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert sorted((f.policy, f.location) for f in report.findings
                  if f.policy in ("argocd-application", "image-tag-pinned")) == [
        ("argocd-application", "envs/prod/config.yaml:2"),
        ("image-tag-pinned", "envs/prod/config.yaml:3")]


@pytest.mark.parametrize(("pattern", "file", "named"), [
    ("clusters/*/config.yaml", "clusters/a/config.yaml", True),
    ("clusters/*.yaml", "clusters/a/b.yaml", False),  # (a pathspec's * crosses /)
    ("clusters/*.yaml", "clusters/.hidden.yaml", True),
    ("**/config.json", "config.json", True),
    ("**/config.json", "a/b/config.json", True),
    ("a/**", "a/b/c", True),
    ("a/**/c", "a/c", True),
    ("./envs//x?.yaml", "envs/x1.yaml", True),
    ("/envs/*.yaml", "envs/a.yaml", True),
    ("envs/*", "envs", False),
])
def test_the_new_git_file_globbing_reads_paths_as_globs(pattern: str, file: str,
                                                        named: bool) -> None:
    """With the ApplicationSet controller's new git file globbing the path is a glob of the
    checkout (doublestar's ``FilepathGlob``): ``*`` stays within one name, ``**`` spans
    directories; the pattern is cleaned as ``filepath.Join`` cleans it."""
    from platecheck.appset_git import glob_names

    assert glob_names(pattern, file) is named


_GLOBBED = _FILES.replace("          - path: envs/*config.yaml\n          - path: envs/list.json\n"
                          "          - path: envs/old/*\n            exclude: true\n",
                          "          - path: envs/*.yaml\n")


@pytest.mark.parametrize("new", [False, True])
def test_a_git_files_path_is_a_glob_with_the_new_globbing(tmp_path: Path, new: bool) -> None:
    """``envs/*.yaml``: git's pathspec names every YAML file below ``envs/`` (the
    ApplicationSet controller's default), the new globbing (``newGitFileGlobbing: true``,
    Argo CD's ``applicationsetcontroller.enable.new.git.file.globbing``) only those right in
    it (sean-vaughan/openshift-gitops: a Kustomize resource in a subdirectory was taken for
    an Application's gate file, a false could-not-check)."""
    config = "newGitFileGlobbing: true\n" if new else ""
    root = write_files(tmp_path / "repo", {
        ".git/config": ORIGIN, "apps/web.yaml": _GLOBBED, "web/cm.yaml": CM.format(name="web"),
        "policies/platecheck.yaml": config + "environments:\n  prod:\n"
                                    "    match: {namespaces: ['*']}\n",
        "envs/a.yaml": "cluster: {name: a, ns: prod}\n",
        "envs/sub/b.yaml": "cluster: {name: b, ns: prod}\n"})
    model = load(root, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert sorted(a.name for a in model.generated) == (
        ["web-envs-a"] if new else ["web-envs-a", "web-sub-b"])


def test_the_new_globbing_beside_a_git_directories_set(tmp_path: Path) -> None:
    """A git directories set and a git files set of the new globbing in one run: each reads
    the repository's tree as its generator does (the files set's check of the directories
    a glob names took the directories generator's walk for its own)."""
    root = _directories_repo(tmp_path)
    write_files(root, {
        "apps/web.yaml": _GLOBBED, "web/cm.yaml": CM.format(name="web"),
        "envs/a.yaml": "cluster: {name: a, ns: prod}\n",
        "policies/platecheck.yaml": "newGitFileGlobbing: true\nenvironments:\n  prod:\n"
                                    "    match: {namespaces: ['*']}\n"})
    model = load(root, cache_dir=tmp_path / "cache")
    assert model.errors == ()
    assert "web-envs-a" in {a.name for a in model.generated}
    assert "prod-web" in {a.name for a in model.generated}
