"""Where a path leads once symbolic links are followed, looked up once per run.

Discovery, planning, rendering and the checks that keep helm inside the repository each ask
where the same paths lead (the repository root, a values file every Application shares, a
chart's directory): at 500 targets a run asked 18,000 times for 2,700 paths, each answer an
``lstat`` per path component. Within a run (``platecheck.runmemo.remembered``) an answer is
kept by the path as given; outside one every call asks the file system. A symbolic link loop
yields a path that does not exist, never an exception.
"""

from __future__ import annotations

import os
from pathlib import Path

from platecheck.runmemo import recall


def realpath(path: str | os.PathLike[str]) -> str:
    """``os.path.realpath(path)``, remembered within a run."""
    given = os.fspath(path)
    return recall("realpath", given, lambda: os.path.realpath(given))


def resolve(path: str | os.PathLike[str]) -> Path:
    """``Path(path).resolve()`` without its exception on a symbolic link loop, remembered
    within a run."""
    return Path(realpath(path))


# a value file that resolves into a ``.git`` directory (``.git/config`` holds credentials)
GIT_VALUE_FILE = ("value file resolves into a .git directory; platecheck reads nothing of "
                  ".git and gives helm none of it")


def in_git_directory(path: Path) -> bool:
    """Whether ``path`` (resolved) lies in a ``.git`` directory."""
    return ".git" in path.parts
