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
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from platecheck import changed, crds, schema_problems, yamlio
from platecheck.appset_git import use_new_globbing
from platecheck.batch import Batch
from platecheck.cache import ResultMemo, prune_unused
from platecheck.changed import Selection
from platecheck.config import Config
from platecheck.dependencies import vendored_twice
from platecheck.discover import (
    ARGO_GROUP,
    Discovery,
    add_repository,
    app_project,
    discover,
    file_head,
    find_root,
    names_argo_kind,
    raw_at,
    rel_path,
    source_directories,
    source_key,
)
from platecheck.errors import NothingToCheck, PlatecheckError
from platecheck.generated import Generated
from platecheck.generation import WrittenPlaces, generated_targets, may_generate
from platecheck.helmbin import chosen_cache_dir, find_helm, helm_major, memo_dir, version_asked
from platecheck.helmbin.locate import cache_outside, cache_outside_paths, cache_usable
from platecheck.limits import MAX_JOBS
from platecheck.model import (
    AppChild,
    Application,
    AppProject,
    Finding,
    FoundSchema,
    HelmLint,
    Level,
    RenderedTarget,
    RenderTarget,
    RepoModel,
    Report,
    Source,
    SourceType,
    YamlFile,
)
from platecheck.ownership import settle
from platecheck.plan import Planner, named_urls
from platecheck.planning import plan_all, refused_links, unique_ids
from platecheck.policies import PolicyOptions, configuration, describe, registry
from platecheck.policyrun import report_order, run_policies, waived_findings, with_schemas
from platecheck.problems import Problems, error_order
from platecheck.realpaths import resolve
from platecheck.rendering import lint_identity
from platecheck.repourl import remote_urls, settled
from platecheck.runmemo import recall, remembered
from platecheck.sandbox import prepare, resume
from platecheck.sourcetype import kustomization_file
from platecheck.undeployed import covered, undeployed
from platecheck.walk import rglob, walk
from platecheck.yamlio import read_bytes, read_text

if TYPE_CHECKING:
    from platecheck.appset import PathGlob

PathArg = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def load(path: PathArg, *, config_dir: str | os.PathLike[str] | None = None,
         environments: str | Iterable[str] | None = None, jobs: int | None = None,
         helm: str | os.PathLike[str] | None = None,
         cache_dir: str | os.PathLike[str] | None = None, use_cache: bool = True,
         root: str | os.PathLike[str] | None = None, compare: bool = False) -> RepoModel:
    """Discover, plan, render and parse everything under ``path`` (no policies).
    ``compare``: with ``environments``, load the environments env-consistency compares
    them with too, for ``check`` (``RepoModel.compared_only``)."""
    with chosen_cache_dir(cache_dir), _remembering(use_cache), remembered():
        model, _, _ = _load(path, config_dir=config_dir, environments=environments,
                            jobs=jobs, helm=helm, cache_dir=cache_dir, use_cache=use_cache,
                            root=root, compare=compare)
    return model


def lint(path: PathArg, *, config_dir: str | os.PathLike[str] | None = None,
         environments: str | Iterable[str] | None = None, jobs: int | None = None,
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
            cache_dir=cache_dir, use_cache=use_cache, root=root, changed_since=changed_since,
            compare=True)
        return check(model, config, environments=environments, selection=selection)


PROBLEMS = "problems"  # where schema problems are remembered, under the cache directory
CRD_SCHEMAS = "crd-schemas"  # and the schemas of CRD files (batch.PARSED: template outputs)
DOCUMENTS = "documents"  # and of YAML files


@contextlib.contextmanager
def _remembering(use_cache: bool) -> Iterator[None]:
    """Schema problems (``schema_problems.remembering``) and the documents of YAML files
    (``yamlio.remembering``) remembered in the cache, unless the run uses no cache; at the
    end, what no run has used for a month leaves the cache (``cache.prune_unused``)."""
    with schema_problems.remembering(memo_dir() / PROBLEMS if use_cache else None), \
            yamlio.remembering(memo_dir() / DOCUMENTS if use_cache else None):
        yield
    if use_cache:
        prune_unused(memo_dir())


def check(model: RepoModel, config: Config, *, environments: str | Iterable[str] | None = None,
          selection: Selection | None = None) -> Report:
    """Run every registered policy on a loaded model and apply the waivers: what ``lint``
    does after ``load`` (the pytest plugin calls it on the model its fixtures share)."""
    policies = registry()
    model = with_schemas(model, config, policies)
    yamlio.read_remembered()
    schema_problems.recall(found.identity for rendered in model.rendered
                   for target_schemas in rendered.schemas.values()
                   for found in target_schemas.found.values()
                   if isinstance(found, FoundSchema))
    findings, errors = run_policies(model, config, policies)
    findings, load_errors = settle(findings, model.errors, model)
    wanted = _names(environments) or None
    findings = waived_findings(findings, config, model)
    if wanted is not None:  # what could not be checked of another environment too
        load_errors = _compared_errors(load_errors, model, wanted)
        findings, load_errors, errors = ([f for f in found if f.environment is None
                                          or f.environment in wanted or f.policy == DRIFT_POLICY
                                          and f.environment in model.compared_only]
                                         for found in (findings, load_errors, errors))
    if selection is not None:
        findings = [f for f in findings if selection.keeps(f)]
    return Report(
        root=model.root,
        findings=tuple(sorted(findings, key=report_order)),
        # (an ApplicationSet platecheck expanded is its Applications, each a target)
        targets=tuple(t for t in model.targets
                      if not t.expanded and t.environment not in model.compared_only),
        policies=tuple(describe(module, config.level, config.environment_names)
                       for module in policies.values()),
        errors=tuple(sorted([*load_errors, *errors], key=error_order)),
        renders=model.renders,
        cache_hits=model.cache_hits,
        builds=model.builds,
        changed_since=selection.describe() if selection is not None else None,
    )


def without_compared(model: RepoModel) -> RepoModel:
    """``model`` without the targets a run of some environments loaded only for
    env-consistency to compare theirs with (``RepoModel.compared_only``), and their errors:
    what that run checks."""
    if not model.compared_only:
        return model
    skipped = set(model.compared_only)
    return dataclasses.replace(
        model, targets=tuple(t for t in model.targets if t.environment not in skipped),
        rendered=tuple(r for r in model.rendered if r.environment not in skipped),
        errors=tuple(e for e in model.errors if e.environment not in skipped), compared_only=())


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
    from platecheck.policies.env_consistency import alone_in

    # (an environment of the two that holds nothing: each app of the other is only there)
    declared = configured.default.single_environment
    alone = [*alone_in(model, left, right, declared), *alone_in(model, right, left, declared)]
    return model, [*module.check(model, pair), *alone]


# -- loading --------------------------------------------------------------------------------


def _with_crds(root: Path, found: Discovery, rendered: list[RenderedTarget],
               problems: Problems, use_cache: bool) -> list[RenderedTarget]:
    """``rendered`` carrying the schemas of every CRD of the repository (those of CRD files
    remembered in the cache, unless the run uses none)."""
    memo = ResultMemo(memo_dir() / CRD_SCHEMAS) if use_cache else None
    rendered, errors = crds.with_repository_crds(root, found.charts, rendered, memo)
    if memo is not None:
        memo.save()
    for error in errors:
        problems.add(error)
    return rendered


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
    every YAML file under an unmarked directory), nor a file (where nothing is cached)."""
    cache_usable(cache_dir)
    cache_outside_paths(cache_dir, paths)
    repo_root = find_root(paths[0], Path(root) if root is not None else None)
    for item in paths:
        if not item.is_relative_to(repo_root):
            raise PlatecheckError(f"not inside the repository {repo_root}", str(item))
    cache_outside(cache_dir, repo_root)
    return repo_root


@remembered()  # also when called on its own (load_and_check, drift)
def _discovered(root: Path, paths: Sequence[Path], config: Config, problems: Problems
                ) -> Discovery:
    """The Applications, sets and charts under ``paths`` and the policy files, discovery's
    errors in ``problems``; git files generators' paths are read as ``config`` says."""
    use_new_globbing(config.new_git_file_globbing)
    found = discover(root, paths, exclude=config.exclude)
    # (the whole repository's Applications too, for every target a waiver may name, and
    # which repoURLs are this repository unless those of ``paths`` settle it)
    if config.waivers_file is not None or not settled(
            remote_urls(root), named_urls(found)):
        add_repository(found, paths, config.exclude)
    _add_policy_files(found, config)
    _add_kustomization_files(found, paths, config)
    _add_discovery_errors(found, problems)
    return found


@remembered()  # (one run: what it reads of the repository read once)
def _load(path: PathArg, *, config_dir: str | os.PathLike[str] | None = None,
          environments: str | Iterable[str] | None = None, jobs: int | None = None,
          helm: str | os.PathLike[str] | None = None,
          cache_dir: str | os.PathLike[str] | None = None, use_cache: bool = True,
          root: str | os.PathLike[str] | None = None, changed_since: str | None = None,
          compare: bool = False) -> tuple[RepoModel, Config, Selection | None]:
    resume()  # an earlier run in this process may have been interrupted
    _positive(jobs)
    repo_root = _repository_root(paths := _paths(path), root, cache_dir)
    config_path, cache_path = (Path(d) if d is not None else None for d in (config_dir, cache_dir))
    prepare()  # a cold run starts helm's supervisor and asks its version while it plans
    with version_asked(helm, cache_dir=cache_path):
        config = configuration(repo_root, config_path)
        wanted, compared, loaded = _environments(config, environments, compare)
        problems = Problems()
        found = _discovered(repo_root, paths, config, problems)
        planner = Planner(config, found, lambda: helm_major(find_helm(helm, cache_dir=cache_path)))
        planned = plan_all(planner, found, problems, paths, lambda t: _generating(t, repo_root))
        targets = _loaded(unique_ids(planned), (wanted, compared), repo_root, problems,
                          (path, found))
        files = None if changed_since is None else changed.changed_files(repo_root, changed_since)
        batch = Batch(planner, problems, config, helm=helm, jobs=jobs, cache_dir=cache_path,
                       use_cache=use_cache)
        targets, rendered = _render_checked(batch, found, targets)
        generated, places = generated_targets(batch, found, targets, rendered, loaded)
        found.children.extend(_unrendered_links(found, planner, targets, rendered))
        batch.save()
        targets, rendered, lints = _kept(targets, rendered, batch.lints, planner, places,
                                         generated, problems)
        refused_links(repo_root, targets, problems)
        unused = _undeployed(paths, planner, generated, targets, rendered, problems, loaded)
        # (the CRDs of every render: a target not chosen may install a chosen one's kind)
        rendered = _with_crds(repo_root, found, rendered, problems, use_cache)
        selection, chosen = _chosen(files, changed_since, (repo_root, config_path, found),
                                    targets, rendered, lints, problems)
        targets, rendered, lints = _wanted(targets, rendered, chosen, problems, (wanted, compared),
                                           path, found)
        model = RepoModel(
            root=repo_root, app_environments=planner.app_environments(found),
            generated_environments=planner.generated_environments(g.app for g in generated),
            applications=tuple(found.applications), expanded_sets=tuple(found.expanded_sets),
            generated=tuple(g.app for g in generated if not g.application_set),
            generated_links=_generated_links(generated, places),
            app_of_apps=tuple(found.app_of_apps), app_children=tuple(found.children),
            repository_targets=planner.target_ids(found.repository or found),
            own_repo_urls=planner.own, checkout=planner.checkout,
            unmatched_values=_unmatched(planner, targets), compared_only=tuple(sorted(compared)),
            **_unknown(found, targets, generated, rendered), **unused,
            vendored_twice=_vendored_twice(targets, repo_root), projects=_projects(found, rendered),
            charts=tuple(planner.charts[p] for p in sorted(planner.charts)),
            targets=tuple(targets), rendered=tuple(rendered),
            yaml_files=tuple(found.yaml_files[rel] for rel in sorted(found.yaml_files)),
            environments=tuple(env.environment for env in config.environments),
            helm_lint=tuple(lints), errors=tuple(sorted(problems.findings, key=error_order)),
            renders=batch.renders, cache_hits=batch.cache_hits, builds=batch.builds,
        )
        return model, config, selection


def _generating(target: RenderTarget, root: Path) -> bool:
    """Whether ``target``'s render may make Applications discovery does not know (a chart's,
    a Kustomize build's, Jsonnet's, a set's): a directory source's are its files, which
    discovery reads."""
    return target.source_type is not SourceType.DIRECTORY and may_generate(target, root)


def _generated_links(generated: Sequence[Generated], places: WrittenPlaces
                     ) -> tuple[tuple[tuple[str, int], tuple[str, int]], ...]:
    """Which rendered Application generated which, by file and line, and which written one
    a generated Application's directory holds (``WrittenPlaces.links``). An
    ApplicationSet's Applications are no render of it: the set deploys the Application files
    of its template's directories (``appset.template_path_globs``), as when it is not
    expanded."""
    links = [((g.parent.file, g.parent.line), (g.app.file, g.app.line))
             for g in generated if g.parent is not None and g.parent.kind != "ApplicationSet"]
    return tuple(dict.fromkeys([*links, *places.links]))


def _projects(found: Discovery, rendered: Sequence[RenderedTarget]) -> tuple[AppProject, ...]:
    """The AppProjects of the repository's files, then those its targets render (in their
    destination namespace when they name none), where each is written."""
    projects = list(found.projects)
    for target in rendered:
        app = target.target.application
        for resource in target.resources:
            if resource.kind == "AppProject" and resource.api_version.startswith(
                    ARGO_GROUP + "/"):
                # (a target of no Application, a chart linted alone or a kustomization
                # applied by hand, renders projects too: at their templates)
                file = resource.template_file or (app.file if app is not None else "")
                line = resource.line if resource.template_file and resource.line else (
                    app.line if app is not None else None)
                project = app_project(resource.doc, file, line or 1,
                                      target.target.namespace or None)
                projects.extend([project] if project is not None else [])
    return tuple(projects)


def _vendored_twice(targets: Sequence[RenderTarget], root: Path
                    ) -> tuple[tuple[str, str, tuple[str, ...], str, int | None], ...]:
    return vendored_twice(sorted({t.chart.path for t in targets if t.chart}), root)


def _unrendered_links(found: Discovery, planner: Planner, targets: Sequence[RenderTarget],
                      rendered: Sequence[RenderedTarget]) -> list[AppChild]:
    """An Application file whose source of this repository platecheck could not render
    still deploys the Application files there: those its kustomizations list, for a
    Kustomize source that did not build (its error says so) or a config management
    plugin's or another revision's directory holding a kustomization (plugins commonly
    build one); every one below such another directory. Each such file's Applications are
    its children, as a directory app-of-apps' are, not orphans (so are those of
    ``_set_links``)."""
    from platecheck.kustomize_tree import listed_files  # what a cached run never needs

    built = {r.target.id for r in rendered}
    root = resolve(found.root)
    by_file: dict[Path, list[Application]] = {}
    for written in found.applications:
        by_file.setdefault(root / written.file, []).append(written)
    links = []
    for target in targets:
        app, directory = target.application, _unrendered_directory(target, planner, built)
        # (one a render generated too: a Kustomize parent that labels its Applications)
        if app is None or directory is None:
            continue
        index = next((i for i, source in enumerate(app.sources) if source.path is not None
                      and resolve(root / source.path.strip("/")) == directory), 0)
        files = listed_files(directory, root) if target.source_type is SourceType.KUSTOMIZE \
            or kustomization_file(directory) else {
                path for path in by_file if path.is_relative_to(directory)}
        assumed = target.source_type is SourceType.PLUGIN
        links += [AppChild((app.file, app.line), index, (child.file, child.line), assumed)
                  for path in sorted(files) for child in by_file.get(path, ())]
    return links + _set_links(found, by_file)


def _set_links(found: Discovery, by_file: Mapping[Path, list[Application]]) -> list[AppChild]:
    """An ApplicationSet platecheck does not expand deploys the Application files that the
    kustomizations of the directories its template's path may name list (``{{path}}`` of
    a git generator, any name for another action): the Applications Argo CD generates build
    them."""
    from platecheck.appset import template_path_globs
    from platecheck.kustomize_tree import listed_files

    root = resolve(found.root)
    links = []
    for app_set in found.application_sets:
        for index, source in enumerate(app_set.sources):
            if source.chart or not source.path:
                continue
            excluded = template_path_globs(app_set.raw, source.path, excluded=True)
            for glob in template_path_globs(app_set.raw, source.path):
                for directory in _globbed(root, glob):
                    if directory.is_dir() and resolve(directory).is_relative_to(root) \
                            and kustomization_file(directory) and not any(
                                e.matches(rel_path(directory, root)) for e in excluded):
                        links += [AppChild((app_set.file, app_set.line), index,
                                           (child.file, child.line))
                                  for path in sorted(listed_files(directory, root))
                                  for child in by_file.get(path, ())]
    return links


_WILDCARD = re.compile(r"[*?\[]")


def _globbed(root: Path, glob: PathGlob) -> list[Path]:
    """The paths under ``root`` that a set's path ``glob`` names (none for a pattern
    pathlib refuses: an absolute one, say); a deep one's, the directories below the names
    before its first wildcard that it matches."""
    if glob.pattern in ("", "."):
        return [root]
    try:
        if not glob.deep:
            return sorted(root.glob(glob.pattern))
        names = glob.pattern.split("/")
        fixed = next(i for i, name in enumerate(names) if _WILDCARD.search(name))
        base = root.joinpath(*names[:fixed])
        return sorted(d for d in [base, *(Path(c) / d for c, dirs, _ in walk(base) for d in dirs)]
                      if glob.matches(rel_path(d, root)))
    except (ValueError, NotImplementedError, OSError, StopIteration):
        return []


def _unrendered_directory(target: RenderTarget, planner: Planner, built: set[str]
                          ) -> Path | None:
    """The directory of this repository a target's source renders, when platecheck did not
    render it: a Kustomize build that failed, a config management plugin, a source at
    another revision (whose files the checkout's stand for, as far as who deploys them
    goes)."""
    if target.source_type is SourceType.KUSTOMIZE and target.id not in built:
        return target.source_dir
    source = target.remote
    if source is None or source.path is None or not planner.deploys_here(source) or (
            target.source_type is not SourceType.PLUGIN and planner.is_here(source)):
        return None
    directory = resolve(planner.root / source.path.strip("/"))
    return directory if directory.is_dir() and directory.is_relative_to(
        resolve(planner.root)) else None


def _unmatched(planner: Planner, targets: Sequence[RenderTarget]) -> tuple[str, ...]:
    """The values-<name>.yaml files of the charts still linted in chart mode whose name is
    no configured environment's (``undeployed-chart``)."""
    linted = {t.chart.rel for t in targets if t.application is None and t.chart is not None}
    return tuple(sorted(rel for rel, chart in planner.unmatched_values.items()
                        if chart in linted))


def _hidden(found: Discovery, targets: Sequence[RenderTarget], generated: Sequence[Generated],
            rendered: Sequence[RenderedTarget]) -> tuple[str, ...]:
    """The Application files of hidden directories the walk passed over that no app-of-apps
    reached (a directory source reads them, a Kustomize build writes them) nor a render
    read as a template (a chart's in a hidden ``chartHome`` a kustomization inflates), and
    the Jsonnet files naming Applications that no directory source rendered here evaluates
    (``hidden-application``)."""
    reached = {a.file for a in (*found.applications, *found.application_sets,
                                *(g.app for g in generated))} | {
        template for r in rendered for template in r.templates}
    root = resolve(found.root)
    # the directories of the sources written (of any environment, rendered in this run or
    # not) and of those rendered (a generated Application's too)
    evaluated = {resolve(root / s.path.strip("/")) for a in found.applications
                 for s in a.sources if s.path and not s.chart} | {
        resolve(t.source_dir) for t in targets if t.source_type is SourceType.DIRECTORY
        and t.source_dir is not None and t.remote is None}
    unread = [rel for rel in found.jsonnet
              if not any(resolve(root / rel).is_relative_to(d) for d in evaluated)]
    return tuple(sorted((set(found.hidden) - reached) | set(unread)))


def _unknown(found: Discovery, targets: Sequence[RenderTarget], generated: Sequence[Generated],
             rendered: Sequence[RenderedTarget]) -> dict[str, Any]:
    """The model's fields of what platecheck could not see or did not check: the Application
    files it did not walk (``_hidden``), those a kustomization applied by hand leaves out
    (``Discovery.unlisted``), and whether a source that failed to render names argocd-cm's
    ``globalProjects`` or holds Argo CD's repository or cluster Secrets."""
    named = _unrendered_names(targets, rendered, found.root)
    return {"hidden_applications": _hidden(found, targets, generated, rendered),
            "unlisted_applications": tuple(found.unlisted),
            "global_projects_unknown": _GLOBAL_PROJECTS in named,
            "scoped_secrets_unknown": _SECRET_TYPE in named}


_GLOBAL_PROJECTS = b"globalProjects"
_SECRET_TYPE = b"argocd.argoproj.io/secret-type"


def _unrendered_names(targets: Sequence[RenderTarget], rendered: Sequence[RenderedTarget],
                      root: Path) -> set[bytes]:
    """Which of argocd-cm's ``globalProjects`` (its argocd-cm may merge projects into
    others) and Argo CD's Secret label (a project-scoped repository or cluster Secret adds
    to its project) a file of a source of this repository that failed to render (a
    Kustomize overlay of Argo CD with a remote base, say) names."""
    from platecheck.discover import file_head
    from platecheck.kustomize_tree import build_tree

    built = {r.id for r in rendered}
    named: set[bytes] = set()
    for target in targets:
        if target.id in built or target.source_dir is None or target.remote is not None:
            continue
        directories = {target.source_dir}
        if target.source_type is SourceType.KUSTOMIZE:
            try:
                directories = set(build_tree(target.source_dir, root)[0])
            except PlatecheckError:
                pass
        for path in (p for directory in sorted(directories) for p in _files_in(directory)):
            head = file_head(path)
            named.update(word for word in (_GLOBAL_PROJECTS, _SECRET_TYPE) if word in head)
    return named


def _files_in(directory: Path) -> list[Path]:
    """The files of a directory; none when it is not one (a remote base kustomize names
    without a scheme reads as a path that is not there)."""
    try:
        return sorted(path for path in directory.iterdir() if path.is_file())
    except OSError:
        return []


def _undeployed(paths: Sequence[Path], planner: Planner, generated: Sequence[Generated],
                targets: Sequence[RenderTarget], rendered: Sequence[RenderedTarget],
                problems: Problems, wanted: set[str] | None
                ) -> dict[str, Any]:
    """The model's fields of what no Application deploys: the charts and kustomizations
    under ``paths`` no Application deploys (and how many of them a chart among them that
    may write Applications leaves unnamed), and the Application files each such
    kustomization lists, applied together by hand (``applied_together``). None is named in
    chart mode while no chart's render generates Applications (every top-level chart is
    linted), nor for some environments only (others' generated Applications were not
    rendered), nor when a chart that may write Applications (``_writes_argo_kinds``) failed
    to render (the Applications it generates are not known), nor when an Application file
    could not be read (it may deploy any of them). When an ApplicationSet platecheck does not
    expand may deploy such a chart, or such a chart has a values file of no configured
    environment, only the charts that may write Applications are named (roots installed by
    hand), as when one of those is not deployed. The charts still linted
    on their own (``targets``) count as named paths."""
    found = planner.found
    if not (found.applications or found.application_sets or generated or found.unparsed) \
            or found.unreadable or _unknown_children(targets, rendered, found.root):
        return {}
    try:
        charts, kustomizations = undeployed(
            paths, found.root, [*found.applications, *found.application_sets,
                                *found.unparsed, *(g.app for g in generated)], planner.deploys_here,
            [*found.chart_dirs, *_linted_alone(targets).values()],
            {a.file for a in (*found.applications, *found.application_sets,
                              *found.expanded_sets)}, planner.config.exclude)
    except PlatecheckError as exc:  # a directory that cannot be listed
        problems.add(exc)
        return {}
    together = {"applied_together": tuple(files for _, files in kustomizations if files)}
    # (a kustomization applied by hand whose output is checked is deployed so)
    by_hand = {t.app for t in targets if t.hand_applied}
    kustomizations = tuple((file, files) for file, files in kustomizations
                           if str(PurePosixPath(file).parent) not in by_hand)
    if wanted is not None:
        return together
    # a chart no Application deploys that may write Applications is a root installed by
    # hand (a bootstrap of Argo CD with argocd-apps' values): what it deploys is not known
    roots = tuple(c for c in charts if _writes_argo_kinds((found.root / c).parent))
    # (a values file of no configured environment of a chart of Applications: what that
    # environment's render would deploy is not known either)
    unrendered = any(_writes_argo_kinds(found.root / chart)
                     for chart in set(planner.unmatched_values.values()))
    if roots or unrendered or _set_deployed_roots(targets, found.root):
        return {"undeployed_charts": roots, **together,
                "undeployed_unnamed": len(charts) - len(roots) + len(kustomizations)}
    return {"undeployed_charts": charts, **together, "undeployed_kustomizations": tuple(
        (file, len(files)) for file, files in kustomizations)}


def _chosen(files: tuple[str, ...] | None, ref: str | None,
            where: tuple[Path, Path | None, Discovery], targets: list[RenderTarget],
            rendered: list[RenderedTarget], lints: list[HelmLint], problems: Problems
            ) -> tuple[Selection | None, tuple[list[RenderTarget], list[RenderedTarget],
                                               list[HelmLint]]]:
    """``--changed-since``: the targets the changed ``files`` can affect, chosen among all of
    them, the Applications rendered ones generate too (every target is rendered, most from
    the cache: a parent chart that did not change can generate a child whose chart did), those
    whose renders share an object with theirs, or hold a kind whose CRD, or are of a project
    the change may have changed (``changed.widened``), and what is checked of them. The
    errors of a target not chosen go, but of one that failed to render and may have
    generated Applications (``may_generate``): what it generates is not known. ``where``: the
    repository, the policy configuration directory and what discovery found."""
    if files is None or ref is None:
        return None, (targets, rendered, lints)
    root, config_dir, found = where
    selection = changed.select(
        targets, files, ref=ref, root=root.resolve(),
        config_dir=changed.config_dir_in(root, config_dir), deleted=changed.gone(root, files))
    selection = changed.widened(selection, targets, rendered,
                                *_definitions(set(files), found, rendered, selection.ids))
    # a target that could not be planned for a changed file (its values no longer read) is
    # chosen by that file, so the line that names the choice names it
    planned = {t.id for t in targets}
    # (every target chosen for one file, a deleted one or the configuration: those too)
    why = set(selection.reasons.values())
    every = next(iter(why)) if len(why) == 1 and len(selection.reasons) == selection.total \
        else None
    unplanned = {f.target: every or f.file or "" for f in problems.findings if f.target
                 and f.target not in planned and (every or f.file in selection.changed)}
    if unplanned:
        selection = dataclasses.replace(selection, reasons={**selection.reasons, **unplanned},
                                        total=selection.total + len(unplanned))
    built = {r.target.id for r in rendered}
    unchosen = {t.id for t in targets if t.id not in selection.ids
                and (t.id in built or not may_generate(t, root))}
    problems.forget([f for f in problems.findings if f.target in unchosen])
    kept = [t for t in targets if t.id in selection.ids]
    charts = {(t.chart.rel, t.environment) for t in kept if t.chart is not None}
    return selection, (kept, [r for r in rendered if r.id in selection.ids],
                       [lint for lint in lints if (lint.chart.rel, lint.environment) in charts])


def _definitions(files: set[str], found: Discovery, rendered: Sequence[RenderedTarget],
                 chosen: frozenset[str]) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """The kinds (API group and kind) whose CRD, and the AppProjects, a change may have
    changed, each to where: those a changed file defines (a chart's ``crds/`` file, a
    project's file), and those a chosen target renders from a changed file or from a chart
    (whose values may change them)."""
    kinds: dict[tuple[str, str], str] = {}
    for schema in next((r.crd_schemas for r in rendered), {}).values():
        file = schema.source.rpartition(":")[0]
        if file in files:
            kinds.setdefault((schema.group, schema.kind), file)
    projects = {project.name: project.file for project in found.projects
                if project.file in files}
    for render in rendered:
        if render.id not in chosen:
            continue
        for resource in render.resources:
            if render.target.chart is None and resource.template_file not in files:
                continue
            if resource.kind == "AppProject" and resource.api_version.startswith(
                    ARGO_GROUP + "/"):
                projects.setdefault(resource.name, render.id)
            for schema in crds.from_document(resource.doc, render.id):
                kinds.setdefault((schema.group, schema.kind), render.id)
    return kinds, projects


def _something_to_check(targets: Sequence[RenderTarget], problems: Problems,
                        wanted: set[str] | None, path: PathArg, found: Discovery) -> None:
    """Fail closed: a path with nothing platecheck recognises is not a clean repository (an
    Application none of whose sources renders is something: argocd-application judges it)."""
    if not targets and not problems.findings and (wanted is not None
                                                  or not found.applications):
        scope = f" for environment {', '.join(sorted(wanted))}" if wanted else ""
        jsonnet = any(next(rglob(p, "*.jsonnet"), None) is not None
                      for p in _paths(path) if p.is_dir())
        hint = ("; the Applications a .jsonnet file makes are found through the Application "
                "(a YAML file) whose source evaluates it" if jsonnet else "")
        if found.hidden and not wanted:
            first = found.hidden[0].split("/")
            top = "/".join(first[:next((i for i, p in enumerate(first) if p.startswith(".")),
                                       len(first) - 2) + 1])
            hint += (f"; {len(found.hidden)} Application "
                     f"{'file lies' if len(found.hidden) == 1 else 'files lie'} in hidden "
                     f"directories, which are not walked (e.g. {found.hidden[0]}): lint such a "
                     f"directory itself (platecheck lint {top})")
        raise NothingToCheck("nothing to check: no Argo CD Application or Helm chart found"
                             f"{scope}{hint}", ", ".join(_shown(path)))


def _check_sources(planner: Planner, found: Discovery) -> dict[int, Application]:
    """Every Application found, with the problems of its sources recorded (the app-of-apps
    are among the Applications: each stays one object); returns each one's checked copy by
    the id of the Application it replaced."""
    checked = {id(app): planner.checked(app) for app in [
        *found.applications, *found.app_of_apps, *found.application_sets,
        *found.expanded_sets]}
    found.applications = [checked[id(app)] for app in found.applications]
    found.app_of_apps = [checked[id(app)] for app in found.app_of_apps]
    found.application_sets = [checked[id(app)] for app in found.application_sets]
    found.expanded_sets = [checked[id(app)] for app in found.expanded_sets]
    return checked


def _render_checked(batch: Batch, found: Discovery, targets: Sequence[RenderTarget]
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


def _without_bare_parents(targets: list[RenderTarget], rendered: list[RenderedTarget],
                          found: Discovery, places: WrittenPlaces
                          ) -> tuple[list[RenderTarget], list[RenderedTarget]]:
    """An app-of-apps whose directory holds only Applications deploys nothing else: its
    children are the targets, so it is not one itself (a generated one too:
    ``WrittenPlaces.links``)."""
    parents = {(app.file, app.line) for app in found.app_of_apps} | {
        parent for parent, _ in places.links}
    bare = {item.target.id for item in rendered
            if not item.resources and item.target.application is not None
            and (item.target.application.file, item.target.application.line) in parents}
    return ([t for t in targets if t.id not in bare],
            [r for r in rendered if r.target.id not in bare])


def _without_charts_applications_deploy(
        targets: list[RenderTarget], rendered: list[RenderedTarget], lints: list[HelmLint],
        problems: Problems, generated: list[Generated], here: Callable[[Source], bool],
        root: Path) -> tuple[list[RenderTarget], list[RenderedTarget], list[HelmLint]]:
    """Chart mode: a chart that an Application deploys (one a chart of Applications
    generates) and platecheck renders is checked as that Application deploys it, with its
    release name, values and source type; not once more per environment on its own, with
    findings and errors of its own for the same lines; nor are the Applications its own
    renders generated, nor theirs (Argo CD renders it with the values that Application
    gives, never with its own alone): ``generated`` loses them too. So is one an
    ApplicationSet platecheck does not expand may deploy (its template's path names it):
    Argo CD renders it with what the set's Applications give, and not-rendered says they are
    not checked. A chart only a plugin deploys stays checked on its own, and so does one
    whose path a source of another repository names (``here``: whether a source deploys a
    directory of this one, ``Planner.deploys_here``: from another revision too, where
    not-rendered says it is not checked)."""
    deployers: dict[Path, list[str | None]] = {}  # chart -> the roots of its Applications
    for t in targets:
        if t.application is not None and t.rendered_here and t.chart is not None:
            deployers.setdefault(t.chart.path, []).append(t.application.deployed_by)
    charts_by_rel = _linted_alone(targets)
    for g in generated:  # one that could not be planned (a missing value file) deploys it too
        for rel in covered(charts_by_rel, root, [g.app], here) if g.application_set else ():
            deployers.setdefault(charts_by_rel[rel], []).append(g.app.deployed_by)
        for index, source in enumerate(() if g.application_set else g.app.sources):
            chart = charts_by_rel.get(os.path.normpath(source.path.strip("/"))) \
                if source.path and not source.chart and here(source) else None
            if chart is not None and "plugin" not in raw_at(g.app.raw, source_key(g.app, index)) \
                    and g.app.deployed_by not in deployers.get(chart, []):
                deployers.setdefault(chart, []).append(g.app.deployed_by)
    linted = {t.chart.rel: t.chart.path for t in targets
              if t.application is None and t.chart is not None and t.chart.path in deployers}
    charts = _deployed_from_outside(linted, deployers)
    dropped = {t.id for t in targets if t.application is None and t.chart is not None
               and t.chart.rel in linted or t.application is not None
               and t.application.deployed_by in charts}
    generated[:] = [g for g in generated if g.app.deployed_by not in charts]
    return _without([t for t in targets if t.id not in dropped],
                    [t for t in targets if t.id in dropped], rendered, lints, problems)


def _without_idle_charts(targets: list[RenderTarget], rendered: list[RenderedTarget],
                         lints: list[HelmLint], problems: Problems,
                         generated: Sequence[Generated], planner: Planner
                         ) -> tuple[list[RenderTarget], list[RenderedTarget], list[HelmLint]]:
    """Chart mode, once the renders of a chart linted on its own generate Applications: the
    repository is deployed by those, as by Application files, so a chart linted on its own
    that generates none, that none of them points at (one a source platecheck does not
    render deploys stays linted) and that no path named is one no Application deploys
    (``undeployed-chart``), not a release of its own per environment. A chart that failed to
    render and may write Applications (``_writes_argo_kinds``) stays: it may be a root; one
    that could not even be loaded and that none of them points at is named alone."""
    found = planner.found
    # (the charts linted in chart mode whose renders generated them, or what those did)
    roots = {g.app.deployed_by for g in generated}
    if found.applications or found.application_sets or not roots:
        return targets, rendered, lints
    alone = _linted_alone(targets)
    # (one whose renders write Applications or ApplicationSets deploys those objects, whether
    # or not they make any Application: an expanded set of no element makes none)
    writing = {r.target.chart.rel for r in rendered if r.target.application is None
               and r.target.chart is not None and any(
                   res.kind in ("Application", "ApplicationSet")
                   and res.api_version.startswith("argoproj.io/") for res in r.resources)}
    kept = roots | writing | covered(alone, found.root, (g.app for g in generated),
                                     planner.deploys_here)
    named = {resolve(d) for d in found.chart_dirs}
    built = {r.target.id for r in rendered}
    failed = {t.chart.rel for t in targets
              if t.application is None and t.chart is not None and t.id not in built}
    idle = {rel for rel, path in alone.items() if rel not in kept and resolve(path) not in named
            and (rel not in failed or not _writes_argo_kinds(path))}
    # a chart that could not even be loaded (its Chart.yaml) is one no Application deploys too
    unloaded = {rel: found.root / rel for rel in planner.unloaded
                if rel not in kept and resolve(found.root / rel) not in named}
    deployed = covered(unloaded, found.root, (g.app for g in generated),
                       planner.deploys_here) \
        if unloaded else set()
    problems.forget(planner.unloaded[rel] for rel in unloaded if rel not in deployed)
    if not idle:
        return targets, rendered, lints
    dropped = {t.id for t in targets
               if t.application is None and t.chart is not None and t.chart.rel in idle}
    return _without([t for t in targets if t.id not in dropped],
                    [t for t in targets if t.id in dropped], rendered, lints, problems)


def _unknown_children(targets: Sequence[RenderTarget], rendered: Sequence[RenderedTarget],
                      root: Path) -> bool:
    """Whether a target of this repository whose chart may write Applications
    (``_writes_argo_kinds``), or whose kustomization inflates such a chart, failed to
    render: an app-of-apps whose Applications are not known."""
    from platecheck.undeployed import inflates_applications

    built = {r.target.id for r in rendered}
    failed = [t for t in targets if t.remote is None and t.id not in built]
    charts = {t.chart.path for t in failed if t.chart is not None}
    builds = {t.source_dir for t in failed
              if t.source_type is SourceType.KUSTOMIZE and t.source_dir is not None}
    return any(_writes_argo_kinds(chart) for chart in sorted(charts)) or any(
        inflates_applications(directory, root) for directory in sorted(builds))


def _set_deployed_roots(targets: Sequence[RenderTarget], root: Path) -> bool:
    """Whether an ApplicationSet platecheck does not expand may deploy a chart that may
    write Applications (its template's path may name it): what that chart deploys is not
    known."""
    from platecheck.appset import template_path_globs

    charts = {directory for target in targets if target.application is not None
              and target.application.kind == "ApplicationSet" and not target.expanded
              for source in target.application.sources if source.path and not source.chart
              for glob in template_path_globs(target.application.raw, source.path)
              for directory in _globbed(resolve(root), glob)
              if (directory / "Chart.yaml").is_file()}
    return any(_writes_argo_kinds(chart) for chart in sorted(charts))


def _writes_argo_kinds(chart: Path) -> bool:
    """Whether the chart may write Applications: a file of its ``templates/`` writes an
    Argo CD Application or ApplicationSet kind (not a Workflow or a Rollout of the same
    API group), or a values file of it describes Application sources (``repoURL`` and a
    ``destination``, as those of a dependency such as argo-helm's argocd-apps). Read once
    per run."""
    return recall("writes argo kinds", chart, lambda: _may_write_applications(chart))


def _may_write_applications(chart: Path) -> bool:
    return any(names_argo_kind(path)
               for path in sorted(rglob(chart / "templates")) if path.is_file()) \
        or any(_describes_applications(path) for path in sorted(chart.glob("values*.y*ml")))


def _describes_applications(path: Path) -> bool:
    head = file_head(path)
    return b"repoURL:" in head and b"destination:" in head


def _linted_alone(targets: Sequence[RenderTarget]) -> dict[str, Path]:
    """The charts linted in chart mode: repository path -> directory."""
    return {t.chart.rel: t.chart.path for t in targets
            if t.application is None and t.chart is not None}


def _deployed_from_outside(linted: Mapping[str, Path], deployers: Mapping[Path, list[str | None]]
                           ) -> set[str]:
    """The charts linted in chart mode (``linted``: repository path -> directory) that an
    Application deploys which their own renders did not generate, nor those of another such
    chart (``deployers``: each chart's Applications by the chart mode render or file they
    come from): what their renders generated goes. A chart only its own Applications deploy
    (an app-of-apps chart managing itself) keeps them: they are how it is deployed. Of a
    ring of charts deploying each other, one keeps its own; a chart below one that goes (a
    chain of app-of-apps charts) goes too, whatever their names' order."""
    deploys: dict[str, set[str]] = {}  # a linted chart -> the linted charts its renders deploy
    for rel, path in linted.items():
        for root in deployers[path]:
            if root is not None:
                deploys.setdefault(root, set()).add(rel)
    outside: set[str] = set()
    grown = True
    while grown:  # one at a time: of two charts deploying each other, one keeps its own
        grown = False
        for rel in sorted(set(linted) - outside):
            if any(root != rel and (root not in outside or not _reaches(deploys, rel, root))
                   for root in deployers[linted[rel]]):
                outside.add(rel)
                grown = True
    return outside


def _reaches(deploys: Mapping[str, set[str]], start: str, goal: str | None) -> bool:
    """Whether the renders of chart ``start`` deploy ``goal``, through those of the charts
    they deploy: the two are on a ring."""
    seen, todo = {start}, [start]
    while todo:
        for chart in deploys.get(todo.pop(), ()):
            if chart == goal:
                return True
            if chart not in seen:
                seen.add(chart)
                todo.append(chart)
    return False


def _kept(targets: list[RenderTarget], rendered: list[RenderedTarget], lints: list[HelmLint],
          planner: Planner, places: WrittenPlaces, generated: list[Generated],
          problems: Problems) -> tuple[list[RenderTarget], list[RenderedTarget], list[HelmLint]]:
    """The targets, renders and lints that are checked: what other targets replace goes
    (bare parents, charts in chart mode that Applications deploy, written Applications
    rendered ones replace), and the targets left keep the plainest ids."""
    found = planner.found
    targets, rendered, lints = _without_superseded(*_without_charts_applications_deploy(
        *_without_bare_parents(targets, rendered, found, places), lints, problems, generated,
        planner.deploys_here, found.root), found, places, problems)
    targets, rendered, lints = _without_idle_charts(targets, rendered, lints, problems,
                                                    generated, planner)
    targets, rendered = _plain_ids(targets, rendered, problems)
    return targets, rendered, lints


def _wanted(targets: Sequence[RenderTarget], rendered_all: Sequence[RenderedTarget],
            chosen: tuple[list[RenderTarget], list[RenderedTarget], list[HelmLint]],
            problems: Problems, environments: tuple[set[str] | None, set[str]], path: PathArg,
            found: Discovery) -> tuple[list[RenderTarget], list[RenderedTarget], list[HelmLint]]:
    """A run of some environments (``wanted``, ``environments[0]``) checks their targets
    only: another environment's, rendered for the Applications it generates in them (and
    chosen by ``--changed-since`` with them when a change affects it), goes with its renders,
    problems and helm lints; when ``targets``, all of them, hold none of those environments,
    there is nothing to check (the run fails closed). One that could not be rendered may have
    generated some of theirs: its errors stay, as of no environment, so that the run fails
    closed. Those of the environments env-consistency compares theirs with
    (``environments[1]``) stay, with their errors (``check`` says which of those the run
    reports)."""
    wanted, compared = environments
    others = [t for t in targets if wanted is not None
              and t.environment not in wanted | compared]
    if wanted is None or not others:
        return chosen
    built = {r.target.id for r in rendered_all}
    failed = {t.id for t in others} - built
    problems.findings[:] = [dataclasses.replace(
        f, environment=None, target=None,
        message=f"{f.message} (rendering {f.target} for the Applications it generates)")
        if f.target in failed else f for f in problems.findings]
    _something_to_check([t for t in targets if t.environment in wanted], Problems(
        [f for f in problems.findings if f.environment is None or f.environment in wanted]),
        wanted, path, found)
    kept, rendered, lints = chosen
    return _without([t for t in kept if t.environment in wanted | compared], others, rendered,
                    lints, problems)


def _compared_errors(errors: Sequence[Finding], model: RepoModel, wanted: set[str]
                     ) -> list[Finding]:
    """The errors of a target a run loaded only for env-consistency to compare its own with
    (``RepoModel.compared_only``) that could not be rendered: that comparison was not made,
    so each is an error of the run, as of no environment, unless a target of the run has
    the same one (a chart both fail to render)."""
    built = {r.id for r in model.rendered}
    own = {(e.file, e.line, e.message) for e in errors if e.environment in wanted}
    return [dataclasses.replace(
        e, environment=None, target=None, message=f"{e.message} (rendering {e.target} to "
        f"compare {', '.join(sorted(wanted))} with it (env-consistency))")
        if e.environment in model.compared_only and e.target is not None
        and e.target not in built and (e.file, e.line, e.message) not in own else e
        for e in errors]


def _plain_ids(targets: list[RenderTarget], rendered: list[RenderedTarget],
               problems: Problems) -> tuple[list[RenderTarget], list[RenderedTarget]]:
    """A target known as ``<id>@<file>:<line>`` because another had ``<id>`` when it was
    planned, one that went since (a chart's render in chart mode, which the Application
    deploying the chart replaces), is ``<id>`` again when it is the only one left of it."""
    used = {t.id for t in targets} | {f.target for f in problems.findings if f.target}
    placed: dict[str, list[str]] = {}
    for target in targets:
        if "@" in target.id:
            placed.setdefault(target.id.split("@", 1)[0], []).append(target.id)
    renamed = {ids[0]: base for base, ids in placed.items() if len(ids) == 1 and base not in used}
    if not renamed:
        return targets, rendered
    problems.findings[:] = [dataclasses.replace(f, target=renamed[f.target])
                            if f.target in renamed else f for f in problems.findings]
    return ([dataclasses.replace(t, id=renamed.get(t.id, t.id)) for t in targets],
            [dataclasses.replace(r, target=dataclasses.replace(r.target, id=renamed[r.id]))
             if r.id in renamed else r for r in rendered])


def _without(kept: list[RenderTarget], dropped: Sequence[RenderTarget],
             rendered: list[RenderedTarget], lints: list[HelmLint], problems: Problems
             ) -> tuple[list[RenderTarget], list[RenderedTarget], list[HelmLint]]:
    """``kept``, the targets but ``dropped``, with their renders and problems (those of an
    id no kept target has) and the helm lints no kept target shares."""
    if not dropped:
        return kept, rendered, lints
    gone_ids = {t.id for t in dropped} - {t.id for t in kept}
    linted = {lint_identity(t) for t in kept if t.chart is not None}
    gone = {lint_identity(t) for t in dropped if t.chart is not None}
    problems.findings[:] = [f for f in problems.findings
                            if f.target not in gone_ids or f in problems.of_generated]
    return (kept, [r for r in rendered if r.target.id not in gone_ids],
            [lint for lint in lints if lint.identity in linted or lint.identity not in gone])


def _without_superseded(targets: list[RenderTarget], rendered: list[RenderedTarget],
                        lints: list[HelmLint], found: Discovery, places: WrittenPlaces,
                        problems: Problems
                        ) -> tuple[list[RenderTarget], list[RenderedTarget], list[HelmLint]]:
    """The written Applications rendered ones replaced are no Applications: their targets
    (gone already), problems and the helm lints no kept target shares go too."""
    if not places.superseded:
        return targets, rendered, lints
    found.applications = [a for a in found.applications
                          if (a.file, a.line) not in places.superseded]
    return _without(targets, places.dropped, rendered, lints, problems)


def _add_discovery_errors(found: Discovery, problems: Problems) -> None:
    """What discovery could not read, each error known by its document when it is an
    Application's: a render may replace that document (an overlay patching its base)."""
    failed = {id(error): key for key, error in found.failed.items()}
    for error in found.errors:
        said = problems.add(error)
        if id(error) in failed:
            problems.unplanned[failed[id(error)]] = said


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


def _add_kustomization_files(found: Discovery, paths: Sequence[Path], config: Config) -> None:
    """The kustomization files of the walk are YAML a reviewer edits too, which kustomize
    reads keeping the last of a key written twice without a word: hygiene checks see them
    (one that cannot be read, its build reports)."""
    _, directories, _ = source_directories(paths, found.root, config.exclude)
    for directory in directories:
        file = kustomization_file(directory)
        rel = rel_path(file, found.root) if file is not None else ""
        if file is None or rel in found.yaml_files:
            continue
        try:
            raw = read_bytes(file, rel)
        except PlatecheckError:
            continue
        found.yaml_files[rel] = YamlFile(file, rel, "kustomization", raw)


def _names(environments: str | Iterable[str] | None) -> set[str]:
    """The environment names asked for: a str is one name, not its characters."""
    if environments is None:
        return set()
    return {environments} if isinstance(environments, str) else set(environments)


def _positive(jobs: int | None) -> None:
    """``jobs`` below 1 or above ``MAX_JOBS`` is refused, as ``--jobs`` is (none means the
    default)."""
    if jobs is not None and jobs < 1:
        raise PlatecheckError(f"jobs must be at least 1: {jobs}")
    if jobs is not None and jobs > MAX_JOBS:
        raise PlatecheckError(f"jobs must be at most {MAX_JOBS}: {jobs}")


def _compared_only(config: Config, wanted: set[str]) -> set[str]:
    """The environments env-consistency compares ``wanted`` ones with where it runs on them
    (its ``pairs``), not among them: a run of some environments loads their targets too,
    for that policy alone (``RepoModel.compared_only``)."""
    from platecheck.policies import env_consistency as policy

    running = {env for env in wanted if config.level(policy.ID, env) is not Level.OFF}
    if not running:
        return set()
    return policy.counterparts(config.policy_options(policy.ID).default.pairs,
                               {env.name: env.production for env in config.environments},
                               running) - wanted


def _environments(config: Config, environments: str | Iterable[str] | None, compare: bool
                  ) -> tuple[set[str] | None, set[str], set[str] | None]:
    """The environments a run checks (None: every one), those it loads only for
    env-consistency to compare them with (``_compared_only``, when it will ``compare``), and
    all it loads."""
    wanted = _names(environments)
    if not wanted:
        return None, set(), None
    known = list(config.environment_names)
    unknown = sorted(wanted - set(known))
    if unknown:
        raise PlatecheckError(f"unknown environment {unknown[0]!r} (configured: "
                              f"{', '.join(known)})")
    compared = _compared_only(config, wanted) if compare else set()
    return wanted, compared, wanted | compared


def _loaded(targets: list[RenderTarget], environments: tuple[set[str] | None, set[str]],
            root: Path, problems: Problems, given: tuple[PathArg, Discovery]
            ) -> list[RenderTarget]:
    """The targets of the environments a run loads (``environments``: those it checks, None
    for every one, and those it compares them with) and the parents of theirs
    (``generation.may_generate``); there must be something to check among them."""
    wanted, compared = environments
    if wanted is not None:
        targets = [t for t in targets if t.environment in wanted | compared
                   or may_generate(t, root)]
    _something_to_check([t for t in targets if t.environment not in compared], problems,
                        wanted, *given)
    return targets


