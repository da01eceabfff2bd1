"""A chart's ``.helmignore``, as Helm's directory loader applies it (``pkg/ignore``
``rules.go``, ``loader.LoadDir``): each line a rule, tried in order; ``#`` a comment; a
leading ``!`` negates (Helm ignores what such a rule does NOT match, and goes on past what
it matches); a trailing ``/`` applies to directories only; a leading ``/``, or a ``/`` inside,
matches the whole path from the chart's directory, else the file's name alone, each as Go's
``filepath.Match``. A directory ignored is skipped whole. A file whose rules Helm cannot
parse (``**``, a malformed pattern) fails the chart's loading: ``read`` says None then, and
helm's render says why.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from platecheck.globs import go_match


@dataclass(frozen=True)
class Rule:
    pattern: str
    negate: bool
    directories: bool  # a trailing ``/``: directories only
    whole: bool  # matched against the whole path, not the name alone

    def matches(self, path: str) -> bool:
        return go_match(self.pattern, path if self.whole else posixpath.basename(path))


def read(chart: Path) -> list[Rule] | None:
    """The rules of ``chart``'s ``.helmignore`` and Helm's default (hidden files of
    ``templates/``); None when helm cannot read them."""
    rules = []
    file = chart / ".helmignore"
    try:
        text = file.read_text(encoding="utf-8", errors="replace") if file.is_file() else ""
    except OSError:
        return None
    for line in [*text.splitlines(), "templates/.?*"]:
        rule = line.strip()
        if not rule or rule.startswith("#"):
            continue
        if "**" in rule or not _compiles(rule):
            return None
        negate = rule.startswith("!")
        rule = rule[1:] if negate else rule
        directories = rule.endswith("/")
        rule = rule[:-1] if directories else rule
        whole = "/" in rule
        rules.append(Rule(rule.removeprefix("/"), negate, directories, whole))
    return rules


def _compiles(rule: str) -> bool:
    """Whether Go's ``filepath.Match`` takes ``rule`` as a pattern (an unclosed ``[``, a
    trailing ``\\`` it refuses)."""
    depth, escaped = 0, False
    for char in rule:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
    return depth == 0 and not escaped


def ignored(rules: list[Rule], path: str, directory: bool) -> bool:
    """Whether Helm's loader leaves out ``path`` (from the chart's directory, ``/``
    separated): ``Rules.Ignore``."""
    for rule in rules:
        if rule.negate:
            if rule.directories and not directory or not rule.matches(path):
                return True
            continue
        if rule.directories and not directory:
            continue
        if rule.matches(path):
            return True
    return False


def loaded(rules: list[Rule] | None, path: str, directory: bool) -> bool:
    """Whether Helm's loader reads ``path``: none of the directories above it, nor it, is
    ignored (with rules it cannot read, every path: its render fails first)."""
    if rules is None:
        return True
    parts = path.split("/")
    return not any(ignored(rules, "/".join(parts[:depth]), depth < len(parts) or directory)
                   for depth in range(1, len(parts) + 1))
