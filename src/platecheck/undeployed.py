"""The charts and kustomizations under the linted paths that no Application deploys, for
``undeployed-chart`` and ``undeployed-kustomization``.

A repository with Applications is checked as Argo CD deploys it: a chart or kustomization no
Application points at (a bootstrap installed by hand, an example, an overlay kept for later,
a kustomization of Applications applied by a root outside the repository) renders nowhere,
so nothing judged it. Naming them keeps that from passing unsaid.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from platecheck.appset import TEMPLATE_ACTION, any_value_action, template_path_globs
from platecheck.boundedread import read_regular_file
from platecheck.chartfile import as_helm_reads, local_dependencies
from platecheck.discover import raw_at, rel_path, source_directories
from platecheck.errors import PlatecheckError
from platecheck.globs import path_match
from platecheck.model import Application, Source
from platecheck.realpaths import resolve
from platecheck.yamlio import first_document, read_text

# A template action in an ApplicationSet's path ("{{path}}", "{{ .path.path }}"): any name.


def undeployed(paths: Sequence[Path], root: Path, applications: Iterable[Application],
               here: Callable[[Source], bool], given: Sequence[Path] = (),
               application_files: Iterable[str] = (), exclude: Sequence[str] = ()
               ) -> tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
    """``undeployed_charts`` and ``undeployed_kustomizations`` of one walk of ``paths`` (but
    the directories ``exclude`` leaves out); ``here``: whether a source is of this
    repository."""
    top, kustomization_dirs, nested = source_directories(paths, root, exclude)
    chart_dirs = [*top, *nested]
    covers = _coverage(_source_patterns(applications, root, here),
                       {rel_path(d, root) for d in chart_dirs})
    return (undeployed_charts(chart_dirs, root, covers, given,
                              lambda: _chart_homes(kustomization_dirs, root)),
            undeployed_kustomizations(kustomization_dirs, root, covers, application_files))


def hand_applied(paths: Sequence[Path], root: Path, applications: Iterable[Application],
                 here: Callable[[Source], bool], exclude: Sequence[str] = ()
                 ) -> list[tuple[Path, frozenset[Path], bool, frozenset[Path], bool]]:
    """The directories of the kustomizations under ``paths`` that no source of
    ``applications`` points at or into and no other kustomization lists, whose builds list a
    file naming an Argo CD Application or ApplicationSet, each with those files: applied by
    hand (``kubectl apply -k`` of a bootstrap overlay, say), they may change the
    Applications they list; and those whose builds output Applications none of those files
    writes (``outputs_applications``, the third of each); the fourth: every file the build
    lists; the fifth: whether an ApplicationSet's path of template actions alone may deploy
    it (``{{a}}/{{b}}`` says nothing of which directory it is: it is applied by hand unless
    a rendered Application turns out to deploy it, ``generation``). Those ``exclude`` leaves
    out are another tool's."""
    from platecheck.discover import names_argo_kind
    from platecheck.kustomize_tree import listed_files

    _, directories, _ = source_directories(paths, root, exclude)
    if not directories:
        return []  # (no kustomization: none to read the Applications' sources for)
    sources, plugins = _source_patterns(applications, root, here)
    covers = _coverage(({p for p in sources if not _all_wildcards(p[0])},
                        {p for p in plugins if not _all_wildcards(p[0])}), set())
    may = _coverage((sources, plugins), set())
    found = [(root / file).parent
             for file, _ in undeployed_kustomizations(directories, root, covers, ())]
    listed = [(directory, frozenset(listed_files(directory, root))) for directory in found]
    marked = [(directory, files, outputs_applications(directory, root, renaming=bool(files)),
               every)
              for directory, every in listed
              for files in [frozenset(file for file in every if names_argo_kind(file))]]
    return [(directory, files, outputs, every, may(rel_path(directory, root)))
            for directory, files, outputs, every in marked if files or outputs]


def outputs_applications(directory: Path, root: Path, renaming: bool) -> bool:
    """Whether the build of the kustomization of ``directory`` outputs Applications none of
    the files it lists writes: a kustomization of its build (a base, a component) patches
    an Application or ApplicationSet, renames or labels what it lists (``namePrefix``,
    ``nameSuffix``, ``commonLabels``, ``labels``: names and labels say environments; with
    ``renaming``, when it lists Application files), or inflates a chart (``helmCharts``)
    whose values describe Application sources (``repoURL`` and ``destination``), an
    app-of-apps chart."""
    from platecheck.kustomize_tree import build_tree

    try:
        _, read = build_tree(directory, root)
    except PlatecheckError:
        return False  # (a base leaving the repository: its build says so)
    return any(_patches_applications(kustomization.parent, data, root)
               or renaming and any(data.get(key) for key in _RENAMING)
               or _inflates_applications(kustomization.parent, data, root)
               for _, kustomization, data in read)


def inflates_applications(directory: Path, root: Path) -> bool:
    """Whether a kustomization of the build of ``directory`` inflates a chart whose values
    describe Application sources (``_inflates_applications``): an app-of-apps chart."""
    from platecheck.kustomize_tree import build_tree

    try:
        _, read = build_tree(directory, root)
    except PlatecheckError:
        return False
    return any(_inflates_applications(kustomization.parent, data, root)
               for _, kustomization, data in read)


_ARGO_KINDS = ("Application", "ApplicationSet")
# the fields of a kustomization that change every resource's name or labels
_RENAMING = ("namePrefix", "nameSuffix", "commonLabels", "labels")
# a patch that names its kind itself (a strategic merge patch, with no target), in YAML (a
# comment after it) or JSON
_ARGO_PATCH = re.compile(r"(?:^|[{,])\s*[\"']?kind[\"']?\s*:\s*[\"']?Application(?:Set)?[\"']?"
                         r"\s*(?:[,}#]|$)", re.MULTILINE)


def _patches_applications(directory: Path, data: Mapping[str, Any], root: Path) -> bool:
    """Whether a patch of the kustomization (``patches``, ``patchesJson6902``,
    ``patchesStrategicMerge``) targets an Application or ApplicationSet, by its ``target``
    or, with none, by the kind the patch itself names (inline, or its file's)."""
    entries = [*_listed(data, "patches"), *_listed(data, "patchesJson6902"),
               *({"patch": entry} if isinstance(entry, str) and "\n" in entry
                 else {"path": entry} for entry in _listed(data, "patchesStrategicMerge"))]
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        target = entry.get("target")
        if isinstance(target, Mapping):
            if target.get("kind") in _ARGO_KINDS:
                return True
            continue
        text = entry.get("patch")
        if not isinstance(text, str) and isinstance(entry.get("path"), str):
            path = resolve(directory / entry["path"])  # (a link in the repository followed)
            if not path.is_relative_to(resolve(root)):
                continue  # (its build refuses it)
            if _larger(path, _PATCH_READ):
                return True  # (larger than a patch is: what it patches is not known)
            raw = read_regular_file(path, _PATCH_READ)
            text = raw.decode("utf-8", "replace") if raw is not None else ""
        if isinstance(text, str) and _ARGO_PATCH.search(text):
            return True
    return False


def _larger(path: Path, limit: int) -> bool:
    """Whether ``path`` is a regular file of more than ``limit`` bytes."""
    try:
        return path.is_file() and path.stat().st_size > limit
    except OSError:
        return False


def _listed(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def _inflates_applications(directory: Path, data: Mapping[str, Any], root: Path) -> bool:
    charts = data.get("helmCharts")
    for entry in charts if isinstance(charts, list) else ():
        if not isinstance(entry, Mapping):
            continue
        files = [entry.get("valuesFile"), *(entry.get("additionalValuesFiles") or ())]
        texts = [json.dumps(entry.get("valuesInline"), default=str)]
        for name in files:
            path = directory / name if isinstance(name, str) else None
            if path is not None and resolve(path).is_relative_to(resolve(root)):
                raw = read_regular_file(path, _VALUES_READ)  # (never a pipe)
                texts.append(raw.decode("utf-8", "replace") if raw is not None else "")
        if any("repoURL" in text and "destination" in text for text in texts):
            return True
    return False


_VALUES_READ = 1 << 20  # bytes of a values file read at most (Applications are near its top)
_PATCH_READ = 1 << 20  # bytes of a patch file read at most: one larger may patch anything


def covered(charts: Mapping[str, Path], root: Path, applications: Iterable[Application],
            here: Callable[[Source], bool]) -> set[str]:
    """The charts of ``charts`` (repository path -> directory) that a source of
    ``applications`` points at or into."""
    covers = _coverage(_source_patterns(applications, root, here), set(charts))
    return {rel for rel in charts if covers(rel)}


def undeployed_kustomizations(directories: Sequence[Path], root: Path,
                              covers: Callable[[str], bool],
                              application_files: Iterable[str]
                              ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The kustomization files (repository-relative) of ``directories`` that no source
    ``covers`` (points at or into) and that no other kustomization of ``directories`` lists
    (a base or component renders with what lists it: the top one is named), with the number
    ``application_files`` (repository-relative) their builds list. A ``Component`` is no
    build of its own."""
    found = {resolve(d): rel_path(d, root) for d in directories}
    candidates = [d for d, rel in found.items() if not covers(rel)]
    if not candidates:
        return ()  # (the usual case: no kustomization is read)
    from platecheck.kustomize_tree import listed_directories, listed_files, read_kustomization

    listed = {resolve(d) for directory in found for d in listed_directories(directory, root)}
    applications = set(application_files)
    named = []
    for directory in candidates:
        file, data = read_kustomization(directory)
        if directory in listed or file is None or (data or {}).get("kind") == "Component":
            continue
        files = sorted(rel for f in listed_files(directory, root)
                       if (rel := rel_path(f, root)) in applications)
        named.append((rel_path(file, root), tuple(files)))
    return tuple(sorted(named))


def undeployed_charts(directories: Sequence[Path], root: Path,
                      covers: Callable[[str], bool], given: Sequence[Path] = (),
                      homes: Callable[[], set[Path]] = set) -> tuple[str, ...]:
    """The ``Chart.yaml`` files (repository-relative) of the charts ``directories`` (the
    top-level ones and those inside another chart's directory outside its ``charts/``) that
    no source ``covers`` (points at or into), that are no ``file://``
    dependency of one that is, that kustomize's ``helmCharts`` do not inflate (``homes``: the
    charts the kustomizations' entries name), and that are not library charts (Helm
    renders those only as a dependency). ``given``: chart directories named as paths
    (linted on their own)."""
    charts = {resolve(d): rel_path(d, root) for d in directories}
    deployed = {d for d, rel in charts.items() if covers(rel)} | {resolve(d) for d in given}
    candidates = [d for d in charts if d not in deployed]
    if candidates:
        vendored = homes()  # (the usual case: no kustomization is read)
        candidates = [d for d in candidates if d not in vendored]
    if not candidates:
        return ()  # (the usual case: no Chart.yaml is read)
    deployed |= _dependencies(deployed, root, set(charts))
    # one named renders its own file:// dependencies: it says they are unchecked too
    deployed |= {dependency for d in candidates if d not in deployed
                 for dependency in local_dependencies(d, root)}
    return tuple(sorted(
        f"{charts[d]}/Chart.yaml" if charts[d] != "." else "Chart.yaml" for d in candidates
        if d not in deployed and (_metadata(d, root) or {}).get("type") != "library"))


# a source path pattern, the patterns excluded with it (a git directories generator's), and
# whether its ``*`` may stand for several names (a parameter's value, which may hold ``/``)
Pattern = tuple[str, tuple[str, ...], bool]


def _source_patterns(applications: Iterable[Application], root: Path,
                     here: Callable[[Source], bool]) -> tuple[set[Pattern], set[Pattern]]:
    """The source paths of ``applications`` that are of this repository (as platecheck
    renders them: of another when the checkout's remotes or ``repoUrls`` say so), an
    ApplicationSet's template actions as ``*`` (a git generator's path as its directories'
    patterns, each with those its ``exclude: true`` entries make); a path that is a symbolic
    link also as the directory it leads to in ``root``. Those of config management plugin
    sources apart: a plugin may build anything below its path; any other source renders its
    path alone (a directory source reads its files, never a chart or kustomization below
    it)."""
    patterns: set[Pattern] = set()
    plugins: set[Pattern] = set()
    top = resolve(root)
    for app in applications:
        patched = _patch_sources(app)
        for index, source in [*enumerate(app.sources), *((None, s) for s in patched)]:
            if source.chart or not source.path or not (
                    here(source) or TEMPLATE_ACTION.search(source.repo_url)):  # (a set's: any)
                continue
            found = plugins if index is not None and _plugin(app, index) else patterns
            excluded = tuple(g.pattern for g in template_path_globs(app.raw, source.path,
                                                                    excluded=True))
            deep = any_value_action(app.raw, source.path)
            for glob in template_path_globs(app.raw, source.path):
                path = glob.pattern
                found.add((str(PurePosixPath(path)) if path else ".", excluded,
                           deep or glob.deep))
                if path and not _WILDCARD.search(path):
                    real = resolve(root / path)
                    if real.is_relative_to(top):
                        found.add((rel_path(real, top), excluded, False))
    return patterns, plugins


_ACTION_WORD = "platecheck-template-action-{}"


def _patch_sources(app: Application) -> list[Source]:
    """The sources an ApplicationSet's ``templatePatch`` writes (``spec.source``, each of
    ``spec.sources``), which Argo CD's controller patches into each Application it
    generates: read as YAML with its template actions kept in the strings that hold them;
    none when the patch does not read so (actions that write its structure)."""
    text = app.raw.get("spec", {}).get("templatePatch") if app.kind == "ApplicationSet" \
        else None
    if not isinstance(text, str) or not text.strip():
        return []
    actions: list[str] = []

    def word(match: re.Match[str]) -> str:
        actions.append(match.group(0))
        return _ACTION_WORD.format(len(actions) - 1)

    def restored(value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        return re.sub(_ACTION_WORD.format(r"(\d+)"), lambda m: actions[int(m.group(1))], value)

    try:
        spec = first_document(TEMPLATE_ACTION.sub(word, text), app.file).data
    except PlatecheckError:
        return []
    spec = spec.get("spec") if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return []
    listed = spec.get("sources")
    written: list[Any] = listed if isinstance(listed, list) else [spec.get("source")]
    return [Source(repo_url=restored(entry.get("repoURL")) or "", target_revision=None,
                   path=restored(entry.get("path")), chart=restored(entry.get("chart")),
                   ref=None, helm=None, directory=None)
            for entry in written if isinstance(entry, dict)]


def _plugin(app: Application, index: int) -> bool:
    """Whether source ``index`` of an Application (or of an ApplicationSet's template) is
    a config management plugin's."""
    spec = raw_at(app.raw, ("spec", "template", "spec") if app.kind == "ApplicationSet"
                  else ("spec",))
    sources = spec.get("sources")
    source = sources[index] if isinstance(sources, list) and index < len(sources) \
        else spec.get("source")
    return isinstance(source, dict) and source.get("plugin") is not None


def _chart_homes(kustomizations: Sequence[Path], root: Path) -> set[Path]:
    """The vendored charts kustomize's ``helmCharts`` (or a ``HelmChartInflationGenerator``)
    of ``kustomizations`` inflate: each entry's ``<name>/`` (``<name>-<version>/<name>/``
    for an entry with a version) under its chart home (``charts/`` beside the kustomization,
    its ``helmGlobals.chartHome``, or the generator's ``chartHome``), resolved through a
    symbolic link there. Every build of a kustomization, an overlay's too, inflates them,
    which a source path does not show; another chart in the same home is inflated by none."""
    from platecheck.kustomize import inflated_charts
    from platecheck.kustomize_tree import chart_directory, read_kustomization

    charts = set()
    for directory in kustomizations:
        data = read_kustomization(directory)[1] or {}
        for inflated in inflated_charts(data, directory, rel_path(directory, root), root):
            if inflated.chart.get("name"):
                charts.add(resolve(directory / chart_directory(inflated.home, inflated.chart)))
    return charts


def _all_wildcards(path: str) -> bool:
    """Whether every name of ``path`` is ``*``."""
    return all(part == "*" for part in path.split("/"))


def _coverage(patterns: tuple[set[Pattern], set[Pattern]], charts: set[str]
              ) -> Callable[[str], bool]:
    """Whether a source at one of ``patterns`` (``_source_patterns``: those of other
    sources, those of plugins) deploys the chart or kustomization at a relative path: it is
    that directory, or a plugin's directory holding it, up to the nearest of the ``charts``
    holding it (helm renders a chart's ``templates/`` and ``charts/``, not its other
    directories). A path without wildcards is looked up as it is."""
    at, below = (_matcher(found) for found in patterns)

    def covers(rel: str) -> bool:
        if at(rel):
            return True
        for directory in map(str, (PurePosixPath(rel), *PurePosixPath(rel).parents)):
            if directory != rel and directory in charts:
                return False  # inside a chart, outside what helm renders of it
            if below(directory):
                return True
        return False

    return covers


def _matcher(patterns: set[Pattern]) -> Callable[[str], bool]:
    """Whether a directory is one of ``patterns`` (paths as they are, or globs matched as
    Argo CD's git directories generator matches them, one name each as Go's ``path.Match``;
    a parameter's ``*`` any names, ``/`` included), and none of the patterns excluded with
    it."""
    literal = {p for p, excluded, _ in patterns if not _WILDCARD.search(p) and not excluded}
    globbed = [(re.compile(fnmatch.translate(p)) if deep else p, excluded)
               for p, excluded, deep in patterns if p not in literal or excluded]
    return lambda directory: directory in literal or any(
        (p.match(directory) is not None if isinstance(p, re.Pattern) else path_match(
            p, directory)) and not any(path_match(e, directory) for e in excluded)
        for p, excluded in globbed)


_WILDCARD = re.compile(r"[*?\[]")


def _metadata(directory: Path, root: Path, text: str | None = None) -> Mapping[str, Any] | None:
    """``Chart.yaml`` (``text`` when already read) as Helm reads it, or None where it cannot
    be read (the chart is still named: nothing checked it either way)."""
    rel = rel_path(directory / "Chart.yaml", root)
    try:
        if text is None:
            text = read_text(directory / "Chart.yaml", rel)[1]
        data = first_document(text, rel).data
    except PlatecheckError:
        return None
    return as_helm_reads(data) if isinstance(data, dict) else None


def _dependencies(deployed: set[Path], root: Path, charts: set[Path]) -> set[Path]:
    """The charts (of ``charts``) that deployed ones name as ``file://`` dependencies, and
    theirs in turn. Only a Chart.yaml that mentions ``file://`` is parsed."""
    found: set[Path] = set()
    todo = list(deployed)
    while todo:
        directory = todo.pop()
        for dependency in local_dependencies(directory, root):
            if dependency in charts and dependency not in deployed | found:
                found.add(dependency)
                todo.append(dependency)
    return found


