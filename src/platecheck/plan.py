"""Turning Applications (or a chart directory) into render targets, as Argo CD would.

https://argo-cd.readthedocs.io/en/stable/user-guide/helm/ and
https://argo-cd.readthedocs.io/en/stable/user-guide/multiple_sources/

- ``source.path`` is relative to the repository root; every Git source is taken to be this
  repository (a GitOps repository points at itself).
- ``helm.valueFiles`` are relative to the chart directory, in order; ``$ref/...`` resolves
  against the root of the source whose ``ref`` is ``ref``; an absolute path is relative to the
  repository root. A missing file is an error unless ``ignoreMissingValueFiles``; a file
  outside the repository (``..`` or a symlink) or a URL cannot be checked.
- ``helm.valuesObject`` wins over ``helm.values``; ``helm.parameters`` come last.
- release name: ``helm.releaseName`` or the Application name; namespace: ``helm.namespace``
  or the destination namespace (``default`` when empty).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platecheck.argocd_env import app_environment
from platecheck.chartfile import chart_yaml, key_line
from platecheck.config import UNCLASSIFIED, Config, EnvironmentConfig
from platecheck.discover import Discovery, load_chart, raw_at, rel_path, source_key
from platecheck.errors import PlatecheckError
from platecheck.helmargs import SET, SET_FILE, SET_STRING, chart_release, parameter_layer
from platecheck.helmsource import command_fields, kustomize_versions
from platecheck.model import (
    NO_ENVIRONMENT,
    Application,
    Chart,
    Checkout,
    Finding,
    HelmSourceSpec,
    KeyPath,
    Origin,
    RenderTarget,
    SetArgument,
    Source,
    SourceType,
    ValuesFile,
    YamlFile,
)
from platecheck.overrides import apply_overrides
from platecheck.realpaths import GIT_VALUE_FILE, in_git_directory, resolve
from platecheck.repourl import (
    apps_checkout,
    git_repo_urls,
    grown,
    identity,
    is_root_path,
    remote_urls,
    repository_revision,
    this_repository,
)
from platecheck.sourcecheck import path_problem, path_remedy, source_problems
from platecheck.sourcetype import explicit_type, source_type
from platecheck.valuefiles import Resolver, written_dir
from platecheck.yamlio import below, load_values, values_document

if TYPE_CHECKING:
    from platecheck.schemas import CustomSchema


def named_urls(found: Discovery) -> set[str]:
    """The Git ``repoURL``s the Application and ApplicationSet files of the repository name."""
    apps = [app for parsed in (found.parsed, found.set_cache) for file_apps in parsed.values()
            for app in file_apps]
    return git_repo_urls((*apps, *found.applications))


class Planner:
    def __init__(self, config: Config, found: Discovery,
                 helm_major: Callable[[], int] | None = None) -> None:
        self.config = config
        # the major of the helm that renders, asked only for a values file of several
        # documents (``yamlio.load_values``); without it such a file is refused
        self.helm_major = helm_major
        self.found = found
        self.root = found.root
        self.charts: dict[Path, Chart] = {chart.path: chart for chart in found.charts}
        # chart mode: the values-<name>.yaml files beside a chart whose name is no configured
        # environment's (repository path -> the chart's), which no target renders with
        self.unmatched_values: dict[str, str] = {}
        # the charts of chart mode that could not be loaded: their error, by repository path
        self.unloaded: dict[str, Finding] = {}
        self._values: dict[Path, ValuesFile] = {}
        self.revision = repository_revision(self.root)  # ARGOCD_APP_REVISION
        # the repoURLs that are this checkout, from its Git remotes (platecheck.repourl)
        self._remotes = remote_urls(self.root)
        self._named = named_urls(found.repository or found)
        self.own = identity(self._remotes, self._named)
        # the schema of each kind (Application, ApplicationSet), once looked up
        self._application_schemas: dict[str, CustomSchema | None] = {}

    # -- loading ----------------------------------------------------------------------------

    def values_file(self, path: Path) -> ValuesFile:
        path = resolve(path)
        if path not in self._values:
            rel = rel_path(path, self.root)
            if in_git_directory(path):  # (never read, let alone quoted)
                raise PlatecheckError(GIT_VALUE_FILE, rel)
            values, raw = load_values(path, rel, self.helm_major)
            self.found.yaml_files.setdefault(rel, YamlFile(path, rel, "values", raw))
            self._values[path] = values
        return self._values[path]

    def chart_values(self, chart: Chart) -> ValuesFile | None:
        path = chart.path / "values.yaml"
        return self.values_file(path) if path.is_file() else None

    def chart(self, directory: Path) -> Chart:
        directory = resolve(directory)
        if directory not in self.charts:
            self.charts[directory] = load_chart(directory, self.found)
        return self.charts[directory]

    # -- Applications -----------------------------------------------------------------------

    def environment_of(self, app: Application) -> EnvironmentConfig | None:
        """The environment of ``app`` (``Config.match_environment``)."""
        return self.config.match_environment(app)

    def matches_own(self, app: Application) -> bool:
        """Whether ``app``'s own name, labels, namespace or file match a configured
        environment."""
        return any(env.matches_app(app) for env in self.config.environments)

    def inheriting(self, app: Application, parent: Application | None) -> Application:
        """``app``, generated by the Application (or ApplicationSet) ``parent``, in the
        parent's environment (``inherited``). (One a chart linted in chart mode generates,
        no parent, keeps the environment of that render's values file, ``generated``, unless
        its own name, labels, namespace or file say one; one a kustomization applied by hand
        generates stays in its own.)"""
        inherited = self.inherited(app, [parent] if parent is not None else [])
        if inherited is None and app.inherited_environment is not None \
                and self.matches_own(app):
            return dataclasses.replace(app, inherited_environment=None)
        return app if inherited is None else dataclasses.replace(
            app, inherited_environment=inherited)

    def inherited(self, app: Application, parents: Iterable[Application]) -> str | None:
        """The environment ``app`` inherits from the ``parents`` that deploy it, when its own
        name, labels, namespace and file match none: theirs, the first configured one of
        theirs when they are of several, as the first environment an Application matches
        is its own (a parent of no environment says nothing): the child of a production
        app-of-apps is deployed where production is, also when a staging one deploys it
        too (each cluster's root deploying one directory)."""
        envs = {env.name for env in map(self.environment_of, parents)
                if env is not None and env.name != UNCLASSIFIED}
        if not envs or self.matches_own(app):
            return None
        return next(env.name for env in self.config.environments if env.name in envs)

    def checked(self, app: Application) -> Application:
        """``app`` with what is wrong with its source paths and value files, and where the
        Application schema rejects it, recorded for argocd-application (every Application is
        checked so, planned or not)."""
        # (an ApplicationSet's sources are templates: what it makes is checked)
        return dataclasses.replace(
            app, source_problems=source_problems(app, self.root)
            if app.kind == "Application" else (), schema_problems=self._schema_problems(app))

    def _schema_problems(self, app: Application) -> tuple[tuple[KeyPath, str], ...]:
        """Against the schema of its kind (Application, ApplicationSet) of k8s-schema's
        ``schemaDirs``, else the one shipped (unless its ``bundledSchemas`` is false)."""
        # its validators load only when an Application is seen
        from platecheck import schema_problems, schemas

        if app.kind not in self._application_schemas:
            options: schemas.SchemaOptions = (
                self.config.policy_options("k8s-schema").default
                if "k8s-schema" in self.config.declarations else schemas.SchemaOptions())
            self._application_schemas[app.kind] = schemas.find_custom_schema(
                app.kind, "argoproj.io/v1alpha1", schemas.schema_directories(
                    self.root, options.schema_dirs, bundled=options.bundled_schemas))
        custom = self._application_schemas[app.kind]
        if custom is None:
            return ()
        return tuple((problem.path, problem.text)
                     for problem in schema_problems.problems(
                         custom.validator, _as_written(app.raw), custom.identity))

    def application(self, app: Application) -> list[RenderTarget]:
        """The targets of one Application: one per source that renders (an app-of-apps's
        directory too: what it holds besides Applications is deployed as well)."""
        # (a source with neither, or an empty path, Argo CD refuses: sourcecheck says so)
        rendering = [(i, s) for i, s in enumerate(app.sources) if s.chart or s.path]
        if not rendering:
            return []
        env = self.environment_of(app)
        if env is None:
            names = ", ".join(e.name for e in self.config.environments)
            raise PlatecheckError(
                f"Application {app.name!r} matches no configured environment ({names}) and "
                "requireEnvironment is set; label it, or add a match rule in "
                "policies/platecheck.yaml", app.file, app.line)
        refs = {s.ref: s for s in app.sources if s.ref}
        targets = []
        for index, source in rendering:  # numbered by their place in spec.sources
            suffix = f"[{index}]" if len(rendering) > 1 else ""
            targets.append(self._source_target(app, env, index, source, refs, suffix))
        return targets

    def _source_target(self, app: Application, env: EnvironmentConfig, index: int,
                       source: Source, refs: Mapping[str, Source], suffix: str) -> RenderTarget:
        key = source_key(app, index)
        helm = source.helm
        common = self._common(app, env, source, suffix)
        raw_source = raw_at(app.raw, key)
        line = source.line or app.line
        kind = explicit_type(raw_source, app.file, line)
        if kind is SourceType.PLUGIN and not source.chart and self.is_here(source):
            self._source_dir(app, source, key)  # Argo CD fails a bad path before the plugin
        if source.chart or _is_oci(source.repo_url) or kind is SourceType.PLUGIN:
            if helm is not None and app.multiple_sources and kind is not SourceType.PLUGIN:
                self._referenced_files(app, source, key, helm, refs)
            return RenderTarget(chart=None, value_files=(), remote=source,
                                source_type=kind or SourceType.HELM, **common)
        if not self.is_here(source):  # another repository's (what it reads of this one too)
            if helm is not None and app.multiple_sources:
                self._referenced_files(app, source, key, helm, refs)
            return RenderTarget(chart=None, value_files=(), remote=source, source_type=kind,
                                **common)
        directory = self._source_dir(app, source, key)
        app, overridden = apply_overrides(app, key, directory, self.root)
        if overridden:  # .argocd-source*.yaml: Argo CD applies them before anything else
            source, raw_source = app.sources[index], raw_at(app.raw, key)
            helm = source.helm
        kind = source_type(raw_source, directory, app.file, line)
        if overridden:  # what an override file writes is found at its line there
            common["application"] = dataclasses.replace(common["application"],
                                                        places=app.places)
        if kind is SourceType.KUSTOMIZE:
            common.update(kustomize_versions(app, key, raw_source, self.config))
        if kind is SourceType.PLUGIN:  # an override file's ``plugin:`` (never a directory)
            return RenderTarget(chart=None, value_files=(), remote=source,
                                source_type=kind, **common)
        if kind is not SourceType.HELM:  # a directory of manifests or a Kustomize source
            return RenderTarget(chart=None, value_files=(), source_type=kind,
                                source_dir=directory, source_spec=raw_source,
                                build_env=app_environment(app, source, self.revision), **common)
        if not (directory / "Chart.yaml").is_file():
            why = "(helm:)" if explicit_type(raw_source) is SourceType.HELM else \
                "(Argo CD takes a file whose name ends in Chart.yaml for a chart)"
            raise PlatecheckError(f"source path {source.path or '.'!r} has no Chart.yaml, but "
                                  f"the source is a Helm source {why}; Argo CD cannot render "
                                  "it", app.file, line)
        chart = self.chart(directory)
        foreign = self._foreign_value_file(app, key, helm, refs)
        if foreign is not None:  # read from another repository's checkout by Argo CD
            entry, ref_source = foreign
            return RenderTarget(chart=None, value_files=(), remote=ref_source,
                                source_type=kind, foreign_value_file=entry, **common)
        resolver = Resolver(self.root, written_dir(self.root, source.path),
                            refs if app.multiple_sources else None,
                            app_environment(app, source, self.revision))
        common.update(command_fields(app, key, helm, resolver, self.config.kubernetes_version,
                                     self.config.cluster_api_versions))
        value_files = self._value_files(app, key, helm, resolver) if helm else ()
        inline = self._inline(app, key, common["set_arguments"]) if helm else {}
        return RenderTarget(chart=chart, chart_values=self.chart_values(chart),
                            value_files=value_files, **inline, **common)

    def _foreign_value_file(self, app: Application, key: KeyPath,
                            helm: HelmSourceSpec | None, refs: Mapping[str, Source]
                            ) -> tuple[str, Source] | None:
        """The first ``$ref/...`` value file (or ``fileParameters`` path, which Argo CD reads
        through refs too) whose ref source is another repository's, with that source at the
        entry's line."""
        if helm is None or not app.multiple_sources:
            return None
        entries = [*(((*key, "helm", "valueFiles", index), entry)
                     for index, entry in enumerate(helm.value_files)),
                   *(((*key, "helm", "fileParameters", index, "path"), parameter.value)
                     for index, parameter in enumerate(helm.file_parameters))]
        named = [entry[1:].split("/", 1)[0] for _, entry in entries if entry.startswith("$")]
        if any(ref not in refs or refs[ref].chart for ref in named):
            return None  # Argo CD refuses every reference first: the resolver says why
        for where, entry in entries:
            ref = entry[1:].split("/", 1)[0] if entry.startswith("$") else ""
            if ref in refs and not self.is_here(refs[ref]):
                line = app.origin(where).line
                return entry, dataclasses.replace(refs[ref], line=line)
        return None

    def learn(self, apps: Iterable[Application]) -> None:
        """The repoURLs of Applications a render generated name this repository too (chart
        mode renders an app-of-apps chart that no Application file names): when the files
        named none of the checkout's remotes, these may; when they named some in full, these
        may name another (``repourl.grown``). What is known is never taken away."""
        if not self._remotes:
            return
        named = git_repo_urls(apps)
        if self.own:
            self.own = grown(self.own, self._remotes, named)
            return
        self._named |= named
        self.own = identity(self._remotes, self._named)

    def _repo_urls(self) -> tuple[str, ...]:
        """argocd-application's ``repoUrls``: the Git repositories that are this one."""
        if "argocd-application" not in self.config.declarations:
            return ()
        return tuple(getattr(self.config.policy_options("argocd-application").default,
                             "repo_urls", ()))

    def _common(self, app: Application, env: EnvironmentConfig, source: Source,
                suffix: str) -> dict[str, Any]:
        """What every target of ``source`` has, whatever its type."""
        helm = source.helm
        app_name = env.app_of(app)
        return {
            "id": f"{env.name}/{app_name}{suffix}",
            "environment": env.name,
            "app": app_name,
            "application": app,
            "release_name": helm.release_name if helm and helm.release_name else app.name,
            "namespace": (helm.namespace if helm and helm.namespace else None)
            or app.destination_namespace or "default",
            "production": env.production,
            "unclassified": env.name == UNCLASSIFIED
            and not env.matches_app(app),
            "api_versions": (helm.api_versions if helm and helm.api_versions
                             else self.config.cluster_api_versions),
            "kube_version": (helm.kube_version if helm and helm.kube_version
                             else self.config.kubernetes_version),
            "skip_crds": bool(helm and helm.skip_crds),
        }

    def deploys_here(self, source: Source) -> bool:
        """Whether ``source`` deploys a directory of this repository: at this checkout
        (``is_here``), or at another revision but the root (a branch of the same tree, whose
        directory of that path the checkout's stands for; a root at another revision is
        often another tree, a branch of rendered manifests): a directory it names is
        deployed (not applied by hand, not undeployed), even where platecheck does not read
        it as its source."""
        return self.is_here(source) or this_repository(
            source.repo_url, self._repo_urls(), self.own) and not is_root_path(source.path)

    def is_here(self, source: Source) -> bool:
        """Whether ``source`` is of this repository, at a revision that is this checkout
        (``checkout``): another revision's files are not the checkout's."""
        return this_repository(source.repo_url, self._repo_urls(), self.own) \
            and self.checkout.holds(source.target_revision)

    @functools.cached_property
    def checkout(self) -> Checkout:
        """Which revisions of this repository are this checkout (``repourl.checkout``): of
        argocd-application's ``revisions``, else inferred from the checkout and the
        revisions the Application files' sources of this repository name."""
        found = self.found.repository or self.found
        apps = [app for parsed in (found.parsed, found.set_cache) for file_apps in
                parsed.values() for app in file_apps]
        globs = getattr(self.config.policy_options("argocd-application").default,
                        "revisions", ()) if "argocd-application" in self.config.declarations \
            else ()
        return apps_checkout(self.root, (*apps, *found.applications), self._repo_urls(),
                             self.own, globs)

    def _source_dir(self, app: Application, source: Source, key: KeyPath) -> Path:
        """The source's directory; an absolute path is none (util/app/path ``Path``: "app path
        is absolute")."""
        path = (source.path or "").strip()
        problem = path_problem(self.root, path, want_dir=True)
        if problem is not None:
            where = app.origin((*key, "path"), nearest=False)
            raise PlatecheckError(f"source path {path!r} {problem}", where.file, where.line,
                                  path_remedy(problem, source.repo_url, self._repo_urls(),
                                              self.own))
        return resolve(self.root / path) if path not in ("", ".") else self.root

    def _referenced_files(self, app: Application, source: Source, key: KeyPath,
                          helm: HelmSourceSpec, refs: Mapping[str, Source]) -> None:
        """The ``$ref/...`` value files of this repository that Argo CD hands helm with a
        chart it pulls (or checks out of another repository), read as a local chart's (one
        that is not YAML fails the source before anything renders, and yaml-hygiene looks at
        each). Where a reference leads nowhere is the Application's source problem
        (``sourcecheck``)."""
        def here(entry: str) -> bool:
            name = entry[1:].partition("/")[0] if entry.startswith("$") else None
            return name is not None and name in refs and self.is_here(refs[name])

        resolver = Resolver(self.root, self.root, refs,
                            app_environment(app, source, self.revision))
        lenient = dataclasses.replace(helm, ignore_missing_value_files=True)
        try:
            paths = self._value_paths(app, key, lenient, resolver, here)
        except PlatecheckError:
            return  # reported with the Application's source problems
        self._read_values(app, paths)

    def _value_files(self, app: Application, key: KeyPath, helm: HelmSourceSpec,
                     resolver: Resolver) -> tuple[ValuesFile, ...]:
        return self._read_values(app, self._value_paths(app, key, helm, resolver))

    @staticmethod
    def _value_paths(app: Application, key: KeyPath, helm: HelmSourceSpec, resolver: Resolver,
                     only: Callable[[str], bool] | None = None) -> list[Path]:
        """The value files helm reads (``only``: of the entries it chooses)."""
        chosen = [(index, entry) for index, entry in enumerate(helm.value_files)
                  if only is None or only(entry)]
        places = [app.origin((*key, "helm", "valueFiles", index), nearest=False)
                  for index, _ in chosen]
        return resolver.value_files([entry for _, entry in chosen], places,
                                    helm.ignore_missing_value_files)

    def _read_values(self, app: Application, paths: Iterable[Path]
                     ) -> tuple[ValuesFile, ...]:
        result = []
        for path in paths:
            try:
                result.append(self.values_file(path))
            except PlatecheckError as exc:
                raise PlatecheckError(f"{exc.message} (value file of Application {app.name!r})",
                                      exc.file, exc.line) from None
        return tuple(result)

    def _inline(self, app: Application, key: KeyPath, arguments: Sequence[SetArgument]
                ) -> dict[str, Any]:
        """The ``RenderTarget`` fields of the Application's ``values``/``valuesObject`` and
        parameters as values layers: the layers, the line of each key path in the Application
        file, for a generated Application the parent's values lines its template wrote them
        from, and the key path each parameter sets (Helm applies ``--set``, then
        ``--set-string``, then ``--set-file``)."""
        helm_key = (*key, "helm")
        spec = raw_at(app.raw, helm_key)
        values: list[tuple[Mapping[str, Any], Origin]] = []
        lines: list[Mapping[KeyPath, int]] = []
        places: list[Mapping[KeyPath, Origin]] = []
        if isinstance(spec.get("valuesObject"), dict):
            object_key = (*helm_key, "valuesObject")
            values.append((spec["valuesObject"], Origin(app.file, app.lines.get(object_key))))
            lines.append(below(app.lines, object_key))
            places.append(below(app.places, object_key))
        elif isinstance(spec.get("values"), str) and spec["values"].strip():
            parsed, offsets = self._values_string(app, (*helm_key, "values"), spec["values"])
            values.append((parsed, Origin(app.file, app.lines.get((*helm_key, "values")))))
            lines.append(offsets)
            places.append(below(app.places, (*helm_key, "values")))
        sets: list[KeyPath | None] = [None] * len(values)
        for flag in (SET, SET_STRING, SET_FILE):
            for argument in arguments:
                layer = parameter_layer(argument) if argument.flag == flag else None
                if layer is not None:
                    values.append((layer[1], argument.origin))
                    lines.append({})
                    places.append({})
                    sets.append(layer[0])
        return {"inline_values": tuple(values), "inline_lines": tuple(lines),
                "inline_places": tuple(places), "inline_sets": tuple(sets)}

    def _values_string(self, app: Application, key: KeyPath, text: str
                       ) -> tuple[dict[str, Any], dict[KeyPath, int]]:
        """``helm.values`` parsed; in a block scalar (``values: |``) line n of the text is
        line ``key line + n`` of the file; in the template of a generated Application, the
        line its template writes the key at, where known."""
        key_line = app.lines.get(key, app.line)
        raw = self.found.yaml_files.get(app.file)
        block = False
        if raw is not None:
            lines = raw.raw.decode("utf-8", "replace").splitlines()
            if 0 < key_line <= len(lines):
                after = lines[key_line - 1].split(":", 1)[-1].strip()
                block = after[:1] in ("|", ">")
        try:
            document = values_document(text, app.file, self.helm_major)
        except PlatecheckError as exc:
            inner = (key_line + (exc.line or 1)) if block and exc.line else key_line
            raise PlatecheckError(f"helm.values: {exc.message}", app.file, inner) from None
        if document.data is None:
            return {}, {}
        if not isinstance(document.data, dict):
            raise PlatecheckError("helm.values must hold a mapping", app.file, key_line)
        # a generated Application's template: the lines its keys are written at there
        written = below(app.lines, key) if raw is None else {}
        offsets = {path: written.get(path) or (key_line + line if block else key_line)
                   for path, line in document.lines.items()}
        return document.data, offsets

    def application_set(self, app: Application) -> RenderTarget:
        """An ApplicationSet that is not a plain list (appset.py): its Applications are
        generated by Argo CD, so it is reported as not expanded (environment ``*`` when its
        template matches none and requireEnvironment is set, an environment env-consistency
        pairs with none: ``RenderTarget.is_app``)."""
        env = self.environment_of(app)
        source = app.sources[0] if app.sources else Source(
            repo_url="", target_revision=None, path=None, chart=None, ref=None, helm=None,
            directory=None, line=app.line)
        name = env.name if env else NO_ENVIRONMENT
        # known by its name; the app it makes in each environment, as an Application's
        # (env-consistency pairs web-production with web-staging)
        return RenderTarget(
            id=f"{name}/{app.name}", environment=name,
            app=env.app_of(app) if env else app.name, application=app,
            chart=None, release_name=app.name, namespace=app.destination_namespace or "default",
            value_files=(), remote=source, production=bool(env and env.production),
            source_type=None, unclassified=bool(
                env and env.name == UNCLASSIFIED
                and not env.matches_app(app)))

    def app_environments(self, found: Discovery) -> dict[tuple[str, int], str]:
        """The environment of each Application ``found`` holds, by its file and line."""
        return {(app.file, app.line): env.name for app in found.applications
                if (env := self.environment_of(app))}

    def generated_environments(self, apps: Iterable[Application]
                               ) -> dict[tuple[str, int, str], str]:
        """The environment of each generated Application, by its file, line and name."""
        return {(app.file, app.line, app.name): env.name for app in apps
                if (env := self.environment_of(app))}

    def target_ids(self, found: Discovery) -> tuple[str, ...]:
        """The id of every target ``found``'s Applications make, as far as it can be told
        without planning them: an app-of-apps is not one (its children are), an ApplicationSet
        is one (as ``application_set`` names it)."""
        parents = {(app.file, app.line) for app in found.app_of_apps}
        ids = set()
        for app in found.applications:
            env = self.environment_of(app)
            if env is not None and (app.file, app.line) not in parents:
                known = f"{env.name}/{env.app_of(app)}"
                # a second Application of one id is known by its place (planning.distinct)
                ids.add(f"{known}@{app.file}:{app.line}" if known in ids else known)
        for app_set in found.application_sets:
            env = self.environment_of(app_set)
            ids.add(f"{env.name if env else NO_ENVIRONMENT}/{app_set.name}")
        return tuple(sorted(ids))

    # -- chart directories ------------------------------------------------------------------

    def chart_dir(self, directory: Path, by_directory: bool = False
                  ) -> tuple[list[RenderTarget], list[tuple[PlatecheckError, tuple[str, str]]]]:
        """A chart linted directly: one target per environment with ``values-<env>.yaml``;
        with none of those files, every environment renders the chart's own values. The
        target is known by the chart's name, or with ``by_directory`` (another chart
        linted has the same name) by its directory: ``prod/blue-green``. A values file that
        cannot be read fails its environment's target alone: the errors come with the
        (environment, target id) they stop."""
        chart = self.chart(directory)
        if chart.library:
            file = chart_yaml(chart)
            raise PlatecheckError(
                "a library chart (type: library): Helm renders it only inside the charts "
                "that depend on it (helm template refuses it on its own: \"library charts "
                "are not installable\")", file, key_line(self.found.yaml_files[file].raw, "type"),
                "Lint a chart that depends on it, or a directory holding both: the library's "
                "templates are checked where that chart renders them.")
        app = chart.rel if by_directory else chart.name
        targets, failed = [], []
        chosen = self._environment_files(chart)
        with_file = [env for env in self.config.environments if env.name in chosen]
        self.unmatched_values.update(
            (rel_path(path, self.root), chart.rel)
            for _, path in environment_files(chart.path, named_after=False)
            if path not in chosen.values())
        for env in with_file or list(self.config.environments):
            try:
                files = (self.values_file(chosen[env.name]),) if with_file else ()
            except PlatecheckError as exc:
                failed.append((exc, (env.name, f"{env.name}/{app}")))
                continue
            targets.append(RenderTarget(
                id=f"{env.name}/{app}", environment=env.name, app=app,
                application=None, chart=chart, chart_values=self.chart_values(chart),
                release_name=chart_release(chart.name), namespace="default",
                value_files=files, production=env.production,
                api_versions=self.config.cluster_api_versions,
                kube_version=self.config.kubernetes_version))
        return targets, failed


    def _environment_files(self, chart: Chart) -> dict[str, Path]:
        """Each environment's ``values-<name>.yaml`` beside the chart: the file of its own
        name, else one whose name the environment's rules match as an Application named
        ``<chart>-<name>`` in namespace ``<name>`` would be (``values-production.yaml`` for
        the built-in ``prod``), else such a ``<name>-values.yaml``; a file of each name
        (``.yaml`` before ``.yml``), in that order."""
        environments = self.config.environments
        chosen = {env.name: chart.path / f"values-{env.name}.yaml" for env in environments
                  if (chart.path / f"values-{env.name}.yaml").is_file()}
        for name, path in environment_files(chart.path):
            env = next((env for env in environments if env.name not in chosen and (
                env.name == name or env.matches(f"{chart.name}-{name}", {}, name))), None)
            if env is not None and path not in chosen.values():
                chosen[env.name] = path
        return chosen


def environment_files(chart: Path, named_after: bool = True) -> list[tuple[str, Path]]:
    """The values files beside a chart that may be an environment's, each with the name it
    gives: ``values-<name>.yaml`` (or ``.yml``), ``values.<name>.yaml``,
    ``values_<name>.yaml``, then, with ``named_after``, ``<name>-values.yaml``; by name,
    ``.yaml`` before ``.yml``."""
    found = []
    for pattern, name in _ENVIRONMENT_FILES[:4 if named_after else 3]:
        files = sorted((path for path in chart.glob(pattern)
                        if path.suffix in (".yaml", ".yml") and path.is_file()
                        and name(path.stem)),
                       key=lambda path: (path.stem, path.suffix != ".yaml"))
        found += [(name(path.stem), path) for path in files]
    return found


# the values file names of environments, and the environment name each gives
_ENVIRONMENT_FILES: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("values-*.y*ml", lambda stem: stem.removeprefix("values-")),
    ("values.*.y*ml", lambda stem: stem.removeprefix("values.")),
    ("values_*.y*ml", lambda stem: stem.removeprefix("values_")),
    ("*-values.y*ml", lambda stem: stem.removesuffix("-values")))


def _is_oci(url: str) -> bool:
    return url.startswith("oci://")


__all__ = ["Planner", "rel_path"]


def _as_written(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """An Application as its file writes it, but for a source hydrator's: without the
    ``spec.source`` that discovery reads its ``drySource`` as (the same object), the sources
    Argo CD does not read beside a hydrator left out already."""
    spec = raw.get("spec")
    if not isinstance(spec, dict):
        return raw
    hydrator = spec.get("sourceHydrator")
    dry = hydrator.get("drySource") if isinstance(hydrator, dict) else None
    if dry is None or spec.get("source") is not dry:
        return raw
    return {**raw, "spec": {key: value for key, value in spec.items() if key != "source"}}
