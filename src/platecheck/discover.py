"""Finding what to check: the repository root, Argo CD Applications (also through the
app-of-apps), ApplicationSets and charts.

An Application whose source is a directory of this repository without a Chart.yaml or a
kustomization is a directory Application (https://argo-cd.readthedocs.io/en/stable/user-guide/directory/):
the Applications in that directory (``directory.recurse``, ``include``, ``exclude``) are its
children, discovered recursively, each file once.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from platecheck.appset import crd_typed
from platecheck.appset_generators import expand_set
from platecheck.chartfile import as_helm_reads, helm_string
from platecheck.errors import PlatecheckError
from platecheck.globs import matches_any
from platecheck.manifests import SKIP_MARKER, DirectoryOptions, manifest_files
from platecheck.manifests import rel_path as rel_path
from platecheck.model import (
    AppChild,
    Application,
    AppProject,
    Chart,
    HelmParameter,
    HelmSourceSpec,
    KeyPath,
    Source,
    SourceType,
    YamlFile,
    node_at,
)
from platecheck.realpaths import resolve
from platecheck.reporoot import marked_root
from platecheck.resources import never_applied
from platecheck.runmemo import recall
from platecheck.sourcetype import BUILDING, KUSTOMIZATIONS, kustomization_file, source_type
from platecheck.walk import rglob, walk
from platecheck.yamlio import (
    UTF16_MARKS,
    Document,
    decode,
    first_document,
    json_document,
    kube_documents,
    kube_stream,
    line_of,
    read_bytes,
    read_text,
    type_name,
)

ARGO_GROUP = "argoproj.io"
_ARGO_BYTES = ARGO_GROUP.encode()
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_CHART_PARTS = ("templates", "charts")


@dataclass
class Discovery:
    root: Path
    applications: list[Application] = field(default_factory=list)
    app_of_apps: list[Application] = field(default_factory=list)
    application_sets: list[Application] = field(default_factory=list)
    expanded_sets: list[Application] = field(default_factory=list)  # of a plain list
    charts: list[Chart] = field(default_factory=list)
    chart_dirs: list[Path] = field(default_factory=list)  # chart directories given as paths
    yaml_files: dict[str, YamlFile] = field(default_factory=dict)
    errors: list[PlatecheckError] = field(default_factory=list)
    parsed: dict[Path, list[Application]] = field(default_factory=dict)  # file -> its Applications
    set_cache: dict[Path, list[Application]] = field(default_factory=dict)  # its ApplicationSets
    # files read without ``strict`` and passed over (no argoproj.io, or no YAML and no
    # Application kind): read again when named or pointed at
    loose: set[Path] = field(default_factory=set)
    visited: set[Path] = field(default_factory=set)  # the files this discovery has taken
    # the whole repository's discovery when this one was given only part of it (for waivers:
    # whether one is stale depends on the targets a run left out); files are read once
    repository: Discovery | None = None
    excluded: set[str] = field(default_factory=set)  # files an app-of-apps include/exclude skips
    # files an app-of-apps leaves out together with its own file: applied by hand, like it
    hand_applied: set[str] = field(default_factory=set)
    # the Application and ApplicationSet documents that could not be read, by file and line
    failed: dict[tuple[str, int], PlatecheckError] = field(default_factory=dict)
    # of those Applications, what their sources point at (``stand_in``): such a repository
    # has Applications, and what they point at is no chart nobody deploys
    unparsed: list[Application] = field(default_factory=list)
    # files that name an Application kind and argoproj.io but do not read as YAML or JSON:
    # Applications too, of which nothing is known (a repository of them is no chart mode)
    unreadable: list[str] = field(default_factory=list)
    named: set[str] = field(default_factory=set)  # Application files given as paths
    children: list[AppChild] = field(default_factory=list)  # app-of-apps source -> Application
    # files of hidden directories under the walked ones that name an Argo CD Application or
    # ApplicationSet: the walk passes over hidden directories
    hidden: list[str] = field(default_factory=list)
    # the .jsonnet files under the walked directories that name an Argo CD Application or
    # ApplicationSet: discovery reads Applications from YAML and JSON files only
    jsonnet: list[str] = field(default_factory=list)
    projects: list[AppProject] = field(default_factory=list)  # the AppProjects of the files read
    # the Applications (file, line, kind, name) a kustomization applied by hand leaves out:
    # below its directory, not listed by its build (``planning._hand_applied``), with it
    unlisted: list[tuple[str, int, str, str, str]] = field(default_factory=list)


def find_root(path: Path, explicit: Path | None = None) -> Path:
    """The repository root: ``explicit``, else the nearest ancestor of ``path`` holding
    ``.git`` or ``policies/``, else the nearest one the Applications under ``path`` point
    into (their ``source.path`` directories exist below it), else the working directory when
    ``path`` is inside it, else ``path`` itself (its directory for a file)."""
    marked = marked_root(path, explicit)
    if marked is not None:
        return marked
    start = path.resolve()
    directory = start if start.is_dir() else start.parent
    return _root_of_sources(start, directory) or _cwd_above(directory) or directory


def _root_of_sources(start: Path, directory: Path) -> Path | None:
    """The nearest ancestor from which most of the Applications' local source paths exist."""
    found = Discovery(directory)
    files = [start] if start.is_file() else list(_yaml_files(start, directory, recurse=True))
    paths = {source.path.strip("/") for file in files
             for app in _applications_in(found, file, strict=False, lenient=True)
             for source in app.sources
             if source.path and not source.chart and source.path.strip("/") not in ("", ".")}
    best: tuple[int, Path] | None = None
    for candidate in (directory, *directory.parents):
        score = sum((candidate / path).is_dir() for path in paths)
        if score and (best is None or score > best[0]):
            best = (score, candidate)
    return best[1] if best else None


def _cwd_above(directory: Path) -> Path | None:
    cwd = Path.cwd().resolve()
    return cwd if directory.is_relative_to(cwd) else None


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` stays in ``root``, also once symlinks are followed."""
    return resolve(path).is_relative_to(resolve(root))


def discover(root: Path, paths: Sequence[Path], *, whole_repository: bool = False,
             exclude: Sequence[str] = ()) -> Discovery:
    """What ``paths`` hold; with ``whole_repository``, also what the whole repository holds
    (``Discovery.repository``) when ``paths`` are less than the root. The walk leaves out
    the files whose repository path matches a glob of ``exclude``."""
    found = Discovery(root)
    _walk(found, paths, exclude)
    found.charts = _charts(found)
    if whole_repository:
        add_repository(found, paths, exclude)
    return found


def add_repository(found: Discovery, paths: Sequence[Path], exclude: Sequence[str] = ()
                   ) -> None:
    """What the whole repository holds (``Discovery.repository``) besides what ``paths``
    hold, when they are less than the root."""
    root = found.root
    if root.resolve() not in {path.resolve() for path in paths}:
        found.repository = Discovery(root, parsed=found.parsed, set_cache=found.set_cache,
                                     loose=found.loose)
        _walk(found.repository, [root], exclude)


def _walk(found: Discovery, paths: Sequence[Path], exclude: Sequence[str] = ()) -> None:
    root = found.root
    queue: list[Application] = []
    for path in paths:
        path = path.resolve()
        if path.is_file():
            found.named.add(rel_path(path, root))
            queue.extend(_applications_in(found, path, strict=True))
            continue
        sets = len(found.application_sets)
        held = _walked_applications(found, path, exclude)
        # a chart given as a path is linted on its own, unless Applications lie in it (a
        # repository whose root is an umbrella chart): those are what Argo CD deploys
        if (path / "Chart.yaml").is_file() and not held and len(found.application_sets) == sets:
            found.chart_dirs.append(path)
        else:
            found.hidden.extend(_hidden_applications(path, root))
            queue.extend(held)
    # Follow directory sources (app-of-apps); each Application is visited once, so cycles end.
    known: set[tuple[str, int]] = set()
    children_seen: set[tuple[str, int]] = set()
    deploys_more: set[tuple[str, int]] = set()  # Applications whose directory holds more
    while queue:
        app = queue.pop(0)
        if (app.file, app.line) in known:
            continue
        known.add((app.file, app.line))
        found.applications.append(app)
        links = list(_children(found, app, deploys_more))
        # an Application in its own directory manages itself: beside other manifests it is
        # no app-of-apps; alone there it is one that holds no other Application
        children = [child for _, child in links
                    if (child.file, child.line) != (app.file, app.line)]
        if links and not children and (app.file, app.line) not in deploys_more:
            found.app_of_apps.append(app)
        found.children.extend(AppChild((app.file, app.line), index, (child.file, child.line))
                              for index, child in links)
        if children:
            found.app_of_apps.append(app)
            queue.extend(children)
            children_seen.update((child.file, child.line) for child in children)
    # A file that an app-of-apps leaves out on purpose (include/exclude) is not deployed,
    # unless it was named, or the app-of-apps leaves its own file out too: that one is
    # applied by hand, and so are the files it leaves out with it (a bootstrap directory).
    found.applications = [a for a in found.applications
                          if a.file not in found.excluded - found.hand_applied - found.named
                          or (a.file, a.line) in children_seen]
    found.applications.sort(key=lambda a: (a.file, a.line))
    found.app_of_apps.sort(key=lambda a: (a.file, a.line))


def _walked_applications(found: Discovery, path: Path, exclude: Sequence[str]
                         ) -> list[Application]:
    """The Applications of the files under the directory ``path`` (not those an include,
    exclude or patch file leaves out)."""
    root = found.root
    jsonnet: list[Path] = []
    files = list(_yaml_files(path, root, recurse=True, jsonnet=jsonnet))
    found.jsonnet.extend(rel_path(file, root) for file in jsonnet
                         if _jsonnet_names_argo_kind(file, root, set()))
    patches = _patch_files(files, root)
    return [app for file in files
            if not (exclude and matches_any(rel_path(file, root), exclude))
            and file not in patches
            for app in _applications_in(found, file, strict=False)]


def _children(found: Discovery, app: Application, deploys_more: set[tuple[str, int]]
              ) -> Iterator[tuple[int, Application]]:
    """The Applications in the directory of each directory source (source index, child);
    the Application's key goes into ``deploys_more`` when a file there holds none."""
    root = found.root
    for index, source in enumerate(app.sources):
        if source.chart or source.path is None or source.path.startswith("/"):
            continue  # an absolute path Argo CD refuses (util/app/path Path)
        directory = resolve(root / source.path) if source.path not in ("", ".") else root
        if not inside(directory, root) or not directory.is_dir():
            continue  # planning reports it with the Application's line
        try:
            kind = source_type(raw_at(app.raw, source_key(app, index)), directory)
        except PlatecheckError:
            continue  # planning reports it with the Application's line
        if kind is not SourceType.DIRECTORY:
            continue
        options = DirectoryOptions.of(raw_at(app.raw, source_key(app, index)))
        try:
            selected = [file for file in manifest_files(directory, root, options)
                        if not file.name.endswith(".jsonnet")]
        except PlatecheckError:
            continue  # rendering the directory reports it at the file
        # only include/exclude leave a file out on purpose: one below a directory that is not
        # recursed into is no part of this source, and may be deployed by another Application
        chosen = set(selected)
        left_out = {rel_path(file, root) for file in _yaml_files(
            directory, root, recurse=options.recurse, skip_charts=False) if file not in chosen}
        found.excluded |= left_out
        if app.file in left_out:
            found.hand_applied |= left_out
        for file in selected:
            held = _applications_in(found, file, strict=True, lenient=True)
            if not held and not found.set_cache.get(resolve(file)):
                deploys_more.add((app.file, app.line))
            for child in held:
                # an argocd.argoproj.io/hook: Skip Application gets no sync task
                # (gitops-engine pkg/sync/hook): Argo CD never creates it
                if not never_applied(child.raw):
                    yield index, child
            # an ApplicationSet there is deployed too (its Applications are Argo CD's to make)
            found.children.extend(AppChild((app.file, app.line), index, (s.file, s.line))
                                  for s in found.set_cache.get(resolve(file), ()))


def _unreadable(error: OSError, directory: Path, root: Path) -> NoReturn:
    raise PlatecheckError(f"cannot read directory: {error.strerror or error}",
                          rel_path(directory, root)) from None


def _listed(directory: Path, root: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk``, a directory it cannot list being an error naming it, not passed over."""
    def failed(error: OSError) -> None:
        _unreadable(error, Path(error.filename or directory), root)

    return walk(directory, onerror=failed)


_PATCH_FIELDS = ("patchesStrategicMerge", "patches", "patchesJson6902")


def _patch_files(files: Sequence[Path], root: Path) -> set[Path]:
    """The files that the kustomizations in the directories of ``files`` or above them name
    as patches (``patches``, ``patchesStrategicMerge``, ``patchesJson6902``; a patch in a
    ``patches/`` directory of its overlay) and none names as a resource: kustomize applies
    such a file to the resources it builds, and Argo CD never applies it alone, so an
    Application written in it (a patch of one) is none. A kustomization that does not read
    names nothing (its build reports it)."""
    named: dict[str, set[Path]] = {"patch": set(), "resource": set()}
    top = resolve(root)
    directories = {parent for file in files for parent in (file.parent, *file.parent.parents)
                   if parent.is_relative_to(top)}
    for directory in sorted(directories):
        found = kustomization_file(directory)
        if found is None:
            continue
        try:
            data = first_document(read_text(found, rel_path(found, root))[1],
                                  rel_path(found, root)).data
        except PlatecheckError:
            continue
        if not isinstance(data, dict):
            continue
        for kind, fields in (("patch", _PATCH_FIELDS), ("resource", BUILDING)):
            for field_name in fields:
                entries = data.get(field_name)
                for entry in entries if isinstance(entries, list) else ():
                    path = entry.get("path") if isinstance(entry, dict) else entry
                    if isinstance(path, str) and "\n" not in path:  # not an inline patch
                        written = Path(os.path.normpath(directory / path))
                        # (and the file a link in the repository leads to: kustomize reads it)
                        named[kind].update({written, resolve(written)})
    return named["patch"] - named["resource"]


def _yaml_files(directory: Path, root: Path, *, recurse: bool,
                skip_charts: bool = True, jsonnet: list[Path] | None = None) -> Iterator[Path]:
    """YAML/JSON files under ``directory``, sorted, skipping hidden directories, nested
    repositories and (when scanning for Applications) chart directories; the ``.jsonnet``
    files met on the way go into ``jsonnet`` when given."""
    for current, dirs, files in _listed(directory, root):
        here = Path(current)
        dirs[:] = sorted(
            d for d in dirs
            if not d.startswith(".") and (recurse and not _skipped(here / d, root, skip_charts))
        )
        for name in sorted(files):
            if (here / name).is_symlink() and not (here / name).exists():
                continue  # a link to nothing: Argo CD passes over it ("destination ... is
                # missing"), a directory source as discovery
            if name.endswith(MANIFEST_SUFFIXES) and inside(here / name, root):
                yield here / name
            elif jsonnet is not None and name.endswith(".jsonnet") and inside(here / name, root):
                jsonnet.append(here / name)


# what a manifest naming an Argo CD Application or ApplicationSet holds: ``kind:
# Application`` ending its line, or in JSON ``"kind": "Application"`` before a ``,`` or ``}``
_ARGO_KIND = re.compile(rb"\bkind[\"']?\s*:\s*[\"']?Application(?:Set)?"
                        rb"(?:[\"']?\s*$|[\"']\s*[,}])", re.MULTILINE)
# the same in Jsonnet: kind: 'Application', (any quotes, the key's too, a comma after)
_JSONNET_KIND = re.compile(rb"\bkind[\"']?\s*:\s*[\"']Application(?:Set)?[\"']")
_HIDDEN_READ = 1 << 20  # the bytes of a hidden directory's file looked at, at most


def _hidden_applications(directory: Path, root: Path) -> Iterator[str]:
    """The repository paths of the manifests in hidden directories below ``directory``
    (``.argocd/``, ``.bootstrap/``; not ``.git``) that name an Argo CD Application or
    ApplicationSet, which the walk passes over: said, not skipped in silence."""
    for current, dirs, _ in _listed(directory, root):
        here = Path(current)
        hidden = sorted(d for d in dirs if d.startswith(".") and d != ".git"
                        and not _skipped(here / d, root, skip_charts=False))
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not _skipped(here / d, root, skip_charts=False))
        for name in hidden:
            for inner, subdirs, files in _listed(here / name, root):
                subdirs[:] = sorted(d for d in subdirs if d != ".git"
                                    and not _skipped(Path(inner) / d, root, skip_charts=False))
                for file in sorted(files):
                    path = Path(inner) / file
                    if file.endswith(MANIFEST_SUFFIXES) and inside(path, root) \
                            and _holds_argo_kind(path, rel_path(path, root)):
                        yield rel_path(path, root)


def _holds_argo_kind(path: Path, rel: str) -> bool:
    """Whether a hidden directory's file holds an Argo CD Application or ApplicationSet: a
    document of one, read as Argo CD reads a manifest (``kube_stream``), not its text (a
    workflow's script that pipes one to kubectl only quotes it); a file that does not read
    (a template's ``{{ }}``) and names one in its text does."""
    head = file_head(path)
    if not text_names_argo_kind(head):
        return False
    documents, failed = kube_stream(head.decode("utf-8", "replace"), rel)
    objects = [d.data for d in documents if isinstance(d.data, Mapping)]
    objects += [item for data in objects if str(data.get("kind", "")).endswith("List")
                and isinstance(data.get("items"), list) for item in data["items"]
                if isinstance(item, Mapping)]  # (a List's items are applied each)
    return failed is not None or any(
        str(data.get("apiVersion", "")).startswith(ARGO_GROUP + "/")
        and data.get("kind") in ("Application", "ApplicationSet") for data in objects)


# a Jsonnet import of a file: ``import 'lib/app.libsonnet'`` (not ``importstr``, text)
_JSONNET_IMPORT = re.compile(rb"\bimport\s*(['\"])([^'\"\n]+)\1")


def _jsonnet_names_argo_kind(path: Path, root: Path, seen: set[Path]) -> bool:
    """Whether a Jsonnet file names an Argo CD Application or ApplicationSet, itself or in a
    file of the repository it imports by a path relative to it (a library writing the kind,
    the file only calling it), followed as deep as they go."""
    head = file_head(path)
    if text_names_argo_kind(head, _JSONNET_KIND):
        return True
    seen.add(resolve(path))
    for match in _JSONNET_IMPORT.finditer(head):
        imported = path.parent / match.group(2).decode("utf-8", "surrogateescape")
        if resolve(imported) not in seen and inside(imported, root) and imported.is_file() \
                and _jsonnet_names_argo_kind(imported, root, seen):
            return True
    return False


def names_argo_kind(path: Path, kind: re.Pattern[bytes] | None = _ARGO_KIND) -> bool:
    """Whether the file (its first megabyte) names Argo CD's API group, and ``kind`` (an
    Application or ApplicationSet; None: any)."""
    return text_names_argo_kind(file_head(path), kind)


def text_names_argo_kind(head: bytes, kind: re.Pattern[bytes] | None = _ARGO_KIND) -> bool:
    """``names_argo_kind`` of a file's first megabyte."""
    return b"argoproj.io/" in head and (kind is None or kind.search(head) is not None)


def file_head(path: Path) -> bytes:
    """The first megabyte of a file, or nothing when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return handle.read(_HIDDEN_READ)
    except OSError:
        return b""


def top_level_charts(paths: Sequence[Path], root: Path) -> list[Path]:
    """Chart directories under ``paths`` that are not inside another chart (a vendored
    subchart renders with its parent), for chart mode."""
    return source_directories(paths, root)[0]


def source_directories(paths: Sequence[Path], root: Path, exclude: Sequence[str] = ()
                       ) -> tuple[list[Path], list[Path], list[Path]]:
    """In one walk of ``paths``: the top-level chart directories (``top_level_charts``), the
    directories holding a kustomization, and the chart directories inside another chart's
    directory but outside its ``charts/`` and ``templates/`` (helm loads subcharts from
    ``charts/`` only: to helm such a chart is files of its parent, rendered by nobody); but
    a directory whose repository path, or its ``Chart.yaml`` or kustomization file's, a glob
    of ``exclude`` matches (the configuration's: another tool's). Walked once per run
    (``runmemo``: planning, kustomizations applied by hand and the undeployed policies ask
    alike); the lists are shared, never changed."""
    found = recall("source directories", (tuple(paths), root),
                   lambda: _source_directories(paths, root))
    if not exclude:
        return found
    return recall("source directories kept", (tuple(paths), root, tuple(exclude)),
                  lambda: _kept_directories(found, root, exclude))


def _kept_directories(found: tuple[list[Path], list[Path], list[Path]], root: Path,
                      exclude: Sequence[str]) -> tuple[list[Path], list[Path], list[Path]]:
    """``found`` but the directories ``exclude`` leaves out (``source_directories``)."""
    charts, kustomizations, nested = found
    kept = [[d for d in directories if not any(
        matches_any(rel_path(d / name, root) if name else rel_path(d, root), exclude)
        for name in ("", *marks) if not name or (d / name).is_file())]
        for directories, marks in ((charts, ("Chart.yaml",)), (kustomizations, KUSTOMIZATIONS),
                                   (nested, ("Chart.yaml",)))]
    return kept[0], kept[1], kept[2]


def _source_directories(paths: Sequence[Path], root: Path
                        ) -> tuple[list[Path], list[Path], list[Path]]:
    charts: list[Path] = []
    kustomizations: list[Path] = []
    nested: list[Path] = []
    found: set[Path] = set()
    for path in paths:
        if not path.is_dir():
            continue
        for current, dirs, files in _listed(path, root):
            here = Path(current)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and not _skipped(here / d, root, skip_charts=False))
            if "Chart.yaml" in files:
                inside = any(parent in found for parent in here.parents)
                (nested if inside else charts).append(here)
                found.add(here)
                dirs[:] = [d for d in dirs if d not in ("charts", "templates")]
            elif any(name in files for name in KUSTOMIZATIONS):
                kustomizations.append(here)
    return sorted(charts), sorted(kustomizations), sorted(nested)


def _skipped(directory: Path, root: Path, skip_charts: bool) -> bool:
    if directory.is_symlink():
        return True
    try:
        nested = (directory / ".git").exists() or \
            (directory / "policies" / "platecheck.yaml").is_file()
    except OSError as exc:  # a directory that cannot be searched is not silently passed over
        _unreadable(exc, directory, root)
    if nested:
        return True  # another repository (e.g. test fixtures) is checked on its own
    # a chart's templates and subcharts hold templates, not manifests; an Application beside
    # its Chart.yaml is one (deployed by a Kustomize tree, say)
    return skip_charts and directory.name in _CHART_PARTS and \
        (directory.parent / "Chart.yaml").is_file()


def _applications_in(found: Discovery, file: Path, strict: bool,
                     lenient: bool = False) -> list[Application]:
    """Applications in one manifest file. Files are read once; a file that does not mention
    argoproj.io is only parsed when ``strict`` (it was named, or an app-of-apps points at it).
    ``lenient``: a file that cannot be read is left to the directory source's render, which
    reports it as Argo CD would (or ignores it). A symbolic link is read as the file it
    leads to, as Argo CD reads it: one Application, wherever it is reached from."""
    file = resolve(file)
    if strict and file in found.loose:
        found.loose.discard(file)
        del found.parsed[file]
    if file in found.parsed:
        if file not in found.visited:  # read by the discovery this one shares files with
            found.visited.add(file)
            found.application_sets.extend(found.set_cache.get(file, ()))
        return found.parsed[file]
    apps: list[Application] = []
    found.parsed[file] = apps
    found.visited.add(file)
    rel = rel_path(file, found.root)
    read = _documents(found, file, rel, strict, lenient)
    if read is None:
        return apps
    raw, text, documents = read
    if SKIP_MARKER in text:
        return apps
    for document in (item for top in documents for item in list_items(top)):
        data = document.data
        if not isinstance(data, dict):
            continue
        api_version = str(data.get("apiVersion", ""))
        kind = data.get("kind")
        if not api_version.startswith(ARGO_GROUP + "/"):
            continue
        if kind not in ("Application", "ApplicationSet"):
            _other_kind(found, document, rel, lenient)
            continue
        if not strict and "spec" not in data and _in_kustomization(file, found.root):
            continue  # a patch's part of one, kept beside the overlay it was written for
        found.yaml_files[rel] = YamlFile(file, rel, "application", raw)
        try:
            expansion = expand_set(crd_typed(document, rel), rel) \
                if kind == "ApplicationSet" else None
            if kind == "Application":
                apps.append(parse_application(document, rel))
            elif expansion is not None:  # of lists: the Applications it makes
                apps.extend(_expanded(found, document, expansion, rel))
            else:
                app_set = parse_application_set(document, rel)
                found.application_sets.append(app_set)
                found.set_cache.setdefault(file, []).append(app_set)
        except PlatecheckError as exc:
            found.errors.append(exc)
            found.failed[(rel, document.line)] = exc
            standing = stand_in(document, rel) if kind == "Application" else None
            if standing is not None:
                found.unparsed.append(standing)
    return apps


def _in_kustomization(file: Path, root: Path) -> bool:
    """Whether ``file`` lies in the directory of a kustomization or below it: a document of
    an Application without its ``spec`` there is a patch's fragment (``patches/`` of an
    overlay), which no build applies alone, not an Application the API server refuses."""
    top = resolve(root)
    return any(kustomization_file(parent) is not None
               for parent in (file.parent, *file.parent.parents)
               if parent.is_relative_to(top))


def _other_kind(found: Discovery, document: Document, rel: str, lenient: bool) -> None:
    """An argoproj.io document of a kind other than Application and ApplicationSet: an
    AppProject is kept; a misspelt Application kind is an error (unless ``lenient``)."""
    api_version, kind = document.data.get("apiVersion"), document.data.get("kind")
    if kind == "AppProject":
        project = app_project(document.data, rel, document.line)
        found.projects.extend([project] if project is not None else [])
        return
    meant = _misspelt(kind)
    if meant and not lenient:
        found.errors.append(PlatecheckError(
            f"{api_version} has no kind {kind!r}: did you mean {meant}? Argo CD "
            "cannot apply this document, and nothing it declares is checked",
            rel, document.line))


# what Argo CD creates the project default with (server/server.go initializeDefaultProject)
_DEFAULT_PROJECT: Mapping[str, Any] = {
    "sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
    "clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}


def app_project(data: Mapping[str, Any], rel: str, line: int,
                namespace: str | None = None) -> AppProject | None:
    """An AppProject document (its name a string, its spec a mapping or none), in
    ``namespace`` when its metadata names none; None when it is neither. The project
    ``default`` keeps what Argo CD creates it with where the document writes nothing
    (applying it leaves the fields it never wrote)."""
    metadata = data.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    name, spec = metadata.get("name"), data.get("spec") or {}
    if not isinstance(name, str) or not name or not isinstance(spec, Mapping):
        return None
    if name == "default":
        spec = {**_DEFAULT_PROJECT, **spec}
    written = metadata.get("namespace")
    return AppProject(name, written if isinstance(written, str) and written else namespace,
                      rel, line, spec)


def stand_in(document: Document, rel: str) -> Application | None:
    """An Application that could not be read as only what its sources point at (the
    ``repoURL`` and ``path`` written as strings); None when it names none."""
    spec = document.data.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    listed = spec.get("sources")
    written: list[Any] = listed if isinstance(listed, list) else [spec.get("source")]
    sources = [{key: source[key] for key in ("repoURL", "path")}
               for source in written if isinstance(source, dict)
               and all(isinstance(source.get(key), str) for key in ("repoURL", "path"))]
    if not sources:
        return None
    metadata = document.data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    data = {"apiVersion": document.data.get("apiVersion"), "kind": "Application",
            "metadata": {"name": name if isinstance(name, str) and name else "unparsed"},
            "spec": {"project": "default", "destination": {}, "sources": sources}}
    try:
        return parse_application(Document(data, {}, document.line), rel)
    except PlatecheckError:
        return None


def _expanded(found: Discovery, document: Document,
              expansion: tuple[list[Document], list[PlatecheckError]], rel: str
              ) -> list[Application]:
    """The Applications an ApplicationSet of list generators makes (``expand_set``: all, or
    none, an error), each with the set's line, but those Argo CD alone refuses (no name, one
    name twice: ``refused``); the set itself is kept as expanded."""
    made, refused = expansion
    own = document.data.get("metadata")
    name = own.get("name") if isinstance(own, dict) else None
    apps = [dataclasses.replace(parse_application(app, rel), set_line=document.line,
                                set_name=name if isinstance(name, str) else None)
            for app in made]
    found.errors.extend(refused)
    found.expanded_sets.append(parse_application_set(document, rel))
    return apps


TEMPLATE_REMEDY = (
    "The file holds template actions ({{ ... }}) outside any chart: it is no YAML until a "
    "tool renders it. If it is a template of a chart kept elsewhere, or a test fixture, "
    "leave it out with exclude in policies/platecheck.yaml; if it is an Application Argo "
    "CD applies as it is, write it as YAML.")


def _documents(found: Discovery, file: Path, rel: str, strict: bool, lenient: bool
               ) -> tuple[bytes, str, list[Document]] | None:
    """The bytes, text and YAML documents of a manifest file; None when it is passed over
    (marked ``loose`` when only the walk found it) or cannot be read (an error unless
    ``lenient``)."""
    raw = b""
    try:
        raw = read_bytes(file, rel)
        if not strict and not _may_hold_application(raw):
            found.loose.add(file)
            return None  # nothing an Application could be written in (binary, encrypted...)
        if not strict and _chart_data_file(file, raw, found.root):
            # data its chart's templates render (.Files and tpl), never applied as it is;
            # what the Applications in it point at is not "deployed by none"
            found.loose.add(file)
            found.unparsed.extend(_chart_data(raw, rel))
            return None
        text = decode(raw, rel, lenient=True)  # (a directory source's file, to Argo CD)
        if file.name.endswith(".json"):  # Argo CD reads one JSON object, as JSON
            return raw, text, [json_document(text, rel)]
        documents, error = kube_stream(text, rel)  # as kubectl and Argo CD read it
        if error is not None:
            raise error
        return raw, text, documents
    except PlatecheckError as exc:
        # a file only the walk found that is no YAML and declares no Application kind is
        # another tool's template (an AppProject in FreeMarker, say), not an Application;
        # nor is one with template actions among a chart's files (outside its templates/,
        # which helm does not render: an old template kept there)
        if not lenient and (strict or not raw or raw.startswith(UTF16_MARKS) or (
                _APPLICATION_KIND.search(raw)
                and not (b"{{" in raw and _in_chart(file, found.root)))):
            if not strict and b"{{" in raw:  # a template of no chart: say what it looks like
                exc = PlatecheckError(exc.message, exc.file, exc.line, TEMPLATE_REMEDY)
            found.errors.append(exc)
            # an object of Argo CD's API (not a CRD naming its kinds); one with template
            # actions is a chart's template, wherever its chart is
            if _ARGO_API_VERSION.search(raw) and _APPLICATION_KIND.search(raw) \
                    and b"{{" not in raw:
                found.unreadable.append(rel)
        elif not strict:
            found.loose.add(file)
        return None


# an Application kind (not an ApplicationSet, whose own templates are written {{ ... }})
_APPLICATION_ONLY = re.compile(rb"\bkind[\"']?\s*:\s*[\"']?Application\b")


def _chart_data_file(file: Path, raw: bytes, root: Path) -> bool:
    """Whether ``file`` (outside a chart's templates/, which the walk skips) is data of the
    chart holding it: Applications written with template actions, in a chart whose
    templates read its files (``.Files``)."""
    if b"{{" not in raw or not _APPLICATION_ONLY.search(raw):
        return False
    chart = _chart_of(file, root)
    return chart is not None and recall("chart reads files", chart,
                                        lambda: _reads_files(chart, root))


def _reads_files(chart: Path, root: Path) -> bool:
    from platecheck.cache import FILES_WORD  # (read only for such a file)

    for path in sorted(rglob(chart / "templates")):
        try:
            if path.is_file() and FILES_WORD.search(read_bytes(path, rel_path(path, root))):
                return True
        except PlatecheckError:
            continue
    return False


def _chart_data(raw: bytes, rel: str) -> list[Application]:
    """The Applications of a chart's data file, as what their sources point at
    (``stand_in``); none when it does not read as YAML."""
    try:
        documents = kube_documents(decode(raw, rel), rel)[0]
    except PlatecheckError:
        return []
    standing = (stand_in(document, rel) for document in documents
                if isinstance(document.data, dict)
                and document.data.get("kind") == "Application")
    return [app for app in standing if app is not None]


def _in_chart(file: Path, root: Path) -> bool:
    """Whether a directory of the repository holding ``file`` is a chart's (a Chart.yaml)."""
    return _chart_of(file, root) is not None


def _chart_of(file: Path, root: Path) -> Path | None:
    """The nearest directory of the repository holding ``file`` that is a chart's."""
    return next((parent for parent in file.parents if parent.is_relative_to(root)
                 and (parent / "Chart.yaml").is_file()), None)


_ARGO_API_VERSION = re.compile(rb"\bapiVersion[\"']?\s*:\s*[\"']?argoproj\.io/")
_APPLICATION_KIND = re.compile(rb"\bkind[\"']?\s*:\s*[\"']?Application(?:Set)?\b")


def _may_hold_application(raw: bytes) -> bool:
    """Whether a file the walk found names ``argoproj.io``, read as UTF-16 when it is marked
    so (as Argo CD and go-yaml read it); a UTF-16 file that does not name it, a saved
    report, is no Application."""
    if raw.startswith(UTF16_MARKS):
        try:
            return ARGO_GROUP in raw.decode("utf-16")
        except UnicodeDecodeError:
            return True  # not even UTF-16: reading it says why
    return _ARGO_BYTES in raw


def _misspelt(kind: object) -> str | None:
    """The Argo CD kind ``kind`` is a misspelling of (``Aplication``, ``APPLICATION``: kinds
    are case-sensitive to the API server and kubectl's REST mapping), if it is one."""
    import difflib

    if not isinstance(kind, str) or kind in _OTHER_ARGO_KINDS:
        return None
    kinds = {"application": "Application", "applicationset": "ApplicationSet"}
    close = difflib.get_close_matches(kind.lower(), kinds, 1, 0.85)
    return kinds[close[0]] if close else None


# argoproj.io kinds of Argo CD, Rollouts, Workflows and Events that are no Application
_OTHER_ARGO_KINDS = frozenset((
    "AppProject", "ArgoCD", "ArgoCDExport", "NotificationsConfiguration", "ApplicationList",
    "Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun", "Experiment",
    "Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow",
    "WorkflowEventBinding", "WorkflowTaskSet", "WorkflowTaskResult", "WorkflowArtifactGCTask",
    "EventBus", "EventSource", "Sensor"))


def list_items(document: Document) -> list[Document]:
    """A ``...List`` document's items, each a document with its own lines (Argo CD applies
    the items, as ``kubectl apply`` does); any other document as it is."""
    data = document.data
    kind = data.get("kind") if isinstance(data, dict) else None
    if not (isinstance(kind, str) and kind.endswith("List")
            and isinstance(data.get("items"), list)):
        return [document]
    by_item: dict[Any, dict[KeyPath, int]] = {}  # the lines of each item, read once
    for path, line in document.lines.items():
        if len(path) > 2 and path[0] == "items":
            by_item.setdefault(path[1], {})[path[2:]] = line
    return [Document(item, by_item.get(index, {}),
                     document.lines.get(("items", index), document.line))
            for index, item in enumerate(data["items"])]


# -- Application manifests ------------------------------------------------------------------


class _Reader:
    """Typed access to a document with errors at the right line."""

    def __init__(self, document: Document, rel: str) -> None:
        self.lines = document.lines
        self.rel = rel
        self.line = document.line

    def at(self, path: KeyPath) -> int:
        return line_of(self.lines, path, self.line)

    def fail(self, message: str, path: KeyPath) -> PlatecheckError:
        return PlatecheckError(message, self.rel, self.at(path))

    def get(self, data: Mapping[str, Any], path: KeyPath, key: str, kind: type,
            default: Any = None) -> Any:
        value = data.get(key, default)
        if value is None:
            return default
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, kind):
            raise self.fail(f"{'.'.join(map(str, (*path, key)))} must be "
                            f"{type_name(kind())}, found {type_name(value)}", (*path, key))
        return value


def parse_application(document: Document, rel: str) -> Application:
    document = _hydrated(document)
    reader = _Reader(document, rel)
    data: dict[str, Any] = document.data
    metadata = reader.get(data, (), "metadata", dict, {})
    name = reader.get(metadata, ("metadata",), "name", str)
    if not name:
        raise reader.fail("Application has no metadata.name", ("metadata",))
    spec = reader.get(data, (), "spec", dict, {})
    _no_nul(reader, spec, ("spec",))
    destination = reader.get(spec, ("spec",), "destination", dict, {})
    # (none without a spec, which the API server refuses: the Application schema's finding)
    sources = _sources(reader, spec) if "spec" in data else ()
    return Application(
        name=name,
        file=rel,
        line=document.line,
        namespace=reader.get(metadata, ("metadata",), "namespace", str),
        labels=_strings(reader.get(metadata, ("metadata",), "labels", dict, {})),
        annotations=_strings(reader.get(metadata, ("metadata",), "annotations", dict, {})),
        project=reader.get(spec, ("spec",), "project", str),
        destination_namespace=reader.get(destination, ("spec", "destination"), "namespace", str),
        destination_server=reader.get(destination, ("spec", "destination"), "server", str),
        sources=sources,
        sync_policy=reader.get(spec, ("spec",), "syncPolicy", dict),
        ignore_differences=tuple(reader.get(spec, ("spec",), "ignoreDifferences", list, [])),
        raw=data,
        lines=document.lines,
    )


DRY_SOURCE = ("spec", "sourceHydrator", "drySource")  # what Argo CD renders of a hydrator


def _hydrated(document: Document) -> Document:
    """An Application with ``spec.sourceHydrator``, read with its ``drySource`` as
    ``spec.source`` (at the dry source's lines) and without any ``source`` or ``sources`` of
    its own: what Argo CD's hydrator renders and commits for the Application to sync is the
    dry source's render, and Argo CD reads no other source while a hydrator is set
    (``ApplicationSpec.GetSource``/``GetSources`` return the sync source)."""
    spec = document.data.get("spec")
    hydrator = spec.get("sourceHydrator") if isinstance(spec, dict) else None
    dry = hydrator.get("drySource") if isinstance(hydrator, dict) else None
    if not isinstance(dry, dict):
        return document
    own = {key: value for key, value in spec.items() if key not in ("source", "sources")}
    lines = {path: line for path, line in document.lines.items()
             if path[:2] not in (("spec", "source"), ("spec", "sources"))}
    lines.update({("spec", "source", *path[3:]): line
                  for path, line in document.lines.items() if path[:3] == DRY_SOURCE})
    return Document({**document.data, "spec": {**own, "source": dry}}, lines, document.line)


def _no_nul(reader: _Reader, node: Any, path: KeyPath) -> None:
    """No text of the spec holds a NUL character: no file name or program argument can,
    and Argo CD fails on it."""
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(value, str) and "\0" in value:
            raise reader.fail(f"{'.'.join(map(str, (*path, key)))} holds a NUL character, "
                              "which no path or argument can hold", (*path, key))
        _no_nul(reader, value, (*path, key))


def parse_application_set(document: Document, rel: str) -> Application:
    """An ApplicationSet as an Application made of its template (never rendered here)."""
    data = document.data
    reader = _Reader(document, rel)
    spec = reader.get(data, (), "spec", dict, {})
    template = reader.get(spec, ("spec",), "template", dict, {})
    metadata = reader.get(data, (), "metadata", dict, {})
    name = reader.get(metadata, ("metadata",), "name", str) or "<unnamed>"
    # The template is an Application: its key paths lose the "spec.template" prefix. It is
    # created in the set's own namespace, whatever the template's metadata says
    # (``GenerateApplications``), so that is the namespace it is modelled in.
    shifted = {path[2:]: line for path, line in document.lines.items()
               if path[:2] == ("spec", "template") and len(path) > 2}
    shifted.pop(("metadata", "namespace"), None)
    own = {"namespace": metadata["namespace"]} if "namespace" in metadata else {}
    if "namespace" in metadata and ("metadata", "namespace") in document.lines:
        shifted[("metadata", "namespace")] = document.lines[("metadata", "namespace")]
    written = {k: v for k, v in (template.get("metadata") or {}).items() if k != "namespace"}
    app_doc = Document({"apiVersion": data.get("apiVersion"), "kind": "Application",
                        "metadata": {**written, "name": name, **own},
                        "spec": template.get("spec") or {}}, shifted, document.line)
    try:
        parsed = parse_application(app_doc, rel)
        return dataclasses.replace(parsed, raw=data, lines=document.lines)
    except PlatecheckError:
        return Application(name=name, file=rel, line=document.line, namespace=None, labels={},
                           annotations={}, project=None, destination_namespace=None,
                           destination_server=None, sources=(), sync_policy=None,
                           ignore_differences=(), raw=data, lines=document.lines)


def source_key(app: Application, index: int) -> KeyPath:
    """The key path of an Application's source ``index`` (``spec.sources[i]`` or
    ``spec.source``)."""
    spec = app.raw.get("spec") or {}
    return ("spec", "sources", index) if spec.get("sources") else ("spec", "source")


def raw_at(data: Mapping[str, Any], path: KeyPath) -> dict[str, Any]:
    """The mapping at ``path`` in a parsed document (empty when there is none)."""
    node = node_at(data, path)
    return node if isinstance(node, dict) else {}


def _strings(mapping: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in mapping.items()}


def _sources(reader: _Reader, spec: Mapping[str, Any]) -> tuple[Source, ...]:
    many = reader.get(spec, ("spec",), "sources", list, [])
    if many:
        return tuple(_source(reader, item, ("spec", "sources", i)) for i, item in enumerate(many))
    single = reader.get(spec, ("spec",), "source", dict)
    if single is None:
        raise reader.fail("Application has neither spec.source nor spec.sources", ("spec",))
    return (_source(reader, single, ("spec", "source")),)


def _source(reader: _Reader, data: Any, path: KeyPath) -> Source:
    if not isinstance(data, dict):
        raise reader.fail(f"source must be a mapping, found {type_name(data)}", path)
    helm = reader.get(data, path, "helm", dict)
    return Source(
        repo_url=reader.get(data, path, "repoURL", str, ""),
        target_revision=reader.get(data, path, "targetRevision", str),
        path=reader.get(data, path, "path", str),
        chart=reader.get(data, path, "chart", str),
        ref=reader.get(data, path, "ref", str),
        helm=_helm(reader, helm, (*path, "helm")) if helm is not None else None,
        directory=reader.get(data, path, "directory", dict),
        line=reader.at(path),
    )


def _helm(reader: _Reader, data: Mapping[str, Any], path: KeyPath) -> HelmSourceSpec:
    values = data.get("values")
    if values is not None and not isinstance(values, str):
        raise reader.fail("helm.values must be a string (use valuesObject for a mapping)",
                          (*path, "values"))
    parameters = []
    for i, item in enumerate(reader.get(data, path, "parameters", list, [])):
        item_path = (*path, "parameters", i)
        # (a parameter without a name is Argo CD's ``--set =value``, which helm takes)
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance("" if name is None else name, str):
            raise reader.fail("helm parameter name must be a string", item_path)
        value = item.get("value", "")
        parameters.append(HelmParameter(
            name=name or "",
            value=_go_string(value),
            force_string=reader.get(item, item_path, "forceString", bool, False),
        ))
    file_parameters = []
    for i, item in enumerate(reader.get(data, path, "fileParameters", list, [])):
        item_path = (*path, "fileParameters", i)
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) \
                or not isinstance(item.get("path"), str):
            raise reader.fail("helm fileParameters entries need a name and a path", item_path)
        file_parameters.append(HelmParameter(name=item["name"], value=item["path"]))
    value_files = reader.get(data, path, "valueFiles", list, [])
    for i, item in enumerate(value_files):
        if not isinstance(item, str):
            raise reader.fail("helm.valueFiles entries must be strings", (*path, "valueFiles", i))
    return HelmSourceSpec(
        value_files=tuple(value_files),
        values=values,
        values_object=reader.get(data, path, "valuesObject", dict),
        parameters=tuple(parameters),
        release_name=reader.get(data, path, "releaseName", str),
        ignore_missing_value_files=reader.get(data, path, "ignoreMissingValueFiles", bool, False),
        skip_crds=reader.get(data, path, "skipCrds", bool, False),
        pass_credentials=reader.get(data, path, "passCredentials", bool, False),
        api_versions=tuple(str(v) for v in reader.get(data, path, "apiVersions", list, [])),
        kube_version=reader.get(data, path, "kubeVersion", str),
        namespace=reader.get(data, path, "namespace", str),
        line=reader.at(path),
        file_parameters=tuple(file_parameters),
        skip_tests=reader.get(data, path, "skipTests", bool, False),
        skip_schema_validation=reader.get(data, path, "skipSchemaValidation", bool, False),
        version=reader.get(data, path, "version", str, ""),
    )


def _go_string(value: Any) -> str:
    """A parameter value as the string Argo CD stores (the field is a string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# -- charts ---------------------------------------------------------------------------------


def _charts(found: Discovery) -> list[Chart]:
    """The charts given as paths. The charts Applications deploy are loaded when planned;
    any other Chart.yaml in the tree (a vendored dependency, a chart nothing deploys) is not
    platecheck's to judge: Helm reads a dependency when it renders its parent."""
    charts: dict[Path, Chart] = {}
    for directory in found.chart_dirs:
        if directory in charts:
            continue
        try:
            charts[directory] = load_chart(directory, found)
        except PlatecheckError as exc:
            found.errors.append(exc)
    return [charts[d] for d in sorted(charts)]


def load_chart(directory: Path, found: Discovery) -> Chart:
    """A chart directory's Chart.yaml (recorded among the YAML files read)."""
    file = directory / "Chart.yaml"
    rel = rel_path(file, found.root)
    raw, text = read_text(file, rel)
    found.yaml_files[rel] = YamlFile(file, rel, "chart", raw)
    document = first_document(text, rel)
    if not isinstance(document.data, dict):
        raise PlatecheckError("Chart.yaml must be a mapping", rel, document.line)
    data = as_helm_reads(document.data)  # its keys, whatever their case, as Helm reads them
    # name and version as Helm reads them into its string fields (``name: on`` is "true")
    name = helm_string(data.get("name"))
    if not name:
        raise PlatecheckError("Chart.yaml has no name", rel, document.line)
    return Chart(path=directory, rel=rel_path(directory, found.root), name=name,
                 version=helm_string(data.get("version")) or "",
                 api_version=str(data.get("apiVersion", "")), metadata=data)
