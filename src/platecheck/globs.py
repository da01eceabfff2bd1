"""Glob matching, the two ways a repository's globs are read.

- ``matches_any``: shell-style globs (``*``, ``?``, ``[...]``, ``[!...]``), case-sensitive,
  ``*`` crossing ``/``: platecheck's own options (environment names and namespaces, waivers,
  ``repoUrls``...).
- ``argocd_match`` and ``gobwas_match``: Argo CD's glob (argo-cd ``util/glob``, gobwas/glob)
  for a directory source's ``include``/``exclude`` (without separators: ``*`` crossing
  ``/``) and an AppProject's repositories and destinations (``glob_match``, ``!`` negating);
  ``{a,b}`` alternatives, ``[...]``/``[!...]``, ``\\`` escaping; ``regexp_list_match``, such
  globs or ``/regular expressions/`` (an AppProject's ``sourceNamespaces``).
- ``path_match`` and ``go_match``: Go's ``path.Match``, ``*`` within one name, ``[^...]``
  negating: an ApplicationSet git generator's ``directories``, an AppProject's groups, kinds
  and names.
- ``filepath_glob``: the files and directories a pattern names, in the order of the
  doublestar library's ``FilepathGlob`` (Argo CD's value file globs).
- ``go_glob``: Go's ``filepath.Glob`` (kustomize's ``kustomize edit add`` globs).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase


def matches(value: str, pattern: str) -> bool:
    """``value`` matches the shell-style glob ``pattern``."""
    return fnmatchcase(value, pattern)


def matches_any(value: str, patterns: Iterable[str]) -> bool:
    return any(matches(value, pattern) for pattern in patterns)


def under_any(path: str, patterns: Iterable[str]) -> bool:
    """Whether the repository-relative ``path`` matches one of the shell-style ``patterns``
    or lies under a directory one names (``clusters/prod`` or ``clusters/prod/``: every
    file below it)."""
    return any(matches(path, pattern) or matches(path, f"{pattern.rstrip('/')}/*")
               for pattern in patterns)


def path_match(pattern: str, name: str) -> bool:
    """Go's ``path.Match`` (``go_match``), leading and trailing ``/`` aside."""
    return go_match(pattern.strip("/"), name.strip("/"))


def argocd_match(pattern: str, relative: str) -> bool:
    """Argo CD's glob (``util/glob``'s ``Match``, gobwas/glob without separators): ``*`` and
    ``**`` cross ``/``, ``?``, ``[...]``, ``{a,b}`` alternatives."""
    return gobwas_match(pattern, relative)


def regexp_list_match(patterns: Iterable[str], value: str) -> bool:
    """Argo CD's ``MatchStringInList`` with ``REGEXP`` (an AppProject's
    ``sourceNamespaces``): an entry wrapped in ``/`` a regular expression found anywhere in
    ``value`` (one that does not compile matches nothing), any other gobwas/glob's."""
    for pattern in patterns:
        if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
            try:
                if re.search(pattern[1:-1], value):
                    return True
            except re.error:
                pass
        if gobwas_match(pattern, value):
            return True
    return False


def gobwas_match(pattern: str, value: str, separators: str = "") -> bool:
    """gobwas/glob's ``Match`` of a compiled ``pattern`` (none when it does not compile)."""
    compiled = gobwas_regex(pattern, separators)
    return compiled is not None and compiled.fullmatch(value) is not None


def gobwas_regex(pattern: str, separators: str = "") -> re.Pattern[str] | None:
    """gobwas/glob's pattern as a regular expression (``*`` any run of characters but the
    separators, ``**`` any run, ``?``, ``[...]``/``[!...]``, ``{a,b}``, ``\\`` escaping);
    None for a pattern gobwas refuses to compile (then it matches nothing)."""
    text = _translated_glob(pattern, separators)
    return None if text is None else re.compile(text, re.DOTALL)


def _translated_glob(pattern: str, separators: str, go: bool = False) -> str | None:
    """gobwas/glob's ``pattern`` as the text of a regular expression; with ``go``, Go's
    ``path.Match``'s (no ``**`` nor ``{a,b}``, ``[^...]`` negating, a class may not start
    with ``-`` or ``]``). None for a pattern that does not compile."""
    one = f"[^{re.escape(separators)}]" if separators else "."
    out, index, depth = [], 0, 0
    while index < len(pattern):
        char = pattern[index]
        index += 1
        if char == "\\":
            if index == len(pattern):
                return None
            out.append(re.escape(pattern[index]))
            index += 1
        elif char == "*":
            double = not go and pattern.startswith("*", index)
            index += double
            out.append(".*" if double else one + "*")
        elif char == "?":
            out.append(one)
        elif char == "[":
            end = _class_end(pattern, index)
            if end is None or go and pattern.startswith(("-", "]"), index + pattern.startswith(
                    "^", index)):
                return None
            body = _class(pattern[index:end], "^" if go else "!")
            if body is None:
                return None
            out.append(body)
            index = end + 1
        elif char == "{" and not go:
            depth += 1
            out.append("(?:")
        elif char == "," and depth:
            out.append("|")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        else:
            out.append(re.escape(char))
    return None if depth else "".join(out)


def _class_end(pattern: str, start: int) -> int | None:
    """The index of the ``]`` closing a class that starts at ``start``; None when it is
    empty or not closed."""
    index = start + (pattern.startswith(("!", "^"), start))
    first = index
    while index < len(pattern) and pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index if index < len(pattern) and index > first else None


def _class(body: str, negation: str) -> str | None:
    """A class's regular expression; None for a range whose end is before its start
    (``[e-a]``: Go's ``path.Match`` says ErrBadPattern)."""
    negated = body.startswith(negation)
    body = body[negated:]
    items, index = [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            index += 1
            char = body[index]
        if body.startswith("-", index + 1) and index + 2 < len(body):
            if body[index + 2] < char:
                return None
            items.append(f"{re.escape(char)}-{re.escape(body[index + 2])}")
            index += 3
        else:
            items.append(re.escape(char))
            index += 1
    return f"[{'^' if negated else ''}{''.join(items)}]"


def go_match(pattern: str, name: str) -> bool:
    """Go's ``filepath.Match`` (``*`` and ``?`` not crossing ``/``, ``[...]``/``[^...]``,
    ``\\`` escaping); a malformed pattern matches nothing, as Argo CD takes its error."""
    text = _translated_glob(pattern, "/", go=True)
    return text is not None and re.fullmatch(text, name, re.DOTALL) is not None


def glob_match(pattern: str, value: str, separators: str = "") -> bool:
    """Argo CD's ``globMatch`` with negation allowed: ``!p`` matches what ``p`` does not,
    ``*`` anything."""
    if pattern.startswith("!"):
        compiled = gobwas_regex(pattern[1:], separators)
        return compiled is None or compiled.fullmatch(value) is None
    return pattern == "*" or gobwas_match(pattern, value, separators)


_META = re.compile(r"[*?\[{]")
_GO_META = re.compile(r"[*?\[\\]")  # (filepath's hasMeta)


def go_glob(pattern: str, root: str) -> list[str]:
    """Go's ``filepath.Glob`` of ``pattern`` (``/`` separated) in the directory ``root``:
    the paths it names, as ``filepath.Join`` writes them, in Go's order (each directory
    part's matches first, each directory's names sorted); a name with no pattern
    character, if it exists. A bad pattern matches nothing."""
    if not _GO_META.search(pattern):
        return [pattern] if os.path.lexists(os.path.join(root, pattern)) else []
    directory, _, name = pattern.rpartition("/")
    directory = directory or ("/" if pattern.startswith("/") else ".")
    if directory == pattern:
        return []
    found = []
    for each in go_glob(directory, root) if _GO_META.search(directory) else [directory]:
        if os.path.isdir(os.path.join(root, each)):
            found += [os.path.normpath(os.path.join(each, entry))
                      for entry in _entries(os.path.join(root, each)) if go_match(name, entry)]
    return found


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
    def entered(path: str) -> Iterator[str] | None:
        real = os.path.realpath(path)
        if real in seen:
            return None
        seen.add(real)
        return iter([os.path.join(path, name) for name in _entries(path)])

    if not os.path.isdir(directory):
        return
    first = entered(directory)
    if first is None:
        return
    yield directory
    stack = [first]  # (a stack, not recursion: a tree may be deeper than the limit)
    while stack:
        path = next(stack[-1], None)
        if path is None:
            stack.pop()
        elif os.path.isdir(path):
            inner = entered(path)
            if inner is not None:
                yield path
                stack.append(inner)
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
