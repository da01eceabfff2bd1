"""JSON as Go's ``encoding/json`` reads it, with the line of every key: how Argo CD reads a
``.json`` file of a directory source (reposerver ``getObjsFromYAMLOrJSON``: one object, with
``json.NewDecoder``), and kubectl a JSON manifest. A ``\\u`` surrogate pair is its character
(YAML, which platecheck read such files with, refuses it), a lone surrogate U+FFFD;
``NaN`` and ``Infinity`` are no JSON (Python's ``json`` reads them); a number is an integer
when it is one of 64 bits, else a float, as Kubernetes' decoder makes it.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from platecheck.errors import PlatecheckError
from platecheck.model import KeyPath

_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_WORDS = {"true": True, "false": False, "null": None}
_SURROGATE = re.compile("[\ud800-\udfff]")
_scanstring: Callable[[str, int, bool], tuple[str, int]] = \
    json.decoder.scanstring  # type: ignore[attr-defined]


class _Reader:
    def __init__(self, text: str, rel: str, max_depth: int, at: int = 0) -> None:
        self.text, self.rel, self.max_depth = text, rel, max_depth
        self.at = at
        self.lines: dict[KeyPath, int] = {}
        self._breaks: list[int] | None = None  # where each line break is, once asked

    def line(self, at: int | None = None) -> int:
        if self._breaks is None:
            self._breaks = [match.start() for match in re.finditer("\n", self.text)]
        return bisect.bisect_left(self._breaks, self.at if at is None else at) + 1

    def fail(self, context: str) -> PlatecheckError:
        if self.at >= len(self.text):
            return PlatecheckError("invalid JSON: unexpected end of JSON input", self.rel,
                                   self.line())
        return PlatecheckError(f"invalid JSON: invalid character {self.text[self.at]!r} "
                               f"{context}", self.rel, self.line())

    def space(self) -> None:
        self.at = _SPACE.match(self.text, self.at).end()  # type: ignore[union-attr]

    def value(self, path: KeyPath, depth: int) -> Any:
        self.space()
        char = self.text[self.at:self.at + 1]
        if char in ("{", "["):
            if depth >= self.max_depth:
                raise PlatecheckError(f"JSON nested more than {self.max_depth} levels deep; "
                                      "platecheck does not read it", self.rel, self.line())
            self.at += 1
            return self.object(path, depth) if char == "{" else self.array(path, depth)
        if char == '"':
            return self.string()
        match = _NUMBER.match(self.text, self.at)
        if match is not None:
            self.at = match.end()
            return _number(match.group(), self.rel, self.line())
        for word, meaning in _WORDS.items():
            if self.text.startswith(word, self.at):
                self.at += len(word)
                return meaning
        raise self.fail("looking for beginning of value")

    def string(self) -> str:
        start = self.at
        try:
            text, self.at = _scanstring(self.text, self.at + 1, True)
        except ValueError:
            self.at = start
            raise PlatecheckError("invalid JSON: invalid string literal", self.rel,
                                  self.line()) from None
        return _SURROGATE.sub("\ufffd", text)  # a lone surrogate: Go's replacement character

    def object(self, path: KeyPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        self.space()
        if self.text.startswith("}", self.at):
            self.at += 1
            return result
        while True:
            self.space()
            if not self.text.startswith('"', self.at):
                raise self.fail("looking for beginning of object key string")
            line = self.line()
            key = self.string()
            self.space()
            if not self.text.startswith(":", self.at):
                raise self.fail("after object key")
            self.at += 1
            self.lines[(*path, key)] = line
            result[key] = self.value((*path, key), depth + 1)
            self.space()
            if self.text.startswith("}", self.at):
                self.at += 1
                return result
            if not self.text.startswith(",", self.at):
                raise self.fail("after object key:value pair")
            self.at += 1

    def array(self, path: KeyPath, depth: int) -> list[Any]:
        items: list[Any] = []
        self.space()
        if self.text.startswith("]", self.at):
            self.at += 1
            return items
        while True:
            self.space()
            self.lines[(*path, len(items))] = self.line()
            items.append(self.value((*path, len(items)), depth + 1))
            self.space()
            if self.text.startswith("]", self.at):
                self.at += 1
                return items
            if not self.text.startswith(",", self.at):
                raise self.fail("after array element")
            self.at += 1


def _number(text: str, rel: str, line: int) -> int | float:
    """A JSON number as Kubernetes' decoder makes it: an integer of 64 bits, else a float;
    one past the largest float Go refuses."""
    if not any(char in text for char in ".eE"):
        value = int(text)
        if -(1 << 63) <= value < (1 << 63):
            return value
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise PlatecheckError(f"invalid JSON: number {text} is out of the range of a float "
                              "(Go's encoding/json refuses it)", rel, line)
    return number


def read_values(text: str, rel: str, max_depth: int, at: int = 0
                ) -> Iterator[tuple[Any, dict[KeyPath, int], int, int]]:
    """The JSON values of ``text`` from ``at`` on, one after another, as Go's
    ``json.Decoder.Decode`` reads a stream: each value, the line of every key path in it,
    the line it starts at and where it ends; one that does not read raises
    ``PlatecheckError`` (after those before it were given)."""
    reader = _Reader(text, rel, max_depth, at)
    while True:
        reader.space()
        if reader.at >= len(text):
            return
        reader.lines = {}
        first = reader.line()
        data = reader.value((), 0)
        yield data, reader.lines, first, reader.at


def read_json(text: str, rel: str, max_depth: int) -> tuple[Any, dict[KeyPath, int], int]:
    """The one value of a JSON text, the line of every key path in it, and the line it
    starts at. Another value after it is an error (Argo CD: "Found multiple objects")."""
    reader = _Reader(text, rel, max_depth)
    reader.space()
    first = reader.line()
    data = reader.value((), 0)
    reader.space()
    # json.Decoder.More, after the object: more is anything but the end, "]" or "}"
    if reader.at < len(text) and text[reader.at] not in "]}":
        raise PlatecheckError("a .json manifest may hold only one object (Argo CD refuses "
                              "more)", rel, reader.line())
    return data, reader.lines, first
