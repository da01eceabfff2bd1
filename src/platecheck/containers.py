"""The containers of rendered workloads: every pod spec, wherever the kind keeps it.

Pod keeps it under ``spec``; Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and any other
kind with a pod template under ``spec.template``; CronJob (and look-alikes) under
``spec.jobTemplate.spec.template``; KEDA's ScaledJob (and look-alikes) under
``spec.jobTargetRef.template``; PodTemplate under ``template``. Argo Rollouts' Experiment
keeps one in each of its ``spec.templates`` (a ReplicaSet each), its analyses one in each job
metric, and Argo Workflows and Tekton kinds their own containers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.imageref import ImageRefError, kustomize_split, parse_image
from platecheck.model import Finding, Origin, RenderedTarget, Resource, SourceType
from platecheck.provenance import find_value, locate, resource_finding, shown_refs
from platecheck.yamlio import load_first_data

# Section of a pod spec -> how a message names a container from it.
SECTIONS: dict[str, str] = {
    "containers": "container",
    "initContainers": "init container",
    "ephemeralContainers": "ephemeral container",
    # an Argo Workflows template's
    "container": "container",
    "script": "script",
    "sidecars": "sidecar",
    # a Tekton task's
    "steps": "step",
}

# The sections of a pod spec
POD_SECTIONS = ("containers", "initContainers", "ephemeralContainers")
# The pod spec section an Argo Workflows template's container runs as
_ROLES = {"container": "containers", "script": "containers", "sidecars": "containers"}


@dataclass(frozen=True)
class Container:
    resource: Resource
    section: str  # "containers" | "initContainers" | "ephemeralContainers"
    index: int  # position within its section (an Argo Workflows template's own
    # container or script: the template's position)
    spec: Mapping[str, Any]
    # the Argo Workflows template holding it, or None; also marks a container whose strings
    # may hold ``{{...}}`` placeholders its controller fills in at run time (Argo Rollouts'
    # analysis arguments as well: ``template`` is "" there)
    template: str | None = None
    # the list key of the entry ``template`` names (``templates``, a pipeline's ``tasks`` or
    # ``finally``); "" when the container's lists are the document's own
    holder: str = ""
    # the fields its template's defaults gave it (Argo Workflows' ``templateDefaults``,
    # Tekton's ``stepTemplate``): written there, not in its own entry
    defaulted: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        if self.section in _OWN:
            return str(self.template)
        name = self.spec.get("name")
        return str(name) if name is not None else f"#{self.index}"

    @property
    def label(self) -> str:
        """How messages name it: ``container "nginx" in Deployment/plate-web``."""
        return self.label_in(self.resource.ref)

    def label_in(self, shown: str) -> str:
        """``label`` with the resource named as ``shown`` (``provenance.shown_refs``)."""
        what = SECTIONS[self.section]
        if self.section in _OWN:
            return f'{what} of template "{self.template}" in {shown}'
        if self.template:
            holder = "task" if self.role == "steps" else "template"
            return f'{what} "{self.name}" of {holder} "{self.template}" in {shown}'
        return f'{what} "{self.name}" in {shown}'

    @property
    def ref(self) -> str:
        """The ``Finding.resource`` value, e.g. ``Deployment/plate-web[nginx]``."""
        if self.template and self.section not in _OWN:
            return f"{self.resource.ref}[{self.template}/{self.name}]"
        return f"{self.resource.ref}[{self.name}]"

    @property
    def role(self) -> str:
        """The pod spec section it runs in: ``containers``, ``initContainers`` or
        ``ephemeralContainers``; ``steps`` for a Tekton task's steps and sidecars (Tekton
        sizes its pods' requests from the steps' itself)."""
        if self.resource.api_version.startswith("tekton.dev/"):
            return "steps"
        return _ROLES.get(self.section, self.section)

    def placeholder(self, value: Any) -> bool:
        """Whether ``value`` is filled in at run time by the controller running the container
        (``{{inputs.parameters.image}}``, ``{{args.tag}}``, Tekton's ``$(params.image)``): no
        value to check here."""
        return self.template is not None and isinstance(value, str) and (
            "{{" in value or "$(" in value)

    @property
    def image(self) -> Any:
        return self.spec.get("image")


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def pod_spec(resource: Resource) -> Mapping[str, Any] | None:
    """The pod spec of a workload document, or None when it has none."""
    doc = resource.doc
    spec = _mapping(doc.get("spec"))
    if resource.kind == "Pod":
        return spec
    if resource.kind == "PodTemplate":
        return _mapping((_mapping(doc.get("template")) or {}).get("spec"))
    if spec is None:
        return None
    template = _mapping(spec.get("template"))
    job_template = _mapping(spec.get("jobTemplate"))
    if template is None and job_template is not None:
        template = _mapping((_mapping(job_template.get("spec")) or {}).get("template"))
    job_target = _mapping(spec.get("jobTargetRef"))  # a Job's spec (KEDA's ScaledJob)
    if template is None and job_target is not None:
        template = _mapping(job_target.get("template"))
    return _pod_spec_of(template)


def _pod_spec_of(template: Any) -> Mapping[str, Any] | None:
    """The ``spec`` of a pod template, when it lists containers."""
    spec = _mapping((_mapping(template) or {}).get("spec"))
    return spec if spec is not None and isinstance(spec.get("containers"), list) else None


# An Argo Workflows template's own container, named by the template
_OWN = ("container", "script")
# Argo Rollouts' analysis kinds: each metric's ``job`` provider runs a Job of this pod spec
_ANALYSIS_KINDS = frozenset({"AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun"})
# Argo Workflows' kinds, and where each keeps its workflow spec
_WORKFLOW_KINDS = {"Workflow": (), "WorkflowTemplate": (), "ClusterWorkflowTemplate": (),
                   "CronWorkflow": ("workflowSpec",)}


def _experiment_containers(resource: Resource) -> Iterator[Container]:
    """The containers of each template of an Argo Rollouts Experiment
    (``spec.templates[].template.spec``: the controller runs a ReplicaSet of each)."""
    templates = (_mapping(resource.doc.get("spec")) or {}).get("templates")
    for index, entry in enumerate(templates if isinstance(templates, list) else ()):
        entry = _mapping(entry) or {}
        found = _pod_spec_of(entry.get("template"))
        if found is not None:
            yield from _in_list(resource, found, POD_SECTIONS,
                                str(entry.get("name", f"#{index}")), "templates")


def _in_list(resource: Resource, spec: Mapping[str, Any], sections: Iterable[str],
             template: str | None = None, holder: str = "") -> Iterator[Container]:
    """The containers of ``spec``'s lists named ``sections``."""
    for section in sections:
        entries = spec.get(section)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            if isinstance(entry, Mapping):
                yield Container(resource, section, index, entry, template, holder)


def _analysis_containers(resource: Resource) -> Iterator[Container]:
    """The containers of each of an Argo Rollouts analysis' job metrics
    (``spec.metrics[].provider.job.spec.template.spec``)."""
    metrics = (_mapping(resource.doc.get("spec")) or {}).get("metrics")
    for metric in metrics if isinstance(metrics, list) else ():
        job = (_mapping((_mapping(metric) or {}).get("provider")) or {}).get("job")
        found = _pod_spec_of((_mapping((_mapping(job) or {}).get("spec")) or {}).get("template"))
        if found is not None:
            yield from _in_list(resource, found, POD_SECTIONS, "")


def _workflow_containers(resource: Resource) -> Iterator[Container]:
    """The containers of each template of an Argo Workflows workflow spec, with the spec's
    ``templateDefaults`` under the template's own container or script (the controller merges
    them so, ``mergedTemplateDefaultsInto``: the template's fields win, only its own type's
    defaults apply), and the spec's then the template's ``podSpecPatch`` over each."""
    spec = _mapping(resource.doc.get("spec")) or {}
    for key in _WORKFLOW_KINDS[resource.kind]:
        spec = _mapping(spec.get(key)) or {}
    defaults = _mapping(spec.get("templateDefaults")) or {}
    templates = spec.get("templates")
    for index, template in enumerate(templates if isinstance(templates, list) else ()):
        if not isinstance(template, Mapping):
            continue
        name = str(template.get("name", f"#{index}"))
        found = [_with_defaults(Container(resource, section, index, own, name),
                                _mapping(defaults.get(section)) or {})
                 for section in _OWN if (own := _mapping(template.get(section))) is not None]
        group = _mapping(template.get("containerSet")) or {}
        found += _in_list(resource, group, ("containers",), name, "templates")
        found += _in_list(resource, template, ("initContainers", "sidecars"), name,
                          "templates")
        patches = [spec.get("podSpecPatch"), template.get("podSpecPatch")]
        for container in found:
            yield _pod_spec_patched(container, [p for p in patches if p is not None])


# What a pod spec patch that cannot be read sets of a container: not known (``placeholder``)
_UNREAD = {"resources": {kind: dict.fromkeys(("cpu", "memory"), "{{podSpecPatch}}")
                         for kind in ("requests", "limits")}}


def _pod_spec_patched(container: Container, patches: list[Any]) -> Container:
    """``container`` with the entries of its name in each ``podSpecPatch`` (YAML or JSON
    text of a pod spec, applied by the controller as a strategic merge patch, its main
    container named ``main``) merged over it; a patch that cannot be read may set its
    resources: they are set, not known."""
    name = "main" if container.section in _OWN else container.spec.get("name")
    section = "initContainers" if container.section == "initContainers" else "containers"
    spec = container.spec
    for patch in patches:
        try:
            data = load_first_data(patch, container.resource.ref) \
                if isinstance(patch, str) else None
        except PlatecheckError:
            data = None
        read = _mapping(data[0]) if data else None
        if read is None:
            return replace(container, spec=_merged(_UNREAD, spec))
        entries = read.get(section)
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, Mapping) and entry.get("name") == name:
                spec = _merged(spec, entry)
    return replace(container, spec=spec)


def _with_defaults(container: Container, defaults: Mapping[str, Any]) -> Container:
    """``container`` with its template's ``defaults`` under its own fields, and the fields
    only they give named (``Container.defaulted``)."""
    return replace(container, spec=_merged(defaults, container.spec),
                   defaulted=frozenset(defaults.keys() - container.spec.keys()))


def _merged(defaults: Mapping[str, Any], own: Mapping[str, Any]) -> Mapping[str, Any]:
    """``own`` over ``defaults``: mappings merged key by key, anything else ``own``'s."""
    if not defaults:
        return own
    merged = dict(defaults)
    for key, value in own.items():
        under = _mapping(merged.get(key))
        merged[key] = _merged(under, value) if under is not None and isinstance(
            value, Mapping) else value
    return merged


# Tekton's kinds, and where each keeps its task specs: a Task's spec is one; a Pipeline's
# ``tasks`` and ``finally`` entries each embed one as ``taskSpec``
_TEKTON_KINDS = {"Task": ("spec",), "ClusterTask": ("spec",), "TaskRun": ("spec", "taskSpec"),
                 "Pipeline": ("spec",), "PipelineRun": ("spec", "pipelineSpec")}


def _tekton_containers(resource: Resource) -> Iterator[Container]:
    """The steps and sidecars of a Tekton task spec, or of each task a pipeline spec embeds,
    with the task's ``stepTemplate`` under each step (Tekton merges it so,
    ``MergeStepsWithStepTemplate``)."""
    spec: Mapping[str, Any] = resource.doc
    for key in _TEKTON_KINDS[resource.kind]:
        spec = _mapping(spec.get(key)) or {}
    listed = [(key, entries) for key in ("tasks", "finally")
              if isinstance(entries := spec.get(key), list)]
    tasks = [("", "", spec)] if "steps" in spec else [
        (key, str(task.get("name", f"#{index}")), _mapping(task.get("taskSpec")) or {})
        for key, entries in listed for index, task in enumerate(entries)
        if isinstance(task, Mapping)]
    for holder, name, task in tasks:
        defaults = _mapping(task.get("stepTemplate")) or {}
        for container in _in_list(resource, task, ("steps", "sidecars"), name, holder):
            yield _with_defaults(container, defaults) if container.section == "steps" \
                else container


def _containers_of(resource: Resource) -> Iterator[Container]:
    spec = pod_spec(resource)
    if spec is not None:
        yield from _in_list(resource, spec, POD_SECTIONS)
    elif resource.api_version.startswith("tekton.dev/") and resource.kind in _TEKTON_KINDS:
        yield from _tekton_containers(resource)
    elif not resource.api_version.startswith("argoproj.io/"):
        return
    elif resource.kind in _ANALYSIS_KINDS:
        yield from _analysis_containers(resource)
    elif resource.kind == "Experiment":
        yield from _experiment_containers(resource)
    elif resource.kind in _WORKFLOW_KINDS:
        yield from _workflow_containers(resource)


def containers(
    rendered: RenderedTarget, sections: tuple[str, ...] = (*POD_SECTIONS, "steps")
) -> Iterator[Container]:
    """Every container of every workload (and of every job an Argo Rollouts analysis runs,
    every container an Argo Workflows template or a Tekton task runs) in a rendered target,
    in document order; ``sections`` the pod spec sections they run in (``Container.role``)."""
    for resource in rendered.resources:
        for container in _containers_of(resource):
            if container.role in sections:
                yield container


def container_findings(
    policy: str,
    rendered: RenderedTarget,
    problems: Iterable[tuple[Container, str, Origin | None]],
    separator: str = " ",
) -> Iterator[Finding]:
    """One finding per problem and location: containers whose problem comes from the same
    values line (an init container reusing the app's image values, say) share one finding,
    since one edit fixes them all. A location without a line says nothing of that, nor
    does a subchart's declaration (its archive's templates wrote them): each container there
    has a finding of its own."""
    grouped: dict[tuple[str, Origin | None, str | None], list[Container]] = {}
    shown = shown_refs(rendered.resources)
    declarations = set(rendered.subcharts.values())
    for container, problem, origin in problems:
        if origin is not None and origin.line is None \
                and origin.file == container.resource.template_file:
            origin = values_entry(rendered, container) or origin
        alone = container.ref if origin is None or origin.line is None \
            or origin in declarations else None
        grouped.setdefault((problem, origin, alone), []).append(container)
    for (problem, origin, _), group in grouped.items():
        first, others = group[0], group[1:]
        labels = [c.label_in(shown[c.resource.index]) for c in group]
        also = f" (also {', '.join(labels[1:])})" if others else ""
        # a template whose entry for the container cannot be found: say so, never guess
        written = "no file of the build writes" if rendered.target.source_type \
            is SourceType.KUSTOMIZE else "the Jsonnet file does not write" if str(
                first.resource.template_file).endswith("sonnet") else "the template does not write"
        unknown = (f" (line unknown: {written} this container's entry where platecheck can "
                   "find it)"
                   if origin is not None and origin.line is None
                   and origin.file == first.resource.template_file else "")
        finding = resource_finding(policy, rendered, first.ref,
                                   f"{labels[0]}{separator}{problem}{also}{unknown}", origin)
        yield replace(finding, also=tuple(c.ref for c in others)) if others \
            else finding


def values_entry(rendered: RenderedTarget, container: Container) -> Origin | None:
    """The ``name:`` line of the values list entry a template wrote the container from as it
    is (``{{ toYaml .Values.initContainers }}``): the one entry of the merged values with the
    container's name whose every value the container has alike. None when there is not
    exactly one."""
    found = [path for path, entry in _entries(rendered.values.data, ())
             if entry.get("name") == container.name
             and all(container.spec.get(key) == value for key, value in entry.items())]
    if len(found) != 1:
        return None
    origin = rendered.values.origins.get((*found[0], "name"))
    return origin if origin is not None and origin.line is not None else None


def _entries(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...],
                                                                Mapping[str, Any]]]:
    """Every mapping in a list of ``value``, with its key path."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _entries(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                yield (*path, index), item
            yield from _entries(item, (*path, index))


def image_origin(rendered: RenderedTarget, container: Container) -> Origin | None:
    """Where a container's image tag was chosen: the value holding the whole image string,
    else the values key holding the tag (an empty one when the image has no tag: charts
    often leave the tag out when its value is empty), else the template's ``image:`` line."""
    image = container.image
    # (the resource's name too: a list entry of one object per item, whose containers share
    # a name, names the object)
    values, exact, context = _image_hints(image, [container.name, container.resource.name])
    return locate(
        rendered,
        values,
        exact=exact,
        keys=("tag", "image", "imageTag", "version"),
        context=context,
        fields=("image",),
        # an image a kustomization's ``images`` retags: its tag is that entry's, whatever
        # its file writes (the same tag, set again above another)
        written=None if isinstance(image, str) and _retagged(rendered, image) else "image",
        **in_template(container, "image"),
    )


# The image fields of operators' custom resources, by API group and kind: what the operator
# runs its pods from (CloudNativePG's Cluster, Strimzi's Kafka, the Prometheus operator's
# Prometheus, ...); a kind that keeps a pod template is the workloads'.
OPERATOR_IMAGES: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("postgresql.cnpg.io", "Cluster"): (("spec", "imageName"),),
    **{("kafka.strimzi.io", kind): (("spec", "image"),) for kind in (
        "KafkaConnect", "KafkaMirrorMaker2", "KafkaMirrorMaker", "KafkaBridge")},
    ("kafka.strimzi.io", "Kafka"): (
        ("spec", "kafka", "image"), ("spec", "zookeeper", "image"),
        ("spec", "entityOperator", "topicOperator", "image"),
        ("spec", "entityOperator", "userOperator", "image"),
        ("spec", "entityOperator", "tlsSidecar", "image"), ("spec", "cruiseControl", "image"),
        ("spec", "kafkaExporter", "image")),
    **{("monitoring.coreos.com", kind): (("spec", "image"),) for kind in (
        "Alertmanager", "ThanosRuler", "PrometheusAgent")},
    ("monitoring.coreos.com", "Prometheus"): (("spec", "image"), ("spec", "thanos", "image")),
    **{(f"{group}.k8s.elastic.co", kind): (("spec", "image"),) for group, kind in (
        ("elasticsearch", "Elasticsearch"), ("kibana", "Kibana"), ("apm", "ApmServer"),
        ("beat", "Beat"), ("agent", "Agent"), ("logstash", "Logstash"),
        ("enterprisesearch", "EnterpriseSearch"), ("maps", "ElasticMapsServer"))},
    ("rabbitmq.com", "RabbitmqCluster"): (("spec", "image"),),
    **{("redis.redis.opstreelabs.in", kind): (("spec", "kubernetesConfig", "image"),)
       for kind in ("Redis", "RedisCluster", "RedisReplication", "RedisSentinel")},
    ("databases.spotahome.com", "RedisFailover"): (
        ("spec", "redis", "image"), ("spec", "sentinel", "image")),
    ("pxc.percona.com", "PerconaXtraDBCluster"): (
        ("spec", "pxc", "image"), ("spec", "haproxy", "image"), ("spec", "proxysql", "image")),
    ("psmdb.percona.com", "PerconaServerMongoDB"): (("spec", "image"),),
    ("minio.min.io", "Tenant"): (("spec", "image"),),
    ("k8s.keycloak.org", "Keycloak"): (("spec", "image"),),
    ("dragonflydb.io", "Dragonfly"): (("spec", "image"),),
}


def operator_images(resource: Resource) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each image field of an operator's custom resource (``OPERATOR_IMAGES``) it sets, with
    its key path: a field left out is the operator's own default, pinned by its release."""
    fields = OPERATOR_IMAGES.get((resource.api_version.rpartition("/")[0], resource.kind))
    for path in fields or ():
        value: Any = resource.doc
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is not None:
            yield path, value


def operator_image_origin(rendered: RenderedTarget, resource: Resource,
                          path: tuple[str, ...], image: Any) -> Origin | None:
    """Where an operator's image field (``operator_images``) was chosen: its line in the
    resource's template when that writes it as it is (no template action), else the values
    that gave it, as for a container's (``image_origin``), else that line."""
    from platecheck.manifest_lines import field_origin

    written = field_origin(rendered, resource, path)
    if written is not None and written.line is not None \
            and written.file == resource.template_file:
        lines = rendered.templates.get(written.file, "").splitlines()
        if written.line <= len(lines) and "{{" not in lines[written.line - 1]:
            return written
    if rendered.target.source_type is not SourceType.HELM:
        return written  # (no values gave it: its file's own line, another's of the same text
        # is no answer)
    values, exact, context = _image_hints(image, [resource.name, *path[1:-1]])
    return find_value(rendered, values, exact=exact,
                      keys=(path[-1], "tag", "image", "imageTag", "version"),
                      context=context) or written


def _image_hints(image: Any, context: list[str]) -> tuple[list[object], list[object],
                                                          list[str]]:
    """``locate``'s values, exact values and context words for an image string: the whole
    string, and the tag a values key may hold, with the image's repository names."""
    exact: list[object] = []
    values: list[object] = []
    context = list(context)
    if isinstance(image, str):
        try:
            ref = parse_image(image)
        except ImageRefError:
            exact.append(image)
            name, colon, tag = image.rpartition(":")
            if colon and "/" not in tag:  # (the tag a values key may have written)
                values.append(tag)
                context += [name, name.rsplit("/", 1)[-1]]
        else:
            context += [ref.repository, ref.path, ref.path.rsplit("/", 1)[-1]]
            if ref.tag is None and ref.digest is None:
                values += ["", image]  # the whole string is just the repository here
            else:
                exact.append(image)
                if ref.tag is not None:
                    values.append(ref.tag)
    return values, exact, context


def _retagged(rendered: RenderedTarget, image: str) -> bool:
    """Whether a Kustomize build's ``images`` (``rendered.values``, by image name) set the
    tag or digest of ``image``."""
    images = rendered.values.data.get("images") \
        if rendered.target.source_type is SourceType.KUSTOMIZE else None
    if not isinstance(images, Mapping):
        return False
    # the name kustomize matches an entry's against; an entry retagged the image only where
    # the tag (or digest) it sets is the image's: a patch applied after it (an overlay's,
    # over a base's entry) may have written another, or none
    name, tag, digest = kustomize_split(image)
    return any(isinstance(entry, Mapping) and entry.get("name") == name
               and (entry.get("newTag") is not None and str(entry["newTag"]) == tag
                    or bool(entry.get("digest")) and str(entry["digest"]) == digest)
               for entry in images.values())


def in_template(container: Container, field: str | None = None) -> dict[str, Any]:
    """``locate`` keyword arguments that find a container's entry in its template:
    ``locate(..., fields=("resources",), **in_template(container))``; an Argo Workflows
    template's own container is found in its entry of ``templates``. A ``field`` its
    template's defaults gave it is found in the document, where the defaults write it."""
    if field is not None and field in container.defaulted:
        return {"resource": container.resource}
    own = container.section in _OWN
    key = "templates" if own else container.section
    if container.holder and not own:  # its list in its template's (task's) entry
        key = f"{container.holder}[{container.template}].{key}"
    return {
        "resource": container.resource,
        "anchor": container.name,
        "anchor_in": (key, container.index),
    }


__all__ = [
    "POD_SECTIONS",
    "SECTIONS",
    "Container",
    "container_findings",
    "containers",
    "image_origin",
    "in_template",
    "operator_image_origin",
    "operator_images",
    "pod_spec",
]
