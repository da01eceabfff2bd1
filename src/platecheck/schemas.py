"""JSON schemas for rendered resources: Kubernetes' own kinds and repository-supplied CRDs.

Kubernetes kinds use the OpenAPI-derived schemas bundled with ``kubernetes-validate`` (the
``-strict`` variants, which reject unknown fields). ``kubernetes_validate.validate`` re-reads
and re-resolves the 1.3 MB definitions file on every call; here the definitions are loaded once
per Kubernetes version and one validator is built per (version, apiVersion, kind), then reused.

Custom resources use, in this order: JSON schema files in the configured directories, named
``<kind>-<group>-<version>.json`` (lowercase, e.g. ``application-argoproj.io-v1alpha1.json``)
or laid out as kubeconform's CRD catalog, ``<group>/<kind>_<version>.json``; the
CustomResourceDefinitions in the repository (``platecheck.crds``); the schemas shipped with
platecheck.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import functools
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple

from packaging.version import InvalidVersion, Version

from platecheck import goregex
from platecheck.cache import (
    Digest,
    ResultMemo,
    check_schema_once,
    code_digest,
    schema_checked,
)
from platecheck.errors import PlatecheckError
from platecheck.model import (
    CrdSchema,
    FoundSchema,
    RenderedTarget,
    RenderTarget,
    TargetSchemas,
)
from platecheck.options import OptionValueError, option
from platecheck.quantity import is_quantity
from platecheck.yamlio import type_name

if TYPE_CHECKING:
    import jsonschema  # type: ignore[import-untyped]
    import referencing

# jsonschema and referencing (about 50 ms to import) are imported where a validator is built
# or an error described: a run whose documents' problems are all remembered needs neither.

_K8S_SCHEMA_ROOT = "kubernetes-json-schema"
_DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_CONTAINER = "io.k8s.api.core.v1.Container"
_REQUIREMENTS = "io.k8s.api.core.v1.ResourceRequirements"
# Container resources as the schema sees them: quantities not checked (see _k8s_registry).
_CONTAINER_REQUIREMENTS = "platecheck.ContainerResourceRequirements"
_UNCHECKED_QUANTITY = "platecheck.ContainerQuantity"
QUANTITY_FORMAT = "kubernetes-quantity"

Validator = Any  # a jsonschema validator instance (the protocol is not exported as a type)


def split_api_version(api_version: str) -> tuple[str, str]:
    """``"networking.k8s.io/v1"`` -> ``("networking.k8s.io", "v1")``; ``"v1"`` -> ``("", "v1")``."""
    group, _, version = api_version.rpartition("/")
    return group, version


def schema_file_name(kind: str, api_version: str) -> str:
    """The file name a repository uses for a custom resource schema."""
    group, version = split_api_version(api_version)
    parts = [kind, group, version] if group else [kind, version]
    return ("-".join(parts) + ".json").lower()


def catalog_file_name(kind: str, api_version: str) -> str:
    """The same schema's path in kubeconform's CRD catalog layout."""
    group, version = split_api_version(api_version)
    return f"{group or 'core'}/{kind}_{version}.json".lower()


# --- Kubernetes versions -----------------------------------------------------------------------


@functools.cache
def _bundle_root() -> Path | None:
    """kubernetes-validate's directory of schemas, found without importing the package (its
    import loads jsonschema, which a run whose problems are all remembered does without)."""
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    places = list(spec.submodule_search_locations or ()) if spec is not None else []
    return Path(places[0]) / _K8S_SCHEMA_ROOT if places else None


def _bundled(path: str) -> Any:
    """A schema kubernetes-validate bundles (``v<version>-local-strict/<file>``); None when
    it bundles no such file."""
    root = _bundle_root()
    if root is None:
        return None
    try:
        return json.loads((root / path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


_BUNDLED_VERSION = re.compile(r"^v([^-]*)")  # v1.31.0-local-strict: 1.31.0


@functools.cache
def bundled_versions() -> tuple[Version, ...]:
    """Kubernetes versions kubernetes-validate bundles schemas for, oldest first."""
    root = _bundle_root()
    found = set()
    for entry in sorted(root.iterdir()) if root is not None and root.is_dir() else ():
        match = _BUNDLED_VERSION.match(entry.name)
        try:
            if match:
                found.add(Version(match.group(1)))
        except InvalidVersion:
            continue
    return tuple(sorted(found))


def default_kubernetes_version() -> str:
    """The Kubernetes version validated against when none is configured: ``PREFERRED``'s
    minor release when kubernetes-validate bundles it, else its newest bundled version."""
    available = bundled_versions()
    wanted = Version(PREFERRED_KUBERNETES_VERSION)
    same = [v for v in available if (v.major, v.minor) == (wanted.major, wanted.minor)]
    if same:
        return PREFERRED_KUBERNETES_VERSION
    return str(available[-1]) if available else PREFERRED_KUBERNETES_VERSION


@functools.cache
def resolve_version(requested: str) -> str:
    """The bundled schema version for a configured Kubernetes version: the same minor release
    (the schemas of one minor release do not change between patches), else the newest older
    minor. A version outside the bundled range is an error, not a silent approximation."""
    text = str(requested).strip().removeprefix("v")
    try:
        wanted = Version(text)
    except InvalidVersion:
        raise PlatecheckError(
            f"kubernetesVersion {requested!r} is not a version like 1.31.0") from None
    available = bundled_versions()
    shown = ", ".join(f"{v.major}.{v.minor}" for v in available)
    if not available:
        raise PlatecheckError("kubernetes-validate ships no schemas")
    candidates = [v for v in available if (v.major, v.minor) <= (wanted.major, wanted.minor)]
    newest = available[-1]
    if not candidates or (wanted.major, wanted.minor) > (newest.major, newest.minor):
        raise PlatecheckError(
            f"kubernetesVersion {text} has no bundled Kubernetes schemas (available: {shown}); "
            "set kubernetesVersion to one of them or upgrade kubernetes-validate")
    return str(candidates[-1])


@functools.cache
def _k8s_registry(version: str) -> referencing.Registry[Any]:
    definitions = _bundled(f"v{version}-local-strict/_definitions.json")
    if not isinstance(definitions, dict) or not isinstance(definitions.get("$defs"), dict):
        raise PlatecheckError(f"kubernetes-validate has no schema definitions for Kubernetes "
                              f"{version}")
    defs = definitions["$defs"]
    # The bundled IntOrString/Quantity use oneOf over types that both admit null, so an explicit
    # null fails; Kubernetes treats null as "not set". A type union says the same without that.
    # A Quantity string must also parse (the bundled schema accepts any string, so "50GB" in a
    # PersistentVolumeClaim or a LimitRange passed).
    defs[_INT_OR_STRING] = {"type": ["string", "integer", "null"]}
    defs[_QUANTITY] = {"type": ["string", "number", "null"], "format": QUANTITY_FORMAT}
    _leave_container_quantities(defs)
    import referencing.jsonschema

    resource = referencing.jsonschema.DRAFT202012.create_resource(definitions)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(
        _DEFINITIONS_ID, resource)
    return registry


def _leave_container_quantities(defs: dict[str, Any]) -> None:
    """Container (and init container) requests and limits are the resource-ranges policy's: it
    reports a value that is not a quantity at its values file line, with the same ranges it
    checks. Checking them here too would report each one twice, so containers get a copy of
    ResourceRequirements whose quantities are not checked; every other use (ephemeral
    containers, a PersistentVolumeClaim before Kubernetes 1.29, pod-level resources) keeps the
    check."""
    container = defs.get(_CONTAINER, {}).get("properties", {}).get("resources")
    requirements = defs.get(_REQUIREMENTS)
    if not isinstance(container, dict) or not isinstance(requirements, dict):
        return
    relaxed = copy.deepcopy(requirements)
    for key in ("limits", "requests"):
        field = relaxed.get("properties", {}).get(key)
        if isinstance(field, dict) and "additionalProperties" in field:
            field["additionalProperties"] = {"$ref": f"#/$defs/{_UNCHECKED_QUANTITY}"}
    defs[_UNCHECKED_QUANTITY] = {"type": ["string", "number", "null"]}
    defs[_CONTAINER_REQUIREMENTS] = relaxed
    container["$ref"] = f"#/$defs/{_CONTAINER_REQUIREMENTS}"


def _quantity_format(value: object) -> bool:
    # numbers and null are typed by the schema; only strings have a grammar to follow
    return not isinstance(value, str) or is_quantity(value)


@functools.cache
def quantity_checker() -> Any:
    """Only the quantity format: the bundled schemas name others (int32, byte, date-time)
    that the API server does not enforce the way jsonschema would."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    checker.checks(QUANTITY_FORMAT)(_quantity_format)
    return checker


@functools.cache
def kubernetes_validator(version: str, api_version: str, kind: str) -> Validator | None:
    """A cached validator for a Kubernetes kind, or None when the version has no schema for it.

    ``version`` is a bundled version from :func:`resolve_version`. A custom resource whose kind
    and group merely look like a built-in one (``Ingress`` in ``networking.example.com``) is not
    matched: the schema's own group/version/kind must equal the resource's.
    """
    group, gv_version = split_api_version(api_version)
    short_group = group.split(".", 1)[0]
    name = f"{kind}-{short_group}-{gv_version}" if group else f"{kind}-{gv_version}"
    schema = _bundled(f"v{version}-local-strict/{name.lower()}.json")
    if not isinstance(schema, dict):
        return None
    gvks = schema.get("x-kubernetes-group-version-kind") or []
    if not any(g.get("group", "") == group and g.get("version") == gv_version
               and g.get("kind") == kind for g in gvks):
        return None

    def build() -> Validator:
        import jsonschema

        cls = jsonschema.validators.validator_for(schema,
                                                  default=jsonschema.Draft202012Validator)
        return cls(schema, registry=_k8s_registry(version), format_checker=quantity_checker())

    return LazyValidator(build)


# --- custom resources: nulls the API server prunes ---------------------------------------------


@functools.cache
def custom_resource_class(cls: Any) -> Any:
    """``cls`` validating a custom resource as the API server does: a ``null`` where the
    schema does not allow one (a property, or a value of a map) is pruned, or replaced by the
    field's default, before the resource is validated, so it is no error unless the field is
    required and has no default (Argo CD's ``syncPolicy: {automated: null}``).
    https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#defaulting-and-nullable"""
    import jsonschema

    keywords = cls.VALIDATORS
    patterned = goregex.go_patterns(jsonschema.validators.extend(cls, {
        "properties": _pruning(keywords["properties"], named=True),
        "additionalProperties": _pruning(keywords["additionalProperties"], named=False)}))
    return jsonschema.validators.extend(patterned, {"multipleOf": _api_server_multiple})


def _api_server_multiple(validator: Any, value: Any, instance: Any,
                         schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "number") and validator.is_type(value, "number") \
            and not api_server_multiple(instance, value, schema):
        import jsonschema

        yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {value!r}")


def api_server_multiple(number: float, step: float, schema: Mapping[str, Any]) -> bool:
    """Whether the API server finds ``number`` a multiple of ``step`` (kube-openapi's
    ``numberValidator``): an integer, decoded as an int64, against a ``step`` its type can
    hold, as integers, ``step`` cut to an int64 (``multipleOf: 2.5`` checks 2, and 0.5 checks
    0, which no number passes); else as floats, the quotient an integer to within a relative
    1e-9 (go-openapi/swag ``IsFloat64AJSONInteger``)."""
    if step <= 0:
        return False
    fits = schema.get("type") != "integer" or float(step).is_integer()
    if isinstance(number, int) and fits:
        whole = int(step)  # Go's int64(): toward zero
        return whole > 0 and number % whole == 0
    quotient = 1 / step * number if step < 1 else number / step
    if not math.isfinite(quotient) or abs(quotient) > 2 ** 53 - 1:
        return False
    rounded = math.copysign(math.floor(abs(quotient) + 0.5), quotient)  # Go's math.Round
    if quotient == rounded:
        return True
    return rounded != 0 and abs(quotient - rounded) < 1e-9 * abs(rounded)


def _pruning(keyword: Any, *, named: bool) -> Any:
    """The ``properties`` (``named``) or ``additionalProperties`` keyword of ``keyword``,
    applied to the object without the nulls the API server prunes."""

    def check(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not isinstance(instance, dict) or None not in instance.values():
            yield from keyword(validator, value, instance, schema)
            return
        pruned = {key for key, item in instance.items() if item is None
                  and _prunes_null(validator, _subschema(value, schema, key, named))}
        required = schema.get("required") if named else None
        kept = {key: item for key, item in instance.items() if key not in pruned}
        for key in sorted(pruned & set(required or ()), key=str):
            sub = _subschema(value, schema, key, named)
            if not (isinstance(sub, dict) and "default" in sub):
                import jsonschema

                yield jsonschema.ValidationError(
                    f"{key!r} is a required property", validator="required",
                    validator_value=[key], instance=kept, schema=schema)
        yield from keyword(validator, value, kept, schema)

    return check


def _subschema(value: Any, schema: Any, key: str, named: bool) -> Any:
    """The schema a property ``key`` is validated against by this keyword (None: none)."""
    if named:
        return value.get(key) if isinstance(value, dict) else None
    properties = schema.get("properties")
    if isinstance(properties, dict) and key in properties:
        return None  # a named property: the properties keyword's
    return value if isinstance(value, dict) else None


def _prunes_null(validator: Any, subschema: Any) -> bool:
    """Whether the API server drops a ``null`` validated against ``subschema``: it has a
    schema there that does not accept null."""
    return subschema is not None and next(validator.descend(None, subschema), None) is not None


# --- repository-supplied schemas ---------------------------------------------------------------


def packaged_schema_dir() -> Path:
    """CRD schemas shipped with platecheck (used after the repository's own)."""
    return Path(str(resources.files("platecheck") / "data" / "schemas"))


@dataclass(frozen=True)
class CustomSchema:
    """A CRD schema file and its validator."""

    path: Path
    validator: Validator
    identity: str | None = None  # see FoundSchema


@functools.cache
def _schema_index(directory: Path) -> Mapping[str, Path]:
    if not directory.is_dir():
        return {}
    return {p.name.lower(): p for p in sorted(directory.iterdir())
            if p.is_file() and p.suffix.lower() == ".json"}


# the meta-schema jsonschema's validator_for maps to Draft202012Validator, the default here
_DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


@functools.cache
def _load_custom(path: Path) -> CustomSchema:
    try:
        text = path.read_text(encoding="utf-8")
        schema = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlatecheckError(f"cannot read JSON schema: {exc}", str(path)) from None
    if not isinstance(schema, dict):
        raise PlatecheckError("a JSON schema must be an object", str(path))
    schema = goregex.schema_in_python(schema)  # a CRD's, whose patterns are Go's
    content = json.dumps(schema, sort_keys=True)

    def build() -> Validator:
        import jsonschema

        cls = jsonschema.validators.validator_for(schema,
                                                  default=jsonschema.Draft202012Validator)
        return custom_resource_class(cls)(copy.deepcopy(schema))

    # platecheck's own schemas (and a repository's copy of one) are checked by its tests,
    # like its code, and a draft 2020-12 schema may be checked already: their validators are
    # built when first used (a run whose problems are all remembered imports no jsonschema)
    if _packaged(path, text) or (
            str(schema.get("$schema", _DRAFT_2020_12)).removesuffix("#") == _DRAFT_2020_12
            and schema_checked("Draft202012Validator", schema, content=content)):
        return CustomSchema(path, LazyValidator(build), _identity("file", content))
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        check_schema_once(cls, schema, content=content)
    except jsonschema.SchemaError as exc:
        where = ".".join(str(p) for p in exc.path) or "<root>"
        raise PlatecheckError(f"invalid JSON schema at {where}: {exc.message}",
                              str(path)) from None
    return CustomSchema(path, build(), _identity("file", content))


def _packaged(path: Path, text: str) -> bool:
    """Whether ``path`` is one of platecheck's own schemas, or a file of the same name and
    the same text."""
    packaged = packaged_schema_dir().resolve()
    if path.parent.resolve() == packaged:
        return True
    try:
        return (packaged / path.name).read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


class LazyValidator:
    """A validator of a schema already known to be valid, built when first used (its
    attributes are the built validator's)."""

    def __init__(self, build: Callable[[], Validator]) -> None:
        self._build = build
        self._built: Validator | None = None

    def __getattr__(self, name: str) -> Any:
        if self._built is None:
            self._built = self._build()
        return getattr(self._built, name)


def find_custom_schema(kind: str, api_version: str,
                       directories: Sequence[Path]) -> CustomSchema | None:
    """The first ``<kind>-<group>-<version>.json`` or ``<group>/<kind>_<version>.json`` in
    ``directories`` (in order), loaded."""
    name = schema_file_name(kind, api_version)
    group_dir, _, catalog_name = catalog_file_name(kind, api_version).partition("/")
    for directory in directories:
        directory = directory.resolve()
        path = _schema_index(directory).get(name) or _schema_index(directory / group_dir).get(
            catalog_name)
        if path is not None:
            return _load_custom(path)
    return None


_CRD_VALIDATORS: dict[int, tuple[CrdSchema, Validator, str | None]] = {}


def crd_validator(crd: CrdSchema) -> Validator:
    """A validator for a CRD's schema, built once per schema object."""
    return _crd_schema(crd)[0]


def _crd_schema(crd: CrdSchema) -> tuple[Validator, str | None]:
    """A CRD's validator and its identity (see FoundSchema)."""
    cached = _CRD_VALIDATORS.get(id(crd))
    if cached is not None and cached[0] is crd:
        return cached[1], cached[2]
    schema = goregex.schema_in_python(crd.schema)  # the API server reads Go's patterns
    described = f"the openAPIV3Schema of {crd.kind} ({crd.group}/{crd.version}) in {crd.source}"
    content = json.dumps(schema, sort_keys=True)

    def build() -> Validator:
        import jsonschema

        cls = jsonschema.Draft202012Validator
        return custom_resource_class(cls)(schema, format_checker=quantity_checker())

    validator: Validator = LazyValidator(build)  # checked already: built when first used
    if not schema_checked("Draft202012Validator", schema, content=content):
        import jsonschema

        try:
            check_schema_once(jsonschema.Draft202012Validator, schema, content=content)
        except jsonschema.SchemaError as exc:
            where = ".".join(str(p) for p in exc.path) or "<root>"
            raise PlatecheckError(f"{described} is not a valid schema at {where}: "
                                  f"{exc.message}", *_source_location(crd.source)) from None
        validator = build()
    identity = _identity("crd", content)
    _CRD_VALIDATORS[id(crd)] = (crd, validator, identity)
    return validator, identity


def _source_location(source: str) -> tuple[str | None, int | None]:
    """The file and line of a CRD's ``source`` ("charts/x/crds/a.yaml:3", "templates/crd.yaml
    (rendered by prod/x)"); (None, None) for a render's output without a template."""
    where = source.split(" (rendered by ", 1)[0]
    if where == "its output":
        return None, None
    file, colon, line = where.rpartition(":")
    return (file, int(line)) if colon and line.isdigit() else (where, None)


def schema_directories(root: Path, configured: Iterable[str], bundled: bool) -> tuple[Path, ...]:
    """Configured directories (relative to the repository root unless absolute), then the
    packaged ones when ``bundled``."""
    dirs = [Path(d) if Path(d).is_absolute() else root / d for d in configured]
    if bundled:
        dirs.append(packaged_schema_dir())
    return tuple(dirs)


# --- errors as "path: problem" -----------------------------------------------------------------

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_path(path: Iterable[str | int]) -> str:
    """``("spec", "containers", 0, "image")`` -> ``spec.containers[0].image``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


@dataclass(frozen=True)
class SchemaProblem:
    """One schema violation: where (as a path into the document) and what."""

    path: tuple[str | int, ...]
    message: str

    @property
    def text(self) -> str:
        where = format_path(self.path)
        return f"{where}: {self.message}" if where else self.message


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer",
               float: "number", type(None): "null"}


def _describe(error: jsonschema.ValidationError) -> Iterator[SchemaProblem]:
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        for key in sorted(error.instance):
            if key not in known and not any(p.search(key) for p in patterns):
                yield SchemaProblem((*path, key), "unknown field")
        return
    if error.validator == "required" and isinstance(error.instance, dict):
        for missing in error.validator_value:
            if missing not in error.instance:
                yield SchemaProblem(path, f"required field {missing!r} is missing")
        return
    if error.validator == "type":
        wanted = error.validator_value
        wanted_text = " or ".join(t for t in ([wanted] if isinstance(wanted, str) else wanted)
                                  if t != "null")
        got = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
        shown = "" if error.instance is None else f" {_short(error.instance)}"
        yield SchemaProblem(path, f"expected {wanted_text}, got {got}{shown}")
        return
    if error.validator == "enum":
        allowed = ", ".join(_short(v) for v in error.validator_value if v is not None)
        yield SchemaProblem(path, f"{_short(error.instance)} is not one of {allowed}")
        return
    if error.validator == "format" and error.validator_value == QUANTITY_FORMAT:
        yield SchemaProblem(path, f"{_short(error.instance)} is not a Kubernetes quantity "
                                  "(e.g. 500m, 2, 512Mi, 50Gi, 50G)")
        return
    if error.validator == "pattern" and isinstance(error.validator_value, str):
        # as jsonschema says it, with the pattern as the schema wrote it (goregex)
        written = goregex.as_written(error.validator_value)
        yield SchemaProblem(path, f"{error.instance!r} does not match {written!r}")
        return
    if error.validator in ("oneOf", "anyOf") and error.context:
        import jsonschema

        best = jsonschema.exceptions.best_match(error.context)
        if best is not None:
            yield from _describe(best)
            return
    yield SchemaProblem(path, str(error.message))


def as_json(value: Any) -> Any:
    """A parsed YAML value as the JSON kubectl and Argo CD send: mapping keys are strings and
    timestamps stay the text they were (Go's YAML reader keeps them as strings)."""
    if isinstance(value, Mapping):
        return {_json_key(k): as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _json_key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _sort_key(problem: SchemaProblem) -> tuple[Any, ...]:
    return (tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in problem.path),
            problem.message)


def problems(validator: Validator, document: Mapping[str, Any],
             identity: str | None = None) -> list[SchemaProblem]:
    """Every schema violation in ``document``, sorted by path then message. With the
    validator's ``identity`` (see FoundSchema) inside ``remembering``, what was found for the
    same document content is not looked for again."""
    data = as_json(document)
    slot = _slot(identity, data)
    if slot is not None:
        known = _as_problems(slot.memo.get(slot.group, slot.key))
        if known is not None:
            return known
    found = [p for error in validator.iter_errors(data) for p in _describe(error)]
    unique = sorted({(p.path, p.message): p for p in found}.values(), key=_sort_key)
    if slot is not None:
        slot.memo.put(slot.group, slot.key, [[list(p.path), p.message] for p in unique])
    return unique


# --- remembered problems -------------------------------------------------------------------------

_memos: list[ResultMemo] = []  # the memo of the run in progress, see ``remembering``
# what decides the problems found besides the schema: Python (its ``re``), jsonschema,
# kubernetes-validate and platecheck's code that builds the validators (quantities, Go
# patterns) and describes their errors
_CODE = ("schemas.py", "quantity.py", "goregex.py")


@contextlib.contextmanager
def remembering(directory: Path | None) -> Iterator[None]:
    """Within the block, ``problems`` remembers what it finds under ``directory`` (None:
    nothing is remembered), per schema identity and document content, and answers from
    there: a changed run validates only what changed."""
    if directory is None or _code_version() is None:
        yield
        return
    memo = ResultMemo(directory)
    _memos.append(memo)
    try:
        yield
    finally:
        _memos.remove(memo)
        memo.save()


def active_memo() -> ResultMemo | None:
    """The memo of the innermost ``remembering`` block, if any."""
    return _memos[-1] if _memos else None


def recall(identities: Iterable[str | None]) -> None:
    """Read what is remembered for ``identities`` now, so that policies read no file."""
    if _memos:
        for identity in sorted({i for i in identities if i is not None}):
            _memos[-1].load(identity)


class _Slot(NamedTuple):
    memo: ResultMemo
    group: str
    key: str


def _slot(identity: str | None, data: Any) -> _Slot | None:
    """Where the problems of ``data`` under a validator of ``identity`` are remembered."""
    if not _memos or identity is None:
        return None
    key = _document_key(data)
    return _Slot(_memos[-1], identity, key) if key is not None else None


def _code_version() -> str | None:
    return code_digest(_CODE, ("jsonschema", "kubernetes-validate"))


def _identity(*parts: str) -> str | None:
    code = _code_version()
    if code is None:
        return None
    digest = Digest("schema-problems")
    digest.extend([code, *parts])
    return digest.hexdigest()


def _document_key(data: Any) -> str | None:
    try:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()
    except (TypeError, ValueError):
        return None  # not plain JSON (a key of mixed types cannot be sorted): not remembered


def _as_problems(known: Any) -> list[SchemaProblem] | None:
    if not isinstance(known, list):
        return None
    result = []
    for item in known:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], list)
                and isinstance(item[1], str)):
            return None
        result.append(SchemaProblem(tuple(item[0]), item[1]))
    return result


# --- the schema set of one target ---------------------------------------------------------------

# Options shared by k8s-schema and unknown-kind (both must agree on where schemas come from).
# The cluster version assumed when none is configured (see default_kubernetes_version).
PREFERRED_KUBERNETES_VERSION = "1.31.0"


@dataclass(frozen=True)
class SchemaSet:
    """Where the schemas of one target's resources come from."""

    kubernetes_version: str  # the bundled version used
    directories: tuple[Path, ...]  # configured directories, searched first
    crds: Mapping[tuple[str, str, str], CrdSchema] = dataclasses.field(default_factory=dict)
    bundled: bool = True  # then the schemas shipped with platecheck
    root: Path | None = None  # to show sources relative to the repository

    def lookup(self, api_version: str, kind: str) -> FoundSchema | None:
        found = kubernetes_validator(self.kubernetes_version, api_version, kind)
        if found is not None:
            return FoundSchema(found, None, _identity("kubernetes", self.kubernetes_version,
                                                      api_version, kind))
        try:
            custom = find_custom_schema(kind, api_version, self.directories)
        except PlatecheckError as exc:  # a schema file the repository holds: named from its root
            raise PlatecheckError(exc.message, exc.file and self._shown(Path(exc.file)),
                                  exc.line) from None
        if custom is not None:
            return FoundSchema(custom.validator, self._shown(custom.path), custom.identity)
        crd = self.crds.get((*split_api_version(api_version), kind))
        if crd is not None:
            validator, identity = _crd_schema(crd)
            return FoundSchema(validator, f"the CustomResourceDefinition in {crd.source}",
                               identity)
        if self.bundled:
            custom = find_custom_schema(kind, api_version, (packaged_schema_dir(),))
            if custom is not None:
                return FoundSchema(custom.validator,
                                   f"the schema shipped with platecheck ({custom.path.name})",
                                   custom.identity)
        return None

    def _shown(self, path: Path) -> str:
        root = self.root.resolve() if self.root is not None else None
        if root is not None and path.is_relative_to(root):
            return path.relative_to(root).as_posix()
        return str(path)


def repo_root(chart_path: Path, chart_rel: str) -> Path:
    """The repository root, from a chart's absolute path and its repository-relative path."""
    root = chart_path
    for _ in PurePosixPath(chart_rel).parts:
        root = root.parent
    return root


def _kube_version_origin(target: RenderTarget) -> tuple[str | None, int | None]:
    """Where the Application of ``target`` writes its ``kubeVersion`` (helm's or
    kustomize's), else the Application itself."""
    app = target.application
    if app is None:
        return None, None
    for path in app.lines:
        if path and path[-1] == "kubeVersion":
            origin = app.origin(path)
            return origin.file, origin.line
    return app.file, app.line


def _covered(value: Any) -> str | None:
    """A ``kubernetesVersion`` option the bundled Kubernetes schemas cover, as written."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise OptionValueError(f"must be a string (quote it), found {type_name(value)}")
    resolve_version(value)
    return value


def local_directories(value: Any) -> tuple[str, ...]:
    """``schemaDirs`` names local directories: platecheck reaches no network while linting."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise OptionValueError(f"must be a list of strings, found {type_name(value)}")
    for item in items:
        if "://" in item:
            raise PlatecheckError(f"schemaDirs entry {item!r} is a URL; platecheck reads "
                                  "schemas from local directories only (download the catalog "
                                  "into the repository or a directory next to it)")
    return tuple(items)


@dataclass(frozen=True)
class SchemaOptions:
    """The options of the schema policies (k8s-schema, unknown-kind)."""

    # None: the target's kubeVersion, else the default
    kubernetes_version: str | None = option(None, parse=_covered)
    schema_dirs: tuple[str, ...] = option(("policies/schemas",), parse=local_directories)
    repository_crds: bool = True
    bundled_schemas: bool = True


def schema_set(options: SchemaOptions, kube_version: str | None,
               root: Path | None,
               crds: Mapping[tuple[str, str, str], CrdSchema] | None = None) -> SchemaSet:
    requested = options.kubernetes_version or kube_version or default_kubernetes_version()
    configured = [d for d in options.schema_dirs if root is not None or Path(d).is_absolute()]
    return SchemaSet(resolve_version(requested),
                     schema_directories(root or Path("/"), configured, False),
                     crds if crds is not None and options.repository_crds else {},
                     options.bundled_schemas, root)



def schema_key(options: SchemaOptions) -> SchemaOptions:
    """The schema options alone (a policy's Options may add its own fields): targets look
    their schemas up once per distinct key."""
    return SchemaOptions(options.kubernetes_version, options.schema_dirs,
                         options.repository_crds, options.bundled_schemas)


def prepare(rendered: RenderedTarget, options: SchemaOptions) -> RenderedTarget:
    """``rendered`` with the schema of each kind it renders looked up under ``options``: the
    schema files are read here, before the policies run, and the policies read only this."""
    key = schema_key(options)
    if key in rendered.schemas:
        return rendered
    chart = rendered.target.chart
    root = repo_root(chart.path, chart.rel) if chart is not None else None
    kinds = sorted({(r.api_version, r.kind) for r in rendered.resources
                    if r.api_version and r.kind})
    found: dict[tuple[str, str], FoundSchema | PlatecheckError | None] = {}
    try:
        found_set = schema_set(key, rendered.target.kube_version, root, rendered.crd_schemas)
    except PlatecheckError as exc:  # the Application's kubeVersion: an error of this target
        error = PlatecheckError(exc.message, *_kube_version_origin(rendered.target))
        unchecked = TargetSchemas("", dict.fromkeys(kinds, error))
        return dataclasses.replace(rendered, schemas={**rendered.schemas, key: unchecked})
    for api_version, kind in kinds:
        try:
            found[(api_version, kind)] = found_set.lookup(api_version, kind)
        except PlatecheckError as exc:
            found[(api_version, kind)] = exc
    resolved = TargetSchemas(found_set.kubernetes_version, found)
    return dataclasses.replace(rendered, schemas={**rendered.schemas, key: resolved})


def prepared(rendered: RenderedTarget, options: SchemaOptions) -> TargetSchemas:
    """The schemas ``prepare`` looked up for ``rendered`` under ``options``."""
    resolved = rendered.schemas.get(schema_key(options))
    if resolved is None:
        raise PlatecheckError(f"{rendered.id}: its schemas were not looked up before the "
                              "policies ran")
    return resolved
