"""Kinds the repository defines: Crossplane's CompositeResourceDefinitions define kinds as
CRDs do (their composite resource's and their claim's, each served version with its schema,
Crossplane's own fields allowed), and of two CRDs of one kind, the one a target installs is
the schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint
from security_helpers import CRD_TEMPLATE
from synthetic import application, repository

XRD = """\
apiVersion: apiextensions.crossplane.io/{version}
kind: CompositeResourceDefinition
metadata:
  name: xdatabases.example.org
spec:
  group: example.org
  names: {{kind: XDatabase, plural: xdatabases}}
{claims}{scope}  versions:
    - name: v1alpha1
      served: true
      referenceable: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {{type: string}}
    - name: v1alpha0
      served: false
      referenceable: false
"""
CLAIMS = "  claimNames: {kind: Database, plural: databases}\n"


def _resource(kind: str, size: str, version: str = "v1alpha1") -> str:
    return (f"---\napiVersion: example.org/{version}\nkind: {kind}\nmetadata:\n"
            f"  name: orders\nspec:\n  size: {size}\n  compositionRef: {{name: aws}}\n"
            "  writeConnectionSecretToRef: {name: orders-conn}\n")


def _rows(tmp_path: Path, xrd: str, resources: str) -> list[tuple[str, str, str]]:
    repo = repository(tmp_path, {
        "apps/xrds.yaml": application("xrds", "xrds", "crossplane-system"),
        "apps/claims.yaml": application("claims", "claims", "team-a"),
        "xrds/xrd.yaml": xrd, "claims/resources.yaml": resources})
    report = lint(repo, cache_dir=tmp_path / "cache")
    assert report.errors == ()
    return [(f.policy, f.location, f.message.split(": ", 1)[1]) for f in report.findings
            if f.policy in ("k8s-schema", "unknown-kind") and f.file != "xrds/xrd.yaml"]


@pytest.mark.parametrize("version, scope", [("v1", ""), ("v2", "  scope: LegacyCluster\n")])
def test_a_claim_and_its_composite_are_checked_against_their_definition(
        tmp_path: Path, version: str, scope: str) -> None:
    resources = _resource("Database", "small") + _resource("XDatabase", "3")
    assert _rows(tmp_path, XRD.format(version=version, claims=CLAIMS, scope=scope),
                 resources) == [
        ("k8s-schema", "claims/resources.yaml:16", "spec.size: expected string, got integer 3")]


def test_a_kind_the_definition_does_not_make_is_still_unknown(tmp_path: Path) -> None:
    """No claimNames: no claim kind; a version not served: none of it."""
    rows = _rows(tmp_path, XRD.format(version="v2", claims="", scope=""),
                 _resource("Database", "small") + _resource("XDatabase", "small", "v1alpha0"))
    assert [(policy, location) for policy, location, _ in rows] == [
        ("unknown-kind", "claims/resources.yaml:3"), ("unknown-kind", "claims/resources.yaml:12")]


CONSTRAINT_TEMPLATE = """\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8srequiredlabels
spec:
  crd:
    spec:
      names: {kind: K8sRequiredLabels}
      validation:
        openAPIV3Schema:
          type: object
          properties:
            labels: {type: array, items: {type: string}}
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8srequiredlabels
"""


@pytest.mark.parametrize("version", ["v1beta1", "v1"])
def test_a_constraint_is_checked_against_its_template(tmp_path: Path, version: str) -> None:
    """Gatekeeper defines the kind a ConstraintTemplate names (``constraints.gatekeeper.sh``,
    each version it serves): a constraint of it is no unknown kind (it was), its
    ``parameters`` checked against the template's schema, Gatekeeper's own fields
    (``match``, ``enforcementAction``) allowed."""
    constraint = (f"apiVersion: constraints.gatekeeper.sh/{version}\nkind: K8sRequiredLabels\n"
                  "metadata:\n  name: need-owner\nspec:\n  enforcementAction: deny\n"
                  "  match: {kinds: [{apiGroups: [''], kinds: [Namespace]}]}\n"
                  "  parameters: {labels: owner}\n")
    assert _rows(tmp_path, CONSTRAINT_TEMPLATE, "---\n" + constraint) == [
        ("k8s-schema", "claims/resources.yaml:9",
         'spec.parameters.labels: expected array, got string "owner"')]


# a Widget CRD whose spec has size, and another field where its version adds one
WIDGET_CRD = CRD_TEMPLATE.format(plural="widgets", kind="Widget", field="size",
                                 constraint="NEWER")


def test_the_crd_a_target_installs_wins_over_a_crd_file_nothing_installs(
        tmp_path: Path, helm_bin: Path) -> None:
    """Chart a vendors a disabled subchart whose crds/ hold an older Widget CRD (helm leaves
    a disabled subchart's CRDs out); chart b installs the newer one from its own crds/: b's
    Widget is checked against the CRD it installs (the first file in path order, a's, gave
    an unknown-field finding), and a field neither has is still one."""
    older = WIDGET_CRD.replace("NEWER", "")
    newer = WIDGET_CRD.replace("NEWER", "              newField: {type: string}\n")
    files = {
        "apps/a.yaml": application("a", "charts/a", "a"),
        "apps/b.yaml": application("b", "charts/b", "b"),
        "charts/a/Chart.yaml": "apiVersion: v2\nname: a\nversion: 0.1.0\ndependencies:\n"
                               "  - name: old\n    version: 0.1.0\n    condition: old.enabled\n",
        "charts/a/values.yaml": "old:\n  enabled: false\n",
        "charts/a/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
        "charts/a/charts/old/Chart.yaml": "apiVersion: v2\nname: old\nversion: 0.1.0\n",
        "charts/a/charts/old/crds/widgets.yaml": older,
        "charts/b/Chart.yaml": "apiVersion: v2\nname: b\nversion: 0.1.0\n",
        "charts/b/crds/widgets.yaml": newer,
        "charts/b/templates/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\n"
                                          "metadata:\n  name: w\nspec:\n  size: big\n"
                                          "  newField: 'yes'\n  other: 1\n"}
    report = lint(repository(tmp_path, files), cache_dir=tmp_path / "cache", helm=helm_bin)
    assert report.errors == ()
    assert [(f.location, f.message.split(": ", 1)[1].split(" (schema")[0])
            for f in report.findings if f.policy == "k8s-schema"] == [
        ("charts/b/templates/widget.yaml:8", "spec.other: unknown field")]


@pytest.mark.parametrize(("kind", "api_version"), [
    ("A" * 300, "v1"),  # longer than a file name may be
    ("deployment-apps-v1.json/x", "v1"),  # a path through a schema file
    ('"Config\\0Map"', "v1"),  # a NUL
    ("ConfigMap", "../../v1"),
])
def test_a_kind_no_api_server_serves_is_an_unknown_kind_not_a_crash(
        tmp_path: Path, helm_bin: Path, kind: str, api_version: str) -> None:
    """A rendered kind or apiVersion of no form the API server serves is never made a schema
    file's name: one unknown-kind finding at the template (it stopped the run, an internal
    error: a file name too long, a path through a file, an embedded NUL)."""
    root = repository(tmp_path, {
        "apps/web.yaml": application("web-prod", "web", "web-prod"),
        "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "web/templates/cm.yaml": f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n"
                                 "  name: demo\n"})
    report = lint(root, cache_dir=tmp_path / "cache", helm=helm_bin)
    assert report.errors == ()
    assert [(f.policy, f.file) for f in report.findings if f.level.value == "error"] == [
        ("unknown-kind", "web/templates/cm.yaml")]


def test_a_kustomization_file_a_directory_source_applies_is_one_finding(
        tmp_path: Path, helm_bin: Path) -> None:
    """A recursing directory source holding a Kustomize base: Argo CD sends its
    kustomization.yaml to the API server as a manifest, and the sync fails. One finding says
    so, with a fix that works (not also "metadata.name is missing", from a chart's helper)."""
    from synthetic import CM

    root = repository(tmp_path, {
        "apps/infra.yaml": application("infra-prod", "infra", "infra-prod",
                                       source_extra="    directory: {recurse: true}\n"),
        "infra/cm/base/kustomization.yaml": "resources: [cm.yaml]\n"
                                            "apiVersion: kustomize.config.k8s.io/v1beta1\n"
                                            "kind: Kustomization\n",
        "infra/cm/base/cm.yaml": CM.format(name="cm")})
    report = lint(root, cache_dir=tmp_path / "cache", helm=helm_bin)
    [found] = [f for f in report.findings if f.level.value == "error"]
    assert (found.policy, found.location) == ("unknown-kind", "infra/cm/base/kustomization.yaml:3")
    assert "a kustomization file applied as a manifest" in found.message
    assert "directory.exclude" in found.remediation
