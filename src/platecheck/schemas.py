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

import copy
import dataclasses
import functools
import glob
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from platecheck import goregex
from platecheck.cache import check_schema_once, schema_checked
from platecheck.errors import CrdRefused, PlatecheckError
from platecheck.model import CrdSchema, FoundSchema, RenderedTarget, TargetSchemas
from platecheck.options import OptionValueError, option
from platecheck.schema_problems import QUANTITY_FORMAT, Validator, schema_identity
from platecheck.schema_validators import (
    LazyValidator,
    crd_format_checker,
    crd_schema,
    custom_resource_validator,
    quantity_checker,
)
from platecheck.yamlio import type_name

if TYPE_CHECKING:
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
# Fields the generated OpenAPI lists as required that the API server never required: no
# validation of the kind asks for them, and Kubernetes 1.33 marked them optional
# (kubernetes/kubernetes#130233 for a StatefulSet's serviceName).
_NOT_REQUIRED = {"io.k8s.api.apps.v1.StatefulSetSpec": ("serviceName",)}


def split_api_version(api_version: str) -> tuple[str, str]:
    """``"networking.k8s.io/v1"`` -> ``("networking.k8s.io", "v1")``; ``"v1"`` -> ``("", "v1")``."""
    group, _, version = api_version.rpartition("/")
    return group, version


# a kind and an apiVersion the API server may serve (a CRD's kind is a DNS-1035 label in any
# case; a group a DNS subdomain, a version a DNS label): only such a pair names a schema file
_KIND = re.compile(r"[A-Za-z](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?")
_API_VERSION = re.compile(r"(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?/)?"
                          r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")


def plausible(api_version: str, kind: str) -> bool:
    """Whether ``kind`` and ``api_version`` are of the form the API server serves a kind in:
    any other (a path, a NUL, a name too long) has no schema, and is never made a file
    name."""
    return bool(_KIND.fullmatch(kind) and _API_VERSION.fullmatch(api_version))


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
        raise PlatecheckError(
            "kubernetes-validate ships no schemas" if _bundle_root() is not None else
            "kubernetes-validate, which holds the Kubernetes schemas, is not installed in "
            "this Python environment: install platecheck with its dependencies")
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
    for name, fields in _NOT_REQUIRED.items():
        required = defs.get(name, {}).get("required")
        if isinstance(required, list):
            required[:] = [field for field in required if field not in fields]
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


# what the API server's discovery lists beside the resources' kinds, no resources themselves
_NOT_RESOURCES = frozenset({"DeleteOptions", "WatchEvent", "Status"})


@functools.cache
def served_kinds(version: str) -> tuple[str, ...]:
    """``group/version/Kind`` (``v1/Kind`` for the core group) of each generally available
    resource kind of Kubernetes ``version`` (the bundled schemas of its minor release), as
    Argo CD passes a cluster's to helm's ``--api-versions`` (``APIResourcesToStrings`` with
    kinds): ``.Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget"`` is true
    there. Alpha and beta versions, which a cluster serves only when enabled, are left out;
    none for a version without bundled schemas."""
    try:
        resolved = resolve_version(version)
    except PlatecheckError:
        return ()
    definitions = _bundled(f"v{resolved}-local-strict/_definitions.json")
    found = set()
    for schema in (definitions or {}).get("$defs", {}).values():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            kind, served = gvk.get("kind", ""), gvk.get("version", "")
            if kind and kind not in _NOT_RESOURCES and not kind.endswith("List") \
                    and "alpha" not in served and "beta" not in served:
                group = gvk.get("group")
                found.add(f"{group}/{served}/{kind}" if group else f"{served}/{kind}")
    return tuple(sorted(found))


@functools.cache
def served_versions(version: str, api_version: str, kind: str) -> tuple[str, ...]:
    """The apiVersions of a built-in kind's group (``api_version``'s) that Kubernetes
    ``version`` (a bundled one) serves it in, for a kind it does not serve in
    ``api_version``: ``networking.k8s.io/v1`` for ``extensions/v1beta1`` Ingress. Empty for
    another group (a custom resource's) or an unknown kind."""
    if not plausible(api_version, kind):
        return ()
    group, _ = split_api_version(api_version)
    root = _bundle_root()
    directory = root / f"v{version}-local-strict" if root is not None else None
    if directory is None or not directory.is_dir():
        return ()
    served = set()
    for path in directory.glob(f"{glob.escape(kind.lower())}-*.json"):
        schema = _bundled(f"v{version}-local-strict/{path.name}")
        gvks = schema.get("x-kubernetes-group-version-kind") if isinstance(schema, dict) else None
        for gvk in gvks if isinstance(gvks, list) else ():
            # extensions/v1beta1 went to apps and networking.k8s.io: their kinds moved groups
            if gvk.get("kind") == kind and (gvk.get("group", "") == group
                                            or group == "extensions"):
                served.add(f"{gvk['group']}/{gvk['version']}" if gvk.get("group")
                           else str(gvk.get("version")))
    return tuple(sorted(served))


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
        import jsonschema  # type: ignore[import-untyped]

        cls = jsonschema.validators.validator_for(schema,
                                                  default=jsonschema.Draft202012Validator)
        return cls(schema, registry=_k8s_registry(version),
                   format_checker=quantity_checker(integers=True))

    return LazyValidator(build)


# --- repository-supplied schemas ---------------------------------------------------------------


# beside the modules, as config.BUILTIN (importlib.resources, for a package that is no directory,
# costs an import of zipfile and its readers in every run)
_PACKAGED = Path(__file__).parent / "data" / "schemas"


def packaged_schema_dir() -> Path:
    """CRD schemas shipped with platecheck (used after the repository's own)."""
    return _PACKAGED


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
        return custom_resource_validator(cls, copy.deepcopy(schema),
                                         format_checker=crd_format_checker())

    # platecheck's own schemas (and a repository's copy of one) are checked by its tests,
    # like its code, and a draft 2020-12 schema may be checked already: their validators are
    # built when first used (a run whose problems are all remembered imports no jsonschema)
    if _packaged(path, text) or (
            str(schema.get("$schema", _DRAFT_2020_12)).removesuffix("#") == _DRAFT_2020_12
            and schema_checked("Draft202012Validator", schema, content=content)):
        return CustomSchema(path, LazyValidator(build), schema_identity("file", content))
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        check_schema_once(cls, schema, content=content)
    except jsonschema.SchemaError as exc:
        where = ".".join(str(p) for p in exc.path) or "<root>"
        raise PlatecheckError(f"invalid JSON schema at {where}: {exc.message}",
                              str(path)) from None
    return CustomSchema(path, build(), schema_identity("file", content))


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


def schema_directories(root: Path, configured: Iterable[str], bundled: bool) -> tuple[Path, ...]:
    """Configured directories (relative to the repository root unless absolute), then the
    packaged ones when ``bundled``."""
    dirs = [Path(d) if Path(d).is_absolute() else root / d for d in configured]
    if bundled:
        dirs.append(packaged_schema_dir())
    return tuple(dirs)


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
        if not plausible(api_version, kind):
            return None
        found = kubernetes_validator(self.kubernetes_version, api_version, kind)
        if found is not None:
            return FoundSchema(found, None, schema_identity("kubernetes", self.kubernetes_version,
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
            validator, identity = _installed_crd_schema(crd)
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


def _installed_crd_schema(crd: CrdSchema) -> tuple[Validator, str | None]:
    """The validator of a CRD's schema; ``CrdRefused`` when the API server refuses the CRD
    (its kind is then not installed)."""
    reason = f"its CustomResourceDefinition in {crd.source} ({crd.refused})"
    if not crd.refused:
        try:
            return crd_schema(crd)
        except PlatecheckError as exc:
            reason = f"its CustomResourceDefinition: {exc.message}"
    raise CrdRefused(f"{crd.kind} ({crd.group}/{crd.version}) is not installed, so its "
                     f"resources cannot be checked against it: the API server refuses {reason}",
                     remedy="Fix what the API server refuses in the CustomResourceDefinition "
                     "(named here, and by k8s-schema at the CRD where its fields say it); the "
                     "rest of this target was checked.")


def repo_root(chart_path: Path, chart_rel: str) -> Path:
    """The repository root, from a chart's absolute path and its repository-relative path."""
    root = chart_path
    for _ in PurePosixPath(chart_rel).parts:
        root = root.parent
    return root


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
                                  "into the repository)")
    return tuple(items)


@dataclass(frozen=True)
class SchemaOptions:
    """The options of the schema policies (k8s-schema, unknown-kind)."""

    # None: the cluster's (the configuration's kubernetesVersion), else the default
    kubernetes_version: str | None = option(None, parse=_covered)
    schema_dirs: tuple[str, ...] = option(("policies/schemas",), parse=local_directories)
    repository_crds: bool = True
    bundled_schemas: bool = True


def schema_set(options: SchemaOptions, cluster_version: str | None,
               root: Path | None,
               crds: Mapping[tuple[str, str, str], CrdSchema] | None = None) -> SchemaSet:
    """The schemas of ``options`` for a cluster of ``cluster_version`` (what its API server
    serves, whatever version an Application has helm template for)."""
    requested = options.kubernetes_version or cluster_version or default_kubernetes_version()
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


def prepare(rendered: RenderedTarget, options: SchemaOptions, root: Path | None = None,
            cluster_version: str | None = None) -> RenderedTarget:
    """``rendered`` with the schema of each kind it renders looked up under ``options``: the
    schema files are read here, before the policies run, and the policies read only this.
    ``root``: the repository's, which the configured schema directories are relative to
    (a chart's target knows it from its chart; a Kustomize or directory source's does not).
    ``cluster_version``: the configuration's ``kubernetesVersion``, the clusters' (an
    Application's ``kubeVersion`` is only what helm templates for: Argo CD passes it to
    ``helm template``, the API server serves what its own version does)."""
    key = schema_key(options)
    if key in rendered.schemas:
        return rendered
    chart = rendered.target.chart
    root = repo_root(chart.path, chart.rel) if chart is not None else root
    kinds = sorted({(r.api_version, r.kind) for r in rendered.resources
                    if r.api_version and r.kind})
    found: dict[tuple[str, str], FoundSchema | PlatecheckError | None] = {}
    found_set = schema_set(key, cluster_version, root, rendered.crd_schemas)
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
