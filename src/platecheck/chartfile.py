"""Chart.yaml (and requirements.yaml) as Helm reads it.

Helm decodes these files through JSON (``sigs.k8s.io/yaml``) into its ``Metadata`` and
``Dependency`` structs, so a key names a field whatever its case: ``apiversion: v2`` is
``apiVersion: v2`` to Helm, and ``helm lint`` accepts it. The YAML mapping becomes a JSON
object with its keys sorted, and each key is decoded in turn into the field it matches, exactly
or else ignoring case; so when several keys match one field, the last of them in sorted order
wins, except that a null leaves a string or boolean field as it was. A boolean or number
written for a dependency's string field is read as the text Helm makes of it (``helm_string``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.goyaml import go_key
from platecheck.model import Chart
from platecheck.realpaths import resolve
from platecheck.runmemo import recall
from platecheck.yamlio import first_document, read_text

# each field of Helm's structs -> whether it is a string or a boolean (a null leaves it alone)
CHART_FIELDS = {
    "apiVersion": True, "name": True, "home": True, "sources": False, "version": True,
    "description": True, "keywords": False, "maintainers": False, "icon": True,
    "appVersion": True, "deprecated": True, "annotations": False, "kubeVersion": True,
    "dependencies": False, "type": True,
}
DEPENDENCY_FIELDS = {
    "name": True, "version": True, "repository": True, "condition": True, "tags": False,
    "enabled": True, "import-values": False, "alias": True,
}
_MAINTAINER_FIELDS = {"name": True, "email": True, "url": True}
_NESTED = {"dependencies": DEPENDENCY_FIELDS, "maintainers": _MAINTAINER_FIELDS}


def _fold(key: str) -> str:
    # Go's case-insensitive match of ASCII field names: the long s and the Kelvin sign fold
    # to s and k there too
    return key.lower().replace("\u017f", "s")


def written_key(data: Mapping[Any, Any], field: str, scalar: bool = True) -> str | None:
    """The key of ``data`` whose value Helm reads into ``field`` (``scalar``: a string or
    boolean field, which a null leaves as it was); None when no key gives it a value."""
    folded = _fold(field)
    chosen = None
    for key in sorted(k for k in data if isinstance(k, str) and _fold(k) == folded):
        if not (scalar and data[key] is None):
            chosen = key
    return chosen


def as_helm_reads(data: Mapping[Any, Any], fields: Mapping[str, bool] = CHART_FIELDS
                  ) -> dict[Any, Any]:
    """``data`` with each of ``fields`` under its own name, holding the value Helm reads
    into it (the dependencies and maintainers of a Chart.yaml likewise); keys that match no
    field stay as written."""
    folded = {_fold(name) for name in fields}
    result: dict[Any, Any] = {k: v for k, v in data.items()
                              if not (isinstance(k, str) and _fold(k) in folded)}
    for name, scalar in fields.items():
        key = written_key(data, name, scalar)
        if key is None:
            continue
        value = data[key]
        nested = _NESTED.get(name) if fields is CHART_FIELDS else None
        if nested is not None and isinstance(value, list):
            value = [as_helm_reads(item, nested) if isinstance(item, Mapping) else item
                     for item in value]
        result[name] = value
    return result


_TOP_KEY = re.compile(r"^([^\s#:][^:]*?)\s*:")


def key_line(raw: bytes | None, field: str) -> int | None:
    """The line of the top-level key of a Chart.yaml's bytes that Helm reads ``field`` from."""
    if raw is None:
        return None
    lines: dict[str, int] = {}
    for number, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), 1):
        match = _TOP_KEY.match(line)
        if match is not None:
            lines.setdefault(match.group(1), number)
    written = written_key(lines, field, scalar=False)
    return lines[written] if written is not None else None


def chart_yaml(chart: Chart) -> str:
    """A chart's Chart.yaml, repository-relative ("Chart.yaml" for a chart at the root)."""
    return (PurePosixPath(chart.rel) / "Chart.yaml").as_posix()


@dataclass(frozen=True)
class Dependency:
    name: str
    repository: str
    file: str  # the repository-relative Chart.yaml (or requirements.yaml) declaring it
    line: int | None
    alias: str | None = None  # the name the parent renders it under, when not its own
    version: str = ""  # the version (or range) of the chart it asks for, as written


def declared(chart: Path, root: Path) -> tuple[Dependency, ...]:
    """The dependencies ``chart`` declares, as helm reads them (Chart.yaml, and over it
    requirements.yaml, whatever the apiVersion), read once per run."""
    return recall("declared", (chart, root), lambda: tuple(_declared(chart, root)))


def local_dependencies(chart: Path, root: Path) -> list[Path]:
    """The directories of the charts ``chart`` depends on through ``file://`` (helm renders
    them into it), resolved; none when its dependencies cannot be read (the chart's own
    error says why)."""
    try:
        dependencies = declared(chart, root)
    except PlatecheckError:
        return []
    return [resolve(chart / dep.repository.removeprefix("file://"))
            for dep in dependencies if dep.repository.startswith("file://")]


def _declared(chart: Path, root: Path) -> list[Dependency]:
    """Helm's loader decodes requirements.yaml into the Chart.yaml it read, whatever the
    apiVersion (pkg/chart/loader/load.go): a ``dependencies`` list there replaces
    Chart.yaml's, each entry decoded over Chart.yaml's entry of its index, whose fields it
    does not set stay."""
    result: list[Dependency] = []
    fields: list[dict[Any, Any] | None] = []
    for name in ("Chart.yaml", "requirements.yaml"):
        path = chart / name
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        document = first_document(read_text(path, rel)[1], rel)
        data: Any = document.data
        key = written_key(data, "dependencies", False) if isinstance(data, dict) else None
        if key is None:
            continue
        items = data[key] if isinstance(data[key], list) else []
        before, fields, result = fields, [], []
        for index, written in enumerate(items):
            base = (before[index] if index < len(before) else None) or {}
            item = {**base, **as_helm_reads(written, DEPENDENCY_FIELDS)} \
                if isinstance(written, dict) else None
            fields.append(item)
            named = helm_string(item.get("name")) if item is not None else None
            if item is not None and named is not None:
                alias = helm_string(item.get("alias"))
                result.append(Dependency(named, helm_string(item.get("repository")) or "", rel,
                                         document.lines.get((key, index)), alias or None,
                                         helm_string(item.get("version")) or ""))
    return result


def helm_string(value: Any) -> str | None:
    """A scalar as Helm reads it into a string field of its structs: sigs.k8s.io/yaml's
    ``convertToJSONableObject`` writes a boolean or number it finds there as text (``name:
    on`` is ``"true"``, ``1.10`` is ``"1.1"``: Go's shortest float32); None for anything
    else (a null, a list, a mapping)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return str(go_key(value))
    return None
