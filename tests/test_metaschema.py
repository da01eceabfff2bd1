"""The merged draft 2020-12 meta-schema (platecheck.metaschema) finds exactly what
``jsonschema.Draft202012Validator.check_schema`` finds: the same schemas pass, and a broken
one fails with the same first error (path, message, keyword)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from platecheck import metaschema

ROOT = Path(__file__).resolve().parent.parent
DRAFT = jsonschema.Draft202012Validator


def _crd_schemas() -> list[Any]:
    found = []
    for path in sorted((ROOT / "tests" / "fixtures").rglob("crds/*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                for version in document.get("spec", {}).get("versions", []):
                    found.append(version["schema"]["openAPIV3Schema"])
    return found


def _corpus() -> list[Any]:
    schemas = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(
        (ROOT / "src" / "platecheck" / "data" / "schemas").glob("*.json"))]
    schemas.append(json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json")
                              .read_text(encoding="utf-8")))
    fixtures = ROOT / "tests" / "fixtures"
    for path in sorted([*fixtures.rglob("schemas/*.json"), *fixtures.rglob("*.schema.json")]):
        try:  # the fixtures' own schemas, broken ones left out
            schema = json.loads(path.read_text(encoding="utf-8"))
            DRAFT.check_schema(schema)
        except (ValueError, jsonschema.SchemaError):
            continue
        schemas.append(schema)
    return [*schemas, *_crd_schemas()]


CORPUS = _corpus()

# what a broken schema looks like: a keyword with a value of the wrong type or range
BROKEN: list[tuple[str, Any]] = [
    ("type", 12), ("type", "strnig"), ("type", ["string", 3]), ("required", "name"),
    ("required", [1]), ("properties", []), ("properties", {"a": 5}), ("minimum", "a"),
    ("minLength", -1), ("maxItems", 1.5), ("pattern", 5), ("items", 3), ("enum", {}),
    ("format", 1), ("$ref", 3), ("additionalProperties", "no"), ("allOf", []),
    ("anyOf", {}), ("oneOf", [3]), ("$defs", 1), ("$id", 5), ("uniqueItems", "yes"),
    ("dependentRequired", {"a": [1]}), ("definitions", {"x": 2}),
    ("dependencies", {"a": 7}), ("$anchor", "1bad"), ("contentSchema", 4),
    ("unevaluatedProperties", "x"), ("prefixItems", []), ("deprecated", "yes"),
    ("$recursiveAnchor", "#x"), ("description", 3), ("const", {"any": "thing"}),
    ("examples", "not a list"), ("title", "fine"),
]


def _nodes(node: Any) -> list[dict[str, Any]]:
    """Every object in ``node``, itself included."""
    found = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _mutants(count: int, seed: int) -> list[Any]:
    chance = random.Random(seed)
    small = [s for s in CORPUS if len(json.dumps(s)) < 20_000]
    mutants = []
    for _ in range(count):
        schema = copy.deepcopy(chance.choice(small))
        node = chance.choice(_nodes(schema))
        for _ in range(chance.choice((1, 1, 2))):
            key, value = chance.choice(BROKEN)
            node[key] = copy.deepcopy(value)
        mutants.append(schema)
    mutants.extend([3, "schema", None, [], True, {"type": {"$dynamicRef": "#meta"}}])
    return mutants


def _first_error(check: Any, schema: Any) -> tuple[Any, ...] | None:
    try:
        check(schema)
    except jsonschema.SchemaError as error:
        return tuple(error.path), error.message, error.validator
    return None


def test_every_schema_of_the_corpus_passes_both_ways() -> None:
    assert len(CORPUS) >= 10
    for schema in CORPUS:
        assert _first_error(DRAFT.check_schema, schema) is None
        assert _first_error(lambda s: metaschema.check_schema(DRAFT, s), schema) is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_broken_schema_fails_with_the_same_first_error(seed: int) -> None:
    outcomes = []
    for schema in _mutants(200, seed):
        expected = _first_error(DRAFT.check_schema, schema)
        assert _first_error(lambda s: metaschema.check_schema(DRAFT, s), schema) == expected, \
            json.dumps(schema)[:300]
        outcomes.append(expected)
    failing = [o for o in outcomes if o is not None]
    assert len(failing) > len(outcomes) // 2  # the mutations break most schemas
    assert len({o[2] for o in failing}) >= 5  # through many different keywords


def test_other_drafts_are_checked_by_their_own_meta_schema() -> None:
    bad = {"type": "number", "minimum": 1, "exclusiveMinimum": True}  # draft 4's form only
    jsonschema.Draft4Validator.check_schema(bad)
    metaschema.check_schema(jsonschema.Draft4Validator, bad)
    with pytest.raises(jsonschema.SchemaError):
        metaschema.check_schema(jsonschema.Draft7Validator, bad)
