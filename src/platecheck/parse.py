"""Helm's output as resources that remember the template they came from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from platecheck.errors import PlatecheckError
from platecheck.model import Chart, Resource
from platecheck.yamlio import MAX_NESTING, too_deep

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)
_SOURCE = re.compile(r"^# Source: (.+?)\s*$", re.MULTILINE)


def parse_manifest(manifest: str, chart: Chart, root: Path,
                   where: tuple[str, int | None]) -> tuple[tuple[Resource, ...], dict[str, str]]:
    """Resources of a rendered stream and the text of the templates that produced them.

    ``where`` (file, line) is named when the output is not valid YAML.
    """
    resources: list[Resource] = []
    templates: dict[str, str] = {}
    for chunk in _SEPARATOR.split(manifest):
        match = _SOURCE.search(chunk)
        template = match.group(1) if match else None
        deep = too_deep(chunk)
        if deep is not None:
            # helm puts its "# Source:" comment right above the template's first line
            deep -= chunk.count("\n", 0, match.end()) + 1 if match else 0
            raise PlatecheckError(
                f"helm rendered YAML nested more than {MAX_NESTING} levels deep from "
                f"{template or 'a template'} line {deep}", *where)
        try:
            documents = list(yaml.load_all(chunk, Loader=_Loader))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise PlatecheckError(
                f"helm rendered invalid YAML from {template or 'a template'}{at}: {problem}",
                *where) from None
        template_file = _template_file(template, chart, root, templates)
        for document in documents:
            for doc in _expand(document):
                resources.append(_resource(doc, template, template_file, len(resources)))
    return tuple(resources), templates


def _expand(document: Any) -> list[Mapping[str, Any]]:
    if not isinstance(document, dict):
        return []  # empty documents and comments
    kind = document.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(document.get("items"),
                                                                      list):
        return [item for item in document["items"] if isinstance(item, dict)]
    return [document]


def _resource(doc: Mapping[str, Any], template: str | None, template_file: str | None,
              index: int) -> Resource:
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
    )


def _template_file(template: str | None, chart: Chart, root: Path,
                   templates: dict[str, str]) -> str | None:
    """``<chart name>/templates/x.yaml`` as a repository-relative path, with its text kept."""
    if not template or "/" not in template:
        return None
    inner = template.split("/", 1)[1]
    path = chart.path / inner
    rel = f"{chart.rel}/{inner}" if chart.rel not in ("", ".") else inner
    if rel in templates:
        return rel
    try:
        if not path.is_file() or not path.resolve().is_relative_to(root):
            return None
        templates[rel] = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return rel
