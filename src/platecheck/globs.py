"""Glob matching, the two ways a repository's globs are read.

- ``matches_any``: shell-style globs (``*``, ``?``, ``[...]``, ``[!...]``), case-sensitive,
  ``*`` crossing ``/``: platecheck's own options (environment names and namespaces, waivers,
  ``repoUrls``...).
- ``argocd_match``: Argo CD's glob for a directory source's ``include``/``exclude``
  (argo-cd ``util/glob``, gobwas/glob without separators): the same, plus ``{a,b}``
  alternatives, matched on the path relative to the source.
- ``path_match``: Go's ``path.Match``, ``*`` within one name: an ApplicationSet git
  generator's ``directories``.
- ``filepath_glob``: the files and directories a pattern names, in the order of the
  doublestar library's ``FilepathGlob`` (Argo CD's value file globs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase

_BRACES = re.compile(r"\{([^{}]*)\}")


def matches(value: str, pattern: str) -> bool:
    """``value`` matches the shell-style glob ``pattern``."""
    return fnmatchcase(value, pattern)


def matches_any(value: str, patterns: Iterable[str]) -> bool:
    return any(matches(value, pattern) for pattern in patterns)


def path_match(pattern: str, name: str) -> bool:
    """Go's ``path.Match``: the shell-style glob name by name, ``*`` never crossing ``/``."""
    parts, names = pattern.strip("/").split("/"), name.strip("/").split("/")
    return len(parts) == len(names) and all(map(fnmatchcase, names, parts))


def argocd_match(pattern: str, relative: str) -> bool:
    """Argo CD's glob: ``*`` and ``**`` cross ``/``, ``?``, ``[...]``, ``{a,b}`` alternatives."""
    return matches_any(relative, _alternatives(pattern))


def _alternatives(pattern: str) -> list[str]:
    match = _BRACES.search(pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[:match.start()], pattern[match.end():]
    return [expanded for part in match.group(1).split(",")
            for expanded in _alternatives(head + part + tail)]


_META = re.compile(r"[*?\[{]")


def filepath_glob(pattern: str) -> list[str]:
    """The paths ``pattern`` (absolute, ``/`` separated) names, as doublestar's
    ``FilepathGlob`` gives them to Argo CD: ``*`` and ``?`` within one name, ``[...]``
    (``^`` or ``!`` negating), ``{a,b}`` alternatives, ``\\`` escaping, a ``**`` segment any
    number of directories; directories match as files do. The order: each directory's
    entries by name, a ``**`` walking a directory before what lies in it (its own files
    before those of its subdirectories when a name pattern follows), and the matches of
    alternatives merged by path. A bad pattern (an unclosed ``[``) matches nothing."""
    segments = os.path.normpath(pattern).split("/")
    first = next((i for i, s in enumerate(segments) if _META.search(s)), len(segments))
    base = "/".join(segments[:first]) or "/"
    if first == len(segments):
        return [base] if os.path.exists(base) else []
    try:
        matchers = [_segment(s) for s in segments[first:]]
    except re.error:
        return []
    alternatives = next((i for i, s in enumerate(segments[first:]) if "{" in s), None)
    if alternatives is None:
        return list(_walk(base, matchers))
    found: list[str] = []
    for directory in _walk(base, matchers[:alternatives]):
        found += sorted(set(_walk(directory, matchers[alternatives:])) - set(found))
    return found


def _walk(directory: str, matchers: list[re.Pattern[str] | None]) -> Iterator[str]:
    """What ``matchers`` (None: ``**``) name below ``directory``, in doublestar's order."""
    if not matchers:
        yield directory
        return
    matcher, rest = matchers[0], matchers[1:]
    if matcher is None:
        for found in _below(directory, set(), files=not rest):
            yield from _walk(found, rest) if rest else (found,)
        return
    for name in _entries(directory):
        path = os.path.join(directory, name)
        if matcher.fullmatch(name) and (not rest or os.path.isdir(path)):
            yield from _walk(path, rest)


def _below(directory: str, seen: set[str], files: bool) -> Iterator[str]:
    """``directory`` if it is one, then, by name, each directory below it before what it
    holds (and each file, with ``files``); a directory reached again through a link once."""
    real = os.path.realpath(directory)
    if not os.path.isdir(directory) or real in seen:
        return
    seen.add(real)
    yield directory
    for name in _entries(directory):
        path = os.path.join(directory, name)
        if os.path.isdir(path):
            yield from _below(path, seen, files)
        elif files:
            yield path


def _entries(directory: str) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []


def _segment(segment: str) -> re.Pattern[str] | None:
    """One name's pattern as a regular expression; None for ``**``."""
    if segment == "**":
        return None
    return re.compile(_translated(segment), re.DOTALL)


def _translated(pattern: str) -> str:
    out, index, depth = [], 0, 0
    while index < len(pattern):
        char = pattern[index]
        index += 1
        if char == "\\" and index < len(pattern):
            out.append(re.escape(pattern[index]))
            index += 1
        elif char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end < 0:
                raise re.error("unclosed [")
            body = pattern[index:end]
            negated = body[:1] in ("^", "!")
            body = body[1:] if negated else body
            out.append("[" + ("^" if negated else "") + body + "]")
            index = end + 1
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
    if depth:
        raise re.error("unclosed {")
    return "".join(out)
