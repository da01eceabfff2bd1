"""Every Application, ApplicationSet and chart directory found, planned into render targets
whose ids each name one target."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from platecheck.chartfile import local_dependencies
from platecheck.discover import Discovery, rel_path, source_directories
from platecheck.errors import PlatecheckError
from platecheck.generated import MAX_DEPTH
from platecheck.model import NO_ENVIRONMENT, AppChild, RenderTarget, SourceType
from platecheck.plan import Planner
from platecheck.problems import Problems
from platecheck.realpaths import resolve
from platecheck.repourl import tracked_links
from platecheck.sourcecheck import out_of_bounds_link
from platecheck.sourcetype import kustomization_file
from platecheck.undeployed import hand_applied


def inherit_environments(planner: Planner, found: Discovery) -> None:
    """Each Application (or ApplicationSet) an app-of-apps' directory holds, or a plain
    list's ApplicationSet makes, whose own name, labels and namespace match no environment,
    in the configured environment of the parents that deploy it, the first of theirs
    (``Planner.inherited``; a parent of no environment says nothing), parents' own inherited
    ones followed; those of ``found`` replaced by their copies."""
    _drop_other_repositories(planner, found)
    parents: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for link in found.children:
        if link.child != link.parent:
            parents.setdefault(link.child, []).append(link.parent)
    for app in found.applications:
        if app.set_line is not None:
            parents.setdefault((app.file, app.line), []).append((app.file, app.set_line))
    by_place = {(a.file, a.line): a for a in (*found.expanded_sets, *found.application_sets,
                                              *found.applications)}
    for _ in range(MAX_DEPTH):  # (each round follows the chain one level deeper)
        changed = False
        for place, above in parents.items():
            if place not in by_place:
                continue
            app = by_place[place]
            inherited = planner.inherited(app, [by_place[p] for p in above if p in by_place])
            if inherited != app.inherited_environment:
                by_place[place] = dataclasses.replace(app, inherited_environment=inherited)
                changed = True
        if not changed:
            break
    for kept in (found.applications, found.app_of_apps, found.application_sets,
                 found.expanded_sets):
        kept[:] = [by_place.get((a.file, a.line), a) for a in kept]


def _drop_other_repositories(planner: Planner, found: Discovery) -> None:
    """The links discovery made from a directory source of another repository to the
    Applications of this one's directory of that path: Argo CD reads that repository's
    directory, never this one's (a child so linked was put in its parent's environment,
    and in its destination namespace)."""
    by_place = {(a.file, a.line): a for a in (*found.applications, *found.app_of_apps)}

    def ours(link: AppChild) -> bool:
        parent = by_place.get(link.parent)
        return parent is None or link.source >= len(parent.sources) \
            or planner.deploys_here(parent.sources[link.source])
    found.children[:] = [link for link in found.children if ours(link)]


def plan_all(planner: Planner, found: Discovery, problems: Problems,
          paths: Sequence[Path] = (),
          generates: Callable[[RenderTarget], bool] = lambda _: True) -> list[RenderTarget]:
    """Every target; ``generates``: whether a target's render may hold Applications
    (``generation.may_generate``; while one may, no unlisted Application is left out)."""
    targets: list[RenderTarget] = []
    inherit_environments(planner, found)
    chart_dirs = list(found.chart_dirs)
    if not (found.applications or found.application_sets or found.unparsed
            or found.unreadable):
        # chart mode: a repository of charts without Applications (an Application file that
        # cannot be read is one) lints each top-level chart (under a directory given beside
        # a chart given too) but a library chart, which Helm renders only inside the charts
        # that depend on it, unless given itself
        given = {resolve(d) for d in chart_dirs}
        # (a chart in another chart's directory, not in its charts/, is one of its own:
        # helm renders no such directory with the parent)
        top, _, nested = source_directories(paths, planner.root, planner.config.exclude)
        found_charts = [d for d in [*top, *nested]
                        if resolve(d) not in given and not _library(planner, d)]
        # a file:// dependency of another chart renders with it (helm dependency build),
        # never alone with its bare values, unless given itself
        chart_dirs += [d for d in found_charts
                       if not _depended_on(planner, d, [*chart_dirs, *found_charts])]
    # a library chart given beside a chart that depends on it renders in that one
    chart_dirs = [d for d in chart_dirs if not _library(planner, d)
                  or not _depended_on(planner, d, chart_dirs)]
    names = Counter(_chart_name(planner, directory) for directory in chart_dirs)
    taken: set[str] = set()  # ids so far, of the Applications that failed planning too
    for directory in chart_dirs:
        try:
            shared = names[_chart_name(planner, directory)] > 1
            planned, failed = planner.chart_dir(directory, by_directory=shared)
        except PlatecheckError as exc:
            planner.unloaded[rel_path(directory, planner.root)] = problems.add(exc)
            continue
        targets.extend(distinct(planned, taken))
        for error, stopped in failed:
            problems.add(error, where=stopped)
    hand, listing = _hand_applied(planner, found, paths)
    for app in found.applications:
        try:
            targets.extend(distinct(planner.application(app), taken))
        except PlatecheckError as exc:
            env = planner.environment_of(app)
            where = None
            if env is not None:
                known = f"{env.name}/{env.app_of(app)}"
                # known by its place when the id is taken, as distinct knows a target
                where = (env.name, f"{known}@{app.file}:{app.line}" if known in taken else known)
                taken.add(where[1])
            problems.unplanned[(app.file, app.line)] = problems.add(exc, where=where)
    for app_set in found.application_sets:
        targets.extend(distinct([planner.application_set(app_set)], taken))
    targets[:] = _without_unlisted(planner, found, listing, targets, generates, problems)
    targets.extend(distinct(hand_applied_targets(planner, hand), taken))
    return targets


# a kustomization applied by hand: its directory, the Application files its build lists,
# whether it outputs Applications none of them writes, and the install it is (or None)
_HandApplied = tuple[Path, frozenset[Path], bool, str | None, bool]


def _hand_applied(planner: Planner, found: Discovery, paths: Sequence[Path]
                  ) -> tuple[list[_HandApplied], list[tuple[Path, frozenset[Path]]]]:
    """The kustomizations no Application deploys whose build lists Application files
    (``undeployed.hand_applied``), and each one's directory with every file its build
    lists. Several that list one file (a base, a file of Applications) are each cluster's
    overlay of one base: installs of their own, whose Applications of one name are no
    conflict; the Applications of the files one of them alone lists are installed in
    it."""
    root = planner.root
    apps = [*found.applications, *found.application_sets, *found.unparsed]
    found_dirs = hand_applied(paths, root, apps, planner.deploys_here, planner.config.exclude)
    shared = Counter(file for *_, every, _ in found_dirs for file in every)
    hand: list[_HandApplied] = []
    installed: dict[str, str] = {}
    for directory, files, outputs, every, provisional in found_dirs:
        install = rel_path(directory, root) if any(shared[f] > 1 for f in every) else None
        hand.append((directory, files, outputs, install, provisional))
        installed.update({rel_path(file, root): install for file in files
                          if install is not None and shared[file] == 1})
    for kept in (found.applications, found.app_of_apps, found.application_sets):
        kept[:] = [dataclasses.replace(a, installed_in=installed[a.file])
                   if a.file in installed else a for a in kept]
    return hand, [(directory, every) for directory, _, _, every, _ in found_dirs]


def _without_unlisted(planner: Planner, found: Discovery,
                      listing: Sequence[tuple[Path, frozenset[Path]]],
                      targets: Sequence[RenderTarget], generates: Callable[[RenderTarget], bool],
                      problems: Problems) -> list[RenderTarget]:
    """``targets`` but those of the Applications not deployed: of a file below the directory
    of a kustomization applied by hand, or of a base its build reads (not below a
    kustomization of its own), that its build does not list (an entry commented out), that
    no app-of-apps deploys and that was not given as a path; they are named in
    ``Discovery.unlisted``. None is, while a target may generate Applications (a chart of
    them, a set): one of those may deploy the kustomization's directory, which lists what
    Argo CD deploys of it, and says the others are not reached."""
    root = planner.root
    if not listing or any(generates(target) for target in targets):
        return list(targets)
    children = {link.child for link in found.children if link.child != link.parent}
    # (below it, or below a base its build reads: ``# - old.yaml`` in apps/base; one
    # another such kustomization lists, a parent of it, is deployed)
    listed = frozenset().union(*(every for _, every in listing))
    unlisted = {rel_path(file, root): _shown(directory, root) + (
                    f" (a base of {_shown(top, root)})" if directory != top else "")
                for top, _ in listing for directory in _built(top, root)
                for file in _below_unlisted(directory, listed, found, children)}
    found.unlisted.extend((app.file, app.lines.get(("metadata", "name"), app.line), app.kind,
                           app.name, unlisted[app.file])
                          for app in (*found.applications, *found.application_sets)
                          if app.file in unlisted)
    for kept in (found.applications, found.app_of_apps, found.application_sets):
        kept[:] = [a for a in kept if a.file not in unlisted]
    # (and the could-not-check errors of what was planned of them)
    gone = {t.id for t in targets if t.application is not None and t.application.file in unlisted}
    problems.forget_unplanned([key for key in problems.unplanned if key[0] in unlisted])
    problems.forget([f for f in problems.findings if f.target in gone])
    return [t for t in targets if t.id not in gone]


def _shown(directory: Path, root: Path) -> str:
    return "at the repository root" if resolve(directory) == resolve(root) \
        else rel_path(directory, root)


def _built(directory: Path, root: Path) -> list[Path]:
    """``directory`` (a kustomization's) and the directories of the kustomizations its
    build reads (bases, components); itself alone when it cannot be built."""
    from platecheck.kustomize_tree import build_tree

    try:
        _, read = build_tree(directory, root)
    except PlatecheckError:
        return [directory]
    return list(dict.fromkeys([directory, *(found for found, _, _ in read)]))


def _below_unlisted(directory: Path, listed: frozenset[Path], found: Discovery,
                    children: set[tuple[str, int]]) -> list[Path]:
    """The Application files below ``directory`` (a kustomization applied by hand) that
    its build does not list (``listed``), in no directory of a kustomization of its own,
    holding no Application an app-of-apps deploys, and not given as paths; of one at the
    repository root, those beside it only (the root holds every other tree too)."""
    root = found.root
    top = resolve(directory)
    alone = top == resolve(root)
    wanted = {resolve(file) for file in listed}
    deployed = {file for file, _ in children} | found.named
    out = []
    for file in sorted({a.file for a in (*found.applications, *found.application_sets)}):
        path = resolve(root / file)
        if not path.is_relative_to(top) or path in wanted or file in deployed \
                or alone and path.parent != top:
            continue
        between = [path.parent, *path.parent.parents]
        if not any(kustomization_file(d) is not None for d in between[:between.index(top)]):
            out.append(path)
    return out


def hand_applied_targets(planner: Planner, hand: Sequence[_HandApplied]
                         ) -> list[RenderTarget]:
    """A target of no environment for each kustomization applied by hand (``_hand_applied``):
    a bootstrap overlay that patches a base Application's placeholders. Argo CD receives
    what it outputs, never the base as written: generation plans the Applications it
    changes in the place of the written ones, and drops the target when it changes none (or
    cannot be built), as before; one whose build outputs Applications none of its files
    writes (it inflates an app-of-apps chart: ``undeployed.outputs_applications``) too, but
    when it cannot be built (what it deploys is not known)."""
    return [RenderTarget(
        id=f"{NO_ENVIRONMENT}/{rel}", environment=NO_ENVIRONMENT, app=rel, application=None,
        chart=None, release_name="", namespace="default", value_files=(),
        source_type=SourceType.KUSTOMIZE, source_dir=directory,
        api_versions=planner.config.cluster_api_versions,
        kube_version=planner.config.kubernetes_version, hand_applied=True,
        install=install, outputs_applications=outputs, provisional=provisional)
        for directory, _, outputs, install, provisional in hand
        for rel in [rel_path(directory, planner.root)]]


def refused_links(root: Path, targets: Sequence[RenderTarget], problems: Problems) -> None:
    """Argo CD renders no source of a repository holding a symbolic link that leads out of
    it (``sourcecheck.out_of_bounds_link``): one could-not-check error at that link, when an
    Application deploys a source of this repository (one an ApplicationSet generates too:
    ``targets`` are the run's, generated ones among them). Only the links Git tracks count:
    an untracked one (a virtualenv's) is in no clone Argo CD makes."""
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


def _library(planner: Planner, directory: Path) -> bool:
    try:
        return planner.chart(directory).library
    except PlatecheckError:
        return False  # (its error is the chart's, met when it is planned)


def _depended_on(planner: Planner, chart: Path, chart_dirs: Sequence[Path]) -> bool:
    """Whether another chart of ``chart_dirs`` declares ``chart`` as a ``file://``
    dependency (Chart.yaml, or over it requirements.yaml)."""
    wanted = resolve(chart)
    return any(resolve(directory) != wanted
               and wanted in local_dependencies(directory, planner.root)
               for directory in chart_dirs)


def _chart_name(planner: Planner, directory: Path) -> str | None:
    try:
        return planner.chart(directory).name
    except PlatecheckError:
        return None  # reported when the chart is planned


def distinct(targets: Sequence[RenderTarget], taken: set[str]) -> list[RenderTarget]:
    """``targets`` with an id none of ``taken`` (nor another of them) has: an Application
    whose name another one already has (in another namespace, or twice, which
    argocd-application reports) is known as ``<id>@<file>:<line>``, and as
    ``<id>@<file>:<line>#<n>`` when that is taken too (renders of one template line, by
    several parents, making Applications of one name in several namespaces)."""
    result = []
    for target in targets:
        app = target.application
        if target.id in taken and app is not None:
            placed = f"{target.id}@{app.file}:{app.line}"
            number = 1
            while (unique := placed if number == 1 else f"{placed}#{number}") in taken:
                number += 1
            target = dataclasses.replace(target, id=unique)
        taken.add(target.id)
        result.append(target)
    return result


def unique_ids(targets: list[RenderTarget]) -> list[RenderTarget]:
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
