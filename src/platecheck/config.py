"""The repository's platecheck configuration: ``policies/platecheck.yaml``.

Validated once, at load, against the built-in configuration (``data/platecheck.yaml``) and
the declarations of the policies the caller passes (``platecheck.policies.configuration``
passes every registered one): an unknown key, policy, option, environment or level, or an
option value its policy's options dataclass refuses (a wrong type, a regex that does not
compile, a structured option its parser rejects) fails here, before anything is rendered, as
one line naming the file and line. Each policy's options are parsed once, here, into that
dataclass. See docs/configuration.md.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.globs import matches, under_any
from platecheck.limits import MAX_JOBS
from platecheck.model import Application, Environment, KeyPath, Level
from platecheck.options import (
    OptionError,
    OptionSpec,
    OptionValueError,
    PolicyDeclaration,
    PolicyOptions,
    parse_value,
)
from platecheck.realpaths import resolve
from platecheck.waivers import Waiver, load_waivers
from platecheck.yamlio import Document, line_of, load_document, read_own_text, type_name

CONFIG_FILE = "platecheck.yaml"
WAIVERS_FILE = "waivers.yaml"
BUILTIN = Path(__file__).parent / "data" / CONFIG_FILE

_TOP_KEYS = ("kubernetesVersion", "apiVersions", "environments", "policies", "renderTimeout",
             "jobs", "requireEnvironment", "kustomizeBuildOptions", "newGitFileGlobbing",
             "exclude")
# the versions kustomize's helm inflation is given (a list, and the last of one)
_HELM_VERSIONS = ("--helm-api-versions", "--helm-kube-version")
# The values of kustomize's --load-restrictor; LoadRestrictionsNone is Argo CD's common
# ``kustomize.buildOptions`` (platecheck then builds in a root of the repository's copy alone)
LOAD_RESTRICTORS = ("LoadRestrictionsRootOnly", "LoadRestrictionsNone")
# what Go's strconv.ParseBool reads, as kustomize's boolean flags take it after ``=``
_BOOLS = {**dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
          **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False)}
# The environment of Applications that match no configured one (unless requireEnvironment).
UNCLASSIFIED = "default"
_ENV_KEYS = ("production", "match")
_MATCH_KEYS = ("labels", "namespaces", "names", "paths")
MAX_GLOB = 1024  # characters of a glob of the configuration
_POLICY_KEYS = ("level", "options", "environments")
_POLICY_ENV_KEYS = ("level", "options")
# Upper bounds on what a checked repository may ask for (see docs/security.md); the number of
# helm processes is further capped by the machine's CPU count where it is used.
MAX_RENDER_TIMEOUT = 600


@dataclass(frozen=True)
class MatchRules:
    """How an Application is recognised as belonging to an environment (any rule matches)."""

    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    namespaces: tuple[str, ...] = ()  # destination namespace globs
    names: tuple[str, ...] = ()  # Application name globs; the matched suffix/prefix is dropped
    paths: tuple[str, ...] = ()  # globs of the repository-relative file it is written in


@dataclass(frozen=True)
class EnvironmentConfig:
    name: str
    production: bool
    match: MatchRules

    @property
    def environment(self) -> Environment:
        return Environment(self.name, self.production, self.match.namespaces,
                           self.match.paths)

    def matches(self, name: str, labels: Mapping[str, str], namespace: str | None,
                file: str | None = None) -> bool:
        """Whether any rule matches an Application of this name, labels, destination
        namespace and (repository-relative) file."""
        for key, values in self.match.labels.items():
            if labels.get(key) in values:
                return True
        if namespace and _affirmed(namespace, self.match.namespaces):
            return True
        if file is not None and under_any(file, self.match.paths):
            return True
        return _affirmed(name, self.match.names)

    def matches_app(self, app: Application) -> bool:
        """``matches`` of ``app``'s own name, labels, namespace and file."""
        return self.matches(app.name, app.labels, app.destination_namespace, app.file)

    def app_of(self, app: Application) -> str:
        """``app_name`` of ``app``'s name; for one an ApplicationSet makes whose whole name is
        a name rule of this environment (``'{{path.basename}}'`` of ``overlays/production``),
        the set's name: what the set deploys to each environment is one app."""
        name = self.app_name(app.name)
        if app.set_name and name == app.name and app.name in self.match.names:
            return app.set_name
        return name

    def app_name(self, name: str) -> str:
        """The Application name without this environment's affix (``web-prod`` -> ``web``)."""
        for glob in self.match.names:
            if not matches(name, glob) or _negated(name, glob):
                continue  # (``web-non-prd``, in production by its parent, keeps its word)
            if glob.startswith("*") and not _has_wildcard(glob[1:]):
                stripped = name[: len(name) - len(glob) + 1]
            elif glob.endswith("*") and not _has_wildcard(glob[:-1]):
                stripped = name[len(glob) - 1:]
            else:  # the environment's word between two ``*`` (``*-prod-*``): what they cover
                stripped = _between_stars(name, glob)
            if stripped:
                return stripped
        return name


# an environment word negated by the word before it (``shop-non-prod``, ``web_not_prod``),
# or made another environment's (``web-pre-prod``)
_NEGATION = re.compile(r"(?:^|[-_.])(?:non|not|pre)[-_.]?$", re.IGNORECASE)


def _affirmed(name: str, globs: tuple[str, ...] | list[str]) -> bool:
    """Whether a glob of ``globs`` matches ``name`` other than by an environment word that
    ``non`` or ``not`` before it negates, or ``pre`` makes another's (``*-prod`` matches
    ``shop-non-prod`` and ``web-pre-prod``, which are no production names)."""
    return any(matches(name, glob) and not _negated(name, glob) for glob in globs)


def _negated(name: str, glob: str) -> bool:
    """Whether the word of a glob ``*<word>`` or ``*<word>*`` (no other wildcard) is
    negated wherever it lies in ``name``."""
    word = glob[1:-1] if glob.endswith("*") and len(glob) > 1 else glob[1:]
    if not glob.startswith("*") or not word or _has_wildcard(word):
        return False
    starts = [match.start() for match in re.finditer(f"(?={re.escape(word)})", name)]
    return bool(starts) and all(_NEGATION.search(name[:start]) for start in starts)


def _between_stars(name: str, glob: str) -> str:
    """What the two ``*`` of a glob ``*<word>*`` (no other wildcard) cover in ``name``,
    joined by the word's first character when it is a separator (``shop-prod-eu`` by
    ``*-prod-*``: ``shop-eu``); "" for any other glob."""
    inner = glob[1:-1]
    if not (glob.startswith("*") and glob.endswith("*")) or not inner \
            or _has_wildcard(inner):
        return ""
    found = re.fullmatch(f"(.*?){re.escape(inner)}(.*)", name)
    if found is None:
        return ""
    joint = inner[0] if inner[0] in "-_." else ""
    return joint.join(part for part in found.groups() if part)


@dataclass(frozen=True)
class PolicySettings:
    level: Level | None = None
    env_levels: Mapping[str, Level] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)  # field -> parsed value
    env_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # the line of the repository file's level setting: environment (None: all) -> line
    level_lines: Mapping[str | None, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """Configuration after validation, with built-in defaults filled in."""

    root: Path
    file: Path | None  # the repository's platecheck.yaml, when there is one
    environments: tuple[EnvironmentConfig, ...]
    kubernetes_version: str | None
    api_versions: tuple[str, ...]
    render_timeout: float
    jobs: int | None
    waivers_file: Path | None
    policies: Mapping[str, PolicySettings]
    declarations: Mapping[str, PolicyDeclaration]  # policy id -> level, scope, options
    waivers: tuple[Waiver, ...] = ()  # from waivers_file, validated at load
    file_raw: bytes | None = None  # the bytes of ``file`` as parsed, for YAML hygiene
    # every Application must match a configured environment (else could-not-check)
    require_environment: bool = False
    # argocd-cm's kustomize.buildOptions that platecheck follows, as kubectl options, and
    # --enable-helm where written; None when not configured
    kustomize_build_options: tuple[str, ...] | None = None
    # the ApplicationSet controller's applicationsetcontroller.enable.new.git.file.globbing:
    # a git files generator's path a glob of the files (``**``), not a git pathspec
    new_git_file_globbing: bool = False
    # globs of repository paths the walk for Applications leaves out (another tool's files)
    exclude: tuple[str, ...] = ()

    @property
    def cluster_api_versions(self) -> tuple[str, ...]:
        """What helm's ``--api-versions`` is given for the cluster (where an Application sets
        no ``apiVersions`` of its own): ``apiVersions`` configured, then ``group/version/Kind``
        of every generally available kind of ``kubernetesVersion``, as Argo CD passes a
        cluster's (``schemas.served_kinds``)."""
        from platecheck.schemas import served_kinds

        built_in = served_kinds(self.kubernetes_version) if self.kubernetes_version else ()
        return tuple(dict.fromkeys((*self.api_versions, *built_in)))

    def environment(self, name: str) -> EnvironmentConfig | None:
        return next((env for env in self.environments if env.name == name), None)

    def match_environment(self, app: Application) -> EnvironmentConfig | None:
        """The first configured environment ``app`` matches (``matches_app``); else the one
        it inherited (``Application.inherited_environment``), else the unclassified
        environment, or None when ``requireEnvironment`` demands a match."""
        inherited = app.inherited_environment
        found = next((env for env in self.environments if env.matches_app(app)), None) \
            or (self.environment(inherited) if inherited else None)
        if found is not None or self.require_environment:
            return found
        return self.unclassified

    @property
    def unclassified(self) -> EnvironmentConfig:
        """Where Applications that match no rule go: a configured environment named
        ``default`` (with its settings), else a non-production one without settings."""
        return self.environment(UNCLASSIFIED) or EnvironmentConfig(
            UNCLASSIFIED, production=False, match=MatchRules())

    @property
    def environment_names(self) -> tuple[str, ...]:
        """The names ``--env`` accepts: the configured ones and the unclassified one."""
        names = tuple(env.name for env in self.environments)
        if self.require_environment or UNCLASSIFIED in names:
            return names
        return (*names, UNCLASSIFIED)

    def policy_options(self, policy_id: str) -> PolicyOptions[Any]:
        """The policy's options dataclass: its defaults with the repository's settings, and
        one per environment that sets any."""
        settings = self.policies.get(policy_id, PolicySettings())
        default = dataclasses.replace(self.declarations[policy_id].options(), **settings.options)
        per_env = {env: dataclasses.replace(default, **opts)
                   for env, opts in settings.env_options.items()}
        return PolicyOptions(default=default, per_environment=per_env)

    def level(self, policy_id: str, environment: str | None) -> Level:
        settings = self.policies.get(policy_id, PolicySettings())
        if environment is not None and environment in settings.env_levels:
            return settings.env_levels[environment]
        if settings.level is not None:
            return settings.level
        declared = self.declarations.get(policy_id)
        # A policy nothing declares fails closed.
        return declared.level if declared is not None else Level.ERROR

    def level_line(self, policy_id: str, environment: str | None) -> int | None:
        """The line of ``file`` that sets the level ``level`` returns (None: not set there)."""
        settings = self.policies.get(policy_id, PolicySettings())
        if environment is not None and environment in settings.env_levels:
            return settings.level_lines.get(environment)
        return settings.level_lines.get(None) if settings.level is not None else None


def _not_linked_out(root: Path, directory: Path) -> None:
    """The configuration files of a directory inside the repository are the repository's
    own: one that a symbolic link (of the file, or of the directory) leads out of it is
    refused, as every file of the repository that leads out is, before it is read."""
    top = resolve(root)
    if not Path(os.path.abspath(directory)).is_relative_to(Path(os.path.abspath(root))):
        return
    for name in (CONFIG_FILE, WAIVERS_FILE):
        path = directory / name
        if os.path.lexists(path) and not resolve(path).is_relative_to(top):
            raise PlatecheckError("leads out of the repository (a symbolic link); the "
                                  "repository's configuration is read from inside it",
                                  Path(os.path.relpath(os.path.abspath(path),
                                                       os.path.abspath(root))).as_posix())


def _no_stand_in(root: Path, directory: Path) -> None:
    """A configuration file's name that is no file (a symbolic link to nothing, a directory)
    is refused: the built-in configuration, or no waivers, would apply in silence."""
    for name, what in ((CONFIG_FILE, "configuration"), (WAIVERS_FILE, "waivers")):
        path = directory / name
        if os.path.lexists(path) and not path.is_file():
            kind = "a directory" if path.is_dir() else "a symbolic link to nothing" \
                if path.is_symlink() and not path.exists() else "not a regular file"
            written = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root)))
            raise PlatecheckError(
                f"{kind}: the {what} is read from a file of this name, so none would be read",
                written.as_posix() if not written.as_posix().startswith("../") else str(path))


def load_config(root: Path, config_dir: Path | None = None,
                policies: Mapping[str, PolicyDeclaration] | None = None) -> Config:
    """The configuration of the repository at ``root``: ``config_dir/platecheck.yaml``
    (default ``<root>/policies``) over the built-in configuration; built-in only when absent.
    ``policies``: what the policies declare (id -> level, scope, options); none by default,
    so ``platecheck.policies.configuration`` is what callers use."""
    declared = dict(policies or {})
    builtin = _Parser(BUILTIN, "platecheck/data/platecheck.yaml", declared).parse(None)
    directory = config_dir if config_dir is not None else root / "policies"
    if config_dir is not None and config_dir.exists() and not config_dir.is_dir():
        raise PlatecheckError(f"not a directory: the configuration is given as the directory "
                              f"that holds {CONFIG_FILE} and {WAIVERS_FILE}", str(config_dir))
    if config_dir is not None and not config_dir.is_dir():
        raise PlatecheckError("configuration directory not found", str(config_dir))
    path = directory / CONFIG_FILE
    _no_stand_in(root, directory)
    if config_dir is not None and not path.is_file() and not (directory / WAIVERS_FILE).is_file():
        raise PlatecheckError(f"the configuration directory holds neither {CONFIG_FILE} nor "
                              f"{WAIVERS_FILE}; the built-in configuration would apply as if "
                              "it had not been given", str(config_dir))
    rel = _rel(path, root)
    _not_linked_out(root, directory)
    merged = builtin
    raw = None
    parser = None
    if path.is_file():
        parser = _Parser(path, rel, declared, builtin)
        merged = parser.parse(builtin)
        raw = parser.raw
    waivers = directory / WAIVERS_FILE
    waivable = [pid for pid, decl in declared.items() if decl.scope != "waivers"]
    loaded = load_waivers(waivers, _rel(waivers, root), waivable) if waivers.is_file() else ()
    config = Config(
        root=root,
        file=path if path.is_file() else None,
        environments=merged.environments,
        kubernetes_version=merged.kubernetes_version or _default_kubernetes_version(),
        api_versions=merged.api_versions,
        render_timeout=merged.render_timeout,
        jobs=merged.jobs,
        waivers_file=waivers if waivers.is_file() else None,
        policies=merged.policies,
        declarations=declared,
        waivers=loaded,
        file_raw=raw,
        require_environment=merged.require_environment,
        kustomize_build_options=merged.kustomize_build_options,
        new_git_file_globbing=merged.new_git_file_globbing,
        exclude=merged.exclude,
    )
    if parser is not None and ("kubernetesVersion",) in parser.lines:
        _schemas_cover(config, parser)
    if parser is not None:
        _schema_dirs_exist(config, parser, root)
    return config


def _schema_dirs_exist(config: Config, parser: _Parser, root: Path) -> None:
    """Each ``schemaDirs`` entry the file writes is a directory: a misspelt one would leave
    its schemas unread, every kind of theirs an unknown-kind finding at best. The
    repository's own configuration reads schemas from inside the repository alone: what it
    names elsewhere is the machine's, which a finding would show parts of (a configuration
    given with ``--config`` outside the repository may name any directory)."""
    inside = config.file is not None and resolve(config.file).is_relative_to(resolve(root))
    for pid in config.declarations:
        options = config.policy_options(pid)
        for env in (None, *config.environment_names):
            path: KeyPath = ("policies", pid, "options", "schemaDirs") if env is None else (
                "policies", pid, "environments", env, "options", "schemaDirs")
            if path not in parser.lines:
                continue
            for entry in getattr(options.for_env(env), "schema_dirs", ()):
                directory = Path(entry) if Path(entry).is_absolute() else root / entry
                if inside and not resolve(directory).is_relative_to(resolve(root)):
                    raise parser.fail(f"schemaDirs entry {entry!r} leads out of the "
                                      "repository; the repository's configuration reads "
                                      "schemas from inside it (copy the catalog into the "
                                      "repository, or give a configuration outside it with "
                                      "--config)", path)
                if not directory.is_dir():
                    raise parser.fail(f"schemaDirs entry {entry!r} is not a directory "
                                      f"(relative to the repository root, {root})", path)


def _default_kubernetes_version() -> str:
    """The version rendered for when none is configured: the one the schemas are of, so that
    one run assumes one cluster version (Argo CD always passes the cluster's)."""
    from platecheck.schemas import default_kubernetes_version

    return default_kubernetes_version()


def _schemas_cover(config: Config, parser: _Parser) -> None:
    """A ``kubernetesVersion`` written in the file names a version the bundled Kubernetes
    schemas cover, where a schema policy (k8s-schema, unknown-kind) runs and takes it (has no
    ``kubernetesVersion`` option of its own): refused at its line before anything renders."""
    from platecheck.schemas import SchemaOptions, resolve_version

    version = config.kubernetes_version
    if version is None:
        return
    for pid, declaration in config.declarations.items():
        if not issubclass(declaration.options, SchemaOptions):
            continue
        levels = {config.level(pid, env) for env in (None, *config.environment_names)}
        options = config.policy_options(pid)
        own = {options.for_env(env).kubernetes_version for env in config.environment_names}
        if levels != {Level.OFF} and None in own:
            try:
                resolve_version(version)
            except PlatecheckError as exc:
                raise parser.fail(exc.message, ("kubernetesVersion",)) from None
            return


def _texts(value: Any) -> list[tuple[KeyPath, str]]:
    """The texts in an option's parsed value, in nested tuples and lists too, each with its
    key path below the option (a parsed list keeps the indexes of the list written)."""
    if isinstance(value, str):
        return [((), value)]
    if isinstance(value, (tuple, list)):
        return [((index, *where), text) for index, item in enumerate(value)
                for where, text in _texts(item)]
    return []


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _has_wildcard(text: str) -> bool:
    return any(char in text for char in "*?[")


@dataclass(frozen=True)
class _Parsed:
    environments: tuple[EnvironmentConfig, ...]
    kubernetes_version: str | None
    api_versions: tuple[str, ...]
    render_timeout: float
    jobs: int | None
    policies: Mapping[str, PolicySettings]
    require_environment: bool = False
    kustomize_build_options: tuple[str, ...] | None = None
    new_git_file_globbing: bool = False
    exclude: tuple[str, ...] = ()


class _Parser:
    def __init__(self, path: Path, rel: str, declared: Mapping[str, PolicyDeclaration],
                 base: _Parsed | None = None) -> None:
        self.path = path
        self.rel = rel
        self.specs: dict[str, dict[str, OptionSpec]] = {
            pid: decl.specs for pid, decl in declared.items()}
        self.lines: Mapping[KeyPath, int] = {}
        self.base = base
        self.env_names: tuple[str, ...] = ()
        self.raw = b""

    def fail(self, message: str, path: KeyPath) -> PlatecheckError:
        return PlatecheckError(message, self.rel, line_of(self.lines, path, 1))

    def parse(self, base: _Parsed | None) -> _Parsed:
        self.raw, text = read_own_text(self.path, self.rel)
        # platecheck alone reads this file: a key written twice (the second block silently
        # replacing the first) is refused, not resolved as Helm resolves a values file's
        document: Document = load_document(text, self.rel, unique_keys=True)
        self.lines = document.lines
        data = document.data if document.data is not None else {}
        self.mapping(data, (), "configuration")
        self.keys(data, (), _TOP_KEYS, "configuration key")
        envs = base.environments if base else ()
        if "environments" in data:
            envs = self.environments(data["environments"])
        if not envs:
            raise self.fail("at least one environment must be configured", ("environments",))
        names = tuple(env.name for env in envs)
        return _Parsed(
            environments=envs,
            kubernetes_version=self.optional_str(data, "kubernetesVersion",
                                                 base.kubernetes_version if base else None),
            api_versions=self.str_list(data.get("apiVersions", []), ("apiVersions",))
            if "apiVersions" in data else (base.api_versions if base else ()),
            render_timeout=self.positive(data, "renderTimeout", base.render_timeout
                                         if base else 120.0),
            jobs=self.jobs(data, base.jobs if base else None),
            policies=self.policies(data.get("policies", {}), names,
                                   base.policies if base else {}),
            require_environment=self.boolean(data, "requireEnvironment",
                                             base.require_environment if base else False),
            kustomize_build_options=self.build_options(data) if "kustomizeBuildOptions" in data
            else (base.kustomize_build_options if base else None),
            new_git_file_globbing=self.boolean(data, "newGitFileGlobbing",
                                               base.new_git_file_globbing if base else False),
            exclude=self.path_globs(data["exclude"], ("exclude",)) if "exclude" in data
            else (base.exclude if base else ()),
        )

    def path_globs(self, value: Any, path: KeyPath) -> tuple[str, ...]:
        """Globs of repository-relative paths (``*`` crossing ``/``): ``exclude``, an
        environment's ``match.paths``."""
        patterns = self.globs(value, path)
        for index, pattern in enumerate(patterns):
            if not pattern.strip() or pattern.startswith("/"):
                raise self.fail(f"{path[-1]}: a glob of paths relative to the repository root, "
                                f"found {pattern!r}", (*path, index))
        return patterns

    def globs(self, value: Any, path: KeyPath) -> tuple[str, ...]:
        """A list of globs, each of at most ``MAX_GLOB`` characters: matching a longer one
        costs time and memory out of proportion (the file may come of a pull request)."""
        patterns = self.str_list(value, path)
        for index, pattern in enumerate(patterns):
            if len(pattern) > MAX_GLOB:
                raise self.fail(f"{path[-1]}: a glob of more than {MAX_GLOB} characters",
                                (*path, index))
        return patterns

    def build_options(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        """``kustomizeBuildOptions``, argocd-cm's ``kustomize.buildOptions`` as written there:
        ``--load-restrictor`` is followed, and so are the versions charts are inflated for
        (``--helm-api-versions``, ``--helm-kube-version``, before the Kubernetes version
        and API versions platecheck adds as Argo CD adds the cluster's), ``--enable-helm``
        is kept to say whether a build may inflate charts (vendored ones only;
        ``--enable-helm=false`` disables it, as in kustomize); any other option would run
        code (plugins, exec functions) or reach outside the repository (network, mounts), so
        it is refused."""
        key = "kustomizeBuildOptions"
        value = data[key]
        if not isinstance(value, str):
            raise self.fail(f"{key} must be a string (argocd-cm's kustomize.buildOptions), "
                            f"found {type_name(value)}", (key,))
        words = value.split()
        followed: list[str] = []
        index = 0
        while index < len(words):
            word = words[index]
            name, equals, given = word.partition("=")
            if name == "--enable-helm":  # a boolean flag: its value after =, the last wins
                if equals and given not in _BOOLS:
                    raise self.fail(f"{key}: invalid argument {given!r} for --enable-helm "
                                    "(kustomize reads true or false, as Go's "
                                    "strconv.ParseBool)", (key,))
                followed = [o for o in followed if o != name] + (
                    [name] if not equals or _BOOLS[given] else [])
                index += 1
                continue
            if name not in ("--load-restrictor", *_HELM_VERSIONS):
                raise self.fail(f"{key}: {word!r} is not followed: platecheck follows only "
                                "--load-restrictor, --helm-api-versions and "
                                "--helm-kube-version (and builds vendored helmCharts as with "
                                "--enable-helm); plugins, exec functions, the network and "
                                "mounts are never used", (key,))
            if not equals:
                index += 1
                given = words[index] if index < len(words) else ""
            if name in _HELM_VERSIONS:
                if not given:
                    raise self.fail(f"{key}: {name} needs a value", (key,))
                followed.append(f"{name}={given}")
                index += 1
                continue
            if given not in LOAD_RESTRICTORS:
                raise self.fail(f"{key}: --load-restrictor must be one of "
                                f"{', '.join(LOAD_RESTRICTORS)}, found {given!r}", (key,))
            followed = [o for o in followed if not o.startswith("--load-restrictor=")]
            followed.append(f"--load-restrictor={given}")
            index += 1
        return tuple(followed)

    # -- shapes ---------------------------------------------------------------------------

    def mapping(self, value: Any, path: KeyPath, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{what} must be a mapping, found {type_name(value)}", path)
        return value

    def keys(self, value: Mapping[str, Any], path: KeyPath, allowed: tuple[str, ...],
             what: str) -> None:
        for key in value:
            if key not in allowed:
                raise self.fail(f"unknown {what} {key!r} (expected one of: "
                                f"{', '.join(allowed)})", (*path, key))

    def str_list(self, value: Any, path: KeyPath) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(f"{'.'.join(map(str, path))} must be a list of strings", path)
        for index, item in enumerate(value):
            if not isinstance(item, str):  # at the item's own line
                raise self.fail(f"{'.'.join(map(str, path))} must be a list of strings",
                                (*path, index))
        return tuple(value)

    def optional_str(self, data: Mapping[str, Any], key: str, default: str | None) -> str | None:
        if key not in data:
            return default
        value = data[key]
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(f"{key} must be a string (quote it), found {type_name(value)}",
                            (key,))
        return value

    def positive(self, data: Mapping[str, Any], key: str, default: float) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value <= 0:
            raise self.fail(f"{key} must be a positive number of seconds", (key,))
        if value > MAX_RENDER_TIMEOUT:
            raise self.fail(f"{key} must be at most {MAX_RENDER_TIMEOUT} seconds", (key,))
        return float(value)

    def boolean(self, data: Mapping[str, Any], key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{key} must be true or false, found {type_name(value)}", (key,))
        return value

    def jobs(self, data: Mapping[str, Any], default: int | None) -> int | None:
        value = data.get("jobs", default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail("jobs must be a positive integer", ("jobs",))
        if value > MAX_JOBS:
            raise self.fail(f"jobs must be at most {MAX_JOBS}", ("jobs",))
        return value

    def level_value(self, value: Any, path: KeyPath) -> Level:
        if value is False:
            return Level.OFF  # YAML 1.1 reads a bare ``off`` as false
        try:
            return Level(value)
        except ValueError:
            choices = ", ".join(level.value for level in Level)
            raise self.fail(f"invalid level {value!r} (expected one of: {choices})",
                            path) from None

    # -- environments ---------------------------------------------------------------------

    def environments(self, value: Any) -> tuple[EnvironmentConfig, ...]:
        envs = self.mapping(value, ("environments",), "environments")
        result = []
        for name, spec in envs.items():
            path: KeyPath = ("environments", name)
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
                raise self.fail(f"invalid environment name {name!r}", path)
            spec = self.mapping(spec if spec is not None else {}, path, f"environment {name!r}")
            self.keys(spec, path, _ENV_KEYS, f"key of environment {name!r}")
            production = spec.get("production", False)
            if not isinstance(production, bool):
                raise self.fail("production must be true or false", (*path, "production"))
            match = self.mapping(spec.get("match", {}) or {}, (*path, "match"), "match")
            self.keys(match, (*path, "match"), _MATCH_KEYS, "match rule")
            labels_path = (*path, "match", "labels")
            labels = self.mapping(match.get("labels", {}) or {}, labels_path, "labels")
            rules = MatchRules(
                labels={key: self.str_list(val, (*labels_path, key))
                        for key, val in labels.items()},
                namespaces=self.globs(match.get("namespaces", []), (*path, "match",
                                                                         "namespaces")),
                names=self.globs(match.get("names", []), (*path, "match", "names")),
                paths=tuple(glob.removeprefix("./") for glob in self.path_globs(
                    match.get("paths", []), (*path, "match", "paths"))),
            )
            result.append(EnvironmentConfig(name, production, rules))
        return tuple(result)

    # -- policies -------------------------------------------------------------------------

    def policies(self, value: Any, env_names: tuple[str, ...],
                 base: Mapping[str, PolicySettings]) -> dict[str, PolicySettings]:
        self.env_names = env_names
        policies = self.mapping(value if value is not None else {}, ("policies",), "policies")
        result = dict(base)
        for pid, spec in policies.items():
            path: KeyPath = ("policies", pid)
            if pid not in self.specs and self.base is None:
                continue  # the built-in file may name policies this installation lacks
            if pid not in self.specs:
                known = ", ".join(self.specs) or "none"
                raise self.fail(f"unknown policy {pid!r} (known: {known})", path)
            spec = self.mapping(spec if spec is not None else {}, path, f"policy {pid!r}")
            self.keys(spec, path, _POLICY_KEYS, f"key of policy {pid!r}")
            previous = base.get(pid, PolicySettings())
            level, env_levels = previous.level, dict(previous.env_levels)
            lines = dict(previous.level_lines)
            if "level" in spec:
                raw = spec["level"]
                if isinstance(raw, dict):
                    for env, env_level in raw.items():
                        self.known_env(env, env_names, (*path, "level", env))
                        env_levels[env] = self.level_value(env_level, (*path, "level", env))
                        lines[env] = self.level_line((*path, "level", env))
                else:
                    level = self.level_value(raw, (*path, "level"))
                    lines[None] = self.level_line((*path, "level"))
            options = {**previous.options,
                       **self.options(pid, spec.get("options", {}), (*path, "options"))}
            env_options = {env: dict(opts) for env, opts in previous.env_options.items()}
            per_env = self.mapping(spec.get("environments", {}) or {}, (*path, "environments"),
                                   "environments")
            for env, env_spec in per_env.items():
                env_path = (*path, "environments", env)
                self.known_env(env, env_names, env_path)
                env_spec = self.mapping(env_spec or {}, env_path, f"environment {env!r}")
                self.keys(env_spec, env_path, _POLICY_ENV_KEYS, f"key of environment {env!r}")
                if "level" in env_spec:
                    env_levels[env] = self.level_value(env_spec["level"], (*env_path, "level"))
                    lines[env] = self.level_line((*env_path, "level"))
                self.honoured_per_env(pid, env_spec.get("options") or {}, (*env_path, "options"))
                env_options[env] = {
                    **env_options.get(env, {}),
                    **self.options(pid, env_spec.get("options", {}), (*env_path, "options")),
                }
            result[pid] = PolicySettings(level, env_levels, options, env_options,
                                         {k: v for k, v in lines.items() if v})
        return result

    def level_line(self, path: KeyPath) -> int:
        """The line of a level setting in the repository's file (0 in the built-in one, whose
        lines no report points at)."""
        return line_of(self.lines, path, 1) if self.base is not None else 0

    def honoured_per_env(self, pid: str, options: Any, path: KeyPath) -> None:
        """An option the policy does not read per environment would be accepted and then
        silently ignored: refuse it."""
        if self.base is None or not isinstance(options, dict):
            return
        specs = self.specs.get(pid, {})
        allowed = sorted(name for name, spec in specs.items() if spec.per_environment)
        for key in options:
            if key in specs and not specs[key].per_environment:
                where = (f"only {', '.join(allowed)} can be" if allowed
                         else "no option can be")
                raise self.fail(f"option {key!r} of policy {pid!r} cannot be set per "
                                f"environment ({where}); set it under policies.{pid}.options",
                                (*path, key))

    def known_env(self, env: str, env_names: tuple[str, ...], path: KeyPath) -> None:
        if env not in env_names:
            raise self.fail(f"unknown environment {env!r} (configured: "
                            f"{', '.join(env_names)})", path)

    def options(self, pid: str, value: Any, path: KeyPath) -> dict[str, Any]:
        """The policy's options as written under ``path``, parsed: field name -> value."""
        options = self.mapping(value if value is not None else {}, path, "options")
        specs = self.specs[pid]
        parsed = {}
        for key, option in options.items():
            if key not in specs:
                known = ", ".join(specs) or "none"
                raise self.fail(f"unknown option {key!r} for policy {pid!r} (known: {known})",
                                (*path, key))
            try:
                parsed[specs[key].field] = parse_value(specs[key], option)
            except OptionValueError as exc:
                raise self.fail(f"option {key!r} of policy {pid!r} {exc.message}",
                                (*path, key, *exc.at)) from None
            except PlatecheckError as exc:
                at = exc.at if isinstance(exc, OptionError) else ()
                raise self.fail(exc.message, (*path, key, *at)) from None
            if specs[key].environments:  # a name no environment has would match nothing
                for where, env in _texts(parsed[specs[key].field]):
                    self.known_env(env, self.env_names, (*path, key, *where))
        return parsed
