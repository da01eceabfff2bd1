"""An ApplicationSet's ``templatePatch`` applied to each Application it makes, as Argo CD's
``applyTemplatePatch`` applies it (a strategic merge patch over the Application type)."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint
from platecheck.model import Application, Report
from synthetic import write_files

pytestmark = pytest.mark.usefixtures("helm_bin")

_SET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: web
  namespace: argocd
spec:
  goTemplate: {go}
  generators:
    - list:
        elements:
          - env: dev
          - env: prod
            tag: latest
  template:
    metadata:
      name: 'web-{env}'
    spec:
      project: default
      source:
        repoURL: https://git.example.com/repo.git
        path: chart
        helm:
          valuesObject:
            tag: 1.2.3
      destination:
        server: https://kubernetes.default.svc
        namespace: 'web-{env}'
      syncPolicy:
        syncOptions: [CreateNamespace=true]
  templatePatch: |
"""
_PATCH_LINE = 30  # the templatePatch key
_CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "chart/values.yaml": "tag: 1.2.3\n",
    "chart/templates/pod.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"
        "    - name: web\n      image: \"nginx:{{ .Values.tag }}\"\n"
        "      imagePullPolicy: IfNotPresent\n"
        "      resources:\n        requests: {cpu: 100m, memory: 128Mi}\n"
        "        limits: {cpu: 200m, memory: 256Mi}\n"),
}
_FLOATING = 'container "web" in Pod/web uses floating tag "latest"'


def _lint(tmp_path: Path, patch: str, go: bool = True) -> Report:
    """Lint a repository of the web chart and a list set of ``dev`` and ``prod`` (whose
    element has ``tag: latest``) with the templatePatch ``patch``."""
    text = _SET.format(go="true" if go else "false", env="{{.env}}" if go else "{{env}}")
    body = "".join(f"    {line}\n" if line else "\n" for line in patch.splitlines())
    repo = write_files(tmp_path / "repo", {".git/HEAD": "", **_CHART,
                                           "apps/set.yaml": text + body})
    return lint(repo, cache_dir=tmp_path / "cache")


def _apps(report: Report) -> dict[str, Application]:
    return {t.application.name: t.application for t in report.targets
            if t.application is not None and t.application.kind == "Application"}


def test_a_patch_of_one_element_changes_its_sync_policy_and_values(tmp_path: Path) -> None:
    """``if eq .env "prod"``: prod's Application has the patch merged in (syncPolicy's
    syncOptions kept, automated added; valuesObject's tag replaced), dev's is the template's.
    The floating tag the patch writes is found at the templatePatch."""
    report = _lint(tmp_path, (
        '{{- if eq .env "prod" }}\nspec:\n  syncPolicy:\n    automated:\n      prune: true\n'
        "  source:\n    helm:\n      valuesObject:\n        tag: '{{ .tag }}'\n{{- end }}"))
    assert report.errors == ()
    apps = _apps(report)
    assert apps["web-prod"].sync_policy == {"syncOptions": ["CreateNamespace=true"],
                                            "automated": {"prune": True}}
    assert apps["web-dev"].sync_policy == {"syncOptions": ["CreateNamespace=true"]}
    assert [(f.location, f.policy, f.message) for f in report.findings] == [
        (f"apps/set.yaml:{_PATCH_LINE}", "image-tag-pinned", _FLOATING)]


def test_a_null_in_the_patch_deletes_its_key(tmp_path: Path) -> None:
    """A null deletes the key it names (``syncPolicy``, a valuesObject key): the chart's
    default tag is rendered."""
    report = _lint(tmp_path, (
        "spec:\n  syncPolicy: null\n  source:\n    helm:\n      valuesObject:\n"
        "        tag: null\n        other: ~\n"))
    assert report.errors == ()
    assert set(_apps(report)) == {"web-dev", "web-prod"}
    for app in _apps(report).values():
        assert app.sync_policy is None
        assert app.raw["spec"]["source"]["helm"] == {"valuesObject": {}}


def test_a_patch_cannot_change_the_project(tmp_path: Path) -> None:
    """``finalApp.Spec.Project = app.Spec.Project``: the template's project stays; the
    namespace stays the set's."""
    report = _lint(tmp_path, "metadata:\n  namespace: elsewhere\nspec:\n  project: other\n")
    assert report.errors == ()
    assert {(a.project, a.namespace) for a in _apps(report).values()} == {
        ("default", "argocd")}


@pytest.mark.parametrize("patch, message", [
    ('{{- if eq .env "prod" }}\nspec: [\n{{- end }}', "the YAML it writes does not parse"),
    ('{{- if eq .env "prod" }}\nspec:\n  syncPolicy:\n    automated:\n      prune: "yes"\n'
     "{{- end }}", "spec.syncPolicy.automated.prune: expected boolean, got a string \"yes\""),
    ("spec:\n  revisionHistoryLimit: '{{ .env }}'\n",
     'spec.revisionHistoryLimit: expected integer, got a string "dev"'),
])
def test_a_patch_argo_cd_cannot_apply_fails_the_set(tmp_path: Path, patch: str,
                                                    message: str) -> None:
    """YAML that does not parse, or a value of another type than its field's, for one
    element (prod): Argo CD fails the ApplicationSet (``GenerateApplications`` returns the
    error, ``Reconcile`` creates nothing); a could-not-check error at the templatePatch. A
    map merged into valuesObject's fails too (valuesObject's Go type has no fields); a
    list or a scalar replaces."""
    report = _lint(tmp_path, patch)
    [error] = report.errors
    assert (error.location, error.policy) == (f"apps/set.yaml:{_PATCH_LINE}", "could-not-check")
    assert message in error.message
    assert "Argo CD fails the ApplicationSet and creates none of its Applications" \
        in error.message
    assert _apps(report) == {}


@pytest.mark.parametrize(("patch", "go", "action"), [
    ('{{- if eq .env "prod" }}\nspec:\n  syncPolicy: null\n{{- end }}', False, True),
    ("{spec: {syncPolicy: {automated: {}}}}", True, False),  # YAML's flow style
    ('{"spec": {"revisionHistoryLimit": NaN}}', True, False),
], ids=["go-action-without-go-template", "flow-style", "nan"])
def test_a_patch_that_starts_with_a_brace_and_is_no_json_fails_the_set(
        tmp_path: Path, patch: str, go: bool, action: bool) -> None:
    """``ConvertYAMLToJSON`` takes a text whose first character is ``{`` for JSON and
    ``json.Unmarshal`` refuses it when it is none (a Go template action fasttemplate leaves
    as written, YAML's flow style, NaN): Argo CD fails the set, a could-not-check error at
    the templatePatch; JSON itself leaves the set unexpanded (Go's decoder is not
    modelled)."""
    report = _lint(tmp_path, patch, go=go)
    [error] = report.errors
    assert (error.location, error.policy) == (f"apps/set.yaml:{_PATCH_LINE}", "could-not-check")
    assert "so Argo CD reads it as JSON, and it is no JSON" in error.message
    assert ("without goTemplate: true" in error.message) is action
    assert _apps(report) == {}
    valid = _lint(tmp_path / "json", '{"spec": {"revisionHistoryLimit": 3}}')
    assert (valid.errors, _apps(valid)) == ((), {})
    assert [f.policy for f in valid.findings] == ["not-rendered"]


def test_a_patch_merged_into_a_map_valuesobject_holds_fails_the_set(tmp_path: Path) -> None:
    """valuesObject is Go's RawExtension, of no fields: merging a map into the map one of
    its keys holds fails the strategic merge (unable to find api field), so the set."""
    text = _SET.format(go="true", env="{{.env}}").replace(
        "            tag: 1.2.3\n", "            tag: 1.2.3\n            extra: {a: 1}\n")
    repo = write_files(tmp_path / "repo", {".git/HEAD": "", **_CHART, "apps/set.yaml": (
        text + "    spec:\n      source:\n        helm:\n          valuesObject:\n"
        "            extra: {b: 2}\n")})
    report = lint(repo, cache_dir=tmp_path / "cache")
    [error] = report.errors
    assert (error.location, error.policy) == (f"apps/set.yaml:{_PATCH_LINE + 1}",
                                              "could-not-check")
    assert "unable to find api field in struct RawExtension for the json field 'extra'" \
        in error.message


def test_a_fasttemplate_set_is_patched(tmp_path: Path) -> None:
    """Without goTemplate the patch is filled as fasttemplate fills it (``{{tag}}``; an
    unknown tag stays as written)."""
    report = _lint(tmp_path, (
        "metadata:\n  annotations:\n    note: '{{nope}}'\n"
        "spec:\n  source:\n    helm:\n      valuesObject:\n        tag: 'x{{tag}}'\n"), go=False)
    assert report.errors == ()
    apps = _apps(report)
    assert apps["web-dev"].annotations == {"note": "{{nope}}"}
    assert apps["web-prod"].raw["spec"]["source"]["helm"]["valuesObject"] == {
        "tag": "xlatest"}


def test_a_patch_directive_leaves_the_set_unexpanded(tmp_path: Path) -> None:
    """A ``$patch`` or ``$retainKeys`` directive is not applied by platecheck: the set is not
    rendered; without it the same patch is applied."""
    plain = "spec:\n  syncPolicy:\n    automated: {}\n"
    assert {a.sync_policy["automated"] == {} for a in _apps(_lint(tmp_path, plain)).values()
            if a.sync_policy is not None} == {True}
    for directive in ("$patch: replace", "$retainKeys: [automated]"):
        report = _lint(tmp_path / directive[1:6], plain + f"    {directive}\n")
        assert report.errors == ()
        assert _apps(report) == {}
        assert [f.policy for f in report.findings] == ["not-rendered"]


def test_a_patch_writing_to_yaml_of_a_parameter_is_applied(tmp_path: Path) -> None:
    """``valuesObject: {{ toYaml .values | nindent 8 }}``: each element's values map is
    written as Argo CD's toYaml writes it (``"yes"`` quoted, so it stays a text) and merged
    in; prod's floating tag is found at the templatePatch."""
    text = _SET.format(go="true", env="{{.env}}").replace(
        "          - env: dev\n          - env: prod\n            tag: latest\n",
        "          - env: dev\n            values: {tag: 1.2.3}\n"
        "          - env: prod\n            values: {tag: latest, flag: 'yes', replicas: 2}\n")
    patch = "spec:\n  source:\n    helm:\n      valuesObject: {{ toYaml .values | nindent 8 }}\n"
    body = "".join(f"    {line}\n" for line in patch.splitlines())
    repo = write_files(tmp_path / "repo", {".git/HEAD": "", **_CHART,
                                           "apps/set.yaml": text + body})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    apps = _apps(report)
    assert apps["web-prod"].raw["spec"]["source"]["helm"]["valuesObject"] == {
        "tag": "latest", "flag": "yes", "replicas": 2}
    assert apps["web-dev"].raw["spec"]["source"]["helm"]["valuesObject"] == {"tag": "1.2.3"}
    assert [(f.location, f.policy, f.message) for f in report.findings] == [
        (f"apps/set.yaml:{_PATCH_LINE + 1}", "image-tag-pinned", _FLOATING)]


@pytest.mark.parametrize(("key", "expanded"), [
    ("preserveResourcesOnDeletion", True),  # no field of an Application's syncPolicy
    ("SyncOptions", False),  # Go's encoding/json matches it to syncOptions, case aside
])
def test_a_patch_key_the_application_has_not_is_dropped(tmp_path: Path, key: str,
                                                        expanded: bool) -> None:
    """A key no field of the Application's (an ApplicationSet's own syncPolicy field written
    into the Application's, sean-vaughan/openshift-gitops): the merge takes it and
    ``json.Unmarshal`` drops it, so the set is expanded and its Applications lack it (the
    set was left unexpanded); one Go would match to a field, case aside, is not applied
    here."""
    report = _lint(tmp_path, f"spec:\n  syncPolicy:\n    {key}: true\n")
    assert report.errors == ()
    apps = _apps(report)
    assert sorted(apps) == (["web-dev", "web-prod"] if expanded else [])
    for app in apps.values():
        assert app.sync_policy == {"syncOptions": ["CreateNamespace=true"]}
