"""The hooks Argo CD never applies are not checked: Helm's test and rollback hooks, and
``argocd.argoproj.io/hook: Skip`` (gitops-engine's ``syncPhases``; deletion hooks run when the
Application is deleted, so they are checked); nor are the kinds Argo CD always excludes."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.cli import main
from platecheck.engine import lint
from platecheck.parse import applied_stream
from platecheck.resources import never_applied
from synthetic import write_files


def _annotated(annotations: dict[str, str]) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "annotations": annotations}}


@pytest.mark.parametrize("annotations, never", [
    ({}, False),
    ({"helm.sh/hook": "test"}, True),
    ({"helm.sh/hook": "test-success"}, True),
    ({"helm.sh/hook": "test-failure"}, True),
    ({"helm.sh/hook": "pre-rollback,post-rollback"}, True),
    ({"helm.sh/hook": "pre-install"}, False),
    ({"helm.sh/hook": "test, post-upgrade"}, False),
    ({"helm.sh/hook": "pre-delete"}, False),  # run when the Application is deleted
    ({"helm.sh/hook": "crd-install"}, False),  # no hook: a resource like any other
    ({"argocd.argoproj.io/hook": "Skip"}, True),
    ({"argocd.argoproj.io/hook": "Skip,PreSync"}, False),
    ({"argocd.argoproj.io/hook": "PostSync", "helm.sh/hook": "test"}, False),
    # an Argo CD hook wins over Helm's, and one of no sync phase is never applied
    ({"argocd.argoproj.io/hook": "Skip", "helm.sh/hook": "pre-install"}, True),
    ({"argocd.argoproj.io/hook": "Unknown"}, True),
    ({"argocd.argoproj.io/hook": "PreDelete"}, False),
    ({"argocd.argoproj.io/hook": "Unknown", "helm.sh/hook": "post-install"}, False),
])
def test_what_argo_cd_never_applies(annotations: dict[str, str], never: bool) -> None:
    assert never_applied(_annotated(annotations)) is never


_POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
  annotations:
    helm.sh/hook: {hook}
spec:
  containers:
    - name: wget
      image: busybox
"""


def _hooked_chart(tmp_path: Path) -> Path:
    app = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n"
           "spec:\n  project: default\n  source:\n    repoURL: https://example.com/r.git\n"
           "    path: web\n  destination:\n    namespace: web\n"
           "    server: https://kubernetes.default.svc\n")
    repo = write_files(tmp_path / "repo", {
        "apps/web.yaml": app,
        "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "web/templates/tests/test-connection.yaml": _POD.format(name="web-test",
                                                                hook="test-success"),
        "web/templates/migrate.yaml": _POD.format(name="web-migrate", hook="pre-install")})
    (repo / ".git").mkdir()
    return repo


@pytest.mark.usefixtures("helm_bin")
def test_a_helm_test_hook_is_not_checked_and_an_install_hook_is(tmp_path: Path) -> None:
    repo = _hooked_chart(tmp_path)
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert {f.resource for f in report.findings if f.policy == "resource-ranges"} == {
        "Pod/web-migrate[wget]"}


@pytest.mark.usefixtures("helm_bin")
def test_render_prints_what_argo_cd_applies(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The rendered stream without the test hook, the install hook as helm wrote it."""
    repo = _hooked_chart(tmp_path)
    assert main(["render", str(repo), "--cache-dir", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out
    assert "name: web-migrate" in out and "# Source: web/templates/migrate.yaml" in out
    assert "web-test" not in out and "test-success" not in out


def test_the_applied_stream_keeps_all_but_never_applied_documents() -> None:
    hook, plain = _POD.format(name="t", hook="test"), _POD.format(name="m", hook="pre-install")
    listed = ("apiVersion: v1\nkind: List\nitems:\n  - " +
              _POD.format(name="in-list", hook="test").replace("\n", "\n    ").rstrip())
    stream = f"---\n# Source: a\n{hook}---\n# Source: b\n{plain}---\n{listed}\n---\n: [\n"
    assert applied_stream(stream) == f"---\n# Source: b\n{plain}---\n: [\n"
    assert applied_stream(plain) == plain and applied_stream("") == ""


def test_a_skipped_child_application_is_not_deployed_by_its_app_of_apps(
        tmp_path: Path) -> None:
    """Argo CD never creates an ``argocd.argoproj.io/hook: Skip`` Application its app-of-apps'
    directory holds: it is reachable from no app-of-apps, as one outside the directory."""
    def child(name: str, annotations: str = "") -> str:
        return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
                f"  name: {name}\n  namespace: argocd\n{annotations}spec:\n"
                f"  project: default\n  source:\n    repoURL: https://example.com/r.git\n"
                f"    path: {name}\n  destination:\n    namespace: {name}\n"
                f"    server: https://kubernetes.default.svc\n")
    configmap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"
    repo = write_files(tmp_path / "repo", {
        "apps/root.yaml": child("children"),
        "children/good.yaml": child("good"),
        "children/skipped.yaml": child(
            "skipped", "  annotations:\n    argocd.argoproj.io/hook: Skip\n"),
        "good/cm.yaml": configmap, "skipped/cm.yaml": configmap})
    (repo / ".git").mkdir()
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert [(f.location, f.message) for f in report.findings
            if f.policy == "argocd-application"] == [
        ("children/skipped.yaml:4", "Application skipped: is not reachable from an app-of-apps "
         "(roots: apps/root.yaml); unless something else applies it, Argo CD never deploys "
         "it")]


def test_the_kinds_argo_cd_always_excludes_are_not_checked(tmp_path: Path) -> None:
    """Argo CD's controller drops Events, Leases and every kind of events.k8s.io and
    metrics.k8s.io from what it applies, whatever its settings (``coreExcludedResources``):
    two Applications deploying them share nothing, and their fields are not checked; a
    ConfigMap beside them is shared."""
    def app(name: str) -> str:
        return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
                f"  name: {name}\n  namespace: argocd\nspec:\n  project: default\n"
                f"  source:\n    repoURL: https://example.com/r.git\n    path: d\n"
                f"  destination:\n    namespace: {name}\n"
                f"    server: https://kubernetes.default.svc\n")
    def obj(api_version: str, kind: str, extra: str = "") -> str:
        return (f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: x\n"
                f"  namespace: shared\n{extra}---\n")
    repo = write_files(tmp_path / "repo", {
        "apps/one.yaml": app("one"), "apps/two.yaml": app("two"),
        "d/objects.yaml": obj("coordination.k8s.io/v1", "Lease", "spec:\n  durationz: 15\n")
        + obj("v1", "Event", "reasonz: x\n") + obj("events.k8s.io/v1", "Event")
        + obj("metrics.k8s.io/v1beta1", "PodMetrics") + obj("v1", "ConfigMap")})
    (repo / ".git").mkdir()
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    assert [(f.location, f.policy, f.message) for f in report.findings] == [
        ("d/objects.yaml:31", "argocd-application", "ConfigMap/x in namespace shared is "
         "deployed by both Application one (default/one) and Application two; Argo CD's syncs "
         "of the two undo each other")]
