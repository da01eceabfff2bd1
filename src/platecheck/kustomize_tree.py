"""What a ``kubectl kustomize`` build reads: the kustomizations and directories it reaches
through local ``resources``, ``bases``, ``components`` and plugin entries, none of them out
of the repository, and the build's call."""


from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from platecheck.errors import PlatecheckError
from platecheck.manifests import rel_path
from platecheck.model import RenderTarget, scalars
from platecheck.runmemo import recall
from platecheck.sourcetype import BUILDING, kustomization_file
from platecheck.values import Layer
from platecheck.yamlio import first_document, read_text


@dataclass(frozen=True)
class KustomizeCall:
    """One ``kubectl kustomize`` build: the kustomization as the Application edits it, the
    build options, and the cache key over everything the output depends on."""

    target: RenderTarget
    found: Path  # the kustomization file in the repository
    kustomization: str  # its repository path
    data: dict[str, Any]  # the kustomization after the Application's kustomize fields
    options: tuple[str, ...]
    key: str
    # the kustomizations the build reads besides it: (directory, file, content)
    nested: tuple[tuple[Path, Path, dict[str, Any]], ...] = ()
    reach: Path | None = None  # the directory holding all it reads (None: the repository)
    # what it reads below ``reach``: directories (with all below them) and files
    parts: tuple[Path, ...] = ()


# the entries of a kustomization that name a file or a kustomization's directory, which
# kustomize reads wherever it is (other paths must lie in or below the kustomization): those
# that make the resources (components applied after the others), then the plugins
_LISTED = (*BUILDING, "transformers", "generators", "validators")


def reachable_root(reached: set[Path]) -> Path:
    """The nearest directory holding every directory a build reaches (``build_tree``): the
    kustomization and every local ``resources``, ``bases``, ``components``,
    ``transformers``, ``generators`` and ``validators`` entry, followed through the
    kustomizations they name, all a build can read (kustomize loads other files only below a
    kustomization). An entry leaving the repository is a could-not-check error
    (``build_tree``); one naming a URL is left to the build, which fails on it offline."""
    return Path(os.path.commonpath(reached))


def build_parts(reached: set[Path], homes: Iterable[Path]) -> tuple[Path, ...]:
    """What a build reads, each path not below another: the directories it reaches
    (``build_tree``: kustomize's default load restrictor lets a kustomization read only
    below its directory) with the files outside them its kustomizations name (a patch or a
    values file in ``..``, which the restrictor refuses as it refuses it in Argo CD), and
    the chart homes it inflates charts from."""
    ordered = sorted({*reached, *homes}, key=lambda path: len(path.parts))
    kept: set[Path] = set()
    for path in ordered:  # (each path's parents looked up: linear in the paths)
        if path not in kept and kept.isdisjoint(path.parents):
            kept.add(path)
    return tuple(sorted(kept))


def build_tree(source: Path, root: Path, edited: dict[str, Any] | None = None
          ) -> tuple[set[Path], list[tuple[Path, Path, dict[str, Any]]]]:
    """The directories a build of ``source`` reaches (with the files outside them its
    kustomizations name, ``build_parts``), and each kustomization it reads (directory, file,
    content), ``source``'s first (``edited`` when given), then in precedence order
    (components before the bases they are applied over, the later component first), but for
    the kustomizations that only make its transformers, generators and validators (their
    images and patches change those plugins' configurations, not the resources)."""
    reached = {source}
    named: set[Path] = set()
    todo = [(source, True)]
    read: list[tuple[Path, Path, dict[str, Any]]] = []
    while todo:
        directory, layered = todo.pop(0)
        found, data = (kustomization_file(directory), edited) \
            if directory == source and edited is not None else read_kustomization(directory)
        if data is None or found is None:
            continue
        if layered:
            read.append((directory, found, data))
        named.update(_named_outside(directory, data, root))
        for key in _LISTED:
            entries = _local(data, key)
            # highest precedence first: the component applied last
            for entry in reversed(entries) if key == "components" else entries:
                path = Path(os.path.normpath(directory / entry))
                if _leaves(directory, entry, root):
                    _left_repository(entry, key, found, root)
                if path in reached:
                    continue
                if path.is_dir():
                    reached.add(path)
                    todo.append((path, layered and key in BUILDING))
                else:
                    reached.add(path.parent)
    return reached | named, read


def _named_outside(directory: Path, data: Mapping[str, Any], root: Path) -> Iterator[Path]:
    """The paths of the repository outside ``directory`` that its kustomization ``data``
    names (any string value, or the part after ``=`` of a generator's ``key=path``)."""
    top = os.path.realpath(root)
    for _, value in scalars(data):
        if not isinstance(value, str) or "\n" in value or "../" not in value:
            continue
        for named in {value, value.partition("=")[2]} - {""}:
            path = Path(os.path.normpath(directory / named))
            if os.path.lexists(path) and path.is_relative_to(root) \
                    and os.path.realpath(path).startswith(top + os.sep):
                yield path


def listed_files(source: Path, root: Path) -> set[Path]:
    """The files of the repository a build of ``source`` takes as resources: every local
    ``resources``, ``bases`` and ``components`` entry that is a file, through the
    kustomizations the directory entries name; what a build that fails would have output,
    as written (an app-of-apps' Applications)."""
    files: set[Path] = set()
    seen = {source}
    todo = [source]
    while todo:
        for path in _listed(todo.pop(0), root):
            if path.is_file():
                files.add(path)
            elif path.is_dir() and path not in seen:
                seen.add(path)
                todo.append(path)
    return files


def listed_directories(directory: Path, root: Path) -> list[Path]:
    """The directories the kustomization of ``directory`` lists inside ``root``: those that
    make its resources (``resources``, ``bases``, ``components``) and its plugins'
    (``transformers``, ``generators``, ``validators``): each is read by its build."""
    return [path for path in _listed(directory, root, _LISTED) if path.is_dir()]


def _listed(directory: Path, root: Path, keys: tuple[str, ...] = BUILDING) -> Iterator[Path]:
    """The local paths the kustomization of ``directory`` lists under ``keys``, each entry
    that stays in ``root``."""
    data = read_kustomization(directory)[1] or {}
    for key in keys:
        for entry in _local(data, key):
            if not _leaves(directory, entry, root):
                yield Path(os.path.normpath(directory / entry))


def read_kustomization(directory: Path) -> tuple[Path | None, dict[str, Any] | None]:
    """The kustomization file of ``directory`` and its content as kustomize reads it (the
    first document, with Go's scalars); no content when there is none or it does not read
    as a mapping. Read once per run (``runmemo``): the content is shared, never changed."""
    return recall("kustomization", directory, lambda: _read_kustomization(directory))


def _read_kustomization(directory: Path) -> tuple[Path | None, dict[str, Any] | None]:
    found = kustomization_file(directory)
    try:
        data = first_document(found.read_text(encoding="utf-8"), found.name).data \
            if found else None
    except (OSError, UnicodeDecodeError, PlatecheckError):
        data = None
    return found, data if isinstance(data, dict) else None


def _local(data: dict[str, Any], key: str) -> list[str]:
    """The entries of a kustomization's ``key`` list that name a path (not a URL)."""
    entries = data.get(key)
    return [entry for entry in entries if isinstance(entry, str) and "://" not in entry
            and not entry.startswith("git@")] if isinstance(entries, list) else []


def _leaves(directory: Path, entry: str, root: Path) -> bool:
    """Whether ``entry``, read from ``directory``, passes out of ``root`` on its way, even if
    it comes back (``../../<the repository's own path>``): on a copy of the repository it
    leads to the machine's files."""
    if not directory.is_relative_to(root) or os.path.isabs(entry):
        return True
    depth = len(directory.relative_to(root).parts)
    for part in entry.split("/"):
        depth += -1 if part == ".." else 0 if part in ("", ".") else 1
        if depth < 0:
            return True
    return False


def _left_repository(entry: str, key: str, found: Path, root: Path) -> NoReturn:
    """A ``resources`` (``bases``, ``components``...) entry leading out of the repository:
    kustomize would read that directory of the machine, which is no part of what Argo CD
    checks out; platecheck builds nothing of it."""
    lines = found.read_text(encoding="utf-8", errors="replace").splitlines()
    line = next((number for number, text in enumerate(lines, 1) if entry in text), None)
    raise PlatecheckError(f"kustomization {key} entry {entry!r} leads out of the repository; "
                          "platecheck does not build it", rel_path(found, root), line)


def chart_directory(home: str, chart: Mapping[str, Any]) -> str:
    """Where kustomize looks for a chart a kustomization inflates (``absChartHome``),
    relative to the kustomization, its chart home being ``home``: a chart of a repository
    at a version in ``<home>/<name>-<version>/<name>``, any other in ``<home>/<name>``."""
    name, version = str(chart.get("name", "")), chart.get("version")
    if version and chart.get("repo"):
        home = f"{home}/{name}-{version}"
    return f"{home}/{name}"


def repository_layer(path: Path, root: Path) -> Layer | None:
    """``file_layer`` of the file at ``path`` in the repository ``root``; None when it is
    none (outside ``root``, missing, or not read as YAML): the build reports what kustomize
    cannot read. ``path`` is cleaned as kustomize joins paths (Go's ``filepath.Join``), so
    that ``base/../common/v.yaml`` is known as ``common/v.yaml``."""
    path = Path(os.path.normpath(path))
    try:
        return file_layer(path, rel_path(path, root)) if path.is_file() \
            and path.resolve().is_relative_to(root.resolve()) else None
    except (PlatecheckError, OSError, ValueError):
        return None


def file_layer(path: Path, rel: str) -> Layer:
    """A kustomization (or a file it names) as kustomize reads it: its first document."""
    document = first_document(read_text(path, rel)[1], rel)
    data = document.data if isinstance(document.data, dict) else {}
    return Layer(data, rel, document.lines, document.line)
