"""``.argocd-source.yaml`` and ``.argocd-source-<app>.yaml``: parameter overrides kept in the
source directory, as Argo CD applies them (``mergeSourceParameters`` in
reposerver/repository/repository.go, before the source type is decided).

Each file that exists (the general one first) is an RFC 7386 JSON merge patch of the source
as Argo CD marshals it, the result decoded with Go's ``encoding/json`` into the source it
had (``json.Unmarshal`` into the same struct). So, as Argo CD reads them:

- a key names a field of Argo CD's source types whatever its case (``forcestring`` is
  ``forceString``, as argocd-image-updater writes it); a key no field has is dropped;
- a value of the wrong JSON type (a number where a string goes: ``value: 1.10``) fails the
  decoding, and Argo CD renders nothing: a could-not-check error at its line;
- objects merge and lists replace, but a list is decoded into the one it replaces element
  by element: a field a new element leaves out keeps the old element's at its index (a
  parameter's ``forceString``, a Jsonnet variable's ``code``); a ``null`` changes nothing
  (the merge patch deletes the key, and decoding into the struct that held it keeps the old
  value), but inside ``valuesObject``, which is decoded whole, ``null`` deletes.

``chart``, ``path``, ``repoURL`` and ``targetRevision`` are restored from the Application
afterwards. https://argo-cd.readthedocs.io/en/stable/user-guide/parameters/#store-overrides-in-git
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from platecheck.argocd_env import instance_name
from platecheck.discover import DRY_SOURCE, parse_application, raw_at, rel_path
from platecheck.errors import PlatecheckError
from platecheck.model import Application, KeyPath, Origin
from platecheck.yamlio import Document, first_document, read_text, type_name

RESTORED = ("chart", "path", "repoURL", "targetRevision")

# Argo CD's source types (pkg/apis/application/v1alpha1/types.go) as encoding/json decodes
# them: a struct is a dict of its fields' JSON names (embedded structs' fields promoted), a
# slice ("list", item), a map ("map", value); ANY is decoded whole (runtime.RawExtension, and
# the plugin parameters, whose own decoder Argo CD has)
_S, _B, _INT_OR_STRING, _ANY = "string", "boolean", "int-or-string", "any"
_Type = Any
_JSONNET_VAR: _Type = {"name": _S, "value": _S, "code": _B}
_HELM: _Type = {
    "valueFiles": ("list", _S),
    "parameters": ("list", {"name": _S, "value": _S, "forceString": _B}),
    "releaseName": _S, "values": _S, "fileParameters": ("list", {"name": _S, "path": _S}),
    "version": _S, "passCredentials": _B, "ignoreMissingValueFiles": _B, "skipCrds": _B,
    "valuesObject": _ANY, "namespace": _S, "kubeVersion": _S, "apiVersions": ("list", _S),
    "skipTests": _B, "skipSchemaValidation": _B}
_KUSTOMIZE: _Type = {
    "namePrefix": _S, "nameSuffix": _S, "images": ("list", _S),
    "commonLabels": ("map", _S), "version": _S, "commonAnnotations": ("map", _S),
    "forceCommonLabels": _B, "forceCommonAnnotations": _B, "namespace": _S,
    "commonAnnotationsEnvsubst": _B,
    "replicas": ("list", {"name": _S, "count": _INT_OR_STRING}),
    "patches": ("list", {"path": _S, "patch": _S, "options": ("map", _B), "target": {
        "group": _S, "version": _S, "kind": _S, "name": _S, "namespace": _S,
        "annotationSelector": _S, "labelSelector": _S}}),
    "components": ("list", _S), "ignoreMissingComponents": _B, "labelWithoutSelector": _B,
    "kubeVersion": _S, "apiVersions": ("list", _S), "labelIncludeTemplates": _B}
SOURCE: _Type = {
    "repoURL": _S, "path": _S, "targetRevision": _S, "helm": _HELM, "kustomize": _KUSTOMIZE,
    "directory": {"recurse": _B, "exclude": _S, "include": _S, "disableExtensionFilter": _B,
                  "jsonnet": {"extVars": ("list", _JSONNET_VAR),
                              "tlas": ("list", _JSONNET_VAR), "libs": ("list", _S)}},
    "plugin": {"name": _S, "env": ("list", {"name": _S, "value": _S}), "parameters": _ANY},
    "chart": _S, "ref": _S, "name": _S, "tagPrefix": _S}
SOURCE_FIELDS = frozenset(SOURCE)


def override_files(app: Application, directory: Path) -> list[Path]:
    """The override files Argo CD reads for ``app`` (by its instance name, ``instance_name``)
    in ``directory``, in order. One Argo CD cannot look for (a name longer than a file name
    may be) fails its source, as ``os.Stat`` failing otherwise than not found does in Argo
    CD's ``mergeSourceParameters``."""
    names = [".argocd-source.yaml", f".argocd-source-{instance_name(app)}.yaml"]
    found = []
    for name in names:
        try:
            if (directory / name).is_file():
                found.append(directory / name)
        except OSError as exc:
            raise PlatecheckError(
                f"Argo CD cannot look for the override file {name} of this Application "
                f"({exc.strerror}): it renders nothing of the source", app.file,
                app.lines.get(("metadata", "name"), app.line)) from None
    return found


def apply_overrides(app: Application, key: KeyPath, directory: Path,
                    root: Path) -> tuple[Application, tuple[str, ...]]:
    """``app`` with the source at ``key`` patched by its override files, and the
    repository-relative names of the files applied (none: ``app`` itself)."""
    files = override_files(app, directory)
    if not files:
        return app, ()
    source = raw_at(app.raw, key)
    merged: Any = dict(source)
    places = dict(app.places)  # what an override file writes is found at its line there
    for path in files:
        rel = rel_path(path, root)
        document = first_document(read_text(path, rel)[1], rel)
        if document.data is not None and not isinstance(document.data, dict):
            raise PlatecheckError(f"an override file must hold a mapping of source fields, "
                                  f"found {type_name(document.data)}", rel, 1)
        decoder = _Decoder(rel, document.lines)
        merged = _go_merge(merged, decoder.decode(document.data or {}, SOURCE, ()), SOURCE)
        places.update({(*key, *written): origin for written, origin in decoder.places.items()
                       if written[0] not in RESTORED})
    for field in RESTORED:
        merged.pop(field, None)
        if field in source:
            merged[field] = source[field]
    raw = _replaced(app.raw, key, merged)
    hydrator = raw_at(raw, DRY_SOURCE[:-1])
    if key == ("spec", "source") and isinstance(hydrator.get("drySource"), dict):
        # a hydrator's dry source is the source Argo CD reads (discover._hydrated)
        raw = _replaced(raw, DRY_SOURCE, merged)
    try:
        patched = parse_application(Document(raw, app.lines, app.line), app.file)
    except PlatecheckError as exc:
        names = ", ".join(rel_path(p, root) for p in files)
        raise PlatecheckError(f"{exc.message} (after applying {names})", exc.file,
                              exc.line) from None
    return (dataclasses.replace(patched, raw=raw, places=places),
            tuple(rel_path(p, root) for p in files))


class _Decoder:
    """An override file's data as Go's ``encoding/json`` decodes it into Argo CD's source
    types: keys by their field's name (matched whatever their case), unknown ones dropped,
    a value of the wrong type a PlatecheckError at its line; ``places``: where each key path
    of the result was written."""

    def __init__(self, rel: str, lines: Mapping[KeyPath, int]) -> None:
        self.rel, self.lines = rel, lines
        self.places: dict[KeyPath, Origin] = {}

    def decode(self, value: Any, kind: _Type, written: KeyPath, path: KeyPath = ()) -> Any:
        if path and written in self.lines:
            self.places[path] = Origin(self.rel, self.lines[written])
        if value is None:
            return None  # a null decodes into nothing
        if kind == _ANY:
            self.places.update({(*path, *below[len(written):]): Origin(self.rel, line)
                                for below, line in self.lines.items()
                                if below[:len(written)] == written and below != written})
            return value
        if isinstance(kind, dict) or kind[0] == "map":
            return self._object(value, kind, written, path)
        if kind[0] == "list":
            self._expect(isinstance(value, list), value, "a list", written)
            return [self.decode(item, kind[1], (*written, n), (*path, n))
                    for n, item in enumerate(value)]
        self._expect(isinstance(value, str) if kind == _S else isinstance(value, bool)
                     if kind == _B else isinstance(value, str | int)
                     and not isinstance(value, bool), value,
                     {_S: "a string", _B: "true or false"}.get(kind, "a number or a string"),
                     written)
        return value

    def _object(self, value: Any, kind: _Type, written: KeyPath, path: KeyPath) -> Any:
        self._expect(isinstance(value, dict), value, "a mapping", written)
        fields = kind if isinstance(kind, dict) else None
        folded = {name.lower(): name for name in fields or ()}
        result = {}
        for key, item in value.items():
            name = str(key) if fields is None or key in fields else folded.get(
                str(key).lower())
            if name is None or item is None:
                continue  # no such field; a null decodes into nothing
            result[name] = self.decode(item, fields[name] if fields else kind[1],
                                       (*written, key), (*path, name))
        return result

    def _expect(self, fits: bool, value: Any, wanted: str, written: KeyPath) -> None:
        if not fits:
            from platecheck.schema_problems import format_path  # (an error's only)

            scalar = "" if isinstance(value, dict | list) else f" ({value!r})"
            raise PlatecheckError(
                f"{format_path(written)} must be {wanted}, not {type_name(value)}{scalar}: "
                "Argo CD cannot decode this override file and renders nothing",
                self.rel, self.lines.get(written))


def _go_merge(target: Any, patch: Any, kind: _Type) -> Any:
    """``patch`` (decoded) over ``target`` as Argo CD's merge patch and decoding leave them:
    objects merge, ``valuesObject`` is merged by RFC 7386, a list is decoded into the list it
    replaces element by element (Go's ``encoding/json`` decodes a JSON array into the slice it
    holds, each element into the old one at its index: a field an element leaves out keeps the
    old element's value), anything else replaces."""
    if kind == _ANY:
        return merge_patch(target, patch)
    if isinstance(patch, list) and isinstance(target, list) and isinstance(kind, tuple):
        return [_go_merge(target[n], item, kind[1]) if n < len(target)
                else _zero(kind[1]) if item is None else item
                for n, item in enumerate(patch)]
    if patch is None:
        return target  # a null element decodes into nothing: the old one stays
    if not isinstance(patch, dict) or not isinstance(target, dict):
        return patch
    merged = dict(target)
    for key, value in patch.items():
        merged[key] = _go_merge(merged.get(key), value,
                                kind.get(key, _ANY) if isinstance(kind, dict) else kind[1])
    return merged


def _zero(kind: _Type) -> Any:
    """What a null list element past the old ones decodes into: its type's zero value."""
    return "" if kind == _S else False if kind == _B else {}


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
