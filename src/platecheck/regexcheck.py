"""Regular expressions from a checked repository, refused when they could backtrack for
exponential time.

Python's ``re`` backtracks: ``^(a+)+$`` against thirty ``a`` and a ``b`` runs for minutes, and
a pull request writes ``policies/platecheck.yaml`` and the schemas charts carry. A quantifier
applied to something that is itself quantified (``(a+)+``, ``(x*)*``) is refused at load with
the way out: a possessive quantifier (``a++``) or an atomic group (``(?>...)``), which never
backtrack into what they matched. https://docs.python.org/3/library/re.html#regular-expression-syntax

A repetition bounded on both levels, as in Gateway API's duration pattern
``^([0-9]{1,5}(h|m|s|ms)){1,4}$``, is not refused either: with at most ``n`` passes, each
choosing among at most ``w`` ways to repeat what it holds, the matcher tries at most
``w ** n`` splits (here 5 ** 4), which ``_BOUNDED_SPLITS`` bounds.

A repetition whose every pass starts with a character nothing else in it can match, as in
Kubernetes' DNS-subdomain pattern ``(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*``, is not refused for
what it repeats inside: each ``.`` starts a new pass, so the text splits into passes one way
only and the repetitions inside a pass cannot multiply with the passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from re import _compiler, _parser  # type: ignore[attr-defined]
from re import _constants as sre  # type: ignore[attr-defined]
from typing import Any

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)
_ONE_CHARACTER = (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY)
_NO_CHARACTER = (sre.AT, sre.GROUPREF_EXISTS)  # the condition only; its branches are walked
_MAX_DELIMITERS = 64  # a character class larger than this is not taken as a delimiter
_BOUNDED_SPLITS = 1 << 16  # the splits a bounded repetition of bounded repetitions may try
RISKY = ("repeats a group that itself repeats, which can take exponential time; platecheck "
         "does not match it")


def risky_schema_pattern(schema: Any) -> str | None:
    """The first ``pattern`` or ``patternProperties`` key of a JSON schema that could
    backtrack for exponential time (jsonschema matches them with ``re``); None when none
    could. A pattern that does not compile is left to the schema's own check."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        patterns = list(node.get("patternProperties") or {}) \
            if isinstance(node.get("patternProperties"), dict) else []
        if isinstance(node.get("pattern"), str):
            patterns.append(node["pattern"])
        for pattern in patterns:
            try:
                if nested_quantifier(pattern):
                    return str(pattern)
            except re.error:
                continue
        stack.extend(node.values())
    return None


def nested_quantifier(pattern: str) -> bool:
    """Whether ``pattern`` (already known to compile) repeats something that repeats."""
    parsed = _parser.parse(pattern)
    return _nested(parsed, inside=False, flags=parsed.state.flags)


def _nested(parsed: Iterable[Any], *, inside: bool, flags: int) -> bool:
    for op, av in parsed:
        if op in _REPEATS:
            low, high, sub = av
            repeats = high > 1
            if repeats and inside:
                return True
            if repeats and high != sre.MAXREPEAT and _bounded_splits(sub, high):
                continue  # what it repeats is bounded too, and the splits are few
            if _nested(sub, inside=inside or (repeats and not _delimited(sub, flags)),
                       flags=flags):
                return True
        elif op is sre.SUBPATTERN:
            if _nested(av[3], inside=inside, flags=flags):
                return True
        elif op is sre.BRANCH:
            if any(_nested(branch, inside=inside, flags=flags) for branch in av[1]):
                return True
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            if _nested(av[1], inside=inside, flags=flags):
                return True
        # an atomic group or a possessive repeat never backtracks into what it matched
    return False


def _bounded_splits(body: Iterable[Any], passes: int) -> bool:
    """Whether ``passes`` passes over ``body`` try at most ``_BOUNDED_SPLITS`` splits: every
    repetition in ``body`` bounded, the product of their bounds ``w`` with ``w ** passes``
    within the limit."""
    ways = _ways(body)
    if ways is None:
        return False
    splits = 1
    for _ in range(passes if ways > 1 else 0):
        splits *= ways
        if splits > _BOUNDED_SPLITS:
            return False
    return True


def _ways(parsed: Iterable[Any]) -> int | None:
    """The product of the upper bounds of the repetitions in ``parsed`` (a branch: its
    largest), None when one is unbounded or cannot be looked into."""
    ways = 1
    for op, av in parsed:
        inner: int | None = 1
        if op in _REPEATS or op is sre.POSSESSIVE_REPEAT:
            sub = _ways(av[2])
            inner = None if av[1] == sre.MAXREPEAT or sub is None else av[1] * sub
        elif op is sre.SUBPATTERN:
            inner = _ways(av[3])
        elif op is sre.BRANCH:
            found = [_ways(branch) for branch in av[1]]
            inner = None if None in found else max(w for w in found if w is not None)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            inner = _ways(av[1])
        elif op is sre.ATOMIC_GROUP:
            inner = _ways(av)
        elif op not in _ONE_CHARACTER and op not in _NO_CHARACTER:
            inner = None  # a back reference, a conditional group: not looked into
        if inner is None:
            return None
        ways *= inner
        if ways > _BOUNDED_SPLITS:
            return None
    return ways


def _delimited(body: Iterable[Any], flags: int) -> bool:
    """Whether ``body`` starts with a character class that nothing after it can match."""
    items = list(body)
    while len(items) == 1 and items[0][0] is sre.SUBPATTERN and not any(items[0][1][1:3]):
        items = list(items[0][1][3])  # a plain group: what it holds
    if not items:
        return False
    first = _characters(*items[0])
    if not first:
        return False
    if flags & sre.SRE_FLAG_IGNORECASE:
        first |= {case for char in first for case in (char.lower(), char.upper())}
    for node in _consuming(items[1:]):
        if node is None or _matches(node, first, flags):
            return False
    return True


def _characters(op: Any, av: Any) -> set[str] | None:
    """The characters a literal or a plain character class matches; None for others."""
    if op is sre.LITERAL:
        return {chr(av)}
    if op is not sre.IN:
        return None
    chars: set[str] = set()
    for item_op, item_av in av:
        if item_op is sre.LITERAL:
            chars.add(chr(item_av))
        elif item_op is sre.RANGE and item_av[1] - item_av[0] < _MAX_DELIMITERS:
            chars.update(chr(code) for code in range(item_av[0], item_av[1] + 1))
        else:
            return None  # negated, a category or a wide range
    return chars if len(chars) <= _MAX_DELIMITERS else None


def _consuming(parsed: Iterable[Any]) -> Iterator[Any]:
    """Every node of ``parsed`` that matches one character; None for one that could match
    anything platecheck does not look into (a back reference, a group with its own flags)."""
    for node in parsed:
        op, av = node
        if op in _ONE_CHARACTER:
            yield node
        elif op in _REPEATS or op is sre.POSSESSIVE_REPEAT:
            yield from _consuming(av[2])
        elif op is sre.SUBPATTERN:
            yield from _consuming(av[3]) if not any(av[1:3]) else iter([None])
        elif op is sre.BRANCH:
            for branch in av[1]:
                yield from _consuming(branch)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            yield from _consuming(av[1])
        elif op is sre.ATOMIC_GROUP:
            yield from _consuming(av)
        elif op is sre.GROUPREF_EXISTS:
            yield from _consuming(av[1])
            yield from _consuming(av[2] or ())
        elif op not in _NO_CHARACTER:
            yield None


def _matches(node: Any, chars: set[str], flags: int) -> bool:
    state = _parser.State()
    state.flags = flags
    single = _compiler.compile(_parser.SubPattern(state, [node]), flags)
    return any(single.fullmatch(char) for char in chars)
