"""Where the generated OpenAPI schema asks more than the API server does, k8s-schema follows the
API server: a field no validation requires is not reported missing."""

from __future__ import annotations

from typing import Any

import pytest

from platecheck import schema_problems, schemas


def statefulset(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}},
                         "spec": {"containers": [{"name": "db", "image": "postgres:16.4"}]}},
            **spec,
        },
    }


def texts(doc: dict[str, Any], version: str) -> list[str]:
    validator = schemas.kubernetes_validator(version, doc["apiVersion"], doc["kind"])
    assert validator is not None
    return [p.text for p in schema_problems.problems(validator, doc)]


@pytest.mark.parametrize("version", ["1.25.0", "1.31.0", "1.32.0", "1.33.0"])
def test_a_statefulset_without_service_name_passes(version: str) -> None:
    # the 1.25-1.32 schemas list serviceName as required; the API server never did
    assert texts(statefulset(), version) == []


def test_the_statefulset_spec_keeps_its_other_required_fields() -> None:
    doc = statefulset()
    del doc["spec"]["selector"]
    assert texts(doc, "1.31.0") == ["spec: required field 'selector' is missing"]


def test_a_service_name_of_the_wrong_type_is_still_reported() -> None:
    assert texts(statefulset(serviceName=5), "1.31.0") == [
        "spec.serviceName: expected string, got integer 5"
    ]
