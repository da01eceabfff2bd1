"""``.argocd-source.yaml`` and ``.argocd-source-<app>.yaml``: parameter overrides kept in the
source directory, as Argo CD applies them (``mergeSourceParameters`` in
reposerver/repository/repository.go, before the source type is decided).

Each file that exists (the general one first) is an RFC 7386 JSON merge patch of the source:
objects merge, anything else replaces, ``null`` deletes. ``chart``, ``path``, ``repoURL``
and ``targetRevision`` are restored from the Application afterwards, and fields Argo CD's
source type does not have are dropped, as Go's decoding drops them.
https://argo-cd.readthedocs.io/en/stable/user-guide/parameters/#store-overrides-in-git
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from platecheck.discover import parse_application, raw_at, rel_path
from platecheck.errors import PlatecheckError
from platecheck.model import Application, KeyPath, Origin
from platecheck.yamlio import Document, first_document, read_text, type_name

RESTORED = ("chart", "path", "repoURL", "targetRevision")
# ApplicationSource's fields (pkg/apis/application/v1alpha1/types.go)
SOURCE_FIELDS = frozenset({"repoURL", "path", "targetRevision", "helm", "kustomize",
                           "directory", "plugin", "chart", "ref", "name"})


def override_files(directory: Path, app_name: str) -> list[Path]:
    """The override files Argo CD reads for ``app_name`` in ``directory``, in order."""
    names = [".argocd-source.yaml", f".argocd-source-{app_name}.yaml"]
    return [directory / name for name in names if (directory / name).is_file()]


def apply_overrides(app: Application, key: KeyPath, directory: Path,
                    root: Path) -> tuple[Application, tuple[str, ...]]:
    """``app`` with the source at ``key`` patched by its override files, and the
    repository-relative names of the files applied (none: ``app`` itself)."""
    files = override_files(directory, app.name)
    if not files:
        return app, ()
    source = raw_at(app.raw, key)
    merged: Any = dict(source)
    places = dict(app.places)  # what an override file writes is found at its line there
    for path in files:
        rel = rel_path(path, root)
        document = first_document(read_text(path, rel)[1], rel)
        patch = document.data
        places.update({(*key, *written): Origin(rel, line)
                       for written, line in document.lines.items()
                       if written and written[0] in SOURCE_FIELDS
                       and written[0] not in RESTORED})
        merged = merge_patch(merged, patch)
        if merged is not None and not isinstance(merged, dict):
            raise PlatecheckError(f"an override file must hold a mapping of source fields, "
                                  f"found {type_name(patch)}", rel, 1)
        merged = {k: v for k, v in (merged or {}).items() if k in SOURCE_FIELDS}
    for field in RESTORED:
        merged.pop(field, None)
        if field in source:
            merged[field] = source[field]
    raw = _replaced(app.raw, key, merged)
    try:
        patched = parse_application(Document(raw, app.lines, app.line), app.file)
    except PlatecheckError as exc:
        names = ", ".join(rel_path(p, root) for p in files)
        raise PlatecheckError(f"{exc.message} (after applying {names})", exc.file,
                              exc.line) from None
    return (dataclasses.replace(patched, raw=raw, places=places),
            tuple(rel_path(p, root) for p in files))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: ``patch`` applied to ``target``."""
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def _replaced(data: Any, path: KeyPath, value: Any) -> Any:
    """A copy of ``data`` with ``value`` at ``path`` (copies only along the path)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, list) and isinstance(head, int):
        copy = list(data)
        copy[head] = _replaced(copy[head], rest, value)
        return copy
    copy_map = dict(data)
    copy_map[head] = _replaced(copy_map.get(head), rest, value)
    return copy_map
