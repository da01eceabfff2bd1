"""Helm values after merging, with the file and line that set every key.

Helm merges the user-supplied values first (``-f`` files in order, later wins; maps merge
deeply, anything else replaces; ``null`` is kept), then coalesces them with the chart's
``values.yaml``, where a user ``null`` deletes the chart's key.
https://helm.sh/docs/chart_template_guide/values_files/#deleting-a-default-key

What templates read has no ``null`` left (``merge_values``); what helm validates against the
chart's ``values.schema.json`` has the others: a chart's own ``key:`` with no value, and a
user ``null`` for a key the chart does not have (``keep_nulls``; Helm's ``coalesceValues``
and ``coalesceTablesFullKey`` copy a chart value whatever it is, and delete only a key the
user set to ``null``).

Argo CD passes value files, then ``values``/``valuesObject``, then ``parameters`` (as
``--set``), so its precedence is parameters > valuesObject > values > valueFiles > chart.
Parameters reach helm as ``--set`` arguments; here they are layers only when
``platecheck.helmargs.parameter_layer`` can read them without Helm's parser.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from platecheck.model import KeyPath, MergedValues, Origin, RenderTarget, ValuesFile, scalars


@dataclass(frozen=True)
class Layer:
    """One source of values: its data, its file and the line of each key path."""

    data: Mapping[str, Any]
    file: str
    lines: Mapping[KeyPath, int] = field(default_factory=dict)
    line: int | None = None  # used for key paths without a line of their own
    places: Mapping[KeyPath, Origin] = field(default_factory=dict)  # those written elsewhere
    sets: KeyPath | None = None  # a parameter: ``data`` holds one value, at this key path

    def origin(self, path: KeyPath) -> Origin:
        """Where the longest prefix of ``path`` this layer knows is written."""
        return self.origins_along(path)[-1] if path else Origin(self.file, self.line)

    def origins_along(self, path: KeyPath) -> list[Origin]:
        """``origin`` of each prefix of ``path``, shortest first, in one walk down (a walk
        back from each prefix would take time cubic in the depth of a deep ``--set``)."""
        found, here = [], Origin(self.file, self.line)
        for depth in range(1, len(path) + 1):
            probe = path[:depth]
            if probe in self.places:
                here = self.places[probe]
            elif probe in self.lines:
                here = Origin(self.file, self.lines[probe])
            found.append(here)
        return found

    @classmethod
    def of(cls, values: ValuesFile) -> Layer:
        return cls(values.data, values.rel, values.lines, 1)


def target_layers(target: RenderTarget) -> list[Layer]:
    """The user-supplied layers of a target, in override order."""
    layers = [Layer.of(values) for values in target.value_files]
    inline_lines, inline_places = target.inline_lines, target.inline_places
    for index, (data, origin) in enumerate(target.inline_values):
        lines = inline_lines[index] if index < len(inline_lines) else {}
        places = inline_places[index] if index < len(inline_places) else {}
        sets = target.inline_sets[index] if index < len(target.inline_sets) else None
        layers.append(Layer(data, origin.file, lines, origin.line, places, sets))
    return layers


def merge_values(chart_values: ValuesFile | None, user: Sequence[Layer], *,
                 keep_nulls: bool = False,
                 subcharts: Sequence[tuple[str, ValuesFile]] = ()) -> MergedValues:
    """The values of a render; with ``keep_nulls``, as helm validates them (see above).
    ``subcharts``: the values.yaml of subcharts by the key their values go under, coalesced
    below the chart's own as helm's ``coalesceDeps`` does."""
    origins: dict[KeyPath, Origin] = {}
    merged: dict[str, Any] = {}
    for layer in user:
        if layer.sets is None:
            _merge(merged, layer.data, (), layer, origins)
        else:
            _set(merged, layer.sets, layer, origins)
    if chart_values is not None:
        _coalesce(merged, chart_values.data, (), Layer.of(chart_values), origins, keep_nulls)
    for key, defaults in subcharts:
        below = merged.setdefault(key, {}) if key not in merged or merged[key] is not None \
            else None  # a user's null for the subchart's key leaves it none of its own
        if isinstance(below, dict):
            _coalesce(below, defaults.data, (key,), _under(key, defaults), origins, keep_nulls)
    if not keep_nulls:
        _drop_nulls(merged, (), origins)
    return MergedValues(data=merged, origins=origins)


def _under(key: str, values: ValuesFile) -> Layer:
    """A subchart's values.yaml as a layer of its parent's values, below ``key``."""
    return Layer(values.data, values.rel, {(key, *path): line
                                           for path, line in values.lines.items()}, 1)


def _merge(dst: dict[str, Any], src: Mapping[str, Any], path: KeyPath, layer: Layer,
           origins: dict[KeyPath, Origin]) -> None:
    for key, value in src.items():
        child = (*path, key)
        if isinstance(value, Mapping) and isinstance(dst.get(key), dict):
            origins[child] = layer.origin(child)
            _merge(dst[key], value, child, layer, origins)
        else:
            _forget(origins, child, dst.get(key))
            dst[key] = copy.deepcopy(value)
            _record(value, child, layer, origins)


def _set(merged: dict[str, Any], path: KeyPath, layer: Layer,
         origins: dict[KeyPath, Origin]) -> None:
    """A parameter as Helm's ``--set`` parser writes it into the values before it
    (``strvals.ParseInto``): each map on the way is kept (another value replaced by a map),
    each list kept and padded with ``None`` up to the index, and the value set at the end."""
    value: Any = layer.data
    for key in path:
        value = value[key]
    node: Any = merged
    along = layer.origins_along(path)
    for depth, key in enumerate(path):
        here = path[: depth + 1]
        held = node.get(key) if isinstance(key, str) else (
            node[key] if key < len(node) else None)
        if depth == len(path) - 1:
            _forget(origins, here, held)
            _store(node, key, copy.deepcopy(value))
            _record(value, here, layer, origins)
            return
        wanted: type = list if isinstance(path[depth + 1], int) else dict
        if not isinstance(held, wanted):
            _forget(origins, here, held)
            held = wanted()
            _store(node, key, held)
        origins[here] = along[depth]
        node = held


def _store(node: dict[str, Any] | list[Any], key: str | int, value: Any) -> None:
    if isinstance(node, dict):
        node[str(key)] = value
        return
    assert isinstance(key, int)
    node.extend([None] * (key + 1 - len(node)))
    node[key] = value


def _coalesce(dst: dict[str, Any], chart: Mapping[str, Any], path: KeyPath, layer: Layer,
              origins: dict[KeyPath, Origin], keep_nulls: bool = False) -> None:
    for key, value in chart.items():
        child = (*path, key)
        if key not in dst:
            if value is not None or keep_nulls:
                dst[key] = copy.deepcopy(value)
                _record(value, child, layer, origins)
        elif dst[key] is None:
            del dst[key]  # a user null deletes the chart's default
            _forget(origins, child, None)
        elif isinstance(dst[key], dict) and isinstance(value, Mapping):
            _coalesce(dst[key], value, child, layer, origins, keep_nulls)


def _drop_nulls(data: dict[str, Any], path: KeyPath, origins: dict[KeyPath, Origin]) -> None:
    for key in list(data):
        child = (*path, key)
        if data[key] is None:
            del data[key]
            _forget(origins, child, None)
        elif isinstance(data[key], dict):
            _drop_nulls(data[key], child, origins)


def _record(value: Any, path: KeyPath, layer: Layer, origins: dict[KeyPath, Origin]) -> None:
    origins[path] = layer.origin(path)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _record(item, (*path, key), layer, origins)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _record(item, (*path, index), layer, origins)


def _forget(origins: dict[KeyPath, Origin], path: KeyPath, old: Any) -> None:
    """Drop the origins of ``path`` and of everything in ``old``, the value it held: a walk
    of that value, not a scan of every origin (merging stays linear in the values' size)."""
    origins.pop(path, None)
    if isinstance(old, Mapping):
        for key, item in old.items():
            _forget(origins, (*path, key), item)
    elif isinstance(old, list):
        for index, item in enumerate(old):
            _forget(origins, (*path, index), item)


def non_json_number(values: ValuesFile, name: str) -> int | None:
    """The first line of ``values`` holding a number JSON cannot write, ``name`` being what
    Go's encoder calls it (``NaN``, ``+Inf``, ``-Inf``): Helm converts a values file to JSON
    as it loads it and fails there, naming neither key nor line."""
    return min((values.lines[path] for path, value in scalars(values.data)
                if isinstance(value, float) and _json_name(value) == name
                and path in values.lines), default=None)


def _json_name(number: float) -> str | None:
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "+Inf" if number > 0 else "-Inf"
    return None
