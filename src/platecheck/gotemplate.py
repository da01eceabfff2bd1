"""Go's ``text/template`` as Argo CD's ApplicationSet controller executes each string of a
``goTemplate: true`` set (argo-cd ``applicationset/utils`` ``Render.Replace``), for the
templates whose every action is a field chain: ``{{ .a.b }}``, with trim markers (``{{- ``,
`` -}}``) that drop the whitespace beside the action. Any other action (a function, a pipe,
a variable, ``if``, a comment, a literal) is not read: ``parse`` says None.

Each chain is evaluated over the parameters (JSON values: maps, lists, strings, numbers as
float64, booleans, null) as ``text/template`` evaluates it: a missing map key is no value
(printed ``<no value>``), or with ``missingkey=error`` an execution error; so is a field of
a value that is no map, or of null. A value is printed as ``fmt``'s ``%v`` prints it; null
as ``<no value>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# an action of one field chain; a trim marker is a dash with ASCII whitespace on its inner side
# (text/template lex.go hasLeftTrimMarker, hasRightTrimMarker); "{{-.a}}" is no trim marker
_SPACE = " \t\r\n"
_CHAIN = re.compile(r"\{\{(-[ \t\r\n])?[ \t\r\n]*((?:\.[A-Za-z_][A-Za-z0-9_]*)+)"
                    r"[ \t\r\n]*?([ \t\r\n]-)?\}\}")


@dataclass(frozen=True)
class Field:
    """A field chain action: ``{{ .a.b }}`` is ``("a", "b")``."""

    names: tuple[str, ...]

    @property
    def key(self) -> str:
        return ".".join(self.names)


class ExecError(Exception):
    """A template execution error (``map has no entry for key``, a field of no map)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse(text: str) -> list[str | Field] | None:
    """The literal texts and field chains of ``text`` (trim markers applied); None when an
    action is any other than a field chain, or a ``{{`` opens no action."""
    parts: list[str | Field] = []
    position, trim = 0, False
    while (start := text.find("{{", position)) >= 0:
        match = _CHAIN.match(text, start)
        if match is None:
            return None
        literal = text[position:start]
        literal = literal.lstrip(_SPACE) if trim else literal
        parts.extend((literal.rstrip(_SPACE) if match.group(1) else literal,
                      Field(tuple(match.group(2)[1:].split(".")))))
        position, trim = match.end(), match.group(3) is not None
    tail = text[position:]
    parts.append(tail.lstrip(_SPACE) if trim else tail)
    return [part for part in parts if part != ""]


_MISSING = object()  # an invalid reflect.Value: a missing key's


def execute(parts: list[str | Field], data: Mapping[str, Any], missing_key_error: bool
            ) -> str:
    """``parts`` executed over ``data``; an ``ExecError`` as Go's execution fails."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value: Any = data
        strings = False  # whether ``value`` came from a map of strings (its static type)
        for name in part.names:
            value, strings = (_field(value, name, part, missing_key_error, strings),
                              isinstance(value, StringMap))
        out.append("<no value>" if value is _MISSING or value is None else go_v(value))
    return "".join(out)


class StringMap(dict[str, str]):
    """A ``map[string]string`` (a git generator's ``values``): its values' static type is
    ``string``, where a JSON map's are ``interface {}``, which Go's errors name."""


def _field(receiver: Any, name: str, chain: Field, missing_key_error: bool,
           strings: bool = False) -> Any:
    """text/template exec.go ``evalField`` of a JSON value (``strings``: it came from a
    ``StringMap``, so Go names its type ``string``, else ``interface {}``)."""
    if receiver is _MISSING:
        if missing_key_error:  # (not reached: the missing key failed first)
            raise ExecError(f"<.{chain.key}>: nil data; no entry for key {name!r}")
        return _MISSING
    if receiver is None:
        raise ExecError(f"<.{chain.key}>: nil pointer evaluating interface {{}}.{name}")
    if isinstance(receiver, Mapping):
        if name in receiver:
            return receiver[name]
        if missing_key_error:
            raise ExecError(f'<.{chain.key}>: map has no entry for key "{name}"')
        return _MISSING
    kind = "string" if strings else "interface {}"
    raise ExecError(f"<.{chain.key}>: can't evaluate field {name} in type {kind}")


def go_v(value: Any) -> str:
    """A JSON value (its numbers float64) as Go's ``fmt.Sprintf("%v")`` writes it: a map as
    ``map[k:v]`` in the order of its keys, a list as ``[a b]``, null ``<nil>``."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return go_g(float(value))
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{go_v(value[k])}" for k in sorted(value)) + "]"
    return "[" + " ".join(go_v(item) for item in value) + "]"


def go_g(number: float) -> str:
    """strconv's shortest ``%g`` (``%v`` of a float64): the exponent form below 1e-4 and from
    1e6 up (``1e+06``)."""
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    digits, exponent = _shortest(number)
    if exponent < -4 or exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{'-' if number < 0 else ''}{mantissa}e{'-' if exponent < 0 else '+'}" \
               f"{abs(exponent):02d}"
    text = f"{abs(number):.{max(len(digits) - exponent - 1, 0)}f}"
    return ("-" if number < 0 else "") + text


def _shortest(number: float) -> tuple[str, int]:
    """The shortest digits that read back as ``number`` and its decimal exponent."""
    mantissa, _, exponent = f"{abs(number):.17e}".partition("e")
    for precision in range(17):
        candidate = f"{abs(number):.{precision}e}"
        if float(candidate) == abs(number):
            mantissa, _, exponent = candidate.partition("e")
            break
    return mantissa.replace(".", "").rstrip("0") or "0", int(exponent)


def json_like(value: Any) -> bool:
    """Whether ``value`` is what Go's JSON decoder makes: maps of string keys, lists,
    strings, finite numbers, booleans, null."""
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and json_like(v) for k, v in value.items())
    if isinstance(value, list):
        return all(json_like(item) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (str, bool, int))
