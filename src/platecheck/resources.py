"""A manifest document as a ``Resource``: what helm's output, a directory source and a
Kustomize build all become."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from platecheck.model import Resource


def expand_list(document: Any) -> list[Mapping[str, Any]]:
    if not isinstance(document, dict):
        return []  # empty documents and comments
    kind = document.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(document.get("items"),
                                                                      list):
        return [item for item in document["items"] if isinstance(item, dict)]
    return [document]


def make_resource(doc: Mapping[str, Any], template: str | None, template_file: str | None,
              index: int, line: int | None = None) -> Resource:
    metadata = doc.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    namespace = metadata.get("namespace")
    return Resource(
        api_version=str(doc.get("apiVersion", "")),
        kind=str(doc.get("kind", "")),
        name=str(metadata.get("name", "")),
        namespace=str(namespace) if namespace is not None else None,
        doc=doc,
        template=template,
        template_file=template_file,
        index=index,
        line=line,
    )
