"""Where a path leads once symbolic links are followed, looked up once per run.

Discovery, planning, rendering and the checks that keep helm inside the repository each ask
where the same paths lead (the repository root, a values file every Application shares, a
chart's directory): at 500 targets a run asked 18,000 times for 2,700 paths, each answer an
``lstat`` per path component. Inside ``remembered()`` (a run, while the repository it reads
does not change under it) an answer is kept by the path as given; outside it every call asks
the file system. A symbolic link loop yields a path that does not exist, never an exception.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

_memo: dict[str, str] | None = None


@contextlib.contextmanager
def remembered() -> Iterator[None]:
    """Answers kept until the outermost ``remembered()`` ends."""
    global _memo
    outer = _memo
    if outer is None:
        _memo = {}
    try:
        yield
    finally:
        _memo = outer


def realpath(path: str | os.PathLike[str]) -> str:
    """``os.path.realpath(path)``, remembered within a run."""
    given = os.fspath(path)
    memo = _memo
    if memo is None:
        return os.path.realpath(given)
    found = memo.get(given)
    if found is None:
        found = memo[given] = os.path.realpath(given)
    return found


def resolve(path: str | os.PathLike[str]) -> Path:
    """``Path(path).resolve()`` without its exception on a symbolic link loop, remembered
    within a run."""
    return Path(realpath(path))
