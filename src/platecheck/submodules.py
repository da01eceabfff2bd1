"""Git submodules this checkout has not checked out. Argo CD's repo-server checks a
repository's submodules out with it (``git submodule update --init --recursive``, unless
``ARGOCD_GIT_MODULES_ENABLED`` is false), so what a source reads inside one is there for Argo CD;
a plain clone has an empty directory at a submodule's path (an exported tree: nothing), and
what is rendered here without it is not what Argo CD renders."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from platecheck.errors import PlatecheckError
from platecheck.model import Origin
from platecheck.runmemo import recall

REMEDY = ("Argo CD checks submodules out with the repository: check it out here too "
          "(git submodule update --init --recursive) and lint again.")
_SECTION = re.compile(r'^\s*\[\s*submodule\s+"([^"]*)"\s*\]\s*$')
_SETTING = re.compile(r"^\s*(path|url)\s*=\s*(.*?)\s*$")
_GITMODULES_LIMIT = 1 << 20  # bytes of .gitmodules read at most


def declared(root: Path) -> list[tuple[str, str]]:
    """The path (relative to ``root``) and URL of each submodule ``.gitmodules`` declares,
    read once a run (each chart rendered asks)."""
    return recall("submodules", root, lambda: _read(root))


def _read(root: Path) -> list[tuple[str, str]]:
    try:
        with open(root / ".gitmodules", "rb") as handle:
            text = handle.read(_GITMODULES_LIMIT).decode("utf-8", "replace")
    except OSError:
        return []
    modules: list[dict[str, str]] = []
    for line in text.splitlines():
        if _SECTION.match(line):
            modules.append({})
        elif modules and (setting := _SETTING.match(line)):
            modules[-1][setting.group(1)] = setting.group(2)
    return [(path, module.get("url", "?")) for module in modules
            if (path := module.get("path", "").strip("/"))]


def _absent(root: Path, path: str) -> bool:
    """Whether the submodule at ``path`` is not checked out: nothing there, or an empty
    directory."""
    try:
        with os.scandir(root / path) as entries:
            return next(entries, None) is None
    except OSError:
        return True


def holding(root: Path, relative: str) -> tuple[str, str] | None:
    """The path and URL of the submodule that holds ``relative`` (a path relative to
    ``root``), when this checkout has not checked it out."""
    for path, url in declared(root):
        if (relative == path or relative.startswith(path + "/")) and _absent(root, path):
            return path, url
    return None


def holding_file(root: Path, path: Path) -> tuple[str, str] | None:
    """``holding`` of ``path`` (absolute), None when it is not below ``root``."""
    return holding(root, path.relative_to(root).as_posix()) if path.is_relative_to(root) \
        else None


def held(module: tuple[str, str]) -> str:
    return (f"is in the Git submodule {module[0]} ({module[1]}), which this checkout has not "
            "checked out")


def held_message(what: str, module: tuple[str, str]) -> str:
    return f"{what} {held(module)}"


def refuse_within(root: Path, directory: Path, what: str, origin: Origin | None,
                  only: tuple[str, ...] | None = None) -> None:
    """Refuse to render ``directory`` (``what``: how it is read; the error at ``origin``) when
    a submodule below it is not checked out: what it reads of it is missing here. ``only``:
    the paths (relative to ``directory``, ending in ``/``) under which it reads anything,
    when not all of it."""
    try:
        base = PurePosixPath(directory.resolve().relative_to(root.resolve()).as_posix())
    except ValueError:
        return
    for path, url in declared(root):
        below = PurePosixPath(path)
        if below.is_relative_to(base) and (only is None or (
                below.relative_to(base).as_posix() + "/").startswith(only)) \
                and _absent(root, path):
            raise PlatecheckError(
                f"{what} holds the Git submodule {path} ({url}), which this checkout has not "
                "checked out: Argo CD renders its files too",
                origin.file if origin else None, origin.line if origin else None, REMEDY)


def named_in(root: Path, text: str) -> tuple[str, str] | None:
    """A submodule not checked out whose path ``text`` (a renderer's error) names."""
    for path, url in declared(root):
        if re.search(rf"(?<![\w.-]){re.escape(path)}(?![\w.-])", text) \
                and _absent(root, path):
            return path, url
    return None
