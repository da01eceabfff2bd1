"""The Application's ``kustomize`` fields applied to a kustomization as ``kustomize edit``
applies them (Argo CD, ``util/kustomize/kustomize.go``): ``namePrefix``, ``nameSuffix``,
``namespace`` set; ``images`` and ``replicas`` set by name; ``commonLabels`` and
``commonAnnotations`` added; ``patches`` and ``components`` appended."""


from __future__ import annotations

import copy
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from platecheck.argocd_env import envsubst
from platecheck.errors import PlatecheckError
from platecheck.globs import go_glob
from platecheck.imageref import kustomize_split
from platecheck.kustomize_errors import REMOTE_REMEDY, names_remote
from platecheck.model import Origin, RenderTarget
from platecheck.provenance import at, target_origin
from platecheck.values import Layer

_SET = ("namePrefix", "nameSuffix", "namespace")
_ADD = (("commonLabels", "labels"), ("commonAnnotations", "annotations"))


def edited(written: dict[str, Any], target: RenderTarget, root: Path) -> dict[str, Any]:
    """The kustomization after the Application's ``kustomize`` fields, as ``kustomize edit``
    would leave it, asking for origin annotations. ``written`` is left as it is: the same
    file read once in a run is shared by every Application that builds it."""
    data = copy.deepcopy(written)
    spec = target.source_spec.get("kustomize")
    spec = spec if isinstance(spec, dict) else {}
    for key in _SET:
        if isinstance(spec.get(key), str) and spec[key]:
            data[key] = spec[key]
    env = target.build_env
    for key, _ in _ADD:
        # Argo CD substitutes $ARGOCD_APP_* in labels, and in annotations when asked
        substituted = key == "commonLabels" or spec.get("commonAnnotationsEnvsubst") is True
        if isinstance(spec.get(key), dict) and spec[key]:
            added = dict(_pair(str(k), envsubst(str(v), env) if substituted else str(v), key,
                               target) for k, v in spec[key].items())
            force = spec.get("forceCommonLabels" if key == "commonLabels"
                             else "forceCommonAnnotations") is True
            if key == "commonLabels" and spec.get("labelIncludeTemplates") is True \
                    and spec.get("labelWithoutSelector") is not True:
                raise PlatecheckError(
                    "kustomize.labelIncludeTemplates is true without labelWithoutSelector, so "
                    "`kustomize edit add label --include-templates` fails (--without-selector "
                    "flag must be specified) and Argo CD cannot build this source",
                    **at(_written(target, "kustomize", "labelIncludeTemplates")))
            if key == "commonLabels" and spec.get("labelWithoutSelector") is True:
                data["labels"] = _labels_added(data.get("labels"), added, force, target, (
                    spec.get("labelIncludeTemplates") is True))
            else:
                data[key] = _added(data.get(key), added, force, key, target)
    if isinstance(spec.get("images"), list):
        arguments = [(_image(envsubst(str(image), env)), image) for image in spec["images"]]
        refused = next((image for entry, image in arguments if entry is None), None)
        if refused is not None:
            raise PlatecheckError(f"kustomize.images entry {refused!r} is not an image with a "
                                  "new name, tag or digest; kustomize edit set image refuses "
                                  "it, so Argo CD cannot build this source",
                                  **at(target_origin(target)))
        data["images"] = _set_images(data.get("images"),
                                     [entry for entry, _ in arguments if entry is not None])
    if isinstance(spec.get("replicas"), list):
        replicas = [{"name": r.get("name"), "count": _count(r.get("count", 0), index, target)}
                    for index, r in enumerate(spec["replicas"]) if isinstance(r, dict)]
        data["replicas"] = _by_name(data.get("replicas"), replicas)
    if isinstance(spec.get("patches"), list) and spec["patches"]:
        data["patches"] = _patches_appended(data, spec, target)
    if isinstance(spec.get("components"), list) and spec["components"]:
        data["components"] = _components_added(
            data.get("components"),
            _present(spec["components"], target.source_dir, root)
            if spec.get("ignoreMissingComponents") is True else spec["components"],
            target, spec["components"])
    metadata = data.get("buildMetadata") or []
    data["buildMetadata"] = [*metadata, *(["originAnnotations"]
                                         if "originAnnotations" not in metadata else [])]
    return data


def _patches_appended(data: dict[str, Any], spec: dict[str, Any], target: RenderTarget
                      ) -> list[Any]:
    """The kustomization's ``patches`` with the Application's after them, as Argo CD writes
    them (``Build``, no ``kustomize edit`` for it): a ``patches`` key with no value fails
    there ("expected 'patches' field in kustomization.yaml to be []any"), unless an edit
    command before it rewrote the file, which drops the empty key."""
    rewritten = any(isinstance(spec.get(key), str) and spec[key] for key in _SET) or any(
        isinstance(spec.get(key), dict | list) and spec[key]
        for key in ("images", "replicas", "commonLabels", "commonAnnotations"))
    if "patches" in data and data["patches"] is None and not rewritten:
        raise PlatecheckError(
            "the kustomization's patches key has no value (null), so Argo CD cannot add "
            "kustomize.patches to it (expected 'patches' field in kustomization.yaml to be "
            "[]any) and cannot build this source; write patches: [] or remove the key",
            **at(_written(target, "kustomize", "patches")))
    return [*(data.get("patches") or []), *spec["patches"]]


def _written(target: RenderTarget, *tail: str | int) -> Origin | None:
    """Where the Application writes its field whose key path ends with ``tail``: its first
    line when the field is not found, None for a target of no Application."""
    app = target.application
    if app is None:
        return None
    path = next((p for p in (*app.places, *app.lines) if p[-len(tail):] == tail), None)
    return app.origin(path) if path is not None else Origin(app.file, app.line)


def _pair(name: str, value: str, key: str, target: RenderTarget) -> tuple[str, str]:
    """A label or annotation as ``kustomize edit add`` reads Argo CD's ``name:value``
    argument (``ConvertSliceToMap``): split at the first colon, one pair of double quotes
    around the value taken off; no name before the colon is refused."""
    argument = f"{name}:{value}"
    colon = argument.index(":")
    if colon == 0:
        kind = "label" if key == "commonLabels" else "annotation"
        raise PlatecheckError(f"kustomize.{key}: {kind} {argument!r} has no name before its "
                              f"colon, so `kustomize edit add {kind}` fails and Argo CD cannot "
                              "build this source",
                              **at(_written(target, key, name) or target_origin(target)))
    name, value = argument[:colon], argument[colon + 1:]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return name, value


def _added(existing: Any, added: dict[str, str], force: bool, key: str,
           target: RenderTarget) -> dict[str, Any]:
    """``kustomize edit add label|annotation`` (``writeToMapEntry``): a key the kustomization
    sets already fails the edit, and so Argo CD's build, unless forced."""
    current = dict(existing) if isinstance(existing, dict) else {}
    taken = sorted(k for k in added if k in current)
    if taken and not force:
        kind = "label" if key == "commonLabels" else "annotation"
        raise PlatecheckError(
            f"kustomize.{key}: {kind} {taken[0]!r} is in the kustomization already, so "
            f"`kustomize edit add {kind}` fails and Argo CD cannot build this source (set "
            f"force{key[0].upper()}{key[1:]}: true to override it)",
            **at(_written(target, key, taken[0]) or target_origin(target)))
    return {**current, **added}


def _labels_added(existing: Any, added: dict[str, str], force: bool, target: RenderTarget,
                  templates: bool) -> list[Any]:
    """``kustomize edit add label --without-selector`` (``writeToLabels``): the pairs go into
    the first ``labels`` entry that includes no selectors (and templates as asked), its
    ``fields`` or none (``matchLabelSettings`` compares those two settings alone), else a
    new one."""
    labels = [dict(item) for item in existing] if isinstance(existing, list) else []
    for item in labels:
        if isinstance(item, dict) and not item.get("includeSelectors") and \
                bool(item.get("includeTemplates")) is templates:
            item["pairs"] = _added(item.get("pairs"), added, force, "commonLabels", target)
            return labels
    entry: dict[str, Any] = {"pairs": dict(added), "includeSelectors": False}
    if templates:
        entry["includeTemplates"] = True
    return [*labels, entry]


def _components_added(existing: Any, components: list[Any], target: RenderTarget,
                      written: list[Any]) -> list[Any]:
    """``kustomize edit add component`` (``RunAddComponent``): each entry a glob of paths
    relative to the kustomization (its matches in order), one already listed left out. An
    entry that matches nothing and is no directory fails the edit (``GlobPatternsWithLoader``:
    "has no match"), and Argo CD's build: a could-not-check error at the Application's entry
    (among those ``written``). One kustomize would fetch (a URL, ``git@``, ``git::``) is
    refused at that entry, before any build, as a kustomization's remote entries are."""
    source = target.source_dir
    listed = list(existing) if isinstance(existing, list) else []
    for pattern in components:
        if not isinstance(pattern, str):
            continue
        matches = [pattern]
        if names_remote(pattern) and not (source is not None and (source / pattern).exists()):
            raise PlatecheckError(
                f"{pattern!r} is remote: kustomize fetches it over the network, which "
                "platecheck does not use", **at(_written(
                    target, "kustomize", "components", written.index(pattern))),
                remedy=REMOTE_REMEDY)
        if source is not None:
            # (kyaml's Glob: Go's, a hidden name left out unless the pattern's is one)
            matches = [m for m in go_glob(pattern, str(source))
                       if posixpath.basename(pattern).startswith(".")
                       or not posixpath.basename(m).startswith(".")]
            if not matches and not (source / pattern).is_dir() and not names_remote(pattern):
                raise PlatecheckError(
                    f"kustomize.components entry {pattern!r} matches nothing next to the "
                    "kustomization, so `kustomize edit add component` fails (has no match) "
                    "and Argo CD cannot build this source",
                    **at(_written(target, "kustomize", "components", written.index(pattern))))
        listed += [c for c in dict.fromkeys(matches or [pattern]) if c not in listed]
    return listed


def _present(components: list[Any], source: Path | None, root: Path) -> list[Any]:
    """``ignoreMissingComponents``: the components that exist in the repository (Argo CD
    adds no other)."""
    return [c for c in components if source is not None and isinstance(c, str) and (
        path := Path(os.path.normpath(source / c))).is_relative_to(root) and path.exists()]


def _count(count: Any, index: int, target: RenderTarget) -> int:
    """A ``kustomize.replicas`` count: a number, or a string of one (Argo CD's IntOrString,
    the string read by Go's ``strconv.Atoi``: an optional sign and ASCII digits, no space, no
    underscore, within 64 bits); anything else fails the source in Argo CD, and is a
    could-not-check error at its line."""
    if isinstance(count, str) and re.fullmatch(r"[+-]?[0-9]+", count) and \
            -(2 ** 63) <= int(count) < 2 ** 63:
        return int(count)
    if isinstance(count, int | float) and not isinstance(count, bool) and count % 1 == 0:
        return int(count)
    raise PlatecheckError(f"kustomize.replicas count {count!r} is not a whole number; Argo CD "
                          "cannot build this source",
                          **at(_written(target, "kustomize", "replicas", index, "count")))


def _image(text: str) -> dict[str, str] | None:
    """``kustomize edit set image`` syntax, ``[name=]newName[:newTag][@digest]``, as kustomize
    parses it (``setimage.go`` ``parse``): the entry, None when kustomize refuses it (an
    image without ``=``, a tag or a digest)."""
    key, separator, value = text.partition("=")
    if not separator:
        key, value = "", text
    name, tag, digest = kustomize_split(value)
    if name == text:
        return None
    entry = {"name": key or name, "newName": name if key else "", "newTag": tag,
             "digest": digest}
    return {field: entry[field] for field in ("name", "newName", "newTag", "digest")
            if entry[field]}


_PRESERVE = "*"  # ``kustomize edit set image a=*:1.2``: keep the entry's newName


def _set_images(existing: Any, arguments: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The kustomization's ``images`` after ``kustomize edit set image`` (``RunSetImage``):
    an argument replaces the whole entry of its name (a field given as ``*`` keeps the
    entry's), the other entries stay, sorted by name."""
    given = {argument["name"]: argument for argument in arguments}
    images = {}
    for item in existing or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        argument = given.pop(item["name"], None)
        if argument is None:
            images[item["name"]] = item
            continue
        images[item["name"]] = {**argument, **{
            field: item.get(field) for field in ("newName", "newTag", "digest")
            if argument.get(field) == _PRESERVE}}
    images.update(given)
    return [{field: value for field, value in image.items()
             if value and not (value == _PRESERVE and field != "name")}
            for _, image in sorted(images.items())]


def application_images(layer: Layer) -> Layer:
    """An Application's ``kustomize.images`` (``kustomize edit set image`` strings) as the
    entries of a kustomization's ``images``, each field at the string's line: merged by
    name with the kustomizations', which keep the images it does not set."""
    images = layer.data.get("images")
    if not isinstance(images, list):
        return layer
    lines, places = dict(layer.lines), dict(layer.places)
    entries = []
    for index, text in enumerate(images):
        entry = _image(str(text)) or {"name": str(text)}
        entries.append(entry)
        place = layer.places.get(("images", index))  # written in an override file
        line = layer.lines.get(("images", index))
        if place is not None:
            places.update({("images", index, field): place for field in entry})
        elif line is not None:
            lines.update({("images", index, field): line for field in entry})
    return Layer({**layer.data, "images": entries}, layer.file, lines, layer.line, places)


def _by_name(existing: Any, updates: list[dict[str, Any]]) -> list[Any]:
    items = [dict(item) for item in existing or [] if isinstance(item, dict)]
    for update in updates:
        match = next((item for item in items if item.get("name") == update.get("name")), None)
        if match is None:
            items.append(update)
        else:
            match.update(update)
    return items
