"""Answers kept for the length of a run, while the repository it reads does not change.

Inside ``remembered()`` (the engine wraps each run in it), ``recall(kind, key, compute)``
computes an answer once per key; outside it, every call computes. Only pure reads of the
checked repository are kept this way (where a path leads, what a Chart.yaml declares), never
anything a later step changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_memos: dict[str, dict[Any, Any]] | None = None


@contextlib.contextmanager
def remembered() -> Iterator[None]:
    """Answers kept until the outermost ``remembered()`` ends."""
    global _memos
    outer = _memos
    if outer is None:
        _memos = {}
    try:
        yield
    finally:
        _memos = outer


def recall(kind: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per ``kind`` and ``key`` within a run. An exception is not kept."""
    memos = _memos
    if memos is None:
        return compute()
    table = memos.setdefault(kind, {})
    try:
        found: T = table[key]
    except KeyError:
        found = table[key] = compute()
    return found
