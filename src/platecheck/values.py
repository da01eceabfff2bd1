"""Helm values after merging, with the file and line that set every key.

Helm merges the user-supplied values first (``-f`` files in order, later wins; maps merge
deeply, anything else replaces; ``null`` is kept), then coalesces them with the chart's
``values.yaml``, where a user ``null`` deletes the chart's key.
https://helm.sh/docs/chart_template_guide/values_files/#deleting-a-default-key

Argo CD passes value files, then ``values``/``valuesObject``, then ``parameters`` (as
``--set``), so its precedence is parameters > valuesObject > values > valueFiles > chart.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.model import KeyPath, MergedValues, Origin, RenderTarget, ValuesFile


@dataclass(frozen=True)
class Layer:
    """One source of values: its data, its file and the line of each key path."""

    data: Mapping[str, Any]
    file: str
    lines: Mapping[KeyPath, int] = field(default_factory=dict)
    line: int | None = None  # used for key paths without a line of their own

    def origin(self, path: KeyPath) -> Origin:
        probe = path
        while probe:
            if probe in self.lines:
                return Origin(self.file, self.lines[probe])
            probe = probe[:-1]
        return Origin(self.file, self.line)

    @classmethod
    def of(cls, values: ValuesFile) -> Layer:
        return cls(values.data, values.rel, values.lines, 1)


def target_layers(target: RenderTarget) -> list[Layer]:
    """The user-supplied layers of a target, in override order."""
    layers = [Layer.of(values) for values in target.value_files]
    inline_lines = target.inline_lines
    for index, (data, origin) in enumerate(target.inline_values):
        lines = inline_lines[index] if index < len(inline_lines) else {}
        layers.append(Layer(data, origin.file, lines, origin.line))
    return layers


def merge_values(chart_values: ValuesFile | None, user: Sequence[Layer]) -> MergedValues:
    origins: dict[KeyPath, Origin] = {}
    merged: dict[str, Any] = {}
    for layer in user:
        _merge(merged, layer.data, (), layer, origins)
    if chart_values is not None:
        _coalesce(merged, chart_values.data, (), Layer.of(chart_values), origins)
    _drop_nulls(merged, (), origins)
    return MergedValues(data=merged, origins=origins)


def _merge(dst: dict[str, Any], src: Mapping[str, Any], path: KeyPath, layer: Layer,
           origins: dict[KeyPath, Origin]) -> None:
    for key, value in src.items():
        child = (*path, key)
        if isinstance(value, Mapping) and isinstance(dst.get(key), dict):
            origins[child] = layer.origin(child)
            _merge(dst[key], value, child, layer, origins)
        else:
            _forget(origins, child)
            dst[key] = copy.deepcopy(value)
            _record(value, child, layer, origins)


def _coalesce(dst: dict[str, Any], chart: Mapping[str, Any], path: KeyPath, layer: Layer,
              origins: dict[KeyPath, Origin]) -> None:
    for key, value in chart.items():
        child = (*path, key)
        if key not in dst:
            if value is not None:
                dst[key] = copy.deepcopy(value)
                _record(value, child, layer, origins)
        elif dst[key] is None:
            del dst[key]  # a user null deletes the chart's default
            _forget(origins, child)
        elif isinstance(dst[key], dict) and isinstance(value, Mapping):
            _coalesce(dst[key], value, child, layer, origins)


def _drop_nulls(data: dict[str, Any], path: KeyPath, origins: dict[KeyPath, Origin]) -> None:
    for key in list(data):
        child = (*path, key)
        if data[key] is None:
            del data[key]
            _forget(origins, child)
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


def _forget(origins: dict[KeyPath, Origin], path: KeyPath) -> None:
    size = len(path)
    for key in [k for k in origins if k[:size] == path]:
        del origins[key]


# -- helm.parameters ------------------------------------------------------------------------


def parameter_values(name: str, value: str, force_string: bool) -> dict[str, Any]:
    """A ``helm.parameters`` entry as the values mapping ``--set``/``--set-string`` produces.

    Argo CD escapes commas in the value unless it is a ``{a,b}`` list; names use ``.``
    (``\\.`` escapes it) and ``[n]`` list indexes, as Helm's strvals parser does.
    """
    path = _parameter_path(name)
    if value.startswith("{") and value.endswith("}"):
        parsed: Any = [_typed(item, force_string) for item in _split(value[1:-1])]
    else:
        parsed = _typed(_unescape(value), force_string)
    nested = _nest(path, parsed)
    if not isinstance(nested, dict):
        raise PlatecheckError(f"invalid helm parameter name {name!r}")
    return nested


def _parameter_path(name: str) -> list[str | int]:
    parts: list[str | int] = []
    buffer: list[str] = []
    index = 0
    while index < len(name):
        char = name[index]
        if char == "\\" and index + 1 < len(name):
            buffer.append(name[index + 1])
            index += 2
        elif char == ".":
            if buffer:
                parts.append("".join(buffer))
            buffer = []
            index += 1
        elif char == "[":
            close = name.find("]", index)
            number = name[index + 1:close] if close > 0 else ""
            if not number.isdigit():
                raise PlatecheckError(f"invalid list index in helm parameter {name!r}")
            if buffer:
                parts.append("".join(buffer))
            buffer = []
            parts.append(int(number))
            index = close + 1
        else:
            buffer.append(char)
            index += 1
    if buffer:
        parts.append("".join(buffer))
    if not parts or not isinstance(parts[0], str):
        raise PlatecheckError(f"invalid helm parameter name {name!r}")
    return parts


def _nest(path: Sequence[str | int], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        return [None] * head + [_nest(rest, value)]
    return {head: _nest(rest, value)}


def _split(text: str) -> list[str]:
    items, buffer, escaped = [], [], False
    for char in text:
        if escaped:
            buffer.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            items.append("".join(buffer))
            buffer = []
        else:
            buffer.append(char)
    items.append("".join(buffer))
    return items


def _unescape(text: str) -> str:
    """Backslash escapes of a --set value (commas were escaped by Argo CD, so stay)."""
    out: list[str] = []
    escaped = False
    for char in text:
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    return "".join(out)


def _typed(text: str, force_string: bool) -> Any:
    """Helm's strvals typing: true/false/null and integers without a leading zero."""
    if force_string:
        return text
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if lowered == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0":
        try:
            number = int(text, 10)
        except ValueError:
            return text
        if -(2**63) <= number < 2**63 and "_" not in text and text.strip() == text:
            return number
    return text
