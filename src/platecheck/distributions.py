"""Installed distributions, found where ``importlib.metadata`` finds them, without importing it
(it loads the e-mail parser and the archive readers: several milliseconds of every run).

``importlib.metadata`` looks for distributions with the finders of ``sys.meta_path``; the
standard one (``PathFinder``) lists each entry of ``sys.path`` in turn, directories and
archives, for ``*.dist-info`` and ``*.egg-info`` entries (and an ``.egg`` entry's
``EGG-INFO``). Where every entry is a directory (or missing) and no other finder provides
distributions, the same listing answers here; otherwise ``Undecided`` is raised and the caller
asks ``importlib.metadata``.
"""

from __future__ import annotations

import importlib.machinery
import os
import re
import sys
from collections.abc import Iterator


class Undecided(Exception):
    """Only ``importlib.metadata`` can tell: an archive on ``sys.path``, or another finder of
    distributions."""


def metadata_dirs() -> Iterator[str]:
    """The metadata directories of every distribution on ``sys.path``, in the order
    ``importlib.metadata`` meets them. Raises ``Undecided``."""
    if any(getattr(finder, "find_distributions", None) is not None
           and finder is not importlib.machinery.PathFinder for finder in sys.meta_path):
        raise Undecided
    for entry in sys.path:
        base = entry or "."
        try:
            names = os.listdir(base)
        except NotADirectoryError:
            raise Undecided from None  # an archive
        except OSError:
            continue
        if base.lower().endswith(".egg") and "EGG-INFO" in names:
            yield os.path.join(base, "EGG-INFO")
        for name in names:
            if name.lower().endswith((".dist-info", ".egg-info")):
                yield os.path.join(base, name)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def version(name: str) -> str:
    """``importlib.metadata.version(name)``: the ``Version`` of the first distribution of that
    name on ``sys.path``; raises ``importlib.metadata.PackageNotFoundError`` (an
    ``ImportError``) when none is installed."""
    wanted = _normal(name)
    try:
        for path in metadata_dirs():
            stem = os.path.basename(path).lower()
            if _normal(stem.rpartition(".")[0].partition("-")[0]) != wanted:
                continue
            if stem.endswith(".dist-info"):
                found = _metadata_version(os.path.join(path, "METADATA"))
                if found is not None:
                    return found
            break  # an egg's metadata, or one that does not read: importlib.metadata decides
    except Undecided:
        pass
    from importlib.metadata import version as looked_up

    return looked_up(name)


def _metadata_version(path: str) -> str | None:
    """The ``Version`` header of a ``METADATA`` file (the headers end at the first blank
    line), None when it has none or does not read."""
    try:
        with open(path, encoding="utf-8") as stream:
            for line in stream:
                if not line.strip():
                    return None
                key, colon, value = line.partition(":")
                if colon and key.strip().lower() == "version":
                    return value.strip()
    except (OSError, UnicodeDecodeError):
        return None
    return None


def declares(group: str) -> bool:
    """Whether some distribution may declare entry points of ``group``: False only when none
    on ``sys.path`` names it in its ``entry_points.txt`` (``importlib.metadata`` would find
    none either)."""
    try:
        return any(_names_group(os.path.join(path, "entry_points.txt"), group)
                   for path in metadata_dirs())
    except Undecided:
        return True


def _names_group(path: str, group: str) -> bool:
    try:
        with open(path, "rb") as stream:
            return group.encode() in stream.read()
    except (FileNotFoundError, NotADirectoryError):
        return False  # no entry points (an .egg-info may be a file)
    except OSError:
        return True  # unreadable here: importlib.metadata decides
