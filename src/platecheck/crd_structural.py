"""What makes an apiextensions.k8s.io/v1 CustomResourceDefinition's schema not structural, so
that the API server refuses the CRD: the rules of apiextensions-apiserver's
``validateStructuralInvariants`` (``pkg/apiserver/schema/validation.go``) on the
``properties`` / ``items`` / ``additionalProperties`` tree, and ``additionalProperties and
properties are mutual exclusive`` of ``ValidateCustomResourceDefinitionOpenAPISchema``
(``pkg/apis/apiextensions/validation/validation.go``). Not checked (docs/checks.md): the rules
inside ``allOf`` / ``anyOf`` / ``oneOf`` / ``not``, what the root's ``metadata`` may specify
besides its type (only ``name`` and ``generateName``) and defaults.
https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

KeyPath = tuple[str | int, ...]
_EMPTY_TYPE = {"root": "must not be empty at the root",
               "item": "must not be empty for specified array items",
               "field": "must not be empty for specified object fields"}


def crd_problems(doc: Mapping[str, Any]) -> Iterator[tuple[KeyPath, str]]:
    """The key path and message of each reason the API server refuses the schemas of the
    CRD ``doc`` as not structural (none for another kind or apiVersion: apiextensions.k8s.io
    v1beta1, which allowed them, is no longer served)."""
    spec = doc.get("spec")
    if doc.get("apiVersion") != "apiextensions.k8s.io/v1" or \
            doc.get("kind") != "CustomResourceDefinition" or not isinstance(spec, Mapping):
        return
    versions = spec.get("versions")
    for index, entry in enumerate(versions if isinstance(versions, list) else ()):
        holder = entry.get("schema") if isinstance(entry, Mapping) else None
        schema = holder.get("openAPIV3Schema") if isinstance(holder, Mapping) else None
        if isinstance(schema, Mapping):
            path: KeyPath = ("spec", "versions", index, "schema", "openAPIV3Schema")
            yield from schema_problems(schema, "root", path)


def schema_problems(node: Mapping[str, Any], level: str, path: KeyPath
                    ) -> Iterator[tuple[KeyPath, str]]:
    """The structural problems of ``node`` at ``level`` (root, item or field) and below."""
    kind = node.get("type")
    items = node.get("items")
    if kind == "array" and items is None:
        yield (*path, "items"), "Required value: must be specified"
    if isinstance(items, Mapping):
        yield from schema_problems(items, "item", (*path, "items"))
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        for key, sub in properties.items():
            if isinstance(sub, Mapping):
                yield from schema_problems(sub, "field", (*path, "properties", str(key)))
    extra = node.get("additionalProperties")
    if extra is not None:
        if level == "root":
            yield (*path, "additionalProperties"), "Forbidden: must not be used at the root"
        if isinstance(properties, Mapping) and properties and extra is not True:
            yield ((*path, "additionalProperties"),
                   "Forbidden: additionalProperties and properties are mutual exclusive")
        if isinstance(extra, Mapping):
            yield from schema_problems(extra, "field", (*path, "additionalProperties"))
    yield from _type_problems(node, level, path)


def _type_problems(node: Mapping[str, Any], level: str, path: KeyPath
                   ) -> Iterator[tuple[KeyPath, str]]:
    kind = node.get("type")
    if kind is not None and not isinstance(kind, str):
        return  # not a JSONSchemaProps: the CRD's own schema says so
    empty = not kind
    embedded = node.get("x-kubernetes-embedded-resource") is True
    int_or_string = node.get("x-kubernetes-int-or-string") is True
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if embedded and kind != "object":
        said = "Required value: " if empty else f"Invalid value: {json.dumps(kind)}: "
        yield (*path, "type"), f"{said}must be object if x-kubernetes-embedded-resource is true"
    elif empty and not int_or_string and not preserve:
        yield (*path, "type"), f"Required value: {_EMPTY_TYPE[level]}"
    if int_or_string and preserve:
        yield ((*path, "x-kubernetes-preserve-unknown-fields"),
               "Invalid value: true: must be false if x-kubernetes-int-or-string is true")
    if int_or_string and embedded:
        yield ((*path, "x-kubernetes-embedded-resource"),
               "Invalid value: true: must be false if x-kubernetes-int-or-string is true")
    if embedded and node.get("additionalProperties") is not None:
        yield ((*path, "additionalProperties"),
               "Forbidden: must not be used if x-kubernetes-embedded-resource is set")
    if level == "root" and kind and kind != "object":
        yield (*path, "type"), f"Invalid value: {json.dumps(kind)}: must be object at the root"
    yield from _resource_problems(node, level == "root" or embedded, path)


def _resource_problems(node: Mapping[str, Any], resource: bool, path: KeyPath
                       ) -> Iterator[tuple[KeyPath, str]]:
    """The rules of a ``resource`` schema (the root, or an x-kubernetes-embedded-resource):
    ``kind`` and ``apiVersion`` are strings, ``metadata`` an object; and an embedded resource
    that keeps no unknown field names its fields."""
    properties = node.get("properties")
    fields = properties if isinstance(properties, Mapping) else {}
    for key, wanted in (("kind", "string"), ("apiVersion", "string"), ("metadata", "object")):
        sub = fields.get(key)
        kind = sub.get("type") if isinstance(sub, Mapping) else None
        if resource and isinstance(sub, Mapping) and kind != wanted and \
                (kind is None or isinstance(kind, str)):
            yield ((*path, "properties", key, "type"),
                   f"Invalid value: {json.dumps(kind or '')}: must be {wanted}")
    if node.get("x-kubernetes-embedded-resource") is True and not fields and \
            node.get("x-kubernetes-preserve-unknown-fields") is not True:
        yield ((*path, "properties"), "Required value: must not be empty if "
               "x-kubernetes-embedded-resource is true without "
               "x-kubernetes-preserve-unknown-fields")
