"""The objects that flow through platecheck.

config -> discover -> plan -> render -> parse -> policies -> waivers -> report.
Every stage takes and returns these frozen objects; nothing here does I/O.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.globs import matches_any

# A path into a YAML tree: mapping keys and sequence indexes, e.g. ("image", "tag").
KeyPath = tuple[str | int, ...]


class Level(enum.StrEnum):
    """How much a finding matters. Configured per policy (and environment), never by a policy."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    OFF = "off"


class SourceType(enum.StrEnum):
    """How Argo CD renders a source (its ``ApplicationSourceType`` names); see sourcetype.py."""

    HELM = "Helm"
    KUSTOMIZE = "Kustomize"
    DIRECTORY = "Directory"
    PLUGIN = "Plugin"


@dataclass(frozen=True)
class Finding:
    """One problem, carrying everything a reporter needs.

    Policies fill message, location, resource and (optionally) remediation; the engine stamps
    ``policy``, ``level``, ``environment``/``target`` defaults and ``waived``.
    ``file`` is relative to the repository root (POSIX separators); ``line`` is 1-based.
    """

    policy: str
    message: str
    file: str | None = None
    line: int | None = None
    level: Level = Level.ERROR
    environment: str | None = None
    target: str | None = None  # RenderTarget.id, e.g. "prod/plate-web"
    resource: str | None = None  # e.g. "Deployment/plate-web" or "Deployment/plate-web[nginx]"
    remediation: str = ""
    waived: str | None = None  # the waiver's reason when a waiver matched
    detail: str | None = None  # longer text, e.g. helm's full stderr for a render failure
    # the other resources one finding stands for (containers whose problem one values line
    # makes, "(also ...)" in the message), written as ``resource`` is
    also: tuple[str, ...] = ()
    # of a could-not-check error: the one policy it stopped on its target (a part that policy
    # could not check, errors.PartlyChecked, or the policy failing there), which the other
    # policies checked; not compared, so one error met by two policies is said once, as the
    # first one's
    part_of: str | None = field(default=None, compare=False)

    @property
    def location(self) -> str:
        if self.file is None:
            return "<repository>"
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Origin:
    """Where a value was written: a repository-relative file and 1-based line."""

    file: str
    line: int | None


@dataclass(frozen=True)
class ValuesFile:
    """A YAML values file loaded with the line of every key path."""

    path: Path  # absolute
    rel: str  # relative to the repository root
    data: Mapping[str, Any]
    lines: Mapping[KeyPath, int]  # key path -> line of the key (or list item)


@dataclass(frozen=True)
class MergedValues:
    """Values after Helm's merge order (chart values.yaml, then value files, inline values,
    parameters), with the origin of every leaf: the last source in override order that set it."""

    data: Mapping[str, Any]
    origins: Mapping[KeyPath, Origin]


@dataclass(frozen=True)
class SetArgument:
    """One ``--set``, ``--set-string`` or ``--set-file`` argument as Argo CD passes it."""

    flag: str  # "--set", "--set-string" or "--set-file"
    name: str  # passed to Helm unchanged: its --set parser reads dots, escapes and indexes
    value: str  # env-substituted and comma-escaped; for --set-file the absolute path (escaped)
    origin: Origin  # the parameter's value line in the Application (its entry when none)
    path: Path | None = None  # --set-file: the file helm reads


@dataclass(frozen=True)
class HelmParameter:
    name: str
    value: str
    force_string: bool = False


@dataclass(frozen=True)
class HelmSourceSpec:
    """``spec.source.helm`` of an Argo CD Application.

    https://argo-cd.readthedocs.io/en/stable/user-guide/helm/
    """

    value_files: tuple[str, ...] = ()
    values: str | None = None  # the string form of helm.values
    values_object: Mapping[str, Any] | None = None
    parameters: tuple[HelmParameter, ...] = ()
    release_name: str | None = None
    ignore_missing_value_files: bool = False
    skip_crds: bool = False
    pass_credentials: bool = False
    api_versions: tuple[str, ...] = ()
    kube_version: str | None = None
    namespace: str | None = None
    line: int | None = None  # line of the ``helm:`` key
    file_parameters: tuple[HelmParameter, ...] = ()  # name and path of each --set-file
    skip_tests: bool = False
    skip_schema_validation: bool = False
    version: str = ""  # "", "v3" or "v4"


@dataclass(frozen=True)
class Source:
    """One entry of ``spec.source`` / ``spec.sources``."""

    repo_url: str
    target_revision: str | None
    path: str | None  # a directory in a Git repository
    chart: str | None  # a chart name in a Helm repository (remote)
    ref: str | None  # name other sources use as ``$ref/...``
    helm: HelmSourceSpec | None
    directory: Mapping[str, Any] | None  # ``directory:`` options (recurse, include, exclude)
    line: int | None = None


@dataclass(frozen=True)
class SourceProblem:
    """Why one source path or value file of an Application is not usable, found when the
    Application was planned (``platecheck.sourcecheck``); argocd-application reports it."""

    source: int  # index in Application.sources
    key: KeyPath  # where in the Application: the source's path, ref or a valueFiles entry
    # "path", "value-file", "source" (neither path nor chart), "ref" (a $ref Argo CD cannot
    # follow: no such ref, a chart's, another revision of a repository already read) or
    # "ref-key" (a source's ref Argo CD refuses: a character it forbids, one used twice)
    kind: str
    message: str  # e.g. "source path 'charts/x' does not exist"
    ref: str | None = None  # a $ref/ value file: the ref of the source it goes through


@dataclass(frozen=True)
class AppChild:
    """An Application (or an ApplicationSet) in the directory of an app-of-apps source, as
    discovery found it."""

    parent: tuple[str, int]  # the app-of-apps's file and line
    source: int  # index in the parent's sources
    child: tuple[str, int]  # the child's file and line
    # a config management plugin's directory holds the child: the plugin may output it, or
    # not (enough to reach it, not to say the parent deploys it)
    assumed: bool = False


def node_at(tree: Any, path: KeyPath) -> Any:
    """The node of a parsed YAML tree at ``path``; None where the path leads nowhere."""
    for key in path:
        tree = tree.get(key) if isinstance(tree, Mapping) else tree[key] \
            if isinstance(tree, list) and isinstance(key, int) and key < len(tree) else None
    return tree


def scalars(node: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every value of a parsed YAML tree that is neither a mapping, a list nor null, with its
    key path (mapping keys as strings), in document order."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from scalars(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from scalars(value, (*path, index))
    elif node is not None:
        yield path, node


@dataclass(frozen=True)
class Application:
    """An Argo CD Application manifest as written in the repository."""

    name: str
    file: str  # repository-relative
    line: int  # line of the document's first key
    namespace: str | None  # metadata.namespace
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    project: str | None
    destination_namespace: str | None
    destination_server: str | None
    sources: tuple[Source, ...]
    sync_policy: Mapping[str, Any] | None
    ignore_differences: tuple[Mapping[str, Any], ...]
    raw: Mapping[str, Any]
    lines: Mapping[KeyPath, int] = field(default_factory=dict)
    # what planning found wrong with its source paths and value files (sourcecheck.py)
    source_problems: tuple[SourceProblem, ...] = ()
    # where the Application schema rejects it: (key path, "field: what is wrong")
    schema_problems: tuple[tuple[KeyPath, str], ...] = ()
    # keys whose value was written in another file: a generated Application's field that
    # the parent's values set points at that values line
    places: Mapping[KeyPath, Origin] = field(default_factory=dict)
    # an Application a render generated: the repository file of what rendered the first of
    # its parents (an Application file, or a chart linted directly); None for one written in
    # a file of the repository (its ``file``)
    deployed_by: str | None = None
    # one a chart linted in chart mode generated (or what that generated): the environment
    # of that render (each environment's install of the chart is one of its own)
    installed_in: str | None = None
    # one the plain list of an ApplicationSet written in its file makes: that set's line
    set_line: int | None = None
    # one an ApplicationSet makes (a list's, a git generator's): the set's name
    set_name: str | None = None
    # an Application a render generated: the file and line of the Application whose render
    # it is (its parent; ``deployed_by`` names the first of the chain's files)
    made_by: tuple[str, int] | None = field(default=None, compare=False)
    # an Application an app-of-apps deploys or an ApplicationSet makes, whose name, labels and
    # namespace match no environment: the configured environment of its parents (planning's
    # ``inherit_environments``, ``Planner.inheriting``); a production app-of-apps' child is
    # production's
    inherited_environment: str | None = None

    @functools.cached_property
    def document(self) -> str:
        """Its document as written, one string (sorted keys), and the environment it
        inherited: two alike are one (two parents of two environments rendering one document
        make one Application in each)."""
        document = json.dumps(self.raw, sort_keys=True, default=str)
        return f"{document}\n{self.inherited_environment}" if self.inherited_environment \
            else document

    @property
    def kind(self) -> str:
        """``ApplicationSet`` for one (its ``raw`` is its document), else ``Application``."""
        return "ApplicationSet" if self.raw.get("kind") == "ApplicationSet" else "Application"

    def origin(self, path: KeyPath, *, nearest: bool = True) -> Origin:
        """Where the value at ``path`` was written (with ``nearest``, else at its nearest
        written ancestor); the document's first line when nothing closer is known. A block
        every string of which a parent's values wrote (``toYaml $app.source``) is at the
        first of their lines."""
        while path:
            if path in self.places:
                return self.places[path]
            block = self._placed_block(path)
            if block is not None:
                return block
            if path in self.lines:
                return Origin(self.file, self.lines[path])
            if not nearest:
                break
            path = path[:-1]
        return Origin(self.file, self.line)

    def _placed_block(self, path: KeyPath) -> Origin | None:
        """The first line of the places of the strings of the mapping or list at ``path``,
        when every one of them is placed in one file and none is written where the
        Application is (a block written whole from the values, not field by field from a
        values line many share)."""
        node = node_at(self.raw, path)
        if not isinstance(node, Mapping | list) or not self.places:
            return None
        strings = [at for at, value in scalars(node, path) if isinstance(value, str)]
        found = [self.places.get(at) for at in strings]
        if not found or None in found or len({o.file for o in found if o}) != 1 \
                or any(at in self.lines for at in strings):
            return None
        return min((o for o in found if o is not None), key=lambda o: o.line or 0)

    @property
    def multiple_sources(self) -> bool:
        """Whether Argo CD reads ``spec.sources`` (``HasMultipleSources``: a ``sources`` list
        of one item or more and no source hydrator): ``$ref`` value files are resolved, and a
        source may be only a ``ref``."""
        spec = self.raw.get("spec")
        return isinstance(spec, Mapping) and spec.get("sourceHydrator") is None \
            and isinstance(spec.get("sources"), list) and bool(spec["sources"])


@dataclass(frozen=True)
class Chart:
    """A chart directory with its parsed Chart.yaml."""

    path: Path  # absolute
    rel: str  # relative to the repository root
    name: str
    version: str
    api_version: str
    metadata: Mapping[str, Any]

    @property
    def library(self) -> bool:
        """A library chart (``type: library``): Helm renders it only inside the charts that
        depend on it."""
        return self.metadata.get("type") == "library"


# the environment of an ApplicationSet whose template matches none when requireEnvironment
# is set (an Application would be a could-not-check error): no configured environment
NO_ENVIRONMENT = "*"


@dataclass(frozen=True)
class RenderTarget:
    """One thing to render: an Application's Helm source, or a chart with one environment's
    values file when a chart directory is linted directly."""

    id: str  # "<environment>/<app>", e.g. "prod/plate-web"
    environment: str  # configured environment name, e.g. "prod"
    app: str  # application name without the environment suffix, e.g. "plate-web"
    application: Application | None
    chart: Chart | None  # None when the source is remote (not rendered)
    release_name: str
    namespace: str
    value_files: tuple[ValuesFile, ...]  # in override order, chart values.yaml excluded
    inline_values: tuple[tuple[Mapping[str, Any], Origin], ...] = ()  # values/valuesObject/params
    api_versions: tuple[str, ...] = ()
    kube_version: str | None = None
    skip_crds: bool = False
    remote: Source | None = None  # set when the chart lives in a remote repository
    production: bool = False  # the environment is configured as production
    # line of every key path inside each inline_values entry (same order), for provenance
    inline_lines: tuple[Mapping[KeyPath, int], ...] = ()
    # the key paths of each inline_values entry written elsewhere: a generated Application's
    # values a template action wrote from its parent's values (Application.places)
    inline_places: tuple[Mapping[KeyPath, Origin], ...] = ()
    # the key path each inline_values entry of a parameter sets (None for values and
    # valuesObject): Helm's --set writes into what the layers before made, list items too
    inline_sets: tuple[KeyPath | None, ...] = ()
    # The rest of Argo CD's command line (platecheck.helmargs builds it):
    namespace_flag: bool = True  # False when neither helm.namespace nor the destination has one
    set_arguments: tuple[SetArgument, ...] = ()  # --set, --set-string, --set-file
    extra_values: str | None = None  # helm.values as written, or valuesObject, for --values
    skip_tests: bool = False
    skip_schema_validation: bool = False
    helm_version: str = ""  # helm.version: "", "v3" or "v4"
    # how Argo CD renders the source; None for an ApplicationSet (Argo CD generates its apps)
    source_type: SourceType | None = SourceType.HELM
    unclassified: bool = False  # the Application matches no configured environment
    # a Kustomize or directory source of this repository: its directory and the source as
    # written (``spec.source`` or an entry of ``spec.sources``), for its tool's options
    source_dir: Path | None = None
    source_spec: Mapping[str, Any] = field(default_factory=dict)
    build_env: Mapping[str, str] = field(default_factory=dict)  # ARGOCD_APP_* for its tools
    chart_values: ValuesFile | None = None  # the chart's own values.yaml, read when planned
    # a ``$ref/...`` value file whose ref source is another repository's: not rendered here
    # (``remote`` is that source)
    foreign_value_file: str | None = None
    # an ApplicationSet whose Applications platecheck made (a git generator of this
    # repository, ``appset_git``): each is a target of its own, and the set is rendered so
    expanded: bool = False
    # a kustomization no Application deploys whose build lists Application files, applied
    # by hand (``kubectl apply -k`` of a bootstrap overlay): what it outputs replaces the
    # written Applications it changes (``planning.hand_applied_targets``)
    hand_applied: bool = False
    # of one of several such kustomizations that list one Application file (each cluster's
    # overlay of one base): the install its Applications go to, each its own; None when they
    # go to the repository's
    install: str | None = None
    # of such a kustomization: its build outputs Applications none of the files it lists
    # writes (it inflates an app-of-apps chart, patches Applications): one that cannot be
    # built here is a could-not-check error, not the files it lists as written
    outputs_applications: bool = False
    # of such a kustomization: an ApplicationSet's path of template actions alone may deploy
    # it (``undeployed.hand_applied``): what it outputs is planned only when no rendered
    # Application deploys it (``generation``)
    provisional: bool = False

    @property
    def rendered_here(self) -> bool:
        return self.remote is None and (self.chart is not None or self.source_dir is not None)

    @property
    def is_app(self) -> bool:
        """Whether the target is an app of its environment, as env-consistency pairs the apps
        of two environments and ``platecheck diff`` counts them: not an ApplicationSet
        platecheck expanded, which deploys nothing itself (each Application it makes is a
        target), nor one in no environment (``NO_ENVIRONMENT``)."""
        return not self.expanded and self.environment != NO_ENVIRONMENT


@dataclass(frozen=True)
class Resource:
    """One rendered Kubernetes object and the template it came from."""

    api_version: str
    kind: str
    name: str
    namespace: str | None
    doc: Mapping[str, Any]
    template: str | None  # the ``# Source:`` path, e.g. "plate-web/templates/deployment.yaml"
    template_file: str | None  # that template as a repository-relative path, when it exists
    index: int  # position in the rendered stream
    line: int | None = None  # where its document starts in template_file, when that is known
    # a ConfigMap or Secret a Kustomize generator made: its name before kustomize appended
    # the hash of its content (``alpha`` of ``alpha-89g4tffbfk``), the same in every
    # environment whatever the data (``platecheck.kustomize_generators``)
    generated_name: str | None = None

    @property
    def ref(self) -> str:
        """``Kind/name``; a resource the API server names from ``metadata.generateName`` is
        ``Kind/<generateName><generated>``, one with no name ``Kind/<unnamed>``."""
        if not self.name:
            metadata = self.doc.get("metadata")
            generate = metadata.get("generateName") if isinstance(metadata, Mapping) else None
            if isinstance(generate, str) and generate:
                return f"{self.kind}/{generate}<generated>"
            return f"{self.kind}/<unnamed>"
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class CrdSchema:
    """The JSON schema a CustomResourceDefinition in the repository gives one version of its
    kind (see ``platecheck.crds``)."""

    group: str
    version: str
    kind: str
    schema: Mapping[str, Any]
    source: str  # where the CRD is, e.g. "charts/eso/crds/crds.yaml:1"
    scope: str = "Namespaced"  # the CRD's spec.scope: "Namespaced" or "Cluster"
    # why the API server refuses the CRD (its schema is not structural, platecheck.crd_structural):
    # its kind is not installed; "" when it is accepted
    refused: str = ""


@dataclass(frozen=True)
class FoundSchema:
    """A validator (a jsonschema validator object) and where its schema came from (None:
    Kubernetes' own, bundled); ``identity`` stands for everything that decides what the
    validator finds (``platecheck.schema_problems.problems`` remembers results by it), None when
    that is not known."""

    validator: Any
    source: str | None
    identity: str | None = None


@dataclass(frozen=True)
class TargetSchemas:
    """The schema of each (apiVersion, kind) a target renders: None when there is none, the
    error when its schema could not be read (raised when that kind is looked up, so a broken
    schema fails only the checks that need it)."""

    kubernetes_version: str
    found: Mapping[tuple[str, str], FoundSchema | PlatecheckError | None]

    def lookup(self, api_version: str, kind: str) -> FoundSchema | None:
        if (api_version, kind) not in self.found:
            raise PlatecheckError(f"no schema was looked up for {kind} ({api_version})")
        found = self.found[(api_version, kind)]
        if isinstance(found, PlatecheckError):
            raise found
        return found


@dataclass(frozen=True)
class FieldLayer:
    """A document that set fields of a built resource after its source file (a Kustomize
    patch, see ``platecheck.kustomize_patches``): the resource it applies to, by kind and
    name, and the line of every key path."""

    file: str  # repository-relative
    kind: str  # a regular expression its kind matches whole ("": any kind)
    name: str  # a regular expression (Go's syntax) the built resource's whole name matches
    data: Mapping[str, Any]
    lines: Mapping[KeyPath, int]
    # what the resource's labels and annotations must meet, its target's selectors:
    # (``labels`` or ``annotations``, key, operator, values), kustomize_patches.Requirement
    selector: tuple[tuple[str, str, str, tuple[str, ...]], ...] = ()
    # a target's regular expressions for the resource's API group, version and namespace,
    # each matched whole ("": any)
    group: str = ""
    version: str = ""
    namespace: str = ""


@dataclass(frozen=True)
class RenderedTarget:
    target: RenderTarget
    resources: tuple[Resource, ...]
    values: MergedValues
    manifest: str  # helm's stdout, unchanged
    # repository-relative template path -> its text, so policies can point at a template line
    # without reading files themselves
    templates: Mapping[str, str] = field(default_factory=dict)
    # template path -> the files whose text may land in its output (a chart's helper
    # templates, a Jsonnet file's imports), their texts among ``templates``
    includes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # the patches that set fields of the resources after their files (Kustomize), highest
    # precedence first: where such a field was written
    patches: tuple[FieldLayer, ...] = ()
    # a kustomization -> the templates of the charts it inflates (``helmCharts``), their
    # texts among ``templates``: what a resource at that kustomization may have been
    # written from, kustomize's output naming no template
    inflated: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # the name a subchart renders under (its alias, or its name) -> where the chart's
    # Chart.yaml declares it: where a resource of a subchart archive is reported, its
    # templates being no file of the repository
    subcharts: Mapping[str, Origin] = field(default_factory=dict)
    # (group, version, kind) -> schema, from every CRD in the repository and its renders
    crd_schemas: Mapping[tuple[str, str, str], CrdSchema] = field(default_factory=dict)
    # the schema options of a policy -> the schema of each kind this target renders, looked up
    # by the engine before the policies run (``platecheck.schemas.prepare``)
    schemas: Mapping[Any, TargetSchemas] = field(default_factory=dict)
    # the resources its Application renders again later, taken out of ``resources``: Argo CD
    # applies only the last copy, which the policies check (set before they run)
    superseded: tuple[Resource, ...] = ()
    # the resources the other sources of its Application render: Argo CD applies the sources
    # of an Application as one set (a Certificate beside a chart's Ingress); set before the
    # policies run
    companions: tuple[Resource, ...] = ()
    # a source of its Application that was not rendered (a remote chart): what it deploys
    # beside ``companions`` is not known
    companions_unknown: bool = False
    # the cert-manager Certificates other Applications deploy to its cluster, each with the
    # namespace it is applied in (the secret one issues serves an Ingress of that
    # namespace); set before the policies run
    certificates_beside: tuple[tuple[str, Resource], ...] = ()
    # the IngressClasses other Applications deploy to its cluster (cluster-scoped: an
    # Ingress of any namespace names them); set before the policies run
    ingress_classes_beside: tuple[Resource, ...] = ()

    @property
    def id(self) -> str:
        return self.target.id

    @property
    def environment(self) -> str:
        return self.target.environment


@dataclass(frozen=True)
class PolicyInfo:
    """A policy as a report describes it: its documentation and the levels configuration gave
    it, so that every output format is a function of the Report alone."""

    id: str
    summary: str = ""  # one line
    scope: str = "target"  # "target" (once per rendered target), "repo" or "waivers"
    remediation: str = ""
    description: str = ""  # the What section of its documentation
    help: str = ""  # its whole documentation (What / Why / Options / Passes / Fails)
    default_level: Level = Level.ERROR  # the policy's built-in level
    level: Level = Level.ERROR  # the level configured for the repository
    env_levels: Mapping[str, Level] = field(default_factory=dict)  # configured per environment

    def level_in(self, environment: str | None) -> Level:
        if environment is not None and environment in self.env_levels:
            return self.env_levels[environment]
        return self.level


@dataclass(frozen=True)
class Report:
    """The result of a lint run."""

    root: Path
    findings: tuple[Finding, ...]
    targets: tuple[RenderTarget, ...]
    policies: tuple[PolicyInfo, ...]  # the policies that ran, in registry order
    errors: tuple[Finding, ...] = ()  # could-not-check problems (exit 2)
    renders: int = 0  # helm processes run (renders and lints)
    cache_hits: int = 0  # helm and kubectl results taken from the cache
    builds: int = 0  # kubectl kustomize processes run
    changed_since: str | None = None  # --changed-since: the targets chosen and why, one line

    @property
    def exit_code(self) -> int:
        return exit_code(self.errors, self.findings)

    @property
    def policy_ids(self) -> tuple[str, ...]:
        return tuple(policy.id for policy in self.policies)


@dataclass(frozen=True)
class YamlFile:
    """A YAML file platecheck read (values file, Application, Chart.yaml), kept raw so that
    hygiene checks can look at bytes the parser hides (duplicate keys, tabs, BOM)."""

    path: Path  # absolute
    rel: str
    role: str  # "values" | "application" | "chart" | "policy" | "kustomization"
    raw: bytes


@dataclass(frozen=True)
class HelmLint:
    """``helm lint --strict`` of one chart with one environment's value files."""

    chart: Chart
    environment: str
    value_files: tuple[str, ...]  # repository-relative
    exit_code: int
    output: str
    # which targets it lints: those of one chart, environment, value files and given values
    # (``rendering.lint_identity``)
    identity: str = ""


@dataclass(frozen=True)
class Environment:
    """A configured environment (see policies/platecheck.yaml)."""

    name: str  # short name used in ids and --env, e.g. "prod"
    production: bool
    namespaces: tuple[str, ...] = ()  # the destination namespace globs its match rules name
    paths: tuple[str, ...] = ()  # the Application file globs its match rules name


@dataclass(frozen=True)
class AppProject:
    """An Argo CD AppProject of the repository: written in a file discovery read, or
    rendered by a target (``file`` and ``line`` then where its template writes it)."""

    name: str
    namespace: str | None  # metadata.namespace; a rendered one's: its target's destination
    file: str  # repository-relative
    line: int
    spec: Mapping[str, Any]


_HEX = re.compile(r"[0-9a-f]{7,64}")


@dataclass(frozen=True)
class Checkout:
    """Which ``targetRevision`` of a source of this repository is this checkout: what
    platecheck reads are the checkout's files, which Argo CD deploys for those revisions
    alone (a branch holding rendered manifests, an environment branch or a tag is another
    revision's content)."""

    names: frozenset[str]  # branch (or tag) names that are the checkout
    head: str = ""  # the commit checked out, "" when not known
    globs: tuple[str, ...] = ()  # argocd-application's ``revisions``: they alone decide

    def holds(self, revision: str | None) -> bool:
        """Whether a source at ``revision`` is this checkout's: none, ``HEAD``, one a
        template or variable still writes (not known), a commit (seven hex digits or more)
        the checked-out one starts with (another commit never is; any is, when the checkout's
        is not known), else one of ``globs`` when written, else of ``names``."""
        written = (revision or "").strip()
        if written in ("", "HEAD") or "{{" in written or "$" in written:
            return True
        if _HEX.fullmatch(written.lower()):
            return not self.head or self.head.startswith(written.lower())
        name = written.removeprefix("refs/heads/")
        return matches_any(name, self.globs) if self.globs else name in self.names


@dataclass(frozen=True)
class RepoModel:
    """Everything repository-wide policies look at."""

    root: Path
    applications: tuple[Application, ...]
    app_of_apps: tuple[Application, ...]  # Applications whose source is a directory of Applications
    charts: tuple[Chart, ...]
    targets: tuple[RenderTarget, ...]
    rendered: tuple[RenderedTarget, ...]
    yaml_files: tuple[YamlFile, ...]
    environments: tuple[Environment, ...] = ()
    helm_lint: tuple[HelmLint, ...] = ()
    errors: tuple[Finding, ...] = ()  # could-not-check problems met while loading
    renders: int = 0  # helm processes run
    cache_hits: int = 0
    builds: int = 0  # kubectl kustomize processes run
    # Applications found in rendered output (a Helm-templated app-of-apps), each as written
    # by its parent's template; a child two parents generate is here twice
    generated: tuple[Application, ...] = ()
    # the ApplicationSets of a plain list, each in its file (their Applications are among
    # ``applications``, each with its set's line): one name each in Argo CD
    expanded_sets: tuple[Application, ...] = ()
    # (the parent's file and line, the child's file and line) of each Application a render
    # generated: who deploys it
    generated_links: tuple[tuple[tuple[str, int], tuple[str, int]], ...] = ()
    # the Applications each app-of-apps source deploys, as discovery found them
    app_children: tuple[AppChild, ...] = ()
    # the id of every target the whole repository's Applications make, also those this run
    # was not given (waivers: one is stale only where every target it selects was checked)
    repository_targets: tuple[str, ...] = ()
    # the environment each Application file discovery found (file, line) is of, also those
    # this run was not given: a finding about one of another environment is left out of an
    # ``--env`` run
    app_environments: Mapping[tuple[str, int], str] = field(default_factory=dict)
    # the environment of each Application a render or an ApplicationSet generated, by its
    # file, line and name (one line may write several: a set's template, a range)
    generated_environments: Mapping[tuple[str, int, str], str] = field(default_factory=dict)
    # the normalized repoURLs that are this checkout, from its Git remotes (repourl.identity);
    # () when they say nothing: every Git source is then this repository
    own_repo_urls: tuple[str, ...] = ()
    # the Chart.yaml files of the charts under the linted paths that no Application deploys
    # (undeployed.py); () in chart mode and for a run of some environments only
    undeployed_charts: tuple[str, ...] = ()
    # the kustomization files under the linted paths that no Application deploys and no other
    # kustomization lists, each with the number of Application files its build lists
    # (undeployed.py; the files are ``applied_together``); () as for undeployed_charts
    undeployed_kustomizations: tuple[tuple[str, int], ...] = ()
    # how many charts and kustomizations no Application deploys are left unnamed because an
    # undeployed chart may write Applications (a root installed by hand) that may deploy them
    undeployed_unnamed: int = 0
    # the Application files of each kustomization no Application deploys and no other lists
    # (``kubectl apply -k`` applies them together), also in a run of some environments and
    # beside a chart that may write Applications
    applied_together: tuple[tuple[str, ...], ...] = ()
    # the Applications (file, line, kind, name) below the directory of a kustomization
    # applied by hand whose build does not list their files, with its directory: not
    # deployed, not checked (``planning._hand_applied``)
    unlisted_applications: tuple[tuple[str, int, str, str, str], ...] = ()
    # the files of hidden directories under the linted paths that name an Argo CD
    # Application or ApplicationSet and that no app-of-apps reached: not walked, not checked
    hidden_applications: tuple[str, ...] = ()
    # a source that failed to render names argocd-cm's globalProjects: the projects Argo CD
    # merges are not known (argocd-project says nothing)
    global_projects_unknown: bool = False
    # a source that failed to render holds an Argo CD repository or cluster Secret: what
    # project-scoped ones add to the projects' sourceRepos and destinations is not known
    # (argocd-project says nothing of sources and destinations)
    scoped_secrets_unknown: bool = False
    # chart mode: the values-<name>.yaml files of the charts linted whose name is no
    # configured environment's: no target renders the chart with them
    unmatched_values: tuple[str, ...] = ()
    # each chart name a deployed chart's charts/ (or a subchart directory's) holds more than
    # once: (the chart, the name, its copies, the file and line declaring it) (dependencies.py)
    vendored_twice: tuple[tuple[str, str, tuple[str, ...], str, int | None], ...] = ()
    # the AppProjects of the repository's files and of its renders (argocd-project)
    projects: tuple[AppProject, ...] = ()
    # a run of some environments (``--env prod``): the other environments whose targets are
    # loaded only for env-consistency to compare them with those (no other policy checks them)
    compared_only: tuple[str, ...] = ()
    # which revisions of this repository are this checkout (None: every one)
    checkout: Checkout | None = None

    def known_environment(self, app: Application) -> str | None:
        """The environment of ``app``, written or generated, also when this run has no target
        of it (``app_environments``, ``generated_environments``)."""
        return self.app_environments.get((app.file, app.line)) or \
            self.generated_environments.get((app.file, app.line, app.name))


# -- platecheck diff --base ------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceChange:
    resource: str  # "Deployment/web" (with " -n <namespace>" when it has one)
    status: str  # added | removed | changed
    diff: str  # unified diff of the YAML, redacted; empty for added/removed


@dataclass(frozen=True)
class TargetChange:
    target: str  # target id, e.g. "prod/web"
    status: str  # added | removed | changed
    application: str | None  # file:line of the Application, when there is one
    resources: tuple[ResourceChange, ...]
    # the target's id at the base, when it had another (its environment classified anew)
    was: str | None = None


@dataclass(frozen=True)
class RenderedDiff:
    ref: str
    commit: str
    targets: tuple[TargetChange, ...]
    appeared: tuple[Finding, ...]  # findings of the working tree that REF does not have
    disappeared: tuple[Finding, ...]  # findings of REF that the working tree no longer has
    errors: tuple[Finding, ...]  # could-not-check problems, on either side
    renders: int
    cache_hits: int
    builds: int = 0

    @property
    def exit_code(self) -> int:
        return exit_code(self.errors, self.appeared)


def exit_code(errors: Sequence[Finding], findings: Iterable[Finding]) -> int:
    """2 when something could not be checked, else 1 when an unwaived finding is an error,
    else 0."""
    if errors:
        return 2
    return 1 if any(f.level is Level.ERROR and f.waived is None for f in findings) else 0
