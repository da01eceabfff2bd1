"""Every rendered resource is valid against the Kubernetes API schema of the configured version.

What:
    Validates each resource a target renders against the strict OpenAPI schemas of the
    configured Kubernetes version (bundled with kubernetes-validate): unknown fields (a
    misspelled ``imagePullPolicyy``), wrong types (``replicas: "2"``), a built-in kind's integer
    too large for its ``int32``/``int64`` field (``replicas: 3000000000``, which the API server
    cannot decode), a built-in kind's bytes field that is not base64 as Go decodes it (the
    standard alphabet, padded, line breaks skipped: a Secret's ``data``, a ConfigMap's
    ``binaryData``, a ``caBundle``; plain text where ``stringData`` was meant), missing required
    fields and values outside an enum the schema declares are
    findings (custom resources' schemas declare enums; the bundled schemas of the built-in kinds
    declare none, so a built-in field's misspelled value such as a Service's ``type:
    loadbalancer`` is not found); a field the schema lists as required that the API server never
    required is not (a StatefulSet's ``serviceName``, optional since Kubernetes 1.33), nor is
    one left out of a resource Argo CD applies as a partial object (sync options
    ``ServerSideApply=true`` and ``Validate=false``, each in the Application's syncOptions or
    the resource's ``argocd.argoproj.io/sync-options``, matched as written, and no
    ``ServerSideApply=false`` in the annotation: the API server merges it into the object the
    cluster has). ``metadata.name`` must be set, and what the API server's validation of
    metadata refuses is a finding: a name its kind's rule refuses (a DNS-1123 subdomain for a
    ConfigMap, Secret, Deployment, Job, Ingress and most core and apps kinds; a DNS-1035 label
    for a Service; a DNS-1123 label for a Namespace; other kinds' names, custom resources'
    included, are not checked), a label key or an annotation key that is not a qualified name
    (``[prefix/]name``, the name at most 63 characters; an annotation key in any case), a
    label value over 63 characters or with other characters than letters, digits, ``-``,
    ``_`` and ``.``; so are a workload's pod template's labels and annotations (a
    Deployment's, StatefulSet's, DaemonSet's, ReplicaSet's, ReplicationController's, Job's,
    CronJob's and PodTemplate's ``spec.template.metadata``, as ``ValidatePodTemplateSpec``
    checks them). So is what the API server's validation of these kinds refuses beyond their
    schemas: a ConfigMap's or Secret's data key of other characters than letters, digits,
    ``-``, ``_`` and ``.`` (``config/app.yaml``), or ``.``, ``..`` or starting with ``..``, a
    ConfigMap key in both ``data`` and ``binaryData``, more than 1 MiB of data in all (a
    Secret's ``data`` decoded, its ``stringData`` over it); an Ingress host, of a rule or a
    tls entry, that is no lowercase DNS name (``*.`` only as a wildcard's start), or a rule's
    host that is an IP address. Custom resources are validated against, in this
    order: the JSON schemas of ``schemaDirs`` (``<kind>-<group>-<version>.json``, lowercase,
    e.g. ``application-argoproj.io-v1alpha1.json`` in ``policies/schemas/``, or kubeconform's
    catalog layout ``<group>/<kind>_<version>.json``); the CustomResourceDefinitions in the
    repository (every chart's ``crds/`` directory, vendored charts included, and every CRD a
    target renders; ``openAPIV3Schema`` with ``x-kubernetes-preserve-unknown-fields`` and
    ``x-kubernetes-int-or-string`` honoured); the schemas shipped with platecheck (Argo CD
    Application, cert-manager Certificate/ClusterIssuer/Issuer, MetalLB
    IPAddressPool/L2Advertisement).
    In a custom resource, as on the API server, a ``nullable`` null fails an ``enum``, the
    string formats kube-openapi checks are checked where platecheck can decide them exactly
    (``date-time``, ``date``, ``duration``, ``byte``, ``uuid``...; not ``uri``, ``email``,
    ``hostname``, ``ipv4``...), an ``x-kubernetes-list-type`` set or map holds no item or key
    twice, and an ``x-kubernetes-embedded-resource`` object needs an apiVersion and a kind.
    The fix line of a finding names the schema's source. A kind with no schema at all is the
    ``unknown-kind`` policy's finding, not a pass. A ``pattern`` in a CRD's schema or a
    ``schemaDirs`` file means what Go's ``regexp`` makes of it, as on the API server: a flag
    group after the start (``^(?i)(abort|warn)?$``) and ``\\z`` are read as Go reads them, and a
    pattern Python's ``re`` could backtrack over for exponential time is matched with RE2, in
    linear time, as Go matches it. Beyond the schemas, what the API server's validation refuses
    of a field every pod spec lists: ephemeral containers in the pod template of a built-in
    workload (``ValidatePodTemplateSpec``) or in a Pod it creates (``ValidatePodCreate``); they
    are only added to a running pod, through its ``ephemeralcontainers`` subresource. An
    apiextensions.k8s.io/v1 CustomResourceDefinition whose schema is not structural is refused
    by the API server: a field or list item without ``type`` (unless
    ``x-kubernetes-int-or-string`` or ``x-kubernetes-preserve-unknown-fields``), an array
    without ``items``, ``additionalProperties`` at the root or beside ``properties`` (other
    than ``true``), a root type other than object, ``kind`` or ``apiVersion`` not a string or
    ``metadata`` not an object at the root or in an ``x-kubernetes-embedded-resource``, which
    must be an object with ``properties`` unless it has
    ``x-kubernetes-preserve-unknown-fields``, and the rules of ``x-kubernetes-int-or-string``,
    each at its key (not checked: the rules inside ``allOf``/``anyOf``/``oneOf``/``not``, what
    the root's ``metadata`` may specify besides its type, and defaults). Its kind is then not
    installed, nor is that of a CRD whose schema is no valid schema: each resource of it is a
    could-not-check error, and the rest of the target is checked.

Why:
    The API server rejects an invalid manifest only when Argo CD syncs it, after merge; an
    unknown field is worse: ``kubectl apply`` drops it silently, so the setting the author
    meant (a pull policy, a probe) never takes effect.

Options:
    kubernetesVersion: the Kubernetes version to validate against, e.g. "1.31.0"; the same
        minor release is used, else the newest bundled older one (an error when none is
        bundled). Default: the top-level ``kubernetesVersion`` (the clusters'), else 1.31.0;
        an Application's ``helm.kubeVersion`` is only what helm templates for.
    schemaDirs: local directories of CRD JSON schemas, relative to the repository root
        (default ["policies/schemas"]); searched in order before the repository's CRDs and
        the bundled schemas. A URL is a configuration error (no network while linting), and
        so is a directory outside the repository that the repository's own configuration
        names (one given with ``--config`` outside it may name any).
    repositoryCrds: use the CustomResourceDefinitions found in the repository (default true).
    bundledSchemas: also use the CRD schemas shipped with platecheck (default true).

Passes:
    A Deployment whose fields all exist in apps/v1; ``targetPort: http`` and
    ``targetPort: 8080`` alike (int-or-string); an Application matching its schema.

Fails:
    ``imagePullPolicyy: Always`` ->
    ``Deployment/web: spec.template.spec.containers[0].imagePullPolicyy: unknown field``;
    ``replicas: "2"`` -> ``spec.replicas: expected integer, got string "2"``; a resource
    without ``metadata.name``; a ConfigMap named ``My_Config``; a label value
    ``2024-01-01T00:00:00Z``; ``ephemeralContainers`` in a Deployment's pod template; a
    ConfigMap key ``conf/app.yaml``; an Ingress host ``App.example.com``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from platecheck import crd_structural, kindrules, objectmeta, schema_problems, schemas
from platecheck.errors import CrdRefused, PartlyChecked, PlatecheckError
from platecheck.manifest_lines import field_origin
from platecheck.model import Finding, RenderedTarget, Resource, TargetSchemas
from platecheck.provenance import at, shown_refs

ID = "k8s-schema"
SUMMARY = "rendered resources are valid against the Kubernetes (or CRD) schema"
SCOPE = "target"
REMEDIATION = ("Make the manifest match the API schema: fix the field's spelling, type or "
               "value (kubectl explain <kind>.<field> shows the API).")
Options = schemas.SchemaOptions


def resource_label(resource: Resource) -> str:
    return f"{resource.kind or '<no kind>'}/{resource.name or '<unnamed>'}"


def check(rendered: RenderedTarget, options: Options) -> Iterator[Finding]:
    found = schemas.prepared(rendered, options)
    findings: list[Finding] = []
    refused: list[PlatecheckError] = []
    shown = shown_refs(rendered.resources)
    for resource in rendered.resources:
        try:
            label, placed = resource_label(resource), shown[resource.index]
            # one kind and name in two namespaces: the message says which
            findings.extend(replace(f, message=placed + f.message[len(label):])
                            if placed != resource.ref else f
                            for f in _check_resource(rendered, resource, found))
        except CrdRefused as exc:
            refused.append(not_installed(rendered, resource, exc))
    if refused:
        raise PartlyChecked(findings, refused)
    yield from findings


def not_installed(rendered: RenderedTarget, resource: Resource,
                  refused: CrdRefused) -> CrdRefused:
    """A resource whose CustomResourceDefinition the API server refuses: a could-not-check
    error at the resource, the rest of its target checked."""
    return CrdRefused(f"{resource_label(resource)}: {refused.message}",
                      remedy=refused.remedy, **at(field_origin(rendered, resource, ())))


def kustomization_manifest(resource: Resource) -> bool:
    """Whether ``resource`` is a kustomization file (a Kustomization or Component of
    ``kustomize.config.k8s.io``) a source sent on as a manifest: a directory source below
    its path, which Argo CD does not build."""
    return resource.api_version.startswith("kustomize.config.k8s.io/") \
        and resource.kind in ("Kustomization", "Component")


def _finding(rendered: RenderedTarget, resource: Resource, path: tuple[str | int, ...],
             message: str, remediation: str = REMEDIATION) -> Finding:
    where = field_origin(rendered, resource, path)
    return Finding(policy=ID, message=f"{resource_label(resource)}: {message}", **at(where),
                   environment=rendered.environment, target=rendered.id,
                   resource=resource_label(resource), remediation=remediation)


def _check_resource(rendered: RenderedTarget, resource: Resource,
                    target_schemas: TargetSchemas) -> Iterator[Finding]:
    doc = resource.doc
    if not resource.kind or not resource.api_version:
        missing = "kind" if not resource.kind else "apiVersion"
        yield _finding(rendered, resource, (), f"{missing} is missing",
                       f"Set {missing} on every rendered document.")
        return
    if kustomization_manifest(resource):
        return  # no object at all: unknown-kind says what it is
    metadata = doc.get("metadata")
    # a name of another type (``name: no``, a boolean) is there: the schema says what is wrong
    named = isinstance(metadata, Mapping) and (metadata.get("name") not in (None, "") or bool(
        metadata.get("generateName")))
    if not named:
        yield _finding(rendered, resource, ("metadata",), "metadata.name is missing",
                       "Give the resource a metadata.name (usually from the chart's "
                       "fullname helper).")
    schema = target_schemas.lookup(resource.api_version, resource.kind)
    if schema is None:
        return  # reported by unknown-kind
    found = []
    partial = _partial(rendered, resource)
    for problem in schema_problems.problems(schema.validator, doc, schema.identity):
        if partial and problem.message.startswith("required field "):
            continue  # merged into the object on the cluster: what it leaves out is there
        remediation = REMEDIATION if schema.source is None else (
            f"Make the manifest match the schema from {schema.source}: fix the field's "
            "spelling, type or value.")
        if problem.message == "unknown field":
            parent = schema_problems.format_path(problem.path[:-1]) or "<top level>"
            remediation = (f"Remove the field or fix its spelling; the fields {parent} accepts "
                           f"are listed by: kubectl explain "
                           f"{_explain_path(resource.kind, problem.path[:-1])}")
            if schema.source is not None:
                remediation += f" (schema: {schema.source})"
        found.append(_finding(rendered, resource, problem.path, problem.text, remediation))
    group = resource.api_version.rpartition("/")[0]
    meta = list(objectmeta.problems(group, resource.kind, schema_problems.as_json(metadata))
                if isinstance(metadata, Mapping) else ())
    template = objectmeta.template_metadata(group, resource.kind, doc)
    if template is not None:
        meta += objectmeta.labels_and_annotations(schema_problems.as_json(template[1]),
                                                  template[0])
    for path, message in meta:
        found.append(_finding(rendered, resource, path,
                              f"{schema_problems.format_path(path)}: {message}",
                              _METADATA_REMEDIATION))
    for path, message in kindrules.problems(group, resource.kind, schema_problems.as_json(doc)):
        found.append(_finding(rendered, resource, path,
                              f"{schema_problems.format_path(path) or '<top level>'}: "
                              f"{message}", _KIND_REMEDIATION))
    for path, message in crd_structural.crd_problems(doc):
        found.append(_finding(rendered, resource, _present(doc, path),
                              f"{schema_problems.format_path(path)}: {message}",
                              _STRUCTURAL_REMEDIATION))
    forbidden = _ephemeral_containers(resource)
    if forbidden is not None:
        found.append(_finding(rendered, resource, *forbidden, _EPHEMERAL_REMEDIATION))
    yield from sorted(found, key=lambda f: (f.file or "", f.line or 0, f.message))


# Where the built-in kinds keep their pod template; each is validated by ValidatePodTemplateSpec.
_POD_TEMPLATES: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "PodTemplate"): ("template",),
    ("", "ReplicationController"): ("spec", "template"),
    **{("apps", kind): ("spec", "template")
       for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")},
    ("batch", "Job"): ("spec", "template"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template"),
}
_METADATA_REMEDIATION = ("Change the name, label or annotation to what the API server "
                         "accepts (https://kubernetes.io/docs/concepts/overview/"
                         "working-with-objects/names/).")
_KIND_REMEDIATION = ("Change the value to what the API server accepts: a ConfigMap's or "
                     "Secret's keys of letters, digits, '-', '_' and '.', at most 1 MiB of "
                     "data (a larger file goes in a volume or an image); an Ingress host a "
                     "lowercase DNS name.")
_STRUCTURAL_REMEDIATION = ("Make the schema structural, as apiextensions.k8s.io/v1 requires "
                           "(https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/"
                           "custom-resource-definitions/#specifying-a-structural-schema): a "
                           "type for every field and list item, either properties or "
                           "additionalProperties.")
_EPHEMERAL_REMEDIATION = ("Remove ephemeralContainers: they are added to a running pod through "
                          "its ephemeralcontainers subresource (kubectl debug), not written in "
                          "a manifest.")


def _ephemeral_containers(resource: Resource) -> tuple[tuple[str | int, ...], str] | None:
    """Ephemeral containers the API server refuses (kubernetes
    pkg/apis/core/validation/validation.go): in any pod template ("ephemeral containers not
    allowed in pod template", ValidatePodTemplateSpec) and in a Pod it creates ("cannot be set
    on create", ValidatePodCreate)."""
    group = resource.api_version.rpartition("/")[0]
    if resource.kind == "Pod" and group == "":
        spec_path: tuple[str, ...] = ("spec",)
        message = "cannot be set on create; the API server refuses them"
    elif (group, resource.kind) in _POD_TEMPLATES:
        spec_path = (*_POD_TEMPLATES[group, resource.kind], "spec")
        message = "ephemeral containers are not allowed in a pod template; the API server " \
                  "refuses them"
    else:
        return None
    spec: Any = resource.doc
    for key in spec_path:
        spec = spec.get(key) if isinstance(spec, Mapping) else None
    entries = spec.get("ephemeralContainers") if isinstance(spec, Mapping) else None
    if not isinstance(entries, list) or not entries:
        return None
    path = (*spec_path, "ephemeralContainers")
    return path, f"{schema_problems.format_path(path)}: {message}"


SYNC_OPTIONS = "argocd.argoproj.io/sync-options"


def _partial(rendered: RenderedTarget, resource: Resource) -> bool:
    """Whether Argo CD applies ``resource`` as a partial object: server-side, unvalidated
    (gitops-engine's ``shouldUseServerSideApply`` and its ``validate``): ``ServerSideApply=true``
    in the Application's ``syncOptions`` or the resource's ``argocd.argoproj.io/sync-options``
    annotation, and not ``ServerSideApply=false`` in the annotation; ``Validate=false`` in
    either. Options are matched as written (a list item as it is, the annotation's parts
    trimmed), as Argo CD matches them: ``Validate=False`` is no option."""
    app = rendered.target.application
    spec = app.raw.get("spec") if app is not None else None
    policy = spec.get("syncPolicy") if isinstance(spec, Mapping) else None
    listed = policy.get("syncOptions") if isinstance(policy, Mapping) else None
    application = set(listed) if isinstance(listed, list) else set()
    metadata = resource.doc.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    annotated = annotations.get(SYNC_OPTIONS) if isinstance(annotations, Mapping) else None
    own = {part.strip() for part in annotated.split(",")} if isinstance(annotated, str) \
        else set()
    server_side = "ServerSideApply=false" not in own and (
        "ServerSideApply=true" in application or "ServerSideApply=true" in own)
    return server_side and ("Validate=false" in application or "Validate=false" in own)


def _present(doc: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The longest start of ``path`` that ``doc`` has (a missing key's line is its parent's)."""
    for length, key in enumerate(path):
        if isinstance(doc, Mapping) and key in doc:
            doc = doc[key]
        elif isinstance(doc, list) and isinstance(key, int) and key < len(doc):
            doc = doc[key]
        else:
            return path[:length]
    return path


def _explain_path(kind: str, path: tuple[str | int, ...]) -> str:
    return ".".join([kind.lower(), *(part for part in path if isinstance(part, str))])


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("ephemeral-container-in-pod-template", "misspelled-field", "valid-config-map")
