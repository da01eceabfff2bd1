"""What the API server refuses in a custom resource after validating it against its schema
(apiextensions-apiserver ``pkg/registry/customresource/strategy.go``, ``Validate``): a
repeated item of an ``x-kubernetes-list-type: set`` list or a repeated key of a ``map`` one
(``pkg/apiserver/schema/listtype/validation.go``), and an ``x-kubernetes-embedded-resource``
object without an apiVersion or a kind, or with one of the wrong form
(``pkg/apiserver/schema/objectmeta/validation.go``, ``validateEmbeddedResource``; its
metadata is not checked here). Each is a jsonschema keyword function."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_REFUSED = "; the API server refuses it"
# k8s.io/apimachinery IsDNS1035Label, applied to the kind lowered
_DNS1035 = re.compile(r"[a-z](?:[-a-z0-9]*[a-z0-9])?")
_UNSPECIFIED = ("unspecified",)  # an item without the key, or a null item


def _identity(value: Any) -> Any:
    """What makes two decoded JSON values equal to the API server (a set's items are compared
    as Go values, objects and lists by their JSON): booleans are not numbers, 1 is 1.0."""
    if isinstance(value, dict):
        return "object", tuple(sorted((str(k), _identity(v)) for k, v in value.items()))
    if isinstance(value, list):
        return "array", tuple(_identity(v) for v in value)
    if isinstance(value, bool):
        return "boolean", value
    if isinstance(value, int | float):
        return "number", value
    return type(value).__name__, value


def _repeats(identities: list[Any]) -> Iterator[int]:
    """The index of the second occurrence of each value seen more than once."""
    seen: dict[Any, int] = {}
    for index, identity in enumerate(identities):
        seen[identity] = seen.get(identity, 0) + 1
        if seen[identity] == 2:
            yield index


def list_type(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """The ``x-kubernetes-list-type`` keyword: no item of a ``set`` twice, no key tuple
    (``x-kubernetes-list-map-keys``) of a ``map`` twice."""
    if not isinstance(instance, list) or len(instance) <= 1:
        return
    import jsonschema  # type: ignore[import-untyped]

    if value == "set":
        for index in _repeats([_identity(item) for item in instance]):
            yield jsonschema.ValidationError(
                f"{_json(instance[index])} is in this x-kubernetes-list-type set more than once"
                f"{_REFUSED}", path=[index])
    elif value == "map" and all(item is None or isinstance(item, dict) for item in instance):
        names = schema.get("x-kubernetes-list-map-keys")
        names = [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
        keys = [_map_key(item, names) for item in instance]
        for index in _repeats([key if key is _UNSPECIFIED else _identity(key) for key in keys]):
            key = {} if keys[index] is _UNSPECIFIED else keys[index]
            yield jsonschema.ValidationError(
                f"the key {_json(key)} is in this x-kubernetes-list-type map more than once"
                f"{_REFUSED}", path=[index])


def _map_key(item: dict[str, Any] | None, names: list[str]) -> Any:
    """An item's key: with one key name its value (or none), with several the object of
    those it has."""
    if len(names) == 1:
        return _UNSPECIFIED if item is None or names[0] not in item else {names[0]: item[names[0]]}
    return {name: item[name] for name in names if item is not None and name in item}


def embedded_resource(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """The ``x-kubernetes-embedded-resource`` keyword: an apiVersion (a group version: at
    most one "/") and a kind (a DNS-1035 label once lowered) are required."""
    if value is not True or not isinstance(instance, dict):
        return
    import jsonschema

    for key in ("apiVersion", "kind"):
        if instance.get(key) is None:  # a null is pruned before validation
            yield jsonschema.ValidationError(
                f"{key!r} is a required property", validator="required",
                validator_value=[key], schema=schema,
                instance={k: v for k, v in instance.items() if v is not None})
            continue
        problem = _api_version(instance[key]) if key == "apiVersion" else _kind(instance[key])
        if problem:
            yield jsonschema.ValidationError(f"{problem}{_REFUSED}", path=[key])


def _api_version(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if not value:
        return "must not be empty"
    if value.count("/") > 1:
        return f"{_json(value)} is not a group/version (more than one '/')"
    return None


def _kind(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if not value:
        return "must not be empty"
    # Go's strings.ToLower maps each character to one: U+0130 to "i"
    lowered = "".join("i" if c == "\u0130" else c.lower() for c in value)
    if len(lowered.encode()) > 63 or _DNS1035.fullmatch(lowered) is None:
        return (f"{_json(value)} may have mixed case, but should otherwise be an RFC 1035 "
                "label (at most 63 characters of letters, digits and '-', beginning with a "
                "letter and ending with a letter or digit)")
    return None


def _json(value: Any) -> str:
    import json

    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
