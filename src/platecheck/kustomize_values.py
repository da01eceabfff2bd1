"""The values view of a Kustomize target: its kustomizations merged, highest precedence last,
as env-consistency compares them and findings point into them.

- ``images`` and ``replicas`` entries apply by name (``entries_by_name``); an image entry is
  then known by the image it replaces (``images_by_name``);
- an Application's ``kustomize.patches`` and ``components`` come after the kustomization's
  own (``appended``);
- a ``helmCharts`` entry's ``valuesFile`` is read into its ``valuesInline`` as kustomize
  merges them (``chart_values_inlined``): the chart's values, wherever written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from platecheck.kustomize_tree import repository_layer
from platecheck.model import KeyPath, MergedValues, Origin
from platecheck.values import Layer, merge_values

_NAMED = ("images", "replicas")  # kustomization lists whose entries apply by name
# kustomization lists an Application's ``kustomize`` adds its entries to, after the
# kustomization's own (Argo CD's ``kustomize edit add``)
_APPENDED = ("patches", "components")


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


def entries_by_name(layer: Layer) -> Layer:
    """``layer`` with its ``images`` and ``replicas`` entries keyed by their ``name``, so that
    the values of several kustomizations merge per image as kustomize applies them (an
    overlay's entry over its base's for one image, each kept for different ones)."""
    data, lines = dict(layer.data), dict(layer.lines)
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
            name = str(entry.get("newName") or entry["name"]) if key == "images" \
                else entry["name"]
            named[name] = entry
            prefix = (key, index)
            for path, line in layer.lines.items():
                if path[:2] == prefix:
                    lines[(key, name, *path[2:])] = line
        data[key] = named
    return Layer(data, layer.file, lines, layer.line)


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
    """``values`` with each ``helmCharts`` entry's ``valuesFile`` (of this repository) read
    into its ``valuesInline`` as kustomize merges them: the inline values over the file's
    (``valuesMerge: override``, the default), the file's over the inline ones (``merge``),
    or the inline ones alone (``replace``); each key keeps where it was written. Two
    environments setting the same chart values, one in a file and one inline, then compare
    alike."""
    charts = values.data.get("helmCharts")
    if not isinstance(charts, list) or not any(
            isinstance(entry, dict) and isinstance(entry.get("valuesFile"), str)
            for entry in charts):
        return values
    entries, origins = list(charts), dict(values.origins)
    for index, entry in enumerate(charts):
        prefix: KeyPath = ("helmCharts", index)
        where = values.origins.get((*prefix, "valuesFile"))
        read = _values_file(entry, where, root) if isinstance(entry, dict) else None
        if read is None:
            continue
        inline_key = (*prefix, "valuesInline")
        inline = Layer(entry.get("valuesInline") if isinstance(entry.get("valuesInline"), dict)
                       else {}, where.file if where else "", places={
            path[len(inline_key):]: origin for path, origin in values.origins.items()
            if path[:len(inline_key)] == inline_key})
        order = {"replace": [inline], "merge": [inline, read]}.get(
            str(entry.get("valuesMerge")), [read, inline])
        merged = merge_values(None, order)
        entries[index] = {**{k: v for k, v in entry.items() if k != "valuesFile"},
                          "valuesInline": merged.data}
        origins = {path: origin for path, origin in origins.items()
                   if path[:3] not in (inline_key, (*prefix, "valuesFile"))}
        origins.update(((*inline_key, *path), origin) for path, origin in merged.origins.items())
    return MergedValues(data={**values.data, "helmCharts": entries}, origins=origins)


def _values_file(entry: Mapping[str, Any], where: Origin | None, root: Path) -> Layer | None:
    """The ``valuesFile`` of a ``helmCharts`` entry, relative to the kustomization that
    writes it (``where``), as a layer; None for a URL or a file that cannot be read (the
    build reports what kustomize cannot read)."""
    name = entry.get("valuesFile")
    if not isinstance(name, str) or where is None or urlsplit(name).scheme:
        return None
    return repository_layer((root / where.file).parent / name, root)
