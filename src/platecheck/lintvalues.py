"""The values ``helm lint`` renders a chart with, written into the chart, where that is exact.

helm lints several charts in one process only when no value files are given (``render``:
with value files, lint coalesces each chart's ``values.yaml`` into the one map every path
shares). A lint with value files can still share a process when its copy of the chart holds,
as its ``values.yaml``, the values the lint would have rendered with: the value files merged
(``-f`` in order, maps deeply, later wins), then the chart's ``values.yaml`` under them.

That gives helm the same values only where Helm's coalescing is a plain deep merge
(Helm 3.17 ``pkg/chartutil/coalesce.go``, Helm 4.1 ``pkg/chart/common/util/coalesce.go``;
the lint rules ``ValuesWithOverrides`` and ``Templates``), so the values are written only when:

- the chart has a ``values.yaml`` (without one lint says so; with one it would not) and no
  ``.helmignore`` line that could leave it out;
- no ``null`` in the value files' merge (a user ``null`` deletes the chart's key), nor in
  the chart's values under a key the value files set; a chart's ``null`` elsewhere is copied
  whole, then deleted, alike either way (lint coalesces the values twice, in its
  ``Templates`` rule and in ``ToRenderValues``, and the second deletes them);
- no key is a table on one side and something else on the other (helm warns and keeps one);
- no value that is not a table replaces a table of a dependency's defaults where the chart's
  own values set nothing: with value files helm warns of it (the lint first writes the
  dependencies' defaults under the chart's values, ``processImportValues``), on the copy it
  does not;
- the chart imports no values from its dependencies (``import-values`` reads the
  dependencies' values under the chart's defaults, never the user's) and has no
  ``requirements.yaml``;
- every key is a string and every value a string, boolean, integer, finite float or a list
  of them, each written as JSON that helm reads back the same (it reads every number as a
  float64, as it reads value files; no character YAML refuses unescaped).

A dependency's defaults still come from the dependency, in the same order as without this
(the user's values, then the chart's, then the dependency's). What could differ from there
on, a table against a dependency's non-table, makes helm warn on stderr. When the value
files set no key of a dependency and no ``global``, helm coalesces every dependency's
defaults with the same values either way and warns alike; otherwise a lint that logs
anything is run again with its value files (``render``).
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from platecheck.boundedread import is_regular_file
from platecheck.dependencies import vendored_defaults
from platecheck.model import Chart, ValuesFile

# characters json.dumps leaves as they are that YAML refuses unescaped or reads as a line
# break (YAML 1.1: NEL, LS, PS)
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


class HeldValues(NamedTuple):
    """A ``values.yaml`` for a lint's copy of the chart (``lint_values``)."""

    text: str
    # whether what helm logs on stderr is what it logs for the lint with value files: the
    # value files set no key of a dependency and no ``global``, so every dependency's
    # defaults are coalesced with the same values either way
    logs_alike: bool


def lint_values(chart: Chart, chart_values: ValuesFile | None,
                value_files: Sequence[ValuesFile]) -> HeldValues | None:
    """The ``values.yaml`` that makes ``helm lint`` of ``chart`` without value files render
    with what it renders with ``value_files``; None where that is not exact."""
    if chart_values is None or not _plain_chart(chart):
        return None
    user: dict[str, Any] = {}
    for values in value_files:
        user = _merge_maps(user, values.data)
    own = chart_values.data
    # a chart's null outside what the value files set goes the same way either way: copied
    # with the key the user does not set, then deleted by lint's second coalescing
    if not (_plain(user) and all(_plain(value, nulls=key not in user)
                                 for key, value in own.items())):
        return None
    merged = _coalesce(user, own)
    if merged is None:
        return None
    dependencies = _Dependencies(_declared(chart), vendored_defaults(chart.path / "charts"))
    if _hides_dependency_tables(dependencies, user, own):
        return None
    text = json.dumps(merged, ensure_ascii=False, allow_nan=False, sort_keys=True)
    return HeldValues(text, not _reaches_dependencies(dependencies, set(user)))


class _Dependencies(NamedTuple):
    """A chart's dependencies: the key each declared one's values go under (its alias, else
    its name) -> its name; and what ``charts/`` holds (``vendored_defaults``)."""

    declared: Mapping[Any, Any]
    vendored: Mapping[str, tuple[dict[str, Any], bool] | None] | None


def _declared(chart: Chart) -> dict[Any, Any]:
    dependencies = chart.metadata.get("dependencies")
    return {d.get("alias") or d.get("name"): d.get("name")
            for d in (dependencies if isinstance(dependencies, list) else ())
            if isinstance(d, Mapping)}


def _reaches_dependencies(dependencies: _Dependencies, keys: set[str]) -> bool:
    """Whether ``keys`` (of the user's values) hold ``global`` or the name of a dependency
    (named or aliased in Chart.yaml, or in ``charts/``)."""
    if not keys:
        return False
    if dependencies.vendored is None:
        return True
    names = {"global", *dependencies.vendored, *(
        name for pair in dependencies.declared.items() for name in pair if isinstance(name, str))}
    return bool(keys & names)


_ABSENT, _UNKNOWN = object(), object()  # nothing set there; a dependency's defaults not read


def _hides_dependency_tables(dependencies: _Dependencies, user: Mapping[str, Any],
                             own: Mapping[str, Any]) -> bool:
    """Whether ``user`` sets, under a dependency's key, a value that is not a table where
    the chart's own values (``own``) set nothing and the dependency's defaults may hold a
    table."""
    aliases, vendored = dependencies
    for key, value in user.items():
        if key == "global" or (vendored is not None and key not in aliases
                               and key not in vendored):
            continue
        name = aliases.get(key, key)
        # a dependency not in charts/ is not loaded: it has no defaults
        found = None if vendored is None or not isinstance(name, str) else vendored.get(
            name, ({}, False))
        mine = own.get(key, _ABSENT)
        if found is not None and isinstance(value, Mapping) and (
                mine is _ABSENT or isinstance(mine, Mapping)):
            defaults, vendors = found
            # a key the dependency's values lack may be a chart it vendors
            if any(_shadows(below, mine.get(k, _ABSENT) if isinstance(mine, Mapping)
                            else _ABSENT, defaults.get(k, _UNKNOWN if vendors else _ABSENT))
                   for k, below in value.items()):
                return True
        elif _shadows(value, mine, _UNKNOWN if found is None else found[0]):
            return True
    return False


def _shadows(user: Any, own: Any, default: Any) -> bool:
    """Whether ``user`` (or a value below it) is not a table where ``own`` sets nothing
    and ``default`` holds, or may hold, a table."""
    if own is not _ABSENT and not isinstance(own, Mapping):
        return False  # the chart's own value is replaced, silently either way
    table = default is _UNKNOWN or isinstance(default, Mapping)
    if not isinstance(user, Mapping):
        return own is _ABSENT and table
    if not table:
        return False  # a table over a dependency's non-table: helm warns on the copy too
    return any(_shadows(value,
                        own.get(key, _ABSENT) if isinstance(own, Mapping) else _ABSENT,
                        default.get(key, _ABSENT) if isinstance(default, Mapping) else _UNKNOWN)
               for key, value in user.items())


def _plain_chart(chart: Chart) -> bool:
    if (chart.path / "requirements.yaml").exists():
        return False
    dependencies = chart.metadata.get("dependencies")
    if isinstance(dependencies, list) and any(
            isinstance(d, Mapping) and d.get("import-values") for d in dependencies):
        return False
    helmignore = chart.path / ".helmignore"
    if not helmignore.exists():
        return True
    if not is_regular_file(helmignore):  # a named pipe is never read; the copy refuses it
        return False
    try:
        ignore = helmignore.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in ignore.splitlines():
        pattern = line.strip().lstrip("!").strip("/")
        if pattern and not line.lstrip().startswith("#") and (
                "**" in pattern or fnmatch.fnmatchcase("values.yaml", pattern)):
            return False
    return True


def _merge_maps(into: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's ``mergeMaps`` of two value files (pkg/cli/values/options.go)."""
    out = dict(into)
    for key, value in values.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge_maps(out[key], value)
        else:
            out[key] = value
    return out


def _plain(value: Any, nulls: bool = False) -> bool:
    """Only string keys, scalars JSON carries to helm unchanged, and no null (with
    ``nulls``: nulls too)."""
    if value is None:
        return nulls
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and not _UNSAFE.search(k) and _plain(v, nulls)
                   for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(item, nulls) for item in value)
    if isinstance(value, str):
        return not _UNSAFE.search(value)
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (bool, int))


def _coalesce(user: Mapping[str, Any], chart: Mapping[str, Any]) -> dict[str, Any] | None:
    """``user`` over ``chart``, maps merged deeply; None where a key is a map on one side
    only (helm would warn and keep one)."""
    out = dict(chart)
    for key, value in user.items():
        default = chart.get(key)
        if key not in chart:
            out[key] = value
        elif isinstance(value, Mapping) and isinstance(default, Mapping):
            below = _coalesce(value, default)
            if below is None:
                return None
            out[key] = below
        elif isinstance(value, Mapping) or isinstance(default, Mapping):
            return None
        else:
            out[key] = value
    return out
