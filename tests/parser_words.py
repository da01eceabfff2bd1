"""The YAML parser's own words inside platecheck's messages, hidden for comparison.

platecheck says ``invalid YAML: `` and then what the parser said; that part changes between
libyaml releases and the pure-Python loader, so tests compare everything around it."""

from __future__ import annotations

import re

PARSER = "invalid YAML: <parser>"
_WORDS = re.compile(r"invalid YAML: .+?(?= \(value file of Application '[^']*'\)$|$)")


def hide_parser_words(message: str) -> str:
    """``message`` with the parser's description after ``invalid YAML: `` replaced."""
    return _WORDS.sub(PARSER, message, count=1)
