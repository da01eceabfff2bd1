"""Checking a schema against the draft 2020-12 meta-schema, four times faster than
``jsonschema.Draft202012Validator.check_schema`` and with the same first error.

The 2020-12 meta-schema is seven vocabulary meta-schemas joined by ``allOf``, each one
recursing into the whole meta-schema through ``"$dynamicRef": "#meta"``: every subschema of
a checked schema is walked once per vocabulary, through dynamic-scope lookups. Checking a
schema (not validating data against a schema that extends the meta-schema), that dynamic
reference always lands on the meta-schema itself, so here the vocabularies are merged into one
schema: their keywords' subschemas in the order ``allOf`` visits them (core, applicator,
unevaluated, validation, meta-data, format-annotation, content, then the top level's own), the
dynamic reference a plain ``"$ref": "#"`` to it, their ``$defs`` (whose names do not collide)
beside. Errors come in the same order, so the first one (the one ``check_schema`` raises) has
the same path and message; tests/test_metaschema.py holds the two to that on valid and broken
schemas.
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]

_BASE = "https://json-schema.org/draft/2020-12/"


def check_schema(cls: Any, schema: Any) -> None:
    """``cls.check_schema(schema)``: ``jsonschema.SchemaError`` when ``schema`` is not valid
    under ``cls``'s meta-schema, through the merged meta-schema for draft 2020-12."""
    if cls is not jsonschema.Draft202012Validator:
        cls.check_schema(schema, format_checker=go_formats(cls))
        return
    error = next(_merged_validator().iter_errors(schema), None)
    if error is not None:
        raise jsonschema.SchemaError.create_from(error)


@functools.cache
def go_formats(cls: Any) -> Any:
    """``cls``'s meta-schema formats, a ``pattern`` read as Go reads it (RE2's syntax), not
    as Python does: helm and the Kubernetes API server refuse a schema whose pattern Go
    cannot compile (a lookahead), and accept one Python cannot (``\\p{L}``, ``\\z``)."""
    from platecheck.goregex import go_compiles

    checker = jsonschema.FormatChecker(())
    checker.checkers = {**cls.FORMAT_CHECKER.checkers, "regex": (
        lambda value: not isinstance(value, str) or go_compiles(value), ())}
    return checker


@functools.cache
def _merged_validator() -> Any:
    cls = jsonschema.Draft202012Validator
    return cls(merged_meta_schema(), format_checker=go_formats(cls))


def merged_meta_schema() -> dict[str, Any]:
    """The draft 2020-12 meta-schema as one schema (see the module's description)."""
    top = REGISTRY.contents(_BASE + "schema")
    merged: dict[str, Any] = {"$schema": top["$schema"], "type": top["type"],
                              "properties": {}, "$defs": {}}
    parts = [REGISTRY.contents(_BASE + ref["$ref"]) for ref in top["allOf"]]
    for part in [*parts, top]:
        if part["type"] != merged["type"]:
            raise RuntimeError("a 2020-12 vocabulary meta-schema admits other types")
        for section in ("properties", "$defs"):
            for name, subschema in part.get(section, {}).items():
                if name in merged[section]:
                    raise RuntimeError(f"2020-12 meta-schemas share {section} {name!r}")
                merged[section][name] = _local(subschema)
    return merged


def _local(node: Any) -> Any:
    """``node`` with its references pointing into the merged schema."""
    if isinstance(node, list):
        return [_local(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == "$dynamicRef":
            if value != "#meta":
                raise RuntimeError(f"unexpected $dynamicRef {value!r}")
            result["$ref"] = "#"
        elif key == "$ref":
            _, _, fragment = value.partition("#")
            if not fragment.startswith("/$defs/"):
                raise RuntimeError(f"unexpected $ref {value!r}")
            result["$ref"] = f"#{fragment}"
        else:
            result[key] = _local(value)
    return result
