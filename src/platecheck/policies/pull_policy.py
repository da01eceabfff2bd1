"""Production pulls each image once; other environments do not cache floating tags.

What:
    In production targets, the effective ``imagePullPolicy`` of every container, init
    container and ephemeral container is ``productionPullPolicy`` (``IfNotPresent``). When the
    field is absent, Kubernetes' defaulting rule decides: ``Always`` when the tag is ``latest``
    (exactly: ``LATEST`` defaults to ``IfNotPresent``) or the image has neither tag nor digest,
    else ``IfNotPresent``
    (https://kubernetes.io/docs/concepts/containers/images/#imagepullpolicy-defaulting).
    In other environments, a floating tag (``latest`` in any case, also as a word of the
    tag such as ``stg-latest``, empty or missing,
    ``floatingTags``, ``floatingTagPattern``; no digest) pulled with an effective
    ``IfNotPresent`` is a finding; an empty tag (``nginx:``, from an empty tag value) is
    said to be no image reference at all, at the tag: the kubelet refuses it. The containers
    are image-tag-pinned's (workloads, Argo Rollouts analyses' jobs, Argo Workflows'
    templates, Tekton's steps); an image or policy a controller fills in at run time
    (``{{...}}``, ``$(...)``) is not checked.

Why:
    ``Always`` makes every pod start depend on the registry being up, and with a pinned tag it
    buys nothing. The other way round, a floating tag with ``IfNotPresent`` means each node
    keeps whichever build it pulled first, so staging runs a mix of builds.

Options:
    productionPullPolicy (string, default "IfNotPresent"): the policy production must end up
        with.
    checkNonProduction (bool, default true): report floating tags with ``IfNotPresent``
        outside production.
    floatingTags (list of strings, default as image-tag-pinned): tags treated as floating
        besides ``latest`` and the empty tag.
    floatingTagPattern (regex string, default ""): tags matching it are floating too.

Passes:
    production: image: nginx:1.25.3, imagePullPolicy: IfNotPresent
    production: image: nginx:1.25.3 with no imagePullPolicy (defaults to IfNotPresent)
    staging: image: nginx:latest, imagePullPolicy: Always

Fails:
    production: imagePullPolicy: Always
    production: image: nginx:latest with no imagePullPolicy (defaults to Always)
    staging: image: nginx:latest, imagePullPolicy: IfNotPresent
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from platecheck.containers import (
    Container,
    container_findings,
    containers,
    image_origin,
    in_template,
)
from platecheck.imageref import FLOATING_TAGS, ImageRefError, is_floating, parse_image
from platecheck.model import Finding, Origin, RenderedTarget
from platecheck.options import OptionValueError, option
from platecheck.provenance import locate

ID = "pull-policy"
SUMMARY = "production uses imagePullPolicy IfNotPresent; floating tags are not cached elsewhere"
SCOPE = "target"


PULL_POLICIES = ("Always", "IfNotPresent", "Never")


def _pull_policy(value: Any) -> str:
    if value not in PULL_POLICIES:
        raise OptionValueError(f"must be one of {', '.join(PULL_POLICIES)} (Kubernetes' pull "
                               f"policies), found {value!r}")
    return str(value)


@dataclass(frozen=True)
class Options:
    production_pull_policy: str = option(parse=_pull_policy, written="IfNotPresent")
    check_non_production: bool = True
    floating_tags: tuple[str, ...] = FLOATING_TAGS
    floating_tag_pattern: re.Pattern[str] | None = None


REMEDIATION = (
    "production: pin the image tag and set imagePullPolicy: IfNotPresent; "
    "other environments: use imagePullPolicy: Always with a floating tag, or pin the tag"
)


def check(target: RenderedTarget, options: Options) -> Iterator[Finding]:
    pattern = options.floating_tag_pattern
    floating = options.floating_tags
    required = options.production_pull_policy
    production = target.target.production
    if not production and not options.check_non_production:
        return
    problems: list[tuple[Container, str, Origin | None]] = []
    for container in containers(target):
        image = container.image
        explicit = container.spec.get("imagePullPolicy")
        if container.placeholder(image) or container.placeholder(explicit):
            continue  # an Argo template's argument, filled in at run time
        effective = explicit or default_pull_policy(image)
        how = f'imagePullPolicy "{effective}"'
        if not explicit:
            how += f' (the Kubernetes default for image "{image}")'
        if production:
            if effective == required:
                continue
            message = f'has {how}; production requires "{required}"'
        else:
            tag = _floating_tag(image, floating, pattern)
            if tag is None or effective != "IfNotPresent":
                continue
            message = (
                f'uses floating tag "{tag}" with {how}, '
                "so each node keeps the build it pulled first"
            ) if tag else (
                f'uses an empty tag ("{image}"), which is no image reference: the kubelet '
                "refuses it (InvalidImageName) and the container never starts"
            )
        # (an empty tag is fixed at the tag, whatever the pull policy)
        problems.append((container, message, _origin(
            target, container, explicit if production or tag else None)))
    yield from container_findings(ID, target, problems)


def default_pull_policy(image: Any) -> str:
    """Kubernetes' default for an absent imagePullPolicy (SetDefaults_Container)."""
    try:
        ref = parse_image(image)
    except ImageRefError:
        return "IfNotPresent"  # the API server ignores the parse error here too
    if ref.tag == "latest" or (ref.tag is None and ref.digest is None):
        return "Always"
    return "IfNotPresent"


def _floating_tag(image: Any, floating: tuple[str, ...], pattern: Any) -> str | None:
    """The tag to name in a message when the image floats, else None."""
    try:
        ref = parse_image(image)
    except ImageRefError:
        return None
    if ref.digest is not None or not is_floating(ref.tag, floating, pattern):
        return None
    return "latest" if ref.tag is None else ref.tag  # Kubernetes pulls latest without a tag


def _origin(target: RenderedTarget, container: Container, explicit: Any) -> Origin | None:
    if not explicit:  # defaulted from the tag: the tag is what to look at
        return image_origin(target, container)
    context = [container.name]
    try:
        ref = parse_image(container.image)
        context += [ref.repository, ref.path, ref.tag or ""]
    except ImageRefError:
        pass
    return locate(
        target,
        (explicit,),
        keys=("pullPolicy", "imagePullPolicy"),
        context=context,
        fields=("imagePullPolicy",),
        written="imagePullPolicy",
        **in_template(container, "imagePullPolicy"),
    )


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("absent-defaults-to-always", "absent-defaults-to-if-not-present", "production-always",
         "staging-empty-tag", "staging-floating-if-not-present")
