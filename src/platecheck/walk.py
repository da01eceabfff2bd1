"""Walking a directory tree without recursion.

Python 3.11's ``os.walk`` and ``Path.rglob`` recurse once per directory level, so a tree a
thousand directories deep (which Git stores, and Argo CD's walks go through) stopped a run
with Python's recursion limit. These give the same entries in the same order, level after
level from a stack.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase
from pathlib import Path


def walk(top: str | os.PathLike[str], *, onerror: Callable[[OSError], None] | None = None,
         followlinks: bool = False) -> Iterator[tuple[str, list[str], list[str]]]:
    """``os.walk(top)``, top-down: each directory's ``(path, dirnames, filenames)``, before
    those of the directories in ``dirnames`` (which the caller may prune or reorder, as with
    ``os.walk``); a directory that cannot be listed goes to ``onerror``; a symbolic link to a
    directory is listed among ``dirnames`` and entered only with ``followlinks``."""
    stack = [os.fspath(top)]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                listed = list(entries)
        except OSError as error:
            if onerror is not None:
                onerror(error)
            continue
        dirs: list[str] = []
        files: list[str] = []
        links: set[str] = set()  # (the directory entry says so: no system call)
        for entry in listed:
            try:
                is_dir = entry.is_dir()
                if is_dir and not followlinks and entry.is_symlink():
                    links.add(entry.name)
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(entry.name)
        yield current, dirs, files
        for name in reversed(dirs):
            if name not in links:
                stack.append(os.path.join(current, name))


def rglob(directory: Path, pattern: str = "*") -> Iterator[Path]:
    """``directory.rglob(pattern)`` for a pattern of names (no ``/``): each file and
    directory below ``directory`` whose name matches, not below a symbolic link to a
    directory."""
    for current, dirs, files in walk(directory):
        for name in (*dirs, *files):
            if fnmatchcase(name, pattern):
                yield Path(current) / name


def copy_tree(source: Path, target: Path, copy_file: Callable[[Path, Path], object],
              skip: Callable[[str], bool] = lambda name: False) -> None:
    """``shutil.copytree(source, target, symlinks=True)`` without recursion: directories
    made, symbolic links copied as links, files copied with ``copy_file``; an entry whose
    name ``skip`` accepts is left out."""
    for current, dirs, files in walk(source):
        here = target / Path(current).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        dirs[:] = [name for name in dirs if not skip(name)]
        for name in [*dirs, *(name for name in files if not skip(name))]:
            path = Path(current) / name
            if path.is_symlink():
                os.symlink(os.readlink(path), here / name)
            elif name in files:
                copy_file(path, here / name)


def remove_tree(top: str | os.PathLike[str]) -> None:
    """``shutil.rmtree(top, ignore_errors=True)`` without recursion: the files and links of
    each directory, then the directories, deepest first; a directory that forbids it is
    made writable first; what cannot be removed stays."""
    found: list[str] = []
    for current, dirs, files in walk(top):
        found.append(current)
        for name in [*files, *(d for d in dirs if os.path.islink(os.path.join(current, d)))]:
            path = os.path.join(current, name)
            try:
                os.unlink(path)
            except PermissionError:
                with contextlib.suppress(OSError):
                    os.chmod(current, 0o700)
                    os.unlink(path)
            except OSError:
                pass
    for directory in reversed(found):
        with contextlib.suppress(OSError):
            os.rmdir(directory)


@contextlib.contextmanager
def temporary_directory(prefix: str, directory: str | os.PathLike[str] | None = None
                        ) -> Iterator[str]:
    """``tempfile.TemporaryDirectory``, removed with ``remove_tree`` (a copy of a deep
    tree is removed as well)."""
    import tempfile  # (only a cold run makes one: the warm path imports this module)

    name = tempfile.mkdtemp(prefix=prefix, dir=directory)
    try:
        yield name
    finally:
        remove_tree(name)
