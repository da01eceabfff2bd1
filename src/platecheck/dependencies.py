"""Chart dependencies that are not vendored in ``charts/``, built offline as Argo CD would.

Argo CD runs ``helm dependency build`` when ``helm template`` fails with "missing in charts/
directory" (reposerver/repository/repository.go ``helmTemplate``, ``runHelmBuild``), then
renders again. For a ``file://`` dependency that needs no network, so platecheck does the
same offline: it copies the chart and its ``file://`` dependencies into a private tree laid
out as the repository is (so relative ``file://`` paths lead where they lead in the
repository) and runs helm's own ``helm dependency build`` there, which checks versions and
``Chart.lock`` as it does for Argo CD. The checked repository is never written.
A dependency from a chart repository or registry would need the network: it is one
could-not-check error naming the dependency and the fix.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from platecheck.cache import HelmResult, chart_tree
from platecheck.discover import rel_path
from platecheck.errors import PlatecheckError
from platecheck.yamlio import load_document, read_text

_FILE = "file://"


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
    """Whether ``charts/`` holds a chart called ``name``: a directory whose Chart.yaml has that
    name (helm goes by the name, not the directory) or an archive ``name-<version>.tgz``."""
    if not charts.is_dir():
        return False
    for entry in charts.iterdir():
        if entry.name.startswith(f"{name}-") and entry.name.endswith(".tgz"):
            return True
        if (entry / "Chart.yaml").is_file() and _chart_name(entry / "Chart.yaml") == name:
            return True
    return False


def _chart_name(path: Path) -> str | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def sources(chart: Path, root: Path) -> list[tuple[Dependency, Path]]:
    """The ``file://`` dependencies ``helm dependency build`` needs for ``chart``, with their
    directories; a dependency that cannot be built offline is a PlatecheckError."""
    result = []
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
        result.append((dep, directory))
    return result


def built_chart(chart: Path, root: Path, workdir: Path,
                run: Callable[[Sequence[str]], HelmResult]) -> tuple[Path, tuple[Path, ...]]:
    """The directory helm reads for ``chart`` and the dependency directories built into it:
    ``chart`` itself when nothing is missing from ``charts/``, else a private copy in
    ``workdir`` where ``run`` (helm) has built its ``file://`` dependencies."""
    needed = sources(chart, root)
    if not needed:
        return chart, ()
    name = hashlib.sha256(rel_path(chart, root).encode()).hexdigest()[:16]
    tree = workdir / "dependencies" / name
    copy = tree / rel_path(chart, root)
    if not copy.exists():
        for directory in (chart, *(d for _, d in needed)):
            _copy(directory, tree / rel_path(directory, root), root)
        result = run(["dependency", "build", str(copy)])
        if result.exit_code != 0:
            shutil.rmtree(tree, ignore_errors=True)
            first = needed[0][0]
            raise PlatecheckError("helm dependency build failed: "
                                  f"{_first_line(result.stderr, tree)}", first.file, first.line)
    return copy, tuple(d for _, d in needed)


def _first_line(stderr: str, tree: Path) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")] or lines or ["no message"]
    return errors[0].removeprefix("Error:").strip().replace(f"{tree}/", "")


def _copy(source: Path, target: Path, root: Path) -> None:
    tree = chart_tree(source, root)
    if tree.outside:
        raise PlatecheckError(f"symbolic link to outside the repository in chart dependency "
                              f"{rel_path(source, root)}", rel_path(tree.outside[0], root))
    for file in tree.files:
        destination = target / file.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(file, destination)
