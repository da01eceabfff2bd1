"""Glob matching, the two ways a repository's globs are read.

- ``matches_any``: shell-style globs (``*``, ``?``, ``[...]``, ``[!...]``), case-sensitive,
  ``*`` crossing ``/``: platecheck's own options (environment names and namespaces, waivers,
  ``repoUrls``...).
- ``argocd_match``: Argo CD's glob for a directory source's ``include``/``exclude``
  (argo-cd ``util/glob``, gobwas/glob without separators): the same, plus ``{a,b}``
  alternatives, matched on the path relative to the source.
- ``path_match``: Go's ``path.Match``, ``*`` within one name: an ApplicationSet git
  generator's ``directories``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
