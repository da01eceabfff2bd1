"""What the API server's validation of every object's metadata refuses in a manifest
(k8s.io/apimachinery ``pkg/api/validation/objectmeta.go``, ``ValidateObjectMeta``): a name its
kind's rule refuses, a label key or value, an annotation key. None of it is in the OpenAPI
schemas.

https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

# k8s.io/apimachinery pkg/util/validation/validation.go
_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_QUALIFIED = re.compile(r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


class NameRule(NamedTuple):
    pattern: re.Pattern[str]
    longest: int
    text: str


DNS1123_SUBDOMAIN = NameRule(
    re.compile(rf"{_LABEL}(?:\.{_LABEL})*"), 253,
    "a lowercase RFC 1123 subdomain (at most 253 characters of a-z, 0-9, '-' and '.', each "
    "part between dots beginning and ending with a letter or digit)")
DNS1123_LABEL = NameRule(
    re.compile(_LABEL), 63,
    "a lowercase RFC 1123 label (at most 63 characters of a-z, 0-9 and '-', beginning and "
    "ending with a letter or digit)")
DNS1035_LABEL = NameRule(
    re.compile(r"[a-z](?:[-a-z0-9]*[a-z0-9])?"), 63,
    "a lowercase RFC 1035 label (at most 63 characters of a-z, 0-9 and '-', beginning with a "
    "letter and ending with a letter or digit)")

# The name rule of each built-in kind whose rule is known (pkg/apis/*/validation: the name
# function each passes to ValidateObjectMeta). Others (RBAC kinds take any path segment,
# custom resources) are left alone. StatefulSet's rule became a DNS label in later releases:
# a subdomain is what every release refuses.
NAME_RULES: dict[tuple[str, str], NameRule] = {
    ("", "Service"): DNS1035_LABEL,
    ("", "Namespace"): DNS1123_LABEL,
    **{("", kind): DNS1123_SUBDOMAIN for kind in (
        "ConfigMap", "Secret", "ServiceAccount", "Pod", "ReplicationController", "Endpoints",
        "LimitRange", "ResourceQuota", "PersistentVolume", "PersistentVolumeClaim")},
    **{("apps", kind): DNS1123_SUBDOMAIN
       for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")},
    ("batch", "Job"): DNS1123_SUBDOMAIN,
    ("batch", "CronJob"): DNS1123_SUBDOMAIN,
    ("networking.k8s.io", "Ingress"): DNS1123_SUBDOMAIN,
}

_QUALIFIED_TEXT = ("a qualified name (an optional DNS subdomain prefix and '/', then at most "
                   "63 characters of A-Z, a-z, 0-9, '-', '_' and '.', beginning and ending "
                   "with a letter or digit)")
_REFUSED = "; the API server refuses it"
Path = tuple[str | int, ...]


def problems(group: str, kind: str, metadata: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    """Each ``(path, message)`` the API server's metadata validation refuses in
    ``metadata`` (its keys as strings) of a resource of ``group`` and ``kind``."""
    name = metadata.get("name")
    rule = NAME_RULES.get((group, kind))
    if rule is not None and isinstance(name, str) and name and not is_name(name, rule):
        yield ("metadata", "name"), f"{name!r} must be {rule.text}{_REFUSED}"
    yield from labels_and_annotations(metadata, ("metadata",))


# Where the pod template of a workload is (``ValidatePodTemplateSpec`` validates its labels
# and annotations as an object's: pkg/apis/core/validation), by group and kind.
POD_TEMPLATES: dict[tuple[str, str], Path] = {
    **{("apps", kind): ("spec", "template") for kind in (
        "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")},
    ("", "ReplicationController"): ("spec", "template"),
    ("batch", "Job"): ("spec", "template"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template"),
    ("", "PodTemplate"): ("template",),
}


def template_metadata(group: str, kind: str, doc: Mapping[str, Any]
                      ) -> tuple[Path, Mapping[Any, Any]] | None:
    """Where a workload's pod template's metadata is, and it, when it has one."""
    at = POD_TEMPLATES.get((group, kind))
    node: Any = doc
    for key in at or ():
        node = node.get(key) if isinstance(node, Mapping) else None
    metadata = node.get("metadata") if at is not None and isinstance(node, Mapping) else None
    return ((*(at or ()), "metadata"), metadata) if isinstance(metadata, Mapping) else None


def labels_and_annotations(metadata: Mapping[str, Any], at: Path
                           ) -> Iterator[tuple[Path, str]]:
    """``problems`` of the labels and annotations of ``metadata`` (its keys as strings) at
    ``at``: an object's, or its pod template's, which the API server refuses alike."""
    labels = metadata.get("labels")
    for key, value in labels.items() if isinstance(labels, Mapping) else ():
        if not is_qualified_name(key):
            yield (*at, "labels", key), f"the key must be {_QUALIFIED_TEXT}{_REFUSED}"
        if isinstance(value, str) and not is_label_value(value):
            yield (*at, "labels", key), (
                f"the value {value!r} must be at most 63 characters of A-Z, a-z, 0-9, '-', '_' "
                f"and '.', beginning and ending with a letter or digit, or empty{_REFUSED}")
    annotations = metadata.get("annotations")
    for key in annotations if isinstance(annotations, Mapping) else ():
        # "the rule is QualifiedName except that case doesn't matter" (ValidateAnnotations)
        if not is_qualified_name(key.lower()):
            yield (*at, "annotations", key), f"the key must be {_QUALIFIED_TEXT}{_REFUSED}"


def is_name(name: str, rule: NameRule) -> bool:
    """Whether ``name`` follows ``rule``."""
    return len(name) <= rule.longest and rule.pattern.fullmatch(name) is not None


def is_qualified_name(key: str) -> bool:
    """Whether ``key`` is a qualified name (``IsQualifiedName``): ``[prefix/]name``, the
    prefix a DNS-1123 subdomain, the name at most 63 characters."""
    parts = key.split("/")
    if len(parts) > 2:
        return False
    if len(parts) == 2 and not is_name(parts[0], DNS1123_SUBDOMAIN):
        return False
    name = parts[-1]
    return len(name) <= 63 and _QUALIFIED.fullmatch(name) is not None


def is_label_value(value: str) -> bool:
    """Whether ``value`` is a label value (``IsValidLabelValue``)."""
    return len(value) <= 63 and _LABEL_VALUE.fullmatch(value) is not None
