"""Chart dependencies that are not vendored in ``charts/``, built offline as Argo CD would.

Argo CD runs ``helm dependency build`` when ``helm template`` fails with "missing in charts/
directory" (reposerver/repository/repository.go ``helmTemplate``, ``runHelmBuild``), then
renders again. For a ``file://`` dependency that needs no network, so platecheck does the
same offline: it copies the chart into a private directory and places each ``file://``
dependency in the copy's ``charts/`` (helm loads a chart directory there as it loads the
archive ``helm dependency build`` would write). The checked repository is never written.
A dependency from a chart repository or registry would need the network: it is one
could-not-check error naming the dependency and the fix.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platecheck.cache import chart_tree
from platecheck.discover import rel_path
from platecheck.errors import PlatecheckError
from platecheck.yamlio import load_document, read_text

_FILE = "file://"
_MAX_DEPTH = 10  # file:// dependencies of dependencies, as deep as this


@dataclass(frozen=True)
class Dependency:
    name: str
    repository: str
    file: str  # the repository-relative Chart.yaml (or requirements.yaml) declaring it
    line: int | None


def declared(chart: Path, root: Path) -> list[Dependency]:
    """The dependencies ``chart`` declares (Chart.yaml, or requirements.yaml of apiVersion v1
    charts)."""
    result = []
    for name in ("Chart.yaml", "requirements.yaml"):
        path = chart / name
        if not path.is_file():
            continue
        rel = rel_path(path, root)
        document = load_document(read_text(path, rel)[1], rel)
        data: Any = document.data
        items = data.get("dependencies") if isinstance(data, dict) else None
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                result.append(Dependency(item["name"], str(item.get("repository") or ""), rel,
                                         document.lines.get(("dependencies", index))))
    return result


def missing(chart: Path, root: Path) -> list[Dependency]:
    """The declared dependencies with nothing of that name in ``charts/``."""
    return [dep for dep in declared(chart, root) if not _vendored(chart / "charts", dep.name)]


def _vendored(charts: Path, name: str) -> bool:
    if (charts / name / "Chart.yaml").is_file():
        return True
    return charts.is_dir() and any(
        p.name.startswith(f"{name}-") and p.name.endswith(".tgz") for p in charts.iterdir())


def sources(chart: Path, root: Path, depth: int = 0) -> Iterator[tuple[Dependency, Path]]:
    """Every ``file://`` dependency to build for ``chart`` (its own, then theirs), with its
    directory; a dependency that cannot be built offline is a PlatecheckError."""
    if depth > _MAX_DEPTH:
        raise PlatecheckError(f"file:// dependencies nested more than {_MAX_DEPTH} deep",
                              rel_path(chart / "Chart.yaml", root))
    for dep in missing(chart, root):
        if not dep.repository.startswith(_FILE):
            where = f" from {dep.repository}" if dep.repository else ""
            raise PlatecheckError(
                f"chart dependency {dep.name!r}{where} is not in charts/: platecheck renders "
                "offline and does not download it; run `helm dependency build "
                f"{rel_path(chart, root)}` and commit charts/", dep.file, dep.line)
        directory = (chart / dep.repository[len(_FILE):]).resolve()
        if not directory.is_relative_to(root):
            raise PlatecheckError(f"chart dependency {dep.name!r} ({dep.repository}) resolves "
                                  "to outside the repository", dep.file, dep.line)
        if not (directory / "Chart.yaml").is_file():
            raise PlatecheckError(f"chart dependency {dep.name!r} ({dep.repository}) has no "
                                  "Chart.yaml", dep.file, dep.line)
        yield dep, directory
        yield from sources(directory, root, depth + 1)


def built_chart(chart: Path, root: Path, workdir: Path) -> tuple[Path, tuple[Path, ...]]:
    """The directory helm reads for ``chart`` and the dependency directories built into it:
    ``chart`` itself when nothing is missing from ``charts/``, else a private copy in
    ``workdir`` with its ``file://`` dependencies in place."""
    needed = tuple(directory for _, directory in sources(chart, root))
    if not needed:
        return chart, ()
    name = hashlib.sha256(rel_path(chart, root).encode()).hexdigest()[:16]
    copy = workdir / "charts" / name / chart.name
    if not copy.exists():
        _copy(chart, copy, root)
        _place(chart, copy, root)
    return copy, needed


def _place(original: Path, copy: Path, root: Path) -> None:
    for dep in missing(original, root):
        directory = (original / dep.repository[len(_FILE):]).resolve()
        target = copy / "charts" / dep.name
        _copy(directory, target, root)
        _place(directory, target, root)


def _copy(source: Path, target: Path, root: Path) -> None:
    tree = chart_tree(source, root)
    if tree.outside:
        raise PlatecheckError(f"symbolic link to outside the repository in chart dependency "
                              f"{rel_path(source, root)}", rel_path(tree.outside[0], root))
    for file in tree.files:
        destination = target / file.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, destination)
