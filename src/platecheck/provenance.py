"""Where to edit: the values file line (or template line) behind a rendered value.

Helm does not say which value produced which output, so ``locate`` works backwards: it looks
for merged values whose value equals the rendered one and ranks them: a value equal to the
whole rendered string (an image with its tag) first, then how well the key path fits the
context (the container name, the image repository among the sibling values), then the key
name and the parent key name, then override order (an environment's values file beats the
chart's defaults); it answers with the origin that set the best value. Where a chart's
template reads values for the field through plain ``.Values`` chains only
(``template_reads``), only those keys are candidates. When no value fits, it
points at the template line that writes the field, then at the template, then at the
Application (or Chart.yaml).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypedDict, Unpack

from platecheck.model import (
    Finding,
    KeyPath,
    Origin,
    RenderedTarget,
    RenderTarget,
    Resource,
    SourceType,
)

_MISSING = object()


class ValueHints(TypedDict, total=False):
    """How to recognise a rendered value among the values (``locate``'s docstring)."""

    exact: Sequence[object]
    keys: Sequence[str]
    parents: Sequence[str]
    context: Sequence[str]
    require_key: bool
    require_parent: bool
    up: int
    scope: Sequence[str]
    within: Sequence[KeyPath]


def locate(
    rendered: RenderedTarget,
    values: Sequence[object] = (),
    *,
    path: KeyPath | None = None,
    resource: Resource | None = None,
    fields: Sequence[str] = (),
    anchor: str | None = None,
    anchor_in: tuple[str, int] | None = None,
    written: str | None = None,
    **hints: Unpack[ValueHints],
) -> Origin | None:
    """The origin to report for a rendered value.

    ``values``: the rendered value and alternative spellings of it (e.g. the image tag), most
    specific first. ``exact``: values that name their key by themselves (the whole image
    string): a value equal to one of them ranks above any match of ``values`` and needs no
    key or context hint. ``keys``: names the values key is expected to have (``("tag",)``);
    ``parents``: names of its parent key (``("limits",)``); ``context``: words that should
    appear in its key path or among its sibling values (container name, image repository);
    ``require_key``: only values whose key is one of ``keys`` count; ``up``: answer the
    origin of the key that many levels above the best value (the ``resources`` map that
    holds a quantity, where the last values file wrote it), none when it has no such key.
    ``path``: a known values
    key path, used instead of searching by value. ``resource``/``fields``/``anchor``: the
    fallback, the line of the first of ``fields`` in the resource's template, searched from
    the list entry named ``anchor``; ``anchor_in`` (list key and position, e.g.
    ``("containers", 1)``) finds that entry when the template writes its name with template
    actions. ``written``: a field the template may write the value into as it is (``host:
    b.example.com``): the line that does, in the resource's document, comes first.
    """
    if path is not None:
        origin = _path_origin(rendered, path)
        if origin is not None:
            return origin
    wanted = [*(hints.get("exact") or ()), *values]
    patched = resource if rendered.patches and fields else None  # Kustomize may patch it
    if written and resource is not None and resource.template_file:
        # a patch that writes the value again over what the resource's file writes comes
        # first (a kustomization's images entry, applied after patches, is a value below)
        origin = (_patch_origin(rendered, resource, fields, anchor, anchor_in, wanted)
                  if patched is not None and wanted else None) or next(filter(None, (
                    find(rendered, resource, written, wanted[:1], anchor, anchor_in)
                    for find in (_written_origin, _written_in_helper))), None)
        if origin is not None:
            return origin
    origin = find_value(rendered, values, **_search(rendered, resource, fields, anchor,
                                                    anchor_in, hints))
    if origin is not None:
        return origin
    origin = _patch_field(rendered, patched, fields, anchor, anchor_in, wanted)
    if origin is not None:
        return origin
    if resource is not None and resource.template_file:
        return _template_origin(rendered, resource, resource.template_file, fields, anchor,
                                anchor_in)
    return declaration(rendered, resource) or target_origin(rendered.target)


def _template_origin(rendered: RenderedTarget, resource: Resource, template_file: str,
                     fields: Sequence[str], anchor: str | None,
                     anchor_in: tuple[str, int] | None) -> Origin:
    """``locate``'s last answer: the line of the first of ``fields`` in the resource's
    template, in the entry ``anchor`` names, or where a helper its template includes writes
    that entry."""
    line = template_line(rendered, template_file, fields, anchor, anchor_in, resource.line)
    key = section_key(anchor_in[0]) if anchor_in else ""
    helper = (_helper_origin(rendered, template_file, fields, anchor, key)
              if anchor and key and (line is None or not _in_section(
                  rendered, resource, line, key)) else None)
    return helper or Origin(template_file, line)


# a Go template action, and in it what reads no plain ``.Values`` chain: a helper, a
# variable, a lookup by name, or a field of the scope a ``with``/``range`` set (``.image``, ``.``)
_GO_ACTION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_OPAQUE = re.compile(r"\b(?:include|template|tpl|index|get|pluck|dig|lookup|fromYaml|fromJson)\b"
                     r"|\$[A-Za-z_]"
                     r"|(?<![\w)\]$.])\.(?!(?:Values|Chart|Release|Capabilities|Template)\b)")
_VALUES_CHAIN = re.compile(r"\.Values((?:\.[A-Za-z0-9_]+)*)")


def template_reads(rendered: RenderedTarget, resource: Resource | None, fields: Sequence[str],
                   anchor: str | None, anchor_in: tuple[str, int] | None
                   ) -> tuple[KeyPath, ...] | None:
    """The values key paths a chart's template reads where it writes the first of
    ``fields`` of ``resource`` (the field's line and the lines of its value), when its actions
    read values through plain ``.Values.a.b`` chains only: a rendered value there comes from
    one of those keys or from the template itself (a literal, ``.Chart.AppVersion``), never
    from another key that happens to hold the same text. None when that is not known (no
    such line found, or an action reading values otherwise)."""
    if rendered.target.source_type is not SourceType.HELM or resource is None \
            or not resource.template_file or not fields:
        return None
    text = rendered.templates.get(resource.template_file)
    if text is None:
        return None
    lines, offset = _document_lines(text, resource.line, resource.template_file)
    line = _template_line(lines, fields, anchor, anchor_in, or_entry=False)
    if line is None:
        return None
    column, end = _indent(lines[line - 1]), line
    # the field's value: its own line's, and deeper lines; with none on its line (``key:``),
    # template actions at any column too (``{{ toYaml .Values.x | indent 12 }}`` at 0)
    below = not lines[line - 1].partition(":")[2].split("#")[0].strip(" |>-")
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > column
                                or below and lines[end].lstrip().startswith("{{")):
        end += 1
    written = "\n".join(lines[line - 1:end])
    scope = _dot_at(without_template_comments(text), offset + line - 1)
    if isinstance(scope, str):  # (inside ``with .Values.worker``: ``.image`` is its key)
        written = _GO_ACTION.sub(lambda m: "{{" + _scoped(m.group(1), scope) + "}}", written)
    return _action_reads(_with_values_variables(written, text), rendered.templates, 0)


# an action opening a block, and what it is given (``with .Values.worker``)
_OPENS = re.compile(r"^\s*-?\s*(if|range|with|define|block)\b(.*?)-?\s*$", re.DOTALL)
_CHAIN = re.compile(r"\$?\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')


@functools.lru_cache(maxsize=1024)  # (each field of each container of a template asks)
def _dot_at(text: str, line: int) -> str | None | bool:
    """What ``.`` is at the start of ``line`` (0-based) of a template: None, the root; a
    values chain (``.Values.worker``) the innermost ``with`` that changes it gives it (a
    ``with`` of a field of such a chain too); False, anything else (a ``range``, a ``with``
    of any other value)."""
    start = sum(len(each) + 1 for each in text.split("\n")[:line])
    dots: list[str | None | bool] = [None]
    for match in _GO_ACTION.finditer(text, 0, start):
        action = match.group(1)
        if _END.match(action):
            if len(dots) > 1:
                dots.pop()
            continue
        branch = _ELSE.match(action)  # (an else branch's dot is the block's outer one)
        opened = _OPENS.match(branch.group(1) if branch else action)
        outer = dots[-2] if branch and len(dots) > 1 else dots[-1]
        dot = _dot_of(opened.group(1), opened.group(2).strip(), outer) if opened else outer
        if branch and len(dots) > 1:
            dots[-1] = dot
        elif opened:
            dots.append(dot)
    return dots[-1]


_ELSE = re.compile(r"^\s*-?\s*else\b(.*)$", re.DOTALL)


def _dot_of(keyword: str, given: str, outer: str | None | bool) -> str | None | bool:
    """The dot inside a block ``keyword`` opens with ``given``, ``outer`` the dot around it
    (``_dot_at``)."""
    if keyword in ("range", "define", "block"):
        return False
    if keyword != "with":
        return outer
    if re.fullmatch(r"\$\.Values(?:\.\w+)*", given) \
            or given.startswith(".Values") and outer is None and _CHAIN.fullmatch(given):
        return given.removeprefix("$")
    return f"{outer}{given}" if isinstance(outer, str) and _CHAIN.fullmatch(given) \
        and not given.startswith("$") else False


def _scoped(action: str, chain: str) -> str:
    """An action's fields of the dot read as the values ``chain`` it is (``.image.tag`` as
    ``.Values.worker.image.tag``, ``.`` as ``.Values.worker``); strings and ``$`` chains (the
    root's) as they are."""
    parts = []
    position = 0
    for string in _STRING.finditer(action):
        parts.append(_dot_fields(action[position:string.start()], chain))
        parts.append(string.group(0))
        position = string.end()
    parts.append(_dot_fields(action[position:], chain))
    return "".join(parts)


def _dot_fields(text: str, chain: str) -> str:
    return re.sub(r"(?<![\w)\]$.])\.([A-Za-z_]\w*)?",
                  lambda m: f"{chain}.{m.group(1)}" if m.group(1) else chain, text)


# a variable given a values chain once (``{{- $k := $.Values.kubernetes -}}``), and every
# assignment of a variable
_VALUES_VARIABLE = re.compile(r"\{\{-?\s*\$([A-Za-z_]\w*)\s*:=\s*\$?(\.Values(?:\.[A-Za-z0-9_]+)*)"
                              r"\s*-?\}\}")
_ASSIGNED = re.compile(r"\$([A-Za-z_]\w*)\s*:?=")


@functools.lru_cache(maxsize=256)
def _values_variables(template: str) -> dict[str, str]:
    """The variables ``template`` gives a values chain once, and no other value, with that
    chain (read once per template, whatever number of fields is looked up in it)."""
    assigned = Counter(_ASSIGNED.findall(template))
    return {name: chain for name, chain in _VALUES_VARIABLE.findall(template)
            if assigned[name] == 1}


def _with_values_variables(text: str, template: str) -> str:
    """``text`` with each variable the ``template`` it is part of gives a values chain once,
    and no other value, read as that chain (``$k.apiServer.resources`` as
    ``.Values.kubernetes.apiServer.resources``); the assignments themselves left out."""
    chains = _values_variables(template)
    if not chains:
        return text
    text = _VALUES_VARIABLE.sub(lambda m: "" if m.group(1) in chains else m.group(0), text)
    return re.sub(r"\$([A-Za-z_]\w*)\b(?!\s*:?=)",
                  lambda m: chains.get(m.group(1), m.group(0)), text)


# a helper included with the root scope, its output piped to formatting functions only
_ROOT_INCLUDE = re.compile(r'^\s*-?\s*include\s+"([^"]+)"\s+[.$]\s*'
                           r'(?:\|\s*(?:nindent\s+\d+|indent\s+\d+|quote|trim)\s*)*-?\s*$')
_BLOCK = re.compile(r"^\s*-?\s*(if|range|with|define|block)\b")
_END = re.compile(r"^\s*-?\s*end\s*-?\s*$")


def _action_reads(text: str, templates: Mapping[str, str], depth: int
                  ) -> tuple[KeyPath, ...] | None:
    """The ``.Values`` chains the actions of ``text`` read, those of a helper it includes
    with the root scope (``include "web.image" .``) included; None when an action reads
    values otherwise (``template_reads``)."""
    reads: list[KeyPath] = []
    for action in _GO_ACTION.findall(text):
        action = action.replace("$.", ".")  # ``$`` is the template's root scope
        included = _ROOT_INCLUDE.match(action)
        if included is not None and depth < 4:
            body = _define_body(templates, included.group(1))
            below = _action_reads(body, templates, depth + 1) if body is not None else None
            if below is None:
                return None
            reads.extend(below)
            continue
        if _OPAQUE.search(re.sub(r'"(?:[^"\\]|\\.)*"|`[^`]*`', '""', action)):
            return None
        reads.extend(tuple(chain.split(".")[1:]) for chain in _VALUES_CHAIN.findall(action))
    return tuple(reads)


def _define_body(templates: Mapping[str, str], name: str) -> str | None:
    """The text of the ``define`` of ``name`` among the chart's templates and helpers, to its
    ``end`` (blocks inside it counted); None when not found once."""
    found: list[str] = []
    opening = re.compile(r'\{\{-?\s*define\s+"' + re.escape(name) + r'"\s*-?\}\}')
    for text in templates.values():
        for start in opening.finditer(text):
            depth = 1
            for action in _GO_ACTION.finditer(text, start.end()):
                if _BLOCK.match(action.group(1)):
                    depth += 1
                elif _END.match(action.group(1)):
                    depth -= 1
                    if depth == 0:
                        found.append(text[start.end():action.start()])
                        break
    return found[0] if len(found) == 1 else None


def _search(rendered: RenderedTarget, resource: Resource | None, fields: Sequence[str],
            anchor: str | None, anchor_in: tuple[str, int] | None, hints: ValueHints
            ) -> ValueHints:
    """``locate``'s hints for its search of the values, with the subchart's ``scope`` and
    the keys the template's text for the field reads (``within``), where known."""
    scope = subchart_scope(resource)
    reads = template_reads(rendered, resource, fields, anchor, anchor_in)
    return {**({"scope": scope} if scope else {}), **hints,
            **({"within": reads} if reads is not None else {})}


def subchart_scope(resource: Resource | None) -> tuple[str, ...]:
    """The values keys a subchart's resource reads its values under: the name (or alias)
    helm renders it by, of each subchart level (``web/charts/s2/templates/x.yaml``:
    ``("s2",)``); none for the chart's own templates."""
    parts = (resource.template or "").split("/") if resource is not None else []
    end = parts.index("templates") if "templates" in parts else 0
    return tuple(parts[i + 1] for i in range(end - 1) if parts[i] == "charts" and i > 0)


def declaration(rendered: RenderedTarget, resource: Resource | None) -> Origin | None:
    """Where the chart declares the subchart a resource of an archive came from
    (``<chart>/charts/<subchart>/templates/...``): its templates are no file here."""
    parts = (resource.template or "").split("/") if resource is not None else []
    if resource is None or resource.template_file or len(parts) < 4 or parts[1] != "charts":
        return None
    return rendered.subcharts.get(parts[2])


def _patch_field(rendered: RenderedTarget, resource: Resource | None, fields: Sequence[str],
                 anchor: str | None, anchor_in: tuple[str, int] | None,
                 wanted: Sequence[object]) -> Origin | None:
    """A patch's field: with ``wanted`` values, the first of ``fields`` a patch writes
    holding one, else the entry named ``anchor`` only a patch adds (an init container);
    without, the field a patch writes."""
    if resource is None:
        return None
    unwritten = bool(anchor and resource.template_file and template_line(
        rendered, resource.template_file, fields, anchor, anchor_in, resource.line) is None)
    if wanted:
        origin = _patch_origin(rendered, resource, fields, anchor, anchor_in, wanted)
        if origin is not None or not unwritten:
            return origin
    origin = _patch_origin(rendered, resource, fields, anchor, anchor_in, ())
    if origin is None and unwritten and anchor:  # an entry only a patch adds: at the entry
        from platecheck.kustomize_patches import patch_value_origin

        origin = patch_value_origin(rendered.patches, resource, ("name",), anchor, (anchor,))
    return origin


def patched_field(rendered: RenderedTarget, resource: Resource, fields: Sequence[str],
                  anchor: str | None) -> Origin | None:
    """The Kustomize patch line that writes (or deletes) the first of ``fields`` a patch
    holds, within the resource's entry named ``anchor``."""
    from platecheck.kustomize_patches import patch_value_origin

    return next((origin for field in fields if (origin := patch_value_origin(
        rendered.patches, resource, (field,), anchor, ())) is not None), None)


def _patch_origin(rendered: RenderedTarget, resource: Resource, fields: Sequence[str],
                  anchor: str | None, anchor_in: tuple[str, int] | None,
                  wanted: Sequence[object]) -> Origin | None:
    """The line of a Kustomize patch that wrote the field: with values, the first of
    ``fields`` a patch writes holding one of them; without, a patch's field only when the
    resource's own file writes none of the fields before it (a patch's ``spec:`` is no
    answer for the ``rules`` its base wrote)."""
    from platecheck.kustomize_patches import patch_value_origin

    if wanted:
        return patch_value_origin(rendered.patches, resource, fields, anchor, wanted)
    for field in fields:
        origin = patch_value_origin(rendered.patches, resource, (field,), anchor, ())
        if origin is not None:
            return origin
        if resource.template_file and template_line(
                rendered, resource.template_file, (field,), anchor, anchor_in, resource.line,
                or_entry=False) is not None:
            return None
    return None


def _written_origin(rendered: RenderedTarget, resource: Resource, field: str,
                    values: Sequence[object], anchor: str | None = None,
                    anchor_in: tuple[str, int] | None = None) -> Origin | None:
    """Where the template gives ``field`` its value, when one line of ``resource``'s document
    alone may: written as it is (no value gave it, whatever value is alike), or reading one
    values key whole (``host: {{ .Values.web.host }}``) that holds the value (another key
    holding the same text is no answer then), or made of no value at all (``printf`` of the
    release's namespace: that line). A subchart's templates read their own values:
    only the chart's own templates are read so. Two lines that may write the value (a
    literal and an action, in two containers) leave the answer to the values search; in a
    list entry (``anchor``, ``anchor_in``: a container), the entry's line alone counts."""
    text = rendered.templates.get(resource.template_file or "")
    if text is None or not values:
        return None
    entry = template_line(rendered, resource.template_file or "", (field,), anchor, anchor_in,
                          resource.line) if anchor else None
    field_line, literal = _written_patterns(field, values[0])
    reference = re.compile(rf"([\"']?){_REFERENCE}\1\s*(?:#.*)?")
    lines, offset = _document_lines(text, resource.line, resource.template_file or "")
    candidates = [(offset + index + 1, match.group(1).strip())
                  for index, match in enumerate(map(field_line.match, lines))
                  if match and (literal.fullmatch(match.group(1).strip())
                                or "{{" in match.group(1))
                  and entry in (None, offset + index + 1)]
    if len(candidates) != 1:
        return None
    line, written = candidates[0]
    if literal.fullmatch(written) or _of_no_value(written):
        return Origin(resource.template_file or "", line)
    chart = rendered.target.chart
    found = reference.fullmatch(written)
    if found is None or chart is None \
            or not (resource.template_file or "").startswith(f"{chart.rel}/templates/"):
        return None
    path = tuple(found.group(2).split("."))
    if _text(_lookup(rendered.values.data, path)) != _text(values[0]):
        return None
    return _path_origin(rendered, path)


def _written_in_helper(rendered: RenderedTarget, resource: Resource, field: str,
                       values: Sequence[object], anchor: str | None,
                       anchor_in: tuple[str, int] | None) -> Origin | None:
    """Where a helper the resource's template includes writes ``field`` as it is, with the
    value, in the list entry ``anchor`` names (``imagePullPolicy: Always`` in the container
    of a ``define``): a values key of the same text elsewhere is no answer then."""
    if not (anchor and anchor_in and values and resource.template_file):
        return None
    origin = _helper_origin(rendered, resource.template_file, (field,), anchor,
                            section_key(anchor_in[0]))
    lines = rendered.templates.get(origin.file, "").splitlines() if origin else []
    if origin is None or origin.line is None or origin.line > len(lines):
        return None
    field_line, literal = _written_patterns(field, values[0])
    written = field_line.match(lines[origin.line - 1])
    return origin if written and literal.fullmatch(written.group(1).strip()) else None


def _written_patterns(field: str, value: object) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A template line writing ``field`` (its text after the colon the group), and that text
    being ``value`` as it is (quoted or not, a comment after it)."""
    return (re.compile(rf"^\s*(?:-\s+)?{re.escape(field)}:\s*(.*)$"),
            re.compile(rf"([\"']?){re.escape(str(value))}\1\s*(?:#.*)?"))


# what a template action reads: a field (.x.y, $.x), a variable ($v), the dot itself
_READS = re.compile(r"\$?\.[A-Za-z_][\w.]*|\$\w*|(?<![\w)\]])\.(?![\w])")
_RELEASE_FIELDS = (".Release.", ".Chart.", ".Capabilities.", ".Template.")


def _of_no_value(written: str) -> bool:
    """Whether a field's template actions read nothing but the release, the chart and the
    cluster's capabilities (``{{ printf "%s.example.com" .Release.Namespace }}``)."""
    actions = _ACTION.findall(written)
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"|`[^`]*`', '""', " ".join(actions))
    return bool(actions) and all(r.startswith(_RELEASE_FIELDS) for r in _READS.findall(unquoted))


_REFERENCE = r"\{\{-?\s*\$?\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*(?:\|\s*quote\s*)?-?\}\}"


def target_origin(target: RenderTarget) -> Origin | None:
    """Where a target is declared: its Application (one a chart of Applications writes in
    blocks from its values, ``toYaml``, the values entry: the first line of those blocks,
    not the template line every child shares), or the Chart.yaml of a chart directory
    linted with its values-<env>.yaml."""
    app = target.application
    if app is not None:
        placed = [o for path, o in app.places.items()
                  if path not in app.lines and o.file != app.file and o.line]
        if placed and len({o.file for o in placed}) == 1:
            return min(placed, key=lambda o: o.line or 0)
        return Origin(app.file, app.line)
    if target.chart is not None:
        return Origin(f"{target.chart.rel}/Chart.yaml", None)
    return None


def at(origin: Origin | None) -> dict[str, Any]:
    """``Finding`` keyword arguments for an origin: ``Finding(..., **at(origin))``."""
    return {"file": origin.file, "line": origin.line} if origin is not None else {}


def shown_refs(resources: Iterable[Resource]) -> dict[int, str]:
    """How a message names each resource (by ``index``): ``Kind/name``, with ``in namespace
    X`` where another of the resources has that kind and name in another namespace."""
    spaces: dict[str, set[str | None]] = {}
    for resource in resources:
        spaces.setdefault(resource.ref, set()).add(resource.namespace)
    return {r.index: f"{r.ref} in namespace {r.namespace}"
            if len(spaces[r.ref]) > 1 and r.namespace else r.ref for r in resources}


def resource_finding(policy: str, rendered: RenderedTarget, resource: str, message: str,
                     origin: Origin | None) -> Finding:
    """A finding about ``resource`` (``Kind/name``) of one rendered target, at ``origin``."""
    return Finding(policy=policy, message=message, resource=resource,
                   environment=rendered.environment, target=rendered.id, **at(origin))


def template_line(
    rendered: RenderedTarget,
    template_file: str,
    fields: Sequence[str],
    anchor: str | None = None,
    anchor_in: tuple[str, int] | None = None,
    document: int | None = None,
    *,
    or_entry: bool = True,
) -> int | None:
    """The 1-based line of the first of ``fields`` written as a key in a template, never in a
    template comment. With ``anchor`` (see ``locate``) only inside that list entry, and the
    entry's own first line when it writes none of them (unless not ``or_entry``); None when
    the entry cannot be found (another entry's line would be a guess). ``document``: the
    line where the resource's document starts in the template, when known: only that
    document is searched."""
    text = rendered.templates.get(template_file)
    if text is None or not fields:
        return None
    lines, offset = _document_lines(text, document, template_file)
    found = _template_line(lines, fields, anchor, anchor_in, or_entry,
                           jsonnet=template_file.endswith("sonnet"))
    return found + offset if found is not None else None


DOCUMENT_END = re.compile(r"^---(?:[ \t].*)?$")  # a line that ends a YAML document
# a Jsonnet or JSON object's kind, written as it is: ``kind: 'Deployment',``
_OBJECT_KIND = re.compile(r"""(?:^|[\s{,])["']?kind["']?\s*:\s*["']([A-Za-z0-9]+)["']""")


def object_lines(text: str, objects: Sequence[object]) -> list[int | None]:
    """The line of each of ``objects`` (a Jsonnet file's output, in order) in the file's
    ``text``: its ``kind`` line, when the file writes one literal kind per object, in the
    same order, each beside its ``apiVersion`` (the two first, so the object's other fields
    come after); else none is known."""
    lines = text.splitlines()
    written = [(number, match.group(1)) for number, line in enumerate(lines, 1)
               if (match := _OBJECT_KIND.search(line))]
    kinds = [o.get("kind") if isinstance(o, dict) else None for o in objects]
    if [kind for _, kind in written] != kinds or not all(
            "apiVersion" in " ".join(lines[max(number - 2, 0):number + 1])
            for number, _ in written):
        return [None] * len(objects)
    return [number for number, _ in written]


def _document_lines(text: str, document: int | None, rel: str = "") -> tuple[list[str], int]:
    """The lines of a template (its repository path ``rel``), comments blanked, from
    ``document`` (the line its document starts at) to the document's end (a ``---`` line;
    in Jsonnet, where ``document`` is an object's kind line, the next object's), and how
    many lines come before them; every line when the document is not known."""
    lines = without_template_comments(text).splitlines()
    if document is None:
        return lines, 0
    offset = document - 1
    ends = _OBJECT_KIND if rel.endswith(".jsonnet") else DOCUMENT_END
    end = next((i for i in range(offset + 1, len(lines)) if ends.search(lines[i])),
               len(lines))
    return lines[offset:end], offset


def _template_line(lines: list[str], fields: Sequence[str], anchor: str | None,
                   anchor_in: tuple[str, int] | None, or_entry: bool = True,
                   jsonnet: bool = False) -> int | None:
    start, end = 0, len(lines)
    if anchor:
        found = _anchor_line(lines, anchor, anchor_in)
        if found is not None:
            start, end = _entry_bounds(lines, found)
        else:  # an entry written as an object: Jsonnet, or YAML's flow style
            found = _object_anchor_line(lines, anchor, anchor_in, variables=jsonnet)
            if found is None:
                return None
            start, end = _indented_bounds(lines, found)
    line = _field_line(lines, (start, end), fields)
    return line if line is not None or not anchor or not or_entry else start + 1


def _field_line(lines: list[str], bounds: tuple[int, int], fields: Sequence[str]
                ) -> int | None:
    """The 1-based line of the first of ``fields`` written as a key within ``bounds``
    (0-based [first, end) lines), not in a block scalar's text, or None."""
    text = set(_block_scalar_lines(lines, bounds))
    for field in fields:
        key = re.compile(rf"^\s*(?:-\s+)?[\"']?{re.escape(field)}[\"']?\s*:")
        for index in range(*bounds):
            if index not in text and key.match(lines[index]):
                return index + 1
    return None


# a line whose value is a block scalar: ``args: |-``, ``- >``, with a comment after it
_BLOCK_SCALAR = re.compile(r"(?:^\s*-|:)\s*[|>][-+0-9]*\s*(?:#.*)?$")


def _block_scalar_lines(lines: Sequence[str], bounds: tuple[int, int]) -> Iterator[int]:
    """The 0-based lines within ``bounds`` that are the text of a block scalar (indented
    below the line that starts it, or blank): string data, no key of the document."""
    index, end = bounds
    while index < end:
        if not _BLOCK_SCALAR.search(lines[index]):
            index += 1
            continue
        indent = _indent(lines[index])
        index += 1
        while index < end and (not lines[index].strip() or _indent(lines[index]) > indent):
            yield index
            index += 1


def _in_section(rendered: RenderedTarget, resource: Resource, line: int, key: str) -> bool:
    """Whether line ``line`` of ``resource``'s template comes after a ``key`` key in its
    document: an entry of that list, not a ``name`` written elsewhere (its metadata's)."""
    lines, offset = _document_lines(rendered.templates.get(resource.template_file or "", ""),
                                    resource.line, resource.template_file or "")
    written = re.compile(rf"(?:^|[\s{{,])[\"']?{re.escape(key)}[\"']?\s*:")
    return any(written.search(text) for text in lines[:max(line - 1 - offset, 0)])


def _helper_origin(rendered: RenderedTarget, template_file: str, fields: Sequence[str],
                   anchor: str, section: str) -> Origin | None:
    """Where a file ``template_file`` includes (``RenderedTarget.includes``: a helper
    template of its chart, a Jsonnet import) writes the entry named ``anchor`` of a
    ``section`` list: the line of the first of ``fields`` in that entry, else the entry's
    first line. Of the entries whose name can render as ``anchor``, the one with the most
    characters written as they are: ``web`` before ``{{ .Chart.Name }}-web`` before
    ``{{ .Chart.Name }}``; in a file that writes no such list entry by entry, an object
    naming ``anchor`` (Jsonnet's ``{ name: 'web', ... }``). None when no file writes such
    an entry, or two fit as well (a guess)."""
    ranked: list[tuple[int, str, list[str], tuple[int, int]]] = []  # characters, file, entry
    for rel in rendered.includes.get(template_file, ()):
        lines = without_template_comments(rendered.templates.get(rel, "")).splitlines()
        blocks = _list_entries(lines, section)
        ranked += [(len(_ACTION.sub("", name)), rel, lines, _entry_bounds(lines, index))
                   for block in blocks for index, name in block
                   if name is not None and (name == anchor or _renders_as(name, anchor))]
        found = None if blocks else _object_anchor_line(lines, anchor, (section, 0))
        if found is not None:
            ranked.append((len(anchor), rel, lines, _indented_bounds(lines, found)))
    best = [entry for entry in ranked if entry[0] == max(e[0] for e in ranked)]
    if len(best) != 1:
        return None
    _, rel, lines, bounds = best[0]
    line = _field_line(lines, bounds, fields)
    return Origin(rel, line if line is not None else bounds[0] + 1)


_COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.DOTALL)


def without_template_comments(text: str) -> str:
    """``text`` with every ``{{/* ... */}}`` blanked, its line breaks kept so that line
    numbers still hold: nothing written in a comment is ever pointed at."""
    return _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


_NAME = re.compile(r"^\s*(?:-\s+)?name:\s*(.*?)\s*$")
_ACTION = re.compile(r"\{\{.*?\}\}")


# an ``anchor_in`` list key of a list in an entry of another: ``templates[build].sidecars``
_NESTED = re.compile(r"(\w+)\[(.+)\]\.(\w+)")


def section_key(key: str) -> str:
    """The list key of an ``anchor_in`` key: ``sidecars`` of ``templates[build].sidecars``."""
    return key.rsplit(".", 1)[-1] if _NESTED.fullmatch(key) else key


def _anchor_line(lines: list[str], anchor: str,
                 anchor_in: tuple[str, int] | None) -> int | None:
    """The 0-based line of the list entry named ``anchor``, or None.

    Among the entries of the ``anchor_in`` list: the one whose name is ``anchor`` as written,
    else one whose templated name (``{{ .Chart.Name }}-backend``) can render as ``anchor``,
    preferring the one at the anchor's position, else the entry at that position unless it
    writes another name (an entry an ``include`` wrote came before it, and moved it). Without
    such a list in the template: the first line naming ``anchor``.
    """
    if anchor_in is not None:
        key, position = anchor_in
        nested = _NESTED.fullmatch(key)
        if nested is not None:  # a list of the entry named so of an outer list
            outer, name, key = nested.groups()
            holder = next((line for block in _list_entries(lines, outer)
                           for line, written in block if written == name), None)
            if holder is not None:
                start, end = _entry_bounds(lines, holder)
                found = _anchor_line(lines[start:end], anchor, (key, position))
                return None if found is None else start + found
        blocks = _list_entries(lines, key)
        entries = [entry for block in blocks for entry in block]
        literal = [line for line, name in entries if name is not None and name == anchor]
        if literal:
            return literal[0]
        at = blocks[0][position] if len(blocks) == 1 and position < len(blocks[0]) else None
        here = at[0] if at is not None else None
        templated = [line for line, name in entries if name and _renders_as(name, anchor)]
        if templated:
            return here if here in templated else templated[0]
        if at is not None and (at[1] is None or _ACTION.search(at[1])):
            return here
    for index, line in enumerate(lines):
        match = _NAME.match(line)
        if match and _unquote(match.group(1)) == anchor:
            return index
    return None


def _object_anchor_line(lines: list[str], anchor: str, anchor_in: tuple[str, int] | None,
                        variables: bool = False) -> int | None:
    """The 0-based line of an entry written as an object that names ``anchor`` (``{ name:
    'web', ... }``, ``name: 'web',`` in Jsonnet), the first after the ``anchor_in`` list's
    key when there is one, else the first; when none does, the document writes that key once
    and may name entries by ``variables`` (Jsonnet), the one entry after it a variable names;
    else None."""
    named = re.compile(rf"(?:^|[\s{{,])[\"']?name[\"']?\s*:+\s*([\"']?){re.escape(anchor)}\1"
                       r"\s*(?:[,}]|$)")
    keys = _list_keys(lines, anchor_in)
    after = keys[0] if keys else 0
    order = [*range(after, len(lines)), *range(after)]
    found = next((index for index in order if named.search(lines[index])), None)
    if found is not None or len(keys) != 1 or not variables:
        return found
    # none names it as written: the one entry of the document's one such list that a
    # variable names (``name: name``, a function's parameter)
    variable = [index for index in range(after, len(lines)) if _VARIABLE_NAME.search(lines[index])]
    return variable[0] if len(variable) == 1 else None


_VARIABLE_NAME = re.compile(r"(?:^|[\s{,])[\"']?name[\"']?\s*:+\s*[A-Za-z_][\w.]*\s*(?:[,}]|$)")


def _list_keys(lines: list[str], anchor_in: tuple[str, int] | None) -> list[int]:
    """The 0-based lines that write the ``anchor_in`` list's key as an object's key."""
    if anchor_in is None:
        return []
    written = re.escape(section_key(anchor_in[0]))
    key = re.compile(rf"(?:^|[\s{{,])[\"']?{written}[\"']?\s*:")
    return [i for i, line in enumerate(lines) if key.search(line)]


def _indent(text: str) -> int:
    """The column a line's text starts at, a tab reaching the next multiple of 8 (Jsonnet
    and JSON written with tabs, or tabs and spaces as an editor mixes them)."""
    expanded = text.expandtabs()
    return len(expanded) - len(expanded.lstrip())


def _indented_bounds(lines: list[str], index: int) -> tuple[int, int]:
    """The 0-based [first, end) lines around line ``index`` indented at least as deep as it:
    the fields of the object it belongs to, as a formatter writes them one per line."""
    def inside(text: str) -> bool:  # a field of the object, or a line of a field's value
        return not text.strip() or _indent(text) >= column

    column = _indent(lines[index])
    if lines[index].lstrip().startswith("{"):
        return index, index + 1  # the whole object on its line
    start = index
    while start > 0 and inside(lines[start - 1]):
        start -= 1
    end = index + 1
    while end < len(lines) and inside(lines[end]):
        end += 1
    return start, end


def _entry_bounds(lines: list[str], index: int) -> tuple[int, int]:
    """The 0-based [first, end) lines of the list entry that line ``index`` belongs to: from
    its ``-`` line to the next line indented no deeper than that dash."""
    def skipped(text: str) -> bool:
        stripped = text.strip()
        return not stripped or stripped.startswith(("{{", "#"))

    start = index
    if not lines[index].lstrip().startswith("-"):
        column = _indent(lines[index])
        for back in range(index - 1, -1, -1):
            if skipped(lines[back]):
                continue
            if _indent(lines[back]) < column:
                if lines[back].lstrip().startswith("-"):
                    start = back
                break
    dash = _indent(lines[start]) if lines[start].lstrip().startswith("-") else \
        _indent(lines[start]) - 1
    for end in range(start + 1, len(lines)):
        if not skipped(lines[end]) and _indent(lines[end]) <= dash:
            return start, end
    return start, len(lines)


def _list_entries(lines: list[str], key: str) -> list[list[tuple[int, str | None]]]:
    """For each ``key:`` list written in a template: its entries' first lines with their
    ``name`` as written (None when the entry has no name line). Lines holding only template
    actions or comments are skipped: they add no entry of their own that we could count."""
    header = re.compile(rf"^(\s*)(?:-\s+)?{re.escape(key)}:\s*$")
    blocks: list[list[tuple[int, str | None]]] = []
    for start, line in enumerate(lines):
        match = header.match(line)
        entries = _entries(lines, start, len(match.group(1))) if match else None
        if entries:
            blocks.append(entries)
    return blocks


_BLOCK_KEY = re.compile(r"^(\s*)(?:-\s+)?[^\s#-][^:]*:\s*(?:#.*)?$")  # a key, no value after


def list_entry_lines(lines: Sequence[str], key_line: int) -> list[int] | None:
    """The first lines (0-based) of the entries of the block list under the key at
    ``key_line``; None where the list is not written entry by entry (a flow list, a template
    action on a line of its own among them, which may make any number of entries)."""
    header = _BLOCK_KEY.match(lines[key_line])
    if header is None:
        return None
    entries = _entries(lines, key_line, len(header.group(1)), stop_at_actions=True)
    return [index for index, _ in entries] if entries else None


def _entries(lines: Sequence[str], start: int, base: int, stop_at_actions: bool = False
             ) -> list[tuple[int, str | None]] | None:
    """The entries of the list under the key at line ``start`` (indented ``base``): each
    one's first line and its ``name`` as written (None when it has no name line). Lines of
    comments and template actions are skipped (they add no entry we could count), or, with
    ``stop_at_actions``, an action ends the answer: None."""
    entries: list[tuple[int, str | None]] = []
    dash = column = -1
    for index in range(start + 1, len(lines)):
        text = lines[index]
        stripped = text.strip()
        if stop_at_actions and stripped.startswith("{{"):
            return None
        if not stripped or stripped.startswith(("{{", "#")):
            continue
        indent = _indent(text)
        if indent < base or (indent == base and not stripped.startswith("-")):
            break
        if stripped.startswith("-") and dash in (-1, indent):
            dash = indent
            column = indent + len(stripped) - len(stripped[1:].lstrip())
            entries.append((index, None))
            text = " " * column + stripped[1:].lstrip()
            indent = column
        elif dash == -1:
            break  # not a list written entry by entry
        # the entry's own key, not an item of a list under it at the same column
        # (``env:`` written flush with its entry's keys: ``- name: WATCH_NAMESPACE``)
        named = _NAME.match(text) if not text.lstrip().startswith("-") else None
        if named and indent == column and entries[-1][1] is None:
            entries[-1] = (entries[-1][0], _unquote(named.group(1)))
    return entries


def _renders_as(written: str, rendered: str) -> bool:
    """Whether a name written with template actions can render as ``rendered``."""
    parts = _ACTION.split(written)
    if len(parts) == 1:
        return False
    return re.fullmatch(".+".join(re.escape(part) for part in parts), rendered) is not None


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


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


def find_value(rendered: RenderedTarget, values: Sequence[object] = (),
               **hints: Unpack[ValueHints]) -> Origin | None:
    """``locate``'s search of the values alone: the origin of the best value, or None."""
    wanted = {_text(value): index for index, value in reversed(list(enumerate(values)))}
    wanted.pop(None, None)
    whole = {text for text in map(_text, hints.get("exact", ())) if text}
    key_names = {k.lower() for k in hints.get("keys", ())}
    parent_names = {p.lower() for p in hints.get("parents", ())}
    context_words = {_squashed(c) for c in hints.get("context", ()) if c}
    require_key = hints.get("require_key", False)
    rank = _ranker(rendered)
    scope = tuple(hints.get("scope", ()))
    within = _within(scope, hints.get("within"))
    best: tuple[tuple[int, ...], Origin, KeyPath] | None = None
    index = _leaf_index(rendered.values.data)
    # (the leaves holding a wanted text, in the values' order)
    for _, path, leaf, siblings in sorted(
            (entry for text in {*wanted, *whole} for entry in index.get(text, ())),
            key=lambda entry: entry[0]):
        text = _text(leaf)
        if text is not None and text not in wanted and text not in whole:
            text = text.rstrip("\n")  # (a file's text, as --set-file gives it)
        is_exact = text in whole
        if not is_exact and text not in wanted or scope and not (
                path[:len(scope)] == scope or path[:1] == ("global",)):
            continue  # (a subchart's templates see its own values and the globals alone)
        if within is not None and not any(path[:len(key)] == key for key in within):
            continue
        names = [p.lower() for p in path if isinstance(p, str)]
        # a key the template's text reads is the one, whatever its name
        named = bool(names) and names[-1] in key_names
        key_hit = named or within is not None and text != ""
        parent_hit = len(names) > 1 and names[-2] in parent_names
        around = set(names) | {t for t in map(_text, siblings) if t is not None}
        context_hits = len(context_words & {_squashed(a) for a in around})
        if not is_exact:
            if (require_key or text == "") and not key_hit:
                continue  # an empty string says nothing by itself: its key must fit
            if hints.get("require_parent") and not parent_hit:
                continue  # a value of the map a range walks: under that map's key
            if key_names and not (key_hit or context_hits):
                continue
        origin = _leaf_origin(rendered, path)
        if origin is None:
            continue
        # (of two keys a template reads, the one of the name)
        score = (is_exact, context_hits, key_hit, named, parent_hit, rank(origin),
                 -wanted.get(text, 0))
        if best is None or score > best[0]:
            best = (score, origin, path)
    up = hints.get("up", 0)
    if best is None or not up:
        return best[1] if best else None
    # a key that many levels up, or no answer: a value written elsewhere is no such key's
    return _path_origin(rendered, best[2][:-up]) if up < len(best[2]) else None


def _squashed(word: str) -> str:
    """A word as a name and a key of it compare (``volume-permissions``,
    ``volumePermissions``, ``volume_permissions``)."""
    return word.lower().replace("-", "").replace("_", "")


def _within(scope: tuple[str, ...], reads: Sequence[KeyPath] | None
            ) -> list[KeyPath] | None:
    """The merged values' key paths of what a template reads (``template_reads``): a
    subchart's ``.Values`` are under its key, and its ``.Values.global`` is the parent's
    global too."""
    if reads is None:
        return None
    return [*((*scope, *key) for key in reads), *(key for key in reads if key[:1] == ("global",))]


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


_Leaf = tuple[int, KeyPath, Any, tuple[Any, ...]]
# the leaves of the values trees searched lately, by text (one tree is searched for every
# field of every Application a render generates: walking it each time grew as its square)
_INDEXES: dict[int, tuple[Any, dict[str | None, list[_Leaf]]]] = {}


def _leaf_index(data: Any) -> dict[str | None, list[_Leaf]]:
    """``_leaves`` of a values tree by their text (``_text``; one ending in line breaks, a
    file's, by its text without them too), each with its place in the tree's order; made
    once per tree (kept while it is among the last ones searched)."""
    held = _INDEXES.get(id(data))
    if held is not None and held[0] is data:
        return held[1]
    index: dict[str | None, list[_Leaf]] = {}
    for order, (path, leaf, siblings) in enumerate(_leaves(data)):
        text = _text(leaf)
        index.setdefault(text, []).append((order, path, leaf, siblings))
        if text is not None and text.endswith("\n"):  # a file's (fileParameters): the
            # rendered value is its text without the line end (a YAML scalar's)
            index.setdefault(text.rstrip("\n"), []).append((order, path, leaf, siblings))
    if len(_INDEXES) >= 32:
        _INDEXES.clear()
    _INDEXES[id(data)] = (data, index)
    return index


def _leaves(node: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any, tuple[Any, ...]]]:
    """Scalars of a values tree with their key path and their scalar siblings (the items of
    a sibling list of scalars count: a tls entry's hosts say which entry a secretName is)."""
    if isinstance(node, Mapping):
        scalars = tuple(v for v in node.values() if not isinstance(v, Mapping | list)) + tuple(
            item
            for v in node.values()
            if isinstance(v, list)
            for item in v
            if not isinstance(item, Mapping | list)
        )
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


__all__ = ["at", "declaration", "find_value", "locate", "template_line",
           "without_template_comments"]
