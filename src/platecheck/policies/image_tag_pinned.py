"""Production images name an exact version.

What:
    In production targets, every container, init container and ephemeral container of every
    workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, any kind with
    a pod template, the job metrics of Argo Rollouts' AnalysisTemplate,
    ClusterAnalysisTemplate and AnalysisRun, and the container, script, container set,
    init containers and sidecars of each template of Argo Workflows' Workflow,
    WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow, and the steps and sidecars
    of Tekton's Task, ClusterTask, TaskRun and the tasks a Pipeline or PipelineRun embeds,
    under their ``stepTemplate``), and every image field an operator's custom resource sets
    (CloudNativePG's Cluster ``spec.imageName``; Strimzi's Kafka ``spec.kafka.image`` and
    its other components', KafkaConnect, KafkaMirrorMaker2 and KafkaBridge ``spec.image``;
    the Prometheus operator's Prometheus, PrometheusAgent, Alertmanager and ThanosRuler
    ``spec.image``, and Prometheus' ``spec.thanos.image``; Elastic's ECK kinds, RabbitMQ's
    RabbitmqCluster, Percona's PerconaServerMongoDB, MinIO's Tenant, Keycloak's and
    Dragonfly's ``spec.image``; the Redis operators' and PerconaXtraDBCluster's component
    images; one left out or empty is the operator's default) has an image with an explicit
    tag that is not floating, or a digest (``@sha256:`` with 64 hex digits, or ``@sha512:``
    with 128). Floating tags are ``latest``, the empty or missing tag, the tags in
    ``floatingTags`` (case-insensitive) and tags matching ``floatingTagPattern``. ``latest``
    is floating in any letter case, and so is a tag of which it is a word between ``-``,
    ``_`` and ``.`` (``prod-latest``, ``1.2-latest``), but not one with a build's date,
    number or commit beside it (``latest-20260420``). An image of an Argo Rollouts, Argo
    Workflows or Tekton template holding an argument its controller fills in at run time
    (``{{inputs.parameters.image}}``, ``{{args.tag}}``, ``$(params.image)``) is not checked.

Why:
    A floating tag deploys whatever the registry holds at pull time: two nodes can run two
    different builds, a rollback brings back "the latest", and the Git history no longer says
    what runs in production.

Options:
    productionOnly (bool, default true): check production targets only; false checks every
        environment.
    floatingTags (list of strings, default latest, stable, edge, nightly, main, master,
        develop, dev, head, canary): tags treated as floating besides ``latest`` (in any case)
        and the empty tag.
    floatingTagPattern (regex string, default ""): tags matching it (``re.search``) are
        floating too, e.g. ``^v?[0-9]+(\\.[0-9]+)?$`` for major/minor-only tags.
    requireDigest (bool, default false): a tag is not enough; every image needs a digest.

Passes:
    image: harbor.example.com/plate/web:1.4.2
    image: nginx@sha256:<64 hex digits>
    image: nginx:latest@sha256:<64 hex digits>   (the digest decides what is pulled)

Fails:
    image: nginx                (no tag: Kubernetes pulls latest)
    imageName: ghcr.io/cloudnative-pg/postgresql:latest   (a CloudNativePG Cluster)
    image: nginx:latest
    image: "nginx:"             (empty tag from an empty ``image.tag`` value)
    image: nginx:stable         (in floatingTags)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from platecheck.containers import (
    container_findings,
    containers,
    image_origin,
    operator_image_origin,
    operator_images,
)
from platecheck.imageref import FLOATING_TAGS, ImageRefError, is_floating, parse_image
from platecheck.model import Finding, RenderedTarget
from platecheck.provenance import resource_finding, shown_refs

ID = "image-tag-pinned"
SUMMARY = "production images have an explicit, non-floating tag or a digest"
SCOPE = "target"
REMEDIATION = "set the image tag to an exact version (e.g. 1.4.2) or pin it with @sha256:<digest>"


@dataclass(frozen=True)
class Options:
    production_only: bool = True
    floating_tags: tuple[str, ...] = FLOATING_TAGS
    floating_tag_pattern: re.Pattern[str] | None = None
    require_digest: bool = False


def check(target: RenderedTarget, options: Options) -> Iterator[Finding]:
    if options.production_only and not target.target.production:
        return
    problems = []
    for container in containers(target):
        if container.placeholder(container.image):
            continue  # an Argo template's argument, filled in at run time
        problem = image_problem(container.image, options.floating_tags,
                                options.floating_tag_pattern, options.require_digest)
        if problem is not None:
            problems.append((container, problem, image_origin(target, container)))
    yield from container_findings(ID, target, problems)
    yield from _operator_findings(target, options)


def _operator_findings(target: RenderedTarget, options: Options) -> Iterator[Finding]:
    """The image fields of operators' custom resources (``OPERATOR_IMAGES``) set to an image
    that is not pinned; one left empty is the operator's default."""
    shown = None
    for resource in target.resources:
        for path, image in operator_images(resource):
            if not isinstance(image, str) or not image.strip():
                continue
            problem = image_problem(image, options.floating_tags, options.floating_tag_pattern,
                                    options.require_digest)
            if problem is None:
                continue
            shown = shown or shown_refs(target.resources)
            yield resource_finding(ID, target, resource.ref,
                                   f"{'.'.join(path)} of {shown[resource.index]} {problem}",
                                   operator_image_origin(target, resource, path, image))


def image_problem(
    image: Any, floating: tuple[str, ...], pattern: re.Pattern[str] | None, require_digest: bool
) -> str | None:
    """Why an image is not pinned, or None when it is."""
    if not isinstance(image, str) or not image.strip():
        return "has no image"
    try:
        ref = parse_image(image)
    except ImageRefError:
        # (quoted as JSON quotes it: a line break a file's --set-file kept is \n, the
        # message one line)
        return (f"has image {json.dumps(image, ensure_ascii=False)}, which is not a valid "
                "image reference")
    if ref.tag == "":
        return f'uses an empty tag ("{image}")'
    if ref.pinned_by_digest:
        return None
    if ref.digest is not None:
        return f'has image "{image}" whose digest is not a sha256 or sha512 digest'
    if require_digest:
        return f'uses image "{image}" without a digest'
    if ref.tag is None:
        return f'uses image "{image}" without a tag (Kubernetes pulls "latest")'
    if is_floating(ref.tag, floating, pattern):
        return f'uses floating tag "{ref.tag}"'
    return None


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("cronjob-without-tag", "empty-tag", "empty-tag-dropped-by-helper", "every-environment",
         "floating-list-and-pattern", "init-image-without-hints", "latest-in-any-case",
         "pinned-by-digest", "production-latest", "shared-values-one-finding", "staging-may-float",
         "whole-image-beats-tag-key", "whole-image-in-values")
