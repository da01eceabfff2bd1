"""Regular expressions from a checked repository's configuration, refused when they could
backtrack for exponential time.

Python's ``re`` backtracks: ``^(a+)+$`` against thirty ``a`` and a ``b`` runs for minutes, and
a pull request writes ``policies/platecheck.yaml``. A quantifier applied to something that is
itself quantified (``(a+)+``, ``(\\.\\d+)*``) is refused at load with the way out: a possessive
quantifier (``a++``) or an atomic group (``(?>...)``), which never backtrack into what they
matched. https://docs.python.org/3/library/re.html#regular-expression-syntax
"""

from __future__ import annotations

from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)


def nested_quantifier(pattern: str) -> bool:
    """Whether ``pattern`` (already known to compile) repeats something that repeats."""
    return _nested(_parser.parse(pattern), inside=False)


def _nested(parsed: Any, *, inside: bool) -> bool:
    for op, av in parsed:
        if op in _REPEATS:
            low, high, sub = av
            repeats = high > 1
            if repeats and inside:
                return True
            if _nested(sub, inside=inside or repeats):
                return True
        elif op is sre.SUBPATTERN:
            if _nested(av[3], inside=inside):
                return True
        elif op is sre.BRANCH:
            if any(_nested(branch, inside=inside) for branch in av[1]):
                return True
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if _nested(av[1], inside=inside):
                return True
        # an atomic group or a possessive repeat never backtracks into what it matched
    return False
