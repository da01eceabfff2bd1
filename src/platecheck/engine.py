"""The whole pipeline: config -> discover -> plan -> render -> parse -> policies -> waivers.

``load`` stops before the policies (the pytest plugin and repository-wide policies use its
model); ``lint`` runs them and returns the Report. Problems that stop one target from being
checked are collected as errors (exit 2) without hiding the findings of the other targets;
problems with the invocation itself (bad path, bad configuration, no helm) raise
``PlatecheckError``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from platecheck import changed, crds, schemas, yamlio
from platecheck.cache import (
    RENDERS,
    HelmResult,
    RenderCache,
    ResultMemo,
    chart_tree,
    default_cache_dir,
    prune_unused,
    read_regular,
)
from platecheck.changed import Selection
from platecheck.chartfile import chart_yaml, key_line
from platecheck.config import Config
from platecheck.directory import render_directory
from platecheck.discover import Discovery, discover, find_root, rel_path, top_level_charts
from platecheck.errors import PlatecheckError
from platecheck.generated import MAX_DEPTH, AppKey, Generated, ancestors, app_key, as_written
from platecheck.generated import generated as generate
from platecheck.helmbin import (
    chosen_cache_dir,
    find_helm,
    helm_major,
    helm_version,
    memo_dir,
    version_asked,
)
from platecheck.helmbin.kubectl import find_kubectl
from platecheck.helmbin.locate import cache_outside, cache_outside_paths
from platecheck.kustomize import Kustomize
from platecheck.limits import MAX_JOBS, go_crash
from platecheck.lintvalues import lint_values
from platecheck.model import (
    Application,
    Chart,
    Finding,
    FoundSchema,
    HelmLint,
    Level,
    MergedValues,
    RenderedTarget,
    RenderTarget,
    RepoModel,
    Report,
    SourceType,
    YamlFile,
)
from platecheck.ownership import settle
from platecheck.parse import ParsedChunks, error_location, parse_manifest
from platecheck.plan import Planner
from platecheck.policies import (
    PolicyOptions,
    configuration,
    describe,
    lint_wanted,
    registry,
    waiver_expired,
    waiver_stale,
)
from platecheck.progress import Progress
from platecheck.provenance import at, target_origin
from platecheck.render import Helm, HelmCall, HelmStats, first_error_line, split_values
from platecheck.repourl import tracked_links
from platecheck.runmemo import remembered
from platecheck.sandbox import TIMED_OUT, prepare, resume
from platecheck.sourcecheck import out_of_bounds_link
from platecheck.undeployed import undeployed_charts
from platecheck.values import Layer, merge_values, non_json_number, target_layers
from platecheck.values_schema import check_values, refused_at
from platecheck.waivers import apply_waivers
from platecheck.yamlio import MAX_FILE_SIZE, read_text

PathArg = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
ERROR_ID = "could-not-check"
ERROR_REMEDIATION = "Fix this so platecheck can render and check it; nothing here was checked."
_KUBE_VERSION_REFUSED = "chart requires kubeVersion"
KUBE_VERSION_REMEDY = (
    "Render for the cluster's Kubernetes version, as Argo CD does: set kubernetesVersion in "
    "policies/platecheck.yaml (or the Application's helm.kubeVersion); without either, helm "
    "renders for its own built-in default version.")
# helm refuses to load a chart whose Chart.yaml fails the metadata's validation
# (pkg/chart/metadata.go, Metadata.Validate): `validation: chart.metadata.version "abc" is
# invalid`, the field named; a subchart's refusal starts `error unpacking subchart`
_METADATA_REFUSED = re.compile(r"validation: chart\.metadata\.([A-Za-z]+)\b")


def load(path: PathArg, *, config_dir: str | os.PathLike[str] | None = None,
         environments: Iterable[str] | None = None, jobs: int | None = None,
         helm: str | os.PathLike[str] | None = None,
         cache_dir: str | os.PathLike[str] | None = None, use_cache: bool = True,
         root: str | os.PathLike[str] | None = None) -> RepoModel:
    """Discover, plan, render and parse everything under ``path`` (no policies)."""
    with chosen_cache_dir(cache_dir), _remembering(use_cache), remembered():
        model, _, _ = _load(path, config_dir=config_dir, environments=environments,
                            jobs=jobs, helm=helm, cache_dir=cache_dir, use_cache=use_cache,
                            root=root)
    return model


def lint(path: PathArg, *, config_dir: str | os.PathLike[str] | None = None,
         environments: Iterable[str] | None = None, jobs: int | None = None,
         helm: str | os.PathLike[str] | None = None,
         cache_dir: str | os.PathLike[str] | None = None, use_cache: bool = True,
         root: str | os.PathLike[str] | None = None,
         changed_since: str | None = None) -> Report:
    """Render everything under ``path`` and check every registered policy.

    ``changed_since``: a git revision; only the targets a change since then affects are
    rendered and checked (see ``platecheck.changed``)."""
    with chosen_cache_dir(cache_dir), _remembering(use_cache), remembered():
        model, config, selection = _load(
            path, config_dir=config_dir, environments=environments, jobs=jobs, helm=helm,
            cache_dir=cache_dir, use_cache=use_cache, root=root, changed_since=changed_since)
        return check(model, config, environments=environments, selection=selection)


PROBLEMS = "problems"  # where schema problems are remembered, under the cache directory
CRD_SCHEMAS = "crd-schemas"  # and the schemas of CRD files
PARSED = "parsed"  # and the documents of template outputs
DOCUMENTS = "documents"  # and of YAML files


@contextlib.contextmanager
def _remembering(use_cache: bool) -> Iterator[None]:
    """Schema problems (``schemas.remembering``) and the documents of YAML files
    (``yamlio.remembering``) remembered in the cache, unless the run uses no cache; at the
    end, what no run has used for a month leaves the cache (``cache.prune_unused``)."""
    with schemas.remembering(memo_dir() / PROBLEMS if use_cache else None), \
            yamlio.remembering(memo_dir() / DOCUMENTS if use_cache else None):
        yield
    if use_cache:
        prune_unused(memo_dir())


def check(model: RepoModel, config: Config, *, environments: Iterable[str] | None = None,
          selection: Selection | None = None) -> Report:
    """Run every registered policy on a loaded model and apply the waivers: what ``lint``
    does after ``load`` (the pytest plugin calls it on the model its fixtures share)."""
    policies = registry()
    model = _with_schemas(model, config, policies)
    yamlio.read_remembered()
    schemas.recall(found.identity for rendered in model.rendered
                   for target_schemas in rendered.schemas.values()
                   for found in target_schemas.found.values()
                   if isinstance(found, FoundSchema))
    findings, errors = _run_policies(model, config, policies)
    findings, load_errors = settle(findings, model.errors, model)
    wanted = set(environments) if environments else None
    findings = _apply_waivers(findings, config, model)
    if wanted is not None:  # what could not be checked of another environment too
        findings, load_errors, errors = ([f for f in found if f.environment is None
                                          or f.environment in wanted]
                                         for found in (findings, load_errors, errors))
    if selection is not None:
        findings = [f for f in findings if selection.keeps(f)]
    return Report(
        root=model.root,
        findings=tuple(sorted(findings, key=_order)),
        targets=model.targets,
        policies=tuple(describe(module, config.level, config.environment_names)
                       for module in policies.values()),
        errors=tuple(sorted([*load_errors, *errors], key=_error_order)),
        renders=model.renders,
        cache_hits=model.cache_hits,
        builds=model.builds,
        changed_since=selection.describe() if selection is not None else None,
    )


def load_and_check(path: PathArg, **options: Any) -> tuple[RepoModel, Report]:
    """``load`` and ``check`` in one: the model and its Report (``platecheck diff --base``
    compares two of them). ``options`` are ``load``'s."""
    model, config, _ = _load(path, **options)
    return model, check(model, config)


DRIFT_POLICY = "env-consistency"


def drift(path: PathArg, left: str, right: str, **options: Any
          ) -> tuple[RepoModel, list[Finding]]:
    """The differences between environments ``left`` and ``right`` that env-consistency
    reports, whatever pairs the configuration names (``platecheck diff LEFT RIGHT``); the
    model's errors are what could not be checked. ``options`` are ``load``'s."""
    model, config, _ = _load(path, **{**options, "environments": [left, right]})
    module = registry()[DRIFT_POLICY]
    configured = config.policy_options(DRIFT_POLICY)
    pair = PolicyOptions(dataclasses.replace(configured.default, pairs=((left, right),)))
    return model, list(module.check(model, pair))


# -- loading --------------------------------------------------------------------------------


def _with_crds(root: Path, found: Discovery, rendered: list[RenderedTarget],
               problems: _Problems, use_cache: bool) -> list[RenderedTarget]:
    """``rendered`` carrying the schemas of every CRD of the repository (those of CRD files
    remembered in the cache, unless the run uses none)."""
    memo = ResultMemo(memo_dir() / CRD_SCHEMAS) if use_cache else None
    rendered, errors = crds.with_repository_crds(root, found.charts, rendered, memo)
    if memo is not None:
        memo.save()
    for error in errors:
        problems.add(error)
    return rendered


@dataclass
class _Problems:
    """Could-not-check problems, collected so that one target cannot hide the others."""

    findings: list[Finding] = field(default_factory=list)
    _said: set[Finding] = field(default_factory=set)

    def add(self, error: PlatecheckError, target: RenderTarget | None = None,
            detail: str | None = None, where: tuple[str, str] | None = None) -> None:
        """``where`` is (environment, target id) when known without a RenderTarget."""
        if target is not None:
            where = (target.environment, target.id)
        finding = Finding(
            policy=ERROR_ID, message=error.message, file=error.file, line=error.line,
            level=Level.ERROR, environment=where[0] if where else None,
            target=where[1] if where else None, remediation=error.remedy or ERROR_REMEDIATION,
            detail=detail)
        self._say(finding)

    def merge(self, other: _Problems) -> None:
        for finding in other.findings:
            self._say(finding)

    def _say(self, finding: Finding) -> None:
        if finding not in self._said:  # one problem met twice (two policies, a template and
            self._said.add(finding)    # a lint of one chart): said once
            self.findings.append(finding)


def _paths(path: PathArg) -> list[Path]:
    items = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if not items:
        raise PlatecheckError("no path given")
    result = []
    for item in items:
        candidate = Path(item)
        if not candidate.exists():
            raise PlatecheckError("path not found", str(item))
        result.append(candidate.resolve())
    return result


def _repository_root(paths: Sequence[Path], root: str | os.PathLike[str] | None,
                     cache_dir: str | os.PathLike[str] | None) -> Path:
    """The repository of ``paths`` (``root`` when given), which holds all of them and not the
    cache. A cache inside a path given is refused before the root is looked for (a walk of
    every YAML file under an unmarked directory)."""
    cache_outside_paths(cache_dir, paths)
    repo_root = find_root(paths[0], Path(root) if root is not None else None)
    for item in paths:
        if not item.is_relative_to(repo_root):
            raise PlatecheckError(f"not inside the repository {repo_root}", str(item))
    cache_outside(cache_dir, repo_root)
    return repo_root


@remembered()  # also when called on its own (load_and_check, drift)
def _load(path: PathArg, *, config_dir: str | os.PathLike[str] | None = None,
          environments: Iterable[str] | None = None, jobs: int | None = None,
          helm: str | os.PathLike[str] | None = None,
          cache_dir: str | os.PathLike[str] | None = None, use_cache: bool = True,
          root: str | os.PathLike[str] | None = None, changed_since: str | None = None
          ) -> tuple[RepoModel, Config, Selection | None]:
    resume()  # an earlier run in this process may have been interrupted
    paths = _paths(path)
    repo_root = _repository_root(paths, root, cache_dir)
    config_path, cache_path = (Path(d) if d is not None else None for d in (config_dir, cache_dir))
    prepare()  # a cold run starts helm's supervisor and asks its version while it plans
    with version_asked(helm, cache_dir=cache_path):
        config = configuration(repo_root, config_path)
        wanted = _environments(config, environments)
        problems = _Problems()
        found = discover(repo_root, paths, whole_repository=config.waivers_file is not None)
        _add_policy_files(found, config)
        for error in found.errors:
            problems.add(error)
        planner = Planner(config, found, lambda: helm_major(find_helm(helm, cache_dir=cache_path)))
        targets = _unique_ids(_plan(planner, found, problems, paths))
        if wanted is not None:
            targets = [t for t in targets if t.environment in wanted]
        _something_to_check(targets, problems, wanted, path)
        files = changed.changed_files(repo_root, changed_since) if changed_since else None
        batch = _Batch(planner, problems, config, helm=helm, jobs=jobs, cache_dir=cache_path,
                       use_cache=use_cache)
        targets, rendered = _render_checked(batch, found, targets)
        generated, places = _generated(batch, found, targets, rendered, wanted)
        batch.save()
        targets, rendered, lints = _without_superseded(*_without_charts_applications_deploy(
            *_without_bare_parents(targets, rendered, found), batch.lints, problems),
            found, places, problems)
        selection, (targets, rendered, lints) = _chosen(
            files, changed_since, repo_root, config_path, targets, rendered, lints)
        if rendered:
            rendered = _with_crds(repo_root, found, rendered, problems, use_cache)
        model = RepoModel(
            root=repo_root,
            applications=tuple(found.applications),
            generated=tuple(g.app for g in generated if not g.application_set),
            generated_links=tuple(((g.parent.file, g.parent.line), (g.app.file, g.app.line))
                                  for g in generated if g.parent is not None),
            app_of_apps=tuple(found.app_of_apps),
            app_children=tuple(found.children),
            repository_targets=planner.target_ids(found.repository or found),
            own_repo_urls=planner.own,
            undeployed_charts=_undeployed(paths, found, generated, problems, wanted),
            charts=tuple(planner.charts[p] for p in sorted(planner.charts)),
            targets=tuple(targets),
            rendered=tuple(rendered),
            yaml_files=tuple(found.yaml_files[rel] for rel in sorted(found.yaml_files)),
            environments=tuple(env.environment for env in config.environments),
            helm_lint=tuple(lints),
            errors=tuple(sorted(problems.findings, key=_error_order)),
            renders=batch.renders, cache_hits=batch.cache_hits, builds=batch.builds,
        )
        return model, config, selection


def _undeployed(paths: Sequence[Path], found: Discovery, generated: Sequence[Generated],
                problems: _Problems, wanted: set[str] | None) -> tuple[str, ...]:
    """The charts under ``paths`` no Application deploys: none in chart mode (every top-level
    chart is linted), none for some environments only (others' generated Applications were
    not rendered)."""
    if wanted is not None or not (found.applications or found.application_sets):
        return ()
    try:
        return undeployed_charts(
            paths, found.root, [*found.applications, *found.application_sets,
                                *(g.app for g in generated)], found.chart_dirs)
    except PlatecheckError as exc:  # a directory that cannot be listed
        problems.add(exc)
        return ()


def _chosen(files: tuple[str, ...] | None, ref: str | None, root: Path,
            config_dir: Path | None, targets: list[RenderTarget],
            rendered: list[RenderedTarget], lints: list[HelmLint]
            ) -> tuple[Selection | None, tuple[list[RenderTarget], list[RenderedTarget],
                                               list[HelmLint]]]:
    """``--changed-since``: the targets the changed ``files`` can affect, chosen among all of
    them, the Applications rendered ones generate too (every target is rendered, most from
    the cache: a parent chart that did not change can generate a child whose chart did), and
    what is checked of them."""
    if files is None or ref is None:
        return None, (targets, rendered, lints)
    selection = changed.select(targets, files, ref=ref, root=root.resolve(),
                               config_dir=changed.config_dir_in(root, config_dir))
    kept = [t for t in targets if t.id in selection.ids]
    charts = {(t.chart.rel, t.environment) for t in kept if t.chart is not None}
    return selection, (kept, [r for r in rendered if r.id in selection.ids],
                       [lint for lint in lints if (lint.chart.rel, lint.environment) in charts])


def _something_to_check(targets: Sequence[RenderTarget], problems: _Problems,
                        wanted: set[str] | None, path: PathArg) -> None:
    """Fail closed: a path with nothing platecheck recognises is not a clean repository."""
    if not targets and not problems.findings:
        scope = f" for environment {', '.join(sorted(wanted))}" if wanted else ""
        jsonnet = any(next(p.rglob("*.jsonnet"), None) is not None
                      for p in _paths(path) if p.is_dir())
        hint = ("; the Applications a .jsonnet file makes are found through the Application "
                "(a YAML file) whose source evaluates it" if jsonnet else "")
        raise PlatecheckError("nothing to check: no Argo CD Application or Helm chart found"
                              f"{scope}{hint}", ", ".join(_shown(path)))


def _generated(batch: _Batch, found: Discovery, targets: list[RenderTarget],
               rendered: list[RenderedTarget], wanted: set[str] | None
               ) -> tuple[list[Generated], _WrittenPlaces]:
    """Applications in rendered output are targets in turn (a Helm-templated app-of-apps):
    planned and rendered, level by level, into ``targets`` and ``rendered``; the written
    Applications rendered ones replaced, with their targets, are told apart."""
    problems, planner = batch.problems, batch.planner
    generated: list[Generated] = []
    parents: dict[AppKey, Application | None] = {
        **{app_key(a): None for a in found.applications},
        **{_set_key(a): None for a in found.application_sets}}
    written = {as_written(a) for a in found.applications}
    places = _WrittenPlaces(found.applications)
    fresh = list(rendered)
    for depth in range(MAX_DEPTH + 1):
        children = _children(fresh, parents, generated, problems, planner, written, places)
        if places.superseded:  # the written Applications that rendered ones replace go
            places.dropped.extend(t for t in targets if places.replaced(t))
            targets[:] = [t for t in targets if not places.replaced(t)]
            rendered[:] = [r for r in rendered if not places.replaced(r.target)]
        if not children:
            break
        if depth == MAX_DEPTH:
            first = children[0].app
            problems.add(PlatecheckError(
                f"Applications generate Applications more than {MAX_DEPTH} levels deep; "
                f"{first.name!r} and what it generates are not checked", first.file,
                first.line))
            break
        more = _plan_generated(planner, children, problems)
        if wanted is not None:
            more = [t for t in more if t.environment in wanted]
        more = _distinct(more, {t.id for t in targets})
        targets.extend(more)
        _unique_ids(targets)
        fresh = batch.render(more)
        rendered.extend(fresh)
    return generated, places


@dataclass
class _Batch:
    """Renders targets, a batch at a time (generated Applications come in later batches);
    helm is looked for once, when a batch first needs it."""

    planner: Planner
    problems: _Problems
    config: Config
    helm: str | os.PathLike[str] | None
    jobs: int | None
    cache_dir: Path | None
    use_cache: bool
    lints: list[HelmLint] = field(default_factory=list)
    renders: int = 0  # helm processes
    cache_hits: int = 0
    builds: int = 0  # kubectl kustomize processes
    parsed: ParsedChunks = field(init=False)
    wants_lint: Callable[[str], bool] = field(init=False)  # helm lint for an environment

    def __post_init__(self) -> None:
        self._memo = ResultMemo(memo_dir() / PARSED) if self.use_cache else None
        self.parsed = ParsedChunks(self._memo)
        self.wants_lint = lint_wanted(self.config)

    def save(self) -> None:
        """Keep the documents of the template outputs parsed for the first time."""
        if self._memo is not None:
            self._memo.save()

    def render(self, targets: Sequence[RenderTarget],
               meanwhile: Callable[[], None] = lambda: None) -> list[RenderedTarget]:
        """``targets`` rendered; ``meanwhile`` is done while helm renders (at once when
        nothing is rendered with helm)."""
        root = self.planner.root
        to_render = [t for t in targets if t.rendered_here and t.chart is not None]
        to_render = _links_inside(to_render, root, self.problems)
        rendered: list[RenderedTarget] = []
        if not to_render:
            meanwhile()
        else:
            cache = self._cache()
            binary = find_helm(self.helm, cache_dir=self.cache_dir)
            helm_version(binary)  # an unusable helm is one error, not one per target
            jobs = _jobs(self.jobs, self.config.jobs)
            with tempfile.TemporaryDirectory(prefix="platecheck-") as workdir:
                runner = Helm(binary=binary, workdir=Path(workdir), root=root,
                              timeout=self.config.render_timeout, jobs=jobs, cache=cache)
                rendered, lints = _render(runner, self.planner, to_render, self.problems,
                                          self.parsed, meanwhile, self.wants_lint)
                self.lints.extend(lints)
                self.renders += runner.stats.renders
                self.cache_hits += runner.stats.cache_hits
        local = [t for t in targets if t.rendered_here and t.chart is None]
        built, stats = _render_local(local, root, self.problems, self.config.render_timeout,
                                     self.cache_dir, self.helm, cache=self._cache(),
                                     jobs=_jobs(self.jobs, self.config.jobs),
                                     build_options=self.config.kustomize_build_options)
        rendered.extend(built)
        self.builds += stats.renders
        self.cache_hits += stats.cache_hits
        return rendered

    def _cache(self) -> RenderCache | None:
        """One cache root: renders in <root>/renders, `setup`'s helm in <root>/helm."""
        if not self.use_cache:
            return None
        return RenderCache((self.cache_dir or default_cache_dir()) / RENDERS)


class _WrittenPlaces:
    """The Application documents discovery found, by file and first line: an Application a
    Kustomize source renders from one of them, changed (a ``nameSuffix``, labels, a patch),
    replaces it. Argo CD creates what the build outputs, never the file as written."""

    def __init__(self, applications: Sequence[Application]) -> None:
        self.keys: dict[tuple[str, int], AppKey] = {(a.file, a.line): app_key(a)
                                                     for a in applications}
        self.starts: dict[str, list[int]] = {}
        for file, line in self.keys:
            self.starts.setdefault(file, []).append(line)
        self.superseded: set[tuple[str, int]] = set()
        self.dropped: list[RenderTarget] = []  # the targets of those replaced

    def origin(self, item: Generated) -> tuple[str, int] | None:
        """The written document a rendered Application lies in (its line is one of the
        document's, not always the first)."""
        if item.application_set or item.parent is None:
            return None
        before = [line for line in self.starts.get(item.app.file, ()) if line <= item.app.line]
        return (item.app.file, max(before)) if before else None

    def replaced(self, target: RenderTarget) -> bool:
        app = target.application
        return app is not None and app.deployed_by is None and (
            app.file, app.line) in self.superseded


def _children(rendered: Sequence[RenderedTarget], parents: dict[AppKey, Application | None],
              generated: list[Generated], problems: _Problems, planner: Planner,
              written: set[tuple[str, str, str]], places: _WrittenPlaces) -> list[Generated]:
    """The Applications ``rendered`` generates that are new: each known key is planned once
    (a second parent is reported by argocd-application); one its own ancestors generate is a
    cycle, followed once. One a Kustomize source renders from an Application file discovery
    found, unchanged but for the kustomization's namespace (``written``, see ``as_written``),
    is that Application, planned already; changed, it replaces it (``places``)."""
    new = []
    for item in generate(rendered):
        if isinstance(item, PlatecheckError):
            problems.add(item)
            continue
        if not item.application_set:
            item = dataclasses.replace(item, app=planner.checked(item.app))
        key = _set_key(item.app) if item.application_set else app_key(item.app)
        if key in set(ancestors(item.parent, parents)):
            continue  # an app-of-apps that manages itself
        generated.append(item)
        if not item.application_set and as_written(item.app) in written:
            continue
        origin = places.origin(item)
        if origin is not None:
            places.superseded.add(origin)
        if key in parents and not (parents[key] is None and origin is not None
                                   and places.keys[origin] == key):
            continue
        parents[key] = item.parent
        new.append(item)
    return new


def _set_key(app_set: Application) -> AppKey:
    """An ApplicationSet as Argo CD knows it, never equal to an Application's key."""
    namespace, name = app_key(app_set)
    return f"{namespace}/ApplicationSet", name


def _check_sources(planner: Planner, found: Discovery) -> dict[int, Application]:
    """Every Application found, with the problems of its sources recorded (the app-of-apps
    are among the Applications: each stays one object); returns each one's checked copy by
    the id of the Application it replaced."""
    checked = {id(app): planner.checked(app) for app in [*found.applications,
                                                          *found.app_of_apps]}
    found.applications = [checked[id(app)] for app in found.applications]
    found.app_of_apps = [checked[id(app)] for app in found.app_of_apps]
    return checked


def _render_checked(batch: _Batch, found: Discovery, targets: Sequence[RenderTarget]
                    ) -> tuple[list[RenderTarget], list[RenderedTarget]]:
    """``targets`` and their renders, each holding its Application's checked copy: every
    Application found, planned or not, is checked while helm renders."""
    checked: dict[int, Application] = {}
    rendered = batch.render(
        targets, meanwhile=lambda: checked.update(_check_sources(batch.planner, found)))
    return _with_checked(targets, rendered, checked)


def _with_checked(targets: Sequence[RenderTarget], rendered: Sequence[RenderedTarget],
                  checked: Mapping[int, Application]
                  ) -> tuple[list[RenderTarget], list[RenderedTarget]]:
    """``targets`` and ``rendered``, planned before their Applications were checked, each
    holding its Application's checked copy."""
    def one(target: RenderTarget) -> RenderTarget:
        app = target.application
        if app is None or id(app) not in checked:
            return target
        return dataclasses.replace(target, application=checked[id(app)])

    new = {id(t): one(t) for t in targets}  # a target rendered is the one planned
    return ([new[id(t)] for t in targets],
            [dataclasses.replace(r, target=new.get(id(r.target)) or one(r.target))
             for r in rendered])


def _plan_generated(planner: Planner, children: Sequence[Generated],
                    problems: _Problems) -> list[RenderTarget]:
    targets: list[RenderTarget] = []
    planner.learn(child.app for child in children)
    for child in children:
        try:
            if child.application_set:
                targets.append(planner.application_set(child.app))
            else:
                targets.extend(planner.application(child.app))
        except PlatecheckError as exc:
            env = planner.config.match_environment(child.app.name, child.app.labels,
                                                   child.app.destination_namespace)
            where = (env.name, f"{env.name}/{env.app_name(child.app.name)}") if env else None
            problems.add(exc, where=where)
    return targets


def _render_local(targets: Sequence[RenderTarget], root: Path, problems: _Problems,
                  timeout: float, cache_dir: Path | None,
                  helm: str | os.PathLike[str] | None = None, *,
                  cache: RenderCache | None = None, jobs: int = 1,
                  build_options: Sequence[str] = ()
                  ) -> tuple[list[RenderedTarget], HelmStats]:
    """Directory sources (read here) and Kustomize sources (``kubectl kustomize`` with
    ``build_options``, through the render cache, ``jobs`` at once), in the order of
    ``targets``."""
    results: dict[str, RenderedTarget | PlatecheckError] = {}
    builds = [t for t in targets if t.source_type is SourceType.KUSTOMIZE]
    for target in targets:
        if target.source_type is not SourceType.KUSTOMIZE:
            try:
                results[target.id] = render_directory(target, root, timeout)
            except PlatecheckError as exc:
                results[target.id] = exc
    stats = HelmStats()
    if builds:
        try:
            kubectl = find_kubectl(None, cache_dir=cache_dir)
        except PlatecheckError as exc:
            results.update((t.id, PlatecheckError(exc.message, **at(target_origin(t))))
                           for t in builds)
        else:
            with tempfile.TemporaryDirectory(prefix="platecheck-") as workdir:
                runner = Kustomize(kubectl, root, Path(workdir), timeout,
                                   _helm_or_none(helm, cache_dir), cache_dir, cache=cache,
                                   jobs=jobs, build_options=build_options)
                results.update(zip((t.id for t in builds), runner.render_all(builds),
                                   strict=True))
            stats = runner.stats
    rendered = []
    for target in targets:
        result = results[target.id]
        if isinstance(result, PlatecheckError):
            problems.add(result, target)
        else:
            rendered.append(result)
    return rendered, stats


def _helm_or_none(helm: str | os.PathLike[str] | None, cache_dir: Path | None) -> Path | None:
    """helm for kustomize's helmCharts, when there is one (its absence is reported only by a
    kustomization that needs it)."""
    try:
        return find_helm(helm, cache_dir=cache_dir)
    except PlatecheckError:
        return None


def _without_bare_parents(targets: list[RenderTarget], rendered: list[RenderedTarget],
                          found: Discovery) -> tuple[list[RenderTarget], list[RenderedTarget]]:
    """An app-of-apps whose directory holds only Applications deploys nothing else: its
    children are the targets, so it is not one itself."""
    parents = {(app.file, app.line) for app in found.app_of_apps}
    bare = {item.target.id for item in rendered
            if not item.resources and item.target.application is not None
            and (item.target.application.file, item.target.application.line) in parents}
    return ([t for t in targets if t.id not in bare],
            [r for r in rendered if r.target.id not in bare])


def _without_charts_applications_deploy(
        targets: list[RenderTarget], rendered: list[RenderedTarget], lints: list[HelmLint],
        problems: _Problems) -> tuple[list[RenderTarget], list[RenderedTarget], list[HelmLint]]:
    """Chart mode: a chart that an Application deploys (one a chart of Applications
    generates) and platecheck renders is checked as that Application deploys it, with its
    release name, values and source type; not once more per environment on its own, with
    findings and errors of its own for the same lines. A chart only a source platecheck does
    not render deploys (a plugin, an ApplicationSet) stays checked on its own."""
    deployed = {t.chart.path for t in targets
                if t.application is not None and t.rendered_here and t.chart is not None}
    dropped = {t.id for t in targets if t.application is None and t.chart is not None
               and t.chart.path in deployed}
    return _without([t for t in targets if t.id not in dropped],
                    [t for t in targets if t.id in dropped], rendered, lints, problems)


def _without(kept: list[RenderTarget], dropped: Sequence[RenderTarget],
             rendered: list[RenderedTarget], lints: list[HelmLint], problems: _Problems
             ) -> tuple[list[RenderTarget], list[RenderedTarget], list[HelmLint]]:
    """``kept``, the targets but ``dropped``, with their renders and problems (those of an
    id no kept target has) and the helm lints no kept target shares."""
    if not dropped:
        return kept, rendered, lints
    gone_ids = {t.id for t in dropped} - {t.id for t in kept}
    linted = {(t.chart.path, t.environment) for t in kept if t.chart is not None}
    gone = {(t.chart.path, t.environment) for t in dropped if t.chart is not None}
    problems.findings[:] = [f for f in problems.findings if f.target not in gone_ids]
    return (kept, [r for r in rendered if r.target.id not in gone_ids],
            [lint for lint in lints if (lint.chart.path, lint.environment) in linted
             or (lint.chart.path, lint.environment) not in gone])


def _without_superseded(targets: list[RenderTarget], rendered: list[RenderedTarget],
                        lints: list[HelmLint], found: Discovery, places: _WrittenPlaces,
                        problems: _Problems
                        ) -> tuple[list[RenderTarget], list[RenderedTarget], list[HelmLint]]:
    """The written Applications rendered ones replaced are no Applications: their targets
    (gone already), problems and the helm lints no kept target shares go too."""
    if not places.superseded:
        return targets, rendered, lints
    found.applications = [a for a in found.applications
                          if (a.file, a.line) not in places.superseded]
    return _without(targets, places.dropped, rendered, lints, problems)


def _jobs(given: int | None, configured: int | None) -> int:
    """helm processes at once: the command line's number, else the configuration's, which a
    checked repository writes and so cannot ask for more than this machine's CPUs."""
    cpus = os.cpu_count() or 1
    if given is not None:
        return max(1, min(given, MAX_JOBS))
    return max(1, min(configured or cpus, cpus))


def _links_inside(targets: Sequence[RenderTarget], root: Path,
                  problems: _Problems) -> list[RenderTarget]:
    """The targets whose chart has no symbolic link out of the chart or into ``.git``. helm
    would follow such a link and render whatever file of this machine or of the checkout's
    ``.git`` it names (a CI token); platecheck gives helm a copy of the chart alone, and
    refuses the chart instead of rendering it without the file. Argo CD refuses links out of
    the repository (https://github.com/advisories/GHSA-q4w5-4gq2-98vm)."""
    outside: dict[Path, tuple[Path, ...]] = {}
    kept = []
    for target in targets:
        assert target.chart is not None
        chart = target.chart.path
        if chart not in outside:
            try:
                outside[chart] = chart_tree(chart, chart).outside
            except PlatecheckError as exc:
                problems.add(PlatecheckError(exc.message, chart_yaml(target.chart)),
                             target)
                continue
        for link in outside[chart]:
            problems.add(PlatecheckError(
                f"symbolic link to {os.readlink(link)} leads {_where_link_leads(link, chart)}; "
                "platecheck does not follow it, so this chart is not rendered",
                rel_path(link, root)), target)
        if not outside[chart]:
            kept.append(target)
    return kept


def _where_link_leads(link: Path, chart: Path) -> str:
    real = Path(os.path.realpath(link))
    return "into .git" if ".git" in real.parts else "out of the chart"


def _shown(path: PathArg) -> list[str]:
    items = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    return [os.fspath(item) for item in items]


def _add_policy_files(found: Discovery, config: Config) -> None:
    """The configuration files are YAML a reviewer edits too: hygiene checks see them."""
    for path, kept in ((config.file, config.file_raw), (config.waivers_file, None)):
        if path is None or not path.resolve().is_relative_to(found.root):
            continue
        rel = rel_path(path, found.root)
        raw = kept if kept is not None else read_text(path, rel)[0]
        found.yaml_files.setdefault(rel, YamlFile(path, rel, "policy", raw))


def _environments(config: Config, environments: Iterable[str] | None) -> set[str] | None:
    if environments is None:
        return None
    wanted = set(environments)
    if not wanted:
        return None
    known = list(config.environment_names)
    unknown = sorted(wanted - set(known))
    if unknown:
        raise PlatecheckError(f"unknown environment {unknown[0]!r} (configured: "
                              f"{', '.join(known)})")
    return wanted


def _plan(planner: Planner, found: Discovery, problems: _Problems,
          paths: Sequence[Path] = ()) -> list[RenderTarget]:
    targets: list[RenderTarget] = []
    chart_dirs = found.chart_dirs
    if not chart_dirs and not found.applications and not found.application_sets:
        # chart mode: a repository of charts without Applications lints each top-level chart
        chart_dirs = top_level_charts(paths, planner.root)
    names = Counter(_chart_name(planner, directory) for directory in chart_dirs)
    taken: set[str] = set()  # ids so far, of the Applications that failed planning too
    for directory in chart_dirs:
        try:
            shared = names[_chart_name(planner, directory)] > 1
            targets.extend(_distinct(planner.chart_dir(directory, by_directory=shared), taken))
        except PlatecheckError as exc:
            problems.add(exc)
    for app in found.applications:
        try:
            targets.extend(_distinct(planner.application(app), taken))
        except PlatecheckError as exc:
            env = planner.config.match_environment(app.name, app.labels,
                                                   app.destination_namespace)
            where = None
            if env is not None:
                known = f"{env.name}/{env.app_name(app.name)}"
                # known by its place when the id is taken, as _distinct knows a target
                where = (env.name, f"{known}@{app.file}:{app.line}" if known in taken else known)
                taken.add(where[1])
            problems.add(exc, where=where)
    for app_set in found.application_sets:
        targets.extend(_distinct([planner.application_set(app_set)], taken))
    _refused_links(planner.root, targets, problems)
    return targets


def _refused_links(root: Path, targets: Sequence[RenderTarget], problems: _Problems) -> None:
    """Argo CD renders no source of a repository holding a symbolic link that leads out of
    it (``sourcecheck.out_of_bounds_link``): one could-not-check error at that link, when an
    Application deploys a source of this repository. Only the links Git tracks count: an
    untracked one (a virtualenv's) is in no clone Argo CD makes."""
    if not any(t.application is not None and t.rendered_here for t in targets):
        return
    link = out_of_bounds_link(root, tracked_links(root) or ())
    if link is not None:
        problems.add(PlatecheckError(
            "a symbolic link that leads out of the repository (to an absolute path, or "
            "through a directory outside it): Argo CD's repo-server refuses to render any "
            "source of a repository holding one (\"repository contains out-of-bounds "
            "symlinks\")", link, None,
            "Replace the link with the file it leads to, or with a relative link that stays "
            "inside the repository all the way (Argo CD follows such links only when its "
            "repo-server runs with --allow-oob-symlinks, not recommended)."))


def _chart_name(planner: Planner, directory: Path) -> str | None:
    try:
        return planner.chart(directory).name
    except PlatecheckError:
        return None  # reported when the chart is planned


def _distinct(targets: Sequence[RenderTarget], taken: set[str]) -> list[RenderTarget]:
    """``targets`` with an id none of ``taken`` (nor another of them) has: an Application
    whose name another one already has (in another namespace, or twice, which
    argocd-application reports) is known as ``<id>@<file>:<line>``."""
    result = []
    for target in targets:
        app = target.application
        if target.id in taken and app is not None:
            target = dataclasses.replace(target, id=f"{target.id}@{app.file}:{app.line}")
        taken.add(target.id)
        result.append(target)
    return result


def _unique_ids(targets: list[RenderTarget]) -> list[RenderTarget]:
    """``targets``, whose ids must each name one target: findings, waivers, ``--env`` and
    the reports know a target by its id alone. Two alike is a planning bug."""
    seen: dict[str, RenderTarget] = {}
    for target in targets:
        other = seen.setdefault(target.id, target)
        if other is not target:
            raise RuntimeError(f"target id {target.id!r} was planned twice "
                               f"({_planned_from(other)} and {_planned_from(target)})")
    return targets


def _planned_from(target: RenderTarget) -> str:
    if target.application is not None:
        return f"{target.application.file}:{target.application.line}"
    return target.chart.rel if target.chart is not None else target.id


def _render(runner: Helm, planner: Planner, targets: Sequence[RenderTarget],
            problems: _Problems, parsed: ParsedChunks, meanwhile: Callable[[], None],
            wants_lint: Callable[[str], bool]) -> tuple[list[RenderedTarget], list[HelmLint]]:
    """The rendered targets and helm lint's results. While helm's processes run, the
    calling thread does ``meanwhile``, then builds the targets whose renders came from the
    cache, then the others as their renders arrive (each lint runs after the render of the
    first target it lints). helm lint runs for the environments ``wants_lint`` names."""
    calls: list[HelmCall] = []
    owners: list[RenderTarget] = []
    for target in targets:
        try:
            calls.append(runner.template_call(target))
            owners.append(target)
        except PlatecheckError as exc:
            problems.add(exc, target)
    lints = {group: (target, runner.lint_call(
                 target.chart, group[2], target.kube_version,
                 lint_values(target.chart, target.chart_values, target.value_files)))
             for group, target in _lint_groups(owners, wants_lint).items()
             if target.chart is not None}
    progress = _Progress(calls, owners, {group: call.key for group, (_, call) in lints.items()})
    major = helm_major(runner.binary) if calls else 3

    built: dict[int, tuple[RenderedTarget | None, _Problems]] = {}

    def build(index: int, result: HelmResult | PlatecheckError) -> None:
        own = _Problems()  # added in the targets' order, whichever is built first
        built[index] = (_rendered(planner, owners[index], result, own, parsed, major), own)

    def while_rendering(known: Mapping[str, HelmResult | PlatecheckError],
                        arriving: Iterator[tuple[str, HelmResult | PlatecheckError]]) -> None:
        meanwhile()
        waiting: dict[str, list[int]] = {}
        for index, call in enumerate(calls):
            if call.key in known:
                build(index, known[call.key])
            else:
                waiting.setdefault(call.key, []).append(index)
        for key, result in arriving:  # built while later renders and lints run
            for index in waiting.pop(key, ()):
                build(index, result)
            if not waiting:
                break

    try:
        order = _each_lint_after_its_render(calls, owners, lints)
        results = dict(zip((c.key for c in order), runner.run_all(
            order, progress.finished, while_rendering), strict=True))
    finally:
        progress.line.close()
    rendered = []
    for index, result in enumerate(results[c.key] for c in calls):
        if index not in built:
            build(index, result)
        item, own = built.pop(index)
        problems.merge(own)
        if item is not None:
            rendered.append(item)
    return rendered, _lints(planner, lints, results, problems, zip(owners, calls, strict=True))


_LintGroup = tuple[Path, str, tuple[Path, ...]]  # chart, environment, value files
_Lints = Mapping[_LintGroup, tuple[RenderTarget, HelmCall]]  # its first target, its lint


def _each_lint_after_its_render(calls: Sequence[HelmCall], owners: Sequence[RenderTarget],
                                lints: _Lints) -> list[HelmCall]:
    """The renders in order, each followed by the lint its target is the first of, so that
    targets are done (render and lint, for the progress line) all along the run."""
    order: list[HelmCall] = []
    for call, target in zip(calls, owners, strict=True):
        order.append(call)
        first, lint = lints.get(_lint_group(target), (None, None))
        if first is target and lint is not None:
            order.append(lint)
    return order


def _lint_group(target: RenderTarget) -> _LintGroup:
    assert target.chart is not None
    return target.chart.path, target.environment, tuple(v.path for v in target.value_files)


def _lint_groups(owners: Sequence[RenderTarget], wants_lint: Callable[[str], bool]
                 ) -> dict[_LintGroup, RenderTarget]:
    """The first target of each chart, environment and value files: helm lint runs once
    for each (in the environments where some policy reads what it prints)."""
    groups: dict[_LintGroup, RenderTarget] = {}
    for target in owners:
        if wants_lint(target.environment):
            groups.setdefault(_lint_group(target), target)
    return groups


class _Progress:
    """Targets through helm, for the progress line: a target is done once its render and
    its helm lint (when one runs for it) have ended. Told of each call as it ends, from the
    threads that run them."""

    def __init__(self, calls: Sequence[HelmCall], owners: Sequence[RenderTarget],
                 lints: Mapping[_LintGroup, str]) -> None:
        self._pending: dict[str, set[str]] = {}  # a render's key -> the calls it waits for
        for call, target in zip(calls, owners, strict=True):
            pending = self._pending.setdefault(call.key, {call.key})
            lint = lints.get(_lint_group(target))
            if lint is not None:
                pending.add(lint)
        self._waiting: dict[str, list[str]] = {}  # a call's key -> the renders waiting
        for render, keys in self._pending.items():
            for key in keys:
                self._waiting.setdefault(key, []).append(render)
        self._lock = threading.Lock()
        self.line = Progress(len(self._pending), what="targets rendered and linted"
                             if lints else "targets rendered")

    def finished(self, call: HelmCall) -> None:
        with self._lock:
            done = 0
            for render in self._waiting.pop(call.key, ()):
                self._pending[render].discard(call.key)
                done += not self._pending[render]
        for _ in range(done):
            self.line.advance()


def _timed_out(result: HelmResult | PlatecheckError) -> bool:
    return isinstance(result, PlatecheckError) and TIMED_OUT in result.message


def _lints(planner: Planner, groups: _Lints,
           results: Mapping[str, HelmResult | PlatecheckError], problems: _Problems,
           renders: Iterable[tuple[RenderTarget, HelmCall]]) -> list[HelmLint]:
    """What helm lint said of each chart, environment and value files. A lint that ran out
    of time where its target's render (``renders``: each target's call) did too says
    nothing more."""
    timed_out = {id(target) for target, call in renders if _timed_out(results[call.key])}
    lints = []
    for (_, env, files), (target, call) in groups.items():
        assert target.chart is not None
        result = results[call.key]
        if id(target) in timed_out and _timed_out(result):
            continue  # one cause: the render's error says it
        if isinstance(result, PlatecheckError):  # a failed copy of the chart says where
            problems.add(PlatecheckError(result.message, result.file or chart_yaml(target.chart),
                                         result.line), target)
            continue
        lints.append(HelmLint(chart=target.chart, environment=env,
                              value_files=tuple(rel_path(p, planner.root) for p in files),
                              exit_code=result.exit_code,
                              output=(result.stdout + result.stderr).strip()))
    return lints


def _rendered(planner: Planner, target: RenderTarget, result: HelmResult | PlatecheckError,
              problems: _Problems, parsed: ParsedChunks, major: int = 3
              ) -> RenderedTarget | None:
    assert target.chart is not None
    origin = target_origin(target)
    file, line = (origin.file, origin.line) if origin else (None, None)
    if isinstance(result, PlatecheckError):  # a failed copy of the chart says where
        problems.add(result if result.file else PlatecheckError(result.message, file, line),
                     target)
        return None
    if result.exit_code != 0:
        reason = first_error_line(result.stderr)
        if _RENDERING.search(reason):  # helm checks the values against the schema first
            try:
                check_values(target, lambda: _validated(target, target_layers(target), None),
                             major)
            except PlatecheckError as exc:
                problems.add(exc, target)
                return None
        refused = refused_at(target, result.stderr)
        error = _template_failure(target.chart, reason, planner.root, _unsupported_number(
            target, reason) or ((refused.file, refused.line) if refused else (file, line)))
        problems.add(error, target, detail=result.stderr)
        return None
    try:
        manifest, validated = split_values(result.stdout)
        resources, templates = parse_manifest(manifest, target.chart, planner.root,
                                              (file or target.chart.rel, line), parsed)
        layers = target_layers(target)
        values = merge_values(target.chart_values, layers)
        check_values(target, lambda: _validated(target, layers, validated), major)
    except PlatecheckError as exc:
        problems.add(exc, target)
        return None
    return RenderedTarget(target=target, resources=resources, values=values,
                          manifest=manifest, templates=templates)


# a failure while helm renders the templates, which it does once the values have met the
# chart's schema (helm's chart loading and dependency checks come before both)
_RENDERING = re.compile(r"execution error at \(|\btemplate: |parse error at \(|"
                        r"YAML parse error on |error calling ")


def _validated(target: RenderTarget, layers: Sequence[Layer], reported: Any) -> MergedValues:
    """The values helm validates, as its render reported them (``render.split_values``),
    with the origins of those the user or the chart's values.yaml set; without a report,
    those alone."""
    merged = merge_values(target.chart_values, layers, keep_nulls=True)
    if not isinstance(reported, dict):
        return merged
    return MergedValues(data=reported, origins=merged.origins)


# helm loading a values file whose number JSON cannot write (``.nan``, ``.inf``)
_NON_JSON_NUMBER = re.compile(
    r"(?:cannot load (values\.yaml)|failed to parse (\S+)): .*?\bjson: unsupported value: "
    r"(NaN|[+-]Inf)\b")


def _unsupported_number(target: RenderTarget, reason: str) -> tuple[str, int] | None:
    """The values line of such a number, when helm's failure is one: the chart's own
    values.yaml, or the value file helm names."""
    match = _NON_JSON_NUMBER.search(reason)
    if match is None:
        return None
    files = [target.chart_values] if match.group(1) else [
        f for f in target.value_files
        if f.rel == match.group(2) or os.fspath(f.path) == match.group(2)]
    for values in (f for f in files if f is not None):
        line = non_json_number(values, match.group(3))
        if line is not None:
            return values.rel, line
    return None


def _template_failure(chart: Chart, reason: str, root: Path,
                      origin: tuple[str | None, int | None]) -> PlatecheckError:
    """helm template's failure with ``reason``, at the line to edit: the line of Chart.yaml
    that helm refuses the chart for (its kubeVersion, or a field of its metadata), else the
    template helm names, else ``origin`` (where the target is declared)."""
    reason = go_crash([reason]) or reason
    refused = _METADATA_REFUSED.match(reason)
    field = "kubeVersion" if _KUBE_VERSION_REFUSED in reason else (
        refused.group(1) if refused else None)
    if field is None:
        return PlatecheckError(f"helm template failed: {reason}",
                               *(error_location(reason, chart, root) or origin))
    return PlatecheckError(
        f"helm template failed: {reason}", chart_yaml(chart),
        key_line(read_regular(chart.path / "Chart.yaml", MAX_FILE_SIZE), field),
        KUBE_VERSION_REMEDY if field == "kubeVersion" else None)


# -- policies -------------------------------------------------------------------------------


def _run_policies(model: RepoModel, config: Config, policies: Mapping[str, ModuleType]
                  ) -> tuple[list[Finding], list[Finding]]:
    findings: list[Finding] = []
    errors = _Problems()
    for pid, module in policies.items():
        remediation = str(getattr(module, "REMEDIATION", ""))
        if module.SCOPE == "waivers":
            continue  # produced by platecheck.waivers.apply_waivers, after every other policy
        if module.SCOPE == "target":
            for rendered in model.rendered:
                if config.level(pid, rendered.environment) is Level.OFF:
                    continue
                options = config.policy_options(pid).for_env(rendered.environment)
                produced = _guarded(pid, module.check, (rendered, options), errors,
                                    rendered.target)
                findings.extend(_stamp(produced, pid, config, remediation, rendered.target))
        else:
            options_all = config.policy_options(pid)
            produced = _guarded(pid, module.check, (model, options_all), errors, None)
            findings.extend(_stamp(produced, pid, config, remediation, None))
    return findings, errors.findings


def _with_schemas(model: RepoModel, config: Config, policies: Mapping[str, ModuleType]
                  ) -> RepoModel:
    """The model with every target's schemas looked up for each schema policy that runs on
    it: schema files are read here, so that policies read only the model."""
    wanting = [pid for pid, module in policies.items() if module.SCOPE == "target"
               and issubclass(getattr(module, "Options", object), schemas.SchemaOptions)]
    rendered = []
    for target in model.rendered:
        for pid in wanting:
            if config.level(pid, target.environment) is not Level.OFF:
                options = config.policy_options(pid).for_env(target.environment)
                target = schemas.prepare(target, options)
        rendered.append(target)
    return dataclasses.replace(model, rendered=tuple(rendered))


def _guarded(pid: str, check: Callable[..., Iterable[Finding]], args: tuple[Any, ...],
             errors: _Problems, target: RenderTarget | None) -> list[Finding]:
    """A policy's findings; a policy that crashes is a could-not-check error, not a pass."""
    try:
        return list(check(*args))
    except PlatecheckError as exc:
        errors.add(exc, target)
    except Exception as exc:  # noqa: BLE001 - any crash must fail closed, not pass
        where = f" on {target.id}" if target else ""
        errors.add(PlatecheckError(f"policy {pid} failed{where}: {type(exc).__name__}: {exc}"),
                   target)
    return []


def _stamp(findings: Iterable[Finding], pid: str, config: Config, remediation: str,
           target: RenderTarget | None) -> Iterator[Finding]:
    for finding in findings:
        environment = finding.environment or (target.environment if target else None)
        level = config.level(pid, environment)
        if level is Level.OFF:
            continue
        yield dataclasses.replace(
            finding, policy=pid, level=level, environment=environment,
            target=finding.target or (target.id if target else None),
            remediation=finding.remediation or remediation)


def _apply_waivers(findings: list[Finding], config: Config, model: RepoModel
                   ) -> list[Finding]:
    if config.waivers_file is None:
        return findings
    today = datetime.date.today()
    waived = apply_waivers(findings, config.waivers, today, [t.id for t in model.targets],
                           lambda: model.repository_targets)
    result = list(waived.findings)
    # stamped here, as _run_policies stamps the rest
    for module, produced in ((waiver_expired, waiver_expired.check(waived.expired, today)),
                             (waiver_stale, waiver_stale.check(waived.stale))):
        result.extend(_stamp(produced, module.ID, config, module.REMEDIATION, None))
    return result


def _order(finding: Finding) -> tuple[Any, ...]:
    return (finding.environment or "", finding.target or "", finding.file or "",
            finding.line or 0, finding.policy, finding.resource or "", finding.message)


def _error_order(finding: Finding) -> tuple[Any, ...]:
    return (finding.file or "", finding.line or 0, finding.message)
