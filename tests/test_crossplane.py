"""Crossplane's CompositeResourceDefinitions define kinds as CRDs do: their composite
resource's and their claim's, each served version with its schema, Crossplane's own fields
allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from platecheck.engine import lint
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
