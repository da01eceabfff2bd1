"""Where a Kustomize patch wrote a field of a built resource.

kustomize's origin annotation names the file a resource came from, not the patches that
changed it afterwards: a field an overlay patches (``replicas``, an image, a host) would be
reported at the base file's line, which holds the old value or no such key. The patches of
a build, read here highest precedence first (the Application's ``kustomize.patches``, the
source's kustomization, its components, the later one first, then its bases; in one
kustomization ``patchesJson6902`` after ``patches`` after ``patchesStrategicMerge``, a later
entry before an earlier one: kustomize applies them the other way round), say where the value
was written:

- a strategic-merge patch (a file, or a literal block ``patch: |`` read at its lines in the
  kustomization; a quoted string at the line of its key): a document of the resource's kind
  holding the field's key path, list items matched by their ``name`` as a strategic merge
  matches containers, ports, volumes;
- a JSON 6902 patch (operations, from a file or inline): the ``value`` of the ``add`` or
  ``replace`` that wrote it, list items by the index its pointer names; the ``from`` of the
  ``copy`` or ``move`` that wrote the value found at ``from`` over its ``path``.

- a replacement (``replacements``, applied after the kustomization's patches): the line of
  the target's field path that names the field, inline or in the file its ``path`` names.

A patch applies to the resources it names, before or after the build's prefixes and
suffixes; with a ``target``, to those of its kind whose whole name its name (a regular
expression, matched as Go matches it) matches, carrying the labels and annotations its
selectors require.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from platecheck.errors import PlatecheckError
from platecheck.model import FieldLayer, KeyPath, Origin, Resource
from platecheck.yamlio import (
    Document,
    below,
    first_document,
    load_document,
    load_documents,
    read_text,
)

_LITERAL = re.compile(r":\s*\|[-+0-9]*\s*(?:#.*)?$")  # a key whose value is a literal block


class PatchSource(NamedTuple):
    """Where patches are listed: a kustomization, or an Application's ``kustomize`` field
    (its ``patches`` are added to the source's kustomization, after its own)."""

    directory: Path  # what a patch's ``path`` is relative to
    file: str  # repository-relative
    document: Document  # the kustomization (or the ``kustomize`` field) and its lines
    raw: Sequence[str]  # the lines of ``file``


def read_source(directory: Path, file: Path, root: Path) -> PatchSource:
    """A kustomization as a place patches are listed, read once, as kustomize reads it (its
    first document)."""
    rel = file.relative_to(root).as_posix() if file.is_relative_to(root) else ""
    text = read_text(file, rel)[1]
    return PatchSource(directory, rel, first_document(text, rel), text.splitlines())


def patch_layers(sources: Sequence[PatchSource], root: Path) -> tuple[FieldLayer, ...]:
    """The patches the kustomizations of a build and the Application list (``sources``,
    highest precedence first: the Application's, the source's, then the kustomizations it
    lists), highest precedence first: each strategic-merge document and each JSON 6902
    patch, from a file or written inline."""
    names = _Names([s.document.data for s in sources if isinstance(s.document.data, dict)])
    layers: list[FieldLayer] = []
    for source in sources:
        if isinstance(source.document.data, dict):
            layers.extend(reversed(_replacement_layers(source, root, names)))
            for entry in reversed(_entries(source.document, source.raw)):
                layers.extend(reversed(_entry_layers(entry, source.directory, source.file,
                                                     root, names)))
    return tuple(layers)


class _Names:
    """How a patch names the resources it applies to, as a pattern of their built names:
    kustomize matches a patch against a resource's names before and after each
    ``namePrefix`` and ``nameSuffix`` of the build, a target's name as an anchored regular
    expression."""

    def __init__(self, kustomizations: Sequence[Mapping[str, Any]]) -> None:
        def either(key: str) -> str:
            found = sorted({str(k[key]) for k in kustomizations if k.get(key)})
            return f"(?:{'|'.join(re.escape(f) for f in found)})*" if found else ""

        self.prefix, self.suffix = either("namePrefix"), either("nameSuffix")

    def written(self, name: str) -> str:
        return f"{self.prefix}{re.escape(name)}{self.suffix}"

    def layer(self, file: str, target: Mapping[str, Any], data: Mapping[str, Any],
              lines: Mapping[KeyPath, int]) -> FieldLayer:
        """The fields ``data`` writes (at ``lines`` of ``file``) in the resources a patch's or
        replacement's ``target`` selects: its kind, group, version, namespace and name each
        a regular expression the resource's must match whole, as kustomize reads a selector
        (``NewSelectorRegex``; one not given matches any), and its selectors."""
        pattern, selector = self.target(target)
        group, version, namespace = (str(target.get(key) or "")
                                     for key in ("group", "version", "namespace"))
        return FieldLayer(file, str(target.get("kind") or ""), pattern, data, lines, selector,
                          group, version, namespace)

    def target(self, target: Mapping[str, Any]) -> tuple[str, tuple[Requirement, ...]]:
        """A target's name pattern (none selects every name) and selectors; a selector
        that cannot be read selects nothing here."""
        name = target.get("name")
        pattern = f"{self.prefix}(?:{name}){self.suffix}" if isinstance(name, str) and name \
            else ".*"
        selector: list[Requirement] = []
        for key, where in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
            written = target.get(key)
            for text in re.split(r",(?![^()]*\))", str(written)) if written else ():
                requirement = _requirement(where, text)
                if requirement is None:
                    return "(?!)", ()
                selector.append(requirement)
        return pattern, tuple(selector)


# (labels or annotations, key, operator, values): one requirement of a Kubernetes selector
Requirement = tuple[str, str, str, tuple[str, ...]]
_KEY = r"[\w./-]+"
_EXISTS = re.compile(rf"\s*(!?)\s*({_KEY})\s*")
_EQUALS = re.compile(rf"\s*({_KEY})\s*(==|=|!=)\s*([\w./-]*)\s*")
_SET = re.compile(rf"\s*({_KEY})\s+(in|notin)\s+\(([^()]*)\)\s*")


def _requirement(where: str, text: str) -> Requirement | None:
    """``key``, ``!key``, ``key=value`` (``==``, ``!=``), ``key in (a,b)``, ``key notin
    (a,b)``; None for anything else."""
    if found := _EXISTS.fullmatch(text):
        return where, found[2], "!" if found[1] else "exists", ()
    if found := _EQUALS.fullmatch(text):
        return where, found[1], "!=" if found[2] == "!=" else "=", (found[3],)
    if found := _SET.fullmatch(text):
        return where, found[1], found[2], tuple(v.strip() for v in found[3].split(","))
    return None


def _meets(metadata: Mapping[str, Any], requirement: Requirement) -> bool:
    """Whether a resource's metadata meets one requirement, as Kubernetes decides it (a key
    it lacks meets ``!=`` and ``notin``)."""
    where, key, operator, values = requirement
    found = metadata.get(where)
    value = found.get(key) if isinstance(found, dict) else None
    present = value is not None
    if operator in ("exists", "!"):
        return present == (operator == "exists")
    inside = present and str(value) in values
    return inside if operator in ("=", "in") else not inside


class _Entry(NamedTuple):
    """One patch of a kustomization: its file, or its inline text and the line before the
    text's first (None when the text is not a literal block, whose lines are unknown: then
    ``at``, the line of its key, is where every field it writes is)."""

    path: str | None
    text: str | None
    offset: int | None
    target: Mapping[str, Any] | None
    at: int | None = None


def _entries(kustomization: Document, raw: Sequence[str]) -> list[_Entry]:
    """The patch entries in the order kustomize applies them."""
    entries: list[_Entry] = []
    for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
        items = kustomization.data.get(key)
        for index, item in enumerate(items if isinstance(items, list) else []):
            where: KeyPath = (key, index)
            target = None
            if isinstance(item, dict):
                field = "path" if "path" in item else "patch"
                target = item.get("target") if isinstance(item.get("target"), dict) else None
                item, where = item.get(field), (key, index, field)
            if not isinstance(item, str):
                continue
            if where[-1] == "path" or key == "patchesStrategicMerge" and "\n" not in item:
                entries.append(_Entry(item, None, None, target))
                continue
            line = kustomization.lines.get(where)
            block = line is not None and 0 < line <= len(raw) and _LITERAL.search(
                raw[line - 1]) is not None
            entries.append(_Entry(None, item, line if block else None, target,
                                  None if block else line))
    return entries


def _entry_layers(entry: _Entry, directory: Path, rel: str, root: Path,
                  names: _Names) -> list[FieldLayer]:
    """One entry's layers, in the order kustomize applies them."""
    if entry.path is not None:
        path = Path(os.path.normpath(directory / entry.path))
        if not path.is_relative_to(root) or not path.is_file():
            return []
        file, offset = path.relative_to(root).as_posix(), 0
        try:
            text = read_text(path, file)[1]
        except PlatecheckError:
            return []
    elif entry.text is not None and (entry.offset is not None or entry.at is not None):
        file, offset, text = rel, entry.offset or 0, entry.text
    else:
        return []
    try:
        documents = load_documents(text, file)
    except PlatecheckError:
        return []  # the build reports a patch it cannot read
    layers = []
    for document in documents:
        lines = {path: line + offset if entry.at is None else entry.at
                 for path, line in document.lines.items()}
        if isinstance(document.data, list):
            layers.extend(_json_patch(document.data, lines, file, entry.target, names))
        elif isinstance(document.data, dict):
            kind, name = kind_name(document.data)
            if entry.target is not None:  # the target selects, not the patch's own name
                layers.append(names.layer(file, entry.target, document.data, lines))
            elif kind:
                # the patch names its resource: by kind, name and, where written, namespace
                metadata = document.data.get("metadata")
                namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
                layers.append(FieldLayer(
                    file, kind, names.written(name) if name else "(?!)", document.data, lines,
                    namespace=re.escape(namespace) if isinstance(namespace, str) and namespace
                    else ""))
    return layers


def _json_patch(operations: list[Any], lines: Mapping[KeyPath, int], file: str,
                target: Mapping[str, Any] | None, names: _Names) -> list[FieldLayer]:
    """A JSON 6902 patch as one layer: the fields its ``add`` and ``replace`` operations
    write, by their JSON pointers (list items by index), each at its ``value`` line, those
    its ``copy`` and ``move`` operations write, at their ``from`` line, and the keys its
    ``remove`` operations delete (null, at their ``path`` line: where a field the resource
    lacks went; a list item removed shifts the others, so is none)."""
    if target is None:
        return []
    data: dict[Any, Any] = {}
    written: dict[KeyPath, int] = {}
    for index, operation in enumerate(operations):
        op = operation.get("op") if isinstance(operation, dict) else None
        if op not in ("add", "replace", "copy", "move", "remove"):
            continue
        pointer = _pointer(operation.get("path"))
        copied = op in ("copy", "move")
        if not pointer or op == "remove" and not isinstance(pointer[-1], str) or (
                op != "remove" and ("from" if copied else "value") not in operation):
            continue
        node = data
        for part in pointer[:-1]:
            child = node.get(part)
            node[part] = node = child if isinstance(child, dict) else {}
        node[pointer[-1]] = REPLACED if copied else operation.get("value")
        written = {path: line for path, line in written.items()
                   if path[:len(pointer)] != pointer}  # a later operation replaces it
        if op == "remove":
            written.update({pointer: lines[(index, "path")]} if (index, "path") in lines
                           else {})
            continue
        if copied:  # the value at ``from`` as the build holds it then, written by the op
            written.update({pointer: lines[(index, "from")]} if (index, "from") in lines
                           else {})
            continue
        size = len((index, "value"))
        written.update({(*pointer, *path[size:]): line for path, line in lines.items()
                        if path[:size] == (index, "value")})
    if not written:
        return []
    return [names.layer(file, target, data, written)]


# --- replacements -------------------------------------------------------------------------

class _Replaced:
    """The value a replacement (or a JSON patch's ``copy`` or ``move``) writes: its
    source's, which the built resource holds."""

    def __repr__(self) -> str:
        return "<replaced>"


REPLACED = _Replaced()
_PLAIN_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]*")  # a kind, not a pattern of kinds


def _replacement_layers(source: PatchSource, root: Path, names: _Names) -> list[FieldLayer]:
    """The fields a kustomization's ``replacements`` write, in the order kustomize applies
    them (after the kustomization's patches and other transformers): one layer per target
    field path, at the line of that path in the kustomization or in the replacement file.
    A target that rejects resources, or selects its kind by a pattern, is left out, and so
    is a field path through a wildcard or a list item named by another key than ``name``:
    those fields are found where they were before."""
    items = source.document.data.get("replacements")
    layers: list[FieldLayer] = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        for replacement, lines, file in _replacements(item, ("replacements", index), source,
                                                      root):
            targets = replacement.get("targets")
            for number, target in enumerate(targets if isinstance(targets, list) else []):
                layers.extend(_target_layers(target, ("targets", number), lines, file, names))
    return layers


def _replacements(item: Any, where: KeyPath, source: PatchSource, root: Path
                  ) -> list[tuple[Mapping[str, Any], dict[KeyPath, int], str]]:
    """One entry of ``replacements``: the replacement written inline, or those of the file
    its ``path`` names (one, or a list), each with its lines and file."""
    if not isinstance(item, dict):
        return []
    if not isinstance(item.get("path"), str):
        return [(item, below(source.document.lines, where), source.file)]
    path = Path(os.path.normpath(source.directory / item["path"]))
    if not path.is_relative_to(root) or not path.is_file():
        return []  # the build says what it cannot load
    file = path.relative_to(root).as_posix()
    try:
        document = load_document(read_text(path, file)[1], file)
    except PlatecheckError:
        return []
    if isinstance(document.data, dict):
        return [(document.data, dict(document.lines), file)]
    return [(entry, below(document.lines, (number,)), file)
            for number, entry in enumerate(document.data if isinstance(document.data, list)
                                           else []) if isinstance(entry, dict)]


def _target_layers(target: Any, where: KeyPath, lines: Mapping[KeyPath, int], file: str,
                   names: _Names) -> list[FieldLayer]:
    """A replacement target's field paths as layers (``metadata.name`` when it names none)."""
    if not isinstance(target, dict) or target.get("reject"):
        return []
    select = target.get("select")
    if not isinstance(select, dict) or not _PLAIN_KIND.fullmatch(str(select.get("kind", ""))):
        return []
    paths = target.get("fieldPaths") or ["metadata.name"]
    layers = []
    for number, field_path in enumerate(paths if isinstance(paths, list) else []):
        line = lines.get((*where, "fieldPaths", number)) or lines.get(where)
        parts = _field_path(field_path)
        if parts is None or line is None:
            continue
        data: dict[Any, Any] = {}
        written = _write(data, parts)
        if written is None:
            continue
        layers.append(names.layer(file, select, data, {written: line}))
    return layers


def _field_path(text: Any) -> list[str | int | tuple[str, str]] | None:
    """A kustomize field path (``spec.rules.0.host``, ``containers.[name=web].image``,
    ``metadata.annotations.[example.com/key]``, a dot escaped with a backslash) as keys,
    list indexes and ``("name", value)`` list items, as kustomize splits it; None for what no
    layer holds (a wildcard, an item named by another key)."""
    if not isinstance(text, str) or not text:
        return None
    pieces: list[str] = []
    for piece in text.split("."):  # a backslash before a dot keeps the two pieces one
        if pieces and pieces[-1].endswith("\\"):
            pieces[-1] = f"{pieces[-1][:-1]}.{piece}"
        else:
            pieces.append(piece)
    if len(pieces) > 1 and pieces[0] == "":
        pieces = pieces[1:]  # a leading "/" or "." names the same path
    parts: list[str | int | tuple[str, str]] = []
    index = 0
    while index < len(pieces):
        piece = pieces[index]
        if piece.startswith("[") and not piece.endswith("]"):  # "[a.b.c]": one piece
            end = next((i for i in range(index + 1, len(pieces)) if pieces[i].endswith("]")),
                       len(pieces) - 1)
            piece, index = ".".join(pieces[index:end + 1]), end
        index += 1
        if piece.startswith("[") and piece.endswith("]") and "=" not in piece:
            parts.append(piece[1:-1])
        elif piece.startswith("[name=") and piece.endswith("]"):
            parts.append(("name", piece[len("[name="):-1]))
        elif piece.startswith("[") or piece in ("", "*"):
            return None
        else:
            parts.append(int(piece) if piece.isdigit() else piece)
    return parts


def _write(data: dict[Any, Any], parts: Sequence[str | int | tuple[str, str]]
           ) -> KeyPath | None:
    """``REPLACED`` written into ``data`` at ``parts`` as patches hold fields: keys and list
    indexes as mappings, a list item named by its ``name`` as a list holding it; the key
    path it is written at, or None when ``parts`` end at a list item or go from one list
    item straight into another."""
    node: Any = data
    written: list[str | int] = []
    for position, part in enumerate(parts):
        following = parts[position + 1] if position + 1 < len(parts) else None
        if isinstance(part, tuple):
            if following is None or isinstance(following, tuple):
                return None
            node.append({"name": part[1]})
            written.append(len(node) - 1)
            node = node[-1]
            continue
        node[part] = REPLACED if following is None else (
            [] if isinstance(following, tuple) else {})
        node = node[part]
        written.append(part)
    return tuple(written)


def _pointer(path: Any) -> KeyPath:
    """A JSON pointer's key path, list indexes as numbers; () when it names no place. Its
    last token ``-`` (``add`` at the end of a list) stays ``"-"``: the item it appends is
    known by its ``name``, as a strategic-merge patch's items are."""
    if not isinstance(path, str) or not path.startswith("/"):
        return ()
    tokens = path[1:].split("/")
    parts: list[str | int] = []
    for number, token in enumerate(tokens):
        token = token.replace("~1", "/").replace("~0", "~")
        if token == "-" and number < len(tokens) - 1:
            return ()
        parts.append(int(token) if token.isdigit() else token)
    return tuple(parts)


def kind_name(doc: Mapping[str, Any]) -> tuple[str, str]:
    """A manifest document's kind and ``metadata.name`` ("" for what it lacks)."""
    metadata = doc.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return str(doc.get("kind", "")), str(name) if name is not None else ""


def patch_origin(layers: Sequence[FieldLayer], resource: Resource,
                 path: Sequence[str | int]) -> Origin | None:
    """The patch line that wrote ``path`` of ``resource``, the highest precedence one."""
    for layer in _applying(layers, resource):
        written = _written_path(resource.doc, layer.data, path)
        line = layer.lines.get(written) if written is not None else None
        if line is not None:
            return Origin(layer.file, line)
    return None


def _applying(layers: Sequence[FieldLayer], resource: Resource) -> Iterable[FieldLayer]:
    """The patches of ``resource``: its kind, API group and version and its name matching
    theirs (regular expressions, as kustomize's selectors), carrying the labels and
    annotations their targets select."""
    from platecheck.goregex import go_fullmatch

    metadata = resource.doc.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    group, _, version = resource.api_version.rpartition("/")
    return (layer for layer in layers
            if all(not pattern or go_fullmatch(pattern, value) for pattern, value in (
                (layer.kind, resource.kind), (layer.group, group), (layer.version, version),
                (layer.namespace, resource.namespace or "")))
            and go_fullmatch(layer.name, resource.name)
            and all(_meets(metadata, requirement) for requirement in layer.selector))


def _written_path(built: Any, patch: Any, path: Sequence[str | int]) -> KeyPath | None:
    """``path`` of the built resource as the patch writes it: a list item by the index of
    the patch's item of the same ``name``; None when the patch does not hold it."""
    written: list[str | int] = []
    for part in path:
        if isinstance(part, str):
            if not isinstance(patch, dict) or part not in patch:
                return None
            built = built.get(part) if isinstance(built, dict) else None
            patch = patch[part]
            written.append(part)
            continue
        if isinstance(patch, dict) and part in patch:  # a JSON patch's list index
            built = built[part] if isinstance(built, list) and part < len(built) else None
            patch = patch[part]
            written.append(part)
            continue
        if not isinstance(patch, list):
            return None
        item = built[part] if isinstance(built, list) and part < len(built) else None
        name = item.get("name") if isinstance(item, dict) else None
        if name is not None:
            index = next((i for i, p in enumerate(patch)
                          if isinstance(p, dict) and p.get("name") == name), None)
        else:
            index = part if part < len(patch) else None
        if index is None:
            return None
        built, patch = item, patch[index]
        written.append(index)
    return tuple(written)


def patch_value_origin(layers: Sequence[FieldLayer], resource: Resource,
                       fields: Sequence[str], anchor: str | None,
                       values: Sequence[object]) -> Origin | None:
    """The patch line of the first of ``fields`` within the resource's entry named
    ``anchor`` (a container), holding one of ``values`` (when any is given): what a policy
    that knows a field by its name and value, not by its path, reports."""
    wanted = {str(value) for value in values if value is not None}
    for layer in _applying(layers, resource):
        scopes = [(path, node) for path, node in _mappings(layer.data, ())
                  if anchor is None or anchor in (node.get("name"), _name_at(resource.doc, path))]
        for name in fields:
            for scope_path, scope in scopes:
                for key_path, node in _mappings(scope, scope_path):
                    if name in node and (not wanted or node[name] is REPLACED
                                         or _holds(node[name], wanted)):
                        line = layer.lines.get((*key_path, name))
                        if line is not None:
                            return Origin(layer.file, line)
    return None


def _holds(value: Any, wanted: set[str]) -> bool:
    """Whether a patch's value is one of ``wanted``, or a list holding one (a tls entry's
    ``hosts``)."""
    items = value if isinstance(value, list) else [value]
    return any(not isinstance(item, dict | list) and str(item) in wanted for item in items)


def _name_at(doc: Any, path: KeyPath) -> Any:
    """The ``name`` of the built resource's list item a JSON patch names by ``path``."""
    if not path or not isinstance(path[-1], int):
        return None
    for part in path:
        if isinstance(part, int) and isinstance(doc, list) and part < len(doc):
            doc = doc[part]
        elif isinstance(part, str) and isinstance(doc, dict):
            doc = doc.get(part)
        else:
            return None
    return doc.get("name") if isinstance(doc, dict) else None


def _mappings(node: Any, path: KeyPath) -> Iterable[tuple[KeyPath, Mapping[str, Any]]]:
    """Every mapping in ``node`` with its key path, outermost first."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _mappings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _mappings(value, (*path, index))
