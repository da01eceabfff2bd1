"""Argo CD Applications are well-formed, point inside the repository and sync as declared.

What:
    For every Application (the app-of-apps included, and every Application a rendered
    source generates, e.g. a Helm chart of Applications, at the template that writes it):

    - it matches the Application JSON schema (from k8s-schema's ``schemaDirs``,
      default ``policies/schemas/``, or the one shipped; a source with a path or a chart
      and no ``repoURL`` is not-rendered's finding); an ApplicationSet (written, deployed
      by an app-of-apps or generated) the ApplicationSet schema likewise (its labels, its
      ``syncPolicy``...): the API server refuses it, so none of its Applications exists;
    - each source ``path`` of this repository exists and stays inside it (no ``..`` escape,
      no symlink out), and so does each ``helm.valueFiles`` entry, resolved as Argo CD
      resolves it (relative to the source path, ``/`` the repository root, ``$ref/...``
      another source, ``$ARGOCD_APP_*`` substituted; what a glob matches is checked when the
      Application is planned) unless ``ignoreMissingValueFiles`` is set; a remote chart's
      value files and ``fileParameters`` paths of another source of this repository
      (``$ref/...``) too, and what its value file globs match; a ``$ref`` Argo CD cannot
      follow (no such ref, a chart's, a second ``targetRevision`` of one repository)
      whatever the source; a ``repoURL`` that writes its scheme twice
      (``https://https://github.com/...``, whose host is ``https``);
    - names are unique (per Application namespace): two parents generating the same
      Application, or one generated and also written in another file of the repository,
      manage one Application twice (a file a Kustomize parent renders is that file's
      Application, not a second one, and so is an Application two renders of one chart
      write alike, as chart mode's renders of an app-of-apps chart per environment do;
      written differently, each is its environment's install's own; two documents of one
      file written alike are two, which Argo CD warns of);
      so are ApplicationSets' (written, a plain list's that platecheck expands too, or
      rendered by two parents differently); an
      Application no app-of-apps reaches (below) takes no name, and an app-of-apps and
      its copy written alike in a directory it deploys are one Application (it manages
      itself once applied);
    - no Application or ApplicationSet is deployed by two app-of-apps of one Argo CD as one
      manifest (a file in both their source directories, not a config management
      plugin's, which may not output it, or one their charts render alike): each parent
      manages it, their syncs take it from each other, and deleting
      either parent deletes it (one finding, at its name; two Argo CD ``instances`` each
      have their own);
    - no two Applications deploy the same resource (API group, kind, namespace, name) to
      the same cluster (destination server, or cluster name, the server of a cluster
      Secret of the repository that names it): Argo CD's shared-resource
      conflict, where each sync undoes the other (an Application no app-of-apps reaches,
      reported below, deploys nothing); a resource that names no namespace is in the
      destination namespace, whatever ``helm.namespace`` told helm, but one of a
      cluster-scoped kind has none (a built-in kind of Kubernetes 1.31 whose API paths name
      no namespace, or a kind whose CRD in the repository says ``scope: Cluster``; a custom
      kind whose CRD is not there is taken as namespaced, as Argo CD takes a kind its
      cluster does not know). Only the Applications
      a run renders are compared: one another environment's Application shares is told by
      a run of every environment, not by ``--env``;
    - no Application renders one resource twice (in two of its sources, or two files of
      one): Argo CD applies only the last copy and warns (RepeatedResourceWarning); one
      finding at each later copy (the other policies check the last copy alone);
    - the destination namespace matches the Application's environment (one naming none is
      said so only where a namespaced resource it renders names none of its own, or it was
      not rendered: Argo CD takes it, and cluster-scoped resources need none; not an
      app-of-apps': the Applications it deploys live in Argo CD's namespace; nor one that
      deploys only directories of other repositories into its own namespace, their
      app-of-apps; nor a child in its parents' environment, which its own name, labels
      and namespace do not say: docs/configuration.md; nor, where no namespaces are
      configured for its environment, one whose file the environment's ``paths`` match,
      a cluster's directory; nor, where the ``namespaces`` option names none for its
      environment, one whose destination cluster only its environment's Applications deploy
      to while another environment's deploy elsewhere: a cluster of its own), and is a
      name the API server takes (a DNS-1123 label) where a namespaced resource rendered
      (of a kind known namespaced: Kubernetes', Argo CD's, or by its CRD in the repository)
      names no namespace of its own (``{{values.ns}}`` left by a list element that sets no such
      parameter; a Helm source's is refused before helm renders it);
    - an Application an app-of-apps deploys that names no namespace (so Argo CD creates it
      in the parent's destination namespace) is in a namespace Argo CD reconciles: its own
      (``argocd``, ``openshift-gitops``, one a root Application is in, one the repository
      installs Argo CD in: its ``argocd-cm`` or the ``argo-cd`` chart, or one whose name
      says ``argo`` or ``gitops``, another instance's), or one its project lists in
      ``sourceNamespaces`` (of a project the repository does not define but ``default``,
      nothing is said);
    - every Application is reachable from an app-of-apps (no orphans; the Applications in a root
      app-of-apps' own file are applied with it, and so are those of the files a kustomization
      no Application deploys lists with it (``kubectl apply -k``); one in its directory whose
      every source is a directory of another repository is a root too: that repository's
      app-of-apps, applied alike; so is each of a ring of app-of-apps that deploy each other,
      the last the first, when no other app-of-apps deploys one of them: one of the ring was
      applied by hand; and so is an ApplicationSet, the app-of-apps of its generator, that no
      app-of-apps deploys, with the Applications its list makes; one platecheck does not expand
      reaches the Applications in the directories its template's path may name: a template
      action any name, a git directories generator's path its patterns, one level each as Go's
      ``path.Match``, a git files generator's path the directories of its files' pattern, any
      depth as ``git ls-files`` matches it, but those its ``exclude: true`` entries match; and
      so is an Application of this repository whose render failed, that no app-of-apps
      deploys: whether it generates Applications is not known, and its error is reported; an
      Application in a file a git files generator of an ApplicationSet of this repository
      reads as its parameters is that set's data, which Argo CD never applies: neither
      unreachable nor deploying what its source renders; one in a directory an app-of-apps
      deploys from another revision of this repository, which that revision may hold, is
      not said unreachable), and
      every app-of-apps directory holds at least one Application. An app-of-apps is a directory
      source holding Applications, or a source whose render (a kustomization, a chart) outputs
      Applications: it reaches those of the repository's files it outputs, not a file beside
      them its kustomization does not list (a kustomization that does not build, or a config
      management plugin's directory holding one: the files it lists; a plugin's other directory:
      the files below it), and none reaches an Application that is a hook no sync runs (an
      ``argocd.argoproj.io/hook: Skip``): Argo CD never creates it;
    - a chart from a Helm repository (``chart:``) has a pinned ``targetRevision``: an exact
      version, not ``*``, ``latest`` or a range like ``^1.2``, ``>=1.0``, ``1.x``; Argo CD
      refuses one without any;
    - every source has a ``path`` (not empty) or a ``chart`` (in ``spec.sources``: or a
      ``ref``): Argo CD refuses the Application otherwise ("spec.source.repoURL and either
      spec.source.path or spec.source.chart are required");
    - every ``ref`` is of letters, digits, ``_`` and ``-`` only, and no two sources share
      one: Argo CD refuses the Application otherwise ("sources.ref ... cannot contain any
      special characters", "multiple sources had the same `ref` key");
    - a source hydrator (``spec.sourceHydrator``) hydrates to a directory of its own: not
      the repository root (``./``), nor where another Application of the same dry source,
      revision and branch hydrates to (Argo CD's hydrator refuses both);
    - the destination names a ``server`` or a cluster ``name``, not both and not neither:
      Argo CD refuses the Application otherwise ("application destination can't have both
      name and server defined", "Destination server missing from app spec"), and of an
      Application an ApplicationSet makes, no parameter its generator does not set (the
      ApplicationSet controller creates no Application of a cluster that does not exist);
    - an ApplicationSet without ``goTemplate`` writes no Go template action (``{{ .x }}``,
      ``{{ if ... }}``) in a field that names something (the Application's name, project,
      destination, a source's repoURL, path, chart or revision): fasttemplate leaves it as
      written, so every Application it makes gets the action's text (one in Helm values may
      be meant for the chart's own ``tpl``, and is left alone);
    - the sync policy has ``automated`` and ``retry`` (limit, backoff) as the environment's
      options demand;
    - ``argocd.argoproj.io/sync-wave`` annotations follow the declared order (read as Argo
      CD reads them: an integer as Go's ``strconv.Atoi`` reads it, else the
      ``helm.sh/hook-weight``, else 0; one that does not read is a finding too).

Why:
    Argo CD reports a missing path or values file only when it syncs, after merge; an orphan
    Application is never deployed; a floating chart version changes production without a
    commit; a wave out of order starts an application before what it depends on.

Options:
    namespaces: environment -> destination namespace globs (default for environment E: the
        ``namespaces`` of E's own match rules in policies/platecheck.yaml, else
        ["*-E", "E"]). Per environment: namespaces, requireAutomated, retryLimit and
        backoff; the other options apply to the whole repository.
    appOfApps: globs (Application name or repository-relative file) of the root
        app-of-apps, and of any Application applied by hand beside them; default [] = every
        app-of-apps no other app-of-apps reaches, and an Application that installs Argo CD
        (its ``argocd-cm``, or the ``argo-cd`` chart) none reaches.
    repoUrls: globs of the repoURLs that mean this repository (default [] = the repoURLs
        that name one of this checkout's Git remotes, else, when none does, every Git
        source); a Git source of another repository is not rendered but reported by
        not-rendered, as Argo CD would fetch it.
    revisions: globs of the ``targetRevision`` values of this repository's sources that are
        this checkout (default [] = none or HEAD, a prefix of the commit checked out, the
        branch checked out, the remotes' default branches, main, master, and the revision
        the repository's sources name most unless one names HEAD: docs/engine.md); a source
        at another revision is not rendered but reported by not-rendered, as Argo CD deploys
        that revision's files.
    requireAutomated: the sync policy must be automated (default false; usually set per
        environment).
    retryLimit: minimum syncPolicy.retry.limit, or {min: N, max: M} (default null = no retry
        required).
    backoff: required syncPolicy.retry.backoff values, e.g.
        {duration: 5s, factor: 2, maxDuration: 3m} (default {}).
    syncWaveOrder: Application name globs in the order they must sync; an item may be a
        list of globs that share one place, e.g.
        [[cert-manager, metallb], "plate-cache-*", "plate-api-*", "plate-web-*"]. Among the
        children of one app-of-apps (those of its directory, and those its render generates,
        a chart or a kustomization of Applications), an Application matching a later item
        needs a higher sync wave than every one matching an earlier item (default [] = no
        order).
    instances: Argo CD instance -> globs of the repository-relative files of the
        Applications it applies, for a repository that serves several Argo CDs (each cluster
        its own), e.g. {home: ["clusters/home/**"], lab: ["clusters/lab/**"]}; an Application
        a render generates belongs where the file of its first parent does. Applications of
        two instances may share names and deploy the same resources (two clusters); default
        {} = one Argo CD.

Passes:
    ``path: helm/applications/plate-web`` with ``valueFiles: [values-prod.yaml]`` both
    present; ``targetRevision: 1.14.4`` for a remote chart; every app file under the
    app-of-apps path.

Fails:
    ``path: ../other-repo/chart`` -> ``source path "../other-repo/chart" leaves the
    repository``; a file in ``environments/argocd/apps/`` no app-of-apps reaches;
    ``targetRevision: "*"`` for a remote chart; ``ConfigMap/settings`` in namespace ``tools``
    deployed by both ``cache`` and ``queue``.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from platecheck.appset import (
    TEMPLATE_ACTION,
    PathGlob,
    any_value_action,
    git_file_globs,
    go_action_unfilled,
    template_path_globs,
)
from platecheck.argocd_env import CONTROL_PLANE
from platecheck.discover import raw_at, source_key
from platecheck.errors import PlatecheckError
from platecheck.generated import as_written
from platecheck.globs import matches_any, regexp_list_match, under_any
from platecheck.helmargs import valid_namespace
from platecheck.manifest_lines import kind_pattern, list_item, template_walk
from platecheck.manifests import DirectoryOptions
from platecheck.model import (
    AppChild,
    Application,
    Finding,
    KeyPath,
    RenderedTarget,
    RenderTarget,
    RepoModel,
    Resource,
    Source,
    SourceType,
)
from platecheck.options import OptionError, OptionValueError, PolicyOptions, option
from platecheck.projects import IN_CLUSTER, cluster_servers
from platecheck.repourl import git_repo_urls, is_root_path, normalized, this_repository
from platecheck.scopes import cluster_scoped, crd_scopes, namespaced
from platecheck.semver import EXACT_VERSION
from platecheck.sourcecheck import path_remedy
from platecheck.yamlio import type_name

ID = "argocd-application"
SUMMARY = "Applications are valid, stay inside the repository, are reachable and pinned"
SCOPE = "repo"
REMEDIATION = "Fix the Application manifest at this line."

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
HOOK_WEIGHT = "helm.sh/hook-weight"  # the wave of a resource without a sync-wave
SOURCE_REMEDY = ("Set the source's path (\".\" for the repository's root directory) or, for "
                 "a chart of a Helm repository, its chart.")
_ROOTS_SHOWN = 5  # roots a "not reachable" message names; its detail names every one
_REF_KEY_REMEDY = ("Give each source's ref a name of its own, of letters, digits, '_' and "
                   "'-' only, and name it so in the value files ($name/...).")
# a parameter an ApplicationSet's template names and its generator does not set, as the
# Application gets it: fasttemplate's tag as written, Go's no value
_UNFILLED = re.compile(r"\{\{[^{}]*\}\}|<no value>")
DESTINATION_REMEDY = ("Set one of spec.destination.server (the cluster's API server URL) and "
                      "spec.destination.name (the cluster's name in Argo CD), not both.")
_URL_REMEDY = ("Argo CD fetches this value file when it syncs (an http(s) URL, or a scheme "
               "such as helm-secrets' that argocd-cm's helm.valuesFileSchemes allows); "
               "platecheck renders offline and cannot read it, so the Application stays "
               "unchecked: name a values file of this repository if that is what is meant.")
_REF_REMEDY = ("Name a source of spec.sources by its ref exactly ($<ref>/...), one that has "
               "no chart, with the same targetRevision as other refs to its repository.")


def check(repo: RepoModel, options: PolicyOptions[Options]) -> Iterator[Finding]:
    apps = _unique_apps(repo)
    targets: dict[tuple[str, int, str, str], tuple[str, str]] = {}
    for target in repo.targets:
        if target.application is not None:
            key = _where(target.application)
            targets.setdefault(key, (target.environment, target.id))
    # an Application in no configured environment has no environment namespace to match
    unclassified = {_where(t.application) for t in repo.targets
                    if t.unclassified and t.application is not None}
    checker = _Checker(repo, options, targets)
    # an app-of-apps deploys Applications, which live where Argo CD reads them, whatever
    # the environment of the workloads they deploy
    app_of_apps = {(a.file, a.line) for a in repo.app_of_apps} | {
        parent for parent, _ in repo.generated_links} | {
        link.parent for link in repo.app_children if link.child != link.parent}
    # a Kustomize app-of-apps renders an Application file discovery found too: one manifest
    found = {_manifest(app) for app in apps}
    # one rendered twice alike (a self-managing app-of-apps chart rendering itself) is one
    unique: dict[tuple[str, int, str, str], Application] = {}
    for app in repo.generated:
        if _manifest(app) not in found:
            unique.setdefault(_where(app), app)
    generated = list(unique.values())
    checker.own_clusters([a for a in (*apps, *generated) if _where(a) not in unclassified
                          and (a.file, a.line) not in app_of_apps])
    schemed = {(app.file, app.line) for app in (*apps, *generated)}
    for app_set in (*_application_sets(repo), *repo.expanded_sets):
        if (app_set.file, app_set.line) not in schemed:
            schemed.add((app_set.file, app_set.line))
            yield from checker.schema(app_set)
    for app in (*apps, *generated):
        env = targets.get(_where(app), (None, None))[0]
        opts = options.for_env(env)
        yield from checker.schema(app)
        yield from checker.destination(app)
        yield from checker.sources(app)
        if _where(app) not in unclassified and (app.file, app.line) not in app_of_apps \
                and not checker.remote_app_of_apps(app):
            yield from checker.namespace(app, env, opts)
        yield from checker.sync_policy(app, env, opts)
    yield from _hydrated_alike([a for a in (*apps, *generated) if a.kind == "Application"
                                and (a.file, a.line) not in checker.undeployed], checker)
    yield from _refused_namespaces(repo, checker)
    yield from _unwatched(repo, checker)
    yield from _go_actions_unfilled(repo, checker)
    # an ApplicationSet written in a file (not expanded) is reached or a root, as an
    # app-of-apps is
    unreachable = list(checker.reachability(
        [*apps, *(s for s in _application_sets(repo) if s.deployed_by is None)]))
    # an Application Argo CD never deploys takes no name from another
    yield from checker.unique_names([app for app in (*apps, *generated, *_application_sets(repo),
                                                     *_reached_sets(repo, checker.undeployed))
                                     if (app.file, app.line) not in checker.undeployed])
    yield from checker.managed_twice()
    # an Application Argo CD never deploys shares no resource with another
    yield from shared_resources(repo, checker.undeployed,
                                identified=bool(checker.repo_urls or checker.own),
                                instance=checker.instance, hint=not checker.instances)
    yield from unreachable


_SYNC_SOURCE = ("spec", "sourceHydrator", "syncSource")
_SYNC_PATH = re.compile(r"^.{2,}|[^./]$")  # the Application CRD's pattern of its path


def _hydrated_alike(apps: Sequence[Application], checker: _Checker) -> Iterator[Finding]:
    """An Application of a source hydrator that hydrates to the repository root (``path``
    ``./``, ``a/..``), or to the place another of its hydration (one dry source and revision,
    one branch of one repository) hydrates to: Argo CD's hydrator refuses it (and of two
    alike, both; ``validateApplications``: "hydrate to the repository root", "uses the same
    destination"), so it is never hydrated nor synced."""
    first: dict[tuple[str, ...], Application] = {}
    for app in apps:
        place = _hydration(app)
        if place is None:
            continue
        if posixpath.normpath(place[-1] or ".") in (".", "/"):
            if not _SYNC_PATH.search(place[-1]):
                continue  # (the Application schema refuses it: ".", "/")
            yield checker.finding(app, (*_SYNC_SOURCE, "path"), (
                f"source hydrator hydrates to the repository root (path {place[-1]!r}): Argo "
                "CD's hydrator refuses it, so the Application is never hydrated nor synced"),
                "Set spec.sourceHydrator.syncSource.path to a directory of its own.")
            continue
        other = first.setdefault(place, app)
        if other is not app:
            for one, two in ((app, other), (other, app)):
                yield checker.finding(one, (*_SYNC_SOURCE, "path"), (
                    f"source hydrator hydrates to the place Application {two.name} hydrates "
                    f"to (branch {place[3]!r} of {place[2]}, path {place[4]!r}): Argo CD's "
                    "hydrator refuses both, so neither is hydrated nor synced"),
                    "Give each Application its own spec.sourceHydrator.syncSource.path.")


def _hydration(app: Application) -> tuple[str, ...] | None:
    """Of an Application with a source hydrator: its dry source's repository and revision,
    and where it hydrates to (``GetHydrateToSource``: the sync source's repository, else the
    dry source's; ``hydrateTo``'s branch, else the sync source's; the sync source's path)."""
    hydrator = raw_at(app.raw, _SYNC_SOURCE[:-1])
    dry, sync = hydrator.get("drySource"), hydrator.get("syncSource")
    if not isinstance(dry, Mapping) or not isinstance(sync, Mapping):
        return None
    to = hydrator.get("hydrateTo")
    branch = to.get("targetBranch") if isinstance(to, Mapping) else sync.get("targetBranch")
    return tuple(str(v or "") for v in (dry.get("repoURL"), dry.get("targetRevision"),
                                         sync.get("repoURL") or dry.get("repoURL"), branch,
                                         sync.get("path")))


def _refused_namespaces(repo: RepoModel, checker: _Checker) -> Iterator[Finding]:
    """A destination namespace the API server refuses (not a DNS-1123 label: an
    ApplicationSet's parameter no element sets stays ``{{values.ns}}``) where a resource
    rendered names no namespace of its own: Argo CD cannot apply it. (A Helm source's is
    refused before helm renders it.)"""
    for rendered in repo.rendered:
        app = rendered.target.application
        if app is None or valid_namespace(_destination(rendered.target)):
            continue
        bare = [f"{r.kind}/{r.name}" for r in _unplaced(rendered)]
        if bare:
            which = (f"{bare[0]} and {len(bare) - 1} more, which name no namespace of their "
                     "own" if len(bare) > 1 else f"{bare[0]}, which names no namespace of its own")
            yield checker.finding(
                app, ("spec", "destination", "namespace"),
                f"destination namespace {_destination(rendered.target)!r} is not a valid namespace "
                f"name (a DNS-1123 label): Argo CD cannot apply {which}",
                "Set spec.destination.namespace to a namespace name (lowercase letters, digits "
                "and '-', at most 63 characters).")


def _unplaced(rendered: RenderedTarget) -> list[Resource]:
    """The namespaced resources of a render that name no namespace of their own (of a kind
    whose scope is known: a custom kind whose CRD comes from elsewhere may be
    cluster-scoped): Argo CD applies them in the destination namespace."""
    crds = crd_scopes(rendered.crd_schemas.values())
    return [r for r in rendered.resources
            if not r.namespace and namespaced(r.api_version, r.kind, crds)]


def _go_actions_unfilled(repo: RepoModel, checker: _Checker) -> Iterator[Finding]:
    """A Go template action in a naming field of an ApplicationSet without ``goTemplate``:
    fasttemplate leaves it as written, so what is wrong with the Applications it makes (an
    invalid name, a missing path) has this cause."""
    seen: set[tuple[str, int]] = set()
    for app_set in (*repo.expanded_sets, *_application_sets(repo)):
        spec = app_set.raw.get("spec")
        unfilled = go_action_unfilled(spec) if isinstance(spec, Mapping) else None
        if unfilled is None or (app_set.file, app_set.line) in seen:
            continue
        seen.add((app_set.file, app_set.line))
        path, action = unfilled
        yield checker.finding(
            app_set, ("spec", "template", *path),
            f"template {'.'.join(map(str, path))} holds the Go template action {action!r}, "
            "but the ApplicationSet has no goTemplate: true: Argo CD's fasttemplate leaves "
            "it as written in every Application it makes",
            "Set spec.goTemplate: true (with goTemplateOptions: [\"missingkey=error\"]), or "
            "write the parameter as fasttemplate names it (e.g. {{path.basename}}).")


# a namespace named as another Argo CD instance's (a tenant's ``team-argocd``)
_INSTANCE_NAMESPACE = re.compile(r"argo|gitops")


def _unwatched(repo: RepoModel, checker: _Checker) -> Iterator[Finding]:
    """An Application an app-of-apps deploys that names no namespace goes to its parent's
    destination namespace (``NormalizeTargetObjects``); Argo CD reconciles Applications in
    its own namespace only (``argocd``, ``openshift-gitops``, one a root Application of the
    repository is in, one the repository installs Argo CD in, or one named as another
    instance's: ``argo`` or ``gitops`` in its name), or in one its ``application.namespaces``
    allows that the Application's project lists in ``sourceNamespaces``: one elsewhere is
    never deployed.
    Nothing is said of a project the repository does not define (but ``default``, which
    lists none)."""
    places = {(a.file, a.line): a for a in (*repo.applications, *repo.generated)}
    control = {*CONTROL_PLANE, *(a.namespace for a in repo.applications
                                 if a.deployed_by is None and a.namespace),
               *(namespace for _, namespace in checker.installs)}
    seen: set[tuple[str, int]] = set()
    for parent_key, child_key in [*((c.parent, c.child) for c in repo.app_children
                                    if not c.assumed), *repo.generated_links]:
        parent, child = places.get(parent_key), places.get(child_key)
        if parent is None or child is None or child.kind != "Application" \
                or child_key in seen or parent_key == child_key:
            continue
        metadata = child.raw.get("metadata")
        namespace = parent.destination_namespace
        if isinstance(metadata, Mapping) and metadata.get("namespace") or not namespace \
                or namespace in control or _INSTANCE_NAMESPACE.search(namespace):
            continue
        project = child.project or "default"
        defined = [p for p in repo.projects if p.name == project]
        listed = [glob for p in defined for glob in p.spec.get("sourceNamespaces") or ()
                  if isinstance(glob, str)]
        if (defined or project == "default") and not regexp_list_match(listed, namespace):
            seen.add(child_key)
            yield checker.finding(
                child, ("metadata",),
                f"names no namespace, so Argo CD creates it in {parent.name}'s destination "
                f"namespace {namespace!r}, where Argo CD reconciles no Application: project "
                f"{project} lists no such namespace in sourceNamespaces",
                f"Give it metadata.namespace: {sorted(control)[0]} (Argo CD's namespace), "
                "or allow the namespace in argocd-cmd-params-cm's application.namespaces and "
                "in the project's sourceNamespaces.")


def _argocd_installs(repo: RepoModel) -> list[tuple[Application | None, str]]:
    """The Applications (None: a chart linted directly) that install Argo CD, each with the
    namespace its controller reconciles Applications in: one rendering its ``argocd-cm``
    ConfigMap (there), or deploying the ``argo-cd`` chart (to its destination)."""
    found = [(rendered.target.application, resource.namespace or _destination(rendered.target))
             for rendered in repo.rendered for resource in rendered.resources
             if resource.kind == "ConfigMap" and resource.name == "argocd-cm"
             and resource.api_version == "v1"]
    return found + [(app, app.destination_namespace)
                    for app in (*repo.applications, *repo.generated)
                    if app.destination_namespace and any(
                        source.chart == "argo-cd" for source in app.sources)]


def _destination(target: RenderTarget) -> str:
    """The namespace Argo CD gives a rendered resource that names none: the Application's
    destination namespace (``NormalizeTargetObjects`` in controller/state.go), whatever
    ``helm.namespace`` told helm, and with none the API server's ``default``; a chart
    rendered with no Application, its release's."""
    app = target.application
    return target.namespace if app is None else app.destination_namespace or "default"


def _reached_sets(repo: RepoModel, undeployed: set[tuple[str, int]]) -> list[Application]:
    """The ApplicationSets of a plain list (expanded) of which some Application is deployed,
    or that make none (an empty list): each is one object in Argo CD, of a name no other may
    use."""
    making = {(app.file, app.set_line) for app in repo.applications if app.set_line is not None}
    lines = {(app.file, app.set_line) for app in repo.applications
             if app.set_line is not None and (app.file, app.line) not in undeployed}
    return [s for s in repo.expanded_sets
            if (s.file, s.line) in lines or (s.file, s.line) not in making]


_SCHEMES = frozenset({"http", "https", "ssh", "git"})


def _scheme_twice(url: str) -> str | None:
    """The host of a repoURL that writes its scheme twice (``https://https://github.com/...``
    is the host ``https``), else None."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    return host if parts.scheme.lower() in _SCHEMES and host in _SCHEMES else None


def _recurses(source: Source) -> bool:
    """Whether a directory source reads its subdirectories (``directory.recurse: true``)."""
    return DirectoryOptions.of({"directory": source.directory}).recurse


def _path_globs(app_set: Application, path: str) -> list[PathGlob]:
    """The directories an ApplicationSet's template ``path`` may name
    (``template_path_globs``); a parameter's ``*`` any names, ``/`` included
    (``any_value_action``: a list element's value may name a nested directory)."""
    globs = template_path_globs(app_set.raw, path)
    if any_value_action(app_set.raw, path):
        return [PathGlob(glob.pattern, True) for glob in globs]
    return globs


def _in_directory(file: str, globs: Sequence[PathGlob], options: DirectoryOptions,
                  excluded: Sequence[PathGlob] = ()) -> bool:
    """Whether a directory source at one of ``globs``, not at one of ``excluded``, reads
    ``file``: in that directory (or below it, recursing), as its include and exclude
    choose."""
    path = PurePosixPath(file)
    for place in path.parents if options.recurse else [path.parent]:
        if not any(glob.matches(str(place)) for glob in globs) or any(
                glob.matches(str(place)) for glob in excluded):
            continue
        if options.chooses(file if str(place) == "." else path.relative_to(place).as_posix()):
            return True
    return False


def _where(app: Application) -> tuple[str, int, str, str]:
    """An Application by where it is written, its name and its document: two of one name in
    one file are two (each its own target), as are two renders of one template line that
    write it differently (a chart rendered for two environments)."""
    return app.file, app.line, app.name, app.document


def _manifest(app: Application) -> tuple[str, str, str]:
    """An Application as a file defines it: the same one, discovered or rendered from it
    (a Kustomize source may put it in the kustomization's namespace)."""
    return as_written(app)


def _one_manifest(written: Application | None, rendered: Sequence[Application],
                  parents: Sequence[tuple[str, int]]
                  ) -> Iterator[tuple[Application, Sequence[tuple[str, int]]]]:
    """The Applications one place (a file's document, or a template line) stands for, each
    with the parents that deploy it: a written one, with every parent whose directory holds
    it; a template line's renders, one per name (a ``range`` writes several Applications at
    one line), each with the parents whose render made it, when they render it alike (two
    renders that differ are two Applications of one name, said so already)."""
    if written is not None:
        yield written, parents
        return
    by_name: dict[tuple[str | None, str, str], list[Application]] = {}
    for app in rendered:
        by_name.setdefault((app.namespace, app.kind, app.name), []).append(app)
    for apps in by_name.values():
        if len({json.dumps(app.raw, sort_keys=True, default=str) for app in apps}) > 1:
            continue
        yield apps[0], parents if len(by_name) == 1 else [
            app.made_by for app in apps if app.made_by is not None]


def _application_sets(repo: RepoModel) -> list[Application]:
    """The ApplicationSets, written and generated, that are targets (not rendered)."""
    return [t.application for t in repo.targets
            if t.application is not None and t.application.kind == "ApplicationSet"]


def _unique_apps(repo: RepoModel) -> list[Application]:
    seen: dict[tuple[str, int], Application] = {}
    for app in (*repo.app_of_apps, *repo.applications):
        seen.setdefault((app.file, app.line), app)
    return sorted(seen.values(), key=lambda a: (a.file, a.line))


def _holding(apps: Sequence[Application], place: tuple[str, int]) -> Application | None:
    """The Application (or ApplicationSet) of ``apps`` whose document in its file holds the
    line ``place``: the written file of an ApplicationSet a render generated."""
    file, line = place
    before = [a for a in apps if a.file == file and a.line <= line]
    return max(before, key=lambda a: a.line) if before else None


def _closed_rings(unreached: Sequence[Application], edges: Mapping[int, list[Application]]
                  ) -> list[Application]:
    """The app-of-apps of ``unreached`` that lie on a ring of app-of-apps (each deploys the
    next, the last the first) that no other of them deploys: one of the ring was applied by
    hand and deploys the rest, which one is not known, so each is a root."""
    within = {id(a) for a in unreached}

    def reach(start: Application) -> set[int]:
        seen: set[int] = set()
        queue = [start]
        while queue:
            for child in edges.get(id(queue.pop()), []):
                if id(child) in within and id(child) not in seen:
                    seen.add(id(child))
                    queue.append(child)
        return seen

    reaches = {id(a): reach(a) for a in unreached}
    rings = []
    for app in unreached:
        ring = {i for i in reaches[id(app)] if id(app) in reaches[i]}
        entered = any(id(app) in reaches[id(other)] for other in unreached
                      if id(other) not in ring)
        if id(app) in ring and not entered:
            rings.append(app)
    return rings


class _Checker:
    def __init__(self, repo: RepoModel, options: PolicyOptions[Options],
                 targets: Mapping[tuple[str, int, str, str], tuple[str, str]]) -> None:
        self.repo = repo
        self.root = repo.root
        self.options = options
        self.targets = targets  # _where(app) -> (environment, target id)
        self.repo_urls = options.default.repo_urls
        self.own = repo.own_repo_urls
        self.instances = options.default.instances
        # the environment's own match rules say which namespaces belong to it
        self.env_namespaces = {e.name: list(e.namespaces) for e in repo.environments}
        self.env_paths = {e.name: e.paths for e in repo.environments}
        # the Applications reachability finds no app-of-apps deploys: file and line
        self.undeployed: set[tuple[str, int]] = set()
        # the environments of the Applications deploying to each cluster (``own_clusters``),
        # and the servers of the clusters the repository's cluster Secrets name
        self.cluster_envs: dict[str, set[str]] = {}
        self.servers: dict[str, str] = {}

    @functools.cached_property
    def installs(self) -> list[tuple[Application | None, str]]:
        """The Applications that install Argo CD, with its namespace (``_argocd_installs``)."""
        return _argocd_installs(self.repo)

    def own_clusters(self, apps: Sequence[Application]) -> None:
        """Which environments' Applications of ``apps`` deploy to each cluster."""
        self.servers = dict(cluster_servers(resource for rendered in self.repo.rendered
                                            for resource in rendered.resources))
        for app in apps:
            env = self.targets.get(_where(app), (None, None))[0]
            if env is not None:
                self.cluster_envs.setdefault(_cluster(app, self.servers), set()).add(env)

    def _alone_on_cluster(self, app: Application, env: str) -> bool:
        """Whether ``app``'s cluster is its environment's alone while another environment
        deploys to others: a cluster of its own, where no namespace need say it."""
        return self.cluster_envs.get(_cluster(app, self.servers)) == {env} and any(
            envs - {env} for envs in self.cluster_envs.values())

    def finding(self, app: Application, path: KeyPath, message: str,
                remediation: str = REMEDIATION, env: str | None = None) -> Finding:
        # one of no target (a child that could not be planned), or of an environment this
        # run has no target of, is still of its environment (``--env`` leaves it out)
        known = self.repo.known_environment(app)
        environment, target = self.targets.get(_where(app), (env or known, None))
        origin = app.origin(path)
        kind = app.kind
        return Finding(policy=ID, message=f"{kind} {app.name}: {message}",
                       file=origin.file, line=origin.line, environment=environment,
                       target=target, resource=f"{kind}/{app.name}",
                       remediation=remediation)

    def name_remedy(self, kind: str = "Application") -> str:
        """What to do about a name two Applications (or ApplicationSets) use; while no
        ``instances`` are set, how a repository of several Argo CDs says which applies
        which."""
        remedy = NAME_REMEDY.format(kind=kind)
        return remedy if self.instances else remedy + INSTANCES_HINT.format(what="names")

    def instance(self, app: Application) -> str | None:
        """The Argo CD instance that applies ``app`` (``instances``: the first whose globs
        match its file, or the file of what rendered its first parent); None: the one."""
        file = app.deployed_by or app.file
        return next((name for name, globs in self.instances.items()
                     if matches_any(file, globs)), None)

    # -- schema -----------------------------------------------------------------------------

    def schema(self, app: Application) -> Iterator[Finding]:
        """Where planning found the schema of its kind rejects it (a missing ``repoURL``
        that not-rendered reports is its: ``ownership``)."""
        page = "operator-manual/applicationset/" if app.kind == "ApplicationSet" else \
            "user-guide/application-specification/"
        for path, text in app.schema_problems:
            yield self.finding(app, path, text, "Fix the field: see "
                               f"https://argo-cd.readthedocs.io/en/stable/{page}")

    def destination(self, app: Application) -> Iterator[Finding]:
        """A destination of both a server and a cluster name, or of neither: Argo CD refuses
        the Application before it renders it (util/argo ``GetDestinationServer``; the
        ApplicationSet controller creates no such Application). One with no destination
        at all the Application schema reports."""
        spec = app.raw.get("spec")
        written = spec.get("destination") if isinstance(spec, dict) else None
        if app.kind != "Application" or not isinstance(written, dict):
            return
        server, name = (written.get(key) for key in ("server", "name"))
        if server and name:
            yield self.finding(app, ("spec", "destination"),
                               f"destination has both a name ({name}) and a server ({server}): "
                               "Argo CD refuses the Application (\"application destination "
                               "can't have both name and server defined\") and deploys nothing "
                               "of it", DESTINATION_REMEDY)
        elif not server and not name:
            yield self.finding(app, ("spec", "destination"),
                               "destination has neither a server nor a name: Argo CD refuses "
                               "the Application (\"Destination server missing from app "
                               "spec\") and deploys nothing of it", DESTINATION_REMEDY)
        elif app.set_name is not None:
            yield from self._unfilled_cluster(app, written)

    def _unfilled_cluster(self, app: Application, written: Mapping[str, Any]
                          ) -> Iterator[Finding]:
        """A destination server or cluster name of an Application an ApplicationSet makes
        that holds a parameter its generator did not fill (fasttemplate's tag as written,
        Go's ``<no value>``): no cluster has it, so the controller does not create the
        Application (``validateGeneratedApplications``: "application destination spec is
        invalid")."""
        for key in ("server", "name"):
            value = written.get(key)
            unfilled = _UNFILLED.search(value) if isinstance(value, str) else None
            if unfilled is not None:
                yield self.finding(
                    app, ("spec", "destination", key),
                    f"destination {key} {value!r} keeps {unfilled.group()!r}: the "
                    f"ApplicationSet {app.set_name}'s generator sets no such parameter, no "
                    f"cluster has this {key}, and Argo CD does not create the Application "
                    "(\"application destination spec is invalid\")",
                    "Set the parameter in every element of the generator, or write the "
                    "cluster's server URL or name.")

    # -- sources and value files ------------------------------------------------------------

    def _is_local(self, source: Source) -> bool:
        """Whether ``source`` reads this checkout's files: of this repository, at a revision
        that is this checkout (``RepoModel.checkout``)."""
        if source.chart or not source.path and not source.ref:
            return False
        checkout = self.repo.checkout
        return this_repository(source.repo_url, self.repo_urls, self.own) and (
            checkout is None or checkout.holds(source.target_revision))

    def sources(self, app: Application) -> Iterator[Finding]:
        """Remote charts pinned; the problems planning found with the paths and value files
        of this repository's sources (``Application.source_problems``)."""
        for index, source in enumerate(app.sources):
            if source.chart:
                yield from self._pinned(app, source, source_key(app, index))
            twice = _scheme_twice(source.repo_url)
            if twice is not None:
                yield self.finding(app, (*source_key(app, index), "repoURL"), (
                    f"repoURL {source.repo_url!r} writes its scheme twice: its host is "
                    f"{twice!r}, which Argo CD cannot reach, so it deploys nothing of it"),
                    "Write the repoURL with one scheme, e.g. https://github.com/org/repo.git.")
        refs = {s.ref: s for s in app.sources if s.ref}
        for problem in app.source_problems:
            if problem.kind in ("source", "ref", "ref-key"):  # whatever repository it names
                yield self.finding(app, problem.key, problem.message, {
                    "source": SOURCE_REMEDY, "ref": _REF_REMEDY}.get(problem.kind,
                                                                     _REF_KEY_REMEDY))
                continue
            # a value file of another source ($ref/...) is as local as that source (a remote
            # chart's may be a file of this repository)
            if not self._is_local(app.sources[problem.source] if problem.ref is None
                                  else refs[problem.ref]):
                continue
            through = app.sources[problem.source] if problem.ref is None else refs[problem.ref]
            yield self.finding(app, problem.key, problem.message, _URL_REMEDY
                               if problem.kind != "path" and " URL" in problem.message
                               else path_remedy(problem.message, through.repo_url,
                                                self.repo_urls, self.own,
                                                value_file=problem.kind != "path"))

    def _pinned(self, app: Application, source: Source, prefix: KeyPath) -> Iterator[Finding]:
        revision = (source.target_revision or "").strip()
        path: KeyPath = (*prefix, "targetRevision")
        remedy = ("Pin the chart to one exact version, e.g. targetRevision: 1.14.4, and "
                  "upgrade it with a commit.")
        if not revision:  # (util/argo validateSourcePermissions)
            yield self.finding(app, prefix, f"remote chart {source.chart!r} has no "
                               "targetRevision: Argo CD refuses the Application, which "
                               "requires one for a chart", remedy)
        elif not EXACT_VERSION.fullmatch(revision):
            yield self.finding(app, path, f"remote chart {source.chart!r} targetRevision "
                               f"{revision!r} is not a pinned version", remedy)

    # -- environment ------------------------------------------------------------------------

    def namespace(self, app: Application, env: str | None,
                  opts: Options) -> Iterator[Finding]:
        if env is None or app.inherited_environment is not None:
            return  # (its namespace did not say its environment: its parent's did)
        if not opts.namespaces.get(env) and self._alone_on_cluster(app, env):
            return  # (its cluster is its environment's alone: whatever namespace)
        globs = list(opts.namespaces.get(env) or self.env_namespaces.get(env) or [])
        if not globs and under_any(app.file, self.env_paths.get(env, ())):
            return  # (its directory said its environment: a cluster's, whatever namespace)
        globs = globs or [f"*-{env}", env]
        namespace = app.destination_namespace
        path: KeyPath = ("spec", "destination", "namespace")
        if not namespace:
            if self._needs_namespace(app):
                yield self.finding(app, ("spec", "destination"), f"has no destination "
                                   f"namespace (environment {env} expects {', '.join(globs)})",
                                   "Set spec.destination.namespace.", env)
        elif not matches_any(namespace, globs):
            yield self.finding(app, path, f"destination namespace {namespace!r} does not match "
                               f"environment {env} ({', '.join(globs)})",
                               "Deploy to the environment's namespace, or fix the Application's "
                               "environment label/name; where this environment's "
                               "Applications deploy to namespaces of other names (a "
                               "component's own: kyverno, monitoring), list those globs in "
                               f"argocd-application's namespaces option under {env} (\"*\" "
                               "accepts any).", env)

    def _needs_namespace(self, app: Application) -> bool:
        """Whether what ``app`` deploys needs a destination namespace: a namespaced resource
        of its renders names none of its own, or it was not rendered (what it deploys is not
        known); one of cluster-scoped resources alone (a ClusterRole, a MachineConfig) or of
        resources naming their own needs none, and Argo CD takes it without one."""
        renders = [r for r in self.repo.rendered if r.target.application is not None
                   and _where(r.target.application) == _where(app)]
        return not renders or any(_unplaced(rendered) for rendered in renders)

    def sync_policy(self, app: Application, env: str | None,
                    opts: Options) -> Iterator[Finding]:
        policy = app.sync_policy if isinstance(app.sync_policy, Mapping) else {}
        base: KeyPath = ("spec", "syncPolicy")
        automated = policy.get("automated")
        if opts.require_automated and (not isinstance(automated, Mapping)
                                       or automated.get("enabled") is False):
            yield self.finding(app, base, "sync policy is not automated",
                               "Add spec.syncPolicy.automated (prune/selfHeal as needed).", env)
        limits = opts.retry_limit
        backoff_wanted = opts.backoff
        if limits is None and not backoff_wanted:
            return
        retry = policy.get("retry")
        if not isinstance(retry, Mapping):
            yield self.finding(app, base, "sync policy has no retry",
                               "Add spec.syncPolicy.retry with limit and backoff.", env)
            return
        if limits is not None:
            yield from self._retry_limit(app, retry.get("limit"), limits, env)
        backoff = retry.get("backoff")
        if not isinstance(backoff, Mapping):
            backoff = {}
        for key, wanted in backoff_wanted.items():
            actual = backoff.get(key)
            if actual is None or str(actual) != str(wanted):
                yield self.finding(app, (*base, "retry", "backoff", key),
                                   f"retry backoff {key} is {_shown(actual)}, expected "
                                   f"{wanted}", f"Set spec.syncPolicy.retry.backoff.{key}: "
                                   f"{wanted}.", env)

    def _retry_limit(self, app: Application, limit: Any, limits: tuple[int, int | None],
                     env: str | None) -> Iterator[Finding]:
        low, high = limits
        wanted = f"{low}" if high == low else f"at least {low}" + (
            f" and at most {high}" if high is not None else "")
        path: KeyPath = ("spec", "syncPolicy", "retry", "limit")
        if isinstance(limit, bool) or not isinstance(limit, int):
            yield self.finding(app, path, f"retry limit is {_shown(limit)}, expected {wanted}",
                               f"Set spec.syncPolicy.retry.limit to {wanted}.", env)
        elif limit < 0 and high is not None or 0 <= limit < low or (
                high is not None and limit > high):
            # a negative limit retries forever: enough for any minimum, too many for a maximum
            yield self.finding(app, path, f"retry limit {limit} is not {wanted}",
                               f"Set spec.syncPolicy.retry.limit to {wanted}.", env)

    # -- names, reachability and waves --------------------------------------------------------

    def unique_names(self, apps: Sequence[Application]) -> Iterator[Finding]:
        """One finding per Application that reuses a name; the same Application rendered
        twice alike (two renders of one app-of-apps chart) is one Application, and the
        different ones one template line renders are one finding there."""
        first: dict[tuple[str, str, str], Application] = {}
        # each manifest's written lines: a render of a written file is that file's document,
        # but two documents of a file written alike are two (Argo CD warns of the repeat);
        # a file a render wrote in the namespace a kustomization gives is in that one (two
        # overlays of two namespaces, two objects)
        seen: dict[tuple[tuple[str, str, str], str], set[int]] = {}
        placed = {(r.template_file, r.kind, r.name): r.namespace for rendered in self.repo.rendered
                  for r in rendered.resources if r.kind in ("Application", "ApplicationSet")
                  and r.template_file and r.namespace}
        same_place: dict[tuple[str, str, str], tuple[Application, int]] = {}
        for app in apps:
            manifest = _manifest(app)
            namespace = placed.get((app.file, app.kind, app.name), app.namespace) \
                if app.deployed_by is None else app.namespace
            # two Argo CD instances (two clusters' own) each have their Applications, and so
            # has each environment's install of a chart linted in chart mode; an
            # ApplicationSet and an Application of one name are two resources
            key = (self.instance(app) or app.installed_in or "", namespace or "",
                   f"{app.kind}/{app.name}")
            lines = seen.setdefault((manifest, namespace or ""), set())
            if lines and (app.deployed_by is not None or app.line in lines):
                continue
            lines.add(app.line)
            if key not in first:
                first[key] = app
                continue
            if self._manages_itself(first[key], app):
                continue
            other = first[key].origin(("metadata", "name"))
            here = app.origin(("metadata", "name"))
            if (here.file, here.line) == (other.file, other.line):
                same_place[key] = (first[key], same_place.get(key, (app, 0))[1] + 1)
                continue
            yield self.finding(app, ("metadata", "name"),
                               f"name is also used by {other.file}:{other.line}",
                               self.name_remedy(app.kind))
        for app, count in same_place.values():
            where = app.origin(("metadata", "name"))
            yield self.finding(app, ("metadata", "name"), (
                f"{count + 1} different {app.kind}s of this name are rendered from "
                f"{where.file}:{where.line} (its renders write them differently: for "
                "different environments or parents, or through a function whose output "
                "changes from one render to the next, such as randAlpha or now)"),
                self.name_remedy(app.kind))

    def _manages_itself(self, one: Application, other: Application) -> bool:
        """Whether ``one`` and ``other`` are an app-of-apps and the copy of it, written alike,
        in a directory it deploys: once applied, the one Application manages itself."""
        if as_written(one)[1:] != as_written(other)[1:]:
            return False
        places = {(one.file, one.line), (other.file, other.line)}
        return any({link.parent, link.child} == places for link in self.repo.app_children)

    def managed_twice(self) -> Iterator[Finding]:
        """An Application (or ApplicationSet) that two app-of-apps of one Argo CD deploy as
        one manifest: a file in both their source directories (not a plugin's: it may not
        output the file), or one that their charts render alike. Each parent manages it (its
        tracking label), so their syncs take it from each other, and deleting either parent
        deletes it. One finding, at its name."""
        repo = self.repo
        written = {(a.file, a.line): a for a in (*repo.app_of_apps, *repo.applications,
                                                 *_application_sets(repo))}
        rendered: dict[tuple[str, int], list[Application]] = {}
        for app in repo.generated:
            rendered.setdefault((app.file, app.line), []).append(app)
        parents: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for link in repo.app_children:
            # (a source of another repository applies none of this one's files, and a set
            # not expanded only may deploy what its template's path may name)
            parent = written.get(link.parent)
            if link.child != link.parent and parent is not None and not link.assumed \
                    and parent.kind != "ApplicationSet" \
                    and link.source < len(parent.sources) \
                    and self._is_local(parent.sources[link.source]):
                parents.setdefault(link.child, []).append(link.parent)
        for link_parent, link_child in repo.generated_links:
            parents.setdefault(link_child, []).append(link_parent)
        for place, above in sorted(parents.items()):
            if place in self.undeployed:
                continue
            for child, its_parents in _one_manifest(written.get(place), rendered.get(place, []),
                                                    above):
                by_instance: dict[str | None, dict[tuple[str, str], Application]] = {}
                for parent in (written.get(p) or self._holding(rendered.get(p, []), child)
                               for p in dict.fromkeys(its_parents)):
                    if parent is not None and (parent.file, parent.line) not in self.undeployed:
                        by_instance.setdefault(self.instance(parent) or parent.installed_in, {}
                                               ).setdefault((parent.namespace or "",
                                                             parent.name), parent)
                both = next((list(found.values()) for found in by_instance.values()
                             if len(found) > 1), None)
                if both is not None:
                    # (two of one name: each known by its namespace)
                    first, second = (_named(a, both[0].name == both[1].name) for a in both)
                    yield self.finding(child, ("metadata", "name"), (
                        f"deployed by both Application {first} and Application "
                        f"{second}, each managing it: their syncs undo each other, and "
                        "deleting either deletes it"), TWICE_REMEDY + (
                            "" if self.instances else INSTANCES_HINT.format(what="Applications")))

    def _holding(self, made: Sequence[Application], child: Application) -> Application | None:
        """The one of the Applications ``made`` at one template line (an ApplicationSet's)
        whose directory source of this checkout holds ``child``'s file; None when not one."""
        holding = [app for app in made
                   if any(self._is_local(source) and (
                       (path := posixpath.normpath(source.path or ".")) == "."
                       or under_any(child.file, [path])) for source in app.sources)]
        return holding[0] if len(holding) == 1 else None

    def _at_other_revisions(self, apps: Sequence[Application]) -> set[tuple[str, int]]:
        """The Applications in a directory a source of this repository at another revision
        deploys (not its root: ``Planner.deploys_here``): that revision's files, which the
        checkout's stand for, may hold them, so none is said never deployed."""
        by_place = {(app.file, app.line): app for app in apps}
        return {link.child for link in self.repo.app_children
                if link.child != link.parent and (parent := by_place.get(link.parent))
                and link.source < len(parent.sources)
                and this_repository(parent.sources[link.source].repo_url, self.repo_urls,
                                    self.own)
                and not is_root_path(parent.sources[link.source].path)
                and not self._is_local(parent.sources[link.source])}

    def _children(self, parent: Application, apps: Sequence[Application]) -> list[Application]:
        """The Applications of ``apps`` that discovery found in the directory of one of the
        parent's sources of this repository."""
        by_key = {(app.file, app.line): app for app in apps}
        found = []
        for link in self.repo.app_children:
            if link.parent != (parent.file, parent.line) or link.child == link.parent:
                continue
            child = by_key.get(link.child)
            if child is not None and self._is_local(parent.sources[link.source]):
                found.append(child)
        return found

    def _generated_children(self, parent: Application) -> list[Application]:
        """The Applications the render of ``parent`` generated (a chart or a kustomization of
        Applications), as it generated them."""
        lines = {child for made_by, child in self.repo.generated_links
                 if made_by == (parent.file, parent.line)}
        # (one chart two parents render writes each one's at the same lines: by its root)
        root = parent.deployed_by or parent.file
        return [app for app in self.repo.generated
                if (app.file, app.line) in lines and app.deployed_by == root]

    def _holds_none(self, parent: Application, apps: Sequence[Application]) -> Finding:
        """An app-of-apps whose directory holds no Application: why, when its Applications
        lie in subdirectories it does not recurse into."""
        below = self._below(parent, apps)
        # its own file is in the directory, or below one that recurses
        itself = any(
            source.path is not None and not source.chart
            and PurePosixPath(source.path.strip("/") or ".") in (
                PurePosixPath(parent.file).parents if _recurses(source)
                else [PurePosixPath(parent.file).parent])
            for source in parent.sources)
        # at the path of the first source with Application files below it (or the first's)
        index = next((i for i, source in enumerate(parent.sources)
                      if self._below(parent, apps, source)), 0)
        return self.finding(
            parent, (*source_key(parent, index), "path"),
            "app-of-apps path holds no Application" + (" but itself" if itself else "") + (
                f"; {below} Application "
                f"{'file lies' if below == 1 else 'files lie'} in its subdirectories, which a "
                "directory source reads only with directory.recurse: true" if below else ""),
            "Set directory.recurse: true on the source, or point the app-of-apps at the "
            "directory of Application manifests." if below else
            "Point the app-of-apps at the directory of Application manifests.")

    @staticmethod
    def _below(parent: Application, apps: Sequence[Application],
               only: Source | None = None) -> int:
        """How many Application files lie in the subdirectories of the parent's directory
        sources (``only``: of that one) that do not recurse into them (the parent's own file
        not counted: recursing into it would have the Application deploy itself). A ``ref``
        source, there for other sources' value files, is no app-of-apps whatever its path
        renders."""
        files = set()
        for source in parent.sources if only is None else (only,):
            if source.chart or source.path is None or _recurses(source) or source.ref:
                continue
            top = PurePosixPath(source.path.strip("/") or ".")
            files |= {a.file for a in apps if top in PurePosixPath(a.file).parents[1:]
                      and a.file != parent.file}
        return len(files)

    def _holds_sets(self, parent: Application) -> bool:
        """Whether a directory of the parent's sources in this repository holds an
        ApplicationSet (discovery links those too; they are no Application of the model)."""
        sets = {(app.file, app.line) for app in _application_sets(self.repo)}
        return any(link.parent == (parent.file, parent.line) and link.child in sets
                   and self._is_local(parent.sources[link.source])
                   for link in self.repo.app_children)

    def _edges(self, children: Mapping[int, list[Application]], apps: Sequence[Application]
               ) -> dict[int, list[Application]]:
        """Who deploys whom: an app-of-apps its directory's Applications, and an Application
        whose render generates another (a Kustomize or Helm app-of-apps) that one, when
        discovery found its file too."""
        edges = {key: list(found) for key, found in children.items()}
        by_line = {(app.file, app.line): app for app in apps}
        by_manifest = {_manifest(app): app for app in apps}
        rendered: dict[tuple[str, int], list[Application]] = {}
        for app in self.repo.generated:  # a template line may write several (a range)
            rendered.setdefault((app.file, app.line), []).append(app)
            # a rendered one no written one stands for (its file's, changed by a Kustomize
            # patch, replaced it) is a step between what deploys it and what it generates
            by_line.setdefault((app.file, app.line), app)
        for parent_key, child_key in self.repo.generated_links:
            parent = by_line.get(parent_key)
            found = [by_manifest.get(_manifest(a), a) for a in rendered.get(child_key, ())] \
                if child_key in rendered else [_holding(apps, child_key)]  # a set's file
            for child in found:
                if parent is not None and child is not None and child is not parent:
                    edges.setdefault(id(parent), []).append(child)
        # (and a generated one's directory of Application files: a Kustomize build of it
        # that failed lists them)
        written = {(app.file, app.line): app for app in apps}
        links: dict[tuple[str, int], list[AppChild]] = {}
        for link in self.repo.app_children:
            if link.child != link.parent and link.child in written:
                links.setdefault(link.parent, []).append(link)
        for made in self.repo.generated:
            edges.setdefault(id(made), []).extend(
                written[link.child] for link in links.get((made.file, made.line), ())
                if link.source < len(made.sources)
                and self._is_local(made.sources[link.source]))
        for app_set in apps:
            if app_set.kind == "ApplicationSet":
                edges.setdefault(id(app_set), []).extend(self._set_children(app_set, apps))
        return edges

    def _set_children(self, app_set: Application, apps: Sequence[Application]
                      ) -> list[Application]:
        """The Applications of ``apps`` in a directory that a directory source of an
        ApplicationSet platecheck did not expand may name (its template's path, a template
        action any name, a git generator's path its directories' patterns), and those the
        kustomizations of such directories list: Argo CD deploys them through the
        Applications it generates."""
        found: list[Application] = []
        for source in app_set.sources:
            if source.chart or not source.path or not (
                    self._is_local(source) or TEMPLATE_ACTION.search(source.repo_url)):
                continue
            options = DirectoryOptions.of({"directory": source.directory})
            globs = _path_globs(app_set, source.path)
            excluded = template_path_globs(app_set.raw, source.path, excluded=True)
            found += [app for app in apps if app.kind == "Application"
                      and _in_directory(app.file, globs, options, excluded)]
        # and those the kustomizations of such directories list (the engine's links)
        linked = {link.child for link in self.repo.app_children
                  if link.parent == (app_set.file, app_set.line)}
        listed = {id(app) for app in found}
        return found + [app for app in apps if app.kind == "Application"
                        and (app.file, app.line) in linked and id(app) not in listed]

    def _read_as_parameters(self, apps: Sequence[Application]) -> set[int]:
        """The Applications of ``apps`` in files a git files generator of an ApplicationSet
        of this repository reads as its parameters (a set making an Application of each,
        their fields copied over): Argo CD applies no such file, it reads it."""
        sets = [*(a for a in apps if a.kind == "ApplicationSet"), *self.repo.expanded_sets]
        read = [glob for app_set in sets for url, glob in git_file_globs(app_set.raw.get("spec"))
                if this_repository(url, self.repo_urls, self.own)]
        return {id(app) for app in apps if app.kind == "Application"
                and any(glob.matches(app.file) for glob in read)} if read else set()

    def _failed_here(self) -> set[tuple[str, int]]:
        """The Applications (file, line) of this repository whose render failed (a
        could-not-check error): whether each generates Applications is not known, so one
        nothing reaches may be a root, applied by hand as an app-of-apps is."""
        rendered = {r.id for r in self.repo.rendered}
        failed = {e.target for e in self.repo.errors if e.target is not None}
        return {(t.application.file, t.application.line) for t in self.repo.targets
                if t.application is not None and t.rendered_here and t.id in failed
                and t.id not in rendered}

    def remote_app_of_apps(self, app: Application) -> bool:
        """Whether ``app`` deploys directories of other repositories alone into Argo CD's own
        namespace, its own: that repository's app-of-apps, whose Applications live there
        (what it holds is not known here, as for ``_remote_roots``)."""
        return app.destination_namespace is not None \
            and app.destination_namespace == app.namespace and self._other_directories(app)

    def _other_directories(self, app: Application) -> bool:
        """Whether every source of ``app`` (one at least) is a directory of another
        repository."""
        return bool(app.sources) and all(not s.chart and s.path and not self._is_local(s)
                                         for s in app.sources)

    def _remote_roots(self, apps: Sequence[Application], roots: Sequence[Application],
                      reached_by_other: set[int]) -> list[Application]:
        """The Applications beside a root, in a file of its directory, that no parent reaches
        and whose every source is a directory of another repository: each may be the
        app-of-apps of that repository (what it holds is not known here), applied as the
        root beside it is, so it is a root too, not an orphan."""
        places = {PurePosixPath(r.file).parent for r in roots}
        return [a for a in apps if id(a) not in reached_by_other
                and all(r is not a for r in roots) and PurePosixPath(a.file).parent in places
                and self._other_directories(a)]

    def _reached(self, apps: Sequence[Application], roots: Sequence[Application],
                 edges: Mapping[int, list[Application]]) -> set[int]:
        """What the roots deploy, and the Applications beside them in their files: whoever
        applies a root applies its whole file, and the whole of a kustomization no
        Application deploys that lists it (``kubectl apply -k``)."""
        root_files = {r.file for r in roots}
        for listed in self.repo.applied_together:
            if root_files.intersection(listed):
                root_files.update(listed)
        queue = [*roots, *(a for a in apps if a.file in root_files)]
        reached = {id(a) for a in queue}
        while queue:
            for child in edges.get(id(queue.pop()), []):
                if id(child) not in reached:
                    reached.add(id(child))
                    queue.append(child)
        return reached

    def reachability(self, apps: Sequence[Application]) -> Iterator[Finding]:
        # an app-of-apps of another repository deploys what that repository holds, which is
        # not known here (a directory of the same path here is not it)
        # an app-of-apps: one whose directory holds Applications, or one whose render (a
        # Kustomize or Helm source) generates Applications
        generating = {parent for parent, _ in self.repo.generated_links} | {
            link.parent for link in self.repo.app_children  # a build that failed too
            if link.child != link.parent}
        # (and one whose directory source applies nothing, but Application files lie below
        # it: an app-of-apps that does not recurse into them)
        empty = {(r.target.application.file, r.target.application.line)
                 for r in self.repo.rendered if r.target.application is not None
                 and r.target.source_type is SourceType.DIRECTORY and not r.resources}
        directories = [a for a in apps if any(a is p for p in self.repo.app_of_apps)
                       or ((a.file, a.line) in empty and self._below(a, apps))]
        parents = [a for a in apps if (any(a is p for p in directories)
                                       or (a.file, a.line) in generating)
                   and any(self._is_local(source) for source in a.sources)]
        # (Argo CD applies no file a set reads as its parameters)
        data = self._read_as_parameters(apps)
        self.undeployed.update((a.file, a.line) for a in apps if id(a) in data)
        # (an ApplicationSet that deploys Application files is an app-of-apps too)
        if not parents and not any(a.kind == "ApplicationSet" and self._set_children(a, apps)
                                   for a in apps):
            return
        children = {id(p): self._children(p, apps) for p in parents}
        edges = self._edges(children, apps)
        for parent in parents:
            if not children[id(parent)] and not self._holds_sets(parent) \
                    and any(parent is p for p in directories):
                yield self._holds_none(parent, apps)
        reached_by_other = {id(c) for found in edges.values() for c in found}
        wanted = self.options.default.app_of_apps
        if wanted:  # (any Application named: one applied by hand beside the roots too)
            roots = [a for a in apps
                     if matches_any(a.name, wanted) or matches_any(a.file, wanted)]
        else:
            roots = [p for p in parents if id(p) not in reached_by_other]
            roots += self._remote_roots(apps, roots, reached_by_other)
        # whoever applies a root applies its whole file: the Applications beside it too
        reached = self._reached(apps, roots, edges)
        if not wanted:  # a ring of app-of-apps nothing outside it lists: each was applied;
            # so was an ApplicationSet (an app-of-apps of its generators) nothing deploys
            roots += _closed_rings([p for p in parents if id(p) not in reached], edges)
            failed = self._failed_here()
            # (and an Application installing Argo CD itself, bootstrapped by hand)
            installs = {id(app) for app, _ in self.installs}
            roots += [a for a in apps if id(a) not in reached
                      and (a.kind == "ApplicationSet" or a.set_line is not None
                           or (a.file, a.line) in failed or id(a) in installs)]
            reached = self._reached(apps, roots, edges)
        elsewhere = self._at_other_revisions(apps)
        yield from self._unreached([a for a in apps if id(a) not in reached | data
                                    and (a.file, a.line) not in elsewhere],
                                   directories, sorted({r.file for r in roots}))
        yield from self.sync_waves(parents, {
            id(p): [*children[id(p)], *self._generated_children(p)] for p in parents})

    def _unreached(self, apps: Sequence[Application], directories: Sequence[Application],
                   root_files: Sequence[str]) -> Iterator[Finding]:
        """Each of ``apps`` that no root reaches; the message names the first roots, the
        detail every one (a repository may have hundreds)."""
        roots = ", ".join(root_files[:_ROOTS_SHOWN]) or "none"
        detail = None
        if len(root_files) > _ROOTS_SHOWN:
            roots += f" and {len(root_files) - _ROOTS_SHOWN} more"
            detail = "roots: " + ", ".join(root_files)
        for app in apps:
            self.undeployed.add((app.file, app.line))
            above = next((p for p in directories if p is not app and self._below(p, [app])),
                         None)
            remedy = ("Move the file under the app-of-apps directory, or delete it; if it is "
                      "applied by hand, list it with the roots in argocd-application's "
                      "appOfApps option (policies/platecheck.yaml); if another tool applies "
                      "it (Terraform), waive this finding saying so." if above is None else
                      f"The app-of-apps {above.file} reads only the files of its directory, not "
                      "its subdirectories: set directory.recurse: true on its source, or move "
                      "the file up into that directory; if it is applied another way, waive "
                      "this finding saying so.")
            found = self.finding(app, ("metadata", "name"),
                                 f"is not reachable from an app-of-apps (roots: {roots}); "
                                 "unless something else applies it, Argo CD never deploys it",
                                 remedy)
            yield replace(found, detail=detail)

    def sync_waves(self, parents: Sequence[Application],
                   children: Mapping[int, list[Application]]) -> Iterator[Finding]:
        order = self.options.default.sync_wave_order
        if not order:
            return
        for parent in parents:
            ranked = []
            for app in children[id(parent)]:
                rank = next((i for i, globs in enumerate(order)
                             if matches_any(app.name, globs)), None)
                number, unread = _wave(app.annotations)
                if unread is not None:
                    yield self.finding(app, ("metadata", "annotations", SYNC_WAVE),
                                       f"sync wave {unread!r} is not an integer as Argo CD "
                                       "reads it (no spaces, no underscores): it syncs the "
                                       f"Application in wave {number}",
                                       "Write the sync wave as an integer string, e.g. \"1\".")
                if rank is not None:
                    ranked.append((rank, number, app))
            for rank, number, app in ranked:
                earlier = [(w, a) for r, w, a in ranked if r < rank]
                if not earlier:
                    continue
                top_wave, top_app = max(earlier, key=lambda item: (item[0], item[1].name))
                if number <= top_wave:
                    yield self.finding(
                        app, ("metadata", "annotations", SYNC_WAVE),
                        f"sync wave {number} does not come after wave {top_wave} of "
                        f"{top_app.name}, which syncWaveOrder puts earlier",
                        f"Set the {SYNC_WAVE} annotation above {top_wave}, or fix "
                        "syncWaveOrder in policies/platecheck.yaml.")


_GO_INT = re.compile(r"[+-]?[0-9]+")  # what Go's strconv.Atoi reads


def _wave(annotations: Mapping[str, Any]) -> tuple[int, str | None]:
    """The wave Argo CD syncs a resource in (gitops-engine ``syncwaves.Wave``): its sync-wave
    annotation as ``strconv.Atoi`` reads it, else its ``helm.sh/hook-weight`` read alike,
    else 0; and the sync-wave annotation when it does not read."""
    text = annotations.get(SYNC_WAVE)
    if text is not None and _GO_INT.fullmatch(str(text)):
        return int(str(text)), None
    weight = annotations.get(HOOK_WEIGHT)
    fallback = int(str(weight)) if weight is not None and _GO_INT.fullmatch(str(weight)) else 0
    return fallback, None if text is None else str(text)


def _wave_order(value: Any) -> tuple[tuple[str, ...], ...]:
    """syncWaveOrder: each item a glob, or a list of globs that share one place."""
    if not isinstance(value, list):
        raise OptionValueError(f"must be a list, found {type_name(value)}")
    order = []
    for index, item in enumerate(value):
        globs = item if isinstance(item, list) else [item]
        if not globs or not all(isinstance(g, str) for g in globs):
            raise OptionError(f"option syncWaveOrder of policy {ID!r} must list globs or "
                              f"lists of globs, found {item!r}", (index,))
        order.append(tuple(globs))
    return tuple(order)


def _limit_range(value: Any) -> tuple[int, int | None] | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value, None
    if isinstance(value, Mapping) and set(value) <= {"min", "max"} and value:
        low, high = value.get("min", 0), value.get("max")
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high or 0)):
            return int(low), (int(high) if high is not None else None)
    raise PlatecheckError(f"option retryLimit of policy {ID!r} must be an integer or "
                          f"{{min: N, max: M}}, found {value!r}")


def _shown(value: Any) -> str:
    return "missing" if value is None else repr(value)


def _glob_lists(value: Any, what: str) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise OptionValueError(f"must map {what}, found {type_name(value)}")
    for name, globs in value.items():
        if not isinstance(globs, list):
            raise OptionValueError(f"must map {what}; {name} holds {type_name(globs)}",
                                   (name,))
        for index, glob in enumerate(globs):
            if not isinstance(glob, str):
                raise OptionValueError(f"must map {what}; {name} holds {type_name(glob)} "
                                       f"{glob!r}", (name, index))
    return {str(name): tuple(globs) for name, globs in value.items()}


def _namespaces(value: Any) -> Mapping[str, tuple[str, ...]]:
    """namespaces: environment -> destination namespace globs."""
    return _glob_lists(value, "environments to lists of namespace globs")


def _instances(value: Any) -> Mapping[str, tuple[str, ...]]:
    """instances: Argo CD instance -> globs of the Application files it applies."""
    return _glob_lists(value, "Argo CD instances to lists of file globs")


def _backoff(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise OptionValueError(f"must be a mapping, found {type_name(value)}")
    return dict(value)


@dataclass(frozen=True)
class Options:
    # read for the Application's environment; the others apply to the repository as a whole
    namespaces: Mapping[str, tuple[str, ...]] = option(parse=_namespaces, factory=dict,
                                                       per_environment=True)
    app_of_apps: tuple[str, ...] = ()
    repo_urls: tuple[str, ...] = ()
    revisions: tuple[str, ...] = ()
    require_automated: bool = option(False, per_environment=True)
    retry_limit: tuple[int, int | None] | None = option(None, parse=_limit_range,
                                                        per_environment=True)
    backoff: Mapping[str, Any] = option(parse=_backoff, factory=dict, per_environment=True)
    sync_wave_order: tuple[tuple[str, ...], ...] = option((), parse=_wave_order)
    instances: Mapping[str, tuple[str, ...]] = option(parse=_instances, factory=dict)


def shared_resources(repo: RepoModel, undeployed: set[tuple[str, int]],
                     identified: bool = True,
                     instance: Callable[[Application], str | None] = lambda app: None,
                     hint: bool = False) -> Iterator[Finding]:
    """A resource two Applications deploy to one cluster (https://argo-cd.readthedocs.io/
    en/stable/user-guide/resource_tracking/): reported at the second one, naming the first.
    The Applications at ``undeployed`` (file and line) are left out. Unless this repository's
    repoURLs are ``identified`` (repoUrls, the checkout's remotes), two Applications of two
    different Git repositories are both read from this checkout: the remedy says so. The
    Applications of two Argo CD instances (``instance``) deploy to two clusters; with
    ``hint`` (no instances are set), the remedy says how to set them."""
    owners: dict[tuple[str, str, str, str, str, str], tuple[Application, str]] = {}
    repeats: dict[tuple[str, str, str, str, str, str], int] = {}  # copies in one Application
    # (a cluster the repository's cluster Secrets name is known by its server)
    servers = cluster_servers(resource for rendered in repo.rendered
                              for resource in rendered.resources)
    for rendered in sorted(repo.rendered, key=_source_order):
        app = rendered.target.application
        if app is None:
            continue
        if (app.file, app.line) in undeployed:
            continue
        crds = crd_scopes(rendered.crd_schemas.values())
        # with the copies Argo CD drops (``last_copies``), in the order rendered
        for resource in sorted((*rendered.resources, *rendered.superseded),
                               key=lambda resource: resource.index):
            tracked = _tracked(rendered, resource, crds)
            if tracked is None:
                continue
            key = (instance(app) or "", _cluster(app, servers), *tracked)
            namespace = tracked[2]
            first = owners.setdefault(key, (app, rendered.id))
            where = f" in namespace {namespace}" if namespace else ""
            if first[0] is app:
                repeats[key] = repeats.get(key, 0) + 1
                if repeats[key] > 1:
                    yield _repeated(rendered, resource, where, first[1], repeats[key])
                continue
            # two manifests of one Application (one name in one namespace) are one object in
            # Argo CD, whichever was applied last: unique_names reports them, not their
            # resources
            if (first[0].namespace or "", first[0].name) == (app.namespace or "", app.name):
                continue
            # of one name in two namespaces, each is told by its namespace
            same = first[0].name == app.name
            yield finding_at(
                rendered, resource,
                f"{resource.kind}/{resource.name}{where} is deployed by both Application "
                f"{_named(first[0], same)} ({first[1]}) and Application {_named(app, same)}; "
                "Argo CD's syncs of the two undo each other",
                SHARED_REMEDY + ("" if identified else _other_repository(first[0], app))
                + (INSTANCES_HINT.format(what="resources") if hint else ""))


def _tracked(rendered: RenderedTarget, resource: Resource, crds: dict[tuple[str, str], bool]
             ) -> tuple[str, str, str, str] | None:
    """The object Argo CD tracks ``resource`` as (group, kind, namespace, name): a namespaced
    one that names no namespace is in the destination's, a cluster-scoped one in none
    (``NormalizeTargetObjects``). None for a child Application (one managed twice is
    ``unique_names``' finding) and a resource without a name (``metadata.generateName``: the
    API server names each one anew)."""
    group = resource.api_version.rpartition("/")[0]
    if (group == "argoproj.io" and resource.kind == "Application") or not resource.name:
        return None
    namespace = "" if cluster_scoped(resource.api_version, resource.kind, crds) else (
        resource.namespace or _destination(rendered.target))
    return group, resource.kind, namespace, resource.name


def last_copies(repo: RepoModel) -> RepoModel:
    """``repo`` with each resource an Application renders again later (in the same source or
    a later one) moved from its target's ``resources`` to its ``superseded``: Argo CD
    applies only the last copy of an object (``NormalizeTargetObjects`` in controller/
    state.go keeps ``targets[len(targets)-1]``), so policies check that copy alone, and
    ``shared_resources`` reports the repeat."""
    copies: dict[tuple[int, str, str, str, str], list[tuple[str, int]]] = {}
    for rendered in sorted(repo.rendered, key=_source_order):
        app = rendered.target.application
        if app is None:
            continue
        crds = crd_scopes(rendered.crd_schemas.values())
        for resource in rendered.resources:
            tracked = _tracked(rendered, resource, crds)
            if tracked is not None:
                copies.setdefault((id(app), *tracked), []).append((rendered.id,
                                                                   resource.index))
    dropped = {copy for found in copies.values() for copy in found[:-1]}
    if not dropped:
        return repo
    targets = {target for target, _ in dropped}
    return replace(repo, rendered=tuple(
        replace(rendered,
                resources=tuple(r for r in rendered.resources
                                if (rendered.id, r.index) not in dropped),
                superseded=tuple(r for r in rendered.resources
                                 if (rendered.id, r.index) in dropped))
        if rendered.id in targets else rendered for rendered in repo.rendered))


def with_companions(repo: RepoModel) -> RepoModel:
    """``repo`` with each target of an Application of several sources given the resources
    its other sources render (``RenderedTarget.companions``; Argo CD applies them as one
    set), and whether one of them was not rendered (``companions_unknown``)."""
    by_app: dict[int, list[RenderedTarget]] = {}
    for rendered in repo.rendered:
        if rendered.target.application is not None:
            by_app.setdefault(id(rendered.target.application), []).append(rendered)
    built = {rendered.id for rendered in repo.rendered}
    unrendered = {id(t.application) for t in repo.targets
                  if t.application is not None and t.id not in built}
    shared = {rendered.id: tuple(r for other in group if other is not rendered
                                 for r in other.resources)
              for group in by_app.values() if len(group) > 1 for rendered in group}
    if not shared and not unrendered:
        return repo
    return replace(repo, rendered=tuple(
        replace(rendered, companions=shared.get(rendered.id, ()),
                companions_unknown=id(rendered.target.application) in unrendered)
        if rendered.id in shared or id(rendered.target.application) in unrendered
        else rendered for rendered in repo.rendered))


def with_certificates(repo: RepoModel) -> RepoModel:
    """``repo`` with each target of an Application given the cert-manager Certificates and
    the IngressClasses the other Applications deploy to its cluster
    (``RenderedTarget.certificates_beside``, ``ingress_classes_beside``): a shared
    certificate one Application issues into a namespace serves the Ingresses another deploys
    there, and an ingress controller's Application deploys the class the others' Ingresses
    name."""
    servers = cluster_servers(resource for rendered in repo.rendered
                              for resource in rendered.resources)
    clusters = {rendered.id: _cluster(rendered.target.application, servers)
                for rendered in repo.rendered if rendered.target.application is not None}
    by_cluster: dict[str, list[tuple[int, str, Resource]]] = {}
    for rendered in repo.rendered:
        app, cluster = rendered.target.application, clusters.get(rendered.id)
        if app is None or not cluster:
            continue
        by_cluster.setdefault(cluster, []).extend(
            (id(app), resource.namespace or rendered.target.namespace, resource)
            for resource in rendered.resources if resource.kind == "IngressClass" or (
                resource.kind == "Certificate"
                and resource.api_version.startswith("cert-manager.io/")))
    if not by_cluster:
        return repo

    def beside(rendered: RenderedTarget) -> RenderedTarget:
        app = rendered.target.application
        found = [(namespace, resource) for owner, namespace, resource
                 in by_cluster.get(clusters.get(rendered.id, ""), ()) if owner != id(app)]
        if not found:
            return rendered
        return replace(rendered, certificates_beside=tuple(
            (n, r) for n, r in found if r.kind == "Certificate"), ingress_classes_beside=tuple(
            r for _, r in found if r.kind == "IngressClass"))
    return replace(repo, rendered=tuple(beside(rendered) for rendered in repo.rendered))


def _named(app: Application, qualified: bool) -> str:
    """An Application's name, ``namespace/name`` when ``qualified`` (``name`` of no
    namespace: one its file does not name, ``name (no namespace)``)."""
    if not qualified:
        return app.name
    return f"{app.namespace}/{app.name}" if app.namespace else f"{app.name} (no namespace)"


def _source_order(rendered: RenderedTarget) -> str:
    """Targets by id, the sources of one Application (``prod/web[2]``) in their order
    (``[10]`` after ``[9]``)."""
    base, bracket, index = rendered.id.partition("[")
    number = index.rstrip("]")
    return f"{base}[{int(number):06d}]" if bracket and number.isdigit() else rendered.id


def _repeated(rendered: RenderedTarget, resource: Resource, where: str, first: str,
              copies: int) -> Finding:
    """A resource one Application renders again (in a later source, or twice in one):
    Argo CD keeps the last copy and warns (``NormalizeTargetObjects``: "appeared N times
    among application resources")."""
    app = rendered.target.application
    assert app is not None
    again = "again" if first == rendered.id else f"by {first} and again by {rendered.id}"
    return finding_at(
        rendered, resource,
        f"{resource.kind}/{resource.name}{where} is rendered {again} (copy {copies}) for "
        f"Application {app.name}: Argo CD applies only its last copy and warns "
        "(RepeatedResourceWarning)", REPEATED_REMEDY)


def finding_at(rendered: RenderedTarget, resource: Resource, message: str,
               remediation: str = "", policy: str = ID) -> Finding:
    """A finding about a rendered resource, at the line of its name in its file."""
    app = rendered.target.application
    assert app is not None
    return Finding(
        policy=policy, file=resource.template_file or app.file,
        line=_name_line(rendered.templates.get(resource.template_file or ""), resource)
        if resource.template_file else app.line,
        message=message, target=rendered.id, environment=rendered.environment,
        resource=f"{resource.kind}/{resource.name}", remediation=remediation)


NAME_REMEDY = "Give every {kind} a unique name."
TWICE_REMEDY = ("Keep the manifest in the directory (or chart) of one app-of-apps only, or "
                "point the app-of-apps at directories that do not overlap.")
INSTANCES_HINT = (" If the two are applied by different Argo CD instances (a cluster each), "
                  "set argocd-application's instances in policies/platecheck.yaml to the "
                  "files of each instance's Applications: {what} may repeat across "
                  "instances.")
REPEATED_REMEDY = ("Render the resource in one source of the Application only, or give each "
                   "copy its own name.")
SHARED_REMEDY = ("Deploy the resource from one Application only, or give each Application its "
                 "own name for it.")


def _other_repository(first: Application, second: Application) -> str:
    """A hint when the two Applications' Git sources name different repositories."""
    mine, theirs = _git_repositories(first), _git_repositories(second)
    if not mine or not theirs or mine & theirs:
        return ""
    return (" Their sources name different repositories, both read from this checkout: if "
            "one is another repository, list this repository's URLs in argocd-application's "
            "repoUrls (its Applications are then reported as not rendered).")


def _git_repositories(app: Application) -> set[str]:
    return {normalized(url) for url in git_repo_urls((app,))}


def _cluster(app: Application, servers: Mapping[str, str]) -> str:
    """The cluster an Application deploys to: its destination server, else its cluster
    name's (``servers``: those the repository's cluster Secrets give; ``in-cluster`` is the
    server Argo CD runs in), else the name. Two Applications share a resource only on one
    cluster."""
    if app.destination_server:
        return app.destination_server.rstrip("/")
    spec = app.raw.get("spec")
    destination = spec.get("destination") if isinstance(spec, dict) else None
    name = destination.get("name") if isinstance(destination, dict) else None
    if isinstance(name, str) and name in servers:
        return servers[name].rstrip("/")
    if name == "in-cluster":
        return IN_CLUSTER
    return f"cluster {name}" if isinstance(name, str) and name else ""


def _name_line(text: str | None, resource: Any) -> int | None:
    """The line of the resource's ``metadata.name`` in its file: in its item of a List file,
    in its own document where that is known, else the ``name:`` after a ``kind:`` line that
    writes its name as it is, else the first such ``name:`` a template action writes (a
    ``range``'s; one written as another name is another resource's), else the first."""
    if text is None:
        return None
    item = list_item(resource.template_file, text, resource, ("metadata", "name")) \
        if resource.template_file else None
    if item is not None:
        return item[0].line  # an item of a List file
    if resource.line is not None:
        found, exact = template_walk(text, resource.kind, ("metadata", "name"), resource.line)
        if exact:
            return found
    kind = kind_pattern(resource.kind)
    name = re.compile(r"^\s+name:\s*(.*?)\s*(?:#.*)?$")
    after_kind = False
    first: int | None = None
    templated: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        written = name.match(line)
        if kind.match(line):
            after_kind = True
        elif after_kind and written:
            if written.group(1).strip("'\"") == resource.name:
                return number
            first = first or number
            if "{{" in written.group(1):
                templated = templated or number
            after_kind = False
    return templated or first


# Its passing and failing cases: tests/fixtures/policies/<ID>/<case>.yaml
CASES = ("automated-sync-present", "automated-sync-required")
