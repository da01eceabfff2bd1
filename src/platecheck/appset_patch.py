"""An ApplicationSet's ``templatePatch``, applied to each Application it makes as the
ApplicationSet controller applies it (argo-cd ``applicationset/controllers/template``
``renderTemplatePatch`` and ``patch.go`` ``applyTemplatePatch``).

The patch text is filled over the Application's parameter set in the set's template language
(``Render.Replace``: Go's text/template, or fasttemplate's ``{{key}}`` tags, whatever the
parameters), read as YAML (sigs.k8s.io/yaml ``YAMLToJSON``: go-yaml's first document), checked
against the Application's Go types (``json.Unmarshal``: a value of another type fails) and
applied with Kubernetes' strategic merge patch (apimachinery ``StrategicMergePatch`` over the
``Application`` type, ``IgnoreUnmatchedNulls``): a map merges into a map key by key, a null
deletes its key, a list or any other value replaces what is there (no field of an Application
has a merge key), a map or list merged into the one a ``valuesObject`` holds fails (its Go
type has no fields to look the key up in). The project stays the template's and the namespace
the set's. A patch that fails fails the ApplicationSet: Argo CD creates none of its
Applications (``Reconcile`` returns on ``GenerateApplications``' first error).

What is not applied exactly is ``Unread`` (the set is left unexpanded): a patch of JSON text
(``{`` first: read by ``encoding/json``, not YAML; one that is no JSON, such as YAML's flow
style or a Go template action a set without goTemplate leaves as written, fails), a ``$`` key
anywhere (``$patch``, ``$retainKeys``, ``$setElementOrder``, ``$deleteFromPrimitiveList``), a
key the Application's type does not have (Go's decoder drops it, or matches it
case-insensitively), a metadata key but name, namespace, labels and annotations (``finalizers``
is a merged list), a top-level key but metadata and spec, a null in a list, a fractional number
where an integer goes, a number for a Kustomize replica count or a ``valuesObject`` that is no
map, and a patch that empties the name.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from platecheck.appset import (
    Language,
    UnterminatedTag,
    _flatten,
    _template_types,
    fasttemplate,
    generated_name,
)
from platecheck.errors import PlatecheckError, YamlError, YamlTooComplex, YamlTooDeep
from platecheck.lazymodule import LazyModule
from platecheck.model import KeyPath, scalars
from platecheck.yamlio import Document, first_document, type_name

if TYPE_CHECKING:
    from platecheck import gotemplate
else:
    gotemplate = LazyModule("platecheck.gotemplate")

_INT64 = (-(1 << 63), (1 << 63) - 1)
_METADATA = frozenset(("name", "namespace", "labels", "annotations"))
_KEPT = (("spec", "project"), ("metadata", "namespace"))


class Unread(Exception):
    """A patch platecheck does not apply exactly: the set is not expanded."""


class _Failed(Exception):
    """Argo CD's failure of the patch for one Application: why, and at what key path."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def patch_text(spec: Mapping[str, Any]) -> str | None:
    """The ``templatePatch`` of an ApplicationSet ``spec``; None when it has none."""
    text = spec.get("templatePatch")
    return text if isinstance(text, str) else None


def patched(document: Document, app: Document, text: str, params: Mapping[str, Any],
            language: Language, rel: str) -> Document:
    """The Application ``app`` (made of the set ``document`` with ``params``) with the set's
    templatePatch ``text`` applied; its fields the patch writes at the templatePatch's line.
    Argo CD's failure is a could-not-check error there; ``Unread`` what is not applied
    exactly, ``gotemplate.Unsupported`` a Go template not executed exactly."""
    at = document.line_of(("spec", "templatePatch"))
    try:
        patch = _patch_data(_filled(text, params, language), rel,
                            language is Language.FASTTEMPLATE)
        if patch is None:
            return app
        _typed(patch, _application_types(), ())
        changed: list[tuple[KeyPath, bool]] = []
        merged = _merge(app.data, patch, _application_types(), (), changed)
    except _Failed as exc:
        own = document.data.get("metadata")
        name = own.get("name") if isinstance(own, Mapping) else None
        raise PlatecheckError(
            f"ApplicationSet {name} templatePatch, for Application {generated_name(app)!r}: "
            f"{exc.message}; Argo CD fails the ApplicationSet and creates none of its "
            "Applications", rel, at,
            "Make the templatePatch write YAML of the Application's fields, of their types, "
            "for every parameter set.") from None
    _kept(app.data, merged)
    if generated_name(app) and not generated_name(Document(merged, {}, 1)):
        raise Unread  # (an Application the controller refuses for its name: not modelled)
    lines = _lines(app.lines, merged, changed, at)
    lines.update({path: app.lines[path] for path in _KEPT if path in app.lines})
    return Document(merged, lines, app.line)


def _filled(text: str, params: Mapping[str, Any], language: Language) -> str:
    """``text`` filled over ``params`` as ``Render.Replace`` fills it (no parameters too)."""
    if language is Language.FASTTEMPLATE:
        try:
            return fasttemplate(text, _flatten(params))
        except UnterminatedTag:
            raise _Failed("it has a '{{' with no '}}' after it (invalid template)") from None
    parsed = gotemplate.parse(text)
    if parsed is None:
        raise Unread
    try:
        return gotemplate.execute(parsed, params, language.value)
    except gotemplate.ExecError as exc:
        raise _Failed(f"executing it at {exc.message}") from None


def _no_constant(word: str) -> None:
    raise ValueError(f"{word} is no JSON")  # (Python's reader takes NaN, Go's does not)


def _patch_data(text: str, rel: str, fast: bool) -> dict[str, Any] | None:
    """The patch ``text`` as ``ConvertYAMLToJSON`` reads it; None for null (no change).
    ``fast``: the set fills it with fasttemplate (no goTemplate)."""
    if text.lstrip(" \t\n\v\f\r\x85\xa0").startswith("{"):
        # (JSON, read by encoding/json: applied exactly not, refused when it is no JSON at
        # all, as a Go template action left in the text of a set without goTemplate is)
        try:
            json.loads(text, parse_constant=_no_constant)
        except ValueError as exc:
            where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
            action = (", a template action left as written: without goTemplate: true the "
                      "set fills only {{key}} tags of its parameters" if fast and
                      text.lstrip(" \t\n\v\f\r\x85\xa0").startswith("{{") else "")
            raise _Failed(f"it starts with '{{' once filled{action}, so Argo CD reads it as "
                          f"JSON, and it is no JSON{where}") from None
        raise Unread
    try:
        data = first_document(text, rel).data
    except (YamlTooComplex, YamlTooDeep):
        raise Unread from None
    except YamlError as exc:
        raise _Failed(f"the YAML it writes does not parse ({exc.message})") from None
    for path, value in scalars(data):
        if isinstance(value, float) and not math.isfinite(value):
            raise _Failed(f"{_dotted(path)} is {value}, which JSON cannot hold (json: "
                          "unsupported value)")
    if data is not None and not isinstance(data, dict):
        raise _Failed(f"it writes {type_name(data)}, not a map of an Application's fields")
    return data


@functools.cache
def _application_types() -> Mapping[str, Any]:
    """The types of the fields of an Application a patch may write: metadata's name,
    namespace, labels and annotations, and its spec (the ApplicationSet schema's)."""
    template = _template_types()["properties"]
    metadata = template["metadata"]
    return {"type": "object", "properties": {
        "metadata": {**metadata, "properties": {k: v for k, v in metadata["properties"].items()
                                                if k in _METADATA}},
        "spec": template["spec"]}}


def _free(schema: Mapping[str, Any]) -> bool:
    """Whether ``schema`` is of raw JSON (a ``valuesObject``: Go's RawExtension)."""
    return schema.get("type") == "object" and "properties" not in schema \
        and "additionalProperties" not in schema


def _typed(value: Any, schema: Mapping[str, Any], path: KeyPath) -> None:
    """``json.Unmarshal`` of the patch into an Application: a value of another type than its
    field's fails (``_Failed``); a null is no value anywhere; ``Unread`` what platecheck
    does not decode exactly."""
    if value is None:
        return
    wanted = schema.get("type")
    if _free(schema):
        if not isinstance(value, dict):
            raise Unread
        _raw(value)
        return
    if wanted == "object":
        if not isinstance(value, dict):
            raise _mistyped(value, "object", path)
        fields, other = schema.get("properties"), schema.get("additionalProperties", {})
        for key, item in list(value.items()):
            if fields is not None and _dropped(key, fields):
                del value[key]  # (json.Unmarshal drops a field the Application has not)
                continue
            if key.startswith("$") or (fields is not None and key not in fields):
                raise Unread
            _typed(item, fields[key] if fields is not None else other, (*path, key))
    elif wanted == "array":
        if not isinstance(value, list):
            raise _mistyped(value, "array", path)
        for index, item in enumerate(value):
            if item is None:
                raise Unread
            _typed(item, schema.get("items", {}), (*path, index))
    elif wanted == "integer":
        if isinstance(value, float) and not isinstance(value, bool):
            raise Unread  # (encoding/json reads the number's text as Go wrote it)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _mistyped(value, "integer", path)
        if not _INT64[0] <= value <= _INT64[1]:
            raise _Failed(f"{_dotted(path)}: {value} overflows an int64")
    elif wanted in ("string", "boolean"):
        if not isinstance(value, str if wanted == "string" else bool):
            raise _mistyped(value, str(wanted), path)
    elif not isinstance(value, str):
        raise Unread  # (an integer or a string: IntOrString)


def _dropped(key: str, fields: Mapping[str, Any]) -> bool:
    """Whether the patch's ``key`` is no field of the Application's, nor one Go's
    ``encoding/json`` matches it to (case aside), nor a strategic merge directive (``$``):
    the merge takes it as it is (the Application has no such key) and ``json.Unmarshal``
    drops it (``applyTemplatePatch``)."""
    return not key.startswith("$") and key.casefold() not in {f.casefold() for f in fields}


def _raw(value: Any) -> None:
    """A ``valuesObject``'s raw JSON: any, but a ``$`` key or a null in a list."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$"):
                raise Unread
            _raw(item)
    elif isinstance(value, list):
        for item in value:
            if item is None:
                raise Unread
            _raw(item)


def _mistyped(value: Any, wanted: str, path: KeyPath) -> _Failed:
    return _Failed(f"{_dotted(path)}: expected {wanted}, got {type_name(value)} "
                   f"{json.dumps(value, default=str)} (json: cannot unmarshal it into the "
                   "Application's field)")


def _dotted(path: KeyPath) -> str:
    return ".".join(map(str, path)) or "the patch"


def _merge(original: Mapping[str, Any], patch: Mapping[str, Any], schema: Mapping[str, Any],
           path: KeyPath, changed: list[tuple[KeyPath, bool]]) -> dict[str, Any]:
    """apimachinery's ``mergeMap`` of ``patch`` into ``original`` (``IgnoreUnmatchedNulls``,
    no directives): each key path the patch writes or deletes in ``changed`` (true when it
    writes it)."""
    out = dict(original)
    free = _free(schema)
    fields = schema.get("properties")
    for key, value in patch.items():
        at = (*path, key)
        current = out.get(key)
        if value is None:
            if key in out:
                del out[key]
                changed.append((at, False))
            continue
        both = type(current) is type(value) and isinstance(value, (dict, list))
        if both and free:
            raise _Failed(f"{_dotted(at)}: merging into valuesObject a {type_name(value)[2:]} "
                          "it holds already fails (unable to find api field in struct "
                          f"RawExtension for the json field {key!r})")
        inner = fields[key] if fields is not None else schema.get("additionalProperties", {})
        if both and isinstance(value, dict) and isinstance(current, dict):
            out[key] = _merge(current, value, inner, at, changed)
        else:
            out[key] = _without_nulls(value)
            changed.append((at, True))
    return out


def _without_nulls(value: Any) -> Any:
    """``discardNullValuesFromPatch``: the null values of every map in ``value`` dropped."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return copy.deepcopy(value)


def _kept(before: Mapping[str, Any], after: dict[str, Any]) -> None:
    """What the patch cannot change: the project (``finalApp.Spec.Project``) and the
    namespace (the set's, forced after the patch), restored in ``after``."""
    for key, field in _KEPT:
        old, new = before.get(key), after.get(key)
        was = old.get(field) if isinstance(old, Mapping) and field in old else None
        part = dict(new) if isinstance(new, Mapping) else {}
        part.pop(field, None)
        if was is not None:
            part[field] = was
        if part or key in after or was is not None:
            after[key] = part


def _lines(lines: Mapping[KeyPath, int], merged: Mapping[str, Any],
           changed: list[tuple[KeyPath, bool]], at: int) -> dict[KeyPath, int]:
    """The key lines of the patched Application: a path the patch writes or deletes, and
    all below it, no longer the template's; those it writes at the templatePatch's ``at``."""
    out = dict(lines)
    for path, written in changed:
        for key in [k for k in out if k[:len(path)] == path]:
            del out[key]
        if written:
            out[path] = at
            value: Any = merged
            for step in path:
                value = value[step]
            out.update({(*path, *below): at for below in _paths(value)})
    return out


def _paths(value: Any) -> list[KeyPath]:
    """Every key path below ``value``."""
    if isinstance(value, dict):
        items: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    return [p for key, item in items for p in [(key,), *((key, *q) for q in _paths(item))]]
