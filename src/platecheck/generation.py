"""Applications in rendered output are targets in turn (a Helm-templated app-of-apps):
planned and rendered, level by level; an Application a Kustomize source renders from a
written one, changed, replaces it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path

from platecheck.appset import MadeDocument
from platecheck.appset_generators import expand_set, expanded_late
from platecheck.batch import Batch
from platecheck.chartfile import local_dependencies
from platecheck.dependencies import archive_writes_argo_kinds
from platecheck.discover import (
    Discovery,
    file_head,
    names_argo_kind,
    parse_application,
    stand_in,
)
from platecheck.errors import PlatecheckError
from platecheck.generated import (
    MAX_DEPTH,
    AppKey,
    Generated,
    Unread,
    ancestors,
    app_key,
    as_written,
)
from platecheck.generated import generated as generate
from platecheck.kustomize_tree import build_tree
from platecheck.manifests import DirectoryOptions, manifest_files
from platecheck.model import Application, RenderedTarget, RenderTarget, Source, SourceType
from platecheck.plan import Planner
from platecheck.planning import distinct, unique_ids
from platecheck.problems import Problems
from platecheck.realpaths import resolve
from platecheck.resources import never_applied
from platecheck.runmemo import recall
from platecheck.walk import walk
from platecheck.yamlio import Document


def generated_targets(batch: Batch, found: Discovery, targets: list[RenderTarget],
               rendered: list[RenderedTarget], wanted: set[str] | None
               ) -> tuple[list[Generated], WrittenPlaces]:
    """Applications in rendered output are targets in turn (a Helm-templated app-of-apps):
    planned and rendered, level by level, into ``targets`` and ``rendered``; the written
    Applications rendered ones replaced, with their targets, are told apart."""
    problems, planner = batch.problems, batch.planner
    generated: list[Generated] = []
    parents: dict[AppKey, Application | None] = {
        **{app_key(a): None for a in found.applications},
        **{_set_key(a): None for a in found.application_sets}}
    # each written Application as written, and the environment it inherited
    written = {as_written(a): a.inherited_environment for a in found.applications}
    places = _places(found, targets)
    _deployed_by_hand(targets, rendered, places, problems, planner)
    # a kustomization applied by hand that a set of template actions alone may deploy waits
    # until what the rest deploys is known (``RenderTarget.provisional``)
    pending = {t.id for t in targets if t.provisional}
    fresh = [r for r in rendered if r.target.id not in pending]
    made = _expanded_sets(planner, targets, 0, _changed_sets(found, rendered))
    for depth in range(MAX_DEPTH + 1):
        children = _children(fresh, parents, generated, problems, planner, written, places,
                             made)
        _drop_superseded(targets, rendered, places, problems)
        found.unparsed.extend(places.unread)
        places.unread.clear()
        if not children and pending:  # no rendered Application deploys them: by hand
            fresh, made = [r for r in rendered if r.target.id in pending], []
            pending.clear()
            continue
        if not children:
            break
        if depth == MAX_DEPTH:
            first = children[0].app
            problems.add(PlatecheckError(
                f"Applications generate Applications more than {MAX_DEPTH} levels deep; "
                f"{first.name!r} and what it generates are not checked", first.file,
                first.line))
            break
        # (an ApplicationSet platecheck expanded is not a target of the report: its id is
        # free for an Application it makes, of its name)
        shown = {t.id for t in targets if not t.expanded}
        more = _plan_generated(planner, children, problems, shown)
        if wanted is not None:  # and those that may generate them (``may_generate``)
            more = [t for t in more if t.environment in wanted or may_generate(t, found.root)]
        # (an id an error of a child that could not be planned has is taken too)
        more = distinct(more, shown | {f.target for f in problems.findings if f.target})
        _give_way(targets, {t.id for t in more})
        _deployed_after_all(pending, more, targets, rendered, places, problems)
        _directory_links(found, more, places)
        targets.extend(more)
        unique_ids(targets)
        made = _expanded_sets(planner, targets, len(targets) - len(more))
        fresh = batch.render(more)
        rendered.extend(fresh)
    _drop_hand_applied(targets, rendered, generated, places, problems)
    return generated, places


def _places(found: Discovery, targets: Sequence[RenderTarget]) -> WrittenPlaces:
    """Where the written Applications and ApplicationSets are, the charts linted on their
    own and the kustomizations applied by hand among ``targets``."""
    places = WrittenPlaces(found.applications, found.failed)
    places.note_sets(found.application_sets, found.failed)
    places.chart_mode = {t.chart.rel for t in targets
                         if t.application is None and t.chart is not None}
    places.hand_applied = {t.app for t in targets if t.hand_applied}
    return places


def _drop_superseded(targets: list[RenderTarget], rendered: list[RenderedTarget],
                     places: WrittenPlaces, problems: Problems) -> None:
    """The written Applications that rendered ones replace go, with their targets."""
    if places.superseded:
        problems.forget_unplanned(places.superseded)
        places.dropped.extend(t for t in targets if places.replaced(t))
        targets[:] = [t for t in targets if not places.replaced(t)]
        rendered[:] = [r for r in rendered if not places.replaced(r.target)]


def _deployed_after_all(pending: set[str], more: Sequence[RenderTarget],
                        targets: list[RenderTarget], rendered: list[RenderedTarget],
                        places: WrittenPlaces, problems: Problems) -> None:
    """The kustomizations applied by hand still ``pending`` (``RenderTarget.provisional``)
    whose directory a rendered Application of ``more`` deploys are not applied by hand: they
    go, with their errors, before anything of their output is planned; that Application
    renders them."""
    deployed = {t.source_dir for t in more if t.source_dir is not None}
    _forget_pending(pending, lambda t: t.source_dir in deployed, targets, rendered, places,
                    problems)


def _deployed_by_hand(targets: list[RenderTarget], rendered: list[RenderedTarget],
                      places: WrittenPlaces, problems: Problems, planner: Planner) -> None:
    """The kustomizations taken as applied by hand whose directory an Application another
    of them outputs deploys (each cluster's bootstrap overlay deploying its overlay of
    ApplicationSets, infra-deployments) are not applied by hand: they go, with their
    errors, before anything of their output is planned; that Application renders them
    (their ApplicationSets were rendered twice, said to be different ones of one name)."""
    outputs = {r.target.id: _output_dirs(r, planner) for r in rendered if r.target.hand_applied}
    _forget_pending(set(outputs), lambda t: any(t.source_dir in dirs for other, dirs in
                                                outputs.items() if other != t.id),
                    targets, rendered, places, problems)


def _output_dirs(rendered: RenderedTarget, planner: Planner) -> set[Path]:
    """The directories of this repository that the Applications of ``rendered``'s output
    name as their sources' paths (of a source of this repository)."""
    dirs: set[Path] = set()
    for resource in rendered.resources:
        spec = resource.doc.get("spec") if resource.kind == "Application" else None
        sources = [spec.get("source"), *(spec.get("sources") or ())] \
            if isinstance(spec, Mapping) else []
        dirs.update(resolve(planner.root / source["path"]) for source in sources
                    if isinstance(source, Mapping) and isinstance(source.get("path"), str)
                    and planner.is_here(_git_source(str(source.get("repoURL") or ""), str(
                        source.get("targetRevision") or "") or None)))
    return dirs


def _forget_pending(pending: set[str], deployed: Callable[[RenderTarget], bool],
                    targets: list[RenderTarget], rendered: list[RenderedTarget],
                    places: WrittenPlaces, problems: Problems) -> None:
    """The kustomizations ``pending`` that are ``deployed`` go, with their errors."""
    gone = {t.id: t.app for t in targets if t.id in pending and deployed(t)}
    if gone:
        pending.difference_update(gone)
        places.hand_applied.difference_update(gone.values())
        problems.forget([f for f in problems.findings if f.target in gone])
        targets[:] = [t for t in targets if t.id not in gone]
        rendered[:] = [r for r in rendered if r.target.id not in gone]


def _give_way(targets: list[RenderTarget], ids: set[str]) -> None:
    """The expanded ApplicationSets of ``targets`` whose id an Application of ``ids`` has
    (one it makes of its own name) known by their place instead."""
    for index, target in enumerate(targets):
        if target.expanded and target.id in ids and target.application is not None:
            app_set = target.application
            targets[index] = dataclasses.replace(
                target, id=f"{target.id}@{app_set.file}:{app_set.line}")


def _drop_hand_applied(targets: list[RenderTarget], rendered: list[RenderedTarget],
                       generated: list[Generated], places: WrittenPlaces,
                       problems: Problems) -> None:
    """The kustomizations applied by hand (``planning.hand_applied_targets``) whose output
    holds no Application to plan (each is a written one as written), or that could not be
    built, go with their errors and what they output: their Applications are checked as
    written, and the kustomization is named undeployed, as before. One whose build outputs
    Applications none of its files writes (``outputs_applications``) and that could not be
    built stays, with its errors: what it deploys is not known."""
    built = {r.target.id for r in rendered}
    gone = {t.id: t.app for t in targets if t.hand_applied and t.app not in places.replacing
            and (t.id in built or not t.outputs_applications)}
    if gone:
        problems.forget([f for f in problems.findings if f.target in gone])
        targets[:] = [t for t in targets if t.id not in gone]
        rendered[:] = [r for r in rendered if r.target.id not in gone]
        generated[:] = [g for g in generated if places.by_hand(g) not in gone.values()]


def _directory_links(found: Discovery, targets: Sequence[RenderTarget],
                     places: WrittenPlaces) -> None:
    """A generated Application (a git generator set's, or one a render wrote) whose directory
    source holds Application files discovery found is their app-of-apps, as a written one is
    (discovery's ``_children``): its render leaves them out (``render_directory``), so they
    are linked here (``WrittenPlaces.links``)."""
    root = resolve(found.root)
    by_file: dict[Path, list[Application]] = {}
    for written in found.applications:
        by_file.setdefault(resolve(root / written.file), []).append(written)
    for target in targets:
        app = target.application
        if app is None or app.deployed_by is None or target.source_dir is None \
                or target.source_type is not SourceType.DIRECTORY:
            continue
        try:
            files = list(manifest_files(target.source_dir, root,
                                        DirectoryOptions.of(target.source_spec)))
        except PlatecheckError:
            continue  # its render says why
        places.links += [((app.file, app.line), (child.file, child.line))
                         for path in files for child in by_file.get(resolve(path), ())
                         if not never_applied(child.raw)]


def may_generate(target: RenderTarget, root: Path) -> bool:
    """Whether the render of ``target`` may hold Applications or ApplicationSets, which Argo
    CD creates whatever the environment of the Application rendering them: a file below its
    chart, its directory or a directory its Kustomize build reaches names Argo CD's kinds or
    is Jsonnet, or a values file of its chart describes Application sources (argo-helm's
    argocd-apps chart), or it is an ApplicationSet platecheck may expand (``appset_git``). A
    run of some environments renders another's target only then."""
    app = target.application
    if app is not None and app.kind == "ApplicationSet":
        return expanded_late(app.raw)
    if not target.rendered_here:
        return False
    if target.chart is not None:
        values = [*target.chart.path.glob("values*.y*ml"), *(v.path for v in target.value_files)]
        return _chart_names_argo_kinds(target.chart.path, root) or any(
            b"repoURL:" in head and b"destination:" in head
            for head in [*map(file_head, values), (target.extra_values or "").encode()])
    directories = {target.source_dir} if target.source_dir is not None else set()
    if target.source_type is SourceType.KUSTOMIZE and target.source_dir is not None:
        try:
            directories = build_tree(target.source_dir, root)[0]
        except PlatecheckError:  # its render says why
            return True
    return any(_names_argo_kinds(directory) for directory in sorted(directories))


def _chart_names_argo_kinds(chart: Path, root: Path, seen: frozenset[Path] = frozenset()
                            ) -> bool:
    """``_names_argo_kinds`` of a chart and of the charts it depends on through ``file://``
    (a library chart may write the Applications), and of its archived subcharts
    (``archive_writes_argo_kinds``)."""
    if _names_argo_kinds(chart) or any(archive_writes_argo_kinds(archive) for archive in
                                       sorted((chart / "charts").glob("*.tgz"))):
        return True
    return any(local not in seen and local.is_dir() and local.is_relative_to(root.resolve())
               and _chart_names_argo_kinds(local, root, seen | {local})
               for local in local_dependencies(chart, root))


def _names_argo_kinds(directory: Path) -> bool:
    """Whether a file below ``directory`` (not in a hidden one) names Argo CD's Application
    or ApplicationSet kind or is Jsonnet. Read once per run."""
    def names() -> bool:
        for top, dirs, files in walk(directory):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(f for f in files if not f.startswith(".")):
                path = Path(top, name)
                if path.suffix in (".jsonnet", ".libsonnet") or names_argo_kind(path):
                    return True
        return False
    return recall("names argo kinds", directory, names)


class WrittenPlaces:
    """The Application documents discovery found, by file and first line: an Application a
    Kustomize source renders from one of them, changed (a ``nameSuffix``, labels, a patch),
    replaces it. Argo CD creates what the build outputs, never the file as written."""

    def __init__(self, applications: Sequence[Application],
                 unread: Iterable[tuple[str, int]] = ()) -> None:
        self.keys: dict[tuple[str, int], AppKey] = {(a.file, a.line): app_key(a)
                                                     for a in applications}
        self.written = set(self.keys.values())
        self.starts: dict[str, list[int]] = {}
        for file, line in [*self.keys, *unread]:  # a document that could not be read too
            self.starts.setdefault(file, []).append(line)
        self.superseded: set[tuple[str, int]] = set()
        # the renders of written Applications as written (each with its key), by document
        self.unchanged: dict[tuple[str, int] | None, list[tuple[Generated, AppKey]]] = {}
        self.dropped: list[RenderTarget] = []  # the targets of those replaced
        # the documents of the generated Applications and ApplicationSets of each key
        # planned: another of one key is planned too (argocd-application reports the name;
        # two parents, or one chart rendered for two environments or Argo CD instances,
        # may each deploy theirs); so is one of a written one's key (its parent applies it,
        # whatever a file writes)
        self.generated: dict[AppKey, set[str]] = {}
        self.written_sets: set[AppKey] = set()
        # the written ApplicationSets' keys and specs, by file and first line
        self.set_specs: dict[tuple[str, int], tuple[AppKey | None, object, str | None]] = {}
        # the charts linted in chart mode: what their renders generate is provisional (the
        # render goes when an Application deploys the chart, and so does what it made): it
        # never keeps the same document from being planned through a parent, nor through
        # another such chart's renders
        self.chart_mode: set[str] = set()
        # the kustomizations applied by hand (their directories), and those of them an
        # Application of whose output is planned (it changes a written one, or is no file's)
        self.hand_applied: set[str] = set()
        self.replacing: set[str] = set()
        # the stand-ins of rendered Applications that could not be read (``generated.Unread``)
        self.unread: list[Application] = []
        self.provisional: dict[tuple[str | None, str, str], set[str]] = {}
        # (parent, child) by file and line: a generated Application (a git generator set's)
        # whose directory source holds an Application file is the app-of-apps of that
        # file's Application, as a written one is (``_directory_links``)
        self.links: list[tuple[tuple[str, int], tuple[str, int]]] = []

    def note_sets(self, sets: Sequence[Application],
                  unread: Iterable[tuple[str, int]] = ()) -> None:
        """The ApplicationSets discovery found: one a render outputs changed replaces it, as
        does a set of the document of one discovery could not read (``unread``: a base of
        placeholders an overlay fills in)."""
        self.written_sets = {_set_key(app_set) for app_set in sets}
        self.set_specs = {**{place: (None, None, None) for place in unread},
                          **{(app_set.file, app_set.line): (
                              _set_key(app_set), app_set.raw.get("spec"),
                              app_set.inherited_environment) for app_set in sets}}

    def changed_set(self, item: Generated, key: AppKey) -> tuple[str, int] | None:
        """The written ApplicationSet of ``key``'s name whose document a rendered one lies
        in, when the render changed its spec (a Kustomize overlay patching its generators:
        Argo CD creates the set the build outputs, never the file as written), its namespace
        (a kustomization's ``namespace``) or its environment (a parent of production deploys
        production's)."""
        before = [(file, line) for file, line in self.set_specs
                  if file == item.app.file and line <= item.app.line]
        origin = max(before, key=lambda place: place[1]) if before else None
        if origin is None:
            return None
        written, spec, environment = self.set_specs[origin]
        if written is None:  # (a document discovery could not read: any render changes it)
            return origin
        # (of its name: a kustomization's namespace moves it, the one set Argo CD gets)
        return None if written[1] != key[1] or (written == key and spec == item.app.raw.get(
            "spec") and environment == item.app.inherited_environment) else origin

    def planned(self, item: Generated, key: AppKey) -> None:
        """Remember the document of ``item``, planned (provisionally, by the chart linted in
        chart mode whose renders it comes from)."""
        top = item.app.deployed_by
        if top in self.chart_mode:
            self.provisional.setdefault((top, *key), set()).add(item.app.document)
        else:
            self.generated.setdefault(key, set()).add(item.app.document)

    def by_hand(self, item: Generated) -> str | None:
        """The kustomization applied by hand (its directory) whose output ``item`` is of, or
        None."""
        home = item.app.deployed_by
        return home if item.parent is None and home in self.hand_applied else None

    def origin(self, item: Generated) -> tuple[str, int] | None:
        """The written document a rendered Application lies in (its line is one of the
        document's, not always the first)."""
        if item.application_set or item.parent is not None and \
                item.parent.kind == "ApplicationSet" or item.parent is None \
                and self.by_hand(item) is None:
            return None  # (an ApplicationSet's Application is no document of its file)
        before = [line for line in self.starts.get(item.app.file, ()) if line <= item.app.line]
        return (item.app.file, max(before)) if before else None

    def replaced(self, target: RenderTarget) -> bool:
        app = target.application
        return app is not None and app.deployed_by is None and (
            app.file, app.line) in self.superseded


def _children(rendered: Sequence[RenderedTarget], parents: dict[AppKey, Application | None],
              generated: list[Generated], problems: Problems, planner: Planner,
              written: Mapping[tuple[str, str, str], str | None], places: WrittenPlaces,
              made: Sequence[Generated | Unread] = ()) -> list[Generated]:
    """The Applications ``rendered`` generates that are new: each distinct document of a key
    is planned once (``WrittenPlaces.generated``), also of a key a file writes (the parent
    applies its own, whatever the file says); one its own ancestors generate is a cycle,
    followed once. One a Kustomize source renders from an
    Application file discovery found, unchanged but for the kustomization's namespace
    (``written``, see ``as_written``), is that Application, planned already; changed, it
    replaces it (``places``). ``made``: the Applications of git generator ApplicationSets
    (``_expanded_sets``), new too."""
    new = []
    for item in [*made, *generate(rendered)]:
        if isinstance(item, Unread):  # the render's (it goes when that target goes), unless
            # discovery met it in the file as written
            error = item.error
            met = any((f.file, f.line, f.message) == (error.file, error.line, error.message)
                      and f.target is None for f in problems.findings)
            problems.add(error, None if met else item.target)
            if item.stand_in is not None:  # what it points at is deployed, if not checked
                places.unread.append(item.stand_in)
            continue
        item = dataclasses.replace(item, app=planner.inheriting(item.app, item.parent))
        item = dataclasses.replace(item, app=planner.checked(item.app))
        key = _set_key(item.app) if item.application_set else app_key(item.app)
        if _manages_itself(item, key, parents):
            continue
        generated.append(item)
        documents = places.generated.setdefault(key, set())
        if item.app.deployed_by in places.chart_mode:  # and one of its own chart's renders
            documents = documents | places.provisional.setdefault(
                (item.app.deployed_by, *key), set())
        if item.application_set:
            if _set_planned(item, key, documents, parents, places):
                new.append(item)
            continue
        origin = places.origin(item)
        # (one a cluster's overlay applied by hand outputs goes to that cluster's install:
        # no file as written, which is the repository's; one in another environment than
        # its file's is planned anew: a Kustomize parent of production outputs production's)
        if written.get(as_written(item.app), _NONE) == item.app.inherited_environment \
                and origin not in places.superseded \
                and not (places.by_hand(item) is not None
                         and item.app.installed_in is not None):
            # the file as written, planned already, unless another render replaces it
            places.unchanged.setdefault(origin, []).append((item, key))
            continue
        if _planned_anew(item, key, documents, parents, places):
            new.append(item)
    # a render of a file as written whose file another render replaced is one of its own
    for origin in [o for o in places.unchanged if o in places.superseded]:
        for item, key in places.unchanged.pop(origin):
            if _planned_anew(item, key, places.generated.get(key, set()), parents, places):
                new.append(item)
    return new


_NONE = "\0"  # no written Application's environment


def _manages_itself(item: Generated, key: AppKey, parents: dict[AppKey, Application | None]
                    ) -> bool:
    """Whether ``item`` is an app-of-apps that renders itself: one of its ancestors' key,
    or, written with no namespace, of its name where an ancestor of that name is written with
    none either (a root applied by hand into Argo CD's namespace, rendering itself into its
    destination namespace: one Application)."""
    lineage = set(ancestors(item.parent, parents))
    if key in lineage:
        return True
    metadata = item.app.raw.get("metadata")
    return ("", key[1]) in lineage and isinstance(metadata, Mapping) \
        and not metadata.get("namespace")


def _set_planned(item: Generated, key: AppKey, documents: set[str],
                 parents: dict[AppKey, Application | None], places: WrittenPlaces) -> bool:
    """Whether a rendered ApplicationSet is planned: one of a written one's key is that file
    rendered (a Kustomize source building it, its namespace or labels set), planned once, as
    written; one whose spec the render changed replaces it; one of a document planned
    already is not."""
    changed = places.changed_set(item, key)
    if changed is not None:
        places.superseded.add(changed)
    if key in places.written_sets and changed is None or item.app.document in documents:
        return False
    if (home := places.by_hand(item)) is not None:
        places.replacing.add(home)
    places.planned(item, key)
    parents[key] = item.parent if changed is not None else parents.get(key, item.parent)
    return True


def _planned_anew(item: Generated, key: AppKey, documents: set[str],
                  parents: dict[AppKey, Application | None], places: WrittenPlaces) -> bool:
    """Whether a rendered Application is planned: one that changes a written one replaces
    it; one of a key planned is not, unless its document differs from those planned."""
    origin = places.origin(item)
    if origin is not None:
        places.superseded.add(origin)
    if (home := places.by_hand(item)) is not None:
        places.replacing.add(home)  # (what it outputs is planned)
    replaces = key in places.written and origin is not None \
        and places.keys.get(origin) == key
    if key in parents and not replaces and item.app.document in documents:
        return False
    places.planned(item, key)
    if key not in parents or replaces:
        parents[key] = item.parent
    return True



def _changed_sets(found: Discovery, rendered: Sequence[RenderedTarget]) -> set[str]:
    """The names of the ApplicationSets written in files that a render outputs with another
    spec (a Kustomize overlay patching a generator's path in): the render is planned as that
    written set (``_children``), so neither is expanded from what the file says."""
    specs = {s.name: s.raw.get("spec") for s in found.application_sets}
    return {str(r.name) for item in rendered for r in item.resources
            if r.kind == "ApplicationSet" and r.name in specs
            and r.doc.get("spec") != specs[r.name]}


def _expanded_sets(planner: Planner, targets: list[RenderTarget], start: int,
                   changed: Collection[str] = ()) -> list[Generated | Unread]:
    """The Applications the ApplicationSets of git generators of ``targets[start:]`` make
    (``appset_generators``; lists beside them, or in a matrix, too), each generated by its
    set, whose target is then marked ``expanded``; and Argo CD's refusals of some, as errors
    of that target. A set of the ``changed`` names is not expanded."""
    made: list[Generated | Unread] = []
    for index in range(start, len(targets)):
        target, app_set = targets[index], targets[index].application
        if app_set is None or app_set.kind != "ApplicationSet" or app_set.name in changed:
            continue
        document = Document(dict(app_set.raw), dict(app_set.lines), app_set.line)
        try:
            expanded = expand_set(document, app_set.file, planner.root,
                                  lambda url, revision: planner.is_here(
                                      _git_source(url, revision)))
        except PlatecheckError as exc:  # the set creates nothing
            expanded = ([], [exc])
        if expanded is None:
            continue
        targets[index] = dataclasses.replace(target, expanded=True)
        apps, refused = expanded
        for app_document in apps:
            try:
                app = parse_application(app_document, app_set.file)
            except PlatecheckError as exc:
                made.append(Unread(exc, stand_in(app_document, app_set.file), target))
                continue
            # (a value of a git generator's file is where that file writes it)
            places = app_document.places if isinstance(app_document, MadeDocument) else {}
            made.append(Generated(dataclasses.replace(
                app, deployed_by=app_set.deployed_by or app_set.file, namespace=app_set.namespace,
                installed_in=app_set.installed_in, set_name=app_set.name,
                places={**app.places, **places}), app_set, False))
        made.extend(Unread(error, None, target) for error in refused)
    return made


def _git_source(url: str, revision: str | None) -> Source:
    return Source(repo_url=url, target_revision=revision, path=None, chart=None, ref=None,
                  helm=None, directory=None, line=None)


def _set_key(app_set: Application) -> AppKey:
    """An ApplicationSet as Argo CD knows it, never equal to an Application's key."""
    namespace, name = app_key(app_set)
    return f"{namespace}/ApplicationSet", name


def _plan_generated(planner: Planner, children: Sequence[Generated],
                    problems: Problems, taken: set[str]) -> list[RenderTarget]:
    """The targets of ``children``; the error of one that cannot be planned is of the id it
    would have, known by its place (``<id>@<file>:<line>``) when another target has that id
    (``taken``, or a child's before it), as ``planning.distinct`` knows a target."""
    targets: list[RenderTarget] = []
    planner.learn(child.app for child in children)
    known = set(taken)
    for child in children:
        try:
            if child.application_set:
                targets.append(planner.application_set(child.app))
            else:
                targets.extend(planner.application(child.app))
            known.update(t.id for t in targets)
        except PlatecheckError as exc:
            env = planner.environment_of(child.app)
            where = None
            if env is not None:
                named = f"{env.name}/{env.app_of(child.app)}"
                where = (env.name, f"{named}@{child.app.file}:{child.app.line}"
                         if named in known else named)
                known.add(where[1])
            problems.of_generated.add(problems.add(exc, where=where))
    return targets
