"""Every rendered kind has a schema to validate against: an unknown kind is not a pass.

What:
    Reports each rendered resource whose kind has no schema: neither a Kubernetes kind of the
    configured version (bundled with kubernetes-validate) nor a custom resource with a JSON
    schema in ``schemaDirs`` (default ``policies/schemas/``, file
    ``<kind>-<group>-<version>.json`` lowercase, or ``<group>/<kind>_<version>.json`` as in
    kubeconform's CRD catalog), a CustomResourceDefinition in the repository (a chart's
    ``crds/``, or rendered by any target) or a schema shipped with platecheck. Such a resource
    is never validated by ``k8s-schema``. A built-in kind in an apiVersion that version does
    not serve (``extensions/v1beta1`` Ingress, removed in 1.22) is one the API server
    refuses: the finding names the apiVersions it serves instead; one Kubernetes removed
    with nothing in its place (PodSecurityPolicy, removed in 1.25) says so; a kustomization
    file a directory source sends on as a manifest (below the source's path, where Argo CD
    builds none) says that, and k8s-schema says nothing more of it.

Why:
    Schema validators that skip unknown kinds pass a misspelled CRD field, a wrong apiVersion
    (``cert-manager.io/v1alpha2`` long after it was removed) or a typo in the kind itself.
    Kept apart from ``k8s-schema`` so its level can differ per environment, e.g. error in
    production and warning elsewhere.

Options:
    kubernetesVersion, schemaDirs, repositoryCrds, bundledSchemas: as for ``k8s-schema``
        (set both alike).
    allowKinds: globs on ``<apiVersion>/<kind>`` that need no schema,
        e.g. ["monitoring.coreos.com/*/ServiceMonitor"] (default none).

Passes:
    A Deployment (apps/v1); an IPAddressPool (metallb.io/v1beta1) with the shipped schema;
    a custom kind whose schema is in ``policies/schemas/``.

Fails:
    ``kind: Widget`` with ``apiVersion: example.com/v1`` and no
    ``widget-example.com-v1.json`` ->
    ``Widget/w: kind Widget (example.com/v1) is not schema-validated``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from platecheck import schemas
from platecheck.errors import CrdRefused, PartlyChecked, PlatecheckError
from platecheck.globs import matches_any
from platecheck.manifest_lines import field_origin
from platecheck.model import Finding, RenderedTarget, Resource
from platecheck.policies.k8s_schema import kustomization_manifest, not_installed, resource_label
from platecheck.provenance import at

ID = "unknown-kind"
SUMMARY = "every rendered kind has a Kubernetes or repository-supplied schema"
SCOPE = "target"
REMEDIATION = ("Add the kind's CustomResourceDefinition to the repository (a chart's crds/), "
               "or its JSON schema to policies/schemas/ as <kind>-<group>-<version>.json, or "
               "fix the apiVersion/kind; a kind the cluster serves of itself (OpenShift's "
               "Route) with no schema at hand may be accepted with unknown-kind's allowKinds "
               "option.")


@dataclass(frozen=True)
class Options(schemas.SchemaOptions):
    allow_kinds: tuple[str, ...] = ()  # apiVersion/kind globs accepted without a schema


def check(rendered: RenderedTarget, options: Options) -> Iterator[Finding]:
    found = schemas.prepared(rendered, options)
    allowed = options.allow_kinds
    findings: list[Finding] = []
    refused: list[PlatecheckError] = []
    for resource in rendered.resources:
        if not resource.kind or not resource.api_version:
            continue  # k8s-schema reports it
        gvk = f"{resource.api_version}/{resource.kind}"
        if matches_any(gvk, allowed):
            continue
        try:
            if found.lookup(resource.api_version, resource.kind) is not None:
                continue
        except CrdRefused as exc:  # the same error as k8s-schema's, said once
            refused.append(not_installed(rendered, resource, exc))
            continue
        message, remedy = _unserved(resource, found.kubernetes_version)
        findings.append(Finding(
            policy=ID, message=message, **at(field_origin(rendered, resource, ())),
            environment=rendered.environment, target=rendered.id,
            resource=None if _encrypted(resource) else resource_label(resource),
            remediation=remedy))
    if refused:
        raise PartlyChecked(findings, refused)
    yield from findings


def _unserved(resource: Resource, version: str) -> tuple[str, str]:
    """The message and remedy of a kind without a schema: a built-in kind in an apiVersion
    ``version`` does not serve (removed, or not yet served) names the ones it serves."""
    if _encrypted(resource):
        return ("a document encrypted with sops (its apiVersion and kind are ENC[...]): "
                "Argo CD applies it as written, and the API server refuses it",
                "Decrypt it as Argo CD renders it (a config management plugin such as ksops "
                "or helm-secrets), or encrypt only its data (sops --encrypted-regex).")
    label = resource_label(resource)
    if kustomization_manifest(resource):
        return (f"{label}: a kustomization file applied as a manifest: Argo CD builds a "
                "kustomization only at a source's own path (a Kustomize source); a directory "
                "source sends it to the API server as it is, which serves no such kind, and "
                "the sync fails",
                "Leave the file out of the directory source (directory.exclude: "
                "'**/kustomization.yaml', or its path), or point a Kustomize source at its "
                "directory.")
    if not schemas.plausible(resource.api_version, resource.kind):
        return (f"{label}: kind {json.dumps(resource.kind)} ({json.dumps(resource.api_version)})"
                " is no kind and apiVersion the API server serves (a kind is letters, digits "
                "and '-', a group a DNS name, a version a DNS label), so it refuses it",
                "Fix the apiVersion/kind the template renders.")
    served = schemas.served_versions(version, resource.api_version, resource.kind)
    if served:
        return (f"{label}: Kubernetes {version} does not serve kind {resource.kind} in "
                f"{resource.api_version}, so the API server refuses it; it serves "
                f"{', '.join(served)}",
                f"Change apiVersion to {served[-1]}, with the fields that version changed "
                f"(kubectl explain {resource.kind.lower()} --api-version={served[-1]}).")
    removed = _REMOVED.get((resource.api_version.rpartition("/")[0], resource.kind))
    if removed is not None and _before(removed, version) is False:
        return (f"{label}: Kubernetes removed kind {resource.kind} ({resource.api_version}) in "
                f"{removed}, with nothing in its place: the API server of {version} refuses "
                "it", f"Remove the {resource.kind}, or render it only for clusters older than "
                f"{removed} (a condition on .Capabilities.KubeVersion).")
    expected = schemas.schema_file_name(resource.kind, resource.api_version)
    return (f"{label}: kind {resource.kind} ({resource.api_version}) is not "
            f"schema-validated: no Kubernetes {version} schema and no {expected}", REMEDIATION)


_SOPS = re.compile(r"ENC\[[A-Z0-9_]+,")  # a value sops encrypted: ENC[AES256_GCM,data:...]


def _encrypted(resource: Resource) -> bool:
    """Whether sops encrypted the document's apiVersion or kind (a whole file encrypted)."""
    return bool(_SOPS.match(resource.api_version) or _SOPS.match(resource.kind))


# built-in kinds Kubernetes removed without a successor, by API group, and the release that
# removed them (https://kubernetes.io/docs/reference/using-api/deprecation-guide/)
_REMOVED = {("policy", "PodSecurityPolicy"): "1.25",
            ("settings.k8s.io", "PodPreset"): "1.20",
            ("auditregistration.k8s.io", "AuditSink"): "1.19"}


def _before(release: str, version: str) -> bool | None:
    """Whether Kubernetes ``version`` (``1.31.0``) is older than ``release`` (``1.25``);
    None when it does not read as one."""
    try:
        wanted = tuple(int(part) for part in release.split("."))
        given = tuple(int(part) for part in version.lstrip("v").split(".")[:2])
    except ValueError:
        return None
    return given < wanted


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("allowed-kind", "kind-without-schema")
