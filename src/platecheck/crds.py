"""Schemas for custom resources from the CustomResourceDefinitions in the repository.

A CRD found in a chart's ``crds/`` directory (any chart in the repository, vendored ones
included) or in what any target renders gives the schema of its kind for each served version:
``openAPIV3Schema`` turned into the JSON schema the API server effectively applies, strict like
the Kubernetes schemas (an unknown field is a finding, as the API server prunes it):

- ``x-kubernetes-preserve-unknown-fields: true``: any field is allowed there; an object
  with neither it, ``properties`` nor ``additionalProperties`` allows no field (its fields are
  pruned);
- ``x-kubernetes-int-or-string: true``: an integer or a string;
- ``nullable: true``: null is allowed too;
- ``exclusiveMaximum: true`` / ``exclusiveMinimum: true`` (booleans in OpenAPI v3.0): the
  bound is exclusive;
- ``x-kubernetes-embedded-resource: true``: apiVersion, kind and metadata are allowed (that
  apiVersion and kind are there is ``crd_invariants``' to check);
- ``metadata`` at the top is Kubernetes' ObjectMeta: only what the CRD says about it is
  checked, never "unknown field".

https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from platecheck import crd_structural
from platecheck.boundedread import is_regular_file
from platecheck.cache import Digest, ResultMemo, code_digest
from platecheck.discover import rel_path
from platecheck.errors import PlatecheckError
from platecheck.model import Chart, CrdSchema, RenderedTarget
from platecheck.realpaths import resolve
from platecheck.schema_problems import format_path
from platecheck.walk import rglob, walk
from platecheck.yamlio import load_documents, read_text

CRD_KIND = "CustomResourceDefinition"
_CRD_GROUP = "apiextensions.k8s.io"
XRD_KIND = "CompositeResourceDefinition"  # Crossplane's, which defines kinds in its turn
_XRD_GROUP = "apiextensions.crossplane.io"
_ANY_OBJECT: Mapping[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
_SUFFIXES = (".yaml", ".yml", ".json")
_COMBINATORS = ("allOf", "anyOf", "oneOf")
GVK = tuple[str, str, str]


def from_document(doc: Mapping[str, Any], source: str,
                  known: Container[GVK] = ()) -> Iterator[CrdSchema]:
    """The schema of each served version a CRD document defines (none when it has none),
    or a Crossplane CompositeResourceDefinition (``_composite``), but for those whose group,
    version and kind are ``known`` (not converted)."""
    if doc.get("kind") == XRD_KIND and str(doc.get("apiVersion", "")).startswith(
            f"{_XRD_GROUP}/"):
        yield from _composite(doc, source, known)
        return
    if doc.get("kind") == _TEMPLATE_KIND and str(doc.get("apiVersion", "")).startswith(
            f"{_TEMPLATE_GROUP}/"):
        yield from _constraint(doc, source, known)
        return
    if doc.get("kind") != CRD_KIND or not str(doc.get("apiVersion", "")).startswith(
            f"{_CRD_GROUP}/"):
        return
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        return
    group = spec.get("group")
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, Mapping) else None
    if not isinstance(group, str) or not isinstance(kind, str):
        return
    shared = _schema_of(spec.get("validation"))  # apiextensions.k8s.io/v1beta1
    # a v1beta1 CRD keeps the fields its schema does not name unless it says otherwise
    # (``preserveUnknownFields`` defaults to true there): none is pruned, none refused
    strict = not (doc.get("apiVersion") == f"{_CRD_GROUP}/v1beta1"
                  and spec.get("preserveUnknownFields") is not False)
    scope = "Cluster" if spec.get("scope") == "Cluster" else "Namespaced"
    refused = next((f"{format_path(path)}: {message}"
                    for path, message in crd_structural.crd_problems(doc)), "")
    versions = spec.get("versions")
    if isinstance(versions, list):
        for entry in versions:
            if not isinstance(entry, Mapping) or entry.get("served") is False:
                continue  # the API server refuses resources of a version it does not serve
            schema = _schema_of(entry.get("schema")) or shared
            if isinstance(entry.get("name"), str) and schema is not None and \
                    (group, entry["name"], kind) not in known:
                yield CrdSchema(group, entry["name"], kind, to_json_schema(schema, strict),
                                source, scope, refused)
    elif isinstance(spec.get("version"), str) and shared is not None and \
            (group, spec["version"], kind) not in known:
        yield CrdSchema(group, spec["version"], kind, to_json_schema(shared, strict), source,
                        scope, refused)


def _composite(doc: Mapping[str, Any], source: str, known: Container[GVK]
               ) -> Iterator[CrdSchema]:
    """The kinds Crossplane defines for a CompositeResourceDefinition: its composite
    resource's (``names``; cluster-scoped in ``v1``, of ``spec.scope`` in ``v2``, Namespaced
    by default, ``LegacyCluster`` cluster-scoped) and its claim's (``claimNames``,
    namespaced), each served version with the version's schema. Crossplane adds fields of
    its own to both (``compositionRef``, ``writeConnectionSecretToRef``, ``crossplane``), so
    a field the schema does not name is not refused (not strict); types are checked."""
    spec = doc.get("spec")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("group"), str):
        return
    group = spec["group"]
    scope = spec.get("scope") or ("LegacyCluster" if doc.get("apiVersion") == f"{_XRD_GROUP}/v1"
                                  else "Namespaced")
    kinds = [(_mapping(spec.get("names")).get("kind"),
              "Namespaced" if scope == "Namespaced" else "Cluster"),
             (_mapping(spec.get("claimNames")).get("kind"), "Namespaced")]
    versions = spec.get("versions")
    for entry in versions if isinstance(versions, list) else ():
        if not isinstance(entry, Mapping) or entry.get("served") is False \
                or not isinstance(entry.get("name"), str):
            continue
        schema = _schema_of(entry.get("schema")) or _ANY_OBJECT
        for kind, kind_scope in kinds:
            if isinstance(kind, str) and kind and (group, entry["name"], kind) not in known:
                yield CrdSchema(group, entry["name"], kind, to_json_schema(schema, False),
                                source, kind_scope)


# Gatekeeper's ConstraintTemplate, which defines a constraint kind in its turn
_TEMPLATE_KIND = "ConstraintTemplate"
_TEMPLATE_GROUP = "templates.gatekeeper.sh"
_CONSTRAINT_GROUP = "constraints.gatekeeper.sh"
_CONSTRAINT_VERSIONS = ("v1", "v1beta1", "v1alpha1")


def _constraint(doc: Mapping[str, Any], source: str, known: Container[GVK]
                ) -> Iterator[CrdSchema]:
    """The kind Gatekeeper defines for a ConstraintTemplate (``spec.crd.spec.names.kind`` in
    ``constraints.gatekeeper.sh``, each version it serves, cluster-scoped), whose
    ``spec.parameters`` the template's ``validation`` schema describes; Gatekeeper adds
    fields of its own (``match``, ``enforcementAction``), so a field no schema names is not
    refused (not strict)."""
    crd = _mapping(_mapping(_mapping(doc.get("spec")).get("crd")).get("spec"))
    kind = _mapping(crd.get("names")).get("kind")
    if not isinstance(kind, str) or not kind:
        return
    parameters = _schema_of(crd.get("validation"))
    schema: Mapping[str, Any] = {"type": "object", "properties": {"spec": {
        "type": "object", **({"properties": {"parameters": parameters}} if parameters else {})}}}
    for version in _CONSTRAINT_VERSIONS:
        if (_CONSTRAINT_GROUP, version, kind) not in known:
            yield CrdSchema(_CONSTRAINT_GROUP, version, kind, to_json_schema(schema, False),
                            source, "Cluster")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _schema_of(holder: Any) -> Mapping[str, Any] | None:
    schema = holder.get("openAPIV3Schema") if isinstance(holder, Mapping) else None
    return schema if isinstance(schema, Mapping) else None


def to_json_schema(openapi: Mapping[str, Any], strict: bool = True) -> dict[str, Any]:
    """A CRD's structural schema as a strict JSON schema (see the module documentation);
    not ``strict``: fields it does not name allowed (a v1beta1 CRD that preserves them)."""
    schema = _convert(openapi, strict=strict)
    properties = schema.setdefault("properties", {})
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    original = openapi.get("properties")
    metadata = original.get("metadata") if isinstance(original, Mapping) else None
    properties["metadata"] = (_convert(metadata, strict=False)
                              if isinstance(metadata, Mapping) else {"type": "object"})
    schema.setdefault("type", "object")
    return schema


def _convert(node: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
    result: dict[str, Any] = {k: copy.deepcopy(v) for k, v in node.items()
                              if k not in ("properties", "items", "additionalProperties",
                                           "not", *_COMBINATORS)}
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    int_or_string = node.get("x-kubernetes-int-or-string") is True
    if int_or_string:
        result["type"] = ["integer", "string"]  # the anyOf of both types that comes with it
    if node.get("nullable") is True and "type" in result:
        types = result["type"] if isinstance(result["type"], list) else [result["type"]]
        result["type"] = [*types, "null"]
    for bound, exclusive in (("maximum", "exclusiveMaximum"), ("minimum", "exclusiveMinimum")):
        # OpenAPI v3.0 (a CRD's) marks a bound exclusive with a boolean; JSON Schema 2020-12
        # gives the exclusive bound itself
        flag = result.get(exclusive)
        if isinstance(flag, bool):
            del result[exclusive]
            if flag and bound in result:
                result[exclusive] = result.pop(bound)
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        result["properties"] = {str(k): _convert(v, strict=strict)
                                for k, v in properties.items() if isinstance(v, Mapping)}
    if node.get("x-kubernetes-embedded-resource") is True:
        embedded = result.setdefault("properties", {})
        for key, kind in (("apiVersion", "string"), ("kind", "string"), ("metadata", "object")):
            embedded.setdefault(key, {"type": kind})
        if isinstance(properties, Mapping) and isinstance(properties.get("metadata"), Mapping):
            # an ObjectMeta, as at the top: its fields are kept, not pruned
            embedded["metadata"] = _convert(properties["metadata"], strict=False)
    items = node.get("items")
    if isinstance(items, Mapping):
        result["items"] = _convert(items, strict=strict)
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping):
        result["additionalProperties"] = _convert(extra, strict=strict)
    elif isinstance(extra, bool):
        result["additionalProperties"] = extra
    elif strict and not preserve and ("properties" in result or node.get("type") == "object"):
        # the API server prunes unknown fields: every field of an object with no properties
        result["additionalProperties"] = False
    # value validations only: a branch never makes a field unknown
    for key in _COMBINATORS:
        branches = node.get(key)
        if isinstance(branches, list) and not (int_or_string and key == "anyOf"):
            result[key] = [_convert(b, strict=False) for b in branches if isinstance(b, Mapping)]
    if isinstance(node.get("not"), Mapping):
        result["not"] = _convert(node["not"], strict=False)
    return result


def _chart_walk(root: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    """The repository's directories: not hidden ones, not symbolic links, not another
    repository inside it (a directory with ``.git`` or ``policies/platecheck.yaml``)."""
    for current, dirs, files in walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (here / d).is_symlink() and not (here / d / ".git").exists()
                         and not (here / d / "policies" / "platecheck.yaml").is_file())
        yield current, dirs, files


def _chart_directories(root: Path) -> list[Path]:
    """The directory of every chart in the repository, vendored ones included."""
    return [Path(current) for current, _, names in _chart_walk(root) if "Chart.yaml" in names]


def chart_crd_files(root: Path, charts: Sequence[Path] | None = None) -> list[Path]:
    """The files of the ``crds/`` directory of each of ``charts`` (helm reads its
    subdirectories too), by default every chart's of the repository."""
    files: set[Path] = set()
    for chart in _chart_directories(root) if charts is None else charts:
        directory = chart / "crds"
        if not directory.is_dir() or directory.is_symlink():
            continue
        for path in rglob(directory):
            if (path.suffix.lower() in _SUFFIXES and is_regular_file(path)
                    and resolve(path).is_relative_to(root)):
                files.add(path)
    return sorted(files)


def _archived(root: Path, charts: Sequence[Path], memo: ResultMemo | None,
              errors: list[PlatecheckError]) -> list[CrdSchema]:
    """The CRD schemas in the ``crds/`` of the chart archives vendored in the ``charts/`` of
    each of ``charts`` (known by the archive's path and the member's); a member that cannot
    be read is an error."""
    found: list[CrdSchema] = []
    for chart in charts:
        vendored = chart / "charts"
        if not vendored.is_dir():
            continue
        for archive in sorted(vendored.glob("*.tgz")):
            if not is_regular_file(archive):
                continue
            rel = rel_path(archive, root)
            try:
                found.extend(_remembered("crd-archive", [rel, archive.read_bytes()], memo,
                                         functools.partial(_archive_schemas, archive, rel)))
            except PlatecheckError as exc:
                errors.append(exc)
            except OSError as exc:
                errors.append(PlatecheckError(f"cannot read: {exc.strerror}", rel))
    return found


def _archive_schemas(archive: Path, rel: str) -> list[CrdSchema]:
    from platecheck.dependencies import archived_crds

    return [schema for member, text in archived_crds(archive)
            for schema in _file_schemas(text, f"{rel}/{member}", None)]


def from_files(root: Path, files: Sequence[Path], memo: ResultMemo | None = None
               ) -> tuple[list[CrdSchema], list[PlatecheckError]]:
    """The CRD schemas in ``files``; a file that cannot be read is an error, not a skip.
    With ``memo``, the schemas of a file are remembered per content: vendored CRDs run to
    megabytes of YAML, read on every run."""
    found: list[CrdSchema] = []
    errors: list[PlatecheckError] = []
    for path in files:
        rel = rel_path(path, root)
        try:
            _, text = read_text(path, rel)
            found.extend(_file_schemas(text, rel, memo))
        except PlatecheckError as exc:
            errors.append(exc)
    return found, errors


# what decides the schemas of a CRD file besides its content: the YAML reader and the
# conversion
_CODE = ("crds.py", "crd_structural.py", "yamlio.py", "goyaml.py")


def _file_schemas(text: str, rel: str, memo: ResultMemo | None) -> list[CrdSchema]:
    return _remembered("crd-file", [rel, text], memo, lambda: [
        schema for document in load_documents(text, rel) if isinstance(document.data, Mapping)
        for schema in from_document(document.data, f"{rel}:{document.line}")])


def _remembered(kind: str, parts: Sequence[str | bytes], memo: ResultMemo | None,
                schemas: Callable[[], list[CrdSchema]]) -> list[CrdSchema]:
    """``schemas()``, remembered in ``memo`` per ``parts`` (what decides them besides this
    code: a file's path and content)."""
    code = code_digest(_CODE, ("PyYAML",)) if memo is not None else None
    key = None
    if memo is not None and code is not None:
        digest = Digest(kind)
        digest.extend([code, *parts])
        key = digest.hexdigest()
        known = memo.get(key, key)  # a group per file content: a run reads what it has
        if isinstance(known, list) and all(isinstance(item, list) and len(item) == 7
                                           for item in known):
            return [CrdSchema(*item) for item in known]
    found = schemas()
    if memo is not None and key is not None:
        plain = [[s.group, s.version, s.kind, s.schema, s.source, s.scope, s.refused]
                 for s in found]
        try:
            exact = json.loads(json.dumps(plain)) == plain  # a date or a number key is not
        except (TypeError, ValueError):
            exact = False
        if exact:
            memo.put(key, key, plain)
    return found


def from_rendered(rendered: Iterable[RenderedTarget],
                  known: Iterable[GVK] | Mapping[GVK, CrdSchema] = ()) -> list[CrdSchema]:
    """The CRDs that targets render (a chart's ``crds/`` or templates), each group, version
    and kind once (the first), none of those ``known``: a chart's CRDs rendered in every
    environment are converted once. Of a mapping of the CRD files' schemas, only those read
    from the file the render comes from are known: another file's (a disabled subchart's
    ``crds/``, an older copy) is not what the target installs."""
    found: list[CrdSchema] = []
    taken: set[GVK] = set() if isinstance(known, Mapping) else set(known)
    by_file: dict[str, set[GVK]] = {}  # a CRD file -> the kinds its schemas known are of
    for gvk, schema in known.items() if isinstance(known, Mapping) else ():
        by_file.setdefault(schema.source.rpartition(":")[0], set()).add(gvk)
    for target in rendered:
        for resource in target.resources:
            if resource.kind in (CRD_KIND, XRD_KIND, _TEMPLATE_KIND):
                where = resource.template_file or resource.template or "its output"
                for schema in from_document(resource.doc, f"{where} (rendered by {target.id})",
                                            taken | by_file.get(where, set())):
                    taken.add((schema.group, schema.version, schema.kind))
                    found.append(schema)
    return found


def index(schemas: Iterable[CrdSchema]) -> dict[GVK, CrdSchema]:
    """One schema per group, version and kind: the first of ``schemas`` (files in path
    order; a rendered one replaces a file's, ``with_repository_crds``)."""
    result: dict[GVK, CrdSchema] = {}
    for schema in schemas:
        result.setdefault((schema.group, schema.version, schema.kind), schema)
    return result


def with_repository_crds(root: Path, charts: Iterable[Chart],
                         rendered: Sequence[RenderedTarget], memo: ResultMemo | None = None
                         ) -> tuple[list[RenderedTarget], list[PlatecheckError]]:
    """``rendered``, each carrying the schemas of every CRD in the repository: what the
    targets render (what Argo CD installs), then the charts' ``crds/`` files (remembered in
    ``memo``) for the kinds no target renders a CRD of."""
    if not rendered:
        return list(rendered), []
    directories = _chart_directories(root)
    from_charts, errors = from_files(root, chart_crd_files(root, directories), memo)
    from_charts += _archived(root, directories, memo, errors)
    found = index(from_charts)
    found.update(index(from_rendered(rendered, found)))
    return [dataclasses.replace(target, crd_schemas=found) for target in rendered], errors
