"""The values view of a Kustomize target: its kustomizations merged, highest precedence last,
as env-consistency compares them and findings point into them.

- ``images`` and ``replicas`` entries apply by name (``entries_by_name``); an image entry is
  then known by the image it replaces (``images_by_name``);
- the patches and generators of every kustomization the build reads (bases, components,
  the overlay) and of the Application's ``kustomize.patches`` are kept, deepest first
  (``accumulated``), as kustomize applies each; an Application's ``components`` come after
  the kustomization's own (``appended``);
- a ``helmCharts`` entry's values are read into its ``valuesInline`` as kustomize and helm
  merge them (``chart_values_inlined``): the chart's values.yaml, its ``valuesFile``, its
  ``valuesInline`` and its ``additionalValuesFiles``; the chart's values, wherever written.

Two environments' views compare entry by entry where kustomize applies entries
independently of their order (``paired_entries``): patches and generators.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from platecheck.errors import PlatecheckError
from platecheck.kustomize_patches import kind_name
from platecheck.kustomize_tree import chart_directory, repository_layer
from platecheck.model import KeyPath, MergedValues, Origin
from platecheck.values import Layer, merge_values
from platecheck.yamlio import first_document

_NAMED = ("images", "replicas")  # kustomization lists whose entries apply by name
# kustomization lists whose entries are known by what they are, not where they are listed,
# and how, best first: a patch by the file it reads, the resources it targets or the object
# it names (a strategic-merge patch written inline); a generator by the name it generates
_IDENTIFIED = {"patches": ("path", "target", "object"),
               "patchesStrategicMerge": ("path", "object"),
               "patchesJson6902": ("path", "target"),
               "configMapGenerator": ("name",), "secretGenerator": ("name",)}
# kustomization lists an Application's ``kustomize`` adds its entries to, after the
# kustomization's own (Argo CD's ``kustomize edit add``), beside its patches
# (``accumulated``)
_APPENDED = ("components",)


# a kustomization's header, optional and defaulted by kustomize: no setting of the build
_HEADER = ("apiVersion", "kind", "metadata")


def settings(kustomization: Any) -> dict[str, Any]:
    """What a kustomization sets, as its values: its document without its header."""
    if not isinstance(kustomization, dict):
        return {}
    return {key: value for key, value in kustomization.items() if key not in _HEADER}


def accumulated(merged: MergedValues, layers: Sequence[Layer]) -> MergedValues:
    """``merged`` (the values of ``layers``, a list of the highest replacing the others')
    with each patch and generator list holding the entries of every layer, deepest first,
    each at its origin: kustomize applies a base's and a component's patches and generators
    as well as the overlay's, and an Application's patches after them."""
    data, origins = dict(merged.data), dict(merged.origins)
    for key in _IDENTIFIED:
        parts = [layer for layer in layers if isinstance(layer.data.get(key), list)]
        if len(parts) < 2:
            continue
        data[key] = []
        origins = {path: origin for path, origin in origins.items() if path[:1] != (key,)}
        for layer in parts:
            own = merge_values(None, [dataclasses.replace(layer, data={key: layer.data[key]})])
            offset = len(data[key])
            data[key] = [*data[key], *own.data[key]]
            for path, origin in own.origins.items():
                if len(path) > 1 and isinstance(path[1], int):
                    origins[(key, path[1] + offset, *path[2:])] = origin
                else:
                    origins.setdefault(path, origin)
    return MergedValues(data=data, origins=origins)


def appended(own: MergedValues, merged: MergedValues, spec: Mapping[str, Any]
              ) -> MergedValues:
    """``merged`` (the kustomizations' values under the Application's ``kustomize``) with
    the lists the Application appends to holding the kustomizations' entries (``own``) and
    then its own, each entry's origin kept: not its own replacing them."""
    data, origins = dict(merged.data), dict(merged.origins)
    for key in _APPENDED:
        before, added = own.data.get(key), spec.get(key)
        if not isinstance(before, list) or not isinstance(added, list):
            continue
        data[key] = [*before, *merged.data[key]]
        origins = {path: origin for path, origin in origins.items() if path[:1] != (key,)}
        origins.update((path, origin) for path, origin in own.origins.items()
                       if path[:1] == (key,))
        for path, origin in merged.origins.items():
            if path[:1] != (key,):
                continue
            index = path[1] if len(path) > 1 else None
            if isinstance(index, int):
                origins[(key, index + len(before), *path[2:])] = origin
            elif index is None:
                origins[path] = origin
    return MergedValues(data=data, origins=origins)


def entries_by_name(layer: Layer, images: dict[str, str] | None = None) -> Layer:
    """``layer`` with its ``images`` and ``replicas`` entries keyed by their ``name``, so that
    the values of several kustomizations merge per image as kustomize applies them (an
    overlay's entry over its base's for one image, each kept for different ones).

    ``images``: shared by the layers of one build, each called in turn from the deepest:
    the name each image has after the layers so far -> the key its entries merge by (the
    name its first entry gives it). An entry of a name a layer below gave an image merges
    with theirs, whatever new name it gives it in turn (a base's ``web:1.0.0`` and an
    overlay's ``ghcr.io/acme/web:1.2.0`` of it are one image's values)."""
    images = {} if images is None else images
    data, lines, places = dict(layer.data), dict(layer.lines), dict(layer.places)
    for key in _NAMED:
        entries = data.get(key)
        if not isinstance(entries, list):
            continue
        named: dict[str, Any] = {}
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            # an image a kustomization renames is known by its new name above it: an
            # overlay's entry of the old name no longer applies to it
            name = entry["name"] if key != "images" else images.pop(entry["name"], None) \
                or str(entry.get("newName") or entry["name"])
            if key == "images":
                images[str(entry.get("newName") or entry["name"])] = name
            named[name] = entry
            prefix = (key, index)
            for path, line in layer.lines.items():
                if path[:2] == prefix:
                    lines[(key, name, *path[2:])] = line
            for path, origin in layer.places.items():  # written in an override file
                if path[:2] == prefix:
                    places[(key, name, *path[2:])] = origin
        data[key] = named
    return Layer(data, layer.file, lines, layer.line, places)


def images_by_name(values: MergedValues) -> MergedValues:
    """``values`` with each ``images`` entry keyed by the image it replaces (its ``name``)
    rather than by the name it was merged by (``entries_by_name``: its ``newName``, for the
    kustomizations above it): two environments that pull one image from different
    registries set the same key, the new name and tag being its values. When two entries
    replace images of one name (an overlay's entry of a name its base renamed, which no
    longer applies to the renamed image), the entries keep the keys they were merged by."""
    images = values.data.get("images")
    if not isinstance(images, dict):
        return values
    keys = {key: entry["name"] if isinstance(entry, dict) and isinstance(entry.get("name"), str)
            else key for key, entry in images.items()}
    if len(set(keys.values())) < len(keys) or all(key == new for key, new in keys.items()):
        return values
    origins = {(path[0], keys.get(path[1], path[1]), *path[2:])
               if path[:1] == ("images",) and len(path) > 1 else path: origin
               for path, origin in values.origins.items()}
    return MergedValues(data={**values.data, "images": {
        keys[key]: entry for key, entry in images.items()}}, origins=origins)


def chart_values_inlined(values: MergedValues, root: Path) -> MergedValues:
    """``values`` with each ``helmCharts`` entry's values as helm gets them read into its
    ``valuesInline``, each key keeping where it was written: the chart's own values.yaml
    (of a chart vendored in this repository), under the file kustomize writes of the
    ``valuesFile`` (the chart's values.yaml when none is named) and the inline values, the
    inline ones over the file's (``valuesMerge: override``, the default), the file's over
    the inline ones (``merge``) or the inline ones alone (``replace``; without inline
    values, the file as it is; ``_kyaml_merged`` for the nulls), then each of
    ``additionalValuesFiles`` in order, which kustomize passes as later ``-f`` files.
    Two environments setting the same chart values, one in a file and one inline, then
    compare alike, and a rendered value points at the file that gave it."""
    charts = values.data.get("helmCharts")
    if not isinstance(charts, list):
        return values
    entries, origins = list(charts), dict(values.origins)
    for index, entry in enumerate(charts):
        prefix: KeyPath = ("helmCharts", index)
        where = values.origins.get(prefix)
        layers = _entry_layers(entry, where, values, prefix, root) \
            if isinstance(entry, dict) and where is not None else None
        if layers is None:
            continue
        merged = merge_values(None, layers)
        inline_key = (*prefix, "valuesInline")
        entries[index] = {**{k: v for k, v in entry.items() if k not in _READ},
                          "valuesInline": merged.data}
        read = {(*prefix, key) for key in ("valuesInline", *_READ)}
        origins = {path: origin for path, origin in origins.items() if path[:3] not in read}
        origins.update(((*inline_key, *path), origin) for path, origin in merged.origins.items())
    return MergedValues(data={**values.data, "helmCharts": entries}, origins=origins)


_READ = ("valuesFile", "additionalValuesFiles")  # a helmCharts entry's files of values


def _entry_layers(entry: Mapping[str, Any], where: Origin, values: MergedValues,
                  prefix: KeyPath, root: Path) -> list[Layer] | None:
    """The values of a ``helmCharts`` entry (written at ``where``), lowest precedence first
    (``chart_values_inlined``); None when a file it names is a URL or cannot be read (the
    build reports what kustomize cannot read), or when it reads no file at all."""
    directory = (root / where.file).parent
    defaults = _chart_defaults(entry, where, root)
    named = entry.get("valuesFile")
    read = _values_file(directory, named, root) if named else defaults
    additional = entry.get("additionalValuesFiles") or []
    extra = [_values_file(directory, name, root) for name in additional] \
        if isinstance(additional, list) else [None]
    if (named and read is None) or None in extra or (read is None and not extra):
        return None
    inline_key = (*prefix, "valuesInline")
    written = entry.get("valuesInline")
    inline = Layer(written if isinstance(written, dict) else {}, where.file, places={
        path[len(inline_key):]: origin for path, origin in values.origins.items()
        if path[:len(inline_key)] == inline_key})
    # without inline values kustomize passes the values file as it is, whatever the merge
    merge = str(entry.get("valuesMerge")) if inline.data else "override"
    if merge == "replace":  # the inline values marshalled as they are: helm gets their nulls
        order = [inline]
    elif merge == "merge":
        order = [inline] if read is None else _kyaml_merged(inline, read)
    else:
        order = _kyaml_merged(read, inline)
    return [*([defaults] if defaults else []), *order, *(layer for layer in extra if layer)]


def _kyaml_merged(dest: Layer | None, source: Layer) -> list[Layer]:
    """The values file kustomize writes of ``source`` merged over ``dest`` (kyaml's
    ``merge2.Merge``), as two layers: a null in ``source`` clears the key from the file
    rather than reaching helm, which then gives the key the chart's default; a null in
    ``dest`` that ``source`` leaves alone stays, and helm deletes the key."""
    nulls = list(_null_paths(source.data, ()))
    kept = [] if dest is None else [dataclasses.replace(dest, data=_without(dest.data, nulls))]
    return [*kept, dataclasses.replace(source, data=_without(source.data, nulls))]


def _null_paths(data: Mapping[str, Any], path: KeyPath) -> Iterator[KeyPath]:
    for key, value in data.items():
        if value is None:
            yield (*path, key)
        elif isinstance(value, Mapping):
            yield from _null_paths(value, (*path, key))


def _without(data: Mapping[str, Any], paths: list[KeyPath]) -> dict[str, Any]:
    """A copy of ``data`` without the keys at ``paths``."""
    copied = copy.deepcopy(dict(data))
    for path in paths:
        node: Any = copied
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return copied


def _chart_defaults(entry: Mapping[str, Any], where: Origin, root: Path) -> Layer | None:
    """The values.yaml of the chart a ``helmCharts`` entry inflates, where kustomize looks
    for the chart (``chart_directory`` of the kustomization's ``helmGlobals.chartHome``,
    default ``charts``); None when it is not in this repository."""
    kustomization = repository_layer(root / where.file, root)
    globals_ = kustomization.data.get("helmGlobals") if kustomization else None
    home = str((globals_ if isinstance(globals_, dict) else {}).get("chartHome") or "charts")
    if not entry.get("name"):
        return None
    chart = (root / where.file).parent / chart_directory(home, entry)
    return repository_layer(Path(os.path.normpath(chart / "values.yaml")), root)


def _values_file(directory: Path, name: Any, root: Path) -> Layer | None:
    """A values file a ``helmCharts`` entry names, relative to the directory of the
    kustomization that writes it, as a layer; None for a URL or a file that cannot be
    read."""
    if not isinstance(name, str) or not name or urlsplit(name).scheme:
        return None
    return repository_layer(directory / name, root)


def paired_entries(left: MergedValues, right: MergedValues
                   ) -> tuple[MergedValues, MergedValues]:
    """Two environments' views with the entries of their patch and generator lists keyed by
    what they are (``_IDENTIFIED``): a patch by its ``path``, else its ``target``
    (``Deployment/web``), else the object an inline strategic-merge patch names; a generator
    by its ``name``. Kustomize applies each on its own, so one environment listing one more
    patch, or listing them in another order, sets the same keys for the others. Entries
    that match in no way are paired in their order, as a last resort, each pair known by
    the left one's key; an entry left over is known by its own key (its index when it has
    none), set on its side only."""
    data = [dict(left.data), dict(right.data)]
    origins = [dict(left.origins), dict(right.origins)]
    for key, ways in _IDENTIFIED.items():
        first, second = left.data.get(key), right.data.get(key)
        if not isinstance(first, list) or not isinstance(second, list):
            continue
        lists = (first, second)
        keys = _entry_keys(lists[0], lists[1], ways)
        for side in (0, 1):
            data[side][key] = {keys[side][index]: entry
                               for index, entry in enumerate(lists[side])}
            origins[side] = {
                (key, keys[side][path[1]], *path[2:])
                if path[:1] == (key,) and len(path) > 1 and isinstance(path[1], int) else path:
                origin for path, origin in origins[side].items()}
    return (MergedValues(data=data[0], origins=origins[0]),
            MergedValues(data=data[1], origins=origins[1]))


def _entry_keys(left: list[Any], right: list[Any], ways: tuple[str, ...]
                ) -> tuple[list[str | int], list[str | int]]:
    """The key of each entry of two lists (``paired_entries``): the same for a pair."""
    found = [[_identities(entry, ways) for entry in entries] for entries in (left, right)]
    keys: tuple[list[str | int | None], list[str | int | None]] = (
        [None] * len(left), [None] * len(right))
    for way in ways:
        for index, identities in enumerate(found[0]):
            mate = next((other for other, theirs in enumerate(found[1])
                         if keys[1][other] is None and way in identities
                         and theirs.get(way) == identities[way]), None)
            if keys[0][index] is None and mate is not None:
                keys[0][index] = keys[1][mate] = identities[way]
    rest = [[index for index, key in enumerate(side) if key is None] for side in keys]
    for one, other in zip(rest[0], rest[1], strict=False):
        keys[0][one] = keys[1][other] = _own_key(found[0][one], one)
    for side in (0, 1):
        for index in rest[side][len(rest[1 - side]):]:
            keys[side][index] = _own_key(found[side][index], index)
    return _distinct(keys[0]), _distinct(keys[1])


def _identities(entry: Any, ways: tuple[str, ...]) -> dict[str, str]:
    """The ways a patch or generator entry can be known (``_IDENTIFIED``) and what it is
    known as in each."""
    if isinstance(entry, str):  # ``patchesStrategicMerge``: a file, or the patch itself
        entry = {"patch": entry} if "\n" in entry.strip() else {"path": entry}
    if not isinstance(entry, dict):
        return {}
    found: dict[str, str] = {}
    for way in ways:
        value = entry.get("patch") if way == "object" else entry.get(way)
        if way == "target" and isinstance(value, dict):
            found[way] = _target(value)
        elif way == "object" and isinstance(value, str):
            named = _patched_object(value)
            if named:
                found[way] = named
        elif way in ("path", "name") and isinstance(value, str) and value:
            found[way] = value
    return found


def _target(target: Mapping[str, Any]) -> str:
    """A patch's ``target``: ``Kind/name``, its other selectors after it."""
    kind, name = (str(target.get(key) or "*") for key in ("kind", "name"))
    rest = [f"{key}={target[key]}" for key in ("group", "version", "namespace",
                                               "labelSelector", "annotationSelector")
            if target.get(key)]
    return ",".join([f"{kind}/{name}", *rest])


def _patched_object(patch: str) -> str | None:
    """``Kind/name`` of the object a strategic-merge patch written inline names, if any."""
    try:
        document = first_document(patch, "patch").data
    except PlatecheckError:
        return None
    if not isinstance(document, dict):
        return None  # a JSON 6902 patch: its operations name no object
    kind, name = kind_name(document)
    return f"{kind}/{name}" if kind and name else None


def _own_key(identities: Mapping[str, str], index: int) -> str | int:
    return next(iter(identities.values()), index)


def _distinct(keys: list[str | int | None]) -> list[str | int]:
    """``keys`` with a key that comes again (two patches of one target) told apart by how
    many times it came: ``Deployment/web#2``, the same on both sides when they list alike."""
    seen: dict[str | int, int] = {}
    distinct: list[str | int] = []
    for key in keys:
        assert key is not None
        seen[key] = seen.get(key, 0) + 1
        distinct.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return distinct
