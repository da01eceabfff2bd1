"""Reading a whole file that must not exceed a limit, without reserving the limit.

``stream.read(limit + 1)`` reserves ``limit + 1`` bytes before it reads one: with limits of
tens of MiB, every small file read would map and unmap that much. The file's size (from
``fstat``) sizes the first read instead; a file that holds more than its size said (it grew,
or it is a special file that reports 0) is read on up to the limit.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def read_at_most(stream: BinaryIO, size: int, limit: int) -> bytes:
    """The content of ``stream`` (whose size was ``size``) up to ``limit + 1`` bytes: more
    than ``limit`` bytes back means the file is too large."""
    first = min(max(size, 0), limit) + 1
    raw = stream.read(first)
    if len(raw) < first:
        return raw  # the whole file: it ended before the size said plus one
    rest = stream.read(limit + 1 - len(raw))
    return raw + rest if rest else raw


def read_regular_file(path: Path, limit: int,
                      opened: Callable[[int, os.stat_result], None] | None = None
                      ) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (never a link, pipe or device, which
    could block) of at most ``limit`` bytes; None otherwise or when it cannot be read.
    ``opened`` is told of the open file first."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | \
        getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        if opened is not None:
            opened(handle, info)
        with os.fdopen(handle, "rb", closefd=False) as stream:
            raw = read_at_most(stream, info.st_size, limit)
    except OSError:
        return None
    finally:
        os.close(handle)
    return raw if len(raw) <= limit else None


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` is (or links to) a regular file: FIFOs, devices and sockets are never
    read, so a named pipe in a scanned directory cannot hang discovery."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
