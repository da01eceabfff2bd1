"""Where a Kustomize strategic-merge patch wrote a field of a built resource.

kustomize's origin annotation names the file a resource came from, not the patches that
changed it afterwards: a field an overlay patches (``replicas``, an image, a host) would be
reported at the base file's line, which holds the old value or no such key. The patch files
of a build (``patches`` entries with a ``path``, and ``patchesStrategicMerge``), read here
highest precedence first (the source's kustomization before the bases it lists, a later
entry before an earlier one, as kustomize applies them the other way round), say where the
value was written: a document of the resource's kind whose name is the resource's (or the
part of it before kustomize's prefix and suffix) holding the field's key path, list items
matched by their ``name`` as a strategic merge matches containers, ports and volumes.
JSON 6902 patches and inline ``patch:`` texts are not looked into.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.model import FieldLayer, KeyPath, Origin, Resource
from platecheck.yamlio import load_documents, read_text


def patch_layers(kustomizations: Iterable[tuple[Path, Mapping[str, Any]]],
                 root: Path) -> tuple[FieldLayer, ...]:
    """The documents of the strategic-merge patch files of ``kustomizations`` (directory,
    content; the source's first), highest precedence first."""
    layers: list[FieldLayer] = []
    for directory, data in kustomizations:
        files: list[str] = []
        merge = data.get("patchesStrategicMerge")
        files.extend(item for item in (merge if isinstance(merge, list) else [])
                     if isinstance(item, str) and "\n" not in item)
        patches = data.get("patches")
        files.extend(item["path"] for item in (patches if isinstance(patches, list) else [])
                     if isinstance(item, dict) and isinstance(item.get("path"), str))
        for name in reversed(files):
            path = Path(os.path.normpath(directory / name))
            if not path.is_relative_to(root) or not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            try:
                documents = load_documents(read_text(path, rel)[1], rel)
            except PlatecheckError:
                continue  # the build reports a patch it cannot read
            for document in reversed(documents):
                if isinstance(document.data, dict) and isinstance(document.data.get("kind"),
                                                                  str):
                    layers.append(FieldLayer(rel, *kind_name(document.data), document.data,
                                             document.lines))
    return tuple(layers)


def kind_name(doc: Mapping[str, Any]) -> tuple[str, str]:
    """A manifest document's kind and ``metadata.name`` ("" for what it lacks)."""
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return str(doc.get("kind", "")), str(name) if name is not None else ""


def patch_origin(layers: Sequence[FieldLayer], resource: Resource,
                 path: Sequence[str | int]) -> Origin | None:
    """The patch line that wrote ``path`` of ``resource``, the highest precedence one."""
    for layer in _applying(layers, resource):
        written = _written_path(resource.doc, layer.data, path)
        line = layer.lines.get(written) if written is not None else None
        if line is not None:
            return Origin(layer.file, line)
    return None


def _applying(layers: Sequence[FieldLayer], resource: Resource) -> Iterable[FieldLayer]:
    """The patches of ``resource``: of its kind, named as it is before kustomize's prefix
    and suffix."""
    return (layer for layer in layers if layer.kind == resource.kind and layer.name
            and layer.name in resource.name)


def _written_path(built: Any, patch: Any, path: Sequence[str | int]) -> KeyPath | None:
    """``path`` of the built resource as the patch writes it: a list item by the index of
    the patch's item of the same ``name``; None when the patch does not hold it."""
    written: list[str | int] = []
    for part in path:
        if isinstance(part, str):
            if not isinstance(patch, dict) or part not in patch:
                return None
            built = built.get(part) if isinstance(built, dict) else None
            patch = patch[part]
            written.append(part)
            continue
        if not isinstance(patch, list):
            return None
        item = built[part] if isinstance(built, list) and part < len(built) else None
        name = item.get("name") if isinstance(item, dict) else None
        if name is not None:
            index = next((i for i, p in enumerate(patch)
                          if isinstance(p, dict) and p.get("name") == name), None)
        else:
            index = part if part < len(patch) else None
        if index is None:
            return None
        built, patch = item, patch[index]
        written.append(index)
    return tuple(written)


def patch_value_origin(layers: Sequence[FieldLayer], resource: Resource,
                       fields: Sequence[str], anchor: str | None,
                       values: Sequence[object]) -> Origin | None:
    """The patch line of the first of ``fields`` within the resource's entry named
    ``anchor`` (a container), holding one of ``values`` (when any is given): what a policy
    that knows a field by its name and value, not by its path, reports."""
    wanted = {str(value) for value in values if value is not None}
    for layer in _applying(layers, resource):
        scopes = [(path, node) for path, node in _mappings(layer.data, ())
                  if anchor is None or node.get("name") == anchor]
        for name in fields:
            for scope_path, scope in scopes:
                for key_path, node in _mappings(scope, scope_path):
                    if name in node and (not wanted or str(node[name]) in wanted):
                        line = layer.lines.get((*key_path, name))
                        if line is not None:
                            return Origin(layer.file, line)
    return None


def _mappings(node: Any, path: KeyPath) -> Iterable[tuple[KeyPath, Mapping[str, Any]]]:
    """Every mapping in ``node`` with its key path, outermost first."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _mappings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _mappings(value, (*path, index))
