"""Where to edit: the values file line (or template line) behind a rendered value.

Helm does not say which value produced which output, so ``locate`` works backwards: it looks
for merged values whose value equals the rendered one, ranks them by how well their key path
fits the hints (key name, parent key name, context such as the container name or the image
repository), then by override order (an environment's values file beats the chart's defaults),
and answers with the origin that set that value. When no value fits, it points at the template
line that writes the field, then at the template, then at the Application (or Chart.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from platecheck.model import KeyPath, Origin, RenderedTarget, Resource

_MISSING = object()


def locate(
    rendered: RenderedTarget,
    values: Sequence[object] = (),
    *,
    keys: Sequence[str] = (),
    parents: Sequence[str] = (),
    context: Sequence[str] = (),
    path: KeyPath | None = None,
    resource: Resource | None = None,
    fields: Sequence[str] = (),
    anchor: str | None = None,
) -> Origin | None:
    """The origin to report for a rendered value.

    ``values``: the rendered value and alternative spellings of it (e.g. the whole image
    string, then its tag), most specific first. ``keys``: names the values key is expected to have
    (``("tag",)``); ``parents``: names of its parent key (``("limits",)``); ``context``: words
    that should appear in its key path or among its sibling values (container name, image
    repository). ``path``: a known values key path, used instead of searching by value.
    ``resource``/``fields``/``anchor``: the fallback, the line of the first of ``fields``
    in the resource's template, searched from the line naming ``anchor`` when there is one.
    """
    if path is not None:
        origin = _path_origin(rendered, path)
        if origin is not None:
            return origin
    if values:
        origin = _value_origin(rendered, values, keys, parents, context)
        if origin is not None:
            return origin
    if resource is not None and resource.template_file:
        line = template_line(rendered, resource.template_file, fields, anchor)
        return Origin(resource.template_file, line)
    application = rendered.target.application
    if application is not None:
        return Origin(application.file, application.line)
    chart = rendered.target.chart
    if chart is not None:  # a chart directory linted with its values-<env>.yaml
        return Origin(f"{chart.rel}/Chart.yaml", None)
    return None


def at(origin: Origin | None) -> dict[str, Any]:
    """``Finding`` keyword arguments for an origin: ``Finding(..., **at(origin))``."""
    return {"file": origin.file, "line": origin.line} if origin is not None else {}


def template_line(
    rendered: RenderedTarget, template_file: str, fields: Sequence[str], anchor: str | None = None
) -> int | None:
    """The 1-based line of the first of ``fields`` written as a key in a template."""
    text = rendered.templates.get(template_file)
    if text is None or not fields:
        return None
    lines = text.splitlines()
    start = 0
    if anchor:
        named = re.compile(rf"^\s*(?:-\s+)?name:\s*[\"']?{re.escape(anchor)}[\"']?\s*$")
        start = next((i for i, line in enumerate(lines) if named.match(line)), 0)
    for field in fields:
        key = re.compile(rf"^\s*(?:-\s+)?[\"']?{re.escape(field)}[\"']?\s*:")
        for begin in (start, 0) if start else (0,):
            for index in range(begin, len(lines)):
                if key.match(lines[index]):
                    return index + 1
    return None


def _path_origin(rendered: RenderedTarget, path: KeyPath) -> Origin | None:
    """The origin of a key path: the last source in override order that wrote the key."""
    origins = rendered.values.origins
    if path in origins:
        return origins[path]
    target = rendered.target
    for data, inline_origin in target.inline_values[::-1]:
        if _lookup(data, path) is not _MISSING:
            return inline_origin
    for values_file in reversed(target.value_files):
        line = values_file.lines.get(path)
        if line is not None:
            return Origin(values_file.rel, line)
    # A mapping key: the values that set its leaves say where it was written.
    below = [origin for key, origin in origins.items() if key[: len(path)] == path]
    if below:
        rank = _ranker(rendered)
        return min(below, key=lambda o: (-rank(o), o.line or 0))
    return None


def _value_origin(
    rendered: RenderedTarget,
    values: Sequence[object],
    keys: Sequence[str],
    parents: Sequence[str],
    context: Sequence[str],
) -> Origin | None:
    wanted = {_text(value): index for index, value in reversed(list(enumerate(values)))}
    wanted.pop(None, None)
    key_names = {k.lower() for k in keys}
    parent_names = {p.lower() for p in parents}
    context_words = {c.lower() for c in context if c}
    rank = _ranker(rendered)
    best: tuple[tuple[int, ...], Origin] | None = None
    for path, leaf, siblings in _leaves(rendered.values.data):
        text = _text(leaf)
        if text not in wanted:
            continue
        names = [p.lower() for p in path if isinstance(p, str)]
        key_hit = bool(names) and names[-1] in key_names
        parent_hit = len(names) > 1 and names[-2] in parent_names
        around = set(names) | {t for t in map(_text, siblings) if t is not None}
        context_hits = len(context_words & {a.lower() for a in around})
        if key_names and not (key_hit or context_hits):
            continue
        origin = _leaf_origin(rendered, path)
        if origin is None:
            continue
        score = (key_hit, parent_hit, context_hits, rank(origin), -wanted[text])
        if best is None or score > best[0]:
            best = (score, origin)
    return best[1] if best else None


def _leaf_origin(rendered: RenderedTarget, path: KeyPath) -> Origin | None:
    origins = rendered.values.origins
    for end in range(len(path), 0, -1):  # a list is set as a whole: its items share an origin
        origin = origins.get(path[:end])
        if origin is not None:
            return origin
    return _path_origin(rendered, path)


def _ranker(rendered: RenderedTarget) -> Callable[[Origin], int]:
    """Override order of a file: chart defaults 0, value files 1..n, inline values last."""
    files = [values_file.rel for values_file in rendered.target.value_files]
    order = {rel: index + 1 for index, rel in enumerate(files)}
    inline = {origin.file for _, origin in rendered.target.inline_values}

    def rank(origin: Origin) -> int:
        if origin.file in order:
            return order[origin.file]
        if origin.file in inline:
            return len(files) + 1
        return 0  # the chart's own values.yaml (or a file we cannot place)

    return rank


def _leaves(node: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any, tuple[Any, ...]]]:
    """Scalars of a values tree with their key path and their scalar siblings."""
    if isinstance(node, Mapping):
        scalars = tuple(v for v in node.values() if not isinstance(v, Mapping | list))
        for key, value in node.items():
            if isinstance(value, Mapping | list):
                yield from _leaves(value, (*path, str(key)))
            else:
                yield (*path, str(key)), value, scalars
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, Mapping | list):
                yield from _leaves(value, (*path, index))
            else:
                yield (*path, index), value, ()


def _lookup(data: Any, path: KeyPath) -> Any:
    node = data
    for part in path:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return _MISSING
    return node


def _text(value: object) -> str | None:
    """A scalar as helm would print it, so that values and rendered output compare."""
    if value is None or isinstance(value, Mapping | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


__all__ = ["at", "locate", "template_line"]
