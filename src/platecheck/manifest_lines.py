"""Where in the repository a field of a rendered resource was written.

A rendered document has no line numbers of its own: it came from a Helm template, and its
values-driven parts from values files. Given a path into the document
(``spec.template.spec.containers[0].image``), look for it in the template text first (keys in
order, a list index at its item where the list is written item by item, starting at the
template's ``kind:`` line; in a template of several documents, at
the resource's own document when the template's documents map one to one onto what it
rendered, see ``platecheck.parse``; for a document the template writes only through an
``{{ include }}``, in the helper definition it includes), then in the values that fed the render
(a values key path ending with the same keys), and fall back to the nearest key found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from platecheck.errors import PlatecheckError
from platecheck.model import Origin, RenderedTarget, Resource, SourceType
from platecheck.provenance import (
    DOCUMENT_END,
    declaration,
    list_entry_lines,
    without_template_comments,
)
from platecheck.yamlio import Document, load_documents


def _key_pattern(key: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*(?:-\s+)?(?:{re.escape(key)}|\"{re.escape(key)}\"|"
                      rf"'{re.escape(key)}')\s*:(?:\s|$)")


def kind_pattern(kind: str) -> re.Pattern[str]:
    """A line that starts a resource of ``kind`` in a manifest or template: a top-level
    ``kind:`` key with that value (quoted or not, a comment after it)."""
    return re.compile(rf"^kind:\s*[\"']?{re.escape(kind)}[\"']?\s*(?:#.*)?$")


def template_walk(text: str, kind: str, path: Sequence[str | int],
                  document: int | None = None) -> tuple[int | None, bool]:
    """The 1-based line of the deepest key of ``path`` found in order in ``text``, and whether
    that was the last key of the path; ``document``: the line where the resource's document
    starts, when known (else its ``kind:`` line is looked for)."""
    lines = without_template_comments(text).splitlines()
    start = 0 if document is None else document - 1
    # the kind line (else the document's start): nothing deeper
    found = _kind_line(lines, kind, document)
    if found is not None:
        start = found
    elif document is not None:
        found = start
    # (no further than the document's end: a key of the next document is none of its)
    end = next((n for n in range(start + 1, len(lines)) if DOCUMENT_END.match(lines[n])),
               len(lines))
    lines = lines[:end]
    last_key = max((i for i, part in enumerate(path) if isinstance(part, str)), default=-1)
    last_found = False
    position = start
    key_line: int | None = None  # the line of the key just found, for an index after it
    for index, part in enumerate(path):
        if isinstance(part, int):
            item = _list_entry(lines, key_line, part) if key_line is not None else None
            if item is not None:  # the key of the item's next field may share its line
                found, position = item, item
            key_line = None
            continue
        pattern = _key_pattern(part)
        hit = next((n for n in range(position, len(lines)) if pattern.match(lines[n])), None)
        key_line = hit
        if hit is None:
            continue
        found, position = hit, hit + 1
        last_found = index == last_key
    return (found + 1 if found is not None else None), last_found


def _kind_line(lines: Sequence[str], kind: str, document: int | None) -> int | None:
    """The 0-based ``kind:`` line of ``kind`` in ``lines`` (in the document starting at line
    ``document``, when known), or None."""
    pattern = kind_pattern(kind)
    start = 0 if document is None else document - 1
    for number in range(start, len(lines)):
        if document is not None and number > start and DOCUMENT_END.match(lines[number]):
            return None  # the document has no kind line
        if pattern.match(lines[number]):
            return number
    return None


def _writes_kind(text: str, kind: str, document: int | None) -> bool:
    """Whether the template (its document starting at line ``document``, when known) writes
    a ``kind:`` line of ``kind``."""
    return _kind_line(without_template_comments(text).splitlines(), kind, document) is not None


_DEFINE = re.compile(r"\{\{-?\s*define\s+\"([^\"]+)\"")
_INCLUDED = re.compile(r"\{\{-?[^}]*?\b(?:include|template)\s+\"([^\"]+)\"")


def _helper_walk(rendered: RenderedTarget, template_file: str, text: str, kind: str,
                 path: Sequence[str | int]) -> tuple[Origin, bool] | None:
    """``template_walk`` in the helper that writes the resource for a template that does not
    (``{{ include "web.deployment" . }}``): of the files it includes (``RenderedTarget.
    includes``), the one ``kind:`` line of ``kind`` in a definition the template names, else
    the only one in them all; None when none or several fit (a guess)."""
    found: list[tuple[str, str, int, str | None]] = []  # file, text, line, definition
    pattern = kind_pattern(kind)
    for rel in rendered.includes.get(template_file, ()):
        helper = rendered.templates.get(rel)
        definition = None
        for number, written in enumerate(without_template_comments(helper or "").splitlines()):
            defined = _DEFINE.search(written)
            definition = defined.group(1) if defined else definition
            if pattern.match(written):
                found.append((rel, helper or "", number + 1, definition))
    if len(found) > 1:
        named = set(_INCLUDED.findall(without_template_comments(text)))
        found = [entry for entry in found if entry[3] in named]
    if len(found) != 1:
        return None
    rel, helper_text, start, _ = found[0]
    line, exact = template_walk(helper_text, kind, path, start)
    return Origin(rel, line), exact


def list_item(rel: str, text: str, resource: Resource, path: Sequence[str | int]
               ) -> tuple[Origin, bool] | None:
    """Where a file of ``...List`` documents writes ``resource`` as one of its ``items``
    (Argo CD and kustomize apply each item as a resource of its own): the line of ``path``
    in that item (whether it is written there), else the item's own line; the item of the
    resource's kind and name, else the only one of its kind. None for a template (its
    actions are no YAML) or a file without such an item."""
    if "{{" in text or "List" not in text:
        return None
    try:
        documents = load_documents(text, rel)
    except PlatecheckError:
        return None
    found: list[tuple[Document, int, bool]] = []  # document, item, named alike
    for document in documents:
        data = document.data
        items = data.get("items") if isinstance(data, dict) \
            and str(data.get("kind", "")).endswith("List") else None
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and item.get("kind") == resource.kind:
                metadata = item.get("metadata")
                named = isinstance(metadata, dict) and metadata.get("name") == resource.name
                found.append((document, index, named))
    chosen = [entry for entry in found if entry[2]] or found
    if len(chosen) != 1:
        return None
    document, index, _ = chosen[0]
    key = ("items", index, *path)
    return Origin(rel, document.line_of(key)), key in document.lines


def _list_entry(lines: Sequence[str], key_line: int, number: int) -> int | None:
    """The line (0-based) starting item ``number`` of the block list under the key at
    ``key_line``, where the list is written item by item."""
    items = list_entry_lines(lines, key_line)
    return items[number] if items is not None and number < len(items) else None


def values_origin(rendered: RenderedTarget, path: Sequence[str | int]) -> Origin | None:
    """A values key path whose trailing keys equal the trailing keys of ``path`` (at least the
    last one), preferring the longest match; its origin is where the value was written."""
    keys = [part for part in path if isinstance(part, str)]
    if not keys:
        return None
    # a Kustomize source's values are its kustomizations: a key of their top level (and its
    # list entries) is a directive (``replicas:``, ``images:``), never a resource's field
    directives = rendered.target.source_type is SourceType.KUSTOMIZE
    best: tuple[int, Origin] | None = None
    for key_path, origin in rendered.values.origins.items():
        names = [part for part in key_path if isinstance(part, str)]
        if directives and len(names) == 1:
            continue
        common = 0
        while (common < min(len(names), len(keys))
               and names[len(names) - 1 - common] == keys[len(keys) - 1 - common]):
            common += 1
        if common and (best is None or common > best[0]):
            best = (common, origin)
    return best[1] if best else None


def _inflating_entry(rendered: RenderedTarget, resource: Resource) -> int | None:
    """The line of the entry of the kustomization ``resource`` points at that names the
    chart it inflated: the one chart among those it inflates (``RenderedTarget.inflated``)
    whose templates write its kind; None when none or several do, or no one entry names
    it."""
    kustomization = resource.template_file or ""
    pattern = kind_pattern(resource.kind)
    charts = {rel.split("/templates/", 1)[0] for rel in rendered.inflated.get(kustomization, ())
              if any(pattern.match(line)
                     for line in rendered.templates.get(rel, "").splitlines())}
    if len(charts) != 1:
        return None
    name = re.escape(charts.pop().rsplit("/", 1)[-1])
    named = re.compile(rf"^\s*-?\s*name:\s*['\"]?{name}['\"]?\s*(?:#.*)?$")
    lines = [number for number, line in enumerate(
        rendered.templates.get(kustomization, "").splitlines(), start=1) if named.match(line)]
    return lines[0] if len(lines) == 1 else None


def field_origin(rendered: RenderedTarget, resource: Resource,
                 path: Sequence[str | int]) -> Origin | None:
    """The file and line to edit for the field at ``path`` of ``resource``: a patch that set
    it (Kustomize), else its template or file, else the values that fed it."""
    if rendered.patches and path:
        from platecheck.kustomize_patches import patch_origin

        patched = patch_origin(rendered.patches, resource, path)
        if patched is not None:
            return patched
    template_file = resource.template_file
    text = rendered.templates.get(template_file) if template_file else None
    line: int | None = None
    if template_file and text is not None:
        line, exact = template_walk(text, resource.kind, path, resource.line)
        if not _writes_kind(text, resource.kind, resource.line):
            helper = _helper_walk(rendered, template_file, text, resource.kind, path) or \
                list_item(template_file, text, resource, path)
            if helper is not None and (helper[1] or not path):
                return helper[0]
        if line is None and not path:  # (kustomize's output of a chart names no template)
            line = _inflating_entry(rendered, resource)
        if exact or not path:
            return Origin(template_file, line)
    # The key itself is not in the template: it came in through values (``toYaml``).
    origin = values_origin(rendered, path)
    if origin is not None:
        return origin
    if template_file is not None:
        return Origin(template_file, line)
    declared = declaration(rendered, resource)  # a subchart archive's resource
    if declared is not None:
        return declared
    application = rendered.target.application
    if application is not None:
        return Origin(application.file, application.line)
    return None
