"""Reading a whole file that must not exceed a limit, without reserving the limit.

``stream.read(limit + 1)`` reserves ``limit + 1`` bytes before it reads one: with limits of
tens of MiB, every small file read would map and unmap that much. The file's size (from
``fstat``) sizes the first read instead; a file that holds more than its size said (it grew,
or it is a special file that reports 0) is read on up to the limit.
"""

from __future__ import annotations

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
