"""Chart dependencies that are not vendored in ``charts/``, built offline as Argo CD would.

Argo CD runs ``helm dependency build`` when ``helm template`` fails with "missing in charts/
directory" (reposerver/repository/repository.go ``helmTemplate``, ``runHelmBuild``), then
renders again. For a ``file://`` dependency that needs no network, so platecheck does the
same offline: the chart's private copy (``platecheck.sandbox``) sits in a tree laid out as
the repository is, its ``file://`` dependencies are copied into that tree too (so relative
``file://`` paths lead where they lead in the repository), and helm's own ``helm dependency
build`` runs on the copy, which checks versions and
``Chart.lock`` as it does for Argo CD. The checked repository is never written.
A dependency from a chart repository or registry would need the network: it is one
could-not-check error naming the dependency and the fix, also when it is vendored but a
``file://`` one is not (the build downloads every dependency with a repository again).
"""

from __future__ import annotations

import os
import tarfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from platecheck import helmignore
from platecheck.cache import HelmResult
from platecheck.chartfile import Dependency, as_helm_reads, declared, helm_string
from platecheck.discover import rel_path, text_names_argo_kind
from platecheck.errors import PlatecheckError
from platecheck.model import ValuesFile
from platecheck.runmemo import recall
from platecheck.semver import EXACT_VERSION
from platecheck.yamlio import first_document, load_document, load_values, read_text

_FILE = "file://"


def missing(chart: Path, root: Path) -> list[Dependency]:
    """The declared dependencies with nothing of that name in ``charts/``."""
    rules = helmignore.read(chart)
    return [dep for dep in declared(chart, root)
            if not _vendored(chart / "charts", dep.name, rules)]


def _vendored(charts: Path, name: str, rules: list[helmignore.Rule] | None) -> bool:
    """Whether ``charts/`` holds a chart called ``name``, as helm's loader sees it: a
    directory or a ``.tgz`` archive (whatever either is called, but not one starting with
    ``_`` or ``.``, nor one the chart's ``.helmignore`` ``rules`` leave out) whose Chart.yaml
    has that name; helm goes by the name."""
    if not charts.is_dir():
        return False
    entries = sorted((e for e in charts.iterdir() if not e.name.startswith(("_", "."))
                      and helmignore.loaded(rules, f"charts/{e.name}", e.is_dir())),
                     key=lambda e: not e.name.startswith(f"{name}-"))  # the likely one first
    for entry in entries:
        if entry.name.endswith(".tgz") and entry.is_file():
            found = _archive_chart_name(entry)
            if found is None or found == name:  # (one helm cannot read fails helm's render
                return True  # with helm's own words: a Git LFS pointer, a broken archive)
        elif (entry / "Chart.yaml").is_file() and chart_name(entry / "Chart.yaml") == name:
            return True
    return False


def vendored_twice(charts: Sequence[Path], root: Path
                   ) -> tuple[tuple[str, str, tuple[str, ...], str, int | None], ...]:
    """Each chart name that a chart's ``charts/`` (or a subchart directory's, below it) holds
    more than once: (the chart, the name, its copies, the file and line declaring that
    dependency, else the Chart.yaml of the chart holding them). Helm's loader keeps every copy
    as a subchart of that name, in the order of a Go map, which changes from run to run."""
    found = []
    for chart in charts:
        for holder, name, copies in _copies(chart, root, helmignore.read(chart)):
            declaring = {dep.name: (dep.file, dep.line)
                         for dep in reversed(declared(holder, root))}
            file, line = declaring.get(name, (rel_path(holder / "Chart.yaml", root), None))
            found.append((rel_path(chart, root), name, copies, file, line))
    return tuple(found)


def _copies(chart: Path, root: Path, rules: list[helmignore.Rule] | None,
            prefix: str = "") -> Iterator[tuple[Path, str, tuple[str, ...]]]:
    """(``chart``, a name its ``charts/`` holds more than once, the entries holding it), then
    the same for each subchart directory in it; an entry the top chart's ``.helmignore``
    leaves out is none (``rules``, the top chart's; ``prefix``: ``chart``'s path from it)."""
    names: dict[str, list[str]] = {}
    directories = []
    charts = chart / "charts"
    for entry in sorted(charts.iterdir()) if charts.is_dir() else ():
        if entry.name.startswith(("_", ".")) or not helmignore.loaded(
                rules, f"{prefix}charts/{entry.name}", entry.is_dir()):
            continue
        if entry.name.endswith(".tgz") and entry.is_file():
            name = _archive_chart_name(entry)
        elif (entry / "Chart.yaml").is_file():
            name = chart_name(entry / "Chart.yaml")
            directories.append(entry)
        else:
            continue
        if name is not None:  # (one helm cannot read fails its render in helm's words)
            names.setdefault(name, []).append(rel_path(entry, root))
    for name in sorted(names):
        if len(names[name]) > 1:
            yield chart, name, tuple(names[name])
    for directory in directories:
        yield from _copies(directory, root, rules, f"{prefix}charts/{directory.name}/")


def vendored_defaults(charts: Path) -> dict[str, tuple[dict[str, Any], bool] | None] | None:
    """Each chart in ``charts/`` by name: its values.yaml (``{}`` without one) and whether it
    vendors charts of its own; a name several charts have maps to None. None when one of
    them cannot be read."""
    found: dict[str, tuple[dict[str, Any], bool] | None] = {}
    for entry in charts.iterdir() if charts.is_dir() else ():
        if entry.name.startswith(("_", ".")):
            continue
        if entry.name.endswith(".tgz") and entry.is_file():
            archived = _archive_defaults(entry)
            if archived is None:
                return None
            name, defaults = archived[0], archived[1:]
        elif (entry / "Chart.yaml").is_file():
            values = _values_in(entry / "values.yaml")
            named = chart_name(entry / "Chart.yaml")
            if values is None or named is None:
                return None
            name, defaults = named, (values, (entry / "charts").is_dir())
        else:
            continue
        found[name] = None if name in found else defaults
    return found


def subchart_values(chart: Path, key: str, root: Path) -> ValuesFile | None:
    """The values.yaml of the subchart of ``chart`` whose values go under ``key`` (its alias
    or name), when it is a directory of the repository: vendored in ``charts/``, or the
    directory of a ``file://`` dependency; None otherwise (an archive, none, unreadable)."""
    return recall("subchart values", (chart, key, root),
                  lambda: _subchart_values(chart, key, root))


def _subchart_values(chart: Path, key: str, root: Path) -> ValuesFile | None:
    names = {dep.alias or dep.name: dep for dep in declared(chart, root)}
    dependency = names.get(key)
    name = dependency.name if dependency is not None else key
    places = [entry for entry in sorted((chart / "charts").glob("*/Chart.yaml"))
              if chart_name(entry) == name]
    if dependency is not None and dependency.repository.startswith(_FILE):
        places.append(chart / dependency.repository[len(_FILE):] / "Chart.yaml")
    for place in places:
        values = Path(os.path.realpath(place.parent / "values.yaml"))
        if values.is_file() and values.is_relative_to(root) \
                and ".git" not in values.relative_to(root).parts:
            try:
                return load_values(values, values.relative_to(root).as_posix())[0]
            except PlatecheckError:
                return None
    return None


def subchart_defaults(chart: Path, root: Path) -> tuple[tuple[str, ValuesFile], ...]:
    """The values.yaml of each subchart of ``chart`` that is a directory of the repository,
    under the key its values go by (``subchart_values``): every declared dependency's, and
    those of charts in ``charts/`` no dependency names."""
    dependencies = declared(chart, root)
    keys = [dep.alias or dep.name for dep in dependencies]
    named = {dep.name for dep in dependencies}
    keys += sorted({name for entry in (chart / "charts").glob("*/Chart.yaml")
                    if (name := chart_name(entry)) is not None and name not in named})
    found = ((key, subchart_values(chart, key, root)) for key in dict.fromkeys(keys))
    return tuple((key, values) for key, values in found if values is not None)


def _values_in(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return {}
    try:
        data = load_document(read_text(path, path.name)[1], path.name).data
    except PlatecheckError:
        return None
    return data if isinstance(data, dict) else {} if data is None else None


def _archive_defaults(archive: Path) -> tuple[str, dict[str, Any], bool] | None:
    """A chart archive's name, values.yaml and whether it vendors charts; None when that
    cannot be told."""
    top = _archive_top(archive, ("Chart.yaml", "values.yaml"), whole=True)
    if top is None:
        return None
    texts, vendors = top
    try:
        name = _name_in(texts.get("Chart.yaml", ""), archive.name)
        data = load_document(texts.get("values.yaml", ""), archive.name).data
    except PlatecheckError:
        return None
    if name is None or not isinstance(data, (dict, type(None))):
        return None
    return name, data or {}, vendors


def vendored_directory(chart: Path, named: str, root: Path) -> Path | None:
    """The directory of ``chart``'s ``charts/`` holding the subchart helm names ``named``:
    helm names a subchart by its alias, else by the name in its Chart.yaml, whatever its
    directory is called (``charts/child-0.2.0/`` holding chart ``child``). Of several holding
    that chart, the one with the exact version its dependency asks for (helm's
    ``getAliasDependency`` takes the copy whose version the dependency's range allows). None
    where no directory holds it (an archive's), or where that cannot be told (a range)."""
    try:
        dependencies = declared(chart, root)
    except PlatecheckError:
        return None
    dependency = next((dep for dep in dependencies if (dep.alias or dep.name) == named), None)
    wanted = dependency.name if dependency is not None else named
    charts = chart / "charts"
    if not charts.is_dir():
        return None
    copies = [sub for sub in sorted(charts.iterdir()) if (sub / "Chart.yaml").is_file()
              and chart_name(sub / "Chart.yaml") == wanted]
    if len(copies) > 1 and dependency is not None:
        asked = EXACT_VERSION.fullmatch(dependency.version.strip())
        copies = [sub for sub in copies if asked is not None
                  and _exact_version(sub / "Chart.yaml") == asked.group(1)]
    return copies[0] if len(copies) == 1 else None


def chart_name(path: Path) -> str | None:
    try:
        return _name_in(read_text(path, path.name)[1], path.name)
    except PlatecheckError:
        return None


_MAX_MEMBERS = 10_000  # files of a chart archive looked through for its Chart.yaml
_MAX_CHART_FILE = 1 << 20  # bytes of an archived Chart.yaml read


def _archive_chart_name(archive: Path) -> str | None:
    """The name in the Chart.yaml at the top of a chart archive (helm loads the archive's
    files without their first directory); None when that cannot be told (the archive or its
    Chart.yaml does not read, or it has none)."""
    top = _archive_top(archive, ("Chart.yaml",))
    if top is None or "Chart.yaml" not in top[0]:
        return None
    try:
        return _name_in(top[0]["Chart.yaml"], archive.name)
    except PlatecheckError:
        return None


_MAX_CRD_TEXT = 32 << 20  # bytes of the CRD files of one chart archive read


def archived_crds(archive: Path) -> list[tuple[str, str]]:
    """The files of the ``crds/`` directories of a chart archive (its chart's and those of
    the charts it vendors unpacked), as (member path, text), in the archive's order: helm
    installs them with the chart. None read past the limits of members and bytes."""
    found: list[tuple[str, str]] = []
    read = 0
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for count, member in enumerate(tar):
                parts = member.name.split("/")
                if count > _MAX_MEMBERS or read > _MAX_CRD_TEXT:
                    break
                if not _in_crds(parts) or not member.isfile() \
                        or not parts[-1].lower().endswith((".yaml", ".yml", ".json")):
                    continue
                stream = tar.extractfile(member)
                raw = stream.read(_MAX_CRD_TEXT - read + 1) if stream is not None else b""
                read += len(raw)
                found.append((member.name, raw.decode("utf-8", "replace")))
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return found
    return found


def archive_writes_argo_kinds(archive: Path) -> bool:
    """Whether a chart archive may write Applications: a template of its chart or of a chart
    it vendors names Argo CD's Application or ApplicationSet kind, a values file of one
    describes Application sources (``repoURL`` and ``destination``, as argo-helm's
    argocd-apps'), or it holds an archive of its own; one that does not read, or holds more
    than platecheck looks through, may. Read once per run."""
    def read() -> bool:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                for count, member in enumerate(tar):
                    if count > _MAX_MEMBERS:
                        return True
                    name = member.name.split("/")[-1]
                    if not member.isfile() or not ("templates" in member.name.split("/")
                                                   or name.startswith("values")
                                                   or name.endswith(".tgz")):
                        continue
                    if name.endswith(".tgz"):
                        return True
                    stream = tar.extractfile(member)
                    head = stream.read(_ARCHIVE_HEAD) if stream is not None else b""
                    if text_names_argo_kind(head) or (
                            name.startswith("values") and b"repoURL:" in head
                            and b"destination:" in head):
                        return True
        except (tarfile.TarError, OSError, EOFError, zlib.error):
            return True
        return False
    return recall("archive writes argo kinds", archive, read)


_ARCHIVE_HEAD = 1 << 20  # bytes of an archived file looked at for Argo CD's kinds


def _in_crds(parts: Sequence[str]) -> bool:
    """Whether an archive member (its path's parts) lies in the ``crds/`` of its chart or of
    a chart it vendors (``<chart>/charts/<sub>/crds/...``): not in a subchart that is named
    ``crds`` (``<chart>/charts/crds/templates/...`` is a template)."""
    index = 1
    while index < len(parts) - 1:
        if parts[index] == "crds":
            return True
        if parts[index] != "charts":
            return False
        index += 2
    return False


def _archive_top(archive: Path, wanted: tuple[str, ...], whole: bool = False
                 ) -> tuple[dict[str, str], bool] | None:
    """The text of each of the ``wanted`` files at the top of a chart archive (the first of
    a name), and whether it vendors charts (told only when read ``whole``: else the reading
    stops once every wanted file is read); None when the archive does not read."""
    texts: dict[str, str] = {}
    vendors = False
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for count, member in enumerate(tar):
                if count > _MAX_MEMBERS:
                    return None
                parts = member.name.split("/")
                vendors = vendors or (len(parts) > 2 and parts[1] == "charts")
                if len(parts) == 2 and parts[1] in wanted and parts[1] not in texts \
                        and member.isfile():
                    stream = tar.extractfile(member)
                    raw = stream.read(_MAX_CHART_FILE) if stream is not None else b""
                    texts[parts[1]] = raw.decode("utf-8", "replace")
                    if not whole and len(texts) == len(wanted):
                        break
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return None
    return texts, vendors


def _exact_version(path: Path) -> str | None:
    """The version of a Chart.yaml, without a ``v`` and build metadata (which semver's
    comparison leaves out); None when it is no exact version."""
    try:
        version = _field_in(read_text(path, path.name)[1], path.name, "version")
    except PlatecheckError:
        return None
    match = EXACT_VERSION.fullmatch(version) if version is not None else None
    return match.group(1) if match is not None else None


def _name_in(text: str, rel: str) -> str | None:
    return _field_in(text, rel, "name")


def _field_in(text: str, rel: str, field: str) -> str | None:
    data = first_document(text, rel).data
    return helm_string(as_helm_reads(data).get(field)) if isinstance(data, dict) else None


def sources(chart: Path, root: Path) -> list[tuple[Dependency, Path]]:
    """The ``file://`` dependencies ``helm dependency build`` needs for ``chart``, with their
    directories: none when every dependency is vendored, else every ``file://`` one (the
    build makes ``charts/`` anew from all of them, the vendored ones too); a dependency that
    cannot be built offline is a PlatecheckError."""
    result = []
    needed = missing(chart, root)
    remote = [dep for dep in needed if not dep.repository.startswith(_FILE)]
    fix = (f"run `helm dependency build {rel_path(chart, root)}` before platecheck (a step "
           "before it in CI), or commit charts/")
    if remote:  # every one named, at the first's line
        raise PlatecheckError(
            f"{_named(remote)} not in charts/: platecheck renders offline and does not "
            f"download {'it' if len(remote) == 1 else 'them'}; {fix}",
            remote[0].file, remote[0].line)
    if not needed:
        return []
    # the build makes charts/ anew: it downloads the vendored ones too (but one declaring no
    # repository, which helm takes from charts/ as it is)
    again = [dep for dep in declared(chart, root)
             if dep.repository and not dep.repository.startswith(_FILE)]
    if again:
        local = ", ".join(repr(dep.name) for dep in needed)
        raise PlatecheckError(
            f"{_named(again)} in charts/, but helm dependency build, which Argo CD runs for "
            f"{local} (file://, not in charts/), downloads "
            f"{'it' if len(again) == 1 else 'them'} again: platecheck renders offline and "
            f"does not download {'it' if len(again) == 1 else 'them'}; {fix}",
            again[0].file, again[0].line)
    for dep in declared(chart, root):
        if not dep.repository.startswith(_FILE):
            continue
        directory = (chart / dep.repository[len(_FILE):]).resolve()
        if not directory.is_relative_to(root):
            raise PlatecheckError(f"chart dependency {dep.name!r} ({dep.repository}) resolves "
                                  "to outside the repository", dep.file, dep.line)
        if not (directory / "Chart.yaml").is_file():
            raise PlatecheckError(f"chart dependency {dep.name!r} ({dep.repository}) has no "
                                  "Chart.yaml", dep.file, dep.line)
        result.append((dep, directory))
    for dep, directory in result:
        _kept_beside(chart, root, dep, directory, needed)
    return result


def _kept_beside(chart: Path, root: Path, dep: Dependency, directory: Path,
                 needed: Sequence[Dependency]) -> None:
    """A PlatecheckError when ``charts/`` holds a directory of the chart the build packs from
    ``directory``: helm dependency build writes the archive beside it and keeps directories
    (it removes only archives it did not write: downloader/manager.go ``downloadAll``), so
    helm then loads two charts of that name and renders one of them at random."""
    name = chart_name(directory / "Chart.yaml")
    charts = chart / "charts"
    entries = sorted(charts.iterdir()) if charts.is_dir() and name is not None else []
    kept = [entry for entry in entries if not entry.name.startswith(("_", "."))
            and (entry / "Chart.yaml").is_file() and chart_name(entry / "Chart.yaml") == name]
    if not kept:
        return
    version = _field_in(read_text(directory / "Chart.yaml", "Chart.yaml")[1], "Chart.yaml",
                        "version")
    archive = rel_path(charts / f"{name}-{version}.tgz", root) if version else "an archive"
    local = ", ".join(repr(d.name) for d in needed)
    raise PlatecheckError(
        f"chart dependency {dep.name!r}: helm dependency build, which Argo CD runs for "
        f"{local} (file://, not in charts/), packs {dep.repository} into {archive} beside "
        f"{rel_path(kept[0], root)}, which it keeps: helm then holds two charts named "
        f"{name!r} and renders one of them at random, so platecheck does not render it; "
        f"remove {rel_path(kept[0], root)} (or vendor every dependency) and commit charts/",
        dep.file, dep.line)


def _named(dependencies: Sequence[Dependency]) -> str:
    """"chart dependency 'a' from URL is" (or "... dependencies ... are")."""
    named = ", ".join(repr(dep.name) + (f" (alias {dep.alias!r})" if dep.alias
                                         and dep.alias != dep.name else "")
                      + (f" from {dep.repository}" if dep.repository else "")
                      for dep in dependencies)
    one = len(dependencies) == 1
    return f"chart dependenc{'y' if one else 'ies'} {named} {'is' if one else 'are'}"


def build(copy: Path, tree: Path, run: Callable[[Sequence[str]], HelmResult]) -> None:
    """``helm dependency build`` (through ``run``) on a chart's private ``copy``; ``tree`` is
    the directory of private copies, laid out as the repository, that holds the copies of
    its ``file://`` dependencies too."""
    result = run(["dependency", "build", str(copy)])
    if result.exit_code != 0:
        raise PlatecheckError(f"helm dependency build failed: {_first_line(result.stderr, tree)}")


def _first_line(stderr: str, tree: Path) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")] or lines or ["no message"]
    return errors[0].removeprefix("Error:").strip().replace(f"{tree}/", "")
